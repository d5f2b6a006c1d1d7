// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * CUBIC congestion control (RFC 9438): the window's growth after a loss
 * follows W(t) = C (t - K)^3 + W_max, concave up to the window where the
 * loss happened and convex beyond it, never slower than the Reno-friendly
 * estimate. Loss recovery itself stays NewReno's (tcp_cc.c); this file
 * only says how far to back off and how to grow in congestion avoidance.
 */
#include "tcp.h"

#define CUBIC_C		0.4
#define CUBIC_BETA	0.7
#define CUBIC_ALPHA	(3.0 * (1.0 - CUBIC_BETA) / (1.0 + CUBIC_BETA))

/* A congestion event: remember W_max, return the new ssthresh (4.6). */
uint32_t tcp_cubic_loss(struct tcp_conn *c)
{
	struct tcp_cubic *k = &c->cubic;
	double w = (double)c->cwnd / c->mss;
	uint32_t ss;

	/* Fast convergence (4.7): yield to newer flows. */
	if (w < k->w_last_max)
		k->w_max = w * (1.0 + CUBIC_BETA) / 2.0;
	else
		k->w_max = w;
	k->w_last_max = w;
	k->epoch_ns = 0;
	k->acc = 0;
	ss = (uint32_t)(c->cwnd * CUBIC_BETA + 0.5);
	return ss > 2u * c->mss ? ss : 2u * c->mss;
}

/* Cube root of @x >= 0 by Newton's method (no libm in libbypass). */
static double cube_root(double x)
{
	double y = x > 1 ? x / 3 : 1;
	int i;

	if (x <= 0)
		return 0;
	for (i = 0; i < 60; i++)
		y = (2 * y + x / (y * y)) / 3;
	return y;
}

static double w_cubic(const struct tcp_cubic *k, double t)
{
	double d = t - k->k;

	return CUBIC_C * d * d * d + k->w_max;
}

/* Congestion avoidance: @acked new bytes acknowledged at @now_ns. */
void tcp_cubic_ack(struct tcp_conn *c, uint32_t acked, uint64_t now_ns)
{
	struct tcp_cubic *k = &c->cubic;
	double cwnd = (double)c->cwnd / c->mss, segs = (double)acked / c->mss;
	double t, rtt, target, grow;

	if (!k->epoch_ns) {
		/* A new epoch (4.2): K from where the window starts. */
		k->epoch_ns = now_ns;
		if (k->w_max < cwnd)
			k->w_max = cwnd;
		k->k = cube_root((k->w_max - cwnd) / CUBIC_C);
		k->w_est = cwnd;
	}
	t = (double)(now_ns - k->epoch_ns) / 1e9;
	rtt = (double)c->srtt_ns / 1e9;
	/* Reno-friendly region (4.3). */
	k->w_est += CUBIC_ALPHA * segs / cwnd;
	if (w_cubic(k, t) < k->w_est) {
		grow = (k->w_est - cwnd) * c->mss;
	} else {
		/* Concave and convex regions (4.4, 4.5). */
		target = w_cubic(k, t + rtt);
		if (target < cwnd)
			target = cwnd;
		if (target > 1.5 * cwnd)
			target = 1.5 * cwnd;
		grow = (target - cwnd) / cwnd * segs * c->mss;
	}
	if (grow <= 0)
		return;
	k->acc += grow;
	if (k->acc >= TCP_CWND_MAX) {
		tcp_cwnd_grow(c, TCP_CWND_MAX);
		k->acc = 0;
	} else if (k->acc >= 1) {
		tcp_cwnd_grow(c, (uint64_t)k->acc);
		k->acc -= (double)(uint64_t)k->acc;
	}
}
