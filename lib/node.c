#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "casspath.h"
#include "node.h"
#include "warnp.h"

/* ------------------------------------------------------------ names */

static int
starts(const char *s, const char *prefix)
{

	return (strncmp(s, prefix, strlen(prefix)) == 0);
}

static int
ends(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return (ls >= lx && strcmp(s + ls - lx, suffix) == 0);
}

int
node_name_is_skipped(const char *name)
{
	const char *p;

	if (ends(name, ".tmp") || starts(name, "tmp-") ||
	    starts(name, "tmplink-") || strcmp(name, "ephemeral.snapshot") == 0)
		return (1);
	if (strstr(name, "_txn_") != NULL && ends(name, ".log"))
		return (1);
	/* 2.1: KS-TABLE-tmp-ka-N-Component, KS-TABLE-tmplink-ka-N-... */
	if ((p = strchr(name, '-')) != NULL && p != name &&
	    (p = strchr(p + 1, '-')) != NULL && p[-1] != '-' &&
	    (starts(p + 1, "tmp-") || starts(p + 1, "tmplink-")))
		return (1);
	return (0);
}

int
node_keyspace_is_system(const char *ks)
{

	return (strcmp(ks, "system") == 0 || starts(ks, "system_"));
}

/* ------------------------------------------------------------ paths */

int
node_path_key(const char *path, char *buf, size_t size)
{
	struct casspath np;
	const char *tail;
	size_t head, rest;

	if (casspath_parse(path, &np) != 0) {
		rest = strlen(path);
		if (rest + 1 > size)
			return (-1);
		memcpy(buf, path, rest + 1);
		return ((int)rest);
	}
	head = (size_t)(np.tabledir.p + np.tabledir.len - path) + 1;
	tail = np.index.len > 0 ? np.index.p - 1 : np.name.p;
	rest = strlen(tail);
	if (head + rest + 1 > size || head + rest > INT_MAX)
		return (-1);
	memcpy(buf, path, head);
	memcpy(buf + head, tail, rest + 1);
	return ((int)(head + rest));
}

/* -------------------------------------------------------- selection */

struct sel_item {
	char	*ks;		/* NULL: any keyspace (tables only) */
	char	*table;		/* NULL for keyspace items */
	size_t	 hits;
};

struct sel_list {
	struct sel_item	*v;
	size_t		 n;
};

struct node_select {
	struct sel_list	 keyspaces, tables, excludes;
	int		 no_system;
};

struct node_select *
node_select_new(void)
{

	return (calloc(1, sizeof(struct node_select)));
}

static void
sel_list_free(struct sel_list *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].ks);
		free(l->v[i].table);
	}
	free(l->v);
}

void
node_select_free(struct node_select *s)
{

	if (s == NULL)
		return;
	sel_list_free(&s->keyspaces);
	sel_list_free(&s->tables);
	sel_list_free(&s->excludes);
	free(s);
}

/* Add one item "NAME" or (if tables) "KS.NAME" to l. */
static int
sel_add(struct sel_list *l, const char *item, size_t len, int tables,
    const char *what)
{
	struct sel_item *v, it = { NULL, NULL, 0 };
	const char *dot = memchr(item, '.', len);
	size_t kl = dot != NULL ? (size_t)(dot - item) : 0;
	const char *name = dot != NULL ? dot + 1 : item;
	size_t nl = len - (size_t)(name - item);

	if ((dot != NULL && (!tables || !casspath_is_word(item, kl))) ||
	    !casspath_is_word(name, nl)) {
		warn0("invalid %s '%.*s': expected %s", what, (int)len, item,
		    tables ? "TABLE or KEYSPACE.TABLE" : "a keyspace name");
		return (-1);
	}
	if ((v = realloc(l->v, (l->n + 1) * sizeof(*v))) == NULL)
		goto nomem;
	l->v = v;
	if ((dot != NULL && (it.ks = strndup(item, kl)) == NULL) ||
	    (!tables && (it.ks = strndup(name, nl)) == NULL) ||
	    (tables && (it.table = strndup(name, nl)) == NULL)) {
		free(it.ks);
		goto nomem;
	}
	l->v[l->n++] = it;
	return (0);
nomem:
	warnp("cannot add %s", what);
	return (-1);
}

static int
sel_parse(struct sel_list *l, const char *list, int tables, const char *what)
{
	const char *p = list, *comma;
	size_t len;

	for (;;) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		if (sel_add(l, p, len, tables, what) != 0)
			return (-1);
		if (comma == NULL)
			return (0);
		p = comma + 1;
	}
}

