#ifndef ATOMICFILE_H
#define ATOMICFILE_H

/*
 * A file that appears whole or not at all.  It is written to a temporary
 * name beside its final name (".NAME.cb-XXXXXXXX", in the same directory,
 * relative to a directory descriptor) and renamed over the name only by
 * atomicfile_commit(), after the file and then the directory are synced.
 * Freed uncommitted (a failure), the temporary file is removed; so it is
 * on SIGINT, SIGTERM or SIGHUP, for each signal the program leaves at its
 * default action (a program that catches one, as cb-s3get does, cancels
 * and frees its files itself).
 *
 * Confined paths (cb-s3get list mode) refuse absolute paths and '..'
 * components, create missing parent directories and never follow a
 * symbolic link on the way.  "-" (or NULL) is stdout, written directly,
 * when not confined; so is a path that names a device or a FIFO
 * (/dev/null, a named pipe), which a rename would replace.
 */

#include <stddef.h>

struct atomicfile;

/*
 * Open path relative to dirfd (AT_FDCWD for the working directory), as
 * above.  Returns NULL on failure (reported).
 */
struct atomicfile *atomicfile_new(int dirfd, const char *path, int confined);

/* The name for messages: the path, or "stdout". */
const char *atomicfile_name(const struct atomicfile *f);

/*
 * Write f past the page cache from here on (O_DIRECT, through a staging
 * buffer of 4 MiB), for a large file written once: no copy into the cache,
 * and no cache pages to allocate, which in a virtual machine that hands
 * freed memory back to its host can cost more than the copy.  Whole
 * blocks of a buffer aligned to 4096 bytes are written from it directly,
 * with nothing staged before them; the rest is staged.  Where the
 * file system refuses O_DIRECT (tmpfs), or for stdout or a device, nothing
 * changes.  The last partial block is written through the cache by
 * atomicfile_commit().
 */
void atomicfile_uncached(struct atomicfile *f);

/*
 * Write all len bytes (an lzop_sink_fn: cookie is the atomicfile).
 * Returns 0, or -1 (reported).
 */
int atomicfile_write(void *cookie, const void *buf, size_t len);

/*
 * Give the file the mode 0666 less the umask, fsync it, rename it over
 * its name and fsync the directory.  stdout: nothing to do.  Returns 0,
 * or -1 (reported; the temporary file is removed by atomicfile_free()).
 */
int atomicfile_commit(struct atomicfile *f);

/* Close; removes the temporary file unless committed.  NULL: no-op. */
void atomicfile_free(struct atomicfile *f);

/* 0 if path is relative, not empty and without '..' components, else -1. */
int atomicfile_check_path(const char *path);

/*
 * Open the directory that holds path (relative, checked as above) under
 * dirfd, one component at a time, following no symbolic link; with
 * create, making the directories that are missing.  *leaf is set to the
 * last component.  Returns the directory's descriptor, or -1 (errno set).
 */
int atomicfile_open_dir(int dirfd, const char *path, int create,
    const char **leaf);

#endif
