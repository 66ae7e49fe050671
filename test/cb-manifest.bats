#!/usr/bin/env bats
# cb-manifest: node and cluster manifests, restore records, seed listings.

load helpers
bats_require_minimum_version 1.5.0

SHA_A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
SHA_B=bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb
TD=users-0123456789abcdef0123456789abcdef
D=/var/lib/cassandra/data

setup() {
	T=$BATS_TEST_TMPDIR
	# cb-s3put results: STATUS RAW STORED SHA ETAG KEY SIZE MTIME INODE PATH
	{
	printf 'ok\t100\t60\t%s\te1\tb/n/h1%s.lzo\t100\t1000\t11\t%s\n' \
	    $SHA_A "$D/ks1/$TD/snapshots/t1/nb-1-big-Data.db" "$D/ks1/$TD/snapshots/t1/nb-1-big-Data.db"
	printf 'ok\t7\t9\t%s\te2\tb/n/h1%s.lzo\t7\t1001\t12\t%s\n' \
	    $SHA_B "$D/ks1/$TD/snapshots/t1/manifest.json" "$D/ks1/$TD/snapshots/t1/manifest.json"
	printf 'ok\t5\t9\t%s\te3\tb/n/h1%s.lzo\t5\t1002\t13\t%s\n' \
	    $SHA_B "$D/system/local-0123456789abcdef0123456789abcdef/snapshots/t1/nb-1-big-Data.db" \
	    "$D/system/local-0123456789abcdef0123456789abcdef/snapshots/t1/nb-1-big-Data.db"
	} >"$T/results"
	printf 'format\tcb-topology 1\nhost_id\tabc-123\ndatacenter\tdc1\nrack\tr1\ncassandra_version\t4.1.3\ntoken\t-5\ntoken\t7\n' >"$T/topo"
	printf 'CREATE KEYSPACE ks1 WITH replication = {"x": 1};\n\tand a tab\n' >"$T/schema"
}

node1() {
	cb-manifest node --backup 20261125 --run R1 --host h1 \
	    --topology "$T/topo" --schema "$T/schema" <"$T/results" >"$T/node1.json"
}

@test "cb-manifest --help, -V, usage errors exit 64" {
	run cb-manifest --help
	expect_status 0
	[[ "$output" == "usage: cb-manifest node"* ]]
	run cb-manifest -V
	expect_status 0
	run cb-manifest
	expect_status 64
	run cb-manifest frob
	expect_status 64
	run cb-manifest node --run R --host h
	expect_status 64
	[[ "$output" == *"--backup is required"* ]]
	run cb-manifest node --backup b --run R --host h --kind partial
	expect_status 64
}

@test "cb-manifest node writes a versioned JSON manifest that python reads back" {
	node1
	python3 - "$T/node1.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == "cassandra-backups node manifest" and m["version"] == 1
assert m["host"] == "h1" and m["backup"] == "20261125" and m["run"] == "R1"
assert m["topology"]["host_id"] == "abc-123" and m["topology"]["tokens"] == ["-5", "7"]
assert m["schema"].endswith('{"x": 1};\n\tand a tab\n')
assert m["totals"] == {"files": 3, "bytes": 112, "stored_bytes": 78,
    "added_files": 3, "added_bytes": 112, "added_stored_bytes": 78}
f = m["files"][0]
assert f["size"] == 100 and f["stored_size"] == 60 and f["sha256"] == "a" * 64
assert f["mtime_ns"] == 1000 and f["inode"] == 11 and f["run"] == "R1"
assert f["source"] == "snapshot" and f["key"].endswith("nb-1-big-Data.db.lzo")
assert m["files"][1]["source"] == "other"
assert m["runs"] == [{"run": "R1", "kind": "full", "reference": None,
    "started": None, "duration_seconds": None,
    "files": 3, "bytes": 112, "stored_bytes": 78, "resumed_files": 0,
    "reused_files": 0, "reused_bytes": 0, "read_files": 3, "read_bytes": 112}]
EOF
}

@test "cb-manifest node: an incremental run keeps the earlier files by reference" {
	node1
	printf 'ok\t50\t30\t%s\te9\tb/n/h1%s.lzo\t50\t2000\t21\t%s\n' \
	    $SHA_B "$D/ks1/$TD/backups/nb-2-big-Data.db" "$D/ks1/$TD/backups/nb-2-big-Data.db" |
	    cb-manifest node --backup 20261125 --run R2 --host h1 --kind incremental \
	    --previous "$T/node1.json" >"$T/node2.json"
	python3 - "$T/node2.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert len(m["files"]) == 4
assert [f["run"] for f in m["files"]] == ["R1", "R1", "R1", "R2"]
assert m["files"][0]["key"] == "b/n/h1/var/lib/cassandra/data/ks1/users-0123456789abcdef0123456789abcdef/snapshots/t1/nb-1-big-Data.db.lzo"
assert [r["kind"] for r in m["runs"]] == ["full", "incremental"]
assert m["runs"][1]["files"] == 1
EOF
}

@test "cb-manifest node: a failed upload means no manifest and exit 1" {
	printf 'SlowDown\t-\t-\t-\t-\tb/k.lzo\t1\t1\t1\t%s\n' "$D/ks1/$TD/backups/x" >>"$T/results"
	run --separate-stderr cb-manifest node --backup b --run R --host h1 <"$T/results"
	expect_status 1
	[ -z "$output" ]
	[[ "$stderr" == *"cannot back up '$D/ks1/$TD/backups/x': SlowDown"* ]]
}

@test "cb-manifest: malformed input exits 65" {
	printf 'ok\tnot-a-number\t1\t%s\te\tk\t1\t1\t1\t/p\n' $SHA_A >"$T/bad"
	run cb-manifest node --backup b --run R --host h <"$T/bad"
	expect_status 65
	printf 'ok\t1\n' >"$T/short"
	run cb-manifest node --backup b --run R --host h <"$T/short"
	expect_status 65
	printf '{"files": [' >"$T/broken.json"
	run cb-manifest restore <"$T/broken.json"
	expect_status 65
	printf '{"name": "x"}' >"$T/other.json"
	run cb-manifest restore <"$T/other.json"
	expect_status 65
	[[ "$output" == *"not a node manifest"* ]]
}

