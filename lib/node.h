#ifndef NODE_H
#define NODE_H

/*
 * Cassandra's on-disk layout (2.1 to 5.0): what a path under a data
 * directory means, which file names a backup skips, and a walk over the
 * files of one snapshot or of the incremental backups/ directories across
 * every data directory.
 *
 *   DATADIR/KS/TABLE-ID/[snapshots/TAG/|backups/][.INDEX/]NAME
 *
 * TABLE-ID is the table UUID as 32 lowercase hex digits (2.1+; a directory
 * without it, the pre-2.1 form, is accepted with an empty id).  Recreating
 * a table gives it a new id and directory, so one table name may have
 * several directories: filters match the name whatever the id.
 */

#include <sys/stat.h>

#include <stddef.h>
#include <stdint.h>

#include "casspath.h"

/*
 * Write to buf (size bytes) the identity of the file at path across
 * snapshots and backups: the path without its snapshots/TAG/ or backups/
 * part.  The same sstable linked into two snapshots, or into a snapshot and
 * backups/, has the same key.  A path that casspath_parse() refuses is its
 * own key.  Returns the key's length, or -1 if it does not fit.
 */
int node_path_key(const char *path, char *buf, size_t size);

/*
 * 1 if a backup must skip the file called name: temporary files (*.tmp,
 * tmp-*, tmplink-*, 2.1's KS-TABLE-tmp-*), 3.0+ transaction logs
 * (*_txn_*.log) and the ephemeral.snapshot marker; 0 otherwise.
 */
int node_name_is_skipped(const char *name);

/*
 * The absolute path path resolves to, as realpath(3) gives it for the
 * longest part that exists, the rest taken lexically ("." dropped, ".."
 * going up, runs of "/" as one): a path that need not exist yet, such as
 * a restore directory.  Returns a malloc'd string, or NULL with errno set
 * (EINVAL if path is not absolute).
 */
char *node_path_resolve(const char *path);

/* 1 if the resolved path is dir or lies inside it (both resolved). */
int node_path_within(const char *path, const char *dir);

/* 1 for the names of the system keyspaces (system, system_*). */
int node_keyspace_is_system(const char *ks);

/* Which tables a walk visits. */
struct node_select;

/* A selection of every table.  Returns NULL on allocation failure. */
struct node_select *node_select_new(void);

/*
 * Add filters, each a comma-separated list (empty items refused):
 * keyspaces; tables ("TABLE" in any selected keyspace, or "KS.TABLE");
 * tables to exclude (same forms).  Returns 0, or -1 on a malformed list
 * (reported naming what).
 */
int node_select_keyspaces(struct node_select *s, const char *list);
int node_select_tables(struct node_select *s, const char *list);
int node_select_exclude(struct node_select *s, const char *list);

/* Leave out the system keyspaces. */
void node_select_no_system(struct node_select *s);

/*
 * After a walk: report every filter item that matched no directory, with
 * warn0().  Returns the number of keyspace and table items (exclusions
 * not counted) that matched nothing.
 */
size_t node_select_report(const struct node_select *s);

/* Free a selection; NULL is a no-op. */
void node_select_free(struct node_select *s);

/* One file found by node_walk(); valid during the callback only. */
struct node_file {
	const char	*path;		/* absolute */
	const struct stat *st;		/* lstat(2) of it */
	const char	*keyspace;
	const char	*tabledir;	/* TABLE-ID */
	const char	*index;		/* INDEX, or NULL */
	const char	*name;
	size_t		 tdir_len;	/* path[0..tdir_len) = DATADIR/KS/TABLE-ID/ */
	size_t		 rel_off;	/* path + rel_off = [.INDEX/]NAME */
};

typedef int node_file_fn(void *cookie, const struct node_file *f);

/* An entry skipped because it is not a regular file (a symlink, a dir). */
typedef void node_odd_fn(void *cookie, const char *path);

struct node_walk {
	char *const	*datadirs;	/* absolute, no trailing '/' */
	size_t		 ndatadirs;
	enum casspath_kind	 kind;		/* CASSPATH_SNAPSHOT or CASSPATH_BACKUPS */
	const char	*tag;		/* CASSPATH_SNAPSHOT: the tag */
	struct node_select *sel;	/* NULL: every table */
	node_odd_fn	*odd;		/* NULL, or told of odd entries */
};

struct node_walk_stats {
	size_t	 tabledirs;	/* selected table directories seen */
	size_t	 kinddirs;	/* of them, with snapshots/TAG or backups/ */
	size_t	 files;		/* files passed to the callback */
	size_t	 skipped;	/* temporary files, markers, odd entries */
	size_t	 odd;		/* of them, not regular files */
	size_t	 multi;		/* tables with several directories holding
				   files (dropped and recreated) */
};

/*
 * Call fn for every file of the walk's kind in the selected tables, in a
 * fixed order: data directories as given, then keyspaces, table
 * directories and files by name.  Skipped names are counted, not passed;
 * entries that are neither regular files nor index directories are
 * counted as odd and passed to w->odd.  Nothing is printed but errors.
 * Returns 0; -1 on a system error (reported, errno
 * kept, e.g. EACCES); or fn's return value when that is not 0, which stops
 * the walk.
 */
int node_walk(const struct node_walk *w, node_file_fn *fn, void *cookie,
    struct node_walk_stats *stats);

/* What node_backup_remove() did. */
enum node_removed {
	NODE_REMOVED,		/* unlinked */
	NODE_REMOVE_GONE,	/* no such file any more */
	NODE_REMOVE_CHANGED,	/* not the file uploaded: kept */
	NODE_REMOVE_REFUSED	/* not a file of backups/ in datadirs: kept */
};

/*
 * Remove a file of an incremental backups/ directory once it is safely
 * uploaded, if it is still the file that was: path must parse as
 * DATADIR/KS/TABLE-ID/backups/[.INDEX/]NAME with DATADIR one of datadirs,
 * hold no "." or ".." segment, and be a regular file with this size,
 * mtime (ns) and inode.  Returns an enum node_removed value, or -1 on a
 * system error (reported, errno kept: EACCES...).
 */
int node_backup_remove(const char *path, char *const *datadirs, size_t n,
    uint64_t size, int64_t mtime_ns, uint64_t ino);

#endif
