#!/usr/bin/env bats
# cb-manifest plan, list and latest: the driver's decisions over manifests
# (what a backup run does, the listing, what LATEST means).

load helpers
bats_require_minimum_version 1.5.0

setup() {
	T=$BATS_TEST_TMPDIR
	# cluster NAME CREATED COMPLETE HOSTS-JSON KEYSPACES-JSON [TABLE]
	cluster() {
		printf '{"format": "cassandra-backups cluster manifest", "version": 1, "name": "%s", "base_path": "p", "hosts": %s, "keyspaces": %s, "table": "%s", "created": "%s", "complete": %s, "totals": {"files": 3, "bytes": 10, "stored_bytes": 5}, "runs": [], "nodes": [{"host": "a", "status": "ok", "manifest": "p/%s/a/manifest-R1.json"}, {"host": "b", "status": "%s", "error": null, "manifest": %s}]}\n' \
		    "$1" "$4" "$5" "${6:-}" "$2" "$3" "$1" \
		    "$([ "$3" = true ] && echo ok || echo failed)" \
		    "$([ "$3" = true ] && echo "\"p/$1/b/manifest-R1.json\"" || echo null)"
	}
	cluster 20261130 2026-11-30T01:00:00Z true '["a", "b"]' null >"$T/full.json"
	cluster 20261201 2026-12-01T01:00:00Z false '["a", "b"]' null >"$T/inc.json"
	cluster 20261129 2026-11-29T01:00:00Z true '["a", "b"]' '["ks1"]' >"$T/ks1.json"
	printf '{"name": "20170104", "hosts": ["a"], "keyspaces": null, "table": ""}' >"$T/seed.json"
	printf 'not { json' >"$T/bad.json"
}

@test "plan: no backup today: every host full, under the day's name" {
	run cb-manifest plan --backup 20261201 --alt-name 20261201-101010 --hosts a,b \
	    --base-path p/q --run R2
	expect_status 0
	[ "$output" = "$(printf 'name\t20261201\nmanifest\tp/q/20261201/manifest.json\nhost\ta\tfull\t-\tp/q/20261201/a/manifest-R2.json\t-\nhost\tb\tfull\t-\tp/q/20261201/b/manifest-R2.json\t-')" ]
}

@test "plan: same settings add to today's backup, from each node's last manifest" {
	run cb-manifest plan --backup 20261201 --alt-name X --hosts a,b --previous "$T/inc.json" \
	    --base-path p --run R2
	expect_status 0
	[ "$output" = "$(printf 'name\t20261201\nmanifest\tp/20261201/manifest.json\nhost\ta\tincremental\tp/20261201/a/manifest-R1.json\tp/20261201/a/manifest-R2.json\t-\nhost\tb\tfull\t-\tp/20261201/b/manifest-R2.json\t-')" ]
}

@test "plan: other hosts, keyspaces, table, a seed backup or --new-snapshot get a name of their own" {
	for args in "--hosts a,c" "--hosts a,b --keyspaces ks1" "--hosts a,b --new-snapshot"; do
		run cb-manifest plan --backup 20261201 --alt-name 20261201-101010 $args --previous "$T/inc.json" --base-path p --run R
		expect_status 0
		[ "${lines[0]}" = "$(printf 'name\t20261201-101010')" ]
		[[ "$output" != *incremental* ]]
	done
	run cb-manifest plan --backup 20170104 --alt-name N2 --hosts a --previous "$T/seed.json" --base-path p --run R
	expect_status 0
	[ "${lines[0]}" = "$(printf 'name\tN2')" ]
}

@test "plan: a damaged manifest of today's backup stops the run (65), never a full run over it" {
	run cb-manifest plan --backup 20261201 --alt-name X --hosts a,b --previous "$T/bad.json" --base-path p --run R
	expect_status 65
	[[ "$output" == *"refusing to plan over it"* ]]
	[[ "$output" != *"name	"* ]]
}

