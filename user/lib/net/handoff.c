// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A group's deliveries to one of its stacks (handoff.h): a segment that
 * landed on another stack's queue, copied into this stack's pool and run
 * through this engine; a neighbour another stack learnt. Both under the
 * stack's clock, as a poll runs its frames.
 */
#include <errno.h>
#include <string.h>

#include "handoff.h"
#include "stack.h"

int stack_handoff_tcp(struct bypass_stack *st, const struct bypass_tcp_seg *s,
		      const void *payload)
{
	struct bypass_tcp_seg seg = *s;
	struct bypass_buf *b = NULL;

	seg.nr_frags = 0;
	if (seg.len) {
		b = bypass_buf_alloc(st->pool);
		if (!b) {
			stack_drop(st, NULL, BYPASS_DROP_TCP_HANDOFF_LOST);
			return -ENOBUFS;
		}
		if (bypass_buf_tailroom(b) < seg.len) {
			stack_drop(st, b, BYPASS_DROP_TCP_HANDOFF_LOST);
			return -EMSGSIZE;
		}
		memcpy(b->data, payload, seg.len);
		b->len = seg.len;
		seg.nr_frags = 1;
		seg.frag[0].buf = b;
		seg.frag[0].off = 0;
		seg.frag[0].len = seg.len;
	}
	stack_clock_hold(st);
	st->c.tcp.rx++;
	bypass_tcp_input(st->tcp, &seg);
	stack_clock_release(st);
	return 0;
}

void stack_handoff_neigh(struct bypass_stack *st, uint32_t ip,
			 const uint8_t mac[6])
{
	stack_clock_hold(st);
	arp_neigh_learn(st, ip, mac);
	stack_clock_release(st);
}
