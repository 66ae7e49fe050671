/*
 * cb-pack: compress a file or stdin into one lzop 1.04 stream, byte for
 * byte what `lzop -c` writes, on several threads.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lzop.h"
#include "num.h"
#include "atomicfile.h"
#include "warnp.h"

static const char usage_text[] =
    "usage: cb-pack [-j N] [-1|-3|-7|-8|-9] [--store] [-o FILE] [FILE|-]\n";

static void
usage(FILE *f, int status)
{

	fputs(usage_text, f);
	exit(status);
}

static int
parse_jobs(const char *s)
{
	uint64_t n;

	if (num_parse_u64(s, 1, 256, &n) != 0) {
		warn0("invalid thread count '%s': expected 1 to 256", s);
		usage(stderr, EX_USAGE);
	}
	return ((int)n);
}

/* Fill the header fields from the input as lzop does. */
static void
pack_describe(struct lzop_pack_opts *o, int fd, const char *name)
{
	struct stat st;

	o->name = name;
	o->mode = 0;
	o->mtime = (int64_t)time(NULL);
	if (fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) || name != NULL)) {
		o->mode = (uint32_t)st.st_mode;
		o->mtime = (int64_t)st.st_mtime;
	}
}

/* Read fd straight into the packer's blocks. */
static int
pack_fd(struct lzop_packer *p, int fd, const char *inname)
{
	void *room;
	size_t len;
	ssize_t n;

	for (;;) {
		if ((room = lzop_packer_space(p, &len)) == NULL)
			return (-1);
		n = read(fd, room, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot read '%s'", inname);
			return (-1);
		}
		if (n == 0)
			break;
		if (lzop_packer_commit(p, (size_t)n) != 0)
			return (-1);
	}
	return (lzop_packer_finish(p));
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "store", no_argument, NULL, 's' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct lzop_pack_opts opts = { .level = 3 };
	struct lzop_packer *p = NULL;
	struct atomicfile *out = NULL;
	const char *inpath = NULL, *outpath = NULL, *inname = "stdin";
	int ch, fd = STDIN_FILENO, rc = EX_FAILURE;

	warnp_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "13789j:o:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case '1': case '3': case '7': case '8': case '9':
			opts.level = ch - '0';
			break;
		case 'j':
			opts.nthreads = parse_jobs(optarg);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 's':
			opts.store = 1;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("cb-pack %s\n", CB_VERSION);
			return (0);
		default:
			usage(stderr, EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		usage(stderr, EX_USAGE);
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		inpath = inname = argv[0];

	if (inpath != NULL && (fd = open(inpath, O_RDONLY)) == -1) {
		warnp("cannot open '%s'", inpath);
		return (EX_FAILURE);
	}
	pack_describe(&opts, fd, inpath);
	opts.to_stdout = (outpath == NULL || strcmp(outpath, "-") == 0);
	if ((out = atomicfile_new(AT_FDCWD, outpath, 0)) == NULL)
		goto done;
	if ((p = lzop_packer_new(&opts, atomicfile_write, out)) == NULL)
		goto done;
	if (pack_fd(p, fd, inname) != 0)
		goto done;
	if (atomicfile_commit(out) != 0)
		goto done;
	rc = 0;
done:
	lzop_packer_free(p);
	atomicfile_free(out);
	if (inpath != NULL)
		close(fd);
	return (rc);
}
