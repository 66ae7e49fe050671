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

#endif
