// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Building the per-connection TCP header template (tcp_tmpl.h, which
 * writes it per segment): the ports, the data offset and the timestamp
 * option's layout (NOP, NOP, kind 8, length 10), with the sums of the
 * pseudo-header and of those fixed words and the stack's limits (payload
 * per frame, headroom), once per connection (again only if its option
 * layout changed).
 */
#include <string.h>

#include "libbypass.h"
#include "stack.h"
#include "tcp_tmpl.h"

#define TCP_TS_KINDS	0x0101080au	/* NOP NOP 8 10 */

void tcp_tmpl_fit(struct bypass_tcp_tmpl *t, const struct bypass_tcp_seg *s,
		  uint32_t saddr, uint32_t max_len, uint32_t room)
{
	uint32_t len = tcp_tmpl_len(s), kinds = htonl(TCP_TS_KINDS), ports;
	struct tcphdr *th = (struct tcphdr *)t->hdr;

	/* Ports and addresses do not change; the options only with has_ts. */
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
	t->max_len = (uint16_t)max_len;
	t->room = (uint16_t)room;
	t->sum[TCP_TMPL_SUM_PSEUDO] = ipv4_pseudo_sum(saddr, s->daddr,
						      IPPROTO_TCP, 0);
	t->sum[TCP_TMPL_SUM_FIXED] =
		tcp_tmpl_fold((uint64_t)t->sum[TCP_TMPL_SUM_PSEUDO] + ports + kinds);
}
