#!/usr/bin/env bats
# cb-s3get against a real S3 server (Ceph RGW), with the aws CLI as the
# second client.

load helpers
load s3_helpers
bats_require_minimum_version 1.5.0

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() { s3_setup; }
teardown() { proxy_stop; }

# mpu_create KEY: a multipart upload of KEY that is never completed (the
# aws CLI, straight to the server); prints its upload id.
mpu_create() {
	awscli s3api create-multipart-upload --bucket "$S3_BUCKET" --key "$1" \
	    --query UploadId --output text
}

@test "cb-s3get: --help prints the usage on stdout, exit 0" {
	local_only
	run cb-s3get -h
	expect_status 0
	[[ "$output" == usage:\ cb-s3get* ]]
	run cb-s3get --list s3://b
	expect_status 64
	run cb-s3get --json s3://b/k
	expect_status 64
}

@test "cb-s3get: reads what aws wrote: single PUT and multipart" {
	mkdata small 1234
	mkdata big $((17 * 1024 * 1024 + 3))
	awscli s3 cp small "$B/$T/small"
	awscli s3 cp big "$B/$T/big"
	cb-s3get "$B/$T/small" small.back
	cmp small small.back
	cb-s3get -j 3 --part-size 5M "$B/$T/big" big.back
	cmp big big.back
	cb-s3get -j 2 --part-size 5M "$B/$T/big" | cmp - big
	awscli s3 rm "$B/$T/big"
}

@test "cb-s3get: reads a stream aws uploaded from a pipe" {
	mkdata f $((9 * 1024 * 1024 + 11))
	cat f | awscli s3 cp - "$B/$T/stream"
	cb-s3get --part-size 5M "$B/$T/stream" back
	cmp f back
}

@test "cb-s3get: zero bytes and 5 MiB + 1 byte" {
	: >empty
	awscli s3 cp empty "$B/$T/empty"
	cb-s3get "$B/$T/empty" e
	[ -f e ] && [ ! -s e ]
	mkdata f $((5 * 1024 * 1024 + 1))
	cb-s3put "$B/$T/five" f >/dev/null
	cb-s3get --part-size 5M "$B/$T/five" back
	cmp f back
}

@test "cb-s3get: --unpack verifies and restores what --pack stored" {
	mkdata f 200000
	seq 1 300000 >>f
	cb-s3put --pack "$B/$T/f.lzo" f >/dev/null
	cb-s3get --unpack "$B/$T/f.lzo" back
	cmp f back
	# a corrupt lzop object: exit 65 and no file left behind
	cb-pack f >f.lzo
	flip_byte f.lzo 5000
	awscli s3 cp f.lzo "$B/$T/bad.lzo"
	run cb-s3get --unpack "$B/$T/bad.lzo" out
	expect_status 65
	[ ! -e out ]
	[ -z "$(ls -A | grep '^\.out')" ]
}

@test "cb-s3get: a missing key or bucket is a clear error, nothing written" {
	run cb-s3get "$B/$T/nope" out
	expect_status 1
	[[ "$output" == *"'$B/$T/nope'"*NoSuchKey* ]]
	[ -z "$(ls -A)" ]
	run cb-s3get s3://no-such-bucket-here/k out
	expect_status 1
	[[ "$output" == *NoSuchBucket* ]]
	[ -z "$(ls -A)" ]
}

@test "cb-s3get --missing-ok: a key that does not exist is exit 0, FILE not made" {
	run cb-s3get --missing-ok "$B/$T/nope" out
	expect_status 0
	[ -z "$output" ]
	[ -z "$(ls -A)" ]
	# an existing FILE is not touched
	printf 'old\n' >out
	touch -d '2001-02-03 04:05:06' out
	ls -l --time-style=full-iso out >before
	run cb-s3get --missing-ok -v "$B/$T/nope" out
	expect_status 0
	[[ "$output" == *"does not exist (NoSuchKey): 'out' not written"* ]]
	ls -l --time-style=full-iso out | cmp - before
	[ "$(cat out)" = old ]
	[ "$(ls -A)" = "$(printf 'before\nout')" ]
	# a key that exists is fetched as without it
	mkdata f 3000
	cb-s3put "$B/$T/f" f >/dev/null
	cb-s3get --missing-ok "$B/$T/f" out
	cmp f out
}

