#!/usr/bin/env bats
# cb-snapshot against stand-in nodes (test/cassandra/): nodetool and cqlsh.

load helpers
bats_require_minimum_version 1.5.0

# a valid RAW_SHA256 for hand-made cb-s3put results (of no bytes)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

TOOLS=$REPO/test/cassandra/bin

mk() {
	local name=$1
	shift
	standin mknode --root "$BATS_FILE_TMPDIR/$name" "$@" >/dev/null
}

setup_file() {
	export PATH=$REPO/test/cassandra/bin:$PATH
	mk v21 --version 2.1 --data-dirs 2
	mk v311 --version 3.11 --data-dirs 3
	mk v41 --version 4.1 --data-dirs 2 --uuid-ids --incremental-backups
	mk v50 --version 5.0 --data-dirs 2 --format bti
	printf 's3cr%%et pw\n' >"$BATS_FILE_TMPDIR/pw"
	printf 'jmxpw\n' >"$BATS_FILE_TMPDIR/jmxpw"
	mk jmx --version 3.11 --jmx-user monitor \
	    --jmx-password-file "$BATS_FILE_TMPDIR/jmxpw"
	mk auth --version 4.1 --auth-user admin \
	    --auth-password-file "$BATS_FILE_TMPDIR/pw" \
	    --address 127.0.0.2 --native-port 9142
}

setup() {
	export PATH=$REPO/test/cassandra/bin:$PATH
}

conf() { echo "$BATS_FILE_TMPDIR/$1/etc/cassandra"; }

# cbs NODE ARGS...: cb-snapshot with the stand-in tools and NODE's conf.
cbs() {
	local n=$1
	shift
	cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$(conf "$n")" "$@"
}

@test "cb-snapshot create: a snapshot of every table, every version" {
	for n in v21 v311 v41 v50; do
		run cbs $n create -t full1
		expect_status 0
		run cb-list --cassandra-conf-path "$(conf $n)" --snapshot full1
		expect_status 0
		# Every live sstable of ks1.users is in it, in its data dir.
		export CASSANDRA_CONF=$(conf $n)
		for p in $(standin sstables ks1 users); do
			grep -q "/ks1/users-[0-9a-f]*/snapshots/full1/$p""Data.db\$" \
			    <<<"$output"
		done
		grep -q '/system_auth/' <<<"$output" || [ $n = v21 ]
	done
}

@test "cb-snapshot create --keyspaces, --table" {
	run cbs v311 create -t ks1only --keyspaces ks1
	expect_status 0
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot ks1only
	[ "$(printf '%s\n' "$output" | grep -vc '/ks1/')" -eq 0 ]
	run cbs v311 create -t usersonly --keyspaces ks1 --table users
	expect_status 0
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot usersonly
	[ "$(printf '%s\n' "$output" | grep -vc '/ks1/users-')" -eq 0 ]
	# 2.1 has no -kt: one -cf per keyspace.
	run cbs v21 create -t t1s --keyspaces ks2 --table t1
	expect_status 0
	run cb-list --cassandra-conf-path "$(conf v21)" --snapshot t1s
	grep -q '/ks2/t1-' <<<"$output"
}

@test "cb-snapshot create: an existing tag is an error unless --reuse" {
	run cbs v41 create -t dup
	expect_status 0
	before=$(cb-list --cassandra-conf-path "$(conf v41)" --snapshot dup)
	run cbs v41 create -t dup
	expect_status 1
	grep -q "snapshot 'dup' already exists" <<<"$output"
	CASSANDRA_CONF=$(conf v41) standin write ks1 users 4
	run cbs v41 create -t dup --reuse
	expect_status 0
	grep -q "reusing the existing snapshot 'dup'" <<<"$output"
	[ "$before" = "$(cb-list --cassandra-conf-path "$(conf v41)" --snapshot dup)" ]
	# In another keyspace than the one asked for, the tag is free.
	run cbs v41 create -t ks2tag --keyspaces ks2
	expect_status 0
	run cbs v41 create -t ks2tag --keyspaces ks1
	expect_status 0
}

@test "cb-snapshot create --skip-flush leaves pending writes alone" {
	export CASSANDRA_CONF=$(conf v41)
	standin write ks2 t2 1
	run cbs v41 create -t noflush --keyspaces ks2 --skip-flush
	expect_status 0
	run cb-list --cassandra-conf-path "$CASSANDRA_CONF" --snapshot noflush --table t2
	expect_no_match -q -- '-Data.db$' <<<"$output"
	run cbs v41 create -t flushed --keyspaces ks2
	run cb-list --cassandra-conf-path "$CASSANDRA_CONF" --snapshot flushed --table t2
	grep -q -- '-Data.db$' <<<"$output"
}

@test "cb-snapshot: nodetool's error is relayed, exit 1" {
	run cbs v41 create -t x1 --keyspaces nosuch
	expect_status 1
	grep -q "cb-snapshot: nodetool snapshot failed (exit 2):" <<<"$output"
	grep -q "nodetool: error: Keyspace nosuch does not exist" <<<"$output"
	run cbs v41 create -t x2 --keyspaces ks1 --table nosuch
	expect_status 1
	grep -q "Table nosuch does not exist" <<<"$output"
	run cbs v21 create -t x3 --skip-flush
	expect_status 1
	grep -q "Found unexpected parameters: \[-sf\]" <<<"$output"
}

