#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "ordpool.h"
#include "s3down.h"
#include "sigv4.h"
#include "warnp.h"

/* A chunk in flight: one per ring position of the pool. */
struct chunk {
	unsigned char	*buf;
	size_t		 len;
	int64_t		 idx;
	int		 lent;		/* holds a borrowed slot */
};

struct down {
	struct s3_client	*c;
	const char		*key;
	const struct s3down_opts *o;
	int64_t			 size;
	char			 etag[136];
	int64_t			 nchunks;
	lzop_sink_fn		*sink;
	void			*cookie;
	struct lzop_unpacker	*unp;
	EVP_MD_CTX		*sha;
	uint64_t		 raw;
	struct ordpool		*pool;		/* chunks 1.. in parallel */
	struct chunk		*chunks;	/* a ring position each */
	int			 nbufs;
	unsigned char		**spare;	/* chunk buffers not in use */
	int			 nspare;
	int			 nlent;		/* chunks holding a slot */
	/* shared with the workers */
	pthread_mutex_t		 lock;
	int			 failed;
	int			 absent;	/* the first GET: NoSuchKey */
	struct s3_error		 err;
};

/* Keep the first failure (from any thread) and stop the download. */
static void
down_fail(struct down *d, const struct s3_error *e)
{

	pthread_mutex_lock(&d->lock);
	if (!d->failed) {
		d->failed = 1;
		d->err = *e;
	}
	pthread_mutex_unlock(&d->lock);
	if (d->pool != NULL)
		ordpool_stop(d->pool);
}

/* Raw output: hash it and pass it on (an lzop_sink_fn). */
static int
down_out(void *cookie, const void *buf, size_t len)
{
	struct down *d = cookie;

	if (d->sha != NULL)
		EVP_DigestUpdate(d->sha, buf, len);
	d->raw += len;
	return (d->sink(d->cookie, buf, len));
}

/* Stored bytes of the object, in order. */
static int
down_feed(struct down *d, const void *buf, size_t len)
{
	struct s3_error e;
	int rc;

	if (d->unp == NULL)
		rc = down_out(d, buf, len);
	else
		rc = lzop_unpacker_write(d->unp, buf, len);
	if (rc == LZOP_EDATA) {
		s3_error_set(&e, S3_EDATA, "%s",
		    lzop_unpacker_error(d->unp));
	} else if (rc != 0) {
		s3_error_set(&e, S3_ESYS, "%s", "");
	} else {
		return (0);
	}
	down_fail(d, &e);
	return (-1);
}

static int
down_get(struct down *d, struct s3_conn *k, int64_t idx, unsigned char *buf,
    size_t *got)
{
	int64_t off = idx * (int64_t)d->o->chunk;
	size_t len = d->o->chunk;
	struct s3_error e;

	if (off + (int64_t)len > d->size)
		len = (size_t)(d->size - off);
	if (s3_get_range(k, d->key, off, len, d->etag, buf, got, NULL,
	    &e) != 0) {
		down_fail(d, &e);
		return (-1);
	}
	if (*got != len) {
		s3_error_set(&e, S3_EDATA, "short read at byte %lld: %zu of "
		    "%zu bytes", (long long)off, *got, len);
		down_fail(d, &e);
		return (-1);
	}
	return (0);
}

/* A worker's connection (an ordpool_init_fn); NULL fails its chunks. */
static void *
down_conn_new(void *ctx)
{
	struct down *d = ctx;

	return (s3_conn_new(d->c));
}

static void
down_conn_free(void *ctx, void *k)
{

	s3_conn_free(k);
}

/* Fetch one chunk in a worker (an ordpool_run_fn). */
static void
down_run(void *ctx, void *k, void *job)
{
	struct down *d = ctx;
	struct chunk *ch = job;
	struct s3_error e;

	if (k == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot create a connection");
		down_fail(d, &e);
		return;
	}
	(void)down_get(d, k, ch->idx, ch->buf, &ch->len);
}

/*
 * A chunk's buffer and slot back once handed on, or never to be.  With a
 * budget, the spare buffers beyond one per slot the file holds (its own
 * and its chunks') are freed: a file keeps the buffers of what it has
 * now, not of the most it ever had.
 */
