#!/bin/bash
# Host test of mk/deps.sh (TAP): runs the install script on simulated
# machines, with stub dpkg-query, apt-get, apt-cache, systemctl, sudo and
# id first on PATH that answer from a list of installed packages and a
# package catalog and record every call. Nothing on the real machine is
# touched.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deps=$top/mk/deps.sh
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The packages deps.sh declares, one a line (its pkgs=( ... ) block).
sed -n '/^pkgs=(/,/^)/p' "$deps" | sed '1d;$d' | tr -s ' \t' '\n\n' | sed '/^$/d' \
	>"$tmp/declared"

# What the simulated archive offers besides the declared packages: two 6.12
# series of which only the newest generic flavour is the right answer, as
# headers and as an image.
cat >"$tmp/catalog-612" <<'EOT'
linux-headers-6.12.107+deb12-amd64 - Header files for Linux 6.12.107+deb12-amd64
linux-headers-6.12.107+deb12-cloud-amd64 - Header files for Linux 6.12.107+deb12-cloud-amd64
linux-headers-6.12.111+deb12-amd64 - Header files for Linux 6.12.111+deb12-amd64
linux-headers-6.12.111+deb12-rt-amd64 - Header files for Linux 6.12.111+deb12-rt-amd64
linux-headers-6.12.111+deb12-common - Common header files for Linux 6.12.111+deb12
linux-headers-6.12.9+deb12-amd64 - Header files for Linux 6.12.9+deb12-amd64
linux-image-6.12.107+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.111+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
linux-image-6.12.111+deb12-rt-amd64 - Linux 6.12 for 64-bit PCs, PREEMPT_RT (signed)
linux-image-6.12.9+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)
EOT

