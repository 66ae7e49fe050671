/* cb-manifest restore: cb-s3get list-mode records for a restore. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bkpath.h"
#include "json.h"
#include "manifest.h"
#include "node.h"
#include "records.h"
#include "warnp.h"

struct restore {
	const struct mf_opts	*o;
	struct strset		 seen;	/* restore paths already given */
	size_t			 refused, out;
};

/* 1 if KS.TABLE of bp is an item of the comma-separated list. */
static int
listed_table(const char *list, const struct bkpath *bp)
{
	size_t kl = strlen(bp->keyspace), tl = strlen(bp->table), n;
	const char *p;

	for (p = list; p != NULL && *p != '\0'; p += n + (p[n] == ',')) {
		n = strcspn(p, ",");
		if (n == kl + 1 + tl && strncmp(p, bp->keyspace, kl) == 0 &&
		    p[kl] == '.' && strncmp(p + kl + 1, bp->table, tl) == 0)
			return (1);
	}
	return (0);
}

static int
selected(const struct mf_opts *o, const struct bkpath *bp)
{

	if (o->exclude_system && node_keyspace_is_system(bp->keyspace))
		return (0);
	if (listed_table(o->exclude_tables, bp))
		return (0);
	return (bkpath_in_list(o->keyspaces, bp->keyspace) &&
	    bkpath_in_list(o->table, bp->table));
}

/* Emit KEY SIZE SHA256 PATH for one file, unless filtered or seen. */
static int
emit(struct restore *rs, const char *key, const char *size, const char *sha,
    const char *path)
{
	struct bkpath bp;
	const char *f[4];
	char q[REC_QUOTE_MAX];
	int rc;

	if ((rc = bkpath_parse(path, &bp)) < 0) {
		warn0("refusing key '%s': its path would escape the restore "
		    "directory", rec_quote(key, q, sizeof(q)));
		rs->refused++;
		return (0);
	}
	if (rc == 0 || !selected(rs->o, &bp)) {
		bkpath_clear(&bp);
		return (0);
	}
	/* The same sstable in snapshots/ and backups/: fetch it once. */
	if ((rc = (int)strset_put(&rs->seen, bp.rel, 0)) == -2) {
		bkpath_clear(&bp);
		return (-1);
	}
	if (rc == -1) {
		f[0] = key;
		f[1] = size;
		f[2] = sha;
		f[3] = bp.rel;
		if (rec_write(stdout, rs->o->nul, 4, f) != 0) {
			bkpath_clear(&bp);
			return (-1);
		}
		rs->out++;
	}
	bkpath_clear(&bp);
	return (0);
}

static int
from_manifest(struct restore *rs)
{
	struct json_doc *d;
	yaml_node_t *root, *files, *e;
	char size[32], *path;
	size_t i;
	int rc = 0;

	if ((rc = mf_node_doc_read(stdin, "stdin", &d)) != 0)
		return (rc);
	root = json_root(d);
	files = json_get(d, root, "files");
	for (i = 0; rc == 0 && i < json_len(files); i++) {
		e = json_item(d, files, i);
		const char *key = json_get_str(d, e, "key", NULL);
		const char *sha = json_get_str(d, e, "sha256", "-");

		if (key == NULL) {
			warn0("cannot read 'stdin': file %zu has no key",
			    i + 1);
			json_free(d);
			return (EX_DATAERR);
		}
		/* The exact name, which path_bytes holds where not UTF-8. */
		if ((path = mf_file_path(d, e, "stdin", i)) == NULL) {
			json_free(d);
			return (EX_DATAERR);
		}
		snprintf(size, sizeof(size), "%" PRIu64,
		    json_get_u64(d, e, "size", 0));
		rc = emit(rs, key, size, sha, path);
		free(path);
	}
	json_free(d);
	return (rc != 0 ? EX_FAILURE : 0);
}

/* Seed layout: PREFIX/<absolute path>.lzo, one or two slashes. */
static int
from_listing(struct restore *rs)
{
	struct rec_reader *r;
	const char *pre = rs->o->listing;
	size_t pl = strlen(pre), kl;
	char *f[4], *path;
	int rc;

	if ((r = rec_reader_new(stdin, rs->o->nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_next(r, 4, f)) == 1) {
		kl = strlen(f[3]);
		if (strncmp(f[3], pre, pl) != 0 || f[3][pl] != '/' ||
		    kl < pl + 5 || strcmp(f[3] + kl - 4, ".lzo") != 0)
			continue;
		if ((path = strndup(f[3] + pl, kl - pl - 4)) == NULL ||
		    emit(rs, f[3], "-", "-", path) != 0) {
			free(path);
			rec_reader_free(r);
			return (EX_FAILURE);
		}
		free(path);
	}
	rec_reader_free(r);
	return (rc < 0 ? EX_DATAERR : 0);
}

int
mf_restore(const struct mf_opts *o)
{
	struct restore rs;
	int rc;

	memset(&rs, 0, sizeof(rs));
	rs.o = o;
	rc = o->listing ? from_listing(&rs) : from_manifest(&rs);
	strset_free(&rs.seen);
	if (fflush(stdout) != 0) {
		warnp("cannot write records");
		return (EX_FAILURE);
	}
	if (rc == 0 && rs.refused > 0) {
		warn0("refused %zu keys that would escape the restore "
		    "directory", rs.refused);
		return (EX_DATAERR);
	}
	if (rc == 0 && rs.out == 0)
		warn0("no files match the selection");
	return (rc);
}
