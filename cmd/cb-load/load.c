/*
 * The records, the --done journal, and the modes that load into a
 * running node: map (nothing loaded), import (4.0+) and refresh.
 */

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casspath.h"
#include "load.h"
#include "nodetool.h"
#include "records.h"
#include "warnp.h"

int
load_record(const struct ctx *x, const struct rtable *t, const char *status)
{
	char ids[4096] = "", nsst[24], bytes[24];
	const char *f[7];
	size_t i, len = 0;

	for (i = 0; i < t->nb && len < sizeof(ids); i++)
		len += (size_t)snprintf(ids + len, sizeof(ids) - len, "%s%s",
		    i > 0 ? "," : "", t->bids[i][0] != '\0' ? t->bids[i] : "-");
	snprintf(nsst, sizeof(nsst), "%zu", t->nsst);
	snprintf(bytes, sizeof(bytes), "%" PRIu64, t->bytes);
	f[0] = status;
	f[1] = t->ks;
	f[2] = t->name;
	f[3] = ids;
	f[4] = t->live_id != NULL ? t->live_id : "-";
	f[5] = nsst;
	f[6] = bytes;
	if (rec_write(stdout, x->o->nul, 7, f) != 0 || fflush(stdout) != 0) {
		warnp("cannot write to stdout");
		return (-1);
	}
	return (0);
}

/* ---------------------------------------------------------- journal */

static int
journal_key(char *buf, size_t size, const char *ks, const char *table)
{

	return ((size_t)snprintf(buf, size, "%s\t%s", ks, table) < size ? 0 :
	    -1);
}

int
load_journal_read(struct ctx *x)
{
	struct rec_reader *r;
	char *f[2], key[512];
	FILE *in;
	size_t i;
	int rc;

	if (x->o->done == NULL)
		return (0);
	if ((in = fopen(x->o->done, "r")) == NULL) {
		if (errno == ENOENT)
			return (0);
		warnp("cannot open '%s'", x->o->done);
		return (warnp_errno_status(errno));
	}
	if ((r = rec_reader_new(in, 0, x->o->done)) == NULL) {
		fclose(in);
		return (EX_FAILURE);
	}
	while ((rc = rec_reader_next(r, 2, f)) == 1) {
		if (!casspath_is_word(f[0], strlen(f[0])) ||
		    !casspath_is_word(f[1], strlen(f[1])) ||
		    journal_key(key, sizeof(key), f[0], f[1]) != 0) {
			warn0("'%s': record %zu is not KS<TAB>TABLE",
			    x->o->done, rec_reader_number(r));
			rc = -1;
			break;
		}
		if (strset_put(&x->done, key, 0) == -2) {
			rc = -2;
			break;
		}
	}
	rec_reader_free(r);
	fclose(in);
	if (rc != 0)
		return (rc == -2 ? EX_FAILURE : EX_DATAERR);
	for (i = 0; i < x->map.n; i++)
		if (journal_key(key, sizeof(key), x->map.t[i].ks,
		    x->map.t[i].name) == 0 && strset_get(&x->done, key) >= 0)
			x->map.t[i].done = 1;
	return (0);
}

int
load_journal_add(const struct ctx *x, const struct rtable *t)
{
	char line[512];
	int fd, n;

	if (x->o->done == NULL)
		return (0);
	n = snprintf(line, sizeof(line), "%s\t%s\n", t->ks, t->name);
	fd = open(x->o->done, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0 || write(fd, line, (size_t)n) != n || fsync(fd) != 0) {
		warnp("cannot add %s.%s to '%s'", t->ks, t->name, x->o->done);
		if (fd >= 0)
			close(fd);
		return (EX_CANTCREAT);
	}
	close(fd);
	return (0);
}

/* ----------------------------------------------------------- import */

