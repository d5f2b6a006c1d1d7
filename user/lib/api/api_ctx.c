// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The application context: one stack on one queue pair, its descriptor
 * table and operation table (all allocated when it is created), the
 * stack's event hooks that put sockets with news on a dirty list, the
 * progress loop that looks only at those (and, for a context of a group,
 * at its mailbox), and sleeping until there is news, on the queue's
 * interrupt.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "api.h"
#include "bypass_kdev.h"
#include "bypass_socket.h"
#include "tcp.h"

#define DEFAULT_SOCKETS	1024
#define DEFAULT_TOKENS	4096

uint64_t api_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t api_deadline_ms(int ms)
{
	return ms < 0 ? UINT64_MAX : api_now() + (uint64_t)ms * 1000000ull;
}

struct api_sock *api_sock(struct bypass_ctx *ctx, int fd)
{
	if (!ctx || fd < 0 || (uint32_t)fd >= ctx->nr_socks ||
	    ctx->socks[fd].kind == SK_FREE)
		return NULL;
	return &ctx->socks[fd];
}

int api_fd(const struct bypass_ctx *ctx, const struct api_sock *s)
{
	return (int)(s - ctx->socks);
}

int api_sock_alloc(struct bypass_ctx *ctx, uint8_t kind)
{
	struct api_sock *s;
	uint32_t fd;

	if (!ctx->nr_free_fds)
		return -EMFILE;
	fd = ctx->free_fds[--ctx->nr_free_fds];
	s = &ctx->socks[fd];
	memset(s, 0, sizeof(*s));
	s->kind = kind;
	s->ep = -1;
	s->ready_tail = &s->ready_head;
	s->wake_fd = -1;
	return (int)fd;
}

void api_sock_release(struct bypass_ctx *ctx, struct api_sock *s)
{
	if (s->dirty) {
		*s->dirty_pprev = s->dirty_next;
		if (s->dirty_next)
			s->dirty_next->dirty_pprev = s->dirty_pprev;
	}
	api_port_drop(ctx, s);
	s->kind = SK_FREE;
	ctx->free_fds[ctx->nr_free_fds++] = (uint32_t)api_fd(ctx, s);
}

void api_mark(struct bypass_ctx *ctx, struct api_sock *s)
{
	if (s->dirty)
		return;
	s->dirty = true;
	s->dirty_next = ctx->dirty;
	if (ctx->dirty)
		ctx->dirty->dirty_pprev = &s->dirty_next;
	s->dirty_pprev = &ctx->dirty;
	ctx->dirty = s;
}

static void on_tcp_event(void *arg, struct bypass_tcp_conn *c)
{
	struct api_sock *s = bypass_tcp_user(c);

	if (s)
		api_mark(arg, s);
}

static void on_udp_event(void *arg, struct bypass_udp *sock)
{
	struct api_sock *s = bypass_udp_user(sock);

	if (s)
		api_mark(arg, s);
}

static void on_neigh(void *arg, uint32_t ip, const uint8_t mac[6])
{
	struct bypass_ctx *ctx = arg;

	if (ctx->member)
		api_group_neigh(ctx, ip, mac);
}

/* Look at every socket with news: finish operations, note readiness. */
static void api_drain_dirty(struct bypass_ctx *ctx)
{
	struct api_sock *s;

	while ((s = ctx->dirty)) {
		ctx->dirty = s->dirty_next;
		if (ctx->dirty)
			ctx->dirty->dirty_pprev = &ctx->dirty;
		s->dirty = false;
		api_run_ops(ctx, s);
		api_ep_note(ctx, s);
	}
}

bool api_progress(struct bypass_ctx *ctx)
{
	bool news;

	/* The poll turns the interrupts off: the fd must say so. */
	ctx->fd_armed = false;
	news = bypass_stack_poll(ctx->st) > 0;
	api_group_drain(ctx);
	news |= ctx->dirty != NULL;
	api_drain_dirty(ctx);
	bypass_stack_flush(ctx->st);
	return news;
}

