// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * poll, ppoll, select and pselect over kernel fds and bypass sockets
 * together. Without a bypass socket in the set the call is the kernel's.
 * Otherwise: poll the context, read each bypass socket's readiness
 * (bypass_sock_events); then ask the kernel about the kernel fds plus the
 * context's fd, without sleeping if a bypass socket was ready, else, the
 * context's fd armed first (bypass_ctx_arm: only before a sleep), with
 * the caller's timeout and signal mask; the context's fd waking it means:
 * look at the bypass sockets again. select is done as a poll.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

short pl_revents(struct pl_sock *s, short want)
{
	int ev = bypass_sock_events(pl.ctx, s->bfd);
	short r = 0;

	if (ev < 0)
		return POLLNVAL;
	if (ev & EPOLLIN)
		r |= want & (POLLIN | POLLRDNORM);
	if (ev & EPOLLOUT)
		r |= want & (POLLOUT | POLLWRNORM);
	if (ev & EPOLLRDHUP)
		r |= want & POLLRDHUP;
	return r | (ev & EPOLLERR ? POLLERR : 0) | (ev & EPOLLHUP ? POLLHUP : 0);
}

/* A per-thread array for the kernel's part of a mixed poll. */
static __thread struct pollfd *kfds;
static __thread nfds_t kfds_cap;

static struct pollfd *kernel_fds(nfds_t n)
{
	struct pollfd *p;

	if (n <= kfds_cap)
		return kfds;
	p = realloc(kfds, n * sizeof(*p));
	if (!p)
		return NULL;
	kfds = p;
	kfds_cap = n;
	return p;
}

/* Look at the bypass sockets of @fds (locked): how many are ready. */
static int bypass_part(struct pollfd *fds, nfds_t n)
{
	struct pl_sock *s;
	int ready = 0;
	nfds_t i;

	pl_progress();
	for (i = 0; i < n; i++) {
		s = fds[i].fd >= 0 ? pl_bypass_sock(fds[i].fd) : NULL;
		if (!s)
			continue;
		fds[i].revents = s->bfd >= 0 ? pl_revents(s, fds[i].events) : POLLNVAL;
		ready += fds[i].revents != 0;
	}
	return ready;
}

/* Any bypass socket in @fds (1, attached for them), none (0), or -1. */
static int has_bypass(struct pollfd *fds, nfds_t n)
{
	int found = 0, e = 0;
	nfds_t i;

	for (i = 0; i < n && !found; i++)
		found = fds[i].fd >= 0 && pl_bypass_sock(fds[i].fd);
	if (!found)
		return 0;
	pl_lock();
	for (i--; i < n; i++) {
		if (fds[i].fd < 0 || !pl_bypass_sock(fds[i].fd) ||
		    pl_ready_sock(fds[i].fd))
			continue;
		/* Inherited from an attached parent: reported as POLLNVAL. */
		if (errno != EOPNOTSUPP && errno != EBADF) {
			e = errno;
			break;
		}
	}
	pl_unlock();
	return e ? pl_fail(e) : 1;
}

int pl_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
	    const sigset_t *mask)
{
	uint64_t deadline = timeout_ns > 0 ? pl_deadline((uint64_t)timeout_ns) : 0;
	struct pollfd *k;
	struct timespec ts, *tsp;
	int ready, kr, r, sleep_fd = -1;
	bool sleeping;
	nfds_t i;

	r = pl_inside ? 0 : has_bypass(fds, n);
	if (r <= 0) {
		if (r < 0)
			return -1;
		if (timeout_ns >= 0) {
			ts.tv_sec = timeout_ns / 1000000000;
			ts.tv_nsec = timeout_ns % 1000000000;
		}
		return pl_real.ppoll(fds, n, timeout_ns < 0 ? NULL : &ts, mask);
	}
	k = kernel_fds(n + 2);
	if (!k)
		return pl_fail(ENOMEM);
	for (;;) {
		pl_lock();
		for (i = 0; i < n; i++)
			fds[i].revents = 0;
		ready = bypass_part(fds, n);
		sleeping = !ready && timeout_ns != 0;
		if (sleeping) {
			/* Only now: with work already, the fd stays readable. */
			bypass_ctx_arm(pl.ctx);
			sleep_fd = pl_sleep_prepare();
		}
		pl_unlock();
		for (i = 0; i < n; i++) {
			k[i] = fds[i];
			if (fds[i].fd >= 0 && pl_bypass_sock(fds[i].fd))
				k[i].fd = -1;	/* the kernel skips it */
		}
		k[n].fd = pl.ctx_fd;
		k[n].events = POLLIN;
		k[n + 1].fd = sleeping ? sleep_fd : -1;	/* another thread's progress */
		k[n + 1].events = POLLIN;
		tsp = &ts;
		if (ready || timeout_ns == 0) {
			ts.tv_sec = 0;
			ts.tv_nsec = 0;
		} else if (timeout_ns < 0) {
			tsp = NULL;
		} else {
			uint64_t now = pl_now(), left = now < deadline ? deadline - now : 0;

			ts.tv_sec = (time_t)(left / 1000000000ull);
			ts.tv_nsec = (long)(left % 1000000000ull);
		}
		kr = pl_real.ppoll(k, n + 2, tsp, mask);
		if (sleeping) {
			int e = errno;

			pl_lock();
			pl_sleep_done();
			pl_unlock();
			errno = e;
		}
		if (kr < 0)
			return ready ? ready : -1;
		for (i = 0; kr > 0 && i < n; i++) {
			if (k[i].fd < 0)
				continue;
			fds[i].revents = k[i].revents;
			ready += k[i].revents != 0;
		}
		if (ready || kr == 0 || timeout_ns == 0 ||
		    !(k[n].revents | k[n + 1].revents))
			return ready;
		if (timeout_ns > 0 && pl_now() >= deadline)
			return 0;
		/* The shim's fds woke us: look at the bypass sockets again. */
	}
}