@test "cb-manifest restore: records for cb-s3get, filtered, system keyspaces optional" {
	node1
	run cb-manifest restore <"$T/node1.json"
	expect_status 0
	[ "${lines[0]}" = "b/n/h1$D/ks1/$TD/snapshots/t1/nb-1-big-Data.db.lzo	100	$SHA_A	ks1/$TD/nb-1-big-Data.db" ]
	[ "${#lines[@]}" -eq 2 ]
	run cb-manifest restore --exclude-system <"$T/node1.json"
	[ "${#lines[@]}" -eq 1 ]
	run cb-manifest restore --keyspaces system <"$T/node1.json"
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"	system/local-"* ]]
	run cb-manifest restore --keyspaces ks1 --table users <"$T/node1.json"
	[ "${#lines[@]}" -eq 1 ]
	run --separate-stderr cb-manifest restore --keyspaces ks1 --table other <"$T/node1.json"
	expect_status 0
	[ -z "$output" ]
	[[ "$stderr" == *"no files match"* ]]
	cb-manifest restore -0 <"$T/node1.json" | tr '\0' '\n' >"$T/z"
	[ "$(wc -l <"$T/z")" -eq 2 ]
}

@test "cb-manifest restore --listing: seed layout, one or two slashes, exact host" {
	p=base/20170104
	{
	printf '9\tm\te\t%s\n' "$p/10.0.0.1$D/ks1/$TD/snapshots/20170104/mc-1-big-Data.db.lzo"
	printf '9\tm\te\t%s\n' "$p/10.0.0.1/$D/ks1/$TD/snapshots/20170104/mc-1-big-Index.db.lzo"
	printf '9\tm\te\t%s\n' "$p/10.0.0.1/$D/ks1/$TD/backups/mc-1-big-Data.db.lzo"
	printf '9\tm\te\t%s\n' "$p/10.0.0.10$D/ks1/$TD/snapshots/20170104/mc-9-big-Data.db.lzo"
	printf '9\tm\te\t%s\n' "$p/10.0.0.1/ring"
	printf '9\tm\te\t%s\n' "$p/manifest.json"
	} >"$T/ls"
	run cb-manifest restore --listing "$p/10.0.0.1" <"$T/ls"
	expect_status 0
	[ "${#lines[@]}" -eq 2 ]
	[ "${lines[0]}" = "$p/10.0.0.1$D/ks1/$TD/snapshots/20170104/mc-1-big-Data.db.lzo	-	-	ks1/$TD/mc-1-big-Data.db" ]
	[ "${lines[1]}" = "$p/10.0.0.1/$D/ks1/$TD/snapshots/20170104/mc-1-big-Index.db.lzo	-	-	ks1/$TD/mc-1-big-Index.db" ]
}

@test "cb-manifest restore refuses keys that escape the restore directory (65)" {
	printf '9\tm\te\t%s\n' \
	    "p/h/var/lib/cassandra/data/ks1/$TD/snapshots/t/../../../../../../../etc/x-1/snapshots/t/passwd.lzo" \
	    "p/h/var/lib/cassandra/data/ks1/$TD/snapshots/t/f.lzo" >"$T/ls"
	run --separate-stderr cb-manifest restore --listing p/h <"$T/ls"
	expect_status 65
	[[ "$stderr" == *"refusing key 'p/h/var/lib/cassandra/data/ks1/$TD/snapshots/t/../"* ]]
	node1
	sed 's|/snapshots/t1/nb-1-big-Data.db"|/snapshots/t1/../../../x/snapshots/t/evil"|' "$T/node1.json" >"$T/evil.json"
	run cb-manifest restore <"$T/evil.json"
	expect_status 65
}

@test "cb-manifest merge, info and summary: complete, incomplete, previous runs" {
	node1
	sed 's/"host": "h1"/"host": "h2"/' "$T/node1.json" >"$T/node2.json"
	printf 'h1\tok\tb/n/h1/manifest-R1.json\t%s\nh2\tfailed\t-\tssh: connect refused\n' \
	    "$T/node1.json" | cb-manifest merge --backup 20261125 --base-path b \
	    --run R1 --hosts h1,h2 >"$T/c1.json"
	run cb-manifest info <"$T/c1.json"
	expect_status 0
	[[ "$output" == *"complete	false"* ]]
	[[ "$output" == *"node	h1	ok	b/n/h1/manifest-R1.json"* ]]
	[[ "$output" == *"node	h2	failed	-"* ]]
	run cb-manifest summary <"$T/c1.json"
	[[ "$output" == "20261125  INCOMPLETE  hosts: h1,h2"* ]]
	[[ "$output" == *"host h2: failed: ssh: connect refused"* ]]
	printf 'h2\tok\tb/n/h2/manifest-R2.json\t%s\n' "$T/node2.json" |
	    cb-manifest merge --backup 20261125 --base-path b --run R2 \
	    --kind incremental --hosts h1,h2 --previous "$T/c1.json" >"$T/c2.json"
	python3 - "$T/c2.json" <<'EOF'
import json, sys
m = json.load(open(sys.argv[1]))
assert m["format"] == "cassandra-backups cluster manifest" and m["version"] == 1
assert m["complete"] is True and m["hosts"] == ["h1", "h2"] and m["keyspaces"] is None
assert [n["manifest"] for n in m["nodes"]] == ["b/n/h1/manifest-R1.json", "b/n/h2/manifest-R2.json"]
assert m["nodes"][0]["host_id"] == "abc-123" and m["nodes"][0]["datacenter"] == "dc1"
assert [r["run"] for r in m["runs"]] == ["R1", "R2"]
assert m["runs"][0]["failed_hosts"] == ["h2"] and m["runs"][1]["failed_hosts"] == ["h1"]
assert m["totals"]["files"] == 6
EOF
	run cb-manifest summary --json <"$T/c2.json"
	python3 -c 'import json,sys; d=json.loads(sys.stdin.read()); assert d["complete"] and len(d["runs"]) == 2' <<<"$output"
	run cb-manifest merge --backup n --base-path b --run R --hosts h1 <<<"$(printf 'h3\tok\tk\t%s' "$T/node1.json")"
	expect_status 65
}

