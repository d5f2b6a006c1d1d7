// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Building and sending segments: control segments (SYN, FIN, RST, ACK),
 * data segments cut from the send queue within the send and congestion
 * windows and Nagle's algorithm, the advertised receive window with
 * receiver-side silly-window avoidance, and resets for unknown segments.
 * A data segment gathers slices of queued buffers, handed to the output
 * callback without copying.
 */
#include <string.h>

#include "tcp.h"

#define TCP_MSS_FRAGS	8	/* slices gathered into one MSS at most */

uint32_t tcp_ts_now(const struct tcp_conn *c, uint64_t now_ns)
{
	return (uint32_t)(now_ns / 1000000) + c->ts_offset;
}

uint32_t tcp_flight(const struct tcp_conn *c)
{
	return c->snd_nxt - c->snd_una;
}

/* The window field to send, moving rcv_adv (never backwards). */
static inline __attribute__((always_inline))
uint16_t adv_window(struct tcp_conn *c, bool syn)
{
	const struct bypass_tcp_config *cfg = &c->tcp->cfg;
	uint32_t space = tcp_rcv_space(c, cfg);
	uint32_t right = c->rcv_nxt + space, field;

	if (syn) {
		field = space > TCP_MAX_WIN ? TCP_MAX_WIN : space;
		c->rcv_adv = c->rcv_nxt + field;
		return (uint16_t)field;
	}
	/*
	 * Open the window only by worthwhile amounts (RFC 9293 3.8.6.2.2):
	 * by a segment, or half the buffer when that is less; and never
	 * shrink it (one signed test for both: less than that, or behind).
	 */
	if ((int32_t)(right - c->rcv_adv) <
	    (int32_t)(c->mss < cfg->rcvbuf / 2 ? c->mss : cfg->rcvbuf / 2))
		right = c->rcv_adv;
	field = (right - c->rcv_nxt + (1u << c->rcv_wscale) - 1) >> c->rcv_wscale;
	if (field > TCP_MAX_WIN)
		field = TCP_MAX_WIN;
	c->rcv_adv = c->rcv_nxt + (field << c->rcv_wscale);
	return (uint16_t)field;
}

/*
 * A segment of a synchronized connection (no SYN, no RST): every header
 * field and option stored once, nothing cleared first, and the
 * connection's header template named for the output.
 */
static inline __attribute__((always_inline))
void seg_fill(struct tcp_conn *c, struct bypass_tcp_seg *s, uint8_t flags,
	      uint32_t seq, uint32_t ts)
{
	s->saddr = c->laddr;
	s->daddr = c->raddr;
	s->sport = c->lport;
	s->dport = c->rport;
	s->seq = seq;
	s->ack = c->rcv_nxt;	/* ACK is set on all of them */
	s->flags = flags;
	s->win = adv_window(c, false);
	s->gso_size = 0;
	s->tmpl = &c->tmpl;
	s->opt.has_mss = false;
	s->opt.has_wscale = false;
	s->opt.sack_ok = false;
	s->opt.mss = 0;
	s->opt.wscale = 0;
	s->opt.has_ts = c->ts_ok;
	s->opt.ts_val = c->ts_ok ? ts : 0;
	s->opt.ts_ecr = c->ts_ok ? c->ts_recent : 0;
	s->opt.nr_sack = 0;
	s->len = 0;
	s->nr_frags = 0;
	/* 40 bytes of options: 4 blocks, 3 next to a timestamp. */
	if (__builtin_expect(c->sack_ok && (c->nr_ooo || c->dsack), 0)) {
		tcp_sack_blocks(c, &s->opt, c->ts_ok ? 3 : 4);
		c->dsack = false;	/* reported once */
	}
}

