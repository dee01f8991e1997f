#!/bin/sh
# Install the Debian packages that building and testing criu need.
#
#   scripts/install-deps.sh                     install what is missing
#   scripts/install-deps.sh --check-or-install  same, silent when all is there
#   scripts/install-deps.sh --list              print the package list
#
# The list is exactly what the build and the tests use; keep it that way.
set -eu

PKGS="
gcc make pkg-config git
protobuf-c-compiler libprotobuf-c-dev
protobuf-compiler python3 python3-protobuf
libnl-3-dev libnl-route-3-dev libcap-dev libbsd-dev libnet1-dev
clang-format clang libclang-rt-14-dev
iproute2 procps util-linux bsdutils
iptables nftables redis-server redis-tools nginx-light socat tmux
"

missing() {
	for p in $PKGS; do
		st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
		case "$st" in
		*"install ok installed"*) ;;
		*) echo "$p" ;;
		esac
	done
}

case "${1:-}" in
--list)
	echo $PKGS
	exit 0
	;;
esac

todo=$(missing)
if [ -z "$todo" ]; then
	[ "${1:-}" = "--check-or-install" ] || echo "install-deps: everything is installed"
	exit 0
fi

echo "install-deps: installing:" $todo
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: not root; run as root: apt-get install" $todo >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends $todo
