/*
 * cb-manifest reuse: which files of a run are stored already, so that a
 * backup uploads (and reads) only what changed (cb-manifest(1)).
 *
 * The candidates are the files of an earlier node manifest of the node
 * (--reference) and the results of an interrupted attempt of the same
 * backup (--results), each kept only when its object is in the listing
 * of what the bucket holds (--objects) with the size and ETag recorded.
 * A file of the run (a cb-list file record on stdin) is matched with the
 * candidates of the same sstable file (node_path_key(): the path without
 * snapshots/TAG/ or backups/):
 *
 *	same size, mtime and inode	reused, never opened
 *	same size otherwise		read and hashed: reused ("hashed")
 *					if the SHA-256 is a candidate's
 *	anything else			uploaded: its record goes to stdout
 *
 * The reused ones are written to --reused as cb-s3put result records,
 * status "reused" or "hashed", naming the existing object.
 *
 * --prefixes prints instead the key prefixes that --objects must list:
 * BASE/NAME/HOST/ for every backup whose objects a candidate names.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "json.h"
#include "manifest.h"
#include "node.h"
#include "num.h"
#include "records.h"
#include "strset.h"
#include "warnp.h"

struct reuse {
	const struct mf_opts	*o;
	struct mf_files		 cands;	/* reference files, then results */
	long			*next;	/* chain of one identity, or -1 */
	struct strset		 ids;	/* identity -> first candidate */
	struct mf_listing	 objs;	/* --objects */
	int			 listed;	/* --objects given */
	FILE			*reused;
	uint64_t		 nreused, nhashed, nupload, nmissing;
};

/* The candidates of the earlier attempt: result records with status ok. */
static int
load_results(struct reuse *u, const char *path)
{
	struct rec_reader *r;
	struct xfer_rec x;
	struct mfile m;
	FILE *in;
	int rc;

	if ((r = mf_records_open(path, u->o->nul, &in)) == NULL)
		return (EX_FAILURE);
	while ((rc = rec_read_xfer(r, REC_XFER_FIELDS, &x)) == 1) {
		/*
		 * "pending" (cb-s3put --journal): the object may or may not
		 * have been made; only a listing that shows it as recorded
		 * tells.
		 */
		if (!x.ok && strcmp(x.status, "pending") != 0)
			continue;
		memset(&m, 0, sizeof(m));
		m.pending = !x.ok;
		m.size = x.raw;
		m.stored = x.stored;
		m.mtime_ns = x.mtime_ns;
		m.inode = x.inode;
		m.path = strdup(x.path);
		m.key = strdup(x.key);
		m.sha256 = strdup(x.sha256);
		m.etag = strdup(x.etag);
		if (m.path == NULL || m.key == NULL || m.sha256 == NULL ||
		    m.etag == NULL || mf_files_add(&u->cands, &m) != 0) {
			warnp("cannot allocate");
			mf_file_clear(&m);
			rc = -2;
			break;
		}
	}
	mf_records_close(r, in);
	return (rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR : 0);
}

/* The reference manifest, unless it is of another node (host id). */
static int
load_reference(struct reuse *u, const char *path)
{
	struct mf_files fs;
	struct json_doc *d;
	const char *id;
	size_t i;
	int rc;

	memset(&fs, 0, sizeof(fs));
	if ((rc = mf_files_load(path, &fs, &d)) != 0)
		return (rc);
	id = json_get_str(d, json_get(d, json_root(d), "topology"),
	    "host_id", NULL);
	if (u->o->host_id != NULL && id != NULL && strcmp(id, "-") != 0 &&
	    strcmp(u->o->host_id, "-") != 0 && strcmp(id, u->o->host_id)) {
		warnp_warning("not reusing backup '%s': it is of host id %s, "
		    "this node is %s (a new node: everything is uploaded)",
		    json_get_str(d, json_root(d), "backup", "?"), id,
		    u->o->host_id);
		mf_files_free(&fs);
		json_free(d);
		return (0);
	}
	json_free(d);
	for (i = 0; i < fs.n; i++) {
		if (mf_files_add(&u->cands, &fs.v[i]) != 0) {
			warnp("cannot allocate");
			for (; i < fs.n; i++)
				mf_file_clear(&fs.v[i]);
			mf_files_free(&fs);
			return (EX_FAILURE);
		}
		memset(&fs.v[i], 0, sizeof(fs.v[i]));
	}
	mf_files_free(&fs);
	return (0);
}

/* 1 if candidate m's object is listed as recorded (or nothing is listed). */
static int
stored(const struct reuse *u, const struct mfile *m)
{

	if (!u->listed)
		return (!m->pending);	/* no listing: the records are trusted */
	return (mf_listing_has(&u->objs, m->key, m->stored, m->etag) == 0);
}

