/*
 * cb-s3get: download an S3 object to a file or stdout (concurrent ranged
 * GETs pinned to the ETag, optionally lzop-decompressed and verified), or,
 * in list mode, many objects named by records on stdin into a directory;
 * or list the keys under a prefix (--ls), or the multipart uploads in
 * progress there (--ls --uploads).
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "atomicfile.h"
#include "filesum.h"
#include "meter.h"
#include "num.h"
#include "ordpool.h"
#include "records.h"
#include "s3cli.h"
#include "s3down.h"
#include "slots.h"
#include "strbuf.h"
#include "warnp.h"

static const char usage_text[] =
    "usage: cb-s3get [-qv] [--progress] [-j N] [--unpack]\n"
    "                [--part-size SIZE] [--rate-limit RATE]\n"
    "                [--endpoint URL] [--region REGION] [--profile NAME]\n"
    "                [--addressing-style auto|virtual|path]\n"
    "                [--ca-bundle FILE] [--connect-to HOST:PORT]\n"
    "                [--retries N] [--retry-delay MS] [--timeout SECS]\n"
    "                [--sse-c-key-file FILE] s3://BUCKET/KEY [FILE|-]\n"
    "       cb-s3get --missing-ok [options] s3://BUCKET/KEY FILE\n"
    "       cb-s3get --list [-0] -C DIR [--unpack] [--keep-verified]\n"
    "                [--progress=SECONDS] [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --list --check [-0] [--unpack] [--progress=SECONDS]\n"
    "                [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --ls [-0] [--json] [--max-keys N] [--delimiter D]\n"
    "                [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --ls --uploads [-0] [--json] [--max-keys N]\n"
    "                [options] s3://BUCKET[/PREFIX]\n";

enum { OPT_LIST = 400, OPT_LS, OPT_JSON, OPT_UNPACK, OPT_MAX_KEYS,
    OPT_MISSING_OK, OPT_DELIMITER, OPT_UPLOADS, OPT_CHECK, OPT_KEEP };

struct get {
	struct s3cli	 cli;
	struct s3down_opts down;
	int		 list;
	int		 check;		/* --list: compare, write nothing */
	int		 keep;		/* --list: --keep-verified */
	struct meter	*meter;		/* its lines, or NULL */
	struct slots	*slots;		/* --list: the -j budget */
	atomic_int	 nospace;	/* --list: the file system is full */
	int		 ls;
	int		 uploads;	/* --ls of the multipart uploads */
	int		 json;
	int		 max_keys;
	int		 nul;
	int		 missing_ok;
	const char	*delimiter;
	const char	*dir;
	int		 dirfd;
	char		*bucket;
	char		*key;
	int		 status;
};

static void
usage(FILE *f, int status)
{

	fputs(usage_text, f);
	exit(status);
}

static void
parse_args(struct get *g, int argc, char *argv[])
{
	static const struct option longopts[] = {
		S3CLI_LONGOPTS,
		{ "keep-verified", no_argument, NULL, OPT_KEEP },
		{ "unpack", no_argument, NULL, OPT_UNPACK },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "ls", no_argument, NULL, OPT_LS },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "max-keys", required_argument, NULL, OPT_MAX_KEYS },
		{ "missing-ok", no_argument, NULL, OPT_MISSING_OK },
		{ "delimiter", required_argument, NULL, OPT_DELIMITER },
		{ "uploads", no_argument, NULL, OPT_UPLOADS },
		{ "check", no_argument, NULL, OPT_CHECK },
		{ "null", no_argument, NULL, '0' },
		{ "directory", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	uint64_t u;
	int ch, r;

	while ((ch = getopt_long(argc, argv, "0C:j:qvhV", longopts,
	    NULL)) != -1) {
		if ((r = s3cli_option(&g->cli, ch, optarg)) != 0) {
			if (r < 0)
				usage(stderr, EX_USAGE);
			continue;
		}
		switch (ch) {
		case '0': g->nul = 1; break;
		case 'C': g->dir = optarg; break;
		case OPT_UNPACK: g->down.unpack = 1; break;
		case OPT_LIST: g->list = 1; break;
		case OPT_CHECK: g->check = 1; break;
		case OPT_KEEP: g->keep = 1; break;
		case OPT_LS: g->ls = 1; break;
		case OPT_JSON: g->json = 1; break;
		case OPT_UPLOADS: g->uploads = 1; break;
		case OPT_MISSING_OK: g->missing_ok = 1; break;
		case OPT_DELIMITER:
			if (*optarg == '\0') {
				warn0("invalid --delimiter '': expected at "
				    "least one character");
				usage(stderr, EX_USAGE);
			}
			g->delimiter = optarg;
			break;
		case OPT_MAX_KEYS:
			if (num_parse_u64(optarg, 1, 1000, &u) != 0) {
				warn0("invalid --max-keys '%s': expected 1 "
				    "to 1000", optarg);
				usage(stderr, EX_USAGE);
			}
			g->max_keys = (int)u;
			break;
		case 'h': usage(stdout, 0); break;
		case 'V':
			printf("cb-s3get %s\n", CB_VERSION);
			exit(0);
		default: usage(stderr, EX_USAGE);
		}
	}
}