static void fd_raise(struct bypass_ctx *ctx);
static void fd_arm(struct bypass_ctx *ctx);

/*
 * The fd after a call that did something: armed, re-armed (what the call
 * did may be work to wake for, or an earlier timer); interrupts off,
 * raised. Out of line: while traffic flows the fd is raised already and
 * the callers only test two flags.
 */
static __attribute__((noinline)) void fd_update(struct bypass_ctx *ctx)
{
	if (ctx->fd_armed)
		fd_arm(ctx);
	else
		fd_raise(ctx);
}

static inline void fd_done(struct bypass_ctx *ctx)
{
	if (ctx->epfd >= 0 && (ctx->fd_armed || !ctx->self_raised))
		fd_update(ctx);
}

void api_done(struct bypass_ctx *ctx)
{
	api_drain_dirty(ctx);
	bypass_stack_flush(ctx->st);
	fd_done(ctx);
}

void api_idle(struct bypass_ctx *ctx)
{
	api_drain_dirty(ctx);
	bypass_stack_flush(ctx->st);
	if (ctx->epfd >= 0)
		fd_arm(ctx);
}

int bypass_ctx_poll(struct bypass_ctx *ctx)
{
	uint32_t before = ctx->completed;

	/* The poll drained the news and handed its frames to the device. */
	if (api_progress(ctx) || ctx->completed != before)
		fd_done(ctx);
	else if (ctx->epfd >= 0)
		fd_arm(ctx);	/* nothing happened: about to sleep, maybe */
	return (int)(ctx->completed - before);
}

int bypass_ctx_arm(struct bypass_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	if (ctx->epfd < 0)
		return 0;
	api_idle(ctx);
	return ctx->fd_armed ? 0 : 1;
}

int api_block(struct bypass_ctx *ctx, uint64_t deadline)
{
	uint64_t now = api_now();
	int ms, r;

	if (now >= deadline)
		return -ETIMEDOUT;
	if (deadline == UINT64_MAX) {
		ms = -1;
	} else {
		uint64_t left = (deadline - now + 999999) / 1000000;

		/* Long waits come back every 1000 s to look again. */
		ms = left > 1000000 ? 1000000 : (int)left;
	}
	r = bypass_stack_wait(ctx->st, ms);
	api_progress(ctx);
	return r < 0 ? r : 0;
}

static int ctx_tables(struct bypass_ctx *ctx, const struct bypass_ctx_config *cfg)
{
	uint32_t i;

	ctx->nr_socks = cfg && cfg->max_sockets ? cfg->max_sockets : DEFAULT_SOCKETS;
	ctx->nr_ops = cfg && cfg->max_tokens ? cfg->max_tokens : DEFAULT_TOKENS;
	ctx->socks = calloc(ctx->nr_socks, sizeof(*ctx->socks));
	ctx->free_fds = calloc(ctx->nr_socks, sizeof(*ctx->free_fds));
	ctx->ops = calloc(ctx->nr_ops, sizeof(*ctx->ops));
	if (!ctx->socks || !ctx->free_fds || !ctx->ops || api_ports_init(ctx))
		return -ENOMEM;
	/* Lowest descriptors first, like the kernel's. */
	for (i = 0; i < ctx->nr_socks; i++)
		ctx->free_fds[i] = ctx->nr_socks - 1 - i;
	ctx->nr_free_fds = ctx->nr_socks;
	for (i = ctx->nr_ops; i--;) {
		ctx->ops[i].next = ctx->op_free;
		ctx->op_free = &ctx->ops[i];
	}
	return 0;
}

int bypass_ctx_create(struct bypass_dev *dev, const struct bypass_ctx_config *cfg,
		      struct bypass_ctx **out)
{
	struct bypass_stack_config scfg = { 0 };
	struct bypass_stack_events ev = {
		.tcp = on_tcp_event, .udp = on_udp_event, .neigh = on_neigh,
	};
	struct bypass_ctx *ctx;
	int r;

