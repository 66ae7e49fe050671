/*
 * cb-manifest list, latest: the backups under a base path, from their
 * cluster manifests.  Input records NAME TAB FILE, one per backup, where
 * FILE is its manifest.json fetched by the driver, or "-" when the backup
 * has none (a run that never finished).  Newest first: by the manifest's
 * "created" time, a seed manifest (which has none) by its name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

struct entry {
	char		*name, *file;
	char		 byname[32];	/* sort key made from the name */
	struct json_doc	*doc;		/* NULL: none, or unreadable */
	int		 bad;		/* the manifest could not be read */
	const char	*order;		/* sort key (in doc, or name) */
};

static int
newest_first(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int c;

	if ((c = strcmp(y->order, x->order)) != 0)
		return (c);
	return (strcmp(y->name, x->name));
}

/*
 * The sort key of a backup without a "created" time: the time its name
 * gives (YYYYMMDD, then optionally HHMMSS, as the day names and the seed's
 * are), in the form "created" has; other names sort as the oldest.
 */
static void
name_order(struct entry *e)
{
	const char *n = e->name, *t;
	size_t i;

	for (i = 0; i < 8 && n[i] >= '0' && n[i] <= '9'; i++)
		;
	if (i < 8) {
		snprintf(e->byname, sizeof(e->byname), "0");
		return;
	}
	t = n + 8 + (n[8] == '-' || n[8] == 'T');
	for (i = 0; i < 6 && t[i] >= '0' && t[i] <= '9'; i++)
		;
	if (i < 6)
		t = "000000";
	snprintf(e->byname, sizeof(e->byname),
	    "%.4s-%.2s-%.2sT%.2s:%.2s:%.2sZ", n, n + 4, n + 6, t, t + 2,
	    t + 4);
}

/* Load e's manifest; one that cannot be read marks e bad (reported). */
static void
entry_load(struct entry *e)
{
	FILE *f;

	name_order(e);
	e->order = e->byname;
	if (strcmp(e->file, "-") == 0)
		return;
	if ((f = fopen(e->file, "r")) == NULL) {
		warnp("cannot open '%s'", e->file);
		e->bad = 1;
		return;
	}
	e->doc = json_load(f, e->file);
	fclose(f);
	if (e->doc == NULL || json_root(e->doc)->type != YAML_MAPPING_NODE) {
		warn0("cannot read the manifest of backup '%s'", e->name);
		json_free(e->doc);
		e->doc = NULL;
		e->bad = 1;
		return;
	}
	e->order = json_get_str(e->doc, json_root(e->doc), "created",
	    e->byname);
}

static void
entries_free(struct entry *v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].file);
		json_free(v[i].doc);
	}
	free(v);
}

/* Read and load every record of in, sorted newest first. */
static int
entries_read(FILE *in, const char *name, struct entry **vp, size_t *np)
{
	struct rec_reader *r;
	struct entry *v = NULL, *nv;
	size_t n = 0, cap = 0;
	char *f[2];
	int rc;

	if ((r = rec_reader_new(in, 0, name)) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_next(r, 2, f)) == 1) {
		if (n == cap) {
			cap = cap ? 2 * cap : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				rc = -2;
				break;
			}
			v = nv;
		}
		memset(&v[n], 0, sizeof(v[n]));
		if ((v[n].name = strdup(f[0])) == NULL ||
		    (v[n].file = strdup(f[1])) == NULL) {
			n++;
			rc = -2;
			break;
		}
		entry_load(&v[n++]);
	}
	rec_reader_free(r);
	if (rc != 0) {
		if (rc == -2)
			warnp("cannot allocate");
		entries_free(v, n);
		return (rc == -2 ? EX_FAILURE : EX_DATAERR);
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), newest_first);
	*vp = v;
	*np = n;
	return (0);
}