@test "plan: a snapshot refers to the host's newest node manifest in another backup; --full to none" {
	printf '20261130\t%s\n20261201\t%s\n20261129\t%s\n20261202\t-\n20170104\t%s\n' \
	    "$T/full.json" "$T/inc.json" "$T/ks1.json" "$T/seed.json" >"$T/cat"
	run cb-manifest plan --backup 20261203 --alt-name X --hosts a,b,c --base-path p \
	    --run R3 --catalog "$T/cat"
	expect_status 0
	# a: the newest backup with a manifest for it (20261201, incomplete);
	# b failed there: 20261130; c is in none.
	[ "${lines[2]}" = "$(printf 'host\ta\tfull\t-\tp/20261203/a/manifest-R3.json\tp/20261201/a/manifest-R1.json')" ]
	[ "${lines[3]}" = "$(printf 'host\tb\tfull\t-\tp/20261203/b/manifest-R3.json\tp/20261130/b/manifest-R1.json')" ]
	[ "${lines[4]}" = "$(printf 'host\tc\tfull\t-\tp/20261203/c/manifest-R3.json\t-')" ]
	# Adding to today's backup: the incremental host refers to nothing
	# else, the one without a manifest in it to another backup.
	run cb-manifest plan --backup 20261201 --alt-name X --hosts a,b --base-path p \
	    --run R3 --catalog "$T/cat" --previous "$T/inc.json"
	expect_status 0
	[ "${lines[2]}" = "$(printf 'host\ta\tincremental\tp/20261201/a/manifest-R1.json\tp/20261201/a/manifest-R3.json\t-')" ]
	[ "${lines[3]}" = "$(printf 'host\tb\tfull\t-\tp/20261201/b/manifest-R3.json\tp/20261130/b/manifest-R1.json')" ]
	run cb-manifest plan --backup 20261203 --alt-name X --hosts a,b --base-path p \
	    --run R3 --catalog "$T/cat" --full
	expect_status 0
	[[ "$output" != *"manifest-R1"* ]]
	# --full on a day that has a backup: a name of its own.
	run cb-manifest plan --backup 20261201 --alt-name 20261201-101010 --hosts a,b \
	    --base-path p --run R3 --previous "$T/inc.json" --full
	expect_status 0
	[ "${lines[0]}" = "$(printf 'name\t20261201-101010')" ]
}

@test "plan: an explicit name is used once: complete or other settings 73, incomplete added to" {
	run cb-manifest plan --backup 20261130 --alt-name X --hosts a,b --base-path p \
	    --run R3 --named --previous "$T/full.json"
	expect_status 73
	[[ "$output" == *"backup '20261130' exists and is complete"* ]]
	run cb-manifest plan --backup 20261201 --alt-name X --hosts a,c --base-path p \
	    --run R3 --named --previous "$T/inc.json"
	expect_status 73
	[[ "$output" == *"exists with other hosts"* ]]
	run cb-manifest plan --backup 20261201 --alt-name X --hosts a,b --base-path p \
	    --run R3 --named --previous "$T/inc.json" --new-snapshot
	expect_status 0
	[ "${lines[0]}" = "$(printf 'name\t20261201')" ]
	[ "${lines[3]}" = "$(printf 'host\tb\tfull\t-\tp/20261201/b/manifest-R3.json\t-')" ]
}

@test "list: newest first by creation, runs without a manifest and unreadable manifests shown, exit 65" {
	printf '20261130\t%s\n20261201\t%s\n20261202\t-\n20261129\t%s\n20170104\t%s\n20261128\t%s\n' \
	    "$T/full.json" "$T/inc.json" "$T/ks1.json" "$T/seed.json" "$T/bad.json" >"$T/cat"
	run --separate-stderr cb-manifest list <"$T/cat"
	expect_status 65
	[[ "${lines[0]}" == "20261202  INCOMPLETE  no manifest.json"* ]]
	[[ "${lines[1]}" == "20261201  INCOMPLETE  hosts: a,b"* ]]
	[[ "$output" == *"20261130  complete  hosts: a,b  keyspaces: all"* ]]
	[[ "$output" == *"20261129  complete  hosts: a,b  keyspaces: ks1"* ]]
	[[ "$output" == *"20261128  UNREADABLE"* ]]
	[[ "$output" == *"20170104  seed-format"* ]]
	[[ "$stderr" == *"cannot read the manifest of backup '20261128'"* ]]
	run --separate-stderr cb-manifest list --json <"$T/cat"
	expect_status 65
	python3 -c '
import json, sys
d = json.loads(sys.argv[1])
assert [b["name"] for b in d] == ["20261202", "20261201", "20261130", "20261129", "20261128", "20170104"], d
assert d[0]["complete"] is False and d[0]["format"] is None
assert d[2]["complete"] is True and len(d[2]["nodes"]) == 2
' "$output"
	printf '' | cb-manifest list --json >"$T/empty"
	[ "$(tr -d ' \n' <"$T/empty")" = "[]" ]
}

