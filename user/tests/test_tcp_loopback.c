// SPDX-License-Identifier: GPL-2.0
/*
 * Two TCP engines back to back through a simulated wire with seeded loss,
 * duplication, reordering and delay on a virtual clock: many concurrent
 * transfers in both directions, under NewReno and CUBIC, arrive
 * byte-exact and close cleanly, no buffer leaks, and the same seed gives
 * the same trace of segments; also with tiny buffers, slow readers and
 * tight receive bounds.
 */
#include <arpa/inet.h>

#include "kselftest_harness.h"
#include "tcp.h"

#define MS		1000000ull
#define WIRE_MAX	4096
#define CONNS		8
#define ADDR_A		htonl(0x0a000001)
#define ADDR_B		htonl(0x0a000002)

struct pkt {
	uint64_t at;
	int to;				/* engine index */
	struct bypass_tcp_seg seg;	/* one fragment: the wire's copy */
};

/*
 * How the applications behave: the largest buffer they queue, whether
 * Nagle is off, how often (ms) the receivers read, and the receive
 * bounds of the engines (0: defaults).
 */
struct mode {
	uint32_t max_buf, read_every_ms, max_size;
	bool nodelay;
	uint32_t ooo_bufs, rcv_bufs;
};

static const struct mode bulk = { 1400, 1, 150000, false, 0, 0 };

struct net {
	uint64_t now, seed, trace;
	uint32_t loss_pct, dup_pct, jitter_ms;
	const struct mode *mode;
	struct bypass_pool *pool;
	struct bypass_tcp *tcp[2];
	struct pkt wire[WIRE_MAX];
	uint32_t nr;
	uint64_t sent, lost;
};

struct side {
	int idx;
	struct net *n;
};

struct flow {
	struct bypass_tcp_conn *c[2];	/* client on 0, server on 1 */
	uint32_t size[2];		/* bytes each side sends */
	uint32_t sent[2], got[2];
	bool shut[2], closed[2];
};

static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

static uint8_t stream_byte(int flow, int dir, uint32_t off)
{
	return (uint8_t)(off * 11 + flow * 3 + dir * 101);
}

static uint64_t net_now(void *ctx)
{
	return ((struct side *)ctx)->n->now;
}

static void mix(uint64_t *h, uint64_t v)
{
	*h = (*h ^ v) * 0x100000001b3ull;
}

static int net_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct side *sd = ctx;
	struct net *n = sd->n;
	int copies = 1, k;

	mix(&n->trace, n->now);
	mix(&n->trace, (uint64_t)s->seq << 32 | s->ack);
	mix(&n->trace, (uint64_t)s->flags << 48 | (uint64_t)s->win << 32 | s->len);
	n->sent++;
	if (rnd(&n->seed) % 100 < n->loss_pct) {
		n->lost++;
		return 0;
	}
	if (rnd(&n->seed) % 100 < n->dup_pct)
		copies = 2;
	for (k = 0; k < copies && n->nr < WIRE_MAX; k++) {
		struct pkt *p = &n->wire[n->nr];

		p->seg = *s;
		p->seg.nr_frags = 0;
		if (s->len) {
			/* A NIC copies: the sender keeps its buffers. */
			struct bypass_buf *b = bypass_buf_alloc(n->pool);
			uint32_t i;

			if (!b)
				return 0;	/* dropped for want of memory */
			for (i = 0; i < s->nr_frags; i++) {
				memcpy(b->data + b->len, s->frag[i].buf->data +
				       s->frag[i].off, s->frag[i].len);
				b->len += s->frag[i].len;
			}
			p->seg.nr_frags = 1;
			p->seg.frag[0] = (struct bypass_tcp_frag){ b, 0, b->len };
		}
		p->to = !sd->idx;
		p->at = n->now + 2 * MS + (n->jitter_ms ? rnd(&n->seed) % n->jitter_ms * MS : 0);
		n->nr++;
	}
	return 0;
}

/* Deliver every packet due now, in arrival order (jitter reorders). */
static void net_deliver(struct net *n)
{
	struct pkt p;
	uint32_t i = 0;

	while (i < n->nr) {
		if (n->wire[i].at > n->now) {
			i++;
			continue;
		}
		p = n->wire[i];
		n->wire[i] = n->wire[--n->nr];
		bypass_tcp_input(n->tcp[p.to], &p.seg);
	}
}

