/*
 * The pure parts of the S3 client: credentials files and JSON, XML walk,
 * CRC-32C, URL decoding, part sizes, size parsing, listed times,
 * DeleteObjects bodies and answers.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "awscred.h"
#include "crc32c.h"
#include "s3.h"
#include "s3cli.h"
#include "s3up.h"
#include "xmlwalk.h"
#include "unit.h"

static void
t_ini(void)
{
	char path[] = "/tmp/cb-ini.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fdopen(fd, "w");
	char *v;

	fputs("# comment\n[default]\nregion = eu-west-1\n"
	    "[profile p]\naws_access_key_id=AK\n ; x\n"
	    "services = mine\n[services mine]\ns3 =\n"
	    "  endpoint_url = http://h:1\nregion = r\n", f);
	fclose(f);
	EXPECT_STR(v = awscred_ini_get(path, "default", "region"),
	    "eu-west-1");
	free(v);
	EXPECT_STR(v = awscred_ini_get(path, "profile p",
	    "aws_access_key_id"), "AK");
	free(v);
	EXPECT_STR(v = awscred_ini_get(path, "services mine",
	    "s3.endpoint_url"), "http://h:1");
	free(v);
	EXPECT_STR(v = awscred_ini_get(path, "services mine", "region"),
	    "r");
	free(v);
	EXPECT(awscred_ini_get(path, "profile p", "region") == NULL);
	EXPECT_STR(v = awscred_ini_get(path, "profile p", NULL), "");
	free(v);
	EXPECT(awscred_ini_get(path, "profile q", NULL) == NULL);
	unlink(path);
}

static void
t_json(void)
{
	static const char ok[] = "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
	    "\"AccessKeyId\":\"ASIA1\",\"SecretAccessKey\":\"s/e+c\","
	    "\"Token\":\"tok==\",\"Expiration\":\"2024-01-01T12:00:00Z\"}";
	static const char bad[] = "{\"AccessKeyId\":\"ASIA1\"}";
	struct awscred c;

	EXPECT(awscred_parse_json(ok, strlen(ok), &c) == 0);
	EXPECT_STR(c.akid, "ASIA1");
	EXPECT_STR(c.secret, "s/e+c");
	EXPECT_STR(c.token, "tok==");
	EXPECT(c.expires == 1704110400);
	EXPECT(awscred_parse_json(bad, strlen(bad), &c) == -1);
	EXPECT(awscred_parse_json("{", 1, &c) == -1);
}

static int
walk_cb(void *cookie, const char *path, const char *text, size_t len)
{
	char *out = cookie;

	if (strcmp(path, "Error/Code") == 0 ||
	    strcmp(path, "Error/Message") == 0)
		strncat(out, text, len);
	strcat(out, "|");
	return (0);
}

static void
t_xmlwalk(void)
{
	static const char doc[] = "<?xml version=\"1.0\"?>\n<Error>"
	    "<Code>SlowDown</Code><Message>a &amp; b</Message>"
	    "<RequestId/></Error>";
	char out[256] = "", root[32];

	EXPECT(xmlwalk(doc, strlen(doc), walk_cb, out, root,
	    sizeof(root)) == 0);
	EXPECT_STR(root, "Error");
	EXPECT_STR(out, "SlowDown|a & b|||");
	EXPECT(xmlwalk("<a><b></a>", 10, walk_cb, out, NULL, 0) == -1);
}

static void
t_crc32c(void)
{
	char big[1000];

	EXPECT(crc32c(0, "123456789", 9) == 0xe3069283);
	EXPECT(crc32c(0, "", 0) == 0);
	memset(big, 'x', sizeof(big));
	EXPECT(crc32c(crc32c(0, big, 333), big + 333, 667) ==
	    crc32c(0, big, 1000));
}

/* Past three lanes of 4096 bytes, joined; values from crcmod. */
static void
t_crc32c_lanes(void)
{
	size_t n = 100003, i;
	unsigned char *b = malloc(n);

	EXPECT(b != NULL);
	for (i = 0; b != NULL && i < n; i++)
		b[i] = (unsigned char)(i * 7 + i / 4096);
	EXPECT(crc32c(0, b, n) == 0xc7e8cac7);
	EXPECT(crc32c(0, b, 3 * 4096) == 0xbe81e329);
	EXPECT(crc32c(0, b + 5, 6 * 4096 + 17) == 0x89a073b4);
	EXPECT(crc32c(crc32c(0, b, 4099), b + 4099, n - 4099) == 0xc7e8cac7);
	free(b);
}

