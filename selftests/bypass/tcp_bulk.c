// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk TCP transfers between libbypass and Linux TCP, both directions at
 * once, every byte checked against the pattern on the receiving side:
 * a Linux client with a bypass server and a bypass client with a Linux
 * server, 64 MiB each way on the clean link, and the same through tc
 * netem on the Linux NIC (5% loss, 25% reordering, 2% duplicates, 20 ms
 * delay) with 2 MiB each way: with 5% of Linux's segments (and ACKs) lost
 * and a 20 ms RTT the window stays small, and under TCG 2 MiB each way
 * takes about 10-20 s; 64 MiB would take minutes. Throughput is logged,
 * never judged; completion within the variant's bound is.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define PORT		7100
#define SEED_LINUX	11		/* stream Linux sends */
#define SEED_BYPASS	22		/* stream bypass sends */

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
	if (tl_open_stack(&dev, &st) || bypass_stack_tcp_listen(st, PORT, 4, &l)) {
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
		r = ti_bypass_bulk(st, c, bulk_bytes, SEED_BYPASS, bulk_bytes,
				   SEED_LINUX, end, &rep->byp);
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
	s = ti_linux_connect(PORT);
	if (s < 0 || ti_linux_connected(s, TI_IDLE_MS))
		return ti_fail(&rep->lnx, "connect: %s", strerror(errno));
	if (ti_linux_bulk(s, bulk_bytes, SEED_LINUX, bulk_bytes, SEED_BYPASS,
			  &rep->lnx))
		return -1;
	close(s);
	return 0;
}

static int linux_server(void *arg)
{
	int l, s, ready = *(int *)arg;

	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PORT, 4);
	if (l < 0 || write(ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	s = accept(l, NULL, NULL);
	if (s < 0)
		return ti_fail(&rep->lnx, "accept: %s", strerror(errno));
	if (ti_linux_bulk(s, bulk_bytes, SEED_LINUX, bulk_bytes, SEED_BYPASS,
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
	.bound_ms = 300000,	/* 50-100 s seen under TCG on a busy host */
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

static void log_rate(struct __test_metadata *_metadata, const char *what,
		     uint64_t bytes, long ms)
{
	TH_LOG("%s: %llu bytes in %ld ms, %.1f Mbit/s", what,
	       (unsigned long long)bytes, ms,
	       ms > 0 ? bytes * 8.0 / 1000.0 / ms : 0.0);
}

static void log_counters(struct __test_metadata *_metadata,
			 const struct ti_side *s)
{
	TH_LOG("bypass stack: %llu segments in, %llu out, %llu frames dropped:%s",
	       (unsigned long long)s->segs_in, (unsigned long long)s->segs_out,
	       (unsigned long long)s->drops, s->drop_names);
}

TEST_F_TIMEOUT(bulk, linux_client_bypass_server, 400)
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
	log_rate(_metadata, "Linux -> bypass", rep->byp.bytes_in, rep->byp.ms_in);
	log_rate(_metadata, "bypass -> Linux", rep->lnx.bytes_in, rep->lnx.ms_in);
	log_counters(_metadata, &rep->byp);
}

TEST_F_TIMEOUT(bulk, bypass_client_linux_server, 400)
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
	ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, PORT, &c));
	r = ti_bypass_bulk(st, c, variant->bytes, SEED_BYPASS, variant->bytes,
			   SEED_LINUX, t0 + variant->bound_ms, &rep->byp);
	EXPECT_EQ(0, r) TH_LOG("bypass: %s", rep->byp.why);
	bypass_tcp_close(c);
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
	log_rate(_metadata, "Linux -> bypass", rep->byp.bytes_in, rep->byp.ms_in);
	log_rate(_metadata, "bypass -> Linux", rep->lnx.bytes_in, rep->lnx.ms_in);
	ti_bypass_counters(st, &rep->byp);
	log_counters(_metadata, &rep->byp);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
