#ifndef S3_H
#define S3_H

/*
 * An S3 client over libcurl: addressing, SigV4 signing (sigv4.h) with
 * credentials from awscred.h, retries with capped exponential backoff and
 * full jitter, low-speed timeouts, a global rate limit, and the handful of
 * S3 operations cb-s3put and cb-s3get need.
 *
 * One s3_client per process (shared by threads); one s3_conn per thread
 * (a libcurl handle that keeps its connection alive between requests).
 * Operations return 0 or -1 and fill a struct s3_error; they print
 * nothing: the caller reports with s3_error_str() and picks the exit
 * status with s3_error_exit().
 */

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "awscred.h"

/* Where the bucket goes in a request's URL. */
enum s3_addressing {
	S3_ADDR_AUTO,		/* virtual on AWS, path elsewhere and for
				   bucket names that are no DNS label */
	S3_ADDR_VIRTUAL,	/* https://BUCKET.host/KEY */
	S3_ADDR_PATH		/* https://host/BUCKET/KEY */
};

struct s3_opts {
	const char	*endpoint;	/* URL, or NULL: AWS from the region */
	const char	*region;	/* the bucket's region is found anyway */
	const char	*bucket;
	enum s3_addressing addressing;
	const char	*ca_bundle;	/* CA certificates file, or NULL */
	const char	*connect_to;	/* "HOST:PORT" to connect to, or NULL */
	int		 attempts;	/* tries per request, >= 1 */
	int		 retry_base_ms;	/* first backoff ceiling */
	int		 retry_cap_ms;	/* backoff ceiling cap */
	long		 timeout;	/* seconds below 1 byte/s = stalled */
	long		 connect_timeout; /* seconds */
	uint64_t	 rate_limit;	/* bytes/s for the process, 0 = none */
	int		 verbose;	/* 2: requests, 3: redacted headers */
	const char	*ssec_key;	/* SSE-C: the 32-byte key in base64
					   (s3_ssec_check()), or NULL; copied,
					   and the copy wiped at free */
};

/*
 * Check an SSE-C key given in base64 (exactly 44 characters, decoding to
 * 32 bytes); md5 gets the base64 MD5 of the raw key (x-amz-server-side-
 * encryption-customer-key-MD5), if not NULL.  Returns 0, or -1.  Nothing
 * of the key is printed, nor left in a local buffer.
 */
int s3_ssec_check(const char *b64key, char md5[25]);

/* What went wrong, for messages and the exit status. */
enum s3_errkind {
	S3_OK = 0,
	S3_ENET,	/* no (complete) answer: connect, reset, stall */
	S3_EHTTP,	/* an error status, code from the body if any */
	S3_EDATA,	/* bad data: malformed answer, checksum mismatch */
	S3_ESYS,	/* local failure: memory, file I/O (errno in msg) */
	S3_ECRED,	/* credentials unavailable (already reported) */
	S3_ECANCEL	/* interrupted by s3_cancel() */
};

struct s3_error {
	enum s3_errkind	 kind;
	long		 status;	/* HTTP status, 0 if none */
	int		 tries;
	char		 code[64];	/* S3 <Code>, or "" */
	char		 msg[256];	/* S3 <Message> or a local reason */
	int		 code_sent;	/* code came in the answer's body (not
					   guessed from the status) */
};

/*
 * Checksum sent with each request body.  With CRC32C a multipart upload
 * declares the algorithm at create (x-amz-checksum-algorithm), every part
 * carries it, and Complete lists each part's value: what AWS requires.
 */
enum s3_checksum {
	S3_CK_SHA256,	/* signed payload hash, x-amz-content-sha256 */
	S3_CK_CRC32C,	/* x-amz-checksum-crc32c, unsigned payload */
	S3_CK_MD5,	/* Content-MD5, unsigned payload */
	S3_CK_NONE	/* UNSIGNED-PAYLOAD only */
};

/* What an uploaded part is known by, for CompleteMultipartUpload. */
struct s3_part {
	char		 etag[136];	/* with its quotes */
	char		 crc32c[16];	/* base64, "" unless S3_CK_CRC32C */
};

/* Options of a new object (PUT or multipart create). */
struct s3_put_opts {
	const char	*sse;		/* "AES256", "aws:kms" or NULL */
	const char	*kms_key_id;
	const char	*storage_class;
	const char	*content_type;
	enum s3_checksum checksum;
	int		 if_none_match;	/* create only: If-None-Match: * on
					   PutObject and on Complete */
};

/* What a HEAD or GET says about the object. */
struct s3_objinfo {
	int64_t		 size;		/* total size, -1 if unknown */
	char		 etag[136];	/* with its quotes */
	char		 mtime[64];	/* Last-Modified as sent */
	char		 sse[32];	/* x-amz-server-side-encryption */
	char		 crc32c[24];	/* x-amz-checksum-crc32c, if sent */
};

/*
 * One entry of a listing: an object, or (with a delimiter) a common
 * prefix, whose key ends in the delimiter, size is -1 and mtime, etag and
 * storage_class are "".
 */
