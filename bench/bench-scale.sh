# bench/bench-scale.sh: how the cost of a backup grows with a node (issue
# 15 §2), on stand-in nodes against one Ceph RGW, in one run (sourced by
# bench/run.sh, which provides REPO, BENCH_DIR, PATH and bench/lib.sh):
#
#   files     nodes of SCALE_FILES files (10 keyspaces x 10 tables x N
#             sstables of 8 tiny components, 2 data directories, the
#             stand-in's mknode; made once into BENCH_DIR/scale-N): time
#             and peak RSS of cb-list, a full backup, a differential one
#             with nothing new (and in it cb-manifest node and reuse), the
#             restore plan of one keyspace (cb-manifest restore), the node
#             manifest's size; then how each grows with the files
#   requests  on the node of bench_node_make (BENCH_NODE_MIB, 16 tables):
#             the S3 requests of each kind of a full backup, a
#             differential one after 2% new data, a quick verify and a
#             purge, counted in RGW's log; from them the monthly cost at
#             AWS's list prices of 10 nodes of 1 TB, nightly, kept 14 days
#   rss       peak RSS of the driver, cb-node and each program it runs
#             (cb-list, cb-s3put, cb-s3get, cb-manifest...) in a backup
#             and a restore of a node of SCALE_RSS_GIB GiB (two sizes),
#             and of cb-pack -j2 over all of its data in one stream; the
#             Data.db files are sparse (random first MiB, zeros after):
#             fast to make and to pack, the same for RSS, not for speed
#
#   SCALE_PARTS     which of them (default "files requests rss")
#   SCALE_FILES     file counts (default "10000 100000"; 2000 to try it)
#   SCALE_RSS_GIB   the two node sizes of rss (default "1 10")
#   SCALE_CHANGE    % of a node's bytes in new sstables a day, for the
#                   cost model (default 10: 2% new data, 8% compaction)
#   SCALE_TB_FILES  files of a 1 TB node, for the cost model (100000)
#   SCALE_PRICE_*   the prices, see bench_scale_cost
#
# Per-program figures come from a directory of shims ahead of the programs
# on PATH: each C program runs under /usr/bin/time (its own wall, CPU and
# peak RSS, which for cb-snapshot includes the nodetool it runs); the sh
# scripts (the driver, cb-node) under a sampler of their VmHWM.  The
# driver finds cb-node, and cb-node its programs, beside itself: both are
# symbolic links in the shim directory.
# Starts its own S3 server (port CB_TEST_S3_PORT) and stops it at the end.

# bench_scale_shims DIR LOG: the shim directory DIR, logging one line a
# program run into LOG: NAME SUBCOMMAND WALL USER SYS MAXRSS_KIB.
bench_scale_shims() {
	local dir=$1 log=$2 real p
	real=$(dirname "$(command -v cb-list)")
	mkdir -p "$dir" || return 1
	for p in cassandra-backups cb-node; do
		ln -sf "$real/$p" "$dir/$p.sh" || return 1
		cat >"$dir/$p" <<EOF
#!/bin/bash
# The VmHWM of the script's own shell, sampled every 0.1 s.
"$dir/$p.sh" "\$@" <&0 &
pid=\$! max=0
while kill -0 "\$pid" 2>/dev/null; do
	v=\$(awk '/^VmHWM:/ { print \$2 }' /proc/\$pid/status 2>/dev/null)
	[ "\${v:-0}" -gt "\$max" ] && max=\$v
	sleep 0.1
done
wait "\$pid"
rc=\$?
echo "$p \${1:--} - - - \$max" >>"$log"
exit "\$rc"
EOF
		chmod +x "$dir/$p" || return 1
	done
	for p in "$real"/cb-*; do
		p=${p##*/}
		[ -e "$dir/$p" ] && continue
		cat >"$dir/$p" <<EOF
#!/bin/sh
exec /usr/bin/time -a -o "$log" -f "$p \${1:--} %e %U %S %M" "$real/$p" "\$@"
EOF
		chmod +x "$dir/$p" || return 1
	done
}

# bench_scale_progs LOG: what the shims logged, one row a program (and
# subcommand of cb-manifest and cb-snapshot): runs, wall s in all, the
# largest peak RSS; then LOG is emptied.
bench_scale_progs() {
	awk '$1 ~ /^c/ && NF == 6 {
		k = $1
		if (k == "cb-manifest") k = k " " $2
		n[k]++
		if ($3 != "-") w[k] += $3
		if ($6 > m[k]) m[k] = $6
	} END {
		for (k in n)
			printf "  %-32s %4dx %8.2f s %8.1f MiB\n", k, n[k], w[k], m[k] / 1024
	}' "$1" | sort
	: >"$1"
}

