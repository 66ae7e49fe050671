#!/usr/bin/env bats
# cassandra-backups end to end on a real Apache Cassandra 5.0 node
# (test/services/cassandra.sh) and the RGW test S3 server
# (test/services/s3.sh): the driver over ssh, a schema with clustering
# keys, collections, a counter table, a secondary and an SAI index and a
# recreated table (test/cassandra-real/data.py), sstables across data and
# data2; restores loaded back with nodetool import and with the node
# restart method, and the rows compared (counts and a SHA-256 over all
# rows) with those before the loss.
#
# Under test/run.sh the services are its own, and if one did not start the
# tests fail, they do not skip.  Run by hand, the file starts its own as
# root (one node; S3 on CB_TEST_S3_PORT), and fails the same way if they
# do not start; without root it skips.  The runs take a while, so only
# the gcc pass runs them: the driver is sh, and the C programs get their
# sanitizer coverage from their own tests (CB_E2E_ALL=1 runs them anyway).

load helpers
bats_require_minimum_version 1.5.0

setup_file() {
	export RE_STATE=
	[ -z "${CB_TEST_STATE:-}" ] || return 0
	[ "$(id -u)" = 0 ] || return 0
	RE_STATE=$(mktemp -d /tmp/cb-real-e2e-bats.XXXXXX)
	# (no .env file makes every test fail in setup(), showing the log)
	bash "$REPO/test/services/s3.sh" start "$RE_STATE" \
	    >"$RE_STATE/s3.log" 2>&1 || :
	bash "$REPO/test/services/cassandra.sh" start "$RE_STATE" \
	    >"$RE_STATE/cassandra.log" 2>&1 || :
}

teardown_file() {
	if [ -n "${RE_STATE:-}" ]; then
		bash "$REPO/test/services/cassandra.sh" stop "$RE_STATE" \
		    >/dev/null 2>&1
		bash "$REPO/test/services/s3.sh" stop "$RE_STATE" >/dev/null 2>&1
		rm -rf "$RE_STATE"
	fi
}

setup() {
	local st=${RE_STATE:-${CB_TEST_STATE:-}} f
	case $CB_BIN in
	*/asan/*) [ "${CB_E2E_ALL:-0}" = 1 ] ||
	    skip "sanitizer pass: real-node runs only in the gcc pass (CB_E2E_ALL=1 for all)" ;;
	esac
	[ -n "$st" ] || skip "needs the real Cassandra and S3 test services (root)"
	for f in cassandra s3; do
		[ -f "$st/$f.env" ] && continue
		echo "the $f test service did not start (no $st/$f.env)" >&2
		[ ! -f "$st/$f.log" ] || tail -20 "$st/$f.log" >&2
		return 1
	done
	. "$st/cassandra.env"
	. "$st/s3.env"
	T=$BATS_TEST_TMPDIR
	TOOLS=$CB_REAL_CASSANDRA_BIN
	CONF=$CB_REAL_CASSANDRA_CONF
	IP1=${CB_REAL_CASSANDRA_HOSTS%% *}
	ROOT1=$CB_REAL_CASSANDRA_HOSTS_DIR/$IP1
	PY=$(ls -d "${CB_TEST_CASSANDRA_CACHE:-/var/cache/cb-test-cassandra}"/cqlsh-*/bin/python3 | head -1)
	# A keyspace and a base path of their own per test.
	KS=e2e$BATS_TEST_NUMBER
	BASE=real-e2e/$BATS_TEST_NUMBER-$$
	CBA=(cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE"
	    --s3-endpoint "$S3_ENDPOINT")
	SSHO=(--ssh-config "$CB_REAL_CASSANDRA_SSH_CONFIG")
	BKO=(--cassandra-tools-bin-dir "$TOOLS" --cassandra-conf-path "$CONF")
}

# on_node CMD...: the argv CMD on node 1 over its ssh.
on_node() {
	ssh -F "$CB_REAL_CASSANDRA_SSH_CONFIG" n1 "$(printf '%q ' "$@")"
}

nt() { on_node "$TOOLS/nodetool" "$@"; }

# data ARGS...: test/cassandra-real/data.py on keyspace KS, through node 1.
data() { "$PY" "$REPO/test/cassandra-real/data.py" --host "$IP1" --ks "$KS" "$@"; }

# load_rows: the schema and 3 x 200 rows per table, flushed after each
# write (several sstables per table, in data and data2).
load_rows() {
	local i
	data schema
	for i in 0 1 2; do
		data write $((i * 200)) 200
		nt flush "$KS" >/dev/null
		nt flush "${KS}_b" >/dev/null
	done
}

