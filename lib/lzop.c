/*
 * The lzop 1.04 container as streaming filters (see lzop.h and
 * ../shared/reference/lzop-format.md).
 *
 * Both directions run on the ordered worker pool (ordpool.h): the calling
 * thread cuts the stream into blocks, one job per ring position of the
 * pool (a few per thread), worker threads (de)compress and checksum them,
 * and the calling thread hands finished jobs to the sink strictly in
 * stream order.  Memory is the ring, whatever the stream length.  With one
 * thread there are no workers: each job runs in the calling thread as it
 * is submitted.
 */

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lzo/lzo1x.h>

#include "adler32.h"
#include "lzop.h"
#include "ordpool.h"
#include "warnp.h"

#define BLOCK_SIZE	262144u		/* lzop's block and read limit */
#define OUT_SIZE	(BLOCK_SIZE + BLOCK_SIZE / 16 + 64 + 3)
#define ROOM		16		/* block header room before data */
#define JOBS_PER_THREAD	2
#define MAX_THREADS	256

/*
 * Adaptive mode: after GIVEUP blocks in a row that did not shrink, store
 * blocks without trying, except that a block is tried again when a
 * SAMPLE-byte piece of its start, middle or end shrinks by an eighth, and
 * every PROBE-th block is tried anyway.  A tried block that shrinks resumes compressing.
 */
#define GIVEUP		4
#define PROBE		16
#define SAMPLE		4096
#define SAMPLE_OUT	(SAMPLE + SAMPLE / 16 + 64 + 3)

#define F_ADLER32_D	0x00000001u
#define F_ADLER32_C	0x00000002u
#define F_STDIN		0x00000004u
#define F_STDOUT	0x00000008u
#define F_H_EXTRA_FIELD	0x00000040u
#define F_CRC32_D	0x00000100u
#define F_CRC32_C	0x00000200u
#define F_H_FILTER	0x00000800u
#define F_H_CRC32	0x00001000u
#define F_OS_UNIX	0x03000000u
#define F_RESERVED	0x000FC000u

#define LZOP_VERSION	0x1040
#define LZOP_NEEDED	0x0940

static const unsigned char lzop_magic[9] = {
	0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a
};

/* One block in flight. */
struct job {
	unsigned char	*inbase;	/* ROOM + BLOCK_SIZE */
	unsigned char	*outbase;	/* ROOM + OUT_SIZE */
	unsigned char	*in;		/* inbase + ROOM */
	unsigned char	*out;		/* outbase + ROOM */
	size_t		 in_len;	/* bytes in in */
	size_t		 out_len;	/* packer: compressed length */
	size_t		 d_len;		/* unpacker: uncompressed size */
	uint64_t	 off;		/* unpacker: input offset */
	uint32_t	 flags;		/* unpacker: member flags */
	uint32_t	 sum[4];	/* unpacker: Adler/CRC of data, comp. */
	const char	*err;		/* unpacker: failure or NULL */
	uint32_t	 adler;		/* packer: Adler-32 of in */
	int		 tried;		/* packer: compressed */
	int		 packed;	/* packer: compression shrank it */
	int		 hint;		/* packer: its sample shrank */
	int		 sampled;	/* packer: hint is known */
};

/* The blocks in flight: one job per ring position of the pool. */
struct ring {
	struct ordpool	*pool;
	struct job	*jobs;
	size_t		 njobs;
	size_t		 outsize;	/* of each job's output buffer */
	struct job	*cur;		/* the job being filled */
};

static pthread_once_t lzo_once = PTHREAD_ONCE_INIT;
static int lzo_ok;

static void
lzo_init_once(void)
{

	lzo_ok = (lzo_init() == LZO_E_OK);
}

static int
lzo_ready(void)
{

	if (pthread_once(&lzo_once, lzo_init_once) != 0 || !lzo_ok) {
		warn0("cannot initialise liblzo2");
		return (-1);
	}
	return (0);
}

static int
threads_default(int n)
{
	long c;

	if (n > 0)
		return (n > MAX_THREADS ? MAX_THREADS : n);
	c = sysconf(_SC_NPROCESSORS_ONLN);
	if (c < 1)
		return (1);
	return (c > MAX_THREADS ? MAX_THREADS : (int)c);
}

static void
put16(unsigned char *b, uint32_t v)
{

	b[0] = (unsigned char)(v >> 8);
	b[1] = (unsigned char)v;
}

static void
put32(unsigned char *b, uint32_t v)
{

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

static uint32_t
get16(const unsigned char *b)
{

	return ((uint32_t)b[0] << 8 | b[1]);
}

static uint32_t
get32(const unsigned char *b)
{

	return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]);
}

/* ---- The blocks in flight ------------------------------------------ */

/*
 * A pool of nthreads workers (none when nthreads is 1) running fns on
 * jobs whose output buffers hold outsize bytes.  Returns 0, or -1 on
 * failure (reported).
 */
