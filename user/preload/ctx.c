// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The process's one bypass context and its lock: attaching the queue pair
 * lazily, at the first call that needs the device (so a server's master
 * process that only binds and listens before forking leaves the pair to
 * the worker), replaying then what sockets recorded before; committing a
 * socket to bypass or leaving it on the kernel; sleeping on the context's
 * fd without the lock; and the flush at exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "bypass_dev.h"
#include "bypass_kdev.h"
#include "preload.h"

struct pl_state pl = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.ctx_fd = -1,
};
__thread int pl_inside;

/* The TAP test hook's MAC address (locally administered). */
static const uint8_t tap_mac[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0x02 };

void pl_lock(void)
{
	pthread_mutex_lock(&pl.lock);
	pl_inside++;
}

void pl_unlock(void)
{
	pl_inside--;
	pthread_mutex_unlock(&pl.lock);
}

uint64_t pl_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

uint64_t pl_deadline(uint64_t ns)
{
	return ns ? pl_now() + ns : 0;
}

/* The device: the TAP test hook, or the claimed NIC's queue pair. */
static int open_dev(struct bypass_stack_config *scfg)
{
	const struct pl_config *c = &pl.cfg;
	int r;

	if (c->tap[0])
		return bypass_tap_open(c->tap, tap_mac,
				       1ULL << VIRTIO_F_VERSION_1 |
				       1ULL << VIRTIO_RING_F_EVENT_IDX |
				       1ULL << VIRTIO_NET_F_MRG_RXBUF, &pl.dev);
	r = bypass_kdev_open(c->device[0] ? c->device : NULL, c->queue_pair,
			     &pl.dev);
	if (!r && !scfg->addr && bypass_kdev_stack_config(pl.dev, scfg))
		r = -EDESTADDRREQ;
	return r;
}

static int do_attach(void)
{
	struct bypass_ctx_config cc = { .max_sockets = pl.cfg.max_sockets };
	int r;

	cc.stack.addr = pl.cfg.addr;
	cc.stack.prefix_len = pl.cfg.prefix_len;
	cc.stack.gateway = pl.cfg.gateway;
	cc.max_tokens = 64;
	r = open_dev(&cc.stack);
	if (r)
		return r;
	r = bypass_ctx_create(pl.dev, &cc, &pl.ctx);
	if (r) {
		bypass_dev_destroy(pl.dev);
		pl.dev = NULL;
		return r;
	}
	pl.ctx_fd = bypass_ctx_fd(pl.ctx);
	if (pl.ctx_fd < 0) {
		r = pl.ctx_fd;
		bypass_ctx_destroy(pl.ctx);
		bypass_dev_destroy(pl.dev);
		pl.ctx = NULL;
		pl.dev = NULL;
		return r;
	}
	return 0;
}

void pl_probe_addr(void)
{
	static bool probed;
	struct bypass_dev *dev;
	const struct pl_config *c = &pl.cfg;

	if (probed || c->addr || c->tap[0] || pl.attach != PA_NONE)
		return;
	probed = true;
	/* LD_PRELOAD without bypass-run: the address the claim recorded. */
	if (bypass_kdev_open(c->device[0] ? c->device : NULL, c->queue_pair, &dev))
		return;
	bypass_kdev_ipv4(dev, &pl.cfg.addr, &pl.cfg.prefix_len,
			 pl.cfg.gateway ? &(uint32_t){ 0 } : &pl.cfg.gateway);
	bypass_dev_destroy(dev);
}

int pl_attach(void)
{
	union pl_fd *p;
	int fd, r;

	if (pl.attach == PA_OK)
		return 0;
	if (pl.attach == PA_LOST)
		return -EOPNOTSUPP;
	if (pl.attach == PA_FAILED)
		return pl.attach_err;
	r = do_attach();
	if (r) {
		pl.attach = PA_FAILED;
		pl.attach_err = r;
		pl_warn("cannot attach queue pair %u of %s: %s%s", pl.cfg.queue_pair,
			pl.cfg.tap[0] ? pl.cfg.tap :
			pl.cfg.device[0] ? pl.cfg.device : "the claimed NIC",
			strerror(-r), r == -EBUSY ?
			" (another process holds it: one process per queue pair)" : "");
		return r;
	}
	pl.attach = PA_OK;
	pl_log("attached queue pair %u", pl.cfg.queue_pair);
	/* Sockets committed before: create and replay them now. */
	for (fd = 0; fd <= pl_fd_high(); fd++) {
		p = pl_fd_get(fd);
		if (p && p->kind == PL_SOCK && p->s.state == PS_BYPASS && p->s.bfd < 0)
			pl_materialize(&p->s);
	}
	return 0;
}

int pl_materialize(struct pl_sock *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	if (s->bfd >= 0)
		return 0;
	fd = bypass_socket(pl.ctx, AF_INET, s->type | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		s->err = errno;
		return -1;
	}
	s->bfd = fd;
	pl_opt_replay(s);
	sin.sin_addr.s_addr = s->bind_addr;
	sin.sin_port = htons(s->bind_port);
	if (s->bound && bypass_bind(pl.ctx, fd, (void *)&sin, sizeof(sin))) {
		s->err = errno;
		pl_warn("replaying bind of port %u: %s", s->bind_port, strerror(errno));
		return -1;
	}
	if (s->listening && bypass_listen(pl.ctx, fd, s->backlog)) {
		s->err = errno;
		pl_warn("replaying listen on port %u: %s", s->bind_port, strerror(errno));
		return -1;
	}
	if (s->ep_kfd >= 0)
		pl_epoll_adopt(s);
	return 0;
}

static const char *type_name(int type)
{
	return type == SOCK_STREAM ? "tcp" : "udp";
}

