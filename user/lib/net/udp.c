// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * UDP (RFC 768): sockets bound to a port, found in O(1) through a table
 * indexed by port; received datagrams wait in a fixed ring per socket as
 * the buffers they arrived in; sends build the headers in front of the
 * application's payload.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "ipv4_tx.h"
#include "libbypass.h"
#include "stack.h"

void udp_input(struct bypass_stack *st, struct bypass_buf *b,
	       const struct ipv4_rx *rx)
{
	const struct udphdr *uh = (const struct udphdr *)b->data;
	struct bypass_udp *sock;
	uint32_t ulen;

	if (b->len < sizeof(*uh)) {
		stack_drop(st, b, BYPASS_DROP_UDP_SHORT);
		return;
	}
	ulen = ntohs(uh->len);
	if (ulen < sizeof(*uh) || ulen > b->len) {
		stack_drop(st, b, BYPASS_DROP_UDP_BAD_LEN);
		return;
	}
	b->len = ulen;
	if (uh->check && !st->rx_l4_valid) {
		uint64_t sum = csum_pseudo64(rx->src, rx->dst, IPPROTO_UDP,
					     (uint16_t)ulen);

		if (csum_fold64(csum_partial64(uh, ulen, sum))) {
			stack_drop(st, b, BYPASS_DROP_UDP_BAD_CSUM);
			return;
		}
	}
	st->c.udp.rx++;
	sock = st->udp[ntohs(uh->dest)];
	if (!sock) {
		if (!rx->broadcast)
			icmp_port_unreachable(st, rx, ulen);
		stack_drop(st, b, BYPASS_DROP_UDP_NO_SOCKET);
		return;
	}
	buf_pull(b, sizeof(*uh));
	if (!rxqueue_push(&sock->rxq, b, rx->src, ntohs(uh->source)))
		stack_drop(st, b, BYPASS_DROP_UDP_QUEUE_FULL);
	else if (st->ev.udp)
		st->ev.udp(st->ev.arg, sock);
}

int bypass_udp_open(struct bypass_stack *st, uint16_t port,
		    struct bypass_udp **out)
{
	struct bypass_udp *sock;

	if (!port)
		return -EINVAL;
	if (st->udp[port])
		return -EADDRINUSE;
	sock = calloc(1, sizeof(*sock));
	if (!sock)
		return -ENOMEM;
	sock->st = st;
	sock->port = port;
	st->udp[port] = sock;
	*out = sock;
	return 0;
}

void bypass_udp_close(struct bypass_udp *sock)
{
	if (!sock)
		return;
	rxqueue_purge(&sock->rxq);
	sock->st->udp[sock->port] = NULL;
	free(sock);
}

void udp_close_all(struct bypass_stack *st)
{
	uint32_t port;

	for (port = 1; port < UDP_PORTS; port++)
		bypass_udp_close(st->udp[port]);
}

struct bypass_buf *bypass_udp_recv(struct bypass_udp *sock, uint32_t *addr,
				   uint16_t *port)
{
	return rxqueue_pop(&sock->rxq, addr, port);
}

void bypass_udp_set_user(struct bypass_udp *sock, void *user)
{
	sock->user = user;
}

void *bypass_udp_user(const struct bypass_udp *sock)
{
	return sock->user;
}

uint32_t bypass_udp_pending(const struct bypass_udp *sock)
{
	return sock->rxq.count;
}

int bypass_udp_sendto(struct bypass_udp *sock, struct bypass_buf *b,
		      uint32_t addr, uint16_t port)
{
	struct bypass_stack *st = sock->st;
	struct udphdr *uh;
	uint64_t sum;
	int r;

	if (!port) {
		pool_put(b);
		return -EINVAL;
	}
	r = ipv4_tx_check(st, b, sizeof(*uh));
	if (r)
		return r;
	uh = buf_push(b, sizeof(*uh));
	uh->source = htons(sock->port);
	uh->dest = htons(port);
	uh->len = htons((uint16_t)b->len);
	sum = csum_pseudo64(st->addr, addr, IPPROTO_UDP, (uint16_t)b->len);
	if (st->tx_csum) {
		/* The device sums from the UDP header on and folds this in. */
		uh->check = (uint16_t)~csum_fold64(sum);
	} else {
		uh->check = 0;
		uh->check = csum_fold64(csum_partial64(uh, b->len, sum));
		if (!uh->check)
			uh->check = 0xffff;
	}
	st->c.udp.tx++;
	/*
	 * ipv4_tx_check() checked the size and the room for every header:
	 * the prebuilt ones go on without ipv4_send()'s second look.
	 */
	if (__builtin_expect(ipv4_tx_cache_serves(st, addr), 1)) {
		r = ipv4_tx_prebuilt(st, b, IPPROTO_UDP);
		return r > 0 ? 0 : r;
	}
	return ipv4_output(st, b, addr, IPPROTO_UDP);
}