static void
t_url_decode(void)
{
	char s[] = "a%20b+c%2Bd%25%C3%A9";

	s3_url_decode(s);
	EXPECT_STR(s, "a b c+d%\xc3\xa9");
}

static void
t_part_sizes(void)
{
	uint64_t total = 0;
	size_t base = s3up_part_size(8 << 20, -1);
	int n;

	EXPECT(base == 8 << 20);
	for (n = 1; n <= 10000; n++) {
		EXPECT(s3up_part_want(base, n) >= S3UP_MIN_PART);
		EXPECT(s3up_part_want(base, n) <= S3UP_MAX_PART);
		total += s3up_part_want(base, n);
	}
	EXPECT(total >= 5ULL << 40);	/* 5 TiB in 10,000 parts */
	/* from the smallest part (doubling every 1000 stopped at 4.99 TiB) */
	total = 0;
	for (n = 1; n <= 10000; n++)
		total += s3up_part_want(S3UP_MIN_PART, n);
	EXPECT(total >= 26ULL << 40);
	EXPECT(s3up_part_want(S3UP_MIN_PART, 10000) == S3UP_MAX_PART);
	/* a known size that needs bigger parts than asked */
	EXPECT(s3up_part_size(5 << 20, 1LL << 40) >= (1LL << 40) / 10000);
	EXPECT(s3up_part_size(1, 100) == S3UP_MIN_PART);
	/* AWS's largest object fits 10,000 parts of 5 GiB exactly */
	EXPECT(s3up_part_size(8 << 20, (int64_t)S3UP_MAX_OBJECT) ==
	    S3UP_MAX_PART);
}

/* check_address BUCKET ENDPOINT STYLE REGION: host, origin, prefix. */
static void
check_address(const char *bucket, const char *ep, enum s3_addressing st,
    const char *region, const char *host, const char *origin,
    const char *prefix)
{
	struct s3_opts o = { .endpoint = ep, .bucket = bucket,
	    .addressing = st };
	char *h, *og, *p;

	EXPECT(s3_address(&o, region, &h, &og, &p) == 0);
	EXPECT_STR(h, host);
	EXPECT_STR(og, origin);
	EXPECT_STR(p, prefix);
	free(h);
	free(og);
	free(p);
}

static void
t_address(void)
{
	struct s3_opts o = { .endpoint = "ftp://x", .bucket = "b" };
	char *h, *og, *p;

	/* AWS: virtual-hosted by default, path style for dotted names */
	check_address("bkt", NULL, S3_ADDR_AUTO, "eu-west-1",
	    "bkt.s3.eu-west-1.amazonaws.com",
	    "https://bkt.s3.eu-west-1.amazonaws.com", "/");
	check_address("a.b", NULL, S3_ADDR_AUTO, "us-east-1",
	    "s3.us-east-1.amazonaws.com",
	    "https://s3.us-east-1.amazonaws.com", "/a.b/");
	check_address("Up_per", NULL, S3_ADDR_AUTO, "us-east-1",
	    "s3.us-east-1.amazonaws.com",
	    "https://s3.us-east-1.amazonaws.com", "/Up_per/");
	check_address("bkt", NULL, S3_ADDR_PATH, "us-east-1",
	    "s3.us-east-1.amazonaws.com",
	    "https://s3.us-east-1.amazonaws.com", "/bkt/");
	/* the China partition has its own domain */
	check_address("bkt", NULL, S3_ADDR_AUTO, "cn-north-1",
	    "bkt.s3.cn-north-1.amazonaws.com.cn",
	    "https://bkt.s3.cn-north-1.amazonaws.com.cn", "/");
	/* custom endpoints: path style unless asked, path prefix kept */
	check_address("bkt", "http://127.0.0.1:7480", S3_ADDR_AUTO,
	    "us-east-1", "127.0.0.1:7480", "http://127.0.0.1:7480", "/bkt/");
	check_address("bkt", "https://minio.example:9000/s3/", S3_ADDR_AUTO,
	    "us-east-1", "minio.example:9000", "https://minio.example:9000",
	    "/s3/bkt/");
	check_address("bkt", "https://minio.example:9000/s3", S3_ADDR_VIRTUAL,
	    "us-east-1", "bkt.minio.example:9000",
	    "https://bkt.minio.example:9000", "/s3/");
	/* an AWS endpoint given explicitly is still AWS */
	check_address("bkt", "https://s3.us-west-2.amazonaws.com",
	    S3_ADDR_AUTO, "us-west-2", "bkt.s3.us-west-2.amazonaws.com",
	    "https://bkt.s3.us-west-2.amazonaws.com", "/");
	EXPECT(s3_address(&o, "us-east-1", &h, &og, &p) == -1);
	o.endpoint = "https://host/?x=1";
	EXPECT(s3_address(&o, "us-east-1", &h, &og, &p) == -1);
}

