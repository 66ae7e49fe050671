#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "num.h"
#include "s3cli.h"
#include "warnp.h"

static volatile sig_atomic_t caught;

static int bad(const char *what, const char *arg, const char *expect);

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return (v != NULL && *v != '\0' ? v : NULL);
}

/* The option ch from the variable name, if set; -1 (reported) if bad. */
static int
env_option(struct s3cli *o, const char *name, int ch)
{
	const char *v = env(name);

	if (v == NULL || s3cli_option(o, ch, v) == 1)
		return (0);
	warn0("(that value comes from %s in the environment)", name);
	return (-1);
}

/*
 * Take an SSE-C key (base64 of 32 bytes) from where it came; what is
 * wrong with it is said without showing any of it.
 */
static int
ssec_set(struct s3cli *o, const char *b64, const char *from)
{

	if (strlen(b64) != 44 || s3_ssec_check(b64, NULL) != 0) {
		warn0("invalid SSE-C key in %s: expected the base64 of 32 "
		    "bytes (44 characters)", from);
		return (-1);
	}
	memcpy(o->ssec_key, b64, 45);
	return (0);
}

/* The key file: its base64 line, one final newline allowed. */
static int
ssec_read(struct s3cli *o, const char *path)
{
	char buf[128], what[64 + 4096];
	ssize_t n;
	size_t len = 0;
	int fd, rc = -1;

	snprintf(what, sizeof(what), "'%s'", path);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		warnp("cannot open the SSE-C key file '%s'", path);
		return (-1);
	}
	while (len < sizeof(buf) - 1 &&
	    (n = read(fd, buf + len, sizeof(buf) - 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot read the SSE-C key file '%s'", path);
			goto out;
		}
		len += (size_t)n;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	if (strlen(buf) != len)
		len = 0;	/* a NUL inside: not base64 */
	rc = ssec_set(o, len > 0 ? buf : "", what);
out:
	OPENSSL_cleanse(buf, sizeof(buf));
	close(fd);
	return (rc);
}

int
s3cli_init(struct s3cli *o)
{
	int rc = 0;

	memset(o, 0, sizeof(*o));
	o->attempts = 8;
	o->retry_ms = 200;
	o->timeout = 30;
	o->connect_timeout = 10;
	o->part_size = 8 * 1024 * 1024;
	o->concurrency = 4;
	/* As the aws CLI reads them; options given later override. */
	if (env_option(o, "AWS_MAX_ATTEMPTS", S3CLI_RETRIES) != 0)
		rc = -1;
	o->ca_bundle = env("AWS_CA_BUNDLE");
	if (env_option(o, "CB_S3_CONNECT_TO", S3CLI_CONNECT_TO) != 0)
		rc = -1;
	if (env("CB_SSE_C_KEY") != NULL &&
	    ssec_set(o, env("CB_SSE_C_KEY"), "CB_SSE_C_KEY") != 0)
		rc = -1;
	return (rc);
}

/* "HOST:PORT" or "[V6]:PORT". */
static int
valid_connect_to(const char *s)
{
	const char *colon;
	uint64_t port;

	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL || colon == s + 1)
			return (0);
		colon++;
	} else if ((colon = strrchr(s, ':')) == NULL || colon == s ||
	    memchr(s, ':', (size_t)(colon - s)) != NULL) {
		return (0);
	}
	return (strcspn(s, " \t\r\n/@") == strlen(s) &&
	    num_parse_u64(colon + 1, 1, 65535, &port) == 0);
}

static int
bad(const char *what, const char *arg, const char *expect)
{

	warn0("invalid %s '%s': expected %s", what, arg, expect);
	return (-1);
}