@test "cb-snapshot: nodetool or cqlsh missing is exit 69" {
	for cmd in "create -t m" "clear -t m" flush topology; do
		# shellcheck disable=SC2086
		run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR" \
		    --cassandra-conf-path "$(conf v41)" $cmd
		expect_status 69
		grep -q "cannot run '$BATS_TEST_TMPDIR/nodetool'" <<<"$output"
	done
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR" \
	    --cassandra-conf-path "$(conf v41)" schema
	expect_status 69
	grep -q "cannot run '$BATS_TEST_TMPDIR/cqlsh'" <<<"$output"
}

@test "cb-snapshot: a node that is down is exit 69" {
	export CASSANDRA_CONF=$(conf v311)
	standin stop
	run cbs v311 create -t down
	s1=$status
	run cbs v311 topology
	s2=$status
	o2=$output
	run cbs v311 schema
	s3=$status
	o3=$output
	standin start
	[ "$s1" -eq 69 ] && [ "$s2" -eq 69 ] && [ "$s3" -eq 1 ]
	grep -q "nodetool: nodetool: Failed to connect" <<<"$o2"
	grep -q "cqlsh: Connection error" <<<"$o3"
	grep -q "without -t TAG" <<<"$o3"
}

@test "cb-snapshot: JMX credentials through nodetool's password file" {
	printf 'monitor jmxpw\n' >"$BATS_TEST_TMPDIR/jmx.pw"
	run cbs jmx --jmx-user monitor --jmx-password-file \
	    "$BATS_TEST_TMPDIR/jmx.pw" create -t j1
	expect_status 0
	run cbs jmx --jmx-user monitor --jmx-password-file \
	    "$BATS_TEST_TMPDIR/jmx.pw" topology
	expect_status 0
	grep -qx "cassandra_version	3.11.16" <<<"$output"
	run cbs jmx topology
	expect_status 77
	grep -q "Authentication failed! Credentials required" <<<"$output"
	printf 'monitor nope\n' >"$BATS_TEST_TMPDIR/jmx.pw"
	run cbs jmx --jmx-user monitor --jmx-password-file \
	    "$BATS_TEST_TMPDIR/jmx.pw" flush
	expect_status 77
	grep -q "Invalid username or password" <<<"$output"
	run cbs jmx --jmx-user monitor topology
	expect_status 64
}

@test "cb-snapshot flush: pending writes into backups/ (incremental on)" {
	export CASSANDRA_CONF=$(conf v41)
	n0=$(cb-list -q --cassandra-conf-path "$CASSANDRA_CONF" --backups | wc -l)
	standin write ks1 counters 2
	standin write ks2 t1 2
	run cbs v41 flush --keyspaces ks1 --table counters
	expect_status 0
	n1=$(cb-list -q --cassandra-conf-path "$CASSANDRA_CONF" --backups | wc -l)
	[ "$n1" -eq $((n0 + 8)) ]
	run cbs v41 flush
	expect_status 0
	n2=$(cb-list -q --cassandra-conf-path "$CASSANDRA_CONF" --backups | wc -l)
	[ "$n2" -eq $((n1 + 8)) ]
	run cbs v41 flush --keyspaces nosuch
	expect_status 1
}

