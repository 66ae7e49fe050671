#include <stdlib.h>

#include "records.h"
#include "unit.h"

static FILE *
mem(const char *s, size_t len)
{

	return (fmemopen((void *)s, len, "r"));
}

static void
t_split_path_last_keeps_tabs(void)
{
	static const char in[] = "12\t345\tdir/a\tb.db";
	FILE *f = mem(in, sizeof(in));	/* includes the NUL terminator */
	struct rec_reader *r = rec_reader_new(f, 1, "t");
	char *fl[3];

	EXPECT(rec_reader_next(r, 3, fl) == 1);
	EXPECT_STR(fl[0], "12");
	EXPECT_STR(fl[1], "345");
	EXPECT_STR(fl[2], "dir/a\tb.db");
	EXPECT(rec_reader_next(r, 3, fl) == 0);
	rec_reader_free(r);
	fclose(f);
}

static void
t_short_record_is_error(void)
{
	static const char in[] = "1\t2\tp\nonly\n";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	char *fl[3];

	EXPECT(rec_reader_next(r, 3, fl) == 1);
	EXPECT(rec_reader_next(r, 3, fl) == -1);
	EXPECT(rec_reader_number(r) == 2);
	rec_reader_free(r);
	fclose(f);
}

static void
t_unterminated_is_error(void)
{
	static const char in[] = "a\tb";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	char *fl[2];

	EXPECT(rec_reader_next(r, 2, fl) == -1);
	rec_reader_free(r);
	fclose(f);
}

static void
t_write_refuses_tab_in_newline_mode(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *ok[] = { "1", "a b" }, *bad[] = { "1", "a\tb" };

	EXPECT(rec_write(f, 0, 2, ok) == 0);
	EXPECT(rec_write(f, 0, 2, bad) == -1);
	EXPECT(rec_write(f, 1, 2, bad) == 0);
	fclose(f);
	EXPECT(len == 12);
	EXPECT_MEM(buf, "1\ta b\n1\ta\tb\0", 12);
	free(buf);
}

int
main(void)
{

	TEST(t_split_path_last_keeps_tabs);
	TEST(t_short_record_is_error);
	TEST(t_unterminated_is_error);
	TEST(t_write_refuses_tab_in_newline_mode);
	return (unit_done());
}
