/*
 * cb-manifest report: the reports of cassandra-backups verify, purge and
 * restore, as text or JSON, from the records the driver gathered
 * (cb-manifest(1)).
 *
 * verify:	node TAB HOST TAB FILES TAB BYTES	a node checked
 *		defect TAB HOST TAB WHAT TAB KEY TAB PATH
 * purge:	purge TAB NAME TAB REASON		a backup that goes
 *		keep TAB NAME TAB REASON
 *		object TAB SIZE TAB KEY			an object that goes
 *		upload TAB INITIATED TAB KEY		a multipart upload
 * restore:	restored TAB HOST TAB SOURCE TAB EXIT TAB FILES TAB WANTED
 *		    TAB BYTES TAB KEPT TAB WHY		a node's files
 *		table TAB HOST TAB STATUS TAB KS TAB TABLE TAB BACKUP_IDS
 *		    TAB LIVE_ID TAB SSTABLES TAB BYTES	a table loaded (cb-load)
 *		tokens TAB HOST TAB TOKENS		the source's tokens
 *		schema TAB HOST TAB STATEMENTS		the schema applied
 *		failed TAB HOST TAB STATUS TAB PATH	a file not restored
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "num.h"
#include "records.h"
#include "warnp.h"

/* A record of the report, split as its first field says. */
#define RFIELDS	9

struct rrec {
	char	*f[RFIELDS];
	size_t	 n;
};

struct rlist {
	struct rrec	*v;
	size_t		 n, cap;
};

static void
rlist_free(struct rlist *l)
{
	size_t i, k;

	for (i = 0; i < l->n; i++)
		for (k = 0; k < l->v[i].n; k++)
			free(l->v[i].f[k]);
	free(l->v);
}

/* Fields of each kind of record: the last takes the rest. */
static size_t
nfields(const char *kind)
{

	if (strcmp(kind, "table") == 0 || strcmp(kind, "restored") == 0)
		return (9);
	if (strcmp(kind, "defect") == 0)
		return (5);
	if (strcmp(kind, "failed") == 0)
		return (4);
	if (strcmp(kind, "schema") == 0 || strcmp(kind, "tokens") == 0)
		return (3);
	if (strcmp(kind, "node") == 0)
		return (4);
	if (strcmp(kind, "purge") == 0 || strcmp(kind, "keep") == 0 ||
	    strcmp(kind, "gone") == 0 ||
	    strcmp(kind, "object") == 0 || strcmp(kind, "upload") == 0)
		return (3);
	return (0);
}

