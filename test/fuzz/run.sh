#!/usr/bin/env bash
# test/fuzz/run.sh: build the libFuzzer targets with clang (ASan + UBSan)
# and run each for a bounded time (make fuzz).
#
#   FUZZ_SECONDS   seconds for the lzop decoder (default 60); the pack/unpack
#                  round trip gets a third of it and each reader of untrusted
#                  input a sixth (FUZZ_SECONDS=30: 75 s in all)
#   FUZZ_TARGETS   the targets to run (default: all in ALL below but one)
#
# Each target's seed corpus is test/fuzz/corpus/NAME/ (both lzop targets
# share corpus/lzop/); it is copied to a scratch directory, so runs never
# change the repository.  Exits non-zero if a target finds a crash, a leak
# or a timeout (the reproducer is kept in build/fuzz/).
set -eu
cd "$(dirname "$0")/../.."
SECS=${FUZZ_SECONDS:-60}
OUT=build/fuzz
PKGS="libcurl openssl lzo2 yaml-0.1 expat"
ALL="fuzz_unpack fuzz_roundtrip fuzz_manifest_node fuzz_manifest_cluster
    fuzz_s3xml fuzz_records fuzz_cassconf fuzz_awscred_ini fuzz_awscred_json
    fuzz_cql"
TARGETS=${FUZZ_TARGETS:-$ALL}
mkdir -p "$OUT/obj"
# shellcheck disable=SC2046
CFLAGS="-std=c11 -D_GNU_SOURCE -DCB_VERSION=\"fuzz\" -g -O1 -pthread -Ilib
    $(pkg-config --cflags $PKGS) -fsanitize=address,undefined
    -fno-sanitize-recover=undefined -fno-omit-frame-pointer"
LIBS="$(pkg-config --libs $PKGS) -pthread -lm"

objects() { # objects ARCHIVE SOURCES...: instrumented objects, archived
	local a=$1 s o objs=()
	shift
	for s in "$@"; do
		o=$OUT/obj/${s//\//_}.o
		objs+=("$o")
		[ "$o" -nt "$s" ] && [ "$o" -nt test/fuzz/run.sh ] && continue
		# shellcheck disable=SC2086
		clang $CFLAGS -Icmd/cb-manifest -fsanitize=fuzzer-no-link \
		    -c -o "$o" "$s" &
	done
	wait
	rm -f "$a"
	ar rcs "$a" "${objs[@]}"
}

build() { # build NAME SOURCE [FLAGS...]
	local name=$1 src=$2
	shift 2
	# shellcheck disable=SC2086
	clang $CFLAGS -fsanitize=fuzzer -o "$OUT/$name" "$src" "$@" \
	    "$OUT/libcb.a" $LIBS
}

run() { # run NAME SECONDS CORPUS [OPTIONS...]
	local name=$1 secs=$2 corpus=$3 work
	shift 3
	work=$(mktemp -d)
	cp "test/fuzz/corpus/$corpus"/* "$work/"
	echo "fuzz: $name for $secs s"
	(cd "$OUT" && "./$name" -max_total_time="$secs" -timeout=10 \
	    -rss_limit_mb=1024 -print_final_stats=1 "$@" "$work") ||
	    { rm -rf "$work"; return 1; }
	rm -rf "$work"
}

share() { # share DIVISOR: SECS / DIVISOR, at least 1
	echo $(( SECS / $1 > 1 ? SECS / $1 : 1 ))
}

objects "$OUT/libcb.a" lib/*.c
objects "$OUT/libmf.a" $(ls cmd/cb-manifest/*.c | grep -v /main.c)
MF="-Icmd/cb-manifest $OUT/libmf.a"
TEXT="-max_len=65536 -close_fd_mask=3"

for t in $TARGETS; do
	case $t in
	fuzz_unpack|fuzz_roundtrip)
		build "$t" "test/fuzz/$t.c" ;;
	fuzz_manifest_node)
		# shellcheck disable=SC2086
		build "$t" test/fuzz/fuzz_manifest.c $MF ;;
	fuzz_manifest_cluster)
		# shellcheck disable=SC2086
		build "$t" test/fuzz/fuzz_manifest.c -DFUZZ_CLUSTER $MF ;;
	*)
		build "$t" "test/fuzz/$t.c" ;;
	esac
done
for t in $TARGETS; do
	case $t in
	fuzz_unpack)
		run "$t" "$SECS" lzop -max_len=600000 ;;
	fuzz_roundtrip)
		run "$t" "$(share 3)" lzop -max_len=600000 ;;
	*)
		# shellcheck disable=SC2086
		run "$t" "$(share 6)" "${t#fuzz_}" $TEXT ;;
	esac
done
