#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "awscred.h"
#include "crc32c.h"
#include "num.h"
#include "records.h"
#include "s3.h"
#include "sigv4.h"
#include "strbuf.h"
#include "warnp.h"
#include "xmlwalk.h"

#define MAX_HDRS	16
#define RESP_MAX	(16 * 1024 * 1024)	/* XML answers we collect */
#define EXPECT_MIN	(1024 * 1024)	/* bodies that ask 100-continue */
#define MAX_MOVES	3		/* region redirects per request */
#define SSEC_KEY_HDR	"x-amz-server-side-encryption-customer-key"

/* Where requests go, for one region; immutable once made. */
struct s3_addr {
	char			 region[64];	/* signing region */
	char			*origin;	/* scheme://host[:port] */
	char			*host;		/* Host header */
	char			*prefix;	/* raw path before the key */
	struct s3_addr		*older;		/* the one this replaced */
};

struct s3_client {
	struct s3_opts		 o;
	struct s3_addr		*addr;		/* current, under lock */
	struct curl_slist	*connect_to;	/* CURLOPT_CONNECT_TO */
	char			*name;		/* s3://bucket */
	struct awscred_src	*cred;
	struct sigv4_signer	 signer;
	pthread_mutex_t		 lock;		/* rate limit, skew, addr */
	double			 rl_tokens;
	struct timespec		 rl_last;
	long			 skew;		/* server - local, seconds */
	uint64_t		 moved;		/* body bytes, both ways */
	char			 ssec_key[48];	/* SSE-C key, base64, or "" */
	char			 ssec_md5[25];
};

struct s3_conn {
	struct s3_client	*c;
	CURL			*curl;
	uint64_t		 rng;
	char			 errbuf[CURL_ERROR_SIZE];
};

/* One request, and what came back for the current attempt. */
struct req {
	const char		*method;
	const char		*key;		/* NULL: the bucket */
	const struct sigv4_param *params;
	size_t			 nparams;
	struct sigv4_header	 hdrs[MAX_HDRS];
	size_t			 nhdrs;
	const unsigned char	*body;
	size_t			 blen;
	char			 payload[65];	/* hash or UNSIGNED-PAYLOAD */
	int			 head;
	int			 no_cancel;
	int			 probe;		/* region_probe()'s own */
	int			 ssec;		/* an object request: SSE-C
						   headers, if a key is set */
	int			 tries;		/* attempts made */
	const char		*ok_root;	/* 2xx body must have this root */
	unsigned char		*out;		/* 2xx data goes here ... */
	size_t			 outcap;	/* ... up to this many bytes */
	/* per attempt */
	size_t			 sent;
	size_t			 outlen;
	int			 overflow;
	int			 stalled;
	const char		*bad_hdr;	/* a size header we cannot read */
	curl_off_t		 moved;		/* bytes both ways so far */
	struct timespec		 last_move;
	long			 status;
	struct strbuf		 resp;
	struct s3_objinfo	 info;
	char			 date[64];
	char			 region[64];	/* x-amz-bucket-region */
	struct s3_conn		*k;
	struct s3_addr		*a;		/* where this attempt goes */
};

static volatile sig_atomic_t cancelled;

static void b64(const unsigned char *in, size_t n, char *out);

void
s3_cancel(void)
{

	cancelled = 1;
}

int
s3_cancelled(void)
{

	return (cancelled);
}

/* ------------------------------------------------------------- errors */

void
s3_error_set(struct s3_error *e, enum s3_errkind kind, const char *fmt, ...)
{
	va_list ap;

	memset(e, 0, sizeof(*e));
	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
}

const char *
s3_error_str(const struct s3_error *e, char *buf, size_t size)
{
	struct strbuf b = STRBUF_INIT;

	switch (e->kind) {
	case S3_EHTTP:
		strbuf_addf(&b, "%s (HTTP %ld)", e->code[0] ? e->code :
		    "error", e->status);
		break;
	case S3_ENET:
		strbuf_addf(&b, "no answer from server");
		break;
	case S3_ECANCEL:
		strbuf_adds(&b, "interrupted");
		break;
	default:
		break;
	}
	if (e->tries > 1)
		strbuf_addf(&b, " after %d tries", e->tries);
	if (e->msg[0] != '\0')
		strbuf_addf(&b, "%s%s", b.len ? ": " : "", e->msg);
	snprintf(buf, size, "%s", b.s != NULL ? b.s : "failed");
	strbuf_free(&b);
	return (buf);
}

static int
code_in(const char *code, const char *const *list)
{

	for (; *list != NULL; list++)
		if (strcmp(code, *list) == 0)
			return (1);
	return (0);
}

static const char *const denied_codes[] = { "AccessDenied",
    "SignatureDoesNotMatch", "InvalidAccessKeyId", "ExpiredToken",
    "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled",
    "InvalidSecurity", "AccountProblem", NULL };
static const char *const retry_codes[] = { "RequestTimeout", "SlowDown",
    "Throttling", "ThrottlingException", "RequestLimitExceeded",
    "InternalError", "ServiceUnavailable", "RequestThrottled",
    "BandwidthLimitExceeded", "EC2ThrottledException", NULL };
static const char *const data_codes[] = { "BadDigest", "InvalidDigest",
    "XAmzContentSHA256Mismatch", "IncompleteBody", NULL };

int
s3_error_exit(const struct s3_error *e)
{

	switch (e->kind) {
	case S3_OK:
		return (0);
	case S3_ENET:
		return (EX_UNAVAILABLE);
	case S3_EDATA:
		return (EX_DATAERR);
	case S3_ECRED:
		return (EX_NOPERM);
	case S3_EHTTP:
		if (strcmp(e->code, "InvalidObjectState") == 0)
			return (EX_NOINPUT);
		if (e->status == 401 || e->status == 403 ||
		    code_in(e->code, denied_codes))
			return (EX_NOPERM);
		/* A server that lacks a feature will lack it later too. */
		if (e->status == 501 || strcmp(e->code, "NotImplemented") == 0)
			return (EX_UNAVAILABLE);
		if (e->status >= 500 || e->status == 429 || e->status == 412 ||
		    code_in(e->code, retry_codes))
			return (EX_TEMPFAIL);
		if (code_in(e->code, data_codes))
			return (EX_DATAERR);
		return (EX_FAILURE);
	default:
		return (EX_FAILURE);
	}
}

int
s3_error_no_such_key(const struct s3_error *e)
{

	return (e->kind == S3_EHTTP && e->status == 404 && e->code_sent &&
	    strcmp(e->code, "NoSuchKey") == 0);
}

int
s3_error_no_such_upload(const struct s3_error *e)
{

	return (e->kind == S3_EHTTP && e->status == 404 &&
	    strcmp(e->code, "NoSuchUpload") == 0);
}

