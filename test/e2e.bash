# The end-to-end setup that the driver's bats files share (load e2e):
# three stand-in Cassandra nodes behind real sshd test hosts
# (test/services/hosts.sh), the RGW test S3 server (test/services/s3.sh),
# and helpers to set up nodes and compare restores.

# Under test/run.sh (CB_TEST_STATE set) the services are its own, and if
# one did not start the tests fail, they do not skip.  Run by hand, the
# file starts its own as root, and fails the same way if they do not
# start; without root it skips.
setup_file() {
	export E2E_STATE=
	[ -z "${CB_TEST_STATE:-}" ] || return 0
	[ "$(id -u)" = 0 ] || return 0
	E2E_STATE=$(mktemp -d /tmp/cb-e2e-bats.XXXXXX)
	# (no .env file makes every test fail in setup(), showing the log)
	bash "$REPO/test/services/hosts.sh" start "$E2E_STATE" \
	    >"$E2E_STATE/hosts.log" 2>&1 || :
	bash "$REPO/test/services/s3.sh" start "$E2E_STATE" \
	    >"$E2E_STATE/s3.log" 2>&1 || :
}

teardown_file() {
	if [ -n "${E2E_STATE:-}" ]; then
		bash "$REPO/test/services/s3.sh" stop "$E2E_STATE" >/dev/null 2>&1
		bash "$REPO/test/services/hosts.sh" stop "$E2E_STATE" >/dev/null 2>&1
		rm -rf "$E2E_STATE"
	fi
}

