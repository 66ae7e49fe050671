/* cb-manifest node: a node manifest from cb-s3put result records. */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bkpath.h"
#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

struct files {
	struct mfile	*v;
	size_t		 n, cap;
	struct strset	 paths;		/* path -> index in v */
};

static void
mfile_clear(struct mfile *f)
{

	free(f->path);
	free(f->key);
	free(f->sha256);
	free(f->etag);
	free(f->run);
	free(f->source);
}

/* Add f (its strings now owned by fs), replacing an entry with its path. */
static int
files_add(struct files *fs, struct mfile *f)
{
	struct mfile *nv;
	long i;

	if ((i = strset_put(&fs->paths, f->path, (long)fs->n)) == -2)
		return (-1);
	if (i >= 0) {
		mfile_clear(&fs->v[i]);
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

static void
files_free(struct files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		mfile_clear(&fs->v[i]);
	free(fs->v);
	strset_free(&fs->paths);
}

static const char *
source_of(const char *path)
{
	struct bkpath bp;
	const char *s = "other";

	if (bkpath_parse(path, &bp) == 1) {
		s = bp.backups ? "backups" : "snapshot";
		bkpath_clear(&bp);
	}
	return (s);
}

/* One ok result record. */
static int
result_add(struct files *fs, const struct xfer_rec *x, const char *run)
{
	struct mfile m;

	memset(&m, 0, sizeof(m));
	m.size = x->raw;
	m.stored = x->stored;
	m.mtime_ns = x->mtime_ns;	/* 0 unless x->file */
	m.inode = x->inode;
	m.path = strdup(x->path);
	m.key = strdup(x->key);
	m.sha256 = strdup(x->sha256);
	m.etag = strdup(x->etag);
	m.run = strdup(run);
	m.source = strdup(source_of(x->path));
	if (m.path == NULL || m.key == NULL || m.sha256 == NULL ||
	    m.etag == NULL || m.run == NULL || m.source == NULL ||
	    files_add(fs, &m) != 0) {
		warnp("cannot allocate");
		mfile_clear(&m);
		return (-1);
	}
	return (0);
}

static int
read_results(const struct mf_opts *o, struct files *fs, size_t *failed)
{
	struct rec_reader *r;
	struct xfer_rec x;
	char q[REC_QUOTE_MAX];
	int rc;

	if ((r = rec_reader_new(stdin, o->nul, "stdin")) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_read_xfer(r, 6 + (size_t)o->input_fields, &x)) == 1) {
		if (!x.ok) {
			warn0("cannot back up '%s': %s",
			    rec_quote(x.path, q, sizeof(q)), x.status);
			(*failed)++;
			continue;
		}
		if (result_add(fs, &x, o->run) != 0) {
			rec_reader_free(r);
			return (EX_FAILURE);
		}
	}
	rec_reader_free(r);
	return (rc < 0 ? EX_DATAERR : 0);
}

static char *
dupstr(struct json_doc *d, yaml_node_t *m, const char *k)
{
	const char *s = json_get_str(d, m, k, NULL);

	return (strdup(s != NULL ? s : ""));
}

/* The files and runs of the previous node manifest. */
static int
read_previous(const char *path, struct files *fs, struct json_doc **dp)
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
		if (*m.path == '\0' || *m.key == '\0') {
			warn0("cannot read '%s': file %zu has no path or key",
			    path, i + 1);
			mfile_clear(&m);
			json_free(d);
			return (EX_DATAERR);
		}
		if (files_add(fs, &m) != 0) {
			mfile_clear(&m);
			json_free(d);
			return (EX_FAILURE);
		}
	}
	*dp = d;
	return (0);
}

/* Topology records KEY TAB VALUE; repeated keys (token) become arrays. */
static int
put_topology(FILE *out, const char *path)
{
	struct rec_reader *r;
	FILE *f;
	char *fl[2];
	int rc, first = 1, inarr = 0;

	fputs("  \"topology\": {", out);
	if (path == NULL) {
		fputs("},\n", out);
		return (0);
	}
	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	r = rec_reader_new(f, 0, path);
	while (r != NULL && (rc = rec_reader_next(r, 2, fl)) == 1) {
		if (strcmp(fl[0], "token") == 0) {
			if (!inarr) {
				fputs(first ? "\n    \"tokens\": [" :
				    ",\n    \"tokens\": [", out);
				inarr = 1;
			} else
				fputs(", ", out);
			json_put_str(out, fl[1]);
		} else {
			if (inarr)
				fputs("]", out);
			inarr = 0;
			fputs(first ? "\n    " : ",\n    ", out);
			json_put_str(out, fl[0]);
			fputs(": ", out);
			json_put_str(out, fl[1]);
		}
		first = 0;
	}
	if (inarr)
		fputs("]", out);
	fputs(first ? "},\n" : "\n  },\n", out);
	rec_reader_free(r);
	fclose(f);
	return (r == NULL || rc < 0 ? EX_DATAERR : 0);
}

static int
put_schema(FILE *out, const char *path)
{
	struct strbuf_lite { char *s; size_t len; } b = { NULL, 0 };
	FILE *f;
	size_t cap = 0;
	ssize_t n;
	char *line = NULL;

	fputs("  \"schema\": ", out);
	if (path == NULL) {
		fputs("null,\n", out);
		return (0);
	}
	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		char *nb = realloc(b.s, b.len + (size_t)n + 1);

		if (nb == NULL)
			break;
		b.s = nb;
		memcpy(b.s + b.len, line, (size_t)n + 1);
		b.len += (size_t)n;
	}
	free(line);
	fclose(f);
	json_put_str(out, b.s != NULL ? b.s : "");
	fputs(",\n", out);
	free(b.s);
	return (0);
}

