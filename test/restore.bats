#!/usr/bin/env bats
# cassandra-backups restore all the way into Cassandra, on stand-in nodes
# behind sshd and the RGW server (cassandra-backups(1), restore):
# --load refresh on 2.1 and 3.11, --target-hosts with the source nodes'
# tokens and --load restart, a resumed restore after SIGKILL, the
# free-space refusal on a small tmpfs, progress on a terminal, the JSON
# report, and the refusals.

load helpers
bats_require_minimum_version 1.5.0

load e2e
load s3_helpers

RKO=(--cassandra-tools-bin-dir "$REPO/test/cassandra/bin")

# node_on HOST ARGS...: a new stand-in node on HOST (standin mknode ARGS).
node_on() {
	local h=$1
	shift
	on "$h" "rm -rf /etc/cassandra/* /var/lib/cassandra/* /tmp/cassandra_restore /tmp/small &&
	    standin mknode --address $h $* >/dev/null"
}

# live_sums HOST KS TABLE: the SHA-256 and name of every sstable file of
# the live directories of KS.TABLE (any id; not the litter: temporary
# files, transaction logs), sorted by name.
live_sums() {
	local d=$CB_TEST_HOSTS_DIR/$1/var-lib-cassandra/data/$2
	find "$d" -mindepth 2 -maxdepth 2 -type f -path "$d/$3-*/*" \
	    -not -name '*.tmp' -not -name 'tmp*' -not -name '*_txn_*' \
	    -exec sha256sum {} + | sed "s|  $d/$3-[0-9a-f]*/|  |" | sort -k2
}

@test "restore --load refresh on 2.1 and 3.11: the backup's sstables are live again under new generations, no live file touched; --json" {
	asan_light
	node_on "$H1" --version 3.11
	node_on "$H2" --version 2.1
	run "${CBA[@]}" backup --hosts "$H1,$H2" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	for h in $H1 $H2; do
		on "$h" "standin sstables ks1 users" | sort >"$T/gens.before.$h"
		live_sums "$h" ks1 users >"$T/live.before.$h"
	done
	# New writes after the backup, flushed: they stay.
	for h in $H1 $H2; do on "$h" "standin write ks1 users 5 && nodetool flush ks1 >/dev/null"; done
	run --separate-stderr "${CBA[@]}" restore --hosts "$H1,$H2" "${SSHO[@]}" "${RKO[@]}" \
	    --keyspaces ks1 --load refresh --json
	expect_status 0
	python3 - "$output" "$H1" "$H2" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["complete"] is True and r["load"] == "refresh", r
assert [h["host"] for h in r["hosts"]] == sys.argv[2:], r
for h in r["hosts"]:
    assert h["status"] == 0 and h["error"] is None and h["files"] == h["expected_files"] > 0, h
    t = {x["table"]: x for x in h["tables"]}
    assert t["users"]["status"] == "loaded" and t["users"]["sstables"] > 0, t
    assert all(x["status"] in ("loaded", "empty") for x in h["tables"]), h["tables"]
PY
	for h in $H1 $H2; do
		# Every live file before is still there, byte for byte...
		live_sums "$h" ks1 users >"$T/live.after.$h"
		[ -z "$(comm -23 <(cut -d' ' -f1 "$T/live.before.$h" | sort) <(cut -d' ' -f1 "$T/live.after.$h" | sort))" ]
		# ...and the node has more sstables: the backup's, renamed.
		on "$h" "standin sstables ks1 users" | sort >"$T/gens.after.$h"
		[ "$(wc -l <"$T/gens.after.$h")" -gt "$(wc -l <"$T/gens.before.$h")" ]
		[ -z "$(comm -23 "$T/gens.before.$h" "$T/gens.after.$h")" ]
	done
	# The load journal is gone once every table is in.
	run find "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore" -maxdepth 1 -name '.cb-loaded-*'
	[ -z "$output" ]
	# A load that fails part-way (nodetool refresh of ks1.counters fails
	# once) says which tables were loaded; the rerun loads the rest only.
	# (the host's /tmp is $CB_TEST_HOSTS_DIR/HOST/tmp)
	local w=$CB_TEST_HOSTS_DIR/$H1/tmp/tools-fail
	mkdir -p "$w"
	ln -sf "$TOOLS/cqlsh" "$w/cqlsh"
	cat >"$w/nodetool" <<EOF
#!/bin/sh
case "\$*" in *"refresh ks1 counters"*) echo "error: simulated" >&2; exit 2 ;; esac
exec $TOOLS/nodetool "\$@"
EOF
	chmod +x "$w/nodetool"
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" --cassandra-tools-bin-dir /tmp/tools-fail \
	    --keyspaces ks1 --load refresh
	expect_status 1
	[[ "$output" == *"$H1: ks1.counters: failed"* ]]
	[[ "$output" == *"$H1: ks1.users: loaded"* ]]
	[[ "$output" == *"; INCOMPLETE"* ]]
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" "${RKO[@]}" --keyspaces ks1 --load refresh
	expect_status 0
	[[ "$output" == *"$H1: ks1.counters: loaded"* ]]
	[[ "$output" == *"$H1: ks1.users: already"* ]]
	[[ "${lines[-1]}" == *"; complete" ]]
	# import needs 4.0: refused on 3.11, the files kept for a rerun.
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" "${RKO[@]}" --keyspaces ks1 --load import
	expect_status 64
	[[ "$output" == *"$H1: FAILED:"*"refresh"* ]]
}

