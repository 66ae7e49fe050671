#!/usr/bin/env bats
# cassandra-backups end to end: the config file (cassandra-backups.conf(5)),
# the hosts from a file and from the ring, and the JMX login reaching the
# nodes; stand-in nodes behind the sshd test hosts and the RGW S3 server,
# as in cassandra-backups.bats.

load helpers
bats_require_minimum_version 1.5.0

load e2e

# conf FILE [LINE...]: a config file with the S3 settings of this test,
# then LINEs.
conf() {
	local f=$1
	shift
	{
		echo "# written by $BATS_TEST_NAME"
		echo "s3-bucket-name = $S3_BUCKET"
		echo "s3-base-path = $BASE"
		echo "s3-endpoint = $S3_ENDPOINT"
		printf '%s\n' "$@"
	} >"$f"
}

# node_conf: the keys a backup or restore of these tests needs.
node_conf() {
	printf '%s\n' "ssh-config = $CB_TEST_SSH_CONFIG" \
	    "cassandra-tools-bin-dir = $TOOLS" "connection-pool-size = 3"
}

# mark NAME: an object under BASE/NAME/, which list then shows.
mark() {
	echo x >"$T/x"
	cb-s3put --endpoint "$S3_ENDPOINT" -q "s3://$S3_BUCKET/$1/x" "$T/x" >/dev/null
}

@test "config file: its values, the command line over them, a section for its command only" {
	asan_light
	mark "$BASE/a/fromA"
	mark "$BASE/b/fromB"
	conf "$T/c.conf" "s3-base-path = $BASE/a" \
	    "" "  # keys of one command" "[backup]" "backup-name = not-for-list" \
	    "[restore]" "restore-dir = relative" \
	    "[list]" "json = true" "[purge]" "keep = 1"
	chmod 644 "$T/c.conf"
	# (a malformed file in CB_CONFIG: --config comes first)
	echo "not a key" >"$T/bad.conf"
	run env CB_CONFIG="$T/bad.conf" cassandra-backups --config "$T/c.conf" list
	expect_status 0
	[[ "$output" == "["*'"name": "fromA"'* ]]
	# The command line wins, and a command's section is its own: list has
	# no --backup-name, and --restore-dir would be refused.
	run cassandra-backups --config "$T/c.conf" --s3-base-path "$BASE/b" list
	expect_status 0
	[[ "$output" == *'"name": "fromB"'* ]]
	[[ "$output" != *fromA* ]]
	run env CB_CONFIG="$T/c.conf" cassandra-backups list
	expect_status 0
	[[ "$output" == *'"name": "fromA"'* ]]
	# purge gets its keep (without one it refuses), and not list's json.
	run cassandra-backups --config "$T/c.conf" purge --dry-run
	expect_status 0
	[[ "$output" != "["* ]]
	run cassandra-backups --config "$T/c.conf" purge --dry-run --json
	expect_status 0
	[[ "$output" == *"{"* ]]
	run env CB_CONFIG="$T/bad.conf" cassandra-backups list
	expect_status 78
	run cassandra-backups --config "$T/none.conf" list
	expect_status 66
	[[ "$output" == *"config file '$T/none.conf' not found"* ]]
	run env CB_CONFIG="$T/none.conf" cassandra-backups list
	expect_status 66
}

@test "config file: one that holds a secret must be private" {
	asan_light
	mark "$BASE/mine"
	conf "$T/s.conf" "aws-access-key-id = $AWS_ACCESS_KEY_ID" \
	    "aws-secret-access-key = $AWS_SECRET_ACCESS_KEY"
	for m in 644 640 604 602; do
		chmod "$m" "$T/s.conf"
		run cassandra-backups --config "$T/s.conf" list
		expect_status 77
		[[ "$output" == *"holds aws-secret-access-key"*"chmod 600 '$T/s.conf'"* ]]
	done
	chmod 600 "$T/s.conf"
	run cassandra-backups --config "$T/s.conf" list
	expect_status 0
	[[ "$output" == "mine  "* ]]
	# The file's key is the one used.
	conf "$T/w.conf" "aws-access-key-id = $AWS_ACCESS_KEY_ID" \
	    "aws-secret-access-key = wrong$AWS_SECRET_ACCESS_KEY"
	chmod 600 "$T/w.conf"
	run cassandra-backups --config "$T/w.conf" list
	expect_status 77
	if [ "$(id -u)" = 0 ]; then
		chown 12345 "$T/s.conf"
		run cassandra-backups --config "$T/s.conf" list
		expect_status 77
		[[ "$output" == *"owned by user 12345: chown "* ]]
	fi
	# Without a secret, anyone may read it.
	conf "$T/p.conf" "cqlsh-user = cassandra"
	chmod 644 "$T/p.conf"
	run cassandra-backups --config "$T/p.conf" list
	expect_status 0
	conf "$T/q.conf" "[restore]" "cqlsh-password = pw"
	chmod 644 "$T/q.conf"
	run cassandra-backups --config "$T/q.conf" list
	expect_status 77
	[[ "$output" == *"holds cqlsh-password"* ]]
}

