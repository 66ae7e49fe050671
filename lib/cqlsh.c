#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cqlsh.h"
#include "strbuf.h"
#include "warnp.h"

struct cqlsh_rc {
	char	dir[PATH_MAX - 32];	/* the private directory */
	char	rc[PATH_MAX];		/* DIR/cqlshrc */
	char	cred[PATH_MAX];		/* DIR/credentials */
	int	ssl;
	int	written;		/* the files exist */
};

/* The largest operator's cqlshrc copied. */
#define RC_MAX	(1024 * 1024)

void
cqlsh_opts_init(struct cqlsh_opts *o)
{

	memset(o, 0, sizeof(*o));
	o->validate = -1;
}

int
cqlsh_opts_set(struct cqlsh_opts *o, int ch, const char *arg)
{

	switch (ch - CQLSH_OPT_BASE) {
	case 0: o->user = arg; break;
	case 1: o->pwfile = arg; break;
	case 2:
		warn0("--cqlsh-password would put the password in argv: "
		    "use --cqlsh-password-file FILE (or -) or "
		    "CB_CQLSH_PASSWORD");
		return (-1);
	case 3: o->cqlshrc = arg; break;
	case 4: o->certfile = arg; break;
	case 5: o->usercert = arg; break;
	case 6: o->userkey = arg; break;
	case 7: o->ssl = 1; break;
	case 8: o->validate = 1; break;
	case 9: o->validate = 0; break;
	default: return (1);
	}
	return (0);
}

int
cqlsh_opts_given(const struct cqlsh_opts *o)
{

	return (o->user != NULL || o->pwfile != NULL || o->cqlshrc != NULL ||
	    o->certfile != NULL || o->usercert != NULL || o->userkey != NULL ||
	    o->ssl || o->validate >= 0);
}

/* Can an INI value carry s unchanged?  No newlines, no outer blanks. */
static int
ini_ok(const char *s)
{
	size_t len = strlen(s);

	return (strpbrk(s, "\n\r") == NULL && (len == 0 ||
	    (strchr(" \t", s[0]) == NULL && strchr(" \t", s[len - 1]) == NULL)));
}

/* An absolute path that an interpolated INI value carries unchanged. */
static int
path_ok(const char *opt, const char *s)
{
	const char *p;

	if (s == NULL)
		return (1);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '%')
			break;
	if (s[0] != '/' || *p != '\0' || !ini_ok(s)) {
		warn0("invalid %s '%s': expected an absolute path without "
		    "control characters, '%%' or blanks at either end", opt, s);
		return (0);
	}
	return (1);
}

int
cqlsh_opts_check(const struct cqlsh_opts *o)
{

	if (o->pwfile != NULL && o->user == NULL) {
		warn0("--cqlsh-password-file goes with --cqlsh-user");
		return (-1);
	}
	if (o->userkey != NULL && o->usercert == NULL) {
		warn0("--cqlsh-userkey goes with --cqlsh-usercert");
		return (-1);
	}
	if ((o->certfile != NULL || o->usercert != NULL || o->validate >= 0) &&
	    !o->ssl && o->cqlshrc == NULL) {
		warn0("--cqlsh-certfile, --cqlsh-usercert and --cqlsh-validate "
		    "go with --cqlsh-ssl (or a --cqlsh-cqlshrc)");
		return (-1);
	}
	if (!path_ok("--cqlsh-cqlshrc", o->cqlshrc) ||
	    !path_ok("--cqlsh-certfile", o->certfile) ||
	    !path_ok("--cqlsh-usercert", o->usercert) ||
	    !path_ok("--cqlsh-userkey", o->userkey))
		return (-1);
	return (0);
}

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

/* Make the private directory and name the files in it. */
static int
rc_dir(struct cqlsh_rc *rc)
{
	const char *tmp = getenv("TMPDIR");

	if (tmp == NULL || *tmp == '\0')
		tmp = "/tmp";
	if ((size_t)snprintf(rc->dir, sizeof(rc->dir), "%s/cb-cqlsh.XXXXXX",
	    tmp) >= sizeof(rc->dir)) {
		errno = ENAMETOOLONG;
		warnp("cannot create a directory in '%s'", tmp);
		return (-1);
	}
	if (mkdtemp(rc->dir) == NULL) {
		warnp("cannot create '%s'", rc->dir);
		return (-1);
	}
	snprintf(rc->rc, sizeof(rc->rc), "%s/cqlshrc", rc->dir);
	snprintf(rc->cred, sizeof(rc->cred), "%s/credentials", rc->dir);
	return (0);
}

/* A section the private cqlshrc sets keys of (val NULL: not set). */
struct rc_sect {
	const char	*name;
	const char	*key[4];
	const char	*val[4];
	int		 seen;
};

static void
sect_add(struct strbuf *b, const struct rc_sect *s)
{
	size_t i;

	for (i = 0; i < 4; i++)
		if (s->key[i] != NULL && s->val[i] != NULL)
			strbuf_addf(b, "%s = %s\n", s->key[i], s->val[i]);
}

