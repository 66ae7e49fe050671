#!/usr/bin/env bats
# cassandra-backups end to end: three stand-in Cassandra nodes behind real
# sshd test hosts (test/services/hosts.sh) and the RGW test S3 server
# (test/services/s3.sh).

load helpers
bats_require_minimum_version 1.5.0

load e2e

@test "cassandra-backups --help, -V and usage errors" {
	run cassandra-backups --help
	expect_status 0
	[[ "$output" == *"usage: cassandra-backups"* ]]
	run cassandra-backups backup --help
	expect_status 0
	[[ "$output" == *"--connection-pool-size"* ]]
	run cassandra-backups restore --help
	expect_status 0
	[[ "$output" == *"--restore-dir"* ]]
	run cassandra-backups -V
	expect_status 0
	[[ "$output" == "cassandra-backups "* ]]
	run cassandra-backups --s3-bucket-name b backup --hosts a
	expect_status 64
	[[ "$output" == *"--s3-base-path is required"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p backup
	expect_status 64
	[[ "$output" == *"--hosts is required"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p backup --hosts a --table t
	expect_status 64
	[[ "$output" == *"--table needs --keyspaces"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p backup --hosts a --use-sudo=maybe
	expect_status 64
	run cassandra-backups --s3-bucket-name b --s3-base-path p restore --hosts a --restore-dir /var/lib/cassandra/data
	expect_status 64
	[[ "$output" == *"refusing --restore-dir"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p frobnicate
	expect_status 64
	run cassandra-backups --s3-bucket-name b --s3-base-path p backup --hosts '-oProxyCommand=x'
	expect_status 64
	# verify and purge check their values the same way.
	run cassandra-backups --s3-bucket-name b --s3-base-path p purge
	expect_status 64
	[[ "$output" == *"purge needs one of --keep, --older-than and --snapshot-name"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p purge --keep 3 --older-than 7
	expect_status 64
	run cassandra-backups --s3-bucket-name b --s3-base-path p purge --keep 0
	expect_status 64
	[[ "$output" == *"invalid --keep '0'"* ]]
	run cassandra-backups --s3-bucket-name b --s3-base-path p purge --older-than 7 --grace x
	expect_status 64
	run cassandra-backups --s3-bucket-name b --s3-base-path p verify --snapshot-name 'a/b'
	expect_status 64
	run cassandra-backups --s3-bucket-name b --s3-base-path p verify --frobnicate
	expect_status 64
	run cassandra-backups verify --help
	expect_status 0
	[[ "$output" == *"--deep"* ]]
	run cassandra-backups purge --help
	expect_status 0
	[[ "$output" == *"--dry-run"* ]]
}

@test "full and incremental backups of three nodes, restored byte for byte" {
	fresh_nodes
	for h in $H1 $H2 $H3; do snap_ref "$h" ref1; done
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"complete"* ]]
	[[ "$output" == *"3 snapshot (0 differential), 0 incremental"* ]]
	# No snapshot of the run is left on any node.
	for h in $H1 $H2 $H3; do
		run on "$h" "nodetool listsnapshots"
		[[ "$output" != *cb-* ]]
	done
	# More data, flushed by the incremental run into backups/.
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 20; standin write ks2 t1 5"; done
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"0 snapshot (0 differential), 3 incremental"* ]]
	[[ "$output" == *"runs: 1 full + 1 incremental"* ]]
	# backups/ is emptied once its files are safely up.
	run find "$CB_TEST_HOSTS_DIR/$H1/var-lib-cassandra/data/ks1" -path '*/backups/*' -type f
	[ -z "$output" ]
	for h in $H1 $H2 $H3; do snap_ref "$h" ref2; done

	# All keyspaces of all hosts.
	run "${CBA[@]}" restore --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	[[ "$output" == *"--load import"* ]]
	for h in $H1 $H2 $H3; do
		same_as_ref "$h" ref1
		same_as_ref "$h" ref2
	done
	# The host's own keyspaces only: nothing of system*.
	[ -z "$(ls "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore" | grep '^system')" ]
}

@test "restore of one keyspace of one host, and list" {
	asan_light
	fresh_nodes
	snap_ref "$H2" ref
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	run "${CBA[@]}" restore --host "$H2" --keyspace ks2 "${SSHO[@]}"
	expect_status 0
	same_as_ref "$H2" ref ks2
	[ "$(ls "$CB_TEST_HOSTS_DIR/$H2/tmp/cassandra_restore")" = ks2 ]
	[ ! -e "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore" ]
	run "${CBA[@]}" list
	expect_status 0
	[[ "$output" == "$(date -u +%Y%m%d)  complete  hosts: $HOSTS"* ]]
	run "${CBA[@]}" list --json
	expect_status 0
	python3 -c 'import json,sys; d=json.load(sys.stdin); assert d[0]["complete"] is True; assert len(d[0]["nodes"]) == 3' <<<"$output"
}

@test "a node down during backup: the others finish, the rerun completes it" {
	asan_light
	fresh_nodes
	on "$H3" "standin stop"
	# Cassandra down on one node: unavailable (69), the others finish.
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	[[ "$output" == *"INCOMPLETE"* ]]
	[[ "$output" == *"$H3:"* ]]
	run "${CBA[@]}" list
	[[ "$output" == *"INCOMPLETE"* ]]
	[[ "$output" == *"host $H3: failed"* ]]
	on "$H3" "standin start"
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"1 snapshot (0 differential), 2 incremental"* ]]
	[[ "$output" == *" complete "* ]]
	snap_ref "$H3" ref
	run "${CBA[@]}" restore --host "$H3" "${SSHO[@]}"
	expect_status 0
	same_as_ref "$H3" ref
}

@test "an unreachable host fails alone, with the reason" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --hosts "$H1,127.0.0.99" "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	[[ "$output" == *"127.0.0.99: ssh failed (host down or unreachable)"* ]]
	run "${CBA[@]}" list
	[[ "$output" == *"INCOMPLETE"* ]]
}

@test "a corrupted object in S3: that file fails clearly and is not left behind" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	key=$(cb-s3get --endpoint "$S3_ENDPOINT" --ls "s3://$S3_BUCKET/$BASE/" |
	    cut -f4 | grep '/ks1/users-.*-Data\.db\.lzo$' | head -1)
	[ -n "$key" ]
	# Same size class, other bytes: a valid lzop stream of the wrong data.
	head -c 1000 /dev/urandom | cb-pack | cb-s3put --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$key" - >/dev/null
	run "${CBA[@]}" restore --host "$H1" --keyspace ks1 "${SSHO[@]}"
	[ "$status" -ne 0 ]
	rel=$(printf '%s\n' "${key%.lzo}" | sed 's|.*/data/\([^/]*/[^/]*\)/snapshots/[^/]*/|\1/|')
	[[ "$output" == *"$H1: not restored: $rel"* ]]
	[[ "$output" == *"$H1: FAILED"* ]]
	# It says what failed, and stops there: no "every file verified", no
	# next steps.
	[[ "$output" == *"FAILED on 1 of 1 hosts"* ]]
	[[ "$output" != *"checksum-verified"* ]]
	[[ "$output" != *"--load import"* ]]
	dir=$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore
	[ ! -e "$dir/$rel" ]
	# No temporary file left beside it either.
	[ -z "$(ls -A "$(dirname "$dir/$rel")" | grep -v -- '-big-')" ]
	# The other files are there.
	[ "$(restored_count "$H1")" -gt 10 ]
}

@test "a seed-format backup (single and double slash keys) restores; a hostile listing is refused" {
	asan_light
	fresh_nodes
	root=$CB_TEST_HOSTS_DIR/$H1/var-lib-cassandra/data
	tdir=$(cd "$root/ks1" && ls -d users-* | head -1)
	d=/var/lib/cassandra/data/ks1/$tdir/snapshots/20170104
	head -c 5000 /dev/urandom >"$T/data"
	head -c 300 /dev/urandom >"$T/index"
	lzop -c "$T/data" | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/20170104/$H1$d/mc-1-big-Data.db.lzo" - >/dev/null
	lzop -c "$T/index" | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/20170104/$H1/$d/mc-1-big-Index.db.lzo" - >/dev/null
	printf '{"name": "20170104", "base_path": "%s", "hosts": ["%s"], "keyspaces": null, "table": ""}' \
	    "$BASE" "$H1" | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/20170104/manifest.json" - >/dev/null
	run "${CBA[@]}" list
	expect_status 0
	[[ "$output" == *"20170104  seed-format  hosts: $H1"* ]]
	run "${CBA[@]}" restore --host "$H1" --keyspace ks1 --snapshot-name 20170104 "${SSHO[@]}"
	expect_status 0
	cmp "$T/data" "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore/ks1/$tdir/mc-1-big-Data.db"
	cmp "$T/index" "$CB_TEST_HOSTS_DIR/$H1/tmp/cassandra_restore/ks1/$tdir/mc-1-big-Index.db"
	# A key with a '..' component (RGW will not store one, so the listing
	# is made here) is refused and nothing is fetched.
	printf '10\t2017-01-04T00:00:00Z\tx\t%s\n' \
	    "$BASE/20170104/$H1/var/lib/cassandra/data/ks1/$tdir/snapshots/t/../../../../../../etc/evil-0/snapshots/t/f.lzo" \
	    "$BASE/20170104/$H1/var/lib/cassandra/data/ks1/$tdir/snapshots/t/ok-Data.db.lzo" >"$T/ls"
	run cb-manifest restore --listing "$BASE/20170104/$H1" <"$T/ls"
	expect_status 65
	[[ "$output" == *"refusing key"*"escape the restore directory"* ]]
}

@test "a manifest that is not JSON: restore exits 65, list says so" {
	asan_light
	printf 'not { json' | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/20260101/manifest.json" - >/dev/null
	run "${CBA[@]}" restore --host "$H1" --snapshot-name 20260101 "${SSHO[@]}"
	expect_status 65
	[[ "$output" == *"cannot read the manifest of backup '20260101'"* ]]
	run "${CBA[@]}" list
	expect_status 65
	[[ "$output" == *"cannot read the manifest of backup '20260101'"* ]]
	[[ "$output" == *"20260101  UNREADABLE"* ]]
}

@test "a wrong secret: list passes on cb-s3get's 77" {
	asan_light
	AWS_SECRET_ACCESS_KEY=wrong-$AWS_SECRET_ACCESS_KEY run "${CBA[@]}" list
	expect_status 77
	[[ "$output" == *"cannot list 's3://$S3_BUCKET/$BASE/'"* ]]
	[[ "$output" != *"wrong-"* ]]
}

@test "a backup killed mid-way leaves no complete marker; the rerun completes it" {
	asan_light
	fresh_nodes
	# Enough files that the run is still uploading when it is killed.
	cb-fanout -q -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
	    "PATH=$TOOLS:\$PATH; standin write ks1 users 200 >/dev/null"
	mkdir "$T/tmpd"
	TMPDIR=$T/tmpd "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --rate-limit 20 >"$T/out" 2>&1 &
	pid=$!
	# Kill it once the nodes are uploading.
	for i in $(seq 1 300); do
		cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/" |
		    grep -q '\.lzo$' && break
		sleep 0.1
	done
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 143 ]
	# Its temporary directory and its run lock are gone.
	[ -z "$(ls -A "$T/tmpd")" ]
	run cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/"
	[[ "$output" != *cassandra-backups.lock* ]]
	run cb-s3get --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$BASE/$(date -u +%Y%m%d)/manifest.json" "$T/m"
	[ "$status" -ne 0 ]
	run "${CBA[@]}" list
	[[ "$output" == *"INCOMPLETE  no manifest.json"* ]]
	sleep 2
	for h in $H1 $H2 $H3; do snap_ref "$h" ref; done
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"3 snapshot"* ]]
	run "${CBA[@]}" restore --hosts "$HOSTS" "${SSHO[@]}"
	expect_status 0
	for h in $H1 $H2 $H3; do same_as_ref "$h" ref; done
	# The killed run's snapshots are cleared too, once its nodes notice.
	for i in $(seq 1 60); do
		n=0
		for h in $H1 $H2 $H3; do
			on "$h" "nodetool listsnapshots" | grep -q '^cb-' && n=1
		done
		[ "$n" = 0 ] && break
		sleep 1
	done
	[ "$n" = 0 ]
}

