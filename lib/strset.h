#ifndef STRSET_H
#define STRSET_H

/*
 * A set of strings, each with a long value (open addressing, FNV-1a): the
 * one string hash of the tree.  A zeroed struct strset is an empty set.
 * Used for de-duplication (cb-manifest) and as the index of lib/fileset.
 */

#include <stddef.h>

struct strset {
	char		**key;
	long		 *val;
	size_t		  cap, n;	/* cap: 0 or a power of two */
};

/*
 * If key is in the set, return its value; else insert it (copied) with
 * value val (>= 0) and return -1.  Returns -2 on allocation failure
 * (nothing printed, errno ENOMEM).
 */
long strset_put(struct strset *s, const char *key, long val);

/* The value of key, or -1 if it is not in the set. */
long strset_get(const struct strset *s, const char *key);

/* Free the keys and empty the set (it may be used again). */
void strset_free(struct strset *s);

#endif
