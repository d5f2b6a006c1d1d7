// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * IPv4 (RFC 791, host requirements of RFC 1122): validate received headers
 * (version, length, checksum), drop fragments (no reassembly), accept our
 * address and broadcasts, the common datagram (to us, no options, from the
 * last source that passed) by one short run of tests; build headers for
 * sending, with the DF bit set (no fragmentation either), and route
 * on-link or via the default gateway.
 */
#include <errno.h>
#include <string.h>

#include "csum.h"
#include "ipv4_tx.h"
#include "libbypass.h"
#include "stack.h"

uint32_t ipv4_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto,
			 uint16_t len)
{
	uint64_t sum = csum_pseudo64(src, dst, proto, len);

	sum = (sum & 0xffffffffu) + (sum >> 32);
	return (uint32_t)sum;
}

static bool ipv4_bad_source(const struct bypass_stack *st, uint32_t src)
{
	uint32_t bcast = st->addr | ~st->mask;

	return src == 0 || src == htonl(0xffffffffu) || ipv4_is_multicast(src) ||
	       (st->mask != htonl(0xffffffffu) && src == bcast) ||
	       src == st->addr;
}

/*
 * The first checks of a header that is short, not version 4 or has
 * options: its length, or 0 when the datagram was dropped.
 */
static uint32_t ipv4_input_ihl(struct bypass_stack *st, struct bypass_buf *b)
{
	const struct iphdr *ip = (const struct iphdr *)b->data;
	uint32_t ihl;

	if (b->len < sizeof(*ip)) {
		stack_drop(st, b, BYPASS_DROP_IPV4_SHORT);
		return 0;
	}
	if (ip->version != 4) {
		stack_drop(st, b, BYPASS_DROP_IPV4_BAD_VERSION);
		return 0;
	}
	ihl = ip->ihl * 4u;
	if (ihl < sizeof(*ip) || ihl > b->len) {
		stack_drop(st, b, BYPASS_DROP_IPV4_BAD_IHL);
		return 0;
	}
	return ihl;
}

/* Hand the datagram at @b (header of @ihl bytes) to its protocol. */
static inline void ipv4_deliver(struct bypass_stack *st, struct bypass_buf *b,
				const struct ipv4_rx *rx, uint32_t ihl)
{
	uint8_t proto = rx->ip->protocol;

	buf_pull(b, ihl);
	switch (proto) {
	case IPPROTO_ICMP:
		icmp_input(st, b, rx);
		break;
	case IPPROTO_UDP:
		udp_input(st, b, rx);
		break;
	case IPPROTO_TCP:
		tcp_rx(st, b, rx);
		break;
	default:
		stack_drop(st, b, BYPASS_DROP_IPV4_UNKNOWN_PROTO);
	}
}

/*
 * The common datagram, taken without the general checks' order: version
 * 4 without options, lengths right, in one buffer, not a fragment, to our
 * address (not a link broadcast), from the last source that passed the
 * source checks, header checksum right. Whether it was taken: anything
 * else goes through ipv4_input's checks, which drop it for the reason
 * they would anyway, so both ways drop and deliver the same datagrams.
 */
static inline bool ipv4_input_common(struct bypass_stack *st,
				     struct bypass_buf *b, bool link_bcast)
{
	const struct iphdr *ip = (const struct iphdr *)b->data;
	struct ipv4_rx rx;
	uint32_t tot;

	if (link_bcast || st->rx_chain_nr || b->len < sizeof(*ip) ||
	    *b->data != 0x45)
		return false;
	tot = ntohs(ip->tot_len);
	if (tot < sizeof(*ip) || tot > b->len || ip->daddr != st->addr ||
	    (ip->frag_off & htons(IPV4_MF | IPV4_OFFSET)) ||
	    ip->saddr != st->rx_src_ok || st->rx_src_gen != st->neigh_gen ||
	    csum_ipv4_hdr20(ip))
		return false;
	st->c.ipv4.rx++;
	/* Ethernet padding after the datagram is not part of it. */
	b->len = tot;
	rx.ip = ip;
	rx.src = ip->saddr;
	rx.dst = ip->daddr;
	rx.broadcast = false;
	ipv4_deliver(st, b, &rx, sizeof(*ip));
	return true;
}

