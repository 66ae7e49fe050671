#include <errno.h>
#include <stdint.h>
#include <strings.h>

#include "num.h"

/*
 * Read the digits at *sp into *v, stopping at the first non-digit.
 * 0, or -1 with errno EINVAL (no digit) or ERANGE (more than max).
 */
static int
digits(const char **sp, uint64_t max, uint64_t *v)
{
	const char *s = *sp;
	uint64_t n = 0;
	unsigned d;

	if (*s < '0' || *s > '9') {
		errno = EINVAL;
		return (-1);
	}
	for (; *s >= '0' && *s <= '9'; s++) {
		d = (unsigned)(*s - '0');
		if (n > (max - d) / 10) {
			/* Skip the rest so a long number is ERANGE. */
			while (*s >= '0' && *s <= '9')
				s++;
			errno = *s == '\0' ? ERANGE : EINVAL;
			return (-1);
		}
		n = n * 10 + d;
	}
	*sp = s;
	*v = n;
	return (0);
}

int
num_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	uint64_t n;

	if (digits(&s, UINT64_MAX, &n) != 0)
		return (-1);
	if (*s != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (n < lo || n > hi) {
		errno = ERANGE;
		return (-1);
	}
	*v = n;
	return (0);
}

int
num_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *v)
{
	uint64_t n;
	int64_t r;
	int neg = *s == '-';

	s += neg;
	if (digits(&s, neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX, &n) != 0)
		return (-1);
	if (*s != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (neg)
		r = n == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)n;
	else
		r = (int64_t)n;
	if (r < lo || r > hi) {
		errno = ERANGE;
		return (-1);
	}
	*v = r;
	return (0);
}

int
num_parse_size(const char *s, uint64_t *v)
{
	uint64_t n;
	unsigned shift = 0;

	if (digits(&s, UINT64_MAX, &n) != 0)
		return (-1);
	switch (*s) {
	case 'K': case 'k': shift = 10; break;
	case 'M': case 'm': shift = 20; break;
	case 'G': case 'g': shift = 30; break;
	case 'T': case 't': shift = 40; break;
	}
	if (shift != 0) {
		s++;
		if (strcasecmp(s, "B") == 0 || strcasecmp(s, "iB") == 0)
			s += s[0] == 'B' || s[0] == 'b' ? 1 : 2;
	}
	if (*s != '\0') {
		errno = EINVAL;
		return (-1);
	}
	if (n > UINT64_MAX >> shift) {
		errno = ERANGE;
		return (-1);
	}
	*v = n << shift;
	return (0);
}
