// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Segment arrival (RFC 9293 section 3.10.7): demultiplexing to a
 * connection or listener (or, for an engine of a group, to the engine
 * that owns the flow or listens), the SYN-SENT and LISTEN cases, and for
 * synchronized states the sequence check, PAWS (RFC 7323), RST, SYN and
 * ACK validation against blind attacks (RFC 5961), ACK processing with
 * RTT samples and NewReno, window updates, data and FIN.
 */
#include <errno.h>

#include "tcp.h"

struct seg_ctx {
	struct bypass_tcp_seg *s;
	struct bypass_buf *buf;		/* payload, NULL once consumed */
	uint32_t seglen;		/* data + SYN + FIN */
	uint64_t now;
	uint32_t tw_isn;		/* a SYN that ended TIME_WAIT: its ISN */
};

static bool flag(const struct bypass_tcp_seg *s, uint8_t f)
{
	return s->flags & f;
}

/*
 * RFC 5961 section 7: at most challenge_acks_per_s per second, counted
 * per connection as Linux does (tcp_oow_rate_limited): a budget the
 * whole engine shared would let an off-path attacker see, by exhausting
 * it, whether its guesses hit another connection (CVE-2016-5696).
 */
static void challenge_ack(struct tcp_conn *c, uint64_t now)
{
	uint64_t sec = now / 1000000000 + 1;

	if (sec != c->challenge_sec) {
		c->challenge_sec = sec;
		c->challenge_tokens = c->tcp->cfg.challenge_acks_per_s;
	}
	if (!c->challenge_tokens)
		return;
	c->challenge_tokens--;
	tcp_send_ack(c);
}

/* Options of a peer's SYN: what this connection will use. */
static void take_syn_opts(struct tcp_conn *c, const struct bypass_tcp_seg *s,
			  uint64_t now)
{
	const struct bypass_tcp_opts *o = &s->opt;
	uint16_t mss = o->has_mss ? o->mss : TCP_MSS_DEFAULT;

	if (mss > c->tcp->cfg.mss)
		mss = c->tcp->cfg.mss;
	if (mss < 64)
		mss = 64;
	c->mss = mss;
	c->ws_ok = o->has_wscale;
	if (c->ws_ok) {
		c->snd_wscale = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE :
				o->wscale;
		c->rcv_wscale = c->tcp->rcv_wscale;
	} else {
		c->snd_wscale = 0;
		c->rcv_wscale = 0;
	}
	c->sack_ok = o->sack_ok;
	c->ts_ok = o->has_ts;
	if (c->ts_ok) {
		c->ts_recent = o->ts_val;
		c->ts_recent_ns = now;
		/* Every segment carries the option: the MSS counts it. */
		c->mss -= TCP_TS_OPT_LEN;
	}
	c->irs = s->seq;
	c->rcv_nxt = s->seq + 1;
	c->rcv_adv = c->rcv_nxt;
	c->snd_wnd = s->win;		/* never scaled in a SYN */
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	tcp_pred_update(c);
}

static void child_init(struct tcp_conn *l, struct tcp_conn *c,
		       const struct bypass_tcp_seg *s)
{
	c->laddr = s->daddr;
	c->lport = s->dport;
	c->raddr = s->saddr;
	c->rport = s->sport;
	c->listener = l;
	c->nodelay = l->nodelay;
	l->pending++;
}

static void established(struct tcp_conn *c);
static void peer_alive(struct tcp_conn *c, uint64_t now);
static void sync_input(struct tcp_conn *c, struct seg_ctx *x);

/*
 * The ACK of a SYN cookie: the connection the SYN-ACK did not keep. Its
 * segment is then processed like any other (it may carry data). False
 * when the cookie is not ours or there is no room.
 */
