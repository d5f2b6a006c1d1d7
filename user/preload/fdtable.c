// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The fd table: for each kernel fd the shim tracks (a socket that is or
 * may become a bypass socket, an epoll with bypass members), what it is.
 * One pointer per fd in a lazily touched anonymous mapping, read without
 * the lock (an fd the shim does not track costs one load), written under
 * it. dup'ed fds share one entry, counted in refs; the last close ends the
 * bypass side.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "preload.h"

static union pl_fd **table;
static int high = -1;

static union pl_fd **fd_table(void)
{
	void *p;

	if (table)
		return table;
	p = mmap(NULL, sizeof(*table) * PL_MAX_FD, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p != MAP_FAILED)
		__atomic_store_n(&table, p, __ATOMIC_RELEASE);
	return table;
}

union pl_fd *pl_fd_get(int fd)
{
	union pl_fd **t = __atomic_load_n(&table, __ATOMIC_ACQUIRE);

	if (!t || fd < 0 || fd >= PL_MAX_FD)
		return NULL;
	return __atomic_load_n(&t[fd], __ATOMIC_ACQUIRE);
}

struct pl_sock *pl_bypass_sock(int fd)
{
	union pl_fd *p = pl_fd_get(fd);

	return p && p->kind == PL_SOCK && p->s.state == PS_BYPASS ? &p->s : NULL;
}

void pl_fd_set(int fd, union pl_fd *p)
{
	union pl_fd **t = fd_table();

	if (!t || fd < 0 || fd >= PL_MAX_FD)
		return;
	__atomic_store_n(&t[fd], p, __ATOMIC_RELEASE);
	if (p && fd > high)
		high = fd;
}

int pl_fd_high(void)
{
	return high;
}

struct pl_sock *pl_sock_new(int fd, int type, int state)
{
	struct pl_sock *s;

	if (fd < 0 || fd >= PL_MAX_FD || !fd_table())
		return NULL;
	s = calloc(1, sizeof(union pl_fd));
	if (!s)
		return NULL;
	s->kind = PL_SOCK;
	s->state = (uint8_t)state;
	s->refs = 1;
	s->type = type;
	s->bfd = -1;
	s->ep_kfd = -1;
	pl_fd_set(fd, (union pl_fd *)s);
	return s;
}

/* The last reference is gone: close the bypass side, free the entry. */
static void release(union pl_fd *p)
{
	if (pl.attach == PA_OK) {
		if (p->kind == PL_SOCK && p->s.state == PS_BYPASS && p->s.bfd >= 0)
			bypass_close(pl.ctx, p->s.bfd);
		else if (p->kind == PL_EPOLL && p->e.bset >= 0)
			bypass_close(pl.ctx, p->e.bset);
	}
	free(p);
}

void pl_fd_drop(int fd)
{
	union pl_fd *p = pl_fd_get(fd);

	if (!p)
		return;
	pl_fd_set(fd, NULL);
	if (--p->s.refs == 0)
		release(p);
}

void pl_fd_dup(int oldfd, int newfd)
{
	union pl_fd *p = pl_fd_get(oldfd);

	if (!p || newfd < 0 || newfd >= PL_MAX_FD)
		return;
	p->s.refs++;
	pl_fd_set(newfd, p);
}