/* ipv4_input() for what ipv4_input_common() did not take: every check. */
static __attribute__((noinline))
void ipv4_input_checked(struct bypass_stack *st, struct bypass_buf *b,
			bool link_bcast)
{
	const struct iphdr *ip = (const struct iphdr *)b->data;
	struct ipv4_rx rx;
	uint32_t ihl, tot;

	/* Version 4 without options: one bounds check. */
	if (b->len >= sizeof(*ip) && *b->data == 0x45)
		ihl = sizeof(*ip);
	else if (!(ihl = ipv4_input_ihl(st, b)))
		return;
	tot = ntohs(ip->tot_len);
	if ((tot < ihl || tot > b->len) &&
	    (!st->rx_chain_nr || tot < ihl || tot > b->len + st->rx_chain_len)) {
		/* Only a frame in several buffers may be longer than one. */
		stack_drop(st, b, BYPASS_DROP_IPV4_BAD_LEN);
		return;
	}
	if (ihl == sizeof(*ip) ? csum_ipv4_hdr20(ip) :
	    bypass_csum_fold(bypass_csum_partial(ip, ihl, 0))) {
		stack_drop(st, b, BYPASS_DROP_IPV4_BAD_CSUM);
		return;
	}
	if (ip->frag_off & htons(IPV4_MF | IPV4_OFFSET)) {
		stack_drop(st, b, BYPASS_DROP_IPV4_FRAGMENT);
		return;
	}
	if (ipv4_bad_source(st, ip->saddr)) {
		stack_drop(st, b, BYPASS_DROP_IPV4_BAD_SRC);
		return;
	}
	st->rx_src_ok = ip->saddr;
	st->rx_src_gen = st->neigh_gen;
	rx.ip = ip;
	rx.src = ip->saddr;
	rx.dst = ip->daddr;
	rx.broadcast = link_bcast;
	if (ip->daddr != st->addr) {
		if (ip->daddr != htonl(0xffffffffu) &&
		    ip->daddr != (st->addr | ~st->mask)) {
			stack_drop(st, b, BYPASS_DROP_IPV4_NOT_FOR_US);
			return;
		}
		rx.broadcast = true;
	}
	if (ihl > sizeof(*ip))
		st->c.ipv4.rx_options++;
	st->c.ipv4.rx++;
	/* Ethernet padding after the datagram is not part of it. */
	if (__builtin_expect(st->rx_chain_nr, 0)) {
		/* Only TCP takes a datagram in several buffers. */
		if (ip->protocol != IPPROTO_TCP) {
			stack_drop(st, b, BYPASS_DROP_RING_MERGED);
			return;
		}
		stack_rx_trim(st, b, tot);
	} else {
		b->len = tot;
	}
	ipv4_deliver(st, b, &rx, ihl);
}

void ipv4_input(struct bypass_stack *st, struct bypass_buf *b, bool link_bcast)
{
	if (__builtin_expect(!ipv4_input_common(st, b, link_bcast), 0))
		ipv4_input_checked(st, b, link_bcast);
}

int ipv4_tx_check(struct bypass_stack *st, struct bypass_buf *b,
		  uint32_t l4_hdr)
{
	if (((uintptr_t)b->data & 3) ||
	    bypass_buf_headroom(b) <
	    st->hdr_len + (ETH_HLEN + sizeof(struct iphdr) + l4_hdr)) {
		pool_put(b);
		return -EINVAL;
	}
	if (b->len + l4_hdr + sizeof(struct iphdr) > st->mtu) {
		stack_drop(st, b, BYPASS_DROP_TX_TOO_BIG);
		return -EMSGSIZE;
	}
	return 0;
}

/* The template's IPv4 header lies on a 4-byte boundary. */
_Static_assert(offsetof(struct ipv4_tx_cache, hdr) % 4 == 2, "tx_cache.hdr");

