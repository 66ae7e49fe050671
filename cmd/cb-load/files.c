/*
 * Moving sstables: the restored ones into a live table directory (new
 * generations where theirs are taken), the live ones aside into a
 * snapshot, and giving files to the owner Cassandra runs as.
 */

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmove.h"
#include "load.h"
#include "node.h"
#include "sstname.h"
#include "strset.h"
#include "warnp.h"

/* One sstable: the files of one prefix in one directory. */
struct sst {
	char		*dir;		/* where its files are */
	char		*index;		/* "": the table's; else its index */
	int		 subdir;	/* in the .INDEX/ subdirectory */
	char		*prefix;
	char		*gen;
	int		 numeric;
	uint64_t	 ngen;
	uint64_t	 newgen;
	int		 renamed;
	char		**names;
	size_t		 nnames;
};

struct sstset {
	struct sst	*s;
	size_t		 n;
	uint64_t	 maxgen;
	uint64_t	 bytes;
};

static void
sstset_free(struct sstset *ss)
{
	size_t i, j;

	for (i = 0; i < ss->n; i++) {
		for (j = 0; j < ss->s[i].nnames; j++)
			free(ss->s[i].names[j]);
		free(ss->s[i].names);
		free(ss->s[i].dir);
		free(ss->s[i].index);
		free(ss->s[i].prefix);
		free(ss->s[i].gen);
	}
	free(ss->s);
	memset(ss, 0, sizeof(*ss));
}

/* The sstable of prefix in dir, added if new. */
static struct sst *
sst_get(struct sstset *ss, const char *dir, const char *index, int subdir,
    const char *name, const struct sstname *sn)
{
	struct sst *s, *ns;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		if (strcmp(s->dir, dir) == 0 && strlen(s->prefix) ==
		    sn->prefix.len && strncmp(s->prefix, name,
		    sn->prefix.len) == 0)
			return (s);
	}
	if ((ns = realloc(ss->s, (ss->n + 1) * sizeof(*ns))) == NULL)
		return (NULL);
	ss->s = ns;
	s = &ss->s[ss->n];
	memset(s, 0, sizeof(*s));
	s->subdir = subdir;
	s->numeric = sn->numeric;
	s->ngen = sn->ngen;
	if ((s->dir = strdup(dir)) == NULL ||
	    (s->index = strdup(index)) == NULL ||
	    (s->prefix = strndup(name, sn->prefix.len)) == NULL ||
	    (s->gen = strndup(sn->gen.p, sn->gen.len)) == NULL) {
		free(s->dir);
		free(s->index);
		free(s->prefix);
		return (NULL);
	}
	ss->n++;
	if (sn->numeric && sn->ngen > ss->maxgen)
		ss->maxgen = sn->ngen;
	return (s);
}

static int
sst_add_name(struct sst *s, const char *name)
{
	char **nn;

	if ((nn = realloc(s->names, (s->nnames + 1) * sizeof(*nn))) == NULL)
		return (-1);
	s->names = nn;
	if ((s->names[s->nnames] = strdup(name)) == NULL)
		return (-1);
	s->nnames++;
	return (0);
}

/* One file of a directory scan: an sstable component, or passed over. */
static int
scan_file(struct sstset *ss, const char *dir, const char *index, int legacy,
    const char *name, const struct stat *sb)
{
	struct sstname sn;
	struct sst *s;
	char idx[NAME_MAX + 1];

	if (node_name_is_skipped(name) || sstname_parse(name, &sn) != 0)
		return (0);
	if (sn.index.len > 0 && !legacy)
		return (0);	/* 2.1's index sstables: refresh rebuilds */
	if (sn.index.len > 0)
		snprintf(idx, sizeof(idx), "%.*s", (int)sn.index.len,
		    sn.index.p);
	if ((s = sst_get(ss, dir, sn.index.len > 0 ? idx : index,
	    *index != '\0', name, &sn)) == NULL || sst_add_name(s, name) != 0)
		return (-1);
	if (*index == '\0' && sn.index.len == 0)
		ss->bytes += (uint64_t)sb->st_size;
	return (0);
}

/*
 * The sstables of dir (regular files only; index, with index the
 * .INDEX/ subdirectory's name, else "").  With legacy, 2.1's index
 * sstables in the table directory too.  sub: the names of the .INDEX/
 * subdirectories are added (may be NULL).  Returns 0, 1 if dir does not
 * exist, -1 (reported).
 */