int
s3_ssec_check(const char *b64key, char md5[25])
{
	unsigned char raw[36], md[16];
	unsigned int mdlen = 16;
	size_t n = strlen(b64key);
	int rc = -1;

	/* 32 bytes are 44 characters, the last one '=' and no other. */
	if (n != 44 || b64key[43] != '=' || b64key[42] == '=' ||
	    strspn(b64key, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/") != 43 ||
	    EVP_DecodeBlock(raw, (const unsigned char *)b64key, 44) != 33)
		goto out;
	if (md5 != NULL) {
		EVP_Digest(raw, 32, md, &mdlen, EVP_md5(), NULL);
		b64(md, 16, md5);
	}
	rc = 0;
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	return (rc);
}

int
s3_error_exists(const struct s3_error *e)
{

	return (e->kind == S3_EHTTP && (e->status == 412 ||
	    (e->status == 409 &&
	    strcmp(e->code, "ConditionalRequestConflict") == 0)));
}

/* --------------------------------------------------------- the client */

/* A host that is AWS's own: virtual-hosted style by default there. */
static int
aws_host(const char *host)
{
	size_t n = strcspn(host, ":"), l;
	static const char *const dom[] = { ".amazonaws.com",
	    ".amazonaws.com.cn", NULL };
	int i;

	for (i = 0; dom[i] != NULL; i++) {
		l = strlen(dom[i]);
		if (n > l && strncasecmp(host + n - l, dom[i], l) == 0)
			return (1);
	}
	return (0);
}

/*
 * A bucket name that can be a DNS label of the host: lowercase letters,
 * digits and '-', no dots (a dotted name defeats the *.s3 certificate).
 */
static int
dns_bucket(const char *b)
{
	size_t n = strlen(b);

	return (n >= 3 && n <= 63 && strspn(b,
	    "abcdefghijklmnopqrstuvwxyz0123456789-") == n && b[0] != '-' &&
	    b[n - 1] != '-');
}

static int
virtual_style(const struct s3_opts *o, const char *host)
{

	switch (o->addressing) {
	case S3_ADDR_VIRTUAL:
		return (1);
	case S3_ADDR_PATH:
		return (0);
	default:
		return (aws_host(host) && dns_bucket(o->bucket));
	}
}

int
s3_address(const struct s3_opts *o, const char *region, char **host,
    char **origin, char **prefix)
{
	struct strbuf b = STRBUF_INIT;
	const char *ep = o->endpoint, *scheme = "https://", *p, *slash;
	char *h;
	size_t hl;

	*host = *origin = *prefix = NULL;
	if (ep == NULL) {
		/* AWS: s3.REGION.amazonaws.com, .com.cn in China. */
		strbuf_addf(&b, "s3.%s.amazonaws.com%s", region,
		    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
		h = strbuf_detach(&b);
		slash = "";
	} else {
		if ((p = strstr(ep, "://")) == NULL ||
		    (strncmp(ep, "http://", 7) != 0 &&
		    strncmp(ep, "https://", 8) != 0) || p[3] == '\0' ||
		    p[3] == '/') {
			warn0("cannot use endpoint '%s': not an http or "
			    "https URL", ep);
			return (-1);
		}
		scheme = ep[4] == 's' ? "https://" : "http://";
		p += 3;
		hl = strcspn(p, "/");
		if (strpbrk(p, "?#") != NULL) {
			warn0("cannot use endpoint '%s': a query or fragment "
			    "has no place in it", ep);
			return (-1);
		}
		h = strndup(p, hl);
		slash = p + hl;
	}
	if (h == NULL)
		goto fail;
	if (virtual_style(o, h)) {
		strbuf_addf(&b, "%s.%s", o->bucket, h);
		*host = strbuf_detach(&b);
		strbuf_adds(&b, slash);
	} else {
		*host = h;
		h = NULL;
		strbuf_adds(&b, slash);
		while (b.len > 0 && b.s[b.len - 1] == '/')
			b.s[--b.len] = '\0';
		strbuf_addf(&b, "/%s", o->bucket);
	}
	free(h);
	while (b.len > 0 && b.s[b.len - 1] == '/')
		b.s[--b.len] = '\0';
	strbuf_addc(&b, '/');
	*prefix = strbuf_detach(&b);
	if (*host != NULL) {
		strbuf_addf(&b, "%s%s", scheme, *host);
		*origin = strbuf_detach(&b);
	}
	if (*host != NULL && *origin != NULL && *prefix != NULL)
		return (0);
fail:
	warnp("cannot allocate");
	free(*host);
	free(*origin);
	free(*prefix);
	*host = *origin = *prefix = NULL;
	return (-1);
}

static void
addr_free(struct s3_addr *a)
{

	if (a == NULL)
		return;
	addr_free(a->older);
	free(a->host);
	free(a->origin);
	free(a->prefix);
	free(a);
}

/* A new address for region, kept until the client goes. */
static struct s3_addr *
addr_new(const struct s3_opts *o, const char *region)
{
	struct s3_addr *a;

	if ((a = calloc(1, sizeof(*a))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	snprintf(a->region, sizeof(a->region), "%s", region);
	if (s3_address(o, region, &a->host, &a->origin, &a->prefix) != 0) {
		free(a);
		return (NULL);
	}
	return (a);
}

/* The address requests use now (never freed while the client lives). */
static struct s3_addr *
client_addr(struct s3_client *c)
{
	struct s3_addr *a;

	pthread_mutex_lock(&c->lock);
	a = c->addr;
	pthread_mutex_unlock(&c->lock);
	return (a);
}

/*
 * The bucket answered from another region: use region for the rest of
 * the run (AWS endpoints move with it; a custom endpoint keeps its host).
 * Returns 0 if requests should go again, -1 if nothing changed.
 */
static int
client_move(struct s3_client *c, const struct s3_addr *seen,
    const char *region)
{
	struct s3_addr *a;
	int rc = 0;

	if (region[0] == '\0' || strlen(region) >= sizeof(a->region) ||
	    strspn(region, "abcdefghijklmnopqrstuvwxyz0123456789-") !=
	    strlen(region))
		return (-1);
	pthread_mutex_lock(&c->lock);
	if (c->addr != seen) {
		/* Another thread moved it already. */
		rc = strcmp(c->addr->region, region) == 0 ? 0 : -1;
	} else if (strcmp(seen->region, region) == 0 ||
	    (a = addr_new(&c->o, region)) == NULL) {
		rc = -1;
	} else {
		a->older = c->addr;
		c->addr = a;
		warn0("note: bucket %s is in region %s, not %s: using %s",
		    c->o.bucket, region, seen->region, region);
	}
	pthread_mutex_unlock(&c->lock);
	return (rc);
}

struct s3_client *
s3_client_new(const struct s3_opts *o, struct awscred_src *cred)
{
	struct strbuf b = STRBUF_INIT;
	struct s3_client *c;

	if ((c = calloc(1, sizeof(*c))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	c->o = *o;
	c->o.ssec_key = NULL;	/* the copy below is the client's */
	c->cred = cred;
	if (o->ssec_key != NULL && (strlen(o->ssec_key) >= sizeof(c->ssec_key) ||
	    s3_ssec_check(o->ssec_key, c->ssec_md5) != 0)) {
		warn0("invalid SSE-C key: expected the base64 of 32 bytes");
		free(c);
		return (NULL);
	}
	if (o->ssec_key != NULL)
		strcpy(c->ssec_key, o->ssec_key);
	sigv4_signer_init(&c->signer);
	pthread_mutex_init(&c->lock, NULL);
	clock_gettime(CLOCK_MONOTONIC, &c->rl_last);
	if (c->o.attempts < 1)
		c->o.attempts = 1;
	strbuf_addf(&b, "s3://%s", o->bucket);
	if ((c->name = strbuf_detach(&b)) == NULL ||
	    (c->addr = addr_new(&c->o, o->region)) == NULL) {
		s3_client_free(c);
		return (NULL);
	}
	if (o->connect_to != NULL) {
		strbuf_addf(&b, "::%s", o->connect_to);
		if ((c->connect_to = curl_slist_append(NULL,
		    b.s != NULL ? b.s : "")) == NULL || strbuf_failed(&b)) {
			strbuf_free(&b);
			warnp("cannot allocate");
			s3_client_free(c);
			return (NULL);
		}
		strbuf_free(&b);
	}
	return (c);
}

void
s3_client_free(struct s3_client *c)
{

	if (c == NULL)
		return;
	sigv4_signer_destroy(&c->signer);
	pthread_mutex_destroy(&c->lock);
	addr_free(c->addr);
	curl_slist_free_all(c->connect_to);
	free(c->name);
	OPENSSL_cleanse(c->ssec_key, sizeof(c->ssec_key));
	free(c);
}

uint64_t
s3_client_moved(const struct s3_client *c)
{

	return (__atomic_load_n(&c->moved, __ATOMIC_RELAXED));
}

const char *
s3_client_bucket(const struct s3_client *c)
{

	return (c->name);
}

struct s3_conn *
s3_conn_new(struct s3_client *c)
{
	struct s3_conn *k;

	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->curl = curl_easy_init()) == NULL) {
		warn0("cannot initialise libcurl");
		free(k);
		return (NULL);
	}
	k->c = c;
	if (getrandom(&k->rng, sizeof(k->rng), 0) != sizeof(k->rng))
		k->rng = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)k;
	k->rng |= 1;
	return (k);
}

void
s3_conn_free(struct s3_conn *k)
{

	if (k == NULL)
		return;
	curl_easy_cleanup(k->curl);
	free(k);
}

/* --------------------------------------------------------- rate limit */

void
s3_rate_take(struct s3_client *c, size_t n)
{
	struct timespec now;
	double rate = (double)c->o.rate_limit, burst, wait = 0;

	if (c->o.rate_limit == 0)
		return;
	burst = rate / 20 > 16384 ? rate / 20 : 16384;
	pthread_mutex_lock(&c->lock);
	clock_gettime(CLOCK_MONOTONIC, &now);
	c->rl_tokens += rate * ((double)(now.tv_sec - c->rl_last.tv_sec) +
	    (double)(now.tv_nsec - c->rl_last.tv_nsec) / 1e9);
	if (c->rl_tokens > burst)
		c->rl_tokens = burst;
	c->rl_last = now;
	c->rl_tokens -= (double)n;
	if (c->rl_tokens < 0)
		wait = -c->rl_tokens / rate;
	pthread_mutex_unlock(&c->lock);
	if (wait > 0) {
		now.tv_sec = (time_t)wait;
		now.tv_nsec = (long)((wait - (double)now.tv_sec) * 1e9);
		nanosleep(&now, NULL);
	}
}

/* ---------------------------------------------------- curl callbacks */

static size_t
cb_read(char *p, size_t sz, size_t nm, void *cookie)
{
	struct req *r = cookie;
	size_t n = sz * nm;

	if (n > r->blen - r->sent)
		n = r->blen - r->sent;
	if (n > 65536)
		n = 65536;
	s3_rate_take(r->k->c, n);
	__atomic_add_fetch(&r->k->c->moved, n, __ATOMIC_RELAXED);
	memcpy(p, r->body + r->sent, n);
	r->sent += n;
	return (n);
}

static size_t
cb_write(char *p, size_t sz, size_t nm, void *cookie)
{
	struct req *r = cookie;
	size_t n = sz * nm;

	if (r->status == 0)
		curl_easy_getinfo(r->k->curl, CURLINFO_RESPONSE_CODE,
		    &r->status);
	s3_rate_take(r->k->c, n);
	__atomic_add_fetch(&r->k->c->moved, n, __ATOMIC_RELAXED);
	if (r->out != NULL && r->status >= 200 && r->status < 300) {
		if (n > r->outcap - r->outlen) {
			r->overflow = 1;
			return (0);
		}
		memcpy(r->out + r->outlen, p, n);
		r->outlen += n;
		return (n);
	}
	if (r->resp.len + n > RESP_MAX) {
		r->overflow = 1;
		return (0);
	}
	strbuf_add(&r->resp, p, n);
	return (strbuf_failed(&r->resp) ? 0 : n);
}

/* Copy a header's trimmed value; returns its length before truncation. */
static size_t
hdr_value(char *dst, size_t size, const char *v, size_t len)
{
	size_t full;


	while (len > 0 && (v[len - 1] == '\r' || v[len - 1] == '\n' ||
	    v[len - 1] == ' '))
		len--;
	while (len > 0 && *v == ' ') {
		v++;
		len--;
	}
	full = len;
	if (len >= size)
		len = size - 1;
	memcpy(dst, v, len);
	dst[len] = '\0';
	return (full);
}

/* "*" is -1 (unknown), else a number in [lo, INT64_MAX]. */
static int
range_num(const char *s, uint64_t lo, int64_t *v)
{
	uint64_t n;

	if (strcmp(s, "*") == 0) {
		*v = -1;
		return (0);
	}
	if (num_parse_u64(s, lo, INT64_MAX, &n) != 0)
		return (-1);
	*v = (int64_t)n;
	return (0);
}

int
s3_content_range_total(const char *v, int64_t *total)
{
	char b[128], *dash, *slash;
	int64_t first, last = -1, t;

	if (strncmp(v, "bytes ", 6) != 0 || strlen(v + 6) >= sizeof(b))
		return (-1);
	strcpy(b, v + 6);
	if ((slash = strchr(b, '/')) == NULL)
		return (-1);
	*slash++ = '\0';
	if (strcmp(b, "*") != 0) {
		if ((dash = strchr(b, '-')) == NULL)
			return (-1);
		*dash++ = '\0';
		if (range_num(b, 0, &first) != 0 || first < 0 ||
		    range_num(dash, (uint64_t)first, &last) != 0 || last < 0)
			return (-1);
	}
	/*
	 * The total is past the last byte (lo is 0 when no range came:
	 * last is -1); a star for both range and total says nothing.
	 */
	if (range_num(slash, (uint64_t)last + 1, &t) != 0 ||
	    (t < 0 && last < 0))
		return (-1);
	*total = t;
	return (0);
}

static int
hdr_is(const char *line, size_t n, const char *name, const char **val)
{
	size_t l = strlen(name);

	if (n <= l || strncasecmp(line, name, l) != 0 || line[l] != ':')
		return (0);
	*val = line + l + 1;
	return (1);
}

static size_t
cb_header(char *p, size_t sz, size_t nm, void *cookie)
{
	struct req *r = cookie;
	size_t n = sz * nm;
	const char *v;
	char tmp[128];
	int64_t size;
	uint64_t len;

	if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		memset(&r->info, 0, sizeof(r->info));
		r->info.size = -1;
		r->bad_hdr = NULL;
	} else if (hdr_is(p, n, "etag", &v)) {
		hdr_value(r->info.etag, sizeof(r->info.etag), v, n - (size_t)(v - p));
	} else if (hdr_is(p, n, "last-modified", &v)) {
		hdr_value(r->info.mtime, sizeof(r->info.mtime), v, n - (size_t)(v - p));
	} else if (hdr_is(p, n, "date", &v)) {
		hdr_value(r->date, sizeof(r->date), v, n - (size_t)(v - p));
	} else if (hdr_is(p, n, "x-amz-bucket-region", &v)) {
		hdr_value(r->region, sizeof(r->region), v, n - (size_t)(v - p));
	} else if (hdr_is(p, n, "x-amz-checksum-crc32c", &v)) {
		hdr_value(r->info.crc32c, sizeof(r->info.crc32c), v,
		    n - (size_t)(v - p));
	} else if (hdr_is(p, n, "x-amz-server-side-encryption", &v)) {
		hdr_value(r->info.sse, sizeof(r->info.sse), v, n - (size_t)(v - p));
	} else if (hdr_is(p, n, "content-range", &v)) {
		/*
		 * The object's size is never guessed from a header we cannot
		 * read: req_judge() fails a 2xx answer with one as S3_EDATA.
		 * A total of "*" leaves the size unknown (-1).
		 */
		if (hdr_value(tmp, sizeof(tmp), v, n - (size_t)(v - p)) >=
		    sizeof(tmp) || s3_content_range_total(tmp, &size) != 0)
			r->bad_hdr = "Content-Range";
		else
			r->info.size = size;
	} else if (hdr_is(p, n, "content-length", &v) && r->head) {
		if (hdr_value(tmp, sizeof(tmp), v, n - (size_t)(v - p)) >=
		    sizeof(tmp) || num_parse_u64(tmp, 0, INT64_MAX, &len) != 0)
			r->bad_hdr = "Content-Length";
		else
			r->info.size = (int64_t)len;
	}
	return (n);
}

static int
cb_progress(void *cookie, curl_off_t a, curl_off_t b, curl_off_t c,
    curl_off_t d)
{
	struct req *r = cookie;
	struct timespec now;

	(void)a;
	(void)c;
	if (cancelled && !r->no_cancel)
		return (1);
	/*
	 * A connection that moves no byte for the timeout is stalled.
	 * (curl's own low-speed check averages over several seconds.)
	 */
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (b + d != r->moved) {
		r->moved = b + d;
		r->last_move = now;
	} else if ((now.tv_sec - r->last_move.tv_sec) * 1000 +
	    (now.tv_nsec - r->last_move.tv_nsec) / 1000000 >=
	    r->k->c->o.timeout * 1000) {
		r->stalled = 1;
		return (1);
	}
	return (0);
}

/* Debug output of the headers, with the secrets redacted. */
static int
cb_debug(CURL *h, curl_infotype t, char *data, size_t n, void *cookie)
{
	const char *dir = t == CURLINFO_HEADER_OUT ? ">" : "<";
	char *s, *line, *save = NULL;

	(void)h;
	(void)cookie;
	if (t != CURLINFO_HEADER_OUT && t != CURLINFO_HEADER_IN)
		return (0);
	if ((s = strndup(data, n)) == NULL)
		return (0);
	for (line = strtok_r(s, "\r\n", &save); line != NULL;
	    line = strtok_r(NULL, "\r\n", &save)) {
		if (strncasecmp(line, "authorization:", 14) == 0 ||
		    strncasecmp(line, "x-amz-security-token:", 21) == 0 ||
		    strncasecmp(line, SSEC_KEY_HDR ":",
		    sizeof(SSEC_KEY_HDR)) == 0)
			warnp_debug(3, "%s %.*s: <redacted>", dir,
			    (int)(strchr(line, ':') - line), line);
		else
			warnp_debug(3, "%s %s", dir, line);
	}
	OPENSSL_cleanse(s, n);
	free(s);
	return (0);
}

/* ------------------------------------------------------------ a request */

static void
amz_date(struct s3_client *c, char out[17])
{
	time_t now = time(NULL);
	struct tm tm;

	pthread_mutex_lock(&c->lock);
	now += c->skew;
	pthread_mutex_unlock(&c->lock);
	gmtime_r(&now, &tm);
	strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

static void
req_hdr(struct req *r, const char *name, const char *value)
{

	if (r->nhdrs < MAX_HDRS && value != NULL) {
		r->hdrs[r->nhdrs].name = name;
		r->hdrs[r->nhdrs].value = value;
		r->nhdrs++;
	}
}

/* URL and raw canonical path of r at its address. */
static int
req_target(struct req *r, const char *query, struct strbuf *url,
    struct strbuf *path)
{
	char *enc;

	strbuf_reset(url);
	strbuf_reset(path);
	strbuf_adds(path, r->a->prefix);
	if (r->key != NULL)
		strbuf_adds(path, r->key);
	else if (path->len > 1)
		path->s[--path->len] = '\0';	/* "/bucket", not "/bucket/" */
	if (path->len == 0)
		strbuf_addc(path, '/');
	if (strbuf_failed(path) ||
	    (enc = sigv4_uri_encode(path->s, path->len, 1)) == NULL)
		return (-1);
	strbuf_addf(url, "%s%s%s%s", r->a->origin, enc, *query ? "?" : "",
	    query);
	free(enc);
	return (strbuf_failed(url) ? -1 : 0);
}

/* Sign r and build the header list; *hl is new. */
static int
req_sign(struct s3_conn *k, struct req *r, const char *path,
    const char *query, struct curl_slist **hl, struct s3_error *e)
{
	struct s3_client *c = k->c;
	struct sigv4_header h[MAX_HDRS + 8];
	struct awscred cr;
	struct sigv4_req sr;
	struct strbuf b = STRBUF_INIT;
	char date[17], sig[65], *auth = NULL;
	size_t n = 0, i;
	int rc = -1;

	if (awscred_get(c->cred, &cr) != 0) {
		s3_error_set(e, S3_ECRED, "credentials expired");
		return (-1);
	}
	amz_date(c, date);
	h[n++] = (struct sigv4_header){ "host", r->a->host };
	h[n++] = (struct sigv4_header){ "x-amz-date", date };
	h[n++] = (struct sigv4_header){ "x-amz-content-sha256", r->payload };
	if (cr.token[0] != '\0')
		h[n++] = (struct sigv4_header){ "x-amz-security-token",
		    cr.token };
	for (i = 0; i < r->nhdrs; i++)
		h[n++] = r->hdrs[i];
	if (r->ssec && c->ssec_key[0] != '\0') {
		h[n++] = (struct sigv4_header){
		    "x-amz-server-side-encryption-customer-algorithm",
		    "AES256" };
		h[n++] = (struct sigv4_header){
		    "x-amz-server-side-encryption-customer-key", c->ssec_key };
		h[n++] = (struct sigv4_header){
		    "x-amz-server-side-encryption-customer-key-md5",
		    c->ssec_md5 };
	}
	sr = (struct sigv4_req){ r->method, path, query, h, n, r->payload };
	if (sigv4_sign(&c->signer, cr.akid, cr.secret, r->a->region, "s3",
	    date, &sr, &auth, sig) != 0) {
		s3_error_set(e, S3_ESYS, "cannot sign the request");
		goto out;
	}
	for (i = 0; i < n; i++) {
		strbuf_reset(&b);
		strbuf_addf(&b, "%s: %s", h[i].name, h[i].value);
		if (strbuf_failed(&b))
			goto out;
		*hl = curl_slist_append(*hl, b.s);
	}
	strbuf_reset(&b);
	strbuf_addf(&b, "Authorization: %s", auth);
	*hl = curl_slist_append(*hl, b.s);
	/*
	 * A large body waits for 100 Continue, so a refusal (403, 301, 503)
	 * costs no upload and its answer is not lost in a reset.
	 */
	*hl = curl_slist_append(*hl, r->blen >= EXPECT_MIN ?
	    "Expect: 100-continue" : "Expect:");
	*hl = curl_slist_append(*hl, "Accept:");
	rc = *hl != NULL && !strbuf_failed(&b) ? 0 : -1;
	if (rc != 0)
		s3_error_set(e, S3_ESYS, "cannot allocate");
out:
	if (b.s != NULL)
		OPENSSL_cleanse(b.s, b.cap);
	strbuf_free(&b);
	if (auth != NULL)
		OPENSSL_cleanse(auth, strlen(auth));
	free(auth);
	awscred_clear(&cr);
	return (rc);
}

static void
conn_setup(struct s3_conn *k, struct req *r, const char *url,
    struct curl_slist *hl)
{
	CURL *h = k->curl;
	const struct s3_opts *o = &k->c->o;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, k->errbuf);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, o->timeout);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_bundle != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_bundle);
	if (k->c->connect_to != NULL)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, k->c->connect_to);
	/* A server deaf to Expect gets the body after a wait: no stall. */
	curl_easy_setopt(h, CURLOPT_EXPECT_100_TIMEOUT_MS,
	    o->timeout > 2 ? 1000L : o->timeout * 400L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, cb_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, cb_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, cb_progress);
	curl_easy_setopt(h, CURLOPT_XFERINFODATA, r);
	curl_easy_setopt(h, CURLOPT_BUFFERSIZE, 256L * 1024);
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 256L * 1024);
	if (o->verbose >= 3) {
		curl_easy_setopt(h, CURLOPT_VERBOSE, 1L);
		curl_easy_setopt(h, CURLOPT_DEBUGFUNCTION, cb_debug);
	}
	if (r->head) {
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
	} else if (r->body != NULL || strcmp(r->method, "PUT") == 0 ||
	    strcmp(r->method, "POST") == 0) {
		curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, cb_read);
		curl_easy_setopt(h, CURLOPT_READDATA, r);
		curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE,
		    (curl_off_t)r->blen);
	}
	if (!r->head)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, r->method);
}

