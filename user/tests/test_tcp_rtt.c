// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the RTT estimator (RFC 6298, tcp_rtt_sample): every
 * sample leaves SRTT, RTTVAR and the RTO where the RFC's formulas put
 * them, also once the estimator sits at its fixed point (RTTVAR 0, each
 * sample equal to SRTT), where tcp_rtt_sample returns early; and an RTO
 * the retransmission timer backed off is set again by the next sample
 * even when that sample equals SRTT.
 */
#include "kselftest_harness.h"
#include "tcp.h"
#include "tcp_fake.h"

#define MS	1000000ull

/* The RFC 6298 estimator on its own, for comparison. */
struct ref_rtt {
	uint64_t srtt, rttvar, rto;
};

static void ref_sample(struct ref_rtt *e, uint64_t r, uint64_t lo,
		       uint64_t hi)
{
	if (!e->srtt) {
		e->srtt = r;
		e->rttvar = r / 2;
	} else {
		uint64_t d = e->srtt > r ? e->srtt - r : r - e->srtt;

		e->rttvar = (3 * e->rttvar + d) / 4;
		e->srtt = (7 * e->srtt + r) / 8;
	}
	/* K = 4, G = 1 ms, then the floor and the ceiling. */
	e->rto = e->srtt + (4 * e->rttvar < MS ? MS : 4 * e->rttvar);
	e->rto = e->rto < lo ? lo : e->rto > hi ? hi : e->rto;
}

FIXTURE(rtt)
{
	struct bypass_tcp *tcp;
	struct tcp_conn *c;
	struct ref_rtt ref;
};

FIXTURE_SETUP(rtt)
{
	struct bypass_tcp_config cfg = { .max_conns = 2 };

	fake_now_ns = 1000 * MS;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &self->tcp));
	self->c = tcp_conn_alloc(self->tcp);
	ASSERT_NE(NULL, self->c);
	memset(&self->ref, 0, sizeof(self->ref));
}

FIXTURE_TEARDOWN(rtt)
{
	tcp_conn_free(self->c);
	bypass_tcp_destroy(self->tcp);
}

/* @n samples of @r into the connection and the reference, compared. */
static void samples(struct __test_metadata *_metadata,
		    FIXTURE_DATA(rtt) *self, uint32_t n, uint64_t r)
{
	const struct bypass_tcp_config *cfg = &self->tcp->cfg;

	while (n--) {
		tcp_rtt_sample(self->c, r);
		ref_sample(&self->ref, r, cfg->rto_min_ns, cfg->rto_max_ns);
		ASSERT_EQ(self->ref.srtt, self->c->srtt_ns);
		ASSERT_EQ(self->ref.rttvar, self->c->rttvar_ns);
		ASSERT_EQ(self->ref.rto, self->c->rto_ns);
	}
}

/* Into the fixed point, out of it and back: the RFC's values throughout. */
TEST_F(rtt, every_sample_as_rfc6298_across_the_fixed_point)
{
	samples(_metadata, self, 100, 1 * MS);
	ASSERT_EQ(0, self->c->rttvar_ns);
	samples(_metadata, self, 3, 300 * MS);
	samples(_metadata, self, 100, 1 * MS);
	samples(_metadata, self, 100, 250 * MS);
	samples(_metadata, self, 5, 250 * MS + 1);
}

/*
 * At the fixed point the RTO is the floor; the retransmission timer
 * doubles it (a SYN resent here); the next sample, equal to SRTT, puts
 * it back where RFC 6298 says.
 */
TEST_F(rtt, sample_equal_to_srtt_after_a_backoff_sets_the_rto_again)
{
	struct tcp_conn *c = self->c;
	uint64_t floor = self->tcp->cfg.rto_min_ns;

	samples(_metadata, self, 100, 1 * MS);
	ASSERT_EQ(floor, c->rto_ns);
	c->state = BYPASS_TCP_SYN_SENT;
	tcp_timer_rtx(&c->rtx_timer, fake_now_ns);
	ASSERT_EQ(2 * floor, c->rto_ns);
	tcp_rtt_sample(c, 1 * MS);
	ASSERT_EQ(floor, c->rto_ns);
}

TEST_HARNESS_MAIN
