#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "bkpath.h"
#include "json.h"
#include "manifest.h"
#include "records.h"
#include "warnp.h"

void
mf_time(time_t t, char *buf, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

time_t
mf_iso_time(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec) != 6)
		return (-1);
	tm.tm_year -= 1900;
	tm.tm_mon--;
	return (timegm(&tm));
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

int
mf_put_lines(FILE *out, const char *name, const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *f;
	int first = 1;

	fprintf(out, "  \"%s\": [", name);
	if (path != NULL) {
		if ((f = fopen(path, "r")) == NULL) {
			warnp("cannot open '%s'", path);
			return (EX_FAILURE);
		}
		while ((n = getline(&line, &cap, f)) > 0) {
			while (n > 0 && (line[n - 1] == '\n' ||
			    line[n - 1] == '\r'))
				line[--n] = '\0';
			if (n == 0)
				continue;
			fputs(first ? "\n    " : ",\n    ", out);
			json_put_str(out, line);
			first = 0;
		}
		free(line);
		fclose(f);
	}
	fputs(first ? "],\n" : "\n  ],\n", out);
	return (0);
}

void
mf_put_path(FILE *out, const char *path)
{
	char *esc;

	if (rec_utf8_valid(path)) {
		json_put_str(out, path);
		return;
	}
	/* The escaped form is UTF-8 and has the path's components. */
	esc = bkpath_key_escape(path);
	json_put_str(out, esc != NULL ? esc : "");
	free(esc);
	fputs(", \"path_bytes\": ", out);
	json_put_base64(out, path, strlen(path));
}

char *
mf_file_path(struct json_doc *d, yaml_node_t *e, const char *name, size_t i)
{
	const char *s;
	char *p;
	size_t len;

	if ((p = json_get_base64(d, e, "path_bytes", &len)) == NULL) {
		if (errno == ENOMEM) {
			warnp("cannot allocate");
			return (NULL);
		}
		if (errno != 0) {
			warn0("cannot read '%s': file %zu: path_bytes is not "
			    "base64", name, i + 1);
			return (NULL);
		}
		if ((s = json_strn(json_get(d, e, "path"), &len)) == NULL ||
		    (p = strndup(s, len)) == NULL) {
			warn0("cannot read '%s': file %zu has no path", name,
			    i + 1);
			return (NULL);
		}
	}
	if (*p == '\0' || strlen(p) != len) {
		warn0("cannot read '%s': file %zu: the path is empty or holds "
		    "a NUL", name, i + 1);
		free(p);
		return (NULL);
	}
	return (p);
}

int
mf_node_version_check(struct json_doc *d, const char *name)
{
	uint64_t v = json_get_u64(d, json_root(d), "version", 0);

	if (v == MF_VERSION || v == MF_NODE_VERSION_BYTES)
		return (0);
	warn0("cannot read '%s': node manifest version %" PRIu64 " is not "
	    "known (%d or %d)", name, v, MF_VERSION, MF_NODE_VERSION_BYTES);
	return (-1);
}

void
mf_human(uint64_t n, char *buf, size_t size)
{
	const char *u[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
	double v = (double)n;
	int i = 0;

	while (v >= 1024 && i < 5) {
		v /= 1024;
		i++;
	}
	snprintf(buf, size, i ? "%.1f %s" : "%.0f %s", v, u[i]);
}

int
mf_is_purged(struct json_doc *d)
{

	return (d != NULL && strcmp(json_get_str(d, json_root(d), "format", ""),
	    MF_PURGED_FORMAT) == 0);
}
