#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cassconf.h"
#include "casstool.h"
#include "warnp.h"

void
casstool_init(struct casstool *t, const char **confdir)
{
	const char *env = getenv("CASSANDRA_CONF");

	memset(t, 0, sizeof(*t));
	t->bindir = "/usr/bin";
	*confdir = env != NULL && *env != '\0' ? env : CASSCONF_DEFAULT_DIR;
}

int
casstool_set_confdir(const char *dir, const char **confdir)
{

	*confdir = dir;
	if (setenv("CASSANDRA_CONF", dir, 1) != 0) {
		warnp("cannot set CASSANDRA_CONF");
		return (EX_FAILURE);
	}
	return (0);
}

int
casstool_path(const struct casstool *t, const char *name, char *buf,
    size_t size)
{

	if ((size_t)snprintf(buf, size, "%s/%s", t->bindir, name) >= size) {
		warn0("cannot run '%s/%s': path too long", t->bindir, name);
		return (EX_UNAVAILABLE);
	}
	if (access(buf, X_OK) != 0) {
		warnp("cannot run '%s'", buf);
		return (EX_UNAVAILABLE);
	}
	return (0);
}

void
casstool_relay(const char *name, const char *text)
{
	const char *nl;

	while (*text != '\0') {
		nl = strchr(text, '\n');
		warn0("%s: %.*s", name, nl ? (int)(nl - text) :
		    (int)strlen(text), text);
		if (nl == NULL)
			break;
		text = nl + 1;
	}
}

/* The exit status a failed nodetool's stderr means. */
static int
nodetool_status(const char *err)
{

	if (strstr(err, "Authentication failed") != NULL ||
	    strstr(err, "SecurityException") != NULL)
		return (EX_NOPERM);
	if (strstr(err, "Failed to connect") != NULL ||
	    strstr(err, "Connection refused") != NULL)
		return (EX_UNAVAILABLE);
	return (EX_FAILURE);
}

int
casstool_nodetool(const struct casstool *t, const char *const *args,
    struct proc_out *po, int quiet)
{
	char path[PATH_MAX], **argv;
	size_t i, j, n;
	int rc;

	memset(po, 0, sizeof(*po));
	if ((rc = casstool_path(t, "nodetool", path, sizeof(path))) != 0)
		return (rc);
	for (n = 0; args[n] != NULL; n++)
		;
	if ((argv = calloc(n + 6, sizeof(char *))) == NULL) {
		warnp("cannot run '%s'", path);
		return (EX_FAILURE);
	}
	argv[0] = path;
	j = 1;
	if (t->jmx_user != NULL) {
		/* JMX login: the password stays in its file. */
		argv[j++] = "-u";
		argv[j++] = (char *)(uintptr_t)t->jmx_user;
		argv[j++] = "-pwf";
		argv[j++] = (char *)(uintptr_t)t->jmx_pwfile;
	}
	for (i = 0; i < n; i++)
		argv[j++] = (char *)(uintptr_t)args[i];
	rc = proc_run(argv, po);
	free(argv);
	if (rc < 0)
		return (EX_UNAVAILABLE);
	if (t->verbose)
		casstool_relay("nodetool", po->out);
	if (rc == 0)
		return (0);
	if (!quiet) {
		warn0("nodetool %s failed (exit %d):", args[0], rc);
		casstool_relay("nodetool", po->err);
		casstool_relay("nodetool", po->out);
	}
	rc = nodetool_status(po->err);
	proc_out_free(po);
	return (rc);
}

int
casstool_nodetool_do(const struct casstool *t, const char *const *args)
{
	struct proc_out po;
	int rc;

	if ((rc = casstool_nodetool(t, args, &po, 0)) == 0)
		proc_out_free(&po);
	return (rc);
}

/* Each data directory of c must be a directory.  0, or an exit status. */
static int
conf_check_dirs(const struct cassconf *c)
{
	struct stat sb;
	size_t i;

	for (i = 0; i < c->ndata_dirs; i++) {
		if (stat(c->data_dirs[i], &sb) == 0 && S_ISDIR(sb.st_mode))
			continue;
		if (errno == EACCES || errno == EPERM) {
			warnp("cannot open data directory '%s'",
			    c->data_dirs[i]);
			return (EX_NOPERM);
		}
		if (c->data_dirs_default)
			warn0("'%s' has no data_file_directories, and the "
			    "default '%s' is not a directory", c->path,
			    c->data_dirs[i]);
		else
			warn0("data directory '%s' of '%s' is not a directory",
			    c->data_dirs[i], c->path);
		return (EX_CONFIG);
	}
	return (0);
}

int
casstool_conf_load(const char *dir, int dirs, struct cassconf **c)
{
	int rc;

	if ((rc = cassconf_load(dir, c)) != 0)
		return (cassconf_exit_status(rc, errno));
	if (dirs && (rc = conf_check_dirs(*c)) != 0) {
		cassconf_free(*c);
		*c = NULL;
	}
	return (rc);
}

/* The path of the program word in PATH, into buf.  0, or -1. */
static int
path_lookup(const char *word, char *buf, size_t size)
{
	const char *p, *env = getenv("PATH"), *end;
	size_t len;

	if (strchr(word, '/') != NULL) {
		if ((size_t)snprintf(buf, size, "%s", word) >= size)
			return (-1);
		return (0);
	}
	for (p = env != NULL ? env : "/usr/bin:/bin"; *p != '\0'; p = end) {
		end = strchr(p, ':');
		len = end != NULL ? (size_t)(end - p) : strlen(p);
		if ((size_t)snprintf(buf, size, "%.*s/%s", (int)len,
		    len > 0 ? p : ".", word) < size && access(buf, X_OK) == 0)
			return (0);
		if (end == NULL)
			break;
		end++;
	}
	return (-1);
}

int
casstool_command_run(const char *cmd, struct proc_out *po)
{
	char *copy, **argv, *w, *save = NULL, path[PATH_MAX];
	size_t n = 0;
	int rc = -1;

	memset(po, 0, sizeof(*po));
	if ((copy = strdup(cmd)) == NULL ||
	    (argv = calloc(strlen(cmd) / 2 + 2, sizeof(char *))) == NULL) {
		warnp("cannot run '%s'", cmd);
		free(copy);
		return (-1);
	}
	for (w = strtok_r(copy, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save))
		argv[n++] = w;
	if (n == 0)
		warn0("cannot run an empty command");
	else if (path_lookup(argv[0], path, sizeof(path)) != 0)
		warn0("cannot run '%s': '%s' not found in PATH", cmd, argv[0]);
	else {
		argv[0] = path;
		rc = proc_run(argv, po);
	}
	free(argv);
	free(copy);
	return (rc);
}
