#ifndef ORDPOOL_H
#define ORDPOOL_H

/*
 * The ordered worker pool: jobs run on worker threads and are taken back
 * in submission order, in the submitting thread, each as soon as it and
 * every earlier one are done.  At most window jobs are pending (submitted,
 * not yet taken back), whatever the stream length.  Used by the lzop
 * (de)compression pipeline (a job per block), s3down (a ranged GET per
 * chunk) and the list modes of cb-s3put and cb-s3get (a job per record).
 *
 * Every function but ordpool_stop() is called from the submitting thread
 * only.  Callbacks:
 *   init/fini	per-worker state (a connection, compression work memory),
 *		made and freed in each worker, and for the submitting thread
 *		by ordpool_local(); NULL when there is none
 *   run	does a job, in a worker (or in the submitting thread: with
 *		no workers, or through ordpool_submit_here()); wstate is
 *		NULL if init failed
 *   emit	takes a finished job back, in order, in the submitting thread
 */

#include <stddef.h>

typedef void *ordpool_init_fn(void *ctx);
typedef void ordpool_fini_fn(void *ctx, void *wstate);
typedef void ordpool_run_fn(void *ctx, void *wstate, void *job);
typedef void ordpool_emit_fn(void *ctx, void *job);

struct ordpool_fns {
	ordpool_init_fn	*init;
	ordpool_fini_fn	*fini;
	ordpool_run_fn	*run;
	ordpool_emit_fn	*emit;
};

struct ordpool;

/*
 * Start nworkers threads (0: none, every job runs in the submitting thread
 * as it is submitted) with room for window >= 1 pending jobs.  Returns NULL
 * on failure (reported).
 */
struct ordpool *ordpool_new(int nworkers, int window,
    const struct ordpool_fns *fns, void *ctx);

/*
 * Wait, emitting finished jobs, until one more job fits the window.
 * Returns the ring position (0 .. window-1) the next submitted job takes,
 * so a caller may keep one buffer per position: the job that held it has
 * been emitted.  Returns -1 once stopped.
 */
int ordpool_room(struct ordpool *p);

/*
 * Queue job (owned by the pool until emitted) once it fits the window,
 * then emit the jobs already finished while the workers have queued jobs
 * to take (with a worker idle, the next submit comes first; the window
 * bounds the lag, ordpool_drain() ends it).  Returns 0, or -1 once stopped
 * (the job may then have run, or not; it is not emitted).
 */
int ordpool_submit(struct ordpool *p, void *job);

/*
 * As ordpool_submit(), but run the job now in this thread (cheap work),
 * then emit every job already finished.
 */
int ordpool_submit_here(struct ordpool *p, void *job);

/* Emit the finished jobs at the head without waiting.  Returns 0 or -1. */
int ordpool_emit_ready(struct ordpool *p);

/* Wait for every pending job and emit it.  Returns 0, or -1 once stopped. */
int ordpool_drain(struct ordpool *p);

/*
 * Wait, emitting in order, until at most keep jobs are pending.  Returns 0,
 * or -1 once stopped.
 */
int ordpool_drain_to(struct ordpool *p, size_t keep);

/* Jobs submitted and not yet emitted. */
size_t ordpool_pending(const struct ordpool *p);

/* Worker threads running (0: inline mode). */
int ordpool_nworkers(const struct ordpool *p);

/*
 * The submitting thread's state, made by init at the first call (NULL if
 * none or if init failed) and freed by fini when the pool is freed.
 */
void *ordpool_local(struct ordpool *p);

/*
 * Stop early (from any thread, e.g. a job that failed, or emit): no
 * further job starts or is emitted, waits end, and the calls above return
 * -1.  Jobs not emitted stay the caller's.
 */
void ordpool_stop(struct ordpool *p);

/* Emit every job (ordpool_drain()), stop the workers, free the pool. */
void ordpool_finish(struct ordpool *p);

/*
 * Stop, wait for the jobs running, free the pool; jobs not emitted stay
 * the caller's.  NULL is a no-op.
 */
void ordpool_free(struct ordpool *p);

#endif
