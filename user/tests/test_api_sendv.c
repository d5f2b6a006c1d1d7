// SPDX-License-Identifier: GPL-2.0
/*
 * Host test: a write through the application APIs reaches the TCP engine
 * in one bypass_tcp_sendv() call, so it leaves as the fewest full
 * segments. Two contexts on the in-memory pair, polled by this thread,
 * Nagle off (where a buffer queued alone would leave its tail as a short
 * segment of its own): a 64 KiB bypass_send() must leave as 46 segments
 * of 1448 bytes at most (not 50), a native push of 8 buffers of 1000
 * bytes as 6 (not 8); the frames the sender's device took are counted.
 * Also the partial case: with the pool nearly dry a non-blocking send
 * queues what all the free buffers hold (the output runs once, after
 * them) and says so, and the rest follows.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"

#include "libbypass.h"
#include "bypass_api.h"
#include "bypass_socket.h"

#define PORT		7
#define MSS		1448u	/* 1500 - IPv4, TCP and timestamp headers */
#define WRITE_LEN	65536u
#define PUSH_BUFS	8u
#define PUSH_BUF_LEN	1000u

static const struct timespec zero;

FIXTURE(sendv) {
	struct bypass_pair *pair;
	struct bypass_ctx *ctx[2];	/* 0: sender, 1: receiver */
	int fd[2];
};

static void poll_both(FIXTURE_DATA(sendv) *self)
{
	bypass_ctx_poll(self->ctx[0]);
	bypass_ctx_poll(self->ctx[1]);
}

FIXTURE_SETUP(sendv)
{
	struct bypass_pair_config pc = {
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX |
			    1ULL << VIRTIO_NET_F_MRG_RXBUF,
		.mac = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } },
	};
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	int one = 1, l, i;

	ASSERT_EQ(0, bypass_pair_create(&pc, &self->pair));
	for (i = 0; i < 2; i++) {
		struct bypass_ctx_config cfg = {
			.stack = { .addr = htonl(0x0a000001 + (uint32_t)i), .prefix_len = 24 },
			.max_sockets = 16, .max_tokens = 16,
		};

		ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(self->pair, i), &cfg,
					       &self->ctx[i]));
	}
	l = bypass_socket(self->ctx[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, l);
	ASSERT_EQ(0, bypass_bind(self->ctx[1], l, (struct sockaddr *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(self->ctx[1], l, 4));
	self->fd[0] = bypass_socket(self->ctx[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, self->fd[0]);
	sin.sin_addr.s_addr = htonl(0x0a000002);
	bypass_connect(self->ctx[0], self->fd[0], (struct sockaddr *)&sin, sizeof(sin));
	self->fd[1] = -1;
	for (i = 0; i < 100 && self->fd[1] < 0; i++) {
		poll_both(self);
		self->fd[1] = bypass_accept4(self->ctx[1], l, NULL, NULL, SOCK_NONBLOCK);
	}
	ASSERT_LE(0, self->fd[1]);
	for (i = 0; i < 10; i++)
		poll_both(self);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, bypass_setsockopt(self->ctx[i], self->fd[i], IPPROTO_TCP,
					       TCP_NODELAY, &one, sizeof(one)));
}

FIXTURE_TEARDOWN(sendv)
{
	bypass_ctx_destroy(self->ctx[0]);
	bypass_ctx_destroy(self->ctx[1]);
	bypass_pair_destroy(self->pair);
}

static uint64_t sender_frames(FIXTURE_DATA(sendv) *self)
{
	struct bypass_pair_stats ps;

	bypass_pair_stats(self->pair, 0, &ps);
	return ps.tx_frames;
}

/* Poll both sides, reading on the receiver until @len bytes came: how many. */
static size_t receive_all(FIXTURE_DATA(sendv) *self, uint8_t *p, size_t len)
{
	size_t got = 0;
	int rounds;

	for (rounds = 0; got < len && rounds < 10000; rounds++) {
		ssize_t r;

		poll_both(self);
		while ((r = bypass_recv(self->ctx[1], self->fd[1], p + got,
					len - got, 0)) > 0)
			got += (size_t)r;
	}
	return got;
}

static void pattern(uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 7 + i / 251);
}

TEST_F(sendv, socket_send_of_64k_leaves_in_fewest_segments)
{
	static uint8_t out[WRITE_LEN], in[WRITE_LEN];
	uint64_t before;

	pattern(out, sizeof(out));
	before = sender_frames(self);
	ASSERT_EQ((ssize_t)WRITE_LEN, bypass_send(self->ctx[0], self->fd[0], out,
						  WRITE_LEN, 0));
	ASSERT_EQ(WRITE_LEN, receive_all(self, in, WRITE_LEN));
	EXPECT_EQ(0, memcmp(out, in, WRITE_LEN));
	EXPECT_EQ((WRITE_LEN + MSS - 1) / MSS, sender_frames(self) - before);
}

TEST_F(sendv, native_push_of_8_buffers_leaves_in_fewest_segments)
{
	static uint8_t out[PUSH_BUFS * PUSH_BUF_LEN], in[PUSH_BUFS * PUSH_BUF_LEN];
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	uint64_t before;
	uint32_t i;

	pattern(out, sizeof(out));
	memset(&sga, 0, sizeof(sga));
	for (i = 0; i < PUSH_BUFS; i++) {
		struct bypass_sga one;

		ASSERT_EQ(0, bypass_sga_alloc(self->ctx[0], PUSH_BUF_LEN, &one));
		ASSERT_EQ(1u, one.nr_segs);
		memcpy(one.segs[0]->data, out + i * PUSH_BUF_LEN, PUSH_BUF_LEN);
		sga.segs[sga.nr_segs++] = one.segs[0];
	}
	before = sender_frames(self);
	ASSERT_EQ(0, bypass_qpush(self->ctx[0], self->fd[0], &sga, &qt));
	ASSERT_EQ(sizeof(in), receive_all(self, in, sizeof(in)));
	ASSERT_EQ(0, bypass_qwait(self->ctx[0], qt, &res, &zero));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0, memcmp(out, in, sizeof(in)));
	EXPECT_EQ((sizeof(in) + MSS - 1) / MSS, sender_frames(self) - before);
}

