#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cqlsh.h"
#include "unit.h"

static void
t_creds_private_and_removed(void)
{
	struct cqlsh_creds *cr;
	char dir[4096], buf[512];
	struct stat sb;
	size_t n;
	FILE *f;

	setenv("TMPDIR", "/tmp", 1);
	cr = cqlsh_creds_new("backup", "p%ss w0rd");
	EXPECT(cr != NULL);
	if (cr == NULL)
		return;
	EXPECT(stat(cqlsh_creds_rc(cr), &sb) == 0 &&
	    (sb.st_mode & 0777) == 0600);
	snprintf(dir, sizeof(dir), "%s", cqlsh_creds_rc(cr));
	*strrchr(dir, '/') = '\0';
	EXPECT(stat(dir, &sb) == 0 && (sb.st_mode & 0777) == 0700);
	f = fopen(cqlsh_creds_rc(cr), "r");
	n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	buf[n] = '\0';
	if (f != NULL)
		fclose(f);
	EXPECT(strstr(buf, "[authentication]\nusername = backup\n"
	    "password = p%ss w0rd\ncredentials = ") != NULL);
	cqlsh_creds_free(cr);
	EXPECT(stat(dir, &sb) != 0);
	cqlsh_creds_free(NULL);
}

static void
t_creds_refused(void)
{

	EXPECT(cqlsh_creds_new("u", " lead") == NULL);
	EXPECT(cqlsh_creds_new("u", "trail\t") == NULL);
	EXPECT(cqlsh_creds_new("u", "two\nlines") == NULL);
	EXPECT(cqlsh_creds_new("", "pw") == NULL);
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
	TEST(t_rows);
	TEST(t_rows_refused);
	return (unit_done());
}