@test "cb-s3get --missing-ok: every other failure keeps its status" {
	local_only
	# NoSuchBucket is no missing key
	run cb-s3get --missing-ok s3://no-such-bucket-here/k out
	expect_status 1
	[[ "$output" == *NoSuchBucket* ]]
	[ ! -e out ]
	# denied
	AWS_SECRET_ACCESS_KEY=wrong run cb-s3get --missing-ok "$B/$T/nope" out
	expect_status 77
	[ ! -e out ]
	# unreachable
	run cb-s3get --missing-ok --retries 2 --retry-delay 10 \
	    --endpoint http://127.0.0.1:9 --region us-east-1 "$B/$T/nope" out
	expect_status 69
	[ ! -e out ]
	# usage: a FILE is needed, and no list mode
	run cb-s3get --missing-ok "$B/$T/nope"
	expect_status 64
	run cb-s3get --missing-ok "$B/$T/nope" -
	expect_status 64
	run cb-s3get --missing-ok --ls "$B/$T/"
	expect_status 64
}

@test "cb-s3get: --ls with pagination, --json and -0" {
	echo x >f
	for i in $(seq 1 12); do
		cb-s3put "$B/$T/k $i+%" f >/dev/null
	done
	printf 'tab\tkey' >g
	run cb-s3get --ls --max-keys 5 -vv "$B/$T/"
	expect_status 0
	[ "$(grep -c 'continuation-token=' <<<"$output")" = 2 ]
	run cb-s3get --ls --max-keys 5 "$B/$T/"
	expect_status 0
	[ "${#lines[@]}" = 12 ]
	IFS=$'\t' read -r size mtime etag key <<<"${lines[0]}"
	[ "$size" = 2 ] && [ "$key" = "$T/k 1+%" ]
	[ "$etag" = "$(md5sum f | cut -d' ' -f1)" ]
	[[ "$mtime" == 20*T*Z ]]
	run cb-s3get --ls --json "$B/$T/k 1"
	expect_status 0
	[ "${#lines[@]}" = 4 ]
	[[ "${lines[0]}" == '{"key":"'"$T"'/k 1+%","size":2,'* ]]
	[ "$(cb-s3get --ls -0 "$B/$T/" | tr -cd '\0' | wc -c)" = 12 ]
}

@test "cb-s3get --ls --delimiter: common prefixes merged with the keys in order" {
	echo x >f
	for k in a 'b-' 'b/1' 'b/2/deep' b0 'd p+%/x' e; do
		cb-s3put "$B/$T/$k" f >/dev/null
	done
	awscli s3api put-object --bucket "$S3_BUCKET" --key "$T/z/" >/dev/null
	want=$(printf '%s\n' a 'b-' 'b/' b0 'd p+%/' e 'z/')
	for mk in 1000 2 1; do
		run cb-s3get --ls --delimiter / --max-keys $mk "$B/$T/"
		expect_status 0
		[ "$(printf '%s\n' "$output" | cut -f4 | sed "s|^$T/||")" = "$want" ]
	done
	# prefixes: - in SIZE, MTIME and ETAG; objects as without it
	[[ "${lines[2]}" == $'-\t-\t-\t'"$T/b/" ]]
	[[ "${lines[0]}" == 2$'\t'20*$'\t'*$'\t'"$T/a" ]]
	run cb-s3get --ls --json --delimiter / "$B/$T/"
	expect_status 0
	[ "${lines[2]}" = '{"prefix":"'"$T"'/b/"}' ]
	[[ "${lines[3]}" == '{"key":"'"$T"'/b0","size":2,'* ]]
	[ "${lines[4]}" = '{"prefix":"'"$T"'/d p+%/"}' ]
	# another delimiter, and -0
	run cb-s3get --ls --delimiter p "$B/$T/d"
	expect_status 0
	[ "$output" = $'-\t-\t-\t'"$T/d p" ]
	[ "$(cb-s3get --ls -0 --delimiter / "$B/$T/" | tr -cd '\0' | wc -c)" = 7 ]
	# usage
	run cb-s3get --delimiter / "$B/$T/a" out
	expect_status 64
	run cb-s3get --ls --delimiter '' "$B/$T/"
	expect_status 64
}

