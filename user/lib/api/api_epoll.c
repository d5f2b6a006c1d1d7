// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Readiness for the socket-like API: what a socket is ready for, and
 * readiness sets that behave like a level-triggered epoll. A set keeps a
 * list of members that may be ready, fed by the stack's news about them
 * (api_ep_note) and pruned when a wait finds one no longer ready, so a
 * wait costs the number of ready sockets, not the number of members.
 * An edge-triggered member (EPOLLET) leaves the list once reported and
 * comes back with the stack's next news of it (data, an ACK, a state
 * change), as Linux reports an edge on each wakeup of the socket.
 */
#include <errno.h>
#include <stdbool.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "api.h"
#include "bypass_socket.h"

#define ALWAYS	(EPOLLERR | EPOLLHUP)

/* A connecting socket whose handshake ended is connected (or failed). */
static void tcp_settle(struct api_sock *s)
{
	enum bypass_tcp_state st;

	if (s->phase != TP_CONNECTING)
		return;
	st = bypass_tcp_state(s->conn);
	if (st == BYPASS_TCP_SYN_SENT || st == BYPASS_TCP_SYN_RECEIVED)
		return;
	s->phase = TP_CONNECTED;	/* a failure stays pending for SO_ERROR */
}

bool api_err_pending(const struct api_sock *s)
{
	return s->kind == SK_TCP && s->conn && s->phase != TP_LISTEN &&
	       !s->err_reported && bypass_tcp_error(s->conn);
}

int api_err_take(struct api_sock *s)
{
	if (!api_err_pending(s))
		return 0;
	s->err_reported = true;
	return bypass_tcp_error(s->conn);
}

static bool tcp_writable(struct api_sock *s)
{
	enum bypass_tcp_state st = bypass_tcp_state(s->conn);

	if (st != BYPASS_TCP_ESTABLISHED && st != BYPASS_TCP_CLOSE_WAIT)
		return false;
	if (s->wr_shut || !bypass_tcp_send_room(s->conn))
		return false;
	return !s->sndbuf || bypass_tcp_unacked(s->conn) < s->sndbuf;
}

uint32_t api_events(struct bypass_ctx *ctx, struct api_sock *s)
{
	uint32_t ev = 0;
	bool eof;

	(void)ctx;
	if (s->kind == SK_UDP)
		return EPOLLOUT | (s->rx_cur || (s->udp && bypass_udp_pending(s->udp)) ?
				   EPOLLIN : 0);
	if (s->kind != SK_TCP)
		return 0;
	switch (s->phase) {
	case TP_NEW:
		return EPOLLOUT | EPOLLHUP;
	case TP_LISTEN:
		return bypass_tcp_acceptable(s->conn) ? EPOLLIN : 0;
	case TP_CONNECTING:
		tcp_settle(s);
		if (s->phase == TP_CONNECTING)
			return 0;
		break;
	}
	/* Dead: EPOLLERR only until the error was returned, as in Linux. */
	if (bypass_tcp_error(s->conn))
		return EPOLLIN | EPOLLOUT | EPOLLHUP | EPOLLRDHUP |
		       (api_err_pending(s) ? EPOLLERR : 0);
	eof = (bypass_tcp_eof(s->conn) && !s->rx_cur) || s->rd_shut;
	if (s->rx_cur || bypass_tcp_readable(s->conn) || eof)
		ev |= EPOLLIN;
	if (eof)
		ev |= EPOLLRDHUP;
	if (tcp_writable(s))
		ev |= EPOLLOUT;
	if ((eof && s->wr_shut) || bypass_tcp_state(s->conn) == BYPASS_TCP_CLOSED)
		ev |= EPOLLHUP;
	return ev;
}

/* A set with its own fd: raise it when the set has members to report. */
static void wake_raise(struct api_sock *set)
{
	uint64_t one = 1;

	if (set->wake_fd < 0 || set->wake_raised)
		return;
	if (write(set->wake_fd, &one, sizeof(one)) == sizeof(one))
		set->wake_raised = true;
}

/* ... and lower it once a look found nothing to report. */
static void wake_lower(struct api_sock *set)
{
	uint64_t v;

	if (!set->wake_raised)
		return;
	if (read(set->wake_fd, &v, sizeof(v)) == sizeof(v) || errno == EAGAIN)
		set->wake_raised = false;
}

static void ready_append(struct api_sock *set, struct api_sock *s)
{
	s->ep_queued = true;
	s->ep_next = NULL;
	s->ep_pprev = set->ready_tail;
	*set->ready_tail = s;
	set->ready_tail = &s->ep_next;
	wake_raise(set);
}

void api_ep_note(struct bypass_ctx *ctx, struct api_sock *s)
{
	struct api_sock *set;

	if (s->ep < 0 || s->ep_queued || s->ep_off)
		return;
	if (!(api_events(ctx, s) & (s->ep_events | ALWAYS)))
		return;
	set = &ctx->socks[s->ep];
	ready_append(set, s);
}

void api_ep_forget(struct bypass_ctx *ctx, struct api_sock *s)
{
	struct api_sock *set;

	if (s->ep < 0)
		return;
	set = &ctx->socks[s->ep];
	if (s->ep_queued) {
		*s->ep_pprev = s->ep_next;
		if (s->ep_next)
			s->ep_next->ep_pprev = s->ep_pprev;
		else
			set->ready_tail = s->ep_pprev;
		s->ep_queued = false;
	}
	s->ep = -1;
}

bool api_any_ready(struct bypass_ctx *ctx)
{
	struct api_sock *set;

	if (ctx->completed != ctx->collected)
		return true;
	/* A set with its own fd says so itself (bypass_epoll_fd). */
	for (set = ctx->ep_sets; set; set = set->ep_set_next)
		if (set->ready_head && set->wake_fd < 0)
			return true;
	return false;
}

