#!/usr/bin/env bats
# Credentials in the aws CLI's order: environment, shared credentials and
# config files with profiles, container credentials, IMDSv2 (served by
# test/imds-server.py), refreshed during a long upload; secrets never in
# argv or output.

load helpers
load s3_helpers

setup_file() { s3_setup_file; }
teardown_file() { s3_teardown_file; }
setup() {
	s3_setup
	GOOD_AK=$AWS_ACCESS_KEY_ID
	GOOD_SK=$AWS_SECRET_ACCESS_KEY
	echo data >f
}
teardown() { imds_stop; proxy_stop; }

no_env_keys() {
	unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN
}

# imds_env: credentials from the IMDS server only.
imds_env() {
	no_env_keys
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
}

# container_env: credentials from the container URL path P only.
container_env() {
	no_env_keys
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$IMDS$1
}

# as_owner CMD...: run CMD with the server's own keys.
as_owner() {
	AWS_ACCESS_KEY_ID=$GOOD_AK AWS_SECRET_ACCESS_KEY=$GOOD_SK "$@"
}

# v1_fallback MODE: the token PUT fails as MODE says (imds-server.py
# --token-put); the keys come from plain IMDSv1 GETs and the upload works.
v1_fallback() {
	imds_start --token-put "$1"
	imds_env
	# bounded by AWS_METADATA_SERVICE_TIMEOUT; timeout(1) only keeps a
	# regression from hanging the suite
	AWS_METADATA_SERVICE_TIMEOUT=1 run timeout 120 cb-s3put "$B/$T/f" f
	expect_status 0
	grep -q "^PUT /latest/api/token $1\$" "$IMDS_LOG"
	grep -q '^GET /latest/meta-data/iam/security-credentials/ v1 role$' \
	    "$IMDS_LOG"
	grep -q "^GET [^ ]*/cb-test-role v1 creds $GOOD_AK\$" "$IMDS_LOG"
	[ "$(grep -c ' 401$' "$IMDS_LOG")" = 0 ]
	as_owner awscli s3 cp "$B/$T/f" - | cmp - f
}

@test "credentials: profiles in the shared credentials file" {
	cat >creds <<EOT
[default]
aws_access_key_id = $GOOD_AK
aws_secret_access_key = not-the-secret

[good]
aws_access_key_id=$GOOD_AK
aws_secret_access_key=$GOOD_SK
EOT
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/creds
	no_env_keys
	run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *SignatureDoesNotMatch* ]]
	AWS_PROFILE=good run cb-s3put "$B/$T/f" f
	expect_status 0
	# an explicit profile wins over keys in the environment
	AWS_ACCESS_KEY_ID=AKWRONG AWS_SECRET_ACCESS_KEY=wrong \
	    run cb-s3put --profile good "$B/$T/f" f
	expect_status 0
	run cb-s3put --profile nosuch "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot find profile 'nosuch'"* ]]
}

@test "credentials: a config file profile with region and endpoint_url" {
	cat >config <<EOT
[profile cfg]
region = eu-west-3
endpoint_url = $S3_ENDPOINT
aws_access_key_id = $GOOD_AK
aws_secret_access_key = $GOOD_SK
EOT
	export AWS_CONFIG_FILE=$PWD/config AWS_SHARED_CREDENTIALS_FILE=$PWD/none
	unset AWS_ENDPOINT_URL AWS_DEFAULT_REGION
	no_env_keys
	run cb-s3put -vvv --profile cfg "$B/$T/f" f
	expect_status 0
	[[ "$output" == *"endpoint $S3_ENDPOINT, region eu-west-3"* ]]
	[[ "$output" != *"$GOOD_SK"* ]]
}

@test "credentials: none at all is exit 77 with a clear message" {
	no_env_keys
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot find AWS credentials"* ]]
}

@test "credentials: a profile that needs assume-role, SSO or a process is an error naming it" {
	no_env_keys
	imds_start
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_CONFIG_FILE=$PWD/config
	printf '[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$GOOD_AK" "$GOOD_SK" >creds
	printf '[profile admin]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = ops\n[profile sso]\nsso_session = corp\n[default]\ncredential_process = /bin/false\n' >config
	# never a silent fall-through to the instance's credentials
	for p in admin sso; do
		run cb-s3put --profile "$p" "$B/$T/f" f
		expect_status 77
		[[ "$output" == *"cannot use profile '$p' of '$PWD/config'"* ]]
	done
	[[ "$output" == *"sets sso_session"* ]]
	AWS_PROFILE=admin run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"sets role_arn"* ]]
	run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot use profile 'default'"*credential_process* ]]
	[ "$(grep -c 'security-credentials' "$IMDS_LOG")" = 0 ]
	run cb-s3put --profile ops "$B/$T/f" f
	expect_status 0
}

