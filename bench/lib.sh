# bench/lib.sh: measuring helpers shared by bench/bench-*.sh (bash).
#
#   measure LABEL CMD...   run CMD once; record wall s, CPU s (user+sys) and
#                          peak RSS (KiB) of it and its children; print a row
#   ratio LABEL BASE       print LABEL's wall and CPU as ratios to BASE's
#   bench_row LABEL TEXT   print a figure, aligned with measure's rows
#   bench_quot LABEL A B TEXT   print A/B as a ratio, with what it compares
#   bench_size BYTES       BYTES for people (MiB, or KiB below one MiB)
#   bench_load             the load averages (1, 5, 15 min)
#   bench_machine          nproc and all of /proc/loadavg, on one line
#   bench_cmd CMD...       CMD as one shell-quoted line (how figures name
#                          the command that produced them)
#   bench_do LABEL CMD...  a step that is not measured (a clean-up, a
#                          listing), under the same timeout as measure
#   bench_s3_state [DIR]   one line: the test S3 server's daemons (state
#                          from /proc) and whether it answers in 3 s
#   bench_s3_start DIR MIB the test S3 server (test/services/s3.sh, port
#                          CB_TEST_S3_PORT) with MIB MiB of store, its
#                          s3.env read; recorded for bench/run.sh
#   bench_s3_stop DIR      test/services/s3.sh stop, bounded
#   bench_log_mark         the size of RGW's log once all sent is in it
#   bench_log_reqs FROM TO PREFIXES   the requests between two marks
#   bench_node_make ROOT MIB    the generated node of the whole-node benches
#   bench_node_copy FROM ROOT   a copy of it made of hard links
#   bench_node_add ROOT MIB TABLE...   new sstables in it, loaded
#
# Results are kept in the associative arrays WALL, CPU and RSS by label.
# Nothing here asserts a number: benchmarks report, tests assert.
#
# Every step is bounded: measure and bench_do run CMD under timeout(1),
# BENCH_STEP_TIMEOUT seconds (default 300), then SIGKILL 10 s later.  A
# step that times out is reported with the server's state (bench_s3_state,
# for the server of BENCH_S3_DIR, set by the bench that started it) and
# returns 124: the bench goes on or stops, it never waits.  If the server
# no longer answers then, every later step of measure and bench_do in
# that bench is skipped (said so, 124) rather than given its timeout.

declare -gA WALL CPU RSS

bench_header() {
	printf '\n== %s\n' "$1"
	printf '%-34s %9s %9s %11s\n' "run" "wall s" "cpu s" "peak RSS"
}

measure() {
	local label=$1 out
	shift
	bench_stuck "$label" || return 124
	out=$(mktemp)
	timeout -k 10 "${BENCH_STEP_TIMEOUT:-300}" \
	    /usr/bin/time -f '%e %U %S %M' -o "$out" "$@" >/dev/null 2>"$out.err"
	local rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		bench_timed_out "$label" "$@"
		rm -f "$out" "$out.err"
		WALL[$label]=0 CPU[$label]=0 RSS[$label]=0
		return 124
	elif [ "$rc" -ne 0 ]; then
		echo "bench: '$label' failed (exit $rc):" >&2
		tail -5 "$out.err" >&2
	fi
	# a failed command adds a "Command exited..." line first
	read -r w u s m < <(tail -n 1 "$out")
	rm -f "$out" "$out.err"
	WALL[$label]=$w
	CPU[$label]=$(echo "$u + $s" | bc -l)
	RSS[$label]=$m
	printf '%-34s %9.2f %9.2f %8d MiB\n' "$label" "$w" "${CPU[$label]}" \
	    $((m / 1024))
	printf '    $ %s\n' "$(bench_cmd "$@")"
	return "$rc"
}

ratio() {
	local a=$1 b=$2
	printf '%-34s wall %5.2fx  cpu %5.2fx  (vs %s)\n' "$a" \
	    "$(echo "${WALL[$a]} / (${WALL[$b]} + 0.0001)" | bc -l)" \
	    "$(echo "${CPU[$a]} / (${CPU[$b]} + 0.0001)" | bc -l)" "$b"
}

bench_row() { printf '%-34s %s\n' "$1" "$2"; }

bench_quot() {
	printf '%-34s %5.2fx  (%s)\n' "$1" \
	    "$(echo "$2 / ($3 + 0.0001)" | bc -l)" "$4"
}

bench_size() {
	if [ "$1" -ge 1048576 ]; then
		printf '%.2f MiB' "$(echo "$1 / 1048576" | bc -l)"
	else
		printf '%.1f KiB' "$(echo "$1 / 1024" | bc -l)"
	fi
}

