/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libbypass application API, socket-like part, for porting code
 * written for BSD sockets: the same calls with a context as the first
 * argument, returning -1 and setting errno like their namesakes. Data is
 * copied between the caller's memory and pool buffers (bypass_api.h has
 * the zero-copy calls; both work on the same descriptors).
 *
 * Descriptors are the context's, not the kernel's: they cannot be passed
 * to read(2) or poll(2). A readiness set's descriptor given to a socket
 * call gives ENOTSOCK. For readiness, a bypass_epoll set is watched with
 * bypass_epoll_wait(), and bypass_ctx_fd() puts the whole context into
 * the application's own kernel epoll/poll loop; a call that finds nothing
 * to do (EAGAIN, EINPROGRESS, a wait that found nothing) arms that fd for
 * the sleep that may follow, and no call arms it while traffic flows.
 *
 * Blocking calls sleep on the queue's interrupt (after a short spin), so
 * a blocked thread uses no CPU. A context belongs to one thread.
 */
#ifndef BYPASS_SOCKET_H
#define BYPASS_SOCKET_H

#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "bypass_api.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * AF_INET with SOCK_STREAM or SOCK_DGRAM (optionally | SOCK_NONBLOCK);
 * @protocol 0 or the matching IPPROTO_. EAFNOSUPPORT, EPROTONOSUPPORT,
 * EINVAL, EMFILE.
 */
int bypass_socket(struct bypass_ctx *ctx, int domain, int type, int protocol);
/* EBADF, EINVAL, EAFNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE. */
int bypass_bind(struct bypass_ctx *ctx, int fd, const struct sockaddr *addr,
		socklen_t len);
/* EBADF, EOPNOTSUPP, EDESTADDRREQ (unbound), EINVAL, EADDRINUSE, ENOBUFS. */
int bypass_listen(struct bypass_ctx *ctx, int fd, int backlog);
/*
 * A new connected socket (blocking unless @fd is non-blocking: EAGAIN).
 * @flags: SOCK_NONBLOCK for the new socket. EBADF, EINVAL (not listening),
 * EMFILE.
 */
int bypass_accept4(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		   socklen_t *len, int flags);
int bypass_accept(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		  socklen_t *len);
/*
 * TCP: connect (a non-blocking socket returns EINPROGRESS, then reports
 * writable and SO_ERROR says how it ended); ECONNREFUSED, ETIMEDOUT,
 * EISCONN, EALREADY. UDP: set the default destination.
 */
int bypass_connect(struct bypass_ctx *ctx, int fd, const struct sockaddr *addr,
		   socklen_t len);

/*
 * Copying send/receive. @flags: MSG_DONTWAIT, MSG_NOSIGNAL (implied: no
 * signal is ever raised); recv also MSG_PEEK (TCP: the bytes of the next
 * received buffer, which may be fewer than are queued; UDP: the next
 * datagram, which the next receive returns again). send: EPIPE, ENOTCONN, ECONNRESET, EAGAIN,
 * EMSGSIZE (UDP), EDESTADDRREQ. recv: 0 at end of stream; EAGAIN,
 * ENOTCONN, ECONNRESET, ETIMEDOUT. A dead connection's error is returned
 * once, by the first send, recv or SO_ERROR (as in Linux); then recv
 * gives 0 and send EPIPE.
 */
ssize_t bypass_send(struct bypass_ctx *ctx, int fd, const void *buf, size_t len,
		    int flags);
ssize_t bypass_recv(struct bypass_ctx *ctx, int fd, void *buf, size_t len,
		    int flags);
ssize_t bypass_sendto(struct bypass_ctx *ctx, int fd, const void *buf,
		      size_t len, int flags, const struct sockaddr *to,
		      socklen_t tolen);
ssize_t bypass_recvfrom(struct bypass_ctx *ctx, int fd, void *buf, size_t len,
			int flags, struct sockaddr *from, socklen_t *fromlen);

