// SPDX-License-Identifier: GPL-2.0
/*
 * Header prediction against the full processing, differentially: two
 * engines hold the same connection (same config, secret and clock, so
 * the same numbers), one predicting (tcp_input_wire from the raw header,
 * else bypass_tcp_input), the other with prediction off (pred_off: every
 * segment takes the slow path). A random peer sends each segment to both:
 * mostly the in-order data and ACKs prediction takes, with now and then
 * what it must refuse (old or future sequence numbers, stale timestamps,
 * other flags, SACK blocks, no timestamps, window changes); the
 * application sends and reads the same on both. After every step the
 * two connections must agree field by field, and so must every segment
 * they emitted.
 */
#include "kselftest_harness.h"
#include "tcp.h"

#define MS	1000000ull
#define LOCAL	0x0100000au
#define REMOTE	0x0200000au
#define RPORT	40000

struct side {
	struct bypass_tcp *tcp;
	struct bypass_tcp_conn *l, *c;
	uint64_t out_hash;	/* of every segment emitted */
	uint32_t out_nr;
	uint32_t snd_max;	/* highest seq + len emitted */
	uint32_t peer_ts;	/* the last TS value emitted */
};

struct diff {
	uint64_t now, seed;
	struct bypass_pool *pool;
	struct side side[2];	/* [0] predicts, [1] does not */
	uint32_t next_seq;	/* the peer's next byte: the engine's rcv_nxt */
	uint32_t ts;		/* the peer's TS clock */
	uint32_t predicted;	/* segments tcp_input_wire took */
	int bad;		/* first difference, as a line number */
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* Each engine's context: the shared clock, then its side. */
struct side_ctx {
	uint64_t *now;
	struct side *side;
};

static uint64_t side_now(void *ctx)
{
	return *((struct side_ctx *)ctx)->now;
}

static uint64_t mix(uint64_t h, uint64_t v)
{
	return (h ^ v) * 0x100000001b3ull;
}

static int diff_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct side *sd = ((struct side_ctx *)ctx)->side;
	uint64_t h = sd->out_hash;
	uint32_t end;

	h = mix(h, s->seq);
	h = mix(h, s->ack);
	h = mix(h, s->flags);
	h = mix(h, s->win);
	h = mix(h, s->len);
	h = mix(h, s->opt.has_ts ? s->opt.ts_val : 0);
	h = mix(h, s->opt.has_ts ? s->opt.ts_ecr : 0);
	h = mix(h, s->opt.nr_sack);
	sd->out_hash = h;
	end = s->seq + s->len + !!(s->flags & BYPASS_TCP_SYN) +
	      !!(s->flags & BYPASS_TCP_FIN);
	if (!sd->out_nr || seq_gt(end, sd->snd_max))
		sd->snd_max = end;
	sd->out_nr++;
	if (s->opt.has_ts)
		sd->peer_ts = s->opt.ts_val;
	return 0;
}

#define CHECK(cond) do { if (!(cond) && !d->bad) d->bad = __LINE__; } while (0)
#define SAME(f) CHECK(a->f == b->f)

/* Every field of the two connections that is not a pointer. */
static void compare(struct diff *d)
{
	const struct tcp_conn *a = (const struct tcp_conn *)d->side[0].c;
	const struct tcp_conn *b = (const struct tcp_conn *)d->side[1].c;

	CHECK(d->side[0].out_nr == d->side[1].out_nr);
	CHECK(d->side[0].out_hash == d->side[1].out_hash);
	SAME(state); SAME(app_owned); SAME(accepted); SAME(fin_queued);
	SAME(fin_rcvd); SAME(ack_now); SAME(ack_pending); SAME(in_recovery);
	SAME(rtt_timing); SAME(error); SAME(iss); SAME(snd_una); SAME(snd_nxt);
	SAME(snd_max); SAME(snd_wnd); SAME(snd_wl1); SAME(snd_wl2);
	SAME(max_snd_wnd); SAME(snd_end); SAME(snd_sml); SAME(mss);
	SAME(sndq_head); SAME(sndq_len); SAME(irs); SAME(rcv_nxt); SAME(rcv_adv);
	SAME(last_ack_sent); SAME(rcv_mss); SAME(last_data_ns); SAME(reply_seq);
	SAME(quickacks); SAME(pingpong); SAME(rcvq_bytes);
	SAME(rcvq_nbufs); SAME(nr_ooo); SAME(sack_last); SAME(dsack);
	SAME(dsack_start); SAME(dsack_end); SAME(ts_recent); SAME(ts_recent_ns);
	SAME(ts_echo_min); SAME(srtt_ns); SAME(rttvar_ns); SAME(rto_ns);
	SAME(rtt_seq); SAME(rtt_start_ns); SAME(retries); SAME(persist);
	SAME(cwnd); SAME(ssthresh); SAME(dupacks); SAME(recover); SAME(cwnd_cnt);
	SAME(cwnd_limited); SAME(max_flight); SAME(cwnd_usage_seq);
	SAME(sack_recovery); SAME(high_rxt); SAME(nr_sacked);
	SAME(last_rcv_ns); SAME(ka_probes);
	SAME(rtx_timer.pending); SAME(rtx_timer.due_ns);
	SAME(delack_timer.pending); SAME(delack_timer.due_ns);
	CHECK(!a->upd_pprev == !b->upd_pprev);
	CHECK(bypass_tcp_readable(d->side[0].c) == bypass_tcp_readable(d->side[1].c));
}

