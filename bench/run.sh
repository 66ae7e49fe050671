#!/usr/bin/env bash
# bench/run.sh [NAME ...]: run bench/bench-NAME.sh for each NAME given (or
# named in BENCH, e.g. make bench BENCH="diff node"), else every
# bench/bench-*.sh in name order (make bench):
#   diff    differential backups and a resumed run (issue 11)
#   list    cb-list over a 100,000-file snapshot, against find
#   node    a whole-node backup and restore, against aws cp and rclone
#   pack    cb-pack and cb-unpack, against lzop
#   purge   verify and purge of 30 daily differential backups (issue 12)
#   s3      cb-s3put and cb-s3get, against the aws CLI and rclone
# diff, node, purge and s3 start their own S3 server on CB_TEST_S3_PORT
# (default 7480), one after the other; diff, node and purge share the node
# that bench_node_make (bench/lib.sh) generates into BENCH_DIR.
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
