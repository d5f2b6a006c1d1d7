// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Received data: in-order bytes go to the receive queue in the buffers
 * they came in; out-of-order segments wait, trimmed of overlap, in a
 * sorted array of at most ooo_bufs buffers (when it is full, the segment
 * farthest from rcv_nxt is the one dropped) until the hole before them
 * fills. What waits is reported to the peer as SACK blocks (RFC 2018),
 * bytes that arrive twice as a D-SACK block (RFC 2883).
 *
 * The memory bound: a connection holds at most rcv_bufs buffers, queue
 * and store together, whatever the segments' sizes. At the bound, small
 * segments are copied into the free room after the bytes of the buffer
 * before them (the only copy on the receive path, for a peer sending
 * tiny segments); a segment that still finds no room is dropped, for
 * the peer to send again once the application has read.
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
	c->rcvq_nbufs++;
	c->rcvq_bytes += b->len;
	c->rcv_nxt += b->len;
}

static uint32_t held(const struct tcp_conn *c)
{
	return c->rcvq_nbufs + c->nr_ooo;
}

/* Free bytes after @b's data, when nobody else holds @b to see them. */
static uint32_t room_after(const struct bypass_buf *b)
{
	if (b->refcnt != 1)
		return 0;
	return (uint32_t)(b->head + b->size - (b->data + b->len));
}

/* Copy @b's bytes after @dst's and free @b. */
static void absorb(struct tcp_conn *c, struct bypass_buf *dst,
		   struct bypass_buf *b)
{
	memcpy(dst->data + dst->len, b->data, b->len);
	dst->len += b->len;
	bypass_buf_put(b);
	c->tcp->stats.rcv_collapsed++;
}

/*
 * Coalesce the receive queue: each buffer whose bytes fit in the room
 * after the previous one's is copied there and freed. A pair found not
 * to fit stays so (reads take from the head, arrivals add at the tail),
 * so each walk resumes at the tail the last one ended on.
 */
static void rcvq_collapse(struct tcp_conn *c)
{
	struct bypass_buf *prev = c->rcvq_packed ? c->rcvq_packed :
				  c->rcvq_head, *b;

	if (!prev)
		return;
	while ((b = prev->next)) {
		if (room_after(prev) >= b->len) {
			prev->next = b->next;
			b->next = NULL;
			absorb(c, prev, b);
			c->rcvq_nbufs--;
		} else {
			prev = b;
		}
	}
	c->rcvq_tail = prev;
	c->rcvq_packed = prev;
}

/*
 * Queue in-order @b within the rcv_bufs bound: at the bound its bytes
 * join the tail's, or the queue is coalesced to make room. False when
 * neither helps; @b is then still the caller's.
 */
static bool rcvq_add(struct tcp_conn *c, struct bypass_buf *b)
{
	struct bypass_buf *t = c->rcvq_tail;

	if (held(c) >= c->tcp->cfg.rcv_bufs) {
		if (t && room_after(t) >= b->len) {
			c->rcvq_bytes += b->len;
			c->rcv_nxt += b->len;
			absorb(c, t, b);
			return true;
		}
		rcvq_collapse(c);
		if (held(c) >= c->tcp->cfg.rcv_bufs)
			return false;
	}
	rcvq_append(c, b);
	return true;
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
	tcp_pred_update(c);
}

/*
 * tcp_dsack_note - [@start, @end) arrived twice: the next ACK reports it
 * in a D-SACK block (RFC 2883) when SACK is on. The first duplicate of
 * a segment is the one reported.
 */
void tcp_dsack_note(struct tcp_conn *c, uint32_t start, uint32_t end)
{
	if (!c->sack_ok || !seq_lt(start, end))
		return;
	c->dsack = true;
	c->dsack_start = start;
	c->dsack_end = end;
}

/*
 * Move what the hole's filling made in-order to the receive queue; each
 * buffer leaves the store as it joins the queue, so the bound holds.
 * Bytes the filling segment brought again are duplicates.
 */
