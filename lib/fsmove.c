#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fdio.h"
#include "fsmove.h"
#include "warnp.h"

static int
copy_fd(int in, int out)
{
	char buf[65536];
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 || fdio_write_all(out, buf, (size_t)n) != 0)
			return (-1);
	}
	return (0);
}

/* A temporary name beside dst: DIR/.NAME.cb-XXXXXX, created with fd. */
static int
tmp_beside(const char *dst, char *tmp, size_t size, mode_t mode)
{
	const char *slash = strrchr(dst, '/');
	int dl = slash != NULL ? (int)(slash - dst + 1) : 0;
	unsigned r;
	int i, fd;

	for (i = 0; i < 100; i++) {
		r = (unsigned)rand() ^ (unsigned)getpid() << 8 ^ (unsigned)i;
		if ((size_t)snprintf(tmp, size, "%.*s.%s.cb-%06x", dl, dst,
		    dst + dl, r & 0xffffff) >= size) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
		if (fd >= 0 || errno != EEXIST)
			return (fd);
	}
	return (-1);
}

/* The copy of src at the temporary name, synced, owner and mode kept. */
static int
copy_to(int in, const struct stat *sb, int out)
{

	if (copy_fd(in, out) != 0)
		return (-1);
	if (geteuid() == 0 && fchown(out, sb->st_uid, sb->st_gid) != 0)
		return (-1);
	if (fchmod(out, sb->st_mode & 07777) != 0 || fsync(out) != 0)
		return (-1);
	return (0);
}

/* Across file systems: copy beside dst, link into place, remove src. */
static int
move_copy(const char *src, const char *dst)
{
	char tmp[PATH_MAX];
	struct stat sb;
	int in, out = -1, rc = -1, saved;

	if ((in = open(src, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &sb) != 0) {
		warnp("cannot move '%s'", src);
		goto done;
	}
	if ((out = tmp_beside(dst, tmp, sizeof(tmp), 0600)) < 0) {
		warnp("cannot create a temporary file beside '%s'", dst);
		goto done;
	}
	if (copy_to(in, &sb, out) != 0 || close(out) != 0) {
		out = -1;
		warnp("cannot copy '%s' to '%s'", src, tmp);
		(void)unlink(tmp);
		goto done;
	}
	out = -1;
	if (link(tmp, dst) != 0) {
		warnp("cannot move '%s' to '%s'", src, dst);
		saved = errno;
		(void)unlink(tmp);
		errno = saved;
		goto done;
	}
	(void)unlink(tmp);
	if ((rc = unlink(src)) != 0)
		warnp("cannot remove '%s' (copied to '%s')", src, dst);
done:
	saved = errno;
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	errno = saved;
	return (rc);
}

int
fsmove_noreplace(const char *src, const char *dst)
{

	if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
		return (0);
	if (errno == EXDEV)
		return (move_copy(src, dst));
	if (errno == EINVAL || errno == ENOSYS) {
		/* No RENAME_NOREPLACE here: link(2) refuses to replace. */
		if (link(src, dst) == 0) {
			if (unlink(src) == 0)
				return (0);
			warnp("cannot remove '%s' (linked to '%s')", src, dst);
			return (-1);
		}
		if (errno == EXDEV)
			return (move_copy(src, dst));
	}
	warnp("cannot move '%s' to '%s'", src, dst);
	return (-1);
}

int
fsmove_mkdirs(const char *path, mode_t mode, int chown_, uid_t uid,
    gid_t gid)
{
	char buf[PATH_MAX], *p, c;

	if ((size_t)snprintf(buf, sizeof(buf), "%s", path) >= sizeof(buf)) {
		errno = ENAMETOOLONG;
		warnp("cannot create '%s'", path);
		return (-1);
	}
	for (p = buf + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(buf, mode) == 0) {
			if (chown_ && chown(buf, uid, gid) != 0) {
				warnp("cannot give '%s' to its owner", buf);
				return (-1);
			}
		} else if (errno != EEXIST) {
			warnp("cannot create '%s'", buf);
			return (-1);
		}
		if (c == '\0')
			break;
		*p = c;
	}
	return (0);
}

int
fsmove_sync_dir(const char *path)
{
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		warnp("cannot open '%s'", path);
		return (-1);
	}
	if ((rc = fsync(fd)) != 0)
		warnp("cannot sync '%s'", path);
	close(fd);
	return (rc);
}