mkdir -p "$tmp/bin"
cat >"$tmp/bin/dpkg-query" <<'EOT'
#!/bin/bash
# dpkg-query -W -f=FORMAT PATTERN...: answers from $STUB/installed.
fmt= pats=()
for a in "$@"; do
	case $a in -W) ;; -f=*) fmt=${a#-f=} ;; *) pats+=("$a") ;; esac
done
rc=0
for pat in "${pats[@]}"; do
	found=0
	while read -r p; do
		[ -n "$p" ] || continue
		# shellcheck disable=SC2053
		if [[ $p == $pat ]]; then
			found=1
			out=${fmt//'${Package}'/$p}
			out=${out//'${db:Status-Status}'/installed}
			printf '%b' "$out"
		fi
	done <"$STUB/installed"
	if [ $found = 0 ]; then
		echo "dpkg-query: no packages found matching $pat" >&2
		rc=1
	fi
done
exit $rc
EOT
cat >"$tmp/bin/apt-get" <<'EOT'
#!/bin/bash
echo "apt-get $*" >>"$STUB/calls"
[ "$1" = update ] && exit "${STUB_UPDATE_RC:-0}"
# What a service start during this install would be told (101: refused).
if [ "$1" = install ]; then
	"$BYPASS_POLICY_RC_D" redis-server start >/dev/null 2>&1
	echo "policy-rc.d during install: $?" >>"$STUB/calls"
fi
exit 0
EOT
cat >"$tmp/bin/systemctl" <<'EOT'
#!/bin/bash
echo "systemctl $*" >>"$STUB/calls"
EOT
cat >"$tmp/bin/apt-cache" <<'EOT'
#!/bin/bash
# apt-cache search --names-only REGEX: answers from $STUB/catalog.
echo "apt-cache $*" >>"$STUB/calls"
re=${!#}
cat=$STUB/catalog
# The 6.12 headers come with the security suite, where a machine has it.
if [ -z "${STUB_NO_612:-}" ] && { [ -z "${STUB_NO_SECURITY:-}" ] ||
	[ -e "$BYPASS_APT_SOURCES_D/bypass-debian-security.list" ]; }; then
	cat=$STUB/catalog-all
fi
grep -E "$(echo "$re" | sed 's/^\^//; s/\$$//' | sed 's/^/^/; s/$/ /')" "$cat"
exit 0
EOT
cat >"$tmp/bin/sudo" <<'EOT'
#!/bin/bash
echo "sudo $1" >>"$STUB/calls"
exec "$@"
EOT
cat >"$tmp/bin/id" <<'EOT'
#!/bin/bash
echo "${STUB_UID:-0}"
EOT
chmod +x "$tmp/bin/"*

n=0
failed=0
result() {
	# result OK NAME [DIAGNOSTIC...]
	local ok=$1 name=$2
	shift 2
	n=$((n + 1))
	if [ "$ok" = 0 ]; then
		echo "ok $n $name"
	else
		failed=1
		for d in "$@"; do echo "# $d"; done
		echo "not ok $n $name"
	fi
}

# machine NAME: a fresh simulated machine in $tmp/NAME; sets STUB.
machine() {
	STUB=$tmp/$1
	mkdir -p "$STUB"
	: >"$STUB/installed"
	: >"$STUB/calls"
	sed 's/$/ - declared package/' "$tmp/declared" >"$STUB/catalog"
	cat "$STUB/catalog" "$tmp/catalog-612" >"$STUB/catalog-all"
	mkdir -p "$STUB/sources.list.d"
	echo VERSION_CODENAME=bookworm >"$STUB/os-release"
	BYPASS_APT_SOURCES_D=$STUB/sources.list.d
	BYPASS_OS_RELEASE=$STUB/os-release
	BYPASS_POLICY_RC_D=$STUB/policy-rc.d
	export STUB BYPASS_APT_SOURCES_D BYPASS_OS_RELEASE BYPASS_POLICY_RC_D
}

# run_deps: deps.sh on the current machine; sets rc, out, err.
run_deps() {
	PATH=$tmp/bin:$PATH bash "$deps" >"$STUB/out" 2>"$STUB/err"
	rc=$?
	out=$(cat "$STUB/out")
	err=$(cat "$STUB/err")
}

# installed_args: the packages the apt-get install call asked for.
installed_args() {
	grep '^apt-get install' "$STUB/calls" | tr ' ' '\n' | grep -v -e '^-' -e '^apt-get$' \
		-e '^install$' | sort
}

echo "1..10"

# A fresh machine: everything is asked for, 6.12 headers and image included,
# exit 0.
machine fresh
run_deps
want=$( (cat "$tmp/declared"; echo linux-headers-6.12.111+deb12-amd64
	echo linux-image-6.12.111+deb12-amd64) | sort)
got=$(installed_args)
[ "$rc" = 0 ]
result $? fresh_exit_status "exit $rc" "stderr: $err"
[ -n "$got" ] && [ "$got" = "$want" ]
result $? fresh_asks_for_every_package "asked: $(echo "$got" | tr '\n' ' ')" \
	"wanted: $(echo "$want" | tr '\n' ' ')"
grep -q '^apt-get update' "$STUB/calls" &&
	[ "$(grep -n '^apt-get update' "$STUB/calls" | cut -d: -f1)" -lt \
	  "$(grep -n '^apt-get install' "$STUB/calls" | cut -d: -f1)" ]
result $? fresh_updates_lists_first "calls: $(tr '\n' ';' <"$STUB/calls")"

# The servers the VM tests run are not started by their install (a
# policy-rc.d refuses, and is gone afterwards) nor enabled for the next boot.
grep -qx 'policy-rc.d during install: 101' "$STUB/calls" && [ ! -e "$STUB/policy-rc.d" ] &&
	for u in redis-server memcached nginx; do
		grep -qx "systemctl disable --quiet $u" "$STUB/calls" || exit 1
	done
result $? fresh_servers_not_started "calls: $(tr '\n' ';' <"$STUB/calls")"

# An administrator's own policy-rc.d is used as it is and left in place.
machine ownpolicy
printf '#!/bin/sh\nexit 0\n' >"$STUB/policy-rc.d"
chmod +x "$STUB/policy-rc.d"
run_deps
grep -qx 'policy-rc.d during install: 0' "$STUB/calls" &&
	[ "$(cat "$STUB/policy-rc.d")" = "$(printf '#!/bin/sh\nexit 0')" ]
result $? own_policy_rc_d_kept "exit $rc" "calls: $(tr '\n' ';' <"$STUB/calls")"

# Everything installed: no apt call at all, nothing printed.
machine complete
(cat "$tmp/declared"; echo linux-headers-6.12.107+deb12-amd64
	echo linux-image-6.12.107+deb12-amd64) >"$STUB/installed"
run_deps
[ "$rc" = 0 ] && [ ! -s "$STUB/calls" ] && [ -z "$out$err" ]
result $? complete_makes_no_apt_call "exit $rc" "calls: $(tr '\n' ';' <"$STUB/calls")" \
	"output: $out$err"

# 6.12 headers without their image (what make deps installed before the VM
# booted 6.12): the newest pair is installed, since the VM needs the image.
machine headers_only
(cat "$tmp/declared"; echo linux-headers-6.12.107+deb12-amd64) >"$STUB/installed"
run_deps
got=$(installed_args)
[ "$rc" = 0 ] && [ "$got" = "$(printf '%s\n' linux-headers-6.12.111+deb12-amd64 \
	linux-image-6.12.111+deb12-amd64)" ]
result $? headers_only_gets_6_12_image "exit $rc" "asked: $(echo "$got" | tr '\n' ' ')"

# Not root: the apt calls that change the system go through sudo.
machine user
STUB_UID=1000 run_deps
[ "$rc" = 0 ] && grep -q '^sudo apt-get' "$STUB/calls" &&
	! grep -v -e '^sudo ' -e '^apt-get ' -e '^apt-cache ' -e '^systemctl ' -e '^policy-rc.d ' \
		"$STUB/calls" | grep -q .
result $? user_uses_sudo "exit $rc" "calls: $(tr '\n' ';' <"$STUB/calls")"

# A debootstrap root: only bookworm main in apt's sources. The security
# suite is added (said in one line), the lists updated again, and 6.12
# headers installed from it.
machine debootstrap
STUB_NO_SECURITY=1 run_deps
got=$(installed_args)
[ "$rc" = 0 ] && [ "$got" = "$want" ] &&
	grep -qx 'deb http://deb.debian.org/debian-security bookworm-security main' \
		"$STUB/sources.list.d/bypass-debian-security.list" &&
	[ "$(grep -c '^apt-get update' "$STUB/calls")" = 2 ] &&
	[ "$(echo "$out" | grep -c "^deps: apt's sources lack bookworm-security")" = 1 ]
result $? debootstrap_adds_security_suite "exit $rc" "stderr: $err" "output: $out" \
	"asked: $(echo "$got" | tr '\n' ' ')"

# Failures end with exactly one "deps:" line that says what to do: lists
# that cannot be updated, and no 6.12 headers even with the security suite.
machine offline
STUB_UPDATE_RC=100 run_deps
e1=$err
machine no612
STUB_NO_612=1 run_deps
[ "$(echo "$e1" | wc -l)" = 1 ] && [[ $e1 == "deps: 'apt-get update' failed"* ]] &&
	[ "$rc" != 0 ] && [ "$(echo "$err" | wc -l)" = 1 ] &&
	[[ $err == "deps: no linux-headers-6.12"* ]] && ! grep -q '^apt-get install' "$STUB/calls"
result $? failures_say_one_line "offline: $e1" "no 6.12: exit $rc: $err"
exit $failed