static int
rlist_read(struct rlist *l, int nul)
{
	struct rec_reader *r;
	char *rec, *f[RFIELDS], *tab;
	size_t len, n, k;
	struct rrec *nv;
	int rc;

	if ((r = rec_reader_new(stdin, nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_raw(r, &rec, &len)) == 1) {
		tab = strchr(rec, '\t');
		if (tab != NULL)
			*tab = '\0';
		n = nfields(rec);
		if (tab != NULL)
			*tab = '\t';
		if (n == 0 || rec_split(rec, n, f) != 0) {
			warn0("malformed record %zu on stdin",
			    rec_reader_number(r));
			rc = -1;
			break;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 64;
			if ((nv = realloc(l->v, l->cap * sizeof(*nv))) == NULL) {
				rc = -2;
				break;
			}
			l->v = nv;
		}
		memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
		for (k = 0; k < n; k++)
			if ((l->v[l->n].f[k] = strdup(f[k])) == NULL)
				rc = -2;
		l->v[l->n++].n = n;
		if (rc == -2)
			break;
	}
	if (rc == -2)
		warnp("cannot allocate");
	rec_reader_free(r);
	return (rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR : 0);
}

static uint64_t
u64(const char *s)
{
	uint64_t v = 0;

	(void)num_parse_u64(s, 0, UINT64_MAX, &v);
	return (v);
}

static int
report_verify(const struct mf_opts *o, const struct rlist *l)
{
	uint64_t files = 0, bytes = 0, defects = 0, hosts = 0;
	char q[REC_QUOTE_MAX], b[32];
	size_t i;
	int first = 1;

	for (i = 0; i < l->n; i++) {
		if (strcmp(l->v[i].f[0], "node") == 0) {
			hosts++;
			files += u64(l->v[i].f[2]);
			bytes += u64(l->v[i].f[3]);
		} else if (strcmp(l->v[i].f[0], "defect") == 0)
			defects++;
	}
	if (o->json) {
		fputs("{\"backup\": ", stdout);
		json_put_str(stdout, o->backup);
		fputs(", \"mode\": ", stdout);
		json_put_str(stdout, o->mode);
		printf(", \"whole\": %s, \"hosts\": %" PRIu64 ", \"files\": %"
		    PRIu64 ", \"bytes\": %" PRIu64 ", \"defects\": [",
		    defects ? "false" : "true", hosts, files, bytes);
		for (i = 0; i < l->n; i++) {
			const struct rrec *r = &l->v[i];

			if (strcmp(r->f[0], "defect") != 0)
				continue;
			fputs(first ? "\n  {\"host\": " : ",\n  {\"host\": ",
			    stdout);
			json_put_str(stdout, r->f[1]);
			fputs(", \"what\": ", stdout);
			json_put_str(stdout, r->f[2]);
			fputs(", \"key\": ", stdout);
			json_put_strn(stdout, strcmp(r->f[3], "-") ? r->f[3] :
			    NULL);
			fputs(", \"path\": ", stdout);
			if (strcmp(r->f[4], "-") == 0)
				fputs("null", stdout);
			else
				mf_put_path(stdout, r->f[4]);
			fputs("}", stdout);
			first = 0;
		}
		fputs(first ? "]}\n" : "\n]}\n", stdout);
	} else {
		mf_human(bytes, b, sizeof(b));
		printf("verify: backup '%s', %s: %" PRIu64 " hosts, %" PRIu64
		    " files, %s: %s\n", o->backup, o->mode, hosts, files, b,
		    defects == 0 ? "whole" : "DEFECTS FOUND");
		for (i = 0; i < l->n; i++) {
			const struct rrec *r = &l->v[i];

			if (strcmp(r->f[0], "defect") != 0)
				continue;
			printf("  %s: %s", r->f[1], r->f[2]);
			if (strcmp(r->f[4], "-") != 0)
				printf(": %s", rec_quote(r->f[4], q, sizeof(q)));
			if (strcmp(r->f[3], "-") != 0)
				printf(" (object %s)", rec_quote(r->f[3], q,
				    sizeof(q)));
			putchar('\n');
		}
		if (defects > 0)
			printf("verify: backup '%s': %" PRIu64 " defects\n",
			    o->backup, defects);
	}
	if (fflush(stdout) != 0)
		return (EX_FAILURE);
	return (defects > 0 ? EX_FAILURE : 0);
}

static void
json_list(const struct rlist *l, const char *kind, const char *k1,
    const char *k2)
{
	size_t i;
	int first = 1;

	printf(", \"%s\": [", strcmp(kind, "purge") == 0 ? "backups" :
	    strcmp(kind, "keep") == 0 ? "kept" : strcmp(kind, "object") == 0 ?
	    "objects" : "uploads");
	for (i = 0; i < l->n; i++) {
		const struct rrec *r = &l->v[i];

		if (strcmp(r->f[0], kind) != 0)
			continue;
		printf("%s{\"%s\": ", first ? "\n  " : ",\n  ", k1);
		if (strcmp(kind, "object") == 0)
			printf("%" PRIu64, u64(r->f[1]));
		else
			json_put_str(stdout, r->f[1]);
		printf(", \"%s\": ", k2);
		json_put_str(stdout, r->f[2]);
		putchar('}');
		first = 0;
	}
	fputs(first ? "]" : "\n]", stdout);
}

static int
report_purge(const struct mf_opts *o, const struct rlist *l)
{
	uint64_t nb = 0, no = 0, nu = 0, bytes = 0;
	char q[REC_QUOTE_MAX], b[32];
	const char *verb = o->dry_run ? "would go" : "deleted";
	size_t i;

	for (i = 0; i < l->n; i++) {
		const char *k = l->v[i].f[0];

		nb += strcmp(k, "purge") == 0;
		nu += strcmp(k, "upload") == 0;
		if (strcmp(k, "object") == 0) {
			no++;
			bytes += u64(l->v[i].f[1]);
		}
	}
	if (o->json) {
		printf("{\"dry_run\": %s, \"backups_count\": %" PRIu64
		    ", \"objects_count\": %" PRIu64 ", \"bytes\": %" PRIu64
		    ", \"uploads_count\": %" PRIu64, o->dry_run ? "true" :
		    "false", nb, no, bytes, nu);
		json_list(l, "purge", "name", "reason");
		json_list(l, "keep", "name", "reason");
		json_list(l, "object", "size", "key");
		json_list(l, "upload", "initiated", "key");
		fputs("}\n", stdout);
	} else {
		for (i = 0; i < l->n; i++) {
			const struct rrec *r = &l->v[i];

			if (strcmp(r->f[0], "purge") == 0)
				printf("purge: backup '%s' %s: %s\n", r->f[1],
				    verb, r->f[2]);
			else if (strcmp(r->f[0], "keep") == 0)
				printf("purge: backup '%s' kept: %s\n", r->f[1],
				    r->f[2]);
		}
		for (i = 0; i < l->n; i++) {
			const struct rrec *r = &l->v[i];

			if (strcmp(r->f[0], "object") == 0) {
				mf_human(u64(r->f[1]), b, sizeof(b));
				printf("  object %s (%s)\n",
				    rec_quote(r->f[2], q, sizeof(q)), b);
			} else if (strcmp(r->f[0], "upload") == 0)
				printf("  multipart upload %s (started %s)\n",
				    rec_quote(r->f[2], q, sizeof(q)), r->f[1]);
		}
		mf_human(bytes, b, sizeof(b));
		printf("purge: %" PRIu64 " backups, %" PRIu64 " objects, %s, %"
		    PRIu64 " multipart uploads %s%s\n", nb, no, b, nu, verb,
		    o->dry_run ? " (dry run: nothing was deleted)" : "");
	}
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}

/* The records of kind for host, in order: the next from *i, or NULL. */
static const struct rrec *
next_of(const struct rlist *l, const char *kind, const char *host, size_t *i)
{

	for (; *i < l->n; (*i)++)
		if (strcmp(l->v[*i].f[0], kind) == 0 &&
		    strcmp(l->v[*i].f[1], host) == 0)
			return (&l->v[(*i)++]);
	return (NULL);
}

static void
json_table(const struct rrec *t)
{
	const char *p = t->f[5];
	size_t n;
	int first = 1;

	fputs("{\"keyspace\": ", stdout);
	json_put_str(stdout, t->f[3]);
	fputs(", \"table\": ", stdout);
	json_put_str(stdout, t->f[4]);
	fputs(", \"status\": ", stdout);
	json_put_str(stdout, t->f[2]);
	fputs(", \"backup_ids\": [", stdout);
	for (; *p != '\0' && strcmp(p, "-") != 0; p += n + (p[n] == ',')) {
		char id[128];

		n = strcspn(p, ",");
		snprintf(id, sizeof(id), "%.*s", (int)(n < 127 ? n : 127), p);
		fputs(first ? "" : ", ", stdout);
		json_put_str(stdout, id);
		first = 0;
	}
	fputs("], \"live_id\": ", stdout);
	json_put_strn(stdout, strcmp(t->f[6], "-") ? t->f[6] : NULL);
	printf(", \"sstables\": %" PRIu64 ", \"bytes\": %" PRIu64 "}",
	    u64(t->f[7]), u64(t->f[8]));
}

static int
report_restore(const struct mf_opts *o, const struct rlist *l)
{
	uint64_t failed = 0, files = 0, bytes = 0, loaded = 0, tfailed = 0;
	char b[32], q[REC_QUOTE_MAX];
	size_t i, j;
	const struct rrec *t;

	for (i = 0; i < l->n; i++) {
		const struct rrec *r = &l->v[i];

		if (strcmp(r->f[0], "restored") == 0) {
			failed += strcmp(r->f[3], "0") != 0;
			files += u64(r->f[4]);
			bytes += u64(r->f[6]);
		} else if (strcmp(r->f[0], "table") == 0) {
			loaded += strcmp(r->f[2], "loaded") == 0;
			tfailed += strcmp(r->f[2], "failed") == 0;
		}
	}
	if (o->json) {
		fputs("{\"backup\": ", stdout);
		json_put_str(stdout, o->backup);
		fputs(", \"load\": ", stdout);
		json_put_str(stdout, o->mode);
		printf(", \"complete\": %s, \"files\": %" PRIu64 ", \"bytes\": %"
		    PRIu64 ", \"tables_loaded\": %" PRIu64 ", \"schema\": ",
		    failed || tfailed ? "false" : "true", files, bytes, loaded);
		for (i = 0; i < l->n && strcmp(l->v[i].f[0], "schema"); i++)
			;
		if (i < l->n) {
			fputs("{\"host\": ", stdout);
			json_put_str(stdout, l->v[i].f[1]);
			printf(", \"statements\": %" PRIu64 "}",
			    u64(l->v[i].f[2]));
		} else
			fputs("null", stdout);
		fputs(", \"hosts\": [", stdout);
		for (i = 0, j = 0; i < l->n; i++) {
			const struct rrec *r = &l->v[i];
			int first = 1;

			if (strcmp(r->f[0], "restored") != 0)
				continue;
			fputs(j++ ? ",\n  " : "\n  ", stdout);
			fputs("{\"host\": ", stdout);
			json_put_str(stdout, r->f[1]);
			fputs(", \"source\": ", stdout);
			json_put_str(stdout, r->f[2]);
			printf(", \"status\": %" PRIu64 ", \"files\": %" PRIu64
			    ", \"expected_files\": %" PRIu64 ", \"bytes\": %"
			    PRIu64 ", \"kept_files\": %" PRIu64 ", \"error\": ",
			    u64(r->f[3]), u64(r->f[4]), u64(r->f[5]),
			    u64(r->f[6]), u64(r->f[7]));
			json_put_strn(stdout, strcmp(r->f[3], "0") ? r->f[8] :
			    NULL);
			fputs(", \"initial_token\": ", stdout);
			j = 0;
			t = next_of(l, "tokens", r->f[1], &j);
			json_put_strn(stdout, t != NULL ? t->f[2] : NULL);
			fputs(", \"not_restored\": [", stdout);
			for (j = 0; (t = next_of(l, "failed", r->f[1], &j)) !=
			    NULL; first = 0) {
				fputs(first ? "{\"path\": " : ", {\"path\": ",
				    stdout);
				mf_put_path(stdout, t->f[3]);
				fputs(", \"status\": ", stdout);
				json_put_str(stdout, t->f[2]);
				putchar('}');
			}
			first = 1;
			fputs("], \"tables\": [", stdout);
			for (j = 0; (t = next_of(l, "table", r->f[1], &j)) != NULL;
			    first = 0) {
				fputs(first ? "\n    " : ",\n    ", stdout);
				json_table(t);
			}
			fputs(first ? "]}" : "\n  ]}", stdout);
		}
		fputs("\n]}\n", stdout);
		return (fflush(stdout) != 0 ? EX_FAILURE : 0);
	}
	for (i = 0; i < l->n; i++) {
		const struct rrec *r = &l->v[i];

		if (strcmp(r->f[0], "schema") == 0)
			printf("%s: schema applied (%s statements, CREATE ... "
			    "IF NOT EXISTS)\n", r->f[1], r->f[2]);
		if (strcmp(r->f[0], "restored") != 0)
			continue;
		mf_human(u64(r->f[6]), b, sizeof(b));
		printf("%s: %s of %s files, %s restored and verified", r->f[1],
		    r->f[4], r->f[5], b);
		if (u64(r->f[7]) > 0)
			printf(" (%s kept from an earlier run)", r->f[7]);
		if (strcmp(r->f[1], r->f[2]) != 0)
			printf(" from host %s of the backup", r->f[2]);
		putchar('\n');
		for (j = 0; (t = next_of(l, "failed", r->f[1], &j)) != NULL; )
			printf("%s: not restored: %s (%s)\n", r->f[1],
			    rec_quote(t->f[3], q, sizeof(q)), t->f[2]);
		j = 0;
		if ((t = next_of(l, "tokens", r->f[1], &j)) != NULL)
			printf("%s: initial_token: %s\n", r->f[1], t->f[2]);
		for (j = 0; (t = next_of(l, "table", r->f[1], &j)) != NULL; ) {
			mf_human(u64(t->f[8]), b, sizeof(b));
			printf("%s: %s.%s: %s", r->f[1], t->f[3], t->f[4],
			    t->f[2]);
			if (strcmp(t->f[2], "loaded") == 0)
				printf(", %s sstables, %s", t->f[7], b);
			if (strcmp(t->f[6], "-") != 0 &&
			    strcmp(t->f[5], t->f[6]) != 0)
				printf(" (backup id %s, live id %s)", t->f[5],
				    t->f[6]);
			putchar('\n');
		}
		if (strcmp(r->f[3], "0") != 0)
			printf("%s: FAILED: %s\n", r->f[1], r->f[8]);
	}
	mf_human(bytes, b, sizeof(b));
	printf("restore: backup '%s': %" PRIu64 " files, %s", o->backup, files,
	    b);
	if (strcmp(o->mode, "none") != 0)
		printf("; --load %s: %" PRIu64 " tables loaded%s", o->mode,
		    loaded, tfailed ? ", SOME FAILED" : "");
	printf("; %s\n", failed || tfailed ? "INCOMPLETE" : "complete");
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}

int
mf_report(const struct mf_opts *o, const char *what)
{
	struct rlist l;
	int rc;

	memset(&l, 0, sizeof(l));
	if ((rc = rlist_read(&l, o->nul)) == 0)
		rc = strcmp(what, "verify") == 0 ? report_verify(o, &l) :
		    strcmp(what, "restore") == 0 ? report_restore(o, &l) :
		    report_purge(o, &l);
	rlist_free(&l);
	return (rc);
}
