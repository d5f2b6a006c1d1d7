// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the TCP engine's small pieces: sequence arithmetic across
 * the wrap, option parsing and writing, SipHash against its published
 * vectors, the RFC 6528 ISN (per-tuple, advancing with the clock), and
 * the SYN cookie's options in the TS value.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "tcp.h"
#include "tcp_fake.h"

TEST(seq_compare_across_wrap)
{
	EXPECT_TRUE(seq_lt(0xfffffff0u, 0x10));
	EXPECT_TRUE(seq_gt(0x10, 0xfffffff0u));
	EXPECT_TRUE(seq_leq(5, 5));
	EXPECT_TRUE(seq_geq(5, 5));
	EXPECT_FALSE(seq_lt(5, 5));
	EXPECT_TRUE(seq_lt(0x7ffffffeu, 0x7fffffffu));
	EXPECT_TRUE(seq_lt(0xffffffffu, 0));
	/* Exactly 2^31 apart: both "less", the documented limit. */
	EXPECT_TRUE(seq_lt(0, 0x80000000u));
	EXPECT_TRUE(seq_lt(0x80000000u, 0));
	EXPECT_EQ(0x10u, seq_max(0xfffffff0u, 0x10));
	EXPECT_EQ(0xfffffff0u, seq_min(0xfffffff0u, 0x10));
}

TEST(seq_in_window)
{
	EXPECT_TRUE(seq_in(0xfffffffeu, 0xfffffff0u, 0x10));
	EXPECT_TRUE(seq_in(0x5, 0xfffffff0u, 0x10));
	EXPECT_TRUE(seq_in(0xfffffff0u, 0xfffffff0u, 0x10));
	EXPECT_FALSE(seq_in(0x10, 0xfffffff0u, 0x10));
	EXPECT_FALSE(seq_in(0xffffffefu, 0xfffffff0u, 0x10));
	/* An empty window holds nothing. */
	EXPECT_FALSE(seq_in(7, 7, 7));
}

TEST(options_round_trip)
{
	struct bypass_tcp_opts o = {
		.has_mss = true, .mss = 1460, .has_wscale = true, .wscale = 7,
		.has_ts = true, .ts_val = 0x01020304, .ts_ecr = 0xa0b0c0d0,
		.sack_ok = true, .nr_sack = 2,
		.sack = { { 100, 200 }, { 0xfffffff0u, 5 } },
	};
	struct bypass_tcp_opts p;
	uint8_t buf[60];
	uint32_t n = tcp_opts_write(&o, buf);

	EXPECT_EQ(tcp_opts_len(&o), n);
	EXPECT_EQ(0u, n % 4);
	ASSERT_EQ(0, tcp_opts_parse(buf, n, &p));
	EXPECT_TRUE(p.has_mss);
	EXPECT_EQ(1460, p.mss);
	EXPECT_EQ(7, p.wscale);
	EXPECT_EQ(0x01020304u, p.ts_val);
	EXPECT_EQ(0xa0b0c0d0u, p.ts_ecr);
	EXPECT_TRUE(p.sack_ok);
	EXPECT_EQ(2, p.nr_sack);
	EXPECT_EQ(0xfffffff0u, p.sack[1].start);
	EXPECT_EQ(5u, p.sack[1].end);
}

TEST(options_malformed_rejected)
{
	static const uint8_t zero_len[] = { 2, 0, 5, 0xb4 };
	static const uint8_t overrun[] = { 8, 10, 0, 0 };
	static const uint8_t bad_mss[] = { 2, 3, 5, 1 };
	static const uint8_t bad_sack[] = { 5, 7, 0, 0, 0, 0, 0, 0 };
	static const uint8_t lone_kind[] = { 1, 1, 1, 3 };
	static const uint8_t unknown_eol[] = { 30, 4, 9, 9, 0, 2, 0 };
	struct bypass_tcp_opts o;

	EXPECT_EQ(-EINVAL, tcp_opts_parse(zero_len, sizeof(zero_len), &o));
	EXPECT_EQ(-EINVAL, tcp_opts_parse(overrun, sizeof(overrun), &o));
	EXPECT_EQ(-EINVAL, tcp_opts_parse(bad_mss, sizeof(bad_mss), &o));
	EXPECT_EQ(-EINVAL, tcp_opts_parse(bad_sack, sizeof(bad_sack), &o));
	EXPECT_EQ(-EINVAL, tcp_opts_parse(lone_kind, sizeof(lone_kind), &o));
	/* Unknown options are skipped; nothing is read after EOL. */
	ASSERT_EQ(0, tcp_opts_parse(unknown_eol, sizeof(unknown_eol), &o));
	EXPECT_FALSE(o.has_mss);
}

TEST(siphash_reference_vectors)
{
	uint8_t key[16], msg[15];
	int i;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	/* From the SipHash paper's appendix (SipHash-2-4, 64-bit output). */
	EXPECT_EQ(0x726fdb47dd0e0e31ull, tcp_siphash(key, msg, 0));
	EXPECT_EQ(0xa129ca6149be45e5ull, tcp_siphash(key, msg, 15));
}

TEST(isn_per_tuple_and_clock)
{
		struct bypass_tcp_config cfg = { .max_conns = 4 };
	struct bypass_tcp *a, *b;
	uint32_t i1, i2, i3, j1;

	memset(cfg.secret, 1, sizeof(cfg.secret));
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &a));
	cfg.secret[0] = 2;
	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &b));
	fake_now_ns = 1000000000;
	i1 = tcp_isn(a, 1, 80, 2, 5000, fake_now_ns);
	/* The clock part ticks every 4 us (RFC 6528). */
	i2 = tcp_isn(a, 1, 80, 2, 5000, fake_now_ns + 4000);
	EXPECT_EQ(i1 + 1, i2);
	i3 = tcp_isn(a, 1, 80, 2, 5000, fake_now_ns + 4000000);
	EXPECT_EQ(i1 + 1000, i3);
	/* Another tuple, or another secret: an unrelated number. */
	j1 = tcp_isn(a, 1, 80, 2, 5001, fake_now_ns);
	EXPECT_NE(i1, j1);
	EXPECT_NE(j1 - i1, 1u);
	EXPECT_NE(i1, tcp_isn(b, 1, 80, 2, 5000, fake_now_ns));
	bypass_tcp_destroy(a);
	bypass_tcp_destroy(b);
}

