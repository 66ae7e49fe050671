#!/usr/bin/env bats
# cb-s3put and cb-s3get through test/s3-proxy.py: 500s, 503
# SlowDown, connections reset in the middle of a body, stalls, an error
# inside a 200 answer, and interruption.

load helpers
load s3_helpers
bats_require_minimum_version 1.5.0

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() { s3_setup; }
teardown() { proxy_stop; }

# Short retries and stall detection for the tests.
FAST=(--retries 6 --retry-delay 20 --timeout 2)

@test "faults: a multipart upload survives 500, 503, resets and stalls" {
	mkdata f $((16 * 1024 * 1024 + 99))
	proxy_start --plan 'PUT=500,503,reset-req,stall-req;POST=pass,200err'
	run cb-s3put "${FAST[@]}" --endpoint "$PROXY" -j 2 --part-size 5M \
	    "$B/$T/f" f
	expect_status 0
	for x in 500 503 reset-req stall-req; do
		grep -q "^PUT .* $x\$" "$PROXY_LOG"
	done
	# the error inside a 200 answer to CompleteMultipartUpload
	grep -q "^POST .*uploadId=.* 200err\$" "$PROXY_LOG"
	awscli s3 cp "$B/$T/f" back
	cmp f back
	no_uploads_left "$T/"
	awscli s3 rm "$B/$T/f"
}

@test "faults: a download survives resets, stalls, 500 and 503" {
	mkdata f $((11 * 1024 * 1024 + 7))
	awscli s3 cp f "$B/$T/f"
	proxy_start --plan 'GET=reset,stall,500,503,reset'
	run cb-s3get "${FAST[@]}" --endpoint "$PROXY" -j 2 --part-size 5M \
	    "$B/$T/f" back
	expect_status 0
	cmp f back
	[ "$(grep -c '^GET ' "$PROXY_LOG")" -ge 8 ]
	proxy_stop
	proxy_start --plan 'GET=stall,reset'
	cb-s3get "${FAST[@]}" --endpoint "$PROXY" "$B/$T/f" | cmp - f
}

@test "faults: 500 on every part: exit 75, aborted, nothing left" {
	mkdata f $((11 * 1024 * 1024))
	proxy_start --always 'PUT=500'
	run cb-s3put --retries 3 --retry-delay 10 --endpoint "$PROXY" \
	    --part-size 5M "$B/$T/f" f
	expect_status 75
	[[ "$output" == *"cannot upload 'f' to '$B/$T/f': InternalError (HTTP 500) after 3 tries"* ]]
	grep -q '^DELETE .*uploadId=' "$PROXY_LOG"
	run awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/f"
	[ "$status" -ne 0 ]
	no_uploads_left "$T/"
}

@test "faults: 503 SlowDown on every try of a single PUT: exit 75" {
	echo data >f
	proxy_start --always 'PUT=503'
	run cb-s3put --retries 4 --retry-delay 10 --endpoint "$PROXY" \
	    "$B/$T/f" f
	expect_status 75
	[[ "$output" == *"SlowDown (HTTP 503) after 4 tries"* ]]
	[ "$(grep -c '^PUT' "$PROXY_LOG")" = 4 ]
	run awscli s3api head-object --bucket "$S3_BUCKET" --key "$T/f"
	[ "$status" -ne 0 ]
}

@test "faults: stalls on every try of a download: exit 69, no file" {
	echo data >f
	awscli s3 cp f "$B/$T/f"
	proxy_start --always 'GET=stall'
	run cb-s3get --retries 2 --retry-delay 10 --timeout 1 \
	    --endpoint "$PROXY" "$B/$T/f" out
	expect_status 69
	[[ "$output" == *"after 2 tries"* ]]
	[ -z "$(ls -A | grep out)" ]
}

