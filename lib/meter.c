#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "meter.h"
#include "warnp.h"

struct meter {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;		/* stop, on CLOCK_MONOTONIC */
	pthread_t	 tid;
	unsigned int	 secs;
	int		 stop;
	uint64_t	 files_done;
	uint64_t	 files_total;
	uint64_t	 bytes_done;	/* of the files done */
	uint64_t	 bytes_flight;	/* of the files in flight */
	uint64_t	 bytes_total;
};

static uint64_t
min64(uint64_t a, uint64_t b)
{

	return (a < b ? a : b);
}

/* One line, with m->lock held. */
static void
meter_print(struct meter *m)
{
	char line[200];
	int n;

	n = snprintf(line, sizeof(line), "%s: progress %" PRIu64 " %" PRIu64
	    " %" PRIu64 " %" PRIu64 "\n", warnp_progname(), m->files_done,
	    m->files_total, min64(m->bytes_done + m->bytes_flight,
	    m->bytes_total), m->bytes_total);
	/* (a stderr gone has no one to tell) */
	if (n > 0 && (size_t)n < sizeof(line) &&
	    write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

static void *
meter_run(void *arg)
{
	struct meter *m = arg;
	struct timespec until;

	pthread_mutex_lock(&m->lock);
	clock_gettime(CLOCK_MONOTONIC, &until);
	for (;;) {
		until.tv_sec += m->secs;
		while (!m->stop && pthread_cond_timedwait(&m->cv, &m->lock,
		    &until) == 0)
			;
		meter_print(m);		/* the interval's, or the last */
		if (m->stop)
			break;
	}
	pthread_mutex_unlock(&m->lock);
	return (NULL);
}

struct meter *
meter_new(unsigned int secs, uint64_t files, uint64_t bytes)
{
	pthread_condattr_t ca;
	struct meter *m;

	if ((m = calloc(1, sizeof(*m))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	m->secs = secs;
	m->files_total = files;
	m->bytes_total = bytes;
	pthread_mutex_init(&m->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&m->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&m->tid, NULL, meter_run, m) != 0) {
		warn0("cannot start the progress thread");
		pthread_cond_destroy(&m->cv);
		pthread_mutex_destroy(&m->lock);
		free(m);
		return (NULL);
	}
	return (m);
}

void
meter_add(struct meter *m, struct meter_file *f, size_t len)
{

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->bytes_flight += min64(f->seen + len, f->size) -
	    min64(f->seen, f->size);
	f->seen += len;
	pthread_mutex_unlock(&m->lock);
}

void
meter_end(struct meter *m, struct meter_file *f, int done)
{

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->bytes_flight -= min64(f->seen, f->size);
	f->seen = 0;
	if (done) {
		m->files_done++;
		m->bytes_done += f->size;
	}
	pthread_mutex_unlock(&m->lock);
}

void
meter_free(struct meter *m)
{

	if (m == NULL)
		return;
	pthread_mutex_lock(&m->lock);
	m->stop = 1;
	pthread_cond_signal(&m->cv);
	pthread_mutex_unlock(&m->lock);
	pthread_join(m->tid, NULL);
	pthread_cond_destroy(&m->cv);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