@test "latest: the newest complete backup covering the hosts and keyspaces; incomplete ones skipped, said" {
	printf '20261130\t%s\n20261201\t%s\n20261129\t%s\n' \
	    "$T/full.json" "$T/inc.json" "$T/ks1.json" >"$T/cat"
	run --separate-stderr cb-manifest latest --hosts a,b <"$T/cat"
	expect_status 0
	[ "$output" = 20261130 ]
	[[ "$stderr" == *"skipping backup '20261201': it is incomplete"* ]]
	run --separate-stderr cb-manifest latest --hosts b --keyspaces ks1 <"$T/cat"
	expect_status 0
	[ "$output" = 20261130 ]
	# Only the ks1 backup, older, holds ks1 when the newer ones are gone.
	printf '20261201\t%s\n20261129\t%s\n' "$T/inc.json" "$T/ks1.json" >"$T/cat2"
	run --separate-stderr cb-manifest latest --hosts a --keyspaces ks1 <"$T/cat2"
	expect_status 0
	[ "$output" = 20261129 ]
	run --separate-stderr cb-manifest latest --hosts a --keyspaces ks2 <"$T/cat2"
	expect_status 66
	[ -z "$output" ]
	[[ "$stderr" == *"no complete backup holds hosts a and keyspaces ks2"* ]]
	run --separate-stderr cb-manifest latest --hosts a,c <"$T/cat"
	expect_status 66
}

@test "keys: backup names to the keys of their cluster manifests" {
	run cb-manifest keys --base-path base/x <<<"$(printf '20261201\n20261201-101010')"
	expect_status 0
	[ "$output" = "$(printf '20261201\tbase/x/20261201/manifest.json\n20261201-101010\tbase/x/20261201-101010/manifest.json')" ]
	run cb-manifest keys <<<x
	expect_status 64
}

