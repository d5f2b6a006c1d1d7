/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The round-trip distribution of a request/response client, for the
 * benchmark report's latency plots: after the summary line, one line
 * "cdf_us P:US ..." with the round trip (microseconds) at each percentile
 * from 1 to 99 and at 99.5, 99.9 and 100, read from sorted samples.
 */
#ifndef BENCH_RTT_CDF_H
#define BENCH_RTT_CDF_H

#include <stdint.h>
#include <stdio.h>

static inline void rtt_cdf_print(const uint32_t *sorted_ns, uint64_t n)
{
	static const unsigned int tail_permille[] = { 995, 999, 1000 };
	unsigned int i;

	if (!n)
		return;
	printf("cdf_us");
	for (i = 10; i <= 990; i += 10)
		printf(" %.1f:%.1f", i / 10.0, sorted_ns[n * i / 1000] / 1e3);
	for (i = 0; i < sizeof(tail_permille) / sizeof(tail_permille[0]); i++) {
		uint64_t k = n * tail_permille[i] / 1000;

		printf(" %.1f:%.1f", tail_permille[i] / 10.0,
		       sorted_ns[k < n ? k : n - 1] / 1e3);
	}
	printf("\n");
}

#endif /* BENCH_RTT_CDF_H */
