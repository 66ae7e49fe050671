#!/usr/bin/env bats
# cb-manifest's side of a restore: the topology a node manifest recorded
# (the tokens of --target-hosts), the tables a rerun leaves out
# (--exclude-tables) and the restore report (report restore).

load helpers
bats_require_minimum_version 1.5.0

SHA_A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
TD=users-0123456789abcdef0123456789abcdef
D=/var/lib/cassandra/data

setup() {
	T=$BATS_TEST_TMPDIR
	{
	printf 'ok\t100\t60\t%s\te1\tb/n/h1%s.lzo\t100\t1000\t11\t%s\n' \
	    $SHA_A "$D/ks1/$TD/snapshots/t1/nb-1-big-Data.db" "$D/ks1/$TD/snapshots/t1/nb-1-big-Data.db"
	printf 'ok\t100\t60\t%s\te1\tb/n/h1%s.lzo\t100\t1000\t12\t%s\n' \
	    $SHA_A "$D/ks1/t2-0123456789abcdef0123456789abcdee/snapshots/t1/nb-1-big-Data.db" \
	    "$D/ks1/t2-0123456789abcdef0123456789abcdee/snapshots/t1/nb-1-big-Data.db"
	printf 'ok\t100\t60\t%s\te1\tb/n/h1%s.lzo\t100\t1000\t13\t%s\n' \
	    $SHA_A "$D/ks2/$TD/snapshots/t1/nb-1-big-Data.db" "$D/ks2/$TD/snapshots/t1/nb-1-big-Data.db"
	} >"$T/results"
	printf 'format\tcb-topology 1\nhost_id\tabc-123\ndatacenter\tdc1\nrack\tr1\ncassandra_version\t4.1.3\ntoken\t-5\ntoken\t7\n' >"$T/topo"
	cb-manifest node --backup b1 --run R1 --host h1 --topology "$T/topo" \
	    <"$T/results" >"$T/node.json"
}

@test "cb-manifest topology gives back the topology records the backup recorded" {
	run cb-manifest topology <"$T/node.json"
	expect_status 0
	[ "${lines[0]}" = "format	cb-topology 1" ]
	[[ "$output" == *"host_id	abc-123"* ]]
	[ "$(grep -c '^token	' <<<"$output")" = 2 ]
	[ "$(sed -n 's/^token	//p' <<<"$output" | paste -sd, -)" = "-5,7" ]
	# no topology recorded: 65
	cb-manifest node --backup b1 --run R1 --host h1 <"$T/results" >"$T/bare.json"
	run cb-manifest topology <"$T/bare.json"
	expect_status 65
	[[ "$output" == *"records no topology"* ]]
	run cb-manifest topology <<<'{"format": "something else"}'
	expect_status 65
}

@test "cb-manifest restore --exclude-tables leaves out exactly those tables" {
	run cb-manifest restore <"$T/node.json"
	expect_status 0
	[ "${#lines[@]}" = 3 ]
	run cb-manifest restore --exclude-tables ks1.users,ks9.x <"$T/node.json"
	expect_status 0
	[ "${#lines[@]}" = 2 ]
	expect_no_match "ks1/$TD/" <<<"$output"
	[[ "$output" == *"ks2/$TD/"* ]]
	[[ "$output" == *"ks1/t2-"* ]]
	# (a keyspace name alone, or a prefix of a name, is not a table)
	run cb-manifest restore --exclude-tables ks1,ks1.user <"$T/node.json"
	expect_status 0
	[ "${#lines[@]}" = 3 ]
}

@test "cb-manifest report restore: per host, files not restored, tables, tokens; JSON that python reads" {
	printf 'schema\th1\t12\0' >"$T/rr"
	printf 'restored\th1\tn1\t0\t10\t10\t2048\t3\t-\0' >>"$T/rr"
	printf 'restored\th2\tn2\t73\t0\t10\t0\t0\tnot enough space in /r\0' >>"$T/rr"
	printf 'failed\th2\tNoSpace\tks1/t-1/a\tb\0' >>"$T/rr"
	printf 'table\th1\tloaded\tks1\tusers\taaaa,cccc\tbbbb\t3\t999\0' >>"$T/rr"
	printf 'table\th1\talready\tks1\tt2\tdddd\tdddd\t0\t0\0' >>"$T/rr"
	printf 'tokens\th1\t-5,7\0' >>"$T/rr"
	run cb-manifest report restore -0 --backup b1 --mode import <"$T/rr"
	expect_status 0
	[[ "$output" == *"h1: schema applied (12 statements"* ]]
	[[ "$output" == *"h1: 10 of 10 files, 2.0 KiB restored and verified (3 kept from an earlier run) from host n1"* ]]
	[[ "$output" == *"h1: initial_token: -5,7"* ]]
	[[ "$output" == *"h1: ks1.users: loaded, 3 sstables, 999 B (backup id aaaa,cccc, live id bbbb)"* ]]
	[[ "$output" == *"h1: ks1.t2: already"* ]]
	[[ "$output" == *'h2: not restored: ks1/t-1/a\tb (NoSpace)'* ]]
	[[ "$output" == *"h2: FAILED: not enough space in /r"* ]]
	[[ "${lines[-1]}" == *"1 tables loaded; INCOMPLETE" ]]
	run cb-manifest report restore -0 --backup b1 --mode import --json <"$T/rr"
	expect_status 0
	python3 - "$output" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["backup"] == "b1" and r["load"] == "import" and r["complete"] is False
assert r["schema"] == {"host": "h1", "statements": 12}
h1, h2 = r["hosts"]
assert h1["host"] == "h1" and h1["source"] == "n1" and h1["status"] == 0
assert h1["kept_files"] == 3 and h1["error"] is None and h1["initial_token"] == "-5,7"
assert [t["status"] for t in h1["tables"]] == ["loaded", "already"]
assert h1["tables"][0]["backup_ids"] == ["aaaa", "cccc"] and h1["tables"][0]["live_id"] == "bbbb"
assert h2["status"] == 73 and h2["error"] == "not enough space in /r"
assert h2["not_restored"] == [{"path": "ks1/t-1/a\tb", "status": "NoSpace"}]
PY
	# all well: complete
	printf 'restored\th1\th1\t0\t1\t1\t5\t0\t-\0' >"$T/ok"
	run cb-manifest report restore -0 --backup b1 --mode none <"$T/ok"
	expect_status 0
	[[ "${lines[-1]}" == *"; complete" ]]
	run cb-manifest report restore -0 --backup b1 --mode none --json <"$T/ok"
	[[ "$output" == *'"complete": true'* ]]
	# a malformed record: 65
	printf 'table\th1\tloaded\0' >"$T/bad"
	run cb-manifest report restore -0 --backup b1 --mode none <"$T/bad"
	expect_status 65
}