static void
down_release(struct down *d, struct chunk *ch)
{

	if (ch->buf != NULL)
		d->spare[d->nspare++] = ch->buf;
	ch->buf = NULL;
	if (ch->lent) {
		slots_give(d->o->slots);
		d->nlent--;
	}
	ch->lent = 0;
	while (d->o->slots != NULL && d->nspare > 1 + d->nlent)
		free(d->spare[--d->nspare]);
}

/* Hand a chunk to the sink, in order (an ordpool_emit_fn). */
static void
down_emit(void *ctx, void *job)
{
	struct chunk *ch = job;

	(void)down_feed(ctx, ch->buf, ch->len);
	down_release(ctx, ch);
}

/*
 * A chunk buffer, page-aligned: a sink that writes with O_DIRECT
 * (atomicfile_uncached) takes its whole blocks without a copy.
 */
static unsigned char *
down_buf_new(const struct down *d)
{
	void *p;

	return (posix_memalign(&p, 4096, d->o->chunk) == 0 ? p : NULL);
}

static int
down_alloc(struct down *d)
{

	if ((d->chunks = calloc((size_t)d->nbufs, sizeof(*d->chunks))) ==
	    NULL || (d->spare = calloc((size_t)d->nbufs, sizeof(*d->spare))) ==
	    NULL)
		return (-1);
	return (0);
}

/*
 * Queue chunk ch (its ring position's, from ordpool_room()), with a
 * buffer: one not in use, else a new one.  With a budget, ch goes to a
 * worker on a borrowed slot; with none free, the chunks before it are
 * emitted (their slots given back) until one is, or until none is
 * pending: then ch is fetched here, on the caller's own slot.
 */
