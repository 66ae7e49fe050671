/*
 * lib/atomicfile: the file appears whole on commit, in the mode the umask
 * gives, and nothing is left behind otherwise.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "unit.h"

static char dir[] = "/tmp/cb-atomicfile.XXXXXX";
static int dfd = -1;

/* The names in d, each followed by a space ("x "). */
static void
names(const char *d, char *out, size_t len)
{
	struct dirent *e;
	DIR *dp = opendir(d);

	*out = '\0';
	while (dp != NULL && (e = readdir(dp)) != NULL) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		strncat(out, e->d_name, len - strlen(out) - 2);
		strcat(out, " ");
	}
	if (dp != NULL)
		closedir(dp);
}

static void
slurp(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	size_t n = f != NULL ? fread(buf, 1, len - 1, f) : 0;

	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
}

static void
t_commit(void)
{
	struct atomicfile *f = atomicfile_new(dfd, "x", 0);
	char ls[512], got[64], path[300];
	struct stat st;
	mode_t mask = umask(0);

	umask(mask);
	EXPECT(f != NULL);
	EXPECT_STR(atomicfile_name(f), "x");
	EXPECT(atomicfile_write(f, "hello", 5) == 0);
	names(dir, ls, sizeof(ls));
	EXPECT(strncmp(ls, ".x.cb-", 6) == 0 && strlen(ls) == 6 + 8 + 1);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	names(dir, ls, sizeof(ls));
	EXPECT_STR(ls, "x ");
	snprintf(path, sizeof(path), "%s/x", dir);
	slurp(path, got, sizeof(got));
	EXPECT_STR(got, "hello");
	EXPECT(stat(path, &st) == 0 && (st.st_mode & 07777) == (0666 & ~mask));
	unlink(path);
}

static void
t_free_uncommitted(void)
{
	struct atomicfile *f;
	char ls[512], path[300];

	snprintf(path, sizeof(path), "%s/y", dir);
	EXPECT((f = atomicfile_new(AT_FDCWD, path, 0)) != NULL);
	EXPECT(atomicfile_write(f, "partial", 7) == 0);
	atomicfile_free(f);
	names(dir, ls, sizeof(ls));
	EXPECT_STR(ls, "");
	atomicfile_free(NULL);
}

static void
t_missing_dir(void)
{

	EXPECT(atomicfile_new(dfd, "no/such/x", 0) == NULL);
	EXPECT(atomicfile_new(dfd, "", 0) == NULL);
}

static void
t_stdout(void)
{
	struct atomicfile *f = atomicfile_new(dfd, "-", 0);

	EXPECT(f != NULL);
	EXPECT_STR(atomicfile_name(f), "stdout");
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	EXPECT((f = atomicfile_new(AT_FDCWD, NULL, 0)) != NULL);
	atomicfile_free(f);
	EXPECT(atomicfile_new(dfd, "-/", 1) == NULL);
}

static void
t_confined(void)
{
	struct atomicfile *f = atomicfile_new(dfd, "a/./b//c", 1);
	char got[64], path[300];

	EXPECT(f != NULL);
	EXPECT(atomicfile_write(f, "abc", 3) == 0);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	snprintf(path, sizeof(path), "%s/a/b/c", dir);
	slurp(path, got, sizeof(got));
	EXPECT_STR(got, "abc");
	unlink(path);
	snprintf(path, sizeof(path), "%s/a/b", dir);
	rmdir(path);
	/* a symbolic link on the way is not followed */
	EXPECT(symlinkat("/tmp", dfd, "l") == 0);
	EXPECT(atomicfile_new(dfd, "l/x", 1) == NULL);
	EXPECT(atomicfile_new(dfd, "a/../x", 1) == NULL);
	EXPECT(atomicfile_new(dfd, "/tmp/x", 1) == NULL);
	unlinkat(dfd, "l", 0);
	unlinkat(dfd, "a", AT_REMOVEDIR);
}

static void
t_paths(void)
{

	EXPECT(atomicfile_check_path("a/b/c") == 0);
	EXPECT(atomicfile_check_path("./a/..b/c..") == 0);
	EXPECT(atomicfile_check_path("/etc/passwd") == -1);
	EXPECT(atomicfile_check_path("..") == -1);
	EXPECT(atomicfile_check_path("a/../b") == -1);
	EXPECT(atomicfile_check_path("a/..") == -1);
	EXPECT(atomicfile_check_path("") == -1);
}
/*
 * A device or a FIFO is written in place, never renamed over: a FIFO
 * stays a FIFO and gets the bytes; /dev/null stays a device.
 */
