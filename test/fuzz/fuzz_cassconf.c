/*
 * libFuzzer target for cassandra.yaml (lib/cassconf.c): any input must
 * parse or be refused, with nothing worse (crash, leak, hang).
 */

#include "cassconf.h"
#include "fuzz_util.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cassconf *c = NULL;
	size_t i;

	if (cassconf_parse((const char *)data, size, "fuzz", &c) != 0)
		return (0);
	for (i = 0; i < c->ndata_dirs; i++)
		if (c->data_dirs[i][0] != '/')
			abort();
	cassconf_free(c);
	return (0);
}
