// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libbypass TCP against the real Linux TCP over the TAP
 * device, in a private network namespace: Linux connects to a bypass
 * listener and gets 1 MiB echoed back byte-exact, and bypass connects to
 * a Linux listener that echoes 1 MiB back; both end with a clean close.
 * One thread runs both sides: Linux sockets are non-blocking, the stack
 * sleeps on its device fd (bypass_stack_wait); every loop is bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "tap_net.h"

#define TOTAL		(1u << 20)
#define CHUNK		999	/* odd: slices at odd offsets in segments */
#define LIMIT_MS	20000

static uint8_t pattern(uint64_t k)
{
	return (uint8_t)((k ^ (k >> 8) ^ (k >> 16)) * 29 + 3);
}

FIXTURE(tap) {
	struct bypass_dev *dev;
	struct bypass_stack *st;
};

TAP_FEATURE_VARIANTS(tap);

FIXTURE_SETUP(tap)
{
	const char *err = tap_stack_up(variant->features, 0, &self->dev,
				       &self->st);

	ASSERT_EQ(NULL, err) {
		TH_LOG("%s: %s", err, strerror(errno));
	}
}

FIXTURE_TEARDOWN(tap)
{
	bypass_stack_destroy(self->st);
	bypass_dev_destroy(self->dev);
}

static void run_stack(struct bypass_stack *st)
{
	bypass_stack_wait(st, 1);
	bypass_stack_poll(st);
}

/* Linux's side of a stream: what it sent, what came back, checked. */
struct kside {
	int fd;
	uint64_t sent, rcvd;
	bool bad, eof;
};

static void kside_send(struct kside *k, uint64_t total)
{
	uint8_t buf[16384];
	uint32_t n, i;
	ssize_t w;

	while (k->sent < total) {
		n = total - k->sent < sizeof(buf) ? (uint32_t)(total - k->sent) :
		    (uint32_t)sizeof(buf);
		for (i = 0; i < n; i++)
			buf[i] = pattern(k->sent + i);
		w = send(k->fd, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w <= 0)
			return;
		k->sent += (uint64_t)w;
	}
}

static void kside_recv(struct kside *k)
{
	uint8_t buf[16384];
	ssize_t n, i;

	while ((n = recv(k->fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0) {
		for (i = 0; i < n; i++)
			if (buf[i] != pattern(k->rcvd + (uint64_t)i))
				k->bad = true;
		k->rcvd += (uint64_t)n;
	}
	if (n == 0)
		k->eof = true;
}

/* Echo what @c received back on @c while it has room. */
static void bypass_echo(struct bypass_tcp_conn *c, uint64_t *echoed)
{
	struct bypass_buf *b;

	while (bypass_tcp_send_room(c) && (b = bypass_tcp_recv(c))) {
		uint32_t len = b->len;

		if (bypass_tcp_send(c, b))
			return;
		*echoed += len;
	}
}

TEST_F(tap, linux_connects_and_bypass_echoes)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7000),
				  .sin_addr.s_addr = STACK_IP };
	struct bypass_tcp_conn *l, *c = NULL;
	struct kside k = { .fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0) };
	uint64_t end, echoed = 0;

	ASSERT_GE(k.fd, 0);
	ASSERT_EQ(0, bypass_stack_tcp_listen(self->st, 7000, 0, &l));
	ASSERT_EQ(-1, connect(k.fd, (struct sockaddr *)&to, sizeof(to)));
	ASSERT_EQ(EINPROGRESS, errno);
	end = mono_ms() + LIMIT_MS;
	while (!c && mono_ms() < end) {
		run_stack(self->st);
		c = bypass_tcp_accept(l);
	}
	ASSERT_NE(NULL, c);
	while (k.rcvd < TOTAL && mono_ms() < end) {
		kside_send(&k, TOTAL);
		run_stack(self->st);
		bypass_echo(c, &echoed);
		kside_recv(&k);
	}
	EXPECT_EQ(TOTAL, k.rcvd);
	EXPECT_EQ(TOTAL, echoed);
	EXPECT_FALSE(k.bad);
	/* Linux half-closes; bypass sees the end, closes, Linux sees EOF. */
	ASSERT_EQ(0, shutdown(k.fd, SHUT_WR));
	while (!bypass_tcp_eof(c) && mono_ms() < end)
		run_stack(self->st);
	EXPECT_TRUE(bypass_tcp_eof(c));
	bypass_tcp_close(c);
	while (!k.eof && mono_ms() < end) {
		run_stack(self->st);
		kside_recv(&k);
	}
	EXPECT_TRUE(k.eof);
	EXPECT_EQ(TOTAL, k.rcvd);
	bypass_tcp_close(l);
	close(k.fd);
}

