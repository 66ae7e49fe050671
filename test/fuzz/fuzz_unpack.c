/*
 * libFuzzer target for the lzop decoder: any input, fed in pieces whose
 * sizes come from the input itself, on one or two threads, must end in 0,
 * LZOP_EDATA or nothing worse (no crash, leak, hang or huge allocation).
 */

#include <stddef.h>
#include <stdint.h>

#include "lzop.h"

static int
sink(void *cookie, const void *buf, size_t len)
{
	size_t *total = cookie;

	*total += len;
	return (0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lzop_unpacker *u;
	size_t total = 0, off = 0, n, step;
	int rc = 0;

	/* The last byte picks the piece size and the thread count. */
	step = size > 0 ? (size_t)data[size - 1] * 7 + 1 : 1;
	u = lzop_unpacker_new(size % 3 == 0 ? 2 : 1, sink, &total);
	if (u == NULL)
		return (0);
	while (off < size && rc == 0) {
		n = size - off < step ? size - off : step;
		rc = lzop_unpacker_write(u, data + off, n);
		off += n;
	}
	if (rc == 0)
		rc = lzop_unpacker_finish(u);
	if (rc == LZOP_EDATA)
		(void)lzop_unpacker_error(u);
	lzop_unpacker_free(u);
	return (0);
}
