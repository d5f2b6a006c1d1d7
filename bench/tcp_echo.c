// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver: 64-byte TCP request/response between two libbypass
 * stacks over the in-memory pair, one connection, Nagle off. rr_rounds()
 * is the measured region (see callgrind-tcp-rr.sh): the handshake, ARP
 * and the rest of the setup are outside it, and the emulated device's
 * work (pair_kick, pair_service) is excluded there, so what is counted is
 * both stacks and the application loop. Not a test: it checks only that
 * every response comes back whole.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"

#define PAYLOAD	64
#define PORT	7

struct bench {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
	struct bypass_tcp_conn *c[2];	/* 0: client, 1: server's accepted */
	uint32_t addr[2];
};

/*
 * One round trip: the client sends a request, the server reads it and
 * sends the same buffer back (zero copy), the client reads the response.
 * The response carries the ACK of the request, the next request the ACK
 * of the response: no pure ACKs in the steady state.
 */
static int rr_once(struct bench *b)
{
	struct bypass_buf *buf = bypass_buf_alloc(bypass_stack_pool(b->st[0]));
	uint32_t got = 0;

	if (!buf)
		return -1;
	memset(buf->data, 0x5a, PAYLOAD);
	buf->len = PAYLOAD;
	if (bypass_tcp_send(b->c[0], buf))
		return -1;
	bypass_stack_flush(b->st[0]);
	bypass_stack_poll(b->st[1]);
	while ((buf = bypass_tcp_recv(b->c[1])))
		if (bypass_tcp_send(b->c[1], buf))
			return -1;
	bypass_stack_flush(b->st[1]);
	bypass_stack_poll(b->st[0]);
	while ((buf = bypass_tcp_recv(b->c[0]))) {
		got += buf->len;
		bypass_buf_put(buf);
	}
	return got == PAYLOAD ? 0 : -1;
}

__attribute__((noinline)) int rr_rounds(struct bench *b, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (rr_once(b))
			return -1;
	return 0;
}

/* Poll both stacks until @b->c[1] is accepted and both are established. */
static int handshake(struct bench *b, struct bypass_tcp_conn *l)
{
	int i;

	for (i = 0; i < 100 && !b->c[1]; i++) {
		bypass_stack_poll(b->st[0]);
		bypass_stack_poll(b->st[1]);
		b->c[1] = bypass_tcp_accept(l);
	}
	for (i = 0; i < 10; i++) {
		bypass_stack_poll(b->st[0]);
		bypass_stack_poll(b->st[1]);
	}
	return b->c[1] && bypass_tcp_state(b->c[0]) == BYPASS_TCP_ESTABLISHED &&
	       bypass_tcp_state(b->c[1]) == BYPASS_TCP_ESTABLISHED ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct bypass_pair_config pc = {
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX |
			    1ULL << VIRTIO_NET_F_MRG_RXBUF,
		.mac = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } },
	};
	long n = argc > 1 ? atol(argv[1]) : 10000;
	struct bypass_tcp_conn *l;
	struct bench b;
	int i;

	if (argc > 2 && !strcmp(argv[2], "csum-offload"))
		pc.features |= 1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM;
	memset(&b, 0, sizeof(b));
	b.addr[0] = htonl(0x0a000001);
	b.addr[1] = htonl(0x0a000002);
	if (bypass_pair_create(&pc, &b.pair))
		return 1;
	for (i = 0; i < 2; i++) {
		struct bypass_stack_config cfg = { .addr = b.addr[i], .prefix_len = 24 };

		if (bypass_stack_create(bypass_pair_dev(b.pair, i), &cfg, &b.st[i]))
			return 1;
	}
	if (bypass_stack_tcp_listen(b.st[1], PORT, 4, &l) ||
	    bypass_stack_tcp_connect(b.st[0], b.addr[1], PORT, &b.c[0]) ||
	    handshake(&b, l)) {
		fprintf(stderr, "tcp_echo: no connection\n");
		return 1;
	}
	bypass_tcp_set_nodelay(b.c[0], true);
	bypass_tcp_set_nodelay(b.c[1], true);
	if (rr_rounds(&b, 100) || rr_rounds(&b, n)) {
		fprintf(stderr, "tcp_echo: a response went missing\n");
		return 1;
	}
	bypass_tcp_abort(b.c[0]);
	bypass_tcp_abort(b.c[1]);
	bypass_tcp_close(l);
	bypass_stack_destroy(b.st[0]);
	bypass_stack_destroy(b.st[1]);
	bypass_pair_destroy(b.pair);
	return 0;
}
