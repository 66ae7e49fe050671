# bench/bench-diff.sh: differential backups and a resumed run (issue 11)
# on one stand-in node, against one Ceph RGW, in one run (sourced by
# bench/run.sh, which provides REPO, BENCH_DIR, PATH and bench/lib.sh):
#
#   b1   a full named backup: wall time, bytes uploaded, files read
#   b2   after 2% new sstables: wall time, bytes uploaded and files read
#        against the new files (their lzop size, their number)
#   b2n  nothing new: what any differential run costs (the floor)
#   b2t  2% more, the same under strace: the files the backup's own
#        programs opened, counted apart from the node manifest's read_files
#   b3   --full, killed with SIGKILL (driver and node programs) when about
#        half its bytes are up, then the same command again: what the rerun
#        uploaded against what was left, plus a part per upload in flight
#
#   BENCH_NODE_MIB   the node's data (default 1024), in 16 tables: the node
#                    of bench/bench-node.sh (bench_node_make, bench/lib.sh),
#                    generated once and used here
#                    through a copy of hard links, so it stays as it is
#
# Starts its own S3 server (port CB_TEST_S3_PORT) and stops it at the end;
# the node's state directory and TMPDIR are private to the run.

# Data objects of cb-s3put go up in parts of this size (cb-s3put(1)
# --part-size; the driver passes none without --buffer-size).
BENCH_DIFF_PART=$((8 * 1048576))

# bench_diff_row LABEL TEXT: a figure, aligned with measure's rows.
bench_diff_row() { printf '%-34s %s\n' "$1" "$2"; }

# bench_diff_quot LABEL A B TEXT: A/B as a ratio, with what it compares.
bench_diff_quot() {
	printf '%-34s %5.2fx  (%s)\n' "$1" \
	    "$(echo "$2 / ($3 + 0.0001)" | bc -l)" "$4"
}

bench_diff_load() { cut -d' ' -f1-3 /proc/loadavg; }

# bench_diff_size BYTES: in MiB, or KiB below one MiB.
bench_diff_size() {
	if [ "$1" -ge 1048576 ]; then
		printf '%.2f MiB' "$(echo "$1 / 1048576" | bc -l)"
	else
		printf '%.1f KiB' "$(echo "$1 / 1024" | bc -l)"
	fi
}

# bench_diff_ls PREFIX [--uploads]: the objects (or multipart uploads)
# under s3://BUCKET/PREFIX, one cb-s3get --ls record each.
bench_diff_ls() {
	timeout -k 5 120 cb-s3get -q --endpoint "$S3_ENDPOINT" --ls ${2:+"$2"} \
	    "s3://$S3_BUCKET/$1"
}

bench_diff_sum() { awk -F'\t' '{ s += $1 } END { print s + 0 }'; }

