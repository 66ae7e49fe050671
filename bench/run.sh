#!/usr/bin/env bash
# bench/run.sh [NAME ...]: run bench/bench-NAME.sh for each NAME given (or
# named in BENCH, e.g. make bench BENCH="diff node"), else every
# bench/bench-*.sh in name order (make bench).
# BENCH_DIR (default /tmp/cb-bench) holds generated data between runs; the
# programs are taken from BIN (default bin, as in the Makefile).
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
for b in "${benches[@]}"; do
	[ -f "$b" ] || continue
	source "$b" || rc=1
done
exit "$rc"
