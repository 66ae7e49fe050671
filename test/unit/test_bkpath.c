#include <stdlib.h>

#include "bkpath.h"
#include "unit.h"

static const char *
rel(const char *path)
{
	static char out[512];
	struct bkpath bp;
	int rc = bkpath_parse(path, &bp);

	if (rc <= 0) {
		snprintf(out, sizeof(out), "%d", rc);
		return (out);
	}
	snprintf(out, sizeof(out), "%s %s %s %d", bp.rel, bp.keyspace,
	    bp.table, bp.backups);
	bkpath_clear(&bp);
	return (out);
}

static void
t_snapshot(void)
{
	EXPECT_STR(rel("/var/lib/cassandra/data/ks/users-0123456789abcdef0123456789abcdef/snapshots/t1/nb-1-big-Data.db"),
	    "ks/users-0123456789abcdef0123456789abcdef/nb-1-big-Data.db ks users 0");
	EXPECT_STR(rel("/d/ks/users-0123456789abcdef0123456789abcdef/snapshots/t1/.by_email/nb-1-big-Data.db"),
	    "ks/users-0123456789abcdef0123456789abcdef/.by_email/nb-1-big-Data.db ks users 0");
	EXPECT_STR(rel("/d/ks/users-0123456789abcdef0123456789abcdef/snapshots/t1/schema.cql"),
	    "ks/users-0123456789abcdef0123456789abcdef/schema.cql ks users 0");
	EXPECT_STR(rel("/d/ks/users-0123456789abcdef0123456789abcdef/snapshots/t1/manifest.json"), "0");
}

static void
t_backups(void)
{
	EXPECT_STR(rel("/d/ks/t-0123456789abcdef0123456789abcdef/backups/nb-2-big-Data.db"),
	    "ks/t-0123456789abcdef0123456789abcdef/nb-2-big-Data.db ks t 1");
	EXPECT_STR(rel("/d/ks/t-0123456789abcdef0123456789abcdef/backups/.idx/nb-2-big-Data.db"),
	    "ks/t-0123456789abcdef0123456789abcdef/.idx/nb-2-big-Data.db ks t 1");
	/* A table named like the markers, and a data dir called backups. */
	EXPECT_STR(rel("/backups/ks/snapshots-0123456789abcdef0123456789abcdef/snapshots/x/f"),
	    "ks/snapshots-0123456789abcdef0123456789abcdef/f ks snapshots 0");
}

static void
t_seed_keys(void)
{
	/* Runs of '/' count as one (seed keys '<host>//var/...'). */
	EXPECT_STR(rel("//var//lib/cassandra/data/ks/t/snapshots/20170104/ks-t-ka-1-Data.db"),
	    "ks/t/ks-t-ka-1-Data.db ks t 0");
	EXPECT_STR(rel("/var/lib/cassandra/data/ks/t-abc/live-file.db"), "0");
	EXPECT_STR(rel("ring"), "0");
	/* No data directory in front: still a restore path. */
	EXPECT_STR(rel("ks/t/backups/f"), "ks/t/f ks t 1");
}

static void
t_agrees_with_node(void)
{
	/* lib/casspath's rules, as cb-list and prune-backups apply them. */
	EXPECT_STR(rel("/d/k-s/t-0123456789abcdef0123456789abcdef/backups/f"),
	    "0");
	EXPECT_STR(rel("/d/ks/t-abc/snapshots/x/f"), "0");
	EXPECT_STR(rel("/d/ks/t-0123456789ABCDEF0123456789abcdef/backups/f"),
	    "0");
	EXPECT_STR(rel("/d/ks/t/snapshots/x/.i/f"), "ks/t/.i/f ks t 0");
}

static void
t_hostile(void)
{
	EXPECT_STR(rel("/d/ks/t-1/snapshots/x/../../../../etc/passwd"), "-1");
	EXPECT_STR(rel("/d/../ks/t-1/snapshots/x/f"), "-1");
	EXPECT_STR(rel("/d/ks/./t-1/snapshots/x/f"), "-1");
	EXPECT_STR(rel("/d/ks/t-1/snapshots/x/.."), "-1");
}

static void
t_list(void)
{
	EXPECT(bkpath_in_list(NULL, "a"));
	EXPECT(bkpath_in_list("", "a"));
	EXPECT(bkpath_in_list("a,bb,c", "bb"));
	EXPECT(!bkpath_in_list("a,bb,c", "b"));
	EXPECT(!bkpath_in_list("ks10", "ks1"));
}

int
main(void)
{
	TEST(t_snapshot);
	TEST(t_backups);
	TEST(t_seed_keys);
	TEST(t_agrees_with_node);
	TEST(t_hostile);
	TEST(t_list);
	return (unit_done());
}
