#!/usr/bin/env bats
# cb-list against stand-in nodes of every version (test/cassandra/).

load helpers

# a valid RAW_SHA256 for hand-made cb-s3put results (of no bytes)
EMPTY_SHA256=e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855

# mk NAME ARGS...: a node under $BATS_FILE_TMPDIR/NAME, snapshot "bk" taken.
mk() {
	local name=$1
	shift
	standin mknode --root "$BATS_FILE_TMPDIR/$name" "$@" >/dev/null &&
	CASSANDRA_CONF=$BATS_FILE_TMPDIR/$name/etc/cassandra \
	    nodetool snapshot -t bk >/dev/null
}

setup_file() {
	export PATH=$REPO/test/cassandra/bin:$PATH
	mk v21 --version 2.1 --data-dirs 2
	mk v311 --version 3.11 --data-dirs 3 --flow-list
	mk v41 --version 4.1 --data-dirs 2 --uuid-ids --incremental-backups
	mk v50 --version 5.0 --data-dirs 2 --incremental-backups
	mk v50bti --version 5.0 --format bti --data-dirs 1 --uuid-ids
	mk v311mc --version 3.11 --letters mc --data-dirs 2
	mk v50nc --version 5.0 --letters nc --data-dirs 2
	# Litter a snapshot and backups/ the way crashed tools and early-open
	# compactions do; none of it may be listed.
	local d
	d=$(echo "$BATS_FILE_TMPDIR"/v41/var/lib/cassandra/data1/ks1/users-*)
	touch "$d/snapshots/bk/nb-9-big-Data.db.tmp" \
	    "$d/snapshots/bk/tmplink-la-3-big-Data.db" \
	    "$d/snapshots/bk/nb_txn_flush_6b1c2d3e-0000-4000-8000-000000000000.log" \
	    "$d/snapshots/bk/ephemeral.snapshot" \
	    "$d/backups/tmp-la-4-big-Index.db"
	d=$(echo "$BATS_FILE_TMPDIR"/v21/var/lib/cassandra/data1/ks1/users-*)
	touch "$d/snapshots/bk/ks1-users-tmp-ka-77-Data.db"
}

setup() {
	export PATH=$REPO/test/cassandra/bin:$PATH
}

conf() { echo "$BATS_FILE_TMPDIR/$1/etc/cassandra"; }

# on_disk NODE TAG: every file under snapshots/TAG, minus the litter above.
on_disk() {
	find "$BATS_FILE_TMPDIR/$1/var" -path "*/snapshots/$2/*" -type f |
	    grep -v -e '\.tmp$' -e '/tmplink-' -e '_txn_' -e 'ephemeral' \
	    -e '-tmp-ka-' | sort
}

# stat_records: the file record of each path on stdin, from stat(1).
stat_records() {
	xargs -d '\n' stat -c '%s	%.9Y	%i	%n' | sed 's/^\([0-9]*\)	\([0-9]*\)\.\([0-9]*\)	/\1	\2\3	/'
}

@test "cb-list --snapshot: exactly the snapshot's files, every version" {
	for n in v21 v311 v311mc v41 v50 v50nc v50bti; do
		run cb-list --cassandra-conf-path "$(conf $n)" --snapshot bk
		expect_status 0
		[ -n "$output" ]
		diff <(printf '%s\n' "$output" | cut -f4 | sort) \
		    <(on_disk $n bk)
		# Fields: size, mtime in ns and inode as stat(1) sees them.
		diff <(printf '%s\n' "$output" | sort -t '	' -k4) \
		    <(on_disk $n bk | stat_records | sort -t '	' -k4)
	done
}

