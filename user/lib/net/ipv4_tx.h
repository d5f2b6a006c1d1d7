/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * IPv4 send through the last destination's prebuilt headers (stack.h:
 * struct ipv4_tx_cache), inlined into the senders whose own checks
 * already cover the datagram's size and its header room: ipv4_send() and
 * UDP's send, which then go from the transport header to the ring with
 * one copy of the Ethernet and IPv4 headers and no second check.
 */
#ifndef BYPASS_IPV4_TX_H
#define BYPASS_IPV4_TX_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "csum.h"
#include "stack.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

/*
 * Whether the prebuilt headers lead to @dst: built for it, no ARP change
 * since, and the next hop's entry not expired at the last poll's time.
 */
static inline bool ipv4_tx_cache_serves(const struct bypass_stack *st,
					uint32_t dst)
{
	const struct ipv4_tx_cache *c = &st->tx_cache;

	return c->dst == dst && c->gen == st->neigh_gen &&
	       stack_poll_time(st) < c->valid_until;
}

/* The IPv4 fields that change from datagram to datagram, but the checksum. */
static inline void ipv4_hdr_vary(struct bypass_stack *st, struct iphdr *ip,
				 uint16_t tot_len, uint8_t proto)
{
	ip->tot_len = htons(tot_len);
	ip->id = htons(st->ip_id++);
	ip->protocol = proto;
}

/*
 * Send @b (its transport header at @b->data, its size checked against the
 * MTU, room in front for the prebuilt headers and the device header) as
 * protocol @proto through the prebuilt headers (ipv4_tx_cache_serves()):
 * returns as ipv4_send(). Always inlined: with three callers (UDP, TCP,
 * ipv4_send()) the compiler would otherwise keep one out-of-line copy
 * and every send would pay the call.
 */
static inline __attribute__((always_inline))
int ipv4_tx_prebuilt(struct bypass_stack *st, struct bypass_buf *b,
		     uint8_t proto)
{
	const struct ipv4_tx_cache *c = &st->tx_cache;
	/* Chained payload (stack.h: tx_frags) follows the headers. */
	uint16_t tot_len = (uint16_t)(sizeof(struct iphdr) + b->len +
				      st->tx_frags_len);
	uint8_t *h = buf_push(b, sizeof(c->hdr));
	struct iphdr *ip = (struct iphdr *)(h + ETH_HLEN);

	memcpy(h, c->hdr, sizeof(c->hdr));
	ipv4_hdr_vary(st, ip, tot_len, proto);
	/*
	 * In memory order, as the template's sum: proto is byte 9. Four
	 * 16-bit values: the sum fits 32 bits, folded from there.
	 */
	ip->check = csum_fold32(c->sum + ip->tot_len + ip->id + htons(proto));
	st->c.ipv4.tx++;
	st->c.eth.tx++;
	return stack_xmit(st, b);
}

#pragma GCC visibility pop

#endif /* BYPASS_IPV4_TX_H */
