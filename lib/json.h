#ifndef JSON_H
#define JSON_H

/*
 * JSON in and out for the manifests (cb-manifest(5)).  Reading goes
 * through libyaml, which reads JSON as YAML flow style, into a document
 * held in memory; writing is a small emitter into a FILE.
 */

#include <stdint.h>
#include <stdio.h>

#include <yaml.h>

struct json_doc;

/*
 * What json_load() accepts.  A manifest comes from the bucket, which may be
 * damaged or hostile, so each dimension is bounded well above what a real
 * backup writes (a schema of thousands of tables, millions of files).
 * libyaml's scanner spends time in the square of the nesting depth, so the
 * depth bound is checked as the events arrive, before the scanner goes on.
 */
#define JSON_MAX_DEPTH		64		/* nested arrays and objects */
#define JSON_MAX_KEY		1024		/* bytes of an object key */
#define JSON_MAX_STRING		(16UL << 20)	/* bytes of any other string */
#define JSON_MAX_ENTRIES	(1UL << 24)	/* items of one array/object */
#define JSON_MAX_VALUES		(1UL << 26)	/* values in the document */
#define JSON_MAX_INPUT		(1UL << 30)	/* bytes of input */

/*
 * Parse one JSON (or YAML) document from f; name is used in messages.
 * Returns NULL on a syntax error, an empty input, an alias (JSON has none)
 * or a document beyond one of the bounds above (reported, naming the bound
 * and the line).
 */
struct json_doc *json_load(FILE *f, const char *name);

/* Free the document; NULL is a no-op. */
void json_free(struct json_doc *d);

/* The root node, or NULL. */
yaml_node_t *json_root(struct json_doc *d);

/* The value of key in mapping m, or NULL (also if m is not a mapping). */
yaml_node_t *json_get(struct json_doc *d, yaml_node_t *m, const char *key);

/* A scalar's text (NUL-terminated), or NULL if n is not a scalar. */
const char *json_str(yaml_node_t *n);

/* A scalar's text, or def if n is missing, null or not a scalar. */
const char *json_get_str(struct json_doc *d, yaml_node_t *m, const char *key,
    const char *def);

/* An unsigned integer value of key, or def. */
uint64_t json_get_u64(struct json_doc *d, yaml_node_t *m, const char *key,
    uint64_t def);

/*
 * A signed integer value of key (an optional '-' then digits, as
 * num_parse_i64() reads it), or def if it is missing or not such a number.
 */
int64_t json_get_i64(struct json_doc *d, yaml_node_t *m, const char *key,
    int64_t def);

/* 1 if n is null (missing, ~, or the JSON null literal). */
int json_is_null(yaml_node_t *n);

/* Number of items of sequence n (0 if not a sequence), and item i. */
size_t json_len(yaml_node_t *n);
yaml_node_t *json_item(struct json_doc *d, yaml_node_t *n, size_t i);

/*
 * A scalar's text and in *len its length, which a \u0000 escape makes
 * longer than strlen() of it; NULL if n is not a scalar.
 */
const char *json_strn(yaml_node_t *n, size_t *len);

/*
 * The bytes that the base64 string (RFC 4648, padded, nothing else in it)
 * value of key stands for, NUL-terminated (the NUL not counted in *len),
 * in a buffer to free.  NULL with errno 0 if key is missing or null, with
 * EINVAL if the value is not such a string, or ENOMEM.
 */
char *json_get_base64(struct json_doc *d, yaml_node_t *m, const char *key,
    size_t *len);

/*
 * Write s as a JSON string (quoted, escaped) to f, so that json_load()
 * gives s back, byte for byte, where s is UTF-8 throughout (see
 * rec_utf8_valid()): '"', '\\', control characters (C0, DEL, C1), the
 * line separators U+2028 and U+2029, U+FEFF and the non-characters U+FFFE
 * and U+FFFF are escaped (libyaml would refuse or fold them as they are).
 * A byte that is not UTF-8 cannot be in a JSON string: it is written as
 * \ufffd, so a caller that must keep such bytes writes them with
 * json_put_base64() too.
 */
void json_put_str(FILE *f, const char *s);

/* Write the len bytes at p to f as a JSON string of their base64. */
void json_put_base64(FILE *f, const void *p, size_t len);

/* Write s as a JSON string, or null if s is NULL. */
void json_put_strn(FILE *f, const char *s);

#endif