/* Note the server's clock from its Date header (RequestTimeTooSkewed). */
static void
req_skew(struct s3_conn *k, struct req *r)
{
	time_t t = curl_getdate(r->date, NULL);

	if (t == -1)
		return;
	pthread_mutex_lock(&k->c->lock);
	k->c->skew = (long)(t - time(NULL));
	pthread_mutex_unlock(&k->c->lock);
}

struct errbody {
	char	*code;
	char	*msg;
	char	*region;	/* <Region> (AuthorizationHeaderMalformed) */
	char	 sclass[32];	/* <StorageClass> (InvalidObjectState) */
};

static int
err_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct errbody *b = cookie;

	if (strcmp(path, "Error/Code") == 0)
		snprintf(b->code, 64, "%.*s", (int)len, text);
	else if (strcmp(path, "Error/Message") == 0)
		snprintf(b->msg, 256, "%.*s", (int)len, text);
	else if (strcmp(path, "Error/Region") == 0 && b->region != NULL &&
	    b->region[0] == '\0')
		snprintf(b->region, 64, "%.*s", (int)len, text);
	else if (strcmp(path, "Error/StorageClass") == 0)
		snprintf(b->sclass, sizeof(b->sclass), "%.*s", (int)len, text);
	return (0);
}

/* The error of a non-2xx answer (or a 2xx with an <Error> body). */
static void
req_error(struct req *r, struct s3_error *e)
{
	struct errbody b = { e->code, e->msg, r->region, "" };
	const char *def = "";

	memset(e, 0, sizeof(*e));
	e->kind = S3_EHTTP;
	e->status = r->status;
	if (r->resp.len > 0)
		xmlwalk(r->resp.s, r->resp.len, err_walk, &b, NULL, 0);
	e->code_sent = e->code[0] != '\0';
	if (strcmp(e->code, "InvalidObjectState") == 0)
		snprintf(e->msg, sizeof(e->msg), "the object is archived%s%s%s:"
		    " restore it first (aws s3api restore-object), then try "
		    "again once the restore is done", b.sclass[0] ? " (" : "",
		    b.sclass, b.sclass[0] ? ")" : "");
	if (e->code[0] != '\0')
		return;
	switch (r->status) {
	case 301: def = "PermanentRedirect"; break;
	case 400: def = "BadRequest"; break;
	case 403: def = "AccessDenied"; break;
	case 404: def = r->key != NULL ? "NoSuchKey" : "NoSuchBucket"; break;
	case 412: def = "PreconditionFailed"; break;
	case 416: def = "InvalidRange"; break;
	case 500: def = "InternalError"; break;
	case 503: def = "ServiceUnavailable"; break;
	}
	snprintf(e->code, sizeof(e->code), "%s", def);
}

