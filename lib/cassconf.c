#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "cassconf.h"
#include "num.h"
#include "warnp.h"

/* The largest cassandra.yaml read; real ones are about 100 KiB. */
#define CASSCONF_MAX	(16 * 1024 * 1024)

struct parse {
	yaml_document_t	*doc;
	const char	*name;
	struct cassconf	*c;
};

const char *const cassconf_other_key[CASSCONF_NOTHER] = {
	"commitlog_directory", "hints_directory", "saved_caches_directory",
	"cdc_raw_directory"
};
static const char *const other_default[CASSCONF_NOTHER] = {
	"/var/lib/cassandra/commitlog", "/var/lib/cassandra/hints",
	"/var/lib/cassandra/saved_caches", "/var/lib/cassandra/cdc_raw"
};

void
cassconf_free(struct cassconf *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CASSCONF_NOTHER; i++)
		free(c->other_dirs[i]);
	for (i = 0; i < c->ndata_dirs; i++)
		free(c->data_dirs[i]);
	free(c->data_dirs);
	free(c->path);
	free(c->local_system_dir);
	free(c->cluster_name);
	free(c->rpc_address);
	free(c->broadcast_rpc_address);
	free(c);
}

/* A plain scalar that YAML 1.1 reads as null. */
static int
scalar_is_null(const yaml_node_t *n)
{
	const char *v = (const char *)n->data.scalar.value;

	if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return (0);
	return (v[0] == '\0' || strcmp(v, "~") == 0 ||
	    strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	    strcmp(v, "NULL") == 0);
}

static int
bad(const struct parse *p, const char *key, const char *why)
{

	warn0("cannot read '%s': key '%s' %s", p->name, key, why);
	return (CASSCONF_EDATA);
}

/* *out = the scalar's string (NULL for null).  Returns 0 or an error. */
static int
get_string(const struct parse *p, const char *key, const yaml_node_t *n,
    char **out)
{

	if (n->type != YAML_SCALAR_NODE)
		return (bad(p, key, "is not a scalar"));
	free(*out);
	*out = NULL;
	if (scalar_is_null(n))
		return (0);
	if ((*out = strdup((const char *)n->data.scalar.value)) == NULL) {
		warnp("cannot read '%s'", p->name);
		return (-1);
	}
	return (0);
}

static int
get_bool(const struct parse *p, const char *key, const yaml_node_t *n,
    int *out)
{
	static const char *const yes[] = { "true", "True", "TRUE", "yes", "Yes",
	    "YES", "on", "On", "ON", NULL };
	static const char *const no[] = { "false", "False", "FALSE", "no", "No",
	    "NO", "off", "Off", "OFF", NULL };
	const char *v;
	size_t i;

	if (n->type != YAML_SCALAR_NODE)
		return (bad(p, key, "is not a scalar"));
	if (scalar_is_null(n)) {
		*out = 0;
		return (0);
	}
	v = (const char *)n->data.scalar.value;
	for (i = 0; yes[i] != NULL; i++) {
		if (strcmp(v, yes[i]) == 0) {
			*out = 1;
			return (0);
		}
		if (strcmp(v, no[i]) == 0) {
			*out = 0;
			return (0);
		}
	}
	return (bad(p, key, "is not a boolean"));
}

static int
get_port(const struct parse *p, const char *key, const yaml_node_t *n,
    int *out)
{
	const char *v;
	uint64_t l;

	if (n->type != YAML_SCALAR_NODE)
		return (bad(p, key, "is not a scalar"));
	if (scalar_is_null(n))
		return (0);
	v = (const char *)n->data.scalar.value;
	if (num_parse_u64(v, 1, 65535, &l) != 0)
		return (bad(p, key, "is not a port number"));
	*out = (int)l;
	return (0);
}