# bench_diff_node NAME FILE: backup NAME's node manifest into FILE.
bench_diff_node() {
	local key
	key=$(timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" \
	    "s3://$S3_BUCKET/cb/$1/manifest.json" - |
	    /usr/bin/python3 -c 'import json, sys
print(json.load(sys.stdin)["nodes"][0]["manifest"])') &&
	timeout -k 5 60 cb-s3get -q --endpoint "$S3_ENDPOINT" \
	    "s3://$S3_BUCKET/$key" "$2"
}

# bench_diff_run FILE: the last run of a node manifest (and a count of
# its snapshot-written files), as KEY TAB VALUE lines.
bench_diff_run() {
	/usr/bin/python3 -c 'import json, os, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][-1]
for k in ("run", "kind", "files", "bytes", "stored_bytes", "resumed_files",
          "reused_files", "reused_bytes", "read_files", "read_bytes"):
    print("%s\t%s" % (k, r.get(k, 0)))
print("total_stored\t%d" % d["totals"]["stored_bytes"])
meta = [f for f in d["files"] if "/snapshots/" in f["path"] and
        os.path.basename(f["path"]) in ("manifest.json", "schema.cql")]
print("meta_files\t%d" % len(meta))' "$1"
}

# bench_diff_tree PID: PID and its descendants.
bench_diff_tree() {
	local c
	echo "$1"
	for c in $(ps -o pid= --ppid "$1"); do
		bench_diff_tree "$c"
	done
}

# bench_diff_kill PID: SIGKILL for PID and all it started, as in a crash.
# Stopped first, until no new process appears (a stopped one starts no
# other), so that none escapes by outliving its parent.
bench_diff_kill() {
	local pids prev=
	while pids=$(bench_diff_tree "$1" | sort -n | paste -sd ' ') &&
	    [ "$pids" != "$prev" ]; do
		# shellcheck disable=SC2086
		kill -STOP $pids 2>/dev/null
		prev=$pids
	done
	ps -o comm= -p "${pids// /,}" | sort | uniq -c |
	    awk '{ printf "%s%s x%d", (NR > 1 ? ", " : ""), $2, $1 }'
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
}

# bench_diff_live DATA: the sstable files of the node, sorted.
bench_diff_live() {
	find "$1" -path '*/snapshots' -prune -o -type f -print | sort
}

# bench_diff_opens TRACE DATA NEW: from an strace -f -Y openat trace, the
# files under DATA that the backup's programs (cb-*, the driver; not the
# stand-in's nodetool and cqlsh, which are Cassandra) opened, directories
# aside, each once, as: opened, of them new (NEW: the live paths of the new
# files), snapshot-written (manifest.json, schema.cql), others; writes.
bench_diff_opens() {
	/usr/bin/python3 -c 'import os, re, sys
trace, data, new = sys.argv[1], sys.argv[2].rstrip("/") + "/", sys.argv[3]
new = set(l.rstrip("\n") for l in open(new))
start = re.compile(r"^(\d+)<([^>]*)> openat\([^,]+, \"((?:[^\"\\]|\\.)*)\", ([A-Z_|]+)")
done = re.compile(r"^(\d+)<[^>]*> <\.\.\. openat resumed>.*= (-?\d+)")
fin = re.compile(r"= (-?\d+)")
pend, opened, writes = {}, set(), 0
def take(comm, path, flags, rc):
    global writes
    if rc < 0 or "O_DIRECTORY" in flags or not path.startswith(data):
        return
    if not (comm.startswith("cb-") or comm.startswith("cassandra-back")):
        return
    if "O_WRONLY" in flags or "O_RDWR" in flags:
        writes += 1
        return
    opened.add(re.sub(r"/snapshots/[^/]+/", "/", path))
for line in open(trace):
    m = start.match(line)
    if m:
        pid, comm, path, flags = m.groups()
        if "<unfinished ...>" in line:
            pend[pid] = (comm, path, flags)
            continue
        r = fin.search(line[m.end():])
        if r:
            take(comm, path, flags, int(r.group(1)))
        continue
    m = done.match(line)
    if m and m.group(1) in pend:
        take(*pend.pop(m.group(1)), int(m.group(2)))
meta = [p for p in opened if os.path.basename(p) in ("manifest.json", "schema.cql")]
n_new = len(opened & new)
print(len(opened), n_new, len(meta), len(opened) - n_new - len(meta), writes)' "$@"
}

bench_diff_main() {
	local mib=${BENCH_NODE_MIB:-1024} shared root tmp tools conf data store
	local trace rc=0
	local -a cb
	local B1_STORED LAST_TOTAL
	tools=$REPO/test/cassandra/bin
	shared=$BENCH_DIR/node-$mib
	bench_node_make "$shared" "$mib" || return 1
	tmp=$(mktemp -d /tmp/cb-bench-diff.XXXXXX)
	# A node of hard links: new sstables and snapshots go to it only.
	root=$tmp/node
	mkdir -p "$root/etc" "$tmp/state" "$tmp/tmp" &&
	    cp -al "$shared/var" "$root/var" &&
	    cp -a "$shared/etc/cassandra" "$root/etc/" &&
	    sed -i "s|$shared/|$root/|" "$root/etc/cassandra/cassandra.yaml" ||
	    { rm -rf "$tmp"; return 1; }
	conf=$root/etc/cassandra
	data=$root/var/lib/cassandra/data
	echo "bench-diff: starting the S3 server"
	# Two full backups and some: PUTs hang when the store is full.
	store=$((mib * 4 > 6144 ? mib * 4 : 6144))
	bench_s3_start "$tmp" "$store" || { rm -rf "$tmp"; return 1; }
	cb=(env TMPDIR="$tmp/tmp" cassandra-backups --s3-bucket-name "$S3_BUCKET"
	    --s3-base-path cb --s3-endpoint "$S3_ENDPOINT" backup --hosts node1
	    --use-local --cassandra-conf-path "$conf"
	    --cassandra-tools-bin-dir "$tools" --state-dir "$tmp/state")
	find "$data" -type f -print0 | xargs -0 cat >/dev/null

	trace=$(command -v strace) ||
	    echo "bench-diff: no strace (apt-get install strace): opens not counted" >&2
	bench_diff_b1 &&
	    bench_diff_step b2 "b2: after +2% (4 tables)" "" t3 t7 t11 t15 &&
	    bench_diff_b2n &&
	    bench_diff_step b2t "b2t: +2% more${trace:+, under strace}" \
		"$trace" t1 t5 t9 t13 &&
	    bench_diff_b3 || rc=1
	bench_diff_row "load average at the end" "$(bench_diff_load)"

	bench_s3_stop "$tmp"
	rm -rf "$tmp"
	return "$rc"
}

bench_diff_b1() {
	local raw files k v
	local -A R1
	raw=$(du -sb --apparent-size "$data" | cut -f1)
	files=$(bench_diff_live "$data" | wc -l)
	bench_header "differential backups: a $((raw / 1048576)) MiB node, 16 tables, $files files ($(nproc) CPUs, load $(bench_diff_load))"
	measure "b1: full backup" "${cb[@]}" --backup-name b1 || return 1
	bench_diff_node b1 "$tmp/b1.json" || return 1
	while IFS=$'\t' read -r k v; do R1[$k]=$v; done < <(bench_diff_run "$tmp/b1.json")
	bench_diff_row "b1: uploaded (stored_bytes)" "$(bench_diff_size "${R1[stored_bytes]}") in ${R1[files]} files, ${R1[kind]}"
	bench_diff_row "b1: files read" "${R1[read_files]} ($(bench_diff_size "${R1[read_bytes]}"))"
	B1_STORED=${R1[stored_bytes]}
	LAST_TOTAL=${R1[total_stored]}
}


# bench_diff_step NAME LABEL TRACE TABLE...: 2% of the node in new
# sstables over TABLEs, then the named backup NAME (under strace when
# TRACE is set); what it uploaded and read against the new files.
bench_diff_step() {
	local name=$1 label=$2 trace=$3 add nnew raw lz objs man own snap k v
	local o_all o_new o_meta o_other o_w
	local -A R
	shift 3
	add=$((($(du -sb --apparent-size "$data" | cut -f1) / 50 + 1048575) / 1048576))
	bench_diff_live "$data" >"$tmp/live.before"
	bench_node_add "$root" "$add" "$@" || return 1
	bench_diff_live "$data" | comm -13 "$tmp/live.before" - >"$tmp/new.$name"
	nnew=$(wc -l <"$tmp/new.$name")
	raw=$(xargs -d '\n' stat -c %s <"$tmp/new.$name" | bench_diff_sum)
	lz=$(while IFS= read -r f; do lzop -c "$f"; done <"$tmp/new.$name" | wc -c)
	xargs -d '\n' cat <"$tmp/new.$name" >/dev/null
	if [ -z "$trace" ]; then
		measure "$label" "${cb[@]}" --backup-name "$name" || return 1
		ratio "$label" "b1: full backup"
		bench_diff_row "  target" "wall <= 0.10x"
	else
		measure "$label" strace -f -Y --seccomp-bpf -qq -e trace=openat \
		    -e signal=none -o "$tmp/$name.trace" \
		    "${cb[@]}" --backup-name "$name" || return 1
	fi
	bench_diff_node "$name" "$tmp/$name.json" || return 1
	while IFS=$'\t' read -r k v; do R[$k]=$v; done < <(bench_diff_run "$tmp/$name.json")
	LAST_TOTAL=${R[total_stored]}
	# What went up under NAME/: the objects of its run, its two manifests.
	bench_diff_ls "cb/$name/" >"$tmp/$name.ls"
	objs=$(bench_diff_sum <"$tmp/$name.ls")
	man=$(grep -E "	cb/$name/(node1/)?manifest[^/]*\.json\$" "$tmp/$name.ls" | bench_diff_sum)
	own=$(/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][-1]["run"]
print(sum(f["stored_size"] for f in d["files"] if f["run"] == r))' "$tmp/$name.json")
	snap=$((own - lz))
	bench_diff_row "$name: new files" "$nnew sstable files in $# tables, $(bench_diff_size "$raw"), lzop -c $(bench_diff_size "$lz")"
	bench_diff_row "$name: uploaded (stored_bytes)" "$(bench_diff_size "${R[stored_bytes]}") in ${R[files]} files ($((R[files] - nnew)) the snapshot wrote), ${R[reused_files]} reused, ${R[kind]}"
	bench_diff_row "$name: manifests" "$(bench_diff_size "$man") (node + cluster); all objects under $name/ $(bench_diff_size "$objs")"
	bench_diff_quot "$name uploaded / b1 uploaded" "${R[stored_bytes]}" "$B1_STORED" "stored_bytes"
	bench_diff_quot "$name put / (new lzop'd + manifests)" "$objs" "$((lz + man))" \
	    "target <= 1.00x: $(bench_diff_size "$objs") vs $(bench_diff_size "$lz") lzop'd + $(bench_diff_size "$man") manifests; snapshot-written files $(bench_diff_size "$snap") of it"
	bench_diff_quot "$name files read / new files" "${R[read_files]}" "$nnew" \
	    "read_files ${R[read_files]} vs $nnew new"
	bench_diff_quot "$name read / (new + snapshot-made)" "${R[read_files]}" "$((nnew + R[meta_files]))" \
	    "and ${R[meta_files]} manifest.json, schema.cql the snapshot wrote"
	[ -n "$trace" ] || return 0
	read -r o_all o_new o_meta o_other o_w < <(bench_diff_opens \
	    "$tmp/$name.trace" "$data" "$tmp/new.$name")
	bench_diff_row "$name: opened (strace openat)" "$o_all files: $o_new of the $nnew new, $o_meta the snapshot wrote, $o_other others; $o_w opens for writing"
	bench_diff_quot "$name opened (strace) / read_files" "$o_all" "${R[read_files]}" "cb-* and the driver, each file once"
}

# bench_diff_b2n: a differential backup with no new file, the cost of
# any run (the stand-in's nodetool and cqlsh take part of it).
bench_diff_b2n() {
	local k v
	local -A R
	measure "b2n: nothing new" "${cb[@]}" --backup-name b2n || return 1
	ratio "b2n: nothing new" "b1: full backup"
	bench_diff_node b2n "$tmp/b2n.json" || return 1
	while IFS=$'\t' read -r k v; do R[$k]=$v; done < <(bench_diff_run "$tmp/b2n.json")
	bench_diff_row "b2n: uploaded, read" "$(bench_diff_size "${R[stored_bytes]}") in ${R[files]} files, ${R[read_files]} files read (${R[meta_files]} the snapshot wrote), ${R[reused_files]} reused"
}

# bench_diff_b3 [NAME]: a --full backup killed halfway, then the same
# command again.
bench_diff_b3() {
	local n=${1:-b3} half up pid killed at_kill n_kill inflight objs left
	local resumed redone redone_b norec meta meta_b data_up k v
	local -A R
	bench_header "resumed run: --full killed at half its bytes, then the same command (load $(bench_diff_load))"
	half=$((LAST_TOTAL / 2))
	"${cb[@]}" --backup-name "$n" --full >"$tmp/$n.out" 2>&1 &
	pid=$!
	up=0
	local until=$((SECONDS + ${BENCH_STEP_TIMEOUT:-300}))
	while kill -0 "$pid" 2>/dev/null; do
		up=$(bench_diff_ls "cb/$n/" | bench_diff_sum)
		[ "$up" -ge "$half" ] && break
		if [ "$SECONDS" -ge "$until" ]; then
			echo "bench-diff: $n: $(bench_size "$up") up after ${BENCH_STEP_TIMEOUT:-300} s, stopped; server: $(bench_s3_state)" >&2
			bench_diff_kill "$pid" >/dev/null
			wait "$pid" 2>/dev/null
			return 1
		fi
		sleep 0.2
	done
	if ! kill -0 "$pid" 2>/dev/null; then
		echo "bench-diff: $n ended before half its bytes were up:" >&2
		tail -5 "$tmp/$n.out" >&2
		return 1
	fi
	killed=$(bench_diff_kill "$pid")
	wait "$pid" 2>/dev/null
	bench_diff_ls "cb/$n/" >"$tmp/$n.kill"
	bench_diff_ls "cb/$n/" --uploads >"$tmp/$n.uploads"
	at_kill=$(bench_diff_sum <"$tmp/$n.kill")
	n_kill=$(wc -l <"$tmp/$n.kill")
	inflight=$(wc -l <"$tmp/$n.uploads")
	# The records of the uploads the killed run made (cb-node(1), State).
	cp "$tmp/state/node1/results" "$tmp/$n.results" 2>/dev/null ||
	    : >"$tmp/$n.results"
	bench_diff_row "$n: killed (SIGKILL)" "$killed"
	bench_diff_row "$n: up at the kill" "$(bench_diff_size "$at_kill") of $(bench_diff_size "$LAST_TOTAL") in $n_kill objects, $inflight multipart uploads in flight"
	measure "$n: the same command again" "${cb[@]}" --backup-name "$n" \
	    --full || return 1
	ratio "$n: the same command again" "b1: full backup"
	bench_diff_node "$n" "$tmp/$n.json" || return 1
	while IFS=$'\t' read -r k v; do R[$k]=$v; done < <(bench_diff_run "$tmp/$n.json")
	bench_diff_ls "cb/$n/" >"$tmp/$n.after"
	# Objects new or replaced since the kill (the manifests among them).
	objs=$(awk -F'\t' 'NR == FNR { e[$4] = $3; next }
	    !($4 in e) || e[$4] != $3 { s += $1 } END { print s + 0 }' \
	    "$tmp/$n.kill" "$tmp/$n.after")
	# Of the objects up at the kill: those the rerun took over (bytes),
	# and those it did not (count, bytes, how many the killed run had no
	# result record of), the snapshot's files apart.
	read -r resumed redone redone_b norec meta meta_b < <(/usr/bin/python3 -c '
import json, os, sys
d = json.load(open(sys.argv[1]))
r = d["runs"][-1]["run"]
mine = {f["key"]: f["etag"] for f in d["files"] if f["run"] == r}
rec = set(x.split("\t")[5] for x in open(sys.argv[3]).read().split("\0")
          if x.startswith("ok\t"))
took = redone = redone_b = norec = meta = meta_b = 0
for l in open(sys.argv[2]):
    size, _, etag, key = l.rstrip("\n").split("\t")
    if mine.get(key) == etag:
        took += int(size)
    elif os.path.basename(key) in ("manifest.json.lzo", "schema.cql.lzo"):
        meta += 1
        meta_b += int(size)
    else:
        redone += 1
        redone_b += int(size)
        norec += key not in rec
print(took, redone, redone_b, norec, meta, meta_b)' "$tmp/$n.json" "$tmp/$n.kill" "$tmp/$n.results")
	data_up=$((R[stored_bytes] - resumed))
	left=$((R[total_stored] - at_kill))
	bench_diff_row "$n: rerun uploaded" "$(bench_diff_size "$data_up") (stored_bytes $(bench_diff_size "${R[stored_bytes]}") - resumed $(bench_diff_size "$resumed")); objects new since the kill $(bench_diff_size "$objs")"
	bench_diff_row "$n: rerun took over" "${R[resumed_files]} files (resumed_files) of $n_kill objects up at the kill"
	bench_diff_row "$n: up at the kill, not taken" "$redone objects, $(bench_diff_size "$redone_b"), $norec with no result record yet; and $meta the snapshot wrote, $(bench_diff_size "$meta_b")"
	bench_diff_quot "$n rerun uploaded / left" "$data_up" "$left" \
	    "left $(bench_diff_size "$left") = $(bench_diff_size "${R[total_stored]}") - $(bench_diff_size "$at_kill")"
	bench_diff_quot "$n rerun uploaded / (left + parts)" "$data_up" \
	    "$((left + inflight * BENCH_DIFF_PART))" \
	    "target <= 1.00x: + $inflight x $(bench_diff_size "$BENCH_DIFF_PART") parts in flight"
	bench_diff_row "$n: after the rerun" "$(bench_diff_ls "cb/$n/" --uploads | wc -l) multipart uploads left, complete: $(cb-s3get -q --endpoint "$S3_ENDPOINT" "s3://$S3_BUCKET/cb/$n/manifest.json" - | /usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["complete"])')"
}

bench_diff_main
