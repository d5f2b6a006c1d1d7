// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SYN cookies: when a listener's backlog is full, its SYN-ACK keeps no
 * state. The ISN it carries is the state: 5 bits of a 64-second counter,
 * 3 bits indexing the MSS and 24 bits of SipHash over the 4-tuple, the
 * peer's ISN and the full counter. The ACK that echoes it back recreates
 * the connection if the hash matches and the cookie is at most one period
 * old. Such connections have no window scaling, timestamps or SACK: the
 * cookie has no room for them.
 */
#include <string.h>

#include "tcp.h"

#define COOKIE_PERIOD_NS	(64ull * 1000000000)

static const uint16_t cookie_mss[8] = {
	536, 1000, 1200, 1300, 1400, 1440, 1460, 8960,
};

static uint32_t cookie_hash(struct bypass_tcp *tcp,
			    const struct bypass_tcp_seg *s, uint32_t peer_isn,
			    uint64_t period)
{
	uint8_t in[28];

	/* Tuple as seen from us: local address and port first. */
	memcpy(in, &s->daddr, 4);
	memcpy(in + 4, &s->saddr, 4);
	memcpy(in + 8, &s->dport, 2);
	memcpy(in + 10, &s->sport, 2);
	memcpy(in + 12, &peer_isn, 4);
	memcpy(in + 16, &period, 8);
	memcpy(in + 24, "SYNC", 4);
	return (uint32_t)tcp_siphash(tcp->cfg.secret, in, sizeof(in)) & 0xffffff;
}

uint32_t tcp_cookie_make(struct bypass_tcp *tcp, const struct bypass_tcp_seg *syn,
			 uint16_t mss, uint64_t now_ns)
{
	uint64_t period = now_ns / COOKIE_PERIOD_NS;
	uint32_t idx = 0, i;

	for (i = 0; i < 8; i++)
		if (cookie_mss[i] <= mss)
			idx = i;
	return (uint32_t)(period & 31) << 27 | idx << 24 |
	       cookie_hash(tcp, syn, syn->seq, period);
}

uint16_t tcp_cookie_mss(uint32_t cookie)
{
	return cookie_mss[(cookie >> 24) & 7];
}

bool tcp_cookie_check(struct bypass_tcp *tcp, const struct bypass_tcp_seg *ack,
		      uint64_t now_ns)
{
	uint32_t cookie = ack->ack - 1, peer_isn = ack->seq - 1;
	uint64_t now = now_ns / COOKIE_PERIOD_NS, p;

	/* This period's cookies or the previous one's. */
	for (p = now; p + 2 > now && p <= now; p--) {
		if ((p & 31) != cookie >> 27)
			continue;
		if (cookie_hash(tcp, ack, peer_isn, p) == (cookie & 0xffffff))
			return true;
		if (!p)
			break;
	}
	return false;
}