/* Copy a directory path without trailing slashes; it must be absolute. */
static int
dir_dup(const struct parse *p, const char *key, const char *v, char **out)
{
	size_t len = strlen(v);

	if (v[0] != '/')
		return (bad(p, key, "holds a path that is not absolute"));
	while (len > 1 && v[len - 1] == '/')
		len--;
	if ((*out = strndup(v, len)) == NULL) {
		warnp("cannot read '%s'", p->name);
		return (-1);
	}
	return (0);
}

static int
get_dirs(const struct parse *p, const char *key, yaml_node_t *n)
{
	struct cassconf *c = p->c;
	yaml_node_item_t *it;
	yaml_node_t *e;
	size_t cnt;
	int rc;

	if (c->data_dirs != NULL)
		return (bad(p, key, "is given twice"));
	if (n->type == YAML_SCALAR_NODE && scalar_is_null(n))
		return (0);
	if (n->type != YAML_SEQUENCE_NODE)
		return (bad(p, key, "is not a list"));
	cnt = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (cnt == 0)
		return (0);
	if ((c->data_dirs = calloc(cnt, sizeof(char *))) == NULL) {
		warnp("cannot read '%s'", p->name);
		return (-1);
	}
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		e = yaml_document_get_node(p->doc, *it);
		if (e == NULL || e->type != YAML_SCALAR_NODE || scalar_is_null(e))
			return (bad(p, key, "holds an entry that is not a path"));
		rc = dir_dup(p, key, (const char *)e->data.scalar.value,
		    &c->data_dirs[c->ndata_dirs]);
		if (rc != 0)
			return (rc);
		c->ndata_dirs++;
	}
	c->data_dirs_default = 0;
	return (0);
}

static int
get_key(struct parse *p, const char *key, yaml_node_t *v)
{
	struct cassconf *c = p->c;
	char *s = NULL;
	size_t i;
	int rc;

	if (strcmp(key, "data_file_directories") == 0)
		return (get_dirs(p, key, v));
	if (strcmp(key, "incremental_backups") == 0)
		return (get_bool(p, key, v, &c->incremental_backups));
	if (strcmp(key, "native_transport_port") == 0)
		return (get_port(p, key, v, &c->native_transport_port));
	if (strcmp(key, "cluster_name") == 0)
		return (get_string(p, key, v, &c->cluster_name));
	if (strcmp(key, "rpc_address") == 0)
		return (get_string(p, key, v, &c->rpc_address));
	if (strcmp(key, "broadcast_rpc_address") == 0)
		return (get_string(p, key, v, &c->broadcast_rpc_address));
	for (i = 0; i < CASSCONF_NOTHER; i++) {
		if (strcmp(key, cassconf_other_key[i]) != 0)
			continue;
		if ((rc = get_string(p, key, v, &s)) != 0 || s == NULL)
			return (rc);
		free(c->other_dirs[i]);
		c->other_dirs[i] = NULL;
		rc = dir_dup(p, key, s, &c->other_dirs[i]);
		free(s);
		return (rc);
	}
	if (strcmp(key, "local_system_data_file_directory") == 0) {
		if ((rc = get_string(p, key, v, &s)) != 0 || s == NULL)
			return (rc);
		free(c->local_system_dir);
		c->local_system_dir = NULL;
		rc = dir_dup(p, key, s, &c->local_system_dir);
		free(s);
		return (rc);
	}
	return (0);
}

static int
walk_root(struct parse *p)
{
	yaml_node_t *root, *k, *v;
	yaml_node_pair_t *pair;
	int rc;

	root = yaml_document_get_root_node(p->doc);
	if (root == NULL)
		return (0);		/* an empty file: every default */
	if (root->type != YAML_MAPPING_NODE) {
		warn0("cannot read '%s': not a YAML mapping", p->name);
		return (CASSCONF_EDATA);
	}
	for (pair = root->data.mapping.pairs.start;
	    pair < root->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		v = yaml_document_get_node(p->doc, pair->value);
		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE)
			continue;
		if ((rc = get_key(p, (const char *)k->data.scalar.value, v)) != 0)
			return (rc);
	}
	return (0);
}

