// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The socket-like application API: BSD-socket calls on a context's
 * descriptors, copying between the caller's memory and pool buffers, with
 * blocking (asleep on the queue's interrupt) and non-blocking modes. They
 * return -1 and set errno, like the calls they imitate.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/ioctl.h>

#include "api.h"
#include "bypass_socket.h"

/* Linux's keepalive defaults (tcp(7)). */
#define KA_IDLE_S	7200
#define KA_INTVL_S	75
#define KA_CNT		9

static int fail(int err)
{
	errno = err;
	return -1;
}

/*
 * api_done() for a call returning @r, keeping the call's errno; a call
 * that found nothing to do (EAGAIN, EINPROGRESS) arms bypass_ctx_fd() for
 * the sleep that may follow (api_idle).
 */
static ssize_t done(struct bypass_ctx *ctx, ssize_t r)
{
	int e = errno;

	if (r < 0 && (e == EAGAIN || e == EINPROGRESS))
		api_idle(ctx);
	else
		api_done(ctx);
	errno = e;
	return r;
}

static struct api_sock *sock_of(struct bypass_ctx *ctx, int fd)
{
	struct api_sock *s = api_sock(ctx, fd);

	if (!s)
		errno = EBADF;
	else if (s->kind == SK_EPOLL) {
		errno = ENOTSOCK;
		s = NULL;
	}
	return s;
}

void api_apply_opts(struct api_sock *s)
{
	if (!s->conn || s->phase == TP_LISTEN)
		return;
	bypass_tcp_set_nodelay(s->conn, s->nodelay);
	if (s->cc)
		bypass_tcp_set_cc(s->conn, s->cc);
	if (s->keepalive)
		bypass_tcp_set_keepalive(s->conn,
			(uint64_t)(s->ka_idle_s ? s->ka_idle_s : KA_IDLE_S) * 1000000000ull,
			(uint64_t)(s->ka_intvl_s ? s->ka_intvl_s : KA_INTVL_S) * 1000000000ull,
			s->ka_cnt ? s->ka_cnt : KA_CNT);
	else
		bypass_tcp_set_keepalive(s->conn, 0, 1, 1);
}

/*
 * Wait until @s is ready for one of @want (or failed): 0, or -EAGAIN for a
 * non-blocking socket, or -errno when the device fails.
 */
static int wait_ready(struct bypass_ctx *ctx, struct api_sock *s, uint32_t want,
		      bool nonblock)
{
	for (;;) {
		int r;

		if (api_events(ctx, s) & (want | EPOLLERR | EPOLLHUP))
			return 0;
		if (nonblock)
			return -EAGAIN;
		r = api_block(ctx, UINT64_MAX);
		if (r)
			return r;
	}
}

static int get_in(const struct sockaddr *sa, socklen_t len, uint32_t *addr,
		  uint16_t *port)
{
	const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

	if (!sa || len < sizeof(*in))
		return EINVAL;
	if (in->sin_family != AF_INET)
		return EAFNOSUPPORT;
	*addr = in->sin_addr.s_addr;
	*port = ntohs(in->sin_port);
	return 0;
}

static void put_in(struct sockaddr *sa, socklen_t *len, uint32_t addr,
		   uint16_t port)
{
	struct sockaddr_in in = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = addr,
	};

	if (!sa || !len)
		return;
	memcpy(sa, &in, *len < sizeof(in) ? *len : sizeof(in));
	*len = sizeof(in);
}

int bypass_socket(struct bypass_ctx *ctx, int domain, int type, int protocol)
{
	int base = type & ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	int fd;

	if (!ctx)
		return fail(EINVAL);
	if (domain != AF_INET)
		return fail(EAFNOSUPPORT);
	if (base == SOCK_STREAM && protocol && protocol != IPPROTO_TCP)
		return fail(EPROTONOSUPPORT);
	if (base == SOCK_DGRAM && protocol && protocol != IPPROTO_UDP)
		return fail(EPROTONOSUPPORT);
	fd = bypass_qsocket(ctx, base);
	if (fd < 0)
		return fail(-fd);
	ctx->socks[fd].nonblock = type & SOCK_NONBLOCK;
	return fd;
}

