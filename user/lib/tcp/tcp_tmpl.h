/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A connection's prebuilt TCP header (struct bypass_tcp_tmpl), for the
 * stack's transmit: built once from the first segment of an established
 * connection, then written out per segment with only the fields that
 * change patched in (sequence and acknowledgment numbers, flags, window,
 * timestamps), its checksum summed from those fields and sums kept in the
 * template.
 */
#ifndef BYPASS_TCP_TMPL_H
#define BYPASS_TCP_TMPL_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_tcp.h"

#pragma GCC visibility push(hidden)

/* The fixed TCP header (RFC 9293 3.1); linux/tcp.h clashes with tcp.h. */
struct tcphdr {
	uint16_t source, dest;
	uint32_t seq, ack_seq;
	uint8_t doff;		/* data offset in words, high nibble */
	uint8_t flags;
	uint16_t window, check, urg_ptr;
};

#define TCP_TMPL_SUM_PSEUDO	0	/* sum[]: pseudo-header, no length */
#define TCP_TMPL_SUM_FIXED	1	/* ... and the header's fixed words */

/* The header @t holds for a segment like @s (20 or 32 bytes). */
static inline uint32_t tcp_tmpl_len(const struct bypass_tcp_seg *s)
{
	return s->opt.has_ts ? 32 : 20;
}

/*
 * Build @t for the connection of @s, sent from @saddr (the address of the
 * IPv4 header), when it is not built for it yet.
 */
void tcp_tmpl_fit(struct bypass_tcp_tmpl *t, const struct bypass_tcp_seg *s,
		  uint32_t saddr);

/*
 * Write the header of @s (no SACK blocks) from @t at @th, 4-byte aligned,
 * checksum field zero. Returns the partial checksum of the pseudo-header
 * (for @l4_len bytes of TCP) and the header.
 */
uint32_t tcp_tmpl_write(const struct bypass_tcp_tmpl *t,
			const struct bypass_tcp_seg *s, void *th,
			uint32_t l4_len);
/* The pseudo-header's partial sum alone (a device ends the checksum). */
uint32_t tcp_tmpl_psum(const struct bypass_tcp_tmpl *t, uint32_t l4_len);

#pragma GCC visibility pop

#endif /* BYPASS_TCP_TMPL_H */