/*
 * SHUT_WR sends FIN after the queued data; SHUT_RD makes reads return the
 * end of the stream and drops what arrives (it is still acknowledged).
 */
int bypass_shutdown(struct bypass_ctx *ctx, int fd, int how);
/* As bypass_qclose(). */
int bypass_close(struct bypass_ctx *ctx, int fd);

/*
 * Options. SOL_SOCKET: SO_REUSEADDR, SO_KEEPALIVE, SO_SNDBUF (bytes the
 * socket may hold unacknowledged), SO_RCVBUF (setting it is accepted and
 * changes nothing: the receive window is the stack's, which reading it
 * gives), SO_ERROR and SO_TYPE (read only). IPPROTO_TCP: TCP_NODELAY,
 * TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT (seconds/count),
 * TCP_CONGESTION ("reno" or "cubic"; ENOENT for another). ENOPROTOOPT for
 * the rest, EOPNOTSUPP for a TCP option on a UDP socket, EINVAL for a bad
 * value or size.
 */
int bypass_setsockopt(struct bypass_ctx *ctx, int fd, int level, int name,
		      const void *val, socklen_t len);
int bypass_getsockopt(struct bypass_ctx *ctx, int fd, int level, int name,
		      void *val, socklen_t *len);
int bypass_getsockname(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		       socklen_t *len);
int bypass_getpeername(struct bypass_ctx *ctx, int fd, struct sockaddr *addr,
		       socklen_t *len);
/* F_GETFL, F_SETFL with O_NONBLOCK. */
int bypass_fcntl(struct bypass_ctx *ctx, int fd, int cmd, int arg);
/*
 * FIONREAD (int *): the bytes a receive would find now (TCP: every
 * in-order byte queued, UDP: the next datagram's size, 0 if none);
 * FIONBIO (const int *): non-blocking when non-zero. EBADF, ENOTSOCK,
 * EFAULT, ENOTTY for another request.
 */
int bypass_ioctl(struct bypass_ctx *ctx, int fd, unsigned long req, void *arg);
/*
 * What @fd is ready for now, as a level-triggered set would report it
 * (EPOLLIN, EPOLLOUT, EPOLLRDHUP, EPOLLHUP, EPOLLERR), for callers that
 * look at sockets one at a time like poll(2). It does not poll the
 * device: call bypass_ctx_poll() first. -1 with EBADF or ENOTSOCK.
 */
int bypass_sock_events(struct bypass_ctx *ctx, int fd);

/*
 * Readiness sets, level-triggered like epoll's default: EPOLLIN (data,
 * end of stream, a connection to accept), EPOLLOUT (room to send, a
 * connect that ended), EPOLLRDHUP, EPOLLHUP, EPOLLERR. EPOLLONESHOT is
 * honoured; an EPOLLET member is reported once, then again only after
 * the stack's next news of it (data, an ACK, a state change). A socket
 * belongs to at most one set (EEXIST otherwise). bypass_epoll_wait():
 * @timeout_ms -1 waits for ever, asleep.
 */
int bypass_epoll_create(struct bypass_ctx *ctx);
int bypass_epoll_ctl(struct bypass_ctx *ctx, int epfd, int op, int fd,
		     struct epoll_event *ev);
int bypass_epoll_wait(struct bypass_ctx *ctx, int epfd,
		      struct epoll_event *events, int max, int timeout_ms);
/*
 * A kernel fd (an eventfd) of the set @epfd, for several sets waited on
 * by several threads: it is readable while the set may have members to
 * report, and from then on this set no longer makes bypass_ctx_fd()
 * readable (which stays readable for device work, timers and completed
 * operations). It is lowered by a bypass_epoll_wait() on the set that
 * finds nothing; closed with the set. -1 with EBADF, EINVAL (not a set)
 * or eventfd's errno.
 */
int bypass_epoll_fd(struct bypass_ctx *ctx, int epfd);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_SOCKET_H */
