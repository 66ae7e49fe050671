#!/usr/bin/env bats
# Credentials in the aws CLI's order: environment, shared credentials and
# config files with profiles (static keys, roles assumed through STS,
# credential_process), web identity, container credentials, IMDSv2 (served
# by test/imds-server.py; STS by test/sts-server.py), refreshed during a
# long upload; secrets never in argv or output.

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
teardown() { imds_stop; proxy_stop; sts_stop; }

# sts_start ARGS...: start test/sts-server.py with the server's two key
# pairs; sets STS (its URL, also AWS_ENDPOINT_URL_STS) and STS_LOG.
sts_start() {
	credsrv_start STS sts-server.py "$@"
	export AWS_ENDPOINT_URL_STS=$STS
}

sts_stop() {
	credsrv_stop STS
}

# refused ARGS... MESSAGE: cb-s3put ARGS... exits 77 saying MESSAGE.
refused() {
	run cb-s3put "${@:1:$#-1}" "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"${!#}"* ]]
}

# role_env: no keys in the environment, profiles from ./config and
# ./creds, where [ops] holds the server's keys.
role_env() {
	no_env_keys
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/creds AWS_CONFIG_FILE=$PWD/config
	printf '[ops]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
	    "$GOOD_AK" "$GOOD_SK" >creds
}

# role_profile NAME LINES...: a config profile NAME for the role
# arn:aws:iam::1:role/NAME, with LINES ("key = value") after role_arn.
role_profile() {
	printf '[profile %s]\nrole_arn = arn:aws:iam::1:role/%s\n' "$1" "$1"
	shift
	printf '%s\n' "$@"
}

# cred_process_script: ./proc prints the server's keys as credential_process
# JSON, alternating between the two pairs, with Expiration now + $1 s
# (none if $1 is empty); it counts its runs in ./proc.runs.
cred_process_script() {
	test_keys_file >/dev/null	# ./keys
	cat >proc <<EOT
#!/bin/bash
echo run >>"$PWD/proc.runs"
n=\$(wc -l <"$PWD/proc.runs")
IFS=, read -r k1 k2 <"$PWD/keys"
k=\$k1; [ \$((n % 2)) = 0 ] && k=\$k2
exp=
[ -z "$1" ] || exp=", \"Expiration\": \"\$(date -u -d @\$((\$(date +%s) + $1)) +%Y-%m-%dT%H:%M:%SZ)\""
printf '{"Version": 1, "AccessKeyId": "%s", "SecretAccessKey": "%s", "SessionToken": ""%s}\n' "\${k%%:*}" "\${k#*:}" "\$exp"
EOT
	chmod +x proc
}

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

@test "credentials: an SSO profile, a failing credential_process, a role without source are errors naming them" {
	no_env_keys
	imds_start
	unset AWS_EC2_METADATA_DISABLED
	export AWS_EC2_METADATA_SERVICE_ENDPOINT=$IMDS
	role_env
	printf '[profile admin]\nrole_arn = arn:aws:iam::1:role/x\n[profile sso]\nsso_session = corp\n[default]\ncredential_process = /bin/false\n[profile bad]\ncredential_process = "/bin/echo\n[profile junk]\ncredential_process = /bin/echo {"Version": 2}\n' >config
	# never a silent fall-through to the instance's credentials
	refused --profile sso "cannot use profile 'sso' of '$PWD/config': it has no static keys and sets sso_session"
	AWS_PROFILE=admin refused "cannot use profile 'admin': it sets role_arn but no source_profile"
	refused "cannot get credentials from credential_process '/bin/false': it exited with 1"
	refused --profile bad "cannot use the credential_process of profile 'bad': empty, or an unbalanced quote"
	refused --profile junk "cannot use the output of credential_process '/bin/echo': not JSON with Version 1"
	[ "$(grep -c 'security-credentials' "$IMDS_LOG")" = 0 ]
	run cb-s3put --profile ops "$B/$T/f" f
	expect_status 0
}

@test "credentials: credential_process split like the aws CLI, no shell, keys used" {
	role_env
	cred_process_script ''
	mkdir 'a dir'
	cp proc 'a dir/my proc'
	printf '[profile p]\ncredential_process = "%s/a dir/my proc" '"'"'$HOME;x'"'"' "a\\"b"\n' "$PWD" >config
	run cb-s3put --profile p "$B/$T/f" f
	expect_status 0
	[ "$(wc -l <proc.runs)" = 1 ]
	as_owner cb-s3get "$B/$T/f" | cmp - f
	# the words as the process saw them: no shell expanded $HOME or ';'
	printf '[profile q]\ncredential_process = /bin/sh -c '"'"'printf %%s\\\\n "$0" "$1" >%s/words; exec %s/proc'"'"' '"'"'$HOME;x'"'"' "a\\"b"\n' "$PWD" "$PWD" >config
	run cb-s3put --profile q "$B/$T/f" f
	expect_status 0
	printf '%s\n' '$HOME;x' 'a"b' | cmp - words
}

@test "credentials: credential_process with an Expiration is run again during an upload" {
	mkdata big $((12 * 1024 * 1024))
	role_env
	cred_process_script 302
	printf '[default]\ncredential_process = %s/proc\n' "$PWD" >config
	# the keys expire within their 300 s margin after 2 s: run again in
	# the middle of the upload (see the IMDSv2 refresh test)
	run cb-s3put -j 1 --part-size 5M --rate-limit 3M "$B/$T/big" big
	expect_status 0
	[ "$(wc -l <proc.runs)" -ge 2 ]
	as_owner cb-s3get "$B/$T/big" | cmp - big
	as_owner awscli s3 rm "$B/$T/big"
}

@test "credentials: web identity from the environment and from a profile" {
	sts_start
	no_env_keys
	export AWS_SHARED_CREDENTIALS_FILE=$PWD/none AWS_CONFIG_FILE=$PWD/none
	echo web-identity-token >token
	AWS_WEB_IDENTITY_TOKEN_FILE=$PWD/token AWS_ROLE_ARN=arn:aws:iam::1:role/web \
	    AWS_ROLE_SESSION_NAME=pod-1 run cb-s3put -vvv "$B/$T/f" f
	expect_status 0
	grep -q '^AssumeRoleWithWebIdentity arn:aws:iam::1:role/web ak=- ext=- dur=- sess=pod-1 tok=- -> creds ' "$STS_LOG"
	[[ "$output" != *web-identity-token* ]]
	[[ "$output" != *"$GOOD_SK"* ]]
	[[ "$output" != *"$S3_SECRET_KEY2"* ]]
	as_owner cb-s3get "$B/$T/f" | cmp - f
	# a token the server does not accept: the STS error code, exit 77
	echo stale-token >token
	AWS_WEB_IDENTITY_TOKEN_FILE=$PWD/token AWS_ROLE_ARN=arn:aws:iam::1:role/web \
	    run cb-s3put "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot assume role 'arn:aws:iam::1:role/web': InvalidIdentityToken"* ]]
	[[ "$output" != *stale-token* ]]
	echo web-identity-token >token
	printf '[profile k8s]\nrole_arn = arn:aws:iam::1:role/kprof\nweb_identity_token_file = %s/token\n' "$PWD" >config
	AWS_CONFIG_FILE=$PWD/config run cb-s3put --profile k8s "$B/$T/f" f
	expect_status 0
	grep -q '^AssumeRoleWithWebIdentity arn:aws:iam::1:role/kprof .* -> creds ' "$STS_LOG"
}