@test "cb-s3get: list mode restores into -C DIR, verified, in input order" {
	mkdir src dst
	for i in 1 2 3 4 5; do mkdata "src/f$i" $((i * 70000)); done
	for i in 1 2 3 4 5; do
		cb-s3put --pack "$B/$T/f$i.lzo" "src/f$i" >/dev/null
		printf '%s\t%s\t%s\t%s\n' "f$i.lzo" "$(stat -c %s "src/f$i")" \
		    "$(sha "src/f$i")" "d$i/sub/f$i"
	done >in
	run cb-s3get --list -C dst --unpack -j 3 "$B/$T/" <in
	expect_status 0
	[ "${#lines[@]}" = 5 ]
	for i in 1 2 3 4 5; do
		cmp "src/f$i" "dst/d$i/sub/f$i"
		[[ "${lines[$((i - 1))]}" == ok$'\t'*$'\t'"f$i.lzo"$'\t'"d$i/sub/f$i" ]]
	done
}

@test "cb-s3get: list mode: a mismatch or a missing key fails alone" {
	mkdir dst
	mkdata f 1000
	cb-s3put "$B/$T/f" f >/dev/null
	{
		printf 'f\t1000\t%s\tgood\n' "$(sha f)"
		printf 'f\t1000\t%s\tbadsum\n' "$(sha /dev/null)"
		printf 'nope\t-\t-\tmissing\n'
		printf 'f\t-\t-\tgood2\n'
	} >in
	run cb-s3get --list -C dst "$B/$T/" <in
	expect_status 65
	grep -q "^ok	1000	$(sha f)	f	good$" <<<"$output"
	[[ "$output" == *"SHA-256"*"is not the expected"* ]]
	grep -q "^Mismatch	-	-	f	badsum$" <<<"$output"
	grep -q "^NoSuchKey	-	-	nope	missing$" <<<"$output"
	grep -q "^ok	1000	.*	f	good2$" <<<"$output"
	[ -f dst/good ] && [ -f dst/good2 ]
	[ ! -e dst/badsum ] && [ ! -e dst/missing ]
	[ -z "$(ls -A dst | grep '^\.')" ]
}

@test "cb-s3get: list mode refuses paths outside the directory" {
	local_only
	mkdir dst
	printf 'k\t-\t-\t../escape\n' >in
	run cb-s3get --list -C dst "$B/$T/" <in
	expect_status 65
	[[ "$output" == *"refusing record 1"*"'../escape'"* ]]
	printf 'k\t-\t-\t/etc/passwd\n' >in
	run cb-s3get --list -C dst "$B/$T/" <in
	expect_status 65
	printf 'k\t-\t-\ta/../../b\n' >in
	run cb-s3get --list -C dst "$B/$T/" <in
	expect_status 65
	[ -z "$(ls -A dst)" ]
}

@test "cb-s3get: a wrong secret exits 77 naming SignatureDoesNotMatch" {
	AWS_SECRET_ACCESS_KEY=wrong-secret-value run cb-s3get "$B/$T/x" out
	expect_status 77
	[[ "$output" == *SignatureDoesNotMatch* ]]
	[[ "$output" != *wrong-secret-value* ]]
	[ ! -e out ]
}

