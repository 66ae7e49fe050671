/*
 * SigV4: every test vector of the S3 protocol reference (AWS's examples
 * (a)-(f) and ours (g), (h)), reproduced exactly: canonical request hash
 * and signature.
 */
#include <stdlib.h>
#include <string.h>

#include "sigv4.h"
#include "unit.h"

#define AKID	"AKIAIOSFODNN7EXAMPLE"
#define SECRET	"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define DATE	"20130524T000000Z"
#define HOST	"examplebucket.s3.amazonaws.com"
#define SCOPE	"20130524/us-east-1/s3/aws4_request"

static struct sigv4_signer signer;

/* Check the canonical request hash and the signature of r. */
static void
check(const struct sigv4_req *r, const char *cr_hash, const char *sig)
{
	char *creq, *sh, *auth, s[65], h[65];

	EXPECT(sigv4_canonical_request(r, &creq, &sh) == 0);
	sigv4_sha256_hex(creq, strlen(creq), h);
	EXPECT_STR(h, cr_hash);
	EXPECT(sigv4_sign(&signer, AKID, SECRET, "us-east-1", "s3", DATE, r,
	    &auth, s) == 0);
	EXPECT_STR(s, sig);
	free(creq);
	free(sh);
	free(auth);
}

static void
t_signing_key(void)
{
	unsigned char k[32];
	char hex[65];

	EXPECT(sigv4_signing_key(SECRET, "20130524", "us-east-1", "s3",
	    k) == 0);
	sigv4_hex(k, 32, hex);
	EXPECT_STR(hex,
	    "dbb893acc010964918f1fd433add87c70e8b0db6be30c1fbeafefa5ec6ba8378");
}

static void
t_uri_encode(void)
{
	char *s = sigv4_uri_encode("/test$file.text", 15, 1);
	char *t = sigv4_uri_encode("a b+c/é~", 9, 0);

	EXPECT_STR(s, "/test%24file.text");
	EXPECT_STR(t, "a%20b%2Bc%2F%C3%A9~");
	free(s);
	free(t);
}

