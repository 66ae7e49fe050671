#!/usr/bin/env bats
# cb-s3put and cb-s3get as AWS S3 checks them: configured as for AWS (no
# endpoint, a region, TLS, virtual-hosted names), through the strict proxy
# (test/s3-proxy.py --strict) in front of RGW.  Where a rule of the proxy
# is one the client used to break, the client as it was before (commit
# a99429c, test/old_client.bash) is shown failing against it, next to the
# client of today passing.

load helpers
load s3_helpers
load old_client

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() {
	S3_MODE=aws s3_setup
	old_client_build
}
teardown() { proxy_stop; }

# aws_proxy [PROXY ARGS...]: a strict proxy of this test's own (its log is
# PROXY_LOG), which the new client reaches by the AWS names.
aws_proxy() {
	proxy_stop
	: >"$BATS_TEST_TMPDIR/proxy.log"
	proxy_start --aws "$@"
	export CB_S3_CONNECT_TO=$PROXY_CONNECT_TO
}

# old PROG ARGS...: the old client, at the proxy in path style (it has no
# --connect-to), with the test CA.  (Its default checksum over https,
# crc32c, fails every multipart upload on AWS: tests of other rules give
# it --checksum sha256.)
old() {
	local p=$1
	shift
	env -u CB_S3_CONNECT_TO "$OLD_BIN/$p" --endpoint "$PROXY" "$@"
}

# log_count PATTERN: lines of the proxy log matching the extended regex.
log_count() {
	grep -cE "$1" "$PROXY_LOG" || true
}

@test "aws: CRC32C multipart: the old parts are refused, the new upload declares and lists them" {
	mkdata f $((12 * 1024 * 1024 + 1))
	aws_proxy
	run old cb-s3put --part-size 5M "$B/$T/old" f
	[ "$status" -ne 0 ]
	[[ "$output" == *InvalidRequest* ]]
	[ "$(log_count '^PUT .*partNumber=.* 400 ')" -ge 1 ]
	run cb-s3put -vvv --part-size 5M "$B/$T/new" f
	expect_status 0
	[[ "$output" == *"x-amz-checksum-algorithm: CRC32C"* ]]
	[[ "$output" == *"<ChecksumCRC32C>"*"-3</ChecksumCRC32C>"* ]]
	[ "$(log_count '^PUT /'"$T"'/new\?partNumber=[123]&.* virtual .* 200 ')" = 3 ]
	awscli s3 cp "$B/$T/new" back
	cmp f back
}

@test "aws: every --checksum mode, single PUT and multipart, passes AWS's rules" {
	mkdata f $((5 * 1024 * 1024 + 300))
	aws_proxy
	for ck in sha256 crc32c md5 none; do
		run cb-s3put --checksum "$ck" --part-size 5M "$B/$T/$ck" f
		expect_status 0
		[[ "$output" == ok*-2$'\t'"$T/$ck" ]]
		run cb-s3put --checksum "$ck" "$B/$T/$ck-1" f
		expect_status 0
		cb-s3get "$B/$T/$ck" back && cmp f back
		cb-s3get "$B/$T/$ck-1" back && cmp f back
	done
	# the default over TLS is crc32c: declared at create
	[ "$(log_count '^POST .*uploads.* 200 ')" = 4 ]
	[ "$(log_count ' [45][0-9][0-9] ')" = 0 ]
}

@test "aws: a checksum that does not match the body is refused (BadDigest)" {
	mkdata f 1000
	aws_proxy
	# the proxy checks every checksum against its body: a forged one fails
	run s3raw PUT "$(aws_url "$S3_BUCKET" "$T/forged")" --data-file f \
	    -H 'x-amz-checksum-crc32c: AAAAAA=='
	[[ "$output" == *400*BadDigest* ]]
	run cb-s3put --checksum crc32c "$B/$T/f" f
	expect_status 0
}