# snap_list TAG: the files of snapshot TAG of KS and KS_b (data and
# data2), each as "REL<TAB>PATH": REL where the restore puts it
# (KS/TABLE-ID/NAME), PATH outside the node.  manifest.json is left out
# (the driver does not back it up; cb-list(1)).
snap_list() {
	(cd "$ROOT1/var-lib-cassandra" &&
	    find data data2 -path "*/snapshots/$1/*" -type f \
	    \( -path "data*/$KS/*" -o -path "data*/${KS}_b/*" \) \
	    -not -name manifest.json) |
	    awk -v tag="$1" -v root="$ROOT1/var-lib-cassandra/" '{
		rel = $0
		sub("^data2?/", "", rel)
		sub("/snapshots/" tag "/", "/", rel)
		print rel "\t" root $0
	    }' | sort
}

snap_files() { snap_list "$1" | cut -f1; }

# backups_list DIR: the files in backups/ of KS and KS_b (incremental
# backups), as snap_list prints them, after copying them into DIR (the run
# removes them once they are up).
backups_list() {
	local rel src
	(cd "$ROOT1/var-lib-cassandra" &&
	    find data data2 -path '*/backups/*' -type f \
	    \( -path "data*/$KS/*" -o -path "data*/${KS}_b/*" \)) |
	while IFS= read -r src; do
		rel=$(sed -E 's|^data2?/||; s|/backups/|/|' <<<"$src")
		mkdir -p "$1/${rel%/*}"
		cp "$ROOT1/var-lib-cassandra/$src" "$1/$rel"
		printf '%s\t%s\n' "$rel" "$1/$rel"
	done
}

# restore_is LIST: the restore dir holds exactly the files of LIST
# (snap_list lines; a name twice must be the same file), byte for byte.
# Prints the count.
restore_is() {
	local rd=$ROOT1/tmp/cassandra_restore rel src n=0
	(cd "$rd" && find . -type f | sed 's|^\./||' | sort) >"$T/restored"
	cut -f1 "$1" | sort -u | diff - "$T/restored" >&2 || return 1
	while IFS=$'\t' read -r rel src; do
		cmp "$src" "$rd/$rel" || return 1
		n=$((n + 1))
	done <"$1"
	echo "$n"
	[ "$n" -gt 0 ]
}

no_cb_snapshot() {
	run nt listsnapshots
	expect_status 0
	expect_no_match 'cb-' <<<"$output"
}

@test "real node: full and incremental backup over ssh hold exactly the snapshot's files; topology is the node's" {
	rm -rf "$ROOT1/tmp/cassandra_restore"
	load_rows
	# Both data directories hold sstables of KS.users.
	ls "$ROOT1"/var-lib-cassandra/data/"$KS"/users-*/nb-*-Data.db >/dev/null
	ls "$ROOT1"/var-lib-cassandra/data2/"$KS"/users-*/nb-*-Data.db >/dev/null
	nt snapshot -t ref1-$$ "$KS" "${KS}_b" >/dev/null
	run "${CBA[@]}" backup --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"1 snapshot (0 differential), 0 incremental"* ]]
	[[ "$output" == *" complete "* ]]
	no_cb_snapshot
	data write 600 100
	# What the incremental run uploads besides the flush it makes: the
	# backups/ of every table id, the dropped KS.reborn's too (DROP
	# flushed its row into an sstable there; a finding, see below).
	backups_list "$T/pre" >"$T/pre.list"
	run "${CBA[@]}" backup --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"0 snapshot (0 differential), 1 incremental"* ]]
	[[ "$output" == *"runs: 1 full + 1 incremental"* ]]
	no_cb_snapshot
	# backups/ is emptied once its files are up.
	run find "$ROOT1"/var-lib-cassandra/data{,2}/"$KS" -path '*/backups/*' -type f
	expect_status 0
	[ -z "$output" ]
	nt snapshot -t ref2-$$ "$KS" "${KS}_b" >/dev/null
	run "${CBA[@]}" list
	expect_status 0
	[[ "$output" == *"complete  hosts: $IP1"*"runs: 1 full + 1 incremental"* ]]

	# The restore is the snapshot before the run plus what the incremental
	# flushed: the second reference snapshot (compaction is off); and the
	# files that were in backups/ before the incremental run, which
	# include the dropped table id's (KS/reborn-OLDID/: the dropped row,
	# which nothing in the restore's output tells apart from live data).
	run "${CBA[@]}" restore --hosts "$IP1" "${SSHO[@]}" --keyspaces "$KS,${KS}_b"
	expect_status 0
	snap_files ref1-$$ >"$T/ref1-$$"
	snap_files ref2-$$ >"$T/ref2-$$"
	[ -z "$(comm -23 "$T/ref1-$$" "$T/ref2-$$")" ]
	[ -n "$(comm -13 "$T/ref1-$$" "$T/ref2-$$")" ]
	snap_list ref2-$$ | sort - "$T/pre.list" >"$T/expect"
	run restore_is "$T/expect"
	expect_status 0
	# the indexes' files are there: the 2i's table and SAI components
	grep -q "^$KS/users-[0-9a-f]*/\.users_name_idx/nb-[0-9]*-big-Data\.db$" "$T/restored"
	grep -q "^$KS/users-[0-9a-f]*/nb-[0-9]*-big-SAI+aa+users_seq_sai+Meta\.db$" "$T/restored"
	nt clearsnapshot -t ref1-$$ >/dev/null
	nt clearsnapshot -t ref2-$$ >/dev/null

	# The node manifest's topology is the node's own.
	run nt info -T
	expect_status 0
	local id tokens key
	id=$(sed -n 's/^ID *: //p' <<<"$output")
	tokens=$(sed -n 's/^Token *: //p' <<<"$output" | sort)
	[ -n "$id" ]
	key=$(cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/" |
	    cut -f4 | grep "/$IP1/manifest-.*\.json$" | head -1)
	[ -n "$key" ]
	cb-s3get --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$key" "$T/node.json"
	run python3 -c '
