#ifndef AWSKEYS_H
#define AWSKEYS_H

/*
 * One set of AWS credentials, as the credential providers (awscred) and
 * the STS client (sts) pass them around.  Fixed buffers, so that a copy
 * is a struct assignment and wiping is one OPENSSL_cleanse.
 */

#include <time.h>

struct awscred {
	char	akid[128];
	char	secret[128];
	char	token[4096];	/* "" when there is none */
	time_t	expires;	/* 0: never */
};

#endif
