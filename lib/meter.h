#ifndef METER_H
#define METER_H

/*
 * The progress lines of list mode --progress=SECONDS (cb-s3get, cb-s3put),
 * for a program (the driver) to read on standard error:
 *	PROG: progress FILES_DONE FILES_TOTAL BYTES_DONE BYTES_TOTAL
 * PROG being warnp_progname(), every interval and once more when the
 * meter is freed, each line with one write(2), so it never lands inside
 * another message.  Each file has a size, given by the caller (cb-s3get:
 * the record's SIZE, "-" counting 0; cb-s3put: the file's size when the
 * list was read): a file done counts its size, a file in flight the bytes
 * moved (read, written or hashed) so far, never more than its size.  A
 * NULL meter is a no-op everywhere.
 */

#include <stddef.h>
#include <stdint.h>

struct meter;

/* One file's share, kept by whoever works on it. */
struct meter_file {
	uint64_t	size;		/* its SIZE, 0 if unknown */
	uint64_t	seen;		/* bytes so far */
};

/*
 * Start a meter of files and bytes in all, printing every secs seconds
 * (>= 1) from a thread of its own.  Returns NULL on failure (reported).
 */
struct meter *meter_new(unsigned int secs, uint64_t files, uint64_t bytes);

/* len more bytes of f, in flight (thread safe). */
void meter_add(struct meter *m, struct meter_file *f, size_t len);

/*
 * f is no longer in flight: done (restored, kept, or matched) or not
 * (failed: its bytes are taken back).  f may be worked on again after.
 * Thread safe.
 */
void meter_end(struct meter *m, struct meter_file *f, int done);

/* Print the last line, stop the thread, free. */
void meter_free(struct meter *m);

#endif
