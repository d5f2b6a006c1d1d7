# Sourced by scripts that run inside the test VM (benchmarks, the demo):
# find the NICs by MAC, put the peer NIC into netns "peer" at 192.0.2.2/24,
# put the bypass NIC on the Linux stack at 192.0.2.1/24, and wait, bounded,
# for a server's "ready" line.

# ifname_of MAC: the interface with that address (empty if none).
ifname_of() {
	for d in /sys/class/net/*; do
		if [ "$(cat "$d/address")" = "$1" ]; then
			basename "$d"
		fi
	done
}

# nic_pci IFNAME: the PCI function behind a network interface.
nic_pci() {
	basename "$(readlink -f "/sys/class/net/$1/device/..")"
}

# pin_irqs PCI CPU: every MSI-X vector of that PCI function to CPU, for the
# driver bound to it now (virtio_net's or bypass.ko's: again after a rebind).
pin_irqs() {
	local v
	for v in /sys/bus/pci/devices/"$1"/msi_irqs/*; do
		[ -e "$v" ] || continue
		echo "$2" 2>/dev/null >"/proc/irq/$(basename "$v")/smp_affinity_list" ||
			echo "IRQ $(basename "$v") of $1 cannot move to CPU $2"
	done
}

# cpu_busy CPU: clock ticks that CPU spent not idle since boot: processes,
# system calls, interrupts and softirqs (user, nice, system, irq, softirq,
# steal of /proc/stat).
cpu_busy() {
	awk -v c="cpu$1" '$1 == c { print $2 + $3 + $4 + $7 + $8 + $9 }' /proc/stat
}

# peer_netns_up: the Linux peer NIC in its own namespace, its interrupts
# on vCPU 1 (with the clients); sets $peer_if.
peer_netns_up() {
	peer_if=$(ifname_of "$BYPASS_PEER_MAC")
	pin_irqs "$(nic_pci "$peer_if")" 1
	ip netns add peer
	ip link set "$peer_if" netns peer
	ip netns exec peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1
	ip -n peer link set lo up
	ip -n peer link set "$peer_if" up
	ip -n peer addr add 192.0.2.2/24 dev "$peer_if"
}

# linux_nic_up: the bypass NIC on Linux's virtio_net, up at 192.0.2.1/24
# (its interface may take a moment to appear after a rebind: at most 5 s),
# and the peer's stale ARP entries gone; sets $lif.
linux_nic_up() {
	for _ in $(seq 100); do
		lif=$(ifname_of "$BYPASS_NIC_MAC")
		[ -n "$lif" ] && break
		sleep 0.05
	done
	ip link set "$lif" up
	ip addr add 192.0.2.1/24 dev "$lif"
	ip -n peer neigh flush all
}

# wait_ready LOG [TRIES]: until LOG says "ready", 50 ms a try (default 200).
wait_ready() {
	for _ in $(seq "${2:-200}"); do
		grep -q ready "$1" 2>/dev/null && return 0
		sleep 0.05
	done
	echo "server did not start:"; cat "$1"; return 1
}
