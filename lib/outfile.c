#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "outfile.h"
#include "warnp.h"

struct outfile {
	int	 fd;
	int	 committed;
	char	*path;		/* NULL for stdout */
	char	*tmp;
};

/* The temporary file a fatal signal must remove (one at a time). */
static char sig_tmp[PATH_MAX];

static void
outfile_on_signal(int sig)
{

	if (sig_tmp[0] != '\0')
		unlink(sig_tmp);
	signal(sig, SIG_DFL);
	raise(sig);
}

static void
outfile_guard(const char *tmp)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	size_t i;

	snprintf(sig_tmp, sizeof(sig_tmp), "%s", tmp != NULL ? tmp : "");
	for (i = 0; tmp != NULL && i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], outfile_on_signal);
}

/* "DIR/.BASE.XXXXXX" beside path. */
static char *
outfile_tmpname(const char *path)
{
	const char *slash = strrchr(path, '/');
	int dlen = slash != NULL ? (int)(slash - path + 1) : 0;
	char *t;

	if (asprintf(&t, "%.*s.%s.XXXXXX", dlen, path,
	    slash != NULL ? slash + 1 : path) < 0)
		return (NULL);
	return (t);
}

static int
outfile_open_tmp(struct outfile *o, const char *path)
{

	if ((o->path = strdup(path)) == NULL ||
	    (o->tmp = outfile_tmpname(path)) == NULL) {
		warnp("cannot allocate a file name");
		return (-1);
	}
	if ((o->fd = mkstemp(o->tmp)) == -1) {
		warnp("cannot create a temporary file for '%s'", path);
		free(o->tmp);
		o->tmp = NULL;
		return (-1);
	}
	outfile_guard(o->tmp);
	return (0);
}

struct outfile *
outfile_new(const char *path)
{
	struct outfile *o;

	if ((o = calloc(1, sizeof(*o))) == NULL) {
		warnp("cannot allocate an output");
		return (NULL);
	}
	o->fd = STDOUT_FILENO;
	if (path != NULL && strcmp(path, "-") != 0 &&
	    outfile_open_tmp(o, path) != 0) {
		o->fd = -1;
		outfile_free(o);
		return (NULL);
	}
	return (o);
}

const char *
outfile_name(const struct outfile *o)
{

	return (o->path != NULL ? o->path : "stdout");
}

int
outfile_write(void *cookie, const void *buf, size_t len)
{
	struct outfile *o = cookie;
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(o->fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot write '%s'", outfile_name(o));
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

int
outfile_commit(struct outfile *o)
{
	mode_t mask;

	if (o->path == NULL)
		return (0);
	mask = umask(0);
	umask(mask);
	if (fchmod(o->fd, 0666 & ~mask) != 0 || close(o->fd) != 0) {
		o->fd = -1;
		warnp("cannot write '%s'", o->path);
		return (-1);
	}
	o->fd = -1;
	if (rename(o->tmp, o->path) != 0) {
		warnp("cannot rename to '%s'", o->path);
		return (-1);
	}
	o->committed = 1;
	outfile_guard(NULL);
	return (0);
}

void
outfile_free(struct outfile *o)
{

	if (o == NULL)
		return;
	if (o->path != NULL && o->fd != -1)
		close(o->fd);
	if (o->tmp != NULL && !o->committed) {
		unlink(o->tmp);
		outfile_guard(NULL);
	}
	free(o->tmp);
	free(o->path);
	free(o);
}
