// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of connection churn through two stacks over the in-memory
 * pair, on its virtual clock advancing 1 ms per step: a server that
 * closes first (HTTP/1.0) serves many times its initial table while its
 * TIME_WAITs pile up, without growing past max_conns; TIME_WAITs beyond
 * max_time_wait recycle the oldest; a client that closes first connects
 * to one server more times than there are ephemeral ports (taking over
 * its own TIME_WAITs); ports to one server follow each other.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "frames.h"
#include "tcp.h"

#define PORT		8080
#define MS		1000000ull
#define SLOTS_MAX	64
#define EPH_LO		49152
#define EPH_NR		16384

struct churn {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];	/* 0: client, 1: server */
	struct bypass_tcp_conn *listener;
	struct bypass_tcp_conn *cli[SLOTS_MAX];	/* client side, per slot */
	bool cli_up[SLOTS_MAX];		/* reached ESTABLISHED */
	struct bypass_tcp_conn *srv[SLOTS_MAX];	/* accepted, not closed */
	uint32_t nr_srv;
	bool server_closes;		/* else the client closes first */
	uint32_t slots, total;
	uint32_t started, done, failed, connect_errors;
};

static int churn_init(struct churn *ch, const struct bypass_tcp_config *tc,
		      bool server_closes, uint32_t slots, uint32_t total)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT,
					 .queue_size = 256 };
	struct bypass_stack_config cfg = { .tcp = tc };

	memset(ch, 0, sizeof(*ch));
	ch->server_closes = server_closes;
	ch->slots = slots;
	ch->total = total;
	if (pair_two_stacks(&pc, &cfg, &ch->pair, ch->st))
		return -1;
	return bypass_stack_tcp_listen(ch->st[1], PORT, 128, &ch->listener);
}

static void churn_fini(struct churn *ch)
{
	bypass_stack_destroy(ch->st[0]);
	bypass_stack_destroy(ch->st[1]);
	bypass_pair_destroy(ch->pair);
}

/* The server's part: accept; close at once, or once the client did. */
static void server_step(struct churn *ch)
{
	struct bypass_tcp_conn *c;
	uint32_t i;

	while ((c = bypass_tcp_accept(ch->listener))) {
		if (ch->server_closes || ch->nr_srv == SLOTS_MAX)
			bypass_tcp_close(c);
		else
			ch->srv[ch->nr_srv++] = c;
	}
	for (i = 0; i < ch->nr_srv;) {
		c = ch->srv[i];
		if (bypass_tcp_eof(c) ||
		    bypass_tcp_state(c) == BYPASS_TCP_CLOSED) {
			bypass_tcp_close(c);
			ch->srv[i] = ch->srv[--ch->nr_srv];
			continue;
		}
		i++;
	}
}

/* The client's part for one slot: connect, then close when it is time. */
static void client_step(struct churn *ch, uint32_t s)
{
	struct bypass_tcp_conn *c = ch->cli[s];
	enum bypass_tcp_state st;

	if (!c) {
		if (ch->started == ch->total)
			return;
		if (bypass_stack_tcp_connect(ch->st[0], IP_PEER, PORT,
					     &ch->cli[s])) {
			ch->connect_errors++;
			return;
		}
		ch->started++;
		ch->cli_up[s] = false;
		return;
	}
	st = bypass_tcp_state(c);
	if (st == BYPASS_TCP_ESTABLISHED || st == BYPASS_TCP_CLOSE_WAIT)
		ch->cli_up[s] = true;
	if (st == BYPASS_TCP_CLOSED) {
		ch->failed++;		/* reset or timed out */
	} else if (ch->server_closes ? !bypass_tcp_eof(c) :
		   st != BYPASS_TCP_ESTABLISHED) {
		return;
	} else {
		ch->done += ch->cli_up[s];
	}
	bypass_tcp_close(c);
	ch->cli[s] = NULL;
}

/* Run until every connection is done or @max_ms passed; true when done. */
static bool churn_run(struct churn *ch, uint32_t max_ms)
{
	uint32_t ms, s;

	for (ms = 0; ms < max_ms; ms++) {
		for (s = 0; s < ch->slots; s++)
			client_step(ch, s);
		stacks_run_idle(ch->st[0], ch->st[1]);
		server_step(ch);
		if (ch->done + ch->failed == ch->total)
			return true;
		bypass_pair_advance(ch->pair, MS);
	}
	return false;
}

static void tcp_stats(struct churn *ch, int i, struct bypass_tcp_stats *out)
{
	bypass_tcp_get_stats(bypass_stack_tcp(ch->st[i]), out);
}

/*
 * An HTTP/1.0 server: it closes first, so every connection leaves a
 * TIME_WAIT on its side. 40 times its initial table, 32 at once, in well
 * under 2 MSL: all are served, all TIME_WAITs counted, and the table
 * grew but never past max_conns.
 */