# bench_cmd CMD...: CMD as one line, a word with other characters than
# these in single quotes, runs of blanks and newlines as one space (to
# read, not to paste: a script given to sh -c loses its line breaks), the
# repository and BENCH_DIR written as such (the same on every machine).
bench_cmd() {
	local a s= q="'\\''"
	for a; do
		if [[ $a =~ ^[][A-Za-z0-9_@%+=:,./{}-]+$ ]]; then
			s="$s $a"
		else
			s="$s '${a//\'/$q}'"
		fi
	done
	s=$(printf '%s' "${s# }" | tr '\n\t' '  ' | tr -s ' ')
	s=${s//"$BENCH_DIR"/\$BENCH_DIR}
	printf '%s' "${s//"$REPO/"/}"
}

# bench_timed_out LABEL CMD...: the report of a step that timed out.
bench_timed_out() {
	local label=$1 st
	shift
	echo "bench: '$label' timed out after ${BENCH_STEP_TIMEOUT:-300} s, stopped: $(bench_cmd "$@")" >&2
	st=$(bench_s3_state)
	echo "bench: server at '$label': $st" >&2
	case $st in
	*"no answer"*) [ -z "${BENCH_S3_DIR:-}" ] || BENCH_S3_STUCK=$label ;;
	esac
}

# bench_stuck LABEL: 1 (LABEL skipped, said so) once the bench's server
# stopped answering at a step that timed out.
bench_stuck() {
	[ -n "${BENCH_S3_STUCK:-}" ] || return 0
	echo "bench: '$1' skipped: the S3 server stopped answering at '$BENCH_S3_STUCK'" >&2
	return 1
}

# bench_do LABEL CMD...: CMD (output discarded, errors shown) under the
# step timeout; its exit status, 124 if it timed out.
bench_do() {
	local label=$1 rc err
	shift
	bench_stuck "$label" || return 124
	err=$(mktemp)
	timeout -k 10 "${BENCH_STEP_TIMEOUT:-300}" "$@" >/dev/null 2>"$err"
	rc=$?
	if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		bench_timed_out "$label" "$@"
		rc=124
	elif [ "$rc" -ne 0 ]; then
		echo "bench: '$label' failed (exit $rc):" >&2
		tail -5 "$err" >&2
	fi
	rm -f "$err"
	return "$rc"
}

# bench_s3_state [DIR]: the daemons of the test S3 server under DIR
# (default BENCH_S3_DIR) with their state letter from /proc (R running,
# S sleeping, D in I/O, Z or gone), and its answer to one GET in 3 s.
bench_s3_state() {
	local dir=${1:-${BENCH_S3_DIR:-}} f pid st out=
	for f in "$dir"/s3/run/*.pid; do
		[ -s "$f" ] || continue
		pid=$(cat "$f")
		st=$(awk '/^State:/ { print $2 }' "/proc/$pid/status" 2>/dev/null)
		out="$out${f##*/} ${st:-gone}, "
		out=${out//.pid /: }
	done
	[ -n "$out" ] || out="no daemons under '${dir:-?}', "
	st=$(curl -s -m 3 -o /dev/null -w '%{http_code} in %{time_total} s' \
	    "${S3_ENDPOINT:-http://127.0.0.1:${CB_TEST_S3_PORT:-7480}}/") ||
	    st="no answer in 3 s"
	printf '%sHTTP GET / %s\n' "$out" "$st"
}

# bench_s3_start DIR MIB: start the test S3 server under DIR with MIB MiB
# of RAM store (PUTs hang, not fail, once it is full) and read its s3.env.
# DIR is written to BENCH_DIR/s3-running, so that bench/run.sh can stop a
# server its bench left running (killed at its timeout).
bench_s3_start() {
	if ! MEMSTORE_BYTES=$(($2 * 1048576)) START_TIMEOUT=90 \
	    timeout -k 10 120 bash "$REPO/test/services/s3.sh" start "$1" \
	    >"$1.s3.log" 2>&1; then
		echo "bench: cannot start the S3 server:" >&2
		tail -5 "$1.s3.log" >&2
		BENCH_S3_DIR=$1 bench_s3_stop "$1"
		return 1
	fi
	rm -f "$1.s3.log"
	# shellcheck disable=SC1091
	. "$1/s3.env"
	BENCH_S3_DIR=$1 BENCH_S3_STUCK=
	echo "$1" >"$BENCH_DIR/s3-running"
}

