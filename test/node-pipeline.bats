#!/usr/bin/env bats
# End to end on one node: cb-snapshot, cb-list, cb-s3put --pack into the
# test S3 server (Ceph RGW), read back with cb-s3get --unpack and compared
# with the files on disk, byte for byte.

load helpers
load s3_helpers
bats_require_minimum_version 1.5.0

setup_file() {
	s3_setup_file || return 1
	export PATH=$REPO/test/cassandra/bin:$PATH
	standin mknode --root "$BATS_FILE_TMPDIR/n1" --version 4.1 \
	    --data-dirs 2 --uuid-ids --incremental-backups --scale 8 >/dev/null
}
teardown_file() { s3_teardown_file; }
setup() {
	s3_setup
	export PATH=$REPO/test/cassandra/bin:$PATH
	C=$BATS_FILE_TMPDIR/n1/etc/cassandra
	export CASSANDRA_CONF=$C
}

# upload_check LISTFILE RESULTFILE: every record uploaded ok, in order.
upload_check() {
	[ "$(tr -cd '\0' <"$1" | wc -c)" -gt 0 ]
	[ "$(tr -cd '\0' <"$1" | wc -c)" = "$(tr -cd '\0' <"$2" | wc -c)" ]
	[ "$(tr '\0' '\n' <"$2" | cut -f1 | sort -u)" = ok ]
	diff <(tr '\0' '\n' <"$1") <(tr '\0' '\n' <"$2" | cut -f7-)
}

# restore_check RESULTFILE: get every object back and compare it.
restore_check() {
	tr '\0' '\n' <"$1" | awk -F'\t' -v p="$T/" '{
		k = $6; sub("^" p, "", k); path = $10; sub("^/", "", path)
		printf "%s\t%s\t%s\t%s\n", k, $2, $4, path }' >get.rec
	mkdir -p back
	run cb-s3get --list -C back --unpack -j 3 "$B/$T/" <get.rec
	expect_status 0
	[ "$(grep -vc '^ok	' <<<"$output")" -eq 0 ]
	tr '\0' '\n' <"$1" | cut -f10 | while IFS= read -r p; do
		cmp "$p" "back$p"
	done
}

@test "pipeline: snapshot, list, pack and upload, read back identical" {
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    create -t e2e &&
	cb-list -0 --snapshot e2e >list &&
	cb-list -0 --snapshot e2e |
	    cb-s3put -0 --list --pack -j 3 --key-prefix "$T/node1" \
	    --key-suffix .lzo "$B" >result
	upload_check list result
	# Everything uploaded: nothing left to carry.
	[ -z "$(cb-list -0 --snapshot e2e --since-uploaded result)" ]
	# Keys are the seed's layout: <host>/<absolute path>.lzo
	tr '\0' '\n' <result | cut -f6 | grep -q \
	    "^$T/node1$BATS_FILE_TMPDIR/n1/var/lib/cassandra/data2/ks1/users-[0-9a-f]*/snapshots/e2e/nb-.*-big-Data.db.lzo\$"
	# Raw SHA-256 and sizes as the files on disk.
	tr '\0' '\n' <result | cut -f2,4,10 | head -20 |
	while IFS=$'\t' read -r size sum p; do
		[ "$size" = "$(stat -c %s "$p")" ]
		[ "$sum" = "$(sha "$p")" ]
	done
	restore_check result
	# Stock lzop reads an object as it is stored.
	k=$(tr '\0' '\n' <result | grep -m1 -- '-Data.db$' | cut -f6)
	p=$(tr '\0' '\n' <result | grep -m1 -- '-Data.db$' | cut -f10)
	awscli s3 cp "$B/$k" obj.lzo
	lzop -dc obj.lzo | cmp - "$p"
}

@test "pipeline: an incremental run carries only the new backups/ files" {
	cb-list -0 --backups >base
	standin write ks1 users 3
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" flush
	cb-list -0 --backups --since base >new
	# One new sstable of ks1.users and of its index: 2 x 8 components.
	[ "$(tr -cd '\0' <new | wc -c)" -eq 16 ]
	[ "$(tr '\0' '\n' <new | grep -vc '/ks1/users-[0-9a-f]*/backups/')" -eq 0 ]
	cb-s3put -0 --list --pack --key-prefix "$T/node1" --key-suffix .lzo \
	    "$B" <new >result
	upload_check new result
	restore_check result
	# Uploaded and verified: removed from backups/, the rest kept.
	cb-snapshot -0 prune-backups --uploaded result
	[ -z "$(cb-list -0 --backups --since base)" ]
	[ "$(cb-list -0 --backups | tr -cd '\0' | wc -c)" = \
	    "$(tr -cd '\0' <base | wc -c)" ]
}

# odd_names DIR: files named as no S3 key can hold them (TAB, newline, CR,
# other control bytes, bytes that are not UTF-8, long escaped names) and
# names that must keep working ('%', '\', spaces, a leading '-', UTF-8,
# escapes that would decode to '..' or '/'); each file holds its own name.
odd_names() {
	local n
	for n in $'tab\there' $'nl\nhere' $'cr\rhere' $'ctl\001\033\x7f' \
	    $'bad\xff\xfeutf8' $'\xe9t\xe9' 'été' 'pct%41%2Fx' '%2e%2e' \
	    '%2F..%2F' 'back\slash' 'sp ace  two ' '-leading' \
	    "$(printf 'L%.0s' {1..255})" \
	    "$(printf '\t%.0s' {1..100})$(printf '\xff%.0s' {1..100})x"; do
		printf '%s' "$n" >"$1/$n"
	done
}

