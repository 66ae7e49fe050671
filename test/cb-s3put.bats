#!/usr/bin/env bats
# cb-s3put against a real S3 server (Ceph RGW), with the aws CLI as the
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

@test "cb-s3put: --help prints the usage on stdout, exit 0" {
	local_only
	run cb-s3put --help
	expect_status 0
	[[ "$output" == usage:\ cb-s3put* ]]
}

@test "cb-s3put: bad usage exits 64" {
	local_only
	run cb-s3put
	expect_status 64
	run cb-s3put --bogus s3://b/k
	expect_status 64
	run cb-s3put --part-size 1M s3://b/k f
	expect_status 64
	run cb-s3put http://b/k f
	expect_status 64
	run cb-s3put --key-prefix x s3://b/k f
	expect_status 64
}

@test "cb-s3put: bad S3 settings exit 64, naming the value" {
	local_only
	echo x >f
	run cb-s3put --addressing-style dns "$B/$T/f" f
	expect_status 64
	[[ "$output" == *"invalid addressing style 'dns'"* ]]
	run cb-s3put --ca-bundle /nonexistent/ca.pem "$B/$T/f" f
	expect_status 64
	[[ "$output" == *"cannot read the CA bundle '/nonexistent/ca.pem'"* ]]
	for bad in 127.0.0.1 127.0.0.1:0 127.0.0.1:99999 'a b:80' '[::1]' \
	    'h:80;x'; do
		run cb-s3put --connect-to "$bad" "$B/$T/f" f
		expect_status 64
	done
	CB_S3_CONNECT_TO=nope run cb-s3put "$B/$T/f" f
	expect_status 64
	[[ "$output" == *"'nope'"*"comes from CB_S3_CONNECT_TO"* ]]
	AWS_MAX_ATTEMPTS=0 run cb-s3put "$B/$T/f" f
	expect_status 64
	[[ "$output" == *"comes from AWS_MAX_ATTEMPTS"* ]]
	AWS_MAX_ATTEMPTS=x run cb-s3get "$B/$T/f" -
	expect_status 64
	# a bad endpoint is a usage error, not "permission denied"
	run cb-s3put --endpoint ftp://host "$B/$T/f" f
	expect_status 64
	[[ "$output" == *"cannot use endpoint 'ftp://host'"* ]]
	AWS_ENDPOINT_URL='https://h/?q' run cb-s3get "$B/$T/f" -
	expect_status 64
}

@test "cb-s3put: a single PUT is read back byte-identical by aws" {
	mkdata f 100000
	run cb-s3put "$B/$T/f" f
	expect_status 0
	IFS=$'\t' read -r st raw stored sum etag key <<<"$output"
	[ "$st" = ok ] && [ "$raw" = 100000 ] && [ "$stored" = 100000 ]
	[ "$sum" = "$(sha f)" ]
	[ "$etag" = "$(md5sum f | cut -d' ' -f1)" ]
	[ "$key" = "$T/f" ]
	awscli s3 cp "$B/$T/f" back
	cmp f back
}

@test "cb-s3put: multipart with concurrent parts, read back by aws" {
	mkdata f $((21 * 1024 * 1024 + 17))
	run cb-s3put -j 8 --part-size 5M "$B/$T/mp" f
	expect_status 0
	[[ "$output" == ok*-5$'\t'"$T/mp" ]]
	awscli s3 cp "$B/$T/mp" back
	cmp f back
	awscli s3 rm "$B/$T/mp"
}

@test "cb-s3put: a stream of unknown length from a pipe" {
	mkdata f $((12 * 1024 * 1024 + 5))
	cat f | cb-s3put --part-size 5M "$B/$T/stream" >out
	cut -f1,2,4 out >got
	printf 'ok\t%s\t%s\n' $((12 * 1024 * 1024 + 5)) "$(sha f)" >want
	cmp got want
	awscli s3 cp "$B/$T/stream" back
	cmp f back
	awscli s3 rm "$B/$T/stream"
}

@test "cb-s3put: zero bytes, and 5 MiB + 1 byte at the part boundary" {
	: >empty
	run cb-s3put "$B/$T/empty" empty
	expect_status 0
	[[ "$output" == ok$'\t'0$'\t'0$'\t'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855* ]]
	: | cb-s3put "$B/$T/empty2" >/dev/null
	mkdata f $((5 * 1024 * 1024 + 1))
	cb-s3put --part-size 5M "$B/$T/five" f >/dev/null
	awscli s3 cp "$B/$T/empty2" e2
	[ ! -s e2 ]
	awscli s3 cp "$B/$T/five" back
	cmp f back
}

@test "cb-s3put: --pack stores exactly what cb-pack writes" {
	mkdata f 300000
	yes cassandra | head -c 2000000 >>f
	cb-s3put --pack "$B/$T/f.lzo" f >out
	awscli s3 cp "$B/$T/f.lzo" f.lzo
	cb-pack f >want.lzo
	cmp f.lzo want.lzo
	lzop -dc f.lzo | cmp - f
	[ "$(cut -f4 out)" = "$(sha f)" ]
	[ "$(cut -f3 out)" = "$(stat -c %s f.lzo)" ]
}

@test "cb-s3put: a wrong secret exits 77 naming SignatureDoesNotMatch" {
	echo data >f
	AWS_SECRET_ACCESS_KEY=wrong-secret-value run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *SignatureDoesNotMatch* ]]
	[[ "$output" != *wrong-secret-value* ]]
	AWS_ACCESS_KEY_ID=AKNOSUCHKEY run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *InvalidAccessKeyId* ]]
}

@test "cb-s3put: an unknown bucket and a missing file are clear errors" {
	echo data >f
	run cb-s3put s3://no-such-bucket-here/k f
	expect_status 1
	[[ "$output" == *"'s3://no-such-bucket-here/k'"*NoSuchBucket* ]]
	run cb-s3put "$B/$T/k" missing
	expect_status 1
	[[ "$output" == *"cannot open 'missing'"* ]]
}

