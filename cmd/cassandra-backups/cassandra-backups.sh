#!/bin/sh
# cassandra-backups: back up Cassandra clusters to S3, list and restore the
# backups (see cassandra-backups(1)).  POSIX sh: it parses and checks the
# options, then composes the programs.  Every node runs the fixed program
# cb-node, through cb-fanout, which reads its job on stdin as data
# (cb-node(1)); the job also carries the credentials, so secrets never
# appear in any argv, here or on the nodes.  Decisions over manifests
# (what a run does, what LATEST means, the listing) are cb-manifest's.
# No value given here is ever evaluated by a shell.

VERSION=@VERSION@
PROG=cassandra-backups

# Where our programs are: beside this script.  The nodes run cb-node from
# --cb-bin-dir (default: the same path).
case $0 in
*/*) SELF_DIR=$(cd "${0%/*}" && pwd) ;;
*) SELF_DIR=$(dirname "$(command -v "$0")") ;;
esac
PATH=$SELF_DIR:$PATH

EX_USAGE=64 EX_DATAERR=65 EX_NOINPUT=66 EX_TEMPFAIL=75
LOCK_NAME=cassandra-backups.lock

warn() { printf '%s: %s\n' "$PROG" "$*" >&2; }
die() { warn "$2"; exit "$1"; }
verbose() { [ "$VERBOSE" -gt 0 ] && printf '%s: %s\n' "$PROG" "$*" >&2; return 0; }

usage_global() {
	cat <<'EOF'
usage: cassandra-backups [-v] [--config FILE]
                         --s3-bucket-name BUCKET --s3-base-path PATH
                         [--s3-bucket-region REGION] [--s3-endpoint URL]
                         [--s3-addressing-style auto|virtual|path]
                         [--s3-ca-bundle FILE] [--s3-connect-to HOST:PORT]
                         [--s3-ssenc] [--s3-sse-kms-key-id ID]
                         [--s3-sse-c-key-file FILE] [--profile NAME]
                         [--aws-access-key-id ID --aws-secret-access-key KEY]
                         backup|list|restore|verify|purge [OPTIONS]
       cassandra-backups COMMAND --help
       cassandra-backups -h | -V
EOF
}

usage_backup() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] backup (--hosts HOST[,HOST...] |
           --hosts-file FILE | --hosts-from-ring SEED [--datacenter DC])
           [--keyspaces KS,...] [--table T] [--exclude-tables T,...]
           [--new-snapshot] [--backup-schema] [--cqlsh-user USER]
           [--cqlsh-password PASSWORD] [CQLSH TLS] [--cassandra-conf-path DIR]
           [--cassandra-tools-bin-dir DIR] [--user USER] [--sshport PORT]
           [--sshkey FILE] [--ssh-config FILE] [--use-sudo[=BOOL]]
           [--sudo-user USER] [--use-local[=BOOL]] [--connection-pool-size N]
           [--concurrency N] [--reduced-redundancy[=BOOL]]
           [--storage-class CLASS] [--rate-limit KIB_PER_S] [--nice N]
           [--buffer-size MIB] [--timeout SECONDS] [--cb-bin-dir DIR]
           [--backup-name NAME] [--full] [--state-dir DIR]
           [--jmx-user USER --jmx-password-file FILE]
           [--prepare DIR | --finish DIR]
CQLSH TLS: [--cqlsh-ssl[=BOOL]] [--cqlsh-certfile FILE] [--cqlsh-validate[=BOOL]]
           [--cqlsh-usercert FILE [--cqlsh-userkey FILE]] [--cqlsh-cqlshrc FILE]
EOF
}

usage_restore() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] restore (--host HOST | --hosts HOST,... |
           --hosts-file FILE | --hosts-from-ring SEED [--datacenter DC])
           [--snapshot-name LATEST|NAME] [--keyspace KS | --keyspaces KS,...]
           [--table T] [--restore-dir DIR] [--user USER] [--sshport PORT]
           [--sshkey FILE] [--ssh-config FILE] [--use-sudo[=BOOL]]
           [--sudo-user USER] [--use-local[=BOOL]] [--connection-pool-size N]
           [--concurrency N] [--nice N] [--timeout SECONDS]
           [--cassandra-conf-path DIR] [--cassandra-tools-bin-dir DIR]
           [--cb-bin-dir DIR] [--load none|import|refresh|restart]
           [--schema | --schema-only] [--target-hosts HOST,...]
           [--set-tokens] [--stop-command CMD] [--start-command CMD]
           [--start-timeout SECONDS] [--cqlsh-user USER]
           [--cqlsh-password PASSWORD] [CQLSH TLS] [--json]
           [--jmx-user USER --jmx-password-file FILE]
           [--prepare DIR | --finish DIR]
CQLSH TLS: [--cqlsh-ssl[=BOOL]] [--cqlsh-certfile FILE] [--cqlsh-validate[=BOOL]]
           [--cqlsh-usercert FILE [--cqlsh-userkey FILE]] [--cqlsh-cqlshrc FILE]
EOF
}

usage_list() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] list [--json]
EOF
}

usage_verify() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] verify [--snapshot-name LATEST|NAME | --all]
           [--hosts HOST,...] [--deep [--on-nodes [SSH OPTIONS]]]
           [--concurrency N] [--json]
EOF
}

usage_purge() {
	cat <<'EOF'
usage: cassandra-backups [GLOBAL] purge (--keep N | --older-than DAYS |
           --snapshot-name NAME) [--dry-run] [--grace HOURS] [--json]
EOF
}

usage_all() {
	usage_global
	usage_backup | sed 1s/^usage:/'      '/
	usage_restore | sed 1s/^usage:/'      '/
	usage_list | sed 1s/^usage:/'      '/
	usage_verify | sed 1s/^usage:/'      '/
	usage_purge | sed 1s/^usage:/'      '/
}

# ---- values --------------------------------------------------------------

# bool VALUE OPTION: the seed's strtobool strings.
bool() {
	case $(printf '%s' "$1" | tr 'A-Z' 'a-z') in
	y|yes|t|true|on|1) echo 1 ;;
	n|no|f|false|off|0) echo 0 ;;
	*) warn "invalid value '$1' for $2: expected true or false"; exit $EX_USAGE ;;
	esac
}

# bad OPTION VALUE WHY: a refused value, exit 64 naming the option.
bad() { die $EX_USAGE "invalid $1 '$2': $3"; }

# int OPTION VALUE MIN MAX: VALUE is a decimal integer in [MIN, MAX].
int() {
	case $2 in
	''|-|*[!0-9-]*|?*-*) bad "$1" "$2" "expected an integer from $3 to $4" ;;
	esac
	[ "${#2}" -le 10 ] && [ "$2" -ge "$3" ] && [ "$2" -le "$4" ] ||
	    bad "$1" "$2" "expected an integer from $3 to $4"
}

# plain OPTION VALUE: no control characters (TAB, newline...): the value is
# carried in records, and such bytes are never meant.
plain() {
	case $2 in
	*[[:cntrl:]]*) bad "$1" "$2" "control characters are not allowed" ;;
	esac
}

# abspath OPTION VALUE: an absolute path (it is used on every node).
abspath() {
	plain "$1" "$2"
	case $2 in /*) ;; *) bad "$1" "$2" "expected an absolute path" ;; esac
}

# names OPTION LIST: Cassandra identifiers (letters, digits, _; at most 48,
# as Cassandra's own rule), separated by commas.
names() {
	case $2 in
	*[!A-Za-z0-9_,]*) bad "$1" "$2" "a keyspace or table name holds letters, digits and _ only" ;;
	esac
	case ,$2, in *,,*) bad "$1" "$2" "an empty name" ;; esac
	for n in $(printf '%s' "$2" | tr ',' ' '); do
		[ "${#n}" -le 48 ] || bad "$1" "$n" "names are at most 48 characters"
	done
}

# username OPTION VALUE: a POSIX user name.
username() {
	case $2 in
	''|-*|*[!A-Za-z0-9_.@-]*) bad "$1" "$2" "expected a user name" ;;
	esac
}

# ---- global options ----------------------------------------------------

VERBOSE=0
BUCKET= BASE= REGION= ENDPOINT= SSE= KMS_KEY= SSEC_FILE= PROFILE= ADDRESSING=
CA_BUNDLE= CONNECT_TO= OPT_KEY_ID= OPT_SECRET=

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
	# (run twice, the config file's options then again: see main)
	VERBOSE=0
	while [ $# -gt 0 ]; do
		case $1 in
		-v|--verbose) VERBOSE=$((VERBOSE + 1)); shift; continue ;;
		--config|--config=*) opt_value config "$@"; CONFIG=$OPTV ;;
		-h|--help) usage_all; exit 0 ;;
		-V|--version) echo "cassandra-backups $VERSION"; exit 0 ;;
		--s3-bucket-name|--s3-bucket-name=*) opt_value s3-bucket-name "$@"; BUCKET=$OPTV ;;
		--s3-base-path|--s3-base-path=*) opt_value s3-base-path "$@"; BASE=$OPTV ;;
		--s3-bucket-region|--s3-bucket-region=*) opt_value s3-bucket-region "$@"; REGION=$OPTV ;;
		--s3-endpoint|--s3-endpoint=*) opt_value s3-endpoint "$@"; ENDPOINT=$OPTV ;;
		--s3-addressing-style|--s3-addressing-style=*) opt_value s3-addressing-style "$@"; ADDRESSING=$OPTV ;;
		--s3-ca-bundle|--s3-ca-bundle=*) opt_value s3-ca-bundle "$@"; CA_BUNDLE=$OPTV ;;
		--s3-connect-to|--s3-connect-to=*) opt_value s3-connect-to "$@"; CONNECT_TO=$OPTV ;;
		--s3-ssenc|--s3-ssenc=*) opt_bool "$@"; SSE=; [ "$OPTV" = 1 ] && SSE=AES256 ;;
		--s3-sse-kms-key-id|--s3-sse-kms-key-id=*) opt_value s3-sse-kms-key-id "$@"; KMS_KEY=$OPTV ;;
		--s3-sse-c-key-file|--s3-sse-c-key-file=*) opt_value s3-sse-c-key-file "$@"; SSEC_FILE=$OPTV ;;
		--profile|--profile=*) opt_value profile "$@"; PROFILE=$OPTV ;;
		--aws-access-key-id|--aws-access-key-id=*) opt_value aws-access-key-id "$@"; OPT_KEY_ID=$OPTV ;;
		--aws-secret-access-key|--aws-secret-access-key=*) opt_value aws-secret-access-key "$@"; OPT_SECRET=$OPTV ;;
		--log-file|--log-file=*) opt_value log-file "$@"; LOG_FILE=$OPTV ;;
		--syslog) SYSLOG=user OPTN=1 ;;
		--syslog=*) SYSLOG=${1#*=} OPTN=1 ;;
		--metrics-file|--metrics-file=*) opt_value metrics-file "$@"; METRICS_FILE=$OPTV ;;
		backup|list|restore|verify|purge) CMD=$1; shift; REST_ARGS=$#; return 0 ;;
		-*) warn "unknown option '$1'"; usage_global >&2; exit $EX_USAGE ;;
		*) warn "unknown command '$1'"; usage_global >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	warn "no command given"
	usage_global >&2
	exit $EX_USAGE
}

check_global() {
	[ -n "$BUCKET" ] || die $EX_USAGE "--s3-bucket-name is required"
	case $BUCKET in
	*[!a-z0-9.-]*|[.-]*|*[.-]) bad --s3-bucket-name "$BUCKET" "expected an S3 bucket name" ;;
	esac
	[ -n "$BASE" ] || die $EX_USAGE "--s3-base-path is required"
	plain --s3-base-path "$BASE"
	# Runs of '/' are one, and no leading or trailing '/' (seed keys).
	BASE=$(printf '%s' "$BASE" | tr -s '/' | sed 's|^/||; s|/$||')
	[ -n "$BASE" ] || bad --s3-base-path / "expected a key prefix"
	case $REGION in *[!a-z0-9-]*) bad --s3-bucket-region "$REGION" "expected a region name" ;; esac
	plain --s3-endpoint "$ENDPOINT"
	case $ENDPOINT in ''|http://?*|https://?*) ;; *) bad --s3-endpoint "$ENDPOINT" "expected an http or https URL" ;; esac
	case $ADDRESSING in ''|auto|virtual|path) ;; *) bad --s3-addressing-style "$ADDRESSING" "expected auto, virtual or path" ;; esac
	[ -z "$CA_BUNDLE" ] || abspath --s3-ca-bundle "$CA_BUNDLE"
	case $CONNECT_TO in ''|[A-Za-z0-9.:_-]*:[0-9]*) ;; *) bad --s3-connect-to "$CONNECT_TO" "expected HOST:PORT" ;; esac
	plain --s3-connect-to "$CONNECT_TO"
	plain --profile "$PROFILE"
	plain --s3-sse-kms-key-id "$KMS_KEY"
	[ -z "$KMS_KEY" ] || SSE=aws:kms
	if [ -n "$SSEC_FILE" ]; then
		[ -z "$SSE" ] || die $EX_USAGE "--s3-sse-c-key-file cannot go with --s3-ssenc or --s3-sse-kms-key-id"
		[ -r "$SSEC_FILE" ] || die $EX_USAGE "cannot read --s3-sse-c-key-file '$SSEC_FILE'"
		CB_SSE_C_KEY=$(tr -d '\n' <"$SSEC_FILE") || exit 1
		export CB_SSE_C_KEY
	fi
	if [ -n "$OPT_KEY_ID" ] || [ -n "$OPT_SECRET" ]; then
		[ -n "$OPT_KEY_ID" ] && [ -n "$OPT_SECRET" ] || die $EX_USAGE \
		    "--aws-access-key-id and --aws-secret-access-key go together"
		AWS_ACCESS_KEY_ID=$OPT_KEY_ID
		AWS_SECRET_ACCESS_KEY=$OPT_SECRET
		export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
	fi
	for v in "${AWS_ACCESS_KEY_ID:-}" "${AWS_SECRET_ACCESS_KEY:-}" \
	    "${AWS_SESSION_TOKEN:-}" "${CB_SSE_C_KEY:-}"; do
		case $v in *[[:cntrl:]]*) die $EX_USAGE "a credential holds control characters" ;; esac
	done
	[ -z "$LOG_FILE" ] || abspath --log-file "$LOG_FILE"
	[ -z "$METRICS_FILE" ] || abspath --metrics-file "$METRICS_FILE"
	case $SYSLOG in
	''|user|daemon|local[0-7]) ;;
	*) bad --syslog "$SYSLOG" "expected a facility: user, daemon or local0 to local7" ;;
	esac
}

# ---- options shared by backup and restore ------------------------------

HOSTS= USER_= SSHPORT= SSHKEY= SSHCONFIG= USE_SUDO=0 SUDO_USER_= USE_LOCAL=0
POOL=12 CONCURRENCY= TOOLS_BIN= CONF_PATH= CB_BIN_DIR= NICE=0 TIMEOUT=
HOSTS_FILE= RING_SEED= DATACENTER= JMX_USER= JMX_PWFILE= HOSTS_CLI= HOSTS_CFG=

# host_source OPTION "$@": --hosts, --hosts-file and --hosts-from-ring go
# alone, but one on the command line replaces the config file's (an
# option is the file's while more words are left than the command line
# gave: main puts the file's first).
host_source() {
	k=$1
	shift
	case $CMD in backup|restore) ;; *) [ "$k" = --hosts ] ||
	    die $EX_USAGE "$k is for backup and restore" ;;
	esac
	if [ $# -gt "${REST_ARGS:-0}" ]; then
		[ -z "$HOSTS_CFG" ] || [ "$HOSTS_CFG" = "$k" ] ||
		    die $EX_CONFIG "$CFG_FILE: $HOSTS_CFG and $k go alone: give one of them"
		HOSTS_CFG=$k
	else
		[ -z "$HOSTS_CLI" ] || [ "$HOSTS_CLI" = "$k" ] ||
		    die $EX_USAGE "$HOSTS_CLI and $k go alone: give one of them"
		HOSTS_CLI=$k
	fi
	HOSTS= HOSTS_FILE= RING_SEED=
}

# common_opt "$@": 0 if it took the option (OPTN words), 1 if not ours.
common_opt() {
	case $1 in
	--hosts|--hosts=*|--host|--host=*) host_source --hosts "$@"
		opt_value hosts "$@"; HOSTS=$OPTV ;;
	--hosts-file|--hosts-file=*) host_source --hosts-file "$@"
		opt_value hosts-file "$@"; HOSTS_FILE=$OPTV ;;
	--hosts-from-ring|--hosts-from-ring=*) host_source --hosts-from-ring "$@"
		opt_value hosts-from-ring "$@"; RING_SEED=$OPTV ;;
	--datacenter|--datacenter=*) opt_value datacenter "$@"; DATACENTER=$OPTV ;;
	--jmx-user|--jmx-user=*) opt_value jmx-user "$@"; JMX_USER=$OPTV ;;
	--jmx-password-file|--jmx-password-file=*)
		opt_value jmx-password-file "$@"; JMX_PWFILE=$OPTV ;;
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
	--prepare|--prepare=*|--finish|--finish=*)
		case $CMD in backup|restore) ;; *) die $EX_USAGE "${1%%=*} is for backup and restore" ;; esac
		case $1 in
		--prepare*) opt_value prepare "$@"; PREPARE=$OPTV ;;
		*) opt_value finish "$@"; FINISH=$OPTV ;;
		esac ;;
	*) return 1 ;;
	esac
	return 0
}

check_common() {
	int --connection-pool-size "$POOL" 1 1024
	[ -z "$SSHPORT" ] || int --sshport "$SSHPORT" 1 65535
	[ -z "$CONCURRENCY" ] || int --concurrency "$CONCURRENCY" 1 256
	int --nice "$NICE" -20 19
	[ -z "$TIMEOUT" ] || int --timeout "$TIMEOUT" 1 2592000
	[ -z "$USER_" ] || username --user "$USER_"
	[ -z "$SUDO_USER_" ] || username --sudo-user "$SUDO_USER_"
	plain --sshkey "$SSHKEY"
	plain --ssh-config "$SSHCONFIG"
	[ -z "$TOOLS_BIN" ] || abspath --cassandra-tools-bin-dir "$TOOLS_BIN"
	[ -z "$CONF_PATH" ] || abspath --cassandra-conf-path "$CONF_PATH"
	[ -z "$CB_BIN_DIR" ] || abspath --cb-bin-dir "$CB_BIN_DIR"
	[ -z "$JMX_USER" ] || username --jmx-user "$JMX_USER"
	[ -z "$JMX_PWFILE" ] || abspath --jmx-password-file "$JMX_PWFILE"
	[ -z "$JMX_USER$JMX_PWFILE" ] || { [ -n "$JMX_USER" ] && [ -n "$JMX_PWFILE" ]; } ||
	    die $EX_USAGE "--jmx-user and --jmx-password-file go together"
	[ -n "$CB_BIN_DIR" ] || CB_BIN_DIR=$SELF_DIR
	phase_check
	[ -n "$FINISH" ] || hosts_sources
	[ -n "$HOSTS" ] || die $EX_USAGE "--hosts is required (or --hosts-file or --hosts-from-ring)"
	plain --hosts "$HOSTS"
	HOSTS=$(printf '%s' "$HOSTS" | tr -s ', ' ',,' | sed 's/^,//; s/,$//')
	[ -n "$HOSTS" ] || die $EX_USAGE "--hosts is empty"
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		case $h in
		-*|.*|*[!A-Za-z0-9._:@%+\[\]-]*) bad --hosts "$h" "not a host name" ;;
		esac
	done
	[ -n "$CB_BIN_DIR" ] || CB_BIN_DIR=$SELF_DIR
}

# ---- where the hosts come from --------------------------------------------

# hosts_sources: HOSTS from --hosts-file or --hosts-from-ring.
hosts_sources() {
	[ -z "$DATACENTER" ] || [ -n "$RING_SEED" ] ||
	    die $EX_USAGE "--datacenter goes with --hosts-from-ring"
	plain --datacenter "$DATACENTER"
	if [ -n "$HOSTS_FILE" ]; then
		hosts_file
	elif [ -n "$RING_SEED" ]; then
		hosts_ring
	fi
}

# hosts_file: one host a line, '#' comments and blank lines.
hosts_file() {
	[ -f "$HOSTS_FILE" ] && [ -r "$HOSTS_FILE" ] ||
	    die $EX_NOINPUT "cannot read --hosts-file '$HOSTS_FILE'"
	sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' "$HOSTS_FILE" >/dev/null ||
	    die $EX_NOINPUT "cannot read --hosts-file '$HOSTS_FILE'"
	l=$(sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' "$HOSTS_FILE" |
	    grep -n '[[:space:],]' | head -1)
	[ -z "$l" ] || bad --hosts-file "$HOSTS_FILE" "line ${l%%:*}: one host a line"
	HOSTS=$(sed 's/#.*//; s/^[[:space:]]*//; s/[[:space:]]*$//' "$HOSTS_FILE" |
	    grep -v '^$' | paste -sd, -)
	[ -n "$HOSTS" ] || die $EX_USAGE "--hosts-file '$HOSTS_FILE' names no host"
}