struct s3_listent {
	const char	*key;		/* decoded */
	int64_t		 size;
	const char	*mtime;		/* ISO 8601, as listed */
	const char	*etag;		/* without quotes */
	const char	*storage_class;
	int		 is_prefix;	/* a CommonPrefixes entry */
};

typedef int s3_list_fn(void *cookie, const struct s3_listent *e);

struct s3_client;
struct s3_conn;

/*
 * A client for bucket at the endpoint; cred is borrowed (it must outlive
 * the client).  Returns NULL on a bad option or failure (reported).
 */
struct s3_client *s3_client_new(const struct s3_opts *o,
    struct awscred_src *cred);
void s3_client_free(struct s3_client *c);

/* Body bytes sent and received so far (retries included). */
uint64_t s3_client_moved(const struct s3_client *c);

/* "s3://bucket" of the client, for messages. */
const char *s3_client_bucket(const struct s3_client *c);

/* A connection for one thread.  Returns NULL on failure (reported). */
struct s3_conn *s3_conn_new(struct s3_client *c);
void s3_conn_free(struct s3_conn *k);

/*
 * Make every request stop soon (async-signal-safe: a signal handler may
 * call it).  Requests then fail with S3_ECANCEL, except those made with
 * s3_mpu_abort(), which cleans up.
 */
void s3_cancel(void);
int s3_cancelled(void);

/* PUT a whole object from memory; etag gets the quoted ETag. */
int s3_put_object(struct s3_conn *k, const char *key, const void *buf,
    size_t len, const struct s3_put_opts *po, char etag[136],
    struct s3_error *e);

/* Start a multipart upload; *upload_id is a new string. */
int s3_mpu_create(struct s3_conn *k, const char *key,
    const struct s3_put_opts *po, char **upload_id, struct s3_error *e);

/*
 * Upload part n (1..10000); part gets its ETag (and checksum).  A checksum
 * the server echoes must be the one sent.
 */
int s3_mpu_part(struct s3_conn *k, const char *key, const char *upload_id,
    int n, const void *buf, size_t len, const struct s3_put_opts *po,
    struct s3_part *part, struct s3_error *e);

/*
 * Complete with parts 1..n, whose bytes add up to size; the body is
 * checked for an error even on 200, and a composite checksum in it must
 * match the parts'.  A retried Complete answered NoSuchUpload (the lost
 * first answer may have completed it) is accepted when the object has
 * this size and n parts.  etag gets the object's ETag.
 */
int s3_mpu_complete(struct s3_conn *k, const char *key,
    const char *upload_id, const struct s3_part *parts, int n,
    uint64_t size, const struct s3_put_opts *po, char etag[136],
    struct s3_error *e);

/* The COMPOSITE CRC32C of n parts, "BASE64-N", into out[24]. */
void s3_crc32c_composite(const struct s3_part *parts, int n, char out[24]);

/*
 * Abort (works after s3_cancel()).  An upload that is gone already fails
 * with 404 NoSuchUpload (s3_error_no_such_upload()).
 */
int s3_mpu_abort(struct s3_conn *k, const char *key, const char *upload_id,
    struct s3_error *e);

/* HEAD the object. */
int s3_head(struct s3_conn *k, const char *key, struct s3_objinfo *info,
    struct s3_error *e);

/*
 * GET bytes [off, off + len) into buf (cap >= len), pinned to if_match
 * (quoted ETag, or NULL).  *got receives the byte count; info (may be
 * NULL) the object's total size, ETag and mtime.
 */
int s3_get_range(struct s3_conn *k, const char *key, int64_t off,
    size_t len, const char *if_match, void *buf, size_t *got,
    struct s3_objinfo *info, struct s3_error *e);

/*
 * List every object under prefix (ListObjectsV2, encoding-type=url, all
 * pages of max_keys keys, 0 for the server's default of 1000), calling fn
 * for each in order; fn returning -1 stops with S3_ESYS.  With a
 * delimiter (NULL or "" for none), the keys that hold it after the prefix
 * are rolled up into common prefixes, given to fn too, merged with the
 * objects in key order (byte order of the decoded keys, within each page:
 * pages follow each other in key order).
 */
int s3_list(struct s3_conn *k, const char *prefix, const char *delimiter,
    int max_keys, s3_list_fn *fn, void *cookie, struct s3_error *e);

/* A multipart upload in progress, as ListMultipartUploads gives it. */
struct s3_upload {
	const char	*key;
	const char	*upload_id;
	const char	*initiated;	/* ISO 8601 as listed: s3_time_parse() */
};

typedef int s3_upload_fn(void *cookie, const struct s3_upload *u);

/*
 * List the multipart uploads in progress under prefix ("" for all:
 * ListMultipartUploads, every page of max_uploads, 0 for the server's
 * default of 1000, following NextKeyMarker and NextUploadIdMarker), calling
 * fn for each in the server's order (by key); fn returning -1 stops with
 * S3_ESYS.  The strings are valid during the call only.  A page goes to fn
 * once the next one has been fetched, so fn may make requests on k, abort
 * the uploads it is given included.
 */
