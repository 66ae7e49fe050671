#ifndef LOAD_H
#define LOAD_H

/*
 * cb-load: restored sstables into the live tables of a node.  main.c
 * holds the options; map.c matches restored table directories to live
 * tables; files.c moves sstables; the modes are in load.c (map, import,
 * refresh), restart.c and schema.c.
 */

#include <sys/types.h>

#include <stddef.h>
#include <stdint.h>

#include "cassconf.h"
#include "casstool.h"
#include "cqlsh.h"
#include "strset.h"

#define MAXKS	64

struct opts {
	struct casstool	 tool;
	const char	*confdir;
	const char	*mode;		/* map import refresh restart schema */
	const char	*restore_dir;
	const char	*table;
	const char	*done;
	const char	*owner;
	struct cqlsh_opts cq;		/* login and TLS for cqlsh */
	const char	*stop_cmd;
	const char	*start_cmd;
	const char	*tokens;
	const char	*file;		/* schema --file */
	char		*kslist;
	char		*ks[MAXKS];
	size_t		 nks;
	long		 start_timeout;
	int		 nul;
	int		 quiet;
};

/* One restored table and the live table it goes into. */
struct rtable {
	char		*ks;
	char		*name;
	char		**bdirs;	/* RESTORE_DIR/KS/TABLE-ID */
	char		**bids;		/* their ids ("" for TABLE/) */
	size_t		 nb;
	char		*live_id;	/* NULL: not in the live schema */
	size_t		 nsst;		/* sstables (of the table, not 2i) */
	uint64_t	 bytes;		/* their files' bytes */
	int		 done;		/* listed in --done */
	uid_t		 uid;		/* who gets the files */
	gid_t		 gid;
};

struct tmap {
	struct rtable	*t;
	size_t		 n;
};

/* What a run has open. */
struct ctx {
	const struct opts	*o;
	struct cassconf		*conf;
	struct cqlsh_rc		*creds;
	struct tmap		 map;
	struct strset		 done;	/* "KS\tTABLE" of --done */
	int			 failed;	/* worst table failure status */
};

/* map.c */
int map_build(struct ctx *x);
void map_free(struct tmap *m);
int map_owners(struct ctx *x);
int map_live_dir(const struct ctx *x, const struct rtable *t, size_t dd,
    char *buf, size_t size);

/* files.c */
int files_count(struct rtable *t);
int files_give(const struct rtable *t, const char *path, int isdir);
int files_give_tree(const struct rtable *t, const char *dir);
int files_load(struct ctx *x, struct rtable *t, int with_index);
int files_replace_live(struct ctx *x, struct rtable *t, const char *stamp);

/* load.c */
int load_record(const struct ctx *x, const struct rtable *t,
    const char *status);
int load_journal_read(struct ctx *x);
int load_journal_add(const struct ctx *x, const struct rtable *t);
int load_run(struct ctx *x);

/* A mode's work on one table: 0, or the exit status of its failure. */
typedef int load_fn(struct ctx *x, struct rtable *t, const void *arg);

/*
 * One table: already (--done), empty, mapped (fn NULL), or fn then
 * loaded (and the journal) or failed; its record written.  Returns 0, or
 * -1 if stdout cannot be written.
 */
int load_table(struct ctx *x, struct rtable *t, load_fn *fn,
    const void *arg);

/* restart.c */
int restart_run(struct ctx *x);

/* schema.c */
int schema_run(struct ctx *x);

#endif
