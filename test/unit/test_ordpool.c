/*
 * lib/ordpool: results come back in submission order whatever the
 * workers' timing, never more than the window pending, per-worker state
 * made and freed once per worker, jobs run in the calling thread with no
 * workers (and through ordpool_submit_here()), ordpool_drain_to() leaves
 * at most what it is told pending, and a stop ends the run
 * early: nothing emitted after it, nothing submitted after it.
 */

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "ordpool.h"
#include "unit.h"

#define NJOBS	200

struct job {
	int		 n;
	int		 ran;
	int		 here;		/* ran in the calling thread */
	void		*ws;
};

struct ctx {
	struct ordpool	*pool;
	struct job	 jobs[NJOBS];
	pthread_t	 main;
	pthread_mutex_t	 lock;
	int		 inits, finis;
	int		 emitted[NJOBS];
	int		 nemitted;
	int		 out_of_order;
	int		 pending, max_pending;	/* submitted, not emitted */
	int		 stop_at;		/* -1: never */
	int		 seed;
};

static void *
t_init(void *arg)
{
	struct ctx *c = arg;
	int *ws = malloc(sizeof(*ws));

	pthread_mutex_lock(&c->lock);
	*ws = ++c->inits;
	pthread_mutex_unlock(&c->lock);
	return (ws);
}

static void
t_fini(void *arg, void *ws)
{
	struct ctx *c = arg;

	pthread_mutex_lock(&c->lock);
	c->finis++;
	pthread_mutex_unlock(&c->lock);
	free(ws);
}

static void
t_run(void *arg, void *ws, void *job)
{
	struct ctx *c = arg;
	struct job *j = job;

	/* Later jobs often finish first. */
	usleep((useconds_t)((j->n * 7919 + c->seed) % 5) * 200);
	j->ran = 1;
	j->ws = ws;
	j->here = pthread_equal(pthread_self(), c->main);
	if (j->n == c->stop_at)
		ordpool_stop(c->pool);
}

static void
t_emit(void *arg, void *job)
{
	struct ctx *c = arg;
	struct job *j = job;

	EXPECT(pthread_equal(pthread_self(), c->main));
	if (j->n != c->nemitted || !j->ran)
		c->out_of_order = 1;
	c->emitted[c->nemitted++] = j->n;
	c->pending--;
}

static const struct ordpool_fns fns = { t_init, t_fini, t_run, t_emit };

static void
ctx_init(struct ctx *c, int stop_at)
{
	int i;

	memset(c, 0, sizeof(*c));
	c->main = pthread_self();
	pthread_mutex_init(&c->lock, NULL);
	c->stop_at = stop_at;
	for (i = 0; i < NJOBS; i++)
		c->jobs[i].n = i;
}

/* Submit every job (here: every third through ordpool_submit_here()). */
static int
run_all(struct ctx *c, int nworkers, int window, int here)
{
	int i, k, rc = 0;

	c->pool = ordpool_new(nworkers, window, &fns, c);
	EXPECT(c->pool != NULL);
	if (c->pool == NULL)
		return (-1);
	for (i = 0; i < NJOBS && rc == 0; i++) {
		if ((k = ordpool_room(c->pool)) < 0) {
			rc = -1;
			break;
		}
		EXPECT(k == i % window);
		EXPECT(ordpool_pending(c->pool) < (size_t)window);
		c->pending++;
		rc = here && i % 3 == 0 ?
		    ordpool_submit_here(c->pool, &c->jobs[i]) :
		    ordpool_submit(c->pool, &c->jobs[i]);
		if (rc != 0)
			break;
		if (c->pending > c->max_pending)
			c->max_pending = c->pending;
		EXPECT(ordpool_pending(c->pool) == (size_t)c->pending);
	}
	if (rc == 0)
		rc = ordpool_drain(c->pool);
	ordpool_free(c->pool);
	return (rc);
}

static void
t_order(void)
{
	struct ctx c;
	int i, seed;

	for (seed = 0; seed < 4; seed++) {
		ctx_init(&c, -1);
		c.seed = seed;
		EXPECT(run_all(&c, 4, 9, 0) == 0);
		EXPECT(c.nemitted == NJOBS);
		EXPECT(!c.out_of_order);
		for (i = 0; i < NJOBS; i++)
			EXPECT(c.jobs[i].ran && !c.jobs[i].here);
		EXPECT(c.max_pending <= 9);
		EXPECT(c.inits == 4 && c.finis == 4);
	}
}

