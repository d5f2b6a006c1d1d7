// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of bypass_tcp_sendv(): a 64 KiB write of 2000-byte buffers
 * between two engines on a lossless wire leaves as the fewest segments
 * (46 of at most 1448 bytes) when queued with one call, which runs the
 * output once, with Nagle or without; queued one bypass_tcp_send() at a
 * time without Nagle, buffers' tails go as short segments of their own
 * (50 segments here). Also
 * the partial cases: a full send queue takes what fits, an empty buffer
 * stops the queuing, a closed connection takes nothing; and which states
 * bypass_tcp_send() refuses with which error.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "kselftest_harness.h"
#include "libbypass.h"

#define ADDR_A		htonl(0x0a000001)
#define ADDR_B		htonl(0x0a000002)
#define WIRE_MAX	1024
#define WRITE_LEN	65536u
#define BUF_LEN		2000u

struct pkt {
	int to;
	struct bypass_tcp_seg seg;
};

struct net {
	uint64_t now;
	struct bypass_pool *pool;
	uint32_t pool_size;
	struct bypass_tcp *tcp[2];
	struct pkt wire[WIRE_MAX];
	uint32_t head, nr;
	uint32_t data_segs[2];		/* segments with payload each sent */
};

struct side {
	int idx;
	struct net *n;
};

static uint64_t net_now(void *ctx)
{
	return ((struct side *)ctx)->n->now;
}

/* The wire copies the payload into a buffer of its own, as a NIC does. */
static int net_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct side *sd = ctx;
	struct net *n = sd->n;
	struct pkt *p;
	uint32_t i;

	if (n->nr == WIRE_MAX)
		return -EAGAIN;
	p = &n->wire[(n->head + n->nr++) % WIRE_MAX];
	p->to = !sd->idx;
	p->seg = *s;
	p->seg.nr_frags = 0;
	if (s->len) {
		struct bypass_buf *b = bypass_buf_alloc(n->pool);

		if (!b)
			return -EAGAIN;
		for (i = 0; i < s->nr_frags; i++) {
			memcpy(b->data + b->len, s->frag[i].buf->data + s->frag[i].off,
			       s->frag[i].len);
			b->len += s->frag[i].len;
		}
		p->seg.nr_frags = 1;
		p->seg.frag[0] = (struct bypass_tcp_frag){ b, 0, b->len };
		n->data_segs[sd->idx]++;
	}
	return 0;
}

/* Deliver what is on the wire, each segment a receive batch of its own. */
static void run(struct net *n)
{
	uint32_t guard = 100000;

	while (n->nr && guard--) {
		struct pkt p = n->wire[n->head];

		n->head = (n->head + 1) % WIRE_MAX;
		n->nr--;
		bypass_tcp_input(n->tcp[p.to], &p.seg);
		bypass_tcp_poll(n->tcp[p.to]);
	}
}

struct pair {
	struct net n;
	struct side sd[2];
	struct bypass_tcp_conn *lis, *c[2];
};

static int pair_init(struct pair *t)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = net_now, .output = net_output,
	};
	int i;

	memset(t, 0, sizeof(*t));
	t->n.now = 1000000000ull;
	t->n.pool_size = 512;
	if (bypass_pool_create(NULL, 512, 4096, &t->n.pool))
		return -1;
	for (i = 0; i < 2; i++) {
		t->sd[i] = (struct side){ i, &t->n };
		if (bypass_tcp_create(NULL, &ops, &t->sd[i], &t->n.tcp[i]))
			return -1;
	}
	if (bypass_tcp_listen(t->n.tcp[1], ADDR_B, 80, 8, &t->lis) ||
	    bypass_tcp_connect(t->n.tcp[0], ADDR_A, 40000, ADDR_B, 80, &t->c[0]))
		return -1;
	run(&t->n);
	t->c[1] = bypass_tcp_accept(t->lis);
	return t->c[1] ? 0 : -1;
}

