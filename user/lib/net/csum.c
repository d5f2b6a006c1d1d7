// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Internet checksum (RFC 1071) used by IPv4, ICMP, UDP and TCP when the
 * device does not offload it.
 */
#include <string.h>

#include "libbypass.h"

uint32_t bypass_csum_partial(const void *data, size_t len, uint32_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = sum, carry = 0;

	/*
	 * Add 64-bit words and count the carries out of the accumulator:
	 * 2^64 is 1 modulo 0xffff, so each carry adds one (end-around
	 * carry). Four words a step, then one; the carries are added and
	 * the sum folded once at the end.
	 */
	while (len >= 32) {
		uint64_t w[4];

		memcpy(w, p, sizeof(w));
		acc += w[0];
		carry += acc < w[0];
		acc += w[1];
		carry += acc < w[1];
		acc += w[2];
		carry += acc < w[2];
		acc += w[3];
		carry += acc < w[3];
		p += 32;
		len -= 32;
	}
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += w;
		carry += acc < w;
		p += 8;
		len -= 8;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32) + carry;
	if (len >= 4) {
		uint32_t w;

		memcpy(&w, p, 4);
		acc += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;

		memcpy(&h, p, 2);
		acc += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		/* The odd byte is the high-order byte of a big-endian word. */
		uint16_t h = 0;

		memcpy(&h, p, 1);
		acc += h;
	}
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

uint16_t bypass_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
