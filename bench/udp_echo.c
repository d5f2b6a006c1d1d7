// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver: UDP echoes between two libbypass stacks over the
 * in-memory pair. echo_rounds() is the measured region (see
 * callgrind-udp-echo.sh); the emulated device's work (pair_kick,
 * pair_service) is excluded there, so what is counted is the stacks and
 * the application loop. Not a test: it checks only that echoes come back.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"

#define PAYLOAD	64

struct bench {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
	struct bypass_udp *sock[2];
	uint32_t addr[2];
};

/* One echo: client sends, server receives and sends the buffer back. */
static int echo_once(struct bench *b)
{
	struct bypass_buf *buf = bypass_buf_alloc(bypass_stack_pool(b->st[0]));
	uint32_t from;
	uint16_t port;

	if (!buf)
		return -1;
	buf->len = PAYLOAD;
	if (bypass_udp_sendto(b->sock[0], buf, b->addr[1], 7))
		return -1;
	bypass_stack_flush(b->st[0]);
	bypass_stack_poll(b->st[1]);
	buf = bypass_udp_recv(b->sock[1], &from, &port);
	if (!buf || bypass_udp_sendto(b->sock[1], buf, from, port))
		return -1;
	bypass_stack_flush(b->st[1]);
	bypass_stack_poll(b->st[0]);
	buf = bypass_udp_recv(b->sock[0], NULL, NULL);
	if (!buf || buf->len != PAYLOAD)
		return -1;
	bypass_buf_put(buf);
	return 0;
}

__attribute__((noinline)) int echo_rounds(struct bench *b, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (echo_once(b))
			return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct bypass_pair_config pc = {
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX |
			    1ULL << VIRTIO_NET_F_MRG_RXBUF,
		.mac = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } },
	};
	long n = argc > 1 ? atol(argv[1]) : 10000;
	struct bypass_buf *buf;
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

		if (bypass_stack_create(bypass_pair_dev(b.pair, i), &cfg, &b.st[i]) ||
		    bypass_udp_open(b.st[i], i ? 7 : 4000, &b.sock[i]))
			return 1;
	}
	/* Warm up: the announcements, then resolve each other by ARP. */
	buf = bypass_buf_alloc(bypass_stack_pool(b.st[0]));
	buf->len = PAYLOAD;
	bypass_udp_sendto(b.sock[0], buf, b.addr[1], 7);
	for (i = 0; i < 4; i++) {
		bypass_stack_poll(b.st[0]);
		bypass_stack_poll(b.st[1]);
	}
	buf = bypass_udp_recv(b.sock[1], NULL, NULL);
	if (!buf)
		return 1;
	bypass_buf_put(buf);
	if (echo_rounds(&b, 100) || echo_rounds(&b, n)) {
		fprintf(stderr, "udp_echo: an echo went missing\n");
		return 1;
	}
	bypass_stack_destroy(b.st[0]);
	bypass_stack_destroy(b.st[1]);
	bypass_pair_destroy(b.pair);
	return 0;
}
