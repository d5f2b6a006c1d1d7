// SPDX-License-Identifier: GPL-2.0
/*
 * Randomised input for the TCP engine (under ASan and UBSan): a peer that
 * half the time answers coherently (right sequence and acknowledgment
 * numbers, so connections really open, carry data and close) and half
 * the time sends garbage flags, numbers, options and payloads, while the
 * application accepts, sends, reads, shuts down, closes and aborts at
 * random, and ICMP "fragmentation needed" errors arrive now and then.
 * Every segment the engine emits and its state after every step must
 * stay sane, and no buffer may leak.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"

#define MS	1000000ull
#define PORTS	6
#define LOCAL	0x0100000au
#define REMOTE	0x0200000au

struct peer {
	uint32_t next_seq;	/* what the engine expects from us */
	uint32_t next_ack;	/* what we have of the engine's */
	bool known;
};

struct fz {
	uint64_t now, seed;
	struct bypass_pool *pool;
	struct bypass_tcp *tcp;
	struct peer peer[PORTS];
	struct bypass_tcp_conn *conn[64];
	uint32_t nr_conn;
	uint64_t emitted, accepted, bytes_read;
	int bad;		/* first insane output, as a line number */
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static uint64_t fz_now(void *ctx)
{
	return ((struct fz *)ctx)->now;
}

#define CHECK(cond) do { if (!(cond) && !f->bad) f->bad = __LINE__; } while (0)

static int fz_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct fz *f = ctx;
	struct peer *p;
	uint32_t i, n;

	f->emitted++;
	CHECK(s->saddr == LOCAL && s->daddr == REMOTE);
	/* Segments to other ports may only be answered with a reset. */
	CHECK(s->sport == 80 || (s->flags & BYPASS_TCP_RST));
	CHECK(s->dport >= 1000 && s->dport < 1000 + PORTS);
	CHECK(!(s->flags & ~(BYPASS_TCP_FIN | BYPASS_TCP_SYN | BYPASS_TCP_RST |
			     BYPASS_TCP_PSH | BYPASS_TCP_ACK)));
	CHECK(!((s->flags & BYPASS_TCP_SYN) && (s->flags & BYPASS_TCP_FIN)));
	CHECK((s->flags & BYPASS_TCP_ACK) || s->ack == 0);
	for (i = 0, n = 0; i < s->nr_frags; i++) {
		CHECK(s->frag[i].buf && s->frag[i].len);
		CHECK(s->frag[i].off + s->frag[i].len <= s->frag[i].buf->len);
		n += s->frag[i].len;
	}
	CHECK(n == s->len);
	CHECK(s->nr_frags <= BYPASS_TCP_MAX_FRAGS);
	CHECK(s->len == 0 || !(s->flags & (BYPASS_TCP_SYN | BYPASS_TCP_RST)));
	CHECK(s->len <= 1460);
	CHECK(tcp_opts_len(&s->opt) <= 40);
	CHECK(!s->opt.has_wscale || s->opt.wscale <= 14);
	/* SACK blocks lie above the ACK; a first one below it is a D-SACK. */
	CHECK(s->opt.nr_sack <= (s->opt.has_ts ? 3 : 4));
	for (i = 0; i < s->opt.nr_sack; i++) {
		CHECK(seq_lt(s->opt.sack[i].start, s->opt.sack[i].end));
		CHECK(seq_gt(s->opt.sack[i].start, s->ack) ||
		      (!i && seq_leq(s->opt.sack[i].end, s->ack)));
	}
	if (s->dport < 1000 || s->dport >= 1000 + PORTS)
		return 0;
	p = &f->peer[s->dport - 1000];
	if (s->flags & BYPASS_TCP_RST) {
		p->known = false;
		return 0;
	}
	if (s->flags & BYPASS_TCP_SYN)
		p->known = true;
	p->next_ack = s->seq + s->len + !!(s->flags & BYPASS_TCP_SYN) +
		      !!(s->flags & BYPASS_TCP_FIN);
	return 0;
}

static void check_state(struct fz *f)
{
	struct tcp_conn *c;
	uint32_t i, j;

	for (i = 0; (c = tcp_conn_at(f->tcp, i)); i++) {
		struct bypass_buf *b;
		uint32_t bytes = 0;

		if (!c->tcp || c->state == BYPASS_TCP_LISTEN)
			continue;
		CHECK(c->nr_ooo <= f->tcp->cfg.ooo_bufs);
		CHECK(c->rcvq_nbufs + c->nr_ooo <= f->tcp->cfg.rcv_bufs);
		CHECK(c->sndq_len <= f->tcp->cfg.sndq_bufs);
		CHECK(c->state <= BYPASS_TCP_TIME_WAIT);
		if (c->state == BYPASS_TCP_CLOSED)
			continue;
		CHECK(seq_leq(c->snd_una, c->snd_nxt));
		CHECK(seq_leq(c->snd_nxt, c->snd_max));
		/* At least 64 less the timestamps, whatever ICMP said. */
		CHECK(c->mss + (c->ts_ok ? 12 : 0) >= 64 && c->mss <= 1460);
		CHECK(seq_leq(c->snd_max, c->snd_end + 1));
		CHECK(c->cwnd >= c->mss);
		for (j = 0, b = c->rcvq_head; b; b = b->next, j++)
			bytes += b->len;
		CHECK(bytes == c->rcvq_bytes);
		CHECK(j == c->rcvq_nbufs);
		for (j = 1; j < c->nr_ooo; j++)
			CHECK(seq_geq(c->ooo[j].seq,
				      c->ooo[j - 1].seq + c->ooo[j - 1].buf->len));
		CHECK(!c->nr_ooo || seq_gt(c->ooo[0].seq, c->rcv_nxt));
	}
}

