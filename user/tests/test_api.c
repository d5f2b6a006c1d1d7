// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the application APIs (bypass_api.h, bypass_socket.h) on
 * the in-memory pair with each device on its own thread, as hardware
 * runs: a server context on one thread (socket-like calls and a readiness
 * set) and a client context on the test's thread (native and socket-like
 * calls). Blocking waits must wake on traffic, asleep; every call's error
 * paths give the documented errno.
 */
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <time.h>

#include "kselftest_harness.h"
#include "frames.h"

#include "bypass_api.h"
#include "bypass_socket.h"

#define ECHO_PORT	7
#define SLOW_PORT	9	/* echoes 300 ms late */
#define CLOSED_PORT	10
#define WAIT_MS		5000
#ifndef TOTAL_ECHO
#define TOTAL_ECHO	(1u << 20)
#endif

struct server {
	struct bypass_ctx *ctx;
	int stop;
	int failed;
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
 * one readiness set. Connections are non-blocking.
 */
#define SRV_MAX	64
static void *server_main(void *arg)
{
	struct server *srv = arg;
	struct bypass_ctx *ctx = srv->ctx;
	struct epoll_event ev, evs[16];
	int ep, lt, ls, us, i, n, fd;
	struct sockaddr_in sin;
	static __thread uint8_t buf[65536];
	uint64_t slow_due[SRV_MAX] = { 0 };
	char slow_data[SRV_MAX][64];
	ssize_t slow_len[SRV_MAX] = { 0 };

	ep = bypass_epoll_create(ctx);
	lt = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ls = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	us = bypass_socket(ctx, AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	set_addr(&sin, 0, ECHO_PORT);
	if (ep < 0 || lt < 0 || ls < 0 || us < 0 ||
	    bypass_bind(ctx, lt, (void *)&sin, sizeof(sin)) ||
	    bypass_bind(ctx, us, (void *)&sin, sizeof(sin)) ||
	    bypass_listen(ctx, lt, 16))
		goto fail;
	set_addr(&sin, 0, SLOW_PORT);
	if (bypass_bind(ctx, ls, (void *)&sin, sizeof(sin)) || bypass_listen(ctx, ls, 4))
		goto fail;
	ev.events = EPOLLIN;
	ev.data.u64 = (uint64_t)lt;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, lt, &ev);
	ev.data.u64 = (uint64_t)ls;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, ls, &ev);
	ev.data.u64 = (uint64_t)us;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, us, &ev);
	__atomic_store_n(&srv->failed, 0, __ATOMIC_RELEASE);

	while (!__atomic_load_n(&srv->stop, __ATOMIC_ACQUIRE)) {
		n = bypass_epoll_wait(ctx, ep, evs, 16, 20);
		if (n < 0)
			goto fail;
		for (i = 0; i < n; i++) {
			fd = (int)evs[i].data.u64;
			if (fd == lt || fd == ls) {
				int c;

				while ((c = bypass_accept4(ctx, fd, NULL, NULL,
							   SOCK_NONBLOCK)) >= 0) {
					if (c >= SRV_MAX)
						goto fail;
					ev.events = EPOLLIN | EPOLLRDHUP;
					ev.data.u64 = (uint64_t)c | (fd == ls ? 1ull << 32 : 0);
					bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, c, &ev);
				}
				if (errno != EAGAIN)
					goto fail;
			} else if (fd == us) {
				struct sockaddr_in from;
				socklen_t fl = sizeof(from);
				ssize_t r;

				while ((r = bypass_recvfrom(ctx, us, buf, sizeof(buf), 0,
							    (void *)&from, &fl)) >= 0)
					bypass_sendto(ctx, us, buf, (size_t)r, 0,
						      (void *)&from, fl);
			} else {
				bool slow = evs[i].data.u64 >> 32;
				ssize_t r, w;

				fd = (int)(uint32_t)evs[i].data.u64;
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
		struct epoll_event ev = { .events = EPOLLIN | EPOLLET };

		EXPECT_EQ(-1, bypass_epoll_ctl(c, ep, EPOLL_CTL_ADD, fd2, &ev));
		EXPECT_EQ(EINVAL, errno);
		ev.events = EPOLLIN;
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
 * every call leaves the fd armed, frames it queued leave at once, and an
 * operation that completes inside a call makes the fd readable.
 */
TEST_F_TIMEOUT(api, ctx_fd_is_armed_after_every_call, 60)
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

TEST_HARNESS_MAIN