import json, sys
t = json.load(open(sys.argv[1]))["topology"]
print(t["host_id"], t["datacenter"], t["rack"], t["cassandra_version"])
print("\n".join(sorted(t["tokens"])))' "$T/node.json"
	expect_status 0
	[ "${lines[0]}" = "$id $CB_REAL_CASSANDRA_DC $CB_REAL_CASSANDRA_RACK $CB_REAL_CASSANDRA_VERSION" ]
	[ "$(printf '%s\n' "${lines[@]:1}")" = "$tokens" ]
}

@test "real node: TRUNCATE one table, DROP and recreate another (a new id), restore --load import: the rows are the rows before" {
	rm -rf "$ROOT1/tmp/cassandra_restore"
	load_rows
	data digest >"$T/before"
	local old new
	old=$(data tabledir users)
	run "${CBA[@]}" backup --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}" --keyspaces "$KS"
	expect_status 0
	run on_node "$TOOLS/cqlsh" "$IP1" -e "TRUNCATE $KS.counts"
	expect_status 0
	data recreate users
	new=$(data tabledir users)
	[ "$new" != "$old" ]
	data digest >"$T/lost"
	grep -q "^$KS.users 0 " "$T/lost"
	grep -q "^$KS.counts 0 " "$T/lost"
	run --separate-stderr "${CBA[@]}" restore --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}" \
	    --keyspaces "$KS" --load import --json
	expect_status 0
	python3 - "$output" "${old#users-}" "${new#users-}" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
assert r["complete"] is True and r["load"] == "import", r
t = {x["table"]: x for x in r["hosts"][0]["tables"]}
assert t["users"]["status"] == "loaded" and t["users"]["sstables"] > 0, t
assert t["users"]["backup_ids"] == [sys.argv[2]] and t["users"]["live_id"] == sys.argv[3], t
assert t["counts"]["status"] == "loaded", t
PY
	data digest >"$T/after"
	diff "$T/before" "$T/after"
	# The restored tables' directories hold no sstable any more: import
	# moved them into the live tables.
	run find "$ROOT1/tmp/cassandra_restore/$KS" -name '*-Data.db' -not -path '*/.*'
	expect_status 0
	[ -z "$output" ]
}

@test "real node: restore --load restart (the node restart method): exactly the backup's rows, the newer files kept aside in a snapshot" {
	rm -rf "$ROOT1/tmp/cassandra_restore"
	load_rows
	data digest >"$T/before"
	run "${CBA[@]}" backup --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}" --keyspaces "$KS"
	expect_status 0
	# Rows written after the backup: the restart method replaces the
	# tables' data with the backup's.
	data write 600 50
	nt flush "$KS" >/dev/null
	data digest | grep "^$KS\." >"$T/later"
	run diff <(grep "^$KS\." "$T/before") "$T/later"
	expect_status 1
	run "${CBA[@]}" restore --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}" --keyspaces "$KS" \
	    --load restart --stop-command "$TOOLS/cassandra-stop" \
	    --start-command "$TOOLS/cassandra-start" --start-timeout 240
	expect_status 0
	[[ "$output" == *"$IP1: $KS.users: loaded"* ]]
	[[ "${lines[-1]}" == *"; complete" ]]
	run nt status
	expect_status 0
	grep -qE "^UN +${IP1//./\\.} " <<<"$output"
	# (KS alone: the rows written to KS_b after the backup stay)
	data digest | grep "^$KS\." >"$T/after"
	grep "^$KS\." "$T/before" | diff - "$T/after"
	# What the tables held is kept, as a snapshot of each.
	run nt listsnapshots
	expect_status 0
	[[ "$output" == *"cb-replaced-"*"$KS"*"users"* ]]
}

