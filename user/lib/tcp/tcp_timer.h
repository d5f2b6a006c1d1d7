/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hashed timer wheel: timers hang in the slot of their expiry tick, so
 * arming, cancelling and firing are O(1) and a tick looks only at the
 * timers of its own slot (those due in a later round stay put).
 */
#ifndef BYPASS_TCP_TIMER_H
#define BYPASS_TCP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define TCP_WHEEL_SLOTS	4096u		/* power of two */

struct tcp_timer {
	struct tcp_timer *next, **pprev;	/* pprev NULL: not armed */
	uint64_t expires;			/* tick */
	void (*fn)(struct tcp_timer *t, uint64_t now_ns);
};

struct tcp_wheel {
	uint64_t tick_ns;
	uint64_t cur;		/* next tick to process */
	uint32_t armed;
	/* Earliest expiry (tick) while next_valid: kept up by arm, dropped
	 * when that timer is cancelled, so asking is O(1) between changes. */
	bool next_valid;
	uint64_t next_tick;
	struct tcp_timer *slot[TCP_WHEEL_SLOTS];
};

void tcp_wheel_init(struct tcp_wheel *w, uint64_t tick_ns, uint64_t now_ns);
/* (Re)arm @t to fire at the first tick at or after @when_ns. */
void tcp_timer_arm(struct tcp_wheel *w, struct tcp_timer *t, uint64_t when_ns);
void tcp_timer_cancel(struct tcp_wheel *w, struct tcp_timer *t);
/* Fire every timer due at @now_ns; returns how many fired. */
uint32_t tcp_wheel_run(struct tcp_wheel *w, uint64_t now_ns);
/* Time of the earliest armed timer, UINT64_MAX if none. */
uint64_t tcp_wheel_next(struct tcp_wheel *w);

static inline bool tcp_timer_armed(const struct tcp_timer *t)
{
	return t->pprev != 0;
}

#pragma GCC visibility pop

#endif /* BYPASS_TCP_TIMER_H */
