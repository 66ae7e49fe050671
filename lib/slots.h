#ifndef SLOTS_H
#define SLOTS_H

/*
 * A budget of transfer slots (-j N in the list modes of cb-s3put and
 * cb-s3get): each file in progress holds one, and the parts of a large
 * file borrow the free ones, so at most N requests are in flight in all
 * and each part buffer in use is a slot's.  A file waiting for a slot is
 * served before a part: slots_try() refuses while slots_take() waits, so
 * small files keep flowing and a large file takes what they leave.
 * Thread safe.
 */

struct slots;

/* A budget of n >= 1 slots, all free.  NULL on failure (reported). */
struct slots *slots_new(int n);

/* Take a slot, waiting until one is free. */
void slots_take(struct slots *s);

/*
 * Take a slot if one is free and nobody waits in slots_take().  Returns 1
 * if taken, else 0.  NULL (no budget) never gives one.
 */
int slots_try(struct slots *s);

/* Give a slot back. */
void slots_give(struct slots *s);

/* Free the budget (every slot given back).  NULL is a no-op. */
void slots_free(struct slots *s);

#endif
