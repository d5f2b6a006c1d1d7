/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A hashed timer wheel: timers hang in the slot of their expiry tick, so
 * arming, cancelling and firing are O(1) and a tick looks only at the
 * timers of its own slot (those due in a later round stay put).
 *
 * A timer moved often (retransmit, delayed ACK: once per segment) is set
 * lazily: tcp_timer_set() records the deadline in the timer and touches
 * the wheel only when the deadline comes before the slot it hangs in;
 * tcp_timer_clear() only forgets the deadline. When the wheel reaches the
 * slot, a timer without a deadline is dropped and one whose deadline
 * moved later hangs again at that deadline; only a deadline reached calls
 * the function. So a timer pushed back on every segment costs one wheel
 * operation per expiry period, as Linux's lazy retransmit timer does.
 */
#ifndef BYPASS_TCP_TIMER_H
#define BYPASS_TCP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#pragma GCC visibility push(hidden)

#define TCP_WHEEL_SLOTS	4096u		/* power of two */
/*
 * The tick: a constant, so that turning a time into a tick is a multiply
 * and a shift, not a hardware divide on every poll and timer move.
 */
#define TCP_TICK_NS	1000000ull

struct tcp_timer {
	struct tcp_timer *next, **pprev;	/* pprev NULL: not in the wheel */
	uint64_t expires;			/* tick of its slot */
	uint64_t slot_ns;			/* expires * TCP_TICK_NS */
	uint64_t due_ns;			/* the deadline, while pending */
	bool pending;				/* set, neither fired nor cleared */
	void (*fn)(struct tcp_timer *t, uint64_t now_ns);
};

struct tcp_wheel {
	uint64_t cur;		/* next tick to process */
	uint64_t cur_ns;	/* its start, cur * TCP_TICK_NS: a poll before
				 * it has nothing to do */
	uint32_t armed;
	/* Earliest expiry (tick) while next_valid: kept up by arm, dropped
	 * when that timer is cancelled, so asking is O(1) between changes. */
	bool next_valid;
	uint64_t next_tick;
	struct tcp_timer *slot[TCP_WHEEL_SLOTS];
};

void tcp_wheel_init(struct tcp_wheel *w, uint64_t now_ns);
/* (Re)arm @t to fire at the first tick at or after @when_ns. */
void tcp_timer_arm(struct tcp_wheel *w, struct tcp_timer *t, uint64_t when_ns);
void tcp_timer_cancel(struct tcp_wheel *w, struct tcp_timer *t);
/* Fire every timer due at @now_ns; returns how many fired. */
uint32_t tcp_wheel_run(struct tcp_wheel *w, uint64_t now_ns);
/* Time of the earliest armed timer, UINT64_MAX if none. */
uint64_t tcp_wheel_next(struct tcp_wheel *w);

/*
 * Whether tcp_wheel_run() at @now_ns has anything to do: false while the
 * tick of @now_ns was processed already (one comparison, no divide).
 */
static inline bool tcp_wheel_due(const struct tcp_wheel *w, uint64_t now_ns)
{
	return now_ns >= w->cur_ns;
}

/* Whether @t will call its function (armed or set, not cleared). */
static inline bool tcp_timer_armed(const struct tcp_timer *t)
{
	return t->pending;
}

/*
 * Lazily: @t is due at @when_ns; the wheel moves only when that is sooner
 * than the slot @t hangs in. Inline: the segment paths call it for every
 * segment, and nearly always it only stores the deadline.
 */
static inline void tcp_timer_set(struct tcp_wheel *w, struct tcp_timer *t,
				 uint64_t when_ns)
{
	t->pending = true;
	t->due_ns = when_ns;
	/* Its slot comes no later than the deadline: the wheel stays. */
	if (__builtin_expect(t->pprev && t->slot_ns <= when_ns, 1))
		return;
	tcp_timer_arm(w, t, when_ns);
}

/* Lazily: @t is not due any more (its slot forgets it when reached). */
static inline void tcp_timer_clear(struct tcp_timer *t)
{
	t->pending = false;
}

#pragma GCC visibility pop

#endif /* BYPASS_TCP_TIMER_H */
