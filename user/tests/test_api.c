// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the application APIs (bypass_api.h, bypass_socket.h) on
 * the in-memory pair with each device on its own thread, as hardware
 * runs: a server context on one thread (socket-like calls and a readiness
 * set) and a client context on the test's thread (native and socket-like
 * calls). Blocking waits must wake on traffic, asleep; every call's error
 * paths give the documented errno (Documentation/api/). One test without
 * the fixture runs two such pairs at once, a context per thread.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sys/ioctl.h>
#include <time.h>

#include "kselftest_harness.h"
#include "frames.h"

#include "bypass_api.h"
#include "bypass_socket.h"
#include "bypass_tcp.h"

#define ECHO_PORT	7
#define SLOW_PORT	9	/* echoes 300 ms late */
#define CLOSED_PORT	10
#define RESET_PORT	11	/* resets a connection when data arrives
				 * (answering "zz" first to a 'z') */
#define DIAL_PORT	13	/* UDP: connects back to the port asked for */
#define DIAL_ECHO	0	/* ... an echo connection */
#define DIAL_ABORT	1	/* ... reset once established */
#define WAIT_MS		5000
#ifndef TOTAL_ECHO
#define TOTAL_ECHO	(1u << 20)
#endif

struct server {
	struct bypass_ctx *ctx;
	int stop;
	int failed;
	int aborted;		/* DIAL_ABORT connections reset so far */
};

static void set_addr(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = htons(port);
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The server: TCP echo on 7, a late echo on 9, UDP echo on 7, all through
 * one readiness set. Connections are non-blocking. TCP on 11 resets each
 * connection when data arrives (a close with the data unread), first
 * sending "zz" when the data starts with 'z'. A datagram
 * to UDP 13 holding a port (2 bytes, network order) and a mode makes the
 * server connect back to its source on that port: DIAL_ECHO, an echo
 * connection like those accepted on 7; DIAL_ABORT, a connection of the
 * stack's own that the server resets once established.
 */
#define SRV_MAX	64
#define SRV_RAW	8
#define TAG_SLOW	(1ull << 32)
#define TAG_RESET	(2ull << 32)
static void *server_main(void *arg)
{
	struct server *srv = arg;
	struct bypass_ctx *ctx = srv->ctx;
	struct epoll_event ev, evs[16];
	int ep, lt, ls, lr, us, ud, i, n, fd;
	struct sockaddr_in sin;
	static __thread uint8_t buf[65536];
	uint64_t slow_due[SRV_MAX] = { 0 };
	char slow_data[SRV_MAX][64];
	ssize_t slow_len[SRV_MAX] = { 0 };
	struct bypass_tcp_conn *raw[SRV_RAW] = { NULL };

	ep = bypass_epoll_create(ctx);
	lt = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ls = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	lr = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	us = bypass_socket(ctx, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ud = bypass_socket(ctx, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, 0, ECHO_PORT);
	if (ep < 0 || lt < 0 || ls < 0 || lr < 0 || us < 0 || ud < 0 ||
	    bypass_bind(ctx, lt, (void *)&sin, sizeof(sin)) ||
	    bypass_bind(ctx, us, (void *)&sin, sizeof(sin)) ||
	    bypass_listen(ctx, lt, 16))
		goto fail;
	set_addr(&sin, 0, SLOW_PORT);
	if (bypass_bind(ctx, ls, (void *)&sin, sizeof(sin)) || bypass_listen(ctx, ls, 4))
		goto fail;
	set_addr(&sin, 0, RESET_PORT);
	if (bypass_bind(ctx, lr, (void *)&sin, sizeof(sin)) || bypass_listen(ctx, lr, 4))
		goto fail;
	set_addr(&sin, 0, DIAL_PORT);
	if (bypass_bind(ctx, ud, (void *)&sin, sizeof(sin)))
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)lt;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, lt, &ev);
	ev.data.u64 = (uint64_t)ls;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, ls, &ev);
	ev.data.u64 = (uint64_t)lr;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, lr, &ev);
	ev.data.u64 = (uint64_t)us;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, us, &ev);
	ev.data.u64 = (uint64_t)ud;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, ud, &ev);
	__atomic_store_n(&srv->failed, 0, __ATOMIC_RELEASE);

	while (!__atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE)) {
		n = bypass_epoll_wait(ctx, ep, evs, 16, 20);
		if (n < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			fd = (int)evs[i].data.u64;
			if (fd == lt || fd == ls || fd == lr) {
				int c;

				while ((c = bypass_accept4(ctx, fd, NULL, NULL,
							   SOCK_NONBLOCK)) >= 0) {
					if (c >= SRV_MAX)
						goto fail;
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.u64 = (uint64_t)c | (fd == ls ? TAG_SLOW : 0) |
						      (fd == lr ? TAG_RESET : 0);
					bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, c, &ev);
				}
				if (errno != EAGAIN)
					goto fail;
			} else if (fd == ud) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				uint16_t port;
				int k, c;

				while (bypass_recvfrom(ctx, ud, buf, sizeof(buf), 0,
						       (void *)&from, &fl) == 3) {
					memcpy(&port, buf, 2);
					if (buf[2] == DIAL_ABORT) {
						for (k = 0; k < SRV_RAW && raw[k]; k++)
							;
						if (k == SRV_RAW ||
						    bypass_stack_tcp_connect(bypass_ctx_stack(ctx),
									     from.sin_addr.s_addr,
									     ntohs(port), &raw[k]))
							goto fail;
						continue;
					}
					c = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
					if (c < 0 || c >= SRV_MAX)
						goto fail;
					set_addr(&sin, from.sin_addr.s_addr, ntohs(port));
					if (bypass_connect(ctx, c, (void *)&sin, sizeof(sin)) != -1 ||
					    errno != EINPROGRESS)
						goto fail;
					/* Reported once connected: then an echo like the others. */
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.u64 = (uint64_t)c;
					bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, c, &ev);
				}
			} else if (fd == us) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t r;

				while ((r = bypass_recvfrom(ctx, us, buf, sizeof(buf), 0,
							    (void *)&from, &fl)) >= 0)
					bypass_sendto(ctx, us, buf, (size_t)r, 0,
						      (void *)&from, fl);
			} else {
				bool slow = evs[i].data.u64 & TAG_SLOW;
				ssize_t r, w;

				fd = (int)(uint32_t)evs[i].data.u64;
				if (evs[i].data.u64 & TAG_RESET) {
					/* Closed with data unread: a reset. */
					if (bypass_recv(ctx, fd, buf, 1, 0) == 1 &&
					    buf[0] == 'z')
						bypass_send(ctx, fd, "zz", 2, 0);
					bypass_close(ctx, fd);
					continue;
				}
				r = bypass_recv(ctx, fd, buf, slow ? 64 : sizeof(buf), 0);
				if (r == 0 || (r < 0 && errno != EAGAIN)) {
					bypass_close(ctx, fd);
					continue;
				}
				if (r < 0)
					continue;
				if (slow) {
					memcpy(slow_data[fd], buf, (size_t)r);
					slow_len[fd] = r;
					slow_due[fd] = mono_ms() + 300;
					continue;
				}
				/* Blocking for what does not fit at once. */
				bypass_fcntl(ctx, fd, F_SETFL, 0);
				w = bypass_send(ctx, fd, buf, (size_t)r, 0);
				bypass_fcntl(ctx, fd, F_SETFL, O_NONBLOCK);
				if (w != r)
					goto fail;
			}
		}
		for (i = 0; i < SRV_RAW; i++) {
			enum bypass_tcp_state st;

			if (!raw[i])
				continue;
			st = bypass_tcp_state(raw[i]);
			if (st == BYPASS_TCP_SYN_SENT)
				continue;
			/* Established (or refused): reset it. */
			bypass_tcp_abort(raw[i]);
			bypass_ctx_poll(ctx);
			raw[i] = NULL;
			__atomic_add_fetch(&srv->aborted, 1, __ATOMIC_RELEASE);
		}
		for (i = 0; i < SRV_MAX; i++)
			if (slow_due[i] && mono_ms() >= slow_due[i]) {
				slow_due[i] = 0;
				bypass_send(ctx, i, slow_data[i], (size_t)slow_len[i], 0);
			}
	}
	return NULL;
fail:
	__atomic_store_n(&srv->failed, 1, __ATOMIC_RELEASE);
	return NULL;
}

FIXTURE(api) {
	struct bypass_pair *pair;
	struct bypass_ctx *cli;
	struct server srv;
	pthread_t thread;
};

FIXTURE_SETUP(api)
{
	struct bypass_pair_config pc = {
		.features = FEAT_DEFAULT, .queue_size = 256, .threaded = true,
	};
	struct bypass_ctx_config cfg = {
		.stack = { .prefix_len = 24, .pool_bufs = 2048, .spin_ns = 1 },
		.max_sockets = 64, .max_tokens = 64,
	};

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	ASSERT_EQ(0, bypass_pair_create(&pc, &self->pair));
	cfg.stack.addr = IP_US;
	ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(self->pair, 0), &cfg, &self->cli));
	cfg.stack.addr = IP_PEER;
	ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(self->pair, 1), &cfg, &self->srv.ctx));
	self->srv.failed = -1;
	ASSERT_EQ(0, pthread_create(&self->thread, NULL, server_main, &self->srv));
	while (__atomic_load_n(&self->srv.failed, __ATOMIC_ACQUIRE) < 0)
		sched_yield();
	ASSERT_EQ(0, self->srv.failed);
}

FIXTURE_TEARDOWN(api)
{
	struct bypass_pool *pool = bypass_ctx_pool(self->cli);

	__atomic_store_n(&self->srv.stop, 1, __ATOMIC_RELEASE);
	pthread_join(self->thread, NULL);
	EXPECT_EQ(0, self->srv.failed);
	EXPECT_EQ(0u, bypass_pool_bad_puts(pool));
	bypass_ctx_destroy(self->cli);
	bypass_ctx_destroy(self->srv.ctx);
	bypass_pair_destroy(self->pair);
}

static const struct timespec five_s = { 5, 0 };

/* Native: connect, then wait for the token. */
static int qconnect_wait(struct bypass_ctx *ctx, uint16_t port, int *qd)
{
	struct bypass_qresult res;
	bypass_qtoken_t qt;
	int r;

	*qd = bypass_qsocket(ctx, SOCK_STREAM);
	if (*qd < 0)
		return *qd;
	r = bypass_qconnect(ctx, *qd, IP_PEER, port, &qt);
	if (!r)
		r = bypass_qwait(ctx, qt, &res, &five_s);
	return r ? r : res.err;
}

TEST_F_TIMEOUT(api, native_echo_1mib_with_tokens, 60)
{
	const uint32_t total = TOTAL_ECHO;
	uint32_t pushed = 0, got = 0, i, k;
	bypass_qtoken_t qts[2];
	struct bypass_qresult res;
	struct bypass_sga sga;
	int qd, r, npush = 0;

	ASSERT_EQ(0, qconnect_wait(self->cli, ECHO_PORT, &qd));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qts[0]));
	while (got < total) {
		/* Keep one push in flight while data remains. */
		if (!npush && pushed < total) {
			uint32_t len = total - pushed < 6000 ? total - pushed : 6000;

			ASSERT_EQ(0, bypass_sga_alloc(self->cli, len, &sga));
			for (k = 0; k < sga.nr_segs; k++)
				for (i = 0; i < sga.segs[k]->len; i++)
					sga.segs[k]->data[i] = (uint8_t)(pushed++ * 13 + 1);
			ASSERT_EQ(0, bypass_qpush(self->cli, qd, &sga, &qts[1]));
			EXPECT_EQ(0u, sga.nr_segs);	/* the library's now */
			npush = 1;
		}
		r = bypass_qwait_any(self->cli, qts, 1 + npush, &res, &five_s);
		ASSERT_LE(0, r);
		ASSERT_EQ(0, res.err);
		ASSERT_EQ(qd, res.qd);
		if (r == 1) {
			ASSERT_EQ(BYPASS_OP_PUSH, res.opcode);
			npush = 0;
			continue;
		}
		ASSERT_EQ(BYPASS_OP_POP, res.opcode);
		ASSERT_LT(0u, res.sga.nr_segs);
		for (k = 0; k < res.sga.nr_segs; k++)
			for (i = 0; i < res.sga.segs[k]->len; i++, got++)
				ASSERT_EQ((uint8_t)(got * 13 + 1), res.sga.segs[k]->data[i]);
		bypass_sga_free(&res.sga);
		ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qts[0]));
	}
	EXPECT_EQ(total, got);
	/* Closing cancels the outstanding pop; its token reports it. */
	ASSERT_EQ(0, bypass_qclose(self->cli, qd));
	ASSERT_EQ(0, bypass_qwait(self->cli, qts[0], &res, &five_s));
	EXPECT_EQ(ECANCELED, res.err);
	EXPECT_EQ(-EINVAL, bypass_qwait(self->cli, qts[0], &res, &five_s));
}