@test "config file: unknown keys, malformed lines, wrong sections: 78 naming the line" {
	asan_light
	f=$T/e.conf
	conf "$f" "frobnicate = 1"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 5: unknown key 'frobnicate'"* ]]
	conf "$f" "" "s3-endpoint"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 6: malformed"* ]]
	conf "$f" "--s3-endpoint = x"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 5: malformed"* ]]
	conf "$f" "[nosuch]"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 5: unknown section '[nosuch]'"* ]]
	conf "$f" "[list]" "keep = 1"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 6: 'keep' is not an option of list"* ]]
	conf "$f" "[backup]" "full = maybe"
	run cassandra-backups --config "$f" list
	expect_status 78
	[[ "$output" == *"$f, line 6: 'full' takes true or false, not 'maybe'"* ]]
	conf "$f" "config = /etc/x.conf"
	run cassandra-backups --config "$f" list
	expect_status 78
	# A value goes through the checks of its option.
	conf "$f" "[backup]" "hosts = $H1" "sshport = 22x"
	run cassandra-backups --config "$f" backup
	expect_status 64
	[[ "$output" == *"invalid --sshport '22x'"* ]]
	conf "$f" "[backup]" "hosts = $H1" "hosts-file = $T/h"
	run cassandra-backups --config "$f" backup
	expect_status 78
	[[ "$output" == *"--hosts and --hosts-file go alone"* ]]
}

@test "the example config file is accepted by every command, and is the man page's" {
	asan_light
	local ex=$REPO/examples/cassandra-backups.conf c
	for c in backup restore verify purge list; do
		run cassandra-backups --config "$ex" "$c" --help
		expect_status 0
		[[ "$output" == "usage: cassandra-backups [GLOBAL] $c"* ]]
	done
	# Every line of it is in the page's EXAMPLES (cassandra-backups.conf(5)).
	run grep -Fxvf "$REPO/man/cassandra-backups.conf.5" "$ex"
	[ -z "$(printf '%s' "$output" | tr -d '\n')" ]
}

@test "config file: hosts-file, and a value with \$(...), quotes and ; reaches the node as it is" {
	asan_light
	fresh_nodes
	printf '# the nodes\n\n  %s  \n%s   # the second\n' "$H1" "$H2" >"$T/hosts"
	conf "$T/c.conf" "$(node_conf)" "state-dir = /tmp/cb-node-state" \
	    "hosts-file = $T/hosts" "keyspaces = ks2"
	lit="/tmp/cb \$(touch /tmp/cb-pwned); echo 'q' \"dq\" \`touch /tmp/cb-pwned2\` ;x"
	printf '[restore]\nrestore-dir = %s\n' "$lit" >>"$T/c.conf"
	run cassandra-backups --config "$T/c.conf" backup
	expect_status 0
	run cassandra-backups --config "$T/c.conf" list
	expect_status 0
	[[ "$output" == *" complete  hosts: $H1,$H2  keyspaces: ks2 "* ]]
	# --host on the command line over the file's hosts-file.
	run cassandra-backups --config "$T/c.conf" restore --host "$H1"
	expect_status 0
	[ -d "$CB_TEST_HOSTS_DIR/$H1$lit/ks2" ]
	n=$(find "$CB_TEST_HOSTS_DIR/$H1$lit/ks2" -type f | wc -l)
	[ "$n" -gt 0 ]
	[ ! -e "$CB_TEST_HOSTS_DIR/$H2/tmp/cb " ]
	# Never evaluated: here or on the node.
	run find "$CB_TEST_HOSTS_DIR/$H1/tmp" /tmp -maxdepth 1 -name 'cb-pwned*'
	expect_status 0
	[ -z "$output" ]
}

@test "--hosts-file: one host a line; empty, two hosts a line, missing, with --hosts" {
	asan_light
	printf '# none\n\n' >"$T/empty"
	printf '%s %s\n' "$H1" "$H2" >"$T/two"
	printf '%s\n' "$H1" >"$T/one"
	run "${CBA[@]}" backup --hosts-file "$T/empty"
	expect_status 64
	[[ "$output" == *"--hosts-file '$T/empty' names no host"* ]]
	run "${CBA[@]}" backup --hosts-file "$T/two"
	expect_status 64
	[[ "$output" == *"line 1: one host a line"* ]]
	run "${CBA[@]}" backup --hosts-file "$T/missing"
	expect_status 66
	run "${CBA[@]}" backup --hosts "$H1" --hosts-file "$T/one"
	expect_status 64
	[[ "$output" == *"--hosts and --hosts-file go alone"* ]]
	printf '%s\n' '-oProxyCommand=x' >"$T/evil"
	run "${CBA[@]}" backup --hosts-file "$T/evil"
	expect_status 64
	[[ "$output" == *"not a host name"* ]]
	# The command line's host source replaces the file's: the empty
	# hosts-file is not read (the next check, of --state-dir, fails).
	conf "$T/c.conf" "hosts-file = $T/empty"
	run cassandra-backups --config "$T/c.conf" backup --hosts "$H1" --state-dir relative
	expect_status 64
	[[ "$output" == *"invalid --state-dir 'relative'"* ]]
	run cassandra-backups --config "$T/c.conf" verify --hosts-file "$T/one"
	expect_status 64
}

