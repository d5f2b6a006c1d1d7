// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A UDP echo server on the native zero-copy API: each datagram goes back
 * to its sender in the buffer it arrived in.
 *
 *   udp_echo [--bypass PCI] [--addr A.B.C.D] [--port N] [--busy-poll]
 *
 * Without --addr the address recorded by `bypassctl claim` is used. By
 * default it sleeps on the queue's interrupt while idle; --busy-poll
 * spins instead (no system call per packet, one core always busy).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bypass_api.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bypass", required_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "busy-poll", no_argument, NULL, 'P' },
		{ 0 }
	};
	const struct timespec tick = { 0, 200 * 1000000 }, zero = { 0, 0 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct bypass_ctx_config cfg = { 0 };
	struct bypass_qresult res;
	struct bypass_ctx *ctx;
	bypass_qtoken_t pop, push;
	uint64_t echoed = 0;
	uint16_t port = 7;
	bool busy = false;
	int qd, r, o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': cfg.device = optarg; break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &cfg.stack.addr) != 1)
				return 2;
			cfg.stack.prefix_len = 24;
			break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		case 'P': busy = true; break;
		default:
			fprintf(stderr, "usage: udp_echo [--bypass PCI] [--addr A.B.C.D] [--port N] [--busy-poll]\n");
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = bypass_ctx_open(&cfg, &ctx);
	if (r) {
		fprintf(stderr, "udp_echo: %s\n", strerror(-r));
		return 1;
	}
	qd = bypass_qsocket(ctx, SOCK_DGRAM);
	r = qd < 0 ? qd : bypass_qbind(ctx, qd, 0, port);
	if (!r)
		r = bypass_qpop(ctx, qd, &pop);
	if (r) {
		fprintf(stderr, "udp_echo: %s\n", strerror(-r));
		return 1;
	}
	printf("ready: udp echo on port %u\n", port);
	fflush(stdout);
	while (!stop) {
		r = bypass_qwait(ctx, pop, &res, busy ? &zero : &tick);
		if (r == -ETIMEDOUT)
			continue;
		if (r || res.err)
			break;
		/* res.sga names the sender: send the same buffer back. */
		if (!bypass_qpushto(ctx, qd, &res.sga, &push)) {
			bypass_qwait(ctx, push, NULL, &zero);
			echoed++;
		}
		r = bypass_qpop(ctx, qd, &pop);
		if (r)
			break;
	}
	printf("echoed %llu datagrams\n", (unsigned long long)echoed);
	bypass_ctx_destroy(ctx);
	return 0;
}
