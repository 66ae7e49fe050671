#ifndef CRC32C_H
#define CRC32C_H

/* CRC-32C (Castagnoli), as S3's x-amz-checksum-crc32c uses it. */

#include <stddef.h>
#include <stdint.h>

/* Continue crc (0 to start) over len bytes of buf. */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);

#endif