static int
ring_init(struct ring *r, int nthreads, size_t outsize,
    const struct ordpool_fns *fns, void *ctx)
{
	int nw = nthreads > 1 ? nthreads : 0;

	r->njobs = nw > 0 ? (size_t)nw * JOBS_PER_THREAD + 1 : 1;
	r->outsize = outsize;
	if ((r->jobs = calloc(r->njobs, sizeof(*r->jobs))) == NULL) {
		warnp("cannot allocate the lzop buffers");
		return (-1);
	}
	if ((r->pool = ordpool_new(nw, (int)r->njobs, fns, ctx)) == NULL) {
		free(r->jobs);
		r->jobs = NULL;
		return (-1);
	}
	return (0);
}

/* Stop the workers and free every job. */
static void
ring_free(struct ring *r)
{
	size_t i;

	ordpool_free(r->pool);
	for (i = 0; r->jobs != NULL && i < r->njobs; i++) {
		free(r->jobs[i].inbase);
		free(r->jobs[i].outbase);
	}
	free(r->jobs);
}

/*
 * Make room in the ring (emitting older jobs) and make the next job
 * current, its buffers allocated at first use (short streams never pay
 * for the whole ring).  Returns it, or NULL once the pool stopped (an
 * emit failed) or on an allocation failure (reported).
 */
static struct job *
ring_take(struct ring *r)
{
	struct job *j;
	int k;

	if ((k = ordpool_room(r->pool)) < 0)
		return (NULL);
	j = &r->jobs[k];
	if (j->inbase == NULL) {
		j->inbase = malloc(ROOM + BLOCK_SIZE);
		j->outbase = malloc(ROOM + r->outsize);
		if (j->inbase == NULL || j->outbase == NULL) {
			warnp("cannot allocate the lzop buffers");
			free(j->inbase);
			free(j->outbase);
			j->inbase = j->outbase = NULL;
			return (NULL);
		}
		j->in = j->inbase + ROOM;
		j->out = j->outbase + ROOM;
	}
	r->cur = j;
	return (j);
}

/*
 * Hand the current job to the workers, or run it now when it is too
 * little work to be worth a hand-over (here); emit what is done.
 * Returns 0, or -1 once the pool stopped.
 */
static int
ring_submit(struct ring *r, int here)
{

	if (here)
		return (ordpool_submit_here(r->pool, r->cur));
	return (ordpool_submit(r->pool, r->cur));
}

/* ---- Packer -------------------------------------------------------- */

struct lzop_packer {
	struct ring	 ring;
	lzop_sink_fn	*sink;
	void		*cookie;
	int		 method;
	int		 level;
	int		 store;
	int		 started;	/* header written */
	int		 failed;
	int		 filling;	/* ring.cur is being filled */
	uint64_t	 blocks;	/* blocks submitted */
	uint32_t	 flags;
	uint32_t	 mode;
	int64_t		 mtime;
	char		 name[256];
	size_t		 namelen;
	/* Adaptive mode, advanced in stream order by pack_emit(). */
	uint64_t	 emitted;	/* blocks emitted */
	int		 skipping;	/* gave up compressing */
	int		 fails;		/* blocks in a row not shrunk */
	uint64_t	 skipn;		/* blocks since skipping */
};

static int
pack_method(struct lzop_packer *p, int level)
{

	if (level == 0)
		level = 3;
	if (level == 1) {
		p->method = 2;
		p->level = 1;
	} else if (level >= 2 && level <= 6) {
		p->method = 1;
		p->level = 5;
	} else if (level >= 7 && level <= 9) {
		p->method = 3;
		p->level = level;
	} else {
		warn0("cannot compress: invalid lzop level %d", level);
		return (-1);
	}
	return (0);
}

/* Work memory for the method, the sampler and lzo1x_optimize(). */
static size_t
pack_wrksize(int method)
{

	switch (method) {
	case 2:
		return (LZO1X_1_15_MEM_COMPRESS);
	case 3:
		return (LZO1X_999_MEM_COMPRESS);
	default:
		return (LZO1X_1_MEM_COMPRESS);
	}
}

_Static_assert(LZO1X_999_MEM_COMPRESS >= BLOCK_SIZE,
    "lzo1x_optimize() output fits the 999 work memory");
_Static_assert(LZO1X_1_15_MEM_COMPRESS >= LZO1X_1_MEM_COMPRESS &&
    LZO1X_999_MEM_COMPRESS >= LZO1X_1_MEM_COMPRESS,
    "every work memory also serves the LZO1X-1 sampler");

/* Compress j->in into j->out with the packer's method. */
static void
pack_compress(const struct lzop_packer *p, struct job *j, void *wrkmem)
{
	lzo_uint olen = OUT_SIZE, dlen;
	int r;

	switch (p->method) {
	case 2:
		r = lzo1x_1_15_compress(j->in, j->in_len, j->out, &olen,
		    wrkmem);
		break;
	case 3:
		r = lzo1x_999_compress_level(j->in, j->in_len, j->out, &olen,
		    wrkmem, NULL, 0, 0, p->level);
		/* lzop then optimizes; the work memory is free for it. */
		if (r == LZO_E_OK && olen < j->in_len) {
			dlen = j->in_len;
			r = lzo1x_optimize(j->out, olen, wrkmem, &dlen, NULL);
		}
		break;
	default:
		r = lzo1x_1_compress(j->in, j->in_len, j->out, &olen, wrkmem);
		break;
	}
	j->tried = 1;
	j->out_len = olen;
	j->packed = (r == LZO_E_OK && olen < j->in_len);
}

