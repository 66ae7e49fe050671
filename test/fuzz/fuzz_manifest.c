/*
 * libFuzzer target for the manifest readers of cb-manifest (the node and
 * cluster manifests it reads from the bucket), built as fuzz_manifest_node
 * and fuzz_manifest_cluster (-DFUZZ_CLUSTER).  cmd/cb-manifest/ (all but
 * main.c) is compiled in; the input goes to stdin or to a file given as
 * --previous or in a merge record, stdout to /dev/null.
 */

#include "fuzz_util.h"
#include "manifest.h"

static void
run(int (*fn)(const struct mf_opts *), const struct mf_opts *o,
    FILE *in)
{
	FILE *old = stdin;

	stdin = in;
	(void)fn(o);
	stdin = old;
	fclose(in);
	clearerr(stdout);
}

static FILE *
text(const char *s)
{

	return (fuzz_stream((const uint8_t *)s, strlen(s)));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct mf_opts o = { .backup = "b", .run = "R2", .host = "h",
	    .kind = "incremental", .base_path = "b", .hosts = "h,i",
	    .input_fields = 4 };
	const char *path = fuzz_file(data, size);
	char rec[128];

	if (!init) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			abort();
		init = 1;
	}
	o.previous = path;
#ifdef FUZZ_CLUSTER
	run(mf_info, &o, fuzz_stream(data, size));
	run(mf_summary, &o, fuzz_stream(data, size));
	o.json = 1;
	run(mf_summary, &o, fuzz_stream(data, size));
	run(mf_merge, &o, text("i\tfailed\t-\tno answer\n"));
#else
	run(mf_restore, &o, fuzz_stream(data, size));
	o.exclude_system = 1;
	o.keyspaces = "ks1";
	run(mf_restore, &o, fuzz_stream(data, size));
	run(mf_node, &o, fuzz_stream(NULL, 0));
	o.previous = NULL;
	snprintf(rec, sizeof(rec), "h\tok\tb/m/h.json\t%s\n", path);
	run(mf_merge, &o, text(rec));
#endif
	return (0);
}