# hosts_ring: the addresses of the nodes of the ring as the seed's
# nodetool status shows it (cb-node ring), of one datacenter with
# --datacenter: the UN ones, and the DN ones with a warning (their part
# fails: the run is incomplete, as it should be).
hosts_ring() {
	case $RING_SEED in
	-*|.*|*[!A-Za-z0-9._:@%+\[\]-]*) bad --hosts-from-ring "$RING_SEED" "not a host name" ;;
	esac
	# (a directory of its own: the run's comes later, with setup_tmp)
	rd=$(umask 077; mktemp -d "${TMPDIR:-/tmp}/cassandra-backups.XXXXXX") ||
	    die 1 "cannot create a temporary directory"
	trap 'rm -rf "$rd"' EXIT
	trap 'rm -rf "$rd"; exit 130' INT
	trap 'rm -rf "$rd"; exit 143' TERM
	trap 'rm -rf "$rd"; exit 129' HUP
	HOSTS=$RING_SEED
	(umask 077; ring_job >"$rd/job")
	fanout ring "$rd/job" "$rd/ring"
	outcome "$rd/ring" "$rd/outcome"
	rc=$?
	[ "$rc" = 0 ] ||
	    die "$rc" "cannot read the ring from '$RING_SEED': $(cut -f3 "$rd/outcome")"
	HOSTS=
	while IFS='	' read -r addr dc st; do
		[ -z "$DATACENTER" ] || [ "$dc" = "$DATACENTER" ] || continue
		case $st in
		UN) ;;
		DN) warn "warning: node $addr (datacenter $dc) is down: its part will fail" ;;
		*) warn "warning: leaving out node $addr (datacenter $dc): it is $st"; continue ;;
		esac
		HOSTS=${HOSTS:+$HOSTS,}$addr
	done <"$rd/ring/$RING_SEED.out"
	rm -rf "$rd"
	trap - EXIT INT TERM HUP
	[ -n "$HOSTS" ] ||
	    die $EX_USAGE "no node ${DATACENTER:+of datacenter '$DATACENTER' }in the ring of '$RING_SEED'"
	verbose "hosts from the ring of $RING_SEED: $HOSTS"
}
ring_job() {
	job_common
	job_line prefix "$BASE"
	printf 'node\t%s\tring\t-\nend\n' "$RING_SEED"
}

# ---- cqlsh: login and TLS, for backup and restore --------------------------

CQLSH_USER= CQLSH_PASSWORD_= CQLSH_SSL=0 CQLSH_VALIDATE= CQLSH_CERTFILE=
CQLSH_USERCERT= CQLSH_USERKEY= CQLSH_CQLSHRC=

# cqlsh_opt "$@": 0 if it took the option (OPTN words), 1 if not ours.
cqlsh_opt() {
	case $1 in
	--cqlsh-user|--cqlsh-user=*) opt_value cqlsh-user "$@"; CQLSH_USER=$OPTV ;;
	--cqlsh-password|--cqlsh-password=*) opt_value cqlsh-password "$@"; CQLSH_PASSWORD_=$OPTV ;;
	--cqlsh-ssl|--cqlsh-ssl=*) opt_bool "$@"; CQLSH_SSL=$OPTV ;;
	--cqlsh-validate|--cqlsh-validate=*) opt_bool "$@"; CQLSH_VALIDATE=$OPTV ;;
	--cqlsh-certfile|--cqlsh-certfile=*) opt_value cqlsh-certfile "$@"; CQLSH_CERTFILE=$OPTV ;;
	--cqlsh-usercert|--cqlsh-usercert=*) opt_value cqlsh-usercert "$@"; CQLSH_USERCERT=$OPTV ;;
	--cqlsh-userkey|--cqlsh-userkey=*) opt_value cqlsh-userkey "$@"; CQLSH_USERKEY=$OPTV ;;
	--cqlsh-cqlshrc|--cqlsh-cqlshrc=*) opt_value cqlsh-cqlshrc "$@"; CQLSH_CQLSHRC=$OPTV ;;
	*) return 1 ;;
	esac
	return 0
}

# cqlsh_file OPTION VALUE: a file on the nodes that cqlsh reads from an
# INI value, which interpolates '%'.
cqlsh_file() {
	[ -n "$2" ] || return 0
	abspath "$1" "$2"
	case $2 in *%*) bad "$1" "$2" "'%' is not allowed (cqlsh's cqlshrc parser interpolates it)" ;; esac
	case $2 in [[:space:]]*|*[[:space:]]) bad "$1" "$2" "blanks at either end are not allowed" ;; esac
}

# check_cqlsh: the cqlsh options go together (as cb-snapshot(1) checks on
# the node); the password is never echoed.
check_cqlsh() {
	plain --cqlsh-user "$CQLSH_USER"
	case $CQLSH_PASSWORD_ in
	*[[:cntrl:]]*) die $EX_USAGE "invalid --cqlsh-password: control characters are not allowed" ;;
	esac
	cqlsh_file --cqlsh-certfile "$CQLSH_CERTFILE"
	cqlsh_file --cqlsh-usercert "$CQLSH_USERCERT"
	cqlsh_file --cqlsh-userkey "$CQLSH_USERKEY"
	cqlsh_file --cqlsh-cqlshrc "$CQLSH_CQLSHRC"
	[ -z "$CQLSH_USERKEY" ] || [ -n "$CQLSH_USERCERT" ] ||
	    die $EX_USAGE "--cqlsh-userkey goes with --cqlsh-usercert"
	[ -n "$CQLSH_CQLSHRC" ] && return 0
	[ "$CQLSH_SSL" = 1 ] || [ -z "$CQLSH_CERTFILE$CQLSH_USERCERT$CQLSH_VALIDATE" ] ||
	    die $EX_USAGE "--cqlsh-certfile, --cqlsh-usercert and --cqlsh-validate go with --cqlsh-ssl (or --cqlsh-cqlshrc)"
	[ "$CQLSH_SSL" = 0 ] || [ "$CQLSH_VALIDATE" = 0 ] || [ -n "$CQLSH_CERTFILE" ] ||
	    die $EX_USAGE "--cqlsh-ssl checks the nodes' certificate: give --cqlsh-certfile FILE (the CA or the certificate, on the nodes), or --cqlsh-validate=false, or a --cqlsh-cqlshrc with [ssl] certfile"
}

# job_cqlsh: the cqlsh job lines (cb-node(1)).
job_cqlsh() {
	job_line cqlsh-user "$CQLSH_USER"
	job_line cqlsh-password "$CQLSH_PASSWORD_"
	[ "$CQLSH_SSL" = 0 ] || job_line cqlsh-ssl 1
	job_line cqlsh-validate "$CQLSH_VALIDATE"
	job_line cqlsh-certfile "$CQLSH_CERTFILE"
	job_line cqlsh-usercert "$CQLSH_USERCERT"
	job_line cqlsh-userkey "$CQLSH_USERKEY"
	job_line cqlsh-cqlshrc "$CQLSH_CQLSHRC"
}

# ---- the config file ----------------------------------------------------

EX_NOPERM=77 EX_CONFIG=78
CONFIG= CFG_FILE= CFG_G= CFG_C=
NL='
'