/*
 * Fetch key into out.  Returns 0 or an exit status (reported), or -1 with
 * --missing-ok when the key is certainly absent (not reported).
 */
static int
get_object(struct get *g, struct s3_conn *k, const char *key,
    lzop_sink_fn *sink, void *cookie, const struct s3down_opts *o,
    struct s3down_result *res, struct s3_error *e)
{
	char why[400];

	if (s3down_run(g->cli.client, k, key, o, sink, cookie, res, e) == 0)
		return (0);
	if (g->missing_ok && res->absent)
		return (-1);
	if (e->kind == S3_ESYS && e->msg[0] == '\0')
		return (EX_FAILURE);	/* the sink reported it */
	warn0("cannot download '%s/%s': %s", s3_client_bucket(g->cli.client),
	    key, s3_error_str(e, why, sizeof(why)));
	return (s3_error_exit(e));
}

static int
get_single(struct get *g, const char *path)
{
	struct s3down_result res;
	struct s3down_opts o = g->down;
	struct s3_error e;
	struct s3_conn *k;
	struct atomicfile *out;
	int rc = EX_FAILURE;

	if (*g->key == '\0') {
		warn0("invalid S3 URL: no object key after the bucket");
		return (EX_USAGE);
	}
	if ((out = atomicfile_new(AT_FDCWD, path, 0)) == NULL)
		return (EX_FAILURE);
	atomicfile_uncached(out);
	o.no_sha256 = 1;	/* nothing to compare it with */
	if ((k = s3_conn_new(g->cli.client)) != NULL) {
		rc = get_object(g, k, g->key, atomicfile_write, out, &o,
		    &res, &e);
		if (rc == 0 && atomicfile_commit(out) != 0)
			rc = EX_FAILURE;
	}
	if (rc < 0) {
		/* Only the temporary file was made: it goes, FILE is not. */
		warnp_debug(1, "'%s/%s' does not exist (NoSuchKey): '%s' not "
		    "written", s3_client_bucket(g->cli.client), g->key, path);
		rc = 0;
	}
	s3_conn_free(k);
	atomicfile_free(out);
	return (rc);
}

/* ------------------------------------------------------------ list mode */

/*
 * A record of stdin.  All are read before the first request: the free
 * space is checked against them all (and with --keep-verified, the files
 * already there are hashed first).
 */
struct entry {
	char		*buf;		/* split record */
	char		*f[4];		/* KEY SIZE SHA256 PATH */
	uint64_t	 size;		/* SIZE, 0 when "-" */
	int		 sized;		/* SIZE is not "-" */
	int		 kept;		/* --keep-verified: the file is it */
};

struct entries {
	struct entry	**v;
	size_t		 n;
	size_t		 cap;
};

struct job {
	struct get		*g;
	struct entry		*r;		/* the entries own it */
	char			*key;		/* with the URL prefix */
	const char		*status;	/* a literal, or e.code */
	int			 rc;
	int			 skipped;	/* after a stop: not tried */
	int			 werr;		/* errno of a failed write */
	struct atomicfile	*out;		/* NULL with --check */
	struct meter_file	 mf;
	struct s3down_result	 res;
	struct s3_error		 e;		/* lives until emitted */
};

