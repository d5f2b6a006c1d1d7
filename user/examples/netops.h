/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * For the examples that run on either stack: the socket calls they use,
 * as a table with a Linux implementation (the kernel's sockets and epoll)
 * and a bypass one (bypass_socket.h on a context). A program written
 * against it shows how little porting takes: the same code, a context
 * more.
 */
#ifndef BYPASS_EXAMPLES_NETOPS_H
#define BYPASS_EXAMPLES_NETOPS_H

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bypass_socket.h"

struct netops {
	const char *name;
	struct bypass_ctx *ctx;		/* bypass only */
	int (*socket)(struct bypass_ctx *ctx, int domain, int type, int proto);
	int (*bind)(struct bypass_ctx *ctx, int fd, const struct sockaddr *a,
		    socklen_t l);
	int (*listen)(struct bypass_ctx *ctx, int fd, int backlog);
	int (*accept4)(struct bypass_ctx *ctx, int fd, struct sockaddr *a,
		       socklen_t *l, int flags);
	int (*connect)(struct bypass_ctx *ctx, int fd, const struct sockaddr *a,
		       socklen_t l);
	ssize_t (*send)(struct bypass_ctx *ctx, int fd, const void *b, size_t n,
			int flags);
	ssize_t (*recv)(struct bypass_ctx *ctx, int fd, void *b, size_t n,
			int flags);
	int (*setsockopt)(struct bypass_ctx *ctx, int fd, int level, int name,
			  const void *v, socklen_t l);
	int (*getsockopt)(struct bypass_ctx *ctx, int fd, int level, int name,
			  void *v, socklen_t *l);
	int (*close)(struct bypass_ctx *ctx, int fd);
	int (*epoll_create)(struct bypass_ctx *ctx);
	int (*epoll_ctl)(struct bypass_ctx *ctx, int ep, int op, int fd,
			 struct epoll_event *ev);
	int (*epoll_wait)(struct bypass_ctx *ctx, int ep, struct epoll_event *evs,
			  int max, int timeout_ms);
};

static inline int lx_socket(struct bypass_ctx *c, int d, int t, int p)
{
	(void)c;
	return socket(d, t, p);
}

static inline int lx_bind(struct bypass_ctx *c, int fd, const struct sockaddr *a,
			  socklen_t l)
{
	(void)c;
	return bind(fd, a, l);
}

static inline int lx_listen(struct bypass_ctx *c, int fd, int b)
{
	(void)c;
	return listen(fd, b);
}

static inline int lx_accept4(struct bypass_ctx *c, int fd, struct sockaddr *a,
			     socklen_t *l, int f)
{
	(void)c;
	return accept4(fd, a, l, f);
}

static inline int lx_connect(struct bypass_ctx *c, int fd,
			     const struct sockaddr *a, socklen_t l)
{
	(void)c;
	return connect(fd, a, l);
}

static inline ssize_t lx_send(struct bypass_ctx *c, int fd, const void *b,
			      size_t n, int f)
{
	(void)c;
	return send(fd, b, n, f | MSG_NOSIGNAL);
}

static inline ssize_t lx_recv(struct bypass_ctx *c, int fd, void *b, size_t n,
			      int f)
{
	(void)c;
	return recv(fd, b, n, f);
}

static inline int lx_setsockopt(struct bypass_ctx *c, int fd, int lv, int nm,
				const void *v, socklen_t l)
{
	(void)c;
	return setsockopt(fd, lv, nm, v, l);
}

static inline int lx_getsockopt(struct bypass_ctx *c, int fd, int lv, int nm,
				void *v, socklen_t *l)
{
	(void)c;
	return getsockopt(fd, lv, nm, v, l);
}

static inline int lx_close(struct bypass_ctx *c, int fd)
{
	(void)c;
	return close(fd);
}

static inline int lx_epoll_create(struct bypass_ctx *c)
{
	(void)c;
	return epoll_create1(0);
}

static inline int lx_epoll_ctl(struct bypass_ctx *c, int ep, int op, int fd,
			       struct epoll_event *ev)
{
	(void)c;
	return epoll_ctl(ep, op, fd, ev);
}

static inline int lx_epoll_wait(struct bypass_ctx *c, int ep,
				struct epoll_event *evs, int max, int t)
{
	(void)c;
	return epoll_wait(ep, evs, max, t);
}

static const struct netops netops_linux = {
	.name = "linux",
	.socket = lx_socket, .bind = lx_bind, .listen = lx_listen,
	.accept4 = lx_accept4, .connect = lx_connect, .send = lx_send,
	.recv = lx_recv, .setsockopt = lx_setsockopt,
	.getsockopt = lx_getsockopt, .close = lx_close,
	.epoll_create = lx_epoll_create, .epoll_ctl = lx_epoll_ctl,
	.epoll_wait = lx_epoll_wait,
};

static const struct netops netops_bypass = {
	.name = "bypass",
	.socket = bypass_socket, .bind = bypass_bind, .listen = bypass_listen,
	.accept4 = bypass_accept4, .connect = bypass_connect,
	.send = bypass_send, .recv = bypass_recv,
	.setsockopt = bypass_setsockopt, .getsockopt = bypass_getsockopt,
	.close = bypass_close, .epoll_create = bypass_epoll_create,
	.epoll_ctl = bypass_epoll_ctl, .epoll_wait = bypass_epoll_wait,
};

/*
 * netops_open - the Linux table, or the bypass one on a context opened on
 * the claimed NIC @pci ("" or NULL: the first), at the address recorded
 * by `bypassctl claim` unless @addr (dotted quad) is given.
 */
/* The examples' context configuration: @pci, @addr as for netops_open(). */
static inline int netops_config(struct bypass_ctx_config *cfg, const char *pci,
				const char *addr)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->device = pci;
	cfg->max_sockets = 4096;
	cfg->stack.pool_bufs = 16384;
	if (addr) {
		if (inet_pton(AF_INET, addr, &cfg->stack.addr) != 1)
			return -EINVAL;
		cfg->stack.prefix_len = 24;
	}
	return 0;
}