static uint64_t thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

TEST_F_TIMEOUT(api, null_timeout_sleeps_and_wakes_on_traffic, 60)
{
	struct bypass_counters c0, c1;
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	uint64_t t0, cpu0, wall, cpu;
	int qd;

	ASSERT_EQ(0, qconnect_wait(self->cli, SLOW_PORT, &qd));
	ASSERT_EQ(0, bypass_sga_alloc(self->cli, 5, &sga));
	memcpy(sga.segs[0]->data, "hello", 5);
	ASSERT_EQ(0, bypass_qpush(self->cli, qd, &sga, &qt));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, NULL));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	bypass_stack_counters(bypass_ctx_stack(self->cli), &c0);
	t0 = mono_ms();
	cpu0 = thread_cpu_ms();
	/* The answer comes 300 ms later: the wait must sleep through it. */
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, NULL));
	wall = mono_ms() - t0;
	cpu = thread_cpu_ms() - cpu0;
	bypass_stack_counters(bypass_ctx_stack(self->cli), &c1);
	ASSERT_EQ(0, res.err);
	ASSERT_EQ(1u, res.sga.nr_segs);
	ASSERT_EQ(5u, res.sga.segs[0]->len);
	EXPECT_EQ(0, memcmp("hello", res.sga.segs[0]->data, 5));
	bypass_sga_free(&res.sga);
	EXPECT_LE(250u, wall);
	EXPECT_GT(c1.ring.sleeps, c0.ring.sleeps);
	/* Asleep, not spinning: far less CPU than wall-clock time. */
	EXPECT_LT(cpu * 4, wall) TH_LOG("cpu %lu ms over %lu ms", (unsigned long)cpu,
					(unsigned long)wall);
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));
}

TEST_F_TIMEOUT(api, wait_timeout_keeps_the_token, 60)
{
	const struct timespec ms50 = { 0, 50 * 1000000 }, zero = { 0, 0 };
	struct bypass_qresult res;
	bypass_qtoken_t qt;
	uint64_t t0;
	int qd;

	ASSERT_EQ(0, qconnect_wait(self->cli, ECHO_PORT, &qd));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	t0 = mono_ms();
	EXPECT_EQ(-ETIMEDOUT, bypass_qwait(self->cli, qt, &res, &ms50));
	EXPECT_LE(50u, mono_ms() - t0);
	EXPECT_EQ(-ETIMEDOUT, bypass_qwait(self->cli, qt, &res, &zero));
	ASSERT_EQ(1, bypass_send(self->cli, qd, "x", 1, 0));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(1u, bypass_sga_len(&res.sga));
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));
}