/* The header @s would have on the wire, options written by the engine's
 * writer, then @len payload bytes: into @b. */
static void wire(const struct bypass_tcp_seg *s, uint32_t len,
		 struct bypass_buf *b)
{
	uint8_t *h = b->data;
	uint32_t olen = tcp_opts_write(&s->opt, h + 20), i;

	memset(h, 0, 20);
	h[0] = (uint8_t)(s->sport >> 8);
	h[1] = (uint8_t)s->sport;
	h[2] = (uint8_t)(s->dport >> 8);
	h[3] = (uint8_t)s->dport;
	for (i = 0; i < 4; i++) {
		h[4 + i] = (uint8_t)(s->seq >> (24 - 8 * i));
		h[8 + i] = (uint8_t)(s->ack >> (24 - 8 * i));
	}
	h[12] = (uint8_t)((20 + olen) / 4) << 4;
	h[13] = s->flags;
	h[14] = (uint8_t)(s->win >> 8);
	h[15] = (uint8_t)s->win;
	for (i = 0; i < len; i++)
		h[20 + olen + i] = (uint8_t)(i * 7);
	b->len = 20 + olen + len;
}

/* @s (payload of s->len bytes) to side @i: as the stack would hand it. */
static void deliver(struct diff *d, int i, struct bypass_tcp_seg s)
{
	struct bypass_buf *b = bypass_buf_alloc(d->pool);
	uint32_t hlen;

	if (!b) {
		CHECK(0);
		return;
	}
	wire(&s, s.len, b);
	hlen = b->len - s.len;
	if (i == 0 && tcp_input_wire(d->side[0].tcp, s.saddr, s.daddr, b)) {
		d->predicted++;
		return;
	}
	b->data += hlen;
	b->len = s.len;
	s.nr_frags = 1;
	s.frag[0] = (struct bypass_tcp_frag){ b, 0, s.len };
	bypass_tcp_input(d->side[i].tcp, &s);
}

static void to_both(struct diff *d, const struct bypass_tcp_seg *s)
{
	deliver(d, 0, *s);
	deliver(d, 1, *s);
}

static struct bypass_tcp_seg peer_seg(struct diff *d, uint8_t flags)
{
	struct bypass_tcp_seg s = { 0 };

	s.saddr = REMOTE;
	s.daddr = LOCAL;
	s.sport = RPORT;
	s.dport = 80;
	s.flags = flags;
	s.seq = d->next_seq;
	s.ack = d->side[0].snd_max;
	s.win = 65535;
	s.opt.has_ts = true;
	s.opt.ts_val = d->ts;
	s.opt.ts_ecr = d->side[0].peer_ts;
	return s;
}

/* A segment from the peer: mostly one to predict, now and then not. */
static void peer(struct diff *d)
{
	struct bypass_tcp_seg s;
	uint32_t r = rnd(&d->seed);

	/* What the engine expects: data it had no room for comes again. */
	d->next_seq = ((struct tcp_conn *)d->side[1].c)->rcv_nxt;
	s = peer_seg(d, BYPASS_TCP_ACK);

	d->ts += rnd(&d->seed) % 3;
	s.opt.ts_val = d->ts;
	if (r & 1)
		s.flags |= BYPASS_TCP_PSH;
	if (rnd(&d->seed) % 2)
		s.len = 1 + rnd(&d->seed) % 700;
	/* ACK somewhere up to what was sent. */
	if (rnd(&d->seed) % 4 == 0)
		s.ack -= rnd(&d->seed) % 2000;
	switch (rnd(&d->seed) % 24) {
	case 0:
		s.seq += 1 + rnd(&d->seed) % 3000;	/* out of order */
		break;
	case 1:
		s.seq -= 1 + rnd(&d->seed) % 3000;	/* old */
		break;
	case 2:
		s.opt.ts_val -= 1 + rnd(&d->seed) % 100;	/* stale */
		break;
	case 3:
		s.opt.has_ts = false;
		break;
	case 4:
		s.opt.nr_sack = 1;
		s.opt.sack[0].start = s.ack + 100;
		s.opt.sack[0].end = s.ack + 600;
		break;
	case 5:
		s.win = (uint16_t)rnd(&d->seed);
		break;
	case 6:
		/* URG, or SYN (a challenge ACK): FIN and RST would end it. */
		s.flags |= rnd(&d->seed) % 2 ? BYPASS_TCP_URG : BYPASS_TCP_SYN;
		break;
	case 7:
		s.ack += 1 + rnd(&d->seed) % 100;		/* beyond snd_max */
		break;
	case 8:
		s.flags |= 0xc0;	/* ECE, CWR: read by neither */
		break;
	default:
		break;
	}
	to_both(d, &s);
}

