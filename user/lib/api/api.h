/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the application APIs (bypass_api.h, bypass_socket.h): the
 * context, its descriptor table and its table of operations in flight,
 * shared by api_ctx.c (life, progress, waiting), api_queue.c (the native
 * calls), api_socket.c (the socket-like calls) and api_epoll.c.
 */
#ifndef BYPASS_API_INTERNAL_H
#define BYPASS_API_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_api.h"
#include "bypass_tcp.h"

enum api_kind { SK_FREE, SK_TCP, SK_UDP, SK_EPOLL };

/* Where a TCP socket is in its life. */
enum api_phase { TP_NEW, TP_LISTEN, TP_CONNECTING, TP_CONNECTED };

/* One asynchronous operation, from its token to its completion. */
struct api_op {
	struct api_op *next;		/* socket's FIFO, or the free list */
	uint32_t gen;			/* token generation: stale tokens fail */
	bool busy, done;
	struct bypass_qresult res;
	struct bypass_sga push;		/* PUSH: what is still to queue */
	uint32_t push_next;
	/* Where the application stored the token: a hint for qwait_any. */
	const bypass_qtoken_t *slot;
	struct api_op *done_next, **done_pprev;	/* completed, uncollected */
};

/* Operations of one direction, completed in order. */
struct api_fifo {
	struct api_op *head, *tail;
};

struct api_sock {
	uint8_t kind;			/* enum api_kind */
	uint8_t phase;			/* enum api_phase (TCP) */
	bool nonblock, reuseaddr, rd_shut, wr_shut;
	bool dirty;			/* on the context's dirty list */
	bool nodelay, keepalive;
	bool err_reported;		/* the connection's error was returned */
	bool ep_off;			/* EPOLLONESHOT fired: off until MOD */
	uint8_t cc;			/* enum bypass_tcp_cc, 0: default */
	uint32_t laddr, raddr;		/* network order */
	uint16_t lport, rport;
	struct bypass_tcp_conn *conn;	/* connection or listener */
	struct bypass_udp *udp;
	uint32_t backlog;
	struct bypass_buf *rx_cur;	/* TCP: partly read by bypass_recv();
					 * UDP: a datagram MSG_PEEK held */
	uint32_t peek_addr;		/* UDP: where rx_cur came from */
	uint16_t peek_port;
	struct api_fifo rxops, txops;	/* pop/accept; push/connect */
	struct api_sock *dirty_next, **dirty_pprev;
	uint32_t sndbuf;		/* SO_SNDBUF: unacknowledged bytes */
	uint32_t ka_idle_s, ka_intvl_s, ka_cnt;

	/* Membership of a readiness set (kind != SK_EPOLL). */
	int ep;				/* the set's descriptor, -1: none */
	uint32_t ep_events;
	uint64_t ep_data;
	bool ep_queued;			/* on the set's ready list */
	struct api_sock *ep_next, **ep_pprev;

	/* A readiness set (kind SK_EPOLL): members that may be ready. */
	struct api_sock *ready_head, **ready_tail;
	struct api_sock *ep_set_next;	/* the context's list of sets */
	int wake_fd;			/* bypass_epoll_fd()'s eventfd, or -1 */
	bool wake_raised;		/* ... holds a count */
};

struct api_member;
struct api_port_use;

struct bypass_ctx {
	struct bypass_dev *dev;
	bool own_dev;
	struct api_member *member;	/* its place in a group, or NULL */
	struct bypass_stack *st;
	struct bypass_pool *pool;
	uint32_t addr;
	uint32_t tcp_rcvbuf;		/* the engine's receive window */
	uint32_t tcp_sndbuf;		/* what its send queue can hold */

	struct api_sock *socks;
	uint32_t nr_socks;
	uint32_t *free_fds;		/* stack of free descriptors */
	uint32_t nr_free_fds;

	struct api_op *ops;
	uint32_t nr_ops;
	struct api_op *op_free;
	uint32_t completed;		/* operations completed, ever */
	uint32_t collected;		/* ... and their results taken */
	struct api_op *done;		/* those completed, not yet taken */
	struct api_sock *ep_sets;	/* readiness sets */

	struct api_sock *dirty;		/* news to look at */
	struct api_port_use *tcp_ports;	/* per local port (api_ports.c) */

	/* bypass_ctx_fd(): an epoll of the RX interrupt (and of the TX one
	 * while it is armed), a timer and an eventfd raised while there is
	 * work already or the interrupts are off (a poll turned them off and
	 * no call has found nothing to do since). */
	int epfd, timerfd, selffd;
	bool tx_watched;		/* the TX interrupt's fd is in epfd */
	uint64_t timer_set_ns;		/* deadline the timerfd holds, or 0 */
	bool self_raised;
	bool fd_armed;			/* interrupts and timer armed, eventfd
					 * low: the fd tells the truth */
};