@test "cb-list: every data directory, index dirs, SAI and bti components" {
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot bk
	for i in 1 2 3; do
		grep -q "/data$i/ks1/" <<<"$output"
	done
	grep -q '/snapshots/bk/\.users_by_email/me-[0-9]*-big-Data\.db$' \
	    <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v21)" --snapshot bk
	grep -q '/snapshots/bk/ks1-users\.users_by_email-ka-[0-9]*-Data\.db$' \
	    <<<"$output"
	grep -q '/snapshots/bk/ks1-users-ka-[0-9]*-Digest\.sha1$' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v50)" --snapshot bk
	grep -q 'nb-[0-9]*-big-SAI+aa+users_name_sai+TermsData\.db$' <<<"$output"
	grep -q '/snapshots/bk/schema\.cql$' <<<"$output"
	grep -q '/snapshots/bk/manifest\.json$' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v311mc)" --snapshot bk
	grep -q '/mc-[0-9]*-big-Data\.db$' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v50nc)" --snapshot bk
	grep -q '/nc-[0-9]*-big-SAI+aa+GroupComplete\.db$' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v50bti)" --snapshot bk
	grep -q '/da-[0-9a-z_]*-bti-Partitions\.db$' <<<"$output"
	grep -q '/da-[0-9a-z]\{4\}_[0-9a-z]\{4\}_[0-9a-z]\{18\}-bti-Rows\.db$' \
	    <<<"$output"
}

@test "cb-list: temp files, txn logs and markers are skipped" {
	run cb-list -v --cassandra-conf-path "$(conf v41)" --snapshot bk
	expect_status 0
	expect_no_match -e '\.tmp' -e tmplink -e _txn_ -e ephemeral <<<"$output"
	grep -q '4 skipped' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v21)" --snapshot bk
	expect_no_match -e '-tmp-ka-' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v41)" --backups
	expect_no_match -e '/tmp-la-' <<<"$output"
}

@test "cb-list -0: the same records, NUL-terminated" {
	a=$(cb-list --cassandra-conf-path "$(conf v41)" --snapshot bk | md5sum)
	b=$(cb-list -0 --cassandra-conf-path "$(conf v41)" --snapshot bk |
	    tr '\0' '\n' | md5sum)
	[ "$a" = "$b" ]
}

@test "cb-list: a file name with a TAB needs -0" {
	local d
	d=$(echo "$BATS_FILE_TMPDIR"/v50bti/var/lib/cassandra/data/ks2/t2-*)
	touch "$d/snapshots/bk/odd	name"
	run cb-list --cassandra-conf-path "$(conf v50bti)" --snapshot bk
	expect_status 1
	# The record named, quoted so that the TAB shows.
	[[ "$output" == *"cb-list: cannot write the record of '$d/snapshots/bk/odd\tname': the path holds a TAB (use -0)"* ]]
	run cb-list -0 --cassandra-conf-path "$(conf v50bti)" --snapshot bk
	expect_status 0
	grep -q "odd	name" <<<"$output"
	rm "$d/snapshots/bk/odd	name"
}

@test "cb-list: with -0 any name is listed as it is; a newline needs -0" {
	local d n
	d=$(echo "$BATS_FILE_TMPDIR"/v50bti/var/lib/cassandra/data/ks2/t2-*)
	n=$'nl\nname\xff\x01 %41\\-x'
	touch "$d/snapshots/bk/$n"
	run cb-list --cassandra-conf-path "$(conf v50bti)" --snapshot bk
	expect_status 1
	[[ "$output" == *"cannot write the record of '$d/snapshots/bk/nl\nname\xff\x01 %41\\\\-x': the path holds a newline (use -0)"* ]]
	cb-list -0 --cassandra-conf-path "$(conf v50bti)" --snapshot bk >"$BATS_TEST_TMPDIR/l"
	grep -qzF -- "	$d/snapshots/bk/$n" "$BATS_TEST_TMPDIR/l"
	rm "$d/snapshots/bk/$n"
}

