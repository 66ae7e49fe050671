#include <sys/wait.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fanout.h"
#include "unit.h"

static void
quote_is(char *const *w, size_t n, const char *want)
{
	char *q = fanout_shell_quote(w, n);

	EXPECT_STR(q, want);
	free(q);
}

static void
t_quote_exact(void)
{
	char *plain[] = { "ls", "-l", "/var/lib/cassandra" };
	char *odd[] = { "a'b", "", "'", "x y;$(touch X)`id`\n\"\\" };
	char *one[] = { "''" };

	quote_is(plain, 3, "'ls' '-l' '/var/lib/cassandra'");
	quote_is(odd, 4, "'a'\\''b' '' ''\\''' "
	    "'x y;$(touch X)`id`\n\"\\'");
	quote_is(one, 1, "''\\'''\\'''");
	errno = 0;
	EXPECT(fanout_shell_quote(plain, 0) == NULL && errno == EINVAL);
}

/* Run "sh -c LINE" with printf printing each word NUL-ended; compare. */
static void
t_quote_roundtrip(void)
{
	char *w[] = { "printf", "%s\\0", "a'b", "", "$(echo no)", "; exit 3",
	    "tab\there", "nl\nhere", "'\"'\"", "*", "~", "{host}" };
	const char want[] = "a'b\0\0$(echo no)\0; exit 3\0tab\there\0"
	    "nl\nhere\0'\"'\"\0*\0~\0{host}\0";
	char *line, buf[256], cmd[4096];
	size_t got;
	FILE *p;

	line = fanout_shell_quote(w, sizeof(w) / sizeof(w[0]));
	EXPECT(line != NULL);
	if (line == NULL)
		return;
	/* popen runs sh -c CMD: CMD is itself our line. */
	snprintf(cmd, sizeof(cmd), "%s", line);
	free(line);
	if ((p = popen(cmd, "r")) == NULL) {
		EXPECT(p != NULL);
		return;
	}
	got = fread(buf, 1, sizeof(buf), p);
	EXPECT(pclose(p) == 0);
	EXPECT(got == sizeof(want) - 1);
	EXPECT_MEM(buf, want, sizeof(want) - 1);
}

int
main(void)
{

	TEST(t_quote_exact);
	TEST(t_quote_roundtrip);
	return (unit_done());
}
