# bench/bench-node.sh: a whole-node backup and restore with
# cassandra-backups (--use-local: the node pipeline without ssh) against
# the seed-like pipeline (lzop each file, then aws s3 cp --recursive; for
# the restore aws s3 cp --recursive, then lzop -d) and rclone copy of the
# raw files, on the same Ceph RGW in the same run (sourced by bench/run.sh);
# and the restore run again over its complete result (every file kept).
#
#   BENCH_NODE_MIB   generated data (default 1024), in 16 tables
#
# Starts its own S3 server (port CB_TEST_S3_PORT) and stops it at the end;
# the node is bench_node_make's (bench/lib.sh).

bench_node_main() {
	local mib=${BENCH_NODE_MIB:-1024} state root conf tools data rc=0
	local cba stage url
	tools=$REPO/test/cassandra/bin
	root=$BENCH_DIR/node-$mib
	conf=$root/etc/cassandra
	data=$root/var/lib/cassandra/data
	bench_node_make "$root" "$mib" || return 1
	state=$(mktemp -d /tmp/cb-bench-node.XXXXXX)
	echo "bench-node: starting the S3 server"
	bench_s3_start "$state" 6144 || return 1
	export AWS_EC2_METADATA_DISABLED=true
	export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Ceph
	export RCLONE_CONFIG_BENCH_ENDPOINT=$S3_ENDPOINT
	export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
	export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
	url=s3://$S3_BUCKET
	stage=$BENCH_DIR/node-stage
	cba="cassandra-backups --s3-bucket-name $S3_BUCKET --s3-base-path cb
	    --s3-endpoint $S3_ENDPOINT"
	local nodeopts="--hosts node1 --use-local --cassandra-conf-path $conf
	    --cassandra-tools-bin-dir $tools"
	local raw
	raw=$(du -sb --apparent-size "$data" | cut -f1)
	find "$data" -type f -print0 | xargs -0 cat >/dev/null

	bench_header "whole node: backup of $((raw / 1048576)) MiB (one snapshot)"
	measure "cassandra-backups backup" $cba backup $nodeopts --new-snapshot ||
	    rc=1
	measure "seed-like: lzop each + aws cp -r" sh -c "
	    export CASSANDRA_CONF='$conf'; PATH='$tools':\$PATH
	    nodetool snapshot -t seed >/dev/null || exit 1
	    rm -rf '$stage' && mkdir -p '$stage' || exit 1
	    find '$data' -path '*/snapshots/seed/*' -type f | while read -r f; do
		mkdir -p '$stage'\"\${f%/*}\" &&
		lzop -q -c \"\$f\" >'$stage'\"\$f.lzo\" || exit 1
	    done &&
	    /usr/bin/aws --endpoint-url '$S3_ENDPOINT' s3 cp --recursive \
		--only-show-errors '$stage' '$url/seed/node1'" || rc=1
	measure "rclone copy (raw files)" env -u AWS_CA_BUNDLE rclone copy \
	    "$data" "bench:$S3_BUCKET/rclone" --include '/*/*/snapshots/seed/**' ||
	    rc=1
	ratio "cassandra-backups backup" "seed-like: lzop each + aws cp -r"
	ratio "cassandra-backups backup" "rclone copy (raw files)"
	CASSANDRA_CONF=$conf PATH=$tools:$PATH nodetool clearsnapshot -t seed >/dev/null

	bench_header "whole node: restore of $((raw / 1048576)) MiB"
	rm -rf "$BENCH_DIR/node-restore" "$stage"
	measure "cassandra-backups restore" $cba restore $nodeopts \
	    --keyspaces bulk0 --restore-dir "$BENCH_DIR/node-restore" || rc=1
	# A rerun over a complete restore directory (an interrupted restore
	# run again): every file is kept after its SHA-256 is checked, none
	# fetched.
	measure "restore rerun (all kept)" $cba restore $nodeopts \
	    --keyspaces bulk0 --restore-dir "$BENCH_DIR/node-restore" || rc=1
	measure "aws cp -r + lzop -d each" sh -c "
	    /usr/bin/aws --endpoint-url '$S3_ENDPOINT' s3 cp --recursive \
		--only-show-errors '$url/seed/node1' '$stage' &&
	    find '$stage' -name '*.lzo' -exec lzop -q -d -U {} +" || rc=1
	measure "rclone copy (down, raw)" env -u AWS_CA_BUNDLE rclone copy \
	    "bench:$S3_BUCKET/rclone" "$BENCH_DIR/node-rclone" || rc=1
	ratio "cassandra-backups restore" "aws cp -r + lzop -d each"
	ratio "cassandra-backups restore" "rclone copy (down, raw)"
	ratio "restore rerun (all kept)" "cassandra-backups restore"
	rm -rf "$BENCH_DIR/node-restore" "$BENCH_DIR/node-rclone" "$stage"

	bench_s3_stop "$state"
	rm -rf "$state"
	return "$rc"
}

bench_node_main
