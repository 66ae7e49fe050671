#!/bin/bash
# test/services/cassandra.sh start STATEDIR [N] | stop STATEDIR: a real
# Apache Cassandra 5.0 cluster of N nodes (default 1) for the tests, each
# node a test host of its own reachable over ssh.
#
# Install (once, into a cache that later runs reuse): the server's jars
# from Maven Central (test/cassandra-real/pom.xml, mvn
# dependency:copy-dependencies) and cqlsh from PyPI in a virtualenv.  The
# cache is CB_TEST_CASSANDRA_CACHE (default /var/cache/cb-test-cassandra;
# not under /tmp, which the nodes do not share), the version
# CB_TEST_CASSANDRA_VERSION (default 5.0.9), the JDK a Java 17 (Cassandra
# 5.0 runs on 11 and 17; newer JDKs refuse its security manager).
#
# Nodes.  test/services/hosts.sh starts N sshd test hosts of this
# service's own (STATEDIR/cassandra/hosts) on 127.0.0.F.. (F =
# CB_TEST_CASSANDRA_FIRST_IP, default 12), ssh port
# CB_TEST_CASSANDRA_SSH_PORT (default 2422): not the stand-in hosts on
# 127.0.0.2-4, whose tests wipe their /var/lib/cassandra.  Each node's
# Cassandra JVM runs inside that host's mount namespace (nsenter into its
# sshd's), so seen from the node, over ssh, everything is at the packaged
# paths:
#
#   /etc/cassandra/         cassandra.yaml, cassandra-rackdc.properties
#                           (dc1, rack1), cassandra-env.sh (JMX_PORT),
#                           jvm*-server.options, jvm17-clients.options,
#                           logback.xml, logback-tools.xml
#   /etc/cassandra/bin/     nodetool, cqlsh, cassandra: for
#                           --cassandra-tools-bin-dir; cassandra-stop and
#                           cassandra-start: the service commands of a
#                           restore --load restart
#   /var/lib/cassandra/     data (node 1 also data2: JBOD), commitlog,
#                           saved_caches, hints, cdc_raw
#
# Node i listens on 127.0.0.(F+i-1) (storage 7000, CQL 9042) and has JMX
# on 127.0.0.1, port CB_TEST_CASSANDRA_JMX_PORT + 100 * (i-1) (default
# 7199, 7299, 7399), as ccm does.  The first node is the seed; the nodes
# start one after another, each UN in nodetool status before the next
# (CB_TEST_CASSANDRA_TIMEOUT seconds each, default 240).  Server output:
# STATEDIR/cassandra/log/<ip>.log.
#
# start writes STATEDIR/cassandra.env (shell exports):
#   CB_REAL_CASSANDRA_HOSTS       "127.0.0.12 ..." (the ssh hosts = nodes)
#   CB_REAL_CASSANDRA_SSH_CONFIG  ssh_config for them (aliases n1, n2...)
#   CB_REAL_CASSANDRA_SSH_PORT, CB_REAL_CASSANDRA_SSH_KEY
#   CB_REAL_CASSANDRA_HOSTS_DIR   the node roots as seen from outside:
#                                 <ip>/etc-cassandra, <ip>/var-lib-cassandra
#   CB_REAL_CASSANDRA_BIN         /etc/cassandra/bin (inside a node)
#   CB_REAL_CASSANDRA_CONF        /etc/cassandra (inside a node)
#   CB_REAL_CASSANDRA_JMX_PORTS   "7199 ..." in node order
#   CB_REAL_CASSANDRA_VERSION     e.g. 5.0.9
#   CB_REAL_CASSANDRA_DC, CB_REAL_CASSANDRA_RACK, CB_REAL_CASSANDRA_CLUSTER
#   CB_REAL_CASSANDRA_LOG_DIR     the server logs
# From outside a node, its tools are CB_REAL_CASSANDRA_HOSTS_DIR/<ip>/
# etc-cassandra/bin/nodetool (they find their conf beside them).
#
# stop stops the JVMs (SIGTERM, SIGKILL after 30 s; only processes whose
# command line names this STATEDIR), then the test hosts, and removes
# STATEDIR/cassandra.  Knobs: CB_TEST_CASSANDRA_HEAP (max heap, default
# 512m), CB_TEST_CASSANDRA_NUM_TOKENS (default 4).
set -euo pipefail