/* Application work for one flow on one side; true when it is all done. */
static bool app_step(struct net *n, struct flow *f, int fi, int s)
{
	struct bypass_tcp_conn *c = f->c[s];
	struct bypass_buf *b;

	if (!c)
		return false;
	while (f->sent[s] < f->size[s] && bypass_tcp_send_room(c)) {
		uint32_t len = f->size[s] - f->sent[s], i;

		if (len > n->mode->max_buf)
			len = n->mode->max_buf;
		b = bypass_buf_alloc(n->pool);
		if (!b)
			break;
		for (i = 0; i < len; i++)
			b->data[i] = stream_byte(fi, s, f->sent[s] + i);
		b->len = len;
		/* Room was checked: a refusal now would be a bug. */
		if (bypass_tcp_send(c, b))
			return false;
		f->sent[s] += len;
	}
	if (f->sent[s] == f->size[s] && !f->shut[s]) {
		if (bypass_tcp_shutdown(c) == 0)
			f->shut[s] = true;
	}
	while ((n->now / MS) % n->mode->read_every_ms == 0 &&
	       (b = bypass_tcp_recv(c))) {
		uint32_t i;

		for (i = 0; i < b->len; i++)
			if (b->data[i] != stream_byte(fi, !s, f->got[s] + i))
				return false;
		f->got[s] += b->len;
		bypass_buf_put(b);
	}
	if (f->shut[s] && bypass_tcp_eof(c) && !f->closed[s]) {
		f->closed[s] = true;
		bypass_tcp_close(c);
		f->c[s] = NULL;
	}
	return f->closed[s];
}

/* Why a flow did not finish, for the log of a failing run. */
static void report(const struct flow *f, uint32_t i, int s)
{
	const struct tcp_conn *c = (const struct tcp_conn *)f->c[s];

	fprintf(stderr, "# flow %u side %d: got %u of %u, sent %u of %u\n",
		i, s, f->got[s], f->size[!s], f->sent[s], f->size[s]);
	if (!c)
		return;
	fprintf(stderr, "#  %s una %u nxt %u max %u end %u rcv_nxt %u wnd %u cwnd %u rto %llu ms retries %u\n",
		bypass_tcp_state_name(c->state), c->snd_una - c->iss,
		c->snd_nxt - c->iss, c->snd_max - c->iss, c->snd_end - c->iss,
		c->rcv_nxt - c->irs, c->snd_wnd, c->cwnd,
		(unsigned long long)(c->rto_ns / MS), c->retries);
}

/* Connections still held by either engine (TIME_WAIT too), the listener aside. */
static uint32_t live_conns(struct net *n, struct bypass_tcp_conn *l)
{
	const struct tcp_conn *c;
	uint32_t i, live = 0;
	int s;

	for (s = 0; s < 2; s++) {
		for (i = 0; (c = tcp_conn_at(n->tcp[s], i)); i++)
			live += c->tcp && c != (struct tcp_conn *)l;
		live += (uint32_t)n->tcp[s]->stats.time_wait;
	}
	return live;
}

struct result {
	bool exact;
	uint64_t trace, sent, lost, ms;
	uint32_t leaked;
	struct bypass_tcp_stats st;	/* both engines' counters summed */
};

