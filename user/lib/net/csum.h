/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The Internet checksum (RFC 1071), inlined where the datapath needs it:
 * the general sum (64-bit words added with end-around carry, eight words
 * a step, the last 0 to 16 words in one chain entered part way, then the
 * tail of 0 to 7 bytes, the 64-bit total folded once at the end), the
 * 20-byte IPv4 header (no options) as two 64-bit words and a 32-bit one, and
 * the sum of a piece that sits at an odd or even offset of the summed data.
 */
#ifndef BYPASS_CSUM_H
#define BYPASS_CSUM_H

#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "libbypass.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

/* @acc + @w with the carry out of bit 63 added back in (end-around). */
static inline uint64_t csum_add64(uint64_t acc, uint64_t w)
{
	acc += w;
	return acc + (acc < w);
}

#if defined(__x86_64__)
/* Add-with-carry the 64-bit words @a and @b bytes past %[p] into %[acc]. */
#define CSUM_ADC2(a, b) \
	"adcq " #a "(%[p]), %[acc]\n\tadcq " #b "(%[p]), %[acc]\n\t"
/* Add the @n bytes at @p into @acc with the add-with-carry chain @adcs. */
#define CSUM_ADC(acc, p, n, adcs) \
	__asm__("clc\n\t" adcs "adcq $0, %[acc]" \
		: [acc] "+r" (acc) \
		: [p] "r" (p), "m" (*(const uint8_t (*)[n])(p)) : "cc")

/* Add-with-carry the word @a bytes before %[e] (a negative disp8). */
#define CSUM_ADC_END(a) "adcq -" #a "(%[e]), %[acc]\n\t"

/*
 * Add the whole 64-bit words of the @len (at most 135) bytes at @p to
 * @acc: one jump into a chain of 16 add-with-carry instructions that each
 * read the word a fixed distance before the words' end, entered as many
 * instructions before the chain ends as there are words. The words'
 * bytes, their end and the entry are worked out from @len inside the asm
 * (six instructions), not by the caller. Each chain instruction is 4 bytes (REX, opcode, ModRM,
 * disp8: the displacements, -128 to -8, are never 0 and always fit a
 * byte), with a base register whose ModRM needs no SIB byte (not rsp or
 * r12), so the entry is the end minus half the words' bytes; test_csum
 * sums every length at every alignment against a reference.
 */
static inline uint64_t csum_words16(const uint8_t *p, size_t len, uint64_t acc)
{
	const uint8_t *end;
	uint64_t to, t;

	__asm__("mov %[len], %[t]\n\t"
		"and $-8, %[t]\n\t"
		"lea (%[p],%[t]), %[e]\n\t"
		"shr $1, %[t]\n\t"
		"lea 1f(%%rip), %[to]\n\t"
		"sub %[t], %[to]\n\t"
		"clc\n\t"
		"jmp *%[to]\n\t"
		CSUM_ADC_END(128) CSUM_ADC_END(120) CSUM_ADC_END(112)
		CSUM_ADC_END(104) CSUM_ADC_END(96) CSUM_ADC_END(88)
		CSUM_ADC_END(80) CSUM_ADC_END(72) CSUM_ADC_END(64)
		CSUM_ADC_END(56) CSUM_ADC_END(48) CSUM_ADC_END(40)
		CSUM_ADC_END(32) CSUM_ADC_END(24) CSUM_ADC_END(16)
		CSUM_ADC_END(8)
		"1:\n\t"
		"adcq $0, %[acc]"
		: [acc] "+r" (acc), [to] "=&r" (to), [t] "=&r" (t),
		  [e] "=&SDabcd" (end)
		: [p] "r" (p), [len] "r" (len),
		  "m" (*(const uint8_t (*)[16 * 8])p)
		: "cc");
	return acc;
}
#endif

/*
 * Sum the whole 64-bit words of the @len bytes at @p (the last 0 to 7
 * bytes are left out). On x86-64 add-with-carry chains take a word per
 * instruction: eight a step while more than 16 words are left, then the
 * rest (0 to 16) in one chain entered at the point that leaves as many
 * words as are left; elsewhere each add counts its carry.
 */