# bench_s3_stop DIR: stop the test S3 server under DIR, bounded (s3.sh
# gives a daemon 10 s after SIGTERM, then SIGKILL).
bench_s3_stop() {
	BENCH_STEP_TIMEOUT=60 BENCH_S3_STUCK= bench_do "stop the S3 server" \
	    bash "$REPO/test/services/s3.sh" stop "$1"
	[ "$(cat "$BENCH_DIR/s3-running" 2>/dev/null)" != "$1" ] ||
	    rm -f "$BENCH_DIR/s3-running"
}

# Requests are counted at the server, from RGW's access log (its "beast:"
# lines: method, target, status, bytes) between two bench_log_mark.

# bench_log_mark: the size of RGW's log once every request sent before
# is in it: one more request (anonymous, refused) goes out, and its line
# is waited for.
bench_log_mark() {
	local tag from i log=$BENCH_S3_DIR/s3/log/client.rgw.s3.log
	BENCH_LOG_MARKS=$((${BENCH_LOG_MARKS:-0} + 1))
	tag=bench-log-mark-$BENCH_LOG_MARKS
	from=$(stat -c %s "$log")
	curl -s -m 5 -o /dev/null "$S3_ENDPOINT/$S3_BUCKET/$tag"
	for i in $(seq 1 200); do
		tail -c +"$((from + 1))" "$log" | grep -q "/$tag " && break
		sleep 0.05
	done
	[ "$i" -lt 200 ] ||
	    echo "bench: no log line for a request in 10 s: $(bench_s3_state)" >&2
	stat -c %s "$log"
}

# bench_log_reqs FROM TO PREFIXES: the requests logged between the byte
# offsets FROM and TO, as KEY TAB VALUE lines: text (count by kind),
# total, list (ListObjectsV2 pages), prefixes (distinct), get
# (GetObject), del (DeleteObjects), put, man_bytes and data_bytes (bodies
# of GetObject: of manifests, of the rest), list_bytes (listing bodies),
# and kind:NAME, the count of each kind of request (S3 operation name).
# The listed prefixes go to the file PREFIXES (DELIMITER TAB PREFIX, the
# delimiter - for none).
bench_log_reqs() {
	tail -c +"$(($1 + 1))" "$BENCH_S3_DIR/s3/log/client.rgw.s3.log" | head -c "$(($2 - $1))" |
	    /usr/bin/python3 -c 'import re, sys, urllib.parse
line = re.compile(r"beast: \S+ \S+ - \S+ \[[^\]]*\] \"(\S+) (\S+) [^\"]*\" (\d+) (\d+)")
man = re.compile(r"/manifest(-[^/]*)?\.json$")
count, bad, pre = {}, {}, set()
n = {"list": 0, "get": 0, "del": 0, "put": 0, "total": 0,
     "man_bytes": 0, "data_bytes": 0, "list_bytes": 0}
for l in sys.stdin:
    m = line.search(l)
    if not m or "/bench-log-mark-" in m.group(2):
        continue
    meth, target, st, size = m.group(1), m.group(2), int(m.group(3)), int(m.group(4))
    path, _, q = target.partition("?")
    qs = urllib.parse.parse_qs(q, keep_blank_values=True)
    obj = path.strip("/").count("/") > 0
    if meth == "GET" and not obj:
        k = ("ListObjectsV2" if "list-type" in qs else
             "ListMultipartUploads" if "uploads" in qs else
             "ListBuckets" if path == "/" else "ListObjects")
        if k == "ListObjectsV2":
            n["list"] += 1
            n["list_bytes"] += size
            pre.add((qs.get("delimiter", [""])[0], qs.get("prefix", [""])[0]))
    elif meth == "GET":
        k = "GetObject"
        n["get"] += 1
        n["man_bytes" if man.search(path) else "data_bytes"] += size
    elif meth == "HEAD":
        k = "HeadObject" if obj else "HeadBucket"
    elif meth == "PUT":
        k = "UploadPart" if "partNumber" in qs else "PutObject"
        n["put"] += 1
    elif meth == "POST":
        k = ("DeleteObjects" if "delete" in qs else
             "CreateMultipartUpload" if "uploads" in qs else
             "CompleteMultipartUpload" if "uploadId" in qs else "POST")
        n["del"] += k == "DeleteObjects"
    elif meth == "DELETE":
        k = "AbortMultipartUpload" if "uploadId" in qs else "DeleteObject"
    else:
        k = meth
    n["total"] += 1
    count[k] = count.get(k, 0) + 1
    if st >= 300:
        bad.setdefault(k, {})
        bad[k][st] = bad[k].get(st, 0) + 1
def say(k):
    s = "%s %d" % (k, count[k])
    if k in bad:
        s += " (%s)" % ", ".join("%d x %d" % (c, st) for st, c in sorted(bad[k].items()))
    return s
text = ", ".join(say(k) for k in sorted(count, key=lambda k: (-count[k], k)))
print("text\t%s" % (text or "none"))
n["prefixes"] = len(pre)
for k, v in n.items():
    print("%s\t%d" % (k, v))
for k, v in count.items():
    print("kind:%s\t%d" % (k, v))
with open(sys.argv[1], "w") as f:
    for d, p in sorted(pre):
        f.write("%s\t%s\n" % (d or "-", p))' "$3"
}