# ps_watch: the whole process table (the test hosts' sshd and what they
# start share it) sampled into $T/ps until ps_watch_end.
ps_watch() {
	: >"$T/ps"
	rm -f "$T/ps.stop"
	( while [ ! -e "$T/ps.stop" ]; do
		ps -eww -o pid=,ppid=,mntns=,args= && echo --
		sleep 0.02
	  done >>"$T/ps" ) 3>&- &
	PS_WATCHER=$!
}
ps_watch_end() {
	touch "$T/ps.stop"
	wait "$PS_WATCHER"
}

# argv_of_runs SAMPLES: the argv lines of SAMPLES (`ps -eo
# pid,ppid,mntns,args` tables, "--" between them) that belong to the runs
# under test, each marked "local" (this test's process tree) or "node" (in
# the mount namespace of a test host: whatever a node session started,
# orphans too).
# The rest of the machine is left out: the test S3 server's proxy holds
# the keys on its command line by design (--keys), and other suites may be
# running beside this one.
argv_of_runs() {
	local h ns=
	for h in $H1 $H2 $H3; do
		ns="$ns $(on "$h" 'readlink /proc/self/ns/mnt' | tr -dc 0-9)"
	done
	awk -v root="$BASHPID" -v ns="$ns " '
	function flush(  p, more) {
		mine[root] = 1
		do {
			more = 0
			for (p in par)
				if (!(p in mine) && (par[p] in mine)) {
					mine[p] = 1
					more = 1
				}
		} while (more)
		for (p in args)
			if (p in mine)
				print "local", args[p]
			else if (index(ns, " " mnt[p] " "))
				print "node", args[p]
		split("", par); split("", mnt); split("", args); split("", mine)
	}
	$0 == "--" { flush(); next }
	{ p = $1; par[p] = $2; mnt[p] = $3; $1 = $2 = $3 = ""
	  sub(/^ +/, ""); args[p] = $0 }
	END { flush() }' "$1"
}