int bypass_bind(struct bypass_ctx *ctx, int fd, const struct sockaddr *sa,
		socklen_t len)
{
	struct api_sock *s = sock_of(ctx, fd);
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return -1;
	r = get_in(sa, len, &addr, &port);
	if (r)
		return fail(r);
	if (!port) {
		if (s->kind != SK_UDP || s->udp)
			return fail(EINVAL);	/* TCP needs a port */
		if (addr && addr != ctx->addr)
			return fail(EADDRNOTAVAIL);
		r = api_udp_ensure_bound(ctx, s);
	} else {
		r = bypass_qbind(ctx, fd, addr, port);
	}
	return r ? fail(-r) : 0;
}

int bypass_listen(struct bypass_ctx *ctx, int fd, int backlog)
{
	int r;

	if (!sock_of(ctx, fd))
		return -1;
	r = bypass_qlisten(ctx, fd, backlog > 0 ? (uint32_t)backlog : 0);
	return r ? fail(-r) : 0;
}

int bypass_accept4(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		   socklen_t *len, int flags)
{
	struct api_sock *s = sock_of(ctx, fd);
	struct bypass_qresult res;
	bypass_qtoken_t qt;
	int r;

	if (!s)
		return -1;
	if (s->kind != SK_TCP || s->phase != TP_LISTEN ||
	    flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return fail(EINVAL);
	if (s->nonblock) {
		struct bypass_tcp_conn *c = bypass_tcp_accept(s->conn);

		if (!c) {
			api_progress(ctx);
			c = bypass_tcp_accept(s->conn);
		}
		if (!c)
			return (int)done(ctx, fail(EAGAIN));
		r = api_take_accepted(ctx, s, c);
		if (r < 0)
			return (int)done(ctx, fail(-r));
		res.new_qd = r;
		res.addr = ctx->socks[r].raddr;
		res.port = ctx->socks[r].rport;
	} else {
		r = bypass_qaccept(ctx, fd, &qt);
		if (!r)
			r = bypass_qwait(ctx, qt, &res, NULL);
		if (r)
			return fail(-r);
		if (res.err)
			return fail(res.err);
	}
	ctx->socks[res.new_qd].nonblock = flags & SOCK_NONBLOCK;
	put_in(addr, len, res.addr, res.port);
	api_done(ctx);
	return res.new_qd;
}

int bypass_accept(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		  socklen_t *len)
{
	return bypass_accept4(ctx, fd, addr, len, 0);
}

int bypass_connect(struct bypass_ctx *ctx, int fd, const struct sockaddr *sa,
		   socklen_t len)
{
	struct api_sock *s = sock_of(ctx, fd);
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return -1;
	r = get_in(sa, len, &addr, &port);
	if (r)
		return fail(r);
	if (s->kind == SK_UDP) {
		if (!addr || !port)
			return fail(EINVAL);
		r = api_udp_ensure_bound(ctx, s);
		if (r)
			return fail(-r);
		s->raddr = addr;
		s->rport = port;
		return 0;
	}
	if (s->phase == TP_CONNECTING)
		api_events(ctx, s);	/* settles a finished handshake */
	r = api_tcp_connect(ctx, s, addr, port);
	if (r)
		return fail(-r);
	if (s->nonblock)
		return (int)done(ctx, fail(EINPROGRESS));
	r = wait_ready(ctx, s, EPOLLOUT, false);
	if (r)
		return (int)done(ctx, fail(-r));
	r = api_err_take(s);	/* reported here, not by SO_ERROR */
	return (int)done(ctx, r ? fail(r) : 0);
}

/*
 * What send on a dead connection fails with: its error the first time
 * (unless recv or SO_ERROR returned it already), then EPIPE, as in Linux.
 */
static int tcp_dead(struct api_sock *s)
{
	int e = api_err_take(s);

	return e ? e : EPIPE;
}

/* Buffers one pass of tcp_send() fills before queuing them together. */
#define SEND_BATCH	64

/*
 * Fill up to @room buffers from @p (@len bytes) into @bufs, stopping where
 * SO_SNDBUF (@budget unacknowledged bytes still allowed, UINT32_MAX: no
 * bound) or the pool runs out: how many, their bytes in @bytes.
 */
static uint32_t send_fill(struct bypass_ctx *ctx, struct bypass_buf **bufs,
			  uint32_t room, uint32_t budget, const uint8_t *p,
			  size_t len, size_t *bytes)
{
	size_t off = 0;
	uint32_t nb = 0;

	while (nb < room && off < len && off < budget) {
		struct bypass_buf *b = bypass_buf_alloc(ctx->pool);
		uint32_t n;

		if (!b)
			break;
		n = bypass_buf_tailroom(b);
		if (n > len - off)
			n = (uint32_t)(len - off);
		memcpy(b->data, p + off, n);
		b->len = n;
		bufs[nb++] = b;
		off += n;
	}
	*bytes = off;
	return nb;
}

/*
 * Queue @b, a fresh buffer, filled from @p, and what more of @p fits in
 * one bypass_tcp_sendv() call, so the engine cuts the whole write into
 * full segments at once (@len exceeds what @b holds). The bytes queued,
 * or -errno when the engine took nothing.
 */
static ssize_t send_batch(struct bypass_ctx *ctx, struct api_sock *s,
			  struct bypass_buf *b, const uint8_t *p, size_t len)
{
	struct bypass_buf *bufs[SEND_BATCH];
	uint32_t room, budget = UINT32_MAX, nb, i;
	uint32_t n = bypass_buf_tailroom(b);
	size_t bytes;
	int r;

	memcpy(b->data, p, n);
	b->len = n;
	bufs[0] = b;
	room = bypass_tcp_send_room(s->conn);
	if (room > SEND_BATCH)
		room = SEND_BATCH;
	if (s->sndbuf)	/* tcp_writable(): below it before each buffer */
		budget = s->sndbuf - bypass_tcp_unacked(s->conn);
	nb = 1 + send_fill(ctx, bufs + 1, room - 1, budget > n ? budget - n : 0,
			   p + n, len - n, &bytes);
	bytes += n;
	r = bypass_tcp_sendv(s->conn, bufs, nb);
	if (r < 0) {
		for (i = 0; i < nb; i++)
			bypass_buf_put(bufs[i]);
		return r;
	}
	/* Fewer taken (the queue filled): the rest is not sent, nor counted. */
	for (i = (uint32_t)r; i < nb; i++) {
		bytes -= bufs[i]->len;
		bypass_buf_put(bufs[i]);
	}
	return (ssize_t)bytes;
}

static ssize_t tcp_send(struct bypass_ctx *ctx, struct api_sock *s,
			const uint8_t *p, size_t len, bool nonblock)
{
	struct bypass_buf *b;
	size_t sent = 0;
	ssize_t n;
	int r;

	if (s->phase == TP_CONNECTING) {
		r = wait_ready(ctx, s, EPOLLOUT, nonblock);
		if (r)
			return fail(-r);
	}
	if (s->phase != TP_CONNECTED)
		return fail(ENOTCONN);
	while (sent < len) {
		if (bypass_tcp_error(s->conn))
			return sent ? (ssize_t)sent : fail(tcp_dead(s));
		if (s->wr_shut)
			return sent ? (ssize_t)sent : fail(EPIPE);
		if (!(api_events(ctx, s) & EPOLLOUT)) {
			enum bypass_tcp_state st = bypass_tcp_state(s->conn);

			if (st != BYPASS_TCP_ESTABLISHED && st != BYPASS_TCP_CLOSE_WAIT)
				return sent ? (ssize_t)sent : fail(EPIPE);
			if (sent && nonblock)
				break;
			r = wait_ready(ctx, s, EPOLLOUT, nonblock);
			if (r)
				return sent ? (ssize_t)sent : fail(-r);
			continue;
		}
		b = bypass_buf_alloc(ctx->pool);
		if (!b) {
			/* Pool dry: what is in flight comes back on ACKs. */
			if (sent && nonblock)
				break;
			if (nonblock)
				return fail(EAGAIN);
			r = api_block(ctx, api_deadline_ms(1));
			if (r && r != -ETIMEDOUT)
				return sent ? (ssize_t)sent : fail(-r);
			continue;
		}
		if (len - sent <= bypass_buf_tailroom(b)) {
			/* One buffer holds the rest: tcp_writable() has room. */
			memcpy(b->data, p + sent, len - sent);
			b->len = (uint32_t)(len - sent);
			r = bypass_tcp_send(s->conn, b);
			if (r)
				return sent ? (ssize_t)sent : fail(-r);
			sent = len;
			break;
		}
		n = send_batch(ctx, s, b, p + sent, len - sent);
		if (n < 0)
			return sent ? (ssize_t)sent : fail((int)-n);
		sent += (size_t)n;
	}
	return (ssize_t)sent;
}

/*
 * MSG_PEEK on TCP: a copy of the bytes of the next received buffer (a
 * short peek, as a stream allows), which stay to be read.
 */
static ssize_t tcp_peek(struct api_sock *s, uint8_t *p, size_t len)
{
	size_t n;

	if (!s->rx_cur)
		s->rx_cur = bypass_tcp_recv(s->conn);
	if (!s->rx_cur)
		return -1;
	n = s->rx_cur->len < len ? s->rx_cur->len : len;
	memcpy(p, s->rx_cur->data, n);
	return (ssize_t)n;
}

static ssize_t tcp_recv(struct bypass_ctx *ctx, struct api_sock *s, uint8_t *p,
			size_t len, bool nonblock, bool peek)
{
	size_t got = 0;
	ssize_t n;
	int r;

	if (s->phase == TP_CONNECTING) {
		r = wait_ready(ctx, s, EPOLLIN, nonblock);
		if (r)
			return fail(-r);
	}
	if (s->phase != TP_CONNECTED)
		return fail(ENOTCONN);
	if (!len)
		return 0;
	for (;;) {
		if (s->rd_shut) {
			api_rx_discard(s);
			return 0;
		}
		if (peek && (n = tcp_peek(s, p, len)) >= 0)
			return n;
		if (!s->rx_cur)
			s->rx_cur = bypass_tcp_recv(s->conn);
		while (s->rx_cur && got < len) {
			struct bypass_buf *b = s->rx_cur;
			uint32_t n = b->len;

			if (n > len - got)
				n = (uint32_t)(len - got);
			memcpy(p + got, b->data, n);
			got += n;
			b->data += n;
			b->len -= n;
			if (!b->len) {
				bypass_buf_put(b);
				s->rx_cur = bypass_tcp_recv(s->conn);
			}
		}
		if (got)
			return (ssize_t)got;
		if (bypass_tcp_eof(s->conn))
			return 0;
		/* Dead: its error once, then the end of the stream (Linux). */
		if (bypass_tcp_error(s->conn)) {
			r = api_err_take(s);
			return r ? fail(r) : 0;
		}
		r = wait_ready(ctx, s, EPOLLIN, nonblock);
		if (r)
			return fail(-r);
	}
}

static ssize_t udp_send(struct bypass_ctx *ctx, struct api_sock *s,
			const void *p, size_t len, uint32_t addr, uint16_t port)
{
	struct bypass_buf *b;
	int r;

	if (!port)
		return fail(EINVAL);
	r = api_udp_ensure_bound(ctx, s);
	if (r)
		return fail(-r);
	b = bypass_buf_alloc(ctx->pool);
	if (!b)
		return fail(ENOBUFS);
	if (len > bypass_buf_tailroom(b)) {
		bypass_buf_put(b);
		return fail(EMSGSIZE);
	}
	memcpy(b->data, p, len);
	b->len = (uint32_t)len;
	r = bypass_udp_sendto(s->udp, b, addr, port);
	if (r)
		return fail(-r);
	return (ssize_t)len;
}

ssize_t bypass_sendto(struct bypass_ctx *ctx, int fd, const void *buf,
		      size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen)
{
	struct api_sock *s = sock_of(ctx, fd);
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return -1;
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL))
		return fail(EOPNOTSUPP);
	if (!buf && len)
		return fail(EFAULT);
	if (s->kind == SK_TCP)
		return done(ctx, tcp_send(ctx, s, buf, len,
					  s->nonblock || flags & MSG_DONTWAIT));
	if (!to) {
		if (!s->rport)
			return fail(EDESTADDRREQ);
		return done(ctx, udp_send(ctx, s, buf, len, s->raddr, s->rport));
	}
	r = get_in(to, tolen, &addr, &port);
	if (r)
		return fail(r);
	return done(ctx, udp_send(ctx, s, buf, len, addr, port));
}

