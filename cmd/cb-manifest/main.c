/*
 * cb-manifest: build, merge and read backup manifests (cb-manifest(5)).
 *
 *	node	 cb-s3put results (+ topology, schema, previous) -> node manifest
 *	merge	 node manifests -> cluster manifest
 *	restore	 node manifest (or a seed-format key listing) -> cb-s3get records
 *	info	 cluster manifest (or a seed one) -> KEY TAB VALUE records
 *	summary	 cluster manifest -> one line (or one JSON object)
 *	plan	 the manifest of today's backup, if any -> what a run does
 *	keys	 backup names -> the keys of their cluster manifests
 *	list	 NAME TAB MANIFEST records -> one line (or object) each
 *	latest	 NAME TAB MANIFEST records -> the backup LATEST means
 *	topology node manifest -> its topology records (cb-records(5))
 *	metrics	 a run's outcome (+ cluster manifest, verify records) ->
 *		 Prometheus text for node_exporter's textfile collector
 *	schema	 node manifest -> a CQL script that recreates its schema
 *	report	 records the driver gathered -> the verify, purge or restore
 *		 report
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "manifest.h"
#include "num.h"
#include "warnp.h"

static void
usage(FILE *f)
{

	fprintf(f,
"usage: cb-manifest node [-0] --backup NAME --run RUN --host HOST\n"
"                   [--kind full|differential|incremental] [--topology FILE]\n"
"                   [--schema FILE] [--previous FILE] [--reference FILE]\n"
"                   [--keyspaces KS,...] [--table T] [--input-fields N]\n"
"                   [--warnings FILE] [--started TIME]\n"
"       cb-manifest reuse [-0] [--reference FILE] [--results FILE]\n"
"                   [--objects FILE] [--host-id ID] --reused FILE\n"
"       cb-manifest reuse --prefixes --base-path PATH [--reference FILE]\n"
"                   [--results FILE]\n"
"       cb-manifest orphans [-0] --objects FILE --manifest FILE --prefix P\n"
"                   [--since TIME]\n"
"       cb-manifest verify [-0] --objects FILE [--host HOST] <NODE-MANIFEST\n"
"       cb-manifest refs [-0] NODE-MANIFEST...\n"
"       cb-manifest purge-plan (--keep N | --older-than DAYS | --name NAME)\n"
"                   [--grace HOURS] [--ages FILE]\n"
"       cb-manifest report verify --backup NAME --mode quick|deep [--json]\n"
"       cb-manifest report purge [--dry-run] [--json]\n"
"       cb-manifest report restore --backup NAME --mode LOAD [--json]\n"
"       cb-manifest merge --backup NAME --base-path PATH --run RUN\n"
"                   [--kind full|differential|incremental] --hosts HOST,...\n"
"                   [--keyspaces KS,...]\n"
"                   [--table T] [--previous FILE]\n"
"       cb-manifest restore [-0] [--keyspaces KS,...] [--table T,...]\n"
"                   [--exclude-system] [--exclude-tables KS.T,...]\n"
"                   [--listing PREFIX]\n"
"       cb-manifest info | summary [--json]\n"
"       cb-manifest plan --backup NAME --alt-name NAME --base-path PATH\n"
"                   --run RUN --hosts HOST,...\n"
"                   [--keyspaces KS,...] [--table T] [--new-snapshot]\n"
"                   [--named] [--full] [--previous FILE] [--catalog FILE]\n"
"       cb-manifest keys [-0] --base-path PATH\n"
"       cb-manifest list [--json]\n"
"       cb-manifest latest --hosts HOST,... [--keyspaces KS,...] [--table T]\n"
"       cb-manifest topology <NODE-MANIFEST\n"
"       cb-manifest metrics --command CMD --status N --started TIME\n"
"                   [--backup NAME] [--previous FILE] [-o FILE]\n"
"       cb-manifest schema [--keyspaces KS,...] [--table T] [-o FILE]\n"
"                   <NODE-MANIFEST\n"
"       cb-manifest -h | -V\n");
}

enum {
	O_BACKUP = 256, O_RUN, O_HOST, O_KIND, O_TOPO, O_SCHEMA, O_PREV,
	O_KS, O_TABLE, O_FIELDS, O_BASE, O_HOSTS, O_EXSYS, O_LISTING, O_JSON,
	O_ALT, O_NEWSNAP, O_WARN, O_REF, O_RESULTS, O_OBJECTS, O_REUSED,
	O_HOSTID, O_PREFIXES, O_CATALOG, O_FULL, O_NAMED, O_MANIFEST, O_PREFIX, O_SINCE, O_KEEP, O_OLDER, O_NAME, O_GRACE,
	O_AGES, O_MODE, O_DRYRUN, O_EXTABLES, O_STARTED, O_COMMAND, O_STATUS
};

static const struct option longopts[] = {
	{ "null",	no_argument,	   NULL, '0' },
	{ "backup",	required_argument, NULL, O_BACKUP },
	{ "run",	required_argument, NULL, O_RUN },
	{ "host",	required_argument, NULL, O_HOST },
	{ "kind",	required_argument, NULL, O_KIND },
	{ "topology",	required_argument, NULL, O_TOPO },
	{ "schema",	required_argument, NULL, O_SCHEMA },
	{ "previous",	required_argument, NULL, O_PREV },
	{ "keyspaces",	required_argument, NULL, O_KS },
	{ "table",	required_argument, NULL, O_TABLE },
	{ "input-fields", required_argument, NULL, O_FIELDS },
	{ "base-path",	required_argument, NULL, O_BASE },
	{ "hosts",	required_argument, NULL, O_HOSTS },
	{ "exclude-system", no_argument,   NULL, O_EXSYS },
	{ "exclude-tables", required_argument, NULL, O_EXTABLES },
	{ "started",	required_argument, NULL, O_STARTED },
	{ "command",	required_argument, NULL, O_COMMAND },
	{ "status",	required_argument, NULL, O_STATUS },
	{ "listing",	required_argument, NULL, O_LISTING },
	{ "json",	no_argument,	   NULL, O_JSON },
	{ "alt-name",	required_argument, NULL, O_ALT },
	{ "new-snapshot", no_argument,	   NULL, O_NEWSNAP },
	{ "warnings",	required_argument, NULL, O_WARN },
	{ "reference",	required_argument, NULL, O_REF },
	{ "results",	required_argument, NULL, O_RESULTS },
	{ "objects",	required_argument, NULL, O_OBJECTS },
	{ "reused",	required_argument, NULL, O_REUSED },
	{ "host-id",	required_argument, NULL, O_HOSTID },
	{ "prefixes",	no_argument,	   NULL, O_PREFIXES },
	{ "catalog",	required_argument, NULL, O_CATALOG },
	{ "full",	no_argument,	   NULL, O_FULL },
	{ "named",	no_argument,	   NULL, O_NAMED },
	{ "manifest",	required_argument, NULL, O_MANIFEST },
	{ "prefix",	required_argument, NULL, O_PREFIX },
	{ "since",	required_argument, NULL, O_SINCE },
	{ "keep",	required_argument, NULL, O_KEEP },
	{ "older-than",	required_argument, NULL, O_OLDER },
	{ "name",	required_argument, NULL, O_NAME },
	{ "grace",	required_argument, NULL, O_GRACE },
	{ "ages",	required_argument, NULL, O_AGES },
	{ "mode",	required_argument, NULL, O_MODE },
	{ "dry-run",	no_argument,	   NULL, O_DRYRUN },
	{ "output",	required_argument, NULL, 'o' },
	{ "help",	no_argument,	   NULL, 'h' },
	{ "version",	no_argument,	   NULL, 'V' },
	{ NULL, 0, NULL, 0 }
};

static int
parse(struct mf_opts *o, int argc, char **argv)
{
	uint64_t u;
	int ch;

	while ((ch = getopt_long(argc, argv, "+0ho:V", longopts, NULL)) != -1) {
		switch (ch) {
		case '0': o->nul = 1; break;
		case O_BACKUP: o->backup = optarg; break;
		case O_RUN: o->run = optarg; break;
		case O_HOST: o->host = optarg; break;
		case O_KIND:
			if (strcmp(optarg, "full") != 0 &&
			    strcmp(optarg, "differential") != 0 &&
			    strcmp(optarg, "incremental") != 0) {
				warn0("invalid --kind '%s': expected full, "
				    "differential or incremental", optarg);
				return (EX_USAGE);
			}
			o->kind = optarg;
			break;
		case O_TOPO: o->topology = optarg; break;
		case O_SCHEMA: o->schema = optarg; break;
		case O_PREV: o->previous = optarg; break;
		case O_KS: o->keyspaces = optarg; break;
		case O_TABLE: o->table = optarg; break;
		case O_FIELDS:
			if (num_parse_u64(optarg, 1, 32, &u) != 0) {
				warn0("invalid --input-fields '%s'", optarg);
				return (EX_USAGE);
			}
			o->input_fields = (int)u;
			break;
		case O_BASE: o->base_path = optarg; break;
		case O_HOSTS: o->hosts = optarg; break;
		case O_EXSYS: o->exclude_system = 1; break;
		case O_EXTABLES: o->exclude_tables = optarg; break;
		case O_STARTED: o->started = optarg; break;
		case O_COMMAND: o->command = optarg; break;
		case O_STATUS:
			if (num_parse_u64(optarg, 0, 255, &u) != 0) {
				warn0("invalid --status '%s'", optarg);
				return (EX_USAGE);
			}
			o->status = (int)u;
			break;
		case O_LISTING: o->listing = optarg; break;
		case O_JSON: o->json = 1; break;
		case O_ALT: o->alt_name = optarg; break;
		case O_NEWSNAP: o->new_snapshot = 1; break;
		case O_WARN: o->warnings = optarg; break;
		case O_REF: o->reference = optarg; break;
		case O_RESULTS: o->results = optarg; break;
		case O_OBJECTS: o->listing_file = optarg; break;
		case O_REUSED: o->reused_out = optarg; break;
		case O_HOSTID: o->host_id = optarg; break;
		case O_PREFIXES: o->prefixes = 1; break;
		case O_CATALOG: o->catalog = optarg; break;
		case O_FULL: o->full = 1; break;
		case O_NAMED: o->named = 1; break;
		case O_MANIFEST: o->manifest = optarg; break;
		case O_PREFIX: o->prefix = optarg; break;
		case O_SINCE: o->since = optarg; break;
		case O_KEEP:
		case O_OLDER:
		case O_GRACE: {
			int64_t v;

			if (num_parse_i64(optarg, ch == O_GRACE ? 0 : 1,
			    1000000, &v) != 0) {
				warn0("invalid --%s '%s'", ch == O_KEEP ? "keep" :
				    ch == O_OLDER ? "older-than" : "grace", optarg);
				return (EX_USAGE);
			}
			*(ch == O_KEEP ? &o->keep : ch == O_OLDER ?
			    &o->older_days : &o->grace_hours) = (int)v;
			break;
		}
		case O_NAME: o->name = optarg; break;
		case O_AGES: o->ages = optarg; break;
		case O_MODE: o->mode = optarg; break;
		case O_DRYRUN: o->dry_run = 1; break;
		case 'o': o->output = optarg; break;
		case 'h': usage(stdout); return (-1);
		case 'V': printf("cb-manifest %s\n", CB_VERSION); return (-1);
		default: usage(stderr); return (EX_USAGE);
		}
	}
	return (0);
}

static int
need(const char *v, const char *opt)
{

	if (v != NULL && *v != '\0')
		return (0);
	warn0("%s is required", opt);
	usage(stderr);
	return (-1);
}

int
main(int argc, char **argv)
{
	struct mf_opts o;
	const char *cmd, *what;
	int rc;

	warnp_init(argv[0]);
	memset(&o, 0, sizeof(o));
	o.kind = "full";
	o.input_fields = 4;
	o.grace_hours = 24;
	if (argc >= 2 && argv[1][0] != '-') {
		cmd = argv[1];
		argc--;
		argv++;
	} else
		cmd = NULL;
	/* cb-manifest report verify|purge|restore [options] */
	what = NULL;
	if (cmd != NULL && strcmp(cmd, "report") == 0 && argc >= 2 &&
	    argv[1][0] != '-') {
		what = argv[1];
		argc--;
		argv++;
	}
	if ((rc = parse(&o, argc, argv)) != 0)
		return (rc < 0 ? 0 : rc);
	if (cmd != NULL && strcmp(cmd, "refs") == 0)
		return (mf_refs(&o, argc - optind, argv + optind));
	if (cmd != NULL && strcmp(cmd, "report") == 0) {
		if (what == NULL || optind != argc || (strcmp(what, "verify") &&
		    strcmp(what, "purge") && strcmp(what, "restore"))) {
			warn0("usage: cb-manifest report verify|purge|restore "
			    "[options]");
			return (EX_USAGE);
		}
		if (strcmp(what, "purge") != 0 &&
		    (need(o.backup, "--backup") || need(o.mode, "--mode")))
			return (EX_USAGE);
		return (mf_report(&o, what));
	}
	if (cmd == NULL || optind != argc) {
		warn0(cmd == NULL ? "no subcommand given" : "too many arguments");
		usage(stderr);
		return (EX_USAGE);
	}
	o.now = time(NULL);
	if (strcmp(cmd, "node") == 0) {
		if (need(o.backup, "--backup") || need(o.run, "--run") ||
		    need(o.host, "--host"))
			return (EX_USAGE);
		return (mf_node(&o));
	}
	if (strcmp(cmd, "merge") == 0) {
		if (need(o.backup, "--backup") || need(o.run, "--run") ||
		    need(o.base_path, "--base-path") || need(o.hosts, "--hosts"))
			return (EX_USAGE);
		return (mf_merge(&o));
	}
	if (strcmp(cmd, "reuse") == 0) {
		if (o.prefixes ? need(o.base_path, "--base-path") :
		    need(o.reused_out, "--reused"))
			return (EX_USAGE);
		return (mf_reuse(&o));
	}
	if (strcmp(cmd, "verify") == 0) {
		if (need(o.listing_file, "--objects"))
			return (EX_USAGE);
		return (mf_verify(&o));
	}
	if (strcmp(cmd, "purge-plan") == 0) {
		if ((o.keep > 0) + (o.older_days > 0) + (o.name != NULL) != 1) {
			warn0("purge-plan needs one of --keep, --older-than and "
			    "--name");
			return (EX_USAGE);
		}
		return (mf_purge_plan(&o));
	}
	if (strcmp(cmd, "orphans") == 0) {
		if (need(o.listing_file, "--objects") ||
		    need(o.manifest, "--manifest") || need(o.prefix, "--prefix"))
			return (EX_USAGE);
		return (mf_orphans(&o));
	}
	if (strcmp(cmd, "restore") == 0)
		return (mf_restore(&o));
	if (strcmp(cmd, "info") == 0)
		return (mf_info(&o));
	if (strcmp(cmd, "topology") == 0)
		return (mf_topology(&o));
	if (strcmp(cmd, "metrics") == 0) {
		if (need(o.command, "--command") || need(o.started, "--started"))
			return (EX_USAGE);
		return (mf_metrics(&o));
	}
	if (strcmp(cmd, "schema") == 0)
		return (mf_schema(&o));
	if (strcmp(cmd, "summary") == 0)
		return (mf_summary(&o));
	if (strcmp(cmd, "plan") == 0) {
		if (need(o.backup, "--backup") ||
		    need(o.alt_name, "--alt-name") || need(o.hosts, "--hosts") ||
		    need(o.base_path, "--base-path") || need(o.run, "--run"))
			return (EX_USAGE);
		return (mf_plan(&o));
	}
	if (strcmp(cmd, "keys") == 0) {
		if (need(o.base_path, "--base-path"))
			return (EX_USAGE);
		return (mf_keys(&o));
	}
	if (strcmp(cmd, "list") == 0)
		return (mf_list(&o));
	if (strcmp(cmd, "latest") == 0) {
		if (need(o.hosts, "--hosts"))
			return (EX_USAGE);
		return (mf_latest(&o));
	}
	warn0("unknown subcommand '%s'", cmd);
	usage(stderr);
	return (EX_USAGE);
}
