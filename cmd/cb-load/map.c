/*
 * The table map: each restored table directory RESTORE_DIR/KS/TABLE-ID
 * to the live table of that keyspace and name, whatever its id.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casspath.h"
#include "load.h"
#include "node.h"
#include "warnp.h"

static int
selected_ks(const struct opts *o, const char *ks)
{
	size_t i;

	if (o->nks == 0)
		return (!node_keyspace_is_system(ks));
	for (i = 0; i < o->nks; i++)
		if (strcmp(o->ks[i], ks) == 0)
			return (1);
	return (0);
}

static struct rtable *
table_get(struct tmap *m, const char *ks, const struct casspath_span *tn)
{
	struct rtable *t, *nt;
	size_t i;

	for (i = 0; i < m->n; i++) {
		t = &m->t[i];
		if (strcmp(t->ks, ks) == 0 && strlen(t->name) == tn->len &&
		    strncmp(t->name, tn->p, tn->len) == 0)
			return (t);
	}
	if ((nt = realloc(m->t, (m->n + 1) * sizeof(*nt))) == NULL)
		return (NULL);
	m->t = nt;
	t = &m->t[m->n];
	memset(t, 0, sizeof(*t));
	if ((t->ks = strdup(ks)) == NULL ||
	    (t->name = strndup(tn->p, tn->len)) == NULL) {
		free(t->ks);
		return (NULL);
	}
	m->n++;
	return (t);
}

static int
table_add_dir(struct rtable *t, const char *path, const struct casspath_span *id)
{
	char **nd, **ni;

	if ((nd = realloc(t->bdirs, (t->nb + 1) * sizeof(*nd))) == NULL)
		return (-1);
	t->bdirs = nd;
	if ((ni = realloc(t->bids, (t->nb + 1) * sizeof(*ni))) == NULL)
		return (-1);
	t->bids = ni;
	if ((t->bdirs[t->nb] = strdup(path)) == NULL)
		return (-1);
	if ((t->bids[t->nb] = strndup(id->p, id->len)) == NULL) {
		free(t->bdirs[t->nb]);
		return (-1);
	}
	t->nb++;
	return (0);
}

static int
only_dirs(const struct dirent *de)
{

	return (de->d_name[0] != '.' && (de->d_type == DT_DIR ||
	    de->d_type == DT_UNKNOWN));
}

/* The table directories of keyspace ks in the restore directory. */
static int
scan_keyspace(struct ctx *x, const char *ks)
{
	struct casspath_span tn, id;
	struct dirent **de = NULL;
	struct rtable *t;
	char path[PATH_MAX];
	int i, n, rc = 0;

	snprintf(path, sizeof(path), "%s/%s", x->o->restore_dir, ks);
	if ((n = scandir(path, &de, only_dirs, alphasort)) < 0) {
		warnp("cannot read '%s'", path);
		return (EX_DATAERR);
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && casspath_tabledir_parse(de[i]->d_name, &tn,
		    &id) == 0 && (x->o->table == NULL ||
		    (strlen(x->o->table) == tn.len &&
		    strncmp(x->o->table, tn.p, tn.len) == 0))) {
			snprintf(path, sizeof(path), "%s/%s/%s",
			    x->o->restore_dir, ks, de[i]->d_name);
			if ((t = table_get(&x->map, ks, &tn)) == NULL ||
			    table_add_dir(t, path, &id) != 0) {
				warnp("cannot read '%s'", path);
				rc = EX_FAILURE;
			}
		}
		free(de[i]);
	}
	free(de);
	return (rc);
}

static int
scan_restore_dir(struct ctx *x)
{
	struct dirent **de = NULL;
	int i, n, rc = 0;

	if ((n = scandir(x->o->restore_dir, &de, only_dirs, alphasort)) < 0) {
		warnp("cannot read the restore directory '%s'",
		    x->o->restore_dir);
		return (EX_DATAERR);
	}
	for (i = 0; i < n; i++) {
		if (rc == 0 && casspath_is_word(de[i]->d_name,
		    strlen(de[i]->d_name)) && selected_ks(x->o, de[i]->d_name))
			rc = scan_keyspace(x, de[i]->d_name);
		free(de[i]);
	}
	free(de);
	return (rc);
}

/* ------------------------------------------------------ live schema */

static const char *const cols_new[] = { "keyspace_name", "table_name", "id" };
static const char *const cols_old[] = { "keyspace_name", "columnfamily_name",
    "cf_id" };

#define Q_NEW	"SELECT keyspace_name, table_name, id FROM system_schema.tables"
#define Q_OLD	"SELECT keyspace_name, columnfamily_name, cf_id FROM " \
		"system.schema_columnfamilies"

/* A UUID as cqlsh prints it, to the 32 hex digits of a directory name. */
static int
id_compact(const char *uuid, char *out)
{
	size_t n = 0;

	for (; *uuid != '\0'; uuid++) {
		if (*uuid == '-')
			continue;
		if (n == 32 || strchr("0123456789abcdef", *uuid) == NULL)
			return (-1);
		out[n++] = *uuid;
	}
	out[n] = '\0';
	return (n == 32 ? 0 : -1);
}