@test "cb-s3get: restores a cb-s3put manifest (the man page pipeline)" {
	mkdir -p src/ks/t dst
	for i in 1 2 3; do mkdata "src/ks/t/nb-$i-big-Data.db" $((i * 40000)); done
	for f in "$PWD"/src/ks/t/*; do
		printf '%s\t1\t2\t%s\n' "$(stat -c %s "$f")" "$f"
	done | cb-s3put --list --pack --key-prefix "$T/h1" --key-suffix .lzo \
	    "$B" >manifest
	awk -F '\t' -v OFS='\t' '$1 == "ok" { print $6, $2, $4, "." $10 }' \
	    manifest | cb-s3get --list --unpack -C dst "$B" >restored
	[ "$(grep -c '^ok' restored)" = 3 ]
	for i in 1 2 3; do
		cmp "src/ks/t/nb-$i-big-Data.db" "dst$PWD/src/ks/t/nb-$i-big-Data.db"
	done
}

@test "cb-s3get: an object replaced during the download fails (If-Match)" {
	mkdata f $((11 * 1024 * 1024))
	mkdata g $((11 * 1024 * 1024))
	cb-s3put "$B/$T/f" f >/dev/null
	cb-s3get -j 1 --part-size 5M --rate-limit 3M "$B/$T/f" out 2>err &
	pid=$!
	sleep 0.5
	cb-s3put "$B/$T/f" g >/dev/null
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 75 ]
	grep -q PreconditionFailed err
	[ ! -e out ]
}

@test "cb-s3get --ls --uploads: the uploads in progress, key last, every page" {
	a1=$(mpu_create "$T/u/a b+c")
	a2=$(mpu_create "$T/u/a b+c")
	b=$(mpu_create "$T/u/x&<y>%")
	other=$(mpu_create "$T/v/z")
	run cb-s3get --ls --uploads "$B/$T/u/"
	expect_status 0
	[ "${#lines[@]}" = 3 ]
	for l in "${lines[@]}"; do
		IFS=$'\t' read -r initiated id key <<<"$l"
		[[ "$initiated" == 20??-??-??T??:??:??*Z ]]
		case $id in
		"$a1"|"$a2") [ "$key" = "$T/u/a b+c" ] ;;
		"$b") [ "$key" = "$T/u/x&<y>%" ] ;;
		*) echo "unexpected upload $id" >&2; false ;;
		esac
	done
	[ "$(cut -f2 <<<"$output" | sort)" = "$(printf '%s\n' "$a1" "$a2" "$b" | sort)" ]
	want=$output
	# pages of one upload: the markers of each page start the next
	run cb-s3get --ls --uploads --max-keys 1 -vv "$B/$T/u/"
	expect_status 0
	[ "$(grep -c 'max-uploads=1&prefix=.*&upload-id-marker=.*&uploads= -> 200' <<<"$output")" = 2 ]
	[ "$(grep -v '^cb-s3get: ' <<<"$output")" = "$want" ]
	# the prefix is a prefix of keys
	run cb-s3get --ls --uploads "$B/$T/v"
	expect_status 0
	[[ "$output" == *$'\t'"$other"$'\t'"$T/v/z" ]]
	[ "${#lines[@]}" = 1 ]
	# JSON lines and NUL-terminated records
	run cb-s3get --ls --uploads --json "$B/$T/u/x"
	expect_status 0
	[[ "$output" == '{"key":"'"$T"'/u/x&<y>%","upload_id":"'"$b"'","initiated":"20'*'Z"}' ]]
	[ "$(cb-s3get --ls --uploads -0 "$B/$T/" | tr -cd '\0' | wc -c)" = 4 ]
	# aborted, they are gone from the listing
	for id in "$a1" "$a2"; do
		awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
		    --key "$T/u/a b+c" --upload-id "$id"
	done
	awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
	    --key "$T/u/x&<y>%" --upload-id "$b"
	run cb-s3get --ls --uploads "$B/$T/u/"
	expect_status 0
	[ -z "$output" ]
	awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
	    --key "$T/v/z" --upload-id "$other"
}

@test "cb-s3get --ls --uploads: a key with a newline needs -0; usage; errors" {
	local_only
	id=$(mpu_create "$T/new
line")
	run cb-s3get --ls --uploads "$B/$T/"
	expect_status 1
	[ "$(cb-s3get --ls --uploads -0 "$B/$T/" | tr '\0' '#')" = \
	    "$(printf '%s\t%s\t%s#' "$(cb-s3get --ls --uploads --json "$B/$T/" |
	    sed 's/.*"initiated":"\([^"]*\)".*/\1/')" "$id" "$T/new
line")" ]
	awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
	    --key "$T/new
line" --upload-id "$id"
	# usage
	run cb-s3get --uploads "$B/$T/"
	expect_status 64
	run cb-s3get --ls --uploads --delimiter / "$B/$T/"
	expect_status 64
	run cb-s3get --ls --uploads --max-keys 1001 "$B/$T/"
	expect_status 64
	# denied, no such bucket
	AWS_SECRET_ACCESS_KEY=wrong run cb-s3get --ls --uploads "$B/$T/"
	expect_status 77
	[[ "$output" == *"cannot list the uploads under '$B/$T/': SignatureDoesNotMatch"* ]]
	run cb-s3get --ls --uploads s3://no-such-bucket-here/x
	expect_status 1
	[[ "$output" == *NoSuchBucket* ]]
}