@test "aws: a bucket in another region is found from the 301 and used there" {
	mkdata f $((4 * 1024 * 1024))
	aws_proxy
	run old cb-s3put "s3://$S3_BUCKET_EU/$T/old" f
	[ "$status" -ne 0 ]
	[[ "$output" == *AuthorizationHeaderMalformed* ]]
	: >"$PROXY_LOG"
	run cb-s3put "s3://$S3_BUCKET_EU/$T/new" f
	expect_status 0
	[[ "$output" == *"note: bucket $S3_BUCKET_EU is in region eu-west-1, not us-east-1"* ]]
	[ "$(log_count "^PUT .* $S3_BUCKET_EU.s3.us-east-1.amazonaws.com 301 ")" = 1 ]
	[ "$(log_count "^PUT .* $S3_BUCKET_EU.s3.eu-west-1.amazonaws.com 200 ")" = 1 ]
	# the refused PUT waited for 100 Continue: its body was not sent
	# (the old client sent all 4 MiB to be refused)
	[ "$(awk '$5 == 301 { print $6 }' "$PROXY_LOG")" -lt 1048576 ]
	awscli s3 cp "s3://$S3_BUCKET_EU/$T/new" back
	cmp f back
	run cb-s3get --ls "s3://$S3_BUCKET_EU/$T/"
	expect_status 0
	[[ "$output" == *"$T/new"* ]]
}

@test "aws: path style and a wrong signing region: 400 names the region" {
	echo data >f
	aws_proxy
	run cb-s3put --addressing-style path "s3://$S3_BUCKET_EU/$T/p" f
	expect_status 0
	[ "$(log_count "^PUT /$S3_BUCKET_EU/$T/p path s3.eu-west-1.amazonaws.com 200 ")" = 1 ]
	# the right host, signed for the wrong region: AuthorizationHeaderMalformed
	run cb-s3put --endpoint https://s3.eu-west-1.amazonaws.com \
	    --region us-east-1 "s3://$S3_BUCKET_EU/$T/q" f
	expect_status 0
	[ "$(log_count "^PUT /$T/q virtual $S3_BUCKET_EU.s3.eu-west-1.amazonaws.com 400 ")" = 1 ]
	[ "$(log_count "^PUT /$T/q virtual $S3_BUCKET_EU.s3.eu-west-1.amazonaws.com 200 ")" = 1 ]
}

@test "aws: the China partition is amazonaws.com.cn" {
	echo data >f
	aws_proxy
	AWS_REGION=cn-north-1 run cb-s3put "$B/$T/f" f
	expect_status 0
	[ "$(log_count "^PUT /$T/f virtual $S3_BUCKET.s3.cn-north-1.amazonaws.com.cn 301 ")" = 1 ]
	[[ "$output" == *"is in region us-east-1, not cn-north-1"* ]]
}

@test "aws: dotted bucket names go path style; AWS_REGION before AWS_DEFAULT_REGION" {
	echo data >f
	aws_proxy
	AWS_DEFAULT_REGION=eu-west-1 run cb-s3put "s3://$S3_BUCKET_DOTS/$T/f" f
	expect_status 0
	[[ "$output" != *note:* ]]
	[ "$(log_count "^PUT /$S3_BUCKET_DOTS/$T/f path s3.us-east-1.amazonaws.com 200 ")" = 1 ]
	# virtual-hosted, the *.s3 certificate does not cover a dotted name
	run cb-s3put --addressing-style virtual "s3://$S3_BUCKET_DOTS/$T/g" f
	expect_status 69
}

@test "aws: a Complete whose answer is lost, retried, NoSuchUpload: accepted when the object is whole" {
	mkdata f $((11 * 1024 * 1024))
	aws_proxy --plan 'POST?uploadId=lost'
	run old cb-s3put --checksum sha256 --part-size 5M "$B/$T/old" f
	[ "$status" -ne 0 ]
	[[ "$output" == *NoSuchUpload* ]]
	proxy_stop
	aws_proxy --plan 'POST?uploadId=lost'
	run cb-s3put --part-size 5M "$B/$T/new" f
	expect_status 0
	[[ "$output" == ok*-3$'\t'"$T/new" ]]
	[ "$(log_count '^POST .*uploadId=.* - .* lost$')" = 1 ]
	[ "$(log_count '^POST .*uploadId=.* 404 ')" = 1 ]
	awscli s3 cp "$B/$T/new" back
	cmp f back
}