/* The section named by header line l (len n), or NULL. */
static struct rc_sect *
sect_of(const char *l, size_t n, struct rc_sect *s, size_t ns)
{
	const char *end;
	size_t i;

	if (n < 2 || l[0] != '[' || (end = memrchr(l, ']', n)) == NULL)
		return (NULL);
	for (i = 0; i < ns; i++)
		if (strlen(s[i].name) == (size_t)(end - l - 1) &&
		    strncmp(l + 1, s[i].name, (size_t)(end - l - 1)) == 0)
			return (&s[i]);
	return (&s[ns]);	/* a section of the file's own */
}

/* Is key line l (len n) one of the keys s sets?  Keys are caseless. */
static int
key_set(const char *l, size_t n, const struct rc_sect *s)
{
	size_t k = strcspn(l, "=:"), i;

	if (k > n || l[0] == '#' || l[0] == ';')
		return (0);
	while (k > 0 && strchr(" \t", l[k - 1]) != NULL)
		k--;
	for (i = 0; i < 4 && s->key[i] != NULL; i++)
		if (s->val[i] != NULL && strlen(s->key[i]) == k &&
		    strncasecmp(l, s->key[i], k) == 0)
			return (1);
	return (0);
}

/*
 * Copy the operator's cqlshrc text, less the keys of s[0..ns) it sets
 * (and their continuation lines), with those keys first in their
 * sections; then the sections the text lacks.  s[ns] is scratch.
 */
static void
rc_merge(struct strbuf *b, const char *text, struct rc_sect *s, size_t ns)
{
	struct rc_sect *cur = NULL, *h;
	const char *p = text, *l;
	size_t n, i;
	int drop = 0;

	while (*p != '\0') {
		n = strcspn(p, "\n");
		l = p;
		p += n + (p[n] == '\n');
		if (n > 0 && strchr(" \t", l[0]) != NULL && drop &&
		    strspn(l, " \t\r") < n)
			continue;
		drop = 0;
		if ((h = sect_of(l, strcspn(l, "\r\n"), s, ns)) != NULL) {
			cur = h;
			strbuf_add(b, l, (size_t)(p - l));
			if (l[n] != '\n')
				strbuf_addc(b, '\n');
			if (cur < s + ns && !cur->seen)
				sect_add(b, cur);
			cur->seen = 1;
			continue;
		}
		if (cur != NULL && cur < s + ns && key_set(l, n, cur)) {
			drop = 1;
			continue;
		}
		strbuf_add(b, l, (size_t)(p - l));
	}
	if (b->len > 0 && b->s[b->len - 1] != '\n')
		strbuf_addc(b, '\n');
	for (i = 0; i < ns; i++) {
		if (s[i].seen || (s[i].val[0] == NULL && s[i].val[1] == NULL &&
		    s[i].val[2] == NULL && s[i].val[3] == NULL))
			continue;
		strbuf_addf(b, "[%s]\n", s[i].name);
		sect_add(b, &s[i]);
	}
}

/* The operator's cqlshrc into b (nothing for NULL). */
static int
rc_read(const char *path, struct strbuf *b)
{
	char chunk[4096];
	size_t n;
	FILE *f;

	if (path == NULL)
		return (0);
	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open --cqlsh-cqlshrc '%s'", path);
		return (-1);
	}
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0 && b->len < RC_MAX)
		strbuf_add(b, chunk, n);
	if (ferror(f) || b->len >= RC_MAX || memchr(b->s, '\0', b->len)) {
		warn0("cannot read --cqlsh-cqlshrc '%s': %s", path, ferror(f) ?
		    strerror(errno) : "not a text file of at most 1 MiB");
		fclose(f);
		return (-1);
	}
	fclose(f);
	return (0);
}

/* The text of the private cqlshrc; (and the credentials file's) into b. */
static int
rc_text(const struct cqlsh_rc *rc, const struct cqlsh_opts *o,
    const char *pw, const char *own, struct strbuf *b)
{
	const char *v = o->validate < 0 ? NULL : o->validate ? "true" : "false";
	struct rc_sect s[3] = {
		{ "authentication", { "username", "password", "credentials" },
		    { NULL, NULL, NULL, NULL }, 0 },
		{ "ssl", { "certfile", "validate", "usercert", "userkey" },
		    { o->certfile, v, o->usercert, o->userkey }, 0 },
		{ "", { NULL }, { NULL }, 0 }
	};

	if (o->user != NULL) {
		s[0].val[0] = o->user;
		s[0].val[1] = pw;
		s[0].val[2] = rc->cred;
	}
	strbuf_addf(b, "; %s: a private cqlshrc, removed after use\n",
	    warnp_progname());
	rc_merge(b, own != NULL ? own : "", s, 2);
	if (strbuf_failed(b)) {
		warnp("cannot write '%s'", rc->rc);
		return (-1);
	}
	return (0);
}

