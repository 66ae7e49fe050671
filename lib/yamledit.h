#ifndef YAMLEDIT_H
#define YAMLEDIT_H

/*
 * Editing a YAML configuration file (cassandra.yaml) in place: a
 * top-level key set to a new value, the rest of the file kept byte for
 * byte, comments included.  The file is read with libyaml, whose marks
 * give where each key and value lie.
 */

#include <stddef.h>

/*
 * Set the top-level key of the YAML document in buf (len bytes) to value
 * (YAML text for a scalar, written as given): each "key: old value" of
 * the top-level mapping is replaced by "key: value", from the start of
 * the key to the end of its value (its last line, for a block value); a
 * key not there is appended as a line of its own.  name is used in
 * messages.  Returns 0 and a new NUL-terminated *out of *outlen bytes
 * (free it), or -1: not YAML, or a top level that is not a mapping
 * (reported, naming the line).
 */
int yamledit_set(const char *buf, size_t len, const char *name,
    const char *key, const char *value, char **out, size_t *outlen);

#endif
