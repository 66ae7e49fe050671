#include <stdio.h>
#include <stdlib.h>

#include "strset.h"
#include "unit.h"

static void
t_put_get(void)
{
	struct strset s = { NULL, NULL, 0, 0 };
	char k[32];
	long i;

	EXPECT(strset_get(&s, "x") == -1);
	for (i = 0; i < 5000; i++) {
		snprintf(k, sizeof(k), "/k/%ld", i);
		EXPECT(strset_put(&s, k, i) == -1);
	}
	EXPECT(s.n == 5000);
	EXPECT(strset_put(&s, "/k/42", 7) == 42);	/* kept, not replaced */
	EXPECT(strset_get(&s, "/k/42") == 42);
	EXPECT(strset_get(&s, "/k/4999") == 4999);
	EXPECT(strset_get(&s, "/k/5000") == -1);
	EXPECT(strset_put(&s, "", 3) == -1 && strset_get(&s, "") == 3);
	strset_free(&s);
	EXPECT(s.n == 0 && strset_get(&s, "/k/1") == -1);
	EXPECT(strset_put(&s, "again", 1) == -1);
	strset_free(&s);
	strset_free(&s);
}

int
main(void)
{

	TEST(t_put_get);
	return (unit_done());
}
