#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "warnp.h"

struct json_doc {
	yaml_document_t	doc;
};

struct json_doc *
json_load(FILE *f, const char *name)
{
	yaml_parser_t p;
	struct json_doc *d;

	if ((d = calloc(1, sizeof(*d))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	if (!yaml_parser_initialize(&p)) {
		warn0("cannot read '%s': out of memory", name);
		free(d);
		return (NULL);
	}
	yaml_parser_set_input_file(&p, f);
	if (!yaml_parser_load(&p, &d->doc)) {
		warn0("cannot read '%s': %s at line %zu", name,
		    p.problem ? p.problem : "syntax error",
		    p.problem_mark.line + 1);
		yaml_parser_delete(&p);
		free(d);
		return (NULL);
	}
	yaml_parser_delete(&p);
	if (yaml_document_get_root_node(&d->doc) == NULL) {
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
	char *end;
	uint64_t v;

	if (s == NULL || *s < '0' || *s > '9')
		return (def);
	errno = 0;
	v = strtoull(s, &end, 10);
	return (errno != 0 || *end != '\0' ? def : v);
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

void
json_put_str(FILE *f, const char *s)
{
	const unsigned char *p;

	putc('"', f);
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		switch (*p) {
		case '"': fputs("\\\"", f); break;
		case '\\': fputs("\\\\", f); break;
		case '\n': fputs("\\n", f); break;
		case '\t': fputs("\\t", f); break;
		case '\r': fputs("\\r", f); break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
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