static void
entry_free(struct entry *x)
{

	if (x == NULL)
		return;
	free(x->buf);
	free(x);
}

static struct entry *
entry_new(const char *line, size_t len, size_t recno)
{
	struct entry *x;

	if ((x = calloc(1, sizeof(*x))) == NULL ||
	    (x->buf = strndup(line, len)) == NULL) {
		warnp("cannot allocate");
		free(x);
		return (NULL);
	}
	if (rec_split(x->buf, 4, x->f) != 0 || *x->f[0] == '\0' ||
	    *x->f[3] == '\0') {
		warn0("malformed record %zu on stdin: expected KEY, SIZE, "
		    "SHA256 and PATH separated by TABs", recno);
		goto bad;
	}
	x->sized = strcmp(x->f[1], "-") != 0;
	if (x->sized && num_parse_u64(x->f[1], 0, UINT64_MAX, &x->size) != 0) {
		warn0("malformed record %zu on stdin: SIZE '%s' is neither a "
		    "byte count nor -", recno, x->f[1]);
		goto bad;
	}
	if (atomicfile_check_path(x->f[3]) != 0) {
		warn0("refusing record %zu on stdin: path '%s' is absolute "
		    "or has a '..' component", recno, x->f[3]);
		goto bad;
	}
	return (x);
bad:
	entry_free(x);
	return (NULL);
}

static void
entries_free(struct entries *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		entry_free(l->v[i]);
	free(l->v);
}

static int
entries_add(struct entries *l, struct entry *x)
{
	struct entry **v;
	size_t cap;

	if (l->n == l->cap) {
		cap = l->cap * 2 + 64;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL) {
			warnp("cannot allocate");
			return (-1);
		}
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return (0);
}

/*
 * Read every record of stdin into l.  Returns 0, EX_DATAERR (a malformed
 * or refused record) or EX_FAILURE (reported).
 */