@test "cb-s3put: a server that is down: retries, then exit 69" {
	local_only
	echo data >f
	run cb-s3put --endpoint http://127.0.0.1:9 --retries 3 \
	    --retry-delay 10 -vv "$B/$T/f" f
	expect_status 69
	[ "$(grep -c 'try [0-9]' <<<"$output")" = 3 ]
	[[ "$output" == *"after 3 tries"* ]]
}

@test "cb-s3put: odd keys are stored literally, listed and read back" {
	keys=("sp ace" "plus+sign" "per%cent" "unicodé✓" "a//b" "q?x=1&y"
	    "t~ilde*star(1)")
	for k in "${keys[@]}"; do
		printf '%s' "$k" >f
		cb-s3put "$B/$T/$k" f >/dev/null
	done
	awscli s3api list-objects-v2 --bucket "$S3_BUCKET" --prefix "$T/" \
	    --query 'Contents[].Key' --output json >aws.json
	for k in "${keys[@]}"; do
		grep -qF "\"$T/$k\"" aws.json
		[ "$(cb-s3get "$B/$T/$k")" = "$k" ]
	done
	run cb-s3get --ls "$B/$T/"
	expect_status 0
	[ "${#lines[@]}" = 7 ]
	[[ "$output" == *$'\t'"$T/plus+sign"* ]]
	[[ "$output" == *$'\t'"$T/unicodé✓"* ]]
	[[ "$output" == *$'\t'"$T/a//b"* ]]
}

@test "cb-s3put: list mode with cb-list records, --pack, -0, in order" {
	mkdir -p data/ks/t1
	for i in 1 2 3 4 5 6; do
		mkdata "data/ks/t1/nb-$i-big-Data.db" $((i * 50000))
		seq 1 $((i * 10000)) >>"data/ks/t1/nb-$i-big-Data.db"
	done
	printf 'sp ace' >"data/ks/t1/odd name"
	{
		for f in "$PWD"/data/ks/t1/nb-*; do
			printf '%s\t%s\t%s\t%s\0' "$(stat -c %s "$f")" 1 2 "$f"
		done
		printf '1\t2\t3\t%s\0' "$PWD/data/ks/t1/missing"
		printf '9\t9\t9\t%s\0' "$PWD/data/ks/t1/odd name"
	} >in
	rc=0
	cb-s3put -0 --list --pack -j 3 --key-prefix "$T/host1" \
	    --key-suffix .lzo "$B" <in >out 2>err || rc=$?
	[ "$rc" = 1 ]
	grep -q "cannot open '$PWD/data/ks/t1/missing'" err
	tr '\0' '\n' <out >res
	[ "$(wc -l <res)" = 8 ]
	n=0
	while IFS=$'\t' read -r st raw stored sum etag key size mt ino path; do
		n=$((n + 1))
		if [ "$n" = 7 ]; then
			[ "$st" = NoSuchFile ] && [ "$raw" = - ]
			[ "$path" = "$PWD/data/ks/t1/missing" ]
			continue
		fi
		[ "$st" = ok ]
		[ "$key" = "$T/host1$path.lzo" ]
		[ "$raw" = "$(stat -c %s "$path")" ]
		[ "$sum" = "$(sha "$path")" ]
		[ "$size" != "" ] && [ "$mt" != "" ] && [ "$ino" != "" ]
		[ "$n" = 8 ] || [[ "$path" == */nb-$n-big-Data.db ]]
	done <res
	[ "$n" = 8 ]
	f=$PWD/data/ks/t1/nb-4-big-Data.db
	cb-s3get "$B/$T/host1$f.lzo" got.lzo
	cb-pack "$f" | cmp - got.lzo
	cb-s3get --unpack "$B/$T/host1$PWD/data/ks/t1/odd name.lzo" | \
	    cmp - "data/ks/t1/odd name"
	# a path with a TAB gets an escaped key (cb-transfer(5))
	printf 'x' >"t	ab"
	printf '1\t2\t3\t%s\0' "$PWD/t	ab" >in
	cb-s3put -0 --list --key-prefix "$T/" "$B" <in >out
	[ "$(cut -f1,6 <out | tr -d '\0')" = "ok	$T/$PWD/t%09ab" ]
}

@test "cb-s3put: list mode with KEY TAB PATH records; bad records exit 65" {
	echo one >a
	echo two >b
	printf '%s\t%s\n' "$T/x/a" a "$T/x/b" b >in
	run cb-s3put --list "$B" <in
	expect_status 0
	[ "${#lines[@]}" = 2 ]
	[[ "${lines[1]}" == ok$'\t'4$'\t'4$'\t'*$'\t'"$T/x/b"$'\t'"$T/x/b"$'\t'b ]]
	[ "$(cb-s3get "$B/$T/x/a")" = one ]
	printf 'no-tab-here\n' | { run cb-s3put --list "$B"; \
	    expect_status 65; [[ "$output" == *"malformed record 1"* ]]; }
}

@test "cb-s3put: SSE AES256 and SSE-KMS round trips, storage class" {
	mkdata f $((6 * 1024 * 1024))
	cb-s3put --sse AES256 --storage-class STANDARD "$B/$T/aes" f >/dev/null
	cb-s3get "$B/$T/aes" | cmp - f
	cb-s3put --sse aws:kms --sse-kms-key-id testkey-1 --part-size 5M \
	    "$B/$T/kms" f >/dev/null
	cb-s3get "$B/$T/kms" | cmp - f
	awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/kms" >head
	grep -q '"ServerSideEncryption": "aws:kms"' head
	grep -q '"SSEKMSKeyId": "testkey-1"' head
	awscli s3 cp "$B/$T/kms" back
	cmp f back
	run cb-s3put --sse-kms-key-id testkey-1 "$B/$T/kms" f
	expect_status 64
	run cb-s3put --sse aes "$B/$T/kms" f
	expect_status 64
}

@test "cb-s3put: per-request checksums sha256, md5, crc32c and none" {
	mkdata f $((5 * 1024 * 1024 + 300))
	for ck in sha256 md5 crc32c none; do
		cb-s3put --checksum $ck --part-size 5M "$B/$T/$ck" f >/dev/null
		cb-s3get "$B/$T/$ck" | cmp - f
	done
	run cb-s3put --checksum crc32 "$B/$T/x" f
	expect_status 64
}

