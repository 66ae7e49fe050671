# bench/bench-purge.sh: verify and purge of daily differential backups
# (issue 12) on one stand-in node, against one Ceph RGW, in one run
# (sourced by bench/run.sh, which provides REPO, BENCH_DIR, PATH and
# bench/lib.sh):
#
#   set-up   d01, a full named backup of the node, then d02..dNN, one a
#            day, each after one new sstable in each of 4 tables (1 MiB in
#            all: bench/gen-sstables.py, nodetool refresh) and, every 7th
#            day, nodetool compact of one table, whose old sstables then
#            live on only in the backups before it
#   verify   quick, of the newest backup and --all: wall, requests by kind,
#            bytes downloaded, s per 10,000 files, against cb-s3get --ls of
#            the same prefixes; --deep of the newest: bytes downloaded
#            against its stored size, against rclone copy of its objects
#   purge    --keep K --dry-run, then --keep K: wall, requests by kind,
#            objects and bytes deleted; then the newest backup --deep and
#            every one kept (quick) must be whole, no object a kept backup
#            names may be missing and none that none names may be left
#
#   BENCH_NODE_MIB     the node's data (default 1024), in 16 tables: the
#                      node of bench_node_make (bench/lib.sh), used through
#                      a copy of hard links, so it stays as it is
#   BENCH_PURGE_DAYS   daily backups (default 30)
#   BENCH_PURGE_KEEP   what purge --keep keeps (default 14)
#
# Requests are counted at the server, from RGW's access log (its "beast:"
# lines: method, target, status, bytes sent or received) between two marks.
# Starts its own S3 server (port CB_TEST_S3_PORT) and stops it at the end;
# the node's state directory and TMPDIR are private to the run.

# The requests of the last bench_purge_run, by what bench_log_reqs says.
declare -gA BENCH_PURGE_REQ

# bench_purge_run LABEL OUT CMD...: CMD measured (its output into OUT), and
# the requests it sent into BENCH_PURGE_REQ (its prefixes in OUT.prefixes).
bench_purge_run() {
	local label=$1 out=$2 a b rc k v
	shift 2
	a=$(bench_log_mark)
	measure "$label" bash -c 'o=$1; shift; exec "$@" >"$o"' bash "$out" "$@"
	rc=$?
	b=$(bench_log_mark)
	BENCH_PURGE_REQ=()
	while IFS=$'\t' read -r k v; do
		BENCH_PURGE_REQ[$k]=$v
	done < <(bench_log_reqs "$a" "$b" "$out.prefixes")
	return "$rc"
}

# bench_purge_said: the rows of what the last bench_purge_run sent.
bench_purge_said() {
	local m=${BENCH_PURGE_REQ[man_bytes]} d=${BENCH_PURGE_REQ[data_bytes]}
	bench_row "  requests" "${BENCH_PURGE_REQ[total]}: ${BENCH_PURGE_REQ[text]}"
	bench_row "  listings" "${BENCH_PURGE_REQ[list]} pages of ${BENCH_PURGE_REQ[prefixes]} prefixes, $(bench_size "${BENCH_PURGE_REQ[list_bytes]}")"
	bench_row "  downloaded" "$(bench_size "$((m + d))") in ${BENCH_PURGE_REQ[get]} GETs: $(bench_size "$d") of data, $(bench_size "$m") of manifests"
}

