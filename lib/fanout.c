#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fanout.h"
#include "fdio.h"
#include "warnp.h"

/* A line longer than this is relayed in pieces (bounded memory). */
#define LINE_MAX_RELAY	(64 * 1024)
/* After the timeout, SIGTERM; this many seconds later, SIGKILL. */
#define KILL_GRACE	5

enum { OUT, ERR };

struct linebuf {
	char	*buf;
	size_t	 len;
	size_t	 cap;
};

struct child {
	struct fanout_job *job;
	pid_t		 pid;
	int		 fd[2];		/* stdout, stderr read ends, or -1 */
	int		 file[2];	/* outdir: LABEL.out / LABEL.err */
	struct linebuf	 lb[2];
	int		 infd;		/* stdin write end, or -1 */
	size_t		 inoff;
	int		 execfd;	/* exec-errno pipe, or -1 */
	int		 exited;
	int		 wstatus;
	time_t		 deadline;	/* 0 = none */
	int		 killed;	/* 0, SIGTERM or SIGKILL sent */
	int		 timedout;
};

static int sigpipe_fd[2] = { -1, -1 };
static volatile sig_atomic_t got_signal;

static void
on_signal(int signo)
{
	int saved = errno;
	char c = 0;

	if (signo != SIGCHLD && got_signal == 0)
		got_signal = signo;
	if (write(sigpipe_fd[1], &c, 1) < 0) {
		/* The pipe is full: a wakeup is pending anyway. */
	}
	errno = saved;
}

static time_t
now_sec(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (ts.tv_sec);
}

/* Emit "label: line\n" to fd in one write, so lines never interleave. */
static void
relay_line(int fd, const char *label, const char *line, size_t len)
{
	size_t ll = strlen(label);
	char *buf;

	if ((buf = malloc(ll + 2 + len + 1)) == NULL)
		return;
	memcpy(buf, label, ll);
	memcpy(buf + ll, ": ", 2);
	memcpy(buf + ll + 2, line, len);
	buf[ll + 2 + len] = '\n';
	if (fdio_write_all(fd, buf, ll + 2 + len + 1) != 0) {
		/* Our own output is gone; nothing left to tell. */
	}
	free(buf);
}

/* Relay every complete line of lb (all of it if flush) to fd. */
static void
linebuf_drain(struct linebuf *lb, int fd, const char *label, int flush)
{
	char *nl, *p = lb->buf;
	size_t left = lb->len;

	while (left > 0 && (nl = memchr(p, '\n', left)) != NULL) {
		relay_line(fd, label, p, (size_t)(nl - p));
		left -= (size_t)(nl - p) + 1;
		p = nl + 1;
	}
	if (left > 0 && (flush || left >= LINE_MAX_RELAY)) {
		relay_line(fd, label, p, left);
		left = 0;
	}
	if (left > 0 && p != lb->buf)
		memmove(lb->buf, p, left);
	lb->len = left;
}

static int
linebuf_append(struct linebuf *lb, const char *data, size_t len)
{
	char *nb;
	size_t ncap;

	if (lb->len + len > lb->cap) {
		ncap = lb->cap ? lb->cap : 4096;
		while (ncap < lb->len + len)
			ncap *= 2;
		if ((nb = realloc(lb->buf, ncap)) == NULL)
			return (-1);
		lb->buf = nb;
		lb->cap = ncap;
	}
	memcpy(lb->buf + lb->len, data, len);
	lb->len += len;
	return (0);
}

/* Make a label safe as a file name: '/' and a leading '.' become '_'. */
static char *
label_file(const char *dir, const char *label, const char *ext)
{
	char *path, *p;
	size_t dl = strlen(dir);

	if (asprintf(&path, "%s/%s%s", dir, label, ext) < 0)
		return (NULL);
	for (p = path + dl + 1; *p != '\0' && strcmp(p, ext) != 0; p++)
		if (*p == '/' || (p == path + dl + 1 && *p == '.'))
			*p = '_';
	return (path);
}

static int
open_outfile(const char *dir, const char *label, const char *ext)
{
	char *path;
	int fd;

	if ((path = label_file(dir, label, ext)) == NULL)
		return (-1);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		warnp("cannot create '%s'", path);
	free(path);
	return (fd);
}

/* In the child: wire up fds and exec; on failure report errno and die. */
static void
child_exec(struct fanout_job *job, int in, int out, int err, int efd)
{
	int e;

	setpgid(0, 0);
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
		_exit(126);
	if (job->envhost != NULL)
		setenv("CB_FANOUT_HOST", job->envhost, 1);
	execvp(job->argv[0], job->argv);
	e = errno;
	if (write(efd, &e, sizeof(e)) < 0) {
		/* The parent will see a plain 126/127. */
	}
	_exit(e == ENOENT ? 127 : 126);
}

