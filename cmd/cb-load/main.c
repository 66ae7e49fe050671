/*
 * cb-load: load the sstables a restore left in RESTORE_DIR/KS/TABLE-ID/
 * into the live tables of this node (nodetool import or refresh, or a
 * restart with the files in place), or the backup's schema (cqlsh -f).
 */

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "casspath.h"
#include "load.h"
#include "num.h"
#include "warnp.h"

static void
usage(FILE *f)
{

	fprintf(f,
	    "usage: cb-load [-0qv] [--cassandra-tools-bin-dir DIR] "
	    "[--cassandra-conf-path DIR]\n"
	    "               [--cqlsh-user U --cqlsh-password-file F] "
	    "[--owner USER]\n"
	    "               [--cqlsh-ssl] [--cqlsh-certfile FILE] "
	    "[--[no-]cqlsh-validate]\n"
	    "               [--cqlsh-usercert FILE [--cqlsh-userkey FILE]] "
	    "[--cqlsh-cqlshrc FILE]\n"
	    "               [--jmx-user USER --jmx-password-file FILE]\n"
	    "               MODE --restore-dir DIR [--keyspaces KS,...] "
	    "[--table T] [--done FILE]\n"
	    "               [--stop-command CMD] [--start-command CMD] "
	    "[--start-timeout SECONDS]\n"
	    "               [--tokens FILE]\n"
	    "       cb-load [options] schema --file CQL\n"
	    "       cb-load -h | -V\n"
	    "MODE: map | import | refresh | restart\n");
}

