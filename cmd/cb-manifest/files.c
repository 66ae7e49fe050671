/*
 * The files of a node manifest in memory: what node (which writes them)
 * and reuse (which looks up stored objects in them) share.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "num.h"
#include "records.h"
#include "warnp.h"

void
mf_file_clear(struct mfile *f)
{

	free(f->path);
	free(f->key);
	free(f->sha256);
	free(f->etag);
	free(f->run);
	free(f->source);
	memset(f, 0, sizeof(*f));
}

int
mf_files_add(struct mf_files *fs, struct mfile *f)
{
	struct mfile *nv;
	long i;

	if ((i = strset_put(&fs->paths, f->path, (long)fs->n)) == -2)
		return (-1);
	if (i >= 0) {
		mf_file_clear(&fs->v[i]);
		fs->v[i] = *f;
		return (0);
	}
	if (fs->n == fs->cap) {
		fs->cap = fs->cap ? fs->cap * 2 : 256;
		if ((nv = realloc(fs->v, fs->cap * sizeof(*nv))) == NULL)
			return (-1);
		fs->v = nv;
	}
	fs->v[fs->n++] = *f;
	return (0);
}

void
mf_files_free(struct mf_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		mf_file_clear(&fs->v[i]);
	free(fs->v);
	strset_free(&fs->paths);
	memset(fs, 0, sizeof(*fs));
}

static char *
dupstr(struct json_doc *d, yaml_node_t *m, const char *k)
{
	const char *s = json_get_str(d, m, k, NULL);

	return (strdup(s != NULL ? s : ""));
}

int
mf_node_doc_read(FILE *f, const char *name, struct json_doc **dp)
{
	struct json_doc *d;

	if ((d = json_load(f, name)) == NULL)
		return (EX_DATAERR);
	if (strcmp(json_get_str(d, json_root(d), "format", ""),
	    MF_NODE_FORMAT) != 0) {
		warn0("cannot read '%s': not a node manifest", name);
		json_free(d);
		return (EX_DATAERR);
	}
	if (mf_node_version_check(d, name) != 0) {
		json_free(d);
		return (EX_DATAERR);
	}
	*dp = d;
	return (0);
}

int
mf_node_doc_load(const char *path, struct json_doc **dp)
{
	FILE *f;
	int rc;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	rc = mf_node_doc_read(f, path, dp);
	fclose(f);
	return (rc);
}

int
mf_files_load(const char *path, struct mf_files *fs, struct json_doc **dp)
{
	struct json_doc *d;
	yaml_node_t *root, *files, *e;
	struct mfile m;
	size_t i;
	int rc;

	if ((rc = mf_node_doc_load(path, &d)) != 0)
		return (rc);
	root = json_root(d);
	files = json_get(d, root, "files");
	for (i = 0; i < json_len(files); i++) {
		e = json_item(d, files, i);
		memset(&m, 0, sizeof(m));
		if ((m.path = mf_file_path(d, e, path, i)) == NULL) {
			json_free(d);
			return (EX_DATAERR);
		}
		m.key = dupstr(d, e, "key");
		m.sha256 = dupstr(d, e, "sha256");
		m.etag = dupstr(d, e, "etag");
		m.run = dupstr(d, e, "run");
		m.source = dupstr(d, e, "source");
		m.size = json_get_u64(d, e, "size", 0);
		m.stored = json_get_u64(d, e, "stored_size", 0);
		/* Signed: an mtime may be before 1970. */
		m.mtime_ns = json_get_i64(d, e, "mtime_ns", 0);
		m.inode = json_get_u64(d, e, "inode", 0);
		if (m.key == NULL || m.sha256 == NULL || m.etag == NULL ||
		    m.run == NULL || m.source == NULL) {
			warnp("cannot allocate");
			mf_file_clear(&m);
			json_free(d);
			return (EX_FAILURE);
		}
		if (*m.path == '\0' || *m.key == '\0') {
			warn0("cannot read '%s': file %zu has no path or key",
			    path, i + 1);
			mf_file_clear(&m);
			json_free(d);
			return (EX_DATAERR);
		}
		if (mf_files_add(fs, &m) != 0) {
			warnp("cannot allocate");
			mf_file_clear(&m);
			json_free(d);
			return (EX_FAILURE);
		}
	}
	if (dp != NULL)
		*dp = d;
	else
		json_free(d);
	return (0);
}

struct rec_reader *
mf_records_open(const char *path, int nul, FILE **fp)
{
	struct rec_reader *r;

	if ((*fp = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (NULL);
	}
	if ((r = rec_reader_new(*fp, nul, path)) == NULL) {
		warnp("cannot read '%s'", path);
		fclose(*fp);
		*fp = NULL;
	}
	return (r);
}

void
mf_records_close(struct rec_reader *r, FILE *f)
{

	rec_reader_free(r);
	if (f != NULL)
		fclose(f);
}

/* ---- a listing of the bucket --------------------------------------- */

int
mf_listing_load(struct mf_listing *l, const char *path, int nul)
{
	struct rec_reader *r;
	char *f[4];
	uint64_t size;
	void *nv;
	FILE *in;
	long i;
	int rc;

	if ((r = mf_records_open(path, nul, &in)) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_reader_next(r, 4, f)) == 1) {
		if (strcmp(f[0], "-") == 0)
			continue;	/* a common prefix */
		if (num_parse_u64(f[0], 0, UINT64_MAX, &size) != 0) {
			warn0("malformed record %zu in '%s': SIZE is not a "
			    "number", rec_reader_number(r), path);
			rc = -1;
			break;
		}
		if (l->n == l->cap) {
			l->cap = l->cap ? 2 * l->cap : 1024;
			if ((nv = realloc(l->size, l->cap * sizeof(*l->size)))
			    == NULL) {
				rc = -2;
				break;
			}
			l->size = nv;
			if ((nv = realloc(l->etag, l->cap * sizeof(*l->etag)))
			    == NULL) {
				rc = -2;
				break;
			}
			l->etag = nv;
		}
		if ((i = strset_put(&l->keys, f[3], (long)l->n)) == -2 ||
		    (i == -1 && (l->etag[l->n] = strdup(f[2])) == NULL)) {
			rc = -2;
			break;
		}
		if (i == -1)
			l->size[l->n++] = size;
	}
	if (rc == -2)
		warnp("cannot allocate");
	mf_records_close(r, in);
	return (rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR : 0);
}

int
mf_listing_has(const struct mf_listing *l, const char *key, uint64_t stored,
    const char *etag)
{
	long i;

	if ((i = strset_get(&l->keys, key)) < 0)
		return (-1);
	if (l->size[i] != stored)
		return (-2);
	if (etag != NULL && *etag != '\0' && !mf_same_etag(l->etag[i], etag))
		return (-3);
	return (0);
}

void
mf_listing_free(struct mf_listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->etag[i]);
	free(l->etag);
	free(l->size);
	strset_free(&l->keys);
	memset(l, 0, sizeof(*l));
}

int
mf_same_etag(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al >= 2 && a[0] == '"' && a[al - 1] == '"')
		a++, al -= 2;
	if (bl >= 2 && b[0] == '"' && b[bl - 1] == '"')
		b++, bl -= 2;
	return (al == bl && strncasecmp(a, b, al) == 0);
}
