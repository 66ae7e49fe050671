#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "warnp.h"

/* Temporary names fit a NAME_MAX component: a long leaf is cut. */
#define TMPNAME_MAX		256

/*
 * Uncached files are written with O_DIRECT from a staging buffer of whole
 * blocks (a multiple of any logical block size, aligned to it).
 */
#define STAGE_SIZE		(4 * 1024 * 1024)
#define STAGE_ALIGN		4096

struct atomicfile {
	int	 fd;
	int	 dirfd;		/* parent directory, or -1 for stdout */
	int	 slot;		/* in guards[], or -1 */
	int	 committed;
	int	 direct;	/* a device or FIFO, written in place */
	unsigned char *stage;	/* atomicfile_uncached(): O_DIRECT is on */
	size_t	 staged;	/* bytes in stage */
	int	 cached;	/* O_DIRECT off again (the tail, a refusal) */
	char	*path;		/* for messages */
	char	*leaf;		/* final name in dirfd */
	char	 tmp[TMPNAME_MAX];	/* temporary name in dirfd */
};

/*
 * The temporary files a fatal signal removes: a fixed table, since the
 * handler may neither lock nor allocate.  Files beyond it (more at once
 * than any program here writes) are still removed on free, not on a
 * signal.
 */
#define GUARDS		128

static struct guard {
	atomic_int	 armed;
	int		 used;		/* with guards_lock */
	int		 dirfd;
	char		 tmp[TMPNAME_MAX];
} guards[GUARDS];
static pthread_mutex_t guards_lock = PTHREAD_MUTEX_INITIALIZER;
static int guards_installed;

static mode_t saved_umask = 022;

/* Read the umask before any thread exists: umask(2) sets it too. */
__attribute__((constructor))
static void
atomicfile_read_umask(void)
{

	saved_umask = umask(0);
	umask(saved_umask);
}

static void
atomicfile_on_signal(int sig)
{
	int i;

	for (i = 0; i < GUARDS; i++)
		if (atomic_load(&guards[i].armed))
			unlinkat(guards[i].dirfd, guards[i].tmp, 0);
	signal(sig, SIG_DFL);
	raise(sig);	/* delivered when the handler returns */
}

/* Catch the signals left at their default action (with guards_lock). */
static void
atomicfile_install(void)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP };
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = atomicfile_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_DFL)
			sigaction(sigs[i], &sa, NULL);
	guards_installed = 1;
}

static void
atomicfile_arm(struct atomicfile *f)
{
	int i;

	pthread_mutex_lock(&guards_lock);
	if (!guards_installed)
		atomicfile_install();
	for (i = 0; i < GUARDS && f->slot < 0; i++) {
		if (guards[i].used)
			continue;
		guards[i].used = 1;
		guards[i].dirfd = f->dirfd;
		memcpy(guards[i].tmp, f->tmp, sizeof(f->tmp));
		atomic_store(&guards[i].armed, 1);
		f->slot = i;
	}
	pthread_mutex_unlock(&guards_lock);
}

static void
atomicfile_disarm(struct atomicfile *f)
{

	if (f->slot < 0)
		return;
	pthread_mutex_lock(&guards_lock);
	atomic_store(&guards[f->slot].armed, 0);
	guards[f->slot].used = 0;
	pthread_mutex_unlock(&guards_lock);
	f->slot = -1;
}

int
atomicfile_check_path(const char *path)
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

int
atomicfile_open_dir(int dirfd, const char *path, int create,
    const char **leaf)
{
	char comp[256];
	const char *p = path, *slash;
	int fd, nfd;
	size_t n;

	fd = dirfd == AT_FDCWD ? open(".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC) : fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
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
		if (create && mkdirat(fd, comp, 0777) != 0 && errno != EEXIST)
			goto fail;
		if ((nfd = openat(fd, comp, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC)) == -1)
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

/* Open the directory of path (relative to dirfd); *leaf is the name. */
static int
open_parent(int dirfd, const char *path, const char **leaf)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	if (slash == NULL) {
		*leaf = path;
		return (openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	}
	*leaf = slash + 1;
	if ((dir = strndup(path, (size_t)(slash - path) + 1)) == NULL)
		return (-1);
	fd = openat(dirfd, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	return (fd);
}

static int
open_tmp(struct atomicfile *f)
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
	if (f->fd < 0)
		f->tmp[0] = '\0';	/* not ours to remove */
	return (f->fd >= 0 ? 0 : -1);
}

/* Open the directory and the temporary file of f->path. */
static int
atomicfile_open(struct atomicfile *f, int dirfd, int confined)
{
	const char *leaf;

	if (confined && atomicfile_check_path(f->path) != 0) {
		warn0("refusing to write '%s': absolute or with a '..' "
		    "component", f->path);
		return (-1);
	}
	f->dirfd = confined ? atomicfile_open_dir(dirfd, f->path, 1, &leaf) :
	    open_parent(dirfd, f->path, &leaf);
	if (f->dirfd >= 0 && *leaf == '\0')
		errno = EISDIR;
	if (f->dirfd < 0 || *leaf == '\0' || (f->leaf = strdup(leaf)) == NULL ||
	    open_tmp(f) != 0) {
		warnp("cannot create '%s'", f->path);
		return (-1);
	}
	atomicfile_arm(f);
	return (0);
}

struct atomicfile *
atomicfile_new(int dirfd, const char *path, int confined)
{
	struct atomicfile *f;
	struct stat st;

	if (path == NULL && !confined)
		path = "-";
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    (f->path = strdup(path != NULL ? path : "")) == NULL) {
		warnp("cannot allocate");
		free(f);
		return (NULL);
	}
	f->dirfd = -1;
	f->slot = -1;
	f->fd = STDOUT_FILENO;
	if (!confined && strcmp(path, "-") == 0)
		return (f);
	f->fd = -1;
	/*
	 * A device or a FIFO (/dev/null, a named pipe) is written in place:
	 * renaming over it would replace /dev/null with a file.
	 */
	if (!confined && stat(path, &st) == 0 && !S_ISREG(st.st_mode) &&
	    !S_ISDIR(st.st_mode)) {
		if ((f->fd = open(path, O_WRONLY | O_CLOEXEC)) < 0) {
			warnp("cannot open '%s'", path);
			atomicfile_free(f);
			return (NULL);
		}
		f->direct = 1;
		return (f);
	}
	if (atomicfile_open(f, dirfd, confined) != 0) {
		atomicfile_free(f);
		return (NULL);
	}
	return (f);
}

const char *
atomicfile_name(const struct atomicfile *f)
{

	return (f->dirfd < 0 && !f->direct ? "stdout" : f->path);
}

/* Clear O_DIRECT: the file is written through the page cache again. */
static int
uncached_off(struct atomicfile *f)
{
	int fl;

	if ((fl = fcntl(f->fd, F_GETFL)) < 0 ||
	    fcntl(f->fd, F_SETFL, fl & ~O_DIRECT) != 0) {
		warnp("cannot write '%s'", atomicfile_name(f));
		return (-1);
	}
	f->cached = 1;
	return (0);
}

/*
 * Write all len bytes to f->fd in writes of at most slice bytes.  With
 * O_DIRECT on, a file system that takes it at open(2) but refuses it at
 * write(2) (EINVAL) gets the rest of the file through the page cache.
 */
static int
write_all(struct atomicfile *f, const unsigned char *p, size_t len,
    size_t slice)
{
	ssize_t n;

	while (len > 0) {
		n = write(f->fd, p, len < slice ? len : slice);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EINVAL && f->stage != NULL &&
		    !f->cached) {
			if (uncached_off(f) != 0)
				return (-1);
			continue;
		}
		if (n < 0) {
			warnp("cannot write '%s'", atomicfile_name(f));
			return (-1);
		}
		p += n;
		len -= (size_t)n;
	}
	return (0);
}

