/*
 * cb-s3put: upload a file or a stream to S3 (single PUT or concurrent
 * multipart), optionally lzop-compressed on the way, or, in list mode,
 * many files named by records on stdin.  Prints a result record per
 * object (cb-transfer(5)).  Or delete an object, or many (DeleteObjects),
 * or abort the multipart uploads left in progress under a prefix.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bkpath.h"
#include "meter.h"
#include "records.h"
#include "ordpool.h"
#include "num.h"
#include "s3cli.h"
#include "s3up.h"
#include "slots.h"
#include "strbuf.h"
#include "warnp.h"

static const char usage_text[] =
    "usage: cb-s3put [-pqv] [--progress] [-j N] [--part-size SIZE]\n"
    "                [--sse AES256|aws:kms] [--sse-kms-key-id ID]\n"
    "                [--sse-c-key-file FILE]\n"
    "                [--storage-class CLASS] [--if-none-match]\n"
    "                [--checksum sha256|crc32c|md5|none] [--rate-limit RATE]\n"
    "                [--endpoint URL] [--region REGION] [--profile NAME]\n"
    "                [--addressing-style auto|virtual|path]\n"
    "                [--ca-bundle FILE] [--connect-to HOST:PORT]\n"
    "                [--retries N] [--retry-delay MS] [--timeout SECS]\n"
    "                s3://BUCKET/KEY [FILE|-]\n"
    "       cb-s3put --list [-0] [--key-prefix P] [--key-suffix S]\n"
    "                [--fields N] [--journal FILE] [--progress=SECONDS]\n"
    "                [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3put --delete [options] s3://BUCKET/KEY\n"
    "       cb-s3put --delete --list [-0] [options] s3://BUCKET[/PREFIX]\n"
    "       cb-s3put --abort-uploads [-0] [--older-than SECONDS] [options]\n"
    "                s3://BUCKET/PREFIX\n";

enum { OPT_SSE = 400, OPT_KMS, OPT_CLASS, OPT_CHECKSUM, OPT_LIST,
    OPT_KEY_PREFIX, OPT_KEY_SUFFIX, OPT_FIELDS, OPT_IF_NONE_MATCH, OPT_JOURNAL,
    OPT_DELETE, OPT_ABORT_UPLOADS, OPT_OLDER_THAN };

struct put {
	struct s3cli	 cli;
	struct s3up_opts up;
	int		 list;
	int		 delete;
	int		 abort_uploads;
	int64_t		 older_than;	/* seconds, -1: any age */
	int		 nul;
	int		 fields;
	int		 checksum_set;
	const char	*key_prefix;
	const char	*key_suffix;
	const char	*journal;	/* --journal FILE */
	int		 journal_fd;	/* -1: none */
	struct meter	*meter;		/* --progress=SECONDS, or NULL */
	char		*bucket;
	char		*key;		/* from the URL */
	int		 status;	/* exit status of the first failure */
	struct slots	*slots;		/* list mode: the -j budget */
};

static void
usage(FILE *f, int status)
{

	fputs(usage_text, f);
	exit(status);
}

static int
parse_checksum(const char *s, enum s3_checksum *ck)
{
	static const char *names[] = { "sha256", "crc32c", "md5", "none" };
	int i;

	for (i = 0; i < 4; i++)
		if (strcmp(s, names[i]) == 0) {
			*ck = (enum s3_checksum)i;
			return (0);
		}
	warn0("invalid checksum '%s': expected sha256, crc32c, md5 or none",
	    s);
	return (-1);
}