/* Set the live ids of the map's tables from the rows. */
static int
live_from_rows(struct ctx *x, const struct cqlsh_rows *r)
{
	char id[33];
	const char *ks, *tn;
	size_t i, j;

	for (i = 0; i < r->nrows; i++) {
		ks = r->cell[i * 3];
		tn = r->cell[i * 3 + 1];
		for (j = 0; j < x->map.n; j++) {
			if (strcmp(x->map.t[j].ks, ks) != 0 ||
			    strcmp(x->map.t[j].name, tn) != 0)
				continue;
			if (id_compact(r->cell[i * 3 + 2], id) != 0) {
				warn0("cannot read cqlsh output: table id '%s' "
				    "of %s.%s", r->cell[i * 3 + 2], ks, tn);
				return (-1);
			}
			free(x->map.t[j].live_id);
			if ((x->map.t[j].live_id = strdup(id)) == NULL)
				return (-1);
		}
	}
	return (0);
}

/* Run one of the queries; 0 and rows, or cqlsh's status (po kept). */
static int
live_query(struct ctx *x, const char *path, int old, struct cqlsh_rows *r,
    struct proc_out *po)
{
	int st;

	st = cqlsh_run(path, x->creds, x->conf, old ? Q_OLD : Q_NEW, po);
	if (st != 0)
		return (st);
	if (cqlsh_parse_rows(po->out, 3, old ? cols_old : cols_new, r) != 0)
		return (-1);
	return (0);
}

/*
 * The live ids from cqlsh: 0, 1 if cqlsh cannot give them (the caller
 * falls back to the disk), or an exit status.
 */
static int
live_ids(struct ctx *x)
{
	struct proc_out po = { NULL, 0, NULL, 0 };
	struct cqlsh_rows r;
	char path[PATH_MAX];
	int st;

	if (casstool_path(&x->o->tool, "cqlsh", path, sizeof(path)) != 0)
		return (1);
	st = live_query(x, path, 0, &r, &po);
	if (st > 0 && !cqlsh_connect_failed(&po) &&
	    !cqlsh_bad_credentials(&po)) {
		/* 2.1 and 2.2 have no system_schema. */
		proc_out_free(&po);
		st = live_query(x, path, 1, &r, &po);
	}
	if (st > 0 && x->o->cq.user != NULL && cqlsh_bad_credentials(&po)) {
		warn0("cqlsh refused the credentials of user '%s':",
		    x->o->cq.user);
		casstool_relay("cqlsh", po.err);
		proc_out_free(&po);
		return (EX_NOPERM);
	}
	if (st > 0) {
		warn0("cqlsh failed (exit %d):", st);
		casstool_relay("cqlsh", po.err);
	}
	proc_out_free(&po);
	if (st != 0)
		return (1);
	st = live_from_rows(x, &r) == 0 ? 0 : EX_FAILURE;
	cqlsh_rows_free(&r);
	return (st);
}

/* Add the id of dir name (TABLE-ID of table tn) to ids if new. */
static int
disk_id(const char *dname, const char *tn, char ids[][33], size_t *n)
{
	struct casspath_span t, id;
	size_t i;

	if (casspath_tabledir_parse(dname, &t, &id) != 0 || id.len != 32 ||
	    strlen(tn) != t.len || strncmp(tn, t.p, t.len) != 0)
		return (0);
	for (i = 0; i < *n; i++)
		if (strncmp(ids[i], id.p, 32) == 0)
			return (0);
	if (*n < 8) {
		memcpy(ids[*n], id.p, 32);
		ids[*n][32] = '\0';
	}
	(*n)++;
	return (0);
}