/* The constant fields of our IPv4 header towards @dst, at @ip. */
static void ipv4_hdr_init(const struct bypass_stack *st, struct iphdr *ip,
			  uint32_t dst)
{
	ip->version = 4;
	ip->ihl = sizeof(*ip) / 4;
	ip->tos = 0;
	ip->frag_off = htons(IPV4_DF);
	ip->ttl = st->ttl;
	ip->saddr = st->addr;
	ip->daddr = dst;
}

/* Prebuild the headers of what goes to @dst through @mac (see stack.h). */
static void ipv4_tx_cache_fill(struct bypass_stack *st, uint32_t dst,
			       const uint8_t *mac, uint64_t valid_until)
{
	struct ipv4_tx_cache *c = &st->tx_cache;
	struct ethhdr *eh = (struct ethhdr *)c->hdr;

	memcpy(eh->h_dest, mac, ETH_ALEN);
	memcpy(eh->h_source, st->mac, ETH_ALEN);
	eh->h_proto = htons(ETH_P_IP);
	memset(eh + 1, 0, sizeof(struct iphdr));
	ipv4_hdr_init(st, (struct iphdr *)(eh + 1), dst);
	/* The constant fields' sum: per datagram the varying ones are added. */
	c->sum = (uint16_t)~csum_ipv4_hdr20(eh + 1);
	c->dst = dst;
	c->gen = st->neigh_gen;
	c->valid_until = valid_until;
}

int ipv4_route(struct bypass_stack *st, struct bypass_buf *b, uint32_t dst)
{
	uint64_t valid_until = UINT64_MAX;
	const uint8_t *mac;
	int r;

	if (dst == htonl(0xffffffffu) ||
	    (st->mask != htonl(0xffffffffu) && dst == (st->addr | ~st->mask))) {
		mac = eth_broadcast;
	} else {
		uint32_t nexthop = dst;

		if ((dst & st->mask) != (st->addr & st->mask)) {
			if (!st->gateway) {
				stack_drop(st, b, BYPASS_DROP_IPV4_NO_ROUTE);
				return -ENETUNREACH;
			}
			nexthop = st->gateway;
		}
		mac = arp_resolve(st, b, nexthop, &valid_until, &r);
		if (!mac)	/* waiting for ARP, or dropped */
			return r ? r : STACK_TX_ARP_WAIT;
	}
	ipv4_tx_cache_fill(st, dst, mac, valid_until);
	return eth_output(st, b, mac, ETH_P_IP);
}

int ipv4_send(struct bypass_stack *st, struct bypass_buf *b, uint32_t dst,
	      uint8_t proto)
{
	/* Chained payload (stack.h: tx_frags) follows the headers. */
	uint16_t tot_len = (uint16_t)(sizeof(struct iphdr) + b->len + st->tx_frags_len);
	struct iphdr *ip;

	/* A TSO frame leaves as segments of tx_gso_size bytes. */
	if (b->len + st->tx_frags_len + sizeof(*ip) > st->mtu &&
	    (!st->tx_gso_size ||
	     b->len + st->tx_gso_size + sizeof(*ip) > st->mtu)) {
		stack_drop(st, b, BYPASS_DROP_TX_TOO_BIG);
		return -EMSGSIZE;
	}
	/* The last destination again: its headers are prebuilt. */
	if (__builtin_expect(ipv4_tx_cache_serves(st, dst) &&
			     bypass_buf_headroom(b) >=
			     sizeof(st->tx_cache.hdr) + st->hdr_len, 1))
		return ipv4_tx_prebuilt(st, b, proto);
	st->c.ipv4.tx++;
	ip = buf_push(b, sizeof(*ip));
	ipv4_hdr_init(st, ip, dst);
	ipv4_hdr_vary(st, ip, tot_len, proto);
	ip->check = 0;
	ip->check = csum_ipv4_hdr20(ip);
	return ipv4_route(st, b, dst);
}