static void
parse_args(struct put *p, int argc, char *argv[])
{
	static const struct option longopts[] = {
		S3CLI_LONGOPTS,
		{ "pack", no_argument, NULL, 'p' },
		{ "sse", required_argument, NULL, OPT_SSE },
		{ "sse-kms-key-id", required_argument, NULL, OPT_KMS },
		{ "storage-class", required_argument, NULL, OPT_CLASS },
		{ "checksum", required_argument, NULL, OPT_CHECKSUM },
		{ "list", no_argument, NULL, OPT_LIST },
		{ "null", no_argument, NULL, '0' },
		{ "key-prefix", required_argument, NULL, OPT_KEY_PREFIX },
		{ "journal", required_argument, NULL, OPT_JOURNAL },
		{ "key-suffix", required_argument, NULL, OPT_KEY_SUFFIX },
		{ "fields", required_argument, NULL, OPT_FIELDS },
		{ "if-none-match", no_argument, NULL, OPT_IF_NONE_MATCH },
		{ "delete", no_argument, NULL, OPT_DELETE },
		{ "abort-uploads", no_argument, NULL, OPT_ABORT_UPLOADS },
		{ "older-than", required_argument, NULL, OPT_OLDER_THAN },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, r;
	uint64_t u;

	while ((ch = getopt_long(argc, argv, "0j:pqvhV", longopts,
	    NULL)) != -1) {
		if ((r = s3cli_option(&p->cli, ch, optarg)) != 0) {
			if (r < 0)
				usage(stderr, EX_USAGE);
			continue;
		}
		switch (ch) {
		case '0': p->nul = 1; break;
		case 'p': p->up.pack = 1; break;
		case OPT_SSE:
			if (strcmp(optarg, "AES256") != 0 &&
			    strcmp(optarg, "aws:kms") != 0) {
				warn0("invalid --sse '%s': expected AES256 "
				    "or aws:kms", optarg);
				usage(stderr, EX_USAGE);
			}
			p->up.put.sse = optarg;
			break;
		case OPT_KMS: p->up.put.kms_key_id = optarg; break;
		case OPT_CLASS: p->up.put.storage_class = optarg; break;
		case OPT_CHECKSUM:
			if (parse_checksum(optarg, &p->up.put.checksum) != 0)
				usage(stderr, EX_USAGE);
			p->checksum_set = 1;
			break;
		case OPT_LIST: p->list = 1; break;
		case OPT_IF_NONE_MATCH: p->up.put.if_none_match = 1; break;
		case OPT_DELETE: p->delete = 1; break;
		case OPT_ABORT_UPLOADS: p->abort_uploads = 1; break;
		case OPT_OLDER_THAN:
			if (num_parse_u64(optarg, 0, INT32_MAX, &u) != 0) {
				warn0("invalid --older-than '%s': expected "
				    "seconds, 0 to %d", optarg, INT32_MAX);
				usage(stderr, EX_USAGE);
			}
			p->older_than = (int64_t)u;
			break;
		case OPT_KEY_PREFIX: p->key_prefix = optarg; break;
		case OPT_JOURNAL: p->journal = optarg; break;
		case OPT_KEY_SUFFIX: p->key_suffix = optarg; break;
		case OPT_FIELDS:
			if (num_parse_u64(optarg, 1, 64, &u) != 0) {
				warn0("invalid --fields '%s': expected 1 to 64",
				    optarg);
				usage(stderr, EX_USAGE);
			}
			p->fields = (int)u;
			break;
		case 'h': usage(stdout, 0); break;
		case 'V':
			printf("cb-s3put %s\n", CB_VERSION);
			exit(0);
		default: usage(stderr, EX_USAGE);
		}
	}
	if (p->up.put.sse != NULL && p->cli.ssec_key[0] != '\0') {
		warn0("--sse cannot go with an SSE-C key (--sse-c-key-file or "
		    "CB_SSE_C_KEY)");
		usage(stderr, EX_USAGE);
	}
	if (p->up.put.kms_key_id != NULL && (p->up.put.sse == NULL ||
	    strcmp(p->up.put.sse, "aws:kms") != 0)) {
		warn0("--sse-kms-key-id needs --sse aws:kms");
		usage(stderr, EX_USAGE);
	}
}

/* Write a result record to out; ETag without its quotes. */
static int
format_result(FILE *out, int nul, const char *status,
    const struct s3up_result *r, const char *key, char *const *input,
    int ninput)
{
	char raw[32] = "-", stored[32] = "-", etag[136] = "-";
	const char *f[6 + 64];
	size_t n;
	int i;

	if (r != NULL) {
		snprintf(raw, sizeof(raw), "%" PRIu64, r->raw_bytes);
		snprintf(stored, sizeof(stored), "%" PRIu64, r->stored_bytes);
		n = strlen(r->etag);
		if (n >= 2 && r->etag[0] == '"')
			snprintf(etag, sizeof(etag), "%.*s", (int)n - 2,
			    r->etag + 1);
		else if (n > 0)
			snprintf(etag, sizeof(etag), "%s", r->etag);
	}
	f[0] = status;
	f[1] = raw;
	f[2] = stored;
	f[3] = r != NULL ? r->sha256 : "-";
	f[4] = etag;
	f[5] = key;
	for (i = 0; i < ninput && i < 64; i++)
		f[6 + i] = input[i];
	return (rec_write(out, nul, 6 + (size_t)i, f));
}

/* The result record on stdout, in input order. */
static int
put_result(struct put *p, const char *status, const struct s3up_result *r,
    const char *key, char *const *input, int ninput)
{

	if (format_result(stdout, p->nul, status, r, key, input, ninput) != 0 ||
	    fflush(stdout) != 0) {
		if (errno != 0)
			warnp("cannot write the result record");
		return (-1);
	}
	return (0);
}

/*
 * --journal: the record of an upload appended the moment it is done,
 * whatever the order, in one write(2): what a killed run leaves is the
 * record of every object it completed (cb-node(1) resumes from it).
 */
static void
journal_result(struct put *p, const char *status,
    const struct s3up_result *res, const char *key, char *const *input)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *m;

	if (p->journal_fd < 0 || (m = open_memstream(&buf, &len)) == NULL)
		return;
	if (format_result(m, p->nul, status, res, key, input, p->fields) != 0) {
		fclose(m);
		free(buf);
		return;
	}
	fclose(m);
	if (write(p->journal_fd, buf, len) != (ssize_t)len)
		warnp("cannot write the journal '%s'", p->journal);
	free(buf);
}

