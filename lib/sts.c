#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "sigv4.h"
#include "strbuf.h"
#include "sts.h"
#include "warnp.h"
#include "xmlwalk.h"

#define STS_TRIES	3
#define STS_VERSION	"2011-06-15"
#define STS_CTYPE	"application/x-www-form-urlencoded; charset=utf-8"

/* ------------------------------------------------------------ answers */

struct sts_doc {
	struct awscred	*out;
	char		*code, *msg;
	size_t		 codesize, msgsize;
	int		 bad;
};

/* Copy len bytes of text into dst[size], or flag the document as bad. */
static void
doc_copy(struct sts_doc *d, char *dst, size_t size, const char *text,
    size_t len)
{

	if (len >= size) {
		d->bad = 1;
		return;
	}
	memcpy(dst, text, len);
	dst[len] = '\0';
}

static time_t
doc_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
		return ((time_t)-1);
	return (timegm(&tm));
}

static int
doc_field(void *cookie, const char *path, const char *text, size_t len)
{
	struct sts_doc *d = cookie;
	const char *leaf = strrchr(path, '/');
	char when[64];

	leaf = leaf != NULL ? leaf + 1 : path;
	if (strstr(path, "Result/Credentials/") != NULL) {
		if (strcmp(leaf, "AccessKeyId") == 0)
			doc_copy(d, d->out->akid, sizeof(d->out->akid), text,
			    len);
		else if (strcmp(leaf, "SecretAccessKey") == 0)
			doc_copy(d, d->out->secret, sizeof(d->out->secret),
			    text, len);
		else if (strcmp(leaf, "SessionToken") == 0)
			doc_copy(d, d->out->token, sizeof(d->out->token),
			    text, len);
		else if (strcmp(leaf, "Expiration") == 0) {
			doc_copy(d, when, sizeof(when), text, len);
			d->out->expires = d->bad ? -1 : doc_time(when);
		}
	} else if (strcmp(path, "ErrorResponse/Error/Code") == 0) {
		snprintf(d->code, d->codesize, "%.*s", (int)len, text);
	} else if (strcmp(path, "ErrorResponse/Error/Message") == 0) {
		snprintf(d->msg, d->msgsize, "%.*s", (int)len, text);
	}
	return (0);
}

int
sts_parse(const char *doc, size_t len, struct awscred *out, char *code,
    size_t codesize, char *msg, size_t msgsize)
{
	struct sts_doc d = { out, code, msg, codesize, msgsize, 0 };

	memset(out, 0, sizeof(*out));
	out->expires = -1;
	code[0] = msg[0] = '\0';
	if (xmlwalk(doc, len, doc_field, &d, NULL, 0) == 0 && !d.bad &&
	    out->akid[0] != '\0' && out->secret[0] != '\0' &&
	    out->expires != (time_t)-1)
		return (0);
	OPENSSL_cleanse(out, sizeof(*out));
	return (-1);
}

/* ------------------------------------------------------------ requests */

/* Add name=value (skipped if value is NULL); -1 on allocation failure. */
static int
form_add(struct strbuf *b, const char *name, const char *value)
{
	char *v;

	if (value == NULL)
		return (0);
	if ((v = sigv4_uri_encode(value, strlen(value), 0)) == NULL)
		return (-1);
	strbuf_addf(b, "%s%s=%s", b->len > 0 ? "&" : "", name, v);
	OPENSSL_cleanse(v, strlen(v));
	free(v);
	return (strbuf_failed(b) ? -1 : 0);
}

/* The form body of r: a new string (it may hold the token) or NULL. */
static char *
sts_body(const struct sts_role *r)
{
	struct strbuf b = STRBUF_INIT;
	char dur[32];

	snprintf(dur, sizeof(dur), "%ld", r->duration);
	if (form_add(&b, "Action", r->web_token != NULL ?
	    "AssumeRoleWithWebIdentity" : "AssumeRole") ||
	    form_add(&b, "Version", STS_VERSION) ||
	    form_add(&b, "RoleArn", r->arn) ||
	    form_add(&b, "RoleSessionName", r->session) ||
	    form_add(&b, "ExternalId", r->external_id) ||
	    form_add(&b, "DurationSeconds", r->duration > 0 ? dur : NULL) ||
	    form_add(&b, "WebIdentityToken", r->web_token)) {
		if (b.s != NULL)
			OPENSSL_cleanse(b.s, b.cap);
		strbuf_free(&b);
		return (NULL);
	}
	return (strbuf_detach(&b));
}

/* "host[:port]" of url as the Host header carries it: new string. */
static char *
url_host(const char *url)
{
	struct strbuf b = STRBUF_INIT;
	char *host = NULL, *port = NULL;
	CURLU *u;

	if ((u = curl_url()) == NULL)
		return (NULL);
	if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		strbuf_adds(&b, host);
		if (curl_url_get(u, CURLUPART_PORT, &port, 0) == CURLUE_OK)
			strbuf_addf(&b, ":%s", port);
	}
	curl_free(host);
	curl_free(port);
	curl_url_cleanup(u);
	return (b.len > 0 ? strbuf_detach(&b) : (strbuf_free(&b), NULL));
}

