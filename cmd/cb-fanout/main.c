/*
 * cb-fanout: run one command on many hosts over ssh (or locally), at most
 * N at a time, relaying their output line by line (see cb-fanout(1)).
 */
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "fanout.h"
#include "num.h"
#include "warnp.h"

#define MAX_STDIN	(16 * 1024 * 1024)
#define MAX_HOSTS	4096

struct conf {
	char	**hosts;
	size_t	  nhosts;
	char	**sshopts;
	size_t	  nsshopts;
	const char *user, *port, *key, *config;
	unsigned long parallel;
	unsigned long timeout;
	int	  local, use_stdin, quiet;
	const char *outdir;
};

static void
usage(FILE *f)
{

	fprintf(f,
"usage: cb-fanout [-qs] [-j N] [-t SECONDS] [-l USER] [-p PORT] [-i KEY]\n"
"                 [-F SSH_CONFIG] [-o SSH_OPTION]... [-d DIR] [--local]\n"
"                 (-H HOST[,HOST...] | -f HOSTS_FILE)... [--] COMMAND [ARG...]\n");
}

/* Host names end up in ssh's argv and in file names: keep them plain. */
static int
host_valid(const char *h)
{
	const char *p;

	if (*h == '\0' || *h == '-' || *h == '.')
		return (0);
	for (p = h; *p != '\0'; p++)
		if (strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789._:@%+-[]", *p) == NULL)
			return (0);
	return (1);
}

static int
host_add(struct conf *c, const char *h)
{
	char **n;

	if (!host_valid(h)) {
		warn0("invalid host name '%s'", h);
		return (-1);
	}
	if (c->nhosts >= MAX_HOSTS) {
		warn0("too many hosts (at most %d)", MAX_HOSTS);
		return (-1);
	}
	if ((n = realloc(c->hosts, (c->nhosts + 1) * sizeof(*n))) == NULL ||
	    (n[c->nhosts] = strdup(h)) == NULL) {
		if (n != NULL)
			c->hosts = n;
		warnp("cannot allocate");
		return (-1);
	}
	c->hosts = n;
	c->nhosts++;
	return (0);
}

static int
hosts_add_list(struct conf *c, const char *list)
{
	char *copy, *p, *tok, *save = NULL;
	int rc = 0;

	if ((copy = strdup(list)) == NULL) {
		warnp("cannot allocate");
		return (-1);
	}
	for (p = copy; (tok = strtok_r(p, ", \t\n", &save)) != NULL; p = NULL)
		if ((rc = host_add(c, tok)) != 0)
			break;
	free(copy);
	return (rc);
}

/* One host per line; blank lines and lines starting with '#' ignored. */
static int
hosts_add_file(struct conf *c, const char *path)
{
	FILE *f;
	char *line = NULL, *s, *e;
	size_t cap = 0;
	int rc = 0;

	if ((f = strcmp(path, "-") ? fopen(path, "r") : stdin) == NULL) {
		warnp("cannot open '%s'", path);
		return (-1);
	}
	while (rc == 0 && getline(&line, &cap, f) >= 0) {
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && strchr(" \t\r\n", e[-1]); e--)
			;
		*e = '\0';
		if (*s != '\0' && *s != '#')
			rc = host_add(c, s);
	}
	if (rc == 0 && ferror(f)) {
		warnp("cannot read '%s'", path);
		rc = -1;
	}
	free(line);
	if (f != stdin)
		fclose(f);
	return (rc);
}

static int
parse_ulong(const char *s, unsigned long min, unsigned long max,
    unsigned long *v, const char *what)
{
	uint64_t u;

	if (num_parse_u64(s, min, max, &u) != 0) {
		warn0("invalid %s '%s'", what, s);
		return (-1);
	}
	*v = (unsigned long)u;
	return (0);
}

static int
sshopt_add(struct conf *c, const char *o)
{
	char **n;

	if ((n = realloc(c->sshopts, (c->nsshopts + 1) * sizeof(*n))) == NULL) {
		warnp("cannot allocate");
		return (-1);
	}
	c->sshopts = n;
	c->sshopts[c->nsshopts++] = (char *)(uintptr_t)o;
	return (0);
}