# node_manifest FILE: the node manifest of node 1 in this test's backup.
node_manifest() {
	local key
	key=$(cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/" |
	    cut -f4 | grep "/$IP1/manifest-.*\.json$" | head -1)
	[ -n "$key" ] || return 1
	cb-s3get --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$key" "$1"
}

@test "real node: cb-list -0 takes a real snapshot (manifest.json, schema.cql, indexes); the captured schema replays" {
	local tag=t5-$$
	data schema
	data write 0 50
	nt snapshot -t "$tag" "$KS" "${KS}_b" >/dev/null
	on_node "$CB_BIN/cb-list" -0 --cassandra-conf-path "$CONF" \
	    --snapshot "$tag" >"$T/list0"
	tr '\0' '\n' <"$T/list0" | cut -f4 | grep -E "/${KS}(_b)?/" | sort >"$T/listed"
	on_node find /var/lib/cassandra/data /var/lib/cassandra/data2 \
	    -path "*/snapshots/$tag/*" -type f | grep -E "/${KS}(_b)?/" | sort >"$T/disk"
	diff "$T/disk" "$T/listed"
	grep -q "/$KS/users-[0-9a-f]*/snapshots/$tag/manifest.json$" "$T/listed"
	grep -q "/$KS/users-[0-9a-f]*/snapshots/$tag/schema.cql$" "$T/listed"
	grep -q "/$KS/users-[0-9a-f]*/snapshots/$tag/\.users_name_idx/nb-[0-9]*-big-Data\.db$" "$T/listed"
	grep -q "/$KS/users-[0-9a-f]*/snapshots/$tag/nb-[0-9]*-big-SAI+aa+users_seq_sai+Meta\.db$" "$T/listed"
	nt clearsnapshot -t "$tag" >/dev/null

	# The schema in the node manifest: CQL only (no cqlsh WARNING line),
	# and KS's part of it, renamed, creates a keyspace that takes rows.
	run "${CBA[@]}" backup --hosts "$IP1" "${SSHO[@]}" "${BKO[@]}" --keyspaces "$KS"
	expect_status 0
	node_manifest "$T/node.json"
	python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["schema"])' \
	    "$T/node.json" >"$T/schema.cql"
	expect_no_match -i 'warning' "$T/schema.cql"
	grep -v '^$' "$T/schema.cql" | head -1 | grep -qE '^(CREATE|--)'
	grep -q "^CREATE TABLE $KS\.users " "$T/schema.cql"
	awk -v RS= -v ks="$KS" '$0 ~ ("(KEYSPACE|TABLE|INDEX|ON) " ks "[ .]") {
		print $0 "\n"
	}' "$T/schema.cql" |
	    sed -E "s/(^|[^a-z0-9_])$KS([ .])/\\1${KS}r\\2/g" |
	    sed -E '/WITH ID = /{N; s/WITH ID = [0-9a-f-]+\n +AND /WITH /;}' \
	    >"$T/replay.cql"
	expect_no_match 'WITH ID' "$T/replay.cql"
	grep -q "^CREATE CUSTOM INDEX users_seq_sai ON ${KS}r\.users (seq) USING 'sai'" "$T/replay.cql"
	on_node "$TOOLS/cqlsh" "$IP1" -e "DROP KEYSPACE IF EXISTS ${KS}r" 2>/dev/null
	run ssh -F "$CB_REAL_CASSANDRA_SSH_CONFIG" n1 "$TOOLS/cqlsh $IP1" <"$T/replay.cql"
	expect_status 0
	expect_no_match -E 'Error|Invalid' <<<"$output"
	# the tables, the counter and the SAI index are there
	run on_node "$TOOLS/cqlsh" "$IP1" -e "INSERT INTO ${KS}r.users (id, seq, name, tags) VALUES (1, 7, 'a', {'x'}); UPDATE ${KS}r.counts SET hits = hits + 3 WHERE id = 1; SELECT id FROM ${KS}r.users WHERE seq = 7; SELECT hits FROM ${KS}r.counts WHERE id = 1; SELECT count(*) FROM ${KS}r.events; SELECT count(*) FROM ${KS}r.reborn"
	expect_status 0
	[[ "$output" == *"(1 rows)"*"(1 rows)"*"(1 rows)"*"(1 rows)"* ]]
	[[ "$output" == *"    3"* ]]
	on_node "$TOOLS/cqlsh" "$IP1" -e "DROP KEYSPACE ${KS}r" 2>/dev/null
}
