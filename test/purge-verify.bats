#!/usr/bin/env bats
# purge and verify, end to end (cassandra-backups(1)): stand-in nodes
# behind sshd, the RGW server.

load helpers
bats_require_minimum_version 1.5.0

load e2e
load s3_helpers

# three_backups: b1, b2 and b3 of HOSTS with new data between them and a
# compaction after b2 (so that sstables of b1 and b2 exist only in those
# backups), and reference snapshot ref3 of what b3 holds.
three_backups() {
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 9"; done
	run "${CBA[@]}" backup --backup-name b2 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do on "$h" "nodetool compact ks1 users; standin write ks1 events 3"; done
	run "${CBA[@]}" backup --backup-name b3 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do snap_ref "$h" ref3; done
}

@test "purge --keep 1: a dry run deletes nothing; the purge keeps every object b3 needs, whatever its key, and nothing else" {
	asan_light
	three_backups
	s3ls "$BASE/" | sort >"$T/before"
	run "${CBA[@]}" purge --keep 1 --dry-run
	expect_status 0
	[[ "$output" == *"backup 'b1' would go: beyond the 1 newest complete backups"* ]]
	[[ "$output" == *"backup 'b2' would go"* ]]
	[[ "$output" == *"backup 'b3' kept: one of the 1 newest complete backups"* ]]
	[[ "$output" == *"(dry run: nothing was deleted)"* ]]
	[[ "$output" == *"  object $BASE/b1/$H1/"* ]]
	s3ls "$BASE/" | sort >"$T/after"
	diff "$T/before" "$T/after"
	# The JSON report says the same.
	run "${CBA[@]}" purge --keep 1 --dry-run --json
	expect_status 0
	python3 - "$output" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
assert r["dry_run"] and sorted(b["name"] for b in r["backups"]) == ["b1", "b2"], r
assert r["objects_count"] == len(r["objects"]) > 0 and r["bytes"] > 0, r
EOF
	run "${CBA[@]}" purge --keep 1
	expect_status 0
	[[ "$output" == *"backup 'b1' deleted"* ]]
	run "${CBA[@]}" list
	[[ "$output" == *"b3  complete"* ]]
	[[ "$output" != *"b1 "* ]]
	[[ "$output" != *"b2 "* ]]
	# b3 still refers to objects stored under b1's name, and they are there.
	s3ls "$BASE/" | grep -v "^$BASE/cassandra-backups.lock$" | sort >"$T/all"
	grep -q "^$BASE/b1/$H1/" "$T/all"
	# Nothing unreferenced is left.
	referenced >"$T/ref"
	diff "$T/ref" "$T/all"
	run "${CBA[@]}" verify --snapshot-name b3 --deep
	expect_status 0
	[[ "$output" == *"verify: backup 'b3', deep: 3 hosts, "*" files, "*": whole"* ]]
	# --all checks the backups there are, not the tombstones.
	run "${CBA[@]}" verify --all --json
	expect_status 0
	python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert [x["backup"] for x in r] == ["b3"] and r[0]["whole"], r' "$output"
	run "${CBA[@]}" restore --snapshot-name b3 --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref3; done
	# b1's name holds a tombstone while b3 names objects under it: it
	# neither lists nor restores, and purging it again says so.
	s3cat "$BASE/b1/manifest.json" | grep -q '"format": "cassandra-backups purged backup"'
	run "${CBA[@]}" restore --snapshot-name b1 --hosts "$H1" "${SSHO[@]}"
	expect_status 66
	[[ "$output" == *"backup 'b1' was purged"* ]]
	run "${CBA[@]}" purge --snapshot-name b1
	expect_status 66
	[[ "$output" == *"purged already"* ]]
	# Once b3 goes too, nothing at all is left.
	run "${CBA[@]}" purge --snapshot-name b3
	expect_status 0
	[ -z "$(s3ls "$BASE/" | grep -v "^$BASE/cassandra-backups.lock$")" ]
	run "${CBA[@]}" purge --snapshot-name nosuch
	expect_status 66
}

