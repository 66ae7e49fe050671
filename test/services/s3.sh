#!/bin/bash
# test/services/s3.sh start|stop STATEDIR: a throw-away S3 server for the
# tests, Ceph RADOS Gateway on 127.0.0.1 (one monitor, one OSD on the
# RAM-backed memstore, radosgw), all state under STATEDIR/s3.
#
# start writes STATEDIR/s3.env (shell exports): S3_ENDPOINT, S3_BUCKET,
# AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_DEFAULT_REGION, and a second
# key pair of the same user, S3_ACCESS_KEY2 / S3_SECRET_KEY2 (for credential
# rotation tests).  The port is CB_TEST_S3_PORT (default 7480); the monitor
# takes port + 1.  stop stops the daemons by pid (only processes whose
# command line names STATEDIR/s3/ceph.conf) and removes STATEDIR/s3.
#
# TLS and AWS emulation.  start makes a throw-away CA under STATEDIR/s3/tls
# (ca.pem, server.pem + server.key, and an unrelated wrong-ca.pem) whose
# server certificate names 127.0.0.1, localhost and the AWS S3 host names
# of us-east-1, eu-west-1 and cn-north-1.  RGW also serves https on port +
# 2.  On port + 3 runs test/s3-proxy.py --strict over TLS: it answers for
# the AWS host names (reach it with curl --connect-to ::127.0.0.1:PORT+3 or
# CB_S3_CONNECT_TO), checks what AWS checks and RGW does not, and passes the
# request on to RGW re-signed in path style.  More s3.env exports:
#   S3_ENDPOINT_TLS      https://127.0.0.1:PORT+2 (RGW itself)
#   S3_CA_BUNDLE         the CA of both https servers
#   S3_WRONG_CA          a CA that signed neither
#   S3_AWS_CONNECT_TO    127.0.0.1:PORT+3, the strict proxy
#   S3_AWS_REGION        us-east-1 (the region of S3_BUCKET)
#   S3_BUCKET_EU, S3_BUCKET_EU_REGION   a bucket the proxy puts in eu-west-1
#   S3_BUCKET_DOTS       a bucket with dots in its name (us-east-1)
#   S3_PROXY_LOG         the strict proxy's log (see test/s3-proxy.py)
#
# Knobs: MEMSTORE_BYTES (OSD capacity in RAM, default 2 GiB), START_TIMEOUT.
# Ceph 16 differs from AWS: empty <Message/>, AES256 not echoed, region not
# checked, trailing-checksum uploads refused, a path with a `..` segment gets
# no answer at all, and PUTs hang (not fail) when the store is full.
set -euo pipefail

usage() { echo "usage: $0 start|stop STATEDIR" >&2; exit 64; }
[ $# -eq 2 ] || usage
CMD=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd)
DIR=$STATE/s3
CONF=$DIR/ceph.conf
PORT=${CB_TEST_S3_PORT:-7480}
MON_PORT=$((PORT + 1))
TLS_PORT=$((PORT + 2))
PROXY_PORT=$((PORT + 3))
TLS=$DIR/tls
HERE=$(cd "$(dirname "$0")" && pwd)
AK=AKTESTAKTESTAKTEST01
SK=SKTESTSKTESTSKTESTSKTESTSKTESTSKTEST0001
AK2=AKTESTAKTESTAKTEST02
SK2=SKTESTSKTESTSKTESTSKTESTSKTESTSKTEST0002
BUCKET=test-bucket
BUCKET_EU=test-bucket-eu
BUCKET_DOTS=test.bucket.dots
MEMSTORE_BYTES=${MEMSTORE_BYTES:-2147483648}
TIMEOUT=${START_TIMEOUT:-60}
T0=$(date +%s%N)

log() {
	local ms=$((($(date +%s%N) - T0) / 1000000))
	printf '[s3.sh %d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"
}

