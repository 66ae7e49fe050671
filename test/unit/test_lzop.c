/*
 * lib/lzop: the byte-exact vectors of the lzop 1.04 reference (section 9),
 * every single-byte corruption and every truncation of a small stream,
 * and decoding fed in pieces of every size.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <lzo/lzo1x.h>

#include "lzop.h"
#include "unit.h"

struct mem {
	unsigned char	*buf;
	size_t		 len, cap;
};

static int
mem_sink(void *cookie, const void *buf, size_t len)
{
	struct mem *m = cookie;

	if (m->len + len > m->cap) {
		m->cap = (m->len + len) * 2;
		if ((m->buf = realloc(m->buf, m->cap)) == NULL)
			return (-1);
	}
	memcpy(m->buf + m->len, buf, len);
	m->len += len;
	return (0);
}

static void
mem_reset(struct mem *m)
{

	free(m->buf);
	memset(m, 0, sizeof(*m));
}

/* (a) */
static const unsigned char vec_a[83] = {
	0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0x10, 0x40,
	0x20, 0xa0, 0x09, 0x40, 0x01, 0x05, 0x03, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x81, 0xa4, 0x5e, 0x0b, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x61, 0x2e, 0x74, 0x78, 0x74, 0x4d, 0x0e, 0x05, 0xc7, 0x00,
	0x00, 0x00, 0x18, 0x00, 0x00, 0x00, 0x18, 0x70, 0xbe, 0x08, 0xbb,
	0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f,
	0x20, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x68, 0x65, 0x6c, 0x6c,
	0x6f, 0x0a, 0x00, 0x00, 0x00, 0x00
};

/* (b) */
static const unsigned char vec_b[88] = {
	0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0x10, 0x40,
	0x20, 0xa0, 0x09, 0x40, 0x01, 0x05, 0x03, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x81, 0xa4, 0x5e, 0x0b, 0xe1, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x05, 0x62, 0x2e, 0x74, 0x78, 0x74, 0x4d, 0x13, 0x05, 0xc8, 0x00,
	0x00, 0x00, 0x40, 0x00, 0x00, 0x00, 0x1d, 0x14, 0x8d, 0x18, 0x41,
	0x02, 0x61, 0x61, 0x61, 0x61, 0x61, 0x20, 0x0b, 0x10, 0x00, 0x0c,
	0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61,
	0x61, 0x61, 0x61, 0x61, 0x11, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00
};

/* (c) */
static const unsigned char vec_c[98] = {
	0x89, 0x4c, 0x5a, 0x4f, 0x00, 0x0d, 0x0a, 0x1a, 0x0a, 0x10, 0x40,
	0x20, 0xa0, 0x09, 0x40, 0x01, 0x05, 0x03, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x1e, 0xb4, 0x01, 0x64, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00,
	0x00, 0x1d, 0x14, 0x8d, 0x18, 0x41, 0x02, 0x61, 0x61, 0x61, 0x61,
	0x61, 0x20, 0x0b, 0x10, 0x00, 0x0c, 0x61, 0x61, 0x61, 0x61, 0x61,
	0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x61, 0x11,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x03, 0x02,
	0xd7, 0x01, 0x6c, 0x78, 0x79, 0x7a, 0x00, 0x00, 0x00, 0x00
};

static const char text_a[] = "hello hello hello hello\n";

