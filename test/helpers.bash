# Common setup for the bats files: load with `load helpers`.
#
# CB_BIN names the directory of programs under test (bin/ by default, the
# ASan build in the second pass).  Services started by test/run.sh leave
# their environment in $CB_TEST_STATE/NAME.env.

REPO=$(cd "$BATS_TEST_DIRNAME/.." && pwd)
CB_BIN=${CB_BIN:-$REPO/bin}
PATH=$CB_BIN:$PATH
export PATH CB_BIN REPO

# fail_with STATUS: the last `run` must have exited with STATUS.
expect_status() {
	if [ "$status" -ne "$1" ]; then
		echo "expected exit $1, got $status; output:" >&2
		echo "$output" >&2
		return 1
	fi
}
