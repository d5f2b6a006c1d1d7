// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of how far the congestion window grows when it is not what
 * limits the sender: a long bulk flow through the engine, on a virtual
 * clock, to a peer that ACKs every segment one RTT later but whose
 * receive window holds the flight to a few segments. More than 4 GiB
 * go through, enough ACKs that a window grown by every ACK would pass
 * 2^32 bytes and wrap; cwnd must stay within a few windows of what the
 * peer allows (RFC 7661, Linux's tcp_is_cwnd_limited) and the data must
 * keep moving, in slow start and, after a loss, in congestion avoidance,
 * under NewReno and CUBIC.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"

#define MS		1000000ull
#define RTT_NS		(10 * MS)
#define MSS		60000u		/* few segments: many bytes per ACK */
#define WSCALE		7u
#define PEER_WND	(4 * MSS)	/* the receiver's window: the limit */
#define BUF_SIZE	65536u
#define NR_BUFS		64u
#define SNDQ_BUFS	16u
#define MAX_SEGS	64u		/* in flight: the window allows 4 */
#define LADDR		htonl(0x0a000001)
#define RADDR		htonl(0x0a000002)
#define LPORT		40000
#define RPORT		8080
#define TOTAL_BYTES	(5ull << 30)	/* over 2^32 / MSS full-size ACKs */
#define LOSS_ROUND	100u		/* the round the peer drops (loss) */

struct sent_seg {
	uint32_t seq, end;
};

/* The peer: what reached it this round and what it has received. */
struct peer {
	struct sent_seg seg[MAX_SEGS];
	uint32_t nr;
	bool overflow;
	uint32_t iss, rcv_nxt;		/* the engine's ISN, next byte */
	uint64_t now;
};

static uint64_t peer_now(void *ctx)
{
	return ((struct peer *)ctx)->now;
}

static int peer_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct peer *p = ctx;

	if (s->flags & BYPASS_TCP_SYN)
		p->iss = s->seq;
	if (!s->len)
		return 0;
	if (p->nr == MAX_SEGS) {
		p->overflow = true;
		return 0;
	}
	p->seg[p->nr].seq = s->seq;
	p->seg[p->nr].end = s->seq + s->len;
	p->nr++;
	return 0;
}

static void peer_seg(struct bypass_tcp *tcp, uint8_t flags, uint32_t seq,
		     uint32_t ack, uint16_t win)
{
	struct bypass_tcp_seg s = {
		.saddr = RADDR, .daddr = LADDR, .sport = RPORT, .dport = LPORT,
		.seq = seq, .ack = ack, .flags = flags, .win = win,
	};

	if (flags & BYPASS_TCP_SYN) {
		s.opt.has_mss = true;
		s.opt.mss = MSS;
		s.opt.has_wscale = true;
		s.opt.wscale = WSCALE;
	}
	bypass_tcp_input(tcp, &s);
}

FIXTURE(cwnd)
{
	struct peer peer;
	struct bypass_pool *pool;
	struct bypass_tcp *tcp;
	struct bypass_tcp_conn *c;
};

FIXTURE_VARIANT(cwnd)
{
	uint8_t cc;
	bool loss;		/* a loss first: congestion avoidance */
};

FIXTURE_VARIANT_ADD(cwnd, newreno_slow_start)
{
	.cc = BYPASS_TCP_CC_NEWRENO, .loss = false,
};

FIXTURE_VARIANT_ADD(cwnd, newreno_avoidance)
{
	.cc = BYPASS_TCP_CC_NEWRENO, .loss = true,
};

FIXTURE_VARIANT_ADD(cwnd, cubic_slow_start)
{
	.cc = BYPASS_TCP_CC_CUBIC, .loss = false,
};

FIXTURE_VARIANT_ADD(cwnd, cubic_avoidance)
{
	.cc = BYPASS_TCP_CC_CUBIC, .loss = true,
};

