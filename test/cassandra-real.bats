#!/usr/bin/env bats
# The programs against a real Apache Cassandra 5.0 node
# (test/services/cassandra.sh), over the node's own ssh, with its packaged
# paths: /etc/cassandra, /etc/cassandra/bin, /var/lib/cassandra/data and
# data2.
#
# Under test/run.sh the service runs once for the whole suite; if it did
# not start the tests fail, they do not skip.  Run by hand, the file
# starts its own as root (one node), and fails the same way if it does
# not start; without root it skips.

load helpers

setup_file() {
	export CR_STATE=
	[ -z "${CB_TEST_STATE:-}" ] || return 0
	[ "$(id -u)" = 0 ] || return 0
	CR_STATE=$(mktemp -d /tmp/cb-cassandra-bats.XXXXXX)
	# (no cassandra.env makes every test fail in setup(), showing the log)
	bash "$REPO/test/services/cassandra.sh" start "$CR_STATE" \
	    >"$CR_STATE/cassandra.log" 2>&1 || :
}

teardown_file() {
	if [ -n "${CR_STATE:-}" ]; then
		bash "$REPO/test/services/cassandra.sh" stop "$CR_STATE" \
		    >/dev/null 2>&1
		rm -rf "$CR_STATE"
	fi
}

setup() {
	local st=${CR_STATE:-${CB_TEST_STATE:-}}
	[ -n "$st" ] || skip "needs the real Cassandra test service (root)"
	if [ ! -f "$st/cassandra.env" ]; then
		echo "the cassandra test service did not start (no $st/cassandra.env)" >&2
		[ ! -f "$st/cassandra.log" ] || tail -20 "$st/cassandra.log" >&2
		[ ! -f "$st/log/cassandra.sh.log" ] ||
		    tail -20 "$st/log/cassandra.sh.log" >&2
		return 1
	fi
	. "$st/cassandra.env"
	TOOLS=$CB_REAL_CASSANDRA_BIN
	CONF=$CB_REAL_CASSANDRA_CONF
	IP1=${CB_REAL_CASSANDRA_HOSTS%% *}
}

# on_node CMD...: run the argv CMD on node 1 over its ssh (each word
# quoted for the remote shell).
on_node() {
	ssh -F "$CB_REAL_CASSANDRA_SSH_CONFIG" n1 "$(printf '%q ' "$@")"
}

# snap ARGS...: cb-snapshot on node 1 with the node's tools and conf.
snap() {
	on_node "$CB_BIN/cb-snapshot" --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$CONF" "$@"
}

@test "real node: UN in nodetool status, packaged paths seen over ssh" {
	run on_node "$TOOLS/nodetool" status
	expect_status 0
	[[ "$output" == *"Datacenter: $CB_REAL_CASSANDRA_DC"* ]]
	grep -qE "^UN +${IP1//./\\.} " <<<"$output"
	run on_node "$TOOLS/nodetool" version
	expect_status 0
	[ "$output" = "ReleaseVersion: $CB_REAL_CASSANDRA_VERSION" ]
	run on_node ls /etc/cassandra/cassandra.yaml /var/lib/cassandra/data/system \
	    /var/lib/cassandra/data2
	expect_status 0
}

@test "real node: cb-snapshot create, cb-list -0 --snapshot, clear" {
	local tag=bats-real ks=cbreal cql
	cql="CREATE KEYSPACE IF NOT EXISTS $ks WITH replication ="
	cql+=" {'class': 'SimpleStrategy', 'replication_factor': 1};"
	cql+=" CREATE TABLE IF NOT EXISTS $ks.t1 (id int PRIMARY KEY, v text);"
	cql+=" INSERT INTO $ks.t1 (id, v) VALUES (1, 'one');"
	run on_node "$TOOLS/cqlsh" "$IP1" -e "$cql"
	expect_status 0
	# a leftover of an earlier pass on the same node
	on_node "$TOOLS/nodetool" clearsnapshot -t "$tag" >/dev/null
	run snap create -t "$tag" --keyspaces "$ks"
	expect_status 0
	on_node "$CB_BIN/cb-list" -0 --cassandra-conf-path "$CONF" \
	    --snapshot "$tag" | tr '\0' '\n' >"$BATS_TEST_TMPDIR/list"
	cut -f4 "$BATS_TEST_TMPDIR/list" | sort >"$BATS_TEST_TMPDIR/listed"
	# exactly the files under snapshots/TAG, in data and data2
	on_node find /var/lib/cassandra/data /var/lib/cassandra/data2 \
	    -path "*/snapshots/$tag/*" -type f | sort >"$BATS_TEST_TMPDIR/disk"
	diff "$BATS_TEST_TMPDIR/disk" "$BATS_TEST_TMPDIR/listed"
	grep -qE "^/var/lib/cassandra/data2?/$ks/t1-[0-9a-f]{32}/snapshots/$tag/[a-z]{2}-[0-9]+-big-Data\.db$" \
	    "$BATS_TEST_TMPDIR/listed"
	grep -q "/$ks/t1-[0-9a-f]*/snapshots/$tag/manifest.json$" \
	    "$BATS_TEST_TMPDIR/listed"
	run snap clear -t "$tag"
	expect_status 0
	run on_node find /var/lib/cassandra/data /var/lib/cassandra/data2 \
	    -path "*/snapshots/$tag/*"
	expect_status 0
	[ -z "$output" ]
	run on_node "$CB_BIN/cb-list" -0 --cassandra-conf-path "$CONF" \
	    --snapshot "$tag"
	[ "$status" -ne 0 ]
}

@test "real node: cb-snapshot topology is the node's host id, DC, rack, tokens" {
	run on_node "$TOOLS/nodetool" info -T
	expect_status 0
	local id tokens
	id=$(sed -n 's/^ID *: //p' <<<"$output")
	tokens=$(sed -n 's/^Token *: //p' <<<"$output")
	[[ "$id" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$ ]]
	run snap topology
	expect_status 0
	[ "$(sed -n 's/^host_id	//p' <<<"$output")" = "$id" ]
	[ "$(sed -n 's/^address	//p' <<<"$output")" = "$IP1" ]
	[ "$(sed -n 's/^datacenter	//p' <<<"$output")" = "$CB_REAL_CASSANDRA_DC" ]
	[ "$(sed -n 's/^rack	//p' <<<"$output")" = "$CB_REAL_CASSANDRA_RACK" ]
	[ "$(sed -n 's/^cassandra_version	//p' <<<"$output")" = \
	    "$CB_REAL_CASSANDRA_VERSION" ]
	[ "$(sed -n 's/^cluster_name	//p' <<<"$output")" = \
	    "$CB_REAL_CASSANDRA_CLUSTER" ]
	[ "$(sed -n 's/^token	//p' <<<"$output")" = "$tokens" ]
	[ "$(sed -n 's/^num_tokens	//p' <<<"$output")" = \
	    "$(wc -l <<<"$tokens")" ]
}
