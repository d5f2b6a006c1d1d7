// SPDX-License-Identifier: GPL-2.0
/*
 * TCP server for the benchmarks, the same logic on either stack: port 7
 * echoes every byte back (request/response), port 9 reads and discards
 * (bulk throughput); a connection is closed after the client's FIN.
 *   tcp_srv --linux IP           kernel sockets, blocking poll()
 *   tcp_srv --bypass PCI IP      libbypass on a claimed NIC, the default
 *                                wait policy (bypass_stack_wait: a spin
 *                                that adapts to the load, then asleep on
 *                                the interrupt)
 *   tcp_srv --bypass PCI IP --busy   ... busy polling instead (one core
 *                                spinning, no system call per packet)
 * Both turn Nagle off on accepted connections. Prints "ready" once
 * serving; stops on SIGTERM/SIGINT and prints the bytes echoed and
 * discarded and the CPU time it used (bypass: also its TCP segment
 * counters and drops).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/virtio_net.h>

#include "bypass_kdev.h"
#include "bypass_stack.h"

#define ECHO_PORT	7
#define DISCARD_PORT	9
#define MAX_CONNS	8

static volatile sig_atomic_t stop;
static unsigned long long echoed, discarded;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void report(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	printf("echoed %llu discarded %llu cpu_s %.3f\n", echoed, discarded,
	       ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
}

static int linux_listen(const char *ip, int port)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (s < 0 || inet_pton(AF_INET, ip, &me.sin_addr) != 1 ||
	    setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s, (void *)&me, sizeof(me)) || listen(s, 16)) {
		perror("tcp_srv: listen");
		return -1;
	}
	return s;
}

static int serve_linux(const char *ip)
{
	/* [0], [1]: the listeners; then connections. */
	struct pollfd p[2 + MAX_CONNS];
	bool echo[2 + MAX_CONNS];
	static unsigned char b[65536];
	int i, n = 2, one = 1;
	ssize_t r;

	p[0].fd = linux_listen(ip, ECHO_PORT);
	p[1].fd = linux_listen(ip, DISCARD_PORT);
	if (p[0].fd < 0 || p[1].fd < 0)
		return 1;
	p[0].events = p[1].events = POLLIN;
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		if (poll(p, (nfds_t)n, -1) < 0)
			continue;	/* EINTR on stop */
		for (i = 0; i < 2; i++) {
			int c;

			if (!(p[i].revents & POLLIN) || n == 2 + MAX_CONNS)
				continue;
			c = accept(p[i].fd, NULL, NULL);
			if (c < 0)
				continue;
			setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			p[n].fd = c;
			p[n].events = POLLIN;
			p[n].revents = 0;
			echo[n++] = i == 0;
		}
		for (i = 2; i < n; i++) {
			if (!p[i].revents)
				continue;
			r = recv(p[i].fd, b, sizeof(b), 0);
			if (r > 0 && echo[i]) {
				if (send(p[i].fd, b, (size_t)r, MSG_NOSIGNAL) != r)
					r = -1;
				else
					echoed += (unsigned long long)r;
			} else if (r > 0) {
				discarded += (unsigned long long)r;
			}
			if (r <= 0) {
				close(p[i].fd);
				p[i] = p[--n];
				echo[i] = echo[n];
				i--;
			}
		}
	}
	report();
	return 0;
}

static int serve_bypass(const char *pci, const char *ip, bool busy)
{
	struct bypass_stack_config cfg = { .prefix_len = 24 };
	struct bypass_tcp_conn *l[2], *c[MAX_CONNS] = { 0 };
	struct bypass_counters cnt;
	bool echo[MAX_CONNS];
	struct bypass_stack *st;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	int err, i, k;

	err = bypass_kdev_open(pci, 0, &dev);
	if (err) {
		fprintf(stderr, "tcp_srv: %s: %s\n", pci, strerror(-err));
		return 1;
	}
	/*
	 * BYPASS_NO_OFFLOAD=1: checksums and segmentation of what we send in
	 * software. What the device hands up under GUEST_CSUM (NEEDS_CSUM
	 * frames carry no complete checksum) must still be taken as it is.
	 */
	if (getenv("BYPASS_NO_OFFLOAD"))
		dev->features &= ~(1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4);
	printf("features %#llx\n", (unsigned long long)dev->features);
	if (inet_pton(AF_INET, ip, &cfg.addr) != 1 || bypass_stack_create(dev, &cfg, &st) ||
	    bypass_stack_tcp_listen(st, ECHO_PORT, 16, &l[0]) ||
	    bypass_stack_tcp_listen(st, DISCARD_PORT, 16, &l[1])) {
		fprintf(stderr, "tcp_srv: stack setup failed\n");
		return 1;
	}
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		/* A signal ends the sleep: stop is looked at every 100 ms. */
		if (!busy)
			bypass_stack_wait(st, 100);
		bypass_stack_poll(st);
		for (k = 0; k < 2; k++) {
			for (i = 0; i < MAX_CONNS; i++) {
				if (c[i])
					continue;
				c[i] = bypass_tcp_accept(l[k]);
				if (!c[i])
					break;
				bypass_tcp_set_nodelay(c[i], true);
				echo[i] = k == 0;
			}
		}
		for (i = 0; i < MAX_CONNS; i++) {
			if (!c[i])
				continue;
			if (echo[i]) {
				/* Zero copy: the received buffer goes back out. */
				while (bypass_tcp_send_room(c[i]) && (b = bypass_tcp_recv(c[i]))) {
					uint32_t len = b->len;

					if (!bypass_tcp_send(c[i], b))
						echoed += len;
				}
			} else {
				while ((b = bypass_tcp_recv(c[i]))) {
					discarded += b->len;
					bypass_buf_put(b);
				}
			}
			if (bypass_tcp_eof(c[i]) || bypass_tcp_error(c[i])) {
				bypass_tcp_close(c[i]);
				c[i] = NULL;
			}
		}
		bypass_stack_flush(st);
	}
	report();
	bypass_stack_counters(st, &cnt);
	printf("tcp_rx %llu tcp_tx %llu drops %llu rx_merged %llu rx_csum_valid %llu tx_tso %llu\n",
	       (unsigned long long)cnt.tcp.rx, (unsigned long long)cnt.tcp.tx,
	       (unsigned long long)bypass_drops_total(&cnt),
	       (unsigned long long)cnt.offload.rx_merged,
	       (unsigned long long)cnt.offload.rx_csum_valid,
	       (unsigned long long)cnt.offload.tx_tso);
	for (i = 0; i < MAX_CONNS; i++)
		if (c[i])
			bypass_tcp_abort(c[i]);
	bypass_tcp_close(l[0]);
	bypass_tcp_close(l[1]);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (argc == 3 && !strcmp(argv[1], "--linux"))
		return serve_linux(argv[2]);
	if ((argc == 4 || (argc == 5 && !strcmp(argv[4], "--busy"))) &&
	    !strcmp(argv[1], "--bypass"))
		return serve_bypass(argv[2], argv[3], argc == 5);
	fprintf(stderr, "usage: tcp_srv --linux IP | --bypass PCI IP [--busy]\n");
	return 2;
}
