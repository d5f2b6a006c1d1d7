// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Initial sequence numbers per RFC 6528: ISN = M + F(4-tuple, secret),
 * M a clock ticking every 4 microseconds and F SipHash-2-4 keyed with the
 * engine's secret, so that ISNs of one 4-tuple keep increasing and those
 * of another cannot be guessed. The same hash gives each connection its
 * timestamp offset (RFC 7323 section 5.4).
 */
#include <string.h>

#include "tcp.h"

static inline uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

static inline uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline void sipround(uint64_t v[4])
{
	v[0] += v[1];
	v[1] = rotl(v[1], 13);
	v[1] ^= v[0];
	v[0] = rotl(v[0], 32);
	v[2] += v[3];
	v[3] = rotl(v[3], 16);
	v[3] ^= v[2];
	v[0] += v[3];
	v[3] = rotl(v[3], 21);
	v[3] ^= v[0];
	v[2] += v[1];
	v[1] = rotl(v[1], 17);
	v[1] ^= v[2];
	v[2] = rotl(v[2], 32);
}

uint64_t tcp_siphash(const uint8_t key[16], const void *data, uint32_t len)
{
	const uint8_t *p = data;
	uint64_t k0 = le64(key), k1 = le64(key + 8);
	uint64_t v[4] = {
		k0 ^ 0x736f6d6570736575ull, k1 ^ 0x646f72616e646f6dull,
		k0 ^ 0x6c7967656e657261ull, k1 ^ 0x7465646279746573ull,
	};
	uint64_t m;
	uint8_t tail[8] = { 0 };
	uint32_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		m = le64(p + i);
		v[3] ^= m;
		sipround(v);
		sipround(v);
		v[0] ^= m;
	}
	memcpy(tail, p + i, len - i);
	tail[7] = (uint8_t)len;
	m = le64(tail);
	v[3] ^= m;
	sipround(v);
	sipround(v);
	v[0] ^= m;
	v[2] ^= 0xff;
	for (i = 0; i < 4; i++)
		sipround(v);
	return v[0] ^ v[1] ^ v[2] ^ v[3];
}

static uint64_t tuple_hash(struct bypass_tcp *tcp, uint32_t laddr,
			   uint16_t lport, uint32_t raddr, uint16_t rport,
			   uint8_t what)
{
	uint8_t in[13];

	memcpy(in, &laddr, 4);
	memcpy(in + 4, &raddr, 4);
	memcpy(in + 8, &lport, 2);
	memcpy(in + 10, &rport, 2);
	in[12] = what;
	return tcp_siphash(tcp->cfg.secret, in, sizeof(in));
}

uint32_t tcp_isn(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport, uint64_t now_ns)
{
	uint32_t m = (uint32_t)((now_ns + tcp->isn_drift_ns) / 4000);

	return m + (uint32_t)tuple_hash(tcp, laddr, lport, raddr, rport, 0);
}

uint32_t tcp_ts_offset(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport)
{
	return (uint32_t)tuple_hash(tcp, laddr, lport, raddr, rport, 1);
}
