// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of groups (bypass_api.h): contexts on the queue pairs of the
 * in-memory multi-queue NIC, steered like a tap's flow cache, against a
 * one-pair peer stack standing for Linux. On the virtual clock, the test
 * drives every context and the peer in turn: SYNs spread over the queues
 * and each context serves only its own flows; a flow the device moved to
 * another queue is handed to its owner, not reset; a segment nobody owns
 * is reset; a port only one context listens on takes SYNs from every
 * queue; an ARP reply landing on another queue releases the SYN waiting
 * for it at once; ephemeral ports never collide. Then the same with each
 * context on its own thread (real clock, blocking waits): connections
 * served concurrently with flows moved under them, outgoing connections
 * from both threads, every byte checked.
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <time.h>

#include "kselftest_harness.h"
#include "frames.h"

#include "bypass_api.h"
#include "bypass_socket.h"
#include "bypass_tcp.h"

#ifdef TEST_TSAN
/* The ThreadSanitizer build: a race fails the test that met it. */
const char *__tsan_default_options(void);
const char *__tsan_default_options(void)
{
	return "halt_on_error=1";
}
#endif

#define PORT		8080	/* the group's echo listeners */
#define PEER_PORT	9090	/* the peer's echo listener */
#define MS		1000000ull
#define MAXC		256
#define CHUNK		700
#define WAIT_MS		30000	/* threaded test: bound of the whole run */

static uint8_t pattern(unsigned int id, uint32_t off)
{
	return (uint8_t)((off ^ (off >> 8)) * 31 + id * 7 + 1);
}

/* ---- the peer: raw stack, clients of the group and an echo server ----- */

struct pconn {
	struct bypass_tcp_conn *c;
	unsigned int id;
	uint32_t total, sent, rcvd;
	uint32_t hold;		/* if not 0: send no more than this for now */
	bool bad, reset;
};

struct peer {
	struct bypass_stack *st;
	struct bypass_tcp_conn *listener;
	struct bypass_tcp_conn *served[MAXC];
	unsigned int nserved;
	struct pconn conns[MAXC];
	unsigned int nconns;
};

static int peer_connect(struct peer *p, uint32_t total)
{
	struct pconn *pc = &p->conns[p->nconns];

	if (p->nconns == MAXC ||
	    bypass_stack_tcp_connect(p->st, IP_US, PORT, &pc->c))
		return -1;
	pc->id = p->nconns++;
	pc->total = total;
	return 0;
}

static void pconn_run(struct peer *p, struct pconn *pc)
{
	struct bypass_pool *pool = bypass_stack_pool(p->st);
	enum bypass_tcp_state s = bypass_tcp_state(pc->c);
	struct bypass_buf *b;
	uint32_t k;

	if (s == BYPASS_TCP_CLOSED && bypass_tcp_error(pc->c))
		pc->reset = true;
	if (s != BYPASS_TCP_ESTABLISHED)
		return;
	while (pc->sent < (pc->hold ? pc->hold : pc->total) &&
	       bypass_tcp_send_room(pc->c)) {
		uint32_t n = pc->total - pc->sent < CHUNK ? pc->total - pc->sent : CHUNK;

		b = bypass_buf_alloc(pool);
		if (!b)
			break;
		for (k = 0; k < n; k++)
			b->data[k] = pattern(pc->id, pc->sent + k);
		b->len = n;
		if (bypass_tcp_send(pc->c, b))
			break;
		pc->sent += n;
	}
	while ((b = bypass_tcp_recv(pc->c))) {
		for (k = 0; k < b->len; k++)
			if (b->data[k] != pattern(pc->id, pc->rcvd + k))
				pc->bad = true;
		pc->rcvd += b->len;
		bypass_buf_put(b);
	}
}

