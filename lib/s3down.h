#ifndef S3DOWN_H
#define S3DOWN_H

/*
 * Download one S3 object as a stream: ranged GETs of chunk bytes, the
 * first one learning the size and ETag, the others pinned to that ETag
 * (If-Match) and fetched concurrently, handed to the sink in order.
 * Memory is bounded by (concurrency + 1) chunks.  With unpack, the bytes
 * go through the lzop unpacker (every checksum verified) before the sink.
 */

#include <stddef.h>
#include <stdint.h>

#include "lzop.h"
#include "s3.h"
#include "slots.h"

struct s3down_opts {
	size_t		 chunk;		/* bytes per ranged GET */
	int		 concurrency;	/* GETs in flight, >= 1 */
	int		 unpack;
	int		 unpack_threads;	/* 0: online CPUs */
	int		 no_sha256;	/* res->sha256 left empty */
	/*
	 * If set (list mode), the run's budget of -j slots: the caller holds
	 * one and fetches the chunks no slot is free for; each other chunk
	 * borrows a slot (slots_try()) until it is handed to the sink, so
	 * chunks in use never outnumber the slots held, and spares beyond
	 * one per slot held are freed: a run of -j N files holds at most N
	 * chunks in use and 2N allocated; at most concurrency chunks in
	 * flight.
	 */
	struct slots	*slots;
};

struct s3down_result {
	uint64_t	stored_bytes;	/* bytes of the object */
	uint64_t	raw_bytes;	/* bytes given to the sink */
	char		sha256[65];	/* of the bytes given to the sink */
	char		etag[136];
	int		absent;		/* on failure: the first GET found
					   no such key (s3_error_no_such_key),
					   so nothing of it was read */
};

/*
 * Fetch key into sink (an lzop_sink_fn: 0 or -1, reported).  Returns 0,
 * or -1 with e set (a sink failure is S3_ESYS with an empty message: it
 * was reported already; bad lzop data is S3_EDATA).
 */
int s3down_run(struct s3_client *c, struct s3_conn *k, const char *key,
    const struct s3down_opts *o, lzop_sink_fn *sink, void *cookie,
    struct s3down_result *res, struct s3_error *e);

#endif
