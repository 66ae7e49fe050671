#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <sysexits.h>
#include <string.h>
#include <unistd.h>

#include "cqlsh.h"
#include "unit.h"

/* The text of file path, in buf. */
static const char *
slurp(const char *path, char *buf, size_t size)
{
	size_t n = 0;
	FILE *f;

	if ((f = fopen(path, "r")) != NULL) {
		n = fread(buf, 1, size - 1, f);
		fclose(f);
	}
	buf[n] = '\0';
	return (buf);
}

/* The cqlshrc after its first line (the comment naming the program). */
static const char *
body(const char *text)
{
	const char *nl = strchr(text, '\n');

	return (nl != NULL ? nl + 1 : text);
}

static void
t_creds_private_and_removed(void)
{
	struct cqlsh_opts o;
	struct cqlsh_rc *cr;
	char dir[256], buf[512], want[1024];
	struct stat sb;

	setenv("TMPDIR", "/tmp", 1);
	cqlsh_opts_init(&o);
	o.user = "backup";
	cr = cqlsh_rc_new(&o, "p%ss w0rd");
	EXPECT(cr != NULL);
	if (cr == NULL)
		return;
	EXPECT(stat(cqlsh_rc_path(cr), &sb) == 0 &&
	    (sb.st_mode & 0777) == 0600);
	snprintf(dir, sizeof(dir), "%s", cqlsh_rc_path(cr));
	*strrchr(dir, '/') = '\0';
	EXPECT(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	snprintf(want, sizeof(want), "[authentication]\nusername = backup\n"
	    "password = p%%ss w0rd\ncredentials = %s/credentials\n", dir);
	EXPECT_STR(body(slurp(cqlsh_rc_path(cr), buf, sizeof(buf))), want);
	snprintf(want, sizeof(want), "%s/credentials", dir);
	EXPECT_STR(slurp(want, buf, sizeof(buf)), "[PlainTextAuthProvider]\n"
	    "username = backup\npassword = p%ss w0rd\n");
	EXPECT(stat(want, &sb) == 0 && (sb.st_mode & 0777) == 0600);
	cqlsh_rc_free(cr);
	EXPECT(stat(dir, &sb) != 0);
	cqlsh_rc_free(NULL);
}

static void
t_creds_refused(void)
{
	struct cqlsh_opts o;

	cqlsh_opts_init(&o);
	o.user = "u";
	EXPECT(cqlsh_rc_new(&o, " lead") == NULL);
	EXPECT(cqlsh_rc_new(&o, "trail\t") == NULL);
	EXPECT(cqlsh_rc_new(&o, "two\nlines") == NULL);
	EXPECT(cqlsh_rc_new(&o, NULL) == NULL);
	o.user = "";
	EXPECT(cqlsh_rc_new(&o, "pw") == NULL);
}

/* --cqlsh-ssl alone: cqlsh --ssl, and no file. */
static void
t_ssl_only(void)
{
	struct cqlsh_opts o;
	struct cqlsh_rc *cr;

	cqlsh_opts_init(&o);
	EXPECT(!cqlsh_opts_given(&o));
	o.ssl = 1;
	EXPECT(cqlsh_opts_given(&o));
	cr = cqlsh_rc_new(&o, NULL);
	EXPECT(cr != NULL && cqlsh_rc_path(cr) == NULL);
	cqlsh_rc_free(cr);
}

static void
t_ssl_section(void)
{
	struct cqlsh_opts o;
	struct cqlsh_rc *cr;
	char buf[1024];

	cqlsh_opts_init(&o);
	o.ssl = 1;
	o.certfile = "/etc/cassandra/ca.pem";
	o.usercert = "/etc/cassandra/client.pem";
	o.userkey = "/etc/cassandra/client.key";
	o.validate = 0;
	cr = cqlsh_rc_new(&o, NULL);
	EXPECT(cr != NULL && cqlsh_rc_path(cr) != NULL);
	if (cr == NULL || cqlsh_rc_path(cr) == NULL)
		return;
	EXPECT_STR(body(slurp(cqlsh_rc_path(cr), buf, sizeof(buf))),
	    "[ssl]\ncertfile = /etc/cassandra/ca.pem\nvalidate = false\n"
	    "usercert = /etc/cassandra/client.pem\n"
	    "userkey = /etc/cassandra/client.key\n");
	cqlsh_rc_free(cr);
}

/*
 * The operator's cqlshrc: its sections kept, the keys given replaced in
 * their own section (key case, ':' and continuation lines as ConfigParser
 * reads them), missing sections added at the end.
 */
static void
t_merge(void)
{
	const char *own = "/tmp/cb-test-own-cqlshrc";
	struct cqlsh_opts o;
	struct cqlsh_rc *cr;
	char buf[2048], want[2048], dir[256];
	FILE *f;

	f = fopen(own, "w");
	EXPECT(f != NULL);
	if (f == NULL)
		return;
	fputs("; site settings\n[connection]\nssl = true\n"
	    "request_timeout = 60\n\n[authentication]\nUserName = ops\n"
	    "keyspace = ks1\npassword: old\n  continued\n"
	    "[ssl]\nversion = TLSv1_2\nCertFile=/old.pem\n# kept\n"
	    "[copy]\nnumprocesses = 4", f);
	fclose(f);
	cqlsh_opts_init(&o);
	o.cqlshrc = own;
	o.user = "backup";
	o.certfile = "/etc/cassandra/ca.pem";
	cr = cqlsh_rc_new(&o, "pw");
	EXPECT(cr != NULL);
	if (cr == NULL)
		return;
	snprintf(dir, sizeof(dir), "%s", cqlsh_rc_path(cr));
	*strrchr(dir, '/') = '\0';
	snprintf(want, sizeof(want), "; site settings\n[connection]\n"
	    "ssl = true\nrequest_timeout = 60\n\n[authentication]\n"
	    "username = backup\npassword = pw\ncredentials = %s/credentials\n"
	    "keyspace = ks1\n[ssl]\ncertfile = /etc/cassandra/ca.pem\n"
	    "version = TLSv1_2\n# kept\n[copy]\nnumprocesses = 4\n", dir);
	EXPECT_STR(body(slurp(cqlsh_rc_path(cr), buf, sizeof(buf))), want);
	cqlsh_rc_free(cr);

	/* No user: the file's [authentication] as it is; [ssl] added. */
	f = fopen(own, "w");
	if (f != NULL) {
		fputs("[authentication]\nusername = ops\n", f);
		fclose(f);
	}
	o.user = NULL;
	o.validate = 1;
	cr = cqlsh_rc_new(&o, NULL);
	EXPECT(cr != NULL);
	if (cr != NULL)
		EXPECT_STR(body(slurp(cqlsh_rc_path(cr), buf, sizeof(buf))),
		    "[authentication]\nusername = ops\n[ssl]\n"
		    "certfile = /etc/cassandra/ca.pem\nvalidate = true\n");
	cqlsh_rc_free(cr);
	unlink(own);
}

static void
t_opts_refused(void)
{
	struct cqlsh_opts o;

	cqlsh_opts_init(&o);
	o.certfile = "/ca.pem";
	EXPECT(cqlsh_opts_check(&o) != 0);	/* TLS not on */
	o.ssl = 1;
	EXPECT(cqlsh_opts_check(&o) == 0);
	o.certfile = "ca.pem";			/* relative */
	EXPECT(cqlsh_opts_check(&o) != 0);
	o.certfile = "/a%(x)s.pem";		/* ConfigParser interpolates */
	EXPECT(cqlsh_opts_check(&o) != 0);
	EXPECT(cqlsh_rc_new(&o, NULL) == NULL);
	o.certfile = "/a\nb.pem";
	EXPECT(cqlsh_opts_check(&o) != 0);
	o.certfile = "/a\033b.pem";
	EXPECT(cqlsh_opts_check(&o) != 0);
	o.certfile = "/ca.pem ";
	EXPECT(cqlsh_opts_check(&o) != 0);
	o.certfile = NULL;
	o.userkey = "/k.pem";			/* without its certificate */
	EXPECT(cqlsh_opts_check(&o) != 0);
	o.usercert = "/c.pem";
	EXPECT(cqlsh_opts_check(&o) == 0);
	o.pwfile = "/pw";			/* without a user */
	EXPECT(cqlsh_opts_check(&o) != 0);
	cqlsh_opts_init(&o);
	EXPECT(cqlsh_opts_set(&o, CQLSH_OPT_BASE + 2, "secret") < 0);
	EXPECT(cqlsh_opts_set(&o, CQLSH_OPT_BASE + 9, NULL) == 0 &&
	    o.validate == 0);
	EXPECT(cqlsh_opts_set(&o, 'x', NULL) == 1);
}

/* A node-side file missing: EX_NOINPUT, before any password is read. */
static void
t_open_missing(void)
{
	struct cqlsh_opts o;
	struct cqlsh_rc *cr = NULL;

	cqlsh_opts_init(&o);
	o.ssl = 1;
	o.certfile = "/nonexistent/ca.pem";
	o.user = "u";
	EXPECT(cqlsh_rc_open(&o, &cr) == EX_NOINPUT && cr == NULL);
	o.certfile = NULL;
	o.cqlshrc = "/nonexistent/cqlshrc";
	EXPECT(cqlsh_rc_open(&o, &cr) == EX_NOINPUT && cr == NULL);
}

static const char *const tcols[] = { "keyspace_name", "table_name", "id" };

static void
t_rows(void)
{
	struct cqlsh_rows r;

	EXPECT(cqlsh_parse_rows("WARNING: cqlsh was built against 5.0.0, but "
	    "this server is 5.0.9.  All features may not work!\n"
	    "\n"
	    " keyspace_name | table_name | id\n"
	    "---------------+------------+-------------------------------------"
	    "-\n"
	    "           ks1 |      users | 5bc52802-de25-11e8-a8c1-bfb2c9fb6b9b\n"
	    "        system |      local | 7ad54392-bcdd-35a6-8417-4e047860b377\n"
	    "\n"
	    "(2 rows)\n", 3, tcols, &r) == 0);
	EXPECT(r.nrows == 2 && r.ncols == 3);
	if (r.nrows == 2) {
		EXPECT_STR(r.cell[0], "ks1");
		EXPECT_STR(r.cell[1], "users");
		EXPECT_STR(r.cell[2], "5bc52802-de25-11e8-a8c1-bfb2c9fb6b9b");
		EXPECT_STR(r.cell[4], "local");
	}
	cqlsh_rows_free(&r);
	EXPECT(cqlsh_parse_rows("\n keyspace_name | table_name | id\n"
	    "---------------+------------+----\n\n(0 rows)\n", 3, tcols,
	    &r) == 0);
	EXPECT(r.nrows == 0);
	cqlsh_rows_free(&r);
	cqlsh_rows_free(NULL);
}

static void
t_rows_refused(void)
{
	struct cqlsh_rows r;

	/* the count does not match: output cut short */
	EXPECT(cqlsh_parse_rows(" keyspace_name | table_name | id\n"
	    "---+---+---\n a | b | c\n\n(2 rows)\n", 3, tcols, &r) != 0);
	/* a row of two cells */
	EXPECT(cqlsh_parse_rows(" keyspace_name | table_name | id\n"
	    "---+---+---\n a | b\n\n(1 rows)\n", 3, tcols, &r) != 0);
	/* other columns; no rule */
	EXPECT(cqlsh_parse_rows(" keyspace_name | columnfamily_name | id\n"
	    "---+---+---\n\n(0 rows)\n", 3, tcols, &r) != 0);
	EXPECT(cqlsh_parse_rows(" keyspace_name | table_name | id\n"
	    "\n(0 rows)\n", 3, tcols, &r) != 0);
	EXPECT(cqlsh_parse_rows("", 3, tcols, &r) != 0);
	EXPECT(r.cell == NULL);
}

int
main(void)
{

	TEST(t_creds_private_and_removed);
	TEST(t_creds_refused);
	TEST(t_ssl_only);
	TEST(t_ssl_section);
	TEST(t_merge);
	TEST(t_opts_refused);
	TEST(t_open_missing);
	TEST(t_rows);
	TEST(t_rows_refused);
	return (unit_done());
}
