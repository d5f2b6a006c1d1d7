/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal state of a libbypass stack and the calls its layers make to each
 * other. Receive goes ring -> eth_input -> arp_input / ipv4_input ->
 * icmp_input / udp_input / tcp_rx; send goes udp (or the TCP engine
 * through tcp_stack.c) -> ipv4_output -> (ipv4_route -> arp_resolve ->
 * eth_output, or the last destination's prebuilt headers) -> stack_xmit
 * -> ring. Each layer counts what it accepts and
 * drops what it does not with a named reason (stack_drop).
 */
#ifndef BYPASS_STACK_INTERNAL_H
#define BYPASS_STACK_INTERNAL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdint.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/udp.h>

#include "bypass_stack.h"
#include "bypass_tcp.h"
#include "pool.h"
#include "rxqueue.h"
#include "virtq.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

#define STACK_RX_BATCH		64
#define STACK_RX_CHAIN_MAX	64	/* buffers of one merged frame, at most */
#define STACK_BUF_SIZE		2048
#define STACK_POOL_BUFS		4096
#define STACK_STATS_PERIOD_NS	1000000	/* stats page: busy, once per ms */
#define STACK_RECLAIM_POLLS	16	/* busy polls reclaim TX this often */
#define STACK_REFILL_MAX	16	/* busy polls refill RX in batches this big */

/* st->poll_pre bits */
#define STACK_POLL_SERVICE	0x1	/* the device's ops->service, every poll */
#define STACK_POLL_ARMED	0x2	/* RX interrupt enabled for a sleep */
#define STACK_POLL_TX_ARMED	0x4	/* TX interrupt too: the TX ring was full */

#define ARP_SETS		64	/* power of two */
#define ARP_WAYS		4
#define ARP_QUEUE_MAX		16	/* datagrams held per unresolved address */

#define ICMP_ERR_BURST		50	/* errors sent back to back at most */
#define ICMP_ERR_GAP_NS		1000000	/* then one per millisecond */

#define UDP_PORTS		65536
#define PING_SLOTS		64	/* power of two; ping sockets by id */

/* iphdr.frag_off bits (host order) */
#define IPV4_DF			0x4000
#define IPV4_MF			0x2000
#define IPV4_OFFSET		0x1fff

enum arp_state {
	ARP_FREE = 0,
	ARP_PENDING,		/* request sent, datagrams waiting */
	ARP_RESOLVED,
	ARP_STALE,		/* expired while in use: still used, asked again */
};

struct arp_entry {
	uint32_t ip;
	uint8_t mac[ETH_ALEN];
	uint8_t state;
	uint8_t tries;		/* requests sent while pending */
	uint8_t queued;
	bool used;		/* sent to since resolved (or confirmed) */
	uint64_t deadline_ns;	/* resolved: expiry; pending, stale: next request */
	struct bypass_buf *queue_head, *queue_tail;
};

/* The ARP body for Ethernet and IPv4 (RFC 826), after struct arphdr. */
struct arp_eth_ipv4 {
	struct arphdr h;
	uint8_t sha[ETH_ALEN];
	uint8_t spa[4];
	uint8_t tha[ETH_ALEN];
	uint8_t tpa[4];
};

struct bypass_udp {
	struct bypass_stack *st;
	uint16_t port;
	struct rxqueue rxq;	/* tag: source port */
	void *user;		/* bypass_udp_set_user() */
};

struct bypass_ping {
	struct bypass_stack *st;
	uint16_t id;
	struct rxqueue rxq;	/* tag: sequence number */
};

/* What ipv4_input learned about a datagram, for the layer above. */
struct ipv4_rx {
	const struct iphdr *ip;	/* its header, still in the buffer */
	uint32_t src, dst;
	bool broadcast;		/* to a broadcast address, link or IP */
};

#define TCP_PORT_PERTURB	256	/* power of two */

/*
 * The last destination sent to (ipv4_output): its Ethernet and IPv4
 * headers prebuilt, all but tot_len, id, protocol and the checksum, and
 * the sum of the IPv4 header's constant fields (@sum, 16 bits). Valid
 * while st->neigh_gen has not moved (every change of an ARP entry moves
 * it) and, for an address resolved by ARP, until that entry's expiry as
 * the last poll saw the clock (sends do not read it: the next poll's ARP
 * timers expire the entry, which moves neigh_gen).
 */
struct ipv4_tx_cache {
	uint32_t dst;		/* the destination */
	uint64_t gen;		/* neigh_gen when built; 0: never */
	uint64_t valid_until;	/* device time, UINT64_MAX: no expiry */
	uint32_t sum;		/* one's-complement sum of the IPv4 template */
	uint8_t pad[2];		/* puts the IPv4 header on a 4-byte boundary */
	uint8_t hdr[ETH_HLEN + sizeof(struct iphdr)];
};

struct bypass_stack {
	struct bypass_dev *dev;
	struct bypass_pool *pool;
	struct virtq rxq, txq;
	uint16_t rx_inflight_min;	/* busy polls refill RX when this few are posted */
	uint16_t tx_inflight_max;	/* reclaim TX when more are in flight */
	uint32_t tx_reclaim_polls;	/* busy polls since the last reclaim */
	uint32_t hdr_len;	/* virtio-net header size */
	uint32_t rx_off;	/* header offset in an RX buffer: aligns IP */
	uint32_t rx_data_max;	/* frame bytes an RX buffer holds after it */
	bool tx_csum;		/* the device completes UDP checksums */
	bool rx_csum;		/* the device may vouch for checksums */
	bool rx_l4_valid;	/* ... and did for the frame at hand */
	bool tso;		/* the device cuts TCP segments (HOST_TSO4) */
	/*
	 * What a poll does before reaping, one test for all (STACK_POLL_*):
	 * set at creation or where the state changes, cleared by the poll.
	 */
	uint8_t poll_pre;
	/*
	 * A frame spanning several RX buffers (MRG_RXBUF): rx_more of its
	 * buffers are still to come, to be collected while rx_head holds its
	 * first buffer, else skipped (a frame dropped). Collected, rx_chain[]
	 * holds the rest, rx_chain_len their bytes. The layers see the first
	 * buffer; tcp_rx takes the chain (rx_chain_nr = 0), and stack_drop
	 * frees it with the frame.
	 */
	struct bypass_buf *rx_head;
	uint16_t rx_more, rx_chain_nr;
	uint8_t rx_head_flags;	/* the virtio-net header's flags */
	uint32_t rx_chain_len;
	struct bypass_buf *rx_chain[STACK_RX_CHAIN_MAX];
	uint8_t mac[ETH_ALEN];
	uint32_t addr, mask, gateway;
	uint16_t mtu;
	uint8_t ttl;
	uint16_t ip_id;
	uint64_t arp_timeout_ns, arp_retry_ns, spin_ns;
	uint32_t arp_retries;
	uint64_t arp_next_ns;	/* earliest ARP deadline, UINT64_MAX: none */
	struct arp_entry arp[ARP_SETS * ARP_WAYS];	/* set-associative */
	/*
	 * Moved by every change of an ARP entry (and set at configuration):
	 * what was derived from the table or the addresses is stale then.
	 */
	uint64_t neigh_gen;
	struct ipv4_tx_cache tx_cache;
	struct bypass_udp **udp;	/* by local port */
	struct bypass_ping *ping[PING_SLOTS];	/* by id % PING_SLOTS */
	struct bypass_tcp *tcp;		/* the TCP engine */
	struct bypass_stack_events ev;	/* the application's hooks */
	/*
	 * Payload slices chained behind the frame being sent (tcp_stack.c
	 * sets them around one ipv4_output call): stack_xmit posts them as
	 * further descriptors, holding a reference to each buffer.
	 */
	const struct bypass_tcp_frag *tx_frags;
	uint8_t tx_nr_frags;
	uint32_t tx_frags_len;
	uint16_t tx_gso_size;	/* and, for TSO, the segment payload size */
	uint32_t tx_linear_max;	/* TCP payload a single buffer holds */
	/* RFC 6056 algorithm 4: per-destination-group port counters */
	uint16_t tcp_port_perturb[TCP_PORT_PERTURB];
	uint16_t eph_lo, eph_nr;	/* ephemeral ports [lo, lo + nr) */
	/* bypass_stack_set_wake(): another source of work, or none */
	const int *wake_pending;
	int wake_fd;
	/*
	 * Frames waiting for room on a full TX ring, oldest first: a ring of
	 * tx_backlog_cap references, each frame copied whole into its first
	 * buffer. While one waits, new frames queue behind it.
	 */
	struct bypass_buf **tx_backlog;
	uint32_t tx_backlog_cap, tx_backlog_head, tx_backlog_len;
	struct bypass_qp_stats *qp_stats;	/* shared page, or NULL */
	uint64_t stats_tx_seen;	/* tx_frames when the page was written */
	uint64_t stats_rx_seen;	/* rx_frames then */
	uint64_t stats_drops_seen;	/* drops_total then */
	uint64_t stats_next_ns;	/* a busy poll writes it from then on */
	uint64_t stats_tcp_seen;	/* tcp_stack_table_size() then */
	uint64_t drops_total;	/* sum of c.drops[], kept as they happen */
	/* The device clock as read once by the poll running (clock_held). */
	uint64_t now_ns;
	uint32_t clock_held;
	uint32_t icmp_err_tokens;	/* ICMP errors we may send now */
	uint64_t icmp_err_refill_ns;	/* device time of the last refill */
	struct bypass_counters c;
	/* wait policy (wait.c) */
	uint64_t spin_cur_ns;	/* spin before the next sleep, <= spin_ns */
	/*
	 * net15: IPv4 receive (ipv4.c). The last source address that passed
	 * the source checks, and neigh_gen then (0: none yet): the common
	 * datagram's source is checked by one compare while neigh_gen, which
	 * a change of the addresses moves, stays.
	 */
	uint32_t rx_src_ok;
	uint64_t rx_src_gen;
};

/*
 * The protocol clock: read once per poll (stack_clock_hold() to
 * stack_clock_release()), which every frame and timer of that poll sees;
 * outside a poll, the device's clock as it is now.
 */
static inline uint64_t stack_now(struct bypass_stack *st)
{
	return st->clock_held ? st->now_ns : st->dev->ops->now_ns(st->dev);
}

/*
 * The time of the poll running, or of the last one, without reading the
 * clock: for what may lag by a poll (the prebuilt headers' ARP expiry,
 * which the next poll's ARP timers enforce anyway).
 */
static inline uint64_t stack_poll_time(const struct bypass_stack *st)
{
	return st->now_ns;
}

static inline void stack_clock_hold(struct bypass_stack *st)
{
	if (!st->clock_held++)
		st->now_ns = st->dev->ops->now_ns(st->dev);
}

static inline void stack_clock_release(struct bypass_stack *st)
{
	st->clock_held--;
}

/* stack.c: free the further buffers of the received frame at hand. */
void stack_rx_chain_free(struct bypass_stack *st);

/*
 * Count @reason and free @b (which may be NULL: nothing to free), and the
 * rest of a received frame in several buffers that @b begins.
 */
static inline void stack_drop(struct bypass_stack *st, struct bypass_buf *b,
			      enum bypass_drop reason)
{
	st->c.drops[reason]++;
	st->drops_total++;
	if (b)
		pool_put(b);
	if (__builtin_expect(st->rx_chain_nr, 0))
		stack_rx_chain_free(st);
}

/* Move @b->data back by @n bytes (room was checked), or forward. */
static inline void *buf_push(struct bypass_buf *b, uint32_t n)
{
	b->data -= n;
	b->len += n;
	return b->data;
}

static inline void buf_pull(struct bypass_buf *b, uint32_t n)
{
	b->data += n;
	b->len -= n;
}

static inline bool ipv4_is_multicast(uint32_t addr)
{
	return (ntohl(addr) >> 28) == 0xe;
}

/*
 * What a send below the transport did with its frame (>= 0; a negative
 * errno: dropped, and counted). A frame not on the ring stays in use as
 * it is (its buffer, and the slices copied into it): the sender must not
 * change that buffer afterwards.
 */
#define STACK_TX_POSTED		0	/* on the TX ring (not yet kicked, maybe) */
#define STACK_TX_ARP_WAIT	1	/* held until ARP resolves its next hop */
#define STACK_TX_BACKLOG	2	/* waiting on the TX backlog for ring room */

/*
 * stack.c: queue a whole Ethernet frame at @b->data on the TX ring, with
 * the chained payload slices (tx_frags) behind it when there are any; on
 * the backlog when the ring is full or frames wait there already.
 * STACK_TX_POSTED, STACK_TX_BACKLOG, or -EAGAIN when the backlog is full
 * too (@b dropped, tx_backlog_full).
 */
int stack_xmit(struct bypass_stack *st, struct bypass_buf *b);
/*
 * Copy the chained payload slices (if any) into @b behind its data (its
 * IPv4 header). A TSO frame keeps its first segment only, a jumbo frame
 * what one buffer holds: the engine retransmits the rest. Only a frame
 * waiting for ARP meets that; the backlog never takes them (tcp_stack.c).
 */
void stack_tx_linearize(struct bypass_stack *st, struct bypass_buf *b);
/*
 * Whether a frame of @need descriptors can go on the TX ring now, ahead
 * of nothing (flushing and reclaiming first when it looks full).
 */
bool stack_tx_room(struct bypass_stack *st, uint16_t need);
/*
 * Keep the first @len bytes of the received frame at hand, @b and its
 * chain of further buffers (rx_chain): the buffers past them are freed.
 */
void stack_rx_trim(struct bypass_stack *st, struct bypass_buf *b, uint32_t len);

/* eth.c */
void eth_input(struct bypass_stack *st, struct bypass_buf *b);
/* Put the Ethernet header on @b and stack_xmit() it (same returns). */
int eth_output(struct bypass_stack *st, struct bypass_buf *b,
	       const uint8_t *dst, uint16_t ethertype);
extern const uint8_t eth_broadcast[ETH_ALEN];

/* arp.c */
void arp_input(struct bypass_stack *st, struct bypass_buf *b);
/*
 * The MAC to send @b to @nexthop with, and in *@valid_until until when
 * (device time) it may be used without asking ARP again; NULL when @b
 * waits for the answer or was dropped, *@r then 0 or a negative errno.
 */
const uint8_t *arp_resolve(struct bypass_stack *st, struct bypass_buf *b,
			   uint32_t nexthop, uint64_t *valid_until, int *r);
void arp_announce(struct bypass_stack *st);
void arp_timers(struct bypass_stack *st, uint64_t now);
void arp_flush_all(struct bypass_stack *st);
/* What another stack of the group learnt: @ip is at @mac. */
void arp_neigh_learn(struct bypass_stack *st, uint32_t ip, const uint8_t *mac);

/* ipv4.c */
void ipv4_input(struct bypass_stack *st, struct bypass_buf *b, bool link_bcast);
/*
 * Send the datagram at @b->data (its transport header on, checksummed) to
 * @dst: the IPv4 header, then the last destination's prebuilt headers or
 * ipv4_route(). STACK_TX_POSTED, STACK_TX_ARP_WAIT, STACK_TX_BACKLOG, or
 * a negative errno (dropped): for a caller that must know whether the
 * frame is on the ring now (tcp_stack.c's zero-copy sends).
 */
int ipv4_send(struct bypass_stack *st, struct bypass_buf *b, uint32_t dst,
	      uint8_t proto);

/* ipv4_send() for callers that only tell success (0) from failure. */
static inline int ipv4_output(struct bypass_stack *st, struct bypass_buf *b,
			      uint32_t dst, uint8_t proto)
{
	int r = ipv4_send(st, b, dst, proto);

	return r > 0 ? 0 : r;
}
uint32_t ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
			 uint16_t len);
