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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "num.h"
#include "ordpool.h"
#include "records.h"
#include "s3cli.h"
#include "s3down.h"
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
    "       cb-s3get --list [-0] -C DIR [--unpack] [options] "
    "s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --list --check [-0] [--unpack] [options] "
    "s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --ls [-0] [--json] [--max-keys N] [--delimiter D]\n"
    "                [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3get --ls --uploads [-0] [--json] [--max-keys N]\n"
    "                [options] s3://BUCKET[/PREFIX]\n";

enum { OPT_LIST = 400, OPT_LS, OPT_JSON, OPT_UNPACK, OPT_MAX_KEYS,
    OPT_MISSING_OK, OPT_DELIMITER, OPT_UPLOADS, OPT_CHECK };

struct get {
	struct s3cli	 cli;
	struct s3down_opts down;
	int		 list;
	int		 check;		/* --list: compare, write nothing */
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
	if ((k = s3_conn_new(g->cli.client)) != NULL) {
		rc = get_object(g, k, g->key, atomicfile_write, out,
		    &g->down, &res, &e);
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

struct job {
	char			*buf;		/* split record */
	char			*f[4];		/* KEY SIZE SHA256 PATH */
	char			*key;		/* with the URL prefix */
	const char		*status;	/* a literal, or e.code */
	int			 rc;
	int			 skipped;	/* after a stop: not tried */
	struct s3down_result	 res;
	struct s3_error		 e;		/* lives until emitted */
};

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
	uint64_t sz;

	if (strcmp(j->f[1], "-") != 0) {
		if (num_parse_u64(j->f[1], 0, UINT64_MAX, &sz) != 0 ||
		    sz != j->res.raw_bytes) {
			warn0("%s '%s' failed: size %" PRIu64 " is not the "
			    "expected %s", what, j->f[3], j->res.raw_bytes,
			    j->f[1]);
			return (-1);
		}
	}
	if (strcmp(j->f[2], "-") != 0 && strcmp(j->f[2], j->res.sha256) != 0) {
		warn0("%s '%s' failed: SHA-256 %s is not the expected %s",
		    what, j->f[3], j->res.sha256, j->f[2]);
		return (-1);
	}
	return (0);
}

/* --check: the bytes are hashed on the way, then dropped (a sink). */
static int
discard(void *cookie, const void *buf, size_t len)
{

	(void)cookie;
	(void)buf;
	(void)len;
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

static void
job_run(void *ctx, void *ws, void *arg)
{
	struct get *g = ctx;
	struct job *j = arg;
	struct s3down_opts o = g->down;
	struct s3_error *e = &j->e;
	struct atomicfile *out;

	o.concurrency = 1;
	o.unpack_threads = 1;	/* the objects run in parallel instead */
	if (s3cli_list_stopped(&g->cli)) {
		j->skipped = 1;
		return;
	}
	j->status = "LocalError";
	j->rc = EX_FAILURE;
	out = NULL;
	if (ws == NULL || (!g->check &&
	    (out = atomicfile_new(g->dirfd, j->f[3], 1)) == NULL))
		return;
	j->rc = get_object(g, ws, j->key, g->check ? discard :
	    atomicfile_write, out, &o, &j->res, e);
	s3cli_list_stop(&g->cli, j->rc);
	if (j->rc != 0) {
		j->status = job_status(e);
	} else if (job_verify(g, j) != 0) {
		j->status = "Mismatch";
		j->rc = EX_DATAERR;
	} else if (g->check) {
		j->status = "ok";
	} else if (atomicfile_commit(out) != 0) {
		j->rc = EX_FAILURE;
	} else {
		j->status = "ok";
	}
	atomicfile_free(out);
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
	f[3] = j->f[0];
	f[4] = j->f[3];
	/* An object not tried after a stop has no result record. */
	if (!j->skipped && (rec_write(stdout, g->nul, 5, f) != 0 ||
	    fflush(stdout) != 0) && g->status == 0)
		g->status = EX_FAILURE;
	free(j->buf);
	free(j->key);
	free(j);
}

static struct job *
job_new(struct get *g, const char *rec, size_t len, size_t recno)
{
	struct strbuf b = STRBUF_INIT;
	struct job *j;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = strndup(rec, len)) == NULL) {
		warnp("cannot allocate");
		free(j);
		return (NULL);
	}
	if (rec_split(j->buf, 4, j->f) != 0 || *j->f[0] == '\0' ||
	    *j->f[3] == '\0') {
		warn0("malformed record %zu on stdin: expected KEY, SIZE, "
		    "SHA256 and PATH separated by TABs", recno);
		goto bad;
	}
	if (atomicfile_check_path(j->f[3]) != 0) {
		warn0("refusing record %zu on stdin: path '%s' is absolute "
		    "or has a '..' component", recno, j->f[3]);
		goto bad;
	}
	strbuf_adds(&b, g->key);
	strbuf_adds(&b, j->f[0]);
	if ((j->key = strbuf_detach(&b)) == NULL)
		goto bad;
	return (j);
bad:
	free(j->buf);
	free(j);
	return (NULL);
}

static int
get_list(struct get *g)
{
	static const struct ordpool_fns fns = { job_init, job_fini, job_run,
	    job_emit };
	struct rec_reader *r;
	struct ordpool *pool;
	struct job *j;
	char *rec;
	size_t len;
	int n;

	g->dirfd = -1;
	if (!g->check &&
	    (g->dirfd = open(g->dir, O_RDONLY | O_DIRECTORY)) == -1) {
		warnp("cannot open directory '%s'", g->dir);
		return (EX_FAILURE);
	}
	if ((r = rec_reader_new(stdin, g->nul, "stdin")) == NULL ||
	    (pool = ordpool_new(g->cli.concurrency, 4 * g->cli.concurrency,
	    &fns, g)) == NULL) {
		rec_reader_free(r);
		if (g->dirfd != -1)
			close(g->dirfd);
		return (EX_FAILURE);
	}
	while (!s3_cancelled() && (n = rec_reader_raw(r, &rec, &len)) == 1) {
		if ((j = job_new(g, rec, len, rec_reader_number(r))) == NULL) {
			n = -1;
			break;
		}
		ordpool_submit(pool, j);
	}
	ordpool_finish(pool);
	rec_reader_free(r);
	if (g->dirfd != -1)
		close(g->dirfd);
	if (s3cli_list_stopped(&g->cli))
		return (s3cli_list_stopped(&g->cli));
	if (n < 0)
		return (EX_DATAERR);
	if (s3_cancelled() && g->status == 0)
		g->status = EX_FAILURE;
	return (g->status);
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