usage() { echo "usage: $0 start STATEDIR [N] | stop STATEDIR" >&2; exit 64; }
[ $# -ge 2 ] && [ $# -le 3 ] || usage
CMD=$1
mkdir -p "$2"
STATE=$(cd "$2" && pwd)
N=${3:-1}
case $N in [1-9]) ;; *) usage ;; esac
HERE=$(cd "$(dirname "$0")" && pwd)
TPL=$HERE/../cassandra-real
DIR=$STATE/cassandra
HD=$DIR/hosts
CACHE=${CB_TEST_CASSANDRA_CACHE:-/var/cache/cb-test-cassandra}
VERSION=${CB_TEST_CASSANDRA_VERSION:-5.0.9}
CQLSH_VERSION=6.2.2
FIRST=${CB_TEST_CASSANDRA_FIRST_IP:-12}
SSH_PORT=${CB_TEST_CASSANDRA_SSH_PORT:-2422}
JMX_BASE=${CB_TEST_CASSANDRA_JMX_PORT:-7199}
TIMEOUT=${CB_TEST_CASSANDRA_TIMEOUT:-240}
HEAP=${CB_TEST_CASSANDRA_HEAP:-512m}
NUM_TOKENS=${CB_TEST_CASSANDRA_NUM_TOKENS:-4}
LIB=$CACHE/$VERSION/lib
VENV=$CACHE/cqlsh-$CQLSH_VERSION
MARK=-Dcb.test.cassandra=$DIR/
T0=$(date +%s%N)

log() {
	local ms=$((($(date +%s%N) - T0) / 1000000))
	printf '[cassandra.sh %d.%03ds] %s\n' $((ms / 1000)) $((ms % 1000)) "$*"
}

die() { echo "cassandra.sh: $*" >&2; exit 1; }

node_ip() { echo "127.0.0.$((FIRST + $1 - 1))"; }	# node_ip I (1-based)
jmx_port() { echo $((JMX_BASE + 100 * ($1 - 1))); }