@test "cb-manifest info and summary read seed (0.7) manifests" {
	printf '{"name": "20170104", "base_path": "webapp_prod", "hosts": ["n1.example.com", "n2.example.com"], "keyspaces": null, "table": ""}' >"$T/seed.json"
	run cb-manifest info <"$T/seed.json"
	expect_status 0
	[[ "$output" == *"format	seed"* ]]
	[[ "$output" == *"hosts	n1.example.com,n2.example.com"* ]]
	run cb-manifest summary <"$T/seed.json"
	[ "$output" = "20170104  seed-format  hosts: n1.example.com,n2.example.com  keyspaces: all" ]
}


@test "cb-manifest refuses a manifest nested 100,000 levels deep (exit 65)" {
	python3 -c 'print("{\"name\": \"n\", \"x\": " + "[" * 100000 +
	    "]" * 100000 + "}")' >"$T/deep.json"
	run cb-manifest info <"$T/deep.json"
	expect_status 65
	[[ "$output" == *"cannot read 'stdin': nested deeper than 64 levels at line 1"* ]]
	python3 -c 'print("[" * 100000 + "]" * 100000)' >"$T/deep.json"
	printf 'h1\tok\tb/m/h1.json\t%s\n' "$T/deep.json" >"$T/rec"
	run cb-manifest merge --backup 20261125 --base-path b --run R1 --hosts h1 <"$T/rec"
	expect_status 65
	[[ "$output" == *"cannot read '$T/deep.json': nested deeper"* ]]
	run cb-manifest merge --backup 20261125 --base-path b --run R1 --hosts h1 \
	    --previous "$T/deep.json" </dev/null
	expect_status 65
	[[ "$output" == *"nested deeper than 64 levels"* ]]
	run cb-manifest restore <"$T/deep.json"
	expect_status 65
	# 64 levels are still read
	python3 -c 'print("{\"name\": \"n\", \"x\": " + "[" * 63 +
	    "]" * 63 + "}")' >"$T/deep.json"
	run cb-manifest info <"$T/deep.json"
	expect_status 0
}

@test "cb-manifest refuses an over-long string or key (exit 65)" {
	python3 -c 'print("{\"name\": \"" + "x" * (16 << 20 | 1) + "\"}")' \
	    >"$T/long.json"
	run cb-manifest info <"$T/long.json"
	expect_status 65
	[[ "$output" == *"a string longer than 16777216 bytes at line 1"* ]]
	python3 -c 'print("{\"name\": \"n\", \"" + "k" * 1025 + "\": 1}")' \
	    >"$T/long.json"
	run cb-manifest summary <"$T/long.json"
	expect_status 65
	[[ "$output" == *"a key longer than 1024 bytes at line 1"* ]]
	# an alias is YAML, not JSON
	run cb-manifest info <<<'{"name": &a "n", "table": *a}'
	expect_status 65
	[[ "$output" == *"an alias (not JSON)"* ]]
}

@test "cb-manifest still reads a normal manifest within the bounds" {
	node1
	run cb-manifest restore <"$T/node1.json"
	expect_status 0
	[[ "$output" == *"nb-1-big-Data.db"* ]]
	python3 -c 'print("{\"name\": \"n\", \"table\": \"" + "t" * 100000 +
	    "\", \"hosts\": [" + ",".join(["\"h\""] * 10000) + "]}")' \
	    >"$T/big.json"
	run cb-manifest info <"$T/big.json"
	expect_status 0
	[[ "$output" == *"table	ttt"* ]]
}

@test "cb-manifest restore --exclude-system: a keyspace named systemx is a user keyspace" {
	sed "s|$D/ks1/|$D/systemx/|g" "$T/results" >"$T/results.x"
	cb-manifest node --backup 20261125 --run R1 --host h1 \
	    --topology "$T/topo" --schema "$T/schema" <"$T/results.x" >"$T/x.json"
	run cb-manifest restore --exclude-system <"$T/x.json"
	expect_status 0
	[ "${#lines[@]}" -eq 1 ]
	[[ "${lines[0]}" == *"	systemx/$TD/nb-1-big-Data.db" ]]
}

# odd_results: cb-s3put results (-0) for files named with TAB, newline,
# bytes that are not UTF-8, '%': keys escaped as cb-s3put escapes them.
odd_results() {
	local s=$D/ks1/$TD/snapshots/t1 n k i=0
	for n in $'a\tb' $'n\nl' $'bad\xff\xfe' 'p%41' 'plain'; do
		case $n in
		$'a\tb') k=a%09b ;; $'n\nl') k=n%0Al ;;
		$'bad\xff\xfe') k=bad%FF%FE ;; p%41) k=p%2541 ;; *) k=$n ;;
		esac
		i=$((i + 1))
		printf 'ok\t%d\t9\t%s\te%d\tb/n/h1%s.lzo\t%d\t100%d\t%d\t%s\0' \
		    $i $SHA_A $i "$s/$k" $i $i $i "$s/$n"
	done
}

