#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "manifest.h"

void
mf_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void
mf_put_list(FILE *f, const char *list)
{
	const char *p, *e;
	char *item;
	int first = 1;

	if (list == NULL || *list == '\0') {
		fputs("null", f);
		return;
	}
	putc('[', f);
	for (p = list; *p != '\0'; p = *e ? e + 1 : e) {
		if ((e = strchr(p, ',')) == NULL)
			e = p + strlen(p);
		if (e == p)
			continue;
		if ((item = strndup(p, (size_t)(e - p))) == NULL)
			continue;
		if (!first)
			fputs(", ", f);
		json_put_str(f, item);
		free(item);
		first = 0;
	}
	putc(']', f);
}
