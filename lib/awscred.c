#include <sys/wait.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <yaml.h>

#include "awscred.h"
#include "num.h"
#include "strbuf.h"
#include "sts.h"
#include "warnp.h"

extern char **environ;

enum cred_kind { CRED_STATIC, CRED_CONTAINER, CRED_IMDS, CRED_PROCESS,
	CRED_ROLE };

struct awscred_src {
	pthread_mutex_t	 lock;
	enum cred_kind	 kind;
	const char	*origin;
	struct awscred	 cur;
	char		*url;		/* container URL or IMDS base */
	char		*auth;		/* container Authorization value */
	char		*authfile;	/* or the file holding it, read at
					   each fetch (it is rotated) */
	char		**argv;		/* credential_process */
	/* CRED_ROLE: AssumeRole with base, or with the web identity
	   token in token_file (read at each fetch: Kubernetes rotates it) */
	struct awscred_src *base;
	char		*arn, *session, *external_id, *token_file;
	char		*sts_url, *sts_region;
	long		 duration;
	int		 unanswered;	/* the last fetch got no answer */
};

/* The profiles of a source_profile chain, to refuse loops. */
struct chain {
	const char		*name;
	const struct chain	*up;
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

/* Look key up for profile name: the credentials file, then the config. */
static char *
prof_get(const char *name, const char *key)
{
	char *path = file_path("AWS_SHARED_CREDENTIALS_FILE",
	    ".aws/credentials"), *v;

	v = awscred_ini_get(path, name, key);
	free(path);
	return (v != NULL ? v : config_get(name, key));
}

/* ------------------------------------------------------------- helpers */

static char *
env_dup(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? strdup(v) : NULL);
}

/*
 * The configured endpoint URL of service svc (env: its variable) for
 * profile: env, AWS_ENDPOINT_URL, the profile's services section
 * "svc.endpoint_url", the profile's endpoint_url; none if
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.  New string or NULL.
 */
static char *
svc_endpoint(const char *profile, const char *svc, const char *env)
{
	const char *ign = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	char *r, *sv, sect[300], key[64], *path;

	if (ign != NULL && strcasecmp(ign, "true") == 0)
		return (NULL);
	if ((r = env_dup(env)) != NULL ||
	    (r = env_dup("AWS_ENDPOINT_URL")) != NULL)
		return (r);
	if ((sv = config_get(profile, "services")) != NULL) {
		path = file_path("AWS_CONFIG_FILE", ".aws/config");
		snprintf(sect, sizeof(sect), "services %s", sv);
		snprintf(key, sizeof(key), "%s.endpoint_url", svc);
		r = awscred_ini_get(path, sect, key);
		free(path);
		free(sv);
		if (r != NULL)
			return (r);
	}
	return (config_get(profile, "endpoint_url"));
}

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
	static const char *const keys[] = { "sso_session", "sso_start_url",
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
 * A profile without keys that wants SSO is an error: falling through to
 * instance credentials would run as someone else.  Returns -1 (reported)
 * or 0.
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
	    "sets %s, which this tool does not support (SSO needs a "
	    "browser; give it aws_access_key_id and aws_secret_access_key, "
	    "a role, a credential_process, or use the environment)", name,
	    where ? where : "?", k);
	return (-1);
}

static int process_setup(struct awscred_src *, const char *);

/*
 * Credentials of the profile from the shared files, static keys or a
 * credential_process, into s: 1, 0 or -1.
 */
