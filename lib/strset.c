#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strset.h"

/* FNV-1a, 64 bits. */
static size_t
hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return ((size_t)h);
}

/* The slot holding key, or the empty slot where it would go. */
static size_t
slot(const struct strset *s, const char *key)
{
	size_t j;

	for (j = hash(key) & (s->cap - 1); s->key[j] != NULL &&
	    strcmp(s->key[j], key) != 0; j = (j + 1) & (s->cap - 1))
		;
	return (j);
}

static int
grow(struct strset *s)
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
		j = slot(&n, s->key[i]);
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

	if ((s->n + 1) * 2 > s->cap && grow(s) != 0)
		return (-2);
	j = slot(s, key);
	if (s->key[j] != NULL)
		return (s->val[j]);
	if ((s->key[j] = strdup(key)) == NULL)
		return (-2);
	s->val[j] = val;
	s->n++;
	return (-1);
}

long
strset_get(const struct strset *s, const char *key)
{
	size_t j;

	if (s->cap == 0)
		return (-1);
	j = slot(s, key);
	return (s->key[j] != NULL ? s->val[j] : -1);
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
