/*
 * cb-manifest metrics: the outcome of a cassandra-backups run as a
 * Prometheus text-format file (version 0.0.4), for node_exporter's
 * textfile collector (cb-manifest(1)).  One file serves every command:
 * a run replaces its own command's samples and keeps the others', and
 * the time of the last success of a command survives its failed runs.
 *
 * backup:	stdin is the cluster manifest the run wrote (or nothing, if
 *		it wrote none): the backup's totals, what this run
 *		uploaded and reused, and per node its figures.
 * verify:	stdin is the report records of cb-manifest report verify.
 * others:	stdin is not read.
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "json.h"
#include "manifest.h"
#include "num.h"
#include "records.h"
#include "strbuf.h"
#include "warnp.h"

#define P	"cassandra_backups_"

/* The families, in the order written; owner NULL: one per command. */
static const struct family {
	const char	*name, *owner, *help;
} families[] = {
	{ P "run_success", NULL,
	    "1 if the last run of the command succeeded, 0 if it failed." },
	{ P "run_exit_status", NULL, "Exit status of the last run." },
	{ P "run_timestamp_seconds", NULL, "When the last run ended." },
	{ P "run_duration_seconds", NULL, "How long the last run took." },
	{ P "last_success_timestamp_seconds", NULL,
	    "When the last successful run of the command ended." },
	{ P "backup_files", "backup", "Files of the last backup written." },
	{ P "backup_bytes", "backup", "Bytes of the files of that backup." },
	{ P "backup_stored_bytes", "backup",
	    "Bytes in S3 the backup's files take (compressed)." },
	{ P "backup_uploaded_bytes", "backup",
	    "Bytes the last backup run uploaded (compressed)." },
	{ P "backup_reused_bytes", "backup",
	    "Bytes of files the last backup run reused from earlier backups." },
	{ P "backup_complete", "backup",
	    "1 if the last backup written is complete." },
	{ P "node_success", "backup",
	    "1 if the node's part of the last backup run succeeded." },
	{ P "node_files", "backup", "Files the node's last run stored." },
	{ P "node_uploaded_bytes", "backup",
	    "Bytes the node's last run uploaded (compressed)." },
	{ P "node_reused_bytes", "backup",
	    "Bytes the node's last run reused from earlier backups." },
	{ P "node_stored_bytes", "backup",
	    "Bytes in S3 the node's files of the backup take." },
	{ P "node_duration_seconds", "backup",
	    "How long the node's last run took." },
	{ P "verify_files", "verify", "Files the last verify checked." },
	{ P "verify_bytes", "verify", "Bytes of the files it checked." },
	{ P "verify_defects", "verify", "Defects the last verify found." },
};
#define NFAM	(sizeof(families) / sizeof(families[0]))

/* Samples, as text lines ("name{labels} value"), per family. */
struct samples {
	struct strbuf	 fam[NFAM];
};

static int
family_of(const char *line, size_t len)
{
	size_t i, n;

	for (i = 0; i < NFAM; i++) {
		n = strlen(families[i].name);
		if (len > n && strncmp(line, families[i].name, n) == 0 &&
		    (line[n] == '{' || line[n] == ' '))
			return ((int)i);
	}
	return (-1);
}

/* A label value, escaped as the text format wants. */
static void
put_label(struct strbuf *b, const char *v)
{

	for (; *v != '\0'; v++) {
		if (*v == '\\' || *v == '"')
			strbuf_addc(b, '\\');
		if (*v == '\n')
			strbuf_adds(b, "\\n");
		else
			strbuf_addc(b, *v);
	}
}

static void
add(struct samples *s, int fam, const char *lname, const char *lval,
    const char *value)
{
	struct strbuf *b = &s->fam[fam];

	strbuf_adds(b, families[fam].name);
	if (lname != NULL) {
		strbuf_addc(b, '{');
		strbuf_adds(b, lname);
		strbuf_adds(b, "=\"");
		put_label(b, lval);
		strbuf_adds(b, "\"}");
	}
	strbuf_addc(b, ' ');
	strbuf_adds(b, value);
	strbuf_addc(b, '\n');
}