static void ooo_drain(struct tcp_conn *c)
{
	bool dup = false;

	while (c->nr_ooo && seq_leq(c->ooo[0].seq, c->rcv_nxt)) {
		struct tcp_chunk *k = &c->ooo[0];
		uint32_t skip = c->rcv_nxt - k->seq;
		struct bypass_buf *b = k->buf;

		if (skip && !dup) {
			dup = true;
			tcp_dsack_note(c, k->seq, skip >= b->len ?
				       k->seq + b->len : c->rcv_nxt);
		}
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
	uint32_t cap = c->tcp->cfg.ooo_bufs, i, j, left;
	bool dup = false;

	/* First entry starting after @seq. */
	for (i = 0; i < c->nr_ooo && seq_leq(c->ooo[i].seq, seq); i++)
		;
	/* Each overlap is a duplicate: the first one is reported. */
	if (i) {
		struct tcp_chunk *p = &c->ooo[i - 1];
		uint32_t pend = p->seq + p->buf->len;

		if (seq_geq(pend, seq + b->len)) {
			tcp_dsack_note(c, seq, seq + b->len);
			bypass_buf_put(b);	/* already held */
			return;
		}
		if (seq_gt(pend, seq)) {
			tcp_dsack_note(c, seq, pend);
			dup = true;
			trim_front(b, pend - seq);
			seq = pend;
		}
	}
	/* Drop later entries the new segment covers, trim its overlap. */
	while (i < c->nr_ooo &&
	       seq_geq(seq + b->len, c->ooo[i].seq + c->ooo[i].buf->len)) {
		if (!dup)
			tcp_dsack_note(c, c->ooo[i].seq,
				       c->ooo[i].seq + c->ooo[i].buf->len);
		dup = true;
		bypass_buf_put(c->ooo[i].buf);
		ooo_remove(c, i);
	}
	if (i < c->nr_ooo && seq_gt(seq + b->len, c->ooo[i].seq)) {
		if (!dup)
			tcp_dsack_note(c, c->ooo[i].seq, seq + b->len);
		b->len = c->ooo[i].seq - seq;
	}
	if (!b->len) {
		bypass_buf_put(b);	/* it only bridged two held entries */
		return;
	}
	/* The store gets what the rcv_bufs bound leaves it. */
	if (held(c) >= c->tcp->cfg.rcv_bufs)
		rcvq_collapse(c);
	left = c->tcp->cfg.rcv_bufs - c->rcvq_nbufs;
	if (cap > left)
		cap = left;
	if (c->nr_ooo >= cap) {
		c->tcp->stats.ooo_dropped++;
		if (i >= cap) {
			bypass_buf_put(b);
			return;
		}
		bypass_buf_put(c->ooo[c->nr_ooo - 1].buf);
		c->nr_ooo--;
	}
	for (j = c->nr_ooo; j > i; j--)
		c->ooo[j] = c->ooo[j - 1];
	c->ooo[i].seq = seq;
	c->ooo[i].buf = b;
	c->nr_ooo++;
	tcp_pred_update(c);
}

/*
 * tcp_rcv_data - take @b (its data/len the payload, starting at @seq and
 * already trimmed to [rcv_nxt, right edge of the window)).
 */
void tcp_rcv_data(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq)
{
	if (seq == c->rcv_nxt) {
		bool hole = c->nr_ooo;

		if (!rcvq_add(c, b)) {
			bypass_buf_put(b);
			c->tcp->stats.rcv_dropped++;
			/* As Linux out of receive memory: tell the peer at once. */
			c->ack_now = true;
			return;
		}
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
 * tcp_rcv_in_order - take @b, at rcv_nxt, while nothing waits out of
 * order (header prediction): appended when the connection holds fewer
 * than rcv_bufs buffers, else as tcp_rcv_data() would. Once per predicted
 * segment with data: inlined into the receive path by the link-time
 * optimisation (an ordinary call without it).
 */
inline __attribute__((always_inline)) void
tcp_rcv_in_order(struct tcp_conn *c, struct bypass_buf *b)
{
	if (__builtin_expect(held(c) < c->tcp->cfg.rcv_bufs, 1))
		rcvq_append(c, b);
	else
		tcp_rcv_data(c, b, c->rcv_nxt);
}

/*
 * tcp_sack_blocks - up to @max blocks in @o: a duplicate to report first
 * (D-SACK, RFC 2883), then the blocks of contiguous out-of-order data,
 * the one holding the latest arrival first (RFC 2018 section 4; for a
 * duplicate of out-of-order data, the block holding it), then the others
 * from the lowest.
 */
void tcp_sack_blocks(const struct tcp_conn *c, struct bypass_tcp_opts *o,
		     uint32_t max)
{
	uint32_t i = 0, n = 0, first = UINT32_MAX;
	struct { uint32_t start, end; } blk[BYPASS_TCP_SACK_MAX * 8];
	uint32_t d = 0;

	o->nr_sack = 0;
	if (c->dsack) {
		o->sack[0].start = c->dsack_start;
		o->sack[0].end = c->dsack_end;
		o->nr_sack = 1;
		d = 1;
	}

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
	if (first != UINT32_MAX && o->nr_sack < max) {
		o->sack[d].start = blk[first].start;
		o->sack[d].end = blk[first].end;
		o->nr_sack++;
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
	tcp_pred_update(c);
}
