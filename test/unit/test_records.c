#include <stdint.h>
#include <stdlib.h>

#include "records.h"
#include "unit.h"

static FILE *
mem(const char *s, size_t len)
{

	return (fmemopen((void *)s, len, "r"));
}

static void
t_split_path_last_keeps_tabs(void)
{
	static const char in[] = "12\t345\tdir/a\tb.db";
	FILE *f = mem(in, sizeof(in));	/* includes the NUL terminator */
	struct rec_reader *r = rec_reader_new(f, 1, "t");
	char *fl[3];

	EXPECT(rec_reader_next(r, 3, fl) == 1);
	EXPECT_STR(fl[0], "12");
	EXPECT_STR(fl[1], "345");
	EXPECT_STR(fl[2], "dir/a\tb.db");
	EXPECT(rec_reader_next(r, 3, fl) == 0);
	rec_reader_free(r);
	fclose(f);
}

static void
t_short_record_is_error(void)
{
	static const char in[] = "1\t2\tp\nonly\n";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	char *fl[3];

	EXPECT(rec_reader_next(r, 3, fl) == 1);
	EXPECT(rec_reader_next(r, 3, fl) == -1);
	EXPECT(rec_reader_number(r) == 2);
	rec_reader_free(r);
	fclose(f);
}

static void
t_unterminated_is_error(void)
{
	static const char in[] = "a\tb";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	char *fl[2];

	EXPECT(rec_reader_next(r, 2, fl) == -1);
	rec_reader_free(r);
	fclose(f);
}

static void
t_write_refuses_tab_in_newline_mode(void)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	const char *ok[] = { "1", "a b" }, *bad[] = { "1", "a\tb" };

	EXPECT(rec_write(f, 0, 2, ok) == 0);
	EXPECT(rec_write(f, 0, 2, bad) == -1);
	EXPECT(rec_write(f, 1, 2, bad) == 0);
	fclose(f);
	EXPECT(len == 12);
	EXPECT_MEM(buf, "1\ta b\n1\ta\tb\0", 12);
	free(buf);
}

#define SHA "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void
t_xfer_ok_negative_mtime(void)
{
	static const char in[] = "ok\t1048576\t524311\t" SHA "\t5d41-2\t"
	    "base/h1/a b.db.lzo\t1048576\t-1500000000\t42\t/var/a\tb.db\n";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	struct xfer_rec x;

	EXPECT(rec_read_xfer(r, REC_XFER_FIELDS, &x) == 1);
	EXPECT(x.ok == 1 && x.file == 1);
	EXPECT_STR(x.status, "ok");
	EXPECT(x.raw == 1048576 && x.stored == 524311);
	EXPECT_STR(x.sha256, SHA);
	EXPECT_STR(x.etag, "5d41-2");
	EXPECT_STR(x.key, "base/h1/a b.db.lzo");
	EXPECT(x.size == 1048576);
	EXPECT(x.mtime_ns == -1500000000);
	EXPECT(x.inode == 42);
	EXPECT_STR(x.path, "/var/a\tb.db");
	EXPECT(rec_read_xfer(r, REC_XFER_FIELDS, &x) == 0);
	rec_reader_free(r);
	fclose(f);
}

static void
t_xfer_failed_and_other_inputs(void)
{
	static const char in[] = "SlowDown\t-\t-\t-\t-\tk\t1\t2\t3\t/p\n"
	    "ok\t0\t0\t" SHA "\te\tk\t/q\n";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	struct xfer_rec x;

	EXPECT(rec_read_xfer(r, REC_XFER_FIELDS, &x) == 1);
	EXPECT(x.ok == 0 && x.raw == 0 && x.stored == 0 && x.mtime_ns == 2);
	EXPECT_STR(x.status, "SlowDown");
	EXPECT_STR(x.sha256, "-");
	EXPECT_STR(x.path, "/p");
	/* KEY PATH input (no --key-prefix): no file record */
	EXPECT(rec_read_xfer(r, 7, &x) == 1);
	EXPECT(x.ok == 1 && x.file == 0 && x.size == 0);
	EXPECT_STR(x.path, "/q");
	rec_reader_free(r);
	fclose(f);
}

/* Each line is one malformed field of an otherwise good record. */
static void
t_xfer_malformed(void)
{
	static const char *const bad[][2] = {
		{ "o k\t1\t1\t" SHA "\te\tk\t1\t2\t3\t/p", "STATUS" },
		{ "\t1\t1\t" SHA "\te\tk\t1\t2\t3\t/p", "STATUS" },
		{ "ok\t-\t1\t" SHA "\te\tk\t1\t2\t3\t/p", "RAW_BYTES" },
		{ "ok\t1\t-1\t" SHA "\te\tk\t1\t2\t3\t/p", "STORED_BYTES" },
		{ "ok\t1\t1\t-\te\tk\t1\t2\t3\t/p", "RAW_SHA256" },
		{ "ok\t1\t1\tABCD\te\tk\t1\t2\t3\t/p", "RAW_SHA256" },
		{ "ok\t1\t1\t" SHA "\t\tk\t1\t2\t3\t/p", "ETAG" },
		{ "ok\t1\t1\t" SHA "\te\t\t1\t2\t3\t/p", "KEY" },
		{ "Err\t1x\t-\t-\t-\tk\t1\t2\t3\t/p", "RAW_BYTES" },
		{ "ok\t1\t1\t" SHA "\te\tk\t+1\t2\t3\t/p", "SIZE" },
		{ "ok\t1\t1\t" SHA "\te\tk\t1\t2.5\t3\t/p", "MTIME_NS" },
		{ "ok\t1\t1\t" SHA "\te\tk\t1\t"
		    "-9223372036854775809\t3\t/p", "MTIME_NS" },
		{ "ok\t1\t1\t" SHA "\te\tk\t1\t2\t-3\t/p", "INODE" },
		{ "ok\t1\t1\t" SHA "\te\tk\t18446744073709551616\t2\t3\t/p",
		    "SIZE" },
	};
	struct xfer_rec x;
	char rec[256], *f[REC_XFER_FIELDS];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(rec, sizeof(rec), "%s", bad[i][0]);
		EXPECT(rec_split(rec, REC_XFER_FIELDS, f) == 0);
		EXPECT_STR(rec_parse_xfer(f, REC_XFER_FIELDS, &x), bad[i][1]);
	}
	snprintf(rec, sizeof(rec), "ok\t1\t1\t" SHA "\te\tk\t1\t"
	    "-9223372036854775808\t3\t/p");
	EXPECT(rec_split(rec, REC_XFER_FIELDS, f) == 0);
	EXPECT(rec_parse_xfer(f, REC_XFER_FIELDS, &x) == NULL);
	EXPECT(x.mtime_ns == INT64_MIN);
}

