/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Shared split-virtqueue access rules: little-endian fields, the ordering
 * (acquire/release and full fences) both sides of a ring need when the other
 * side runs on another CPU, and where the EVENT_IDX words live.
 */
#ifndef BYPASS_VRING_H
#define BYPASS_VRING_H

#include <endian.h>
#include <stdatomic.h>
#include <stdint.h>

#include "bypass_dev.h"

/* A 16-bit ring index or flags word written by the other side. */
static inline uint16_t vring_load16(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED));
}

/* Load an index, then see everything the writer published before it. */
static inline uint16_t vring_load16_acquire(const void *p)
{
	return le16toh(__atomic_load_n((const uint16_t *)p, __ATOMIC_ACQUIRE));
}

static inline void vring_store16(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELAXED);
}

/* Publish an index after every ring entry written before it. */
static inline void vring_store16_release(void *p, uint16_t v)
{
	__atomic_store_n((uint16_t *)p, htole16(v), __ATOMIC_RELEASE);
}

/*
 * Full barrier: a store (an index) must be visible before a following load
 * (the other side's event index or flags); release/acquire do not order that.
 */
static inline void vring_mb(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}

/* EVENT_IDX: the driver's "interrupt me after this used index". */
static inline uint16_t *vq_used_event(const struct bypass_vring *vr)
{
	return (uint16_t *)&vr->avail->ring[vr->size];
}

/* EVENT_IDX: the device's "kick me after this avail index". */
static inline uint16_t *vq_avail_event(const struct bypass_vring *vr)
{
	return (uint16_t *)&vr->used->ring[vr->size];
}

/* Sizes of the three parts of a ring of @n entries, event words included. */
static inline size_t vring_desc_bytes(uint16_t n)
{
	return sizeof(struct vring_desc) * n;
}

static inline size_t vring_avail_bytes(uint16_t n)
{
	return sizeof(struct vring_avail) + sizeof(uint16_t) * (n + 1u);
}

static inline size_t vring_used_bytes(uint16_t n)
{
	return sizeof(struct vring_used) + sizeof(struct vring_used_elem) * n +
	       sizeof(uint16_t);
}

#endif /* BYPASS_VRING_H */