@test "cb-list: dropped-table leftovers stay out of a snapshot listing" {
	local old new
	run cb-list --cassandra-conf-path "$(conf v41)" --snapshot bk \
	    --keyspaces ks1 --table events
	expect_status 0
	new=$(printf '%s\n' "$output" | cut -f4 | sed 's,.*/events-\([0-9a-f]*\)/.*,\1,' | sort -u)
	[ "$(echo "$new" | wc -l)" -eq 1 ]
	# The old incarnation only holds its drop-time auto-snapshot...
	tag=$(basename "$(echo "$BATS_FILE_TMPDIR"/v41/var/lib/cassandra/data1/ks1/events-*/snapshots/dropped-*)")
	run cb-list --cassandra-conf-path "$(conf v41)" --snapshot "$tag"
	expect_status 0
	old=$(printf '%s\n' "$output" | cut -f4 | sed 's,.*/events-\([0-9a-f]*\)/.*,\1,' | sort -u)
	[ "$(echo "$old" | wc -l)" -eq 1 ]
	[ "$old" != "$new" ]
	# ...and backups/ from before the drop: listed, with a note.
	run cb-list --cassandra-conf-path "$(conf v41)" --backups --table events
	expect_status 0
	grep -q "note: 1 table(s) have files in several directories" <<<"$output"
	grep -q "/events-$old/backups/" <<<"$output"
	grep -q "/events-$new/backups/" <<<"$output"
}

@test "cb-list --keyspaces, --table (any id), --exclude-tables, --exclude-system" {
	c=$(conf v311)
	run cb-list --cassandra-conf-path "$c" --snapshot bk --keyspaces ks1
	expect_status 0
	[ "$(printf '%s\n' "$output" | cut -f4 | grep -vc '/ks1/')" -eq 0 ]
	all=$(cb-list --cassandra-conf-path "$c" --snapshot bk | cut -f4)
	# --table matches the name whatever the id (the seed missed it: B6).
	run cb-list --cassandra-conf-path "$c" --snapshot bk --keyspaces ks1 \
	    --table users
	diff <(printf '%s\n' "$output" | cut -f4) <(grep '/ks1/users-' <<<"$all")
	run cb-list --cassandra-conf-path "$c" --snapshot bk --table ks2.t1,counters
	diff <(printf '%s\n' "$output" | cut -f4) \
	    <(grep -e '/ks2/t1-' -e '/ks1/counters-' <<<"$all")
	# --exclude-tables looks at the table, under snapshots/ and backups/.
	run cb-list --cassandra-conf-path "$c" --snapshot bk --exclude-tables users,ks2.t1
	diff <(printf '%s\n' "$output" | cut -f4) \
	    <(grep -v -e '/ks1/users-' -e '/ks2/t1-' <<<"$all")
	run cb-list --cassandra-conf-path "$(conf v41)" --backups
	grep -q '/ks1/users-' <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v41)" --backups --exclude-tables users
	expect_status 0
	expect_no_match -q '/ks1/users-' <<<"$output"
	grep -q '/ks1/events-' <<<"$output"
	# System keyspaces: listed by default, left out on request.
	grep -q '/system_schema/' <<<"$all"
	run cb-list --cassandra-conf-path "$c" --snapshot bk --exclude-system
	diff <(printf '%s\n' "$output" | cut -f4) <(grep -v '/system[/_]' <<<"$all")
}

@test "cb-list: a filter that matches nothing is reported" {
	c=$(conf v41)
	run cb-list --cassandra-conf-path "$c" --snapshot bk --keyspaces nosuch
	expect_status 1
	grep -q "keyspace 'nosuch' matches no keyspace directory" <<<"$output"
	run cb-list --cassandra-conf-path "$c" --snapshot bk --keyspaces ks1 \
	    --table nosuch
	expect_status 1
	grep -q "table 'nosuch' matches no table directory" <<<"$output"
	run cb-list --cassandra-conf-path "$c" --snapshot bk --table ks9.users
	expect_status 1
	run cb-list --cassandra-conf-path "$c" --snapshot bk \
	    --exclude-tables nosuch
	expect_status 0
	grep -q "excluded table 'nosuch' matches no table directory" <<<"$output"
	run cb-list --cassandra-conf-path "$c" --snapshot nosuch
	expect_status 1
	grep -q "cannot find snapshot 'nosuch'" <<<"$output"
}

