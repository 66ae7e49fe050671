#!/usr/bin/env bats
# cassandra-backups on a real three-node Apache Cassandra 5.0 cluster
# (test/services/cassandra.sh with N=3, started here on addresses and
# ports of its own: 127.0.0.32-34, ssh 2432, JMX 7800, 7900, 8000), a
# keyspace with replication factor 3: backup of the three nodes over ssh,
# the keyspace dropped cluster-wide, restore of the three with the schema
# and --load import, and the rows compared with those before
# (test/cassandra-real/data.py).
#
# The suite's S3 server is used under test/run.sh; run by hand as root,
# the file starts its own.  Only the gcc pass runs it (the driver is sh;
# CB_E2E_ALL=1 runs it anyway).

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export RC_STATE= RC_OWN_S3=0
	case $CB_BIN in
	*/asan/*) [ "${CB_E2E_ALL:-0}" = 1 ] || return 0 ;;
	esac
	[ "$(id -u)" = 0 ] || return 0
	RC_STATE=$(mktemp -d /tmp/cb-real-cluster-bats.XXXXXX)
	if [ -z "${CB_TEST_STATE:-}" ]; then
		RC_OWN_S3=1
		bash "$REPO/test/services/s3.sh" start "$RC_STATE" \
		    >"$RC_STATE/s3.log" 2>&1 || :
	else
		cp "$CB_TEST_STATE/s3.env" "$RC_STATE/" 2>/dev/null || :
	fi
	# (no cassandra.env makes every test fail in setup(), showing the log)
	CB_TEST_CASSANDRA_FIRST_IP=32 CB_TEST_CASSANDRA_SSH_PORT=2432 \
	    CB_TEST_CASSANDRA_JMX_PORT=7800 \
	    bash "$REPO/test/services/cassandra.sh" start "$RC_STATE" 3 \
	    >"$RC_STATE/cassandra.log" 2>&1 || :
}

teardown_file() {
	[ -n "${RC_STATE:-}" ] || return 0
	bash "$REPO/test/services/cassandra.sh" stop "$RC_STATE" >/dev/null 2>&1
	[ "$RC_OWN_S3" = 0 ] ||
	    bash "$REPO/test/services/s3.sh" stop "$RC_STATE" >/dev/null 2>&1
	rm -rf "$RC_STATE"
}

setup() {
	local f
	case $CB_BIN in
	*/asan/*) [ "${CB_E2E_ALL:-0}" = 1 ] ||
	    skip "sanitizer pass: real-node runs only in the gcc pass (CB_E2E_ALL=1 for all)" ;;
	esac
	[ -n "$RC_STATE" ] || skip "needs root for the real Cassandra cluster"
	for f in cassandra s3; do
		[ -f "$RC_STATE/$f.env" ] && continue
		echo "the $f test service did not start (no $RC_STATE/$f.env)" >&2
		[ ! -f "$RC_STATE/$f.log" ] || tail -30 "$RC_STATE/$f.log" >&2
		return 1
	done
	. "$RC_STATE/cassandra.env"
	. "$RC_STATE/s3.env"
	T=$BATS_TEST_TMPDIR
	TOOLS=$CB_REAL_CASSANDRA_BIN
	set -- $CB_REAL_CASSANDRA_HOSTS
	[ $# -eq 3 ]
	IP1=$1 HOSTS=$1,$2,$3
	PY=$(ls -d "${CB_TEST_CASSANDRA_CACHE:-/var/cache/cb-test-cassandra}"/cqlsh-*/bin/python3 | head -1)
	KS=cluster$BATS_TEST_NUMBER
	BASE=real-cluster/$BATS_TEST_NUMBER-$$
	CBA=(cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE"
	    --s3-endpoint "$S3_ENDPOINT")
	SSHO=(--ssh-config "$CB_REAL_CASSANDRA_SSH_CONFIG")
	BKO=(--cassandra-tools-bin-dir "$TOOLS" --cassandra-conf-path "$CB_REAL_CASSANDRA_CONF")
}

# on N CMD...: the argv CMD on node N (1, 2, 3) over its ssh.
on() {
	local n=$1
	shift
	ssh -F "$CB_REAL_CASSANDRA_SSH_CONFIG" "n$n" "$(printf '%q ' "$@")"
}

data() { "$PY" "$REPO/test/cassandra-real/data.py" --host "$IP1" --ks "$KS" "$@"; }

@test "real cluster of 3, RF 3: backup of every node, the keyspace dropped, restore --schema --load import: the same rows" {
	local n i t d
	run on 1 "$TOOLS/nodetool" status
	expect_status 0
	[ "$(grep -c '^UN ' <<<"$output")" = 3 ]
	data --rf 3 schema
	for i in 0 1; do
		data write $((i * 200)) 200
		for n in 1 2 3; do on $n "$TOOLS/nodetool" flush "$KS" >/dev/null; done
	done
	data digest >"$T/before"
	grep -q "^$KS.users 400 " "$T/before"

	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --keyspaces "$KS" --connection-pool-size 3
	expect_status 0
	[[ "$output" == *"3 snapshot (0 differential), 0 incremental"* ]]
	[[ "$output" == *" complete  hosts: $HOSTS"* ]]
	for n in 1 2 3; do
		run on $n "$TOOLS/nodetool" listsnapshots
		expect_no_match 'cb-' <<<"$output"
	done
	# Each node's manifest has its own host id.
	run "${CBA[@]}" list --json
	expect_status 0
	python3 -c '
import json, sys
b = json.loads(sys.argv[1])[0]
assert b["complete"] is True, b
assert sorted(n["host"] for n in b["nodes"]) == sorted(sys.argv[2].split(",")), b
' "$output" "$HOSTS"

	# The keyspace is lost cluster-wide: the cluster lacks its schema.
	run on 1 "$TOOLS/cqlsh" "$IP1" -e "DROP KEYSPACE $KS"
	expect_status 0
	run data digest
	[ "$status" -ne 0 ]

	# Schema first (through the first node), then each node imports its
	# own files into the new tables (new ids).
	run "${CBA[@]}" restore --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" --keyspaces "$KS" \
	    --connection-pool-size 3 --schema --load import
	expect_status 0
	[[ "$output" == *"$IP1: schema applied"* ]]
	for n in $(tr ',' ' ' <<<"$HOSTS"); do
		for t in users events counts; do
			[[ "$output" == *"$n: $KS.$t: loaded"* ]]
		done
	done
	[[ "${lines[-1]}" == *"; complete" ]]
	data digest >"$T/after"
	diff "$T/before" "$T/after"
}
