#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "json.h"
#include "num.h"
#include "records.h"
#include "warnp.h"

struct json_doc {
	yaml_document_t	doc;
};

/* The input, counted so that an endless one is refused. */
struct input {
	FILE	*f;
	size_t	 n;
	int	 over;
};

/* A collection being filled: its node, a key waiting for its value. */
struct frame {
	int	 id;
	int	 key;
	size_t	 n;
};

struct loader {
	yaml_parser_t	 p;
	struct input	 in;
	yaml_document_t	*doc;
	const char	*name;
	struct frame	 stack[JSON_MAX_DEPTH];
	size_t		 depth, values;
	int		 started;
};

static int
input_read(void *data, unsigned char *buf, size_t size, size_t *got)
{
	struct input *in = data;

	*got = fread(buf, 1, size, in->f);
	in->n += *got;
	if (in->n > JSON_MAX_INPUT) {
		in->over = 1;
		return (0);
	}
	return (!ferror(in->f));
}

static int refuse(struct loader *, const yaml_mark_t *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

/* Report a refused document; always returns -1. */
static int
refuse(struct loader *l, const yaml_mark_t *m, const char *fmt, ...)
{
	char why[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	warn0("cannot read '%s': %s at line %zu", l->name, why, m->line + 1);
	return (-1);
}

/* Hang node id under the open collection (or make it the root). */
static int
load_attach(struct loader *l, int id, const yaml_mark_t *m)
{
	struct frame *t;
	int ok;

	if (id == 0)
		return (refuse(l, m, "out of memory"));
	if (++l->values > JSON_MAX_VALUES)
		return (refuse(l, m, "more than %lu values",
		    JSON_MAX_VALUES));
	if (l->depth == 0)
		return (0);
	t = &l->stack[l->depth - 1];
	if (l->doc->nodes.start[t->id - 1].type == YAML_MAPPING_NODE &&
	    t->key == 0) {
		t->key = id;
		return (0);
	}
	if (++t->n > JSON_MAX_ENTRIES)
		return (refuse(l, m, "more than %lu entries in an "
		    "array or object", JSON_MAX_ENTRIES));
	if (t->key != 0) {
		ok = yaml_document_append_mapping_pair(l->doc, t->id, t->key,
		    id);
		t->key = 0;
	} else {
		ok = yaml_document_append_sequence_item(l->doc, t->id, id);
	}
	return (ok ? 0 : refuse(l, m, "out of memory"));
}

/* 1 if the next scalar is an object key. */
static int
load_want_key(const struct loader *l)
{
	const struct frame *t;

	if (l->depth == 0)
		return (0);
	t = &l->stack[l->depth - 1];
	return (l->doc->nodes.start[t->id - 1].type == YAML_MAPPING_NODE &&
	    t->key == 0);
}

static yaml_char_t *
load_tag(yaml_char_t *tag)
{

	return (tag == NULL || strcmp((char *)tag, "!") == 0 ? NULL : tag);
}

static int
load_scalar(struct loader *l, yaml_event_t *ev)
{
	size_t len = ev->data.scalar.length;

	if (load_want_key(l) && len > JSON_MAX_KEY)
		return (refuse(l, &ev->start_mark, "a key longer than %d "
		    "bytes", JSON_MAX_KEY));
	if (len > JSON_MAX_STRING)
		return (refuse(l, &ev->start_mark, "a string longer than %lu "
		    "bytes", JSON_MAX_STRING));
	return (load_attach(l, yaml_document_add_scalar(l->doc,
	    load_tag(ev->data.scalar.tag), ev->data.scalar.value, (int)len,
	    ev->data.scalar.style), &ev->start_mark));
}

static int
load_open(struct loader *l, yaml_event_t *ev)
{
	int id;

	if (l->depth == JSON_MAX_DEPTH)
		return (refuse(l, &ev->start_mark, "nested deeper than %d "
		    "levels", JSON_MAX_DEPTH));
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		id = yaml_document_add_sequence(l->doc,
		    load_tag(ev->data.sequence_start.tag),
		    ev->data.sequence_start.style);
	else
		id = yaml_document_add_mapping(l->doc,
		    load_tag(ev->data.mapping_start.tag),
		    ev->data.mapping_start.style);
	if (load_attach(l, id, &ev->start_mark) != 0)
		return (-1);
	l->stack[l->depth++] = (struct frame){ id, 0, 0 };
	return (0);
}

/* One event: 1 to go on, 0 at the end of the document, -1 on error. */
static int
load_event(struct loader *l, yaml_event_t *ev)
{

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		if (!yaml_document_initialize(l->doc, NULL, NULL, NULL, 1, 1))
			return (refuse(l, &ev->start_mark, "out of memory"));
		l->started = 1;
		return (1);
	case YAML_DOCUMENT_END_EVENT:
	case YAML_STREAM_END_EVENT:
		return (0);
	case YAML_ALIAS_EVENT:
		return (refuse(l, &ev->start_mark, "an alias (not JSON)"));
	case YAML_SCALAR_EVENT:
		return (load_scalar(l, ev) == 0 ? 1 : -1);
	case YAML_SEQUENCE_START_EVENT:
	case YAML_MAPPING_START_EVENT:
		return (load_open(l, ev) == 0 ? 1 : -1);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		l->depth--;
		return (1);
	default:
		return (1);
	}
}

/* Compose the document from the parser's events, within the bounds. */
static int
load_doc(struct loader *l)
{
	yaml_event_t ev;
	int rc;

	do {
		if (!yaml_parser_parse(&l->p, &ev)) {
			if (l->in.over)
				warn0("cannot read '%s': longer than %lu "
				    "bytes", l->name, JSON_MAX_INPUT);
			else
				warn0("cannot read '%s': %s at line %zu",
				    l->name, l->p.problem ? l->p.problem :
				    "syntax error", l->p.problem_mark.line + 1);
			return (-1);
		}
		rc = load_event(l, &ev);
		yaml_event_delete(&ev);
	} while (rc == 1);
	return (rc);
}

struct json_doc *
json_load(FILE *f, const char *name)
{
	struct loader l;
	struct json_doc *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	memset(&l, 0, sizeof(l));
	if (!yaml_parser_initialize(&l.p)) {
		warn0("cannot read '%s': out of memory", name);
		free(d);
		return (NULL);
	}
	l.in.f = f;
	l.doc = &d->doc;
	l.name = name;
	yaml_parser_set_input(&l.p, input_read, &l.in);
	if (load_doc(&l) != 0) {
		yaml_parser_delete(&l.p);
		if (l.started)
			yaml_document_delete(&d->doc);
		free(d);
		return (NULL);
	}
	yaml_parser_delete(&l.p);
	if (!l.started || yaml_document_get_root_node(&d->doc) == NULL) {
		warn0("cannot read '%s': empty", name);
		json_free(d);
		return (NULL);
	}
	return (d);
}

void
json_free(struct json_doc *d)
{

	if (d == NULL)
		return;
	yaml_document_delete(&d->doc);
	free(d);
}

yaml_node_t *
json_root(struct json_doc *d)
{

	return (yaml_document_get_root_node(&d->doc));
}

const char *
json_str(yaml_node_t *n)
{

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return (NULL);
	return ((const char *)n->data.scalar.value);
}

int
json_is_null(yaml_node_t *n)
{
	const char *s;

	if (n == NULL)
		return (1);
	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	s = json_str(n);
	return (strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || *s == '\0');
}

yaml_node_t *
json_get(struct json_doc *d, yaml_node_t *m, const char *key)
{
	yaml_node_pair_t *pr;
	const char *k;

	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return (NULL);
	for (pr = m->data.mapping.pairs.start;
	    pr < m->data.mapping.pairs.top; pr++) {
		k = json_str(yaml_document_get_node(&d->doc, pr->key));
		if (k != NULL && strcmp(k, key) == 0)
			return (yaml_document_get_node(&d->doc, pr->value));
	}
	return (NULL);
}

const char *
json_get_str(struct json_doc *d, yaml_node_t *m, const char *key,
    const char *def)
{
	yaml_node_t *n = json_get(d, m, key);

	if (json_is_null(n) || json_str(n) == NULL)
		return (def);
	return (json_str(n));
}

uint64_t
json_get_u64(struct json_doc *d, yaml_node_t *m, const char *key,
    uint64_t def)
{
	const char *s = json_get_str(d, m, key, NULL);
	uint64_t v;

	if (s == NULL || num_parse_u64(s, 0, UINT64_MAX, &v) != 0)
		return (def);
	return (v);
}

int64_t
json_get_i64(struct json_doc *d, yaml_node_t *m, const char *key,
    int64_t def)
{
	const char *s = json_get_str(d, m, key, NULL);
	int64_t v;

	if (s == NULL || num_parse_i64(s, INT64_MIN, INT64_MAX, &v) != 0)
		return (def);
	return (v);
}

size_t
json_len(yaml_node_t *n)
{

	if (n == NULL || n->type != YAML_SEQUENCE_NODE)
		return (0);
	return ((size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start));
}

yaml_node_t *
json_item(struct json_doc *d, yaml_node_t *n, size_t i)
{

	if (i >= json_len(n))
		return (NULL);
	return (yaml_document_get_node(&d->doc,
	    n->data.sequence.items.start[i]));
}

const char *
json_strn(yaml_node_t *n, size_t *len)
{

	if (n == NULL || n->type != YAML_SCALAR_NODE)
		return (NULL);
	*len = n->data.scalar.length;
	return ((const char *)n->data.scalar.value);
}

/* 1 if base64 string s of len bytes is canonical: padded, no spaces. */
static int
base64_ok(const char *s, size_t len)
{
	static const char set[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t n = strspn(s, set);

	if (len % 4 != 0 || n + 2 < len)
		return (0);
	if (n < len && (s[n] != '=' || (n + 1 < len && s[n + 1] != '=')))
		return (0);
	return (1);
}

char *
json_get_base64(struct json_doc *d, yaml_node_t *m, const char *key,
    size_t *len)
{
	yaml_node_t *n = json_get(d, m, key);
	const char *s;
	size_t sl, pad;
	unsigned char *b;
	int got;

	errno = 0;
	if (json_is_null(n))
		return (NULL);
	if ((s = json_strn(n, &sl)) == NULL || sl > INT32_MAX ||
	    strlen(s) != sl || !base64_ok(s, sl)) {
		errno = EINVAL;
		return (NULL);
	}
	if ((b = malloc(sl / 4 * 3 + 1)) == NULL)
		return (NULL);
	/* EVP_DecodeBlock() counts the padding as zero bytes. */
	pad = sl == 0 ? 0 : (s[sl - 1] == '=') + (s[sl - 2] == '=');
	if ((got = EVP_DecodeBlock(b, (const unsigned char *)s, (int)sl)) < 0 ||
	    (size_t)got != sl / 4 * 3) {
		free(b);
		errno = EINVAL;
		return (NULL);
	}
	*len = (size_t)got - pad;
	b[*len] = '\0';
	return ((char *)b);
}

/* A character that json_put_str() escapes though it is UTF-8. */
static int
put_escaped(uint32_t c)
{

	return (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029 || c == 0xfeff || c == 0xfffe || c == 0xffff);
}

void
json_put_str(FILE *f, const char *s)
{
	uint32_t c;
	size_t n;

	putc('"', f);
	for (; *s != '\0'; s += n) {
		if ((n = rec_utf8_char(s, &c)) == 0) {
			fputs("\\ufffd", f);	/* not UTF-8: see json.h */
			n = 1;
			continue;
		}
		switch (c) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (put_escaped(c))
				fprintf(f, "\\u%04" PRIx32, c);
			else
				fwrite(s, 1, n, f);
		}
	}
	putc('"', f);
}

void
json_put_base64(FILE *f, const void *p, size_t len)
{
	unsigned char out[4 * 48 + 1];
	const unsigned char *b = p;
	size_t n;

	putc('"', f);
	for (; len > 0; b += n, len -= n) {
		n = len < 144 ? len : 144;
		EVP_EncodeBlock(out, b, (int)n);
		fputs((char *)out, f);
	}
	putc('"', f);
}

void
json_put_strn(FILE *f, const char *s)
{

	if (s == NULL)
		fputs("null", f);
	else
		json_put_str(f, s);
}
