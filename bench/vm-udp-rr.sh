#!/bin/bash
# UDP request/response rate of the same echo server on bypass and on the
# Linux stack, measured in one VM run against the same Linux client on the
# peer NIC, printed as a ratio. A benchmark, not a test: it judges nothing.
# TCG absolute numbers mean little; the ratio is the result.
#
# The VM boots with iommu.strict=0 here (Linux's default lazy IOTLB
# flushing): the tests' strict mode makes every DMA unmap of the Linux
# driver wait for an emulated IOTLB flush, which would flatter bypass
# (its memory stays mapped) beyond what a production kernel shows.
#
#   bench/vm-udp-rr.sh [SECONDS] [SIZE]
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
size=${2:-64}
out=build/bench

if [ "${BYPASS_VM:-}" != 1 ]; then
	make -s all >/dev/null
	mkdir -p "$out"
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$out/udp_rr" bench/udp_rr.c
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iuapi -Iuser/include \
		-o "$out/udp_echo_srv" bench/udp_echo_srv.c build/libbypass.a
	exec selftests/vm/run --quiet --append iommu.strict=0 -- "$0" "$secs" "$size"
fi

# ---- inside the VM ----
nic=$BYPASS_NIC_PCI
. selftests/vm/guest-net.sh
peer_netns_up


run_phase() {	# NAME SERVER-ARGS...
	local name=$1 log=/tmp/srv-$1.log
	shift
	taskset -c 0 "$out/udp_echo_srv" "$@" >"$log" 2>&1 &
	local pid=$!
	wait_ready "$log"
	ip netns exec peer taskset -c 1 "$out/udp_rr" 192.0.2.1 7 "$secs" "$size" >"/tmp/rr-$name"
	kill -TERM "$pid"
	wait "$pid" || true
	echo "$name: $(head -n 1 "/tmp/rr-$name") | server $(grep served "$log")"
	grep -q . "/tmp/rr-$name"
	# The round-trip distribution, for bench/report.sh's plots.
	sed -n "s/^cdf_us /CDF udp-rr-$name /p" "/tmp/rr-$name"
}

# Linux: the same NIC, owned by virtio_net, address on the interface.
lif=$(ifname_of "$BYPASS_NIC_MAC")
ip link set "$lif" up
ip addr add 192.0.2.1/24 dev "$lif"
run_phase linux --linux 192.0.2.1 7
ip addr flush dev "$lif"
ip link set "$lif" down

# bypass: claim the NIC for bypass.ko, the stack runs in the server process.
echo "$nic" >/sys/bus/pci/drivers/virtio-pci/unbind
echo bypass >"/sys/bus/pci/devices/$nic/driver_override"
echo "$nic" >/sys/bus/pci/drivers_probe
ip -n peer neigh flush all
run_phase bypass --bypass "$nic" 192.0.2.1 7

rate() { sed -n 's/.* rate \([0-9]*\).*/\1/p' "/tmp/rr-$1"; }
lr=$(rate linux)
br=$(rate bypass)
echo "UDP ${size}-byte request/response, ${secs} s each, same VM run:"
echo "  linux  $lr/s"
echo "  bypass $br/s"
awk -v b="$br" -v l="$lr" 'BEGIN { printf "  ratio bypass/linux = %.2f\n", b / l }'
med() { sed -n 's/.* median_us \([0-9.]*\).*/\1/p' "/tmp/rr-$1"; }
# Rows for bench/report.sh: section|metric|linux|bypass
echo "ROW UDP|${size}-byte requests/s|$lr|$br"
echo "ROW UDP|median round trip (us)|$(med linux)|$(med bypass)"
grep -q 'iommu.strict=0' /proc/cmdline && echo "  (IOMMU in lazy mode, as Linux defaults)"
