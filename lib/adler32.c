#include <pthread.h>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "adler32.h"

#define BASE		65521	/* the largest prime under 2^16 */
#define NMAX		5552	/* bytes before s2 could pass 2^32 */

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int have_ssse3;

static void
adler32_init(void)
{

#if defined(__x86_64__)
	__builtin_cpu_init();
	have_ssse3 = __builtin_cpu_supports("ssse3");
#endif
}

static uint32_t
adler_sw(uint32_t s1, uint32_t s2, const unsigned char *p, size_t len)
{
	size_t n, i;

	while (len > 0) {
		n = len < NMAX ? len : NMAX;
		for (i = 0; i < n; i++) {
			s1 += p[i];
			s2 += s1;
		}
		s1 %= BASE;
		s2 %= BASE;
		p += n;
		len -= n;
	}
	return (s1 | s2 << 16);
}

#if defined(__x86_64__)
/* The sum of the four 32-bit lanes of v. */
__attribute__((target("ssse3")))
static uint32_t
lanes_sum(__m128i v)
{

	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(2, 3, 0, 1)));
	v = _mm_add_epi32(v, _mm_shuffle_epi32(v, _MM_SHUFFLE(1, 0, 3, 2)));
	return ((uint32_t)_mm_cvtsi128_si32(v));
}

/*
 * 32 bytes a step: s1 gains their sum (psadbw), s2 their sum weighted
 * 32..1 (pmaddubsw) plus 32 times s1 before the step (kept in ps and
 * multiplied once per NMAX run).  Whole steps only; the rest is scalar.
 */
__attribute__((target("ssse3")))
static uint32_t
adler_ssse3(uint32_t s1, uint32_t s2, const unsigned char *p, size_t len)
{
	const __m128i tap1 = _mm_setr_epi8(32, 31, 30, 29, 28, 27, 26, 25,
	    24, 23, 22, 21, 20, 19, 18, 17);
	const __m128i tap2 = _mm_setr_epi8(16, 15, 14, 13, 12, 11, 10, 9, 8,
	    7, 6, 5, 4, 3, 2, 1);
	const __m128i zero = _mm_setzero_si128();
	const __m128i ones = _mm_set1_epi16(1);
	__m128i ps, v1, v2, b1, b2;
	size_t steps = len / 32, n;

	len -= steps * 32;
	while (steps > 0) {
		n = steps < NMAX / 32 ? steps : NMAX / 32;
		steps -= n;
		ps = _mm_set_epi32(0, 0, 0, (int)(s1 * n));
		v2 = _mm_set_epi32(0, 0, 0, (int)s2);
		v1 = zero;
		for (; n > 0; n--, p += 32) {
			b1 = _mm_loadu_si128((const __m128i *)p);
			b2 = _mm_loadu_si128((const __m128i *)(p + 16));
			ps = _mm_add_epi32(ps, v1);
			v1 = _mm_add_epi32(v1, _mm_sad_epu8(b1, zero));
			v2 = _mm_add_epi32(v2, _mm_madd_epi16(
			    _mm_maddubs_epi16(b1, tap1), ones));
			v1 = _mm_add_epi32(v1, _mm_sad_epu8(b2, zero));
			v2 = _mm_add_epi32(v2, _mm_madd_epi16(
			    _mm_maddubs_epi16(b2, tap2), ones));
		}
		v2 = _mm_add_epi32(v2, _mm_slli_epi32(ps, 5));
		s1 = (s1 + lanes_sum(v1)) % BASE;
		s2 = lanes_sum(v2) % BASE;
	}
	return (adler_sw(s1, s2, p, len));
}
#endif

uint32_t
adler32_update(uint32_t adler, const void *buf, size_t len)
{

	pthread_once(&once, adler32_init);
#if defined(__x86_64__)
	if (have_ssse3)
		return (adler_ssse3(adler & 0xffff, adler >> 16, buf, len));
#endif
	return (adler_sw(adler & 0xffff, adler >> 16, buf, len));
}
