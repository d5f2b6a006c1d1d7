/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * TCP sequence-number arithmetic (RFC 9293 section 3.4): comparisons
 * modulo 2^32, valid while the numbers compared are less than 2^31 apart.
 */
#ifndef BYPASS_TCP_SEQ_H
#define BYPASS_TCP_SEQ_H

#include <stdbool.h>
#include <stdint.h>

static inline bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static inline bool seq_leq(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static inline bool seq_gt(uint32_t a, uint32_t b)
{
	return seq_lt(b, a);
}

static inline bool seq_geq(uint32_t a, uint32_t b)
{
	return seq_leq(b, a);
}

/* lo <= x < hi, modulo 2^32. */
static inline bool seq_in(uint32_t x, uint32_t lo, uint32_t hi)
{
	return x - lo < hi - lo;
}

static inline uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_gt(a, b) ? a : b;
}

static inline uint32_t seq_min(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? a : b;
}

#endif /* BYPASS_TCP_SEQ_H */
