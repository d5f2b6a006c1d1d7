// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark driver: 64-byte TCP request/response through the socket API
 * (bypass_socket.h) of two contexts over the in-memory pair, one thread,
 * Nagle off, non-blocking sockets. rr_rounds() is the measured region
 * (callgrind-socket-rr.sh); with "fd" both contexts have handed out
 * bypass_ctx_fd(), as an application sleeping in its own epoll does: the
 * traffic flows (no call finds nothing to do), so the fd stays readable
 * with the interrupts off and nothing re-arms it. Not a test: it checks
 * only that every response comes back whole. With "native" the same
 * round trip goes through the native calls (bypass_api.h) instead: a pop
 * kept outstanding on each side, the server pushing back the buffers it
 * popped (zero copy), without bypass_ctx_fd().
 *
 *   socket_echo ROUNDS [fd|native]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"
#include "bypass_api.h"
#include "bypass_socket.h"

#define PAYLOAD	64
#define PORT	7

struct bench {
	struct bypass_pair *pair;
	struct bypass_ctx *ctx[2];	/* 0: client, 1: server */
	int fd[2];			/* connected sockets */
	bool native;
	bypass_qtoken_t pop[2];		/* native: the outstanding pops */
};

static const struct timespec zero;

/* Native: push @sga on side @i and collect the push: 0 or -1. */
static int push_native(struct bench *b, int i, struct bypass_sga *sga)
{
	bypass_qtoken_t qt;
	struct bypass_qresult res;

	if (bypass_qpush(b->ctx[i], b->fd[i], sga, &qt) ||
	    bypass_qwait(b->ctx[i], qt, &res, &zero) || res.err)
		return -1;
	return 0;
}

/*
 * Native: poll side @i until its pop completes with PAYLOAD bytes, leave
 * them in @res and start the next pop: 0 or -1.
 */
static int pop_native(struct bench *b, int i, struct bypass_qresult *res)
{
	int tries;

	for (tries = 0; tries < 100; tries++) {
		if (!bypass_qwait(b->ctx[i], b->pop[i], res, &zero))
			break;
		bypass_ctx_poll(b->ctx[i]);
	}
	if (tries == 100 || res->err || bypass_sga_len(&res->sga) != PAYLOAD)
		return -1;
	return bypass_qpop(b->ctx[i], b->fd[i], &b->pop[i]) ? -1 : 0;
}

/* One native round trip: request, the server pushes back what it popped. */
static int rr_once_native(struct bench *b)
{
	struct bypass_qresult res;
	struct bypass_sga sga;
	int r;

	if (bypass_sga_alloc(b->ctx[0], PAYLOAD, &sga))
		return -1;
	memset(sga.segs[0]->data, 0x5a, PAYLOAD);
	if (push_native(b, 0, &sga))
		return -1;
	bypass_ctx_poll(b->ctx[1]);
	if (pop_native(b, 1, &res) || push_native(b, 1, &res.sga))
		return -1;
	bypass_ctx_poll(b->ctx[0]);
	if (pop_native(b, 0, &res))
		return -1;
	r = res.sga.segs[0]->data[0] == 0x5a ? 0 : -1;
	bypass_sga_free(&res.sga);
	return r;
}

/* Read exactly PAYLOAD bytes on side @i, polling its context: 0 or -1. */
static int read_all(struct bench *b, int i, unsigned char *p)
{
	size_t got = 0;
	int tries;

	for (tries = 0; got < PAYLOAD && tries < 100; tries++) {
		ssize_t r = bypass_recv(b->ctx[i], b->fd[i], p + got, PAYLOAD - got, 0);

		if (r > 0)
			got += (size_t)r;
		else if (r < 0 && errno != EAGAIN)
			return -1;
		else
			bypass_ctx_poll(b->ctx[i]);
	}
	return got == PAYLOAD ? 0 : -1;
}

/* One round trip: request, server reads and echoes it, client reads. */
static int rr_once(struct bench *b)
{
	unsigned char req[PAYLOAD], buf[PAYLOAD];

	memset(req, 0x5a, sizeof(req));
	if (bypass_send(b->ctx[0], b->fd[0], req, PAYLOAD, 0) != PAYLOAD)
		return -1;
	bypass_ctx_poll(b->ctx[1]);
	if (read_all(b, 1, buf) ||
	    bypass_send(b->ctx[1], b->fd[1], buf, PAYLOAD, 0) != PAYLOAD)
		return -1;
	bypass_ctx_poll(b->ctx[0]);
	if (read_all(b, 0, buf))
		return -1;
	return memcmp(buf, req, PAYLOAD) ? -1 : 0;
}

__attribute__((noinline)) int rr_rounds(struct bench *b, long n)
{
	long i;

	for (i = 0; i < n; i++)
		if (b->native ? rr_once_native(b) : rr_once(b))
			return -1;
	return 0;
}

static int setup(struct bench *b)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int one = 1, l, i;

	l = bypass_socket(b->ctx[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (l < 0 || bypass_bind(b->ctx[1], l, (struct sockaddr *)&sin, sizeof(sin)) ||
	    bypass_listen(b->ctx[1], l, 4))
		return -1;
	b->fd[0] = bypass_socket(b->ctx[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	sin.sin_addr.s_addr = htonl(0x0a000002);
	if (b->fd[0] < 0 ||
	    (bypass_connect(b->ctx[0], b->fd[0], (struct sockaddr *)&sin, sizeof(sin)) &&
	     errno != EINPROGRESS))
		return -1;
	b->fd[1] = -1;
	for (i = 0; i < 100 && b->fd[1] < 0; i++) {
		bypass_ctx_poll(b->ctx[0]);
		bypass_ctx_poll(b->ctx[1]);
		b->fd[1] = bypass_accept4(b->ctx[1], l, NULL, NULL, SOCK_NONBLOCK);
	}
	for (i = 0; i < 10; i++) {
		bypass_ctx_poll(b->ctx[0]);
		bypass_ctx_poll(b->ctx[1]);
	}
	if (b->fd[1] < 0)
		return -1;
	for (i = 0; i < 2; i++)
		if (bypass_setsockopt(b->ctx[i], b->fd[i], IPPROTO_TCP, TCP_NODELAY,
				      &one, sizeof(one)))
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
	bool use_fd = argc > 2 && !strcmp(argv[2], "fd");
	struct bench b;
	int i;

	memset(&b, 0, sizeof(b));
	if (bypass_pair_create(&pc, &b.pair))
		return 1;
	for (i = 0; i < 2; i++) {
		struct bypass_ctx_config cfg = {
			.stack = { .addr = htonl(0x0a000001 + (uint32_t)i), .prefix_len = 24 },
			.max_sockets = 16, .max_tokens = 16,
		};

		if (bypass_ctx_create(bypass_pair_dev(b.pair, i), &cfg, &b.ctx[i]))
			return 1;
		if (use_fd && bypass_ctx_fd(b.ctx[i]) < 0)
			return 1;
	}
	if (setup(&b)) {
		fprintf(stderr, "socket_echo: no connection\n");
		return 1;
	}
	b.native = argc > 2 && !strcmp(argv[2], "native");
	for (i = 0; b.native && i < 2; i++)
		if (bypass_qpop(b.ctx[i], b.fd[i], &b.pop[i]))
			return 1;
	if (rr_rounds(&b, 100) || rr_rounds(&b, n)) {
		fprintf(stderr, "socket_echo: a response went missing\n");
		return 1;
	}
	for (i = 0; i < 2; i++)
		bypass_ctx_destroy(b.ctx[i]);
	bypass_pair_destroy(b.pair);
	return 0;
}
