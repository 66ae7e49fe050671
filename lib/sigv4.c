#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "sigv4.h"
#include "strbuf.h"

static const char hexdig[] = "0123456789abcdef";

void
sigv4_hex(const unsigned char *bin, size_t len, char *hex)
{
	size_t i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = hexdig[bin[i] >> 4];
		hex[2 * i + 1] = hexdig[bin[i] & 15];
	}
	hex[2 * len] = '\0';
}

void
sigv4_sha256_hex(const void *buf, size_t len, char hex[65])
{
	unsigned char md[32];
	unsigned int mdlen = 32;

	EVP_Digest(buf, len, md, &mdlen, EVP_sha256(), NULL);
	sigv4_hex(md, 32, hex);
}

static int
unreserved(unsigned char c)
{

	return (isalnum(c) && c < 128) || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

static void
uri_encode(struct strbuf *b, const char *s, size_t len, int keep_slash)
{
	static const char up[] = "0123456789ABCDEF";
	unsigned char c;
	size_t i;

	for (i = 0; i < len; i++) {
		c = (unsigned char)s[i];
		if (unreserved(c) || (keep_slash && c == '/')) {
			strbuf_addc(b, c);
		} else {
			strbuf_addc(b, '%');
			strbuf_addc(b, up[c >> 4]);
			strbuf_addc(b, up[c & 15]);
		}
	}
}

char *
sigv4_uri_encode(const char *s, size_t len, int keep_slash)
{
	struct strbuf b = STRBUF_INIT;

	uri_encode(&b, s, len, keep_slash);
	return (strbuf_detach(&b));
}

struct encpair {
	char	*name;
	char	*value;
};

static int
cmp_encpair(const void *a, const void *b)
{
	const struct encpair *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return (c);
	return (strcmp(x->value, y->value));
}

char *
sigv4_query(const struct sigv4_param *p, size_t n)
{
	struct strbuf b = STRBUF_INIT;
	struct encpair *e;
	size_t i;
	const char *v;
	int bad = 0;

	if ((e = calloc(n + 1, sizeof(*e))) == NULL)
		return (NULL);
	for (i = 0; i < n; i++) {
		v = p[i].value != NULL ? p[i].value : "";
		e[i].name = sigv4_uri_encode(p[i].name, strlen(p[i].name), 0);
		e[i].value = sigv4_uri_encode(v, strlen(v), 0);
		if (e[i].name == NULL || e[i].value == NULL)
			bad = 1;
	}
	if (!bad) {
		qsort(e, n, sizeof(*e), cmp_encpair);
		for (i = 0; i < n; i++)
			strbuf_addf(&b, "%s%s=%s", i ? "&" : "", e[i].name,
			    e[i].value);
	}
	for (i = 0; i < n; i++) {
		free(e[i].name);
		free(e[i].value);
	}
	free(e);
	if (bad) {
		strbuf_free(&b);
		return (NULL);
	}
	return (strbuf_detach(&b));
}

struct canhdr {
	char	*name;
	char	*value;
};

static int
cmp_canhdr(const void *a, const void *b)
{
	const struct canhdr *x = a, *y = b;

	return (strcmp(x->name, y->name));
}

/* Lowercase name; value trimmed with inner runs of blanks collapsed. */
static int
canhdr_make(struct canhdr *h, const struct sigv4_header *in)
{
	const char *v = in->value;
	char *d;
	size_t i;

	if ((h->name = strdup(in->name)) == NULL)
		return (-1);
	for (i = 0; h->name[i] != '\0'; i++)
		h->name[i] = (char)tolower((unsigned char)h->name[i]);
	if ((h->value = d = malloc(strlen(v) + 1)) == NULL)
		return (-1);
	while (*v == ' ' || *v == '\t')
		v++;
	for (; *v != '\0'; v++) {
		if ((*v == ' ' || *v == '\t') && d > h->value &&
		    d[-1] == ' ')
			continue;
		*d++ = *v == '\t' ? ' ' : *v;
	}
	while (d > h->value && d[-1] == ' ')
		d--;
	*d = '\0';
	return (0);
}

static void
canhdr_emit(struct strbuf *b, struct strbuf *sh, struct canhdr *h, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			strbuf_addf(b, ",%s", h[i].value);
			continue;
		}
		if (i > 0) {
			strbuf_addc(b, '\n');
			strbuf_addc(sh, ';');
		}
		strbuf_addf(b, "%s:%s", h[i].name, h[i].value);
		strbuf_adds(sh, h[i].name);
	}
	if (n > 0)
		strbuf_addc(b, '\n');
}

int
sigv4_canonical_request(const struct sigv4_req *r, char **creq,
    char **signed_headers)
{
	struct strbuf b = STRBUF_INIT, sh = STRBUF_INIT;
	struct canhdr *h;
	size_t i;
	int rc = 0;

	if ((h = calloc(r->nheaders + 1, sizeof(*h))) == NULL)
		return (-1);
	for (i = 0; i < r->nheaders; i++)
		if (canhdr_make(&h[i], &r->headers[i]) != 0)
			rc = -1;
	if (rc == 0) {
		qsort(h, r->nheaders, sizeof(*h), cmp_canhdr);
		strbuf_addf(&b, "%s\n", r->method);
		if (r->path[0] == '\0')
			strbuf_addc(&b, '/');
		uri_encode(&b, r->path, strlen(r->path), 1);
		strbuf_addf(&b, "\n%s\n", r->query != NULL ? r->query : "");
		canhdr_emit(&b, &sh, h, r->nheaders);
		strbuf_addf(&b, "\n%s\n%s", sh.s != NULL ? sh.s : "",
		    r->payload_hash);
	}
	for (i = 0; i < r->nheaders; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	*creq = strbuf_detach(&b);
	*signed_headers = strbuf_detach(&sh);
	if (rc != 0 || *creq == NULL || *signed_headers == NULL) {
		free(*creq);
		free(*signed_headers);
		*creq = *signed_headers = NULL;
		return (-1);
	}
	return (0);
}

static int
hmac(const void *key, size_t klen, const char *msg, size_t mlen,
    unsigned char out[32])
{
	unsigned int olen = 32;

	if (HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg,
	    mlen, out, &olen) == NULL)
		return (-1);
	return (0);
}

