/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The buffer pool's state (pool.c) and its per-packet calls inlined for
 * the datapath: allocation pops the stack of free indices (one buffer, or
 * a burst posted straight on the RX ring), the last put pushes onto it; growing the pool
 * and the rare puts are out of line.
 */
#ifndef BYPASS_POOL_H
#define BYPASS_POOL_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_buf.h"
#include "virtq.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

/*
 * At most this many chunks: the ceiling is split into chunks of 2 MiB,
 * or larger ones when it exceeds POOL_MAX_CHUNKS * 2 MiB, so a device
 * that registers memory page by page keeps a bounded number of regions.
 */
#define POOL_MAX_CHUNKS	8

struct pool_chunk {
	uint8_t *mem;
	size_t len;
};

struct bypass_pool {
	struct bypass_dev *dev;
	uint32_t buf_size;
	uint32_t chunk_bufs;	/* buffers per chunk (the last may hold fewer) */
	uint32_t nbufs;		/* buffers mapped so far */
	uint32_t max_bufs;	/* the ceiling */
	uint32_t nchunks;
	bool huge;		/* the first chunk got huge pages */
	bool grow_failed;	/* a chunk could not be added: stop trying */
	int grow_err;
	uint32_t nfree;
	uint32_t *free;		/* stack of free buffer indices */
	struct bypass_buf *bufs;	/* max_bufs of them, nbufs in use */
	struct pool_chunk chunks[POOL_MAX_CHUNKS];
	uint64_t bad_puts;
};

/* The pool is empty: add a chunk if the ceiling and the system allow. */
__attribute__((noinline, cold)) bool pool_refill(struct bypass_pool *pool);
/* A put that does not free: more references left, or none (counted). */
__attribute__((noinline)) void pool_put_slow(struct bypass_buf *b);

/*
 * A buffer for the RX ring: pool_alloc() without setting data and len,
 * which the stack sets from the used entry before anything reads them.
 */
static inline struct bypass_buf *pool_alloc_rx(struct bypass_pool *pool)
{
	struct bypass_buf *b;

	if (__builtin_expect(!pool->nfree, 0) && !pool_refill(pool))
		return NULL;
	b = &pool->bufs[pool->free[--pool->nfree]];
	b->refcnt = 1;
	b->next = NULL;
	return b;
}

/*
 * pool_post_rx - post up to @n buffers (as pool_alloc_rx() each) on the
 * RX queue @vq (set up by virtq_init_writable(), room for @n checked),
 * each at its device address @off bytes in, not yet visible; fewer when
 * the pool runs dry. One loop: each buffer goes from the free stack
 * straight into its descriptor. Returns how many.
 */
static inline uint32_t pool_post_rx(struct bypass_pool *pool,
				    struct virtq *vq, uint32_t off, uint32_t n)
{
	struct bypass_buf *all;
	const uint32_t *free_idx;
	uint32_t i, nfree = pool->nfree;
	struct virtq_burst bu;

	if (__builtin_expect(nfree < n, 0)) {
		/* Grow first if the pool is empty, then take what there is. */
		if (!nfree && !pool_refill(pool))
			return 0;
		nfree = pool->nfree;
		if (n > nfree)
			n = nfree;
	}
	/* In locals: the stores below cannot change them. */
	all = pool->bufs;
	free_idx = pool->free;
	virtq_burst_start(vq, &bu);
	for (i = 0; i < n; i++) {
		struct bypass_buf *b = &all[free_idx[--nfree]];

		b->refcnt = 1;
		b->next = NULL;
		virtq_burst_add(vq, &bu, b->iova + off, b);
	}
	virtq_burst_end(vq, &bu);
	pool->nfree = nfree;
	virtq_added(vq, (uint16_t)n);
	return n;
}

/* bypass_buf_alloc(), inlined. */
static inline struct bypass_buf *pool_alloc(struct bypass_pool *pool)
{
	struct bypass_buf *b = pool_alloc_rx(pool);

	if (b) {
		b->data = b->head + BYPASS_BUF_HEADROOM;
		b->len = 0;
	}
	return b;
}

/* bypass_buf_put(), inlined: the last reference frees. */
static inline void pool_put(struct bypass_buf *b)
{
	struct bypass_pool *pool = b->pool;

	if (__builtin_expect(b->refcnt != 1, 0)) {
		pool_put_slow(b);
		return;
	}
	b->refcnt = 0;
	pool->free[pool->nfree++] = b->index;
}

#pragma GCC visibility pop

#endif /* BYPASS_POOL_H */