@test "cb-snapshot clear: only the tag given" {
	run cbs v311 create -t keep
	run cbs v311 create -t gone
	run cbs v311 clear -t gone
	expect_status 0
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot gone
	expect_status 1
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot keep
	expect_status 0
	# The dropped table's auto-snapshot is still there too.
	ls -d "$BATS_FILE_TMPDIR"/v311/var/lib/cassandra/data[0-9]*/ks1/events-*/snapshots/*-events
}

@test "cb-snapshot schema: WITH INTERNALS on 4.0+, plain DESCRIBE SCHEMA before" {
	# 4.0+: the table ids, and the schema says how it was taken.
	# The stand-in's 5.0 cqlsh warns of the version as the PyPI one does:
	# a warning on stderr, nothing of it in the schema.
	run --separate-stderr cbs v50 schema
	expect_status 0
	[ "${lines[0]}" = "-- cb-snapshot: cqlsh DESCRIBE SCHEMA WITH INTERNALS" ]
	grep -q "^CREATE KEYSPACE ks1 WITH replication" <<<"$output"
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
	grep -q "WITH ID = " <<<"$output"
	expect_no_match -q "system_schema" <<<"$output"
	expect_no_match -qi "warning" <<<"$output"
	[ "$stderr" = "cb-snapshot: warning: cqlsh: WARNING: cqlsh was built against 5.0.0, but this server is 5.0.9.  All features may not work!" ]
	# Before 4.0 cqlsh refuses WITH INTERNALS: plain DESCRIBE SCHEMA, a
	# warning on stderr, the statement on stdout.
	for n in v311 v21; do
		run cbs $n schema
		expect_status 0
		grep -qx "cb-snapshot: warning: cqlsh refused DESCRIBE SCHEMA WITH INTERNALS (Cassandra before 4.0): the schema is from DESCRIBE SCHEMA, without table ids" <<<"$output"
		grep -q "^CREATE TABLE ks1.users" <<<"$output"
		expect_no_match -q "WITH ID = " <<<"$output"
		[ "$(cbs $n schema 2>/dev/null | head -1)" = \
		    "-- cb-snapshot: cqlsh DESCRIBE SCHEMA" ]
	done
	run cbs v311 -q schema
	expect_status 0
	expect_no_match -q "warning" <<<"$output"
	# --with-internals insists: 3.11 falls back to the snapshot's files.
	run cbs v311 create -t wi
	run cbs v311 schema --with-internals -t wi
	expect_status 0
	grep -q "cqlsh: <stdin>:1:Improper DESCRIBE command" <<<"$output"
	grep -q "^CREATE TABLE IF NOT EXISTS ks1.users" <<<"$output"
}

@test "cb-snapshot schema: needs nothing from nodetool or topology" {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -s "$TOOLS/cqlsh" "$BATS_TEST_TMPDIR/bin/cqlsh"
	printf '#!/bin/sh\necho "nodetool: Failed to connect" >&2\nexit 1\n' \
	    >"$BATS_TEST_TMPDIR/bin/nodetool"
	chmod +x "$BATS_TEST_TMPDIR/bin/nodetool"
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR/bin" \
	    --cassandra-conf-path "$(conf v41)" topology
	expect_status 69
	# The address comes from cassandra.yaml, not from topology.
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR/bin" \
	    --cassandra-conf-path "$(conf auth)" schema --cqlsh-user admin \
	    --cqlsh-password-file "$BATS_FILE_TMPDIR/pw"
	expect_status 0
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
	grep -q "WITH ID = " <<<"$output"
}

# A cqlsh that records its argv and its cqlshrc, then runs the stand-in.
spy_tools() {
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	ln -sf "$TOOLS/nodetool" "$BATS_TEST_TMPDIR/bin/nodetool"
	cat >"$BATS_TEST_TMPDIR/bin/cqlsh" <<EOF
#!/bin/bash
printf '%s\n' "\$@" >"$BATS_TEST_TMPDIR/argv"
args=("\$@")
while [ \$# -gt 0 ]; do
	if [ "\$1" = --cqlshrc ]; then
		stat -c %a "\$2" >"$BATS_TEST_TMPDIR/mode"
		cp "\$2" "$BATS_TEST_TMPDIR/rc"
		echo "\$2" >"$BATS_TEST_TMPDIR/rcpath"
	fi
	shift
done
exec -a cqlsh "$TOOLS/cqlsh" "\${args[@]}"
EOF
	chmod +x "$BATS_TEST_TMPDIR/bin/cqlsh"
}

@test "cb-snapshot schema: credentials through a private cqlshrc, never argv" {
	spy_tools
	c=$(conf auth)
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR/bin" \
	    --cassandra-conf-path "$c" schema --cqlsh-user admin \
	    --cqlsh-password-file "$BATS_FILE_TMPDIR/pw"
	expect_status 0
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
	# Host and port from rpc_address and native_transport_port.
	grep -qx 127.0.0.2 "$BATS_TEST_TMPDIR/argv"
	grep -qx 9142 "$BATS_TEST_TMPDIR/argv"
	expect_no_match -q 's3cr' "$BATS_TEST_TMPDIR/argv"
	[ "$(cat "$BATS_TEST_TMPDIR/mode")" = 600 ]
	grep -qx 'password = s3cr%et pw' "$BATS_TEST_TMPDIR/rc"
	grep -q '^credentials = ' "$BATS_TEST_TMPDIR/rc"
	# Removed after use.
	[ ! -e "$(cat "$BATS_TEST_TMPDIR/rcpath")" ]
	[ ! -e "$(dirname "$(cat "$BATS_TEST_TMPDIR/rcpath")")" ]
	# From stdin, and from the environment.
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR/bin" \
	    --cassandra-conf-path "$c" schema --cqlsh-user admin \
	    --cqlsh-password-file - <"$BATS_FILE_TMPDIR/pw"
	expect_status 0
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
	CB_CQLSH_PASSWORD='s3cr%et pw' run cbs auth schema --cqlsh-user admin
	expect_status 0
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
}

@test "cb-snapshot schema: TLS and a cqlshrc of the node's, the password still in no argv" {
	c=$(conf auth)
	: >"$c/cqlsh-runs"
	echo ca >"$BATS_TEST_TMPDIR/ca.pem"
	run cbs auth schema --cqlsh-user admin --cqlsh-password-file \
	    "$BATS_FILE_TMPDIR/pw" --cqlsh-ssl --cqlsh-certfile \
	    "$BATS_TEST_TMPDIR/ca.pem"
	expect_status 0
	grep -q "^CREATE TABLE ks1.users" <<<"$output"
	run cqlsh_last "$c" argv
	grep -qx -- --ssl <<<"$output"
	expect_no_match -q s3cr <<<"$output"
	run cqlsh_last "$c" cqlshrc
	grep -qx 'password = s3cr%et pw' <<<"$output"
	grep -A1 -x '\[ssl\]' <<<"$output" |
	    grep -qx "certfile = $BATS_TEST_TMPDIR/ca.pem"
	expect_no_match -q '^validate' <<<"$output"
	# The node's own cqlshrc turns TLS on: its sections kept, ours in them.
	printf '[connection]\nssl = true\nrequest_timeout = 30\n[ssl]\nvalidate = true\ncertfile = /old.pem\n' \
	    >"$BATS_TEST_TMPDIR/cqlshrc"
	run cbs auth schema --cqlsh-user admin --cqlsh-password-file \
	    "$BATS_FILE_TMPDIR/pw" --cqlsh-cqlshrc "$BATS_TEST_TMPDIR/cqlshrc" \
	    --cqlsh-certfile "$BATS_TEST_TMPDIR/ca.pem" --no-cqlsh-validate
	expect_status 0
	run cqlsh_last "$c" argv
	expect_no_match -qx -- --ssl <<<"$output"
	run cqlsh_last "$c" cqlshrc
	grep -qx 'request_timeout = 30' <<<"$output"
	grep -A2 -x '\[ssl\]' <<<"$output" | tail -n 2 | tr '\n' '|' |
	    grep -qx "certfile = $BATS_TEST_TMPDIR/ca.pem|validate = false|"
	expect_no_match -q 'old.pem\|validate = true' <<<"$output"
	# Validation needs a certfile: cqlsh's own error, relayed.
	run cbs auth schema --cqlsh-ssl
	expect_status 1
	grep -q "Validation is enabled" <<<"$output"
	rm "$c/cqlsh-runs"
}

@test "cb-snapshot schema: a missing TLS file is exit 66, a bad one exit 64" {
	run cbs auth schema --cqlsh-ssl --cqlsh-certfile /nonexistent/ca.pem
	expect_status 66
	grep -q "cannot read --cqlsh-certfile '/nonexistent/ca.pem'" <<<"$output"
	run cbs auth schema --cqlsh-cqlshrc /nonexistent/cqlshrc
	expect_status 66
	run cbs auth schema --cqlsh-ssl --cqlsh-usercert /c%s.pem
	expect_status 64
	run cbs auth schema --cqlsh-certfile /ca.pem
	expect_status 64
	grep -q "go with --cqlsh-ssl" <<<"$output"
	run cbs auth topology --cqlsh-ssl
	expect_status 64
}

@test "cb-snapshot schema: refused credentials are exit 77" {
	echo wrong >"$BATS_TEST_TMPDIR/pw"
	run cbs auth schema -t any --cqlsh-user admin \
	    --cqlsh-password-file "$BATS_TEST_TMPDIR/pw"
	expect_status 77
	grep -q "cqlsh refused the credentials of user 'admin'" <<<"$output"
	expect_no_match -q wrong <<<"$output"
}

@test "cb-snapshot schema: falls back to the snapshot's schema.cql files" {
	run cbs auth create -t sch
	expect_status 0
	# No credentials given: cqlsh cannot log in.
	run cbs auth schema -t sch
	expect_status 0
	grep -q "Remote end requires authentication" <<<"$output"
	grep -q "warning: schema taken from [0-9]* schema.cql files" <<<"$output"
	grep -q "^CREATE TABLE IF NOT EXISTS ks1.users" <<<"$output"
	grep -q "WITH ID = " <<<"$output"
	# cqlsh not installed at all.
	ln -s "$TOOLS/nodetool" "$BATS_TEST_TMPDIR/nodetool"
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR" \
	    --cassandra-conf-path "$(conf auth)" schema -t sch
	expect_status 0
	grep -q "^CREATE TABLE IF NOT EXISTS ks2.t1" <<<"$output"
	# A user without a password: no cqlsh, the fallback.
	run cbs auth schema -t sch --cqlsh-user admin
	expect_status 0
	grep -q "no password for cqlsh user 'admin'" <<<"$output"
	# 2.1 writes no schema.cql: nothing to fall back to.
	run cbs v21 create -t s21
	run cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR" \
	    --cassandra-conf-path "$(conf v21)" schema -t s21
	expect_status 69
	grep -q "cannot find any schema.cql in snapshot 's21'" <<<"$output"
	run cbs auth schema --cqlsh-password-file "$BATS_TEST_TMPDIR/none" \
	    --cqlsh-user admin -t sch
	expect_status 0
	grep -q "cannot open '$BATS_TEST_TMPDIR/none'" <<<"$output"
}

@test "cb-snapshot prune-backups: only uploaded, unchanged backups/ files" {
	c=$(conf v41)
	export CASSANDRA_CONF=$c
	standin write ks1 users 2
	cbs v41 create -t pr
	cb-list -q --cassandra-conf-path "$c" --backups >"$BATS_TEST_TMPDIR/recs"
	n=$(wc -l <"$BATS_TEST_TMPDIR/recs")
	[ "$n" -gt 10 ]
	# Record 2 failed to upload; record 3 changed after it was listed;
	# record 4 points into a snapshot; record 5 is already gone.
	awk -v sha="$EMPTY_SHA256" '{ printf "%s\t1\t1\t%s\tetag\tk%d\t%s\n",
	    NR == 2 ? "SlowDown" : "ok", sha, NR, $0 }' "$BATS_TEST_TMPDIR/recs" \
	    >"$BATS_TEST_TMPDIR/res"
	f3=$(sed -n 3p "$BATS_TEST_TMPDIR/recs" | cut -f4)
	touch -d '2001-01-01' "$f3"
	snapfile=$(cb-list --cassandra-conf-path "$c" --snapshot pr | sed -n 1p)
	awk -v s="$snapfile" -v sha="$EMPTY_SHA256" \
	    'NR == 4 { $0 = "ok\t1\t1\t" sha "\tetag\tk\t" s } 1' \
	    "$BATS_TEST_TMPDIR/res" >"$BATS_TEST_TMPDIR/res2"
	f5=$(sed -n 5p "$BATS_TEST_TMPDIR/recs" | cut -f4)
	rm "$f5"
	run cbs v41 -v prune-backups --uploaded "$BATS_TEST_TMPDIR/res2"
	expect_status 0
	grep -q "not removing '$f3': changed since it was uploaded" <<<"$output"
	grep -q "not removing '$(cut -f4 <<<"$snapfile")': not a file of backups/" <<<"$output"
	grep -q "removed $((n - 4)), already gone 1, kept 1 changed and 1 refused, 1 not uploaded" <<<"$output"
	[ -f "$(cut -f4 <<<"$snapfile")" ]
	run cb-list -q --cassandra-conf-path "$c" --backups
	# Left: the one not uploaded, the changed one, and the one whose
	# record was replaced by the snapshot file's.
	[ "$(printf '%s\n' "$output" | cut -f4 | sort)" = \
	  "$(sed -n 2,4p "$BATS_TEST_TMPDIR/recs" | cut -f4 | sort)" ]
	# -0, from stdin; and a malformed record.
	tr '\n' '\0' <"$BATS_TEST_TMPDIR/res" | cbs v41 -0 prune-backups --uploaded -
	printf 'ok\t1\t1\t%s\te\tk\tx\t1\t1\t/p\n' "$EMPTY_SHA256" \
	    >"$BATS_TEST_TMPDIR/bad"
	run cbs v41 prune-backups --uploaded "$BATS_TEST_TMPDIR/bad"
	expect_status 65
	run cbs v41 prune-backups --uploaded "$BATS_TEST_TMPDIR/none"
	expect_status 1
}

@test "cb-snapshot prune-backups: permission denied is exit 77" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to drop to nobody"
	d=$(mktemp -d /tmp/cb-prune-perm.XXXXXX)
	b=$d/data/ks/t-00000000000000000000000000000001/backups
	mkdir -p "$b"
	echo x >"$b/nb-1-big-Data.db"
	printf 'data_file_directories: [%s/data]\n' "$d" >"$d/cassandra.yaml"
	printf 'ok\t1\t1\t%s\te\tk\t%s\n' "$EMPTY_SHA256" \
	    "$(stat -c '%s	%.9Y	%i	%n' "$b/nb-1-big-Data.db" |
	    sed 's/^\([0-9]*\)	\([0-9]*\)\.\([0-9]*\)	/\1	\2\3	/')" >"$d/res"
	chmod -R a+rX "$d"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CB_BIN/cb-snapshot" --cassandra-conf-path "$d" prune-backups \
	    --uploaded "$d/res"
	expect_status 77
	grep -q "cannot remove '$b/nb-1-big-Data.db': Permission denied" <<<"$output"
	run "$CB_BIN/cb-snapshot" --cassandra-conf-path "$d" prune-backups \
	    --uploaded "$d/res"
	expect_status 0
	[ ! -e "$b/nb-1-big-Data.db" ]
	rm -rf "$d"
}

@test "cb-snapshot topology: key TAB value records from nodetool" {
	export CASSANDRA_CONF=$(conf v41)
	run cbs v41 topology
	expect_status 0
	[ "$(sed -n 1p <<<"$output")" = "format	cb-topology 1" ]
	id=$(nodetool info | sed -n 's/^ID *: //p')
	grep -qx "host_id	$id" <<<"$output"
	grep -qx "address	127.0.0.1" <<<"$output"
	grep -qx "datacenter	dc1" <<<"$output"
	grep -qx "rack	rack1" <<<"$output"
	grep -qx "cassandra_version	4.1.3" <<<"$output"
	grep -qx "cluster_name	Test Cluster" <<<"$output"
	grep -qx "num_tokens	16" <<<"$output"
	[ "$(grep -c '^token	-\{0,1\}[0-9]*$' <<<"$output")" -eq 16 ]
	diff <(grep '^token' <<<"$output" | cut -f2) \
	    <(nodetool info -T | sed -n 's/^Token *: //p')
	run cbs v21 topology
	expect_status 0
	grep -qx "num_tokens	256" <<<"$output"
	grep -qx "cassandra_version	2.1.22" <<<"$output"
	# Two nodes side by side have different host ids.
	a=$(cbs v41 topology | grep host_id)
	b=$(cbs v50 topology | grep host_id)
	[ "$a" != "$b" ]
}

# each_conf_cmd DIR STATUS PATTERN: every subcommand that reads DIR's
# cassandra.yaml exits STATUS, and its last line of stderr matches PATTERN.
each_conf_cmd() {
	local cmd
	printf 'ok\t1\t1\t%s\te\tk\t1\t1\t1\t/d/ks/t/backups/x\n' \
	    "$EMPTY_SHA256" >"$BATS_TEST_TMPDIR/res"
	for cmd in "create -t y" "clear -t y" flush "schema -t y" \
	    "prune-backups --uploaded $BATS_TEST_TMPDIR/res"; do
		# shellcheck disable=SC2086
		run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
		    --cassandra-conf-path "$1" $cmd
		expect_status "$2"
		[ "$(printf '%s\n' "$output" | wc -l)" -eq 1 ] || {
			echo "$cmd: $output" >&2
			return 1
		}
		grep -q -- "$3" <<<"$output" || {
			echo "$cmd: expected $3, got: $output" >&2
			return 1
		}
	done
}

@test "cb-snapshot: cassandra.yaml missing or malformed is exit 78, naming file and cause" {
	d=$BATS_TEST_TMPDIR/c
	mkdir -p "$d" "$BATS_TEST_TMPDIR/data"
	each_conf_cmd "$d" 78 \
	    "^cb-snapshot: cannot open '$d/cassandra.yaml': No such file or directory\$"
	printf 'cluster_name: x\ndata_file_directories: [/a\n' >"$d/cassandra.yaml"
	each_conf_cmd "$d" 78 \
	    "^cb-snapshot: cannot read '$d/cassandra.yaml': not YAML at line 3: "
	printf 'data_file_directories: /a\n' >"$d/cassandra.yaml"
	each_conf_cmd "$d" 78 \
	    "^cb-snapshot: cannot read '$d/cassandra.yaml': key 'data_file_directories' is not a list\$"
	printf -- '- a\n' >"$d/cassandra.yaml"
	each_conf_cmd "$d" 78 "cannot read '$d/cassandra.yaml': not a YAML mapping"
	# Those that walk the data directories need them to exist.
	printf 'data_file_directories: [%s/gone]\n' "$BATS_TEST_TMPDIR" \
	    >"$d/cassandra.yaml"
	for cmd in "create -t y" "clear -t y" \
	    "prune-backups --uploaded $BATS_TEST_TMPDIR/res"; do
		# shellcheck disable=SC2086
		run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
		    --cassandra-conf-path "$d" $cmd
		expect_status 78
		grep -qx "cb-snapshot: data directory '$BATS_TEST_TMPDIR/gone' of '$d/cassandra.yaml' is not a directory" <<<"$output"
	done
	if [ ! -e /var/lib/cassandra/data ]; then
		printf 'cluster_name: x\n' >"$d/cassandra.yaml"
		run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
		    --cassandra-conf-path "$d" create -t y
		expect_status 78
		grep -qx "cb-snapshot: '$d/cassandra.yaml' has no data_file_directories, and the default '/var/lib/cassandra/data' is not a directory" <<<"$output"
	fi
	# topology reads nothing of it (nodetool finds its node itself).
	run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$d" topology
	expect_no_match -q "cb-snapshot: cannot .*cassandra.yaml" <<<"$output"
}

@test "cb-snapshot: cassandra.yaml unreadable is exit 77" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to drop to nobody"
	d=$(mktemp -d /tmp/cb-conf-perm.XXXXXX)
	printf 'data_file_directories: [%s]\n' "$d" >"$d/cassandra.yaml"
	# A nodetool nobody can reach wherever the checkout is (/root is
	# 0700): cb-snapshot stops at cassandra.yaml before running it.
	mkdir "$d/bin"
	printf '#!/bin/sh\nexit 1\n' >"$d/bin/nodetool"
	chmod 755 "$d" "$d/bin" "$d/bin/nodetool"
	chmod 600 "$d/cassandra.yaml"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CB_BIN/cb-snapshot" --cassandra-tools-bin-dir "$d/bin" \
	    --cassandra-conf-path "$d" create -t y
	rm -rf "$d"
	expect_status 77
	grep -qx "cb-snapshot: cannot open '$d/cassandra.yaml': Permission denied" <<<"$output"
}

@test "cb-snapshot: usage errors exit 64; -h and -V exit 0" {
	for args in "" "bogus" "create" "clear" "create -t a/b" \
	    "create -t x --table users" "create -t x --keyspaces a,b-c" \
	    "schema --cqlsh-password secret" "create -t x extra" \
	    "topology --reuse" "flush --cqlsh-user u" "--nope topology" \
	    "create -t x --with-internals" "prune-backups" "-0 flush" \
	    "flush --uploaded x" \
	    "clear -t x --keyspaces ks1 --table users"; do
		# shellcheck disable=SC2086
		run cbs v41 $args
		expect_status 64
	done
	run cbs v41 schema --cqlsh-password secret
	grep -q "would put the password in argv" <<<"$output"
	run cb-snapshot -h
	expect_status 0
	grep -q '^usage: cb-snapshot' <<<"$output"
	run cb-snapshot -V
	expect_status 0
}

@test "cb-snapshot: tags backups and snapshots, keyspaces and tables so named" {
	r=$BATS_TEST_TMPDIR/n
	standin mknode --root "$r" --version 4.1 --incremental-backups \
	    --add-table backups.snapshots --add-table snapshots.backups >/dev/null
	c=$r/etc/cassandra
	export CASSANDRA_CONF=$c
	standin write snapshots backups 2
	for tag in backups snapshots; do
		run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
		    --cassandra-conf-path "$c" create -t $tag
		expect_status 0
	done
	ls "$r"/var/lib/cassandra/data/snapshots/backups-*/snapshots/backups/nb-*-Data.db
	# prune-backups takes the files of snapshot "backups" for what they
	# are: refused, kept; the real backups/ files go.
	cb-list -q --cassandra-conf-path "$c" --snapshot backups \
	    --keyspaces snapshots >"$r/snap"
	cb-list -q --cassandra-conf-path "$c" --backups --keyspaces snapshots \
	    >"$r/inc"
	[ -s "$r/snap" ] && [ -s "$r/inc" ]
	cat "$r/snap" "$r/inc" | awk -v sha="$EMPTY_SHA256" \
	    '{ printf "ok\t1\t1\t%s\tetag\tk\t%s\n", sha, $0 }' >"$r/res"
	run cb-snapshot --cassandra-conf-path "$c" -v prune-backups \
	    --uploaded "$r/res"
	expect_status 0
	grep -q "removed $(wc -l <"$r/inc"), already gone 0, kept 0 changed and $(wc -l <"$r/snap") refused" <<<"$output"
	grep -q "not removing '.*/snapshots/backups-.*/snapshots/backups/nb-.*': not a file of backups/" <<<"$output"
	run cb-list -q --cassandra-conf-path "$c" --snapshot backups \
	    --keyspaces snapshots
	[ "$output" = "$(cat "$r/snap")" ]
	# clear: one tag, the other stays whole.
	run cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$c" clear -t backups
	expect_status 0
	run cb-list -q --cassandra-conf-path "$c" --snapshot backups
	expect_status 1
	run cb-list -q --cassandra-conf-path "$c" --snapshot snapshots \
	    --keyspaces snapshots
	expect_status 0
	grep -q '/snapshots/backups-[0-9a-f]*/snapshots/snapshots/' <<<"$output"
}

