#!/usr/bin/env bats
# test/s3-proxy.py --strict, the proxy that plays AWS S3 in front of RGW,
# and the https side of the test server.  For each AWS rule RGW 16 does
# not check: the request that breaks it is refused with AWS's status and
# code, and the correct request passes.  Requests are sent exactly as
# written with test/s3-raw.py (s3raw), over TLS to the AWS host names.

load helpers
load s3_helpers

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() {
	s3_setup
	proxy_start --aws
}
teardown() { proxy_stop; }

EMPTY=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# expect_answer STATUS [CODE]: the last `run s3raw` was answered STATUS
# (and an <Error> with CODE).
expect_answer() {
	if [ "$status" -ne 0 ] || [ "${lines[0]}" != "HTTP $1" ] ||
	    { [ -n "${2:-}" ] && [[ "$output" != *"<Code>$2</Code>"* ]]; }
	then
		echo "expected HTTP $1 ${2:-}, got (exit $status):" >&2
		echo "$output" >&2
		return 1
	fi
}

# url KEY: the virtual-hosted URL of KEY under this test's prefix.
url() { aws_url "$S3_BUCKET" "$T/$1"; }

# create KEY [S3RAW ARGS...]: CreateMultipartUpload; sets UPLOAD.
create() {
	run s3raw POST "$(url "$1")?uploads" "${@:2}"
	expect_answer 200
	UPLOAD=$(sed -n 's:.*<UploadId>\(.*\)</UploadId>.*:\1:p' <<<"$output")
	[ -n "$UPLOAD" ]
}

# part KEY N FILE [S3RAW ARGS...]: `run` an UploadPart of FILE.
part() {
	run s3raw PUT "$(url "$1")?partNumber=$2&uploadId=$UPLOAD" \
	    --data-file "$3" "${@:4}"
}

# complete KEY XMLPARTS: `run` a CompleteMultipartUpload.
complete() {
	run s3raw POST "$(url "$1")?uploadId=$UPLOAD" --data \
	    "<CompleteMultipartUpload>$2</CompleteMultipartUpload>"
}

# xpart N FILE [CHECKSUM]: one <Part> of a Complete body.
xpart() {
	local ck=
	[ -z "${3:-}" ] || ck="<ChecksumCRC32C>$3</ChecksumCRC32C>"
	printf '<Part><PartNumber>%s</PartNumber><ETag>"%s"</ETag>%s</Part>' \
	    "$1" "$(md5sum "$2" | cut -d' ' -f1)" "$ck"
}

# rgw CURLARGS...: curl, signed, straight to RGW in plain http: a second
# client that shares no code with the proxy.
rgw() {
	curl -s --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"
}

# rgw_get BUCKET/KEY FILE, rgw_put FILE BUCKET/KEY: by rgw.
rgw_get() { rgw -f -o "$2" "$S3_ENDPOINT/$1"; }
rgw_put() { rgw -f -o /dev/null -T "$1" "$S3_ENDPOINT/$2"; }

crc32c() { /usr/bin/python3 "$REPO/test/s3checksums.py" crc32c "$1"; }

# logged PATTERN: a line of this test's proxy log matches (grep -E).
logged() {
	grep -qE -- "$1" "$PROXY_LOG" || {
		echo "no log line matches '$1':" >&2
		cat "$PROXY_LOG" >&2
		return 1
	}
}

@test "s3-proxy: SigV4 matches the AWS test vectors (--self-test)" {
	run /usr/bin/python3 "$REPO/test/s3-proxy.py" --self-test
	expect_status 0
	[[ "$output" == *"ok 1 - (a) GET with Range"* ]]
	[[ "$output" != *"not ok"* ]]
}

@test "s3-proxy: misuse exits 64 (list-raw needs --strict)" {
	run /usr/bin/python3 "$REPO/test/s3-proxy.py" --upstream "$S3_ENDPOINT" \
	    --port-file p --log l --plan 'GET?list-type=list-raw'
	expect_status 64
	[[ "$output" == *"list-raw needs --strict"* ]]
	run /usr/bin/python3 "$REPO/test/s3-proxy.py" --upstream "$S3_ENDPOINT" \
	    --port-file p --log l --plan 'PUT=nonsense'
	expect_status 64
}

