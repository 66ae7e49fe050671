#ifndef FILESUM_H
#define FILESUM_H

/*
 * The SHA-256 of a file already on disk, read as a stream (a slice at a
 * time: memory does not grow with the file), and a file under a
 * directory opened the way a confined atomicfile is written: no symbolic
 * link followed on the way or at the end, and only a regular file.  Used
 * by cb-s3get --keep-verified to keep a restored file that is already
 * the one asked for.
 */

#include <stddef.h>
#include <stdint.h>

/*
 * Open path (relative, no '..' component: atomicfile_check_path()) under
 * the directory dirfd for reading.  Each directory on the way and the
 * file itself are opened with O_NOFOLLOW, nothing is created, and the
 * file must be a regular file (a FIFO is not waited for).  Returns the
 * descriptor (the caller's to close), or -1 with errno set: ENOENT,
 * ELOOP or ENOTDIR for a symbolic link, EINVAL for something not a
 * regular file, ...  Not reported: an absent file is no error here.
 */
int filesum_open(int dirfd, const char *path);

/*
 * Read fd from its current offset to the end, hashing it; fn (if not
 * NULL) is told of each slice read and may stop the read by returning
 * -1 (then -1 with errno EINTR, not reported).  Sets *bytes and hex (64
 * lowercase digits and a NUL).  Returns 0, or -1 (a read error, reported
 * naming name).
 */
int filesum_sha256(int fd, const char *name,
    int (*fn)(void *cookie, size_t len), void *cookie, uint64_t *bytes,
    char hex[65]);

#endif