/* The short status word of a failure. */
static const char *
status_word(const struct s3_error *e, int err)
{

	switch (e->kind) {
	case S3_EHTTP: return (e->code[0] ? e->code : "HTTPError");
	case S3_ENET: return ("Unreachable");
	case S3_EDATA: return ("BadData");
	case S3_ECRED: return ("NoCredentials");
	case S3_ECANCEL: return ("Interrupted");
	default: break;
	}
	return (err == ENOENT ? "NoSuchFile" : err == EACCES ? "Unreadable" :
	    "LocalError");
}

/*
 * Upload path (or stdin for "-") to key on k.  Returns 0, or an exit
 * status with *e set (and the failure reported).
 */
static int
put_file(struct put *p, struct s3_conn *k, const char *path, const char *key,
    struct s3up_opts *uo, struct s3up_result *res, struct s3_error *e,
    int *err)
{
	char why[400], name[REC_QUOTE_MAX];
	struct stat st;
	int64_t size = -1;
	int fd = STDIN_FILENO, rc;

	*err = 0;
	rec_quote(strcmp(path, "-") == 0 ? "stdin" : path, name, sizeof(name));
	if (strcmp(path, "-") != 0 && (fd = open(path, O_RDONLY)) == -1) {
		*err = errno;
		warnp("cannot open '%s'", name);
		s3_error_set(e, S3_ESYS, "%s", strerror(*err));
		return (EX_FAILURE);
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		size = (int64_t)st.st_size;
	uo->lzo.name = strcmp(path, "-") == 0 ? NULL : path;
	uo->lzo.mode = size >= 0 || uo->lzo.name ? (uint32_t)st.st_mode : 0;
	uo->lzo.mtime = size >= 0 || uo->lzo.name ? (int64_t)st.st_mtime :
	    (int64_t)time(NULL);
	uo->lzo.to_stdout = 1;
	rc = s3up_fd(p->cli.client, k, fd, size, key, uo, res, e);
	if (fd != STDIN_FILENO)
		close(fd);
	if (rc == 0)
		return (0);
	if (uo->put.if_none_match && s3_error_exists(e)) {
		warn0("cannot create '%s/%s' from '%s': it exists already "
		    "(%s)", s3_client_bucket(p->cli.client), key, name,
		    s3_error_str(e, why, sizeof(why)));
		return (EX_CANTCREAT);
	}
	warn0("cannot upload '%s' to '%s/%s': %s%s", name,
	    s3_client_bucket(p->cli.client), key,
	    s3_error_str(e, why, sizeof(why)), uo->put.if_none_match &&
	    e->kind == S3_EHTTP && e->status == 501 ? " (the server does "
	    "not support conditional writes: --if-none-match)" : "");
	return (s3_error_exit(e));
}

/* A key that names one object: not empty, not ending in '/'. */
static int
key_check(const char *key)
{

	if (*key == '\0' || key[strlen(key) - 1] == '/') {
		warn0("invalid S3 URL: no object key after the bucket");
		return (-1);
	}
	return (0);
}

/* DeleteObject; a key that is not there is success, as in S3. */
static int
put_delete(struct put *p)
{
	struct s3_error e;
	struct s3_conn *k;
	char why[400];
	int rc = 0;

	if (key_check(p->key) != 0)
		return (EX_USAGE);
	if ((k = s3_conn_new(p->cli.client)) == NULL)
		return (EX_FAILURE);
	if (s3_delete(k, p->key, &e) != 0 && !s3_error_no_such_key(&e)) {
		warn0("cannot delete '%s/%s': %s",
		    s3_client_bucket(p->cli.client), p->key,
		    s3_error_str(&e, why, sizeof(why)));
		rc = s3_error_exit(&e);
	} else
		warnp_debug(1, "deleted '%s/%s'",
		    s3_client_bucket(p->cli.client), p->key);
	s3_conn_free(k);
	return (rc);
}

/* ---------------------------------------------------- --abort-uploads */

struct aborts {
	struct put	*p;
	struct s3_conn	*k;
	time_t		 now;
	int		 stopped;	/* abort_one() stopped the listing */
};

/* Keep the first failure's exit status. */
static void
put_fail(struct put *p, int rc)
{

	if (p->status == 0)
		p->status = rc;
}

/*
 * Whether u is to be aborted: under the prefix (whatever the server
 * says) and, with --older-than, initiated that long ago.
 */
static int
abort_wanted(struct aborts *a, const struct s3_upload *u)
{
	struct put *p = a->p;
	const char *b = s3_client_bucket(p->cli.client);
	time_t t;

	if (strncmp(u->key, p->key, strlen(p->key)) != 0) {
		warn0("not aborting upload %s of '%s/%s': the server listed "
		    "it, but it is not under the prefix '%s'", u->upload_id, b,
		    u->key, p->key);
		put_fail(p, EX_DATAERR);
		return (0);
	}
	if (p->older_than < 0)
		return (1);
	if (s3_time_parse(u->initiated, &t) != 0) {
		warn0("not aborting upload %s of '%s/%s': its initiation time "
		    "'%s' cannot be read", u->upload_id, b, u->key,
		    u->initiated);
		put_fail(p, EX_DATAERR);
		return (0);
	}
	if (a->now - t >= p->older_than)
		return (1);
	warnp_debug(1, "keeping upload %s of '%s/%s': initiated %s, less "
	    "than %" PRId64 " s ago", u->upload_id, b, u->key, u->initiated,
	    p->older_than);
	return (0);
}

/* Stop the listing with exit status rc. */
static int
abort_stop(struct aborts *a, int rc)
{

	put_fail(a->p, rc);
	a->stopped = 1;
	return (-1);
}

/* Abort one upload and write its record; -1 stops the listing. */
static int
abort_one(void *cookie, const struct s3_upload *u)
{
	struct aborts *a = cookie;
	struct put *p = a->p;
	const char *f[3] = { "aborted", u->upload_id, u->key };
	struct s3_error e;
	char why[400];
	int rc = 0;

	if (s3_cancelled())
		return (abort_stop(a, EX_FAILURE));
	if (!abort_wanted(a, u))
		return (0);
	/* NoSuchUpload: completed or aborted meanwhile, gone either way. */
	if (s3_mpu_abort(a->k, u->key, u->upload_id, &e) != 0 &&
	    !s3_error_no_such_upload(&e)) {
		warn0("cannot abort upload %s of '%s/%s': %s", u->upload_id,
		    s3_client_bucket(p->cli.client), u->key,
		    s3_error_str(&e, why, sizeof(why)));
		rc = s3_error_exit(&e);
		put_fail(p, rc);
		f[0] = "failed";
	}
	if (rec_write(stdout, p->nul, 3, f) != 0)
		return (abort_stop(a, EX_FAILURE));
	if (fflush(stdout) != 0) {
		warnp("cannot write the record of upload %s", u->upload_id);
		return (abort_stop(a, EX_FAILURE));
	}
	/* Denied or unusable (as in list mode): the others would be too. */
	if (rc == EX_NOPERM || rc == EX_UNAVAILABLE)
		return (abort_stop(a, rc));
	return (0);
}

/* AbortMultipartUpload for each upload in progress under the prefix. */
static int
put_abort_uploads(struct put *p)
{
	struct aborts a = { .p = p, .now = time(NULL) };
	struct s3_error e;
	char why[400];

	if ((a.k = s3_conn_new(p->cli.client)) == NULL)
		return (EX_FAILURE);
	if (s3_list_uploads(a.k, p->key, 0, abort_one, &a, &e) != 0 &&
	    !a.stopped) {
		warn0("cannot list the uploads under '%s/%s': %s",
		    s3_client_bucket(p->cli.client), p->key,
		    s3_error_str(&e, why, sizeof(why)));
		put_fail(p, s3_error_exit(&e));
	}
	s3_conn_free(a.k);
	return (p->status);
}

static int
put_single(struct put *p, const char *path)
{
	struct s3up_result res;
	struct s3_error e;
	struct s3_conn *k;
	int rc, err;

	if (key_check(p->key) != 0)
		return (EX_USAGE);
	if ((k = s3_conn_new(p->cli.client)) == NULL)
		return (EX_FAILURE);
	rc = put_file(p, k, path, p->key, &p->up, &res, &e, &err);
	s3_conn_free(k);
	if (rc == 0 && put_result(p, "ok", &res, p->key, NULL, 0) != 0)
		rc = EX_FAILURE;
	return (rc);
}

/* ------------------------------------------------------------ list mode */

struct job {
	char			*buf;		/* the record, split */
	char			**f;		/* its fields */
	char			*key;
	const char		*path;		/* the last field */
	int			 rc;
	int			 err;
	int			 skipped;	/* after a stop: not tried */
	struct meter_file	 mf;		/* its share of the meter */
	struct s3up_result	 res;
	struct s3_error		 e;
};

static void *
job_init(void *ctx)
{
	struct put *p = ctx;

	return (s3_conn_new(p->cli.client));
}

static void
job_fini(void *ctx, void *ws)
{

	(void)ctx;
	s3_conn_free(ws);
}

struct job_ctx {
	struct put	*p;
	struct job	*j;
};

/*
 * Journaled before the request that makes the object: "pending", with the
 * ETag it will have.  A run killed before the answer came leaves it, and
 * a rerun that lists the object with that size and ETag takes it over.
 */
static void
job_committing(void *cookie, const struct s3up_result *r)
{
	struct job_ctx *c = cookie;

	journal_result(c->p, "pending", r, c->j->key, c->j->f);
}

/* The bytes of the file read so far, for the meter. */
static void
job_reading(void *cookie, size_t len)
{
	struct job_ctx *c = cookie;

	meter_add(c->p->meter, &c->j->mf, len);
}

static void
job_run(void *ctx, void *ws, void *arg)
{
	struct put *p = ctx;
	struct job *j = arg;
	struct s3up_opts uo = p->up;
	struct job_ctx jc = { p, j };

	uo.slots = p->slots;	/* the parts share -j with the files */
	uo.lzo.nthreads = 1;	/* the files compress in parallel instead */
	if (ws == NULL) {
		s3_error_set(&j->e, S3_ESYS, "no connection");
		j->rc = EX_FAILURE;
		return;
	}
	if (s3cli_list_stopped(&p->cli)) {
		j->skipped = 1;
		return;
	}
	if (s3_cancelled()) {
		s3_error_set(&j->e, S3_ECANCEL, "%s", "");
		j->rc = EX_FAILURE;
		return;
	}
	if (p->journal_fd >= 0) {
		uo.committing = job_committing;
		uo.committing_cookie = &jc;
	}
	if (p->meter != NULL) {
		uo.reading = job_reading;
		uo.reading_cookie = &jc;
	}
	slots_take(p->slots);
	j->rc = put_file(p, ws, j->path, j->key, &uo, &j->res, &j->e,
	    &j->err);
	slots_give(p->slots);
	meter_end(p->meter, &j->mf, j->rc == 0);
	if (j->rc == 0)
		journal_result(p, "ok", &j->res, j->key, j->f);
	s3cli_list_stop(&p->cli, j->rc);
}

static void
job_free(struct job *j)
{

	free(j->buf);
	free(j->f);
	free(j->key);
	free(j);
}

static void
job_emit(void *ctx, void *arg)
{
	struct put *p = ctx;
	struct job *j = arg;

	if (j->rc != 0 && p->status == 0)
		p->status = j->rc;
	/* A file not tried after a stop has no result record. */
	if (!j->skipped && put_result(p, j->rc == 0 ? "ok" :
	    status_word(&j->e, j->err), j->rc == 0 ? &j->res : NULL, j->key,
	    j->f, p->fields) != 0 && p->status == 0)
		p->status = EX_FAILURE;
	job_free(j);
}

/* Make a job of one record: key and path.  NULL if malformed. */
static struct job *
job_new(struct put *p, const char *rec, size_t len, size_t recno)
{
	struct strbuf b = STRBUF_INIT;
	struct job *j;
	char *esc = NULL;
	int n = p->fields;

	if ((j = calloc(1, sizeof(*j))) == NULL ||
	    (j->buf = strndup(rec, len)) == NULL ||
	    (j->f = calloc((size_t)n, sizeof(*j->f))) == NULL) {
		warnp("cannot allocate");
		goto bad;
	}
	if (rec_split(j->buf, (size_t)n, j->f) != 0 || *j->f[n - 1] == '\0') {
		warn0("malformed record %zu on stdin: expected %d "
		    "TAB-separated fields, path last", recno, n);
		goto bad;
	}
	j->path = j->f[n - 1];
	/* A path S3 cannot hold as it is is escaped (cb-transfer(5)). */
	if (p->key_prefix != NULL &&
	    (esc = bkpath_key_escape(j->path)) == NULL) {
		warnp("cannot allocate");
		goto bad;
	}
	strbuf_adds(&b, p->key);
	if (p->key_prefix != NULL) {
		strbuf_adds(&b, p->key_prefix);
		strbuf_adds(&b, esc);
		free(esc);
	} else
		strbuf_adds(&b, j->f[0]);
	if (p->key_suffix != NULL)
		strbuf_adds(&b, p->key_suffix);
	if ((j->key = strbuf_detach(&b)) == NULL)
		goto bad;
	if (strchr(j->key, '\t') != NULL || strchr(j->key, '\n') != NULL) {
		/* A result record could not hold it (cb-transfer(5)). */
		warn0("refusing record %zu on stdin: key '%s' holds a TAB or "
		    "newline", recno, j->key);
		free(j->key);
		goto bad;
	}
	return (j);
bad:
	if (j != NULL) {
		free(j->buf);
		free(j->f);
	}
	free(j);
	return (NULL);
}

/* ------------------------------------------------- --delete --list */

/*
 * The keys read, all of them, each with the URL's prefix before it (the
 * result names it without): each is checked before any is sent.
 */
struct delkeys {
	char		**key;
	size_t		 n, cap;
	size_t		 plen;		/* of the prefix */
};

/* One DeleteObjects request: keys [first, first + n) of the input. */
struct delbatch {
	size_t		 first, n;
	struct s3_delres *res;		/* n of them */
	int		 rc;		/* 0, or the failed request's status */
	int		 skipped;	/* after a failure: not sent */
	struct s3_error	 e;
};

struct deletes {
	struct put	*p;
	struct delkeys	*k;
	int		 stop;		/* a request failed: send no more */
	int		 req_rc;	/* the first failed request's status */
	int		 key_failed;
};

static void
delkeys_free(struct delkeys *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->key[i]);
	free(k->key);
}

