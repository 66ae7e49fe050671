/*
 * cb-manifest plan: what a backup run does, decided from the manifest of
 * the backup of the same name (if one exists) and the run's settings.
 *
 * The rule (cassandra-backups(1)): a backup is named after its UTC day, or
 * as --backup-name says (--named).  A second run on the same day with the
 * same hosts, keyspaces and table adds to that backup: nodes with a
 * manifest in it run incrementally from that manifest, the others take a
 * snapshot.  A backup of the day's name with other settings, of another
 * format, or --new-snapshot (or --full) gives the run a name of its own
 * (--alt-name), so that no backup is ever overwritten.  An explicit name
 * is used once: a rerun adds to it only while it is incomplete (which
 * completes it); a complete one, or one of other settings, is refused.
 *
 * A node that takes a snapshot refers to the newest node manifest of the
 * same host in another backup of the catalog (--catalog), unless --full:
 * the node reuses the objects of its unchanged files (cb-manifest reuse).
 *
 * The keys of the manifests are made here too (cb-manifest(5)):
 *	BASE/NAME/manifest.json			the cluster manifest
 *	BASE/NAME/HOST/manifest-RUN.json	a node manifest
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

char *
mf_cluster_key(const char *base, const char *name)
{
	char *k;

	if (asprintf(&k, "%s/%s/manifest.json", base, name) < 0)
		return (NULL);
	return (k);
}

char *
mf_node_key(const char *base, const char *name, const char *host,
    const char *run)
{
	char *k;

	if (asprintf(&k, "%s/%s/%s/manifest-%s.json", base, name, host,
	    run) < 0)
		return (NULL);
	return (k);
}

/* 1 if the comma-separated list equals the manifest's array. */
static int
same_list(struct json_doc *d, yaml_node_t *seq, const char *list)
{
	const char *p = list != NULL ? list : "", *e;
	size_t i = 0, len;
	const char *s;

	if (json_is_null(seq) || json_len(seq) == 0)
		return (*p == '\0');
	for (; *p != '\0'; p = *e ? e + 1 : e, i++) {
		e = strchr(p, ',');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if (e == NULL)
			e = p + len;
		if (i >= json_len(seq) ||
		    (s = json_str(json_item(d, seq, i))) == NULL ||
		    strlen(s) != len || memcmp(s, p, len) != 0)
			return (0);
	}
	return (i == json_len(seq));
}

/* 1 if the previous backup may be added to by this run. */
static int
same_settings(const struct mf_opts *o, struct json_doc *d)
{
	yaml_node_t *root = json_root(d);

	if (strcmp(json_get_str(d, root, "format", ""), MF_CLUSTER_FORMAT))
		return (0);
	return (same_list(d, json_get(d, root, "hosts"), o->hosts) &&
	    same_list(d, json_get(d, root, "keyspaces"), o->keyspaces) &&
	    strcmp(json_get_str(d, root, "table", ""),
	    o->table != NULL ? o->table : "") == 0);
}

/*
 * An explicit name that exists: 0 if the run may add to it (it is
 * incomplete, with these settings: the rerun completes it), else
 * EX_CANTCREAT, reported.
 */
static int
named_taken(const struct mf_opts *o, struct json_doc *d)
{
	yaml_node_t *root = json_root(d);

	if (!same_settings(o, d)) {
		warn0("backup '%s' exists with other hosts, keyspaces or table "
		    "(or in another format); choose another --backup-name",
		    o->backup);
		return (EX_CANTCREAT);
	}
	if (strcmp(json_get_str(d, root, "complete", ""), "true") == 0) {
		warn0("backup '%s' exists and is complete; a name is used "
		    "once: choose another --backup-name", o->backup);
		return (EX_CANTCREAT);
	}
	return (0);
}

/* The key of host's last good node manifest in d, or NULL. */
static const char *
prev_key(struct json_doc *d, const char *host)
{
	yaml_node_t *nodes = json_get(d, json_root(d), "nodes"), *e;
	size_t i;

	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		if (strcmp(json_get_str(d, e, "host", ""), host) == 0)
			return (json_get_str(d, e, "manifest", NULL));
	}
	return (NULL);
}

