#!/bin/sh
# cb-node: the work of one node in a cassandra-backups run (cb-node(1)).
#
#	cb-node backup HOST <JOB	snapshot, upload, node manifest
#	cb-node restore HOST <JOB	node manifest, download, verify, and
#					with load import|refresh, load
#	cb-node load HOST <JOB		load restart: the restored files into
#					the stopped node (cb-load restart)
#	cb-node schema HOST <JOB	the backup's schema into the cluster
#	cb-node verify HOST <JOB	node manifest, download and check
#	cb-node ring HOST <JOB		the ring as nodetool status shows it
#
# The job is data: KEY TAB VALUE lines on stdin, ending with "end", with
# the credentials among them.  Every value is used as one argument of a
# program and never evaluated by a shell: there is no eval here, and no
# code in the job.  The programs' exit statuses are passed on.

PROG=cb-node
VERSION=@VERSION@

case $0 in
*/*) PATH=$(cd "${0%/*}" && pwd):$PATH ;;
esac
export PATH

say() { printf '%s: %s\n' "$PROG" "$*" >&2; }
warning() { printf '%s: warning: %s\n' "$PROG" "$*" >&2; printf '%s\n' "$*" >>"$WARNINGS"; }

# fail STATUS WHAT [STEP-ERR-FILE]: the node's first cause, then exit.
# The line "cb-node: error: ..." is the cause the driver reports.
fail() {
	st=$1 what=$2
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		cat "$3" >&2
		# The first message, with the line it announces if it ends in ':'.
		cause=$(grep -v ': warning: ' "$3" | grep -v '^[[:space:]]*$' |
		    awk 'NR == 1 { l = $0; if (l !~ /:$/) exit; next }
			 { l = l " " $0; exit } END { print l }')
		[ -n "$cause" ] && what="$what: $cause"
	fi
	printf '%s: error: %s\n' "$PROG" "$what" | tr -d '\r' >&2
	exit "$st"
}

# relay ERR-FILE: a step's messages, its warnings also kept for the manifest.
relay() {
	[ -s "$1" ] || return 0
	cat "$1" >&2
	grep ': warning: ' "$1" | sed 's/^[^:]*: warning: //' >>"$WARNINGS"
	return 0
}

usage() {
	echo "usage: cb-node backup|restore|load|schema|verify|ring HOST [--results DIR] <JOB" >&2
	echo "       cb-node -h | -V" >&2
}

case ${1:-} in
-h|--help) usage; exit 0 ;;
-V|--version) echo "cb-node $VERSION"; exit 0 ;;
backup|restore|load|schema|verify|ring) ;;
*) usage; exit 64 ;;
esac
CMD=$1 HOST=${2:-}
# --results DIR: the run's standard output, standard error and exit
# status into DIR/HOST.out, .err and .status (written last), for a
# fan-out that is not cb-fanout's (cassandra-backups(1) --prepare).
if [ $# -eq 4 ] && [ "$3" = --results ]; then
	d=$4
	case $d in
	/*) ;;
	*) say "error: --results '$d': expected an absolute path"; exit 64 ;;
	esac
	case $HOST in
	''|.*|*/*) say "error: host '$HOST' cannot name a results file"; exit 64 ;;
	esac
	(umask 077; mkdir -p "$d" && rm -f "$d/$HOST.status" &&
	    : >"$d/$HOST.out" && : >"$d/$HOST.err") ||
	    { say "error: cannot create the results directory '$d'"; exit 73; }
	"$0" "$CMD" "$HOST" >"$d/$HOST.out" 2>"$d/$HOST.err"
	st=$?
	printf '%s\n' "$st" >"$d/.$HOST.status" && mv -f "$d/.$HOST.status" "$d/$HOST.status" ||
	    { say "error: cannot write into '$d'"; exit 73; }
	exit "$st"
