#!/usr/bin/env bats
# make deb: the Debian package (debian/), built on a copy of the tree in a
# directory of this file's own, lintian-clean, installed on this machine,
# checked (programs, man pages, the systemd units, nothing enabled) and
# purged, leaving no file behind (teardown purges it if a check fails).
# gcc pass only, as root; about 45-80 s.

load helpers

PKG=cassandra-backups
UNITS=/lib/systemd/system/cassandra-backups-nightly

setup_file() {
	case $CB_BIN in
	*/asan/*) return 0 ;;
	esac
	export DEB_OUT=$BATS_FILE_TMPDIR/deb
	VERSION=$(sed -n 's/^VERSION *= *//p' "$REPO/Makefile")
	export VERSION
}

setup() {
	case $CB_BIN in
	*/asan/*) skip "sanitizer pass: the package is built in the gcc pass" ;;
	esac
	[ "$(id -u)" = 0 ] || skip "needs root (dpkg -i)"
}

teardown() {
	[ -z "${LINTIAN_PID:-}" ] || kill "$LINTIAN_PID" 2>/dev/null
	# The package is on this machine only while the install test runs.
	if [ -f "$BATS_FILE_TMPDIR/installed" ]; then
		dpkg --purge "$PKG" >/dev/null 2>&1
		rm -f "$BATS_FILE_TMPDIR/installed" "/var/cache/${PKG}_${VERSION}_amd64.deb"
	fi
}

@test "make deb: a package of the programs, man pages, example config and units" {
	run make -C "$REPO" --no-print-directory deb DEB_DIR="$DEB_OUT"
	expect_status 0
	deb=$DEB_OUT/${PKG}_${VERSION}_amd64.deb
	[ -f "$deb" ]
	[ "$(dpkg-deb -f "$deb" Version)" = "$VERSION" ]
	# the copy of the tree was removed, and nothing else was left there
	[ ! -e "$DEB_OUT/$PKG-$VERSION" ]

	dpkg-deb -c "$deb" | awk '{ print $6 }' >"$DEB_OUT/contents"
	local p m
	for p in "$REPO"/cmd/*/; do
		p=$(basename "$p")
		grep -qx "./usr/bin/$p" "$DEB_OUT/contents"
	done
	for m in "$REPO"/man/*.[1-8]; do
		grep -qx "./usr/share/man/man${m##*.}/${m##*/}.gz" \
		    "$DEB_OUT/contents"
	done
	grep -qx "./lib/systemd/system/cassandra-backups-nightly.service" \
	    "$DEB_OUT/contents"
	grep -qx "./lib/systemd/system/cassandra-backups-nightly.timer" \
	    "$DEB_OUT/contents"
	grep -qx "./etc/default/cassandra-backups" "$DEB_OUT/contents"
	ex=./usr/share/doc/$PKG/examples/cassandra-backups.conf
	if [ -f "$REPO/examples/cassandra-backups.conf" ]; then
		grep -qx "$ex" "$DEB_OUT/contents"
	else
		expect_no_match -qx "$ex" "$DEB_OUT/contents"
	fi
	grep -qx "./usr/share/doc/$PKG/examples/ansible/backup.yml" "$DEB_OUT/contents"
	grep -qx "./usr/share/doc/$PKG/examples/ansible/roles/cassandra_backups/tasks/main.yml" \
	    "$DEB_OUT/contents"
	# nothing enabled by the package itself
	expect_no_match -q '^\./etc/systemd' "$DEB_OUT/contents"
}

