/*
 * cb-snapshot: the nodetool and cqlsh side of a backup.  Subcommands
 * create and clear a tagged snapshot, flush memtables, and capture the
 * node's schema and topology (host id, datacenter, rack, tokens, version).
 */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cassconf.h"
#include "casspath.h"
#include "casstool.h"
#include "cqlsh.h"
#include "node.h"
#include "nodetool.h"
#include "proc.h"
#include "records.h"
#include "warnp.h"

#define MAXKS	64

struct opts {
	struct casstool	 tool;		/* bindir, JMX login, verbose */
	const char	*confdir;
	const char	*cmd;
	const char	*tag;
	const char	*table;
	struct cqlsh_opts cq;		/* the schema's cqlsh */
	const char	*uploaded;
	const char	*restore_dir;
	char		*kslist;
	char		*ks[MAXKS];
	size_t		 nks;
	int		 skip_flush;
	int		 internals;
	int		 nul;
	int		 reuse;
	int		 quiet;
	int		 verbose;
};

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: cb-snapshot [-qv] [--cassandra-tools-bin-dir DIR] "
	    "[--cassandra-conf-path DIR]\n"
	    "                   [--jmx-user USER --jmx-password-file FILE]\n"
	    "                   create -t TAG [--keyspaces KS,...] "
	    "[--table T] [--skip-flush] [--reuse]\n"
	    "       cb-snapshot [options] clear -t TAG [--keyspaces KS,...]\n"
	    "       cb-snapshot [options] flush [--keyspaces KS,...] "
	    "[--table T]\n"
	    "       cb-snapshot [options] schema [-t TAG] [--with-internals]\n"
	    "                   [--cqlsh-user USER] "
	    "[--cqlsh-password-file FILE]\n"
	    "                   [--cqlsh-ssl] [--cqlsh-certfile FILE] "
	    "[--[no-]cqlsh-validate]\n"
	    "                   [--cqlsh-usercert FILE [--cqlsh-userkey FILE]] "
	    "[--cqlsh-cqlshrc FILE]\n"
	    "       cb-snapshot [options] topology\n"
	    "       cb-snapshot [options] [-0] prune-backups --uploaded FILE\n"
	    "       cb-snapshot [options] check-restore-dir --restore-dir DIR\n"
	    "       cb-snapshot -h | -V\n");
}

/* A snapshot tag: [A-Za-z0-9_-]+ (what nodetool snapshot -t takes). */
static int
tag_ok(const char *s)
{
	size_t n = strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-");

	return (n > 0 && s[n] == '\0');
}

