#!/usr/bin/env bash
# test/run.sh [--quick]: run every test and print "N passed, N failed" last.
#
# The suite runs twice: against bin/ (gcc) and against build/asan/bin
# (clang, AddressSanitizer + UBSan).  --quick runs the first pass only.
# Each pass runs the C unit tests (build/*/test/test_*) and every
# test/*.bats file.  Services the tests share (the S3 server, the ssh test
# hosts, a real Cassandra node) are started once by test/services/*.sh, in
# name order, and stopped at the end; one that fails to start is a "not ok"
# line, and so is each test needing it.  The order does not matter:
# cassandra.sh runs test hosts of its own (127.0.0.12.., ssh port 2422),
# apart from hosts.sh's stand-in nodes on 127.0.0.2-4.
#
# In the gcc pass the real three-node cluster's file and the long
# stand-in end-to-end files run in the background beside the others, the
# latter on test hosts of their own (see BG_FILES and LANE_FILES below).
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
	[ ! -f "$CB_TEST_STATE/lane/hosts.env" ] ||
	    CB_TEST_SSH_PORT=2242 bash test/services/hosts.sh stop "$CB_TEST_STATE/lane" >/dev/null 2>&1
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

# Bats runs a test under set -e, which ignores the status of `! cmd`: such
# a line checks nothing unless it is the test's last.  Refuse it; use
# expect_no_match (test/helpers.bash), or run and test $status.
while IFS=: read -r f n _; do
	count_tap <<<"not ok - $f:$n uses '! cmd', which bats ignores unless it is the last line"
done < <(grep -nHE '^[[:space:]]*! ' test/*.bats)

# A service that does not start is a failure, not a run with its tests
# skipped: the bats files fail their tests when CB_TEST_STATE lacks the
# service's NAME.env.
for s in test/services/*.sh; do
	[ -f "$s" ] || continue
	services+=("$s")
	t0=$SECONDS
	bash "$s" start "$CB_TEST_STATE" >"$LOG/$(basename "$s").log" 2>&1 &&
	    echo "# took $((SECONDS - t0)) s: starting $s" && continue
	sed 's/^/#   /' "$LOG/$(basename "$s").log" | tail -20
	count_tap <<<"not ok - service $s failed to start"
done

# Two lanes run in the background in the gcc pass, beside the other files,
# and their results are counted at the end of the pass:
# - the file of the real three-node cluster, which starts a cluster of its
#   own (127.0.0.32-34, ssh 2432, JMX 7800-8000) and shares only the S3
#   server (most of its time is three JVMs starting and stopping);
# - the long end-to-end files of the stand-in nodes, on ssh test hosts of
#   their own (127.0.0.42-44, port 2242; LANE_STATE holds their hosts.env
#   and a copy of s3.env), one after the other.
# In the sanitizer pass they run in line with the rest.
BG_FILES="test/cassandra-real-cluster.bats"
LANE_FILES="test/differential.bats test/purge-verify.bats test/ansible.bats"
LANE_STATE=$CB_TEST_STATE/lane
bg_pids=()
bg_run() { # bg_run BIN STATE FILE...: the files one after the other
	local bin=$1 st=$2 f b
	shift 2
	for f in "$@"; do
		[ -f "$f" ] || continue
		b=$LOG/bg.$(basename "$f")
		t0=$SECONDS
		CB_TEST_STATE=$st CB_BIN=$REPO/$bin timeout 1200 bats --tap "$f" >"$b.out" 2>&1
		echo $? >"$b.rc"
		echo $((SECONDS - t0)) >"$b.secs"
	done
}
bg_start() { # bg_start BIN
	echo "# bats (background): $BG_FILES"
	bg_run "$1" "$CB_TEST_STATE" $BG_FILES &
	bg_pids+=($!)
	mkdir -p "$LANE_STATE"
	cp "$CB_TEST_STATE/s3.env" "$LANE_STATE/" 2>/dev/null
	# (a lane without its hosts fails its tests, as for any service)
	CB_TEST_FIRST_IP=42 CB_TEST_SSH_PORT=2242 bash test/services/hosts.sh \
	    start "$LANE_STATE" >"$LOG/lane-hosts.log" 2>&1 ||
	    sed 's/^/#   /' "$LOG/lane-hosts.log" | tail -20
	echo "# bats (background, hosts 127.0.0.42-44): $LANE_FILES"
	bg_run "$1" "$LANE_STATE" $LANE_FILES &
	bg_pids+=($!)
}
bg_collect() { # bg_collect NAME
	local f b before
	for p in "${bg_pids[@]}"; do wait "$p"; done
	bg_pids=()
	CB_TEST_SSH_PORT=2242 bash test/services/hosts.sh stop "$LANE_STATE" >/dev/null 2>&1
	for f in $BG_FILES $LANE_FILES; do
		b=$LOG/bg.$(basename "$f")
		[ -f "$b.rc" ] || continue
		before=$failed
		count_tap <"$b.out"
		echo "# took $(cat "$b.secs") s: $f ($1, in the background)"
		if [ "$(cat "$b.rc")" -ne 0 ] && [ "$failed" -eq "$before" ]; then
			count_tap <<<"not ok - $f exited $(cat "$b.rc")"
		fi
		rm -f "$b.rc" "$b.out" "$b.secs"
	done
}

run_pass() { # run_pass NAME BIN OBJDIR [BACKGROUND]
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
	[ -z "${4:-}" ] || bg_start "$bin"
	for f in test/*.bats; do
		[ -f "$f" ] || continue
		if [ -n "${4:-}" ]; then
			case " $BG_FILES $LANE_FILES " in *" $f "*) continue ;; esac
		fi
		echo "# bats: $f"
		local before=$failed rc t0=$SECONDS
		CB_BIN=$REPO/$bin timeout 1200 bats --tap "$f" >"$LOG/bats.out" 2>&1
		rc=$?
		count_tap <"$LOG/bats.out"
		echo "# took $((SECONDS - t0)) s: $f ($name)"
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
			local t0=$SECONDS
			S3_MODE=$mode CB_BIN=$REPO/$bin timeout 1200 \
			    bats --tap "test/$f.bats" >"$LOG/bats.out" 2>&1
			rc=$?
			count_tap <"$LOG/bats.out"
			echo "# took $((SECONDS - t0)) s: test/$f.bats (S3_MODE=$mode)"
			if [ "$rc" -ne 0 ] && [ "$failed" -eq "$before" ]; then
				count_tap <<<"not ok - $f ($mode) exited $rc"
			fi
		done
	done
}

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
run_pass gcc bin build/obj background
bg_collect gcc
run_modes bin
[ "$quick" = 1 ] || run_pass asan build/asan/bin build/asan

if [ "$quick" = 0 ] && [ -f test/fuzz/run.sh ]; then
	echo "# fuzz: bounded run"
	if FUZZ_SECONDS=${FUZZ_SECONDS:-20} bash test/fuzz/run.sh \
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
