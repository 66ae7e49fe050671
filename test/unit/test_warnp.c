#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "warnp.h"
#include "unit.h"

/* Run fn with stderr redirected to a temporary file; return what it wrote. */
static char *
capture(void (*fn)(void))
{
	static char out[512];
	char path[] = "/tmp/unit-warnp.XXXXXX";
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

static void
say_enoent(void)
{

	errno = ENOENT;
	warnp("cannot open '%s'", "x");
}

static void
say_plain(void)
{

	warn0("bad record at line %d", 3);
}

static void
t_warnp_appends_errno(void)
{

	warnp_init("/usr/bin/cb-test");
	EXPECT_STR(capture(say_enoent),
	    "cb-test: cannot open 'x': No such file or directory\n");
}

static void
t_warn0_plain(void)
{

	warnp_init("cb-test");
	EXPECT_STR(capture(say_plain), "cb-test: bad record at line 3\n");
}

static void
t_errno_status(void)
{

	EXPECT(warnp_errno_status(EACCES) == EX_NOPERM);
	EXPECT(warnp_errno_status(EPERM) == EX_NOPERM);
	EXPECT(warnp_errno_status(ENOENT) == EX_FAILURE);
	EXPECT(warnp_errno_status(ENOSPC) == EX_FAILURE);
	EXPECT(warnp_errno_status(EIO) == EX_FAILURE);
	EXPECT(warnp_errno_status(0) == EX_FAILURE);
}

int
main(void)
{

	TEST(t_warnp_appends_errno);
	TEST(t_warn0_plain);
	TEST(t_errno_status);
	return (unit_done());
}
