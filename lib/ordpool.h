#ifndef ORDPOOL_H
#define ORDPOOL_H

/*
 * Run jobs on worker threads and take the results back in submission
 * order: the list modes of cb-s3put and cb-s3get (one record in, one
 * result out, in input order, each written as soon as it and every
 * earlier one are done).
 */

/* Per-worker state (a connection): made and freed in the worker. */
typedef void *ordpool_init_fn(void *ctx);
typedef void ordpool_fini_fn(void *ctx, void *wstate);
/* Do the job in a worker; wstate is NULL if init failed. */
typedef void ordpool_run_fn(void *ctx, void *wstate, void *job);
/* Take a finished job back, in order, in the submitting thread. */
typedef void ordpool_emit_fn(void *ctx, void *job);

struct ordpool_fns {
	ordpool_init_fn	*init;
	ordpool_fini_fn	*fini;
	ordpool_run_fn	*run;
	ordpool_emit_fn	*emit;
};

struct ordpool;

/*
 * Start nworkers threads; at most window jobs are pending at once.
 * Returns NULL on failure (reported).
 */
struct ordpool *ordpool_new(int nworkers, int window,
    const struct ordpool_fns *fns, void *ctx);

/*
 * Queue job (now owned by the pool until emitted), emitting finished
 * jobs meanwhile; blocks while the window is full.
 */
void ordpool_submit(struct ordpool *p, void *job);

/* Wait for every job, emit the rest, stop the workers, free the pool. */
void ordpool_finish(struct ordpool *p);

#endif
