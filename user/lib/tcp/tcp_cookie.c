// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * SYN cookies: when a listener's backlog is full, its SYN-ACK keeps no
 * state. The ISN it carries is the state: 5 bits of a 64-second counter,
 * 3 bits indexing the MSS and 24 bits of SipHash over the 4-tuple, the
 * peer's ISN, the full counter and the options byte below. The ACK that
 * echoes it back recreates the connection if the hash matches and the
 * cookie is at most one period old.
 *
 * When the SYN offered timestamps, the SYN-ACK's TS value carries the
 * other options in its low 5 bits: the peer's window shift (15: none)
 * and SACK-permitted; the value is our clock with those bits replaced,
 * moved back by 32 ms when that would put it ahead, so that later
 * timestamps never go backwards. The ACK echoes it in TSecr, and since
 * the hash covers those bits a forged echo fails the check. Without
 * timestamps the cookie holds the MSS only.
 */
#include <string.h>

#include "tcp.h"

#define COOKIE_PERIOD_NS	(64ull * 1000000000)
#define COOKIE_TS_MASK		31u	/* option bits in the TS value */
#define COOKIE_WS_NONE		15u
#define COOKIE_SACK		16u
#define COOKIE_HAS_TS		0x80u	/* hashed: the SYN had timestamps */

static const uint16_t cookie_mss[8] = {
	536, 1000, 1200, 1300, 1400, 1440, 1460, 8960,
};

static uint32_t cookie_hash(struct bypass_tcp *tcp,
			    const struct bypass_tcp_seg *s, uint32_t peer_isn,
			    uint64_t period, uint8_t opts)
{
	uint8_t in[29];

	/* Tuple as seen from us: local address and port first. */
	memcpy(in, &s->daddr, 4);
	memcpy(in + 4, &s->saddr, 4);
	memcpy(in + 8, &s->dport, 2);
	memcpy(in + 10, &s->sport, 2);
	memcpy(in + 12, &peer_isn, 4);
	memcpy(in + 16, &period, 8);
	memcpy(in + 24, "SYNC", 4);
	in[28] = opts;
	return (uint32_t)tcp_siphash(tcp->cfg.secret, in, sizeof(in)) & 0xffffff;
}

/* The options byte of a SYN: 0 without timestamps. */
static uint8_t syn_opts(const struct bypass_tcp_opts *o)
{
	uint32_t ws = COOKIE_WS_NONE;

	if (!o->has_ts)
		return 0;
	if (o->has_wscale)
		ws = o->wscale > TCP_MAX_WSCALE ? TCP_MAX_WSCALE : o->wscale;
	return (uint8_t)(COOKIE_HAS_TS | ws | (o->sack_ok ? COOKIE_SACK : 0));
}

/* The options byte an ACK's timestamp echo gives back. */
uint8_t tcp_cookie_echo(const struct bypass_tcp_opts *o)
{
	if (!o->has_ts)
		return 0;
	return (uint8_t)(COOKIE_HAS_TS | (o->ts_ecr & COOKIE_TS_MASK));
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
	       cookie_hash(tcp, syn, syn->seq, period, syn_opts(&syn->opt));
}

uint32_t tcp_cookie_tsval(const struct bypass_tcp_opts *syn, uint32_t ts_now)
{
	uint32_t v = (ts_now & ~COOKIE_TS_MASK) |
		     (syn_opts(syn) & COOKIE_TS_MASK);

	return seq_gt(v, ts_now) ? v - (COOKIE_TS_MASK + 1) : v;
}

void tcp_cookie_opts(uint8_t o, bool *ts, int *wscale, bool *sack)
{
	*ts = o & COOKIE_HAS_TS;
	*wscale = *ts && (o & COOKIE_WS_NONE) != COOKIE_WS_NONE ?
		  (int)(o & COOKIE_WS_NONE) : -1;
	*sack = *ts && (o & COOKIE_SACK);
}

uint16_t tcp_cookie_mss(uint32_t cookie)
{
	return cookie_mss[(cookie >> 24) & 7];
}

static bool check_opts(struct bypass_tcp *tcp, const struct bypass_tcp_seg *ack,
		       uint64_t now_ns, uint8_t opts)
{
	uint32_t cookie = ack->ack - 1, peer_isn = ack->seq - 1;
	uint64_t now = now_ns / COOKIE_PERIOD_NS, p;

	/* This period's cookies or the previous one's. */
	for (p = now; p + 2 > now && p <= now; p--) {
		if ((p & 31) != cookie >> 27)
			continue;
		if (cookie_hash(tcp, ack, peer_isn, p, opts) ==
		    (cookie & 0xffffff))
			return true;
		if (!p)
			break;
	}
	return false;
}

/*
 * The options byte of a valid cookie ACK, or -1. A timestamp on the ACK
 * of a cookie made without (none was offered, none answered) is ignored,
 * as RFC 7323 3.2 has it; the reverse, a cookie made for timestamps, is
 * valid only with the echo.
 */
int tcp_cookie_check(struct bypass_tcp *tcp, const struct bypass_tcp_seg *ack,
		     uint64_t now_ns)
{
	uint8_t opts = tcp_cookie_echo(&ack->opt);

	if (check_opts(tcp, ack, now_ns, opts))
		return opts;
	if (opts && check_opts(tcp, ack, now_ns, 0))
		return 0;
	return -1;
}