static void run_mode(uint64_t seed, uint32_t loss, uint32_t dup,
		     uint32_t jitter, const struct mode *mode,
		     struct result *res)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = net_now, .output = net_output,
	};
	struct bypass_tcp_config cfg = {
		.max_conns = 64, .rcvbuf = 64 * 1024, .sndq_bufs = 64,
		.ooo_bufs = mode->ooo_bufs, .rcv_bufs = mode->rcv_bufs,
		.msl_ns = 500 * MS, .retries = 30,
		/* Odd seeds run CUBIC, even ones NewReno. */
		.cc = seed & 1 ? BYPASS_TCP_CC_CUBIC : BYPASS_TCP_CC_NEWRENO,
	};
	struct net *n = calloc(1, sizeof(*n));
	struct side sides[2] = { { 0, n }, { 1, n } };
	struct flow flows[CONNS] = { 0 };
	const struct tcp_conn *c;
	struct bypass_tcp_conn *l;
	uint32_t done = 0, i;
	int s;

	memset(res, 0, sizeof(*res));
	n->seed = seed;
	n->trace = 0xcbf29ce484222325ull;
	n->loss_pct = loss;
	n->dup_pct = dup;
	n->jitter_ms = jitter;
	n->mode = mode;
	n->now = 1000 * MS;
	memset(cfg.secret, 7, sizeof(cfg.secret));
	if (bypass_pool_create(NULL, 4096, 2048, &n->pool) ||
	    bypass_tcp_create(&cfg, &ops, &sides[0], &n->tcp[0]) ||
	    bypass_tcp_create(&cfg, &ops, &sides[1], &n->tcp[1]) ||
	    bypass_tcp_listen(n->tcp[1], ADDR_B, 80, CONNS, &l))
		return;
	for (i = 0; i < CONNS; i++) {
		flows[i].size[0] = 1 + rnd(&n->seed) % mode->max_size;
		flows[i].size[1] = rnd(&n->seed) % 3 ?
				   rnd(&n->seed) % (mode->max_size / 2) + 1 : 1;
		if (bypass_tcp_connect(n->tcp[0], ADDR_A, (uint16_t)(5000 + i),
				       ADDR_B, 80, &flows[i].c[0]))
			return;
		bypass_tcp_set_nodelay(flows[i].c[0], mode->nodelay);
	}
	res->exact = true;
	/* At most an hour of virtual time (15% loss backs RTOs off far). */
	while (done < CONNS && n->now < 3600000 * MS) {
		struct bypass_tcp_conn *a;

		n->now += MS;
		net_deliver(n);
		for (s = 0; s < 2; s++)
			bypass_tcp_poll(n->tcp[s]);
		while ((a = bypass_tcp_accept(l))) {
			struct tcp_conn *c = (struct tcp_conn *)a;

			flows[c->rport - 5000].c[1] = a;
			bypass_tcp_set_nodelay(a, mode->nodelay);
		}
		done = 0;
		for (i = 0; i < CONNS; i++) {
			bool d = true;

			for (s = 0; s < 2; s++) {
				if (!app_step(n, &flows[i], (int)i, s) &&
				    !flows[i].closed[s])
					d = false;
			}
			done += d;
		}
	}
	for (i = 0; i < CONNS; i++)
		for (s = 0; s < 2; s++)
			if (!flows[i].closed[s] ||
			    flows[i].got[s] != flows[i].size[!s]) {
				report(&flows[i], i, s);
				res->exact = false;
			}
	/* Let TIME_WAIT and the last retransmissions run out (10 min max). */
	for (i = 0; i < 600000 && live_conns(n, l); i++) {
		n->now += MS;
		net_deliver(n);
		for (s = 0; s < 2; s++)
			bypass_tcp_poll(n->tcp[s]);
	}
	for (s = 0; s < 2; s++)
		for (i = 0; (c = tcp_conn_at(n->tcp[s], i)); i++)
			if (c->tcp && c != (struct tcp_conn *)l) {
				fprintf(stderr, "# left over on side %d: %s, rto %llu ms, retries %u, una %u max %u end %u\n",
					s, bypass_tcp_state_name(c->state),
					(unsigned long long)(c->rto_ns / MS), c->retries,
					c->snd_una - c->iss, c->snd_max - c->iss,
					c->snd_end - c->iss);
				res->exact = false;
			}
	res->trace = n->trace;
	res->sent = n->sent;
	res->lost = n->lost;
	res->ms = n->now / MS;
	for (s = 0; s < 2; s++) {
		struct bypass_tcp_stats st;

		bypass_tcp_get_stats(n->tcp[s], &st);
		res->st.rcv_collapsed += st.rcv_collapsed;
		res->st.rcv_dropped += st.rcv_dropped;
		res->st.ooo_dropped += st.ooo_dropped;
		res->st.sack_reneged += st.sack_reneged;
	}
	bypass_tcp_close(l);
	for (i = 0; i < n->nr; i++)
		if (n->wire[i].seg.nr_frags)
			bypass_buf_put(n->wire[i].seg.frag[0].buf);
	bypass_tcp_destroy(n->tcp[0]);
	bypass_tcp_destroy(n->tcp[1]);
	res->leaked = bypass_pool_capacity(n->pool) - bypass_pool_available(n->pool);
	bypass_pool_destroy(n->pool);
	free(n);
}

