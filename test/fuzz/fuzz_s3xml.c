/*
 * libFuzzer target for S3's XML answers: xmlwalk (lib/xmlwalk.c) driven by
 * the very callbacks lib/s3.c walks its answers with (Error, the root
 * check, ListBucketResult, InitiateMultipartUploadResult,
 * CompleteMultipartUploadResult, ListMultipartUploadsResult).  lib/s3.c is
 * compiled into this file so that its static walkers can be called; no
 * request is ever made.
 */

#include "../../lib/s3.c"

#include "fuzz_util.h"

static int
list_fn(void *cookie, const struct s3_listent *e)
{
	size_t *n = cookie;

	if (e->key == NULL || strlen(e->mtime) >= 64 ||
	    strlen(e->etag) >= 136 || strlen(e->storage_class) >= 64)
		abort();
	return (++*n > 1000 ? -1 : 0);
}

static void
walk_error(const char *doc, size_t len)
{
	char code[64] = "", msg[256] = "", region[64] = "", root[64];
	struct errbody b = { code, msg, region, "" };

	(void)xmlwalk(doc, len, err_walk, &b, root, sizeof(root));
	if (strlen(root) >= sizeof(root) || strlen(code) >= sizeof(code))
		abort();
}

static void
walk_list(const char *doc, size_t len)
{
	size_t n = 0;
	struct listpage l = { .fn = list_fn, .cookie = &n };

	if (xmlwalk(doc, len, encoding_walk, &l, NULL, 0) == 0)
		(void)xmlwalk(doc, len, list_walk, &l, NULL, 0);
	free(l.token);
	strbuf_free(&l.key);
	list_pfx_clear(&l);
	free(l.pfx);
}

static void
walk_mpu(const char *doc, size_t len)
{
	char etag[136], *id = NULL;
	struct complete c = { .etag = etag };
	struct upload_pg pg = { NULL, 0, 0 };
	struct uploadpage u = { .into = &pg };
	size_t i;

	etag[0] = '\0';
	(void)xmlwalk(doc, len, complete_walk, &c, NULL, 0);
	(void)xmlwalk(doc, len, upload_id_walk, &id, NULL, 0);
	free(id);
	/* ListMultipartUploadsResult, as s3_list_uploads() reads a page */
	(void)xmlwalk(doc, len, upload_walk, &u, NULL, 0);
	for (i = 0; i < pg.n; i++)
		if (pg.v[i].key == NULL || pg.v[i].id == NULL ||
		    strlen(pg.v[i].initiated) >= sizeof(pg.v[i].initiated))
			abort();
	upload_pg_clear(&pg);
	free(pg.v);
	strbuf_free(&u.key);
	strbuf_free(&u.id);
	free(u.key_marker);
	free(u.id_marker);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *doc = (const char *)data;

	walk_error(doc, size);
	walk_list(doc, size);
	walk_mpu(doc, size);
	return (0);
}
