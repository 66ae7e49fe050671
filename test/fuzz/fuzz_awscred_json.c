/*
 * libFuzzer target for the credentials JSON that IMDS and the container
 * endpoint answer (awscred_parse_json): parse or refuse, never overflow
 * the fixed secret buffers.
 */

#include "awscred.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct awscred c;

	memset(&c, 0x5a, sizeof(c));
	if (awscred_parse_json((const char *)data, size, &c) == 0 &&
	    (strnlen(c.akid, sizeof(c.akid)) == sizeof(c.akid) ||
	    strnlen(c.secret, sizeof(c.secret)) == sizeof(c.secret) ||
	    strnlen(c.token, sizeof(c.token)) == sizeof(c.token)))
		abort();
	awscred_clear(&c);
	return (0);
}
