/*
 * schema --file F: the CQL of a backup's schema into the live cluster
 * (cqlsh -f), then a wait until every node has the same schema version.
 */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "load.h"
#include "warnp.h"

#define AGREE_WAIT	60	/* seconds */

/*
 * The schema versions nodetool describecluster lists: the lines under
 * "Schema versions:" ("<uuid>: [addresses]", "UNREACHABLE: [...]") up to
 * a blank line.  -1 if there is no such section.
 */
static int
schema_versions(const char *text)
{
	const char *p = strstr(text, "Schema versions:"), *nl;
	int n = 0;

	if (p == NULL)
		return (-1);
	for (p = strchr(p, '\n'); p != NULL && *++p != '\0'; p = nl) {
		nl = strchr(p, '\n');
		p += strspn(p, " \t");
		if (*p == '\n' || *p == '\0' || (nl != NULL && nl < p))
			break;
		if (strstr(p, ": [") != NULL && (nl == NULL ||
		    strstr(p, ": [") < nl))
			n++;
		if (nl == NULL)
			break;
	}
	return (n);
}

static int
agreement(const struct ctx *x, int *versions)
{
	static const char *const dc[] = { "describecluster", NULL };
	struct proc_out po;
	int rc;

	if ((rc = casstool_nodetool(&x->o->tool, dc, &po, 0)) != 0)
		return (rc);
	*versions = schema_versions(po.out);
	proc_out_free(&po);
	return (0);
}

static int
wait_agreement(const struct ctx *x)
{
	time_t end = time(NULL) + AGREE_WAIT;
	int rc, n = 0;

	for (;;) {
		if ((rc = agreement(x, &n)) != 0)
			return (rc);
		if (n == 1)
			return (0);
		if (time(NULL) >= end)
			break;
		sleep(1);
	}
	if (n < 0)
		warn0("cannot find the schema versions in the output of "
		    "'nodetool describecluster'");
	else
		warn0("no schema agreement %d s after cqlsh: %d schema versions "
		    "in nodetool describecluster", AGREE_WAIT, n);
	return (EX_TEMPFAIL);
}

int
schema_run(struct ctx *x)
{
	struct proc_out po = { NULL, 0, NULL, 0 };
	char path[PATH_MAX];
	int rc;

	if ((rc = casstool_path(&x->o->tool, "cqlsh", path, sizeof(path))) != 0)
		return (rc);
	if (access(x->o->file, R_OK) != 0) {
		warnp("cannot read '%s'", x->o->file);
		return (warnp_errno_status(errno) == EX_NOPERM ? EX_NOPERM :
		    EX_USAGE);
	}
	rc = cqlsh_run_file(path, x->creds, x->conf, x->o->file, &po);
	if (rc != 0) {
		warn0("cqlsh -f '%s' failed (exit %d):", x->o->file, rc);
		if (rc > 0)
			casstool_relay("cqlsh", po.err);
		rc = rc < 0 || cqlsh_connect_failed(&po) ? EX_UNAVAILABLE :
		    x->o->cq.user != NULL && cqlsh_bad_credentials(&po) ?
		    EX_NOPERM : EX_FAILURE;
	} else if (po.errlen > 0 && !x->o->quiet)
		casstool_relay("cqlsh", po.err);
	proc_out_free(&po);
	return (rc != 0 ? rc : wait_agreement(x));
}