static bool cookie_ack(struct tcp_conn *l, struct seg_ctx *x)
{
	struct bypass_tcp *tcp = l->tcp;
	struct bypass_tcp_seg *s = x->s;
	struct tcp_conn *c;
	int wscale, opts;

	if (flag(s, BYPASS_TCP_SYN))
		return false;
	opts = tcp_cookie_check(tcp, s, x->now);
	if (opts < 0)
		return false;
	if (l->queued >= l->backlog)
		return true;	/* the peer will retransmit */
	c = tcp_conn_alloc(tcp);
	if (!c)
		return true;
	child_init(l, c, s);
	tcp_conn_init_seq(c, x->now);
	tcp_conn_set_iss(c, s->ack - 1);
	c->snd_una = s->ack;	/* the ACK acknowledges our SYN-ACK */
	c->mss = tcp_cookie_mss(c->iss);
	/* What the SYN offered, as the timestamp echo brings it back. */
	tcp_cookie_opts((uint8_t)opts, &c->ts_ok, &wscale, &c->sack_ok);
	if (c->ts_ok) {
		c->ts_recent = s->opt.ts_val;
		c->ts_recent_ns = x->now;
		c->mss -= TCP_TS_OPT_LEN;
	}
	if (wscale >= 0) {
		c->ws_ok = true;
		c->snd_wscale = (uint8_t)wscale;
		c->rcv_wscale = tcp->rcv_wscale;
	}
	c->irs = s->seq - 1;
	c->rcv_nxt = s->seq;
	c->rcv_adv = s->seq + (tcp->cfg.rcvbuf > TCP_MAX_WIN ? TCP_MAX_WIN :
			       tcp->cfg.rcvbuf);
	c->snd_wnd = (uint32_t)s->win << c->snd_wscale;
	c->max_snd_wnd = c->snd_wnd;
	c->snd_wl1 = s->seq;
	c->snd_wl2 = s->ack;
	c->rtt_timing = false;
	tcp_cc_init(c);
	tcp_pred_update(c);
	tcp_hash_insert(tcp, c);
	established(c);
	sync_input(c, x);
	return true;
}

static void listen_input(struct tcp_conn *l, struct seg_ctx *x)
{
	struct bypass_tcp *tcp = l->tcp;
	struct bypass_tcp_seg *s = x->s;
	struct tcp_conn *c;

	if (flag(s, BYPASS_TCP_RST))
		return;
	if (flag(s, BYPASS_TCP_ACK)) {
		if (!cookie_ack(l, x))
			tcp_send_rst_reply(tcp, s);
		return;
	}
	if (!flag(s, BYPASS_TCP_SYN) || flag(s, BYPASS_TCP_FIN))
		return;
	/*
	 * A full accept queue drops the SYN, as Linux does, for the peer to
	 * retry: a cookie would complete a connection the queue cannot take,
	 * its ACK would be dropped, and no SYN-ACK would ever be resent for
	 * a client that waits for the server to speak first.
	 */
	if (l->queued >= l->backlog) {
		tcp->stats.listen_overflows++;
		return;
	}
	/* Half-open ones fill it: answer without state (SYN flood). */
	if (l->pending >= l->backlog) {
		tcp_send_cookie(tcp, s, x->now);
		return;
	}
	/*
	 * At max_conns the SYN is dropped (and counted) for the peer to
	 * retry: a cookie's connection would find no room either.
	 */
	c = tcp_conn_alloc(tcp);
	if (!c)
		return;
	child_init(l, c, s);
	tcp_conn_init_seq(c, x->now);
	if (x->tw_isn)
		tcp_conn_set_iss(c, x->tw_isn);
	take_syn_opts(c, s, x->now);
	tcp_cc_init(c);
	tcp_set_state(c, BYPASS_TCP_SYN_RECEIVED);
	tcp_hash_insert(tcp, c);
	tcp_send_ctl(c, BYPASS_TCP_SYN | BYPASS_TCP_ACK, c->iss);
	tcp_arm_rtx(c);
}

static void established(struct tcp_conn *c)
{
	struct tcp_conn *l = c->listener;

	tcp_set_state(c, BYPASS_TCP_ESTABLISHED);
	tcp_cc_established(c, c->retries);
	c->retries = 0;
	tcp_timer_clear(&c->rtx_timer);
	c->last_rcv_ns = tcp_now(c->tcp);
	if (c->ka_idle_ns)
		tcp_timer_arm(&c->tcp->wheel, &c->ka_timer,
			      c->last_rcv_ns + c->ka_idle_ns);
	if (l && !c->accepted) {
		c->qnext = NULL;
		c->qnext_valid = true;
		l->queued++;
		if (l->acceptq_tail)
			l->acceptq_tail->qnext = c;
		else
			l->acceptq_head = c;
		l->acceptq_tail = c;
	}
}

