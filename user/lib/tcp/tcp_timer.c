// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TCP engine's timer wheel (see tcp_timer.h).
 */
#include <string.h>

#include "tcp_timer.h"

void tcp_wheel_init(struct tcp_wheel *w, uint64_t now_ns)
{
	memset(w, 0, sizeof(*w));
	w->cur = now_ns / TCP_TICK_NS;
	w->cur_ns = w->cur * TCP_TICK_NS;
}

/* Take @t out of its slot. */
static void unhang(struct tcp_wheel *w, struct tcp_timer *t)
{
	if (!t->pprev)
		return;
	if (t->expires == w->next_tick)
		w->next_valid = false;
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	w->armed--;
}

void tcp_timer_cancel(struct tcp_wheel *w, struct tcp_timer *t)
{
	unhang(w, t);
	t->pending = false;
}

void tcp_timer_arm(struct tcp_wheel *w, struct tcp_timer *t, uint64_t when_ns)
{
	uint64_t tick = (when_ns + TCP_TICK_NS - 1) / TCP_TICK_NS;
	struct tcp_timer **head;

	unhang(w, t);
	t->pending = true;
	t->due_ns = when_ns;
	/* A tick already processed would never be looked at again. */
	if (tick < w->cur)
		tick = w->cur;
	t->expires = tick;
	t->slot_ns = tick * TCP_TICK_NS;
	head = &w->slot[tick & (TCP_WHEEL_SLOTS - 1)];
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
	w->armed++;
	if (w->next_valid && tick < w->next_tick)
		w->next_tick = tick;
}

uint32_t tcp_wheel_run(struct tcp_wheel *w, uint64_t now_ns)
{
	uint64_t now, n, i;
	uint32_t fired = 0;

	/* The tick of @now_ns was processed: without the divide. */
	if (!tcp_wheel_due(w, now_ns))
		return 0;
	now = now_ns / TCP_TICK_NS;
	n = now - w->cur + 1;
	if (n > TCP_WHEEL_SLOTS)
		n = TCP_WHEEL_SLOTS;
	for (i = 0; i < n && w->armed; i++) {
		uint64_t tick = now - n + 1 + i;
		struct tcp_timer **pp = &w->slot[tick & (TCP_WHEEL_SLOTS - 1)];

		/* Timers a callback arms for now land in a later tick. */
		w->cur = tick + 1;
		w->cur_ns = w->cur * TCP_TICK_NS;
		while (*pp) {
			struct tcp_timer *t = *pp;

			if (t->expires > now) {
				pp = &t->next;
				continue;
			}
			unhang(w, t);
			if (!t->pending) {
				/* Cleared since: nothing to do. */
			} else if (t->due_ns > now_ns) {
				/* Set later since: hang it at its deadline. */
				tcp_timer_arm(w, t, t->due_ns);
			} else {
				t->pending = false;
				t->fn(t, now_ns);
				fired++;
			}
			/* The callback may have changed this slot: restart. */
			pp = &w->slot[tick & (TCP_WHEEL_SLOTS - 1)];
		}
	}
	w->cur = now + 1;
	w->cur_ns = w->cur * TCP_TICK_NS;
	return fired;
}

uint64_t tcp_wheel_next(struct tcp_wheel *w)
{
	uint64_t best = UINT64_MAX;
	uint32_t i;

	if (!w->armed)
		return UINT64_MAX;
	if (w->next_valid)
		return w->next_tick * TCP_TICK_NS;
	for (i = 0; i < TCP_WHEEL_SLOTS; i++) {
		const struct tcp_timer *t = w->slot[(w->cur + i) & (TCP_WHEEL_SLOTS - 1)];

		for (; t; t = t->next)
			if (t->expires < best)
				best = t->expires;
		/* Every later slot holds only later ticks of this round. */
		if (best <= w->cur + i)
			break;
	}
	w->next_tick = best;
	w->next_valid = true;
	return best * TCP_TICK_NS;
}
