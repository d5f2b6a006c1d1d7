// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The buffer pool (see bypass_buf.h): mapped and registered in chunks,
 * huge pages when possible, the first at creation and the others when an
 * allocation finds the pool empty, up to the pool's ceiling; a stack of
 * free indices makes alloc and free O(1) with no allocation per packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pool.h"

#define HUGE_PAGE	(2u << 20)

static void *pool_map(size_t len, bool *huge)
{
	size_t hlen = (len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	void *p;

	p = mmap(NULL, hlen, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED) {
		*huge = true;
		return p;
	}
	*huge = false;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/*
 * Map, register and free-list the next chunk. 0, or a negative errno
 * with nothing of the chunk left behind.
 */
static int pool_grow(struct bypass_pool *pool)
{
	struct bypass_dev *dev = pool->dev;
	struct pool_chunk *c = &pool->chunks[pool->nchunks];
	uint32_t n = pool->max_bufs - pool->nbufs;
	bool huge, paged = false;
	uint64_t iova;
	uint32_t i;
	int r;

	if (n > pool->chunk_bufs)
		n = pool->chunk_bufs;
	/* Whole pages: that is what a device can map. */
	c->len = ((size_t)n * pool->buf_size + BYPASS_PAGE_SIZE - 1) &
		 ~(size_t)(BYPASS_PAGE_SIZE - 1);
	c->mem = pool_map(c->len, &huge);
	if (!c->mem)
		return -ENOMEM;
	if (huge)
		c->len = (c->len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	iova = (uint64_t)(uintptr_t)c->mem;
	if (dev) {
		r = dev->ops->mem_register(dev, c->mem, c->len, &iova);
		paged = r == BYPASS_MEM_PAGED;
		if (r >= 0 && paged &&
		    (pool->buf_size > BYPASS_PAGE_SIZE || !dev->ops->mem_page_iova)) {
			if (dev->ops->mem_unregister)
				dev->ops->mem_unregister(dev, c->mem, c->len);
			r = -EOPNOTSUPP;
		}
		if (r < 0) {
			munmap(c->mem, c->len);
			c->mem = NULL;
			return r;
		}
	}
	if (!pool->nchunks)
		pool->huge = huge;
	for (i = 0; i < n; i++) {
		uint32_t index = pool->nbufs + i;
		struct bypass_buf *b = &pool->bufs[index];
		size_t off = (size_t)i * pool->buf_size;

		b->head = c->mem + off;
		b->size = pool->buf_size;
		b->index = index;
		/* Buffers never straddle pages: one lookup per buffer, once. */
		if (paged)
			b->iova = dev->ops->mem_page_iova(dev, b->head - off % BYPASS_PAGE_SIZE) +
				  off % BYPASS_PAGE_SIZE;
		else
			b->iova = iova + off;
		b->pool = pool;
		/* The new chunk's first buffer is handed out first. */
		pool->free[pool->nfree++] = index + n - 1 - 2 * i;
	}
	pool->nbufs += n;
	pool->nchunks++;
	return 0;
}

int bypass_pool_create(struct bypass_dev *dev, uint32_t nbufs,
		       uint32_t buf_size, struct bypass_pool **out)
{
	uint64_t chunk_bytes = HUGE_PAGE, total;
	struct bypass_pool *pool;
	int r;

	if (!nbufs || buf_size < 256 || buf_size > 65536 ||
	    (buf_size & (buf_size - 1)))
		return -EINVAL;
	total = (uint64_t)nbufs * buf_size;
	while (chunk_bytes * POOL_MAX_CHUNKS < total)
		chunk_bytes += HUGE_PAGE;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->dev = dev;
	pool->buf_size = buf_size;
	pool->chunk_bufs = (uint32_t)(chunk_bytes / buf_size);
	pool->max_bufs = nbufs;
	/* Metadata for the ceiling: virtual memory, neither pinned nor touched. */
	pool->free = calloc(nbufs, sizeof(*pool->free));
	pool->bufs = calloc(nbufs, sizeof(*pool->bufs));
	r = -ENOMEM;
	if (!pool->free || !pool->bufs)
		goto fail;
	r = pool_grow(pool);
	if (r < 0)
		goto fail;
	*out = pool;
	return 0;
fail:
	bypass_pool_destroy(pool);
	return r;
}

void bypass_pool_destroy(struct bypass_pool *pool)
{
	uint32_t i;

	if (!pool)
		return;
	for (i = 0; i < pool->nchunks; i++) {
		struct pool_chunk *c = &pool->chunks[i];

		if (pool->dev && pool->dev->ops->mem_unregister)
			pool->dev->ops->mem_unregister(pool->dev, c->mem, c->len);
		munmap(c->mem, c->len);
	}
	free(pool->free);
	free(pool->bufs);
	free(pool);
}

uint32_t bypass_pool_available(const struct bypass_pool *pool)
{
	return pool->nfree;
}

uint32_t bypass_pool_capacity(const struct bypass_pool *pool)
{
	return pool->nbufs;
}

uint32_t bypass_pool_ceiling(const struct bypass_pool *pool)
{
	return pool->max_bufs;
}

size_t bypass_pool_mapped_bytes(const struct bypass_pool *pool)
{
	size_t sum = 0;
	uint32_t i;

	for (i = 0; i < pool->nchunks; i++)
		sum += pool->chunks[i].len;
	return sum;
}

int bypass_pool_grow_error(const struct bypass_pool *pool)
{
	return pool->grow_err;
}

bool bypass_pool_huge(const struct bypass_pool *pool)
{
	return pool->huge;
}

uint64_t bypass_pool_bad_puts(const struct bypass_pool *pool)
{
	return pool->bad_puts;
}

bool pool_refill(struct bypass_pool *pool)
{
	int r;

	if (pool->nbufs == pool->max_bufs || pool->grow_failed)
		return false;
	r = pool_grow(pool);
	if (r < 0) {
		/* Say why once, and stop: no system call per failed alloc. */
		pool->grow_failed = true;
		pool->grow_err = r;
		return false;
	}
	return true;
}

struct bypass_buf *bypass_buf_alloc(struct bypass_pool *pool)
{
	return pool_alloc(pool);
}

void pool_put_slow(struct bypass_buf *b)
{
	if (!b->refcnt)
		b->pool->bad_puts++;
	else
		b->refcnt--;
}

void bypass_buf_put(struct bypass_buf *b)
{
	pool_put(b);
}