/* Whether the key of record recno can be sent, and its result written. */
static int
delkey_check(struct put *p, const char *key, const char *rec, size_t recno)
{
	char q[REC_QUOTE_MAX];

	if (s3_xml_key_check(key) != 0) {
		warn0("refusing record %zu on stdin: key '%s' cannot be named "
		    "in a DeleteObjects request (not UTF-8, or a control "
		    "character)", recno, rec_quote(key, q, sizeof(q)));
		return (-1);
	}
	if (!p->nul && strchr(rec, '\t') != NULL) {
		warn0("refusing record %zu on stdin: key '%s' holds a TAB, "
		    "which a result record can hold with -0 only", recno,
		    rec_quote(rec, q, sizeof(q)));
		return (-1);
	}
	return (0);
}

/*
 * Check the key of record recno and keep it.  Returns 0, or an exit
 * status (reported): 65 for a key S3 or a result record cannot hold.
 */
static int
delkeys_add(struct put *p, struct delkeys *k, const char *rec, size_t len,
    size_t recno)
{
	struct strbuf b = STRBUF_INIT;
	char **v;

	if (strlen(rec) != len || len == 0) {
		warn0("refusing record %zu on stdin: %s", recno, len == 0 ?
		    "an empty key" : "a NUL byte in the key");
		return (EX_DATAERR);
	}
	if (k->n == k->cap) {
		k->cap = k->cap ? 2 * k->cap : 1024;
		if ((v = realloc(k->key, k->cap * sizeof(*v))) == NULL)
			goto nomem;
		k->key = v;
	}
	strbuf_adds(&b, p->key);
	strbuf_adds(&b, rec);
	if ((k->key[k->n] = strbuf_detach(&b)) == NULL)
		goto nomem;
	if (delkey_check(p, k->key[k->n++], rec, recno) != 0)
		return (EX_DATAERR);
	return (0);
nomem:
	warnp("cannot allocate");
	return (EX_FAILURE);
}

