#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "proc.h"
#include "warnp.h"

extern char **environ;

void
proc_out_free(struct proc_out *po)
{

	free(po->out);
	free(po->err);
	po->out = po->err = NULL;
	po->outlen = po->errlen = 0;
}

/* Read all of the temp file f into a new NUL-terminated buffer. */
static int
slurp(FILE *f, char **buf, size_t *len)
{
	long n;

	if (fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0)
		return (-1);
	if ((*buf = malloc((size_t)n + 1)) == NULL)
		return (-1);
	*len = fread(*buf, 1, (size_t)n, f);
	(*buf)[*len] = '\0';
	return (ferror(f) ? -1 : 0);
}

static int
spawn(char *const argv[], int out, int err, pid_t *pid)
{
	posix_spawn_file_actions_t fa;
	int rc;

	if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
		return (rc);
	if ((rc = posix_spawn_file_actions_addopen(&fa, 0, "/dev/null",
	    O_RDONLY, 0)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, out, 1)) == 0 &&
	    (rc = posix_spawn_file_actions_adddup2(&fa, err, 2)) == 0)
		rc = posix_spawn(pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	return (rc);
}

int
proc_run(char *const argv[], struct proc_out *po)
{
	FILE *out = NULL, *err = NULL;
	pid_t pid;
	int rc, st, saved;

	memset(po, 0, sizeof(*po));
	if ((out = tmpfile()) == NULL || (err = tmpfile()) == NULL) {
		warnp("cannot run '%s'", argv[0]);
		goto fail;
	}
	if ((rc = spawn(argv, fileno(out), fileno(err), &pid)) != 0) {
		errno = rc;
		warnp("cannot run '%s'", argv[0]);
		goto fail;
	}
	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			warnp("cannot wait for '%s'", argv[0]);
			goto fail;
		}
	}
	if (slurp(out, &po->out, &po->outlen) != 0 ||
	    slurp(err, &po->err, &po->errlen) != 0) {
		warnp("cannot read the output of '%s'", argv[0]);
		goto fail;
	}
	fclose(out);
	fclose(err);
	return (WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
fail:
	saved = errno;
	if (out != NULL)
		fclose(out);
	if (err != NULL)
		fclose(err);
	proc_out_free(po);
	errno = saved;
	return (-1);
}
