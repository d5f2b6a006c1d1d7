// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The buffer pool (see bypass_buf.h): one mapping, huge pages when possible,
 * registered once; a stack of free indices makes alloc and free O(1) with
 * no allocation per packet.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bypass_buf.h"

#define HUGE_PAGE	(2u << 20)

struct bypass_pool {
	struct bypass_dev *dev;
	uint8_t *mem;
	size_t mem_len;
	bool huge;
	uint32_t nbufs;
	uint32_t nfree;
	uint32_t *free;		/* stack of free buffer indices */
	struct bypass_buf *bufs;
	uint64_t bad_puts;
};

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

int bypass_pool_create(struct bypass_dev *dev, uint32_t nbufs,
		       uint32_t buf_size, struct bypass_pool **out)
{
	struct bypass_pool *pool;
	bool paged = false;
	uint64_t iova;
	uint32_t i;
	int r;

	if (!nbufs || buf_size < 256 || buf_size > 65536 ||
	    (buf_size & (buf_size - 1)))
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->nbufs = nbufs;
	/* Whole pages: that is what a device can map. */
	pool->mem_len = ((size_t)nbufs * buf_size + BYPASS_PAGE_SIZE - 1) &
			~(size_t)(BYPASS_PAGE_SIZE - 1);
	pool->mem = pool_map(pool->mem_len, &pool->huge);
	if (pool->huge)
		pool->mem_len = (pool->mem_len + HUGE_PAGE - 1) & ~(size_t)(HUGE_PAGE - 1);
	pool->free = calloc(nbufs, sizeof(*pool->free));
	pool->bufs = calloc(nbufs, sizeof(*pool->bufs));
	if (!pool->mem || !pool->free || !pool->bufs) {
		r = -ENOMEM;
		goto fail;
	}
	iova = (uint64_t)(uintptr_t)pool->mem;
	if (dev) {
		r = dev->ops->mem_register(dev, pool->mem, pool->mem_len, &iova);
		if (r < 0)
			goto fail;
		pool->dev = dev;	/* registered: unregister on destroy */
		paged = r == BYPASS_MEM_PAGED;
		r = -EOPNOTSUPP;
		if (paged && (buf_size > BYPASS_PAGE_SIZE || !dev->ops->mem_page_iova))
			goto fail;
	}
	for (i = 0; i < nbufs; i++) {
		struct bypass_buf *b = &pool->bufs[i];
		size_t off = (size_t)i * buf_size;

		b->head = pool->mem + off;
		b->size = buf_size;
		b->index = i;
		/* Buffers never straddle pages: one lookup per buffer, once. */
		if (paged)
			b->iova = dev->ops->mem_page_iova(dev, b->head - off % BYPASS_PAGE_SIZE) +
				  off % BYPASS_PAGE_SIZE;
		else
			b->iova = iova + off;
		b->pool = pool;
		pool->free[i] = nbufs - 1 - i;
	}
	pool->nfree = nbufs;
	*out = pool;
	return 0;
fail:
	bypass_pool_destroy(pool);
	return r;
}

void bypass_pool_destroy(struct bypass_pool *pool)
{
	if (!pool)
		return;
	if (pool->dev && pool->dev->ops->mem_unregister)
		pool->dev->ops->mem_unregister(pool->dev, pool->mem, pool->mem_len);
	if (pool->mem)
		munmap(pool->mem, pool->mem_len);
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

bool bypass_pool_huge(const struct bypass_pool *pool)
{
	return pool->huge;
}

uint64_t bypass_pool_bad_puts(const struct bypass_pool *pool)
{
	return pool->bad_puts;
}

struct bypass_buf *bypass_buf_alloc(struct bypass_pool *pool)
{
	struct bypass_buf *b;

	if (!pool->nfree)
		return NULL;
	b = &pool->bufs[pool->free[--pool->nfree]];
	b->refcnt = 1;
	b->data = b->head + BYPASS_BUF_HEADROOM;
	b->len = 0;
	b->next = NULL;
	return b;
}

void bypass_buf_put(struct bypass_buf *b)
{
	struct bypass_pool *pool = b->pool;

	if (!b->refcnt) {
		pool->bad_puts++;
		return;
	}
	if (--b->refcnt)
		return;
	pool->free[pool->nfree++] = b->index;
}