TEST_F_TIMEOUT(api, socket_calls_blocking_and_nonblocking, 60)
{
	struct sockaddr_in sin, got;
	socklen_t len = sizeof(got);
	char buf[4096], out[3000];
	int fd, v, i;
	ssize_t n, total = 0;

	fd = bypass_socket(self->cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ASSERT_LE(0, fd);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	EXPECT_EQ(-1, bypass_connect(self->cli, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINPROGRESS, errno);
	EXPECT_EQ(-1, bypass_connect(self->cli, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EALREADY, errno);
	/* Writable once connected, with SO_ERROR 0. */
	{
		int ep = bypass_epoll_create(self->cli);
		struct epoll_event ev = { .events = EPOLLOUT, .data.u64 = 42 };

		ASSERT_LE(0, ep);
		ASSERT_EQ(0, bypass_epoll_ctl(self->cli, ep, EPOLL_CTL_ADD, fd, &ev));
		EXPECT_EQ(-1, bypass_epoll_ctl(self->cli, ep, EPOLL_CTL_ADD, fd, &ev));
		EXPECT_EQ(EEXIST, errno);
		ASSERT_EQ(1, bypass_epoll_wait(self->cli, ep, &ev, 1, WAIT_MS));
		EXPECT_EQ(42u, ev.data.u64);
		EXPECT_TRUE(ev.events & EPOLLOUT);
		EXPECT_EQ(0, bypass_close(self->cli, ep));
	}
	len = sizeof(v);
	EXPECT_EQ(0, bypass_getsockopt(self->cli, fd, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-1, bypass_connect(self->cli, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EISCONN, errno);
	len = sizeof(got);
	ASSERT_EQ(0, bypass_getpeername(self->cli, fd, (void *)&got, &len));
	EXPECT_EQ(IP_PEER, got.sin_addr.s_addr);
	EXPECT_EQ(htons(ECHO_PORT), got.sin_port);
	ASSERT_EQ(0, bypass_getsockname(self->cli, fd, (void *)&got, &len));
	EXPECT_EQ(IP_US, got.sin_addr.s_addr);
	EXPECT_LE(49152, ntohs(got.sin_port));
	/* Nothing to read yet. */
	EXPECT_EQ(-1, bypass_recv(self->cli, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EAGAIN, errno);
	v = 1;
	EXPECT_EQ(0, bypass_setsockopt(self->cli, fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	/* Blocking from here: what is sent comes back, byte for byte. */
	EXPECT_EQ(0, bypass_fcntl(self->cli, fd, F_SETFL, 0));
	EXPECT_EQ(O_RDWR, bypass_fcntl(self->cli, fd, F_GETFL, 0));
	for (i = 0; i < (int)sizeof(out); i++)
		out[i] = (char)(i * 3);
	ASSERT_EQ((ssize_t)sizeof(out), bypass_send(self->cli, fd, out, sizeof(out), 0));
	while (total < (ssize_t)sizeof(out)) {
		n = bypass_recv(self->cli, fd, buf + total, 1000, 0);
		ASSERT_LT(0, n);
		total += n;
	}
	EXPECT_EQ(0, memcmp(out, buf, sizeof(out)));
	/* Half-close: the server sees EOF and closes; we read EOF. */
	ASSERT_EQ(0, bypass_shutdown(self->cli, fd, SHUT_WR));
	EXPECT_EQ(-1, bypass_send(self->cli, fd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, bypass_recv(self->cli, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_close(self->cli, fd));
	EXPECT_EQ(-1, bypass_close(self->cli, fd));
	EXPECT_EQ(EBADF, errno);
}

TEST_F_TIMEOUT(api, udp_echo_native_and_socket, 60)
{
	struct sockaddr_in sin, from;
	socklen_t fl = sizeof(from);
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	char buf[2000];
	int qd, fd;

	qd = bypass_qsocket(self->cli, SOCK_DGRAM);
	ASSERT_LE(0, qd);
	ASSERT_EQ(0, bypass_sga_alloc(self->cli, 1000, &sga));
	memset(sga.segs[0]->data, 0x5a, 1000);
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	ASSERT_EQ(0, bypass_qpushto(self->cli, qd, &sga, &qt));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, &five_s));
	EXPECT_EQ(BYPASS_OP_PUSH, res.opcode);
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, &five_s));
	ASSERT_EQ(1u, res.sga.nr_segs);
	EXPECT_EQ(1000u, res.sga.segs[0]->len);
	EXPECT_EQ(IP_PEER, res.sga.addr);
	EXPECT_EQ(ECHO_PORT, res.sga.port);
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));

	fd = bypass_socket(self->cli, AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, fd);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	EXPECT_EQ(-1, bypass_send(self->cli, fd, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	EXPECT_EQ(-1, bypass_sendto(self->cli, fd, buf, 1473, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EMSGSIZE, errno);
	ASSERT_EQ(0, bypass_connect(self->cli, fd, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(4, bypass_send(self->cli, fd, "ping", 4, 0));
	ASSERT_EQ(4, bypass_recvfrom(self->cli, fd, buf, sizeof(buf), 0, (void *)&from, &fl));
	EXPECT_EQ(0, memcmp(buf, "ping", 4));
	EXPECT_EQ(htons(ECHO_PORT), from.sin_port);
	EXPECT_EQ(0, bypass_close(self->cli, fd));
}

TEST_F_TIMEOUT(api, connect_refused_and_error_paths, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin;
	struct bypass_qresult res;
	struct bypass_sga sga = { 0 };
	bypass_qtoken_t qt;
	int fd, fd2, qd, v;
	socklen_t len;

	/* A closed port: the peer's RST refuses the connection. */
	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, CLOSED_PORT);
	EXPECT_EQ(-1, bypass_connect(c, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(ECONNREFUSED, errno);
	EXPECT_EQ(0, bypass_close(c, fd));
	EXPECT_EQ(ECONNREFUSED, qconnect_wait(c, CLOSED_PORT, &qd));
	EXPECT_EQ(0, bypass_qclose(c, qd));

	/* socket() */
	EXPECT_EQ(-1, bypass_socket(c, AF_INET6, SOCK_STREAM, 0));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, bypass_socket(c, AF_INET, SOCK_STREAM, IPPROTO_UDP));
	EXPECT_EQ(EPROTONOSUPPORT, errno);
	EXPECT_EQ(-1, bypass_socket(c, AF_INET, SOCK_RAW, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, bypass_qsocket(c, SOCK_SEQPACKET));

	/* Bad descriptors everywhere. */
	EXPECT_EQ(-EBADF, bypass_qbind(c, 63, 0, 80));
	EXPECT_EQ(-EBADF, bypass_qlisten(c, -1, 0));
	EXPECT_EQ(-EBADF, bypass_qaccept(c, 1000, &qt));
	EXPECT_EQ(-EBADF, bypass_qpop(c, 63, &qt));
	EXPECT_EQ(-EBADF, bypass_qclose(c, 63));
	EXPECT_EQ(-1, bypass_recv(c, 63, &v, 1, 0));
	EXPECT_EQ(EBADF, errno);

	/* bind / listen / accept */
	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	fd2 = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(-1, bypass_listen(c, fd, 4));
	EXPECT_EQ(EDESTADDRREQ, errno);
	set_addr(&sin, IP_PEER, 8080);
	EXPECT_EQ(-1, bypass_bind(c, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	EXPECT_EQ(-1, bypass_bind(c, fd, (void *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	set_addr(&sin, 0, 8080);
	EXPECT_EQ(0, bypass_bind(c, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(-1, bypass_bind(c, fd, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_bind(c, fd2, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(-EINVAL, bypass_qaccept(c, fd, &qt));
	EXPECT_EQ(0, bypass_listen(c, fd, 4));
	EXPECT_EQ(-ENOTCONN, bypass_qpop(c, fd, &qt));
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(0, bypass_fcntl(c, fd, F_SETFL, O_NONBLOCK));
	EXPECT_EQ(-1, bypass_accept(c, fd, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* A pending accept is cancelled by close. */
	ASSERT_EQ(0, bypass_qaccept(c, fd, &qt));
	EXPECT_EQ(0, bypass_close(c, fd));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(BYPASS_OP_ACCEPT, res.opcode);
	EXPECT_EQ(ECANCELED, res.err);
	EXPECT_EQ(-1, res.new_qd);

	/* push / pushto on the wrong sockets, bad arrays */
	EXPECT_EQ(-EINVAL, bypass_sga_alloc(c, 0, &sga));
	EXPECT_EQ(-EINVAL, bypass_sga_alloc(c, 9 * 2048, &sga));
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-ENOTCONN, bypass_qpush(c, fd2, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);		/* consumed even so */
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-EOPNOTSUPP, bypass_qpushto(c, fd2, &sga, &qt));
	EXPECT_EQ(-EINVAL, bypass_qpush(c, fd2, NULL, &qt));
	qd = bypass_qsocket(c, SOCK_DGRAM);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-EDESTADDRREQ, bypass_qpush(c, qd, &sga, &qt));
	EXPECT_EQ(-ENOTCONN, bypass_qpop(c, qd, &qt));
	EXPECT_EQ(-EOPNOTSUPP, bypass_qlisten(c, qd, 1));
	EXPECT_EQ(-EOPNOTSUPP, bypass_qconnect(c, qd, IP_PEER, 7, &qt));
	EXPECT_EQ(-EINVAL, bypass_qconnect(c, fd2, 0, 7, &qt));

	/* tokens */
	EXPECT_EQ(-EINVAL, bypass_qwait(c, 0, &res, &five_s));
	EXPECT_EQ(-EINVAL, bypass_qwait(c, 12345ull << 32 | 1, &res, &five_s));
	EXPECT_EQ(-EINVAL, bypass_qwait_any(c, &qt, 0, &res, &five_s));

	/* options */
	v = 1;
	EXPECT_EQ(-1, bypass_setsockopt(c, fd2, SOL_SOCKET, SO_BROADCAST, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, fd2, IPPROTO_TCP, TCP_NODELAY, &v, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, fd2, IPPROTO_TCP, TCP_CONGESTION, "bbr", 3));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, bypass_setsockopt(c, fd2, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	v = 0;
	EXPECT_EQ(-1, bypass_setsockopt(c, fd2, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	len = sizeof(v);
	EXPECT_EQ(0, bypass_getsockopt(c, fd2, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(SOCK_STREAM, v);
	EXPECT_EQ(-1, bypass_getpeername(c, fd2, (void *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, bypass_shutdown(c, fd2, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, bypass_shutdown(c, fd2, 7));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_fcntl(c, fd2, F_GETFD + 100, 0));
	EXPECT_EQ(EINVAL, errno);

	/* readiness sets */
	{
		int ep = bypass_epoll_create(c);
		struct epoll_event ev = { .events = EPOLLIN };

		EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd2, NULL));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_MOD, fd2, &ev));
		EXPECT_EQ(ENOENT, errno);
		EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, ep, &ev));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, bypass_epoll_ctl(c, fd2, EPOLL_CTL_ADD, qd, &ev));
		EXPECT_EQ(EINVAL, errno);
		EXPECT_EQ(-1, bypass_epoll_wait(c, ep, &ev, 0, 0));
		EXPECT_EQ(EINVAL, errno);
		/* An idle set times out. */
		ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, qd, &ev));
		EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 10));
		EXPECT_EQ(0, bypass_close(c, ep));
	}
	EXPECT_EQ(0, bypass_close(c, fd2));
	EXPECT_EQ(0, bypass_qclose(c, qd));
}

TEST_F_TIMEOUT(api, ctx_fd_wakes_a_kernel_poll_loop, 60)
{
	struct bypass_qresult res;
	struct pollfd p;
	bypass_qtoken_t qt;
	int qd, fd;

	ASSERT_EQ(0, qconnect_wait(self->cli, ECHO_PORT, &qd));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	fd = bypass_ctx_fd(self->cli);
	ASSERT_LE(0, fd);
	EXPECT_EQ(fd, bypass_ctx_fd(self->cli));
	/* Idle: nothing to do, not readable. */
	bypass_ctx_poll(self->cli);
	p.fd = fd;
	p.events = POLLIN;
	EXPECT_EQ(0, poll(&p, 1, 0));
	ASSERT_EQ(2, bypass_send(self->cli, qd, "hi", 2, 0));
	/* The echo makes it readable; polling then completes the pop. */
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	while (bypass_ctx_poll(self->cli) == 0)
		ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	/* A completed, uncollected operation keeps it readable. */
	EXPECT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, NULL));
	EXPECT_EQ(2u, bypass_sga_len(&res.sga));
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));
}

/*
 * bypass_qwait_any() looks first at the completed operations whose tokens
 * are still in the slots they were stored into, not through every token:
 * such a one is taken even behind a spent token (which the look through
 * the whole array, done when none is found that way, reports as EINVAL).
 * A token moved to another slot is still found.
 */
TEST_F_TIMEOUT(api, qwait_any_finds_completions_at_their_slots, 60)
{
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qts[3], moved[2];
	uint64_t t0;
	int qd;

	ASSERT_EQ(0, qconnect_wait(self->cli, ECHO_PORT, &qd));
	ASSERT_EQ(0, bypass_sga_alloc(self->cli, 2, &sga));
	memcpy(sga.segs[0]->data, "ab", 2);
	ASSERT_EQ(0, bypass_qpush(self->cli, qd, &sga, &qts[0]));
	ASSERT_EQ(0, bypass_qwait(self->cli, qts[0], &res, &five_s));
	/* qts[0] is spent now; qts[1] is a pop, completed by the echo. */
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qts[1]));
	for (t0 = mono_ms(); bypass_ctx_poll(self->cli) == 0;)
		ASSERT_GT(t0 + WAIT_MS, mono_ms());
	EXPECT_EQ(1, bypass_qwait_any(self->cli, qts, 2, &res, &five_s));
	EXPECT_EQ(2u, bypass_sga_len(&res.sga));
	bypass_sga_free(&res.sga);
	/* A spent token and nothing completed: EINVAL. */
	EXPECT_EQ(-EINVAL, bypass_qwait_any(self->cli, qts, 2, &res, &five_s));
	/* A completed pop whose token the application moved. */
	ASSERT_EQ(0, bypass_sga_alloc(self->cli, 2, &sga));
	memcpy(sga.segs[0]->data, "cd", 2);
	ASSERT_EQ(0, bypass_qpush(self->cli, qd, &sga, &qts[2]));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qts[1]));
	ASSERT_EQ(0, bypass_qwait(self->cli, qts[2], &res, &five_s));
	for (t0 = mono_ms(); bypass_ctx_poll(self->cli) == 0;)
		ASSERT_GT(t0 + WAIT_MS, mono_ms());
	moved[0] = qts[2];	/* spent: the scan reports it */
	moved[1] = qts[1];
	EXPECT_EQ(-EINVAL, bypass_qwait_any(self->cli, moved, 2, &res, &five_s));
	moved[0] = qts[1];
	EXPECT_EQ(0, bypass_qwait_any(self->cli, moved, 1, &res, &five_s));
	EXPECT_EQ(2u, bypass_sga_len(&res.sga));
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));
}

TEST_F_TIMEOUT(api, waits_longer_than_a_second_end_on_time, 60)
{
	const struct timespec t = { 1, 300 * 1000000 };
	struct bypass_qresult res;
	struct epoll_event ev;
	bypass_qtoken_t qt;
	uint64_t t0, el;
	int ep, qd;

	ASSERT_EQ(0, qconnect_wait(self->cli, ECHO_PORT, &qd));
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	t0 = mono_ms();
	EXPECT_EQ(-ETIMEDOUT, bypass_qwait(self->cli, qt, &res, &t));
	el = mono_ms() - t0;
	EXPECT_LE(1300u, el);
	EXPECT_GT(5000u, el);
	ep = bypass_epoll_create(self->cli);
	ASSERT_LE(0, ep);
	t0 = mono_ms();
	EXPECT_EQ(0, bypass_epoll_wait(self->cli, ep, &ev, 1, 1300));
	el = mono_ms() - t0;
	EXPECT_LE(1300u, el);
	EXPECT_GT(5000u, el);
	EXPECT_EQ(0, bypass_close(self->cli, ep));
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, &five_s));
	EXPECT_EQ(ECANCELED, res.err);
}

/*
 * An application that sleeps only in its own poll() on bypass_ctx_fd():
 * a call that finds nothing to do (or bypass_ctx_arm) arms the fd; from
 * then on frames a call queued leave at once, and an operation that
 * completes inside a call makes the fd readable.
 */
TEST_F_TIMEOUT(api, ctx_fd_is_armed_by_a_call_that_finds_nothing, 60)
{
	struct bypass_counters c;
	struct bypass_qresult res;
	struct bypass_sga sga;
	struct sockaddr_in sin;
	struct pollfd p;
	bypass_qtoken_t qt;
	int qd, fd, l;

	p.fd = bypass_ctx_fd(self->cli);
	p.events = POLLIN;
	ASSERT_LE(0, p.fd);
	/*
	 * A datagram pushed is sent without another poll: its ARP request
	 * and then the echo wake us, until the echo waits in the socket.
	 */
	qd = bypass_qsocket(self->cli, SOCK_DGRAM);
	ASSERT_EQ(0, bypass_sga_alloc(self->cli, 3, &sga));
	memcpy(sga.segs[0]->data, "abc", 3);
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	ASSERT_EQ(0, bypass_qpushto(self->cli, qd, &sga, &qt));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, NULL));
	do {
		ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
		ASSERT_EQ(0, bypass_ctx_poll(self->cli));
		bypass_stack_counters(bypass_ctx_stack(self->cli), &c);
	} while (!c.udp.rx);
	/* A pop that completes at once makes the fd readable. */
	ASSERT_EQ(0, bypass_qpop(self->cli, qd, &qt));
	EXPECT_EQ(1, poll(&p, 1, 0));
	ASSERT_EQ(0, bypass_qwait(self->cli, qt, &res, NULL));
	EXPECT_EQ(3u, bypass_sga_len(&res.sga));
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_ctx_arm(self->cli));
	EXPECT_EQ(0, poll(&p, 1, 0));
	EXPECT_EQ(0, bypass_qclose(self->cli, qd));

	/* A non-blocking accept that found nothing leaves the fd armed. */
	l = bypass_socket(self->cli, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, 0, 8090);
	ASSERT_EQ(0, bypass_bind(self->cli, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(self->cli, l, 4));
	EXPECT_EQ(-1, bypass_accept(self->cli, l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	fd = bypass_socket(self->cli, AF_INET, SOCK_DGRAM, 0);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(0, bypass_connect(self->cli, fd, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(2, bypass_send(self->cli, fd, "hi", 2, 0));
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_EQ(0, bypass_close(self->cli, fd));
	EXPECT_EQ(0, bypass_close(self->cli, l));
}

/* Ask the server to connect back to @port of ours (DIAL_ECHO, DIAL_ABORT). */
static int dial(struct bypass_ctx *ctx, int ufd, uint16_t port, uint8_t mode)
{
	struct sockaddr_in sin;
	uint8_t msg[3];
	uint16_t p = htons(port);

	memcpy(msg, &p, 2);
	msg[2] = mode;
	set_addr(&sin, IP_PEER, DIAL_PORT);
	return bypass_sendto(ctx, ufd, msg, 3, 0, (void *)&sin, sizeof(sin)) == 3 ? 0 : -1;
}

/* Wait, asleep on bypass_ctx_fd(), for the next news (at most 10 ms). */
static void nap(struct bypass_ctx *ctx)
{
	struct pollfd p = { .fd = bypass_ctx_fd(ctx), .events = POLLIN };

	poll(&p, 1, 10);
	bypass_ctx_poll(ctx);
}

/* The events of @fd now, through a readiness set of its own. */
static uint32_t events_of(struct bypass_ctx *ctx, int fd, uint32_t watch)
{
	struct epoll_event ev = { .events = watch };
	int ep = bypass_epoll_create(ctx), n;

	if (ep < 0 || bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, fd, &ev))
		return 0xffffffffu;
	n = bypass_epoll_wait(ctx, ep, &ev, 1, 0);
	bypass_close(ctx, ep);
	return n == 1 ? ev.events : 0;
}

TEST_F_TIMEOUT(api, readiness_set_descriptors_and_bad_arguments, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLIN };
	struct bypass_ctx_config cfg = { .stack = { .addr = IP_US, .prefix_len = 24 } };
	struct bypass_ctx *other;
	struct sockaddr_in sin;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	socklen_t len = sizeof(sin);
	char buf[8];
	int ep, ep2, fd, v = 1;

	ep = bypass_epoll_create(c);
	ASSERT_LE(0, ep);
	set_addr(&sin, 0, 8000);
	/* A readiness set is no socket. */
	EXPECT_EQ(-1, bypass_bind(c, ep, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_listen(c, ep, 1));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_accept(c, ep, NULL, NULL));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_accept4(c, ep, NULL, NULL, SOCK_NONBLOCK));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_connect(c, ep, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_send(c, ep, "x", 1, 0));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_sendto(c, ep, "x", 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_recv(c, ep, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_recvfrom(c, ep, buf, sizeof(buf), 0, (void *)&sin, &len));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_shutdown(c, ep, SHUT_RDWR));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, ep, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	EXPECT_EQ(ENOTSOCK, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, bypass_getsockopt(c, ep, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(ENOTSOCK, errno);
	len = sizeof(sin);
	EXPECT_EQ(-1, bypass_getsockname(c, ep, (void *)&sin, &len));
	EXPECT_EQ(ENOTSOCK, errno);
	EXPECT_EQ(-1, bypass_getpeername(c, ep, (void *)&sin, &len));
	EXPECT_EQ(ENOTSOCK, errno);
	/* ... and the native calls say EBADF, taking the buffers even so. */
	EXPECT_EQ(-EBADF, bypass_qbind(c, ep, 0, 8000));
	EXPECT_EQ(-EBADF, bypass_qlisten(c, ep, 0));
	EXPECT_EQ(-EBADF, bypass_qaccept(c, ep, &qt));
	EXPECT_EQ(-EBADF, bypass_qconnect(c, ep, IP_PEER, ECHO_PORT, &qt));
	EXPECT_EQ(-EBADF, bypass_qpop(c, ep, &qt));
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-EBADF, bypass_qpush(c, ep, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	EXPECT_EQ(-EBADF, bypass_qpushto(c, ep, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);

	/* Readiness-set calls. */
	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bypass_epoll_wait(c, fd, &ev, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_epoll_wait(c, ep, NULL, 1, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_epoll_wait(c, 60, &ev, 1, 0));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, 60, &ev));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, 60, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, 99, fd, &ev));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_DEL, fd, NULL));
	EXPECT_EQ(ENOENT, errno);
	ep2 = bypass_epoll_create(c);
	ASSERT_LE(0, ep2);
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep2, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(EEXIST, errno);
	EXPECT_EQ(-1, bypass_epoll_ctl(c, ep2, EPOLL_CTL_MOD, fd, &ev));
	EXPECT_EQ(ENOENT, errno);
	EXPECT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_DEL, fd, NULL));
	EXPECT_EQ(0, bypass_epoll_ctl(c, ep2, EPOLL_CTL_ADD, fd, &ev));
	/* Closing a set leaves its members open and free to join another. */
	EXPECT_EQ(0, bypass_close(c, ep2));
	EXPECT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(0, bypass_close(c, fd));
	EXPECT_EQ(0, bypass_close(c, ep));
	EXPECT_EQ(-1, bypass_close(c, ep));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bypass_fcntl(c, ep, F_GETFL, 0));
	EXPECT_EQ(EBADF, errno);

	/* No context, no device. */
	EXPECT_EQ(-1, bypass_epoll_create(NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_socket(NULL, AF_INET, SOCK_STREAM, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, bypass_qsocket(NULL, SOCK_DGRAM));
	EXPECT_EQ(-EINVAL, bypass_ctx_create(NULL, &cfg, &other));
	EXPECT_EQ(-EINVAL, bypass_ctx_create(bypass_pair_dev(self->pair, 0), &cfg, NULL));
	EXPECT_EQ(-EINVAL, bypass_ctx_open(&cfg, NULL));
}

TEST_F_TIMEOUT(api, null_token_pointers_are_einval, 60)
{
	struct bypass_ctx *c = self->cli;
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	int l, t, u;

	l = bypass_qsocket(c, SOCK_STREAM);
	ASSERT_EQ(0, bypass_qbind(c, l, 0, 8140));
	ASSERT_EQ(0, bypass_qlisten(c, l, 0));
	EXPECT_EQ(-EINVAL, bypass_qaccept(c, l, NULL));
	t = bypass_qsocket(c, SOCK_STREAM);
	EXPECT_EQ(-EINVAL, bypass_qconnect(c, t, IP_PEER, ECHO_PORT, NULL));
	/* The socket is unchanged: it connects afterwards. */
	ASSERT_EQ(0, bypass_qconnect(c, t, IP_PEER, ECHO_PORT, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	ASSERT_EQ(0, res.err);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-EINVAL, bypass_qpush(c, t, &sga, NULL));
	EXPECT_EQ(0u, sga.nr_segs);
	EXPECT_EQ(-EINVAL, bypass_qpop(c, t, NULL));
	u = bypass_qsocket(c, SOCK_DGRAM);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	EXPECT_EQ(-EINVAL, bypass_qpushto(c, u, &sga, NULL));
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_qbind(c, u, 0, 8141));
	EXPECT_EQ(-EINVAL, bypass_qpop(c, u, NULL));
	/* A bad timeout is refused before anything is waited for. */
	{
		const struct timespec bad = { 0, 1000000000 }, neg = { -1, 0 };

		ASSERT_EQ(0, bypass_qpop(c, u, &qt));
		EXPECT_EQ(-EINVAL, bypass_qwait(c, qt, &res, &bad));
		EXPECT_EQ(-EINVAL, bypass_qwait(c, qt, &res, &neg));
		EXPECT_EQ(-EINVAL, bypass_qwait_any(c, NULL, 1, &res, &five_s));
		EXPECT_EQ(0, bypass_qclose(c, u));
		ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
		EXPECT_EQ(ECANCELED, res.err);
	}
	EXPECT_EQ(0, bypass_qclose(c, t));
	EXPECT_EQ(0, bypass_qclose(c, l));
}

/* The fixture's contexts have 64 descriptors. */
TEST_F_TIMEOUT(api, descriptors_run_out_emfile, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLIN };
	struct sockaddr_in sin;
	struct bypass_qresult res;
	bypass_qtoken_t qt;
	int fds[64], nfd = 0, ep, l, l2, u, r, fd;

	ep = bypass_epoll_create(c);
	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	l = bypass_socket(c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	l2 = bypass_qsocket(c, SOCK_STREAM);
	ASSERT_LE(0, ep);
	ASSERT_LE(0, u);
	ASSERT_LE(0, l2);
	set_addr(&sin, 0, 8150);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 4));
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, l, &ev));
	ASSERT_EQ(0, bypass_qbind(c, l2, 0, 8151));
	ASSERT_EQ(0, bypass_qlisten(c, l2, 4));
	ASSERT_EQ(0, bypass_qaccept(c, l2, &qt));
	while ((r = bypass_qsocket(c, SOCK_STREAM)) >= 0)
		fds[nfd++] = r;
	EXPECT_EQ(-EMFILE, r);
	EXPECT_EQ(60, nfd);
	EXPECT_EQ(-1, bypass_socket(c, AF_INET, SOCK_DGRAM, 0));
	EXPECT_EQ(EMFILE, errno);
	EXPECT_EQ(-1, bypass_epoll_create(c));
	EXPECT_EQ(EMFILE, errno);
	/* A connection accepted now is reset; the accept says EMFILE. */
	ASSERT_EQ(0, dial(c, u, 8151, DIAL_ECHO));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(BYPASS_OP_ACCEPT, res.opcode);
	EXPECT_EQ(EMFILE, res.err);
	EXPECT_EQ(-1, res.new_qd);
	ASSERT_EQ(0, dial(c, u, 8150, DIAL_ECHO));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, WAIT_MS));
	EXPECT_EQ(-1, bypass_accept(c, l, NULL, NULL));
	EXPECT_EQ(EMFILE, errno);
	/* One descriptor free: the next connection is accepted. */
	EXPECT_EQ(0, bypass_close(c, fds[--nfd]));
	ASSERT_EQ(0, dial(c, u, 8150, DIAL_ECHO));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, WAIT_MS));
	fd = bypass_accept(c, l, NULL, NULL);
	ASSERT_LE(0, fd);
	ASSERT_EQ(1, bypass_send(c, fd, "e", 1, 0));
	{
		char b;

		ASSERT_EQ(1, bypass_recv(c, fd, &b, 1, 0));
		EXPECT_EQ('e', b);
	}
	EXPECT_EQ(0, bypass_close(c, fd));
	while (nfd)
		EXPECT_EQ(0, bypass_close(c, fds[--nfd]));
	EXPECT_EQ(0, bypass_close(c, l));
	EXPECT_EQ(0, bypass_close(c, l2));
	EXPECT_EQ(0, bypass_close(c, u));
	EXPECT_EQ(0, bypass_close(c, ep));
}

