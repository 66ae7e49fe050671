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

/* Run cqlsh with opt ("-e" or "-f") and its argument arg. */
static int
cqlsh_exec(const char *path, const char *rc, const struct cassconf *c,
    const char *opt, const char *arg, struct proc_out *po)
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
	argv[n++] = (char *)(uintptr_t)opt;
	argv[n++] = (char *)(uintptr_t)arg;
	argv[n] = NULL;
	return (proc_run(argv, po));
}

int
cqlsh_run(const char *path, const char *rc, const struct cassconf *c,
    const char *stmt, struct proc_out *po)
{

	return (cqlsh_exec(path, rc, c, "-e", stmt, po));
}

int
cqlsh_run_file(const char *path, const char *rc, const struct cassconf *c,
    const char *file, struct proc_out *po)
{

	return (cqlsh_exec(path, rc, c, "-f", file, po));
}

char *
cqlsh_password_read(const char *pwfile)
{
	char *line = NULL, *env;
	size_t cap = 0;
	ssize_t n;
	FILE *f;

	if (pwfile == NULL) {
		if ((env = getenv("CB_CQLSH_PASSWORD")) == NULL)
			return (NULL);
		return (strdup(env));
	}
	f = strcmp(pwfile, "-") == 0 ? stdin : fopen(pwfile, "r");
	if (f == NULL) {
		warnp("cannot open '%s'", pwfile);
		return (NULL);
	}
	if ((n = getline(&line, &cap, f)) < 0) {
		warn0("cannot read a password from '%s'", pwfile);
		free(line);
		line = NULL;
	} else if (n > 0 && line[n - 1] == '\n')
		line[n - 1] = '\0';
	if (f != stdin)
		fclose(f);
	return (line);
}

int
cqlsh_creds_open(const char *user, const char *pwfile,
    struct cqlsh_creds **out)
{
	char *pw;

	*out = NULL;
	if (user == NULL)
		return (0);
	if ((pw = cqlsh_password_read(pwfile)) == NULL) {
		warn0("no password for cqlsh user '%s' (--cqlsh-password-file "
		    "or CB_CQLSH_PASSWORD)", user);
		return (-1);
	}
	*out = cqlsh_creds_new(user, pw);
	OPENSSL_cleanse(pw, strlen(pw));
	free(pw);
	return (*out != NULL ? 0 : -1);
}

int
cqlsh_bad_credentials(const struct proc_out *po)
{

	return (po->err != NULL && (strstr(po->err, "Bad credentials") != NULL ||
	    strstr(po->err, "password are incorrect") != NULL));
}

int
cqlsh_connect_failed(const struct proc_out *po)
{

	return (po->err != NULL &&
	    (strstr(po->err, "Connection error") != NULL ||
	    strstr(po->err, "Unable to connect") != NULL));
}

/* ------------------------------------------------- tabular output */

/* The next line of *p (without '\n' or '\r'): its start and length. */
static int
next_line(const char **p, const char **line, size_t *len)
{
	const char *nl;

	if (**p == '\0')
		return (0);
	*line = *p;
	nl = strchr(*p, '\n');
	*len = nl != NULL ? (size_t)(nl - *p) : strlen(*p);
	*p = nl != NULL ? nl + 1 : *p + *len;
	if (*len > 0 && (*line)[*len - 1] == '\r')
		(*len)--;
	return (1);
}

/* Copy the trimmed cell [p, p + len) to a new string. */
static char *
cell_dup(const char *p, size_t len)
{

	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	while (len > 0 && p[len - 1] == ' ')
		len--;
	return (strndup(p, len));
}

/*
 * Split line into exactly n cells at '|' into cells[] (new strings).
 * Returns 0, 1 if the line has another number of cells, -1 on
 * allocation failure.
 */
