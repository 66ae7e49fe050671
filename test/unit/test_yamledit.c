#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "yamledit.h"

static char *
edit(const char *in, const char *key, const char *value)
{
	char *out = NULL;
	size_t len;

	if (yamledit_set(in, strlen(in), "t.yaml", key, value, &out,
	    &len) != 0)
		return (NULL);
	EXPECT(len == strlen(out));
	return (out);
}

static void
t_replace_scalar(void)
{
	char *o;

	o = edit("# c\ncluster_name: 'x'\nnum_tokens: 256 # many\n"
	    "seeds: a\n", "num_tokens", "4");
	EXPECT_STR(o, "# c\ncluster_name: 'x'\nnum_tokens: 4 # many\n"
	    "seeds: a\n");
	free(o);
	/* an empty value, and a quoted key */
	o = edit("initial_token:\nb: 1\n", "initial_token", "-5,7");
	EXPECT_STR(o, "initial_token: -5,7\nb: 1\n");
	free(o);
	o = edit("\"num_tokens\": 8\n", "num_tokens", "2");
	EXPECT_STR(o, "num_tokens: 2\n");
	free(o);
}

static void
t_append(void)
{
	char *o;

	o = edit("a: 1\n# initial_token:\n", "initial_token", "1,2");
	EXPECT_STR(o, "a: 1\n# initial_token:\ninitial_token: 1,2\n");
	free(o);
	o = edit("a: 1", "b", "2");
	EXPECT_STR(o, "a: 1\nb: 2\n");
	free(o);
	/* a nested key of that name is not the top-level one */
	o = edit("x:\n  num_tokens: 3\n", "num_tokens", "2");
	EXPECT_STR(o, "x:\n  num_tokens: 3\nnum_tokens: 2\n");
	free(o);
}

static void
t_collections(void)
{
	char *o;

	o = edit("d:\n    - /a\n    - /b\n# kept\ne: 1\n", "d", "x");
	EXPECT_STR(o, "d: x\n# kept\ne: 1\n");
	free(o);
	o = edit("d: [a, b]  # c\ne: {k: v}\n", "d", "1");
	EXPECT_STR(o, "d: 1  # c\ne: {k: v}\n");
	free(o);
	o = edit("e: {k: v}\nd: 2\n", "e", "1");
	EXPECT_STR(o, "e: 1\nd: 2\n");
	free(o);
}

static void
t_refused(void)
{
	char *out = NULL;
	size_t len;

	EXPECT(yamledit_set("a: [1\n", 6, "t", "a", "1", &out, &len) != 0);
	EXPECT(yamledit_set("- 1\n", 4, "t", "a", "1", &out, &len) != 0);
	EXPECT(out == NULL);
}

int
main(void)
{

	TEST(t_replace_scalar);
	TEST(t_append);
	TEST(t_collections);
	TEST(t_refused);
	return (unit_done());
}
