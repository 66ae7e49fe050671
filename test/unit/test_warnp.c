#include <errno.h>

#include "warnp.h"
#include "unit.h"

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
	EXPECT_STR(unit_capture(say_enoent),
	    "cb-test: cannot open 'x': No such file or directory\n");
}

static void
t_warn0_plain(void)
{

	warnp_init("cb-test");
	EXPECT_STR(unit_capture(say_plain), "cb-test: bad record at line 3\n");
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