static int
is_mode(const char *m, const char *list)
{
	size_t n = strlen(m);
	const char *p;

	for (p = list; (p = strstr(p, m)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return (1);
	return (0);
}

static int
check_opts(struct opts *o)
{
	int schema = strcmp(o->mode, "schema") == 0;
	int restart = strcmp(o->mode, "restart") == 0;

	if (!is_mode(o->mode, "map import refresh restart schema")) {
		warn0("unknown mode '%s'", o->mode);
		return (-1);
	}
	if (schema != (o->file != NULL) || (schema && (o->restore_dir !=
	    NULL || o->nks > 0 || o->table != NULL || o->done != NULL ||
	    o->owner != NULL))) {
		warn0("schema takes --file CQL, and only it does; the "
		    "--restore-dir options are for the other modes");
		return (-1);
	}
	if (!schema && o->restore_dir == NULL) {
		warn0("%s needs --restore-dir DIR", o->mode);
		return (-1);
	}
	if (!restart && (o->stop_cmd != NULL || o->start_cmd != NULL ||
	    o->tokens != NULL || o->start_timeout != 0)) {
		warn0("--stop-command, --start-command, --start-timeout and "
		    "--tokens are for restart");
		return (-1);
	}
	if (o->table != NULL && !casspath_is_word(o->table, strlen(o->table))) {
		warn0("invalid table '%s'", o->table);
		return (-1);
	}
	if (cqlsh_opts_check(&o->cq) != 0)
		return (-1);
	if ((o->tool.jmx_user == NULL) != (o->tool.jmx_pwfile == NULL)) {
		warn0("--jmx-user and --jmx-password-file go together");
		return (-1);
	}
	return (0);
}

static int
timeout_parse(struct opts *o, const char *s)
{
	int64_t v;

	if (num_parse_i64(s, 1, 86400, &v) != 0) {
		warn0("invalid --start-timeout '%s': seconds, 1 to 86400", s);
		return (-1);
	}
	o->start_timeout = (long)v;
	return (0);
}

static int
parse_args(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "cassandra-tools-bin-dir", required_argument, NULL, 'B' },
		{ "cassandra-conf-path", required_argument, NULL, 'C' },
		CQLSH_LONGOPTS,
		{ "jmx-user", required_argument, NULL, 'J' },
		{ "jmx-password-file", required_argument, NULL, 'W' },
		{ "owner", required_argument, NULL, 'o' },
		{ "restore-dir", required_argument, NULL, 'R' },
		{ "keyspaces", required_argument, NULL, 'k' },
		{ "table", required_argument, NULL, 'T' },
		{ "done", required_argument, NULL, 'd' },
		{ "stop-command", required_argument, NULL, 's' },
		{ "start-command", required_argument, NULL, 'S' },
		{ "start-timeout", required_argument, NULL, 't' },
		{ "tokens", required_argument, NULL, 'K' },
		{ "file", required_argument, NULL, 'f' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, r, bad = 0;

	while ((ch = getopt_long(argc, argv, "0qvhV", longopts, NULL)) != -1) {
		if ((r = cqlsh_opts_set(&o->cq, ch, optarg)) <= 0) {
			if (r < 0)
				return (EX_USAGE);
			continue;
		}
		switch (ch) {
		case 'B': o->tool.bindir = optarg; break;
		case 'C':
			if (casstool_set_confdir(optarg, &o->confdir) != 0)
				return (EX_FAILURE);
			break;
		case 'J': o->tool.jmx_user = optarg; break;
		case 'W': o->tool.jmx_pwfile = optarg; break;
		case 'o': o->owner = optarg; break;
		case 'R': o->restore_dir = optarg; break;
		case 'k': o->kslist = optarg; break;
		case 'T': o->table = optarg; break;
		case 'd': o->done = optarg; break;
		case 's': o->stop_cmd = optarg; break;
		case 'S': o->start_cmd = optarg; break;
		case 't': bad |= timeout_parse(o, optarg) != 0; break;
		case 'K': o->tokens = optarg; break;
		case 'f': o->file = optarg; break;
		case '0': o->nul = 1; break;
		case 'q': o->quiet = 1; break;
		case 'v':
			o->tool.verbose = 1;
			warnp_set_verbose(1);
			break;
		case 'h': usage(stdout); exit(0);
		case 'V': printf("cb-load %s\n", CB_VERSION); exit(0);
		default: usage(stderr); return (EX_USAGE);
		}
	}
	if (bad || optind + 1 != argc) {
		if (!bad && optind == argc)
			warn0("no mode given");
		usage(stderr);
		return (EX_USAGE);
	}
	o->mode = argv[optind];
	if ((o->kslist != NULL && casspath_split_words(o->kslist, "keyspace",
	    "--keyspaces", o->ks, MAXKS, &o->nks) != 0) ||
	    check_opts(o) != 0) {
		usage(stderr);
		return (EX_USAGE);
	}
	return (0);
}

/* The table modes: map, then the load. */
static int
run_tables(struct ctx *x)
{
	int rc;

	if ((rc = map_build(x)) != 0 || (rc = load_journal_read(x)) != 0)
		return (rc);
	if (strcmp(x->o->mode, "map") != 0 && (rc = map_owners(x)) != 0)
		return (rc);
	if (strcmp(x->o->mode, "restart") == 0)
		return (restart_run(x));
	return (load_run(x));
}

static int
run(const struct opts *o)
{
	struct ctx x;
	int rc, schema = strcmp(o->mode, "schema") == 0;

	memset(&x, 0, sizeof(x));
	x.o = o;
	if ((rc = casstool_conf_load(o->confdir, !schema, &x.conf)) != 0)
		return (rc);
	if ((rc = cqlsh_rc_open(&o->cq, &x.creds)) != 0)
		goto done;
	rc = schema ? schema_run(&x) : run_tables(&x);
done:
	map_free(&x.map);
	strset_free(&x.done);
	cqlsh_rc_free(x.creds);
	cassconf_free(x.conf);
	return (rc);
}

int
main(int argc, char **argv)
{
	struct opts o;
	int rc;

	warnp_init(argv[0]);
	memset(&o, 0, sizeof(o));
	casstool_init(&o.tool, &o.confdir);
	cqlsh_opts_init(&o.cq);
	if ((rc = parse_args(argc, argv, &o)) != 0)
		return (rc);
	if (o.stop_cmd == NULL)
		o.stop_cmd = "systemctl stop cassandra";
	if (o.start_cmd == NULL)
		o.start_cmd = "systemctl start cassandra";
	if (o.start_timeout == 0)
		o.start_timeout = 600;
	rc = run(&o);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		warnp("cannot write to stdout");
		rc = EX_FAILURE;
	}
	return (rc);
}