int
sigv4_signing_key(const char *secret, const char *date, const char *region,
    const char *service, unsigned char key[32])
{
	struct strbuf k = STRBUF_INIT;
	unsigned char t[32];
	int rc = -1;

	strbuf_addf(&k, "AWS4%s", secret);
	if (strbuf_failed(&k))
		goto out;
	if (hmac(k.s, k.len, date, strlen(date), t) != 0 ||
	    hmac(t, 32, region, strlen(region), t) != 0 ||
	    hmac(t, 32, service, strlen(service), t) != 0 ||
	    hmac(t, 32, "aws4_request", 12, key) != 0)
		goto out;
	rc = 0;
out:
	if (k.s != NULL)
		OPENSSL_cleanse(k.s, k.cap);
	OPENSSL_cleanse(t, sizeof(t));
	strbuf_free(&k);
	return (rc);
}

void
sigv4_signer_init(struct sigv4_signer *s)
{

	memset(s, 0, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
}

void
sigv4_signer_destroy(struct sigv4_signer *s)
{

	OPENSSL_cleanse(s->key, sizeof(s->key));
	pthread_mutex_destroy(&s->lock);
}

/* The cached signing key for (date, region, secret), derived if needed. */
static int
signer_key(struct sigv4_signer *s, const char *secret, const char *date,
    const char *region, const char *service, unsigned char key[32])
{
	unsigned char id[32];
	unsigned int idlen = 32;
	int rc = 0;

	EVP_Digest(secret, strlen(secret), id, &idlen, EVP_sha256(), NULL);
	pthread_mutex_lock(&s->lock);
	if (!s->valid || strcmp(s->date, date) != 0 ||
	    strcmp(s->region, region) != 0 ||
	    memcmp(s->secret_id, id, 32) != 0 ||
	    strcmp(service, "s3") != 0) {
		s->valid = 0;
		if (strlen(region) >= sizeof(s->region) ||
		    sigv4_signing_key(secret, date, region, service,
		    s->key) != 0) {
			rc = -1;
		} else if (strcmp(service, "s3") == 0) {
			memcpy(s->date, date, 9);
			strcpy(s->region, region);
			memcpy(s->secret_id, id, 32);
			s->valid = 1;
		}
	}
	if (rc == 0)
		memcpy(key, s->key, 32);
	pthread_mutex_unlock(&s->lock);
	return (rc);
}

int
sigv4_string_to_sign(const char *amzdate, const char *scope,
    const char *creq, char **sts)
{
	struct strbuf b = STRBUF_INIT;
	char h[65];

	sigv4_sha256_hex(creq, strlen(creq), h);
	strbuf_addf(&b, "AWS4-HMAC-SHA256\n%s\n%s\n%s", amzdate, scope, h);
	*sts = strbuf_detach(&b);
	return (*sts != NULL ? 0 : -1);
}

int
sigv4_sign(struct sigv4_signer *s, const char *akid, const char *secret,
    const char *region, const char *service, const char *amzdate,
    const struct sigv4_req *r, char **auth, char sig[65])
{
	struct strbuf b = STRBUF_INIT;
	char date[9], *creq = NULL, *sh = NULL, *sts = NULL, *scope = NULL;
	unsigned char key[32], mac[32];
	int rc = -1;

	*auth = NULL;
	memcpy(date, amzdate, 8);
	date[8] = '\0';
	strbuf_addf(&b, "%s/%s/%s/aws4_request", date, region, service);
	if ((scope = strbuf_detach(&b)) == NULL)
		return (-1);
	if (sigv4_canonical_request(r, &creq, &sh) != 0 ||
	    sigv4_string_to_sign(amzdate, scope, creq, &sts) != 0 ||
	    signer_key(s, secret, date, region, service, key) != 0 ||
	    hmac(key, 32, sts, strlen(sts), mac) != 0)
		goto out;
	sigv4_hex(mac, 32, sig);
	strbuf_addf(&b, "AWS4-HMAC-SHA256 Credential=%s/%s, "
	    "SignedHeaders=%s, Signature=%s", akid, scope, sh, sig);
	if ((*auth = strbuf_detach(&b)) != NULL)
		rc = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	free(scope);
	free(creq);
	free(sh);
	free(sts);
	return (rc);
}

int
sigv4_chunk_sign(const unsigned char key[32], const char *amzdate,
    const char *scope, const char *prev_sig, const void *data, size_t len,
    char sig[65])
{
	struct strbuf b = STRBUF_INIT;
	unsigned char mac[32];
	char h[65];
	int rc = -1;

	sigv4_sha256_hex(data, len, h);
	strbuf_addf(&b, "AWS4-HMAC-SHA256-PAYLOAD\n%s\n%s\n%s\n%s\n%s",
	    amzdate, scope, prev_sig, SIGV4_EMPTY_SHA256, h);
	if (!strbuf_failed(&b) && hmac(key, 32, b.s, b.len, mac) == 0) {
		sigv4_hex(mac, 32, sig);
		rc = 0;
	}
	strbuf_free(&b);
	return (rc);
}
