#ifndef ADLER32_H
#define ADLER32_H

/*
 * Adler-32, as lzop's block checksums use it (the same values as
 * lzo_adler32 and zlib's adler32), with SSSE3 where the CPU has it: the
 * scalar loop costs a compressing thread a seventh of its time.
 */

#include <stddef.h>
#include <stdint.h>

/* Continue adler (1 to start) over len bytes of buf. */
uint32_t adler32_update(uint32_t adler, const void *buf, size_t len);

#endif
