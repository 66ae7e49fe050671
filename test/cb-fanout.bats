#!/usr/bin/env bats
# cb-fanout: local jobs, then real sshd test hosts (test/services/hosts.sh).

load helpers
bats_require_minimum_version 1.5.0

# Under test/run.sh (CB_TEST_STATE set) the hosts are its own, and if they
# did not start the ssh tests fail, they do not skip.  Run by hand, the
# file starts its own as root, and fails the same way if they do not
# start; without root the ssh tests skip.
setup_file() {
	export FO_STATE=
	[ -z "${CB_TEST_STATE:-}" ] || return 0
	[ "$(id -u)" = 0 ] || return 0
	FO_STATE=$(mktemp -d /tmp/cb-fanout-bats.XXXXXX)
	# (no hosts.env makes the ssh tests fail in need_hosts, showing the log)
	bash "$REPO/test/services/hosts.sh" start "$FO_STATE" \
	    >"$FO_STATE/hosts.log" 2>&1 || :
}

teardown_file() {
	if [ -n "${FO_STATE:-}" ]; then
		bash "$REPO/test/services/hosts.sh" stop "$FO_STATE" >/dev/null 2>&1
		rm -rf "$FO_STATE"
	fi
}

setup() {
	T=$BATS_TEST_TMPDIR
}

need_hosts() {
	local st=${FO_STATE:-${CB_TEST_STATE:-}}
	[ -n "$st" ] || skip "no ssh test hosts (needs root, sshd, unshare)"
	if [ ! -f "$st/hosts.env" ]; then
		echo "the ssh test hosts did not start (no $st/hosts.env)" >&2
		[ ! -f "$st/hosts.log" ] || tail -20 "$st/hosts.log" >&2
		return 1
	fi
	. "$st/hosts.env"
}

@test "cb-fanout --help prints usage on stdout and exits 0" {
	run cb-fanout --help
	expect_status 0
	[[ "$output" == usage:\ cb-fanout* ]]
	run cb-fanout -V
	expect_status 0
	[[ "$output" == "cb-fanout "* ]]
}

@test "cb-fanout usage errors exit 64" {
	run cb-fanout --local -H a
	expect_status 64
	[[ "$output" == *"no command given"* ]]
	run cb-fanout --local true
	expect_status 64
	[[ "$output" == *"no hosts given"* ]]
	run cb-fanout -j 0 --local -H a true
	expect_status 64
	run cb-fanout -H '-oProxyCommand=x' true
	expect_status 64
	[[ "$output" == *"invalid host name '-oProxyCommand=x'"* ]]
	run cb-fanout -H 'a;b' true
	expect_status 64
	run cb-fanout --bogus -H a true
	expect_status 64
}

@test "cb-fanout prefixes each line with its host, stdout and stderr apart" {
	run --separate-stderr cb-fanout --local -H a,b,c -- sh -c \
	    'echo out {host}; echo err $CB_FANOUT_HOST >&2'
	expect_status 0
	[ "$(printf '%s\n' "$output" | sort)" = "$(printf 'a: out a\nb: out b\nc: out c')" ]
	[ "$(printf '%s\n' "$stderr" | sort)" = "$(printf 'a: err a\nb: err b\nc: err c')" ]
}

@test "cb-fanout never interleaves lines, even long ones" {
	cb-fanout --local -j 4 -H a,b,c,d -- sh -c \
	    'l=$(head -c 30000 /dev/zero | tr "\0" "{host}");
	     i=0; while [ $i -lt 200 ]; do echo "$l"; i=$((i+1)); done' >"$T/out"
	[ "$(wc -l <"$T/out")" -eq 800 ]
	# Every line is one host's line whole: only 4 distinct lines.
	for h in a b c d; do
		printf '%s: %s\n' $h "$(head -c 30000 /dev/zero | tr '\0' $h)"
	done >"$T/want"
	sort -u "$T/out" | cmp - "$T/want"
}

@test "cb-fanout ends a last line without newline" {
	run cb-fanout --local -H a -- printf partial
	expect_status 0
	[ "$output" = "a: partial" ]
}

@test "cb-fanout runs at most -j hosts at a time" {
	mkdir "$T/run"
	cb-fanout --local -j 2 -H a,b,c,d,e,f -- sh -c \
	    "touch $T/run/{host}; ls $T/run | wc -l >>$T/seen; sleep 0.3; rm $T/run/{host}"
	[ "$(sort -n "$T/seen" | tail -1)" -le 2 ]
	[ "$(wc -l <"$T/seen")" -eq 6 ]
	: >"$T/seen"
	cb-fanout --local -j 6 -H a,b,c,d,e,f -- sh -c \
	    "touch $T/run/{host}; sleep 0.5; ls $T/run | wc -l >>$T/seen; sleep 0.3"
	[ "$(sort -n "$T/seen" | tail -1)" -eq 6 ]
}

