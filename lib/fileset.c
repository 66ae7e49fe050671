#include <stdlib.h>
#include <string.h>

#include "fileset.h"
#include "strset.h"
#include "warnp.h"

struct fs_val {
	uint64_t	 size;
	int64_t		 mtime;
	uint64_t	 ino;
};

/* keys maps each key to its index in v. */
struct fileset {
	struct strset	 keys;
	struct fs_val	*v;
	size_t		 n, cap;
};

struct fileset *
fileset_new(void)
{
	struct fileset *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("cannot allocate a file set");
		return (NULL);
	}
	return (s);
}

void
fileset_free(struct fileset *s)
{

	if (s == NULL)
		return;
	strset_free(&s->keys);
	free(s->v);
	free(s);
}

size_t
fileset_count(const struct fileset *s)
{

	return (s->n);
}

static int
fs_grow(struct fileset *s)
{
	struct fs_val *nv;
	size_t ncap = s->cap ? s->cap * 2 : 1024;

	if ((nv = realloc(s->v, ncap * sizeof(*nv))) == NULL) {
		warnp("cannot grow a file set");
		return (-1);
	}
	s->v = nv;
	s->cap = ncap;
	return (0);
}

int
fileset_add(struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino)
{
	long i;

	if (s->n == s->cap && fs_grow(s) != 0)
		return (-1);
	if ((i = strset_put(&s->keys, key, (long)s->n)) == -2) {
		warnp("cannot add to a file set");
		return (-1);
	}
	if (i == -1)
		i = (long)s->n++;
	s->v[i].size = size;
	s->v[i].mtime = mtime_ns;
	s->v[i].ino = ino;
	return (0);
}

int
fileset_same(const struct fileset *s, const char *key, uint64_t size,
    int64_t mtime_ns, uint64_t ino)
{
	long i = strset_get(&s->keys, key);

	return (i >= 0 && s->v[i].size == size && s->v[i].mtime == mtime_ns &&
	    s->v[i].ino == ino);
}