@test "cb-s3get --ls --uploads: retried like every request" {
	local_only
	id=$(mpu_create "$T/k")
	proxy_start --plan 'GET?uploads=503,500'
	CB_S3_CONNECT_TO= run cb-s3get --retry-delay 10 --endpoint "$PROXY" \
	    --ls --uploads "$B/$T/"
	expect_status 0
	[[ "$output" == *$'\t'"$id"$'\t'"$T/k" ]]
	[ "$(grep -c '^GET .*?prefix=.*&uploads= ' "$PROXY_LOG")" = 3 ]
	proxy_stop
	proxy_start --always 'GET?uploads=503'
	CB_S3_CONNECT_TO= run cb-s3get --retries 2 --retry-delay 10 \
	    --endpoint "$PROXY" --ls --uploads "$B/$T/"
	expect_status 75
	[[ "$output" == *"SlowDown (HTTP 503) after 2 tries"* ]]
	awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" --key "$T/k" \
	    --upload-id "$id"
}

@test "strict proxy: ListMultipartUploads passes, with the arguments AWS takes" {
	run s3raw GET "$(aws_url "$S3_BUCKET" "?uploads&prefix=$T/")"
	expect_status 0
	[[ "${lines[0]}" == "HTTP 200" ]]
	[[ "$output" == *"<ListMultipartUploadsResult"* ]]
	run s3raw GET "$(aws_url "$S3_BUCKET" "?uploads&max-uploads=5000")"
	[[ "${lines[0]}" == "HTTP 200" ]]
	[[ "$output" == *"<MaxUploads>1000</MaxUploads>"* ]]
	for v in abc -1 2147483648 1.5; do
		run s3raw GET "$(aws_url "$S3_BUCKET" "?uploads&max-uploads=$v")"
		[[ "${lines[0]}" == "HTTP 400" ]]
		[[ "$output" == *"<Code>InvalidArgument</Code>"*"max-uploads"* ]]
	done
	run s3raw GET "$(aws_url "$S3_BUCKET" "?uploads&encoding-type=xml")"
	[[ "${lines[0]}" == "HTTP 400" ]]
	[[ "$output" == *"Invalid Encoding Method specified in Request"* ]]
}

@test "cb-s3get --list --check: each object fetched, decoded and compared; nothing written" {
	mkdata f 3000000
	yes cassandra | head -c 3000000 >>f
	cb-pack f >f.lzo
	n=$(stat -c %s f.lzo)
	cp f.lzo flip.lzo
	flip_byte flip.lzo $((n / 2))
	head -c $((n / 2)) f.lzo >trunc.lzo
	for o in f flip trunc; do
		awscli s3 cp "$o.lzo" "$B/$T/$o.lzo"
	done
	s=$(sha f) z=$(stat -c %s f)
	{
		printf '%s\t%s\t%s\t%s\0' f.lzo "$z" "$s" d/good \
		    flip.lzo "$z" "$s" d/flip \
		    trunc.lzo "$z" "$s" d/trunc \
		    missing.lzo "$z" "$s" d/missing \
		    f.lzo 5 "$s" d/size \
		    f.lzo "$z" "$(sha f.lzo)" d/sum \
		    f.lzo - - d/any
	} >in
	mkdir w
	cd w
	rc=0
	TMPDIR=$PWD cb-s3get -0 --list --check --unpack -j 3 "$B/$T/" <../in \
	    >../out 2>../err || rc=$?
	cd ..
	[ "$rc" = 65 ]
	# nothing in the working directory, nor at any PATH
	[ -z "$(ls -A w)" ]
	[ ! -e d ]
	tr '\0' '\n' <out >got
	# a flipped byte fails a block's checksum or, in a header, the decoding
	grep -qE '^(BadData|Mismatch)	-	-	flip.lzo	d/flip$' got
	cat >want <<-END
		ok	$z	$s	f.lzo	d/good
		BadData	-	-	trunc.lzo	d/trunc
		NoSuchKey	-	-	missing.lzo	d/missing
		Mismatch	-	-	f.lzo	d/size
		Mismatch	-	-	f.lzo	d/sum
		ok	$z	$s	f.lzo	d/any
	END
	grep -v flip.lzo got | diff - want
	[ "$(wc -l <got)" = 7 ]
	grep -q "cannot download '$B/$T/trunc.lzo': truncated lzop stream" err
	grep -q "cannot download '$B/$T/missing.lzo': NoSuchKey" err
	grep -q "check of 'd/size' failed: size $z is not the expected 5" err
	grep -q "check of 'd/sum' failed: SHA-256 $s is not" err
	# without --unpack the stored bytes are compared
	printf 'f.lzo\t%s\t%s\tp\n' "$n" "$(sha f.lzo)" >in1
	run cb-s3get --list --check "$B/$T/" <in1
	expect_status 0
	[ "$output" = "ok	$n	$(sha f.lzo)	f.lzo	p" ]
	[ ! -e p ]
	# a good list is exit 0
	printf 'f.lzo\t%s\t%s\tp\n' "$z" "$s" >in2
	run cb-s3get --list --check --unpack "$B/$T/" <in2
	expect_status 0
	[ ! -e p ]
}

