// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the TCP connection table: thousands of connections are
 * each found by their 4-tuple (and nothing else is), chains stay short,
 * freed entries disappear, listeners match their address or the
 * wildcard, and the table, growing in slabs from init_conns, keeps every
 * connection where it was and refuses more than max_conns (counted).
 * The lookup's last-hit cache forgets a connection that goes away, and
 * the flow hash depends on the engine's secret.
 */
#include <arpa/inet.h>
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"

#define N 4000

static uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return 5000000000ull;
}

static int count_output(void *ctx, const struct bypass_tcp_seg *s)
{
	(void)s;
	(*(int *)ctx)++;
	return 0;
}

static uint32_t chain_len(struct bypass_tcp *tcp, uint32_t bucket)
{
	struct tcp_conn *c;
	uint32_t n = 0;

	for (c = tcp->hash[bucket]; c; c = c->hnext)
		n++;
	return n;
}

TEST(many_connections_found_by_tuple)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = count_output,
	};
	struct bypass_tcp_config cfg = { .max_conns = N, .sndq_bufs = 4,
					 .ooo_bufs = 2 };
	struct bypass_tcp_conn **h = calloc(N, sizeof(*h)), *extra;
	struct bypass_tcp_stats st;
	struct bypass_tcp *tcp;
	uint32_t i, longest = 0;
	int sent = 0;

	ASSERT_NE(NULL, h);
	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &sent, &tcp));
	for (i = 0; i < N; i++) {
		/* Tuples differing in one field at a time. */
		uint32_t raddr = htonl(0x0a000000u + i / 1000);

		ASSERT_EQ(0, bypass_tcp_connect(tcp, htonl(0x0a000001), 1000 + i % 7,
						raddr, 2000 + i % 1000, &h[i]));
	}
	EXPECT_EQ(N, sent);		/* one SYN each */
	bypass_tcp_get_stats(tcp, &st);
	EXPECT_EQ(N, st.conns);
	EXPECT_EQ(N, st.conns_allocated);	/* 64, doubled up to N */
	EXPECT_EQ(0u, st.conn_limit_drops);
	EXPECT_EQ(-ENOBUFS, bypass_tcp_connect(tcp, htonl(0x0a000001), 1, htonl(9),
					       1, &extra));
	bypass_tcp_get_stats(tcp, &st);
	EXPECT_EQ(1u, st.conn_limit_drops);
	EXPECT_EQ(N, st.conns_allocated);
	/* Handles taken before the table grew still name their connection. */
	for (i = 0; i < N; i++) {
		uint32_t raddr = htonl(0x0a000000u + i / 1000);

		ASSERT_EQ((struct tcp_conn *)h[i],
			  tcp_lookup(tcp, htonl(0x0a000001), 1000 + i % 7, raddr,
				     2000 + i % 1000));
		/* Swapped ports or another address: someone else or no one. */
		ASSERT_NE((struct tcp_conn *)h[i],
			  tcp_lookup(tcp, htonl(0x0a000001), 2000 + i % 1000,
				     raddr, 1000 + i % 7));
		ASSERT_EQ(NULL, tcp_lookup(tcp, htonl(0x0a000002), 1000 + i % 7,
					   raddr, 2000 + i % 1000));
	}
	EXPECT_EQ(-EADDRINUSE, bypass_tcp_connect(tcp, htonl(0x0a000001), 1000,
						  htonl(0x0a000000), 2000, &extra));
	for (i = 0; i <= tcp->hash_mask; i++)
		if (chain_len(tcp, i) > longest)
			longest = chain_len(tcp, i);
	/* 4000 keys in 8192 buckets: a keyed hash keeps chains short. */
	EXPECT_LE(longest, 8u);
	for (i = 0; i < N; i += 2)
		bypass_tcp_close(h[i]);
	for (i = 0; i < N; i++) {
		struct tcp_conn *c = tcp_lookup(tcp, htonl(0x0a000001), 1000 + i % 7,
						htonl(0x0a000000u + i / 1000),
						2000 + i % 1000);

		ASSERT_EQ(i % 2 ? (struct tcp_conn *)h[i] : NULL, c);
	}
	/* Freed entries are reused. */
	EXPECT_EQ(0, bypass_tcp_connect(tcp, htonl(0x0a000001), 1, htonl(9), 1,
					&extra));
	bypass_tcp_destroy(tcp);
	free(h);
}

