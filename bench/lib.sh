# bench/lib.sh: measuring helpers shared by bench/bench-*.sh (bash).
#
#   measure LABEL CMD...   run CMD once; record wall s, CPU s (user+sys) and
#                          peak RSS (KiB) of it and its children; print a row
#   ratio LABEL BASE       print LABEL's wall and CPU as ratios to BASE's
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
