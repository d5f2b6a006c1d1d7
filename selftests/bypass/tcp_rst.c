// SPDX-License-Identifier: GPL-2.0
/*
 * Resets between libbypass and Linux TCP, each side seeing what Linux
 * would make it see: a connect to a closed port is refused both ways
 * (ECONNREFUSED), bypass_tcp_abort() makes Linux's recv() fail with
 * ECONNRESET, Linux's close() with SO_LINGER {1, 0} gives bypass
 * ECONNRESET, and bypass closing a connection with unread data resets it
 * as Linux does (RFC 2525 2.17), so Linux's recv() fails with ECONNRESET.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define PORT		7300
#define CLOSED_PORT	7301	/* nobody listens here, on either side */
#define DATA_LEN	1000

static struct ti_report *rep;

FIXTURE(rst) {
	char peer_if[IFNAMSIZ];
	pid_t app, peer;
};

FIXTURE_SETUP(rst)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
}

FIXTURE_TEARDOWN(rst)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->app > 0)
		tl_stop_app(self->app);
	EXPECT_EQ(0, tl_release());
}

/* Refused on the closed port; then one exchange on the open one. */
static int linux_refused_then_served(void *arg)
{
	int s;

	(void)arg;
	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	s = ti_linux_connect(CLOSED_PORT);
	if (s < 0)
		return ti_fail(&rep->lnx, "socket: %s", strerror(errno));
	rep->lnx.err = ti_linux_connected(s, TI_IDLE_MS);
	close(s);
	return ti_linux_rr_clients(PORT, 1, -1, &rep->lnx);
}

TEST_F_TIMEOUT(rst, linux_connect_to_closed_bypass_port_refused, 60)
{
	ti_rr = (struct ti_rr_cfg){
		.port = PORT, .backlog = 4, .gate = -1, .rep = &rep->byp,
	};
	self->app = tl_start_app(ti_rr_server, 0);
	ASSERT_LT(0, self->app);
	self->peer = ti_fork(linux_refused_then_served, NULL);
	ASSERT_LT(0, self->peer);
	EXPECT_EQ(0, ti_wait(self->peer, 30000)) TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(0, tl_stop_app(self->app)) TH_LOG("bypass: %s", rep->byp.why);
	self->app = 0;
	EXPECT_EQ(ECONNREFUSED, rep->lnx.err) TH_LOG("%s", strerror(rep->lnx.err));
	/* The stack was up all along: the open port answered. */
	EXPECT_EQ(1, rep->lnx.served);
	EXPECT_EQ(1, rep->byp.served);
}

/* Run @st until @c leaves @state or @ms pass; returns its state then. */
static enum bypass_tcp_state run_while(struct bypass_stack *st,
				       struct bypass_tcp_conn *c,
				       enum bypass_tcp_state state, long ms)
{
	long end = tl_now_ms() + ms;

	while (bypass_tcp_state(c) == state && tl_now_ms() < end) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		bypass_stack_flush(st);
	}
	return bypass_tcp_state(c);
}

TEST_F_TIMEOUT(rst, bypass_connect_to_closed_linux_port_refused, 60)
{
	struct bypass_tcp_conn *c;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	uint32_t peer;
	long t0;

	ASSERT_EQ(0, tl_open_stack(&dev, &st));
	inet_pton(AF_INET, TI_PEER_IP, &peer);
	t0 = tl_now_ms();
	ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, CLOSED_PORT, &c));
	EXPECT_EQ(BYPASS_TCP_CLOSED, run_while(st, c, BYPASS_TCP_SYN_SENT, 20000));
	EXPECT_EQ(ECONNREFUSED, bypass_tcp_error(c));
	TH_LOG("refused after %ld ms", tl_now_ms() - t0);
	bypass_tcp_close(c);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

