#ifndef SIGV4_H
#define SIGV4_H

/*
 * AWS Signature Version 4 for S3: canonical requests, the signing key
 * (cached per day, region and secret), request signatures, and chunk
 * signatures of aws-chunked streaming uploads.  Pure computation: no I/O,
 * nothing printed.  Hex output is lowercase.
 */

#include <pthread.h>
#include <stddef.h>

#define SIGV4_EMPTY_SHA256 \
	"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

/* One header to sign: any case, any surrounding blanks in value. */
struct sigv4_header {
	const char	*name;
	const char	*value;
};

/* One query parameter, raw (not encoded); value may be "" or NULL. */
struct sigv4_param {
	const char	*name;
	const char	*value;
};

struct sigv4_req {
	const char			*method;
	const char			*path;	  /* raw path, "/bucket/key" */
	const char			*query;	  /* canonical query, or "" */
	const struct sigv4_header	*headers; /* every header signed */
	size_t				 nheaders;
	const char			*payload_hash;
};

/*
 * S3's UriEncode of len bytes of s: keep A-Za-z0-9-._~ (and '/' if
 * keep_slash), every other byte becomes %XX, uppercase.  Returns a new
 * string (caller frees) or NULL on allocation failure.
 */
char *sigv4_uri_encode(const char *s, size_t len, int keep_slash);

/*
 * The canonical query string of n raw parameters: names and values
 * encoded, sorted by name then value, joined with '&'.  Also the exact
 * string to send.  Returns a new string or NULL.
 */
char *sigv4_query(const struct sigv4_param *p, size_t n);

/*
 * The canonical request of r (path encoded once here, never normalised).
 * *signed_headers receives the ';'-joined lowercase names.  Both are new
 * strings the caller frees.  Returns 0, or -1 on allocation failure.
 */
int sigv4_canonical_request(const struct sigv4_req *r, char **creq,
    char **signed_headers);

/* Lowercase hex of SHA-256 of len bytes into hex[65]. */
void sigv4_sha256_hex(const void *buf, size_t len, char hex[65]);

/* Lowercase hex of len bytes of bin into hex[2 * len + 1]. */
void sigv4_hex(const unsigned char *bin, size_t len, char *hex);

/*
 * Derive the signing key for secret on date (YYYYMMDD), region and service
 * into key[32].  Returns 0 or -1.
 */
int sigv4_signing_key(const char *secret, const char *date,
    const char *region, const char *service, unsigned char key[32]);

/* A signer caches the latest signing key; safe to share between threads. */
struct sigv4_signer {
	pthread_mutex_t	 lock;
	char		 date[9];
	char		 region[64];
	unsigned char	 secret_id[32];	/* SHA-256 of the secret */
	unsigned char	 key[32];
	int		 valid;
};

/* Initialise / destroy a signer (wipes the cached key). */
void sigv4_signer_init(struct sigv4_signer *s);
void sigv4_signer_destroy(struct sigv4_signer *s);

/*
 * Sign r at amzdate (YYYYMMDDTHHMMSSZ) in region for service: writes the
 * Authorization header value into auth (a new string) and the signature
 * into sig[65].  Returns 0, or -1 on failure.
 */
int sigv4_sign(struct sigv4_signer *s, const char *akid, const char *secret,
    const char *region, const char *service, const char *amzdate,
    const struct sigv4_req *r, char **auth, char sig[65]);

/*
 * The string to sign for a canonical request creq: written as a new
 * string into *sts.  Returns 0 or -1.
 */
int sigv4_string_to_sign(const char *amzdate, const char *scope,
    const char *creq, char **sts);

/*
 * Signature of one aws-chunked chunk: HMAC of the chunk string to sign
 * with key, chaining prev_sig.  Writes sig[65].  Returns 0 or -1.
 */
int sigv4_chunk_sign(const unsigned char key[32], const char *amzdate,
    const char *scope, const char *prev_sig, const void *data, size_t len,
    char sig[65]);

#endif