# A nodetool that logs its argv (one call a line) and runs the stand-in's;
# with CB_FAKE_CLEAR set, clearsnapshot succeeds without clearing.
spy_nodetool() {
	mkdir -p "$BATS_TEST_TMPDIR/nt"
	ln -sf "$TOOLS/cqlsh" "$BATS_TEST_TMPDIR/nt/cqlsh"
	cat >"$BATS_TEST_TMPDIR/nt/nodetool" <<EOF2
#!/bin/bash
echo "\$*" >>"$BATS_TEST_TMPDIR/nt.argv"
[ "\$1" = clearsnapshot ] && [ -n "\${CB_FAKE_CLEAR:-}" ] && exit 0
exec "$TOOLS/nodetool" "\$@"
EOF2
	chmod +x "$BATS_TEST_TMPDIR/nt/nodetool"
}

# spy NODE ARGS...: cb-snapshot with the spy nodetool.
spy() {
	local n=$1
	shift
	cb-snapshot --cassandra-tools-bin-dir "$BATS_TEST_TMPDIR/nt" \
	    --cassandra-conf-path "$(conf "$n")" "$@"
}

@test "cb-snapshot: warnings are one 'cb-snapshot: warning: ' line each" {
	spy_nodetool
	y=$(conf v311)/cassandra.yaml
	# incremental_backups off: flush and create say what it means.
	run spy v311 flush
	expect_status 0
	grep -qx "cb-snapshot: warning: incremental_backups is off in '$y': the flush puts nothing in backups/ for an incremental backup" <<<"$output"
	run spy v311 create -t wo
	expect_status 0
	grep -qx "cb-snapshot: warning: incremental_backups is off in '$y': later incremental runs will find nothing in backups/" <<<"$output"
	CASSANDRA_CONF=$(conf v311) nodetool enablebackup
	run spy v311 flush
	CASSANDRA_CONF=$(conf v311) nodetool disablebackup
	expect_status 0
	grep -qx "cb-snapshot: warning: incremental_backups is off in '$y' and on only until a restart (nodetool enablebackup)" <<<"$output"
	# On in cassandra.yaml, or -q: nothing.
	run spy v41 flush
	expect_status 0
	[ -z "$output" ]
	run spy v311 -q flush
	[ -z "$output" ]
	# clear: nothing to clear; part of it left.
	run spy v311 clear -t never-taken
	expect_status 0
	grep -qx "cb-snapshot: warning: no snapshot 'never-taken' to clear" <<<"$output"
	run spy v311 clear -t never-taken --keyspaces ks1
	grep -qx "cb-snapshot: warning: no snapshot 'never-taken' to clear in the keyspaces given" <<<"$output"
	n=$(cb-list -q --cassandra-conf-path "$(conf v311)" --snapshot wo | wc -l)
	CB_FAKE_CLEAR=1 run spy v311 clear -t wo
	expect_status 0
	grep -q "^cb-snapshot: warning: snapshot 'wo' not wholly cleared: $n files left, the first '/.*/snapshots/wo/.*'\$" <<<"$output"
	run spy v311 clear -t wo
	expect_status 0
	[ -z "$output" ]
	# create --reuse and prune-backups' kept files are warnings too.
	run spy v41 create -t rw
	run spy v41 create -t rw --reuse
	grep -qx "cb-snapshot: warning: reusing the existing snapshot 'rw'" <<<"$output"
}