# config_key KEY: the kind of option --KEY (value, bool: --KEY=BOOL, or
# flag: --KEY when true) and the commands that take it, "global" for one
# before the command; a command in () takes it in its own section only.
# 1 if the driver has no such option.
config_key() {
	case $1 in
	s3-bucket-name|s3-base-path|s3-bucket-region|s3-endpoint|\
	s3-addressing-style|s3-ca-bundle|s3-connect-to|s3-sse-kms-key-id|\
	s3-sse-c-key-file|profile|aws-access-key-id|aws-secret-access-key|\
	log-file|syslog|metrics-file)
		echo "value global" ;;
	s3-ssenc) echo "bool global" ;;
	verbose) echo "flag global" ;;
	hosts|host) echo "value backup restore (verify)" ;;
	hosts-file|hosts-from-ring|datacenter|keyspaces|table|cqlsh-user|\
	cqlsh-password|cqlsh-certfile|cqlsh-usercert|cqlsh-userkey|cqlsh-cqlshrc)
		echo "value backup restore" ;;
	cqlsh-ssl|cqlsh-validate) echo "bool backup restore" ;;
	user|sshport|sshkey|ssh-config|sudo-user|connection-pool-size|\
	concurrency|cassandra-tools-bin-dir|cassandra-conf-path|cb-bin-dir|\
	nice|timeout|jmx-user|jmx-password-file)
		echo "value backup restore verify" ;;
	use-sudo|use-local) echo "bool backup restore verify" ;;
	exclude-tables|storage-class|rate-limit|buffer-size|backup-name|state-dir)
		echo "value backup" ;;
	new-snapshot|backup-schema|reduced-redundancy|full) echo "bool backup" ;;
	quiet) echo "flag backup" ;;
	keyspace|restore-dir|load|target-hosts|stop-command|start-command|\
	start-timeout)
		echo "value restore" ;;
	schema|schema-only|set-tokens) echo "bool restore" ;;
	snapshot-name) echo "value restore verify (purge)" ;;
	json) echo "flag restore list verify purge" ;;
	all|deep|on-nodes) echo "bool verify" ;;
	keep|older-than|grace) echo "value purge" ;;
	dry-run) echo "bool purge" ;;
	*) return 1 ;;
	esac
}

# config_load: the config file (--config, else CB_CONFIG, else
# /etc/cassandra-backups.conf if there is one) as option words: CFG_G
# the global ones, CFG_C the command's (its keys before any section,
# then its section), one a line.
config_load() {
	if [ -n "$CONFIG" ]; then
		CFG_FILE=$CONFIG
	elif [ -n "${CB_CONFIG:-}" ]; then
		CFG_FILE=$CB_CONFIG
	elif [ -e /etc/cassandra-backups.conf ]; then
		CFG_FILE=/etc/cassandra-backups.conf
	else
		return 0
	fi
	[ -e "$CFG_FILE" ] || die $EX_NOINPUT "config file '$CFG_FILE' not found"
	[ ! -d "$CFG_FILE" ] || die $EX_NOINPUT "config file '$CFG_FILE' is a directory"
	[ -r "$CFG_FILE" ] || die $EX_NOPERM "cannot read config file '$CFG_FILE': permission denied"
	# KIND TAB LINE [TAB KEY TAB VALUE]: s a section, k a key, x a
	# malformed line.  Values are taken as they are written: quotes
	# and all, never evaluated.
	recs=$(awk '{ sub(/\r$/, "") }
	    /^[ \t]*(#|$)/ { next }
	    /^[ \t]*\[[ \t]*[a-z]+[ \t]*\][ \t]*$/ {
		v = $0; gsub(/[ \t]/, "", v); sub(/^\[/, "", v); sub(/\]$/, "", v)
		printf "s\t%d\t%s\n", NR, v; next }
	    /^[ \t]*[a-z0-9][a-z0-9-]*[ \t]*=/ {
		k = $0; sub(/^[ \t]*/, "", k); i = index(k, "=")
		v = substr(k, i + 1); k = substr(k, 1, i - 1)
		sub(/[ \t]+$/, "", k); sub(/^[ \t]+/, "", v); sub(/[ \t]+$/, "", v)
		printf "k\t%d\t%s\t%s\n", NR, k, v; next }
	    { printf "x\t%d\n", NR; exit }' "$CFG_FILE") ||
	    die $EX_NOINPUT "cannot read config file '$CFG_FILE'"
	sec=- secret=
	while IFS='	' read -r t ln k v; do
		at="$CFG_FILE, line $ln"
		case $t in
		'') continue ;;
		x) die $EX_CONFIG "$at: malformed: expected 'key = value', '[section]', a '#' comment or a blank line" ;;
		s)
			case $k in
			backup|restore|verify|purge|list) sec=$k; continue ;;
			esac
			die $EX_CONFIG "$at: unknown section '[$k]': expected [backup], [restore], [verify], [purge] or [list]" ;;
		esac
		kind=$(config_key "$k") || die $EX_CONFIG "$at: unknown key '$k'"
		scopes=" ${kind#* } " kind=${kind%% *}
		case $sec:$scopes in
		-:*|*" $sec "*|*" ($sec) "*) ;;
		*) die $EX_CONFIG "$at: '$k' is not an option of $sec" ;;
		esac
		case $kind:$v in
		value:*|*:true|*:false) ;;
		*) die $EX_CONFIG "$at: '$k' takes true or false, not '$v'" ;;
		esac
		case $k in aws-secret-access-key|cqlsh-password) secret=$k ;; esac
		a=--$k=$v
		if [ "$kind" = flag ]; then
			[ "$v" = true ] || continue
			a=--$k
		fi
		if [ "$scopes" = " global " ]; then
			CFG_G=$CFG_G$a$NL
		elif [ "$sec" = "$CMD" ] || { [ "$sec" = - ] && case $scopes in *" $CMD "*) true ;; *) false ;; esac; }; then
			CFG_C=$CFG_C$a$NL
		fi
	done <<EOF
$recs
EOF
	[ -z "$secret" ] || config_private "$secret"
}

# config_private KEY: a config file that holds a secret (KEY) is its
# owner's (or root's) and for its owner's eyes only.
config_private() {
	st=$(stat -L -c '%a %u' "$CFG_FILE") || die $EX_NOPERM "cannot stat config file '$CFG_FILE'"
	mode=${st% *} uid=${st#* }
	case $mode in
	*[4567]?|*[4567]|*[2367])
		die $EX_NOPERM "config file '$CFG_FILE' holds $1 but others can read or change it (mode $mode): chmod 600 '$CFG_FILE'" ;;
	esac
	[ "$uid" = "$(id -u)" ] || [ "$uid" = 0 ] ||
	    die $EX_NOPERM "config file '$CFG_FILE' holds $1 but is owned by user $uid: chown $(id -un) '$CFG_FILE' (or root)"
}

# ---- running things ----------------------------------------------------

TMP= LOCKED= FANOUT_PID=
# cleanup [STATUS]: at exit (the status is $? there), or on a signal.
cleanup() {
	st=${1:-$?}
	[ -n "$LOCKED" ] && s3put --delete "$LOCKED" 2>/dev/null
	LOCKED=
	run_end "$st"
	[ -n "$TMP" ] && rm -rf "$TMP"
	TMP=
}
on_signal() {
	trap - EXIT INT TERM HUP
	[ -n "$FANOUT_PID" ] && kill -TERM "$FANOUT_PID" 2>/dev/null &&
	    wait "$FANOUT_PID" 2>/dev/null
	cleanup "$1"
	exit "$1"
}
setup_tmp() {
	TMP=$(umask 077; mktemp -d "${TMPDIR:-/tmp}/cassandra-backups.XXXXXX") ||
	    die 1 "cannot create a temporary directory"
	trap cleanup EXIT
	trap 'on_signal 130' INT
	trap 'on_signal 143' TERM
	trap 'on_signal 129' HUP
	run_start
}

# ---- unattended runs: --log-file, --syslog, --metrics-file ---------------

# With --log-file or --syslog, everything the run says on standard error
# also goes there, a line at a time, through a FIFO read by log_pump (fd
# 7 is the real standard error); at the end one summary line: command,
# backup, outcome, what it did, duration.  With --metrics-file, the run's
# figures are written for node_exporter's textfile collector
# (cb-manifest(1) metrics).  list is not a run: none of this.
LOG_FILE= SYSLOG= METRICS_FILE= LOG_PID= STARTED= T0= SUM_NAME= SUM_FILE=
run_start() {
	STARTED=$(date -u +%Y-%m-%dT%H:%M:%S) T0=$(date +%s)
	[ "$CMD" != list ] || return 0
	[ -n "$LOG_FILE$SYSLOG" ] || return 0
	mkfifo "$TMP/log.fifo" || die 1 "cannot create a FIFO in '$TMP'"
	exec 7>&2
	log_pump <"$TMP/log.fifo" &
	LOG_PID=$!
	exec 2>"$TMP/log.fifo"
}
log_pump() {
	while IFS= read -r l; do
		printf '%s\n' "$l" >&7
		log_line info "$l"
	done
}
# log_line PRIORITY TEXT: to the log file and syslog (never a terminal's
# redrawn progress lines).
log_line() {
	case $2 in *"$(printf '\033')"*) return 0 ;; esac
	[ -z "$LOG_FILE" ] ||
	    printf '%s %s[%s]: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$PROG" "$$" "$2" \
	    >>"$LOG_FILE" 2>/dev/null
	[ -z "$SYSLOG" ] || logger -t "$PROG" --id="$$" -p "$SYSLOG.$1" -- "$2" 2>/dev/null
	return 0
}
run_end() {
	[ -n "$STARTED" ] && [ "$CMD" != list ] || return 0
	if [ -n "$LOG_PID" ]; then
		exec 2>&7 7>&-
		wait "$LOG_PID" 2>/dev/null
		LOG_PID=
	fi
	secs=$(($(date +%s) - T0))
	what=
	[ -z "$SUM_FILE" ] || [ ! -s "$SUM_FILE" ] || what=$(tail -1 "$SUM_FILE" | tr '\t' ' ')
	if [ "$1" = 0 ]; then outcome=OK pri=info; else outcome="FAILED (exit $1)" pri=err; fi
	# (a prepared run is not over: --finish sums it up)
	[ -z "$PREPARE" ] || [ "$1" != 0 ] || outcome="PREPARED in '$PREPARE'"
	log_line "$pri" "$CMD${SUM_NAME:+ '$SUM_NAME'} $outcome in $secs s${what:+: $what}"
	if [ -n "$METRICS_FILE" ] && { [ -z "$PREPARE" ] || [ "$1" != 0 ]; }; then
		in=/dev/null
		case $CMD in
		backup) [ ! -s "$TMP/manifest.json" ] || in=$TMP/manifest.json ;;
		verify) [ ! -s "$TMP/report" ] || in=$TMP/report ;;
		esac
		cb-manifest metrics -0 --command "$CMD" --status "$1" --started "$STARTED" \
		    --previous "$METRICS_FILE" -o "$METRICS_FILE" <"$in" ||
		    warn "warning: cannot write the metrics file '$METRICS_FILE'"
	fi
	STARTED=
}

# s3 PROGRAM ARGS...: a cb-s3* program with the S3 options; the
# environment carries the credentials.
s3() {
	p=$1
	shift
	"$p" -q ${ENDPOINT:+--endpoint "$ENDPOINT"} ${REGION:+--region "$REGION"} \
	    ${ADDRESSING:+--addressing-style "$ADDRESSING"} \
	    ${CA_BUNDLE:+--ca-bundle "$CA_BUNDLE"} \
	    ${CONNECT_TO:+--connect-to "$CONNECT_TO"} \
	    ${PROFILE:+--profile "$PROFILE"} "$@"
}
s3get() { s3 cb-s3get "$@"; }
# s3put: objects we write (manifests, the lock) are encrypted as the data.
s3put() { s3 cb-s3put ${SSE:+--sse "$SSE"} ${KMS_KEY:+--sse-kms-key-id "$KMS_KEY"} "$@"; }

# fetch KEY FILE: 0 with FILE, 0 without FILE when the object is definitely
# absent (404 NoSuchKey), else the failure's status.
fetch() {
	rm -f "$2"
	s3get --missing-ok "s3://$BUCKET/$1" "$2"
}

# names_under: the backup names under the base path (a delimiter listing:
# its cost grows with the number of backups, not of files), one per line.
names_under() {
	s3get --ls --delimiter / "s3://$BUCKET/$BASE/" >"$TMP/ls" ||
	    die $? "cannot list 's3://$BUCKET/$BASE/'"
	# (a prefix that cannot be a backup name is not one of ours: skipped)
	awk -F'\t' -v base="$BASE/" '$1 == "-" && index($4, base) == 1 {
	    n = substr($4, length(base) + 1); sub(/\/$/, "", n)
	    if (n ~ /^[A-Za-z0-9_][A-Za-z0-9._-]*$/) print n }' "$TMP/ls"
}

# catalog: NAME TAB MANIFEST-FILE-or-"-" for every backup, in $TMP/catalog.
# The cluster manifests are fetched in one list-mode run, in parallel.
catalog() {
	names_under >"$TMP/names.0"
	cb-manifest keys --base-path "$BASE" <"$TMP/names.0" >"$TMP/names" || exit $?
	rm -rf "$TMP/m"
	mkdir -p "$TMP/m"
	: >"$TMP/catalog"
	[ -s "$TMP/names" ] || return 0
	# KEY - - FILE: no size or checksum to verify (cb-s3get(1)).
	awk -F'\t' '{ printf "%s\t-\t-\t%d%c", $2, NR, 0 }' "$TMP/names" >"$TMP/m.rec"
	s3get -0 --list -j 8 -C "$TMP/m" "s3://$BUCKET" <"$TMP/m.rec" \
	    >"$TMP/m.res" 2>"$TMP/m.err"
	crc=$?
	# A manifest that is definitely absent (a run that never finished)
	# is "-"; any other failure stops the command with its status.
	tr '\0' '\n' <"$TMP/m.res" | awk -F'\t' '$1 != "ok" && $1 != "NoSuchKey" { bad = 1 }
	    END { exit bad }' || {
		grep -v '^[[:space:]]*$' "$TMP/m.err" >&2
		[ "$crc" != 0 ] || crc=1
		die "$crc" "cannot read the manifests under 's3://$BUCKET/$BASE/'"
	}
	[ "$(tr -cd '\0' <"$TMP/m.res" | wc -c)" = "$(wc -l <"$TMP/names" | tr -d ' ')" ] || {
		cat "$TMP/m.err" >&2
		[ "$crc" != 0 ] || crc=1
		die "$crc" "cannot read the manifests under 's3://$BUCKET/$BASE/'"
	}
	i=0
	while IFS='	' read -r name key; do
		i=$((i + 1))
		f=$TMP/m/$i
		[ -e "$f" ] || f=-
		printf '%s\t%s\n' "$name" "$f" >>"$TMP/catalog"
	done <"$TMP/names"
}

