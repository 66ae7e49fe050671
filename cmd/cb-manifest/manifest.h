#ifndef MANIFEST_H
#define MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "json.h"
#include "strset.h"

/* What the subcommands of cb-manifest take (see cb-manifest(1)). */
struct mf_opts {
	int		 nul;
	const char	*backup, *run, *host, *kind;
	const char	*topology, *schema, *previous, *reference;
	const char	*results, *listing_file, *reused_out, *host_id;
	const char	*catalog;
	int		 prefixes, full, named;
	const char	*manifest, *prefix, *since, *name, *ages;
	int		 keep, older_days, grace_hours, dry_run;
	const char	*mode;
	const char	*keyspaces, *table, *base_path, *hosts, *listing;
	const char	*alt_name, *warnings;
	const char	*output;	/* schema -o */
	int		 new_snapshot;
	int		 input_fields;
	int		 exclude_system, json;
	const char	*exclude_tables;	/* restore: KS.TABLE,... */
	const char	*started;	/* node, merge, metrics: the run's start */
	const char	*command;	/* metrics */
	int		 status;	/* metrics: the run's exit status */
	time_t		 now;
};

/* One file of a node manifest. */
struct mfile {
	char		*path, *key, *sha256, *etag, *run, *source;
	uint64_t	 size, stored, inode;
	int64_t		 mtime_ns;	/* negative before 1970 */
	int		 pending;	/* reuse: a journaled upload that may
					   not have completed */
};

/* The files of a node manifest, by path (files.c). */
struct mf_files {
	struct mfile	*v;
	size_t		 n, cap;
	struct strset	 paths;		/* path -> index in v */
};

/* Free f's strings and zero it. */
void mf_file_clear(struct mfile *f);

/*
 * Add f (its strings now owned by fs), replacing the entry of its path.
 * Returns 0, or -1 out of memory (nothing printed).
 */
int mf_files_add(struct mf_files *fs, struct mfile *f);

/* Free every entry; fs is empty after it. */
void mf_files_free(struct mf_files *fs);

/*
 * Add the files of the node manifest at path to fs; the document goes to
 * *dp (to free with json_free()) unless dp is NULL.  Returns 0, or
 * EX_DATAERR (not a node manifest, a malformed entry) or EX_FAILURE,
 * reported.
 */
int mf_files_load(const char *path, struct mf_files *fs,
    struct json_doc **dp);

/*
 * Load the node manifest at path into *dp (free with json_free()), checked
 * to be one of a version this reader knows.  Returns 0, or EX_FAILURE or
 * EX_DATAERR (reported).
 */
int mf_node_doc_load(const char *path, struct json_doc **dp);

/* The same from f, called name in messages (stdin: "stdin"). */
int mf_node_doc_read(FILE *f, const char *name, struct json_doc **dp);

/*
 * Open the records file at path (nul: NUL-terminated); NULL if it cannot
 * be (reported).  Close both with mf_records_close().
 */
struct rec_reader *mf_records_open(const char *path, int nul, FILE **fp);
void mf_records_close(struct rec_reader *r, FILE *f);

/*
 * A listing of the bucket, cb-s3get --ls records SIZE TAB MTIME TAB ETAG
 * TAB KEY (common prefixes skipped): what a reuse, a verify and an orphan
 * sweep compare manifests with.  A zeroed struct is empty.
 */
struct mf_listing {
	struct strset	 keys;		/* key -> index */
	uint64_t	*size;
	char		**etag;
	size_t		 n, cap;
};
int mf_listing_load(struct mf_listing *l, const char *path, int nul);
/*
 * 0 if key is listed with this stored size and ETag (etag NULL or empty:
 * not compared); -1 not listed, -2 another size, -3 another ETag.
 */
int mf_listing_has(const struct mf_listing *l, const char *key,
    uint64_t stored, const char *etag);
void mf_listing_free(struct mf_listing *l);

/* 1 if a and b are the same ETag (quotes aside, any case). */
int mf_same_etag(const char *a, const char *b);

/* n bytes for people ("1.5 MiB") into buf. */
void mf_human(uint64_t n, char *buf, size_t size);

