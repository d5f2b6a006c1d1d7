/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Checksum helpers for fixed sizes, inlined where the datapath needs them:
 * the 20-byte IPv4 header (no options) summed as five 32-bit words and
 * folded, instead of the general bypass_csum_partial() loop.
 */
#ifndef BYPASS_CSUM_H
#define BYPASS_CSUM_H

#include <stdint.h>
#include <string.h>

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

/* Fold a 64-bit one's-complement sum to 16 bits and invert it. */
static inline uint16_t csum_fold64(uint64_t s)
{
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

/*
 * The checksum of the 20 bytes at @hdr (an IPv4 header without options):
 * 0 over a header whose checksum field is right, the value to store when
 * that field is 0.
 */
static inline uint16_t csum_ipv4_hdr20(const void *hdr)
{
	uint32_t w[5];

	memcpy(w, hdr, sizeof(w));
	return csum_fold64((uint64_t)w[0] + w[1] + w[2] + w[3] + w[4]);
}

#pragma GCC visibility pop

#endif /* BYPASS_CSUM_H */
