/*
 * cb-manifest verify, refs: what a quick verify and a purge need of node
 * manifests (cb-manifest(1)).
 *
 *	verify	every object the node manifest on stdin names is in the
 *		listing --objects with the size and ETag recorded: one
 *		record defect TAB HOST TAB WHAT TAB KEY TAB PATH per defect
 *		(missing, size, etag), then node TAB HOST TAB FILES TAB
 *		BYTES (for cb-manifest report); exit 1 if there is one
 *	refs	every key the node manifests given as arguments name
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"
#include "num.h"
#include "records.h"
#include "strset.h"
#include "warnp.h"

/* The listing: key -> SIZE TAB ETAG (cb-s3get --ls records). */
struct listing {
	struct strset	 keys;
	uint64_t	*size;
	char		**etag;
	size_t		 n, cap;
};

static void
listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->etag[i]);
	free(l->etag);
	free(l->size);
	strset_free(&l->keys);
}

static int
listing_load(struct listing *l, const char *path, int nul)
{
	struct rec_reader *r;
	char *f[4];
	uint64_t size;
	void *nv;
	FILE *in;
	long i;
	int rc;

	if ((in = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (EX_FAILURE);
	}
	if ((r = rec_reader_new(in, nul, path)) == NULL) {
		fclose(in);
		return (EX_FAILURE);
	}
	while ((rc = rec_reader_next(r, 4, f)) == 1) {
		if (strcmp(f[0], "-") == 0)
			continue;
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
	rec_reader_free(r);
	fclose(in);
	return (rc == -2 ? EX_FAILURE : rc < 0 ? EX_DATAERR : 0);
}

/* a and b equal as ETags: without quotes, in any case. */
static int
same_etag(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al >= 2 && a[0] == '"' && a[al - 1] == '"')
		a++, al -= 2;
	if (bl >= 2 && b[0] == '"' && b[bl - 1] == '"')
		b++, bl -= 2;
	return (al == bl && strncasecmp(a, b, al) == 0);
}

int
mf_verify(const struct mf_opts *o)
{
	struct listing l;
	struct mf_files fs;
	struct json_doc *d = NULL;
	const char *f[5], *what;
	char nf[24], nb[24];
	char host[256];
	uint64_t bad = 0, bytes = 0;
	size_t i;
	long k;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(&fs, 0, sizeof(fs));
	if ((rc = listing_load(&l, o->listing_file, o->nul)) != 0 ||
	    (rc = mf_files_load("/dev/stdin", &fs, &d)) != 0)
		goto done;
	snprintf(host, sizeof(host), "%s", o->host != NULL ? o->host :
	    json_get_str(d, json_root(d), "host", "?"));
	for (i = 0; i < fs.n; i++) {
		const struct mfile *m = &fs.v[i];

		bytes += m->size;
		if ((k = strset_get(&l.keys, m->key)) < 0)
			what = "missing";
		else if (l.size[k] != m->stored)
			what = "size";
		else if (*m->etag != '\0' && !same_etag(l.etag[k], m->etag))
			what = "etag";
		else
			continue;
		bad++;
		f[0] = "defect";
		f[1] = host;
		f[2] = what;
		f[3] = m->key;
		f[4] = m->path;
		if (rec_write(stdout, o->nul, 5, f) != 0) {
			rc = EX_FAILURE;
			goto done;
		}
	}
	snprintf(nf, sizeof(nf), "%zu", fs.n);
	snprintf(nb, sizeof(nb), "%" PRIu64, bytes);
	f[0] = "node";
	f[1] = host;
	f[2] = nf;
	f[3] = nb;
	if (rec_write(stdout, o->nul, 4, f) != 0 || fflush(stdout) != 0) {
		warnp("cannot write the records");
		rc = EX_FAILURE;
		goto done;
	}
	rc = bad > 0 ? EX_FAILURE : 0;
done:
	json_free(d);
	mf_files_free(&fs);
	listing_free(&l);
	return (rc);
}

int
mf_refs(const struct mf_opts *o, int argc, char **argv)
{
	struct mf_files fs;
	const char *f[1];
	size_t i;
	int a, rc = 0;

	for (a = 0; a < argc && rc == 0; a++) {
		memset(&fs, 0, sizeof(fs));
		if ((rc = mf_files_load(argv[a], &fs, NULL)) != 0)
			break;
		for (i = 0; i < fs.n && rc == 0; i++) {
			f[0] = fs.v[i].key;
			if (rec_write(stdout, o->nul, 1, f) != 0)
				rc = EX_FAILURE;
		}
		mf_files_free(&fs);
	}
	if (rc == 0 && fflush(stdout) != 0) {
		warnp("cannot write the keys");
		rc = EX_FAILURE;
	}
	return (rc);
}