/* One backup as a JSON object, without a newline. */
static void
list_json(const struct entry *e)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (e->doc == NULL) {
		fputs("{\"name\": ", stdout);
		json_put_str(stdout, e->name);
		printf(", \"format\": null, \"complete\": false, \"note\": "
		    "\"%s\"}", e->bad ? "the manifest cannot be read" :
		    "no manifest.json: the run did not finish");
		return;
	}
	if ((m = open_memstream(&buf, &len)) == NULL)
		return;
	mf_summary_doc(m, e->doc, 1);
	fclose(m);
	while (len > 0 && buf[len - 1] == '\n')
		len--;
	fwrite(buf, 1, len, stdout);
	free(buf);
}

int
mf_list(const struct mf_opts *o)
{
	struct entry *v;
	size_t n, i;
	int rc, bad = 0, first;

	if ((rc = entries_read(stdin, "stdin", &v, &n)) != 0)
		return (rc);
	if (o->json)
		fputs("[", stdout);
	for (i = 0, first = 1; i < n; i++) {
		bad |= v[i].bad;
		/* A purged backup is not one: its tombstone stays only while
		 * later backups name objects under its name. */
		if (mf_is_purged(v[i].doc))
			continue;
		if (o->json) {
			fputs(first ? "\n  " : ",\n  ", stdout);
			first = 0;
			list_json(&v[i]);
		} else if (v[i].doc != NULL)
			mf_summary_doc(stdout, v[i].doc, 0);
		else
			printf("%s  %s\n", v[i].name, v[i].bad ?
			    "UNREADABLE  the manifest cannot be read" :
			    "INCOMPLETE  no manifest.json: the run did not "
			    "finish");
	}
	if (o->json)
		fputs("\n]\n", stdout);
	entries_free(v, n);
	if (fflush(stdout) != 0)
		return (EX_FAILURE);
	return (bad ? EX_DATAERR : 0);
}

/* 1 if every item of the comma-separated list is in seq. */
static int
holds_all(struct json_doc *d, yaml_node_t *seq, const char *list)
{
	const char *p, *e, *s;
	size_t i, len;
	int found;

	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (e == NULL)
			e = p + len;
		for (found = 0, i = 0; i < json_len(seq) && !found; i++)
			found = (s = json_str(json_item(d, seq, i))) != NULL &&
			    strlen(s) == len && memcmp(s, p, len) == 0;
		if (len > 0 && !found)
			return (0);
	}
	return (1);
}

/* 1 if backup e can serve a restore of o's hosts, keyspaces and table. */
static int
covers(const struct mf_opts *o, const struct entry *e)
{
	struct json_doc *d = e->doc;
	yaml_node_t *root = json_root(d), *ks = json_get(d, root, "keyspaces");
	const char *table = json_get_str(d, root, "table", "");

	if (!holds_all(d, json_get(d, root, "hosts"), o->hosts))
		return (0);
	if (o->keyspaces != NULL && *o->keyspaces != '\0' &&
	    !json_is_null(ks) && json_len(ks) > 0 &&
	    !holds_all(d, ks, o->keyspaces))
		return (0);
	if (*table != '\0' && (o->table == NULL || strcmp(o->table, table)))
		return (0);
	return (1);
}

static int
is_complete(const struct entry *e)
{
	yaml_node_t *root = json_root(e->doc);

	if (strcmp(json_get_str(e->doc, root, "format", ""),
	    MF_CLUSTER_FORMAT) != 0)
		return (1);	/* seed format: written when its run ended */
	return (strcmp(json_get_str(e->doc, root, "complete", ""),
	    "true") == 0);
}

int
mf_latest(const struct mf_opts *o)
{
	struct entry *v;
	size_t n, i;
	int rc;

	if ((rc = entries_read(stdin, "stdin", &v, &n)) != 0)
		return (rc);
	rc = EX_NOINPUT;
	for (i = 0; i < n; i++) {
		if (v[i].doc == NULL || mf_is_purged(v[i].doc) ||
		    !covers(o, &v[i]))
			continue;
		if (!is_complete(&v[i])) {
			warn0("skipping backup '%s': it is incomplete (restore "
			    "it by name with --snapshot-name to use it)",
			    v[i].name);
			continue;
		}
		printf("%s\n", v[i].name);
		rc = fflush(stdout) != 0 ? EX_FAILURE : 0;
		break;
	}
	if (rc == EX_NOINPUT)
		warn0("no complete backup holds hosts %s%s%s", o->hosts,
		    o->keyspaces && *o->keyspaces ? " and keyspaces " : "",
		    o->keyspaces && *o->keyspaces ? o->keyspaces : "");
	entries_free(v, n);
	return (rc);
}

