#!/usr/bin/env bats
# End to end on one node: cb-snapshot, cb-list, cb-s3put --pack into the
# test S3 server (Ceph RGW), read back with cb-s3get --unpack and compared
# with the files on disk, byte for byte.

load helpers
load s3_helpers

setup_file() {
	s3_setup_file || return 1
	export PATH=$REPO/test/cassandra/bin:$PATH
	standin mknode --root "$BATS_FILE_TMPDIR/n1" --version 4.1 \
	    --data-dirs 2 --uuid-ids --incremental-backups --scale 8 >/dev/null
}
teardown_file() { s3_teardown_file; }
setup() {
	s3_setup
	export PATH=$REPO/test/cassandra/bin:$PATH
	C=$BATS_FILE_TMPDIR/n1/etc/cassandra
	export CASSANDRA_CONF=$C
}

# upload_check LISTFILE RESULTFILE: every record uploaded ok, in order.
upload_check() {
	[ "$(tr -cd '\0' <"$1" | wc -c)" -gt 0 ]
	[ "$(tr -cd '\0' <"$1" | wc -c)" = "$(tr -cd '\0' <"$2" | wc -c)" ]
	[ "$(tr '\0' '\n' <"$2" | cut -f1 | sort -u)" = ok ]
	diff <(tr '\0' '\n' <"$1") <(tr '\0' '\n' <"$2" | cut -f7-)
}

# restore_check RESULTFILE: get every object back and compare it.
restore_check() {
	tr '\0' '\n' <"$1" | awk -F'\t' -v p="$T/" '{
		k = $6; sub("^" p, "", k); path = $10; sub("^/", "", path)
		printf "%s\t%s\t%s\t%s\n", k, $2, $4, path }' >get.rec
	mkdir -p back
	run cb-s3get --list -C back --unpack -j 3 "$B/$T/" <get.rec
	expect_status 0
	[ "$(grep -vc '^ok	' <<<"$output")" -eq 0 ]
	tr '\0' '\n' <"$1" | cut -f10 | while IFS= read -r p; do
		cmp "$p" "back$p"
	done
}

@test "pipeline: snapshot, list, pack and upload, read back identical" {
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" \
	    create -t e2e &&
	cb-list -0 --snapshot e2e >list &&
	cb-list -0 --snapshot e2e |
	    cb-s3put -0 --list --pack -j 3 --key-prefix "$T/node1" \
	    --key-suffix .lzo "$B" >result
	upload_check list result
	# Everything uploaded: nothing left to carry.
	[ -z "$(cb-list -0 --snapshot e2e --since-uploaded result)" ]
	# Keys are the seed's layout: <host>/<absolute path>.lzo
	tr '\0' '\n' <result | cut -f6 | grep -q \
	    "^$T/node1$BATS_FILE_TMPDIR/n1/var/lib/cassandra/data2/ks1/users-[0-9a-f]*/snapshots/e2e/nb-.*-big-Data.db.lzo\$"
	# Raw SHA-256 and sizes as the files on disk.
	tr '\0' '\n' <result | cut -f2,4,10 | head -20 |
	while IFS=$'\t' read -r size sum p; do
		[ "$size" = "$(stat -c %s "$p")" ]
		[ "$sum" = "$(sha "$p")" ]
	done
	restore_check result
	# Stock lzop reads an object as it is stored.
	k=$(tr '\0' '\n' <result | grep -m1 -- '-Data.db$' | cut -f6)
	p=$(tr '\0' '\n' <result | grep -m1 -- '-Data.db$' | cut -f10)
	awscli s3 cp "$B/$k" obj.lzo
	lzop -dc obj.lzo | cmp - "$p"
}

@test "pipeline: an incremental run carries only the new backups/ files" {
	cb-list -0 --backups >base
	standin write ks1 users 3
	cb-snapshot --cassandra-tools-bin-dir "$REPO/test/cassandra/bin" flush
	cb-list -0 --backups --since base >new
	# One new sstable of ks1.users and of its index: 2 x 8 components.
	[ "$(tr -cd '\0' <new | wc -c)" -eq 16 ]
	[ "$(tr '\0' '\n' <new | grep -vc '/ks1/users-[0-9a-f]*/backups/')" -eq 0 ]
	cb-s3put -0 --list --pack --key-prefix "$T/node1" --key-suffix .lzo \
	    "$B" <new >result
	upload_check new result
	restore_check result
	# Uploaded and verified: removed from backups/, the rest kept.
	cb-snapshot -0 prune-backups --uploaded result
	[ -z "$(cb-list -0 --backups --since base)" ]
	[ "$(cb-list -0 --backups | tr -cd '\0' | wc -c)" = \
	    "$(tr -cd '\0' <base | wc -c)" ]
}
