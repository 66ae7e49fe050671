#!/usr/bin/env bash
# test/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# and run each for a bounded time (make fuzz).
#
#   FUZZ_SECONDS   seconds for the decoder target (default 60); the
#                  pack/unpack round trip gets a third of it
#
# The seed corpus in test/fuzz/corpus/ is copied to a scratch directory,
# so runs never change the repository.  Exits non-zero if a target finds a
# crash, a leak or a timeout (the reproducer is kept in build/fuzz/).
set -eu
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-60}
OUT=build/fuzz
mkdir -p "$OUT"
CFLAGS="-std=c11 -D_GNU_SOURCE -g -O1 -pthread -Ilib
    $(pkg-config --cflags lzo2) -fsanitize=fuzzer,address,undefined
    -fno-sanitize-recover=undefined"
LIBS="$(pkg-config --libs lzo2) -pthread"

build() { # build NAME
	# shellcheck disable=SC2086
	clang $CFLAGS -o "$OUT/$1" "test/fuzz/$1.c" lib/lzop.c lib/warnp.c $LIBS
}

run() { # run NAME SECONDS
	local work
	work=$(mktemp -d)
	cp test/fuzz/corpus/* "$work/"
	echo "fuzz: $1 for $2 s"
	(cd "$OUT" && "./$1" -max_total_time="$2" -timeout=10 \
	    -rss_limit_mb=1024 -max_len=600000 -print_final_stats=1 "$work") ||
	    { rm -rf "$work"; return 1; }
	rm -rf "$work"
}

build fuzz_unpack
build fuzz_roundtrip
run fuzz_unpack "$SECS"
run fuzz_roundtrip $(( SECS / 3 > 1 ? SECS / 3 : 1 ))