static int
split_cells(const char *line, size_t len, size_t n, char **cells)
{
	const char *p = line, *bar, *end = line + len;
	size_t i;

	for (i = 0; i < n; i++) {
		bar = memchr(p, '|', (size_t)(end - p));
		if ((bar == NULL) != (i == n - 1))
			break;
		if (bar == NULL)
			bar = end;
		if ((cells[i] = cell_dup(p, (size_t)(bar - p))) == NULL) {
			i++;
			break;
		}
		p = bar + 1;
	}
	if (i == n && cells[n - 1] != NULL)
		return (0);
	while (i > 0)
		free(cells[--i]);
	return (i == n ? -1 : 1);
}

/* Is this the header naming exactly cols? */
static int
is_header(const char *line, size_t len, size_t n, const char *const *cols)
{
	char *cells[CQLSH_MAXCOLS];
	size_t i;
	int ok;

	if (split_cells(line, len, n, cells) != 0)
		return (0);
	for (ok = 1, i = 0; i < n; i++) {
		ok = ok && strcmp(cells[i], cols[i]) == 0;
		free(cells[i]);
	}
	return (ok);
}

/* "----+----+----": n runs of dashes joined by "+". */
static int
is_rule(const char *line, size_t len, size_t n)
{
	size_t i, runs = 0;

	for (i = 0; i < len; i++) {
		if (line[i] == '-' && (i == 0 || line[i - 1] != '-'))
			runs++;
		else if (line[i] != '-' && line[i] != '+')
			return (0);
	}
	return (runs == n && len > 0 && line[0] == '-');
}

static int
rows_add(struct cqlsh_rows *r, char **cells)
{
	char **nc;
	size_t i;

	nc = realloc(r->cell, (r->nrows + 1) * r->ncols * sizeof(char *));
	if (nc == NULL) {
		for (i = 0; i < r->ncols; i++)
			free(cells[i]);
		return (-1);
	}
	r->cell = nc;
	memcpy(r->cell + r->nrows * r->ncols, cells, r->ncols *
	    sizeof(char *));
	r->nrows++;
	return (0);
}

/* The rows after the rule, up to the blank line, then "(N rows)". */
static int
parse_body(const char *p, struct cqlsh_rows *r)
{
	char *cells[CQLSH_MAXCOLS], tail[32];
	const char *line;
	size_t len;
	int rc;

	while (next_line(&p, &line, &len) && len > 0) {
		if ((rc = split_cells(line, len, r->ncols, cells)) != 0) {
			warn0("cannot read cqlsh output: row %zu has not %zu "
			    "columns", r->nrows + 1, r->ncols);
			return (-1);
		}
		if (rows_add(r, cells) != 0) {
			warnp("cannot read cqlsh output");
			return (-1);
		}
	}
	while (next_line(&p, &line, &len) && len == 0)
		;
	snprintf(tail, sizeof(tail), "(%zu rows)", r->nrows);
	if (len != strlen(tail) || strncmp(line, tail, len) != 0) {
		warn0("cannot read cqlsh output: %zu rows, not followed by "
		    "'%s'", r->nrows, tail);
		return (-1);
	}
	return (0);
}

int
cqlsh_parse_rows(const char *text, size_t ncols, const char *const *cols,
    struct cqlsh_rows *r)
{
	const char *p = text, *line;
	size_t len;

	memset(r, 0, sizeof(*r));
	r->ncols = ncols;
	if (ncols == 0 || ncols > CQLSH_MAXCOLS) {
		warn0("cannot read cqlsh output: %zu columns", ncols);
		return (-1);
	}
	while (next_line(&p, &line, &len)) {
		if (!is_header(line, len, ncols, cols))
			continue;
		if (!next_line(&p, &line, &len) || !is_rule(line, len, ncols))
			break;
		if (parse_body(p, r) == 0)
			return (0);
		cqlsh_rows_free(r);
		return (-1);
	}
	warn0("cannot read cqlsh output: no table with columns %s, ...",
	    cols[0]);
	return (-1);
}

void
cqlsh_rows_free(struct cqlsh_rows *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->nrows * r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
	memset(r, 0, sizeof(*r));
}
