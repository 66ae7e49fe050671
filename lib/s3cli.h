#ifndef S3CLI_H
#define S3CLI_H

/*
 * The options cb-s3put and cb-s3get share (endpoint, credentials,
 * retries, timeouts, concurrency, rate limit), their parsing, and setting
 * up the client from them.
 */

#include <getopt.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "awscred.h"
#include "s3.h"

/* Option codes of the shared long options (beyond any char). */
enum {
	S3CLI_ENDPOINT = 300, S3CLI_REGION, S3CLI_PROFILE, S3CLI_RETRIES,
	S3CLI_RETRY_DELAY, S3CLI_TIMEOUT, S3CLI_CONNECT_TIMEOUT,
	S3CLI_RATE_LIMIT, S3CLI_PART_SIZE, S3CLI_PROGRESS, S3CLI_ADDRESSING,
	S3CLI_CA_BUNDLE, S3CLI_CONNECT_TO, S3CLI_SSE_C_KEY_FILE
};

/* Entries for a getopt_long table, ending without the terminator. */
#define S3CLI_LONGOPTS							\
	{ "endpoint", required_argument, NULL, S3CLI_ENDPOINT },	\
	{ "region", required_argument, NULL, S3CLI_REGION },		\
	{ "profile", required_argument, NULL, S3CLI_PROFILE },		\
	{ "addressing-style", required_argument, NULL, S3CLI_ADDRESSING }, \
	{ "ca-bundle", required_argument, NULL, S3CLI_CA_BUNDLE },	\
	{ "connect-to", required_argument, NULL, S3CLI_CONNECT_TO },	\
	{ "sse-c-key-file", required_argument, NULL,			\
	    S3CLI_SSE_C_KEY_FILE },					\
	{ "retries", required_argument, NULL, S3CLI_RETRIES },		\
	{ "retry-delay", required_argument, NULL, S3CLI_RETRY_DELAY },	\
	{ "timeout", required_argument, NULL, S3CLI_TIMEOUT },		\
	{ "connect-timeout", required_argument, NULL,			\
	    S3CLI_CONNECT_TIMEOUT },					\
	{ "rate-limit", required_argument, NULL, S3CLI_RATE_LIMIT },	\
	{ "part-size", required_argument, NULL, S3CLI_PART_SIZE },	\
	{ "concurrency", required_argument, NULL, 'j' },		\
	{ "progress", optional_argument, NULL, S3CLI_PROGRESS },	\
	{ "verbose", no_argument, NULL, 'v' },				\
	{ "quiet", no_argument, NULL, 'q' }

struct s3cli {
	const char		*endpoint;
	const char		*region;
	const char		*profile;
	enum s3_addressing	 addressing;
	const char		*ca_bundle;	/* or AWS_CA_BUNDLE */
	const char		*connect_to;	/* or CB_S3_CONNECT_TO */
	int			 attempts;	/* or AWS_MAX_ATTEMPTS */
	int			 retry_ms;
	long			 timeout;
	long			 connect_timeout;
	uint64_t		 rate_limit;
	size_t			 part_size;
	int			 concurrency;
	int			 verbose;
	int			 quiet;
	int			 progress;	/* --progress: the live line */
	unsigned int		 progress_secs;	/* --progress=SECONDS: list
						   mode's lines (meter.h) */
	char			 ssec_key[48];	/* SSE-C key, base64, or "";
						   wiped by s3cli_close() */
	/* set by s3cli_open() */
	struct awscred_src	*cred;
	struct s3_client	*client;
	char			*region_res;
	char			*endpoint_res;
	pthread_t		 progress_tid;
	int			 progress_on;
	int			 progress_stop;
	pthread_mutex_t		 progress_lock;
	pthread_cond_t		 progress_cv;
	int			 stop_rc;	/* s3cli_list_stop() */
};

/* Defaults, and those the environment sets (reported if invalid: -1). */
int s3cli_init(struct s3cli *o);

/*
 * Handle a shared option: 1 if ch was one (and valid), 0 if not ours,
 * -1 if its argument is invalid (reported).
 */
int s3cli_option(struct s3cli *o, int ch, const char *arg);

/*
 * After the options, with argc and argv the operands: whether
 * --progress=SECONDS goes with the mode (list, the list mode that takes
 * it, or not), and --progress is not followed by a number, which getopt
 * took for an operand (SECONDS goes after an '=').  Returns 0, or -1
 * (reported): a usage error.
 */
int s3cli_progress_check(const struct s3cli *o, int list, int argc,
    char *const argv[]);

/*
 * Split "s3://BUCKET/KEY" into new strings; *key is "" when absent.
 * Returns 0, or -1 if url is not an S3 URL (reported).
 */
int s3cli_parse_url(const char *url, char **bucket, char **key);

/*
 * Find credentials and make the client for bucket.  Returns 0, or the exit
 * status of the failure (reported): 77 no credentials, 64 a bad endpoint,
 * 1 anything else; s3cli_close() releases either way.
 */
int s3cli_open(struct s3cli *o, const char *bucket);
void s3cli_close(struct s3cli *o);

/*
 * A live progress line on stderr (bytes moved, rate), once a second, when
 * stderr is a terminal or --progress was given, unless -q or
 * --progress=SECONDS (its lines instead).  Stopped (and its line ended) by
 * s3cli_close().
 */
void s3cli_progress_start(struct s3cli *o);

/*
 * List mode: a failure no other object would escape, denied (77) or the
 * service unusable (69: unreachable after every try, a certificate that
 * does not verify, NotImplemented), stops the whole run.  Given such an
 * exit status rc, s3cli_list_stop() keeps the first one and cancels the
 * requests in flight (s3_cancel()); other statuses do nothing.  Thread
 * safe.  s3cli_list_stopped() returns the status kept, or 0: no further
 * object is to be tried.
 */
void s3cli_list_stop(struct s3cli *o, int rc);
int s3cli_list_stopped(struct s3cli *o);

/*
 * Catch SIGINT and SIGTERM (s3_cancel()), ignore SIGPIPE.  Returns the
 * signal caught so far, or 0.
 */
void s3cli_signals(void);
int s3cli_signal_caught(void);

#endif