static void syn_sent_input(struct tcp_conn *c, struct seg_ctx *x)
{
	struct bypass_tcp_seg *s = x->s;
	bool ack = flag(s, BYPASS_TCP_ACK);
	uint64_t rtt;

	if (ack && (seq_leq(s->ack, c->iss) || seq_gt(s->ack, c->snd_max))) {
		if (!flag(s, BYPASS_TCP_RST))
			tcp_send_rst_reply(c->tcp, s);
		return;
	}
	if (flag(s, BYPASS_TCP_RST)) {
		if (ack)
			tcp_conn_done(c, ECONNREFUSED);
		return;
	}
	if (!flag(s, BYPASS_TCP_SYN))
		return;
	take_syn_opts(c, s, x->now);
	if (!ack) {
		/* Simultaneous open: answer with our SYN again, plus ACK. */
		tcp_set_state(c, BYPASS_TCP_SYN_RECEIVED);
		c->rtt_timing = false;
		tcp_send_ctl(c, BYPASS_TCP_SYN | BYPASS_TCP_ACK, c->iss);
		tcp_arm_rtx(c);
		return;
	}
	c->snd_una = s->ack;
	c->snd_wl2 = s->ack;
	if (c->ts_ok && tcp_ts_rtt(c, s->opt.ts_ecr, x->now, &rtt))
		tcp_rtt_sample(c, rtt);
	else if (!c->retries)
		tcp_rtt_sample(c, x->now - c->rtt_start_ns);
	c->rtt_timing = false;
	established(c);
	tcp_send_ack(c);
	tcp_output(c);
}

/* RFC 9293 3.10.7.4, first: does the segment overlap the window? */
static bool acceptable(const struct tcp_conn *c, const struct seg_ctx *x)
{
	uint32_t wnd = c->rcv_adv - c->rcv_nxt, seq = x->s->seq;

	if (seq_lt(c->rcv_adv, c->rcv_nxt))
		wnd = 0;
	if (!x->seglen) {
		if (!wnd)
			return seq == c->rcv_nxt;
		return seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd);
	}
	if (!wnd)
		return seq == c->rcv_nxt;	/* probe: its ACK still counts */
	return seq_in(seq, c->rcv_nxt, c->rcv_nxt + wnd) ||
	       seq_in(seq + x->seglen - 1, c->rcv_nxt, c->rcv_nxt + wnd);
}

/* RFC 7323 5.3: false when the segment is an old duplicate. */
static bool paws_ok(struct tcp_conn *c, const struct seg_ctx *x)
{
	const struct bypass_tcp_seg *s = x->s;

	if (!c->ts_ok || flag(s, BYPASS_TCP_RST))
		return true;
	if (!s->opt.has_ts)
		return false;
	if (seq_lt(s->opt.ts_val, c->ts_recent) &&
	    x->now - c->ts_recent_ns < TCP_PAWS_IDLE_NS)
		return false;
	return true;
}

static inline __attribute__((always_inline)) void free_acked(struct tcp_conn *c)
{
	uint32_t mask = c->tcp->sndq_mask;

	while (c->sndq_len) {
		struct tcp_chunk *k = &c->sndq[c->sndq_head];

		if (seq_gt(k->seq + k->buf->len, c->snd_una))
			break;
		bypass_buf_put(k->buf);
		k->buf = NULL;
		c->sndq_head = (c->sndq_head + 1) & mask;
		c->sndq_len--;
	}
}

static bool fin_acked(const struct tcp_conn *c)
{
	return c->fin_queued && seq_gt(c->snd_una, c->snd_end);
}

/*
 * The ACK of @ack moves snd_una: RTT sample (from the echo @ts_ecr when
 * @has_ts: the connection uses timestamps and the segment has them), send
 * queue, SACK scoreboard (with the blocks of @o; NULL for a segment
 * without, which prediction only takes with no scoreboard), congestion
 * window, retransmit timer. Inlined in every caller: header
 * prediction runs it for nearly every segment.
 */
static inline __attribute__((always_inline)) void
new_ack(struct tcp_conn *c, uint32_t ack, bool has_ts, uint32_t ts_ecr,
	const struct bypass_tcp_opts *o, uint64_t now)
{
	uint32_t acked = ack - c->snd_una;
	uint64_t rtt;

	bool timed = c->rtt_timing && seq_gt(ack, c->rtt_seq);

	/* One sample: the TS echo's, else the timed segment's. */
	if (has_ts && tcp_ts_rtt(c, ts_ecr, now, &rtt))
		tcp_rtt_sample(c, rtt);
	else if (timed)
		tcp_rtt_sample(c, now - c->rtt_start_ns);
	if (timed)
		c->rtt_timing = false;
	c->snd_una = ack;
	if (seq_lt(c->snd_nxt, c->snd_una))
		c->snd_nxt = c->snd_una;
	c->retries = 0;
	free_acked(c);
	/* Both are no-ops without a scoreboard or blocks to take. */
	if (o && (c->nr_sacked || o->nr_sack)) {
		tcp_sack_check_renege(c);
		tcp_sack_update(c, o);
	}
	tcp_cc_ack(c, acked);
	if (c->snd_una == c->snd_max)
		tcp_timer_clear(&c->rtx_timer);
	else
		tcp_timer_set(&c->tcp->wheel, &c->rtx_timer, now + c->rto_ns);
}