TEST(server_close_churn_keeps_time_waits_out_of_the_table)
{
	struct bypass_tcp_config tc = { .init_conns = 16, .max_conns = 64 };
	struct bypass_tcp_stats ts;
	struct bypass_counters c;
	struct bypass_qp_stats *qs;
	struct bypass_dev *d;
	struct churn ch;

	ASSERT_EQ(0, churn_init(&ch, &tc, true, 32, 640));
	d = bypass_pair_dev(ch.pair, 1);
	qs = d->ops->stats_page(d);
	ASSERT_NE(NULL, qs);
	EXPECT_TRUE(churn_run(&ch, 20000));
	EXPECT_EQ(640u, ch.done);
	EXPECT_EQ(0u, ch.failed);
	EXPECT_EQ(0u, ch.connect_errors);
	tcp_stats(&ch, 1, &ts);
	EXPECT_EQ(640u, ts.time_wait);
	EXPECT_EQ(1u, ts.conns);		/* the listener */
	EXPECT_LT(16u, ts.conns_allocated);	/* it grew */
	EXPECT_GE(64u, ts.conns_allocated);
	EXPECT_EQ(0u, ts.conn_limit_drops);
	EXPECT_EQ(0u, ts.tw_recycled);
	/* The stack reports the same, and so does its page for bypassctl. */
	bypass_stack_counters(ch.st[1], &c);
	EXPECT_EQ(640u, c.tcp.time_wait);
	EXPECT_EQ(1u, c.tcp.conns);
	EXPECT_EQ(640u, qs->tcp_time_wait);
	EXPECT_EQ(1u, qs->tcp_conns);
	EXPECT_EQ(0u, qs->tcp_conn_limit_drops);
	/* 2 MSL later they are gone, the page says so without traffic. */
	bypass_pair_advance(ch.pair, 60 * 1000 * MS);
	stacks_run_idle(ch.st[0], ch.st[1]);
	tcp_stats(&ch, 1, &ts);
	EXPECT_EQ(0u, ts.time_wait);
	EXPECT_EQ(0u, qs->tcp_time_wait);
	churn_fini(&ch);
}

/* Beyond max_time_wait the oldest TIME_WAIT makes room, counted. */
TEST(time_waits_beyond_the_limit_recycle_the_oldest)
{
	struct bypass_tcp_config tc = { .init_conns = 16, .max_conns = 64,
					.max_time_wait = 100 };
	struct bypass_tcp_stats ts;
	struct bypass_counters c;
	struct churn ch;

	ASSERT_EQ(0, churn_init(&ch, &tc, true, 32, 640));
	EXPECT_TRUE(churn_run(&ch, 20000));
	EXPECT_EQ(640u, ch.done);
	tcp_stats(&ch, 1, &ts);
	EXPECT_EQ(100u, ts.time_wait);
	EXPECT_EQ(540u, ts.tw_recycled);
	bypass_stack_counters(ch.st[1], &c);
	EXPECT_EQ(540u, c.tcp.tw_recycled);
	churn_fini(&ch);
}

/*
 * A client that closes first, to one server, more times than there are
 * ephemeral ports, while its TIME_WAITs last (2 MSL of 20 min here): once
 * every port was used it takes over its TIME_WAITs older than a second
 * (timestamps on), and no connect fails.
 */
TEST(client_close_churn_reuses_its_time_waits)
{
	struct bypass_tcp_config tc = { .msl_ns = 600000 * MS };
	struct bypass_tcp_stats ts;
	struct churn ch;

	ASSERT_EQ(0, churn_init(&ch, &tc, false, 16, EPH_NR + 2000));
	EXPECT_TRUE(churn_run(&ch, 60000));
	EXPECT_EQ(EPH_NR + 2000u, ch.done);
	EXPECT_EQ(0u, ch.failed);
	EXPECT_EQ(0u, ch.connect_errors);
	tcp_stats(&ch, 0, &ts);
	EXPECT_LE(2000u, ts.tw_reused);
	EXPECT_GE((uint64_t)EPH_NR, ts.time_wait);
	churn_fini(&ch);
}

/* RFC 6056: connects to one server take the ports one after the other. */
TEST(ports_to_one_server_follow_each_other)
{
	struct bypass_tcp_conn *c[200];
	uint16_t port, prev = 0;
	struct churn ch;
	uint32_t i;

	ASSERT_EQ(0, churn_init(&ch, NULL, false, 1, 0));
	for (i = 0; i < 200; i++) {
		ASSERT_EQ(0, bypass_stack_tcp_connect(ch.st[0], IP_PEER, PORT,
						      &c[i]));
		bypass_tcp_local(c[i], NULL, &port);
		ASSERT_LE(EPH_LO, port);
		if (i)
			EXPECT_EQ(EPH_LO + (prev - EPH_LO + 1) % EPH_NR, port);
		prev = port;
	}
	for (i = 0; i < 200; i++)
		bypass_tcp_abort(c[i]);
	churn_fini(&ch);
}

TEST_HARNESS_MAIN