fi
[ $# -eq 2 ] && [ -n "$HOST" ] || { usage; exit 64; }

# ---- the job -------------------------------------------------------------

BUCKET= PREFIX= NAME= RUN= TAG= KIND= KEY= MANIFEST= REFERENCE= HAVE_HOST=0
STATE_DIR=
ENDPOINT= REGION= ADDRESSING= CA_BUNDLE= CONNECT_TO= PROFILE= VERBOSE=
SSE= KMS_KEY= STORAGE_CLASS= RATE_LIMIT= CONCURRENCY= PART_SIZE=
CONF= TOOLS= NICE= CQLSH_USER= CQLSH_PASSWORD= JMX_USER= JMX_PWFILE=
CQLSH_SSL= CQLSH_CERTFILE= CQLSH_VALIDATE= CQLSH_USERCERT= CQLSH_USERKEY= CQLSH_CQLSHRC=
KEYSPACES= TABLE= EXCLUDE= EXCLUDE_SYSTEM= RESTORE_DIR=
LOAD= OWNER= STOP_CMD= START_CMD= START_TIMEOUT= PROGRESS= TOKENS=
version= ended=0

while IFS= read -r line; do
	k=${line%%	*}
	v=${line#*	}
	[ "$k" = "$line" ] && v=
	case $k in
	cb-job) version=$v ;;
	end) ended=1; break ;;
	bucket) BUCKET=$v ;;
	prefix) PREFIX=$v ;;
	name) NAME=$v ;;
	run) RUN=$v ;;
	tag) TAG=$v ;;
	endpoint) ENDPOINT=$v ;;
	region) REGION=$v ;;
	addressing-style) ADDRESSING=$v ;;
	ca-bundle) CA_BUNDLE=$v ;;
	connect-to) CONNECT_TO=$v ;;
	profile) PROFILE=$v ;;
	verbose) VERBOSE=$v ;;
	sse) SSE=$v ;;
	sse-kms-key-id) KMS_KEY=$v ;;
	storage-class) STORAGE_CLASS=$v ;;
	rate-limit) RATE_LIMIT=$v ;;
	concurrency) CONCURRENCY=$v ;;
	part-size) PART_SIZE=$v ;;
	cassandra-conf-path) CONF=$v ;;
	cassandra-tools-bin-dir) TOOLS=$v ;;
	nice) NICE=$v ;;
	cqlsh-user) CQLSH_USER=$v ;;
	cqlsh-password) CQLSH_PASSWORD=$v ;;
	cqlsh-ssl) CQLSH_SSL=$v ;;
	cqlsh-certfile) CQLSH_CERTFILE=$v ;;
	cqlsh-validate)
		case $v in
		1) CQLSH_VALIDATE=--cqlsh-validate ;;
		0) CQLSH_VALIDATE=--no-cqlsh-validate ;;
		*) say "invalid cqlsh-validate '$v' in the job: expected 0 or 1"; exit 64 ;;
		esac ;;
	cqlsh-usercert) CQLSH_USERCERT=$v ;;
	cqlsh-userkey) CQLSH_USERKEY=$v ;;
	cqlsh-cqlshrc) CQLSH_CQLSHRC=$v ;;
	jmx-user) JMX_USER=$v ;;
	jmx-password-file) JMX_PWFILE=$v ;;
	keyspaces) KEYSPACES=$v ;;
	table) TABLE=$v ;;
	exclude-tables) EXCLUDE=$v ;;
	exclude-system) EXCLUDE_SYSTEM=1 ;;
	restore-dir) RESTORE_DIR=$v ;;
	state-dir) STATE_DIR=$v ;;
	load) LOAD=$v ;;
	owner) OWNER=$v ;;
	stop-command) STOP_CMD=$v ;;
	start-command) START_CMD=$v ;;
	start-timeout) START_TIMEOUT=$v ;;
	progress) PROGRESS=$v ;;
	tokens) TOKENS=$v ;;
	node)
		# node HOST TAB KIND TAB KEY [TAB MANIFEST [TAB REFERENCE]]:
		# this host's part.  (A restore's fourth field is the host of
		# the backup whose files this host gets: --target-hosts.)
		h=${v%%	*} rest=${v#*	}
		if [ "$h" = "$HOST" ]; then
			HAVE_HOST=1
			KIND=${rest%%	*}
			KEY=${rest#*	}
			case $KEY in
			*'	'*) MANIFEST=${KEY#*	} KEY=${KEY%%	*} ;;
			esac
			case $MANIFEST in
			*'	'*) REFERENCE=${MANIFEST#*	} MANIFEST=${MANIFEST%%	*} ;;
			esac
		fi ;;
	env)
		n=${v%%	*} val=${v#*	}
		case $n in
		AWS_ACCESS_KEY_ID) AWS_ACCESS_KEY_ID=$val; export AWS_ACCESS_KEY_ID ;;
		AWS_SECRET_ACCESS_KEY) AWS_SECRET_ACCESS_KEY=$val; export AWS_SECRET_ACCESS_KEY ;;
		AWS_SESSION_TOKEN) AWS_SESSION_TOKEN=$val; export AWS_SESSION_TOKEN ;;
		CB_SSE_C_KEY) CB_SSE_C_KEY=$val; export CB_SSE_C_KEY ;;
		*) say "the job sets an unknown variable"; exit 64 ;;
		esac ;;
	*) say "unknown job key '$k'"; exit 64 ;;
	esac
done
unset line v val
[ "$version" = 1 ] || { say "not a cb-node job of version 1 on stdin"; exit 64; }
[ "$ended" = 1 ] || { say "the job on stdin is truncated (no 'end' line)"; exit 64; }
[ -n "$BUCKET" ] && [ -n "$PREFIX" ] || { say "the job lacks its bucket or prefix"; exit 64; }
[ "$HAVE_HOST" = 1 ] || { say "the job has no part for host '$HOST'"; exit 64; }
exec </dev/null

# ---- how the programs are called -----------------------------------------

