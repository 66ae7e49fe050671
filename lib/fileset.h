#ifndef FILESET_H
#define FILESET_H

/*
 * A set of files seen before, keyed by a string (a path, or a path key from
 * node_path_key()), each with the size, mtime (ns) and inode it had.  Used
 * to tell a new or changed file from one already backed up without reading
 * it.  Loaders (file records today, a backup manifest later) fill it with
 * fileset_add().
 */

#include <stddef.h>
#include <stdint.h>

struct fileset;

/* An empty set.  Returns NULL on allocation failure (reported). */
struct fileset *fileset_new(void);

/*
 * Add key (copied) with its size, mtime and inode; a key already present
 * takes the new values.  Returns 0, or -1 on allocation failure (reported).
 */
int fileset_add(struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino);

/* 1 if key is in the set with exactly this size, mtime and inode. */
int fileset_same(const struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino);

/* Number of keys in the set. */
size_t fileset_count(const struct fileset *s);

/* Free the set; NULL is a no-op. */
void fileset_free(struct fileset *s);

#endif