	if (!dev || !out)
		return -EINVAL;
	if (cfg)
		scfg = cfg->stack;
	ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return -ENOMEM;
	ctx->epfd = ctx->timerfd = ctx->selffd = -1;
	ctx->dev = dev;
	r = ctx_tables(ctx, cfg);
	if (!r)
		r = bypass_stack_create(dev, &scfg, &ctx->st);
	if (r) {
		ctx->st = NULL;
		bypass_ctx_destroy(ctx);
		return r;
	}
	ctx->pool = bypass_stack_pool(ctx->st);
	ctx->addr = bypass_stack_addr(ctx->st);
	ctx->tcp_rcvbuf = bypass_stack_tcp(ctx->st)->cfg.rcvbuf;
	ctx->tcp_sndbuf = bypass_stack_tcp(ctx->st)->cfg.sndq_bufs *
			  (2048u - BYPASS_BUF_HEADROOM);
	ev.arg = ctx;
	bypass_stack_set_events(ctx->st, &ev);
	*out = ctx;
	return 0;
}

int bypass_ctx_open(const struct bypass_ctx_config *cfg, struct bypass_ctx **out)
{
	struct bypass_ctx_config c = { 0 };
	struct bypass_dev *dev;
	int r;

	if (!out)
		return -EINVAL;
	if (cfg)
		c = *cfg;
	r = bypass_kdev_open(c.device, c.queue_pair, &dev);
	if (r)
		return r;
	if (!c.stack.addr && bypass_kdev_stack_config(dev, &c.stack)) {
		bypass_dev_destroy(dev);
		return -EDESTADDRREQ;
	}
	r = bypass_ctx_create(dev, &c, out);
	if (r) {
		bypass_dev_destroy(dev);
		return r;
	}
	(*out)->own_dev = true;
	return 0;
}

void bypass_ctx_destroy(struct bypass_ctx *ctx)
{
	uint32_t i;

	/* A group's contexts go with the group. */
	if (!ctx || (ctx->member && !api_group_destroying(ctx)))
		return;
	for (i = 0; ctx->socks && ctx->st && i < ctx->nr_socks; i++) {
		struct api_sock *s = &ctx->socks[i];

		if (s->kind == SK_TCP && s->conn) {
			api_cancel_ops(ctx, s);
			bypass_tcp_set_user(s->conn, NULL);
			if (s->phase == TP_LISTEN)
				bypass_tcp_close(s->conn);
			else
				bypass_tcp_abort(s->conn);
			s->conn = NULL;
		}
		if (s->kind != SK_FREE)
			bypass_close(ctx, (int)i);
	}
	/* Results completed but never collected hold buffers. */
	for (i = 0; ctx->ops && i < ctx->nr_ops; i++)
		if (ctx->ops[i].busy && ctx->ops[i].done)
			bypass_sga_free(&ctx->ops[i].res.sga);
	if (ctx->st) {
		bypass_stack_flush(ctx->st);
		bypass_stack_destroy(ctx->st);
	}
	if (ctx->own_dev)
		bypass_dev_destroy(ctx->dev);
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	if (ctx->timerfd >= 0)
		close(ctx->timerfd);
	if (ctx->selffd >= 0)
		close(ctx->selffd);
	api_ports_free(ctx);
	free(ctx->socks);
	free(ctx->free_fds);
	free(ctx->ops);
	free(ctx);
}

struct bypass_stack *bypass_ctx_stack(struct bypass_ctx *ctx)
{
	return ctx->st;
}

struct bypass_pool *bypass_ctx_pool(struct bypass_ctx *ctx)
{
	return ctx->pool;
}

static int epoll_add(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) ? -errno : 0;
}

