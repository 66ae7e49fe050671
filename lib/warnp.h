#ifndef WARNP_H
#define WARNP_H

/*
 * Messages to humans on stderr, in the house form
 *	prog: what failed 'subject': reason
 * lib/ reports an error once, where it is first detected; main() decides the
 * exit status.  Each message is written with a single write(2), so lines
 * from several threads never interleave.
 */

#include <sysexits.h>

/* Exit statuses shared by every program (see each man page). */
#define EX_FAILURE	1	/* anything not covered below */
/* EX_USAGE 64, EX_DATAERR 65, EX_UNAVAILABLE 69, EX_TEMPFAIL 75 and
 * EX_NOPERM 77 come from <sysexits.h>. */

/*
 * The exit status for a system call that failed with errno err, as the man
 * pages' EXIT STATUS sections document it: EACCES and EPERM (permission
 * denied) give EX_NOPERM; everything else (ENOENT, ENOSPC, EIO, 0...)
 * gives EX_FAILURE.
 */
int warnp_errno_status(int err);

/* Record the program name (basename of argv0) used as message prefix. */
void warnp_init(const char *argv0);

/* The program name given to warnp_init(), or "cb" before it. */
const char *warnp_progname(void);

/* Print "prog: MESSAGE: strerror(errno)". */
void warnp(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "prog: MESSAGE". */
void warn0(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Print "prog: warning: MESSAGE": something the user should know that did
 * not make the program fail.  One line each (no newline in MESSAGE), so a
 * caller can collect them by matching ": warning: ".
 */
void warnp_warning(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "prog: MESSAGE" only when warnp_verbose() was raised to >= level. */
void warnp_debug(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Set the verbosity level for warnp_debug() (0 = silent, the default). */
void warnp_set_verbose(int level);

#endif