@test "cb-snapshot clear -t: that tag only, never one it is a prefix of" {
	spy_nodetool
	a=cb-20261201T000000Z
	b=cb-20261201T000000Z-ab12
	c=$(conf v41)
	run spy v41 create -t $b
	expect_status 0
	run spy v41 create -t $a
	expect_status 0
	before=$(cb-list --cassandra-conf-path "$c" --snapshot $b)
	[ -n "$before" ]
	: >"$BATS_TEST_TMPDIR/nt.argv"
	run spy v41 clear -t $a
	expect_status 0
	[ -z "$output" ]
	# nodetool was asked for exactly that tag
	[ "$(cat "$BATS_TEST_TMPDIR/nt.argv")" = "clearsnapshot -t $a" ]
	run cb-list --cassandra-conf-path "$c" --snapshot $a
	expect_status 1
	[ "$before" = "$(cb-list --cassandra-conf-path "$c" --snapshot $b)" ]
	# A prefix of a tag on disk is not a snapshot to clear.
	for t in $a cb-20261201T; do
		run spy v41 clear -t $t
		expect_status 0
		grep -qx "cb-snapshot: warning: no snapshot '$t' to clear" <<<"$output"
	done
	[ "$before" = "$(cb-list --cassandra-conf-path "$c" --snapshot $b)" ]
	# And the longer one clears alone, keyspaces passed as given.
	run spy v41 create -t $a
	: >"$BATS_TEST_TMPDIR/nt.argv"
	run spy v41 clear -t $b --keyspaces ks1,ks2
	expect_status 0
	[ "$(cat "$BATS_TEST_TMPDIR/nt.argv")" = "clearsnapshot -t $b ks1 ks2" ]
	run cb-list --cassandra-conf-path "$c" --snapshot $b --keyspaces ks1,ks2
	expect_status 1
	run cb-list --cassandra-conf-path "$c" --snapshot $a
	expect_status 0
}

