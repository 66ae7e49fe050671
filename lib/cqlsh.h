#ifndef CQLSH_H
#define CQLSH_H

/*
 * Running cqlsh for a backup: where the node listens (from cassandra.yaml),
 * TLS, and credentials passed without argv, through a private cqlshrc.
 */

#include <getopt.h>

#include "cassconf.h"
#include "proc.h"

/* How cqlsh is to log in and connect: the --cqlsh-* options. */
struct cqlsh_opts {
	const char	*user;		/* NULL: no login */
	const char	*pwfile;	/* NULL: CB_CQLSH_PASSWORD */
	const char	*cqlshrc;	/* the operator's, copied */
	const char	*certfile;	/* [ssl] certfile */
	const char	*usercert;	/* [ssl] usercert */
	const char	*userkey;	/* [ssl] userkey */
	int		 ssl;		/* cqlsh --ssl */
	int		 validate;	/* [ssl] validate: -1 unset, 0, 1 */
};

/* The getopt_long entries of struct cqlsh_opts, for a longopts table. */
#define CQLSH_OPT_BASE	0x1000
#define CQLSH_LONGOPTS \
	{ "cqlsh-user", required_argument, NULL, CQLSH_OPT_BASE }, \
	{ "cqlsh-password-file", required_argument, NULL, CQLSH_OPT_BASE + 1 }, \
	{ "cqlsh-password", required_argument, NULL, CQLSH_OPT_BASE + 2 }, \
	{ "cqlsh-cqlshrc", required_argument, NULL, CQLSH_OPT_BASE + 3 }, \
	{ "cqlsh-certfile", required_argument, NULL, CQLSH_OPT_BASE + 4 }, \
	{ "cqlsh-usercert", required_argument, NULL, CQLSH_OPT_BASE + 5 }, \
	{ "cqlsh-userkey", required_argument, NULL, CQLSH_OPT_BASE + 6 }, \
	{ "cqlsh-ssl", no_argument, NULL, CQLSH_OPT_BASE + 7 }, \
	{ "cqlsh-validate", no_argument, NULL, CQLSH_OPT_BASE + 8 }, \
	{ "no-cqlsh-validate", no_argument, NULL, CQLSH_OPT_BASE + 9 }

/* No login, no TLS, no cqlshrc: validate unset. */
void cqlsh_opts_init(struct cqlsh_opts *o);

/*
 * Take getopt_long's ch (with optarg arg) if it is one of CQLSH_LONGOPTS.
 * Returns 0 if taken, 1 if ch is not one of them, -1 for --cqlsh-password,
 * which would put the password in argv (reported).
 */
int cqlsh_opts_set(struct cqlsh_opts *o, int ch, const char *arg);

/* 1 if any of the options was given. */
int cqlsh_opts_given(const struct cqlsh_opts *o);

/*
 * Do the options go together?  --cqlsh-password-file needs --cqlsh-user,
 * --cqlsh-userkey needs --cqlsh-usercert, the [ssl] options need
 * --cqlsh-ssl or a --cqlsh-cqlshrc (which may turn TLS on), and the files
 * are absolute paths an INI value carries unchanged (no control
 * characters, no '%', which cqlsh's ConfigParser would interpolate).
 * Returns 0, or -1 (reported).
 */
int cqlsh_opts_check(const struct cqlsh_opts *o);

struct cqlsh_rc;

/*
 * Write a private cqlshrc for o: mode 0600 in a new mode-0700 directory
 * under $TMPDIR (default /tmp).  It holds the sections of o->cqlshrc (if
 * any) as they are, less the keys written here, which go into their
 * sections: with a user, the legacy [authentication] username and
 * password that cqlsh 2.1 to 5.0 read, and the path of a credentials file
 * with a [PlainTextAuthProvider] section, which 4.1 and later prefer;
 * [ssl] certfile, validate, usercert and userkey as given.  password is
 * the user's (NULL without a user) and is not kept in memory.  With
 * nothing to write (o->ssl at most), no file is made.  Returns NULL on
 * failure (reported), also for a user or password that an INI file
 * cannot carry (newlines, blanks at either end).
 */
struct cqlsh_rc *cqlsh_rc_new(const struct cqlsh_opts *o,
    const char *password);

/*
 * cqlsh_rc_new() for o with the password of cqlsh_password_read(o->pwfile)
 * (wiped after), once the node-side files of o are found readable.
 * Returns 0 and *out, or EX_NOINPUT (a file missing or unreadable),
 * EX_NOPERM (no password), EX_FAILURE (reported).
 */
int cqlsh_rc_open(const struct cqlsh_opts *o, struct cqlsh_rc **out);

/* The cqlshrc path, for cqlsh --cqlshrc; NULL if there is none. */
const char *cqlsh_rc_path(const struct cqlsh_rc *rc);

/* Remove the files and free; NULL is a no-op. */
void cqlsh_rc_free(struct cqlsh_rc *rc);

/*
 * Run the cqlsh at path with -e stmt, the --ssl and --cqlshrc of rc (may
 * be NULL: neither), and
 * the host and port the node serves CQL on when c (may be NULL) says:
 * rpc_address, or broadcast_rpc_address when that is a wildcard, and
 * native_transport_port.  Returns as proc_run().
 */
int cqlsh_run(const char *path, const struct cqlsh_rc *rc,
    const struct cassconf *c, const char *stmt, struct proc_out *po);

/* The same with -f file: cqlsh runs the statements of the file. */
int cqlsh_run_file(const char *path, const struct cqlsh_rc *rc,
    const struct cassconf *c, const char *file, struct proc_out *po);

/*
 * The password for cqlsh: the first line (without its newline) of pwfile
 * ("-" is stdin), or with pwfile NULL the environment's CB_CQLSH_PASSWORD.
 * Returns a new string (wipe and free it), or NULL if there is none or it
 * cannot be read (reported, except a missing CB_CQLSH_PASSWORD).
 */
char *cqlsh_password_read(const char *pwfile);

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
