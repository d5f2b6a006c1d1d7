// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Received data: in-order bytes go to the receive queue in the buffers
 * they came in; out-of-order segments wait, trimmed of overlap, in a
 * sorted array of at most ooo_bufs buffers (the memory bound: when it is
 * full, the segment farthest from rcv_nxt is the one dropped) until the
 * hole before them fills. What waits is reported to the peer as SACK
 * blocks (RFC 2018).
 */
#include <string.h>

#include "tcp.h"

static void rcvq_append(struct tcp_conn *c, struct bypass_buf *b)
{
	b->next = NULL;
	if (c->rcvq_tail)
		c->rcvq_tail->next = b;
	else
		c->rcvq_head = b;
	c->rcvq_tail = b;
	c->rcvq_bytes += b->len;
	c->rcv_nxt += b->len;
}

/* Drop the first @n bytes of @b. */
static void trim_front(struct bypass_buf *b, uint32_t n)
{
	b->data += n;
	b->len -= n;
}

static void ooo_remove(struct tcp_conn *c, uint32_t i)
{
	memmove(&c->ooo[i], &c->ooo[i + 1],
		(c->nr_ooo - i - 1) * sizeof(c->ooo[0]));
	c->nr_ooo--;
}

/* Move what the hole's filling made in-order to the receive queue. */
static void ooo_drain(struct tcp_conn *c)
{
	while (c->nr_ooo && seq_leq(c->ooo[0].seq, c->rcv_nxt)) {
		struct tcp_chunk *k = &c->ooo[0];
		uint32_t skip = c->rcv_nxt - k->seq;
		struct bypass_buf *b = k->buf;

		ooo_remove(c, 0);
		if (skip >= b->len) {
			bypass_buf_put(b);
			continue;
		}
		trim_front(b, skip);
		rcvq_append(c, b);
	}
}

static void ooo_insert(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq)
{
	uint32_t cap = c->tcp->cfg.ooo_bufs, i, j;

	/* First entry starting after @seq. */
	for (i = 0; i < c->nr_ooo && seq_leq(c->ooo[i].seq, seq); i++)
		;
	if (i) {
		struct tcp_chunk *p = &c->ooo[i - 1];
		uint32_t pend = p->seq + p->buf->len;

		if (seq_geq(pend, seq + b->len)) {
			bypass_buf_put(b);	/* already held */
			return;
		}
		if (seq_gt(pend, seq)) {
			trim_front(b, pend - seq);
			seq = pend;
		}
	}
	/* Drop later entries the new segment covers, trim its overlap. */
	while (i < c->nr_ooo &&
	       seq_geq(seq + b->len, c->ooo[i].seq + c->ooo[i].buf->len)) {
		bypass_buf_put(c->ooo[i].buf);
		ooo_remove(c, i);
	}
	if (i < c->nr_ooo && seq_gt(seq + b->len, c->ooo[i].seq))
		b->len = c->ooo[i].seq - seq;
	if (!b->len) {
		bypass_buf_put(b);	/* it only bridged two held entries */
		return;
	}
	if (c->nr_ooo == cap) {
		if (i == cap) {
			bypass_buf_put(b);
			return;
		}
		bypass_buf_put(c->ooo[cap - 1].buf);
		c->nr_ooo--;
	}
	for (j = c->nr_ooo; j > i; j--)
		c->ooo[j] = c->ooo[j - 1];
	c->ooo[i].seq = seq;
	c->ooo[i].buf = b;
	c->nr_ooo++;
}

/*
 * tcp_rcv_data - take @b (its data/len the payload, starting at @seq and
 * already trimmed to [rcv_nxt, right edge of the window)).
 */
void tcp_rcv_data(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq)
{
	if (seq == c->rcv_nxt) {
		bool hole = c->nr_ooo;

		rcvq_append(c, b);
		ooo_drain(c);
		/* Filling a hole is acknowledged at once (RFC 5681 4.2). */
		if (hole)
			c->ack_now = true;
		return;
	}
	c->sack_last = seq;
	ooo_insert(c, b, seq);
	/* Out of order: a duplicate ACK at once (RFC 5681 4.2). */
	c->ack_now = true;
}

/*
 * tcp_sack_blocks - up to @max blocks of contiguous out-of-order data in
 * @o: first the one holding the latest arrival (RFC 2018 section 4), then
 * the others from the lowest.
 */
void tcp_sack_blocks(const struct tcp_conn *c, struct bypass_tcp_opts *o,
		     uint32_t max)
{
	uint32_t i = 0, n = 0, first = UINT32_MAX;
	struct { uint32_t start, end; } blk[BYPASS_TCP_SACK_MAX * 8];

	/* Merge touching entries into blocks. */
	while (i < c->nr_ooo && n < sizeof(blk) / sizeof(blk[0])) {
		uint32_t start = c->ooo[i].seq;
		uint32_t end = start + c->ooo[i].buf->len;

		for (i++; i < c->nr_ooo && c->ooo[i].seq == end; i++)
			end += c->ooo[i].buf->len;
		if (seq_in(c->sack_last, start, end))
			first = n;
		blk[n].start = start;
		blk[n].end = end;
		n++;
	}
	o->nr_sack = 0;
	if (first != UINT32_MAX) {
		o->sack[0].start = blk[first].start;
		o->sack[0].end = blk[first].end;
		o->nr_sack = 1;
	}
	for (i = 0; i < n && o->nr_sack < max; i++) {
		if (i == first)
			continue;
		o->sack[o->nr_sack].start = blk[i].start;
		o->sack[o->nr_sack].end = blk[i].end;
		o->nr_sack++;
	}
}

void tcp_reass_purge(struct tcp_conn *c)
{
	while (c->nr_ooo) {
		bypass_buf_put(c->ooo[c->nr_ooo - 1].buf);
		c->nr_ooo--;
	}
}
