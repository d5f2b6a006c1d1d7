// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of bypass_ctx_fd()'s readiness contract: the library arms
 * the fd (interrupts, timer) only when a call finds nothing to do, and
 * keeps it readable while the interrupts are off, so an application that
 * sleeps only in its own epoll on the fds of two contexts, after any call,
 * still wakes for every request, every timer (retransmission, delayed ACK,
 * TIME_WAIT) and the peer's close; each sleep is bounded, so a lost wakeup
 * fails a check instead of hanging. And traffic that flows without a call
 * finding nothing takes no interrupt at all.
 */
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "frames.h"

#include "bypass_api.h"
#include "bypass_socket.h"
#include "bypass_tcp.h"

#define PORT		7
#define NAP_MS		3000	/* a wakeup due sooner than this was lost */
#define MAX_NAPS	2000

static void set_addr(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = htons(port);
}

/* Two contexts on a pair, both fds in one kernel epoll (the app's). */
struct rig {
	struct bypass_pair *pair;
	struct bypass_ctx *ctx[2];	/* 0: client, 1: server */
	int efd;
	int lfd, fd[2];			/* server's listener; connection ends */
	unsigned int naps;
};

static int rig_open(struct rig *r, bool threaded)
{
	static const struct bypass_tcp_config tcp = {
		.msl_ns = 50000000,	/* TIME_WAIT: 100 ms */
	};
	struct bypass_pair_config pc = {
		.features = FEAT_DEFAULT, .queue_size = 256, .threaded = threaded,
	};
	int i;

	memset(r, 0, sizeof(*r));
	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	r->efd = epoll_create1(EPOLL_CLOEXEC);
	if (r->efd < 0 || bypass_pair_create(&pc, &r->pair))
		return -1;
	for (i = 0; i < 2; i++) {
		struct bypass_ctx_config cfg = {
			.stack = { .addr = i ? IP_PEER : IP_US, .prefix_len = 24,
				   .tcp = &tcp },
			.max_sockets = 16, .max_tokens = 16,
		};
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)i };
		int fd;

		if (bypass_ctx_create(bypass_pair_dev(r->pair, i), &cfg, &r->ctx[i]))
			return -1;
		fd = bypass_ctx_fd(r->ctx[i]);
		if (fd < 0 || epoll_ctl(r->efd, EPOLL_CTL_ADD, fd, &ev))
			return -1;
	}
	return 0;
}

static void rig_close(struct rig *r)
{
	int i;

	for (i = 0; i < 2; i++)
		bypass_ctx_destroy(r->ctx[i]);
	bypass_pair_destroy(r->pair);
	close(r->efd);
}

/*
 * Sleep in the application's epoll until a context's fd wakes it (at most
 * NAP_MS), then poll that context: what an event loop does. The number of
 * fds that woke it; 0 means a wakeup that was due never came.
 */
static int nap(struct rig *r)
{
	struct epoll_event ev[2];
	int n, i;

	r->naps++;
	n = epoll_wait(r->efd, ev, 2, NAP_MS);
	for (i = 0; i < n; i++)
		bypass_ctx_poll(r->ctx[ev[i].data.u32]);
	return n;
}

/* Nap until @cond holds: each nap must end in a wakeup, and not spin. */
#define NAP_UNTIL(r, cond) do {						\
	unsigned int _n;						\
	for (_n = 0; !(cond); _n++) {					\
		ASSERT_GT(MAX_NAPS, _n) TH_LOG("woken over and over");	\
		ASSERT_LT(0, nap(r)) TH_LOG("a wakeup was lost: " #cond); \
	}								\
} while (0)

static uint64_t tcp_tx(struct bypass_ctx *ctx)
{
	struct bypass_counters c;

	bypass_stack_counters(bypass_ctx_stack(ctx), &c);
	return c.tcp.tx;
}

static uint64_t time_waits(struct bypass_ctx *ctx)
{
	struct bypass_counters c;

	bypass_stack_counters(bypass_ctx_stack(ctx), &c);
	return c.tcp.time_wait;
}

/*
 * Whether @side's socket is readable, asked without arming anything: the
 * naps of the tests wait with it, so that they sleep after whatever the
 * last call was, not after a receive that found nothing.
 */
static bool readable(struct rig *r, int side)
{
	return bypass_sock_events(r->ctx[side], r->fd[side]) & EPOLLIN;
}

