# bench/bench-s3.sh: cb-s3put / cb-s3get against the aws CLI and rclone on
# the same Ceph RGW (sourced by bench/run.sh, which provides REPO,
# BENCH_DIR, PATH and bench/lib.sh).
#
#   BENCH_S3_MIB     size of the single object (default 1024)
#   BENCH_S3_FILES   SSTable-like files for the list-mode run: 28 per
#                    table directory (default 800, i.e. 29 tables)
#
# Starts its own server (test/services/s3.sh, port CB_TEST_S3_PORT) and
# stops it at the end.

bench_s3_main() {
	local mib=${BENCH_S3_MIB:-1024} nfiles=${BENCH_S3_FILES:-800}
	local state big tree tables i aws rc=0
	state=$(mktemp -d /tmp/cb-bench-s3.XXXXXX)
	echo "bench-s3: starting the S3 server"
	# The store holds every upload (RGW frees deleted objects' data only
	# at its garbage collection, and a full store makes PUTs hang): the
	# object six times (four tools, --unpack's lzop copy, the RSS run),
	# the tree three times.
	bench_s3_start "$state" $((7 * mib + 2048)) || return 1
	export AWS_EC2_METADATA_DISABLED=true
	export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Ceph
	export RCLONE_CONFIG_BENCH_ENDPOINT=$S3_ENDPOINT
	export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
	export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
	aws=(/usr/bin/aws --endpoint-url "$S3_ENDPOINT" s3 cp --only-show-errors)

	big=$BENCH_DIR/s3-$mib.bin
	if [ ! -f "$big" ]; then
		echo "bench-s3: generating $mib MiB"
		head -c $((mib * 1048576)) /dev/urandom >"$big.tmp" &&
		    mv "$big.tmp" "$big"
	fi
	cat "$big" >/dev/null
	bench_s3_single "$mib" "$big" || rc=1

	tables=$(((nfiles + 27) / 28))
	tree=$BENCH_DIR/s3-tree-$tables
	if [ ! -f "$tree/.done" ]; then
		echo "bench-s3: generating $tables table directories"
		rm -rf "$tree"
		for i in $(seq -w 1 "$tables"); do
			nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" \
			    "$tree/ks/t$i-0123456789abcdef" 16 >/dev/null ||
			    return 1
		done
		touch "$tree/.done"
	fi
	bench_s3_list "$tree" || rc=1

	bench_s3_stop "$state"
	rm -rf "$state"
	return "$rc"
}