@test "faults: SIGTERM in the middle of a multipart upload aborts it" {
	mkdata f $((11 * 1024 * 1024))
	proxy_start --always 'PUT=stall-req'
	cb-s3put --endpoint "$PROXY" --timeout 60 --part-size 5M \
	    "$B/$T/f" f >out 2>err &
	pid=$!
	for i in $(seq 1 100); do
		grep -q '^PUT .*partNumber' "$PROXY_LOG" && break
		sleep 0.05
	done
	kill -TERM "$pid"
	rc=0
	wait "$pid" || rc=$?
	[ "$rc" = 1 ]
	grep -q interrupted err
	[ ! -s out ]
	grep -q '^DELETE .*uploadId=' "$PROXY_LOG"
	no_uploads_left "$T/"
}

@test "faults: cb-s3get with 503 SlowDown on every try: exit 75" {
	echo data >f
	awscli s3 cp f "$B/$T/f"
	proxy_start --always 'GET=503'
	run cb-s3get --retries 2 --retry-delay 10 --endpoint "$PROXY" \
	    "$B/$T/f" out
	expect_status 75
	[[ "$output" == *"SlowDown (HTTP 503) after 2 tries"* ]]
	[ ! -e out ]
}

@test "faults: AWS_MAX_ATTEMPTS sets the tries per request, --retries wins" {
	echo data >f
	proxy_start --always 'PUT=503'
	AWS_MAX_ATTEMPTS=2 run cb-s3put --retry-delay 10 --endpoint "$PROXY" \
	    "$B/$T/f" f
	expect_status 75
	[[ "$output" == *"SlowDown (HTTP 503) after 2 tries"* ]]
	[ "$(grep -c '^PUT' "$PROXY_LOG")" = 2 ]
	: >"$PROXY_LOG"
	AWS_MAX_ATTEMPTS=2 run cb-s3put --retries 3 --retry-delay 10 \
	    --endpoint "$PROXY" "$B/$T/f" f
	expect_status 75
	[ "$(grep -c '^PUT' "$PROXY_LOG")" = 3 ]
}

@test "faults: cb-s3get with an unreadable Content-Range total: exit 65, no file" {
	echo data >f
	awscli s3 cp f "$B/$T/f"
	proxy_start --always 'GET=bad-size'
	run cb-s3get --retries 2 --retry-delay 10 --endpoint "$PROXY" \
	    "$B/$T/f" out
	expect_status 65
	[[ "$output" == *"after 2 tries: malformed answer to GET: bad Content-Range"* ]]
	grep -q '^GET .* 206 .* bad-size$' "$PROXY_LOG"
	[ -z "$(ls -A | grep out)" ]
	run cb-s3get --retries 2 --retry-delay 10 --endpoint "$PROXY" \
	    "$B/$T/f" -
	expect_status 65
	[ -z "$(printf %s "$output" | grep -x data)" ]
}

@test "faults: cb-s3get --ls with an unreadable <Size>: exit 65" {
	echo data >f
	awscli s3 cp f "$B/$T/f"
	proxy_start --always 'GET?list-type=bad-size'
	run cb-s3get --retries 2 --retry-delay 10 --endpoint "$PROXY" --ls \
	    "$B/$T/"
	expect_status 65
	[[ "$output" == *"cannot list '$B/$T/': malformed listing"* ]]
	grep -q '^GET .*list-type.* 200 .* bad-size$' "$PROXY_LOG"
}

@test "faults: cb-s3get --missing-ok takes only an S3 NoSuchKey for absent" {
	# a 404 page that is no S3 answer (a wrong endpoint, a balancer)
	printf 'old\n' >out
	proxy_start --always 'GET=404-page'
	run cb-s3get "${FAST[@]}" --endpoint "$PROXY" --missing-ok \
	    "$B/$T/nope" out
	expect_status 1
	[[ "$output" == *"cannot download '$B/$T/nope': "*"(HTTP 404)"* ]]
	[ "$(cat out)" = old ]
	proxy_stop
	# the real NoSuchKey through the same proxy
	proxy_start
	run cb-s3get "${FAST[@]}" --endpoint "$PROXY" --missing-ok \
	    "$B/$T/nope" out
	expect_status 0
	[ "$(cat out)" = old ]
	# a 503 on every try stays a temporary failure
	proxy_stop
	proxy_start --always 'GET=503'
	run cb-s3get --retries 2 --retry-delay 10 --endpoint "$PROXY" \
	    --missing-ok "$B/$T/nope" out
	expect_status 75
	[ "$(cat out)" = old ]
}