static uint32_t
get32(const unsigned char *b)
{

	return ((uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	    (uint32_t)b[2] << 8 | b[3]);
}

/* Pack buf as file `name` with the reference's mode and mtime. */
static int
pack(struct mem *m, const char *name, const void *buf, size_t len,
    int nthreads)
{
	struct lzop_pack_opts o = { .level = 3, .nthreads = nthreads,
	    .name = name, .mode = 0100644, .mtime = 1577836800 };
	struct lzop_packer *p;
	int rc;

	if ((p = lzop_packer_new(&o, mem_sink, m)) == NULL)
		return (-1);
	rc = lzop_packer_write(p, buf, len);
	if (rc == 0)
		rc = lzop_packer_finish(p);
	lzop_packer_free(p);
	return (rc);
}

/* Unpack len bytes fed in pieces of `step`; returns the final status. */
static int
unpack(struct mem *m, const unsigned char *buf, size_t len, size_t step,
    int nthreads, char *err, size_t errlen)
{
	struct lzop_unpacker *u;
	size_t off, n;
	int rc = 0;

	if ((u = lzop_unpacker_new(nthreads, mem_sink, m)) == NULL)
		return (-1);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < step ? len - off : step;
		rc = lzop_unpacker_write(u, buf + off, n);
	}
	if (rc == 0)
		rc = lzop_unpacker_finish(u);
	if (err != NULL)
		snprintf(err, errlen, "%s", lzop_unpacker_error(u));
	lzop_unpacker_free(u);
	return (rc);
}

static void
t_vector_a(void)
{
	struct mem m = { 0 };

	EXPECT(pack(&m, "a.txt", text_a, 24, 1) == 0);
	EXPECT(m.len == sizeof(vec_a));
	if (m.len == sizeof(vec_a))
		EXPECT_MEM(m.buf, vec_a, sizeof(vec_a));
	mem_reset(&m);
	/* the directory part of a name is not stored */
	EXPECT(pack(&m, "/some/dir/a.txt", text_a, 24, 4) == 0);
	EXPECT(m.len == sizeof(vec_a) && memcmp(m.buf, vec_a, m.len) == 0);
	mem_reset(&m);
	EXPECT(unpack(&m, vec_a, sizeof(vec_a), 1, 1, NULL, 0) == 0);
	EXPECT(m.len == 24 && memcmp(m.buf, text_a, 24) == 0);
	mem_reset(&m);
}

static void
t_vector_b(void)
{
	struct mem m = { 0 };
	char a64[64];

	memset(a64, 'a', sizeof(a64));
	EXPECT(pack(&m, "b.txt", a64, 64, 2) == 0);
	EXPECT(m.len == sizeof(vec_b));
	if (m.len == sizeof(vec_b))
		EXPECT_MEM(m.buf, vec_b, sizeof(vec_b));
	mem_reset(&m);
	EXPECT(unpack(&m, vec_b, sizeof(vec_b), 7, 2, NULL, 0) == 0);
	EXPECT(m.len == 64 && memcmp(m.buf, a64, 64) == 0);
	mem_reset(&m);
}

static void
t_vector_c(void)
{
	struct mem m = { 0 };
	char want[67];
	size_t step;

	memset(want, 'a', 64);
	memcpy(want + 64, "xyz", 3);
	for (step = 1; step <= sizeof(vec_c); step++) {
		EXPECT(unpack(&m, vec_c, sizeof(vec_c), step, step % 3 + 1,
		    NULL, 0) == 0);
		EXPECT(m.len == 67 && memcmp(m.buf, want, 67) == 0);
		mem_reset(&m);
	}
}

/* (d): 300000 zero bytes from stdin. */
static void
t_vector_d(void)
{
	struct lzop_pack_opts o = { .nthreads = 2, .mtime = 1577836800,
	    .to_stdout = 1 };
	struct lzop_packer *p;
	struct mem m = { 0 };
	unsigned char *zero = calloc(1, 300000);
	const unsigned char *b;

	p = lzop_packer_new(&o, mem_sink, &m);
	EXPECT(p != NULL && lzop_packer_write(p, zero, 300000) == 0);
	EXPECT(p != NULL && lzop_packer_finish(p) == 0);
	lzop_packer_free(p);
	EXPECT(m.len == 1426);
	if (m.len == 1426) {
		EXPECT(get32(m.buf + 17) == 0x0300000d);
		b = m.buf + 38;
		EXPECT(get32(b) == 262144 && get32(b + 4) == 1183);
		EXPECT(get32(b + 8) == 0x003c0001);
		b += 12 + 1183;
		EXPECT(get32(b) == 37856 && get32(b + 4) == 177);
		EXPECT(get32(b + 8) == 0x93e00001);
		EXPECT(get32(b + 12 + 177) == 0);
	}
	mem_reset(&m);
	free(zero);
}

