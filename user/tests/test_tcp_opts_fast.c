// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of tcp_opts_fast_ts(), the header-prediction reading of a
 * segment's options: for NOP, NOP, timestamps it gives what
 * tcp_opts_parse() gives; any other layout (timestamps alone or padded
 * otherwise, with SACK blocks, a wrong kind or length, a short block)
 * is left to tcp_opts_parse().
 */
#include "kselftest_harness.h"
#include "tcp.h"

static const uint8_t nop_nop_ts[12] = {
	1, 1, 8, 10, 0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0,
};

TEST(nop_nop_ts_as_the_parser_reads_it)
{
	struct bypass_tcp_opts fast, slow;

	memset(&fast, 0, sizeof(fast));
	ASSERT_TRUE(tcp_opts_fast_ts(nop_nop_ts, sizeof(nop_nop_ts), &fast));
	ASSERT_EQ(0, tcp_opts_parse(nop_nop_ts, sizeof(nop_nop_ts), &slow));
	EXPECT_TRUE(fast.has_ts);
	EXPECT_EQ(0x12345678u, fast.ts_val);
	EXPECT_EQ(0x9abcdef0u, fast.ts_ecr);
	EXPECT_EQ(0, memcmp(&fast, &slow, sizeof(fast)));
}

TEST(other_layouts_go_to_the_parser)
{
	static const uint8_t ts_eol[12] = {
		8, 10, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0,
	};
	static const uint8_t ts_sack[24] = {
		1, 1, 8, 10, 0, 0, 0, 1, 0, 0, 0, 2,
		1, 1, 5, 10, 0, 0, 0, 9, 0, 0, 0, 10,
	};
	uint8_t bad[12];
	struct bypass_tcp_opts o;
	int i;

	memset(&o, 0, sizeof(o));
	EXPECT_FALSE(tcp_opts_fast_ts(ts_eol, sizeof(ts_eol), &o));
	EXPECT_FALSE(tcp_opts_fast_ts(ts_sack, sizeof(ts_sack), &o));
	EXPECT_FALSE(tcp_opts_fast_ts(nop_nop_ts, 10, &o));
	EXPECT_FALSE(tcp_opts_fast_ts(nop_nop_ts, 0, &o));
	/* Each of the four leading bytes changed. */
	for (i = 0; i < 4; i++) {
		memcpy(bad, nop_nop_ts, sizeof(bad));
		bad[i] ^= 0x40;
		EXPECT_FALSE(tcp_opts_fast_ts(bad, sizeof(bad), &o));
	}
	EXPECT_FALSE(o.has_ts);
}

TEST_HARNESS_MAIN