TEST_F(tap, bypass_connects_and_linux_echoes)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(7001),
				    .sin_addr.s_addr = KERNEL_IP };
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), fd = -1;
	uint64_t end, sent = 0, rcvd = 0, pend_off = 0, pend_len = 0;
	struct bypass_pool *pool = bypass_stack_pool(self->st);
	struct bypass_tcp_conn *c;
	static uint8_t pend[1 << 16];
	struct bypass_buf *b;
	bool bad = false;
	ssize_t n;

	ASSERT_GE(ls, 0);
	ASSERT_EQ(0, bind(ls, (struct sockaddr *)&addr, sizeof(addr)));
	ASSERT_EQ(0, listen(ls, 4));
	ASSERT_EQ(0, bypass_stack_tcp_connect(self->st, KERNEL_IP, 7001, &c));
	end = mono_ms() + LIMIT_MS;
	while (fd < 0 && mono_ms() < end) {
		run_stack(self->st);
		fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
	}
	ASSERT_GE(fd, 0);
	while (rcvd < TOTAL && mono_ms() < end) {
		/* bypass sends its stream ... */
		while (sent < TOTAL && bypass_tcp_send_room(c) &&
		       (b = bypass_buf_alloc(pool))) {
			uint32_t len = TOTAL - sent < CHUNK ? (uint32_t)(TOTAL - sent) : CHUNK;
			uint32_t i;

			for (i = 0; i < len; i++)
				b->data[i] = pattern(sent + i);
			b->len = len;
			ASSERT_EQ(0, bypass_tcp_send(c, b));
			sent += len;
		}
		run_stack(self->st);
		/* ... Linux echoes it ... */
		if (!pend_len) {
			n = recv(fd, pend, sizeof(pend), MSG_DONTWAIT);
			if (n > 0) {
				pend_off = 0;
				pend_len = (uint64_t)n;
			}
		}
		if (pend_len) {
			n = send(fd, pend + pend_off, pend_len, MSG_DONTWAIT | MSG_NOSIGNAL);
			if (n > 0) {
				pend_off += (uint64_t)n;
				pend_len -= (uint64_t)n;
			}
		}
		/* ... and bypass checks what comes back. */
		while ((b = bypass_tcp_recv(c))) {
			uint32_t i;

			for (i = 0; i < b->len; i++)
				if (b->data[i] != pattern(rcvd + i))
					bad = true;
			rcvd += b->len;
			bypass_buf_put(b);
		}
	}
	EXPECT_EQ(TOTAL, rcvd);
	EXPECT_FALSE(bad);
	EXPECT_EQ(0, bypass_tcp_error(c));
	/* bypass closes; Linux reads the end and closes too. */
	ASSERT_EQ(0, bypass_tcp_shutdown(c));
	n = -1;
	while (n != 0 && mono_ms() < end) {
		uint8_t x;

		run_stack(self->st);
		n = recv(fd, &x, 1, MSG_DONTWAIT);
	}
	EXPECT_EQ(0, n);
	close(fd);
	while (!bypass_tcp_eof(c) && mono_ms() < end)
		run_stack(self->st);
	EXPECT_TRUE(bypass_tcp_eof(c));
	bypass_tcp_close(c);
	close(ls);
}

TEST_HARNESS_MAIN
