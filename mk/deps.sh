#!/bin/bash
# Install every Debian package bypass needs to build, test and run its VM.
# Idempotent: prints nothing and touches nothing when all are present.
set -euo pipefail

pkgs=(
	build-essential make gcc clang libclang-rt-14-dev pkg-config
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod cpio xz-utils iproute2
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libmnl-dev
	valgrind iputils-ping procps python3
)

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	SUDO=sudo
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