static void
addu(struct samples *s, int fam, const char *lname, const char *lval,
    uint64_t v)
{
	char n[32];

	snprintf(n, sizeof(n), "%" PRIu64, v);
	add(s, fam, lname, lval, n);
}

static int
fam(const char *name)
{
	size_t i;

	for (i = 0; i < NFAM; i++)
		if (strcmp(families[i].name + strlen(P), name) == 0)
			return ((int)i);
	abort();
}

/*
 * The previous file's samples that this run leaves: other commands'.
 * The last success of this command is kept too if this run failed.
 * A file that is missing is no error; one that is not ours is ignored
 * line by line (only our families are read).
 */
static void
keep_previous(struct samples *s, const struct mf_opts *o)
{
	char *line = NULL, label[160];
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int i, own;

	if (o->previous == NULL || (f = fopen(o->previous, "r")) == NULL)
		return;
	snprintf(label, sizeof(label), "{command=\"%s\"}", o->command);
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] != '\n' || (i = family_of(line, (size_t)n)) < 0)
			continue;
		if (families[i].owner != NULL)
			own = strcmp(families[i].owner, o->command) == 0;
		else
			own = strstr(line, label) == line +
			    strlen(families[i].name);
		if (own && !(o->status != 0 &&
		    strcmp(families[i].name, P "last_success_timestamp_seconds")
		    == 0))
			continue;
		strbuf_add(&s->fam[i], line, (size_t)n);
	}
	free(line);
	fclose(f);
}

static int
from_manifest(struct samples *s)
{
	struct json_doc *d;
	yaml_node_t *root, *tot, *nodes, *e;
	uint64_t up = 0, re = 0;
	const char *host;
	size_t i;
	int c;

	if ((c = getc(stdin)) == EOF)
		return (0);		/* no manifest written */
	ungetc(c, stdin);
	if ((d = json_load(stdin, "stdin")) == NULL)
		return (EX_DATAERR);
	root = json_root(d);
	if (strcmp(json_get_str(d, root, "format", ""), MF_CLUSTER_FORMAT)) {
		warn0("cannot read 'stdin': not a cluster manifest");
		json_free(d);
		return (EX_DATAERR);
	}
	tot = json_get(d, root, "totals");
	nodes = json_get(d, root, "nodes");
	for (i = 0; i < json_len(nodes); i++) {
		e = json_item(d, nodes, i);
		host = json_get_str(d, e, "host", "");
		addu(s, fam("node_success"), "host", host, strcmp(json_get_str(d,
		    e, "status", ""), "ok") == 0);
		addu(s, fam("node_files"), "host", host,
		    json_get_u64(d, e, "run_files", 0));
		addu(s, fam("node_uploaded_bytes"), "host", host,
		    json_get_u64(d, e, "run_stored_bytes", 0));
		addu(s, fam("node_reused_bytes"), "host", host,
		    json_get_u64(d, e, "run_reused_bytes", 0));
		addu(s, fam("node_stored_bytes"), "host", host,
		    json_get_u64(d, e, "stored_bytes", 0));
		if (json_get_i64(d, e, "run_duration_seconds", -1) >= 0)
			addu(s, fam("node_duration_seconds"), "host", host,
			    (uint64_t)json_get_i64(d, e,
			    "run_duration_seconds", -1));
		up += json_get_u64(d, e, "run_stored_bytes", 0);
		re += json_get_u64(d, e, "run_reused_bytes", 0);
	}
	addu(s, fam("backup_files"), NULL, NULL, json_get_u64(d, tot, "files",
	    0));
	addu(s, fam("backup_bytes"), NULL, NULL, json_get_u64(d, tot, "bytes",
	    0));
	addu(s, fam("backup_stored_bytes"), NULL, NULL, json_get_u64(d, tot,
	    "stored_bytes", 0));
	addu(s, fam("backup_uploaded_bytes"), NULL, NULL, up);
	addu(s, fam("backup_reused_bytes"), NULL, NULL, re);
	addu(s, fam("backup_complete"), NULL, NULL, strcmp(json_get_str(d,
	    root, "complete", "false"), "true") == 0);
	json_free(d);
	return (0);
}

