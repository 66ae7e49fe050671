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

size_t
rec_utf8_char(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t c, min;
	size_t n, i;

	if (p[0] < 0x80) {
		*cp = p[0];
		return (p[0] != '\0');
	}
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		n = 2, c = p[0] & 0x1f, min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		n = 3, c = p[0] & 0x0f, min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		n = 4, c = p[0] & 0x07, min = 0x10000;
	} else
		return (0);
	for (i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return (0);	/* also at the NUL */
		c = c << 6 | (p[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return (0);
	*cp = c;
	return (n);
}

int
rec_utf8_valid(const char *s)
{
	uint32_t c;
	size_t n;

	for (; *s != '\0'; s += n)
		if ((n = rec_utf8_char(s, &c)) == 0)
			return (0);
	return (1);
}

/* A character that must not reach a terminal as it is. */
static int
quote_control(uint32_t c)
{

	return (c < 0x20 || (c >= 0x7f && c <= 0x9f) || c == 0x2028 ||
	    c == 0x2029 || c == 0x200e || c == 0x200f ||
	    (c >= 0x202a && c <= 0x202e) || (c >= 0x2066 && c <= 0x2069));
}

const char *
rec_quote(const char *s, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	char e[16];
	size_t o = 0, n, el, i;
	uint32_t c;

	for (; *p != '\0'; p += n) {
		if ((n = rec_utf8_char((const char *)p, &c)) == 0)
			n = 1, c = 0xfffd, el = 0;
		else
			el = n;
		if (c == '\\' || c == '\t' || c == '\n' || c == '\r') {
			e[0] = '\\';
			e[1] = c == '\t' ? 't' : c == '\n' ? 'n' :
			    c == '\r' ? 'r' : '\\';
			el = 2;
		} else if (el == 0 || quote_control(c)) {
			for (i = 0, el = 0; i < n; i++) {
				e[el++] = '\\';
				e[el++] = 'x';
				e[el++] = hex[p[i] >> 4];
				e[el++] = hex[p[i] & 15];
			}
		} else
			memcpy(e, p, n);
		if (o + el + 4 > size) {
			memcpy(buf + o, "...", 4);	/* o + 4 <= size */
			return (buf);
		}
		memcpy(buf + o, e, el);
		o += el;
	}
	buf[o] = '\0';
	return (buf);
}

/* Why field i of n cannot be written, or NULL. */
static const char *
write_refusal(int nul, size_t i, size_t n, const char *f)
{

	if ((i + 1 < n || !nul) && strchr(f, '\t') != NULL)
		return ("TAB");
	if (!nul && strchr(f, '\n') != NULL)
		return ("newline");
	return (NULL);
}

int
rec_write(FILE *out, int nul, size_t n, const char *const *fields)
{
	char q[REC_QUOTE_MAX];
	const char *why;
	size_t i;

	for (i = 0; i < n; i++) {
		if ((why = write_refusal(nul, i, n, fields[i])) == NULL)
			continue;
		rec_quote(fields[n - 1], q, sizeof(q));
		if (i + 1 < n)
			warn0("cannot write the record of '%s': field %zu "
			    "holds a %s", q, i + 1, why);
		else
			warn0("cannot write the record of '%s': the path "
			    "holds a %s (use -0)", q, why);
		return (-1);
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
	/* reused, hashed: the file is in an object stored before. */
	x->reused = strcmp(x->status, "reused") == 0 ||
	    strcmp(x->status, "hashed") == 0;
	x->ok = x->reused || strcmp(x->status, "ok") == 0;
	x->opened = x->ok && strcmp(x->status, "reused") != 0;
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
