#ifndef LZOP_H
#define LZOP_H

/*
 * The lzop 1.04 container (one member per stream), as streaming filters:
 * push bytes in, get bytes out through a sink callback.  cb-pack and
 * cb-unpack are thin wrappers; cb-s3put --pack and cb-s3get --unpack use
 * the same filters in-process.
 *
 * CONTRACT (shared by several modules; change it only together with them).
 */

#include <stddef.h>
#include <stdint.h>

/* Status returned by the unpacker for corrupt, truncated or non-lzop data. */
#define LZOP_EDATA	(-2)

/*
 * Where output goes: consume len bytes, return 0, or -1 on failure (already
 * reported).  Called in stream order, from the thread that called
 * *_write() or *_finish(), never concurrently.
 */
typedef int lzop_sink_fn(void *cookie, const void *buf, size_t len);

/*
 * Packer options.  level: 1 (method 2), 0 or 2..6 (method 1, level 5, the
 * default), 7..9 (method 3, LZO1X-999); anything else fails.  The output
 * equals `lzop -c` byte for byte for the same header fields, except where
 * the adaptive mode stores a block lzop would have compressed: after 4
 * blocks in a row that did not shrink, blocks are stored untried unless a
 * 4 KiB sample of their start, middle or end shrinks by 1/8, or every
 * 16th block; a tried block that shrinks resumes compressing.  The choice depends only
 * on the data, never on nthreads.  store: every block stored.  For stdin,
 * lzop writes name NULL, mode 0 and the current time as mtime (or the mode
 * and mtime of a regular file redirected to stdin).
 */
struct lzop_pack_opts {
	int		 level;	   /* lzop's -1, -3 (default), -7, -8, -9 */
	int		 store;	   /* 1: stored blocks only (--store) */
	int		 nthreads; /* compression threads; 0 = online CPUs */
	const char	*name;	   /* basename for the header; NULL = stdin */
	uint32_t	 mode;	   /* st_mode of the input, or 0 */
	int64_t		 mtime;	   /* st_mtime in seconds */
	int		 to_stdout; /* set F_STDOUT as `lzop -c` does */
};

struct lzop_packer;

/*
 * Start a stream; the header is emitted at the first write or at finish.
 * Returns NULL on failure (reported).
 */
struct lzop_packer *lzop_packer_new(const struct lzop_pack_opts *opts,
    lzop_sink_fn *sink, void *cookie);

/* Compress len bytes.  Returns 0, or -1 on failure (reported). */
int lzop_packer_write(struct lzop_packer *p, const void *buf, size_t len);

/*
 * Zero-copy input: a pointer to room for up to *len bytes inside the block
 * being filled (read(2) straight into it), then lzop_packer_commit() with
 * the count actually stored there.  Returns NULL on failure (reported).
 */
void *lzop_packer_space(struct lzop_packer *p, size_t *len);

/* Take n bytes written at lzop_packer_space().  Returns 0 or -1. */
int lzop_packer_commit(struct lzop_packer *p, size_t n);

/* Flush every block and write the end marker.  Returns 0 or -1. */
int lzop_packer_finish(struct lzop_packer *p);

/* Stop the threads and free everything; NULL is a no-op. */
void lzop_packer_free(struct lzop_packer *p);

struct lzop_unpacker;

/*
 * Decode lzop members (concatenated members are decoded in turn; NUL
 * padding after the last is ignored), verifying every checksum present.
 * nthreads: decompression threads, 0 = online CPUs.  Returns NULL on
 * failure (reported).
 */
struct lzop_unpacker *lzop_unpacker_new(int nthreads, lzop_sink_fn *sink,
    void *cookie);

/*
 * Feed len bytes of the stream.  Returns 0, -1 on a sink or system failure
 * (reported), or LZOP_EDATA on bad data: nothing is printed then, and
 * lzop_unpacker_error() describes it.
 */
int lzop_unpacker_write(struct lzop_unpacker *u, const void *buf, size_t len);

/*
 * The input is complete: returns 0 if it ended cleanly after at least one
 * member, LZOP_EDATA if it was truncated or empty, -1 on a sink failure.
 */
int lzop_unpacker_finish(struct lzop_unpacker *u);

/*
 * After LZOP_EDATA: what failed and at which byte offset of the input,
 * e.g. "block checksum mismatch at byte 1234".  Owned by the unpacker.
 */
const char *lzop_unpacker_error(const struct lzop_unpacker *u);

/* Free the unpacker; NULL is a no-op. */
void lzop_unpacker_free(struct lzop_unpacker *u);

#endif
