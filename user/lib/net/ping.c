// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Ping sockets: send ICMP echo requests with an identifier of the
 * application's choosing and receive the matching replies, zero-copy like
 * UDP. Sockets are found in O(1) by identifier modulo PING_SLOTS.
 */
#include <errno.h>
#include <stdlib.h>

#include "libbypass.h"
#include "stack.h"

void icmp_echo_reply_input(struct bypass_stack *st, struct bypass_buf *b,
			   const struct ipv4_rx *rx)
{
	const struct icmphdr *ic = (const struct icmphdr *)b->data;
	uint16_t id = ntohs(ic->un.echo.id);
	struct bypass_ping *p = st->ping[id & (PING_SLOTS - 1)];

	if (!p || p->id != id) {
		stack_drop(st, b, BYPASS_DROP_ICMP_NO_SOCKET);
		return;
	}
	buf_pull(b, sizeof(*ic));
	if (!rxqueue_push(&p->rxq, b, rx->src, ntohs(ic->un.echo.sequence)))
		stack_drop(st, b, BYPASS_DROP_ICMP_QUEUE_FULL);
}

int bypass_ping_open(struct bypass_stack *st, uint16_t id,
		     struct bypass_ping **out)
{
	struct bypass_ping **slot = &st->ping[id & (PING_SLOTS - 1)];

	if (*slot)
		return -EADDRINUSE;
	*slot = calloc(1, sizeof(**slot));
	if (!*slot)
		return -ENOMEM;
	(*slot)->st = st;
	(*slot)->id = id;
	*out = *slot;
	return 0;
}

void bypass_ping_close(struct bypass_ping *p)
{
	if (!p)
		return;
	rxqueue_purge(&p->rxq);
	p->st->ping[p->id & (PING_SLOTS - 1)] = NULL;
	free(p);
}

void ping_close_all(struct bypass_stack *st)
{
	unsigned int i;

	for (i = 0; i < PING_SLOTS; i++)
		bypass_ping_close(st->ping[i]);
}

int bypass_ping_send(struct bypass_ping *p, struct bypass_buf *b, uint32_t addr,
		     uint16_t seq)
{
	struct bypass_stack *st = p->st;
	struct icmphdr *ic;
	int r;

	r = ipv4_tx_check(st, b, sizeof(*ic));
	if (r)
		return r;
	ic = buf_push(b, sizeof(*ic));
	ic->type = ICMP_ECHO;
	ic->code = 0;
	ic->checksum = 0;
	ic->un.echo.id = htons(p->id);
	ic->un.echo.sequence = htons(seq);
	ic->checksum = bypass_csum_fold(bypass_csum_partial(ic, b->len, 0));
	st->c.icmp.tx++;
	return ipv4_output(st, b, addr, IPPROTO_ICMP);
}

struct bypass_buf *bypass_ping_recv(struct bypass_ping *p, uint32_t *addr,
				    uint16_t *seq)
{
	return rxqueue_pop(&p->rxq, addr, seq);
}
