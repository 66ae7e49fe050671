#ifndef CQL_H
#define CQL_H

/*
 * CQL scripts as cqlsh DESCRIBE SCHEMA and a snapshot's schema.cql write
 * them: split into statements and the CREATE statements of schema objects
 * told apart, so that a backup's schema can be replayed (cb-manifest
 * schema).  The lexer follows Cassandra's Lexer.g where it matters for
 * ';': strings '...' ('' inside is a quote), $$...$$ strings (function
 * bodies, nothing escaped), quoted identifiers "..." ("" inside is a
 * quote), comments -- and // to the end of the line and non-nested
 * block comments from slash-star to star-slash; a ';' inside any of them
 * does not end a statement.
 */

#include <stddef.h>

#include "strbuf.h"

/* Walks a script; see cql_split_init(). */
struct cql_split {
	const char	*s;
	size_t		 len, pos;
	size_t		 line;		/* of s[pos], from 1 */
	const char	*name;		/* for messages */
};

/* One statement found by cql_split_next(); points into the script. */
struct cql_stmt {
	const char	*text;		/* its first token to its last: no
					   comment or blank around it, no ';' */
	size_t		 len;
	size_t		 line;		/* of its first token */
};

/*
 * Start a walk over the len bytes at s (not copied: they must outlive the
 * walk); name is the script's name in messages.
 */
void cql_split_init(struct cql_split *sp, const char *s, size_t len,
    const char *name);

/*
 * The next statement, ended by a ';' outside strings, identifiers and
 * comments; empty statements (";;") are passed over.  Returns 1 with *st,
 * 0 at the end, or -1 on a string, identifier or comment that is not
 * closed, or a statement without its ';' at the end (reported: "cannot
 * read 'NAME': line N: ...").
 */
int cql_split_next(struct cql_split *sp, struct cql_stmt *st);

/* What a statement creates; the order of a script that recreates them. */
enum cql_kind {
	CQL_KEYSPACE,
	CQL_TYPE,
	CQL_FUNCTION,
	CQL_AGGREGATE,
	CQL_TABLE,
	CQL_INDEX,			/* CREATE INDEX, CREATE CUSTOM INDEX */
	CQL_VIEW,			/* CREATE MATERIALIZED VIEW */
	CQL_OTHER			/* anything else */
};
#define CQL_NKINDS	CQL_OTHER

/*
 * A statement told apart.  Names are as Cassandra holds them: an unquoted
 * identifier in lowercase, a quoted one as written without its quotes.
 */
struct cql_info {
	enum cql_kind	 kind;
	char		*keyspace;	/* the object's (an index's: its
					   table's; a keyspace's: its name) */
	char		*name;		/* the object's; NULL for an index
					   created without a name */
	char		*table;		/* an index's table, a view's base
					   table; else NULL */
	int		 if_not_exists;	/* it says IF NOT EXISTS */
	int		 or_replace;	/* CREATE OR REPLACE */
	size_t		 kind_end;	/* offset just past the kind words */
};

/*
 * Tell statement text (len bytes, as cql_split_next() gives it) apart
 * into *ci (free with cql_info_clear()): a CREATE of a keyspace, type,
 * function, aggregate, table, index or view, with the keyspace it belongs
 * to named, or CQL_OTHER (also a CREATE whose keyspace the statement does
 * not name).  Returns 0, or -1 out of memory (errno ENOMEM, nothing
 * printed).
 */
int cql_classify(const char *text, size_t len, struct cql_info *ci);

/* Free ci's names and zero it; a zeroed one is a no-op. */
void cql_info_clear(struct cql_info *ci);

/*
 * Append statement text to b with IF NOT EXISTS after the kind words
 * where ci is a CREATE without it that can take it (not CREATE OR
 * REPLACE, not CQL_OTHER); as it is otherwise.  An allocation failure is
 * left in b (strbuf_failed()).
 */
void cql_put_if_not_exists(struct strbuf *b, const char *text, size_t len,
    const struct cql_info *ci);

/* "keyspace", "type", ... "materialized view", "other". */
const char *cql_kind_name(enum cql_kind k);

#endif