static int
scan_dir(struct sstset *ss, const char *dir, const char *index, int legacy,
    struct strset *sub)
{
	struct dirent *de;
	char path[PATH_MAX];
	struct stat sb;
	DIR *d;
	int rc = 0;

	if ((d = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return (1);
		warnp("cannot read '%s'", dir);
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &sb) != 0)
			continue;
		if (S_ISDIR(sb.st_mode) && sub != NULL && de->d_name[0] == '.' &&
		    casspath_is_word(de->d_name + 1, strlen(de->d_name + 1)))
			rc = strset_put(sub, de->d_name + 1, 0) == -2 ? -1 : 0;
		else if (S_ISREG(sb.st_mode))
			rc = scan_file(ss, dir, index, legacy, de->d_name, &sb);
	}
	if (rc != 0)
		warnp("cannot read '%s'", dir);
	closedir(d);
	return (rc);
}

/* dir and its .INDEX/ subdirectories (with_index), into ss. */
static int
scan_tree(struct sstset *ss, const char *dir, int with_index)
{
	struct strset sub = { NULL, NULL, 0, 0 };
	char path[PATH_MAX];
	size_t i;
	int rc;

	rc = scan_dir(ss, dir, "", with_index, with_index ? &sub : NULL);
	for (i = 0; rc == 0 && i < sub.cap; i++) {
		if (sub.key[i] == NULL)
			continue;
		snprintf(path, sizeof(path), "%s/.%s", dir, sub.key[i]);
		rc = scan_dir(ss, path, sub.key[i], 0, NULL);
	}
	strset_free(&sub);
	return (rc < 0 ? -1 : 0);
}

int
files_count(struct rtable *t)
{
	struct sstset ss;
	size_t i, j;

	t->nsst = 0;
	t->bytes = 0;
	for (i = 0; i < t->nb; i++) {
		memset(&ss, 0, sizeof(ss));
		if (scan_dir(&ss, t->bdirs[i], "", 0, NULL) != 0) {
			sstset_free(&ss);
			return (-1);
		}
		for (j = 0; j < ss.n; j++)
			t->nsst += ss.s[j].index[0] == '\0';
		t->bytes += ss.bytes;
		sstset_free(&ss);
	}
	return (0);
}

/* ------------------------------------------------------- ownership */

int
files_give(const struct rtable *t, const char *path, int isdir)
{
	mode_t need = S_IRUSR | S_IWUSR | (isdir ? S_IXUSR : 0);
	struct stat sb;

	if (lstat(path, &sb) != 0) {
		warnp("cannot give '%s' to its owner", path);
		return (-1);
	}
	if ((sb.st_uid != t->uid || sb.st_gid != t->gid) &&
	    lchown(path, geteuid() == 0 ? t->uid : (uid_t)-1, t->gid) != 0) {
		warnp("cannot give '%s' to uid %lu gid %lu", path,
		    (unsigned long)t->uid, (unsigned long)t->gid);
		return (-1);
	}
	if ((sb.st_mode & need) != need && !S_ISLNK(sb.st_mode) &&
	    chmod(path, (sb.st_mode | need) & 07777) != 0) {
		warnp("cannot make '%s' readable and writable by its owner",
		    path);
		return (-1);
	}
	return (0);
}

static const struct rtable *give_table;

static int
give_one(const char *path, const struct stat *sb, int flag, struct FTW *f)
{

	(void)sb;
	(void)f;
	return (files_give(give_table, path, flag == FTW_D ||
	    flag == FTW_DP) != 0 ? -1 : 0);
}

int
files_give_tree(const struct rtable *t, const char *dir)
{

	give_table = t;
	return (nftw(dir, give_one, 16, FTW_PHYS) != 0 ? -1 : 0);
}

/* ------------------------------------------------------ generations */

static int
gen_key(char *buf, size_t size, const char *index, const char *gen)
{

	return ((size_t)snprintf(buf, size, "%s\t%s", index, gen) < size ? 0 :
	    -1);
}

