// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TIME_WAIT of connections the application closed (RFC 9293 3.6): each a
 * small record (4-tuple, sequence numbers, timestamp state, expiry; no
 * buffers), outside the connection table's limit, up to max_time_wait of
 * them. Found in O(1) through a keyed hash of the 4-tuple; ended in O(1)
 * from a FIFO ordered by expiry (all last 2 MSL, and one restarted by a
 * retransmitted FIN moves to the tail). When all are in use the oldest is
 * ended early for the new one (counted in tw_recycled). Segments are
 * answered as Linux's tcp_timewait_state_process does, and a new SYN that
 * is newer by sequence number or timestamp (RFC 6191) ends TIME_WAIT and
 * goes to the listener.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

int tcp_tw_init(struct bypass_tcp *tcp)
{
	uint32_t max = tcp->cfg.max_time_wait;

	tcp->tw_hash_mask = tcp_pow2_at_least(max) - 1;
	tcp->tw_hash = calloc(tcp->tw_hash_mask + 1, sizeof(*tcp->tw_hash));
	tcp->tw_slab = calloc((max + TCP_TW_SLAB - 1) / TCP_TW_SLAB,
			      sizeof(*tcp->tw_slab));
	return tcp->tw_hash && tcp->tw_slab ? 0 : -ENOMEM;
}

void tcp_tw_destroy(struct bypass_tcp *tcp)
{
	uint32_t i;

	for (i = 0; tcp->tw_slab && i < tcp->tw_nr_slabs; i++)
		free(tcp->tw_slab[i]);
	free(tcp->tw_slab);
	free(tcp->tw_hash);
}

static struct tcp_tw **bucket(struct bypass_tcp *tcp, uint32_t laddr,
			      uint16_t lport, uint32_t raddr, uint16_t rport)
{
	return &tcp->tw_hash[tcp_hash4(tcp, laddr, lport, raddr, rport) &
			     tcp->tw_hash_mask];
}

struct tcp_tw *tcp_tw_lookup(struct bypass_tcp *tcp, uint32_t laddr,
			     uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct tcp_tw *tw;

	if (!tcp->stats.time_wait)
		return NULL;
	for (tw = *bucket(tcp, laddr, lport, raddr, rport); tw; tw = tw->hnext)
		if (tw->lport == lport && tw->rport == rport &&
		    tw->laddr == laddr && tw->raddr == raddr)
			return tw;
	return NULL;
}

static void fifo_remove(struct bypass_tcp *tcp, struct tcp_tw *tw)
{
	if (tw->fprev)
		tw->fprev->fnext = tw->fnext;
	else
		tcp->tw_head = tw->fnext;
	if (tw->fnext)
		tw->fnext->fprev = tw->fprev;
	else
		tcp->tw_tail = tw->fprev;
	tw->fnext = NULL;
	tw->fprev = NULL;
}

/* Append @tw, ending at @expires or with the tail if that is later. */
static void fifo_append(struct bypass_tcp *tcp, struct tcp_tw *tw,
			uint64_t expires)
{
	if (tcp->tw_tail && tcp->tw_tail->expires_ns > expires)
		expires = tcp->tw_tail->expires_ns;
	tw->expires_ns = expires;
	tw->fnext = NULL;
	tw->fprev = tcp->tw_tail;
	if (tcp->tw_tail)
		tcp->tw_tail->fnext = tw;
	else
		tcp->tw_head = tw;
	tcp->tw_tail = tw;
}

void tcp_tw_free(struct bypass_tcp *tcp, struct tcp_tw *tw)
{
	*tw->hpprev = tw->hnext;
	if (tw->hnext)
		tw->hnext->hpprev = tw->hpprev;
	fifo_remove(tcp, tw);
	tw->fnext = tcp->tw_free;
	tcp->tw_free = tw;
	tcp->stats.time_wait--;
}

/* A free record: a new slab while below max_time_wait, else the oldest. */
static struct tcp_tw *tw_alloc(struct bypass_tcp *tcp)
{
	struct tcp_tw *tw;
	uint32_t i;

	if (!tcp->tw_free && tcp->stats.time_wait < tcp->cfg.max_time_wait) {
		uint32_t n = tcp->cfg.max_time_wait -
			     tcp->tw_nr_slabs * TCP_TW_SLAB;
		struct tcp_tw *slab;

		if (n > TCP_TW_SLAB)
			n = TCP_TW_SLAB;
		slab = calloc(n, sizeof(*slab));
		if (slab) {
			tcp->tw_slab[tcp->tw_nr_slabs++] = slab;
			for (i = n; i-- > 0;) {
				slab[i].fnext = tcp->tw_free;
				tcp->tw_free = &slab[i];
			}
		}
	}
	if (!tcp->tw_free) {
		if (!tcp->tw_head)
			return NULL;	/* no memory, none to recycle */
		tcp->stats.tw_recycled++;
		tcp_tw_free(tcp, tcp->tw_head);
	}
	tw = tcp->tw_free;
	tcp->tw_free = tw->fnext;
	memset(tw, 0, sizeof(*tw));
	tcp->stats.time_wait++;
	return tw;
}