static void
t_composite(void)
{
	struct s3_part parts[2] = { { "\"e1\"", "4waSgw==" },
	    { "\"e2\"", "mnG7TA==" } };
	char out[24];

	/* CRC32C("123456789") = e3069283, CRC32C("hello"), composed */
	s3_crc32c_composite(parts, 2, out);
	EXPECT_STR(out, "P/EuhQ==-2");
	s3_crc32c_composite(parts, 1, out);
	EXPECT(strcmp(out + 8, "-1") == 0);
}

static void
t_error_exit(void)
{
	struct s3_error e = { .kind = S3_EHTTP, .status = 403 };

	strcpy(e.code, "SignatureDoesNotMatch");
	EXPECT(s3_error_exit(&e) == 77);
	e.status = 503;
	strcpy(e.code, "SlowDown");
	EXPECT(s3_error_exit(&e) == 75);
	e.status = 404;
	strcpy(e.code, "NoSuchKey");
	EXPECT(s3_error_exit(&e) == 1);
	e.status = 400;
	strcpy(e.code, "BadDigest");
	EXPECT(s3_error_exit(&e) == 65);
	e.status = 403;
	strcpy(e.code, "InvalidObjectState");
	EXPECT(s3_error_exit(&e) == 66);	/* archived: not denied */
	e.kind = S3_ENET;
	EXPECT(s3_error_exit(&e) == 69);
}

/* An SSE-C key: exactly the base64 of 32 bytes; its MD5 in base64. */
static void
t_ssec_check(void)
{
	static const char *const bad[] = { "", "AAAA",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",	/* no '=' */
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8==",	/* 45 */
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh==",	/* 31 bytes */
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=",
	    "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n", NULL };
	char md5[25];
	int i;

	EXPECT(s3_ssec_check("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
	    md5) == 0);
	EXPECT_STR(md5, "tP/LI3N87DFaSk0aoqYgzg==");
	for (i = 0; bad[i] != NULL; i++)
		EXPECT(s3_ssec_check(bad[i], md5) == -1);
}

/* Only a 404 whose body said NoSuchKey is a definite absence. */
static void
t_no_such_key(void)
{
	struct s3_error e = { .kind = S3_EHTTP, .status = 404,
	    .code_sent = 1 };

	strcpy(e.code, "NoSuchKey");
	EXPECT(s3_error_no_such_key(&e));
	e.code_sent = 0;		/* guessed from a bodiless 404 */
	EXPECT(!s3_error_no_such_key(&e));
	e.code_sent = 1;
	strcpy(e.code, "NoSuchBucket");
	EXPECT(!s3_error_no_such_key(&e));
	strcpy(e.code, "NoSuchKey");
	e.status = 403;
	EXPECT(!s3_error_no_such_key(&e));
	e.status = 404;
	e.kind = S3_ENET;
	EXPECT(!s3_error_no_such_key(&e));
}

