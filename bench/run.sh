#!/usr/bin/env bash
# bench/run.sh [NAME ...]: run bench/bench-NAME.sh for each NAME given (or
# named in BENCH, e.g. make bench BENCH="diff node"), else every
# bench/bench-*.sh in name order (make bench):
#   diff    differential backups and a resumed run (issue 11)
#   list    cb-list over a 100,000-file snapshot, against find
#   listpar one large file among a node's small ones in list mode, backup
#           and restore, against each alone (issue 15)
#   node    a whole-node backup and restore, against aws cp and rclone
#   pack    cb-pack and cb-unpack, against lzop
#   purge   verify and purge of 30 daily differential backups (issue 12)
#   s3      cb-s3put and cb-s3get, against the aws CLI and rclone
#   scale   100,000 files, requests and their cost, RSS from 1 to 10 GiB
# diff, listpar, node, purge, s3 and scale start their own S3 server on CB_TEST_S3_PORT
# (default 7480), one after the other; diff, node and purge share the node
# that bench_node_make (bench/lib.sh) generates into BENCH_DIR.
# BENCH_DIR (default /tmp/cb-bench) holds generated data between runs; the
# programs are taken from BIN (default bin, as in the Makefile).
#
# Bounded: each bench runs in a shell of its own under timeout(1),
# BENCH_TIMEOUT seconds (default 600), and all of them in BENCH_TOTAL
# seconds (default 840): a bench gets what is left, and none starts with
# less than 30 s left (it is reported as skipped).  Every step in a bench
# has its own timeout (BENCH_STEP_TIMEOUT, bench/lib.sh).  A bench that
# timed out is reported with the state of the S3 server it left, which is
# then stopped.  The machine's load is printed before and after each.
set -u
cd "$(dirname "$0")/.." || exit 1
export REPO=$PWD BENCH_DIR=${BENCH_DIR:-/tmp/cb-bench}
bin=${BIN:-bin}
case $bin in /*) ;; *) bin=$REPO/$bin ;; esac
export PATH=$bin:$PATH
mkdir -p "$BENCH_DIR"
source bench/lib.sh
# shellcheck disable=SC2086
[ $# -gt 0 ] || set -- ${BENCH:-}
benches=()
for n in "$@"; do
	[ -f "bench/bench-$n.sh" ] ||
	    { echo "bench: no bench/bench-$n.sh" >&2; exit 64; }
	benches+=("bench/bench-$n.sh")
done
[ $# -gt 0 ] || benches=(bench/bench-*.sh)
rc=0
total=${BENCH_TOTAL:-840} t0=$SECONDS
for b in "${benches[@]}"; do
	[ -f "$b" ] || continue
	left=$((total - (SECONDS - t0)))
	if [ "$left" -lt 30 ]; then
		echo "bench: ${b##*/} skipped: ${left} s left of BENCH_TOTAL=$total" >&2
		rc=1
		continue
	fi
	t=${BENCH_TIMEOUT:-600}
	[ "$t" -le "$left" ] || t=$left
	printf '\n#### %s (timeout %d s); before: %s\n' "${b##*/}" "$t" \
	    "$(bench_machine)"
	s=$SECONDS
	timeout -k 15 "$t" bash -c 'source bench/lib.sh && source "$1"' \
	    bench "$b"
	brc=$?
	if [ "$brc" -eq 124 ] || [ "$brc" -eq 137 ]; then
		echo "bench: ${b##*/} timed out after $t s" >&2
		rc=1
	elif [ "$brc" -ne 0 ]; then
		rc=1
	fi
	if [ -s "$BENCH_DIR/s3-running" ]; then
		d=$(cat "$BENCH_DIR/s3-running")
		echo "bench: ${b##*/} left its S3 server running: $(bench_s3_state "$d"); stopping it" >&2
		bench_s3_stop "$d"
		rm -rf "$d"
	fi
	printf '#### %s: %d s, exit %d; after: %s\n' "${b##*/}" \
	    $((SECONDS - s)) "$brc" "$(bench_machine)"
done
exit "$rc"