static void
t_a_get_range(void)
{
	const struct sigv4_header hd[] = {
		{ "Host", HOST }, { "Range", "bytes=0-9" },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", DATE },
	};
	const struct sigv4_req r = { "GET", "/test.txt", "", hd, 4,
	    SIGV4_EMPTY_SHA256 };
	char *creq, *sh;

	EXPECT(sigv4_canonical_request(&r, &creq, &sh) == 0);
	EXPECT_STR(creq, "GET\n/test.txt\n\nhost:" HOST "\nrange:bytes=0-9\n"
	    "x-amz-content-sha256:" SIGV4_EMPTY_SHA256 "\nx-amz-date:" DATE
	    "\n\nhost;range;x-amz-content-sha256;x-amz-date\n"
	    SIGV4_EMPTY_SHA256);
	EXPECT_STR(sh, "host;range;x-amz-content-sha256;x-amz-date");
	free(creq);
	free(sh);
	check(&r,
	    "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972",
	    "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

static void
t_b_put_object(void)
{
	char ph[65];
	struct sigv4_header hd[] = {
		{ "date", "Fri, 24 May 2013 00:00:00 GMT" }, { "host", HOST },
		{ "x-amz-content-sha256", ph }, { "x-amz-date", DATE },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	struct sigv4_req r = { "PUT", "/test$file.text", "", hd, 5, ph };

	sigv4_sha256_hex("Welcome to Amazon S3.", 21, ph);
	EXPECT_STR(ph,
	    "44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072");
	check(&r,
	    "9e0e90d9c76de8fa5b200d8c849cd5b8dc7a3be3951ddb7f6a76b4158342019d",
	    "98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
}

/* GET / with query q (built from raw parameters, checked against enc). */
static void
check_get_query(const struct sigv4_param *p, size_t n, const char *enc,
    const char *cr_hash, const char *sig)
{
	const struct sigv4_header hd[] = {
		{ "host", HOST },
		{ "x-amz-content-sha256", SIGV4_EMPTY_SHA256 },
		{ "x-amz-date", DATE },
	};
	struct sigv4_req r = { "GET", "/", NULL, hd, 3, SIGV4_EMPTY_SHA256 };
	char *q = sigv4_query(p, n);

	EXPECT_STR(q, enc);
	r.query = q;
	check(&r, cr_hash, sig);
	free(q);
}

static void
t_c_lifecycle(void)
{
	const struct sigv4_param p[] = { { "lifecycle", NULL } };

	check_get_query(p, 1, "lifecycle=",
	    "9766c798316ff2757b517bc739a67f6213b4ab36dd5da2f94eaebf79c77395ca",
	    "fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
}

static void
t_d_list_objects(void)
{
	const struct sigv4_param p[] = { { "prefix", "J" },
	    { "max-keys", "2" } };

	check_get_query(p, 2, "max-keys=2&prefix=J",
	    "df57d21db20da04d7fa30298dd4488ba3a2b47ca3a489c74750e0f1e7df1b9b7",
	    "34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

static void
t_h_list_v2_token(void)
{
	const struct sigv4_param p[] = {
		{ "prefix", "backups/node1/" }, { "list-type", "2" },
		{ "encoding-type", "url" },
		{ "continuation-token", "1/ab+cd=" },
	};

	check_get_query(p, 4, "continuation-token=1%2Fab%2Bcd%3D&"
	    "encoding-type=url&list-type=2&prefix=backups%2Fnode1%2F",
	    "81dedb6511b79888f52c3e948e4f1f5735e573597e1aa09ec44643f338f03f92",
	    "18a14665f6bab33277ea656e2f12d208b184ae0d680bff0abcc058ad6bab3ad0");
}

static void
t_e_presigned(void)
{
	const struct sigv4_param p[] = {
		{ "X-Amz-Algorithm", "AWS4-HMAC-SHA256" },
		{ "X-Amz-Credential", AKID "/" SCOPE },
		{ "X-Amz-Date", DATE }, { "X-Amz-Expires", "86400" },
		{ "X-Amz-SignedHeaders", "host" },
	};
	const struct sigv4_header hd[] = { { "host", HOST } };
	struct sigv4_req r = { "GET", "/test.txt", NULL, hd, 1,
	    "UNSIGNED-PAYLOAD" };
	char *q = sigv4_query(p, 5);

	EXPECT_STR(q, "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential="
	    "AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2F"
	    "aws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&"
	    "X-Amz-SignedHeaders=host");
	r.query = q;
	check(&r,
	    "3bfa292879f6447bbcda7001decf97f4a54dc650c8942174ae0a9121cf58ad04",
	    "aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
	free(q);
}

static void
t_f_chunked(void)
{
	const struct sigv4_header hd[] = {
		{ "content-encoding", "aws-chunked" },
		{ "content-length", "66824" }, { "host", "s3.amazonaws.com" },
		{ "x-amz-content-sha256",
		    "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" },
		{ "x-amz-date", DATE },
		{ "x-amz-decoded-content-length", "66560" },
		{ "x-amz-storage-class", "REDUCED_REDUNDANCY" },
	};
	const struct sigv4_req r = { "PUT", "/examplebucket/chunkObject.txt",
	    "", hd, 7, "STREAMING-AWS4-HMAC-SHA256-PAYLOAD" };
	const char *seed =
	    "4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9";
	unsigned char key[32];
	char s1[65], s2[65], s3[65], *data;

	check(&r,
	    "cee3fed04b70f867d036f722359b0b1f2f0e5dc0efadbc082b76c4c60e316455",
	    seed);
	EXPECT(sigv4_signing_key(SECRET, "20130524", "us-east-1", "s3",
	    key) == 0);
	data = malloc(65536);
	memset(data, 'a', 65536);
	EXPECT(sigv4_chunk_sign(key, DATE, SCOPE, seed, data, 65536,
	    s1) == 0);
	EXPECT_STR(s1,
	    "ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648");
	EXPECT(sigv4_chunk_sign(key, DATE, SCOPE, s1, data, 1024, s2) == 0);
	EXPECT_STR(s2,
	    "0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497");
	EXPECT(sigv4_chunk_sign(key, DATE, SCOPE, s2, "", 0, s3) == 0);
	EXPECT_STR(s3,
	    "b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9");
	free(data);
}

static void
t_g_upload_part_token(void)
{
	const struct sigv4_param p[] = { { "uploadId", "EXAMPLEuploadId" },
	    { "partNumber", "1" } };
	const struct sigv4_header hd[] = {
		{ "host", HOST }, { "x-amz-content-sha256", "UNSIGNED-PAYLOAD" },
		{ "x-amz-date", DATE },
		{ "x-amz-security-token", "EXAMPLETOKEN" },
	};
	struct sigv4_req r = { "PUT",
	    "/backups/node1/ks/t x/nb-1-big-Data.db.lzo", NULL, hd, 4,
	    "UNSIGNED-PAYLOAD" };
	char *q = sigv4_query(p, 2);

	EXPECT_STR(q, "partNumber=1&uploadId=EXAMPLEuploadId");
	r.query = q;
	check(&r,
	    "938a985e370b7d74da55580df255358557c85dd3d3a9a498849b77c0b7ffefac",
	    "9deef40985d70234410e29b5e33525bc98742a9b361b8af9ec7f201ed0c440db");
	free(q);
}

static void
t_header_canonical_form(void)
{
	const struct sigv4_header hd[] = {
		{ "X-Amz-Meta-A", "  two   spaces  " }, { "host", "h" },
		{ "x-amz-meta-a", "b" },
	};
	const struct sigv4_req r = { "GET", "a//b/../c", "", hd, 3, "X" };
	char *creq, *sh;

	EXPECT(sigv4_canonical_request(&r, &creq, &sh) == 0);
	EXPECT_STR(creq, "GET\na//b/../c\n\nhost:h\n"
	    "x-amz-meta-a:two spaces,b\n\nhost;x-amz-meta-a\nX");
	free(creq);
	free(sh);
}

int
main(void)
{

	sigv4_signer_init(&signer);
	TEST(t_signing_key);
	TEST(t_uri_encode);
	TEST(t_a_get_range);
	TEST(t_b_put_object);
	TEST(t_c_lifecycle);
	TEST(t_d_list_objects);
	TEST(t_e_presigned);
	TEST(t_f_chunked);
	TEST(t_g_upload_part_token);
	TEST(t_h_list_v2_token);
	TEST(t_header_canonical_form);
	sigv4_signer_destroy(&signer);
	return (unit_done());
}