@test "--hosts-from-ring: the seed's ring, of one datacenter, down nodes with a warning" {
	asan_light
	fresh_nodes
	on "$H1" "standin peers $H2,dc1,UN $H3,dc2,UN 127.0.0.98,dc1,UJ 127.0.0.99,dc3,DN"
	run "${CBA[@]}" backup --hosts-from-ring "$H1" --datacenter dc1 \
	    --keyspaces ks2 "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"leaving out node 127.0.0.98 (datacenter dc1): it is UJ"* ]]
	[[ "$output" == *"hosts $H1,$H2"* ]]
	run "${CBA[@]}" list
	[[ "$output" == *" complete  hosts: $H1,$H2  "* ]]
	# Every datacenter; the down node is in the run, and fails it.
	run "${CBA[@]}" -v backup --hosts-from-ring "$H1" --state-dir relative \
	    "${SSHO[@]}" --cassandra-tools-bin-dir "$TOOLS"
	expect_status 64
	[[ "$output" == *"node 127.0.0.99 (datacenter dc3) is down"* ]]
	[[ "$output" == *"hosts from the ring of $H1: $H1,$H2,$H3,127.0.0.99"* ]]
	run "${CBA[@]}" backup --hosts-from-ring "$H1" --datacenter dc3 \
	    --keyspaces ks2 "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	[[ "$output" == *"node 127.0.0.99 (datacenter dc3) is down"* ]]
	[[ "$output" == *"127.0.0.99: ssh failed"* ]]
	run "${CBA[@]}" backup --hosts-from-ring "$H1" --datacenter dc9 "${SSHO[@]}" "${BKO[@]}"
	expect_status 64
	[[ "$output" == *"no node of datacenter 'dc9' in the ring of '$H1'"* ]]
	run "${CBA[@]}" backup --hosts "$H1" --hosts-from-ring "$H1" "${SSHO[@]}"
	expect_status 64
	run "${CBA[@]}" backup --hosts "$H1" --datacenter dc1 "${SSHO[@]}"
	expect_status 64
	[[ "$output" == *"--datacenter goes with --hosts-from-ring"* ]]
	run "${CBA[@]}" backup --hosts-from-ring 127.0.0.99 "${SSHO[@]}" "${BKO[@]}"
	expect_status 69
	[[ "$output" == *"cannot read the ring from '127.0.0.99'"* ]]
}

@test "JMX login: --jmx-user and --jmx-password-file reach cb-snapshot and cb-load on the node" {
	asan_light
	on "$H2" "rm -rf /etc/cassandra/* /var/lib/cassandra/* /tmp/cassandra_restore;
	    printf 'jmxpw\n' >/tmp/jmx.secret;
	    printf 'monitor jmxpw\n' >/tmp/jmx.pw; chmod 600 /tmp/jmx.pw;
	    standin mknode --version 4.1 --address $H2 --jmx-user monitor \
	        --jmx-password-file /tmp/jmx.secret >/dev/null"
	# Without the login the node's nodetool refuses (77).
	run "${CBA[@]}" backup --hosts-from-ring "$H2" "${SSHO[@]}" "${BKO[@]}"
	expect_status 77
	[[ "$output" == *"Authentication failed"* ]]
	run "${CBA[@]}" backup --hosts "$H2" --jmx-user monitor "${SSHO[@]}" "${BKO[@]}"
	expect_status 64
	[[ "$output" == *"--jmx-user and --jmx-password-file go together"* ]]
	# From the config file: the ring, the snapshot, then cb-load import.
	conf "$T/c.conf" "$(node_conf)" "jmx-user = monitor" \
	    "jmx-password-file = /tmp/jmx.pw" "keyspaces = ks2"
	run cassandra-backups --config "$T/c.conf" backup --hosts-from-ring "$H2" \
	    --state-dir /tmp/cb-node-state
	expect_status 0
	[[ "$output" == *" complete "* ]]
	run "${CBA[@]}" restore --host "$H2" --keyspaces ks2 --load import \
	    --jmx-user monitor --jmx-password-file /tmp/jmx.pw "${SSHO[@]}" \
	    --cassandra-tools-bin-dir "$TOOLS"
	expect_status 0
	[[ "$output" == *"$H2: ks2.t1: loaded, 2 sstables"* ]]
	[[ "$output" == *"--load import: 1 tables loaded; complete"* ]]
}