# A word no shell may parse: every metacharacter, quotes and a newline.
odd_word() {
	printf '%s' "a;b \$(touch $1) \`touch $1\` \"dq\" 'sq' & | > <"
	printf '\n%s' 'second line; exit 7 \'
}

# The words the command got, NUL-ended and in base64 (one output line).
ARGS_B64='printf "%s\0" "$@" | base64 -w0; echo'

@test "cb-fanout --local runs the words as an argv, no shell between" {
	w=$(odd_word "$T/X")
	run cb-fanout --local -H a,b -- sh -c "$ARGS_B64" sh "$w" '' \
	    'two  spaces' 'on-{host}' -n
	expect_status 0
	for h in a b; do
		printf '%s\0' "$w" '' 'two  spaces' "on-$h" -n | base64 -w0 >"$T/want"
		printf '%s\n' "$output" | sed -n "s/^$h: //p" | tr -d '\n' >"$T/got"
		cmp "$T/want" "$T/got"
	done
	[ ! -e "$T/X" ]
	# The first word is the program itself, found in PATH.
	run cb-fanout --local -H a -- printf '%s|' "$w"
	expect_status 0
	[ "$output" = "$(printf '%s\n' "$w|" | sed 's/^/a: /')" ]
	[ ! -e "$T/X" ]
}

@test "cb-fanout -s gives the same stdin to every host" {
	head -c 1048576 /dev/urandom >"$T/in"
	want=$(sha256sum <"$T/in" | cut -d' ' -f1)
	run cb-fanout -s --local -H a,b,c -- sh -c 'sha256sum | cut -d" " -f1' <"$T/in"
	expect_status 0
	[ "$(printf '%s\n' "$output" | sort)" = \
	    "$(printf 'a: %s\nb: %s\nc: %s' "$want" "$want" "$want")" ]
}

@test "cb-fanout without -s gives /dev/null as stdin" {
	run cb-fanout --local -H a -- sh -c 'cat; echo end' <<<"not this"
	expect_status 0
	[ "$output" = "a: end" ]
}

@test "cb-fanout -s: a command that does not read stdin is fine" {
	head -c 300000 /dev/zero >"$T/in"
	run cb-fanout -s --local -H a,b -- true <"$T/in"
	expect_status 0
}

@test "cb-fanout exits with the worst status and names each failure" {
	run cb-fanout --local -H 1,2,5,0 -- sh -c 'exit {host}'
	expect_status 5
	[[ "$output" == *"host '1' failed: exit 1"* ]]
	[[ "$output" == *"host '5' failed: exit 5"* ]]
	[[ "$output" == *"3 of 4 hosts failed"* ]]
	[[ "$output" != *"host '0'"* ]]
}

@test "cb-fanout: a host killed by a signal counts as 128+signal" {
	run cb-fanout --local -H a,b -- sh -c 'case {host} in a) kill -9 $$;; esac; exit 3'
	expect_status 137
	[[ "$output" == *"host 'a' failed: killed by signal 9"* ]]
	[[ "$output" == *"host 'b' failed: exit 3"* ]]
}

@test "cb-fanout: 127 when the command cannot be found" {
	CB_FANOUT_SSH=/nonexistent/ssh run -127 cb-fanout -H a true
	expect_status 127
	[[ "$output" == *"host 'a' failed: cannot run '/nonexistent/ssh': No such file or directory"* ]]
	run -127 cb-fanout --local -H a -- no-such-command-here
	expect_status 127
}

@test "cb-fanout: 126 when the command cannot be executed" {
	printf 'not a program\n' >"$T/noexec"
	chmod 644 "$T/noexec"
	CB_FANOUT_SSH=$T/noexec run cb-fanout -H a true
	expect_status 126
	[[ "$output" == *"cannot run '$T/noexec': Permission denied"* ]]
}

@test "cb-fanout -t kills a host that takes too long" {
	run cb-fanout --local -t 1 -H slow,fast -- sh -c \
	    'case {host} in slow) sleep 30;; esac; echo done'
	expect_status 143
	[[ "$output" == *"fast: done"* ]]
	[[ "$output" == *"host 'slow' failed: timed out after 1 s"* ]]
	# A command that ignores SIGTERM is killed 5 s later.
	run cb-fanout --local -t 1 -H stubborn -- sh -c "trap '' TERM; sleep 30"
	expect_status 137
	[[ "$output" == *"timed out after 1 s (killed by signal 9)"* ]]
}

@test "cb-fanout -d keeps output and status per host" {
	run --separate-stderr cb-fanout --local -d "$T/o" -H a,b -- sh -c \
	    'echo out; echo err >&2; exit {host}' 2>/dev/null
	[ "$status" -ne 0 ]
	[ "$output" = "" ]
	[ "$(cat "$T/o/a.out")" = out ]
	[ "$(cat "$T/o/a.err")" = "$(printf 'err\nsh: 1: exit: Illegal number: a')" ]
	[ "$(cat "$T/o/a.status")" = 2 ]
	[[ "$stderr" == *"a: err"* ]]
	run --separate-stderr cb-fanout -q --local -d "$T/q" -H a -- sh -c 'echo e >&2'
	expect_status 0
	[ "$stderr" = "" ]
	[ "$(cat "$T/q/a.err")" = e ]
	[ "$(cat "$T/q/a.status")" = 0 ]
}

