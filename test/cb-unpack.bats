#!/usr/bin/env bats
# cb-unpack: reads every lzop 1.x setting, trusts nothing, and leaves no
# output file behind on failure.

load helpers
load lzop_data

setup_file() {
	export D="$BATS_FILE_TMPDIR"
	lzop_make_data "$D"
	head -c 600000 "$D/text3m" >"$D/t600k"
	# A small stream with every kind of checksum: 3 blocks, last stored.
	{ head -c 400000 "$D/text3m"; head -c 100000 "$D/rand3m"; } >"$D/small"
	lzop -c -CC "$D/small" >"$D/small.lzo"
}

# no_leftovers DIR: nothing but what the test put there.
no_leftovers() {
	[ -z "$(ls -A "$1")" ] || { ls -la "$1" >&2; return 1; }
}

@test "cb-unpack decodes stock lzop at every size and level" {
	local f l j
	for f in rand0 rand1 rand262143 rand262144 rand262145 rand3m text3m; do
		for l in 1 3 7; do
			[ "$l" = 7 ] && [ "$f" = text3m ] && continue
			lzop -"$l" -c "$D/$f" >"$D/in.lzo"
			for j in 1 2; do
				cb-unpack -j "$j" "$D/in.lzo" | cmp - "$D/$f"
			done
		done
	done
	lzop -9 -c "$D/t600k" | cb-unpack | cmp - "$D/t600k"
}

@test "cb-pack output round-trips through lzop -d and cb-unpack" {
	local f l
	for f in rand0 rand1 rand262144 rand262145 text3m; do
		for l in 1 3 7; do
			[ "$l" = 7 ] && [ "$f" = text3m ] && continue
			cb-pack -"$l" <"$D/$f" >"$D/in.lzo"
			lzop -dc "$D/in.lzo" | cmp - "$D/$f"
			cb-unpack <"$D/in.lzo" | cmp - "$D/$f"
		done
	done
}

@test "cb-unpack verifies Adler-32 and CRC-32, data and compressed" {
	local o
	for o in "-CC" "--crc32" "-F" "--crc32 -CC" "-1 -CC" "-9 --crc32"; do
		# shellcheck disable=SC2086
		lzop -c $o "$D/small" >"$D/in.lzo"
		cb-unpack -t "$D/in.lzo"
		cb-unpack -j 3 "$D/in.lzo" | cmp - "$D/small"
		cb-unpack -j 1 <"$D/in.lzo" | cmp - "$D/small"
	done
}

@test "cb-unpack decodes concatenated members and ignores NUL padding" {
	lzop -c "$D/rand1" >"$D/a.lzo"
	cb-pack -9 "$D/t600k" >"$D/b.lzo"
	{ cat "$D/a.lzo" "$D/b.lzo" "$D/a.lzo"; head -c 1000 /dev/zero; } |
	    cb-unpack >"$D/out"
	cat "$D/rand1" "$D/t600k" "$D/rand1" | cmp - "$D/out"
}

@test "cb-unpack refuses trailing garbage, empty and non-lzop input with 65" {
	{ cat "$D/small.lzo"; echo junk; } >"$D/in.lzo"
	run cb-unpack -t "$D/in.lzo"
	expect_status 65
	[[ "$output" == "cb-unpack: cannot unpack '$D/in.lzo': trailing garbage after the lzop stream at byte "* ]]
	run cb-unpack -t </dev/null
	expect_status 65
	[ "$output" = "cb-unpack: cannot unpack 'stdin': empty input, no lzop stream at byte 0" ]
	run cb-unpack -t "$D/t600k"
	expect_status 65
	[[ "$output" == *"not an lzop stream: bad magic at byte 0" ]]
	gzip -c "$D/rand1" >"$D/in.gz"
	run cb-unpack -t "$D/in.gz"
	expect_status 65
}

# corrupt OFFSET:XOR...: a copy of small.lzo with one byte changed, for
# each argument, must give 65 naming a byte offset and leave nothing
# behind with -o.
corrupt() {
	local spec rc
	mkdir -p "$D/bad" "$D/matrix"
	/usr/bin/python3 - "$D/small.lzo" "$D/bad" "$@" <<'PY'
import sys
src = open(sys.argv[1], "rb").read()
for spec in sys.argv[3:]:
    off, x = (int(v) for v in spec.split(":"))
    b = bytearray(src)
    b[off] ^= x
    open("%s/%s" % (sys.argv[2], spec), "wb").write(b)
PY
	for spec in "$@"; do
		rc=0
		cb-unpack -o "$D/matrix/file" "$D/bad/$spec" 2>"$D/err" || rc=$?
		if [ "$rc" -ne 65 ] || ! grep -q ' at byte [0-9]*$' "$D/err"
		then
			echo "byte:xor $spec: exit $rc: $(cat "$D/err")" >&2
			return 1
		fi
		no_leftovers "$D/matrix"
	done
	rm -rf "$D/bad"
}