/*
 * RFC 9293 3.10.7.4: the window of a segment not older than the last
 * one taken (SND.WL1, SND.WL2), for a segment whose ACK is not below
 * SND.UNA (header prediction's, and update_window()'s after its test).
 */
static inline __attribute__((always_inline)) void
update_window_acked(struct tcp_conn *c, uint32_t seq, uint32_t ack,
		    uint16_t win)
{
	if (seq_lt(c->snd_wl1, seq) ||
	    (c->snd_wl1 == seq && seq_leq(c->snd_wl2, ack))) {
		c->snd_wnd = (uint32_t)win << c->snd_wscale;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if (c->snd_wnd > c->max_snd_wnd)
			c->max_snd_wnd = c->snd_wnd;
	}
}

/* update_window_acked() unless the ACK is below SND.UNA. */
static inline __attribute__((always_inline)) void
update_window(struct tcp_conn *c, uint32_t seq, uint32_t ack, uint16_t win)
{
	if (seq_lt(ack, c->snd_una))
		return;
	update_window_acked(c, seq, ack, win);
}

/* Returns false when the segment is done with (dropped or conn gone). */
static bool process_ack(struct tcp_conn *c, struct seg_ctx *x)
{
	const struct bypass_tcp_seg *s = x->s;
	uint32_t old_wnd = c->snd_wnd;

	if (c->state == BYPASS_TCP_SYN_RECEIVED) {
		/* Karn: no sample once the SYN-ACK was resent. */
		bool timed = !c->retries && c->rtt_timing;

		if (!seq_in(s->ack, c->snd_una + 1, c->snd_max + 1)) {
			tcp_send_rst_reply(c->tcp, s);
			return false;
		}
		established(c);
		c->snd_wnd = (uint32_t)s->win << c->snd_wscale;
		c->max_snd_wnd = c->snd_wnd;
		c->snd_wl1 = s->seq;
		c->snd_wl2 = s->ack;
		if (timed)
			tcp_rtt_sample(c, x->now - c->rtt_start_ns);
		c->rtt_timing = false;
	}
	/* RFC 5961 5.2: an ACK for data never sent, or far too old. */
	if (seq_gt(s->ack, c->snd_max) ||
	    seq_lt(s->ack, c->snd_una - c->max_snd_wnd)) {
		challenge_ack(c, x->now);
		return false;
	}
	if (seq_gt(s->ack, c->snd_una)) {
		new_ack(c, s->ack, c->ts_ok && s->opt.has_ts, s->opt.ts_ecr,
			&s->opt, x->now);
	} else if (s->ack == c->snd_una && !x->seglen &&
		   ((uint32_t)s->win << c->snd_wscale) == old_wnd &&
		   c->snd_una != c->snd_max) {
		/*
		 * An ACK that only reports a duplicate (D-SACK, RFC 2883)
		 * shows a spurious retransmission arrived, not a loss: it
		 * is no duplicate ACK unless it also SACKs new data.
		 */
		if (tcp_sack_update(c, &s->opt) || !c->sack_ok ||
		    !tcp_sack_dsack(c, &s->opt))
			tcp_cc_dupack(c);
	}
	update_window(c, s->seq, s->ack, s->win);
	/* An answer to a zero-window probe: the peer is alive. */
	if (!c->snd_wnd)
		c->retries = 0;
	switch (c->state) {
	case BYPASS_TCP_FIN_WAIT_1:
		if (fin_acked(c)) {
			tcp_set_state(c, BYPASS_TCP_FIN_WAIT_2);
			if (!c->app_owned)
				tcp_timer_arm(&c->tcp->wheel, &c->tw_timer,
					      x->now + 2 * c->tcp->cfg.msl_ns);
		}
		break;
	case BYPASS_TCP_CLOSING:
		if (fin_acked(c)) {
			/* Nothing more to do with the segment (Linux too). */
			tcp_enter_time_wait(c);
			return false;
		}
		break;
	case BYPASS_TCP_LAST_ACK:
		if (fin_acked(c)) {
			tcp_conn_done(c, 0);
			return false;
		}
		break;
	default:
		break;
	}
	return true;
}

