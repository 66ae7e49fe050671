#!/usr/bin/env bats
# Differential backups and resumed runs, end to end (cassandra-backups(1),
# "Differential backups"): stand-in nodes behind sshd, the RGW server.

load helpers
bats_require_minimum_version 1.5.0

load e2e
load s3_helpers

# node_manifest NAME HOST: the node manifest backup NAME gives HOST, into
# $T/NAME.HOST.json.
node_manifest() {
	local key
	s3cat "$BASE/$1/manifest.json" >"$T/$1.json" || return 1
	key=$(python3 -c 'import json,sys
for n in json.load(open(sys.argv[1]))["nodes"]:
    if n["host"] == sys.argv[2]: print(n["manifest"])' "$T/$1.json" "$2")
	[ -n "$key" ] && s3cat "$key" >"$T/$1.$2.json"
}

# last_run FILE FIELD: a member of the last run of a node manifest.
last_run() {
	python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][-1][sys.argv[2]])' "$1" "$2"
}

# keys_under FILE PREFIX: how many entries of a node manifest have their
# object under PREFIX.
keys_under() {
	python3 -c 'import json,sys
print(sum(f["key"].startswith(sys.argv[2]) for f in json.load(open(sys.argv[1]))["files"]))' "$1" "$2"
}

# live_sstables HOST: the sstable files of the user keyspaces' live
# directories (the data the snapshots hard-link).
live_sstables() {
	find "$CB_TEST_HOSTS_DIR/$1/var-lib-cassandra/data" -type f \
	    -path '*/data*/ks*' -not -path '*/snapshots/*' -not -path '*/backups/*' \
	    -not -name '*.tmp' -not -name 'tmp*' -not -name '*_txn_*'
}

@test "differential: the second backup uploads only the new files, opens none of the old, and restores byte for byte" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"b1  complete"* ]]
	for h in $H1 $H2 $H3; do snap_ref "$h" ref1; done
	# Every old sstable dated far back: a read of one sets its atime to
	# now (relatime: the atime is more than a day old).
	for h in $H1 $H2 $H3; do
		live_sstables "$h" | sort >"$T/old.$h"
		xargs -d '\n' touch -a -d 2001-01-01 <"$T/old.$h"
	done
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 7; standin write ks2 t1 3"; done
	run "${CBA[@]}" -v backup --backup-name b2 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"3 snapshot (3 differential), 0 incremental"* ]]
	[[ "$output" == *"unchanged files refer to $BASE/b1/$H1/manifest-"* ]]
	for h in $H1 $H2 $H3; do snap_ref "$h" ref2; done
	for h in $H1 $H2 $H3; do
		live_sstables "$h" | sort >"$T/now.$h"
		comm -13 "$T/old.$h" "$T/now.$h" >"$T/new.$h"
		[ -s "$T/new.$h" ]
		# No old sstable was opened...
		while IFS= read -r f; do
			[ "$(stat -c %X "$f")" -lt 1000000000 ] ||
			    { echo "read by the second backup: $f" >&2; return 1; }
		done <"$T/old.$h"
		# ...while the new ones were (so atime works here).
		f=$(grep -- '-Data.db$' "$T/new.$h" | head -1)
		[ "$(stat -c %X "$f")" -gt 1000000000 ]
		node_manifest b2 "$h"
		[ "$(last_run "$T/b2.$h.json" kind)" = differential ]
		[ "$(last_run "$T/b2.$h.json" reference)" = b1 ]
		# Every old sstable file is reused from b1 (unread, above);
		# every new one is uploaded into b2.
		python3 - "$T/b2.$h.json" "$BASE" "$T/old.$h" "$T/new.$h" <<'EOF'
import json, re, sys
m, base, old, new = sys.argv[1:]
def ident(p):
    p = p.split("/var-lib-cassandra/data/", 1)[-1]
    p = p.split("/var/lib/cassandra/data/", 1)[-1]
    return re.sub(r"/(snapshots/[^/]+|backups)/", "/", p)
