// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ARP (RFC 826) for IPv4 over Ethernet: a set-associative cache with
 * expiry, resolution with retries (datagrams wait, a few per address, until
 * the reply), replies to requests for our address, and a gratuitous ARP
 * when the stack starts. Timers run on the device clock.
 *
 * The stacks of a group (one per thread, each on its own queue pair) each
 * hold a replica of the table: what one learns from an ARP packet, which
 * may land on any queue, goes to the others through the group
 * (bypass_stack_events.neigh, then arp_neigh_learn() in their threads),
 * and their datagrams waiting for that address then leave.
 *
 * Every change of an entry (learnt, expired, freed, evicted) moves
 * st->neigh_gen, which retires the headers ipv4_output prebuilt for the
 * last destination.
 */
#include <errno.h>
#include <string.h>

#include "stack.h"

static struct arp_entry *arp_set(struct bypass_stack *st, uint32_t ip)
{
	uint32_t h = ntohl(ip) * 0x9e3779b1u;

	return &st->arp[((h >> 26) & (ARP_SETS - 1)) * ARP_WAYS];
}

static struct arp_entry *arp_find(struct bypass_stack *st, uint32_t ip)
{
	struct arp_entry *set = arp_set(st, ip);
	int i;

	for (i = 0; i < ARP_WAYS; i++)
		if (set[i].state != ARP_FREE && set[i].ip == ip)
			return &set[i];
	return NULL;
}

/* A free way, else the resolved entry closest to expiry; NULL if none. */
static struct arp_entry *arp_alloc(struct bypass_stack *st, uint32_t ip)
{
	struct arp_entry *set = arp_set(st, ip), *victim = NULL;
	int i;

	for (i = 0; i < ARP_WAYS; i++) {
		if (set[i].state == ARP_FREE) {
			victim = &set[i];
			break;
		}
		if (set[i].state == ARP_RESOLVED &&
		    (!victim || set[i].deadline_ns < victim->deadline_ns))
			victim = &set[i];
	}
	if (!victim)
		return NULL;
	st->neigh_gen++;	/* the victim may be in use */
	memset(victim, 0, sizeof(*victim));
	victim->ip = ip;
	return victim;
}

static void arp_schedule(struct bypass_stack *st, uint64_t when)
{
	if (when < st->arp_next_ns)
		st->arp_next_ns = when;
}

/* Drop or send what waited for @e. */
static void arp_release_queue(struct bypass_stack *st, struct arp_entry *e,
			      bool send)
{
	struct bypass_buf *b = e->queue_head, *next;

	e->queue_head = NULL;
	e->queue_tail = NULL;
	e->queued = 0;
	for (; b; b = next) {
		next = b->next;
		b->next = NULL;
		if (send)
			eth_output(st, b, e->mac, ETH_P_IP);
		else
			stack_drop(st, b, BYPASS_DROP_ARP_UNRESOLVED);
	}
}

/* Build and queue an ARP packet; @tha NULL means zeros. */
static void arp_send(struct bypass_stack *st, uint16_t op, const uint8_t *eth_dst,
		     const uint8_t *tha, uint32_t tip)
{
	struct bypass_buf *b = pool_alloc(st->pool);
	struct arp_eth_ipv4 *a;

	if (!b) {
		stack_drop(st, NULL, BYPASS_DROP_TX_NO_BUFFER);
		return;
	}
	a = buf_push(b, sizeof(*a));
	a->h.ar_hrd = htons(ARPHRD_ETHER);
	a->h.ar_pro = htons(ETH_P_IP);
	a->h.ar_hln = ETH_ALEN;
	a->h.ar_pln = 4;
	a->h.ar_op = htons(op);
	memcpy(a->sha, st->mac, ETH_ALEN);
	memcpy(a->spa, &st->addr, 4);
	if (tha)
		memcpy(a->tha, tha, ETH_ALEN);
	else
		memset(a->tha, 0, ETH_ALEN);
	memcpy(a->tpa, &tip, 4);
	if (op == ARPOP_REPLY)
		st->c.arp.replies_tx++;
	else if (tip == st->addr)
		st->c.arp.gratuitous_tx++;
	else
		st->c.arp.requests_tx++;
	eth_output(st, b, eth_dst, ETH_P_ARP);
}

void arp_announce(struct bypass_stack *st)
{
	arp_send(st, ARPOP_REQUEST, eth_broadcast, NULL, st->addr);
}

static void arp_request(struct bypass_stack *st, struct arp_entry *e,
			uint64_t now)
{
	e->tries++;
	e->deadline_ns = now + st->arp_retry_ns;
	arp_schedule(st, e->deadline_ns);
	arp_send(st, ARPOP_REQUEST, eth_broadcast, NULL, e->ip);
}

static void arp_learn(struct bypass_stack *st, struct arp_entry *e,
		      const uint8_t *mac)
{
	bool was_pending = e->state == ARP_PENDING;

	st->neigh_gen++;	/* a new MAC, maybe, and a new expiry */
	memcpy(e->mac, mac, ETH_ALEN);
	e->state = ARP_RESOLVED;
	e->tries = 0;
	e->used = false;
	e->deadline_ns = stack_now(st) + st->arp_timeout_ns;
	arp_schedule(st, e->deadline_ns);
	if (was_pending)
		st->c.arp.resolved++;
	arp_release_queue(st, e, true);
}

static bool arp_sender_ok(const uint8_t *sha, uint32_t sip)
{
	return !(sha[0] & 1) && sip != htonl(0xffffffffu) &&
	       !ipv4_is_multicast(sip);
}

