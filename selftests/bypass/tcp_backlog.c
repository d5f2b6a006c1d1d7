// SPDX-License-Identifier: GPL-2.0
/*
 * Listen backlogs between libbypass and Linux TCP, as Linux applications
 * expect them:
 *  - a bypass listener with backlog 4 that accepts nothing until its full
 *    accept queue has dropped 12 SYNs, as Linux drops them: 4 Linux
 *    connect()s complete and fill it, the 12 made then get in on their
 *    SYN retries once the application accepts, every one with a full
 *    handshake (timestamps on: no SYN cookie), and each exchanges a
 *    request and answer. (SYN cookies answer only when half-open
 *    connections fill the backlog: the packet scripts test them.)
 *  - a Linux listener whose accept queue is full drops the SYN of a
 *    third bypass connection; when Linux accepts, the bypass SYN retry
 *    gets through and the connection works.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define PORT		7400
#define BACKLOG		4
#define NCLIENTS	16

static struct ti_report *rep;

FIXTURE(backlog) {
	char peer_if[IFNAMSIZ];
	pid_t app, peer;
};

FIXTURE_SETUP(backlog)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
}

FIXTURE_TEARDOWN(backlog)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->app > 0)
		tl_stop_app(self->app);
	EXPECT_EQ(0, tl_release());
}

static int linux_clients(void *arg)
{
	(void)arg;
	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	/* The first BACKLOG fill the accept queue before the others try. */
	ti_rr_first = BACKLOG;
	return ti_linux_rr_clients(PORT, NCLIENTS, -1, &rep->lnx);
}

TEST_F_TIMEOUT(backlog, bypass_listener_backlog_4_drops_syns_until_accepted, 120)
{
	ti_rr = (struct ti_rr_cfg){
		.port = PORT, .backlog = BACKLOG, .gate = -1,
		.open_after_overflows = NCLIENTS - BACKLOG, .rep = &rep->byp,
	};
	self->app = tl_start_app(ti_rr_server, 0);
	ASSERT_LT(0, self->app);
	/* All connect; the clients send once every connect() completed. */
	self->peer = ti_fork(linux_clients, NULL);
	ASSERT_LT(0, self->peer);
	EXPECT_EQ(0, ti_wait(self->peer, 60000)) TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(0, tl_stop_app(self->app)) TH_LOG("bypass: %s", rep->byp.why);
	self->app = 0;
	EXPECT_EQ(NCLIENTS, rep->lnx.conns);
	/* Full handshakes only: no cookie, so every one has timestamps. */
	EXPECT_EQ(0u, rep->lnx.no_ts);
	EXPECT_EQ(NCLIENTS, rep->lnx.served);
	EXPECT_EQ(NCLIENTS, rep->byp.conns);
	EXPECT_EQ(NCLIENTS, rep->byp.served);
	EXPECT_LE((uint64_t)(NCLIENTS - BACKLOG), rep->byp.overflows);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_STREQ("", rep->byp.why);
	TH_LOG("%u connected in %ld ms after %llu SYNs dropped, all answered after %ld ms",
	       rep->lnx.conns, rep->lnx.ms_out,
	       (unsigned long long)rep->byp.overflows, rep->lnx.ms_in);
}

/* TcpExt ListenOverflows of this netns, or -1. */
static long listen_overflows(void)
{
	char names[4096], values[4096], *n, *v, *sn, *sv;
	FILE *f = fopen("/proc/net/netstat", "r");
	long r = -1;

	if (!f)
		return -1;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		if (strncmp(names, "TcpExt:", 7))
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while (n && v) {
			if (!strcmp(n, "ListenOverflows")) {
				r = strtol(v, NULL, 10);
				break;
			}
			n = strtok_r(NULL, " \n", &sn);
			v = strtok_r(NULL, " \n", &sv);
		}
	}
	fclose(f);
	return r;
}

struct full_arg {
	int to_test, from_test;
};

/*
 * Linux server with listen(fd, 1): two queued connections fill it. Once
 * the kernel counted a dropped SYN, say so and wait for the test's go;
 * then accept and answer three connections.
 */