@test "cb-list --backups: incremental files, and a warning when off" {
	c=$(conf v50)
	run cb-list -q --cassandra-conf-path "$c" --backups
	expect_status 0
	diff <(printf '%s\n' "$output" | cut -f4 | sort) \
	    <(find "$BATS_FILE_TMPDIR/v50/var" -path '*/backups/*' -type f | sort)
	grep -q '/backups/\.users_by_email/nb-' <<<"$output"
	run cb-list --cassandra-conf-path "$c" --backups
	expect_no_match -q warning <<<"$output"
	run cb-list --cassandra-conf-path "$(conf v311)" --backups
	expect_status 0
	grep -q "warning: incremental_backups is off" <<<"$output"
}

@test "cb-list --since: only files that are new or changed" {
	c=$(conf v41)
	export CASSANDRA_CONF=$c
	cb-list --cassandra-conf-path "$c" --backups >"$BATS_TEST_TMPDIR/b1"
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/b1"
	expect_status 0
	[ -z "$output" ]
	standin write ks2 t2 3
	nodetool flush ks2
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/b1"
	expect_status 0
	[ "$(printf '%s\n' "$output" | grep -vc '/ks2/t2-[0-9a-f]*/backups/nb-')" -eq 0 ]
	[ "$(printf '%s\n' "$output" | wc -l)" -eq 8 ]
	# A changed file (same path, new size) is listed again.
	f=$(head -1 "$BATS_TEST_TMPDIR/b1" | cut -f4)
	echo more >>"$f"
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/b1"
	grep -q "	$f\$" <<<"$output"
	# A second snapshot against the first: sstables already carried are
	# left out whatever the tag; new ones and the metadata are listed.
	cb-list -0 --cassandra-conf-path "$c" --snapshot bk >"$BATS_TEST_TMPDIR/s1"
	standin write ks1 counters 1
	nodetool snapshot -t bk2 >/dev/null
	cb-list -0 --cassandra-conf-path "$c" --snapshot bk2 \
	    --since "$BATS_TEST_TMPDIR/s1" >"$BATS_TEST_TMPDIR/s2"
	out=$(tr '\0' '\n' <"$BATS_TEST_TMPDIR/s2" | cut -f4)
	expect_no_match -q '/ks1/users-.*-Data.db$' <<<"$out"
	grep -q '/ks1/counters-.*/bk2/nb-.*-Data.db$' <<<"$out"
	grep -q '/ks1/users-.*/bk2/manifest.json$' <<<"$out"
	grep -q '/ks2/t2-.*/bk2/nb-.*-Data.db$' <<<"$out"
	nodetool clearsnapshot -t bk2 >/dev/null
}

@test "cb-list --since-uploaded: cb-s3put results, only ok ones count" {
	c=$(conf v50)
	cb-list -q --cassandra-conf-path "$c" --backups >"$BATS_TEST_TMPDIR/recs"
	awk -v sha="$EMPTY_SHA256" '{ printf "%s\t10\t9\t%s\tetag\tk/%d\t%s\n",
	    NR == 2 ? "SlowDown" : "ok", sha, NR, $0 }' "$BATS_TEST_TMPDIR/recs" \
	    >"$BATS_TEST_TMPDIR/results"
	run cb-list -q --cassandra-conf-path "$c" --backups \
	    --since-uploaded "$BATS_TEST_TMPDIR/results"
	expect_status 0
	[ "$output" = "$(sed -n 2p "$BATS_TEST_TMPDIR/recs")" ]
	cut -f1-6 "$BATS_TEST_TMPDIR/results" >"$BATS_TEST_TMPDIR/bad"
	run cb-list -q --cassandra-conf-path "$c" --backups \
	    --since-uploaded "$BATS_TEST_TMPDIR/bad"
	expect_status 65
	grep -q "malformed record 1 in" <<<"$output"
}

@test "cb-list --since: malformed or missing records" {
	c=$(conf v41)
	printf '12\tx\t3\t/p\n' >"$BATS_TEST_TMPDIR/bad"
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/bad"
	expect_status 65
	grep -q "malformed record 1" <<<"$output"
	printf '12\t3\t/p\n' >"$BATS_TEST_TMPDIR/bad"
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/bad"
	expect_status 65
	run cb-list -q --cassandra-conf-path "$c" --backups --since "$BATS_TEST_TMPDIR/none"
	expect_status 1
	grep -q "cannot open '.*none'" <<<"$output"
}

