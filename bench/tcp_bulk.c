// SPDX-License-Identifier: GPL-2.0
/*
 * TCP bulk throughput client for the benchmarks: one connection to a
 * discard server (tcp_srv, port 9), MIB mebibytes written as fast as the
 * connection takes them, then a half-close; the clock stops when the
 * server's FIN arrives, which it sends only after reading every byte.
 * Prints the bytes, the time and the rate. Runs on the Linux stack; the
 * server under test may be bypass or Linux.
 *
 *   tcp_bulk IP PORT MIB
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int main(int argc, char **argv)
{
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct timeval tv = { 30, 0 };
	static unsigned char buf[256 * 1024];
	uint64_t total, sent = 0, t0, t;
	unsigned char c;
	ssize_t r;
	int s;

	if (argc != 4) {
		fprintf(stderr, "usage: tcp_bulk IP PORT MIB\n");
		return 2;
	}
	total = strtoull(argv[3], NULL, 0) << 20;
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	if (!total || inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	memset(buf, 0xa5, sizeof(buf));
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv))) {
		perror("tcp_bulk: socket");
		return 1;
	}
	t0 = now_ns();
	if (connect(s, (void *)&to, sizeof(to))) {
		perror("tcp_bulk: connect");
		return 1;
	}
	while (sent < total) {
		size_t len = total - sent < sizeof(buf) ? total - sent : sizeof(buf);

		r = send(s, buf, len, MSG_NOSIGNAL);
		if (r <= 0) {
			perror("tcp_bulk: send");
			return 1;
		}
		sent += (uint64_t)r;
	}
	if (shutdown(s, SHUT_WR)) {
		perror("tcp_bulk: shutdown");
		return 1;
	}
	r = recv(s, &c, 1, 0);	/* the server's FIN: it has read everything */
	t = now_ns() - t0;
	if (r != 0) {
		fprintf(stderr, "tcp_bulk: no FIN from the server (%zd, %s)\n", r,
			r < 0 ? strerror(errno) : "data");
		return 1;
	}
	printf("bytes %llu seconds %.3f rate %.1f Mbit/s\n", (unsigned long long)total,
	       t / 1e9, total * 8 / (t / 1e3) );
	close(s);
	return 0;
}
