#!/usr/bin/env bats
# cb-pack: byte-exact lzop 1.04 output, multi-threaded, --store, errors.

load helpers
load lzop_data

setup_file() {
	export D="$BATS_FILE_TMPDIR"
	lzop_make_data "$D"
	# Incompressible, then compressible: exercises give-up and probe.
	cat "$D/rand3m" "$D/text3m" >"$D/mixed"
	touch -d 2020-01-01T00:00:00Z "$D"/*
}

@test "cb-pack equals lzop -c at every size and level" {
	local f l
	for f in rand0 rand1 rand262143 rand262144 rand262145 rand3m text3m; do
		for l in 1 3 7 9; do
			[ "$l" -ge 7 ] && [ "$f" = text3m ] && continue
			lzop -"$l" -c "$D/$f" >"$D/want"
			cb-pack -"$l" "$D/$f" >"$D/got"
			cmp "$D/want" "$D/got"
		done
	done
}

@test "cb-pack -7 -8 -9 on compressible data equal lzop" {
	head -c 600000 "$D/text3m" >"$D/t600k"
	for l in 7 8 9; do
		lzop -"$l" -c "$D/t600k" >"$D/want"
		cb-pack -j2 -"$l" "$D/t600k" >"$D/got"
		cmp "$D/want" "$D/got"
	done
}

@test "cb-pack output does not depend on the thread count" {
	local j
	lzop -c "$D/mixed" >"$D/want"
	for j in 1 2 3 8; do
		cb-pack -j "$j" "$D/mixed" >"$D/got$j"
		cmp "$D/got1" "$D/got$j"
		lzop -dc "$D/got$j" | cmp - "$D/mixed"
	done
}

@test "cb-pack from stdin differs from lzop at most in the mtime" {
	cat "$D/text3m" | cb-pack >"$D/got"
	cat "$D/text3m" | lzop -c >"$D/want"
	# only mtime (1-based bytes 26..33) and so the header checksum (35..38)
	[ "$(stat -c %s "$D/got")" -eq "$(stat -c %s "$D/want")" ]
	cmp -l "$D/got" "$D/want" |
	    awk '!(($1 >= 26 && $1 <= 33) || ($1 >= 35 && $1 <= 38)) {exit 1}'
	lzop -t "$D/got"
	cb-pack - <"$D/rand1" | lzop -dc | cmp - "$D/rand1"
}

@test "cb-pack -o writes the file lzop writes with -o" {
	lzop -o "$D/want.lzo" "$D/text3m"
	cb-pack -o "$D/got.lzo" "$D/text3m"
	cmp "$D/want.lzo" "$D/got.lzo"
	ls -a "$D" | expect_no_match -q '^\.got\.lzo\.'
}

@test "cb-pack --store writes stored blocks stock lzop reads" {
	cb-pack --store "$D/text3m" >"$D/got"
	lzop -t "$D/got"
	lzop -dc "$D/got" | cmp - "$D/text3m"
	# 12 bytes before each 256 KiB block; header 38 + name; end marker 4
	local raw blocks
	raw=$(stat -c %s "$D/text3m")
	blocks=$(( (raw + 262143) / 262144 ))
	[ "$(stat -c %s "$D/got")" -eq $((raw + 12 * blocks + 38 + 6 + 4)) ]
}

@test "cb-pack gives up on incompressible data and resumes like lzop" {
	lzop -c "$D/mixed" >"$D/want"
	cb-pack -j2 "$D/mixed" >"$D/got"
	cmp "$D/want" "$D/got"
	# turns compressible (and back) in the middle of blocks
	{ head -c 2000000 "$D/rand3m"; head -c 1500000 "$D/text3m"
	  head -c 1234567 "$D/rand3m"; head -c 700000 "$D/text3m"; } >"$D/mid"
	lzop -c "$D/mid" >"$D/want"
	cb-pack -j3 "$D/mid" >"$D/got"
	cmp "$D/want" "$D/got"
	cat "$D/text3m" "$D/rand3m" "$D/text3m" | cb-pack -j3 >"$D/got"
	lzop -dc "$D/got" |
	    cmp - <(cat "$D/text3m" "$D/rand3m" "$D/text3m")
}

@test "cb-pack -h prints usage and exits 0, -V the version" {
	run cb-pack -h
	expect_status 0
	[[ "$output" == "usage: cb-pack "* ]]
	run cb-pack --version
	expect_status 0
	[[ "$output" == "cb-pack "* ]]
}

@test "cb-pack misuse exits 64" {
	run cb-pack -x
	expect_status 64
	run cb-pack -j 0 "$D/rand1"
	expect_status 64
	run cb-pack a b
	expect_status 64
}

@test "cb-pack exits 1 when the input cannot be read" {
	run cb-pack "$D/does-not-exist"
	expect_status 1
	[[ "$output" == "cb-pack: cannot open '$D/does-not-exist': "* ]]
	run cb-pack "$D"
	expect_status 1
	[[ "$output" == *"cannot read"* ]]
}

@test "cb-pack exits 1 when the output cannot be written" {
	run cb-pack -o "$D/no/such/dir/x.lzo" "$D/rand1"
	expect_status 1
	run bash -c 'cb-pack "$1" >/dev/full' _ "$D/text3m"
	expect_status 1
	[[ "$output" == *"cannot write 'stdout'"* ]]
}