/* Tear down; returns the buffers still held (a leak when not 0). */
static uint32_t pair_fini(struct pair *t)
{
	uint32_t left;

	bypass_tcp_abort(t->c[0]);
	bypass_tcp_abort(t->c[1]);
	bypass_tcp_close(t->lis);
	run(&t->n);
	while (t->n.nr) {
		struct pkt *p = &t->n.wire[t->n.head];

		if (p->seg.nr_frags)
			bypass_buf_put(p->seg.frag[0].buf);
		t->n.head = (t->n.head + 1) % WIRE_MAX;
		t->n.nr--;
	}
	bypass_tcp_destroy(t->n.tcp[0]);
	bypass_tcp_destroy(t->n.tcp[1]);
	left = t->n.pool_size - bypass_pool_available(t->n.pool);
	bypass_pool_destroy(t->n.pool);
	return left;
}

/* Fill @bufs with WRITE_LEN bytes in BUF_LEN pieces; returns how many. */
static uint32_t make_write(struct pair *t, struct bypass_buf **bufs)
{
	uint32_t off = 0, n = 0;

	while (off < WRITE_LEN) {
		struct bypass_buf *b = bypass_buf_alloc(t->n.pool);

		b->len = WRITE_LEN - off < BUF_LEN ? WRITE_LEN - off : BUF_LEN;
		memset(b->data, (int)n, b->len);
		off += b->len;
		bufs[n++] = b;
	}
	return n;
}

/* The receiver reads everything; returns the bytes read. */
static uint32_t drain(struct pair *t)
{
	struct bypass_buf *b;
	uint32_t got = 0;

	while ((b = bypass_tcp_recv(t->c[1]))) {
		got += b->len;
		bypass_buf_put(b);
	}
	return got;
}

/* Data segments a 64 KiB write took: with one sendv, or a send per buffer. */
static uint32_t write_segments(bool vector, bool nodelay, uint32_t *got)
{
	struct bypass_buf *bufs[64];
	struct pair t;
	uint32_t n, i, guard;

	*got = 0;
	if (pair_init(&t))
		return 0;
	bypass_tcp_set_nodelay(t.c[0], nodelay);
	n = make_write(&t, bufs);
	if (vector) {
		if (bypass_tcp_sendv(t.c[0], bufs, n) != (int)n)
			return 0;
	} else {
		for (i = 0; i < n; i++)
			if (bypass_tcp_send(t.c[0], bufs[i]))
				return 0;
	}
	/* Deliver, read, let the delayed ACK timers run, until all came. */
	for (guard = 0; *got < WRITE_LEN && guard < 2000; guard++) {
		run(&t.n);
		*got += drain(&t);
		t.n.now += 1000000;
		bypass_tcp_poll(t.n.tcp[0]);
		bypass_tcp_poll(t.n.tcp[1]);
	}
	n = t.n.data_segs[0];
	if (pair_fini(&t))
		return 0;	/* a leak fails the count */
	return n;
}

TEST(one_sendv_leaves_as_full_segments)
{
	uint32_t got, segs = write_segments(true, true, &got);

	EXPECT_EQ(WRITE_LEN, got);
	/* 65536 = 45 * 1448 + 376: no segment short but the last. */
	EXPECT_EQ(46u, segs);
	segs = write_segments(true, false, &got);
	EXPECT_EQ(WRITE_LEN, got);
	EXPECT_EQ(46u, segs);
}

TEST(a_send_per_buffer_cuts_short_segments)
{
	uint32_t got, segs = write_segments(false, true, &got);

	EXPECT_EQ(WRITE_LEN, got);
	TH_LOG("a send per buffer, no delay: %u segments", segs);
	EXPECT_LT(46u, segs);
}