static void seg_init(struct tcp_conn *c, struct bypass_tcp_seg *s,
		     uint8_t flags, uint32_t seq, uint64_t now)
{
	if (__builtin_expect(!(flags & (BYPASS_TCP_SYN | BYPASS_TCP_RST)) &&
			     (flags & BYPASS_TCP_ACK), 1)) {
		seg_fill(c, s, flags, seq, tcp_ts_now(c, now));
		return;
	}
	tcp_seg_clear(s);
	s->saddr = c->laddr;
	s->daddr = c->raddr;
	s->sport = c->lport;
	s->dport = c->rport;
	s->seq = seq;
	s->flags = flags;
	if (flags & BYPASS_TCP_ACK)
		s->ack = c->rcv_nxt;
	if (flags & BYPASS_TCP_RST)
		return;
	s->win = adv_window(c, flags & BYPASS_TCP_SYN);
	if (flags & BYPASS_TCP_SYN) {
		s->opt.has_mss = true;
		s->opt.mss = c->tcp->cfg.mss;
		/* A SYN offers; a SYN-ACK answers what the peer offered. */
		if (!(flags & BYPASS_TCP_ACK) || c->ws_ok) {
			s->opt.has_wscale = true;
			s->opt.wscale = c->rcv_wscale;
		}
		if (!(flags & BYPASS_TCP_ACK) || c->ts_ok) {
			s->opt.has_ts = true;
			s->opt.ts_val = tcp_ts_now(c, now);
			s->opt.ts_ecr = (flags & BYPASS_TCP_ACK) ? c->ts_recent : 0;
		}
		if (!(flags & BYPASS_TCP_ACK) || c->sack_ok)
			s->opt.sack_ok = true;
		return;
	}
	/* No ACK, no SYN, no RST: sent by nothing; as seg_fill, no SACK. */
	if (c->ts_ok) {
		s->opt.has_ts = true;
		s->opt.ts_val = tcp_ts_now(c, now);
		s->opt.ts_ecr = c->ts_recent;
	}
}

/* A segment acknowledging @ack goes out: no ACK is owed after it. */
static inline void ack_sent(struct tcp_conn *c, uint32_t ack)
{
	c->ack_pending = false;
	c->ack_now = false;
	c->last_ack_sent = ack;
	tcp_timer_clear(&c->delack_timer);
}

/* An ACK goes out with every segment: no ACK is owed after it. */
static void xmit(struct tcp_conn *c, struct bypass_tcp_seg *s)
{
	struct bypass_tcp *tcp = c->tcp;

	if (s->flags & BYPASS_TCP_ACK)
		ack_sent(c, s->ack);
	tcp->ops.output(tcp->ctx, s);
}

void tcp_send_ctl(struct tcp_conn *c, uint8_t flags, uint32_t seq)
{
	struct bypass_tcp_seg s;

	seg_init(c, &s, flags, seq, tcp_now(c->tcp));
	xmit(c, &s);
}

/*
 * A pure ACK carries the highest sequence number sent: after an RTO pulls
 * snd_nxt back, the peer may have received up to snd_max, and an ACK below
 * its RCV.NXT would be dropped as unacceptable, ACK field and all.
 */
void tcp_send_ack(struct tcp_conn *c)
{
	tcp_send_ctl(c, BYPASS_TCP_ACK, c->snd_max);
}

static struct tcp_chunk *chunk(struct tcp_conn *c, uint32_t i)
{
	return &c->sndq[(c->sndq_head + i) & c->tcp->sndq_mask];
}

/*
 * Position in the send queue of the chunk holding @seq, or sndq_len when
 * none does: a binary search of the ring.
 */
static inline __attribute__((always_inline))
uint32_t chunk_at(struct tcp_conn *c, uint32_t seq)
{
	uint32_t lo = 0, hi = c->sndq_len;

	/* New data is in the last chunk, or none: look there first. */
	if (hi) {
		struct tcp_chunk *k = chunk(c, hi - 1);

		if (seq_geq(seq, k->seq))
			return seq_lt(seq, k->seq + k->buf->len) ? hi - 1 : hi;
	}

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct tcp_chunk *k = chunk(c, mid);

		if (seq_lt(seq, k->seq))
			hi = mid;
		else if (seq_geq(seq, k->seq + k->buf->len))
			lo = mid + 1;
		else
			return mid;
	}
	return c->sndq_len;
}

void tcp_sndq_replace(struct tcp_conn *c, uint32_t seq, struct bypass_buf *old,
		      struct bypass_buf *copy)
{
	uint32_t i = chunk_at(c, seq);
	struct tcp_chunk *k = i < c->sndq_len ? chunk(c, i) : NULL;

	if (!k || k->buf != old) {	/* not queued: nothing to replace */
		bypass_buf_put(copy);
		return;
	}
	k->buf = copy;
	bypass_buf_put(old);
}

static bool fin_sent(const struct tcp_conn *c)
{
	return c->fin_queued && seq_gt(c->snd_nxt, c->snd_end);
}

/*
 * The most payload one segment handed to output may carry: one MSS, or
 * with TSO as many whole MSS as tso_max holds.
 */