/*
 * Whether block number n (stream order) is compressed, given the adaptive
 * state after the blocks before it and the block's own sample hint.
 */
static int
pack_wants(const struct lzop_packer *p, uint64_t n, int hint)
{
	uint64_t k;

	if (p->store)
		return (0);
	if (!p->skipping || hint)
		return (1);
	k = p->skipn + (n - p->emitted);
	return (k % PROBE == PROBE - 1);
}

/* Does a SAMPLE-byte piece at offset at compress by an eighth? */
static int
pack_sample_at(struct job *j, size_t at, size_t len, void *wrkmem)
{
	lzo_uint olen = SAMPLE_OUT;

	/* The sample's output goes after the block's own. */
	if (lzo1x_1_compress(j->in + at, len, j->out + OUT_SIZE, &olen,
	    wrkmem) != LZO_E_OK)
		return (0);
	return (olen < len - len / 8);
}

/*
 * Is the block worth trying?  Samples at its start, middle and end, so a
 * block where data turns compressible part-way is caught too.
 */
static int
pack_sample(struct job *j, void *wrkmem)
{
	size_t len = j->in_len < SAMPLE ? j->in_len : SAMPLE;

	return (pack_sample_at(j, 0, len, wrkmem) ||
	    pack_sample_at(j, (j->in_len - len) / 2, len, wrkmem) ||
	    pack_sample_at(j, j->in_len - len, len, wrkmem));
}

/* Work memory of a worker (or of the calling thread), an ordpool_init_fn. */
static void *
pack_wrk_new(void *ctx)
{
	struct lzop_packer *p = ctx;

	return (malloc(pack_wrksize(p->method)));
}

static void
pack_wrk_free(void *ctx, void *wrkmem)
{

	free(wrkmem);
}

/* An ordpool_run_fn: checksum, and sample or compress as guessed. */
static void
pack_run(void *ctx, void *wrkmem, void *job)
{
	struct lzop_packer *p = ctx;
	struct job *j = job;

	j->adler = adler32_update(1, j->in, j->in_len);
	j->packed = 0;
	if (p->store)
		return;
	j->sampled = 0;
	if (wrkmem == NULL) {
		/* No work memory here: pack_emit() decides and compresses. */
		j->tried = 0;
		return;
	}
	if (!j->tried) {
		j->hint = pack_sample(j, wrkmem);
		j->sampled = 1;
	}
	if (j->tried || j->hint)
		pack_compress(p, j, wrkmem);
}

/* Advance the adaptive state past a block. */
static void
pack_adapt(struct lzop_packer *p, int wanted, int packed)
{

	p->emitted++;
	if (p->skipping) {
		p->skipn++;
		if (wanted && packed) {
			p->skipping = 0;
			p->fails = 0;
		}
	} else if (!packed) {
		if (++p->fails >= GIVEUP) {
			p->skipping = 1;
			p->skipn = 0;
		}
	} else
		p->fails = 0;
}

/*
 * Write one block.  What is compressed depends only on the blocks before
 * it in stream order, never on thread timing: a worker's guess is
 * corrected here (compressing now, or storing what it compressed).
 */
static int
pack_emit(void *ctx, struct job *j)
{
	struct lzop_packer *p = ctx;
	unsigned char *data;
	size_t clen;
	int want, use;

	if (p->skipping && !j->sampled) {
		j->hint = pack_sample(j, ordpool_local(p->ring.pool));
		j->sampled = 1;
	}
	want = pack_wants(p, p->emitted, j->hint);
	if (want && !j->tried)
		pack_compress(p, j, ordpool_local(p->ring.pool));
	use = want && j->packed;
	pack_adapt(p, want, use);
	data = use ? j->out : j->in;
	clen = use ? j->out_len : j->in_len;
	put32(data - 12, (uint32_t)j->in_len);
	put32(data - 8, (uint32_t)clen);
	put32(data - 4, j->adler);
	if (p->sink(p->cookie, data - 12, clen + 12) != 0)
		return (-1);
	return (0);
}

/* An ordpool_emit_fn: a sink failure stops the pool. */
static void
pack_emit_job(void *ctx, void *job)
{
	struct lzop_packer *p = ctx;

	if (pack_emit(p, job) != 0) {
		p->failed = 1;
		ordpool_stop(p->ring.pool);
	}
}

static size_t
pack_header(const struct lzop_packer *p, unsigned char *b)
{
	size_t n;

	memcpy(b, lzop_magic, sizeof(lzop_magic));
	put16(b + 9, LZOP_VERSION);
	put16(b + 11, lzo_version() & 0xffff);
	put16(b + 13, LZOP_NEEDED);
	b[15] = (unsigned char)p->method;
	b[16] = (unsigned char)p->level;
	put32(b + 17, p->flags);
	put32(b + 21, p->mode);
	put32(b + 25, (uint32_t)((uint64_t)p->mtime & 0xffffffffu));
	put32(b + 29, (uint32_t)((uint64_t)p->mtime >> 32));
	b[33] = (unsigned char)p->namelen;
	memcpy(b + 34, p->name, p->namelen);
	n = 34 + p->namelen;
	put32(b + n, adler32_update(1, b + 9, n - 9));
	return (n + 4);
}