int pl_commit(int fd, struct pl_sock *s, const char *what, uint32_t addr,
	      uint16_t port, bool attach)
{
	char a[24];
	int r, fl;

	s->state = PS_BYPASS;
	/* O_NONBLOCK set on the kernel socket while undecided (FIONBIO too). */
	fl = pl_real.fcntl(fd, F_GETFL);
	if (fl >= 0)
		s->nonblock = fl & O_NONBLOCK;
	pl_log("fd %d %s %s %s -> bypass", fd, type_name(s->type), what,
	       pl_ntoa(a, addr, port));
	/* An epoll registration made while undecided moves to bypass now. */
	if (s->ep_kfd >= 0) {
		pl_real.epoll_ctl(s->ep_kfd, EPOLL_CTL_DEL, fd, NULL);
		attach = true;
	}
	if (!attach && pl.attach != PA_OK)
		return 0;
	r = pl_attach();
	if (!r)
		r = pl_materialize(s) ? -s->err : 0;
	return r;
}

void pl_to_kernel(int fd, struct pl_sock *s, const char *what, uint32_t addr,
		  uint16_t port, const char *why)
{
	char a[24];

	pl_log("fd %d %s %s %s -> kernel (%s)", fd, type_name(s->type), what,
	       pl_ntoa(a, addr, port), why);
	if (s->refs > 1) {
		s->state = PS_KERNEL;
		return;
	}
	pl_fd_drop(fd);
}

struct pl_sock *pl_ready_sock(int fd)
{
	struct pl_sock *s = pl_bypass_sock(fd);
	int r;

	if (!s) {
		errno = EBADF;
		return NULL;
	}
	if (s->bfd < 0) {
		r = pl_attach();
		if (r) {
			errno = -r;
			return NULL;
		}
		if (s->bfd < 0 && pl_materialize(s)) {
			errno = s->err;
			return NULL;
		}
	}
	if (pl.attach != PA_OK) {
		errno = EOPNOTSUPP;	/* inherited from a process that attached */
		return NULL;
	}
	if (s->err) {
		/* A replay failed (the port is taken): said once, as SO_ERROR. */
		errno = s->err;
		s->err = 0;
		return NULL;
	}
	return s;
}

void pl_progress(void)
{
	bypass_ctx_poll(pl.ctx);
	pl_kick();
}

int pl_block(uint64_t deadline, int sleep_fd)
{
	struct pollfd p[2] = {
		{ .fd = pl.ctx_fd, .events = POLLIN },
		{ .fd = sleep_fd, .events = POLLIN },
	};
	int ms = -1, r, e;

	if (deadline) {
		uint64_t now = pl_now();

		ms = now >= deadline ? 0 : (int)((deadline - now + 999999) / 1000000);
	}
	r = ms ? pl_real.poll(p, 2, ms) : 0;
	e = errno;
	pl_lock();
	pl_sleep_done();
	if (r >= 0)
		pl_progress();
	pl_unlock();
	if (r < 0)
		return pl_fail(e);	/* EINTR */
	if (!r && deadline && pl_now() >= deadline)
		return pl_fail(EAGAIN);
	return 0;
}

void pl_flush_at_exit(void)
{
	union pl_fd *p;
	uint64_t end;
	int fd;

	if (pl.attach != PA_OK)
		return;
	/* exit() from a signal handler that interrupted the shim: skip it. */
	if (pthread_mutex_trylock(&pl.lock))
		return;
	pl_inside++;
	for (fd = 0; fd <= pl_fd_high(); fd++) {
		p = pl_fd_get(fd);
		if (p && p->kind == PL_SOCK && p->s.state == PS_BYPASS &&
		    p->s.bfd >= 0) {
			bypass_close(pl.ctx, p->s.bfd);
			p->s.bfd = -1;
		}
	}
	/* Let the FINs and the data queued before them go (at most 200 ms). */
	end = pl_now() + 200000000ull;
	while (pl_now() < end) {
		struct pollfd pf = { .fd = pl.ctx_fd, .events = POLLIN };

		bypass_ctx_poll(pl.ctx);
		if (pl_real.poll(&pf, 1, 20) <= 0)
			break;
	}
	pl_unlock();
}

ssize_t pl_retry(int fd, bool dontwait, bool sending,
		 ssize_t (*fn)(struct pl_sock *s, void *arg), void *arg)
{
	uint64_t deadline = 0;
	bool polled = false, nonblock, wait;
	int sleep_fd = -1;
	struct pl_sock *s;
	ssize_t r;
	int e;

	for (;;) {
		pl_lock();
		s = pl_ready_sock(fd);
		if (!s) {
			e = errno;
			pl_unlock();
			return pl_fail(e);
		}
		nonblock = dontwait || s->nonblock;
		if (!deadline)
			deadline = pl_deadline(sending ? s->sndtimeo_ns : s->rcvtimeo_ns);
		/*
		 * A sender may never wait (room enough): it still must see
		 * the ACKs, resets and window updates that arrived.
		 */
		if (sending && !polled) {
			pl_progress();
			polled = true;
		}
		r = fn(s, arg);
		e = errno;
		if (r < 0 && e == EAGAIN && !polled) {
			/* The socket-like calls do not poll the device: look once. */
			pl_progress();
			polled = true;
			r = fn(s, arg);
			e = errno;
		}
		pl_kick();	/* a non-blocking accept polls the stack */
		wait = r < 0 && e == EAGAIN && !nonblock;
		if (wait)
			sleep_fd = pl_sleep_prepare();
		pl_unlock();
		if (!wait) {
			errno = e;
			return r;
		}
		if (pl_block(deadline, sleep_fd))
			return -1;
	}
}
