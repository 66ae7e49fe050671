/*
 * libFuzzer target for the CQL splitter and classifier (lib/cql.c): any
 * script must split or be refused, every statement classify, and IF NOT
 * EXISTS insertion keep the statement's bytes around it, with nothing
 * worse (crash, leak, hang).
 */

#include "cql.h"
#include "fuzz_util.h"

static void
check(const struct cql_stmt *st)
{
	struct strbuf b = STRBUF_INIT;
	struct cql_info ci;

	if (cql_classify(st->text, st->len, &ci) != 0)
		return;
	if (ci.kind != CQL_OTHER && (ci.keyspace == NULL ||
	    ci.kind_end > st->len ||
	    ((ci.kind == CQL_INDEX || ci.kind == CQL_VIEW) &&
	    ci.table == NULL)))
		abort();
	cql_put_if_not_exists(&b, st->text, st->len, &ci);
	if (!strbuf_failed(&b) && (b.len < st->len ||
	    memcmp(b.s, st->text, ci.kind == CQL_OTHER ? st->len :
	    ci.kind_end) != 0))
		abort();
	strbuf_free(&b);
	cql_info_clear(&ci);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cql_split sp;
	struct cql_stmt st;

	cql_split_init(&sp, (const char *)data, size, "fuzz");
	while (cql_split_next(&sp, &st) == 1) {
		if (st.len == 0 || st.text < (const char *)data ||
		    st.text + st.len > (const char *)data + size)
			abort();
		check(&st);
	}
	return (0);
}
