/*
 * lib/adler32: the values of lzo_adler32 (lzop's own), for every length
 * around the 32-byte steps and the NMAX runs, any alignment, and bytes of
 * 0xff (the largest sums, where an overflow would show).
 */
#include <stdlib.h>
#include <string.h>

#include <lzo/lzoconf.h>

#include "adler32.h"
#include "unit.h"

static int
same(const unsigned char *b, size_t len, uint32_t start)
{

	return (adler32_update(start, b, len) ==
	    (uint32_t)lzo_adler32(start, b, (lzo_uint)len));
}

static void
t_values(void)
{

	EXPECT(adler32_update(1, "", 0) == 1);
	/* zlib's example: "Wikipedia" is 0x11e60398 */
	EXPECT(adler32_update(1, "Wikipedia", 9) == 0x11e60398);
}

static void
t_against_lzo(void)
{
	size_t n = 3 * 1048576, i, len, bad = 0;
	unsigned char *b = malloc(n);

	EXPECT(b != NULL);
	if (b == NULL)
		return;
	for (i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 2654435761u >> 13);
	for (len = 0; len < 600; len++)
		bad += !same(b + len % 7, len, 1);
	for (len = 5500; len < 5600; len++)
		bad += !same(b + 3, len, 0x12345678 % 65521);
	bad += !same(b + 1, n - 1, 1);
	bad += !same(b, 262144, 0xfff0fff0);
	memset(b, 0xff, n);
	bad += !same(b, n, 1);
	bad += !same(b, n, 65520u << 16 | 65520u);
	EXPECT(bad == 0);
	free(b);
}

int
main(void)
{

	TEST(t_values);
	TEST(t_against_lzo);
	return (unit_done());
}