ours() { # ours PID: alive and one of this instance's daemons
	[ -r "/proc/$1/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$CONF"
}

alive() {
	local st
	st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null) ||
	    return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

stop_one() { # stop_one NAME: SIGTERM, then SIGKILL after 10 s
	local f=$DIR/run/$1.pid pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if ! ours "$pid"; then rm -f "$f"; return 0; fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.1; done
	fi
	rm -f "$f"
}

# stop_proxy: the strict proxy, by pid (only if its command line names
# this instance's port file).
stop_proxy() {
	local f=$DIR/run/proxy.pid pid i
	[ -s "$f" ] || return 0
	pid=$(cat "$f")
	if [ -r "/proc/$pid/cmdline" ] &&
	    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF -- "$DIR/run/proxy"
	then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do alive "$pid" || break; sleep 0.02; done
		alive "$pid" && kill -KILL "$pid" 2>/dev/null
	fi
	rm -f "$f"
}

do_stop() {
	local p pid
	[ -d "$DIR" ] || return 0
	stop_proxy
	# radosgw first, then the OSD, then the monitor: an OSD whose monitor
	# is gone waits seconds trying to report its shutdown.
	stop_one client.rgw.s3
	stop_one osd.0
	stop_one mon.a
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		if ours "$pid" && alive "$pid"; then
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done
	[ "${1:-}" = keep ] || rm -rf "$DIR"
	rm -f "$STATE/s3.env"
}

daemons_alive() {
	local f
	for f in "$DIR"/run/*.pid; do
		[ -e "$f" ] || continue
		kill -0 "$(cat "$f")" 2>/dev/null || {
			echo "s3.sh: $(basename "$f" .pid) died (see $DIR/log)" >&2
			return 1
		}
	done
}

wait_for() { # wait_for WHAT CMD...
	local what=$1 deadline=$(($(date +%s) + TIMEOUT))
	shift
	until "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ] || ! daemons_alive; then
			echo "s3.sh: gave up waiting for $what (logs in $DIR/log)" >&2
			exit 1
		fi
		sleep 0.1
	done
}

write_conf() {
	cat >"$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
mon initial members = a
public addr = 127.0.0.1
public network = 127.0.0.1/32
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
ms mon client mode = crc
keyring = $DIR/keyring
run dir = $DIR/run
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log file = $DIR/log/\$name.log
mon cluster log file = $DIR/log/cluster.log
crash dir = $DIR/crash
log to stderr = false
err to stderr = false
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon max pg per osd = 1000
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.05

[mon]
mon data = $DIR/mon.\$id

[osd]
osd data = $DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd crush update on start = true
osd op num shards = 1
osd op num threads per shard = 2

[client.rgw.s3]
rgw frontends = beast endpoint=127.0.0.1:$PORT ssl_endpoint=127.0.0.1:$TLS_PORT ssl_certificate=$TLS/server.pem ssl_private_key=$TLS/server.key
rgw data = $DIR/rgw
rgw crypt require ssl = false
rgw crypt s3 kms backend = testing
rgw crypt s3 kms encryption keys = testkey-1=YmluCmJvb3N0CmJvb3N0LWJ1aWxkCmNlcGguY29uZgo= testkey-2=aWIKTWFrZWZpbGUKbWFuCm91dApzcmMKVGVzdGluZwo=
rgw thread pool size = 32
rgw dynamic resharding = false
rgw enable usage log = false
rgw gc obj min wait = 30
rgw gc processor period = 30
CONF
}

# aws_sans: the certificate names of the AWS S3 endpoints the proxy plays.
aws_sans() {
	local r d san="DNS:s3.amazonaws.com,DNS:*.s3.amazonaws.com"
	for r in us-east-1 eu-west-1 cn-north-1; do
		d=amazonaws.com
		case $r in cn-*) d=amazonaws.com.cn ;; esac
		san="$san,DNS:s3.$r.$d,DNS:*.s3.$r.$d"
	done
	echo "$san"
}

make_ca() { # make_ca NAME: a self-signed CA, NAME.pem and NAME.key
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$TLS/$1.key" -out "$TLS/$1.pem" -days 30 \
	    -subj "/CN=cassandra-backups test $1" \
	    -addext basicConstraints=critical,CA:TRUE \
	    -addext keyUsage=critical,keyCertSign,cRLSign 2>>"$DIR/log/tls.out"
}

# make_tls: a throw-away CA, a server certificate it signed for the
# loopback and the AWS names, and a second CA that signed nothing here.
make_tls() {
	mkdir -p "$TLS"
	make_ca ca
	make_ca wrong-ca
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
	    -keyout "$TLS/server.key" -out "$TLS/server.csr" \
	    -subj /CN=127.0.0.1 2>>"$DIR/log/tls.out"
	cat >"$TLS/server.ext" <<EXT
subjectAltName=IP:127.0.0.1,DNS:localhost,$(aws_sans)
basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectKeyIdentifier=hash
authorityKeyIdentifier=keyid
EXT
	openssl x509 -req -in "$TLS/server.csr" -CA "$TLS/ca.pem" \
	    -CAkey "$TLS/ca.key" -CAcreateserial -days 30 \
	    -extfile "$TLS/server.ext" -out "$TLS/server.pem" \
	    2>>"$DIR/log/tls.out"
}

# start_proxy: test/s3-proxy.py --strict over TLS in front of RGW (its
# secret keys from a file: no secret on a command line).
start_proxy() {
	(umask 077 && printf '%s:%s,%s:%s\n' "$AK" "$SK" "$AK2" "$SK2" \
	    >"$DIR/keys")
	/usr/bin/python3 "$HERE/../s3-proxy.py" --strict \
	    --upstream "http://127.0.0.1:$PORT" --port "$PROXY_PORT" \
	    --port-file "$DIR/run/proxy.port" --log "$DIR/log/proxy.log" \
	    --tls-cert "$TLS/server.pem" --tls-key "$TLS/server.key" \
	    --keys "@$DIR/keys" --bucket-region "$BUCKET_EU=eu-west-1" \
	    </dev/null >>"$DIR/log/proxy.out" 2>&1 &
	echo $! >"$DIR/run/proxy.pid"
}

# make_buckets NAME...: one curl, one connection, each must answer 200.
make_buckets() {
	local b args=() codes
	for b; do args+=(-o /dev/null "http://127.0.0.1:$PORT/$b"); done
	# curl does not send x-amz-content-sha256 itself; RGW needs it.
	codes=$(curl -s --max-time 30 -w '%{http_code} ' -X PUT \
	    -H "x-amz-content-sha256: \
e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" \
	    --aws-sigv4 "aws:amz:us-east-1:s3" --user "$AK:$SK" "${args[@]}")
	[ "$codes" = "$(printf '200 %.0s' "$@")" ] ||
	    { echo "s3.sh: bucket creation ($*): HTTP $codes" >&2; exit 1; }
}

# rgw_up: radosgw answers plain http.
rgw_up() {
	curl -s --max-time 2 -o /dev/null -w '%{http_code}' \
	    "http://127.0.0.1:$PORT/" | grep -q '^[2-4]'
}

# tls_up: RGW answers https (anonymous: 200) and so does the strict proxy,
# by an AWS name (unsigned: 403), both with certificates of our CA.
tls_up() {
	[ "$(curl -s --max-time 2 -o /dev/null -o /dev/null -w '%{http_code} ' \
	    --cacert "$TLS/ca.pem" --connect-to \
	    "s3.us-east-1.amazonaws.com:443:127.0.0.1:$PROXY_PORT" \
	    "https://127.0.0.1:$TLS_PORT/" \
	    https://s3.us-east-1.amazonaws.com/)" = "200 403 " ]
}

do_start() {
	local b p
	for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool \
	    curl uuidgen openssl; do
		command -v "$b" >/dev/null ||
		    { echo "s3.sh: missing $b (sh test/deps.sh)" >&2; exit 1; }
	done
	do_stop
	for p in "$PORT" "$MON_PORT" "$TLS_PORT" "$PROXY_PORT"; do
		if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "s3.sh: 127.0.0.1:$p is already in use" >&2
			exit 1
		fi
	done
	mkdir -p "$DIR"/{run,log,mon.a,osd.0}
	FSID=$(uuidgen)
	write_conf
	make_tls &
	local tls_pid=$!
	: >"$DIR/keyring"
	trap 'rc=$?; [ $rc = 0 ] || { echo "s3.sh: start failed, logs in $DIR/log" >&2; do_stop keep; }' EXIT

	monmaptool --create --fsid "$FSID" --addv a \
	    "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
	ceph-mon -c "$CONF" --mkfs -i a --monmap "$DIR/monmap" \
	    >"$DIR/log/mkfs-mon.out" 2>&1
	ceph-mon -c "$CONF" -i a
	CEPH=(ceph -c "$CONF" --connect-timeout 10)
	wait_for monitor "${CEPH[@]}" mon stat
	log "monitor up"

	local uuid id
	uuid=$(uuidgen)
	id=$("${CEPH[@]}" osd new "$uuid")
	[ "$id" = 0 ] || { echo "s3.sh: unexpected osd id $id" >&2; exit 1; }
	ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" \
	    >"$DIR/log/mkfs-osd.out" 2>&1
	ceph-osd -c "$CONF" -i 0
	osd_up() { "${CEPH[@]}" osd dump 2>/dev/null | grep -q '^osd.0 up'; }
	wait_for "osd.0 up" osd_up
	log "osd up"

	wait "$tls_pid" ||
	    { echo "s3.sh: certificates failed (see $DIR/log/tls.out)" >&2; exit 1; }
	radosgw -c "$CONF" -n client.rgw.s3
	start_proxy
	wait_for "radosgw on 127.0.0.1:$PORT" rgw_up
	log "radosgw answering"

	timeout "$TIMEOUT" radosgw-admin -c "$CONF" -n client.admin user \
	    create --uid=test --display-name="test user" \
	    --access-key="$AK" --secret-key="$SK" >"$DIR/log/user.out"
	timeout "$TIMEOUT" radosgw-admin -c "$CONF" -n client.admin key \
	    create --uid=test --key-type=s3 \
	    --access-key="$AK2" --secret-key="$SK2" >>"$DIR/log/user.out"
	log "user created"

	make_buckets "$BUCKET" "$BUCKET_EU" "$BUCKET_DOTS"
	log "buckets created"

	wait_for "https on 127.0.0.1:$TLS_PORT and $PROXY_PORT" tls_up
	log "https and strict proxy answering"

	cat >"$STATE/s3.env" <<ENV
export S3_ENDPOINT=http://127.0.0.1:$PORT
export S3_BUCKET=$BUCKET
export AWS_ACCESS_KEY_ID=$AK
export AWS_SECRET_ACCESS_KEY=$SK
export AWS_DEFAULT_REGION=us-east-1
export S3_ACCESS_KEY2=$AK2
export S3_SECRET_KEY2=$SK2
export S3_ENDPOINT_TLS=https://127.0.0.1:$TLS_PORT
export S3_CA_BUNDLE=$TLS/ca.pem
export S3_WRONG_CA=$TLS/wrong-ca.pem
export S3_AWS_CONNECT_TO=127.0.0.1:$PROXY_PORT
export S3_AWS_REGION=us-east-1
export S3_BUCKET_EU=$BUCKET_EU
export S3_BUCKET_EU_REGION=eu-west-1
export S3_BUCKET_DOTS=$BUCKET_DOTS
export S3_PROXY_LOG=$DIR/log/proxy.log
ENV
	trap - EXIT
}

case $CMD in
start) do_start ;;
stop) do_stop ;;
*) usage ;;
esac
