#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "strbuf.h"
#include "warnp.h"
#include "yamledit.h"

#define MAXHITS	16

/* Where the key's entries lie: [start, end) each. */
struct hits {
	size_t	 start[MAXHITS], end[MAXHITS];
	size_t	 n;
};

struct scan {
	const char	*key;
	struct hits	*h;
	int		 level;		/* collections open */
	int		 want_key;	/* at level 1: the next node is a key */
	int		 in_value;	/* inside the value of a hit */
	int		 top_map;	/* the top level is a mapping */
};

/* The end of a value event: the END of a block collection is not. */
static void
value_end(struct scan *s, const yaml_event_t *ev, const char *buf)
{
	size_t e = ev->end_mark.index;

	if ((ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT) &&
	    (e == 0 || (buf[e - 1] != ']' && buf[e - 1] != '}')))
		return;
	if (e > s->h->end[s->h->n - 1])
		s->h->end[s->h->n - 1] = e;
}

/* A key at level 1: a hit starts there if it is the key. */
static void
top_key(struct scan *s, const yaml_event_t *ev)
{

	s->in_value = 0;
	if (ev->type == YAML_SCALAR_EVENT &&
	    strcmp((const char *)ev->data.scalar.value, s->key) == 0 &&
	    s->h->n < MAXHITS) {
		s->h->start[s->h->n] = ev->start_mark.index;
		s->h->end[s->h->n] = ev->end_mark.index;
		s->h->n++;
		s->in_value = 1;
	}
}

/* One event; returns 1 at the end of the first document. */
static int
scan_event(struct scan *s, const yaml_event_t *ev, const char *buf)
{
	int start = ev->type == YAML_SEQUENCE_START_EVENT ||
	    ev->type == YAML_MAPPING_START_EVENT;
	int end = ev->type == YAML_SEQUENCE_END_EVENT ||
	    ev->type == YAML_MAPPING_END_EVENT;
	int node = start || ev->type == YAML_SCALAR_EVENT ||
	    ev->type == YAML_ALIAS_EVENT;

	if (ev->type == YAML_DOCUMENT_END_EVENT ||
	    ev->type == YAML_STREAM_END_EVENT)
		return (1);
	if (s->level == 0 && node)
		s->top_map = ev->type == YAML_MAPPING_START_EVENT;
	else if (s->level == 1 && node && s->want_key) {
		top_key(s, ev);
		s->want_key = 0;
	} else {
		if (s->level == 1 && node)
			s->want_key = 1;
		if (s->in_value && (node || s->level > 1))
			value_end(s, ev, buf);
	}
	s->level += start - end;
	return (0);
}

static int
scan(const char *buf, size_t len, const char *name, struct scan *s)
{
	yaml_parser_t p;
	yaml_event_t ev;
	int done = 0, rc = 0;

	if (!yaml_parser_initialize(&p)) {
		warn0("cannot read '%s': out of memory", name);
		return (-1);
	}
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			warn0("cannot read '%s': not YAML at line %zu: %s", name,
			    p.problem_mark.line + 1,
			    p.problem != NULL ? p.problem : "bad YAML");
			rc = -1;
			break;
		}
		done = scan_event(s, &ev, buf);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return (rc);
}

int
yamledit_set(const char *buf, size_t len, const char *name,
    const char *key, const char *value, char **out, size_t *outlen)
{
	struct strbuf b = STRBUF_INIT;
	struct hits h;
	struct scan s = { key, &h, 0, 1, 0, 1 };
	size_t i, at = 0;

	memset(&h, 0, sizeof(h));
	if (scan(buf, len, name, &s) != 0)
		return (-1);
	if (!s.top_map) {
		warn0("cannot edit '%s': its top level is not a mapping", name);
		return (-1);
	}
	for (i = 0; i < h.n; i++) {
		strbuf_add(&b, buf + at, h.start[i] - at);
		strbuf_addf(&b, "%s: %s", key, value);
		at = h.end[i];
	}
	strbuf_add(&b, buf + at, len - at);
	if (h.n == 0) {
		if (len > 0 && buf[len - 1] != '\n')
			strbuf_addc(&b, '\n');
		strbuf_addf(&b, "%s: %s\n", key, value);
	}
	*outlen = b.len;
	if ((*out = strbuf_detach(&b)) == NULL) {
		warnp("cannot edit '%s'", name);
		return (-1);
	}
	return (0);
}