# s3 PROGRAM ARGS...: a cb-s3* program with the job's S3 options.
s3() {
	p=$1
	shift
	${WITH_NICE:+nice -n "$WITH_NICE"} "$p" -q ${ENDPOINT:+--endpoint "$ENDPOINT"} ${REGION:+--region "$REGION"} \
	    ${ADDRESSING:+--addressing-style "$ADDRESSING"} \
	    ${CA_BUNDLE:+--ca-bundle "$CA_BUNDLE"} \
	    ${CONNECT_TO:+--connect-to "$CONNECT_TO"} \
	    ${PROFILE:+--profile "$PROFILE"} ${VERBOSE:+-v} "$@"
}
# put ARGS...: cb-s3put with how new objects are written.
put() {
	s3 cb-s3put ${SSE:+--sse "$SSE"} ${KMS_KEY:+--sse-kms-key-id "$KMS_KEY"} \
	    ${STORAGE_CLASS:+--storage-class "$STORAGE_CLASS"} "$@"
}
# metered ERRFILE COMMAND ARGS...: COMMAND (cb-s3put or cb-s3get in list
# mode, through put or s3) with its standard error in ERRFILE.  With the
# job's progress key, ARGS hold --progress=SECONDS, and the lines it
# gives ("PROG: progress ...") go to standard error as they come (the
# driver draws them from cb-fanout's HOST.err), not into ERRFILE.
# Returns COMMAND's status.
metered() {
	m_err=$1
	shift
	if [ -z "$PROGRESS" ]; then
		"$@" 2>"$m_err"
		return
	fi
	rm -f "$tmp/progress.fifo"
	mkfifo "$tmp/progress.fifo" || fail 1 "cannot create a FIFO in '$tmp'"
	tee "$m_err.all" <"$tmp/progress.fifo" |
	    grep -E '^cb-s3(get|put): progress ' >&2 &
	m_pid=$!
	"$@" 2>"$tmp/progress.fifo"
	m_rc=$?
	wait "$m_pid"
	grep -Ev '^cb-s3(get|put): progress ' "$m_err.all" >"$m_err"
	rm -f "$tmp/progress.fifo" "$m_err.all"
	return "$m_rc"
}
# snap ARGS...: cb-snapshot on this node's Cassandra.
snap() {
	cb-snapshot ${TOOLS:+--cassandra-tools-bin-dir "$TOOLS"} \
	    ${CONF:+--cassandra-conf-path "$CONF"} \
	    ${JMX_USER:+--jmx-user "$JMX_USER" --jmx-password-file "$JMX_PWFILE"} "$@"
}
WITH_NICE=

tmp=$(mktemp -d "${TMPDIR:-/tmp}/cb-node.XXXXXX") || {
	say "error: cannot create a temporary directory"; exit 1; }
WARNINGS=$tmp/warnings
: >"$WARNINGS"
trap 'exit 143' TERM
trap 'exit 130' INT
trap 'exit 129' HUP
trap 'exit 141' PIPE

# cq PROGRAM ARGS...: PROGRAM ARGS and the job's cqlsh options, login
# and TLS, for cb-snapshot schema and cb-load; the password through a
# private file.
cq() {
	if [ -n "$CQLSH_PASSWORD" ] && [ ! -e "$tmp/cqlpw" ]; then
		(umask 077; printf '%s\n' "$CQLSH_PASSWORD" >"$tmp/cqlpw")
	fi
	"$@" ${CQLSH_USER:+--cqlsh-user "$CQLSH_USER"} \
	    ${CQLSH_PASSWORD:+--cqlsh-password-file "$tmp/cqlpw"} \
	    ${CQLSH_SSL:+--cqlsh-ssl} ${CQLSH_VALIDATE:+"$CQLSH_VALIDATE"} \
	    ${CQLSH_CERTFILE:+--cqlsh-certfile "$CQLSH_CERTFILE"} \
	    ${CQLSH_USERCERT:+--cqlsh-usercert "$CQLSH_USERCERT"} \
	    ${CQLSH_USERKEY:+--cqlsh-userkey "$CQLSH_USERKEY"} \
	    ${CQLSH_CQLSHRC:+--cqlsh-cqlshrc "$CQLSH_CQLSHRC"}
}

# ld ARGS...: cb-load on this node's Cassandra.
ld() {
	cq cb-load -0 ${TOOLS:+--cassandra-tools-bin-dir "$TOOLS"} \
	    ${CONF:+--cassandra-conf-path "$CONF"} \
	    ${JMX_USER:+--jmx-user "$JMX_USER" --jmx-password-file "$JMX_PWFILE"} \
	    ${OWNER:+--owner "$OWNER"} "$@"
}

# count FILE: NUL-terminated records in FILE.
count() { tr -cd '\0' <"$1" | wc -c | tr -d ' '; }

# ---- backup --------------------------------------------------------------

# The node's state, kept between runs (cb-node(1)): a lock that one backup
# run holds at a time, what the last run was (attempt: bucket, prefix,
# tag, started, manifest, done) and the result records of the uploads of
# the runs of that backup (results), so that a rerun after an
# interruption neither uploads again what was uploaded nor leaks the
# snapshot it took.
ST=
state_open() {
	d=${STATE_DIR:-/var/tmp/cassandra-backups.$(id -u)}
	(umask 077; mkdir -p "$d") 2>"$tmp/step.err" ||
	    fail 73 "cannot create the state directory '$d'" "$tmp/step.err"
	# Ours alone: it decides what is uploaded again.
	[ -d "$d" ] && [ ! -h "$d" ] && [ -O "$d" ] ||
	    fail 77 "the state directory '$d' is not a directory of this user's; remove it or set --state-dir"
	ST=$d/$(printf '%s' "$HOST" | tr -c 'A-Za-z0-9._:-' _)
	mkdir -p "$ST" 2>"$tmp/step.err" ||
	    fail 73 "cannot create '$ST'" "$tmp/step.err"
	# fd 9 holds the lock, in the programs we start too: an upload that
	# outlives a killed cb-node still keeps the next run waiting.
	exec 9>>"$ST/lock" || fail 73 "cannot open '$ST/lock'"
	if ! flock -n 9; then
		say "waiting for the backup run that holds $ST/lock"
		flock -w "${TIMEOUT_WAIT:-3600}" 9 ||
		    fail 75 "another backup run on this node holds '$ST/lock'"
	fi
}
# attempt KEY: a value of the last run's record.
attempt() { sed -n "s/^$1	//p" "$ST/attempt" 2>/dev/null | head -1; }
attempt_write() {
	{
		printf 'bucket\t%s\nprefix\t%s\nrun\t%s\ntag\t%s\nstarted\t%s\n' \
		    "$BUCKET" "$PREFIX" "$RUN" "${1:--}" "$STARTED"
		[ -z "${2:-}" ] || printf 'manifest\t%s\n' "$2"
		[ -z "${3:-}" ] || printf 'done\t1\n'
	} >"$ST/attempt.new" && mv -f "$ST/attempt.new" "$ST/attempt" ||
	    fail 73 "cannot write '$ST/attempt'"
}