/* Per-command checks of the options given. */
static int
check_opts(struct opts *o)
{
	const char *c = o->cmd;
	int snap = strcmp(c, "create") == 0, clear = strcmp(c, "clear") == 0;

	if (!snap && !clear && strcmp(c, "flush") != 0 &&
	    strcmp(c, "schema") != 0 && strcmp(c, "topology") != 0 &&
	    strcmp(c, "prune-backups") != 0 &&
	    strcmp(c, "check-restore-dir") != 0) {
		warn0("unknown command '%s'", c);
		return (-1);
	}
	if ((strcmp(c, "check-restore-dir") == 0) != (o->restore_dir != NULL)) {
		warn0("--restore-dir goes with check-restore-dir, which needs "
		    "it");
		return (-1);
	}
	if ((snap || clear) && o->tag == NULL) {
		warn0("%s needs -t TAG", c);
		return (-1);
	}
	if (o->tag != NULL && !tag_ok(o->tag)) {
		warn0("invalid snapshot tag '%s': expected letters, digits, "
		    "'_' and '-'", o->tag);
		return (-1);
	}
	if (o->table != NULL &&
	    (!casspath_is_word(o->table, strlen(o->table)) || o->nks == 0 ||
	    (!snap && strcmp(c, "flush") != 0))) {
		warn0("--table takes one table name, with --keyspaces, for "
		    "create and flush");
		return (-1);
	}
	if ((cqlsh_opts_given(&o->cq) || o->internals) &&
	    strcmp(c, "schema") != 0) {
		warn0("the --cqlsh options and --with-internals are for schema");
		return (-1);
	}
	if (cqlsh_opts_check(&o->cq) != 0)
		return (-1);
	if ((o->uploaded != NULL) != (strcmp(c, "prune-backups") == 0) ||
	    (o->nul && strcmp(c, "prune-backups") != 0)) {
		warn0("prune-backups takes --uploaded FILE (and -0), and only "
		    "it does");
		return (-1);
	}
	if ((o->tool.jmx_user == NULL) != (o->tool.jmx_pwfile == NULL)) {
		warn0("--jmx-user and --jmx-password-file go together");
		return (-1);
	}
	if ((o->skip_flush || o->reuse) && !snap) {
		warn0("--skip-flush and --reuse are for create");
		return (-1);
	}
	if (o->nks > 0 && !snap && !clear && strcmp(c, "flush") != 0) {
		warn0("--keyspaces is for create, clear and flush");
		return (-1);
	}
	return (0);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cassandra-tools-bin-dir", required_argument, NULL, 'B' },
		{ "cassandra-conf-path", required_argument, NULL, 'C' },
		{ "tag", required_argument, NULL, 't' },
		{ "keyspaces", required_argument, NULL, 'k' },
		{ "table", required_argument, NULL, 'T' },
		{ "skip-flush", no_argument, NULL, 'f' },
		{ "reuse", no_argument, NULL, 'r' },
		CQLSH_LONGOPTS,
		{ "jmx-user", required_argument, NULL, 'J' },
		{ "with-internals", no_argument, NULL, 'I' },
		{ "uploaded", required_argument, NULL, 'L' },
		{ "restore-dir", required_argument, NULL, 'R' },
		{ "jmx-password-file", required_argument, NULL, 'W' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, r;

	while ((ch = getopt_long(argc, argv, "0t:qvhV", longopts, NULL)) != -1) {
		if ((r = cqlsh_opts_set(&o->cq, ch, optarg)) <= 0) {
			if (r < 0)
				return (EX_USAGE);
			continue;
		}
		switch (ch) {
		case 'B': o->tool.bindir = optarg; break;
		case 'C':
			if (casstool_set_confdir(optarg, &o->confdir) != 0)
				return (EX_FAILURE);
			break;
		case 't': o->tag = optarg; break;
		case 'k': o->kslist = optarg; break;
		case 'T': o->table = optarg; break;
		case 'f': o->skip_flush = 1; break;
		case 'r': o->reuse = 1; break;
		case 'J': o->tool.jmx_user = optarg; break;
		case 'I': o->internals = 1; break;
		case 'L': o->uploaded = optarg; break;
		case 'R': o->restore_dir = optarg; break;
		case '0': o->nul = 1; break;
		case 'W': o->tool.jmx_pwfile = optarg; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose++; o->tool.verbose = 1; break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("cb-snapshot %s\n", CB_VERSION); exit(0);
		default: usage(stderr); return (EX_USAGE);
		}
	}
	if (optind + 1 != argc) {
		if (optind == argc)
			warn0("no command given");
		usage(stderr);
		return (EX_USAGE);
	}
	o->cmd = argv[optind];
	if ((o->kslist != NULL && casspath_split_words(o->kslist, "keyspace",
	    "--keyspaces", o->ks, MAXKS, &o->nks) != 0) ||
	    check_opts(o) != 0) {
		usage(stderr);
		return (EX_USAGE);
	}
	return (0);
}

/* ------------------------------------------------------------ tools */

static int
tool_path(const struct opts *o, const char *name, char *buf, size_t size)
{

	return (casstool_path(&o->tool, name, buf, size));
}

static int
nodetool(const struct opts *o, const char *const *args, struct proc_out *po)
{

	return (casstool_nodetool(&o->tool, args, po, 0));
}

static int
nodetool_do(const struct opts *o, const char *const *args)
{

	return (casstool_nodetool_do(&o->tool, args));
}

static int
conf_load(const struct opts *o, int dirs, struct cassconf **c)
{

	return (casstool_conf_load(o->confdir, dirs, c));
}

/* ------------------------------------------------- snapshots on disk */

/* The files of a snapshot found on disk. */
struct snap_seen {
	size_t	 files;
	char	 first[PATH_MAX];	/* the path of the first one */
};

static int
seen_file(void *cookie, const struct node_file *f)
{
	struct snap_seen *seen = cookie;

	if (seen->files++ == 0)
		snprintf(seen->first, sizeof(seen->first), "%s", f->path);
	return (0);
}

/*
 * Does snapshot o->tag exist in the selected tables: a snapshots/TAG
 * directory of exactly that name?  1 yes, 0 no, -1 if the data
 * directories could not be read (reported).  seen (may be NULL) gets its
 * files.
 */
static int
snapshot_on_disk(const struct opts *o, const struct cassconf *c,
    struct snap_seen *seen)
{
	struct node_walk w = { c->data_dirs, c->ndata_dirs, CASSPATH_SNAPSHOT,
	    o->tag, NULL, NULL };
	struct node_walk_stats st;
	struct snap_seen mine;
	size_t i;
	int rc = -1;

	if (seen == NULL)
		seen = &mine;
	memset(seen, 0, sizeof(*seen));

	if ((w.sel = node_select_new()) == NULL)
		return (-1);
	for (i = 0; i < o->nks; i++)
		if (node_select_keyspaces(w.sel, o->ks[i]) != 0)
			goto done;
	if (o->table != NULL && node_select_tables(w.sel, o->table) != 0)
		goto done;
	if (node_walk(&w, seen_file, seen, &st) == 0)
		rc = st.kinddirs > 0;
done:
	node_select_free(w.sel);
	return (rc);
}

static int
snapshot_nodetool(const struct opts *o)
{
	const char *args[8 + MAXKS];
	size_t i, n = 0;
	int rc;

	args[n++] = "snapshot";
	args[n++] = "-t";
	args[n++] = o->tag;
	if (o->skip_flush)
		args[n++] = "-sf";
	if (o->table == NULL) {
		for (i = 0; i < o->nks; i++)
			args[n++] = o->ks[i];
		args[n] = NULL;
		return (nodetool_do(o, args));
	}
	/* One table: -cf TABLE KS, once per keyspace (works on 2.1 too). */
	args[n++] = "-cf";
	args[n++] = o->table;
	for (i = 0; i < o->nks; i++) {
		args[n] = o->ks[i];
		args[n + 1] = NULL;
		if ((rc = nodetool_do(o, args)) != 0)
			return (rc);
	}
	return (0);
}

/*
 * Warn when incremental backups are off in cassandra.yaml: why that
 * matters here is what.  nodetool enablebackup may have turned them on
 * until the next restart; nodetool statusbackup says so.
 */
static void
backups_off_warn(const struct opts *o, const struct cassconf *c,
    const char *what)
{
	static const char *const st[] = { "statusbackup", NULL };
	struct proc_out po;
	int running = 0;

	if (c->incremental_backups || o->quiet)
		return;
	if (casstool_nodetool(&o->tool, st, &po, 1) == 0) {
		running = strncmp(po.out, "running", 7) == 0;
		proc_out_free(&po);
	}
	if (running)
		warnp_warning("incremental_backups is off in '%s' and on only "
		    "until a restart (nodetool enablebackup)", c->path);
	else
		warnp_warning("incremental_backups is off in '%s': %s",
		    c->path, what);
}

static int
cmd_create(const struct opts *o)
{
	struct cassconf *c = NULL;
	char path[PATH_MAX];
	int rc, have;

	if ((rc = tool_path(o, "nodetool", path, sizeof(path))) != 0 ||
	    (rc = conf_load(o, 1, &c)) != 0)
		return (rc);
	if ((have = snapshot_on_disk(o, c, NULL)) == 1 && !o->reuse) {
		warn0("snapshot '%s' already exists (--reuse keeps it)",
		    o->tag);
		rc = EX_FAILURE;
	} else if (have == 1) {
		if (!o->quiet)
			warnp_warning("reusing the existing snapshot '%s'",
			    o->tag);
		rc = 0;
	} else if (have < 0)
		rc = warnp_errno_status(errno);
	else if ((rc = snapshot_nodetool(o)) == 0 &&
	    snapshot_on_disk(o, c, NULL) != 1) {
		warn0("nodetool made snapshot '%s', but it is not under the "
		    "data directories of '%s'", o->tag, c->path);
		rc = EX_FAILURE;
	}
	if (rc == 0)
		backups_off_warn(o, c, "later incremental runs will find "
		    "nothing in backups/");
	cassconf_free(c);
	return (rc);
}

static int
clear_nodetool(const struct opts *o)
{
	const char *args[4 + MAXKS] = { "clearsnapshot", "-t", o->tag };
	size_t i;

	/* Always with -t: before 4.0 a bare clearsnapshot clears them all. */
	for (i = 0; i < o->nks; i++)
		args[3 + i] = o->ks[i];
	args[3 + o->nks] = NULL;
	return (nodetool_do(o, args));
}

/*
 * After nodetool clearsnapshot: warn if there was nothing to clear (had
 * is 0), or if files of the snapshot are left.  Returns 0, or an exit
 * status if the data directories cannot be read.
 */
static int
clear_check(const struct opts *o, const struct cassconf *c, int had)
{
	struct snap_seen seen;
	int left;

	if ((left = snapshot_on_disk(o, c, &seen)) < 0)
		return (warnp_errno_status(errno));
	if (o->quiet)
		return (0);
	if (!had)
		warnp_warning("no snapshot '%s' to clear%s", o->tag,
		    o->nks > 0 ? " in the keyspaces given" : "");
	else if (seen.files > 0)
		warnp_warning("snapshot '%s' not wholly cleared: %zu files "
		    "left, the first '%s'", o->tag, seen.files, seen.first);
	else if (left)
		warnp_warning("snapshot '%s' cleared, but empty snapshots/%s "
		    "directories are left", o->tag, o->tag);
	return (0);
}

static int
cmd_clear(const struct opts *o)
{
	struct cassconf *c = NULL;
	char path[PATH_MAX];
	int rc, have;

	if ((rc = tool_path(o, "nodetool", path, sizeof(path))) != 0 ||
	    (rc = conf_load(o, 1, &c)) != 0)
		return (rc);
	if ((have = snapshot_on_disk(o, c, NULL)) < 0)
		rc = warnp_errno_status(errno);
	else if ((rc = clear_nodetool(o)) == 0)
		rc = clear_check(o, c, have);
	cassconf_free(c);
	return (rc);
}

static int
flush_nodetool(const struct opts *o)
{
	const char *args[4] = { "flush", NULL, NULL, NULL };
	size_t i;
	int rc;

	if (o->nks == 0)
		return (nodetool_do(o, args));
	for (i = 0; i < o->nks; i++) {
		args[1] = o->ks[i];
		args[2] = o->table;
		if ((rc = nodetool_do(o, args)) != 0)
			return (rc);
	}
	return (0);
}

static int
cmd_flush(const struct opts *o)
{
	struct cassconf *c = NULL;
	char path[PATH_MAX];
	int rc;

	if ((rc = tool_path(o, "nodetool", path, sizeof(path))) != 0 ||
	    (rc = conf_load(o, 0, &c)) != 0)
		return (rc);
	if ((rc = flush_nodetool(o)) == 0)
		backups_off_warn(o, c, "the flush puts nothing in backups/ "
		    "for an incremental backup");
	cassconf_free(c);
	return (rc);
}

/* ------------------------------------------------------ prune-backups */

struct prune {
	size_t	 n[4];		/* by enum node_removed */
	size_t	 failed;	/* records not uploaded */
};

/* One result record: remove its file if uploaded and unchanged. */
static int
prune_one(const struct cassconf *c, const struct xfer_rec *x,
    struct prune *pr)
{
	int rc;

	if (!x->ok) {
		pr->failed++;
		return (0);
	}
	rc = node_backup_remove(x->path, c->data_dirs, c->ndata_dirs, x->size,
	    x->mtime_ns, x->inode);
	if (rc < 0)
		return (warnp_errno_status(errno));
	if (rc == NODE_REMOVE_REFUSED)
		warnp_warning("not removing '%s': not a file of backups/ in a "
		    "data directory", x->path);
	else if (rc == NODE_REMOVE_CHANGED)
		warnp_warning("not removing '%s': changed since it was "
		    "uploaded", x->path);
	pr->n[rc]++;
	return (0);
}

static int
prune_records(const struct opts *o, const struct cassconf *c, FILE *in,
    struct prune *pr)
{
	struct rec_reader *r;
	struct xfer_rec x;
	int rc;

	if ((r = rec_reader_new(in, o->nul, o->uploaded)) == NULL) {
		warnp("cannot read '%s'", o->uploaded);
		return (EX_FAILURE);
	}
	while ((rc = rec_read_xfer(r, REC_XFER_FIELDS, &x)) == 1)
		if ((rc = prune_one(c, &x, pr)) != 0)
			break;
	rec_reader_free(r);
	return (rc == -1 ? EX_DATAERR : rc);
}

static int
cmd_prune(const struct opts *o)
{
	struct prune pr;
	struct cassconf *c = NULL;
	FILE *in;
	int rc;

	memset(&pr, 0, sizeof(pr));
	if ((rc = conf_load(o, 1, &c)) != 0)
		return (rc);
	in = strcmp(o->uploaded, "-") == 0 ? stdin : fopen(o->uploaded, "r");
	if (in == NULL) {
		warnp("cannot open '%s'", o->uploaded);
		cassconf_free(c);
		return (EX_FAILURE);
	}
	rc = prune_records(o, c, in, &pr);
	if (in != stdin)
		fclose(in);
	cassconf_free(c);
	if (o->verbose || (rc == 0 && !o->quiet && pr.n[NODE_REMOVE_CHANGED] +
	    pr.n[NODE_REMOVE_REFUSED] > 0))
		warn0("removed %zu, already gone %zu, kept %zu changed and %zu "
		    "refused, %zu not uploaded", pr.n[NODE_REMOVED],
		    pr.n[NODE_REMOVE_GONE], pr.n[NODE_REMOVE_CHANGED],
		    pr.n[NODE_REMOVE_REFUSED], pr.failed);
	return (rc);
}

/* ---------------------------------------------------------- topology */

static void
put(const char *k, const char *v)
{

	printf("%s\t%s\n", k, v != NULL && *v != '\0' ? v : "-");
}

static int
topo_gather(const struct opts *o, struct nodetool_topo *t)
{
	static const char *const info[] = { "info", "-T", NULL };
	static const char *const ver[] = { "version", NULL };
	static const char *const dc[] = { "describecluster", NULL };
	static const char *const st[] = { "status", NULL };
	struct proc_out po;
	int rc;

	if ((rc = nodetool(o, info, &po)) != 0)
		return (rc);
	rc = nodetool_parse_info(po.out, t);
	proc_out_free(&po);
	if (rc != 0 || t->host_id == NULL) {
		warn0("cannot find the host ID in the output of 'nodetool "
		    "info'");
		return (EX_FAILURE);
	}
	if ((rc = nodetool(o, ver, &po)) != 0)
		return (rc);
	rc = nodetool_parse_version(po.out, t);
	proc_out_free(&po);
	if (rc != 0 || (rc = nodetool(o, dc, &po)) != 0)
		return (rc ? rc : EX_FAILURE);
	rc = nodetool_parse_describecluster(po.out, t);
	proc_out_free(&po);
	if (rc != 0 || (rc = nodetool(o, st, &po)) != 0)
		return (rc ? rc : EX_FAILURE);
	rc = nodetool_parse_status(po.out, t);
	proc_out_free(&po);
	return (rc != 0 ? EX_FAILURE : 0);
}

static int
cmd_topology(const struct opts *o)
{
	struct nodetool_topo t;
	char n[24];
	size_t i;
	int rc;

	memset(&t, 0, sizeof(t));
	if ((rc = topo_gather(o, &t)) == 0) {
		snprintf(n, sizeof(n), "%zu", t.ntokens);
		put("format", "cb-topology 1");
		put("host_id", t.host_id);
		put("address", t.address);
		put("datacenter", t.datacenter);
		put("rack", t.rack);
		put("cassandra_version", t.version);
		put("cluster_name", t.cluster_name);
		put("partitioner", t.partitioner);
		put("schema_version", t.schema_version);
		put("num_tokens", n);
		for (i = 0; i < t.ntokens; i++)
			put("token", t.tokens[i]);
	}
	nodetool_topo_free(&t);
	return (rc);
}

/* ------------------------------------------------------------ schema */

static int
print_schema_file(void *cookie, const struct node_file *f)
{
	size_t *n = cookie;
	char buf[8192];
	size_t got;
	FILE *in;

	if (f->index != NULL || strcmp(f->name, "schema.cql") != 0)
		return (0);
	if ((in = fopen(f->path, "r")) == NULL) {
		warnp("cannot open '%s'", f->path);
		return (-1);
	}
	printf("-- %s.%s, from %s\n", f->keyspace, f->tabledir, f->path);
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, got, stdout);
	fclose(in);
	printf("\n");
	(*n)++;
	return (0);
}

