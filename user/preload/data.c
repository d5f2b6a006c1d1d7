// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The data calls on bypass sockets: read/write, readv/writev, recv*,
 * send*, sendfile and the _FORTIFY_SOURCE _chk variants, all through one
 * receive and one send path on an iovec. The context's sockets are always
 * non-blocking; a blocking caller sleeps in pl_retry(). Linux's semantics:
 * a blocking send returns when all is queued, MSG_WAITALL fills the
 * buffer, EPIPE raises SIGPIPE unless MSG_NOSIGNAL. An UNDECIDED UDP
 * socket's sendto/sendmsg with an address decides it (config.c's rule).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "preload.h"

/* A UDP payload always fits (the stack does not fragment). */
#define DGRAM_MAX	2048
#define SENDFILE_CHUNK	16384

/* Bytes of @iov from @off on: the segment index and the offset in it. */
static int iov_at(const struct iovec *iov, int cnt, size_t off, size_t *in)
{
	int i;

	for (i = 0; i < cnt && off >= iov[i].iov_len; i++)
		off -= iov[i].iov_len;
	*in = off;
	return i;
}

static size_t iov_total(const struct iovec *iov, int cnt)
{
	size_t t = 0;
	int i;

	for (i = 0; i < cnt; i++)
		t += iov[i].iov_len;
	return t;
}

struct xfer {
	const struct iovec *iov;
	int cnt;
	int flags;
	size_t total, done;
	bool eof;
	struct sockaddr *from;		/* receive */
	socklen_t *fromlen;
	int *msg_flags;
	const struct sockaddr *to;	/* send */
	socklen_t tolen;
};

static ssize_t try_recv_tcp(struct pl_sock *s, struct xfer *x)
{
	int peek = x->flags & MSG_PEEK, i;
	size_t in;
	ssize_t n;

	for (i = iov_at(x->iov, x->cnt, x->done, &in); i < x->cnt; i++, in = 0) {
		size_t want = x->iov[i].iov_len - in;

		if (!want)
			continue;
		n = bypass_recv(pl.ctx, s->bfd, (char *)x->iov[i].iov_base + in,
				want, MSG_DONTWAIT | peek);
		if (n < 0) {
			if (x->done && errno == EAGAIN)
				break;
			if (x->done)
				return (ssize_t)x->done;	/* the error next time */
			return -1;
		}
		if (!n) {
			x->eof = true;
			break;
		}
		x->done += (size_t)n;
		if ((size_t)n < want || peek)
			break;
	}
	/* MSG_WAITALL: a blocking call goes on until full, the end or an error. */
	if (x->flags & MSG_WAITALL && !peek && !x->eof && x->done < x->total &&
	    !s->nonblock && !(x->flags & MSG_DONTWAIT))
		return pl_fail(EAGAIN);
	if (!x->done && !x->eof && x->total)
		return pl_fail(EAGAIN);
	return (ssize_t)x->done;
}

static ssize_t try_recv_udp(struct pl_sock *s, struct xfer *x)
{
	char buf[DGRAM_MAX];
	size_t off = 0, c;
	ssize_t n;
	int i;

	n = bypass_recvfrom(pl.ctx, s->bfd, buf, sizeof(buf),
			    MSG_DONTWAIT | (x->flags & MSG_PEEK), x->from, x->fromlen);
	if (n < 0)
		return -1;
	for (i = 0; i < x->cnt && off < (size_t)n; i++) {
		c = x->iov[i].iov_len < (size_t)n - off ? x->iov[i].iov_len : (size_t)n - off;
		memcpy(x->iov[i].iov_base, buf + off, c);
		off += c;
	}
	if ((size_t)n > off && x->msg_flags)
		*x->msg_flags |= MSG_TRUNC;
	return x->flags & MSG_TRUNC ? n : (ssize_t)off;
}

static ssize_t try_recv(struct pl_sock *s, void *arg)
{
	return s->type == SOCK_STREAM ? try_recv_tcp(s, arg) : try_recv_udp(s, arg);
}

ssize_t pl_recv_iov(int fd, const struct iovec *iov, int cnt, int flags,
		    struct sockaddr *from, socklen_t *fromlen, int *msg_flags)
{
	struct xfer x = {
		.iov = iov, .cnt = cnt, .flags = flags,
		.total = iov_total(iov, cnt), .from = from, .fromlen = fromlen,
		.msg_flags = msg_flags,
	};

	if (flags & MSG_OOB)
		return pl_fail(EOPNOTSUPP);	/* no urgent data on bypass */
	return pl_retry(fd, flags & MSG_DONTWAIT, false, try_recv, &x);
}