/*
 * Whether an application's payload at @b->data can take an @l4_hdr-byte
 * header and the rest in front (room, 4-byte alignment) and fits the MTU.
 * Returns 0, or -EINVAL / -EMSGSIZE having released @b.
 */
int ipv4_tx_check(struct bypass_stack *st, struct bypass_buf *b,
		  uint32_t l4_hdr);
/*
 * Route @b (IPv4 header at @b->data, complete) towards its destination;
 * returns as ipv4_send().
 */
int ipv4_route(struct bypass_stack *st, struct bypass_buf *b, uint32_t dst);

/* icmp.c */
void icmp_input(struct bypass_stack *st, struct bypass_buf *b,
		const struct ipv4_rx *rx);
void icmp_port_unreachable(struct bypass_stack *st, const struct ipv4_rx *rx,
			   uint32_t l4_len);
void icmp_echo_reply_input(struct bypass_stack *st, struct bypass_buf *b,
			   const struct ipv4_rx *rx);
void ping_close_all(struct bypass_stack *st);

/* udp.c */
void udp_input(struct bypass_stack *st, struct bypass_buf *b,
	       const struct ipv4_rx *rx);
void udp_close_all(struct bypass_stack *st);

/* tcp_stack.c */
int tcp_stack_init(struct bypass_stack *st, const struct bypass_tcp_config *tcfg);
/* Live connections plus TIME_WAITs of the engine (O(1)). */
uint64_t tcp_stack_table_size(const struct bypass_stack *st);
void tcp_rx(struct bypass_stack *st, struct bypass_buf *b,
	    const struct ipv4_rx *rx);

/* stack.c: handle one frame as the device delivered it (for the fuzzer). */
void stack_rx_frame(struct bypass_stack *st, struct bypass_buf *b, uint32_t len);

#pragma GCC visibility pop

#endif /* BYPASS_STACK_INTERNAL_H */