# bench_scale_peak LOG NAME [SUB]: the largest peak RSS (KiB) NAME had in
# LOG (of SUB, for cb-manifest), without emptying it.
bench_scale_peak() {
	awk -v n="$2" -v s="${3:-}" '$1 == n && NF == 6 && (s == "" || $2 == s) &&
	    $6 > m { m = $6 } END { print m + 0 }' "$1"
}

# bench_scale_grow A B NA NB: B against A for NB against NA files, as the
# ratio and its exponent (log B/A over log NB/NA: 1 linear, less better).
bench_scale_grow() {
	/usr/bin/python3 -c 'import math, sys
a, b, na, nb = map(float, sys.argv[1:5])
if a <= 0 or b <= 0:
    print("     -")
else:
    print("x%.2f for x%.2f files, exponent %.2f" % (b / a, nb / na,
          math.log(b / a) / math.log(nb / na)))' "$@"
}

bench_scale_main() {
	local parts=${SCALE_PARTS:-files requests rss} tmp tools rc=0 p
	local shim log
	tools=$REPO/test/cassandra/bin
	tmp=$(mktemp -d /tmp/cb-bench-scale.XXXXXX)
	shim=$tmp/shim
	log=$tmp/progs.log
	: >"$log"
	bench_scale_shims "$shim" "$log" || { rm -rf "$tmp"; return 1; }
	echo "bench-scale: starting the S3 server"
	# About 1.5 GiB stored at most: the 1 GiB node once, 2% more, the
	# manifests of 100,000 files and the sparse nodes packed.
	bench_s3_start "$tmp" 3072 || { rm -rf "$tmp"; return 1; }
	for p in $parts; do
		case $p in
		files|requests|rss) "bench_scale_$p" || rc=1 ;;
		*) echo "bench-scale: no part '$p' (files, requests, rss)" >&2
		   rc=1 ;;
		esac
	done
	bench_s3_stop "$tmp"
	rm -rf "$tmp"
	return "$rc"
}

# bench_scale_cb BASE: the driver (through the shims) on base path BASE.
bench_scale_cb() {
	CB=(env TMPDIR="$tmp" "$shim/cassandra-backups"
	    --s3-bucket-name "$S3_BUCKET" --s3-base-path "$1"
	    --s3-endpoint "$S3_ENDPOINT")
}