@test "credentials: assume-role with source_profile, a chain of two, external_id and duration_seconds" {
	sts_start
	role_env
	{
		role_profile admin 'source_profile = ops' 'external_id = ext-42' \
		    'duration_seconds = 1800' 'role_session_name = nightly'
		role_profile hop1 'source_profile = ops'
		role_profile final 'source_profile = hop1'
	} >config
	run cb-s3put -vvv --profile admin "$B/$T/f" f
	expect_status 0
	[[ "$output" == *"credentials from assume role"* ]]
	[[ "$output" != *"$GOOD_SK"* ]]
	[[ "$output" != *"$S3_SECRET_KEY2"* ]]
	grep -q "^AssumeRole arn:aws:iam::1:role/admin ak=$GOOD_AK ext=ext-42 dur=1800 sess=nightly tok=- -> creds " "$STS_LOG"
	as_owner cb-s3get "$B/$T/f" | cmp - f
	rm "$STS_LOG"
	AWS_PROFILE=final run cb-s3put -vvv "$B/$T/f" f
	expect_status 0
	[[ "$output" != *sts-token-* ]]
	# hop1's credentials carry a session token; the server checks it
	grep -q "^AssumeRole arn:aws:iam::1:role/hop1 ak=$GOOD_AK ext=- dur=- sess=cassandra-backups-[0-9]* tok=- -> creds " "$STS_LOG"
	grep -q "^AssumeRole arn:aws:iam::1:role/final ak=[A-Z0-9]* ext=- dur=- sess=[^ ]* tok=sts-token-[0-9]* -> creds " "$STS_LOG"
	[ "$(wc -l <"$STS_LOG")" = 2 ]
}

