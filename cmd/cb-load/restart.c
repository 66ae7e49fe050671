/*
 * restart: a whole-node restore by restarting the node.  The map is made
 * while the node is up; then drain, the stop command, the live sstables
 * aside into a snapshot, the restored ones in, the tokens into
 * cassandra.yaml, the start command, and a wait until the node is UN.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "load.h"
#include "nodetool.h"
#include "strbuf.h"
#include "warnp.h"
#include "yamledit.h"

#define STOP_WAIT	120	/* seconds for nodetool to stop answering */

struct yamlnew {
	char	 path[PATH_MAX];
	char	*text;		/* the edited cassandra.yaml, or NULL */
	size_t	 len;
};

/* A token: an optional '-' then hex digits (Murmur3 and Random are
 * decimal, ByteOrdered hex). */
static int
token_ok(const char *s)
{

	if (*s == '-')
		s++;
	return (*s != '\0' && strspn(s, "0123456789abcdefABCDEF") ==
	    strlen(s));
}

/* The tokens of the --tokens file, joined by ','; *n of them. */
static int
tokens_read(const char *file, struct strbuf *b, size_t *n)
{
	char *line = NULL;
	size_t cap = 0, len;
	ssize_t got;
	FILE *f;
	int rc = 0;

	if ((f = fopen(file, "r")) == NULL) {
		warnp("cannot open '%s'", file);
		return (warnp_errno_status(errno));
	}
	for (*n = 0; rc == 0 && (got = getline(&line, &cap, f)) >= 0;) {
		for (len = (size_t)got; len > 0 && strchr("\r\n \t",
		    line[len - 1]) != NULL; len--)
			;
		line[len] = '\0';
		if (len == 0)
			continue;
		if (!token_ok(line)) {
			warn0("'%s': '%s' is not a token", file, line);
			rc = EX_DATAERR;
		}
		strbuf_addf(b, "%s%s", (*n)++ > 0 ? "," : "", line);
	}
	free(line);
	if (rc == 0 && (ferror(f) || strbuf_failed(b))) {
		warnp("cannot read '%s'", file);
		rc = EX_FAILURE;
	}
	fclose(f);
	if (rc == 0 && *n == 0) {
		warn0("'%s' holds no token", file);
		rc = EX_DATAERR;
	}
	return (rc);
}

static int
file_read(const char *path, char **buf, size_t *len)
{
	struct strbuf b = STRBUF_INIT;
	char chunk[8192];
	size_t got;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (-1);
	}
	while ((got = fread(chunk, 1, sizeof(chunk), f)) > 0)
		strbuf_add(&b, chunk, got);
	if (ferror(f) || strbuf_failed(&b)) {
		warnp("cannot read '%s'", path);
		fclose(f);
		strbuf_free(&b);
		return (-1);
	}
	fclose(f);
	*len = b.len;
	*buf = strbuf_detach(&b);
	return (*buf != NULL ? 0 : -1);
}

/* cassandra.yaml with initial_token and num_tokens set, in memory. */
static int
tokens_prepare(const struct ctx *x, struct yamlnew *y)
{
	struct strbuf tok = STRBUF_INIT;
	char *old = NULL, *mid = NULL, num[24];
	size_t n = 0, len = 0, mlen = 0;
	int rc;

	if ((rc = tokens_read(x->o->tokens, &tok, &n)) != 0)
		goto done;
	snprintf(y->path, sizeof(y->path), "%s/cassandra.yaml", x->o->confdir);
	snprintf(num, sizeof(num), "%zu", n);
	rc = EX_CONFIG;
	if (file_read(y->path, &old, &len) != 0 ||
	    yamledit_set(old, len, y->path, "initial_token", tok.s, &mid,
	    &mlen) != 0 ||
	    yamledit_set(mid, mlen, y->path, "num_tokens", num, &y->text,
	    &y->len) != 0)
		goto done;
	rc = 0;
done:
	free(old);
	free(mid);
	strbuf_free(&tok);
	return (rc);
}

/* Keep the old cassandra.yaml beside it, then write the new one. */
static int
tokens_write(const struct yamlnew *y, const char *stamp)
{
	char keep[PATH_MAX + 64];
	struct atomicfile *f;
	struct stat sb;
	int rc = EX_CANTCREAT;

	snprintf(keep, sizeof(keep), "%s.cb-before-%s", y->path, stamp);
	if (stat(y->path, &sb) != 0 || link(y->path, keep) != 0) {
		warnp("cannot keep '%s' as '%s'", y->path, keep);
		return (rc);
	}
	if ((f = atomicfile_new(AT_FDCWD, y->path, 0)) == NULL)
		return (rc);
	if (atomicfile_write(f, y->text, y->len) == 0 &&
	    atomicfile_commit(f) == 0)
		rc = 0;
	atomicfile_free(f);
	if (rc == 0 && (chmod(y->path, sb.st_mode & 07777) != 0 ||
	    (geteuid() == 0 && chown(y->path, sb.st_uid, sb.st_gid) != 0))) {
		warnp("cannot give '%s' the mode and owner it had", y->path);
		rc = EX_CANTCREAT;
	}
	if (rc == 0)
		warn0("'%s': initial_token and num_tokens set; the old file is "
		    "'%s'", y->path, keep);
	return (rc);
}

