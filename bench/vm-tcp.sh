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
# Linux is measured with the NIC bound to virtio_net and the address on
# its interface, then the NIC is claimed for bypass.ko and the server runs
# libbypass on it, same device, same address: first with the default wait
# policy (bypass_stack_wait: a spin that adapts to the load, then asleep
# on the interrupt), then busy polling (the explicit option: it spins on
# one vCPU, so its CPU figure is wall time); ROUNDS times, alternating.
# The table sums the rounds; a line per round shows the spread of the
# ratios. The client's TCP counters (segments in, out and retransmitted)
# and bypass's segment counters are printed per phase; the segments the
# client received in a bulk phase are the server's ACKs, shown per 64 MiB
# received. Server CPU per request is its CPU time (getrusage) over the
# requests.
#
# The VM boots with iommu.strict=0 (Linux's default lazy IOTLB
# flushing), as bench/vm-udp-rr.sh does: the tests' strict mode makes
# every DMA unmap of the Linux driver wait for an emulated IOTLB flush,
# which would flatter bypass (its memory stays mapped) beyond what a
# production kernel shows.
#
#   bench/vm-tcp.sh [SECONDS] [SIZE] [MIB] [ROUNDS] [OFFLOADS]
#     (defaults 10 64 64 2 on). OFFLOADS "off": the bypass server leaves
#     CSUM and HOST_TSO4 unused (software checksums and segments out; what
#     the device hands up, merged frames and vouched checksums, is as it
#     negotiated). BENCH_VM_ARGS
#     go to selftests/vm/run, e.g. "--tap 2" for the tap NIC and its
#     offloads instead of the hub.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
size=${2:-64}
mib=${3:-64}
rounds=${4:-2}
offloads=${5:-on}
out=build/bench

if [ "${BYPASS_VM:-}" != 1 ]; then
	make -s all >/dev/null
	mkdir -p "$out"
	for p in tcp_rr tcp_bulk; do
		cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -o "$out/$p" "bench/$p.c"
	done
	cc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -Iuapi -Iuser/include \
		-o "$out/tcp_srv" bench/tcp_srv.c build/libbypass.a
	# shellcheck disable=SC2086
	exec selftests/vm/run --quiet --timeout 3600 --append iommu.strict=0 \
		${BENCH_VM_ARGS:-} -- "$0" "$secs" "$size" "$mib" "$rounds" "$offloads"
fi

# ---- inside the VM ----
nic=$BYPASS_NIC_PCI
. selftests/vm/guest-net.sh
peer_netns_up


# The client side's TCP segment counters (netns peer): "in out retrans".
peer_segs() {
	ip netns exec peer awk '/^Tcp:/ {
		if (!n) { for (i = 2; i <= NF; i++) col[$i] = i; n = 1; next }
		print $col["InSegs"], $col["OutSegs"], $col["RetransSegs"] }' /proc/net/snmp
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
	local before after
	before=$(peer_segs)
	ip netns exec peer taskset -c 1 "${client[@]}" >"/tmp/cl-$name"
	after=$(peer_segs)
	kill -TERM "$pid"
	wait "$pid" || true
	# Segments the client received: in a bulk phase, the server's ACKs.
	echo "$before $after" | awk '{ print $4 - $1 }' >"/tmp/segs-$name"
	echo "$name: $(head -n 1 "/tmp/cl-$name") | server $(grep cpu_s "$log") $(grep tcp_rx "$log" || true) |" \
		"$(echo "$before $after" | awk '{ printf "client segs in %d out %d retrans %d",
			$4 - $1, $5 - $2, $6 - $3 }')"
	grep -q . "/tmp/cl-$name"
	# The round-trip distribution, for bench/report.sh's plots.
	sed -n "s/^cdf_us /CDF tcp-${name%-*} /p" "/tmp/cl-$name"
}

run_both() {	# TAG SERVER-ARGS...
	local tag=$1
	shift
	phase "rr-$tag" "$out/tcp_rr" 192.0.2.1 7 "$secs" "$size" -- "$@"
	phase "bulk-$tag" "$out/tcp_bulk" 192.0.2.1 9 "$mib" -- "$@"
}

bind_nic() {	# DRIVER ("" for virtio-pci back)
	local cur
	cur=$(basename "$(readlink "/sys/bus/pci/devices/$nic/driver")")
	echo "$nic" >"/sys/bus/pci/drivers/$cur/unbind"
	echo "${1:-}" >"/sys/bus/pci/devices/$nic/driver_override"
	echo "$nic" >/sys/bus/pci/drivers_probe
}

# Linux and bypass alternate, so a change of load on the host between
# phases weighs on both.
for r in $(seq "$rounds"); do
	# Linux: the NIC owned by virtio_net, address on the interface.
	linux_nic_up
	run_both "linux-$r" --linux 192.0.2.1
	ip addr flush dev "$lif"
	ip link set "$lif" down

	# bypass: the NIC claimed by bypass.ko, the stack in the server process.
	bind_nic bypass
	ip -n peer neigh flush all
	if [ "$offloads" = off ]; then
		export BYPASS_NO_OFFLOAD=1
	fi
	run_both "bypass-$r" --bypass "$nic" 192.0.2.1
	run_both "busy-$r" --bypass "$nic" 192.0.2.1 --busy
	unset BYPASS_NO_OFFLOAD
	bind_nic ""