# job_line KEY VALUE: one line of the node job (cb-node(1)).
job_line() { [ -z "$2" ] || printf '%s\t%s\n' "$1" "$2"; }

# job_common: what every node job holds, credentials included.
job_common() {
	printf 'cb-job\t1\n'
	job_line bucket "$BUCKET"
	job_line endpoint "$ENDPOINT"
	job_line region "$REGION"
	job_line addressing-style "$ADDRESSING"
	job_line ca-bundle "$CA_BUNDLE"
	job_line connect-to "$CONNECT_TO"
	job_line profile "$PROFILE"
	[ "$VERBOSE" -gt 1 ] && job_line verbose 1
	job_line cassandra-conf-path "$CONF_PATH"
	job_line cassandra-tools-bin-dir "$TOOLS_BIN"
	job_line nice "$NICE"
	job_line concurrency "$CONCURRENCY"
	job_line jmx-user "$JMX_USER"
	job_line jmx-password-file "$JMX_PWFILE"
	for v in AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN CB_SSE_C_KEY; do
		case $v in
		AWS_ACCESS_KEY_ID) val=${AWS_ACCESS_KEY_ID:-} ;;
		AWS_SECRET_ACCESS_KEY) val=${AWS_SECRET_ACCESS_KEY:-} ;;
		AWS_SESSION_TOKEN) val=${AWS_SESSION_TOKEN:-} ;;
		CB_SSE_C_KEY) val=${CB_SSE_C_KEY:-} ;;
		esac
		[ -n "$val" ] && printf 'env\t%s\t%s\n' "$v" "$val"
	done
	return 0
}

# fanout SUBCOMMAND JOBFILE OUTDIR: cb-node SUBCOMMAND on every host.
fanout() {
	set -- "$1" "$2" "$3" -s -q -j "$POOL" -d "$3" ${TIMEOUT:+-t "$TIMEOUT"}
	if [ "$USE_LOCAL" = 1 ]; then
		set -- "$@" --local
	else
		set -- "$@" ${USER_:+-l "$USER_"} ${SSHPORT:+-p "$SSHPORT"} \
		    ${SSHKEY:+-i "$SSHKEY"} ${SSHCONFIG:+-F "$SSHCONFIG"}
	fi
	set -- "$@" -H "$HOSTS" --
	if [ "$USE_SUDO" = 1 ] || [ -n "$SUDO_USER_" ]; then
		set -- "$@" sudo -n ${SUDO_USER_:+-u "$SUDO_USER_"}
	fi
	sub=$1 job=$2 outdir=$3
	shift 3
	verbose "running on $HOSTS: cb-fanout $* $CB_BIN_DIR/cb-node $sub {host}"
	cb-fanout "$@" "$CB_BIN_DIR/cb-node" "$sub" '{host}' <"$job" &
	FANOUT_PID=$!
	WATCH_PID=
	if [ -n "$WATCH" ]; then
		watch_progress "$outdir" &
		WATCH_PID=$!
	fi
	wait "$FANOUT_PID"
	rc=$?
	FANOUT_PID=
	if [ -n "$WATCH_PID" ]; then
		kill "$WATCH_PID" 2>/dev/null
		wait "$WATCH_PID" 2>/dev/null
		# The last frame, over the one drawn before, if any.
		up=
		[ ! -e "$TMP/drawn" ] || up=1
		draw_progress "$outdir" "$up"
		rm -f "$TMP/drawn"
	fi
	return $rc
}

# Progress on a terminal (WATCH set), redrawn every second: a line per
# node, from its last "cb-s3get: progress FILES NFILES BYTES NBYTES" line
# (cb-s3get(1); cb-s3put(1) in a backup), then one of the whole run: the
# nodes done (cb-fanout wrote their HOST.status), the bytes of all, the
# rate, and an ETA once every node still running has given its totals.
# draw_progress OUTDIR [UP]: one frame; with UP, over the one before.
WATCH= WATCH_PID= WATCH_T0=
draw_progress() {
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		l=$(grep -E '^cb-s3(get|put): progress ' "$1/$h.err" 2>/dev/null | tail -1)
		d=0
		[ ! -e "$1/$h.status" ] || d=1
		printf '%s %s %s\n' "$h" "$d" "${l:-- - 0 0 0 0}"
	done | awk -v el=$(($(date +%s) - WATCH_T0)) -v up="${2:-}" '
	    function hu(n) {
		if (n >= 1073741824) return sprintf("%.1f GiB", n / 1073741824)
		if (n >= 1048576) return sprintf("%.1f MiB", n / 1048576)
		return sprintf("%.0f KiB", n / 1024)
	    }
	    # done, total and rate: "BYTES/TOTAL, RATE/s, ETA M:SS"
	    function moved(d, t, known,   r, eta, e) {
		r = el > 0 ? d / el : 0
		eta = r > 0 && known ? (t - d) / r : -1
		e = "-"
		if (eta >= 0) e = sprintf("%d:%02d", eta / 60, eta % 60)
		return sprintf("%s/%s, %s/s, ETA %s", hu(d), hu(t), hu(r), e)
	    }
	    BEGIN { known = 1 }
	    {
		f = f sprintf("%s: %d/%d files, %s\033[K\n", $1, $5, $6,
		    moved($7, $8, 1))
		done += $2; b += $7; t += $8
		if (!$2 && $4 != "progress") known = 0
	    }
	    END {
		if (up != "") printf "\033[%dA", NR + 1
		printf "%sall nodes: %d/%d done, %s\033[K\n", f, done, NR,
		    moved(b, t, known)
	    }' >&2
}
watch_progress() {
	trap 'exit 0' TERM
	up=
	while sleep 1; do
		draw_progress "$1" "$up"
		up=1
		: >"$TMP/drawn"
	done
}

# rank STATUS: how bad a host's exit status is for the run's: 77 denied,
# then 69 unreachable (ssh's 255 too), 75 temporary, 73 no room (a state
# directory, a restore that does not fit), 65 bad data, 64 refused (a
# load mode the node's Cassandra lacks), then the rest.
rank() {
	case $1 in
	0) echo 0 ;; 77) echo 7 ;; 69|255) echo 6 ;; 75) echo 5 ;; 73) echo 4 ;;
	65) echo 3 ;; 64) echo 2 ;; *) echo 1 ;;
	esac
}

# outcome OUTDIR REPORT: per host HOST TAB STATUS TAB WHY (the first cause
# cb-node reported), and the run's status: the worst host's, as 77, 69,
# 75, 73, 65, 64 or 1.
outcome() {
	: >"$2"
	worst=0
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		st=$(cat "$1/$h.status" 2>/dev/null)
		nores=
		[ -n "$st" ] || { st=1; [ -z "$NO_RESULT" ] || st=69 nores=$NO_RESULT; }
		if [ "$st" = 0 ] && [ -s "$1/$h.out" ]; then
			printf '%s\t0\t-\n' "$h" >>"$2"
			continue
		fi
		[ "$st" = 0 ] && st=1
		why=$(sed -n 's/^cb-node: error: //p' "$1/$h.err" 2>/dev/null | tail -1)
		[ -n "$why" ] || why=$(grep -v '^[[:space:]]*$' "$1/$h.err" 2>/dev/null | tail -1)
		[ -z "$nores" ] || why=$nores
		[ -n "$why" ] || why="exit $st, no output"
		[ "$st" = 255 ] && why="ssh failed (host down or unreachable): $why"
		printf '%s\t%s\t%s\n' "$h" "$st" "$(printf '%s' "$why" | tr '\t' ' ')" >>"$2"
		[ "$(rank "$st")" -gt "$(rank "$worst")" ] && worst=$st
	done
	case $worst in 0|77|69|75|73|65|64) ;; 255) worst=69 ;; *) worst=1 ;; esac
	return $worst
}

# run_nodes SUBCOMMAND JOB_FUNCTION [NAME]: write the job (private: it
# holds the credentials), run cb-node on every host, outputs in $TMP/NAME
# (default out), and sum up in $TMP/outcome; returns the run's status.
run_nodes() {
	(umask 077; "$2" >"$TMP/job")
	fanout "$1" "$TMP/job" "$TMP/${3:-out}"
	rm -f "$TMP/job"
	node_results "$TMP/${3:-out}"
}

# node_results OUTDIR: the outcome of the hosts' outputs in OUTDIR (into
# $TMP/outcome) and the warnings of those that succeeded; the run's status.
node_results() {
	outcome "$1" "$TMP/outcome"
	rc=$?
	node_warnings "$1"
	return $rc
}

# node_warnings OUTDIR: the warnings of hosts that succeeded.
node_warnings() {
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		[ "$(cat "$1/$h.status" 2>/dev/null)" = 0 ] || continue
		grep ': warning: ' "$1/$h.err" 2>/dev/null | sed "s|^|$h: |" >&2
	done
	return 0
}

# ---- a run in phases: --prepare DIR, the nodes, --finish DIR --------------

# For a fan-out by other means (examples/ansible/), backup and restore run
# in three parts.  --prepare DIR does all the driver does before the nodes
# run (for a backup the run lock, taken for the whole run, and the plan)
# and leaves in DIR, a new private directory, the node job (DIR/job: it
# holds the credentials), the run's state (DIR/run, KEY TAB VALUE lines)
# and the files the run goes on with; it prints what each host runs.  Each
# host then runs "cb-node STEP HOST --results D <DIR/job" and its
# D/HOST.out, .err and .status go into DIR/STEP/.  --finish DIR does the
# rest from those results as if the driver had run the nodes itself (the
# same outcome, records, manifests and report), releases the lock and
# removes DIR.  A host without results is a failure (69: not reached).
PREPARE= FINISH= NO_RESULT=
PHASE_KEEP="plan prev.json map info"

# phase_check: --prepare and --finish, at the end of the options.
phase_check() {
	[ -n "$PREPARE$FINISH" ] || return 0
	[ -z "$PREPARE" ] || [ -z "$FINISH" ] ||
	    die $EX_USAGE "--prepare and --finish go alone: give one of them"
	if [ -n "$PREPARE" ]; then
		abspath --prepare "$PREPARE"
		[ ! -e "$PREPARE" ] || { [ -d "$PREPARE" ] && [ -z "$(ls -A "$PREPARE")" ]; } ||
		    die 73 "'$PREPARE' exists: it holds a prepared run (finish it with --finish '$PREPARE') or something else; give a new directory"
		return 0
	fi
	abspath --finish "$FINISH"
	[ -z "$HOSTS_CLI" ] ||
	    die $EX_USAGE "--finish takes the hosts of the prepared run: no $HOSTS_CLI"
	HOSTS_FILE= RING_SEED=
	phase_read
}

# phase_read: the prepared run's state from $FINISH/run (data: every value
# is assigned, none evaluated).
phase_read() {
	[ -f "$FINISH/run" ] ||
	    die $EX_NOINPUT "no prepared run in '$FINISH' (cassandra-backups $CMD --prepare '$FINISH' makes one)"
	pcmd= pbucket= pbase=
	while IFS='	' read -r k v; do
		case $k in
		command) pcmd=$v ;;
		bucket) pbucket=$v ;;
		base) pbase=$v ;;
		hosts) HOSTS=$v ;;
		name) NAME=$v ;;
		run) RUN=$v ;;
		manifest) MANIFEST=$v ;;
		started) P_STARTED=$v ;;
		t0) P_T0=$v ;;
		keyspaces) KEYSPACES=$v ;;
		table) TABLE=$v ;;
		incremental) P_NINC=$v ;;
		snapshot) SNAPSHOT=$v ;;
		load) LOAD=$v ;;
		schema) SCHEMA=$v ;;
		schema-only) SCHEMA_ONLY=$v ;;
		restore-dir) RESTORE_DIR=$v ;;
		esac
	done <"$FINISH/run"
	[ "$pcmd" = "$CMD" ] ||
	    die $EX_USAGE "'$FINISH' holds a prepared ${pcmd:-unknown run}, not a $CMD"
	[ "$pbucket" = "$BUCKET" ] && [ "$pbase" = "$BASE" ] ||
	    die $EX_USAGE "'$FINISH' was prepared for 's3://$pbucket/$pbase/', not 's3://$BUCKET/$BASE/'"
}

# phase_save JOB_FUNCTION STEP...: the prepared run into $PREPARE, with
# the command's KEY TAB VALUE lines of $TMP/run.state; what to run on
# stdout.
phase_save() {
	jf=$1
	shift
	mkdir -p "$PREPARE" && chmod 700 "$PREPARE" ||
	    die 73 "cannot create '$PREPARE'"
	{
		cat "$TMP/run.state"
		printf 'bucket\t%s\nbase\t%s\nhosts\t%s\n' "$BUCKET" "$BASE" "$HOSTS"
		printf 'started\t%s\nt0\t%s\nsteps\t%s\n' "$STARTED" "$T0" "$*"
	} >"$PREPARE/run" &&
	    (umask 077; "$jf" >"$PREPARE/job") || die 73 "cannot write into '$PREPARE'"
	for f in $PHASE_KEEP; do
		[ ! -e "$TMP/$f" ] || cp "$TMP/$f" "$PREPARE/$f" || die 73 "cannot write into '$PREPARE'"
	done
	for st in "$@"; do mkdir -p "$PREPARE/$st" || die 73 "cannot write into '$PREPARE'"; done
	printf 'dir\t%s\njob\t%s\nhosts\t%s\nsteps\t%s\n' "$PREPARE" "$PREPARE/job" "$HOSTS" "$*"
	echo "prepared in '$PREPARE': on each host run 'cb-node STEP HOST --results DIR <$PREPARE/job' for the steps $*, put DIR/HOST.out, .err and .status into $PREPARE/STEP/, then run this command again with --finish '$PREPARE' in place of --prepare" >&2
	# The lock stays for the whole run; --finish releases it.
	LOCKED=
}