/* Index the candidates whose objects exist, by identity. */
static int
index_cands(struct reuse *u)
{
	char id[PATH_MAX];
	size_t i;
	long first;

	if (u->cands.n > 0 &&
	    (u->next = malloc(u->cands.n * sizeof(*u->next))) == NULL) {
		warnp("cannot allocate");
		return (EX_FAILURE);
	}
	for (i = 0; i < u->cands.n; i++) {
		u->next[i] = -1;
		if (!stored(u, &u->cands.v[i])) {
			u->nmissing++;
			continue;
		}
		if (node_path_key(u->cands.v[i].path, id, sizeof(id)) < 0)
			continue;
		if ((first = strset_put(&u->ids, id, (long)i)) == -2) {
			warnp("cannot allocate");
			return (EX_FAILURE);
		}
		if (first >= 0) {
			/* Second of its identity: after the first. */
			u->next[i] = u->next[first];
			u->next[first] = (long)i;
		}
	}
	return (0);
}

/* The SHA-256 of the file at path into hex (65 bytes); -1 if unreadable. */
static int
hash_file(const char *path, char hex[65])
{
	static unsigned char buf[1 << 20];
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen, i;
	EVP_MD_CTX *ctx;
	ssize_t n;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return (-1);
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
		goto out;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		EVP_DigestUpdate(ctx, buf, (size_t)n);
	if (n == 0 && EVP_DigestFinal_ex(ctx, md, &mdlen)) {
		for (i = 0; i < mdlen; i++)
			snprintf(hex + 2 * i, 3, "%02x", md[i]);
		rc = 0;
	}
out:
	EVP_MD_CTX_free(ctx);
	close(fd);
	return (rc);
}

static int
put_reused(struct reuse *u, const char *status, const struct mfile *m,
    char **f)
{
	char raw[24], st[24];
	const char *out[REC_XFER_FIELDS];

	snprintf(raw, sizeof(raw), "%" PRIu64, m->size);
	snprintf(st, sizeof(st), "%" PRIu64, m->stored);
	out[0] = status;
	out[1] = raw;
	out[2] = st;
	out[3] = m->sha256;
	out[4] = m->etag;
	out[5] = m->key;
	out[6] = f[0];
	out[7] = f[1];
	out[8] = f[2];
	out[9] = f[3];
	return (rec_write(u->reused, u->o->nul, REC_XFER_FIELDS, out));
}

/* One file of the run: reused, or passed on to be uploaded. */
static int
one(struct reuse *u, char **f, struct rec_reader *r)
{
	char id[PATH_MAX], hex[65];
	uint64_t size, ino;
	int64_t mtime;
	const struct mfile *m;
	long i;
	int hashed = 0;

	if (num_parse_u64(f[0], 0, UINT64_MAX, &size) != 0 ||
	    num_parse_i64(f[1], INT64_MIN, INT64_MAX, &mtime) != 0 ||
	    num_parse_u64(f[2], 0, UINT64_MAX, &ino) != 0) {
		warn0("malformed record %zu on stdin: expected SIZE, MTIME_NS "
		    "and INODE as decimal numbers", rec_reader_number(r));
		return (EX_DATAERR);
	}
	i = node_path_key(f[3], id, sizeof(id)) < 0 ? -1 :
	    strset_get(&u->ids, id);
	for (; i >= 0; i = u->next[i]) {
		m = &u->cands.v[i];
		if (m->size == size && m->mtime_ns == mtime && m->inode == ino) {
			u->nreused++;
			return (put_reused(u, "reused", m, f) ? EX_FAILURE : 0);
		}
	}
	i = node_path_key(f[3], id, sizeof(id)) < 0 ? -1 :
	    strset_get(&u->ids, id);
	for (; i >= 0; i = u->next[i]) {
		m = &u->cands.v[i];
		if (m->size != size)
			continue;
		/* Unreadable: the upload reports it. */
		if (!hashed && hash_file(f[3], hex) != 0)
			break;
		hashed = 1;
		if (strcmp(m->sha256, hex) == 0) {
			u->nhashed++;
			return (put_reused(u, "hashed", m, f) ? EX_FAILURE : 0);
		}
	}
	u->nupload++;
	return (rec_write(stdout, u->o->nul, 4, (const char *const *)f) ?
	    EX_FAILURE : 0);
}

