// SPDX-License-Identifier: GPL-2.0
/*
 * UDP request/response client for the benchmarks: one datagram in flight,
 * each reply checked, for a fixed time. Prints transactions per second and
 * the median and 99th percentile round trip, then its distribution
 * (rtt_cdf.h). Runs on the Linux stack; the server under test may be
 * bypass or Linux.
 *
 *   udp_rr IP PORT SECONDS [SIZE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "rtt_cdf.h"

#define MAX_SAMPLES (1 << 22)

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { 1, 0 };
	static uint32_t rtt_ns[MAX_SAMPLES];
	unsigned char req[1472], rsp[2048];
	uint64_t start, end, t0, n = 0, lost = 0;
	size_t size;
	int s;

	if (argc < 4) {
		fprintf(stderr, "usage: udp_rr IP PORT SECONDS [SIZE]\n");
		return 2;
	}
	size = argc > 4 ? strtoul(argv[4], NULL, 0) : 64;
	if (size < 8 || size > sizeof(req))
		return 2;
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || connect(s, (void *)&to, sizeof(to)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		perror("udp_rr: socket");
		return 1;
	}
	memset(req, 0x5a, size);
	start = now_ns();
	end = start + strtoull(argv[3], NULL, 0) * 1000000000ull;
	while ((t0 = now_ns()) < end) {
		ssize_t r;

		memcpy(req, &n, sizeof(n));
		if (send(s, req, size, 0) != (ssize_t)size) {
			perror("udp_rr: send");
			return 1;
		}
		do {
			r = recv(s, rsp, sizeof(rsp), 0);
		} while (r >= 8 && memcmp(rsp, &n, sizeof(n)));	/* stale reply */
		if (r < 0 && errno == EAGAIN) {
			lost++;
			continue;
		}
		if (r != (ssize_t)size || memcmp(rsp, req, size)) {
			fprintf(stderr, "udp_rr: bad reply\n");
			return 1;
		}
		if (n < MAX_SAMPLES)
			rtt_ns[n] = (uint32_t)(now_ns() - t0);
		n++;
	}
	if (!n) {
		fprintf(stderr, "udp_rr: no replies\n");
		return 1;
	}
	qsort(rtt_ns, n < MAX_SAMPLES ? n : MAX_SAMPLES, sizeof(rtt_ns[0]), cmp_u32);
	printf("transactions %llu rate %.0f/s median_us %.1f p99_us %.1f lost %llu\n",
	       (unsigned long long)n, n * 1e9 / (double)(now_ns() - start),
	       rtt_ns[(n < MAX_SAMPLES ? n : MAX_SAMPLES) / 2] / 1e3,
	       rtt_ns[(n < MAX_SAMPLES ? n : MAX_SAMPLES) * 99 / 100] / 1e3,
	       (unsigned long long)lost);
	rtt_cdf_print(rtt_ns, n < MAX_SAMPLES ? n : MAX_SAMPLES);
	return 0;
}