@test "the package is lintian-clean, installs, its units verify, it purges clean" {
	[ -f "$DEB_OUT/${PKG}_${VERSION}_amd64.deb" ] ||
	    { echo "no package: the build test failed" >&2; return 1; }
	run dpkg-query -W -f '${db:Status-Status}' "$PKG"
	[ "$status" -ne 0 ] || [ "$output" = not-installed ] ||
	    skip "$PKG is on this machine already ($output): left alone"

	# lintian (about 20 s, one core) runs while the package is installed
	# and removed; it reads only the .deb files
	lintian --fail-on error,warning \
	    "$DEB_OUT/${PKG}_${VERSION}_amd64.changes" >"$DEB_OUT/lintian" \
	    2>&1 3>&- &
	LINTIAN_PID=$!

	# installed as a fleet would have it: by the Ansible role of
	# examples/ansible (its "package" install), here onto this machine
	touch "$BATS_FILE_TMPDIR/installed"
	printf '%s\n' '[cassandra]' \
	    'localhost ansible_connection=local ansible_python_interpreter=/usr/bin/python3' \
	    >"$DEB_OUT/inventory"
	run env -C "$REPO/examples/ansible" ANSIBLE_NOCOLOR=1 \
	    ANSIBLE_LOCAL_TEMP="$DEB_OUT/ansible-local" ansible-playbook -i "$DEB_OUT/inventory" \
	    -e cassandra_backups_deb="$DEB_OUT/${PKG}_${VERSION}_amd64.deb" install.yml
	expect_status 0
	[[ "$output" == *"localhost"*"failed=0"* ]]
	dpkg-query -W -f '${db:Status-Status}' "$PKG" | grep -qx installed
	dpkg -L "$PKG" >"$DEB_OUT/files"

	# every program runs from /usr/bin (its shared libraries are there)
	run /usr/bin/cassandra-backups --version
	expect_status 0
	[ "$output" = "cassandra-backups $VERSION" ]
	local p
	for p in "$REPO"/cmd/*/; do
		run "/usr/bin/$(basename "$p")" --version
		expect_status 0
	done
	run man -w cassandra-backups
	expect_status 0
	[ "$output" = /usr/share/man/man1/cassandra-backups.1.gz ]
	run man -w 5 cb-manifest
	expect_status 0

	# the units load (the binaries and man pages they name exist), with
	# nothing to say; the service's hardening keeps its exposure OK
	run systemd-analyze verify "$UNITS.service" "$UNITS.timer"
	expect_status 0
	[ -z "$output" ]
	run systemd-analyze security --offline=yes "$UNITS.service"
	expect_status 0
	[[ "$output" == *"Overall exposure level for"*" OK "* ]] ||
	    [[ "$output" == *"Overall exposure level for"*" SAFE "* ]]
	grep -qx 'Type=oneshot' "$UNITS.service"
	grep -qx 'Persistent=true' "$UNITS.timer"

	# nothing enabled or started: the admin does that
	[ ! -e /etc/systemd/system/timers.target.wants/cassandra-backups-nightly.timer ]
	run deb-systemd-helper was-enabled cassandra-backups-nightly.timer
	expect_status 1

	# the service user, its home, the settings readable by root only
	getent passwd cassandra-backups
	[ "$(stat -c '%U %a' /var/lib/cassandra-backups)" = "cassandra-backups 700" ]
	[ "$(stat -c '%U %a' /etc/default/cassandra-backups)" = "root 600" ]

	# remove: every file goes but the settings
	run dpkg -r "$PKG"
	expect_status 0
	local f left=
	while IFS= read -r f; do
		[ "$f" = /etc/default/cassandra-backups ] && continue
		[ -e "$f" ] && [ ! -d "$f" ] && left="$left $f"
	done <"$DEB_OUT/files"
	[ -z "$left" ] || { echo "left after dpkg -r:$left" >&2; return 1; }
	[ -f /etc/default/cassandra-backups ]

	# purge: the settings, the user, its home and the units' state go
	run dpkg --purge "$PKG"
	expect_status 0
	rm -f "$BATS_FILE_TMPDIR/installed"
	[ ! -e /etc/default/cassandra-backups ]
	[ ! -e /var/lib/cassandra-backups ]
	run getent passwd cassandra-backups
	expect_status 2
	run getent group cassandra-backups
	expect_status 2
	run ls /var/lib/systemd/deb-systemd-helper-enabled/
	expect_no_match -q cassandra-backups <<<"$output"
	run dpkg-query -W -f '${db:Status-Status}' "$PKG"
	[ "$status" -ne 0 ] || [ "$output" = not-installed ]

	local lrc=0
	wait "$LINTIAN_PID" || lrc=$?
	LINTIAN_PID=
	cat "$DEB_OUT/lintian" >&2
	[ "$lrc" -eq 0 ]
	expect_no_match -E '^(E|W): ' "$DEB_OUT/lintian"
}