static int
file_creds(struct awscred_src *s, const char *profile, int explicit)
{
	struct awscred *c = &s->cur;
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
	if (rc != 0)
		s->origin = "shared files";
	if (rc == 0)
		rc = process_setup(s, name);
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
json_field(struct awscred *c, long *version, const char *k, const char *v)
{

	if (strcmp(k, "Version") == 0)
		return (strcmp(v, "1") == 0 ? (*version = 1, 0) : -1);

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

/*
 * The fields of a credentials JSON document into c; *version gets its
 * Version (-1 without one), c->expires is -1 without an Expiration.
 */
static int
json_parse(const char *json, size_t len, struct awscred *c, long *version)
{
	yaml_parser_t p;
	yaml_event_t ev;
	char key[64] = "";
	int depth = 0, want_key = 1, rc = 0, done = 0;

	memset(c, 0, sizeof(*c));
	c->expires = -1;
	*version = -1;
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
				rc = json_field(c, version, key,
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
	if (rc != 0 || c->akid[0] == '\0' || c->secret[0] == '\0') {
		awscred_clear(c);
		return (-1);
	}
	return (0);
}

/*
 * Metadata answers need an Expiration; a credential_process's output
 * needs Version 1 and may go without one (never expires).
 */
static int
json_creds(const char *json, size_t len, struct awscred *c, int process)
{
	long version;

	if (json_parse(json, len, c, &version) != 0)
		return (-1);
	if (process ? version != 1 : c->expires == (time_t)-1) {
		awscred_clear(c);
		return (-1);
	}
	if (c->expires == (time_t)-1)
		c->expires = 0;
	return (0);
}

int
awscred_parse_json(const char *json, size_t len, struct awscred *c)
{

	return (json_creds(json, len, c, 0));
}

int
awscred_parse_process_json(const char *json, size_t len, struct awscred *c)
{

	return (json_creds(json, len, c, 1));
}

/* ---------------------------------------------------------------- HTTP */

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
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sts_curl_collect);
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

static int process_fetch(struct awscred_src *, struct awscred *);
static int role_fetch(struct awscred_src *, struct awscred *);

static int
src_fetch(struct awscred_src *s, struct awscred *c)
{

	switch (s->kind) {
	case CRED_CONTAINER:
		return (container_fetch(s, c));
	case CRED_PROCESS:
		return (process_fetch(s, c));
	case CRED_ROLE:
		return (role_fetch(s, c));
	default:
		return (imds_fetch(s, c));
	}
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

/* ------------------------------------------------- credential_process */

void
awscred_argv_free(char **v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

/* Append the word in w to *v (n words so far): 0 or -1. */
static int
argv_push(char ***v, size_t *n, struct strbuf *w)
{
	char **nv;

	if ((nv = realloc(*v, (*n + 2) * sizeof(*nv))) == NULL)
		return (-1);
	*v = nv;
	if ((nv[*n] = strdup(w->s != NULL ? w->s : "")) == NULL)
		return (-1);
	nv[++*n] = NULL;
	strbuf_reset(w);
	return (0);
}

char **
awscred_split(const char *cmd)
{
	struct strbuf w = STRBUF_INIT;
	char **v = NULL;
	size_t n = 0;
	int q = 0, inword = 0, bad = 0;
	const char *p;

	for (p = cmd; !bad; p++) {
		if (q == 0 && (*p == '\0' || strchr(" \t\r\n", *p) != NULL)) {
			if (inword && argv_push(&v, &n, &w) != 0)
				bad = 1;
			inword = 0;
			if (*p == '\0')
				break;
			continue;
		}
		inword = 1;
		if (*p == '\0' || (*p == '\\' && q == 0 && p[1] == '\0'))
			bad = 1;	/* open quote, or a lone final '\' */
		else if (q == 0 && (*p == '\'' || *p == '"'))
			q = *p;
		else if (*p == q)
			q = 0;
		else if (*p == '\\' && (q == 0 || (q == '"' &&
		    (p[1] == '"' || p[1] == '\\'))))
			strbuf_addc(&w, *++p);
		else
			strbuf_addc(&w, *p);
	}
	strbuf_free(&w);
	if (bad || v == NULL) {
		awscred_argv_free(v);
		return (NULL);
	}
	return (v);
}

/* Run argv with its stdout into out (stderr is ours): wait status or -1. */
static int
process_run(char **argv, struct strbuf *out)
{
	posix_spawn_file_actions_t fa;
	char buf[4096];
	ssize_t n;
	pid_t pid;
	int fd[2], rc, st = -1;

	if (pipe2(fd, O_CLOEXEC) != 0)
		return (-1);
	if ((rc = posix_spawn_file_actions_init(&fa)) == 0) {
		if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
		    O_RDONLY, 0)) == 0 &&
		    (rc = posix_spawn_file_actions_adddup2(&fa, fd[1], 1)) == 0)
			rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv,
			    environ);
		posix_spawn_file_actions_destroy(&fa);
	}
	close(fd[1]);
	while (rc == 0 && ((n = read(fd[0], buf, sizeof(buf))) > 0 ||
	    (n < 0 && errno == EINTR)))
		if (n > 0 && out->len < 65536)
			strbuf_add(out, buf, (size_t)n);
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd[0]);
	if (rc != 0) {
		errno = rc;
		return (-1);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return (st);
}