@test "https: RGW with the test CA works, with the wrong CA it fails" {
	run curl -s -o /dev/null -w '%{http_code}' --cacert "$S3_CA_BUNDLE" \
	    "$S3_ENDPOINT_TLS/"
	expect_status 0
	[ "$output" = 200 ]
	echo hello >f
	/usr/bin/aws --endpoint-url "$S3_ENDPOINT_TLS" --ca-bundle \
	    "$S3_CA_BUNDLE" s3 cp --only-show-errors f "$B/$T/f"
	rgw_get "$S3_BUCKET/$T/f" back
	cmp f back
	run curl -s -o /dev/null --cacert "$S3_WRONG_CA" "$S3_ENDPOINT_TLS/"
	[ "$status" -eq 60 ]
	# the strict proxy of the server too, by an AWS name
	run curl -s -o /dev/null --cacert "$S3_WRONG_CA" --connect-to \
	    "::$S3_AWS_CONNECT_TO" "https://s3.us-east-1.amazonaws.com/"
	[ "$status" -eq 60 ]
}

@test "addressing: virtual-hosted and path style both reach the bucket" {
	echo one >f
	run s3raw PUT "$(url v)" --data-file f
	expect_answer 200
	run s3raw PUT "https://s3.us-east-1.amazonaws.com/$S3_BUCKET/$T/p" \
	    --data-file f
	expect_answer 200
	rgw_get "$S3_BUCKET/$T/v" v
	rgw_get "$S3_BUCKET/$T/p" p
	cmp f v
	cmp f p
	logged "^PUT /$T/v virtual $S3_BUCKET\.s3\.us-east-1\.amazonaws\.com 200 4 pass$"
	logged "^PUT /$S3_BUCKET/$T/p path s3\.us-east-1\.amazonaws\.com 200 4 pass$"
}

@test "addressing: a dotted bucket fails TLS virtual-hosted, works in path style" {
	echo dots >f
	run s3raw PUT "$(aws_url "$S3_BUCKET_DOTS" "$T/d")" --data-file f
	[ "$status" -ne 0 ]
	[[ "$output" == *CERTIFICATE_VERIFY_FAILED* ]]
	run s3raw PUT "https://s3.us-east-1.amazonaws.com/$S3_BUCKET_DOTS/$T/d" \
	    --data-file f
	expect_answer 200
	rgw_get "$S3_BUCKET_DOTS/$T/d" back
	cmp f back
}

@test "signature: a wrong one is 403 SignatureDoesNotMatch" {
	run s3raw GET "$(url nothing)" --bad-signature
	expect_answer 403 SignatureDoesNotMatch
	[[ "$output" == *"<CanonicalRequest>GET"* ]]
	run s3raw GET "$(aws_url "$S3_BUCKET")?list-type=2&prefix=$T/"
	expect_answer 200
}

@test "signature: curl --aws-sigv4 passes, keep-alive, big GET streamed" {
	mkdata big $((20 * 1024 * 1024 + 3))
	rgw_put big "$S3_BUCKET/$T/big"
	run curl -s --cacert "$S3_CA_BUNDLE" --connect-to "::$PROXY_CONNECT_TO" \
	    --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: $EMPTY" -w '%{http_code} %{num_connects}\n' \
	    -o back "$(url big)" -o /dev/null "$(url big)"
	expect_status 0
	[ "$output" = $'200 1\n200 0' ]
	cmp big back
}

@test "signature: unknown key 403 InvalidAccessKeyId, no x-amz-content-sha256 400" {
	AWS_ACCESS_KEY_ID=AKNOSUCHKEY0000000000 run s3raw GET "$(url x)"
	expect_answer 403 InvalidAccessKeyId
	run s3raw GET "$(url x)" --payload none
	expect_answer 400 InvalidRequest
	[[ "$output" == *"Missing required header for this request: x-amz-content-sha256"* ]]
	run s3raw GET "$(url x)" --no-sign
	expect_answer 403 AccessDenied
	run s3raw PUT "$(url x)" --data abc --payload "$EMPTY"
	expect_answer 400 XAmzContentSHA256Mismatch
	run s3raw PUT "$(url x)" --data abc --unsigned 'x-amz-meta-a: b'
	expect_answer 403 AccessDenied
	[[ "$output" == *"<HeadersNotSigned>x-amz-meta-a</HeadersNotSigned>"* ]]
}

@test "PUT without Content-Length (chunked) is 411 MissingContentLength" {
	echo chunked >f
	run curl -s --cacert "$S3_CA_BUNDLE" --connect-to "::$PROXY_CONNECT_TO" \
	    --aws-sigv4 aws:amz:us-east-1:s3 \
	    --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
	    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" -T - "$(url c)" <f
	expect_status 0
	[[ "$output" == *"<Code>MissingContentLength</Code>"* ]]
	logged "^PUT /$T/c virtual \S+ 411 [0-9]+ pass$"
}

