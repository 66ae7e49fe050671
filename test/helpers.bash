# Common setup for the bats files: load with `load helpers`.
#
# CB_BIN names the directory of programs under test (bin/ by default, the
# ASan build in the second pass).  Services started by test/run.sh leave
# their environment in $CB_TEST_STATE/NAME.env.

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CB_BIN=${CB_BIN:-$REPO/bin}
PATH=$CB_BIN:$PATH
export PATH CB_BIN REPO

# expect_status STATUS: the last `run` must have exited with STATUS.
expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}

# expect_no_match GREP-ARGS...: grep must find nothing (exit 1).  A match
# fails the test and shows the matching lines; so does a grep error (exit
# 2, e.g. a missing file), which `! grep` would have taken for "absent".
# Use it instead of `! grep`: bats ignores the status of `! cmd` unless it
# is the last line of a test (test/run.sh refuses the pattern).
expect_no_match() {
	local rc=0 out
	out=$(grep "$@") || rc=$?
	[ "$rc" -eq 1 ] && return 0
	if [ "$rc" -eq 0 ]; then
		echo "expected no match for grep $*, got one" >&2
		[ -z "$out" ] || printf '%s\n' "$out" >&2
	else
		echo "grep $* failed: exit $rc" >&2
	fi
	return 1
}

# cqlsh_last CONF argv|cqlshrc: what the last stand-in cqlsh run on the node
# of CONF was given, recorded once CONF/cqlsh-runs exists
# (test/cassandra/README): its argv one word a line, or its cqlshrc's text.
cqlsh_last() {
	tail -n 1 "$1/cqlsh-runs" |
	    jq -er ".$2 | if type == \"array\" then .[] else . // \"\" end"
}

# flip_byte FILE OFFSET: FILE with the byte at OFFSET changed (all its bits
# inverted: never the byte it was).
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	[ -n "$b" ] || { echo "flip_byte: no byte $2 in $1" >&2; return 1; }
	printf "\\$(printf '%03o' $((b ^ 255)))" |
	    dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