# phase_take: the files of the prepared run into $TMP, as prepare left
# them there; the run's start.
phase_take() {
	for f in $PHASE_KEEP; do
		[ ! -e "$FINISH/$f" ] || cp "$FINISH/$f" "$TMP/$f" || die 1 "cannot read '$FINISH/$f'"
	done
	STARTED=${P_STARTED:-$STARTED} T0=${P_T0:-$T0}
	NO_RESULT="no result in $FINISH: the host was not reached, or its results were not put there"
}

# phase_results STEP OUTNAME: the hosts' results of STEP, from
# $FINISH/STEP into $TMP/OUTNAME, as node_results sums them up.
phase_results() {
	rm -rf "$TMP/$2"
	mkdir -p "$TMP/$2"
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		[ -e "$FINISH/$1/$h.status" ] || continue
		for x in out err status; do
			[ ! -e "$FINISH/$1/$h.$x" ] || cp "$FINISH/$1/$h.$x" "$TMP/$2/$h.$x" ||
			    die 1 "cannot read '$FINISH/$1/$h.$x'"
		done
	done
	node_results "$TMP/$2"
}

# phase_done: --finish completed: the lock, if still this run's, is
# released at exit as a run's own (cleanup), and the prepared run goes.
phase_done() {
	[ -n "$FINISH" ] || return 0
	if [ "$CMD" = backup ]; then
		fetch "$BASE/$LOCK_NAME" "$TMP/lock.now" || warn "warning: cannot read the run lock to release it"
		if [ -e "$TMP/lock.now" ] && grep -qx "run	$RUN" "$TMP/lock.now"; then
			LOCKED=s3://$BUCKET/$BASE/$LOCK_NAME
		elif [ -e "$TMP/lock.now" ]; then
			warn "warning: the run lock is another run's now (this one's expired): left alone"
		fi
	fi
	rm -rf "$FINISH"
}

# ---- the run lock ---------------------------------------------------------

# lock_take COMMAND: one run at a time per base path.  The lock is an
# object written only if absent (If-None-Match); it names its owner and
# expires, so a run killed without cleaning up blocks others only until
# then.
lock_take() {
	key=$BASE/$LOCK_NAME
	now=$(date -u +%s)
	ttl=86400
	[ -z "$TIMEOUT" ] || ttl=$((TIMEOUT + 3600))
	{
		# (a prepared run's lock is its directory's, not a process's)
		if [ -n "$PREPARE" ]; then
			printf 'owner\t%s@%s prepared in %s\n' "$(id -un)" "$(uname -n)" "$PREPARE"
		else
			printf 'owner\t%s@%s pid %s\n' "$(id -un)" "$(uname -n)" "$$"
		fi
		printf 'command\t%s\n' "$1"
		printf 'run\t%s\n' "$RUN"
		printf 'created\t%s\n' "$now"
		printf 'expires\t%s\n' "$((now + ttl))"
	} >"$TMP/lock"
	for try in 1 2; do
		s3put --if-none-match "s3://$BUCKET/$key" "$TMP/lock" >/dev/null 2>"$TMP/lock.err"
		rc=$?
		[ "$rc" = 0 ] && { LOCKED=s3://$BUCKET/$key; return 0; }
		[ "$rc" = 73 ] || { cat "$TMP/lock.err" >&2
			die "$rc" "cannot write the run lock 's3://$BUCKET/$key'"; }
		fetch "$key" "$TMP/lock.theirs" ||
		    die $? "cannot read the run lock 's3://$BUCKET/$key'"
		[ -e "$TMP/lock.theirs" ] || continue
		owner=$(sed -n 's/^owner	//p' "$TMP/lock.theirs" | head -1)
		exp=$(sed -n 's/^expires	//p' "$TMP/lock.theirs" | head -1)
		case $exp in ''|*[!0-9]*) exp=0 ;; esac
		# A run of this machine that is gone (killed: it could not
		# clean up) holds it no longer.
		opid=${owner##* pid } ohost=${owner#*@} ohost=${ohost% pid *}
		case $opid in ''|*[!0-9]*) opid= ;; esac
		if [ "$exp" -gt "$now" ] && [ -n "$opid" ] && [ "$ohost" = "$(uname -n)" ] &&
		    [ "$opid" != "$$" ] && [ ! -d "/proc/$opid" ]; then
			warn "taking over the run lock of $owner: that process is gone"
			exp=0
		fi
		if [ "$exp" -gt "$now" ]; then
			die $EX_TEMPFAIL "another run holds 's3://$BUCKET/$key': ${owner:-unknown owner}, until $(date -u -d "@$exp" +%Y-%m-%dT%H:%M:%SZ); if no run is active, delete that object"
		fi
		[ "$exp" = 0 ] || warn "removing the expired run lock of ${owner:-unknown owner}"
		s3put --delete "s3://$BUCKET/$key" >/dev/null ||
		    die $? "cannot remove the expired run lock"
	done
	die $EX_TEMPFAIL "cannot take the run lock 's3://$BUCKET/$key': it keeps changing"
}

# ---- list ----------------------------------------------------------------

cmd_list() {
	json=
	while [ $# -gt 0 ]; do
		case $1 in
		--json) json=--json ;;
		-h|--help) usage_list; exit 0 ;;
		*) warn "unknown list option '$1'"; usage_list >&2; exit $EX_USAGE ;;
		esac
		shift
	done
	setup_tmp
	catalog
	cb-manifest list $json <"$TMP/catalog"
}

# ---- backup --------------------------------------------------------------

KEYSPACES= TABLE= EXCLUDE= NEW_SNAPSHOT=0
STORAGE_CLASS= RATE_LIMIT= PART_SIZE= BACKUP_NAME= FULL=0 STATE_DIR=

parse_backup() {
	while [ $# -gt 0 ]; do
		if common_opt "$@" || cqlsh_opt "$@"; then shift "$OPTN"; continue; fi
		case $1 in
		-h|--help) usage_backup; exit 0 ;;
		--keyspaces|--keyspaces=*) opt_value keyspaces "$@"; KEYSPACES=$OPTV ;;
		--table|--table=*) opt_value table "$@"; TABLE=$OPTV ;;
		--exclude-tables|--exclude-tables=*) opt_value exclude-tables "$@"; EXCLUDE=$OPTV ;;
		--new-snapshot|--new-snapshot=*) opt_bool "$@"; NEW_SNAPSHOT=$OPTV ;;
		--backup-schema|--backup-schema=*) opt_bool "$@" ;;
		--reduced-redundancy|--reduced-redundancy=*)
			opt_bool "$@"; [ "$OPTV" = 1 ] && STORAGE_CLASS=REDUCED_REDUNDANCY ;;
		--storage-class|--storage-class=*) opt_value storage-class "$@"; STORAGE_CLASS=$OPTV ;;
		--rate-limit|--rate-limit=*) opt_value rate-limit "$@"; RATE_LIMIT=$OPTV ;;
		--buffer-size|--buffer-size=*) opt_value buffer-size "$@"; PART_SIZE=$OPTV ;;
		--backup-name|--backup-name=*) opt_value backup-name "$@"; BACKUP_NAME=$OPTV BACKUP_NAME_SET=1 ;;
		--full|--full=*) opt_bool "$@"; FULL=$OPTV ;;
		--state-dir|--state-dir=*) opt_value state-dir "$@"; STATE_DIR=$OPTV ;;
		--quiet) OPTN=1 ;;
		*) warn "unknown backup option '$1'"; usage_backup >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	check_common
	[ -z "$KEYSPACES" ] || names --keyspaces "$KEYSPACES"
	[ -z "$TABLE" ] || names --table "$TABLE"
	[ -z "$EXCLUDE" ] || names --exclude-tables "$EXCLUDE"
	[ -z "$TABLE" ] || [ -n "$KEYSPACES" ] ||
	    die $EX_USAGE "--table needs --keyspaces"
	case $TABLE in *,*) bad --table "$TABLE" "one table only" ;; esac
	check_cqlsh
	if [ -n "${BACKUP_NAME_SET:-}" ]; then
		case $BACKUP_NAME in
		''|[!A-Za-z0-9_]*|*[!A-Za-z0-9._-]*|LATEST)
			bad --backup-name "$BACKUP_NAME" "expected letters, digits, '-', '_' and '.' (not first), and not LATEST" ;;
		esac
		[ "${#BACKUP_NAME}" -le 128 ] || bad --backup-name "$BACKUP_NAME" "at most 128 characters"
	fi
	[ -z "$STATE_DIR" ] || abspath --state-dir "$STATE_DIR"
	case $STORAGE_CLASS in *[!A-Z_]*) bad --storage-class "$STORAGE_CLASS" "expected a storage class such as STANDARD_IA" ;; esac
	[ -z "$RATE_LIMIT" ] || int --rate-limit "$RATE_LIMIT" 0 1073741824
	[ "${RATE_LIMIT:-0}" = 0 ] && RATE_LIMIT=
	if [ -n "$PART_SIZE" ]; then
		# As in the seed: MiB without a unit; K, M, G accepted.
		case $PART_SIZE in
		*[Kk]) n=${PART_SIZE%?} m=1 ;;
		*[Mm]) n=${PART_SIZE%?} m=1024 ;;
		*[Gg]) n=${PART_SIZE%?} m=1048576 ;;
		*) n=$PART_SIZE m=1024 ;;
		esac
		int --buffer-size "$n" 1 5242880
		kib=$((n * m))
		[ "$kib" -ge 5120 ] && [ "$kib" -le 5242880 ] ||
		    bad --buffer-size "$PART_SIZE" "expected 5 to 5120 MiB"
		PART_SIZE=${kib}K
	fi
}

# plan_backup: the name and, per host, whether it takes a snapshot or
# adds incrementally, from which node manifest, and which node manifest
# of an earlier backup a snapshot refers to (cb-manifest plan), into NAME
# and $TMP/plan.
plan_backup() {
	day=$(date -u +%Y%m%d)
	pname=${BACKUP_NAME:-$day}
	pkey=$(echo "$pname" | cb-manifest keys --base-path "$BASE" | cut -f2) || exit 1
	fetch "$pkey" "$TMP/prev.json" ||
	    die $? "cannot read 's3://$BUCKET/$pkey'; not starting a run that could overwrite it"
	# The earlier backups, whose objects unchanged files reuse.
	[ "$FULL" = 1 ] || catalog
	set -- --backup "$pname" --alt-name "$day-$(date -u +%H%M%S)" \
	    --base-path "$BASE" --run "$RUN" --hosts "$HOSTS" \
	    ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"}
	[ "$NEW_SNAPSHOT" = 1 ] && set -- "$@" --new-snapshot
	[ "$pname" = "$day" ] || set -- "$@" --named
	if [ "$FULL" = 1 ]; then
		set -- "$@" --full
	else
		set -- "$@" --catalog "$TMP/catalog"
	fi
	if [ -e "$TMP/prev.json" ]; then
		set -- "$@" --previous "$TMP/prev.json"
		PREV_MANIFEST=$TMP/prev.json
	fi
	cb-manifest plan "$@" >"$TMP/plan" || exit $?
	NAME=$(sed -n 's/^name	//p' "$TMP/plan")
	MANIFEST=$(sed -n 's/^manifest	//p' "$TMP/plan")
	[ "$NAME" = "$pname" ] || PREV_MANIFEST=
	[ "$NAME" = "$pname" ] || [ ! -e "$TMP/prev.json" ] ||
	    verbose "backup '$pname' exists with other settings: naming this one '$NAME'"
	awk -F'\t' '$1 == "host" && $6 != "-" { print $2 ": unchanged files refer to " $6 }' \
	    "$TMP/plan" | while IFS= read -r l; do verbose "$l"; done
}

backup_job() {
	job_common
	job_line name "$NAME"
	job_line run "$RUN"
	job_line tag "$TAG"
	job_line prefix "$BASE/$NAME"
	job_line keyspaces "$KEYSPACES"
	job_line table "$TABLE"
	job_line exclude-tables "$EXCLUDE"
	job_line sse "$SSE"
	job_line sse-kms-key-id "$KMS_KEY"
	job_line storage-class "$STORAGE_CLASS"
	job_line rate-limit "$RATE_LIMIT"
	job_line part-size "$PART_SIZE"
	job_cqlsh
	job_line state-dir "$STATE_DIR"
	[ -z "$WATCH" ] || job_line progress 2
	sed -n 's/^host	/node	/p' "$TMP/plan"
	printf 'end\n'
}

# drop_superseded: the node manifests that this run's replaced in the
# cluster manifest (each new one holds all the old one did: they are
# named by nothing now).
drop_superseded() {
	[ -n "$PREV_MANIFEST" ] || return 0
	cb-manifest info <"$PREV_MANIFEST" >"$TMP/info.old" 2>/dev/null || return 0
	cb-manifest info <"$TMP/manifest.json" >"$TMP/info.new" || return 0
	awk -F'\t' 'NR == FNR { if ($1 == "node") k[$2] = $4; next }
	    $1 == "node" && ($2 in k) && k[$2] != $4 && k[$2] != "" && k[$2] != "-" { print k[$2] }' \
	    "$TMP/info.old" "$TMP/info.new" |
	while IFS= read -r k; do
		s3put --delete "s3://$BUCKET/$k" >/dev/null ||
		    warn "warning: cannot delete the superseded node manifest '$k'"
	done
}