bench_s3_single() {
	local mib=$1 big=$2 out=$BENCH_DIR/s3-down.bin
	local url=s3://$S3_BUCKET/bench

	bench_header "S3: one $mib MiB object, up and down"
	measure "cb-s3put" cb-s3put --endpoint "$S3_ENDPOINT" "$url/cb" "$big"
	measure "cb-s3put --checksum crc32c" cb-s3put --checksum crc32c \
	    --endpoint "$S3_ENDPOINT" "$url/cbcrc" "$big"
	measure "aws s3 cp (up)" "${aws[@]}" "$big" "$url/aws"
	measure "rclone copyto (up)" env -u AWS_CA_BUNDLE rclone copyto "$big" "bench:$S3_BUCKET/bench/rclone"
	ratio "cb-s3put" "aws s3 cp (up)"
	ratio "cb-s3put" "rclone copyto (up)"
	ratio "cb-s3put --checksum crc32c" "aws s3 cp (up)"
	measure "cb-s3get" cb-s3get --endpoint "$S3_ENDPOINT" "$url/cb" "$out"
	cmp -s "$big" "$out" || echo "bench-s3: cb-s3get: wrong bytes" >&2
	measure "aws s3 cp (down)" "${aws[@]}" "$url/aws" "$out"
	measure "rclone copyto (down)" env -u AWS_CA_BUNDLE rclone copyto "bench:$S3_BUCKET/bench/rclone" "$out"
	measure "curl GET (down)" curl -sS -o "$out" "$(/usr/bin/aws \
	    --endpoint-url "$S3_ENDPOINT" s3 presign "$url/cb")"
	ratio "cb-s3get" "aws s3 cp (down)"
	ratio "cb-s3get" "rclone copyto (down)"
	ratio "cb-s3get" "curl GET (down)"
	bench_do "cb-pack: the lzop object" cb-pack -o "$out.lzo" "$big"
	bench_do "cb-s3put: the lzop object" cb-s3put --endpoint "$S3_ENDPOINT" \
	    "$url/cb.lzo" "$out.lzo"
	measure "cb-s3get --unpack" cb-s3get --unpack \
	    --endpoint "$S3_ENDPOINT" "$url/cb.lzo" "$out"
	cmp -s "$big" "$out" || echo "bench-s3: cb-s3get --unpack: wrong bytes" >&2
	measure "rclone + lzop -d (down)" sh -c "env -u AWS_CA_BUNDLE rclone \
	    copyto 'bench:$S3_BUCKET/bench/cb.lzo' '$out.lzo' &&
	    lzop -dfq -o '$out' '$out.lzo'"
	ratio "cb-s3get --unpack" "rclone + lzop -d (down)"
	ratio "cb-s3get --unpack" "cb-s3get"
	rm -f "$out" "$out.lzo"
	bench_do "clean-up: aws s3 rm --recursive" /usr/bin/aws \
	    --endpoint-url "$S3_ENDPOINT" s3 rm --recursive \
	    --only-show-errors "$url/"

	# Peak RSS must not grow with the object: a tenth of it, piped.
	bench_header "S3: peak RSS, $((mib / 10)) MiB against $mib MiB"
	measure "cb-s3put, $((mib / 10)) MiB stream" sh -c \
	    "head -c $((mib * 104858)) '$big' | cb-s3put --endpoint '$S3_ENDPOINT' '$url/small'"
	measure "cb-s3put, $mib MiB stream" sh -c \
	    "cb-s3put --endpoint '$S3_ENDPOINT' '$url/all' <'$big'"
	bench_do "clean-up: aws s3 rm --recursive" /usr/bin/aws \
	    --endpoint-url "$S3_ENDPOINT" s3 rm --recursive \
	    --only-show-errors "$url/"
}

bench_s3_list() {
	local tree=$1 tmp=$BENCH_DIR/s3-lzop n raw
	local url=s3://$S3_BUCKET/bench

	n=$(find "$tree" -type f ! -name .done | wc -l)
	raw=$(find "$tree" -type f ! -name .done -print0 | du -cb --files0-from=- | tail -1 | cut -f1)
	bench_header "S3: $n files ($((raw / 1048576)) MiB), compressed on the way"
	find "$tree" -type f ! -name .done -print0 | xargs -0 cat >/dev/null
	measure "cb-s3put --list --pack" sh -c "find '$tree' -type f ! -name .done -print0 |
	    cb-s3put -0 --list --pack --fields 1 --key-prefix bench/cb \
	    --key-suffix .lzo --endpoint '$S3_ENDPOINT' 's3://$S3_BUCKET'"
	measure "lzop + aws s3 cp --recursive" sh -c "rm -rf '$tmp' &&
	    cd '$tree' && for d in ks/*; do mkdir -p '$tmp'/\$d &&
	    lzop -q -p'$tmp'/\$d \$d/* || exit 1; done &&
	    /usr/bin/aws --endpoint-url '$S3_ENDPOINT' s3 cp --recursive \
	    --only-show-errors '$tmp' '$url/aws'"
	ratio "cb-s3put --list --pack" "lzop + aws s3 cp --recursive"
	rm -rf "$tmp"
	bench_do "clean-up: aws s3 rm --recursive" /usr/bin/aws \
	    --endpoint-url "$S3_ENDPOINT" s3 rm --recursive \
	    --only-show-errors "$url/"
}

bench_s3_main
