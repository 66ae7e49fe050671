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

# local_only: a test of what a program does on this machine (a journal
# under SIGKILL, a full disk, retries of a server that is down, its
# records and messages), which does not depend on how the requests reach
# the server: the http pass runs it, the https and aws passes (test/run.sh)
# skip it and keep their time for what they check, the requests.
local_only() {
	[ "${S3_MODE:-http}" = http ] ||
	    skip "S3_MODE=$S3_MODE: this test checks local behaviour, the http pass runs it"
}

# s3_setup: the environment of one test.  T is a key prefix of its own.
# S3_MODE says how the programs under test reach the server:
#   http   (default) AWS_ENDPOINT_URL=$S3_ENDPOINT, RGW in plain http
#   https  AWS_ENDPOINT_URL=$S3_ENDPOINT_TLS, AWS_CA_BUNDLE=$S3_CA_BUNDLE
#   aws    no endpoint: the AWS host names, AWS_REGION=$S3_AWS_REGION,
#          AWS_CA_BUNDLE=$S3_CA_BUNDLE and CB_S3_CONNECT_TO=
#          $S3_AWS_CONNECT_TO, so every request goes to the strict proxy
#          (test/s3-proxy.py --strict) that checks what AWS checks
# The awscli helper always talks plain http to RGW (the second opinion).
s3_setup() {
	# shellcheck disable=SC1091
	. "$S3_STATE/s3.env"
	export AWS_EC2_METADATA_DISABLED=true
	export HOME=$BATS_TEST_TMPDIR
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_REGION AWS_SESSION_TOKEN \
	    AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE AWS_ENDPOINT_URL_S3 \
	    AWS_ENDPOINT_URL AWS_CA_BUNDLE CB_S3_CONNECT_TO
	case ${S3_MODE:-http} in
	http) export AWS_ENDPOINT_URL=$S3_ENDPOINT ;;
	https)
		export AWS_ENDPOINT_URL=$S3_ENDPOINT_TLS
		export AWS_CA_BUNDLE=$S3_CA_BUNDLE
		;;
	aws)
		export AWS_REGION=$S3_AWS_REGION AWS_CA_BUNDLE=$S3_CA_BUNDLE
		export CB_S3_CONNECT_TO=$S3_AWS_CONNECT_TO
		;;
	*) echo "s3_setup: unknown S3_MODE '$S3_MODE'" >&2; return 1 ;;
	esac
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