static uint32_t seg_max(const struct tcp_conn *c)
{
	uint32_t tso = c->tcp->cfg.tso_max;

	if (tso <= c->mss)
		return c->mss;
	return tso - tso % c->mss;
}

/*
 * Send one segment at @seq: at most @max bytes of data (and the FIN when
 * the data ends there), up to seg_max(), with TS value @ts (tcp_ts_now()).
 * Returns the sequence space used.
 */
static inline __attribute__((always_inline))
uint32_t send_at_inline(struct tcp_conn *c, uint32_t seq, uint32_t max,
			uint32_t ts)
{
	uint32_t i = chunk_at(c, seq), want = max < c->mss ? max : c->mss;
	/* One MSS gathers at most TCP_MSS_FRAGS slices; a TSO segment more. */
	uint32_t len = 0, nr = 0, max_nr = TCP_MSS_FRAGS;
	uint8_t flags = BYPASS_TCP_ACK;
	struct bypass_tcp_seg s;
	struct bypass_tcp_frag *frag = s.frag;	/* seg_init leaves them */

	if (__builtin_expect(max > c->mss && c->tcp->cfg.tso_max > c->mss, 0)) {
		want = seg_max(c);
		if (want > max)
			want = max;
		max_nr = BYPASS_TCP_MAX_FRAGS;
	}
	/* Gather queued buffers into one segment, without copying. */
	for (; i < c->sndq_len && len < want && nr < max_nr; i++) {
		struct tcp_chunk *k = chunk(c, i);
		uint32_t off = seq + len - k->seq, n = k->buf->len - off;

		if (n > want - len)
			n = want - len;
		frag[nr].buf = k->buf;
		frag[nr].off = off;
		frag[nr].len = n;
		nr++;
		len += n;
	}
	if (seq + len == c->snd_end) {
		if (len)
			flags |= BYPASS_TCP_PSH;
		if (c->fin_queued)
			flags |= BYPASS_TCP_FIN;
	}
	/* Data and FIN of a synchronized connection: no SYN, no RST. */
	seg_fill(c, &s, flags, seq, ts);
	if (len > c->mss)
		s.gso_size = c->mss;
	s.len = len;
	s.nr_frags = (uint8_t)nr;
	xmit(c, &s);
	return len + !!(flags & BYPASS_TCP_FIN);
}

/* send_at_inline() where speed matters less: one copy of the code. */
static uint32_t __attribute__((noinline))
send_at_ts(struct tcp_conn *c, uint32_t seq, uint32_t max, uint32_t ts)
{
	return send_at_inline(c, seq, max, ts);
}

static uint32_t send_at(struct tcp_conn *c, uint32_t seq, uint32_t max,
			uint64_t now)
{
	return send_at_ts(c, seq, max, tcp_ts_now(c, now));
}

/* Send [@seq, +@max) (and a FIN ending there) without moving snd_nxt. */
uint32_t tcp_send_range(struct tcp_conn *c, uint32_t seq, uint32_t max)
{
	return send_at(c, seq, max, tcp_now(c->tcp));
}

void tcp_retransmit_first(struct tcp_conn *c)
{
	uint64_t now = tcp_now(c->tcp);

	if (c->snd_una == c->iss) {
		tcp_send_ctl(c, c->state == BYPASS_TCP_SYN_SENT ? BYPASS_TCP_SYN :
			     BYPASS_TCP_SYN | BYPASS_TCP_ACK, c->iss);
		return;
	}
	if (c->snd_una == c->snd_nxt)
		return;
	send_at(c, c->snd_una, c->mss, now);
}

/* Minshall: a short segment sent is not yet acknowledged. */
static bool short_unacked(const struct tcp_conn *c)
{
	return seq_gt(c->snd_sml, c->snd_una) &&
	       seq_leq(c->snd_sml, c->snd_nxt);
}

/* The states that send data (and a FIN after it): one test of a mask. */
#define TCP_SEND_STATES	(1u << BYPASS_TCP_ESTABLISHED | 1u << BYPASS_TCP_CLOSE_WAIT | \
			 1u << BYPASS_TCP_FIN_WAIT_1 | 1u << BYPASS_TCP_CLOSING | \
			 1u << BYPASS_TCP_LAST_ACK)

static bool can_send_data(uint8_t state)
{
	return (TCP_SEND_STATES >> state) & 1;
}

/*
 * All sent (the common end): as snd_max cannot pass it without a FIN,
 * nothing is to be skipped after an RTO either.
 */