enum verdict { V_OK, V_RETRY, V_MOVE, V_FAIL };

static int req_run(struct s3_conn *k, struct req *r, struct s3_error *e);

/*
 * Ask the bucket's region with a HEAD on the bucket (HeadBucket answers
 * x-amz-bucket-region even when it refuses), for an answer that named
 * none (a HEAD has no body to name it in).
 */
static void
region_probe(struct s3_conn *k, struct req *r)
{
	struct req h = { .method = "HEAD", .head = 1, .probe = 1 };
	struct s3_error e;

	strcpy(h.payload, SIGV4_EMPTY_SHA256);
	(void)req_run(k, &h, &e);
	memcpy(r->region, h.region, sizeof(r->region));
	strbuf_free(&h.resp);
}

/* A wrong-region answer: the bucket's region, or "" if none is named. */
static int
wrong_region(const struct req *r, const struct s3_error *e)
{

	return (r->status == 301 || r->status == 307 ||
	    strcmp(e->code, "PermanentRedirect") == 0 ||
	    strcmp(e->code, "AuthorizationHeaderMalformed") == 0 ||
	    strcmp(e->code, "IllegalLocationConstraintException") == 0);
}

static enum verdict
req_judge(struct s3_conn *k, struct req *r, CURLcode cc, struct s3_error *e)
{
	char root[64];

	if (cc == CURLE_ABORTED_BY_CALLBACK && r->stalled) {
		s3_error_set(e, S3_ENET, "stalled: no data for %ld s",
		    k->c->o.timeout);
		return (V_RETRY);
	}
	if (cc == CURLE_ABORTED_BY_CALLBACK) {
		s3_error_set(e, S3_ECANCEL, "%s", "");
		return (V_FAIL);
	}
	if (cc != CURLE_OK && r->overflow) {
		s3_error_set(e, S3_EDATA, "answer longer than expected");
		return (V_FAIL);
	}
	if (cc == CURLE_PEER_FAILED_VERIFICATION ||
	    cc == CURLE_SSL_CACERT_BADFILE) {
		/* Trying again would not make the certificate trusted. */
		s3_error_set(e, S3_ENET, "%s (CA certificates: %s)",
		    k->errbuf[0] ? k->errbuf : curl_easy_strerror(cc),
		    k->c->o.ca_bundle ? k->c->o.ca_bundle : "the system's");
		return (V_FAIL);
	}
	if (cc != CURLE_OK) {
		s3_error_set(e, S3_ENET, "%s", k->errbuf[0] ? k->errbuf :
		    curl_easy_strerror(cc));
		return (V_RETRY);
	}
	curl_easy_getinfo(k->curl, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->status >= 200 && r->status < 300 && r->bad_hdr != NULL) {
		/* As a garbled body below: it may be a glitch on the way. */
		s3_error_set(e, S3_EDATA, "malformed answer to %s: bad %s",
		    r->method, r->bad_hdr);
		return (V_RETRY);
	}
	if (r->status >= 200 && r->status < 300) {
		if (r->ok_root == NULL)
			return (V_OK);
		if (xmlwalk(r->resp.s ? r->resp.s : "", r->resp.len,
		    err_walk, &(struct errbody){ e->code, e->msg, NULL, "" }, root,
		    sizeof(root)) == 0 && strcmp(root, r->ok_root) == 0)
			return (V_OK);
		req_error(r, e);
		if (e->code[0] == '\0' || strcmp(root, "Error") != 0) {
			s3_error_set(e, S3_EDATA, "malformed answer to %s",
			    r->method);
			return (V_RETRY);
		}
	} else {
		req_error(r, e);
	}
	if (wrong_region(r, e)) {
		if (r->probe)
			return (V_FAIL);
		if (r->region[0] == '\0')
			region_probe(k, r);
		if (client_move(k->c, r->a, r->region) == 0)
			return (V_MOVE);
		if (e->msg[0] == '\0')
			snprintf(e->msg, sizeof(e->msg), "the bucket is in "
			    "another region%s%s: set the region", r->region[0] ?
			    " than " : "", r->region[0] ? r->a->region : "");
		return (V_FAIL);
	}
	if (strcmp(e->code, "RequestTimeTooSkewed") == 0) {
		req_skew(k, r);
		return (V_RETRY);
	}
	if (strcmp(e->code, "ExpiredToken") == 0 ||
	    strcmp(e->code, "TokenRefreshRequired") == 0)
		return (awscred_invalidate(k->c->cred) == 0 ? V_RETRY : V_FAIL);
	if (r->status == 501 || strcmp(e->code, "NotImplemented") == 0)
		return (V_FAIL);
	if (r->status >= 500 || r->status == 429 ||
	    code_in(e->code, retry_codes))
		return (V_RETRY);
	return (V_FAIL);
}

static CURLcode
req_attempt(struct s3_conn *k, struct req *r, const char *url,
    struct curl_slist *hl)
{

	r->sent = 0;
	r->outlen = 0;
	r->overflow = 0;
	r->stalled = 0;
	r->bad_hdr = NULL;
	r->moved = 0;
	clock_gettime(CLOCK_MONOTONIC, &r->last_move);
	r->status = 0;
	r->date[0] = '\0';
	r->region[0] = '\0';
	strbuf_reset(&r->resp);
	memset(&r->info, 0, sizeof(r->info));
	r->info.size = -1;
	k->errbuf[0] = '\0';
	conn_setup(k, r, url, hl);
	return (curl_easy_perform(k->curl));
}

/* Sleep up to ms, in slices, unless cancelled. */
static void
backoff_sleep(struct s3_conn *k, int try)
{
	const struct s3_opts *o = &k->c->o;
	double ceil = (double)o->retry_base_ms * (double)(1ULL << (try < 30 ?
	    try - 1 : 29));
	struct timespec ts;
	long ms;

	if (ceil > o->retry_cap_ms)
		ceil = o->retry_cap_ms;
	k->rng ^= k->rng << 13;
	k->rng ^= k->rng >> 7;
	k->rng ^= k->rng << 17;
	ms = (long)(ceil * (double)(k->rng % 1000001) / 1000000.0);
	while (ms > 0 && !cancelled) {
		ts.tv_sec = 0;
		ts.tv_nsec = (ms > 100 ? 100 : ms) * 1000000L;
		nanosleep(&ts, NULL);
		ms -= 100;
	}
}

/* Free a header list, wiping it first: it may hold the SSE-C key. */
static void
slist_free_wiped(struct curl_slist *hl)
{
	struct curl_slist *l;

	for (l = hl; l != NULL; l = l->next)
		OPENSSL_cleanse(l->data, strlen(l->data));
	curl_slist_free_all(hl);
}