/* Fill in the default data directory when none was configured. */
static int
set_default_dirs(struct cassconf *c)
{

	size_t i;

	for (i = 0; i < CASSCONF_NOTHER; i++)
		if (c->other_dirs[i] == NULL &&
		    (c->other_dirs[i] = strdup(other_default[i])) == NULL) {
			warnp("cannot read configuration");
			return (-1);
		}
	if (c->ndata_dirs > 0)
		return (0);
	if ((c->data_dirs = calloc(1, sizeof(char *))) == NULL ||
	    (c->data_dirs[0] = strdup(CASSCONF_DEFAULT_DATA_DIR)) == NULL) {
		warnp("cannot read configuration");
		return (-1);
	}
	c->ndata_dirs = 1;
	c->data_dirs_default = 1;
	return (0);
}

int
cassconf_parse(const char *buf, size_t len, const char *name,
    struct cassconf **out)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct parse p;
	int rc;

	*out = NULL;
	if ((p.c = calloc(1, sizeof(*p.c))) == NULL ||
	    (p.c->path = strdup(name)) == NULL) {
		warnp("cannot read '%s'", name);
		free(p.c);
		return (-1);
	}
	p.name = name;
	p.doc = &doc;
	if (!yaml_parser_initialize(&parser)) {
		warn0("cannot read '%s': out of memory", name);
		cassconf_free(p.c);
		return (-1);
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &doc)) {
		warn0("cannot read '%s': not YAML at line %zu: %s", name,
		    parser.problem_mark.line + 1,
		    parser.problem != NULL ? parser.problem : "bad YAML");
		yaml_parser_delete(&parser);
		cassconf_free(p.c);
		return (CASSCONF_EDATA);
	}
	rc = walk_root(&p);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc == 0)
		rc = set_default_dirs(p.c);
	if (rc != 0) {
		cassconf_free(p.c);
		return (rc);
	}
	*out = p.c;
	return (0);
}

/* Read the whole file at path into *buf.  Returns 0 or -1 (reported). */
static int
slurp(const char *path, char **buf, size_t *len)
{
	struct stat sb;
	FILE *f;
	int saved;

	*buf = NULL;
	if ((f = fopen(path, "r")) == NULL) {
		warnp("cannot open '%s'", path);
		return (-1);
	}
	if (fstat(fileno(f), &sb) != 0)
		goto fail;
	if (sb.st_size > CASSCONF_MAX) {
		errno = EFBIG;
		goto fail;
	}
	if ((*buf = malloc((size_t)sb.st_size + 1)) == NULL)
		goto fail;
	*len = fread(*buf, 1, (size_t)sb.st_size, f);
	if (ferror(f))
		goto fail;
	fclose(f);
	return (0);
fail:
	saved = errno;
	warnp("cannot read '%s'", path);
	free(*buf);
	fclose(f);
	errno = saved;
	return (-1);
}

int
cassconf_load(const char *dir, struct cassconf **out)
{
	char path[PATH_MAX];
	char *buf;
	size_t len;
	int rc;

	*out = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/cassandra.yaml", dir) >=
	    sizeof(path)) {
		errno = ENAMETOOLONG;
		warnp("cannot open '%s/cassandra.yaml'", dir);
		return (-1);
	}
	if (slurp(path, &buf, &len) != 0)
		return (-1);
	rc = cassconf_parse(buf, len, path, out);
	free(buf);
	return (rc);
}

int
cassconf_exit_status(int rc, int err)
{

	if (rc == CASSCONF_EDATA)
		return (EX_CONFIG);
	if (err == EACCES || err == EPERM)
		return (EX_NOPERM);
	return (err == ENOENT || err == ENOTDIR || err == EISDIR ||
	    err == ENAMETOOLONG || err == EFBIG || err == ELOOP ?
	    EX_CONFIG : EX_FAILURE);
}