static void
t_window(void)
{
	struct ctx c;

	ctx_init(&c, -1);
	EXPECT(run_all(&c, 3, 2, 0) == 0);
	EXPECT(c.nemitted == NJOBS && !c.out_of_order);
	EXPECT(c.max_pending <= 2);
	ctx_init(&c, -1);
	EXPECT(run_all(&c, 2, 1, 0) == 0);
	EXPECT(c.nemitted == NJOBS && !c.out_of_order);
	EXPECT(c.max_pending <= 1);
}

/* ordpool_drain_to(): at most keep pending after it, emitted in order. */
static void
t_drain_to(void)
{
	struct ctx c;
	int i;

	ctx_init(&c, -1);
	c.pool = ordpool_new(3, 8, &fns, &c);
	EXPECT(c.pool != NULL);
	if (c.pool == NULL)
		return;
	for (i = 0; i < 6; i++) {
		c.pending++;
		EXPECT(ordpool_submit(c.pool, &c.jobs[i]) == 0);
	}
	EXPECT(ordpool_drain_to(c.pool, 2) == 0);
	EXPECT(ordpool_pending(c.pool) <= 2);
	EXPECT(c.nemitted >= 4 && !c.out_of_order);
	EXPECT(ordpool_drain_to(c.pool, 0) == 0);
	EXPECT(c.nemitted == 6 && !c.out_of_order);
	ordpool_free(c.pool);
}

static void
t_inline(void)
{
	struct ctx c;
	int i;

	ctx_init(&c, -1);
	EXPECT(run_all(&c, 0, 1, 0) == 0);
	EXPECT(c.nemitted == NJOBS && !c.out_of_order);
	/* Each job ran here and was emitted before its submit returned. */
	EXPECT(c.max_pending == 0);
	for (i = 0; i < NJOBS; i++)
		EXPECT(c.jobs[i].here && c.jobs[i].ws == c.jobs[0].ws);
	/* One state, the calling thread's, made at the first job. */
	EXPECT(c.inits == 1 && c.finis == 1);
}

static void
t_submit_here(void)
{
	struct ctx c;
	int i;

	ctx_init(&c, -1);
	EXPECT(run_all(&c, 2, 5, 1) == 0);
	EXPECT(c.nemitted == NJOBS && !c.out_of_order);
	for (i = 0; i < NJOBS; i++)
		EXPECT(c.jobs[i].here == (i % 3 == 0));
	EXPECT(c.inits == 3 && c.finis == 3);
}

static void
t_stop(void)
{
	struct ctx c;
	int i, ran, nw, here, window;

	for (nw = 0; nw <= 3; nw++) {
		for (here = 0; here <= 1; here++) {
			window = nw > 0 ? 2 * nw + 1 : 1;
			ctx_init(&c, 50);
			EXPECT(run_all(&c, nw, window, here) == -1);
			/* Only jobs before the stopping one were emitted. */
			EXPECT(!c.out_of_order && c.nemitted <= 50);
			EXPECT(!c.jobs[50].ran || c.nemitted < 51);
			for (i = ran = 0; i < NJOBS; i++)
				ran += c.jobs[i].ran;
			/* Nothing submitted after it beyond the window. */
			EXPECT(ran >= 51 && ran <= 50 + window);
			if (nw == 0)
				EXPECT(ran == 51 && c.nemitted == 50);
			EXPECT(c.inits == c.finis);
		}
	}
}

static void
t_stop_from_emit(void)
{
	struct ctx c;
	struct ordpool *p;
	int i, rc = 0;

	/* A stop with nothing pending: every call says so at once. */
	ctx_init(&c, -1);
	p = c.pool = ordpool_new(2, 3, &fns, &c);
	EXPECT(p != NULL);
	for (i = 0; i < 10 && rc == 0; i++)
		rc = ordpool_submit(p, &c.jobs[i]);
	EXPECT(rc == 0 && ordpool_drain(p) == 0);
	ordpool_stop(p);
	EXPECT(ordpool_room(p) == -1);
	EXPECT(ordpool_submit(p, &c.jobs[10]) == -1);
	EXPECT(ordpool_drain(p) == -1 && ordpool_emit_ready(p) == -1);
	ordpool_finish(p);
	EXPECT(c.nemitted == 10 && !c.jobs[10].ran);
	ordpool_free(NULL);
	ordpool_finish(NULL);
}

int
main(void)
{

	TEST(t_order);
	TEST(t_window);
	TEST(t_drain_to);
	TEST(t_inline);
	TEST(t_submit_here);
	TEST(t_stop);
	TEST(t_stop_from_emit);
	return (unit_done());
}
