#include "meter.h"
#include "warnp.h"
#include "unit.h"

/*
 * An interval no test waits for: the only line is the last one, printed
 * by meter_free().
 */
#define NEVER	86400

/* Two files of 10 and 20 bytes: the first done, the second part way. */
static void
two_files(void)
{
	struct meter_file a = { 10, 0 }, b = { 20, 0 };
	struct meter *m;

	if ((m = meter_new(NEVER, 2, 30)) == NULL)
		return;
	meter_add(m, &a, 4);
	meter_add(m, &a, 6);
	meter_end(m, &a, 1);
	meter_add(m, &b, 5);
	meter_free(m);
}

/* More bytes than the file's size count its size only. */
static void
past_size(void)
{
	struct meter_file a = { 10, 0 };
	struct meter *m;

	if ((m = meter_new(NEVER, 1, 10)) == NULL)
		return;
	meter_add(m, &a, 25);
	meter_free(m);
}

/* A failed file gives its bytes back, and may be tried again. */
static void
failed_retried(void)
{
	struct meter_file a = { 10, 0 };
	struct meter *m;

	if ((m = meter_new(NEVER, 1, 10)) == NULL)
		return;
	meter_add(m, &a, 7);
	meter_end(m, &a, 0);
	meter_add(m, &a, 3);
	meter_free(m);
}

/* A NULL meter does nothing, and prints nothing. */
static void
null_meter(void)
{
	struct meter_file a = { 10, 0 };

	meter_add(NULL, &a, 5);
	meter_end(NULL, &a, 1);
	meter_free(NULL);
}

static void
t_meter_counts(void)
{

	EXPECT_STR(unit_capture(two_files), "cb-test: progress 1 2 15 30\n");
	EXPECT_STR(unit_capture(past_size), "cb-test: progress 0 1 10 10\n");
	EXPECT_STR(unit_capture(failed_retried),
	    "cb-test: progress 0 1 3 10\n");
	EXPECT_STR(unit_capture(null_meter), "");
}

int
main(void)
{

	warnp_init("cb-test");
	TEST(t_meter_counts);
	return (unit_done());
}