cleared=1
clear_snapshot() {
	[ "$cleared" = 0 ] || return 0
	cleared=1
	# Not through stderr: if the driver is gone, writing there kills us.
	if snap clear -t "$TAG" >/dev/null 2>"$tmp/clear.err"; then
		relay "$tmp/clear.err"
		# (so that a rerun does not clear it again)
		[ -z "$ST" ] || sed -i "s/^tag	.*/tag	-/" "$ST/attempt" 2>/dev/null
		return 0
	fi
	relay "$tmp/clear.err"
	warning "cannot clear snapshot '$TAG'"
}

# resume_prepare: what an earlier run left.  Its snapshot is cleared (this
# run takes its own); the results of uploads of this same backup are kept
# for reuse, others dropped; a run of this backup that did not finish has
# its in-progress multipart uploads aborted (none can be running: we hold
# the lock).  Sets RESUMING, OLD_MANIFEST, OLD_STARTED.
RESUMING=0 OLD_MANIFEST= OLD_STARTED=
resume_prepare() {
	[ -s "$ST/attempt" ] || { rm -f "$ST/results"; return 0; }
	otag=$(attempt tag)
	if [ -n "$otag" ] && [ "$otag" != - ] && [ "$(attempt done)" != 1 ]; then
		if snap clear -t "$otag" >/dev/null 2>"$tmp/step.err"; then
			say "cleared snapshot '$otag' of an interrupted run"
		else
			relay "$tmp/step.err"
			warning "cannot clear snapshot '$otag' of an interrupted run"
		fi
	fi
	if [ "$(attempt bucket)" != "$BUCKET" ] || [ "$(attempt prefix)" != "$PREFIX" ]; then
		rm -f "$ST/results" "$ST/attempt"
		return 0
	fi
	OLD_MANIFEST=$(attempt manifest) OLD_STARTED=$(attempt started)
	if [ "$(attempt done)" = 1 ]; then
		# Finished, but its manifest is not the one the driver gave
		# as this host's: the run was not recorded (the driver died,
		# or gave up on it), so what it wrote is taken over here.
		[ -n "$OLD_MANIFEST" ] && [ "$OLD_MANIFEST" != "$KEY" ] || return 0
		RESUMING=1
		return 0
	fi
	RESUMING=1
	say "resuming the interrupted run $(attempt run) of this backup"
	s3 cb-s3put --abort-uploads "s3://$BUCKET/$PREFIX/$HOST/" >/dev/null \
	    2>"$tmp/step.err" || {
		relay "$tmp/step.err"
		warning "cannot abort the multipart uploads of the interrupted run"
	}
}