/* ---- the catalog as cb-manifest plan reads it ---------------------- */

struct mf_catalog {
	struct entry	*v;
	size_t		 n;
};

int
mf_catalog_open(const char *path, struct mf_catalog **cp)
{
	struct mf_catalog *c;
	FILE *f;
	int rc;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("cannot allocate");
		return (EX_FAILURE);
	}
	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		free(c);
		return (EX_FAILURE);
	}
	rc = entries_read(f, path, &c->v, &c->n);
	fclose(f);
	if (rc != 0) {
		free(c);
		return (rc);
	}
	*cp = c;
	return (0);
}

void
mf_catalog_free(struct mf_catalog *c)
{

	if (c == NULL)
		return;
	entries_free(c->v, c->n);
	free(c);
}

const char *
mf_catalog_reference(const struct mf_catalog *c, const char *host,
    const char *not1, const char *not2)
{
	yaml_node_t *nodes, *e;
	const char *k;
	size_t i, j;

	for (i = 0; c != NULL && i < c->n; i++) {
		struct json_doc *d = c->v[i].doc;

		if (d == NULL || strcmp(c->v[i].name, not1) == 0 ||
		    (not2 != NULL && strcmp(c->v[i].name, not2) == 0) ||
		    strcmp(json_get_str(d, json_root(d), "format", ""),
		    MF_CLUSTER_FORMAT) != 0)
			continue;
		nodes = json_get(d, json_root(d), "nodes");
		for (j = 0; j < json_len(nodes); j++) {
			e = json_item(d, nodes, j);
			if (strcmp(json_get_str(d, e, "host", ""), host) != 0)
				continue;
			k = json_get_str(d, e, "manifest", NULL);
			if (k != NULL && *k != '\0')
				return (k);
		}
	}
	return (NULL);
}

/* ---- cb-manifest purge-plan ----------------------------------------- */

/* The newest object time of each name without a manifest (--ages). */
static int
ages_load(const char *path, struct strset *names, char ***times, size_t *n)
{
	struct rec_reader *r;
	char *f[2], **nv;
	FILE *in;
	long i;
	int rc;

	if ((r = mf_records_open(path, 0, &in)) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_next(r, 2, f)) == 1) {
		if ((i = strset_put(names, f[0], (long)*n)) == -2 ||
		    (i == -1 && ((nv = realloc(*times, (*n + 1) *
		    sizeof(*nv))) == NULL || ((*times = nv),
		    (nv[*n] = strdup(f[1])) == NULL)))) {
			warnp("cannot allocate");
			rc = -2;
			break;
		}
		if (i == -1)
			(*n)++;
	}
	mf_records_close(r, in);
	return (rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR : 0);
}

static void
put_decision(const char *what, const char *name, const char *why)
{
	const char *f[3] = { what, name, why };

	rec_write(stdout, 0, 3, f);
}

/*
 * Which backups a purge removes (cassandra-backups(1), purge): one record
 * per backup, newest first, "purge" or "keep", its name and why.
 */