/* One pass: frames in, echo what the peer serves, feed its clients. */
static void peer_run(struct peer *p)
{
	struct bypass_tcp_conn *c;
	struct bypass_buf *b, *copy;
	unsigned int i;

	bypass_stack_poll(p->st);
	while (p->listener && p->nserved < MAXC &&
	       (c = bypass_tcp_accept(p->listener)))
		p->served[p->nserved++] = c;
	for (i = 0; i < p->nserved; i++) {
		while (bypass_tcp_send_room(p->served[i]) &&
		       (b = bypass_tcp_recv(p->served[i]))) {
			copy = bypass_buf_alloc(bypass_stack_pool(p->st));
			if (copy) {
				memcpy(copy->data, b->data, b->len);
				copy->len = b->len;
				if (bypass_tcp_send(p->served[i], copy))
					copy = NULL;
			}
			bypass_buf_put(b);
		}
	}
	for (i = 0; i < p->nconns; i++)
		pconn_run(p, &p->conns[i]);
	bypass_stack_flush(p->st);
}

static bool peer_all_done(const struct peer *p)
{
	unsigned int i;

	for (i = 0; i < p->nconns; i++)
		if (p->conns[i].rcvd < p->conns[i].total && !p->conns[i].reset)
			return false;
	return true;
}

/* ---- a context of the group: echo server and clients of the peer ----- */

struct srv {
	struct bypass_ctx *ctx;
	int lfd;			/* -1: not listening */
	int fds[MAXC];
	unsigned int nfds;
	uint64_t accepted;
	int out[8];			/* connections to the peer's echo */
	uint16_t out_port[8];
	uint32_t out_sent[8], out_rcvd[8];
	unsigned int nout;
	uint32_t out_total;
	bool bad;
	int ep;				/* threaded: its readiness set */
	int stop;
	int out_ok;			/* threaded: srv_out_done() held */
};

static void set_addr(struct sockaddr_in *sin, uint32_t addr, uint16_t port)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	sin->sin_port = htons(port);
}

static void srv_watch(struct srv *s, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	if (s->ep >= 0 && bypass_epoll_ctl(s->ctx, s->ep, EPOLL_CTL_ADD, fd, &ev))
		s->bad = true;
}

static int srv_listen(struct srv *s)
{
	struct sockaddr_in sin;

	set_addr(&sin, 0, PORT);
	s->lfd = bypass_socket(s->ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s->lfd < 0 || bypass_bind(s->ctx, s->lfd, (void *)&sin, sizeof(sin)) ||
	    bypass_listen(s->ctx, s->lfd, MAXC))
		return -1;
	srv_watch(s, s->lfd, EPOLLIN);
	return 0;
}

