// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TCP engine's connection table: connections allocated in slabs that
 * never move (the application holds pointers to them), init_conns at
 * first, then doubling on demand up to max_conns, and kept on a free
 * list; found in O(1) through a hash of the 4-tuple keyed at engine start
 * (so a peer cannot aim at one chain), sized for max_conns up front, with
 * the connection found last checked first; listeners in their own table
 * hashed by port. An engine of a group tells the group of each entry
 * and exit (its flow directory, api_group.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tcp.h"

/*
 * The flow hash keys: four 64-bit words drawn from the engine's secret
 * (by SipHash, once), so the buckets of a 4-tuple are unknown outside.
 */
static void flow_keys_init(struct bypass_tcp *tcp)
{
	static const char label[] = "flowhash";
	uint32_t i;

	for (i = 0; i < 4; i++) {
		uint64_t in[2] = { i, 0 };

		memcpy(&in[1], label, sizeof(in[1]));
		tcp->flow_key[i] = tcp_siphash(tcp->cfg.secret, in, sizeof(in));
	}
}

/*
 * Vector multiply-shift (Dietzfelbinger): the 32-bit words of the tuple
 * times random 64-bit keys, plus a random offset, bits 32..63 of the sum.
 * Strongly universal, so without the keys a sender cannot pick tuples
 * that share a bucket; three multiplications instead of a SipHash.
 */
uint32_t tcp_hash4(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		   uint32_t raddr, uint16_t rport)
{
	const uint64_t *k = tcp->flow_key;
	uint64_t h = k[0] * laddr + k[1] * raddr +
		     k[2] * ((uint32_t)lport << 16 | rport) + k[3];

	return (uint32_t)(h >> 32);
}

struct tcp_conn *tcp_lookup_hash(struct bypass_tcp *tcp, uint32_t laddr,
				 uint16_t lport, uint32_t raddr, uint16_t rport)
{
	struct tcp_conn *c;

	c = tcp->hash[tcp_hash4(tcp, laddr, lport, raddr, rport) & tcp->hash_mask];
	for (; c; c = c->hnext)
		if (tcp_conn_is(c, laddr, lport, raddr, rport)) {
			tcp->last_hit = c;
			return c;
		}
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
		head = &tcp->hash[tcp_hash4(tcp, c->laddr, c->lport, c->raddr,
					c->rport) & tcp->hash_mask];
	c->hnext = *head;
	if (c->hnext)
		c->hnext->hpprev = &c->hnext;
	c->hpprev = head;
	*head = c;
	if (tcp->group)
		tcp->group->flow_add(tcp->group_arg, c);
}

void tcp_hash_remove(struct tcp_conn *c)
{
	if (!c->hpprev)
		return;
	if (c->tcp->last_hit == c)
		c->tcp->last_hit = NULL;
	*c->hpprev = c->hnext;
	if (c->hnext)
		c->hnext->hpprev = c->hpprev;
	c->hnext = NULL;
	c->hpprev = NULL;
	if (c->tcp->group)
		c->tcp->group->flow_del(c->tcp->group_arg, c);
}

/* Room for @n more connections; false when memory is short. */
static bool add_slab(struct bypass_tcp *tcp, uint32_t n)
{
	uint32_t per = tcp->sndq_mask + 1 + tcp->cfg.ooo_bufs, i;
	struct tcp_slab *sl = &tcp->slab[tcp->nr_slabs];

	if (tcp->nr_slabs == TCP_SLABS_MAX)
		return false;
	sl->conns = calloc(n, sizeof(*sl->conns));
	sl->chunks = calloc((size_t)n * per, sizeof(*sl->chunks));
	if (!sl->conns || !sl->chunks) {
		free(sl->conns);
		free(sl->chunks);
		sl->conns = NULL;
		sl->chunks = NULL;
		return false;
	}
	sl->n = n;
	tcp->nr_slabs++;
	tcp->stats.conns_allocated += n;
	for (i = n; i-- > 0;) {
		struct tcp_conn *c = &sl->conns[i];

		c->sndq = &sl->chunks[(size_t)i * per];
		c->ooo = c->sndq + tcp->sndq_mask + 1;
		c->qnext = tcp->free;
		tcp->free = c;
	}
	return true;
}

int tcp_table_init(struct bypass_tcp *tcp)
{
	tcp->hash_mask = tcp_pow2_at_least(2 * tcp->cfg.max_conns) - 1;
	tcp->lhash_mask = 255;
	flow_keys_init(tcp);
	tcp->sndq_mask = tcp_pow2_at_least(tcp->cfg.sndq_bufs) - 1;
	tcp->hash = calloc(tcp->hash_mask + 1, sizeof(*tcp->hash));
	tcp->lhash = calloc(tcp->lhash_mask + 1, sizeof(*tcp->lhash));
	if (!tcp->hash || !tcp->lhash || !add_slab(tcp, tcp->cfg.init_conns))
		return -ENOMEM;
	return 0;
}

struct tcp_conn *tcp_conn_at(struct bypass_tcp *tcp, uint32_t i)
{
	uint32_t s;

	for (s = 0; s < tcp->nr_slabs; s++) {
		if (i < tcp->slab[s].n)
			return &tcp->slab[s].conns[i];
		i -= tcp->slab[s].n;
	}
	return NULL;
}

void tcp_for_each_conn(struct bypass_tcp *tcp,
		       void (*fn)(struct tcp_conn *c, void *arg), void *arg)
{
	uint32_t s, i;

	for (s = 0; s < tcp->nr_slabs; s++)
		for (i = 0; i < tcp->slab[s].n; i++)
			if (tcp->slab[s].conns[i].tcp)
				fn(&tcp->slab[s].conns[i], arg);
}

static void free_one(struct tcp_conn *c, void *arg)
{
	(void)arg;
	tcp_conn_free(c);
}

void tcp_table_destroy(struct bypass_tcp *tcp)
{
	uint32_t s;

	tcp_for_each_conn(tcp, free_one, NULL);
	for (s = 0; s < tcp->nr_slabs; s++) {
		free(tcp->slab[s].conns);
		free(tcp->slab[s].chunks);
	}
	free(tcp->hash);
	free(tcp->lhash);
}

/*
 * A connection from the free list, growing the table by as many as it
 * holds (doubling it) when the list is empty; NULL at max_conns, counted.
 */
struct tcp_conn *tcp_conn_alloc(struct bypass_tcp *tcp)
{
	struct tcp_conn *c;
	struct tcp_chunk *sndq, *ooo;

	if (tcp->stats.conns >= tcp->cfg.max_conns) {
		tcp->stats.conn_limit_drops++;
		return NULL;
	}
	if (!tcp->free) {
		uint64_t have = tcp->stats.conns_allocated;
		uint32_t n = (uint32_t)(have < tcp->cfg.max_conns - have ?
					have : tcp->cfg.max_conns - have);

		if (!add_slab(tcp, n)) {
			tcp->stats.conn_limit_drops++;
			return NULL;
		}
	}
	c = tcp->free;
	tcp->free = c->qnext;
	tcp->stats.conns++;
	sndq = c->sndq;
	ooo = c->ooo;
	memset(c, 0, sizeof(*c));
	c->tcp = tcp;
	c->sndq = sndq;
	c->ooo = ooo;
	/* Linux's TCP_MSS_DEFAULT as the first estimate of the peer's. */
	c->rcv_mss = TCP_MSS_DEFAULT;
	c->last_data_ns = TCP_NO_DATA_NS;
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
	tcp->stats.conns--;
}
