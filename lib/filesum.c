#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "atomicfile.h"
#include "filesum.h"
#include "sigv4.h"
#include "warnp.h"

/* Bytes per read(2), as atomicfile writes them. */
#define SLICE		262144

int
filesum_open(int dirfd, const char *path)
{
	const char *leaf;
	struct stat st;
	int dfd, fd, saved;

	if ((dfd = atomicfile_open_dir(dirfd, path, 0, &leaf)) == -1)
		return (-1);
	if (*leaf == '\0') {
		close(dfd);
		errno = EISDIR;
		return (-1);
	}
	fd = openat(dfd, leaf, O_RDONLY | O_NOFOLLOW | O_NONBLOCK |
	    O_CLOEXEC);
	saved = errno;
	close(dfd);
	errno = saved;
	if (fd == -1)
		return (-1);
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return (-1);
	}
	return (fd);
}

int
filesum_sha256(int fd, const char *name, int (*fn)(void *, size_t),
    void *cookie, uint64_t *bytes, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = sizeof(md);
	unsigned char *buf;
	EVP_MD_CTX *sha;
	ssize_t n;
	int rc = -1;

	*bytes = 0;
	if ((buf = malloc(SLICE)) == NULL || (sha = EVP_MD_CTX_new()) ==
	    NULL || !EVP_DigestInit_ex(sha, EVP_sha256(), NULL)) {
		warnp("cannot hash '%s'", name);
		free(buf);
		return (-1);
	}
	for (;;) {
		if ((n = read(fd, buf, SLICE)) < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot read '%s'", name);
			break;
		}
		if (n == 0) {
			EVP_DigestFinal_ex(sha, md, &mdlen);
			sigv4_hex(md, sizeof(md), hex);
			rc = 0;
			break;
		}
		EVP_DigestUpdate(sha, buf, (size_t)n);
		*bytes += (uint64_t)n;
		if (fn != NULL && fn(cookie, (size_t)n) != 0) {
			errno = EINTR;
			break;
		}
	}
	EVP_MD_CTX_free(sha);
	free(buf);
	return (rc);
}
