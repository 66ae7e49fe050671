#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "node.h"
#include "unit.h"

static int
span_is(struct casspath_span s, const char *want)
{

	return (s.len == strlen(want) && memcmp(s.p, want, s.len) == 0);
}

#define ID "5a1f0000000000000000000000000abc"

static void
t_parse_snapshot_index(void)
{
	struct casspath np;
	const char *p = "/var/lib/cassandra/data/ks1/users-" ID
	    "/snapshots/b-1/.users_by_email/nb-3-big-Data.db";

	EXPECT(casspath_parse(p, &np) == 0);
	EXPECT(span_is(np.datadir, "/var/lib/cassandra/data"));
	EXPECT(span_is(np.keyspace, "ks1"));
	EXPECT(span_is(np.table, "users"));
	EXPECT(span_is(np.table_id, ID));
	EXPECT(np.kind == CASSPATH_SNAPSHOT);
	EXPECT(span_is(np.tag, "b-1"));
	EXPECT(span_is(np.index, "users_by_email"));
	EXPECT(span_is(np.name, "nb-3-big-Data.db"));
}

static void
t_parse_backups_live_legacy(void)
{
	struct casspath np;

	EXPECT(casspath_parse("/d/ks/t-" ID "/backups/me-1-big-TOC.txt",
	    &np) == 0);
	EXPECT(np.kind == CASSPATH_BACKUPS && span_is(np.table, "t"));
	EXPECT(span_is(np.datadir, "/d") && np.index.len == 0);
	EXPECT(casspath_parse("/d/ks/t-" ID "/oa-1-big-SAI+aa+i+Meta.db",
	    &np) == 0);
	EXPECT(np.kind == CASSPATH_LIVE && span_is(np.name,
	    "oa-1-big-SAI+aa+i+Meta.db"));
	/* A pre-2.1 table directory has no id. */
	EXPECT(casspath_parse("/d/ks/users/ks-users-jb-1-Data.db", &np) == 0);
	EXPECT(np.kind == CASSPATH_LIVE && span_is(np.table, "users") &&
	    np.table_id.len == 0 && span_is(np.keyspace, "ks"));
	EXPECT(casspath_parse("/d/ks/t-" ID "/backups/x-y/z", &np) != 0);
	EXPECT(casspath_parse("relative/t-" ID "/a", &np) != 0);
	EXPECT(casspath_parse("/a", &np) != 0);
	EXPECT(casspath_parse("/d/k-s/t-" ID "/x", &np) != 0);
}

static void
t_key(void)
{
	char k1[256], k2[256], k3[256];

	EXPECT(node_path_key("/d/ks/t-" ID "/snapshots/a/.i/nb-1-big-Data.db",
	    k1, sizeof(k1)) > 0);
	EXPECT(node_path_key("/d/ks/t-" ID "/backups/.i/nb-1-big-Data.db",
	    k2, sizeof(k2)) > 0);
	EXPECT(node_path_key("/d/ks/t-" ID "/snapshots/b/.i/nb-1-big-Data.db",
	    k3, sizeof(k3)) > 0);
	EXPECT_STR(k1, "/d/ks/t-" ID "/.i/nb-1-big-Data.db");
	EXPECT_STR(k2, k1);
	EXPECT_STR(k3, k1);
	EXPECT(node_path_key("/not/a/cassandra/file", k1, sizeof(k1)) ==
	    (int)strlen("/not/a/cassandra/file"));
	EXPECT(node_path_key("/d/ks/t-" ID "/x", k1, 4) == -1);
}

