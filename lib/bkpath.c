#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bkpath.h"
#include "casspath.h"
#include "records.h"

#define MAXCOMP	256

/* Split a copy of path on runs of '/'; returns the count or -1. */
static int
split(char *s, char **c)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (n == MAXCOMP)
			return (-1);
		c[n++] = tok;
	}
	return (n);
}

static char *
span_dup(struct casspath_span sp)
{

	return (strndup(sp.p, sp.len));
}

/* Fill *bp from the parse of path; rel is KS/TABLEDIR/[.IDX/]FILE. */
static int
fill(struct bkpath *bp, const struct casspath *cp)
{
	const char *tail = cp->index.len > 0 ? cp->index.p - 1 : cp->name.p;
	size_t hl = cp->keyspace.len + 1 + cp->tabledir.len;

	bp->backups = cp->kind == CASSPATH_BACKUPS;
	bp->keyspace = span_dup(cp->keyspace);
	bp->tabledir = span_dup(cp->tabledir);
	bp->table = span_dup(cp->table);
	if ((bp->rel = malloc(hl + 1 + strlen(tail) + 1)) != NULL) {
		memcpy(bp->rel, cp->keyspace.p, hl);
		bp->rel[hl] = '/';
		strcpy(bp->rel + hl + 1, tail);
	}
	if (bp->keyspace == NULL || bp->tabledir == NULL ||
	    bp->table == NULL || bp->rel == NULL) {
		bkpath_clear(bp);
		return (-1);
	}
	return (1);
}

/* "/" and c[0..n) joined by '/', or NULL. */
static char *
join(char **c, int n, size_t len)
{
	char *s, *p;
	int i;

	if ((s = malloc(len + (size_t)n + 2)) == NULL)
		return (NULL);
	for (p = s, i = 0; i < n; i++) {
		*p++ = '/';
		p = stpcpy(p, c[i]);
	}
	*p = '\0';
	return (s);
}

int
bkpath_parse(const char *path, struct bkpath *bp)
{
	struct casspath cp;
	char *copy, *norm = NULL, *c[MAXCOMP];
	int n, i, rc = 0;

	memset(bp, 0, sizeof(*bp));
	if ((copy = strdup(path)) == NULL)
		return (-1);
	if ((n = split(copy, c)) < 0)
		goto done;
	for (i = 0; i < n; i++) {
		if (strcmp(c[i], "..") == 0 || strcmp(c[i], ".") == 0) {
			rc = -1;
			goto done;
		}
	}
	/* Runs of '/' count as one; the data directory does not matter. */
	if ((norm = join(c, n, strlen(path))) == NULL) {
		rc = -1;
		goto done;
	}
	if (casspath_parse(norm, &cp) != 0 || cp.kind == CASSPATH_LIVE ||
	    (cp.kind == CASSPATH_SNAPSHOT &&
	    cp.name.len == 13 && memcmp(cp.name.p, "manifest.json", 13) == 0))
		goto done;
	rc = fill(bp, &cp);
done:
	free(norm);
	free(copy);
	return (rc);
}

void
bkpath_clear(struct bkpath *bp)
{

	free(bp->rel);
	free(bp->keyspace);
	free(bp->table);
	free(bp->tabledir);
	memset(bp, 0, sizeof(*bp));
}

int
bkpath_in_list(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *p, *e;

	if (list == NULL || *list == '\0')
		return (1);
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == nl && strncmp(p, name, nl) == 0)
			return (1);
	}
	return (0);
}

/* Bytes of the character at p that go in a key as they are, or 0. */
static size_t
key_keeps(const char *p)
{
	uint32_t c;
	size_t n;

	if ((n = rec_utf8_char(p, &c)) == 0 || c < 0x20 || c == '%' ||
	    (c >= 0x7f && c <= 0x9f) || c == 0xfffe || c == 0xffff)
		return (0);
	return (n);
}

char *
bkpath_key_escape(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t len = strlen(path), i = 0, o = 0, n;
	char *k;

	if ((k = malloc(3 * len + 1)) == NULL)
		return (NULL);
	while (i < len) {
		if ((n = key_keeps(path + i)) > 0) {
			memcpy(k + o, path + i, n);
			o += n;
			i += n;
			continue;
		}
		/* A bad sequence: only its first byte, then look again. */
		k[o++] = '%';
		k[o++] = hex[(unsigned char)path[i] >> 4];
		k[o++] = hex[(unsigned char)path[i] & 15];
		i++;
	}
	k[o] = '\0';
	return (k);
}

static int
hexval(char c)
{

	if (c >= '0' && c <= '9')
		return (c - '0');
	if (c >= 'A' && c <= 'F')
		return (c - 'A' + 10);
	if (c >= 'a' && c <= 'f')
		return (c - 'a' + 10);
	return (-1);
}

char *
bkpath_key_unescape(const char *key)
{
	char *p, *s;
	int h, l;

	if ((s = p = malloc(strlen(key) + 1)) == NULL)
		return (NULL);
	for (; *key != '\0'; key++) {
		if (*key != '%') {
			*p++ = *key;
			continue;
		}
		if ((h = hexval(key[1])) < 0 || (l = hexval(key[2])) < 0 ||
		    (h | l) == 0) {
			free(s);
			errno = EINVAL;
			return (NULL);
		}
		*p++ = (char)(h << 4 | l);
		key += 2;
	}
	*p = '\0';
	return (s);
}
