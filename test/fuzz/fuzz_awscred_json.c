/*
 * libFuzzer target for the credentials documents from outside: the JSON
 * that IMDS and the container endpoint answer (awscred_parse_json), the
 * JSON a credential_process prints (awscred_parse_process_json) and the
 * XML STS answers (sts_parse): parse or refuse, never overflow the fixed
 * secret buffers.
 */

#include "awscred.h"
#include "fuzz_util.h"
#include "sts.h"

static void
check(int rc, struct awscred *c)
{

	if (rc == 0 && (strnlen(c->akid, sizeof(c->akid)) == sizeof(c->akid) ||
	    strnlen(c->secret, sizeof(c->secret)) == sizeof(c->secret) ||
	    strnlen(c->token, sizeof(c->token)) == sizeof(c->token)))
		abort();
	awscred_clear(c);
	memset(c, 0x5a, sizeof(*c));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	struct awscred c;
	char code[64], msg[256];

	memset(&c, 0x5a, sizeof(c));
	check(awscred_parse_json(s, size, &c), &c);
	check(awscred_parse_process_json(s, size, &c), &c);
	check(sts_parse(s, size, &c, code, sizeof(code), msg, sizeof(msg)),
	    &c);
	if (strnlen(code, sizeof(code)) == sizeof(code) ||
	    strnlen(msg, sizeof(msg)) == sizeof(msg))
		abort();
	return (0);
}