/* verify: node TAB HOST TAB FILES TAB BYTES, defect TAB ... records. */
static int
from_verify(struct samples *s, const struct mf_opts *o)
{
	struct rec_reader *r;
	uint64_t files = 0, bytes = 0, defects = 0, v;
	char *rec, *f[4];
	size_t len;
	int rc;

	if ((r = rec_reader_new(stdin, o->nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_raw(r, &rec, &len)) == 1) {
		if (strncmp(rec, "defect\t", 7) == 0) {
			defects++;
			continue;
		}
		if (strncmp(rec, "node\t", 5) != 0 || rec_split(rec, 4, f) != 0)
			continue;
		files += num_parse_u64(f[2], 0, UINT64_MAX, &v) == 0 ? v : 0;
		bytes += num_parse_u64(f[3], 0, UINT64_MAX, &v) == 0 ? v : 0;
	}
	rec_reader_free(r);
	if (rc < 0)
		return (EX_DATAERR);
	addu(s, fam("verify_files"), NULL, NULL, files);
	addu(s, fam("verify_bytes"), NULL, NULL, bytes);
	addu(s, fam("verify_defects"), NULL, NULL, defects);
	return (0);
}

int
mf_metrics(const struct mf_opts *o)
{
	struct samples s;
	struct strbuf out = STRBUF_INIT;
	struct atomicfile *f;
	time_t t0 = mf_iso_time(o->started);
	size_t i;
	int rc = 0;

	if (strcmp(o->command, "backup") && strcmp(o->command, "verify") &&
	    strcmp(o->command, "purge") && strcmp(o->command, "restore")) {
		warn0("invalid --command '%s': expected backup, verify, purge "
		    "or restore", o->command);
		return (EX_USAGE);
	}
	if (t0 < 0) {
		warn0("invalid --started '%s': expected YYYY-MM-DDTHH:MM:SS",
		    o->started);
		return (EX_USAGE);
	}
	memset(&s, 0, sizeof(s));
	keep_previous(&s, o);
	addu(&s, fam("run_success"), "command", o->command, o->status == 0);
	addu(&s, fam("run_exit_status"), "command", o->command,
	    (uint64_t)o->status);
	addu(&s, fam("run_timestamp_seconds"), "command", o->command,
	    (uint64_t)o->now);
	addu(&s, fam("run_duration_seconds"), "command", o->command,
	    o->now > t0 ? (uint64_t)(o->now - t0) : 0);
	if (o->status == 0)
		addu(&s, fam("last_success_timestamp_seconds"), "command",
		    o->command, (uint64_t)o->now);
	if (strcmp(o->command, "backup") == 0)
		rc = from_manifest(&s);
	else if (strcmp(o->command, "verify") == 0)
		rc = from_verify(&s, o);
	for (i = 0; rc == 0 && i < NFAM; i++) {
		if (s.fam[i].len == 0)
			continue;
		strbuf_adds(&out, "# HELP ");
		strbuf_adds(&out, families[i].name);
		strbuf_addc(&out, ' ');
		strbuf_adds(&out, families[i].help);
		strbuf_adds(&out, "\n# TYPE ");
		strbuf_adds(&out, families[i].name);
		strbuf_adds(&out, " gauge\n");
		strbuf_add(&out, s.fam[i].s, s.fam[i].len);
	}
	for (i = 0; i < NFAM; i++)
		strbuf_free(&s.fam[i]);
	if (rc == 0 && strbuf_failed(&out)) {
		warnp("cannot allocate");
		rc = EX_FAILURE;
	}
	if (rc == 0) {
		rc = EX_FAILURE;
		if ((f = atomicfile_new(AT_FDCWD, o->output ? o->output : "-",
		    0)) != NULL && atomicfile_write(f, out.s ? out.s : "",
		    out.len) == 0 && atomicfile_commit(f) == 0)
			rc = 0;
		atomicfile_free(f);
	}
	strbuf_free(&out);
	return (rc);
}