static int
req_run(struct s3_conn *k, struct req *r, struct s3_error *e)
{
	struct strbuf url = STRBUF_INIT, path = STRBUF_INIT;
	struct curl_slist *hl;
	char *query = NULL;
	enum verdict v = V_FAIL;
	CURLcode cc;
	int try;

	struct s3_addr *a;
	int moves = 0;

	r->k = k;
	r->a = NULL;
	memset(e, 0, sizeof(*e));
	if ((query = sigv4_query(r->params, r->nparams)) == NULL) {
		s3_error_set(e, S3_ESYS, "cannot allocate");
		goto out;
	}
	for (try = 1; ; try++) {
		if (cancelled && !r->no_cancel) {
			s3_error_set(e, S3_ECANCEL, "%s", "");
			break;
		}
		if ((a = client_addr(k->c)) != r->a) {
			r->a = a;
			if (req_target(r, query, &url, &path) != 0) {
				s3_error_set(e, S3_ESYS, "cannot allocate");
				break;
			}
		}
		hl = NULL;
		if (req_sign(k, r, path.s, query, &hl, e) != 0) {
			slist_free_wiped(hl);
			break;
		}
		cc = req_attempt(k, r, url.s, hl);
		slist_free_wiped(hl);
		v = req_judge(k, r, cc, e);
		e->tries = r->tries = try;
		warnp_debug(2, "%s %s -> %ld%s%s (try %d)", r->method, url.s,
		    r->status, e->code[0] ? " " : "", e->code, try);
		if (v == V_MOVE && ++moves <= MAX_MOVES) {
			try--;		/* a move is no failed try */
			continue;
		}
		if (v != V_RETRY || try >= k->c->o.attempts)
			break;
		backoff_sleep(k, try);
	}
out:
	free(query);
	strbuf_free(&url);
	strbuf_free(&path);
	if (v == V_OK) {
		memset(e, 0, sizeof(*e));
		return (0);
	}
	return (-1);
}

static void
req_free(struct req *r)
{

	strbuf_free(&r->resp);
}

/* -------------------------------------------------------- operations */

static void
b64(const unsigned char *in, size_t n, char *out)
{

	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void
crc32c_b64(const void *buf, size_t len, char out[12])
{
	uint32_t crc = crc32c(0, buf, len);
	unsigned char be[4] = { crc >> 24, crc >> 16, crc >> 8, crc };

	b64(be, 4, out);
}

/*
 * Payload hash and checksum header of a body, per the checksum mode; ckval
 * (at least 32 bytes) holds the header's value.
 */
static void
req_checksum(struct req *r, enum s3_checksum ck, char *ckval)
{
	unsigned char md[16];
	unsigned int mdlen = 16;

	if (ck == S3_CK_SHA256) {
		sigv4_sha256_hex(r->body != NULL ? (const void *)r->body : "",
		    r->blen, r->payload);
		return;
	}
	strcpy(r->payload, "UNSIGNED-PAYLOAD");
	if (ck == S3_CK_CRC32C) {
		crc32c_b64(r->body, r->blen, ckval);
		req_hdr(r, "x-amz-checksum-crc32c", ckval);
	} else if (ck == S3_CK_MD5) {
		EVP_Digest(r->body, r->blen, md, &mdlen, EVP_md5(), NULL);
		b64(md, 16, ckval);
		req_hdr(r, "content-md5", ckval);
	}
}

/* A CRC32C the server echoes must be the one sent (S3_EDATA if not). */
static int
echo_check(const struct req *r, const char *sent, const char *what,
    struct s3_error *e)
{

	if (r->info.crc32c[0] == '\0' || strcmp(r->info.crc32c, sent) == 0)
		return (0);
	s3_error_set(e, S3_EDATA, "the server's CRC32C of %s is %s, ours %s",
	    what, r->info.crc32c, sent);
	return (-1);
}

static void
req_put_opts(struct req *r, const struct s3_put_opts *po)
{

	req_hdr(r, "x-amz-server-side-encryption", po->sse);
	req_hdr(r, "x-amz-server-side-encryption-aws-kms-key-id",
	    po->kms_key_id);
	req_hdr(r, "x-amz-storage-class", po->storage_class);
	req_hdr(r, "content-type", po->content_type);
}

static int head(struct s3_conn *k, const char *key, int ckmode,
    struct s3_objinfo *info, struct s3_error *e);

/*
 * A conditional PUT retried after a lost answer is refused because the
 * lost one created the object: it is ours if it holds our bytes (its ETag
 * is their MD5, or its CRC32C is ours).  Anything else exists already.
 */
static int
put_was_ours(struct s3_conn *k, const char *key, const void *buf,
    size_t len, const char *crc, char etag[136])
{
	struct s3_objinfo info;
	struct s3_error he;
	unsigned char md[16];
	unsigned int mdlen = 16;
	char hex[33], quoted[40];

	if (head(k, key, 1, &info, &he) != 0 || info.size < 0 ||
	    (uint64_t)info.size != len)
		return (0);
	EVP_Digest(buf, len, md, &mdlen, EVP_md5(), NULL);
	sigv4_hex(md, 16, hex);
	snprintf(quoted, sizeof(quoted), "\"%s\"", hex);
	if (strcmp(info.etag, quoted) != 0 && (crc == NULL ||
	    info.crc32c[0] == '\0' || strcmp(info.crc32c, crc) != 0))
		return (0);
	warnp_debug(1, "'%s': created by a PUT whose answer was lost", key);
	memcpy(etag, info.etag, 136);
	return (1);
}

int
s3_put_object(struct s3_conn *k, const char *key, const void *buf,
    size_t len, const struct s3_put_opts *po, char etag[136],
    struct s3_error *e)
{
	struct req r = { .method = "PUT", .key = key, .body = buf,
	    .blen = len, .ssec = 1 };
	char ck[32];
	int rc;

	req_put_opts(&r, po);
	if (po->if_none_match)
		req_hdr(&r, "if-none-match", "*");
	req_checksum(&r, po->checksum, ck);
	rc = req_run(k, &r, e);
	if (rc != 0 && po->if_none_match && e->tries > 1 &&
	    s3_error_exists(e) && put_was_ours(k, key, buf, len,
	    po->checksum == S3_CK_CRC32C ? ck : NULL, etag)) {
		memset(e, 0, sizeof(*e));
		req_free(&r);
		return (0);
	}
	if (rc == 0 && po->checksum == S3_CK_CRC32C)
		rc = echo_check(&r, ck, "the object", e);
	if (rc == 0)
		memcpy(etag, r.info.etag, 136);
	req_free(&r);
	return (rc);
}

static int
upload_id_walk(void *cookie, const char *path, const char *text, size_t len)
{
	char **id = cookie;

	if (strcmp(path, "InitiateMultipartUploadResult/UploadId") == 0 &&
	    *id == NULL)
		*id = strndup(text, len);
	return (0);
}

/* The uploads of one key that a retried create may have left behind. */
struct orphans {
	struct s3_conn	*k;
	const char	*key;
	const char	*keep;		/* the upload we use */
	time_t		 since;		/* initiated at or after this */
};

static int
orphan_one(void *cookie, const struct s3_upload *u)
{
	struct orphans *o = cookie;
	struct s3_error e;
	time_t t;

	if (strcmp(u->key, o->key) == 0 && strcmp(u->upload_id, o->keep) != 0 &&
	    s3_time_parse(u->initiated, &t) == 0 && t >= o->since &&
	    s3_mpu_abort(o->k, o->key, u->upload_id, &e) == 0)
		warnp_debug(1, "'%s': aborted upload %s, left by a create "
		    "whose answer was lost", o->key, u->upload_id);
	return (0);
}

/*
 * A create that took more than one try may have started uploads whose
 * answers were lost: abort those of this key begun since the first try
 * (ListMultipartUploads), so no part is billed forever.  Best effort.
 */
static void
orphans_abort(struct s3_conn *k, const char *key, const char *keep,
    time_t since)
{
	struct orphans o = { .k = k, .key = key, .keep = keep,
	    .since = since };
	struct s3_error e;

	(void)s3_list_uploads(k, key, 0, orphan_one, &o, &e);
}

int
s3_mpu_create(struct s3_conn *k, const char *key,
    const struct s3_put_opts *po, char **upload_id, struct s3_error *e)
{
	const struct sigv4_param p[] = { { "uploads", "" } };
	struct req r = { .method = "POST", .key = key, .params = p,
	    .nparams = 1, .ok_root = "InitiateMultipartUploadResult",
	    .ssec = 1 };
	time_t since;
	int rc;

	req_put_opts(&r, po);
	/* Parts with a checksum need it declared here (AWS refuses them). */
	if (po->checksum == S3_CK_CRC32C)
		req_hdr(&r, "x-amz-checksum-algorithm", "CRC32C");
	strcpy(r.payload, SIGV4_EMPTY_SHA256);
	*upload_id = NULL;
	pthread_mutex_lock(&k->c->lock);
	since = time(NULL) + k->c->skew - 60;	/* the server's clock */
	pthread_mutex_unlock(&k->c->lock);
	if ((rc = req_run(k, &r, e)) == 0) {
		xmlwalk(r.resp.s, r.resp.len, upload_id_walk, upload_id,
		    NULL, 0);
		if (*upload_id == NULL || **upload_id == '\0') {
			free(*upload_id);
			*upload_id = NULL;
			s3_error_set(e, S3_EDATA, "no UploadId in the answer");
			rc = -1;
		}
	}
	if (rc == 0 && r.tries > 1)
		orphans_abort(k, key, *upload_id, since);
	req_free(&r);
	return (rc);
}

int
s3_mpu_part(struct s3_conn *k, const char *key, const char *upload_id,
    int n, const void *buf, size_t len, const struct s3_put_opts *po,
    struct s3_part *part, struct s3_error *e)
{
	char num[16], ck[32], what[32];
	const struct sigv4_param p[] = { { "partNumber", num },
	    { "uploadId", upload_id } };
	struct req r = { .method = "PUT", .key = key, .params = p,
	    .nparams = 2, .body = buf, .blen = len, .ssec = 1 };
	int rc;

	snprintf(num, sizeof(num), "%d", n);
	snprintf(what, sizeof(what), "part %d", n);
	req_checksum(&r, po->checksum, ck);
	rc = req_run(k, &r, e);
	if (rc == 0 && r.info.etag[0] == '\0') {
		s3_error_set(e, S3_EDATA, "no ETag for part %d", n);
		rc = -1;
	}
	if (rc == 0 && po->checksum == S3_CK_CRC32C &&
	    (rc = echo_check(&r, ck, what, e)) == 0)
		snprintf(part->crc32c, sizeof(part->crc32c), "%.15s", ck);
	if (rc == 0)
		memcpy(part->etag, r.info.etag, 136);
	req_free(&r);
	return (rc);
}

void
s3_crc32c_composite(const struct s3_part *parts, int n, char out[24])
{
	unsigned char raw[8], be[4];
	uint32_t crc = 0;
	int i;

	/* COMPOSITE: the CRC32C of the parts' big-endian CRC32Cs. */
	for (i = 0; i < n; i++) {
		memset(raw, 0, sizeof(raw));
		if (strlen(parts[i].crc32c) == 8)
			EVP_DecodeBlock(raw,
			    (const unsigned char *)parts[i].crc32c, 8);
		crc = crc32c(crc, raw, 4);
	}
	be[0] = crc >> 24; be[1] = crc >> 16; be[2] = crc >> 8; be[3] = crc;
	b64(be, 4, out);
	snprintf(out + 8, 16, "-%d", n);
}

struct complete {
	char	*etag;
	char	 crc32c[24];
};

static int
complete_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct complete *c = cookie;

	if (strcmp(path, "CompleteMultipartUploadResult/ETag") == 0)
		snprintf(c->etag, 136, "%.*s", (int)len, text);
	else if (strcmp(path, "CompleteMultipartUploadResult/ChecksumCRC32C")
	    == 0)
		snprintf(c->crc32c, sizeof(c->crc32c), "%.*s", (int)len, text);
	return (0);
}

