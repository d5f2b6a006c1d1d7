// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Internet checksum (RFC 1071) used by IPv4, ICMP, UDP and TCP when the
 * device does not offload it: the exported calls over csum.h's inlined
 * sum.
 */
#include "csum.h"
#include "libbypass.h"

uint32_t bypass_csum_partial(const void *data, size_t len, uint32_t sum)
{
	return csum_partial(data, len, sum);
}

uint16_t bypass_csum_fold(uint32_t sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}