static ssize_t try_send_tcp(struct pl_sock *s, struct xfer *x)
{
	bool nonblock = s->nonblock || x->flags & MSG_DONTWAIT;
	size_t in;
	ssize_t n;
	int i;

	for (i = iov_at(x->iov, x->cnt, x->done, &in); i < x->cnt; i++, in = 0) {
		size_t want = x->iov[i].iov_len - in;

		if (!want)
			continue;
		n = bypass_send(pl.ctx, s->bfd, (const char *)x->iov[i].iov_base + in,
				want, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN && !(x->done && nonblock))
				return -1;	/* a blocking caller waits for room */
			return x->done ? (ssize_t)x->done : -1;
		}
		x->done += (size_t)n;
		if ((size_t)n < want) {
			if (nonblock)
				return (ssize_t)x->done;
			return pl_fail(EAGAIN);
		}
	}
	return (ssize_t)x->done;
}

static ssize_t try_send_udp(struct pl_sock *s, struct xfer *x)
{
	char buf[DGRAM_MAX];
	size_t off = 0;
	int i;

	if (x->total > sizeof(buf))
		return pl_fail(EMSGSIZE);
	for (i = 0; i < x->cnt; i++) {
		memcpy(buf + off, x->iov[i].iov_base, x->iov[i].iov_len);
		off += x->iov[i].iov_len;
	}
	return bypass_sendto(pl.ctx, s->bfd, buf, off, MSG_DONTWAIT, x->to, x->tolen);
}

static ssize_t try_send(struct pl_sock *s, void *arg)
{
	return s->type == SOCK_STREAM ? try_send_tcp(s, arg) : try_send_udp(s, arg);
}

ssize_t pl_send_iov(int fd, const struct iovec *iov, int cnt, int flags,
		    const struct sockaddr *to, socklen_t tolen)
{
	struct xfer x = {
		.iov = iov, .cnt = cnt, .flags = flags,
		.total = iov_total(iov, cnt), .to = to, .tolen = tolen,
	};
	ssize_t r;

	if (flags & MSG_OOB)
		return pl_fail(EOPNOTSUPP);
	if (!x.total && cnt >= 0 && !to)
		return 0;
	r = pl_retry(fd, flags & MSG_DONTWAIT, true, try_send, &x);
	if (r < 0 && errno == EPIPE && !(flags & MSG_NOSIGNAL)) {
		raise(SIGPIPE);		/* as Linux, to the calling thread */
		errno = EPIPE;
	}
	return r;
}

/* The bypass socket @fd names, or NULL: then the call is the kernel's. */
static struct pl_sock *bsock(int fd)
{
	pl_init();
	return pl_inside ? NULL : pl_bypass_sock(fd);
}

/*
 * A send with a destination on a socket not decided yet (UDP sendto): the
 * destination decides. True when it went to bypass.
 */
static bool send_decides(int fd, const struct sockaddr *to, socklen_t tolen)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)to;
	union pl_fd *p;
	const char *why;
	bool bypass = false;

	pl_init();
	p = pl_inside ? NULL : pl_fd_get(fd);
	if (!p || p->kind != PL_SOCK || p->s.state != PS_UNDECIDED || !to ||
	    tolen < sizeof(*in) || in->sin_family != AF_INET)
		return p && p->kind == PL_SOCK && p->s.state == PS_BYPASS;
	pl_lock();
	why = pl_dest_rule(&pl.cfg, p->s.type, in->sin_addr.s_addr,
			   ntohs(in->sin_port));
	if (!why && !pl_commit(fd, &p->s, "sendto", in->sin_addr.s_addr,
			       ntohs(in->sin_port), true))
		bypass = true;
	else if (!why && pl.attach == PA_OK)
		bypass = true;		/* committed; the send reports the error */
	else
		pl_to_kernel(fd, &p->s, "sendto", in->sin_addr.s_addr,
			     ntohs(in->sin_port), why ? why : "attaching failed");
	pl_unlock();
	return bypass;
}

PL_EXPORT ssize_t read(int fd, void *buf, size_t n)
{
	struct iovec iov = { buf, n };

	if (!bsock(fd))
		return pl_real.read(fd, buf, n);
	return pl_recv_iov(fd, &iov, 1, 0, NULL, NULL, NULL);
}

PL_EXPORT ssize_t readv(int fd, const struct iovec *iov, int cnt)
{
	if (!bsock(fd))
		return pl_real.readv(fd, iov, cnt);
	if (cnt < 0 || cnt > IOV_MAX)
		return pl_fail(EINVAL);
	return pl_recv_iov(fd, iov, cnt, 0, NULL, NULL, NULL);
}

PL_EXPORT ssize_t recvfrom(int fd, void *buf, size_t n, int flags,
			   struct sockaddr *from, socklen_t *fromlen)
{
	struct iovec iov = { buf, n };

	if (!bsock(fd))
		return pl_real.recvfrom(fd, buf, n, flags, from, fromlen);
	return pl_recv_iov(fd, &iov, 1, flags, from, fromlen, NULL);
}

