// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the Internet checksum against independently computed values.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "csum.h"
#include "kselftest_harness.h"
#include "libbypass.h"

/* Straightforward big-endian reference: sum 16-bit words, fold, invert. */
static uint16_t ref_csum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)p[i] << 8 | p[i + 1];
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/* 0 and 0xffff are the same one's-complement number: compare them as 0. */
static uint16_t same_zero(uint16_t c)
{
	return c == 0xffff ? 0 : c;
}

TEST(ipv4_header_known_value)
{
	/* A real IPv4 header whose checksum field holds 0xb861. */
	uint8_t h[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			  0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			  0xc0, 0xa8, 0x00, 0xc7 };
	uint16_t c = bypass_csum_fold(bypass_csum_partial(h, sizeof(h), 0));

	EXPECT_EQ(0xb861, ntohs(c));
	memcpy(&h[10], &c, 2);
	/* A header with its checksum in place sums to zero. */
	EXPECT_EQ(0, bypass_csum_fold(bypass_csum_partial(h, sizeof(h), 0)));
}

TEST(matches_reference_all_lengths_and_offsets)
{
	uint8_t buf[300];
	size_t len, off;

	srand(1);
	for (len = 0; len < sizeof(buf); len++)
		buf[len] = (uint8_t)rand();
	for (off = 0; off < 4; off++) {
		for (len = 0; len + off <= sizeof(buf); len++) {
			uint16_t c = bypass_csum_fold(bypass_csum_partial(buf + off, len, 0));

			ASSERT_EQ(ref_csum(buf + off, len), ntohs(c)) {
				TH_LOG("len %zu off %zu", len, off);
			}
		}
	}
}

TEST(all_ones_input_folds_correctly)
{
	uint8_t buf[64];

	memset(buf, 0xff, sizeof(buf));
	EXPECT_EQ(ref_csum(buf, sizeof(buf)),
		  ntohs(bypass_csum_fold(bypass_csum_partial(buf, sizeof(buf), 0))));
}

TEST(partial_sums_chain)
{
	uint8_t buf[100];
	uint32_t s;
	size_t i;

	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)(i * 7 + 3);
	/* Splitting at an even offset must give the same result. */
	s = bypass_csum_partial(buf, 40, 0);
	s = bypass_csum_partial(buf + 40, 60, s);
	EXPECT_EQ(ref_csum(buf, sizeof(buf)), ntohs(bypass_csum_fold(s)));
}

/*
 * Random bytes, every length 0..2048 at every alignment 0..7, with a
 * random starting sum: the folded result must equal the 16-bit
 * reference's, the starting sum added in host order.
 */
TEST(random_data_lengths_0_2048_all_alignments_random_start)
{
	static uint8_t buf[2048 + 8];
	size_t len, off, i;

	srand(13);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (off = 0; off < 8; off++) {
		for (len = 0; len <= 2048; len++) {
			uint32_t start = (uint32_t)rand() << 1 ^ (uint32_t)rand();
			uint16_t start16 = bypass_csum_fold(start);
			uint16_t want, got;
			uint32_t s;

			/* ~ref is the plain sum; add the start's plain sum. */
			s = (uint32_t)(uint16_t)~ref_csum(buf + off, len) +
			    ntohs((uint16_t)~start16);
			s = (s & 0xffff) + (s >> 16);
			want = (uint16_t)~s;
			got = ntohs(bypass_csum_fold(bypass_csum_partial(buf + off, len, start)));
			ASSERT_EQ(same_zero(want), same_zero(got)) {
				TH_LOG("len %zu off %zu start %08x", len, off, start);
			}
		}
	}
}

/*
 * All-ones data keeps the 64-bit accumulator at its top, so every further
 * word carries out of it: lost carries show. Starting sums 0 and ~0.
 */
TEST(all_ones_every_length_and_alignment)
{
	static const uint32_t starts[] = { 0, 0xffffffffu };
	static uint8_t buf[2048 + 8];
	size_t len, off, i;

	memset(buf, 0xff, sizeof(buf));
	for (i = 0; i < 2; i++) {
		for (off = 0; off < 8; off++) {
			for (len = 0; len <= 2048; len++) {
				uint32_t s = bypass_csum_partial(buf + off, len, starts[i]);

				ASSERT_EQ(same_zero(ref_csum(buf + off, len)),
					  same_zero(ntohs(bypass_csum_fold(s)))) {
					TH_LOG("len %zu off %zu start %x", len, off,
					       starts[i]);
				}
			}
		}
	}
}

/*
 * The inlined helpers of the datapath (csum.h): the 64-bit sum folded
 * once, from any 64-bit start, and the fixed 20-byte IPv4 header sum,
 * against the reference.
 */
TEST(inline_fold_and_ipv4_header_match_reference)
{
	static uint8_t buf[2048 + 8];
	size_t len, i;

	srand(7);
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (len = 0; len <= 2048; len++) {
		/* A start whose halves and bytes carry when added. */
		uint64_t start = (uint64_t)rand() << 33 ^ (uint64_t)rand() << 2 ^ ~0ull;
		uint16_t s16 = csum_fold64(start), got, want;
		uint32_t s;

		s = (uint32_t)(uint16_t)~ref_csum(buf + len % 8, len) +
		    ntohs((uint16_t)~s16);
		s = (s & 0xffff) + (s >> 16);
		want = (uint16_t)~s;
		got = ntohs(csum_fold64(csum_partial64(buf + len % 8, len, start)));
		ASSERT_EQ(same_zero(want), same_zero(got)) {
			TH_LOG("len %zu start %016llx", len, (unsigned long long)start);
		}
		if (len >= 20) {
			EXPECT_EQ(same_zero(ref_csum(buf + len - 20, 20)),
				  same_zero(ntohs(csum_ipv4_hdr20(buf + len - 20))));
		}
	}
	/* All ones: every addition carries. */
	memset(buf, 0xff, 20);
	EXPECT_EQ(0, same_zero(ntohs(csum_ipv4_hdr20(buf))));
	EXPECT_EQ(0, same_zero(csum_fold64(~0ull)));
}

TEST_HARNESS_MAIN
