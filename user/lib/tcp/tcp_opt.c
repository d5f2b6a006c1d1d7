// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * TCP options on the wire: MSS (RFC 9293), window scale and timestamps
 * (RFC 7323), SACK-permitted and SACK blocks (RFC 2018). For the stack,
 * which parses received headers and writes sent ones.
 */
#include <errno.h>
#include <string.h>

#include "tcp.h"

enum {
	OPT_EOL = 0, OPT_NOP = 1, OPT_MSS = 2, OPT_WSCALE = 3,
	OPT_SACK_OK = 4, OPT_SACK = 5, OPT_TS = 8,
};

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

uint32_t tcp_opts_len(const struct bypass_tcp_opts *o)
{
	uint32_t n = 0;

	if (o->has_mss)
		n += 4;
	if (o->has_ts)
		n += 12;
	if (o->has_wscale)
		n += 4;
	if (o->sack_ok)
		n += 4;
	if (o->nr_sack)
		n += 4 + 8 * o->nr_sack;
	return n;
}

/* Writes tcp_opts_len(@o) bytes (a multiple of 4) at @p. */
uint32_t tcp_opts_write(const struct bypass_tcp_opts *o, uint8_t *p)
{
	uint8_t *s = p;
	uint32_t i;

	if (o->has_mss) {
		*p++ = OPT_MSS;
		*p++ = 4;
		*p++ = (uint8_t)(o->mss >> 8);
		*p++ = (uint8_t)o->mss;
	}
	if (o->has_ts) {
		*p++ = OPT_NOP;
		*p++ = OPT_NOP;
		*p++ = OPT_TS;
		*p++ = 10;
		put32(p, o->ts_val);
		put32(p + 4, o->ts_ecr);
		p += 8;
	}
	if (o->has_wscale) {
		*p++ = OPT_NOP;
		*p++ = OPT_WSCALE;
		*p++ = 3;
		*p++ = o->wscale;
	}
	if (o->sack_ok) {
		*p++ = OPT_NOP;
		*p++ = OPT_NOP;
		*p++ = OPT_SACK_OK;
		*p++ = 2;
	}
	if (o->nr_sack) {
		*p++ = OPT_NOP;
		*p++ = OPT_NOP;
		*p++ = OPT_SACK;
		*p++ = (uint8_t)(2 + 8 * o->nr_sack);
		for (i = 0; i < o->nr_sack; i++) {
			put32(p, o->sack[i].start);
			put32(p + 4, o->sack[i].end);
			p += 8;
		}
	}
	return (uint32_t)(p - s);
}

/* Parse @len option bytes; -EINVAL for a malformed list. */
int tcp_opts_parse(const uint8_t *p, uint32_t len, struct bypass_tcp_opts *o)
{
	const uint8_t *end = p + len;

	memset(o, 0, sizeof(*o));
	while (p < end) {
		uint8_t kind = p[0], olen;

		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			p++;
			continue;
		}
		if (end - p < 2)
			return -EINVAL;
		olen = p[1];
		if (olen < 2 || olen > end - p)
			return -EINVAL;
		switch (kind) {
		case OPT_MSS:
			if (olen != 4)
				return -EINVAL;
			o->has_mss = true;
			o->mss = (uint16_t)(p[2] << 8 | p[3]);
			break;
		case OPT_WSCALE:
			if (olen != 3)
				return -EINVAL;
			o->has_wscale = true;
			o->wscale = p[2];
			break;
		case OPT_SACK_OK:
			if (olen != 2)
				return -EINVAL;
			o->sack_ok = true;
			break;
		case OPT_TS:
			if (olen != 10)
				return -EINVAL;
			o->has_ts = true;
			o->ts_val = get32(p + 2);
			o->ts_ecr = get32(p + 6);
			break;
		case OPT_SACK: {
			uint32_t i, n = (olen - 2u) / 8;

			if ((olen - 2u) % 8 || !n)
				return -EINVAL;
			if (n > BYPASS_TCP_SACK_MAX)
				n = BYPASS_TCP_SACK_MAX;
			for (i = 0; i < n; i++) {
				o->sack[i].start = get32(p + 2 + 8 * i);
				o->sack[i].end = get32(p + 6 + 8 * i);
			}
			o->nr_sack = (uint8_t)n;
			break;
		}
		default:
			break;	/* unknown options are skipped */
		}
		p += olen;
	}
	return 0;
}
