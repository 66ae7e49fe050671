/*
 * cb-manifest schema: the schema a node manifest holds as a CQL script
 * that recreates it on a cluster without it (cqlsh -f), every CREATE with
 * IF NOT EXISTS so that it can run twice: keyspaces, then types,
 * functions, aggregates, tables, indexes and views.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "cql.h"
#include "json.h"
#include "manifest.h"
#include "node.h"
#include "records.h"
#include "strbuf.h"
#include "warnp.h"

struct stmt {
	const char	*text;		/* into the manifest's schema */
	size_t		 len;
	struct cql_info	 ci;
};

struct script {
	const char	*host;
	struct stmt	*v;
	size_t		 n, cap;
	struct strset	 seen;		/* statements kept, for duplicates */
	struct strset	 ks;		/* the keyspaces selected */
	char		**sel;		/* the same, in their order */
	size_t		 nsel;
	const char	*table;		/* NULL: every table */
};

/* Add a statement classified in *ci (now owned by the script). */
static int
add(struct script *sc, const struct cql_stmt *st, struct cql_info *ci)
{
	struct stmt *nv;
	char *key;
	long rc;

	/* schema.cql files repeat the types of their keyspace */
	if ((key = strndup(st->text, st->len)) == NULL)
		return (-1);
	rc = strset_put(&sc->seen, key, 0);
	free(key);
	if (rc != -1) {
		cql_info_clear(ci);
		return (rc == -2 ? -1 : 0);
	}
	if (sc->n == sc->cap) {
		sc->cap = sc->cap ? 2 * sc->cap : 64;
		if ((nv = realloc(sc->v, sc->cap * sizeof(*nv))) == NULL)
			return (-1);
		sc->v = nv;
	}
	sc->v[sc->n].text = st->text;
	sc->v[sc->n].len = st->len;
	sc->v[sc->n++].ci = *ci;
	return (0);
}

/* A statement left out: warn naming its first line. */
static void
left_out(const struct cql_stmt *st)
{
	const char *nl = memchr(st->text, '\n', st->len);
	char *first, q[512];

	first = strndup(st->text, nl ? (size_t)(nl - st->text) : st->len);
	warnp_warning("leaving out the statement of line %zu, not a CREATE "
	    "of a keyspace, type, function, aggregate, table, index or view: "
	    "'%s'", st->line, first ? rec_quote(first, q, sizeof(q)) : "");
	free(first);
}

/* Split and classify the schema text into sc.  Returns an exit status. */
static int
parse(struct script *sc, const char *text, size_t len)
{
	struct cql_split sp;
	struct cql_stmt st;
	struct cql_info ci;
	char name[256];
	int rc;

	snprintf(name, sizeof(name), "schema of host %s", sc->host);
	cql_split_init(&sp, text, len, name);
	while ((rc = cql_split_next(&sp, &st)) == 1) {
		if (cql_classify(st.text, st.len, &ci) != 0)
			return (EX_FAILURE);
		if (ci.kind == CQL_OTHER)
			left_out(&st);
		else if (add(sc, &st, &ci) != 0) {
			cql_info_clear(&ci);
			warnp("cannot allocate");
			return (EX_FAILURE);
		}
	}
	return (rc < 0 ? EX_DATAERR : 0);
}

/* Select keyspace ks (once).  Returns 0, or -1 out of memory. */
static int
select_ks(struct script *sc, const char *ks)
{
	char **nv;
	long rc;

	if ((rc = strset_put(&sc->ks, ks, 0)) != -1)
		return (rc == -2 ? -1 : 0);
	if ((nv = realloc(sc->sel, (sc->nsel + 1) * sizeof(*nv))) == NULL)
		return (-1);
	sc->sel = nv;
	if ((sc->sel[sc->nsel] = strdup(ks)) == NULL)
		return (-1);
	sc->nsel++;
	return (0);
}

