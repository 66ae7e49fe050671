#!/bin/sh
# test/deps.sh: make sure this machine has what building, testing, the demo
# and the benchmarks need.  As root it installs the Debian packages itself;
# otherwise it prints the one apt-get line to run and fails.
#
# Keep the list here, and only here.
PKGS="build-essential clang pkg-config libcurl4-openssl-dev libssl-dev
liblzo2-dev libyaml-dev libexpat1-dev libclang-rt-14-dev bats lzop mandoc
curl uuid-runtime radosgw ceph-mon ceph-osd ceph-common awscli rclone
dpkg-dev debhelper lintian systemd man-db adduser
openssh-server openssh-client util-linux iproute2 procps time bc python3
python3-yaml python3-crcmod openssl git maven openjdk-17-jre-headless
python3-venv strace python3-prometheus-client ansible-core"

missing=
for p in $PKGS; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
	    grep -q '^install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

line="apt-get install -y --no-install-recommends$missing"
if [ "$(id -u)" != 0 ]; then
	echo "deps: missing packages; run as root:" >&2
	echo "  apt-get update && $line" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null || exit 1
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null || exit 1
