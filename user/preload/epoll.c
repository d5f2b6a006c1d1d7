// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * epoll over kernel fds and bypass sockets together. The program's epoll
 * fd stays a kernel epoll holding its kernel fds; its bypass members go to
 * a shadow readiness set in the context (bypass_epoll_*, which keeps a
 * list of members that may be ready, so a wait costs the ready ones), and
 * the kernel epoll holds the set's own fd (bypass_epoll_fd: readable while
 * the set has news) and the context's fd (readable while the device has
 * work nobody looked at), tagged PL_MARK_SET and PL_MARK, so the sets of
 * several threads wake only for their own members. A wait collects the
 * ready bypass members first; then it asks the kernel epoll without
 * sleeping if any were found (every 8th such wait only, so a busy bypass
 * loop makes no system call per wait), or sleeps in it with the caller's
 * timeout and signal mask. One of the shim's fds waking it means: look at
 * the shadow set again.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "preload.h"

/* The kernel epoll's data for the shim's fds: no canonical pointer. */
#define PL_MARK		0xb1a55b1a55000001ull	/* the context's fd */
#define PL_MARK_SET	0xb1a55b1a55000002ull	/* the shadow set's own fd */
/* Busy waits between two looks at the kernel fds. */
#define KERNEL_TURN	8

static struct pl_epoll *epoll_new(int fd)
{
	struct pl_epoll *e = calloc(1, sizeof(union pl_fd));

	if (!e)
		return NULL;
	e->kind = PL_EPOLL;
	e->refs = 1;
	e->bset = -1;
	pl_fd_set(fd, (union pl_fd *)e);
	return e;
}

/* @epfd's shadow (made on its first bypass member), locked. */
static struct pl_epoll *shadow(int epfd)
{
	union pl_fd *p = pl_fd_get(epfd);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = PL_MARK };
	struct epoll_event sev = { .events = EPOLLIN, .data.u64 = PL_MARK_SET };
	struct pl_epoll *e;
	int wfd;

	if (p && p->kind != PL_EPOLL) {
		errno = EINVAL;
		return NULL;
	}
	e = p ? &p->e : epoll_new(epfd);
	if (!e) {
		errno = ENOMEM;
		return NULL;
	}
	if (e->bset < 0) {
		e->bset = bypass_epoll_create(pl.ctx);
		if (e->bset < 0)
			return NULL;
	}
	if (!e->ctx_added) {
		/*
		 * The set's own fd wakes this wait for its members; the
		 * context's for device work no thread has looked at yet.
		 */
		wfd = bypass_epoll_fd(pl.ctx, e->bset);
		if (wfd < 0 ||
		    (pl_real.epoll_ctl(epfd, EPOLL_CTL_ADD, wfd, &sev) && errno != EEXIST) ||
		    (pl_real.epoll_ctl(epfd, EPOLL_CTL_ADD, pl.ctx_fd, &ev) &&
		     errno != EEXIST))
			return NULL;
		e->ctx_added = true;
	}
	return e;
}

/* Add, change or remove bypass socket @s in @epfd (locked, attached). */
static int bypass_ctl(int epfd, int op, struct pl_sock *s,
		      struct epoll_event *ev)
{
	struct epoll_event bev = { 0 };
	struct pl_epoll *e = shadow(epfd);

	if (!e)
		return -1;
	if (ev) {
		bev = *ev;
		bev.events &= ~(uint32_t)(EPOLLEXCLUSIVE | EPOLLWAKEUP);
	}
	return bypass_epoll_ctl(pl.ctx, e->bset, op, s->bfd, ev ? &bev : NULL);
}

void pl_epoll_adopt(struct pl_sock *s)
{
	int epfd = s->ep_kfd;

	s->ep_kfd = -1;
	if (bypass_ctl(epfd, EPOLL_CTL_ADD, s, &s->ep_ev))
		pl_warn("moving a socket into epoll %d: %s", epfd, strerror(errno));
}

