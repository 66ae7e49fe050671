#!/usr/bin/env bats
# Unattended runs (cassandra-backups(1), --log-file, --syslog,
# --metrics-file): the log and syslog lines, the summary of each run, and
# the Prometheus textfile, parsed by the Prometheus client library's own
# text-format parser; the same figures in the manifests.  Stand-in nodes
# behind sshd and the RGW server.

load helpers
bats_require_minimum_version 1.5.0

load e2e
load s3_helpers

# metrics FILE: the samples of FILE as "name{labels} value" lines, read by
# prometheus_client's parser (Debian's python3-prometheus-client).
metrics() {
	/usr/bin/python3 - "$1" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families
for fam in text_string_to_metric_families(open(sys.argv[1]).read()):
    assert fam.type == "gauge", fam
    for s in fam.samples:
        labels = ",".join('%s="%s"' % kv for kv in sorted(s.labels.items()))
        print("%s{%s} %s" % (s.name, labels, int(s.value)))
PY
}

# value FILE NAME{LABELS}: one sample's value.
value() { metrics "$1" | awk -v k="$2" '$1 == k { print $2; found = 1 } END { exit !found }'; }

@test "backup and verify with --log-file, --syslog and --metrics-file: summary lines, metrics a Prometheus parser reads, figures in the manifests" {
	asan_light
	fresh_nodes
	# A logger(1) that records what it is given (no syslog daemon here).
	mkdir -p "$T/fake"
	printf '#!/bin/sh\nprintf "%%s\\n" "$*" >>%s\n' "$T/syslog" >"$T/fake/logger"
	chmod +x "$T/fake/logger"
	local M=$T/prom/cassandra_backups.prom
	mkdir -p "$T/prom"
	PATH=$T/fake:$PATH run "${CBA[@]}" --log-file "$T/cb.log" --syslog=local3 \
	    --metrics-file "$M" backup --backup-name m1 --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	# the log: the run's messages and one summary line
	grep -q "cassandra-backups\[[0-9]*\]: backup 'm1' run " "$T/cb.log"
	grep -qE "^[0-9T:-]+Z cassandra-backups\[[0-9]+\]: backup 'm1' OK in [0-9]+ s: m1  complete  hosts: $HOSTS" "$T/cb.log"
	[ "$(grep -c " OK in " "$T/cb.log")" = 1 ]
	grep -q -- "-p local3.info -- backup 'm1' OK in " "$T/syslog"
	# the metrics
	metrics "$M" >"$T/samples"
	[ "$(value "$M" 'cassandra_backups_run_success{command="backup"}')" = 1 ]
	[ "$(value "$M" 'cassandra_backups_backup_complete{}')" = 1 ]
	[ "$(value "$M" 'cassandra_backups_backup_uploaded_bytes{}')" -gt 0 ]
	for h in $H1 $H2 $H3; do
		[ "$(value "$M" "cassandra_backups_node_success{host=\"$h\"}")" = 1 ]
		[ "$(value "$M" "cassandra_backups_node_uploaded_bytes{host=\"$h\"}")" -gt 0 ]
		value "$M" "cassandra_backups_node_duration_seconds{host=\"$h\"}" >/dev/null
	done
	t_backup=$(value "$M" 'cassandra_backups_last_success_timestamp_seconds{command="backup"}')
	[ "$t_backup" -gt 1700000000 ]
	# the same figures in the manifests
	s3cat "$BASE/m1/manifest.json" >"$T/m1.json"
	python3 - "$T/m1.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
r = m["runs"][-1]
assert r["started"] and r["duration_seconds"] >= 0, r
for n in m["nodes"]:
    assert n["run_stored_bytes"] > 0 and n["run_files"] > 0, n
    assert n["run_duration_seconds"] is not None and n["run_duration_seconds"] >= 0, n
PY

	# verify into the same file: backup's samples stay
	PATH=$T/fake:$PATH run "${CBA[@]}" --log-file "$T/cb.log" --syslog=local3 \
	    --metrics-file "$M" verify
	expect_status 0
	grep -qE "cassandra-backups\[[0-9]+\]: verify 'm1' OK in [0-9]+ s: verify: backup 'm1', quick: 3 hosts" "$T/cb.log"
	[ "$(value "$M" 'cassandra_backups_run_success{command="verify"}')" = 1 ]
	[ "$(value "$M" 'cassandra_backups_verify_defects{}')" = 0 ]
	[ "$(value "$M" 'cassandra_backups_verify_files{}')" -gt 0 ]
	[ "$(value "$M" 'cassandra_backups_run_success{command="backup"}')" = 1 ]
	[ "$(value "$M" 'cassandra_backups_last_success_timestamp_seconds{command="backup"}')" = "$t_backup" ]
	t_verify=$(value "$M" 'cassandra_backups_last_success_timestamp_seconds{command="verify"}')

	# a verify that finds a defect: a failure, with the last success kept
	key=$(s3ls "$BASE/m1/$H1/" | grep '\.lzo$' | head -1)
	cb-s3put --endpoint "$S3_ENDPOINT" -q --delete "s3://$S3_BUCKET/$key" >/dev/null
	sleep 1
	PATH=$T/fake:$PATH run "${CBA[@]}" --log-file "$T/cb.log" --syslog=local3 \
	    --metrics-file "$M" verify
	expect_status 1
	grep -q "verify 'm1' FAILED (exit 1) in " "$T/cb.log"
	grep -q -- "-p local3.err -- verify 'm1' FAILED (exit 1)" "$T/syslog"
	[ "$(value "$M" 'cassandra_backups_run_success{command="verify"}')" = 0 ]
	[ "$(value "$M" 'cassandra_backups_run_exit_status{command="verify"}')" = 1 ]
	[ "$(value "$M" 'cassandra_backups_verify_defects{}')" -ge 1 ]
	[ "$(value "$M" 'cassandra_backups_last_success_timestamp_seconds{command="verify"}')" = "$t_verify" ]
	# written atomically: no temporary file beside it
	[ "$(ls -A "$T/prom")" = cassandra_backups.prom ]
	# bad values
	run "${CBA[@]}" --syslog=kern verify
	expect_status 64
	[[ "$output" == *"--syslog"* ]]
	run "${CBA[@]}" --metrics-file rel.prom verify
	expect_status 64
}
