/*
 * libFuzzer target for the packer: any input packed at a level chosen by
 * its first byte, on 1..3 threads, must unpack to itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lzop.h"

struct mem {
	uint8_t	*buf;
	size_t	 len, cap;
};

static int
mem_sink(void *cookie, const void *buf, size_t len)
{
	struct mem *m = cookie;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		if ((m->buf = realloc(m->buf, m->cap)) == NULL)
			abort();
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return (0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int levels[] = { 1, 3, 7 };
	struct lzop_pack_opts o = { .name = "f", .mode = 0100644 };
	struct lzop_packer *p;
	struct lzop_unpacker *u;
	struct mem z = { 0 }, back = { 0 };

	if (size > 0) {
		o.level = levels[data[0] % 3];
		o.store = (data[0] & 0x80) != 0;
		o.nthreads = 1 + data[0] / 3 % 3;
	}
	if ((p = lzop_packer_new(&o, mem_sink, &z)) == NULL)
		abort();
	if (lzop_packer_write(p, data, size) != 0 ||
	    lzop_packer_finish(p) != 0)
		abort();
	lzop_packer_free(p);
	if ((u = lzop_unpacker_new(2, mem_sink, &back)) == NULL)
		abort();
	if (lzop_unpacker_write(u, z.buf, z.len) != 0 ||
	    lzop_unpacker_finish(u) != 0)
		abort();
	lzop_unpacker_free(u);
	if (back.len != size || (size > 0 && memcmp(back.buf, data, size) != 0))
		abort();
	free(z.buf);
	free(back.buf);
	return (0);
}