# reuse_plan REFERENCE-OR-EMPTY: split $tmp/files into $tmp/upload and
# $tmp/reused (cb-manifest reuse), from the objects the reference and the
# kept results name, checked against one listing per prefix.
reuse_plan() {
	ref=$1
	: >"$tmp/objects"
	set -- ${ref:+--reference "$ref"}
	[ -s "$ST/results" ] && { cp "$ST/results" "$tmp/kept"; set -- "$@" --results "$tmp/kept"; }
	if [ $# -eq 0 ]; then
		cp "$tmp/files" "$tmp/upload"
		: >"$tmp/reused"
		return 0
	fi
	cb-manifest reuse -0 --prefixes --base-path "$BASE" "$@" \
	    >"$tmp/prefixes" 2>"$tmp/step.err" ||
	    fail $? "cannot read the objects of earlier runs" "$tmp/step.err"
	while IFS= read -r p; do
		s3 cb-s3get --ls -0 "s3://$BUCKET/$p" >>"$tmp/objects" \
		    2>"$tmp/step.err" ||
		    fail $? "cannot list 's3://$BUCKET/$p'" "$tmp/step.err"
	done <"$tmp/prefixes"
	cb-manifest reuse -0 "$@" --objects "$tmp/objects" \
	    ${HOST_ID:+--host-id "$HOST_ID"} --reused "$tmp/reused" \
	    <"$tmp/files" >"$tmp/upload" 2>"$tmp/step.err" ||
	    fail $? "cannot tell the stored files from the new" "$tmp/step.err"
	relay "$tmp/step.err"
}

# sweep: after a resumed run, the objects of this backup and node that
# the interrupted run uploaded and no manifest names (an upload that
# ended as it was killed), and its node manifest if it wrote one.
sweep() {
	[ "$RESUMING" = 1 ] || return 0
	s3 cb-s3get --ls -0 "s3://$BUCKET/$PREFIX/$HOST/" >"$tmp/own" 2>"$tmp/step.err" || {
		relay "$tmp/step.err"
		warning "cannot list what the interrupted run left"
		return 0
	}
	cb-manifest orphans -0 --objects "$tmp/own" --manifest "$tmp/node.json" \
	    --prefix "$PREFIX/$HOST/" ${OLD_STARTED:+--since "$OLD_STARTED"} \
	    >"$tmp/orphans" 2>"$tmp/step.err" || {
		relay "$tmp/step.err"
		warning "cannot tell the objects the interrupted run left"
		return 0
	}
	if [ -n "$OLD_MANIFEST" ] && [ "$OLD_MANIFEST" != "$KEY" ] &&
	    [ "$OLD_MANIFEST" != "$MANIFEST" ]; then
		printf '%s\0' "$OLD_MANIFEST" >>"$tmp/orphans"
	fi
	tr '\0' '\n' <"$tmp/orphans" | while IFS= read -r k; do
		s3 cb-s3put --delete "s3://$BUCKET/$k" >/dev/null 2>"$tmp/step.err" ||
		    { relay "$tmp/step.err"; warning "cannot delete '$k', left by the interrupted run"; }
	done
}

node_backup() {
	[ -n "$NAME" ] && [ -n "$RUN" ] && [ -n "$TAG" ] && [ -n "$MANIFEST" ] ||
	    fail 64 "the job lacks the backup name, run, tag or manifest key"
	case $KIND in
	full|incremental) ;;
	*) fail 64 "the job gives host '$HOST' an unknown kind '$KIND'" ;;
	esac
	BASE=${PREFIX%/"$NAME"}
	[ "$BASE/$NAME" = "$PREFIX" ] || fail 64 "the job's prefix does not end in its name"
	TOPO_PID= SCHEMA_PID=
	trap 'kill $TOPO_PID $SCHEMA_PID 2>/dev/null; clear_snapshot; rm -rf "$tmp"' EXIT
	STARTED=$(date -u +%Y-%m-%dT%H:%M:%S)
	state_open
	resume_prepare

	# The host id first: a reference of another node is not reused.
	# (in the background, beside the snapshot: each nodetool call is a
	# JVM start on a real node)
	HOST_ID= topo=
	snap -q topology >"$tmp/topology" 2>"$tmp/topo.err" &
	TOPO_PID=$!
	ref=
	if [ "$KIND" = full ]; then
		if [ -n "$REFERENCE" ] && [ "$REFERENCE" != - ]; then
			s3 cb-s3get "s3://$BUCKET/$REFERENCE" "$tmp/ref.json" 2>"$tmp/step.err" ||
			    fail $? "cannot fetch the reference node manifest '$REFERENCE'" "$tmp/step.err"
			ref=$tmp/ref.json
		fi
		attempt_write "$TAG"
		cleared=0
		snap create -t "$TAG" ${KEYSPACES:+--keyspaces "$KEYSPACES"} \
		    ${TABLE:+--table "$TABLE"} >/dev/null 2>"$tmp/step.err" ||
		    fail $? "cannot create snapshot '$TAG'" "$tmp/step.err"
		relay "$tmp/step.err"
		cb-list -0 ${CONF:+--cassandra-conf-path "$CONF"} --snapshot "$TAG" \
		    ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"} \
		    ${EXCLUDE:+--exclude-tables "$EXCLUDE"} \
		    >"$tmp/files" 2>"$tmp/step.err" ||
		    fail $? "cannot list the files of snapshot '$TAG'" "$tmp/step.err"
	else
		s3 cb-s3get "s3://$BUCKET/$KEY" "$tmp/prev.json" 2>"$tmp/step.err" ||
		    fail $? "cannot fetch the previous node manifest '$KEY'" "$tmp/step.err"
		ref=$tmp/prev.json
		attempt_write -
		snap flush ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"} \
		    >/dev/null 2>"$tmp/step.err" ||
		    fail $? "cannot flush" "$tmp/step.err"
		relay "$tmp/step.err"
		cb-list -0 ${CONF:+--cassandra-conf-path "$CONF"} --backups \
		    ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"} \
		    ${EXCLUDE:+--exclude-tables "$EXCLUDE"} \
		    >"$tmp/files" 2>"$tmp/step.err" ||
		    fail $? "cannot list the incremental backups" "$tmp/step.err"
	fi
	relay "$tmp/step.err"
	if wait "$TOPO_PID"; then
		topo=$tmp/topology
		HOST_ID=$(sed -n 's/^host_id	//p' "$tmp/topology" | head -1)
	fi
	TOPO_PID=
	listed=$(count "$tmp/files")
	# A whole node always has files (its system keyspaces at least): an
	# empty snapshot is a failure, never a complete backup of nothing.
	if [ "$KIND" = full ] && [ "$listed" = 0 ]; then
		[ -n "$KEYSPACES" ] ||
		    fail 1 "snapshot '$TAG' holds no file: nothing of this node would be backed up"
		warning "no file in keyspaces $KEYSPACES${TABLE:+ table $TABLE}"
	fi
	reuse_plan "$ref"
	touploaded=$(count "$tmp/upload")

	# The schema is captured beside the upload (cqlsh starts slowly);
	# with the tag of a full run: its schema.cql files if cqlsh fails.
	stag=
	[ "$KIND" = full ] && stag=$TAG
	cq snap schema ${stag:+-t "$stag"} >"$tmp/schema" 2>"$tmp/schema.err" &
	SCHEMA_PID=$!

	[ "$NICE" = 0 ] || WITH_NICE=$NICE
	# The state keeps the record of each upload the moment it is done
	# (--journal; stdout has them in list order): a killed run leaves the
	# record of every object it completed.  Its progress lines count
	# what is uploaded: the reused files are not in them.
	metered "$tmp/put.err" put -0 --list --pack \
	    ${RATE_LIMIT:+--rate-limit "${RATE_LIMIT}K"} \
	    ${CONCURRENCY:+-j "$CONCURRENCY"} ${PART_SIZE:+--part-size "$PART_SIZE"} \
	    ${PROGRESS:+--progress="$PROGRESS"} --journal "$ST/results" \
	    --key-prefix "$PREFIX/$HOST" --key-suffix .lzo "s3://$BUCKET" \
	    <"$tmp/upload" >"$tmp/uploaded"
	putrc=$?
	WITH_NICE=
	uploaded=$(tr '\0' '\n' <"$tmp/uploaded" | grep -c '^ok	')
	if [ "$putrc" != 0 ] || [ "$uploaded" != "$touploaded" ]; then
		[ "$putrc" != 0 ] || putrc=1
		fail "$putrc" "backup incomplete: $uploaded of $touploaded files uploaded (cb-s3put exit $putrc)" "$tmp/put.err"
	fi
	relay "$tmp/put.err"
	cat "$tmp/reused" "$tmp/uploaded" >"$tmp/results"

	# Topology and schema are captured independently of each other.
	set --
	if [ -n "$topo" ]; then
		set -- --topology "$topo"
	else
		relay "$tmp/topo.err"
		warning "topology not captured: $(grep -v '^[[:space:]]*$' "$tmp/topo.err" | tail -1)"
	fi
	if wait "$SCHEMA_PID"; then
		relay "$tmp/schema.err"
		set -- "$@" --schema "$tmp/schema"
	else
		relay "$tmp/schema.err"
		warning "schema not captured: $(grep -v '^[[:space:]]*$' "$tmp/schema.err" | tail -1)"
	fi
	SCHEMA_PID=
	# The kind of this run: a snapshot that reused objects of an earlier
	# backup is differential.
	kind=$KIND
	if [ "$KIND" = incremental ]; then
		set -- "$@" --previous "$tmp/prev.json"
	elif [ -n "$ref" ]; then
		set -- "$@" --reference "$ref"
		[ -s "$tmp/reused" ] && kind=differential
	fi
	clear_snapshot

	cb-manifest node -0 --backup "$NAME" --run "$RUN" --host "$HOST" \
	    --kind "$kind" --started "$STARTED" ${KEYSPACES:+--keyspaces "$KEYSPACES"} \
	    ${TABLE:+--table "$TABLE"} --warnings "$WARNINGS" "$@" \
	    <"$tmp/results" >"$tmp/node.json" 2>"$tmp/step.err" ||
	    fail $? "cannot build the node manifest" "$tmp/step.err"
	put "s3://$BUCKET/$MANIFEST" "$tmp/node.json" \
	    >/dev/null 2>"$tmp/step.err" ||
	    fail $? "cannot upload the node manifest" "$tmp/step.err"
	attempt_write - "$MANIFEST"
	if [ "$KIND" = incremental ]; then
		# Cassandra never deletes backups/ files: delete what is safely
		# up and recorded, and unchanged since (prune-backups checks).
		snap -q -0 prune-backups --uploaded "$tmp/results" \
		    >/dev/null 2>"$tmp/step.err" || {
			relay "$tmp/step.err"
			warning "cannot delete uploaded backups/ files"
		}
	fi
	sweep
	attempt_write - "$MANIFEST" 1
	cat "$tmp/node.json"
}

