#include <string.h>

#include "casspath.h"
#include "warnp.h"

int
casspath_is_word(const char *p, size_t len)
{
	size_t i;

	if (len == 0)
		return (0);
	for (i = 0; i < len; i++) {
		if (!(p[i] == '_' || (p[i] >= '0' && p[i] <= '9') ||
		    (p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')))
			return (0);
	}
	return (1);
}

int
casspath_split_words(char *list, const char *what, const char *opt,
    char **out, size_t max, size_t *n)
{
	char *p, *save = NULL;

	*n = 0;
	for (p = strtok_r(list, ",", &save); p != NULL;
	    p = strtok_r(NULL, ",", &save)) {
		if (!casspath_is_word(p, strlen(p)) || *n == max) {
			warn0("invalid %s '%s'", what, p);
			return (-1);
		}
		out[(*n)++] = p;
	}
	if (*n == 0) {
		warn0("invalid %s: empty list", opt);
		return (-1);
	}
	return (0);
}

static int
is_hex32(const char *p, size_t len)
{
	size_t i;

	if (len != 32)
		return (0);
	for (i = 0; i < len; i++) {
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return (0);
	}
	return (1);
}

static int
tabledir_split(const char *p, size_t len, struct casspath_span *table,
    struct casspath_span *id)
{
	const char *dash = NULL;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] == '-')
			dash = p + i;
	if (dash == NULL) {
		if (!casspath_is_word(p, len))
			return (-1);
		table->p = p;
		table->len = len;
		id->p = p + len;
		id->len = 0;
		return (0);
	}
	if (!casspath_is_word(p, (size_t)(dash - p)) ||
	    !is_hex32(dash + 1, len - (size_t)(dash - p) - 1))
		return (-1);
	table->p = p;
	table->len = (size_t)(dash - p);
	id->p = dash + 1;
	id->len = 32;
	return (0);
}

int
casspath_tabledir_parse(const char *dirname, struct casspath_span *table,
    struct casspath_span *id)
{

	return (tabledir_split(dirname, strlen(dirname), table, id));
}

#define CASSPATH_MAXSEG	8

/* Split the last (up to) CASSPATH_MAXSEG segments of path, rightmost last. */
static size_t
path_segments(const char *path, struct casspath_span *seg, const char **head)
{
	struct casspath_span tmp[CASSPATH_MAXSEG];
	const char *end = path + strlen(path), *p;
	size_t n = 0, i;

	while (n < CASSPATH_MAXSEG && end > path) {
		for (p = end; p > path && p[-1] != '/'; p--)
			;
		tmp[n].p = p;
		tmp[n].len = (size_t)(end - p);
		n++;
		if (p == path)
			break;
		end = p - 1;
	}
	for (i = 0; i < n; i++)
		seg[i] = tmp[n - 1 - i];
	*head = n > 0 ? seg[0].p : path;
	return (n);
}

static int
seg_is(const struct casspath_span *s, const char *word)
{

	return (s->len == strlen(word) && memcmp(s->p, word, s->len) == 0);
}

/* ".INDEX": a legacy secondary index directory. */
static int
seg_index(const struct casspath_span *s)
{

	return (s->len > 1 && s->p[0] == '.');
}

/* A snapshot tag as Cassandra writes it: [A-Za-z0-9_-]+. */
static int
seg_tag(const struct casspath_span *s)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		if (s->p[i] != '-' && !casspath_is_word(s->p + i, 1))
			return (0);
	return (s->len > 0);
}

/*
 * Does seg[t + 1 .. n - 1] (after the table directory seg[t]) have one of
 * the shapes [.INDEX/]NAME, backups/[.INDEX/]NAME or
 * snapshots/TAG/[.INDEX/]NAME?  Fills in kind, tag and index if so.
 */
static int
rest_fits(const struct casspath_span *seg, long t, long n, struct casspath *np)
{
	long i = t + 1;

	np->kind = CASSPATH_LIVE;
	np->tag.len = 0;
	np->index.len = 0;
	if (i < n - 1 && seg_is(&seg[i], "backups")) {
		np->kind = CASSPATH_BACKUPS;
		i++;
	} else if (i + 1 < n - 1 && seg_is(&seg[i], "snapshots") &&
	    seg_tag(&seg[i + 1])) {
		np->kind = CASSPATH_SNAPSHOT;
		np->tag = seg[i + 1];
		i += 2;
	}
	if (i < n - 1 && seg_index(&seg[i])) {
		np->index.p = seg[i].p + 1;
		np->index.len = seg[i].len - 1;
		i++;
	}
	return (i == n - 1);
}

/*
 * Read the path as having its table directory at seg[t] (with an id if
 * want_id, without one if not) and its keyspace at seg[t - 1].  Returns 1
 * and fills np if it fits, 0 if not.
 */
static int
parse_at(const char *path, const struct casspath_span *seg, long t, long n,
    int want_id, struct casspath *np)
{

	if (t < 1 || tabledir_split(seg[t].p, seg[t].len, &np->table,
	    &np->table_id) != 0 || (np->table_id.len > 0) != want_id ||
	    !casspath_is_word(seg[t - 1].p, seg[t - 1].len) ||
	    !rest_fits(seg, t, n, np))
		return (0);
	np->tabledir = seg[t];
	np->keyspace = seg[t - 1];
	np->name = seg[n - 1];
	np->datadir.p = path;
	np->datadir.len = (size_t)(seg[t - 1].p - path);
	if (np->datadir.len > 0)
		np->datadir.len--;	/* without the '/' before KS */
	return (np->datadir.len > 0 || path[0] == '/');
}

/*
 * From the right, as Cassandra's Descriptor does, but where words like
 * "backups" and "snapshots" could be read two ways (a snapshot tagged
 * backups, a keyspace called snapshots), the reading whose table
 * directory carries an id wins over one whose does not (the pre-2.1
 * form), and then the one that puts the table directory furthest left:
 * KS/T-ID/snapshots/backups/NAME is a file of snapshot "backups", never
 * one of a backups/ dir of a table "snapshots" in keyspace "T-ID".
 */
int
casspath_parse(const char *path, struct casspath *np)
{
	struct casspath_span seg[CASSPATH_MAXSEG];
	const char *head;
	long n, t;
	int want_id;

	memset(np, 0, sizeof(*np));
	n = (long)path_segments(path, seg, &head);
	if (n < 3 || seg[n - 1].len == 0)
		return (-1);
	for (want_id = 1; want_id >= 0; want_id--)
		for (t = n - 5 < 1 ? 1 : n - 5; t <= n - 2; t++)
			if (parse_at(path, seg, t, n, want_id, np))
				return (0);
	memset(np, 0, sizeof(*np));
	return (-1);
}

int
casspath_parse_under(const char *path, size_t ddlen, struct casspath *np)
{
	struct casspath_span seg[CASSPATH_MAXSEG];
	const char *head, *rel = path + ddlen + 1;
	long n;

	memset(np, 0, sizeof(*np));
	if (path[ddlen] != '/' || (ddlen > 0 && path[ddlen - 1] == '/'))
		return (-1);
	n = (long)path_segments(rel, seg, &head);
	if (n < 3 || n > 6 || head != rel || seg[n - 1].len == 0)
		return (-1);
	if (parse_at(path, seg, 1, n, 1, np) || parse_at(path, seg, 1, n, 0,
	    np))
		return (0);
	memset(np, 0, sizeof(*np));
	return (-1);
}