# The end-to-end runs are slow (ssh, a snapshot per node, RGW), so the
# sanitizer pass of test/run.sh runs only the main one (full, incremental,
# restore of everything): the C programs get their ASan/UBSan coverage from
# their own tests, and the driver is sh.  CB_E2E_ALL=1 runs them all.
# The https and aws passes (S3_MODE, see test/run.sh) likewise run only
# the main one: what they change is how the S3 requests go.
asan_light() {
	case $CB_BIN in
	*/asan/*) [ "${CB_E2E_ALL:-0}" = 1 ] ||
	    skip "sanitizer pass: only the main end-to-end test (CB_E2E_ALL=1 for all)" ;;
	esac
	[ "${S3_MODE:-http}" = http ] || [ "${CB_E2E_ALL:-0}" = 1 ] ||
	    skip "S3_MODE=$S3_MODE: only the main end-to-end test (CB_E2E_ALL=1 for all)"
}

# s3_args: how the driver reaches S3 in this S3_MODE.  The CA file is
# copied into the checkout, which the test hosts see at the same path
# (their /tmp is their own).
s3_args() {
	local ca=$REPO/build/test-s3-ca.pem
	case ${S3_MODE:-http} in
	http) S3A=(--s3-endpoint "$S3_ENDPOINT") ;;
	https) S3A=(--s3-endpoint "$S3_ENDPOINT_TLS" --s3-ca-bundle "$ca") ;;
	aws) S3A=(--s3-bucket-region "$S3_AWS_REGION" --s3-ca-bundle "$ca"
	    --s3-connect-to "$S3_AWS_CONNECT_TO") ;;
	*) echo "unknown S3_MODE '$S3_MODE'" >&2; return 1 ;;
	esac
	if [ "${S3_MODE:-http}" != http ]; then
		mkdir -p "$REPO/build"
		cp "$S3_CA_BUNDLE" "$ca.$$" && mv "$ca.$$" "$ca"
	fi
}

setup() {
	local st=${E2E_STATE:-${CB_TEST_STATE:-}} f
	[ -n "$st" ] || skip "needs the ssh test hosts and the S3 test server (root)"
	for f in hosts s3; do
		[ -f "$st/$f.env" ] && continue
		echo "the $f test service did not start (no $st/$f.env)" >&2
		[ ! -f "$st/$f.log" ] || tail -20 "$st/$f.log" >&2
		return 1
	done
	. "$st/hosts.env"
	. "$st/s3.env"
	T=$BATS_TEST_TMPDIR
	TOOLS=$REPO/test/cassandra/bin
	set -- $CB_TEST_HOSTS
	H1=$1 H2=$2 H3=$3
	HOSTS=$H1,$H2,$H3
	# A base path of its own per test: tests never see each other's backups.
	BASE=e2e/$BATS_TEST_NUMBER-$$
	s3_args || return 1
	CBA=(cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE"
	    "${S3A[@]}")
	SSHO=(--ssh-config "$CB_TEST_SSH_CONFIG")
	# (the node state in the node's own /tmp: one per host and test run)
	BKO=(--cassandra-tools-bin-dir "$TOOLS" --connection-pool-size 3
	    --state-dir /tmp/cb-node-state)
}

# on HOST CMD: run a shell command on a test host, stand-in tools first.
on() {
	local h=$1
	shift
	ssh -F "$CB_TEST_SSH_CONFIG" "$h" "PATH=$TOOLS:\$PATH; $*"
}

# fresh_nodes: a new 4.1 stand-in node on each host.
fresh_nodes() {
	cb-fanout -q -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
	    "PATH=$TOOLS:\$PATH; rm -rf /etc/cassandra/* /var/lib/cassandra/* /tmp/cassandra_restore;
	     standin mknode --version 4.1 --incremental-backups --address {host} >/dev/null"
}

# snap_ref HOST TAG: a reference snapshot of what a backup must hold.
snap_ref() {
	on "$1" "nodetool snapshot -t $2 >/dev/null"
}

# same_as_ref HOST TAG [KS...]: every file of snapshot TAG (user keyspaces,
# or KS...) is in the restore dir of HOST, byte for byte.  Prints the count.
same_as_ref() {
	local h=$1 tag=$2 root=$CB_TEST_HOSTS_DIR/$1 f rel ks tdir rest n=0
	shift 2
	while IFS= read -r f; do
		rel=${f#"$root/var-lib-cassandra/data/"}
		ks=${rel%%/*}
		rel=${rel#*/}
		tdir=${rel%%/*}
		rest=${rel#*/snapshots/"$tag"/}
		case $ks in system*) [ $# -eq 0 ] && continue ;; esac
		if [ $# -gt 0 ]; then
			case " $* " in *" $ks "*) ;; *) continue ;; esac
		fi
		[ "${f##*/}" = manifest.json ] && continue
		cmp "$f" "$root/tmp/cassandra_restore/$ks/$tdir/$rest" || return 1
		n=$((n + 1))
	done < <(find "$root/var-lib-cassandra/data" -type f -path "*/snapshots/$tag/*")
	echo "$n"
	[ "$n" -gt 0 ]
}

restored_count() {
	find "$CB_TEST_HOSTS_DIR/$1/tmp/cassandra_restore" -type f ! -name schema.cql 2>/dev/null | wc -l
}

# s3ls PREFIX: the keys under PREFIX, one a line.
s3ls() {
	cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$1" | cut -f4
}

# s3cat KEY: an object to stdout.
s3cat() {
	cb-s3get --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$1" -
}

# referenced: every key the backups under BASE name (cluster manifests,
# the node manifests they point at, and the objects those name), sorted.
referenced() {
	local n
	for n in $(s3ls "$BASE/" | sed -n "s|^$BASE/\([^/]*\)/manifest.json$|\1|p"); do
		s3cat "$BASE/$n/manifest.json" >"$T/r.$n.json"
		echo "$BASE/$n/manifest.json"
		for k in $(python3 -c 'import json,sys
for x in json.load(open(sys.argv[1])).get("nodes", []):
    if x["manifest"]: print(x["manifest"])' "$T/r.$n.json"); do
			echo "$k"
			s3cat "$k" | python3 -c 'import json,sys
for f in json.load(sys.stdin)["files"]: print(f["key"])'
		done
	done | sort -u
}