# ---- restore -------------------------------------------------------------

# The output of restore, load and schema is records (NUL-terminated), for
# the driver's report (cassandra-backups(1)):
#	files TAB RESTORED TAB WANTED TAB BYTES TAB KEPT
#	failed TAB STATUS TAB PATH	a file not restored (cb-s3get's word)
#	tokens TAB T1,T2,...		the backup host's tokens (--target-hosts)
#	table TAB <cb-load record>	a table loaded, or not (cb-load(1))
#	schema TAB STATEMENTS		the schema applied

# node_manifest: this host's part of the backup into $tmp/node.json, or
# 1 for a seed-format backup (no node manifest).
node_manifest() {
	[ -n "$KEY" ] && [ "$KEY" != - ] || return 1
	s3 cb-s3get "s3://$BUCKET/$KEY" "$tmp/node.json" 2>"$tmp/step.err" ||
	    fail $? "cannot fetch the node manifest '$KEY'" "$tmp/step.err"
}

# load_state: SRC, the backup's host whose files this host gets, and
# DONE, the journal of the tables loaded from them (cb-load --done): a
# rerun after a load that failed part-way neither fetches nor loads
# again what was loaded.  It goes once the whole node is loaded.
load_state() {
	SRC=${MANIFEST:-$HOST}
	case ${LOAD:-none} in
	none|import|refresh|restart) ;;
	*) fail 64 "the job gives an unknown load mode '$LOAD'" ;;
	esac
	DONE=$RESTORE_DIR/.cb-loaded-$(printf '%s' "s3://$BUCKET/$PREFIX/$SRC" | cksum | cut -d' ' -f1)
}