/* Content-Range from an untrusted server: the exact forms, nothing else. */
static void
t_content_range(void)
{
	static const char *const bad[] = { "", "bytes", "bytes ",
	    "bytes 0-9", "bytes 0-9/", "bytes */*", "bytes 0-9/9",
	    "bytes 9-0/10", "bytes 0-9/1x", "bytes 0-9/ 10", "bytes 0-9/+10",
	    "bytes 0-9/-10", "bytes -1-9/10", "bytes 0--9/10", "bytes 0-/10",
	    "bytes -9/10", "bytes 0-9/10/11", "bytes 0-9/10 ", "Bytes 0-9/10",
	    "items 0-9/10", "bytes 0-9/9223372036854775808",
	    "bytes 0-9/99999999999999999999", "bytes */-1", "bytes *-9/10",
	    "bytes 0-9223372036854775807/9223372036854775807" };
	int64_t t;
	size_t i;

	t = 7;
	EXPECT(s3_content_range_total("bytes 0-99/1234", &t) == 0 && t == 1234);
	EXPECT(s3_content_range_total("bytes 0-0/1", &t) == 0 && t == 1);
	EXPECT(s3_content_range_total("bytes */1234", &t) == 0 && t == 1234);
	EXPECT(s3_content_range_total("bytes */0", &t) == 0 && t == 0);
	EXPECT(s3_content_range_total("bytes 0-99/*", &t) == 0 && t == -1);
	EXPECT(s3_content_range_total("bytes 5-9/9223372036854775807", &t) ==
	    0 && t == INT64_MAX);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		if (s3_content_range_total(bad[i], &t) != -1 || t != 7) {
			unit_cur_failed = 1;
			printf("# '%s' is read\n", bad[i]);
		}
	}
}

static void
t_etag_parts(void)
{
	static const char *const zero[] = { "", "\"\"", "\"abc\"",
	    "\"abc-\"", "\"abc-0\"", "\"abc-10001\"", "\"abc-3x\"",
	    "\"abc-+3\"", "\"abc- 3\"", "\"abc-3 \"", "\"abc-3\" ",
	    "\"abc-3", "abc-3", "abc-3\"", "\"-3\"", "\"abc-99999999999\"",
	    "\"abc-3\"\"" };
	size_t i;

	EXPECT(s3_etag_parts("\"0123456789abcdef-3\"") == 3);
	EXPECT(s3_etag_parts("\"a-1\"") == 1);
	EXPECT(s3_etag_parts("\"a-10000\"") == 10000);
	EXPECT(s3_etag_parts("\"a-b-12\"") == 12);
	EXPECT(s3_etag_parts("\"a--12\"") == 12);
	for (i = 0; i < sizeof(zero) / sizeof(zero[0]); i++) {
		if (s3_etag_parts(zero[i]) != 0) {
			unit_cur_failed = 1;
			printf("# %s has parts\n", zero[i]);
		}
	}
}

static void
t_time_parse(void)
{
	static const char *const bad[] = { "", "2026-12-02T02:40:11",
	    "2026-12-02T02:40:11.000", "2026-12-02 02:40:11Z",
	    " 2026-12-02T02:40:11Z", "2026-12-2T02:40:11Z",
	    "2026-12-02T02:40:11.Z", "2026-12-02T02:40:11.000Zx",
	    "2026-12-02T02:40:11+01:00", "2026-13-02T02:40:11Z",
	    "2026-12-02T25:40:11Z", "x026-12-02T02:40:11Z" };
	time_t t;
	size_t i;

	EXPECT(s3_time_parse("2026-12-02T02:40:11.000Z", &t) == 0 &&
	    t == 1796179211);
	EXPECT(s3_time_parse("2026-12-02T02:40:11Z", &t) == 0 &&
	    t == 1796179211);
	EXPECT(s3_time_parse("1970-01-01T00:00:00.123456Z", &t) == 0 &&
	    t == 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		t = 7;
		if (s3_time_parse(bad[i], &t) != -1 || t != 7) {
			unit_cur_failed = 1;
			printf("# '%s' is read\n", bad[i]);
		}
	}
}

