#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "awscred.h"
#include "num.h"
#include "strbuf.h"
#include "warnp.h"

enum cred_kind { CRED_STATIC, CRED_CONTAINER, CRED_IMDS };

struct awscred_src {
	pthread_mutex_t	 lock;
	enum cred_kind	 kind;
	const char	*origin;
	struct awscred	 cur;
	char		*url;		/* container URL or IMDS base */
	char		*auth;		/* container Authorization value */
	char		*authfile;	/* or the file holding it, read at
					   each fetch (it is rotated) */
};

/* ---------------------------------------------------------------- INI */

static char *
trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return (s);
}

/*
 * Scan path; for each key of section call match (key as "parent.child"
 * for nested keys).  Returns the value of key (new string), or "" if key
 * is NULL and the section exists, or NULL.
 */
char *
awscred_ini_get(const char *path, const char *section, const char *key)
{
	FILE *f;
	char *line = NULL, *s, *eq, *k, parent[128] = "", full[300];
	size_t cap = 0;
	int in = 0;
	char *res = NULL;

	if (path == NULL || (f = fopen(path, "r")) == NULL)
		return (NULL);
	while (res == NULL && getline(&line, &cap, f) >= 0) {
		int indented = line[0] == ' ' || line[0] == '\t';

		s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			if ((eq = strchr(s, ']')) != NULL)
				*eq = '\0';
			in = strcmp(trim(s + 1), section) == 0;
			parent[0] = '\0';
			if (in && key == NULL)
				res = strdup("");
			continue;
		}
		if (!in || (eq = strchr(s, '=')) == NULL)
			continue;
		*eq = '\0';
		k = trim(s);
		if (indented && parent[0] != '\0') {
			snprintf(full, sizeof(full), "%s.%s", parent, k);
		} else {
			snprintf(full, sizeof(full), "%s", k);
			parent[0] = '\0';
			if (*trim(eq + 1) == '\0')
				snprintf(parent, sizeof(parent), "%s", k);
		}
		if (key != NULL && strcmp(full, key) == 0)
			res = strdup(trim(eq + 1));
	}
	if (line != NULL)
		OPENSSL_cleanse(line, cap);
	free(line);
	fclose(f);
	return (res);
}

static char *
file_path(const char *env, const char *rel)
{
	struct strbuf b = STRBUF_INIT;
	const char *v = getenv(env), *home = getenv("HOME");

	if (v != NULL && *v != '\0')
		return (strdup(v));
	if (home == NULL)
		return (NULL);
	strbuf_addf(&b, "%s/%s", home, rel);
	return (strbuf_detach(&b));
}

static const char *
profile_name(const char *profile)
{
	const char *p;

	if (profile != NULL)
		return (profile);
	if ((p = getenv("AWS_PROFILE")) != NULL && *p != '\0')
		return (p);
	if ((p = getenv("AWS_DEFAULT_PROFILE")) != NULL && *p != '\0')
		return (p);
	return ("default");
}

/* Look key up in the config file's section for profile. */
static char *
config_get(const char *profile, const char *key)
{
	char *path = file_path("AWS_CONFIG_FILE", ".aws/config"), *v;
	char sect[300];

	profile = profile_name(profile);
	snprintf(sect, sizeof(sect), "profile %s", profile);
	v = awscred_ini_get(path, sect, key);
	if (v == NULL && strcmp(profile, "default") == 0)
		v = awscred_ini_get(path, "default", key);
	free(path);
	return (v);
}

/* ------------------------------------------------------------- helpers */

static int
copy_secret(char *dst, size_t size, const char *src, const char *what)
{

	if (strlen(src) >= size) {
		warn0("cannot use credentials: %s too long", what);
		return (-1);
	}
	strcpy(dst, src);
	return (0);
}

void
awscred_clear(struct awscred *c)
{

	OPENSSL_cleanse(c, sizeof(*c));
}