static int srv_dial(struct srv *s)
{
	struct sockaddr_in sin;
	int fd;

	set_addr(&sin, IP_PEER, PEER_PORT);
	fd = bypass_socket(s->ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (fd < 0 || bypass_connect(s->ctx, fd, (void *)&sin, sizeof(sin)) != -1 ||
	    errno != EINPROGRESS)
		return -1;
	s->out[s->nout++] = fd;
	srv_watch(s, fd, EPOLLIN | EPOLLOUT);
	return 0;
}

static void srv_out_run(struct srv *s, unsigned int i)
{
	uint8_t buf[CHUNK];
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	unsigned int id = 1000 + s->out_port[i];
	ssize_t n;
	uint32_t k;

	if (!s->out_port[i]) {
		if (bypass_getpeername(s->ctx, s->out[i], (void *)&sin, &len))
			return;		/* not connected yet */
		len = sizeof(sin);
		if (bypass_getsockname(s->ctx, s->out[i], (void *)&sin, &len))
			return;
		s->out_port[i] = ntohs(sin.sin_port);
		id = 1000 + s->out_port[i];
	}
	while (s->out_sent[i] < s->out_total) {
		uint32_t m = s->out_total - s->out_sent[i] < CHUNK ?
			     s->out_total - s->out_sent[i] : CHUNK;

		for (k = 0; k < m; k++)
			buf[k] = pattern(id, s->out_sent[i] + k);
		n = bypass_send(s->ctx, s->out[i], buf, m, 0);
		if (n <= 0)
			break;
		s->out_sent[i] += (uint32_t)n;
	}
	while ((n = bypass_recv(s->ctx, s->out[i], buf, sizeof(buf), 0)) > 0) {
		for (k = 0; k < (uint32_t)n; k++)
			if (buf[k] != pattern(id, s->out_rcvd[i] + k))
				s->bad = true;
		s->out_rcvd[i] += (uint32_t)n;
	}
}

/* One pass: accept, echo every connection, run the outgoing ones. */
static void srv_run(struct srv *s)
{
	uint8_t buf[4096];
	unsigned int i;
	ssize_t n;
	int fd;

	while (s->lfd >= 0 && s->nfds < MAXC &&
	       (fd = bypass_accept4(s->ctx, s->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		s->fds[s->nfds++] = fd;
		s->accepted++;
		srv_watch(s, fd, EPOLLIN);
	}
	for (i = 0; i < s->nfds; i++) {
		if (s->fds[i] < 0)
			continue;
		while ((n = bypass_recv(s->ctx, s->fds[i], buf, sizeof(buf), 0)) > 0)
			if (bypass_send(s->ctx, s->fds[i], buf, (size_t)n, 0) != n)
				s->bad = true;	/* the send queue holds a test's worth */
		if (n == 0) {
			bypass_close(s->ctx, s->fds[i]);
			s->fds[i] = -1;
		}
	}
	for (i = 0; i < s->nout; i++)
		srv_out_run(s, i);
}

static bool srv_out_done(const struct srv *s)
{
	unsigned int i;

	for (i = 0; i < s->nout; i++)
		if (s->out_rcvd[i] < s->out_total)
			return false;
	return true;
}

/* ---- the rig ------------------------------------------------------------ */

struct rig {
	struct bypass_mq *mq;
	struct bypass_group *g;
	struct peer peer;
	struct srv srv[4];
	unsigned int n;
};

static int rig_init(struct rig *r, unsigned int n, bool realtime)
{
	struct bypass_mq_config mc = {
		.nr_pairs = n, .features = FEAT_DEFAULT, .realtime = realtime,
	};
	struct bypass_group_config gc = {
		.nr_contexts = n,
		.ctx.stack = { .addr = IP_US, .prefix_len = 24, .pool_bufs = 2048 },
	};
	struct bypass_stack_config pcfg = {
		.addr = IP_PEER, .prefix_len = 24, .pool_bufs = 4096,
	};
	struct bypass_dev *devs[4];
	unsigned int i;

	memset(r, 0, sizeof(*r));
	r->n = n;
	memcpy(mc.mac[0], mac_us, 6);
	memcpy(mc.mac[1], mac_peer, 6);
	if (bypass_mq_create(&mc, &r->mq))
		return -1;
	for (i = 0; i < n; i++)
		devs[i] = bypass_mq_dev(r->mq, i);
	if (bypass_group_create(devs, &gc, &r->g) ||
	    bypass_stack_create(bypass_mq_peer(r->mq), &pcfg, &r->peer.st))
		return -1;
	for (i = 0; i < n; i++) {
		r->srv[i].ctx = bypass_group_ctx(r->g, i);
		r->srv[i].lfd = -1;
		r->srv[i].ep = -1;
	}
	return 0;
}

static void rig_fini(struct rig *r)
{
	bypass_group_destroy(r->g);
	bypass_stack_destroy(r->peer.st);
	bypass_mq_destroy(r->mq);
}

/* Virtual clock: a few passes of everyone, then one millisecond. */
static void rig_step(struct rig *r)
{
	unsigned int k, i;

	for (k = 0; k < 4; k++) {
		for (i = 0; i < r->n; i++) {
			bypass_ctx_poll(r->srv[i].ctx);
			srv_run(&r->srv[i]);
		}
		peer_run(&r->peer);
	}
	bypass_mq_advance(r->mq, MS);
}

static struct bypass_counters ctx_counters(struct rig *r, unsigned int i)
{
	struct bypass_counters c;

	bypass_stack_counters(bypass_ctx_stack(r->srv[i].ctx), &c);
	return c;
}

static struct bypass_group_stats gstats(struct rig *r, unsigned int i)
{
	struct bypass_group_stats s;

	bypass_group_stats(r->g, i, &s);
	return s;
}

/* Step until every client of the peer is done, at most @max_ms. */
static bool rig_run_clients(struct rig *r, uint32_t max_ms)
{
	uint32_t ms;

	for (ms = 0; ms < max_ms; ms++) {
		rig_step(r);
		if (peer_all_done(&r->peer))
			return true;
	}
	return false;
}

static void expect_clients_ok(struct __test_metadata *_metadata, struct rig *r)
{
	unsigned int i;

	for (i = 0; i < r->peer.nconns; i++) {
		ASSERT_FALSE(r->peer.conns[i].reset);
		ASSERT_FALSE(r->peer.conns[i].bad);
		ASSERT_EQ(r->peer.conns[i].total, r->peer.conns[i].rcvd);
	}
}

/* ---- on the virtual clock ---------------------------------------------- */

TEST(syns_spread_and_each_context_serves_its_own)
{
	struct rig r;
	uint64_t accepted = 0;
	unsigned int i;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, srv_listen(&r.srv[i]));
	for (i = 0; i < 64; i++)
		ASSERT_EQ(0, peer_connect(&r.peer, 5000));
	ASSERT_TRUE(rig_run_clients(&r, 5000));
	expect_clients_ok(_metadata, &r);
	for (i = 0; i < 2; i++) {
		struct bypass_counters c = ctx_counters(&r, i);
		struct bypass_group_stats gs = gstats(&r, i);
		struct bypass_mq_stats ms;

		/* 64 flows by hash: both queues have some (2^-63 otherwise). */
		EXPECT_LT(0, r.srv[i].accepted);
		EXPECT_FALSE(r.srv[i].bad);
		/* Its engine holds exactly the flows it accepted. */
		EXPECT_EQ(r.srv[i].accepted, c.tcp.conns - 1 /* listener */);
		EXPECT_EQ(0, gs.handoff_out);
		EXPECT_EQ(0, gs.handoff_in);
		ASSERT_EQ(0, bypass_mq_stats(r.mq, i, &ms));
		EXPECT_LT(0, ms.rx_frames);
		accepted += r.srv[i].accepted;
	}
	EXPECT_EQ(64, accepted);
	rig_fini(&r);
}

TEST(moved_flow_is_handed_to_its_owner)
{
	struct rig r;
	struct bypass_group_stats before, owner, other;
	uint32_t laddr, ms;
	uint16_t lport;
	unsigned int k, j;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	for (k = 0; k < 2; k++)
		ASSERT_EQ(0, srv_listen(&r.srv[k]));
	ASSERT_EQ(0, peer_connect(&r.peer, 3000));
	ASSERT_TRUE(rig_run_clients(&r, 2000));
	k = r.srv[0].accepted ? 0 : 1;
	j = !k;
	ASSERT_EQ(1, r.srv[k].accepted);
	before = gstats(&r, j);
	/* The device moves the idle flow: the peer's next data lands on j. */
	bypass_tcp_local(r.peer.conns[0].c, &laddr, &lport);
	ASSERT_EQ(0, bypass_mq_move_flow(r.mq, IP_PEER, lport, IP_US, PORT, j));
	r.peer.conns[0].total = 9000;
	for (ms = 0; ms < 2000 && !peer_all_done(&r.peer); ms++)
		rig_step(&r);
	expect_clients_ok(_metadata, &r);
	owner = gstats(&r, k);
	other = gstats(&r, j);
	/* j passed the segments on; k ran them and answered from its queue. */
	EXPECT_LT(before.handoff_out, other.handoff_out);
	EXPECT_EQ(other.handoff_out, owner.handoff_in);
	EXPECT_EQ(0, other.unowned);
	EXPECT_EQ(0, r.srv[j].accepted);
	EXPECT_EQ(1, r.srv[k].accepted);
	rig_fini(&r);
}

TEST(segment_of_no_flow_is_reset)
{
	struct rig r;
	uint64_t unowned = 0;
	unsigned int i;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	/* Nobody listens: each SYN lands somewhere and is refused there. */
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, peer_connect(&r.peer, 100));
	ASSERT_TRUE(rig_run_clients(&r, 2000));
	for (i = 0; i < 8; i++) {
		EXPECT_TRUE(r.peer.conns[i].reset);
		EXPECT_EQ(ECONNREFUSED, bypass_tcp_error(r.peer.conns[i].c));
	}
	for (i = 0; i < 2; i++) {
		unowned += gstats(&r, i).unowned;
		EXPECT_EQ(0, gstats(&r, i).handoff_out);
	}
	EXPECT_EQ(8, unowned);
	rig_fini(&r);
}

TEST(one_listener_takes_syns_from_every_queue)
{
	struct rig r;
	unsigned int i;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	ASSERT_EQ(0, srv_listen(&r.srv[0]));
	for (i = 0; i < 32; i++)
		ASSERT_EQ(0, peer_connect(&r.peer, 2000));
	ASSERT_TRUE(rig_run_clients(&r, 5000));
	expect_clients_ok(_metadata, &r);
	EXPECT_EQ(32, r.srv[0].accepted);
	/* The SYNs that hashed to queue 1 went to context 0. */
	EXPECT_LT(0, gstats(&r, 1).handoff_out);
	EXPECT_EQ(0, gstats(&r, 1).unowned);
	rig_fini(&r);
}

TEST(arp_reply_on_another_queue_releases_the_waiting_syn)
{
	struct rig r;
	struct bypass_counters c0;
	uint32_t ms;
	unsigned int i;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	ASSERT_EQ(0, bypass_stack_tcp_listen(r.peer.st, PEER_PORT, 0,
					     &r.peer.listener));
	r.srv[0].out_total = r.srv[1].out_total = 3000;
	/* Both ask for the peer's MAC; ARP follows the last asker: queue 1. */
	ASSERT_EQ(0, srv_dial(&r.srv[0]));
	ASSERT_EQ(0, srv_dial(&r.srv[1]));
	for (ms = 0; ms < 2000; ms++) {
		rig_step(&r);
		if (srv_out_done(&r.srv[0]) && srv_out_done(&r.srv[1]))
			break;
	}
	/* Well before the first ARP retry (1 s): no second request needed. */
	EXPECT_GT(100, ms);
	c0 = ctx_counters(&r, 0);
	EXPECT_EQ(0, c0.arp.rx);
	EXPECT_EQ(1, c0.arp.requests_tx);
	EXPECT_LE(1, gstats(&r, 1).neigh_out);
	EXPECT_LE(1, gstats(&r, 0).neigh_in);
	for (i = 0; i < 2; i++) {
		EXPECT_FALSE(r.srv[i].bad);
		EXPECT_EQ(3000, r.srv[i].out_rcvd[0]);
	}
	rig_fini(&r);
}

TEST(ephemeral_ports_are_disjoint)
{
	struct rig r;
	uint8_t seen[65536] = { 0 };
	unsigned int i, k;
	uint32_t ms;

	ASSERT_EQ(0, rig_init(&r, 2, false));
	ASSERT_EQ(0, bypass_stack_tcp_listen(r.peer.st, PEER_PORT, 0,
					     &r.peer.listener));
	for (i = 0; i < 2; i++) {
		r.srv[i].out_total = 100;
		for (k = 0; k < 8; k++)
			ASSERT_EQ(0, srv_dial(&r.srv[i]));
	}
	for (ms = 0; ms < 2000; ms++) {
		rig_step(&r);
		if (srv_out_done(&r.srv[0]) && srv_out_done(&r.srv[1]))
			break;
	}
	ASSERT_GT(2000, ms);
	for (i = 0; i < 2; i++) {
		for (k = 0; k < 8; k++) {
			uint16_t p = r.srv[i].out_port[k];

			EXPECT_EQ(0, seen[p]);
			seen[p] = 1;
			/* Context i's eighth of 49152-65535. */
			EXPECT_LE(49152 + i * 8192, p);
			EXPECT_GT(49152 + (i + 1) * 8192, p);
		}
		EXPECT_FALSE(r.srv[i].bad);
	}
	rig_fini(&r);
}

/* ---- each context on its own thread ------------------------------------ */

static void *srv_thread(void *arg)
{
	struct srv *s = arg;
	struct epoll_event evs[64];

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		if (bypass_epoll_wait(s->ctx, s->ep, evs, 64, 20) < 0)
			s->bad = true;
		srv_run(s);
		if (srv_out_done(s))
			__atomic_store_n(&s->out_ok, 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

TEST(two_threads_serve_and_dial_with_flows_moved_under_them)
{
	struct rig r;
	pthread_t th[2];
	struct timespec ts;
	uint64_t start, now, accepted = 0, moved_out = 0, moved_in = 0;
	unsigned int i, moved = 0;
	const unsigned int nconns = 128;

	ASSERT_EQ(0, rig_init(&r, 2, true));
	ASSERT_EQ(0, bypass_stack_tcp_listen(r.peer.st, PEER_PORT, 0,
					     &r.peer.listener));
	for (i = 0; i < 2; i++) {
		struct srv *s = &r.srv[i];

		s->ep = bypass_epoll_create(s->ctx);
		ASSERT_LE(0, s->ep);
		ASSERT_EQ(0, srv_listen(s));
		s->out_total = 20000;
		ASSERT_EQ(0, srv_dial(s));
		ASSERT_EQ(0, srv_dial(s));
	}
	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, pthread_create(&th[i], NULL, srv_thread, &r.srv[i]));
	/*
	 * Every fourth flow sends half its bytes, is moved once their echo
	 * has begun, and only then sends the rest: that half lands on the
	 * queue the flow was moved to, whatever the threads' timing.
	 */
	for (i = 0; i < nconns; i++) {
		ASSERT_EQ(0, peer_connect(&r.peer, 8000));
		if (!(i % 4))
			r.peer.conns[i].hold = 4000;
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	start = now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	while (now - start < WAIT_MS) {
		bypass_stack_wait(r.peer.st, 10);
		peer_run(&r.peer);
		/* Halfway through, move every fourth flow to queue 0 or 1. */
		for (; moved < nconns / 4 &&
		       r.peer.conns[moved * 4].rcvd > 2000; moved++) {
			uint32_t a;
			uint16_t p;

			bypass_tcp_local(r.peer.conns[moved * 4].c, &a, &p);
			bypass_mq_move_flow(r.mq, IP_PEER, p, IP_US, PORT, moved & 1);
			r.peer.conns[moved * 4].hold = 0;
		}
		if (peer_all_done(&r.peer) && r.peer.nserved == 4)
			break;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	/* The servers' own connections finish on their threads. */
	while (now - start < WAIT_MS &&
	       !(__atomic_load_n(&r.srv[0].out_ok, __ATOMIC_ACQUIRE) &&
		 __atomic_load_n(&r.srv[1].out_ok, __ATOMIC_ACQUIRE))) {
		bypass_stack_wait(r.peer.st, 10);
		peer_run(&r.peer);
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	}
	for (i = 0; i < 2; i++) {
		__atomic_store_n(&r.srv[i].stop, 1, __ATOMIC_RELEASE);
		pthread_join(th[i], NULL);
	}
	ASSERT_GT(WAIT_MS, now - start);
	expect_clients_ok(_metadata, &r);
	for (i = 0; i < 2; i++) {
		struct bypass_counters c = ctx_counters(&r, i);
		struct bypass_group_stats gs = gstats(&r, i);

		EXPECT_FALSE(r.srv[i].bad);
		EXPECT_TRUE(srv_out_done(&r.srv[i]));
		EXPECT_LT(0, r.srv[i].accepted);
		/* Its engine: its accepted flows, its 2 dialled, its listener. */
		EXPECT_EQ(r.srv[i].accepted + 2 + 1, c.tcp.conns);
		accepted += r.srv[i].accepted;
		moved_out += gs.handoff_out;
		moved_in += gs.handoff_in;
		EXPECT_EQ(0, gs.handoff_dropped);
	}
	EXPECT_EQ(nconns, accepted);
	EXPECT_EQ(nconns / 4, moved);
	EXPECT_LT(0, moved_out);
	EXPECT_EQ(moved_out, moved_in);
	rig_fini(&r);
}

TEST_HARNESS_MAIN
