// SPDX-License-Identifier: GPL-2.0
/*
 * UDP echo server for the benchmarks, on either stack:
 *   udp_echo_srv --linux IP PORT        a plain socket, blocking recvfrom
 *   udp_echo_srv --bypass PCI IP PORT   libbypass on a claimed NIC, busy
 *                                       polling (no system calls per packet)
 * Prints "ready" once serving; stops on SIGTERM/SIGINT and prints the
 * CPU time it used.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_kdev.h"
#include "bypass_stack.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void report(unsigned long long served)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("served %llu cpu_s %.3f\n", served,
	       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

static int serve_linux(const char *ip, int port)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) }, from;
	unsigned long long served = 0;
	unsigned char b[2048];
	socklen_t fl;
	ssize_t n;
	int s = socket(AF_INET, SOCK_DGRAM, 0);

	if (s < 0 || inet_pton(AF_INET, ip, &me.sin_addr) != 1 ||
	    bind(s, (void *)&me, sizeof(me))) {
		perror("udp_echo_srv");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		fl = sizeof(from);
		n = recvfrom(s, b, sizeof(b), 0, (void *)&from, &fl);
		if (n < 0)
			continue;	/* EINTR on stop */
		if (sendto(s, b, (size_t)n, 0, (void *)&from, fl) == n)
			served++;
	}
	report(served);
	return 0;
}

static int serve_bypass(const char *pci, const char *ip, int port)
{
	struct bypass_stack_config cfg = { .prefix_len = 24 };
	unsigned long long served = 0;
	struct bypass_stack *st;
	struct bypass_udp *sock;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t from;
	int err;

	err = bypass_kdev_open(pci, 0, &dev);
	if (err) {
		fprintf(stderr, "udp_echo_srv: %s: %s\n", pci, strerror(-err));
		return 1;
	}
	if (inet_pton(AF_INET, ip, &cfg.addr) != 1 || bypass_stack_create(dev, &cfg, &st) ||
	    bypass_udp_open(st, (uint16_t)port, &sock)) {
		fprintf(stderr, "udp_echo_srv: stack setup failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (!bypass_stack_poll(st))
			continue;
		while ((b = bypass_udp_recv(sock, &addr, &from))) {
			if (!bypass_udp_sendto(sock, b, addr, from))
				served++;
		}
		bypass_stack_flush(st);
	}
	report(served);
	bypass_udp_close(sock);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc == 4 && !strcmp(argv[1], "--linux"))
		return serve_linux(argv[2], atoi(argv[3]));
	if (argc == 5 && !strcmp(argv[1], "--bypass"))
		return serve_bypass(argv[2], argv[3], atoi(argv[4]));
	fprintf(stderr, "usage: udp_echo_srv --linux IP PORT | --bypass PCI IP PORT\n");
	return 2;
}