static int
env_creds(struct awscred *c)
{
	const char *a = getenv("AWS_ACCESS_KEY_ID");
	const char *s = getenv("AWS_SECRET_ACCESS_KEY");
	const char *t = getenv("AWS_SESSION_TOKEN");

	if (a == NULL || s == NULL || *a == '\0' || *s == '\0')
		return (0);
	if (t == NULL || *t == '\0')
		t = getenv("AWS_SECURITY_TOKEN");
	if (copy_secret(c->akid, sizeof(c->akid), a, "access key id") ||
	    copy_secret(c->secret, sizeof(c->secret), s, "secret key") ||
	    copy_secret(c->token, sizeof(c->token), t ? t : "", "token"))
		return (-1);
	return (1);
}

/* Keys of one profile section; 1 found, 0 not there, -1 error. */
static int
file_section_creds(const char *path, const char *sect, struct awscred *c)
{
	char *a, *s, *t;
	int rc = 0;

	a = awscred_ini_get(path, sect, "aws_access_key_id");
	s = awscred_ini_get(path, sect, "aws_secret_access_key");
	t = awscred_ini_get(path, sect, "aws_session_token");
	if (a != NULL && s != NULL && *a != '\0' && *s != '\0') {
		rc = 1;
		if (copy_secret(c->akid, sizeof(c->akid), a, "access key id") ||
		    copy_secret(c->secret, sizeof(c->secret), s,
		    "secret key") || copy_secret(c->token, sizeof(c->token),
		    t ? t : "", "token"))
			rc = -1;
	}
	if (s != NULL)
		OPENSSL_cleanse(s, strlen(s));
	if (t != NULL)
		OPENSSL_cleanse(t, strlen(t));
	free(a);
	free(s);
	free(t);
	return (rc);
}

/*
 * A key of section sect in path that names a way to get credentials this
 * client does not support, or NULL.
 */
static const char *
unsupported_key(const char *path, const char *sect)
{
	static const char *const keys[] = { "role_arn", "source_profile",
	    "credential_source", "credential_process",
	    "web_identity_token_file", "sso_session", "sso_start_url",
	    "sso_account_id", "sso_role_name", NULL };
	char *v;
	int i;

	for (i = 0; keys[i] != NULL; i++) {
		if ((v = awscred_ini_get(path, sect, keys[i])) != NULL) {
			free(v);
			return (keys[i]);
		}
	}
	return (NULL);
}

/*
 * A profile without keys that wants another provider (assume-role, SSO,
 * a process) is an error: falling through to instance credentials would
 * run as someone else.  Returns -1 (reported) or 0.
 */
static int
profile_usable(const char *name, const char *cpath, const char *fpath,
    const char *sect)
{
	const char *k, *where = cpath;

	if ((k = unsupported_key(cpath, name)) == NULL) {
		where = fpath;
		if ((k = unsupported_key(fpath, sect)) == NULL &&
		    strcmp(name, "default") == 0)
			k = unsupported_key(fpath, "default");
	}
	if (k == NULL)
		return (0);
	warn0("cannot use profile '%s' of '%s': it has no static keys and "
	    "sets %s, which this tool does not support (give it "
	    "aws_access_key_id and aws_secret_access_key, or use the "
	    "environment)", name, where ? where : "?", k);
	return (-1);
}

/* Credentials of the profile from the shared files: 1, 0 or -1. */
static int
file_creds(const char *profile, int explicit, struct awscred *c)
{
	char *cpath = file_path("AWS_SHARED_CREDENTIALS_FILE",
	    ".aws/credentials");
	char *fpath = file_path("AWS_CONFIG_FILE", ".aws/config");
	char sect[300], *e1, *e2, *e3;
	const char *name = profile_name(profile);
	int rc;

	snprintf(sect, sizeof(sect), "profile %s", name);
	rc = file_section_creds(cpath, name, c);
	if (rc == 0)
		rc = file_section_creds(fpath, sect, c);
	if (rc == 0 && strcmp(name, "default") == 0)
		rc = file_section_creds(fpath, "default", c);
	if (rc == 0 && profile_usable(name, cpath, fpath, sect) != 0)
		rc = -1;
	if (rc == 0 && explicit) {
		e1 = awscred_ini_get(cpath, name, NULL);
		e2 = awscred_ini_get(fpath, sect, NULL);
		e3 = strcmp(name, "default") == 0 ?
		    awscred_ini_get(fpath, "default", NULL) : NULL;
		if (e1 == NULL && e2 == NULL && e3 == NULL) {
			warn0("cannot find profile '%s' in '%s' or '%s'",
			    name, cpath ? cpath : "~/.aws/credentials",
			    fpath ? fpath : "~/.aws/config");
			rc = -1;
		}
		free(e1);
		free(e2);
		free(e3);
	}
	free(cpath);
	free(fpath);
	return (rc);
}

