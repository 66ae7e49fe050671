#!/usr/bin/env bats
# A fan-out by Ansible (examples/ansible/, Debian's ansible-core) against
# the sshd test hosts and stand-in nodes, and the driver's runs in phases
# it rests on (cassandra-backups(1) --prepare and --finish, cb-node(1)
# --results): the role installs the programs on the nodes; backup.yml
# makes the driver's own backups (its lock, plan, records and manifests),
# serially or in parallel, and fails honestly when a node does; restore.yml
# restores in the driver's steps, restarting one node at a time.  gcc
# pass, http only (asan_light).

load helpers
bats_require_minimum_version 1.5.0

load e2e
load s3_helpers

PLAYBOOKS=$REPO/examples/ansible

# inventory [EXTRA-HOST...]: an inventory of the test hosts (and EXTRA,
# which are not there) in $T/inv.ini, the role's "files" install into
# each node's own /tmp.
inventory() {
	{
		echo '[cassandra]'
		printf '%s\n' $CB_TEST_HOSTS "$@"
		echo '[cassandra:vars]'
		echo "ansible_ssh_common_args=-F $CB_TEST_SSH_CONFIG -o ConnectTimeout=5"
		echo 'ansible_python_interpreter=/usr/bin/python3'
		echo 'cassandra_backups_install=files'
		echo 'cassandra_backups_prefix=/tmp/cb-opt'
	} >"$T/inv.ini"
}

# vars [JSON-MEMBERS]: the playbooks' variables in $T/vars.json.
vars() {
	local g
	g=$(printf '"%s", ' "${CBA[@]:1}")
	cat >"$T/vars.json" <<EOF2
{"cb_driver": "$CB_BIN/cassandra-backups",
 "cb_global_options": [${g%, }],
 "cb_options": ["--cassandra-tools-bin-dir", "$TOOLS"${1:+, $1}],
 "cassandra_backups_files": "$CB_BIN",
 "cb_work_dir": "$T/work"${2:+, $2}}
EOF2
}

# play PLAYBOOK: ansible-playbook, as in examples/ansible (its ansible.cfg).
play() {
	(cd "$PLAYBOOKS" && ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_NOCOLOR=1 \
	    ANSIBLE_LOCAL_TEMP="$T/ansible-local" ANSIBLE_REMOTE_TEMP=/tmp/.ansible-remote \
	    ansible-playbook -i "$T/inv.ini" -e @"$T/vars.json" "$@")
}

# need_ansible: ansible-playbook is there (test/deps.sh installs it).
need_ansible() {
	command -v ansible-playbook >/dev/null || { echo "no ansible-playbook (test/deps.sh)" >&2; return 1; }
}

@test "the role installs the suite; backup.yml (one node at a time) makes the driver's backup, the driver goes on from it incrementally, restore.yml restores it byte for byte" {
	asan_light
	need_ansible
	fresh_nodes
	inventory
	# What the driver reads (here a config file) reaches the nodes in
	# the job: Jinja in it is never run, and its secret never shown.
	(umask 077; printf '%s\n' 'cqlsh-user = u{{ lookup("pipe", "touch /tmp/cb-pwned") }}' \
	    'cqlsh-password = Pw-never-shown' >"$T/cb.conf")
	CBA+=(--config "$T/cb.conf")
	vars '' '"cb_serial": 1'
	rm -f /tmp/cb-pwned
	run play install.yml
	expect_status 0
	for h in $H1 $H2 $H3; do
		[ -x "$CB_TEST_HOSTS_DIR/$h/tmp/cb-opt/bin/cb-node" ]
		cmp "$CB_BIN/cb-s3put" "$CB_TEST_HOSTS_DIR/$h/tmp/cb-opt/bin/cb-s3put"
	done
	for h in $H1 $H2 $H3; do snap_ref "$h" ref1; done
	run play backup.yml
	expect_status 0
	# serial: one play batch per node
	[ "$(grep -c '^PLAY \[Back up each node\]' <<<"$output")" = 3 ]
	[[ "$output" == *" complete  hosts: $H1,$H2,$H3 "* ]]
	[ ! -e /tmp/cb-pwned ]
	[[ "$output" != *Pw-never-shown* ]]
	# No lock, no run directory, nothing on the nodes is left.
	run s3ls "$BASE/cassandra-backups.lock"
	[ -z "$output" ]
	[ -z "$(ls -A "$T/work")" ]
	[ ! -e /var/tmp/cassandra-backups-results ] || [ -z "$(ls -A /var/tmp/cassandra-backups-results)" ]
	# The driver's listing and its next run: incremental from these node
	# manifests, as after a run of its own.
	run "${CBA[@]}" list
	expect_status 0
	[[ "$output" == *complete* ]]
	for h in $H1 $H2 $H3; do on "$h" "standin write ks1 users 10"; done
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 0
	[[ "$output" == *"0 snapshot (0 differential), 3 incremental"* ]]
	[[ "$output" == *"runs: 1 full + 1 incremental"* ]]
	for h in $H1 $H2 $H3; do snap_ref "$h" ref2; done
	vars
	run play restore.yml
	expect_status 0
	[[ "$output" == *"; complete"* ]]
	for h in $H1 $H2 $H3; do
		same_as_ref "$h" ref1
		same_as_ref "$h" ref2
	done
}