static int
pack_start(struct lzop_packer *p)
{
	unsigned char hdr[300];

	if (p->failed)
		return (-1);
	if (p->started)
		return (0);
	p->started = 1;
	if (p->sink(p->cookie, hdr, pack_header(p, hdr)) != 0) {
		p->failed = 1;
		return (-1);
	}
	return (0);
}

static const struct ordpool_fns pack_fns = {
	pack_wrk_new, pack_wrk_free, pack_run, pack_emit_job
};

struct lzop_packer *
lzop_packer_new(const struct lzop_pack_opts *opts, lzop_sink_fn *sink,
    void *cookie)
{
	struct lzop_packer *p;
	const char *base;

	if (lzo_ready() != 0)
		return (NULL);
	if ((p = calloc(1, sizeof(*p))) == NULL) {
		warnp("cannot allocate the lzop packer");
		return (NULL);
	}
	p->sink = sink;
	p->cookie = cookie;
	p->store = opts->store;
	p->mode = opts->mode;
	p->mtime = opts->mtime;
	p->flags = F_OS_UNIX | F_ADLER32_D;
	if (opts->to_stdout)
		p->flags |= F_STDOUT;
	if (opts->name == NULL)
		p->flags |= F_STDIN;
	else {
		base = strrchr(opts->name, '/');
		base = base != NULL ? base + 1 : opts->name;
		p->namelen = strnlen(base, 255);
		memcpy(p->name, base, p->namelen);
	}
	if (pack_method(p, opts->level) != 0) {
		free(p);
		return (NULL);
	}
	if (ring_init(&p->ring, threads_default(opts->nthreads),
	    OUT_SIZE + SAMPLE_OUT, &pack_fns, p) != 0) {
		free(p);
		return (NULL);
	}
	/* The calling thread's work memory, for blocks run or redone here. */
	if (ordpool_local(p->ring.pool) == NULL) {
		warnp("cannot allocate the lzop buffers");
		lzop_packer_free(p);
		return (NULL);
	}
	return (p);
}

void *
lzop_packer_space(struct lzop_packer *p, size_t *len)
{
	struct job *j;

	if (pack_start(p) != 0)
		return (NULL);
	if (!p->filling) {
		if ((j = ring_take(&p->ring)) == NULL) {
			p->failed = 1;
			return (NULL);
		}
		j->in_len = 0;
		p->filling = 1;
	}
	j = p->ring.cur;
	*len = BLOCK_SIZE - j->in_len;
	return (j->in + j->in_len);
}

/* Queue the block being filled, guessing whether to compress it. */
static int
pack_submit(struct lzop_packer *p)
{
	struct job *j = p->ring.cur;

	j->tried = pack_wants(p, p->blocks++, 0);
	p->filling = 0;
	/* A block stored untried costs a checksum and a sample: do it here. */
	if (ring_submit(&p->ring, !j->tried) != 0) {
		p->failed = 1;
		return (-1);
	}
	return (0);
}

int
lzop_packer_commit(struct lzop_packer *p, size_t len)
{
	struct job *j;

	if (p->failed || !p->filling)
		return (-1);
	j = p->ring.cur;
	j->in_len += len;
	if (j->in_len == BLOCK_SIZE)
		return (pack_submit(p));
	return (0);
}

int
lzop_packer_write(struct lzop_packer *p, const void *buf, size_t len)
{
	const unsigned char *s = buf;
	unsigned char *d;
	size_t room, n;

	while (len > 0) {
		if ((d = lzop_packer_space(p, &room)) == NULL)
			return (-1);
		n = len < room ? len : room;
		memcpy(d, s, n);
		if (lzop_packer_commit(p, n) != 0)
			return (-1);
		s += n;
		len -= n;
	}
	return (0);
}

int
lzop_packer_finish(struct lzop_packer *p)
{
	unsigned char end[4] = { 0, 0, 0, 0 };

	if (pack_start(p) != 0)
		return (-1);
	if (p->filling && p->ring.cur->in_len > 0) {
		if (pack_submit(p) != 0)
			return (-1);
	}
	p->filling = 0;
	if (ordpool_drain(p->ring.pool) != 0 ||
	    p->sink(p->cookie, end, sizeof(end)) != 0) {
		p->failed = 1;
		return (-1);
	}
	return (0);
}

void
lzop_packer_free(struct lzop_packer *p)
{

	if (p == NULL)
		return;
	ring_free(&p->ring);
	free(p);
}

/* ---- Unpacker ------------------------------------------------------ */