/* Send a request, expect the connection reset instead of an answer. */
static int linux_expect_reset(void *arg)
{
	struct timeval tv = { TI_IDLE_MS / 1000, 0 };
	uint8_t req[TI_REQ_LEN], buf[TI_REQ_LEN];
	ssize_t n;
	int s, fl;

	(void)arg;
	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	s = ti_linux_connect(PORT);
	if (s < 0 || ti_linux_connected(s, TI_IDLE_MS))
		return ti_fail(&rep->lnx, "connect: %s", strerror(errno));
	fl = fcntl(s, F_GETFL);
	if (fl < 0 || fcntl(s, F_SETFL, fl & ~O_NONBLOCK) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return ti_fail(&rep->lnx, "socket options: %s", strerror(errno));
	ti_request(0, req);
	if (send(s, req, sizeof(req), MSG_NOSIGNAL) != sizeof(req))
		return ti_fail(&rep->lnx, "send: %s", strerror(errno));
	n = recv(s, buf, sizeof(buf), 0);
	if (n >= 0)
		return ti_fail(&rep->lnx, "recv returned %zd", n);
	rep->lnx.err = errno;
	close(s);
	return 0;
}

TEST_F_TIMEOUT(rst, bypass_abort_resets_linux, 60)
{
	ti_rr = (struct ti_rr_cfg){
		.port = PORT, .backlog = 4, .gate = -1, .abort = true,
		.rep = &rep->byp,
	};
	self->app = tl_start_app(ti_rr_server, 0);
	ASSERT_LT(0, self->app);
	self->peer = ti_fork(linux_expect_reset, NULL);
	ASSERT_LT(0, self->peer);
	EXPECT_EQ(0, ti_wait(self->peer, 30000)) TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(0, tl_stop_app(self->app)) TH_LOG("bypass: %s", rep->byp.why);
	self->app = 0;
	EXPECT_EQ(1, rep->byp.served);		/* it did read the request */
	EXPECT_EQ(ECONNRESET, rep->lnx.err) TH_LOG("%s", strerror(rep->lnx.err));
}

/*
 * Linux server: accept one connection. With @arg's mode 'l': read the
 * request, close with SO_LINGER {1, 0}. Mode 'u': send DATA_LEN bytes,
 * then expect recv() to fail (rep->lnx.err).
 */
struct server_arg {
	int ready;
	char mode;
};

static int linux_server(void *arg)
{
	const struct server_arg *a = arg;
	struct timeval tv = { TI_IDLE_MS / 1000, 0 };
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	uint8_t buf[DATA_LEN];
	int l, s;
	ssize_t n;

	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PORT, 4);
	if (l < 0 || write(a->ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return ti_fail(&rep->lnx, "accept: %s", strerror(errno));
	if (a->mode == 'l') {
		n = recv(s, buf, TI_REQ_LEN, MSG_WAITALL);
		if (n != TI_REQ_LEN)
			return ti_fail(&rep->lnx, "recv: %zd", n);
		if (setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)))
			return ti_fail(&rep->lnx, "SO_LINGER: %s", strerror(errno));
		close(s);
	} else {
		ti_fill(7, 0, buf, DATA_LEN);
		if (send(s, buf, DATA_LEN, MSG_NOSIGNAL) != DATA_LEN)
			return ti_fail(&rep->lnx, "send: %s", strerror(errno));
		n = recv(s, buf, sizeof(buf), 0);
		if (n >= 0)
			return ti_fail(&rep->lnx, "recv returned %zd", n);
		rep->lnx.err = errno;
		close(s);
	}
	close(l);
	return 0;
}

/* Start linux_server() in @mode and connect to it from a new stack. */
static int connect_to_linux_server(FIXTURE_DATA(rst) *self, char mode,
				   struct bypass_dev **dev,
				   struct bypass_stack **st,
				   struct bypass_tcp_conn **c)
{
	static struct server_arg a;
	uint32_t peer;
	int ready[2];

	if (pipe(ready))
		return -1;
	a.ready = ready[1];
	a.mode = mode;
	self->peer = ti_fork(linux_server, &a);
	if (self->peer < 0 || ti_read_byte(ready[0], 10000))
		return -1;
	close(ready[0]);
	close(ready[1]);
	if (tl_open_stack(dev, st))
		return -1;
	inet_pton(AF_INET, TI_PEER_IP, &peer);
	if (bypass_stack_tcp_connect(*st, peer, PORT, c))
		return -1;
	return run_while(*st, *c, BYPASS_TCP_SYN_SENT, 20000) ==
	       BYPASS_TCP_ESTABLISHED ? 0 : -1;
}

TEST_F_TIMEOUT(rst, linux_linger_zero_close_resets_bypass, 60)
{
	struct bypass_tcp_conn *c;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	uint8_t req[TI_REQ_LEN];

	ASSERT_EQ(0, connect_to_linux_server(self, 'l', &dev, &st, &c));
	ti_request(0, req);
	ASSERT_EQ(0, ti_bypass_send(st, c, req, TI_REQ_LEN));
	EXPECT_EQ(BYPASS_TCP_CLOSED, run_while(st, c, BYPASS_TCP_ESTABLISHED, 20000));
	EXPECT_EQ(ECONNRESET, bypass_tcp_error(c));
	EXPECT_FALSE(bypass_tcp_eof(c));	/* a reset, not a FIN */
	EXPECT_EQ(0, ti_serve_until_exit(st, self->peer, 20000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	bypass_tcp_close(c);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_F_TIMEOUT(rst, bypass_close_with_unread_data_resets_linux, 60)
{
	struct bypass_tcp_conn *c;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	long end;

	ASSERT_EQ(0, connect_to_linux_server(self, 'u', &dev, &st, &c));
	end = tl_now_ms() + 20000;
	while (bypass_tcp_readable(c) < DATA_LEN && tl_now_ms() < end) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		bypass_stack_flush(st);
	}
	ASSERT_EQ(DATA_LEN, bypass_tcp_readable(c));
	bypass_tcp_close(c);	/* the 1000 bytes were never read */
	EXPECT_EQ(0, ti_serve_until_exit(st, self->peer, 20000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(ECONNRESET, rep->lnx.err) TH_LOG("%s", strerror(rep->lnx.err));
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