static void
pipe_close(int *fd)
{

	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

static int
child_pipes(int p[4][2], int want_in)
{
	int i;

	for (i = 0; i < 4; i++)
		p[i][0] = p[i][1] = -1;
	for (i = 0; i < 4; i++) {
		if (i == 0 && !want_in)
			continue;
		if (pipe2(p[i], O_CLOEXEC) != 0) {
			warnp("cannot create a pipe");
			return (-1);
		}
	}
	return (0);
}

static int
child_start(struct child *c, const struct fanout_opts *o)
{
	int p[4][2], nullfd = -1, i;

	if (child_pipes(p, o->input != NULL) != 0)
		goto fail;
	if (o->input == NULL &&
	    (nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		warnp("cannot open '/dev/null'");
		goto fail;
	}
	if ((c->pid = fork()) < 0) {
		warnp("cannot fork");
		goto fail;
	}
	if (c->pid == 0)
		child_exec(c->job, o->input ? p[0][0] : nullfd, p[1][1],
		    p[2][1], p[3][1]);
	setpgid(c->pid, c->pid);
	if (nullfd >= 0)
		close(nullfd);
	c->infd = p[0][1];
	c->fd[OUT] = p[1][0];
	c->fd[ERR] = p[2][0];
	c->execfd = p[3][0];
	for (i = 0; i < 4; i++)
		pipe_close(&p[i][i == 0 ? 0 : 1]);
	if (c->infd >= 0)
		fcntl(c->infd, F_SETFL, O_NONBLOCK);
	if (o->inlen == 0)
		pipe_close(&c->infd);
	c->deadline = o->timeout ? now_sec() + (time_t)o->timeout : 0;
	return (0);
fail:
	for (i = 0; i < 4; i++) {
		pipe_close(&p[i][0]);
		pipe_close(&p[i][1]);
	}
	if (nullfd >= 0)
		close(nullfd);
	return (-1);
}

/* Read what is there on stream s of c; EOF closes it. */
static void
child_read(struct child *c, int s, int quiet)
{
	char buf[16384];
	ssize_t n;
	int fd = s == OUT ? STDOUT_FILENO : STDERR_FILENO;

	if ((n = read(c->fd[s], buf, sizeof(buf))) < 0 && errno == EINTR)
		return;
	if (n <= 0) {
		pipe_close(&c->fd[s]);
		if (c->file[s] < 0 || (s == ERR && !quiet))
			linebuf_drain(&c->lb[s], fd, c->job->label, 1);
		return;
	}
	if (c->file[s] >= 0 && fdio_write_all(c->file[s], buf, (size_t)n) != 0)
		warnp("cannot write output of '%s'", c->job->label);
	if (c->file[s] >= 0 && (s == OUT || quiet))
		return;
	if (linebuf_append(&c->lb[s], buf, (size_t)n) != 0) {
		linebuf_drain(&c->lb[s], fd, c->job->label, 1);
		return;
	}
	linebuf_drain(&c->lb[s], fd, c->job->label, 0);
}

static void
child_feed(struct child *c, const struct fanout_opts *o)
{
	const char *in = o->input;
	ssize_t n;

	n = write(c->infd, in + c->inoff, o->inlen - c->inoff);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		/* EPIPE: the command does not read its stdin. */
		pipe_close(&c->infd);
		return;
	}
	c->inoff += (size_t)n;
	if (c->inoff == o->inlen)
		pipe_close(&c->infd);
}

static void
child_execerr(struct child *c)
{
	int e;
	ssize_t n;

	n = read(c->execfd, &e, sizeof(e));
	if (n < 0 && errno == EINTR)
		return;
	if (n == (ssize_t)sizeof(e))
		c->job->errnum = e;
	pipe_close(&c->execfd);
}

static int
child_done(const struct child *c)
{

	return (c->pid > 0 && c->exited && c->fd[OUT] < 0 &&
	    c->fd[ERR] < 0 && c->execfd < 0);
}

static void
child_finish(struct child *c, const struct fanout_opts *o)
{
	struct fanout_job *j = c->job;
	char *path;
	FILE *f;

	if (WIFSIGNALED(c->wstatus)) {
		j->signo = WTERMSIG(c->wstatus);
		j->status = 128 + j->signo;
	} else
		j->status = WEXITSTATUS(c->wstatus);
	if (c->timedout) {
		/* Whatever it did on SIGTERM, it failed. */
		j->timedout = 1;
		if (j->signo == 0)
			j->signo = c->killed;
		j->status = 128 + j->signo;
	}
	pipe_close(&c->infd);
	pipe_close(&c->file[OUT]);
	pipe_close(&c->file[ERR]);
	free(c->lb[OUT].buf);
	free(c->lb[ERR].buf);
	c->pid = -1;
	if (o->outdir == NULL ||
	    (path = label_file(o->outdir, j->label, ".status")) == NULL)
		return;
	if ((f = fopen(path, "w")) != NULL) {
		fprintf(f, "%d\n", j->status);
		if (fclose(f) != 0)
			warnp("cannot write '%s'", path);
	} else
		warnp("cannot create '%s'", path);
	free(path);
}

/* Collect exit statuses of whatever children have ended. */
static void
reap(struct child *cs, size_t n)
{
	pid_t pid;
	int ws;
	size_t i;

	while ((pid = waitpid(-1, &ws, WNOHANG)) > 0) {
		for (i = 0; i < n; i++) {
			if (cs[i].pid == pid && !cs[i].exited) {
				cs[i].exited = 1;
				cs[i].wstatus = ws;
			}
		}
	}
}

static void
child_kill(struct child *c, int signo)
{

	if (c->pid > 0 && !c->exited) {
		kill(-c->pid, signo);
		kill(c->pid, signo);
	}
	c->killed = signo;
}

/* Enforce timeouts; returns the poll timeout in ms until the next one. */
static int
check_deadlines(struct child *cs, size_t n)
{
	time_t t = now_sec(), next = 0, d;
	size_t i;

	for (i = 0; i < n; i++) {
		if (cs[i].pid <= 0 || cs[i].deadline == 0 || cs[i].exited)
			continue;
		d = cs[i].deadline;
		if (cs[i].killed == 0 && t >= d) {
			cs[i].timedout = 1;
			child_kill(&cs[i], SIGTERM);
		}
		if (cs[i].killed == SIGTERM && t >= d + KILL_GRACE)
			child_kill(&cs[i], SIGKILL);
		d = cs[i].killed ? d + KILL_GRACE : d;
		if (cs[i].killed != SIGKILL && (next == 0 || d < next))
			next = d;
	}
	if (next == 0)
		return (-1);
	return (next <= t ? 0 : (int)(next - t) * 1000 + 10);
}

struct pollset {
	struct pollfd	*pfd;
	struct child   **who;
	int		*kind;	/* 0 out, 1 err, 2 stdin, 3 exec errno */
	size_t		 n;
};

static void
pollset_add(struct pollset *ps, int fd, short ev, struct child *c, int k)
{

	if (fd < 0)
		return;
	ps->pfd[ps->n].fd = fd;
	ps->pfd[ps->n].events = ev;
	ps->pfd[ps->n].revents = 0;
	ps->who[ps->n] = c;
	ps->kind[ps->n] = k;
	ps->n++;
}

static void
pollset_build(struct pollset *ps, struct child *cs, size_t n)
{
	size_t i;

	ps->n = 0;
	pollset_add(ps, sigpipe_fd[0], POLLIN, NULL, -1);
	for (i = 0; i < n; i++) {
		if (cs[i].pid <= 0)
			continue;
		pollset_add(ps, cs[i].fd[OUT], POLLIN, &cs[i], 0);
		pollset_add(ps, cs[i].fd[ERR], POLLIN, &cs[i], 1);
		pollset_add(ps, cs[i].infd, POLLOUT, &cs[i], 2);
		pollset_add(ps, cs[i].execfd, POLLIN, &cs[i], 3);
	}
}

static void
pollset_dispatch(struct pollset *ps, const struct fanout_opts *o)
{
	char buf[64];
	size_t i;

	for (i = 0; i < ps->n; i++) {
		if (ps->pfd[i].revents == 0)
			continue;
		switch (ps->kind[i]) {
		case -1:
			while (read(sigpipe_fd[0], buf, sizeof(buf)) > 0)
				;
			break;
		case 0:
		case 1:
			child_read(ps->who[i], ps->kind[i], o->quiet);
			break;
		case 2:
			child_feed(ps->who[i], o);
			break;
		default:
			child_execerr(ps->who[i]);
		}
	}
}

static int
signals_setup(struct sigaction *old)
{
	struct sigaction sa;
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP };
	size_t i;

	if (pipe2(sigpipe_fd, O_CLOEXEC | O_NONBLOCK) != 0) {
		warnp("cannot create a pipe");
		return (-1);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESTART | SA_NOCLDSTOP;
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);
	signal(SIGPIPE, SIG_IGN);
	return (0);
}