/* The snapshot's schema.cql files, when cqlsh cannot give the schema. */
static int
schema_fallback(const struct opts *o, const struct cassconf *c, int cqlsh_rc)
{
	struct node_walk w = { NULL, 0, CASSPATH_SNAPSHOT, o->tag, NULL, NULL };
	struct node_walk_stats st;
	size_t n = 0;
	int rc = cqlsh_rc == EX_UNAVAILABLE ? EX_UNAVAILABLE : EX_FAILURE;

	if (o->tag == NULL) {
		warn0("cannot fall back to a snapshot's schema.cql files "
		    "without -t TAG");
		return (rc);
	}
	w.datadirs = c->data_dirs;
	w.ndatadirs = c->ndata_dirs;
	printf("-- cb-snapshot: the schema.cql files of snapshot %s (cqlsh "
	    "failed); no CREATE KEYSPACE statements\n", o->tag);
	if (node_walk(&w, print_schema_file, &n, &st) == 0 && n > 0)
		rc = 0;
	else if (n == 0)
		warn0("cannot find any schema.cql in snapshot '%s'", o->tag);
	if (rc == 0 && !o->quiet)
		warnp_warning("schema taken from %zu schema.cql files of "
		    "snapshot '%s'", n, o->tag);
	return (rc);
}

