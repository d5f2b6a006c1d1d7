/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Counters of the libbypass stack, per layer, and the named reason of every
 * frame the stack drops. Read them with bypass_stack_counters().
 */
#ifndef BYPASS_COUNTERS_H
#define BYPASS_COUNTERS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every way a frame can be dropped: X(enum suffix, name) */
#define BYPASS_DROP_REASONS(X)						\
	X(RING_BAD_LEN, "ring_bad_len")		/* device wrote nonsense */ \
	X(RING_MERGED, "ring_merged")		/* several buffers, not TCP */ \
	X(ETH_SHORT, "eth_short")					\
	X(ETH_NOT_FOR_US, "eth_not_for_us")	/* another unicast MAC */ \
	X(ETH_MULTICAST, "eth_multicast")	/* no group joined */	\
	X(ETH_BAD_SRC, "eth_bad_src")		/* multicast source */	\
	X(ETH_UNKNOWN_TYPE, "eth_unknown_type")				\
	X(ARP_SHORT, "arp_short")					\
	X(ARP_BAD_FORMAT, "arp_bad_format")	/* not Ethernet/IPv4 */	\
	X(ARP_BAD_OP, "arp_bad_op")					\
	X(ARP_BAD_SENDER, "arp_bad_sender")				\
	X(ARP_CONFLICT, "arp_conflict")		/* someone claims our IP */ \
	X(ARP_NOT_FOR_US, "arp_not_for_us")				\
	X(ARP_QUEUE_FULL, "arp_queue_full")	/* waiting for a reply */ \
	X(ARP_UNRESOLVED, "arp_unresolved")	/* no reply in time */	\
	X(ARP_TABLE_FULL, "arp_table_full")				\
	X(IPV4_SHORT, "ipv4_short")					\
	X(IPV4_BAD_VERSION, "ipv4_bad_version")				\
	X(IPV4_BAD_IHL, "ipv4_bad_ihl")					\
	X(IPV4_BAD_LEN, "ipv4_bad_len")					\
	X(IPV4_BAD_CSUM, "ipv4_bad_csum")				\
	X(IPV4_FRAGMENT, "ipv4_fragment")	/* no reassembly */	\
	X(IPV4_NOT_FOR_US, "ipv4_not_for_us")				\
	X(IPV4_BAD_SRC, "ipv4_bad_src")					\
	X(IPV4_UNKNOWN_PROTO, "ipv4_unknown_proto")			\
	X(IPV4_NO_ROUTE, "ipv4_no_route")				\
	X(ICMP_SHORT, "icmp_short")					\
	X(ICMP_BAD_CSUM, "icmp_bad_csum")				\
	X(ICMP_UNHANDLED, "icmp_unhandled")	/* not an echo or reply */ \
	X(ICMP_BROADCAST_ECHO, "icmp_broadcast_echo")			\
	X(ICMP_NO_SOCKET, "icmp_no_socket")	/* reply for no ping socket */ \
	X(ICMP_QUEUE_FULL, "icmp_queue_full")				\
	X(UDP_SHORT, "udp_short")					\
	X(UDP_BAD_LEN, "udp_bad_len")					\
	X(UDP_BAD_CSUM, "udp_bad_csum")					\
	X(UDP_NO_SOCKET, "udp_no_socket")	/* port unreachable */	\
	X(UDP_QUEUE_FULL, "udp_queue_full")				\
	X(TCP_SHORT, "tcp_short")					\
	X(TCP_BAD_OFFSET, "tcp_bad_offset")	/* data offset */	\
	X(TCP_BAD_CSUM, "tcp_bad_csum")					\
	X(TCP_BROADCAST, "tcp_broadcast")	/* or multicast */	\
	X(TCP_BAD_OPTIONS, "tcp_bad_options")				\
	X(TCP_HANDOFF_LOST, "tcp_handoff_lost")	/* group: no room for it */ \
	X(TX_BACKLOG_FULL, "tx_backlog_full")	/* ring and backlog full */ \
	X(TX_NO_BUFFER, "tx_no_buffer")		/* pool empty for a reply */ \
	X(TX_TOO_BIG, "tx_too_big")

enum bypass_drop {
#define BYPASS_DROP_ENUM(name, str) BYPASS_DROP_##name,
	BYPASS_DROP_REASONS(BYPASS_DROP_ENUM)
#undef BYPASS_DROP_ENUM
	BYPASS_DROP_NR
};

struct bypass_counters {
	struct {
		uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
		uint64_t rx_kicks, tx_kicks, kicks_suppressed;
		uint64_t bad_used;	/* used entries naming no buffer */
		uint64_t sleeps;	/* times wait() slept on the fd */
		uint64_t tx_backlogged;	/* frames that waited for ring room */
	} ring;
	struct {
		uint64_t rx, tx, rx_broadcast;
	} eth;
	struct {
		uint64_t rx, requests_tx, replies_tx, gratuitous_tx;
		uint64_t resolved, timeouts, expired;
	} arp;
	struct {
		uint64_t rx, tx, rx_options;
	} ipv4;
	struct {
		uint64_t rx, tx, echo_replies_tx, port_unreach_tx;
		uint64_t errors_limited;	/* errors not sent: rate */
	} icmp;
	struct {
		uint64_t rx, tx;
	} udp;
	struct {
		uint64_t rx, tx;	/* segments handed to / from the engine */
		/*
		 * The engine's table (struct bypass_tcp_stats): live
		 * connections and TIME_WAITs now, SYNs dropped and connects
		 * refused at max_conns, TIME_WAITs recycled at max_time_wait.
		 */
		uint64_t conns, time_wait, conn_limit_drops, tw_recycled;
	} tcp;
	/*
	 * What the device did for us: frames sent with their UDP/TCP
	 * checksum left to it (VIRTIO_NET_F_CSUM), TCP frames it segments
	 * (HOST_TSO4) and their bytes, frames received with a checksum it
	 * vouched for (DATA_VALID or NEEDS_CSUM under GUEST_CSUM), and frames
	 * received in several buffers (MRG_RXBUF) and those buffers.
	 */
	struct {
		uint64_t tx_csum, tx_tso, tx_tso_bytes;
		uint64_t rx_csum_valid, rx_merged, rx_merged_bufs;
	} offload;
	uint64_t drops[BYPASS_DROP_NR];
};

/* "ipv4_bad_csum" etc., or NULL for an out-of-range value. */
const char *bypass_drop_name(unsigned int reason);

/* Sum of all drops. */
uint64_t bypass_drops_total(const struct bypass_counters *c);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_COUNTERS_H */