@test "restore --target-hosts: host i onto target i, the sources' tokens printed, and with --load restart --set-tokens given to the targets" {
	asan_light
	node_on "$H1" --version 4.1
	node_on "$H2" --version 4.1
	node_on "$H3" --version 4.1
	run "${CBA[@]}" backup --hosts "$H1,$H2" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	for h in $H1 $H2; do snap_ref "$h" ref; done
	local tok1 tok2
	tok1=$(on "$H1" "nodetool info -T" | sed -n 's/^Token *: //p' | paste -sd, -)
	tok2=$(on "$H2" "nodetool info -T" | sed -n 's/^Token *: //p' | paste -sd, -)
	[ -n "$tok1" ] && [ -n "$tok2" ] && [ "$tok1" != "$tok2" ]
	# H1's backup onto H2, H2's onto H3: files only, tokens printed.
	run "${CBA[@]}" restore --hosts "$H1,$H2" --target-hosts "$H2,$H3" "${SSHO[@]}" "${RKO[@]}" \
	    --keyspaces ks1
	expect_status 0
	[[ "$output" == *"$H2: "*"restored and verified from host $H1 of the backup"* ]]
	[[ "$output" == *"$H2: initial_token: $tok1"* ]]
	[[ "$output" == *"$H3: initial_token: $tok2"* ]]
	same_as_ref_onto "$H1" "$H2"
	same_as_ref_onto "$H2" "$H3"
	# Then the restart method onto H3 alone, tokens set: its users data
	# is H2's backup, its own files kept aside, cassandra.yaml has H2's
	# tokens, the rest of the file as it was.
	live_sums "$H3" ks1 users >"$T/h3.before"
	grep -v -e '^initial_token:' -e '^num_tokens:' "$CB_TEST_HOSTS_DIR/$H3/etc-cassandra/cassandra.yaml" >"$T/yaml.before"
	run "${CBA[@]}" restore --hosts "$H2" --target-hosts "$H3" "${SSHO[@]}" "${RKO[@]}" \
	    --keyspaces ks1 --load restart --set-tokens \
	    --stop-command "$TOOLS/standin stop" --start-command "$TOOLS/standin start"
	expect_status 0
	[[ "$output" == *"$H3: ks1.users: loaded"* ]]
	[[ "$output" == *"; complete"* ]]
	grep -qx "initial_token: $tok2" "$CB_TEST_HOSTS_DIR/$H3/etc-cassandra/cassandra.yaml"
	grep -v -e '^initial_token:' -e '^num_tokens:' "$CB_TEST_HOSTS_DIR/$H3/etc-cassandra/cassandra.yaml" |
	    diff "$T/yaml.before" -
	live_sums "$H3" ks1 users >"$T/h3.after"
	# the live files are exactly H2's backed-up ones (the restore dir's
	# are gone into the live directory)...
	(cd "$CB_TEST_HOSTS_DIR/$H2/var-lib-cassandra/data/ks1" &&
	    find users-*/snapshots/ref -maxdepth 1 -type f ! -name manifest.json ! -name schema.cql -exec sha256sum {} +) |
	    cut -d' ' -f1 | sort >"$T/h2.ref"
	cut -d' ' -f1 "$T/h3.after" | sort | diff "$T/h2.ref" -
	# ...and H3's own are in a snapshot, intact (with what the drain
	# flushed).
	for d in "$CB_TEST_HOSTS_DIR/$H3/var-lib-cassandra/data/ks1"/users-*/snapshots/cb-replaced-*; do
		find "$d" -maxdepth 1 -type f -not -name '*.tmp' -not -name 'tmp*' -not -name '*_txn_*' \
		    -exec sha256sum {} +
	done | cut -d' ' -f1 | sort >"$T/h3.kept"
	[ -s "$T/h3.before" ]
	[ -z "$(cut -d' ' -f1 "$T/h3.before" | sort | comm -23 - "$T/h3.kept")" ]
	run on "$H3" "nodetool status"
	expect_status 0
	# refusals
	run "${CBA[@]}" restore --hosts "$H1,$H2" --target-hosts "$H3" "${SSHO[@]}"
	expect_status 64
	[[ "$output" == *"--target-hosts names 1 hosts for the 2 of --hosts"* ]]
	run "${CBA[@]}" restore --hosts "$H1,$H2" --target-hosts "$H3,$H3" "${SSHO[@]}"
	expect_status 64
	run "${CBA[@]}" restore --hosts "$H1" --set-tokens "${SSHO[@]}"
	expect_status 64
	run "${CBA[@]}" restore --hosts "$H1" --load import --schema-only "${SSHO[@]}"
	expect_status 64
	run "${CBA[@]}" restore --hosts "$H1" --load copy "${SSHO[@]}"
	expect_status 64
	[[ "$output" == *"invalid --load 'copy'"* ]]
	run "${CBA[@]}" restore --hosts "$H1" --stop-command true "${SSHO[@]}"
	expect_status 64
}