/* ---------------------------------------------------------------- JSON */

static time_t
parse_time(const char *s)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof(tm));
	if ((end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) == NULL)
		return ((time_t)-1);
	return (timegm(&tm));
}

static int
json_field(struct awscred *c, const char *k, const char *v)
{

	if (strcmp(k, "AccessKeyId") == 0)
		return (strlen(v) < sizeof(c->akid) ?
		    (strcpy(c->akid, v), 0) : -1);
	if (strcmp(k, "SecretAccessKey") == 0)
		return (strlen(v) < sizeof(c->secret) ?
		    (strcpy(c->secret, v), 0) : -1);
	if (strcmp(k, "Token") == 0 || strcmp(k, "SessionToken") == 0)
		return (strlen(v) < sizeof(c->token) ?
		    (strcpy(c->token, v), 0) : -1);
	if (strcmp(k, "Expiration") == 0)
		return ((c->expires = parse_time(v)) == (time_t)-1 ? -1 : 0);
	return (0);
}

int
awscred_parse_json(const char *json, size_t len, struct awscred *c)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char key[64] = "";
	int depth = 0, want_key = 1, rc = 0, done = 0;

	memset(c, 0, sizeof(*c));
	c->expires = -1;
	if (!yaml_parser_initialize(&p))
		return (-1);
	yaml_parser_set_input_string(&p, (const unsigned char *)json, len);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = -1;
			break;
		}
		switch (ev.type) {
		case YAML_MAPPING_START_EVENT:
		case YAML_SEQUENCE_START_EVENT:
			depth++;
			want_key = 1;
			break;
		case YAML_MAPPING_END_EVENT:
		case YAML_SEQUENCE_END_EVENT:
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 1 && want_key)
				snprintf(key, sizeof(key), "%s",
				    (const char *)ev.data.scalar.value);
			else if (depth == 1)
				rc = json_field(c, key,
				    (const char *)ev.data.scalar.value);
			if (depth == 1)
				want_key = !want_key;
			if (ev.data.scalar.value != NULL)
				OPENSSL_cleanse(ev.data.scalar.value,
				    ev.data.scalar.length);
			break;
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	if (rc != 0 || c->akid[0] == '\0' || c->secret[0] == '\0' ||
	    c->expires == (time_t)-1) {
		awscred_clear(c);
		return (-1);
	}
	return (0);
}

/* ---------------------------------------------------------------- HTTP */

static size_t
collect(char *p, size_t sz, size_t n, void *cookie)
{
	struct strbuf *b = cookie;

	if (b->len + sz * n > 65536)
		return (0);
	strbuf_add(b, p, sz * n);
	return (strbuf_failed(b) ? 0 : sz * n);
}

/* meta_http() results other than an HTTP status */
#define META_FAILED	(-1)	/* no connection, or no usable answer */
#define META_UNANSWERED	(-2)	/* the request went out, nothing came back */

#define META_TIMEOUT_DEF	2	/* seconds */
#define META_TIMEOUT_MAX	600

static long meta_secs;
static pthread_once_t meta_once = PTHREAD_ONCE_INIT;

/*
 * Read AWS_METADATA_SERVICE_TIMEOUT once.  A value that is not 1..600
 * seconds is reported (once) and the default is used: a bad timeout is no
 * reason to go without credentials, but it must not pass unseen.
 */
