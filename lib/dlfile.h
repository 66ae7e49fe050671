#ifndef DLFILE_H
#define DLFILE_H

/*
 * A downloaded file that appears whole or not at all: written to a
 * temporary name beside its final name and renamed over it only by
 * dlfile_commit() (after fsync); freed uncommitted, the temporary file
 * is removed.  Confined paths (list mode) are relative to a directory
 * descriptor, refuse absolute paths and '..' components, create missing
 * parent directories and never follow a symbolic link on the way.
 */

#include <stddef.h>

struct dlfile;

/*
 * Open path relative to dirfd (AT_FDCWD for the working directory); "-"
 * is stdout, written directly (not when confined).  Returns NULL on
 * failure (reported).
 */
struct dlfile *dlfile_new(int dirfd, const char *path, int confined);

/* Write all of buf.  Returns 0, or -1 (reported). */
int dlfile_write(struct dlfile *f, const void *buf, size_t len);

/* Flush, fsync and rename into place.  Returns 0, or -1 (reported). */
int dlfile_commit(struct dlfile *f);

/* Close; removes the temporary file unless committed.  NULL: no-op. */
void dlfile_free(struct dlfile *f);

/* 0 if path is relative without '..' components, else -1. */
int dlfile_check_path(const char *path);

#endif