@test "credentials: credential_source Environment, a source_profile loop, mfa_serial, bad duration" {
	sts_start
	role_env
	{
		role_profile envrole 'credential_source = Environment'
		role_profile a 'source_profile = b'
		role_profile b 'source_profile = a'
		role_profile mfa 'source_profile = ops' \
		    'mfa_serial = arn:aws:iam::1:mfa/me'
		role_profile long 'source_profile = ops' 'duration_seconds = 86400'
	} >config
	as_owner run cb-s3put --profile envrole "$B/$T/f" f
	expect_status 0
	grep -q "^AssumeRole arn:aws:iam::1:role/envrole ak=$GOOD_AK .* -> creds " "$STS_LOG"
	refused --profile envrole "its credential_source is Environment, but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
	refused --profile a "cannot use profile 'b': its source_profile chain loops back to 'a'"
	refused --profile mfa "cannot use profile 'mfa': it sets mfa_serial, and MFA prompts are not supported in unattended runs"
	refused --profile long "duration_seconds '86400' is not a number of seconds in 900..43200"
	[ "$(wc -l <"$STS_LOG")" = 1 ]
}

@test "credentials: STS AccessDenied is 77 with the code, no STS answer is 69" {
	sts_start --deny arn:aws:iam::1:role/denied
	role_env
	role_profile denied 'source_profile = ops' >config
	run cb-s3put --profile denied "$B/$T/f" f
	expect_status 77
	[[ "$output" == *"cannot assume role 'arn:aws:iam::1:role/denied': AccessDenied"* ]]
	grep -q ' -> AccessDenied$' "$STS_LOG"
	sts_stop
	run cb-s3put --profile denied "$B/$T/f" f
	expect_status 69
	[[ "$output" == *"cannot assume role 'arn:aws:iam::1:role/denied': no answer from STS"* ]]
}

@test "credentials: assumed-role credentials are refreshed during an upload" {
	mkdata big $((12 * 1024 * 1024))
	sts_start --lifetime 302
	role_env
	role_profile r 'source_profile = ops' >config
	mkdata small $((2 * 1024 * 1024))
	cb-s3put --profile r --rate-limit 1M "$B/$T/small" small >/dev/null &
	pid=$!
	sleep 0.5
	tr '\0' ' ' </proc/$pid/cmdline >cmdline
	wait "$pid"
	grep -q cb-s3put cmdline
	expect_no_match -e "$GOOD_SK" -e "$S3_SECRET_KEY2" cmdline
	rm "$STS_LOG"
	# the keys expire within their 300 s margin after 2 s: assumed again
	run cb-s3put --profile r -j 1 --part-size 5M --rate-limit 3M "$B/$T/big" big
	expect_status 0
	grep -q " -> creds $GOOD_AK\$" "$STS_LOG"
	grep -q " -> creds $S3_ACCESS_KEY2\$" "$STS_LOG"
	as_owner cb-s3get "$B/$T/big" | cmp - big
	as_owner awscli s3 rm "$B/$T/big"
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
