#ifndef STS_H
#define STS_H

/*
 * A client of AWS STS for the credential providers: AssumeRole, signed
 * with SigV4 by the source credentials, and AssumeRoleWithWebIdentity,
 * unsigned.  Query API over HTTPS POST (form body), XML answers.
 */

#include <stddef.h>

#include "awskeys.h"

#define STS_REFUSED	(-1)	/* STS said no, or answered nonsense */
#define STS_UNANSWERED	(-2)	/* no answer (after a few tries) */

struct sts_role {
	const char	*arn;
	const char	*session;	/* RoleSessionName */
	const char	*external_id;	/* or NULL */
	long		 duration;	/* DurationSeconds, 0: STS default */
	const char	*web_token;	/* not NULL: AssumeRoleWithWebIdentity */
};

/*
 * Assume role r at the STS endpoint url (signing region region), signed
 * with src (AssumeRole) or unsigned (r->web_token set; src unused).  The
 * temporary credentials go to out.  Returns 0, STS_REFUSED or
 * STS_UNANSWERED (reported, with the STS error code; never a secret).
 */
int sts_assume_role(const char *url, const char *region,
    const struct sts_role *r, const struct awscred *src,
    struct awscred *out);

/*
 * Parse an STS answer: the Credentials of an AssumeRole or
 * AssumeRoleWithWebIdentity result into out (0), or an ErrorResponse's
 * Code and Message into code and msg (-1; "" if it is not one).  Nothing
 * printed.  Exposed for the unit and fuzz tests.
 */
int sts_parse(const char *doc, size_t len, struct awscred *out, char *code,
    size_t codesize, char *msg, size_t msgsize);

/*
 * A libcurl write callback: append to the struct strbuf cookie, refusing
 * answers over 64 KiB.  Also used by awscred's metadata requests.
 */
size_t sts_curl_collect(char *p, size_t sz, size_t n, void *cookie);

#endif
