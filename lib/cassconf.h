#ifndef CASSCONF_H
#define CASSCONF_H

/*
 * The parts of cassandra.yaml a backup needs, read with libyaml.
 *
 * Only top-level keys are looked at; unknown keys are ignored.  A missing,
 * null or empty data_file_directories means Cassandra's package default,
 * CASSCONF_DEFAULT_DATA_DIR.  Booleans follow YAML 1.1 as Cassandra's
 * SnakeYAML reads them (true/false, yes/no, on/off in three cases).
 */

#include <stddef.h>

#define CASSCONF_DEFAULT_DIR		"/etc/cassandra"
#define CASSCONF_DEFAULT_DATA_DIR	"/var/lib/cassandra/data"

/*
 * Cassandra's other directories, by their cassandra.yaml keys, with the
 * package defaults used when a key is missing or null.
 */
enum {
	CASSCONF_COMMITLOG, CASSCONF_HINTS, CASSCONF_SAVED_CACHES,
	CASSCONF_CDC_RAW, CASSCONF_NOTHER
};
extern const char *const cassconf_other_key[CASSCONF_NOTHER];

/* Returned for a malformed file (bad YAML, a key of the wrong shape). */
#define CASSCONF_EDATA	(-2)

struct cassconf {
	char	 *path;			/* the file read */
	char	**data_dirs;		/* absolute, no trailing '/' */
	size_t	  ndata_dirs;
	int	  data_dirs_default;	/* 1: key missing, the default used */
	char	 *local_system_dir;	/* local_system_data_file_directory */
	char	 *other_dirs[CASSCONF_NOTHER];	/* absolute; defaults filled */
	int	  incremental_backups;	/* 0 or 1 */
	char	 *cluster_name;		/* NULL if unset */
	char	 *rpc_address;		/* NULL if unset */
	char	 *broadcast_rpc_address; /* NULL if unset */
	int	  native_transport_port; /* 0 if unset */
};

/*
 * Read DIR/cassandra.yaml.  Returns 0 and a new *out (free with
 * cassconf_free), -1 on a system error (reported, errno kept: ENOENT,
 * EACCES...), or CASSCONF_EDATA if the file is malformed (reported).
 */
int cassconf_load(const char *dir, struct cassconf **out);

/* Parse len bytes of YAML; name is used in messages.  As cassconf_load. */
int cassconf_parse(const char *buf, size_t len, const char *name,
    struct cassconf **out);

/*
 * The exit status for a failed cassconf_load() (rc and errno as it left
 * them), as the programs' man pages say: 78 (EX_CONFIG) for a file that is
 * missing or malformed, 77 when it cannot be read for want of permission,
 * 1 otherwise.
 */
int cassconf_exit_status(int rc, int err);

/* Free a configuration; NULL is a no-op. */
void cassconf_free(struct cassconf *c);

#endif