ssize_t bypass_send(struct bypass_ctx *ctx, int fd, const void *buf, size_t len,
		    int flags)
{
	return bypass_sendto(ctx, fd, buf, len, flags, NULL, 0);
}

ssize_t bypass_recvfrom(struct bypass_ctx *ctx, int fd, void *buf, size_t len,
			int flags, struct sockaddr *from, socklen_t *fromlen)
{
	struct api_sock *s = sock_of(ctx, fd);
	bool nonblock;
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t port;
	int r;

	if (!s)
		return -1;
	if (flags & ~(MSG_DONTWAIT | MSG_NOSIGNAL | MSG_PEEK))
		return fail(EOPNOTSUPP);
	if (!buf && len)
		return fail(EFAULT);
	nonblock = s->nonblock || flags & MSG_DONTWAIT;
	if (s->kind == SK_TCP)
		return done(ctx, tcp_recv(ctx, s, buf, len, nonblock,
					  flags & MSG_PEEK));
	if (!s->udp)
		return fail(ENOTCONN);
	while (!(b = api_udp_take(s, &addr, &port))) {
		r = wait_ready(ctx, s, EPOLLIN, nonblock);
		if (r)
			return done(ctx, fail(-r));
	}
	if (len > b->len)
		len = b->len;
	memcpy(buf, b->data, len);
	if (flags & MSG_PEEK) {
		s->rx_cur = b;		/* the next receive returns it again */
		s->peek_addr = addr;
		s->peek_port = port;
	} else {
		bypass_buf_put(b);
	}
	put_in(from, fromlen, addr, port);
	return done(ctx, (ssize_t)len);
}

