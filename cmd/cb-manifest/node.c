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

/*
 * What one run did (the "runs" entry of cb-manifest(5)): the objects it
 * stored (uploaded now, or by an interrupted attempt of the same backup:
 * resumed), the files whose objects were stored before (reused), and the
 * files it read.
 */
struct counts {
	uint64_t	 files, bytes, stored;
	uint64_t	 reused_files, reused_bytes, resumed_files;
	uint64_t	 read_files, read_bytes;
};

/* The node manifest being built. */
struct build {
	const struct mf_opts	*o;
	struct mf_files		 fs;		/* the files, by path */
	struct strset		 keys;		/* key -> index in fs.v */
	struct mf_files		 ref;		/* --reference's files */
	struct strset		 refkeys;	/* key -> index in ref.v */
	struct json_doc		*prev, *refdoc;
	struct counts		 c;
	size_t			 failed;
};

static int
index_keys(struct strset *set, const struct mf_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		if (strset_put(set, fs->v[i].key, (long)i) == -2) {
			warnp("cannot allocate");
			return (-1);
		}
	return (0);
}

/*
 * The run that stored the object of a reused file: that of an entry of
 * the previous or the reference manifest naming the same key; NULL for
 * an object neither names, which an interrupted attempt of this run
 * uploaded (cb-node(1) keeps their results).
 */
static const char *
origin_run(const struct build *b, const char *key)
{
	long i;

	if ((i = strset_get(&b->keys, key)) >= 0)
		return (b->fs.v[i].run);
	if ((i = strset_get(&b->refkeys, key)) >= 0)
		return (b->ref.v[i].run);
	return (NULL);
}

/* One result record whose file is in an object. */
static int
result_add(struct build *b, const struct xfer_rec *x)
{
	const char *run = b->o->run;
	struct mfile m;
	long i;

	if (x->opened) {
		b->c.read_files++;
		b->c.read_bytes += x->raw;
	}
	if (x->reused && (run = origin_run(b, x->key)) != NULL) {
		b->c.reused_files++;
		b->c.reused_bytes += x->raw;
		/*
		 * The object is recorded already under another path (an
		 * sstable of backups/ that a snapshot of this backup holds
		 * too): one entry is enough, a restore writes it once.
		 */
		if ((i = strset_get(&b->keys, x->key)) >= 0 &&
		    b->fs.v[i].size == x->raw &&
		    strcmp(b->fs.v[i].sha256, x->sha256) == 0)
			return (0);
	} else {
		if (x->reused)
			b->c.resumed_files++;
		run = b->o->run;
		b->c.files++;
		b->c.bytes += x->raw;
		b->c.stored += x->stored;
	}
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
	    mf_files_add(&b->fs, &m) != 0) {
		warnp("cannot allocate");
		mf_file_clear(&m);
		return (-1);
	}
	return (0);
}

static int
read_results(struct build *b)
{
	const struct mf_opts *o = b->o;
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
			b->failed++;
			continue;
		}
		if (result_add(b, &x) != 0) {
			rec_reader_free(r);
			return (EX_FAILURE);
		}
	}
	rec_reader_free(r);
	return (rc < 0 ? EX_DATAERR : 0);
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

/*
 * started (NULL: not recorded) and duration_seconds (-1: unknown) of a
 * run: for this run, --started and the time now.
 */
static void
put_run(FILE *out, const char *run, const char *kind, const char *ref,
    const struct counts *c, const char *started, int64_t duration)
{

	fputs("    {\"run\": ", out);
	json_put_str(out, run);
	fputs(", \"kind\": ", out);
	json_put_str(out, kind);
	fputs(", \"reference\": ", out);
	json_put_strn(out, ref);
	fputs(", \"started\": ", out);
	json_put_strn(out, started);
	if (duration >= 0)
		fprintf(out, ", \"duration_seconds\": %" PRId64, duration);
	else
		fputs(", \"duration_seconds\": null", out);
	fprintf(out, ",\n     \"files\": %" PRIu64 ", \"bytes\": %" PRIu64
	    ", \"stored_bytes\": %" PRIu64 ", \"resumed_files\": %" PRIu64
	    ",\n     \"reused_files\": %" PRIu64 ", \"reused_bytes\": %" PRIu64
	    ", \"read_files\": %" PRIu64 ", \"read_bytes\": %" PRIu64 "}",
	    c->files, c->bytes, c->stored, c->resumed_files, c->reused_files,
	    c->reused_bytes, c->read_files, c->read_bytes);
}

/*
 * The runs: the previous manifest's, then this one.  Fills runs with the
 * names of all of them (this backup's runs, whose objects it added).
 */
