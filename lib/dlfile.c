#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dlfile.h"
#include "warnp.h"

struct dlfile {
	int	 fd;
	int	 dirfd;		/* parent directory, or -1 for stdout */
	char	*path;		/* for messages */
	char	*leaf;		/* final name in dirfd */
	char	 tmp[300];	/* temporary name in dirfd */
	int	 committed;
};

static mode_t saved_umask = 022;

/* Read the umask before any thread exists: umask(2) sets it too. */
__attribute__((constructor))
static void
dlfile_read_umask(void)
{

	saved_umask = umask(0);
	umask(saved_umask);
}

int
dlfile_check_path(const char *path)
{
	const char *p = path;
	size_t n;

	if (*path == '/' || *path == '\0')
		return (-1);
	while (*p != '\0') {
		n = strcspn(p, "/");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return (-1);
		p += n;
		if (*p == '/')
			p++;
	}
	return (0);
}

/* Open (creating) each directory of path under dirfd, no symlinks. */
static int
open_parent_confined(int dirfd, const char *path, const char **leaf)
{
	char comp[256];
	const char *p = path, *slash;
	int fd = dup(dirfd), nfd;
	size_t n;

	while (fd >= 0 && (slash = strchr(p, '/')) != NULL) {
		n = (size_t)(slash - p);
		if (n >= sizeof(comp)) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		p = slash + 1;
		if (n == 0 || strcmp(comp, ".") == 0)
			continue;
		if (mkdirat(fd, comp, 0777) != 0 && errno != EEXIST)
			goto fail;
		if ((nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW)) == -1)
			goto fail;
		close(fd);
		fd = nfd;
	}
	*leaf = p;
	return (fd);
fail:
	if (fd >= 0)
		close(fd);
	return (-1);
}

static int
open_parent(const char *path, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL) {
		*leaf = path;
		return (open(".", O_RDONLY | O_DIRECTORY));
	}
	*leaf = slash + 1;
	if ((dir = strndup(path, (size_t)(slash - path) + 1)) == NULL)
		return (-1);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	free(dir);
	return (fd);
}

static int
open_tmp(struct dlfile *f)
{
	unsigned int r;
	int i;

	for (i = 0; i < 100; i++) {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (unsigned int)rand();
		snprintf(f->tmp, sizeof(f->tmp), ".%.200s.cb-%08x", f->leaf, r);
		f->fd = openat(f->dirfd, f->tmp, O_WRONLY | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0600);
		if (f->fd >= 0 || errno != EEXIST)
			break;
	}
	return (f->fd >= 0 ? 0 : -1);
}

struct dlfile *
dlfile_new(int dirfd, const char *path, int confined)
{
	struct dlfile *f;
	const char *leaf;

	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path)) == NULL) {
		warnp("cannot allocate");
		free(f);
		return (NULL);
	}
	f->dirfd = -1;
	f->fd = STDOUT_FILENO;
	if (!confined && strcmp(path, "-") == 0)
		return (f);
	f->fd = -1;
	if (confined && dlfile_check_path(path) != 0) {
		warn0("refusing to write '%s': absolute or with a '..' "
		    "component", path);
		goto fail;
	}
	f->dirfd = confined ? open_parent_confined(dirfd, path, &leaf) :
	    open_parent(path, &leaf);
	if (f->dirfd < 0 || *leaf == '\0' || (f->leaf = strdup(leaf)) == NULL ||
	    open_tmp(f) != 0) {
		warnp("cannot create '%s'", path);
		goto fail;
	}
	return (f);
fail:
	dlfile_free(f);
	return (NULL);
}

int
dlfile_write(struct dlfile *f, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		/* Slices: one 8 MiB write(2) costs the kernel far more. */
		n = write(f->fd, p, len < 262144 ? len : 262144);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot write '%s'", f->dirfd < 0 ? "stdout" :
			    f->path);
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

int
dlfile_commit(struct dlfile *f)
{
	if (f->dirfd < 0)
		return (0);
	if (fchmod(f->fd, 0666 & ~saved_umask) != 0 || fsync(f->fd) != 0 ||
	    renameat(f->dirfd, f->tmp, f->dirfd, f->leaf) != 0) {
		warnp("cannot write '%s'", f->path);
		return (-1);
	}
	f->committed = 1;
	return (0);
}

void
dlfile_free(struct dlfile *f)
{

	if (f == NULL)
		return;
	if (f->dirfd >= 0) {
		if (f->fd >= 0)
			close(f->fd);
		if (f->fd >= 0 && !f->committed)
			unlinkat(f->dirfd, f->tmp, 0);
		close(f->dirfd);
	}
	free(f->leaf);
	free(f->path);
	free(f);
}