static inline int netops_failed(const char *pci, int r)
{
	if (r)
		fprintf(stderr, "bypass: cannot open %s: %s\n",
			pci && *pci ? pci : "the claimed NIC", strerror(-r));
	return r;
}

static inline int netops_open(struct netops *ops, bool bypass, const char *pci,
			      const char *addr)
{
	struct bypass_ctx_config cfg;
	int r;

	if (!bypass) {
		*ops = netops_linux;
		return 0;
	}
	*ops = netops_bypass;
	r = netops_config(&cfg, pci, addr);
	if (!r)
		r = bypass_ctx_open(&cfg, &ops->ctx);
	return netops_failed(pci, r);
}

/*
 * netops_open_group - the bypass table for @n threads: a group of @n
 * contexts on queue pairs 0..@n-1 of @pci (*@group; ops->ctx stays NULL,
 * each thread takes bypass_group_ctx()).
 */
static inline int netops_open_group(struct netops *ops, struct bypass_group **group,
				    unsigned int n, const char *pci,
				    const char *addr)
{
	struct bypass_group_config gc = { .nr_contexts = n };
	int r;

	*ops = netops_bypass;
	r = netops_config(&gc.ctx, pci, addr);
	if (!r)
		r = bypass_group_open(&gc, group);
	if (r == -ENXIO)
		fprintf(stderr, "bypass: a group of %u needs %u queue pairs in use "
			"(bypassctl set DEVICE pairs %u)\n", n, n, n);
	return netops_failed(pci, r);
}

static inline void netops_close(struct netops *ops)
{
	if (ops->ctx)
		bypass_ctx_destroy(ops->ctx);
	ops->ctx = NULL;
}

#endif /* BYPASS_EXAMPLES_NETOPS_H */
