#!/usr/bin/env bash
# bench/run.sh: run every bench/bench-*.sh in name order (make bench).
# BENCH_DIR (default /tmp/cb-bench) holds generated data between runs.
set -u
cd "$(dirname "$0")/.." || exit 1
export REPO=$PWD BENCH_DIR=${BENCH_DIR:-/tmp/cb-bench}
export PATH=$REPO/bin:$PATH
mkdir -p "$BENCH_DIR"
source bench/lib.sh
rc=0
for b in bench/bench-*.sh; do
	[ -f "$b" ] || continue
	source "$b" || rc=1
done
exit "$rc"
