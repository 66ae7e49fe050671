/*
 * The ordered worker pool (ordpool.h).  A ring of window slots: the
 * submitting thread fills them in sequence, workers take queued slots in
 * sequence, and the submitting thread empties them in sequence once done.
 * A slot the submitting thread ran itself is done when queued; a worker
 * that reaches it skips it (by then the slot may even hold a later job,
 * hence the sequence number).
 */

#include <pthread.h>
#include <stdlib.h>

#include "ordpool.h"
#include "warnp.h"

enum { S_FREE, S_QUEUED, S_DONE };

struct slot {
	void		*job;
	unsigned long	 seq;
	int		 state;
};

struct ordpool {
	struct ordpool_fns	 f;
	void			*ctx;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;	/* a job to run, closing or stopped */
	pthread_cond_t		 done;	/* a job finished, or stopped */
	struct slot		*ring;
	unsigned long		 window;
	unsigned long		 next_run;	/* next seq for a worker */
	unsigned long		 next_sub;	/* written by the submitter */
	unsigned long		 next_emit;	/* the submitter's only */
	int			 closing;
	int			 stopped;
	pthread_t		*tids;
	int			 nthreads;
	void			*local;		/* the submitter's state */
	int			 local_made;
};

static void *
worker(void *arg)
{
	struct ordpool *p = arg;
	void *ws = p->f.init != NULL ? p->f.init(p->ctx) : NULL;
	struct slot *s;
	unsigned long seq;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next_run == p->next_sub && !p->closing &&
		    !p->stopped)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stopped || p->next_run == p->next_sub)
			break;
		seq = p->next_run++;
		s = &p->ring[seq % p->window];
		if (s->state != S_QUEUED || s->seq != seq)
			continue;
		pthread_mutex_unlock(&p->lock);
		p->f.run(p->ctx, ws, s->job);
		pthread_mutex_lock(&p->lock);
		s->state = S_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	if (p->f.fini != NULL)
		p->f.fini(p->ctx, ws);
	return (NULL);
}

/* Stop the workers once idle, join them, free everything. */
static void
pool_close(struct ordpool *p)
{
	int i;

	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	if (p->local_made && p->f.fini != NULL)
		p->f.fini(p->ctx, p->local);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->ring);
	free(p->tids);
	free(p);
}

struct ordpool *
ordpool_new(int nworkers, int window, const struct ordpool_fns *fns,
    void *ctx)
{
	struct ordpool *p;
	int i;

	if (nworkers < 0)
		nworkers = 0;
	if (window < 1)
		window = 1;
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->ring = calloc((size_t)window, sizeof(*p->ring))) == NULL ||
	    (p->tids = calloc((size_t)nworkers + 1, sizeof(*p->tids))) ==
	    NULL) {
		warnp("cannot allocate a worker pool");
		if (p != NULL)
			free(p->ring);
		free(p);
		return (NULL);
	}
	p->f = *fns;
	p->ctx = ctx;
	p->window = (unsigned long)window;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 0; i < nworkers; i++) {
		if (pthread_create(&p->tids[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (nworkers > 0 && p->nthreads == 0) {
		warn0("cannot start worker threads");
		pool_close(p);
		return (NULL);
	}
	return (p);
}

/*
 * Emit finished jobs at the head, waiting while more than keep are
 * pending; past that, only while greedy or while the workers have queued
 * jobs to take: a slot freed with a worker idle is better filled first
 * (an emit may be slow, e.g. a chunk written out), so the submitter
 * returns to submit.  Returns 0, or -1 once stopped.
 */
static int
emit_until(struct ordpool *p, unsigned long keep, int greedy)
{
	struct slot *s;
	void *job;
	int rc;

	greedy |= p->nthreads == 0;
	pthread_mutex_lock(&p->lock);
	while (!p->stopped && p->next_emit != p->next_sub) {
		s = &p->ring[p->next_emit % p->window];
		if (p->next_sub - p->next_emit <= keep && !greedy &&
		    p->next_run == p->next_sub)
			break;
		if (s->state != S_DONE) {
			if (p->next_sub - p->next_emit <= keep)
				break;
			pthread_cond_wait(&p->done, &p->lock);
			continue;
		}
		job = s->job;
		s->job = NULL;
		s->state = S_FREE;
		p->next_emit++;
		pthread_mutex_unlock(&p->lock);
		p->f.emit(p->ctx, job);
		pthread_mutex_lock(&p->lock);
	}
	rc = p->stopped ? -1 : 0;
	pthread_mutex_unlock(&p->lock);
	return (rc);
}

int
ordpool_room(struct ordpool *p)
{

	if (emit_until(p, p->window - 1, 0) != 0)
		return (-1);
	return ((int)(p->next_sub % p->window));
}

static int
submit(struct ordpool *p, void *job, int here)
{
	struct slot *s;

	if (ordpool_room(p) < 0)
		return (-1);
	s = &p->ring[p->next_sub % p->window];
	s->job = job;
	if (here || p->nthreads == 0) {
		p->f.run(p->ctx, ordpool_local(p), job);
		pthread_mutex_lock(&p->lock);
		s->seq = p->next_sub++;
		s->state = S_DONE;
		pthread_mutex_unlock(&p->lock);
	} else {
		pthread_mutex_lock(&p->lock);
		s->seq = p->next_sub++;
		s->state = S_QUEUED;
		pthread_cond_signal(&p->work);
		pthread_mutex_unlock(&p->lock);
	}
	return (emit_until(p, p->window, here));
}

int
ordpool_submit(struct ordpool *p, void *job)
{

	return (submit(p, job, 0));
}

int
ordpool_submit_here(struct ordpool *p, void *job)
{

	return (submit(p, job, 1));
}

int
ordpool_emit_ready(struct ordpool *p)
{

	return (emit_until(p, p->window, 1));
}

int
ordpool_drain(struct ordpool *p)
{

	return (emit_until(p, 0, 1));
}

int
ordpool_drain_to(struct ordpool *p, size_t keep)
{

	return (emit_until(p, keep, 1));
}

size_t
ordpool_pending(const struct ordpool *p)
{

	return ((size_t)(p->next_sub - p->next_emit));
}

int
ordpool_nworkers(const struct ordpool *p)
{

	return (p->nthreads);
}

void *
ordpool_local(struct ordpool *p)
{

	if (!p->local_made) {
		p->local = p->f.init != NULL ? p->f.init(p->ctx) : NULL;
		p->local_made = 1;
	}
	return (p->local);
}

void
ordpool_stop(struct ordpool *p)
{

	pthread_mutex_lock(&p->lock);
	p->stopped = 1;
	pthread_cond_broadcast(&p->work);
	pthread_cond_broadcast(&p->done);
	pthread_mutex_unlock(&p->lock);
}

void
ordpool_finish(struct ordpool *p)
{

	if (p == NULL)
		return;
	ordpool_drain(p);
	pool_close(p);
}

void
ordpool_free(struct ordpool *p)
{

	if (p == NULL)
		return;
	ordpool_stop(p);
	pool_close(p);
}
