// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Waiting for work: spin on the RX ring for a while, then enable the RX
 * interrupt (and the TX one while a full TX ring holds senders back),
 * look at the rings once more (a frame that arrived in between must not be
 * slept through), and sleep on the device's fds until a frame, a TX
 * completion that frees room, the next protocol timer or the timeout (or
 * news on the wake source a group's context adds: its mailbox).
 *
 * The spin adapts to the load: a wait that had to sleep but whose work
 * came within spin_ns sets the next spin to that gap (and a quarter more),
 * so work that keeps coming at that pace is caught spinning; a wait that
 * slept longer than spin_ns halves it, so an idle or slow peer costs no
 * spinning; a spin that found work leaves it as it is. Busy polling (the
 * application calling bypass_stack_poll() in its loop) is the other
 * policy, chosen by the application.
 */
#include <errno.h>
#include <poll.h>
#include <time.h>

#include "stack.h"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t bypass_stack_next_timer(struct bypass_stack *st)
{
	uint64_t now, arp = UINT64_MAX, tcp = bypass_tcp_next_timer(st->tcp);

	if (st->arp_next_ns != UINT64_MAX) {
		now = stack_now(st);
		arp = st->arp_next_ns > now ? st->arp_next_ns - now : 0;
	}
	return arp < tcp ? arp : tcp;
}

/*
 * A full TX ring, or frames on the backlog: sending waits for the device
 * to finish some frames.
 */
static bool stack_tx_blocked(struct bypass_stack *st)
{
	return virtq_free(&st->txq) == 0 || st->tx_backlog_len;
}

/* Whether bypass_stack_poll() (or the wake source) has work right now. */
static bool stack_has_work(struct bypass_stack *st)
{
	if (st->dev->ops->service)
		st->dev->ops->service(st->dev);
	return virtq_has_used(&st->rxq) || bypass_stack_next_timer(st) == 0 ||
	       (stack_tx_blocked(st) && virtq_has_used(&st->txq)) ||
	       (st->wake_pending &&
		__atomic_load_n(st->wake_pending, __ATOMIC_RELAXED));
}

void bypass_stack_set_wake(struct bypass_stack *st, int fd, const int *pending)
{
	st->wake_fd = fd;
	st->wake_pending = pending;
}

int bypass_stack_fd(struct bypass_stack *st)
{
	return st->dev->ops->irq_fd(st->dev, BYPASS_QUEUE_RX);
}

int bypass_stack_tx_fd(struct bypass_stack *st)
{
	return st->dev->ops->irq_fd(st->dev, BYPASS_QUEUE_TX);
}

bool bypass_stack_arm(struct bypass_stack *st)
{
	/* The next poll disables the interrupts and consumes the wakeups. */
	st->poll_pre |= STACK_POLL_ARMED;
	if (!virtq_enable_irq(&st->rxq))
		return false;
	if (stack_tx_blocked(st)) {
		/* TX completions matter only while they hold senders back. */
		st->poll_pre |= STACK_POLL_TX_ARMED;
		if (!virtq_enable_irq(&st->txq))
			return false;
	}
	return !stack_has_work(st);
}

bool bypass_stack_tx_armed(const struct bypass_stack *st)
{
	return st->poll_pre & STACK_POLL_TX_ARMED;
}

/*
 * After a wait that did not find its work spinning: the work came @gap
 * after the wait began (UINT64_MAX: none came, a timeout): the next spin.
 */
static void spin_adapt(struct bypass_stack *st, uint64_t gap)
{
	if (gap <= st->spin_ns) {
		gap += gap / 4;
		st->spin_cur_ns = gap < st->spin_ns ? gap : st->spin_ns;
	} else {
		st->spin_cur_ns /= 2;
	}
}

int bypass_stack_wait(struct bypass_stack *st, int timeout_ms)
{
	uint64_t start = mono_ns(), timer;
	struct pollfd pfd[3];
	int r;

	/* What the application queued since the last poll leaves first. */
	bypass_stack_flush(st);
	do {
		if (stack_has_work(st))
			return 1;
	} while (mono_ns() - start < st->spin_cur_ns);
	pfd[0].fd = bypass_stack_fd(st);
	pfd[0].events = POLLIN;
	if (pfd[0].fd < 0)
		return 1;	/* no interrupt to sleep on: keep polling */
	if (!bypass_stack_arm(st)) {
		spin_adapt(st, mono_ns() - start);	/* just after the spin */
		return 1;
	}
	pfd[1].fd = bypass_stack_tx_armed(st) ? bypass_stack_tx_fd(st) : -1;
	pfd[1].events = POLLIN;
	pfd[2].fd = st->wake_pending ? st->wake_fd : -1;
	pfd[2].events = POLLIN;
	timer = bypass_stack_next_timer(st);
	if (timer != UINT64_MAX) {
		/* Round up: waking before the timer is due would spin. */
		uint64_t ms = (timer + 999999) / 1000000;

		if (timeout_ms < 0 || ms < (uint64_t)timeout_ms)
			timeout_ms = ms > 1000000 ? 1000000 : (int)ms;
	}
	st->c.ring.sleeps++;
	r = poll(pfd, 3, timeout_ms);
	if (r < 0)
		return errno == EINTR ? 0 : -errno;
	spin_adapt(st, r > 0 ? mono_ns() - start : UINT64_MAX);
	return r > 0 || stack_has_work(st);
}