/* api_ctx.c */
struct api_sock *api_sock(struct bypass_ctx *ctx, int fd);
int api_sock_alloc(struct bypass_ctx *ctx, uint8_t kind);
void api_sock_release(struct bypass_ctx *ctx, struct api_sock *s);
int api_fd(const struct bypass_ctx *ctx, const struct api_sock *s);
void api_mark(struct bypass_ctx *ctx, struct api_sock *s);
/*
 * Poll the device, run what the group handed over, look at every socket
 * with news. True when anything happened (a frame, a socket with news).
 */
bool api_progress(struct bypass_ctx *ctx);
uint64_t api_now(void);
/* Deadline (CLOCK_MONOTONIC ns) @ms from now; UINT64_MAX for ms < 0. */
uint64_t api_deadline_ms(int ms);
/*
 * Sleep until there is news for the context or @deadline (CLOCK_MONOTONIC
 * ns, UINT64_MAX: none), then make progress. -ETIMEDOUT once the deadline
 * has passed, 0 otherwise, -errno when the device fails.
 */
int api_block(struct bypass_ctx *ctx, uint64_t deadline);
/*
 * The end of every call that may have queued frames or polled the stack:
 * hand the frames to the device and keep bypass_ctx_fd() true without a
 * system call while traffic flows: after a poll turned the interrupts off
 * the fd stays readable (its eventfd raised once), and while it is armed a
 * call that made work (a completion, a ready member, an earlier timer)
 * raises it or moves the timer earlier.
 */
void api_done(struct bypass_ctx *ctx);
/*
 * The end of a call that found nothing to do (EAGAIN, nothing ready, a
 * timeout): the application may be about to sleep, so arm bypass_ctx_fd()
 * (interrupts on, timer at the next deadline, eventfd lowered unless
 * there is work already). api_done() otherwise.
 */
void api_idle(struct bypass_ctx *ctx);

/* api_queue.c */
void api_run_ops(struct bypass_ctx *ctx, struct api_sock *s);
void api_cancel_ops(struct bypass_ctx *ctx, struct api_sock *s);
void api_rx_discard(struct api_sock *s);
int api_tcp_connect(struct bypass_ctx *ctx, struct api_sock *s,
		    uint32_t addr, uint16_t port);
int api_udp_ensure_bound(struct bypass_ctx *ctx, struct api_sock *s);
/* The next datagram of @s (the one MSG_PEEK held first), or NULL. */
struct bypass_buf *api_udp_take(struct api_sock *s, uint32_t *addr,
				uint16_t *port);
void api_apply_opts(struct api_sock *s);
int api_take_accepted(struct bypass_ctx *ctx, struct api_sock *l,
		      struct bypass_tcp_conn *c);

/*
 * api_ports.c: the local TCP ports the sockets hold. A TCP socket is
 * counted while it has a local port: api_port_drop() before its port,
 * phase (listening) or SO_REUSEADDR changes, api_port_hold() after.
 */
int api_ports_init(struct bypass_ctx *ctx);
void api_ports_free(struct bypass_ctx *ctx);
void api_port_hold(struct bypass_ctx *ctx, const struct api_sock *s);
void api_port_drop(struct bypass_ctx *ctx, const struct api_sock *s);
/*
 * Whether a bind of @s (not counted: no port yet) to @port conflicts with
 * another socket's: SO_REUSEADDR on both lets them share it unless one
 * listens.
 */
bool api_port_conflict(const struct bypass_ctx *ctx, const struct api_sock *s,
		       uint16_t port);

/* api_group.c: a context's part in its group (ctx->member set) */
/* Run what other contexts handed over (one relaxed load when none). */
void api_group_drain(struct bypass_ctx *ctx);
/* The mailbox holds something: bypass_ctx_fd() must be readable. */
bool api_group_pending(const struct bypass_ctx *ctx);
/* The mailbox's eventfd, for bypass_ctx_fd()'s epoll. */
int api_group_fd(const struct bypass_ctx *ctx);
/* Share a neighbour the context's stack learnt with the others. */
void api_group_neigh(struct bypass_ctx *ctx, uint32_t ip, const uint8_t *mac);
/* bypass_group_destroy() is running: its contexts may go. */
bool api_group_destroying(const struct bypass_ctx *ctx);

/* api_epoll.c */
/*
 * A dead connection's error is pending (EPOLLERR, SO_ERROR) until one call
 * returns it, as Linux's sk_err: api_err_take() hands it over once, then 0.
 */
bool api_err_pending(const struct api_sock *s);
int api_err_take(struct api_sock *s);
uint32_t api_events(struct bypass_ctx *ctx, struct api_sock *s);
void api_ep_note(struct bypass_ctx *ctx, struct api_sock *s);
void api_ep_forget(struct bypass_ctx *ctx, struct api_sock *s);
bool api_any_ready(struct bypass_ctx *ctx);
void api_ep_set_close(struct bypass_ctx *ctx, struct api_sock *set);

#endif /* BYPASS_API_INTERNAL_H */