keys = {ident(f["path"]): f["key"] for f in json.load(open(m))["files"]}
for line in open(old):
    k = keys[ident(line.strip())]
    assert k.startswith(base + "/b1/"), (line, k)
for line in open(new):
    k = keys[ident(line.strip())]
    assert k.startswith(base + "/b2/"), (line, k)
EOF
		nold=$(grep -c . "$T/old.$h")
		[ "$(last_run "$T/b2.$h.json" reused_files)" -ge "$nold" ]
		up=$(last_run "$T/b2.$h.json" files)
		[ "$(keys_under "$T/b2.$h.json" "$BASE/b2/")" = "$up" ]
		# What was read: the uploads, and files hashed to be sure.
		[ "$(last_run "$T/b2.$h.json" read_files)" -ge "$up" ]
		[ "$(last_run "$T/b2.$h.json" read_files)" -lt "$((up + nold))" ]
	done
	# list: the whole size, and the much smaller part b2 added.
	run "${CBA[@]}" list --json
	expect_status 0
	python3 - "$output" <<'EOF'
import json, sys
b = {x["name"]: x for x in json.loads(sys.argv[1])}
assert b["b2"]["complete"] and b["b1"]["complete"], b
assert b["b2"]["bytes"] > b["b1"]["bytes"], b
assert b["b2"]["added_stored_bytes"] < b["b2"]["stored_bytes"] / 2, b["b2"]
assert b["b1"]["added_stored_bytes"] == b["b1"]["stored_bytes"], b["b1"]
EOF
	run "${CBA[@]}" list
	[[ "$output" == *"b2  complete"*"added)  runs: 1 differential"* ]]
	# Restores of both are byte for byte, b2's partly from b1's objects.
	run "${CBA[@]}" restore --snapshot-name b2 --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref2; done
	for h in $H1 $H2 $H3; do on "$h" "rm -rf /tmp/cassandra_restore"; done
	run "${CBA[@]}" restore --snapshot-name b1 --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref1; done
	# A name is used once.
	run "${CBA[@]}" backup --backup-name b2 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 73
	[[ "$output" == *"backup 'b2' exists and is complete"* ]]
}

@test "differential: a file changed in place is uploaded anew, one only touched is hashed and reused; b1 keeps its old content" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	live_sstables "$H1" | grep -- '-Statistics.db$' | sort >"$T/stats"
	changed=$(sed -n 1p "$T/stats")
	touched=$(sed -n 2p "$T/stats")
	[ -n "$changed" ] && [ -n "$touched" ]
	cp "$changed" "$T/changed.old"
	# The same size, other bytes, a new mtime (as a rewrite in place).
	printf 'XYZW' | dd of="$changed" bs=1 seek=3 conv=notrunc status=none
	touch -d '+1 minute' "$changed"
	cmp -s "$changed" "$T/changed.old" && return 1
	# The same bytes, a new mtime.
	touch -d '+2 minutes' "$touched"
	rel() { echo "${1#*/var-lib-cassandra/data/}"; }
	run "${CBA[@]}" backup --backup-name b2 --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	node_manifest b2 "$H1"
	python3 - "$T/b2.$H1.json" "$BASE" "$(basename "$changed")" "$(basename "$touched")" \
	    "$(basename "$(dirname "$changed")")" "$(basename "$(dirname "$touched")")" <<'EOF'
import json, sys
m, base, changed, touched, cdir, tdir = sys.argv[1:]
f = json.load(open(m))["files"]
def entry(name, tabledir):
    e = [x for x in f if x["path"].endswith("/" + name) and
         "/" + tabledir + "/" in x["path"]]
    assert len(e) == 1, (name, e)
    return e[0]
