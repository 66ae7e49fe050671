#!/bin/sh
# cassandra-backups: back up Cassandra clusters to S3, list and restore the
# backups (see cassandra-backups(1)).  POSIX sh; composes cb-snapshot,
# cb-list, cb-s3put, cb-s3get and cb-manifest on every node over cb-fanout.
#
# Each node runs one script given on its standard input (`sh -s`), which
# also carries the AWS credentials and the cqlsh password: secrets never
# appear in any argv, here or on the nodes.

VERSION=@VERSION@
PROG=cassandra-backups

# Where our programs are: beside this script, unless told otherwise.  The
# nodes run the programs from --cb-bin-dir (default: the same path).
case $0 in
*/*) SELF_DIR=$(cd "${0%/*}" && pwd) ;;
*) SELF_DIR=$(dirname "$(command -v "$0")") ;;
esac
PATH=$SELF_DIR:$PATH

EX_USAGE=64

warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { warn "$2"; exit "$1"; }
verbose() { [ "$VERBOSE" -gt 0 ] && printf '%s: %s\n' "$PROG" "$*" >&2; return 0; }

# q STRING: STRING quoted for sh.
q() {
	printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

usage_global() {
	cat <<'EOF'
usage: cassandra-backups [-v] --s3-bucket-name BUCKET --s3-base-path PATH
                         [--s3-bucket-region REGION] [--s3-endpoint URL]
                         [--s3-addressing-style auto|virtual|path]
                         [--s3-ca-bundle FILE] [--s3-connect-to HOST:PORT]
                         [--s3-ssenc] [--profile NAME]
                         [--aws-access-key-id ID --aws-secret-access-key KEY]
                         backup|list|restore [OPTIONS]
       cassandra-backups COMMAND --help
       cassandra-backups -h | -V
EOF
}

usage_backup() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] backup --hosts HOST[,HOST...]
           [--keyspaces KS,...] [--table T] [--exclude-tables T,...]
           [--new-snapshot] [--backup-schema] [--cqlsh-user USER]
           [--cqlsh-password PASSWORD] [--cassandra-conf-path DIR]
           [--cassandra-tools-bin-dir DIR] [--user USER] [--sshport PORT]
           [--sshkey FILE] [--ssh-config FILE] [--use-sudo[=BOOL]]
           [--sudo-user USER] [--use-local[=BOOL]] [--connection-pool-size N]
           [--concurrency N] [--reduced-redundancy[=BOOL]]
           [--storage-class CLASS] [--rate-limit KIB_PER_S] [--nice N]
           [--buffer-size SIZE] [--timeout SECONDS] [--cb-bin-dir DIR]
EOF
}

usage_restore() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] restore (--host HOST | --hosts HOST,...)
           [--snapshot-name LATEST|NAME] [--keyspace KS | --keyspaces KS,...]
           [--table T,...] [--restore-dir DIR] [--user USER] [--sshport PORT]
           [--sshkey FILE] [--ssh-config FILE] [--use-sudo[=BOOL]]
           [--sudo-user USER] [--use-local[=BOOL]] [--connection-pool-size N]
           [--concurrency N] [--cassandra-tools-bin-dir DIR] [--cb-bin-dir DIR]
EOF
}

usage_list() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] list [--json]
EOF
}

usage_all() {
	usage_global
	usage_backup | sed 1s/^usage:/'      '/
	usage_restore | sed 1s/^usage:/'      '/
	usage_list | sed 1s/^usage:/'      '/
}

# bool VALUE OPTION: the seed's strtobool strings.
bool() {
	case $(printf '%s' "$1" | tr 'A-Z' 'a-z') in
	y|yes|t|true|on|1) echo 1 ;;
	n|no|f|false|off|0) echo 0 ;;
	*) warn "invalid value '$1' for $2: expected true or false"; exit $EX_USAGE ;;
	esac
}

# ---- global options ----------------------------------------------------

VERBOSE=0
BUCKET= BASE= REGION= ENDPOINT= SSE= PROFILE= ADDRESSING= CA_BUNDLE= CONNECT_TO=
OPT_KEY_ID= OPT_SECRET=

# Set by opt_value: the option's value, and how many words it took.
OPTV= OPTN=
# opt_value NAME "$@": for --NAME=V or --NAME V.
opt_value() {
	case $2 in
	--*=*) OPTV=${2#*=}; OPTN=1 ;;
	*)
		[ $# -ge 3 ] || { warn "option --$1 needs a value"; exit $EX_USAGE; }
		OPTV=$3; OPTN=2 ;;
	esac
}
# opt_bool "$@": for --NAME (true), --NAME=BOOL.
opt_bool() {
	case $1 in
	--*=*) OPTV=$(bool "${1#*=}" "${1%%=*}") || exit $EX_USAGE ;;
	*) OPTV=1 ;;
	esac
	OPTN=1
}

parse_global() {
	while [ $# -gt 0 ]; do
		case $1 in
		-v|--verbose) VERBOSE=$((VERBOSE + 1)); shift; continue ;;
		-h|--help) usage_all; exit 0 ;;
		-V|--version) echo "cassandra-backups $VERSION"; exit 0 ;;
		--s3-bucket-name|--s3-bucket-name=*) opt_value s3-bucket-name "$@"; BUCKET=$OPTV ;;
		--s3-base-path|--s3-base-path=*) opt_value s3-base-path "$@"; BASE=$OPTV ;;
		--s3-bucket-region|--s3-bucket-region=*) opt_value s3-bucket-region "$@"; REGION=$OPTV ;;
		--s3-endpoint|--s3-endpoint=*) opt_value s3-endpoint "$@"; ENDPOINT=$OPTV ;;
		--s3-addressing-style|--s3-addressing-style=*) opt_value s3-addressing-style "$@"; ADDRESSING=$OPTV
			case $ADDRESSING in auto|virtual|path) ;;
			*) die $EX_USAGE "invalid --s3-addressing-style '$ADDRESSING': expected auto, virtual or path" ;;
			esac ;;
		--s3-ca-bundle|--s3-ca-bundle=*) opt_value s3-ca-bundle "$@"; CA_BUNDLE=$OPTV
			case $CA_BUNDLE in /*) ;; *) die $EX_USAGE "--s3-ca-bundle must be an absolute path (it is read on every node)" ;; esac ;;
		--s3-connect-to|--s3-connect-to=*) opt_value s3-connect-to "$@"; CONNECT_TO=$OPTV ;;
		--s3-ssenc|--s3-ssenc=*) opt_bool "$@"; [ "$OPTV" = 1 ] && SSE=AES256 ;;
		--profile|--profile=*) opt_value profile "$@"; PROFILE=$OPTV ;;
		--aws-access-key-id|--aws-access-key-id=*) opt_value aws-access-key-id "$@"; OPT_KEY_ID=$OPTV ;;
		--aws-secret-access-key|--aws-secret-access-key=*) opt_value aws-secret-access-key "$@"; OPT_SECRET=$OPTV ;;
		backup|list|restore) CMD=$1; shift; REST_ARGS=$#; return 0 ;;
		-*) warn "unknown option '$1'"; usage_global >&2; exit $EX_USAGE ;;
		*) warn "unknown command '$1'"; usage_global >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	warn "no command given"
	usage_global >&2
	exit $EX_USAGE
}

# ---- options shared by backup and restore ------------------------------

HOSTS= USER_= SSHPORT= SSHKEY= SSHCONFIG= USE_SUDO=0 SUDO_USER_= USE_LOCAL=0
POOL=12 CONCURRENCY= TOOLS_BIN= CONF_PATH= CB_BIN_DIR= NICE=0 TIMEOUT=

# common_opt "$@": 0 if it took the option (OPTN words), 1 if not ours.
common_opt() {
	case $1 in
	--hosts|--hosts=*|--host|--host=*) opt_value hosts "$@"; HOSTS=$OPTV ;;
	--user|--user=*) opt_value user "$@"; USER_=$OPTV ;;
	--sshport|--sshport=*) opt_value sshport "$@"; SSHPORT=$OPTV ;;
	--sshkey|--sshkey=*) opt_value sshkey "$@"; SSHKEY=$OPTV ;;
	--ssh-config|--ssh-config=*) opt_value ssh-config "$@"; SSHCONFIG=$OPTV ;;
	--use-sudo|--use-sudo=*) opt_bool "$@"; USE_SUDO=$OPTV ;;
	--sudo-user|--sudo-user=*) opt_value sudo-user "$@"; SUDO_USER_=$OPTV ;;
	--use-local|--use-local=*) opt_bool "$@"; USE_LOCAL=$OPTV ;;
	--connection-pool-size|--connection-pool-size=*)
		opt_value connection-pool-size "$@"; POOL=$OPTV ;;
	--concurrency|--concurrency=*) opt_value concurrency "$@"; CONCURRENCY=$OPTV ;;
	--cassandra-tools-bin-dir|--cassandra-tools-bin-dir=*)
		opt_value cassandra-tools-bin-dir "$@"; TOOLS_BIN=$OPTV ;;
	--cassandra-conf-path|--cassandra-conf-path=*)
		opt_value cassandra-conf-path "$@"; CONF_PATH=$OPTV ;;
	--cb-bin-dir|--cb-bin-dir=*) opt_value cb-bin-dir "$@"; CB_BIN_DIR=$OPTV ;;
	--nice|--nice=*) opt_value nice "$@"; NICE=$OPTV ;;
	--timeout|--timeout=*) opt_value timeout "$@"; TIMEOUT=$OPTV ;;
	*) return 1 ;;
	esac
	return 0
}

is_uint() { case $1 in ''|*[!0-9]*) return 1 ;; esac; return 0; }

check_common() {
	[ -n "$HOSTS" ] || die $EX_USAGE "--hosts is required"
	is_uint "$POOL" && [ "$POOL" -ge 1 ] ||
	    die $EX_USAGE "invalid --connection-pool-size '$POOL'"
	[ -z "$SSHPORT" ] || is_uint "$SSHPORT" ||
	    die $EX_USAGE "invalid --sshport '$SSHPORT'"
	[ -z "$CONCURRENCY" ] || is_uint "$CONCURRENCY" ||
	    die $EX_USAGE "invalid --concurrency '$CONCURRENCY'"
	case $NICE in -[0-9]*|[0-9]*) ;; *) die $EX_USAGE "invalid --nice '$NICE'" ;; esac
	[ -z "$TIMEOUT" ] || is_uint "$TIMEOUT" ||
	    die $EX_USAGE "invalid --timeout '$TIMEOUT'"
	HOSTS=$(printf '%s' "$HOSTS" | tr -s ', ' ',,' | sed 's/^,//; s/,$//')
	case ",$HOSTS," in
	*,,*|,,) die $EX_USAGE "--hosts is empty" ;;
	esac
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		case $h in
		-*|.*|*[!A-Za-z0-9._:@%+\[\]-]*)
			die $EX_USAGE "invalid host name '$h'" ;;
		esac
	done
	[ -n "$CB_BIN_DIR" ] || CB_BIN_DIR=$SELF_DIR
}

check_global() {
	[ -n "$BUCKET" ] || die $EX_USAGE "--s3-bucket-name is required"
	[ -n "${BASE+x}" ] && [ -n "$BASE" ] || die $EX_USAGE "--s3-base-path is required"
	# Runs of '/' are one, and no leading or trailing '/' (seed keys).
	BASE=$(printf '%s' "$BASE" | tr -s '/' | sed 's|^/||; s|/$||')
	[ -n "$BASE" ] || die $EX_USAGE "invalid --s3-base-path"
	if [ -n "$OPT_KEY_ID" ] || [ -n "$OPT_SECRET" ]; then
		[ -n "$OPT_KEY_ID" ] && [ -n "$OPT_SECRET" ] || die $EX_USAGE \
		    "--aws-access-key-id and --aws-secret-access-key go together"
		AWS_ACCESS_KEY_ID=$OPT_KEY_ID
		AWS_SECRET_ACCESS_KEY=$OPT_SECRET
		export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	fi
}

# ---- running things ----------------------------------------------------

TMP=
cleanup() {
	[ -n "$TMP" ] && rm -rf "$TMP"
	TMP=
}
on_signal() {
	trap - EXIT INT TERM HUP
	[ -n "${FANOUT_PID:-}" ] && kill -TERM "$FANOUT_PID" 2>/dev/null &&
	    wait "$FANOUT_PID" 2>/dev/null
	cleanup
	exit "$1"
}
setup_tmp() {
	TMP=$(mktemp -d "${TMPDIR:-/tmp}/cassandra-backups.XXXXXX") ||
	    die 1 "cannot create a temporary directory"
	trap cleanup EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
}

# Options every cb-s3* program gets, locally and on the nodes.
s3_opts() {
	[ -n "$ENDPOINT" ] && printf ' --endpoint %s' "$(q "$ENDPOINT")"
	[ -n "$REGION" ] && printf ' --region %s' "$(q "$REGION")"
	[ -n "$ADDRESSING" ] && printf ' --addressing-style %s' "$ADDRESSING"
	[ -n "$CA_BUNDLE" ] && printf ' --ca-bundle %s' "$(q "$CA_BUNDLE")"
	[ -n "$CONNECT_TO" ] && printf ' --connect-to %s' "$(q "$CONNECT_TO")"
	[ -n "$PROFILE" ] && printf ' --profile %s' "$(q "$PROFILE")"
	[ "$VERBOSE" -gt 1 ] && printf ' -v'
	return 0
}

# Local S3 calls: the environment carries the credentials.
s3get() { eval "cb-s3get $(s3_opts) -q \"\$@\""; }
s3put() { eval "cb-s3put $(s3_opts) -q \"\$@\""; }

# Secrets and the script, as the nodes read them on stdin: assignments
# first (never echoed), then the script.
node_input() { # node_input SCRIPTFILE
	for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN; do
		eval "val=\${$v:-}"
		[ -n "$val" ] && printf '%s=%s; export %s\n' "$v" "$(q "$val")" "$v"
	done
	[ -n "${CQLSH_PASSWORD_:-}" ] &&
	    printf 'CB_CQLSH_PASSWORD=%s\n' "$(q "$CQLSH_PASSWORD_")"
	cat "$1"
}

# fanout SCRIPTFILE OUTDIR: run the script on every host.
fanout() {
	set -- "$1" "$2"
	fo="exec cb-fanout -s -q -j $POOL -d $(q "$2")"
	[ -n "$TIMEOUT" ] && fo="$fo -t $TIMEOUT"
	if [ "$USE_LOCAL" = 1 ]; then
		fo="$fo --local"
	else
		[ -n "$USER_" ] && fo="$fo -l $(q "$USER_")"
		[ -n "$SSHPORT" ] && fo="$fo -p $(q "$SSHPORT")"
		[ -n "$SSHKEY" ] && fo="$fo -i $(q "$SSHKEY")"
		[ -n "$SSHCONFIG" ] && fo="$fo -F $(q "$SSHCONFIG")"
	fi
	sudo=
	if [ "$USE_SUDO" = 1 ] || [ -n "$SUDO_USER_" ]; then
		sudo="sudo -n"
		[ -n "$SUDO_USER_" ] && sudo="$sudo -u $(q "$SUDO_USER_")"
	fi
	fo="$fo -H $(q "$HOSTS") -- $sudo sh -s -- {host}"
	verbose "running on $HOSTS: $fo"
	node_input "$1" | eval "$fo" &
	FANOUT_PID=$!
	wait "$FANOUT_PID"
	rc=$?
	FANOUT_PID=
	return $rc
}

# Shell assignments that start every node script.
script_header() {
	cat <<EOF
main() {
CB_HOST=\$1
PATH=$(q "$CB_BIN_DIR"):\$PATH; export PATH
BUCKET=$(q "$BUCKET")
S3OPTS="$(s3_opts | sed 's/["$\\`]/\\&/g')"
EOF
	[ -n "$CONF_PATH" ] && echo "CONF=\"--cassandra-conf-path $(q "$CONF_PATH")\"" ||
	    echo 'CONF='
	[ -n "$TOOLS_BIN" ] &&
	    echo "TOOLS=\"--cassandra-tools-bin-dir $(q "$TOOLS_BIN")\"" ||
	    echo 'TOOLS='
	if [ "$NICE" != 0 ]; then
		echo "NICE=\"nice -n $NICE\""
	else
		echo 'NICE='
	fi
	cat <<'EOF'
fail() { echo "$CB_HOST: $*" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cb-node.XXXXXX") || fail "cannot create a temporary directory"
EOF
}

script_footer() {
	cat <<'EOF'
}
main "$@" </dev/null
EOF
}

# ---- list ----------------------------------------------------------------

# The names of the backups under the base path, newest first.
backup_names() { # backup_names LISTING
	awk -F'\t' -v base="$BASE/" '
	    index($4, base) == 1 {
		rest = substr($4, length(base) + 1)
		sub(/^\/+/, "", rest)
		n = split(rest, p, "/+")
		if (n >= 2 && p[1] != "") print p[1]
	    }' "$1" | sort -u -r
}

cmd_list() {
	json=0
	while [ $# -gt 0 ]; do
		case $1 in
		--json) json=1 ;;
		-h|--help) usage_list; exit 0 ;;
		*) warn "unknown list option '$1'"; usage_list >&2; exit $EX_USAGE ;;
		esac
		shift
	done
	setup_tmp
	s3get --ls "s3://$BUCKET/$BASE/" >"$TMP/ls" ||
	    die $? "cannot list 's3://$BUCKET/$BASE/'"
	backup_names "$TMP/ls" >"$TMP/names"
	[ "$json" = 1 ] && printf '['
	first=1 rc=0
	while IFS= read -r name; do
		mkey=$(awk -F'\t' -v b="$BASE/" -v n="$name" '
		    { k = $4; if (index(k, b) != 1) next
		      r = substr(k, length(b) + 1); sub(/^\/+/, "", r)
		      split(r, p, "/+"); if (p[1] == n && p[2] == "manifest.json" &&
		      r !~ ("/.+/")) { print k; exit } }' "$TMP/ls")
		if [ -n "$mkey" ] && s3get "s3://$BUCKET/$mkey" "$TMP/m.json" &&
		    if [ "$json" = 1 ]; then
			cb-manifest summary --json <"$TMP/m.json" >"$TMP/s"
		    else
			cb-manifest summary <"$TMP/m.json" >"$TMP/s"
		    fi; then
			:
		elif [ -n "$mkey" ]; then
			warn "cannot read the manifest of backup '$name'"
			rc=1
			continue
		elif [ "$json" = 1 ]; then
			printf '{"name": "%s", "format": null, "complete": false, "note": "no manifest.json: the run did not finish"}\n' "$name" >"$TMP/s"
		else
			printf '%s  INCOMPLETE  no manifest.json: the run did not finish\n' "$name" >"$TMP/s"
		fi
		if [ "$json" = 1 ]; then
			[ "$first" = 1 ] || printf ','
			printf '\n  '
			tr -d '\n' <"$TMP/s"
		else
			cat "$TMP/s"
		fi
		first=0
	done <"$TMP/names"
	[ "$json" = 1 ] && printf '\n]\n'
	return $rc
}

# ---- backup --------------------------------------------------------------

KEYSPACES= TABLE= EXCLUDE= NEW_SNAPSHOT=0 CQLSH_USER= CQLSH_PASSWORD_=
STORAGE_CLASS= RATE_LIMIT= PART_SIZE=

parse_backup() {
	while [ $# -gt 0 ]; do
		if common_opt "$@"; then shift "$OPTN"; continue; fi
		case $1 in
		-h|--help) usage_backup; exit 0 ;;
		--keyspaces|--keyspaces=*) opt_value keyspaces "$@"; KEYSPACES=$OPTV ;;
		--table|--table=*) opt_value table "$@"; TABLE=$OPTV ;;
		--exclude-tables|--exclude-tables=*) opt_value exclude-tables "$@"; EXCLUDE=$OPTV ;;
		--new-snapshot|--new-snapshot=*) opt_bool "$@"; NEW_SNAPSHOT=$OPTV ;;
		--backup-schema|--backup-schema=*) opt_bool "$@" ;;
		--cqlsh-user|--cqlsh-user=*) opt_value cqlsh-user "$@"; CQLSH_USER=$OPTV ;;
		--cqlsh-password|--cqlsh-password=*) opt_value cqlsh-password "$@"; CQLSH_PASSWORD_=$OPTV ;;
		--reduced-redundancy|--reduced-redundancy=*)
			opt_bool "$@"; [ "$OPTV" = 1 ] && STORAGE_CLASS=REDUCED_REDUNDANCY ;;
		--storage-class|--storage-class=*) opt_value storage-class "$@"; STORAGE_CLASS=$OPTV ;;
		--rate-limit|--rate-limit=*) opt_value rate-limit "$@"; RATE_LIMIT=$OPTV ;;
		--buffer-size|--buffer-size=*) opt_value buffer-size "$@"; PART_SIZE=$OPTV ;;
		--quiet) OPTN=1 ;;
		*) warn "unknown backup option '$1'"; usage_backup >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	check_common
	[ -z "$TABLE" ] || [ -n "$KEYSPACES" ] ||
	    die $EX_USAGE "--table needs --keyspaces"
	[ -z "$RATE_LIMIT" ] || { is_uint "$RATE_LIMIT" && [ "$RATE_LIMIT" -ge 0 ]; } ||
	    die $EX_USAGE "invalid --rate-limit '$RATE_LIMIT': expected KiB per second"
	[ "${RATE_LIMIT:-0}" = 0 ] && RATE_LIMIT=
}

# Options for cb-list and cb-snapshot selecting keyspaces and tables.
select_opts() {
	[ -n "$KEYSPACES" ] && printf ' --keyspaces %s' "$(q "$KEYSPACES")"
	[ -n "$TABLE" ] && printf ' --table %s' "$(q "$TABLE")"
	return 0
}

# The node script of a backup run.  Per host: full or incremental (with
# the key of its previous node manifest).
backup_script() { # backup_script MODES_FILE
	script_header
	cat <<EOF
NAME=$(q "$NAME"); RUN=$(q "$RUN"); PREFIX=$(q "$BASE/$NAME")
SEL="$(select_opts | sed 's/["$\\`]/\\&/g')"
EXCL="$([ -n "$EXCLUDE" ] && printf ' --exclude-tables %s' "$(q "$EXCLUDE")" | sed 's/["$\\`]/\\&/g')"
PUTOPTS="$(put_opts | sed 's/["$\\`]/\\&/g')"
CQLUSER="$([ -n "$CQLSH_USER" ] && printf ' --cqlsh-user %s' "$(q "$CQLSH_USER")" | sed 's/["$\\`]/\\&/g')"
MODE=full PREV=
case \$CB_HOST in
EOF
	while IFS='	' read -r h mode prev; do
		[ "$mode" = incremental ] &&
		    printf '%s) MODE=incremental PREV=%s ;;\n' "$(q "$h")" "$(q "$prev")"
	done <"$1"
	cat <<'EOF'
esac
TAG=cb-$RUN
cleared=0
clear_snapshot() {
	[ "$MODE" = full ] && [ "$cleared" = 0 ] || return 0
	cleared=1
	# Not through stderr: if the driver is gone, writing there kills us.
	eval "cb-snapshot -q $TOOLS $CONF clear -t \"\$TAG\"" \
	    >/dev/null 2>"$tmp/clear.err" || {
		cat "$tmp/clear.err" >&2
		echo "$CB_HOST: cannot clear snapshot '$TAG'" >&2
	}
}
trap 'clear_snapshot; rm -rf "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 141' PIPE
if [ -n "${CB_CQLSH_PASSWORD:-}" ]; then
	(umask 077; printf '%s\n' "$CB_CQLSH_PASSWORD" >"$tmp/cqlpw")
	CQLUSER="$CQLUSER --cqlsh-password-file $tmp/cqlpw"
fi
if [ "$MODE" = full ]; then
	eval "cb-snapshot $TOOLS $CONF create -t \"\$TAG\" $SEL" >&2 ||
	    fail "cannot create snapshot '$TAG'"
	eval "cb-list -0 $CONF --snapshot \"\$TAG\" $SEL $EXCL" >"$tmp/files" ||
	    fail "cannot list the files of snapshot '$TAG'"
else
	eval "cb-s3get $S3OPTS -q \"s3://\$BUCKET/\$PREV\" \"\$tmp/prev.json\"" ||
	    fail "cannot fetch the previous node manifest '$PREV'"
	eval "cb-snapshot $TOOLS $CONF flush $SEL" >&2 ||
	    fail "cannot flush"
	eval "cb-list -0 $CONF --backups $SEL $EXCL" >"$tmp/files" ||
	    fail "cannot list the incremental backups"
fi
eval "$NICE cb-s3put -0 --list --pack $S3OPTS $PUTOPTS \
    --key-prefix \"\$PREFIX/\$CB_HOST\" --key-suffix .lzo \"s3://\$BUCKET\"" \
    <"$tmp/files" >"$tmp/results"
putrc=$?
eval "cb-snapshot -q $TOOLS $CONF topology" >"$tmp/topology" 2>"$tmp/topology.err" ||
    echo "$CB_HOST: topology not captured: $(tail -1 "$tmp/topology.err")" >&2
if [ "$MODE" = full ]; then
	eval "cb-snapshot -q $TOOLS $CONF schema -t \"\$TAG\" $CQLUSER" >"$tmp/schema" 2>"$tmp/schema.err" ||
	    echo "$CB_HOST: schema not captured: $(tail -1 "$tmp/schema.err")" >&2
else
	eval "cb-snapshot -q $TOOLS $CONF schema $CQLUSER" >"$tmp/schema" 2>"$tmp/schema.err" ||
	    echo "$CB_HOST: schema not captured: $(tail -1 "$tmp/schema.err")" >&2
fi
set -- --topology "$tmp/topology" --schema "$tmp/schema"
[ -s "$tmp/topology" ] || set --
[ "$MODE" = incremental ] && set -- "$@" --previous "$tmp/prev.json"
cb-manifest node -0 --backup "$NAME" --run "$RUN" --host "$CB_HOST" \
    --kind "$MODE" "$@" <"$tmp/results" >"$tmp/node.json" ||
    fail "backup incomplete (cb-s3put exit $putrc)"
[ "$putrc" = 0 ] || fail "backup incomplete (cb-s3put exit $putrc)"
eval "cb-s3put $S3OPTS -q \"s3://\$BUCKET/\$PREFIX/\$CB_HOST/manifest-\$RUN.json\" \"\$tmp/node.json\"" >/dev/null ||
    fail "cannot upload the node manifest"
if [ "$MODE" = incremental ]; then
	# Cassandra never deletes backups/ files: delete what is safely up
	# and unchanged since (cb-snapshot prune-backups checks both).
	eval "cb-snapshot -q $CONF -0 prune-backups --uploaded \"\$tmp/results\"" >&2 ||
	    echo "$CB_HOST: cannot delete uploaded backups/ files" >&2
fi
clear_snapshot
cat "$tmp/node.json"
EOF
	script_footer
}

put_opts() {
	[ -n "$SSE" ] && printf ' --sse %s' "$SSE"
	[ -n "$STORAGE_CLASS" ] && printf ' --storage-class %s' "$(q "$STORAGE_CLASS")"
	[ -n "$RATE_LIMIT" ] && printf ' --rate-limit %sK' "$RATE_LIMIT"
	[ -n "$CONCURRENCY" ] && printf ' -j %s' "$CONCURRENCY"
	[ -n "$PART_SIZE" ] && printf ' --part-size %s' "$(q "$PART_SIZE")"
	return 0
}

# Decide the name and, per host, full or incremental.  Writes MODES.
plan_backup() {
	day=$(date -u +%Y%m%d)
	RUN=$(date -u +%Y%m%dT%H%M%SZ)
	NAME=$day
	PREV_MANIFEST=
	: >"$TMP/modes"
	if s3get "s3://$BUCKET/$BASE/$day/manifest.json" "$TMP/prev.json" 2>"$TMP/prev.err"; then
		cb-manifest info <"$TMP/prev.json" >"$TMP/prev.info" 2>/dev/null ||
		    : >"$TMP/prev.info"
		same=0
		if grep -qx 'format	cluster 1' "$TMP/prev.info" &&
		    grep -qxF "hosts	$HOSTS" "$TMP/prev.info" &&
		    grep -qxF "keyspaces	$KEYSPACES" "$TMP/prev.info" &&
		    grep -qxF "table	$TABLE" "$TMP/prev.info"; then
			same=1
		fi
		if [ "$NEW_SNAPSHOT" = 1 ] || [ "$same" = 0 ]; then
			# Never overwrite another backup: a name of its own.
			NAME=$day-$(date -u +%H%M%S)
			verbose "backup '$day' exists with other settings: naming this one '$NAME'"
		else
			PREV_MANIFEST=$TMP/prev.json
			awk -F'\t' '$1 == "node" && $4 != "-" && $4 != "" {
			    print $2 "\tincremental\t" $4 }' "$TMP/prev.info" >"$TMP/modes"
		fi
	fi
}

report_hosts() { # report_hosts OUTDIR RECORDS: HOST TAB STATUS TAB KEY TAB FILE-or-WHY
	: >"$2"
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		st=$(cat "$1/$h.status" 2>/dev/null)
		if [ "$st" = 0 ] && [ -s "$1/$h.out" ]; then
			printf '%s\tok\t%s\t%s\n' "$h" "$BASE/$NAME/$h/manifest-$RUN.json" "$1/$h.out" >>"$2"
		else
			why=$(grep -v '^[[:space:]]*$' "$1/$h.err" 2>/dev/null | tail -1 | tr '\t' ' ')
			[ -n "$why" ] || why="exit ${st:-unknown}"
			[ "$st" = 255 ] && why="ssh failed (host down or unreachable): $why"
			printf '%s\tfailed\t-\t%s\n' "$h" "$why" >>"$2"
		fi
	done
}

cmd_backup() {
	parse_backup "$@"
	setup_tmp
	plan_backup
	backup_script "$TMP/modes" >"$TMP/script"
	nfull=$(printf '%s\n' "$HOSTS" | tr ',' '\n' | wc -l)
	ninc=$(wc -l <"$TMP/modes")
	echo "backup '$NAME' run $RUN: $((nfull - ninc)) full, $ninc incremental, hosts $HOSTS" >&2
	fanout "$TMP/script" "$TMP/out"
	frc=$?
	report_hosts "$TMP/out" "$TMP/hosts"
	set -- --backup "$NAME" --base-path "$BASE" --run "$RUN" --hosts "$HOSTS"
	[ "$ninc" -gt 0 ] && set -- "$@" --kind incremental
	[ -n "$KEYSPACES" ] && set -- "$@" --keyspaces "$KEYSPACES"
	[ -n "$TABLE" ] && set -- "$@" --table "$TABLE"
	[ -n "$PREV_MANIFEST" ] && set -- "$@" --previous "$PREV_MANIFEST"
	if ! grep -q '	ok	' "$TMP/hosts" && [ -z "$PREV_MANIFEST" ]; then
		warn "backup '$NAME' failed on every host; no manifest written"
		sed 's/^\([^\t]*\)\tfailed\t-\t/  \1: /' "$TMP/hosts" >&2
		return 1
	fi
	cb-manifest merge "$@" <"$TMP/hosts" >"$TMP/manifest.json" ||
	    die 1 "cannot build the cluster manifest"
	# Written last: its presence marks the backup (complete or not).
	s3put "s3://$BUCKET/$BASE/$NAME/manifest.json" "$TMP/manifest.json" >/dev/null ||
	    die $? "cannot upload 's3://$BUCKET/$BASE/$NAME/manifest.json'"
	cb-manifest summary <"$TMP/manifest.json"
	if grep -q '	failed	' "$TMP/hosts"; then
		warn "backup '$NAME' is INCOMPLETE; run the same command again to complete it"
		grep '	failed	' "$TMP/hosts" | awk -F'\t' '{ print "  " $1 ": " $4 }' >&2
		return 1
	fi
	return 0
}

# ---- restore -------------------------------------------------------------

SNAPSHOT=LATEST RESTORE_DIR=/tmp/cassandra_restore RKEYSPACES= RTABLE=

parse_restore() {
	while [ $# -gt 0 ]; do
		if common_opt "$@"; then shift "$OPTN"; continue; fi
		case $1 in
		-h|--help) usage_restore; exit 0 ;;
		--snapshot-name|--snapshot-name=*) opt_value snapshot-name "$@"; SNAPSHOT=$OPTV ;;
		--keyspace|--keyspace=*|--keyspaces|--keyspaces=*)
			opt_value keyspaces "$@"; RKEYSPACES=$OPTV ;;
		--table|--table=*) opt_value table "$@"; RTABLE=$OPTV ;;
		--restore-dir|--restore-dir=*) opt_value restore-dir "$@"; RESTORE_DIR=$OPTV ;;
		*) warn "unknown restore option '$1'"; usage_restore >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	check_common
	case $RESTORE_DIR in
	/*) ;;
	*) die $EX_USAGE "--restore-dir must be an absolute path" ;;
	esac
	case $RESTORE_DIR in
	/|/var/lib/cassandra|/var/lib/cassandra/data|/var/lib/cassandra/data/*|/etc|/etc/*)
		die $EX_USAGE "refusing --restore-dir '$RESTORE_DIR': restore into a directory of its own" ;;
	esac
	[ "$RKEYSPACES" = all ] && RKEYSPACES=
	return 0
}

resolve_name() {
	[ "$SNAPSHOT" != LATEST ] && return 0
	s3get --ls "s3://$BUCKET/$BASE/" >"$TMP/ls" ||
	    die $? "cannot list 's3://$BUCKET/$BASE/'"
	SNAPSHOT=$(awk -F'\t' -v b="$BASE/" '
	    { k = $4; if (index(k, b) != 1) next
	      r = substr(k, length(b) + 1); sub(/^\/+/, "", r)
	      n = split(r, p, "/+"); if (n == 2 && p[2] == "manifest.json") print p[1] }' \
	    "$TMP/ls" | sort -r | head -1)
	[ -n "$SNAPSHOT" ] || die 1 "no backup under 's3://$BUCKET/$BASE/'"
	echo "restoring backup '$SNAPSHOT' (LATEST)" >&2
}

restore_script() { # restore_script INFO_FILE
	script_header
	cat <<EOF
NAME=$(q "$SNAPSHOT"); PREFIX=$(q "$BASE/$SNAPSHOT"); DIR=$(q "$RESTORE_DIR")
SEL="$( { [ -n "$RKEYSPACES" ] && printf ' --keyspaces %s' "$(q "$RKEYSPACES")"
	[ -n "$RKEYSPACES" ] || printf ' --exclude-system'
	[ -n "$RTABLE" ] && printf ' --table %s' "$(q "$RTABLE")"; } | sed 's/["$\\`]/\\&/g')"
GETOPTS=" -j ${CONCURRENCY:-10}"
KEY=
case \$CB_HOST in
EOF
	awk -F'\t' '$1 == "node" && $4 != "-" { print $2 "\t" $4 }' "$1" |
	while IFS='	' read -r h key; do
		printf '%s) KEY=%s ;;\n' "$(q "$h")" "$(q "$key")"
	done
	cat <<'EOF'
esac
trap 'rm -rf "$tmp"' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 141' PIPE
if [ -n "$KEY" ]; then
	eval "cb-s3get $S3OPTS -q \"s3://\$BUCKET/\$KEY\" \"\$tmp/node.json\"" ||
	    fail "cannot fetch the node manifest '$KEY'"
	eval "cb-manifest restore -0 $SEL" <"$tmp/node.json" >"$tmp/records" ||
	    fail "refusing to restore: the manifest is not usable"
else
	# A seed-format backup: the keys themselves say where files go.
	eval "cb-s3get $S3OPTS -q --ls -0 \"s3://\$BUCKET/\$PREFIX/\$CB_HOST/\"" >"$tmp/ls" ||
	    fail "cannot list 's3://$BUCKET/$PREFIX/$CB_HOST/'"
	eval "cb-manifest restore -0 --listing \"\$PREFIX/\$CB_HOST\" $SEL" \
	    <"$tmp/ls" >"$tmp/records" ||
	    fail "refusing to restore: the backup holds unsafe keys"
fi
[ -s "$tmp/records" ] || fail "nothing to restore for the selection"
mkdir -p "$DIR" || fail "cannot create '$DIR'"
eval "$NICE cb-s3get -0 --list --unpack $S3OPTS $GETOPTS -C \"\$DIR\" \"s3://\$BUCKET\"" \
    <"$tmp/records" >"$tmp/results"
getrc=$?
tr '\0' '\n' <"$tmp/results" | awk -F'\t' -v h="$CB_HOST" '
    $1 == "ok" { n++; b += $2; next }
    { bad++; print "not restored: " $NF " (" $1 ")" }
    END { printf "%d files, %d bytes restored%s\n", n, b, bad ? ", " bad " FAILED" : "" }'
[ "$getrc" = 0 ] || fail "restore incomplete (cb-s3get exit $getrc)"
EOF
	script_footer
}

next_steps() {
	cat <<EOF

Files are in $RESTORE_DIR/<keyspace>/<table>-<id>/ on each node, every one
checksum-verified.  Cassandra's own directories were not touched.  Next:
 1. Check table ids: the directory suffix is the table id at backup time.
    Compare with the live one (ls /var/lib/cassandra/data/<keyspace>/, or
    SELECT id FROM system_schema.tables WHERE keyspace_name = '<keyspace>').
    If the table was dropped and recreated, its id changed: load into the
    new directory, or recreate the table WITH ID = <old id> (DESCRIBE ...
    WITH INTERNALS in the backup's schema).
 2. Load the files, either into a running node (4.0+):
        nodetool import <keyspace> <table> $RESTORE_DIR/<keyspace>/<table>-<id>
    or with the node restart method, node by node:
        nodetool drain && systemctl stop cassandra
        rm -f /var/lib/cassandra/data/<keyspace>/<table>-<id>/*.db   (only if replacing)
        cp -a $RESTORE_DIR/<keyspace>/<table>-<id>/. /var/lib/cassandra/data/<keyspace>/<table>-<id>/
        chown -R cassandra:cassandra /var/lib/cassandra/data/<keyspace>
        systemctl start cassandra && nodetool repair <keyspace>
EOF
}

cmd_restore() {
	parse_restore "$@"
	setup_tmp
	resolve_name
	s3get "s3://$BUCKET/$BASE/$SNAPSHOT/manifest.json" "$TMP/m.json" 2>"$TMP/m.err" ||
	    die 1 "backup '$SNAPSHOT' not found (no 's3://$BUCKET/$BASE/$SNAPSHOT/manifest.json')"
	cb-manifest info <"$TMP/m.json" >"$TMP/info" ||
	    die 65 "cannot read the manifest of backup '$SNAPSHOT'"
	if grep -qx 'complete	false' "$TMP/info"; then
		warn "backup '$SNAPSHOT' is incomplete: hosts that failed restore what their last good run holds"
	fi
	restore_script "$TMP/info" >"$TMP/script"
	fanout "$TMP/script" "$TMP/out"
	frc=$?
	rc=0
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		sed "s|^|$h: |" "$TMP/out/$h.out" 2>/dev/null
		if [ "$(cat "$TMP/out/$h.status" 2>/dev/null)" != 0 ]; then
			why=$(grep -v '^[[:space:]]*$' "$TMP/out/$h.err" 2>/dev/null | tail -1)
			printf '%s: FAILED: %s\n' "$h" "${why:-exit $(cat "$TMP/out/$h.status" 2>/dev/null)}"
			rc=1
		fi
	done
	next_steps
	[ "$rc" = 0 ] || warn "restore failed on some hosts (see above)"
	[ "$frc" -ge 64 ] && [ "$frc" -le 78 ] && [ "$rc" = 0 ] && rc=$frc
	return $rc
}

# ---- main ----------------------------------------------------------------

CMD=
parse_global "$@"
shift $(($# - REST_ARGS))
case $CMD:$* in
*:-h*|*:--help*) ;;
*) check_global ;;
esac
case $CMD in
backup) cmd_backup "$@" ;;
restore) cmd_restore "$@" ;;
list) cmd_list "$@" ;;
esac