int bypass_ctx_fd(struct bypass_ctx *ctx)
{
	int r, fd;

	if (ctx->epfd >= 0)
		return ctx->epfd;
	ctx->epfd = epoll_create1(EPOLL_CLOEXEC);
	ctx->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	ctx->selffd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ctx->epfd < 0 || ctx->timerfd < 0 || ctx->selffd < 0)
		goto fail_errno;
	r = epoll_add(ctx->epfd, ctx->timerfd);
	if (!r)
		r = epoll_add(ctx->epfd, ctx->selffd);
	fd = bypass_stack_fd(ctx->st);
	if (!r && fd >= 0)
		r = epoll_add(ctx->epfd, fd);
	fd = api_group_fd(ctx);
	if (!r && fd >= 0)
		r = epoll_add(ctx->epfd, fd);
	if (r)
		goto fail;
	fd_arm(ctx);
	return ctx->epfd;
fail_errno:
	r = -errno;
fail:
	if (ctx->epfd >= 0)
		close(ctx->epfd);
	if (ctx->timerfd >= 0)
		close(ctx->timerfd);
	if (ctx->selffd >= 0)
		close(ctx->selffd);
	ctx->epfd = ctx->timerfd = ctx->selffd = -1;
	return r;
}

/*
 * The TX interrupt's fd belongs in the context's epoll only while it is
 * armed: at other times the device may still signal it (EVENT_IDX only
 * asks it not to) and nothing reads it, which would leave the context's
 * fd readable for ever. Changes only when the TX ring fills or drains.
 */
static void ctx_watch_tx(struct bypass_ctx *ctx)
{
	bool on = bypass_stack_tx_armed(ctx->st);
	int fd = bypass_stack_tx_fd(ctx->st);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (on == ctx->tx_watched || fd < 0)
		return;
	if (!epoll_ctl(ctx->epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, fd, &ev))
		ctx->tx_watched = on;
}

/* The fd readable: work is waiting, or the interrupts are off. */
static void fd_raise(struct bypass_ctx *ctx)
{
	uint64_t one = 1;

	ctx->fd_armed = false;
	if (!ctx->self_raised &&
	    write(ctx->selffd, &one, sizeof(one)) == sizeof(one))
		ctx->self_raised = true;
}

/*
 * Point the timerfd at the stack's next deadline, only when that is
 * earlier than what it holds (or it holds none, or fired); read it only
 * once it has fired. Later deadlines leave it early: it fires, the
 * application polls, finds nothing due and arms again.
 */
static void fd_timer(struct bypass_ctx *ctx)
{
	uint64_t next = bypass_stack_next_timer(ctx->st), now, deadline;

	if (next == UINT64_MAX && !ctx->timer_set_ns)
		return;
	now = api_now();
	deadline = next == UINT64_MAX ? 0 : now + (next ? next : 1);
	if (deadline && (!ctx->timer_set_ns || deadline < ctx->timer_set_ns ||
			 ctx->timer_set_ns <= now)) {
		struct itimerspec its = {
			.it_value.tv_sec = (time_t)(deadline / 1000000000ull),
			.it_value.tv_nsec = (long)(deadline % 1000000000ull),
		};

		/* Setting it also clears an expiry it counted. */
		if (!timerfd_settime(ctx->timerfd, TFD_TIMER_ABSTIME, &its, NULL))
			ctx->timer_set_ns = deadline;
	} else if (ctx->timer_set_ns && ctx->timer_set_ns <= now) {
		uint64_t v;

		if (read(ctx->timerfd, &v, sizeof(v)) < 0)
			v = 0;
		ctx->timer_set_ns = 0;
	}
}

/*
 * Before the application sleeps on bypass_ctx_fd(): arm the interrupts,
 * point the timer at the stack's next deadline and lower the eventfd,
 * unless there is work already (then it stays, or becomes, readable).
 */
static void fd_arm(struct bypass_ctx *ctx)
{
	bool work = !bypass_stack_arm(ctx->st) || api_any_ready(ctx) ||
		    api_group_pending(ctx);

	ctx_watch_tx(ctx);
	fd_timer(ctx);
	if (work) {
		fd_raise(ctx);
		return;
	}
	if (ctx->self_raised) {
		uint64_t v;

		if (read(ctx->selffd, &v, sizeof(v)) == sizeof(v) || errno == EAGAIN)
			ctx->self_raised = false;
	}
	ctx->fd_armed = !ctx->self_raised;
}
