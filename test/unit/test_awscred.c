/*
 * Unit tests for the parts of the credential chain that read untrusted
 * text: credential_process words (split as the aws CLI's shlex.split
 * does), its JSON output, and STS answers.
 */

#include <stdlib.h>

#include "awscred.h"
#include "sts.h"
#include "unit.h"

/* Split cmd and compare with the n words of want (n < 0: refused). */
static void
split_is(const char *cmd, int n, const char *const *want)
{
	char **v = awscred_split(cmd);
	int i;

	if (n < 0) {
		EXPECT(v == NULL);
		awscred_argv_free(v);
		return;
	}
	EXPECT(v != NULL);
	if (v == NULL)
		return;
	for (i = 0; i < n; i++)
		EXPECT_STR(v[i], want[i]);
	EXPECT(v[n] == NULL);
	awscred_argv_free(v);
}

static void
t_split(void)
{
	static const char *const w1[] = { "/opt/bin/creds", "--user",
	    "helen" };
	static const char *const w2[] = { "/a dir/x", "p q", "" };
	static const char *const w3[] = { "$HOME;x", "a\"b", "c\\d", "e f",
	    "g'h" };
	static const char *const w4[] = { "ab", "c\\" };

	split_is("  /opt/bin/creds\t--user helen\n", 3, w1);
	split_is("\"/a dir/x\" 'p q' ''", 3, w2);
	/* no shell: $, ; stay; in "..." only \" and \\ escape */
	split_is("'$HOME;x' \"a\\\"b\" \"c\\d\" e\\ f \"g'h\"", 5, w3);
	split_is("a\"b\" 'c\\'", 2, w4);
	split_is("", -1, NULL);
	split_is("   ", -1, NULL);
	split_is("\"open", -1, NULL);
	split_is("'open", -1, NULL);
	split_is("x \\", -1, NULL);
}

static void
t_process_json(void)
{
	static const char full[] = "{\"Version\": 1, \"AccessKeyId\": \"AK\","
	    " \"SecretAccessKey\": \"S/K\", \"SessionToken\": \"T\","
	    " \"Expiration\": \"2024-01-01T12:00:00Z\"}";
	static const char plain[] = "{\"Version\": 1, \"AccessKeyId\": \"AK\","
	    " \"SecretAccessKey\": \"SK\"}";
	static const char v2[] = "{\"Version\": 2, \"AccessKeyId\": \"AK\","
	    " \"SecretAccessKey\": \"SK\"}";
	static const char nov[] = "{\"AccessKeyId\": \"AK\","
	    " \"SecretAccessKey\": \"SK\"}";
	struct awscred c;

	EXPECT(awscred_parse_process_json(full, strlen(full), &c) == 0);
	EXPECT_STR(c.akid, "AK");
	EXPECT_STR(c.secret, "S/K");
	EXPECT_STR(c.token, "T");
	EXPECT(c.expires == 1704110400);
	EXPECT(awscred_parse_process_json(plain, strlen(plain), &c) == 0);
	EXPECT(c.expires == 0 && c.token[0] == '\0');
	EXPECT(awscred_parse_process_json(v2, strlen(v2), &c) == -1);
	EXPECT(awscred_parse_process_json(nov, strlen(nov), &c) == -1);
	EXPECT(awscred_parse_process_json("{", 1, &c) == -1);
	/* metadata answers still need their Expiration */
	EXPECT(awscred_parse_json(plain, strlen(plain), &c) == -1);
}

static void
t_sts_parse(void)
{
	static const char ok[] = "<AssumeRoleResponse xmlns=\"https://sts."
	    "amazonaws.com/doc/2011-06-15/\"><AssumeRoleResult>"
	    "<AssumedRoleUser><Arn>arn:aws:sts::1:assumed-role/r/s</Arn>"
	    "</AssumedRoleUser><Credentials><AccessKeyId>ASIA1</AccessKeyId>"
	    "<SecretAccessKey>s/e+c</SecretAccessKey><SessionToken>tok=="
	    "</SessionToken><Expiration>2024-01-01T12:00:00.000Z</Expiration>"
	    "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
	static const char web[] = "<AssumeRoleWithWebIdentityResponse>"
	    "<AssumeRoleWithWebIdentityResult><Credentials><AccessKeyId>A"
	    "</AccessKeyId><SecretAccessKey>S</SecretAccessKey><SessionToken/>"
	    "<Expiration>2024-01-01T12:00:00Z</Expiration></Credentials>"
	    "</AssumeRoleWithWebIdentityResult>"
	    "</AssumeRoleWithWebIdentityResponse>";
	static const char err[] = "<ErrorResponse><Error><Type>Sender</Type>"
	    "<Code>AccessDenied</Code><Message>no &amp; no</Message></Error>"
	    "</ErrorResponse>";
	static const char noexp[] = "<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId>A</AccessKeyId><SecretAccessKey>S"
	    "</SecretAccessKey></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>";
	struct awscred c;
	char code[64], msg[64];

	EXPECT(sts_parse(ok, strlen(ok), &c, code, sizeof(code), msg,
	    sizeof(msg)) == 0);
	EXPECT_STR(c.akid, "ASIA1");
	EXPECT_STR(c.secret, "s/e+c");
	EXPECT_STR(c.token, "tok==");
	EXPECT(c.expires == 1704110400);
	EXPECT(sts_parse(web, strlen(web), &c, code, sizeof(code), msg,
	    sizeof(msg)) == 0);
	EXPECT_STR(c.akid, "A");
	EXPECT_STR(c.token, "");
	EXPECT(sts_parse(err, strlen(err), &c, code, sizeof(code), msg,
	    sizeof(msg)) == -1);
	EXPECT_STR(code, "AccessDenied");
	EXPECT_STR(msg, "no & no");
	EXPECT(c.akid[0] == '\0');
	EXPECT(sts_parse(noexp, strlen(noexp), &c, code, sizeof(code), msg,
	    sizeof(msg)) == -1);
	EXPECT(sts_parse("<a>", 3, &c, code, sizeof(code), msg,
	    sizeof(msg)) == -1);
	EXPECT_STR(code, "");
}

int
main(void)
{

	TEST(t_split);
	TEST(t_process_json);
	TEST(t_sts_parse);
	return (unit_done());
}
