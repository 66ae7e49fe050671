#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
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

/* json_put_str() of s, read back by json_load(): the same bytes. */
static void
roundtrip(const char *s)
{
	char *buf = NULL;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	struct json_doc *d;
	const char *back;

	fputs("{\"s\": ", f);
	json_put_str(f, s);
	fputs("}", f);
	fclose(f);
	d = load(buf);
	EXPECT(d != NULL);
	back = d != NULL ? json_strn(json_get(d, json_root(d), "s"), &n) :
	    NULL;
	EXPECT(back != NULL && n == strlen(s) && memcmp(back, s, n) == 0);
	if (back == NULL || n != strlen(s) || memcmp(back, s, n) != 0)
		printf("# wrote %s\n", buf);
	json_free(d);
	free(buf);
}

static void
t_put_str_roundtrip(void)
{
	char all[128];
	int i;

	for (i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	all[127] = '\0';
	roundtrip(all);
	roundtrip("a\tb\nc\rd \"q\" \\ / %41");
	roundtrip("\xc2\x80\xc2\x85\xc2\x9f\xc2\xa0 été");
	roundtrip("\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xef\xbf\xbe\xef\xbf\xbf");
	roundtrip("\xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf");
	roundtrip("  lead and trail  ");
	roundtrip("");
}

static void
t_put_str_not_utf8(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	json_put_str(f, "a\xff\xc3");
	fclose(f);
	EXPECT_STR(buf, "\"a\\ufffd\\ufffd\"");
	free(buf);
}

static void
t_base64(void)
{
	static const char bytes[] = "/d/bad\xff\xfe\t\n";
	char *buf = NULL, *b;
	size_t len = 0, n;
	FILE *f = open_memstream(&buf, &len);
	struct json_doc *d;
	yaml_node_t *r;

	fputs("{\"b\": ", f);
	json_put_base64(f, bytes, sizeof(bytes) - 1);
	fputs(", \"e\": \"\", \"one\": \"YQ==\", \"two\": \"YWI=\","
	    " \"nul\": \"YQBi\", \"short\": \"YWI\", \"pad\": \"Y===\","
	    " \"mid\": \"YQ==YQ==\", \"space\": \" YWI=\", \"bad\": \"YW!=\","
	    " \"num\": 12, \"null\": null}", f);
	fclose(f);
	EXPECT(strstr(buf, "\"L2QvYmFk//4JCg==\"") != NULL);
	EXPECT((d = load(buf)) != NULL);
	if (d == NULL)
		return;
	r = json_root(d);
	b = json_get_base64(d, r, "b", &n);
	EXPECT(b != NULL && n == sizeof(bytes) - 1 &&
	    memcmp(b, bytes, n) == 0);
	free(b);
	b = json_get_base64(d, r, "one", &n);
	EXPECT(b != NULL && n == 1 && strcmp(b, "a") == 0);
	free(b);
	b = json_get_base64(d, r, "two", &n);
	EXPECT(b != NULL && n == 2 && strcmp(b, "ab") == 0);
	free(b);
	b = json_get_base64(d, r, "nul", &n);	/* the caller checks NUL */
	EXPECT(b != NULL && n == 3 && strlen(b) == 1);
	free(b);
	errno = 0;
	EXPECT(json_get_base64(d, r, "missing", &n) == NULL && errno == 0);
	EXPECT(json_get_base64(d, r, "null", &n) == NULL && errno == 0);
	b = json_get_base64(d, r, "e", &n);	/* nothing: the caller checks */
	EXPECT(b != NULL && n == 0);
	free(b);
	EXPECT(json_get_base64(d, r, "short", &n) == NULL && errno == EINVAL);
	EXPECT(json_get_base64(d, r, "pad", &n) == NULL && errno == EINVAL);
	EXPECT(json_get_base64(d, r, "mid", &n) == NULL && errno == EINVAL);
	EXPECT(json_get_base64(d, r, "space", &n) == NULL && errno == EINVAL);
	EXPECT(json_get_base64(d, r, "bad", &n) == NULL && errno == EINVAL);
	EXPECT(json_get_base64(d, r, "num", &n) == NULL && errno == EINVAL);
	json_free(d);
	free(buf);
}

static void
t_strn_nul(void)
{
	struct json_doc *d = load("{\"p\": \"a\\u0000b\"}");
	const char *s;
	size_t n = 0;

	EXPECT(d != NULL);
	if (d == NULL)
		return;
	s = json_strn(json_get(d, json_root(d), "p"), &n);
	EXPECT(s != NULL && n == 3 && strlen(s) == 1);
	json_free(d);
}

int
main(void)
{

	TEST(t_i64);
	TEST(t_i64_default);
	TEST(t_u64);
	TEST(t_put_str_roundtrip);
	TEST(t_put_str_not_utf8);
	TEST(t_base64);
	TEST(t_strn_nul);
	return (unit_done());
}