TEST(create_rejects_bad_config)
{
		struct bypass_tcp_config cfg = { .rcvbuf = 0x40000000 };
	struct bypass_tcp *t;

	EXPECT_EQ(-EINVAL, bypass_tcp_create(&cfg, fake_ops(), NULL, &t));
	cfg.rcvbuf = 0;
	cfg.mss = 10;
	EXPECT_EQ(-EINVAL, bypass_tcp_create(&cfg, fake_ops(), NULL, &t));
	EXPECT_EQ(-EINVAL, bypass_tcp_create(NULL, NULL, NULL, &t));
}

/*
 * Every window shift (or none) and SACK choice survives the trip through
 * a cookie SYN-ACK's TS value, which never runs ahead of the clock nor
 * lags it by 32 ms or more, across the 32-bit wrap too.
 */
TEST(cookie_ts_encodes_options)
{
	static const uint32_t clocks[] = { 0, 31, 32, 1000, 0xffffffe0u,
					   0xffffffffu, 123456789 };
	int ws, sack;
	uint32_t k;

	for (ws = -1; ws <= 15; ws++)
		for (sack = 0; sack < 2; sack++)
			for (k = 0; k < sizeof(clocks) / sizeof(clocks[0]); k++) {
				struct bypass_tcp_opts syn = {
					.has_ts = true, .sack_ok = sack,
					.has_wscale = ws >= 0,
					.wscale = (uint8_t)(ws < 0 ? 0 : ws),
				};
				struct bypass_tcp_opts ack = { .has_ts = true };
				uint32_t v = tcp_cookie_tsval(&syn, clocks[k]);
				bool ts, sk;
				int w;

				EXPECT_TRUE(seq_leq(v, clocks[k]));
				EXPECT_LT(clocks[k] - v, 32u);
				ack.ts_ecr = v;
				tcp_cookie_opts(tcp_cookie_echo(&ack), &ts, &w,
						&sk);
				EXPECT_TRUE(ts);
				/* Shifts beyond 14 are taken as 14 (RFC 7323). */
				EXPECT_EQ(ws < 0 ? -1 : ws > 14 ? 14 : ws, w);
				EXPECT_EQ((bool)sack, sk);
			}
}

/* The hash covers the option bits and whether there were timestamps. */
TEST(cookie_checks_option_bits)
{
	struct bypass_tcp_config cfg = { .max_conns = 2 };
	struct bypass_tcp_seg syn = {
		.saddr = 0x0100000a, .daddr = 0x0200000a, .sport = 4000,
		.dport = 80, .seq = 1000, .flags = BYPASS_TCP_SYN,
		.opt = { .has_ts = true, .ts_val = 5, .has_wscale = true,
			 .wscale = 7, .sack_ok = true },
	};
	struct bypass_tcp_seg ack = syn;
	struct bypass_tcp *tcp;
	uint64_t now = 5000000000ull;
	uint32_t v;
	bool ts, sk;
	int w, opts;

	ASSERT_EQ(0, bypass_tcp_create(&cfg, fake_ops(), NULL, &tcp));
	v = tcp_cookie_tsval(&syn.opt, 77777);
	ack.flags = BYPASS_TCP_ACK;
	ack.seq = syn.seq + 1;
	ack.ack = tcp_cookie_make(tcp, &syn, 1460, now) + 1;
	ack.opt = (struct bypass_tcp_opts){ .has_ts = true, .ts_ecr = v };
	opts = tcp_cookie_check(tcp, &ack, now);
	ASSERT_LE(0, opts);
	tcp_cookie_opts((uint8_t)opts, &ts, &w, &sk);
	EXPECT_TRUE(ts && sk);
	EXPECT_EQ(7, w);
	/* Another high part of the echo: the options are the same. */
	ack.opt.ts_ecr = v + 64;
	EXPECT_EQ(opts, tcp_cookie_check(tcp, &ack, now));
	ack.opt.ts_ecr = v ^ 1;		/* another window shift */
	EXPECT_EQ(-1, tcp_cookie_check(tcp, &ack, now));
	ack.opt.ts_ecr = v ^ 16;	/* SACK flipped */
	EXPECT_EQ(-1, tcp_cookie_check(tcp, &ack, now));
	ack.opt.has_ts = false;		/* the echo stripped */
	EXPECT_EQ(-1, tcp_cookie_check(tcp, &ack, now));
	/* A SYN without timestamps: an ACK without them. */
	syn.opt.has_ts = false;
	ack.ack = tcp_cookie_make(tcp, &syn, 1460, now) + 1;
	EXPECT_EQ(0, tcp_cookie_check(tcp, &ack, now));
	tcp_cookie_opts(0, &ts, &w, &sk);
	EXPECT_FALSE(ts || sk);
	EXPECT_EQ(-1, w);
	/* A timestamp nobody negotiated is ignored (RFC 7323 3.2). */
	ack.opt.has_ts = true;
	ack.opt.ts_ecr = v;
	EXPECT_EQ(0, tcp_cookie_check(tcp, &ack, now));
	bypass_tcp_destroy(tcp);
}

TEST_HARNESS_MAIN