int
s3cli_option(struct s3cli *o, int ch, const char *arg)
{
	uint64_t u;

	switch (ch) {
	case S3CLI_ENDPOINT: o->endpoint = arg; return (1);
	case S3CLI_REGION: o->region = arg; return (1);
	case S3CLI_PROFILE: o->profile = arg; return (1);
	case S3CLI_ADDRESSING:
		if (strcmp(arg, "auto") == 0)
			o->addressing = S3_ADDR_AUTO;
		else if (strcmp(arg, "virtual") == 0)
			o->addressing = S3_ADDR_VIRTUAL;
		else if (strcmp(arg, "path") == 0)
			o->addressing = S3_ADDR_PATH;
		else
			return (bad("addressing style", arg,
			    "auto, virtual or path"));
		return (1);
	case S3CLI_CA_BUNDLE:
		if (access(arg, R_OK) != 0) {
			warnp("cannot read the CA bundle '%s'", arg);
			return (-1);
		}
		o->ca_bundle = arg;
		return (1);
	case S3CLI_CONNECT_TO:
		if (!valid_connect_to(arg))
			return (bad("address to connect to", arg,
			    "HOST:PORT"));
		o->connect_to = arg;
		return (1);
	case S3CLI_SSE_C_KEY_FILE:
		return (ssec_read(o, arg) == 0 ? 1 : -1);
	case 'v': o->verbose++; return (1);
	case 'q': o->quiet = 1; return (1);
	case S3CLI_PROGRESS:
		if (arg == NULL)
			o->progress = 1;
		else if (num_parse_u64(arg, 1, 86400, &u) != 0) {
			warn0("invalid --progress '%s': expected 1 to 86400 "
			    "seconds", arg);
			return (-1);
		} else
			o->progress_secs = (unsigned int)u;
		return (1);
	case S3CLI_RETRIES:
		if (num_parse_u64(arg, 1, 100, &u) != 0)
			return (bad("try count", arg, "1 to 100"));
		o->attempts = (int)u;
		return (1);
	case S3CLI_RETRY_DELAY:
		if (num_parse_u64(arg, 0, 60000, &u) != 0)
			return (bad("retry delay", arg, "0 to 60000 ms"));
		o->retry_ms = (int)u;
		return (1);
	case S3CLI_TIMEOUT:
	case S3CLI_CONNECT_TIMEOUT:
		if (num_parse_u64(arg, 1, 86400, &u) != 0)
			return (bad("timeout", arg, "1 to 86400 seconds"));
		*(ch == S3CLI_TIMEOUT ? &o->timeout : &o->connect_timeout) =
		    (long)u;
		return (1);
	case 'j':
		if (num_parse_u64(arg, 1, 256, &u) != 0)
			return (bad("concurrency", arg, "1 to 256"));
		o->concurrency = (int)u;
		return (1);
	case S3CLI_RATE_LIMIT:
		if (num_parse_size(arg, &u) != 0 || u < 1024)
			return (bad("rate limit", arg,
			    "bytes per second, at least 1K"));
		o->rate_limit = u;
		return (1);
	case S3CLI_PART_SIZE:
		if (num_parse_size(arg, &u) != 0 || u < 5 * 1024 * 1024 ||
		    u > 5ULL * 1024 * 1024 * 1024)
			return (bad("part size", arg, "5M to 5G"));
		o->part_size = (size_t)u;
		return (1);
	}
	return (0);
}

int
s3cli_progress_check(const struct s3cli *o, int list, int argc,
    char *const argv[])
{

	if (list && o->progress && argc == 2 &&
	    strspn(argv[0], "0123456789") == strlen(argv[0])) {
		warn0("--progress takes SECONDS after an '=': --progress=%s",
		    argv[0]);
		return (-1);
	}
	if (o->progress_secs > 0 && !list) {
		warn0("--progress=SECONDS needs --list");
		return (-1);
	}
	return (0);
}

int
s3cli_parse_url(const char *url, char **bucket, char **key)
{
	const char *b, *slash;

	*bucket = *key = NULL;
	if (strncmp(url, "s3://", 5) != 0 || url[5] == '\0' || url[5] == '/') {
		warn0("invalid S3 URL '%s': expected s3://BUCKET/KEY", url);
		return (-1);
	}
	b = url + 5;
	slash = strchr(b, '/');
	*bucket = slash ? strndup(b, (size_t)(slash - b)) : strdup(b);
	*key = strdup(slash ? slash + 1 : "");
	if (*bucket == NULL || *key == NULL) {
		warnp("cannot allocate");
		free(*bucket);
		free(*key);
		return (-1);
	}
	return (0);
}

