/* cb-manifest merge: node manifests -> the cluster manifest. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bkpath.h"
#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

/* What the cluster manifest says about one node. */
struct node {
	char	*host, *status, *error, *manifest, *run;
	char	*host_id, *dc, *rack, *version;
	char	*kind;		/* of its run, if it ran now */
	uint64_t files, bytes, stored;
	uint64_t added_files, added_bytes, added_stored;
	/* what its last run did: files, stored (uploaded), reused, seconds */
	uint64_t run_files, run_stored, run_reused;
	int64_t	 run_seconds;		/* -1: not recorded */
};

static char *
xdup(const char *s)
{

	return (s != NULL ? strdup(s) : NULL);
}

static void
node_clear(struct node *n)
{

	free(n->host); free(n->status); free(n->error); free(n->manifest);
	free(n->run); free(n->host_id); free(n->dc); free(n->rack);
	free(n->version);
	free(n->kind);
	memset(n, 0, sizeof(*n));
}

/* Fill n from a node manifest file. */
static int
node_from_file(struct node *n, const char *path, const char *key,
    const char *run)
{
	struct json_doc *d;
	yaml_node_t *root, *topo, *tot, *runs;
	int rc;

	if ((rc = mf_node_doc_load(path, &d)) != 0)
		return (rc);
	root = json_root(d);
	topo = json_get(d, root, "topology");
	tot = json_get(d, root, "totals");
	n->status = strdup("ok");
	n->manifest = strdup(key);
	n->run = strdup(run);
	n->host_id = xdup(json_get_str(d, topo, "host_id", NULL));
	n->dc = xdup(json_get_str(d, topo, "datacenter", NULL));
	n->rack = xdup(json_get_str(d, topo, "rack", NULL));
	n->version = xdup(json_get_str(d, topo, "cassandra_version", NULL));
	n->files = json_get_u64(d, tot, "files", 0);
	n->bytes = json_get_u64(d, tot, "bytes", 0);
	n->stored = json_get_u64(d, tot, "stored_bytes", 0);
	/* (manifests before differential backups: all was added) */
	n->added_files = json_get_u64(d, tot, "added_files", n->files);
	n->added_bytes = json_get_u64(d, tot, "added_bytes", n->bytes);
	n->added_stored = json_get_u64(d, tot, "added_stored_bytes",
	    n->stored);
	runs = json_get(d, root, "runs");
	if (json_len(runs) > 0) {
		yaml_node_t *last = json_item(d, runs, json_len(runs) - 1);

		n->kind = xdup(json_get_str(d, last, "kind", NULL));
		n->run_files = json_get_u64(d, last, "files", 0);
		n->run_stored = json_get_u64(d, last, "stored_bytes", 0);
		n->run_reused = json_get_u64(d, last, "reused_bytes", 0);
		n->run_seconds = json_get_i64(d, last, "duration_seconds", -1);
	}
	json_free(d);
	return (0);
}

/* Fill n from the previous cluster manifest's entry for host, if any. */
static void
node_from_prev(struct node *n, struct json_doc *d, const char *host)
{
	yaml_node_t *nodes, *e;
	size_t i;

	if (d == NULL)
		return;
	nodes = json_get(d, json_root(d), "nodes");
	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		if (strcmp(json_get_str(d, e, "host", ""), host) != 0)
			continue;
		n->status = xdup(json_get_str(d, e, "status", NULL));
		n->error = xdup(json_get_str(d, e, "error", NULL));
		n->manifest = xdup(json_get_str(d, e, "manifest", NULL));
		n->run = xdup(json_get_str(d, e, "run", NULL));
		n->host_id = xdup(json_get_str(d, e, "host_id", NULL));
		n->dc = xdup(json_get_str(d, e, "datacenter", NULL));
		n->rack = xdup(json_get_str(d, e, "rack", NULL));
		n->version = xdup(json_get_str(d, e, "cassandra_version", NULL));
		n->files = json_get_u64(d, e, "files", 0);
		n->bytes = json_get_u64(d, e, "bytes", 0);
		n->stored = json_get_u64(d, e, "stored_bytes", 0);
		n->added_files = json_get_u64(d, e, "added_files", n->files);
		n->added_bytes = json_get_u64(d, e, "added_bytes", n->bytes);
		n->added_stored = json_get_u64(d, e, "added_stored_bytes",
		    n->stored);
		n->run_files = json_get_u64(d, e, "run_files", 0);
		n->run_stored = json_get_u64(d, e, "run_stored_bytes", 0);
		n->run_reused = json_get_u64(d, e, "run_reused_bytes", 0);
		n->run_seconds = json_get_i64(d, e, "run_duration_seconds", -1);
		return;
	}
}