@test "regions: an eu-west-1 bucket at the us-east-1 host is 301 with its region" {
	run s3raw GET "$(aws_url "$S3_BUCKET_EU" "$T/x" us-east-1)"
	expect_answer 301 PermanentRedirect
	[[ "$output" == *"x-amz-bucket-region: eu-west-1"* ]]
	[[ "$output" == *"<Endpoint>$S3_BUCKET_EU.s3.eu-west-1.amazonaws.com</Endpoint>"* ]]
	run s3raw HEAD "https://s3.us-east-1.amazonaws.com/$S3_BUCKET_EU"
	expect_answer 301
	[[ "$output" == *"x-amz-bucket-region: eu-west-1"* ]]
	run s3raw GET "$(aws_url "$S3_BUCKET" "$T/x" cn-north-1)" \
	    --region cn-north-1
	expect_answer 301 PermanentRedirect
	[[ "$output" == *"x-amz-bucket-region: us-east-1"* ]]
}

@test "regions: the right host signed for us-east-1 is 400 AuthorizationHeaderMalformed" {
	echo eu >f
	run s3raw PUT "$(aws_url "$S3_BUCKET_EU" "$T/e")" --data-file f \
	    --region us-east-1
	expect_answer 400 AuthorizationHeaderMalformed
	[[ "$output" == *"<Region>eu-west-1</Region>"* ]]
	[[ "$output" == *"the region 'us-east-1' is wrong; expecting 'eu-west-1'"* ]]
	run s3raw PUT "$(aws_url "$S3_BUCKET_EU" "$T/e")" --data-file f \
	    --region eu-west-1
	expect_answer 200
	run s3raw HEAD "$(aws_url "$S3_BUCKET_EU")" --region eu-west-1
	expect_answer 200
	[[ "$output" == *"x-amz-bucket-region: eu-west-1"* ]]
	# HeadBucket tells the region even to a request it refuses
	run s3raw HEAD "$(aws_url "$S3_BUCKET_EU")" --region us-east-1
	expect_answer 400
	[[ "$output" == *"x-amz-bucket-region: eu-west-1"* ]]
	rgw_get "$S3_BUCKET_EU/$T/e" back
	cmp f back
}

@test "checksums: a crc32c part of an upload created without one is refused" {
	mkdata p1 1000
	create old
	part old 1 p1 --checksum crc32c
	expect_answer 400 InvalidRequest
	[[ "$output" == *"Checksum Type mismatch occurred, expected checksum Type: null, actual checksum Type: crc32c"* ]]
	part old 1 p1
	expect_answer 200
	complete old "$(xpart 1 p1 "$(crc32c p1)")"
	expect_answer 400 InvalidRequest
	complete old "$(xpart 1 p1)"
	expect_answer 200
}

@test "checksums: declared CRC32C, a part without one is refused" {
	mkdata p1 1000
	run s3raw POST "$(url k)?uploads" -H 'x-amz-checksum-algorithm: MD5'
	expect_answer 400 InvalidRequest
	create k -H 'x-amz-checksum-algorithm: CRC32C'
	[[ "$output" == *"x-amz-checksum-algorithm: CRC32C"* ]]
	part k 1 p1
	expect_answer 400 InvalidRequest
	[[ "$output" == *"expected checksum Type: crc32c, actual checksum Type: null"* ]]
	part k 1 p1 --checksum sha256
	expect_answer 400 InvalidRequest
	part k 1 p1 --checksum crc32c
	expect_answer 200
}