ssize_t bypass_recv(struct bypass_ctx *ctx, int fd, void *buf, size_t len,
		    int flags)
{
	return bypass_recvfrom(ctx, fd, buf, len, flags, NULL, NULL);
}

int bypass_shutdown(struct bypass_ctx *ctx, int fd, int how)
{
	struct api_sock *s = sock_of(ctx, fd);

	if (!s)
		return -1;
	if (how != SHUT_RD && how != SHUT_WR && how != SHUT_RDWR)
		return fail(EINVAL);
	if (s->kind != SK_TCP || s->phase == TP_NEW || s->phase == TP_LISTEN)
		return fail(ENOTCONN);
	api_events(ctx, s);
	if (how != SHUT_WR) {
		s->rd_shut = true;
		api_rx_discard(s);
	}
	if (how != SHUT_RD && !s->wr_shut) {
		int r = bypass_tcp_shutdown(s->conn);

		if (r && r != -EPIPE)
			return fail(-r);
		s->wr_shut = true;
	}
	api_mark(ctx, s);
	return (int)done(ctx, 0);
}

int bypass_close(struct bypass_ctx *ctx, int fd)
{
	struct api_sock *s = api_sock(ctx, fd);

	if (!s)
		return fail(EBADF);
	if (s->kind == SK_EPOLL) {
		api_ep_set_close(ctx, s);
		api_sock_release(ctx, s);
		return 0;
	}
	api_ep_forget(ctx, s);
	api_cancel_ops(ctx, s);
	if (s->rx_cur) {
		/* Unread data: the close resets the connection, as in Linux. */
		bypass_buf_put(s->rx_cur);
		s->rx_cur = NULL;
		if (s->conn && s->phase == TP_CONNECTED) {
			bypass_tcp_set_user(s->conn, NULL);
			bypass_tcp_abort(s->conn);
			s->conn = NULL;
		}
	}
	if (s->conn) {
		bypass_tcp_set_user(s->conn, NULL);
		bypass_tcp_close(s->conn);
	}
	if (s->udp) {
		bypass_udp_set_user(s->udp, NULL);
		bypass_udp_close(s->udp);
	}
	api_sock_release(ctx, s);
	api_done(ctx);
	return 0;
}