@test "cb-snapshot check-restore-dir: never into or inside a Cassandra directory, however spelled" {
	local R=$BATS_FILE_TMPDIR/v41 d
	ln -sfn "$R/var/lib/cassandra" "$BATS_TEST_TMPDIR/link"
	for d in "$R/var/lib/cassandra/data1" "$R/var/lib//cassandra/data2/ks1/new" \
	    "$R/var/lib/cassandra/data1/../commitlog" "$BATS_TEST_TMPDIR/link/data1/x" \
	    "$R/var/lib/cassandra/hints/" "$R/var/lib/cassandra/saved_caches/./y" \
	    "$(conf v41)/restore"; do
		run cbs v41 check-restore-dir --restore-dir "$d"
		expect_status 64
		[[ "$output" == *"refusing restore directory"*"it is inside"* ]]
	done
	for d in "$BATS_TEST_TMPDIR/restore" "$R/var/lib/cassandra/data1x" /tmp/cassandra_restore; do
		run cbs v41 check-restore-dir --restore-dir "$d"
		expect_status 0
	done
	run cbs v41 check-restore-dir --restore-dir relative/dir
	expect_status 64
	run cbs v41 check-restore-dir
	expect_status 64
}

@test "cb-snapshot schema: cqlsh's own WARNING lines on stdout become warnings, not schema" {
	# The stand-in's 5.0 cqlsh prints it, as the PyPI cqlsh does against
	# a newer server.
	run --separate-stderr cb-snapshot --cassandra-tools-bin-dir "$TOOLS" \
	    --cassandra-conf-path "$(conf v50)" schema
	expect_status 0
	[ "${lines[0]}" = "-- cb-snapshot: cqlsh DESCRIBE SCHEMA WITH INTERNALS" ]
	expect_no_match -q "WARNING" <<<"$output"
	grep -q "^CREATE KEYSPACE ks1 WITH replication" <<<"$output"
	[ "$stderr" = "cb-snapshot: warning: cqlsh: WARNING: cqlsh was built against 5.0.0, but this server is 5.0.9.  All features may not work!" ]
}
