/*
 * cb-list: the files a backup of this node must carry, as file records
 * SIZE TAB MTIME_NS TAB INODE TAB PATH (cb-records(5)): every file of
 * snapshot TAG, or of the incremental backups/ directories, across every
 * data directory of cassandra.yaml.
 */

#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cassconf.h"
#include "fileset.h"
#include "node.h"
#include "records.h"
#include "warnp.h"

struct opts {
	const char	*confdir;
	const char	*tag;
	const char	*since;		/* --since: file records */
	const char	*uploaded;	/* --since-uploaded: cb-s3put results */
	int		 backups;
	int		 nul;
	int		 quiet;
	int		 verbose;
};

struct out {
	int		 nul;
	struct fileset	*since;		/* NULL: print every file */
	size_t		 printed;
	char		 key[PATH_MAX];
};

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: cb-list [-0qv] [--cassandra-conf-path DIR] "
	    "(--snapshot TAG | --backups)\n"
	    "               [--keyspaces KS,...] [--table T,...] "
	    "[--exclude-tables T,...]\n"
	    "               [--exclude-system] [--since FILE] "
	    "[--since-uploaded FILE]\n"
	    "       cb-list -h | -V\n");
}

/* A tag as Cassandra accepts it: [A-Za-z0-9_-]+. */
static int
tag_ok(const char *t)
{

	if (*t == '\0')
		return (0);
	return (t[strspn(t, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789_-")] == '\0');
}

/* Strict decimal: digits only (a leading '-' if sign).  0 or -1. */
static int
parse_num(const char *s, int sign, int64_t *out)
{
	char *end;

	if (!((s[0] >= '0' && s[0] <= '9') || (sign && s[0] == '-')))
		return (-1);
	errno = 0;
	*out = strtoll(s, &end, 10);
	return (errno != 0 || *end != '\0' || end == s ? -1 : 0);
}

/*
 * Add one file to the set, keyed by node_path_key() of its path.
 * Returns 0, EX_DATAERR or EX_FAILURE (reported).
 */
static int
since_put(struct fileset *set, const char *file, uint64_t size,
    int64_t mtime, uint64_t ino, const struct rec_reader *r, const char *path)
{
	char key[PATH_MAX];

	if (node_path_key(file, key, sizeof(key)) < 0) {
		warn0("malformed record %zu in '%s': path too long",
		    rec_reader_number(r), path);
		return (EX_DATAERR);
	}
	if (fileset_add(set, key, size, mtime, ino) != 0)
		return (EX_FAILURE);
	return (0);
}

/* Add one file record (fields f[0..3]) to the set.  As since_put(). */
static int
since_add(struct fileset *set, char **f, const struct rec_reader *r,
    const char *path)
{
	int64_t size, mtime, ino;

	if (parse_num(f[0], 0, &size) != 0 || parse_num(f[1], 1, &mtime) != 0 ||
	    parse_num(f[2], 0, &ino) != 0) {
		warn0("malformed record %zu in '%s': expected SIZE, MTIME_NS "
		    "and INODE as decimal numbers", rec_reader_number(r), path);
		return (EX_DATAERR);
	}
	return (since_put(set, f[3], (uint64_t)size, mtime, (uint64_t)ino, r,
	    path));
}

/* Read file records into the set.  Returns as since_put(). */
static int
since_files(struct rec_reader *r, const char *path, struct fileset *set)
{
	char *f[4];
	int rc;

	while ((rc = rec_reader_next(r, 4, f)) == 1)
		if ((rc = since_add(set, f, r, path)) != 0)
			break;
	return (rc == 0 ? 0 : rc == -1 ? EX_DATAERR : rc);
}

/*
 * Read cb-s3put result records into the set; only those with status ok
 * count, the others are listed again.  Returns as since_put().
 */
static int
since_results(struct rec_reader *r, const char *path, struct fileset *set)
{
	struct xfer_rec x;
	int rc;

	while ((rc = rec_read_xfer(r, REC_XFER_FIELDS, &x)) == 1)
		if (x.ok && (rc = since_put(set, x.path, x.size, x.mtime_ns,
		    x.inode, r, path)) != 0)
			break;
	return (rc == 0 ? 0 : rc == -1 ? EX_DATAERR : rc);
}

/*
 * Read earlier records into the set: file records, or (results) cb-s3put
 * result records, of which only those with status ok count.
 */
static int
since_load(const char *path, int nul, int results, struct fileset *set)
{
	struct rec_reader *r;
	FILE *in;
	int rc;

	if ((in = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (warnp_errno_status(errno));
	}
	if ((r = rec_reader_new(in, nul, path)) == NULL) {
		warnp("cannot read '%s'", path);
		fclose(in);
		return (EX_FAILURE);
	}
	rc = results ? since_results(r, path, set) :
	    since_files(r, path, set);
	rec_reader_free(r);
	fclose(in);
	return (rc);
}

static void
odd(void *cookie, const char *path)
{
	char q[REC_QUOTE_MAX];

	warn0("skipping '%s': not a regular file",
	    rec_quote(path, q, sizeof(q)));
}

static int
emit(void *cookie, const struct node_file *f)
{
	struct out *o = cookie;
	char size[24], mtime[24], ino[24];
	const char *fields[4] = { size, mtime, ino, f->path };
	int64_t ns;

	ns = (int64_t)f->st->st_mtim.tv_sec * 1000000000 +
	    f->st->st_mtim.tv_nsec;
	if (o->since != NULL) {
		size_t tl = f->tdir_len, rl = strlen(f->path + f->rel_off);

		if (tl + rl + 1 > sizeof(o->key)) {
			char q[REC_QUOTE_MAX];

			warn0("cannot list '%s': path too long",
			    rec_quote(f->path, q, sizeof(q)));
			return (-1);
		}
		memcpy(o->key, f->path, tl);
		memcpy(o->key + tl, f->path + f->rel_off, rl + 1);
		if (fileset_same(o->since, o->key, (uint64_t)f->st->st_size, ns,
		    (uint64_t)f->st->st_ino))
			return (0);
	}
	snprintf(size, sizeof(size), "%jd", (intmax_t)f->st->st_size);
	snprintf(mtime, sizeof(mtime), "%" PRId64, ns);
	snprintf(ino, sizeof(ino), "%ju", (uintmax_t)f->st->st_ino);
	if (rec_write(stdout, o->nul, 4, fields) != 0) {
		errno = 0;
		return (-1);
	}
	o->printed++;
	return (0);
}

static int
parse_args(int argc, char **argv, struct opts *o, struct node_select *sel)
{
	static const struct option longopts[] = {
		{ "cassandra-conf-path", required_argument, NULL, 'c' },
		{ "snapshot", required_argument, NULL, 's' },
		{ "backups", no_argument, NULL, 'b' },
		{ "keyspaces", required_argument, NULL, 'k' },
		{ "table", required_argument, NULL, 't' },
		{ "exclude-tables", required_argument, NULL, 'x' },
		{ "exclude-system", no_argument, NULL, 'S' },
		{ "since", required_argument, NULL, 'n' },
		{ "since-uploaded", required_argument, NULL, 'U' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "0qvhV", longopts, NULL)) != -1) {
		switch (ch) {
		case '0': o->nul = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v': o->verbose++; break;
		case 'c': o->confdir = optarg; break;
		case 's': o->tag = optarg; break;
		case 'b': o->backups = 1; break;
		case 'n': o->since = optarg; break;
		case 'U': o->uploaded = optarg; break;
		case 'S': node_select_no_system(sel); break;
		case 'k':
			if (node_select_keyspaces(sel, optarg) != 0)
				return (EX_USAGE);
			break;
		case 't':
			if (node_select_tables(sel, optarg) != 0)
				return (EX_USAGE);
			break;
		case 'x':
			if (node_select_exclude(sel, optarg) != 0)
				return (EX_USAGE);
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("cb-list %s\n", CB_VERSION); exit(0);
		default: usage(stderr); return (EX_USAGE);
		}
	}
	if (optind != argc || (o->tag != NULL) == (o->backups != 0)) {
		if (optind == argc)
			warn0("give exactly one of --snapshot TAG and --backups");
		usage(stderr);
		return (EX_USAGE);
	}
	if (o->tag != NULL && !tag_ok(o->tag)) {
		warn0("invalid snapshot tag '%s': expected letters, digits, "
		    "'_' and '-'", o->tag);
		return (EX_USAGE);
	}
	return (0);
}

/* Is dir the same directory as one of v[0..n)?  Reports it. */
static int
dir_seen(char **v, size_t n, const char *dir)
{
	struct stat a, b;
	size_t i;

	if (stat(dir, &a) != 0)
		return (0);	/* the walk reports it */
	for (i = 0; i < n; i++) {
		if (stat(v[i], &b) == 0 && a.st_dev == b.st_dev &&
		    a.st_ino == b.st_ino) {
			warn0("data directory '%s' is '%s' again: listed once",
			    dir, v[i]);
			return (1);
		}
	}
	return (0);
}

/*
 * The data directories to walk: the yaml's and the local system one, each
 * directory once (a file must never be listed twice).
 */
static char **
datadirs(const struct cassconf *c, size_t *n)
{
	char **v;
	size_t i;

	if ((v = calloc(c->ndata_dirs + 1, sizeof(char *))) == NULL) {
		warnp("cannot list data directories");
		return (NULL);
	}
	*n = 0;
	for (i = 0; i < c->ndata_dirs; i++)
		if (!dir_seen(v, *n, c->data_dirs[i]))
			v[(*n)++] = c->data_dirs[i];
	if (c->local_system_dir != NULL &&
	    !dir_seen(v, *n, c->local_system_dir))
		v[(*n)++] = c->local_system_dir;
	return (v);
}

/* After the walk: what was not found, and notes for the operator. */
static int
check_walk(const struct opts *o, struct node_select *sel,
    const struct node_walk_stats *st, const struct cassconf *conf)
{
	int rc = 0;

	if (node_select_report(sel) > 0)
		rc = EX_FAILURE;
	if (o->tag != NULL && st->kinddirs == 0 && rc == 0) {
		warn0("cannot find snapshot '%s' in any selected table of %s",
		    o->tag, conf->path);
		rc = EX_FAILURE;
	}
	if (st->multi > 0 && !o->quiet)
		warn0("note: %zu table(s) have files in several directories "
		    "(dropped and recreated); each directory is listed",
		    st->multi);
	if (o->verbose)
		warn0("%zu files, %zu skipped, %zu table directories",
		    st->files, st->skipped, st->tabledirs);
	return (rc);
}

static int
run(const struct opts *o, struct node_select *sel, struct cassconf *conf)
{
	struct node_walk w = { NULL, 0, CASSPATH_BACKUPS, NULL, sel, odd };
	struct node_walk_stats st;
	struct out *out;
	char **dirs = NULL;
	int rc = 0;

	if ((out = calloc(1, sizeof(*out))) == NULL ||
	    (dirs = datadirs(conf, &w.ndatadirs)) == NULL) {
		warnp("cannot start");
		free(out);
		return (EX_FAILURE);
	}
	w.datadirs = dirs;
	out->nul = o->nul;
	if (o->tag != NULL) {
		w.kind = CASSPATH_SNAPSHOT;
		w.tag = o->tag;
	}
	if ((o->since != NULL || o->uploaded != NULL) &&
	    (out->since = fileset_new()) == NULL) {
		rc = EX_FAILURE;
		goto done;
	}
	if ((o->since != NULL &&
	    (rc = since_load(o->since, o->nul, 0, out->since)) != 0) ||
	    (o->uploaded != NULL &&
	    (rc = since_load(o->uploaded, o->nul, 1, out->since)) != 0))
		goto done;
	errno = 0;
	if (node_walk(&w, emit, out, &st) != 0) {
		rc = warnp_errno_status(errno);
		goto done;
	}
	rc = check_walk(o, sel, &st, conf);
done:
	fileset_free(out->since);
	free(dirs);
	free(out);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct opts o = { .confdir = CASSCONF_DEFAULT_DIR };
	struct node_select *sel;
	struct cassconf *conf = NULL;
	const char *env;
	int rc;

	warnp_init(argv[0]);
	if ((env = getenv("CASSANDRA_CONF")) != NULL && *env != '\0')
		o.confdir = env;
	if ((sel = node_select_new()) == NULL) {
		warnp("cannot start");
		return (EX_FAILURE);
	}
	if ((rc = parse_args(argc, argv, &o, sel)) != 0)
		goto done;
	if ((rc = cassconf_load(o.confdir, &conf)) != 0) {
		rc = cassconf_exit_status(rc, errno);
		goto done;
	}
	if (o.backups && !conf->incremental_backups && !o.quiet)
		warnp_warning("incremental_backups is off in '%s': backups/ "
		    "stays empty unless enabled at runtime (nodetool "
		    "enablebackup)", conf->path);
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	rc = run(&o, sel, conf);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnp("cannot write records");
		rc = EX_FAILURE;
	}
done:
	cassconf_free(conf);
	node_select_free(sel);
	return (rc);
}