static void
put_file(FILE *out, const struct mfile *m)
{

	fputs("    {\"path\": ", out);
	mf_put_path(out, m->path);
	fputs(", \"key\": ", out);
	json_put_str(out, m->key);
	fprintf(out, ", \"size\": %" PRIu64 ", \"stored_size\": %" PRIu64
	    ", \"sha256\": ", m->size, m->stored);
	json_put_str(out, m->sha256);
	fputs(", \"etag\": ", out);
	json_put_str(out, m->etag);
	fprintf(out, ", \"mtime_ns\": %" PRId64 ", \"inode\": %" PRIu64
	    ", \"run\": ", m->mtime_ns, m->inode);
	json_put_str(out, m->run);
	fputs(", \"source\": ", out);
	json_put_str(out, m->source);
	fputs("}", out);
}

/* The runs: the previous manifest's, then this one with its counts. */
static void
put_runs(FILE *out, const struct mf_opts *o, struct json_doc *prev,
    const struct files *fs)
{
	yaml_node_t *runs = prev ? json_get(prev, json_root(prev), "runs") : 0;
	uint64_t n = 0, bytes = 0, stored = 0;
	size_t i;

	fputs("  \"runs\": [\n", out);
	for (i = 0; i < json_len(runs); i++) {
		yaml_node_t *r = json_item(prev, runs, i);

		fputs("    {\"run\": ", out);
		json_put_str(out, json_get_str(prev, r, "run", ""));
		fputs(", \"kind\": ", out);
		json_put_str(out, json_get_str(prev, r, "kind", ""));
		fprintf(out, ", \"files\": %" PRIu64 ", \"bytes\": %" PRIu64
		    ", \"stored_bytes\": %" PRIu64 "},\n",
		    json_get_u64(prev, r, "files", 0),
		    json_get_u64(prev, r, "bytes", 0),
		    json_get_u64(prev, r, "stored_bytes", 0));
	}
	for (i = 0; i < fs->n; i++) {
		if (strcmp(fs->v[i].run, o->run) != 0)
			continue;
		n++;
		bytes += fs->v[i].size;
		stored += fs->v[i].stored;
	}
	fputs("    {\"run\": ", out);
	json_put_str(out, o->run);
	fputs(", \"kind\": ", out);
	json_put_str(out, o->kind);
	fprintf(out, ", \"files\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"stored_bytes\": %" PRIu64 "}\n  ],\n", n, bytes, stored);
}

static int
put_node(FILE *out, const struct mf_opts *o, struct json_doc *prev,
    const struct files *fs)
{
	uint64_t bytes = 0, stored = 0;
	char now[32];
	size_t i;
	int rc;

	/* Only a manifest that has path_bytes needs a reader that knows it. */
	for (i = 0; i < fs->n && rec_utf8_valid(fs->v[i].path); i++)
		;
	mf_time(o->now, now, sizeof(now));
	fprintf(out, "{\n  \"format\": \"%s\",\n  \"version\": %d,\n",
	    MF_NODE_FORMAT, i < fs->n ? MF_NODE_VERSION_BYTES : MF_VERSION);
	fputs("  \"backup\": ", out);
	json_put_str(out, o->backup);
	fputs(",\n  \"run\": ", out);
	json_put_str(out, o->run);
	fputs(",\n  \"host\": ", out);
	json_put_str(out, o->host);
	fprintf(out, ",\n  \"created\": \"%s\",\n  \"keyspaces\": ", now);
	mf_put_list(out, o->keyspaces);
	fputs(",\n  \"table\": ", out);
	json_put_strn(out, o->table && *o->table ? o->table : NULL);
	fputs(",\n", out);
	put_runs(out, o, prev, fs);
	if ((rc = mf_put_lines(out, "warnings", o->warnings)) != 0 ||
	    (rc = put_topology(out, o->topology)) != 0 ||
	    (rc = put_schema(out, o->schema)) != 0)
		return (rc);
	for (i = 0; i < fs->n; i++) {
		bytes += fs->v[i].size;
		stored += fs->v[i].stored;
	}
	fprintf(out, "  \"totals\": {\"files\": %zu, \"bytes\": %" PRIu64
	    ", \"stored_bytes\": %" PRIu64 "},\n  \"files\": [", fs->n,
	    bytes, stored);
	for (i = 0; i < fs->n; i++) {
		fputs(i ? ",\n" : "\n", out);
		put_file(out, &fs->v[i]);
	}
	fputs(fs->n ? "\n  ]\n}\n" : "]\n}\n", out);
	return (0);
}

int
mf_node(const struct mf_opts *o)
{
	struct files fs;
	struct json_doc *prev = NULL;
	size_t failed = 0;
	int rc;

	memset(&fs, 0, sizeof(fs));
	if (o->previous != NULL &&
	    (rc = read_previous(o->previous, &fs, &prev)) != 0)
		goto done;
	if ((rc = read_results(o, &fs, &failed)) != 0)
		goto done;
	if (failed > 0) {
		warn0("%zu files of host '%s' were not backed up: no "
		    "manifest written", failed, o->host);
		rc = EX_FAILURE;
		goto done;
	}
	if ((rc = put_node(stdout, o, prev, &fs)) == 0 &&
	    (fflush(stdout) != 0 || ferror(stdout))) {
		warnp("cannot write the manifest");
		rc = EX_FAILURE;
	}
done:
	json_free(prev);
	files_free(&fs);
	return (rc);
}
