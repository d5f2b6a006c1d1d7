// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The socket calls: socket() makes the kernel socket (the fd the program
 * sees) and tracks AF_INET TCP/UDP ones; bind() and connect() decide where
 * a socket goes (config.c's rule); listen, accept, shutdown, names and
 * options act on the bypass socket of a committed one. Everything else is
 * the kernel's, untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "preload.h"

/* The tracked socket @fd names, or NULL (then the call is the kernel's). */
static struct pl_sock *tracked(int fd)
{
	union pl_fd *p;

	pl_init();
	if (pl_inside)
		return NULL;
	p = pl_fd_get(fd);
	if (!p || p->kind != PL_SOCK || p->s.state == PS_KERNEL)
		return NULL;
	return &p->s;
}

static bool get_in(const struct sockaddr *sa, socklen_t len, uint32_t *addr,
		   uint16_t *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

	if (!sa || len < sizeof(*in) || in->sin_family != AF_INET)
		return false;
	*addr = in->sin_addr.s_addr;
	*port = ntohs(in->sin_port);
	return true;
}

PL_EXPORT int socket(int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC), fd;
	struct pl_sock *s;

	pl_init();
	fd = pl_real.socket(domain, type, protocol);
	if (fd < 0 || pl_inside || domain != AF_INET)
		return fd;
	if ((base != SOCK_STREAM || (protocol && protocol != IPPROTO_TCP)) &&
	    (base != SOCK_DGRAM || (protocol && protocol != IPPROTO_UDP)))
		return fd;
	pl_lock();
	pl_probe_addr();
	if (!pl.cfg.addr || pl.attach == PA_LOST || pl.attach == PA_FAILED) {
		pl_log("fd %d %s socket -> kernel (%s)", fd,
		       base == SOCK_STREAM ? "tcp" : "udp",
		       pl.attach == PA_LOST ? "the parent process holds the queue pair" :
		       pl.attach == PA_FAILED ? "attaching failed" : "no bypass address");
	} else {
		s = pl_sock_new(fd, base, PS_UNDECIDED);
		if (s)
			s->nonblock = type & SOCK_NONBLOCK;
	}
	pl_unlock();
	return fd;
}

/*
 * Before attaching, binds are only recorded: a port another recorded
 * socket of the type holds is refused now, as the stack would (locked).
 */
static bool port_recorded(const struct pl_sock *s, uint16_t port)
{
	union pl_fd *p;
	int fd;

	if (pl.attach == PA_OK)
		return false;	/* the stack itself says */
	for (fd = 0; fd <= pl_fd_high(); fd++) {
		p = pl_fd_get(fd);
		if (p && &p->s != s && p->kind == PL_SOCK && p->s.state == PS_BYPASS &&
		    p->s.bound && p->s.type == s->type && p->s.bind_port == port)
			return true;
	}
	return false;
}

PL_EXPORT int bind(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pl_sock *s = tracked(fd);
	struct sockaddr_in sin;
	const char *why;
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return pl_real.bind(fd, sa, len);
	if (s->state == PS_BYPASS && s->bound)
		return pl_fail(EINVAL);
	if (!get_in(sa, len, &addr, &port))
		return s->state == PS_BYPASS ? pl_fail(EINVAL) : pl_real.bind(fd, sa, len);
	pl_lock();
	why = pl_bind_rule(&pl.cfg, addr, port);
	if (s->state == PS_UNDECIDED && (why || !port)) {
		/* Port 0 on a bypass address: decided later, by connect. */
		r = pl_real.bind(fd, sa, len);
		if (why)
			pl_to_kernel(fd, s, "bind", addr, port, why);
		pl_unlock();
		return r;
	}
	if (port_recorded(s, port)) {
		pl_unlock();
		return pl_fail(EADDRINUSE);
	}
	s->bound = true;
	s->bind_addr = addr;
	s->bind_port = port;
	if (s->state == PS_UNDECIDED) {
		r = pl_commit(fd, s, "bind", addr, port, false);
	} else if (s->bfd >= 0) {
		sin = *(const struct sockaddr_in *)sa;
		r = bypass_bind(pl.ctx, s->bfd, (void *)&sin, sizeof(sin)) ? -errno : 0;
	} else {
		r = 0;
	}
	if (r) {
		s->bound = false;
		s->err = 0;
	}
	pl_unlock();
	return r ? pl_fail(-r) : 0;
}

