/*
 * The files of a node manifest in memory: what node (which writes them)
 * and reuse (which looks up stored objects in them) share.
 */
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
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
mf_files_load(const char *path, struct mf_files *fs, struct json_doc **dp)
{
	struct json_doc *d;
	yaml_node_t *root, *files, *e;
	struct mfile m;
	FILE *f;
	size_t i;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	d = json_load(f, path);
	fclose(f);
	if (d == NULL)
		return (EX_DATAERR);
	root = json_root(d);
	if (strcmp(json_get_str(d, root, "format", ""), MF_NODE_FORMAT) != 0) {
		warn0("cannot read '%s': not a node manifest", path);
		json_free(d);
		return (EX_DATAERR);
	}
	if (mf_node_version_check(d, path) != 0) {
		json_free(d);
		return (EX_DATAERR);
	}
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