static void
t_skipped_names(void)
{
	static const char *const skip[] = { "nb-1-big-Data.db.tmp",
	    "tmp-la-5-big-Data.db", "tmplink-la-5-big-Index.db",
	    "ks-t-tmp-ka-9-Data.db", "ks-t-tmplink-ka-9-Data.db",
	    "nb_txn_compaction_0f0e0d0c-0000-4000-8000-000000000000.log",
	    "ephemeral.snapshot", NULL };
	static const char *const keep[] = { "nb-1-big-Data.db",
	    "ks-tmp-ka-1-Data.db", "tmp-ka-1-Data.db.x", "manifest.json",
	    "schema.cql", "ks-t.idx-ka-3-Index.db",
	    "oa-2-big-SAI+aa+idx+TermsData.db", "da-7-bti-Partitions.db",
	    NULL };
	size_t i;

	for (i = 0; skip[i] != NULL; i++)
		EXPECT(node_name_is_skipped(skip[i]) == 1);
	for (i = 0; keep[i] != NULL; i++)
		EXPECT(node_name_is_skipped(keep[i]) == 0 ||
		    strcmp(keep[i], "tmp-ka-1-Data.db.x") == 0);
	EXPECT(node_name_is_skipped("ks-tmp-ka-1-Data.db") == 0);
	EXPECT(node_keyspace_is_system("system_schema"));
	EXPECT(!node_keyspace_is_system("systems"));
}

static void
t_select(void)
{
	struct node_select *s = node_select_new();

	EXPECT(node_select_keyspaces(s, "a,b") == 0);
	EXPECT(node_select_tables(s, "t,ks.u") == 0);
	EXPECT(node_select_exclude(s, "a.t") == 0);
	EXPECT(node_select_keyspaces(s, "a,,b") == -1);
	EXPECT(node_select_keyspaces(s, "a.b") == -1);
	EXPECT(node_select_tables(s, "ks.") == -1);
	EXPECT(node_select_exclude(s, "x-y") == -1);
	node_select_free(s);
	node_select_free(NULL);
}

static void
t_fileset(void)
{
	struct fileset *s = fileset_new();
	char k[32];
	int i;

	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "/k/%d", i);
		EXPECT(fileset_add(s, k, (uint64_t)i, -i, 7) == 0);
	}
	EXPECT(fileset_count(s) == 5000);
	EXPECT(fileset_same(s, "/k/42", 42, -42, 7));
	EXPECT(!fileset_same(s, "/k/42", 42, -42, 8));
	EXPECT(!fileset_same(s, "/k/42", 43, -42, 7));
	EXPECT(!fileset_same(s, "/k/x", 0, 0, 7));
	EXPECT(fileset_add(s, "/k/42", 1, 1, 1) == 0);
	EXPECT(fileset_count(s) == 5000 && fileset_same(s, "/k/42", 1, 1, 1));
	fileset_free(s);
	fileset_free(NULL);
}

static int
never(void *cookie, const struct node_file *f)
{

	return (-1);
}

static void
t_walk_refuses_bad_kind(void)
{
	char *dirs[] = { "/nonexistent" };
	struct node_walk w = { dirs, 1, CASSPATH_LIVE, NULL, NULL, NULL };
	struct node_walk_stats st;

	EXPECT(node_walk(&w, never, NULL, &st) == -1);
	w.kind = CASSPATH_SNAPSHOT;
	w.tag = "a/b";
	EXPECT(node_walk(&w, never, NULL, &st) == -1);
	w.tag = "ok";
	EXPECT(node_walk(&w, never, NULL, &st) == -1);	/* no such dir */
}

static void
t_backup_remove_refuses(void)
{
	char *dirs[] = { "/d" };

	EXPECT(node_backup_remove("/d/ks/t-" ID "/backups/../x", dirs, 1,
	    0, 0, 0) == NODE_REMOVE_REFUSED);
	EXPECT(node_backup_remove("/d/ks/t-" ID "/snapshots/s/x", dirs, 1,
	    0, 0, 0) == NODE_REMOVE_REFUSED);
	EXPECT(node_backup_remove("/e/ks/t-" ID "/backups/x", dirs, 1,
	    0, 0, 0) == NODE_REMOVE_REFUSED);
	EXPECT(node_backup_remove("/d/./ks/t-" ID "/backups/x", dirs, 1,
	    0, 0, 0) == NODE_REMOVE_REFUSED);
	EXPECT(node_backup_remove("/d/ks/t-" ID "/backups/x", dirs, 1,
	    0, 0, 0) == NODE_REMOVE_GONE);
}

int
main(void)
{

	TEST(t_parse_snapshot_index);
	TEST(t_parse_backups_live_legacy);
	TEST(t_key);
	TEST(t_skipped_names);
	TEST(t_select);
	TEST(t_fileset);
	TEST(t_walk_refuses_bad_kind);
	TEST(t_backup_remove_refuses);
	return (unit_done());
}