/* Each live generation of the table, in every data directory. */
static int
live_gens(const struct ctx *x, const struct rtable *t, struct strset *used,
    uint64_t *max)
{
	char path[PATH_MAX], key[PATH_MAX];
	struct sstset ss;
	size_t i, j;
	int rc = 0;

	for (i = 0; rc == 0 && i < x->conf->ndata_dirs; i++) {
		memset(&ss, 0, sizeof(ss));
		if (map_live_dir(x, t, i, path, sizeof(path)) != 0 ||
		    scan_tree(&ss, path, 1) != 0)
			rc = -1;
		for (j = 0; rc == 0 && j < ss.n; j++)
			if (gen_key(key, sizeof(key), ss.s[j].index,
			    ss.s[j].gen) != 0 || strset_put(used, key, 0) == -2)
				rc = -1;
		if (ss.maxgen > *max)
			*max = ss.maxgen;
		sstset_free(&ss);
	}
	return (rc);
}

/* New generations for the restored sstables whose own are taken. */
static int
assign_gens(const struct rtable *t, struct sstset *ss, struct strset *used,
    uint64_t max)
{
	char key[PATH_MAX], g[24];
	struct sst *s;
	size_t i;

	for (i = 0; i < ss->n; i++) {
		s = &ss->s[i];
		if (gen_key(key, sizeof(key), s->index, s->gen) != 0)
			return (-1);
		if (strset_get(used, key) >= 0) {
			if (!s->numeric) {
				warn0("refusing to load %s.%s: sstable '%s*' "
				    "has the id of a live one", t->ks, t->name,
				    s->prefix);
				return (-1);
			}
			s->newgen = ++max;
			s->renamed = 1;
			snprintf(g, sizeof(g), "%llu",
			    (unsigned long long)s->newgen);
			gen_key(key, sizeof(key), s->index, g);
		}
		if (strset_put(used, key, 0) == -2)
			return (-1);
	}
	return (0);
}

/* The name a restored file gets: its own, or with the new generation. */
static int
dest_path(const struct sst *s, const char *tdir, const char *name,
    char *buf, size_t size)
{
	char nn[NAME_MAX + 1];
	struct sstname sn;
	int n;

	if (s->renamed && (sstname_parse(name, &sn) != 0 ||
	    sstname_with_gen(name, &sn, s->newgen, nn, sizeof(nn)) != 0))
		return (-1);
	n = snprintf(buf, size, "%s%s%s%s/%s", tdir, s->subdir ? "/." : "",
	    s->subdir ? s->index : "", "", s->renamed ? nn : name);
	return (n < 0 || (size_t)n >= size ? -1 : 0);
}

/* Refuse before anything moves if any destination exists. */
static int
check_free(const struct ctx *x, const struct sstset *ss, const char *tdir)
{
	char dst[PATH_MAX];
	size_t i, j;

	for (i = 0; i < ss->n; i++)
		for (j = 0; j < ss->s[i].nnames; j++) {
			if (dest_path(&ss->s[i], tdir, ss->s[i].names[j], dst,
			    sizeof(dst)) != 0) {
				warn0("cannot name the file for '%s/%s'",
				    ss->s[i].dir, ss->s[i].names[j]);
				return (-1);
			}
			if (access(dst, F_OK) == 0 || errno != ENOENT) {
				warn0("refusing to replace '%s'", dst);
				return (-1);
			}
		}
	return (0);
}

static int
move_sst(const struct ctx *x, const struct rtable *t, const struct sst *s,
    const char *tdir)
{
	char src[PATH_MAX], dst[PATH_MAX];
	size_t j;

	if (s->subdir) {
		if ((size_t)snprintf(dst, sizeof(dst), "%s/.%s", tdir,
		    s->index) >= sizeof(dst) ||
		    fsmove_mkdirs(dst, 0755, 1, t->uid, t->gid) != 0)
			return (-1);
	}
	if (s->renamed)
		warnp_debug(1, "%s.%s: '%s/%s*' gets generation %llu", t->ks,
		    t->name, s->dir, s->prefix, (unsigned long long)s->newgen);
	for (j = 0; j < s->nnames; j++) {
		snprintf(src, sizeof(src), "%s/%s", s->dir, s->names[j]);
		if (dest_path(s, tdir, s->names[j], dst, sizeof(dst)) != 0 ||
		    files_give(t, src, 0) != 0 || fsmove_noreplace(src, dst) != 0)
			return (-1);
	}
	return (0);
}

/*
 * The live directory to load into: in the data directory on the file
 * system of the restored files, if the table has a directory there, else
 * in the first data directory (created if need be).
 */