static bool all_sent(const struct tcp_conn *c)
{
	return c->snd_nxt == c->snd_end && !c->fin_queued;
}

/*
 * send_at() of the last @len bytes queued, which end chunk @k: one slice,
 * pushed (no FIN is queued), built for the output callback. Out of line:
 * its segment structure stays off the stack of the common send.
 */
static uint32_t __attribute__((noinline))
send_tail(struct tcp_conn *c, struct tcp_chunk *k, uint32_t len, uint32_t ts)
{
	struct bypass_tcp_seg s;

	seg_fill(c, &s, BYPASS_TCP_ACK | BYPASS_TCP_PSH, c->snd_nxt, ts);
	s.frag[0].buf = k->buf;
	s.frag[0].off = c->snd_nxt - k->seq;
	s.frag[0].len = len;
	s.len = len;
	s.nr_frags = 1;
	xmit(c, &s);
	return len;
}

/*
 * send_at() of all of the last buffer queued, chunk @k, @len bytes (from
 * snd_nxt, no FIN queued), pushed. When no SACK blocks are due and the
 * stack built the connection's template, the stack writes the header
 * from it straight in front of the payload (tcp_stack_emit()); otherwise,
 * or when the buffer cannot take the headers there, the segment is built
 * for the output callback (send_tail()).
 */
static inline __attribute__((always_inline))
uint32_t send_whole(struct tcp_conn *c, struct tcp_chunk *k, uint32_t len,
		    uint32_t ts)
{
	if (__builtin_expect(c->tmpl_emit && !(c->nr_ooo | c->dsack) &&
			     len <= c->tmpl.max_len, 1) &&
	    tcp_stack_emit(c->tcp->ctx, c, k->buf, BYPASS_TCP_ACK | BYPASS_TCP_PSH,
			   adv_window(c, false), ts) <= 0) {
		ack_sent(c, c->rcv_nxt);
		return len;
	}
	return send_tail(c, k, len, ts);
}

/*
 * New data leaves at @now (TS value @ts): time its round trip unless a
 * segment is timed already, and when nothing was in flight, no valid echo
 * is older than this.
 */
static inline void new_data_timing(struct tcp_conn *c, uint64_t now,
				   uint32_t ts)
{
	if (!c->rtt_timing) {
		c->rtt_timing = true;
		c->rtt_seq = c->snd_nxt;
		c->rtt_start_ns = now;
	}
	if (c->snd_una == c->snd_max)
		c->ts_echo_min = ts;
}

/*
 * The common send, with fewer tests than output_queued()'s loop, which it
 * does as that would: new data only (nothing to send again, so nothing
 * SACKed to skip), no FIN, at most one MSS, inside both windows, not held
 * by Nagle. Returns whether it sent; the loop sends whatever is left.
 */
static inline __attribute__((always_inline))
bool output_new_data(struct tcp_conn *c, uint64_t now, uint32_t ts)
{
	uint32_t avail = c->snd_end - c->snd_nxt, flight = tcp_flight(c);
	/* What would be in flight after: far less than 2^31 (see below). */
	uint32_t after = c->snd_end - c->snd_una, len;
	struct tcp_chunk *k;

	/*
	 * Some data, at most an MSS (avail - 1 wraps when there is none),
	 * inside both windows: with flight + avail, and the send window, less
	 * than 2^31, after beyond snd_una + snd_wnd is after > snd_wnd.
	 */
	if (c->snd_nxt != c->snd_max || c->fin_queued || avail - 1 >= c->mss ||
	    after > c->snd_wnd || after > c->cwnd ||
	    (avail < c->mss && flight && !c->nodelay && short_unacked(c)))
		return false;
	new_data_timing(c, now, ts);
	/*
	 * Most often all of it is the last buffer queued, which ends at
	 * snd_end (no FIN is queued); else maybe the end of that buffer.
	 */
	k = chunk(c, c->sndq_len - 1);
	if (__builtin_expect(k->seq == c->snd_nxt, 1))
		len = send_whole(c, k, avail, ts);
	else if (seq_gt(c->snd_nxt, k->seq) &&
		 k->buf->len - (c->snd_nxt - k->seq) == avail)
		len = send_tail(c, k, avail, ts);
	else
		len = send_at_ts(c, c->snd_nxt, avail, ts);
	c->snd_nxt += len;
	/* Minshall: a short segment. */
	if (len < c->mss)
		c->snd_sml = c->snd_nxt;
	c->snd_max = c->snd_nxt;
	/* tcp_arm_rtx() at the time already read. */
	if (!tcp_timer_armed(&c->rtx_timer))
		tcp_timer_set(&c->tcp->wheel, &c->rtx_timer, now + c->rto_ns);
	return true;
}

