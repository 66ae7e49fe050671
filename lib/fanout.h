#ifndef FANOUT_H
#define FANOUT_H

/*
 * Run one program per job, at most maxjobs at a time, multiplexing their
 * output without ever interleaving two lines (see cb-fanout(1)).  Each job
 * gets the same stdin bytes (or /dev/null).  Output is either relayed to
 * our stdout/stderr with each line prefixed by the job's label, or kept in
 * per-job files LABEL.out / LABEL.err / LABEL.status in a directory (the
 * stderr lines are then relayed too, prefixed, unless quiet).
 */

#include <stddef.h>

struct fanout_job {
	const char	 *label;	/* host name: prefixes, file names */
	char *const	 *argv;		/* what to run (execvp); not owned */
	const char	 *envhost;	/* set as CB_FANOUT_HOST, or NULL */

	/* Results, filled in by fanout_run(). */
	int		  status;	/* exit status; 128+sig; 126/127 */
	int		  signo;	/* killed by this signal, or 0 */
	int		  timedout;	/* killed after the timeout */
	int		  errnum;	/* errno of a failed exec, or 0 */
};

struct fanout_opts {
	size_t		 maxjobs;	/* at most this many at once (>= 1) */
	unsigned	 timeout;	/* seconds per job, 0 = none */
	const void	*input;		/* bytes for every stdin, or NULL */
	size_t		 inlen;
	const char	*outdir;	/* per-job files here, or NULL */
	int		 quiet;		/* with outdir: do not relay stderr */
};

/*
 * Run every job to completion and fill in its results.  Returns 0 when
 * every job ran (whatever their exit statuses), -1 on a local failure
 * (fork, pipe, output file; reported), or the number of a signal
 * (SIGINT, SIGTERM, SIGHUP) that interrupted us: every running job was
 * then terminated and the jobs not yet started have status -1.
 */
int fanout_run(struct fanout_job *jobs, size_t njobs,
    const struct fanout_opts *opts);

/*
 * Describe how a finished job ended, e.g. "exit 3", "killed by signal 9",
 * "timed out after 5 s", "cannot run 'ssh': No such file or directory",
 * into buf.  Returns buf.
 */
char *fanout_describe(const struct fanout_job *job, unsigned timeout,
    char *buf, size_t size);

/*
 * Quote the n words for a POSIX shell, so that the shell, given the result
 * as a command line (ssh's remote "sh -c LINE"), runs exactly that argv:
 * each word in single quotes, a ' as '\'', one space between words.  An
 * empty word becomes ''.  Returns a string the caller frees, or NULL
 * (errno set; n == 0 is EINVAL).
 */
char *fanout_shell_quote(char *const *words, size_t n);

#endif