TEST(partial_and_refused)
{
	struct bypass_buf *bufs[4];
	struct pair t;
	uint32_t i;

	ASSERT_EQ(0, pair_init(&t));
	for (i = 0; i < 4; i++) {
		bufs[i] = bypass_buf_alloc(t.n.pool);
		bufs[i]->len = i == 2 ? 0 : 100;
	}
	/* An empty buffer stops the queuing: two taken, two still ours. */
	EXPECT_EQ(2, bypass_tcp_sendv(t.c[0], bufs, 4));
	EXPECT_EQ(-EINVAL, bypass_tcp_sendv(t.c[0], bufs + 2, 2));
	EXPECT_EQ(0, bypass_tcp_sendv(t.c[0], bufs, 0));
	EXPECT_EQ(0, bypass_tcp_shutdown(t.c[0]));
	EXPECT_EQ(-EPIPE, bypass_tcp_sendv(t.c[0], bufs + 3, 1));
	bypass_buf_put(bufs[2]);
	bypass_buf_put(bufs[3]);
	run(&t.n);
	EXPECT_EQ(200u, drain(&t));
	EXPECT_EQ(0u, pair_fini(&t));
}

/* bypass_tcp_send() by state: a listener is not connected, a FIN ends it. */
TEST(send_refused_by_state)
{
	struct bypass_buf *b;
	struct pair t;

	ASSERT_EQ(0, pair_init(&t));
	b = bypass_buf_alloc(t.n.pool);
	b->len = 10;
	EXPECT_EQ(-ENOTCONN, bypass_tcp_send(t.lis, b));
	/* The peer's FIN: CLOSE_WAIT still sends. */
	EXPECT_EQ(0, bypass_tcp_shutdown(t.c[1]));
	run(&t.n);
	EXPECT_EQ(BYPASS_TCP_CLOSE_WAIT, bypass_tcp_state(t.c[0]));
	b = bypass_buf_alloc(t.n.pool);
	b->len = 10;
	EXPECT_EQ(0, bypass_tcp_send(t.c[0], b));
	/* Our FIN queued (LAST_ACK): nothing more. */
	EXPECT_EQ(0, bypass_tcp_shutdown(t.c[0]));
	b = bypass_buf_alloc(t.n.pool);
	b->len = 10;
	EXPECT_EQ(-EPIPE, bypass_tcp_send(t.c[0], b));
	run(&t.n);
	EXPECT_EQ(10u, drain(&t));
	EXPECT_EQ(0u, pair_fini(&t));
}

TEST(full_send_queue_takes_what_fits)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = net_now, .output = net_output,
	};
	struct bypass_tcp_config cfg = { .sndq_bufs = 4 };
	struct bypass_buf *bufs[6];
	struct pair t;
	uint32_t i;

	memset(&t, 0, sizeof(t));
	t.n.now = 1000000000ull;
	t.n.pool_size = 64;
	ASSERT_EQ(0, bypass_pool_create(NULL, 64, 4096, &t.n.pool));
	for (i = 0; i < 2; i++) {
		t.sd[i] = (struct side){ (int)i, &t.n };
		ASSERT_EQ(0, bypass_tcp_create(i ? NULL : &cfg, &ops, &t.sd[i],
					       &t.n.tcp[i]));
	}
	ASSERT_EQ(0, bypass_tcp_listen(t.n.tcp[1], ADDR_B, 80, 8, &t.lis));
	ASSERT_EQ(0, bypass_tcp_connect(t.n.tcp[0], ADDR_A, 40000, ADDR_B, 80,
					&t.c[0]));
	/* Still in SYN-SENT: queued, nothing sent, the queue fills. */
	for (i = 0; i < 6; i++) {
		bufs[i] = bypass_buf_alloc(t.n.pool);
		bufs[i]->len = 10;
	}
	EXPECT_EQ(4, bypass_tcp_sendv(t.c[0], bufs, 6));
	EXPECT_EQ(-ENOBUFS, bypass_tcp_sendv(t.c[0], bufs + 4, 2));
	bypass_buf_put(bufs[4]);
	bypass_buf_put(bufs[5]);
	run(&t.n);
	t.c[1] = bypass_tcp_accept(t.lis);
	ASSERT_NE(NULL, t.c[1]);
	run(&t.n);
	EXPECT_EQ(40u, drain(&t));
	EXPECT_EQ(0u, pair_fini(&t));
}

TEST_HARNESS_MAIN