@test "cb-manifest node, restore: any name kept byte-exact (path_bytes, version 2)" {
	odd_results >"$T/odd"
	cb-manifest node -0 --backup b --run R1 --host h1 <"$T/odd" >"$T/odd.json"
	python3 - "$T/odd.json" "$D/ks1/$TD/snapshots/t1" <<'EOF'
import base64, json, sys
m = json.load(open(sys.argv[1]))
s = sys.argv[2]
assert m["version"] == 2, m["version"]
f = m["files"]
assert [x["path"] for x in f] == [s + "/a\tb", s + "/n\nl", s + "/bad%FF%FE",
                                  s + "/p%41", s + "/plain"]
assert [("path_bytes" in x) for x in f] == [False, False, True, False, False]
assert base64.b64decode(f[2]["path_bytes"]) == (s + "/bad").encode() + b"\xff\xfe"
assert f[2]["key"] == "b/n/h1" + s + "/bad%FF%FE.lzo"
EOF
	# An incremental run keeps the earlier entries exactly.
	printf 'ok\t1\t9\t%s\te\tb/n/h1/k.lzo\t1\t1\t1\t%s\0' $SHA_B \
	    "$D/ks1/$TD/backups/nb-2-big-Data.db" |
	    cb-manifest node -0 --backup b --run R2 --host h1 --kind incremental \
	    --previous "$T/odd.json" >"$T/odd2.json"
	cb-manifest restore -0 <"$T/odd2.json" >"$T/rec"
	tr '\0' '\n' <"$T/rec" >"$T/rec.txt"
	printf 'ks1/%s/a\tb\nks1/%s/n\nl\nks1/%s/bad\xff\xfe\nks1/%s/p%%41\nks1/%s/plain\nks1/%s/nb-2-big-Data.db\n' \
	    $TD $TD $TD $TD $TD $TD >"$T/want"
	# KEY SIZE SHA256 PATH: the path last, exact.
	[ "$(tr -cd '\0' <"$T/rec" | wc -c)" = 6 ]
	grep -qF "b/n/h1$D/ks1/$TD/snapshots/t1/bad%FF%FE.lzo	3	$SHA_A	ks1/$TD/bad" "$T/rec.txt"
	tr '\0' '\n' <"$T/rec" | cut -f4- | tr '\n' '|' >"$T/g"
	tr '\n' '|' <"$T/want" >"$T/w"
	[ "$(od -c "$T/g")" = "$(od -c "$T/w")" ] || { od -c "$T/g"; false; }
	# An ordinary manifest stays version 1 (old readers read it).
	node1
	grep -q '"version": 1,' "$T/node1.json"
	# Without -0 a path holding a TAB cannot be written: named, exit 1.
	run --separate-stderr cb-manifest restore <"$T/odd.json"
	expect_status 1
	[[ "$stderr" == *"cannot write the record of 'ks1/$TD/a\\tb': the path holds a TAB (use -0)"* ]]
}

# node_doc FILE-ENTRY: a node manifest of one file entry.
node_doc() {
	printf '{"format": "cassandra-backups node manifest", "version": 2, "files": [%s]}' "$1"
}

