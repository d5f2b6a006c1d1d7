// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The in-memory pair's devices on a thread of their own, as real hardware
 * on another CPU: the thread takes frames off both TX rings and fills both
 * RX rings while the drivers run concurrently, and sleeps when idle until
 * a kick. Before sleeping it tells the drivers where to kick (avail_event,
 * written by vdev_flush, then a full fence) and looks at the rings once
 * more, so that a buffer published in between is never slept through.
 */
#include <errno.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "pair.h"

#define PAIR_IDLE_POLL_MS	100	/* sleep bound, in case of a bug */

uint64_t pair_thread_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whether a driver published work the device has not done yet. */
static bool pair_thread_has_work(struct bypass_pair *p)
{
	int i;

	for (i = 0; i < 2; i++) {
		struct pair_end *e = &p->end[i];

		if (vdev_posted(&e->base.vd, BYPASS_QUEUE_TX) ||
		    (e->inbound && vdev_posted(&e->base.vd, BYPASS_QUEUE_RX)))
			return true;
	}
	return false;
}

static void *pair_thread_main(void *arg)
{
	struct bypass_pair *p = arg;
	struct pollfd pfd = { .fd = p->kick_fd, .events = POLLIN };
	eventfd_t kicks;
	int i;

	while (!__atomic_load_n(&p->stop, __ATOMIC_ACQUIRE)) {
		p->now_ns = pair_thread_now();
		for (i = 0; i < 2; i++)
			pair_send_all(&p->end[i]);
		for (i = 0; i < 2; i++)
			pair_deliver(&p->end[i]);
		/* vdev_flush published avail_event and fenced: re-check. */
		if (pair_thread_has_work(p))
			continue;
		if (poll(&pfd, 1, PAIR_IDLE_POLL_MS) > 0) {
			eventfd_read(p->kick_fd, &kicks);
		} else if (pair_thread_has_work(p)) {
			/* Work came without its kick: a driver or device bug. */
			__atomic_fetch_add(&p->missed_kicks, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

int pair_thread_start(struct bypass_pair *p)
{
	int r;

	p->kick_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->kick_fd < 0)
		return -errno;
	p->threaded = true;
	r = pthread_create(&p->thread, NULL, pair_thread_main, p);
	if (r) {
		p->threaded = false;
		close(p->kick_fd);
		p->kick_fd = -1;
		return -r;
	}
	return 0;
}

void pair_thread_stop(struct bypass_pair *p)
{
	if (!p->threaded)
		return;
	__atomic_store_n(&p->stop, 1, __ATOMIC_RELEASE);
	pair_thread_kick(p);
	pthread_join(p->thread, NULL);
	close(p->kick_fd);
	p->kick_fd = -1;
	p->threaded = false;
}

void pair_thread_kick(struct bypass_pair *p)
{
	if (eventfd_write(p->kick_fd, 1) < 0)
		return;	/* the counter is saturated: a wakeup is pending anyway */
}
