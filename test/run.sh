#!/usr/bin/env bash
# test/run.sh [--quick]: run every test and print "N passed, N failed" last.
#
# The suite runs twice: against bin/ (gcc) and against build/asan/bin
# (clang, AddressSanitizer + UBSan).  --quick runs the first pass only.
# Each pass runs the C unit tests (build/*/test/test_*) and every
# test/*.bats file.  Services the tests share (the S3 server, the ssh test
# hosts) are started once by test/services/*.sh and stopped at the end.
#
# The S3 tests talk plain http to RGW (S3_MODE=http).  The gcc pass runs
# them twice more: S3_MODE=https (RGW's TLS endpoint, the https defaults)
# and S3_MODE=aws (no endpoint at all: virtual-hosted AWS names, a region
# and TLS, through the strict proxy that enforces AWS's rules); see
# test/s3_helpers.bash.
set -u
cd "$(dirname "$0")/.." || exit 1
REPO=$(pwd)
quick=0
[ "${1:-}" = --quick ] && quick=1

passed=0 failed=0 skipped=0
export CB_TEST_STATE
CB_TEST_STATE=$(mktemp -d /tmp/cb-test.XXXXXX)
LOG=$CB_TEST_STATE/log
mkdir -p "$LOG"

services=()
stop_services() {
	local s
	for s in "${services[@]}"; do
		bash "$s" stop "$CB_TEST_STATE" >/dev/null 2>&1
	done
	rm -rf "$CB_TEST_STATE"
}
trap stop_services EXIT
trap 'exit 130' INT TERM

# count_tap NAME: read TAP on stdin, echo it, and add up the results.
count_tap() {
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line"
		case "$line" in
		"not ok"*) failed=$((failed + 1)) ;;
		"ok "*"# skip"*|"ok "*"# SKIP"*) skipped=$((skipped + 1)) ;;
		"ok "*) passed=$((passed + 1)) ;;
		esac
	done
}

for s in test/services/*.sh; do
	[ -f "$s" ] || continue
	if bash "$s" start "$CB_TEST_STATE" >"$LOG/$(basename "$s").log" 2>&1
	then
		services+=("$s")
	else
		echo "# service $s failed to start:"
		sed 's/^/#   /' "$LOG/$(basename "$s").log" | tail -20
		services+=("$s")
	fi
done

run_pass() { # run_pass NAME BIN OBJDIR
	local name=$1 bin=$2 obj=$3 t f
	echo "# pass: $name ($bin)"
	for t in "$obj"/test/test_*; do
		[ -x "$t" ] || continue
		echo "# unit: $t"
		local before=$failed rc
		timeout 600 "$t" >"$LOG/unit.out" 2>&1
		rc=$?
		count_tap <"$LOG/unit.out"
		# A crash (sanitizer abort, signal) must not pass unnoticed.
		if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
			count_tap <<<"not ok - $t exited $rc"
		fi
	done
	for f in test/*.bats; do
		[ -f "$f" ] || continue
		echo "# bats: $f"
		local before=$failed rc
		CB_BIN=$REPO/$bin timeout 1200 bats --tap "$f" >"$LOG/bats.out" 2>&1
		rc=$?
		count_tap <"$LOG/bats.out"
		if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
			count_tap <<<"not ok - $f exited $rc"
		fi
	done
}

# run_modes BIN: the S3 files again over https and as on AWS.
S3_MODE_FILES="cb-s3put cb-s3get node-pipeline cassandra-backups"
run_modes() {
	local bin=$1 mode f
	for mode in https aws; do
		for f in $S3_MODE_FILES; do
			echo "# bats (S3_MODE=$mode): test/$f.bats"
			local before=$failed rc
			S3_MODE=$mode CB_BIN=$REPO/$bin timeout 1200 \
			    bats --tap "test/$f.bats" >"$LOG/bats.out" 2>&1
			rc=$?
			count_tap <"$LOG/bats.out"
			if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
				count_tap <<<"not ok - $f ($mode) exited $rc"
			fi
		done
	done
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
run_pass gcc bin build/obj
run_modes bin
[ "$quick" = 1 ] || run_pass asan build/asan/bin build/asan

if [ "$quick" = 0 ] && [ -f test/fuzz/run.sh ]; then
	echo "# fuzz: bounded run"
	if FUZZ_SECONDS=${FUZZ_SECONDS:-30} bash test/fuzz/run.sh \
	    >"$LOG/fuzz.log" 2>&1; then
		count_tap <<<"ok - fuzz targets ran clean"
	else
		tail -30 "$LOG/fuzz.log" | sed 's/^/# /'
		count_tap <<<"not ok - fuzz targets found a crash"
	fi
fi

line="$passed passed, $failed failed"
[ "$skipped" -gt 0 ] && line="$line, $skipped skipped"
echo "$line"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
