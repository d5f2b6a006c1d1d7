// SPDX-License-Identifier: GPL-2.0
/*
 * Bulk TCP transfer between a libbypass client and a Linux server, both
 * directions at once, every byte checked against the pattern on the
 * receiving side: 64 MiB each way on the clean link, 2 MiB each way
 * through tc netem on the Linux NIC (sizes and bounds as in
 * tcp_bulk_server, which has the roles swapped). Throughput is logged,
 * never judged; completion within the variant's bound is.
 */
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define PORT		7150

static struct ti_report *rep;
static uint64_t bulk_bytes;

/* Linux server: accept one connection, run the transfer, close. */
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
	if (ti_linux_bulk(s, bulk_bytes, TI_SEED_LINUX, bulk_bytes, TI_SEED_BYPASS,
			  &rep->lnx))
		return -1;
	close(s);
	close(l);
	return 0;
}

FIXTURE(bulk) {
	char peer_if[IFNAMSIZ];
	pid_t peer;
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
	if (variant->netem) {
		ASSERT_EQ(0, ti_netem(self->peer_if, 1));
		self->netem = true;
	}
}

FIXTURE_TEARDOWN(bulk)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->netem)
		EXPECT_EQ(0, ti_netem(self->peer_if, 0));
	EXPECT_EQ(0, tl_release());
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
	ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, PORT, &c));
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
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