static void
t_device(void)
{
	struct atomicfile *f;
	struct stat st;
	char path[256], buf[8];
	int rfd;

	snprintf(path, sizeof(path), "%s/fifo", dir);
	EXPECT(mkfifo(path, 0600) == 0);
	EXPECT((rfd = open(path, O_RDONLY | O_NONBLOCK)) >= 0);
	EXPECT((f = atomicfile_new(AT_FDCWD, path, 0)) != NULL);
	EXPECT(atomicfile_write(f, "abc", 3) == 0);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	EXPECT(read(rfd, buf, sizeof(buf)) == 3 && memcmp(buf, "abc", 3) == 0);
	close(rfd);
	EXPECT(lstat(path, &st) == 0 && S_ISFIFO(st.st_mode));
	unlink(path);
	/* Never risk /dev/null when the FIFO was replaced. */
	if (!S_ISFIFO(st.st_mode))
		return;
	EXPECT((f = atomicfile_new(AT_FDCWD, "/dev/null", 0)) != NULL);
	EXPECT(atomicfile_write(f, "abc", 3) == 0);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	EXPECT(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode));
}

/* The flags of our descriptor open on a name starting with prefix. */
static long
fd_flags(const char *prefix)
{
	char link[64], target[512], info[64], line[128];
	long flags = -1;
	FILE *fp;
	ssize_t n;
	int fd;

	for (fd = 3; fd < 1024 && flags < 0; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		if ((n = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[n] = '\0';
		if (strstr(target, prefix) == NULL)
			continue;
		snprintf(info, sizeof(info), "/proc/self/fdinfo/%d", fd);
		if ((fp = fopen(info, "r")) == NULL)
			continue;
		while (fgets(line, sizeof(line), fp) != NULL)
			if (sscanf(line, "flags: %lo", &flags) == 1)
				break;
		fclose(fp);
	}
	return (flags);
}

/*
 * Uncached: O_DIRECT on where the file system takes it, and the bytes
 * whole whatever the sizes of the writes (whole stages, a tail).
 */
static void
t_uncached(void)
{
	size_t len = 2 * 4194304 + 12345, off, n, piece = 100003;
	unsigned char *want = malloc(len), *got = malloc(len + 1);
	struct atomicfile *f;
	char path[300], prefix[300];
	void *al;
	int fd, direct;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/probe", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_DIRECT, 0600);
	direct = fd >= 0;
	if (fd >= 0)
		close(fd);
	unlink(path);
	for (off = 0; off < len; off++)
		want[off] = (unsigned char)(off * 7 + off / 4096);
	EXPECT((f = atomicfile_new(dfd, "u", 0)) != NULL);
	atomicfile_uncached(f);
	for (off = 0; off < len; off += n) {
		n = len - off < piece ? len - off : piece;
		EXPECT(atomicfile_write(f, want + off, n) == 0);
	}
	snprintf(prefix, sizeof(prefix), "%s/.u.cb-", dir);
	if (direct)
		EXPECT((fd_flags(prefix) & O_DIRECT) != 0);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	snprintf(path, sizeof(path), "%s/u", dir);
	EXPECT((fp = fopen(path, "r")) != NULL);
	EXPECT(fp != NULL && fread(got, 1, len + 1, fp) == len);
	EXPECT(memcmp(got, want, len) == 0);
	if (fp != NULL)
		fclose(fp);
	/* an aligned buffer: its whole blocks unstaged, then staged again */
	EXPECT(posix_memalign(&al, 4096, len) == 0);
	memcpy(al, want, len);
	EXPECT((f = atomicfile_new(dfd, "u", 0)) != NULL);
	atomicfile_uncached(f);
	EXPECT(atomicfile_write(f, al, 4194304 + 8192 + 100) == 0);
	EXPECT(atomicfile_write(f, want + 4194304 + 8192 + 100, 5000) == 0);
	off = 4194304 + 8192 + 100 + 5000;
	memcpy(al, want + off, len - off);
	EXPECT(atomicfile_write(f, al, len - off) == 0);
	EXPECT(atomicfile_commit(f) == 0);
	atomicfile_free(f);
	EXPECT((fp = fopen(path, "r")) != NULL);
	EXPECT(fp != NULL && fread(got, 1, len + 1, fp) == len);
	EXPECT(memcmp(got, want, len) == 0);
	if (fp != NULL)
		fclose(fp);
	unlink(path);
	free(al);
	/* stdout and uncommitted files: nothing kept, nothing leaked */
	EXPECT((f = atomicfile_new(dfd, "-", 0)) != NULL);
	atomicfile_uncached(f);
	atomicfile_free(f);
	EXPECT((f = atomicfile_new(dfd, "v", 0)) != NULL);
	atomicfile_uncached(f);
	EXPECT(atomicfile_write(f, want, 5000) == 0);
	atomicfile_free(f);
	free(want);
	free(got);
}


int
main(void)
{
	char ls[512];

	if (mkdtemp(dir) == NULL || (dfd = open(dir, O_RDONLY)) < 0) {
		perror(dir);
		return (1);
	}
	TEST(t_commit);
	TEST(t_free_uncommitted);
	TEST(t_missing_dir);
	TEST(t_stdout);
	TEST(t_confined);
	TEST(t_paths);
	TEST(t_device);
	TEST(t_uncached);
	names(dir, ls, sizeof(ls));
	if (*ls == '\0')
		rmdir(dir);
	close(dfd);
	return (unit_done());
}
