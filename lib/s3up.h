#ifndef S3UP_H
#define S3UP_H

/*
 * Upload one stream as one S3 object: a single PUT when it fits in one
 * part, else a multipart upload whose parts go up concurrently.  Memory is
 * bounded by (concurrency + 1) part buffers whatever the size.  A known
 * size picks a part size that fits it in 10,000 parts (up to AWS's 48.8 TiB
 * object, 10,000 parts of 5 GiB); for a stream of unknown length the part
 * size doubles every 500 parts, so that from 5 MiB it reaches 26.9 TiB
 * within 10,000 parts (doubling every 1000 stopped short of 5 TiB).  With pack, the bytes are
 * compressed on the way through the lzop stream (lzop.h).  A failed or
 * interrupted multipart upload is aborted.
 */

#include <stddef.h>
#include <stdint.h>

#include "lzop.h"
#include "s3.h"
#include "slots.h"

#define S3UP_MIN_PART	(5 * 1024 * 1024)
#define S3UP_MAX_PART	(5ULL * 1024 * 1024 * 1024)
#define S3UP_MAX_OBJECT	(10000 * S3UP_MAX_PART)	/* AWS: 48.8 TiB */
#define S3UP_GROW_EVERY	500		/* parts between doublings */

struct s3up_result;

struct s3up_opts {
	size_t			 part_size;	/* first part size */
	int			 concurrency;	/* parts in flight, >= 1 */
	/*
	 * If set (list mode), the run's budget of -j slots: the caller holds
	 * one, its connection k uploads the parts no slot is free for, and
	 * each other part in flight borrows a slot (slots_try()), given back
	 * once the part is up; at most concurrency parts in flight.  Part
	 * buffers in use never outnumber the slots held, and spares beyond
	 * one per slot held are freed: a run of -j N files holds at most N
	 * part buffers in use and 2N allocated.
	 */
	struct slots		*slots;
	int			 pack;
	struct lzop_pack_opts	 lzo;
	struct s3_put_opts	 put;
	/*
	 * If set, called once every byte is read and every part is up, just
	 * before the request that makes the object (PutObject or
	 * CompleteMultipartUpload), with what the object will be: sizes,
	 * SHA-256 and the ETag S3 gives such an object (MD5 of a single PUT;
	 * MD5 of the parts' MD5s and "-N" for N parts; with SSE-KMS or SSE-C
	 * S3 may give another).  So a caller can record what it is about to
	 * complete, which a run killed before the answer came still has.
	 */
	void			(*committing)(void *cookie,
				    const struct s3up_result *r);
	void			*committing_cookie;
	/*
	 * If set, called after each read of the input with the number of
	 * bytes read (> 0), from the thread that called s3up_fd(): a
	 * progress meter's feed.
	 */
	void			(*reading)(void *cookie, size_t len);
	void			*reading_cookie;
};

struct s3up_result {
	uint64_t	raw_bytes;	/* bytes read */
	uint64_t	stored_bytes;	/* bytes stored in the object */
	char		sha256[65];	/* of the bytes read */
	char		etag[136];	/* the object's, with quotes */
	int		parts;		/* 0: single PUT */
};

/*
 * Read fd to its end and store it under key.  size is the input's size if
 * known (a regular file), else -1.  k is the caller's connection (used for
 * everything when concurrency is 1).  Returns 0, or -1 with e set; a read
 * error is S3_ESYS with the reason in e->msg.
 */
int s3up_fd(struct s3_client *c, struct s3_conn *k, int fd, int64_t size,
    const char *key, const struct s3up_opts *o, struct s3up_result *res,
    struct s3_error *e);

/* The size of part n (from 1) of an upload whose first part is base. */
size_t s3up_part_want(size_t base, int n);

/* The first part size for a stream of size bytes (-1: unknown). */
size_t s3up_part_size(size_t base, int64_t size);

#endif
