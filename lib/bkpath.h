#ifndef BKPATH_H
#define BKPATH_H

/*
 * Where a backed-up file goes in a restore directory.  A node path such as
 *	/var/lib/cassandra/data/ks/users-5a1f.../snapshots/TAG/.idx/nb-1-big-Data.db
 *	/var/lib/cassandra/data/ks/users-5a1f.../backups/nb-2-big-Data.db
 * (or the same path inside an S3 key, where runs of '/' count as one)
 * restores to KS/TABLEDIR/[.IDX/]FILE.
 */

struct bkpath {
	char	*rel;		/* KS/TABLEDIR/[.IDX/]FILE */
	char	*keyspace;
	char	*table;		/* table name, without the id */
	char	*tabledir;	/* table directory, with the id */
	int	 backups;	/* 1: from backups/, 0: from a snapshot */
};

/*
 * Parse path.  Returns 1 and fills *bp (free with bkpath_clear()), 0 if it
 * is not a file to restore (not under snapshots/TAG/ or backups/ of a
 * table directory, or a snapshot's manifest.json), or -1 if a component is
 * "." or ".." (a path that could escape the restore directory; nothing is
 * printed: the caller reports it).
 */
int bkpath_parse(const char *path, struct bkpath *bp);

/* Free what bkpath_parse() filled in. */
void bkpath_clear(struct bkpath *bp);

/* 1 if name is in the comma-separated list (NULL or "" = everything). */
int bkpath_in_list(const char *list, const char *name);

#endif
