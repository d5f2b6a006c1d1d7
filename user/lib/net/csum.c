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
	uint64_t acc = sum;

	/*
	 * Sum 32-bit words in a 64-bit accumulator; fold once at the end.
	 * Eight bytes per step: their two halves cannot overflow the
	 * accumulator for any length below 2^32 words.
	 */
	while (len >= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += (w & 0xffffffffu) + (w >> 32);
		p += 8;
		len -= 8;
	}
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