@test "credentials: IMDSv2 token and keys, refreshed during an upload" {
	mkdata big $((12 * 1024 * 1024))
	imds_start --lifetime 302
	no_env_keys
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	# about 4 s at 3 MiB/s: the keys expire within their 300 s margin
	# after 2 s, so they are fetched again in the middle.
	run cb-s3put -j 1 --part-size 5M --rate-limit 3M "$B/$T/big" big
	expect_status 0
	grep -q '^PUT /latest/api/token token$' "$IMDS_LOG"
	grep -q "creds $GOOD_AK\$" "$IMDS_LOG"
	grep -q "creds $S3_ACCESS_KEY2\$" "$IMDS_LOG"
	[ "$(grep -c ' 401$' "$IMDS_LOG")" = 0 ]
	cb-s3get "$B/$T/big" | cmp - big
	AWS_ACCESS_KEY_ID=$GOOD_AK AWS_SECRET_ACCESS_KEY=$GOOD_SK \
	    awscli s3 rm "$B/$T/big"
}

@test "credentials: IMDSv1 when the IMDSv2 token PUT hangs (hop limit 1)" {
	v1_fallback hang
}

@test "credentials: IMDSv1 when the IMDSv2 token PUT is dropped unanswered" {
	v1_fallback drop
}

@test "credentials: IMDSv1 when the token PUT is refused (405), 400 is an error" {
	v1_fallback 405
	imds_stop
	rm -f "$IMDS_LOG"
	imds_start --token-put 400
	imds_env
	run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot get an IMDSv2 token from '$IMDS': HTTP 400"* ]]
	[ "$(grep -c ' v1 ' "$IMDS_LOG")" = 0 ]
}

@test "credentials: container credentials with an authorization token" {
	imds_start
	no_env_keys
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	export AWS_CONTAINER_CREDENTIALS_FULL_URI=$IMDS/container/creds
	echo container-secret-token >tokfile
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$PWD/tokfile \
	    run cb-s3put "$B/$T/f" f
	expect_status 0
	AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot get container credentials: HTTP 401"* ]]
	[[ "$output" != *wrong* ]]
}

@test "credentials: secrets are in no argv and no debug output" {
	export AWS_SESSION_TOKEN=SESSIONTOKENSECRET
	run cb-s3put -vvv "$B/$T/f" f
	[[ "$output" == *"Authorization: <redacted>"* ]]
	[[ "$output" == *"x-amz-security-token: <redacted>"* ]]
	[[ "$output" != *SESSIONTOKENSECRET* ]]
	[[ "$output" != *"$GOOD_SK"* ]]
	unset AWS_SESSION_TOKEN
	mkdata big $((6 * 1024 * 1024))
	cb-s3put --rate-limit 2M "$B/$T/big" big >/dev/null &
	pid=$!
	sleep 0.5
	tr '\0' ' ' </proc/$pid/cmdline >cmdline
	wait "$pid"
	grep -q cb-s3put cmdline
	run grep -c "$GOOD_SK" cmdline
	[ "$output" = 0 ]
}

@test "credentials: ExpiredToken makes temporary credentials refresh" {
	imds_start
	proxy_start --plan 'PUT=expired'
	no_env_keys
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	run cb-s3put --endpoint "$PROXY" "$B/$T/f" f
	expect_status 0
	grep -q '^PUT .* expired$' "$PROXY_LOG"
	[ "$(grep -c ' creds ' "$IMDS_LOG")" = 2 ]
	proxy_stop
	# static keys cannot be refreshed: the error stands
	export AWS_ACCESS_KEY_ID=$GOOD_AK AWS_SECRET_ACCESS_KEY=$GOOD_SK
	proxy_start --plan 'PUT=expired'
	run cb-s3put --endpoint "$PROXY" "$B/$T/f" f
	expect_status 77
	[[ "$output" == *ExpiredToken* ]]
}

