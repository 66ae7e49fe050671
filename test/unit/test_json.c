#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "unit.h"

static struct json_doc *
load(const char *s)
{
	FILE *f = fmemopen((void *)s, strlen(s), "r");
	struct json_doc *d;

	if (f == NULL)
		return (NULL);
	d = json_load(f, "test");
	fclose(f);
	return (d);
}

static const char doc[] =
    "{\"neg\": -1700000000123456789, \"pos\": 42, \"zero\": 0,"
    " \"min\": -9223372036854775808, \"max\": 9223372036854775807,"
    " \"over\": 9223372036854775808, \"under\": -9223372036854775809,"
    " \"plus\": \"+5\", \"space\": \" 5\", \"frac\": 1.5, \"word\": \"x\","
    " \"empty\": \"\", \"null\": null, \"arr\": [1]}";

static void
t_i64(void)
{
	struct json_doc *d = load(doc);
	yaml_node_t *r;

	EXPECT(d != NULL);
	if (d == NULL)
		return;
	r = json_root(d);
	EXPECT(json_get_i64(d, r, "neg", 7) == -1700000000123456789LL);
	EXPECT(json_get_i64(d, r, "pos", 7) == 42);
	EXPECT(json_get_i64(d, r, "zero", 7) == 0);
	EXPECT(json_get_i64(d, r, "min", 7) == INT64_MIN);
	EXPECT(json_get_i64(d, r, "max", 7) == INT64_MAX);
	json_free(d);
}

/* Anything but a clean signed integer is the default. */
static void
t_i64_default(void)
{
	static const char *const bad[] = { "over", "under", "plus", "space",
	    "frac", "word", "empty", "null", "arr", "missing" };
	struct json_doc *d = load(doc);
	yaml_node_t *r;
	size_t i;

	EXPECT(d != NULL);
	if (d == NULL)
		return;
	r = json_root(d);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (json_get_i64(d, r, bad[i], 7) != 7) {
			unit_cur_failed = 1;
			printf("# key %s is not the default\n", bad[i]);
		}
	}
	/* Not a mapping. */
	EXPECT(json_get_i64(d, json_get(d, r, "arr"), "neg", 7) == 7);
	json_free(d);
}

static void
t_u64(void)
{
	struct json_doc *d = load(doc);
	yaml_node_t *r;

	EXPECT(d != NULL);
	if (d == NULL)
		return;
	r = json_root(d);
	EXPECT(json_get_u64(d, r, "pos", 7) == 42);
	EXPECT(json_get_u64(d, r, "over", 7) == 9223372036854775808ULL);
	EXPECT(json_get_u64(d, r, "neg", 7) == 7);
	EXPECT(json_get_u64(d, r, "plus", 7) == 7);
	json_free(d);
}

int
main(void)
{

	TEST(t_i64);
	TEST(t_i64_default);
	TEST(t_u64);
	return (unit_done());
}
