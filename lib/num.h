#ifndef NUM_H
#define NUM_H

/*
 * Strict number parsing, the one home for it: the whole string is the
 * number, in decimal, with no leading or trailing spaces, no '+', and no
 * overflow.  Used for options, configuration values and record fields.
 */

#include <stdint.h>

/*
 * Parse s as a signed integer in [lo, hi]: an optional '-' then digits.
 * Returns 0 and sets *v, or -1 with errno EINVAL (not a number) or ERANGE
 * (outside [lo, hi] or int64_t); *v is then unchanged.
 */
int num_parse_i64(const char *s, int64_t lo, int64_t hi, int64_t *v);

/*
 * Parse s as an unsigned integer in [lo, hi]: digits only, no sign.
 * Returns 0 and sets *v, or -1 with errno EINVAL or ERANGE.
 */
int num_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v);

/*
 * Parse s as a size in bytes: digits, then optionally K, M, G or T (either
 * case, 1024-based), which may be followed by B or iB ("8M", "8MiB",
 * "1g").  Returns 0 and sets *v, or -1 with errno EINVAL or ERANGE (the
 * size does not fit in 64 bits).
 */
int num_parse_size(const char *s, uint64_t *v);

#endif