/* The headers of the request: signed with src unless it is NULL. */
static struct curl_slist *
sts_headers(const char *url, const char *region, const char *body,
    const struct awscred *src)
{
	struct sigv4_signer sg;
	struct sigv4_header h[4];
	struct sigv4_req rq;
	struct curl_slist *hl = NULL;
	struct strbuf line = STRBUF_INIT;
	char date[17], hash[65], sig[65], *host, *auth = NULL;
	time_t now = time(NULL);
	struct tm tm;
	size_t n = 0;

	hl = curl_slist_append(hl, "Content-Type: " STS_CTYPE);
	hl = curl_slist_append(hl, "Accept:");
	hl = curl_slist_append(hl, "Expect:");
	if (src == NULL)
		return (hl);
	if ((host = url_host(url)) == NULL)
		goto fail;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
	sigv4_sha256_hex(body, strlen(body), hash);
	h[n++] = (struct sigv4_header){ "content-type", STS_CTYPE };
	h[n++] = (struct sigv4_header){ "host", host };
	h[n++] = (struct sigv4_header){ "x-amz-date", date };
	if (src->token[0] != '\0')
		h[n++] = (struct sigv4_header){ "x-amz-security-token",
		    src->token };
	rq = (struct sigv4_req){ "POST", "/", "", h, n, hash };
	sigv4_signer_init(&sg);
	if (sigv4_sign(&sg, src->akid, src->secret, region, "sts", date, &rq,
	    &auth, sig) == 0) {
		strbuf_addf(&line, "X-Amz-Date: %s", date);
		hl = curl_slist_append(hl, line.s);
		strbuf_reset(&line);
		strbuf_addf(&line, "Authorization: %s", auth);
		hl = curl_slist_append(hl, line.s);
		if (src->token[0] != '\0') {
			strbuf_reset(&line);
			strbuf_addf(&line, "X-Amz-Security-Token: %s",
			    src->token);
			hl = curl_slist_append(hl, line.s);
		}
	}
	sigv4_signer_destroy(&sg);
	if (line.s != NULL)
		OPENSSL_cleanse(line.s, line.cap);
	strbuf_free(&line);
	free(auth);
	free(host);
	if (auth != NULL)
		return (hl);
fail:
	curl_slist_free_all(hl);
	return (NULL);
}

size_t
sts_curl_collect(char *p, size_t sz, size_t n, void *cookie)
{
	struct strbuf *b = cookie;

	if (b->len + sz * n > 65536)
		return (0);
	strbuf_add(b, p, sz * n);
	return (strbuf_failed(b) ? 0 : sz * n);
}

/* One POST: the HTTP status, or 0 with the curl error in err. */
static long
sts_post(const char *url, struct curl_slist *hl, const char *body,
    struct strbuf *ans, char err[CURL_ERROR_SIZE])
{
	const char *ca = getenv("AWS_CA_BUNDLE");
	long code = 0;
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, CURL_ERROR_SIZE, "cannot initialise libcurl");
		return (0);
	}
	err[0] = '\0';
	strbuf_reset(ans);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sts_curl_collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, ans);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	if (ca != NULL && *ca != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	else if (err[0] == '\0')
		snprintf(err, CURL_ERROR_SIZE, "no answer");
	curl_easy_cleanup(c);
	return (code);
}

/* Is this answer worth another try (no answer, 5xx, throttled)? */
static int
sts_transient(long code, const char *ecode)
{

	return (code == 0 || code >= 500 || strcmp(ecode, "Throttling") == 0);
}

/* Report the outcome of the last try; returns the sts_assume_role code. */
static int
sts_report(const struct sts_role *r, long code, const char *err,
    const char *ecode, const char *emsg)
{
	const char *what = r->web_token != NULL ?
	    "AssumeRoleWithWebIdentity" : "AssumeRole";

	if (code == 0) {
		warn0("cannot assume role '%s': no answer from STS (%s): %s",
		    r->arn, what, err);
		return (STS_UNANSWERED);
	}
	if (ecode[0] != '\0')
		warn0("cannot assume role '%s': %s%s%s", r->arn, ecode,
		    emsg[0] != '\0' ? ": " : "", emsg);
	else
		warn0("cannot assume role '%s': %s answered HTTP %ld%s",
		    r->arn, what, code, code == 200 ? " without credentials" :
		    "");
	return (code >= 500 ? STS_UNANSWERED : STS_REFUSED);
}

int
sts_assume_role(const char *url, const char *region,
    const struct sts_role *r, const struct awscred *src,
    struct awscred *out)
{
	struct strbuf ans = STRBUF_INIT;
	struct curl_slist *hl = NULL;
	char err[CURL_ERROR_SIZE], ecode[64] = "", emsg[256] = "", *body;
	long code = 0;
	int i, rc = STS_REFUSED;

	if ((body = sts_body(r)) == NULL) {
		warnp("cannot assume role '%s'", r->arn);
		return (STS_REFUSED);
	}
	for (i = 0; i < STS_TRIES; i++) {
		if (i > 0)
			usleep(200000U << i);
		curl_slist_free_all(hl);
		if ((hl = sts_headers(url, region, body, r->web_token ? NULL :
		    src)) == NULL) {
			warn0("cannot sign the STS request for '%s'", r->arn);
			break;
		}
		code = sts_post(url, hl, body, &ans, err);
		ecode[0] = '\0';
		if (code == 200 && sts_parse(ans.s, ans.len, out, ecode,
		    sizeof(ecode), emsg, sizeof(emsg)) == 0) {
			rc = 0;
			break;
		}
		if (code != 0 && code != 200)
			(void)sts_parse(ans.s != NULL ? ans.s : "", ans.len,
			    out, ecode, sizeof(ecode), emsg, sizeof(emsg));
		if (!sts_transient(code, ecode) || i + 1 == STS_TRIES) {
			rc = sts_report(r, code, err, ecode, emsg);
			break;
		}
		warnp_debug(1, "STS %s: trying again", code == 0 ? err :
		    ecode[0] != '\0' ? ecode : "error");
	}
	curl_slist_free_all(hl);
	OPENSSL_cleanse(body, strlen(body));
	free(body);
	if (ans.s != NULL)
		OPENSSL_cleanse(ans.s, ans.cap);
	strbuf_free(&ans);
	return (rc);
}
