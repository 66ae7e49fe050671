#ifndef PROC_H
#define PROC_H

/*
 * Running a helper program (nodetool, cqlsh) and capturing what it prints.
 */

#include <stddef.h>

struct proc_out {
	char	*out;		/* stdout, NUL-terminated (owned) */
	size_t	 outlen;
	char	*err;		/* stderr, NUL-terminated (owned) */
	size_t	 errlen;
};

/*
 * Run argv[0] (a path) with argv, stdin from /dev/null, in the current
 * environment, and wait for it.  Its stdout and stderr are captured in
 * po (free with proc_out_free).  Returns its exit status (0-255), 128 +
 * the signal that killed it, or -1 if it could not be run (reported;
 * errno kept: ENOENT, EACCES...).
 */
int proc_run(char *const argv[], struct proc_out *po);

/* Free the captured output; the struct itself is not freed. */
void proc_out_free(struct proc_out *po);

#endif
