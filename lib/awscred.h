#ifndef AWSCRED_H
#define AWSCRED_H

/*
 * AWS credentials, region and endpoint, found the way the aws CLI finds
 * them (see cb-s3put(1), ENVIRONMENT):
 *   1. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN
 *      (skipped when a profile is named explicitly with --profile);
 *   2. the profile (--profile, AWS_PROFILE, AWS_DEFAULT_PROFILE,
 *      "default") in the shared credentials file, then the config file:
 *      a role_arn is assumed through STS (sts.h) with the credentials of
 *      its source_profile (chains allowed, loops refused), of its
 *      credential_source (Environment, Ec2InstanceMetadata,
 *      EcsContainer) or with its web_identity_token_file; mfa_serial is
 *      refused (no prompts in unattended runs);
 *   3. web identity: AWS_WEB_IDENTITY_TOKEN_FILE, AWS_ROLE_ARN,
 *      AWS_ROLE_SESSION_NAME (the token file is read at each refresh);
 *   4. the profile's static keys, else its credential_process (split
 *      into words like the aws CLI's shlex.split, run without a shell,
 *      JSON Version 1 on its stdout); SSO profiles are refused;
 *   5. container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or
 *      _FULL_URI, with AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]; the
 *      file is read at each fetch, since EKS Pod Identity rotates it);
 *   6. EC2 instance metadata, IMDSv2 token first, IMDSv1 as fallback when
 *      the token request is refused or gets no answer
 *      (AWS_EC2_METADATA_SERVICE_ENDPOINT, AWS_EC2_METADATA_DISABLED).
 * Temporary credentials (any with an Expiration) are refreshed AWSCRED_REFRESH_MARGIN
 * seconds before they expire, by whichever thread asks first.
 * Secrets are kept in fixed buffers that are wiped when dropped.
 */

#include "awskeys.h"	/* struct awscred: a copy of the credentials */

#define AWSCRED_REFRESH_MARGIN	300	/* seconds before expiry */

struct awscred_src;

/*
 * Find credentials for profile (NULL: from the environment, see above;
 * explicit: the profile was given as an option).  Returns NULL if none
 * can be found (reported), errno ENETUNREACH if STS gave no answer,
 * EACCES otherwise.
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

/*
 * The same for a credential_process's output: Version 1, AccessKeyId,
 * SecretAccessKey, SessionToken, an optional Expiration (expires 0
 * without one).  Returns 0 or -1 (nothing printed).
 */
int awscred_parse_process_json(const char *json, size_t len,
    struct awscred *c);

/*
 * Split cmd into words as Python's shlex.split does (the aws CLI splits
 * credential_process so): blanks separate words, '...' is literal, "..."
 * keeps \" and \\ escapes, a backslash outside quotes escapes the next
 * character; nothing else a shell does.  Returns a NULL-terminated vector
 * (free with awscred_argv_free), or NULL if cmd is empty, has an open
 * quote, or memory runs out.
 */
char **awscred_split(const char *cmd);

/* Free a vector from awscred_split; NULL is a no-op. */
void awscred_argv_free(char **v);

#endif