/*
 * tcp_output() with data or a FIN to send, after output_new_data() (which
 * @sent): everything else, with TS value @ts at @now.
 */
static void __attribute__((noinline))
output_queued(struct tcp_conn *c, uint64_t now, uint32_t ts, bool sent)
{
	for (;;) {
		uint32_t lim = UINT32_MAX, sacked = 0, avail, out, usable, len;

		if (all_sent(c))
			break;
		/* Going back after an RTO: skip what the peer SACKed. */
		if (c->nr_sacked && seq_lt(c->snd_nxt, c->snd_max))
			lim = tcp_sack_skip(c, &sacked);
		if (fin_sent(c))
			break;
		avail = c->snd_end - c->snd_nxt;
		usable = seq_lt(c->snd_nxt, c->snd_una + c->snd_wnd) ?
			 c->snd_una + c->snd_wnd - c->snd_nxt : 0;
		/* The congestion window counts what is not SACKed. */
		out = tcp_flight(c) - sacked;
		out = c->cwnd > out ? c->cwnd - out : 0;
		if (usable > out)
			usable = out;
		if (!avail) {
			if (!c->fin_queued)
				break;
			/* A lone FIN needs no window. */
			send_at(c, c->snd_nxt, 0, now);
			c->snd_nxt++;
		} else {
			len = avail < c->mss ? avail : c->mss;
			if (__builtin_expect(avail > c->mss, 0)) {
				uint32_t most = seg_max(c);

				len = avail < most ? avail : most;
			}
			if (len > usable)
				len = usable;
			/* TSO cut short: whole segments, none short inside. */
			if (len > c->mss && len < avail)
				len -= len % c->mss;
			if (!len)
				break;
			/* Up to SACKed data: no reason to wait. */
			if (len >= lim) {
				len = lim;
				lim = 0;
			}
			/*
			 * Nagle (RFC 9293 3.7.4) with Minshall's variant, as
			 * Linux: the short tail of the queue waits while a
			 * short segment sent before is unacknowledged, unless
			 * no-delay. Sender-side SWS avoidance: a segment cut
			 * short by the window waits while data is in flight.
			 * (A segment made short by too many small buffers to
			 * gather is not held.)
			 */
			if (len < c->mss && tcp_flight(c) && lim &&
			    ((len == avail && !c->nodelay &&
			      short_unacked(c)) ||
			     (len == usable && len < avail)))
				break;
			if (c->snd_nxt == c->snd_max)
				new_data_timing(c, now, ts);
			else if (c->snd_una == c->snd_max)
				c->ts_echo_min = ts;
			len = send_at_ts(c, c->snd_nxt, len, ts);
			c->snd_nxt += len;
			/* Minshall: the last segment the device cuts too. */
			if ((len < c->mss || (len > c->mss && len % c->mss)) &&
			    seq_gt(c->snd_nxt, c->snd_max))
				c->snd_sml = c->snd_nxt;
		}
		sent = true;
		if (seq_gt(c->snd_nxt, c->snd_max))
			c->snd_max = c->snd_nxt;
		if (!tcp_timer_armed(&c->rtx_timer))
			tcp_arm_rtx(c);
	}
	tcp_cc_sent(c, sent);
	/* Nothing in flight, data waiting, window closed: probe it. */
	if (!tcp_flight(c) && c->snd_end != c->snd_nxt &&
	    !tcp_timer_armed(&c->rtx_timer)) {
		c->persist = true;
		tcp_arm_rtx(c);
	}
	if (!sent && c->ack_now)
		tcp_send_ack(c);
}

/*
 * tcp_output() with data or a FIN to send, at @now. Most often
 * output_new_data() sends all of it: then nothing is left to loop over,
 * no window to probe, no ACK owed, and only the congestion window's use
 * is noted.
 */
static void __attribute__((noinline))
output_send(struct tcp_conn *c, uint64_t now)
{
	uint32_t ts = tcp_ts_now(c, now);
	bool sent = output_new_data(c, now, ts);

	/* It sends no FIN: all is sent when no data is left. */
	if (__builtin_expect(sent && c->snd_nxt == c->snd_end, 1)) {
		tcp_cc_sent(c, true);
		return;
	}
	output_queued(c, now, ts, sent);
}