static void
t_xml_key_check(void)
{
	static const char *ok[] = { "a", "a b/%41&<>\"'",
	    "\xc3\xbc\xe2\x82\xac", "\xf0\x9f\x98\x80", "tab\there",
	    "new\nline", "cr\rx", "del\x7f", "\xef\xbf\xbd" };
	static const char *bad[] = { "", "\x01", "a\x1f\x62", "esc\x1b[1m",
	    "\xff", "\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xef\xbf\xbe",
	    "\xef\xbf\xbf" };
	size_t i;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (s3_xml_key_check(ok[i]) != 0) {
			unit_cur_failed = 1;
			printf("# good key %zu refused\n", i);
		}
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (s3_xml_key_check(bad[i]) != -1) {
			unit_cur_failed = 1;
			printf("# bad key %zu taken\n", i);
		}
}

static void
t_delete_body(void)
{
	const char *keys[] = { "a&b", "<x>\"q'", "t\tn\nr\r", "\xc3\xbc ]]>" };
	char *body;
	size_t len;

	body = s3_delete_body(keys, 4, &len);
	EXPECT_STR(body, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
	    "<Quiet>false</Quiet>"
	    "<Object><Key>a&amp;b</Key></Object>"
	    "<Object><Key>&lt;x&gt;&quot;q&apos;</Key></Object>"
	    "<Object><Key>t&#9;n&#10;r&#13;</Key></Object>"
	    "<Object><Key>\xc3\xbc ]]&gt;</Key></Object></Delete>");
	EXPECT(body != NULL && len == strlen(body));
	free(body);
}

#define DR	"<DeleteResult " \
		"xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"

static void
t_delete_parse(void)
{
	const char *keys[] = { "a&b", "gone", "d", "a&b", "t\tn\nr\r", "z" };
	/* out of order, one key twice asked, an error, NoSuchKey */
	static const char ok[] = "<?xml version=\"1.0\"?>\n" DR
	    "<Deleted><Key>t&#9;n&#10;r&#13;</Key></Deleted>"
	    "<Error><Key>d</Key><Code>AccessDenied</Code>"
	    "<Message>Access Denied</Message></Error>"
	    "<Deleted><Key>a&amp;b</Key><VersionId>v</VersionId></Deleted>"
	    "<Error><Key>gone</Key><Code>NoSuchKey</Code><Message/></Error>"
	    "<Deleted><Key>z</Key></Deleted></DeleteResult>";
	static const char *bad[] = {
	    DR "<Deleted><Key>a&amp;b</Key></Deleted></DeleteResult>",
	    DR "<Deleted><Key>a&amp;b</Key></Deleted><Deleted><Key>gone</Key>"
	    "</Deleted><Deleted><Key>d</Key></Deleted><Deleted><Key>other</Key>"
	    "</Deleted></DeleteResult>",
	    DR "<Error><Key>d</Key><Message>m</Message></Error></DeleteResult>",
	    DR "<Deleted></Deleted></DeleteResult>",
	    "<Error><Code>InternalError</Code></Error>",
	    DR "<Deleted><Key>d</Key></Deleted>",
	};
	const char *one[] = { "d" };
	struct s3_delres res[6];
	size_t i;

	memset(res, 0xff, sizeof(res));
	EXPECT(s3_delete_parse(ok, strlen(ok), keys, 6, res) == 0);
	EXPECT(res[0].deleted && res[0].code[0] == '\0');
	EXPECT(res[1].deleted);
	EXPECT(!res[2].deleted);
	EXPECT_STR(res[2].code, "AccessDenied");
	EXPECT_STR(res[2].msg, "Access Denied");
	EXPECT(res[3].deleted && res[4].deleted && res[5].deleted);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (s3_delete_parse(bad[i], strlen(bad[i]), i < 2 ? keys : one,
		    i < 2 ? 4 : 1, res) != -1) {
			unit_cur_failed = 1;
			printf("# bad answer %zu read\n", i);
		}
}

int
main(void)
{

	TEST(t_ini);
	TEST(t_json);
	TEST(t_xmlwalk);
	TEST(t_crc32c);
	TEST(t_crc32c_lanes);
	TEST(t_url_decode);
	TEST(t_part_sizes);
	TEST(t_address);
	TEST(t_composite);
	TEST(t_error_exit);
	TEST(t_no_such_key);
	TEST(t_ssec_check);
	TEST(t_content_range);
	TEST(t_etag_parts);
	TEST(t_time_parse);
	TEST(t_xml_key_check);
	TEST(t_delete_body);
	TEST(t_delete_parse);
	return (unit_done());
}
