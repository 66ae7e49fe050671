/* cb-manifest info, summary. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

/* A sequence of scalars joined by commas into buf (malloc'd). */
static char *
joined(struct json_doc *d, yaml_node_t *seq)
{
	size_t i, len = 1;
	char *s;

	for (i = 0; i < json_len(seq); i++)
		if (json_str(json_item(d, seq, i)) != NULL)
			len += strlen(json_str(json_item(d, seq, i))) + 1;
	if ((s = calloc(1, len)) == NULL)
		return (NULL);
	for (i = 0; i < json_len(seq); i++) {
		if (json_str(json_item(d, seq, i)) == NULL)
			continue;
		if (*s != '\0')
			strcat(s, ",");
		strcat(s, json_str(json_item(d, seq, i)));
	}
	return (s);
}

static struct json_doc *
load(void)
{
	struct json_doc *d;

	if ((d = json_load(stdin, "stdin")) == NULL)
		return (NULL);
	if (json_root(d)->type != YAML_MAPPING_NODE ||
	    json_get_str(d, json_root(d), "name", NULL) == NULL) {
		warn0("cannot read 'stdin': not a backup manifest");
		json_free(d);
		return (NULL);
	}
	return (d);
}

static int
is_v1(struct json_doc *d)
{

	return (strcmp(json_get_str(d, json_root(d), "format", ""),
	    MF_CLUSTER_FORMAT) == 0);
}

static void
kv(const char *k, const char *v)
{
	const char *f[2] = { k, v != NULL ? v : "" };

	rec_write(stdout, 0, 2, f);
}

int
mf_info(const struct mf_opts *o)
{
	struct json_doc *d;
	yaml_node_t *root, *nodes, *e;
	const char *f[4];
	char *hosts, *ks;
	size_t i;

	if ((d = load()) == NULL)
		return (EX_DATAERR);
	root = json_root(d);
	hosts = joined(d, json_get(d, root, "hosts"));
	ks = joined(d, json_get(d, root, "keyspaces"));
	kv("format", is_v1(d) ? "cluster 1" : mf_is_purged(d) ? "purged" :
	    "seed");
	kv("name", json_get_str(d, root, "name", ""));
	kv("base_path", json_get_str(d, root, "base_path", ""));
	kv("hosts", hosts);
	kv("keyspaces", ks);
	kv("table", json_get_str(d, root, "table", ""));
	kv("complete", !is_v1(d) ? "unknown" :
	    json_get_str(d, root, "complete", "false"));
	nodes = json_get(d, root, "nodes");
	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		f[0] = "node";
		f[1] = json_get_str(d, e, "host", "");
		f[2] = json_get_str(d, e, "status", "missing");
		f[3] = json_get_str(d, e, "manifest", "-");
		rec_write(stdout, 0, 4, f);
	}
	free(hosts);
	free(ks);
	json_free(d);
	(void)o;
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}

/* totals' added_WHAT; WHAT itself in manifests from before it. */
static uint64_t
added(struct json_doc *d, yaml_node_t *tot, const char *what)
{
	char k[32];

	snprintf(k, sizeof(k), "added_%s", what);
	return (json_get_u64(d, tot, k, json_get_u64(d, tot, what, 0)));
}

/* "1 full + 2 incremental": the runs by kind, in the order they came. */
static void
put_kinds(FILE *out, struct json_doc *d, yaml_node_t *runs)
{
	const char *k, *seen[8];
	size_t i, j, n, ns = 0;

	for (i = 0; i < json_len(runs); i++) {
		k = json_get_str(d, json_item(d, runs, i), "kind", "?");
		for (j = 0; j < ns && strcmp(seen[j], k) != 0; j++)
			;
		if (j < ns || ns == 8)
			continue;
		seen[ns++] = k;
		for (n = 0, j = i; j < json_len(runs); j++)
			n += strcmp(json_get_str(d, json_item(d, runs, j),
			    "kind", "?"), k) == 0;
		fprintf(out, "%s%zu %s", ns > 1 ? " + " : "", n, k);
	}
}