@test "purge killed with SIGKILL part-way: the rerun finishes, and b3 is whole" {
	asan_light
	three_backups
	"${CBA[@]}" purge --keep 1 --grace 0 >"$T/out" 2>&1 &
	pid=$!
	# Kill it once it has started deleting (or at the latest when done).
	for i in $(seq 1 200); do
		s3ls "$BASE/b1/manifest.json" | grep -q . || break
		sleep 0.05
	done
	kill -9 "$pid" 2>/dev/null || :
	wait "$pid" || :
	# What a kill leaves: at worst b1 and b2 without their manifests, and
	# the run lock of a process that is gone.
	run "${CBA[@]}" list
	[[ "$output" == *"b3  complete"* ]]
	[[ "$output" != *"b1  complete"* ]] || [[ "$(cat "$T/out")" != *deleted* ]]
	# A multipart upload a killed run left under the base path goes too.
	awscli s3api create-multipart-upload --bucket "$S3_BUCKET" \
	    --key "$BASE/b1/$H1/left-behind.lzo" >/dev/null
	run "${CBA[@]}" purge --keep 1 --grace 0
	expect_status 0
	[[ "$output" == *"multipart upload $BASE/b1/$H1/left-behind.lzo"* ]]
	run cb-s3get --endpoint "$S3_ENDPOINT" -q --ls --uploads "s3://$S3_BUCKET/$BASE/"
	expect_status 0
	[ -z "$output" ]
	run "${CBA[@]}" list
	[ "$(printf '%s\n' "$output" | grep -c .)" = 1 ]
	[[ "$output" == "b3  complete"* ]]
	s3ls "$BASE/" | grep -v "^$BASE/cassandra-backups.lock$" | sort >"$T/all"
	referenced >"$T/ref"
	diff "$T/ref" "$T/all"
	run "${CBA[@]}" verify --snapshot-name b3
	expect_status 0
}

@test "purge never touches a running backup (lock held) or an incomplete one within the grace" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	on "$H3" "standin stop"
	run "${CBA[@]}" backup --backup-name b2 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	on "$H3" "standin start"
	run "${CBA[@]}" backup --backup-name b3 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	# b2 is incomplete and younger than the grace: kept; b1 goes.
	run "${CBA[@]}" purge --keep 1
	expect_status 0
	[[ "$output" == *"backup 'b2' kept: incomplete, within the grace"* ]]
	[[ "$output" == *"backup 'b1' deleted"* ]]
	run "${CBA[@]}" verify --snapshot-name b2
	expect_status 1
	[[ "$output" == *"incomplete backup"* ]]
	[[ "$output" == *"$H3: no node manifest"* ]]
	# A backup running (its lock held): purge refuses, naming it.
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 300 >/dev/null"; done
	"${CBA[@]}" backup --backup-name b4 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --rate-limit 20 >"$T/out" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		s3ls "$BASE/cassandra-backups.lock" | grep -q . && break
		sleep 0.1
	done
	run "${CBA[@]}" purge --keep 1 --grace 0
	expect_status 75
	[[ "$output" == *"another run holds"*"command"* ]] || [[ "$output" == *"another run holds"* ]]
	kill -TERM "$pid"
	wait "$pid" || :
	run "${CBA[@]}" list
	[[ "$output" == *"b3  complete"* ]]
	[[ "$output" == *"b2  INCOMPLETE"* ]]
}

@test "verify: a whole backup is 0; a missing, a replaced and a truncated object are each named, exit 1" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$H1,$H2" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	run "${CBA[@]}" verify
	expect_status 0
	[[ "$output" == *"verify: backup 'b1', quick: 2 hosts, "*": whole"* ]]
	run "${CBA[@]}" verify --snapshot-name b1 --deep --json
	expect_status 0
	python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert r["whole"] and r["mode"] == "deep" and r["files"] > 100, r' "$output"
	# Three objects of H1, damaged three ways.
	s3ls "$BASE/b1/$H1/" | grep -- '-Data.db.lzo$' | head -3 >"$T/victims"
	gone=$(sed -n 1p "$T/victims") swapped=$(sed -n 2p "$T/victims") cut=$(sed -n 3p "$T/victims")
	cb-s3put --endpoint "$S3_ENDPOINT" -q --delete "s3://$S3_BUCKET/$gone"
	s3cat "$swapped" >"$T/sw"
	# The same size, other bytes (one flipped in the middle).
	python3 - "$T/sw" <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 2] ^= 0xff
open(sys.argv[1], "wb").write(b)
EOF
	cb-s3put --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$swapped" "$T/sw" >/dev/null
	s3cat "$cut" | head -c 40 >"$T/cut"
	cb-s3put --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$cut" "$T/cut" >/dev/null
	run "${CBA[@]}" verify --snapshot-name b1
	expect_status 1
	[[ "$output" == *"$H1: missing: /var/lib/cassandra/"*"(object $gone)"* ]]
	[[ "$output" == *"$H1: etag: "*"(object $swapped)"* ]]
	[[ "$output" == *"$H1: size: "*"(object $cut)"* ]]
	[[ "$output" == *"3 defects"* ]]
	[[ "$output" != *"$H2: "* ]]
	run "${CBA[@]}" verify --snapshot-name b1 --deep --json
	expect_status 1
	python3 - "$output" "$gone" "$swapped" "$cut" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
