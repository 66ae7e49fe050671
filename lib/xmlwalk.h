#ifndef XMLWALK_H
#define XMLWALK_H

/*
 * Walk an XML document with expat and hand the text of every element to
 * a callback, named by its path from the root ("Error/Code").  Enough for
 * S3's response bodies, which are flat records of text elements.
 */

#include <stddef.h>

/*
 * Called at the end of each element: path is "Root/Child/...", text the
 * element's own character data (XML entities already decoded), len its
 * length.  Return 0 to go on, -1 to stop the walk.
 */
typedef int xmlwalk_fn(void *cookie, const char *path, const char *text,
    size_t len);

/*
 * Parse len bytes of doc, after any white space (space, tab, CR, LF) that
 * precedes it.  Returns 0, or -1 if the document is malformed or the
 * callback stopped it (nothing printed).  *root receives the root
 * element's name when root is not NULL (up to rootsize bytes).
 */
int xmlwalk(const char *doc, size_t len, xmlwalk_fn *fn, void *cookie,
    char *root, size_t rootsize);

#endif