@test "purge-plan: --keep N keeps the N newest complete; incomplete and unfinished ones go after the grace; seed only by age or name" {
	now=$(date -u +%Y-%m-%dT%H:%M:%SZ)
	old=2026-01-01T00:00:00Z
	cluster c1 2026-01-01T00:00:00Z true '["a", "b"]' null >"$T/c1.json"
	cluster c2 2026-01-02T00:00:00Z true '["a", "b"]' null >"$T/c2.json"
	cluster c3 2026-01-03T00:00:00Z true '["a", "b"]' null >"$T/c3.json"
	cluster i1 2026-01-02T12:00:00Z false '["a", "b"]' null >"$T/i1.json"
	cluster i2 "$now" false '["a", "b"]' null >"$T/i2.json"
	printf 'c1\t%s\nc2\t%s\nc3\t%s\ni1\t%s\ni2\t%s\n20170104\t%s\nrun1\t-\nrun2\t-\nbad\t%s\n' \
	    "$T/c1.json" "$T/c2.json" "$T/c3.json" "$T/i1.json" "$T/i2.json" "$T/seed.json" "$T/bad.json" >"$T/cat"
	printf 'run1\t2026-01-05T00:00:00.000Z\nrun2\t%s\n' "$now" >"$T/ages"
	run --separate-stderr cb-manifest purge-plan --keep 2 --ages "$T/ages" <"$T/cat"
	expect_status 0
	printf '%s\n' "$output" | cut -f1,2 | sort >"$T/got"
	printf 'keep\t20170104\nkeep\tbad\nkeep\tc2\nkeep\tc3\nkeep\ti2\nkeep\trun2\npurge\tc1\npurge\ti1\npurge\trun1\n' >"$T/want"
	diff "$T/want" "$T/got"
	[[ "$output" == *"$(printf 'purge\tc1\tbeyond the 2 newest complete backups')"* ]]
	[[ "$output" == *"$(printf 'keep\ti2\tincomplete, within the grace')"* ]]
	[[ "$output" == *"$(printf 'keep\tbad\tits manifest cannot be read')"* ]]
	# --older-than: by creation; the seed backup by its name's day.
	run --separate-stderr cb-manifest purge-plan --older-than 30 --grace 0 --ages "$T/ages" <"$T/cat"
	expect_status 0
	printf '%s\n' "$output" | awk -F'\t' '$1 == "purge" { print $2 }' | sort >"$T/got"
	printf '20170104\nc1\nc2\nc3\ni1\ni2\nrun1\nrun2\n' >"$T/want"
	diff "$T/want" "$T/got"
	# --name: that one only, whatever it is.
	run --separate-stderr cb-manifest purge-plan --name run2 <"$T/cat"
	expect_status 0
	[[ "$output" == *"$(printf 'purge\trun2\tnamed; it has no manifest.json (a run that did not finish)')"* ]]
	# Every other backup is kept: what it names is protected.
	[ "$(printf '%s\n' "$output" | grep -c '^purge')" = 1 ]
	[ "$(printf '%s\n' "$output" | grep -c '^keep')" = 8 ]
	run cb-manifest purge-plan --keep 0 <"$T/cat"
	expect_status 64
	run cb-manifest purge-plan --keep 1 --older-than 2 <"$T/cat"
	expect_status 64
}

@test "report: verify and purge reports, as text and JSON" {
	printf 'node\th1\t10\t2048\0defect\th1\tmissing\tp/b1/h1/x.lzo\t/var/lib/cassandra/data/ks/t-1/snapshots/s/nb-1-big-Data.db\0node\th2\t5\t100\0defect\th3\tno node manifest (status failed)\t-\t-\0' >"$T/v"
	run cb-manifest report verify -0 --backup b1 --mode quick <"$T/v"
	expect_status 1
	[[ "${lines[0]}" == "verify: backup 'b1', quick: 2 hosts, 15 files, 2.1 KiB: DEFECTS FOUND" ]]
	[[ "$output" == *"  h1: missing: /var/lib/cassandra/data/ks/t-1/snapshots/s/nb-1-big-Data.db (object p/b1/h1/x.lzo)"* ]]
	[[ "$output" == *"  h3: no node manifest (status failed)"* ]]
	run cb-manifest report verify -0 --backup b1 --mode quick --json <"$T/v"
	expect_status 1
	python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert not r["whole"] and len(r["defects"]) == 2 and r["defects"][1]["key"] is None, r' "$output"
	printf 'node\th1\t10\t2048\0' | cb-manifest report verify -0 --backup b1 --mode deep
	printf 'purge\tb1\tnamed\0keep\tb2\tkept\0object\t100\tp/b1/h1/x.lzo\0upload\t2026-01-01T00:00:00.000Z\tp/b1/h1/y.lzo\0' >"$T/p"
	run cb-manifest report purge -0 --dry-run <"$T/p"
	expect_status 0
	[[ "$output" == *"purge: backup 'b1' would go: named"* ]]
	[[ "$output" == *"purge: 1 backups, 1 objects, 100 B, 1 multipart uploads would go (dry run: nothing was deleted)"* ]]
	run cb-manifest report purge -0 --json <"$T/p"
	python3 -c 'import json,sys; r = json.loads(sys.argv[1]); assert not r["dry_run"] and r["bytes"] == 100 and r["objects"][0]["key"] == "p/b1/h1/x.lzo", r' "$output"
}
