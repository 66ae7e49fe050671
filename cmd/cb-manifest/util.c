#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"

static size_t
hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h);
}

static int
strset_grow(struct strset *s)
{
	struct strset n;
	size_t i, j;

	n.cap = s->cap ? s->cap * 2 : 1024;
	n.n = s->n;
	n.key = calloc(n.cap, sizeof(*n.key));
	n.val = calloc(n.cap, sizeof(*n.val));
	if (n.key == NULL || n.val == NULL) {
		free(n.key);
		free(n.val);
		return (-1);
	}
	for (i = 0; i < s->cap; i++) {
		if (s->key[i] == NULL)
			continue;
		for (j = hash(s->key[i]) & (n.cap - 1); n.key[j] != NULL;
		    j = (j + 1) & (n.cap - 1))
			;
		n.key[j] = s->key[i];
		n.val[j] = s->val[i];
	}
	free(s->key);
	free(s->val);
	*s = n;
	return (0);
}

long
strset_put(struct strset *s, const char *key, long val)
{
	size_t j;

	if ((s->n + 1) * 2 > s->cap && strset_grow(s) != 0)
		return (-2);
	for (j = hash(key) & (s->cap - 1); s->key[j] != NULL;
	    j = (j + 1) & (s->cap - 1))
		if (strcmp(s->key[j], key) == 0)
			return (s->val[j]);
	if ((s->key[j] = strdup(key)) == NULL)
		return (-2);
	s->val[j] = val;
	s->n++;
	return (-1);
}

void
strset_free(struct strset *s)
{
	size_t i;

	for (i = 0; i < s->cap; i++)
		free(s->key[i]);
	free(s->key);
	free(s->val);
	memset(s, 0, sizeof(*s));
}

void
mf_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
mf_put_list(FILE *f, const char *list)
{
	const char *p, *e;
	char *item;
	int first = 1;

	if (list == NULL || *list == '\0') {
		fputs("null", f);
		return;
	}
	putc('[', f);
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if ((item = strndup(p, (size_t)(e - p))) == NULL)
			continue;
		if (!first)
			fputs(", ", f);
		json_put_str(f, item);
		free(item);
		first = 0;
	}
	putc(']', f);
}