@test "credentials never appear in any process's argv, all through a backup and a restore" {
	asan_light
	fresh_nodes
	cb-fanout -q -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
	    "PATH=$TOOLS:\$PATH; standin write ks1 users 100 >/dev/null"
	# sampled from before the backup until the restore is over.
	ps_watch
	# (--rate-limit: each upload lasts long enough to be seen many times)
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" \
	    --rate-limit 200 \
	    --cqlsh-user cassandra --cqlsh-password 'Pw-never-in-argv'
	local bk=$status bk_out=$output
	run "${CBA[@]}" restore --hosts "$HOSTS" "${SSHO[@]}"
	local rs=$status rs_out=$output
	ps_watch_end
	status=$bk output=$bk_out
	expect_status 0
	[[ "$output" == *"3 snapshot"* ]]
	status=$rs output=$rs_out
	expect_status 0
	for h in $H1 $H2 $H3; do [ "$(restored_count "$h")" -gt 0 ]; done
	argv_of_runs "$T/ps" >"$T/argv"
	# The sampling saw both runs, here and on the nodes.
	grep -q '^local .*cb-fanout' "$T/argv"
	grep -q '^node .*cb-s3put' "$T/argv"
	grep -q '^node .*cb-s3get' "$T/argv"
	expect_no_match -qF "$AWS_SECRET_ACCESS_KEY" "$T/argv"
	expect_no_match -qF "$AWS_ACCESS_KEY_ID" "$T/argv"
	# The driver's own command line holds what it was given (documented:
	# use the environment); nothing it starts does.
	[ -z "$(grep -F 'Pw-never-in-argv' "$T/argv" | grep -v 'cassandra-backups')" ]
}

