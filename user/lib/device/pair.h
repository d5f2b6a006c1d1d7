/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the in-memory linked pair shared by its synchronous side
 * (dev_pair.c: devices that act when kicked, on a virtual clock) and its
 * threaded side (pair_thread.c: a device thread, like hardware on another
 * CPU, on the real clock).
 */
#ifndef BYPASS_PAIR_H
#define BYPASS_PAIR_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "bypass_dev.h"
#include "vdev.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

struct wire_frame {
	struct wire_frame *next;
	uint64_t due_ns;
	uint8_t hdr_flags;
	size_t len;
	uint8_t data[];
};

struct pair_end {
	struct vdev_dev base;		/* first: the ops receive &base.dev */
	struct bypass_pair *pair;
	int side;
	struct wire_frame *inbound;	/* sorted by due_ns, FIFO among equals */
	uint32_t inbound_len;
	bool capture;
	bool tx_stalled;
	bool late_rx;			/* the test hook (bypass_pair_config) */
	struct wire_frame *captured, **captured_tail;
	struct bypass_pair_stats stats;
	struct bypass_qp_stats qp_stats;	/* what a kernel would read */
};

struct bypass_pair {
	struct pair_end end[2];
	uint64_t now_ns;		/* virtual; the device thread's own if threaded */
	uint64_t rng;
	uint32_t wire_limit;
	struct bypass_pair_impair impair;
	bool threaded;			/* the device runs on pair_thread */
	int kick_fd;			/* threaded: eventfd the kicks write */
	int stop;			/* threaded: set to end the thread */
	uint64_t missed_kicks;		/* threaded: work found after a sleep */
	pthread_t thread;
	uint8_t frame[VDEV_MAX_FRAME];	/* TX staging */
};

static inline struct pair_end *to_end(struct bypass_dev *dev)
{
	return (struct pair_end *)dev;
}

/* dev_pair.c: the device side's two jobs. */
void pair_send_all(struct pair_end *e);
void pair_deliver(struct pair_end *e);

/* pair_thread.c */
int pair_thread_start(struct bypass_pair *p);
void pair_thread_stop(struct bypass_pair *p);
void pair_thread_kick(struct bypass_pair *p);
uint64_t pair_thread_now(void);

#pragma GCC visibility pop

#endif /* BYPASS_PAIR_H */
