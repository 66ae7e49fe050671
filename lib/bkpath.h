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

/*
 * The part of an S3 key that stands for a file's path (cb-transfer(5)):
 * the path itself when S3 can hold it as it is, so that an ordinary name
 * keeps the key it always had.  Otherwise each byte that S3 cannot hold
 * or give back intact is written as '%' and two uppercase hex digits:
 * every byte of a control character (U+0000 to U+001F, U+007F to U+009F:
 * TAB, newline, CR...) or of the non-characters U+FFFE and U+FFFF (XML,
 * in which S3 lists keys, has none of them), every byte of a sequence that
 * is not UTF-8 (S3 refuses it), and '%' itself, so that two paths never
 * share a key and bkpath_key_unescape() gives the path back.  '/' and '.'
 * stay, so the key has the path's components.  Returns a string to free,
 * or NULL (ENOMEM).
 */
char *bkpath_key_escape(const char *path);

/*
 * The path that bkpath_key_escape() made key from: each "%HH" back to its
 * byte.  Returns a string to free, or NULL: ENOMEM, or EINVAL where a '%'
 * is not followed by two hex digits or stands for a NUL.
 */
char *bkpath_key_unescape(const char *key);

/* 1 if name is in the comma-separated list (NULL or "" = everything). */
int bkpath_in_list(const char *list, const char *name);

#endif