@test "cb-s3put: --rate-limit caps the transfer and still completes" {
	local_only
	mkdata f $((1024 * 1024))
	run cb-s3put --rate-limit 2M -vv "$B/$T/f" f
	expect_status 0
	cb-s3get --rate-limit 4M "$B/$T/f" | cmp - f
	run cb-s3put --rate-limit 10 "$B/$T/f" f
	expect_status 64
}

@test "cb-s3put: --progress draws a progress line, -q silences it" {
	local_only
	mkdata f $((1024 * 1024))
	cb-s3put --progress --rate-limit 512K "$B/$T/f" f 2>err >/dev/null
	grep -q 'cb-s3put: .* MiB in .* s, .* MiB/s' err
	cb-s3get --progress -q "$B/$T/f" back 2>err
	[ ! -s err ]
	cmp f back
}

@test "cb-s3put --if-none-match: creates once, then exit 73: it exists" {
	echo first >one
	echo second >two
	run cb-s3put --if-none-match "$B/$T/lock" one
	expect_status 0
	[[ "$output" == ok$'\t'6$'\t'* ]]
	run cb-s3put --if-none-match "$B/$T/lock" two
	expect_status 73
	[[ "$output" == *"cannot create '$B/$T/lock' from 'two': it exists already (PreconditionFailed (HTTP 412)"* ]]
	awscli s3 cp "$B/$T/lock" back
	cmp one back
	# without it, the key is replaced as before
	cb-s3put "$B/$T/lock" two >/dev/null
	awscli s3 cp "$B/$T/lock" back
	cmp two back
	# list mode: the status word, and 73 for the run
	printf 'lock\ttwo\nnew\ttwo\n' >in
	run --separate-stderr cb-s3put --list --if-none-match "$B/$T/" <in
	expect_status 73
	[[ "${lines[0]}" == PreconditionFailed$'\t'-$'\t'* ]]
	[[ "${lines[1]}" == ok$'\t'* ]]
}

@test "cb-s3put --if-none-match: a multipart upload over an existing key is refused, nothing left" {
	mkdata big $((11 * 1024 * 1024))
	echo small >small
	cb-s3put "$B/$T/big" small >/dev/null
	run cb-s3put --if-none-match --part-size 5M "$B/$T/big" big
	expect_status 73
	[[ "$output" == *"it exists already"* ]]
	awscli s3 cp "$B/$T/big" back
	cmp small back
	no_uploads_left "$T/"
	run cb-s3put --if-none-match --part-size 5M "$B/$T/big2" big
	expect_status 0
	awscli s3 cp "$B/$T/big2" back
	cmp big back
}

@test "cb-s3put --delete: removes the key; a missing key is success" {
	echo x >f
	cb-s3put "$B/$T/f" f >/dev/null
	run cb-s3put --delete "$B/$T/f"
	expect_status 0
	[ -z "$output" ]
	run awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/f"
	[ "$status" -ne 0 ]
	run cb-s3put --delete "$B/$T/f"
	expect_status 0
	# the lock cycle: create-only, delete, create-only again
	cb-s3put --if-none-match "$B/$T/lock" f >/dev/null
	cb-s3put --delete "$B/$T/lock"
	cb-s3put --if-none-match "$B/$T/lock" f >/dev/null
	# failures keep their status
	run cb-s3put --delete s3://no-such-bucket-here/k
	expect_status 1
	[[ "$output" == *"cannot delete 's3://no-such-bucket-here/k': NoSuchBucket"* ]]
	AWS_SECRET_ACCESS_KEY=wrong run cb-s3put --delete "$B/$T/lock"
	expect_status 77
	awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/lock" >/dev/null
	# usage
	run cb-s3put --delete "$B/$T/lock" f
	expect_status 64
	run cb-s3put --delete "$B/$T/"
	expect_status 64
	run cb-s3put --delete --pack "$B/$T/lock"
	expect_status 64
	run cb-s3put --delete --if-none-match "$B/$T/lock"
	expect_status 64
	# the options a wrapper always passes do no harm
	run cb-s3put --delete --sse AES256 --storage-class STANDARD "$B/$T/lock"
	expect_status 0
	run cb-s3put --delete --list --key-prefix x "$B/$T/" </dev/null
	expect_status 64
	run cb-s3put --delete --list --fields 3 "$B/$T/" </dev/null
	expect_status 64
	run cb-s3put --delete --list "$B/$T/" x </dev/null
	expect_status 64
}

# via_proxy CMD ARGS...: CMD configured as for AWS (no endpoint, a region,
# TLS) reaching the strict proxy of this test's proxy_start --aws, in
# every S3_MODE.
via_proxy() {
	env -u AWS_ENDPOINT_URL AWS_REGION="$S3_AWS_REGION" \
	    AWS_CA_BUNDLE="$S3_CA_BUNDLE" CB_S3_CONNECT_TO="$PROXY_CONNECT_TO" \
	    "$@"
}

# rgw_put_keys <KEYS: a one-byte object for each key (newline records),
# straight to the server, 16 at a time.
rgw_put_keys() {
	echo x >one
	sed 's/$/\tone/' >put.in
	env -u CB_S3_CONNECT_TO -u AWS_CA_BUNDLE cb-s3put -j 16 --list \
	    --endpoint "$S3_ENDPOINT" "$B" <put.in >put.out
	[ "$(grep -c '^ok' put.out)" = "$(wc -l <put.in)" ]
}

# keys_left PREFIX: how many keys the server holds under PREFIX.
keys_left() {
	env -u CB_S3_CONNECT_TO -u AWS_CA_BUNDLE cb-s3get -0 --ls \
	    --endpoint "$S3_ENDPOINT" "$B/$1" | tr -cd '\0' | wc -c
}