static void
meta_timeout_read(void)
{
	const char *t = getenv("AWS_METADATA_SERVICE_TIMEOUT");
	uint64_t v;

	meta_secs = META_TIMEOUT_DEF;
	if (t == NULL)
		return;
	if (num_parse_u64(t, 1, META_TIMEOUT_MAX, &v) != 0) {
		warn0("ignoring AWS_METADATA_SERVICE_TIMEOUT '%s': not a "
		    "number of seconds in 1..%d; using %d", t,
		    META_TIMEOUT_MAX, META_TIMEOUT_DEF);
		return;
	}
	meta_secs = (long)v;
}

/* AWS_METADATA_SERVICE_TIMEOUT: seconds, 2 by default. */
static long
meta_timeout(void)
{

	pthread_once(&meta_once, meta_timeout_read);
	return (meta_secs);
}

/*
 * One request to a metadata service with header h (or NULL): body into
 * b.  It takes at most limit seconds, connecting at most the metadata
 * timeout.  Returns the HTTP status, META_FAILED or META_UNANSWERED (*why
 * set for both).
 */
static long
meta_http(const char *method, const char *url, const char *h, long limit,
    struct strbuf *b, const char **why)
{
	static char err[CURL_ERROR_SIZE];
	struct curl_slist *hl = NULL;
	long code = META_FAILED, sent = 0, got = 0, secs = meta_timeout();
	CURL *c;

	if ((c = curl_easy_init()) == NULL) {
		*why = "cannot initialise libcurl";
		return (META_FAILED);
	}
	if (h != NULL)
		hl = curl_slist_append(hl, h);
	err[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, secs);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, limit);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, err);
	strbuf_reset(b);
	if (curl_easy_perform(c) == CURLE_OK) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	} else {
		*why = err;
		/* connected and asked, but timed out or got nothing back */
		curl_easy_getinfo(c, CURLINFO_REQUEST_SIZE, &sent);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &got);
		if (sent > 0 && got == 0)
			code = META_UNANSWERED;
	}
	curl_slist_free_all(hl);
	curl_easy_cleanup(c);
	return (code);
}

/* Why a metadata request failed, for a message: why, or "HTTP nnn". */
static const char *
meta_why(long code, const char *why, char *buf, size_t size)
{

	if (code < 0)
		return (why);
	snprintf(buf, size, "HTTP %ld", code);
	return (buf);
}

static void
buf_wipe(struct strbuf *b)
{

	if (b->s != NULL)
		OPENSSL_cleanse(b->s, b->cap);
	strbuf_free(b);
}

/* An Authorization value must be one line (no header injection). */
static int
one_line(const char *v)
{

	return (strpbrk(v, "\r\n") == NULL);
}

/* The token in path, trailing white space dropped: new string or NULL. */
static char *
read_token_file(const char *path)
{
	struct strbuf b = STRBUF_INIT;
	char buf[512], *tok = NULL;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot read '%s'", path);
		return (NULL);
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&b, buf, n);
	OPENSSL_cleanse(buf, sizeof(buf));
	while (b.len > 0 && isspace((unsigned char)b.s[b.len - 1]))
		b.s[--b.len] = '\0';
	if (ferror(f) || strbuf_failed(&b))
		warnp("cannot read '%s'", path);
	else if (!one_line(b.s != NULL ? b.s : ""))
		warn0("cannot use the token in '%s': not one line", path);
	else
		tok = strbuf_detach(&b);
	fclose(f);
	buf_wipe(&b);
	return (tok);
}

static int
container_fetch(struct awscred_src *s, struct awscred *c)
{
	struct strbuf b = STRBUF_INIT, h = STRBUF_INIT;
	const char *why = "no answer";
	char *tok = NULL;
	long code;
	int rc = -1;

	/* read at every fetch: EKS Pod Identity rotates the file */
	if (s->authfile != NULL && (tok = read_token_file(s->authfile)) == NULL)
		return (-1);
	if (tok != NULL || s->auth != NULL)
		strbuf_addf(&h, "Authorization: %s",
		    tok != NULL ? tok : s->auth);
	if (tok != NULL)
		OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	code = meta_http("GET", s->url, h.s, 2 * meta_timeout(), &b, &why);
	if (code == 200 && awscred_parse_json(b.s, b.len, c) == 0)
		rc = 0;
	else if (code == 200)
		warn0("cannot use container credentials: malformed answer");
	else if (code < 0)
		warn0("cannot get container credentials: %s", why);
	else
		warn0("cannot get container credentials: HTTP %ld", code);
	buf_wipe(&h);
	buf_wipe(&b);
	return (rc);
}