static int
process_fetch(struct awscred_src *s, struct awscred *c)
{
	struct strbuf out = STRBUF_INIT;
	int st, rc = -1;

	if ((st = process_run(s->argv, &out)) == -1)
		warnp("cannot run credential_process '%s'", s->argv[0]);
	else if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		warn0("cannot get credentials from credential_process '%s': "
		    "it %s %d", s->argv[0], WIFEXITED(st) ? "exited with" :
		    "was killed by signal", WIFEXITED(st) ? WEXITSTATUS(st) :
		    WTERMSIG(st));
	else if (strbuf_failed(&out) || out.len >= 65536 ||
	    awscred_parse_process_json(out.s != NULL ? out.s : "", out.len,
	    c) != 0)
		warn0("cannot use the output of credential_process '%s': not "
		    "JSON with Version 1, AccessKeyId and SecretAccessKey",
		    s->argv[0]);
	else
		rc = 0;
	buf_wipe(&out);
	return (rc);
}

/* The profile's credential_process, if it has one: 1, 0 or -1. */
static int
process_setup(struct awscred_src *s, const char *name)
{
	char *cmd;

	if ((cmd = prof_get(name, "credential_process")) == NULL)
		return (0);
	s->argv = awscred_split(cmd);
	free(cmd);
	if (s->argv == NULL) {
		warn0("cannot use the credential_process of profile '%s': "
		    "empty, or an unbalanced quote", name);
		return (-1);
	}
	s->kind = CRED_PROCESS;
	s->origin = "credential_process";
	return (process_fetch(s, &s->cur) == 0 ? 1 : -1);
}

/* ---------------------------------------------------------------- roles */

static int
role_fetch(struct awscred_src *s, struct awscred *c)
{
	struct sts_role r = { s->arn, s->session, s->external_id,
	    s->duration, NULL };
	struct awscred src;
	char *tok = NULL;
	int rc;

	memset(&src, 0, sizeof(src));
	if (s->token_file != NULL) {
		/* read at every fetch: Kubernetes rotates the file */
		if ((tok = read_token_file(s->token_file)) == NULL)
			return (-1);
		r.web_token = tok;
	} else if (awscred_get(s->base, &src) != 0) {
		s->unanswered = s->base->unanswered;
		return (-1);
	}
	rc = sts_assume_role(s->sts_url, s->sts_region, &r, &src, c);
	s->unanswered = rc == STS_UNANSWERED;
	awscred_clear(&src);
	if (tok != NULL)
		OPENSSL_cleanse(tok, strlen(tok));
	free(tok);
	return (rc == 0 ? 0 : -1);
}

/* The region set for profile (environment or config), or NULL. */
static char *
region_configured(const char *profile)
{
	char *r;

	if ((r = env_dup("AWS_REGION")) != NULL ||
	    (r = env_dup("AWS_DEFAULT_REGION")) != NULL)
		return (r);
	return (config_get(profile, "region"));
}

/*
 * The STS endpoint for profile: the configured one (AWS_ENDPOINT_URL_STS
 * and the rest, as for S3), else regional as the aws CLI v2 does, the
 * global endpoint without a region.  0 or -1.
 */
static int
sts_setup(struct awscred_src *s, const char *profile)
{
	struct strbuf b = STRBUF_INIT;
	char *r = region_configured(profile);

	s->sts_url = svc_endpoint(profile, "sts", "AWS_ENDPOINT_URL_STS");
	if (s->sts_url == NULL) {
		if (r == NULL)
			strbuf_adds(&b, "https://sts.amazonaws.com");
		else
			strbuf_addf(&b, "https://sts.%s.amazonaws.com%s", r,
			    strncmp(r, "cn-", 3) == 0 ? ".cn" : "");
		s->sts_url = strbuf_detach(&b);
	}
	s->sts_region = r != NULL ? r : strdup("us-east-1");
	return (s->sts_url != NULL && s->sts_region != NULL ? 0 : -1);
}

