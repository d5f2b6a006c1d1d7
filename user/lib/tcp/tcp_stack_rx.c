// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP receive inside the stack: a received IPv4 protocol 6 datagram is
 * validated (length, data offset, checksum, destination, options) and
 * handed to the engine: the segment header prediction expects straight
 * from its header words (tcp_input_wire), any other as a parsed segment;
 * a merged frame of several buffers as one segment per buffer, without
 * copying.
 */
#include <stddef.h>
#include <string.h>

#include "csum.h"
#include "libbypass.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_tmpl.h"

/* Add the sum of a merged frame's further buffers, which start at @off. */
static uint32_t tcp_rx_chain_sum(const struct bypass_stack *st, uint32_t sum,
				 uint32_t off)
{
	uint16_t i;

	for (i = 0; i < st->rx_chain_nr; i++) {
		const struct bypass_buf *c = st->rx_chain[i];

		sum = csum_add_at(sum, c->data, c->len, off);
		off += c->len;
	}
	return sum;
}

/*
 * A segment in several buffers (a merged or GSO frame) goes to the engine
 * as one segment per buffer, in order, without copying: each has the
 * header's fields with its own sequence number; a SYN or RST counts for
 * the first only, PSH and FIN for the last.
 */
struct tcp_rx_merge {
	struct bypass_buf *buf[STACK_RX_CHAIN_MAX];
	uint16_t nr, next;
	uint8_t late;		/* PSH and FIN: the last piece's */
	uint32_t seq;		/* of the next piece */
};

/*
 * Take the stack's chain; @seg, of @first_len bytes, is the first piece.
 * Returns the number of pieces that follow.
 */
static uint16_t tcp_rx_merge_start(struct bypass_stack *st,
				   struct tcp_rx_merge *m,
				   struct bypass_tcp_seg *seg, uint32_t first_len)
{
	m->nr = st->rx_chain_nr;
	m->next = 0;
	memcpy(m->buf, st->rx_chain, m->nr * sizeof(m->buf[0]));
	st->rx_chain_nr = 0;
	st->rx_chain_len = 0;
	m->late = seg->flags & (BYPASS_TCP_PSH | BYPASS_TCP_FIN);
	seg->flags &= (uint8_t)~m->late;
	m->seq = seg->seq + !!(seg->flags & BYPASS_TCP_SYN) + first_len;
	return m->nr;
}

/* Make @seg the next piece; returns its buffer. */
static struct bypass_buf *tcp_rx_merge_next(struct tcp_rx_merge *m,
					    struct bypass_tcp_seg *seg)
{
	struct bypass_buf *p = m->buf[m->next++];

	seg->seq = m->seq;
	m->seq += p->len;
	seg->flags &= (uint8_t)~(BYPASS_TCP_SYN | BYPASS_TCP_RST);
	if (m->next == m->nr)
		seg->flags |= m->late;
	return p;
}

/*
 * Every segment prediction did not take (@doff its header length): its
 * options parsed, the segment handed to the engine. Out of line, so that
 * tcp_rx's predicted path carries none of its frame.
 */
static __attribute__((noinline)) void
tcp_rx_parsed(struct bypass_stack *st, struct bypass_buf *b,
	      const struct ipv4_rx *rx, uint32_t doff)
{
	const struct tcphdr *th = (const struct tcphdr *)b->data;
	const uint8_t *raw = b->data;
	struct bypass_tcp_seg seg;
	struct tcp_rx_merge m;
	uint16_t left = 0;	/* pieces of a merged segment to come */

	/* Every field stored once: nothing cleared first. */
	if (!tcp_opts_fast_ts(raw + sizeof(*th), doff - sizeof(*th), &seg.opt) &&
	    tcp_opts_parse(raw + sizeof(*th), doff - sizeof(*th), &seg.opt)) {
		stack_drop(st, b, BYPASS_DROP_TCP_BAD_OPTIONS);
		return;
	}
	seg.saddr = rx->src;
	seg.daddr = rx->dst;
	seg.sport = ntohs(th->source);
	seg.dport = ntohs(th->dest);
	seg.seq = ntohl(th->seq);
	seg.ack = ntohl(th->ack_seq);
	seg.flags = th->flags & 0x3f;
	seg.win = ntohs(th->window);
	seg.gso_size = 0;
	seg.tmpl = NULL;
	st->c.tcp.rx++;
	buf_pull(b, doff);
	if (__builtin_expect(st->rx_chain_nr, 0))
		left = tcp_rx_merge_start(st, &m, &seg, b->len);
	/* One call site of the engine: it is inlined here. */
piece:
	seg.len = b->len;
	if (b->len) {
		seg.nr_frags = 1;
		seg.frag[0].buf = b;
		seg.frag[0].len = b->len;
	} else {
		seg.nr_frags = 0;
		bypass_buf_put(b);
		/* A piece of headers only is no ACK of its own. */
		if (left)
			goto next;
	}
	bypass_tcp_input(st->tcp, &seg);
next:
	if (__builtin_expect(left, 0)) {
		b = tcp_rx_merge_next(&m, &seg);
		left--;
		goto piece;
	}
}

void tcp_rx(struct bypass_stack *st, struct bypass_buf *b,
	    const struct ipv4_rx *rx)
{
	const struct tcphdr *th = (const struct tcphdr *)b->data;
	uint32_t doff;

	if (b->len < sizeof(*th)) {
		stack_drop(st, b, BYPASS_DROP_TCP_SHORT);
		return;
	}
	doff = (th->doff >> 4) * 4u;
	if (doff < sizeof(*th) || doff > b->len) {
		stack_drop(st, b, BYPASS_DROP_TCP_BAD_OFFSET);
		return;
	}
	if (!st->rx_l4_valid) {
		uint32_t sum = ipv4_pseudo_sum(rx->src, rx->dst, IPPROTO_TCP,
					       (uint16_t)(b->len + st->rx_chain_len));

		sum = bypass_csum_partial(th, b->len, sum);
		if (__builtin_expect(st->rx_chain_nr, 0))
			sum = tcp_rx_chain_sum(st, sum, b->len);
		if (bypass_csum_fold(sum)) {
			stack_drop(st, b, BYPASS_DROP_TCP_BAD_CSUM);
			return;
		}
	}
	/*
	 * RFC 1122 4.2.3.10: no connection with a broadcast or group. A
	 * link broadcast may be to our own address, so a connection's, but
	 * prediction matches a connection's own address only, never a group.
	 */
	if (rx->broadcast)
		goto broadcast;
	/* The common segment, from its header words without parsing. */
	if (__builtin_expect(!st->rx_chain_nr, 1) &&
	    tcp_input_wire(st->tcp, rx->src, rx->dst, b)) {
		st->c.tcp.rx++;
		return;
	}
	if (ipv4_is_multicast(rx->dst))
		goto broadcast;
	tcp_rx_parsed(st, b, rx, doff);
	return;
broadcast:
	stack_drop(st, b, BYPASS_DROP_TCP_BROADCAST);
}