done

field() {	# FILE KEY: the number after KEY
	sed -n "s/.* $2 \([0-9.]*\).*/\1/p; s/^$2 \([0-9.]*\).*/\1/p" "$1" | head -n 1
}
# Per round: rr transactions, median, server CPU; bulk bytes, seconds.
for r in $(seq "$rounds"); do
	for st in linux bypass busy; do
		echo "$r $st $(field "/tmp/cl-rr-$st-$r" transactions)" \
			"$(field "/tmp/cl-rr-$st-$r" median_us)" \
			"$(field "/tmp/srv-rr-$st-$r.log" cpu_s)" \
			"$(field "/tmp/cl-bulk-$st-$r" bytes)" \
			"$(field "/tmp/cl-bulk-$st-$r" seconds)" \
			"$(field "/tmp/srv-bulk-$st-$r.log" cpu_s)" \
			"$(cat "/tmp/segs-bulk-$st-$r")"
	done
done >/tmp/tcp-results
echo
echo "TCP, same VM run, $rounds rounds (${secs} s request/response, ${mib} MiB bulk each):"
echo "(bypass: the default wait policy; busy: busy polling; ratios to linux)"
awk -v secs="$secs" -v size="$size" -v rounds="$rounds" '
	{ i = $2 == "linux" ? 0 : $2 == "bypass" ? 1 : 2
	  n[i] += $3; med[i] += $4 / rounds; cpu[i] += $5
	  bytes[i] += $6; t[i] += $7; bcpu[i] += $8; acks[i] += $9
	  rn[$1, i] = $3; rb[$1, i] = $6 / $7 }
	# line LABEL FORMAT L B Z: linux, bypass, busy and the two ratios
	function line(label, fmt, l, b, z) {
		printf "  %-34s " fmt " " fmt " %8.2f " fmt " %8.2f\n", label,
			l, b, l ? b / l : 0, z, l ? z / l : 0
	}
	END {
	printf "  %-34s %12s %12s %8s %12s %8s\n", "", "linux", "bypass", "ratio",
		"busy", "ratio"
	for (i = 0; i < 3; i++) {
		rate[i] = n[i] / (secs * rounds)
		rcpu[i] = n[i] ? cpu[i] * 1e6 / n[i] : 0
		mbit[i] = t[i] ? bytes[i] * 8 / t[i] / 1e6 : 0
		mcpu[i] = bytes[i] ? bcpu[i] * 1e3 * 1048576 / bytes[i] : 0
		ack64[i] = bytes[i] ? acks[i] * 67108864 / bytes[i] : 0
	}
	line(size "-byte request/response (/s)", "%12.0f", rate[0], rate[1], rate[2])
	line("  median round trip (us, mean)", "%12.1f", med[0], med[1], med[2])
	line("  server CPU per request (us)", "%12.1f", rcpu[0], rcpu[1], rcpu[2])
	line("bulk, one way (Mbit/s)", "%12.1f", mbit[0], mbit[1], mbit[2])
	line("  server CPU per MiB (ms)", "%12.1f", mcpu[0], mcpu[1], mcpu[2])
	line("  ACKs sent per 64 MiB received", "%12.0f", ack64[0], ack64[1], ack64[2])
	for (r = 1; r <= rounds; r++)
		printf "  round %d ratios: request/response %.2f (busy %.2f), bulk %.2f (busy %.2f)\n",
			r, rn[r, 1] / rn[r, 0], rn[r, 2] / rn[r, 0],
			rb[r, 1] / rb[r, 0], rb[r, 2] / rb[r, 0]
	# Rows for bench/report.sh: section|metric|linux|bypass; busy
	# polling in a section of its own, against the same Linux runs.
	for (i = 1; i < 3; i++) {
		sec = i == 1 ? "TCP" : "TCP, busy polling"
		printf "ROW %s|%d-byte requests/s|%.0f|%.0f\n", sec, size, rate[0], rate[i]
		printf "ROW %s|median round trip (us)|%.1f|%.1f\n", sec, med[0], med[i]
		printf "ROW %s|server CPU per request (us)|%.1f|%.1f\n", sec, rcpu[0], rcpu[i]
		printf "ROW %s|bulk receive (Mbit/s)|%.1f|%.1f\n", sec, mbit[0], mbit[i]
		if (bcpu[0] > 0 && bcpu[i] > 0)
			printf "ROW %s|server CPU per MiB received (ms)|%.1f|%.1f\n",
				sec, mcpu[0], mcpu[i]
		printf "ROW %s|ACKs sent per 64 MiB received|%.0f|%.0f\n", sec, ack64[0], ack64[i]
	}
	printf "PERCPU TCP requests|%.0f|%.0f\n", n[0] / cpu[0], n[1] / cpu[1]
	if (bcpu[0] > 0 && bcpu[1] > 0)
		printf "PERCPU TCP bulk MiB|%.1f|%.1f\n", bytes[0] / 1048576 / bcpu[0],
			bytes[1] / 1048576 / bcpu[1]
}' /tmp/tcp-results
grep -q 'iommu.strict=0' /proc/cmdline && echo "  (IOMMU in lazy mode, as Linux defaults)"