PL_EXPORT int poll(struct pollfd *fds, nfds_t n, int timeout)
{
	pl_init();
	return pl_poll(fds, n, timeout < 0 ? -1 : (int64_t)timeout * 1000000, NULL);
}

PL_EXPORT int __poll_chk(struct pollfd *fds, nfds_t n, int timeout, size_t len)
{
	extern void __chk_fail(void) __attribute__((noreturn));

	if (len / sizeof(*fds) < n)
		__chk_fail();
	return poll(fds, n, timeout);
}

PL_EXPORT int ppoll(struct pollfd *fds, nfds_t n, const struct timespec *ts,
		    const sigset_t *mask)
{
	pl_init();
	return pl_poll(fds, n, ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1,
		       mask);
}

/* select as a poll: fd_sets in, pollfds through pl_poll, fd_sets out. */
static int select_common(int nfds, fd_set *r, fd_set *w, fd_set *x,
			 int64_t timeout_ns, const sigset_t *mask)
{
	struct pollfd *p;
	nfds_t n = 0, i;
	int fd, ready = 0, res;

	if (nfds < 0 || nfds > FD_SETSIZE)
		return pl_fail(EINVAL);
	p = calloc((size_t)nfds + 1, sizeof(*p));
	if (!p)
		return pl_fail(ENOMEM);
	for (fd = 0; fd < nfds; fd++) {
		short ev = (short)((r && FD_ISSET(fd, r) ? POLLIN : 0) |
				   (w && FD_ISSET(fd, w) ? POLLOUT : 0) |
				   (x && FD_ISSET(fd, x) ? POLLPRI : 0));

		if (!ev)
			continue;
		p[n].fd = fd;
		p[n++].events = ev;
	}
	res = pl_poll(p, n, timeout_ns, mask);
	if (res < 0) {
		free(p);
		return -1;
	}
	for (i = 0; i < n; i++) {
		short re = p[i].revents;

		if (re & POLLNVAL) {
			free(p);
			return pl_fail(EBADF);
		}
		fd = p[i].fd;
		/* As Linux: an error or hang-up makes a watched fd ready. */
		if (r && FD_ISSET(fd, r)) {
			if (re & (POLLIN | POLLHUP | POLLERR))
				ready++;
			else
				FD_CLR(fd, r);
		}
		if (w && FD_ISSET(fd, w)) {
			if (re & (POLLOUT | POLLERR))
				ready++;
			else
				FD_CLR(fd, w);
		}
		if (x && FD_ISSET(fd, x)) {
			if (re & POLLPRI)
				ready++;
			else
				FD_CLR(fd, x);
		}
	}
	free(p);
	return ready;
}

/* True when one of the sets holds a bypass socket. */
static bool select_has_bypass(int nfds, fd_set *r, fd_set *w, fd_set *x)
{
	int fd;

	if (pl_inside || nfds > FD_SETSIZE)
		return false;
	for (fd = 0; fd < nfds; fd++)
		if (((r && FD_ISSET(fd, r)) || (w && FD_ISSET(fd, w)) ||
		     (x && FD_ISSET(fd, x))) && pl_bypass_sock(fd))
			return true;
	return false;
}

PL_EXPORT int select(int nfds, fd_set *r, fd_set *w, fd_set *x,
		     struct timeval *tv)
{
	uint64_t start;
	int64_t ns;
	int res;

	pl_init();
	if (!select_has_bypass(nfds, r, w, x))
		return pl_real.select(nfds, r, w, x, tv);
	ns = tv ? (int64_t)tv->tv_sec * 1000000000 + tv->tv_usec * 1000 : -1;
	start = pl_now();
	res = select_common(nfds, r, w, x, ns, NULL);
	if (tv) {
		/* Linux leaves the time not slept in the timeval. */
		int64_t left = ns - (int64_t)(pl_now() - start);

		if (left < 0)
			left = 0;
		tv->tv_sec = left / 1000000000;
		tv->tv_usec = left % 1000000000 / 1000;
	}
	return res;
}

PL_EXPORT int pselect(int nfds, fd_set *r, fd_set *w, fd_set *x,
		      const struct timespec *ts, const sigset_t *mask)
{
	pl_init();
	if (!select_has_bypass(nfds, r, w, x))
		return pl_real.pselect(nfds, r, w, x, ts, mask);
	return select_common(nfds, r, w, x,
			     ts ? (int64_t)ts->tv_sec * 1000000000 + ts->tv_nsec : -1,
			     mask);
}
