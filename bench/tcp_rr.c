// SPDX-License-Identifier: GPL-2.0
/*
 * TCP request/response client for the benchmarks: one connection, Nagle
 * off, one SIZE-byte request in flight, each response read in full and
 * checked, for a fixed time. Prints transactions per second and the
 * median and 99th percentile round trip, then its distribution
 * (rtt_cdf.h). Runs on the Linux stack; the echo server under test
 * (tcp_srv, port 7) may be bypass or Linux.
 *
 *   tcp_rr IP PORT SECONDS [SIZE]
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

/* Read exactly @len bytes; -1 on error, timeout (SO_RCVTIMEO) or EOF. */
static int read_full(int s, unsigned char *p, size_t len)
{
	while (len) {
		ssize_t r = recv(s, p, len, 0);

		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { 5, 0 };
	static uint32_t rtt_ns[MAX_SAMPLES];
	unsigned char req[65536], rsp[65536];
	uint64_t start, end, t0, n = 0, m;
	size_t size;
	int s, one = 1;

	if (argc < 4) {
		fprintf(stderr, "usage: tcp_rr IP PORT SECONDS [SIZE]\n");
		return 2;
	}
	size = argc > 4 ? strtoul(argv[4], NULL, 0) : 64;
	if (size < 8 || size > sizeof(req))
		return 2;
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(s, (void *)&to, sizeof(to))) {
		perror("tcp_rr: connect");
		return 1;
	}
	memset(req, 0x5a, size);
	start = now_ns();
	end = start + strtoull(argv[3], NULL, 0) * 1000000000ull;
	while ((t0 = now_ns()) < end) {
		memcpy(req, &n, sizeof(n));
		if (send(s, req, size, 0) != (ssize_t)size) {
			perror("tcp_rr: send");
			return 1;
		}
		if (read_full(s, rsp, size) || memcmp(rsp, req, size)) {
			fprintf(stderr, "tcp_rr: bad or missing response %llu\n",
				(unsigned long long)n);
			return 1;
		}
		if (n < MAX_SAMPLES)
			rtt_ns[n] = (uint32_t)(now_ns() - t0);
		n++;
	}
	if (!n) {
		fprintf(stderr, "tcp_rr: no responses\n");
		return 1;
	}
	m = n < MAX_SAMPLES ? n : MAX_SAMPLES;
	qsort(rtt_ns, m, sizeof(rtt_ns[0]), cmp_u32);
	printf("transactions %llu rate %.0f/s median_us %.1f p99_us %.1f\n",
	       (unsigned long long)n, n * 1e9 / (double)(now_ns() - start),
	       rtt_ns[m / 2] / 1e3, rtt_ns[m * 99 / 100] / 1e3);
	rtt_cdf_print(rtt_ns, m);
	close(s);
	return 0;
}