static int int_opt(const void *val, socklen_t len, int *out)
{
	if (!val || len < sizeof(int))
		return EINVAL;
	memcpy(out, val, sizeof(int));
	return 0;
}

int bypass_setsockopt(struct bypass_ctx *ctx, int fd, int level, int name,
		      const void *val, socklen_t len)
{
	struct api_sock *s = sock_of(ctx, fd);
	int v = 0, r;

	if (!s)
		return -1;
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		char n[16] = { 0 };

		if (s->kind != SK_TCP)
			return fail(EOPNOTSUPP);
		if (!val || !len)
			return fail(EINVAL);
		memcpy(n, val, len < sizeof(n) - 1 ? len : sizeof(n) - 1);
		if (!strcmp(n, "cubic"))
			s->cc = BYPASS_TCP_CC_CUBIC;
		else if (!strcmp(n, "reno") || !strcmp(n, "newreno"))
			s->cc = BYPASS_TCP_CC_NEWRENO;
		else
			return fail(ENOENT);
		api_apply_opts(s);
		return (int)done(ctx, 0);
	}
	r = int_opt(val, len, &v);
	if (r)
		return fail(r);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_REUSEADDR:
			api_port_drop(ctx, s);
			s->reuseaddr = v;
			api_port_hold(ctx, s);
			return 0;
		case SO_KEEPALIVE:
			s->keepalive = v;
			break;
		case SO_SNDBUF:
			if (v <= 0)
				return fail(EINVAL);
			s->sndbuf = (uint32_t)v;
			return 0;
		case SO_RCVBUF:
			/* The window is the stack's; getsockopt reports it. */
			return v <= 0 ? fail(EINVAL) : 0;
		default:
			return fail(ENOPROTOOPT);
		}
	} else if (level == IPPROTO_TCP && s->kind == SK_TCP) {
		switch (name) {
		case TCP_NODELAY:
			s->nodelay = v;
			break;
		case TCP_KEEPIDLE:
		case TCP_KEEPINTVL:
		case TCP_KEEPCNT:
			if (v < 1 || v > 32767)
				return fail(EINVAL);
			if (name == TCP_KEEPIDLE)
				s->ka_idle_s = (uint32_t)v;
			else if (name == TCP_KEEPINTVL)
				s->ka_intvl_s = (uint32_t)v;
			else
				s->ka_cnt = (uint32_t)v;
			break;
		default:
			return fail(ENOPROTOOPT);
		}
	} else {
		return fail(level == IPPROTO_TCP ? EOPNOTSUPP : ENOPROTOOPT);
	}
	/* Options may arm a timer or release what Nagle held. */
	api_apply_opts(s);
	return (int)done(ctx, 0);
}

