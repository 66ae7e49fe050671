# bench/lib.sh: measuring helpers shared by bench/bench-*.sh (bash).
#
#   measure LABEL CMD...   run CMD once; record wall s, CPU s (user+sys) and
#                          peak RSS (KiB) of it and its children; print a row
#   ratio LABEL BASE       print LABEL's wall and CPU as ratios to BASE's
#   bench_row LABEL TEXT   print a figure, aligned with measure's rows
#   bench_quot LABEL A B TEXT   print A/B as a ratio, with what it compares
#   bench_size BYTES       BYTES for people (MiB, or KiB below one MiB)
#   bench_load             the load averages (1, 5, 15 min)
#   bench_node_make ROOT MIB    the generated node of the whole-node benches
#   bench_node_copy FROM ROOT   a copy of it made of hard links
#
# Results are kept in the associative arrays WALL, CPU and RSS by label.
# Nothing here asserts a number: benchmarks report, tests assert.

declare -gA WALL CPU RSS

bench_header() {
	printf '\n== %s\n' "$1"
	printf '%-34s %9s %9s %11s\n' "run" "wall s" "cpu s" "peak RSS"
}

measure() {
	local label=$1 out
	shift
	out=$(mktemp)
	/usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>"$out.err"
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "bench: '$label' failed (exit $rc):" >&2
		tail -5 "$out.err" >&2
	fi
	# a failed command adds a "Command exited..." line first
	read -r w u s m < <(tail -n 1 "$out")
	rm -f "$out" "$out.err"
	WALL[$label]=$w
	CPU[$label]=$(echo "$u + $s" | bc -l)
	RSS[$label]=$m
	printf '%-34s %9.2f %9.2f %8d MiB\n' "$label" "$w" "${CPU[$label]}" \
	    $((m / 1024))
	return "$rc"
}

ratio() {
	local a=$1 b=$2
	printf '%-34s wall %5.2fx  cpu %5.2fx  (vs %s)\n' "$a" \
	    "$(echo "${WALL[$a]} / (${WALL[$b]} + 0.0001)" | bc -l)" \
	    "$(echo "${CPU[$a]} / (${CPU[$b]} + 0.0001)" | bc -l)" "$b"
}

bench_row() { printf '%-34s %s\n' "$1" "$2"; }

bench_quot() {
	printf '%-34s %5.2fx  (%s)\n' "$1" \
	    "$(echo "$2 / ($3 + 0.0001)" | bc -l)" "$4"
}

bench_size() {
	if [ "$1" -ge 1048576 ]; then
		printf '%.2f MiB' "$(echo "$1 / 1048576" | bc -l)"
	else
		printf '%.1f KiB' "$(echo "$1 / 1024" | bc -l)"
	fi
}

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_node_make ROOT MIB: a stand-in Cassandra 4.1 node under ROOT (its
# cassandra.yaml in ROOT/etc/cassandra) with MIB MiB of sstables from
# bench/gen-sstables.py in 16 tables of keyspace bulk0, loaded with
# nodetool refresh; made once (ROOT/.ready) and kept for later runs.
# Benches that change the node work on a copy of hard links of it.
bench_node_make() {
	local root=$1 mib=$2 tools=$REPO/test/cassandra/bin conf t dir f g
	conf=$root/etc/cassandra
	[ -f "$root/.ready" ] && return 0
	rm -rf "$root"
	echo "bench: generating a $mib MiB node in $root ..." >&2
	PATH=$tools:$PATH nice standin mknode --root "$root" --version 4.1 \
	    --no-sample --keyspaces 1 --tables 16 --sstables 1 >/dev/null ||
	    return 1
	for t in $(seq 0 15); do
		dir=$(ls -d "$root"/var/lib/cassandra/data/bulk0/t"$t"-* | head -1)
		[ -d "$dir" ] || return 1
		nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" \
		    "$root/gen" $((mib / 16)) >/dev/null || return 1
		# Later generations than the stand-in's own sstable.
		for f in "$root"/gen/nb-*; do
			g=${f##*/nb-}
			mv "$f" "$dir/nb-$((${g%%-*} + 10))-${g#*-}"
		done
		CASSANDRA_CONF=$conf PATH=$tools:$PATH \
		    nodetool refresh bulk0 "t$t" || return 1
	done
	rm -rf "$root/gen"
	touch "$root/.ready"
}

# bench_node_copy FROM ROOT: the node FROM (bench_node_make's) under ROOT,
# its files hard links to FROM's, its cassandra.yaml and stand-in state
# copied and pointed at ROOT: new sstables, compactions (which unlink) and
# snapshots change ROOT only, and FROM stays as it is.
bench_node_copy() {
	mkdir -p "$2/etc" &&
	    cp -al "$1/var" "$2/var" &&
	    cp -a "$1/etc/cassandra" "$2/etc/" &&
	    sed -i "s|$1/|$2/|" "$2/etc/cassandra/cassandra.yaml"
}