@test "cb-list: no data_file_directories means /var/lib/cassandra/data" {
	[ "$(id -u)" = 0 ] || skip "needs root for a mount namespace"
	unshare -m true 2>/dev/null || skip "cannot unshare a mount namespace"
	mkdir -p "$BATS_TEST_TMPDIR/var"
	run unshare -m sh -c '
		mount -t tmpfs none /var/lib &&
		mkdir /var/lib/cassandra &&
		mount --bind "$1/var" /var/lib/cassandra &&
		standin mknode --root "$1/root" --data-dirs 0 >/dev/null &&
		CASSANDRA_CONF=$1/root/etc/cassandra nodetool snapshot -t d >/dev/null &&
		cb-list --cassandra-conf-path "$1/root/etc/cassandra" --snapshot d' \
	    sh "$BATS_TEST_TMPDIR"
	expect_status 0
	# (the stand-in writes the key commented out, as the stock file does)
	expect_no_match -q '^data_file_directories:' "$BATS_TEST_TMPDIR/root/etc/cassandra/cassandra.yaml"
	[ "$(printf '%s\n' "$output" | grep -c '	/var/lib/cassandra/data/ks1/users-')" -gt 8 ]
	[ "$(find "$BATS_TEST_TMPDIR/var/data" -path '*/snapshots/d/*' -type f | wc -l)" -eq \
	  "$(printf '%s\n' "$output" | wc -l)" ]
}

@test "cb-list: cassandra.yaml missing, malformed, unreadable data" {
	# A configuration that cannot be used is 78 (EX_CONFIG), as in
	# cb-snapshot(1).
	run cb-list --cassandra-conf-path "$BATS_TEST_TMPDIR" --snapshot bk
	expect_status 78
	grep -q "cannot open '$BATS_TEST_TMPDIR/cassandra.yaml'" <<<"$output"
	printf 'data_file_directories: [/a\n' >"$BATS_TEST_TMPDIR/cassandra.yaml"
	run cb-list --cassandra-conf-path "$BATS_TEST_TMPDIR" --snapshot bk
	expect_status 78
	printf 'data_file_directories: [%s]\n' "$BATS_TEST_TMPDIR/gone" \
	    >"$BATS_TEST_TMPDIR/cassandra.yaml"
	run cb-list --cassandra-conf-path "$BATS_TEST_TMPDIR" --snapshot bk
	expect_status 1
	grep -q "cannot open directory '$BATS_TEST_TMPDIR/gone'" <<<"$output"
}

@test "cb-list: permission denied is exit 77" {
	command -v setpriv >/dev/null || skip "no setpriv"
	[ "$(id -u)" = 0 ] || skip "needs root to drop to nobody"
	d=$(mktemp -d /tmp/cb-list-perm.XXXXXX)
	mkdir -p "$d/data/ks/t-00000000000000000000000000000001/snapshots/s"
	printf 'data_file_directories: [%s/data]\n' "$d" >"$d/cassandra.yaml"
	chmod 755 "$d" "$d/data"
	chmod 700 "$d/data/ks"
	run setpriv --reuid=65534 --regid=65534 --clear-groups \
	    "$CB_BIN/cb-list" --cassandra-conf-path "$d" --snapshot s
	rm -rf "$d"
	expect_status 77
	grep -q "cannot open directory '$d/data/ks': Permission denied" <<<"$output"
}

@test "cb-list: symlinks and stray directories are reported, not followed" {
	local d
	d=$(echo "$BATS_FILE_TMPDIR"/v311/var/lib/cassandra/data1/ks2/t1-*)
	ln -s /etc/passwd "$d/snapshots/bk/me-99-big-Data.db"
	mkdir "$d/snapshots/bk/stray" "$d/snapshots/bk/.empty_index"
	run cb-list --cassandra-conf-path "$(conf v311)" --snapshot bk
	expect_status 0
	expect_no_match -q 'runtime error' <<<"$output"
	grep -q "skipping '.*/me-99-big-Data.db': not a regular file" <<<"$output"
	grep -q "skipping '.*/stray': not a regular file" <<<"$output"
	rm "$d/snapshots/bk/me-99-big-Data.db"
	rmdir "$d/snapshots/bk/stray" "$d/snapshots/bk/.empty_index"
}