enum ustate {
	U_MAGIC,	/* 9 bytes of magic */
	U_HDR,		/* version .. flags */
	U_FILTER,	/* filter id */
	U_HDR2,		/* mode, mtime, name length */
	U_NAME,		/* name */
	U_HSUM,		/* header checksum */
	U_XLEN,		/* extra field length */
	U_XDATA,	/* extra field bytes, skipped */
	U_XSUM,		/* extra field checksum */
	U_DLEN,		/* block: uncompressed length */
	U_CLEN,		/* block: stored length */
	U_BSUMS,	/* block: checksums */
	U_DATA,		/* block: data */
	U_AFTER,	/* after a member: EOF, another member or NULs */
	U_PAD,		/* NUL padding to EOF */
	U_FAILED
};

struct lzop_unpacker {
	struct ring	 ring;
	lzop_sink_fn	*sink;
	void		*cookie;
	enum ustate	 st;
	int		 rc;		/* sticky failure */
	uint64_t	 off;		/* input bytes consumed */
	uint64_t	 member_off;	/* where the current member began */
	uint64_t	 field_off;	/* where the current field began */
	unsigned int	 members;	/* members completed */
	unsigned char	 hdr[320];	/* header after the magic */
	size_t		 hlen;		/* bytes in hdr */
	unsigned char	 buf[16];	/* a field being gathered */
	size_t		 have;		/* bytes in buf */
	size_t		 want;		/* bytes wanted there */
	uint32_t	 flags;
	uint32_t	 xleft;		/* extra field left to skip */
	uint32_t	 xsum;		/* running extra field checksum */
	uint32_t	 d_len, c_len;
	uint64_t	 block_off;
	size_t		 nsums;
	char		 msg[200];
};

