#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "records.h"
#include "warnp.h"

struct rec_reader {
	FILE	*in;
	int	 nul;
	char	*name;
	char	*buf;
	size_t	 cap;
	size_t	 number;
};

struct rec_reader *
rec_reader_new(FILE *in, int nul, const char *name)
{
	struct rec_reader *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return (NULL);
	if ((r->name = strdup(name != NULL ? name : "stdin")) == NULL) {
		free(r);
		return (NULL);
	}
	r->in = in;
	r->nul = nul;
	return (r);
}

int
rec_reader_raw(struct rec_reader *r, char **rec, size_t *len)
{
	int term = r->nul ? '\0' : '\n';
	ssize_t n;

	errno = 0;
	if ((n = getdelim(&r->buf, &r->cap, term, r->in)) < 0) {
		if (ferror(r->in)) {
			warnp("cannot read records from '%s'", r->name);
			return (-1);
		}
		return (0);
	}
	r->number++;
	if (r->buf[n - 1] != term) {
		warn0("malformed record %zu in '%s': not terminated by %s",
		    r->number, r->name, r->nul ? "NUL" : "newline");
		return (-1);
	}
	r->buf[--n] = '\0';
	if (!r->nul && memchr(r->buf, '\0', (size_t)n) != NULL) {
		warn0("malformed record %zu in '%s': holds a NUL byte "
		    "(use -0 for NUL-terminated records)", r->number, r->name);
		return (-1);
	}
	*rec = r->buf;
	*len = (size_t)n;
	return (1);
}

int
rec_split(char *rec, size_t n, char **fields)
{
	size_t i;
	char *p = rec, *tab;

	for (i = 0; i + 1 < n; i++) {
		if ((tab = strchr(p, '\t')) == NULL)
			return (-1);
		*tab = '\0';
		fields[i] = p;
		p = tab + 1;
	}
	fields[n - 1] = p;
	return (0);
}

int
rec_reader_next(struct rec_reader *r, size_t n, char **fields)
{
	char *rec;
	size_t len;
	int rc;

	if ((rc = rec_reader_raw(r, &rec, &len)) != 1)
		return (rc);
	if (rec_split(rec, n, fields) != 0 || fields[n - 1][0] == '\0') {
		warn0("malformed record %zu in '%s': expected %zu "
		    "TAB-separated fields", r->number, r->name, n);
		return (-1);
	}
	return (1);
}

size_t
rec_reader_number(const struct rec_reader *r)
{

	return (r->number);
}

void
rec_reader_free(struct rec_reader *r)
{

	if (r == NULL)
		return;
	free(r->buf);
	free(r->name);
	free(r);
}

int
rec_write(FILE *out, int nul, size_t n, const char *const *fields)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((i + 1 < n || !nul) && strchr(fields[i], '\t') != NULL) {
			warn0("cannot write record: field '%s' holds a TAB%s",
			    fields[i], nul ? "" : " (use -0)");
			return (-1);
		}
		if (!nul && strchr(fields[i], '\n') != NULL) {
			warn0("cannot write record: field '%s' holds a "
			    "newline (use -0)", fields[i]);
			return (-1);
		}
	}
	for (i = 0; i < n; i++) {
		if (i > 0)
			putc('\t', out);
		fputs(fields[i], out);
	}
	putc(nul ? '\0' : '\n', out);
	if (ferror(out)) {
		warnp("cannot write record");
		return (-1);
	}
	return (0);
}