int bypass_getsockopt(struct bypass_ctx *ctx, int fd, int level, int name,
		      void *val, socklen_t *len)
{
	struct api_sock *s = sock_of(ctx, fd);
	int v;

	if (!s)
		return -1;
	if (!val || !len)
		return fail(EINVAL);
	if (level == IPPROTO_TCP && name == TCP_CONGESTION) {
		const char *n = s->cc == BYPASS_TCP_CC_CUBIC ? "cubic" : "reno";
		socklen_t l = (socklen_t)strlen(n) + 1;

		if (*len < l)
			l = *len;
		memcpy(val, n, l);
		*len = l;
		return 0;
	}
	if (*len < sizeof(int))
		return fail(EINVAL);
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_ERROR:
			if (s->kind == SK_TCP)
				api_events(ctx, s);
			/* A connection's error is reported once, as in Linux. */
			v = api_err_take(s);
			break;
		case SO_TYPE:
			v = s->kind == SK_TCP ? SOCK_STREAM : SOCK_DGRAM;
			break;
		case SO_REUSEADDR:
			v = s->reuseaddr;
			break;
		case SO_KEEPALIVE:
			v = s->keepalive;
			break;
		case SO_SNDBUF:
			v = (int)(s->sndbuf ? s->sndbuf : ctx->tcp_sndbuf);
			break;
		case SO_RCVBUF:
			v = (int)ctx->tcp_rcvbuf;
			break;
		default:
			return fail(ENOPROTOOPT);
		}
	} else if (level == IPPROTO_TCP && s->kind == SK_TCP) {
		switch (name) {
		case TCP_NODELAY:
			v = s->nodelay;
			break;
		case TCP_KEEPIDLE:
			v = (int)(s->ka_idle_s ? s->ka_idle_s : KA_IDLE_S);
			break;
		case TCP_KEEPINTVL:
			v = (int)(s->ka_intvl_s ? s->ka_intvl_s : KA_INTVL_S);
			break;
		case TCP_KEEPCNT:
			v = (int)(s->ka_cnt ? s->ka_cnt : KA_CNT);
			break;
		default:
			return fail(ENOPROTOOPT);
		}
	} else {
		return fail(level == IPPROTO_TCP ? EOPNOTSUPP : ENOPROTOOPT);
	}
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int bypass_getsockname(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		       socklen_t *len)
{
	struct api_sock *s = sock_of(ctx, fd);

	if (!s)
		return -1;
	if (!addr || !len)
		return fail(EINVAL);
	put_in(addr, len, s->lport ? ctx->addr : 0, s->lport);
	return 0;
}

