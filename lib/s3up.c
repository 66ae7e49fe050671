#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "s3up.h"
#include "slots.h"
#include "sigv4.h"
#include "warnp.h"

#define MAX_PARTS	10000
#define READ_CHUNK	(1024 * 1024)

struct part {
	unsigned char	*buf;
	size_t		 len;
	size_t		 cap;	/* allocated */
	size_t		 want;	/* part size for this part */
	int		 n;	/* part number */
	struct part	*next;
};

struct up {
	struct s3_client	*c;
	struct s3_conn		*k;
	const char		*key;
	const struct s3up_opts	*o;
	size_t			 base;
	EVP_MD_CTX		*sha;
	struct part		*cur;
	int			 nparts;	/* dispatched */
	char			*upload_id;
	struct s3_part		*parts;		/* 1..nparts */
	uint64_t		 raw;
	uint64_t		 stored;
	/* shared with the workers */
	pthread_mutex_t		 lock;
	pthread_cond_t		 cv;
	struct part		*freel;
	int			 nbufs;		/* allocated */
	struct part		*qhead, *qtail;
	int			 busy;		/* parts queued or uploading */
	int			 lent;		/* of them, with the workers */
	int			 closing;
	int			 failed;
	struct s3_error		 err;
	pthread_t		*tids;
	int			 nthreads;
};

size_t
s3up_part_size(size_t base, int64_t size)
{
	uint64_t need;

	if (base < S3UP_MIN_PART)
		base = S3UP_MIN_PART;
	if (size > 0) {
		need = ((uint64_t)size + MAX_PARTS - 1) / MAX_PARTS;
		need = (need + 1024 * 1024 - 1) / (1024 * 1024) * 1024 * 1024;
		if (need > base)
			base = (size_t)need;
	}
	return (base);
}

size_t
s3up_part_want(size_t base, int n)
{
	int shift = (n - 1) / S3UP_GROW_EVERY;
	uint64_t s = (uint64_t)base << (shift < 20 ? shift : 20);

	return (s > S3UP_MAX_PART ? (size_t)S3UP_MAX_PART : (size_t)s);
}

static void
up_fail(struct up *u, const struct s3_error *e)
{

	pthread_mutex_lock(&u->lock);
	if (!u->failed) {
		u->failed = 1;
		u->err = *e;
	}
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
}

static int
up_failed(struct up *u)
{
	int f;

	pthread_mutex_lock(&u->lock);
	f = u->failed;
	pthread_mutex_unlock(&u->lock);
	return (f);
}

static void
part_release(struct up *u, struct part *p)
{

	pthread_mutex_lock(&u->lock);
	p->next = u->freel;
	u->freel = p;
	u->busy--;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
}

/*
 * With a budget, the spare buffers beyond one per slot the upload holds
 * (its own and the parts with the workers) are freed: a file keeps the
 * buffers of what it has now, not of the most it ever had.
 */
static void
up_trim(struct up *u)
{
	struct part *p, *drop = NULL, **pp;
	int keep;

	if (u->o->slots == NULL)
		return;
	pthread_mutex_lock(&u->lock);
	keep = 1 + u->lent;
	for (pp = &u->freel; *pp != NULL && keep > 0; pp = &(*pp)->next)
		keep--;
	drop = *pp;
	*pp = NULL;
	for (p = drop; p != NULL; p = p->next)
		u->nbufs--;
	pthread_mutex_unlock(&u->lock);
	while ((p = drop) != NULL) {
		drop = p->next;
		free(p->buf);
		free(p);
	}
}

static int
part_upload(struct up *u, struct s3_conn *k, struct part *p)
{
	struct s3_error e;

	if (s3_mpu_part(k, u->key, u->upload_id, p->n, p->buf, p->len,
	    &u->o->put, &u->parts[p->n - 1], &e) != 0) {
		up_fail(u, &e);
		return (-1);
	}
	return (0);
}

