#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "warnp.h"

struct fs_entry {
	char		*key;		/* NULL: empty slot */
	uint64_t	 hash;
	uint64_t	 size;
	int64_t		 mtime;
	uint64_t	 ino;
};

struct fileset {
	struct fs_entry	*v;
	size_t		 cap;		/* a power of two */
	size_t		 n;
};

/* FNV-1a, 64 bits. */
static uint64_t
fs_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return (h);
}

struct fileset *
fileset_new(void)
{
	struct fileset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->v = calloc(1024, sizeof(*s->v))) == NULL) {
		warnp("cannot allocate a file set");
		free(s);
		return (NULL);
	}
	s->cap = 1024;
	return (s);
}

void
fileset_free(struct fileset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->cap; i++)
		free(s->v[i].key);
	free(s->v);
	free(s);
}

size_t
fileset_count(const struct fileset *s)
{

	return (s->n);
}

/* The slot holding key, or the empty slot where it would go. */
static struct fs_entry *
fs_slot(const struct fs_entry *v, size_t cap, const char *key, uint64_t h)
{
	size_t i = (size_t)h & (cap - 1);

	while (v[i].key != NULL &&
	    (v[i].hash != h || strcmp(v[i].key, key) != 0))
		i = (i + 1) & (cap - 1);
	return ((struct fs_entry *)&v[i]);
}

static int
fs_grow(struct fileset *s)
{
	struct fs_entry *nv, *e;
	size_t i, ncap = s->cap * 2;

	if ((nv = calloc(ncap, sizeof(*nv))) == NULL) {
		warnp("cannot grow a file set");
		return (-1);
	}
	for (i = 0; i < s->cap; i++) {
		if (s->v[i].key == NULL)
			continue;
		e = fs_slot(nv, ncap, s->v[i].key, s->v[i].hash);
		*e = s->v[i];
	}
	free(s->v);
	s->v = nv;
	s->cap = ncap;
	return (0);
}

int
fileset_add(struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino)
{
	uint64_t h = fs_hash(key);
	struct fs_entry *e;

	if ((s->n + 1) * 2 > s->cap && fs_grow(s) != 0)
		return (-1);
	e = fs_slot(s->v, s->cap, key, h);
	if (e->key == NULL) {
		if ((e->key = strdup(key)) == NULL) {
			warnp("cannot add to a file set");
			return (-1);
		}
		e->hash = h;
		s->n++;
	}
	e->size = size;
	e->mtime = mtime_ns;
	e->ino = ino;
	return (0);
}

int
fileset_same(const struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino)
{
	const struct fs_entry *e = fs_slot(s->v, s->cap, key, fs_hash(key));

	return (e->key != NULL && e->size == size && e->mtime == mtime_ns &&
	    e->ino == ino);
}
