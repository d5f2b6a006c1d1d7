// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of TCP reassembly: segments arriving in any order, with
 * overlaps and duplicates, come out as the exact byte stream; the
 * out-of-order store never holds more than ooo_bufs buffers, the queue
 * and the store together never more than rcv_bufs whatever the segment
 * sizes, and no buffer leaks.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"
#include "tcp_fake.h"

static uint8_t byte_at(uint32_t off)
{
	return (uint8_t)(off * 31 + 7);
}

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

/* A buffer holding stream bytes [off, off + len), sequence isn + off. */
static struct bypass_buf *piece(struct bypass_pool *pool, uint32_t off,
				uint32_t len)
{
	struct bypass_buf *b = bypass_buf_alloc(pool);
	uint32_t i;

	if (!b)
		return NULL;
	for (i = 0; i < len; i++)
		b->data[i] = byte_at(off + i);
	b->len = len;
	return b;
}

/* Read the receive queue, checking it continues the stream at *@got. */
static int drain(struct tcp_conn *c, uint32_t *got)
{
	struct bypass_buf *b;
	uint32_t i;

	while ((b = bypass_tcp_recv((struct bypass_tcp_conn *)c))) {
		for (i = 0; i < b->len; i++)
			if (b->data[i] != byte_at(*got + i)) {
				bypass_buf_put(b);
				return -1;
			}
		*got += b->len;
		bypass_buf_put(b);
	}
	return 0;
}

FIXTURE(reass)
{
	struct bypass_pool *pool;
	struct bypass_tcp *tcp;
	struct tcp_conn *c;
	uint32_t isn;
};

FIXTURE_SETUP(reass)
{
		struct bypass_tcp_config cfg = { .max_conns = 2, .ooo_bufs = 8 };

	ASSERT_EQ(0, bypass_pool_create(NULL, 256, 2048, &self->pool));
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &self->tcp));
	self->c = tcp_conn_alloc(self->tcp);
	ASSERT_NE(NULL, self->c);
	self->isn = 0xfffff000u;	/* the stream crosses the wrap */
	self->c->rcv_nxt = self->isn;
	self->c->rcv_adv = self->isn + 1000000;
	self->c->state = BYPASS_TCP_ESTABLISHED;
	self->c->app_owned = true;
}

FIXTURE_TEARDOWN(reass)
{
	tcp_conn_free(self->c);
	bypass_tcp_destroy(self->tcp);
	EXPECT_EQ(256u, bypass_pool_available(self->pool));
	bypass_pool_destroy(self->pool);
}

/* Trim what lies before rcv_nxt, as tcp_input does, then hand it over. */
static void deliver(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq)
{
	if (seq_lt(seq, c->rcv_nxt)) {
		uint32_t skip = c->rcv_nxt - seq;

		if (skip >= b->len) {
			bypass_buf_put(b);
			return;
		}
		b->data += skip;
		b->len -= skip;
		seq = c->rcv_nxt;
	}
	tcp_rcv_data(c, b, seq);
}

TEST_F(reass, reverse_order_within_bound)
{
	uint32_t got = 0;
	int i;

	for (i = 7; i >= 1; i--)
		deliver(self->c, piece(self->pool, i * 100, 100),
			self->isn + i * 100);
	EXPECT_EQ(7u, self->c->nr_ooo);
	EXPECT_EQ(0u, bypass_tcp_readable((struct bypass_tcp_conn *)self->c));
	deliver(self->c, piece(self->pool, 0, 100), self->isn);
	EXPECT_EQ(0u, self->c->nr_ooo);
	EXPECT_EQ(self->isn + 800, self->c->rcv_nxt);
	ASSERT_EQ(0, drain(self->c, &got));
	EXPECT_EQ(800u, got);
}

TEST_F(reass, bound_drops_the_farthest)
{
	uint32_t got = 0;
	int i;

	/* 12 segments beyond a hole, 8 kept: the nearest ones. */
	for (i = 12; i >= 1; i--)
		deliver(self->c, piece(self->pool, i * 100, 100),
			self->isn + i * 100);
	EXPECT_EQ(8u, self->c->nr_ooo);
	for (i = 12; i >= 1; i--)
		deliver(self->c, piece(self->pool, i * 100, 100),
			self->isn + i * 100);
	EXPECT_EQ(8u, self->c->nr_ooo);
	deliver(self->c, piece(self->pool, 0, 100), self->isn);
	EXPECT_EQ(self->isn + 900, self->c->rcv_nxt);
	ASSERT_EQ(0, drain(self->c, &got));
	EXPECT_EQ(900u, got);
	/* Buffers in use: none beyond the fixture's. */
	EXPECT_EQ(256u, bypass_pool_available(self->pool));
}