static void *
up_worker(void *arg)
{
	struct up *u = arg;
	struct s3_conn *k;
	struct part *p;
	struct s3_error e;

	if ((k = s3_conn_new(u->c)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot create a connection");
		up_fail(u, &e);
	}
	pthread_mutex_lock(&u->lock);
	for (;;) {
		while (u->qhead == NULL && !u->closing)
			pthread_cond_wait(&u->cv, &u->lock);
		if ((p = u->qhead) == NULL)
			break;
		if ((u->qhead = p->next) == NULL)
			u->qtail = NULL;
		pthread_mutex_unlock(&u->lock);
		if (k != NULL && !up_failed(u))
			part_upload(u, k, p);
		if (u->o->slots != NULL)
			slots_give(u->o->slots);	/* the part's slot */
		pthread_mutex_lock(&u->lock);
		u->lent--;
		pthread_mutex_unlock(&u->lock);
		part_release(u, p);
		up_trim(u);
		pthread_mutex_lock(&u->lock);
	}
	pthread_mutex_unlock(&u->lock);
	s3_conn_free(k);
	return (NULL);
}

/* One more worker thread (at most concurrency).  Returns 0 or -1. */
static int
up_spawn(struct up *u)
{

	if (u->tids == NULL && (u->tids = calloc((size_t)u->o->concurrency,
	    sizeof(*u->tids))) == NULL)
		return (-1);
	if (pthread_create(&u->tids[u->nthreads], NULL, up_worker, u) != 0)
		return (-1);
	u->nthreads++;
	return (0);
}

/*
 * Whether the next part goes to a worker: without a budget, always with
 * concurrency > 1 (queued for the concurrency workers; up_take() holds
 * the reading back); with one, when fewer than concurrency - 1 parts are
 * with the workers and a slot is free for it, else the caller sends it on
 * its own slot.  A worker is started when every one is busy; if none can
 * be, the part goes inline.
 */
static int
up_lend(struct up *u)
{
	struct slots *sl = u->o->slots;
	int max = u->o->concurrency - (sl != NULL), room, spawn;

	pthread_mutex_lock(&u->lock);
	room = sl == NULL ? max > 1 : u->lent < max;
	pthread_mutex_unlock(&u->lock);
	if (!room || (sl != NULL && !slots_try(sl)))
		return (0);
	pthread_mutex_lock(&u->lock);
	spawn = ++u->lent > u->nthreads && u->nthreads < max;
	pthread_mutex_unlock(&u->lock);
	if (spawn && up_spawn(u) != 0 && u->nthreads == 0) {
		pthread_mutex_lock(&u->lock);
		u->lent--;
		pthread_mutex_unlock(&u->lock);
		if (sl != NULL)
			slots_give(sl);
		return (0);
	}
	return (1);
}

/*
 * A conditional create is decided at Complete (AWS); asking first spares
 * uploading every part of an object that exists already, and narrows the
 * race on servers that ignore the condition at Complete (RGW 16).
 */
static int
up_exists(struct up *u)
{
	struct s3_objinfo info;
	struct s3_error e;

	if (!u->o->put.if_none_match ||
	    s3_head(u->k, u->key, &info, &e) != 0)
		return (0);
	s3_error_set(&e, S3_EHTTP, "the object exists (HEAD before the "
	    "upload)");
	e.status = 412;
	snprintf(e.code, sizeof(e.code), "PreconditionFailed");
	up_fail(u, &e);
	return (1);
}

/* Create the multipart upload at the first part. */
static int
up_begin(struct up *u)
{
	struct s3_error e;

	if (up_exists(u))
		return (-1);
	if ((u->parts = calloc(MAX_PARTS, sizeof(*u->parts))) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot allocate");
		up_fail(u, &e);
		return (-1);
	}
	if (s3_mpu_create(u->k, u->key, &u->o->put, &u->upload_id, &e) != 0) {
		up_fail(u, &e);
		return (-1);
	}
	return (0);
}

/* Hand the current part over; the part is now owned by the queue. */
static int
up_dispatch(struct up *u)
{
	struct part *p = u->cur;
	struct s3_error e;

	u->cur = NULL;
	if (u->upload_id == NULL && up_begin(u) != 0)
		goto drop;
	if (p->n > MAX_PARTS) {
		s3_error_set(&e, S3_EDATA, "more than %d parts", MAX_PARTS);
		up_fail(u, &e);
		goto drop;
	}
	u->nparts = p->n;
	if (!up_lend(u)) {
		pthread_mutex_lock(&u->lock);
		u->busy++;
		pthread_mutex_unlock(&u->lock);
		part_upload(u, u->k, p);
		part_release(u, p);
		return (up_failed(u) ? -1 : 0);
	}
	pthread_mutex_lock(&u->lock);
	p->next = NULL;
	if (u->qtail != NULL)
		u->qtail->next = p;
	else
		u->qhead = p;
	u->qtail = p;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
	return (up_failed(u) ? -1 : 0);
drop:
	pthread_mutex_lock(&u->lock);
	u->busy++;
	pthread_mutex_unlock(&u->lock);
	part_release(u, p);
	return (-1);
}

/* A buffer for part n, waiting while every buffer is in flight. */
static int
up_take(struct up *u, int n)
{
	struct part *p = NULL;
	int limit = u->o->concurrency + 1;

	pthread_mutex_lock(&u->lock);
	while (!u->failed && u->freel == NULL && u->nbufs >= limit)
		pthread_cond_wait(&u->cv, &u->lock);
	if (!u->failed && (p = u->freel) != NULL)
		u->freel = p->next;
	else if (!u->failed && (p = calloc(1, sizeof(*p))) != NULL)
		u->nbufs++;
	if (p != NULL)
		u->busy++;
	pthread_mutex_unlock(&u->lock);
	if (p == NULL) {
		if (!up_failed(u)) {
			struct s3_error e;

			s3_error_set(&e, S3_ESYS, "cannot allocate");
			up_fail(u, &e);
		}
		return (-1);
	}
	p->len = 0;
	p->n = n;
	p->want = s3up_part_want(u->base, n);
	u->cur = p;
	return (0);
}

/* Room for at least one byte in the current part; grows the buffer. */
static int
up_room(struct up *u)
{
	struct part *p;
	size_t cap;
	unsigned char *nb;
	struct s3_error e;

	if (u->cur != NULL && u->cur->len == u->cur->want &&
	    up_dispatch(u) != 0)
		return (-1);
	if (u->cur == NULL && up_take(u, u->nparts + 1) != 0)
		return (-1);
	p = u->cur;
	if (p->len < p->cap)
		return (0);
	cap = p->cap < 65536 ? 65536 : p->cap * 2;
	if (cap > p->want)
		cap = p->want;
	if ((nb = realloc(p->buf, cap)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot allocate %zu bytes", cap);
		up_fail(u, &e);
		return (-1);
	}
	p->buf = nb;
	p->cap = cap;
	return (0);
}

/* Append stored bytes (an lzop_sink_fn). */
static int
up_add(void *cookie, const void *buf, size_t len)
{
	struct up *u = cookie;
	const unsigned char *s = buf;
	size_t n;

	while (len > 0) {
		if (up_room(u) != 0)
			return (-1);
		n = u->cur->cap - u->cur->len;
		if (n > len)
			n = len;
		memcpy(u->cur->buf + u->cur->len, s, n);
		u->cur->len += n;
		u->stored += n;
		s += n;
		len -= n;
	}
	return (0);
}

static ssize_t
read_some(int fd, void *buf, size_t len, struct up *u)
{
	ssize_t n;
	struct s3_error e;

	do {
		n = read(fd, buf, len);
	} while (n < 0 && errno == EINTR && !s3_cancelled());
	if (n < 0) {
		s3_error_set(&e, s3_cancelled() ? S3_ECANCEL : S3_ESYS,
		    "%s", s3_cancelled() ? "" : strerror(errno));
		e.kind = s3_cancelled() ? S3_ECANCEL : S3_ESYS;
		up_fail(u, &e);
	} else if (n > 0 && u->o->reading != NULL)
		u->o->reading(u->o->reading_cookie, (size_t)n);
	return (n);
}

/* Raw input straight into the part buffers. */
static int
up_read_raw(struct up *u, int fd)
{
	ssize_t n;
	size_t room;

	for (;;) {
		if (up_room(u) != 0)
			return (-1);
		room = u->cur->cap - u->cur->len;
		if (room > READ_CHUNK)
			room = READ_CHUNK;
		if ((n = read_some(fd, u->cur->buf + u->cur->len, room, u)) < 0)
			return (-1);
		if (n == 0)
			return (0);
		EVP_DigestUpdate(u->sha, u->cur->buf + u->cur->len, (size_t)n);
		u->cur->len += (size_t)n;
		u->raw += (uint64_t)n;
		u->stored += (uint64_t)n;
	}
}

static int
up_read_pack(struct up *u, int fd)
{
	struct lzop_packer *pk;
	void *room;
	size_t len;
	ssize_t n;
	int rc = -1;
	struct s3_error e;

	if ((pk = lzop_packer_new(&u->o->lzo, up_add, u)) == NULL) {
		s3_error_set(&e, S3_ESYS, "cannot start compressing");
		up_fail(u, &e);
		return (-1);
	}
	for (;;) {
		if ((room = lzop_packer_space(pk, &len)) == NULL)
			break;
		if ((n = read_some(fd, room, len, u)) < 0)
			break;
		if (n == 0) {
			rc = lzop_packer_finish(pk);
			break;
		}
		EVP_DigestUpdate(u->sha, room, (size_t)n);
		u->raw += (uint64_t)n;
		if (lzop_packer_commit(pk, (size_t)n) != 0 || up_failed(u))
			break;
	}
	if (rc != 0 && !up_failed(u)) {
		s3_error_set(&e, S3_ESYS, "cannot compress");
		up_fail(u, &e);
	}
	lzop_packer_free(pk);
	return (rc);
}

/* Wait for the workers to finish every part. */
static void
up_drain(struct up *u)
{
	int i;

	pthread_mutex_lock(&u->lock);
	u->closing = 1;
	pthread_cond_broadcast(&u->cv);
	pthread_mutex_unlock(&u->lock);
	for (i = 0; i < u->nthreads; i++)
		pthread_join(u->tids[i], NULL);
	u->nthreads = 0;	/* joined: never again */
}

/* hex digit value, or -1 */
static int
hexval(int c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	return (-1);
}

/*
 * The ETag S3 gives the object about to be made, with its quotes, into
 * res->etag: "" if it cannot be told (a part ETag that is not an MD5).
 */
static void
expected_etag(struct up *u, struct s3up_result *res)
{
	unsigned char md[EVP_MAX_MD_SIZE], *cat;
	unsigned int mdlen;
	const char *t;
	int i, k, hi, lo;
	static const unsigned char empty[1];

	res->etag[0] = '\0';
	if (u->upload_id == NULL) {
		EVP_Digest(u->cur ? u->cur->buf : empty, u->cur ? u->cur->len : 0,
		    md, &mdlen, EVP_md5(), NULL);
		res->etag[0] = '"';
		sigv4_hex(md, mdlen, res->etag + 1);
		strcat(res->etag, "\"");
		return;
	}
	if ((cat = malloc((size_t)u->nparts * 16 + 1)) == NULL)
		return;
	for (i = 0; i < u->nparts; i++) {
		t = u->parts[i].etag;
		if (*t == '"')
			t++;
		for (k = 0; k < 16; k++) {
			if ((hi = hexval(t[2 * k])) < 0 ||
			    (lo = hexval(t[2 * k + 1])) < 0) {
				free(cat);
				return;
			}
			cat[i * 16 + k] = (unsigned char)(hi << 4 | lo);
		}
	}
	EVP_Digest(cat, (size_t)u->nparts * 16, md, &mdlen, EVP_md5(), NULL);
	free(cat);
	res->etag[0] = '"';
	sigv4_hex(md, mdlen, res->etag + 1);
	snprintf(res->etag + strlen(res->etag), sizeof(res->etag) -
	    strlen(res->etag), "-%d\"", u->nparts);
}

/* Tell o->committing what the object will be (see s3up.h). */
static void
up_committing(struct up *u, const struct s3up_result *done)
{
	struct s3up_result r = *done;

	if (u->o->committing == NULL)
		return;
	r.raw_bytes = u->raw;
	r.stored_bytes = u->stored;
	r.parts = u->upload_id != NULL ? u->nparts : 0;
	expected_etag(u, &r);
	u->o->committing(u->o->committing_cookie, &r);
}

static int
up_finish(struct up *u, struct s3up_result *res)
{
	struct s3_error e;
	static const unsigned char empty[1];

	if (u->upload_id == NULL) {
		up_committing(u, res);
		if (s3_put_object(u->k, u->key, u->cur ? u->cur->buf : empty,
		    u->cur ? u->cur->len : 0, &u->o->put, res->etag,
		    &e) != 0) {
			up_fail(u, &e);
			return (-1);
		}
		return (0);
	}
	if (u->cur != NULL && u->cur->len == 0) {
		/* The input ended exactly at a part boundary. */
		pthread_mutex_lock(&u->lock);
		u->busy++;
		pthread_mutex_unlock(&u->lock);
		part_release(u, u->cur);
		u->cur = NULL;
	}
	if (u->cur != NULL && up_dispatch(u) != 0)
		return (-1);
	up_drain(u);
	if (up_failed(u))
		return (-1);
	up_committing(u, res);
	if (s3_mpu_complete(u->k, u->key, u->upload_id, u->parts, u->nparts,
	    u->stored, &u->o->put, res->etag, &e) != 0) {
		up_fail(u, &e);
		return (-1);
	}
	res->parts = u->nparts;
	if (res->etag[0] == '\0') {
		/* Ceph answers an empty <ETag/>: ask for it. */
		struct s3_objinfo info;

		if (s3_head(u->k, u->key, &info, &e) != 0) {
			up_fail(u, &e);
			return (-1);
		}
		memcpy(res->etag, info.etag, sizeof(res->etag));
	}
	return (0);
}

static void
up_cleanup(struct up *u)
{
	struct part *p;

	up_drain(u);
	if (u->cur != NULL) {
		u->cur->next = u->freel;
		u->freel = u->cur;
	}
	while ((p = u->freel) != NULL) {
		u->freel = p->next;
		free(p->buf);
		free(p);
	}
	free(u->tids);
	free(u->parts);
	free(u->upload_id);
	EVP_MD_CTX_free(u->sha);
	pthread_mutex_destroy(&u->lock);
	pthread_cond_destroy(&u->cv);
}

int
s3up_fd(struct s3_client *c, struct s3_conn *k, int fd, int64_t size,
    const char *key, const struct s3up_opts *o, struct s3up_result *res,
    struct s3_error *e)
{
	struct up u = { .c = c, .k = k, .key = key, .o = o };
	unsigned char md[32];
	unsigned int mdlen = 32;
	struct s3_error ae;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(e, 0, sizeof(*e));
	if (size > 0 && (uint64_t)size > S3UP_MAX_OBJECT) {
		s3_error_set(e, S3_ESYS, "%lld bytes is more than an S3 object "
		    "holds (%llu)", (long long)size,
		    (unsigned long long)S3UP_MAX_OBJECT);
		return (-1);
	}
	pthread_mutex_init(&u.lock, NULL);
	pthread_cond_init(&u.cv, NULL);
	u.base = s3up_part_size(o->part_size, size < 0 ? -1 :
	    o->pack ? size + size / 64 + 4096 : size);
	if ((u.sha = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(u.sha, EVP_sha256(), NULL)) {
		s3_error_set(e, S3_ESYS, "cannot start SHA-256");
		up_cleanup(&u);
		return (-1);
	}
	rc = o->pack ? up_read_pack(&u, fd) : up_read_raw(&u, fd);
	if (rc == 0) {
		/* Known before the object is made (o->committing). */
		EVP_DigestFinal_ex(u.sha, md, &mdlen);
		sigv4_hex(md, 32, res->sha256);
		rc = up_finish(&u, res);
	}
	up_drain(&u);
	if (up_failed(&u))
		rc = -1;
	if (rc != 0) {
		*e = u.err;
		if (u.upload_id != NULL && s3_mpu_abort(k, key, u.upload_id,
		    &ae) != 0) {
			char why[300];

			warn0("cannot abort the multipart upload of '%s' "
			    "(upload id %s): %s", key, u.upload_id,
			    s3_error_str(&ae, why, sizeof(why)));
		}
	} else {
		res->raw_bytes = u.raw;
		res->stored_bytes = u.stored;
	}
	up_cleanup(&u);
	return (rc);
}
