// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Round-trip time and congestion control of one connection: the RFC 6298
 * estimator (SRTT, RTTVAR, RTO with a floor and a ceiling) fed by
 * plausible timestamp echoes or a timed segment, slow start, RFC 6582
 * fast retransmit and recovery (RFC 6675's when the peer SACKs,
 * tcp_sack.c), and the choice between NewReno
 * (RFC 5681 halving and AIMD) and CUBIC (tcp_cubic.c) for how far to back
 * off and how to grow in congestion avoidance. Growth counts acknowledged
 * bytes (RFC 3465), happens only while the window is what limits the
 * sender (RFC 7661, as Linux's tcp_is_cwnd_limited) and saturates at the
 * largest possible send window.
 */
#include <string.h>

#include "tcp.h"

static uint32_t initial_window(const struct tcp_conn *c)
{
	/* RFC 6928: min(10 * MSS, max(2 * MSS, 14600)). */
	uint32_t w = 14600, mss = c->mss;

	if (w < 2 * mss)
		w = 2 * mss;
	if (w > 10 * mss)
		w = 10 * mss;
	return w;
}

void tcp_cc_init(struct tcp_conn *c)
{
	c->cc = c->tcp->cfg.cc;
	memset(&c->cubic, 0, sizeof(c->cubic));
	c->cwnd = initial_window(c);
	c->ssthresh = UINT32_MAX;
	c->cwnd_cnt = 0;
	c->cwnd_limited = false;
	c->max_flight = 0;
	c->cwnd_usage_seq = c->snd_una;
	c->dupacks = 0;
	c->in_recovery = false;
	tcp_pred_update(c);
}

/*
 * Data transmission begins. The initial window is computed again from
 * the MSS the handshake settled (an active open started from the default
 * MSS), as Linux's tcp_init_transfer; it is one segment when the SYN or
 * SYN-ACK was lost (RFC 5681 3.1), which like Linux this takes to mean
 * more than one timeout: with a 1 s initial RTO one may be spurious
 * (RFC 6298 appendix A). A handshake that saw a timeout and gave no RTT
 * sample starts the data with an RTO of 3 s (RFC 6298 5.7).
 */
void tcp_cc_established(struct tcp_conn *c, uint32_t syn_timeouts)
{
	const struct bypass_tcp_config *cfg = &c->tcp->cfg;

	c->cwnd = syn_timeouts > 1 ? c->mss : initial_window(c);
	if (syn_timeouts && !c->srtt_ns) {
		c->rto_ns = TCP_RTO_FALLBACK_NS;
		c->rtt_steady = false;
		if (c->rto_ns < cfg->rto_min_ns)
			c->rto_ns = cfg->rto_min_ns;
		if (c->rto_ns > cfg->rto_max_ns)
			c->rto_ns = cfg->rto_max_ns;
	}
}

/* Grow cwnd by @bytes, never beyond the largest possible send window. */
void tcp_cwnd_grow(struct tcp_conn *c, uint64_t bytes)
{
	uint64_t w = c->cwnd + (bytes < TCP_CWND_MAX ? bytes : TCP_CWND_MAX);

	c->cwnd = w > TCP_CWND_MAX ? TCP_CWND_MAX : (uint32_t)w;
}

/*
 * Whether an ACK may grow cwnd: the window was used up, or in slow start
 * cwnd is below twice what was in flight (Linux's tcp_is_cwnd_limited).
 * A sender held back by the peer's window or the application does not
 * grow a window it does not use.
 */
static bool cwnd_limited(const struct tcp_conn *c)
{
	if (c->cwnd_limited)
		return true;
	if (c->cwnd < c->ssthresh)
		return c->cwnd < 2ull * c->max_flight;
	return false;
}

/* ssthresh after a loss (RFC 5681 (4) for NewReno). */
static uint32_t loss_ssthresh(struct tcp_conn *c)
{
	uint32_t h = tcp_flight(c) / 2;

	if (c->cc == BYPASS_TCP_CC_CUBIC)
		return tcp_cubic_loss(c);
	return h > 2u * c->mss ? h : 2u * c->mss;
}

/*
 * An echo is plausible when it is neither after our TS clock nor before
 * the oldest echo a valid ACK may carry: the last one taken, or the TS
 * value that began the current flight (tcp_output). Then @rtt_ns is the
 * time since the echoed segment was sent (at least 1 ms, the clock's
 * tick) and the bound moves up to the echo. Linux's tcp_rtt_tsopt_us
 * only refuses echoes from the future or more than 35 minutes old.
 */
bool tcp_ts_rtt(struct tcp_conn *c, uint32_t ts_ecr, uint64_t now_ns,
		uint64_t *rtt_ns)
{
	uint32_t now = tcp_ts_now(c, now_ns), d = now - ts_ecr;

	if (!ts_ecr || d > now - c->ts_echo_min)
		return false;
	c->ts_echo_min = ts_ecr;
	*rtt_ns = (uint64_t)(d ? d : 1) * 1000000;
	return true;
}

/*
 * Once per ACK with a sample: inlined into the receive path by the
 * link-time optimisation (an ordinary call without it). A sample equal
 * to SRTT once RTTVAR has decayed to 0 changes nothing and returns at
 * once: the common case of a steady path whose round trip is below the
 * timestamp clock's 1 ms tick (every sample is then 1 ms).
 */
inline __attribute__((always_inline)) void
tcp_rtt_sample(struct tcp_conn *c, uint64_t r)
{
	const struct bypass_tcp_config *cfg = &c->tcp->cfg;
	/* In locals: each field is stored once, not reloaded. */
	uint64_t srtt = c->srtt_ns, rttvar, rto;

	if (c->rtt_steady && r == srtt)
		return;
	if (!srtt) {
		srtt = r;
		rttvar = r / 2;
	} else {
		uint64_t d = srtt > r ? srtt - r : r - srtt;

		rttvar = (3 * c->rttvar_ns + d) / 4;
		srtt = (7 * srtt + r) / 8;
	}
	c->srtt_ns = srtt;
	c->rttvar_ns = rttvar;
	c->rtt_steady = !rttvar && srtt == r;
	/* G: the clock granularity, 1 ms */
	rto = srtt + (4 * rttvar < 1000000 ? 1000000 : 4 * rttvar);
	if (rto < cfg->rto_min_ns)
		rto = cfg->rto_min_ns;
	if (rto > cfg->rto_max_ns)
		rto = cfg->rto_max_ns;
	c->rto_ns = rto;
}

/* An ACK of @acked new bytes during loss recovery. */
static __attribute__((noinline)) void recovery_ack(struct tcp_conn *c,
						   uint32_t acked)
{
	if (seq_geq(c->snd_una, c->recover)) {
		/* Full acknowledgment: deflate (RFC 6582 3.2 step 3). */
		uint32_t f = tcp_flight(c);

		f = (f > c->mss ? f : c->mss) + c->mss;

		c->cwnd = c->ssthresh < f ? c->ssthresh : f;
		c->in_recovery = false;
		tcp_pred_update(c);
		c->sack_recovery = false;
		c->dupacks = 0;
	} else if (c->sack_recovery) {
		tcp_sack_step(c);
	} else {
		/* Partial: resend the next hole, deflate by @acked. */
		tcp_retransmit_first(c);
		c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
		if (acked >= c->mss)
			tcp_cwnd_grow(c, c->mss);
		if (c->cwnd < c->mss)
			c->cwnd = c->mss;
	}
}

/* Grow cwnd for an ACK of @acked new bytes outside of loss recovery. */
static __attribute__((noinline)) void open_cwnd(struct tcp_conn *c,
						uint32_t acked)
{
	if (c->cwnd < c->ssthresh) {
		/*
		 * Slow start by the bytes acknowledged (RFC 3465) with no
		 * limit per ACK, as Linux's tcp_slow_start: a stretch ACK
		 * grows cwnd as much as the ACKs it stands for. What is left
		 * beyond ssthresh goes to congestion avoidance.
		 */
		uint32_t room = c->ssthresh - c->cwnd;

		tcp_cwnd_grow(c, acked < room ? acked : room);
		if (acked <= room)
			return;
		acked -= room;
	}
	if (c->cc == BYPASS_TCP_CC_CUBIC) {
		tcp_cubic_ack(c, acked, tcp_now(c->tcp));
	} else {
		/* One MSS per cwnd of bytes acknowledged (RFC 5681 3.1). */
		uint32_t n;

		c->cwnd_cnt += acked;
		if (c->cwnd_cnt < c->cwnd)
			return;
		n = c->cwnd_cnt / c->cwnd;
		c->cwnd_cnt -= n * c->cwnd;
		tcp_cwnd_grow(c, (uint64_t)n * c->mss);
	}
}

/*
 * @acked new bytes were acknowledged (snd_una already moved). Small, to
 * be inlined: the usual ACK of a sender the window does not limit only
 * clears the duplicate count; recovery and growth are out of line.
 * Inlined into the receive path by the link-time optimisation.
 */
inline __attribute__((always_inline)) void
tcp_cc_ack(struct tcp_conn *c, uint32_t acked)
{
	if (__builtin_expect(c->in_recovery, 0)) {
		recovery_ack(c, acked);
		return;
	}
	c->dupacks = 0;
	if (cwnd_limited(c))
		open_cwnd(c, acked);
}

void tcp_cc_dupack(struct tcp_conn *c)
{
	if (c->sack_recovery) {
		tcp_sack_step(c);
		return;
	}
	if (c->in_recovery) {
		tcp_cwnd_grow(c, c->mss);	/* inflate */
		return;
	}
	/*
	 * The third duplicate ACK, or (RFC 6675 5) one whose SACK blocks
	 * already show the first hole lost.
	 */
	if (++c->dupacks < TCP_DUPACK_THRESH && !tcp_sack_head_lost(c))
		return;
	if (c->dupacks > TCP_DUPACK_THRESH)
		return;
	/* RFC 6582 3.2 step 2: not again for losses of the last window. */
	if (seq_leq(c->snd_una, c->recover) && c->recover != c->iss)
		return;
	c->recover = c->snd_max;
	c->ssthresh = loss_ssthresh(c);
	c->cwnd_cnt = 0;
	c->in_recovery = true;
	tcp_pred_update(c);
	c->rtt_timing = false;	/* Karn */
	if (tcp_sack_active(c)) {
		c->sack_recovery = true;
		tcp_sack_enter(c);
		return;
	}
	c->cwnd = c->ssthresh + TCP_DUPACK_THRESH * c->mss;
	tcp_retransmit_first(c);
}

void tcp_cc_timeout(struct tcp_conn *c)
{
	c->ssthresh = loss_ssthresh(c);
	c->cwnd = c->mss;
	c->cwnd_cnt = 0;
	c->in_recovery = false;
	tcp_pred_update(c);
	c->sack_recovery = false;
	/*
	 * RFC 6675 5.1: recovery ends, none starts again before SND.MAX is
	 * acknowledged; the scoreboard stays in use for what to resend
	 * (tcp_sack_skip), checked for reneging on each new ACK.
	 */
	c->dupacks = 0;
	c->recover = c->snd_max;
}