cmd_backup() {
	parse_backup "$@"
	setup_tmp
	PREV_MANIFEST=
	if [ -n "$FINISH" ]; then
		phase_take
		[ ! -e "$TMP/prev.json" ] || PREV_MANIFEST=$TMP/prev.json
		ninc=${P_NINC:-0}
		SUM_NAME=$NAME
		phase_results backup out
		backup_finish $?
		return
	fi
	RUN=$(date -u +%Y%m%dT%H%M%SZ)
	# Unique per run: one run's cleanup never clears another's snapshot.
	TAG=cb-$RUN-$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
	lock_take backup
	plan_backup
	ninc=$(grep -c '^host	[^	]*	incremental	' "$TMP/plan")
	nfull=$(grep -c '^host	[^	]*	full	' "$TMP/plan")
	nref=$(awk -F'\t' '$1 == "host" && $3 == "full" && $6 != "-"' "$TMP/plan" | wc -l | tr -d ' ')
	echo "backup '$NAME' run $RUN: $nfull snapshot ($nref differential), $ninc incremental, hosts $HOSTS" >&2
	SUM_NAME=$NAME
	if [ -n "$PREPARE" ]; then
		[ -e "$TMP/prev.json" ] && [ -n "$PREV_MANIFEST" ] || rm -f "$TMP/prev.json"
		printf 'command\tbackup\nname\t%s\nrun\t%s\nmanifest\t%s\nincremental\t%s\nkeyspaces\t%s\ntable\t%s\n' \
		    "$NAME" "$RUN" "$MANIFEST" "$ninc" "$KEYSPACES" "$TABLE" >"$TMP/run.state"
		phase_save backup_job backup
		return 0
	fi
	[ -t 2 ] && WATCH=1 WATCH_T0=$(date +%s)
	run_nodes backup backup_job
	rc=$?
	WATCH=
	backup_finish $rc
}

# backup_finish STATUS: from the hosts' outcome (STATUS the run's), the
# cluster manifest, written last.
backup_finish() {
	rc=$1
	# Records for cb-manifest merge: HOST TAB ok|failed TAB KEY TAB FILE|WHY.
	while IFS='	' read -r h st why; do
		if [ "$st" = 0 ]; then
			key=$(awk -F'\t' -v h="$h" '$1 == "host" && $2 == h { print $5 }' "$TMP/plan")
			printf '%s\tok\t%s\t%s\n' "$h" "$key" "$TMP/out/$h.out"
		else
			printf '%s\tfailed\t-\t%s\n' "$h" "$why"
		fi
	done <"$TMP/outcome" >"$TMP/hosts"
	if ! grep -q '	ok	' "$TMP/hosts" && [ -z "$PREV_MANIFEST" ]; then
		warn "backup '$NAME' failed on every host; no manifest written"
		sed 's/^\([^	]*\)	failed	-	/  \1: /' "$TMP/hosts" >&2
		phase_done
		return $rc
	fi
	set -- --backup "$NAME" --base-path "$BASE" --run "$RUN" --hosts "$HOSTS" \
	    ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"}
	[ "$ninc" -gt 0 ] && set -- "$@" --kind incremental
	[ -n "$PREV_MANIFEST" ] && set -- "$@" --previous "$PREV_MANIFEST"
	cb-manifest merge "$@" --started "$STARTED" <"$TMP/hosts" >"$TMP/manifest.json" ||
	    die 1 "cannot build the cluster manifest"
	# Written last: its presence marks the backup (complete or not).
	s3put "s3://$BUCKET/$MANIFEST" "$TMP/manifest.json" >/dev/null ||
	    die $? "cannot upload 's3://$BUCKET/$MANIFEST'${FINISH:+; run --finish '$FINISH' again}"
	cb-manifest summary <"$TMP/manifest.json" | tee "$TMP/summary"
	SUM_FILE=$TMP/summary
	drop_superseded
	phase_done
	if [ "$rc" != 0 ]; then
		warn "backup '$NAME' is INCOMPLETE; run the same command again to complete it"
		grep '	failed	' "$TMP/hosts" | awk -F'\t' '{ print "  " $1 ": " $4 }' >&2
	fi
	return $rc
}

# ---- restore -------------------------------------------------------------

SNAPSHOT=LATEST RESTORE_DIR=/tmp/cassandra_restore RKEYSPACES= RTABLE=
LOAD=none SCHEMA=0 SCHEMA_ONLY=0 TARGETS= SET_TOKENS=0 STOP_CMD= START_CMD=
START_TIMEOUT= RJSON=0