int s3_list_uploads(struct s3_conn *k, const char *prefix, int max_uploads,
    s3_upload_fn *fn, void *cookie, struct s3_error *e);

/*
 * Read a time as S3 lists it, "2026-12-02T02:40:11.000Z" (UTC; the
 * fraction may be absent), into *t.  Returns 0, or -1 for anything else.
 */
int s3_time_parse(const char *s, time_t *t);

/* DELETE the object. */
int s3_delete(struct s3_conn *k, const char *key, struct s3_error *e);

/* Most keys one DeleteObjects request may name (AWS). */
#define S3_DELETE_MAX	1000

/* What a DeleteObjects answer says of one key. */
struct s3_delres {
	int		 deleted;	/* <Deleted>, or an <Error> NoSuchKey */
	char		 code[64];	/* the <Error>'s <Code>, else "" */
	char		 msg[256];	/* its <Message>, or "" */
};

/*
 * Whether key can be named in an XML request body: UTF-8 throughout,
 * not empty, no control character but TAB, LF and CR (sent as character
 * references) and no U+FFFE or U+FFFF (which XML 1.0 cannot hold at all).
 * Returns 0, or -1.
 */
int s3_xml_key_check(const char *key);

/*
 * The DeleteObjects body naming keys[0..n) (each s3_xml_key_check()ed),
 * not Quiet, so the answer reports every key; a new string, its length in
 * *len.  NULL if out of memory.
 */
char *s3_delete_body(const char *const *keys, size_t n, size_t *len);

/*
 * Read a DeleteObjects answer (DeleteResult) into res[0..n), one result
 * per key of keys[0..n) (a key named twice gets the same result twice);
 * an <Error> NoSuchKey counts as deleted, as a single DELETE of an absent
 * key does.  Returns 0, or -1 if the answer is malformed, names a key not
 * asked for, or leaves a key without a result (nothing printed).
 */
int s3_delete_parse(const char *xml, size_t len, const char *const *keys,
    size_t n, struct s3_delres *res);

/*
 * DeleteObjects (POST ?delete) of keys[0..n), 1 <= n <= S3_DELETE_MAX,
 * retried as every request; the body carries Content-MD5, which AWS
 * requires of it, and its SHA-256 is signed.  Returns 0 with res[i] the
 * result of keys[i], or -1 with e set when the request itself failed
 * (res is then undefined).
 */
int s3_delete_objects(struct s3_conn *k, const char *const *keys, size_t n,
    struct s3_delres *res, struct s3_error *e);

/* "SlowDown (HTTP 503) after 8 tries: message" into buf. */
const char *s3_error_str(const struct s3_error *e, char *buf, size_t size);

/* The exit status for e (see cb-s3put(1) EXIT STATUS). */
int s3_error_exit(const struct s3_error *e);

/*
 * Whether e says for certain that the key does not exist: a 404 whose
 * body names NoSuchKey.  A 404 without that body (a HEAD, a proxy's page)
 * and NoSuchBucket are not.
 */
int s3_error_no_such_key(const struct s3_error *e);

/* Whether e is a 404 whose body names NoSuchUpload. */
int s3_error_no_such_upload(const struct s3_error *e);

/*
 * Whether e, the failure of a conditional create (if_none_match), says
 * the object exists: 412 PreconditionFailed, or 409
 * ConditionalRequestConflict (another create of the key is under way).
 */
int s3_error_exists(const struct s3_error *e);

/* Set e to a local failure with msg (S3_ESYS or S3_EDATA). */
void s3_error_set(struct s3_error *e, enum s3_errkind kind,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Throttle the process to the rate limit: account for n bytes. */
void s3_rate_take(struct s3_client *c, size_t n);

/*
 * The address of the bucket for region: *host gets the Host header, *origin
 * "scheme://host[:port]" and *prefix the raw path before a key (new
 * strings).  Returns 0, or -1 on a bad endpoint (reported).
 */
int s3_address(const struct s3_opts *o, const char *region, char **host,
    char **origin, char **prefix);

/* Decode S3's URL encoding (%XX and '+') of s in place. */
void s3_url_decode(char *s);

/*
 * The object's total size from a Content-Range value, "bytes FIRST-LAST/
 * TOTAL" (FIRST <= LAST < TOTAL) or "bytes STAR/TOTAL" (a 416's), where
 * STAR is '*'; a TOTAL of '*' gives -1 (unknown).  Returns 0, or -1 if v is
 * anything else: a server's answer is untrusted and the size is then not
 * guessed.
 */
int s3_content_range_total(const char *v, int64_t *total);

/*
 * The part count of a quoted multipart ETag, "\"...-N\"" with N in
 * 1..10000; 0 (unknown) for anything else.
 */
int s3_etag_parts(const char *etag);

#endif
