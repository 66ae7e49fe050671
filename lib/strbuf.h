#ifndef STRBUF_H
#define STRBUF_H

/*
 * A growable byte string, always NUL-terminated.  An allocation failure is
 * sticky: later appends do nothing and strbuf_failed() says so, so a
 * builder checks once at the end.
 */

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 failed;
};

#define STRBUF_INIT	{ NULL, 0, 0, 0 }

/* Make room for n more bytes.  Returns 0 or -1 (and marks the buffer). */
int strbuf_grow(struct strbuf *b, size_t n);

/* Append len bytes / a string / one byte / printf output. */
void strbuf_add(struct strbuf *b, const void *p, size_t len);
void strbuf_adds(struct strbuf *b, const char *s);
void strbuf_addc(struct strbuf *b, int c);
void strbuf_addf(struct strbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Nonzero if an append failed to allocate. */
int strbuf_failed(const struct strbuf *b);

/* Drop the contents, keep the allocation. */
void strbuf_reset(struct strbuf *b);

/*
 * Give the string to the caller (never NULL unless failed: then NULL and
 * the buffer is released).  The buffer is empty afterwards.
 */
char *strbuf_detach(struct strbuf *b);

/* Release the memory; the buffer is empty afterwards. */
void strbuf_free(struct strbuf *b);

#endif