@test "corruption matrix: every header field, lengths, checksums, data" {
	local o size specs=()
	# header: name "small", so the first block is at 43
	for o in 0 3 8 9 10 11 12 13 14 15 16 17 19 20 21 22 24 25 28 29 32 33 \
	    34 36 38 39 40 41 42; do
		specs+=("$o:1" "$o:128")
	done
	# block 1: d_len 43, c_len 47, Adler-32 data 51, Adler-32 comp. 55,
	# data from 59
	for o in 43 44 45 46 47 48 49 50 51 54 55 58 59 60 1000 30000; do
		specs+=("$o:16")
	done
	# the end marker and the last (stored) block's data
	size=$(stat -c %s "$D/small.lzo")
	specs+=("$((size - 1)):1" "$((size - 4)):255" "$((size - 5)):2" \
	    "$((size - 50000)):64")
	corrupt "${specs[@]}"
}

@test "corruption matrix: truncation at many offsets gives 65, no file" {
	local size n
	size=$(stat -c %s "$D/small.lzo")
	mkdir -p "$D/trunc"
	for n in 1 8 9 10 20 33 38 42 43 46 47 50 51 55 58 59 60 100 1000 \
	    $((size / 3)) $((size / 2)) $((size - 100001)) $((size - 5)) \
	    $((size - 4)) $((size - 1)); do
		head -c "$n" "$D/small.lzo" >"$D/cut.lzo"
		run cb-unpack -o "$D/trunc/file" "$D/cut.lzo"
		[ "$status" -eq 65 ] || { echo "cut at $n: $status" >&2; return 1; }
		[[ "$output" == *"truncated lzop stream"*" at byte $n" ]]
		no_leftovers "$D/trunc"
	done
}

@test "a hostile block length is refused without allocating it" {
	/usr/bin/python3 - "$D/small.lzo" "$D/bad.lzo" <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[43:47] = (0x7fffffff).to_bytes(4, "big")
open(sys.argv[2], "wb").write(b)
PY
	run cb-unpack -t "$D/bad.lzo"
	expect_status 65
	[[ "$output" == *"block length 2147483647 larger than 262144 at byte 43" ]]
}

@test "cb-unpack -o writes the file only when the stream verified" {
	cb-unpack -o "$D/out.txt" "$D/small.lzo"
	cmp "$D/out.txt" "$D/small"
	mkdir -p "$D/o"
	run cb-unpack -o "$D/o/x" "$D/t600k"
	expect_status 65
	no_leftovers "$D/o"
	# an existing file is kept when the new stream is bad
	echo keep >"$D/o/x"
	run cb-unpack -o "$D/o/x" "$D/t600k"
	expect_status 65
	[ "$(cat "$D/o/x")" = keep ]
	[ "$(ls -A "$D/o")" = x ]
}

@test "cb-unpack -t tests without writing" {
	run cb-unpack -t "$D/small.lzo"
	expect_status 0
	[ -z "$output" ]
}

@test "cb-unpack -h prints usage and exits 0, -V the version" {
	run cb-unpack --help
	expect_status 0
	[ "$output" = "usage: cb-unpack [-t] [-j N] [-o FILE] [FILE|-]" ]
	run cb-unpack -V
	expect_status 0
	[[ "$output" == "cb-unpack "* ]]
}

@test "cb-unpack misuse exits 64" {
	run cb-unpack --bogus
	expect_status 64
	run cb-unpack -t -o "$D/x" "$D/small.lzo"
	expect_status 64
	run cb-unpack -j x "$D/small.lzo"
	expect_status 64
	run cb-unpack a b
	expect_status 64
}

@test "cb-unpack exits 1 on unreadable input or unwritable output" {
	run cb-unpack "$D/does-not-exist"
	expect_status 1
	[[ "$output" == "cb-unpack: cannot open '$D/does-not-exist': "* ]]
	run bash -c 'cb-unpack "$1" >/dev/full' _ "$D/small.lzo"
	expect_status 1
	[[ "$output" == *"cannot write 'stdout'"* ]]
	run cb-unpack -o "$D/no/such/dir/x" "$D/small.lzo"
	expect_status 1
}

@test "cb-unpack -o removes its temporary file when killed" {
	mkdir -p "$D/sig"
	mkfifo "$D/fifo"
	# the writer holds the fifo open after the first bytes
	{ head -c 1000 "$D/small.lzo"; exec sleep 60; } >"$D/fifo" &
	local writer=$!
	cb-unpack -o "$D/sig/x" "$D/fifo" &
	local pid=$!
	local i
	for i in $(seq 200); do
		[ -n "$(ls -A "$D/sig")" ] && break
		sleep 0.1
	done
	[ -n "$(ls -A "$D/sig")" ]
	kill -TERM "$pid"
	local rc=0
	wait "$pid" || rc=$?
	[ "$rc" -eq 143 ]
	no_leftovers "$D/sig"
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
}
