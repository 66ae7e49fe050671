#ifndef UNIT_H
#define UNIT_H

/*
 * A minimal unit-test harness for lib/: each TEST() is one TAP line, so
 * test/run.sh counts C unit tests and bats tests the same way.
 *
 *	static void t_adler(void) { EXPECT(lzop_adler32(...) == 1); }
 *	int main(void) { TEST(t_adler); return unit_done(); }
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int unit_count, unit_failed, unit_cur_failed;

#define EXPECT(c) do {							\
	if (!(c)) {							\
		unit_cur_failed = 1;					\
		printf("# %s:%d: expected %s\n", __FILE__, __LINE__, #c); \
	}								\
} while (0)

#define EXPECT_MEM(a, b, n) do {					\
	if (memcmp((a), (b), (n)) != 0) {				\
		unit_cur_failed = 1;					\
		printf("# %s:%d: bytes of %s differ from %s\n",		\
		    __FILE__, __LINE__, #a, #b);			\
	}								\
} while (0)

#define EXPECT_STR(a, b) do {						\
	const char *unit_a = (a), *unit_b = (b);			\
	if (unit_a == NULL || unit_b == NULL || strcmp(unit_a, unit_b) != 0) { \
		unit_cur_failed = 1;					\
		printf("# %s:%d: %s is \"%s\", expected \"%s\"\n",	\
		    __FILE__, __LINE__, #a, unit_a ? unit_a : "(null)",	\
		    unit_b ? unit_b : "(null)");			\
	}								\
} while (0)

#define TEST(fn) do {							\
	unit_cur_failed = 0;						\
	fn();								\
	unit_count++;							\
	if (unit_cur_failed)						\
		unit_failed++;						\
	printf("%s %d - %s\n", unit_cur_failed ? "not ok" : "ok",	\
	    unit_count, #fn);						\
	fflush(stdout);							\
} while (0)

/*
 * Run fn with stderr redirected to a temporary file; return what it wrote
 * (a static buffer, up to 511 bytes).
 */
static inline char *
unit_capture(void (*fn)(void))
{
	static char out[512];
	char path[] = "/tmp/unit-capture.XXXXXX";
	int fd, saved;
	ssize_t n;

	fd = mkstemp(path);
	saved = dup(2);
	dup2(fd, 2);
	fn();
	dup2(saved, 2);
	close(saved);
	lseek(fd, 0, SEEK_SET);
	n = read(fd, out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(path);
	return (out);
}

static inline int
unit_done(void)
{

	printf("1..%d\n", unit_count);
	return (unit_failed != 0);
}

#endif
