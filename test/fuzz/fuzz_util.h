/*
 * Helpers shared by the libFuzzer targets: the input as a file that a
 * reader can open by name, or as a stdio stream.
 */
#ifndef FUZZ_UTIL_H
#define FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Put data in a memory file and return a path that opens it from the
 * start ("/proc/self/fd/N"); the file is reused from one input to the next.
 */
static inline const char *
fuzz_file(const uint8_t *data, size_t size)
{
	static char path[64];
	static int fd = -1;

	if (fd < 0) {
		if ((fd = memfd_create("fuzz", 0)) < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	}
	if (ftruncate(fd, 0) != 0 ||
	    (size > 0 && pwrite(fd, data, size, 0) != (ssize_t)size))
		abort();
	return (path);
}

/* A stream reading data (a copy; fclose frees it). */
static inline FILE *
fuzz_stream(const uint8_t *data, size_t size)
{
	FILE *f;

	if (size == 0)
		f = fopen("/dev/null", "r");
	else
		f = fmemopen((void *)data, size, "r");
	if (f == NULL)
		abort();
	return (f);
}

#endif