/*
 * IMDSv2 session token into tok (empty: fall back to IMDSv1).  Like the
 * AWS SDKs, a token request that is refused (403, 404, 405) or that goes
 * unanswered falls back: the token's answer has a hop limit (1 by
 * default), so it never reaches a container, while plain GETs do.
 */
static int
imds_token(struct awscred_src *s, struct strbuf *tok)
{
	struct strbuf u = STRBUF_INIT;
	const char *why = "no answer";
	long code;

	strbuf_addf(&u, "%s/latest/api/token", s->url);
	/* a short answer: the metadata timeout bounds the hop-limit case */
	code = meta_http("PUT", u.s, "X-aws-ec2-metadata-token-ttl-seconds: "
	    "21600", meta_timeout(), tok, &why);
	strbuf_free(&u);
	if (code == 200)
		return (0);
	strbuf_reset(tok);
	if (code == 403 || code == 404 || code == 405)
		return (0);
	if (code == META_UNANSWERED) {
		warnp_debug(1, "no answer to the IMDSv2 token request to '%s' "
		    "(%s): trying IMDSv1", s->url, why);
		return (0);
	}
	if (code == META_FAILED)
		warnp_debug(1, "no instance metadata service at '%s': %s",
		    s->url, why);
	else
		warn0("cannot get an IMDSv2 token from '%s': HTTP %ld",
		    s->url, code);
	return (-1);
}

static int
imds_fetch(struct awscred_src *s, struct awscred *c)
{
	struct strbuf tok = STRBUF_INIT, th = STRBUF_INIT, u = STRBUF_INIT;
	struct strbuf b = STRBUF_INIT;
	const char *why = "no answer";
	char *role = NULL, *nl, hw[32];
	long code;
	int rc = -1;

	if (imds_token(s, &tok) != 0)
		goto out;
	if (tok.len > 0)
		strbuf_addf(&th, "X-aws-ec2-metadata-token: %s", tok.s);
	strbuf_addf(&u, "%s/latest/meta-data/iam/security-credentials/",
	    s->url);
	code = meta_http("GET", u.s, th.s, 2 * meta_timeout(), &b, &why);
	if (code != 200 || b.len == 0) {
		warn0("cannot get the instance role from '%s': %s", s->url,
		    code == 200 ? "no role" : meta_why(code, why, hw,
		    sizeof(hw)));
		goto out;
	}
	role = strbuf_detach(&b);
	if ((nl = strchr(role, '\n')) != NULL)
		*nl = '\0';
	strbuf_adds(&u, role);
	code = meta_http("GET", u.s, th.s, 2 * meta_timeout(), &b, &why);
	if (code == 200 && awscred_parse_json(b.s, b.len, c) == 0)
		rc = 0;
	else
		warn0("cannot get instance credentials for role '%s': %s",
		    role, code == 200 ? "malformed answer" :
		    meta_why(code, why, hw, sizeof(hw)));
out:
	free(role);
	buf_wipe(&tok);
	buf_wipe(&th);
	buf_wipe(&b);
	strbuf_free(&u);
	return (rc);
}

static int
src_fetch(struct awscred_src *s, struct awscred *c)
{

	if (s->kind == CRED_CONTAINER)
		return (container_fetch(s, c));
	return (imds_fetch(s, c));
}

/* ------------------------------------------------------- the provider */

/*
 * A host that is a literal loopback address or one of the container
 * credential addresses: 169.254.170.2 (ECS), 169.254.170.23 and
 * [fd00:ec2::23] (EKS Pod Identity).
 */