# bench_scale_manifest BASE NAME FILE: backup NAME's node manifest into
# FILE; its size in S3 on stdout.
bench_scale_manifest() {
	local key
	key=$(timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" \
	    "s3://$S3_BUCKET/$1/$2/manifest.json" - | /usr/bin/python3 -c '
import json, sys
print(json.load(sys.stdin)["nodes"][0]["manifest"])') &&
	timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" \
	    "s3://$S3_BUCKET/$key" "$3" &&
	timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" --ls \
	    "s3://$S3_BUCKET/$key" | awk -F'\t' -v k="$key" '$4 == k { print $1 }'
}

# bench_scale_node N: the node of about N files under BENCH_DIR/scale-N.
bench_scale_node() {
	local root=$BENCH_DIR/scale-$1 s=$((($1 + 799) / 800))
	[ -f "$root/.ready" ] && return 0
	rm -rf "$root"
	echo "bench-scale: generating a node of $1 files in $root ..." >&2
	PATH=$tools:$PATH timeout 300 nice standin mknode --root "$root" \
	    --version 4.1 --data-dirs 2 --no-sample --keyspaces 10 \
	    --tables 10 --sstables "$s" >/dev/null &&
	    touch "$root/.ready"
}

bench_scale_files() {
	local n root conf files first= k
	local -A F M NB
	bench_header "scale: nodes of ${SCALE_FILES:-10000 100000} files ($(bench_machine))"
	for n in ${SCALE_FILES:-10000 100000}; do
		bench_scale_node "$n" || return 1
		root=$BENCH_DIR/scale-$n
		conf=$root/etc/cassandra
		files=$(find "$root/var/lib" -path '*/snapshots' -prune -o \
		    -type f -print | wc -l)
		F[$n]=$files
		bench_row "-- $n: $files files" "(load $(bench_load))"
		bench_scale_cb "scale$n"
		CASSANDRA_CONF=$conf PATH=$tools:$PATH nodetool clearsnapshot \
		    -t scale >/dev/null 2>&1
		CASSANDRA_CONF=$conf PATH=$tools:$PATH nodetool snapshot \
		    -t scale >/dev/null || return 1
		measure "$n: cb-list --snapshot" cb-list -0 \
		    --cassandra-conf-path "$conf" --snapshot scale
		CASSANDRA_CONF=$conf PATH=$tools:$PATH nodetool clearsnapshot \
		    -t scale >/dev/null
		: >"$log"
		measure "$n: full backup" "${CB[@]}" backup --hosts node1 \
		    --use-local --cassandra-conf-path "$conf" \
		    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/st$n" \
		    --backup-name full || return 1
		bench_scale_progs "$log"
		measure "$n: differential, nothing new" "${CB[@]}" backup \
		    --hosts node1 --use-local --cassandra-conf-path "$conf" \
		    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/st$n" \
		    --backup-name diff || return 1
		for k in node reuse; do
			M["$n.$k"]=$(bench_scale_peak "$log" cb-manifest "$k")
			NB["$n.$k"]=$(awk -v s="$k" '$1 == "cb-manifest" &&
			    $2 == s { w += $3 } END { print w + 0 }' "$log")
		done
		bench_scale_progs "$log"
		M[$n.size]=$(bench_scale_manifest "scale$n" diff \
		    "$tmp/node$n.json") || return 1
		bench_row "$n: node manifest" "$(bench_size "${M[$n.size]}") in S3, $(((M[$n.size] + files / 2) / files)) bytes a file"
		measure "$n: restore plan, 1 keyspace" bash -c \
		    'exec cb-manifest restore -0 --keyspaces bulk0 <"$1"' \
		    bash "$tmp/node$n.json"
		bench_row "$n: records of the plan" "$(cb-manifest restore -0 \
		    --keyspaces bulk0 <"$tmp/node$n.json" | tr -cd '\0' | wc -c) files of bulk0"
		[ -n "$first" ] || first=$n
	done
	[ -n "$first" ] && [ "$first" != "$n" ] || return 0
	printf '\n== %s\n' "scale: growth from ${F[$first]} to ${F[$n]} files (exponent 1.00 is linear, below it better)"
	local a b what
	for what in "cb-list --snapshot" "full backup" \
	    "differential, nothing new" "restore plan, 1 keyspace"; do
		a=${WALL[$first: $what]} b=${WALL[$n: $what]}
		bench_row "$what, wall" "$a s -> $b s: $(bench_scale_grow "$a" "$b" "${F[$first]}" "${F[$n]}")"
		a=${RSS[$first: $what]} b=${RSS[$n: $what]}
		bench_row "$what, peak RSS" "$((a / 1024)) -> $((b / 1024)) MiB: $(bench_scale_grow "$a" "$b" "${F[$first]}" "${F[$n]}")"
	done
	for k in node reuse; do
		a=${NB[$first.$k]} b=${NB[$n.$k]}
		bench_row "cb-manifest $k (in diff), wall" "$a s -> $b s: $(bench_scale_grow "$a" "$b" "${F[$first]}" "${F[$n]}")"
		a=${M[$first.$k]} b=${M[$n.$k]}
		bench_row "cb-manifest $k, peak RSS" "$((a / 1024)) -> $((b / 1024)) MiB: $(bench_scale_grow "$a" "$b" "${F[$first]}" "${F[$n]}")"
	done
	a=${M[$first.size]} b=${M[$n.size]}
	bench_row "node manifest, bytes" "$(bench_size "$a") -> $(bench_size "$b"): $(bench_scale_grow "$a" "$b" "${F[$first]}" "${F[$n]}")"
}

# bench_scale_step LABEL CMD...: CMD measured, its requests counted into
# REQ_<kind> lines of $tmp/req.LABEL (and printed).
bench_scale_step() {
	local label=$1 a b rc k v
	shift
	a=$(bench_log_mark)
	measure "$label" "$@"
	rc=$?
	b=$(bench_log_mark)
	bench_log_reqs "$a" "$b" /dev/null >"$tmp/req.$label"
	while IFS=$'\t' read -r k v; do
		[ "$k" = text ] && bench_row "  requests" "$v"
	done <"$tmp/req.$label"
	: >"$log"
	return "$rc"
}

bench_scale_requests() {
	local mib=${BENCH_NODE_MIB:-1024} shared root conf data raw stored add
	local files
	local -a bk
	shared=$BENCH_DIR/node-$mib
	bench_node_make "$shared" "$mib" || return 1
	root=$tmp/rnode
	bench_node_copy "$shared" "$root" || return 1
	conf=$root/etc/cassandra
	data=$root/var/lib/cassandra/data
	raw=$(du -sb --apparent-size "$data" | cut -f1)
	files=$(find "$data" -path '*/snapshots' -prune -o -type f -print | wc -l)
	bench_scale_cb req
	bk=(backup --hosts node1 --use-local --cassandra-conf-path "$conf"
	    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/rst")
	bench_header "requests: a $((raw / 1048576)) MiB node, 16 tables, $files files ($(bench_machine))"
	bench_scale_step "full backup" "${CB[@]}" "${bk[@]}" \
	    --backup-name r1 || return 1
	bench_scale_manifest req r1 "$tmp/r1.json" >/dev/null || return 1
	stored=$(/usr/bin/python3 -c 'import json, sys
print(json.load(open(sys.argv[1]))["totals"]["stored_bytes"])' "$tmp/r1.json")
	add=$(((raw / 50 + 1048575) / 1048576))
	bench_node_add "$root" "$add" t2 t6 t10 t14 || return 1
	bench_scale_step "differential, +2%" "${CB[@]}" "${bk[@]}" \
	    --backup-name r2 || return 1
	bench_scale_step "quick verify" "${CB[@]}" verify \
	    --snapshot-name r2 || return 1
	bench_scale_step "purge --keep 1" "${CB[@]}" purge --keep 1 ||
	    return 1
	bench_scale_cost "$raw" "$files" "$stored"
}

# bench_scale_cost RAW FILES STORED: the monthly cost of 10 nodes of 1 TB
# (bench/scale-cost.py) from the requests counted in $tmp/req.*, the node
# measured holding RAW bytes in FILES files, STORED bytes in S3 after its
# full backup.
#
# Prices (SCALE_PRICE_GB, _A, _B): S3 Standard, us-east-1, list prices as
# issue 15's brief gives them (2026-12-02): storage $0.023 per GB-month
# (first 50 TB); PUT, COPY, POST, LIST $0.005 per 1,000 requests; GET and
# all other requests $0.0004 per 1,000; DELETE and CANCEL free.
bench_scale_cost() {
	/usr/bin/python3 "$REPO/bench/scale-cost.py" "$1" "$2" "$3" "$tmp" \
	    "${SCALE_CHANGE:-10}" "${SCALE_TB_FILES:-100000}" \
	    "${SCALE_PRICE_GB:-0.023}" "${SCALE_PRICE_A:-0.005}" \
	    "${SCALE_PRICE_B:-0.0004}"
}

# bench_scale_sparse ROOT GIB: a node of GIB GiB in 16 tables of bulk0,
# four sstables each: gen-sstables.py's of 1 MiB a table, each Data.db
# then made GIB/64 GiB long by a hole (bench_node_make's sparse node).
bench_scale_sparse() {
	bench_node_make "$1" 16 $(($2 * 1073741824 / 64)) >/dev/null
}

bench_scale_rss() {
	local sizes=${SCALE_RSS_GIB:-1 10} g root conf raw first= p
	local -A R
	bench_header "peak RSS: nodes of $sizes GiB, sparse Data.db ($(bench_machine))"
	for g in $sizes; do
		root=$BENCH_DIR/scale-sparse-$g
		bench_scale_sparse "$root" "$g" || return 1
		conf=$root/etc/cassandra
		raw=$(du -sb --apparent-size "$root/var/lib/cassandra/data" | cut -f1)
		bench_row "-- $g GiB: $(bench_size "$raw")" "$(bench_size "$(du -s -B1 "$root/var/lib/cassandra/data" | cut -f1)") on disk (load $(bench_load))"
		bench_scale_cb "rss$g"
		: >"$log"
		measure "$g GiB: backup" "${CB[@]}" backup --hosts node1 \
		    --use-local --cassandra-conf-path "$conf" \
		    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/rs$g" \
		    --backup-name b || return 1
		cp "$log" "$tmp/rss$g.backup"
		bench_scale_progs "$log"
		rm -rf "$tmp/restore$g"
		measure "$g GiB: restore" "${CB[@]}" restore --hosts node1 \
		    --use-local --cassandra-conf-path "$conf" \
		    --cassandra-tools-bin-dir "$tools" --keyspaces bulk0 \
		    --restore-dir "$tmp/restore$g" || return 1
		cp "$log" "$tmp/rss$g.restore"
		bench_scale_progs "$log"
		rm -rf "$tmp/restore$g"
		measure "$g GiB: cb-pack -j2, one stream" sh -c \
		    'find "$1" -path "*/snapshots" -prune -o -type f -print0 |
		    xargs -0 cat | cb-pack -j2' sh "$root/var/lib/cassandra/data"
		[ -n "$first" ] || first=$g
	done
	[ -n "$first" ] && [ "$first" != "$g" ] || return 0
	printf '\n== %s\n' "peak RSS: $first GiB against $g GiB (ratio 1.00 is flat)"
	printf '%-34s %11s %11s %7s\n' "program (run)" "$first GiB" "$g GiB" "ratio"
	local a b run
	for run in backup restore; do
		for p in cassandra-backups cb-node cb-snapshot cb-list cb-s3put \
		    cb-s3get cb-manifest; do
			a=$(bench_scale_peak "$tmp/rss$first.$run" "$p")
			b=$(bench_scale_peak "$tmp/rss$g.$run" "$p")
			[ "$a" -gt 0 ] || [ "$b" -gt 0 ] || continue
			printf '%-34s %7.1f MiB %7.1f MiB %6.2fx\n' "$p ($run)" \
			    "$(echo "$a / 1024" | bc -l)" "$(echo "$b / 1024" | bc -l)" \
			    "$(echo "$b / ($a + 0.0001)" | bc -l)"
		done
	done
	for run in backup restore "cb-pack -j2, one stream"; do
		a=${RSS[$first GiB: $run]} b=${RSS[$g GiB: $run]}
		printf '%-34s %7.1f MiB %7.1f MiB %6.2fx\n' "all, largest ($run)" \
		    "$(echo "$a / 1024" | bc -l)" "$(echo "$b / 1024" | bc -l)" \
		    "$(echo "$b / ($a + 0.0001)" | bc -l)"
	done
}

bench_scale_main
