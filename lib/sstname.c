#include <stdio.h>
#include <string.h>

#include "sstname.h"

#define MAXTOK	6

/* Split name at '-' into at most MAXTOK tokens; the count, or MAXTOK+1. */
static size_t
tokens(const char *name, struct casspath_span *tok)
{
	const char *p = name, *d;
	size_t n = 0;

	for (;;) {
		if (n == MAXTOK)
			return (MAXTOK + 1);
		d = strchr(p, '-');
		tok[n].p = p;
		tok[n].len = d != NULL ? (size_t)(d - p) : strlen(p);
		n++;
		if (d == NULL)
			return (n);
		p = d + 1;
	}
}

static int
all_in(const struct casspath_span *s, const char *set)
{
	size_t i;

	for (i = 0; i < s->len; i++)
		if (strchr(set, s->p[i]) == NULL)
			return (0);
	return (s->len > 0);
}

#define DIGITS	"0123456789"
#define LOWER	"abcdefghijklmnopqrstuvwxyz"

/* A generation: decimal, or the 4.1 id %4s_%4s_%5s%13s (base 36). */
static int
gen_ok(const struct casspath_span *g, struct sstname *sn)
{
	size_t i;

	sn->numeric = all_in(g, DIGITS) && g->len <= 19;
	if (sn->numeric) {
		for (sn->ngen = 0, i = 0; i < g->len; i++)
			sn->ngen = sn->ngen * 10 + (uint64_t)(g->p[i] - '0');
		return (1);
	}
	return (g->len == 28 && g->p[4] == '_' && g->p[9] == '_' &&
	    all_in(g, DIGITS LOWER "_"));
}

/* A component: "Data.db", "SAI+aa+idx+Meta.db", "Digest.crc32". */
static int
component_ok(const struct casspath_span *c)
{

	return (all_in(c, DIGITS LOWER "ABCDEFGHIJKLMNOPQRSTUVWXYZ_+.") &&
	    memchr(c->p, '.', c->len) != NULL && c->p[0] != '.');
}

/* TABLE or TABLE.INDEX of the 2.1 form. */
static int
cf_ok(const struct casspath_span *cf, struct sstname *sn)
{
	const char *dot = memchr(cf->p, '.', cf->len);
	size_t tl = dot != NULL ? (size_t)(dot - cf->p) : cf->len;

	sn->index.p = dot != NULL ? dot + 1 : cf->p + cf->len;
	sn->index.len = dot != NULL ? cf->len - tl - 1 : 0;
	return (casspath_is_word(cf->p, tl) && (dot == NULL ||
	    casspath_is_word(sn->index.p, sn->index.len)));
}

int
sstname_parse(const char *name, struct sstname *sn)
{
	struct casspath_span tok[MAXTOK];
	size_t n = tokens(name, tok), g;

	memset(sn, 0, sizeof(*sn));
	if (n == 5) {		/* KS-TABLE-ka-GEN-Component */
		sn->legacy = 1;
		if (!casspath_is_word(tok[0].p, tok[0].len) ||
		    !cf_ok(&tok[1], sn) || tok[2].len != 2 ||
		    !all_in(&tok[2], LOWER))
			return (-1);
		g = 3;
	} else if (n == 4) {	/* VER-GEN-FORMAT-Component */
		if (tok[0].len != 2 || !all_in(&tok[0], LOWER) ||
		    !all_in(&tok[2], LOWER))
			return (-1);
		g = 1;
	} else
		return (-1);
	sn->gen = tok[g];
	sn->component = tok[n - 1];
	sn->prefix.p = name;
	sn->prefix.len = (size_t)(tok[n - 1].p - name);
	if (!gen_ok(&sn->gen, sn) || !component_ok(&sn->component))
		return (-1);
	return (0);
}

int
sstname_with_gen(const char *name, const struct sstname *sn, uint64_t gen,
    char *buf, size_t size)
{
	size_t before = (size_t)(sn->gen.p - name);
	const char *after = sn->gen.p + sn->gen.len;

	if ((size_t)snprintf(buf, size, "%.*s%llu%s", (int)before, name,
	    (unsigned long long)gen, after) >= size)
		return (-1);
	return (0);
}