TEST(listeners_exact_then_wildcard)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = count_output,
	};
	struct bypass_tcp_conn *any, *one, *dup;
	struct bypass_tcp *tcp;
	int sent = 0;

	ASSERT_EQ(0, bypass_tcp_create(NULL, &ops, &sent, &tcp));
	ASSERT_EQ(0, bypass_tcp_listen(tcp, 0, 80, 8, &any));
	ASSERT_EQ(0, bypass_tcp_listen(tcp, htonl(0x0a000001), 80, 8, &one));
	EXPECT_EQ(-EADDRINUSE, bypass_tcp_listen(tcp, 0, 80, 8, &dup));
	EXPECT_EQ(-EADDRINUSE, bypass_tcp_listen(tcp, htonl(0x0a000001), 80, 8, &dup));
	EXPECT_EQ((struct tcp_conn *)one,
		  tcp_lookup_listener(tcp, htonl(0x0a000001), 80));
	EXPECT_EQ((struct tcp_conn *)any,
		  tcp_lookup_listener(tcp, htonl(0x0a000002), 80));
	/* Port 80 + 256 shares the bucket but is not port 80. */
	EXPECT_EQ(NULL, tcp_lookup_listener(tcp, htonl(0x0a000001), 80 + 256));
	bypass_tcp_close(one);
	EXPECT_EQ((struct tcp_conn *)any,
		  tcp_lookup_listener(tcp, htonl(0x0a000001), 80));
	bypass_tcp_destroy(tcp);
	EXPECT_EQ(0, sent);
}

TEST(last_hit_forgets_a_closed_connection)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = count_output,
	};
	struct bypass_tcp_config cfg = { .max_conns = 8 };
	uint32_t la = htonl(0x0a000001), ra = htonl(0x0a000002);
	struct bypass_tcp_conn *a, *b;
	struct bypass_tcp *tcp;
	int sent = 0;

	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &sent, &tcp));
	ASSERT_EQ(0, bypass_tcp_connect(tcp, la, 1000, ra, 80, &a));
	ASSERT_EQ(0, bypass_tcp_connect(tcp, la, 1001, ra, 80, &b));
	EXPECT_EQ((struct tcp_conn *)a, tcp_lookup(tcp, la, 1000, ra, 80));
	EXPECT_EQ((struct tcp_conn *)a, tcp_lookup(tcp, la, 1000, ra, 80));
	/* The cached one does not answer for another tuple. */
	EXPECT_EQ((struct tcp_conn *)b, tcp_lookup(tcp, la, 1001, ra, 80));
	EXPECT_EQ((struct tcp_conn *)a, tcp_lookup(tcp, la, 1000, ra, 80));
	bypass_tcp_abort(a);
	EXPECT_EQ(NULL, tcp_lookup(tcp, la, 1000, ra, 80));
	EXPECT_EQ((struct tcp_conn *)b, tcp_lookup(tcp, la, 1001, ra, 80));
	bypass_tcp_destroy(tcp);
}

TEST(flow_hash_is_keyed_by_the_secret)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = count_output,
	};
	struct bypass_tcp_config cfg = { .secret = { 1 } };
	struct bypass_tcp *t1, *t2, *t3;
	uint32_t i, differ = 0;
	int sent = 0;

	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &sent, &t1));
	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &sent, &t2));
	cfg.secret[15] = 1;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, &ops, &sent, &t3));
	for (i = 0; i < 64; i++) {
		uint32_t ra = htonl(0x0a000000u + i);

		ASSERT_EQ(tcp_hash4(t1, 1, 80, ra, (uint16_t)(40000 + i)),
			  tcp_hash4(t2, 1, 80, ra, (uint16_t)(40000 + i)));
		differ += (tcp_hash4(t1, 1, 80, ra, (uint16_t)(40000 + i)) &
			   t1->hash_mask) !=
			  (tcp_hash4(t3, 1, 80, ra, (uint16_t)(40000 + i)) &
			   t3->hash_mask);
	}
	/* Another secret, other buckets (a few may agree by chance). */
	EXPECT_GE(differ, 60u);
	bypass_tcp_destroy(t1);
	bypass_tcp_destroy(t2);
	bypass_tcp_destroy(t3);
}

TEST_HARNESS_MAIN