@test "cb-s3get --list --check: usage, bad records, and failures that stop the check" {
	local_only
	printf 'k\t-\t-\tp\n' >in
	run cb-s3get --check "$B/$T/k" - <in
	expect_status 64
	[[ "$output" == *"--check needs --list"* ]]
	mkdir dst
	run cb-s3get --list --check -C dst "$B/$T/" <in
	expect_status 64
	[[ "$output" == *"no -C DIR"* ]]
	[ -z "$(ls -A dst)" ]
	# the records are checked as for a restore
	printf 'k\t-\t-\t../escape\n' >bad
	run cb-s3get --list --check "$B/$T/" <bad
	expect_status 65
	[[ "$output" == *"refusing record 1"*"'../escape'"* ]]
	printf 'k\t-\n' >bad
	run cb-s3get --list --check "$B/$T/" <bad
	expect_status 65
	[[ "$output" == *"malformed record 1"* ]]
	# denied, unreachable: the status of the failure, as in a restore
	echo x >k
	cb-s3put "$B/$T/k" k >/dev/null
	AWS_SECRET_ACCESS_KEY=wrong run cb-s3get --list --check "$B/$T/" <in
	expect_status 77
	run cb-s3get --list --check --endpoint http://127.0.0.1:9 --retries 2 \
	    --retry-delay 10 "$B/$T/" <in
	expect_status 69
	run --separate-stderr cb-s3get --list --check "$B/$T/" <in
	expect_status 0
	[ "$output" = "ok	2	$(sha k)	k	p" ]
	[ ! -e p ]
}

# xfer_rec FILE PATH [KEY]: the cb-s3get input record restoring FILE (as
# KEY, default FILE) to PATH.
xfer_rec() {
	printf '%s\t%s\t%s\t%s\n' "${3:-$1}" "$(stat -c %s "$1")" "$(sha "$1")" \
	    "$2"
}