assert entry(changed, cdir)["key"].startswith(base + "/b2/"), entry(changed, cdir)
assert entry(touched, tdir)["key"].startswith(base + "/b1/"), entry(touched, tdir)
EOF
	[ "$(last_run "$T/b2.$H1.json" read_files)" -ge 2 ]
	snap_ref "$H1" ref2
	run "${CBA[@]}" restore --snapshot-name b2 --host "$H1" "${SSHO[@]}"
	expect_status 0
	same_as_ref "$H1" ref2
	# b1 restores the content it had.
	on "$H1" "rm -rf /tmp/cassandra_restore"
	run "${CBA[@]}" restore --snapshot-name b1 --host "$H1" "${SSHO[@]}"
	expect_status 0
	ks=$(rel "$changed")
	cmp "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore/$ks" "$T/changed.old"
}

@test "differential: objects missing from the earlier backup, or a node it lacks, are uploaded again; --full reuses nothing" {
	asan_light
	fresh_nodes
	on "$H3" "standin stop"
	run "${CBA[@]}" backup --backup-name b1 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	on "$H3" "standin start"
	# An object of b1 lost (deleted by hand).
	node_manifest b1 "$H1"
	lost=$(python3 -c 'import json,sys
print([f["key"] for f in json.load(open(sys.argv[1]))["files"] if f["key"].endswith("-Data.db.lzo")][0])' "$T/b1.$H1.json")
	cb-s3put --endpoint "$S3_ENDPOINT" -q --delete "s3://$S3_BUCKET/$lost"
	run "${CBA[@]}" backup --backup-name b2 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	# H1 refers to b1 (incomplete, but H1's manifest is good) and
	# uploaded the lost file again; H3 has no manifest in b1: full.
	[[ "$output" == *"3 snapshot (2 differential)"* ]]
	[[ "$output" == *"objects of earlier runs are not in the bucket as recorded"* ]]
	node_manifest b2 "$H1"
	[ "$(last_run "$T/b2.$H1.json" kind)" = differential ]
	python3 - "$T/b2.$H1.json" "$BASE" "$lost" <<'EOF'
import json, re, sys
m, base, lost = sys.argv[1:]
def ident(p):
    p = p.split("/var/lib/cassandra/data/", 1)[-1]
    return re.sub(r"/(snapshots/[^/]+|backups)/", "/", p)
want = ident(lost[:-len(".lzo")])
e = [x for x in json.load(open(m))["files"] if ident(x["path"]) == want]
assert len(e) == 1 and e[0]["key"].startswith(base + "/b2/"), (want, e)
EOF
	node_manifest b2 "$H3"
	[ "$(last_run "$T/b2.$H3.json" kind)" = full ]
	[ "$(keys_under "$T/b2.$H3.json" "$BASE/b1/")" = 0 ]
	for h in $H1 $H2 $H3; do snap_ref "$h" ref2; done
	run "${CBA[@]}" restore --snapshot-name b2 --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref2; done
	# --full: a new chain, everything uploaded.
	run "${CBA[@]}" backup --backup-name b3 --full --hosts "$H2" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	node_manifest b3 "$H2"
	[ "$(last_run "$T/b3.$H2.json" kind)" = full ]
	[ "$(last_run "$T/b3.$H2.json" reused_files)" = 0 ]
	[ "$(keys_under "$T/b3.$H2.json" "$BASE/b3/")" = "$(last_run "$T/b3.$H2.json" files)" ]
	# Names: the characters allowed, LATEST refused.
	for bad in '' .x 'a/b' 'a b' LATEST "$(printf 'a\tb')" -x; do
		run "${CBA[@]}" backup --backup-name "$bad" --hosts "$H2" "${SSHO[@]}" "${BKO[@]}"
		expect_status 64
		[[ "$output" == *"--backup-name"* ]]
	done
}

# kill_nodes: SIGKILL to the node programs of this test's hosts (found by
# their mount namespace, which shows this run's host directories) once
# they are uploading.
kill_nodes() {
	local pid n=0
	for pid in $(pgrep -f 'cb-node backup|cb-s3put -q.*--list'); do
		grep -qs "$CB_TEST_HOSTS_DIR/" "/proc/$pid/mountinfo" || continue
		kill -9 "$pid" 2>/dev/null && n=$((n + 1))
	done
	[ "$n" -gt 0 ]
}

# uploading: wait until objects of the run are in S3 (at most 30 s).
uploading() {
	for i in $(seq 1 300); do
		s3ls "$BASE/" | grep -q '\.lzo$' && return 0
		sleep 0.1
	done
	return 1
}

# whole_again: the rerun completed; everything restores byte for byte; no
# snapshot, multipart upload or unreferenced object is left.
whole_again() {
	for h in $H1 $H2 $H3; do snap_ref "$h" ref; done
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *" complete "* ]]
	RERUN=$output
	for h in $H1 $H2 $H3; do
		node_manifest "$(date -u +%Y%m%d)" "$h"
	done
	run "${CBA[@]}" restore --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref; done
	for h in $H1 $H2 $H3; do
		run on "$h" "nodetool listsnapshots"
		[[ "$output" != *cb-* ]]
	done
	run cb-s3get --endpoint "$S3_ENDPOINT" -q --ls --uploads "s3://$S3_BUCKET/$BASE/"
	expect_status 0
	[ -z "$output" ]
	s3ls "$BASE/" | grep -v "^$BASE/cassandra-backups.lock$" | sort >"$T/all"
	referenced >"$T/ref"
	diff "$T/ref" "$T/all"
}

