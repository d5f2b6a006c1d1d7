/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The receive queue of a socket (UDP, ping): a fixed ring of received
 * buffers with their sender's address and a per-protocol tag (UDP source
 * port, echo sequence number). No allocation; full means drop.
 */
#ifndef BYPASS_RXQUEUE_H
#define BYPASS_RXQUEUE_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_buf.h"

#define RXQUEUE_LEN	256	/* power of two */

struct rxqueue_slot {
	struct bypass_buf *buf;
	uint32_t addr;
	uint16_t tag;
};

struct rxqueue {
	uint32_t head;		/* oldest slot */
	uint32_t count;
	struct rxqueue_slot q[RXQUEUE_LEN];
};

/* Queue @b; false (nothing queued) when full. */
static inline bool rxqueue_push(struct rxqueue *rq, struct bypass_buf *b,
				uint32_t addr, uint16_t tag)
{
	struct rxqueue_slot *s;

	if (rq->count == RXQUEUE_LEN)
		return false;
	s = &rq->q[(rq->head + rq->count++) & (RXQUEUE_LEN - 1)];
	s->buf = b;
	s->addr = addr;
	s->tag = tag;
	return true;
}

/* The oldest buffer, or NULL; @addr and @tag may be NULL. */
static inline struct bypass_buf *rxqueue_pop(struct rxqueue *rq, uint32_t *addr,
					     uint16_t *tag)
{
	struct rxqueue_slot *s;

	if (!rq->count)
		return NULL;
	s = &rq->q[rq->head];
	rq->head = (rq->head + 1) & (RXQUEUE_LEN - 1);
	rq->count--;
	if (addr)
		*addr = s->addr;
	if (tag)
		*tag = s->tag;
	return s->buf;
}

static inline void rxqueue_purge(struct rxqueue *rq)
{
	struct bypass_buf *b;

	while ((b = rxqueue_pop(rq, NULL, NULL)))
		bypass_buf_put(b);
}

#endif /* BYPASS_RXQUEUE_H */