@test "backup.yml with a node that cannot be reached: the others back up, the backup is INCOMPLETE and the play fails with the reason; the lock goes" {
	asan_light
	need_ansible
	fresh_nodes
	inventory 127.0.0.99
	vars '' '"cb_node": "'"$CB_BIN"'/cb-node"'
	run play backup.yml
	[ "$status" -ne 0 ]
	[[ "$output" == *"INCOMPLETE  hosts: $H1,$H2,$H3,127.0.0.99 "* ]]
	[[ "$output" == *"host 127.0.0.99: failed: no result in "* ]]
	[[ "$output" == *"backup '"*"' is INCOMPLETE"* ]]
	run s3ls "$BASE/cassandra-backups.lock"
	[ -z "$output" ]
	run "${CBA[@]}" list
	expect_status 0
	[[ "$output" == *"INCOMPLETE  hosts: $H1,$H2,$H3,127.0.0.99 "* ]]
}

@test "restore.yml --load restart: one node at a time, and none after a node that fails" {
	asan_light
	need_ansible
	fresh_nodes
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" --keyspaces ks1
	expect_status 0
	inventory
	# The start command is only on H1 and H3 (their own /tmp): H2 fails
	# to start, so H3 is never stopped.
	for h in $H1 $H3; do
		ln -sf "$TOOLS/standin" "$CB_TEST_HOSTS_DIR/$h/tmp/standin-start"
	done
	vars '"--keyspaces", "ks1", "--load", "restart", "--stop-command", "'"$TOOLS"'/standin stop", "--start-command", "/tmp/standin-start start", "--start-timeout", "5"' \
	    '"cb_node": "'"$CB_BIN"'/cb-node"'
	run play restore.yml
	[ "$status" -ne 0 ]
	[[ "$output" == *"$H1: ks1.users: loaded"* ]]
	[[ "$output" == *"$H2: FAILED"* ]]
	[[ "$output" == *"$H3: FAILED: not loaded"* ]]
	# H3 was not restarted: no files of its own set aside.
	[ -z "$(ls -d "$CB_TEST_HOSTS_DIR/$H3/var-lib-cassandra/data/ks1"/users-*/snapshots/cb-replaced-* 2>/dev/null)" ]
	[ -n "$(ls -d "$CB_TEST_HOSTS_DIR/$H1/var-lib-cassandra/data/ks1"/users-*/snapshots/cb-replaced-* 2>/dev/null)" ]
}

@test "--prepare and --finish: refusals, and the lock held from prepare to finish" {
	asan_light
	need_ansible
	fresh_nodes
	local d=$T/run
	run "${CBA[@]}" verify --prepare "$d"
	expect_status 64
	run "${CBA[@]}" backup --hosts "$HOSTS" --prepare "$d" --finish "$d"
	expect_status 64
	run "${CBA[@]}" backup --hosts "$HOSTS" --prepare relative/dir
	expect_status 64
	run "${CBA[@]}" backup --finish "$d"
	expect_status 66
	[[ "$output" == *"no prepared run in '$d'"* ]]
	mkdir -p "$T/full" && : >"$T/full/x"
	run "${CBA[@]}" backup --hosts "$HOSTS" "${BKO[@]}" --prepare "$T/full"
	expect_status 73
	run --separate-stderr "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}" --prepare "$d"
	expect_status 0
	[[ "$output" == *"job	$d/job"* ]]
	[[ "$output" == *"steps	backup"* ]]
	[ "$(stat -c %a "$d")" = 700 ]
	[ "$(stat -c %a "$d/job")" = 600 ]
	# Another run waits for this one, which holds the lock till --finish.
	run "${CBA[@]}" backup --hosts "$HOSTS" "${SSHO[@]}" "${BKO[@]}"
	expect_status 75
	[[ "$output" == *"prepared in $d"* ]]
	run "${CBA[@]}" backup --hosts "$H1" --finish "$d"
	expect_status 64
	run cassandra-backups --s3-bucket-name "$S3_BUCKET" --s3-base-path other "${S3A[@]}" \
	    backup --finish "$d"
	expect_status 64
	[[ "$output" == *"was prepared for 's3://$S3_BUCKET/$BASE/'"* ]]
	run "${CBA[@]}" restore --finish "$d"
	expect_status 64
	[[ "$output" == *"holds a prepared backup, not a restore"* ]]
	# Two nodes run by hand, the third never: incomplete, 69, the lock
	# released.
	for h in $H1 $H2; do
		run ssh -F "$CB_TEST_SSH_CONFIG" "$h" "$CB_BIN/cb-node" backup "$h" --results /tmp/res <"$d/job"
		expect_status 0
		mkdir -p "$d/backup"
		cp "$CB_TEST_HOSTS_DIR/$h/tmp/res/$h".* "$d/backup/"
	done
	[ "$(cat "$d/backup/$H1.status")" = 0 ]
	run "${CBA[@]}" backup --finish "$d"
	expect_status 69
	[[ "$output" == *"INCOMPLETE  hosts: $HOSTS "* ]]
	[[ "$output" == *"host $H3: failed: no result in $d"* ]]
	[ ! -e "$d" ]
	run s3ls "$BASE/cassandra-backups.lock"
	[ -z "$output" ]
}