/* RoleSessionName: configured, else one naming this tool. */
static char *
role_session(char *v)
{
	struct strbuf b = STRBUF_INIT;

	if (v != NULL && *v != '\0')
		return (v);
	free(v);
	strbuf_addf(&b, "cassandra-backups-%lld", (long long)time(NULL));
	return (strbuf_detach(&b));
}

/* external_id, role_session_name, duration_seconds of profile: 0, -1. */
static int
role_params(struct awscred_src *s, const char *name)
{
	char *d;
	uint64_t v;
	int rc = 0;

	s->external_id = prof_get(name, "external_id");
	if ((s->session = role_session(prof_get(name,
	    "role_session_name"))) == NULL)
		return (-1);
	if ((d = prof_get(name, "duration_seconds")) != NULL) {
		if (num_parse_u64(d, 900, 43200, &v) != 0) {
			warn0("cannot use profile '%s': duration_seconds '%s' "
			    "is not a number of seconds in 900..43200", name,
			    d);
			rc = -1;
		} else {
			s->duration = (long)v;
		}
		free(d);
	}
	return (rc != 0 ? -1 : sts_setup(s, name));
}

static struct awscred_src *src_alloc(void);
static int role_setup(struct awscred_src *, const char *,
    const struct chain *);

/* The credentials of a credential_source into b: 1 or -1. */
static int
cred_source_setup(struct awscred_src *b, const char *name, const char *cs)
{
	int rc = -1;

	b->kind = CRED_STATIC;
	if (strcmp(cs, "Environment") == 0) {
		b->origin = "environment";
		if ((rc = env_creds(&b->cur)) == 0)
			warn0("cannot use profile '%s': its credential_source "
			    "is Environment, but AWS_ACCESS_KEY_ID and "
			    "AWS_SECRET_ACCESS_KEY are not set", name);
		return (rc == 1 ? 1 : -1);
	}
	if (strcmp(cs, "Ec2InstanceMetadata") == 0)
		rc = imds_setup(b);
	else if (strcmp(cs, "EcsContainer") == 0 &&
	    (rc = container_setup(b)) == 0)
		warn0("cannot use profile '%s': its credential_source is "
		    "EcsContainer, but AWS_CONTAINER_CREDENTIALS_RELATIVE_URI "
		    "and _FULL_URI are not set", name);
	else if (strcmp(cs, "EcsContainer") != 0)
		warn0("cannot use profile '%s': unknown credential_source "
		    "'%s' (Environment, Ec2InstanceMetadata, EcsContainer)",
		    name, cs);
	if (rc != 1)
		return (-1);
	return (src_fetch(b, &b->cur) == 0 ? 1 : -1);
}

/* The credentials of profile sp, the source_profile of name: 1 or -1. */
static int
source_profile_setup(struct awscred_src *b, const char *name,
    const char *sp, const struct chain *up)
{
	struct chain me = { name, up };
	const struct chain *c;
	int rc;

	for (c = &me; c != NULL; c = c->up)
		if (strcmp(c->name, sp) == 0 && strcmp(sp, name) != 0) {
			warn0("cannot use profile '%s': its source_profile "
			    "chain loops back to '%s'", name, sp);
			return (-1);
		}
	/* a role profile may take its own static keys as its source */
	if (strcmp(sp, name) != 0 && (rc = role_setup(b, sp, &me)) != 0)
		return (rc);
	b->kind = CRED_STATIC;
	if ((rc = file_creds(b, sp, 0)) == 0)
		warn0("cannot use profile '%s': its source_profile '%s' has "
		    "no credentials", name, sp);
	return (rc == 1 ? 1 : -1);
}

/* Where the role's source credentials come from, into s->base: 1, -1. */
static int
role_source(struct awscred_src *s, const char *name, const struct chain *up)
{
	char *sp = prof_get(name, "source_profile");
	char *cs = prof_get(name, "credential_source");
	int rc = -1;

	if (sp != NULL && cs != NULL)
		warn0("cannot use profile '%s': it sets both source_profile "
		    "and credential_source", name);
	else if (sp == NULL && cs == NULL)
		warn0("cannot use profile '%s': it sets role_arn but no "
		    "source_profile, credential_source or "
		    "web_identity_token_file", name);
	else if ((s->base = src_alloc()) != NULL)
		rc = sp != NULL ? source_profile_setup(s->base, name, sp, up) :
		    cred_source_setup(s->base, name, cs);
	free(sp);
	free(cs);
	return (rc);
}

