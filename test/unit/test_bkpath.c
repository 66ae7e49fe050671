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

/* escape, then unescape: the path back, and the key expected. */
static void
key_is(const char *path, const char *want)
{
	char *k = bkpath_key_escape(path), *back;

	EXPECT_STR(k, want);
	back = k != NULL ? bkpath_key_unescape(k) : NULL;
	EXPECT_STR(back, path);
	free(k);
	free(back);
}

static void
t_key_escape(void)
{
	/* An ordinary name keeps its key; so do '\', spaces, UTF-8. */
	key_is("/var/lib/cassandra/data/ks/t-0123/snapshots/s/nb-1-big-Data.db",
	    "/var/lib/cassandra/data/ks/t-0123/snapshots/s/nb-1-big-Data.db");
	key_is("/d/back\\slash/sp ace  /-lead/été/{x}[y]#~",
	    "/d/back\\slash/sp ace  /-lead/été/{x}[y]#~");
	key_is("/d/a\tb\nc\rd", "/d/a%09b%0Ac%0Dd");
	key_is("/d/\x01\x1f\x7f", "/d/%01%1F%7F");
	key_is("/d/\xc2\x85\xc2\x9f\xc2\xa0", "/d/%C2%85%C2%9F\xc2\xa0");
	key_is("/d/bad\xff\xfe", "/d/bad%FF%FE");
	key_is("/d/\xc3\xc3\xa9", "/d/%C3\xc3\xa9");	/* cut short, then é */
	key_is("/d/\xef\xbf\xbe\xef\xbf\xbd", "/d/%EF%BF%BE\xef\xbf\xbd");
	/* '%' itself, so that no two paths share a key. */
	key_is("/d/pct%41%2Fx", "/d/pct%2541%252Fx");
	key_is("/d/%2e%2e", "/d/%252e%252e");
	key_is("", "");
}

static void
t_key_unescape_hostile(void)
{
	char *p;

	EXPECT(bkpath_key_unescape("/d/%") == NULL);
	EXPECT(bkpath_key_unescape("/d/%4") == NULL);
	EXPECT(bkpath_key_unescape("/d/%zz") == NULL);
	EXPECT(bkpath_key_unescape("/d/%00x") == NULL);
	/* Decoding may give '/' and '..': the path rules then refuse it. */
	p = bkpath_key_unescape("/d/ks/t/snapshots/s/%2E%2E%2f%2e%2E%2Fx");
	EXPECT_STR(p, "/d/ks/t/snapshots/s/../../x");
	free(p);
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
	TEST(t_key_escape);
	TEST(t_key_unescape_hostile);
	return (unit_done());
}
