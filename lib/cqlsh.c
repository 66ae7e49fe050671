#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cqlsh.h"
#include "warnp.h"

struct cqlsh_creds {
	char	dir[PATH_MAX - 32];	/* the private directory */
	char	rc[PATH_MAX];		/* DIR/cqlshrc */
	char	cred[PATH_MAX];		/* DIR/credentials */
};

/* Create path with mode 0600 holding text. */
static int
write_secret(const char *path, const char *text)
{
	size_t len = strlen(text);
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, len) != (ssize_t)len || close(fd) != 0) {
		warnp("cannot write '%s'", path);
		if (fd >= 0)
			close(fd);
		return (-1);
	}
	return (0);
}

/* Can an INI value carry s unchanged?  No newlines, no outer blanks. */
static int
ini_ok(const char *s)
{
	size_t len = strlen(s);

	return (strpbrk(s, "\n\r") == NULL && (len == 0 ||
	    (strchr(" \t", s[0]) == NULL && strchr(" \t", s[len - 1]) == NULL)));
}

/* Make the private directory and name the files in it. */
static int
creds_dir(struct cqlsh_creds *cr)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(cr->dir, sizeof(cr->dir), "%s/cb-cqlsh.XXXXXX",
	    tmp) >= sizeof(cr->dir)) {
		errno = ENAMETOOLONG;
		warnp("cannot create a directory in '%s'", tmp);
		return (-1);
	}
	if (mkdtemp(cr->dir) == NULL) {
		warnp("cannot create '%s'", cr->dir);
		return (-1);
	}
	snprintf(cr->rc, sizeof(cr->rc), "%s/cqlshrc", cr->dir);
	snprintf(cr->cred, sizeof(cr->cred), "%s/credentials", cr->dir);
	return (0);
}

static int
creds_write(struct cqlsh_creds *cr, const char *user, const char *pw)
{
	size_t size = strlen(user) + strlen(pw) + strlen(cr->cred) + 128;
	char *text;
	int rc = -1;

	if ((text = malloc(size)) == NULL) {
		warnp("cannot write '%s'", cr->rc);
		return (-1);
	}
	snprintf(text, size, "[PlainTextAuthProvider]\nusername = %s\n"
	    "password = %s\n", user, pw);
	if (write_secret(cr->cred, text) == 0) {
		snprintf(text, size, "; cb-snapshot: removed after use\n"
		    "[authentication]\nusername = %s\npassword = %s\n"
		    "credentials = %s\n", user, pw, cr->cred);
		rc = write_secret(cr->rc, text);
	}
	OPENSSL_cleanse(text, size);
	free(text);
	return (rc);
}

struct cqlsh_creds *
cqlsh_creds_new(const char *user, const char *password)
{
	struct cqlsh_creds *cr;

	if (!ini_ok(user) || !ini_ok(password) || *user == '\0') {
		warn0("cannot pass this user or password to cqlsh: no "
		    "newlines, no blanks at either end");
		return (NULL);
	}
	if ((cr = calloc(1, sizeof(*cr))) == NULL) {
		warnp("cannot write a cqlshrc");
		return (NULL);
	}
	if (creds_dir(cr) != 0) {
		free(cr);
		return (NULL);
	}
	if (creds_write(cr, user, password) != 0) {
		cqlsh_creds_free(cr);
		return (NULL);
	}
	return (cr);
}

const char *
cqlsh_creds_rc(const struct cqlsh_creds *cr)
{

	return (cr->rc);
}

void
cqlsh_creds_free(struct cqlsh_creds *cr)
{

	if (cr == NULL)
		return;
	(void)unlink(cr->rc);
	(void)unlink(cr->cred);
	(void)rmdir(cr->dir);
	free(cr);
}

/* The host and port the node serves CQL on, as cassandra.yaml says. */
static const char *
cqlsh_target(const struct cassconf *c, char *port, size_t psize)
{
	const char *h = c->rpc_address;

	if (h == NULL || strcmp(h, "0.0.0.0") == 0 || strcmp(h, "::") == 0)
		h = c->broadcast_rpc_address;
	port[0] = '\0';
	if (c->native_transport_port > 0) {
		snprintf(port, psize, "%d", c->native_transport_port);
		if (h == NULL)
			h = "localhost";
	}
	return (h);
}

int
cqlsh_run(const char *path, const char *rc, const struct cassconf *c,
    const char *stmt, struct proc_out *po)
{
	char port[16] = "", *argv[10];
	const char *host = NULL;
	size_t n = 0;

	if (c != NULL)
		host = cqlsh_target(c, port, sizeof(port));
	argv[n++] = (char *)(uintptr_t)path;
	if (rc != NULL) {
		argv[n++] = "--cqlshrc";
		argv[n++] = (char *)(uintptr_t)rc;
	}
	if (host != NULL)
		argv[n++] = (char *)(uintptr_t)host;
	if (host != NULL && port[0] != '\0')
		argv[n++] = port;
	argv[n++] = "-e";
	argv[n++] = (char *)(uintptr_t)stmt;
	argv[n] = NULL;
	return (proc_run(argv, po));
}