@test "credentials: the container token file is read again at each refresh" {
	mkdata big $((12 * 1024 * 1024))
	echo tok-0 >tokfile
	# the server accepts only the token now in tokfile and writes the
	# next one there after each fetch, as EKS Pod Identity rotates it
	imds_start --lifetime 302 --auth-file "$PWD/tokfile" --rotate
	container_env /container/creds
	export AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$PWD/tokfile
	# the keys expire within their 300 s margin after 2 s: fetched again
	# in the middle of the upload (see the IMDSv2 refresh test)
	run cb-s3put -j 1 --part-size 5M --rate-limit 3M "$B/$T/big" big
	expect_status 0
	grep -q "^GET /container/creds creds $GOOD_AK auth tok-0\$" "$IMDS_LOG"
	grep -q "^GET /container/creds creds $S3_ACCESS_KEY2 auth tok-1\$" \
	    "$IMDS_LOG"
	[ "$(grep -c ' 401$' "$IMDS_LOG")" = 0 ]
	as_owner awscli s3 cp "$B/$T/big" - | cmp - big
	as_owner awscli s3 rm "$B/$T/big"
}

@test "credentials: a container token with a line break is refused" {
	imds_start
	container_env /container/creds
	printf 'container-secret-token\nX-Injected: 1\n' >tokfile
	AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=$PWD/tokfile \
	    run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot use the token in '$PWD/tokfile': not one line"* ]]
	AWS_CONTAINER_AUTHORIZATION_TOKEN=$'container-secret-token\r\nX-I: 1' \
	    run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot use AWS_CONTAINER_AUTHORIZATION_TOKEN: not one line"* ]]
	[ "$(grep -c ' creds ' "$IMDS_LOG")" = 0 ]
}

@test "credentials: container URLs name a container or loopback host" {
	local u port
	imds_start
	container_env /container/creds
	export AWS_CONTAINER_AUTHORIZATION_TOKEN=container-secret-token
	port=${IMDS##*:}
	for u in http://127.0.0.1@example.com/x http://127.example.com/x \
	    http://localhost.example.com/x http://169.254.170.2.example.com/x \
	    http://169.254.170.200/x "http://[fd00:ec2::24]/x" \
	    "http://127.0.0.1:$port@example.com/container/creds"; do
		AWS_CONTAINER_CREDENTIALS_FULL_URI=$u run cb-s3put "$B/$T/f" f
		expect_status 77
		[[ "$output" == *"cannot use AWS_CONTAINER_CREDENTIALS_FULL_URI '$u': not a container or loopback address"* ]]
	done
	# a relative URI is a path on 169.254.170.2, nothing else
	AWS_CONTAINER_CREDENTIALS_RELATIVE_URI=@127.0.0.1:$port/container/creds \
	    run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot use AWS_CONTAINER_CREDENTIALS_RELATIVE_URI '@127.0.0.1:$port/container/creds': not a path"* ]]
	[ "$(grep -c ' creds ' "$IMDS_LOG")" = 0 ]
	for u in "http://localhost:$port" "http://127.0.0.1:$port"; do
		AWS_CONTAINER_CREDENTIALS_FULL_URI=$u/container/creds \
		    run cb-s3put "$B/$T/f" f
		expect_status 0
	done
	[ "$(grep -c ' creds ' "$IMDS_LOG")" = 2 ]
}

@test "credentials: a bad AWS_METADATA_SERVICE_TIMEOUT is reported, the default used" {
	imds_start
	imds_env
	for v in 0 601 -1 2s '' ' 2' 1e1 99999999999999999999; do
		AWS_METADATA_SERVICE_TIMEOUT=$v run timeout 120 \
		    cb-s3put "$B/$T/f" f
		expect_status 0
		[[ "$output" == *"cb-s3put: ignoring AWS_METADATA_SERVICE_TIMEOUT '$v': not a number of seconds in 1..600; using 2"* ]]
		# reported once, though several metadata requests were made
		[ "$(grep -c AWS_METADATA_SERVICE_TIMEOUT <<<"$output")" = 1 ]
	done
	AWS_METADATA_SERVICE_TIMEOUT=600 run cb-s3put "$B/$T/f" f
	expect_status 0
	[[ "$output" != *AWS_METADATA_SERVICE_TIMEOUT* ]]
	as_owner awscli s3 cp "$B/$T/f" - | cmp - f
}
