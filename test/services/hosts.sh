#!/usr/bin/env bash
# test/services/hosts.sh start|stop STATEDIR: ssh test hosts on loopback.
#
# Starts one real sshd per node on 127.0.0.2, 127.0.0.3, 127.0.0.4 (more with
# CB_TEST_NODES=N; the first address 127.0.0.F with CB_TEST_FIRST_IP=F,
# default 2), port CB_TEST_SSH_PORT (default 2222).  Each sshd runs in
# its own mount namespace (unshare -m) where STATEDIR/hosts/<ip>/etc-cassandra
# is bind-mounted on /etc/cassandra and STATEDIR/hosts/<ip>/var-lib-cassandra
# on /var/lib/cassandra (and STATEDIR/hosts/<ip>/tmp on /tmp), so every node
# sees its own Cassandra configuration, data and scratch space at the
# standard paths, as separate machines would.  Logins are as root with a key generated
# here.  start writes STATEDIR/hosts.env:
#
#   CB_TEST_HOSTS        "127.0.0.2 127.0.0.3 127.0.0.4"
#   CB_TEST_SSH_PORT     the port
#   CB_TEST_SSH_KEY      the private key
#   CB_TEST_SSH_CONFIG   an ssh_config (port, key, user, host key policy) for
#                        the addresses and for the aliases n1, n2, n3...
#   CB_TEST_HOSTS_DIR    STATEDIR/hosts (node roots: <ip>/etc-cassandra,
#                        <ip>/var-lib-cassandra, <ip>/tmp as seen from
#                        outside)
#
# By hand:
#   bash test/services/hosts.sh start /tmp/h && . /tmp/h/hosts.env
#   ssh -F "$CB_TEST_SSH_CONFIG" n1 'ls /var/lib/cassandra'
#   bash test/services/hosts.sh stop /tmp/h
# Needs root (mount namespaces, sshd), openssh-server and util-linux.
set -u
cmd=${1:-}
state=${2:-}
if [ -z "$cmd" ] || [ -z "$state" ]; then
	echo "usage: hosts.sh start|stop STATEDIR" >&2
	exit 64
fi
port=${CB_TEST_SSH_PORT:-2222}
nodes=${CB_TEST_NODES:-3}
first=${CB_TEST_FIRST_IP:-2}
dir=$state/hosts
SSHD=${SSHD:-/usr/sbin/sshd}
repo=$(cd "$(dirname "$0")/../.." && pwd)

node_ips() {
	local i
	for i in $(seq "$first" $((first + nodes - 1))); do
		echo "127.0.0.$i"
	done
}

# Mount points must exist outside the namespaces.  They are left in place
# at stop: removing one would detach the mounts of any other instance
# (another STATEDIR) still running.
make_mountpoints() {
	mkdir -p /etc/cassandra /var/lib/cassandra "$mnt"
}

# Inside a namespace, STATEDIR/hosts is reached as $mnt: STATEDIR may lie
# under /tmp, which the node's own /tmp hides.
mnt=/run/cb-test-hosts/$port

write_sshd_config() { # write_sshd_config IP NODEDIR
	cat >"$2/sshd_config" <<EOF
ListenAddress $1:$port
HostKey $mnt/host_ed25519
PidFile $mnt/$1/sshd.pid
AuthorizedKeysFile $mnt/authorized_keys
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
AcceptEnv LANG LC_*
MaxSessions 64
MaxStartups 64:30:128
LogLevel ERROR
EOF
}

write_ssh_config() {
	local ip i=1
	: >"$dir/ssh_config"
	for ip in $(node_ips); do
		cat >>"$dir/ssh_config" <<EOF
Host n$i
	HostName $ip
EOF
		i=$((i + 1))
	done
	cat >>"$dir/ssh_config" <<EOF
Host *
	Port $port
	User root
	IdentityFile $dir/id_ed25519
	IdentitiesOnly yes
	StrictHostKeyChecking no
	UserKnownHostsFile /dev/null
	BatchMode yes
	LogLevel ERROR
	ConnectTimeout 10
EOF
}