static void
fill_random(unsigned char *b, size_t n, uint32_t seed)
{
	size_t i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (unsigned char)(seed >> 23);
	}
}

/* (e): 262144 random bytes are one stored block. */
static void
t_vector_e(void)
{
	struct mem m = { 0 }, d = { 0 };
	unsigned char *r = malloc(262144);

	fill_random(r, 262144, 42);
	EXPECT(pack(&m, "r", r, 262144, 3) == 0);
	EXPECT(m.len == 39 + 12 + 262144 + 4);
	EXPECT(get32(m.buf + 39) == 262144 && get32(m.buf + 43) == 262144);
	EXPECT(memcmp(m.buf + 51, r, 262144) == 0);
	EXPECT(unpack(&d, m.buf, m.len, 100000, 2, NULL, 0) == 0);
	EXPECT(d.len == 262144 && memcmp(d.buf, r, 262144) == 0);
	mem_reset(&m);
	mem_reset(&d);
	free(r);
}

/* (f): refusals, and concatenated members. */
static void
t_vector_f(void)
{
	struct mem m = { 0 };
	unsigned char big[38 + 12 + 262145 + 4], bad[sizeof(vec_a)];
	unsigned char ab[sizeof(vec_a) + sizeof(vec_b)];
	char err[200];

	/* a stored block of 262145 bytes after the header of (c) */
	memset(big, 0, sizeof(big));
	memcpy(big, vec_c, 38);
	big[38 + 1] = 0x04; big[38 + 3] = 0x01;		/* d_len 262145 */
	big[38 + 5] = 0x04; big[38 + 7] = 0x01;		/* c_len 262145 */
	EXPECT(unpack(&m, big, sizeof(big), 4096, 1, err, sizeof(err)) ==
	    LZOP_EDATA);
	EXPECT_STR(err, "block length 262145 larger than 262144 at byte 38");
	mem_reset(&m);

	memcpy(bad, vec_a, sizeof(bad));
	bad[60] ^= 0x20;
	EXPECT(unpack(&m, bad, sizeof(bad), 83, 1, err, sizeof(err)) ==
	    LZOP_EDATA);
	EXPECT_STR(err, "block Adler-32 mismatch in block at byte 43");
	EXPECT(m.len == 0);
	mem_reset(&m);

	memcpy(ab, vec_a, sizeof(vec_a));
	memcpy(ab + sizeof(vec_a), vec_b, sizeof(vec_b));
	EXPECT(unpack(&m, ab, sizeof(ab), 50, 2, NULL, 0) == 0);
	EXPECT(m.len == 24 + 64 && memcmp(m.buf, text_a, 24) == 0);
	mem_reset(&m);
}

static void
t_checksums(void)
{

	EXPECT(lzo_adler32(1, NULL, 0) == 1);
	EXPECT(lzo_crc32(0, (const unsigned char *)text_a, 24) == 0x0b598800);
}

/*
 * Every byte of (c) changed, one at a time, and every truncation: always
 * LZOP_EDATA, never a crash, whatever the thread count.  The one exception
 * is a change the LZO1X decoder cannot see (a bit of the end code), which
 * must then still give exactly the right bytes.
 */
static void
t_corrupt_every_byte(void)
{
	unsigned char buf[sizeof(vec_c)];
	struct mem m = { 0 };
	char want[67];
	size_t i, fails = 0;
	int rc;

	memset(want, 'a', 64);
	memcpy(want + 64, "xyz", 3);

	for (i = 0; i < sizeof(vec_c); i++) {
		memcpy(buf, vec_c, sizeof(buf));
		buf[i] ^= (i & 1) ? 0x01 : 0x80;
		rc = unpack(&m, buf, sizeof(buf), 13, i % 3 + 1, NULL, 0);
		if (rc == 0 && m.len == 67 && memcmp(m.buf, want, 67) == 0)
			rc = LZOP_EDATA;
		if (rc != LZOP_EDATA) {
			printf("# flip at %zu: status %d\n", i, rc);
			fails++;
		}
		mem_reset(&m);
	}
	for (i = 0; i < sizeof(vec_c); i++) {
		if (unpack(&m, vec_c, i, 5, 2, NULL, 0) != LZOP_EDATA) {
			printf("# truncation at %zu accepted\n", i);
			fails++;
		}
		mem_reset(&m);
	}
	EXPECT(fails == 0);
}

