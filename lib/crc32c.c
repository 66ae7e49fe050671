#include <pthread.h>
#include <string.h>

#include "crc32c.h"

/*
 * The crc32 instruction takes 3 cycles and starts one a cycle: three
 * streams of LANE bytes are run at once and joined by shifting the first
 * ones' CRCs over the bytes that follow them (the CRC register is linear:
 * crc(c, A || B) = shift(crc(c, A), |B|) ^ crc(0, B)).
 */
#define LANE		4096

static uint32_t table[8][256];
static uint32_t shift_lane[4][256];	/* a register past LANE zero bytes */
static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_sse42;

static uint32_t crc_sw(uint32_t c, const unsigned char *p, size_t len);

/* shift_lane[] from the register of each single bit past LANE zeros. */
static void
crc32c_init_shift(void)
{
	static const unsigned char zeros[LANE];
	uint32_t bit[32];
	int i, k, b;

	for (i = 0; i < 32; i++)
		bit[i] = crc_sw((uint32_t)1 << i, zeros, LANE);
	for (k = 0; k < 4; k++)
		for (b = 0; b < 256; b++) {
			shift_lane[k][b] = 0;
			for (i = 0; i < 8; i++)
				if (b & (1 << i))
					shift_lane[k][b] ^= bit[8 * k + i];
		}
}

static void
crc32c_init(void)
{
	uint32_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = (uint32_t)i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78 : c >> 1;
		table[0][i] = c;
	}
	for (i = 0; i < 256; i++)
		for (j = 1; j < 8; j++)
			table[j][i] = (table[j - 1][i] >> 8) ^
			    table[0][table[j - 1][i] & 0xff];
	crc32c_init_shift();
#if defined(__x86_64__)
	__builtin_cpu_init();
	have_sse42 = __builtin_cpu_supports("sse4.2");
#endif
}

#if defined(__x86_64__)
__attribute__((target("sse4.2")))
static uint32_t
crc_hw(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c64 = c, v;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&v, p, 8);
		c64 = __builtin_ia32_crc32di(c64, v);
	}
	c = (uint32_t)c64;
	for (; len > 0; p++, len--)
		c = __builtin_ia32_crc32qi(c, *p);
	return (c);
}

static uint32_t
shift(uint32_t c)
{

	return (shift_lane[0][c & 0xff] ^ shift_lane[1][(c >> 8) & 0xff] ^
	    shift_lane[2][(c >> 16) & 0xff] ^ shift_lane[3][c >> 24]);
}

/* Three lanes at a time, the rest (under 3 * LANE bytes) in one. */
__attribute__((target("sse4.2")))
static uint32_t
crc_hw3(uint32_t c, const unsigned char *p, size_t len)
{
	uint64_t c0, c1, c2, v0, v1, v2;
	size_t i;

	for (; len >= 3 * LANE; p += 3 * LANE, len -= 3 * LANE) {
		c0 = c;
		c1 = c2 = 0;
		for (i = 0; i < LANE; i += 8) {
			memcpy(&v0, p + i, 8);
			memcpy(&v1, p + LANE + i, 8);
			memcpy(&v2, p + 2 * LANE + i, 8);
			c0 = __builtin_ia32_crc32di(c0, v0);
			c1 = __builtin_ia32_crc32di(c1, v1);
			c2 = __builtin_ia32_crc32di(c2, v2);
		}
		c = shift(shift((uint32_t)c0) ^ (uint32_t)c1) ^ (uint32_t)c2;
	}
	return (crc_hw(c, p, len));
}
#endif

static uint32_t
crc_sw(uint32_t c, const unsigned char *p, size_t len)
{
	uint32_t lo, hi;

	for (; len >= 8; p += 8, len -= 8) {
		memcpy(&lo, p, 4);
		memcpy(&hi, p + 4, 4);
		lo ^= c;
		c = table[7][lo & 0xff] ^ table[6][(lo >> 8) & 0xff] ^
		    table[5][(lo >> 16) & 0xff] ^ table[4][lo >> 24] ^
		    table[3][hi & 0xff] ^ table[2][(hi >> 8) & 0xff] ^
		    table[1][(hi >> 16) & 0xff] ^ table[0][hi >> 24];
	}
	for (; len > 0; p++, len--)
		c = table[0][(c ^ *p) & 0xff] ^ (c >> 8);
	return (c);
}

uint32_t
crc32c(uint32_t crc, const void *buf, size_t len)
{
	uint32_t c = ~crc;

	pthread_once(&once, crc32c_init);
#if defined(__x86_64__)
	if (have_sse42)
		return (~crc_hw3(c, buf, len));
#endif
	return (~crc_sw(c, buf, len));
}