void
atomicfile_uncached(struct atomicfile *f)
{
	void *p;
	int fl;

	if (f->dirfd < 0 || f->stage != NULL ||
	    posix_memalign(&p, STAGE_ALIGN, STAGE_SIZE) != 0)
		return;
	if ((fl = fcntl(f->fd, F_GETFL)) < 0 ||
	    fcntl(f->fd, F_SETFL, fl | O_DIRECT) != 0) {
		free(p);	/* tmpfs and others: through the page cache */
		return;
	}
	f->stage = p;
}

int
atomicfile_write(void *cookie, const void *buf, size_t len)
{
	struct atomicfile *f = cookie;
	const unsigned char *p = buf;
	size_t n;

	if (f->stage == NULL) {
		/* Slices: one 8 MiB write(2) costs the kernel far more. */
		return (write_all(f, p, len, 262144));
	}
	/* Whole blocks of an aligned buffer need no staging. */
	if (f->staged == 0 && (uintptr_t)p % STAGE_ALIGN == 0 &&
	    len >= STAGE_ALIGN) {
		n = len - len % STAGE_ALIGN;
		if (write_all(f, p, n, STAGE_SIZE) != 0)
			return (-1);
		p += n;
		len -= n;
	}
	while (len > 0) {
		n = STAGE_SIZE - f->staged;
		if (n > len)
			n = len;
		memcpy(f->stage + f->staged, p, n);
		f->staged += n;
		p += n;
		len -= n;
		if (f->staged == STAGE_SIZE) {
			if (write_all(f, f->stage, f->staged, STAGE_SIZE) != 0)
				return (-1);
			f->staged = 0;
		}
	}
	return (0);
}

int
atomicfile_commit(struct atomicfile *f)
{
	int fd = f->fd;

	if (f->direct) {
		f->fd = -1;
		f->committed = 1;
		if (close(fd) != 0) {
			warnp("cannot write '%s'", f->path);
			return (-1);
		}
		return (0);
	}
	if (f->dirfd < 0)
		return (0);
	if (f->stage != NULL) {
		/* The tail is no whole block: written through the cache. */
		if ((!f->cached && uncached_off(f) != 0) || write_all(f,
		    f->stage, f->staged, STAGE_SIZE) != 0)
			return (-1);
		free(f->stage);
		f->stage = NULL;
	}
	f->fd = -1;
	if (fchmod(fd, 0666 & ~saved_umask) != 0 || fsync(fd) != 0) {
		warnp("cannot write '%s'", f->path);
		close(fd);
		return (-1);
	}
	if (close(fd) != 0) {
		warnp("cannot write '%s'", f->path);
		return (-1);
	}
	if (renameat(f->dirfd, f->tmp, f->dirfd, f->leaf) != 0) {
		warnp("cannot rename to '%s'", f->path);
		return (-1);
	}
	f->committed = 1;
	atomicfile_disarm(f);
	if (fsync(f->dirfd) != 0) {
		warnp("cannot sync the directory of '%s'", f->path);
		return (-1);
	}
	return (0);
}

void
atomicfile_free(struct atomicfile *f)
{

	if (f == NULL)
		return;
	if (f->direct && f->fd >= 0)
		close(f->fd);
	if (f->dirfd >= 0) {
		if (f->fd >= 0)
			close(f->fd);
		if (f->tmp[0] != '\0' && !f->committed)
			unlinkat(f->dirfd, f->tmp, 0);
		atomicfile_disarm(f);
		close(f->dirfd);
	}
	free(f->stage);
	free(f->leaf);
	free(f->path);
	free(f);
}