# tokens_of: the backup host's tokens into $tmp/tokens, one a line, when
# the job asks for them; prints the tokens record.
tokens_of() {
	[ -n "$TOKENS" ] || return 0
	[ -s "$tmp/node.json" ] || node_manifest ||
	    fail 65 "a seed-format backup records no tokens"
	cb-manifest topology <"$tmp/node.json" >"$tmp/topology" 2>"$tmp/step.err" ||
	    fail $? "the backup records no tokens for host '$SRC'" "$tmp/step.err"
	sed -n 's/^token	//p' "$tmp/topology" >"$tmp/tokens"
	[ -s "$tmp/tokens" ] || fail 65 "the backup records no tokens for host '$SRC'"
	printf 'tokens\t%s\0' "$(paste -sd, "$tmp/tokens")"
}

# loaded FILE STATUS: cb-load's records as table records; STATUS passed on.
loaded() {
	tr '\0' '\n' <"$1" | sed 's/^/table	/' | tr '\n' '\0'
	return "$2"
}

node_restore() {
	[ -n "$RESTORE_DIR" ] || fail 64 "the job lacks the restore directory"
	trap 'rm -rf "$tmp"' EXIT
	load_state
	set -- ${KEYSPACES:+--keyspaces "$KEYSPACES"} \
	    ${EXCLUDE_SYSTEM:+--exclude-system} ${TABLE:+--table "$TABLE"}
	if [ "${LOAD:-none}" != none ] && [ -s "$DONE" ]; then
		skip=$(awk -F'\t' 'NF == 2 { printf "%s%s.%s", n++ ? "," : "", $1, $2 }' "$DONE")
		say "tables loaded by an earlier run of this restore are not fetched again: $skip (remove $DONE to load them again)"
		set -- "$@" --exclude-tables "$skip"
	fi
	if node_manifest; then
		cb-manifest restore -0 "$@" <"$tmp/node.json" >"$tmp/records" \
		    2>"$tmp/step.err" ||
		    fail $? "refusing to restore: the node manifest is not usable" "$tmp/step.err"
	else
		# A seed-format backup: the keys themselves say where files go.
		s3 cb-s3get --ls -0 "s3://$BUCKET/$PREFIX/$SRC/" >"$tmp/ls" \
		    2>"$tmp/step.err" ||
		    fail $? "cannot list 's3://$BUCKET/$PREFIX/$SRC/'" "$tmp/step.err"
		cb-manifest restore -0 --listing "$PREFIX/$SRC" "$@" \
		    <"$tmp/ls" >"$tmp/records" 2>"$tmp/step.err" ||
		    fail $? "refusing to restore: the backup holds unsafe keys" "$tmp/step.err"
	fi
	relay "$tmp/step.err"
	wanted=$(count "$tmp/records")
	[ "$wanted" -gt 0 ] || [ -s "$DONE" ] || fail 1 "nothing to restore for the selection"
	# Never into, or inside, a directory of this node's Cassandra.
	snap check-restore-dir --restore-dir "$RESTORE_DIR" 2>"$tmp/step.err" ||
	    fail $? "refusing to restore into '$RESTORE_DIR'" "$tmp/step.err"
	mkdir -p "$RESTORE_DIR" 2>"$tmp/step.err" ||
	    fail 1 "cannot create '$RESTORE_DIR'" "$tmp/step.err"
	tokens_of
	[ "$NICE" = 0 ] || WITH_NICE=$NICE
	# Files already in place with the manifest's size and SHA-256 (an
	# interrupted restore) are kept; cb-s3get refuses a restore that
	# does not fit (73) before fetching anything.  Its progress lines go
	# to the driver as they come.
	metered "$tmp/get.err" s3 cb-s3get -0 --list --unpack --keep-verified \
	    -j "${CONCURRENCY:-10}" ${PROGRESS:+--progress="$PROGRESS"} \
	    -C "$RESTORE_DIR" "s3://$BUCKET" <"$tmp/records" >"$tmp/results"
	getrc=$?
	WITH_NICE=
	tr '\0' '\n' <"$tmp/results" | awk -F'\t' -v want="$wanted" '
	    $1 == "ok" || $1 == "kept" { n++; b += $2; k += $1 == "kept"; next }
	    { printf "failed\t%s\t%s%c", $1, $NF, 0 }
	    END { printf "files\t%d\t%d\t%d\t%d%c", n, want, b, k, 0 }'
	restored=$(tr '\0' '\n' <"$tmp/results" | grep -c -e '^ok	' -e '^kept	')
	if [ "$getrc" != 0 ] || [ "$restored" != "$wanted" ]; then
		[ "$getrc" != 0 ] || getrc=1
		fail "$getrc" "restore incomplete: $restored of $wanted files restored (cb-s3get exit $getrc)" "$tmp/get.err"
	fi
	relay "$tmp/get.err"
	# What a killed run left: cb-s3get's temporary files (.NAME.cb-XXXXXXXX
	# beside each file; lib/atomicfile), no longer anyone's.
	find "$RESTORE_DIR" -type f -name '.*.cb-[0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f][0-9a-f]' \
	    -exec rm -f {} + 2>/dev/null
	case ${LOAD:-none} in
	import|refresh) load_tables "$LOAD" ;;
	esac
}