/*
 * Send what the windows and Nagle allow, else an ACK that is owed now.
 * Most calls (after input) find nothing queued: they stop here.
 */
void tcp_output(struct tcp_conn *c)
{
	if (can_send_data(c->state)) {
		if (!all_sent(c)) {
			output_send(c, tcp_now(c->tcp));
			return;
		}
		tcp_cc_sent(c, false);
	}
	if (c->ack_now)
		tcp_send_ack(c);
}

/*
 * tcp_output() after bytes were queued (never behind a FIN): not all is
 * sent, so a state that sends data goes straight to the sending, at @now
 * (its caller holds the clock at that time).
 */
void tcp_output_data(struct tcp_conn *c, uint64_t now)
{
	if (__builtin_expect(can_send_data(c->state), 1))
		output_send(c, now);
	else
		tcp_output(c);
}

/*
 * Probe a zero window with one byte beyond it (RFC 9293 3.8.6.1): the
 * unacknowledged probe byte again, or a new one.
 */
void tcp_send_probe(struct tcp_conn *c)
{
	uint64_t now = tcp_now(c->tcp);

	if (tcp_flight(c)) {
		send_at(c, c->snd_una, 1, now);
		return;
	}
	if (c->snd_end == c->snd_nxt)
		return;
	c->snd_nxt += send_at(c, c->snd_nxt, 1, now);
	if (seq_gt(c->snd_nxt, c->snd_max))
		c->snd_max = c->snd_nxt;
}

/* RFC 9293 3.10.7.1: answer a segment for no connection with a reset. */
void tcp_send_rst_reply(struct bypass_tcp *tcp, const struct bypass_tcp_seg *in)
{
	struct bypass_tcp_seg s;

	if (in->flags & BYPASS_TCP_RST)
		return;
	memset(&s, 0, sizeof(s));
	s.saddr = in->daddr;
	s.daddr = in->saddr;
	s.sport = in->dport;
	s.dport = in->sport;
	if (in->flags & BYPASS_TCP_ACK) {
		s.seq = in->ack;
		s.flags = BYPASS_TCP_RST;
	} else {
		s.ack = in->seq + in->len + !!(in->flags & BYPASS_TCP_SYN) +
			!!(in->flags & BYPASS_TCP_FIN);
		s.flags = BYPASS_TCP_RST | BYPASS_TCP_ACK;
	}
	tcp->ops.output(tcp->ctx, &s);
}

/*
 * A stateless SYN-ACK whose ISN is a SYN cookie (tcp_cookie.c), and
 * whose TS value, if any, keeps the options of the SYN.
 */
void tcp_send_cookie(struct bypass_tcp *tcp, const struct bypass_tcp_seg *syn,
		     uint64_t now)
{
	uint16_t mss = syn->opt.has_mss ? syn->opt.mss : TCP_MSS_DEFAULT;
	struct bypass_tcp_seg s;

	if (mss > tcp->cfg.mss)
		mss = tcp->cfg.mss;
	memset(&s, 0, sizeof(s));
	s.saddr = syn->daddr;
	s.daddr = syn->saddr;
	s.sport = syn->dport;
	s.dport = syn->sport;
	s.seq = tcp_cookie_make(tcp, syn, mss, now);
	s.ack = syn->seq + 1;
	s.flags = BYPASS_TCP_SYN | BYPASS_TCP_ACK;
	s.win = (uint16_t)(tcp->cfg.rcvbuf > TCP_MAX_WIN ? TCP_MAX_WIN :
			   tcp->cfg.rcvbuf);
	s.opt.has_mss = true;
	s.opt.mss = tcp_cookie_mss(s.seq);
	/* With timestamps, the TS value keeps the other options. */
	if (syn->opt.has_ts) {
		uint32_t off = tcp_ts_offset(tcp, syn->daddr, syn->dport,
					     syn->saddr, syn->sport);

		s.opt.has_ts = true;
		s.opt.ts_val = tcp_cookie_tsval(&syn->opt,
						(uint32_t)(now / 1000000) + off);
		s.opt.ts_ecr = syn->opt.ts_val;
		s.opt.sack_ok = syn->opt.sack_ok;
		if (syn->opt.has_wscale) {
			s.opt.has_wscale = true;
			s.opt.wscale = tcp->rcv_wscale;
		}
	}
	tcp->ops.output(tcp->ctx, &s);
}