/* Read every key of stdin into k.  Returns 0 or an exit status. */
static int
delkeys_read(struct put *p, struct delkeys *k)
{
	struct rec_reader *r;
	char *rec;
	size_t len;
	int n, rc = 0;

	if ((r = rec_reader_new(stdin, p->nul, "stdin")) == NULL) {
		warnp("cannot allocate");
		return (EX_FAILURE);
	}
	while (rc == 0 && (n = rec_reader_raw(r, &rec, &len)) == 1)
		rc = delkeys_add(p, k, rec, len, rec_reader_number(r));
	if (rc == 0 && n < 0)
		rc = EX_DATAERR;
	rec_reader_free(r);
	return (rc);
}

static void *
del_init(void *ctx)
{
	struct deletes *d = ctx;

	return (s3_conn_new(d->p->cli.client));
}

static void
del_run(void *ctx, void *ws, void *arg)
{
	struct deletes *d = ctx;
	struct delbatch *b = arg;

	if (__atomic_load_n(&d->stop, __ATOMIC_ACQUIRE) || s3_cancelled()) {
		b->skipped = 1;
		return;
	}
	if (ws == NULL) {
		s3_error_set(&b->e, S3_ESYS, "no connection");
		b->rc = EX_FAILURE;
	} else if (s3_delete_objects(ws, (const char *const *)d->k->key +
	    b->first, b->n, b->res, &b->e) != 0) {
		b->rc = s3_error_exit(&b->e);
	}
	if (b->rc != 0) {
		__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
		s3cli_list_stop(&d->p->cli, b->rc);
	}
}