@test "checksums: declared CRC32C, Complete needs each part's, answers COMPOSITE" {
	mkdata p1 $((5 * 1024 * 1024))
	mkdata p2 1234
	create mp -H 'x-amz-checksum-algorithm: CRC32C'
	part mp 1 p1 --checksum crc32c
	expect_answer 200
	[[ "$output" == *"x-amz-checksum-crc32c: $(crc32c p1)"* ]]
	part mp 2 p2 --checksum crc32c
	expect_answer 200
	complete mp "$(xpart 1 p1)$(xpart 2 p2)"
	expect_answer 400 InvalidRequest
	[[ "$output" == *"The upload was created using a crc32c checksum. The complete request must include the checksum for each part. It was missing for part 1 in the request."* ]]
	complete mp "$(xpart 1 p1 "$(crc32c p1)")$(xpart 2 p2 "$(crc32c p1)")"
	expect_answer 400 InvalidPart
	complete mp "$(xpart 1 p1 "$(crc32c p1)")$(xpart 2 p2 "$(crc32c p2)")"
	expect_answer 200
	want=$(/usr/bin/python3 "$REPO/test/s3checksums.py" composite crc32c \
	    "$(crc32c p1)" "$(crc32c p2)")
	[[ "$output" == *"<ChecksumCRC32C>$want</ChecksumCRC32C><ChecksumType>COMPOSITE</ChecksumType>"* ]]
	[[ "$output" == *"<ETag>&quot;"*"-2&quot;</ETag>"* ]] ||
	    [[ "$output" == *'<ETag>"'*'-2"</ETag>'* ]]
	cat p1 p2 >f
	rgw_get "$S3_BUCKET/$T/mp" back
	cmp f back
}

@test "checksums: a wrong or malformed x-amz-checksum-crc32c is refused" {
	echo body >f
	echo other >g
	run s3raw PUT "$(url c)" --data-file f \
	    -H "x-amz-checksum-crc32c: $(crc32c g)"
	expect_answer 400 BadDigest
	[[ "$output" == *"The CRC32C you specified did not match the calculated checksum."* ]]
	run s3raw PUT "$(url c)" --data-file f -H 'x-amz-checksum-crc32c: nope'
	expect_answer 400 InvalidRequest
	run s3raw PUT "$(url c)" --data-file f --checksum crc32c
	expect_answer 200
	[[ "$output" == *"x-amz-checksum-crc32c: $(crc32c f)"* ]]
}

@test "checksums: a wrong Content-MD5 is BadDigest, a malformed one InvalidDigest" {
	echo body >f
	run s3raw PUT "$(url m)" --data-file f \
	    -H "Content-MD5: $(echo other | openssl md5 -binary | base64)"
	expect_answer 400 BadDigest
	run s3raw PUT "$(url m)" --data-file f -H 'Content-MD5: xyz'
	expect_answer 400 InvalidDigest
	run s3raw PUT "$(url m)" --data-file f --md5
	expect_answer 200
}

@test "uploads: Complete after Complete, a part after Abort: 404 NoSuchUpload" {
	mkdata p1 1000
	create u
	part u 1 p1
	complete u "$(xpart 1 p1)"
	expect_answer 200
	complete u "$(xpart 1 p1)"
	expect_answer 404 NoSuchUpload
	create a
	run s3raw DELETE "$(url a)?uploadId=$UPLOAD"
	expect_answer 204
	part a 1 p1
	expect_answer 404 NoSuchUpload
	complete a "$(xpart 1 p1)"
	expect_answer 404 NoSuchUpload
}

@test "Expect: 100-continue: a refused part is answered before its body" {
	mkdata p1 $((5 * 1024 * 1024))
	create e
	part e 1 p1 --checksum crc32c --expect
	expect_answer 400 InvalidRequest
	[[ "$output" == *"x-raw-body-sent: 0"* ]]
	logged "^PUT /$T/e\?partNumber=1&uploadId=.* virtual \S+ 400 0 pass$"
	# without Expect the whole part travels before the refusal
	part e 2 p1 --checksum crc32c
	expect_answer 400 InvalidRequest
	logged "^PUT /$T/e\?partNumber=2&uploadId=.* 400 5242880 pass$"
	part e 3 p1 --expect
	expect_answer 200
	[[ "$output" == *"x-raw-body-sent: 5242880"* ]]
}

@test "DeleteObjects without Content-MD5 is 400 InvalidRequest" {
	echo x >f
	rgw_put f "$S3_BUCKET/$T/d"
	del="<Delete><Object><Key>$T/d</Key></Object></Delete>"
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$del"
	expect_answer 400 InvalidRequest
	[[ "$output" == *"Missing required header for this request: Content-MD5"* ]]
	run s3raw POST "$(aws_url "$S3_BUCKET")?delete" --data "$del" --md5
	expect_answer 200
	run rgw -o /dev/null -w '%{http_code}' -I "$S3_ENDPOINT/$S3_BUCKET/$T/d"
	[ "$output" = 404 ]
}

