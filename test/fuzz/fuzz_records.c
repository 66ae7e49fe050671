/*
 * libFuzzer target for records on stdin (lib/records.c).  The first byte
 * picks the mode (newline or NUL) and the number of fields; each record
 * read must also be written back byte for byte when rec_write accepts it.
 */

#include "fuzz_util.h"
#include "records.h"

#define MAXF	12

static void
check(const char *rec, size_t len, int nul, size_t n, char **f)
{
	char *out = NULL;
	size_t olen = 0;
	FILE *m;

	if ((m = open_memstream(&out, &olen)) == NULL)
		abort();
	if (rec_write(m, nul, n, (const char *const *)f) == 0) {
		fflush(m);
		if (olen != len + 1 || memcmp(out, rec, len) != 0 ||
		    out[len] != (nul ? '\0' : '\n'))
			abort();
	}
	fclose(m);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rec_reader *r;
	char *f[MAXF], *rec, *copy;
	size_t n, len;
	int nul, rc;
	FILE *in;

	if (size < 1)
		return (0);
	nul = data[0] & 1;
	n = (size_t)(data[0] >> 1) % MAXF + 1;
	in = fuzz_stream(data + 1, size - 1);
	if ((r = rec_reader_new(in, nul, "fuzz")) == NULL)
		abort();
	while ((rc = rec_reader_raw(r, &rec, &len)) == 1) {
		if (strlen(rec) != len || (copy = strdup(rec)) == NULL)
			abort();
		if (rec_split(rec, n, f) == 0 && f[n - 1][0] != '\0')
			check(copy, len, nul, n, f);
		free(copy);
	}
	rec_reader_free(r);
	fclose(in);
	in = fuzz_stream(data + 1, size - 1);
	if ((r = rec_reader_new(in, nul, "fuzz")) == NULL)
		abort();
	while ((rc = rec_reader_next(r, n, f)) == 1)
		if (rec_reader_number(r) == 0)
			abort();
	rec_reader_free(r);
	fclose(in);
	return (0);
}