PL_EXPORT int epoll_ctl(int epfd, int op, int fd, struct epoll_event *ev)
{
	union pl_fd *p;
	struct pl_sock *s;
	int r, e;

	pl_init();
	p = pl_inside ? NULL : pl_fd_get(fd);
	if (!p || p->kind != PL_SOCK || p->s.state == PS_KERNEL)
		return pl_real.epoll_ctl(epfd, op, fd, ev);
	if (p->s.state == PS_UNDECIDED) {
		/* The kernel's for now; remembered to move it if it commits. */
		r = pl_real.epoll_ctl(epfd, op, fd, ev);
		if (!r) {
			pl_lock();
			p->s.ep_kfd = op == EPOLL_CTL_DEL ? -1 : epfd;
			if (ev)
				p->s.ep_ev = *ev;
			pl_unlock();
		}
		return r;
	}
	if (op != EPOLL_CTL_DEL && !ev)
		return pl_fail(EFAULT);
	pl_lock();
	s = pl_ready_sock(fd);
	r = s ? bypass_ctl(epfd, op, s, ev) : -1;
	e = errno;
	pl_unlock();
	errno = e;
	return r;
}

/* Drop the context fd's events from @ev[0..n), return how many are left. */
static int unmark(struct epoll_event *ev, int n, bool *marked)
{
	int i, k = 0;

	for (i = 0; i < n; i++) {
		if (ev[i].data.u64 == PL_MARK || ev[i].data.u64 == PL_MARK_SET)
			*marked = true;
		else
			ev[k++] = ev[i];
	}
	return k;
}

/* @epfd's shadow set, when it has one and the context is usable. */
static struct pl_epoll *shadowed(int epfd)
{
	union pl_fd *p;

	pl_init();
	p = pl_inside ? NULL : pl_fd_get(epfd);
	if (!p || p->kind != PL_EPOLL || p->e.bset < 0 || pl.attach != PA_OK)
		return NULL;
	return &p->e;
}

static int wait_common(int epfd, struct epoll_event *ev, int max,
		       int timeout_ms, const sigset_t *mask)
{
	struct pl_epoll *e = shadowed(epfd);
	uint64_t deadline = 0;
	int n, k, ms;
	bool marked;

	if (!e)
		return pl_real.epoll_pwait(epfd, ev, max, timeout_ms, mask);
	if (!ev || max <= 0)
		return pl_fail(EINVAL);
	if (timeout_ms > 0)
		deadline = pl_deadline((uint64_t)timeout_ms * 1000000ull);
	for (;;) {
		pl_lock();
		n = bypass_epoll_wait(pl.ctx, e->bset, ev, max, 0);
		pl_kick();	/* it polled the stack */
		pl_unlock();
		if (n < 0)
			return -1;
		if (n && (n == max || ++e->turn % KERNEL_TURN))
			return n;
		ms = n ? 0 : timeout_ms;
		if (!n && deadline) {
			uint64_t now = pl_now();

			ms = now >= deadline ? 0 :
			     (int)((deadline - now + 999999) / 1000000);
		}
		k = pl_real.epoll_pwait(epfd, ev + n, max - n, ms, mask);
		if (k < 0)
			return n ? n : -1;
		marked = false;
		k = unmark(ev + n, k, &marked);
		if (n + k || !marked || !ms)
			return n + k;
		/* Only the shim's fds woke us: look at the shadow set again. */
	}
}

PL_EXPORT int epoll_wait(int epfd, struct epoll_event *ev, int max, int timeout)
{
	return wait_common(epfd, ev, max, timeout, NULL);
}

PL_EXPORT int epoll_pwait(int epfd, struct epoll_event *ev, int max,
			  int timeout, const sigset_t *mask)
{
	return wait_common(epfd, ev, max, timeout, mask);
}

PL_EXPORT int epoll_pwait2(int epfd, struct epoll_event *ev, int max,
			   const struct timespec *ts, const sigset_t *mask)
{
	int64_t ms;

	if (!shadowed(epfd))
		return pl_real.epoll_pwait2 ? pl_real.epoll_pwait2(epfd, ev, max, ts, mask) :
		       pl_fail(ENOSYS);	/* a C library older than 2.35 */
	if (!ts)
		return wait_common(epfd, ev, max, -1, mask);
	/* Milliseconds, rounded up, as epoll_pwait takes them. */
	ms = (int64_t)ts->tv_sec * 1000 + (ts->tv_nsec + 999999) / 1000000;
	return wait_common(epfd, ev, max, ms > INT32_MAX ? INT32_MAX : (int)ms, mask);
}