start_node() { # start_node IP
	local nd=$dir/$1
	mkdir -p "$nd/etc-cassandra" "$nd/var-lib-cassandra" "$nd/tmp"
	chmod 1777 "$nd/tmp"
	write_sshd_config "$1" "$nd"
	# unshare -m makes mounts private to the new namespace; sshd -D stays
	# in the foreground of that namespace, and its sessions inherit it.
	# The checkout under test (programs, stand-in tools) must stay visible
	# at its own path even when it lies under /tmp, as a CI clone may: it
	# is parked on $mnt/repo before the node's /tmp covers it.
	unshare -m --propagation private sh -c '
		mount --bind "$1" "$3" &&
		mkdir -p "$3/repo" && mount --bind "$5" "$3/repo" &&
		mount --bind "$1/$4/etc-cassandra" /etc/cassandra &&
		mount --bind "$1/$4/var-lib-cassandra" /var/lib/cassandra &&
		mount --bind "$1/$4/tmp" /tmp &&
		mkdir -p "$5" && mount --bind "$3/repo" "$5" &&
		exec "$2" -D -e -f "$3/$4/sshd_config"' sh "$dir" "$SSHD" "$mnt" "$1" \
		"$repo" >"$nd/sshd.log" 2>&1 </dev/null &
	echo $! >"$nd/unshare.pid"
}

wait_node() { # wait_node IP: until a login works (10 s)
	local i
	for i in $(seq 1 100); do
		if ssh -F "$dir/ssh_config" "$1" true 2>/dev/null; then
			return 0
		fi
		sleep 0.1
	done
	echo "hosts: sshd on $1:$port did not come up:" >&2
	cat "$dir/$1/sshd.log" >&2
	return 1
}

do_start() {
	local ip
	if [ -e "$dir/hosts.pids" ]; then
		echo "hosts: already started in $dir" >&2
		return 1
	fi
	mkdir -p "$dir" /run/sshd || return 1
	ssh-keygen -q -t ed25519 -N '' -f "$dir/id_ed25519" -C cb-test </dev/null ||
	    return 1
	ssh-keygen -q -t ed25519 -N '' -f "$dir/host_ed25519" </dev/null ||
	    return 1
	cp "$dir/id_ed25519.pub" "$dir/authorized_keys"
	chmod 600 "$dir/authorized_keys"
	make_mountpoints || return 1
	write_ssh_config
	for ip in $(node_ips); do
		start_node "$ip"
		cat "$dir/$ip/unshare.pid" >>"$dir/hosts.pids"
	done
	for ip in $(node_ips); do
		wait_node "$ip" || { do_stop; return 1; }
	done
	cat >"$state/hosts.env" <<EOF
export CB_TEST_HOSTS="$(node_ips | tr '\n' ' ' | sed 's/ $//')"
export CB_TEST_SSH_PORT=$port
export CB_TEST_SSH_KEY=$dir/id_ed25519
export CB_TEST_SSH_CONFIG=$dir/ssh_config
export CB_TEST_HOSTS_DIR=$dir
EOF
}

do_stop() {
	local pid m i
	[ -d "$dir" ] || return 0
	if [ -f "$dir/hosts.pids" ]; then
		while read -r pid; do
			kill "$pid" 2>/dev/null
		done <"$dir/hosts.pids"
		for i in $(seq 1 50); do
			m=0
			while read -r pid; do
				kill -0 "$pid" 2>/dev/null && m=1
			done <"$dir/hosts.pids"
			[ "$m" = 0 ] && break
			sleep 0.1
		done
		while read -r pid; do
			kill -9 "$pid" 2>/dev/null
		done <"$dir/hosts.pids"
		rm -f "$dir/hosts.pids"
	fi
	rm -f "$state/hosts.env"
	rm -rf "$dir"
}

case $cmd in
start) do_start ;;
stop) do_stop ;;
*) echo "usage: hosts.sh start|stop STATEDIR" >&2; exit 64 ;;
esac
