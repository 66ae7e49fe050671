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

int
mf_verify(const struct mf_opts *o)
{
	struct mf_listing l;
	struct mf_files fs;
	struct json_doc *d = NULL;
	const char *f[5], *what;
	char nf[24], nb[24];
	char host[256];
	uint64_t bad = 0, bytes = 0;
	size_t i;
	int rc;

	memset(&l, 0, sizeof(l));
	memset(&fs, 0, sizeof(fs));
	if ((rc = mf_listing_load(&l, o->listing_file, o->nul)) != 0 ||
	    (rc = mf_files_load("/dev/stdin", &fs, &d)) != 0)
		goto done;
	snprintf(host, sizeof(host), "%s", o->host != NULL ? o->host :
	    json_get_str(d, json_root(d), "host", "?"));
	for (i = 0; i < fs.n; i++) {
		const struct mfile *m = &fs.v[i];

		bytes += m->size;
		switch (mf_listing_has(&l, m->key, m->stored, m->etag)) {
		case 0:
			continue;
		case -1:
			what = "missing";
			break;
		case -2:
			what = "size";
			break;
		default:
			what = "etag";
		}
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
	mf_listing_free(&l);
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