@test "cb-manifest restore: path_bytes is checked as path is; nothing escapes the restore dir" {
	local s=$D/ks1/$TD/snapshots/t1 b
	# Escaped names that would decode to '..' or '/' stay names.
	node_doc "{\"path\": \"$s/%2E%2E%2Fx\", \"key\": \"k1\", \"size\": 1}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 0
	[ "$output" = "k1	1	-	ks1/$TD/%2E%2E%2Fx" ]
	# path_bytes wins over path, and goes through the same checks.
	b=$(printf '%s/../../../../etc/passwd' "$s" | base64 -w0)
	node_doc "{\"path\": \"$s/ok\", \"path_bytes\": \"$b\", \"key\": \"k2\"}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	[[ "$output" == *"refusing key 'k2': its path would escape the restore directory"* ]]
	b=$(printf '%s/..' "$s" | base64 -w0)
	node_doc "{\"path\": \"$s/ok\", \"path_bytes\": \"$b\", \"key\": \"k3\"}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	# A NUL would cut the name short: refused, in path_bytes or in path.
	b=$(printf '%s/a\0/../../x' "$s" | base64 -w0)
	node_doc "{\"path\": \"$s/ok\", \"path_bytes\": \"$b\", \"key\": \"k4\"}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	[[ "$output" == *"file 1: the path is empty or holds a NUL"* ]]
	node_doc "{\"path\": \"$s/a\\u0000b\", \"key\": \"k5\"}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	node_doc "{\"path\": \"$s/ok\", \"path_bytes\": \"not base64!\", \"key\": \"k6\"}" >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	[[ "$output" == *"file 1: path_bytes is not base64"* ]]
	# A version this reader does not know is refused.
	printf '{"format": "cassandra-backups node manifest", "version": 3, "files": []}' >"$T/m"
	run cb-manifest restore <"$T/m"
	expect_status 65
	[[ "$output" == *"node manifest version 3 is not known (1 or 2)"* ]]
	run cb-manifest node --backup b --run R --host h --previous "$T/m" </dev/null
	expect_status 65
}

# reuse_fixture: real files in a Cassandra layout under $T/d, their
# file records ($T/files, NUL), and a reference node manifest ($T/ref.json)
# of an earlier backup that stored A, B, C and E (not D).
reuse_fixture() {
	local t=$T/d/data/ks1/$TD
	mkdir -p "$t/snapshots/t2"
	for n in A B C D E; do head -c 4096 /dev/urandom >"$t/nb-$n-big-Data.db"; done
	cp "$t/nb-C-big-Data.db" "$T/C.old"
	python3 - "$t" "$T" <<'PY'
import hashlib, json, os, sys
t, T = sys.argv[1:]
files = []
for n in "ABCE":
    p = "%s/nb-%s-big-Data.db" % (t, n)
    st = os.stat(p)
    sha = hashlib.sha256(open(p, "rb").read()).hexdigest()
    old = p.replace(t, t + "/snapshots/t1")
    files.append({"path": old, "key": "base/b1/h1" + old + ".lzo",
                  "size": st.st_size, "stored_size": st.st_size + 70,
                  "sha256": sha, "etag": "etag" + n,
                  "mtime_ns": st.st_mtime_ns, "inode": st.st_ino,
                  "run": "R1", "source": "snapshot"})
json.dump({"format": "cassandra-backups node manifest", "version": 1,
           "backup": "b1", "run": "R1", "host": "h1",
           "topology": {"host_id": "id-1"}, "files": files},
          open(T + "/ref.json", "w"))
with open(T + "/objects", "w") as o:
    for f in files:
        if "nb-E-" not in f["path"]:	# E's object is gone
            o.write("%d\t2026-12-01T00:00:00.000Z\t\"%s\"\t%s\0" %
                    (f["stored_size"], f["etag"], f["key"]))
PY
	# B: the same bytes, a new mtime; C: other bytes of the same size.
	touch -d '+1 hour' "$t/nb-B-big-Data.db"
	head -c 4096 /dev/urandom >"$t/nb-C-big-Data.db"
	# The new snapshot hard-links the live files.
	for n in A B C D E; do ln "$t/nb-$n-big-Data.db" "$t/snapshots/t2/"; done
	for n in A B C D E; do
		f=$t/snapshots/t2/nb-$n-big-Data.db
		printf '%s\t%s\t%s\t%s\0' "$(stat -c %s "$f")" \
		    "$(python3 -c 'import os,sys; print(os.stat(sys.argv[1]).st_mtime_ns)' "$f")" \
		    "$(stat -c %i "$f")" "$f"
	done >"$T/files"
}

@test "cb-manifest reuse: unchanged files reused unopened, touched ones hashed, changed, new and missing ones uploaded" {
	reuse_fixture
	cb-manifest reuse -0 --reference "$T/ref.json" \
	    --objects "$T/objects" --host-id id-1 --reused "$T/reused" \
	    --results /dev/null <"$T/files" >"$T/toup" 2>"$T/err"
	stderr=$(cat "$T/err")
	[[ "$stderr" == *"warning: 1 objects of earlier runs are not in the bucket as recorded"* ]]
	# To upload: C (changed), D (new), E (its object is gone).
	tr '\0' '\n' <"$T/toup" | awk -F'\t' '{ print $4 }' | sed 's|.*/||' >"$T/up"
	[ "$(cat "$T/up")" = "$(printf 'nb-C-big-Data.db\nnb-D-big-Data.db\nnb-E-big-Data.db')" ]
	tr '\0' '\n' <"$T/reused" | awk -F'\t' '{ print $1, $6 }' | sed 's|base/b1/h1.*/nb-|nb-|' >"$T/re"
	[ "$(cat "$T/re")" = "$(printf 'reused nb-A-big-Data.db.lzo\nhashed nb-B-big-Data.db.lzo')" ]
	# The reused records carry the new path and the old object's sizes.
	tr '\0' '\n' <"$T/reused" | head -1 | grep -q "	4096	4166	[0-9a-f]\{64\}	etagA	base/b1/h1.*/snapshots/t1/nb-A-big-Data.db.lzo	4096	[0-9]*	[0-9]*	$T/d/.*/snapshots/t2/nb-A-big-Data.db$"
	# The prefixes to list: one per backup the reference's objects are in.
	run cb-manifest reuse --prefixes --base-path base --reference "$T/ref.json"
	expect_status 0
	[ "$output" = "base/b1/h1/" ]
	# A reference of another host id is not used.
	cb-manifest reuse -0 --reference "$T/ref.json" \
	    --objects "$T/objects" --host-id id-2 --reused "$T/reused" <"$T/files" >"$T/toup" 2>"$T/err"
	stderr=$(cat "$T/err")
	[[ "$stderr" == *"not reusing backup 'b1': it is of host id id-1, this node is id-2"* ]]
	[ ! -s "$T/reused" ]
	[ "$(tr -cd '\0' <"$T/toup" | wc -c)" = 5 ]
}

@test "cb-manifest node: reused records name the old objects and runs; counts per run and what the backup added" {
	reuse_fixture
	cb-manifest reuse -0 --reference "$T/ref.json" --objects "$T/objects" \
	    --reused "$T/reused" <"$T/files" >"$T/up" 2>/dev/null
	# The uploads of C, D and E, as cb-s3put would report them.
	tr '\0' '\n' <"$T/up" | while IFS='	' read -r size mt ino p; do
		printf 'ok\t%s\t%s\t%s\te\tbase/b2/h1%s.lzo\t%s\t%s\t%s\t%s\0' "$size" \
		    "$((size + 70))" $SHA_A "$p" "$size" "$mt" "$ino" "$p"
	done >"$T/uploaded"
	cat "$T/reused" "$T/uploaded" | cb-manifest node -0 --backup b2 --run R2 \
	    --host h1 --kind differential --reference "$T/ref.json" >"$T/b2.json"
	python3 - "$T/b2.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
run = m["runs"][-1]
assert run["kind"] == "differential" and run["reference"] == "b1", run
assert run["files"] == 3 and run["reused_files"] == 2 and run["read_files"] == 4, run
assert run["resumed_files"] == 0
f = {x["path"].rsplit("/", 1)[1]: x for x in m["files"]}
assert f["nb-A-big-Data.db"]["run"] == "R1" and f["nb-A-big-Data.db"]["key"].startswith("base/b1/")
assert f["nb-D-big-Data.db"]["run"] == "R2" and f["nb-D-big-Data.db"]["key"].startswith("base/b2/")
t = m["totals"]
assert t["files"] == 5 and t["added_files"] == 3, t
assert t["added_stored_bytes"] == 3 * 4166 and t["stored_bytes"] == 5 * 4166, t
PY
	# A reused object that no manifest given names: an interrupted
	# attempt of this run uploaded it (resumed).
	cat "$T/reused" "$T/uploaded" | cb-manifest node -0 --backup b2 --run R2 \
	    --host h1 --kind differential >"$T/b2r.json"
	python3 - "$T/b2r.json" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][-1]
assert run["files"] == 5 and run["resumed_files"] == 2 and run["reused_files"] == 0, run
PY
}

@test "cb-manifest orphans: objects of the prefix written since, that the manifest does not name" {
	reuse_fixture
	printf '9\t2026-12-02T10:00:01.000Z\tx\tbase/b1/h1/new.lzo\0009\t2026-12-02T09:00:00.000Z\tx\tbase/b1/h1/old.lzo\0009\t2026-12-02T10:00:01.000Z\tx\tbase/b1/h1/manifest-R9.json\0009\t2026-12-02T10:00:01.000Z\tx\tbase/b1/h2/new.lzo\000' >>"$T/objects"
	sed -i 's/2026-12-01T00:00:00.000Z/2026-12-02T11:00:00.000Z/' "$T/objects"
	cb-manifest orphans -0 --objects "$T/objects" --manifest "$T/ref.json" \
	    --prefix base/b1/h1/ --since 2026-12-02T10:00:00 >"$T/o1"
	[ "$(tr '\0' '\n' <"$T/o1")" = base/b1/h1/new.lzo ]
	cb-manifest orphans -0 --objects "$T/objects" --manifest "$T/ref.json" \
	    --prefix base/b1/h1/ >"$T/o2"
	[ "$(tr '\0' '\n' <"$T/o2")" = "$(printf 'base/b1/h1/new.lzo\nbase/b1/h1/old.lzo')" ]
	run cb-manifest orphans --objects "$T/objects" --manifest "$T/ref.json"
	expect_status 64
}

