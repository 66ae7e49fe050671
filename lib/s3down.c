#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "s3down.h"
#include "sigv4.h"
#include "warnp.h"

struct slot {
	unsigned char	*buf;
	size_t		 len;
	int64_t		 idx;	/* chunk held, -1 none */
	int		 ready;
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
	/* shared with the workers */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cv;
	struct slot		*slots;
	int			 nslots;
	int64_t			 next_fetch;
	int64_t			 next_write;
	int			 failed;
	int			 absent;	/* the first GET: NoSuchKey */
	struct s3_error		 err;
};

static void
down_fail(struct down *d, const struct s3_error *e)
{

	pthread_mutex_lock(&d->lock);
	if (!d->failed) {
		d->failed = 1;
		d->err = *e;
	}
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->lock);
}

/* Raw output: hash it and pass it on (an lzop_sink_fn). */
static int
down_out(void *cookie, const void *buf, size_t len)
{
	struct down *d = cookie;

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

static void *
down_worker(void *arg)
{
	struct down *d = arg;
	struct s3_conn *k = s3_conn_new(d->c);
	struct s3_error e;
	struct slot *s;
	int64_t idx;

	if (k == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot create a connection");
		down_fail(d, &e);
		return (NULL);
	}
	pthread_mutex_lock(&d->lock);
	while (!d->failed && d->next_fetch < d->nchunks) {
		if (d->next_fetch >= d->next_write + d->nslots) {
			pthread_cond_wait(&d->cv, &d->lock);
			continue;
		}
		idx = d->next_fetch++;
		s = &d->slots[idx % d->nslots];
		pthread_mutex_unlock(&d->lock);
		if (down_get(d, k, idx, s->buf, &s->len) != 0) {
			pthread_mutex_lock(&d->lock);
			break;
		}
		pthread_mutex_lock(&d->lock);
		s->idx = idx;
		s->ready = 1;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->lock);
	s3_conn_free(k);
	return (NULL);
}

/* Hand chunks 1.. to the sink in order as the workers bring them. */
static int
down_collect(struct down *d)
{
	struct slot *s;
	int rc = 0;

	while (rc == 0 && d->next_write < d->nchunks) {
		s = &d->slots[d->next_write % d->nslots];
		pthread_mutex_lock(&d->lock);
		while (!d->failed && !(s->ready && s->idx == d->next_write))
			pthread_cond_wait(&d->cv, &d->lock);
		rc = d->failed ? -1 : 0;
		pthread_mutex_unlock(&d->lock);
		if (rc == 0)
			rc = down_feed(d, s->buf, s->len);
		pthread_mutex_lock(&d->lock);
		s->ready = 0;
		d->next_write++;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->lock);
	}
	return (rc);
}

static int
down_parallel(struct down *d)
{
	pthread_t *t;
	int i, n = d->o->concurrency, started = 0, rc;
	struct s3_error e;

	if ((int64_t)n > d->nchunks - 1)
		n = (int)(d->nchunks - 1);
	d->nslots = n + 1;
	t = calloc((size_t)n, sizeof(*t));
	d->slots = calloc((size_t)d->nslots, sizeof(*d->slots));
	for (i = 0; t != NULL && d->slots != NULL && i < d->nslots; i++)
		if ((d->slots[i].buf = malloc(d->o->chunk)) == NULL)
			break;
	if (t == NULL || d->slots == NULL || i < d->nslots) {
		s3_error_set(&e, S3_ESYS, "cannot allocate");
		down_fail(d, &e);
	}
	d->next_fetch = d->next_write = 1;
	for (i = 0; !d->failed && i < n; i++)
		if (pthread_create(&t[i], NULL, down_worker, d) == 0)
			started++;
	if (started == 0 && !d->failed) {
		s3_error_set(&e, S3_ESYS, "cannot start threads");
		down_fail(d, &e);
	}
	rc = down_collect(d);
	if (rc != 0) {
		pthread_mutex_lock(&d->lock);
		d->failed = 1;
		pthread_cond_broadcast(&d->cv);
		pthread_mutex_unlock(&d->lock);
	}
	for (i = 0; i < started; i++)
		pthread_join(t[i], NULL);
	for (i = 0; d->slots != NULL && i < d->nslots; i++)
		free(d->slots[i].buf);
	free(d->slots);
	free(t);
	return (rc);
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

	if ((buf = malloc(d->o->chunk)) == NULL) {
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
	pthread_cond_init(&d.cv, NULL);
	if ((d.sha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(d.sha, EVP_sha256(), NULL) ||
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
		EVP_DigestFinal_ex(d.sha, md, &mdlen);
		sigv4_hex(md, 32, res->sha256);
		res->stored_bytes = (uint64_t)d.size;
		res->raw_bytes = d.raw;
		memcpy(res->etag, d.etag, sizeof(res->etag));
	}
out:
	lzop_unpacker_free(d.unp);
	EVP_MD_CTX_free(d.sha);
	pthread_mutex_destroy(&d.lock);
	pthread_cond_destroy(&d.cv);
	return (rc);
}
