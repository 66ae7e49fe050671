# Shared by the S3 bats files (cb-s3put.bats, cb-s3get.bats, ...):
# load helpers; load s3_helpers.
#
# The S3 server is the one test/run.sh started ($CB_TEST_STATE/s3.env);
# a file run by hand starts its own (test/services/s3.sh) in setup_file
# and stops it in teardown_file.

# s3_setup_file: make sure a server runs; sets S3_STATE.
s3_setup_file() {
	if [ -n "${CB_TEST_STATE:-}" ] && [ -f "$CB_TEST_STATE/s3.env" ]; then
		export S3_STATE=$CB_TEST_STATE S3_OWN=0
		return 0
	fi
	if [ -n "${CB_TEST_STATE:-}" ]; then
		echo "# test/run.sh did not start the S3 server (see its log)" >&3
		return 1
	fi
	command -v radosgw >/dev/null ||
	    skip "no radosgw: run 'sh test/deps.sh' as root"
	S3_STATE=$(mktemp -d /tmp/cb-s3test.XXXXXX)
	export S3_STATE S3_OWN=1
	if ! bash "$REPO/test/services/s3.sh" start "$S3_STATE" \
	    >"$S3_STATE.log" 2>&1; then
		cat "$S3_STATE.log" >&3
		return 1
	fi
}

s3_teardown_file() {
	if [ "${S3_OWN:-0}" = 1 ]; then
		bash "$REPO/test/services/s3.sh" stop "$S3_STATE" >/dev/null 2>&1
		rm -rf "$S3_STATE" "$S3_STATE.log"
	fi
}

# s3_setup: the environment of one test.  T is a key prefix of its own.
s3_setup() {
	# shellcheck disable=SC1091
	. "$S3_STATE/s3.env"
	export AWS_ENDPOINT_URL=$S3_ENDPOINT
	export AWS_EC2_METADATA_DISABLED=true
	export HOME=$BATS_TEST_TMPDIR
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_SESSION_TOKEN \
	    AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL_S3
	T="t$$-${BATS_TEST_NUMBER}"
	B="s3://$S3_BUCKET"
	cd "$BATS_TEST_TMPDIR" || return 1
}

# awscli ARGS...: the aws CLI against the test server.
awscli() {
	if [ "$1" = s3 ]; then
		/usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$1" \
		    --only-show-errors "${@:2}"
	else
		/usr/bin/aws --endpoint-url "$S3_ENDPOINT" "$@"
	fi
}

# mkdata FILE BYTES: a file of pseudo-random bytes.
mkdata() {
	head -c "$2" /dev/urandom >"$1"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# proxy_start [--plan SPEC] [--always SPEC]: start test/s3-proxy.py
# in front of the server; sets PROXY (its URL) and PROXY_LOG.
proxy_start() {
	local i
	PROXY_LOG=$BATS_TEST_TMPDIR/proxy.log
	rm -f "$BATS_TEST_TMPDIR/proxy.port"
	/usr/bin/python3 "$REPO/test/s3-proxy.py" \
	    --upstream "$S3_ENDPOINT" --port-file "$BATS_TEST_TMPDIR/proxy.port" \
	    --log "$PROXY_LOG" "$@" </dev/null >/dev/null 2>&1 3>&- &
	PROXY_PID=$!
	for i in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/proxy.port" ] && break
		sleep 0.05
	done
	PROXY=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/proxy.port")
}

proxy_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null || true
		PROXY_PID=
	fi
}

# no_uploads_left KEY: no multipart upload in progress for KEY.
no_uploads_left() {
	awscli s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --prefix "$1" --output text >mpu.txt
	! grep -q UPLOADS mpu.txt
}

# imds_start ARGS...: start test/imds-server.py with the server's two key
# pairs; sets IMDS (its URL) and IMDS_LOG.
imds_start() {
	local i
	IMDS_LOG=$BATS_TEST_TMPDIR/imds.log
	rm -f "$BATS_TEST_TMPDIR/imds.port"
	/usr/bin/python3 "$REPO/test/imds-server.py" \
	    --port-file "$BATS_TEST_TMPDIR/imds.port" --log "$IMDS_LOG" \
	    --keys "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY,$S3_ACCESS_KEY2:$S3_SECRET_KEY2" \
	    "$@" </dev/null >/dev/null 2>&1 3>&- &
	IMDS_PID=$!
	for i in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/imds.port" ] && break
		sleep 0.05
	done
	IMDS=http://127.0.0.1:$(cat "$BATS_TEST_TMPDIR/imds.port")
}

imds_stop() {
	if [ -n "${IMDS_PID:-}" ]; then
		kill "$IMDS_PID" 2>/dev/null
		wait "$IMDS_PID" 2>/dev/null || true
		IMDS_PID=
	fi
}
