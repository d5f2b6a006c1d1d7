#!/bin/bash
# TCP request/response rate and bulk throughput of the same server logic
# (bench/tcp_srv.c) on bypass and on the Linux stack, measured in one VM
# run against the same Linux clients on the peer NIC (netns "peer"), and
# printed as a table with the ratios bypass/linux. A benchmark, not a
# test: it judges nothing. TCG absolute numbers mean little; the ratios
# are the result.
#
#   request/response: bench/tcp_rr.c, one connection, Nagle off on both
#     ends, one SIZE-byte request in flight, for SECONDS;
#   bulk: bench/tcp_bulk.c, MIB mebibytes one way (client to server),
#     timed from connect to the server's FIN (sent after reading it all).
#
# Linux is measured first with the NIC bound to virtio_net and the
# address on its interface, then the NIC is claimed for bypass.ko and the
# server runs libbypass busy-polling on it: same device, same address.
# Server CPU per request is its CPU time (getrusage) over the requests;
# the bypass server spins on one vCPU, so its figure is wall time.
#
# The VM boots with iommu.strict=0 (Linux's default lazy IOTLB
# flushing), as bench/vm-udp-rr.sh does: the tests' strict mode makes
# every DMA unmap of the Linux driver wait for an emulated IOTLB flush,
# which would flatter bypass (its memory stays mapped) beyond what a
# production kernel shows.
#
#   bench/vm-tcp.sh [SECONDS] [SIZE] [MIB]      (defaults 10 64 64)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
size=${2:-64}
mib=${3:-64}
out=build/bench

if [ "${BYPASS_VM:-}" != 1 ]; then
	make -s all >/dev/null
	mkdir -p "$out"
	for p in tcp_rr tcp_bulk; do
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$out/$p" "bench/$p.c"
	done
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iuapi -Iuser/include \
		-o "$out/tcp_srv" bench/tcp_srv.c build/libbypass.a
	exec selftests/vm/run --quiet --append iommu.strict=0 -- "$0" "$secs" "$size" "$mib"
fi

# ---- inside the VM ----
nic=$BYPASS_NIC_PCI
ifname_of() {
	for d in /sys/class/net/*; do
		if [ "$(cat "$d/address")" = "$1" ]; then
			basename "$d"
		fi
	done
}
peer_if=$(ifname_of "$BYPASS_PEER_MAC")
ip netns add peer
ip link set "$peer_if" netns peer
ip netns exec peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
ip -n peer link set lo up
ip -n peer link set "$peer_if" up
ip -n peer addr add 192.0.2.2/24 dev "$peer_if"

# Wait (bounded) for the server to print "ready".
wait_ready() {
	for _ in $(seq 200); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "server did not start:"; cat "$1"; return 1
}

# phase NAME CLIENT-ARGS... -- SERVER-ARGS...: one server run, one client.
phase() {
	local name=$1 log=/tmp/srv-$1.log client=()
	shift
	while [ "$1" != -- ]; do client+=("$1"); shift; done
	shift
	taskset -c 0 "$out/tcp_srv" "$@" >"$log" 2>&1 &
	local pid=$!
	wait_ready "$log"
	ip netns exec peer taskset -c 1 "${client[@]}" >"/tmp/cl-$name"
	kill -TERM "$pid"
	wait "$pid" || true
	echo "$name: $(cat "/tmp/cl-$name") | server $(grep cpu_s "$log")"
	grep -q . "/tmp/cl-$name"
}

run_both() {	# STACK SERVER-ARGS...
	local stack=$1
	shift
	phase "rr-$stack" "$out/tcp_rr" 192.0.2.1 7 "$secs" "$size" -- "$@"
	phase "bulk-$stack" "$out/tcp_bulk" 192.0.2.1 9 "$mib" -- "$@"
}

# Linux: the NIC owned by virtio_net, address on the interface.
lif=$(ifname_of "$BYPASS_NIC_MAC")
ip link set "$lif" up
ip addr add 192.0.2.1/24 dev "$lif"
run_both linux --linux 192.0.2.1
ip addr flush dev "$lif"
ip link set "$lif" down

# bypass: claim the NIC for bypass.ko, the stack runs in the server process.
echo "$nic" >/sys/bus/pci/drivers/virtio-pci/unbind
echo bypass >"/sys/bus/pci/devices/$nic/driver_override"
echo "$nic" >/sys/bus/pci/drivers_probe
ip -n peer neigh flush all
run_both bypass --bypass "$nic" 192.0.2.1

field() {	# FILE KEY: the number after KEY
	sed -n "s/.* $2 \([0-9.]*\).*/\1/p; s/^$2 \([0-9.]*\).*/\1/p" "$1" | head -n 1
}
rr_l=$(field /tmp/cl-rr-linux rate)
rr_b=$(field /tmp/cl-rr-bypass rate)
med_l=$(field /tmp/cl-rr-linux median_us)
med_b=$(field /tmp/cl-rr-bypass median_us)
n_l=$(field /tmp/cl-rr-linux transactions)
n_b=$(field /tmp/cl-rr-bypass transactions)
cpu_l=$(field /tmp/srv-rr-linux.log cpu_s)
cpu_b=$(field /tmp/srv-rr-bypass.log cpu_s)
bk_l=$(field /tmp/cl-bulk-linux rate)
bk_b=$(field /tmp/cl-bulk-bypass rate)
echo
echo "TCP, same VM run (${secs} s request/response, ${mib} MiB bulk):"
awk -v rl="$rr_l" -v rb="$rr_b" -v ml="$med_l" -v mb="$med_b" \
    -v nl="$n_l" -v nb="$n_b" -v cl="$cpu_l" -v cb="$cpu_b" \
    -v bl="$bk_l" -v bb="$bk_b" -v size="$size" 'BEGIN {
	printf "  %-34s %12s %12s %8s\n", "", "linux", "bypass", "ratio"
	printf "  %-34s %12.0f %12.0f %8.2f\n", size "-byte request/response (/s)", rl, rb, rb / rl
	printf "  %-34s %12.1f %12.1f %8.2f\n", "  median round trip (us)", ml, mb, mb / ml
	printf "  %-34s %12.1f %12.1f %8.2f\n", "  server CPU per request (us)",
		cl * 1e6 / nl, cb * 1e6 / nb, (cb / nb) / (cl / nl)
	printf "  %-34s %12.1f %12.1f %8.2f\n", "bulk, one way (Mbit/s)", bl, bb, bb / bl
}'
grep -q 'iommu.strict=0' /proc/cmdline && echo "  (IOMMU in lazy mode, as Linux defaults)"