/* A receive of up to @len bytes: its count, 0 at the end, -1 on EAGAIN. */
static ssize_t rx(struct rig *r, int side, void *buf, size_t len)
{
	ssize_t n = bypass_recv(r->ctx[side], r->fd[side], buf, len, 0);

	return n < 0 && errno == EAGAIN ? -1 : n;
}

/* Connect the client to the server, both non-blocking, Nagle off. */
static int rig_connect(struct rig *r, struct __test_metadata *_metadata)
{
	struct sockaddr_in sin;
	int one = 1, i;

	r->lfd = bypass_socket(r->ctx[1], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, 0, PORT);
	if (r->lfd < 0 || bypass_bind(r->ctx[1], r->lfd, (void *)&sin, sizeof(sin)) ||
	    bypass_listen(r->ctx[1], r->lfd, 4))
		return -1;
	r->fd[0] = bypass_socket(r->ctx[0], AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, IP_PEER, PORT);
	if (r->fd[0] < 0 ||
	    bypass_connect(r->ctx[0], r->fd[0], (void *)&sin, sizeof(sin)) != -1 ||
	    errno != EINPROGRESS)
		return -1;
	r->fd[1] = -1;
	NAP_UNTIL(r, bypass_sock_events(r->ctx[1], r->lfd) & EPOLLIN);
	r->fd[1] = bypass_accept4(r->ctx[1], r->lfd, NULL, NULL, SOCK_NONBLOCK);
	if (r->fd[1] < 0)
		return -1;
	NAP_UNTIL(r, bypass_sock_events(r->ctx[0], r->fd[0]) & EPOLLOUT);
	for (i = 0; i < 2; i++)
		if (bypass_setsockopt(r->ctx[i], r->fd[i], IPPROTO_TCP, TCP_NODELAY,
				      &one, sizeof(one)))
			return -1;
	return 0;
}

/*
 * Requests and responses, the application sleeping after every step: half
 * of the time straight after a call that did work (received, sent), half
 * of the time after a receive that found nothing (EAGAIN, which arms).
 * Then timers and the close, each waited for asleep.
 */
TEST(sleeping_app_wakes_for_requests_timers_and_close)
{
	struct rig r;
	char req[32], buf[64];
	uint64_t tx0;
	ssize_t n;
	int i;

	/* Every nap below waits with a look that arms nothing (readable()). */

	ASSERT_EQ(0, rig_open(&r, true));
	ASSERT_EQ(0, rig_connect(&r, _metadata));
	for (i = 0; i < 50; i++) {
		memset(req, 'a' + i % 26, sizeof(req));
		ASSERT_EQ((ssize_t)sizeof(req),
			  bypass_send(r.ctx[0], r.fd[0], req, sizeof(req), 0));
		if (i % 2)	/* nothing back yet: armed, then asleep */
			EXPECT_EQ(-1, rx(&r, 0, buf, sizeof(buf)));
		/* The server sleeps until the request is there. */
		NAP_UNTIL(&r, readable(&r, 1));
		n = rx(&r, 1, buf, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(req), n);
		ASSERT_EQ(n, bypass_send(r.ctx[1], r.fd[1], buf, (size_t)n, 0));
		if (i % 2)
			EXPECT_EQ(-1, rx(&r, 1, buf, sizeof(buf)));
		NAP_UNTIL(&r, readable(&r, 0));
		n = rx(&r, 0, buf, sizeof(buf));
		ASSERT_EQ((ssize_t)sizeof(req), n);
		ASSERT_EQ(0, memcmp(buf, req, sizeof(req)));
	}

	/*
	 * Retransmission: the server's fd leaves the epoll, so nobody polls
	 * it (no ACK comes back); the client, asleep after its send, must
	 * wake for its retransmission timer, which sends the data again.
	 */
	{
		struct epoll_event ev = { .events = EPOLLIN, .data.u32 = 1 };

		ASSERT_EQ(0, epoll_ctl(r.efd, EPOLL_CTL_DEL, bypass_ctx_fd(r.ctx[1]), NULL));
		ASSERT_EQ(5, bypass_send(r.ctx[0], r.fd[0], "hello", 5, 0));
		tx0 = tcp_tx(r.ctx[0]);
		NAP_UNTIL(&r, tcp_tx(r.ctx[0]) > tx0);
		ASSERT_EQ(0, epoll_ctl(r.efd, EPOLL_CTL_ADD, bypass_ctx_fd(r.ctx[1]), &ev));
	}
	NAP_UNTIL(&r, readable(&r, 1));
	ASSERT_EQ(5, rx(&r, 1, buf, sizeof(buf)));
	/*
	 * Delayed ACK: a byte the server reads and answers nothing to; the
	 * ACK it owes leaves on its own (a timer, or at once), asleep.
	 */
	tx0 = tcp_tx(r.ctx[1]);
	ASSERT_EQ(1, bypass_send(r.ctx[0], r.fd[0], "x", 1, 0));
	NAP_UNTIL(&r, readable(&r, 1));
	ASSERT_EQ(1, rx(&r, 1, buf, sizeof(buf)));
	NAP_UNTIL(&r, tcp_tx(r.ctx[1]) > tx0);

	/*
	 * The peer's close wakes the client (its receive then ends); the
	 * server, which closed first, holds TIME_WAIT, whose end must wake
	 * it too.
	 */
	ASSERT_EQ(0, bypass_close(r.ctx[1], r.fd[1]));
	NAP_UNTIL(&r, readable(&r, 0));
	EXPECT_EQ(0, rx(&r, 0, buf, sizeof(buf)));
	ASSERT_EQ(0, bypass_close(r.ctx[0], r.fd[0]));
	NAP_UNTIL(&r, time_waits(r.ctx[1]) == 1);
	NAP_UNTIL(&r, time_waits(r.ctx[1]) == 0);
	TH_LOG("%u naps", r.naps);
	rig_close(&r);
}

