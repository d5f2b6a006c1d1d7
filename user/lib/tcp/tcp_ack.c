// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * When the receiver acknowledges: once per receive batch, as Linux does
 * for a GRO packet (__tcp_ack_snd_check). In-order data only marks the
 * connection; at the end of the batch (bypass_tcp_poll, which the stack
 * calls after its RX batch) one cumulative ACK goes out when more than
 * rcv_mss (the peer's segment size: two full segments or more) is
 * unacknowledged, counted in bytes so that a merged frame of several
 * segments counts as them, or in quick-ACK mode; otherwise the
 * delayed ACK waits for a reply to carry it. Quick-ACK mode (Linux's
 * tcp_incr_quickack) starts with the first data and after an idle time
 * longer than the RTO, for up to 16 ACKs, and is off while the
 * connection is interactive (pingpong: the application replied soon
 * after data came, three times; a delayed ACK that had to fire ends
 * that). Out-of-order data, a filled hole, old data and a FIN are
 * acknowledged at once by the segment's own processing, as before; a
 * window the application's reads opened is advertised at the batch end.
 */
#include "tcp.h"

#define TCP_MAX_QUICKACKS	16u	/* Linux's TCP_MAX_QUICKACKS */
#define TCP_PINGPONG_THRESH	3u	/* Linux 6.1's TCP_PINGPONG_THRESH */

/* Quick-ACK mode for up to half the window in segments, 16 at most. */
static void quickack_enter(struct tcp_conn *c)
{
	uint32_t seg2 = 2 * c->rcv_mss, win = tcp_rcv_window(c), n;

	n = win >= TCP_MAX_QUICKACKS * seg2 ? TCP_MAX_QUICKACKS : win / seg2;
	if (!n)
		n = 2;
	if (n > c->quickacks)
		c->quickacks = (uint8_t)n;
}

void tcp_ack_decide_later(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;

	if (c->upd_pprev)
		return;
	c->upd_next = tcp->upd;
	if (c->upd_next)
		c->upd_next->upd_pprev = &c->upd_next;
	c->upd_pprev = &tcp->upd;
	tcp->upd = c;
}

/* Whether an ACK that is owed is to go now; @mss is c->rcv_mss. */
static bool owed_ack_due(const struct tcp_conn *c, uint32_t mss)
{
	/* More than a full segment, i.e. two or more (Linux's check). */
	if (c->ack_now || c->rcv_nxt - c->last_ack_sent > mss)
		return true;
	return c->quickacks && c->pingpong < TCP_PINGPONG_THRESH;
}

/* Whether the ACK owed for in-order data is to go now. */
static bool ack_due(const struct tcp_conn *c)
{
	return c->ack_pending && owed_ack_due(c, c->rcv_mss);
}

/*
 * Once per segment with data: inlined into the receive path by the
 * link-time optimisation (an ordinary call without it).
 */
inline __attribute__((always_inline)) void
tcp_ack_data(struct tcp_conn *c, uint32_t len, uint64_t now)
{
	uint32_t mss = c->rcv_mss;

	/* As Linux's tcp_measure_rcv_mss: the largest seen, up to ours. */
	if (len > mss) {
		mss = len < c->tcp->cfg.mss ? len : c->tcp->cfg.mss;
		c->rcv_mss = mss;
	}
	/* The first data, or data after an idle time: quick ACKs. */
	if (now - c->last_data_ns > c->rto_ns)
		quickack_enter(c);
	c->last_data_ns = now;
	c->ack_pending = true;
	if (!tcp_timer_armed(&c->delack_timer))
		tcp_timer_set(&c->tcp->wheel, &c->delack_timer,
			      now + c->tcp->cfg.delack_ns);
	/*
	 * More data can only make the ACK due, never not: the connection
	 * waits for the batch's end once it is (a lone segment that keeps
	 * its delayed ACK costs the batch nothing).
	 */
	if (owed_ack_due(c, mss))
		tcp_ack_decide_later(c);
}

void tcp_ack_reply(struct tcp_conn *c, uint64_t now)
{
	if (c->pingpong >= TCP_PINGPONG_THRESH || c->reply_seq == c->rcv_nxt ||
	    now - c->last_data_ns >= c->tcp->cfg.delack_ns)
		return;
	c->reply_seq = c->rcv_nxt;
	c->pingpong++;
}

void tcp_ack_batch_end(struct bypass_tcp *tcp)
{
	struct tcp_conn *c;

	while ((c = tcp->upd)) {
		tcp_upd_remove(c);
		if (ack_due(c)) {
			if (c->quickacks)
				c->quickacks--;
			tcp_send_ack(c);
		} else if (tcp_window_update_due(c)) {
			tcp_send_ack(c);
		}
	}
}