static void
put_node(FILE *out, const struct node *n)
{

	fputs("    {\"host\": ", out);
	json_put_str(out, n->host);
	fputs(", \"status\": ", out);
	json_put_strn(out, n->status ? n->status : "missing");
	fputs(", \"error\": ", out);
	json_put_strn(out, n->error);
	fputs(", \"manifest\": ", out);
	json_put_strn(out, n->manifest);
	fputs(", \"run\": ", out);
	json_put_strn(out, n->run);
	fputs(",\n     \"host_id\": ", out);
	json_put_strn(out, n->host_id);
	fputs(", \"datacenter\": ", out);
	json_put_strn(out, n->dc);
	fputs(", \"rack\": ", out);
	json_put_strn(out, n->rack);
	fputs(", \"cassandra_version\": ", out);
	json_put_strn(out, n->version);
	fprintf(out, ",\n     \"files\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"stored_bytes\": %" PRIu64 ",\n     \"added_files\": %"
	    PRIu64 ", \"added_bytes\": %" PRIu64 ", \"added_stored_bytes\": %"
	    PRIu64, n->files, n->bytes, n->stored, n->added_files,
	    n->added_bytes, n->added_stored);
	fprintf(out, ",\n     \"run_files\": %" PRIu64 ", \"run_stored_bytes\": %"
	    PRIu64 ", \"run_reused_bytes\": %" PRIu64
	    ", \"run_duration_seconds\": ", n->run_files, n->run_stored,
	    n->run_reused);
	if (n->run_seconds >= 0)
		fprintf(out, "%" PRId64 "}", n->run_seconds);
	else
		fputs("null}", out);
}

/* Apply one record HOST TAB STATUS TAB KEY TAB FILE-or-REASON. */
static int
apply(struct node *nodes, size_t nn, char **f, const char *run)
{
	struct node fresh;
	size_t i;
	int rc;

	for (i = 0; i < nn; i++)
		if (strcmp(nodes[i].host, f[0]) == 0)
			break;
	if (i == nn) {
		warn0("host '%s' is not one of --hosts", f[0]);
		return (EX_DATAERR);
	}
	if (strcmp(f[1], "ok") != 0) {
		/* The last good manifest stays; the node is incomplete. */
		free(nodes[i].status);
		free(nodes[i].error);
		nodes[i].status = strdup("failed");
		nodes[i].error = strdup(f[3]);
		return (0);
	}
	memset(&fresh, 0, sizeof(fresh));
	fresh.run_seconds = -1;
	fresh.host = strdup(nodes[i].host);
	if ((rc = node_from_file(&fresh, f[3], f[2], run)) != 0) {
		node_clear(&fresh);
		return (rc);
	}
	node_clear(&nodes[i]);
	nodes[i] = fresh;
	return (0);
}

/*
 * The kind of this run: incremental if a node added to its manifest,
 * else differential if a node reused objects of an earlier backup, else
 * full (as --kind says when no node got through).
 */
static const char *
run_kind(const struct mf_opts *o, const struct node *nodes, size_t nn)
{
	const char *k = NULL;
	size_t i;

	for (i = 0; i < nn; i++) {
		if (nodes[i].kind == NULL || nodes[i].run == NULL ||
		    strcmp(nodes[i].run, o->run) != 0)
			continue;
		if (strcmp(nodes[i].kind, "incremental") == 0)
			return ("incremental");
		if (k == NULL || strcmp(nodes[i].kind, "differential") == 0)
			k = nodes[i].kind;
	}
	return (k != NULL ? k : o->kind);
}

static void
put_runs(FILE *out, const struct mf_opts *o, struct json_doc *prev,
    const struct node *nodes, size_t nn)
{
	yaml_node_t *runs = prev ? json_get(prev, json_root(prev), "runs") : 0;
	char now[32];
	size_t i, k;
	time_t t;

	mf_time(o->now, now, sizeof(now));
	fputs("  \"runs\": [\n", out);
	for (i = 0; i < json_len(runs); i++) {
		yaml_node_t *r = json_item(prev, runs, i);

		fputs("    {\"run\": ", out);
		json_put_str(out, json_get_str(prev, r, "run", ""));
		fputs(", \"kind\": ", out);
		json_put_str(out, json_get_str(prev, r, "kind", ""));
		fputs(", \"started\": ", out);
		json_put_strn(out, json_get_str(prev, r, "started", NULL));
		fputs(", \"finished\": ", out);
		json_put_str(out, json_get_str(prev, r, "finished", ""));
		if (json_get_i64(prev, r, "duration_seconds", -1) >= 0)
			fprintf(out, ", \"duration_seconds\": %" PRId64,
			    json_get_i64(prev, r, "duration_seconds", -1));
		fputs(", \"failed_hosts\": [", out);
		yaml_node_t *fh = json_get(prev, r, "failed_hosts");
		for (k = 0; k < json_len(fh); k++) {
			fputs(k ? ", " : "", out);
			json_put_str(out, json_str(json_item(prev, fh, k)) ?
			    json_str(json_item(prev, fh, k)) : "");
		}
		fputs("]},\n", out);
	}
	fputs("    {\"run\": ", out);
	json_put_str(out, o->run);
	fputs(", \"kind\": ", out);
	json_put_str(out, run_kind(o, nodes, nn));
	fputs(", \"started\": ", out);
	json_put_strn(out, o->started);
	fprintf(out, ", \"finished\": \"%s\"", now);
	t = mf_iso_time(o->started);
	if (t >= 0 && o->now >= t)
		fprintf(out, ", \"duration_seconds\": %" PRId64,
		    (int64_t)(o->now - t));
	fputs(", \"failed_hosts\": [", out);
	for (i = 0, k = 0; i < nn; i++) {
		if (nodes[i].status && strcmp(nodes[i].status, "ok") == 0 &&
		    nodes[i].run && strcmp(nodes[i].run, o->run) == 0)
			continue;
		fputs(k++ ? ", " : "", out);
		json_put_str(out, nodes[i].host);
	}
	fputs("]}\n  ],\n", out);
}