static void
signals_restore(const struct sigaction *old)
{
	static const int sigs[] = { SIGCHLD, SIGINT, SIGTERM, SIGHUP };
	size_t i;

	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	pipe_close(&sigpipe_fd[0]);
	pipe_close(&sigpipe_fd[1]);
}

static int
child_init(struct child *c, struct fanout_job *j, const struct fanout_opts *o)
{

	memset(c, 0, sizeof(*c));
	c->job = j;
	c->fd[OUT] = c->fd[ERR] = c->infd = c->execfd = -1;
	c->file[OUT] = c->file[ERR] = -1;
	j->status = -1;
	j->signo = j->timedout = j->errnum = 0;
	if (o->outdir == NULL)
		return (0);
	if ((c->file[OUT] = open_outfile(o->outdir, j->label, ".out")) < 0 ||
	    (c->file[ERR] = open_outfile(o->outdir, j->label, ".err")) < 0) {
		pipe_close(&c->file[OUT]);
		return (-1);
	}
	return (0);
}

/* The main loop: start, poll, reap, finish. */
static int
fanout_loop(struct child *cs, struct fanout_job *jobs, size_t njobs,
    const struct fanout_opts *o, struct pollset *ps)
{
	size_t next = 0, active = 0, i;
	int tmo, rc = 0, stopping = 0;

	while (next < njobs || active > 0) {
		while (!stopping && next < njobs && active < o->maxjobs) {
			if (child_init(&cs[next], &jobs[next], o) != 0 ||
			    child_start(&cs[next], o) != 0) {
				rc = -1;
				stopping = 1;
				break;
			}
			next++;
			active++;
		}
		if (stopping && active == 0)
			break;
		if (got_signal && !stopping) {
			stopping = 1;
			rc = got_signal;
			for (i = 0; i < next; i++)
				child_kill(&cs[i], SIGTERM);
		}
		pollset_build(ps, cs, next);
		tmo = check_deadlines(cs, next);
		if (poll(ps->pfd, ps->n, tmo) < 0 && errno != EINTR) {
			warnp("poll");
			return (-1);
		}
		pollset_dispatch(ps, o);
		reap(cs, next);
		for (i = 0; i < next; i++) {
			if (child_done(&cs[i])) {
				child_finish(&cs[i], o);
				active--;
			}
		}
	}
	return (rc);
}