/* ISO 8601 UTC time of t into buf (21 bytes). */
void mf_time(time_t t, char *buf, size_t size);

/* Seconds since 1970 of "YYYY-MM-DDTHH:MM:SS..." (UTC); -1 if not one. */
time_t mf_iso_time(const char *s);

/*
 * Write member name as an array of the non-empty lines of the file path
 * (an empty array if path is NULL), then ",\n".  Returns 0, or EX_FAILURE
 * if the file cannot be read (reported).
 */
int mf_put_lines(FILE *out, const char *name, const char *path);

/* Write a comma-separated list as a JSON array (null if NULL or empty). */
void mf_put_list(FILE *f, const char *list);

int mf_node(const struct mf_opts *o);
int mf_merge(const struct mf_opts *o);
int mf_restore(const struct mf_opts *o);
int mf_info(const struct mf_opts *o);
int mf_summary(const struct mf_opts *o);
int mf_plan(const struct mf_opts *o);
int mf_keys(const struct mf_opts *o);
int mf_reuse(const struct mf_opts *o);
int mf_orphans(const struct mf_opts *o);
int mf_verify(const struct mf_opts *o);
int mf_refs(const struct mf_opts *o, int argc, char **argv);
int mf_purge_plan(const struct mf_opts *o);
int mf_report(const struct mf_opts *o, const char *what);
/* The schema of the node manifest on stdin as a CQL script (schema.c). */
int mf_schema(const struct mf_opts *o);
int mf_topology(const struct mf_opts *o);
int mf_metrics(const struct mf_opts *o);

/* The keys of a backup's cluster manifest and of a node manifest of a
 * run (malloc'd; NULL if out of memory). */
char *mf_cluster_key(const char *base, const char *name);
char *mf_node_key(const char *base, const char *name, const char *host,
    const char *run);
int mf_list(const struct mf_opts *o);
int mf_latest(const struct mf_opts *o);

/*
 * The backups of a base path (catalog.c): records NAME TAB FILE as
 * cb-manifest list reads them, from the file at path.  Returns 0 with *cp
 * (free with mf_catalog_free()), or an exit status (reported).
 */
struct mf_catalog;
int mf_catalog_open(const char *path, struct mf_catalog **cp);
void mf_catalog_free(struct mf_catalog *c);

/*
 * The key of the newest node manifest of host in a backup of the catalog
 * other than not1 and not2 (not2 may be NULL): the
 * reference of a differential backup.  NULL if there is none.
 */
const char *mf_catalog_reference(const struct mf_catalog *c,
    const char *host, const char *not1, const char *not2);

/* 1 if d is the tombstone of a purged backup. */
int mf_is_purged(struct json_doc *d);

/* The summary of a cluster (or seed) manifest: one line, or JSON. */
void mf_summary_doc(FILE *out, struct json_doc *d, int json);

/*
 * The path of a file of a node manifest: "path", and where the path is
 * not UTF-8 (which JSON cannot hold) "path" as its key escapes it and
 * "path_bytes", the exact bytes in base64 (cb-manifest(5)).
 */
void mf_put_path(FILE *out, const char *path);

/*
 * The exact path of file entry e: path_bytes where there is one, else
 * path.  Returns a string to free, or NULL (reported, naming the entry i
 * of manifest name) if it is missing, empty, holds a NUL or is not base64.
 */
char *mf_file_path(struct json_doc *d, yaml_node_t *e, const char *name,
    size_t i);

/*
 * Check the version of node manifest d: 0, or -1 if it is not one this
 * reader knows (reported).
 */
int mf_node_version_check(struct json_doc *d, const char *name);

#define MF_NODE_FORMAT		"cassandra-backups node manifest"
#define MF_CLUSTER_FORMAT	"cassandra-backups cluster manifest"
/* What a purge leaves in place of a cluster manifest while later backups
 * still name objects under the backup's name (cb-manifest(5)). */
#define MF_PURGED_FORMAT	"cassandra-backups purged backup"
#define MF_VERSION		1
#define MF_NODE_VERSION_BYTES	2	/* a node manifest with path_bytes */

#endif