FIXTURE_SETUP(cwnd)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = peer_now, .output = peer_output,
	};
	struct bypass_tcp_config cfg = {
		.max_conns = 2, .mss = MSS, .sndq_bufs = SNDQ_BUFS,
		.cc = variant->cc,
	};

	memset(&self->peer, 0, sizeof(self->peer));
	self->peer.now = 1000 * MS;
	ASSERT_EQ(0, bypass_pool_create(NULL, NR_BUFS, BUF_SIZE, &self->pool));
	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &self->peer, &self->tcp));
	ASSERT_EQ(0, bypass_tcp_connect(self->tcp, LADDR, LPORT, RADDR, RPORT,
					&self->c));
	self->peer.now += RTT_NS;
	peer_seg(self->tcp, BYPASS_TCP_SYN | BYPASS_TCP_ACK, 0,
		 self->peer.iss + 1, PEER_WND >> WSCALE);
	ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(self->c));
	self->peer.rcv_nxt = self->peer.iss + 1;
}

FIXTURE_TEARDOWN(cwnd)
{
	bypass_tcp_close(self->c);
	bypass_tcp_destroy(self->tcp);
	bypass_pool_destroy(self->pool);
}

/* The application keeps the send queue full. */
static void fill(struct bypass_pool *pool, struct bypass_tcp_conn *c)
{
	struct bypass_buf *b;

	while ((b = bypass_buf_alloc(pool))) {
		b->len = MSS;
		if (bypass_tcp_send(c, b))
			return;	/* the queue is full; it freed the buffer */
	}
}

TEST_F(cwnd, bounded_while_window_limited)
{
	struct tcp_conn *c = (struct tcp_conn *)self->c;
	struct peer *p = &self->peer;
	uint64_t acked = 0, rounds = 0, stalled = 0;
	uint32_t max_cwnd = 0, cwnd = c->cwnd, ssthresh = c->ssthresh;
	bool lost = false;

	fill(self->pool, self->c);
	while (acked < TOTAL_BYTES) {
		struct sent_seg seg[MAX_SEGS];
		uint32_t nr = p->nr, i, una = c->snd_una;

		/* An RTT: the peer ACKs what reached it, segment by segment. */
		memcpy(seg, p->seg, sizeof(seg));
		p->nr = 0;
		p->now += RTT_NS;
		if (variant->loss && ++rounds == LOSS_ROUND && !lost) {
			lost = true;	/* the whole flight: an RTO */
			nr = 0;
		}
		for (i = 0; i < nr; i++) {
			if (seq_leq(seg[i].seq, p->rcv_nxt) &&
			    seq_gt(seg[i].end, p->rcv_nxt))
				p->rcv_nxt = seg[i].end;
			peer_seg(self->tcp, BYPASS_TCP_ACK, 1, p->rcv_nxt,
				 PEER_WND >> WSCALE);
		}
		bypass_tcp_poll(self->tcp);	/* the RTO, after a loss */
		fill(self->pool, self->c);
		ASSERT_FALSE(p->overflow);
		ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(self->c));
		if (c->cwnd > max_cwnd)
			max_cwnd = c->cwnd;
		/* Never beyond what the peer's window lets it use, doubled. */
		ASSERT_LE(c->cwnd, 3 * PEER_WND) {
			TH_LOG("cwnd %u after %llu bytes", c->cwnd,
			       (unsigned long long)acked);
		}
		/* It falls only on a loss (ssthresh moves), never by a wrap. */
		if (c->ssthresh == ssthresh)
			ASSERT_GE(c->cwnd, cwnd);
		cwnd = c->cwnd;
		ssthresh = c->ssthresh;
		acked += c->snd_una - una;
		/* Only an RTO's wait (at most 1 s here) moves nothing. */
		stalled = c->snd_una == una ? stalled + 1 : 0;
		ASSERT_LT(stalled, 100u);
	}
	EXPECT_EQ(variant->loss, lost);
	if (variant->loss)
		EXPECT_LT(c->ssthresh, (uint32_t)UINT32_MAX);
	TH_LOG("%llu bytes, cwnd at most %u (peer window %u)",
	       (unsigned long long)acked, max_cwnd, PEER_WND);
}

TEST_HARNESS_MAIN
