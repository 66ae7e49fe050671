#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "warnp.h"

static const char *progname = "cb";
static int verbose;

int
warnp_errno_status(int err)
{

	return (err == EACCES || err == EPERM ? EX_NOPERM : EX_FAILURE);
}

void
warnp_init(const char *argv0)
{
	const char *p;

	if (argv0 == NULL || *argv0 == '\0')
		return;
	p = strrchr(argv0, '/');
	progname = p != NULL ? p + 1 : argv0;
}

const char *
warnp_progname(void)
{

	return (progname);
}

void
warnp_set_verbose(int level)
{

	verbose = level;
}

/* Format "prog: msg[: reason]\n" into one buffer and write it at once. */
static void vwarn(const char *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
vwarn(const char *reason, const char *fmt, va_list ap)
{
	char buf[4096];
	size_t len;
	int n;

	n = snprintf(buf, sizeof(buf), "%s: ", progname);
	len = n > 0 ? (size_t)n : 0;
	n = vsnprintf(buf + len, sizeof(buf) - len, fmt, ap);
	if (n > 0)
		len += (size_t)n;
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	if (reason != NULL) {
		n = snprintf(buf + len, sizeof(buf) - len, ": %s", reason);
		if (n > 0)
			len += (size_t)n;
		if (len > sizeof(buf) - 2)
			len = sizeof(buf) - 2;
	}
	buf[len++] = '\n';
	if (write(STDERR_FILENO, buf, len) < 0) {
		/* Nowhere left to report it. */
	}
}

void
warnp(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vwarn(strerror(saved), fmt, ap);
	va_end(ap);
	errno = saved;
}

void
warn0(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	vwarn(NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
warnp_warning(const char *fmt, ...)
{
	char buf[4096], *p;
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	(void)vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* One line, whatever a path or a relayed message held. */
	for (p = buf; (p = strpbrk(p, "\n\r")) != NULL; )
		*p = ' ';
	warn0("warning: %s", buf);
	errno = saved;
}

void
warnp_debug(int level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (verbose < level)
		return;
	va_start(ap, fmt);
	vwarn(NULL, fmt, ap);
	va_end(ap);
	errno = saved;
}
