# bench/bench-list.sh: cb-list over a 100,000-file snapshot (sourced by
# bench/run.sh).  The node is generated once into $BENCH_DIR/list-node by
# the test stand-in (10 keyspaces x 10 tables x 125 sstables x 8
# components, over 2 data directories) and reused by later runs.
# Baseline: find(1) printing the same fields for the same files.

bench_list() {
	local root=$BENCH_DIR/list-node conf n
	conf=$root/etc/cassandra
	if [ ! -f "$root/.ready" ]; then
		rm -rf "$root"
		echo "bench-list: generating 100k files in $root ..." >&2
		PATH=$REPO/test/cassandra/bin:$PATH nice standin mknode \
		    --root "$root" --version 4.1 --data-dirs 2 --no-sample \
		    --keyspaces 10 --tables 10 --sstables 125 >/dev/null &&
		CASSANDRA_CONF=$conf PATH=$REPO/test/cassandra/bin:$PATH \
		    nice nodetool snapshot -t bench >/dev/null &&
		touch "$root/.ready" || return 1
	fi
	n=$(cb-list --cassandra-conf-path "$conf" --snapshot bench | wc -l)
	bench_header "cb-list: $n files of one snapshot (warm cache)"
	cb-list --cassandra-conf-path "$conf" --snapshot bench >/dev/null
	measure "find -printf (same fields)" find "$root/var" \
	    -path '*/snapshots/bench/*' -type f -printf '%s\t%T@\t%i\t%p\n'
	measure "cb-list --snapshot" cb-list --cassandra-conf-path "$conf" \
	    --snapshot bench
	measure "cb-list -0 --snapshot" cb-list -0 \
	    --cassandra-conf-path "$conf" --snapshot bench
	cb-list -0 --cassandra-conf-path "$conf" --snapshot bench \
	    >"$BENCH_DIR/list-since"
	measure "cb-list --since (nothing new)" cb-list -0 \
	    --cassandra-conf-path "$conf" --snapshot bench \
	    --since "$BENCH_DIR/list-since"
	ratio "cb-list --snapshot" "find -printf (same fields)"
}
bench_list