# same_as_ref_onto SRC DST: the files of SRC's snapshot ref (its user
# keyspaces) are in DST's restore directory, byte for byte.
same_as_ref_onto() {
	local root=$CB_TEST_HOSTS_DIR/$1 f rel n=0
	while IFS= read -r f; do
		rel=${f#"$root/var-lib-cassandra/data/"}
		[ "${f##*/}" = manifest.json ] && continue
		cmp "$f" "$CB_TEST_HOSTS_DIR/$2/tmp/cassandra_restore/${rel%%/snapshots/ref/*}/${rel#*/snapshots/ref/}" || return 1
		n=$((n + 1))
	done < <(find "$root/var-lib-cassandra/data/ks1" -type f -path "*/snapshots/ref/*")
	[ "$n" -gt 0 ]
}

# kill_restore: SIGKILL to this test's node programs once the first file
# of the restore is in place.
kill_restore() {
	local pid n=0 i
	for i in $(seq 1 300); do
		[ -n "$(find "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore" -name '*-Data.db' 2>/dev/null | head -1)" ] && break
		sleep 0.05
	done
	for pid in $(pgrep -f 'cb-node restore|cb-s3get -q.*--list'); do
		grep -qs "$CB_TEST_HOSTS_DIR/" "/proc/$pid/mountinfo" || continue
		kill -9 "$pid" 2>/dev/null && n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

@test "restore: killed with SIGKILL mid-download, the rerun keeps the verified files and fetches the rest; a restore that does not fit is refused before anything is fetched" {
	asan_light
	node_on "$H1" --version 4.1
	# Large sstables (random bytes, as lzop leaves them) fetched one at
	# a time: the first is in place long before the last.
	for i in 1 2 3 4; do on "$H1" "standin write ks1 users 1 8000000 && nodetool flush ks1 >/dev/null"; done
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	snap_ref "$H1" ref
	"${CBA[@]}" restore --hosts "$H1" "${SSHO[@]}" --keyspaces ks1 --concurrency 1 \
	    >"$T/killed" 2>&1 &
	pid=$!
	kill_restore
	rc=0
	wait $pid || rc=$?
	[ "$rc" -ne 0 ]
	run --separate-stderr "${CBA[@]}" restore --hosts "$H1" "${SSHO[@]}" --keyspaces ks1 --json
	expect_status 0
	python3 - "$output" <<'PY'
import json, sys
h = json.loads(sys.argv[1])["hosts"][0]
assert h["status"] == 0 and h["files"] == h["expected_files"], h
assert 0 < h["kept_files"] < h["files"], h
PY
	same_as_ref "$H1" ref ks1
	# No partial or temporary file anywhere in the restore directory.
	run find "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore" -type f -name '.*.cb-*'
	[ -z "$output" ]

	# A file system too small (a 4 MiB tmpfs in the node's own mount
	# namespace): refused with 73, nothing fetched.
	on "$H1" "mkdir -p /tmp/small && mount -t tmpfs -o size=4m tmpfs /tmp/small"
	run "${CBA[@]}" restore --hosts "$H1" "${SSHO[@]}" --keyspaces ks1 --restore-dir /tmp/small/r
	on "$H1" "find /tmp/small -type f" >"$T/small"
	on "$H1" "umount /tmp/small"
	expect_status 73
	[[ "$output" == *"$H1: FAILED:"*"not enough space"* ]]
	[ ! -s "$T/small" ]
}

# on_tty CMD...: CMD with a terminal for its standard error (script(1)),
# its output and messages in $output.
on_tty() {
	printf '%q ' "$@" >"$T/cmd"
	run script -qec "PATH=$PATH; $(cat "$T/cmd")" /dev/null
}

# last_files HOST: the files done and in all of the last progress line
# drawn for HOST ("D/N").
last_files() {
	grep -ao "$1: [0-9]*/[0-9]* files" <<<"$output" | tail -1 |
	    sed 's/.*: \([0-9]*\/[0-9]*\) files/\1/'
}

@test "backup and restore on a terminal show each node's progress and the whole run's; a table the live node lacks is refused before anything is loaded (65)" {
	asan_light
	node_on "$H1" --version 4.1
	node_on "$H2" --version 4.1 --no-sample
	on_tty "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	# the last frame: every file of the node up (cb-s3put's lines), the
	# node done
	n=$(last_files "$H1")
	[ "${n%/*}" = "${n#*/}" ]
	[ "${n%/*}" -gt 0 ]
	[[ "$output" == *"$H1: $n files, "*"/s, ETA "* ]]
	[[ "$output" == *"all nodes: 1/1 done, "*"/s, ETA "* ]]
	on_tty "${CBA[@]}" restore --hosts "$H1" "${SSHO[@]}" --keyspaces ks1
	expect_status 0
	n=$(last_files "$H1")
	[ "${n%/*}" = "${n#*/}" ]
	[ "${n%/*}" -gt 0 ]
	[[ "$output" == *"all nodes: 1/1 done, "*"/s, ETA "* ]]
	[[ "$output" == *"restored and verified"* ]]
	# without a terminal, no progress drawn, none in the node's messages
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	[[ "$output" != *"/s, ETA "* ]]
	[[ "$output" != *"all nodes:"* ]]
	[[ "$output" != *$'\e'* ]]
	[[ "$output" != *": progress "* ]]
	# onto a node without keyspace ks1: 65, nothing moved into Cassandra
	run "${CBA[@]}" restore --hosts "$H1" --target-hosts "$H2" "${SSHO[@]}" "${RKO[@]}" \
	    --keyspaces ks1 --load import
	expect_status 65
	[[ "$output" == *"$H2: FAILED:"*"not in the live schema"* ]]
	run find "$CB_TEST_HOSTS_DIR/$H2/var-lib-cassandra/data" -path '*/ks1/*'
	[ -z "$output" ]
}
