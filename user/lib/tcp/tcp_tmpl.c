// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The per-connection TCP header template (tcp_tmpl.h): built once with
 * the ports, the data offset and the timestamp option's layout (NOP, NOP,
 * kind 8, length 10) and the sums of the pseudo-header and of those fixed
 * words; each segment then copies the fixed words and stores its own
 * sequence and acknowledgment numbers, flags, window and timestamps,
 * adding just these to the checksum.
 */
#include <string.h>

#include "libbypass.h"
#include "stack.h"
#include "tcp_tmpl.h"

#define TCP_TS_KINDS	0x0101080au	/* NOP NOP 8 10 */

/* Fold a 64-bit partial sum into 32 bits (the same modulo 0xffff). */
static uint32_t sum_fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

void tcp_tmpl_fit(struct bypass_tcp_tmpl *t, const struct bypass_tcp_seg *s,
		  uint32_t saddr)
{
	uint32_t len = tcp_tmpl_len(s), kinds = htonl(TCP_TS_KINDS), ports;
	struct tcphdr *th = (struct tcphdr *)t->hdr;

	/* Ports and addresses do not change; the options only with has_ts. */
	if (t->len == len)
		return;
	memset(t->hdr, 0, sizeof(t->hdr));
	th->source = htons(s->sport);
	th->dest = htons(s->dport);
	th->doff = (uint8_t)((len / 4) << 4);
	memcpy(&ports, th, sizeof(ports));
	if (len > sizeof(*th))
		memcpy(t->hdr + sizeof(*th), &kinds, sizeof(kinds));
	else
		kinds = 0;
	t->len = (uint8_t)len;
	t->sum[TCP_TMPL_SUM_PSEUDO] = ipv4_pseudo_sum(saddr, s->daddr,
						      IPPROTO_TCP, 0);
	t->sum[TCP_TMPL_SUM_FIXED] =
		sum_fold64((uint64_t)t->sum[TCP_TMPL_SUM_PSEUDO] + ports + kinds);
}

/* Store @v at @p, which is 4-byte aligned: one store. */
static inline void put_word(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, sizeof(v));
}

uint32_t tcp_tmpl_write(const struct bypass_tcp_tmpl *t,
			const struct bypass_tcp_seg *s, void *th,
			uint32_t l4_len)
{
	/*
	 * The header's words: 0 ports, 1 seq, 2 ack, 3 data offset, flags
	 * and window, 4 checksum and urgent pointer (zero), 5 NOP NOP 8 10,
	 * 6 and 7 the timestamps. Words 0 and 5 are in the template's sum.
	 */
	uint32_t seq = htonl(s->seq), ack = htonl(s->ack), w3, w;
	uint16_t win = htons(s->win);
	uint8_t word3[4] = { t->hdr[12], s->flags, 0, 0 };
	uint8_t *h = th;
	uint64_t acc;

	memcpy(word3 + 2, &win, sizeof(win));
	memcpy(&w3, word3, sizeof(w3));
	memcpy(h, t->hdr, 4);
	put_word(h + 4, seq);
	put_word(h + 8, ack);
	put_word(h + 12, w3);
	put_word(h + 16, 0);
	acc = (uint64_t)t->sum[TCP_TMPL_SUM_FIXED] + htons((uint16_t)l4_len) +
	      seq + ack + w3;
	if (t->len > sizeof(struct tcphdr)) {
		memcpy(h + 20, t->hdr + 20, 4);
		w = htonl(s->opt.ts_val);
		put_word(h + 24, w);
		acc += w;
		w = htonl(s->opt.ts_ecr);
		put_word(h + 28, w);
		acc += w;
	}
	return sum_fold64(acc);
}

uint32_t tcp_tmpl_psum(const struct bypass_tcp_tmpl *t, uint32_t l4_len)
{
	return sum_fold64((uint64_t)t->sum[TCP_TMPL_SUM_PSEUDO] +
			  htons((uint16_t)l4_len));
}