/*
 * Request/response that flows (every call finds work, as when requests
 * keep coming) takes no interrupt: the interrupts stay off from the
 * first poll that found traffic, the fds stay readable meanwhile, and a
 * receive that finds nothing arms them again. Synchronous pair: each
 * frame arrives as it is sent.
 */
TEST(flowing_traffic_takes_no_interrupts)
{
	struct bypass_pair_stats before[2], after[2];
	struct pollfd p = { .events = POLLIN };
	struct rig r;
	char buf[64];
	int i, k;

	ASSERT_EQ(0, rig_open(&r, false));
	ASSERT_EQ(0, rig_connect(&r, _metadata));
	memset(buf, 'x', sizeof(buf));
	for (k = 0; k < 2; k++)
		bypass_pair_stats(r.pair, k, &before[k]);
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(64, bypass_send(r.ctx[0], r.fd[0], buf, 64, 0));
		bypass_ctx_poll(r.ctx[1]);
		ASSERT_EQ(64, rx(&r, 1, buf, sizeof(buf)));
		ASSERT_EQ(64, bypass_send(r.ctx[1], r.fd[1], buf, 64, 0));
		bypass_ctx_poll(r.ctx[0]);
		ASSERT_EQ(64, rx(&r, 0, buf, sizeof(buf)));
	}
	for (k = 0; k < 2; k++) {
		bypass_pair_stats(r.pair, k, &after[k]);
		EXPECT_EQ(before[k].irqs[BYPASS_QUEUE_RX], after[k].irqs[BYPASS_QUEUE_RX]);
		EXPECT_EQ(before[k].irqs[BYPASS_QUEUE_TX], after[k].irqs[BYPASS_QUEUE_TX]);
		/* Interrupts off: the fd says there may be work. */
		p.fd = bypass_ctx_fd(r.ctx[k]);
		EXPECT_EQ(1, poll(&p, 1, 0));
	}
	/* Nothing more to read: armed, asleep until the next frame. */
	EXPECT_EQ(-1, rx(&r, 1, buf, sizeof(buf)));
	p.fd = bypass_ctx_fd(r.ctx[1]);
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, bypass_ctx_arm(r.ctx[1]));
	ASSERT_EQ(3, bypass_send(r.ctx[0], r.fd[0], "abc", 3, 0));
	EXPECT_EQ(1, poll(&p, 1, 0));
	EXPECT_EQ(1, bypass_ctx_arm(r.ctx[1]));
	bypass_ctx_poll(r.ctx[1]);
	EXPECT_EQ(3, rx(&r, 1, buf, sizeof(buf)));
	rig_close(&r);
}

TEST_HARNESS_MAIN