TEST_F(reass, random_overlaps_give_the_exact_stream)
{
	const uint32_t total = 20000;
	uint64_t seed = 12345;
	uint32_t got = 0, rounds = 0;

	while (got < total && rounds++ < 100000) {
		/* Mostly near rcv_nxt, overlapping freely. */
		uint32_t base = self->c->rcv_nxt - self->isn;
		uint32_t off = base + rnd(&seed) % 3000;
		uint32_t len = 1 + rnd(&seed) % 1400;
		uint32_t back = rnd(&seed) % 200;

		off = off > back ? off - back : 0;
		if (off >= total)
			continue;
		if (off + len > total)
			len = total - off;
		deliver(self->c, piece(self->pool, off, len), self->isn + off);
		ASSERT_LE(self->c->nr_ooo, 8u);
		ASSERT_EQ(0, drain(self->c, &got));
	}
	EXPECT_EQ(total, got);
	EXPECT_EQ(self->isn + total, self->c->rcv_nxt);
}

/* Buffers in the receive queue, counted along it. */
static uint32_t rcvq_count(const struct tcp_conn *c)
{
	const struct bypass_buf *b;
	uint32_t n = 0;

	for (b = c->rcvq_head; b; b = b->next)
		n++;
	return n;
}

/*
 * Tiny segments, in and out of order, while the application reads only
 * now and then: the connection never holds more than rcv_bufs buffers,
 * the bound is kept by copying (and by dropping what the sender will
 * send again), and the stream still comes out exact.
 */
TEST_F(reass, tiny_segments_within_rcv_bufs)
{
	struct bypass_tcp_config cfg = { .max_conns = 2, .ooo_bufs = 8,
					 .rcv_bufs = 16 };
	const uint32_t total = 30000;
	struct bypass_tcp_stats st;
	struct bypass_tcp *tcp;
	struct tcp_conn *c;
	uint64_t seed = 777;
	uint32_t got = 0, rounds = 0, most = 0;

	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &tcp));
	c = tcp_conn_alloc(tcp);
	ASSERT_NE(NULL, c);
	c->rcv_nxt = self->isn;
	c->rcv_adv = self->isn + 1000000;
	c->state = BYPASS_TCP_ESTABLISHED;
	c->app_owned = true;
	while (got < total && rounds++ < 400000) {
		uint32_t base = c->rcv_nxt - self->isn;
		uint32_t off = base + rnd(&seed) % 40;
		uint32_t len = 1 + rnd(&seed) % 8;
		uint32_t held;

		if (off >= total)
			continue;
		if (off + len > total)
			len = total - off;
		deliver(c, piece(self->pool, off, len), self->isn + off);
		held = c->rcvq_nbufs + c->nr_ooo;
		ASSERT_EQ(rcvq_count(c), c->rcvq_nbufs);
		ASSERT_LE(held, 16u);
		if (held > most)
			most = held;
		if (rnd(&seed) % 1000 == 0)
			ASSERT_EQ(0, drain(c, &got));
		if (c->rcv_nxt - self->isn == total)
			ASSERT_EQ(0, drain(c, &got));
	}
	EXPECT_EQ(total, got);
	EXPECT_EQ(16u, most);
	bypass_tcp_get_stats(tcp, &st);
	/* Far more segments than buffers: most were copied together. */
	EXPECT_GT(st.rcv_collapsed, 1000u);
	tcp_conn_free(c);
	bypass_tcp_destroy(tcp);
}

/* rcv_bufs must leave the queue room beside the out-of-order store. */
TEST(rcv_bufs_above_ooo_bufs)
{
	struct bypass_tcp_config cfg = { .ooo_bufs = 8, .rcv_bufs = 8 };
	struct bypass_tcp *tcp;

	EXPECT_EQ(-EINVAL, bypass_tcp_create(&cfg, fake_ops(), NULL, &tcp));
	cfg.rcv_bufs = 9;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &tcp));
	EXPECT_EQ(9u, tcp->cfg.rcv_bufs);
	bypass_tcp_destroy(tcp);
	/* The default: the store's bound plus two windows of full segments. */
	cfg.rcv_bufs = 0;
	cfg.rcvbuf = 146000;
	cfg.mss = 1460;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &tcp));
	EXPECT_EQ(8u + 200u, tcp->cfg.rcv_bufs);
	bypass_tcp_destroy(tcp);
}

TEST_HARNESS_MAIN