@test "resume: the node programs killed with SIGKILL mid-upload; the rerun uploads only the rest and leaves nothing behind" {
	asan_light
	fresh_nodes
	# A file big enough for a multipart upload (5 MiB parts) still in
	# flight when the node programs are killed.
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 1 12000000"; done
	"${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --rate-limit 2000 >"$T/out" 2>&1 &
	pid=$!
	uploading
	for i in $(seq 1 100); do
		cb-s3get --endpoint "$S3_ENDPOINT" -q --ls --uploads "s3://$S3_BUCKET/$BASE/" |
		    grep -q . && break
		sleep 0.1
	done
	kill_nodes
	rc=0
	wait $pid || rc=$?
	[ "$rc" -ne 0 ]
	run "${CBA[@]}" list
	[[ "$output" == *"INCOMPLETE"* ]]
	[[ "$output" != *" complete "* ]]
	whole_again
	# What the killed run uploaded was taken over, not uploaded again.
	n=0
	for h in $H1 $H2 $H3; do
		n=$((n + $(last_run "$T/$(date -u +%Y%m%d).$h.json" resumed_files)))
	done
	[ "$n" -gt 0 ]
}

@test "resume: the driver killed with SIGKILL; the rerun takes over its lock, finishes, and leaves nothing behind" {
	asan_light
	fresh_nodes
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 200 >/dev/null"; done
	"${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --rate-limit 100 >"$T/out" 2>&1 &
	pid=$!
	uploading
	kill -9 "$pid"
	wait "$pid" || :
	# The lock of the dead run stays; no cluster manifest was written.
	s3ls "$BASE/" | grep -qx "$BASE/cassandra-backups.lock"
	run s3cat "$BASE/$(date -u +%Y%m%d)/manifest.json"
	[ "$status" -ne 0 ]
	# Its node programs may still run: the rerun's wait for them.
	whole_again
	[[ "$RERUN" == *"taking over the run lock"*"that process is gone"* ]]
}

@test "resume: the network to S3 gone mid-upload: the run fails, the rerun completes it and leaves nothing behind" {
	asan_light
	fresh_nodes
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 1 8000000"; done
	# The driver and the nodes reach S3 through a proxy, then not at all.
	proxy_start
	"${CBA[@]}" --s3-endpoint "$PROXY" backup --hosts "$HOSTS" "${SSHO[@]}" \
	    "${BKO[@]}" --rate-limit 1500 >"$T/out" 2>&1 &
	pid=$!
	uploading
	proxy_stop
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 69 ] || [ "$rc" = 75 ] || { cat "$T/out" >&2; return 1; }
	whole_again
}