@test "aws: NoSuchUpload after a retried Complete, another object at the key: failed" {
	mkdata f $((11 * 1024 * 1024))
	mkdata g $((11 * 1024 * 1024 + 1))
	cb-s3put --part-size 5M "$B/$T/k" g >/dev/null
	# the first Complete never reaches the server, the second is told
	# NoSuchUpload, and what sits at the key is another object (one byte
	# longer, also 3 parts): not taken for ours
	aws_proxy --plan 'POST?uploadId=reset-req,nosuchupload'
	run cb-s3put --retry-delay 10 --part-size 5M "$B/$T/k" f
	expect_status 1
	[[ "$output" == *"NoSuchUpload (HTTP 404) after 2 tries"* ]]
	[ "$(log_count "^HEAD /$T/k virtual .* 200 ")" = 1 ]
	# nothing at the key at all: failed too
	aws_proxy --plan 'POST?uploadId=reset-req,nosuchupload'
	run cb-s3put --retry-delay 10 --part-size 5M "$B/$T/none" f
	expect_status 1
	[[ "$output" == *NoSuchUpload* ]]
	# a NoSuchUpload at the first try is never taken for a completion,
	# even with the very object at the key
	CB_S3_CONNECT_TO=$S3_AWS_CONNECT_TO cb-s3put --part-size 5M \
	    "$B/$T/m" f >/dev/null
	aws_proxy --plan 'POST?uploadId=nosuchupload'
	run cb-s3put --part-size 5M "$B/$T/m" f
	expect_status 1
	[ "$(log_count '^HEAD ')" = 0 ]
}

@test "aws: white space before <?xml in a 200 Complete answer" {
	mkdata f $((11 * 1024 * 1024))
	aws_proxy --plan 'POST?uploadId=ok-ws'
	run old cb-s3put --checksum sha256 --part-size 5M "$B/$T/old" f
	[ "$status" -ne 0 ]
	[[ "$output" == *NoSuchUpload* ]]
	proxy_stop
	aws_proxy --plan 'POST?uploadId=ok-ws'
	run cb-s3put --part-size 5M "$B/$T/new" f
	expect_status 0
	[ "$(log_count '^POST .*uploadId=.* 200 .* ok-ws$')" = 1 ]
	# and a 200 whose body, after white space, is an error: retried
	proxy_stop
	aws_proxy --plan 'POST?uploadId=200err-ws'
	run cb-s3put --part-size 5M "$B/$T/new2" f
	expect_status 0
	[ "$(log_count '^POST .*uploadId=.* 200 .* 200err-ws$')" = 1 ]
	awscli s3 cp "$B/$T/new2" back
	cmp f back
}

@test "aws: listing keys are decoded only when the answer says EncodingType url" {
	echo data >f
	awscli s3 cp f "$B/$T/a%41+b"
	aws_proxy --plan 'GET?list-type=list-raw'
	run old cb-s3get --ls "$B/$T/"
	expect_status 0
	[ "$(cut -f4 <<<"$output")" = "$T/aA b" ]
	proxy_stop
	aws_proxy --plan 'GET?list-type=list-raw'
	run cb-s3get --ls "$B/$T/"
	expect_status 0
	[ "$(cut -f4 <<<"$output")" = "$T/a%41+b" ]
	# and when the server does encode them, they are decoded
	run cb-s3get --ls "$B/$T/"
	expect_status 0
	[ "$(cut -f4 <<<"$output")" = "$T/a%41+b" ]
	[ "$(log_count '^GET .*list-type=2.* pass$')" = 1 ]
}

@test "aws: an archived object is its own error (exit 66), with what to do" {
	echo data >f
	awscli s3 cp f "$B/$T/f"
	aws_proxy --plan 'GET=archived'
	run old cb-s3get "$B/$T/f" back
	expect_status 77
	proxy_stop
	aws_proxy --plan 'GET=archived'
	run cb-s3get "$B/$T/f" back
	expect_status 66
	[[ "$output" == *InvalidObjectState*"archived (GLACIER)"*"restore it first"* ]]
	[ ! -e back ]
}