@test "cb-manifest reuse --results: a pending upload is taken over only when the listing shows its object as recorded" {
	reuse_fixture
	t=$T/d/data/ks1/$TD/snapshots/t2
	# D was being completed by a killed run (pending), its object made;
	# A's completion never happened (not listed).
	rec() { # STATUS NAME STORED ETAG
		f=$t/nb-$2-big-Data.db
		printf '%s\t4096\t%s\t%s\t%s\tbase/b2/h1%s.lzo\t%s\t%s\t%s\t%s\0' "$1" "$3" \
		    "$(sha256sum "$f" | cut -c1-64)" "$4" "$f" "$(stat -c %s "$f")" \
		    "$(python3 -c 'import os,sys; print(os.stat(sys.argv[1]).st_mtime_ns)' "$f")" \
		    "$(stat -c %i "$f")" "$f"
	}
	{ rec pending D 4200 etagD; rec pending C 4200 etagC; } >"$T/kept"
	printf '4200\t2026-12-02T00:00:00.000Z\t"etagD"\tbase/b2/h1%s.lzo\0' "$t/nb-D-big-Data.db" >>"$T/objects"
	cb-manifest reuse -0 --results "$T/kept" --objects "$T/objects" \
	    --reused "$T/reused" <"$T/files" >"$T/toup" 2>"$T/err"
	tr '\0' '\n' <"$T/reused" | cut -f1,6 | sed 's|base/b2/h1.*/nb-|nb-|' >"$T/re"
	[ "$(cat "$T/re")" = "$(printf 'reused\tnb-D-big-Data.db.lzo')" ]
	tr '\0' '\n' <"$T/toup" | grep -c . | grep -qx 4
	# Without a listing, a pending record is never trusted.
	cb-manifest reuse -0 --results "$T/kept" --reused "$T/reused" <"$T/files" >"$T/toup"
	[ ! -s "$T/reused" ]
}

# ------------------------------------------------------------ schema

# schema_node NAME VERSION [cb-snapshot schema args]: a stand-in node of
# VERSION and the node manifest $T/NAME.json whose schema cb-snapshot
# took from it (cqlsh DESCRIBE SCHEMA), as a backup run takes it.
schema_node() {
	local n=$1 v=$2
	shift 2
	"$REPO/test/cassandra/bin/standin" mknode --root "$T/$n" \
	    --version "$v" >/dev/null
	cb-snapshot -q --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    --cassandra-conf-path "$T/$n/etc/cassandra" schema "$@" \
	    >"$T/$n.cql"
	cb-manifest node --backup b --run R1 --host "h-$n" \
	    --schema "$T/$n.cql" <"$T/results" >"$T/$n.json"
}

# creates FILE: the CREATE lines of a script, up to the name.
creates() {
	grep '^CREATE' "$1" | sed -E 's/ (WITH|\().*//'
}

@test "cb-manifest schema: a 5.0 node's schema as a script, keyspaces first, every CREATE IF NOT EXISTS" {
	schema_node v50 5.0
	run --separate-stderr cb-manifest schema <"$T/v50.json"
	expect_status 0
	[ -z "$stderr" ]
	printf '%s\n' "$output" >"$T/out.cql"
	[ "$(creates "$T/out.cql")" = "$(printf '%s\n' \
	    'CREATE KEYSPACE IF NOT EXISTS ks1' \
	    'CREATE KEYSPACE IF NOT EXISTS ks2' \
	    'CREATE TABLE IF NOT EXISTS ks1.counters' \
	    'CREATE TABLE IF NOT EXISTS ks1.events' \
	    'CREATE TABLE IF NOT EXISTS ks1.users' \
	    'CREATE TABLE IF NOT EXISTS ks2.t1' \
	    'CREATE TABLE IF NOT EXISTS ks2.t2' \
	    'CREATE INDEX IF NOT EXISTS users_by_email ON ks1.users' \
	    'CREATE CUSTOM INDEX IF NOT EXISTS users_name_sai ON ks1.users')" ]
	# the statements whole (table ids and options kept), nothing else:
	# cb-snapshot's comment line is gone
	grep -q "^) WITH ID = " "$T/out.cql"
	grep -q "^    AND compression = {'enabled': 'false'}$" "$T/out.cql"
	expect_no_match -e '^--' -e 'WARNING' "$T/out.cql"
	[ "$(grep -c ';$' "$T/out.cql")" -eq 9 ]
	[ "$(grep -c . "$T/out.cql")" -eq "$(grep -c . "$T/v50.cql" | awk '{print $1 - 1}')" ]
	# each statement then one blank line
	cb-manifest schema -o "$T/o.cql" <"$T/v50.json"
	[ "$(tail -c 3 "$T/o.cql" | od -An -c | tr -d ' ')" = ';\n\n' ]
	[ "$(grep -c '^$' "$T/o.cql")" -eq 9 ]
	# the script read back as a schema gives itself: nothing doubled
	cb-manifest node --backup b --run R1 --host h --schema "$T/o.cql" \
	    <"$T/results" >"$T/again.json"
	cb-manifest schema <"$T/again.json" | cmp - "$T/o.cql"
}