static void run(uint64_t seed, uint32_t loss, uint32_t dup, uint32_t jitter,
		struct result *res)
{
	run_mode(seed, loss, dup, jitter, &bulk, res);
}

/* Run seeds [first, first + count): every one byte-exact, leak-free. */
static int run_seeds(struct __test_metadata *_metadata, uint64_t first,
		     uint32_t count, uint32_t loss, uint32_t dup, uint32_t jitter)
{
	struct result r;
	uint64_t seed;
	int lossy = 0;

	for (seed = first; seed < first + count; seed++) {
		run(seed, loss, dup, jitter, &r);
		TH_LOG("seed %llu: %llu segments, %llu lost, %llu ms",
		       (unsigned long long)seed, (unsigned long long)r.sent,
		       (unsigned long long)r.lost, (unsigned long long)r.ms);
		EXPECT_TRUE(r.exact);
		EXPECT_EQ(0u, r.leaked);
		lossy += r.lost > 0;
	}
	return lossy;
}

TEST(clean_wire)
{
	EXPECT_EQ(0, run_seeds(_metadata, 1, 1, 0, 0, 0));
}

TEST(loss_dup_reorder_byte_exact)
{
	EXPECT_EQ(20, run_seeds(_metadata, 1, 20, 3, 2, 8));
}

TEST(heavy_loss_still_exact)
{
	EXPECT_EQ(5, run_seeds(_metadata, 90, 5, 15, 5, 20));
}

TEST(same_seed_same_trace)
{
	struct result a, b, c;

	run(42, 5, 3, 10, &a);
	run(42, 5, 3, 10, &b);
	run(43, 5, 3, 10, &c);
	EXPECT_TRUE(a.exact);
	EXPECT_EQ(a.trace, b.trace);
	EXPECT_EQ(a.sent, b.sent);
	EXPECT_NE(a.trace, c.trace);
}

/*
 * Applications queueing buffers of a few bytes with Nagle off, read
 * only every 20 ms, engines holding at most 12 received buffers with 4
 * out of order, over a lossy, duplicating, reordering wire: the bound
 * is reached and kept by copying (and dropping), out-of-order segments
 * are evicted (reneging on SACKed data), and every stream still arrives
 * byte-exact with no leak.
 */
TEST(tiny_segments_tight_receive_bounds)
{
	static const struct mode tiny = { 40, 20, 20000, true, 4, 12 };
	struct bypass_tcp_stats sum = { 0 };
	struct result r;
	uint64_t seed;

	for (seed = 200; seed < 206; seed++) {
		run_mode(seed, 3, 2, 8, &tiny, &r);
		TH_LOG("seed %llu: %llu segments, %llu lost, %llu ms",
		       (unsigned long long)seed, (unsigned long long)r.sent,
		       (unsigned long long)r.lost, (unsigned long long)r.ms);
		TH_LOG("  %llu coalesced, %llu dropped, %llu evicted, %llu reneged",
		       (unsigned long long)r.st.rcv_collapsed,
		       (unsigned long long)r.st.rcv_dropped,
		       (unsigned long long)r.st.ooo_dropped,
		       (unsigned long long)r.st.sack_reneged);
		EXPECT_TRUE(r.exact);
		EXPECT_EQ(0u, r.leaked);
		sum.rcv_collapsed += r.st.rcv_collapsed;
		sum.ooo_dropped += r.st.ooo_dropped;
		sum.sack_reneged += r.st.sack_reneged;
	}
	/* The bounds really bit, and the senders noticed the reneging. */
	EXPECT_GT(sum.rcv_collapsed, 100u);
	EXPECT_GT(sum.ooo_dropped, 0u);
	EXPECT_GT(sum.sack_reneged, 0u);
}

TEST_HARNESS_MAIN