int bypass_epoll_create(struct bypass_ctx *ctx)
{
	int fd;

	if (!ctx) {
		errno = EINVAL;
		return -1;
	}
	fd = api_sock_alloc(ctx, SK_EPOLL);
	if (fd < 0) {
		errno = -fd;
		return -1;
	}
	ctx->socks[fd].ep_set_next = ctx->ep_sets;
	ctx->ep_sets = &ctx->socks[fd];
	return fd;
}

/* Unlink a closing set from the context and from its members. */
void api_ep_set_close(struct bypass_ctx *ctx, struct api_sock *set)
{
	struct api_sock **pp;
	uint32_t i, me = (uint32_t)api_fd(ctx, set);

	for (pp = &ctx->ep_sets; *pp != set; pp = &(*pp)->ep_set_next)
		;
	*pp = set->ep_set_next;
	if (set->wake_fd >= 0)
		close(set->wake_fd);
	set->wake_fd = -1;
	set->wake_raised = false;
	for (i = 0; i < ctx->nr_socks; i++)
		if (ctx->socks[i].kind != SK_FREE && ctx->socks[i].ep == (int)me) {
			ctx->socks[i].ep = -1;
			ctx->socks[i].ep_queued = false;
		}
}

int bypass_epoll_ctl(struct bypass_ctx *ctx, int epfd, int op, int fd,
		     struct epoll_event *ev)
{
	struct api_sock *set = api_sock(ctx, epfd), *s = api_sock(ctx, fd);
	int err = 0;

	if (!set || !s)
		err = EBADF;
	else if (set->kind != SK_EPOLL || s == set || s->kind == SK_EPOLL)
		err = EINVAL;
	else if (op != EPOLL_CTL_DEL && !ev)
		err = EINVAL;
	else if (op == EPOLL_CTL_ADD && s->ep >= 0)
		err = EEXIST;
	else if ((op == EPOLL_CTL_MOD || op == EPOLL_CTL_DEL) && s->ep != epfd)
		err = ENOENT;
	else if (op != EPOLL_CTL_ADD && op != EPOLL_CTL_MOD && op != EPOLL_CTL_DEL)
		err = EINVAL;
	if (err) {
		errno = err;
		return -1;
	}
	if (op == EPOLL_CTL_DEL) {
		api_ep_forget(ctx, s);
		return 0;
	}
	if (op == EPOLL_CTL_MOD)
		api_ep_forget(ctx, s);
	s->ep = epfd;
	s->ep_events = ev->events;
	s->ep_off = false;
	s->ep_data = ev->data.u64;
	api_ep_note(ctx, s);
	api_done(ctx);
	return 0;
}

/* Report the set's ready members, at most @max, rotating the reported. */
static int collect(struct bypass_ctx *ctx, struct api_sock *set,
		   struct epoll_event *events, int max)
{
	struct api_sock *s, *keep = NULL, **keep_tail = &keep;
	int n = 0;

	while (n < max && (s = set->ready_head)) {
		uint32_t ev;

		set->ready_head = s->ep_next;
		if (set->ready_head)
			set->ready_head->ep_pprev = &set->ready_head;
		else
			set->ready_tail = &set->ready_head;
		s->ep_queued = false;
		ev = s->ep_off ? 0 : api_events(ctx, s) & (s->ep_events | ALWAYS);
		if (!ev)
			continue;
		events[n].events = ev;
		events[n].data.u64 = s->ep_data;
		n++;
		if (s->ep_events & EPOLLONESHOT) {
			s->ep_off = true;	/* until EPOLL_CTL_MOD */
			continue;
		}
		/* Edge-triggered: again only when the stack has news of it. */
		if (s->ep_events & EPOLLET)
			continue;
		/* Level-triggered: still ready next time, after the others. */
		s->ep_queued = true;
		s->ep_next = NULL;
		s->ep_pprev = keep_tail;
		*keep_tail = s;
		keep_tail = &s->ep_next;
	}
	if (keep) {
		keep->ep_pprev = set->ready_tail;
		*set->ready_tail = keep;
		set->ready_tail = keep_tail;
	}
	return n;
}

int bypass_epoll_wait(struct bypass_ctx *ctx, int epfd,
		      struct epoll_event *events, int max, int timeout_ms)
{
	struct api_sock *set = api_sock(ctx, epfd);
	uint64_t deadline;
	int n, r;

	if (!set) {
		errno = EBADF;
		return -1;
	}
	if (set->kind != SK_EPOLL || !events || max <= 0) {
		errno = EINVAL;
		return -1;
	}
	deadline = api_deadline_ms(timeout_ms);
	api_progress(ctx);
	for (;;) {
		n = collect(ctx, set, events, max);
		if (n)
			break;
		if (!set->ready_head)
			wake_lower(set);
		r = api_block(ctx, deadline);
		if (r == -ETIMEDOUT)
			break;
		if (r) {
			errno = -r;
			return -1;
		}
	}
	if (n)
		api_done(ctx);
	else
		api_idle(ctx);	/* nothing ready: the caller may sleep next */
	return n;
}

int bypass_epoll_fd(struct bypass_ctx *ctx, int epfd)
{
	struct api_sock *set = api_sock(ctx, epfd);

	if (!set || set->kind != SK_EPOLL) {
		errno = set ? EINVAL : EBADF;
		return -1;
	}
	if (set->wake_fd >= 0)
		return set->wake_fd;
	set->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (set->wake_fd < 0)
		return -1;
	if (set->ready_head)
		wake_raise(set);
	return set->wake_fd;
}