@test "cb-manifest schema: a 3.11 node, one keyspace, one table with its index; -o writes the file alone" {
	schema_node v311 3.11
	run --separate-stderr cb-manifest schema --keyspaces ks2 <"$T/v311.json"
	expect_status 0
	printf '%s\n' "$output" >"$T/ks2.cql"
	[ "$(creates "$T/ks2.cql")" = "$(printf '%s\n' \
	    'CREATE KEYSPACE IF NOT EXISTS ks2' \
	    'CREATE TABLE IF NOT EXISTS ks2.t1' \
	    'CREATE TABLE IF NOT EXISTS ks2.t2')" ]
	run --separate-stderr cb-manifest schema --keyspaces ks1 --table users \
	    -o "$T/users.cql" <"$T/v311.json"
	expect_status 0
	[ -z "$output" ]
	[ "$(creates "$T/users.cql")" = "$(printf '%s\n' \
	    'CREATE KEYSPACE IF NOT EXISTS ks1' \
	    'CREATE TABLE IF NOT EXISTS ks1.users' \
	    'CREATE INDEX IF NOT EXISTS users_by_email ON ks1.users')" ]
	ls -a "$T" | expect_no_match -F '.cb-'
	# a backup of one keyspace (its selection in the node manifest)
	# recreates that keyspace by default
	cb-manifest node --backup b --run R1 --host h --keyspaces ks1 \
	    --table counters --schema "$T/v311.cql" <"$T/results" >"$T/sel.json"
	cb-manifest schema <"$T/sel.json" >"$T/sel.cql"
	[ "$(creates "$T/sel.cql")" = "$(printf '%s\n' \
	    'CREATE KEYSPACE IF NOT EXISTS ks1' \
	    'CREATE TABLE IF NOT EXISTS ks1.counters')" ]
}

@test "cb-manifest schema: types, functions, aggregates, views; strings, \$\$ bodies and comments; statements it cannot replay left out with a warning" {
	cat >"$T/s.cql" <<'CQL'
-- cb-snapshot: cqlsh DESCRIBE SCHEMA WITH INTERNALS

CREATE KEYSPACE "Shop" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TYPE "Shop".addr (
    street text,
    "zip;code" text
);

CREATE TYPE "Shop".person (
    name text,
    home frozen<addr>
);

create or replace function "Shop".semi(a text)
    RETURNS NULL ON NULL INPUT
    RETURNS text
    LANGUAGE java
    AS $$ String s = a + ";"; /* ; */ return s; $$;

CREATE FUNCTION "Shop".add(s int, v int)
    CALLED ON NULL INPUT
    RETURNS int
    LANGUAGE java
    AS $$ return s + v; $$;

CREATE AGGREGATE "Shop".total(int)
    SFUNC add
    STYPE int
    INITCOND 0;

CREATE TABLE "Shop"."Orders" (
    id int PRIMARY KEY,
    who frozen<person>,
    note text
) WITH comment = 'it''s; -- not a comment'
    AND gc_grace_seconds = 864000; -- a comment after it

/* a comment with a ; in it */
ALTER TABLE "Shop"."Orders" DROP old USING TIMESTAMP 1700000000000000;

CREATE INDEX orders_note ON "Shop"."Orders" (note);

CREATE MATERIALIZED VIEW "Shop".by_note AS
    SELECT *
    FROM "Shop"."Orders"
    WHERE note IS NOT NULL AND id IS NOT NULL
    PRIMARY KEY (note, id)
 WITH comment = 'from; the orders';

CREATE TABLE "Shop".other (id int PRIMARY KEY);

CREATE TYPE "Shop".addr (
    street text,
    "zip;code" text
);

GRANT SELECT ON KEYSPACE "Shop" TO reader;

CREATE KEYSPACE system_auth WITH replication = {'class': 'SimpleStrategy'};

CREATE TABLE system_auth.roles (role text PRIMARY KEY);
CQL
	cb-manifest node --backup b --run R1 --host h1 --schema "$T/s.cql" \
	    <"$T/results" >"$T/s.json"
	run --separate-stderr cb-manifest schema <"$T/s.json"
	expect_status 0
	[ "$output" = "$(cat <<'CQL'
CREATE KEYSPACE IF NOT EXISTS "Shop" WITH replication = {'class': 'SimpleStrategy', 'replication_factor': '1'}  AND durable_writes = true;

CREATE TYPE IF NOT EXISTS "Shop".addr (
    street text,
    "zip;code" text
);

CREATE TYPE IF NOT EXISTS "Shop".person (
    name text,
    home frozen<addr>
);

create or replace function "Shop".semi(a text)
    RETURNS NULL ON NULL INPUT
    RETURNS text
    LANGUAGE java
    AS $$ String s = a + ";"; /* ; */ return s; $$;

CREATE FUNCTION IF NOT EXISTS "Shop".add(s int, v int)
    CALLED ON NULL INPUT
    RETURNS int
    LANGUAGE java
    AS $$ return s + v; $$;

CREATE AGGREGATE IF NOT EXISTS "Shop".total(int)
    SFUNC add
    STYPE int
    INITCOND 0;

CREATE TABLE IF NOT EXISTS "Shop"."Orders" (
    id int PRIMARY KEY,
    who frozen<person>,
    note text
) WITH comment = 'it''s; -- not a comment'
    AND gc_grace_seconds = 864000;

CREATE TABLE IF NOT EXISTS "Shop".other (id int PRIMARY KEY);

CREATE INDEX IF NOT EXISTS orders_note ON "Shop"."Orders" (note);

CREATE MATERIALIZED VIEW IF NOT EXISTS "Shop".by_note AS
    SELECT *
    FROM "Shop"."Orders"
    WHERE note IS NOT NULL AND id IS NOT NULL
    PRIMARY KEY (note, id)
 WITH comment = 'from; the orders';
CQL
)" ]
	[ "$stderr" = "$(printf '%s\n' \
	    "cb-manifest: warning: leaving out the statement of line 40, not a CREATE of a keyspace, type, function, aggregate, table, index or view: 'ALTER TABLE \"Shop\".\"Orders\" DROP old USING TIMESTAMP 1700000000000000'" \
	    "cb-manifest: warning: leaving out the statement of line 58, not a CREATE of a keyspace, type, function, aggregate, table, index or view: 'GRANT SELECT ON KEYSPACE \"Shop\" TO reader'")" ]
	# one table: the keyspace, its types and functions, the table, its
	# index and view; not the aggregate, not the other table
	cb-manifest schema --keyspaces Shop --table Orders <"$T/s.json" \
	    2>/dev/null >"$T/t.cql"
	[ "$(grep -E '^(CREATE|create)' "$T/t.cql" | cut -d' ' -f1-6)" = "$(printf '%s\n' \
	    'CREATE KEYSPACE IF NOT EXISTS "Shop"' \
	    'CREATE TYPE IF NOT EXISTS "Shop".addr' \
	    'CREATE TYPE IF NOT EXISTS "Shop".person' \
	    'create or replace function "Shop".semi(a text)' \
	    'CREATE FUNCTION IF NOT EXISTS "Shop".add(s' \
	    'CREATE TABLE IF NOT EXISTS "Shop"."Orders"' \
	    'CREATE INDEX IF NOT EXISTS orders_note' \
	    'CREATE MATERIALIZED VIEW IF NOT EXISTS')" ]
	# names are Cassandra's: quoted ones keep their case
	run cb-manifest schema --keyspaces shop <"$T/s.json"
	expect_status 65
	[[ "$output" == *"keyspace 'shop' is not in the schema of host 'h1'" ]]
	run cb-manifest schema --keyspaces Shop --table orders <"$T/s.json"
	expect_status 65
	[[ "$output" == *"table 'Shop.orders' is not in the schema of host 'h1'" ]]
}

