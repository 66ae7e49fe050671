#!/usr/bin/env bats
# cb-load against stand-in nodes (test/cassandra/): restored sstables into
# the live tables by import, refresh or a restart, and the schema.

load helpers
bats_require_minimum_version 1.5.0

TOOLS=$REPO/test/cassandra/bin
STANDIN=$TOOLS/standin

setup() {
	export PATH=$TOOLS:$PATH
	T=$BATS_TEST_TMPDIR
}

# node NAME ARGS...: a stand-in node under $T/NAME; CASSANDRA_CONF set.
node() {
	local name=$1
	shift
	standin mknode --root "$T/$name" "$@" >/dev/null
	export CASSANDRA_CONF=$T/$name/etc/cassandra
}

# restore_from TAG [DIR]: what a restore leaves, from snapshot TAG of the
# node: DIR/KS/TABLE-ID/[.INDEX/]NAME (default $T/restore).
restore_from() {
	local tag=$1 out=${2:-$T/restore} dd s t
	nodetool snapshot -t "$tag" >/dev/null
	for dd in $(data_dirs); do
		for s in "$dd"/*/*/snapshots/"$tag"; do
			[ -d "$s" ] || continue
			t=${s#"$dd"/}
			t=${t%/snapshots/"$tag"}
			mkdir -p "$out/$t"
			cp -R "$s/." "$out/$t/"
		done
	done
}

data_dirs() {
	python3 -c 'import sys, yaml
print("\n".join(yaml.safe_load(open(sys.argv[1]))["data_file_directories"]))' \
	    "$CASSANDRA_CONF/cassandra.yaml"
}

# cbl ARGS...: cb-load with the stand-in tools and the node's conf.
cbl() {
	cb-load --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$CASSANDRA_CONF" "$@"
}

# sums: checksums of every live file of the node (snapshots left out).
sums() {
	local dd
	for dd in $(data_dirs); do
		(cd "$dd" && find . -path '*/snapshots' -prune -o -type f \
		    -print0 | sort -z | xargs -0 md5sum)
	done
}

live_id() { # live_id KS TABLE
	python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["keyspaces"][sys.argv[2]]["tables"][sys.argv[3]]["id"])' \
	    "$CASSANDRA_CONF/standin.json" "$1" "$2"
}

