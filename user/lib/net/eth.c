// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ethernet: accept frames for our MAC or broadcast and dispatch them by
 * EtherType; put the Ethernet header on frames going out.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

const uint8_t eth_broadcast[ETH_ALEN] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

void eth_input(struct bypass_stack *st, struct bypass_buf *b)
{
	const struct ethhdr *eh = (const struct ethhdr *)b->data;
	bool bcast = false;

	if (b->len < ETH_HLEN) {
		stack_drop(st, b, BYPASS_DROP_ETH_SHORT);
		return;
	}
	if (eh->h_dest[0] & 1) {
		if (memcmp(eh->h_dest, eth_broadcast, ETH_ALEN)) {
			stack_drop(st, b, BYPASS_DROP_ETH_MULTICAST);
			return;
		}
		bcast = true;
		st->c.eth.rx_broadcast++;
	} else if (memcmp(eh->h_dest, st->mac, ETH_ALEN)) {
		stack_drop(st, b, BYPASS_DROP_ETH_NOT_FOR_US);
		return;
	}
	if (eh->h_source[0] & 1) {
		stack_drop(st, b, BYPASS_DROP_ETH_BAD_SRC);
		return;
	}
	st->c.eth.rx++;
	buf_pull(b, ETH_HLEN);
	switch (ntohs(eh->h_proto)) {
	case ETH_P_ARP:
		/* Only TCP takes a frame in several buffers. */
		if (__builtin_expect(st->rx_chain_nr, 0)) {
			stack_drop(st, b, BYPASS_DROP_RING_MERGED);
			break;
		}
		arp_input(st, b);
		break;
	case ETH_P_IP:
		ipv4_input(st, b, bcast);
		break;
	default:
		stack_drop(st, b, BYPASS_DROP_ETH_UNKNOWN_TYPE);
	}
}

int eth_output(struct bypass_stack *st, struct bypass_buf *b,
	       const uint8_t *dst, uint16_t ethertype)
{
	struct ethhdr *eh;

	if (bypass_buf_headroom(b) < ETH_HLEN + st->hdr_len) {
		stack_drop(st, b, BYPASS_DROP_TX_TOO_BIG);
		return -EINVAL;
	}
	eh = buf_push(b, ETH_HLEN);
	memcpy(eh->h_dest, dst, ETH_ALEN);
	memcpy(eh->h_source, st->mac, ETH_ALEN);
	eh->h_proto = htons(ethertype);
	st->c.eth.tx++;
	return stack_xmit(st, b);
}
