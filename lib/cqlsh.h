#ifndef CQLSH_H
#define CQLSH_H

/*
 * Running cqlsh for a backup: where the node listens (from cassandra.yaml)
 * and credentials passed without argv, through a private cqlshrc.
 */

#include "cassconf.h"
#include "proc.h"

struct cqlsh_creds;

/*
 * Write a private cqlshrc for user and password: mode 0600 in a new
 * mode-0700 directory under $TMPDIR (default /tmp).  It holds the legacy
 * [authentication] username and password that cqlsh 2.1 to 5.0 read, and
 * the path of a credentials file with a [PlainTextAuthProvider] section,
 * which 4.1 and later prefer.  The password is not kept in memory.
 * Returns NULL on failure (reported), also for a user or password that
 * an INI file cannot carry (newlines, blanks at either end).
 */
struct cqlsh_creds *cqlsh_creds_new(const char *user, const char *password);

/* The cqlshrc path, for cqlsh --cqlshrc. */
const char *cqlsh_creds_rc(const struct cqlsh_creds *cr);

/* Remove the files and free; NULL is a no-op. */
void cqlsh_creds_free(struct cqlsh_creds *cr);

/*
 * Run the cqlsh at path with -e stmt, [--cqlshrc rc] (rc may be NULL), and
 * the host and port the node serves CQL on when c (may be NULL) says:
 * rpc_address, or broadcast_rpc_address when that is a wildcard, and
 * native_transport_port.  Returns as proc_run().
 */
int cqlsh_run(const char *path, const char *rc, const struct cassconf *c,
    const char *stmt, struct proc_out *po);

/* The same with -f file: cqlsh runs the statements of the file. */
int cqlsh_run_file(const char *path, const char *rc, const struct cassconf *c,
    const char *file, struct proc_out *po);

/*
 * The password for cqlsh: the first line (without its newline) of pwfile
 * ("-" is stdin), or with pwfile NULL the environment's CB_CQLSH_PASSWORD.
 * Returns a new string (wipe and free it), or NULL if there is none or it
 * cannot be read (reported, except a missing CB_CQLSH_PASSWORD).
 */
char *cqlsh_password_read(const char *pwfile);

/*
 * Credentials for user (NULL: none, *out NULL) with the password of
 * cqlsh_password_read(pwfile), written as cqlsh_creds_new() does; the
 * password is wiped.  Returns 0, or -1 (reported).
 */
int cqlsh_creds_open(const char *user, const char *pwfile,
    struct cqlsh_creds **out);

/* 1 if cqlsh's stderr says the credentials given were refused. */
int cqlsh_bad_credentials(const struct proc_out *po);

/* 1 if cqlsh's stderr says it could not connect to the node. */
int cqlsh_connect_failed(const struct proc_out *po);

#define CQLSH_MAXCOLS	16

/* Rows of a SELECT as cqlsh prints them; cell[row * ncols + col]. */
struct cqlsh_rows {
	size_t	  ncols;
	size_t	  nrows;
	char	**cell;		/* owned, trimmed */
};

/*
 * Read cqlsh's tabular output of a SELECT of the ncols columns cols:
 * lines before the header (a blank line, "WARNING: cqlsh was built
 * against ...") are passed over; then the header " a | b | c" naming
 * exactly cols, a rule "---+---+---", one row a line with ncols cells
 * separated by '|' (blanks around a cell dropped), a blank line and
 * "(N rows)" with N the rows read.  Returns 0 and fills *r (free with
 * cqlsh_rows_free), or -1 on output of another shape (reported).
 */
int cqlsh_parse_rows(const char *text, size_t ncols, const char *const *cols,
    struct cqlsh_rows *r);

/* Free the cells (not r itself); NULL is a no-op. */
void cqlsh_rows_free(struct cqlsh_rows *r);

#endif