static void
t_xfer_reader_reports(void)
{
	static const char in[] = "ok\t1\t1\t" SHA "\te\tk\t1\tx\t3\t/p\n"
	    "ok\t1\n";
	FILE *f = mem(in, sizeof(in) - 1);
	struct rec_reader *r = rec_reader_new(f, 0, "t");
	struct xfer_rec x;

	EXPECT(rec_read_xfer(r, REC_XFER_FIELDS, &x) == -1);
	EXPECT(rec_reader_number(r) == 1);
	EXPECT(rec_read_xfer(r, REC_XFER_FIELDS, &x) == -1);
	EXPECT(rec_reader_number(r) == 2);
	EXPECT(rec_read_xfer(r, 6, &x) == -1);
	rec_reader_free(r);
	fclose(f);
}

static void
t_utf8_char(void)
{
	uint32_t c;

	EXPECT(rec_utf8_char("a", &c) == 1 && c == 'a');
	EXPECT(rec_utf8_char("\xc3\xa9", &c) == 2 && c == 0xe9);
	EXPECT(rec_utf8_char("\xe2\x80\xa8", &c) == 3 && c == 0x2028);
	EXPECT(rec_utf8_char("\xf0\x9f\x98\x80", &c) == 4 && c == 0x1f600);
	EXPECT(rec_utf8_char("\xf4\x8f\xbf\xbf", &c) == 4 && c == 0x10ffff);
	EXPECT(rec_utf8_char("", &c) == 0);
	EXPECT(rec_utf8_char("\xff", &c) == 0);
	EXPECT(rec_utf8_char("\x80", &c) == 0);		/* stray */
	EXPECT(rec_utf8_char("\xc3", &c) == 0);		/* cut short */
	EXPECT(rec_utf8_char("\xc0\xaf", &c) == 0);	/* overlong '/' */
	EXPECT(rec_utf8_char("\xe0\x80\xaf", &c) == 0);	/* overlong '/' */
	EXPECT(rec_utf8_char("\xed\xa0\x80", &c) == 0);	/* surrogate */
	EXPECT(rec_utf8_char("\xf4\x90\x80\x80", &c) == 0); /* > U+10FFFF */
	EXPECT(rec_utf8_valid("été/ok"));
	EXPECT(!rec_utf8_valid("bad\xff"));
}

static void
t_quote(void)
{
	char b[REC_QUOTE_MAX], small[12];

	EXPECT_STR(rec_quote("/a/nb-1-big-Data.db", b, sizeof(b)),
	    "/a/nb-1-big-Data.db");
	EXPECT_STR(rec_quote("a\tb\nc\rd\\e", b, sizeof(b)),
	    "a\\tb\\nc\\rd\\\\e");
	EXPECT_STR(rec_quote("x\x01\x1b[2J\x7f", b, sizeof(b)),
	    "x\\x01\\x1b[2J\\x7f");
	EXPECT_STR(rec_quote("bad\xff\xfe.db", b, sizeof(b)),
	    "bad\\xff\\xfe.db");
	EXPECT_STR(rec_quote("\xc2\x85 \xe2\x80\xae été", b, sizeof(b)),
	    "\\xc2\\x85 \\xe2\\x80\\xae été");
	EXPECT_STR(rec_quote("0123456789abc", small, sizeof(small)),
	    "01234567...");
	EXPECT_STR(rec_quote("\t\t\t\t\t", small, sizeof(small)),
	    "\\t\\t\\t\\t...");
}

static void
t_write_names_the_record(void)
{
	const char *f[2] = { "7", "/d/a\tb" };
	char buf[64];
	FILE *out = fmemopen(buf, sizeof(buf), "w");

	EXPECT(rec_write(out, 0, 2, f) == -1);
	EXPECT(rec_write(out, 1, 2, f) == 0);	/* -0: any byte but NUL */
	f[1] = "/d/a\nb";
	EXPECT(rec_write(out, 0, 2, f) == -1);
	EXPECT(rec_write(out, 1, 2, f) == 0);
	f[0] = "7\t8";
	EXPECT(rec_write(out, 1, 2, f) == -1);	/* only the last field */
	fclose(out);
}

int
main(void)
{

	TEST(t_split_path_last_keeps_tabs);
	TEST(t_short_record_is_error);
	TEST(t_unterminated_is_error);
	TEST(t_write_refuses_tab_in_newline_mode);
	TEST(t_xfer_ok_negative_mtime);
	TEST(t_xfer_failed_and_other_inputs);
	TEST(t_xfer_malformed);
	TEST(t_xfer_reader_reports);
	TEST(t_utf8_char);
	TEST(t_quote);
	TEST(t_write_names_the_record);
	return (unit_done());
}