/* Write the credentials file and the cqlshrc. */
static int
rc_write(struct cqlsh_rc *rc, const struct cqlsh_opts *o, const char *pw)
{
	struct strbuf own = STRBUF_INIT, b = STRBUF_INIT;
	size_t size = 2 * PATH_MAX + 1024;
	int ret = -1;

	if (rc_read(o->cqlshrc, &own) != 0)
		goto done;
	/* Room enough at once: a realloc would leave copies of pw. */
	size += own.len + (pw != NULL ? 2 * strlen(pw) + 2 * strlen(o->user) :
	    0);
	if (strbuf_grow(&b, size) != 0) {
		warnp("cannot write '%s'", rc->rc);
		goto done;
	}
	if (o->user != NULL) {
		strbuf_addf(&b, "[PlainTextAuthProvider]\nusername = %s\n"
		    "password = %s\n", o->user, pw);
		if (write_secret(rc->cred, b.s) != 0)
			goto done;
		OPENSSL_cleanse(b.s, b.len);
		strbuf_reset(&b);
	}
	if (rc_text(rc, o, pw, own.s, &b) == 0)
		ret = write_secret(rc->rc, b.s);
done:
	if (b.s != NULL)
		OPENSSL_cleanse(b.s, b.cap);
	strbuf_free(&b);
	strbuf_free(&own);
	return (ret);
}

struct cqlsh_rc *
cqlsh_rc_new(const struct cqlsh_opts *o, const char *password)
{
	struct cqlsh_rc *rc;

	if (o->user != NULL && (password == NULL || !ini_ok(o->user) ||
	    !ini_ok(password) || *o->user == '\0')) {
		warn0("cannot pass this user or password to cqlsh: no "
		    "newlines, no blanks at either end");
		return (NULL);
	}
	if (cqlsh_opts_check(o) != 0)
		return (NULL);
	if ((rc = calloc(1, sizeof(*rc))) == NULL) {
		warnp("cannot write a cqlshrc");
		return (NULL);
	}
	rc->ssl = o->ssl;
	if (o->user == NULL && o->cqlshrc == NULL && o->certfile == NULL &&
	    o->usercert == NULL && o->validate < 0)
		return (rc);
	if (rc_dir(rc) != 0) {
		free(rc);
		return (NULL);
	}
	rc->written = 1;
	if (rc_write(rc, o, password) != 0) {
		cqlsh_rc_free(rc);
		return (NULL);
	}
	return (rc);
}

/* Can cqlsh read the node-side file path of option opt? */
static int
file_readable(const char *opt, const char *path)
{

	if (path == NULL || access(path, R_OK) == 0)
		return (1);
	warnp("cannot read %s '%s'", opt, path);
	return (0);
}

int
cqlsh_rc_open(const struct cqlsh_opts *o, struct cqlsh_rc **out)
{
	char *pw = NULL;

	*out = NULL;
	if (!file_readable("--cqlsh-cqlshrc", o->cqlshrc) ||
	    !file_readable("--cqlsh-certfile", o->certfile) ||
	    !file_readable("--cqlsh-usercert", o->usercert) ||
	    !file_readable("--cqlsh-userkey", o->userkey))
		return (EX_NOINPUT);
	if (o->user != NULL && (pw = cqlsh_password_read(o->pwfile)) == NULL) {
		warn0("no password for cqlsh user '%s' (--cqlsh-password-file "
		    "or CB_CQLSH_PASSWORD)", o->user);
		return (EX_NOPERM);
	}
	*out = cqlsh_rc_new(o, pw);
	if (pw != NULL) {
		OPENSSL_cleanse(pw, strlen(pw));
		free(pw);
	}
	return (*out != NULL ? 0 : EX_FAILURE);
}

const char *
cqlsh_rc_path(const struct cqlsh_rc *rc)
{

	return (rc != NULL && rc->written ? rc->rc : NULL);
}

void
cqlsh_rc_free(struct cqlsh_rc *rc)
{

	if (rc == NULL)
		return;
	if (rc->written) {
		(void)unlink(rc->rc);
		(void)unlink(rc->cred);
		(void)rmdir(rc->dir);
	}
	free(rc);
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
cqlsh_exec(const char *path, const struct cqlsh_rc *rc,
    const struct cassconf *c, const char *opt, const char *arg,
    struct proc_out *po)
{
	char port[16] = "", *argv[12];
	const char *host = NULL;
	size_t n = 0;

	if (c != NULL)
		host = cqlsh_target(c, port, sizeof(port));
	argv[n++] = (char *)(uintptr_t)path;
	if (rc != NULL && rc->ssl)
		argv[n++] = "--ssl";
	if (cqlsh_rc_path(rc) != NULL) {
		argv[n++] = "--cqlshrc";
		argv[n++] = (char *)(uintptr_t)rc->rc;
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
cqlsh_run(const char *path, const struct cqlsh_rc *rc,
    const struct cassconf *c, const char *stmt, struct proc_out *po)
{

	return (cqlsh_exec(path, rc, c, "-e", stmt, po));
}

int
cqlsh_run_file(const char *path, const struct cqlsh_rc *rc,
    const struct cassconf *c, const char *file, struct proc_out *po)
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