/* The records of a batch, in input order, flushed together. */
static void
del_emit(void *ctx, void *arg)
{
	struct deletes *d = ctx;
	struct delbatch *b = arg;
	struct put *p = d->p;
	const char *f[2];
	char why[400], q[REC_QUOTE_MAX];
	size_t i;

	if (b->skipped)
		goto out;
	if (b->rc != 0) {
		warn0("cannot delete %zu keys from '%s' (record %zu on): %s",
		    b->n, s3_client_bucket(p->cli.client), b->first + 1,
		    s3_error_str(&b->e, why, sizeof(why)));
		if (d->req_rc == 0)
			d->req_rc = b->rc;
		goto out;
	}
	for (i = 0; i < b->n; i++) {
		f[0] = b->res[i].deleted ? "deleted" : b->res[i].code;
		f[1] = d->k->key[b->first + i] + d->k->plen;
		if (!b->res[i].deleted) {
			warn0("cannot delete '%s/%s': %s%s%s",
			    s3_client_bucket(p->cli.client),
			    rec_quote(d->k->key[b->first + i], q, sizeof(q)),
			    b->res[i].code, b->res[i].msg[0] ? ": " : "",
			    b->res[i].msg);
			d->key_failed = 1;
		}
		if (rec_write(stdout, p->nul, 2, f) != 0)
			break;		/* reported */
	}
	if (i == b->n && fflush(stdout) != 0)
		warnp("cannot write the result records");
	else if (i == b->n)
		goto out;
	if (d->req_rc == 0)
		d->req_rc = EX_FAILURE;
	__atomic_store_n(&d->stop, 1, __ATOMIC_RELEASE);
out:
	free(b->res);
	free(b);
}

