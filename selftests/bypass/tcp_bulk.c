// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk TCP transfer between libbypass and Linux, both directions at once,
 * every byte checked against the pattern on the receiving side, with a
 * Linux client and a bypass server, and with a bypass client and a Linux
 * server: 64 MiB each way on the clean link, and 2 MiB each way through
 * tc netem on the Linux NIC (5% loss, 25% reordering, 2% duplicates,
 * 20 ms delay). With 5% of Linux's segments (or ACKs) lost and a 20 ms
 * RTT the window stays small: under TCG 2 MiB each way takes about
 * 10-20 s, 64 MiB would take many minutes. Throughput is logged, never
 * judged; completion within the variant's bound is. tcp_bulk.timeout
 * gives the four cases the time they need together.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"
#include "offloadlib.h"

#define PORT_BYPASS_SERVER	7100
#define PORT_LINUX_SERVER	7150

static struct ti_report *rep;
static uint64_t bulk_bytes;
static long bulk_bound_ms;

/* Bypass server: accept one connection, run the transfer, close. */
static int bulk_server(int ready, int arg)
{
	struct bypass_tcp_conn *l, *c = NULL;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	long end;
	int r = -1;

	(void)arg;
	if (tl_open_stack(&dev, &st) || bypass_stack_tcp_listen(st, PORT_BYPASS_SERVER, 4, &l)) {
		ti_fail(&rep->byp, "stack or listener");
		return 2;
	}
	if (write(ready, "r", 1) != 1)
		return 4;
	end = tl_now_ms() + bulk_bound_ms;
	while (!tl_app_stop && !c && tl_now_ms() < end) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		c = bypass_tcp_accept(l);
	}
	if (c)
		r = ti_bypass_bulk(st, c, bulk_bytes, TI_SEED_BYPASS, bulk_bytes,
				   TI_SEED_LINUX, end, &rep->byp);
	else
		ti_fail(&rep->byp, "nothing to accept");
	if (c)
		bypass_tcp_close(c);
	/* Keep serving: the FIN and the last segments may need resending. */
	while (!tl_app_stop) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		bypass_stack_flush(st);
	}
	ti_bypass_counters(st, &rep->byp);
	bypass_tcp_close(l);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return r ? 1 : 0;
}

static int linux_client(void *arg)
{
	int s;

	(void)arg;
	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	s = ti_linux_connect(PORT_BYPASS_SERVER);
	if (s < 0 || ti_linux_connected(s, TI_IDLE_MS))
		return ti_fail(&rep->lnx, "connect: %s", strerror(errno));
	if (ti_linux_bulk(s, bulk_bytes, TI_SEED_LINUX, bulk_bytes, TI_SEED_BYPASS,
			  &rep->lnx))
		return -1;
	close(s);
	return 0;
}

/* Linux server: accept one connection, run the transfer, close. */
static int linux_server(void *arg)
{
	int l, s, ready = *(int *)arg;

	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PORT_LINUX_SERVER, 4);
	if (l < 0 || write(ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	if (s < 0)
		return ti_fail(&rep->lnx, "accept: %s", strerror(errno));
	if (ti_linux_bulk(s, bulk_bytes, TI_SEED_LINUX, bulk_bytes, TI_SEED_BYPASS,
			  &rep->lnx))
		return -1;
	close(s);
	close(l);
	return 0;
}

FIXTURE(bulk) {
	char peer_if[IFNAMSIZ];
	pid_t app, peer;
	bool netem;
};

FIXTURE_VARIANT(bulk) {
	uint64_t bytes;		/* each way */
	bool netem;
	long bound_ms;		/* the whole transfer */
};

FIXTURE_VARIANT_ADD(bulk, clean) {
	.bytes = 64 << 20,
	.netem = false,
	.bound_ms = 200000,	/* 40-100 s seen under TCG on a busy host */
};

FIXTURE_VARIANT_ADD(bulk, netem) {
	.bytes = 2 << 20,
	.netem = true,
	.bound_ms = 120000,
};

FIXTURE_SETUP(bulk)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
	bulk_bytes = variant->bytes;
	bulk_bound_ms = variant->bound_ms;
	if (variant->netem) {
		ASSERT_EQ(0, ti_netem(self->peer_if, 1));
		self->netem = true;
	}
}

FIXTURE_TEARDOWN(bulk)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->app > 0)
		tl_stop_app(self->app);
	if (self->netem)
		EXPECT_EQ(0, ti_netem(self->peer_if, 0));
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(bulk, linux_client_bypass_server, 250)
{
	long t0;

	self->app = tl_start_app(bulk_server, 0);
	ASSERT_LT(0, self->app);
	t0 = tl_now_ms();
	self->peer = ti_fork(linux_client, NULL);
	ASSERT_LT(0, self->peer);
	EXPECT_EQ(0, ti_wait(self->peer, variant->bound_ms + 10000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	TH_LOG("both ways done in %ld ms", tl_now_ms() - t0);
	EXPECT_EQ(0, tl_stop_app(self->app)) TH_LOG("bypass: %s", rep->byp.why);
	self->app = 0;
	EXPECT_EQ(variant->bytes, rep->lnx.bytes_in);
	EXPECT_EQ(variant->bytes, rep->lnx.bytes_out);
	EXPECT_EQ(variant->bytes, rep->byp.bytes_in);
	EXPECT_EQ(variant->bytes, rep->byp.bytes_out);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_STREQ("", rep->byp.why);
	TI_LOG_BULK(rep);
}

TEST_F_TIMEOUT(bulk, bypass_client_linux_server, 250)
{
	struct bypass_tcp_conn *c;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	int ready[2], r;
	uint32_t peer;
	long t0;

	ASSERT_EQ(0, pipe(ready));
	self->peer = ti_fork(linux_server, &ready[1]);
	ASSERT_LT(0, self->peer);
	ASSERT_EQ(0, ti_read_byte(ready[0], 10000));
	ASSERT_EQ(0, tl_open_stack(&dev, &st));
	inet_pton(AF_INET, TI_PEER_IP, &peer);
	t0 = tl_now_ms();
	ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, PORT_LINUX_SERVER, &c));
	r = ti_bypass_bulk(st, c, variant->bytes, TI_SEED_BYPASS, variant->bytes,
			   TI_SEED_LINUX, t0 + variant->bound_ms, &rep->byp);
	EXPECT_EQ(0, r) TH_LOG("bypass: %s", rep->byp.why);
	bypass_tcp_close(c);
	/* Keep serving: our FIN and last segments may need resending. */
	EXPECT_EQ(0, ti_serve_until_exit(st, self->peer, 30000))
		TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	TH_LOG("both ways done in %ld ms", tl_now_ms() - t0);
	EXPECT_EQ(variant->bytes, rep->lnx.bytes_in);
	EXPECT_EQ(variant->bytes, rep->lnx.bytes_out);
	EXPECT_EQ(variant->bytes, rep->byp.bytes_in);
	EXPECT_EQ(variant->bytes, rep->byp.bytes_out);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_STREQ("", rep->byp.why);
	ti_bypass_counters(st, &rep->byp);
	TI_LOG_BULK(rep);
	/* Whatever the NIC offers was used (netem: at least that much). */
	if (!variant->netem)
		OL_CHECK_OFFLOADS(dev, st, variant->bytes);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