static void
put_cluster(FILE *out, const struct mf_opts *o, struct json_doc *prev,
    const struct node *nodes, size_t nn)
{
	uint64_t files = 0, bytes = 0, stored = 0;
	uint64_t afiles = 0, abytes = 0, astored = 0;
	const char *created = NULL;
	char now[32];
	size_t i;
	int complete = 1;

	mf_time(o->now, now, sizeof(now));
	if (prev != NULL)
		created = json_get_str(prev, json_root(prev), "created", NULL);
	for (i = 0; i < nn; i++) {
		if (nodes[i].status == NULL || strcmp(nodes[i].status, "ok"))
			complete = 0;
		files += nodes[i].files;
		bytes += nodes[i].bytes;
		stored += nodes[i].stored;
		afiles += nodes[i].added_files;
		abytes += nodes[i].added_bytes;
		astored += nodes[i].added_stored;
	}
	fprintf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n",
	    MF_CLUSTER_FORMAT, MF_VERSION);
	fputs("  \"name\": ", out);
	json_put_str(out, o->backup);
	fputs(",\n  \"base_path\": ", out);
	json_put_str(out, o->base_path);
	fputs(",\n  \"hosts\": ", out);
	mf_put_list(out, o->hosts);
	fputs(",\n  \"keyspaces\": ", out);
	mf_put_list(out, o->keyspaces);
	fputs(",\n  \"table\": ", out);
	json_put_str(out, o->table ? o->table : "");
	fputs(",\n  \"created\": ", out);
	json_put_str(out, created ? created : now);
	fprintf(out, ",\n  \"updated\": \"%s\",\n  \"complete\": %s,\n",
	    now, complete ? "true" : "false");
	fprintf(out, "  \"totals\": {\"files\": %" PRIu64 ", \"bytes\": %"
	    PRIu64 ", \"stored_bytes\": %" PRIu64 ",\n    \"added_files\": %"
	    PRIu64 ", \"added_bytes\": %" PRIu64 ", \"added_stored_bytes\": %"
	    PRIu64 "},\n", files, bytes, stored, afiles, abytes, astored);
	put_runs(out, o, prev, nodes, nn);
	fputs("  \"nodes\": [", out);
	for (i = 0; i < nn; i++) {
		fputs(i ? ",\n" : "\n", out);
		put_node(out, &nodes[i]);
	}
	fputs("\n  ]\n}\n", out);
}

static int
load_prev(const char *path, struct json_doc **dp)
{
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	*dp = json_load(f, path);
	fclose(f);
	if (*dp == NULL)
		return (EX_DATAERR);
	if (strcmp(json_get_str(*dp, json_root(*dp), "format", ""),
	    MF_CLUSTER_FORMAT) != 0) {
		/* A seed manifest or a foreign one: start afresh. */
		json_free(*dp);
		*dp = NULL;
	}
	return (0);
}

int
mf_merge(const struct mf_opts *o)
{
	struct json_doc *prev = NULL;
	struct rec_reader *r = NULL;
	struct node *nodes = NULL;
	char *f[4], *hl = NULL, *tok, *save = NULL;
	size_t nn = 0, i;
	int rc;

	if (o->previous != NULL && (rc = load_prev(o->previous, &prev)) != 0)
		return (rc);
	rc = EX_FAILURE;
	if ((hl = strdup(o->hosts)) == NULL ||
	    (nodes = calloc(strlen(o->hosts) + 1, sizeof(*nodes))) == NULL)
		goto done;
	for (tok = strtok_r(hl, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		nodes[nn].host = strdup(tok);
		nodes[nn].run_seconds = -1;
		node_from_prev(&nodes[nn], prev, tok);
		nn++;
	}
	if ((r = rec_reader_new(stdin, o->nul, "stdin")) == NULL)
		goto done;
	while ((rc = rec_reader_next(r, 4, f)) == 1)
		if ((rc = apply(nodes, nn, f, o->run)) != 0)
			goto done;
	if (rc < 0) {
		rc = EX_DATAERR;
		goto done;
	}
	put_cluster(stdout, o, prev, nodes, nn);
	rc = fflush(stdout) != 0 ? EX_FAILURE : 0;
done:
	rec_reader_free(r);
	for (i = 0; i < nn; i++)
		node_clear(&nodes[i]);
	free(nodes);
	free(hl);
	json_free(prev);
	return (rc);
}