void arp_input(struct bypass_stack *st, struct bypass_buf *b)
{
	struct arp_eth_ipv4 *a = (struct arp_eth_ipv4 *)b->data;
	struct arp_entry *e;
	uint32_t sip, tip;
	uint16_t op;
	bool for_us;

	if (b->len < sizeof(*a)) {
		stack_drop(st, b, BYPASS_DROP_ARP_SHORT);
		return;
	}
	if (a->h.ar_hrd != htons(ARPHRD_ETHER) || a->h.ar_pro != htons(ETH_P_IP) ||
	    a->h.ar_hln != ETH_ALEN || a->h.ar_pln != 4) {
		stack_drop(st, b, BYPASS_DROP_ARP_BAD_FORMAT);
		return;
	}
	op = ntohs(a->h.ar_op);
	if (op != ARPOP_REQUEST && op != ARPOP_REPLY) {
		stack_drop(st, b, BYPASS_DROP_ARP_BAD_OP);
		return;
	}
	memcpy(&sip, a->spa, 4);
	memcpy(&tip, a->tpa, 4);
	if (!arp_sender_ok(a->sha, sip)) {
		stack_drop(st, b, BYPASS_DROP_ARP_BAD_SENDER);
		return;
	}
	if (sip == st->addr) {
		/* Another host uses our address: worth its own counter. */
		stack_drop(st, b, BYPASS_DROP_ARP_CONFLICT);
		return;
	}
	st->c.arp.rx++;
	for_us = tip == st->addr;
	/* A probe (sender 0.0.0.0) teaches nothing; anyone else is learnt. */
	e = sip ? arp_find(st, sip) : NULL;
	if (!e && sip && for_us)
		e = arp_alloc(st, sip);
	if (e) {
		arp_learn(st, e, a->sha);
		/* The other stacks of a group wait for it too, maybe. */
		if (st->ev.neigh)
			st->ev.neigh(st->ev.arg, sip, a->sha);
	}
	if (op == ARPOP_REQUEST && for_us) {
		arp_send(st, ARPOP_REPLY, a->sha, a->sha, sip);
		pool_put(b);
		return;
	}
	if (!for_us && !e)
		stack_drop(st, b, BYPASS_DROP_ARP_NOT_FOR_US);
	else
		pool_put(b);
}

/*
 * A resolved entry reached its expiry: one unused since it was learnt
 * goes; one in use stays in use while it is asked for again (stale), so
 * a long transfer does not stall every arp_timeout_ns. Without an answer
 * after arp_retries requests it goes too.
 */
static void arp_expire(struct bypass_stack *st, struct arp_entry *e,
		       uint64_t now)
{
	st->c.arp.expired++;
	st->neigh_gen++;
	if (!e->used) {
		e->state = ARP_FREE;
		return;
	}
	e->state = ARP_STALE;
	e->tries = 0;
	arp_request(st, e, now);
}

const uint8_t *arp_resolve(struct bypass_stack *st, struct bypass_buf *b,
			   uint32_t nexthop, uint64_t *valid_until, int *r)
{
	struct arp_entry *e = arp_find(st, nexthop);
	uint64_t now = stack_now(st);

	*r = 0;
	if (e && e->state == ARP_RESOLVED && now >= e->deadline_ns)
		arp_expire(st, e, now);
	if (e && (e->state == ARP_RESOLVED || e->state == ARP_STALE)) {
		e->used = true;
		/* A stale entry serves until the timers change it. */
		*valid_until = e->state == ARP_RESOLVED ? e->deadline_ns : UINT64_MAX;
		return e->mac;
	}
	if (!e) {
		e = arp_alloc(st, nexthop);
		if (!e) {
			stack_drop(st, b, BYPASS_DROP_ARP_TABLE_FULL);
			*r = -ENOBUFS;
			return NULL;
		}
		e->state = ARP_PENDING;
	}
	if (e->queued == ARP_QUEUE_MAX) {
		stack_drop(st, b, BYPASS_DROP_ARP_QUEUE_FULL);
		*r = -ENOBUFS;
		return NULL;
	}
	/* A payload chained behind @b must wait with it: copy it in (rare). */
	stack_tx_linearize(st, b);
	b->next = NULL;
	if (e->queue_tail)
		e->queue_tail->next = b;
	else
		e->queue_head = b;
	e->queue_tail = b;
	e->queued++;
	if (!e->tries)
		arp_request(st, e, now);
	return NULL;
}

void arp_timers(struct bypass_stack *st, uint64_t now)
{
	struct arp_entry *e;

	st->arp_next_ns = UINT64_MAX;
	for (e = st->arp; e < st->arp + ARP_SETS * ARP_WAYS; e++) {
		if (e->state == ARP_FREE)
			continue;
		if (now >= e->deadline_ns) {
			if (e->state == ARP_RESOLVED) {
				arp_expire(st, e, now);
				if (e->state == ARP_FREE)
					continue;
				arp_schedule(st, e->deadline_ns);
				continue;
			}
			if (e->tries >= st->arp_retries) {
				st->c.arp.timeouts++;
				arp_release_queue(st, e, false);
				e->state = ARP_FREE;
				st->neigh_gen++;
				continue;
			}
			arp_request(st, e, now);
		}
		arp_schedule(st, e->deadline_ns);
	}
}

void arp_neigh_learn(struct bypass_stack *st, uint32_t ip, const uint8_t *mac)
{
	struct arp_entry *e = arp_find(st, ip);

	if (!e)
		e = arp_alloc(st, ip);
	if (e)
		arp_learn(st, e, mac);
}

void arp_flush_all(struct bypass_stack *st)
{
	struct arp_entry *e;

	for (e = st->arp; e < st->arp + ARP_SETS * ARP_WAYS; e++) {
		while (e->queue_head) {
			struct bypass_buf *b = e->queue_head;

			e->queue_head = b->next;
			pool_put(b);
		}
		e->state = ARP_FREE;
	}
	st->neigh_gen++;
}