/* ------------------------------------------------------- stop, start */

/* Run an operator's command (argv words, no shell). */
static int
command(const char *what, const char *cmd)
{
	struct proc_out po;
	int rc;

	if ((rc = casstool_command_run(cmd, &po)) < 0)
		return (EX_FAILURE);
	if (rc != 0) {
		warn0("the %s command '%s' failed (exit %d):", what, cmd, rc);
		casstool_relay(what, po.err);
		casstool_relay(what, po.out);
	}
	proc_out_free(&po);
	return (rc != 0 ? EX_FAILURE : 0);
}

/* Does nodetool answer? */
static int
answers(const struct ctx *x)
{
	static const char *const ver[] = { "version", NULL };
	struct proc_out po;

	if (casstool_nodetool(&x->o->tool, ver, &po, 1) != 0)
		return (0);
	proc_out_free(&po);
	return (1);
}

static int
wait_down(const struct ctx *x)
{
	time_t end = time(NULL) + STOP_WAIT;

	while (answers(x)) {
		if (time(NULL) >= end) {
			warn0("the node still answers nodetool %d s after the "
			    "stop command: nothing moved", STOP_WAIT);
			return (EX_TEMPFAIL);
		}
		sleep(1);
	}
	return (0);
}

/* The state ("UN") of host id's row in nodetool status, into st. */
static int
status_of(const char *text, const char *id, char st[3])
{
	const char *p = text, *nl;

	for (; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (nl == NULL)
			nl = p + strlen(p);
		if (nl - p > 3 && p[2] == ' ' && memmem(p, (size_t)(nl - p), id,
		    strlen(id)) != NULL) {
			st[0] = p[0];
			st[1] = p[1];
			st[2] = '\0';
			return (0);
		}
		if (*nl == '\0')
			break;
	}
	return (-1);
}

/* Is the node up and normal: its host id (info) UN in status? */
static int
is_un(const struct ctx *x)
{
	static const char *const info[] = { "info", NULL };
	static const char *const status[] = { "status", NULL };
	struct nodetool_topo tp;
	struct proc_out po;
	char st[3] = "";

	memset(&tp, 0, sizeof(tp));
	if (casstool_nodetool(&x->o->tool, info, &po, 1) != 0)
		return (0);
	(void)nodetool_parse_info(po.out, &tp);
	proc_out_free(&po);
	if (tp.host_id != NULL &&
	    casstool_nodetool(&x->o->tool, status, &po, 1) == 0) {
		(void)status_of(po.out, tp.host_id, st);
		proc_out_free(&po);
	}
	nodetool_topo_free(&tp);
	return (strcmp(st, "UN") == 0);
}

static int
wait_up(const struct ctx *x)
{
	time_t end = time(NULL) + x->o->start_timeout;

	while (!is_un(x)) {
		if (time(NULL) >= end) {
			warn0("the node is not UN in nodetool status %ld s "
			    "after the start command", x->o->start_timeout);
			return (EX_TEMPFAIL);
		}
		sleep(1);
	}
	return (0);
}

/* ----------------------------------------------------------- tables */

/* The live files aside, the restored ones in. */
static int
restart_one(struct ctx *x, struct rtable *t, const void *stamp)
{
	int rc;

	if ((rc = files_replace_live(x, t, stamp)) != 0)
		return (rc);
	return (files_load(x, t, 1));
}

static void
stamp_now(char *buf, size_t size)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(buf, size, "%Y%m%dT%H%M%S", &tm);
}

int
restart_run(struct ctx *x)
{
	static const char *const drain[] = { "drain", NULL };
	struct yamlnew y;
	char stamp[32];
	size_t i;
	int rc;

	memset(&y, 0, sizeof(y));
	if (x->o->tokens != NULL && (rc = tokens_prepare(x, &y)) != 0)
		goto done;
	if (casstool_nodetool_do(&x->o->tool, drain) != 0 && !x->o->quiet)
		warnp_warning("nodetool drain failed: stopping the node "
		    "without it");
	if ((rc = command("stop", x->o->stop_cmd)) != 0 ||
	    (rc = wait_down(x)) != 0)
		goto done;
	stamp_now(stamp, sizeof(stamp));
	for (i = 0; i < x->map.n; i++)
		if (load_table(x, &x->map.t[i], restart_one, stamp) != 0) {
			rc = EX_FAILURE;
			goto done;
		}
	if ((rc = x->failed) != 0) {
		warn0("not starting the node: a table failed to load (a rerun "
		    "with the same --done skips the tables loaded)");
		goto done;
	}
	if ((y.text == NULL || (rc = tokens_write(&y, stamp)) == 0) &&
	    (rc = command("start", x->o->start_cmd)) == 0)
		rc = wait_up(x);
done:
	free(y.text);
	return (rc);
}
