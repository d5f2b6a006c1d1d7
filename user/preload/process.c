// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Process events. fork: the child inherits the fd table and every
 * socket's state. If the parent had attached the queue pair, the child
 * must never touch it (the rings are the parent's): it closes its copy of
 * the /dev/bypass fd, and its inherited bypass sockets only close (their
 * placeholder), other calls on them fail with EOPNOTSUPP; its new sockets
 * stay on the kernel. A parent that had not attached (a server's master)
 * leaves the child free to attach and replay the recorded sockets. exec:
 * the kernel fds carry close-on-exec; bypass state does not survive it.
 * exit: bypass sockets are closed and the stack gets a moment to send
 * what they queued.
 */
#include <pthread.h>
#include <unistd.h>

#include "bypass_kdev.h"
#include "preload.h"

static void before_fork(void)
{
	pthread_mutex_lock(&pl.lock);
}

static void in_parent(void)
{
	pthread_mutex_unlock(&pl.lock);
}

static void in_child(void)
{
	pthread_mutex_init(&pl.lock, NULL);
	pl_sleep_forget();
	if (pl.attach != PA_OK)
		return;
	pl.attach = PA_LOST;
	if (pl.dev && !pl.cfg.tap[0])
		pl_real.close(bypass_kdev_fd(pl.dev));
	/* The context's memory is the parent's state: left alone, not freed. */
	pl.ctx = NULL;
	pl.dev = NULL;
}

void pl_process_init(void)
{
	pthread_atfork(before_fork, in_parent, in_child);
}

__attribute__((destructor)) static void pl_at_exit(void)
{
	pl_flush_at_exit();
}