static int
allowed_addr(const char *host)
{
	static const unsigned char ecs[4] = { 169, 254, 170, 2 };
	static const unsigned char eks[4] = { 169, 254, 170, 23 };
	static const unsigned char eks6[16] = { 0xfd, 0x00, 0x0e, 0xc2,
	    [15] = 0x23 };
	unsigned char a[16];
	char h6[64];
	size_t n = strlen(host);

	if (inet_pton(AF_INET, host, a) == 1)
		return (a[0] == 127 || memcmp(a, ecs, 4) == 0 ||
		    memcmp(a, eks, 4) == 0);
	if (n < 3 || n - 2 >= sizeof(h6) || host[0] != '[' ||
	    host[n - 1] != ']')
		return (0);
	memcpy(h6, host + 1, n - 2);
	h6[n - 2] = '\0';
	if (inet_pton(AF_INET6, h6, a) != 1)
		return (0);
	return (memcmp(a, eks6, 16) == 0 ||
	    memcmp(a, &in6addr_loopback, 16) == 0);
}

/*
 * AWS_CONTAINER_CREDENTIALS_FULL_URI gets the Authorization token, so it
 * must be HTTPS or name (as its host, not just its first bytes) a
 * loopback or container address, as the AWS SDKs require.
 */
static int
allowed_full_uri(const char *u)
{
	CURLU *cu;
	char *scheme = NULL, *host = NULL;
	int ok = 0;

	if ((cu = curl_url()) == NULL)
		return (0);
	if (curl_url_set(cu, CURLUPART_URL, u, 0) == CURLUE_OK &&
	    curl_url_get(cu, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    curl_url_get(cu, CURLUPART_HOST, &host, 0) == CURLUE_OK)
		ok = strcmp(scheme, "https") == 0 ||
		    (strcmp(scheme, "http") == 0 &&
		    (strcasecmp(host, "localhost") == 0 || allowed_addr(host)));
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(cu);
	return (ok);
}

/* The container credentials URL into s->url, if configured: 1, 0 or -1. */
static int
container_url(struct awscred_src *s)
{
	struct strbuf b = STRBUF_INIT;
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");

	if (rel != NULL && *rel != '\0') {
		if (rel[0] != '/') {
			warn0("cannot use AWS_CONTAINER_CREDENTIALS_"
			    "RELATIVE_URI '%s': not a path", rel);
			return (-1);
		}
		strbuf_addf(&b, "http://169.254.170.2%s", rel);
	} else if (full != NULL && *full != '\0') {
		if (!allowed_full_uri(full)) {
			warn0("cannot use AWS_CONTAINER_CREDENTIALS_FULL_URI "
			    "'%s': not a container or loopback address", full);
			return (-1);
		}
		strbuf_adds(&b, full);
	} else {
		return (0);
	}
	return ((s->url = strbuf_detach(&b)) != NULL ? 1 : -1);
}

/* Set up container credentials if configured: 1, 0 or -1. */
static int
container_setup(struct awscred_src *s)
{
	const char *tok = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	const char *tf = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	int rc;

	if ((rc = container_url(s)) != 1)
		return (rc);
	if (tf != NULL && *tf != '\0') {
		/* the file wins; it is read at each fetch */
		if ((s->authfile = strdup(tf)) == NULL)
			return (-1);
	} else if (tok != NULL && *tok != '\0') {
		if (!one_line(tok)) {
			warn0("cannot use AWS_CONTAINER_AUTHORIZATION_TOKEN: "
			    "not one line");
			return (-1);
		}
		if ((s->auth = strdup(tok)) == NULL)
			return (-1);
	}
	s->kind = CRED_CONTAINER;
	s->origin = "container";
	return (1);
}

static int
imds_setup(struct awscred_src *s)
{
	const char *d = getenv("AWS_EC2_METADATA_DISABLED");
	const char *ep = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	size_t n;

	if (d != NULL && strcasecmp(d, "true") == 0)
		return (0);
	if ((s->url = strdup(ep != NULL && *ep != '\0' ? ep :
	    "http://169.254.169.254")) == NULL)
		return (-1);
	n = strlen(s->url);
	while (n > 0 && s->url[n - 1] == '/')
		s->url[--n] = '\0';
	s->kind = CRED_IMDS;
	s->origin = "imds";
	return (1);
}

/* Find the first provider that yields credentials: 1, 0 or -1. */
static int
src_find(struct awscred_src *s, const char *profile, int explicit)
{
	int rc;

	s->kind = CRED_STATIC;
	if (!explicit && (rc = env_creds(&s->cur)) != 0) {
		s->origin = "environment";
		return (rc);
	}
	if ((rc = file_creds(profile, explicit, &s->cur)) != 0) {
		s->origin = "shared files";
		return (rc);
	}
	if ((rc = container_setup(s)) == 0)
		rc = imds_setup(s);
	if (rc != 1)
		return (rc);
	return (src_fetch(s, &s->cur) == 0 ? 1 : (s->kind == CRED_IMDS ?
	    0 : -1));
}

struct awscred_src *
awscred_new(const char *profile, int explicit)
{
	struct awscred_src *s;
	int rc;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("cannot allocate credentials");
		return (NULL);
	}
	pthread_mutex_init(&s->lock, NULL);
	if ((rc = src_find(s, profile, explicit)) == 0)
		warn0("cannot find AWS credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY, or use a profile");
	if (rc != 1) {
		awscred_free(s);
		return (NULL);
	}
	warnp_debug(1, "credentials from %s", s->origin);
	return (s);
}