/* The CompleteMultipartUpload body listing parts 1..n; NULL if no memory. */
static char *
complete_body(const struct s3_part *parts, int n, size_t *len)
{
	struct strbuf b = STRBUF_INIT;
	int i;

	strbuf_adds(&b, "<CompleteMultipartUpload xmlns=\""
	    "http://s3.amazonaws.com/doc/2006-03-01/\">");
	for (i = 0; i < n; i++) {
		strbuf_addf(&b, "<Part><PartNumber>%d</PartNumber>"
		    "<ETag>%s</ETag>", i + 1, parts[i].etag);
		if (parts[i].crc32c[0] != '\0')
			strbuf_addf(&b, "<ChecksumCRC32C>%s</ChecksumCRC32C>",
			    parts[i].crc32c);
		strbuf_adds(&b, "</Part>");
	}
	strbuf_adds(&b, "</CompleteMultipartUpload>");
	*len = b.len;
	if (strbuf_failed(&b)) {
		strbuf_free(&b);
		return (NULL);
	}
	return (strbuf_detach(&b));
}

int
s3_etag_parts(const char *etag)
{
	const char *d = strrchr(etag, '-');
	char n[8];
	size_t len;
	uint64_t v;

	/*
	 * Only a quoted ETag with a clean "-N" before the closing quote: the
	 * server's answer is untrusted, and anything else is 0 (unknown).
	 */
	if (etag[0] != '"' || d == NULL || d == etag + 1 ||
	    (len = strlen(++d)) < 2 || d[len - 1] != '"' ||
	    len - 1 >= sizeof(n))
		return (0);
	memcpy(n, d, len - 1);
	n[len - 1] = '\0';
	if (num_parse_u64(n, 1, 10000, &v) != 0)
		return (0);
	return ((int)v);
}

/*
 * After a retried Complete answered NoSuchUpload: did the first, whose
 * answer was lost, complete the object?  AWS: "the upload might have been
 * completed".  Yes when the object has our size, part count and checksum.
 */
static int
complete_lost(struct s3_conn *k, const char *key, int n, uint64_t size,
    const char *composite, char etag[136], struct s3_error *e)
{
	struct s3_objinfo info;
	struct s3_error he;

	if (head(k, key, 1, &info, &he) != 0 || info.size < 0 ||
	    (uint64_t)info.size != size || s3_etag_parts(info.etag) != n ||
	    (composite[0] != '\0' && info.crc32c[0] != '\0' &&
	    strcmp(info.crc32c, composite) != 0))
		return (-1);
	warnp_debug(1, "'%s': completed by a Complete whose answer was lost",
	    key);
	memcpy(etag, info.etag, 136);
	memset(e, 0, sizeof(*e));
	return (0);
}

int
s3_mpu_complete(struct s3_conn *k, const char *key, const char *upload_id,
    const struct s3_part *parts, int n, uint64_t size,
    const struct s3_put_opts *po, char etag[136], struct s3_error *e)
{
	const struct sigv4_param p[] = { { "uploadId", upload_id } };
	/* AWS wants SSE-C at Complete too when parts carry checksums. */
	struct req r = { .method = "POST", .key = key, .params = p,
	    .nparams = 1, .ok_root = "CompleteMultipartUploadResult",
	    .ssec = 1 };
	struct complete res = { .etag = etag };
	char composite[24] = "", *body;
	int rc;

	if ((body = complete_body(parts, n, &r.blen)) == NULL) {
		s3_error_set(e, S3_ESYS, "cannot allocate");
		return (-1);
	}
	if (po->checksum == S3_CK_CRC32C)
		s3_crc32c_composite(parts, n, composite);
	r.body = (const unsigned char *)body;
	/* AWS: a conditional multipart create is checked at Complete. */
	if (po->if_none_match)
		req_hdr(&r, "if-none-match", "*");
	req_checksum(&r, S3_CK_SHA256, NULL);
	etag[0] = '\0';
	if ((rc = req_run(k, &r, e)) == 0) {
		warnp_debug(3, "< %.*s", (int)r.resp.len, r.resp.s);
		xmlwalk(r.resp.s, r.resp.len, complete_walk, &res, NULL, 0);
		if (res.crc32c[0] != '\0' && composite[0] != '\0' &&
		    strcmp(res.crc32c, composite) != 0) {
			s3_error_set(e, S3_EDATA, "the server's checksum of "
			    "the object is %s, ours %s", res.crc32c, composite);
			rc = -1;
		}
	} else if (e->tries > 1 && (strcmp(e->code, "NoSuchUpload") == 0 ||
	    (po->if_none_match && s3_error_exists(e)))) {
		rc = complete_lost(k, key, n, size, composite, etag, e);
	}
	req_free(&r);
	free(body);
	return (rc);
}

int
s3_mpu_abort(struct s3_conn *k, const char *key, const char *upload_id,
    struct s3_error *e)
{
	const struct sigv4_param p[] = { { "uploadId", upload_id } };
	struct req r = { .method = "DELETE", .key = key, .params = p,
	    .nparams = 1, .no_cancel = 1 };
	int rc;

	strcpy(r.payload, SIGV4_EMPTY_SHA256);
	rc = req_run(k, &r, e);
	req_free(&r);
	return (rc);
}

int
s3_delete(struct s3_conn *k, const char *key, struct s3_error *e)
{
	struct req r = { .method = "DELETE", .key = key };
	int rc;

	strcpy(r.payload, SIGV4_EMPTY_SHA256);
	rc = req_run(k, &r, e);
	req_free(&r);
	return (rc);
}

/* ---------------------------------------------------- DeleteObjects */

int
s3_xml_key_check(const char *key)
{
	const char *s = key;
	uint32_t cp;
	size_t n;

	if (*s == '\0')
		return (-1);
	while (*s != '\0') {
		if ((n = rec_utf8_char(s, &cp)) == 0)
			return (-1);
		/* XML 1.0 Char: TAB, LF, CR, then from U+0020, less two. */
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    cp == 0xfffe || cp == 0xffff)
			return (-1);
		s += n;
	}
	return (0);
}

/* key with XML's five specials escaped; TAB, LF and CR as references. */
static void
xml_escape(struct strbuf *b, const char *key)
{

	for (; *key != '\0'; key++) {
		switch (*key) {
		case '&': strbuf_adds(b, "&amp;"); break;
		case '<': strbuf_adds(b, "&lt;"); break;
		case '>': strbuf_adds(b, "&gt;"); break;
		case '"': strbuf_adds(b, "&quot;"); break;
		case '\'': strbuf_adds(b, "&apos;"); break;
		/* A parser would turn raw CR into LF, and may trim. */
		case '\t': strbuf_adds(b, "&#9;"); break;
		case '\n': strbuf_adds(b, "&#10;"); break;
		case '\r': strbuf_adds(b, "&#13;"); break;
		default: strbuf_addc(b, *key); break;
		}
	}
}

char *
s3_delete_body(const char *const *keys, size_t n, size_t *len)
{
	struct strbuf b = STRBUF_INIT;
	size_t i;

	strbuf_adds(&b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Quiet>false</Quiet>");
	for (i = 0; i < n; i++) {
		strbuf_adds(&b, "<Object><Key>");
		xml_escape(&b, keys[i]);
		strbuf_adds(&b, "</Key></Object>");
	}
	strbuf_adds(&b, "</Delete>");
	if (strbuf_failed(&b)) {
		strbuf_free(&b);
		return (NULL);
	}
	*len = b.len;
	return (strbuf_detach(&b));
}

/* A key asked for, and where it was in the request. */
struct delkey {
	const char	*key;
	size_t		 idx;
};

/* The keys asked for, sorted, to find each answered one. */
struct delparse {
	struct delkey	*order;		/* the keys, sorted */
	size_t		 n;
	struct s3_delres *res;
	char		*seen;		/* per key: a result came */
	struct strbuf	 key;
	char		 code[64];
	char		 msg[256];
	int		 has_key;
};

static int
delkey_cmp(const void *a, const void *b)
{

	return (strcmp(((const struct delkey *)a)->key,
	    ((const struct delkey *)b)->key));
}

/* Give every asked key equal to d->key the result; -1 if none is. */
static int
delparse_give(struct delparse *d, int deleted)
{
	struct s3_delres *r;
	size_t lo = 0, hi = d->n, mid, i;
	int found = 0;

	if (strbuf_failed(&d->key) || d->key.s == NULL)
		return (-1);
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(d->order[mid].key, d->key.s) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (i = lo; i < d->n && strcmp(d->order[i].key, d->key.s) == 0;
	    i++) {
		r = &d->res[d->order[i].idx];
		memset(r, 0, sizeof(*r));
		r->deleted = deleted;
		if (!deleted) {
			memcpy(r->code, d->code, sizeof(r->code));
			memcpy(r->msg, d->msg, sizeof(r->msg));
		}
		d->seen[d->order[i].idx] = 1;
		found = 1;
	}
	strbuf_reset(&d->key);
	d->code[0] = d->msg[0] = '\0';
	d->has_key = 0;
	return (found ? 0 : -1);
}

static int
delparse_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct delparse *d = cookie;

	if (strncmp(path, "DeleteResult/", 13) != 0)
		return (0);
	path += 13;
	if (strcmp(path, "Deleted/Key") == 0 ||
	    strcmp(path, "Error/Key") == 0) {
		strbuf_reset(&d->key);
		strbuf_add(&d->key, text, len);
		d->has_key = 1;
	} else if (strcmp(path, "Error/Code") == 0) {
		snprintf(d->code, sizeof(d->code), "%.*s", (int)len, text);
	} else if (strcmp(path, "Error/Message") == 0) {
		snprintf(d->msg, sizeof(d->msg), "%.*s", (int)len, text);
	} else if (strcmp(path, "Deleted") == 0) {
		return (d->has_key ? delparse_give(d, 1) : -1);
	} else if (strcmp(path, "Error") == 0) {
		/* An error must say which key and what went wrong. */
		if (!d->has_key || d->code[0] == '\0')
			return (-1);
		return (delparse_give(d, strcmp(d->code, "NoSuchKey") == 0));
	}
	return (0);
}