/* The major release of the node, from nodetool version; -1 on failure. */
static int
node_major(const struct ctx *x, int *rc)
{
	static const char *const ver[] = { "version", NULL };
	struct nodetool_topo tp;
	struct proc_out po;
	int major = -1;

	memset(&tp, 0, sizeof(tp));
	if ((*rc = casstool_nodetool(&x->o->tool, ver, &po, 0)) != 0)
		return (-1);
	if (nodetool_parse_version(po.out, &tp) == 0 && tp.version != NULL)
		major = atoi(tp.version);
	if (major <= 0) {
		warn0("cannot find the release in the output of 'nodetool "
		    "version'");
		*rc = EX_FAILURE;
	} else if (major < 4) {
		warn0("nodetool import needs Cassandra 4.0 or later, and this "
		    "node runs %s: use refresh", tp.version);
		*rc = EX_USAGE;
	}
	nodetool_topo_free(&tp);
	proc_out_free(&po);
	return (major);
}

/* Did nodetool import leave sstables in the restored directories? */
static int
import_left(const struct rtable *t)
{
	struct rtable after = *t;

	if (files_count(&after) != 0)
		return (EX_FAILURE);
	if (after.nsst == 0)
		return (0);
	warn0("%s.%s: nodetool import left %zu sstables in '%s'%s", t->ks,
	    t->name, after.nsst, t->bdirs[0], t->nb > 1 ? " and others" : "");
	return (EX_FAILURE);
}

static int
import_table(struct ctx *x, struct rtable *t)
{
	const char **args;
	struct proc_out po;
	size_t i;
	int rc;

	for (i = 0; i < t->nb; i++)
		if (files_give_tree(t, t->bdirs[i]) != 0)
			return (warnp_errno_status(errno));
	if ((args = calloc(t->nb + 4, sizeof(*args))) == NULL)
		return (EX_FAILURE);
	args[0] = "import";
	args[1] = t->ks;
	args[2] = t->name;
	for (i = 0; i < t->nb; i++)
		args[3 + i] = t->bdirs[i];
	rc = casstool_nodetool(&x->o->tool, args, &po, 0);
	free(args);
	if (rc != 0)
		return (rc);
	if (strstr(po.out, "Some directories failed to import") != NULL) {
		warn0("nodetool import %s %s failed:", t->ks, t->name);
		casstool_relay("nodetool", po.out);
		rc = EX_FAILURE;
	}
	proc_out_free(&po);
	return (rc != 0 ? rc : import_left(t));
}

/* ---------------------------------------------------------- refresh */

static int
refresh_table(struct ctx *x, struct rtable *t)
{
	const char *args[] = { "refresh", t->ks, t->name, NULL };
	int rc;

	if ((rc = files_load(x, t, 0)) != 0)
		return (rc);
	return (casstool_nodetool_do(&x->o->tool, args));
}

/* ------------------------------------------------------------ a run */

/* Keep the worst table failure: a specific status over a plain 1. */
static void
note_failure(struct ctx *x, int rc)
{

	if (x->failed == 0 || x->failed == EX_FAILURE)
		x->failed = rc;
}

int
load_table(struct ctx *x, struct rtable *t, load_fn *fn, const void *arg)
{
	int rc;

	if (t->done)
		return (load_record(x, t, "already"));
	if (files_count(t) != 0)
		rc = EX_FAILURE;
	else if (t->nsst == 0)
		return (load_record(x, t, "empty"));
	else if (fn == NULL)
		return (load_record(x, t, "mapped"));
	else
		rc = fn(x, t, arg);
	if (rc == 0 && (rc = load_journal_add(x, t)) == 0)
		return (load_record(x, t, "loaded"));
	note_failure(x, rc);
	return (load_record(x, t, "failed"));
}

static int
import_fn(struct ctx *x, struct rtable *t, const void *arg)
{

	(void)arg;
	return (import_table(x, t));
}

static int
refresh_fn(struct ctx *x, struct rtable *t, const void *arg)
{

	(void)arg;
	return (refresh_table(x, t));
}

int
load_run(struct ctx *x)
{
	load_fn *fn;
	size_t i;
	int rc;

	if (strcmp(x->o->mode, "import") == 0 && (node_major(x, &rc) < 0 ||
	    rc != 0))
		return (rc);
	fn = strcmp(x->o->mode, "map") == 0 ? NULL :
	    strcmp(x->o->mode, "import") == 0 ? import_fn : refresh_fn;
	for (i = 0; i < x->map.n; i++)
		if (load_table(x, &x->map.t[i], fn, NULL) != 0)
			return (EX_FAILURE);
	return (x->failed);
}
