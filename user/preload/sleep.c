// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Threads asleep in a blocking call or a poll of bypass sockets. They
 * sleep on the context's fd, which is readable when the device raised an
 * interrupt; but a thread that polls the stack takes every frame, for any
 * socket, and while the stack is being polled the device raises no
 * interrupt: the frame a sleeper waits for may arrive that way. So each
 * sleeper also polls an eventfd of its own (made at its first sleep,
 * closed when the thread ends), and a thread that looked at the stack
 * writes to the eventfd of every thread on the list, taking them off it:
 * each wakes once, and no shared fd stays raised for others to spin on.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "preload.h"

struct sleeper {
	int fd;				/* eventfd, -1 if none could be made */
	bool queued, kicked;
	struct sleeper *next, **pprev;
};

static struct sleeper *sleepers;	/* under pl.lock */
static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void sleeper_free(void *p)
{
	struct sleeper *s = p;

	if (s->fd >= 0)
		pl_real.close(s->fd);
	free(s);
}

static void key_make(void)
{
	pthread_key_create(&key, sleeper_free);
}

/* This thread's sleeper, made at its first sleep. */
static struct sleeper *me(void)
{
	struct sleeper *s;

	pthread_once(&key_once, key_make);
	s = pthread_getspecific(key);
	if (s)
		return s;
	s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	pthread_setspecific(key, s);
	return s;
}

int pl_sleep_prepare(void)
{
	struct sleeper *s = me();

	if (!s || s->fd < 0)
		return -1;
	s->next = sleepers;
	s->pprev = &sleepers;
	if (sleepers)
		sleepers->pprev = &s->next;
	sleepers = s;
	s->queued = true;
	return s->fd;
}

void pl_sleep_done(void)
{
	struct sleeper *s = pthread_getspecific(key);
	uint64_t v;

	if (!s)
		return;
	if (s->queued) {
		*s->pprev = s->next;
		if (s->next)
			s->next->pprev = s->pprev;
		s->queued = false;
	}
	if (s->kicked && pl_real.read(s->fd, &v, sizeof(v)) < 0)
		v = 0;
	s->kicked = false;
}

void pl_kick(void)
{
	uint64_t one = 1;
	struct sleeper *s;

	while ((s = sleepers)) {
		sleepers = s->next;
		if (sleepers)
			sleepers->pprev = &sleepers;
		s->queued = false;
		s->kicked = pl_real.write(s->fd, &one, sizeof(one)) == sizeof(one);
	}
}

void pl_sleep_forget(void)
{
	sleepers = NULL;
}