/* --prefixes: BASE/NAME/HOST/ of every candidate's key, once each. */
static int
prefixes(struct reuse *u)
{
	const char *base = u->o->base_path, *k, *p;
	struct strset seen;
	size_t bl = strlen(base), i;
	const char *f[1];
	char *pre;
	long seen_before;
	int rc = 0;

	memset(&seen, 0, sizeof(seen));
	for (i = 0; i < u->cands.n && rc == 0; i++) {
		k = u->cands.v[i].key;
		/* A key outside the base path is never reused. */
		if (strncmp(k, base, bl) != 0 || k[bl] != '/' ||
		    (p = strchr(k + bl + 1, '/')) == NULL ||
		    (p = strchr(p + 1, '/')) == NULL)
			continue;
		if ((pre = strndup(k, (size_t)(p + 1 - k))) == NULL ||
		    (seen_before = strset_put(&seen, pre, 0)) == -2) {
			warnp("cannot allocate");
			free(pre);
			rc = EX_FAILURE;
			break;
		}
		f[0] = pre;
		if (seen_before == -1 && rec_write(stdout, 0, 1, f) != 0)
			rc = EX_FAILURE;
		free(pre);
	}
	strset_free(&seen);
	if (rc == 0 && fflush(stdout) != 0) {
		warnp("cannot write the prefixes");
		rc = EX_FAILURE;
	}
	return (rc);
}

int
mf_reuse(const struct mf_opts *o)
{
	struct rec_reader *r = NULL;
	struct reuse u;
	char *f[4];
	int rc;

	memset(&u, 0, sizeof(u));
	u.o = o;
	if ((o->reference != NULL &&
	    (rc = load_reference(&u, o->reference)) != 0) ||
	    (o->results != NULL && (rc = load_results(&u, o->results)) != 0))
		goto done;
	if (o->prefixes) {
		rc = prefixes(&u);
		goto done;
	}
	if (o->listing_file != NULL) {
		u.listed = 1;
		if ((rc = mf_listing_load(&u.objs, o->listing_file, o->nul))
		    != 0)
			goto done;
	}
	if (
	    (rc = index_cands(&u)) != 0)
		goto done;
	rc = EX_FAILURE;
	if ((u.reused = fopen(o->reused_out, "w")) == NULL) {
		warnp("cannot create '%s'", o->reused_out);
		goto done;
	}
	if ((r = rec_reader_new(stdin, o->nul, "stdin")) == NULL)
		goto done;
	while ((rc = rec_reader_next(r, 4, f)) == 1)
		if ((rc = one(&u, f, r)) != 0)
			goto done;
	if (rc < 0) {
		rc = EX_DATAERR;
		goto done;
	}
	if (fflush(stdout) != 0 || fclose(u.reused) != 0) {
		u.reused = NULL;
		warnp("cannot write the records");
		rc = EX_FAILURE;
		goto done;
	}
	u.reused = NULL;
	if (u.nmissing > 0)
		warnp_warning("%" PRIu64 " objects of earlier runs are not in "
		    "the bucket as recorded: their files are uploaded again",
		    u.nmissing);
	rc = 0;
done:
	if (u.reused != NULL)
		fclose(u.reused);
	rec_reader_free(r);
	mf_files_free(&u.cands);
	strset_free(&u.ids);
	mf_listing_free(&u.objs);
	free(u.next);
	return (rc);
}

/*
 * cb-manifest orphans: the objects of --objects under --prefix, uploaded
 * at --since or later, that the node manifest --manifest does not name:
 * what an interrupted run left that its rerun did not take over.  Only
 * file objects (".lzo"); node manifests are the caller's to judge.
 */
int
mf_orphans(const struct mf_opts *o)
{
	struct mf_files fs;
	struct strset keys;
	struct rec_reader *r;
	const char *f1[1];
	char *f[4];
	size_t pl = strlen(o->prefix), kl, i;
	FILE *in;
	int rc;

	memset(&fs, 0, sizeof(fs));
	memset(&keys, 0, sizeof(keys));
	if ((rc = mf_files_load(o->manifest, &fs, NULL)) != 0)
		return (rc);
	for (i = 0; i < fs.n; i++)
		if (strset_put(&keys, fs.v[i].key, 0) == -2) {
			warnp("cannot allocate");
			rc = EX_FAILURE;
			goto done;
		}
	if ((r = mf_records_open(o->listing_file, o->nul, &in)) == NULL) {
		rc = EX_FAILURE;
		goto done;
	}
	while ((rc = rec_reader_next(r, 4, f)) == 1) {
		kl = strlen(f[3]);
		if (strcmp(f[0], "-") == 0 || strncmp(f[3], o->prefix, pl) ||
		    kl < pl + 4 || strcmp(f[3] + kl - 4, ".lzo") != 0 ||
		    strset_get(&keys, f[3]) >= 0)
			continue;
		/* Times as S3 and mf_time() write them compare as text. */
		if (o->since != NULL && strncmp(f[1], o->since, 19) < 0)
			continue;
		f1[0] = f[3];
		if (rec_write(stdout, o->nul, 1, f1) != 0) {
			rc = -2;
			break;
		}
	}
	mf_records_close(r, in);
	rc = rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR :
	    fflush(stdout) != 0 ? EX_FAILURE : 0;
done:
	mf_files_free(&fs);
	strset_free(&keys);
	return (rc);
}