@test "cb-s3get --list --keep-verified: a file already as recorded is kept, not fetched" {
	local_only
	mkdir dst
	mkdata f1 3000
	mkdata f2 5000
	mkdata f3 700
	for f in f1 f2 f3; do cb-s3put "$B/$T/$f" "$f" >/dev/null; done
	{
		xfer_rec f1 a/f1
		xfer_rec f2 a/f2
		xfer_rec f3 a/f3
		printf 'f3\t-\t-\ta/nosum\n'
	} >in
	run --separate-stderr cb-s3get --list --keep-verified -C dst "$B/$T/" <in
	expect_status 0
	[ "$(cut -f1 <<<"$output" | sort | uniq -c | tr -s ' ')" = " 4 ok" ]
	# f1's object is gone: only a file kept without a GET passes; f2 has
	# a byte changed (same size), a/f3 is a symbolic link to a good copy
	# (never followed), a/nosum has no SHA-256 to verify: all fetched
	awscli s3 rm "$B/$T/f1"
	flip_byte dst/a/f2 100
	cp f3 good3
	rm dst/a/f3
	ln -s "$PWD/good3" dst/a/f3
	run --separate-stderr cb-s3get --list --keep-verified -j 2 -C dst \
	    "$B/$T/" <in
	expect_status 0
	cat >want <<-END
		kept	3000	$(sha f1)	f1	a/f1
		ok	5000	$(sha f2)	f2	a/f2
		ok	700	$(sha f3)	f3	a/f3
		ok	700	$(sha f3)	f3	a/nosum
	END
	diff want - <<<"$output"
	cmp f1 dst/a/f1
	cmp f2 dst/a/f2
	[ -f dst/a/f3 ] && [ ! -L dst/a/f3 ]
	cmp f3 dst/a/f3
	cmp f3 good3
	# without it, a file present is fetched as before (f1: NoSuchKey,
	# and the file left as it was)
	run --separate-stderr cb-s3get --list -C dst "$B/$T/" <in
	expect_status 1
	[ "${lines[0]}" = "NoSuchKey	-	-	f1	a/f1" ]
	cmp f1 dst/a/f1
	# usage: it restores, it does not check
	run cb-s3get --list --check --keep-verified "$B/$T/" <in
	expect_status 64
	run cb-s3get --keep-verified "$B/$T/f2" out
	expect_status 64
	[ ! -e out ]
}

@test "cb-s3get --list --progress=SECONDS: progress lines on stderr, records untouched" {
	# nothing here depends on how the server is reached: once is enough
	[ "${S3_MODE:-http}" = http ] || skip "rate-limited: the http pass only"
	mkdir dst
	mkdata f 400000
	cb-s3put "$B/$T/f" f >/dev/null
	cp f dst/kept
	{
		xfer_rec f kept
		xfer_rec f p1
		xfer_rec f p2
		printf 'nope\t1000\t-\tmissing\n'
	} >in
	# 800 kB at 512 KiB/s: more than a second, so a line on the way
	run --separate-stderr cb-s3get --list --keep-verified -j 1 \
	    --rate-limit 512K --progress=1 -C dst "$B/$T/" <in
	expect_status 1
	[ "${#lines[@]}" = 4 ]
	[ "$(cut -f1 <<<"$output" | tr '\n' ' ')" = "kept ok ok NoSuchKey " ]
	grep '^cb-s3get: progress ' <<<"$stderr" >prog
	[ "$(grep -vc '^cb-s3get: progress [0-9]* 4 [0-9]* 1201000$' prog)" = 0 ]
	[ "$(wc -l <prog)" -ge 2 ]
	# done never goes back; the last line is the end: the kept file
	# counts, the missing one does not
	sort -n -k3,3 -k5,5 -s prog | diff - prog
	[ "$(tail -1 prog)" = "cb-s3get: progress 3 4 1200000 1201000" ]
	grep -q "cannot download '$B/$T/nope': NoSuchKey" <<<"$stderr"
	# --check too; without the option, no line
	run --separate-stderr cb-s3get --list --check --progress=3600 \
	    "$B/$T/" < <(xfer_rec f p1)
	expect_status 0
	[ "$stderr" = "cb-s3get: progress 1 1 400000 400000" ]
	run --separate-stderr cb-s3get --list -C dst "$B/$T/" < <(xfer_rec f p1)
	expect_status 0
	[ -z "$stderr" ]
	# usage: a number of seconds, after '=', in list mode
	run cb-s3get --list --progress=0 -C dst "$B/$T/" <in
	expect_status 64
	run cb-s3get --list --progress 5 -C dst "$B/$T/" <in
	expect_status 64
	[[ "$output" == *"--progress=5"* ]]
	run cb-s3get --progress=1 "$B/$T/f" out
	expect_status 64
}

