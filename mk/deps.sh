#!/bin/bash
# Install every Debian package bypass needs to build, test and run its VM.
# Idempotent: prints nothing and touches nothing when all are present.
set -euo pipefail

pkgs=(
	build-essential make gcc clang libclang-rt-14-dev pkg-config
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod cpio xz-utils iproute2
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libmnl-dev
	valgrind iputils-ping procps python3 curl wget
)

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
# The module must also build against Debian's 6.12 LTS kernel, whose
# package names carry the version: any installed one will do.
have612=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' 'linux-headers-6.12.*-amd64' \
	2>/dev/null | awk '$2 == "installed" && $1 !~ /(cloud|rt)-amd64$/' | head -n 1)
[ ${#missing[@]} -eq 0 ] && [ -n "$have612" ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
if [ -z "$have612" ]; then
	h612=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sort -V | tail -n 1)
	[ -n "$h612" ] && missing+=("$h612")
fi
echo "deps: installing ${missing[*]}"
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
