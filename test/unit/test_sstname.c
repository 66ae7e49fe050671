#include <stdlib.h>
#include <string.h>

#include "sstname.h"
#include "unit.h"

static int
span_is(struct casspath_span s, const char *want)
{

	return (s.len == strlen(want) && memcmp(s.p, want, s.len) == 0);
}

static void
t_modern(void)
{
	struct sstname sn;
	char buf[256];

	EXPECT(sstname_parse("nb-3-big-Data.db", &sn) == 0);
	EXPECT(!sn.legacy && sn.numeric && sn.ngen == 3);
	EXPECT(span_is(sn.prefix, "nb-3-big-"));
	EXPECT(span_is(sn.component, "Data.db"));
	EXPECT(sstname_with_gen("nb-3-big-Data.db", &sn, 12, buf,
	    sizeof(buf)) == 0);
	EXPECT_STR(buf, "nb-12-big-Data.db");
	EXPECT(sstname_parse("nb-3-big-SAI+aa+users_name_sai+Meta.db",
	    &sn) == 0);
	EXPECT(span_is(sn.component, "SAI+aa+users_name_sai+Meta.db"));
	EXPECT(sstname_with_gen("nb-3-big-SAI+aa+users_name_sai+Meta.db", &sn,
	    40, buf, sizeof(buf)) == 0);
	EXPECT_STR(buf, "nb-40-big-SAI+aa+users_name_sai+Meta.db");
	EXPECT(sstname_parse("da-7-bti-Partitions.db", &sn) == 0);
	EXPECT(sstname_parse("me-1-big-Digest.crc32", &sn) == 0);
	EXPECT(span_is(sn.component, "Digest.crc32"));
}

static void
t_uuid(void)
{
	struct sstname sn;

	EXPECT(sstname_parse("nb-3gbk_0qvs_1vgog2hm6c9ksd6sn0-big-Data.db",
	    &sn) == 0);
	EXPECT(!sn.numeric);
	EXPECT(span_is(sn.gen, "3gbk_0qvs_1vgog2hm6c9ksd6sn0"));
	/* not 28 characters */
	EXPECT(sstname_parse("nb-3gbk_0qvs_1vgog-big-Data.db", &sn) != 0);
}

static void
t_legacy(void)
{
	struct sstname sn;
	char buf[256];

	EXPECT(sstname_parse("ks1-users-ka-12-Data.db", &sn) == 0);
	EXPECT(sn.legacy && sn.numeric && sn.ngen == 12 && sn.index.len == 0);
	EXPECT(span_is(sn.prefix, "ks1-users-ka-12-"));
	EXPECT(sstname_parse("ks1-users.users_by_email-ka-2-Index.db",
	    &sn) == 0);
	EXPECT(span_is(sn.index, "users_by_email"));
	EXPECT(sstname_with_gen("ks1-users.users_by_email-ka-2-Index.db", &sn,
	    9, buf, sizeof(buf)) == 0);
	EXPECT_STR(buf, "ks1-users.users_by_email-ka-9-Index.db");
	EXPECT(sstname_with_gen("ks1-users.users_by_email-ka-2-Index.db", &sn,
	    9, buf, 10) != 0);
}

static void
t_not_sstables(void)
{
	struct sstname sn;

	EXPECT(sstname_parse("manifest.json", &sn) != 0);
	EXPECT(sstname_parse("schema.cql", &sn) != 0);
	EXPECT(sstname_parse("ks1-users-tmp-ka-99-Data.db", &sn) != 0);
	EXPECT(sstname_parse("me_txn_compaction_0e1c-4a.log", &sn) != 0);
	EXPECT(sstname_parse("nb-x1-big-Data.db", &sn) != 0);
	EXPECT(sstname_parse("nb-1-big-", &sn) != 0);
	EXPECT(sstname_parse("nb-1-big-Data", &sn) != 0);
	EXPECT(sstname_parse("NB-1-big-Data.db", &sn) != 0);
	EXPECT(sstname_parse("nb-1-big-.hidden.db", &sn) != 0);
}

int
main(void)
{

	TEST(t_modern);
	TEST(t_uuid);
	TEST(t_legacy);
	TEST(t_not_sstables);
	return (unit_done());
}