/* Select the keyspaces of the comma-separated list. */
static int
select_list(struct script *sc, const char *list)
{
	const char *p, *e;
	char *ks;
	int rc;

	for (p = list;; p = e + 1) {
		e = p + strcspn(p, ",");
		if ((ks = strndup(p, (size_t)(e - p))) == NULL)
			return (EX_FAILURE);
		if (*ks == '\0' || node_keyspace_is_system(ks)) {
			warn0(*ks ? "the system keyspace '%s' cannot be "
			    "recreated" : "--keyspaces '%s' has an empty item",
			    *ks ? ks : list);
			free(ks);
			return (EX_USAGE);
		}
		rc = select_ks(sc, ks);
		free(ks);
		if (rc != 0)
			return (EX_FAILURE);
		if (*e == '\0')
			return (0);
	}
}

/* The backup's selection: its keyspaces but the system ones, or every
 * keyspace of the schema but the system ones. */
static int
select_backup(struct script *sc, struct json_doc *d)
{
	yaml_node_t *l = json_get(d, json_root(d), "keyspaces");
	const char *ks;
	size_t i;

	for (i = 0; i < json_len(l); i++)
		if ((ks = json_str(json_item(d, l, i))) != NULL && *ks &&
		    !node_keyspace_is_system(ks) && select_ks(sc, ks) != 0)
			return (EX_FAILURE);
	if (json_len(l) > 0)
		return (0);
	for (i = 0; i < sc->n; i++)
		if (!node_keyspace_is_system(sc->v[i].ci.keyspace) &&
		    select_ks(sc, sc->v[i].ci.keyspace) != 0)
			return (EX_FAILURE);
	return (0);
}

static int
is_selected(const struct script *sc, const struct cql_info *ci)
{

	if (strset_get(&sc->ks, ci->keyspace) < 0)
		return (0);
	if (sc->table == NULL)
		return (1);
	switch (ci->kind) {
	case CQL_KEYSPACE:
	case CQL_TYPE:
	case CQL_FUNCTION:
		return (1);		/* what the table may use */
	case CQL_TABLE:
		return (strcmp(ci->name, sc->table) == 0);
	case CQL_INDEX:
	case CQL_VIEW:
		return (strcmp(ci->table, sc->table) == 0);
	default:
		return (0);
	}
}

/* The first statement of kind k in keyspace ks (named name if not
 * NULL), or NULL. */
static const struct stmt *
find(const struct script *sc, enum cql_kind k, const char *ks,
    const char *name)
{
	size_t i;

	for (i = 0; i < sc->n; i++)
		if ((k == CQL_OTHER || sc->v[i].ci.kind == k) &&
		    strcmp(sc->v[i].ci.keyspace, ks) == 0 &&
		    (name == NULL || strcmp(sc->v[i].ci.name, name) == 0))
			return (&sc->v[i]);
	return (NULL);
}

/* Every keyspace selected must be in the schema, and the table in one. */
static int
check_selection(const struct script *sc)
{
	const char *ks;
	size_t i, with = 0;

	for (i = 0; i < sc->nsel; i++) {
		ks = sc->sel[i];
		if (find(sc, CQL_OTHER, ks, NULL) == NULL) {
			warn0("keyspace '%s' is not in the schema of host '%s'",
			    ks, sc->host);
			return (EX_DATAERR);
		}
		if (find(sc, CQL_KEYSPACE, ks, NULL) == NULL)
			warnp_warning("the schema of host '%s' does not create "
			    "keyspace '%s': it must exist before the script "
			    "runs", sc->host, ks);
		with += sc->table != NULL &&
		    find(sc, CQL_TABLE, ks, sc->table) != NULL;
	}
	if (sc->table != NULL && sc->nsel > 0 && with == 0) {
		warn0("table '%s%s%s' is not in the schema of host '%s'",
		    sc->nsel == 1 ? sc->sel[0] : "", sc->nsel == 1 ? "." : "",
		    sc->table, sc->host);
		return (EX_DATAERR);
	}
	return (0);
}