static void
t_padding_and_garbage(void)
{
	unsigned char buf[sizeof(vec_a) + 8];
	struct mem m = { 0 };
	char err[200];

	memcpy(buf, vec_a, sizeof(vec_a));
	memset(buf + sizeof(vec_a), 0, 8);
	EXPECT(unpack(&m, buf, sizeof(buf), 3, 1, NULL, 0) == 0);
	EXPECT(m.len == 24);
	mem_reset(&m);
	buf[sizeof(vec_a) + 5] = 'x';
	EXPECT(unpack(&m, buf, sizeof(buf), 3, 1, err, sizeof(err)) ==
	    LZOP_EDATA);
	EXPECT_STR(err, "non-NUL byte in the padding at byte 88");
	mem_reset(&m);
	buf[sizeof(vec_a)] = 'x';
	EXPECT(unpack(&m, buf, sizeof(buf), 100, 1, err, sizeof(err)) ==
	    LZOP_EDATA);
	EXPECT_STR(err, "trailing garbage after the lzop stream at byte 83");
	mem_reset(&m);
	EXPECT(unpack(&m, buf, 0, 1, 1, err, sizeof(err)) == LZOP_EDATA);
	EXPECT_STR(err, "empty input, no lzop stream at byte 0");
	mem_reset(&m);
}

/* A multi-block round trip through both directions and several pools. */
static void
t_round_trip(void)
{
	size_t len = 3 * 262144 + 777, i;
	unsigned char *src = malloc(len);
	struct mem m = { 0 }, d = { 0 };
	int j;

	fill_random(src, len / 2, 7);
	for (i = len / 2; i < len; i++)
		src[i] = (unsigned char)("cassandra"[i % 9] + (i / 4096) % 3);
	for (j = 1; j <= 4; j++) {
		EXPECT(pack(&m, "x", src, len, j) == 0);
		EXPECT(unpack(&d, m.buf, m.len, 65536 + j, 5 - j, NULL, 0) ==
		    0);
		EXPECT(d.len == len && memcmp(d.buf, src, len) == 0);
		mem_reset(&m);
		mem_reset(&d);
	}
	free(src);
}

static void
put32(unsigned char *b, uint32_t v)
{

	b[0] = (unsigned char)(v >> 24);
	b[1] = (unsigned char)(v >> 16);
	b[2] = (unsigned char)(v >> 8);
	b[3] = (unsigned char)v;
}

/*
 * A hand-built member: header with the given fields (CRC-32 or Adler-32
 * header checksum as flags say, an extra field of xlen bytes if flagged),
 * one stored block "xyz" with the data checksums flags ask for, end marker.
 */
