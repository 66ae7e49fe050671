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

int
main(void)
{

	TEST(t_creds_private_and_removed);
	TEST(t_creds_refused);
	return (unit_done());
}