int
mf_purge_plan(const struct mf_opts *o)
{
	struct strset agenames;
	struct entry *v;
	char **ages = NULL, why[256], when[32];
	size_t n, na = 0, i, kept = 0;
	time_t grace = o->now - (time_t)o->grace_hours * 3600, t;
	time_t older = o->now - (time_t)o->older_days * 86400;
	const char *fmt;
	yaml_node_t *root;
	long ai;
	int rc, complete;

	memset(&agenames, 0, sizeof(agenames));
	if (o->ages != NULL &&
	    (rc = ages_load(o->ages, &agenames, &ages, &na)) != 0)
		goto out;
	if ((rc = entries_read(stdin, "stdin", &v, &n)) != 0)
		goto out;
	for (i = 0; i < n; i++) {
		struct entry *e = &v[i];
		int named = o->name != NULL && strcmp(o->name, e->name) == 0;

		if (e->doc != NULL && mf_is_purged(e->doc)) {
			put_decision("gone", e->name, "purged before; its "
			    "objects go once no backup names them");
			continue;
		}
		/* Every other backup stays, and protects what it names. */
		if (o->name != NULL && !named) {
			put_decision("keep", e->name, "not named");
			continue;
		}
		if (e->bad) {
			put_decision("keep", e->name, "its manifest cannot be "
			    "read (nothing of it is deleted)");
			continue;
		}
		if (e->doc == NULL) {
			/* A run that never wrote its cluster manifest. */
			ai = strset_get(&agenames, e->name);
			t = ai >= 0 ? mf_iso_time(ages[ai]) : -1;
			if (named)
				put_decision("purge", e->name, "named; it has no "
				    "manifest.json (a run that did not finish)");
			else if (t >= 0 && t <= grace) {
				snprintf(why, sizeof(why), "no manifest.json, "
				    "last written %.19s, older than the %d h "
				    "grace", ages[ai], o->grace_hours);
				put_decision("purge", e->name, why);
			} else
				put_decision("keep", e->name, "no manifest.json "
				    "and written within the grace: it may be "
				    "running");
			continue;
		}
		root = json_root(e->doc);
		fmt = json_get_str(e->doc, root, "format", "");
		if (strcmp(fmt, MF_CLUSTER_FORMAT) != 0) {
			/* Seed format: by name or by the day its name gives. */
			t = mf_iso_time(e->byname);
			if (named)
				put_decision("purge", e->name, "named "
				    "(seed-format: every object under its name)");
			else if (o->older_days > 0 && t >= 0 && t < older) {
				snprintf(why, sizeof(why), "seed-format, of "
				    "%.10s, older than %d days", e->byname,
				    o->older_days);
				put_decision("purge", e->name, why);
			} else
				put_decision("keep", e->name, o->older_days > 0 ?
				    "seed-format, not older than that" :
				    "seed-format: purged by name or age only");
			continue;
		}
		complete = is_complete(e);
		t = mf_iso_time(json_get_str(e->doc, root, "created", NULL));
		mf_time(t, when, sizeof(when));
		if (named) {
			put_decision("purge", e->name, "named");
			continue;
		}
		if (!complete) {
			time_t u = mf_iso_time(json_get_str(e->doc, root,
			    "updated", NULL));

			if (u < 0)
				u = t;
			if (u >= 0 && u <= grace) {
				snprintf(why, sizeof(why), "incomplete, last "
				    "run older than the %d h grace",
				    o->grace_hours);
				put_decision("purge", e->name, why);
			} else
				put_decision("keep", e->name, "incomplete, "
				    "within the grace: it may be running or "
				    "about to be completed");
			continue;
		}
		if (o->keep > 0) {
			if (kept < (size_t)o->keep) {
				kept++;
				snprintf(why, sizeof(why), "one of the %d newest "
				    "complete backups", o->keep);
				put_decision("keep", e->name, why);
			} else {
				snprintf(why, sizeof(why), "beyond the %d newest "
				    "complete backups", o->keep);
				put_decision("purge", e->name, why);
			}
			continue;
		}
		if (t >= 0 && t < older) {
			snprintf(why, sizeof(why), "created %s, older than %d "
			    "days", when, o->older_days);
			put_decision("purge", e->name, why);
		} else
			put_decision("keep", e->name, "not older than that");
	}
	entries_free(v, n);
	rc = fflush(stdout) != 0 ? EX_FAILURE : 0;
out:
	for (i = 0; i < na; i++)
		free(ages[i]);
	free(ages);
	strset_free(&agenames);
	return (rc);
}
