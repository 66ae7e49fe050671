#include <stdlib.h>
#include <string.h>

#include "bkpath.h"

#define MAXCOMP	256

/* Split a copy of path on runs of '/'; returns the count or -1. */
static int
split(char *s, char **c)
{
	int n = 0;
	char *tok, *save = NULL;

	for (tok = strtok_r(s, "/", &save); tok != NULL;
	    tok = strtok_r(NULL, "/", &save)) {
		if (n == MAXCOMP)
			return (-1);
		c[n++] = tok;
	}
	return (n);
}

/* The table name of a table directory: "users-<32 hex>" -> "users". */
static char *
table_name(const char *dir)
{
	const char *dash = strrchr(dir, '-');
	size_t i;

	if (dash == NULL || strlen(dash + 1) != 32)
		return (strdup(dir));
	for (i = 1; i <= 32; i++)
		if (strchr("0123456789abcdef", dash[i]) == NULL)
			return (strdup(dir));
	return (strndup(dir, (size_t)(dash - dir)));
}

/* Does c[i..n) look like snapshots/TAG/[.IDX/]FILE or backups/[.IDX/]FILE? */
static int
tail_at(char **c, int n, int i, int *rest)
{
	int r;

	if (i < 2)
		return (0);
	if (strcmp(c[i], "snapshots") == 0)
		r = i + 2;
	else if (strcmp(c[i], "backups") == 0)
		r = i + 1;
	else
		return (0);
	if (n - r == 1 || (n - r == 2 && c[r][0] == '.')) {
		*rest = r;
		return (1);
	}
	return (0);
}

static int
fill(struct bkpath *bp, char **c, int n, int i, int r)
{
	size_t len = 0;
	int k;

	bp->backups = strcmp(c[i], "backups") == 0;
	bp->keyspace = strdup(c[i - 2]);
	bp->tabledir = strdup(c[i - 1]);
	bp->table = table_name(c[i - 1]);
	len = strlen(c[i - 2]) + strlen(c[i - 1]) + 3;
	for (k = r; k < n; k++)
		len += strlen(c[k]) + 1;
	if ((bp->rel = malloc(len)) != NULL) {
		strcpy(bp->rel, c[i - 2]);
		strcat(bp->rel, "/");
		strcat(bp->rel, c[i - 1]);
		for (k = r; k < n; k++) {
			strcat(bp->rel, "/");
			strcat(bp->rel, c[k]);
		}
	}
	if (bp->keyspace == NULL || bp->tabledir == NULL ||
	    bp->table == NULL || bp->rel == NULL) {
		bkpath_clear(bp);
		return (-1);
	}
	return (1);
}

int
bkpath_parse(const char *path, struct bkpath *bp)
{
	char *copy, *c[MAXCOMP];
	int n, i, r, rc = 0;

	memset(bp, 0, sizeof(*bp));
	if ((copy = strdup(path)) == NULL)
		return (-1);
	if ((n = split(copy, c)) < 0) {
		free(copy);
		return (0);
	}
	for (i = 0; i < n; i++) {
		if (strcmp(c[i], "..") == 0 || strcmp(c[i], ".") == 0) {
			free(copy);
			return (-1);
		}
	}
	for (i = n - 2; i >= 2; i--) {
		if (!tail_at(c, n, i, &r))
			continue;
		if (!bp->backups && strcmp(c[n - 1], "manifest.json") == 0 &&
		    strcmp(c[i], "snapshots") == 0)
			break;
		rc = fill(bp, c, n, i, r);
		break;
	}
	free(copy);
	return (rc);
}

void
bkpath_clear(struct bkpath *bp)
{

	free(bp->rel);
	free(bp->keyspace);
	free(bp->table);
	free(bp->tabledir);
	memset(bp, 0, sizeof(*bp));
}

int
bkpath_in_list(const char *list, const char *name)
{
	size_t nl = strlen(name);
	const char *p, *e;

	if (list == NULL || *list == '\0')
		return (1);
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if ((size_t)(e - p) == nl && strncmp(p, name, nl) == 0)
			return (1);
	}
	return (0);
}
