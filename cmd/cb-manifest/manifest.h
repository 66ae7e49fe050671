#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "strset.h"

/* What the subcommands of cb-manifest take (see cb-manifest(1)). */
struct mf_opts {
	int		 nul;
	const char	*backup, *run, *host, *kind;
	const char	*topology, *schema, *previous;
	const char	*keyspaces, *table, *base_path, *hosts, *listing;
	int		 input_fields;
	int		 exclude_system, json;
	time_t		 now;
};

/* One file of a node manifest. */
struct mfile {
	char		*path, *key, *sha256, *etag, *run, *source;
	uint64_t	 size, stored, inode;
	int64_t		 mtime_ns;	/* negative before 1970 */
};

/* ISO 8601 UTC time of t into buf (21 bytes). */
void mf_time(time_t t, char *buf, size_t size);

/* Write a comma-separated list as a JSON array (null if NULL or empty). */
void mf_put_list(FILE *f, const char *list);

int mf_node(const struct mf_opts *o);
int mf_merge(const struct mf_opts *o);
int mf_restore(const struct mf_opts *o);
int mf_info(const struct mf_opts *o);
int mf_summary(const struct mf_opts *o);

#define MF_NODE_FORMAT		"cassandra-backups node manifest"
#define MF_CLUSTER_FORMAT	"cassandra-backups cluster manifest"
#define MF_VERSION		1

#endif