/*
 * name NAME, manifest KEY, then per host
 * host HOST KIND PREVIOUS-NODE-MANIFEST-or-"-" NEW-NODE-MANIFEST REFERENCE
 * where REFERENCE is the node manifest a snapshot run refers to, or "-".
 */
static int
put_plan(const struct mf_opts *o, struct json_doc *prev, int add,
    const struct mf_catalog *cat)
{
	const char *f[6], *key, *ref, *name = add ? o->backup : o->alt_name;
	char *hl, *tok, *save = NULL, *k;
	int rc = 0;

	f[0] = "name";
	f[1] = name;
	if (rec_write(stdout, 0, 2, f) != 0 ||
	    (k = mf_cluster_key(o->base_path, name)) == NULL)
		return (EX_FAILURE);
	f[0] = "manifest";
	f[1] = k;
	rc = rec_write(stdout, 0, 2, f);
	free(k);
	if (rc != 0 || (hl = strdup(o->hosts)) == NULL)
		return (EX_FAILURE);
	for (tok = strtok_r(hl, ",", &save); tok != NULL && rc == 0;
	    tok = strtok_r(NULL, ",", &save)) {
		key = add && prev != NULL ? prev_key(prev, tok) : NULL;
		if (key != NULL && *key == '\0')
			key = NULL;
		ref = key == NULL && !o->full ?
		    mf_catalog_reference(cat, tok, o->backup, o->alt_name) :
		    NULL;
		if ((k = mf_node_key(o->base_path, name, tok, o->run)) == NULL)
			rc = EX_FAILURE;
		f[0] = "host";
		f[1] = tok;
		f[2] = key != NULL ? "incremental" : "full";
		f[3] = key != NULL ? key : "-";
		f[4] = k;
		f[5] = ref != NULL ? ref : "-";
		if (rc == 0 && rec_write(stdout, 0, 6, f) != 0)
			rc = EX_FAILURE;
		free(k);
	}
	free(hl);
	return (rc);
}

/* cb-manifest keys: backup names on stdin -> NAME TAB CLUSTER-KEY. */
int
mf_keys(const struct mf_opts *o)
{
	struct rec_reader *r;
	const char *f[2];
	char *fl[1], *k;
	int rc;

	if ((r = rec_reader_new(stdin, o->nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_next(r, 1, fl)) == 1) {
		if ((k = mf_cluster_key(o->base_path, fl[0])) == NULL) {
			rc = -2;
			break;
		}
		f[0] = fl[0];
		f[1] = k;
		rc = rec_write(stdout, o->nul, 2, f);
		free(k);
		if (rc != 0) {
			rc = -2;
			break;
		}
	}
	rec_reader_free(r);
	if (rc == -2)
		return (EX_FAILURE);
	if (rc < 0)
		return (EX_DATAERR);
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}

int
mf_plan(const struct mf_opts *o)
{
	struct mf_catalog *cat = NULL;
	struct json_doc *prev = NULL;
	FILE *f;
	int add = 0, rc;

	if (o->catalog != NULL && !o->full &&
	    (rc = mf_catalog_open(o->catalog, &cat)) != 0)
		return (rc);

	if (o->previous != NULL) {
		if ((f = fopen(o->previous, "r")) == NULL) {
			warnp("cannot open '%s'", o->previous);
			return (EX_FAILURE);
		}
		prev = json_load(f, o->previous);
		fclose(f);
		if (prev == NULL || json_root(prev)->type != YAML_MAPPING_NODE) {
			warn0("cannot read '%s': the manifest of backup '%s' is "
			    "damaged; refusing to plan over it", o->previous,
			    o->backup);
			json_free(prev);
			mf_catalog_free(cat);
			return (EX_DATAERR);
		}
		if (o->named && (rc = named_taken(o, prev)) != 0) {
			json_free(prev);
			mf_catalog_free(cat);
			return (rc);
		}
		add = o->named || (!o->new_snapshot && !o->full &&
		    same_settings(o, prev));
	} else
		add = 1;
	rc = put_plan(o, prev, add, cat);
	json_free(prev);
	mf_catalog_free(cat);
	if (rc == 0 && fflush(stdout) != 0)
		rc = EX_FAILURE;
	return (rc);
}