#define SCHEMA_INTERNALS	"DESCRIBE SCHEMA WITH INTERNALS"
#define SCHEMA_PLAIN		"DESCRIBE SCHEMA"

/* Did cqlsh refuse WITH INTERNALS as syntax, as cqlsh before 4.0 does? */
static int
internals_refused(const struct proc_out *po)
{

	return (strstr(po->err, "Improper DESCRIBE command") != NULL ||
	    strstr(po->err, "SyntaxException") != NULL);
}

/*
 * DESCRIBE SCHEMA WITH INTERNALS (4.0+: table ids, dropped columns), or
 * where cqlsh refuses that and --with-internals was not given, plain
 * DESCRIBE SCHEMA.  *stmt is what ran last.  Returns as cqlsh_run().
 */
static int
schema_describe(const struct opts *o, const char *path,
    const struct cqlsh_rc *rc,
    const struct cassconf *c, const char **stmt, struct proc_out *po)
{
	int st;

	*stmt = SCHEMA_INTERNALS;
	st = cqlsh_run(path, rc, c, *stmt, po);
	if (st <= 0 || o->internals || !internals_refused(po))
		return (st);
	proc_out_free(po);
	*stmt = SCHEMA_PLAIN;
	st = cqlsh_run(path, rc, c, *stmt, po);
	if (st == 0 && !o->quiet)
		warnp_warning("cqlsh refused " SCHEMA_INTERNALS " (Cassandra "
		    "before 4.0): the schema is from " SCHEMA_PLAIN ", without "
		    "table ids");
	return (st);
}