static int
entries_read(struct get *g, struct entries *l)
{
	struct rec_reader *r;
	struct entry *x;
	char *line;
	size_t len;
	int n, rc = 0;

	if ((r = rec_reader_new(stdin, g->nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while (rc == 0 && (n = rec_reader_raw(r, &line, &len)) == 1) {
		if ((x = entry_new(line, len, rec_reader_number(r))) == NULL) {
			rc = EX_DATAERR;
		} else if (entries_add(l, x) != 0) {
			entry_free(x);
			rc = EX_FAILURE;
		}
	}
	if (rc == 0 && n < 0)
		rc = EX_DATAERR;
	rec_reader_free(r);
	return (rc);
}

/* A file being hashed. */
struct hashing {
	struct meter		*meter;
	struct meter_file	 mf;
};

/* Hashed bytes count as in flight; an interruption stops the hashing. */
static int
hash_count(void *cookie, size_t len)
{
	struct hashing *h = cookie;

	meter_add(h->meter, &h->mf, len);
	return (s3_cancelled() ? -1 : 0);
}

/*
 * --keep-verified, in a worker (an ordpool_run_fn): the record's file is
 * kept if DIR/PATH is a regular file (no symbolic link followed) of the
 * record's SIZE and SHA-256.
 */
static void
entry_verify(void *ctx, void *ws, void *arg)
{
	struct get *g = ctx;
	struct entry *x = arg;
	struct hashing h = { g->meter, { x->size, 0 } };
	struct stat st;
	uint64_t bytes;
	char hex[65];
	int fd;

	(void)ws;
	if (!x->sized || strcmp(x->f[2], "-") == 0 || s3_cancelled())
		return;
	if ((fd = filesum_open(g->dirfd, x->f[3])) == -1) {
		if (errno != ENOENT)
			warnp_debug(1, "'%s' is no regular file to "
			    "keep: fetched", x->f[3]);
		return;
	}
	if (fstat(fd, &st) == 0 && (uint64_t)st.st_size == x->size &&
	    filesum_sha256(fd, x->f[3], hash_count, &h, &bytes, hex) == 0 &&
	    bytes == x->size && strcmp(hex, x->f[2]) == 0)
		x->kept = 1;
	close(fd);
	if (!x->kept)
		warnp_debug(1, "'%s' is not as recorded: fetched again",
		    x->f[3]);
	meter_end(g->meter, &h.mf, x->kept);
}

static void
entry_verified(void *ctx, void *arg)
{

	(void)ctx;
	(void)arg;
}

/* --keep-verified: mark the records whose file is already there. */
static int
entries_verify(struct get *g, struct entries *l)
{
	static const struct ordpool_fns fns = { NULL, NULL, entry_verify,
	    entry_verified };
	struct ordpool *pool;
	size_t i;

	if ((pool = ordpool_new(g->cli.concurrency, 4 * g->cli.concurrency,
	    &fns, g)) == NULL)
		return (EX_FAILURE);
	for (i = 0; i < l->n && !s3_cancelled(); i++)
		ordpool_submit(pool, l->v[i]);
	ordpool_finish(pool);
	return (s3_cancelled() ? EX_FAILURE : 0);
}

/*
 * Before any request: do the files to fetch fit in the file system of
 * DIR?  Returns 0, or EX_CANTCREAT or EX_FAILURE (reported).
 */
static int
entries_check_space(struct get *g, const struct entries *l)
{
	struct statvfs vfs;
	uint64_t need = 0, avail;
	size_t i, unknown = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i]->kept)
			continue;
		need = need + l->v[i]->size < need ? UINT64_MAX :
		    need + l->v[i]->size;
		unknown += !l->v[i]->sized;
	}
	if (fstatvfs(g->dirfd, &vfs) != 0) {
		warnp("cannot read the free space of '%s'", g->dir);
		return (EX_FAILURE);
	}
	avail = (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize;
	if (unknown > 0)
		warnp_debug(1, "%zu files of unknown size (SIZE -) count as "
		    "0 bytes in the free space check", unknown);
	if (need <= avail)
		return (0);
	warn0("not enough space in '%s': the files need %" PRIu64 " bytes "
	    "(%.1f MiB), the file system has %" PRIu64 " bytes (%.1f MiB) "
	    "free", g->dir, need, (double)need / 1048576, avail,
	    (double)avail / 1048576);
	return (EX_CANTCREAT);
}

static void *
job_init(void *ctx)
{
	struct get *g = ctx;

	return (s3_conn_new(g->cli.client));
}

static void
job_fini(void *ctx, void *ws)
{

	(void)ctx;
	s3_conn_free(ws);
}

/* Compare what was fetched with the record's size and SHA-256. */
static int
job_verify(struct get *g, struct job *j)
{
	const char *what = g->check ? "check of" : "cannot restore";
	struct entry *x = j->r;

	if (x->sized && x->size != j->res.raw_bytes) {
		warn0("%s '%s' failed: size %" PRIu64 " is not the expected "
		    "%s", what, x->f[3], j->res.raw_bytes, x->f[1]);
		return (-1);
	}
	if (strcmp(x->f[2], "-") != 0 && strcmp(x->f[2], j->res.sha256) != 0) {
		warn0("%s '%s' failed: SHA-256 %s is not the expected %s",
		    what, x->f[3], j->res.sha256, x->f[2]);
		return (-1);
	}
	return (0);
}

/*
 * The sink of a download (an lzop_sink_fn): the file, or with --check
 * nowhere (the bytes were hashed on the way).  The errno of a failed
 * write is kept: a full file system is told apart.
 */
static int
job_write(void *cookie, const void *buf, size_t len)
{
	struct job *j = cookie;

	if (j->out != NULL && atomicfile_write(j->out, buf, len) != 0) {
		j->werr = errno;
		return (-1);
	}
	meter_add(j->g->meter, &j->mf, len);
	return (0);
}

/* The status word of a failed download. */
static const char *
job_status(const struct s3_error *e)
{

	if (e->kind == S3_EHTTP && e->code[0] != '\0')
		return (e->code);
	return (e->kind == S3_ENET ? "Unreachable" : e->kind == S3_EDATA ?
	    "BadData" : e->kind == S3_ECANCEL ? "Interrupted" : "LocalError");
}

/* Download, verify and commit j's file (j->out, NULL with --check). */
static void
job_fetch(struct get *g, struct s3_conn *k, struct job *j,
    const struct s3down_opts *o)
{

	j->rc = get_object(g, k, j->key, job_write, j, o, &j->res, &j->e);
	s3cli_list_stop(&g->cli, j->rc);
	if (j->rc != 0) {
		j->status = job_status(&j->e);
	} else if (job_verify(g, j) != 0) {
		j->status = "Mismatch";
		j->rc = EX_DATAERR;
	} else if (j->out != NULL && atomicfile_commit(j->out) != 0) {
		j->werr = errno;
		j->rc = EX_FAILURE;
	} else {
		j->status = "ok";
	}
}

/*
 * The file system is full (ENOSPC, EDQUOT): the file is NoSpace and no
 * further one is tried, as after a stop (its temporary file is gone).
 */
static void
job_nospace(struct get *g, struct job *j)
{

	j->status = "NoSpace";
	j->rc = EX_CANTCREAT;
	if (atomic_exchange(&g->nospace, 1) == 0)
		warn0("no space left in '%s': no further file is fetched",
		    g->dir);
}

static void
job_run(void *ctx, void *ws, void *arg)
{
	struct get *g = ctx;
	struct job *j = arg;
	struct s3down_opts o = g->down;

	o.slots = g->slots;	/* the chunks share -j with the files */
	o.unpack_threads = 1;	/* the objects run in parallel instead */
	if (j->r->kept)
		return;		/* verified before: nothing to fetch */
	if (s3cli_list_stopped(&g->cli) || atomic_load(&g->nospace)) {
		j->skipped = 1;
		return;
	}
	j->status = "LocalError";
	j->rc = EX_FAILURE;
	if (ws == NULL)
		return;
	slots_take(g->slots);
	if (!g->check &&
	    (j->out = atomicfile_new(g->dirfd, j->r->f[3], 1)) == NULL)
		j->werr = errno;
	else
		job_fetch(g, ws, j, &o);
	slots_give(g->slots);
	/* An uncommitted file: its temporary file is removed here. */
	atomicfile_free(j->out);
	j->out = NULL;
	if (j->rc != 0 && (j->werr == ENOSPC || j->werr == EDQUOT))
		job_nospace(g, j);
	meter_end(g->meter, &j->mf, j->rc == 0);
}

static void
job_emit(void *ctx, void *arg)
{
	struct get *g = ctx;
	struct job *j = arg;
	char bytes[32] = "-";
	const char *f[5];

	if (j->rc != 0 && g->status == 0)
		g->status = j->rc;
	if (j->rc == 0)
		snprintf(bytes, sizeof(bytes), "%" PRIu64, j->res.raw_bytes);
	f[0] = j->status;
	f[1] = bytes;
	f[2] = j->rc == 0 ? j->res.sha256 : "-";
	f[3] = j->r->f[0];
	f[4] = j->r->f[3];
	/* An object not tried after a stop has no result record. */
	if (!j->skipped && (rec_write(stdout, g->nul, 5, f) != 0 ||
	    fflush(stdout) != 0) && g->status == 0)
		g->status = EX_FAILURE;
	free(j->key);
	free(j);
}

static struct job *
job_new(struct get *g, struct entry *x)
{
	struct strbuf b = STRBUF_INIT;
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	j->g = g;
	j->r = x;
	j->mf.size = x->size;
	strbuf_adds(&b, g->key);
	strbuf_adds(&b, x->f[0]);
	if ((j->key = strbuf_detach(&b)) == NULL) {
		free(j);
		return (NULL);
	}
	if (x->kept) {
		/* verified: the record's SHA-256 is the file's */
		j->status = "kept";
		j->res.raw_bytes = x->size;
		snprintf(j->res.sha256, sizeof(j->res.sha256), "%s", x->f[2]);
	}
	return (j);
}

/* Fetch the records not kept, j at a time; a result record each. */
static int
entries_fetch(struct get *g, struct entries *l)
{
	static const struct ordpool_fns fns = { job_init, job_fini, job_run,
	    job_emit };
	struct ordpool *pool;
	struct job *j;
	size_t i;
	int rc = 0;

	if ((g->slots = slots_new(g->cli.concurrency)) == NULL ||
	    (pool = ordpool_new(g->cli.concurrency, 4 * g->cli.concurrency,
	    &fns, g)) == NULL) {
		slots_free(g->slots);
		g->slots = NULL;
		return (EX_FAILURE);
	}
	for (i = 0; i < l->n && !s3_cancelled(); i++) {
		if ((j = job_new(g, l->v[i])) == NULL) {
			rc = EX_FAILURE;
			break;
		}
		ordpool_submit(pool, j);
	}
	ordpool_finish(pool);
	slots_free(g->slots);
	g->slots = NULL;
	if (s3cli_list_stopped(&g->cli))
		return (s3cli_list_stopped(&g->cli));
	if (atomic_load(&g->nospace))
		return (EX_CANTCREAT);
	if (rc == 0 && s3_cancelled())
		rc = EX_FAILURE;
	return (g->status != 0 ? g->status : rc);
}

static int
get_list(struct get *g)
{
	struct entries l = { NULL, 0, 0 };
	uint64_t bytes = 0;
	size_t i;
	int rc;

	g->dirfd = -1;
	if (!g->check &&
	    (g->dirfd = open(g->dir, O_RDONLY | O_DIRECTORY)) == -1) {
		warnp("cannot open directory '%s'", g->dir);
		return (EX_FAILURE);
	}
	if ((rc = entries_read(g, &l)) == 0 && g->cli.progress_secs > 0) {
		for (i = 0; i < l.n; i++)
			bytes += l.v[i]->size;
		if ((g->meter = meter_new(g->cli.progress_secs, l.n, bytes)) ==
		    NULL)
			rc = EX_FAILURE;
	}
	if (rc == 0 && g->keep)
		rc = entries_verify(g, &l);
	if (rc == 0 && !g->check)
		rc = entries_check_space(g, &l);
	if (rc == 0)
		rc = entries_fetch(g, &l);
	meter_free(g->meter);
	g->meter = NULL;
	entries_free(&l);
	if (g->dirfd != -1)
		close(g->dirfd);
	return (rc);
}

/* -------------------------------------------------------------- listing */

static void
json_str(struct strbuf *b, const char *s)
{
	strbuf_addc(b, '"');
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			strbuf_addf(b, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			strbuf_addf(b, "\\u%04x", c);
		else
			strbuf_addc(b, c);
	}
	strbuf_addc(b, '"');
}

/* End the JSON object in b and write it as a line; b is freed. */
static int
json_end(struct strbuf *b)
{
	int rc;

	strbuf_adds(b, "}\n");
	rc = strbuf_failed(b) || fwrite(b->s, 1, b->len, stdout) != b->len ?
	    -1 : 0;
	strbuf_free(b);
	return (rc);
}

/* A common prefix: "- - - PREFIX", or {"prefix":"PREFIX"}. */
static int
ls_prefix(struct get *g, const char *prefix)
{
	struct strbuf b = STRBUF_INIT;
	const char *f[4] = { "-", "-", "-", prefix };

	if (!g->json)
		return (rec_write(stdout, g->nul, 4, f));
	strbuf_adds(&b, "{\"prefix\":");
	json_str(&b, prefix);
	return (json_end(&b));
}

static int
ls_one(void *cookie, const struct s3_listent *e)
{
	struct get *g = cookie;
	struct strbuf b = STRBUF_INIT;
	char size[32];
	const char *f[4];

	if (e->is_prefix)
		return (ls_prefix(g, e->key));
	snprintf(size, sizeof(size), "%" PRId64, e->size);
	if (g->json) {
		strbuf_adds(&b, "{\"key\":");
		json_str(&b, e->key);
		strbuf_addf(&b, ",\"size\":%s,\"mtime\":", size);
		json_str(&b, e->mtime);
		strbuf_adds(&b, ",\"etag\":");
		json_str(&b, e->etag);
		strbuf_adds(&b, ",\"storage_class\":");
		json_str(&b, e->storage_class);
		return (json_end(&b));
	}
	f[0] = size;
	f[1] = e->mtime;
	f[2] = e->etag;
	f[3] = e->key;
	return (rec_write(stdout, g->nul, 4, f));
}

/* An upload: "INITIATED UPLOAD_ID KEY", or a JSON object. */
static int
ls_upload(void *cookie, const struct s3_upload *u)
{
	struct get *g = cookie;
	struct strbuf b = STRBUF_INIT;
	const char *f[3] = { u->initiated, u->upload_id, u->key };

	if (!g->json)
		return (rec_write(stdout, g->nul, 3, f));
	strbuf_adds(&b, "{\"key\":");
	json_str(&b, u->key);
	strbuf_adds(&b, ",\"upload_id\":");
	json_str(&b, u->upload_id);
	strbuf_adds(&b, ",\"initiated\":");
	json_str(&b, u->initiated);
	return (json_end(&b));
}

static int
get_ls(struct get *g)
{
	struct s3_conn *k;
	struct s3_error e;
	char why[400];
	int rc = 0, r;

	if ((k = s3_conn_new(g->cli.client)) == NULL)
		return (EX_FAILURE);
	if (g->uploads)
		r = s3_list_uploads(k, g->key, g->max_keys, ls_upload, g, &e);
	else
		r = s3_list(k, g->key, g->delimiter, g->max_keys, ls_one, g,
		    &e);
	if (r != 0) {
		if (e.kind == S3_ESYS) {
			rc = EX_FAILURE;	/* reported by rec_write */
		} else {
			warn0("cannot list %s'%s/%s': %s", g->uploads ?
			    "the uploads under " : "",
			    s3_client_bucket(g->cli.client), g->key,
			    s3_error_str(&e, why, sizeof(why)));
			rc = s3_error_exit(&e);
		}
	}
	if (fflush(stdout) != 0 && rc == 0) {
		warnp("cannot write the listing");
		rc = EX_FAILURE;
	}
	s3_conn_free(k);
	return (rc);
}

int
main(int argc, char *argv[])
{
	struct get g;
	int rc = EX_FAILURE;

	warnp_init(argv[0]);
	memset(&g, 0, sizeof(g));
	if (s3cli_init(&g.cli) != 0)
		return (EX_USAGE);
	parse_args(&g, argc, argv);
	argc -= optind;
	argv += optind;
	if (s3cli_progress_check(&g.cli, g.list, argc, argv) != 0)
		usage(stderr, EX_USAGE);
	if (argc < 1 || argc > (g.list || g.ls ? 1 : 2) ||
	    (g.list && g.ls))
		usage(stderr, EX_USAGE);
	if (g.check && (!g.list || g.dir != NULL)) {
		warn0("--check needs --list, and writes nothing: no -C DIR");
		usage(stderr, EX_USAGE);
	}
	if (!g.check && g.list != (g.dir != NULL)) {
		warn0("--list and -C DIR go together");
		usage(stderr, EX_USAGE);
	}
	if (g.keep && (!g.list || g.check)) {
		warn0("--keep-verified needs --list and -C DIR (not --check)");
		usage(stderr, EX_USAGE);
	}
	if (g.missing_ok && (g.list || g.ls || argc != 2 ||
	    strcmp(argv[1], "-") == 0)) {
		warn0("--missing-ok needs a single object and a FILE (not "
		    "standard output)");
		usage(stderr, EX_USAGE);
	}
	if (((g.json || g.max_keys || g.delimiter || g.uploads) && !g.ls) ||
	    (g.nul && !g.list && !g.ls)) {
		warn0("--json, --max-keys, --delimiter and --uploads need "
		    "--ls; -0 needs --list or --ls");
		usage(stderr, EX_USAGE);
	}
	if (g.uploads && g.delimiter) {
		warn0("--delimiter cannot go with --uploads");
		usage(stderr, EX_USAGE);
	}
	if (s3cli_parse_url(argv[0], &g.bucket, &g.key) != 0)
		return (EX_USAGE);
	g.down.chunk = g.cli.part_size;
	g.down.concurrency = g.cli.concurrency;
	s3cli_signals();
	if ((rc = s3cli_open(&g.cli, g.bucket)) != 0)
		goto done;
	if (!g.ls)
		s3cli_progress_start(&g.cli);
	if (g.ls)
		rc = get_ls(&g);
	else if (g.list)
		rc = get_list(&g);
	else
		rc = get_single(&g, argc == 2 ? argv[1] : "-");
done:
	s3cli_close(&g.cli);
	free(g.bucket);
	free(g.key);
	return (rc);
}