@test "cqlsh TLS: --cqlsh-ssl, --cqlsh-certfile (and from the config file) reach the node's cqlsh, the password in no argv" {
	asan_light
	on "$H2" "rm -rf /etc/cassandra/* /var/lib/cassandra/* /tmp/cassandra_restore;
	    printf 'Pw-tls-secret\n' >/tmp/cql.secret; echo ca >/tmp/ca.pem;
	    standin mknode --version 4.1 --address $H2 --auth-user cassandra \
	        --auth-password-file /tmp/cql.secret >/dev/null;
	    : >/etc/cassandra/cqlsh-runs"
	CQ=(--cqlsh-user cassandra --cqlsh-password Pw-tls-secret)
	run "${CBA[@]}" backup --hosts "$H2" "${SSHO[@]}" "${BKO[@]}" "${CQ[@]}" \
	    --cqlsh-ssl
	expect_status 64
	[[ "$output" == *"give --cqlsh-certfile FILE"* ]]
	run "${CBA[@]}" backup --hosts "$H2" "${SSHO[@]}" "${BKO[@]}" "${CQ[@]}" \
	    --cqlsh-ssl --cqlsh-certfile ca.pem
	expect_status 64
	ps_watch
	run "${CBA[@]}" backup --hosts "$H2" "${SSHO[@]}" "${BKO[@]}" "${CQ[@]}" \
	    --cqlsh-ssl --cqlsh-certfile /tmp/ca.pem --keyspaces ks2
	local bk=$status bk_out=$output
	run "${CBA[@]}" restore --host "$H2" "${SSHO[@]}" "${CQ[@]}" \
	    --cassandra-tools-bin-dir "$TOOLS" --schema-only --cqlsh-ssl \
	    --cqlsh-certfile /tmp/ca.pem --cqlsh-validate=false
	local rs=$status rs_out=$output
	ps_watch_end
	status=$bk output=$bk_out
	expect_status 0
	[[ "$output" == *" complete"* ]]
	expect_no_match -q "schema not captured" <<<"$output"
	status=$rs output=$rs_out
	expect_status 0
	on "$H2" "cat /etc/cassandra/cqlsh-runs" >"$T/runs"
	# cb-snapshot's DESCRIBE SCHEMA, then cb-load's -f, both over TLS.
	run jq -r '.argv | select(index("--ssl")) | map(select(. == "-e" or . == "-f")) | .[]' "$T/runs"
	[ "$(printf '%s\n' "$output" | sort -u | tr '\n' ' ')" = "-e -f " ]
	run jq -r '.cqlshrc' "$T/runs"
	grep -qx 'certfile = /tmp/ca.pem' <<<"$output"
	grep -qx 'validate = false' <<<"$output"
	grep -qx 'username = cassandra' <<<"$output"
	argv_of_runs "$T/ps" >"$T/argv"
	grep -q '^node .*cb-snapshot .*--cqlsh-ssl' "$T/argv"
	grep -q '^node .*cb-load .*--no-cqlsh-validate' "$T/argv"
	[ -z "$(grep -F 'Pw-tls-secret' "$T/argv" | grep -v 'cassandra-backups')" ]
	# The same from a config file's keys.
	on "$H2" ": >/etc/cassandra/cqlsh-runs"
	printf '%s\n' "s3-bucket-name = $S3_BUCKET" "s3-base-path = $BASE" \
	    "s3-endpoint = $S3_ENDPOINT" "ssh-config = $CB_TEST_SSH_CONFIG" \
	    "cassandra-tools-bin-dir = $TOOLS" "state-dir = /tmp/cb-node-state" \
	    "cqlsh-user = cassandra" "cqlsh-password = Pw-tls-secret" \
	    "cqlsh-ssl = true" "cqlsh-certfile = /tmp/ca.pem" "keyspaces = ks2" \
	    >"$T/c.conf"
	chmod 600 "$T/c.conf"
	run cassandra-backups --config "$T/c.conf" backup --hosts "$H2"
	expect_status 0
	expect_no_match -q "schema not captured" <<<"$output"
	on "$H2" "cat /etc/cassandra/cqlsh-runs" >"$T/runs"
	run jq -r '.argv[]' "$T/runs"
	grep -qx -- --ssl <<<"$output"
	run jq -r '.cqlshrc' "$T/runs"
	grep -qx 'certfile = /tmp/ca.pem' <<<"$output"
}