PL_EXPORT int listen(int fd, int backlog)
{
	struct pl_sock *s = tracked(fd);
	int r = 0;

	if (!s)
		return pl_real.listen(fd, backlog);
	pl_lock();
	if (s->state == PS_UNDECIDED) {
		r = pl_real.listen(fd, backlog);
		pl_to_kernel(fd, s, "listen", 0, 0, "not bound to a bypass address");
		pl_unlock();
		return r;
	}
	if (s->type != SOCK_STREAM) {
		pl_unlock();
		return pl_fail(EOPNOTSUPP);
	}
	s->listening = true;
	s->backlog = backlog;
	if (s->bfd >= 0 && bypass_listen(pl.ctx, s->bfd, backlog))
		r = -errno;
	pl_unlock();
	return r ? pl_fail(-r) : 0;
}

struct accept_args {
	struct sockaddr *addr;
	socklen_t *len;
};

static ssize_t try_accept(struct pl_sock *s, void *arg)
{
	struct accept_args *a = arg;

	return bypass_accept4(pl.ctx, s->bfd, a->addr, a->len, SOCK_NONBLOCK);
}

PL_EXPORT int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	struct pl_sock *s = tracked(fd), *ns;
	struct accept_args a = { addr, len };
	int nb, kfd, e;

	if (!s || s->state != PS_BYPASS)
		return pl_real.accept4(fd, addr, len, flags);
	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return pl_fail(EINVAL);
	nb = (int)pl_retry(fd, false, false, try_accept, &a);
	if (nb < 0)
		return -1;
	/* The accepted connection's own kernel fd: a placeholder socket. */
	kfd = pl_real.socket(AF_INET, SOCK_STREAM | (flags & SOCK_CLOEXEC), 0);
	pl_lock();
	ns = kfd >= 0 ? pl_sock_new(kfd, SOCK_STREAM, PS_BYPASS) : NULL;
	if (!ns) {
		e = kfd < 0 ? errno : ENOMEM;
		bypass_close(pl.ctx, nb);
		pl_unlock();
		if (kfd >= 0)
			pl_real.close(kfd);
		return pl_fail(e);
	}
	ns->bfd = nb;
	ns->nonblock = flags & SOCK_NONBLOCK;
	pl_unlock();
	return kfd;
}

PL_EXPORT int accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	return accept4(fd, addr, len, 0);
}

