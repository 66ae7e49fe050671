# bench/bench-pack.sh: cb-pack and cb-unpack against lzop (sourced by
# bench/run.sh, which provides REPO, BENCH_DIR, PATH and bench/lib.sh).
#
#   BENCH_SIZE   MiB of SSTable-like data to generate (default 1024)
#
# Times lzop -c, cb-pack -j1, -j2, --store and cat (a plain copy) over the
# same files, then lzop -d against cb-unpack -j1, -j2, and checks that peak
# RSS does not grow with the input (100 MiB against all of it, one stream).

bench_pack_main() {
	local size=${BENCH_SIZE:-1024} data lz files raw packed small
	data=$BENCH_DIR/sstables-$size
	lz=$BENCH_DIR/sstables-$size.lzo
	if [ ! -f "$data/.done" ]; then
		rm -rf "$data"
		echo "bench-pack: generating $size MiB of SSTable-like data"
		nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" "$data" \
		    "$size" || return 1
		touch "$data/.done"
	fi
	files=("$data"/nb-*)
	raw=$(cat "${files[@]}" | wc -c)
	cat "${files[@]}" >/dev/null	# into the page cache

	bench_header "pack $((raw / 1048576)) MiB (${#files[@]} files, $(nproc) CPUs)"
	measure "cat (copy)" sh -c 'for f; do cat "$f"; done' _ "${files[@]}"
	measure "lzop -c" sh -c 'for f; do lzop -c "$f"; done' _ "${files[@]}"
	measure "cb-pack -j1" sh -c 'for f; do cb-pack -j1 "$f"; done' _ \
	    "${files[@]}"
	measure "cb-pack -j2" sh -c 'for f; do cb-pack -j2 "$f"; done' _ \
	    "${files[@]}"
	measure "cb-pack --store -j1" \
	    sh -c 'for f; do cb-pack --store -j1 "$f"; done' _ "${files[@]}"
	measure "cb-pack --store -j2" \
	    sh -c 'for f; do cb-pack --store -j2 "$f"; done' _ "${files[@]}"
	ratio "cb-pack -j1" "lzop -c"
	ratio "cb-pack -j2" "lzop -c"
	ratio "cb-pack --store -j2" "cat (copy)"
	lzop_speedup "lzop -c" "cb-pack -j1" "cb-pack -j2"
	# The CPU of one 256 KiB block, to judge a speed-up on a busy machine.
	printf '%-34s lzop -c %.3f, -j1 %.3f, -j2 %.3f ms; load %s\n' \
	    "CPU per block" "$(echo "${CPU[lzop -c]} * 1000 * 262144 / $raw" |
	    bc -l)" "$(echo "${CPU[cb-pack -j1]} * 1000 * 262144 / $raw" |
	    bc -l)" "$(echo "${CPU[cb-pack -j2]} * 1000 * 262144 / $raw" |
	    bc -l)" "$(cut -d' ' -f1-3 /proc/loadavg)"

	# The compressed set for the unpack runs, and the output sizes.
	rm -rf "$lz"
	mkdir -p "$lz"
	for f in "${files[@]}"; do
		cb-pack -j2 -o "$lz/${f##*/}.lzo" "$f" || return 1
	done
	packed=$(cat "$lz"/*.lzo | wc -c)
	printf '%-34s %s of %s bytes = %.3f (lzop: %.3f)\n' "compressed size" \
	    "$packed" "$raw" "$(echo "$packed / $raw" | bc -l)" \
	    "$(echo "$(for f in "${files[@]}"; do lzop -c "$f"; done |
	        wc -c) / $raw" | bc -l)"

	bench_header "unpack"
	measure "lzop -d" sh -c 'for f; do lzop -dc "$f"; done' _ "$lz"/*.lzo
	measure "cb-unpack -j1" sh -c 'for f; do cb-unpack -j1 "$f"; done' _ \
	    "$lz"/*.lzo
	measure "cb-unpack -j2" sh -c 'for f; do cb-unpack -j2 "$f"; done' _ \
	    "$lz"/*.lzo
	ratio "cb-unpack -j1" "lzop -d"
	ratio "cb-unpack -j2" "lzop -d"
	lzop_speedup "lzop -d" "cb-unpack -j1" "cb-unpack -j2"

	small=$((size < 100 ? size : 100))
	bench_header "peak RSS: one stream of $small MiB against $((raw / 1048576)) MiB"
	measure "cb-pack -j2, $small MiB" sh -c \
	    'cat "$@" | head -c '"$((small * 1048576))"' | cb-pack -j2' _ \
	    "${files[@]}"
	measure "cb-pack -j2, all" sh -c 'cat "$@" | cb-pack -j2' _ \
	    "${files[@]}"
	cat "${files[@]}" | head -c $((small * 1048576)) | cb-pack -j2 \
	    >"$BENCH_DIR/small.lzo"
	cat "${files[@]}" | cb-pack -j2 >"$BENCH_DIR/all.lzo"
	measure "cb-unpack -j2, $small MiB" cb-unpack -j2 "$BENCH_DIR/small.lzo"
	measure "cb-unpack -j2, all" cb-unpack -j2 "$BENCH_DIR/all.lzo"
	rm -f "$BENCH_DIR/small.lzo" "$BENCH_DIR/all.lzo"
}

# lzop_speedup BASE A B: how many times faster (wall) A and B are than BASE.
lzop_speedup() {
	printf '%-34s %s %.2fx, %s %.2fx faster than %s (wall)\n' "speed-up" \
	    "$2" "$(echo "${WALL[$1]} / (${WALL[$2]} + 0.0001)" | bc -l)" \
	    "$3" "$(echo "${WALL[$1]} / (${WALL[$3]} + 0.0001)" | bc -l)" "$1"
}

bench_pack_main
