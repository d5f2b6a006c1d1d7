#!/bin/bash
# `make check`: build, run the host tests, checkpatch, then every VM selftest
# in one boot. Prints each result as "PASS: name" / "FAIL: name" and ends
# with exactly one line "N passed, M failed". Anything that could not run
# is counted as failed.
set -uo pipefail
cd "$(dirname "$0")/.."

log=$(mktemp)
trap 'rm -f "$log"' EXIT
MAKE=${MAKE:-make}

step() {
	# step NAME CMD...: run CMD, keep its output; one PASS/FAIL line for it.
	local name=$1 out
	shift
	out=$(mktemp)
	if "$@" >"$out" 2>&1; then
		echo "PASS: $name" | tee -a "$log"
	else
		sed 's/^/    /' "$out" | tail -n 40
		echo "FAIL: $name" | tee -a "$log"
	fi
	rm -f "$out"
}

summary() {
	local p f
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	echo "$p passed, $f failed"
	[ "$f" = 0 ]
	exit $?
}

echo "== build"
step build $MAKE -j"$(nproc)" all
if grep -q '^FAIL: build' "$log"; then
	summary
fi
step checkpatch $MAKE -s checkpatch
step build-kmod-6.12 $MAKE -s kmod-other OTHER_SERIES=6.12

echo "== host tests"
selftests/run-tests --prefix host build/tests/* mk/test-deps.sh | tee -a "$log"

vm_suite() {
	# vm_suite PREFIX [runner options] -- PROGRAMS...: one VM boot running
	# PROGRAMS, every result named PREFIX/...; a boot that failed without
	# saying so is one more FAIL.
	local prefix=$1 opts=() rc
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do
		opts+=("$1")
		shift
	done
	shift
	selftests/vm/run --prefix "$prefix" "${opts[@]}" -- \
		selftests/run-tests --timeout 300 --prefix "$prefix" "$@" | tee -a "$log"
	rc=${PIPESTATUS[0]}
	if [ "$rc" != 0 ] && ! grep -qF "FAIL: $prefix/" "$log"; then
		echo "FAIL: $prefix (runner exit $rc)" | tee -a "$log"
	fi
}

# Programs that need a VM of their own: hot_unplug wants the NIC behind a
# hot-pluggable root port and QEMU's monitor in the guest (run --hotplug);
# multi_pair and group_threads want a NIC with two queue pairs (run --tap 2).
own_boot=(build/selftests/hot_unplug)
two_pairs=(build/selftests/{multi_pair,group_threads})
# Programs of the module that also run on the NIC with two pairs, and the
# stack's transfers against Linux with the tap's offloads in use (tcp_bulk
# checks the offload counters: used on the tap, zero on the hub).
tap_too=(build/selftests/{claim,ctl,dev_basic,mem,mmap,traffic,lifetime,unregister_live,queue_sizes,tcp_linux,tcp_bulk})
# Programs about the userspace stack and unmodified applications rather than
# the module: the 6.12 boot leaves them out (about 30 min under TCG); every
# other program, a new one too, runs on both kernels.
stack_only='api_linux|http_clients|preload_.*|tcp_backlog|tcp_bulk|tcp_linux|tcp_many'
main=()
module_own=()
for p in build/selftests/*; do
	[[ " ${own_boot[*]} ${two_pairs[*]} " == *" $p "* ]] && continue
	main+=("$p")
	n=${p##*/}
	[[ $n == *.timeout || $n =~ ^($stack_only)$ ]] || module_own+=("$p")
done

echo "== VM selftests (Debian $(mk/kver.sh 6.1), QEMU TCG)"
# The boot's own limit bounds the whole run: every program has its own
# (NAME.timeout files: tcp_bulk 600 s, http_clients 1200 s, the preload_*
# programs of Debian's servers 900-1400 s), and all of them pass in about
# 30 min under TCG, twice that on a loaded host.
vm_suite vm --timeout 6000 -- "${main[@]}"

echo "== VM selftests with unsafe_noiommu=1 (expects taint U)"
vm_suite vm-unsafe --module-params unsafe_noiommu=1 --allow-taint 64 -- \
	build/selftests-unsafe/*

# The programs that exercise the module itself, on Debian's 6.12 kernel with
# the module built for it (build-kmod-6.12): about 6 min under TCG for
# claim, ctl, dev_basic, mem, mmap, stack_udp, tcp_rst, traffic. Then
# multi_pair and hot_unplug there, with a 2-pair NIC behind a hot-pluggable
# port (about 3 min), and the unsafe-mode program: 1.5 min.
echo "== VM selftests on Debian $(mk/kver.sh 6.12) (the module's own)"
vm_suite vm-6.12 --kernel 6.12 --timeout 2400 -- "${module_own[@]}"

echo "== VM selftests on Debian $(mk/kver.sh 6.12) with a 2-pair NIC (--tap 2) and hot-unplug"
vm_suite vm-6.12-tap2 --kernel 6.12 --tap 2 --hotplug --timeout 1200 -- \
	build/selftests/multi_pair "${own_boot[@]}"

echo "== VM selftests on Debian $(mk/kver.sh 6.12) with unsafe_noiommu=1"
vm_suite vm-6.12-unsafe --kernel 6.12 --module-params unsafe_noiommu=1 --allow-taint 64 -- \
	build/selftests-unsafe/*

# The main 6.1 boot leaves hot_unplug out; it runs in the boot of the NIC
# with two queue pairs (multiqueue taps in a private network namespace,
# run --tap 2), behind a hot-pluggable port: the programs that need two
# pairs, the module's programs whose paths a second pair changes (claim,
# bring-up and ownership, netlink, the raw rings), then hot_unplug, last.
# The hub's NIC keeps its own coverage: the main boot and the 6.12 boot.
echo "== VM selftests on Debian $(mk/kver.sh 6.1) with a 2-pair NIC (--tap 2) and hot-unplug"
vm_suite vm-tap2 --tap 2 --hotplug --timeout 2400 -- "${two_pairs[@]}" \
	"${tap_too[@]}" "${own_boot[@]}"
summary