/* Without cqlsh: the one directory of the table across the data dirs. */
static int
live_from_disk(struct ctx *x, struct rtable *t)
{
	char path[PATH_MAX], ids[8][33];
	struct dirent *de;
	size_t i, n = 0;
	DIR *d;

	for (i = 0; i < x->conf->ndata_dirs; i++) {
		snprintf(path, sizeof(path), "%s/%s", x->conf->data_dirs[i],
		    t->ks);
		if ((d = opendir(path)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL)
			disk_id(de->d_name, t->name, ids, &n);
		closedir(d);
	}
	if (n == 1) {
		if (!x->o->quiet)
			warnp_warning("%s.%s: the live table taken to be "
			    "the one directory %s-%s (cqlsh failed)", t->ks,
			    t->name, t->name, ids[0]);
		return ((t->live_id = strdup(ids[0])) != NULL ? 0 : EX_FAILURE);
	}
	if (n == 0)
		return (0);
	warn0("cannot tell which of the %zu directories of %s.%s is the live "
	    "table without cqlsh", n, t->ks, t->name);
	return (EX_UNAVAILABLE);
}

/* ------------------------------------------------------------- map */

/* Tell what a reader of the map should know about t. */
static void
map_notes(const struct ctx *x, const struct rtable *t)
{
	char list[1024] = "";
	size_t i, len = 0;

	for (i = 0; i < t->nb; i++) {
		if (strcmp(t->bids[i], t->live_id) != 0)
			warn0("%s.%s: the backup's table id %s is not the live "
			    "id %s", t->ks, t->name, t->bids[i][0] != '\0' ?
			    t->bids[i] : "(none)", t->live_id);
		if (len < sizeof(list))
			len += (size_t)snprintf(list + len, sizeof(list) - len,
			    "%s'%s'", i > 0 ? ", " : "", t->bdirs[i]);
	}
	if (t->nb > 1 && !x->o->quiet)
		warnp_warning("%s.%s: %zu restored directories (a dropped "
		    "incarnation in the backup), all loaded: %s", t->ks,
		    t->name, t->nb, list);
}

int
map_build(struct ctx *x)
{
	size_t i, missing = 0;
	int rc, fallback;

	if ((rc = scan_restore_dir(x)) != 0)
		return (rc);
	if (x->map.n == 0) {
		warn0("no restored table directory in '%s' for the selection",
		    x->o->restore_dir);
		return (EX_DATAERR);
	}
	if ((rc = live_ids(x)) > 1)
		return (rc);
	fallback = rc == 1;
	for (i = 0; i < x->map.n; i++) {
		if (fallback && (rc = live_from_disk(x, &x->map.t[i])) != 0)
			return (rc);
		if (x->map.t[i].live_id == NULL) {
			warn0("table %s.%s is not in the live schema (restore "
			    "--schema creates it)", x->map.t[i].ks,
			    x->map.t[i].name);
			missing++;
		} else
			map_notes(x, &x->map.t[i]);
	}
	return (missing > 0 ? EX_DATAERR : 0);
}

void
map_free(struct tmap *m)
{
	size_t i, j;

	for (i = 0; i < m->n; i++) {
		for (j = 0; j < m->t[i].nb; j++) {
			free(m->t[i].bdirs[j]);
			free(m->t[i].bids[j]);
		}
		free(m->t[i].bdirs);
		free(m->t[i].bids);
		free(m->t[i].ks);
		free(m->t[i].name);
		free(m->t[i].live_id);
	}
	free(m->t);
	m->t = NULL;
	m->n = 0;
}

int
map_live_dir(const struct ctx *x, const struct rtable *t, size_t dd,
    char *buf, size_t size)
{
	int n;

	if (t->live_id[0] == '\0')
		n = snprintf(buf, size, "%s/%s/%s", x->conf->data_dirs[dd],
		    t->ks, t->name);
	else
		n = snprintf(buf, size, "%s/%s/%s-%s", x->conf->data_dirs[dd],
		    t->ks, t->name, t->live_id);
	if (n < 0 || (size_t)n >= size) {
		warn0("cannot load %s.%s: path too long", t->ks, t->name);
		return (-1);
	}
	return (0);
}

/* ----------------------------------------------------------- owners */

/* The owner of the live table directory, else of the keyspace's or
 * the data directory. */
static int
owner_of_live(const struct ctx *x, struct rtable *t)
{
	char path[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < x->conf->ndata_dirs; i++)
		if (map_live_dir(x, t, i, path, sizeof(path)) == 0 &&
		    stat(path, &sb) == 0)
			goto found;
	snprintf(path, sizeof(path), "%s/%s", x->conf->data_dirs[0], t->ks);
	if (stat(path, &sb) == 0 || stat(x->conf->data_dirs[0], &sb) == 0)
		goto found;
	warnp("cannot find who owns the files of %s.%s in '%s'", t->ks,
	    t->name, x->conf->data_dirs[0]);
	return (EX_FAILURE);
found:
	t->uid = sb.st_uid;
	t->gid = sb.st_gid;
	return (0);
}

int
map_owners(struct ctx *x)
{
	struct passwd *pw = NULL;
	struct rtable *t;
	size_t i;
	int rc;

	if (x->o->owner != NULL && (pw = getpwnam(x->o->owner)) == NULL) {
		warn0("no such user '%s' (--owner)", x->o->owner);
		return (EX_USAGE);
	}
	for (i = 0; i < x->map.n; i++) {
		t = &x->map.t[i];
		if (pw != NULL) {
			t->uid = pw->pw_uid;
			t->gid = pw->pw_gid;
		} else if ((rc = owner_of_live(x, t)) != 0)
			return (rc);
		if (geteuid() != 0 && t->uid != geteuid()) {
			pw = getpwuid(t->uid);
			warn0("the files of %s.%s must belong to '%s' (uid %lu), "
			    "and only root can give them: run cb-load with sudo "
			    "(--use-sudo)", t->ks, t->name, pw != NULL ?
			    pw->pw_name : "?", (unsigned long)t->uid);
			return (EX_NOPERM);
		}
	}
	return (0);
}