@test "cb-s3put --delete --list: 2500 keys in 3 DeleteObjects, present and absent alike, in input order" {
	seq 0 2499 | sed "s|^|$T/k|" >dk
	awk 'NR % 2' dk | rgw_put_keys
	[ "$(keys_left "$T/")" = 1250 ]
	sed 's/^/deleted\t/' dk >want
	run --separate-stderr cb-s3put --delete --list "$B" <dk
	expect_status 0
	[ -z "$stderr" ]
	printf '%s\n' "$output" | cmp - want
	[ "$(keys_left "$T/")" = 0 ]
	# again through a strict proxy of our own, -0, and a URL prefix
	awk 'NR % 3 == 0' dk | rgw_put_keys
	proxy_start --aws
	sed "s|^$T/||" dk | tr '\n' '\0' >dk0
	via_proxy cb-s3put -q -0 -j 2 --delete --list "$B/$T/" <dk0 >out
	[ "$(tr '\0' '\n' <out)" = "$(sed "s|^$T/||; s/^/deleted\t/" dk)" ]
	[ "$(keys_left "$T/")" = 0 ]
	[ "$(grep -c '^POST /?delete= virtual [^ ]* 200 ' "$PROXY_LOG")" = 3 ]
	[ "$(grep -c '^POST ' "$PROXY_LOG")" = 3 ]
	# nothing to delete: no request, no output
	: >empty
	run via_proxy cb-s3put --delete --list "$B" <empty
	expect_status 0
	[ -z "$output" ]
	[ "$(grep -c '^POST ' "$PROXY_LOG")" = 3 ]
}

@test "cb-s3put --delete --list: odd keys are escaped in the XML and deleted" {
	printf '%s\n' "$T/a b" "$T/pct%41%zz" "$T/ü€😀" "$T/amp&amp;" \
	    "$T/<tag>" "$T/quo\"te'" "$T/plus+sign" "$T/]]>" >dk
	rgw_put_keys <dk
	for k in "$T/new"$'\n'"line" "$T/tab"$'\t'"x" "$T/cr"$'\r'"x"; do
		awscli s3api put-object --bucket "$S3_BUCKET" --key "$k" \
		    --body one >/dev/null
	done
	[ "$(keys_left "$T/")" = 11 ]
	{ tr '\n' '\0' <dk; printf '%s\0' "$T/new"$'\n'"line" \
	    "$T/tab"$'\t'"x" "$T/cr"$'\r'"x"; } >dk0
	cb-s3put -0 --delete --list "$B" <dk0 >out
	[ "$(keys_left "$T/")" = 0 ]
	[ "$(tr -cd '\0' <out | wc -c)" = 11 ]
	while IFS= read -r -d '' k; do printf 'deleted\t%s\0' "$k"; done \
	    <dk0 >want
	cmp out want
	# the same through the strict proxy (which parses the body as AWS)
	rgw_put_keys <dk
	proxy_start --aws
	run via_proxy cb-s3put --delete --list "$B" <dk
	expect_status 0
	[ "${#lines[@]}" = 8 ]
	[ "$(keys_left "$T/")" = 0 ]
	grep -q '^POST /?delete= virtual [^ ]* 200 ' "$PROXY_LOG"
}