static void
summary_json(FILE *out, struct json_doc *d, yaml_node_t *root, int v1)
{
	yaml_node_t *tot = json_get(d, root, "totals");
	yaml_node_t *runs = json_get(d, root, "runs"), *nodes, *e;
	char *hosts = joined(d, json_get(d, root, "hosts"));
	char *ks = joined(d, json_get(d, root, "keyspaces"));
	size_t i;

	fputs("{\"name\": ", out);
	json_put_str(out, json_get_str(d, root, "name", ""));
	fprintf(out, ", \"format\": \"%s\", \"complete\": %s, \"hosts\": ",
	    v1 ? "cassandra-backups 1" : "seed", !v1 ? "null" :
	    strcmp(json_get_str(d, root, "complete", ""), "true") == 0 ?
	    "true" : "false");
	mf_put_list(out, hosts);
	fputs(", \"keyspaces\": ", out);
	mf_put_list(out, ks);
	fputs(", \"table\": ", out);
	json_put_str(out, json_get_str(d, root, "table", ""));
	fprintf(out, ", \"files\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"stored_bytes\": %" PRIu64 ", \"added_files\": %" PRIu64
	    ", \"added_bytes\": %" PRIu64 ", \"added_stored_bytes\": %"
	    PRIu64 ", \"runs\": [",
	    json_get_u64(d, tot, "files", 0), json_get_u64(d, tot, "bytes", 0),
	    json_get_u64(d, tot, "stored_bytes", 0), added(d, tot, "files"),
	    added(d, tot, "bytes"), added(d, tot, "stored_bytes"));
	for (i = 0; i < json_len(runs); i++) {
		e = json_item(d, runs, i);
		fputs(i ? ", {\"run\": " : "{\"run\": ", out);
		json_put_str(out, json_get_str(d, e, "run", ""));
		fputs(", \"kind\": ", out);
		json_put_str(out, json_get_str(d, e, "kind", ""));
		fputs("}", out);
	}
	fputs("], \"nodes\": [", out);
	nodes = json_get(d, root, "nodes");
	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		fputs(i ? ", {\"host\": " : "{\"host\": ", out);
		json_put_str(out, json_get_str(d, e, "host", ""));
		fputs(", \"status\": ", out);
		json_put_str(out, json_get_str(d, e, "status", ""));
		fputs(", \"error\": ", out);
		json_put_strn(out, json_get_str(d, e, "error", NULL));
		fputs("}", out);
	}
	fputs("]}\n", out);
	free(hosts);
	free(ks);
}

static void
summary_line(FILE *out, struct json_doc *d, yaml_node_t *root, int v1)
{
	yaml_node_t *tot = json_get(d, root, "totals");
	yaml_node_t *runs = json_get(d, root, "runs"), *nodes, *e;
	char *hosts = joined(d, json_get(d, root, "hosts"));
	char *ks = joined(d, json_get(d, root, "keyspaces"));
	const char *table = json_get_str(d, root, "table", "");
	char b1[32], b2[32], b3[32];
	size_t i;

	fprintf(out, "%s  %s  hosts: %s  keyspaces: %s%s%s",
	    json_get_str(d, root, "name", ""), !v1 ? "seed-format" :
	    strcmp(json_get_str(d, root, "complete", ""), "true") == 0 ?
	    "complete" : "INCOMPLETE", hosts ? hosts : "",
	    ks && *ks ? ks : "all", *table ? "  table: " : "", table);
	if (v1) {
		mf_human(json_get_u64(d, tot, "bytes", 0), b1, sizeof(b1));
		mf_human(json_get_u64(d, tot, "stored_bytes", 0), b2, sizeof(b2));
		mf_human(added(d, tot, "stored_bytes"), b3, sizeof(b3));
		fprintf(out, "  %" PRIu64 " files, %s (%s stored, %s added)  "
		    "runs: ", json_get_u64(d, tot, "files", 0), b1, b2, b3);
		put_kinds(out, d, runs);
	}
	putc('\n', out);
	nodes = json_get(d, root, "nodes");
	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		if (strcmp(json_get_str(d, e, "status", ""), "ok") == 0)
			continue;
		fprintf(out, "    host %s: %s%s%s\n", json_get_str(d, e, "host", ""),
		    json_get_str(d, e, "status", "missing"),
		    json_get_str(d, e, "error", NULL) ? ": " : "",
		    json_get_str(d, e, "error", ""));
	}
	free(hosts);
	free(ks);
}

void
mf_summary_doc(FILE *out, struct json_doc *d, int json)
{

	if (json)
		summary_json(out, d, json_root(d), is_v1(d));
	else
		summary_line(out, d, json_root(d), is_v1(d));
}

int
mf_summary(const struct mf_opts *o)
{
	struct json_doc *d;

	if ((d = load()) == NULL)
		return (EX_DATAERR);
	mf_summary_doc(stdout, d, o->json);
	json_free(d);
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}

/*
 * The topology a node manifest recorded, as the topology records
 * cb-snapshot topology wrote it (cb-records(5)): what a restore onto other
 * machines needs, the tokens above all.
 */
int
mf_topology(const struct mf_opts *o)
{
	static const char *const keys[] = { "host_id", "address",
	    "datacenter", "rack", "cassandra_version", "cluster_name",
	    "partitioner", "schema_version", "num_tokens" };
	struct json_doc *d;
	yaml_node_t *t, *tokens;
	const char *v;
	size_t i;
	int rc;

	(void)o;
	if ((rc = mf_node_doc_read(stdin, "stdin", &d)) != 0)
		return (rc);
	t = json_get(d, json_root(d), "topology");
	if (t == NULL || t->type != YAML_MAPPING_NODE ||
	    json_get_str(d, t, "host_id", NULL) == NULL) {
		warn0("the node manifest records no topology");
		json_free(d);
		return (EX_DATAERR);
	}
	kv("format", "cb-topology 1");
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		kv(keys[i], json_get_str(d, t, keys[i], "-"));
	tokens = json_get(d, t, "tokens");
	for (i = 0; i < json_len(tokens); i++)
		if ((v = json_str(json_item(d, tokens, i))) != NULL)
			kv("token", v);
	json_free(d);
	return (fflush(stdout) != 0 ? EX_FAILURE : 0);
}