int bypass_getpeername(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		       socklen_t *len)
{
	struct api_sock *s = sock_of(ctx, fd);

	if (!s)
		return -1;
	if (!addr || !len)
		return fail(EINVAL);
	if (!s->rport || (s->kind == SK_TCP && s->phase != TP_CONNECTED &&
			  s->phase != TP_CONNECTING))
		return fail(ENOTCONN);
	put_in(addr, len, s->raddr, s->rport);
	return 0;
}

int bypass_fcntl(struct bypass_ctx *ctx, int fd, int cmd, int arg)
{
	struct api_sock *s = api_sock(ctx, fd);

	if (!s)
		return fail(EBADF);
	if (cmd == F_GETFL)
		return O_RDWR | (s->nonblock ? O_NONBLOCK : 0);
	if (cmd == F_SETFL) {
		s->nonblock = arg & O_NONBLOCK;
		return 0;
	}
	return fail(EINVAL);
}

int bypass_sock_events(struct bypass_ctx *ctx, int fd)
{
	struct api_sock *s = sock_of(ctx, fd);

	return s ? (int)api_events(ctx, s) : -1;
}

/* Bytes a receive would find now: TCP every in-order byte, UDP a datagram. */
static int readable_bytes(struct api_sock *s)
{
	uint32_t n;

	if (s->kind == SK_UDP) {
		if (!s->rx_cur && s->udp)
			s->rx_cur = bypass_udp_recv(s->udp, &s->peek_addr,
						    &s->peek_port);
		return s->rx_cur ? (int)s->rx_cur->len : 0;
	}
	if (s->phase != TP_CONNECTED || s->rd_shut)
		return 0;
	n = bypass_tcp_readable(s->conn) + (s->rx_cur ? s->rx_cur->len : 0);
	return n > INT32_MAX ? INT32_MAX : (int)n;
}

int bypass_ioctl(struct bypass_ctx *ctx, int fd, unsigned long req, void *arg)
{
	struct api_sock *s = sock_of(ctx, fd);
	int v;

	if (!s)
		return -1;
	if (!arg)
		return fail(EFAULT);
	switch (req) {
	case FIONREAD:
		v = readable_bytes(s);
		memcpy(arg, &v, sizeof(v));
		return 0;
	case FIONBIO:
		memcpy(&v, arg, sizeof(v));
		s->nonblock = v != 0;
		return 0;
	default:
		return fail(ENOTTY);
	}
}