static int
put_runs(FILE *out, const struct build *b, struct strset *runs)
{
	struct json_doc *p = b->prev;
	yaml_node_t *rs = p ? json_get(p, json_root(p), "runs") : NULL, *r;
	const char *ref = NULL;
	struct counts c;
	size_t i;
	time_t t;

	fputs("  \"runs\": [\n", out);
	for (i = 0; i < json_len(rs); i++) {
		r = json_item(p, rs, i);
		c.files = json_get_u64(p, r, "files", 0);
		c.bytes = json_get_u64(p, r, "bytes", 0);
		c.stored = json_get_u64(p, r, "stored_bytes", 0);
		c.resumed_files = json_get_u64(p, r, "resumed_files", 0);
		c.reused_files = json_get_u64(p, r, "reused_files", 0);
		c.reused_bytes = json_get_u64(p, r, "reused_bytes", 0);
		/* (manifests before these counts: every file was read) */
		c.read_files = json_get_u64(p, r, "read_files", c.files);
		c.read_bytes = json_get_u64(p, r, "read_bytes", c.bytes);
		put_run(out, json_get_str(p, r, "run", ""),
		    json_get_str(p, r, "kind", ""),
		    json_get_str(p, r, "reference", NULL), &c,
		    json_get_str(p, r, "started", NULL),
		    json_get_i64(p, r, "duration_seconds", -1));
		fputs(",\n", out);
		if (strset_put(runs, json_get_str(p, r, "run", ""), 0) == -2)
			return (-1);
	}
	if (b->refdoc != NULL)
		ref = json_get_str(b->refdoc, json_root(b->refdoc), "backup",
		    NULL);
	t = mf_iso_time(b->o->started);
	put_run(out, b->o->run, b->o->kind, ref, &b->c, b->o->started,
	    t >= 0 && b->o->now >= t ? (int64_t)(b->o->now - t) : -1);
	fputs("\n  ],\n", out);
	return (strset_put(runs, b->o->run, 0) == -2 ? -1 : 0);
}

static int
put_node(FILE *out, const struct build *b)
{
	const struct mf_opts *o = b->o;
	const struct mf_files *fs = &b->fs;
	struct counts all, added;
	struct strset runs;
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
	memset(&runs, 0, sizeof(runs));
	if (put_runs(out, b, &runs) != 0) {
		warnp("cannot allocate");
		strset_free(&runs);
		return (EX_FAILURE);
	}
	if ((rc = mf_put_lines(out, "warnings", o->warnings)) != 0 ||
	    (rc = put_topology(out, o->topology)) != 0 ||
	    (rc = put_schema(out, o->schema)) != 0) {
		strset_free(&runs);
		return (rc);
	}
	memset(&all, 0, sizeof(all));
	memset(&added, 0, sizeof(added));
	for (i = 0; i < fs->n; i++) {
		all.files++;
		all.bytes += fs->v[i].size;
		all.stored += fs->v[i].stored;
		if (strset_get(&runs, fs->v[i].run) < 0)
			continue;
		added.files++;
		added.bytes += fs->v[i].size;
		added.stored += fs->v[i].stored;
	}
	strset_free(&runs);
	fprintf(out, "  \"totals\": {\"files\": %" PRIu64 ", \"bytes\": %"
	    PRIu64 ", \"stored_bytes\": %" PRIu64 ",\n    \"added_files\": %"
	    PRIu64 ", \"added_bytes\": %" PRIu64 ", \"added_stored_bytes\": %"
	    PRIu64 "},\n  \"files\": [", all.files, all.bytes, all.stored,
	    added.files, added.bytes, added.stored);
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
	struct build b;
	int rc;

	memset(&b, 0, sizeof(b));
	b.o = o;
	if (o->previous != NULL &&
	    (rc = mf_files_load(o->previous, &b.fs, &b.prev)) != 0)
		goto done;
	if (o->reference != NULL &&
	    (rc = mf_files_load(o->reference, &b.ref, &b.refdoc)) != 0)
		goto done;
	rc = EX_FAILURE;
	if (index_keys(&b.keys, &b.fs) != 0 ||
	    index_keys(&b.refkeys, &b.ref) != 0)
		goto done;
	if ((rc = read_results(&b)) != 0)
		goto done;
	if (b.failed > 0) {
		warn0("%zu files of host '%s' were not backed up: no "
		    "manifest written", b.failed, o->host);
		rc = EX_FAILURE;
		goto done;
	}
	if ((rc = put_node(stdout, &b)) == 0 &&
	    (fflush(stdout) != 0 || ferror(stdout))) {
		warnp("cannot write the manifest");
		rc = EX_FAILURE;
	}
done:
	json_free(b.prev);
	json_free(b.refdoc);
	mf_files_free(&b.fs);
	mf_files_free(&b.ref);
	strset_free(&b.keys);
	strset_free(&b.refkeys);
	return (rc);
}
