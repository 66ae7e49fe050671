#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"
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

/* A word of letters and digits: "ok", "NoSuchBucket". */
static int
xfer_word(const char *s)
{

	return (*s != '\0' && s[strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")] == '\0');
}

static int
xfer_sha256(const char *s)
{

	return (strlen(s) == 64 && strspn(s, "0123456789abcdef") == 64);
}

/* A byte count, or "-" where the upload failed. */
static int
xfer_count(const char *s, int ok, uint64_t *v)
{

	*v = 0;
	if (!ok && strcmp(s, "-") == 0)
		return (0);
	return (num_parse_u64(s, 0, UINT64_MAX, v));
}

/* SIZE MTIME_NS INODE of a carried cb-list file record, or its name. */
static const char *
xfer_file(char **f, struct xfer_rec *x)
{

	if (num_parse_u64(f[0], 0, UINT64_MAX, &x->size) != 0)
		return ("SIZE");
	if (num_parse_i64(f[1], INT64_MIN, INT64_MAX, &x->mtime_ns) != 0)
		return ("MTIME_NS");
	if (num_parse_u64(f[2], 0, UINT64_MAX, &x->inode) != 0)
		return ("INODE");
	x->file = 1;
	return (NULL);
}

const char *
rec_parse_xfer(char **f, size_t n, struct xfer_rec *x)
{

	memset(x, 0, sizeof(*x));
	if (n < 7)
		return ("input fields");
	x->status = f[0];
	x->sha256 = f[3];
	x->etag = f[4];
	x->key = f[5];
	x->path = f[n - 1];
	if (!xfer_word(x->status))
		return ("STATUS");
	x->ok = strcmp(x->status, "ok") == 0;
	if (xfer_count(f[1], x->ok, &x->raw) != 0)
		return ("RAW_BYTES");
	if (xfer_count(f[2], x->ok, &x->stored) != 0)
		return ("STORED_BYTES");
	if (!xfer_sha256(x->sha256) && (x->ok || strcmp(x->sha256, "-") != 0))
		return ("RAW_SHA256");
	if (*x->etag == '\0')
		return ("ETAG");
	if (*x->key == '\0')
		return ("KEY");
	if (*x->path == '\0')
		return ("PATH");
	return (n == REC_XFER_FIELDS ? xfer_file(f + 6, x) : NULL);
}

int
rec_read_xfer(struct rec_reader *r, size_t n, struct xfer_rec *x)
{
	char *f[6 + 64];
	const char *bad;
	int rc;

	if (n < 7 || n > sizeof(f) / sizeof(f[0])) {
		errno = EINVAL;
		warnp("cannot read result records of %zu fields", n);
		return (-1);
	}
	if ((rc = rec_reader_next(r, n, f)) != 1)
		return (rc);
	if ((bad = rec_parse_xfer(f, n, x)) != NULL) {
		warn0("malformed record %zu in '%s': %s is not valid in a "
		    "cb-s3put result", r->number, r->name, bad);
		return (-1);
	}
	return (1);
}
