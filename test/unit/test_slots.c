/*
 * lib/slots: never more holders than slots, slots_try() refuses while a
 * slots_take() waits (files before parts), and NULL is no budget.
 */

#include <pthread.h>
#include <unistd.h>

#include "slots.h"
#include "unit.h"

struct ctx {
	struct slots	*s;
	pthread_mutex_t	 lock;
	int		 held, max_held;
	int		 got;		/* t_waiter_first: the taker got one */
};

static void
t_count(void)
{
	struct slots *s = slots_new(2);

	EXPECT(s != NULL);
	EXPECT(slots_try(s) == 1);
	EXPECT(slots_try(s) == 1);
	EXPECT(slots_try(s) == 0);
	slots_give(s);
	EXPECT(slots_try(s) == 1);
	slots_give(s);
	slots_give(s);
	slots_take(s);
	slots_give(s);
	slots_free(s);
}

static void
t_null(void)
{

	EXPECT(slots_try(NULL) == 0);
	slots_free(NULL);
}

static void *
taker(void *arg)
{
	struct ctx *c = arg;

	slots_take(c->s);
	pthread_mutex_lock(&c->lock);
	c->got = 1;
	pthread_mutex_unlock(&c->lock);
	return (NULL);
}

/* A slot given back while a taker waits is the taker's, not a try's. */
static void
t_waiter_first(void)
{
	struct ctx c = { .s = slots_new(1) };
	pthread_t t;

	pthread_mutex_init(&c.lock, NULL);
	EXPECT(slots_try(c.s) == 1);
	pthread_create(&t, NULL, taker, &c);
	usleep(100000);		/* the taker is waiting by now */
	slots_give(c.s);
	EXPECT(slots_try(c.s) == 0);
	pthread_join(t, NULL);
	EXPECT(c.got == 1);
	slots_give(c.s);
	EXPECT(slots_try(c.s) == 1);
	slots_give(c.s);
	slots_free(c.s);
	pthread_mutex_destroy(&c.lock);
}

static void
hold(struct ctx *c, int d)
{

	pthread_mutex_lock(&c->lock);
	c->held += d;
	if (c->held > c->max_held)
		c->max_held = c->held;
	pthread_mutex_unlock(&c->lock);
}

static void *
churn(void *arg)
{
	struct ctx *c = arg;
	int i, got;

	for (i = 0; i < 2000; i++) {
		if (i % 2 == 0) {
			slots_take(c->s);
			got = 1;
		} else
			got = slots_try(c->s);
		if (!got)
			continue;
		hold(c, 1);
		if (i % 64 == 0)
			usleep(100);
		hold(c, -1);
		slots_give(c->s);
	}
	return (NULL);
}

static void
t_bound(void)
{
	struct ctx c = { .s = slots_new(3) };
	pthread_t t[8];
	int i;

	pthread_mutex_init(&c.lock, NULL);
	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, churn, &c);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
	EXPECT(c.max_held >= 1 && c.max_held <= 3);
	EXPECT(c.held == 0);
	for (i = 0; i < 3; i++)
		EXPECT(slots_try(c.s) == 1);
	EXPECT(slots_try(c.s) == 0);
	for (i = 0; i < 3; i++)
		slots_give(c.s);
	slots_free(c.s);
	pthread_mutex_destroy(&c.lock);
}

int
main(void)
{

	TEST(t_count);
	TEST(t_null);
	TEST(t_waiter_first);
	TEST(t_bound);
	return (unit_done());
}
