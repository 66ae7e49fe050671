#ifndef FSMOVE_H
#define FSMOVE_H

/*
 * Moving files into a directory another program owns (a Cassandra table
 * directory), never replacing a file there.
 */

#include <sys/types.h>

/*
 * Move the regular file src to dst, which must not exist: rename(2) with
 * RENAME_NOREPLACE, or where the file system lacks it link(2) then
 * unlink(2).  Across file systems the file is copied to a temporary name
 * beside dst (".NAME.cb-XXXXXX"), synced, linked to dst and the temporary
 * name and src removed; mode and (as root) owner are kept.  The directory
 * of dst is not synced (fsmove_sync_dir).  Returns 0, or -1 (reported;
 * errno kept: EEXIST when dst exists, nothing moved then).
 */
int fsmove_noreplace(const char *src, const char *dst);

/*
 * Create the directory path and any missing parents with mode, each one
 * created given to uid:gid when chown is set.  Returns 0 (also when it
 * exists), or -1 (reported, errno kept).
 */
int fsmove_mkdirs(const char *path, mode_t mode, int chown, uid_t uid,
    gid_t gid);

/* fsync the directory path.  Returns 0, or -1 (reported). */
int fsmove_sync_dir(const char *path);

#endif
