#ifndef CASSPATH_H
#define CASSPATH_H

/*
 * The one parser of Cassandra's path layout (2.1 to 5.0), used by lib/node
 * (the walk, prune-backups) and lib/bkpath (S3 keys back to restore paths):
 *
 *   DATADIR/KS/TABLE-ID/[snapshots/TAG/|backups/][.INDEX/]NAME
 *
 * KS and TABLE are words ([A-Za-z0-9_]+); ID is the table UUID as 32
 * lowercase hex digits, or absent for a pre-2.1 directory KS/TABLE/.
 */

#include <stddef.h>

enum casspath_kind {
	CASSPATH_LIVE,		/* the table directory itself */
	CASSPATH_SNAPSHOT,	/* snapshots/TAG/ */
	CASSPATH_BACKUPS	/* backups/ (incremental backups) */
};

/* A part of a parsed path: len bytes at p (not NUL-terminated). */
struct casspath_span {
	const char	*p;
	size_t		 len;
};

struct casspath {
	struct casspath_span	 datadir;	/* everything before KS */
	struct casspath_span keyspace;
	struct casspath_span	 tabledir;	/* TABLE-ID */
	struct casspath_span	 table;	/* TABLE */
	struct casspath_span	 table_id;	/* ID, empty for a pre-2.1 dir */
	enum casspath_kind	 kind;
	struct casspath_span	 tag;	/* CASSPATH_SNAPSHOT only */
	struct casspath_span	 index;	/* INDEX without its '.', or empty */
	struct casspath_span	 name;	/* the file name */
};

/*
 * Parse the path of a file under a data directory from the right, as
 * Cassandra's Descriptor does.  The spans point into path.  Returns 0, or
 * -1 if the path does not have this shape (nothing printed).
 *
 * Where a path reads two ways because a tag, keyspace or table is called
 * "backups" or "snapshots", the reading with a table id wins over one
 * without (pre-2.1), and then the one with the table directory furthest
 * from the file: KS/T-ID/snapshots/backups/NAME is in snapshot "backups".
 */
int casspath_parse(const char *path, struct casspath *np);

/*
 * The same for a path known to lie under a data directory that is its
 * first ddlen bytes (without a trailing '/'; 0 for "/"), read from the
 * left, so nothing in it is ambiguous: path[ddlen] must be '/', followed
 * by exactly KS/TABLE-ID/[snapshots/TAG/|backups/][.INDEX/]NAME.  Returns
 * 0, or -1 if the rest does not have this shape.
 */
int casspath_parse_under(const char *path, size_t ddlen,
    struct casspath *np);

/*
 * Split a table directory name TABLE-ID into table and id.  Returns 0, or
 * -1 if dirname is not a table directory name.
 */
int casspath_tabledir_parse(const char *dirname, struct casspath_span *table,
    struct casspath_span *id);

/* 1 if len bytes at p are a Cassandra identifier: [A-Za-z0-9_]+. */
int casspath_is_word(const char *p, size_t len);

/*
 * Split list, comma-separated identifiers such as --keyspaces (split in
 * place), into out[0..*n-1], at most max of them.  0, or -1 with the
 * reason said: "invalid WHAT 'NAME'" (not an identifier, or one more than
 * max) or "invalid OPT: empty list".
 */
int casspath_split_words(char *list, const char *what, const char *opt,
    char **out, size_t max, size_t *n);

#endif
