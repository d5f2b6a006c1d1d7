// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A TCP echo server on the native zero-copy API: what a pop delivers is
 * pushed straight back in the same pool buffers, never copied. One thread
 * waits on all its tokens at once and sleeps while nothing happens.
 *
 *   tcp_echo [--bypass PCI] [--addr A.B.C.D] [--port N]
 *
 * Without --addr the address recorded by `bypassctl claim` is used.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "bypass_api.h"

#define MAX_TOKENS	2048

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Outstanding tokens, unordered: a completed one is replaced by the last. */
static bypass_qtoken_t qts[MAX_TOKENS];
static uint32_t nr_qts;

/*
 * Operations are started with their token written to the next free slot,
 * qts[nr_qts]; keep() makes it count when the call succeeded. A
 * connection holds at most two tokens (a pop and a push), so the array
 * cannot overflow while accepting stops short of it.
 */
static int keep(int r)
{
	if (!r)
		nr_qts++;
	return r;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "bypass", required_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ 0 }
	};
	struct bypass_ctx_config cfg = { 0 };
	const struct timespec tick = { 0, 200 * 1000000 };
	struct sigaction sa = { .sa_handler = on_signal };
	struct bypass_qresult res;
	struct bypass_ctx *ctx;
	uint16_t port = 7;
	uint64_t echoed = 0;
	bool accepting = false;
	int lqd, r, i, o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'b': cfg.device = optarg; break;
		case 'a':
			if (inet_pton(AF_INET, optarg, &cfg.stack.addr) != 1)
				return 2;
			cfg.stack.prefix_len = 24;
			break;
		case 'p': port = (uint16_t)atoi(optarg); break;
		default:
			fprintf(stderr, "usage: tcp_echo [--bypass PCI] [--addr A.B.C.D] [--port N]\n");
			return 2;
		}
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	r = bypass_ctx_open(&cfg, &ctx);
	if (r) {
		fprintf(stderr, "tcp_echo: %s\n", strerror(-r));
		return 1;
	}
	lqd = bypass_qsocket(ctx, SOCK_STREAM);
	r = lqd < 0 ? lqd : bypass_qbind(ctx, lqd, 0, port);
	if (!r)
		r = bypass_qlisten(ctx, lqd, 128);
	if (r) {
		fprintf(stderr, "tcp_echo: listen: %s\n", strerror(-r));
		return 1;
	}
	printf("ready: echo on port %u\n", port);
	fflush(stdout);

	while (!stop) {
		/* Accept the next connection while tokens remain for it. */
		if (!accepting && nr_qts + 3 < MAX_TOKENS) {
			if (keep(bypass_qaccept(ctx, lqd, &qts[nr_qts])))
				break;
			accepting = true;
		}
		/* Wake up now and then to notice a signal. */
		i = bypass_qwait_any(ctx, qts, nr_qts, &res, &tick);
		if (i == -ETIMEDOUT)
			continue;
		if (i < 0) {
			fprintf(stderr, "tcp_echo: wait: %s\n", strerror(-i));
			break;
		}
		qts[i] = qts[--nr_qts];
		r = 0;
		switch (res.opcode) {
		case BYPASS_OP_ACCEPT:
			if (!res.err)
				r = keep(bypass_qpop(ctx, res.new_qd, &qts[nr_qts]));
			accepting = false;
			break;
		case BYPASS_OP_POP:
			if (res.err || !res.sga.nr_segs) {	/* EOF or reset */
				bypass_sga_free(&res.sga);
				bypass_qclose(ctx, res.qd);
				break;
			}
			echoed += bypass_sga_len(&res.sga);
			/* The same buffers go back out: zero copies. */
			r = keep(bypass_qpush(ctx, res.qd, &res.sga, &qts[nr_qts]));
			if (!r)
				r = keep(bypass_qpop(ctx, res.qd, &qts[nr_qts]));
			if (r)
				bypass_qclose(ctx, res.qd);
			r = 0;
			break;
		default:	/* a push finished (or failed with the connection) */
			break;
		}
		if (r) {
			fprintf(stderr, "tcp_echo: %s\n", strerror(-r));
			break;
		}
	}
	printf("echoed %llu bytes\n", (unsigned long long)echoed);
	bypass_ctx_destroy(ctx);
	return 0;
}
