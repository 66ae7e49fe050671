#ifndef AWSCRED_H
#define AWSCRED_H

/*
 * AWS credentials, region and endpoint, found the way the aws CLI finds
 * them (see cb-s3put(1), ENVIRONMENT):
 *   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *      (skipped when a profile is named explicitly with --profile);
 *   2. the shared credentials file, then the config file, for the profile
 *      (--profile, AWS_PROFILE, AWS_DEFAULT_PROFILE, "default");
 *   3. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]; the
 *      file is read at each fetch, since EKS Pod Identity rotates it);
 *   4. EC2 instance metadata, IMDSv2 token first, IMDSv1 as fallback when
 *      the token request is refused or gets no answer
 *      (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).
 * Temporary credentials (3, 4) are refreshed AWSCRED_REFRESH_MARGIN
 * seconds before they expire, by whichever thread asks first.
 * Secrets are kept in fixed buffers that are wiped when dropped.
 */

#include <time.h>

#define AWSCRED_REFRESH_MARGIN	300	/* seconds before expiry */

/* A copy of the current credentials. */
struct awscred {
	char	akid[128];
	char	secret[128];
	char	token[4096];	/* "" when there is none */
	time_t	expires;	/* 0: never */
};

struct awscred_src;

/*
 * Find credentials for profile (NULL: from the environment, see above;
 * explicit: the profile was given as an option).  Returns NULL if none
 * can be found (reported).
 */
struct awscred_src *awscred_new(const char *profile, int explicit);

/*
 * Copy the current credentials into c, refreshing temporary ones first
 * if they are close to expiry.  Thread-safe.  Returns 0, or -1 if they
 * expired and cannot be refreshed (reported).
 */
int awscred_get(struct awscred_src *s, struct awscred *c);

/*
 * The server said the credentials expired (ExpiredToken): refresh now if
 * they can be refreshed.  Returns 0 if refreshed, -1 if not.
 */
int awscred_invalidate(struct awscred_src *s);

/* Where the credentials came from ("environment", "imds", ...). */
const char *awscred_origin(const struct awscred_src *s);

/* Wipe c. */
void awscred_clear(struct awscred *c);

/* Wipe and free; NULL is a no-op. */
void awscred_free(struct awscred_src *s);

/*
 * The region: opt, AWS_REGION, AWS_DEFAULT_REGION, the profile's region,
 * else "us-east-1".  Returns a new string or NULL on allocation failure.
 */
char *awscred_region(const char *opt, const char *profile);

/*
 * The S3 endpoint URL: opt, AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, the
 * profile's services section "s3 = endpoint_url", the profile's
 * endpoint_url (only opt if AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true).
 * Returns a new string, or NULL if none is configured (AWS then).
 */
char *awscred_endpoint(const char *opt, const char *profile);

/*
 * Look key up in section of the INI file path ("parent.child" for a
 * nested key).  Returns a new string or NULL if absent.  Exposed for the
 * unit tests.
 */
char *awscred_ini_get(const char *path, const char *section,
    const char *key);

/*
 * Parse the fields AccessKeyId, SecretAccessKey, Token and Expiration of a
 * credentials JSON document into c.  Returns 0 or -1 (nothing printed).
 */
int awscred_parse_json(const char *json, size_t len, struct awscred *c);

#endif