parse_restore() {
	while [ $# -gt 0 ]; do
		if common_opt "$@" || cqlsh_opt "$@"; then shift "$OPTN"; continue; fi
		case $1 in
		-h|--help) usage_restore; exit 0 ;;
		--snapshot-name|--snapshot-name=*) opt_value snapshot-name "$@"; SNAPSHOT=$OPTV ;;
		--keyspace|--keyspace=*|--keyspaces|--keyspaces=*)
			opt_value keyspaces "$@"; RKEYSPACES=$OPTV ;;
		--table|--table=*) opt_value table "$@"; RTABLE=$OPTV ;;
		--restore-dir|--restore-dir=*) opt_value restore-dir "$@"; RESTORE_DIR=$OPTV ;;
		--load|--load=*) opt_value load "$@"; LOAD=$OPTV ;;
		--schema|--schema=*) opt_bool "$@"; SCHEMA=$OPTV ;;
		--schema-only|--schema-only=*) opt_bool "$@"; SCHEMA_ONLY=$OPTV ;;
		--target-hosts|--target-hosts=*) opt_value target-hosts "$@"; TARGETS=$OPTV ;;
		--set-tokens|--set-tokens=*) opt_bool "$@"; SET_TOKENS=$OPTV ;;
		--stop-command|--stop-command=*) opt_value stop-command "$@"; STOP_CMD=$OPTV ;;
		--start-command|--start-command=*) opt_value start-command "$@"; START_CMD=$OPTV ;;
		--start-timeout|--start-timeout=*) opt_value start-timeout "$@"; START_TIMEOUT=$OPTV ;;
		--json|--json=*) opt_bool "$@"; RJSON=$OPTV ;;
		*) warn "unknown restore option '$1'"; usage_restore >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	check_common
	[ "$RKEYSPACES" = all ] && RKEYSPACES=
	[ -z "$RKEYSPACES" ] || names --keyspaces "$RKEYSPACES"
	[ -z "$RTABLE" ] || names --table "$RTABLE"
	[ -z "$RTABLE" ] || [ -n "$RKEYSPACES" ] ||
	    die $EX_USAGE "--table needs --keyspaces"
	case $SNAPSHOT in
	''|.|..|*/*|*[!A-Za-z0-9._-]*) bad --snapshot-name "$SNAPSHOT" "expected LATEST or a backup name" ;;
	esac
	abspath --restore-dir "$RESTORE_DIR"
	# The lexical form; each node also checks the resolved path against
	# its own Cassandra directories (cb-node(1)).
	RESTORE_DIR=$(printf '%s/' "$RESTORE_DIR" | tr -s / | sed 's|/\./|/|g; s|/$||')
	case ${RESTORE_DIR:-/} in
	/|/var/lib/cassandra|/var/lib/cassandra/*|/etc|/etc/*|*/..|*/../*)
		die $EX_USAGE "refusing --restore-dir '$RESTORE_DIR': restore into a directory of its own, outside Cassandra's" ;;
	esac
	case $LOAD in
	none|import|refresh|restart) ;;
	*) bad --load "$LOAD" "expected none, import, refresh or restart" ;;
	esac
	if [ "$SCHEMA_ONLY" = 1 ]; then
		[ "$LOAD" = none ] || die $EX_USAGE "--schema-only loads nothing: it cannot go with --load $LOAD"
		SCHEMA=1
	fi
	[ "$SET_TOKENS" = 0 ] || [ "$LOAD" = restart ] ||
	    die $EX_USAGE "--set-tokens needs --load restart (a node reads its tokens when it starts)"
	plain --stop-command "$STOP_CMD"
	plain --start-command "$START_CMD"
	[ -z "$STOP_CMD$START_CMD$START_TIMEOUT" ] || [ "$LOAD" = restart ] ||
	    die $EX_USAGE "--stop-command, --start-command and --start-timeout go with --load restart"
	[ -z "$START_TIMEOUT" ] || int --start-timeout "$START_TIMEOUT" 1 86400
	check_cqlsh
	[ -n "$TARGETS" ] || return 0
	plain --target-hosts "$TARGETS"
	TARGETS=$(printf '%s' "$TARGETS" | tr -s ', ' ',,' | sed 's/^,//; s/,$//')
	for h in $(printf '%s' "$TARGETS" | tr ',' ' '); do
		case $h in
		-*|.*|*[!A-Za-z0-9._:@%+\[\]-]*) bad --target-hosts "$h" "not a host name" ;;
		esac
	done
	nt=$(printf '%s\n' "$TARGETS" | tr ',' '\n' | grep -c .)
	ns=$(printf '%s\n' "$HOSTS" | tr ',' '\n' | grep -c .)
	[ "$nt" = "$ns" ] ||
	    die $EX_USAGE "--target-hosts names $nt hosts for the $ns of --hosts: host i of the backup goes onto target host i"
	[ -z "$(printf '%s\n' "$TARGETS" | tr ',' '\n' | sort | uniq -d)" ] ||
	    die $EX_USAGE "--target-hosts names a host twice"
}

resolve_name() {
	[ "$SNAPSHOT" = LATEST ] || return 0
	catalog
	SNAPSHOT=$(cb-manifest latest --hosts "$HOSTS" \
	    ${RKEYSPACES:+--keyspaces "$RKEYSPACES"} ${RTABLE:+--table "$RTABLE"} \
	    <"$TMP/catalog") ||
	    die $? "no backup under 's3://$BUCKET/$BASE/' to restore as LATEST"
	echo "restoring backup '$SNAPSHOT' (LATEST)" >&2
}

# restore_map: $TMP/map, TARGET TAB SOURCE TAB NODE-MANIFEST-KEY ("-" in a
# seed backup) per host restored: host i of --hosts onto host i of
# --target-hosts.
restore_map() {
	i=0
	: >"$TMP/map"
	for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
		i=$((i + 1))
		t=$h
		[ -z "$TARGETS" ] || t=$(printf '%s' "$TARGETS" | cut -d, -f"$i")
		key=$(awk -F'\t' -v h="$h" '$1 == "node" && $2 == h { print $4; exit }' "$TMP/info")
		printf '%s\t%s\t%s\n' "$t" "$h" "${key:--}" >>"$TMP/map"
	done
}

restore_job() {
	job_common
	job_line prefix "$BASE/$SNAPSHOT"
	job_line restore-dir "$RESTORE_DIR"
	job_line keyspaces "$RKEYSPACES"
	job_line table "$RTABLE"
	[ -n "$RKEYSPACES" ] || job_line exclude-system 1
	job_line load "$LOAD"
	job_line owner "$SUDO_USER_"
	job_line stop-command "$STOP_CMD"
	job_line start-command "$START_CMD"
	job_line start-timeout "$START_TIMEOUT"
	job_cqlsh
	[ -z "$WATCH" ] || job_line progress 2
	if [ "$SET_TOKENS" = 1 ]; then
		job_line tokens set
	elif [ -n "$TARGETS" ]; then
		job_line tokens print
	fi
	# node TARGET TAB restore TAB KEY TAB SOURCE: the node manifest ("-"
	# in a seed backup) and the host of the backup it is of.
	awk -F'\t' '{ printf "node\t%s\trestore\t%s\t%s\n", $1, $3, $2 }' "$TMP/map"
	printf 'end\n'
}

next_steps() {
	cat <<EOF

Files are in $RESTORE_DIR/<keyspace>/<table>-<id>/ on each node, every one
checksum-verified.  Cassandra's own directories were not touched.  To load
them, run the same restore again with --load import (Cassandra 4.0 and
later, into the running nodes), --load refresh (2.1 to 3.11) or --load
restart (the node restart method, one node at a time): the files already
here are kept, and each table goes into the live table of its name,
whatever its id is now.
EOF
}

# restore_report PHASE: the records of one phase's hosts (outputs in
# $TMP/PHASE, statuses in $TMP/outcome), the host put second, appended to
# $TMP/rrep.PHASE; the download phase (out) also gives each host's files
# record in $TMP/hostrec, the other phases their failures in $TMP/lfail.
restore_report() {
	while IFS='	' read -r rh rst rwhy; do
		tr '\0' '\n' <"$TMP/$1/$rh.out" 2>/dev/null | awk -F'\t' -v h="$rh" '
		    $1 == "table" || $1 == "tokens" || $1 == "schema" || $1 == "failed" {
			k = $1; sub(/^[a-z]+\t/, ""); printf "%s\t%s\t%s%c", k, h, $0, 0 }' \
		    >>"$TMP/rrep.$1"
		if [ "$1" != out ]; then
			[ "$rst" = 0 ] || printf '%s\t%s\t%s: %s\n' "$rh" "$rst" "$1" "$rwhy" >>"$TMP/lfail"
			continue
		fi
		f=$(tr '\0' '\n' <"$TMP/out/$rh.out" 2>/dev/null |
		    awk -F'\t' '$1 == "files" { print $2 "\t" $3 "\t" $4 "\t" $5; exit }')
		printf '%s\t%s\t%s\t%s\n' "$rh" "$rst" "${f:-0	0	0	0}" "$rwhy" >>"$TMP/hostrec"
	done <"$TMP/outcome"
}

# restore_hosts: one restored record per host of the map, with the
# status and cause of its first failure in any phase.
restore_hosts() {
	awk -F'\t' -v load="$LOAD" '
	    FILENAME == ARGV[1] { if (!($1 in lf)) lf[$1] = $2 "\t" $3; next }
	    FILENAME == ARGV[2] { hr[$1] = $0; next }
	    FILENAME == ARGV[3] { ld[$1] = 1; next }
	    {
		t = $1; src = $2
		if (t in hr) { split(hr[t], x, "\t"); st = x[2]; f = x[3] "\t" x[4] "\t" x[5] "\t" x[6]; why = x[7] }
		else { st = 1; f = "0\t0\t0\t0"; why = "not restored: an earlier step failed" }
		if (st == "0" && (t in lf)) { split(lf[t], y, "\t"); st = y[1]; why = y[2] }
		else if (st == "0" && load == "restart" && !(t in ld)) { st = 1; why = "not loaded: the restart of an earlier host failed; its files are in the restore directory" }
		printf "restored\t%s\t%s\t%s\t%s\t%s%c", t, src, st, f, why, 0
	    }' "$TMP/lfail" "$TMP/hostrec" "$TMP/loaded" "$TMP/map"
}

cmd_restore() {
	parse_restore "$@"
	setup_tmp
	if [ -n "$FINISH" ]; then
		phase_take
	else
		restore_plan
	fi
	for f in rrep.out rrep.schema rrep.load hostrec lfail loaded; do : >"$TMP/$f"; done
	HOSTS=$(cut -f1 "$TMP/map" | paste -sd, -)
	all=$HOSTS
	if [ -n "$PREPARE" ]; then
		steps=
		[ "$SCHEMA" = 0 ] || steps=schema
		[ "$SCHEMA_ONLY" = 1 ] || steps="$steps restore"
		[ "$SCHEMA_ONLY" = 1 ] || [ "$LOAD" != restart ] || steps="$steps load"
		printf 'command\trestore\nsnapshot\t%s\nload\t%s\nschema\t%s\nschema-only\t%s\nrestore-dir\t%s\n' \
		    "$SNAPSHOT" "$LOAD" "$SCHEMA" "$SCHEMA_ONLY" "$RESTORE_DIR" >"$TMP/run.state"
		phase_save restore_job $steps
		return 0
	fi
	rc=0

	# The schema first, through the first target host; it reaches the
	# others by Cassandra's schema agreement, which cb-load waits for.
	if [ "$SCHEMA" = 1 ]; then
		HOSTS=${all%%,*}
		restore_step schema schema
		rc=$?
		restore_report schema
		HOSTS=$all
	fi
	if [ "$rc" = 0 ] && [ "$SCHEMA_ONLY" = 0 ]; then
		[ -t 2 ] && [ "$RJSON" = 0 ] && [ -z "$FINISH" ] && WATCH=1 WATCH_T0=$(date +%s)
		restore_step restore out
		rc=$?
		WATCH=
		restore_report out
		# The node restart method one host at a time, and none after
		# a host that failed: the cluster never misses two nodes.
		if [ "$rc" = 0 ] && [ "$LOAD" = restart ]; then
			for t in $(printf '%s' "$all" | tr ',' ' '); do
				HOSTS=$t
				[ -n "$FINISH" ] || echo "restarting $t to load its files (--load restart)" >&2
				restore_step load load
				rc=$?
				restore_report load
				printf '%s\n' "$t" >>"$TMP/loaded"
				[ "$rc" = 0 ] || break
			done
			HOSTS=$all
		fi
	fi
	if [ "$SCHEMA_ONLY" = 0 ]; then
		restore_hosts >"$TMP/rrep.hosts"
	else
		: >"$TMP/rrep.hosts"
		while IFS='	' read -r t st why; do
			warn "$t: FAILED: $why"
		done <"$TMP/lfail"
	fi
	set --
	[ "$RJSON" = 1 ] && set -- --json
	SUM_NAME=$SNAPSHOT
	cat "$TMP/rrep.schema" "$TMP/rrep.hosts" "$TMP/rrep.out" "$TMP/rrep.load" |
	    cb-manifest report restore -0 --backup "$SNAPSHOT" --mode "$LOAD" "$@" |
	    tee "$TMP/summary"
	[ "$RJSON" = 1 ] || SUM_FILE=$TMP/summary
	phase_done
	if [ "$rc" != 0 ]; then
		nf=$(tr '\0' '\n' <"$TMP/rrep.hosts" | awk -F'\t' '$4 != "0"' | grep -c .)
		warn "restore of backup '$SNAPSHOT' FAILED on $nf of $(wc -l <"$TMP/map" | tr -d ' ') hosts (see above); the files restored so far are in $RESTORE_DIR on the nodes: run the same command again to go on"
		return $rc
	fi
	[ "$LOAD" != none ] || [ "$SCHEMA_ONLY" = 1 ] || [ "$RJSON" = 1 ] || next_steps
}

# restore_plan: the backup restored (LATEST resolved), its manifest's
# info in $TMP/info and the hosts' map in $TMP/map.
restore_plan() {
	resolve_name
	key=$(echo "$SNAPSHOT" | cb-manifest keys --base-path "$BASE" | cut -f2) || exit 1
	fetch "$key" "$TMP/m.json" ||
	    die $? "cannot read the manifest of backup '$SNAPSHOT'"
	[ -e "$TMP/m.json" ] ||
	    die $EX_NOINPUT "backup '$SNAPSHOT' not found (no 's3://$BUCKET/$key')"
	cb-manifest info <"$TMP/m.json" >"$TMP/info" ||
	    die $EX_DATAERR "cannot read the manifest of backup '$SNAPSHOT'"
	! grep -qx 'format	purged' "$TMP/info" ||
	    die $EX_NOINPUT "backup '$SNAPSHOT' was purged"
	if grep -qx 'format	cluster 1' "$TMP/info"; then
		for h in $(printf '%s' "$HOSTS" | tr ',' ' '); do
			grep -q "^node	$h	" "$TMP/info" ||
			    die $EX_USAGE "host '$h' is not in backup '$SNAPSHOT'"
		done
	elif [ "$SCHEMA" = 1 ] || [ "$SET_TOKENS" = 1 ]; then
		die $EX_USAGE "backup '$SNAPSHOT' is in the seed format: it records no schema and no tokens"
	fi
	grep -qx 'complete	false' "$TMP/info" &&
	    warn "backup '$SNAPSHOT' is incomplete: hosts that failed restore what their last good run holds"
	restore_map
}

# restore_step STEP OUTNAME: cb-node STEP on $HOSTS, or with --finish
# their results of STEP from the prepared run.
restore_step() {
	if [ -n "$FINISH" ]; then
		phase_results "$1" "$2"
	else
		run_nodes "$1" restore_job "$2"
	fi
}

# ---- verify --------------------------------------------------------------

# listing_of PREFIX FILE: the objects under PREFIX, cached per prefix.
listing_of() {
	c=$TMP/ls.$(printf '%s' "$1" | cksum | tr ' ' _)
	if [ ! -e "$c" ]; then
		s3get --ls -0 "s3://$BUCKET/$1" >"$c.tmp" ||
		    die $? "cannot list 's3://$BUCKET/$1'"
		mv "$c.tmp" "$c"
	fi
	cat "$c" >>"$2"
}

# defect HOST WHAT [KEY [PATH]]: one record for cb-manifest report.
defect() { printf 'defect\t%s\t%s\t%s\t%s\0' "$1" "$2" "${3:--}" "${4:--}" >>"$TMP/report"; }

# verify_one NAME: check backup NAME, its report on stdout; returns 0
# (whole), 1 (defects) or the status of what could not be checked.
verify_one() {
	vname=$1
	: >"$TMP/report"
	: >"$TMP/vjobs"
	vkey=$(echo "$vname" | cb-manifest keys --base-path "$BASE" | cut -f2) || exit 1
	fetch "$vkey" "$TMP/v.json" || die $? "cannot read the manifest of backup '$vname'"
	[ -e "$TMP/v.json" ] || die $EX_NOINPUT "backup '$vname' not found (no 's3://$BUCKET/$vkey')"
	cb-manifest info <"$TMP/v.json" >"$TMP/vinfo" ||
	    die $EX_DATAERR "cannot read the manifest of backup '$vname'"
	! grep -qx 'format	purged' "$TMP/vinfo" ||
	    die $EX_NOINPUT "backup '$vname' was purged"
	mode=quick
	[ "$DEEP" = 1 ] && mode=deep
	if grep -qx 'format	seed' "$TMP/vinfo"; then
		# No checksums: every object must exist and decode.
		mode="$mode (seed-format: no checksums; every object is decoded)"
		hosts=$(sed -n 's/^hosts	//p' "$TMP/vinfo" | tr ',' ' ')
		for h in $hosts; do
			host_selected "$h" || continue
			: >"$TMP/vls"
			listing_of "$BASE/$vname/$h/" "$TMP/vls"
			cb-manifest restore -0 --listing "$BASE/$vname/$h" <"$TMP/vls" >"$TMP/vrec" 2>"$TMP/verr" ||
			    { defect "$h" "unsafe keys"; continue; }
			[ -s "$TMP/vrec" ] || { defect "$h" "no objects"; continue; }
			check_objects "$h" "$TMP/vrec" || return $?
			tr '\0' '\n' <"$TMP/vres" | awk -F'\t' -v h="$h" '
			    $1 == "ok" { b += $2 } END { printf "node\t%s\t%d\t%d%c", h, NR, b, 0 }' >>"$TMP/report"
		done
	else
		[ "$(sed -n 's/^complete	//p' "$TMP/vinfo")" = true ] ||
		    defect - "incomplete backup: a node's last run failed"
		while IFS='	' read -r kind h st nkey; do
			[ "$kind" = node ] || continue
			host_selected "$h" || continue
			progress "verify: backup '$vname': $h ($mode)"
			if [ -z "$nkey" ] || [ "$nkey" = - ]; then
				defect "$h" "no node manifest (status $st)"
				continue
			fi
			fetch "$nkey" "$TMP/vn.json" || die $? "cannot read 's3://$BUCKET/$nkey'"
			[ -e "$TMP/vn.json" ] || { defect "$h" "node manifest missing" "$nkey"; continue; }
			cb-manifest reuse --prefixes --base-path "$BASE" --reference "$TMP/vn.json" \
			    >"$TMP/vpre" 2>"$TMP/verr" || { defect "$h" "node manifest unreadable" "$nkey"; continue; }
			: >"$TMP/vls"
			# A chain over many backups: one listing of the base path
			# (a page per 1000 objects) beats one per prefix.
			if [ "$(wc -l <"$TMP/vpre")" -gt 2 ]; then
				listing_of "$BASE/" "$TMP/vls"
			else
				while IFS= read -r p; do listing_of "$p" "$TMP/vls"; done <"$TMP/vpre"
			fi
			cb-manifest verify -0 --objects "$TMP/vls" --host "$h" <"$TMP/vn.json" >>"$TMP/report"
			case $? in 0|1) ;; *) defect "$h" "node manifest unreadable" "$nkey"; continue ;; esac
			if [ "$DEEP" = 1 ] && [ "$ON_NODES" = 1 ]; then
				printf 'node\t%s\tverify\t%s\n' "$h" "$nkey" >>"$TMP/vjobs"
			elif [ "$DEEP" = 1 ]; then
				cb-manifest restore -0 <"$TMP/vn.json" >"$TMP/vrec" 2>"$TMP/verr" ||
				    { defect "$h" "node manifest unreadable" "$nkey"; continue; }
				check_objects "$h" "$TMP/vrec" || return $?
			fi
		done <"$TMP/vinfo"
		if [ -s "$TMP/vjobs" ]; then
			verify_on_nodes || return $?
		fi
	fi
	SUM_NAME=$vname
	cb-manifest report verify -0 --backup "$vname" --mode "$mode" $JSON \
	    <"$TMP/report" >"$TMP/summary"
	vr=$?
	cat "$TMP/summary"
	# (the summary of the run: the report's first line)
	[ -n "$JSON" ] || { head -1 "$TMP/summary" >"$TMP/summary.1"; SUM_FILE=$TMP/summary.1; }
	return $vr
}

# verify_on_nodes: the deep check run by each node on its own files
# (cb-node verify), its defects added to the report; returns 0, or the
# status of a node whose check could not run.
verify_job() {
	job_common
	job_line prefix "$BASE/$vname"
	cat "$TMP/vjobs"
	printf 'end\n'
}
verify_on_nodes() {
	HOSTS=$(cut -f2 "$TMP/vjobs" | tr '\n' ',' | sed 's/,$//')
	rm -rf "$TMP/out"
	run_nodes verify verify_job
	vrc=$?
	while IFS='	' read -r h st why; do
		if [ "$st" != 0 ]; then
			warn "$h: the deep check could not run: $why"
			continue
		fi
		check_defects "$h" "$TMP/out/$h.out"
	done <"$TMP/outcome"
	return $vrc
}

# progress TEXT: a line of progress, on a terminal only.
PROGRESS=
progress() { [ -z "$PROGRESS" ] || printf '%s\n' "$1" >&2; }

# host_selected HOST: in --hosts (or no --hosts given).
host_selected() {
	[ -z "$VHOSTS" ] && return 0
	case ,$VHOSTS, in *,"$1",*) return 0 ;; esac
	return 1
}

# check_objects HOST RECORDS: download, decode and compare every file of
# RECORDS (cb-manifest restore records), writing nothing.
check_objects() {
	s3get -0 --list --check --unpack -j "${CONCURRENCY:-8}" $PROGRESS "s3://$BUCKET" \
	    <"$2" >"$TMP/vres" 2>"$TMP/verr"
	crc=$?
	# 0, or 1, 65, 66 with a failed record per bad file: checked.  Any
	# other status, or a record short: the check could not run.
	case $crc in
	0|1|65|66) ;;
	69|75|77) cat "$TMP/verr" >&2; return $crc ;;
	*) cat "$TMP/verr" >&2; warn "cannot check the objects of $1 (cb-s3get exit $crc)"; return 70 ;;
	esac
	if [ "$(tr -cd '\0' <"$TMP/vres" | wc -c)" != "$(tr -cd '\0' <"$2" | wc -c)" ]; then
		cat "$TMP/verr" >&2
		warn "the check of $1 stopped short: not every object was checked"
		return 70
	fi
	check_defects "$1" "$TMP/vres"
	return 0
}

# check_defects HOST RESULTS: a defect for each file of the cb-s3get
# --check result records RESULTS (NUL) that is not ok.
check_defects() {
	tr '\0' '\n' <"$2" | awk -F'\t' '$1 != "ok"' | while IFS='	' read -r st b sha k p; do
		case $st in
		Mismatch) what="bad checksum or size" ;;
		BadData) what="undecodable" ;;
		NoSuchKey) what="missing" ;;
		*) what="not readable ($st)" ;;
		esac
		defect "$1" "$what" "$k" "$p"
	done
}

VSNAP=LATEST VALL=0 DEEP=0 JSON= VHOSTS= ON_NODES=0

cmd_verify() {
	while [ $# -gt 0 ]; do
		# (--hosts is verify's own; the ssh options serve --on-nodes)
		case $1 in
		--hosts|--hosts=*|--host|--host=*) ;;
		*) if common_opt "$@"; then shift "$OPTN"; continue; fi ;;
		esac
		case $1 in
		-h|--help) usage_verify; exit 0 ;;
		--on-nodes|--on-nodes=*) opt_bool "$@"; ON_NODES=$OPTV ;;
		--snapshot-name|--snapshot-name=*) opt_value snapshot-name "$@"; VSNAP=$OPTV ;;
		--all|--all=*) opt_bool "$@"; VALL=$OPTV ;;
		--hosts|--hosts=*|--host|--host=*) opt_value hosts "$@"; VHOSTS=$OPTV ;;
		--deep|--deep=*) opt_bool "$@"; DEEP=$OPTV ;;
		--concurrency|--concurrency=*) opt_value concurrency "$@"; CONCURRENCY=$OPTV ;;
		--json) JSON=--json; OPTN=1 ;;
		*) warn "unknown verify option '$1'"; usage_verify >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	case $VSNAP in
	''|.|..|*/*|*[!A-Za-z0-9._-]*) bad --snapshot-name "$VSNAP" "expected LATEST or a backup name" ;;
	esac
	[ "$ON_NODES" = 0 ] || [ "$DEEP" = 1 ] || die $EX_USAGE "--on-nodes needs --deep"
	# The node options are checked as for a backup (a stand-in host list:
	# the nodes are the backup's).
	HOSTS=${VHOSTS:-localhost}
	check_common
	HOSTS=
	plain --hosts "$VHOSTS"
	VHOSTS=$(printf '%s' "$VHOSTS" | tr -s ', ' ',,' | sed 's/^,//; s/,$//')
	[ -t 2 ] && PROGRESS=--progress
	setup_tmp
	if [ "$VALL" = 1 ] || [ "$VSNAP" = LATEST ]; then
		# Every backup with a manifest, newest first, as list has them
		# (a purged one's tombstone is not a backup; names are
		# [A-Za-z0-9._-]: no JSON escapes in them).  LATEST is the
		# newest, complete or not: an incomplete one is a defect to
		# report, not one to skip.
		catalog
		cb-manifest list --json <"$TMP/catalog" 2>/dev/null |
		    grep -v '"format": null' |
		    sed -n 's/^ *{"name": "\([^"]*\)".*/\1/p' >"$TMP/vnames"
		[ -s "$TMP/vnames" ] || die $EX_NOINPUT "no backup under 's3://$BUCKET/$BASE/' to verify"
		[ "$VALL" = 1 ] || { head -1 "$TMP/vnames" >"$TMP/vnames.1"; mv "$TMP/vnames.1" "$TMP/vnames"; }
	else
		echo "$VSNAP" >"$TMP/vnames"
	fi
	[ -n "$JSON" ] && [ "$VALL" = 1 ] && echo "["
	worst=0 n=0
	while IFS= read -r v; do
		[ -n "$JSON" ] && [ "$VALL" = 1 ] && [ "$n" -gt 0 ] && echo ","
		n=$((n + 1))
		verify_one "$v" </dev/null
		rc=$?
		[ "$rc" -gt "$worst" ] && worst=$rc
	done <"$TMP/vnames"
	[ -n "$JSON" ] && [ "$VALL" = 1 ] && echo "]"
	return $worst
}

