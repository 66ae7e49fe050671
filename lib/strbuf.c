#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"

int
strbuf_grow(struct strbuf *b, size_t n)
{
	size_t cap;
	char *p;

	if (b->failed)
		return (-1);
	if (b->len + n + 1 <= b->cap)
		return (0);
	cap = b->cap ? b->cap : 64;
	while (cap < b->len + n + 1)
		cap *= 2;
	if ((p = realloc(b->s, cap)) == NULL) {
		b->failed = 1;
		return (-1);
	}
	b->s = p;
	b->cap = cap;
	return (0);
}

void
strbuf_add(struct strbuf *b, const void *p, size_t len)
{

	if (strbuf_grow(b, len) != 0)
		return;
	memcpy(b->s + b->len, p, len);
	b->len += len;
	b->s[b->len] = '\0';
}

void
strbuf_adds(struct strbuf *b, const char *s)
{

	strbuf_add(b, s, strlen(s));
}

void
strbuf_addc(struct strbuf *b, int c)
{
	char ch = (char)c;

	strbuf_add(b, &ch, 1);
}

void
strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->failed = 1;
		return;
	}
	if (strbuf_grow(b, (size_t)n) != 0)
		return;
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

int
strbuf_failed(const struct strbuf *b)
{

	return (b->failed);
}

void
strbuf_reset(struct strbuf *b)
{

	b->len = 0;
	if (b->s != NULL)
		b->s[0] = '\0';
}

char *
strbuf_detach(struct strbuf *b)
{
	char *s;

	if (b->failed) {
		strbuf_free(b);
		return (NULL);
	}
	if (b->s == NULL && strbuf_grow(b, 0) != 0)
		return (NULL);
	if (b->s == NULL)
		return (NULL);
	b->s[b->len] = '\0';
	s = b->s;
	b->s = NULL;
	b->len = b->cap = 0;
	return (s);
}

void
strbuf_free(struct strbuf *b)
{

	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
	b->failed = 0;
}