@test "--use-local: backup and restore of a node on this machine" {
	asan_light
	R=$T/node
	PATH=$TOOLS:$PATH standin mknode --root "$R" --version 3.11 --data-dirs 2 \
	    --incremental-backups >/dev/null
	CASSANDRA_CONF=$R/etc/cassandra PATH=$TOOLS:$PATH nodetool snapshot -t ref >/dev/null
	LOC=(--hosts local --use-local=true --cassandra-conf-path "$R/etc/cassandra"
	    --cassandra-tools-bin-dir "$TOOLS")
	run "${CBA[@]}" backup "${LOC[@]}" --keyspaces ks1,ks2 --exclude-tables counters
	expect_status 0
	[[ "$output" == *"keyspaces: ks1,ks2"* ]]
	run "${CBA[@]}" restore "${LOC[@]}" --keyspaces ks1 --restore-dir "$T/restore"
	expect_status 0
	n=0
	while IFS= read -r f; do
		rel=${f#"$R"/var/lib/cassandra/data*/ks1/}
		tdir=${rel%%/*}
		case $tdir in counters-*) continue ;; esac
		[ "${f##*/}" = manifest.json ] && continue
		cmp "$f" "$T/restore/ks1/$tdir/${rel#*/snapshots/ref/}"
		n=$((n + 1))
	done < <(find "$R"/var/lib/cassandra/data*/ks1 -type f -path '*/snapshots/ref/*')
	[ "$n" -gt 10 ]
	[ -z "$(ls "$T/restore/ks1" | grep counters)" ]
}

# no_marker NAME: no file NAME in /tmp here or on any test host.
no_marker() {
	local h
	[ ! -e "/tmp/$1" ] || { echo "/tmp/$1 exists here" >&2; return 1; }
	for h in $H1 $H2 $H3; do
		[ ! -e "$CB_TEST_HOSTS_DIR/$h/tmp/$1" ] ||
		    { echo "/tmp/$1 exists on $h" >&2; return 1; }
	done
}

@test "every value is checked before anything runs: a bad one is exit 64 naming its option" {
	M=cb-injected-$$
	local -a cases=(
	    "--nice|1;touch /tmp/$M;:" "--nice|99" "--nice|-" "--concurrency|x"
	    "--connection-pool-size|0" "--timeout|5;touch /tmp/$M"
	    "--rate-limit|1\$(touch /tmp/$M)" "--sshport|99999"
	    "--sudo-user|x;touch /tmp/$M" "--user|a b" "--keyspaces|ks1;touch /tmp/$M"
	    "--keyspaces|ks1,,ks2" "--exclude-tables|a b" "--storage-class|X;Y"
	    "--cassandra-conf-path|etc/cassandra" "--cassandra-tools-bin-dir|bin"
	    "--cb-bin-dir|./bin" "--buffer-size|2" "--buffer-size|10G"
	    "--buffer-size|abc" $'--cqlsh-user|a\nb')
	local c opt val
	for c in "${cases[@]}"; do
		opt=${c%%|*} val=${c#*|}
		run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "$opt" "$val"
		expect_status 64
		[[ "$output" == *"$opt"* ]] || { echo "no $opt in: $output" >&2; return 1; }
	done
	run "${CBA[@]}" backup --hosts "$H1" --table 't;x' --keyspaces ks1
	expect_status 64
	[[ "$output" == *"--table"* ]]
	for c in "--s3-endpoint|ftp://x" "--s3-bucket-region|eu;x" $'--s3-base-path|a\tb' \
	    "--s3-ca-bundle|ca.pem"; do
		opt=${c%%|*} val=${c#*|}
		run cassandra-backups --s3-bucket-name b --s3-base-path p "$opt" "$val" list
		expect_status 64
		[[ "$output" == *"$opt"* ]]
	done
	run cassandra-backups --s3-bucket-name 'b;x' --s3-base-path p list
	expect_status 64
	for d in /var/lib//cassandra/data /var/lib/cassandra/./data/ /tmp/../var/lib/cassandra /; do
		run "${CBA[@]}" restore --hosts "$H1" "${SSHO[@]}" --restore-dir "$d"
		expect_status 64
		[[ "$output" == *"refusing --restore-dir"* ]]
	done
	run "${CBA[@]}" restore --hosts "$H1" --snapshot-name '../x'
	expect_status 64
	[[ "$output" == *"--snapshot-name"* ]]
	no_marker "$M"
}

@test "values with quotes, \$(), ; and spaces reach the nodes literally and are never run" {
	asan_light
	fresh_nodes
	M=cb-injected-$$
	# A conf path and a tools dir that would run code if a shell read them.
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" --connection-pool-size 1 \
	    --cassandra-conf-path "/tmp/c\$(touch /tmp/$M)\`touch /tmp/$M\`;touch /tmp/$M" \
	    --cassandra-tools-bin-dir "$TOOLS"
	[ "$status" -ne 0 ]
	[[ "$output" == *"/tmp/c\$(touch /tmp/$M)"* ]]
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" \
	    --cassandra-tools-bin-dir "/tmp/t'\"\$(touch /tmp/$M) ;touch /tmp/$M"
	[ "$status" -ne 0 ]
	# A cqlsh user is any string: carried as one argument; the backup works.
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}" --new-snapshot \
	    --cqlsh-user "u'\"\$(touch /tmp/$M);\`touch /tmp/$M\` x" \
	    --cqlsh-password "p'\$(touch /tmp/$M)"
	expect_status 0
	[[ "$output" == *"complete"* ]]
	# A restore directory is a path like any other, created as given.
	rd="/tmp/r'\$(touch /tmp/$M);\`touch /tmp/$M\` x"
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" --keyspace ks1 --restore-dir "$rd"
	expect_status 0
	[ -d "$CB_TEST_HOSTS_DIR/$H1$rd/ks1" ]
	# S3 options reach the programs as values too (here they fail, as they
	# must: no such profile or CA file).
	run "${CBA[@]}" --profile "p\$(touch /tmp/$M);x" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	[ "$status" -ne 0 ]
	run "${CBA[@]}" --s3-ca-bundle "/tmp/ca\$(touch /tmp/$M);x" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	[ "$status" -ne 0 ]
	no_marker "$M"
	# The first, failed run recorded no complete backup of 0 files.
	run "${CBA[@]}" list
	[[ "$output" != *"complete  hosts: $H1  keyspaces: all  0 files"* ]]
}

@test "exit statuses: a wrong secret is 77 before any node is touched; an unreachable host is 69" {
	asan_light
	fresh_nodes
	AWS_SECRET_ACCESS_KEY=wrong-$AWS_SECRET_ACCESS_KEY run "${CBA[@]}" backup \
	    --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 77
	[[ "$output" != *"wrong-"* ]]
	[[ "$output" != *"$H1:"* ]]
	for h in $H1 $H2 $H3; do
		run on "$h" "nodetool listsnapshots"
		[[ "$output" != *cb-* ]]
	done
	run "${CBA[@]}" backup --hosts "$H1,127.0.0.99" "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	[[ "$output" == *"127.0.0.99: ssh failed (host down or unreachable)"* ]]
}

@test "a node's first cause is reported; the run's status is the worst node's" {
	asan_light
	fresh_nodes
	on "$H2" "rm -f /etc/cassandra/cassandra.yaml"
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 1
	[[ "$output" == *"INCOMPLETE"* ]]
	# The cause, not a later cleanup message.
	grep "  $H2: " <<<"$output" | grep -q "cassandra.yaml"
	[[ "$output" == *"host $H2: failed"* ]]
}

@test "two runs on one base path: the second refuses and names the first; the first completes" {
	asan_light
	fresh_nodes
	cb-fanout -q -F "$CB_TEST_SSH_CONFIG" -H "$H1" -- \
	    sh -c "PATH=$TOOLS:\$PATH; standin write ks1 users 100 >/dev/null"
	"${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}" --rate-limit 50 \
	    >"$T/first" 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/" |
		    grep -q 'cassandra-backups.lock$' && break
		sleep 0.1
	done
	run "${CBA[@]}" backup --hosts "$H2" "${SSHO[@]}" "${BKO[@]}"
	expect_status 75
	[[ "$output" == *"another run holds"*"cassandra-backups.lock"*"pid $pid"* ]]
	rc=0
	wait $pid || rc=$?
	cat "$T/first"
	[ "$rc" = 0 ]
	# Released: a later run goes.
	run "${CBA[@]}" backup --hosts "$H2" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
}

@test "LATEST is the newest complete backup holding the hosts; a newer incomplete one is skipped, said" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	day=$(date -u +%Y%m%d)
	printf '{"format": "cassandra-backups cluster manifest", "version": 1, "name": "29991231", "base_path": "%s", "hosts": ["%s"], "keyspaces": null, "table": "", "created": "2999-12-31T00:00:00Z", "complete": false, "totals": {"files": 0, "bytes": 0, "stored_bytes": 0}, "runs": [], "nodes": [{"host": "%s", "status": "failed", "error": "x", "manifest": null}]}' \
	    "$BASE" "$H1" "$H1" | cb-s3put --endpoint "$S3_ENDPOINT" -q \
	    "s3://$S3_BUCKET/$BASE/29991231/manifest.json" - >/dev/null
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" --keyspace ks1
	expect_status 0
	[[ "$output" == *"skipping backup '29991231': it is incomplete"* ]]
	[[ "$output" == *"restoring backup '$day' (LATEST)"* ]]
	[ "$(restored_count "$H1")" -gt 0 ]
	# A host no backup holds: nothing runs.
	run "${CBA[@]}" restore --host "$H2" "${SSHO[@]}"
	expect_status 66
}

@test "warnings of a node that succeeds reach the operator and its node manifest" {
	asan_light
	fresh_nodes
	# Authentication on, no cqlsh password: cqlsh fails, and the schema
	# comes from the snapshot's schema.cql files, with warnings.
	echo secret-pw >"$T/pw"
	on "$H1" "rm -rf /etc/cassandra/* /var/lib/cassandra/*; standin mknode --version 4.1 --incremental-backups --address $H1 --auth-user cassandra --auth-password-file /dev/stdin >/dev/null" <"$T/pw"
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"$H1: cb-snapshot: warning: "*"schema.cql"* ]]
	key=$(cb-s3get --endpoint "$S3_ENDPOINT" -q --ls "s3://$S3_BUCKET/$BASE/" | cut -f4 | grep "/$H1/manifest-")
	cb-s3get --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$key" "$T/node.json"
	python3 -c '
import json, sys
w = json.load(open(sys.argv[1]))["warnings"]
assert any("schema.cql" in x for x in w), w
' "$T/node.json"
}

@test "a restore directory that resolves into a Cassandra directory is refused on the node, nothing written" {
	asan_light
	fresh_nodes
	run "${CBA[@]}" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	on "$H1" "ln -sfn /var/lib/cassandra/data /tmp/datalink"
	before=$(find "$CB_TEST_HOSTS_DIR/$H1/var-lib-cassandra/data" | wc -l)
	run "${CBA[@]}" restore --host "$H1" "${SSHO[@]}" --restore-dir /tmp/datalink/restore
	[ "$status" -ne 0 ]
	[[ "$output" == *"$H1: FAILED: refusing to restore into '/tmp/datalink/restore'"*"inside the data directory '/var/lib/cassandra/data'"* ]]
	[ "$(find "$CB_TEST_HOSTS_DIR/$H1/var-lib-cassandra/data" | wc -l)" = "$before" ]
}

@test "SSE-C from the driver: every object, manifests included, needs the key; list and restore work with it" {
	asan_light
	fresh_nodes
	local ca=$REPO/build/test-s3-ca.pem
	mkdir -p "$REPO/build"
	cp "$S3_CA_BUNDLE" "$ca.$$" && mv "$ca.$$" "$ca"
	head -c 32 /dev/urandom | base64 >"$T/key"
	TLS=(cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE"
	    --s3-endpoint "$S3_ENDPOINT_TLS" --s3-ca-bundle "$ca")
	snap_ref "$H1" ref
	run "${TLS[@]}" --s3-sse-c-key-file "$T/key" backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"complete"* ]]
	# Without the key, neither a data object nor a manifest can be read.
	keys=$(cb-s3get --endpoint "$S3_ENDPOINT_TLS" --ca-bundle "$ca" -q --ls "s3://$S3_BUCKET/$BASE/" | cut -f4)
	for k in "$(grep -m1 '\.lzo$' <<<"$keys")" "$(grep -m1 '/manifest-' <<<"$keys")" \
	    "$BASE/$(date -u +%Y%m%d)/manifest.json"; do
		run cb-s3get --endpoint "$S3_ENDPOINT_TLS" --ca-bundle "$ca" -q "s3://$S3_BUCKET/$k" "$T/o"
		[ "$status" -ne 0 ]
		CB_SSE_C_KEY=$(cat "$T/key") run cb-s3get --endpoint "$S3_ENDPOINT_TLS" --ca-bundle "$ca" -q "s3://$S3_BUCKET/$k" "$T/o"
		expect_status 0
	done
	run "${TLS[@]}" list
	[ "$status" -ne 0 ]
	run "${TLS[@]}" --s3-sse-c-key-file "$T/key" list
	expect_status 0
	[[ "$output" == *"complete  hosts: $H1"* ]]
	run "${TLS[@]}" --s3-sse-c-key-file "$T/key" restore --host "$H1" "${SSHO[@]}"
	expect_status 0
	same_as_ref "$H1" ref
	# With SSE-C the driver insists on TLS.
	run cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE" \
	    --s3-endpoint "$S3_ENDPOINT" --s3-sse-c-key-file "$T/key" list
	[ "$status" -ne 0 ]
	[[ "$output" != *"$(cat "$T/key")"* ]]
}

@test "today's manifest that cannot be read (not a 404) stops the run; nothing is overwritten" {
	asan_light
	fresh_nodes
	local ca=$REPO/build/test-s3-ca.pem day
	mkdir -p "$REPO/build"
	cp "$S3_CA_BUNDLE" "$ca.$$" && mv "$ca.$$" "$ca"
	day=$(date -u +%Y%m%d)
	# Readable only with a customer key the run does not have: S3 refuses
	# the GET with 400, which is not "absent".
	head -c 32 /dev/urandom | base64 >"$T/key"
	echo '{"precious": true}' >"$T/m.json"
	CB_SSE_C_KEY=$(cat "$T/key") cb-s3put --endpoint "$S3_ENDPOINT_TLS" --ca-bundle "$ca" -q \
	    "s3://$S3_BUCKET/$BASE/$day/manifest.json" "$T/m.json" >/dev/null
	run cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path "$BASE" \
	    --s3-endpoint "$S3_ENDPOINT_TLS" --s3-ca-bundle "$ca" \
	    backup --hosts "$H1" "${SSHO[@]}" "${BKO[@]}"
	[ "$status" -ne 0 ]
	[[ "$output" == *"cannot read 's3://$S3_BUCKET/$BASE/$day/manifest.json'; not starting a run that could overwrite it"* ]]
	run on "$H1" "nodetool listsnapshots"
	[[ "$output" != *cb-* ]]
	CB_SSE_C_KEY=$(cat "$T/key") cb-s3get --endpoint "$S3_ENDPOINT_TLS" --ca-bundle "$ca" -q \
	    "s3://$S3_BUCKET/$BASE/$day/manifest.json" "$T/after"
	cmp "$T/m.json" "$T/after"
}