# ---- purge ---------------------------------------------------------------

PKEEP= POLDER= PNAME= DRY_RUN= GRACE=24

# s3del KEYS-FILE: delete the keys (NUL records) with DeleteObjects, in
# batches of up to 1000; every key's result is checked.
s3del() {
	[ -s "$1" ] || return 0
	s3put -0 --delete --list "s3://$BUCKET" <"$1" >"$TMP/del.out" ||
	    die $? "purge stopped: deleting objects failed; run it again to finish"
}

# keep_named NAME: add to $TMP/keep what kept backup NAME names.
keep_named() {
	tr '\0' '\n' <"$TMP/all" | cut -f4 |
	    awk -v p="$BASE/$1/" 'index($0, p) == 1' >"$TMP/under"
	mf=$(awk -F'\t' -v n="$1" '$1 == n { print $2; exit }' "$TMP/catalog")
	if [ "$mf" = - ] || ! cb-manifest info <"$mf" 2>/dev/null | grep -qx 'format	cluster 1'; then
		# No manifest (within the grace: it may be running), seed
		# format, or unreadable: all of it stays.
		cat "$TMP/under" >>"$TMP/keep"
	fi
	grep -x "$BASE/$1/manifest.json" "$TMP/under" >>"$TMP/keep"
	awk -v p="$BASE/$1/" 'index($0, p) == 1 && substr($0, length(p) + 1) ~ /^[^\/]*\/manifest-[^\/]*\.json$/' \
	    "$TMP/under" >"$TMP/nms"
	cat "$TMP/nms" >>"$TMP/keep"
	while IFS= read -r k; do
		fetch "$k" "$TMP/nm.json" || die $? "cannot read 's3://$BUCKET/$k'"
		[ -e "$TMP/nm.json" ] || continue
		cb-manifest refs "$TMP/nm.json" >>"$TMP/keep" ||
		    die $EX_DATAERR "cannot read the node manifest 's3://$BUCKET/$k'; purging nothing"
	done <"$TMP/nms"
	return 0
}

cmd_purge() {
	while [ $# -gt 0 ]; do
		case $1 in
		-h|--help) usage_purge; exit 0 ;;
		--keep|--keep=*) opt_value keep "$@"; PKEEP=$OPTV ;;
		--older-than|--older-than=*) opt_value older-than "$@"; POLDER=$OPTV ;;
		--snapshot-name|--snapshot-name=*) opt_value snapshot-name "$@"; PNAME=$OPTV ;;
		--dry-run|--dry-run=*) opt_bool "$@"; [ "$OPTV" = 1 ] && DRY_RUN=--dry-run ;;
		--grace|--grace=*) opt_value grace "$@"; GRACE=$OPTV ;;
		--json) JSON=--json; OPTN=1 ;;
		*) warn "unknown purge option '$1'"; usage_purge >&2; exit $EX_USAGE ;;
		esac
		shift "$OPTN"
	done
	set --
	[ -z "$PKEEP" ] || { int --keep "$PKEEP" 1 100000; set -- "$@" --keep "$PKEEP"; }
	[ -z "$POLDER" ] || { int --older-than "$POLDER" 1 100000; set -- "$@" --older-than "$POLDER"; }
	if [ -n "$PNAME" ]; then
		case $PNAME in
		.|..|*/*|*[!A-Za-z0-9._-]*|LATEST) bad --snapshot-name "$PNAME" "expected a backup name" ;;
		esac
		set -- "$@" --name "$PNAME"
	fi
	[ $# -eq 2 ] || die $EX_USAGE "purge needs one of --keep, --older-than and --snapshot-name"
	int --grace "$GRACE" 0 100000
	setup_tmp
	RUN=$(date -u +%Y%m%dT%H%M%SZ)
	# No backup runs while a purge decides what is unreferenced.
	lock_take purge
	catalog
	s3get --ls -0 "s3://$BUCKET/$BASE/" >"$TMP/all" ||
	    die $? "cannot list 's3://$BUCKET/$BASE/'"
	# NAME TAB NEWEST-OBJECT-TIME, for backups without a manifest.
	tr '\0' '\n' <"$TMP/all" | awk -F'\t' -v base="$BASE/" '
	    index($4, base) == 1 { r = substr($4, length(base) + 1)
		if ((i = index(r, "/")) == 0) next
		n = substr(r, 1, i - 1); if (!(n in t) || $2 > t[n]) t[n] = $2 }
	    END { for (n in t) print n "\t" t[n] }' >"$TMP/ages"
	cb-manifest purge-plan "$@" --grace "$GRACE" --ages "$TMP/ages" \
	    <"$TMP/catalog" >"$TMP/plan" || exit $?
	if [ -n "$PNAME" ] && ! grep -q '^purge	' "$TMP/plan"; then
		grep -q '^gone	' "$TMP/plan" &&
		    die $EX_NOINPUT "backup '$PNAME' was purged already (later backups still name some of its objects)"
		die $EX_NOINPUT "backup '$PNAME' not found under 's3://$BUCKET/$BASE/'"
	fi
	# What the remaining backups name: their manifests, every object their
	# node manifests (all of them, complete or not) name, and for a
	# seed-format one everything under its name.
	: >"$TMP/keep"
	mkdir -p "$TMP/nm"
	i=0
	while IFS='	' read -r d pn why; do
		[ "$d" = keep ] && keep_named "$pn"
	done <"$TMP/plan"
	LC_ALL=C sort -u "$TMP/keep" >"$TMP/keep.s"
	# Candidates: everything under a purged backup's name, and anything
	# under the base path older than the grace; minus what is named.
	cutoff=$(date -u -d "@$(( $(date -u +%s) - GRACE * 3600 ))" +%Y-%m-%dT%H:%M:%S)
	awk -F'\t' '$1 == "purge" { print $2 }' "$TMP/plan" >"$TMP/pnames"
	# (and the names purged before, whose tombstones stay while objects
	# under them are still named)
	awk -F'\t' '$1 == "purge" || $1 == "gone" { print $2 }' "$TMP/plan" >"$TMP/pgone"
	tr '\0' '\n' <"$TMP/all" | awk -F'\t' -v base="$BASE/" -v cutoff="$cutoff" \
	    -v lock="$BASE/$LOCK_NAME" '
	    NR == FNR { p[$0] = 1; next }
	    $1 == "-" || $4 == lock || index($4, base) != 1 { next }
	    { r = substr($4, length(base) + 1); i = index(r, "/"); if (i == 0) next
	      n = substr(r, 1, i - 1)
	      if ((n in p) || substr($2, 1, 19) <= cutoff) print $4 "\t" $1 }' \
	    "$TMP/pgone" - | LC_ALL=C sort -t '	' -k1,1 >"$TMP/cand"
	LC_ALL=C join -t '	' -v 1 "$TMP/cand" "$TMP/keep.s" >"$TMP/gone"
	# The report's records, in the order things go.
	{
		awk -F'\t' '{ printf "%s\t%s\t%s%c", $1, $2, $3, 0 }' "$TMP/plan"
		awk -F'\t' '{ printf "object\t%s\t%s%c", $2, $1, 0 }' "$TMP/gone"
	} >"$TMP/prep"
	s3get --ls --uploads -0 "s3://$BUCKET/$BASE/" >"$TMP/uploads" ||
	    die $? "cannot list the multipart uploads under 's3://$BUCKET/$BASE/'"
	tr '\0' '\n' <"$TMP/uploads" | awk -F'\t' -v cutoff="$cutoff" \
	    'substr($1, 1, 19) <= cutoff { printf "upload\t%s\t%s%c", $1, $3, 0 }' >>"$TMP/prep"
	if [ -z "$DRY_RUN" ]; then
		# First what makes a backup listed and restorable, so that no
		# broken backup is ever shown complete; then its node
		# manifests; then the objects nothing names.
		cut -f1 "$TMP/gone" >"$TMP/gone.k"
		tomb=$(date -u +%Y-%m-%dT%H:%M:%SZ)
		while IFS= read -r pn; do
			printf '{"format": "cassandra-backups purged backup", "version": 1, "name": "%s", "purged": "%s"}\n' \
			    "$pn" "$tomb" >"$TMP/tomb.json"
			s3put "s3://$BUCKET/$BASE/$pn/manifest.json" "$TMP/tomb.json" >/dev/null ||
			    die $? "purge stopped: cannot write the tombstone of backup '$pn'; run it again to finish"
		done <"$TMP/pnames"
		grep '/manifest-[^/]*\.json$' "$TMP/gone.k" | tr '\n' '\0' >"$TMP/d2"
		s3del "$TMP/d2"
		grep -v '/manifest-[^/]*\.json$' "$TMP/gone.k" | grep -v '/manifest\.json$' |
		    tr '\n' '\0' >"$TMP/d3"
		s3del "$TMP/d3"
		# The tombstones (and manifests of what is not a backup) whose
		# names hold nothing else now.
		tr '\0' '\n' <"$TMP/all" | cut -f4 | LC_ALL=C sort >"$TMP/all.k"
		LC_ALL=C sort "$TMP/gone.k" | LC_ALL=C comm -23 "$TMP/all.k" - >"$TMP/left"
		while IFS= read -r pn; do
			awk -v p="$BASE/$pn/" 'index($0, p) == 1 && $0 != p "manifest.json"' "$TMP/left" |
			    grep -q . || printf '%s\0' "$BASE/$pn/manifest.json"
		done <"$TMP/pgone" >"$TMP/d4"
		grep '/manifest\.json$' "$TMP/gone.k" | while IFS= read -r k; do
			n=${k#"$BASE/"} n=${n%/manifest.json}
			grep -qx -- "$n" "$TMP/pgone" || printf '%s\0' "$k"
		done >>"$TMP/d4"
		s3del "$TMP/d4"
		if grep -q '^upload	' "$TMP/prep" 2>/dev/null || tr '\0' '\n' <"$TMP/prep" | grep -q '^upload	'; then
			s3put --abort-uploads --older-than "$((GRACE * 3600))" "s3://$BUCKET/$BASE/" >/dev/null ||
			    die $? "purge stopped: aborting multipart uploads failed; run it again to finish"
		fi
	fi
	cb-manifest report purge -0 $DRY_RUN $JSON <"$TMP/prep" >"$TMP/summary"
	pr=$?
	cat "$TMP/summary"
	[ -n "$JSON" ] || SUM_FILE=$TMP/summary
	return $pr
}

# ---- main ----------------------------------------------------------------

CMD=
# The config file's options go first, so that the command line's win:
# its global ones before the global options, the command's before the
# command's options; both are parsed and checked as if typed.
parse_global "$@"
config_load
n=$#
while IFS= read -r a; do [ -z "$a" ] || set -- "$@" "$a"; done <<EOF
$CFG_G
EOF
while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done
parse_global "$@"
shift $(($# - REST_ARGS))
n=$#
while IFS= read -r a; do [ -z "$a" ] || set -- "$@" "$a"; done <<EOF
$CFG_C
EOF
while [ "$n" -gt 0 ]; do set -- "$@" "$1"; shift; n=$((n - 1)); done
case $CMD:$* in
*:-h*|*:--help*) ;;
*) check_global ;;
esac
case $CMD in
backup) cmd_backup "$@" ;;
restore) cmd_restore "$@" ;;
list) cmd_list "$@" ;;
verify) cmd_verify "$@" ;;
purge) cmd_purge "$@" ;;
esac