static size_t
build(unsigned char *b, uint32_t need, int method, int level, uint32_t fl,
    uint32_t xlen)
{
	size_t n = 9, h;
	uint32_t sum;
	int crc = (fl & 0x1000) != 0;

	memcpy(b, vec_c, 9);
	b[n++] = 0x10; b[n++] = 0x40; b[n++] = 0x20; b[n++] = 0xa0;
	b[n++] = (unsigned char)(need >> 8); b[n++] = (unsigned char)need;
	b[n++] = (unsigned char)method;
	b[n++] = (unsigned char)level;
	put32(b + n, fl), n += 4;
	if (fl & 0x800)
		put32(b + n, 1), n += 4;
	memset(b + n, 0, 12), n += 12;		/* mode, mtime */
	b[n++] = 1;
	b[n++] = 'x';
	sum = crc ? lzo_crc32(0, b + 9, n - 9) : lzo_adler32(1, b + 9, n - 9);
	put32(b + n, sum), n += 4;
	if (fl & 0x40) {
		h = n;
		put32(b + n, xlen), n += 4;
		memset(b + n, 'e', xlen), n += xlen;
		sum = crc ? lzo_crc32(0, b + h, n - h) :
		    lzo_adler32(1, b + h, n - h);
		put32(b + n, sum), n += 4;
	}
	put32(b + n, 3), n += 4;
	put32(b + n, 3), n += 4;
	if (fl & 0x1)
		put32(b + n, lzo_adler32(1, (const unsigned char *)"xyz", 3)),
		    n += 4;
	if (fl & 0x100)
		put32(b + n, lzo_crc32(0, (const unsigned char *)"xyz", 3)),
		    n += 4;
	memcpy(b + n, "xyz", 3), n += 3;
	put32(b + n, 0), n += 4;
	return (n);
}

/* Header variants lzop 1.x may write are read; the rest is refused. */
static void
t_header_rules(void)
{
	static const struct {
		uint32_t	 need, fl, xlen;
		int		 method, level;
		const char	*err;		/* NULL: decodes to "xyz" */
	} c[] = {
		{ 0x0940, 0x03000001, 0, 1, 5, NULL },
		{ 0x1001, 0x03001100, 0, 1, 5, NULL },	/* CRC-32 everywhere */
		{ 0x0940, 0x03000041, 300, 2, 1, NULL },	/* extra field */
		{ 0x1001, 0x03001141, 0, 3, 9, NULL },
		{ 0x0940, 0x03000000, 0, 3, 0, NULL },	/* level 0, no sums */
		{ 0x1041, 0x03000001, 0, 1, 5,
		    "needs lzop version 0x1041 at byte 13" },
		{ 0x0940, 0x03000001, 0, 4, 5, "unknown method 4 at byte 15" },
		{ 0x0940, 0x03000001, 0, 1, 10, "invalid level 10 at byte 16" },
		{ 0x0940, 0x03004001, 0, 1, 5,
		    "reserved flags 0x00004000 set at byte 17" },
		{ 0x0940, 0x03000002, 0, 1, 5,
		    "compressed-data checksum flag without its data flag "
		    "at byte 17" },
		{ 0x0950, 0x03000801, 0, 1, 5, "unsupported filter 1 at byte 21" },
	};
	unsigned char b[600];
	struct mem m = { 0 };
	char err[200];
	size_t i, n;
	int rc;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		n = build(b, c[i].need, c[i].method, c[i].level, c[i].fl,
		    c[i].xlen);
		rc = unpack(&m, b, n, 11, 1, err, sizeof(err));
		if (c[i].err == NULL) {
			EXPECT(rc == 0 && m.len == 3 &&
			    memcmp(m.buf, "xyz", 3) == 0);
			if (rc != 0)
				printf("# case %zu: %s\n", i, err);
		} else {
			EXPECT(rc == LZOP_EDATA);
			EXPECT_STR(err, c[i].err);
		}
		mem_reset(&m);
	}
	/* a wrong extra-field checksum */
	n = build(b, 0x0940, 1, 5, 0x03000041, 5);
	b[38 + 4 + 5] ^= 1;
	EXPECT(unpack(&m, b, n, 64, 1, err, sizeof(err)) == LZOP_EDATA);
	EXPECT_STR(err, "extra field checksum mismatch at byte 48");
	mem_reset(&m);
}

int
main(void)
{

	TEST(t_vector_a);
	TEST(t_vector_b);
	TEST(t_vector_c);
	TEST(t_vector_d);
	TEST(t_vector_e);
	TEST(t_vector_f);
	TEST(t_checksums);
	TEST(t_corrupt_every_byte);
	TEST(t_padding_and_garbage);
	TEST(t_round_trip);
	TEST(t_header_rules);
	return (unit_done());
}