# bench_purge_verified FILE WANT: the row of a verify --json report (one
# object or an array); 0 if it holds WANT backups, all whole.
bench_purge_verified() {
	local n w f d
	read -r n w f d < <(/usr/bin/python3 -c 'import json, sys
try:
    d = json.load(open(sys.argv[1]))
except ValueError:
    print("0 0 0 0")
    sys.exit(0)
d = d if isinstance(d, list) else [d]
print(len(d), sum(1 for b in d if b["whole"]), sum(b["files"] for b in d),
      sum(len(b["defects"]) for b in d))' "$1")
	BENCH_PURGE_FILES=$f
	bench_row "  verified" "backups $n (want $2), whole $w, files $f, defects $d"
	[ "$n" = "$2" ] && [ "$w" = "$2" ]
}

# bench_purge_per SECONDS FILES: SECONDS per 10,000 FILES.
bench_purge_per() { printf '%.3f' "$(echo "$1 * 10000 / $2" | bc -l)"; }

# bench_purge_get KEY FILE: the object KEY into FILE.
bench_purge_get() {
	timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" "s3://$S3_BUCKET/$1" "$2"
}

# bench_purge_ls FILE: every object under cb/, one cb-s3get --ls record
# each (SIZE TAB MTIME TAB ETAG TAB KEY).
bench_purge_ls() {
	timeout -k 5 120 cb-s3get -q --endpoint "$S3_ENDPOINT" --ls "s3://$S3_BUCKET/cb/" >"$1"
}

# bench_purge_nodes NAME DIR: backup NAME's cluster manifest and node
# manifests into DIR/NAME.json and DIR/NAME.N.json.
bench_purge_nodes() {
	local k i=0
	bench_purge_get "cb/$1/manifest.json" "$2/$1.json" || return 1
	for k in $(/usr/bin/python3 -c 'import json, sys
for n in json.load(open(sys.argv[1])).get("nodes", []):
    print(n["manifest"])' "$2/$1.json"); do
		i=$((i + 1))
		bench_purge_get "$k" "$2/$1.$i.json" || return 1
	done
}

# bench_purge_add DAY: one new sstable (bench/gen-sstables.py, 1 MiB in
# four) in each of four tables, a different four each day, loaded with
# nodetool refresh.
bench_purge_add() {
	local k t dir f
	nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" "$root/gen" 1 \
	    >/dev/null || return 1
	for k in 1 2 3 4; do
		t=t$(((4 * $1 + k) % 16))
		dir=$(ls -d "$data/bulk0/$t"-* | head -1)
		[ -d "$dir" ] || return 1
		# A generation no live sstable has: refresh gives it a new one.
		for f in "$root/gen/nb-$k-"*; do
			mv "$f" "$dir/nb-90$k-${f##*/nb-"$k"-}" || return 1
		done
		CASSANDRA_CONF=$conf PATH=$tools:$PATH \
		    nodetool refresh bulk0 "$t" >/dev/null || return 1
	done
	rm -rf "$root/gen"
}

bench_purge_main() {
	local mib=${BENCH_NODE_MIB:-1024} days=${BENCH_PURGE_DAYS:-30}
	local keep=${BENCH_PURGE_KEEP:-14} shared root tmp tools conf data store
	local newest rc=0
	local -a cb bk
	tools=$REPO/test/cassandra/bin
	shared=$BENCH_DIR/node-$mib
	bench_node_make "$shared" "$mib" || return 1
	tmp=$(mktemp -d /tmp/cb-bench-purge.XXXXXX)
	root=$tmp/node
	mkdir -p "$tmp/state" "$tmp/tmp" "$tmp/m" &&
	    bench_node_copy "$shared" "$root" || { rm -rf "$tmp"; return 1; }
	conf=$root/etc/cassandra
	data=$root/var/lib/cassandra/data
	echo "bench-purge: starting the S3 server"
	store=$((mib * 3 > 4096 ? mib * 3 : 4096))
	bench_s3_start "$tmp" "$store" || { rm -rf "$tmp"; return 1; }
	cb=(env TMPDIR="$tmp/tmp" cassandra-backups --s3-bucket-name "$S3_BUCKET"
	    --s3-base-path cb --s3-endpoint "$S3_ENDPOINT")
	bk=(backup --hosts node1 --use-local --cassandra-conf-path "$conf"
	    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/state")
	newest=$(printf 'd%02d' "$days")
	find "$data" -type f -print0 | xargs -0 cat >/dev/null

	bench_purge_setup &&
	    bench_purge_quick &&
	    bench_purge_deep &&
	    bench_purge_purge &&
	    bench_purge_after || rc=1
	bench_row "load average at the end" "$(bench_load)"

	bench_s3_stop "$tmp"
	rm -rf "$tmp"
	return "$rc"
}

# bench_purge_setup: d01 (full), then a differential backup a day.
bench_purge_setup() {
	local raw files d name t0 ms total=0 max=0 ncomp=0 k v
	raw=$(du -sb --apparent-size "$data" | cut -f1)
	files=$(find "$data" -path '*/snapshots' -prune -o -type f -print | wc -l)
	bench_header "verify and purge: $days daily differential backups of a $((raw / 1048576)) MiB node, 16 tables, $files files ($(nproc) CPUs, load $(bench_load))"
	measure "set-up: d01, full" "${cb[@]}" "${bk[@]}" --backup-name d01 ||
	    return 1
	for d in $(seq 2 "$days"); do
		name=$(printf 'd%02d' "$d")
		bench_purge_add "$d" || return 1
		if [ $((d % 7)) -eq 1 ]; then
			CASSANDRA_CONF=$conf PATH=$tools:$PATH nodetool compact \
			    bulk0 "t$(((4 * d + 1) % 16))" >/dev/null || return 1
			ncomp=$((ncomp + 1))
		fi
		t0=$(date +%s%N)
		if ! timeout -k 10 "${BENCH_STEP_TIMEOUT:-300}" "${cb[@]}" \
		    "${bk[@]}" --backup-name "$name" >"$tmp/backup.out" 2>&1
		then
			echo "bench-purge: backup $name failed:" >&2
			tail -5 "$tmp/backup.out" >&2
			return 1
		fi
		ms=$((($(date +%s%N) - t0) / 1000000))
		total=$((total + ms))
		[ "$ms" -gt "$max" ] && max=$ms
	done
	bench_row "set-up: d02..$newest, differential" "$((days - 1)) backups, wall $((total / 1000)).$(printf '%03d' $((total % 1000))) s in all, mean $((total / (days - 1))) ms, max $max ms; 4 new sstables a day, $ncomp compactions"
	bench_purge_nodes "$newest" "$tmp/m" || return 1
	local -A T
	while IFS=$'\t' read -r k v; do T[$k]=$v; done < <(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
for k, v in d["totals"].items():
    print("%s\t%s" % (k, v))' "$tmp/m/$newest.json")
	BENCH_PURGE_STORED=${T[stored_bytes]}
	bench_purge_ls "$tmp/all.before"
	bench_row "$newest" "${T[files]} files, $(bench_size "${T[bytes]}"), stored $(bench_size "${T[stored_bytes]}")"
	bench_row "all under cb/" "$(wc -l <"$tmp/all.before") objects, $(bench_size "$(awk -F'\t' '{ s += $1 } END { print s + 0 }' "$tmp/all.before")")"
}

# bench_purge_quick: quick verify of the newest backup and of all, against
# plain listings of the same prefixes.
bench_purge_quick() {
	local n f v label
	bench_header "quick verify: listings against the manifests, nothing downloaded but them (load $(bench_load))"
	for v in "$newest" --all; do
		if [ "$v" = --all ]; then
			label="verify --all ($days backups)"
			n=$days
			set -- --all
		else
			label="verify $v (the newest)"
			n=1
			set -- --snapshot-name "$v"
		fi
		bench_purge_run "$label" "$tmp/q$v.json" "${cb[@]}" verify "$@" \
		    --json || return 1
		bench_purge_said
		bench_purge_verified "$tmp/q$v.json" "$n" || return 1
		f=$BENCH_PURGE_FILES
		bench_row "quick verify: $(bench_purge_per "${WALL[$label]}" "$f") s per 10,000 files" "($f files in ${WALL[$label]} s; cpu $(bench_purge_per "${CPU[$label]}" "$f") s per 10,000; target well under 1 s)"
		n=$(wc -l <"$tmp/q$v.json.prefixes")
		measure "cb-s3get --ls, the $n prefixes" bash -c '
		    while IFS="	" read -r d p; do
			[ "$d" = - ] && d=
			cb-s3get -q --endpoint "$1" --ls ${d:+--delimiter "$d"} \
			    "s3://$2/$p" </dev/null >/dev/null || exit 1
		    done <"$3"' bash "$S3_ENDPOINT" "$S3_BUCKET" \
		    "$tmp/q$v.json.prefixes" || return 1
		ratio "$label" "cb-s3get --ls, the $n prefixes"
	done
}

# bench_purge_deep: deep verify of the newest backup, against rclone copy
# of the same objects.
bench_purge_deep() {
	local label="verify --deep $newest" n
	bench_header "deep verify: every object of $newest downloaded, decoded, compared (load $(bench_load))"
	bench_purge_run "$label" "$tmp/deep.json" "${cb[@]}" verify \
	    --snapshot-name "$newest" --deep --json || return 1
	bench_purge_said
	bench_purge_verified "$tmp/deep.json" 1 || return 1
	bench_quot "  data downloaded / stored" "${BENCH_PURGE_REQ[data_bytes]}" \
	    "$BENCH_PURGE_STORED" "$(bench_size "${BENCH_PURGE_REQ[data_bytes]}") vs stored_bytes $(bench_size "$BENCH_PURGE_STORED") of $newest; target 1.00x"
	/usr/bin/python3 -c 'import json, sys
for f in json.load(open(sys.argv[1]))["files"]:
    print(f["key"])' "$tmp/m/$newest.1.json" | sort -u >"$tmp/keys"
	n=$(wc -l <"$tmp/keys")
	bench_purge_run "rclone copy, the $n objects" "$tmp/rclone.out" \
	    env -u AWS_CA_BUNDLE RCLONE_CONFIG_BP_TYPE=s3 \
	    RCLONE_CONFIG_BP_PROVIDER=Ceph RCLONE_CONFIG_BP_ENV_AUTH=true \
	    RCLONE_CONFIG_BP_ENDPOINT="$S3_ENDPOINT" rclone copy \
	    "bp:$S3_BUCKET" "$tmp/dl" --files-from "$tmp/keys" --transfers 8 ||
	    return 1
	rm -rf "$tmp/dl"
	bench_row "  requests" "${BENCH_PURGE_REQ[total]}: ${BENCH_PURGE_REQ[text]}"
	ratio "$label" "rclone copy, the $n objects"
}

# bench_purge_purge: purge --keep K, dry and then not; what is left must
# be whole.
bench_purge_purge() {
	local label json k v
	local -A P
	bench_header "purge --keep $keep: of $days backups, deleting what no kept backup names (load $(bench_load))"
	for json in dry real; do
		if [ "$json" = dry ]; then
			label="purge --keep $keep --dry-run"
			set -- --dry-run
		else
			label="purge --keep $keep"
			set --
		fi
		bench_purge_run "$label" "$tmp/purge.$json" "${cb[@]}" purge \
		    --keep "$keep" "$@" --json || return 1
		bench_purge_said
		P=()
		while IFS=$'\t' read -r k v; do P[$k]=$v; done < <(/usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
print("backups\t%d" % d["backups_count"])
print("kept\t%d" % len(d["kept"]))
print("objects\t%d" % d["objects_count"])
print("bytes\t%d" % d["bytes"])
print("uploads\t%d" % d["uploads_count"])
print("names\t%s" % " ".join(b["name"] for b in d["backups"]))' "$tmp/purge.$json")
		v=deleted
		[ "$json" = dry ] && v="would go"
		bench_row "  $v" "${P[backups]} backups (${P[names]}), ${P[kept]} kept; ${P[objects]} objects, $(bench_size "${P[bytes]}"); ${P[uploads]} multipart uploads"
		[ "$json" = real ] || continue
		bench_row "  DeleteObjects" "${BENCH_PURGE_REQ[del]} requests for ${P[objects]} objects (1000 keys at most a request: $(((P[objects] + 999) / 1000)) at least)"
	done
	bench_purge_ls "$tmp/all.after"
	bench_purge_left
}

# bench_purge_after: what is left must be whole: the newest backup (deep),
# all of them (--all), and each kept one by name.
bench_purge_after() {
	local label rc=0
	bench_header "after the purge (load $(bench_load))"
	label="verify --deep $newest, after"
	bench_purge_run "$label" "$tmp/after.json" "${cb[@]}" verify \
	    --snapshot-name "$newest" --deep --json
	bench_purge_verified "$tmp/after.json" 1 || rc=1
	ratio "$label" "verify --deep $newest"
	bench_purge_run "verify --all, after" "$tmp/after-all.json" \
	    "${cb[@]}" verify --all --json
	bench_purge_verified "$tmp/after-all.json" "$keep" || rc=1
	/usr/bin/python3 -c 'import json, sys
for b in json.load(open(sys.argv[1]))["kept"]:
    print(b["name"])' "$tmp/purge.real" >"$tmp/kept"
	bench_purge_run "verify NAME, each kept, after" "$tmp/after-kept.json" \
	    bash -c '
	    k=$1 s= rc=0
	    shift
	    echo "["
	    while read -r n; do
		printf "%s" "$s"
		s=,
		"$@" verify --snapshot-name "$n" --json </dev/null || rc=1
	    done <"$k"
	    echo "]"
	    exit "$rc"' bash "$tmp/kept" "${cb[@]}"
	bench_purge_verified "$tmp/after-kept.json" "$keep" || rc=1
	return "$rc"
}

# bench_purge_left: the objects left against what the kept backups name:
# none named may be missing, none unnamed left (but the tombstones of
# purged names that still hold named objects, and the run lock).
bench_purge_left() {
	local name
	for name in $(/usr/bin/python3 -c 'import json, sys
for b in json.load(open(sys.argv[1]))["kept"]:
    print(b["name"])' "$tmp/purge.real"); do
		bench_purge_nodes "$name" "$tmp/m" || return 1
	done
	/usr/bin/python3 - "$tmp/all.before" "$tmp/all.after" "$tmp/m" \
	    "$tmp/purge.real" <<'EOF' >"$tmp/left"
import glob, json, os, re, sys
before, after, mdir, report = sys.argv[1:5]
def ls(p):
    return {l.split("\t")[3].rstrip("\n"): int(l.split("\t")[0]) for l in open(p)}
b, a = ls(before), ls(after)
rep = json.load(open(report))
kept = [k["name"] for k in rep["kept"]]
purged = set(x["name"] for x in rep["backups"])
named = set()
for k in kept:
    named.add("cb/%s/manifest.json" % k)
    for n in json.load(open(os.path.join(mdir, k + ".json")))["nodes"]:
        named.add(n["manifest"])
    for p in glob.glob(os.path.join(mdir, k + ".*.json")):
        named.update(f["key"] for f in json.load(open(p))["files"])
missing = sorted(named - set(a))
tomb, extra = 0, []
for key in a:
    if key in named:
        continue
    m = re.match(r"cb/([^/]+)/manifest\.json$", key)
    if m and m.group(1) in purged:
        # A tombstone: it must still hold something named.
        if any(x.startswith("cb/%s/" % m.group(1)) and x != key for x in a):
            tomb += 1
            continue
    if key.startswith("cb/cassandra-backups.lock"):
        continue
    extra.append(key)
gone = set(b) - set(a)
print("gone\t%d\t%d" % (len(gone), sum(b[k] for k in gone)))
print("left\t%d\t%d" % (len(a), sum(a.values())))
print("tombstones\t%d\t" % tomb)
print("missing\t%d\t%s" % (len(missing), " ".join(missing[:3])))
print("extra\t%d\t%s" % (len(extra), " ".join(sorted(extra)[:3])))
EOF
	local k c x
	local -A C X
	while IFS=$'\t' read -r k c x; do C[$k]=$c X[$k]=$x; done <"$tmp/left"
	bench_row "  listed before and after" "${C[gone]} objects gone, $(bench_size "${X[gone]}") (the purged cluster manifests left as tombstones aside); left ${C[left]} objects, $(bench_size "${X[left]}")"
	bench_row "  tombstones left" "${C[tombstones]} (purged names still holding named objects)"
	bench_row "  named by a kept backup, missing" "${C[missing]} (want 0)${X[missing]:+: ${X[missing]}}"
	bench_row "  named by none, left" "${C[extra]} (want 0)${X[extra]:+: ${X[extra]}}"
	[ "${C[missing]}" = 0 ] && [ "${C[extra]}" = 0 ]
}

bench_purge_main