static bool takes_data(uint8_t state)
{
	return state == BYPASS_TCP_ESTABLISHED ||
	       state == BYPASS_TCP_FIN_WAIT_1 || state == BYPASS_TCP_FIN_WAIT_2;
}

/*
 * The payload @b, at @seq, is the connection's: an ACK is owed, decided
 * at the end of the batch (tcp_ack.c) unless the segment makes it due at
 * once.
 */
static void take_data(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq,
		      uint64_t now)
{
	uint32_t len = b->len;

	tcp_rcv_data(c, b, seq);
	tcp_ack_data(c, len, now);
}

/* Returns false when the connection is gone. */
static bool process_data(struct tcp_conn *c, struct seg_ctx *x)
{
	struct bypass_tcp_seg *s = x->s;
	struct bypass_buf *b = x->buf;
	uint32_t seq = s->seq, len = b ? b->len : 0;
	bool fin = flag(s, BYPASS_TCP_FIN);

	if (!takes_data(c->state))
		return true;
	if (len && seq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - seq;

		c->ack_now = true;	/* old bytes: the peer missed an ACK */
		tcp_dsack_note(c, seq, skip >= len ? seq + len : c->rcv_nxt);
		if (skip >= len) {
			len = 0;
		} else {
			b->data += skip;
			b->len -= skip;
			len -= skip;
		}
		seq = c->rcv_nxt;
	}
	if (len && seq_gt(seq + len, c->rcv_adv)) {
		uint32_t room = seq_gt(c->rcv_adv, seq) ? c->rcv_adv - seq : 0;

		len = room;
		b->len = room;
		fin = false;
		c->ack_now = true;
	}
	if (len) {
		if (c->accepted && !c->app_owned) {
			/* Nobody will read it: tell the peer (RFC 9293 3.6). */
			tcp_send_ctl(c, BYPASS_TCP_RST | BYPASS_TCP_ACK,
				     c->snd_max);
			tcp_conn_done(c, 0);
			return false;
		}
		x->buf = NULL;
		take_data(c, b, seq, x->now);
	}
	if (!fin || seq + len != c->rcv_nxt)
		return true;
	/* Nothing follows a FIN: what waits beyond it is not data. */
	tcp_reass_purge(c);
	c->rcv_nxt++;
	c->fin_rcvd = true;
	c->ack_now = true;
	switch (c->state) {
	case BYPASS_TCP_ESTABLISHED:
		tcp_set_state(c, BYPASS_TCP_CLOSE_WAIT);
		break;
	case BYPASS_TCP_FIN_WAIT_1:
		if (!fin_acked(c)) {
			tcp_set_state(c, BYPASS_TCP_CLOSING);
			break;
		}
		/* fall through */
	case BYPASS_TCP_FIN_WAIT_2:
		/* The ACK of the FIN, then TIME_WAIT (which may free @c). */
		tcp_timer_cancel(&c->tcp->wheel, &c->tw_timer);
		tcp_send_ack(c);
		tcp_enter_time_wait(c);
		return false;
	default:
		break;
	}
	return true;
}

/* Data of a dropped segment that was all received before: D-SACK it. */
static void dsack_old(struct tcp_conn *c, const struct seg_ctx *x)
{
	const struct bypass_tcp_seg *s = x->s;

	if (x->buf && takes_data(c->state) && seq_leq(s->seq + x->buf->len,
						      c->rcv_nxt))
		tcp_dsack_note(c, s->seq, s->seq + x->buf->len);
}