static int linux_full_server(void *arg)
{
	const struct full_arg *a = arg;
	long base, now, end;
	int l;

	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PORT, 1);
	base = listen_overflows();
	if (l < 0 || base < 0 || write(a->to_test, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	end = tl_now_ms() + TI_IDLE_MS;
	while ((now = listen_overflows()) == base && tl_now_ms() < end)
		poll(NULL, 0, 5);	/* the counter has no notification */
	if (now <= base)
		return ti_fail(&rep->lnx, "no SYN dropped (ListenOverflows %ld)", now);
	rep->lnx.err = (int)(now - base);
	if (write(a->to_test, "o", 1) != 1 || ti_read_byte(a->from_test, TI_IDLE_MS))
		return ti_fail(&rep->lnx, "no go from the test");
	if (fcntl(l, F_SETFL, O_NONBLOCK))
		return ti_fail(&rep->lnx, "fcntl: %s", strerror(errno));
	return ti_linux_rr_server(l, 3, &rep->lnx);
}

TEST_F_TIMEOUT(backlog, linux_backlog_full_bypass_syn_retried, 120)
{
	static struct full_arg a;
	uint8_t req[TI_REQ_LEN], ans[3][TI_REQ_LEN], want[TI_REQ_LEN];
	struct bypass_tcp_conn *c[3];
	struct pollfd p = { .events = POLLIN };
	uint32_t peer, got[3] = { 0 };
	int to_test[2], from_test[2], i, done = 0;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	enum bypass_tcp_state at_overflow = BYPASS_TCP_CLOSED;
	long t0 = 0, t_est = 0, end;
	bool seen = false;
	char ch;

	ASSERT_EQ(0, pipe(to_test));
	ASSERT_EQ(0, pipe(from_test));
	a.to_test = to_test[1];
	a.from_test = from_test[0];
	self->peer = ti_fork(linux_full_server, &a);
	ASSERT_LT(0, self->peer);
	ASSERT_EQ(0, ti_read_byte(to_test[0], 10000));
	ASSERT_EQ(0, tl_open_stack(&dev, &st));
	inet_pton(AF_INET, TI_PEER_IP, &peer);

	/* One after the other: two connections fill Linux's accept queue. */
	end = tl_now_ms() + 30000;
	for (i = 0; i < 3; i++) {
		if (i == 2)
			t0 = tl_now_ms();
		ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, PORT, &c[i]));
		while (i < 2 && bypass_tcp_state(c[i]) == BYPASS_TCP_SYN_SENT &&
		       tl_now_ms() < end) {
			bypass_stack_wait(st, 10);
			bypass_stack_poll(st);
		}
		ASSERT_EQ(0, bypass_tcp_error(c[i]));
	}
	ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(c[0]));
	ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(c[1]));

	/* The third SYN is dropped; once Linux accepts, a retry gets in. */
	p.fd = to_test[0];
	end = tl_now_ms() + 30000;
	while (bypass_tcp_state(c[2]) != BYPASS_TCP_ESTABLISHED && tl_now_ms() < end) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		bypass_stack_flush(st);
		ASSERT_EQ(0, bypass_tcp_error(c[2]));
		if (!seen && poll(&p, 1, 0) == 1) {
			ASSERT_EQ(1, read(to_test[0], &ch, 1));
			ASSERT_EQ('o', ch);
			at_overflow = bypass_tcp_state(c[2]);
			seen = true;
			ASSERT_EQ(1, write(from_test[1], "g", 1));
		}
	}
	t_est = tl_now_ms() - t0;
	ASSERT_TRUE(seen) TH_LOG("Linux: %s", rep->lnx.why);
	EXPECT_EQ(BYPASS_TCP_SYN_SENT, at_overflow);
	ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(c[2]));
	TH_LOG("third connection established after %ld ms (%d SYN dropped)",
	       t_est, rep->lnx.err);

	/* All three work. */
	for (i = 0; i < 3; i++) {
		ti_request(i, req);
		ASSERT_EQ(0, ti_bypass_send(st, c[i], req, TI_REQ_LEN));
	}
	end = tl_now_ms() + 30000;
	while (done < 3 && tl_now_ms() < end) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		for (i = 0; i < 3; i++) {
			if (got[i] == TI_REQ_LEN)
				continue;
			ASSERT_EQ(0, bypass_tcp_error(c[i]));
			ASSERT_EQ(0, ti_bypass_take(c[i], ans[i], &got[i], TI_REQ_LEN));
			if (got[i] < TI_REQ_LEN)
				continue;
			ti_request(i, req);
			ti_answer(req, want);
			EXPECT_EQ(0, memcmp(want, ans[i], TI_REQ_LEN)) TH_LOG("conn %d", i);
			done++;
		}
		bypass_stack_flush(st);
	}
	EXPECT_EQ(3, done);
	for (i = 0; i < 3; i++)
		bypass_tcp_close(c[i]);
	EXPECT_EQ(0, ti_serve_until_exit(st, self->peer, 20000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(3, rep->lnx.served);
	EXPECT_STREQ("", rep->lnx.why);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