int
fanout_run(struct fanout_job *jobs, size_t njobs,
    const struct fanout_opts *o)
{
	struct sigaction old[4];
	struct pollset ps;
	struct child *cs;
	size_t nfd = 1 + 4 * njobs, i;
	int rc = -1;

	got_signal = 0;
	for (i = 0; i < njobs; i++)
		jobs[i].status = -1;
	cs = calloc(njobs ? njobs : 1, sizeof(*cs));
	ps.pfd = calloc(nfd, sizeof(*ps.pfd));
	ps.who = calloc(nfd, sizeof(*ps.who));
	ps.kind = calloc(nfd, sizeof(*ps.kind));
	if (cs == NULL || ps.pfd == NULL || ps.who == NULL ||
	    ps.kind == NULL) {
		warnp("cannot allocate");
		goto done;
	}
	if (signals_setup(old) != 0)
		goto done;
	rc = fanout_loop(cs, jobs, njobs, o, &ps);
	signals_restore(old);
done:
	free(ps.kind);
	free(ps.who);
	free(ps.pfd);
	free(cs);
	return (rc);
}

char *
fanout_describe(const struct fanout_job *j, unsigned timeout, char *buf,
    size_t size)
{

	if (j->status < 0)
		snprintf(buf, size, "not run");
	else if (j->errnum != 0)
		snprintf(buf, size, "cannot run '%s': %s", j->argv[0],
		    strerror(j->errnum));
	else if (j->timedout)
		snprintf(buf, size, "timed out after %u s (killed by "
		    "signal %d)", timeout, j->signo);
	else if (j->signo != 0)
		snprintf(buf, size, "killed by signal %d (%s)", j->signo,
		    strsignal(j->signo));
	else
		snprintf(buf, size, "exit %d", j->status);
	return (buf);
}

/* How long a word becomes in single quotes: 2 + 1 per byte + 3 per '. */
static size_t
quoted_len(const char *w)
{
	size_t n = 2;

	for (; *w != '\0'; w++)
		n += *w == '\'' ? 4 : 1;
	return (n);
}

char *
fanout_shell_quote(char *const *words, size_t n)
{
	size_t len = 1, i;
	const char *w;
	char *out, *o;

	if (n == 0) {
		errno = EINVAL;
		return (NULL);
	}
	for (i = 0; i < n; i++)
		len += quoted_len(words[i]) + 1;
	if ((out = malloc(len)) == NULL)
		return (NULL);
	for (o = out, i = 0; i < n; i++) {
		if (i > 0)
			*o++ = ' ';
		*o++ = '\'';
		for (w = words[i]; *w != '\0'; w++) {
			if (*w == '\'') {
				memcpy(o, "'\\''", 4);
				o += 4;
			} else
				*o++ = *w;
		}
		*o++ = '\'';
	}
	*o = '\0';
	return (out);
}