static void sync_input(struct tcp_conn *c, struct seg_ctx *x)
{
	struct bypass_tcp_seg *s = x->s;

	/* A retransmitted SYN while ours is unanswered: resend SYN-ACK. */
	if (c->state == BYPASS_TCP_SYN_RECEIVED && flag(s, BYPASS_TCP_SYN) &&
	    !flag(s, BYPASS_TCP_ACK) && !flag(s, BYPASS_TCP_RST) &&
	    s->seq == c->irs) {
		tcp_retransmit_first(c);
		return;
	}
	/*
	 * Simultaneous open: the peer's SYN-ACK repeats the SYN we already
	 * took; what is left is its ACK.
	 */
	if (c->state == BYPASS_TCP_SYN_RECEIVED && !c->listener &&
	    flag(s, BYPASS_TCP_SYN) && flag(s, BYPASS_TCP_ACK) &&
	    s->seq == c->irs) {
		s->flags &= (uint8_t)~BYPASS_TCP_SYN;
		s->seq++;
		x->seglen--;
		c->ack_now = true;
	}
	/*
	 * RFC 6191: a new SYN may end TIME-WAIT when it is clearly newer, by
	 * its timestamp or its sequence number (as for a closed one,
	 * tcp_timewait.c).
	 */
	if (c->state == BYPASS_TCP_TIME_WAIT &&
	    tcp_tw_syn_newer(c->ts_ok, c->ts_recent, c->ts_recent_ns,
			     c->rcv_nxt, s, x->now)) {
		struct bypass_tcp *tcp = c->tcp;
		struct tcp_conn *l = tcp_lookup_listener(tcp, s->daddr,
							 s->dport);

		if (l) {
			x->tw_isn = tcp_tw_isn(c->snd_max);
			tcp->stats.tw_syn_reopened++;
			tcp_conn_done(c, 0);
			listen_input(l, x);
			return;
		}
	}
	if (!paws_ok(c, x)) {
		if (s->opt.has_ts) {
			dsack_old(c, x);
			tcp_send_ack(c);
		}
		return;
	}
	if (!acceptable(c, x)) {
		if (flag(s, BYPASS_TCP_RST))
			return;
		dsack_old(c, x);
		if (c->state == BYPASS_TCP_TIME_WAIT && flag(s, BYPASS_TCP_FIN))
			tcp_timer_arm(&c->tcp->wheel, &c->tw_timer,
				      x->now + 2 * c->tcp->cfg.msl_ns);
		tcp_send_ack(c);
		return;
	}
	/* RFC 5961 3.2: only an exact RST resets; others get a challenge. */
	if (flag(s, BYPASS_TCP_RST)) {
		if (s->seq != c->rcv_nxt) {
			challenge_ack(c, x->now);
			return;
		}
		if (c->state == BYPASS_TCP_SYN_RECEIVED && c->listener) {
			tcp_conn_done(c, 0);	/* back to the listener */
			return;
		}
		switch (c->state) {
		case BYPASS_TCP_CLOSING:
		case BYPASS_TCP_LAST_ACK:
		case BYPASS_TCP_TIME_WAIT:
			tcp_conn_done(c, 0);
			break;
		case BYPASS_TCP_CLOSE_WAIT:
			/* The stream ended already: EPIPE, as Linux. */
			tcp_conn_done(c, EPIPE);
			break;
		default:
			tcp_conn_done(c, c->state == BYPASS_TCP_SYN_RECEIVED ?
				      ECONNREFUSED : ECONNRESET);
		}
		return;
	}
	/* RFC 5961 4.2: any SYN here gets a challenge ACK. */
	if (flag(s, BYPASS_TCP_SYN)) {
		challenge_ack(c, x->now);
		return;
	}
	if (!flag(s, BYPASS_TCP_ACK))
		return;
	peer_alive(c, x->now);
	/* RFC 7323 4.3: remember the timestamp to echo. */
	if (c->ts_ok && seq_leq(s->seq, c->last_ack_sent) &&
	    seq_geq(s->opt.ts_val, c->ts_recent)) {
		c->ts_recent = s->opt.ts_val;
		c->ts_recent_ns = x->now;
	}
	if (!process_ack(c, x))
		return;
	if (c->state == BYPASS_TCP_TIME_WAIT) {
		if (flag(s, BYPASS_TCP_FIN)) {
			tcp_send_ack(c);
			tcp_timer_arm(&c->tcp->wheel, &c->tw_timer,
				      x->now + 2 * c->tcp->cfg.msl_ns);
		}
		return;
	}
	if (!process_data(c, x))
		return;
	tcp_output(c);
}

