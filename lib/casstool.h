#ifndef CASSTOOL_H
#define CASSTOOL_H

/*
 * Cassandra's command-line tools as the programs run them: finding
 * nodetool and cqlsh in the tools directory, running nodetool (with the
 * JMX login, the password staying in its file), relaying what a tool
 * said, reading cassandra.yaml with the exit status its failure means,
 * and running an operator's command (a service manager) as argv words.
 */

#include <stddef.h>

#include "cassconf.h"
#include "proc.h"

struct casstool {
	const char	*bindir;	/* where nodetool and cqlsh are */
	const char	*jmx_user;	/* NULL: no JMX login */
	const char	*jmx_pwfile;	/* with jmx_user */
	int		 verbose;	/* relay nodetool's output */
};

/*
 * Where the node's tools and configuration are by default: nodetool and
 * cqlsh in /usr/bin (t->bindir), cassandra.yaml in $CASSANDRA_CONF, else
 * CASSCONF_DEFAULT_DIR (*confdir).  The rest of t is zeroed.
 */
void casstool_init(struct casstool *t, const char **confdir);

/*
 * --cassandra-conf-path DIR: *confdir is dir, and CASSANDRA_CONF too, so
 * that the nodetool and cqlsh run find the same node.  Returns 0, or
 * EX_FAILURE (reported).
 */
int casstool_set_confdir(const char *dir, const char **confdir);

/*
 * BINDIR/name into buf.  Returns 0, or 69 (EX_UNAVAILABLE) if it cannot
 * be run (reported).
 */
int casstool_path(const struct casstool *t, const char *name, char *buf,
    size_t size);

/* Print what a tool said, each line as "prog: name: LINE". */
void casstool_relay(const char *name, const char *text);

/*
 * Run nodetool with args (NULL-terminated).  On success po holds its
 * output (free it with proc_out_free); on failure it is relayed (unless
 * quiet) and freed.  Returns 0, 69 (nodetool missing or the node not
 * reachable), 77 (JMX login refused) or 1.
 */
int casstool_nodetool(const struct casstool *t, const char *const *args,
    struct proc_out *po, int quiet);

/* casstool_nodetool() with the output discarded. */
int casstool_nodetool_do(const struct casstool *t, const char *const *args);

/*
 * Read DIR/cassandra.yaml (and, if dirs, check that its data directories
 * are directories).  The cause is reported naming the file.  Returns 0
 * and a new *c (cassconf_free), or the exit status: 78 (EX_CONFIG)
 * missing, malformed or naming a data directory that is not one, 77
 * unreadable for want of permission, 1 anything else.
 */
int casstool_conf_load(const char *dir, int dirs, struct cassconf **c);

/*
 * Run the command cmd, split on blanks (spaces and tabs) into argv
 * words, directly: never through a shell, so quotes, ';', '$' and the
 * like are parts of words.  A first word without '/' is looked up in
 * PATH.  Output is captured in po as proc_run() does.  Returns as
 * proc_run(), -1 also for an empty command or one not found (reported).
 */
int casstool_command_run(const char *cmd, struct proc_out *po);

#endif