static void random_opts(struct fz *f, struct bypass_tcp_opts *o)
{
	uint32_t r = rnd(&f->seed);

	o->has_mss = r & 1;
	o->mss = (uint16_t)(r >> 8);
	o->has_wscale = r & 2;
	o->wscale = (uint8_t)(r >> 3) & 31;
	o->sack_ok = r & 4;
	o->has_ts = r & 8;
	o->ts_val = rnd(&f->seed) % 4 ? (uint32_t)(f->now / MS) : rnd(&f->seed);
	o->ts_ecr = rnd(&f->seed);
	o->nr_sack = (uint8_t)(r >> 16) % (BYPASS_TCP_SACK_MAX + 1);
	for (r = 0; r < o->nr_sack; r++) {
		o->sack[r].start = rnd(&f->seed);
		o->sack[r].end = o->sack[r].start + rnd(&f->seed) % 5000;
	}
}

static void inject(struct fz *f)
{
	static const uint8_t common[] = {
		BYPASS_TCP_SYN, BYPASS_TCP_ACK, BYPASS_TCP_ACK | BYPASS_TCP_PSH,
		BYPASS_TCP_ACK | BYPASS_TCP_FIN, BYPASS_TCP_RST,
		BYPASS_TCP_RST | BYPASS_TCP_ACK, BYPASS_TCP_SYN | BYPASS_TCP_ACK,
	};
	uint32_t port = rnd(&f->seed) % PORTS, len = 0, i;
	struct peer *p = &f->peer[port];
	struct bypass_tcp_seg s = { 0 };
	bool coherent = p->known && rnd(&f->seed) % 2;

	/* Now and then an ICMP "fragmentation needed" instead (PMTU). */
	if (!(rnd(&f->seed) % 40)) {
		bypass_tcp_frag_needed(f->tcp, LOCAL, 80, REMOTE,
				       (uint16_t)(1000 + port),
				       p->next_ack - rnd(&f->seed) % 3000,
				       (uint16_t)(rnd(&f->seed) % 1600),
				       (uint16_t)(rnd(&f->seed) % 1600));
		return;
	}
	s.saddr = REMOTE;
	s.daddr = LOCAL;	/* the stack passes only what is ours */
	s.sport = (uint16_t)(1000 + port);
	s.dport = rnd(&f->seed) % 50 ? 80 : (uint16_t)rnd(&f->seed);
	s.flags = rnd(&f->seed) % 4 ? common[rnd(&f->seed) % sizeof(common)] :
		  (uint8_t)rnd(&f->seed) & 0x3f;
	if (coherent) {
		s.seq = p->next_seq + (rnd(&f->seed) % 8 ? 0 : rnd(&f->seed) % 3000);
		s.ack = p->next_ack;
		if (s.flags & BYPASS_TCP_SYN)
			s.flags = BYPASS_TCP_ACK;
	} else {
		s.seq = rnd(&f->seed) % 2 ? p->next_seq + rnd(&f->seed) % 200000 - 100000 :
			rnd(&f->seed);
		s.ack = rnd(&f->seed) % 2 ? p->next_ack + rnd(&f->seed) % 200000 - 100000 :
			rnd(&f->seed);
	}
	if (s.flags & BYPASS_TCP_SYN) {
		p->next_seq = s.seq + 1;
		if (!(s.flags & BYPASS_TCP_ACK))
			p->known = false;
	}
	s.win = (uint16_t)(rnd(&f->seed) % 5 ? 65535 : rnd(&f->seed));
	random_opts(f, &s.opt);
	if (!(s.flags & (BYPASS_TCP_SYN | BYPASS_TCP_RST)) && rnd(&f->seed) % 2)
		len = 1 + rnd(&f->seed) % 1460;
	if (len) {
		struct bypass_buf *b = bypass_buf_alloc(f->pool);

		if (!b)
			return;
		for (i = 0; i < len; i++)
			b->data[i] = (uint8_t)i;
		b->len = len;
		s.len = len;
		s.nr_frags = 1;
		s.frag[0] = (struct bypass_tcp_frag){ b, 0, len };
	}
	if (coherent && seq_geq(s.seq + len, p->next_seq))
		p->next_seq = s.seq + len + !!(s.flags & BYPASS_TCP_FIN);
	bypass_tcp_input(f->tcp, &s);
}