void tcp_tw_enter(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;
	uint64_t now = tcp_now(tcp), expires = now + 2 * tcp->cfg.msl_ns;
	struct tcp_tw *tw, **head;
	uint32_t win;

	/* Closed while in TIME_WAIT: what is left of it. */
	if (tcp_timer_armed(&c->tw_timer))
		expires = c->tw_timer.slot_ns;
	tw = tw_alloc(tcp);
	if (!tw)
		return;
	tw->laddr = c->laddr;
	tw->raddr = c->raddr;
	tw->lport = c->lport;
	tw->rport = c->rport;
	tw->snd_nxt = c->snd_max;
	tw->rcv_nxt = c->rcv_nxt;
	tw->ts_ok = c->ts_ok;
	tw->ts_recent = c->ts_recent;
	tw->ts_recent_ns = c->ts_recent_ns;
	tw->ts_offset = c->ts_offset;
	tw->ack_ok_ns = 0;
	win = seq_gt(c->rcv_adv, c->rcv_nxt) ?
	      (c->rcv_adv - c->rcv_nxt) >> c->rcv_wscale : 0;
	tw->win = (uint16_t)(win > TCP_MAX_WIN ? TCP_MAX_WIN : win);
	head = bucket(tcp, tw->laddr, tw->lport, tw->raddr, tw->rport);
	tw->hnext = *head;
	if (tw->hnext)
		tw->hnext->hpprev = &tw->hnext;
	tw->hpprev = head;
	*head = tw;
	fifo_append(tcp, tw, expires);
}

static void tw_send_ack(struct bypass_tcp *tcp, const struct tcp_tw *tw,
			uint64_t now)
{
	struct bypass_tcp_seg s;

	memset(&s, 0, sizeof(s));
	s.saddr = tw->laddr;
	s.daddr = tw->raddr;
	s.sport = tw->lport;
	s.dport = tw->rport;
	s.seq = tw->snd_nxt;
	s.ack = tw->rcv_nxt;
	s.flags = BYPASS_TCP_ACK;
	s.win = tw->win;
	if (tw->ts_ok) {
		s.opt.has_ts = true;
		s.opt.ts_val = (uint32_t)(now / 1000000) + tw->ts_offset;
		s.opt.ts_ecr = tw->ts_recent;
	}
	tcp->ops.output(tcp->ctx, &s);
}

/* RFC 7323 5.3 for a TIME_WAIT: an older timestamp is an old duplicate. */
static bool paws_reject(bool ts_ok, uint32_t ts_recent, uint64_t ts_recent_ns,
			const struct bypass_tcp_seg *s, uint64_t now)
{
	return ts_ok && s->opt.has_ts && !(s->flags & BYPASS_TCP_RST) &&
	       seq_lt(s->opt.ts_val, ts_recent) &&
	       now - ts_recent_ns < TCP_PAWS_IDLE_NS;
}

bool tcp_tw_syn_newer(bool ts_ok, uint32_t ts_recent, uint64_t ts_recent_ns,
		      uint32_t rcv_nxt, const struct bypass_tcp_seg *s,
		      uint64_t now)
{
	if ((s->flags & (BYPASS_TCP_SYN | BYPASS_TCP_ACK | BYPASS_TCP_RST)) !=
	    BYPASS_TCP_SYN)
		return false;
	if (paws_reject(ts_ok, ts_recent, ts_recent_ns, s, now))
		return false;
	return seq_gt(s->seq, rcv_nxt) ||
	       (ts_ok && s->opt.has_ts && seq_gt(s->opt.ts_val, ts_recent));
}

uint32_t tcp_tw_input(struct bypass_tcp *tcp, struct tcp_tw *tw,
		      const struct bypass_tcp_seg *s, uint64_t now)
{
	bool rst = s->flags & BYPASS_TCP_RST, fin = s->flags & BYPASS_TCP_FIN;
	bool paws = paws_reject(tw->ts_ok, tw->ts_recent, tw->ts_recent_ns,
				s, now);
	uint32_t isn;

	/* At RCV.NXT: a bare ACK (nothing to say), or an RST that ends it. */
	if (!paws && s->seq == tw->rcv_nxt && (rst || (!s->len && !fin &&
						       !(s->flags & BYPASS_TCP_SYN)))) {
		if (rst) {
			tcp_tw_free(tcp, tw);
			return 0;
		}
		if (tw->ts_ok && s->opt.has_ts) {
			tw->ts_recent = s->opt.ts_val;
			tw->ts_recent_ns = now;
		}
		return 0;
	}
	if (tcp_tw_syn_newer(tw->ts_ok, tw->ts_recent, tw->ts_recent_ns,
			     tw->rcv_nxt, s, now) &&
	    tcp_lookup_listener(tcp, s->daddr, s->dport)) {
		isn = tcp_tw_isn(tw->snd_nxt);
		tcp_tw_free(tcp, tw);
		tcp->stats.tw_syn_reopened++;
		return isn;
	}
	/* Other RSTs are ignored; anything else is acknowledged. */
	if (rst)
		return 0;
	/* A retransmitted FIN: our ACK was lost; 2 MSL start again. */
	if (fin) {
		fifo_remove(tcp, tw);
		fifo_append(tcp, tw, now + 2 * tcp->cfg.msl_ns);
	}
	/*
	 * At most challenge_acks_per_s ACKs a second (as Linux limits every
	 * TIME_WAIT ACK to one per tcp_invalid_ratelimit): a flood aimed at
	 * the 4-tuple is not reflected segment for segment.
	 */
	if (now < tw->ack_ok_ns)
		return 0;
	tw->ack_ok_ns = now + 1000000000ull / tcp->cfg.challenge_acks_per_s;
	tw_send_ack(tcp, tw, now);
	return 0;
}

void tcp_tw_expire(struct bypass_tcp *tcp, uint64_t now)
{
	while (tcp->tw_head && tcp->tw_head->expires_ns <= now)
		tcp_tw_free(tcp, tcp->tw_head);
}

uint64_t tcp_tw_next(const struct bypass_tcp *tcp)
{
	return tcp->tw_head ? tcp->tw_head->expires_ns : UINT64_MAX;
}
