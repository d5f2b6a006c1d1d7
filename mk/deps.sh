#!/bin/bash
# Install every Debian package bypass needs to build, test and run its VM.
# Idempotent: prints nothing and calls no apt command when all are present.
# Any failure ends the script with one "deps: ..." line on stderr that says
# what failed and what to do about it.
set -euo pipefail

pkgs=(
	build-essential make gcc clang libclang-rt-14-dev pkg-config
	linux-headers-amd64 linux-image-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod cpio xz-utils iproute2 rsync
	libnl-3-dev libnl-genl-3-dev libnl-route-3-dev libmnl-dev
	valgrind strace gnuplot-nox iputils-ping procps python3 curl wget netbase
	apache2-utils wrk
	redis-server redis-tools memcached libmemcached-tools nginx-light sockperf
)

# Servers the VM tests run on bypass; installing them must not start them
# on this machine, nor at its next boot. package:unit
servers=(redis-server:redis-server memcached:memcached nginx-light:nginx)

die() {
	echo "deps: $*" >&2
	exit 1
}
# Anything not checked below still gets its one line.
trap 'echo "deps: \"$BASH_COMMAND\" failed (mk/deps.sh line $LINENO)" >&2' ERR

command -v dpkg-query >/dev/null || die "dpkg-query not found: bypass builds on Debian 12 only"

installed() {
	[ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

# The newest generic 6.12 version (e.g. 6.12.118+deb12-amd64) whose headers
# and image are both installed, or nothing: the module is built against the
# headers and make check boots the image. dpkg-query exits 1 when no package
# matches the pattern: that is an answer, not an error.
installed_612() {
	{ dpkg-query -W -f='${Package} ${db:Status-Status}\n' \
		'linux-headers-6.12.*-amd64' 'linux-image-6.12.*-amd64' 2>/dev/null || true; } |
		awk '$2 == "installed" && $1 ~ /^linux-(headers|image)-6\.12\.[0-9]+\+deb12-amd64$/ {
			v = $1; sub(/^linux-(headers|image)-/, "", v); n[v]++ }
			END { for (v in n) if (n[v] == 2) print v }' |
		sort -V | tail -n 1
}

missing=()
for p in "${pkgs[@]}"; do
	installed "$p" || missing+=("$p")
done
# The module must also build against Debian's 6.12 LTS kernel and run on it
# in the VM; its package names carry the version: any installed pair will do.
have612=$(installed_612)
[ ${#missing[@]} -eq 0 ] && [ -n "$have612" ] && exit 0

SUDO=()
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null ||
		die "missing packages (${missing[*]:-6.12 headers and image}) and not root: run 'make deps' as root or install sudo"
	SUDO=(sudo)
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update -qq ||
	die "'apt-get update' failed: check the network and /etc/apt/sources.list*"
# The newest generic 6.12 headers package apt's lists offer, or nothing.
offered_612() {
	{ apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' ||
		true; } | awk '{print $1}' | sort -V | tail -n 1
}
if [ -z "$have612" ]; then
	h612=$(offered_612)
	# Debian 12 ships 6.12 through its security suite, which an installed
	# system has in its sources and a debootstrap root does not.
	sources_d=${BYPASS_APT_SOURCES_D:-/etc/apt/sources.list.d}
	security=$sources_d/bypass-debian-security.list
	if [ -z "$h612" ] && [ ! -e "$security" ] &&
		grep -qx 'VERSION_CODENAME=bookworm' "${BYPASS_OS_RELEASE:-/etc/os-release}" 2>/dev/null; then
		echo "deps: apt's sources lack bookworm-security (Linux 6.12 headers): adding $security"
		echo 'deb http://deb.debian.org/debian-security bookworm-security main' |
			"${SUDO[@]}" tee "$security" >/dev/null ||
			die "could not write $security: add bookworm-security to apt's sources by hand"
		"${SUDO[@]}" apt-get update -qq ||
			die "'apt-get update' with bookworm-security failed: check the network and $security"
		h612=$(offered_612)
	fi
	[ -n "$h612" ] ||
		die "no linux-headers-6.12.*+deb12-amd64 in apt's sources: add Debian 12's bookworm-security suite"
	missing+=("$h612" "${h612/linux-headers-/linux-image-}")
fi
echo "deps: installing ${missing[*]}"
# A policy-rc.d that refuses every start keeps apt from starting the
# servers (both invoke-rc.d and deb-systemd-invoke ask it). One that is
# already there is the administrator's, and stays as it is.
policy=${BYPASS_POLICY_RC_D:-/usr/sbin/policy-rc.d}
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$policy" >/dev/null &&
		"${SUDO[@]}" chmod 755 "$policy" ||
		die "could not write $policy (it keeps apt from starting redis, memcached and nginx)"
	trap '"${SUDO[@]}" rm -f "$policy"' EXIT
fi
"${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	die "'apt-get install ${missing[*]}' failed: run it by hand to see why"
# The servers just installed stay disabled (systemd would start them at boot).
if command -v systemctl >/dev/null; then
	for s in "${servers[@]}"; do
		if [[ " ${missing[*]} " == *" ${s%%:*} "* ]]; then
			"${SUDO[@]}" systemctl disable --quiet "${s#*:}" 2>/dev/null || true
		fi
	done
fi