int
s3_delete_parse(const char *xml, size_t len, const char *const *keys,
    size_t n, struct s3_delres *res)
{
	struct delparse d = { .n = n, .res = res };
	char root[32];
	size_t i;
	int rc = -1;

	if ((d.order = calloc(n ? n : 1, sizeof(*d.order))) == NULL ||
	    (d.seen = calloc(n ? n : 1, 1)) == NULL)
		goto out;
	for (i = 0; i < n; i++)
		d.order[i] = (struct delkey){ keys[i], i };
	qsort(d.order, n, sizeof(*d.order), delkey_cmp);
	if (xmlwalk(xml, len, delparse_walk, &d, root, sizeof(root)) != 0 ||
	    strcmp(root, "DeleteResult") != 0)
		goto out;
	for (i = 0; i < n; i++)
		if (!d.seen[i])
			goto out;
	rc = 0;
out:
	free(d.order);
	free(d.seen);
	strbuf_free(&d.key);
	return (rc);
}

int
s3_delete_objects(struct s3_conn *k, const char *const *keys, size_t n,
    struct s3_delres *res, struct s3_error *e)
{
	const struct sigv4_param p[] = { { "delete", "" } };
	struct req r = { .method = "POST", .params = p, .nparams = 1,
	    .ok_root = "DeleteResult" };
	unsigned char md[16];
	unsigned int mdlen = 16;
	char md5[32], *body;
	int rc;

	if (n < 1 || n > S3_DELETE_MAX) {
		s3_error_set(e, S3_ESYS, "%zu keys for one DeleteObjects", n);
		return (-1);
	}
	if ((body = s3_delete_body(keys, n, &r.blen)) == NULL) {
		s3_error_set(e, S3_ESYS, "cannot allocate");
		return (-1);
	}
	r.body = (const unsigned char *)body;
	/*
	 * AWS refuses a DeleteObjects without Content-MD5 (or an
	 * x-amz-checksum-* header, which older S3 servers do not know);
	 * the payload's SHA-256 is signed besides.
	 */
	EVP_Digest(body, r.blen, md, &mdlen, EVP_md5(), NULL);
	b64(md, 16, md5);
	req_hdr(&r, "content-md5", md5);
	req_hdr(&r, "content-type", "application/xml");
	req_checksum(&r, S3_CK_SHA256, NULL);
	if ((rc = req_run(k, &r, e)) == 0 &&
	    s3_delete_parse(r.resp.s, r.resp.len, keys, n, res) != 0) {
		s3_error_set(e, S3_EDATA, "malformed answer to DeleteObjects: "
		    "not one result per key");
		rc = -1;
	}
	req_free(&r);
	free(body);
	return (rc);
}

/* HEAD key; with ckmode, asking for its checksum too. */
static int
head(struct s3_conn *k, const char *key, int ckmode,
    struct s3_objinfo *info, struct s3_error *e)
{
	struct req r = { .method = "HEAD", .key = key, .head = 1,
	    .ssec = 1 };
	int rc;

	if (ckmode)
		req_hdr(&r, "x-amz-checksum-mode", "ENABLED");
	strcpy(r.payload, SIGV4_EMPTY_SHA256);
	if ((rc = req_run(k, &r, e)) == 0)
		*info = r.info;
	req_free(&r);
	return (rc);
}

int
s3_head(struct s3_conn *k, const char *key, struct s3_objinfo *info,
    struct s3_error *e)
{

	return (head(k, key, 0, info, e));
}

int
s3_get_range(struct s3_conn *k, const char *key, int64_t off, size_t len,
    const char *if_match, void *buf, size_t *got, struct s3_objinfo *info,
    struct s3_error *e)
{
	struct req r = { .method = "GET", .key = key, .out = buf,
	    .outcap = len, .ssec = 1 };
	char range[64];
	int rc;

	snprintf(range, sizeof(range), "bytes=%lld-%lld", (long long)off,
	    (long long)off + (long long)len - 1);
	req_hdr(&r, "range", range);
	req_hdr(&r, "if-match", if_match);
	strcpy(r.payload, SIGV4_EMPTY_SHA256);
	if ((rc = req_run(k, &r, e)) == 0) {
		*got = r.outlen;
		if (r.status != 206 && r.info.size < 0)
			r.info.size = (int64_t)r.outlen;
		if (info != NULL)
			*info = r.info;
	}
	req_free(&r);
	return (rc);
}

/* ------------------------------------------------------------ listing */

void
s3_url_decode(char *s)
{
	char *d = s, hex[3] = { 0, 0, 0 };

	for (; *s != '\0'; s++) {
		if (*s == '+') {
			*d++ = ' ';
		} else if (*s == '%' && s[1] != '\0' && s[2] != '\0') {
			hex[0] = s[1];
			hex[1] = s[2];
			*d++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

struct listpage {
	s3_list_fn	*fn;
	void		*cookie;
	struct strbuf	 key;
	char		 mtime[64];
	char		 etag[136];
	char		 sclass[64];
	int64_t		 size;
	int		 truncated;
	int		 max_keys;
	char		*token;
	int		 stopped;
	int		 urlenc;	/* the page says EncodingType url */
	char		**pfx;		/* the page's common prefixes */
	size_t		 npfx, ipfx, cappfx;
};

static void
list_pfx_clear(struct listpage *l)
{
	size_t i;

	for (i = 0; i < l->npfx; i++)
		free(l->pfx[i]);
	l->npfx = l->ipfx = 0;
}

static int
list_pfx_add(struct listpage *l, const char *text, size_t len)
{
	char **n;

	if (l->npfx == l->cappfx) {
		l->cappfx = l->cappfx ? 2 * l->cappfx : 64;
		if ((n = realloc(l->pfx, l->cappfx * sizeof(*n))) == NULL)
			return (-1);
		l->pfx = n;
	}
	if ((l->pfx[l->npfx] = strndup(text, len)) == NULL)
		return (-1);
	l->npfx++;
	return (0);
}

/*
 * The first pass over a page: its encoding (keys are URL-encoded only if
 * the page says so: servers may ignore it) and its common prefixes, which
 * come after the objects but are merged with them in key order.
 */
static int
encoding_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct listpage *l = cookie;

	if (strcmp(path, "ListBucketResult/EncodingType") == 0)
		l->urlenc = len == 3 && strncasecmp(text, "url", 3) == 0;
	else if (strcmp(path, "ListBucketResult/CommonPrefixes/Prefix") == 0)
		return (list_pfx_add(l, text, len));
	return (0);
}

/* Give fn the prefixes before key in byte order (all if key is NULL). */
static int
list_pfx_emit(struct listpage *l, const char *key)
{
	struct s3_listent ent = { .size = -1, .mtime = "", .etag = "",
	    .storage_class = "", .is_prefix = 1 };

	for (; l->ipfx < l->npfx; l->ipfx++) {
		ent.key = l->pfx[l->ipfx];
		if (key != NULL && strcmp(ent.key, key) >= 0)
			break;
		if (l->fn(l->cookie, &ent) != 0) {
			l->stopped = 1;
			return (-1);
		}
	}
	return (0);
}

static int
list_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct listpage *l = cookie;
	struct s3_listent ent;
	char *q, num[24];
	uint64_t size;

	if (strncmp(path, "ListBucketResult/", 17) != 0)
		return (0);
	path += 17;
	if (strcmp(path, "Contents/Key") == 0) {
		strbuf_reset(&l->key);
		strbuf_add(&l->key, text, len);
	} else if (strcmp(path, "Contents/LastModified") == 0) {
		snprintf(l->mtime, sizeof(l->mtime), "%.*s", (int)len, text);
	} else if (strcmp(path, "Contents/ETag") == 0) {
		snprintf(l->etag, sizeof(l->etag), "%.*s", (int)len,
		    text + (len > 0 && *text == '"'));
		if ((q = strchr(l->etag, '"')) != NULL)
			*q = '\0';
	} else if (strcmp(path, "Contents/Size") == 0) {
		/* A size we cannot read fails the listing as malformed. */
		if (len >= sizeof(num))
			return (-1);
		memcpy(num, text, len);
		num[len] = '\0';
		if (num_parse_u64(num, 0, INT64_MAX, &size) != 0)
			return (-1);
		l->size = (int64_t)size;
	} else if (strcmp(path, "Contents/StorageClass") == 0) {
		snprintf(l->sclass, sizeof(l->sclass), "%.*s", (int)len, text);
	} else if (strcmp(path, "IsTruncated") == 0) {
		l->truncated = len == 4 && strncmp(text, "true", 4) == 0;
	} else if (strcmp(path, "NextContinuationToken") == 0) {
		free(l->token);
		l->token = strndup(text, len);
	} else if (strcmp(path, "Contents") == 0) {
		if (strbuf_failed(&l->key) || l->key.s == NULL)
			return (-1);
		if (l->urlenc)
			s3_url_decode(l->key.s);
		if (list_pfx_emit(l, l->key.s) != 0)
			return (-1);
		ent = (struct s3_listent){ l->key.s, l->size, l->mtime,
		    l->etag, l->sclass, 0 };
		if (l->fn(l->cookie, &ent) != 0) {
			l->stopped = 1;
			return (-1);
		}
		l->mtime[0] = l->etag[0] = l->sclass[0] = '\0';
		l->size = 0;
	}
	return (0);
}

/*
 * Run the listing request r and give its answer to parse(cookie, r).  A
 * parse failure is S3_ESYS "listing stopped" when the caller's function
 * stopped it (stopped not NULL, *stopped set), else S3_EDATA: a malformed
 * listing.
 */
static int
list_fetch(struct s3_conn *k, struct req *r,
    int (*parse)(void *, const struct req *), void *cookie,
    const int *stopped, struct s3_error *e)
{
	int rc;

	strcpy(r->payload, SIGV4_EMPTY_SHA256);
	if ((rc = req_run(k, r, e)) == 0 && parse(cookie, r) != 0) {
		if (stopped != NULL && *stopped)
			s3_error_set(e, S3_ESYS, "listing stopped");
		else
			s3_error_set(e, S3_EDATA, "malformed listing");
		rc = -1;
	}
	return (rc);
}

/* Walk a page: prefixes first, then objects, merged on the way to fn. */
static int
list_parse(void *cookie, const struct req *r)
{
	struct listpage *l = cookie;
	size_t i;

	if (xmlwalk(r->resp.s, r->resp.len, encoding_walk, l, NULL, 0) != 0)
		return (-1);
	for (i = 0; l->urlenc && i < l->npfx; i++)
		s3_url_decode(l->pfx[i]);
	if (xmlwalk(r->resp.s, r->resp.len, list_walk, l, NULL, 0) != 0)
		return (-1);
	return (list_pfx_emit(l, NULL));
}

static int
list_page(struct s3_conn *k, const char *prefix, const char *delim,
    struct listpage *l, struct s3_error *e)
{
	struct sigv4_param p[6] = { { "list-type", "2" },
	    { "encoding-type", "url" }, { "prefix", prefix } };
	struct req r = { .method = "GET", .params = p, .nparams = 3,
	    .ok_root = "ListBucketResult" };
	char *tok = l->token, mk[16];
	int rc;

	if (delim != NULL && *delim != '\0')
		p[r.nparams++] = (struct sigv4_param){ "delimiter", delim };
	if (tok != NULL)
		p[r.nparams++] = (struct sigv4_param){ "continuation-token",
		    tok };
	if (l->max_keys > 0) {
		snprintf(mk, sizeof(mk), "%d", l->max_keys);
		p[r.nparams++] = (struct sigv4_param){ "max-keys", mk };
	}
	l->token = NULL;
	l->truncated = 0;
	l->urlenc = 0;
	list_pfx_clear(l);
	rc = list_fetch(k, &r, list_parse, l, &l->stopped, e);
	if (rc == 0 && l->truncated && l->token == NULL) {
		s3_error_set(e, S3_EDATA, "truncated listing without token");
		rc = -1;
	}
	free(tok);
	req_free(&r);
	return (rc);
}

int
s3_list(struct s3_conn *k, const char *prefix, const char *delimiter,
    int max_keys, s3_list_fn *fn, void *cookie, struct s3_error *e)
{
	struct listpage l = { .fn = fn, .cookie = cookie,
	    .max_keys = max_keys };
	int rc;

	do {
		rc = list_page(k, prefix, delimiter, &l, e);
	} while (rc == 0 && l.truncated);
	list_pfx_clear(&l);
	free(l.pfx);
	free(l.token);
	strbuf_free(&l.key);
	return (rc);
}

/* ----------------------------------------------------- upload listing */

int
s3_time_parse(const char *s, time_t *t)
{
	static const char form[] = "0000-00-00T00:00:00";
	const char *p;
	struct tm tm;
	size_t i;

	/* strptime() alone would take spaces and short fields. */
	for (i = 0; i < sizeof(form) - 1; i++)
		if (form[i] == '0' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return (-1);
	p = s + i;
	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) != p)
		return (-1);
	if (*p == '.' && p[1] >= '0' && p[1] <= '9')
		for (p++; *p >= '0' && *p <= '9'; p++)
			;
	if (strcmp(p, "Z") != 0)
		return (-1);
	*t = timegm(&tm);
	return (0);
}