PL_EXPORT ssize_t recv(int fd, void *buf, size_t n, int flags)
{
	return recvfrom(fd, buf, n, flags, NULL, NULL);
}

PL_EXPORT ssize_t recvmsg(int fd, struct msghdr *m, int flags)
{
	if (!bsock(fd))
		return pl_real.recvmsg(fd, m, flags);
	if ((int)m->msg_iovlen < 0 || m->msg_iovlen > IOV_MAX)
		return pl_fail(EMSGSIZE);
	m->msg_flags = 0;
	m->msg_controllen = 0;		/* no ancillary data from bypass */
	return pl_recv_iov(fd, m->msg_iov, (int)m->msg_iovlen, flags,
			   m->msg_name, m->msg_name ? &m->msg_namelen : NULL,
			   &m->msg_flags);
}

PL_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	struct iovec iov = { (void *)buf, n };

	if (!bsock(fd))
		return pl_real.write(fd, buf, n);
	return pl_send_iov(fd, &iov, 1, 0, NULL, 0);
}

PL_EXPORT ssize_t writev(int fd, const struct iovec *iov, int cnt)
{
	if (!bsock(fd))
		return pl_real.writev(fd, iov, cnt);
	if (cnt < 0 || cnt > IOV_MAX)
		return pl_fail(EINVAL);
	return pl_send_iov(fd, iov, cnt, 0, NULL, 0);
}

PL_EXPORT ssize_t sendto(int fd, const void *buf, size_t n, int flags,
			 const struct sockaddr *to, socklen_t tolen)
{
	struct iovec iov = { (void *)buf, n };

	if (!send_decides(fd, to, tolen))
		return pl_real.sendto(fd, buf, n, flags, to, tolen);
	return pl_send_iov(fd, &iov, 1, flags, to, tolen);
}

PL_EXPORT ssize_t send(int fd, const void *buf, size_t n, int flags)
{
	return sendto(fd, buf, n, flags, NULL, 0);
}

PL_EXPORT ssize_t sendmsg(int fd, const struct msghdr *m, int flags)
{
	if (!send_decides(fd, m->msg_name, m->msg_namelen))
		return pl_real.sendmsg(fd, m, flags);
	if ((int)m->msg_iovlen < 0 || m->msg_iovlen > IOV_MAX)
		return pl_fail(EMSGSIZE);
	/* Ancillary data is ignored (see Documentation/preload.rst). */
	return pl_send_iov(fd, m->msg_iov, (int)m->msg_iovlen, flags,
			   m->msg_name, m->msg_namelen);
}

/* sendfile to a bypass socket: read the file, send what was read. */
PL_EXPORT ssize_t sendfile(int out, int in, off_t *off, size_t count)
{
	char buf[SENDFILE_CHUNK];
	size_t total = 0;
	ssize_t r, w;

	if (!bsock(out)) {
		if (bsock(in))
			return pl_fail(EINVAL);	/* in_fd must be a file */
		return pl_real.sendfile(out, in, off, count);
	}
	while (total < count) {
		size_t n = count - total < sizeof(buf) ? count - total : sizeof(buf);
		struct iovec iov = { buf, 0 };

		r = off ? pl_real.pread(in, buf, n, *off) : pl_real.read(in, buf, n);
		if (r <= 0) {
			if (r < 0 && !total)
				return -1;
			break;
		}
		iov.iov_len = (size_t)r;
		w = pl_send_iov(out, &iov, 1, 0, NULL, 0);
		if (w < (ssize_t)r && !off)	/* give back what was not sent */
			lseek(in, -(off_t)(r - (w > 0 ? w : 0)), SEEK_CUR);
		if (w <= 0) {
			if (!total)
				return -1;
			break;
		}
		if (off)
			*off += w;
		total += (size_t)w;
		if (w < r)
			break;
	}
	return (ssize_t)total;
}

PL_EXPORT ssize_t sendfile64(int out, int in, off_t *off, size_t count)
{
	return sendfile(out, in, off, count);
}

/* The _FORTIFY_SOURCE entry points: the size check, then the call. */
void __chk_fail(void) __attribute__((noreturn));

PL_EXPORT ssize_t __read_chk(int fd, void *buf, size_t n, size_t buflen)
{
	if (n > buflen)
		__chk_fail();
	return read(fd, buf, n);
}

PL_EXPORT ssize_t __recv_chk(int fd, void *buf, size_t n, size_t buflen,
			     int flags)
{
	if (n > buflen)
		__chk_fail();
	return recvfrom(fd, buf, n, flags, NULL, NULL);
}

PL_EXPORT ssize_t __recvfrom_chk(int fd, void *buf, size_t n, size_t buflen,
				 int flags, struct sockaddr *from,
				 socklen_t *fromlen)
{
	if (n > buflen)
		__chk_fail();
	return recvfrom(fd, buf, n, flags, from, fromlen);
}