/* Record the first data error; returns LZOP_EDATA. */
static int
unpack_bad(struct lzop_unpacker *u, uint64_t off, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
unpack_emit(void *ctx, struct job *j);

/* The status of a pool call r: 0, or what stopped the pool (an emit). */
static int
unpack_pool_rc(const struct lzop_unpacker *u, int r)
{

	if (r == 0)
		return (0);
	return (u->rc != 0 ? u->rc : -1);
}

static int
unpack_bad(struct lzop_unpacker *u, uint64_t off, const char *fmt, ...)
{
	va_list ap;
	size_t n;
	int rc;

	if (u->rc != 0)
		return (u->rc);
	/* Blocks before the bad spot go out first; their errors win. */
	if ((rc = unpack_pool_rc(u, ordpool_drain(u->ring.pool))) != 0) {
		u->st = U_FAILED;
		u->rc = rc;
		return (rc);
	}
	va_start(ap, fmt);
	vsnprintf(u->msg, sizeof(u->msg), fmt, ap);
	va_end(ap);
	n = strlen(u->msg);
	snprintf(u->msg + n, sizeof(u->msg) - n, " at byte %llu",
	    (unsigned long long)off);
	u->st = U_FAILED;
	u->rc = LZOP_EDATA;
	return (LZOP_EDATA);
}

static const char *
unpack_lzo_error(int r)
{

	switch (r) {
	case LZO_E_INPUT_OVERRUN:
		return ("compressed data ends early");
	case LZO_E_OUTPUT_OVERRUN:
		return ("compressed data longer than the block");
	case LZO_E_LOOKBEHIND_OVERRUN:
		return ("compressed data refers before the block");
	case LZO_E_EOF_NOT_FOUND:
		return ("compressed data lacks its end code");
	case LZO_E_INPUT_NOT_CONSUMED:
		return ("compressed data has bytes after its end code");
	default:
		return ("compressed data is corrupt");
	}
}

/* Verify and decode a block (an ordpool_run_fn, no work memory). */
static void
unpack_run(void *ctx, void *wrkmem, void *job)
{
	struct job *j = job;
	const unsigned char *data = j->in;
	lzo_uint olen;
	int r;

	j->err = NULL;
	if (j->in_len < j->d_len) {
		if ((j->flags & F_ADLER32_C) &&
		    adler32_update(1, j->in, j->in_len) != j->sum[2]) {
			j->err = "compressed-data Adler-32 mismatch";
			return;
		}
		if ((j->flags & F_CRC32_C) &&
		    lzo_crc32(0, j->in, j->in_len) != j->sum[3]) {
			j->err = "compressed-data CRC-32 mismatch";
			return;
		}
		olen = j->d_len;
		r = lzo1x_decompress_safe(j->in, j->in_len, j->out, &olen,
		    NULL);
		if (r != LZO_E_OK || olen != j->d_len) {
			j->err = r != LZO_E_OK ? unpack_lzo_error(r) :
			    "compressed data decodes to the wrong length";
			return;
		}
		data = j->out;
	}
	if ((j->flags & F_ADLER32_D) &&
	    adler32_update(1, data, j->d_len) != j->sum[0])
		j->err = "block Adler-32 mismatch";
	else if ((j->flags & F_CRC32_D) &&
	    lzo_crc32(0, data, j->d_len) != j->sum[1])
		j->err = "block CRC-32 mismatch";
}

static int
unpack_emit(void *ctx, struct job *j)
{
	struct lzop_unpacker *u = ctx;
	int rc;

	if (j->err != NULL) {
		snprintf(u->msg, sizeof(u->msg), "%s in block at byte %llu",
		    j->err, (unsigned long long)j->off);
		u->st = U_FAILED;
		u->rc = LZOP_EDATA;
		return (LZOP_EDATA);
	}
	rc = u->sink(u->cookie, j->in_len < j->d_len ? j->out : j->in,
	    j->d_len);
	if (rc != 0) {
		u->st = U_FAILED;
		u->rc = -1;
		return (-1);
	}
	return (0);
}

/* An ordpool_emit_fn: bad data or a sink failure stops the pool. */
static void
unpack_emit_job(void *ctx, void *job)
{
	struct lzop_unpacker *u = ctx;

	if (unpack_emit(u, job) != 0)
		ordpool_stop(u->ring.pool);
}

static const struct ordpool_fns unpack_fns = {
	NULL, NULL, unpack_run, unpack_emit_job
};

struct lzop_unpacker *
lzop_unpacker_new(int nthreads, lzop_sink_fn *sink, void *cookie)
{
	struct lzop_unpacker *u;

	if (lzo_ready() != 0)
		return (NULL);
	if ((u = calloc(1, sizeof(*u))) == NULL) {
		warnp("cannot allocate the lzop unpacker");
		return (NULL);
	}
	u->sink = sink;
	u->cookie = cookie;
	u->st = U_MAGIC;
	u->want = sizeof(lzop_magic);
	if (ring_init(&u->ring, threads_default(nthreads), BLOCK_SIZE,
	    &unpack_fns, u) != 0) {
		free(u);
		return (NULL);
	}
	return (u);
}

/*
 * Move bytes of the current field into hdr (header states) or buf until
 * want bytes are there; returns 1 when complete.
 */
static int
unpack_gather(struct lzop_unpacker *u, const unsigned char **p, size_t *n,
    int tohdr)
{
	size_t *have = tohdr ? &u->hlen : &u->have;
	unsigned char *dst = tohdr ? u->hdr : u->buf;
	size_t k = u->want - *have;

	if (k > *n)
		k = *n;
	memcpy(dst + *have, *p, k);
	*have += k;
	*p += k;
	*n -= k;
	u->off += k;
	return (*have == u->want);
}

static void
unpack_field(struct lzop_unpacker *u, enum ustate st, size_t want)
{

	u->st = st;
	u->have = 0;
	u->want = want;
	u->field_off = u->off;
}

static void
unpack_hfield(struct lzop_unpacker *u, enum ustate st, size_t more)
{

	u->st = st;
	u->want = u->hlen + more;
	u->field_off = u->off;
}

static int
unpack_magic(struct lzop_unpacker *u)
{
	size_t i;

	for (i = 0; i < sizeof(lzop_magic); i++)
		if (u->buf[i] != lzop_magic[i])
			return (unpack_bad(u, u->member_off + i,
			    "not an lzop stream: bad magic"));
	u->hlen = 0;
	unpack_hfield(u, U_HDR, 12);
	return (0);
}

/* Level rules of lzop 1.04: 0 means the method's default, then 1..9. */
static int
unpack_hdr(struct lzop_unpacker *u)
{
	const unsigned char *h = u->hdr;
	uint64_t o = u->member_off + 9;
	uint32_t ver = get16(h), need = get16(h + 4), fl = get32(h + 8);

	if (ver < 0x0940)
		return (unpack_bad(u, o, "unsupported lzop version 0x%04x",
		    (unsigned)ver));
	if (need > LZOP_VERSION || need < 0x0900)
		return (unpack_bad(u, o + 4, "needs lzop version 0x%04x",
		    (unsigned)need));
	if (h[6] < 1 || h[6] > 3)
		return (unpack_bad(u, o + 6, "unknown method %u", h[6]));
	if (h[7] > 9)
		return (unpack_bad(u, o + 7, "invalid level %u", h[7]));
	if (fl & F_RESERVED)
		return (unpack_bad(u, o + 8, "reserved flags 0x%08x set",
		    (unsigned)(fl & F_RESERVED)));
	if (((fl & F_ADLER32_C) && !(fl & F_ADLER32_D)) ||
	    ((fl & F_CRC32_C) && !(fl & F_CRC32_D)))
		return (unpack_bad(u, o + 8,
		    "compressed-data checksum flag without its data flag"));
	u->flags = fl;
	if (fl & F_H_FILTER)
		unpack_hfield(u, U_FILTER, 4);
	else
		unpack_hfield(u, U_HDR2, 13);
	return (0);
}

static uint32_t
unpack_hsum(const struct lzop_unpacker *u, uint32_t init,
    const unsigned char *b, size_t len)
{

	if (u->flags & F_H_CRC32)
		return (lzo_crc32(init, b, len));
	return (adler32_update(init, b, len));
}

static uint32_t
unpack_hsum_init(const struct lzop_unpacker *u)
{

	return ((u->flags & F_H_CRC32) ? 0 : 1);
}

/* The header is complete: start the extra field or the blocks. */
static void
unpack_body(struct lzop_unpacker *u)
{

	if (u->flags & F_H_EXTRA_FIELD)
		unpack_field(u, U_XLEN, 4);
	else
		unpack_field(u, U_DLEN, 4);
}

static int
unpack_header_step(struct lzop_unpacker *u)
{
	uint32_t sum;

	switch (u->st) {
	case U_MAGIC:
		return (unpack_magic(u));
	case U_HDR:
		return (unpack_hdr(u));
	case U_FILTER:
		return (unpack_bad(u, u->field_off,
		    "unsupported filter %u", (unsigned)get32(u->hdr + 12)));
	case U_HDR2:
		if (u->hdr[u->hlen - 1] == 0)
			unpack_field(u, U_HSUM, 4);
		else
			unpack_hfield(u, U_NAME, u->hdr[u->hlen - 1]);
		return (0);
	case U_NAME:
		unpack_field(u, U_HSUM, 4);
		return (0);
	case U_HSUM:
		sum = unpack_hsum(u, unpack_hsum_init(u), u->hdr, u->hlen);
		if (sum != get32(u->buf))
			return (unpack_bad(u, u->field_off,
			    "header checksum mismatch"));
		unpack_body(u);
		return (0);
	default:
		return (0);
	}
}

static int
unpack_extra_step(struct lzop_unpacker *u)
{

	switch (u->st) {
	case U_XLEN:
		u->xsum = unpack_hsum(u, unpack_hsum_init(u), u->buf, 4);
		u->xleft = get32(u->buf);
		if (u->xleft == 0)
			unpack_field(u, U_XSUM, 4);
		else
			unpack_field(u, U_XDATA, 0);
		return (0);
	case U_XSUM:
		if (u->xsum != get32(u->buf))
			return (unpack_bad(u, u->field_off,
			    "extra field checksum mismatch"));
		unpack_field(u, U_DLEN, 4);
		return (0);
	default:
		return (0);
	}
}

/* Skip extra-field bytes without keeping them. */
static void
unpack_skip_extra(struct lzop_unpacker *u, const unsigned char **p,
    size_t *n)
{
	size_t k = *n < u->xleft ? *n : u->xleft;

	u->xsum = unpack_hsum(u, u->xsum, *p, k);
	u->xleft -= (uint32_t)k;
	*p += k;
	*n -= k;
	u->off += k;
	if (u->xleft == 0)
		unpack_field(u, U_XSUM, 4);
}

static int
unpack_dlen(struct lzop_unpacker *u)
{

	u->block_off = u->field_off;
	u->d_len = get32(u->buf);
	if (u->d_len == 0) {
		u->members++;
		u->st = U_AFTER;
		return (0);
	}
	if (u->d_len == 0xffffffffu)
		return (unpack_bad(u, u->field_off,
		    "split lzop files are not supported"));
	if (u->d_len > BLOCK_SIZE)
		return (unpack_bad(u, u->field_off,
		    "block length %lu larger than %u",
		    (unsigned long)u->d_len, BLOCK_SIZE));
	unpack_field(u, U_CLEN, 4);
	return (0);
}

static int
unpack_clen(struct lzop_unpacker *u)
{
	uint32_t f = u->flags;

	u->c_len = get32(u->buf);
	if (u->c_len == 0 || u->c_len > u->d_len)
		return (unpack_bad(u, u->field_off,
		    "stored length %lu invalid for block length %lu",
		    (unsigned long)u->c_len, (unsigned long)u->d_len));
	u->nsums = !!(f & F_ADLER32_D) + !!(f & F_CRC32_D);
	if (u->c_len < u->d_len)
		u->nsums += !!(f & F_ADLER32_C) + !!(f & F_CRC32_C);
	unpack_field(u, U_BSUMS, u->nsums * 4);
	return (0);
}

/* Checksums read: claim a job (emitting older ones) for the data. */
static int
unpack_bsums(struct lzop_unpacker *u)
{
	struct job *j;
	const unsigned char *b = u->buf;
	uint32_t f = u->flags;

	if ((j = ring_take(&u->ring)) == NULL)
		return (unpack_pool_rc(u, -1));
	memset(j->sum, 0, sizeof(j->sum));
	if (f & F_ADLER32_D)
		j->sum[0] = get32(b), b += 4;
	if (f & F_CRC32_D)
		j->sum[1] = get32(b), b += 4;
	if (u->c_len < u->d_len && (f & F_ADLER32_C))
		j->sum[2] = get32(b), b += 4;
	if (u->c_len < u->d_len && (f & F_CRC32_C))
		j->sum[3] = get32(b), b += 4;
	j->flags = f;
	j->d_len = u->d_len;
	j->in_len = 0;
	j->off = u->block_off;
	u->st = U_DATA;
	return (0);
}

/*
 * The whole block is in the caller's buffer and nothing is pending before
 * it: decode it from there, without a copy, when it would run in this
 * thread anyway.
 */
static int
unpack_direct(struct lzop_unpacker *u, const unsigned char **p, size_t *n)
{
	struct job *j = u->ring.cur;
	unsigned char *own = j->in;
	int rc;

	j->in = (unsigned char *)(uintptr_t)*p;	/* only read */
	j->in_len = u->c_len;
	unpack_run(u, NULL, j);
	rc = unpack_emit(u, j);
	j->in = own;
	j->in_len = 0;
	*p += u->c_len;
	*n -= u->c_len;
	u->off += u->c_len;
	unpack_field(u, U_DLEN, 4);
	return (rc);
}

static int
unpack_data(struct lzop_unpacker *u, const unsigned char **p, size_t *n)
{
	struct job *j = u->ring.cur;
	size_t k = u->c_len - j->in_len;

	if (j->in_len == 0 && *n >= u->c_len &&
	    ordpool_pending(u->ring.pool) == 0 &&
	    (ordpool_nworkers(u->ring.pool) == 0 || u->c_len == u->d_len))
		return (unpack_direct(u, p, n));

	if (k > *n)
		k = *n;
	memcpy(j->in + j->in_len, *p, k);
	j->in_len += k;
	*p += k;
	*n -= k;
	u->off += k;
	if (j->in_len < u->c_len)
		return (0);
	/* A stored block costs only its checksums: check it here. */
	unpack_field(u, U_DLEN, 4);
	return (unpack_pool_rc(u, ring_submit(&u->ring,
	    j->in_len == j->d_len)));
}

static int
unpack_block_step(struct lzop_unpacker *u)
{

	switch (u->st) {
	case U_DLEN:
		return (unpack_dlen(u));
	case U_CLEN:
		return (unpack_clen(u));
	case U_BSUMS:
		return (unpack_bsums(u));
	default:
		return (0);
	}
}

/* Between members: another magic, NUL padding, or nothing more. */
static int
unpack_after(struct lzop_unpacker *u, const unsigned char **p, size_t *n)
{
	size_t i;

	if (u->st == U_AFTER) {
		if (**p == lzop_magic[0]) {
			u->member_off = u->off;
			unpack_field(u, U_MAGIC, sizeof(lzop_magic));
			return (0);
		}
		if (**p != 0)
			return (unpack_bad(u, u->off,
			    "trailing garbage after the lzop stream"));
		u->st = U_PAD;
	}
	for (i = 0; i < *n; i++)
		if ((*p)[i] != 0)
			return (unpack_bad(u, u->off + i,
			    "non-NUL byte in the padding"));
	u->off += *n;
	*p += *n;
	*n = 0;
	return (0);
}

static int
unpack_step(struct lzop_unpacker *u, const unsigned char **p, size_t *n)
{

	switch (u->st) {
	case U_HDR:
	case U_FILTER:
	case U_HDR2:
	case U_NAME:
		if (!unpack_gather(u, p, n, 1))
			return (0);
		return (unpack_header_step(u));
	case U_MAGIC:
	case U_HSUM:
		if (!unpack_gather(u, p, n, 0))
			return (0);
		return (unpack_header_step(u));
	case U_XDATA:
		unpack_skip_extra(u, p, n);
		return (0);
	case U_XLEN:
	case U_XSUM:
		if (!unpack_gather(u, p, n, 0))
			return (0);
		return (unpack_extra_step(u));
	case U_DATA:
		return (unpack_data(u, p, n));
	case U_AFTER:
	case U_PAD:
		return (unpack_after(u, p, n));
	case U_FAILED:
		return (u->rc);
	default:
		if (!unpack_gather(u, p, n, 0))
			return (0);
		return (unpack_block_step(u));
	}
}

int
lzop_unpacker_write(struct lzop_unpacker *u, const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int rc;

	if (u->rc != 0)
		return (u->rc);
	while (len > 0) {
		if ((rc = unpack_step(u, &p, &len)) != 0) {
			if (u->rc == 0) {
				u->st = U_FAILED;
				u->rc = rc;
			}
			return (rc);
		}
	}
	return (0);
}

static const char *
unpack_where(enum ustate st)
{

	switch (st) {
	case U_MAGIC:
		return ("in the magic");
	case U_HDR:
	case U_FILTER:
	case U_HDR2:
	case U_NAME:
	case U_HSUM:
		return ("in the header");
	case U_XLEN:
	case U_XDATA:
	case U_XSUM:
		return ("in the header extra field");
	case U_DATA:
		return ("in block data");
	default:
		return ("in a block header");
	}
}

int
lzop_unpacker_finish(struct lzop_unpacker *u)
{
	int rc;

	if (u->rc != 0)
		return (u->rc);
	if (u->st == U_MAGIC && u->have == 0 && u->members == 0)
		return (unpack_bad(u, u->off, "empty input, no lzop stream"));
	if (u->st != U_AFTER && u->st != U_PAD)
		return (unpack_bad(u, u->off, "truncated lzop stream (%s)",
		    unpack_where(u->st)));
	if ((rc = unpack_pool_rc(u, ordpool_drain(u->ring.pool))) != 0)
		return (rc);
	return (0);
}

const char *
lzop_unpacker_error(const struct lzop_unpacker *u)
{

	return (u->msg[0] != '\0' ? u->msg : "no error");
}

void
lzop_unpacker_free(struct lzop_unpacker *u)
{

	if (u == NULL)
		return;
	ring_free(&u->ring);
	free(u);
}
