// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the TCP engine does when a connection's timer fires: retransmit
 * (RFC 6298 5.4-5.7: back off, collapse the window, go back to snd_una,
 * skipping what the peer SACKed),
 * give up after too many tries, probe a zero window, send a delayed ACK,
 * end TIME_WAIT, probe an idle peer (keepalive).
 */
#include <errno.h>
#include <stddef.h>

#include "tcp.h"

#define conn_of(t, field) \
	((struct tcp_conn *)((char *)(t) - offsetof(struct tcp_conn, field)))

static void backoff(struct tcp_conn *c)
{
	c->rto_ns *= 2;
	c->rtt_steady = false;	/* the next sample sets the RTO again */
	if (c->rto_ns > c->tcp->cfg.rto_max_ns)
		c->rto_ns = c->tcp->cfg.rto_max_ns;
}

void tcp_timer_rtx(struct tcp_timer *t, uint64_t now_ns)
{
	struct tcp_conn *c = conn_of(t, rtx_timer);
	/* Also FIN-WAIT-1 after a close in SYN-RECEIVED: our SYN comes first. */
	bool syn = c->state == BYPASS_TCP_SYN_SENT ||
		   c->state == BYPASS_TCP_SYN_RECEIVED || c->snd_una == c->iss;

	(void)now_ns;
	if (syn) {
		if (++c->retries > TCP_SYN_RETRIES) {
			tcp_conn_done(c, ETIMEDOUT);
			return;
		}
		backoff(c);
		tcp_retransmit_first(c);
		tcp_arm_rtx(c);
		return;
	}
	if (!c->snd_wnd && c->snd_end != c->snd_una) {
		/*
		 * Zero window: probe it, backing off, for as long as the peer
		 * answers (any ACK resets the count).
		 */
		if (++c->retries > c->tcp->cfg.retries) {
			tcp_conn_done(c, ETIMEDOUT);
			return;
		}
		backoff(c);
		tcp_send_probe(c);
		tcp_arm_rtx(c);
		return;
	}
	c->persist = false;
	if (!tcp_flight(c))
		return;
	if (++c->retries > c->tcp->cfg.retries) {
		tcp_conn_done(c, ETIMEDOUT);
		return;
	}
	c->rtt_timing = false;		/* Karn: no sample from a resend */
	backoff(c);
	tcp_cc_timeout(c);
	c->snd_nxt = c->snd_una;
	tcp_output(c);
	if (!tcp_timer_armed(&c->rtx_timer))
		tcp_arm_rtx(c);
}

void tcp_timer_delack(struct tcp_timer *t, uint64_t now_ns)
{
	struct tcp_conn *c = conn_of(t, delack_timer);

	(void)now_ns;
	if (!c->ack_pending)
		return;
	/* No reply came to carry it: not interactive (as Linux). */
	c->pingpong = 0;
	tcp_send_ack(c);
}

void tcp_timer_tw(struct tcp_timer *t, uint64_t now_ns)
{
	struct tcp_conn *c = conn_of(t, tw_timer);

	(void)now_ns;
	tcp_conn_done(c, 0);
}

/*
 * Keepalive: the timer is not moved per received segment; when it fires
 * early it is re-armed for the end of the idle time since the last one.
 * A probe is an ACK for SND.UNA - 1, which the peer must answer.
 */
void tcp_timer_keepalive(struct tcp_timer *t, uint64_t now_ns)
{
	struct tcp_conn *c = conn_of(t, ka_timer);
	struct bypass_tcp *tcp = c->tcp;
	uint64_t due = c->last_rcv_ns + c->ka_idle_ns;

	if (!c->ka_idle_ns || (c->state != BYPASS_TCP_ESTABLISHED &&
			       c->state != BYPASS_TCP_CLOSE_WAIT))
		return;
	if (c->ka_probes)
		due = c->last_rcv_ns + c->ka_idle_ns +
		      (uint64_t)c->ka_probes * c->ka_intvl_ns;
	/* Data in flight: retransmission watches the peer. */
	if (now_ns < due || tcp_flight(c) || c->snd_end != c->snd_una) {
		if (now_ns >= due)
			due = now_ns + c->ka_idle_ns;
		tcp_timer_arm(&tcp->wheel, t, due);
		return;
	}
	if (c->ka_probes >= c->ka_count) {
		tcp_send_ctl(c, BYPASS_TCP_RST | BYPASS_TCP_ACK, c->snd_max);
		tcp_conn_done(c, ETIMEDOUT);
		return;
	}
	c->ka_probes++;
	tcp_send_ctl(c, BYPASS_TCP_ACK, c->snd_una - 1);
	tcp_timer_arm(&tcp->wheel, t, now_ns + c->ka_intvl_ns);
}