# proxy_start [--aws] [--plan SPEC] [--always SPEC] [PROXY ARGS...]:
# start test/s3-proxy.py in front of the server (plain http to RGW); sets
# PROXY (its URL) and PROXY_LOG.  Without --aws it is the fault proxy:
# point --endpoint "$PROXY" at it.  With --aws it plays AWS (--strict, TLS
# with the server's certificate, the server's keys and bucket regions) and
# also sets PROXY_CONNECT_TO=127.0.0.1:PORT: reach it by the AWS host
# names with CB_S3_CONNECT_TO=$PROXY_CONNECT_TO (after s3_setup with
# S3_MODE=aws), or at PROXY=https://127.0.0.1:PORT in path style with
# AWS_CA_BUNDLE=$S3_CA_BUNDLE.  E.g. a lost reply to Complete:
#	proxy_start --aws --plan 'POST?uploadId=lost'
#	CB_S3_CONNECT_TO=$PROXY_CONNECT_TO cb-s3put ...
# The log format is in the docstring of test/s3-proxy.py.
proxy_start() {
	local i args=()
	if [ "${1:-}" = --aws ]; then
		shift
		args=(--strict --tls-cert "$S3_STATE/s3/tls/server.pem"
		    --tls-key "$S3_STATE/s3/tls/server.key"
		    --keys "@$(test_keys_file)"
		    --bucket-region "$S3_BUCKET_EU=$S3_BUCKET_EU_REGION")
	fi
	PROXY_LOG=$BATS_TEST_TMPDIR/proxy.log
	rm -f "$BATS_TEST_TMPDIR/proxy.port"
	/usr/bin/python3 "$REPO/test/s3-proxy.py" \
	    --upstream "$S3_ENDPOINT" --port-file "$BATS_TEST_TMPDIR/proxy.port" \
	    --log "$PROXY_LOG" "${args[@]}" "$@" </dev/null \
	    >"$BATS_TEST_TMPDIR/proxy.err" 2>&1 3>&- &
	PROXY_PID=$!
	for i in $(seq 1 100); do
		[ -s "$BATS_TEST_TMPDIR/proxy.port" ] && break
		sleep 0.05
	done
	i=127.0.0.1:$(cat "$BATS_TEST_TMPDIR/proxy.port")
	PROXY=http://$i PROXY_CONNECT_TO=
	[ ${#args[@]} -eq 0 ] || PROXY=https://$i PROXY_CONNECT_TO=$i
}

proxy_stop() {
	if [ -n "${PROXY_PID:-}" ]; then
		kill "$PROXY_PID" 2>/dev/null
		wait "$PROXY_PID" 2>/dev/null || true
		PROXY_PID=
	fi
	PROXY_CONNECT_TO=
}

# s3raw METHOD URL [ARGS...]: test/s3-raw.py, one request sent exactly as
# given, through the strict proxy: to PROXY_CONNECT_TO if proxy_start
# --aws ran, else to the server's ($S3_AWS_CONNECT_TO), with the test CA.
s3raw() {
	/usr/bin/python3 "$REPO/test/s3-raw.py" \
	    --connect-to "${PROXY_CONNECT_TO:-$S3_AWS_CONNECT_TO}" \
	    --cacert "$S3_CA_BUNDLE" "$@"
}

# aws_url BUCKET [PATH] [REGION]: the virtual-hosted AWS URL of PATH in
# BUCKET (REGION: default the bucket's; cn-* regions in amazonaws.com.cn).
aws_url() {
	local r=${3:-} d=amazonaws.com
	[ -n "$r" ] || { [ "$1" = "$S3_BUCKET_EU" ] && r=$S3_BUCKET_EU_REGION; }
	r=${r:-$S3_AWS_REGION}
	case $r in cn-*) d=amazonaws.com.cn ;; esac
	echo "https://$1.s3.$r.$d/${2:-}"
}

# no_uploads_left KEY: no multipart upload in progress for KEY.
no_uploads_left() {
	awscli s3api list-multipart-uploads --bucket "$S3_BUCKET" \
	    --prefix "$1" --output text >mpu.txt
	! grep -q UPLOADS mpu.txt
}

# test_keys_file: a file holding the server's two key pairs for the test
# servers' --keys @FILE (no secret on a command line); prints its path.
test_keys_file() {
	local f=$BATS_TEST_TMPDIR/keys
	# from s3.env: a test may have unset the keys in its environment
	(. "$S3_STATE/s3.env" && umask 077 && printf '%s:%s,%s:%s\n' \
	    "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$S3_ACCESS_KEY2" \
	    "$S3_SECRET_KEY2" >"$f")
	echo "$f"
}

# imds_start ARGS...: start test/imds-server.py with the server's two key
# pairs; sets IMDS (its URL) and IMDS_LOG.
imds_start() {
	credsrv_start IMDS imds-server.py "$@"
}

imds_stop() {
	credsrv_stop IMDS
}

# credsrv_start NAME SCRIPT [ARGS...]: test/SCRIPT, a credential service
# (test/credsrv.py), on a free port with the test keys: its URL in $NAME,
# its log in ${NAME}_LOG, its pid in ${NAME}_PID; credsrv_stop NAME.
credsrv_start() {
	local n=$1 s=$2 i d=$BATS_TEST_TMPDIR
	shift 2
	printf -v "${n}_LOG" %s "$d/$n.log"
	rm -f "$d/$n.port"
	/usr/bin/python3 "$REPO/test/$s" --port-file "$d/$n.port" --log "$d/$n.log" \
	    --keys "@$(test_keys_file)" "$@" </dev/null >"$d/$n.err" 2>&1 3>&- &
	printf -v "${n}_PID" %s "$!"
	for i in $(seq 1 100); do
		[ -s "$d/$n.port" ] && break
		sleep 0.05
	done
	printf -v "$n" %s "http://127.0.0.1:$(cat "$d/$n.port")"
}

credsrv_stop() {
	local p=${1}_PID
	if [ -n "${!p:-}" ]; then
		kill "${!p}" 2>/dev/null
		wait "${!p}" 2>/dev/null || true
		printf -v "$p" %s ""
	fi
}
