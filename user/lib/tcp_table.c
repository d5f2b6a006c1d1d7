// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TCP engine's connection table: connections allocated up front and
 * kept on a free list, found in O(1) through a hash of the 4-tuple keyed
 * with the engine's secret (so a peer cannot aim at one chain); listeners
 * in their own table hashed by port.
 */
#include <string.h>

#include "tcp.h"

static uint32_t hash4(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		      uint32_t raddr, uint16_t rport)
{
	uint32_t in[3] = { laddr, raddr, (uint32_t)lport << 16 | rport };

	return (uint32_t)tcp_siphash(tcp->cfg.secret, in, sizeof(in));
}

struct tcp_conn *tcp_lookup(struct bypass_tcp *tcp, uint32_t laddr,
			    uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct tcp_conn *c;

	c = tcp->hash[hash4(tcp, laddr, lport, raddr, rport) & tcp->hash_mask];
	for (; c; c = c->hnext)
		if (c->lport == lport && c->rport == rport &&
		    c->laddr == laddr && c->raddr == raddr)
			return c;
	return NULL;
}

struct tcp_conn *tcp_lookup_listener(struct bypass_tcp *tcp, uint32_t laddr,
				     uint16_t lport)
{
	struct tcp_conn *c, *any = NULL;

	for (c = tcp->lhash[lport & tcp->lhash_mask]; c; c = c->hnext) {
		if (c->lport != lport)
			continue;
		if (c->laddr == laddr)
			return c;
		if (!c->laddr)
			any = c;
	}
	return any;
}

void tcp_hash_insert(struct bypass_tcp *tcp, struct tcp_conn *c)
{
	struct tcp_conn **head;

	if (c->state == BYPASS_TCP_LISTEN)
		head = &tcp->lhash[c->lport & tcp->lhash_mask];
	else
		head = &tcp->hash[hash4(tcp, c->laddr, c->lport, c->raddr,
					c->rport) & tcp->hash_mask];
	c->hnext = *head;
	if (c->hnext)
		c->hnext->hpprev = &c->hnext;
	c->hpprev = head;
	*head = c;
}

void tcp_hash_remove(struct tcp_conn *c)
{
	if (!c->hpprev)
		return;
	*c->hpprev = c->hnext;
	if (c->hnext)
		c->hnext->hpprev = c->hpprev;
	c->hnext = NULL;
	c->hpprev = NULL;
}

struct tcp_conn *tcp_conn_alloc(struct bypass_tcp *tcp)
{
	struct tcp_conn *c = tcp->free;
	struct tcp_chunk *sndq, *ooo;

	if (!c)
		return NULL;
	tcp->free = c->qnext;
	sndq = c->sndq;
	ooo = c->ooo;
	memset(c, 0, sizeof(*c));
	c->tcp = tcp;
	c->sndq = sndq;
	c->ooo = ooo;
	c->rtx_timer.fn = tcp_timer_rtx;
	c->delack_timer.fn = tcp_timer_delack;
	c->tw_timer.fn = tcp_timer_tw;
	c->ka_timer.fn = tcp_timer_keepalive;
	return c;
}

void tcp_upd_remove(struct tcp_conn *c)
{
	if (!c->upd_pprev)
		return;
	*c->upd_pprev = c->upd_next;
	if (c->upd_next)
		c->upd_next->upd_pprev = c->upd_pprev;
	c->upd_next = NULL;
	c->upd_pprev = NULL;
}

void tcp_conn_stop(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;

	tcp_hash_remove(c);
	tcp_upd_remove(c);
	tcp_timer_cancel(&tcp->wheel, &c->rtx_timer);
	tcp_timer_cancel(&tcp->wheel, &c->delack_timer);
	tcp_timer_cancel(&tcp->wheel, &c->tw_timer);
	tcp_timer_cancel(&tcp->wheel, &c->ka_timer);
	tcp_sndq_purge(c);
	tcp_reass_purge(c);
}

void tcp_conn_free(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;

	tcp_conn_stop(c);
	while (c->rcvq_head) {
		struct bypass_buf *b = c->rcvq_head;

		c->rcvq_head = b->next;
		b->next = NULL;
		bypass_buf_put(b);
	}
	c->rcvq_tail = NULL;
	c->rcvq_packed = NULL;
	c->rcvq_nbufs = 0;
	c->rcvq_bytes = 0;
	c->state = BYPASS_TCP_CLOSED;
	c->tcp = NULL;
	c->qnext = tcp->free;
	tcp->free = c;
}