bench_load() { cut -d' ' -f1-3 /proc/loadavg; }

bench_machine() {
	printf 'nproc %s, loadavg %s\n' "$(nproc)" "$(cat /proc/loadavg)"
}

# bench_node_make ROOT MIB [DATA_BYTES]: a stand-in Cassandra 4.1 node under ROOT (its
# cassandra.yaml in ROOT/etc/cassandra) with MIB MiB of sstables from
# bench/gen-sstables.py in 16 tables of keyspace bulk0, loaded with
# nodetool refresh; made once (ROOT/.ready) and kept for later runs.
# Benches that change the node work on a copy of hard links of it.
# With DATA_BYTES, each Data.db is then made that long by a hole (zeros not
# on disk): a node as large as wanted for memory, not for speed.
bench_node_make() {
	local root=$1 mib=$2 sparse=${3:-} tools=$REPO/test/cassandra/bin conf t dir f g
	conf=$root/etc/cassandra
	[ -f "$root/.ready" ] && return 0
	rm -rf "$root"
	echo "bench: generating a ${sparse:+sparse }$mib MiB node${sparse:+ (Data.db of $sparse bytes)} in $root ..." >&2
	PATH=$tools:$PATH nice standin mknode --root "$root" --version 4.1 \
	    --no-sample --keyspaces 1 --tables 16 --sstables 1 >/dev/null ||
	    return 1
	for t in $(seq 0 15); do
		dir=$(ls -d "$root"/var/lib/cassandra/data/bulk0/t"$t"-* | head -1)
		[ -d "$dir" ] || return 1
		nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" \
		    "$root/gen" $((mib / 16)) >/dev/null || return 1
		# Later generations than the stand-in's own sstable.
		for f in "$root"/gen/nb-*; do
			case $sparse:$f in
			?*:*-Data.db) truncate -s "$sparse" "$f" || return 1 ;;
			esac
			g=${f##*/nb-}
			mv "$f" "$dir/nb-$((${g%%-*} + 10))-${g#*-}"
		done
		CASSANDRA_CONF=$conf PATH=$tools:$PATH \
		    nodetool refresh bulk0 "t$t" || return 1
	done
	rm -rf "$root/gen"
	touch "$root/.ready"
}

# bench_node_copy FROM ROOT: the node FROM (bench_node_make's) under ROOT,
# its files hard links to FROM's, its cassandra.yaml and stand-in state
# copied and pointed at ROOT: new sstables, compactions (which unlink) and
# snapshots change ROOT only, and FROM stays as it is.
bench_node_copy() {
	mkdir -p "$2/etc" &&
	    cp -al "$1/var" "$2/var" &&
	    cp -a "$1/etc/cassandra" "$2/etc/" &&
	    sed -i "s|$1/|$2/|" "$2/etc/cassandra/cassandra.yaml"
}

# bench_node_add ROOT MIB TABLE...: about MIB MiB of new sstables, spread
# over the tables of keyspace bulk0, loaded with nodetool refresh.
bench_node_add() {
	local root=$1 mib=$2 tools=$REPO/test/cassandra/bin t dir f g n
	shift 2
	n=$((mib / $#))
	[ "$n" -gt 0 ] || n=1
	for t; do
		dir=$(ls -d "$root"/var/lib/cassandra/data/bulk0/"$t"-* | head -1)
		[ -d "$dir" ] || return 1
		nice /usr/bin/python3 "$REPO/bench/gen-sstables.py" \
		    "$root/gen" "$n" >/dev/null || return 1
		for f in "$root"/gen/nb-*; do
			case $sparse:$f in
			?*:*-Data.db) truncate -s "$sparse" "$f" || return 1 ;;
			esac
			g=${f##*/nb-}
			mv "$f" "$dir/nb-$((${g%%-*} + 20))-${g#*-}"
		done
		CASSANDRA_CONF=$root/etc/cassandra PATH=$tools:$PATH \
		    nodetool refresh bulk0 "$t" >/dev/null || return 1
	done
	rm -rf "$root/gen"
}
