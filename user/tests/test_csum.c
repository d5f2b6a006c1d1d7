// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the Internet checksum against independently computed values.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

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

TEST_HARNESS_MAIN