/* The script: kind by kind, each in the schema's order. */
static int
put_script(const struct script *sc, const char *path)
{
	struct strbuf b = STRBUF_INIT;
	struct atomicfile *f;
	const struct stmt *s;
	size_t i;
	int k, rc = EX_FAILURE;

	for (k = 0; k < CQL_NKINDS; k++)
		for (i = 0; i < sc->n; i++) {
			s = &sc->v[i];
			if ((int)s->ci.kind != k || !is_selected(sc, &s->ci))
				continue;
			cql_put_if_not_exists(&b, s->text, s->len, &s->ci);
			strbuf_adds(&b, ";\n\n");
		}
	if (strbuf_failed(&b)) {
		warnp("cannot allocate");
		return (EX_FAILURE);
	}
	if (b.len == 0)
		warnp_warning("the schema of host '%s' holds no keyspace to "
		    "recreate", sc->host);
	if ((f = atomicfile_new(AT_FDCWD, path ? path : "-", 0)) != NULL &&
	    atomicfile_write(f, b.s ? b.s : "", b.len) == 0 &&
	    atomicfile_commit(f) == 0)
		rc = 0;
	atomicfile_free(f);
	strbuf_free(&b);
	return (rc);
}

/* The schema text of node manifest d, or NULL (reported). */
static const char *
schema_text(struct json_doc *d, const char *host, size_t *len)
{
	yaml_node_t *n = json_get(d, json_root(d), "schema");
	const char *s = json_is_null(n) ? NULL : json_strn(n, len);

	if (s == NULL || s[strspn(s, " \t\r\n")] == '\0') {
		warn0("the backup holds no schema for host '%s'", host);
		return (NULL);
	}
	if (strlen(s) != *len) {
		warn0("cannot read the schema of host '%s': it holds a NUL",
		    host);
		return (NULL);
	}
	return (s);
}

static int
run(struct script *sc, const struct mf_opts *o, struct json_doc *d)
{
	const char *text;
	size_t len;
	int rc;

	sc->host = json_get_str(d, json_root(d), "host", "?");
	if ((text = schema_text(d, sc->host, &len)) == NULL)
		return (EX_DATAERR);
	if ((rc = parse(sc, text, len)) != 0)
		return (rc);
	if (o->keyspaces != NULL)
		rc = select_list(sc, o->keyspaces);
	else if ((rc = select_backup(sc, d)) == 0 && o->table == NULL) {
		sc->table = json_get_str(d, json_root(d), "table", NULL);
		if (sc->table != NULL && *sc->table == '\0')
			sc->table = NULL;
	}
	if (rc == EX_FAILURE)
		warnp("cannot allocate");
	if (rc != 0 || (rc = check_selection(sc)) != 0)
		return (rc);
	return (put_script(sc, o->output));
}

int
mf_schema(const struct mf_opts *o)
{
	struct script sc;
	struct json_doc *d;
	size_t i;
	int rc;

	if (o->table != NULL && (o->keyspaces == NULL ||
	    strchr(o->keyspaces, ',') != NULL || strchr(o->table, ','))) {
		warn0("--table needs one keyspace, in --keyspaces");
		return (EX_USAGE);
	}
	if ((rc = mf_node_doc_read(stdin, "stdin", &d)) != 0)
		return (rc);
	memset(&sc, 0, sizeof(sc));
	sc.table = o->table;
	rc = run(&sc, o, d);
	for (i = 0; i < sc.n; i++)
		cql_info_clear(&sc.v[i].ci);
	free(sc.v);
	strset_free(&sc.seen);
	strset_free(&sc.ks);
	for (i = 0; i < sc.nsel; i++)
		free(sc.sel[i]);
	free(sc.sel);
	json_free(d);
	return (rc);
}