static int
target_dir(const struct ctx *x, const struct rtable *t, char *buf,
    size_t size)
{
	struct stat rs, ls;
	size_t i;

	if (stat(t->bdirs[0], &rs) != 0) {
		warnp("cannot read '%s'", t->bdirs[0]);
		return (-1);
	}
	for (i = 0; i < x->conf->ndata_dirs; i++)
		if (map_live_dir(x, t, i, buf, size) == 0 &&
		    stat(buf, &ls) == 0 && S_ISDIR(ls.st_mode) &&
		    ls.st_dev == rs.st_dev)
			return (0);
	if (map_live_dir(x, t, 0, buf, size) != 0)
		return (-1);
	return (fsmove_mkdirs(buf, 0755, 1, t->uid, t->gid));
}

int
files_load(struct ctx *x, struct rtable *t, int with_index)
{
	struct strset used = { NULL, NULL, 0, 0 };
	struct sstset ss;
	char tdir[PATH_MAX];
	uint64_t max = 0;
	size_t i;
	int rc = EX_FAILURE;

	memset(&ss, 0, sizeof(ss));
	if (target_dir(x, t, tdir, sizeof(tdir)) != 0) {
		rc = EX_CANTCREAT;
		goto done;
	}
	if (live_gens(x, t, &used, &max) != 0)
		goto done;
	for (i = 0; i < t->nb; i++)
		if (scan_tree(&ss, t->bdirs[i], with_index) != 0)
			goto done;
	if (assign_gens(t, &ss, &used, max > ss.maxgen ? max : ss.maxgen) != 0
	    || check_free(x, &ss, tdir) != 0)
		goto done;
	rc = EX_CANTCREAT;
	for (i = 0; i < ss.n; i++)
		if (move_sst(x, t, &ss.s[i], tdir) != 0)
			goto done;
	if (fsmove_sync_dir(tdir) == 0)
		rc = 0;
done:
	strset_free(&used);
	sstset_free(&ss);
	return (rc);
}

/* ------------------------------------------------ the live, aside */

/* Move the regular files of dir into dest (created when one is there). */
static int
aside_dir(const struct rtable *t, const char *dir, const char *dest)
{
	char src[PATH_MAX], dst[PATH_MAX];
	struct dirent *de;
	struct stat sb;
	DIR *d;
	int rc = 0, made = 0;

	if ((d = opendir(dir)) == NULL) {
		warnp("cannot read '%s'", dir);
		return (-1);
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		snprintf(src, sizeof(src), "%s/%s", dir, de->d_name);
		if (lstat(src, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (!made && (rc = fsmove_mkdirs(dest, 0755, 1, t->uid,
		    t->gid)) != 0)
			break;
		made = 1;
		snprintf(dst, sizeof(dst), "%s/%s", dest, de->d_name);
		rc = fsmove_noreplace(src, dst);
	}
	closedir(d);
	return (rc);
}

/* The files of one live directory and its .INDEX/ ones, aside. */
static int
aside_tree(const struct rtable *t, const char *live, const char *snap)
{
	struct dirent *de;
	char sub[PATH_MAX], dest[PATH_MAX];
	struct stat sb;
	DIR *d;
	int rc;

	if ((rc = aside_dir(t, live, snap)) != 0)
		return (rc);
	if ((d = opendir(live)) == NULL)
		return (-1);
	while (rc == 0 && (de = readdir(d)) != NULL) {
		if (de->d_name[0] != '.' || !casspath_is_word(de->d_name + 1,
		    strlen(de->d_name + 1)))
			continue;
		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", live,
		    de->d_name) >= sizeof(sub) || (size_t)snprintf(dest,
		    sizeof(dest), "%s/%s", snap, de->d_name) >= sizeof(dest))
			rc = -1;
		else if (lstat(sub, &sb) == 0 && S_ISDIR(sb.st_mode))
			rc = aside_dir(t, sub, dest);
	}
	closedir(d);
	return (rc);
}

int
files_replace_live(struct ctx *x, struct rtable *t, const char *stamp)
{
	char live[PATH_MAX], snap[PATH_MAX];
	struct stat sb;
	size_t i;

	for (i = 0; i < x->conf->ndata_dirs; i++) {
		if (map_live_dir(x, t, i, live, sizeof(live)) != 0)
			return (EX_FAILURE);
		if (stat(live, &sb) != 0)
			continue;
		if ((size_t)snprintf(snap, sizeof(snap), "%s/snapshots/"
		    "cb-replaced-%s", live, stamp) >= sizeof(snap) ||
		    aside_tree(t, live, snap) != 0)
			return (EX_CANTCREAT);
	}
	return (0);
}