static void app(struct fz *f, struct bypass_tcp_conn *l)
{
	struct bypass_tcp_conn *c;
	struct bypass_buf *b;
	uint32_t i, what = rnd(&f->seed) % 10;

	c = bypass_tcp_accept(l);
	if (c && f->nr_conn < 64) {
		f->conn[f->nr_conn++] = c;
		f->accepted++;
	} else if (c) {
		bypass_tcp_abort(c);
	}
	if (!f->nr_conn)
		return;
	i = rnd(&f->seed) % f->nr_conn;
	c = f->conn[i];
	switch (what) {
	case 0: case 1: case 2:
		b = bypass_buf_alloc(f->pool);
		if (!b)
			break;
		b->len = 1 + rnd(&f->seed) % 1800;
		memset(b->data, 0x5a, b->len);
		bypass_tcp_send(c, b);
		break;
	case 3: case 4: case 5:
		while ((b = bypass_tcp_recv(c))) {
			f->bytes_read += b->len;
			bypass_buf_put(b);
		}
		break;
	case 6:
		bypass_tcp_shutdown(c);
		break;
	case 7:
		bypass_tcp_set_nodelay(c, rnd(&f->seed) % 2);
		break;
	case 8:
	case 9:
		if (what == 8)
			bypass_tcp_close(c);
		else
			bypass_tcp_abort(c);
		f->conn[i] = f->conn[--f->nr_conn];
		break;
	}
}

struct stats {
	uint64_t emitted, accepted, bytes_read;
	uint64_t pmtu_lowered;
};

static int run(uint64_t seed, uint32_t steps, struct stats *st)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fz_now, .output = fz_output,
	};
	struct bypass_tcp_config cfg = {
		.max_conns = 16, .rcvbuf = 16384, .sndq_bufs = 8, .ooo_bufs = 4,
		.rcv_bufs = 6,
		.msl_ns = 2000 * MS, .retries = 4,
		.cc = seed & 1 ? BYPASS_TCP_CC_CUBIC : BYPASS_TCP_CC_NEWRENO,
	};
	struct fz *f = calloc(1, sizeof(*f));
	struct bypass_tcp_conn *l;
	uint32_t i, left;
	int bad;

	f->seed = seed;
	f->now = 1000 * MS;
	memset(cfg.secret, 3, sizeof(cfg.secret));	/* reproducible */
	if (bypass_pool_create(NULL, 1024, 2048, &f->pool) ||
	    bypass_tcp_create(&cfg, &ops, f, &f->tcp) ||
	    bypass_tcp_listen(f->tcp, 0, 80, 4, &l))
		return -1;
	for (i = 0; i < steps && !f->bad; i++) {
		f->now += rnd(&f->seed) % 4 ? rnd(&f->seed) % (5 * MS) :
			  rnd(&f->seed) % (3000 * MS);
		bypass_tcp_poll(f->tcp);
		if (rnd(&f->seed) % 3)
			inject(f);
		else
			app(f, l);
		check_state(f);
	}
	for (i = 0; i < f->nr_conn; i++)
		bypass_tcp_close(f->conn[i]);
	bypass_tcp_close(l);
	{
		struct bypass_tcp_stats ts;

		bypass_tcp_get_stats(f->tcp, &ts);
		st->pmtu_lowered += ts.pmtu_lowered;
	}
	bypass_tcp_destroy(f->tcp);
	left = bypass_pool_available(f->pool);
	bypass_pool_destroy(f->pool);
	bad = f->bad;
	st->emitted += f->emitted;
	st->accepted += f->accepted;
	st->bytes_read += f->bytes_read;
	free(f);
	if (bad)
		return bad;
	return left == 1024 ? 0 : -2;
}

TEST(random_segments_and_calls)
{
	struct stats st = { 0 };
	uint64_t seed;

	for (seed = 1; seed <= 40; seed++) {
		int r = run(seed, 20000, &st);

		if (r)
			TH_LOG("seed %llu: %s %d", (unsigned long long)seed,
			       r > 0 ? "check failed at line" : "error", r);
		ASSERT_EQ(0, r);
	}
	TH_LOG("%llu segments emitted, %llu connections accepted, %llu bytes read, %llu PMTU",
	       (unsigned long long)st.emitted, (unsigned long long)st.accepted,
	       (unsigned long long)st.bytes_read,
	       (unsigned long long)st.pmtu_lowered);
	/* The coherent half of the peer really drives connections. */
	EXPECT_GT(st.emitted, 40000u);
	EXPECT_GT(st.accepted, 200u);
	EXPECT_GT(st.bytes_read, 100000u);
	/* ICMP "fragmentation needed" quoting data in flight. */
	EXPECT_GT(st.pmtu_lowered, 0u);
}

TEST_HARNESS_MAIN