@test "pipeline: any file name is listed, uploaded, recorded and restored byte-exact" {
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    create -t odd
	d=$(ls -d "$BATS_FILE_TMPDIR"/n1/var/lib/cassandra/data*/ks1/users-*/snapshots/odd | head -1)
	odd_names "$d"
	cb-list -0 --snapshot odd >list
	[ "$(tr -cd '\0' <list | wc -c)" -gt 15 ]
	run bash -c 'cb-s3put -0 --list --pack -j 3 --key-prefix "$1/node1" \
	    --key-suffix .lzo "$2" <list >result' _ "$T" "$B"
	expect_status 0
	[ "$(tr -cd '\0' <list | wc -c)" = "$(tr -cd '\0' <result | wc -c)" ]
	# Every key is printable UTF-8; an ordinary name keeps its key.
	while IFS= read -r -d '' rec; do
		[ "${rec%%$'\t'*}" = ok ]
		key=$(cut -f6 <<<"$rec")
		path=${rec#*$'\t'*$'\t'*$'\t'*$'\t'*$'\t'*$'\t'*$'\t'*$'\t'*$'\t'}
		printf '%s' "$key" | iconv -f UTF-8 -t UTF-8 >/dev/null
		run env LC_ALL=C grep -c '[[:cntrl:]]' <<<"$key"
		[ "$output" = 0 ]
		case $path in
		*/nb-*-big-*) [ "$key" = "$T/node1$path.lzo" ] ;;
		esac
	done <result
	cb-manifest node -0 --backup b --run 20261125T111235Z --host node1 \
	    <result >node.json
	# JSON that python reads; the names that are not UTF-8 in path_bytes,
	# so the manifest is version 2.
	python3 - node.json "$d" <<'EOF'
import base64, json, os, sys
m = json.load(open(sys.argv[1]))
assert m["version"] == 2
names = {base64.b64decode(f["path_bytes"]) if "path_bytes" in f
         else os.fsencode(f["path"]) for f in m["files"]}
d = os.fsencode(sys.argv[2])
for n in os.listdir(d):
    assert os.path.join(d, n) in names or n.startswith(b"."), n
bad = [f for f in m["files"] if "path_bytes" in f]
assert len(bad) == 3 and all(f["path"].isprintable() for f in bad), bad
EOF
	cb-manifest restore -0 <node.json >get.rec
	mkdir back

	run bash -c 'cb-s3get -0 --list --unpack -C back "$1" <get.rec \
	    >got' _ "$B"
	expect_status 0
	tdir=${d%/snapshots/odd}
	rel=ks1/${tdir##*/ks1/}
	for f in "$d"/*; do
		[ "${f##*/}" = manifest.json ] || cmp "$f" "back/$rel/${f##*/}"
	done
	# Every file but the snapshots' manifest.json restored, each once.
	n=$(tr -cd '\0' <list | wc -c)
	m=$(tr '\0' '\n' <list | grep -c '/snapshots/odd/manifest\.json$')
	[ "$(tr -cd '\0' <got | wc -c)" = $((n - m)) ]
	[ "$(tr '\0' '\n' <got | cut -f1 | grep -c '^ok$')" = $((n - m)) ]
}

@test "pipeline: a file that vanished fails alone, its name quoted" {
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    create -t gone
	d=$(ls -d "$BATS_FILE_TMPDIR"/n1/var/lib/cassandra/data*/ks1/users-*/snapshots/gone | head -1)
	[ -d "$d" ]
	printf x >"$d/gone"$'\t\n'"name"
	cb-list -0 --snapshot gone >list
	rm "$d/gone"$'\t\n'"name"
	run --separate-stderr bash -c 'cb-s3put -0 --list --pack --key-prefix \
	    "$1/node1" --key-suffix .lzo "$2" <list >result' _ "$T" "$B"
	expect_status 1
	[[ "$stderr" == *"cannot open '$d/gone\\t\\nname': No such file"* ]]
	# The others are uploaded; that one is NoSuchFile, its key escaped.
	[ "$(tr -cd '\0' <list | wc -c)" = "$(tr -cd '\0' <result | wc -c)" ]
	[ "$(tr '\0' '\n' <result | grep -c '^NoSuchFile	')" = 1 ]
	tr '\0' '\n' <result |
	    grep -qF "NoSuchFile	-	-	-	-	$T/node1$d/gone%09%0Aname.lzo	"
	[ "$(tr '\0' '\n' <result | grep -c '^ok	')" = \
	    "$(($(tr -cd '\0' <list | wc -c) - 1))" ]
	run --separate-stderr cb-manifest node -0 --backup b --run R \
	    --host node1 <result
	expect_status 1
	[[ "$stderr" == *"cannot back up '$d/gone\\t\\nname': NoSuchFile"* ]]
}
