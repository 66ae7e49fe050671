#!/usr/bin/env bats
# cb-s3put against a real S3 server (Ceph RGW), with the aws CLI as the
# second client.

load helpers
load s3_helpers

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() { s3_setup; }

@test "cb-s3put: --help prints the usage on stdout, exit 0" {
	run cb-s3put --help
	expect_status 0
	[[ "$output" == usage:\ cb-s3put* ]]
}

@test "cb-s3put: bad usage exits 64" {
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
	run cb-s3put -j 3 --part-size 5M "$B/$T/mp" f
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
