// SPDX-License-Identifier: GPL-2.0
/*
 * Many concurrent TCP connections between libbypass and Linux: 500 Linux
 * clients connect to a bypass server all at once, every connect completes
 * before any request is sent, each gets its own answer (checked byte for
 * byte) and all are open at the same time; then 500 bypass connections
 * to a Linux server the same way. The netem variants do the same with 50
 * connections through tc netem on the Linux NIC (5% loss, 25% reordering,
 * 2% duplicates, 20 ms delay), where lost SYNs and SYN-ACKs wait for the
 * 1 s initial RTO.
 *
 * Limits: libbypass's defaults (max_conns 1024 including the listener,
 * 4096 pool buffers) hold 500 connections; the listener's backlog is set
 * to the connection count so that no SYN cookie is needed (tcp_backlog
 * tests those). On the Linux side somaxconn is 4096 and the peer raises
 * RLIMIT_NOFILE for its sockets.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define PORT		7200
#define CONNECT_BURST	64	/* SYNs per poll: the TX ring has 256 slots */

static struct ti_report *rep;
static uint32_t nconns;

static int linux_clients(void *arg)
{
	(void)arg;
	if (ti_linux_enter(4096))
		return ti_fail(&rep->lnx, "peer netns");
	return ti_linux_rr_clients(PORT, nconns, -1, &rep->lnx);
}

static int linux_server(void *arg)
{
	int l, ready = *(int *)arg;

	if (ti_linux_enter(4096))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PORT, (int)nconns);
	if (l < 0 || write(ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	if (fcntl(l, F_SETFL, O_NONBLOCK))
		return ti_fail(&rep->lnx, "fcntl: %s", strerror(errno));
	return ti_linux_rr_server(l, nconns, &rep->lnx);
}

FIXTURE(many) {
	char peer_if[IFNAMSIZ];
	pid_t app, peer;
	bool netem;
};

FIXTURE_VARIANT(many) {
	uint32_t conns;
	bool netem;
	long bound_ms;
};

FIXTURE_VARIANT_ADD(many, clean_500) {
	.conns = 500,
	.netem = false,
	.bound_ms = 90000,
};

FIXTURE_VARIANT_ADD(many, netem_50) {
	.conns = 50,
	.netem = true,
	.bound_ms = 90000,
};

FIXTURE_SETUP(many)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
	nconns = variant->conns;
	if (variant->netem) {
		ASSERT_EQ(0, ti_netem(self->peer_if, 1));
		self->netem = true;
	}
}

FIXTURE_TEARDOWN(many)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->app > 0)
		tl_stop_app(self->app);
	if (self->netem)
		EXPECT_EQ(0, ti_netem(self->peer_if, 0));
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(many, linux_clients_bypass_server, 200)
{
	ti_rr = (struct ti_rr_cfg){
		.port = PORT, .backlog = variant->conns, .gate = -1,
		.rep = &rep->byp,
	};
	self->app = tl_start_app(ti_rr_server, 0);
	ASSERT_LT(0, self->app);
	self->peer = ti_fork(linux_clients, NULL);
	ASSERT_LT(0, self->peer);
	EXPECT_EQ(0, ti_wait(self->peer, variant->bound_ms))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(0, tl_stop_app(self->app)) TH_LOG("bypass: %s", rep->byp.why);
	self->app = 0;
	EXPECT_EQ(variant->conns, rep->lnx.conns);
	EXPECT_EQ(variant->conns, rep->lnx.served);
	EXPECT_EQ(variant->conns, rep->byp.conns);
	EXPECT_EQ(variant->conns, rep->byp.served);
	EXPECT_EQ(variant->conns, rep->byp.peak);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_STREQ("", rep->byp.why);
	TH_LOG("%u connected in %ld ms, all answered after %ld ms; bypass: %llu segments in, %llu out, %llu drops:%s",
	       rep->lnx.conns, rep->lnx.ms_out, rep->lnx.ms_in,
	       (unsigned long long)rep->byp.segs_in,
	       (unsigned long long)rep->byp.segs_out,
	       (unsigned long long)rep->byp.drops, rep->byp.drop_names);
}

/*
 * The bypass side of linux_server(): @n connections (opened CONNECT_BURST
 * per poll), all established before any request is sent, each answer
 * checked, then all closed. Returns 0 or -1 with @rep->why.
 */
