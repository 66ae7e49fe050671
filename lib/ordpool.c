#include <pthread.h>
#include <stdlib.h>

#include "ordpool.h"
#include "warnp.h"

struct slot {
	void	*job;
	int	 done;
};

struct ordpool {
	struct ordpool_fns	 f;
	void			*ctx;
	pthread_mutex_t		 lock;
	pthread_cond_t		 work;	/* a job to run, or closing */
	pthread_cond_t		 done;	/* a job finished */
	struct slot		*ring;
	int			 window;
	unsigned long		 next_run;	/* next seq to hand out */
	unsigned long		 next_emit;
	unsigned long		 next_sub;
	int			 closing;
	pthread_t		*tids;
	int			 nthreads;
};

static void *
worker(void *arg)
{
	struct ordpool *p = arg;
	void *ws = p->f.init != NULL ? p->f.init(p->ctx) : NULL;
	struct slot *s;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		while (p->next_run == p->next_sub && !p->closing)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->next_run == p->next_sub)
			break;
		s = &p->ring[p->next_run++ % (unsigned long)p->window];
		pthread_mutex_unlock(&p->lock);
		p->f.run(p->ctx, ws, s->job);
		pthread_mutex_lock(&p->lock);
		s->done = 1;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	if (p->f.fini != NULL)
		p->f.fini(p->ctx, ws);
	return (NULL);
}

struct ordpool *
ordpool_new(int nworkers, int window, const struct ordpool_fns *fns,
    void *ctx)
{
	struct ordpool *p;
	int i;

	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->ring = calloc((size_t)window, sizeof(*p->ring))) == NULL ||
	    (p->tids = calloc((size_t)nworkers, sizeof(*p->tids))) == NULL) {
		warnp("cannot allocate a worker pool");
		if (p != NULL)
			free(p->ring);
		free(p);
		return (NULL);
	}
	p->f = *fns;
	p->ctx = ctx;
	p->window = window;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	for (i = 0; i < nworkers; i++) {
		if (pthread_create(&p->tids[i], NULL, worker, p) != 0)
			break;
		p->nthreads++;
	}
	if (p->nthreads == 0) {
		warn0("cannot start worker threads");
		ordpool_finish(p);
		return (NULL);
	}
	return (p);
}

/* Emit finished jobs at the head; with wait, wait for at least one. */
static void
emit_ready(struct ordpool *p, int wait)
{
	struct slot *s;
	void *job;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		if (p->next_emit == p->next_sub)
			break;
		s = &p->ring[p->next_emit % (unsigned long)p->window];
		if (!s->done) {
			if (!wait)
				break;
			pthread_cond_wait(&p->done, &p->lock);
			continue;
		}
		job = s->job;
		s->job = NULL;
		s->done = 0;
		p->next_emit++;
		wait = 0;
		pthread_mutex_unlock(&p->lock);
		p->f.emit(p->ctx, job);
		pthread_mutex_lock(&p->lock);
	}
	pthread_mutex_unlock(&p->lock);
}

void
ordpool_submit(struct ordpool *p, void *job)
{

	emit_ready(p, 0);
	while (p->next_sub - p->next_emit >= (unsigned long)p->window)
		emit_ready(p, 1);
	pthread_mutex_lock(&p->lock);
	p->ring[p->next_sub % (unsigned long)p->window].job = job;
	p->next_sub++;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->lock);
}

void
ordpool_finish(struct ordpool *p)
{
	int i;

	if (p == NULL)
		return;
	while (p->next_emit != p->next_sub)
		emit_ready(p, 1);
	pthread_mutex_lock(&p->lock);
	p->closing = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (i = 0; i < p->nthreads; i++)
		pthread_join(p->tids[i], NULL);
	pthread_mutex_destroy(&p->lock);
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	free(p->ring);
	free(p->tids);
	free(p);
}
