#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsmove.h"
#include "unit.h"

static char dir[64];

static void
put(const char *name, const char *text)
{
	char p[256];
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "w")) != NULL) {
		fputs(text, f);
		fclose(f);
	}
}

static int
has(const char *name, const char *text)
{
	char p[256], buf[64];
	size_t n;
	FILE *f;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	if ((f = fopen(p, "r")) == NULL)
		return (0);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return (strcmp(buf, text) == 0);
}

static void
t_move(void)
{
	char a[256], b[256], c[256];

	put("a", "A");
	put("b", "B");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	/* never over an existing file */
	EXPECT(fsmove_noreplace(a, b) == -1 && errno == EEXIST);
	EXPECT(has("a", "A") && has("b", "B"));
	EXPECT(fsmove_noreplace(a, c) == 0);
	EXPECT(!has("a", "A") && has("c", "A"));
	EXPECT(fsmove_sync_dir(dir) == 0);
}

static void
t_mkdirs(void)
{
	char p[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/x/y/z", dir);
	EXPECT(fsmove_mkdirs(p, 0750, 0, 0, 0) == 0);
	EXPECT(stat(p, &sb) == 0 && S_ISDIR(sb.st_mode));
	EXPECT(fsmove_mkdirs(p, 0750, 0, 0, 0) == 0);
	snprintf(p, sizeof(p), "%s/b/y", dir);	/* b is a file */
	EXPECT(fsmove_mkdirs(p, 0750, 0, 0, 0) == -1);
}

int
main(void)
{

	snprintf(dir, sizeof(dir), "/tmp/test_fsmove.XXXXXX");
	if (mkdtemp(dir) == NULL)
		return (1);
	TEST(t_move);
	TEST(t_mkdirs);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		EXPECT(system(cmd) == 0);
	}
	return (unit_done());
}
