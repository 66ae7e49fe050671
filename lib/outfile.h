#ifndef OUTFILE_H
#define OUTFILE_H

/*
 * An output that appears whole or not at all: a named file is written to a
 * temporary file in the same directory and renamed over the name only by
 * outfile_commit(); freeing an uncommitted outfile (or a SIGINT, SIGTERM,
 * SIGHUP meanwhile) removes the temporary file.  "-" or NULL is stdout,
 * written directly.
 */

#include <stddef.h>

struct outfile;

/* Open path as above.  Returns NULL on failure (reported). */
struct outfile *outfile_new(const char *path);

/* The name for messages: the path, or "stdout". */
const char *outfile_name(const struct outfile *o);

/*
 * Write all len bytes (an lzop_sink_fn: cookie is the outfile).  Returns 0,
 * or -1 on failure (reported).
 */
int outfile_write(void *cookie, const void *buf, size_t len);

/* Make the file appear under its name.  Returns 0, or -1 (reported). */
int outfile_commit(struct outfile *o);

/* Close, removing the temporary file unless committed; NULL is a no-op. */
void outfile_free(struct outfile *o);

#endif