@test "aws: a wrong CA fails at once (exit 69) naming the CA file; --ca-bundle wins" {
	echo data >f
	run env AWS_CA_BUNDLE="$S3_WRONG_CA" "$OLD_BIN/cb-s3put" --retries 3 \
	    --retry-delay 10 --endpoint "$S3_ENDPOINT_TLS" "$B/$T/f" f
	expect_status 69
	[[ "$output" == *"after 3 tries"* ]]
	run env AWS_CA_BUNDLE="$S3_WRONG_CA" cb-s3put --retries 3 \
	    --endpoint "$S3_ENDPOINT_TLS" "$B/$T/f" f
	expect_status 69
	[[ "$output" == *"CA certificates: $S3_WRONG_CA"* ]]
	[[ "$output" != *"tries"* ]]
	run env AWS_CA_BUNDLE="$S3_WRONG_CA" cb-s3get --ca-bundle "$S3_WRONG_CA" \
	    --endpoint "$S3_ENDPOINT_TLS" "$B/$T/f" -
	expect_status 69
	run env AWS_CA_BUNDLE="$S3_WRONG_CA" cb-s3put --ca-bundle "$S3_CA_BUNDLE" \
	    --endpoint "$S3_ENDPOINT_TLS" "$B/$T/f" f
	expect_status 0
	# and the aws names over TLS with the right CA (the service's proxy)
	unset CB_S3_CONNECT_TO
	run cb-s3get --connect-to "$S3_AWS_CONNECT_TO" "$B/$T/f" -
	expect_status 0
	[ "$output" = data ]
}

@test "aws: AWS_ENDPOINT_URL_S3 comes before AWS_ENDPOINT_URL" {
	echo data >f
	unset CB_S3_CONNECT_TO AWS_REGION
	AWS_ENDPOINT_URL=http://127.0.0.1:1 AWS_ENDPOINT_URL_S3=$S3_ENDPOINT_TLS \
	    run cb-s3put "$B/$T/f" f
	expect_status 0
	AWS_ENDPOINT_URL=$S3_ENDPOINT_TLS AWS_ENDPOINT_URL_S3=http://127.0.0.1:1 \
	    run cb-s3put --retries 1 --connect-timeout 2 "$B/$T/f" f
	expect_status 69
}

@test "aws: a refused large part is not sent whole (Expect: 100-continue)" {
	mkdata f $((6 * 1024 * 1024))
	aws_proxy --plan 'PUT=503,503'
	run old cb-s3put --checksum sha256 --retry-delay 10 "$B/$T/old" f
	expect_status 0
	[ "$(awk '$5 == 503 && $6 >= 6291456' "$PROXY_LOG" | wc -l)" = 2 ]
	proxy_stop
	aws_proxy --plan 'PUT=503,503'
	run cb-s3put --retry-delay 10 "$B/$T/new" f
	expect_status 0
	[ "$(awk '$5 == 503' "$PROXY_LOG" | wc -l)" = 2 ]
	[ "$(awk '$5 == 503 && $6 > 0' "$PROXY_LOG" | wc -l)" = 0 ]
	[ "$(awk '$5 == 200 && $6 == 6291456' "$PROXY_LOG" | wc -l)" = 1 ]
}

@test "aws: a CreateMultipartUpload whose answer is lost leaves no upload behind" {
	mkdata f $((11 * 1024 * 1024))
	aws_proxy --plan 'POST?uploads=lost'
	run old cb-s3put --checksum sha256 --part-size 5M "$B/$T/old" f
	expect_status 0
	run no_uploads_left "$T/old"
	[ "$status" -ne 0 ]		# the old client leaves one behind
	aws_proxy --plan 'POST?uploads=lost'
	run cb-s3put --part-size 5M "$B/$T/new" f
	expect_status 0
	[ "$(log_count '^POST .*uploads.* - .* lost$')" = 1 ]
	[ "$(log_count '^DELETE /'"$T"'/new\?uploadId=.* 204 ')" = 1 ]
	run no_uploads_left "$T/new"
	expect_status 0
	awscli s3 cp "$B/$T/new" back
	cmp f back
	# clean up the old client's orphan
	awscli s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --prefix "$T/old" --query 'Uploads[].UploadId' --output text |
	    tr '\t' '\n' | while read -r id; do
		awscli s3api abort-multipart-upload --bucket "$S3_BUCKET" \
		    --key "$T/old" --upload-id "$id"
	done
}