enum { OPT_LOCAL = 256 };

static const struct option longopts[] = {
	{ "parallel",	required_argument, NULL, 'j' },
	{ "user",	required_argument, NULL, 'l' },
	{ "port",	required_argument, NULL, 'p' },
	{ "identity",	required_argument, NULL, 'i' },
	{ "ssh-config",	required_argument, NULL, 'F' },
	{ "ssh-option",	required_argument, NULL, 'o' },
	{ "timeout",	required_argument, NULL, 't' },
	{ "stdin",	no_argument,	   NULL, 's' },
	{ "output-dir",	required_argument, NULL, 'd' },
	{ "hosts",	required_argument, NULL, 'H' },
	{ "hosts-file",	required_argument, NULL, 'f' },
	{ "local",	no_argument,	   NULL, OPT_LOCAL },
	{ "quiet",	no_argument,	   NULL, 'q' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

/* Returns 0, or the exit status to use (64, or 0 for --help/-V as -1). */
static int
parse_opts(struct conf *c, int argc, char **argv)
{
	unsigned long v;
	int ch;

	while ((ch = getopt_long(argc, argv, "+j:l:p:i:F:o:t:sd:H:f:qhV",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'j':
			if (parse_ulong(optarg, 1, 1024, &c->parallel,
			    "number of parallel hosts") != 0)
				return (EX_USAGE);
			break;
		case 'l': c->user = optarg; break;
		case 'p':
			if (parse_ulong(optarg, 1, 65535, &v, "port") != 0)
				return (EX_USAGE);
			c->port = optarg;
			break;
		case 'i': c->key = optarg; break;
		case 'F': c->config = optarg; break;
		case 'o':
			if (sshopt_add(c, optarg) != 0)
				return (EX_FAILURE);
			break;
		case 't':
			if (parse_ulong(optarg, 1, 7 * 86400, &c->timeout,
			    "timeout") != 0)
				return (EX_USAGE);
			break;
		case 's': c->use_stdin = 1; break;
		case 'd': c->outdir = optarg; break;
		case 'H':
			if (hosts_add_list(c, optarg) != 0)
				return (EX_USAGE);
			break;
		case 'f':
			if (hosts_add_file(c, optarg) != 0)
				return (EX_USAGE);
			break;
		case OPT_LOCAL: c->local = 1; break;
		case 'q': c->quiet = 1; break;
		case 'h': usage(stdout); return (-1);
		case 'V': printf("cb-fanout %s\n", CB_VERSION); return (-1);
		default: usage(stderr); return (EX_USAGE);
		}
	}
	return (0);
}

/* Read all of stdin (at most MAX_STDIN bytes) into *buf. */
static int
stdin_slurp(char **buf, size_t *len)
{
	size_t cap = 65536;
	ssize_t n;

	*len = 0;
	if ((*buf = malloc(cap)) == NULL) {
		warnp("cannot allocate");
		return (-1);
	}
	for (;;) {
		n = read(STDIN_FILENO, *buf + *len, cap - *len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			warnp("cannot read standard input");
			return (-1);
		}
		if (n == 0)
			return (0);
		*len += (size_t)n;
		if (*len == cap && cap == MAX_STDIN) {
			warn0("standard input is larger than %d bytes",
			    MAX_STDIN);
			return (-1);
		}
		if (*len == cap) {
			/* realloc would leave a copy behind: move it. */
			char *nb = malloc(cap * 2);

			if (nb == NULL) {
				warnp("cannot allocate");
				return (-1);
			}
			memcpy(nb, *buf, *len);
			OPENSSL_cleanse(*buf, *len);
			free(*buf);
			*buf = nb;
			cap *= 2;
		}
	}
}

/* Copy s with every "{host}" replaced by host. */
static char *
subst_host(const char *s, const char *host)
{
	size_t hl = strlen(host), n = 0;
	const char *p;
	char *out, *o;

	for (p = s; (p = strstr(p, "{host}")) != NULL; p += 6)
		n++;
	if ((out = malloc(strlen(s) + n * hl + 1)) == NULL)
		return (NULL);
	for (o = out; *s != '\0';) {
		if (strncmp(s, "{host}", 6) == 0) {
			memcpy(o, host, hl);
			o += hl;
			s += 6;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return (out);
}

/* What one host runs, all owned here. */
struct jobmem {
	char	**words;	/* the command's argv, {host} replaced */
	char	 *line;		/* ssh: the words quoted for the remote sh */
	char	**argv;		/* what is executed (words when --local) */
};

/* The command's argv with {host} replaced in every word, NULL-ended. */
static char **
command_words(int argc, char **argv, const char *host)
{
	char **w;
	int i;

	if ((w = calloc((size_t)argc + 1, sizeof(*w))) == NULL)
		return (NULL);
	for (i = 0; i < argc; i++) {
		if ((w[i] = subst_host(argv[i], host)) == NULL) {
			while (i-- > 0)
				free(w[i]);
			free(w);
			return (NULL);
		}
	}
	return (w);
}

/* Build the argv for one host: ssh [options] -- HOST LINE. */
static char **
ssh_argv(const struct conf *c, const char *host, const char *line)
{
	char **a;
	size_t n = 0, i;

	if ((a = calloc(16 + 2 * c->nsshopts, sizeof(*a))) == NULL)
		return (NULL);
	a[n++] = getenv("CB_FANOUT_SSH") ? getenv("CB_FANOUT_SSH") : "ssh";
	if (c->config != NULL) {
		a[n++] = "-F";
		a[n++] = (char *)(uintptr_t)c->config;
	}
	/* ssh keeps the first value given: the user's options come first. */
	for (i = 0; i < c->nsshopts; i++) {
		a[n++] = "-o";
		a[n++] = c->sshopts[i];
	}
	a[n++] = "-o";
	a[n++] = "BatchMode=yes";
	a[n++] = "-T";
	if (c->user != NULL) {
		a[n++] = "-l";
		a[n++] = (char *)(uintptr_t)c->user;
	}
	if (c->port != NULL) {
		a[n++] = "-p";
		a[n++] = (char *)(uintptr_t)c->port;
	}
	if (c->key != NULL) {
		a[n++] = "-i";
		a[n++] = (char *)(uintptr_t)c->key;
	}
	a[n++] = "--";
	a[n++] = (char *)(uintptr_t)host;
	a[n++] = (char *)(uintptr_t)line;
	return (a);
}

/*
 * The words go to execvp as they are with --local; over ssh, which hands
 * the remote shell one string, each word is quoted so that the remote
 * side runs exactly this argv, whatever the words hold.
 */
static int
jobmem_build(const struct conf *c, struct jobmem *m, int argc, char **argv,
    const char *host)
{

	if ((m->words = command_words(argc, argv, host)) == NULL)
		return (-1);
	if (c->local) {
		m->argv = m->words;
		return (0);
	}
	if ((m->line = fanout_shell_quote(m->words, (size_t)argc)) == NULL ||
	    (m->argv = ssh_argv(c, host, m->line)) == NULL)
		return (-1);
	return (0);
}

static void
jobs_free(struct fanout_job *jobs, struct jobmem *mem, size_t n)
{
	size_t i;
	char **w;

	for (i = 0; mem != NULL && i < n; i++) {
		if (mem[i].argv != mem[i].words)
			free(mem[i].argv);
		for (w = mem[i].words; w != NULL && *w != NULL; w++)
			free(*w);
		free(mem[i].words);
		free(mem[i].line);
	}
	free(jobs);
	free(mem);
}

static int
jobs_build(const struct conf *c, int argc, char **argv,
    struct fanout_job **jobsp, struct jobmem **memp)
{
	struct fanout_job *jobs;
	struct jobmem *mem;
	size_t i;

	jobs = calloc(c->nhosts, sizeof(*jobs));
	mem = calloc(c->nhosts, sizeof(*mem));
	*jobsp = jobs;
	*memp = mem;
	if (jobs == NULL || mem == NULL)
		goto fail;
	for (i = 0; i < c->nhosts; i++) {
		jobs[i].label = c->hosts[i];
		jobs[i].envhost = c->hosts[i];
		if (jobmem_build(c, &mem[i], argc, argv, c->hosts[i]) != 0)
			goto fail;
		jobs[i].argv = mem[i].argv;
	}
	return (0);
fail:
	warnp("cannot allocate");
	return (-1);
}

/* Print which hosts failed and why; return the worst exit status. */
static int
summarize(const struct conf *c, const struct fanout_job *jobs)
{
	char why[512];
	size_t i, nfailed = 0;
	int worst = 0;

	for (i = 0; i < c->nhosts; i++) {
		if (jobs[i].status == 0)
			continue;
		nfailed++;
		if (jobs[i].status > worst)
			worst = jobs[i].status;
		fanout_describe(&jobs[i], (unsigned)c->timeout, why,
		    sizeof(why));
		warn0("host '%s' failed: %s%s", jobs[i].label, why,
		    (!c->local && jobs[i].status == 255 &&
		    !jobs[i].timedout) ? " (ssh could not connect, or the "
		    "remote command was killed)" : "");
	}
	if (nfailed > 0)
		warn0("%zu of %zu hosts failed", nfailed, c->nhosts);
	return (worst < 0 ? EX_FAILURE : worst);
}

static int
run(struct conf *c, int argc, char **argv)
{
	struct fanout_job *jobs;
	struct fanout_opts o;
	struct jobmem *mem;
	char *in = NULL;
	size_t inlen = 0;
	int rc;

	memset(&o, 0, sizeof(o));
	if (c->use_stdin && stdin_slurp(&in, &inlen) != 0) {
		rc = EX_FAILURE;
		goto wipe;
	}
	rc = EX_FAILURE;
	if (jobs_build(c, argc, argv, &jobs, &mem) == 0) {
		o.maxjobs = c->parallel;
		o.timeout = (unsigned)c->timeout;
		o.input = c->use_stdin ? in : NULL;
		o.inlen = inlen;
		o.outdir = c->outdir;
		o.quiet = c->quiet;
		rc = fanout_run(jobs, c->nhosts, &o);
		if (rc >= 0) {
			int worst = summarize(c, jobs);

			rc = rc > 0 ? 128 + rc : worst;
		} else {
			summarize(c, jobs);
			rc = EX_FAILURE;
		}
	}
	jobs_free(jobs, mem, c->nhosts);
wipe:
	if (in != NULL) {
		OPENSSL_cleanse(in, inlen);
		free(in);
	}
	return (rc);
}

int
main(int argc, char **argv)
{
	struct conf c;
	size_t i;
	int rc;

	warnp_init(argv[0]);
	memset(&c, 0, sizeof(c));
	c.parallel = 12;
	if ((rc = parse_opts(&c, argc, argv)) != 0) {
		rc = rc < 0 ? 0 : rc;
		goto done;
	}
	argc -= optind;
	argv += optind;
	rc = EX_USAGE;
	if (argc == 0 || c.nhosts == 0) {
		warn0("%s", argc == 0 ? "no command given" : "no hosts given");
		usage(stderr);
		goto done;
	}
	if (c.outdir != NULL && mkdir(c.outdir, 0755) != 0 && errno != EEXIST) {
		warnp("cannot create '%s'", c.outdir);
		rc = EX_FAILURE;
		goto done;
	}
	if (c.use_stdin && isatty(STDIN_FILENO))
		warn0("reading the input for every host from the terminal");
	rc = run(&c, argc, argv);
done:
	for (i = 0; i < c.nhosts; i++)
		free(c.hosts[i]);
	free(c.hosts);
	free(c.sshopts);
	return (rc);
}