static int
down_submit(struct down *d, struct chunk *ch)
{
	struct slots *sl = d->o->slots;
	struct s3_error e;

	if ((ch->buf = d->nspare > 0 ? d->spare[--d->nspare] :
	    down_buf_new(d)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot allocate");
		down_fail(d, &e);
		return (-1);
	}
	if (sl == NULL)
		return (ordpool_submit(d->pool, ch));
	for (;;) {
		if (ordpool_pending(d->pool) <
		    (size_t)ordpool_nworkers(d->pool) &&
		    (ch->lent = slots_try(sl)) != 0) {
			d->nlent++;
			return (ordpool_submit(d->pool, ch));
		}
		if (ordpool_pending(d->pool) == 0)
			return (ordpool_submit_here(d->pool, ch));
		if (ordpool_drain_to(d->pool, ordpool_pending(d->pool) -
		    1) != 0)
			return (-1);
	}
}

/*
 * Chunks 1.. on concurrency workers (one fewer with a budget: the caller
 * fetches too), their buffers reused once handed to the sink, in order;
 * the first failure (a GET, the sink) stops the pool.
 */
static int
down_parallel(struct down *d)
{
	static const struct ordpool_fns fns = { down_conn_new,
	    down_conn_free, down_run, down_emit };
	int n = d->o->concurrency - (d->o->slots != NULL), k, i;
	struct s3_error e;
	int64_t idx;

	if ((int64_t)n > d->nchunks - 1)
		n = (int)(d->nchunks - 1);
	d->nbufs = n + 1;
	if (down_alloc(d) != 0) {
		s3_error_set(&e, S3_ESYS, "cannot allocate");
		down_fail(d, &e);
	} else if ((d->pool = ordpool_new(n, d->nbufs, &fns, d)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot start threads");
		down_fail(d, &e);
	}
	for (idx = 1; d->pool != NULL && idx < d->nchunks; idx++) {
		if ((k = ordpool_room(d->pool)) < 0)
			break;
		d->chunks[k].idx = idx;
		if (down_submit(d, &d->chunks[k]) != 0)
			break;
	}
	if (d->pool != NULL)
		(void)ordpool_drain(d->pool);
	ordpool_free(d->pool);
	d->pool = NULL;
	for (i = 0; d->chunks != NULL && i < d->nbufs; i++)
		down_release(d, &d->chunks[i]);
	for (i = 0; i < d->nspare; i++)
		free(d->spare[i]);
	free(d->spare);
	free(d->chunks);
	d->chunks = NULL;
	d->spare = NULL;
	d->nspare = 0;
	return (d->failed ? -1 : 0);
}

static int
down_serial(struct down *d, struct s3_conn *k, unsigned char *buf)
{
	int64_t i;
	size_t got;

	for (i = 1; i < d->nchunks; i++)
		if (down_get(d, k, i, buf, &got) != 0 ||
		    down_feed(d, buf, got) != 0)
			return (-1);
	return (0);
}

/* The first chunk: size and ETag (an empty object answers 416). */
static int
down_first(struct down *d, struct s3_conn *k, unsigned char *buf,
    size_t *got)
{
	struct s3_objinfo info;
	struct s3_error e;

	*got = 0;
	if (s3_get_range(k, d->key, 0, d->o->chunk, NULL, buf, got, &info,
	    &e) != 0) {
		d->absent = s3_error_no_such_key(&e);
		if (e.kind != S3_EHTTP || e.status != 416 ||
		    s3_head(k, d->key, &info, &e) != 0 || info.size != 0) {
			if (e.kind == S3_EHTTP && e.status == 416)
				s3_error_set(&e, S3_EDATA, "unexpected "
				    "InvalidRange");
			down_fail(d, &e);
			return (-1);
		}
	}
	if (info.size < 0 || (uint64_t)*got > (uint64_t)info.size ||
	    (*got < d->o->chunk && (int64_t)*got != info.size)) {
		s3_error_set(&e, S3_EDATA, "inconsistent size in the answer");
		down_fail(d, &e);
		return (-1);
	}
	d->size = info.size;
	memcpy(d->etag, info.etag, sizeof(d->etag));
	d->nchunks = (d->size + (int64_t)d->o->chunk - 1) /
	    (int64_t)d->o->chunk;
	return (0);
}

static int
down_body(struct down *d, struct s3_conn *k)
{
	unsigned char *buf;
	size_t got;
	int rc = -1;
	struct s3_error e;

	if ((buf = down_buf_new(d)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot allocate");
		down_fail(d, &e);
		return (-1);
	}
	if (down_first(d, k, buf, &got) == 0 && down_feed(d, buf, got) == 0) {
		if (d->nchunks <= 1)
			rc = 0;
		else if (d->o->concurrency > 1) {
			free(buf);
			buf = NULL;
			rc = down_parallel(d);
		} else
			rc = down_serial(d, k, buf);
	}
	free(buf);
	return (rc);
}

int
s3down_run(struct s3_client *c, struct s3_conn *k, const char *key,
    const struct s3down_opts *o, lzop_sink_fn *sink, void *cookie,
    struct s3down_result *res, struct s3_error *e)
{
	struct down d = { .c = c, .key = key, .o = o, .sink = sink,
	    .cookie = cookie };
	unsigned char md[32];
	unsigned int mdlen = 32;
	int rc = -1, urc;

	memset(res, 0, sizeof(*res));
	pthread_mutex_init(&d.lock, NULL);
	if ((!o->no_sha256 && ((d.sha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(d.sha, EVP_sha256(), NULL))) ||
	    (o->unpack && (d.unp = lzop_unpacker_new(o->unpack_threads, down_out,
	    &d)) == NULL)) {
		s3_error_set(e, S3_ESYS, "cannot start");
		goto out;
	}
	if (down_body(&d, k) == 0) {
		urc = d.unp != NULL ? lzop_unpacker_finish(d.unp) : 0;
		if (urc == LZOP_EDATA)
			s3_error_set(&d.err, S3_EDATA, "%s",
			    lzop_unpacker_error(d.unp));
		else if (urc != 0)
			s3_error_set(&d.err, S3_ESYS, "%s", "");
		else
			rc = 0;
	}
	*e = d.err;
	res->absent = rc != 0 && d.absent;
	if (rc == 0) {
		if (d.sha != NULL) {
			EVP_DigestFinal_ex(d.sha, md, &mdlen);
			sigv4_hex(md, 32, res->sha256);
		}
		res->stored_bytes = (uint64_t)d.size;
		res->raw_bytes = d.raw;
		memcpy(res->etag, d.etag, sizeof(res->etag));
	}
out:
	lzop_unpacker_free(d.unp);
	EVP_MD_CTX_free(d.sha);
	pthread_mutex_destroy(&d.lock);
	return (rc);
}