/*
 * DeleteObjects of every key on stdin, up to S3_DELETE_MAX a request,
 * -j requests at a time; results in input order.
 */
static int
put_delete_list(struct put *p)
{
	static const struct ordpool_fns fns = { del_init, job_fini, del_run,
	    del_emit };
	struct delkeys k = { .plen = strlen(p->key) };
	struct deletes d = { .p = p, .k = &k };
	struct ordpool *pool = NULL;
	struct delbatch *b;
	size_t i, n;
	int rc;

	/* A bad record deletes nothing: all are checked first. */
	if ((rc = delkeys_read(p, &k)) != 0)
		goto out;
	if (k.n == 0)
		goto out;
	/* (A batch's results take 1000 * 324 bytes: a short window.) */
	if ((pool = ordpool_new(p->cli.concurrency, p->cli.concurrency + 1,
	    &fns, &d)) == NULL) {
		rc = EX_FAILURE;
		goto out;
	}
	for (i = 0; i < k.n && !__atomic_load_n(&d.stop, __ATOMIC_ACQUIRE) &&
	    !s3_cancelled(); i += S3_DELETE_MAX) {
		n = k.n - i < S3_DELETE_MAX ? k.n - i : S3_DELETE_MAX;
		if ((b = calloc(1, sizeof(*b))) == NULL ||
		    (b->res = calloc(n, sizeof(*b->res))) == NULL) {
			free(b);
			warnp("cannot allocate");
			d.req_rc = EX_FAILURE;
			break;
		}
		b->first = i;
		b->n = n;
		ordpool_submit(pool, b);
	}
	ordpool_finish(pool);
	if (s3cli_list_stopped(&p->cli))
		rc = s3cli_list_stopped(&p->cli);
	else if (d.req_rc != 0)
		rc = d.req_rc;
	else if (s3_cancelled())
		rc = EX_FAILURE;
	else
		rc = d.key_failed ? EX_FAILURE : 0;
out:
	delkeys_free(&k);
	return (rc);
}

/*
 * The next record's job into *jp: 1, 0 at the end of the input (or on a
 * signal), -1 for a malformed record (reported).
 */
static int
job_next(struct put *p, struct rec_reader *r, struct job **jp)
{
	char *rec;
	size_t len;
	int n;

	if (s3_cancelled() || (n = rec_reader_raw(r, &rec, &len)) == 0)
		return (0);
	if (n < 0 || (*jp = job_new(p, rec, len, rec_reader_number(r))) ==
	    NULL)
		return (-1);
	return (1);
}

/*
 * --progress=SECONDS: every record is read before the first upload, for
 * the meter's totals: the files, and their sizes now (a file that cannot
 * be read counts 0; its upload says why).  A malformed record ends the
 * reading, as it does otherwise (-1); those before it still go.  -2: out
 * of memory, nothing sent.
 */
static int
put_list_metered(struct put *p, struct rec_reader *r, struct ordpool *pool)
{
	struct job **v = NULL, **nv, *j;
	size_t i, nj = 0, cap = 0;
	uint64_t bytes = 0;
	struct stat st;
	int n;

	while ((n = job_next(p, r, &j)) == 1) {
		if (nj == cap) {
			cap = cap ? 2 * cap : 256;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL) {
				warnp("cannot allocate");
				job_free(j);
				n = -2;
				break;
			}
			v = nv;
		}
		if (stat(j->path, &st) == 0 && S_ISREG(st.st_mode))
			j->mf.size = (uint64_t)st.st_size;
		bytes += j->mf.size;
		v[nj++] = j;
	}
	if (n != -2 && (p->meter = meter_new(p->cli.progress_secs, nj,
	    bytes)) == NULL)
		n = -2;
	for (i = 0; i < nj; i++) {
		if (n == -2)
			job_free(v[i]);
		else
			ordpool_submit(pool, v[i]);
	}
	free(v);
	return (n);
}

