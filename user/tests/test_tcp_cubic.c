// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of CUBIC (RFC 9438) against its curve: the back-off to
 * beta * cwnd, concave growth back to W_max around t = K, convex growth
 * beyond, fast convergence, and NewReno's one segment per RTT for
 * comparison, all on a virtual clock with a fixed RTT.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"
#include "tcp_fake.h"

#define MS	1000000ull
#define MSS	1000u

FIXTURE(cc)
{
	struct bypass_tcp *tcp;
	struct tcp_conn *c;
};

FIXTURE_SETUP(cc)
{
		struct bypass_tcp_config cfg = { .max_conns = 2,
					 .cc = BYPASS_TCP_CC_CUBIC };

	fake_now_ns = 1000 * MS;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &self->tcp));
	self->c = tcp_conn_alloc(self->tcp);
	ASSERT_NE(NULL, self->c);
	self->c->mss = MSS;
	tcp_cc_init(self->c);
	self->c->srtt_ns = 100 * MS;
	/* A sender that fills its window: the window may grow (RFC 7661). */
	self->c->cwnd_limited = true;
}

FIXTURE_TEARDOWN(cc)
{
	tcp_conn_free(self->c);
	bypass_tcp_destroy(self->tcp);
}

/* One RTT: the whole window acknowledged segment by segment. */
static void one_rtt(struct tcp_conn *c)
{
	uint32_t n = c->cwnd / MSS, i;

	fake_now_ns += 100 * MS;
	for (i = 0; i < n; i++)
		tcp_cc_ack(c, MSS);
}

/* A loss at @segs segments; recovery ends with cwnd = ssthresh. */
static void loss_at(struct tcp_conn *c, uint32_t segs)
{
	c->cwnd = segs * MSS;
	c->ssthresh = tcp_cubic_loss(c);
	c->cwnd = c->ssthresh;
}

TEST_F(cc, cubic_curve)
{
	uint32_t w[100], i;

	loss_at(self->c, 100);
	EXPECT_EQ(70 * MSS, self->c->ssthresh);
	for (i = 0; i < 100; i++) {
		w[i] = self->c->cwnd / MSS;
		one_rtt(self->c);
	}
	/* K = cbrt(30 / 0.4) = 4.2 s: back at W_max = 100 then. */
	TH_LOG("cwnd at 0, 1, 2, 3, 4.2, 5, 6, 7, 8 s: %u %u %u %u %u %u %u %u %u",
	       w[0], w[10], w[20], w[30], w[42], w[50], w[60], w[70], w[80]);
	EXPECT_GE(w[42], 95u);
	EXPECT_LE(w[42], 106u);
	/* Concave before K: the first second gains more than the fourth. */
	EXPECT_GT(w[10] - w[0], w[40] - w[30]);
	/* Convex after: the eighth second gains more than the sixth. */
	EXPECT_GT(w[80] - w[70], w[60] - w[50]);
	/* Plateau around W_max: the second around K gains little. */
	EXPECT_LT(w[47] - w[37], 6u);
	EXPECT_GT(w[90], 130u);
}

TEST_F(cc, fast_convergence)
{
	loss_at(self->c, 100);
	/* A second loss below the last W_max: W_max = 90 (1 + 0.7) / 2. */
	loss_at(self->c, 90);
	EXPECT_EQ(63 * MSS, self->c->ssthresh);
	EXPECT_GT(self->c->cubic.w_max, 76.4);
	EXPECT_LT(self->c->cubic.w_max, 76.6);
}

TEST_F(cc, newreno_one_segment_per_rtt)
{
	uint32_t i;

	ASSERT_EQ(0, bypass_tcp_set_cc((struct bypass_tcp_conn *)self->c,
				       BYPASS_TCP_CC_NEWRENO));
	EXPECT_EQ(-EINVAL, bypass_tcp_set_cc((struct bypass_tcp_conn *)self->c,
					     (enum bypass_tcp_cc)7));
	self->c->cwnd = 70 * MSS;
	self->c->ssthresh = 70 * MSS;
	for (i = 0; i < 10; i++)
		one_rtt(self->c);
	/* AIMD: about one MSS per RTT (integer rounding may lose a bit). */
	EXPECT_GE(self->c->cwnd, 79 * MSS);
	EXPECT_LE(self->c->cwnd, 80 * MSS);
}

TEST_F(cc, slow_start_doubles_per_rtt)
{
	self->c->cwnd = 10 * MSS;
	self->c->ssthresh = UINT32_MAX;
	one_rtt(self->c);
	EXPECT_EQ(20 * MSS, self->c->cwnd);
	one_rtt(self->c);
	EXPECT_EQ(40 * MSS, self->c->cwnd);
}

TEST_HARNESS_MAIN
