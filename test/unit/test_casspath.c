#include <string.h>

#include "casspath.h"
#include "unit.h"

/*
 * lib/casspath where the words of the layout are also names: a snapshot
 * tagged "backups" or "snapshots", keyspaces and tables called so.
 */

#define ID "5a1f0000000000000000000000000abc"

static int
span_is(struct casspath_span s, const char *want)
{

	return (s.len == strlen(want) &&
	    (s.len == 0 || memcmp(s.p, want, s.len) == 0));
}

/* Parse p; it must read as kind in KS.TABLE (tag, index may be NULL). */
static int
reads_as(const char *p, enum casspath_kind kind, const char *dd,
    const char *ks, const char *table, const char *tag, const char *index)
{
	struct casspath np;

	if (casspath_parse(p, &np) != 0)
		return (0);
	return (np.kind == kind && span_is(np.datadir, dd) &&
	    span_is(np.keyspace, ks) && span_is(np.table, table) &&
	    span_is(np.tag, tag != NULL ? tag : "") &&
	    span_is(np.index, index != NULL ? index : "") &&
	    span_is(np.name, "nb-1-big-Data.db"));
}

static void
t_tag_backups(void)
{

	EXPECT(reads_as("/d/ks/t-" ID "/snapshots/backups/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "backups", NULL));
	EXPECT(reads_as("/d/ks/t-" ID
	    "/snapshots/backups/.t_idx/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "backups", "t_idx"));
	/* The real backups/ beside it. */
	EXPECT(reads_as("/d/ks/t-" ID "/backups/nb-1-big-Data.db",
	    CASSPATH_BACKUPS, "/d", "ks", "t", NULL, NULL));
	EXPECT(reads_as("/d/ks/t-" ID "/backups/.t_idx/nb-1-big-Data.db",
	    CASSPATH_BACKUPS, "/d", "ks", "t", NULL, "t_idx"));
}

static void
t_tag_snapshots(void)
{

	EXPECT(reads_as("/d/ks/t-" ID "/snapshots/snapshots/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "snapshots", NULL));
	EXPECT(reads_as("/d/ks/t-" ID
	    "/snapshots/snapshots/.i/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "snapshots", "i"));
}

static void
t_names(void)
{

	/* Keyspaces called backups and snapshots. */
	EXPECT(reads_as("/d/snapshots/t-" ID "/nb-1-big-Data.db",
	    CASSPATH_LIVE, "/d", "snapshots", "t", NULL, NULL));
	EXPECT(reads_as("/d/backups/t-" ID "/backups/nb-1-big-Data.db",
	    CASSPATH_BACKUPS, "/d", "backups", "t", NULL, NULL));
	EXPECT(reads_as("/d/snapshots/t-" ID
	    "/snapshots/backups/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "snapshots", "t", "backups", NULL));
	/* Tables called so. */
	EXPECT(reads_as("/d/ks/backups-" ID
	    "/snapshots/snapshots/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "backups", "snapshots", NULL));
	EXPECT(reads_as("/d/snapshots/snapshots-" ID
	    "/backups/nb-1-big-Data.db",
	    CASSPATH_BACKUPS, "/d", "snapshots", "snapshots", NULL, NULL));
	/* A data directory called so. */
	EXPECT(reads_as("/backups/snapshots/ks/t-" ID "/nb-1-big-Data.db",
	    CASSPATH_LIVE, "/backups/snapshots", "ks", "t", NULL, NULL));
}

static void
t_pre21(void)
{

	/* Without ids the snapshot reading still wins. */
	EXPECT(reads_as("/d/ks/t/snapshots/backups/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "backups", NULL));
	EXPECT(reads_as("/d/ks/t/backups/nb-1-big-Data.db",
	    CASSPATH_BACKUPS, "/d", "ks", "t", NULL, NULL));
	/* A table dir with an id beats any reading without one. */
	EXPECT(reads_as("/d/ks/t-" ID "/snapshots/u/nb-1-big-Data.db",
	    CASSPATH_SNAPSHOT, "/d", "ks", "t", "u", NULL));
}

static void
t_under(void)
{
	struct casspath np;
	const char *p = "/d/ks/t/backups/nb-1-big-Data.db";

	/* From the right it is backups/ of ks.t; under /d/ks, of t.backups. */
	EXPECT(casspath_parse_under(p, 2, &np) == 0);
	EXPECT(np.kind == CASSPATH_BACKUPS && span_is(np.keyspace, "ks"));
	EXPECT(casspath_parse_under(p, 5, &np) == 0);
	EXPECT(np.kind == CASSPATH_LIVE && span_is(np.keyspace, "t") &&
	    span_is(np.table, "backups") && span_is(np.datadir, "/d/ks"));
	p = "/d/ks/t-" ID "/snapshots/backups/nb-1-big-Data.db";
	EXPECT(casspath_parse_under(p, 2, &np) == 0);
	EXPECT(np.kind == CASSPATH_SNAPSHOT && span_is(np.tag, "backups"));
	EXPECT(casspath_parse_under("/ks/t-" ID "/backups/x", 0, &np) == 0);
	EXPECT(np.kind == CASSPATH_BACKUPS && np.datadir.len == 0);
	EXPECT(casspath_parse_under(p, 1, &np) == -1);	/* not at a '/' */
	EXPECT(casspath_parse_under(p, 3, &np) == -1);
	EXPECT(casspath_parse_under("/d/x/ks/t-" ID "/backups/y", 2,
	    &np) == -1);
	EXPECT(casspath_parse_under("/d/ks/t-" ID "/backups/x-y/z", 2,
	    &np) == -1);
}

static void
t_refused(void)
{
	struct casspath np;

	/* snapshots/ without a tag; "T-ID" is no keyspace. */
	EXPECT(casspath_parse("/d/ks/t-" ID "/snapshots/nb-1-big-Data.db",
	    &np) != 0);
	EXPECT(casspath_parse("/d/ks/t-" ID "/snapshots/a.b/x", &np) != 0);
	EXPECT(casspath_parse("/d/ks/t-" ID "/backups/x-y/z", &np) != 0);
	EXPECT(casspath_parse("/d/ks/t-" ID "/x/", &np) != 0);
}

static void
t_split_words(void)
{
	char l1[] = "ks1,ks_2,,K3", l2[] = "ks1,bad-name", l3[] = ",",
	    l4[] = "a,b,c";
	char *out[3];
	size_t n;

	EXPECT(casspath_split_words(l1, "keyspace", "--keyspaces", out, 3,
	    &n) == 0 && n == 3);
	EXPECT_STR(out[0], "ks1");
	EXPECT_STR(out[2], "K3");
	EXPECT(casspath_split_words(l2, "keyspace", "--keyspaces", out, 2,
	    &n) == -1);
	EXPECT(casspath_split_words(l3, "keyspace", "--keyspaces", out, 2,
	    &n) == -1 && n == 0);
	EXPECT(casspath_split_words(l4, "keyspace", "--keyspaces", out, 2,
	    &n) == -1);
}

int
main(void)
{

	TEST(t_tag_backups);
	TEST(t_tag_snapshots);
	TEST(t_names);
	TEST(t_pre21);
	TEST(t_under);
	TEST(t_refused);
	TEST(t_split_words);
	return (unit_done());
}