/* Make s a role, fetch its first credentials: 1 or -1. */
static int
role_start(struct awscred_src *s)
{

	s->kind = CRED_ROLE;
	s->origin = s->token_file != NULL ? "web identity" : "assume role";
	return (role_fetch(s, &s->cur) == 0 ? 1 : -1);
}

/* The role of profile name (role_arn), if it has one: 1, 0 or -1. */
static int
role_setup(struct awscred_src *s, const char *name, const struct chain *up)
{
	char *v;
	int rc;

	if ((s->arn = prof_get(name, "role_arn")) == NULL)
		return (0);
	if ((v = prof_get(name, "mfa_serial")) != NULL) {
		free(v);
		warn0("cannot use profile '%s': it sets mfa_serial, and MFA "
		    "prompts are not supported in unattended runs (use a "
		    "role that needs no MFA)", name);
		return (-1);
	}
	if (role_params(s, name) != 0)
		return (-1);
	if ((s->token_file = prof_get(name, "web_identity_token_file")) ==
	    NULL && (rc = role_source(s, name, up)) != 1)
		return (rc);
	return (role_start(s));
}

/*
 * Web identity from the environment: AWS_WEB_IDENTITY_TOKEN_FILE,
 * AWS_ROLE_ARN, AWS_ROLE_SESSION_NAME.  1, 0 or -1.
 */
static int
webid_env_setup(struct awscred_src *s, const char *profile)
{
	const char *tf = getenv("AWS_WEB_IDENTITY_TOKEN_FILE");
	const char *arn = getenv("AWS_ROLE_ARN");

	if (tf == NULL || *tf == '\0')
		return (0);
	if (arn == NULL || *arn == '\0') {
		warn0("cannot use AWS_WEB_IDENTITY_TOKEN_FILE: AWS_ROLE_ARN "
		    "is not set");
		return (-1);
	}
	if ((s->token_file = strdup(tf)) == NULL ||
	    (s->arn = strdup(arn)) == NULL ||
	    (s->session = role_session(env_dup("AWS_ROLE_SESSION_NAME"))) ==
	    NULL || sts_setup(s, profile) != 0)
		return (-1);
	return (role_start(s));
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
	if ((rc = role_setup(s, profile_name(profile), NULL)) != 0 ||
	    (rc = webid_env_setup(s, profile_name(profile))) != 0 ||
	    (rc = file_creds(s, profile, explicit)) != 0)
		return (rc);
	if ((rc = container_setup(s)) == 0)
		rc = imds_setup(s);
	if (rc != 1)
		return (rc);
	return (src_fetch(s, &s->cur) == 0 ? 1 : (s->kind == CRED_IMDS ?
	    0 : -1));
}

static struct awscred_src *
src_alloc(void)
{
	struct awscred_src *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("cannot allocate credentials");
		return (NULL);
	}
	pthread_mutex_init(&s->lock, NULL);
	return (s);
}

struct awscred_src *
awscred_new(const char *profile, int explicit)
{
	struct awscred_src *s;
	int rc, unanswered;

	if ((s = src_alloc()) == NULL)
		return (NULL);
	if ((rc = src_find(s, profile, explicit)) == 0)
		warn0("cannot find AWS credentials: set AWS_ACCESS_KEY_ID "
		    "and AWS_SECRET_ACCESS_KEY, or use a profile");
	if (rc != 1) {
		unanswered = s->unanswered;
		awscred_free(s);
		errno = unanswered ? ENETUNREACH : EACCES;
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
	awscred_argv_free(s->argv);
	awscred_free(s->base);
	free(s->arn);
	free(s->session);
	free(s->external_id);
	free(s->token_file);
	free(s->sts_url);
	free(s->sts_region);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* ------------------------------------------------- region and endpoint */

char *
awscred_region(const char *opt, const char *profile)
{
	char *r;

	if (opt != NULL)
		return (strdup(opt));
	if ((r = region_configured(profile)) != NULL)
		return (r);
	return (strdup("us-east-1"));
}

char *
awscred_endpoint(const char *opt, const char *profile)
{

	if (opt != NULL)
		return (strdup(opt));
	return (svc_endpoint(profile, "s3", "AWS_ENDPOINT_URL_S3"));
}