static inline uint64_t csum_words(const uint8_t *p, size_t len, uint64_t acc)
{
#if defined(__x86_64__)
	for (; len >= 17 * 8; len -= 64, p += 64)
		CSUM_ADC(acc, p, 64, CSUM_ADC2(0, 8) CSUM_ADC2(16, 24)
				     CSUM_ADC2(32, 40) CSUM_ADC2(48, 56));
	acc = csum_words16(p, len, acc);
#else
	size_t n8 = len / 8;
	uint64_t carry = 0;

	/*
	 * 2^64 is 1 modulo 0xffff: each carry out of the accumulator counts
	 * one, added back at the end.
	 */
	for (; n8 >= 4; n8 -= 4, p += 32) {
		uint64_t w[4];

		memcpy(w, p, sizeof(w));
		acc += w[0];
		carry += acc < w[0];
		acc += w[1];
		carry += acc < w[1];
		acc += w[2];
		carry += acc < w[2];
		acc += w[3];
		carry += acc < w[3];
	}
	for (; n8; n8--, p += 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		acc += w;
		carry += acc < w;
	}
	acc = csum_add64(acc, carry);
#endif
	return acc;
}

/*
 * The sum of @len bytes at @data plus @sum, as a 64-bit one's-complement
 * sum: fold it with csum_fold64().
 */
static inline uint64_t csum_partial64(const void *data, size_t len, uint64_t sum)
{
	const uint8_t *p = data;
	uint64_t acc = csum_words(p, len, sum);

	if (len & 7) {
		/*
		 * The last 1 to 7 bytes: a 32-bit and a 16-bit word at even
		 * offsets, taken as such, and an odd last byte as the first
		 * byte of a 16-bit word padded with zero (RFC 1071).
		 */
		uint64_t t = 0;
		uint32_t w4;
		uint16_t w2, w1 = 0;

		p += len & ~(size_t)7;
		if (len & 4) {
			memcpy(&w4, p, 4);
			t += w4;
			p += 4;
		}
		if (len & 2) {
			memcpy(&w2, p, 2);
			t += w2;
			p += 2;
		}
		if (len & 1) {
			memcpy(&w1, p, 1);
			t += w1;
		}
		acc = csum_add64(acc, t);
	}
	return acc;
}

/*
 * The IPv4 pseudo-header's sum (RFC 768, RFC 793) for @proto and @len
 * bytes from @src to @dst (network order), unfolded: a start for
 * csum_partial64(). The one's complement sum does not care about byte
 * order as long as every word is taken in the same (memory) order.
 */
static inline uint64_t csum_pseudo64(uint32_t src, uint32_t dst, uint8_t proto,
				     uint16_t len)
{
	return (uint64_t)src + dst + htons(proto) + htons(len);
}

/* bypass_csum_partial(), inlined: the sum folded to 32 bits. */
static inline uint32_t csum_partial(const void *data, size_t len, uint32_t sum)
{
	uint64_t acc = csum_partial64(data, len, sum);

	/* 64 to 33 bits, then to 32. */
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	return (uint32_t)acc;
}

/*
 * Fold a 32-bit one's-complement sum to 16 bits and invert it. Adding a
 * word to itself rotated by half its width leaves in the upper half the
 * two halves' end-around sum (the lower half's carry lands there, and
 * that sum cannot overflow again).
 */
static inline uint16_t csum_fold32(uint32_t w)
{
	w += w >> 16 | w << 16;
	return (uint16_t)~(w >> 16);
}

/*
 * Fold a 64-bit one's-complement sum to 16 bits and invert it: 64 bits
 * to 32 as csum_fold32() does 32 to 16, then 32 to 16.
 */
static inline uint16_t csum_fold64(uint64_t s)
{
	s += s >> 32 | s << 32;
	return csum_fold32((uint32_t)(s >> 32));
}

/*
 * The checksum of the 20 bytes at @hdr (an IPv4 header without options):
 * 0 over a header whose checksum field is right, the value to store when
 * that field is 0.
 */
static inline uint16_t csum_ipv4_hdr20(const void *hdr)
{
	const uint8_t *p = hdr;
	uint64_t w0, w1;
	uint32_t w2;

	/* Three loads straight from the header (8, 8, 4 bytes), not a copy. */
	memcpy(&w0, p, 8);
	memcpy(&w1, p + 8, 8);
	memcpy(&w2, p + 16, 4);
	return csum_fold64(csum_add64(csum_add64(w0, w1), w2));
}

/* Add the sum of @len bytes that sit at byte @off of the summed data. */
static inline uint32_t csum_add_at(uint32_t sum, const uint8_t *p, uint32_t len,
				   uint32_t off)
{
	uint32_t s = (uint16_t)~bypass_csum_fold(bypass_csum_partial(p, len, 0));
	uint64_t acc;

	/* At an odd offset every byte sits in the other half of its word. */
	if (off & 1)
		s = ((s & 0xff) << 8) | (s >> 8);
	acc = (uint64_t)sum + s;
	return (uint32_t)((acc & 0xffffffffu) + (acc >> 32));
}


#pragma GCC visibility pop

#endif /* BYPASS_CSUM_H */