@test "cb-list: usage errors exit 64; -h and -V exit 0" {
	c=$(conf v41)
	for args in "" "--snapshot bk --backups" "--snapshot a/b" \
	    "--snapshot bk extra" "--bogus" "--snapshot bk --keyspaces a,,b" \
	    "--snapshot bk --table ks." "--snapshot bk --exclude-tables x-y"; do
		# shellcheck disable=SC2086
		run cb-list --cassandra-conf-path "$c" $args
		expect_status 64
	done
	run cb-list --snapshot ''
	expect_status 64
	run cb-list -h
	expect_status 0
	grep -q '^usage: cb-list' <<<"$output"
	run cb-list -V
	expect_status 0
	grep -q '^cb-list ' <<<"$output"
}

@test "cb-list: local_system_data_file_directory, and a data dir given twice" {
	r=$BATS_TEST_TMPDIR/n
	standin mknode --root "$r" --version 4.1 >/dev/null
	CASSANDRA_CONF=$r/etc/cassandra nodetool snapshot -t s >/dev/null
	mkdir "$r/sys"
	mv "$r"/var/lib/cassandra/data/system* "$r/sys/"
	ln -s "$r/var/lib/cassandra/data" "$r/alias"
	printf 'data_file_directories:\n  - %s\n  - %s\nlocal_system_data_file_directory: %s\n' \
	    "$r/var/lib/cassandra/data" "$r/alias" "$r/sys" \
	    >"$r/etc/cassandra/cassandra.yaml"
	cb-list --cassandra-conf-path "$r/etc/cassandra" --snapshot s \
	    >"$r/out" 2>"$r/err"
	grep -q "data directory '$r/alias' is '$r/var/lib/cassandra/data' again: listed once" "$r/err"
	diff <(cut -f4 "$r/out" | sort) \
	    <(find "$r/var" "$r/sys" -path '*/snapshots/s/*' -type f | sort)
	grep -q "	$r/sys/system_schema/tables-" "$r/out"
}

@test "cb-list: snapshots tagged backups or snapshots, keyspaces and tables so named" {
	r=$BATS_TEST_TMPDIR/n
	standin mknode --root "$r" --version 4.1 --incremental-backups \
	    --add-table backups.snapshots --add-table snapshots.backups >/dev/null
	export CASSANDRA_CONF=$r/etc/cassandra
	standin write backups snapshots 2
	standin write snapshots backups 2
	nodetool flush >/dev/null
	for tag in plain backups snapshots; do
		nodetool snapshot -t $tag >/dev/null
		cb-list --cassandra-conf-path "$CASSANDRA_CONF" --snapshot $tag \
		    >"$r/$tag"
	done
	grep -q '/backups/snapshots-[0-9a-f]*/snapshots/backups/nb-' "$r/backups"
	grep -q '/snapshots/backups-[0-9a-f]*/snapshots/snapshots/nb-' "$r/snapshots"
	# The same files under each tag.
	for tag in backups snapshots; do
		diff <(cut -f4 "$r/$tag" | sed "s|/snapshots/$tag/|/snapshots/plain/|") \
		    <(cut -f4 "$r/plain")
	done
	# --since a snapshot: its sstables are left out of backups/, whatever
	# the tag (the key of a snapshots/backups/ file is its sstable's).
	cb-list -q --cassandra-conf-path "$CASSANDRA_CONF" --backups \
	    --since "$r/plain" >"$r/new.plain"
	[ "$(wc -l <"$r/new.plain")" -lt "$(cb-list -q --backups | wc -l)" ]
	for tag in backups snapshots; do
		cb-list -q --cassandra-conf-path "$CASSANDRA_CONF" --backups \
		    --since "$r/$tag" >"$r/new.$tag"
		diff "$r/new.plain" "$r/new.$tag"
	done
}