# tmpfs_run SIZE DIR CMD...: CMD (stdin kept, stdout to out, stderr to err)
# with a tmpfs of SIZE on DIR, in a mount namespace of its own: the tmpfs
# goes with it, so what is left in it is listed in DIR.ls first.  With
# SEED set, that directory's content is copied into the tmpfs before.
tmpfs_run() {
	[ "$(id -u)" = 0 ] && unshare -m true 2>/dev/null ||
	    skip "needs root and unshare -m (a tmpfs of a given size)"
	mkdir -p "$2"
	run unshare -m bash -c 'mount -t tmpfs -o size="$1" tmpfs "$2" || exit 99
		d=$2
		shift 2
		[ -z "${SEED:-}" ] || cp -a "$SEED/." "$d/" || exit 98
		rc=0
		"$@" >out 2>err || rc=$?
		(cd "$d" && find . -mindepth 1 | sort) >"$d.ls"
		exit "$rc"' tmpfs_run "$@"
}

@test "cb-s3get --list: not enough free space: exit 73 before any request" {
	local_only
	# the keys do not exist: a GET would give NoSuchKey records
	printf 'nope1\t700000\t-\ta/one\nnope2\t700000\t-\ta/two\n' >in
	tmpfs_run 1m dst cb-s3get --list -C dst "$B/$T/" <in
	expect_status 73
	[ ! -s out ]
	[ "$(cat err)" = "cb-s3get: not enough space in 'dst': the files need 1400000 bytes (1.3 MiB), the file system has 1048576 bytes (1.0 MiB) free" ]
	[ ! -s dst.ls ]
	# a file --keep-verified keeps is not needed: then it fits
	mkdir -p seed/a
	mkdata seed/a/big 900000
	mkdata small 100000
	cb-s3put "$B/$T/small" small >/dev/null
	{ xfer_rec seed/a/big a/big gone; xfer_rec small a/small; } >in
	SEED=$PWD/seed tmpfs_run 1m dst cb-s3get --list -C dst "$B/$T/" <in
	expect_status 73
	[ ! -s out ]
	grep -q "the files need 1000000 bytes" err
	[ "$(cat dst.ls)" = "$(printf './a\n./a/big')" ]
	SEED=$PWD/seed tmpfs_run 1m dst cb-s3get --list --keep-verified \
	    -C dst "$B/$T/" <in
	expect_status 0
	[ "$(cut -f1,2,4 out)" = "$(printf 'kept\t900000\tgone\nok\t100000\tsmall')" ]
	[ "$(cat dst.ls)" = "$(printf './a\n./a/big\n./a/small')" ]
	# --check writes nothing: no check of the space
	run cb-s3get --list --check "$B/$T/" < <(xfer_rec small a/small)
	expect_status 0
}

@test "cb-s3get: a file system that fills up: NoSpace, exit 73 (--list), exit 1 (one object), nothing partial left" {
	local_only
	mkdata small 1000
	mkdata big $((2 * 1024 * 1024))
	cb-s3put "$B/$T/small" small >/dev/null
	cb-s3put "$B/$T/big" big >/dev/null
	# unknown sizes pass the space check
	printf '%s\t-\t-\t%s\n' small a/small big a/big small a/later >in
	tmpfs_run 1m dst cb-s3get --list -j 1 -C dst "$B/$T/" <in
	expect_status 73
	# the files after it are not tried: no record
	[ "$(cat out)" = "$(printf 'ok\t1000\t%s\tsmall\ta/small\nNoSpace\t-\t-\tbig\ta/big' "$(sha small)")" ]
	grep -q "cannot write 'a/big': No space left on device" err
	grep -q "no space left in 'dst': no further file is fetched" err
	# no partial file at its path, no temporary file
	[ "$(cat dst.ls)" = "$(printf './a\n./a/small')" ]
	# unpacked on the way: the same
	cb-s3put --pack "$B/$T/big.lzo" big >/dev/null
	printf 'big.lzo\t-\t-\tb/big\n' >in
	tmpfs_run 1m dst cb-s3get --list --unpack -C dst "$B/$T/" <in
	expect_status 73
	[ "$(cat out)" = "$(printf 'NoSpace\t-\t-\tbig.lzo\tb/big')" ]
	[ "$(cat dst.ls)" = ./b ]
	# one object, written past the page cache: the error, nothing left
	tmpfs_run 1m dst cb-s3get "$B/$T/big" dst/big
	expect_status 1
	[ "$(cat err)" = "cb-s3get: cannot write 'dst/big': No space left on device" ]
	[ ! -s dst.ls ]
}
