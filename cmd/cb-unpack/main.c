/*
 * cb-unpack: decode lzop streams, verifying every checksum; with -o the
 * file appears only once the whole stream verified.
 */

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "lzop.h"
#include "num.h"
#include "atomicfile.h"
#include "warnp.h"

#define READ_SIZE	(1024 * 1024)

static const char usage_text[] =
    "usage: cb-unpack [-t] [-j N] [-o FILE] [FILE|-]\n";

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

/* -t: verify only. */
static int
discard(void *cookie, const void *buf, size_t len)
{

	return (0);
}

/* Feed fd to the unpacker: 0, EX_DATAERR or EX_FAILURE. */
static int
unpack_fd(struct lzop_unpacker *u, int fd, const char *inname)
{
	static unsigned char buf[READ_SIZE];
	ssize_t n;
	int r;

	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot read '%s'", inname);
			return (EX_FAILURE);
		}
		if (n == 0)
			r = lzop_unpacker_finish(u);
		else
			r = lzop_unpacker_write(u, buf, (size_t)n);
		if (r == LZOP_EDATA) {
			warn0("cannot unpack '%s': %s", inname,
			    lzop_unpacker_error(u));
			return (EX_DATAERR);
		}
		if (r != 0)
			return (EX_FAILURE);
		if (n == 0)
			return (0);
	}
}

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "test", no_argument, NULL, 't' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	struct lzop_unpacker *u = NULL;
	struct atomicfile *out = NULL;
	const char *inpath = NULL, *outpath = NULL, *inname = "stdin";
	int ch, fd = STDIN_FILENO, nthreads = 0, test = 0, rc = EX_FAILURE;

	warnp_init(argv[0]);
	while ((ch = getopt_long(argc, argv, "tj:o:hV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
			test = 1;
			break;
		case 'j':
			nthreads = parse_jobs(optarg);
			break;
		case 'o':
			outpath = optarg;
			break;
		case 'h':
			usage(stdout, 0);
			break;
		case 'V':
			printf("cb-unpack %s\n", CB_VERSION);
			return (0);
		default:
			usage(stderr, EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (test && outpath != NULL))
		usage(stderr, EX_USAGE);
	if (argc == 1 && strcmp(argv[0], "-") != 0)
		inpath = inname = argv[0];

	if (inpath != NULL && (fd = open(inpath, O_RDONLY)) == -1) {
		warnp("cannot open '%s'", inpath);
		return (EX_FAILURE);
	}
	if (!test && (out = atomicfile_new(AT_FDCWD, outpath, 0)) == NULL)
		goto done;
	u = lzop_unpacker_new(nthreads, test ? discard : atomicfile_write, out);
	if (u == NULL)
		goto done;
	if ((rc = unpack_fd(u, fd, inname)) != 0)
		goto done;
	if (!test && atomicfile_commit(out) != 0)
		rc = EX_FAILURE;
done:
	lzop_unpacker_free(u);
	atomicfile_free(out);
	if (inpath != NULL)
		close(fd);
	return (rc);
}