@test "cb-manifest schema: no schema, a keyspace not in it, a malformed one exit 65; misuse 64" {
	node1	# its schema: a CREATE KEYSPACE, then a line without its ';'
	run cb-manifest schema <"$T/node1.json"
	expect_status 65
	[[ "$output" == *"cannot read 'schema of host h1': line 2: the statement does not end with ';'" ]]
	cb-manifest node --backup b --run R1 --host h2 <"$T/results" >"$T/none.json"
	run --separate-stderr cb-manifest schema -o "$T/none.cql" <"$T/none.json"
	expect_status 65
	[ "$stderr" = "cb-manifest: the backup holds no schema for host 'h2'" ]
	[ ! -e "$T/none.cql" ]
	printf '\n\n' >"$T/blank"
	cb-manifest node --backup b --run R1 --host h2 --schema "$T/blank" \
	    <"$T/results" >"$T/blank.json"
	run cb-manifest schema <"$T/blank.json"
	expect_status 65
	[[ "$output" == *"holds no schema for host 'h2'" ]]
	printf "CREATE KEYSPACE ks1 WITH r = {'a': 1};\nCREATE TABLE ks1.t (x text) WITH comment = 'open;\n" >"$T/open"
	cb-manifest node --backup b --run R1 --host h2 --schema "$T/open" \
	    <"$T/results" >"$T/open.json"
	run cb-manifest schema <"$T/open.json"
	expect_status 65
	[[ "$output" == *"line 2: a string ' is not closed" ]]
	printf "CREATE KEYSPACE ks1 WITH r = {'a': 1};\n" >"$T/ok"
	cb-manifest node --backup b --run R1 --host h2 --schema "$T/ok" \
	    <"$T/results" >"$T/ok.json"
	run --separate-stderr cb-manifest schema --keyspaces ks1,ks9 -o "$T/ks9.cql" <"$T/ok.json"
	expect_status 65
	[ "$stderr" = "cb-manifest: keyspace 'ks9' is not in the schema of host 'h2'" ]
	[ ! -e "$T/ks9.cql" ]
	printf '{"name": "x"}' >"$T/other.json"
	run cb-manifest schema <"$T/other.json"
	expect_status 65
	[[ "$output" == *"not a node manifest"* ]]
	run cb-manifest schema --table t <"$T/ok.json"
	expect_status 64
	[[ "$output" == *"--table needs one keyspace"* ]]
	run cb-manifest schema --keyspaces ks1,ks2 --table t <"$T/ok.json"
	expect_status 64
	run cb-manifest schema --keyspaces ks1,system_auth <"$T/ok.json"
	expect_status 64
	[[ "$output" == *"the system keyspace 'system_auth' cannot be recreated"* ]]
	run cb-manifest schema --keyspaces ks1, <"$T/ok.json"
	expect_status 64
	run cb-manifest schema extra <"$T/ok.json"
	expect_status 64
	run cb-manifest schema --keyspaces ks1 <"$T/ok.json"
	expect_status 0
	[ "$output" = "CREATE KEYSPACE IF NOT EXISTS ks1 WITH r = {'a': 1};" ]
}

@test "cb-manifest schema: a schema from the snapshot's schema.cql files (no CREATE KEYSPACE) is taken, with a warning" {
	schema_node v311 3.11
	CASSANDRA_CONF=$T/v311/etc/cassandra \
	    "$REPO/test/cassandra/bin/nodetool" snapshot -t wi >/dev/null
	cb-snapshot -q --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    --cassandra-conf-path "$T/v311/etc/cassandra" schema \
	    --with-internals -t wi >"$T/wi.cql" 2>/dev/null
	grep -q '^CREATE TABLE IF NOT EXISTS ks1.users' "$T/wi.cql"
	cb-manifest node --backup b --run R1 --host h1 --schema "$T/wi.cql" \
	    <"$T/results" >"$T/wi.json"
	run --separate-stderr cb-manifest schema --keyspaces ks1 <"$T/wi.json"
	expect_status 0
	[ "$stderr" = "cb-manifest: warning: the schema of host 'h1' does not create keyspace 'ks1': it must exist before the script runs" ]
	printf '%s\n' "$output" >"$T/out.cql"
	[ "$(creates "$T/out.cql")" = "$(printf '%s\n' \
	    'CREATE TABLE IF NOT EXISTS ks1.counters' \
	    'CREATE TABLE IF NOT EXISTS ks1.events' \
	    'CREATE TABLE IF NOT EXISTS ks1.users' \
	    'CREATE INDEX IF NOT EXISTS users_by_email ON ks1.users')" ]
}