/*
 * Header prediction (as Linux's tcp_rcv_established fast path): an ACK
 * (with PSH at most) for an established connection, at rcv_nxt, with no
 * SACK blocks, a timestamp (when in use) not older than ts_recent, an ACK
 * between snd_una and snd_max, and either in-order data that fits the
 * window while nothing waits out of order, or no data and an ACK that
 * moves snd_una outside of loss recovery. That is the slow path's work
 * for such a segment without its checks for what cannot apply here, in
 * one straight line: the checks, the ACK (one RTT sample from the echo,
 * the acknowledged buffers freed), the window, the data appended, and
 * the ACK left to the batch's end (tcp_ack.c).
 *
 * The checks on what the segment says: whether a segment of @len bytes
 * (@b its payload, NULL without) at @seq acknowledging @ack is one to
 * predict, the options aside. The connection's own conditions that
 * change rarely (timestamps in use, nothing out of order, no loss
 * recovery, no scoreboard) are c->pred_ok's, or tested by the caller.
 */
static inline __attribute__((always_inline)) bool
predictable(const struct tcp_conn *c, uint32_t seq, uint32_t ack, uint32_t len,
	    const struct bypass_buf *b)
{
	uint32_t acked = ack - c->snd_una;

	/* snd_una <= ack <= snd_max, as one unsigned comparison. */
	if (c->state != BYPASS_TCP_ESTABLISHED || seq != c->rcv_nxt ||
	    acked > c->snd_max - c->snd_una)
		return false;
	/*
	 * Data within an open window: len <= rcv_adv - rcv_nxt with
	 * rcv_adv after rcv_nxt, as one signed comparison (len < 2^31).
	 */
	if (len)
		return b &&
		       (int32_t)(c->rcv_adv - c->rcv_nxt) >= (int32_t)len &&
		       !(c->accepted && !c->app_owned);
	return acked;	/* else a duplicate ACK or window update */
}

/*
 * The predicted segment's work: @seq, @ack, @win, the timestamp @ts_val
 * and echo @ts_ecr (when @has_ts: timestamps are in use, which the segment
 * then has), @len bytes of payload @b (taken; NULL
 * without data), at @now. Then the application (or the listener of a
 * child) hears of it.
 */
static inline __attribute__((always_inline)) void
predicted(struct tcp_conn *c, uint32_t seq, uint32_t ack, uint16_t win,
	  bool has_ts, uint32_t ts_val, uint32_t ts_ecr,
	  struct bypass_buf *b, uint32_t len, uint64_t now)
{
	peer_alive(c, now);
	/* RFC 7323 4.3: the timestamp to echo (in order: not older). */
	if (has_ts && seq_leq(seq, c->last_ack_sent)) {
		c->ts_recent = ts_val;
		c->ts_recent_ns = now;
	}
	if (ack != c->snd_una)
		new_ack(c, ack, has_ts, ts_ecr, NULL, now);
	/* The ACK is not below SND.UNA (predictable()). */
	update_window_acked(c, seq, ack, win);
	if (!c->snd_wnd)
		c->retries = 0;
	/* take_data's work, knowing that nothing waits out of order. */
	if (len) {
		tcp_rcv_in_order(c, b);
		tcp_ack_data(c, len, now);
	}
	/* tcp_output with nothing to send and no ACK due: only this. */
	if (c->ack_now || c->snd_end != c->snd_nxt || c->fin_queued)
		tcp_output(c);
	else
		tcp_cc_sent(c, false);
	/* As slow_input: the application's, or the listener's. */
	if (__builtin_expect(c->app_owned, 1))
		tcp_notify_owned(c);
	else if (c->listener)
		tcp_notify(c->listener);
}

/*
 * Header prediction for a parsed segment (bypass_tcp_input's hosts).
 * @b is the payload (NULL without data), taken when true is returned.
 * Returns false, having changed nothing, for any other segment.
 */
static bool fast_input(struct tcp_conn *c, const struct bypass_tcp_seg *s,
		       struct bypass_buf *b, uint64_t now)
{
	if (c->tcp->pred_off)
		return false;
	if ((s->flags & (uint8_t)~BYPASS_TCP_PSH) != BYPASS_TCP_ACK ||
	    s->opt.nr_sack || !predictable(c, s->seq, s->ack, s->len, b))
		return false;
	if (c->ts_ok && (!s->opt.has_ts || seq_lt(s->opt.ts_val, c->ts_recent)))
		return false;
	if ((s->len && c->nr_ooo) ||
	    (s->ack != c->snd_una && (c->in_recovery || c->nr_sacked)))
		return false;
	/* With timestamps in use the segment has them (tested above). */
	predicted(c, s->seq, s->ack, s->win, c->ts_ok, s->opt.ts_val,
		  s->opt.ts_ecr, b, s->len, now);
	return true;
}

