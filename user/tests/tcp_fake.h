/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For tests that drive the TCP engine's internals: a virtual clock the
 * test sets and an output that sends nothing anywhere.
 */
#ifndef BYPASS_TEST_TCP_FAKE_H
#define BYPASS_TEST_TCP_FAKE_H

#include "bypass_tcp.h"

static uint64_t fake_now_ns;

static inline uint64_t fake_now(void *ctx)
{
	(void)ctx;
	return fake_now_ns;
}

static inline int fake_output(void *ctx, const struct bypass_tcp_seg *s)
{
	(void)ctx;
	(void)s;
	return 0;
}

static inline const struct bypass_tcp_ops *fake_ops(void)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fake_now, .output = fake_output,
	};

	return &ops;
}

#endif /* BYPASS_TEST_TCP_FAKE_H */