int
s3cli_open(struct s3cli *o, const char *bucket)
{
	struct s3_opts so;
	char *host, *origin, *prefix;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0) {
		warn0("cannot initialise libcurl");
		return (EX_FAILURE);
	}
	warnp_set_verbose(o->verbose);
	if ((o->region_res = awscred_region(o->region, o->profile)) == NULL) {
		warnp("cannot allocate");
		return (EX_FAILURE);
	}
	o->endpoint_res = awscred_endpoint(o->endpoint, o->profile);
	warnp_debug(1, "endpoint %s, region %s", o->endpoint_res ?
	    o->endpoint_res : "AWS", o->region_res);
	so = (struct s3_opts){ .endpoint = o->endpoint_res,
	    .region = o->region_res, .bucket = bucket,
	    .addressing = o->addressing, .ca_bundle = o->ca_bundle,
	    .connect_to = o->connect_to,
	    .attempts = o->attempts, .retry_base_ms = o->retry_ms,
	    .retry_cap_ms = 20000, .timeout = o->timeout,
	    .connect_timeout = o->connect_timeout,
	    .rate_limit = o->rate_limit, .verbose = o->verbose,
	    .ssec_key = o->ssec_key[0] != '\0' ? o->ssec_key : NULL };
	if (so.retry_cap_ms < so.retry_base_ms)
		so.retry_cap_ms = so.retry_base_ms;
	/* A bad endpoint is a usage error, whatever the credentials. */
	if (s3_address(&so, so.region, &host, &origin, &prefix) != 0)
		return (EX_USAGE);
	if (so.ssec_key != NULL && strncmp(origin, "https://", 8) != 0) {
		warn0("cannot use an SSE-C key over plain http: it would "
		    "cross the network in the clear (use https)");
		free(host);
		free(origin);
		free(prefix);
		return (EX_USAGE);
	}
	free(host);
	free(origin);
	free(prefix);
	/* (no answer from a credential service, such as STS, is 69) */
	if ((o->cred = awscred_new(o->profile, o->profile != NULL)) == NULL)
		return (errno == ENETUNREACH ? EX_UNAVAILABLE : EX_NOPERM);
	if ((o->client = s3_client_new(&so, o->cred)) == NULL)
		return (EX_FAILURE);
	return (0);
}

static void *
progress_run(void *arg)
{
	struct s3cli *o = arg;
	struct timespec start, now, until;
	uint64_t b;
	double secs;
	char line[128];
	int n;

	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_mutex_lock(&o->progress_lock);
	while (!o->progress_stop) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_cond_timedwait(&o->progress_cv, &o->progress_lock,
		    &until);
		clock_gettime(CLOCK_MONOTONIC, &now);
		secs = (double)(now.tv_sec - start.tv_sec) +
		    (double)(now.tv_nsec - start.tv_nsec) / 1e9;
		b = s3_client_moved(o->client);
		n = snprintf(line, sizeof(line), "\r%s: %.1f MiB in %.0f s, "
		    "%.1f MiB/s%s", warnp_progname(), (double)b / 1048576,
		    secs, secs > 0 ? (double)b / 1048576 / secs : 0.0,
		    o->progress_stop ? "\n" : "   ");
		if (n > 0 && write(STDERR_FILENO, line, (size_t)n) < 0)
			break;
	}
	pthread_mutex_unlock(&o->progress_lock);
	return (NULL);
}

void
s3cli_progress_start(struct s3cli *o)
{

	if (o->quiet || o->progress_secs > 0 ||
	    (!o->progress && !isatty(STDERR_FILENO)) || o->client == NULL)
		return;
	pthread_mutex_init(&o->progress_lock, NULL);
	pthread_cond_init(&o->progress_cv, NULL);
	if (pthread_create(&o->progress_tid, NULL, progress_run, o) == 0)
		o->progress_on = 1;
}

static void
progress_end(struct s3cli *o)
{

	if (!o->progress_on)
		return;
	pthread_mutex_lock(&o->progress_lock);
	o->progress_stop = 1;
	pthread_cond_signal(&o->progress_cv);
	pthread_mutex_unlock(&o->progress_lock);
	pthread_join(o->progress_tid, NULL);
	pthread_mutex_destroy(&o->progress_lock);
	pthread_cond_destroy(&o->progress_cv);
	o->progress_on = 0;
}

void
s3cli_close(struct s3cli *o)
{

	progress_end(o);
	s3_client_free(o->client);
	awscred_free(o->cred);
	free(o->region_res);
	free(o->endpoint_res);
	OPENSSL_cleanse(o->ssec_key, sizeof(o->ssec_key));
	o->client = NULL;
	o->cred = NULL;
	curl_global_cleanup();
}

void
s3cli_list_stop(struct s3cli *o, int rc)
{
	int zero = 0;

	if (rc != EX_NOPERM && rc != EX_UNAVAILABLE)
		return;
	if (__atomic_compare_exchange_n(&o->stop_rc, &zero, rc, 0,
	    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
		warn0("stopping: %s, so no further object is tried",
		    rc == EX_NOPERM ? "access is denied" :
		    "the service is unavailable");
		s3_cancel();
	}
}

int
s3cli_list_stopped(struct s3cli *o)
{

	return (__atomic_load_n(&o->stop_rc, __ATOMIC_SEQ_CST));
}

static void
on_signal(int sig)
{

	caught = sig;
	s3_cancel();
}

void
s3cli_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int
s3cli_signal_caught(void)
{

	return (caught);
}