gone, swapped, cut = sys.argv[2:]
d = {(x["what"], x["key"]) for x in r["defects"]}
assert not r["whole"], r
assert ("missing", gone) in d and ("etag", swapped) in d and ("size", cut) in d, d
# The deep pass decodes: the flipped and the truncated objects fail it.
deep = {k for (w, k) in d if w in ("bad checksum or size", "undecodable")}
assert swapped in deep and cut in deep, d
EOF
	# The deep check run by the nodes themselves finds the same.
	run "${CBA[@]}" verify --snapshot-name b1 --deep --on-nodes "${SSHO[@]}" --json
	expect_status 1
	python3 - "$output" "$swapped" "$cut" "$H1" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
swapped, cut, h1 = sys.argv[2:]
deep = {x["key"] for x in r["defects"] if x["host"] == h1 and
        x["what"] in ("bad checksum or size", "undecodable")}
assert swapped in deep and cut in deep, r["defects"]
EOF
	run "${CBA[@]}" verify --snapshot-name b1 --on-nodes "${SSHO[@]}"
	expect_status 64
	# --hosts narrows the check.
	run "${CBA[@]}" verify --snapshot-name b1 --hosts "$H2"
	expect_status 0
	run "${CBA[@]}" verify --snapshot-name b1 --hosts "$H2" --deep --on-nodes "${SSHO[@]}"
	expect_status 0
	# A backup that is not there: 66; a check that cannot run: S3's status.
	run "${CBA[@]}" verify --snapshot-name nosuch
	expect_status 66
	AWS_SECRET_ACCESS_KEY=wrong-$AWS_SECRET_ACCESS_KEY run "${CBA[@]}" verify --snapshot-name b1
	expect_status 77
}

@test "seed-format backups: verify decodes every object and says it has no checksums; purge by age and by name" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --backup-name b1 --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	d=/var/lib/cassandra/data/ks1/users-0123456789abcdef0123456789abcdef/snapshots/x
	for n in 20170104 20170105; do
		head -c 5000 /dev/urandom | lzop -c | cb-s3put --endpoint "$S3_ENDPOINT" -q \
		    "s3://$S3_BUCKET/$BASE/$n/$H1$d/mc-1-big-Data.db.lzo" - >/dev/null
		printf '{"name": "%s", "base_path": "%s", "hosts": ["%s"], "keyspaces": null, "table": ""}' \
		    "$n" "$BASE" "$H1" | cb-s3put --endpoint "$S3_ENDPOINT" -q \
		    "s3://$S3_BUCKET/$BASE/$n/manifest.json" - >/dev/null
	done
	run "${CBA[@]}" verify --snapshot-name 20170104
	expect_status 0
	[[ "$output" == *"seed-format: no checksums; every object is decoded"*"1 files"*": whole"* ]]
	# An object that does not decode is a defect.
	printf 'not lzop' | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/20170105/$H1$d/mc-2-big-Data.db.lzo" - >/dev/null
	run "${CBA[@]}" verify --snapshot-name 20170105
	expect_status 1
	[[ "$output" == *"$H1: undecodable: ks1/users-0123456789abcdef0123456789abcdef/mc-2-big-Data.db"* ]]
	# --keep never purges them; age (their name's day) and name do.
	run "${CBA[@]}" purge --keep 1
	expect_status 0
	[[ "$output" == *"backup '20170104' kept: seed-format: purged by name or age only"* ]]
	# (--grace 0: every object is past it; b1's must still stay)
	run "${CBA[@]}" purge --snapshot-name 20170105 --grace 0
	expect_status 0
	run "${CBA[@]}" verify --snapshot-name b1
	expect_status 0
	[ -z "$(s3ls "$BASE/20170105/")" ]
	run "${CBA[@]}" purge --older-than 1000
	expect_status 0
	[[ "$output" == *"backup '20170104' deleted: seed-format, of 2017-01-04, older than 1000 days"* ]]
	[[ "$output" == *"backup 'b1' kept"* ]]
	[ -z "$(s3ls "$BASE/20170104/")" ]
	run "${CBA[@]}" verify --snapshot-name b1
	expect_status 0
}