static ssize_t try_connected(struct pl_sock *s, void *arg)
{
	int ev = bypass_sock_events(pl.ctx, s->bfd), err = 0;
	socklen_t l = sizeof(err);

	(void)arg;
	if (ev < 0)
		return -1;
	if (!(ev & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
		return pl_fail(EAGAIN);
	if (bypass_getsockopt(pl.ctx, s->bfd, SOL_SOCKET, SO_ERROR, &err, &l))
		return -1;
	return err ? pl_fail(err) : 0;
}

static ssize_t try_connect(struct pl_sock *s, void *arg)
{
	const struct sockaddr_in *sin = arg;

	return bypass_connect(pl.ctx, s->bfd, (const void *)sin, sizeof(*sin));
}

/* Connect the bypass socket; a blocking one waits for the handshake. */
static int bypass_connect_call(int fd, struct pl_sock *s,
			       const struct sockaddr *sa, socklen_t len)
{
	struct sockaddr_in sin;

	if (!sa || len < sizeof(sin))
		return pl_fail(EINVAL);
	memcpy(&sin, sa, sizeof(sin));
	if (!pl_retry(fd, true, true, try_connect, &sin))
		return 0;
	if (errno != EINPROGRESS || s->nonblock)
		return -1;
	return (int)pl_retry(fd, false, true, try_connected, NULL);
}

PL_EXPORT int connect(int fd, const struct sockaddr *sa, socklen_t len)
{
	struct pl_sock *s = tracked(fd);
	const char *why;
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return pl_real.connect(fd, sa, len);
	if (s->state == PS_BYPASS)
		return bypass_connect_call(fd, s, sa, len);
	if (!get_in(sa, len, &addr, &port))
		return pl_real.connect(fd, sa, len);
	pl_lock();
	why = pl_dest_rule(&pl.cfg, s->type, addr, port);
	if (!why) {
		if (s->bound && s->bind_port == 0)
			s->bound = false;	/* an ephemeral port of bypass's own */
		r = pl_commit(fd, s, "connect", addr, port, true);
		if (!r) {
			pl_unlock();
			return bypass_connect_call(fd, s, sa, len);
		}
		if (pl.attach == PA_OK) {
			pl_unlock();
			return pl_fail(-r);
		}
		s->state = PS_UNDECIDED;
		why = "attaching failed";
	}
	pl_to_kernel(fd, s, "connect", addr, port, why);
	pl_unlock();
	return pl_real.connect(fd, sa, len);
}

PL_EXPORT int shutdown(int fd, int how)
{
	struct pl_sock *s = tracked(fd);
	int r, e;

	if (!s || s->state != PS_BYPASS)
		return pl_real.shutdown(fd, how);
	pl_lock();
	s = pl_ready_sock(fd);
	r = s ? bypass_shutdown(pl.ctx, s->bfd, how) : -1;
	e = errno;
	pl_unlock();
	errno = e;
	return r;
}

/* getsockname/getpeername of a committed socket. */
static int name_of(int fd, struct pl_sock *s, struct sockaddr *sa,
		   socklen_t *len, bool peer)
{
	struct sockaddr_in in = { .sin_family = AF_INET };
	int r, e;

	pl_lock();
	if (s->bfd < 0 || pl.attach != PA_OK) {
		pl_unlock();
		if (peer)
			return pl_fail(ENOTCONN);
		if (!sa || !len)
			return pl_fail(EFAULT);
		in.sin_addr.s_addr = s->bind_addr;
		in.sin_port = htons(s->bind_port);
		memcpy(sa, &in, *len < sizeof(in) ? *len : sizeof(in));
		*len = sizeof(in);
		return 0;
	}
	r = peer ? bypass_getpeername(pl.ctx, s->bfd, sa, len) :
		   bypass_getsockname(pl.ctx, s->bfd, sa, len);
	e = errno;
	pl_unlock();
	errno = e;
	(void)fd;
	return r;
}

PL_EXPORT int getsockname(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_sock *s = tracked(fd);

	if (!s || s->state != PS_BYPASS)
		return pl_real.getsockname(fd, sa, len);
	return name_of(fd, s, sa, len, false);
}

PL_EXPORT int getpeername(int fd, struct sockaddr *sa, socklen_t *len)
{
	struct pl_sock *s = tracked(fd);

	if (!s || s->state != PS_BYPASS)
		return pl_real.getpeername(fd, sa, len);
	return name_of(fd, s, sa, len, true);
}

PL_EXPORT int setsockopt(int fd, int level, int name, const void *val,
			 socklen_t len)
{
	struct pl_sock *s = tracked(fd);
	int r;

	if (!s)
		return pl_real.setsockopt(fd, level, name, val, len);
	if (s->state == PS_UNDECIDED) {
		/* The kernel judges it; bypass gets it too if it commits. */
		r = pl_real.setsockopt(fd, level, name, val, len);
		if (!r) {
			pl_lock();
			pl_setsockopt(s, level, name, val, len);
			pl_unlock();
		}
		return r;
	}
	pl_lock();
	r = pl_setsockopt(s, level, name, val, len);
	pl_unlock();
	return r ? pl_fail(-r) : 0;
}

PL_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	struct pl_sock *s = tracked(fd);
	int r;

	if (!s || s->state != PS_BYPASS)
		return pl_real.getsockopt(fd, level, name, val, len);
	pl_lock();
	r = pl_getsockopt(s, level, name, val, len);
	pl_unlock();
	return r ? pl_fail(-r) : 0;
}