# load_tables MODE [ARGS...]: cb-load MODE on the restored tables; the
# journal goes once every table is in.
load_tables() {
	m=$1
	shift
	ld "$m" --restore-dir "$RESTORE_DIR" --done "$DONE" \
	    ${KEYSPACES:+--keyspaces "$KEYSPACES"} ${TABLE:+--table "$TABLE"} "$@" \
	    >"$tmp/loaded" 2>"$tmp/load.err"
	lrc=$?
	loaded "$tmp/loaded" 0
	[ "$lrc" = 0 ] || fail "$lrc" "--load $m failed (rerun the same restore: the tables loaded are kept, the others loaded then)" "$tmp/load.err"
	relay "$tmp/load.err"
	rm -f "$DONE"
}

# The node restart method: run by the driver one host at a time, after
# every host's files are restored.
node_load() {
	[ -n "$RESTORE_DIR" ] || fail 64 "the job lacks the restore directory"
	trap 'rm -rf "$tmp"' EXIT
	load_state
	[ "$LOAD" = restart ] || fail 64 "cb-node load is the restart load; the job gives '$LOAD'"
	tokens_of >/dev/null
	load_tables restart ${STOP_CMD:+--stop-command "$STOP_CMD"} \
	    ${START_CMD:+--start-command "$START_CMD"} \
	    ${START_TIMEOUT:+--start-timeout "$START_TIMEOUT"} \
	    ${TOKENS:+--tokens "$tmp/tokens"}
}

# The backup's schema (CREATE ... IF NOT EXISTS) applied through this
# node: once per cluster, before anything is loaded.
node_schema() {
	trap 'rm -rf "$tmp"' EXIT
	node_manifest || fail 65 "a seed-format backup holds no schema"
	cb-manifest schema ${KEYSPACES:+--keyspaces "$KEYSPACES"} \
	    ${TABLE:+--table "$TABLE"} -o "$tmp/schema.cql" <"$tmp/node.json" \
	    2>"$tmp/step.err" ||
	    fail $? "the backup's schema cannot be applied" "$tmp/step.err"
	relay "$tmp/step.err"
	# (each statement ends in ";" and a blank line: cb-manifest(1))
	n=$(awk 'p ~ /;$/ && $0 == "" { n++ } { p = $0 } END { print n + 0 }' "$tmp/schema.cql")
	ld schema --file "$tmp/schema.cql" >/dev/null 2>"$tmp/step.err" ||
	    fail $? "cannot apply the backup's schema" "$tmp/step.err"
	relay "$tmp/step.err"
	printf 'schema\t%s\0' "$n"
}

# ---- verify --------------------------------------------------------------

# The deep check of cassandra-backups verify --on-nodes: every file of the
# node manifest downloaded, decoded and compared, nothing written; the
# result records on stdout (defects are data: the exit status says only
# whether the check ran).
node_verify() {
	trap 'rm -rf "$tmp"' EXIT
	[ -n "$KEY" ] && [ "$KEY" != - ] || fail 64 "the job gives no node manifest to verify"
	s3 cb-s3get "s3://$BUCKET/$KEY" "$tmp/node.json" 2>"$tmp/step.err" ||
	    fail $? "cannot fetch the node manifest '$KEY'" "$tmp/step.err"
	cb-manifest restore -0 <"$tmp/node.json" >"$tmp/records" 2>"$tmp/step.err" ||
	    fail $? "the node manifest is not usable" "$tmp/step.err"
	[ "$NICE" = 0 ] || WITH_NICE=$NICE
	s3 cb-s3get -0 --list --check --unpack -j "${CONCURRENCY:-8}" "s3://$BUCKET" \
	    <"$tmp/records" >"$tmp/results" 2>"$tmp/get.err"
	getrc=$?
	WITH_NICE=
	case $getrc in
	0|1|65|66) ;;
	*) fail "$getrc" "cannot check the objects (cb-s3get exit $getrc)" "$tmp/get.err" ;;
	esac
	[ "$(count "$tmp/results")" = "$(count "$tmp/records")" ] ||
	    fail 70 "the check stopped short: not every object was checked" "$tmp/get.err"
	cat "$tmp/results"
}

# ---- ring ----------------------------------------------------------------

# The ring as this node sees it (nodetool status), for --hosts-from-ring:
# ADDRESS TAB DATACENTER TAB STATE records (UN, DN, UJ...), one a line.
node_ring() {
	trap 'rm -rf "$tmp"' EXIT
	nt=nodetool
	[ -z "$TOOLS" ] || nt=$TOOLS/nodetool
	command -v "$nt" >/dev/null 2>&1 || fail 69 "nodetool not found ('$nt')"
	[ -z "$CONF" ] || { CASSANDRA_CONF=$CONF; export CASSANDRA_CONF; }
	"$nt" ${JMX_USER:+-u "$JMX_USER" -pwf "$JMX_PWFILE"} status \
	    >"$tmp/status" 2>"$tmp/step.err" || {
		st=69
		grep -q 'Authentication failed' "$tmp/step.err" && st=77
		fail "$st" "nodetool status failed" "$tmp/step.err"
	}
	awk '/^Datacenter: / { dc = substr($0, 13); next }
	    $1 ~ /^[UD][NLJM]$/ && NF >= 2 { printf "%s\t%s\t%s\n", $2, dc, $1 }' \
	    "$tmp/status" >"$tmp/ring"
	[ -s "$tmp/ring" ] || fail 65 "nodetool status shows no node"
	cat "$tmp/ring"
}

case $CMD in
ring) node_ring ;;
backup) node_backup ;;
restore) node_restore ;;
load) node_load ;;
schema) node_schema ;;
verify) node_verify ;;
esac
exit 0
