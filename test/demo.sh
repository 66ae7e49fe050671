#!/usr/bin/env bash
# test/demo.sh (make demo): the main job in one command.  Starts the local
# S3 server (Ceph RGW) and three stand-in Cassandra 4.1 nodes behind real
# sshd on 127.0.0.2-4, then: full backup, more data, incremental backup,
# a named differential backup, list, a deep verify, a purge dry run,
# restore one keyspace of one host, restore all keyspaces of all
# hosts, compare every restored file with the snapshots byte for byte, load
# one keyspace into the running nodes (--load import), and
# stop everything.  Ports: CB_TEST_S3_PORT (7480), CB_TEST_SSH_PORT (2222).
set -u
cd "$(dirname "$0")/.." || exit 1
REPO=$PWD
export PATH=$REPO/bin:$PATH
TOOLS=$REPO/test/cassandra/bin
STATE=$(mktemp -d /tmp/cb-demo.XXXXXX)

stop_all() {
	bash test/services/s3.sh stop "$STATE" >/dev/null 2>&1
	bash test/services/hosts.sh stop "$STATE" >/dev/null 2>&1
	rm -rf "$STATE"
}
trap stop_all EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }
fail() { echo "demo: $*" >&2; exit 1; }

step "starting the S3 server (Ceph RGW) and three ssh test hosts"
bash test/services/s3.sh start "$STATE" >"$STATE/s3.log" 2>&1 ||
    { tail -20 "$STATE/s3.log"; fail "the S3 server did not start"; }
bash test/services/hosts.sh start "$STATE" >"$STATE/hosts.log" 2>&1 ||
    { tail -20 "$STATE/hosts.log"; fail "the test hosts did not start"; }
. "$STATE/s3.env"
. "$STATE/hosts.env"
set -- $CB_TEST_HOSTS
HOSTS=$1,$2,$3
echo "S3 at $S3_ENDPOINT, bucket $S3_BUCKET; hosts $HOSTS"

step "making a stand-in Cassandra 4.1 node on each host (2 data directories)"
cb-fanout -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
    "$TOOLS/standin mknode --version 4.1 --data-dirs 2 --incremental-backups \
        --address {host} >/dev/null && PATH=$TOOLS:\$PATH nodetool status | grep UN" ||
    fail "cannot make the nodes"

CBA=(cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path demo
    --s3-endpoint "$S3_ENDPOINT")
NODE=(--ssh-config "$CB_TEST_SSH_CONFIG" --cassandra-tools-bin-dir "$TOOLS")

snap_all() { # a reference snapshot of what the backup must hold
	cb-fanout -q -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
	    "PATH=$TOOLS:\$PATH nodetool snapshot -t $1 >/dev/null"
}

step "full backup (credentials reach the nodes on stdin, never argv)"
snap_all demo-ref1
run "${CBA[@]}" backup --hosts "$HOSTS" "${NODE[@]}" || fail "backup failed"

step "adding data on every node"
cb-fanout -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
    "PATH=$TOOLS:\$PATH; standin write ks1 users 500 && standin write ks2 t1 50 && echo written"

step "incremental backup (flush, upload only new backups/ files)"
run "${CBA[@]}" backup --hosts "$HOSTS" "${NODE[@]}" || fail "backup failed"
snap_all demo-ref2

step "adding data; a named backup before an upgrade: differential, it uploads only the new files"
cb-fanout -F "$CB_TEST_SSH_CONFIG" -H "$HOSTS" -- \
	    sh -c \
    "PATH=$TOOLS:\$PATH; standin write ks1 users 100 && echo written"
run "${CBA[@]}" backup --backup-name pre-upgrade --hosts "$HOSTS" "${NODE[@]}" ||
    fail "backup failed"
snap_all demo-ref3

step "list (each backup's size, and what it added)"
run "${CBA[@]}" list || fail "list failed"

step "verify the newest backup: every object there, every file decoded and checksummed"
run "${CBA[@]}" verify --deep || fail "verify failed"

step "what a retention of one backup would delete (a dry run: nothing is)"
run "${CBA[@]}" purge --keep 1 --dry-run >"$STATE/purge.out" || fail "purge failed"
grep -v '^  object' "$STATE/purge.out"

# compare HOST TAG DIR [KS]: every file of snapshot TAG (user keyspaces, or
# KS) is in DIR on HOST, byte for byte.
compare() {
	local h=$1 tag=$2 dir=$3 ks=${4:-} root=$CB_TEST_HOSTS_DIR/$1 f rel k n=0
	while IFS= read -r f; do
		rel=${f#"$root/var-lib-cassandra/"}
		rel=${rel#*/}        # past the data directory
		k=${rel%%/*}
		case $k in system*) continue ;; esac
		[ -n "$ks" ] && [ "$k" != "$ks" ] && continue
		[ "${f##*/}" = manifest.json ] && continue
		local t=${rel#*/}
		t=${t%%/*}
		cmp -s "$f" "$root/$dir/$k/$t/${rel#*/snapshots/"$tag"/}" ||
		    fail "$h: $rel differs from the restored copy"
		n=$((n + 1))
	done < <(find "$root/var-lib-cassandra" -type f -path "*/snapshots/$tag/*")
	echo "$h: $n files of snapshot $tag${ks:+ (keyspace $ks)} identical in the restore"
	[ "$n" -gt 0 ]
}

step "restore keyspace ks2 of one host"
run "${CBA[@]}" restore --host "$1" --keyspace ks2 --restore-dir /tmp/demo-one \
    "${NODE[@]}" || fail "restore failed"
compare "$1" demo-ref3 tmp/demo-one ks2 || fail "comparison failed"

step "restore all keyspaces of all hosts"
run "${CBA[@]}" restore --hosts "$HOSTS" "${NODE[@]}" || fail "restore failed"

step "comparing the restored files with the snapshots"
for h in $CB_TEST_HOSTS; do
	compare "$h" demo-ref1 tmp/cassandra_restore || fail "comparison failed"
	compare "$h" demo-ref2 tmp/cassandra_restore || fail "comparison failed"
	compare "$h" demo-ref3 tmp/cassandra_restore || fail "comparison failed"
done

step "load keyspace ks2 into the running nodes (nodetool import; the files restored above are kept, not fetched again)"
before=$(ssh -F "$CB_TEST_SSH_CONFIG" "$1" "$TOOLS/standin sstables ks2 t1" | wc -l)
run "${CBA[@]}" restore --hosts "$HOSTS" --keyspace ks2 --load import "${NODE[@]}" ||
    fail "restore --load import failed"
after=$(ssh -F "$CB_TEST_SSH_CONFIG" "$1" "$TOOLS/standin sstables ks2 t1" | wc -l)
[ "$after" -gt "$before" ] || fail "$1: ks2.t1 has $after live sstables after the import, $before before"
echo "$1: ks2.t1 went from $before to $after live sstables"

step "done: stopping the S3 server and the hosts"