/*
 * Write cqlsh's output as the schema.  cqlsh prints its own notices on
 * stdout before the output, such as "WARNING: cqlsh was built against
 * 5.0.0, but this server is 5.0.9.  All features may not work!" (the
 * PyPI cqlsh against a newer server): they are not CQL, so they become
 * warnings and stay out of the schema, which must replay.
 */
static void
schema_write(const struct opts *o, const char *out, size_t len)
{
	const char *nl;
	size_t n;

	while (len > 9 && strncmp(out, "WARNING: ", 9) == 0) {
		nl = memchr(out, '\n', len);
		n = nl != NULL ? (size_t)(nl - out) + 1 : len;
		if (!o->quiet)
			warnp_warning("cqlsh: %.*s", (int)(nl != NULL ? n - 1 :
			    n), out);
		out += n;
		len -= n;
	}
	fwrite(out, 1, len, stdout);
}

static int
cmd_schema(const struct opts *o)
{
	struct cqlsh_rc *cr = NULL;
	struct proc_out po = { NULL, 0, NULL, 0 };
	struct cassconf *c = NULL;
	char path[PATH_MAX];
	const char *stmt;
	int rc;

	/* Where cqlsh connects, and the fallback's data directories. */
	if ((rc = conf_load(o, 0, &c)) != 0)
		return (rc);
	if ((rc = tool_path(o, "cqlsh", path, sizeof(path))) != 0) {
		rc = schema_fallback(o, c, rc);
		goto done;
	}
	/* No password: the fallback; a TLS file missing: the node's setup. */
	if ((rc = cqlsh_rc_open(&o->cq, &cr)) == EX_NOPERM) {
		rc = schema_fallback(o, c, EX_FAILURE);
		goto done;
	} else if (rc != 0)
		goto done;
	rc = schema_describe(o, path, cr, c, &stmt, &po);
	cqlsh_rc_free(cr);
	if (rc == 0 && po.outlen > 0) {
		/* Which statement it was, in the schema itself. */
		printf("-- cb-snapshot: cqlsh %s\n", stmt);
		schema_write(o, po.out, po.outlen);
	} else if (rc > 0 && o->cq.user != NULL && cqlsh_bad_credentials(&po)) {
		warn0("cqlsh refused the credentials of user '%s':", o->cq.user);
		casstool_relay("cqlsh", po.err);
		rc = EX_NOPERM;
	} else {
		warn0("cqlsh failed (exit %d):", rc);
		if (rc > 0)
			casstool_relay("cqlsh", po.err);
		rc = schema_fallback(o, c, rc < 0 ? EX_UNAVAILABLE :
		    EX_FAILURE);
	}
	proc_out_free(&po);
done:
	cassconf_free(c);
	return (rc);
}