/* The fixture's contexts have 64 operation slots. */
TEST_F_TIMEOUT(api, tokens_run_out_enobufs, 60)
{
	struct bypass_ctx *c = self->cli;
	struct bypass_qresult res;
	struct bypass_sga sga;
	struct sockaddr_in sin;
	bypass_qtoken_t qts[64], qt;
	socklen_t len = sizeof(sin);
	int t, l, u, n, i;
	char b;

	ASSERT_EQ(0, qconnect_wait(c, ECHO_PORT, &t));
	l = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, 0, 8160);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 4));
	u = bypass_qsocket(c, SOCK_DGRAM);
	ASSERT_EQ(0, bypass_qbind(c, u, 0, 8161));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, bypass_qpop(c, u, &qts[i]));
	EXPECT_EQ(-ENOBUFS, bypass_qpop(c, u, &qt));
	EXPECT_EQ(-ENOBUFS, bypass_qpop(c, t, &qt));
	EXPECT_EQ(-ENOBUFS, bypass_qaccept(c, l, &qt));
	EXPECT_EQ(-1, bypass_accept(c, l, NULL, NULL));
	EXPECT_EQ(ENOBUFS, errno);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-ENOBUFS, bypass_qpush(c, t, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	EXPECT_EQ(-ENOBUFS, bypass_qpushto(c, u, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	n = bypass_qsocket(c, SOCK_STREAM);
	EXPECT_EQ(-ENOBUFS, bypass_qconnect(c, n, IP_PEER, ECHO_PORT, &qt));
	EXPECT_EQ(-1, bypass_getpeername(c, n, (void *)&sin, &len));
	EXPECT_EQ(ENOTCONN, errno);
	/* The copying calls need no token. */
	ASSERT_EQ(1, bypass_send(c, t, "z", 1, 0));
	ASSERT_EQ(1, bypass_recv(c, t, &b, 1, 0));
	EXPECT_EQ('z', b);
	/* Closing the socket completes its pops; collecting frees the slots. */
	EXPECT_EQ(0, bypass_qclose(c, u));
	for (i = 0; i < 64; i++) {
		ASSERT_EQ(0, bypass_qwait(c, qts[i], &res, &five_s));
		EXPECT_EQ(ECANCELED, res.err);
		EXPECT_EQ(0u, res.sga.nr_segs);
	}
	ASSERT_EQ(0, bypass_qconnect(c, n, IP_PEER, ECHO_PORT, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0, bypass_qclose(c, n));
	EXPECT_EQ(0, bypass_qclose(c, t));
	EXPECT_EQ(0, bypass_close(c, l));
}

TEST_F_TIMEOUT(api, udp_error_paths, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin, got;
	socklen_t len;
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;
	char buf[64];
	int u, u2, t, q, v = 1;

	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	t = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, u);
	ASSERT_LE(0, t);
	/* Nothing can arrive before it is bound. */
	EXPECT_EQ(-1, bypass_recv(c, u, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(ENOTCONN, errno);
	/* Port 0 picks an ephemeral port, but only at our address. */
	set_addr(&sin, IP_PEER, 0);
	EXPECT_EQ(-1, bypass_bind(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRNOTAVAIL, errno);
	sin.sin_family = AF_INET6;
	EXPECT_EQ(-1, bypass_bind(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	set_addr(&sin, 0, 0);
	EXPECT_EQ(-1, bypass_bind(c, t, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	set_addr(&sin, IP_US, 0);
	ASSERT_EQ(0, bypass_bind(c, u, (void *)&sin, sizeof(sin)));
	len = sizeof(got);
	ASSERT_EQ(0, bypass_getsockname(c, u, (void *)&got, &len));
	EXPECT_EQ(IP_US, got.sin_addr.s_addr);
	EXPECT_LE(49152, ntohs(got.sin_port));
	EXPECT_EQ(-1, bypass_bind(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-EINVAL, bypass_qbind(c, u, 0, 8170));
	/* Bound, nothing waiting. */
	EXPECT_EQ(-1, bypass_recv(c, u, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(-1, bypass_getpeername(c, u, (void *)&got, &len));
	EXPECT_EQ(ENOTCONN, errno);
	/* Destinations. */
	EXPECT_EQ(-1, bypass_send(c, u, "x", 1, 0));
	EXPECT_EQ(EDESTADDRREQ, errno);
	set_addr(&sin, IP_PEER, 0);
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, 0, (void *)&sin, sizeof(sin) - 1));
	EXPECT_EQ(EINVAL, errno);
	sin.sin_family = AF_UNSPEC;
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	EXPECT_EQ(-1, bypass_connect(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EAFNOSUPPORT, errno);
	set_addr(&sin, IP(10, 0, 1, 2), ECHO_PORT);	/* off the subnet, no gateway */
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(ENETUNREACH, errno);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, MSG_OOB, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, bypass_recv(c, u, buf, sizeof(buf), MSG_OOB));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, bypass_sendto(c, u, NULL, 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, bypass_recv(c, u, NULL, 1, 0));
	EXPECT_EQ(EFAULT, errno);
	set_addr(&sin, 0, ECHO_PORT);
	EXPECT_EQ(-1, bypass_connect(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	set_addr(&sin, IP_PEER, 0);
	EXPECT_EQ(-1, bypass_connect(c, u, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	/* Connected: port 0 in an explicit destination is still EINVAL. */
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(0, bypass_connect(c, u, (void *)&sin, sizeof(sin)));
	set_addr(&sin, IP_PEER, 0);
	EXPECT_EQ(-1, bypass_sendto(c, u, "x", 1, 0, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EINVAL, errno);
	/* TCP options and calls on a UDP socket. */
	EXPECT_EQ(-1, bypass_setsockopt(c, u, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, u, IPPROTO_TCP, TCP_CONGESTION, "cubic", 5));
	EXPECT_EQ(EOPNOTSUPP, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, bypass_getsockopt(c, u, IPPROTO_TCP, TCP_KEEPCNT, &v, &len));
	EXPECT_EQ(EOPNOTSUPP, errno);
	len = sizeof(buf);
	EXPECT_EQ(0, bypass_getsockopt(c, u, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_STREQ("reno", buf);
	len = sizeof(v);
	EXPECT_EQ(0, bypass_getsockopt(c, u, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(SOCK_DGRAM, v);
	EXPECT_EQ(-1, bypass_shutdown(c, u, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, bypass_listen(c, u, 1));
	EXPECT_EQ(EOPNOTSUPP, errno);
	EXPECT_EQ(-1, bypass_accept(c, u, NULL, NULL));
	EXPECT_EQ(EINVAL, errno);

	/* Native. */
	q = bypass_qsocket(c, SOCK_DGRAM);
	u2 = bypass_qsocket(c, SOCK_DGRAM);
	EXPECT_EQ(-EINVAL, bypass_qbind(c, q, 0, 0));
	EXPECT_EQ(-EADDRNOTAVAIL, bypass_qbind(c, q, IP_PEER, 8171));
	ASSERT_EQ(0, bypass_qbind(c, q, IP_US, 8171));
	EXPECT_EQ(-EADDRINUSE, bypass_qbind(c, u2, 0, 8171));
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	sga.addr = IP_PEER;
	EXPECT_EQ(-EINVAL, bypass_qpushto(c, q, &sga, &qt));	/* port 0 */
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_sga_alloc(c, 3000, &sga));		/* two segments */
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	EXPECT_EQ(-EINVAL, bypass_qpushto(c, q, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_sga_alloc(c, 1473, &sga));
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	EXPECT_EQ(-EMSGSIZE, bypass_qpushto(c, q, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	sga.addr = IP(10, 0, 1, 2);
	sga.port = ECHO_PORT;
	EXPECT_EQ(-ENETUNREACH, bypass_qpushto(c, q, &sga, &qt));
	EXPECT_EQ(0u, sga.nr_segs);
	/* The buffer of a datagram pushed is sent: the echo comes back. */
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	memcpy(sga.segs[0]->data, "0123456789", 10);
	sga.addr = IP_PEER;
	sga.port = ECHO_PORT;
	ASSERT_EQ(0, bypass_qpushto(c, q, &sga, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	ASSERT_EQ(0, bypass_qpop(c, q, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	ASSERT_EQ(10u, bypass_sga_len(&res.sga));
	EXPECT_EQ(0, memcmp(res.sga.segs[0]->data, "0123456789", 10));
	bypass_sga_free(&res.sga);
	EXPECT_EQ(0, bypass_qclose(c, q));
	EXPECT_EQ(0, bypass_qclose(c, u2));
	EXPECT_EQ(0, bypass_close(c, u));
	EXPECT_EQ(0, bypass_close(c, t));
}

TEST_F_TIMEOUT(api, tcp_state_and_option_errors, 60)
{
	struct bypass_ctx *c = self->cli;
	struct bypass_qresult res;
	struct bypass_sga sga;
	struct sockaddr_in sin;
	bypass_qtoken_t qt, qt2;
	socklen_t len;
	char buf[16];
	int a, b, l, l2, t, v;

	/* A connect in progress, then done; a socket connects once. */
	a = bypass_qsocket(c, SOCK_STREAM);
	ASSERT_EQ(0, bypass_qconnect(c, a, IP_PEER, ECHO_PORT, &qt));
	/* No poll in between: the answer cannot have been processed. */
	EXPECT_EQ(-EALREADY, bypass_qconnect(c, a, IP_PEER, ECHO_PORT, &qt2));
	EXPECT_EQ(-EINVAL, bypass_qbind(c, a, 0, 8180));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	ASSERT_EQ(0, res.err);
	EXPECT_EQ(-EISCONN, bypass_qconnect(c, a, IP_PEER, ECHO_PORT, &qt2));
	EXPECT_EQ(-EINVAL, bypass_qlisten(c, a, 0));
	EXPECT_EQ(-EINVAL, bypass_qaccept(c, a, &qt2));
	EXPECT_EQ(-1, bypass_accept4(c, a, NULL, NULL, 0));
	EXPECT_EQ(EINVAL, errno);
	/* Shut for writing: sends and pushes are EPIPE, a second shutdown is nothing. */
	ASSERT_EQ(0, bypass_shutdown(c, a, SHUT_WR));
	EXPECT_EQ(0, bypass_shutdown(c, a, SHUT_WR));
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	EXPECT_EQ(-EPIPE, bypass_qpush(c, a, &sga, &qt2));
	EXPECT_EQ(0u, sga.nr_segs);
	EXPECT_EQ(-1, bypass_send(c, a, "x", 1, MSG_DONTWAIT));
	EXPECT_EQ(EPIPE, errno);
	/* The echo server closes on our FIN: end of stream for the pop. */
	ASSERT_EQ(0, bypass_qpop(c, a, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0u, res.sga.nr_segs);
	EXPECT_EQ(0, bypass_qclose(c, a));

	/* Listeners. */
	l = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	l2 = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	v = 1;
	ASSERT_EQ(0, bypass_setsockopt(c, l, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	ASSERT_EQ(0, bypass_setsockopt(c, l2, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	set_addr(&sin, 0, 8181);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_bind(c, l2, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 0));
	EXPECT_EQ(0, bypass_listen(c, l, 0));		/* again: nothing */
	EXPECT_EQ(-1, bypass_listen(c, l2, 0));
	EXPECT_EQ(EADDRINUSE, errno);
	EXPECT_EQ(-EINVAL, bypass_qbind(c, l, 0, 8182));
	EXPECT_EQ(-EISCONN, bypass_qconnect(c, l, IP_PEER, ECHO_PORT, &qt));
	set_addr(&sin, IP_PEER, ECHO_PORT);
	EXPECT_EQ(-1, bypass_connect(c, l, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EISCONN, errno);
	EXPECT_EQ(-1, bypass_accept4(c, l, NULL, NULL, 0x40000000));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_shutdown(c, l, SHUT_RD));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-1, bypass_recv(c, l, buf, sizeof(buf), 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-ENOTCONN, bypass_qpop(c, l, &qt));
	EXPECT_EQ(0, bypass_close(c, l));
	EXPECT_EQ(0, bypass_close(c, l2));

	/* Two bound sockets to one destination: the second is EADDRINUSE. */
	a = bypass_qsocket(c, SOCK_STREAM);
	b = bypass_qsocket(c, SOCK_STREAM);
	ASSERT_EQ(0, bypass_setsockopt(c, a, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	ASSERT_EQ(0, bypass_setsockopt(c, b, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	ASSERT_EQ(0, bypass_qbind(c, a, 0, 8183));
	ASSERT_EQ(0, bypass_qbind(c, b, 0, 8183));
	ASSERT_EQ(0, bypass_qconnect(c, a, IP_PEER, ECHO_PORT, &qt));
	EXPECT_EQ(-EADDRINUSE, bypass_qconnect(c, b, IP_PEER, ECHO_PORT, &qt2));
	ASSERT_EQ(0, bypass_qconnect(c, b, IP_PEER, SLOW_PORT, &qt2));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	ASSERT_EQ(0, bypass_qwait(c, qt2, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0, bypass_qclose(c, a));
	EXPECT_EQ(0, bypass_qclose(c, b));

	/* New sockets. */
	t = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	EXPECT_EQ(-1, bypass_recv(c, t, buf, sizeof(buf), 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(-ENOTCONN, bypass_qpop(c, t, &qt));
	EXPECT_EQ(-EINVAL, bypass_qconnect(c, t, IP_PEER, 0, &qt));
	EXPECT_EQ(-1, bypass_shutdown(c, t, SHUT_RD));
	EXPECT_EQ(ENOTCONN, errno);
	len = sizeof(sin);
	EXPECT_EQ(0, bypass_getsockname(c, t, (void *)&sin, &len));
	EXPECT_EQ(0u, sin.sin_addr.s_addr);
	EXPECT_EQ(0, sin.sin_port);
	EXPECT_EQ(-1, bypass_getsockname(c, t, NULL, &len));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_getpeername(c, t, (void *)&sin, NULL));
	EXPECT_EQ(EINVAL, errno);

	/* Options. */
	v = 0;
	EXPECT_EQ(-1, bypass_setsockopt(c, t, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, t, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	v = 32768;
	EXPECT_EQ(-1, bypass_setsockopt(c, t, IPPROTO_TCP, TCP_KEEPCNT, &v, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	v = 4096;
	len = sizeof(v);
	{
		int w;

		ASSERT_EQ(0, bypass_getsockopt(c, t, SOL_SOCKET, SO_RCVBUF, &w, &len));
		/* Accepted, and changes nothing. */
		EXPECT_EQ(0, bypass_setsockopt(c, t, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
		ASSERT_EQ(0, bypass_getsockopt(c, t, SOL_SOCKET, SO_RCVBUF, &v, &len));
		EXPECT_EQ(w, v);
	}
	EXPECT_EQ(-1, bypass_setsockopt(c, t, SOL_SOCKET, SO_ERROR, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, t, IPPROTO_IP, IP_TTL, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, t, IPPROTO_TCP, TCP_MAXSEG, &v, sizeof(v)));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, t, IPPROTO_TCP, TCP_CONGESTION, "cubic", 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_setsockopt(c, t, SOL_SOCKET, SO_KEEPALIVE, NULL, sizeof(v)));
	EXPECT_EQ(EINVAL, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, bypass_getsockopt(c, t, SOL_SOCKET, SO_TYPE, NULL, &len));
	EXPECT_EQ(EINVAL, errno);
	len = 2;
	EXPECT_EQ(-1, bypass_getsockopt(c, t, SOL_SOCKET, SO_TYPE, &v, &len));
	EXPECT_EQ(EINVAL, errno);
	len = sizeof(v);
	EXPECT_EQ(-1, bypass_getsockopt(c, t, SOL_SOCKET, SO_BROADCAST, &v, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	EXPECT_EQ(-1, bypass_getsockopt(c, t, IPPROTO_TCP, TCP_MAXSEG, &v, &len));
	EXPECT_EQ(ENOPROTOOPT, errno);
	len = 3;
	EXPECT_EQ(0, bypass_getsockopt(c, t, IPPROTO_TCP, TCP_CONGESTION, buf, &len));
	EXPECT_EQ(3u, len);
	EXPECT_EQ(0, memcmp(buf, "ren", 3));
	EXPECT_EQ(0, bypass_close(c, t));
}

/*
 * The server on RESET_PORT resets a connection when data arrives: @msg
 * (2 bytes), which when it is "zz" the server first answers with "zz".
 */
static int reset_connection(struct __test_metadata *_metadata, struct bypass_ctx *c,
			    const char *msg, bool watch_errors)
{
	struct sockaddr_in sin;
	struct epoll_event ev = { .events = 0 };
	int fd, ep = -1;

	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, RESET_PORT);
	if (fd < 0 || bypass_connect(c, fd, (void *)&sin, sizeof(sin)))
		return -1;
	if (bypass_send(c, fd, msg, 2, 0) != 2)
		return -1;
	if (!watch_errors)
		return fd;
	/* A member watching no event still reports EPOLLERR and EPOLLHUP. */
	ep = bypass_epoll_create(c);
	EXPECT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	EXPECT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, WAIT_MS));
	EXPECT_EQ(EPOLLERR | EPOLLHUP, ev.events);
	bypass_close(c, ep);
	return fd;
}

/* A pop on a dead @fd ends with @pop_err and no data, a push with EPIPE. */
static void pop_then_push(struct __test_metadata *_metadata,
			  struct bypass_ctx *c, int fd, int pop_err)
{
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t qt;

	ASSERT_EQ(0, bypass_qpop(c, fd, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(pop_err, res.err);
	EXPECT_EQ(0u, res.sga.nr_segs);
	if (pop_err)
		return;
	ASSERT_EQ(0, bypass_sga_alloc(c, 10, &sga));
	ASSERT_EQ(0, bypass_qpush(c, fd, &sga, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(EPIPE, res.err);
}

/*
 * After a peer's reset the error is returned once, by whichever call comes
 * first, as Linux's pending socket error (checked on Linux over loopback
 * with a close under SO_LINGER {1, 0}): then recv gives the end of the
 * stream, send EPIPE, SO_ERROR 0, and EPOLLERR is gone.
 */
#define DEAD_EVENTS	(EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP)
TEST_F_TIMEOUT(api, peer_reset_reports_the_error_once_as_linux, 60)
{
	struct bypass_ctx *c = self->cli;
	socklen_t len = sizeof(int);
	char buf[8];
	int fd, v;

	/* recv, recv, send, send: a blocking read learns of the reset. */
	fd = reset_connection(_metadata, c, "ab", false);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(DEAD_EVENTS, events_of(c, fd, DEAD_EVENTS));
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, bypass_getsockopt(c, fd, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(-1, bypass_shutdown(c, fd, SHUT_WR));
	EXPECT_EQ(ENOTCONN, errno);
	/* Native operations: the end of the stream, and EPIPE. */
	pop_then_push(_metadata, c, fd, 0);
	EXPECT_EQ(0, bypass_close(c, fd));

	/* send, send, recv, recv, once a readiness set saw EPOLLERR. */
	fd = reset_connection(_metadata, c, "ab", true);
	ASSERT_LE(0, fd);
	EXPECT_EQ(DEAD_EVENTS | EPOLLERR, events_of(c, fd, DEAD_EVENTS));
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(DEAD_EVENTS, events_of(c, fd, DEAD_EVENTS));
	EXPECT_EQ(0, bypass_close(c, fd));

	/* SO_ERROR, SO_ERROR, recv, send. */
	fd = reset_connection(_metadata, c, "ab", true);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, bypass_getsockopt(c, fd, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(ECONNRESET, v);
	EXPECT_EQ(0, bypass_getsockopt(c, fd, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(DEAD_EVENTS, events_of(c, fd, DEAD_EVENTS));
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), MSG_DONTWAIT));
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(EPIPE, errno);
	EXPECT_EQ(0, bypass_close(c, fd));

	/* Data that came before the reset is read first: data, error, end. */
	fd = reset_connection(_metadata, c, "zz", true);
	ASSERT_LE(0, fd);
	EXPECT_EQ(2, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(-1, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_close(c, fd));

	/* send, recv, recv with data waiting: the error, the data, the end. */
	fd = reset_connection(_metadata, c, "zz", true);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(ECONNRESET, errno);
	EXPECT_EQ(2, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_close(c, fd));

	/* Native pop, pop, push: the error, the end of the stream, EPIPE. */
	fd = reset_connection(_metadata, c, "ab", true);
	ASSERT_LE(0, fd);
	pop_then_push(_metadata, c, fd, ECONNRESET);
	pop_then_push(_metadata, c, fd, 0);
	EXPECT_EQ(0, bypass_getsockopt(c, fd, SOL_SOCKET, SO_ERROR, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, bypass_close(c, fd));
}

TEST_F_TIMEOUT(api, shut_rd_ends_reads_and_drops_what_arrives, 60)
{
	struct bypass_ctx *c = self->cli;
	struct bypass_counters c0, c1;
	struct bypass_qresult res;
	struct sockaddr_in sin;
	bypass_qtoken_t qt;
	uint64_t until;
	char buf[8];
	int fd;

	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(0, bypass_connect(c, fd, (void *)&sin, sizeof(sin)));
	/* A pop waiting when the socket is shut for reading ends the stream. */
	ASSERT_EQ(0, bypass_qpop(c, fd, &qt));
	ASSERT_EQ(0, bypass_shutdown(c, fd, SHUT_RD));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0u, res.sga.nr_segs);
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(EPOLLIN | EPOLLOUT | EPOLLRDHUP,
		  events_of(c, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
	/* The echo of what we send arrives, is acknowledged and dropped. */
	bypass_stack_counters(bypass_ctx_stack(c), &c0);
	ASSERT_EQ(3, bypass_send(c, fd, "abc", 3, 0));
	until = mono_ms() + WAIT_MS;
	do {
		nap(c);
		bypass_stack_counters(bypass_ctx_stack(c), &c1);
		/* Our ACK of the echo: one segment out after the data's. */
	} while (c1.tcp.tx < c0.tcp.tx + 2 && mono_ms() < until);
	ASSERT_LE(c0.tcp.tx + 2, c1.tcp.tx);
	EXPECT_EQ(0, bypass_recv(c, fd, buf, sizeof(buf), 0));
	ASSERT_EQ(0, bypass_qpop(c, fd, &qt));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0, res.err);
	EXPECT_EQ(0u, res.sga.nr_segs);
	/* Writing still works; shut both ways it hangs up. */
	ASSERT_EQ(0, bypass_shutdown(c, fd, SHUT_WR));
	EXPECT_EQ(EPOLLIN | EPOLLHUP | EPOLLRDHUP,
		  events_of(c, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP));
	EXPECT_EQ(0, bypass_close(c, fd));
}

TEST_F_TIMEOUT(api, epolloneshot_reports_once_until_mod, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLONESHOT, .data.u64 = 7 };
	int ep, fd, u;

	ep = bypass_epoll_create(c);
	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, u);
	/* A new TCP socket is writable and hung up. */
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(EPOLLOUT | EPOLLHUP, ev.events);
	EXPECT_EQ(7u, ev.data.u64);
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 20));
	ev.events = EPOLLOUT | EPOLLONESHOT;
	ev.data.u64 = 8;
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_MOD, fd, &ev));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(8u, ev.data.u64);
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	/* Watching nothing but one-shot: EPOLLHUP, once. */
	ev.events = EPOLLONESHOT;
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_MOD, fd, &ev));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(EPOLLHUP, ev.events);
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	/* Level-triggered without it: again and again. */
	ev.events = EPOLLOUT;
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_MOD, fd, &ev));
	EXPECT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	/* A UDP socket watching nothing is never reported. */
	ev.events = 0;
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_DEL, fd, NULL));
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, u, &ev));
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(0, bypass_close(c, u));
	EXPECT_EQ(0, bypass_close(c, fd));
	EXPECT_EQ(0, bypass_close(c, ep));
}

/* Wait (at most 5 s, asleep) until bypass_sock_events() shows @want. */
static int sock_events_wait(struct bypass_ctx *ctx, int fd, int want)
{
	uint64_t end = mono_ms() + WAIT_MS;
	int ev;

	do {
		bypass_ctx_poll(ctx);
		ev = bypass_sock_events(ctx, fd);
		if (ev < 0 || ev & want)
			return ev;
		nap(ctx);
	} while (mono_ms() < end);
	return ev;
}

/* Connect a blocking TCP socket of @c to the echo server, send @msg. */
static int echo_conn(struct bypass_ctx *c, const char *msg)
{
	struct sockaddr_in sin;
	int fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);

	set_addr(&sin, IP_PEER, ECHO_PORT);
	if (fd < 0 || bypass_connect(c, fd, (void *)&sin, sizeof(sin)) ||
	    bypass_send(c, fd, msg, strlen(msg), 0) != (ssize_t)strlen(msg))
		return -1;
	return fd;
}

TEST_F_TIMEOUT(api, sock_events_and_fionread_follow_the_data, 60)
{
	struct bypass_ctx *c = self->cli;
	char buf[16];
	int fd, u, v = -1, on = 1;

	u = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	ASSERT_LE(0, u);
	/* Unconnected TCP: writable and hung up, as Linux's poll says. */
	EXPECT_EQ(EPOLLOUT | EPOLLHUP, bypass_sock_events(c, u));
	EXPECT_EQ(-1, bypass_sock_events(c, 1000));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, bypass_ioctl(c, u, FIONREAD, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, bypass_ioctl(c, u, 0x5401 /* TCGETS */, &v));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(0, bypass_ioctl(c, u, FIONBIO, &on));
	EXPECT_EQ(O_NONBLOCK, bypass_fcntl(c, u, F_GETFL, 0) & O_NONBLOCK);
	EXPECT_EQ(0, bypass_close(c, u));

	fd = echo_conn(c, "hello");
	ASSERT_LE(0, fd);
	ASSERT_LT(0, EPOLLIN & sock_events_wait(c, fd, EPOLLIN));
	/* All five echoed bytes may take more than one segment. */
	for (int i = 0; i < 500 && (bypass_ioctl(c, fd, FIONREAD, &v) || v < 5); i++)
		nap(c);
	EXPECT_EQ(5, v);
	EXPECT_EQ(5, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, bypass_ioctl(c, fd, FIONREAD, &v));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, bypass_sock_events(c, fd) & EPOLLIN);
	EXPECT_EQ(EPOLLOUT, bypass_sock_events(c, fd) & EPOLLOUT);
	EXPECT_EQ(0, bypass_close(c, fd));
}

TEST_F_TIMEOUT(api, msg_peek_leaves_the_data_to_read, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin, from;
	socklen_t fl = sizeof(from);
	char buf[16] = { 0 };
	int fd, u, v;

	fd = echo_conn(c, "peekaboo");
	ASSERT_LE(0, fd);
	ASSERT_LT(0, EPOLLIN & sock_events_wait(c, fd, EPOLLIN));
	for (int i = 0; i < 500 && (bypass_ioctl(c, fd, FIONREAD, &v) || v < 8); i++)
		nap(c);
	/* Twice the same bytes, then a read takes them. */
	EXPECT_EQ(4, bypass_recv(c, fd, buf, 4, MSG_PEEK));
	EXPECT_EQ(0, memcmp(buf, "peek", 4));
	EXPECT_EQ(8, bypass_recv(c, fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(8, bypass_recv(c, fd, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "peekaboo", 8));
	EXPECT_EQ(-1, bypass_recv(c, fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, bypass_close(c, fd));

	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	ASSERT_LE(0, u);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(3, bypass_sendto(c, u, "abc", 3, 0, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(3, bypass_sendto(c, u, "defg", 3, 0, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(2, bypass_recvfrom(c, u, buf, 2, MSG_PEEK, (void *)&from, &fl));
	EXPECT_EQ(0, memcmp(buf, "ab", 2));
	EXPECT_EQ(htons(ECHO_PORT), from.sin_port);
	EXPECT_EQ(0, bypass_ioctl(c, u, FIONREAD, &v));
	EXPECT_EQ(3, v);
	EXPECT_EQ(EPOLLIN, bypass_sock_events(c, u) & EPOLLIN);
	EXPECT_EQ(3, bypass_recv(c, u, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "abc", 3));
	EXPECT_EQ(3, bypass_recv(c, u, buf, sizeof(buf), 0));
	EXPECT_EQ(0, memcmp(buf, "def", 3));
	EXPECT_EQ(0, bypass_close(c, u));
}

TEST_F_TIMEOUT(api, epollet_reports_again_only_on_news, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 9 };
	char buf[64];
	int ep, fd, n = 0;

	ep = bypass_epoll_create(c);
	fd = echo_conn(c, "one");
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, WAIT_MS));
	EXPECT_EQ(EPOLLIN, ev.events & EPOLLIN);
	EXPECT_EQ(9u, ev.data.u64);
	/* Still readable, but no news: an edge is reported once. */
	EXPECT_EQ(EPOLLIN, bypass_sock_events(c, fd) & EPOLLIN);
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 20));
	/* New data is news: reported again, though unread data stayed. */
	ASSERT_EQ(3, bypass_send(c, fd, "two", 3, 0));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, WAIT_MS));
	EXPECT_EQ(EPOLLIN, ev.events & EPOLLIN);
	while (n < 6) {
		ssize_t r = bypass_recv(c, fd, buf + n, sizeof(buf) - (size_t)n, 0);

		ASSERT_LT(0, r);
		n += (int)r;
	}
	EXPECT_EQ(0, memcmp(buf, "onetwo", 6));
	EXPECT_EQ(0, bypass_close(c, fd));
	EXPECT_EQ(0, bypass_close(c, ep));
}

/* Is kernel fd @fd readable now? */
static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

TEST_F_TIMEOUT(api, epoll_fd_is_readable_while_its_set_has_news, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = 5 };
	uint64_t end = mono_ms() + WAIT_MS;
	char buf[16];
	int ep, other, efd, fd;

	ep = bypass_epoll_create(c);
	other = bypass_epoll_create(c);
	ASSERT_LE(0, other);
	efd = bypass_epoll_fd(c, ep);
	ASSERT_LE(0, efd);
	EXPECT_EQ(efd, bypass_epoll_fd(c, ep));
	EXPECT_FALSE(fd_readable(efd));
	fd = echo_conn(c, "abc");
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, bypass_epoll_fd(c, fd));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, bypass_epoll_fd(c, 1000));
	EXPECT_EQ(EBADF, errno);
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd, &ev));
	/* The echo arriving makes the set's fd readable. */
	while (!fd_readable(efd) && mono_ms() < end)
		nap(c);
	ASSERT_TRUE(fd_readable(efd));
	EXPECT_EQ(0, bypass_epoll_wait(c, other, &ev, 1, 0));
	EXPECT_TRUE(fd_readable(efd));
	ASSERT_EQ(1, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(5u, ev.data.u64);
	/* Level-triggered and still readable: it stays raised. */
	EXPECT_TRUE(fd_readable(efd));
	while (bypass_recv(c, fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
	/* A wait that finds nothing lowers it. */
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_FALSE(fd_readable(efd));
	EXPECT_EQ(0, bypass_close(c, fd));
	EXPECT_EQ(0, bypass_close(c, ep));
	/* Closed with its set. */
	EXPECT_EQ(-1, fcntl(efd, F_GETFD));
	EXPECT_EQ(0, bypass_close(c, other));
}

/*
 * Members closed while on the set's ready list, in the middle and at the
 * tail, leave it in O(1) and whole: the others are still reported, and a
 * member added afterwards joins behind them.
 */
TEST_F_TIMEOUT(api, closing_ready_members_keeps_the_ready_list_whole, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev, got[8];
	uint64_t end = mono_ms() + WAIT_MS;
	int ep, fd[5], i, n;
	bool seen[5] = { false };

	ep = bypass_epoll_create(c);
	ASSERT_LE(0, ep);
	for (i = 0; i < 4; i++) {
		fd[i] = echo_conn(c, "abc");
		ASSERT_LE(0, fd[i]);
		ev.events = EPOLLIN;
		ev.data.u64 = (uint64_t)i;
		ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd[i], &ev));
	}
	/* Every echo in: all four queued, in the order they got news. */
	for (i = 0; i < 4; i++)
		while (!(bypass_sock_events(c, fd[i]) & EPOLLIN) && mono_ms() < end)
			nap(c);
	EXPECT_EQ(0, bypass_close(c, fd[1]));
	EXPECT_EQ(0, bypass_close(c, fd[3]));
	fd[4] = echo_conn(c, "abc");
	ASSERT_LE(0, fd[4]);
	ev.events = EPOLLIN;
	ev.data.u64 = 4;
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd[4], &ev));
	while (!(bypass_sock_events(c, fd[4]) & EPOLLIN) && mono_ms() < end)
		nap(c);
	n = bypass_epoll_wait(c, ep, got, 8, 0);
	ASSERT_EQ(3, n);
	for (i = 0; i < n; i++) {
		ASSERT_GT(5u, got[i].data.u64);
		seen[got[i].data.u64] = true;
	}
	EXPECT_TRUE(seen[0] && seen[2] && seen[4]);
	EXPECT_FALSE(seen[1] || seen[3]);
	EXPECT_EQ(0, bypass_close(c, fd[0]));
	EXPECT_EQ(0, bypass_close(c, fd[2]));
	EXPECT_EQ(0, bypass_close(c, fd[4]));
	EXPECT_EQ(0, bypass_close(c, ep));
}

TEST_F_TIMEOUT(api, accepted_sockets_inherit_reuseaddr, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin, peer;
	socklen_t len = sizeof(peer);
	int u, l, a, n, m, v = 1;
	char b;

	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	l = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, bypass_setsockopt(c, l, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	set_addr(&sin, 0, 8190);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 4));
	ASSERT_EQ(0, dial(c, u, 8190, DIAL_ECHO));
	a = bypass_accept(c, l, (void *)&peer, &len);
	ASSERT_LE(0, a);
	EXPECT_EQ(IP_PEER, peer.sin_addr.s_addr);
	v = 0;
	len = sizeof(v);
	ASSERT_EQ(0, bypass_getsockopt(c, a, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	EXPECT_EQ(1, v);
	/* A restarted listener binds the port while the connection lives. */
	EXPECT_EQ(0, bypass_close(c, l));
	n = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	m = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	EXPECT_EQ(-1, bypass_bind(c, m, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(EADDRINUSE, errno);
	v = 1;
	ASSERT_EQ(0, bypass_setsockopt(c, n, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
	EXPECT_EQ(0, bypass_bind(c, n, (void *)&sin, sizeof(sin)));
	EXPECT_EQ(0, bypass_listen(c, n, 4));
	/* The connection still echoes. */
	ASSERT_EQ(1, bypass_send(c, a, "r", 1, 0));
	ASSERT_EQ(1, bypass_recv(c, a, &b, 1, 0));
	EXPECT_EQ('r', b);
	EXPECT_EQ(0, bypass_close(c, a));
	EXPECT_EQ(0, bypass_close(c, n));
	EXPECT_EQ(0, bypass_close(c, m));

	/* Without SO_REUSEADDR on the listener, the connection has none. */
	l = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, 0, 8191);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 4));
	ASSERT_EQ(0, dial(c, u, 8191, DIAL_ECHO));
	a = bypass_accept(c, l, NULL, NULL);
	ASSERT_LE(0, a);
	v = 1;
	ASSERT_EQ(0, bypass_getsockopt(c, a, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	EXPECT_EQ(0, v);
	EXPECT_EQ(0, bypass_close(c, a));
	EXPECT_EQ(0, bypass_close(c, l));
	EXPECT_EQ(0, bypass_close(c, u));
}

TEST_F_TIMEOUT(api, nonblocking_accept_skips_connections_reset_in_the_queue, 60)
{
	struct bypass_ctx *c = self->cli;
	struct epoll_event ev = { .events = EPOLLIN };
	struct bypass_counters c0, c1;
	struct bypass_qresult res;
	struct sockaddr_in sin;
	bypass_qtoken_t qt;
	uint64_t until;
	int u, l, ep, a, aborted;
	char b;

	u = bypass_socket(c, AF_INET, SOCK_DGRAM, 0);
	l = bypass_socket(c, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = bypass_epoll_create(c);
	set_addr(&sin, 0, 8195);
	ASSERT_EQ(0, bypass_bind(c, l, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, bypass_listen(c, l, 4));
	ASSERT_EQ(0, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, l, &ev));
	/* The server connects and resets before we accept. */
	aborted = __atomic_load_n(&self->srv.aborted, __ATOMIC_ACQUIRE);
	bypass_stack_counters(bypass_ctx_stack(c), &c0);
	ASSERT_EQ(0, dial(c, u, 8195, DIAL_ABORT));
	until = mono_ms() + WAIT_MS;
	while (__atomic_load_n(&self->srv.aborted, __ATOMIC_ACQUIRE) == aborted &&
	       mono_ms() < until)
		nap(c);
	ASSERT_NE(aborted, __atomic_load_n(&self->srv.aborted, __ATOMIC_ACQUIRE));
	/* Its SYN, ACK and RST in: the reset one waits in the accept queue. */
	do {
		nap(c);
		bypass_stack_counters(bypass_ctx_stack(c), &c1);
	} while (c1.tcp.rx < c0.tcp.rx + 3 && mono_ms() < until);
	ASSERT_LE(c0.tcp.rx + 3, c1.tcp.rx);
	/* It is neither reported nor handed out. */
	EXPECT_EQ(0, bypass_epoll_wait(c, ep, &ev, 1, 0));
	EXPECT_EQ(-1, bypass_accept(c, l, NULL, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* The next connection is accepted, by a pending accept too. */
	ASSERT_EQ(0, bypass_qaccept(c, l, &qt));
	ASSERT_EQ(0, dial(c, u, 8195, DIAL_ECHO));
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	ASSERT_EQ(0, res.err);
	a = res.new_qd;
	ASSERT_EQ(1, bypass_send(c, a, "k", 1, 0));
	ASSERT_EQ(1, bypass_recv(c, a, &b, 1, 0));
	EXPECT_EQ('k', b);
	EXPECT_EQ(0, bypass_close(c, a));
	EXPECT_EQ(0, bypass_close(c, ep));
	EXPECT_EQ(0, bypass_close(c, l));
	EXPECT_EQ(0, bypass_close(c, u));
}

/*
 * One context per thread, nothing shared: two client threads, each with
 * its own context on its own in-memory pair (its own queue pair), against
 * two server contexts on threads of their own, all at once.
 */
#define THREAD_BYTES	(256u * 1024)
struct client {
	struct bypass_ctx *ctx;
	uint8_t seed;
	int failed;
	int start;
};

static void *client_main(void *arg)
{
	struct client *cl = arg;
	static __thread uint8_t out[THREAD_BYTES], in[THREAD_BYTES];
	struct sockaddr_in sin;
	size_t sent = 0, got = 0;
	uint32_t i;
	int fd;

	while (!__atomic_load_n(&cl->start, __ATOMIC_ACQUIRE))
		sched_yield();
	for (i = 0; i < THREAD_BYTES; i++)
		out[i] = (uint8_t)(i * 7 + cl->seed + i / 251);
	fd = bypass_socket(cl->ctx, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	if (fd < 0 || bypass_connect(cl->ctx, fd, (void *)&sin, sizeof(sin)))
		goto fail;
	/* Non-blocking both ways, so that neither side waits on the other. */
	bypass_fcntl(cl->ctx, fd, F_SETFL, O_NONBLOCK);
	while (got < THREAD_BYTES) {
		bool moved = false;
		ssize_t n;

		if (sent < THREAD_BYTES) {
			n = bypass_send(cl->ctx, fd, out + sent,
					THREAD_BYTES - sent < 8192 ? THREAD_BYTES - sent : 8192, 0);
			if (n > 0) {
				sent += (size_t)n;
				moved = true;
			} else if (errno != EAGAIN) {
				goto fail;
			}
		}
		n = bypass_recv(cl->ctx, fd, in + got, THREAD_BYTES - got, 0);
		if (n > 0) {
			got += (size_t)n;
			moved = true;
		} else if (n == 0 || errno != EAGAIN) {
			goto fail;
		}
		/* Non-blocking calls do not poll the device: sleep on it. */
		if (!moved)
			nap(cl->ctx);
	}
	if (memcmp(in, out, THREAD_BYTES))
		goto fail;
	bypass_close(cl->ctx, fd);
	__atomic_store_n(&cl->failed, 0, __ATOMIC_RELEASE);
	return NULL;
fail:
	__atomic_store_n(&cl->failed, 1, __ATOMIC_RELEASE);
	return NULL;
}

TEST(threads_one_context_each_on_its_own_pair)
{
	struct bypass_pair_config pc = {
		.features = FEAT_DEFAULT, .queue_size = 256, .threaded = true,
	};
	struct bypass_ctx_config cfg = {
		.stack = { .prefix_len = 24, .pool_bufs = 2048, .spin_ns = 1 },
	};
	struct bypass_pair *pair[2];
	struct server srv[2];
	struct client cl[2];
	pthread_t st[2], ct[2];
	int i;

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	memset(srv, 0, sizeof(srv));
	memset(cl, 0, sizeof(cl));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, bypass_pair_create(&pc, &pair[i]));
		cfg.stack.addr = IP_US;
		ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(pair[i], 0), &cfg, &cl[i].ctx));
		cfg.stack.addr = IP_PEER;
		ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(pair[i], 1), &cfg, &srv[i].ctx));
		srv[i].failed = -1;
		cl[i].failed = -1;
		cl[i].seed = (uint8_t)(i * 101 + 5);
		ASSERT_EQ(0, pthread_create(&st[i], NULL, server_main, &srv[i]));
		ASSERT_EQ(0, pthread_create(&ct[i], NULL, client_main, &cl[i]));
	}
	for (i = 0; i < 2; i++)
		while (__atomic_load_n(&srv[i].failed, __ATOMIC_ACQUIRE) < 0)
			sched_yield();
	/* Both clients at once. */
	for (i = 0; i < 2; i++)
		__atomic_store_n(&cl[i].start, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 2; i++) {
		pthread_join(ct[i], NULL);
		EXPECT_EQ(0, cl[i].failed);
	}
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&srv[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(st[i], NULL);
		EXPECT_EQ(0, srv[i].failed);
		EXPECT_EQ(0u, bypass_pool_bad_puts(bypass_ctx_pool(cl[i].ctx)));
		bypass_ctx_destroy(cl[i].ctx);
		bypass_ctx_destroy(srv[i].ctx);
		bypass_pair_destroy(pair[i]);
	}
}

/* Both contexts on the test's thread: the server context never reads. */
TEST(push_waiting_for_room_fails_epipe_on_shut_wr)
{
	static const struct timespec zero = { 0, 0 };
	struct bypass_pair_config pc = {
		.features = FEAT_DEFAULT, .queue_size = 256, .threaded = true,
	};
	struct bypass_ctx_config cfg = {
		.stack = { .prefix_len = 24, .pool_bufs = 2048, .spin_ns = 1 },
	};
	struct bypass_pair *pair;
	struct bypass_ctx *a, *b;
	struct bypass_qresult res;
	struct bypass_sga sga;
	bypass_qtoken_t at, ct, pt = 0, qts[16];
	int l, qd, bq = -1, i, r, pushes = 0, pending = 0, eof = 0;
	uint64_t until;

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	cfg.stack.addr = IP_US;
	ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(pair, 0), &cfg, &a));
	cfg.stack.addr = IP_PEER;
	ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(pair, 1), &cfg, &b));
	l = bypass_qsocket(b, SOCK_STREAM);
	ASSERT_EQ(0, bypass_qbind(b, l, 0, 80));
	ASSERT_EQ(0, bypass_qlisten(b, l, 0));
	ASSERT_EQ(0, bypass_qaccept(b, l, &at));
	qd = bypass_qsocket(a, SOCK_STREAM);
	ASSERT_EQ(0, bypass_qconnect(a, qd, IP_PEER, 80, &ct));
	until = mono_ms() + WAIT_MS;
	for (r = 0; r != 3 && mono_ms() < until;) {
		bypass_ctx_poll(b);
		bypass_ctx_poll(a);
		if (!(r & 1) && !bypass_qwait(a, ct, &res, &zero))
			r |= 1;
		if (!(r & 2) && !bypass_qwait(b, at, &res, &zero)) {
			r |= 2;
			bq = res.new_qd;
		}
	}
	ASSERT_EQ(3, r);
	/* Push until one waits for room: b never reads. */
	for (pushes = 0; pushes < 200; pushes++) {
		ASSERT_EQ(0, bypass_sga_alloc(a, 8 * 1920, &sga));
		ASSERT_EQ(0, bypass_qpush(a, qd, &sga, &pt));
		until = mono_ms() + 300;
		pending = 1;
		while (mono_ms() < until) {
			bypass_ctx_poll(b);
			bypass_ctx_poll(a);
			if (!bypass_qwait(a, pt, &res, &zero)) {
				ASSERT_EQ(0, res.err);
				pending = 0;
				break;
			}
		}
		if (pending)
			break;
	}
	ASSERT_EQ(1, pending);
	TH_LOG("push %d waits for room", pushes);
	ASSERT_EQ(0, bypass_shutdown(a, qd, SHUT_WR));
	/* Now b reads everything: room comes back. */
	until = mono_ms() + 2000;
	r = -1;
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, bypass_qpop(b, bq, &qts[i]));
	while (mono_ms() < until) {
		int k;

		bypass_ctx_poll(a);
		while (!eof && (k = bypass_qwait_any(b, qts, 16, &res, &zero)) >= 0) {
			eof = !res.sga.nr_segs;
			bypass_sga_free(&res.sga);
			ASSERT_EQ(0, bypass_qpop(b, bq, &qts[k]));
		}
		if (!bypass_qwait(a, pt, &res, &zero)) {
			r = res.err;
			break;
		}
	}
	TH_LOG("end of stream at b: %d", eof);
	EXPECT_EQ(EPIPE, r);
	bypass_qclose(a, qd);
	if (r == -1)
		bypass_qwait(a, pt, NULL, &zero);
	bypass_qclose(b, bq);
	for (i = 0; i < 16; i++)
		bypass_qwait(b, qts[i], NULL, &zero);
	bypass_ctx_destroy(a);
	bypass_ctx_destroy(b);
	bypass_pair_destroy(pair);
}

TEST_F_TIMEOUT(api, shut_rd_completes_a_pop_and_wakes_ctx_fd, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin;
	struct bypass_qresult res;
	struct pollfd p;
	bypass_qtoken_t qt;
	int fd;

	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(0, bypass_connect(c, fd, (void *)&sin, sizeof(sin)));
	p.fd = bypass_ctx_fd(c);
	p.events = POLLIN;
	ASSERT_EQ(0, bypass_qpop(c, fd, &qt));
	do
		bypass_ctx_poll(c);
	while (poll(&p, 1, 1500) == 1);
	ASSERT_EQ(0, bypass_shutdown(c, fd, SHUT_RD));
	{
		uint64_t t0 = mono_ms();

		EXPECT_EQ(1, poll(&p, 1, 1000));
		TH_LOG("shut_rd: woke after %lu ms", (unsigned long)(mono_ms() - t0));
	}
	ASSERT_EQ(0, bypass_qwait(c, qt, &res, &five_s));
	EXPECT_EQ(0u, res.sga.nr_segs);
	EXPECT_EQ(0, bypass_close(c, fd));
}

TEST_F_TIMEOUT(api, keepalive_set_on_a_connection_wakes_ctx_fd, 60)
{
	struct bypass_ctx *c = self->cli;
	struct sockaddr_in sin;
	struct pollfd p;
	uint64_t t0;
	int fd, v = 1;

	fd = bypass_socket(c, AF_INET, SOCK_STREAM, 0);
	set_addr(&sin, IP_PEER, ECHO_PORT);
	ASSERT_EQ(0, bypass_connect(c, fd, (void *)&sin, sizeof(sin)));
	p.fd = bypass_ctx_fd(c);
	p.events = POLLIN;
	do
		bypass_ctx_poll(c);
	while (poll(&p, 1, 1500) == 1);
	ASSERT_EQ(0, bypass_setsockopt(c, fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, sizeof(v)));
	ASSERT_EQ(0, bypass_setsockopt(c, fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
	t0 = mono_ms();
	EXPECT_EQ(1, poll(&p, 1, 3000));
	TH_LOG("woke after %lu ms", (unsigned long)(mono_ms() - t0));
	EXPECT_EQ(0, bypass_close(c, fd));
}

/*
 * The device may raise a TX interrupt while the TX interrupt is off: with
 * EVENT_IDX, once its used index wraps past the stale used_event (every
 * 65536 frames), or when it decides late. Such a stale notification must
 * not leave bypass_ctx_fd() readable for ever: an idle context sleeps.
 */
TEST(ctx_fd_sleeps_after_a_tx_interrupt_that_came_while_off)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT, .queue_size = 256 };
	struct bypass_ctx_config cfg = {
		.stack = { .addr = IP_US, .prefix_len = 24, .pool_bufs = 1024 },
	};
	struct bypass_stack_config peer_cfg = { .addr = IP_PEER, .prefix_len = 24 };
	struct bypass_pair_stats ps;
	struct bypass_counters cnt;
	struct bypass_stack *peer;
	struct bypass_pair *pair;
	struct bypass_ctx *c;
	struct sockaddr_in sin;
	struct pollfd p = { .events = POLLIN };
	uint32_t i;
	int fd;

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(pair, 0), &cfg, &c));
	ASSERT_EQ(0, bypass_stack_create(bypass_pair_dev(pair, 1), &peer_cfg, &peer));
	p.fd = bypass_ctx_fd(c);
	ASSERT_LE(0, p.fd);
	fd = bypass_socket(c, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, IP_PEER, 9);
	ASSERT_EQ(0, bypass_connect(c, fd, (void *)&sin, sizeof(sin)));
	/* The peer answers the ARP request, then hears nothing more. */
	ASSERT_EQ(1, bypass_send(c, fd, "x", 1, 0));
	for (i = 0; i < 4; i++) {
		bypass_stack_poll(peer);
		bypass_ctx_poll(c);
	}
	/*
	 * More than 65536 frames, polling often enough for the TX ring never
	 * to fill (its interrupt stays off): the TX used index wraps.
	 */
	for (i = 0; i < 66000; i++) {
		ASSERT_EQ(1, bypass_send(c, fd, "x", 1, 0));
		if (i % 128 == 0)
			bypass_ctx_poll(c);
	}
	bypass_pair_stats(pair, 0, &ps);
	EXPECT_LT(0u, ps.irqs[BYPASS_QUEUE_TX]);
	EXPECT_EQ(0, bypass_ctx_poll(c));
	EXPECT_EQ(0, poll(&p, 1, 0));
	/*
	 * While a stalled device holds the TX ring and its backlog full, the
	 * TX interrupt is armed: the device catching up wakes the fd.
	 */
	bypass_pair_set_tx_stall(pair, 0, true);
	for (i = 0; i < 2 * 256; i++)
		ASSERT_EQ(1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(-1, bypass_send(c, fd, "x", 1, 0));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(0, bypass_ctx_poll(c));
	EXPECT_EQ(0, poll(&p, 1, 0));
	bypass_pair_set_tx_stall(pair, 0, false);
	EXPECT_EQ(1, poll(&p, 1, 0));
	/* The backlog leaves, its completions are reaped: idle again. */
	for (i = 0; i < 4 && poll(&p, 1, 0); i++)
		EXPECT_EQ(0, bypass_ctx_poll(c));
	EXPECT_EQ(0, poll(&p, 1, 0));
	bypass_stack_counters(bypass_ctx_stack(c), &cnt);
	EXPECT_EQ(256u, cnt.ring.tx_backlogged);
	EXPECT_EQ(1u, cnt.drops[BYPASS_DROP_TX_BACKLOG_FULL]);
	EXPECT_EQ(0, bypass_close(c, fd));
	bypass_ctx_destroy(c);
	bypass_stack_destroy(peer);
	bypass_pair_destroy(pair);
}

TEST_HARNESS_MAIN
