/*
 * The budget of transfer slots (slots.h): a counting semaphore whose
 * blocking takers come before the non-blocking ones.
 */

#include <pthread.h>
#include <stdlib.h>

#include "slots.h"
#include "warnp.h"

struct slots {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cv;
	int		 free;
	int		 waiting;	/* in slots_take() */
};

struct slots *
slots_new(int n)
{
	struct slots *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		warnp("cannot allocate");
		return (NULL);
	}
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cv, NULL);
	s->free = n < 1 ? 1 : n;
	return (s);
}

void
slots_take(struct slots *s)
{

	pthread_mutex_lock(&s->lock);
	s->waiting++;
	while (s->free == 0)
		pthread_cond_wait(&s->cv, &s->lock);
	s->waiting--;
	s->free--;
	pthread_mutex_unlock(&s->lock);
}

int
slots_try(struct slots *s)
{
	int got = 0;

	if (s == NULL)
		return (0);
	pthread_mutex_lock(&s->lock);
	if (s->free > 0 && s->waiting == 0) {
		s->free--;
		got = 1;
	}
	pthread_mutex_unlock(&s->lock);
	return (got);
}

void
slots_give(struct slots *s)
{

	pthread_mutex_lock(&s->lock);
	s->free++;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->lock);
}

void
slots_free(struct slots *s)
{

	if (s == NULL)
		return;
	pthread_mutex_destroy(&s->lock);
	pthread_cond_destroy(&s->cv);
	free(s);
}