@test "cb-s3put --delete --list: a key the server refuses is its own record, exit 1" {
	printf '%s\n' "$T/ok1" "$T/denied-1" "$T/ok2" "$T/x&<denied" >dk
	rgw_put_keys <dk
	proxy_start --aws --always 'POST?delete=key-denied'
	run --separate-stderr via_proxy cb-s3put --delete --list "$B" <dk
	expect_status 1
	[ "$output" = "deleted	$T/ok1
AccessDenied	$T/denied-1
deleted	$T/ok2
AccessDenied	$T/x&<denied" ]
	[[ "$stderr" == *"cannot delete '$B/$T/denied-1': AccessDenied: Access Denied"* ]]
	[[ "$stderr" == *"cannot delete '$B/$T/x&<denied': AccessDenied"* ]]
	[ "$(keys_left "$T/")" = 2 ]
	awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/denied-1" >/dev/null
	# a batch of refused keys only (the proxy answers it alone)
	run --separate-stderr via_proxy cb-s3put --delete --list "$B" < <(printf '%s\n' \
	    "$T/denied-1" "$T/x&<denied")
	expect_status 1
	[ "$output" = "AccessDenied	$T/denied-1
AccessDenied	$T/x&<denied" ]
	[ "$(keys_left "$T/")" = 2 ]
}

@test "cb-s3put --delete --list: requests are retried; a failed one stops the run, later keys get no record" {
	seq 0 2499 | sed "s|^|$T/k|" >dk
	head -3 dk | rgw_put_keys
	# 503, an error in a 200, a lost answer: each tried again
	proxy_start --plan 'POST?delete=503,200err,lost'
	CB_S3_CONNECT_TO= run --separate-stderr cb-s3put --retry-delay 10 \
	    --endpoint "$PROXY" --delete --list "$B" <dk
	expect_status 0
	[ "${#lines[@]}" = 2500 ]
	[ "$(grep -c "^POST /$S3_BUCKET?delete= " "$PROXY_LOG")" = 6 ]
	grep -q "^POST .* 503 [0-9]* 503$" "$PROXY_LOG"
	grep -q "^POST .* - [0-9]* lost$" "$PROXY_LOG"
	[ "$(keys_left "$T/")" = 0 ]
	proxy_stop
	# the second request fails after every try: its keys and the third's
	# get no record, the third is not sent
	: >"$PROXY_LOG"
	proxy_start --plan 'POST?delete=pass,500,500'
	CB_S3_CONNECT_TO= run --separate-stderr cb-s3put -j 1 --retries 2 \
	    --retry-delay 10 --endpoint "$PROXY" --delete --list "$B" <dk
	expect_status 75
	[ "${#lines[@]}" = 1000 ]
	[ "${lines[999]}" = "deleted	$T/k999" ]
	[[ "$stderr" == *"cannot delete 1000 keys from '$B' (record 1001 on): InternalError (HTTP 500) after 2 tries"* ]]
	[ "$(grep -c '^POST ' "$PROXY_LOG")" = 3 ]
	proxy_stop
	# denied, unreachable
	AWS_SECRET_ACCESS_KEY=wrong run --separate-stderr cb-s3put --delete \
	    --list "$B" <dk
	expect_status 77
	[ -z "$output" ]
	[[ "$stderr" == *SignatureDoesNotMatch* ]]
	CB_S3_CONNECT_TO= run cb-s3put --endpoint http://127.0.0.1:9 \
	    --retries 2 --retry-delay 10 --delete --list "$B" <dk
	expect_status 69
	run cb-s3put --delete --list s3://no-such-bucket-here <dk
	expect_status 1
	[[ "$output" == *NoSuchBucket* ]]
}

@test "cb-s3put --delete --list: a key XML cannot hold is refused, exit 65, nothing deleted" {
	local_only
	printf '%s\n' "$T/a" "$T/b" >dk
	rgw_put_keys <dk
	proxy_start
	del() {
		CB_S3_CONNECT_TO= run --separate-stderr cb-s3put \
		    --endpoint "$PROXY" --delete --list "$@" "$B"
	}
	del < <(printf '%s\n' "$T/a" "$T/ctl"$'\001'"x" "$T/b")
	expect_status 65
	[[ "$stderr" == *"refusing record 2 on stdin: key '$T/ctl\x01x' cannot be named"* ]]
	[ -z "$output" ]
	del < <(printf '%s\n' "$T/a" "$T/bad-utf8-"$'\xff')
	expect_status 65
	[[ "$stderr" == *"refusing record 2"*"'$T/bad-utf8-\xff'"* ]]
	del < <(printf '%s\n' "$T/a" "" "$T/b")
	expect_status 65
	[[ "$stderr" == *"refusing record 2 on stdin: an empty key"* ]]
	del < <(printf '%s\n' "$T/a" "$T/tab"$'\t'"x")
	expect_status 65
	[[ "$stderr" == *"refusing record 2"*"holds a TAB"* ]]
	del -0 < <(printf '%s\0%s' "$T/a" "$T/unterminated")
	expect_status 65
	# a key past the 1000th of a batch that cannot go: none of them goes
	{ seq 1 1500 | sed "s|^|$T/n|"; printf '%s\n' "$T/"$'\033'"[1m"; } >dk
	del <dk
	expect_status 65
	[[ "$stderr" == *"refusing record 1501 on stdin"*'\x1b[1m'* ]]
	[ "$(grep -c '^POST ' "$PROXY_LOG")" = 0 ]
	[ "$(keys_left "$T/")" = 2 ]
}

@test "strict proxy: DeleteObjects needs Content-MD5 or a checksum, and 1 to 1000 keys" {
	rgw_put_keys <<<"$T/d"
	proxy_start --aws
	del="<Delete><Object><Key>$T/d</Key></Object></Delete>"
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$del"
	[ "${lines[0]}" = "HTTP 400" ]
	[[ "$output" == *"<Code>InvalidRequest</Code><Message>Missing required header for this request: Content-MD5"* ]]
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$del" \
	    -H 'Content-MD5: 1B2M2Y8AsgTpgAmY7PhCfg=='
	[ "${lines[0]}" = "HTTP 400" ]
	[[ "$output" == *"<Code>BadDigest</Code>"* ]]
	[ "$(keys_left "$T/")" = 1 ]
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$del" \
	    --checksum crc32c
	[ "${lines[0]}" = "HTTP 200" ]
	[[ "$output" == *"<Deleted><Key>$T/d</Key>"* ]]
	[ "$(keys_left "$T/")" = 0 ]
	# 1001 keys, none, and a body that is no XML: MalformedXML
	{
		printf '<Delete>'
		seq 1 1001 | sed "s|.*|<Object><Key>$T/&</Key></Object>|" | tr -d '\n'
		printf '</Delete>'
	} >big.xml
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data-file big.xml --md5
	[ "${lines[0]}" = "HTTP 400" ]
	[[ "$output" == *"<Code>MalformedXML</Code>"* ]]
	for body in '<Delete></Delete>' '<Delete><Object></Object></Delete>' \
	    'not xml'; do
		run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$body" --md5
		[ "${lines[0]}" = "HTTP 400" ]
		[[ "$output" == *"<Code>MalformedXML</Code>"* ]]
	done
	[ "$(grep -c '^POST /?delete virtual [^ ]* 400 ' "$PROXY_LOG")" = 6 ]
	# exactly 1000 pass
	head -c -9 big.xml | sed 's|<Object><Key>[^<]*</Key></Object>$||' >b.xml
	printf '</Delete>' >>b.xml
	[ "$(grep -o '<Object>' b.xml | wc -l)" = 1000 ]
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data-file b.xml --md5
	[ "${lines[0]}" = "HTTP 200" ]
}

# ssec_https: SSE-C goes over TLS only: in the plain http pass, RGW's own
# https endpoint (the https and aws passes are TLS already).
ssec_https() {
	if [ "${S3_MODE:-http}" = http ]; then
		export AWS_ENDPOINT_URL=$S3_ENDPOINT_TLS AWS_CA_BUNDLE=$S3_CA_BUNDLE
	fi
}

@test "SSE-C: put with a customer key, unreadable without it, byte-exact with it" {
	ssec_https
	head -c 32 /dev/urandom | base64 >key
	head -c 32 /dev/urandom | base64 >other
	echo small >small
	mkdata big $((11 * 1024 * 1024 + 5))
	cb-s3put --sse-c-key-file key "$B/$T/small" small >/dev/null
	cb-s3put --sse-c-key-file key -j 2 --part-size 5M "$B/$T/big" big >/dev/null
	# without the key, or with another: refused, nothing written
	run cb-s3get "$B/$T/small" out
	expect_status 1
	[ ! -e out ]
	run cb-s3get --sse-c-key-file other "$B/$T/small" out
	[ "$status" -ne 0 ]
	[ ! -e out ]
	run awscli s3api get-object --bucket "$S3_BUCKET" --key "$T/small" o
	[ "$status" -ne 0 ]
	# with it: ranged GETs, HEAD (an empty-object check), list mode
	cb-s3get --sse-c-key-file key "$B/$T/small" out
	cmp small out
	: >empty
	cb-s3put --sse-c-key-file key "$B/$T/empty" empty >/dev/null
	cb-s3get --sse-c-key-file key "$B/$T/empty" e
	[ -f e ] && [ ! -s e ]
	cb-s3get --sse-c-key-file key -j 3 --part-size 5M "$B/$T/big" out
	cmp big out
	CB_SSE_C_KEY=$(cat key) cb-s3get -j 2 --part-size 5M "$B/$T/big" - | cmp - big
	printf 'big\t-\t%s\tdst/big\n' "$(sha big)" >in
	mkdir d
	cb-s3get --list -C d --sse-c-key-file key "$B/$T/" <in >/dev/null
	cmp big d/dst/big
	# create-only and a lost answer's own object, under SSE-C
	run cb-s3put --sse-c-key-file key --if-none-match "$B/$T/small" small
	expect_status 73
}

@test "SSE-C: the key is in no argv, no message, no verbose output" {
	ssec_https
	head -c 32 /dev/urandom | base64 >key
	k=$(cat key)
	mkdata f $((6 * 1024 * 1024))
	# slow enough to be seen in ps
	cb-s3put -vvv --sse-c-key-file key --rate-limit 2M --part-size 5M \
	    "$B/$T/f" f >/dev/null 2>put.err &
	pid=$!
	sleep 1
	ps -eo args >ps.txt
	wait $pid
	CB_SSE_C_KEY=$k cb-s3get -vvv "$B/$T/f" out 2>get.err
	cmp f out
	grep -q 'x-amz-server-side-encryption-customer-key: <redacted>' put.err
	grep -q 'x-amz-server-side-encryption-customer-key: <redacted>' get.err
	expect_no_match -qF "$k" ps.txt
	expect_no_match -qF "$k" put.err
	expect_no_match -qF "$k" get.err
	# a bad key is refused without showing it
	printf '%s' "${k%?}x" >bad
	run cb-s3get --sse-c-key-file bad "$B/$T/f" out2
	expect_status 64
	[[ "$output" == *"invalid SSE-C key in 'bad': expected the base64 of 32 bytes"* ]]
	expect_no_match -qF "${k%?}" <<<"$output"
	head -c 32 /dev/urandom >raw
	run cb-s3put --sse-c-key-file raw "$B/$T/g" f
	expect_status 64
	CB_SSE_C_KEY=short run cb-s3put "$B/$T/g" f
	expect_status 64
	[[ "$output" == *"invalid SSE-C key in CB_SSE_C_KEY"* ]]
	run cb-s3put --sse-c-key-file /nonexistent/key "$B/$T/g" f
	expect_status 64
	run cb-s3put --sse-c-key-file key --sse AES256 "$B/$T/g" f
	expect_status 64
	# never over plain http
	run cb-s3put --sse-c-key-file key --endpoint "$S3_ENDPOINT" "$B/$T/g" f
	expect_status 64
	[[ "$output" == *"cannot use an SSE-C key over plain http"* ]]
}

@test "cb-s3put --abort-uploads: what a cb-s3put killed with SIGKILL left is found and aborted" {
	local_only
	mkdata big $((12 * 1024 * 1024))
	cb-s3put --part-size 5M --rate-limit 1M "$B/$T/big" big \
	    >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 1 100); do
		[ -n "$(cb-s3get --ls --uploads "$B/$T/")" ] && break
		sleep 0.1
	done
	kill -9 "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 137 ]
	run cb-s3get --ls --uploads "$B/$T/"
	expect_status 0
	[ "${#lines[@]}" = 1 ]
	IFS=$'\t' read -r _ id key <<<"$output"
	[ "$key" = "$T/big" ]
	run cb-s3put --abort-uploads "$B/$T/"
	expect_status 0
	[ "$output" = "aborted"$'\t'"$id"$'\t'"$T/big" ]
	run cb-s3get --ls --uploads "$B/$T/"
	expect_status 0
	[ -z "$output" ]
	no_uploads_left "$T/"
	# nothing left to abort: no record, success
	run cb-s3put --abort-uploads "$B/$T/"
	expect_status 0
	[ -z "$output" ]
}

@test "cb-s3put --abort-uploads: only under the prefix, every upload of a key" {
	a1=$(mpu_create "$T/a/k 1")
	a2=$(mpu_create "$T/a/k 1")
	a3=$(mpu_create "$T/a/deep/k+2")
	b=$(mpu_create "$T/b/k")
	ab=$(mpu_create "$T/ab")
	run cb-s3put --abort-uploads "$B/$T/a/"
	expect_status 0
	[ "${#lines[@]}" = 3 ]
	[ "$(sort <<<"$output")" = "$(printf 'aborted\t%s\t%s\n' \
	    "$a1" "$T/a/k 1" "$a2" "$T/a/k 1" "$a3" "$T/a/deep/k+2" | sort)" ]
	run cb-s3get --ls --uploads "$B/$T/"
	expect_status 0
	[ "$(cut -f2,3 <<<"$output")" = "$ab"$'\t'"$T/ab"$'\n'"$b"$'\t'"$T/b/k" ]
	# a prefix is a prefix of keys, as in S3: $T/a takes $T/ab too
	run cb-s3put --abort-uploads "$B/$T/a"
	expect_status 0
	[ "$output" = "aborted"$'\t'"$ab"$'\t'"$T/ab" ]
	awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
	    --key "$T/b/k" --upload-id "$b"
}

@test "cb-s3put --abort-uploads --older-than: a fresh upload is left alone" {
	local_only
	id=$(mpu_create "$T/k")
	run cb-s3put --abort-uploads --older-than 3600 "$B/$T/"
	expect_status 0
	[ -z "$output" ]
	run cb-s3put --abort-uploads --older-than 3600 -v "$B/$T/"
	expect_status 0
	[[ "$output" == *"keeping upload $id of '$B/$T/k': initiated 20"*"Z, less than 3600 s ago"* ]]
	run cb-s3get --ls --uploads "$B/$T/"
	[[ "$output" == *$'\t'"$id"$'\t'"$T/k" ]]
	# once old enough, it goes
	sleep 2
	run cb-s3put --abort-uploads --older-than 1 "$B/$T/"
	expect_status 0
	[ "$output" = "aborted"$'\t'"$id"$'\t'"$T/k" ]
	no_uploads_left "$T/"
	run cb-s3put --abort-uploads --older-than 1x "$B/$T/"
	expect_status 64
	run cb-s3put --older-than 1 "$B/$T/k" big
	expect_status 64
}

@test "cb-s3put --abort-uploads: an empty prefix and other misuse exit 64, nothing aborted" {
	local_only
	id=$(mpu_create "$T/k")
	for url in "$B" "$B/"; do
		run cb-s3put --abort-uploads "$url"
		expect_status 64
		[[ "$output" == *"refusing to abort the uploads of the whole bucket"* ]]
	done
	run cb-s3put --abort-uploads "$B/$T/" f
	expect_status 64
	for o in --list --delete --pack --if-none-match; do
		run cb-s3put --abort-uploads $o "$B/$T/"
		expect_status 64
	done
	run cb-s3get --ls --uploads "$B/$T/"
	[[ "$output" == *$'\t'"$id"$'\t'"$T/k" ]]
	run cb-s3put --abort-uploads "$B/$T/"
	expect_status 0
}

@test "cb-s3put --abort-uploads: -0, -q, and a key with a newline" {
	local_only
	id=$(mpu_create "$T/new
line")
	cb-s3put -q --progress --abort-uploads -0 "$B/$T/" >out 2>err
	[ ! -s err ]
	[ "$(tr '\0' '#' <out)" = "aborted"$'\t'"$id"$'\t'"$T/new
line#" ]
	no_uploads_left "$T/"
}

@test "cb-s3put --abort-uploads: failures keep their exit status; NoSuchUpload is gone already" {
	local_only
	id=$(mpu_create "$T/k")
	AWS_SECRET_ACCESS_KEY=wrong run cb-s3put --abort-uploads "$B/$T/"
	expect_status 77
	[[ "$output" == *"cannot list the uploads under '$B/$T/': SignatureDoesNotMatch"* ]]
	run cb-s3put --abort-uploads s3://no-such-bucket-here/x
	expect_status 1
	[[ "$output" == *NoSuchBucket* ]]
	run cb-s3put --abort-uploads --endpoint http://127.0.0.1:9 \
	    --retries 2 --retry-delay 10 "$B/$T/"
	expect_status 69
	# an abort refused after every try: a failed record, exit 75
	proxy_start --always 'DELETE?uploadId=500'
	CB_S3_CONNECT_TO= run --separate-stderr cb-s3put --retries 2 \
	    --retry-delay 10 --endpoint "$PROXY" --abort-uploads "$B/$T/"
	expect_status 75
	[ "$output" = "failed"$'\t'"$id"$'\t'"$T/k" ]
	[[ "$stderr" == *"cannot abort upload $id of '$B/$T/k': InternalError (HTTP 500) after 2 tries"* ]]
	[ "$(grep -c "^DELETE .* 500 0 500$" "$PROXY_LOG")" = 2 ]
	run cb-s3get --ls --uploads "$B/$T/"
	[[ "$output" == *$'\t'"$id"$'\t'"$T/k" ]]
	proxy_stop
	# the listing retried, and an upload gone meanwhile (404 NoSuchUpload)
	proxy_start --plan 'GET?uploads=503;DELETE?uploadId=nosuchupload'
	CB_S3_CONNECT_TO= run cb-s3put --retry-delay 10 --endpoint "$PROXY" \
	    --abort-uploads "$B/$T/"
	expect_status 0
	[ "$output" = "aborted"$'\t'"$id"$'\t'"$T/k" ]
	grep -q "^GET /[^ ]*&uploads= path [^ ]* 503 0 503$" "$PROXY_LOG"
	grep -q "^DELETE /$S3_BUCKET/$T/k?uploadId=$id path [^ ]* 404 0 nosuchupload$" "$PROXY_LOG"
	proxy_stop
	run cb-s3put --abort-uploads "$B/$T/"
	expect_status 0
	no_uploads_left "$T/"
}

@test "cb-s3put --list --journal: each upload's record the moment it is done, in any order, and before that what it will be; a kill keeps them" {
	local_only
	mkdir d
	head -c 12000000 /dev/urandom >d/big
	for i in 1 2 3 4 5; do head -c 1000 /dev/urandom >"d/s$i"; done
	# The big file first: stdout keeps list order, so the small files'
	# records wait there behind it; the journal has them at once.
	{
		printf '%s\t%s\t%s\t%s\0' "$(stat -c %s d/big)" 1 2 "$PWD/d/big"
		for i in 1 2 3 4 5; do printf '%s\t%s\t%s\t%s\0' 1000 1 2 "$PWD/d/s$i"; done
	} >in
	cb-s3put -0 --list -j 3 --rate-limit 1M --journal j --key-prefix "$T/j" \
	    "$B" <in >out 2>err &
	pid=$!
	for i in $(seq 1 200); do
		[ "$(tr '\0' '\n' <j 2>/dev/null | grep -c '^ok	')" -ge 5 ] && break
		sleep 0.05
	done
	kill -9 "$pid"
	wait "$pid" || :
	[ ! -s out ]
	tr '\0' '\n' <j | grep '^ok	' | cut -f1,6 | sort >got
	for i in 1 2 3 4 5; do printf 'ok\t%s\n' "$T/j$PWD/d/s$i"; done | sort >want
	diff want got
	# Before each ok, a "pending" record said what the object would be:
	# the same sizes, SHA-256 and ETag.
	tr '\0' '\n' <j | grep '^pending	' | cut -f2- | sort >pend
	tr '\0' '\n' <j | grep '^ok	' | cut -f2- | sort >oks
	[ "$(comm -13 pend oks)" = "" ]
	# Run to the end, the journal's ok records are stdout's (in another
	# order), and the multipart object's predicted ETag is the one S3 gave.
	rm -f j
	cb-s3put -0 --list -j 3 --journal j --key-prefix "$T/k" "$B" <in >out
	[ "$(tr '\0' '\n' <j | grep '^ok	' | sort)" = "$(tr '\0' '\n' <out | sort)" ]
	[ "$(tr '\0' '\n' <j | grep '^pending	' | cut -f2- | sort)" = "$(tr '\0' '\n' <out | cut -f2- | sort)" ]
	tr '\0' '\n' <out | grep -q '	[0-9a-f]\{32\}-[0-9]*	'"$T/k$PWD/d/big"
	run cb-s3put --journal j "$B/$T/x" d/s1
	expect_status 64
}

@test "cb-s3put --list --progress=SECONDS: progress lines on stderr, records untouched; bad values exit 64" {
	local_only
	mkdata a 400000
	mkdata b 400000
	printf '%s\t%s\n' "$T/p/a" a "$T/p/b" b "$T/p/c" missing >in
	# 800 kB at 512 KiB/s: more than a second, so a line on the way
	run --separate-stderr cb-s3put --list -j 1 --rate-limit 512K \
	    --progress=1 "$B" <in
	expect_status 1
	[ "$(cut -f1 <<<"$output" | tr '\n' ' ')" = "ok ok NoSuchFile " ]
	grep '^cb-s3put: progress ' <<<"$stderr" >prog
	[ "$(grep -vc '^cb-s3put: progress [0-9]* 3 [0-9]* 800000$' prog)" = 0 ]
	[ "$(wc -l <prog)" -ge 2 ]
	# done never goes back; the last line is the end: the file that
	# cannot be read counts 0 bytes and is not done
	sort -n -k3,3 -k5,5 -s prog | diff - prog
	[ "$(tail -1 prog)" = "cb-s3put: progress 2 3 800000 800000" ]
	grep -q "cannot open 'missing'" <<<"$stderr"
	# with --pack, the bytes read count; without the option, no line
	run --separate-stderr cb-s3put --list --pack --progress=3600 "$B" \
	    < <(printf '%s\t%s\n' "$T/p/a.lzo" a)
	expect_status 0
	[ "$stderr" = "cb-s3put: progress 1 1 400000 400000" ]
	run --separate-stderr cb-s3put --list "$B" \
	    < <(printf '%s\t%s\n' "$T/p/a" a)
	expect_status 0
	[ -z "$stderr" ]
	# usage: a number of seconds, after '=', in the upload list mode
	for v in 0 86401 1s ''; do
		run cb-s3put --list --progress="$v" "$B" <in
		expect_status 64
		[[ "$output" == *"invalid --progress '$v': expected 1 to 86400 seconds"* ]]
	done
	run cb-s3put --list --progress 5 "$B" <in
	expect_status 64
	[[ "$output" == *"--progress=5"* ]]
	run cb-s3put --progress=1 "$B/$T/p/a" a
	expect_status 64
	[[ "$output" == *"--progress=SECONDS needs --list"* ]]
	run cb-s3put --delete --list --progress=1 "$B/$T/p/" </dev/null
	expect_status 64
}

# big_and_small: a 24 MiB file (5 parts of 5 MiB) among three small ones,
# as list records (SIZE MTIME INODE PATH), into 'in'.
big_and_small() {
	mkdir -p d
	mkdata d/big 25165824
	for i in 1 2 3; do mkdata "d/s$i" 3000; done
	for f in d/big d/s1 d/s2 d/s3; do
		printf '1\t2\t3\t%s\n' "$PWD/$f"
	done >in
}

@test "cb-s3put --list, cb-s3get --list: a large file's parts go in parallel, packed and unpacked byte for byte" {
	local_only
	big_and_small
	# each part waits (at most 3 s) for another of the same object in
	# flight: only parts sent concurrently are logged "together"
	proxy_start --always 'PUT?partNumber=together'
	cb-s3put --list --pack -j 4 --part-size 5M --endpoint "$PROXY" \
	    --key-prefix "$T" --key-suffix .lzo "$B" <in >out
	[ "$(cut -f1 out | sort | uniq -c | tr -s ' ')" = " 4 ok" ]
	grep -q "^PUT /$S3_BUCKET/$T$PWD/d/big.lzo?partNumber=.* 200 .* together$" "$PROXY_LOG"
	[ "$(grep -c "partNumber=" "$PROXY_LOG")" -ge 5 ]
	proxy_stop
	# the restore: ranged GETs of the large object concurrently too
	awk -F '\t' -v OFS='\t' '{ print $6, $2, $4, "." $10 }' out >rin
	mkdir r
	proxy_start --always 'GET=together'
	cb-s3get --list --unpack -j 4 --part-size 5M --endpoint "$PROXY" \
	    -C "$PWD/r" "$B" <rin >rout 2>err || { cat err; false; }
	[ "$(cut -f1 rout | sort | uniq -c | tr -s ' ')" = " 4 ok" ]
	[ "$(grep -c "^GET /$S3_BUCKET/$T$PWD/d/big.lzo .* 206 .* together$" "$PROXY_LOG")" -ge 1 ]
	for f in big s1 s2 s3; do cmp "d/$f" "r/$PWD/d/$f"; done
}

@test "cb-s3put --list: a part that fails fails its file only" {
	local_only
	big_and_small
	proxy_start --always 'PUT?partNumber=500'
	run --separate-stderr cb-s3put --list -j 4 --part-size 5M --retries 2 \
	    --retry-delay 1 --endpoint "$PROXY" --key-prefix "$T" "$B" <in
	expect_status 75
	[ "$(printf '%s\n' "$output" | cut -f1 | tr '\n' ' ')" = "InternalError ok ok ok " ]
	[[ "$stderr" == *"cannot upload '$PWD/d/big'"* ]]
	run awscli s3api list-multipart-uploads --bucket "$S3_BUCKET" --prefix "$T"
	[[ "$output" != *UploadId* ]]
}