/* Refresh s->cur; called with the lock held. */
static int
src_refresh(struct awscred_src *s)
{
	struct awscred c;

	if (src_fetch(s, &c) != 0)
		return (-1);
	s->cur = c;
	awscred_clear(&c);
	warnp_debug(1, "credentials refreshed from %s", s->origin);
	return (0);
}

int
awscred_get(struct awscred_src *s, struct awscred *c)
{
	time_t now = time(NULL);
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->kind != CRED_STATIC && s->cur.expires != 0 &&
	    now >= s->cur.expires - AWSCRED_REFRESH_MARGIN &&
	    src_refresh(s) != 0 && now >= s->cur.expires) {
		warn0("cannot refresh expired credentials from %s",
		    s->origin);
		rc = -1;
	}
	if (rc == 0)
		*c = s->cur;
	pthread_mutex_unlock(&s->lock);
	return (rc);
}

int
awscred_invalidate(struct awscred_src *s)
{
	int rc = -1;

	pthread_mutex_lock(&s->lock);
	if (s->kind != CRED_STATIC)
		rc = src_refresh(s);
	pthread_mutex_unlock(&s->lock);
	return (rc);
}

const char *
awscred_origin(const struct awscred_src *s)
{

	return (s->origin);
}

void
awscred_free(struct awscred_src *s)
{

	if (s == NULL)
		return;
	awscred_clear(&s->cur);
	if (s->auth != NULL)
		OPENSSL_cleanse(s->auth, strlen(s->auth));
	free(s->auth);
	free(s->authfile);
	free(s->url);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ------------------------------------------------- region and endpoint */

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? strdup(v) : NULL);
}

char *
awscred_region(const char *opt, const char *profile)
{
	char *r;

	if (opt != NULL)
		return (strdup(opt));
	if ((r = env_dup("AWS_REGION")) != NULL ||
	    (r = env_dup("AWS_DEFAULT_REGION")) != NULL ||
	    (r = config_get(profile, "region")) != NULL)
		return (r);
	return (strdup("us-east-1"));
}

char *
awscred_endpoint(const char *opt, const char *profile)
{
	const char *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	char *r, *svc, sect[300];
	char *path;

	if (opt != NULL)
		return (strdup(opt));
	if (ign != NULL && strcasecmp(ign, "true") == 0)
		return (NULL);
	if ((r = env_dup("AWS_ENDPOINT_URL_S3")) != NULL ||
	    (r = env_dup("AWS_ENDPOINT_URL")) != NULL)
		return (r);
	if ((svc = config_get(profile, "services")) != NULL) {
		path = file_path("AWS_CONFIG_FILE", ".aws/config");
		snprintf(sect, sizeof(sect), "services %s", svc);
		r = awscred_ini_get(path, sect, "s3.endpoint_url");
		free(path);
		free(svc);
		if (r != NULL)
			return (r);
	}
	return (config_get(profile, "endpoint_url"));
}