/* One page of uploads, held until the next page is in hand. */
struct upload_rec {
	char		*key;
	char		*id;
	char		 initiated[64];
};

struct upload_pg {
	struct upload_rec *v;
	size_t		 n, cap;
};

struct uploadpage {
	int		 max_uploads;
	struct upload_pg *into;		/* the page being read */
	struct strbuf	 key, id;
	char		 initiated[64];
	int		 truncated;
	char		*key_marker;	/* where the next page starts */
	char		*id_marker;
};

static void
upload_pg_clear(struct upload_pg *pg)
{
	size_t i;

	for (i = 0; i < pg->n; i++) {
		free(pg->v[i].key);
		free(pg->v[i].id);
	}
	pg->n = 0;
}

/* The end of an <Upload>: keep it for the page. */
static int
upload_end(struct uploadpage *l)
{
	struct upload_pg *pg = l->into;
	struct upload_rec *v;

	if (strbuf_failed(&l->key) || strbuf_failed(&l->id) ||
	    l->key.len == 0 || l->id.len == 0)
		return (-1);
	if (pg->n == pg->cap) {
		pg->cap = pg->cap ? 2 * pg->cap : 64;
		if ((v = realloc(pg->v, pg->cap * sizeof(*v))) == NULL)
			return (-1);
		pg->v = v;
	}
	v = &pg->v[pg->n];
	if ((v->key = strdup(l->key.s)) == NULL ||
	    (v->id = strdup(l->id.s)) == NULL) {
		free(v->key);
		return (-1);
	}
	memcpy(v->initiated, l->initiated, sizeof(v->initiated));
	pg->n++;
	strbuf_reset(&l->key);
	strbuf_reset(&l->id);
	l->initiated[0] = '\0';
	return (0);
}

static int
upload_walk(void *cookie, const char *path, const char *text, size_t len)
{
	struct uploadpage *l = cookie;
	char **m = NULL;

	if (strncmp(path, "ListMultipartUploadsResult/", 27) != 0)
		return (0);
	path += 27;
	if (strcmp(path, "Upload/Key") == 0) {
		strbuf_reset(&l->key);
		strbuf_add(&l->key, text, len);
	} else if (strcmp(path, "Upload/UploadId") == 0) {
		strbuf_reset(&l->id);
		strbuf_add(&l->id, text, len);
	} else if (strcmp(path, "Upload/Initiated") == 0) {
		snprintf(l->initiated, sizeof(l->initiated), "%.*s", (int)len,
		    text);
	} else if (strcmp(path, "Upload") == 0) {
		return (upload_end(l));
	} else if (strcmp(path, "IsTruncated") == 0) {
		l->truncated = len == 4 && strncmp(text, "true", 4) == 0;
	} else if (strcmp(path, "NextKeyMarker") == 0) {
		m = &l->key_marker;
	} else if (strcmp(path, "NextUploadIdMarker") == 0) {
		m = &l->id_marker;
	}
	if (m != NULL && len > 0) {
		free(*m);
		if ((*m = strndup(text, len)) == NULL)
			return (-1);
	}
	return (0);
}

static int
upload_parse(void *cookie, const struct req *r)
{

	return (xmlwalk(r->resp.s, r->resp.len, upload_walk, cookie, NULL, 0));
}

/*
 * One page into pg, from the markers of the last one (none for the first).
 * No encoding-type, as the aws CLI lists uploads: RGW 16 URL-encodes the
 * keys when asked but does not say so (no EncodingType), so an encoded key
 * could not be told from a raw one.
 */
static int
upload_page(struct s3_conn *k, const char *prefix, struct uploadpage *l,
    struct upload_pg *pg, struct s3_error *e)
{
	struct sigv4_param p[5] = { { "uploads", "" }, { "prefix", prefix } };
	struct req r = { .method = "GET", .params = p, .nparams = 2,
	    .ok_root = "ListMultipartUploadsResult" };
	char *km = l->key_marker, *im = l->id_marker, mu[16];
	int rc;

	/* AWS ignores an upload-id-marker without a key-marker. */
	if (km != NULL)
		p[r.nparams++] = (struct sigv4_param){ "key-marker", km };
	if (km != NULL && im != NULL)
		p[r.nparams++] = (struct sigv4_param){ "upload-id-marker", im };
	if (l->max_uploads > 0) {
		snprintf(mu, sizeof(mu), "%d", l->max_uploads);
		p[r.nparams++] = (struct sigv4_param){ "max-uploads", mu };
	}
	l->key_marker = l->id_marker = NULL;
	l->truncated = 0;
	l->into = pg;
	rc = list_fetch(k, &r, upload_parse, l, NULL, e);
	if (rc == 0 && l->truncated && l->key_marker == NULL) {
		s3_error_set(e, S3_EDATA, "truncated listing without marker");
		rc = -1;
	}
	/* The same markers again would be the same page, forever. */
	if (rc == 0 && l->truncated && km != NULL &&
	    strcmp(km, l->key_marker) == 0 && (im == NULL) ==
	    (l->id_marker == NULL) && (im == NULL ||
	    strcmp(im, l->id_marker) == 0)) {
		s3_error_set(e, S3_EDATA, "listing does not advance");
		rc = -1;
	}
	free(km);
	free(im);
	req_free(&r);
	return (rc);
}

/* Give fn the uploads of pg, then empty it. */
static int
upload_emit(struct upload_pg *pg, s3_upload_fn *fn, void *cookie,
    struct s3_error *e)
{
	struct s3_upload u;
	size_t i;

	for (i = 0; i < pg->n; i++) {
		u = (struct s3_upload){ pg->v[i].key, pg->v[i].id,
		    pg->v[i].initiated };
		if (fn(cookie, &u) != 0) {
			s3_error_set(e, S3_ESYS, "listing stopped");
			return (-1);
		}
	}
	upload_pg_clear(pg);
	return (0);
}

int
s3_list_uploads(struct s3_conn *k, const char *prefix, int max_uploads,
    s3_upload_fn *fn, void *cookie, struct s3_error *e)
{
	struct uploadpage l = { .max_uploads = max_uploads };
	struct upload_pg pg[2] = { { NULL, 0, 0 }, { NULL, 0, 0 } };
	int cur = 0, rc;

	/*
	 * A page goes to fn once the next one is in hand, so fn may abort
	 * what it is given: AWS may refuse a marker naming an upload that
	 * is gone (InvalidArgument).
	 */
	do {
		rc = upload_page(k, prefix, &l, &pg[!cur], e);
		if (rc == 0)
			rc = upload_emit(&pg[cur], fn, cookie, e);
		cur = !cur;
	} while (rc == 0 && l.truncated);
	if (rc == 0)
		rc = upload_emit(&pg[cur], fn, cookie, e);
	upload_pg_clear(&pg[0]);
	upload_pg_clear(&pg[1]);
	free(pg[0].v);
	free(pg[1].v);
	free(l.key_marker);
	free(l.id_marker);
	strbuf_free(&l.key);
	strbuf_free(&l.id);
	return (rc);
}