@test "cb-load map: same ids, and a dropped incarnation of ks1.events" {
	node m311 --version 3.11 --data-dirs 2
	restore_from b1
	# the first ks1.events, dropped: its drop-time auto-snapshot
	old=$(cd "$T"/m311/var/lib/cassandra/data1/ks1 && ls -d events-*/snapshots/*-events | cut -d/ -f1)
	oldid=${old#events-}
	new=$(live_id ks1 events)
	[ "$oldid" != "$new" ]
	for dd in $(data_dirs); do
		for s in "$dd"/ks1/"$old"/snapshots/*-events; do
			mkdir -p "$T/restore/ks1/$old"
			cp -R "$s/." "$T/restore/ks1/$old/"
		done
	done
	run --separate-stderr cbl map --restore-dir "$T/restore"
	expect_status 0
	users=$(live_id ks1 users)
	grep -qx "mapped	ks1	users	$users	$users	4	[0-9]*" <<<"$output"
	grep -q "^mapped	ks1	events	[0-9a-f,]*	$new	5	" <<<"$output"
	grep "^mapped	ks1	events	" <<<"$output" | cut -f4 | grep -q "$oldid"
	grep -qx "empty	ks2	t2	.*	0	0" <<<"$output"
	grep -q "ks1.events: the backup's table id $oldid is not the live id $new" <<<"$stderr"
	grep -q "warning: ks1.events: 2 restored directories" <<<"$stderr"
	# map moves nothing; no system keyspace unless named
	[ -n "$(ls "$T/restore/ks1/$old")" ]
	expect_no_match -q '	system' <<<"$output"
	run cbl -0 map --restore-dir "$T/restore" --keyspaces ks1 --table users
	expect_status 0
	[ "$(tr '\0' '\n' <<<"$output" | grep -c .)" -eq 1 ]
}

@test "cb-load map: 2.1 ids from system.schema_columnfamilies" {
	node m21 --version 2.1
	restore_from b1
	run --separate-stderr cbl map --restore-dir "$T/restore" --keyspaces ks1
	expect_status 0
	id=$(live_id ks1 users)
	grep -q "^mapped	ks1	users	$id	$id	4	" <<<"$output"
}

@test "cb-load map: without cqlsh, the one directory on disk or an error" {
	node m311 --version 3.11
	restore_from b1
	standin stop
	run --separate-stderr cbl map --restore-dir "$T/restore" --keyspaces ks1 --table users
	expect_status 0
	grep -q "^mapped	ks1	users	" <<<"$output"
	grep -q "warning: ks1.users: the live table taken to be the one directory" <<<"$stderr"
	# ks1.events has two directories (dropped and recreated)
	run cbl map --restore-dir "$T/restore" --keyspaces ks1
	expect_status 69
	grep -q "cannot tell which of the 2 directories of ks1.events" <<<"$output"
}

@test "cb-load: a table missing on the live node is 65, nothing loaded" {
	node m50 --version 5.0
	restore_from b1
	mkdir -p "$T/restore/ks1/gone-0123456789abcdef0123456789abcdef"
	cp "$T"/restore/ks1/users-*/nb-1-big-* "$T/restore/ks1/gone-0123456789abcdef0123456789abcdef/"
	before=$(sums)
	run cbl import --restore-dir "$T/restore"
	expect_status 65
	grep -q "table ks1.gone is not in the live schema (restore --schema creates it)" <<<"$output"
	[ "$before" = "$(sums)" ]
	ls "$T"/restore/ks1/users-*/nb-1-big-Data.db
}

@test "cb-load import (5.0): files live, records, --done rerun" {
	node i50 --version 5.0 --data-dirs 2
	restore_from b1
	n0=$(standin sstables ks1 users | wc -l)
	run --separate-stderr cbl import --restore-dir "$T/restore" --keyspaces ks1 --done "$T/done"
	expect_status 0
	id=$(live_id ks1 users)
	grep -qx "loaded	ks1	users	$id	$id	4	[1-9][0-9]*" <<<"$output"
	[ "$(standin sstables ks1 users | wc -l)" -eq $((n0 + 4)) ]
	# the restored directories hold no sstable any more, the 2i ones stay
	run find "$T/restore/ks1" -maxdepth 2 -name '*-Data.db'
	[ -z "$output" ]
	ls "$T"/restore/ks1/users-*/.users_by_email/*-Data.db
	# each new sstable is whole in a live directory, SAI components too
	for p in $(standin sstables ks1 users | tail -4); do
		ls "$T"/i50/var/lib/cassandra/data*/ks1/users-$id/"$p"Data.db
		ls "$T"/i50/var/lib/cassandra/data*/ks1/users-$id/"$p"SAI+aa+users_name_sai+Meta.db
	done
	grep -qx "ks1	users" "$T/done"
	[ "$(wc -l <"$T/done")" -eq 3 ]
	run --separate-stderr cbl import --restore-dir "$T/restore" --keyspaces ks1 --done "$T/done"
	expect_status 0
	grep -q "^already	ks1	users	" <<<"$output"
	[ "$(standin sstables ks1 users | wc -l)" -eq $((n0 + 4)) ]
	printf 'ks1 users\n' >"$T/bad"
	run cbl import --restore-dir "$T/restore" --done "$T/bad"
	expect_status 65
	grep -q "malformed record 1 in" <<<"$output"
}

@test "cb-load import: refused before 4.0 (64)" {
	node i311 --version 3.11
	restore_from b1
	run cbl import --restore-dir "$T/restore"
	expect_status 64
	grep -q "needs Cassandra 4.0 or later, and this node runs 3.11.16: use refresh" <<<"$output"
	ls "$T"/restore/ks1/users-*/me-1-big-Data.db
}

# refresh_check VERSION: restored generations collide with the live ones.
refresh_check() {
	node r --version "$1" --data-dirs 2
	restore_from b1
	id=$(live_id ks1 users)
	n0=$(standin sstables ks1 users | wc -l)
	before=$(sums)
	run --separate-stderr cbl -v refresh --restore-dir "$T/restore" --keyspaces ks1 --table users
	expect_status 0
	grep -qx "loaded	ks1	users	$id	$id	4	[1-9][0-9]*" <<<"$output"
	grep -q "gets generation" <<<"$stderr"
	# no live file was overwritten or lost
	after=$(sums)
	[ "$(wc -l <<<"$before")" -gt 20 ]
	[ -z "$(comm -23 <(sort <<<"$before") <(sort <<<"$after"))" ]
	[ "$(standin sstables ks1 users | wc -l)" -eq $((n0 + 4)) ]
}

@test "cb-load refresh (3.11): generations renamed, no live file replaced, 2i left" {
	refresh_check 3.11
	ls "$T"/restore/ks1/users-*/.users_by_email/me-1-big-Data.db
	ls "$T"/restore/ks1/users-*/schema.cql "$T"/restore/ks1/users-*/manifest.json
	run find "$T"/restore/ks1/users-* -maxdepth 1 -name 'me-*'
	[ -z "$output" ]
}

@test "cb-load refresh (2.1): KS-TABLE-ka names, the index sstables stay" {
	refresh_check 2.1
	ls "$T"/restore/ks1/users-*/ks1-users.users_by_email-ka-1-Data.db
	run find "$T"/restore/ks1/users-* -maxdepth 1 -name 'ks1-users-ka-*'
	[ -z "$output" ]
}

@test "cb-load refresh --owner nobody: the files Cassandra gets are nobody's" {
	node o311 --version 3.11
	restore_from b1
	run cbl refresh --owner nobody --restore-dir "$T/restore" --keyspaces ks2 --table t1
	expect_status 0
	id=$(live_id ks2 t1)
	owners=$(cd "$T/o311/var/lib/cassandra/data/ks2/t1-$id" && stat -c %U me-*)
	grep -qx nobody <<<"$owners"
	grep -qx root <<<"$owners"
	run cbl refresh --owner no-such-user --restore-dir "$T/restore"
	expect_status 64
}

@test "cb-load restart: live files aside, restored in, tokens set, node UN" {
	node s311 --version 3.11 --data-dirs 2
	restore_from b1
	standin write ks1 users 3
	nodetool flush >/dev/null
	id=$(live_id ks1 users)
	old=$(standin sstables ks1 users | sort)
	printf -- '-3074457345618258603\n3074457345618258602\n\n' >"$T/tokens"
	conf=$CASSANDRA_CONF/cassandra.yaml
	cp "$conf" "$T/yaml.before"
	run --separate-stderr cbl restart --restore-dir "$T/restore" --keyspaces ks1 \
	    --stop-command "$STANDIN stop" --start-command "$STANDIN start" \
	    --start-timeout 20 --tokens "$T/tokens"
	expect_status 0
	grep -qx "loaded	ks1	users	$id	$id	4	[1-9][0-9]*" <<<"$output"
	# the live sstables are the restored ones; the old ones in a snapshot
	[ "$(standin sstables ks1 users | wc -l)" -eq 4 ]
	snap=$(ls -d "$T"/s311/var/lib/cassandra/data*/ks1/users-$id/snapshots/cb-replaced-* | head -1)
	[[ "$snap" =~ cb-replaced-[0-9]{8}T[0-9]{6}$ ]]
	[ "$(ls "$T"/s311/var/lib/cassandra/data*/ks1/users-$id/snapshots/cb-replaced-*/*-Data.db | wc -l)" -eq 5 ]
	ls "$T"/s311/var/lib/cassandra/data*/ks1/users-$id/snapshots/cb-replaced-*/.users_by_email/*-Data.db
	ls "$T"/s311/var/lib/cassandra/data*/ks1/users-$id/.users_by_email/*-Data.db
	nodetool status | grep -q '^UN'
	# cassandra.yaml: the two keys set, every other line kept
	grep -qx 'initial_token: -3074457345618258603,3074457345618258602' "$conf"
	grep -qx 'num_tokens: 2' "$conf"
	diff <(grep -v '^num_tokens:' "$T/yaml.before") <(grep -v -e '^num_tokens:' -e '^initial_token:' "$conf")
	cmp "$T/yaml.before" "$conf".cb-before-*
}

@test "cb-load restart: the commands are argv words, never a shell's" {
	node c311 --version 3.11
	restore_from b1
	printf '#!/bin/sh\nprintf "%%s\\n" "$@" >"%s/args"\nexec %s stop\n' "$T" "$STANDIN" >"$T/rec"
	chmod +x "$T/rec"
	run cbl restart --restore-dir "$T/restore" --keyspaces ks2 \
	    --stop-command "$T/rec x;touch $T/y \$(id) |cat 'q'" \
	    --start-command "$STANDIN start" --start-timeout 20
	expect_status 0
	[ ! -e "$T/y" ]
	printf '%s\n' 'x;touch' "$T/y" '$(id)' '|cat' "'q'" | diff - "$T/args"
	# a stop command that fails: nothing moved, the node left alone
	standin start
	before=$(sums)
	run cbl restart --restore-dir "$T/restore" --keyspaces ks2 \
	    --stop-command "$STANDIN stop;touch $T/y" --start-command "$STANDIN start"
	expect_status 1
	grep -q "the stop command '$STANDIN stop;touch $T/y' failed" <<<"$output"
	[ ! -e "$T/y" ]
	[ "$before" = "$(sums)" ]
}

@test "cb-load restart: a node that does not come up is 75" {
	node u311 --version 3.11
	restore_from b1
	run cbl restart --restore-dir "$T/restore" --keyspaces ks2 --table t1 \
	    --stop-command "$STANDIN stop" --start-command "true" --start-timeout 2
	expect_status 75
	grep -q "not UN in nodetool status 2 s after the start command" <<<"$output"
	grep -q "^loaded	ks2	t1	" <<<"$output"
}

@test "cb-load: cqlsh over TLS (--ssl, [ssl] in the private cqlshrc); a missing certfile is exit 66" {
	node tls --version 4.1
	: >"$CASSANDRA_CONF/cqlsh-runs"
	echo ca >"$T/ca.pem"
	printf 'CREATE KEYSPACE IF NOT EXISTS ks9 WITH replication = {'"'"'class'"'"': '"'"'SimpleStrategy'"'"', '"'"'replication_factor'"'"': '"'"'1'"'"'};\n' >"$T/schema.cql"
	run cbl schema --file "$T/schema.cql" --cqlsh-ssl --cqlsh-certfile "$T/ca.pem" \
	    --cqlsh-usercert "$T/ca.pem" --cqlsh-userkey "$T/ca.pem"
	expect_status 0
	run cqlsh_last "$CASSANDRA_CONF" argv
	grep -qx -- --ssl <<<"$output"
	grep -qx -- -f <<<"$output"
	run cqlsh_last "$CASSANDRA_CONF" cqlshrc
	grep -A3 -x '\[ssl\]' <<<"$output" | tail -n 3 | tr '\n' '|' |
	    grep -qx "certfile = $T/ca.pem|usercert = $T/ca.pem|userkey = $T/ca.pem|"
	# The table-id map runs cqlsh the same way.
	restore_from b1
	run cbl map --restore-dir "$T/restore" --cqlsh-ssl --no-cqlsh-validate
	expect_status 0
	run cqlsh_last "$CASSANDRA_CONF" cqlshrc
	grep -qx 'validate = false' <<<"$output"
	run cbl map --restore-dir "$T/restore" --cqlsh-ssl \
	    --cqlsh-certfile "$T/none.pem"
	expect_status 66
	grep -q "cannot read --cqlsh-certfile '$T/none.pem'" <<<"$output"
}

@test "cb-load schema --file: keyspace and table created, with the id" {
	node k50 --version 5.0
	cat >"$T/schema.cql" <<'CQL'
-- from a backup
CREATE KEYSPACE IF NOT EXISTS ks3 WITH replication = {'class': 'NetworkTopologyStrategy', 'dc1': '3'}  AND durable_writes = true;
CREATE TABLE IF NOT EXISTS ks3.t (
    id uuid PRIMARY KEY,
    v text
) WITH ID = 0b5e8a60-1c2d-11ef-9a3b-0123456789ab
    AND gc_grace_seconds = 864000;
CREATE INDEX IF NOT EXISTS t_v ON ks3.t (v);
CREATE TABLE IF NOT EXISTS ks1.users (id uuid PRIMARY KEY);
CQL
	run cbl schema --file "$T/schema.cql"
	expect_status 0
	[ "$(live_id ks3 t)" = 0b5e8a601c2d11ef9a3b0123456789ab ]
	mkdir -p "$T/restore/ks3/t-0b5e8a601c2d11ef9a3b0123456789ab"
	run cbl map --restore-dir "$T/restore" --keyspaces ks3
	expect_status 0
	grep -qx "empty	ks3	t	0b5e8a601c2d11ef9a3b0123456789ab	0b5e8a601c2d11ef9a3b0123456789ab	0	0" <<<"$output"
	run cbl schema --file "$T/nosuch.cql"
	expect_status 64
	standin stop
	run cbl schema --file "$T/schema.cql"
	expect_status 69
}

@test "cb-load: usage errors are 64" {
	node x311 --version 3.11
	for args in "" "nosuch --restore-dir $T" "import" \
	    "schema --file f --restore-dir $T" "map --restore-dir $T --tokens f" \
	    "restart --restore-dir $T --start-timeout 0" \
	    "map --restore-dir $T --keyspaces a,b-c" \
	    "map --restore-dir $T --cqlsh-password x"; do
		run cbl $args
		expect_status 64
	done
	run cb-load --help
	expect_status 0
	grep -q "MODE: map | import | refresh | restart" <<<"$output"
	run cbl map --restore-dir "$T/nosuch"
	expect_status 65
}
