// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fd calls that must keep the fd table coherent with the kernel's:
 * close, dup, dup2, dup3, fcntl and fcntl64 (F_DUPFD*, and O_NONBLOCK of a
 * bypass socket) and ioctl (FIONBIO, FIONREAD of a bypass socket). The kernel fd
 * is always closed, dup'ed or flagged too, so close-on-exec, fd numbers
 * and F_GETFD behave as the kernel's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"

PL_EXPORT int close(int fd)
{
	pl_init();
	if (!pl_inside && pl_fd_get(fd)) {
		pl_lock();
		pl_fd_drop(fd);
		pl_unlock();
	}
	return pl_real.close(fd);
}

/* After a kernel dup of @oldfd to @newfd (r >= 0): the table follows. */
static int dup_done(int oldfd, int r)
{
	if (r >= 0 && !pl_inside && pl_fd_get(oldfd)) {
		pl_lock();
		pl_fd_dup(oldfd, r);
		pl_unlock();
	}
	return r;
}

PL_EXPORT int dup(int fd)
{
	pl_init();
	return dup_done(fd, pl_real.dup(fd));
}

/* @newfd is about to be replaced: forget what it named. */
static void replacing(int oldfd, int newfd)
{
	if (pl_inside || oldfd == newfd || !pl_fd_get(newfd) ||
	    pl_real.fcntl(oldfd, F_GETFD) < 0)
		return;
	pl_lock();
	pl_fd_drop(newfd);
	pl_unlock();
}

PL_EXPORT int dup2(int oldfd, int newfd)
{
	pl_init();
	replacing(oldfd, newfd);
	if (oldfd == newfd)
		return pl_real.dup2(oldfd, newfd);
	return dup_done(oldfd, pl_real.dup2(oldfd, newfd));
}

PL_EXPORT int dup3(int oldfd, int newfd, int flags)
{
	pl_init();
	replacing(oldfd, newfd);
	return dup_done(oldfd, pl_real.dup3(oldfd, newfd, flags));
}

PL_EXPORT int fcntl(int fd, int cmd, ...)
{
	struct pl_sock *s;
	va_list ap;
	long arg;
	int r;

	va_start(ap, cmd);
	arg = va_arg(ap, long);
	va_end(ap);
	pl_init();
	if (cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC)
		return dup_done(fd, pl_real.fcntl(fd, cmd, arg));
	s = pl_inside ? NULL : pl_bypass_sock(fd);
	if (!s || (cmd != F_GETFL && cmd != F_SETFL))
		return pl_real.fcntl(fd, cmd, arg);
	r = pl_real.fcntl(fd, cmd, arg);
	if (r < 0)
		return r;
	if (cmd == F_SETFL) {
		s->nonblock = arg & O_NONBLOCK;
		return r;
	}
	return (r & ~O_NONBLOCK) | (s->nonblock ? O_NONBLOCK : 0);
}

/* What programs built for large files call (glibc 2.28+): the same. */
PL_EXPORT int fcntl64(int fd, int cmd, ...) __attribute__((alias("fcntl")));

PL_EXPORT int ioctl(int fd, unsigned long req, ...)
{
	struct pl_sock *s;
	va_list ap;
	void *arg;
	int r, e;

	va_start(ap, req);
	arg = va_arg(ap, void *);
	va_end(ap);
	pl_init();
	s = pl_inside ? NULL : pl_bypass_sock(fd);
	if (!s || (req != FIONBIO && req != FIONREAD))
		return pl_real.ioctl(fd, req, arg);
	if (!arg)
		return pl_fail(EFAULT);
	if (req == FIONBIO) {
		r = pl_real.ioctl(fd, req, arg);
		if (!r)
			s->nonblock = *(int *)arg != 0;
		return r;
	}
	pl_lock();
	s = pl_ready_sock(fd);
	r = s ? bypass_ioctl(pl.ctx, s->bfd, FIONREAD, arg) : -1;
	e = errno;
	pl_unlock();
	errno = e;
	return r;
}