/* -------------------------------------------------- check-restore-dir */

/*
 * A restore directory must be none of Cassandra's directories and inside
 * none of them, once both are resolved (symbolic links, "//", "..").
 * Returns 0, EX_USAGE when it is refused (reported, naming the directory
 * it falls in), or the status of reading cassandra.yaml.
 */
static int
check_one(const char *rd, const char *dir, const char *what)
{
	char *d;
	int in;

	if (dir == NULL)
		return (0);
	if ((d = node_path_resolve(dir)) == NULL)
		return (0);	/* cannot be resolved: cannot hold rd either */
	in = node_path_within(rd, d);
	if (in)
		warn0("refusing restore directory '%s': it is inside %s '%s'",
		    rd, what, d);
	free(d);
	return (in ? EX_USAGE : 0);
}

static int
cmd_check_restore_dir(const struct opts *o)
{
	struct cassconf *c = NULL;
	char *rd;
	size_t i;
	int rc;

	if ((rd = node_path_resolve(o->restore_dir)) == NULL) {
		warnp("invalid restore directory '%s'", o->restore_dir);
		return (errno == EINVAL ? EX_USAGE : EX_FAILURE);
	}
	if ((rc = conf_load(o, 0, &c)) != 0) {
		free(rd);
		return (rc);
	}
	for (i = 0; i < c->ndata_dirs && rc == 0; i++)
		rc = check_one(rd, c->data_dirs[i], "the data directory");
	if (rc == 0)
		rc = check_one(rd, c->local_system_dir,
		    "the local system data directory");
	for (i = 0; i < CASSCONF_NOTHER && rc == 0; i++)
		rc = check_one(rd, c->other_dirs[i], cassconf_other_key[i]);
	if (rc == 0)
		rc = check_one(rd, o->confdir, "the configuration directory");
	cassconf_free(c);
	free(rd);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc;

	warnp_init(argv[0]);
	memset(&o, 0, sizeof(o));
	casstool_init(&o.tool, &o.confdir);
	cqlsh_opts_init(&o.cq);
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return (rc);
	if (strcmp(o.cmd, "create") == 0)
		rc = cmd_create(&o);
	else if (strcmp(o.cmd, "clear") == 0)
		rc = cmd_clear(&o);
	else if (strcmp(o.cmd, "flush") == 0)
		rc = cmd_flush(&o);
	else if (strcmp(o.cmd, "prune-backups") == 0)
		rc = cmd_prune(&o);
	else if (strcmp(o.cmd, "schema") == 0)
		rc = cmd_schema(&o);
	else if (strcmp(o.cmd, "check-restore-dir") == 0)
		rc = cmd_check_restore_dir(&o);
	else
		rc = cmd_topology(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnp("cannot write to stdout");
		rc = EX_FAILURE;
	}
	return (rc);
}