int
node_select_keyspaces(struct node_select *s, const char *list)
{

	return (sel_parse(&s->keyspaces, list, 0, "keyspace"));
}

int
node_select_tables(struct node_select *s, const char *list)
{

	return (sel_parse(&s->tables, list, 1, "table"));
}

int
node_select_exclude(struct node_select *s, const char *list)
{

	return (sel_parse(&s->excludes, list, 1, "excluded table"));
}

void
node_select_no_system(struct node_select *s)
{

	s->no_system = 1;
}

/* Does the keyspace pass the keyspace filters?  Counts hits. */
static int
sel_keyspace(struct node_select *s, const char *ks)
{
	size_t i;
	int ok;

	if (s == NULL)
		return (1);
	if (s->no_system && node_keyspace_is_system(ks))
		return (0);
	if (s->keyspaces.n == 0)
		return (1);
	for (i = 0, ok = 0; i < s->keyspaces.n; i++) {
		if (strcmp(s->keyspaces.v[i].ks, ks) == 0) {
			s->keyspaces.v[i].hits++;
			ok = 1;
		}
	}
	return (ok);
}

/* Count the items of l matching ks.table; returns how many matched. */
static size_t
sel_match(struct sel_list *l, const char *ks, const char *table)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		if ((l->v[i].ks == NULL || strcmp(l->v[i].ks, ks) == 0) &&
		    strcmp(l->v[i].table, table) == 0) {
			l->v[i].hits++;
			n++;
		}
	}
	return (n);
}

static int
sel_table(struct node_select *s, const char *ks, const char *table)
{

	if (s == NULL)
		return (1);
	if (s->tables.n > 0 && sel_match(&s->tables, ks, table) == 0)
		return (0);
	return (sel_match(&s->excludes, ks, table) == 0);
}

static size_t
sel_report(const struct sel_list *l, const char *what)
{
	size_t i, n = 0;

	for (i = 0; i < l->n; i++) {
		if (l->v[i].hits > 0)
			continue;
		if (l->v[i].table == NULL)
			warn0("%s '%s' matches no keyspace directory", what,
			    l->v[i].ks);
		else
			warn0("%s '%s%s%s' matches no table directory", what,
			    l->v[i].ks ? l->v[i].ks : "", l->v[i].ks ? "." : "",
			    l->v[i].table);
		n++;
	}
	return (n);
}

size_t
node_select_report(const struct node_select *s)
{
	size_t n;

	if (s == NULL)
		return (0);
	n = sel_report(&s->keyspaces, "keyspace");
	n += sel_report(&s->tables, "table");
	(void)sel_report(&s->excludes, "excluded table");
	return (n);
}

/* ------------------------------------------------------------- walk */

/* The names of one directory, sorted: each entry is d_type then name. */
struct dlist {
	char	*buf;
	size_t	 len, cap;
	char	**ent;
	size_t	 n, ecap;
};

static void
dlist_free(struct dlist *d)
{

	free(d->buf);
	free(d->ent);
}

static int
ent_cmp(const void *a, const void *b)
{

	return (strcmp(*(char *const *)a + 1, *(char *const *)b + 1));
}

static int
dlist_add(struct dlist *d, const struct dirent *de)
{
	size_t nl = strlen(de->d_name) + 2;
	char *nb;

	if (d->len + nl > d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 4096;

		while (ncap < d->len + nl)
			ncap *= 2;
		if ((nb = realloc(d->buf, ncap)) == NULL)
			return (-1);
		d->buf = nb;
		d->cap = ncap;
	}
	d->buf[d->len] = (char)de->d_type;
	memcpy(d->buf + d->len + 1, de->d_name, nl - 1);
	d->len += nl;
	d->n++;
	return (0);
}

/* Read directory fd (consumed) into d, sorted.  Returns 0 or -1. */
static int
dlist_read(struct dlist *d, int fd)
{
	struct dirent *de;
	DIR *dir;
	size_t i, off;
	char **ne;

	d->len = d->n = 0;
	if ((dir = fdopendir(fd)) == NULL) {
		close(fd);
		return (-1);
	}
	errno = 0;
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (dlist_add(d, de) != 0)
			goto fail;
	}
	if (errno != 0)
		goto fail;
	closedir(dir);
	if (d->n > d->ecap) {
		if ((ne = realloc(d->ent, d->n * sizeof(char *))) == NULL)
			return (-1);
		d->ent = ne;
		d->ecap = d->n;
	}
	for (i = 0, off = 0; i < d->n; i++) {
		d->ent[i] = d->buf + off;
		off += strlen(d->buf + off + 1) + 2;
	}
	if (d->n > 1)
		qsort(d->ent, d->n, sizeof(char *), ent_cmp);
	return (0);