ours() { # ours PID: alive and a JVM of this instance
	[ -r "/proc/$1/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$1/cmdline" | grep -qF -- "$MARK"
}

alive() {
	local st
	st=$(awk '/^State:/{print $2}' "/proc/$1/status" 2>/dev/null) ||
	    return 1
	[ -n "$st" ] && [ "$st" != Z ]
}

# find_java: a Java 17 (CB_TEST_JAVA, else Debian's or any JDK 17 in
# /usr/lib/jvm), never whatever newer JDK `java` on PATH may be.
find_java() {
	local j
	for j in ${CB_TEST_JAVA:-} /usr/lib/jvm/java-17-openjdk-*/bin/java \
	    /usr/lib/jvm/*17*/bin/java; do
		[ -x "$j" ] || continue
		if "$j" -version 2>&1 | head -1 | grep -q '"17[."]'; then
			JAVA=$j
			return 0
		fi
	done
	die "no Java 17 found (sh test/deps.sh; or set CB_TEST_JAVA)"
}

# install_jars: the server's jars into CACHE/VERSION/lib, once.
install_jars() {
	local t
	[ -e "$LIB/.complete" ] && return 0
	t=$(date +%s)
	rm -rf "$LIB.tmp"
	JAVA_HOME=${JAVA%/bin/java} mvn -B -q -f "$TPL/pom.xml" \
	    -Dmaven.repo.local="$CACHE/m2" -Dcassandra.version="$VERSION" \
	    dependency:copy-dependencies -DoutputDirectory="$LIB.tmp" \
	    >"$CACHE/mvn-$VERSION.log" 2>&1 ||
	    die "mvn could not fetch cassandra-all $VERSION (see $CACHE/mvn-$VERSION.log)"
	[ -e "$LIB.tmp/cassandra-all-$VERSION.jar" ] ||
	    die "no cassandra-all-$VERSION.jar after mvn (see $CACHE/mvn-$VERSION.log)"
	rm -rf "$LIB"
	mv "$LIB.tmp" "$LIB"
	touch "$LIB/.complete"
	log "installed Cassandra $VERSION jars ($(ls "$LIB" | wc -l) files) in $(($(date +%s) - t)) s"
}

# install_cqlsh: cqlsh from PyPI in a virtualenv, once.
install_cqlsh() {
	local t
	[ -e "$VENV/.complete" ] && return 0
	t=$(date +%s)
	rm -rf "$VENV"
	/usr/bin/python3 -m venv "$VENV" >"$CACHE/pip.log" 2>&1 &&
	    "$VENV/bin/pip" install -q --disable-pip-version-check \
	    "cqlsh==$CQLSH_VERSION" >>"$CACHE/pip.log" 2>&1 ||
	    die "cannot install cqlsh $CQLSH_VERSION (see $CACHE/pip.log)"
	touch "$VENV/.complete"
	log "installed cqlsh $CQLSH_VERSION in $(($(date +%s) - t)) s"
}

do_install() {
	local b
	for b in mvn nsenter setsid ssh sshd; do
		command -v "$b" >/dev/null || [ -x "/usr/sbin/$b" ] ||
		    die "missing $b (sh test/deps.sh)"
	done
	case $CACHE in
	/tmp|/tmp/*) die "CB_TEST_CASSANDRA_CACHE must not be under /tmp (the nodes have their own /tmp)" ;;
	esac
	find_java
	mkdir -p "$CACHE"
	# One installer at a time: other checkouts may share the cache.
	exec 9>"$CACHE/.lock"
	flock 9
	install_jars
	install_cqlsh
	flock -u 9
	JAMM=$(cd "$LIB" && ls jamm-*.jar | head -1)
	[ -n "$JAMM" ] || die "no jamm jar in $LIB"
}

# fill FILE: a template with the @NAMES@ of this node filled in.
fill() {
	sed -e "s|@LIB@|$LIB|g" -e "s|@JAVA@|$JAVA|g" -e "s|@JAMM@|$JAMM|g" \
	    -e "s|@CQLSH@|$VENV/bin/cqlsh|g" -e "s|@ADDRESS@|$ip|g" \
	    -e "s|@SEED@|$(node_ip 1)|g" -e "s|@NUM_TOKENS@|$NUM_TOKENS|g" \
	    -e "s|@HEAP_MIN@|256m|g" -e "s|@HEAP_MAX@|$HEAP|g" \
	    -e "s|@RING_DELAY_MS@|5000|g" \
	    -e "s|@PIDFILE@|/run/cb-test-hosts/$SSH_PORT/$ip/cassandra.pid|g" "$1"
}

write_node() { # write_node I: the node's /etc/cassandra, its data dirs
	local i=$1 ip etc var f dirs="  - /var/lib/cassandra/data"
	ip=$(node_ip "$i")
	etc=$HD/$ip/etc-cassandra
	var=$HD/$ip/var-lib-cassandra
	[ "$i" = 1 ] && dirs="$dirs
  - /var/lib/cassandra/data2"
	mkdir -p "$etc/bin" "$var"/{data,commitlog,saved_caches,hints,cdc_raw}
	[ "$i" = 1 ] && mkdir -p "$var/data2"
	fill "$TPL/cassandra.yaml" | awk -v d="$dirs" \
	    '$0 == "@DATA_DIRS@" { print d; next } { print }' \
	    >"$etc/cassandra.yaml"
	for f in jvm-server.options jvm17-server.options \
	    jvm17-clients.options logback.xml logback-tools.xml; do
		fill "$TPL/$f" >"$etc/$f"
	done
	for f in cassandra nodetool cqlsh cassandra-stop cassandra-start; do
		fill "$TPL/bin/$f" >"$etc/bin/$f"
		chmod 755 "$etc/bin/$f"
	done
	printf 'dc=dc1\nrack=rack1\n' >"$etc/cassandra-rackdc.properties"
	cat >"$etc/cassandra-env.sh" <<ENV
# cassandra-env.sh of test node $ip (test/services/cassandra.sh): read by
# bin/cassandra and bin/nodetool beside it, as Apache Cassandra's are.
JMX_PORT=$(jmx_port "$i")
JVM_EXTRA_OPTS="$MARK$ip"
ENV
}

node_pid() { # node_pid IP: the JVM's pid, if it is alive and ours
	local f=$HD/$1/cassandra.pid pid
	[ -s "$f" ] || return 1
	pid=$(cat "$f")
	ours "$pid" && alive "$pid" && echo "$pid"
}

# start_node I: the node's JVM inside its test host's mount namespace.
start_node() {
	local ip sshd
	ip=$(node_ip "$1")
	sshd=$(cat "$HD/$ip/unshare.pid")
	[ -r "/proc/$sshd/ns/mnt" ] || die "test host $ip is not running"
	# The pid file is written from inside: $mnt/<ip> there is $HD/<ip>.
	nsenter --mount="/proc/$sshd/ns/mnt" -- setsid \
	    /etc/cassandra/bin/cassandra \
	    -p "/run/cb-test-hosts/$SSH_PORT/$ip/cassandra.pid" \
	    </dev/null >>"$DIR/log/$ip.log" 2>&1 &
	BG=$!
}

# status_un I: nodetool status (through node I's JMX) shows nodes 1..I UN.
status_un() {
	local i=$1 out k
	out=$("$HD/$(node_ip "$i")/etc-cassandra/bin/nodetool" status \
	    2>/dev/null) || return 1
	for k in $(seq 1 "$i"); do
		grep -qE "^UN +$(node_ip "$k" | sed 's/\./\\./g') " <<<"$out" ||
		    return 1
	done
}

wait_node() { # wait_node I: UN within TIMEOUT s, or the log and exit 1
	local i=$1 ip deadline
	ip=$(node_ip "$i")
	deadline=$(($(date +%s) + TIMEOUT))
	# Cheap checks first (a nodetool JVM costs seconds of CPU): the CQL
	# port open, then UN.
	until (exec 3<>"/dev/tcp/$ip/9042") 2>/dev/null && status_un "$i"; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			tail -20 "$DIR/log/$ip.log" >&2
			die "node $ip not UN after $TIMEOUT s (log: $DIR/log/$ip.log)"
		fi
		# (dead is gone: right after bin/cassandra writes the pid
		# file, the child may not have become the JVM yet, so it
		# does not look like ours, but it is alive)
		if { [ -s "$HD/$ip/cassandra.pid" ] && ! alive "$(cat "$HD/$ip/cassandra.pid")"; } ||
		    { [ ! -s "$HD/$ip/cassandra.pid" ] && ! alive "$BG"; }
		then
			tail -20 "$DIR/log/$ip.log" >&2
			die "node $ip died (log: $DIR/log/$ip.log)"
		fi
		sleep 1
	done
}

stop_jvm() { # stop_jvm PID: SIGTERM, SIGKILL after 30 s
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 300; i++)); do alive "$pid" || return 0; sleep 0.1; done
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do alive "$pid" || return 0; sleep 0.1; done
}

do_stop() {
	local p pid pids=()
	[ -d "$DIR" ] || { rm -f "$STATE/cassandra.env"; return 0; }
	# Every JVM of this instance at once (they stop in parallel), found
	# by the mark on its command line, pid files or not.
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		if ours "$pid" && alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	for pid in "${pids[@]}"; do stop_jvm "$pid"; done
	if [ -d "$HD" ]; then
		CB_TEST_SSH_PORT=$SSH_PORT bash "$HERE/hosts.sh" stop "$DIR" \
		    >/dev/null 2>&1 || true
	fi
	rm -f "$STATE/cassandra.env"
	[ "${1:-}" = keep ] || rm -rf "$DIR"
}

check_ports() {
	local i ip p
	for i in $(seq 1 "$N"); do
		ip=$(node_ip "$i")
		for p in "$ip:7000" "$ip:9042" "$ip:$SSH_PORT" \
		    "127.0.0.1:$(jmx_port "$i")"; do
			if (exec 3<>"/dev/tcp/${p%:*}/${p##*:}") 2>/dev/null; then
				die "$p is already in use"
			fi
		done
	done
}

write_env() {
	local i ips="" jmx=""
	for i in $(seq 1 "$N"); do
		ips="$ips $(node_ip "$i")"
		jmx="$jmx $(jmx_port "$i")"
	done
	cat >"$STATE/cassandra.env" <<ENV
export CB_REAL_CASSANDRA_HOSTS="${ips# }"
export CB_REAL_CASSANDRA_SSH_CONFIG=$HD/ssh_config
export CB_REAL_CASSANDRA_SSH_PORT=$SSH_PORT
export CB_REAL_CASSANDRA_SSH_KEY=$HD/id_ed25519
export CB_REAL_CASSANDRA_HOSTS_DIR=$HD
export CB_REAL_CASSANDRA_BIN=/etc/cassandra/bin
export CB_REAL_CASSANDRA_CONF=/etc/cassandra
export CB_REAL_CASSANDRA_JMX_PORTS="${jmx# }"
export CB_REAL_CASSANDRA_VERSION=$VERSION
export CB_REAL_CASSANDRA_DC=dc1
export CB_REAL_CASSANDRA_RACK=rack1
export CB_REAL_CASSANDRA_CLUSTER=cb-test
export CB_REAL_CASSANDRA_LOG_DIR=$DIR/log
ENV
}

do_start() {
	local i ip t pid rss
	do_stop
	do_install
	log "cache ready ($CACHE, Cassandra $VERSION, $JAVA)"
	check_ports
	mkdir -p "$DIR/log"
	trap 'rc=$?; [ $rc = 0 ] || { echo "cassandra.sh: start failed, logs in $DIR/log" >&2; do_stop keep; }' EXIT
	CB_TEST_SSH_PORT=$SSH_PORT CB_TEST_NODES=$N CB_TEST_FIRST_IP=$FIRST \
	    bash "$HERE/hosts.sh" start "$DIR" >"$DIR/log/hosts.log" 2>&1 ||
	    die "test hosts did not start (see $DIR/log/hosts.log)"
	log "test hosts up"
	for i in $(seq 1 "$N"); do
		ip=$(node_ip "$i")
		write_node "$i"
		t=$(date +%s%N)
		start_node "$i"
		wait_node "$i"
		log "node $i ($ip, JMX $(jmx_port "$i")) UN after $((($(date +%s%N) - t) / 1000000)) ms"
	done
	for i in $(seq 1 "$N"); do
		ip=$(node_ip "$i")
		pid=$(node_pid "$ip") || die "node $ip has no running JVM"
		rss=$(ps -o rss= -p "$pid" | tr -d ' ')
		log "node $i ($ip) pid $pid RSS $((rss / 1024)) MiB"
	done
	write_env
	trap - EXIT
	log "cluster of $N up"
}

case $CMD in
start) do_start ;;
stop) do_stop ;;
*) usage ;;
esac