static int bypass_clients(struct bypass_stack *st, uint32_t n, long bound_ms,
			  struct ti_side *rep)
{
	static struct bypass_tcp_conn *c[TI_MAX_CONNS];
	static uint8_t ans[TI_MAX_CONNS][TI_REQ_LEN];
	static uint32_t got[TI_MAX_CONNS];
	uint8_t req[TI_REQ_LEN], want[TI_REQ_LEN];
	long t0 = tl_now_ms(), end = t0 + bound_ms;
	uint32_t opened = 0, est = 0, done = 0, i;
	uint32_t peer;
	int r;

	inet_pton(AF_INET, TI_PEER_IP, &peer);
	while (est < n) {
		if (tl_now_ms() > end)
			return ti_fail(rep, "%u of %u established", est, n);
		for (i = 0; i < CONNECT_BURST && opened < n; i++, opened++) {
			r = bypass_stack_tcp_connect(st, peer, PORT, &c[opened]);
			if (r)
				return ti_fail(rep, "connect %u: %d", opened, r);
		}
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		for (est = 0, i = 0; i < opened; i++) {
			if (bypass_tcp_error(c[i]))
				return ti_fail(rep, "conn %u: error %d", i,
					       bypass_tcp_error(c[i]));
			est += bypass_tcp_state(c[i]) == BYPASS_TCP_ESTABLISHED;
		}
		bypass_stack_flush(st);
	}
	rep->conns = est;
	rep->ms_out = tl_now_ms() - t0;
	for (i = 0; i < n; i++) {
		ti_request(i, req);
		r = ti_bypass_send(st, c[i], req, TI_REQ_LEN);
		if (r)
			return ti_fail(rep, "send %u: %d", i, r);
	}
	while (done < n) {
		if (tl_now_ms() > end)
			return ti_fail(rep, "%u of %u answers", done, n);
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		for (i = 0; i < n; i++) {
			if (got[i] == TI_REQ_LEN)
				continue;
			if (bypass_tcp_error(c[i]))
				return ti_fail(rep, "conn %u: error %d", i,
					       bypass_tcp_error(c[i]));
			if (ti_bypass_take(c[i], ans[i], &got[i], TI_REQ_LEN))
				return ti_fail(rep, "conn %u: more than an answer", i);
			if (got[i] < TI_REQ_LEN)
				continue;
			ti_request(i, req);
			ti_answer(req, want);
			if (memcmp(want, ans[i], TI_REQ_LEN))
				return ti_fail(rep, "conn %u: wrong answer", i);
			done++;
			rep->served++;
		}
		bypass_stack_flush(st);
	}
	rep->ms_in = tl_now_ms() - t0;
	for (i = 0; i < n; i++)
		bypass_tcp_close(c[i]);
	return 0;
}

TEST_F_TIMEOUT(many, bypass_clients_linux_server, 200)
{
	struct bypass_stack *st;
	struct bypass_dev *dev;
	int ready[2];

	ASSERT_EQ(0, pipe(ready));
	self->peer = ti_fork(linux_server, &ready[1]);
	ASSERT_LT(0, self->peer);
	ASSERT_EQ(0, ti_read_byte(ready[0], 10000));
	ASSERT_EQ(0, tl_open_stack(&dev, &st));
	EXPECT_EQ(0, bypass_clients(st, variant->conns, variant->bound_ms,
				    &rep->byp))
		TH_LOG("bypass: %s", rep->byp.why);
	EXPECT_EQ(0, ti_serve_until_exit(st, self->peer, 30000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	ti_bypass_counters(st, &rep->byp);
	EXPECT_EQ(variant->conns, rep->byp.conns);
	EXPECT_EQ(variant->conns, rep->byp.served);
	EXPECT_EQ(variant->conns, rep->lnx.conns);
	EXPECT_EQ(variant->conns, rep->lnx.served);
	EXPECT_EQ(variant->conns, rep->lnx.peak);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_STREQ("", rep->byp.why);
	TH_LOG("%u established in %ld ms, all answered after %ld ms; bypass: %llu segments in, %llu out, %llu drops:%s",
	       rep->byp.conns, rep->byp.ms_out, rep->byp.ms_in,
	       (unsigned long long)rep->byp.segs_in,
	       (unsigned long long)rep->byp.segs_out,
	       (unsigned long long)rep->byp.drops, rep->byp.drop_names);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
