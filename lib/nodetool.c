#include <stdlib.h>
#include <string.h>

#include "nodetool.h"
#include "warnp.h"

void
nodetool_topo_free(struct nodetool_topo *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->ntokens; i++)
		free(t->tokens[i]);
	free(t->tokens);
	free(t->host_id);
	free(t->datacenter);
	free(t->rack);
	free(t->version);
	free(t->cluster_name);
	free(t->partitioner);
	free(t->schema_version);
	free(t->address);
	memset(t, 0, sizeof(*t));
}

/* Copy [p, p + len) without surrounding blanks into *out (replacing). */
static int
set_trim(char **out, const char *p, size_t len)
{
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' ||
	    p[len - 1] == '\r'))
		len--;
	free(*out);
	if ((*out = strndup(p, len)) == NULL) {
		warnp("cannot parse nodetool output");
		return (-1);
	}
	return (0);
}

/* Does line (len bytes) start with label, then blanks, then ':'? */
static const char *
label_value(const char *line, size_t len, const char *label)
{
	size_t ll = strlen(label);
	const char *p = line + ll;

	if (len < ll || strncmp(line, label, ll) != 0)
		return (NULL);
	while (p < line + len && (*p == ' ' || *p == '\t'))
		p++;
	if (p >= line + len || *p != ':')
		return (NULL);
	return (p + 1);
}

static int
add_token(struct nodetool_topo *t, const char *p, size_t len)
{
	char **nt;

	while (len > 0 && *p == ' ') {
		p++;
		len--;
	}
	if (len == 0 || *p == '(')	/* "(invoke with -T/--tokens ...)" */
		return (0);
	if ((nt = realloc(t->tokens, (t->ntokens + 1) * sizeof(*nt))) == NULL) {
		warnp("cannot parse nodetool output");
		return (-1);
	}
	t->tokens = nt;
	t->tokens[t->ntokens] = NULL;
	if (set_trim(&t->tokens[t->ntokens], p, len) != 0)
		return (-1);
	t->ntokens++;
	return (0);
}

/* One "Label : value" line of nodetool info. */
static int
info_line(const char *line, size_t len, struct nodetool_topo *t)
{
	const char *v, *end = line + len;

	if ((v = label_value(line, len, "ID")) != NULL)
		return (set_trim(&t->host_id, v, (size_t)(end - v)));
	if ((v = label_value(line, len, "Data Center")) != NULL)
		return (set_trim(&t->datacenter, v, (size_t)(end - v)));
	if ((v = label_value(line, len, "Rack")) != NULL)
		return (set_trim(&t->rack, v, (size_t)(end - v)));
	if ((v = label_value(line, len, "Token")) != NULL)
		return (add_token(t, v, (size_t)(end - v)));
	return (0);
}

typedef int line_fn(const char *line, size_t len, struct nodetool_topo *t);

static int
each_line(const char *text, line_fn *fn, struct nodetool_topo *t)
{
	const char *nl;
	size_t len;

	for (; *text != '\0'; text = nl != NULL ? nl + 1 : text + len) {
		nl = strchr(text, '\n');
		len = nl != NULL ? (size_t)(nl - text) : strlen(text);
		if (fn(text, len, t) != 0)
			return (-1);
		if (nl == NULL)
			break;
	}
	return (0);
}

int
nodetool_parse_info(const char *text, struct nodetool_topo *t)
{

	return (each_line(text, info_line, t));
}

static int
version_line(const char *line, size_t len, struct nodetool_topo *t)
{
	const char *v;

	if ((v = label_value(line, len, "ReleaseVersion")) != NULL)
		return (set_trim(&t->version, v, (size_t)(line + len - v)));
	return (0);
}

int
nodetool_parse_version(const char *text, struct nodetool_topo *t)
{

	return (each_line(text, version_line, t));
}

/* Lines of describecluster are indented with tabs. */
static int
cluster_line(const char *line, size_t len, struct nodetool_topo *t)
{
	const char *v, *colon;
	size_t ind = 0;

	while (ind < len && (line[ind] == '\t' || line[ind] == ' '))
		ind++;
	line += ind;
	len -= ind;
	if ((v = label_value(line, len, "Name")) != NULL)
		return (set_trim(&t->cluster_name, v, (size_t)(line + len - v)));
	if ((v = label_value(line, len, "Partitioner")) != NULL)
		return (set_trim(&t->partitioner, v, (size_t)(line + len - v)));
	/* "<uuid>: [addresses]" under "Schema versions:" */
	if (t->schema_version == NULL && ind >= 2 && len > 36 &&
	    line[36] == ':' && (colon = memchr(line, '[', len)) != NULL &&
	    strspn(line, "0123456789abcdef-") == 36)
		return (set_trim(&t->schema_version, line, 36));
	return (0);
}

int
nodetool_parse_describecluster(const char *text, struct nodetool_topo *t)
{

	return (each_line(text, cluster_line, t));
}

/* A status row "UN  10.0.0.1  21.71 GiB  256  33.3%  <host id>  rack1". */
static int
status_line(const char *line, size_t len, struct nodetool_topo *t)
{
	const char *p, *a;
	size_t hl;

	if (t->host_id == NULL || len < 4 || strchr("UD?", line[0]) == NULL ||
	    strchr("NLJM?", line[1]) == NULL || line[2] != ' ')
		return (0);
	hl = strlen(t->host_id);
	for (p = line; p + hl <= line + len; p++)
		if (memcmp(p, t->host_id, hl) == 0)
			break;
	if (p + hl > line + len)
		return (0);
	for (a = line + 2; a < line + len && *a == ' '; a++)
		;
	for (p = a; p < line + len && *p != ' '; p++)
		;
	return (set_trim(&t->address, a, (size_t)(p - a)));
}

int
nodetool_parse_status(const char *text, struct nodetool_topo *t)
{

	return (each_line(text, status_line, t));
}
