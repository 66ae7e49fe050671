#include <stdlib.h>

#include "strbuf.h"
#include "xmlwalk.h"
#include "unit.h"

/*
 * S3 answers a CompleteMultipartUpload with 200 at once and, while it
 * works, sends white space to keep the connection open; the XML (the
 * result or an <Error>) follows.  The bodies below are AWS's documented
 * examples with such a prefix.
 */
static const char complete[] = "  \r\n \n\t\n"
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<CompleteMultipartUploadResult "
    "xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">\n"
    "<Location>http://Example-Bucket.s3.amazonaws.com/Example-Object"
    "</Location>\n"
    "<Bucket>Example-Bucket</Bucket>\n"
    "<Key>Example-Object</Key>\n"
    "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag>\n"
    "</CompleteMultipartUploadResult>";

static const char error[] = "\n\n\n\n \r\n"
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<Error>\n"
    "<Code>InternalError</Code>\n"
    "<Message>We encountered an internal error. Please try again."
    "</Message>\n"
    "<RequestId>656c76696e6727732072657175657374</RequestId>\n"
    "<HostId>Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==</HostId>\n"
    "</Error>";

/* Each element as "path=text\n" ("\n" inside text shown as "\\n"). */
static int
record(void *cookie, const char *path, const char *text, size_t len)
{
	struct strbuf *b = cookie;
	size_t i;

	strbuf_addf(b, "%s=", path);
	for (i = 0; i < len; i++)
		if (text[i] == '\n')
			strbuf_adds(b, "\\n");
		else
			strbuf_addc(b, text[i]);
	strbuf_addc(b, '\n');
	return (0);
}

/* Walk doc; the records, or "FAILED" if xmlwalk() said -1. */
static char *
walk(const char *doc, size_t len, char *root, size_t rootsize)
{
	struct strbuf b = STRBUF_INIT;

	strbuf_adds(&b, "");
	if (xmlwalk(doc, len, record, &b, root, rootsize) != 0) {
		strbuf_reset(&b);
		strbuf_adds(&b, "FAILED");
	}
	return (strbuf_detach(&b));
}

static void
t_complete_after_white_space(void)
{
	char root[64], *out;

	out = walk(complete, strlen(complete), root, sizeof(root));
	EXPECT_STR(out,
	    "CompleteMultipartUploadResult/Location="
	    "http://Example-Bucket.s3.amazonaws.com/Example-Object\n"
	    "CompleteMultipartUploadResult/Bucket=Example-Bucket\n"
	    "CompleteMultipartUploadResult/Key=Example-Object\n"
	    "CompleteMultipartUploadResult/ETag="
	    "\"3858f62230ac3c915f300c664312c11f-9\"\n"
	    "CompleteMultipartUploadResult=\\n\n");
	EXPECT_STR(root, "CompleteMultipartUploadResult");
	free(out);
}

static void
t_error_after_white_space(void)
{
	char root[64], *out;

	out = walk(error, strlen(error), root, sizeof(root));
	EXPECT_STR(out,
	    "Error/Code=InternalError\n"
	    "Error/Message=We encountered an internal error. "
	    "Please try again.\n"
	    "Error/RequestId=656c76696e6727732072657175657374\n"
	    "Error/HostId="
	    "Uuag1LuByRx9e6j5Onimru9pO4ZVKnJ2Qz7/C1NPcfTWAtRPfTaOFg==\n"
	    "Error=\\n\n");
	EXPECT_STR(root, "Error");
	free(out);
}

/* Only the XML white space is skipped, and only before the document. */
static void
t_other_prefixes(void)
{
	static const char *bad[] = { "\f<?xml version=\"1.0\"?><a/>",
	    "\v<a/>", "x <a/>", "\xc2\xa0<a/>", "", " \r\n\t", NULL };
	char root[64], *out;
	int i;

	out = walk(" \t<a>x</a>", 10, root, sizeof(root));
	EXPECT_STR(out, "a=x\n");
	EXPECT_STR(root, "a");
	free(out);
	for (i = 0; bad[i] != NULL; i++) {
		out = walk(bad[i], strlen(bad[i]), root, sizeof(root));
		EXPECT_STR(out, "FAILED");
		free(out);
	}
	/* the length is honoured: a document cut after its white space */
	out = walk(complete, 8, root, sizeof(root));
	EXPECT_STR(out, "FAILED");
	free(out);
	out = walk(NULL, 0, NULL, 0);
	EXPECT_STR(out, "FAILED");
	free(out);
}

int
main(void)
{

	TEST(t_complete_after_white_space);
	TEST(t_error_after_white_space);
	TEST(t_other_prefixes);
	return (unit_done());
}