@test "faults: --if-none-match after a lost answer: our own object is success, another's is 73" {
	echo mine >f
	proxy_start --plan 'PUT=lost'
	run --separate-stderr cb-s3put "${FAST[@]}" --endpoint "$PROXY" \
	    --if-none-match -v "$B/$T/lock" f
	expect_status 0
	[[ "$output" == ok$'\t'5$'\t'* ]]
	[[ "$stderr" == *"created by a PUT whose answer was lost"* ]]
	[ "$(grep -c '^PUT ' "$PROXY_LOG")" = 2 ]
	proxy_stop
	# the retry finds an object that is not ours: it exists
	echo other >g
	awscli s3 cp g "$B/$T/lock2"
	proxy_start --plan 'PUT=reset-req'
	run cb-s3put "${FAST[@]}" --endpoint "$PROXY" --if-none-match \
	    "$B/$T/lock2" f
	expect_status 73
	awscli s3 cp "$B/$T/lock2" back
	cmp g back
}

@test "faults: a server without conditional writes: exit 69, said, not retried" {
	echo x >f
	proxy_start --always 'PUT=notimpl'
	run cb-s3put "${FAST[@]}" --endpoint "$PROXY" --if-none-match \
	    "$B/$T/lock" f
	expect_status 69
	[[ "$output" == *"NotImplemented (HTTP 501)"*"the server does not support conditional writes: --if-none-match"* ]]
	[ "$(grep -c '^PUT ' "$PROXY_LOG")" = 1 ]
}

@test "faults: list mode stops at the first denial: a few requests, no more files tried" {
	echo x >f
	for i in $(seq 1 60); do printf 'k%s\tf\n' "$i"; done >in
	proxy_start
	AWS_SECRET_ACCESS_KEY=wrong run --separate-stderr cb-s3put -j 2 \
	    --endpoint "$PROXY" --list "$B/$T/" <in
	expect_status 77
	[[ "$stderr" == *"SignatureDoesNotMatch"* ]]
	[ "$(grep -c 'stopping: access is denied, so no further object is tried' <<<"$stderr")" = 1 ]
	# the requests in flight at most (-j 2), each answered once
	[ "$(grep -c '^PUT ' "$PROXY_LOG")" -le 2 ]
	[ "${#lines[@]}" -le 2 ]
	expect_no_match -q "^ok" <<<"$output"
	# cb-s3get --list the same
	for i in $(seq 1 60); do printf 'k%s\t-\t-\tout/%s\n' "$i" "$i"; done >gin
	mkdir dst
	: >"$PROXY_LOG"
	AWS_SECRET_ACCESS_KEY=wrong run --separate-stderr cb-s3get -j 2 \
	    --endpoint "$PROXY" --list -C dst "$B/$T/" <gin
	expect_status 77
	[ "$(grep -c '^GET ' "$PROXY_LOG")" -le 2 ]
	[ "${#lines[@]}" -le 2 ]
	[ -z "$(find dst -type f)" ]
}

@test "faults: list mode stops when the service is unreachable after its tries" {
	echo x >f
	for i in $(seq 1 60); do printf 'k%s\tf\n' "$i"; done >in
	run --separate-stderr cb-s3put -j 2 --retries 2 --retry-delay 10 \
	    --endpoint http://127.0.0.1:9 --list "$B/$T/" <in
	expect_status 69
	[[ "$stderr" == *"stopping: the service is unavailable"* ]]
	[ "${#lines[@]}" -le 2 ]
	# without a stop every file has its record (a missing file fails alone)
	printf 'a\tf\nb\tnope\nc\tf\n' >in2
	run --separate-stderr cb-s3put --list "$B/$T/" <in2
	expect_status 1
	[ "${#lines[@]}" = 3 ]
	[[ "${lines[2]}" == ok$'\t'* ]]
}
