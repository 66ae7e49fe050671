#include <string.h>

#include "casspath.h"

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

static int
seg_tabledir(const struct casspath_span *s, struct casspath *np)
{

	if (tabledir_split(s->p, s->len, &np->table, &np->table_id) != 0)
		return (0);
	np->tabledir = *s;
	return (1);
}

/* Find the kind dir and table dir above seg[j]; returns the table index. */
static long
path_find_table(struct casspath_span *seg, long j, struct casspath *np)
{

	if (j >= 2 && seg_is(&seg[j], "backups") &&
	    seg_tabledir(&seg[j - 1], np)) {
		np->kind = CASSPATH_BACKUPS;
		return (j - 1);
	}
	if (j >= 3 && seg_is(&seg[j - 1], "snapshots") &&
	    seg_tabledir(&seg[j - 2], np)) {
		np->kind = CASSPATH_SNAPSHOT;
		np->tag = seg[j];
		return (j - 2);
	}
	if (j >= 1 && seg_tabledir(&seg[j], np)) {
		np->kind = CASSPATH_LIVE;
		return (j);
	}
	return (-1);
}

int
casspath_parse(const char *path, struct casspath *np)
{
	struct casspath_span seg[CASSPATH_MAXSEG];
	const char *head;
	long n, j, t;

	memset(np, 0, sizeof(*np));
	n = (long)path_segments(path, seg, &head);
	if (n < 3 || seg[n - 1].len == 0)
		return (-1);
	np->name = seg[n - 1];
	j = n - 2;
	if (seg[j].len > 1 && seg[j].p[0] == '.') {
		np->index.p = seg[j].p + 1;
		np->index.len = seg[j].len - 1;
		j--;
	}
	if (j < 1 || (t = path_find_table(seg, j, np)) < 1)
		return (-1);
	if (!casspath_is_word(seg[t - 1].p, seg[t - 1].len))
		return (-1);
	np->keyspace = seg[t - 1];
	np->datadir.p = path;
	np->datadir.len = (size_t)(seg[t - 1].p - path);
	if (np->datadir.len > 0)
		np->datadir.len--;	/* without the '/' before KS */
	if (np->datadir.len == 0 && path[0] != '/')
		return (-1);
	return (0);
}

