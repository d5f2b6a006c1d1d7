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

/* Records the last segment the engine emitted. */
static struct bypass_tcp_seg last_out;

static int keep_output(void *ctx, const struct bypass_tcp_seg *s)
{
	(void)ctx;
	last_out = *s;
	return 0;
}

/* A segment from the peer (192.0.2.2:40000) to the engine's port 80. */
static struct bypass_tcp_seg from_peer(uint8_t flags, uint32_t seq,
				       uint32_t ack)
{
	struct bypass_tcp_seg s = { 0 };

	s.saddr = 0x020200c0u;
	s.daddr = 0x010200c0u;
	s.sport = 40000;
	s.dport = 80;
	s.flags = flags;
	s.seq = seq;
	s.ack = ack;
	s.win = 65535;
	return s;
}

/*
 * Without timestamps negotiated (a SYN without the option), an ACK that
 * carries one anyway, with an echo that would be plausible (20 ms after
 * the send, on the engine's own TS clock), gives no sample from the echo
 * (10 ms): the timed segment's 30 ms is the sample. With header prediction on and off (the
 * slow path's ACK processing).
 */
static void echo_ignored(struct __test_metadata *_metadata, bool pred_off)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = keep_output,
	};
	struct bypass_tcp_config cfg = { .max_conns = 4 };
	struct bypass_tcp_conn *l, *cc;
	struct bypass_tcp_seg s;
	struct bypass_tcp *tcp;
	struct bypass_pool *pool;
	struct bypass_buf *b;
	struct tcp_conn *c;
	uint32_t ts_sent;

	fake_now_ns = 1000 * MS;
	ASSERT_EQ(0, bypass_pool_create(NULL, 16, 2048, &pool));
	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, NULL, &tcp));
	tcp->pred_off = pred_off;
	ASSERT_EQ(0, bypass_tcp_listen(tcp, 0, 80, 4, &l));
	s = from_peer(BYPASS_TCP_SYN, 5000, 0);
	bypass_tcp_input(tcp, &s);
	ASSERT_EQ(BYPASS_TCP_SYN | BYPASS_TCP_ACK, last_out.flags);
	ASSERT_FALSE(last_out.opt.has_ts);
	s = from_peer(BYPASS_TCP_ACK, 5001, last_out.seq + 1);
	bypass_tcp_input(tcp, &s);
	cc = bypass_tcp_accept(l);
	ASSERT_NE(NULL, cc);
	c = (struct tcp_conn *)cc;
	ASSERT_FALSE(c->ts_ok);
	/* The handshake's own sample aside: a known estimator state. */
	c->srtt_ns = 0;
	c->rttvar_ns = 0;
	c->rtt_steady = false;

	b = bypass_buf_alloc(pool);
	ASSERT_NE(NULL, b);
	memset(b->data, 'x', 100);
	b->len = 100;
	ASSERT_EQ(0, bypass_tcp_send(cc, b));
	ASSERT_EQ(100u, last_out.len);
	ts_sent = tcp_ts_now(c, fake_now_ns);

	fake_now_ns += 30 * MS;
	s = from_peer(BYPASS_TCP_ACK, 5001, last_out.seq + 100);
	s.opt.has_ts = true;
	s.opt.ts_val = 7;
	s.opt.ts_ecr = ts_sent + 20;
	bypass_tcp_input(tcp, &s);
	ASSERT_EQ(c->snd_max, c->snd_una);
	EXPECT_EQ(30 * MS, c->srtt_ns);
	EXPECT_EQ(15 * MS, c->rttvar_ns);

	bypass_tcp_abort(cc);
	bypass_tcp_close(l);
	bypass_tcp_destroy(tcp);
	EXPECT_EQ(16u, bypass_pool_available(pool));
	bypass_pool_destroy(pool);
}

TEST(echo_ignored_without_negotiated_timestamps)
{
	echo_ignored(_metadata, false);
}

TEST(echo_ignored_without_negotiated_timestamps_slow_path)
{
	echo_ignored(_metadata, true);
}

TEST_HARNESS_MAIN