static int
put_list(struct put *p)
{
	static const struct ordpool_fns fns = { job_init, job_fini, job_run,
	    job_emit };
	struct rec_reader *r;
	struct ordpool *pool;
	struct job *j;
	int n;

	if (p->journal != NULL && (p->journal_fd = open(p->journal,
	    O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		warnp("cannot open the journal '%s'", p->journal);
		return (warnp_errno_status(errno));
	}
	if ((r = rec_reader_new(stdin, p->nul, "stdin")) == NULL ||
	    (p->slots = slots_new(p->cli.concurrency)) == NULL ||
	    (pool = ordpool_new(p->cli.concurrency, 4 * p->cli.concurrency,
	    &fns, p)) == NULL) {
		rec_reader_free(r);
		slots_free(p->slots);
		return (EX_FAILURE);
	}
	if (p->cli.progress_secs > 0)
		n = put_list_metered(p, r, pool);
	else
		while ((n = job_next(p, r, &j)) == 1)
			ordpool_submit(pool, j);
	ordpool_finish(pool);
	slots_free(p->slots);
	p->slots = NULL;
	meter_free(p->meter);
	p->meter = NULL;
	rec_reader_free(r);
	if (s3cli_list_stopped(&p->cli))
		return (s3cli_list_stopped(&p->cli));
	if (n == -2)
		return (EX_FAILURE);
	if (n < 0)
		return (EX_DATAERR);
	if (s3_cancelled() && p->status == 0)
		p->status = EX_FAILURE;
	return (p->status);
}

int
main(int argc, char *argv[])
{
	struct put p;
	int rc = EX_FAILURE;

	warnp_init(argv[0]);
	memset(&p, 0, sizeof(p));
	if (s3cli_init(&p.cli) != 0)
		return (EX_USAGE);
	p.up.lzo.level = 3;
	p.older_than = -1;
	p.journal_fd = -1;
	parse_args(&p, argc, argv);
	argc -= optind;
	argv += optind;
	if (s3cli_progress_check(&p.cli, p.list && !p.delete, argc, argv) != 0)
		usage(stderr, EX_USAGE);
	if (argc < 1 || argc > (p.list || p.delete || p.abort_uploads ? 1 : 2))
		usage(stderr, EX_USAGE);
	/* (Encryption, class and checksum options are no harm: ignored.) */
	if (p.delete && (p.up.pack || p.up.put.if_none_match ||
	    p.key_prefix || p.key_suffix || p.fields)) {
		warn0("--delete cannot go with --pack, --if-none-match, "
		    "--key-prefix, --key-suffix or --fields");
		usage(stderr, EX_USAGE);
	}
	if (p.abort_uploads && (p.list || p.delete || p.up.pack ||
	    p.up.put.if_none_match)) {
		warn0("--abort-uploads cannot go with --list, --delete, --pack "
		    "or --if-none-match");
		usage(stderr, EX_USAGE);
	}
	if (p.older_than >= 0 && !p.abort_uploads) {
		warn0("--older-than needs --abort-uploads");
		usage(stderr, EX_USAGE);
	}
	if (p.journal != NULL && (!p.list || p.delete)) {
		warn0("--journal needs --list (uploads)");
		usage(stderr, EX_USAGE);
	}
	if (!p.list && (p.key_prefix || p.key_suffix || p.fields ||
	    (p.nul && !p.abort_uploads))) {
		warn0("--key-prefix, --key-suffix and --fields need --list; -0 "
		    "needs --list or --abort-uploads");
		usage(stderr, EX_USAGE);
	}
	if (p.fields == 0)
		p.fields = p.key_prefix != NULL ? 4 : 2;
	if (!p.key_prefix && p.fields < 2) {
		warn0("--fields must be at least 2 without --key-prefix");
		usage(stderr, EX_USAGE);
	}
	if (s3cli_parse_url(argv[0], &p.bucket, &p.key) != 0)
		return (EX_USAGE);
	if (p.abort_uploads && *p.key == '\0') {
		warn0("refusing to abort the uploads of the whole bucket: name "
		    "a prefix (s3://BUCKET/PREFIX)");
		free(p.bucket);
		free(p.key);
		return (EX_USAGE);
	}
	p.up.part_size = p.cli.part_size;
	p.up.concurrency = p.cli.concurrency;
	s3cli_signals();
	if ((rc = s3cli_open(&p.cli, p.bucket)) != 0)
		goto done;
	/*
	 * Over plain HTTP the signed payload hash is the integrity check (and
	 * the server verifies it); over TLS, a cheap CRC-32C suffices.
	 */
	if (!p.checksum_set)
		p.up.put.checksum = p.cli.endpoint_res != NULL &&
		    strncmp(p.cli.endpoint_res, "http://", 7) == 0 ?
		    S3_CK_SHA256 : S3_CK_CRC32C;
	s3cli_progress_start(&p.cli);
	if (p.delete && p.list)
		rc = put_delete_list(&p);
	else if (p.delete)
		rc = put_delete(&p);
	else if (p.abort_uploads)
		rc = put_abort_uploads(&p);
	else if (p.list)
		rc = put_list(&p);
	else
		rc = put_single(&p, argc == 2 ? argv[1] : "-");
done:
	s3cli_close(&p.cli);
	free(p.bucket);
	free(p.key);
	return (rc);
}
