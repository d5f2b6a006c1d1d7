/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Packet buffers: fixed-size, reference-counted buffers carved from one
 * region of memory registered with the device, so that a buffer's device
 * address is known without a lookup and packets never need copying between
 * the application, the stack and the rings.
 *
 * A pool belongs to one thread (the one polling its stack): reference
 * counts are plain integers.
 */
#ifndef BYPASS_BUF_H
#define BYPASS_BUF_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include "bypass_dev.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Room kept in front of a fresh buffer's data for the stack's headers. */
#define BYPASS_BUF_HEADROOM	128

struct bypass_pool;

/*
 * struct bypass_buf - one buffer. The application reads and writes the
 * bytes [@data, @data + @len) and may move @data within [@head,
 * @head + @size); the rest belongs to the library. The metadata lives
 * outside the device-visible memory.
 */
struct bypass_buf {
	uint8_t *data;			/* first valid byte */
	uint32_t len;			/* valid bytes at @data */
	uint32_t refcnt;
	uint8_t *head;			/* start of the buffer */
	uint32_t size;			/* bytes from @head */
	uint32_t index;			/* position in the pool */
	uint64_t iova;			/* device address of @head */
	struct bypass_pool *pool;
	struct bypass_buf *next;	/* queue link for the current owner */
};

/*
 * bypass_pool_create - a pool of at most @nbufs buffers of @buf_size bytes
 * (a power of two, 256..65536), mapped and registered with @dev (none when
 * @dev is NULL: the device addresses are then the process addresses) in
 * chunks: 2 MiB, or @nbufs * @buf_size / 8 rounded up to 2 MiB when that
 * is more. The first chunk is mapped now, each further one when an
 * allocation finds the pool empty, so an idle application pins one chunk.
 * Huge pages when the system has them, 4 KiB pages otherwise.
 */
int bypass_pool_create(struct bypass_dev *dev, uint32_t nbufs,
		       uint32_t buf_size, struct bypass_pool **out);
void bypass_pool_destroy(struct bypass_pool *pool);

/*
 * Buffers not allocated; buffers mapped so far (the capacity grows up to
 * the ceiling, @nbufs of bypass_pool_create()); bytes mapped and
 * registered; whether the first chunk got huge pages.
 */
uint32_t bypass_pool_available(const struct bypass_pool *pool);
uint32_t bypass_pool_capacity(const struct bypass_pool *pool);
uint32_t bypass_pool_ceiling(const struct bypass_pool *pool);
size_t bypass_pool_mapped_bytes(const struct bypass_pool *pool);
bool bypass_pool_huge(const struct bypass_pool *pool);
/*
 * Why the pool could not add a chunk below its ceiling (e.g. -ENOMEM, or
 * the device's -ENOMEM when RLIMIT_MEMLOCK is reached), 0 if it never
 * failed. After one failure it stays at its size: allocations that find it
 * empty return NULL without another attempt.
 */
int bypass_pool_grow_error(const struct bypass_pool *pool);
/* Puts of a buffer whose count was already zero (a caller's bug). */
uint64_t bypass_pool_bad_puts(const struct bypass_pool *pool);

/*
 * bypass_buf_alloc - a buffer with one reference, @len 0 and @data
 * BYPASS_BUF_HEADROOM bytes in, or NULL when the pool is empty and cannot
 * grow. O(1), but the allocation that grows the pool maps and registers a
 * chunk (system calls).
 */
struct bypass_buf *bypass_buf_alloc(struct bypass_pool *pool);

/* bypass_buf_put - drop one reference; the last one frees. O(1). */
void bypass_buf_put(struct bypass_buf *buf);

static inline void bypass_buf_get(struct bypass_buf *buf)
{
	buf->refcnt++;
}

/* Device address of @p, which must lie inside @buf. */
static inline uint64_t bypass_buf_iova(const struct bypass_buf *buf,
				       const void *p)
{
	return buf->iova + (uint64_t)((const uint8_t *)p - buf->head);
}

static inline uint32_t bypass_buf_headroom(const struct bypass_buf *buf)
{
	return (uint32_t)(buf->data - buf->head);
}

static inline uint32_t bypass_buf_tailroom(const struct bypass_buf *buf)
{
	return buf->size - bypass_buf_headroom(buf) - buf->len;
}

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_BUF_H */