/*
 * The pool nearly dry: the send queues what the free buffers hold (a
 * partial count, not an error), and the rest goes once ACKs returned the
 * buffers in flight.
 */
TEST_F(sendv, send_with_the_pool_nearly_dry_is_partial)
{
	static uint8_t out[WRITE_LEN], in[WRITE_LEN];
	struct bypass_buf *held[4096];
	struct bypass_pool *pool = bypass_stack_pool(bypass_ctx_stack(self->ctx[0]));
	uint32_t nheld = 0, room, i;
	size_t sent = 0;
	ssize_t r;

	pattern(out, sizeof(out));
	while (nheld < 4096 && (held[nheld] = bypass_buf_alloc(pool)))
		nheld++;
	ASSERT_LT(4u, nheld);
	room = bypass_buf_tailroom(held[0]);
	for (i = 0; i < 4; i++)		/* four buffers free */
		bypass_buf_put(held[--nheld]);
	r = bypass_send(self->ctx[0], self->fd[0], out, WRITE_LEN, 0);
	ASSERT_EQ((ssize_t)(4 * room), r);
	sent = (size_t)r;
	r = bypass_send(self->ctx[0], self->fd[0], out + sent, WRITE_LEN - sent, 0);
	EXPECT_EQ(-1, r);
	EXPECT_EQ(EAGAIN, errno);
	while (nheld)
		bypass_buf_put(held[--nheld]);
	while (sent < WRITE_LEN) {
		r = bypass_send(self->ctx[0], self->fd[0], out + sent, WRITE_LEN - sent, 0);
		ASSERT_LT(0, r);
		sent += (size_t)r;
	}
	ASSERT_EQ(WRITE_LEN, receive_all(self, in, WRITE_LEN));
	EXPECT_EQ(0, memcmp(out, in, WRITE_LEN));
}

TEST_HARNESS_MAIN