/* The application's step, the same on both sides. */
static void app(struct diff *d)
{
	uint32_t r = rnd(&d->seed), len = 1 + rnd(&d->seed) % 1200, i;

	for (i = 0; i < 2; i++) {
		struct bypass_tcp_conn *c = d->side[i].c;
		struct bypass_buf *b;

		if (r % 2) {
			b = bypass_buf_alloc(d->pool);
			if (!b)
				continue;
			memset(b->data, 'x', len);
			b->len = len;
			if (bypass_tcp_send(c, b))
				bypass_buf_put(b);
		} else {
			while ((b = bypass_tcp_recv(c)))
				bypass_buf_put(b);
		}
	}
}

static int run(uint64_t seed, uint32_t steps, uint32_t *predicted)
{
	struct bypass_tcp_config cfg = {
		.max_conns = 4, .rcvbuf = 16384, .sndq_bufs = 16, .ooo_bufs = 4,
		.rcv_bufs = 12, .msl_ns = 2000 * MS,
		.cc = seed & 1 ? BYPASS_TCP_CC_CUBIC : BYPASS_TCP_CC_NEWRENO,
	};
	static const struct bypass_tcp_ops ops = {
		.now_ns = side_now, .output = diff_output,
	};
	struct diff *d = calloc(1, sizeof(*d));
	struct side_ctx ctx[2];
	struct bypass_tcp_seg s;
	uint32_t i, left;
	int bad;

	d->seed = seed;
	d->now = 1000 * MS;
	memset(cfg.secret, 5, sizeof(cfg.secret));
	if (bypass_pool_create(NULL, 1024, 2048, &d->pool))
		return -1;
	for (i = 0; i < 2; i++) {
		ctx[i] = (struct side_ctx){ &d->now, &d->side[i] };
		if (bypass_tcp_create(&cfg, &ops, &ctx[i], &d->side[i].tcp) ||
		    bypass_tcp_listen(d->side[i].tcp, 0, 80, 4, &d->side[i].l))
			return -1;
	}
	d->side[1].tcp->pred_off = true;
	/* The handshake, with timestamps, window scaling and SACK. */
	d->next_seq = rnd(&d->seed);
	d->ts = 1000;
	s = peer_seg(d, BYPASS_TCP_SYN);
	s.ack = 0;
	s.opt.has_mss = true;
	s.opt.mss = 1460;
	s.opt.has_wscale = true;
	s.opt.wscale = 7;
	s.opt.sack_ok = true;
	to_both(d, &s);
	d->next_seq++;
	to_both(d, (s = peer_seg(d, BYPASS_TCP_ACK), &s));
	for (i = 0; i < 2; i++) {
		d->side[i].c = bypass_tcp_accept(d->side[i].l);
		if (!d->side[i].c)
			return -3;
	}
	for (i = 0; i < steps && !d->bad; i++) {
		d->now += rnd(&d->seed) % 8 ? rnd(&d->seed) % (2 * MS) :
			  rnd(&d->seed) % (500 * MS);
		bypass_tcp_poll(d->side[0].tcp);
		bypass_tcp_poll(d->side[1].tcp);
		if (rnd(&d->seed) % 3)
			peer(d);
		else
			app(d);
		compare(d);
	}
	for (i = 0; i < 2; i++) {
		bypass_tcp_abort(d->side[i].c);
		bypass_tcp_close(d->side[i].l);
		bypass_tcp_destroy(d->side[i].tcp);
	}
	*predicted += d->predicted;
	left = bypass_pool_available(d->pool);
	bypass_pool_destroy(d->pool);
	bad = d->bad;
	free(d);
	if (bad)
		return bad;
	return left == 1024 ? 0 : -2;
}

TEST(prediction_matches_full_processing)
{
	uint32_t predicted = 0;
	uint64_t seed;

	for (seed = 1; seed <= 30; seed++) {
		int r = run(seed, 4000, &predicted);

		if (r)
			TH_LOG("seed %llu: line %d", (unsigned long long)seed, r);
		ASSERT_EQ(0, r);
	}
	/* The fast path must have been taken, and often. */
	TH_LOG("%u segments predicted", predicted);
	ASSERT_GT(predicted, 10000u);
}

TEST_HARNESS_MAIN