fail:
	closedir(dir);
	return (-1);
}

struct walk {
	const struct node_walk *w;
	node_file_fn	*fn;
	void		*cookie;
	struct node_walk_stats *st;
	struct dlist	 lists[4];
	char		 path[PATH_MAX];
	size_t		 plen;
	struct node_file f;
	char		 prev_table[NAME_MAX + 1];
};

/* Append "/name" to the path; returns the old length, or -1 if too long. */
static long
path_push(struct walk *wk, const char *name)
{
	size_t old = wk->plen, nl = strlen(name);

	if (old + 1 + nl + 1 > sizeof(wk->path)) {
		errno = ENAMETOOLONG;
		warnp("cannot walk '%s/%s'", wk->path, name);
		return (-1);
	}
	wk->path[old] = '/';
	memcpy(wk->path + old + 1, name, nl + 1);
	wk->plen = old + 1 + nl;
	return ((long)old);
}

static void
path_pop(struct walk *wk, long old)
{

	wk->plen = (size_t)old;
	wk->path[old] = '\0';
}

/* Open wk->path as a directory; ENOENT/ENOTDIR give -2 when soft. */
static int
walk_open(struct walk *wk, int soft)
{
	int fd;

	if ((fd = open(wk->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		return (fd);
	if (soft && (errno == ENOENT || errno == ENOTDIR))
		return (-2);
	warnp("cannot open directory '%s'", wk->path);
	return (-1);
}

static int
walk_list(struct walk *wk, int level, int fd)
{

	if (dlist_read(&wk->lists[level], fd) != 0) {
		warnp("cannot read directory '%s'", wk->path);
		return (-1);
	}
	return (0);
}

/* One file of a snapshot or backups dir (or of an index dir in it). */
static int
walk_file(struct walk *wk, int dfd, const char *name, const char *index)
{
	struct stat sb;
	long old;
	int rc;

	if (node_name_is_skipped(name)) {
		wk->st->skipped++;
		return (0);
	}
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		warnp("cannot stat '%s/%s'", wk->path, name);
		return (-1);
	}
	if ((old = path_push(wk, name)) < 0)
		return (-1);
	if (!S_ISREG(sb.st_mode)) {
		wk->st->skipped++;
		wk->st->odd++;
		if (wk->w->odd != NULL)
			wk->w->odd(wk->cookie, wk->path);
		path_pop(wk, old);
		return (0);
	}
	wk->f.path = wk->path;
	wk->f.st = &sb;
	wk->f.index = index;
	wk->f.name = wk->path + old + 1;
	wk->st->files++;
	rc = wk->fn(wk->cookie, &wk->f);
	path_pop(wk, old);
	return (rc);
}

/* Is entry e of directory dfd a directory?  d_type may be DT_UNKNOWN. */
static int
ent_is_dir(int dfd, const char *e)
{
	struct stat sb;

	if ((unsigned char)e[0] != DT_UNKNOWN)
		return ((unsigned char)e[0] == DT_DIR);
	return (fstatat(dfd, e + 1, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISDIR(sb.st_mode));
}

/*
 * The files of directory wk->path, open as fd (consumed); level 3 is an
 * index directory .INDEX/ inside a snapshot or backups dir.
 */
static int
walk_files(struct walk *wk, int level, const char *index, int fd)
{
	struct dlist *d = &wk->lists[level];
	const char *name;
	size_t i;
	long old;
	int dfd, rc = 0;

	if ((dfd = dup(fd)) < 0) {
		warnp("cannot read directory '%s'", wk->path);
		close(fd);
		return (-1);
	}
	if (walk_list(wk, level, fd) != 0) {
		close(dfd);
		return (-1);
	}
	for (i = 0; i < d->n && rc == 0; i++) {
		name = d->ent[i] + 1;
		if (level == 2 && name[0] == '.' && name[1] != '\0' &&
		    ent_is_dir(dfd, d->ent[i])) {
			if ((old = path_push(wk, name)) < 0) {
				rc = -1;
				break;
			}
			if ((fd = walk_open(wk, 0)) < 0)
				rc = -1;
			else
				rc = walk_files(wk, 3, name + 1, fd);
			path_pop(wk, old);
			continue;
		}
		rc = walk_file(wk, dfd, name, index);
	}
	close(dfd);
	return (rc);
}

/* Push snapshots/TAG or backups onto the path. */
static int
walk_push_kind(struct walk *wk)
{

	if (wk->w->kind == CASSPATH_BACKUPS)
		return (path_push(wk, "backups") < 0 ? -1 : 0);
	if (path_push(wk, "snapshots") < 0 || path_push(wk, wk->w->tag) < 0)
		return (-1);
	return (0);
}

/* Note a table name seen again in one keyspace: dropped and recreated. */
static void
walk_note_table(struct walk *wk, const struct casspath_span *table)
{

	if (strlen(wk->prev_table) == table->len &&
	    memcmp(wk->prev_table, table->p, table->len) == 0)
		wk->st->multi++;
	memcpy(wk->prev_table, table->p, table->len);
	wk->prev_table[table->len] = '\0';
}

/* The snapshots/TAG or backups dir of table dir tdir, if present. */
static int
walk_table(struct walk *wk, const char *ks, const char *tdir)
{
	struct casspath_span table, id;
	long old;
	int fd, rc = 0;

	(void)casspath_tabledir_parse(tdir, &table, &id);
	wk->st->tabledirs++;
	if ((old = path_push(wk, tdir)) < 0)
		return (-1);
	wk->f.keyspace = ks;
	wk->f.tabledir = tdir;
	wk->f.tdir_len = wk->plen + 1;
	if (walk_push_kind(wk) != 0)
		rc = -1;
	else if ((fd = walk_open(wk, 1)) == -1)
		rc = -1;
	else if (fd >= 0) {
		wk->st->kinddirs++;
		walk_note_table(wk, &table);
		wk->f.rel_off = wk->plen + 1;
		rc = walk_files(wk, 2, NULL, fd);
	}
	path_pop(wk, old);
	return (rc);
}

static int
walk_keyspace(struct walk *wk, const char *ks)
{
	struct dlist *d = &wk->lists[1];
	struct casspath_span table, id;
	char tname[NAME_MAX + 1];
	size_t i;
	long old;
	int fd, rc = 0;

	if ((old = path_push(wk, ks)) < 0)
		return (-1);
	if ((fd = walk_open(wk, 1)) == -2) {
		path_pop(wk, old);
		return (0);
	}
	if (fd < 0 || walk_list(wk, 1, fd) != 0) {
		path_pop(wk, old);
		return (-1);
	}
	wk->prev_table[0] = '\0';
	for (i = 0; i < d->n && rc == 0; i++) {
		const char *tdir = d->ent[i] + 1;

		if (casspath_tabledir_parse(tdir, &table, &id) != 0)
			continue;
		memcpy(tname, table.p, table.len);
		tname[table.len] = '\0';
		if (!sel_table(wk->w->sel, ks, tname))
			continue;
		rc = walk_table(wk, ks, tdir);
	}
	path_pop(wk, old);
	return (rc);
}

static int
walk_datadir(struct walk *wk, const char *dd)
{
	struct dlist *d = &wk->lists[0];
	size_t i, len = strlen(dd);
	int fd, rc = 0;

	if (len >= sizeof(wk->path)) {
		errno = ENAMETOOLONG;
		warnp("cannot open data directory '%s'", dd);
		return (-1);
	}
	memcpy(wk->path, dd, len + 1);
	wk->plen = strcmp(dd, "/") == 0 ? 0 : len;
	if ((fd = walk_open(wk, 0)) < 0 || walk_list(wk, 0, fd) != 0)
		return (-1);
	for (i = 0; i < d->n && rc == 0; i++) {
		const char *ks = d->ent[i] + 1;

		if (!casspath_is_word(ks, strlen(ks)) ||
		    !sel_keyspace(wk->w->sel, ks))
			continue;
		rc = walk_keyspace(wk, ks);
	}
	return (rc);
}

int
node_walk(const struct node_walk *w, node_file_fn *fn, void *cookie,
    struct node_walk_stats *stats)
{
	struct walk *wk;
	size_t i;
	int rc = 0, saved;

	memset(stats, 0, sizeof(*stats));
	if (w->kind == CASSPATH_LIVE || (w->kind == CASSPATH_SNAPSHOT &&
	    (w->tag == NULL || *w->tag == '\0' || strchr(w->tag, '/')))) {
		errno = EINVAL;
		warnp("cannot walk data directories");
		return (-1);
	}
	if ((wk = calloc(1, sizeof(*wk))) == NULL) {
		warnp("cannot walk data directories");
		return (-1);
	}
	wk->w = w;
	wk->fn = fn;
	wk->cookie = cookie;
	wk->st = stats;
	for (i = 0; i < w->ndatadirs && rc == 0; i++)
		rc = walk_datadir(wk, w->datadirs[i]);
	saved = errno;
	for (i = 0; i < 4; i++)
		dlist_free(&wk->lists[i]);
	free(wk);
	errno = saved;
	return (rc);
}

/* ----------------------------------------------------------- removal */

/* Does path hold an empty, "." or ".." segment? */
static int
path_has_dots(const char *path)
{
	const char *p = path, *e;
	size_t len;

	for (;;) {
		e = strchr(p, '/');
		len = e != NULL ? (size_t)(e - p) : strlen(p);
		if ((p != path && len == 0) || (len == 1 && p[0] == '.') ||
		    (len == 2 && p[0] == '.' && p[1] == '.'))
			return (1);
		if (e == NULL)
			return (0);
		p = e + 1;
	}
}

static int
backup_path_ok(const char *path, char *const *datadirs, size_t n)
{
	struct casspath np;
	size_t i, len;

	if (path[0] != '/' || path_has_dots(path))
		return (0);
	for (i = 0; i < n; i++) {
		len = strcmp(datadirs[i], "/") == 0 ? 0 : strlen(datadirs[i]);
		/* Read from its data directory on: nothing is ambiguous. */
		if (strncmp(datadirs[i], path, len) == 0 &&
		    casspath_parse_under(path, len, &np) == 0 &&
		    np.kind == CASSPATH_BACKUPS)
			return (1);
	}
	return (0);
}

int
node_backup_remove(const char *path, char *const *datadirs, size_t n,
    uint64_t size, int64_t mtime_ns, uint64_t ino)
{
	struct stat sb;
	int64_t ns;

	if (!backup_path_ok(path, datadirs, n))
		return (NODE_REMOVE_REFUSED);
	if (lstat(path, &sb) != 0) {
		if (errno == ENOENT)
			return (NODE_REMOVE_GONE);
		warnp("cannot stat '%s'", path);
		return (-1);
	}
	ns = (int64_t)sb.st_mtim.tv_sec * 1000000000 + sb.st_mtim.tv_nsec;
	if (!S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != size ||
	    ns != mtime_ns || (uint64_t)sb.st_ino != ino)
		return (NODE_REMOVE_CHANGED);
	if (unlink(path) != 0) {
		if (errno == ENOENT)
			return (NODE_REMOVE_GONE);
		warnp("cannot remove '%s'", path);
		return (-1);
	}
	return (NODE_REMOVED);
}

/* Append the components of rest to buf (len used), lexically. */
static int
resolve_append(char *buf, size_t size, const char *rest)
{
	size_t len = strlen(buf), n;
	const char *e;

	for (; *rest != '\0'; rest = *e ? e + 1 : e) {
		if ((e = strchr(rest, '/')) == NULL)
			e = rest + strlen(rest);
		n = (size_t)(e - rest);
		if (n == 0 || (n == 1 && rest[0] == '.'))
			continue;
		if (n == 2 && rest[0] == '.' && rest[1] == '.') {
			while (len > 1 && buf[len - 1] != '/')
				len--;
			if (len > 1)
				len--;
			buf[len] = '\0';
			continue;
		}
		if (len + n + 2 > size) {
			errno = ENAMETOOLONG;
			return (-1);
		}
		if (len > 1)
			buf[len++] = '/';
		memcpy(buf + len, rest, n);
		len += n;
		buf[len] = '\0';
	}
	return (0);
}

char *
node_path_resolve(const char *path)
{
	char buf[PATH_MAX], *pre, *cut, *real;

	if (path[0] != '/') {
		errno = EINVAL;
		return (NULL);
	}
	if ((pre = strdup(path)) == NULL)
		return (NULL);
	/* The longest prefix that exists, resolved; then the rest. */
	for (;;) {
		if ((real = realpath(pre, NULL)) != NULL)
			break;
		if ((cut = strrchr(pre, '/')) == NULL || cut == pre) {
			pre[1] = '\0';
			if ((real = realpath("/", NULL)) == NULL) {
				free(pre);
				return (NULL);
			}
			break;
		}
		*cut = '\0';
	}
	snprintf(buf, sizeof(buf), "%s", real);
	free(real);
	if (resolve_append(buf, sizeof(buf), path + strlen(pre)) != 0) {
		free(pre);
		return (NULL);
	}
	free(pre);
	return (strdup(buf));
}

int
node_path_within(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	if (strcmp(dir, "/") == 0)
		return (1);
	return (strncmp(path, dir, n) == 0 &&
	    (path[n] == '\0' || path[n] == '/'));
}
