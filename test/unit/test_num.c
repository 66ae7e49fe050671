#include <errno.h>
#include <stdint.h>

#include "num.h"
#include "unit.h"

/* Parse and expect failure with errno e, leaving the output untouched. */
#define U64_BAD(s, lo, hi, e) do {					\
	uint64_t u_ = 7;						\
	errno = 0;							\
	EXPECT(num_parse_u64((s), (lo), (hi), &u_) == -1);		\
	EXPECT(errno == (e) && u_ == 7);				\
} while (0)

#define I64_BAD(s, lo, hi, e) do {					\
	int64_t i_ = 7;							\
	errno = 0;							\
	EXPECT(num_parse_i64((s), (lo), (hi), &i_) == -1);		\
	EXPECT(errno == (e) && i_ == 7);				\
} while (0)

#define SIZE_BAD(s, e) do {						\
	uint64_t z_ = 7;						\
	errno = 0;							\
	EXPECT(num_parse_size((s), &z_) == -1);				\
	EXPECT(errno == (e) && z_ == 7);				\
} while (0)

static void
t_u64(void)
{
	uint64_t v;

	EXPECT(num_parse_u64("0", 0, UINT64_MAX, &v) == 0 && v == 0);
	EXPECT(num_parse_u64("123", 0, UINT64_MAX, &v) == 0 && v == 123);
	EXPECT(num_parse_u64("007", 0, UINT64_MAX, &v) == 0 && v == 7);
	EXPECT(num_parse_u64("18446744073709551615", 0, UINT64_MAX, &v) == 0 &&
	    v == UINT64_MAX);
	U64_BAD("18446744073709551616", 0, UINT64_MAX, ERANGE);
	U64_BAD("99999999999999999999999", 0, UINT64_MAX, ERANGE);
	U64_BAD("", 0, UINT64_MAX, EINVAL);
	U64_BAD("-1", 0, UINT64_MAX, EINVAL);
	U64_BAD("-0", 0, UINT64_MAX, EINVAL);
	U64_BAD("+1", 0, UINT64_MAX, EINVAL);
	U64_BAD(" 1", 0, UINT64_MAX, EINVAL);
	U64_BAD("1 ", 0, UINT64_MAX, EINVAL);
	U64_BAD("1x", 0, UINT64_MAX, EINVAL);
	U64_BAD("0x10", 0, UINT64_MAX, EINVAL);
	U64_BAD("1K", 0, UINT64_MAX, EINVAL);
	U64_BAD("99999999999999999999999x", 0, UINT64_MAX, EINVAL);
}

static void
t_u64_bounds(void)
{
	uint64_t v;

	EXPECT(num_parse_u64("1", 1, 256, &v) == 0 && v == 1);
	EXPECT(num_parse_u64("256", 1, 256, &v) == 0 && v == 256);
	U64_BAD("0", 1, 256, ERANGE);
	U64_BAD("257", 1, 256, ERANGE);
	EXPECT(num_parse_u64("65535", 1, 65535, &v) == 0 && v == 65535);
	U64_BAD("65536", 1, 65535, ERANGE);
}

static void
t_i64(void)
{
	int64_t v;

	EXPECT(num_parse_i64("0", INT64_MIN, INT64_MAX, &v) == 0 && v == 0);
	EXPECT(num_parse_i64("-0", INT64_MIN, INT64_MAX, &v) == 0 && v == 0);
	EXPECT(num_parse_i64("42", INT64_MIN, INT64_MAX, &v) == 0 && v == 42);
	EXPECT(num_parse_i64("-42", INT64_MIN, INT64_MAX, &v) == 0 &&
	    v == -42);
	EXPECT(num_parse_i64("9223372036854775807", INT64_MIN, INT64_MAX,
	    &v) == 0 && v == INT64_MAX);
	EXPECT(num_parse_i64("-9223372036854775808", INT64_MIN, INT64_MAX,
	    &v) == 0 && v == INT64_MIN);
	I64_BAD("9223372036854775808", INT64_MIN, INT64_MAX, ERANGE);
	I64_BAD("-9223372036854775809", INT64_MIN, INT64_MAX, ERANGE);
	I64_BAD("", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("-", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("--1", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("+1", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD(" 1", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("- 1", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("1\n", INT64_MIN, INT64_MAX, EINVAL);
	I64_BAD("1.5", INT64_MIN, INT64_MAX, EINVAL);
}

static void
t_i64_bounds(void)
{
	int64_t v;

	EXPECT(num_parse_i64("-5", -5, 5, &v) == 0 && v == -5);
	EXPECT(num_parse_i64("5", -5, 5, &v) == 0 && v == 5);
	I64_BAD("-6", -5, 5, ERANGE);
	I64_BAD("6", -5, 5, ERANGE);
	I64_BAD("-1", 0, INT64_MAX, ERANGE);
}

static void
t_size(void)
{
	uint64_t v;

	EXPECT(num_parse_size("0", &v) == 0 && v == 0);
	EXPECT(num_parse_size("123", &v) == 0 && v == 123);
	EXPECT(num_parse_size("1K", &v) == 0 && v == 1024);
	EXPECT(num_parse_size("1k", &v) == 0 && v == 1024);
	EXPECT(num_parse_size("8M", &v) == 0 && v == 8 << 20);
	EXPECT(num_parse_size("8MiB", &v) == 0 && v == 8 << 20);
	EXPECT(num_parse_size("8mib", &v) == 0 && v == 8 << 20);
	EXPECT(num_parse_size("8MB", &v) == 0 && v == 8 << 20);
	EXPECT(num_parse_size("8mb", &v) == 0 && v == 8 << 20);
	EXPECT(num_parse_size("1g", &v) == 0 && v == 1 << 30);
	EXPECT(num_parse_size("5G", &v) == 0 && v == 5ULL << 30);
	EXPECT(num_parse_size("2T", &v) == 0 && v == 2ULL << 40);
	EXPECT(num_parse_size("0T", &v) == 0 && v == 0);
	EXPECT(num_parse_size("16777215T", &v) == 0 &&
	    v == 16777215ULL << 40);
	EXPECT(num_parse_size("18446744073709551615", &v) == 0 &&
	    v == UINT64_MAX);
}

static void
t_size_bad(void)
{

	SIZE_BAD("", EINVAL);
	SIZE_BAD("-1", EINVAL);
	SIZE_BAD("+1", EINVAL);
	SIZE_BAD(" 1K", EINVAL);
	SIZE_BAD("1K ", EINVAL);
	SIZE_BAD("1X", EINVAL);
	SIZE_BAD("K", EINVAL);
	SIZE_BAD("1B", EINVAL);		/* B only after a multiplier */
	SIZE_BAD("1iB", EINVAL);
	SIZE_BAD("1KK", EINVAL);
	SIZE_BAD("1KiBx", EINVAL);
	SIZE_BAD("1Ki", EINVAL);
	SIZE_BAD("1.5M", EINVAL);
	SIZE_BAD("16777216T", ERANGE);
	SIZE_BAD("18446744073709551616", ERANGE);
}

int
main(void)
{

	TEST(t_u64);
	TEST(t_u64_bounds);
	TEST(t_i64);
	TEST(t_i64_bounds);
	TEST(t_size);
	TEST(t_size_bad);
	return (unit_done());
}
