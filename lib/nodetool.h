#ifndef NODETOOL_H
#define NODETOOL_H

/*
 * Reading what nodetool prints (2.1 to 5.0): the facts about a node a
 * backup records.  Parsers take the whole output as text, fill what they
 * find and leave the rest alone.
 */

#include <stddef.h>

struct nodetool_topo {
	char	 *host_id;		/* info: ID */
	char	 *datacenter;		/* info: Data Center */
	char	 *rack;			/* info: Rack */
	char	**tokens;		/* info -T: Token, in order */
	size_t	  ntokens;
	char	 *version;		/* version: ReleaseVersion */
	char	 *cluster_name;		/* describecluster: Name */
	char	 *partitioner;		/* describecluster: Partitioner */
	char	 *schema_version;	/* describecluster: first version */
	char	 *address;		/* status: the row of host_id */
};

/*
 * Parse `nodetool info -T`, `nodetool version`, `nodetool describecluster`
 * and `nodetool status` (the last needs host_id already set).  Each
 * returns 0, or -1 on allocation failure (reported).  Missing lines are
 * not an error: the fields stay NULL.
 */
int nodetool_parse_info(const char *text, struct nodetool_topo *t);
int nodetool_parse_version(const char *text, struct nodetool_topo *t);
int nodetool_parse_describecluster(const char *text,
    struct nodetool_topo *t);
int nodetool_parse_status(const char *text, struct nodetool_topo *t);

/* Free the fields (not t itself); NULL is a no-op. */
void nodetool_topo_free(struct nodetool_topo *t);

#endif
