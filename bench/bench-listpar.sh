# bench/bench-listpar.sh: list mode with one large file among many small
# ones (issue 15, "List mode"): the backup as cb-node runs it (cb-s3put -0
# --list --pack --journal) and the restore (cb-s3get -0 --list --unpack),
# each of the small files alone, of the large file alone and of both in
# one run, all with -j 4, and the large file alone in single mode (its
# parts -j 4 at once); the target is both <= 1.1 x (small + large single).
# Sourced by bench/run.sh, which provides REPO, BENCH_DIR, PATH and
# bench/lib.sh.
#
#   BENCH_LISTPAR_MIB     the large file, MiB of random bytes (incompressible,
#                         as an LZ4-compressed Data.db; default 2048)
#   BENCH_NODE_MIB        the small files: those of the node of
#                         bench/bench-node.sh (bench_node_make, bench/lib.sh:
#                         16 tables), default 1024
#
# Starts its own server (test/services/s3.sh, port CB_TEST_S3_PORT) and
# stops it at the end.  Each figure's row follows the command that made it.

bench_listpar_main() {
	local mib=${BENCH_LISTPAR_MIB:-2048} node=${BENCH_NODE_MIB:-1024}
	local state dir=$BENCH_DIR/listpar big root i rc=0
	echo "bench-listpar: load before: $(bench_load)"
	root=$BENCH_DIR/node-$node
	bench_node_make "$root" "$node" || return 1
	mkdir -p "$dir"
	big=$dir/big-$mib/nb-1-big-Data.db
	if [ ! -f "$big" ]; then
		echo "bench-listpar: generating $mib MiB"
		mkdir -p "${big%/*}"
		head -c $((mib * 1048576)) /dev/urandom >"$big.tmp" &&
		    mv "$big.tmp" "$big"
	fi
	# cb-list's records (SIZE MTIME INODE PATH) of the node's sstables,
	# the large file among them halfway
	find "$root/var/lib/cassandra/data" -type f -name 'nb-*' | sort |
	    awk '{ print "0\t0\t0\t" $0 }' >"$dir/small.list"
	printf '0\t0\t0\t%s\n' "$big" >"$dir/big.list"
	i=$(($(wc -l <"$dir/small.list") / 2))
	{ head -n "$i" "$dir/small.list"; cat "$dir/big.list"
	    tail -n +$((i + 1)) "$dir/small.list"; } >"$dir/both.list"
	cut -f4 "$dir/both.list" | xargs -d '\n' cat >/dev/null
	state=$(mktemp -d /tmp/cb-bench-listpar.XXXXXX)
	echo "bench-listpar: starting the S3 server"
	# The store holds every upload (RGW frees deleted objects' data
	# only at its garbage collection, hours later, and a full store
	# makes PUTs hang): the large file three times (alone in list mode,
	# among the small ones, alone in single mode), the small ones twice.
	if ! MEMSTORE_BYTES=$(((3 * mib + 2 * node + 1024) * 1048576)) \
	    timeout 120 bash "$REPO/test/services/s3.sh" start "$state" \
	    >"$state.log" 2>&1
	then
		tail -5 "$state.log" >&2
		timeout 60 bash "$REPO/test/services/s3.sh" stop "$state" \
		    >/dev/null 2>&1
		return 1
	fi
	# shellcheck disable=SC1091
	. "$state/s3.env"
	export AWS_EC2_METADATA_DISABLED=true
	bench_listpar_runs "$dir" "$big" || rc=1
	timeout 60 bash "$REPO/test/services/s3.sh" stop "$state" \
	    >/dev/null 2>&1
	rm -rf "$state" "$state.log" "$dir/restore"
	echo "bench-listpar: load after: $(bench_load)"
	return "$rc"
}

# listpar_measure LABEL IN CMD...: print the command, then measure it with
# IN (NUL-separated records) on its standard input, bounded in time.
listpar_measure() {
	local label=$1 in=$2
	shift 2
	printf '  $ %s <%s\n' "$*" "${in##*/}"
	measure "$label" timeout 600 "$@" <"$in"
}

# bench_listpar_runs DIR BIG: the six runs and the ratios (measure, in
# bench/lib.sh, sets s, u, w and m: other names here).
bench_listpar_runs() {
	local dir=$1 big=$2 kind op rc=0 url=s3://$S3_BUCKET
	local ep=(--endpoint "$S3_ENDPOINT" -j 4)

	bench_header "list mode: one $(bench_size "$(stat -c %s "$big")") \
file among $(wc -l <"$dir/small.list") small ones, -j 4"
	for kind in small big both; do
		tr '\n' '\0' <"$dir/$kind.list" >"$dir/$kind.in"
		listpar_measure "backup: $kind" "$dir/$kind.in" \
		    cb-s3put -0 --list --pack "${ep[@]}" \
		    --journal "$dir/$kind.journal" --key-prefix "listpar/$kind" \
		    --key-suffix .lzo "$url" || rc=1
		# what was uploaded, from the journal, as a restore takes it
		tr '\0' '\n' <"$dir/$kind.journal" | awk -F '\t' -v OFS='\t' \
		    '$1 == "ok" { print $6, $2, $4, "." $10 }' |
		    tr '\n' '\0' >"$dir/$kind.get"
		rm -rf "$dir/restore" "$dir/$kind.journal"
		mkdir -p "$dir/restore"
		listpar_measure "restore: $kind" "$dir/$kind.get" \
		    cb-s3get -0 --list --unpack "${ep[@]}" -C "$dir/restore" \
		    "$url" || rc=1
		[ "$kind" = small ] || cmp -s "$big" "$dir/restore$big" ||
		    echo "bench-listpar: restore: wrong bytes" >&2
		# the store holds one run's objects at a time
		timeout 120 /usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 rm \
		    --recursive --only-show-errors "$url/listpar/$kind" \
		    >/dev/null 2>&1
	done
	# the large file alone as single mode sends it, -j 4 parts at once
	printf '  $ %s\n' "cb-s3put --pack ${ep[*]} $url/listpar/one.lzo ${big##*/}"
	measure "backup: big alone (single)" cb-s3put --pack "${ep[@]}" \
	    "$url/listpar/one.lzo" "$big" || rc=1
	printf '  $ %s\n' "cb-s3get --unpack ${ep[*]} $url/listpar/one.lzo OUT"
	measure "restore: big alone (single)" cb-s3get --unpack "${ep[@]}" \
	    "$url/listpar/one.lzo" "$dir/one.out" || rc=1
	cmp -s "$big" "$dir/one.out" ||
	    echo "bench-listpar: single restore: wrong bytes" >&2
	rm -f "$dir/one.out"
	for op in backup restore; do
		bench_quot "$op: both / (small + big single)" \
		    "${WALL[$op: both]}" "${WALL[$op: small]} + \
		    ${WALL[$op: big alone (single)]}" "wall; target <= 1.10x"
		bench_quot "$op: both / (small + big single)" \
		    "${CPU[$op: both]}" "${CPU[$op: small]} + \
		    ${CPU[$op: big alone (single)]}" "cpu"
		bench_quot "$op: big in list / single" "${WALL[$op: big]}" \
		    "${WALL[$op: big alone (single)]}" "wall"
	done
	return "$rc"
}

bench_listpar_main