static uint32_t wire32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

bool tcp_input_wire(struct bypass_tcp *tcp, uint32_t saddr, uint32_t daddr,
		    struct bypass_buf *b)
{
	struct tcp_conn *c = tcp->last_hit;
	const uint8_t *h = b->data;
	uint32_t ports, w3, lead, seq, ack, ts_val, len;

	if (!c || !c->pred_ok || b->len < TCP_PRED_HLEN)
		return false;
	memcpy(&ports, h, sizeof(ports));
	memcpy(&w3, h + 12, sizeof(w3));
	memcpy(&lead, h + 20, sizeof(lead));
	/*
	 * Data offset 8 (any reserved bits), ACK with PSH at most (CWR and
	 * ECE, which the engine does not read, aside); NOP, NOP, timestamps.
	 */
	if (ports != c->pred_ports || saddr != c->raddr || daddr != c->laddr ||
	    (w3 & htonl(0xf0370000)) != htonl(0x80100000) ||
	    lead != htonl(0x0101080a))
		return false;
	seq = wire32(h + 4);
	ack = wire32(h + 8);
	ts_val = wire32(h + 24);
	len = b->len - TCP_PRED_HLEN;
	if (seq_lt(ts_val, c->ts_recent) || !predictable(c, seq, ack, len, b))
		return false;
	b->data += TCP_PRED_HLEN;
	b->len = len;
	if (!len) {
		bypass_buf_put(b);
		b = NULL;
	}
	predicted(c, seq, ack, (uint16_t)(h[14] << 8 | h[15]), true, ts_val,
		  wire32(h + 28), b, len, tcp_now(tcp));
	return true;
}

/*
 * Every segment header prediction does not take: demultiplexing to a
 * listener, TIME_WAIT or another engine of the group when @c (the
 * connection found) is NULL, else the full processing. @buf is the
 * payload or NULL.
 */
static __attribute__((noinline)) void
slow_input(struct bypass_tcp *tcp, struct bypass_tcp_seg *s,
	   struct tcp_conn *c, struct bypass_buf *buf, uint64_t now)
{
	struct seg_ctx x = {
		.s = s,
		.buf = buf,
		.seglen = s->len + flag(s, BYPASS_TCP_SYN) +
			  flag(s, BYPASS_TCP_FIN),
		.now = now,
	};

	if (!c) {
		struct tcp_tw *tw = tcp_tw_lookup(tcp, s->daddr, s->dport,
						  s->saddr, s->sport);

		/* TIME_WAIT answers, unless a new SYN ends it. */
		if (tw) {
			x.tw_isn = tcp_tw_input(tcp, tw, s, x.now);
			if (!x.tw_isn)
				goto out;
		}
		c = tcp_lookup_listener(tcp, s->daddr, s->dport);
		/* Another engine of the group may own the flow, or listen. */
		if (tcp->group && tcp->group->redirect(tcp->group_arg, s, x.buf, c))
			goto out;
		if (c) {
			listen_input(c, &x);
			tcp_notify(c);
		} else {
			tcp_send_rst_reply(tcp, s);
		}
	} else {
		/*
		 * Only what the application holds is notified, and that the
		 * engine does not free: a child's news is its listener's.
		 */
		struct tcp_conn *l = c->app_owned ? c : c->listener;

		if (c->state == BYPASS_TCP_SYN_SENT)
			syn_sent_input(c, &x);
		else
			sync_input(c, &x);
		if (l)
			tcp_notify(l);
	}
out:
	if (x.buf)
		bypass_buf_put(x.buf);
}

void bypass_tcp_input(struct bypass_tcp *tcp, struct bypass_tcp_seg *s)
{
	struct bypass_buf *buf = NULL;	/* the payload from here */
	uint64_t now = tcp_now(tcp);
	struct tcp_conn *c;

	if (s->nr_frags) {
		if (s->len)
			buf = s->frag[0].buf;
		else
			bypass_buf_put(s->frag[0].buf);
		s->nr_frags = 0;
	}
	c = tcp_lookup(tcp, s->daddr, s->dport, s->saddr, s->sport);
	if (__builtin_expect(c && fast_input(c, s, buf, now), 1))
		return;
	slow_input(tcp, s, c, buf, now);
}

/* Any segment from the peer shows it alive (keepalive). */
static void peer_alive(struct tcp_conn *c, uint64_t now)
{
	c->last_rcv_ns = now;
	c->ka_probes = 0;
}
