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
#include <string.h>

#include <arpa/inet.h>

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
 * IPv4 header) by a stack whose frames through the template carry at most
 * @max_len bytes of payload and need @room bytes of headroom for all
 * their headers.
 */
void tcp_tmpl_fit(struct bypass_tcp_tmpl *t, const struct bypass_tcp_seg *s,
		  uint32_t saddr, uint32_t max_len, uint32_t room);

/*
 * Whether @t fits @s (built for the same option layout): then it holds
 * the limits of tcp_tmpl_fit().
 */
static inline bool tcp_tmpl_fits(const struct bypass_tcp_tmpl *t,
				  const struct bypass_tcp_seg *s)
{
	return t->len == tcp_tmpl_len(s);
}

/* Fold a 64-bit partial sum into 32 bits (the same modulo 0xffff). */
static inline uint32_t tcp_tmpl_fold(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/* Store @v at @p, which is 4-byte aligned: one store. */
static inline void tcp_tmpl_put(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

/*
 * Write a header from @t at @th, 4-byte aligned, checksum field zero,
 * with the fields that vary per segment: @seq, @ack, @flags, @win (the
 * raw field) and, when @t has the timestamp option, @ts_val and @ts_ecr.
 * Returns the partial checksum of the pseudo-header (for @l4_len bytes
 * of TCP) and the header.
 */
static inline uint32_t tcp_tmpl_write_fields(const struct bypass_tcp_tmpl *t,
					     void *th, uint32_t seq, uint32_t ack,
					     uint8_t flags, uint16_t win,
					     uint32_t ts_val, uint32_t ts_ecr,
					     uint32_t l4_len)
{
	/*
	 * The header's words: 0 ports, 1 seq, 2 ack, 3 data offset, flags
	 * and window, 4 checksum and urgent pointer (zero), 5 NOP NOP 8 10,
	 * 6 and 7 the timestamps. Words 0 and 5 are in the template's sum.
	 */
	uint32_t w3 = htonl((uint32_t)t->hdr[12] << 24 | (uint32_t)flags << 16 |
			    win), w;
	uint8_t *h = th;
	uint64_t acc;

	seq = htonl(seq);
	ack = htonl(ack);
	memcpy(h, t->hdr, 4);
	tcp_tmpl_put(h + 4, seq);
	tcp_tmpl_put(h + 8, ack);
	tcp_tmpl_put(h + 12, w3);
	tcp_tmpl_put(h + 16, 0);
	acc = (uint64_t)t->sum[TCP_TMPL_SUM_FIXED] + htons((uint16_t)l4_len) +
	      seq + ack + w3;
	if (t->len > sizeof(struct tcphdr)) {
		memcpy(h + 20, t->hdr + 20, 4);
		w = htonl(ts_val);
		tcp_tmpl_put(h + 24, w);
		acc += w;
		w = htonl(ts_ecr);
		tcp_tmpl_put(h + 28, w);
		acc += w;
	}
	return tcp_tmpl_fold(acc);
}

/* tcp_tmpl_write_fields() with the fields of @s (no SACK blocks). */
static inline uint32_t tcp_tmpl_write(const struct bypass_tcp_tmpl *t,
				      const struct bypass_tcp_seg *s, void *th,
				      uint32_t l4_len)
{
	return tcp_tmpl_write_fields(t, th, s->seq, s->ack, s->flags, s->win,
				     s->opt.ts_val, s->opt.ts_ecr, l4_len);
}

/* The pseudo-header's partial sum alone (a device ends the checksum). */
static inline uint32_t tcp_tmpl_psum(const struct bypass_tcp_tmpl *t,
				     uint32_t l4_len)
{
	return tcp_tmpl_fold((uint64_t)t->sum[TCP_TMPL_SUM_PSEUDO] +
			  htons((uint16_t)l4_len));
}

#pragma GCC visibility pop

#endif /* BYPASS_TCP_TMPL_H */