@test "faults: lost, 200err-ws and ok-ws, selected by query parameter" {
	proxy_stop
	proxy_start --aws --plan 'PUT=lost;POST?uploadId=200err-ws;GET=ok-ws'
	echo lost >f
	run s3raw PUT "$(url l)" --data-file f
	[ "$status" -ne 0 ]
	logged "^PUT /$T/l virtual \S+ - 5 lost$"
	rgw_get "$S3_BUCKET/$T/l" back
	cmp f back
	mkdata p1 1000
	create w
	part w 1 p1
	expect_answer 200
	complete w "$(xpart 1 p1)"
	expect_answer 200
	[[ "$output" == *$'\n\n \n'*"<?xml"*"<Code>InternalError</Code>"* ]]
	logged "^POST /$T/w\?uploads virtual \S+ 200 0 pass$"
	logged "^POST /$T/w\?uploadId=\S+ virtual \S+ 200 [0-9]+ 200err-ws$"
	run s3raw GET "$(url l)"
	expect_answer 200
	[[ "$output" == *$'\n\n\n \n'*lost ]]
}

@test "faults: list-raw drops encoding-type=url, archived answers GLACIER" {
	proxy_stop
	proxy_start --aws --plan 'GET?list-type=list-raw,pass;GET=archived'
	echo x >f
	rgw_put f "$S3_BUCKET/$T/a%20b%2Bc"
	q="list-type=2&encoding-type=url&prefix=$T/"
	run s3raw GET "$(aws_url "$S3_BUCKET")?$q"
	expect_answer 200
	[[ "$output" == *"<Key>$T/a b+c</Key>"* ]]
	[[ "$output" != *"<EncodingType>"* ]]
	run s3raw GET "$(aws_url "$S3_BUCKET")?$q"
	expect_answer 200
	[[ "$output" == *"a%20b%2Bc</Key>"* ]]
	run s3raw GET "$(url "a%20b%2Bc")"
	expect_answer 403 InvalidObjectState
	[[ "$output" == *"<StorageClass>GLACIER</StorageClass>"* ]]
	run s3raw GET "$(url "a%20b%2Bc")"
	expect_answer 200
}

@test "conditional writes: If-None-Match * at Complete over an existing key is 412; other values 501" {
	mkdata p1 1000
	echo there >f
	rgw_put f "$S3_BUCKET/$T/c"
	create c
	part c 1 p1
	run s3raw POST "$(url c)?uploadId=$UPLOAD" -H 'If-None-Match: *' \
	    --data "<CompleteMultipartUpload>$(xpart 1 p1)</CompleteMultipartUpload>"
	expect_answer 412 PreconditionFailed
	rgw_get "$S3_BUCKET/$T/c" back
	cmp f back
	run s3raw DELETE "$(url c)?uploadId=$UPLOAD"
	expect_answer 204
	# a key that is not there: completed
	create d
	part d 1 p1
	run s3raw POST "$(url d)?uploadId=$UPLOAD" -H 'If-None-Match: *' \
	    --data "<CompleteMultipartUpload>$(xpart 1 p1)</CompleteMultipartUpload>"
	expect_answer 200
	# PutObject: RGW itself says 412 for an existing key
	run s3raw PUT "$(url d)" -H 'If-None-Match: *' --data x
	expect_answer 412 PreconditionFailed
	run s3raw PUT "$(url e)" -H 'If-None-Match: *' --data x
	expect_answer 200
	# only '*' is implemented
	run s3raw PUT "$(url g)" -H 'If-None-Match: "abc"' --data x
	expect_answer 501 NotImplemented
}

@test "conditional writes: cb-s3put --if-none-match multipart as on AWS: refused at Complete" {
	mkdata big $((11 * 1024 * 1024))
	echo small >small
	rgw_put small "$S3_BUCKET/$T/big"
	# the HEAD before the upload fails: the condition is left to Complete
	proxy_stop
	proxy_start --aws --plan 'HEAD=500'
	run env AWS_CA_BUNDLE="$S3_CA_BUNDLE" cb-s3put --retries 1 \
	    --endpoint "$PROXY" --region us-east-1 --if-none-match \
	    --part-size 5M "$B/$T/big" big
	expect_status 73
	[[ "$output" == *"it exists already (PreconditionFailed (HTTP 412)"* ]]
	logged "^POST /$S3_BUCKET/$T/big\?uploadId=\S+ path \S+ 412 "
	logged "^DELETE /$S3_BUCKET/$T/big\?uploadId=\S+ path \S+ 204 "
	rgw_get "$S3_BUCKET/$T/big" back
	cmp small back
}