@test "cb-fanout exits 1 when it cannot set up its output" {
	run cb-fanout --local -d /proc/no/such/dir -H a true
	expect_status 1
	[[ "$output" == *"cannot create '/proc/no/such/dir'"* ]]
}

@test "cb-fanout passes a SIGTERM on to the hosts and exits 143" {
	cb-fanout --local -H a,b -- sleep 30 &
	pid=$!
	sleep 0.5
	kill -TERM $pid
	rc=0
	wait $pid || rc=$?
	[ "$rc" -eq 143 ]
	run pgrep -f "sleep 30$"
	[ "$status" -ne 0 ] || ! ps -o ppid= -p $output | grep -qw $pid
}

@test "cb-fanout over ssh: each test host sees its own /var/lib/cassandra" {
	need_hosts
	for ip in $CB_TEST_HOSTS; do
		echo "$ip" >"$CB_TEST_HOSTS_DIR/$ip/var-lib-cassandra/whoami"
	done
	run cb-fanout -F "$CB_TEST_SSH_CONFIG" -H "${CB_TEST_HOSTS// /,}" -- \
	    cat /var/lib/cassandra/whoami
	expect_status 0
	for ip in $CB_TEST_HOSTS; do
		[[ "$output" == *"$ip: $ip"* ]]
	done
}

@test "cb-fanout over ssh with -l, -p, -i and -o instead of a config" {
	need_hosts
	set -- $CB_TEST_HOSTS
	run cb-fanout -l root -p "$CB_TEST_SSH_PORT" -i "$CB_TEST_SSH_KEY" \
	    -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	    -o LogLevel=ERROR -H "$1" -- sh -c 'echo hello from {host}; exit 4'
	expect_status 4
	[[ "$output" == *"$1: hello from $1"* ]]
}

@test "cb-fanout over ssh: a host that is down fails alone with 255" {
	need_hosts
	set -- $CB_TEST_HOSTS
	run cb-fanout -F "$CB_TEST_SSH_CONFIG" -o ConnectTimeout=5 \
	    -H "$1,127.0.0.99" -- echo up
	expect_status 255
	[[ "$output" == *"$1: up"* ]]
	[[ "$output" == *"host '127.0.0.99' failed: exit 255 (ssh could not connect"* ]]
	[[ "$output" == *"1 of 2 hosts failed"* ]]
}

@test "cb-fanout over ssh: secrets go through stdin, never in any argv" {
	need_hosts
	secret=S3cr3t-$RANDOM$RANDOM
	printf '%s\n' "$secret" >"$T/secret"
	# On each node: read the secret, snapshot every process's argv while
	# the session is alive, and look for it with shell builtins only.
	cb-fanout -s -F "$CB_TEST_SSH_CONFIG" -H "${CB_TEST_HOSTS// /,}" -- \
	    sh -c 'read -r s; ps -eo args >/tmp/cb-fo-ps.$$; n=0;
	     while IFS= read -r l; do case $l in *"$s"*) n=$((n+1));; esac;
	     done </tmp/cb-fo-ps.$$; rm -f /tmp/cb-fo-ps.$$;
	     echo "seen $n len ${#s}"; sleep 1' <"$T/secret" >"$T/out" 2>&1 &
	sleep 0.7
	ps -eo args >"$T/localps"
	wait $!
	cat "$T/out"
	expect_no_match -qF "$secret" "$T/localps"
	expect_no_match -qF "$secret" "$T/out"
	for ip in $CB_TEST_HOSTS; do
		grep -qx "$ip: seen 0 len ${#secret}" "$T/out"
	done
}

@test "cb-fanout over ssh: each word reaches the remote program as it is" {
	need_hosts
	x=/tmp/cb-fo-injected.$$
	w=$(odd_word "$x")
	run cb-fanout -F "$CB_TEST_SSH_CONFIG" -H "${CB_TEST_HOSTS// /,}" -- \
	    sh -c "$ARGS_B64" sh "$w" '' 'two  spaces' "it's" 'on-{host}' -n
	expect_status 0
	for ip in $CB_TEST_HOSTS; do
		printf '%s\0' "$w" '' 'two  spaces' "it's" "on-$ip" -n |
		    base64 -w0 >"$T/want"
		printf '%s\n' "$output" | sed -n "s/^$ip: //p" | tr -d '\n' >"$T/got"
		cmp "$T/want" "$T/got"
		[ ! -e "$CB_TEST_HOSTS_DIR/$ip/tmp/${x#/tmp/}" ]
	done
	[ ! -e "$x" ]
}
