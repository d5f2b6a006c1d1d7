/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The driver side of one split virtqueue, run from userspace: post buffers,
 * publish them with one index store per batch, decide whether the device
 * wants a kick, reap used entries and switch the queue's interrupt on and
 * off (EVENT_IDX or the NO_INTERRUPT flag).
 *
 * A buffer is one descriptor, or (TX) a chain of them: a header buffer
 * followed by payload slices, each with its own cookie, all returned by
 * virtq_get_used() when the device completes the chain. No indirect
 * tables.
 */
#ifndef BYPASS_VIRTQ_H
#define BYPASS_VIRTQ_H

#include <endian.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>

#include "bypass_dev.h"
#include "vring.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

/*
 * What the driver keeps per descriptor id, in cookies[id]: NULL, free;
 * VIRTQ_INNER, a descriptor inside a chain (its cookie in chain_cookie);
 * a cookie, a posted one-descriptor buffer; a cookie | 1, the head of a
 * posted chain whose next id is in chain_next. Cookies of buffers and
 * chain heads are at least 2-byte aligned.
 *
 * A one-descriptor buffer posted into avail slot s takes descriptor id s
 * when it is free (the device completed it): no list of free ids to keep.
 * The device may complete buffers out of order, so descriptor s may still
 * be held: then any free id is found by a scan (virtq_free_id_slow).
 */
#define VIRTQ_INNER	((void *)1)
#define VIRTQ_CHAIN	1u	/* low bit of a chain head's cookie */

struct virtq {
	struct bypass_vring vr;
	uint16_t mask;		/* size - 1: sizes are powers of two */
	bool event_idx;
	uint16_t avail_idx;	/* next avail->idx (driver's shadow) */
	uint16_t published;	/* avail->idx as last published */
	uint16_t last_used;	/* next used entry to reap */
	uint16_t inflight;	/* descriptors posted and not yet completed */
	void **cookies;		/* per descriptor id, see above */
	uint16_t *chain_next;	/* per id in a chain: the next one, VIRTQ_END */
	void **chain_cookie;	/* per id inside a chain: its cookie or NULL */
	uint16_t pending;	/* rest of a completed chain, or VIRTQ_END */
	uint64_t kicks;		/* publishes that needed a doorbell */
	uint64_t kicks_suppressed;
	uint64_t bad_used;	/* used entries naming no posted buffer */
	uint64_t ids_off_slot;	/* buffers posted under an id not their slot */
};

#define VIRTQ_END	0xffff

/* One descriptor of a chain: device address, length, caller's cookie. */
struct virtq_seg {
	uint64_t iova;
	uint32_t len;
	void *cookie;
};

int virtq_init(struct virtq *vq, const struct bypass_vring *vr, bool event_idx);
void virtq_fini(struct virtq *vq);

/*
 * virtq_init_writable - virtq_init() for a queue that takes only
 * device-writable buffers of @len bytes each (RX), posted by
 * virtq_add_writable(): every descriptor's length and flags are written
 * here, once, and never again. A queue the device reset or reopened is
 * set up again through this call, which writes them again.
 */
int virtq_init_writable(struct virtq *vq, const struct bypass_vring *vr,
			bool event_idx, uint32_t len);

/* Hand every posted buffer's cookie to @put and free the queue (virtq.c). */
void virtq_drain(struct virtq *vq, void (*put)(void *cookie));

static inline uint16_t virtq_size(const struct virtq *vq)
{
	return vq->vr.size;
}

/* Descriptors not posted (room for this many more buffers). */
static inline uint16_t virtq_free(const struct virtq *vq)
{
	return (uint16_t)(vq->vr.size - vq->inflight);
}

/*
 * A free descriptor id for a buffer going into avail slot @slot whose own
 * descriptor the device still holds (out-of-order completion), or for the
 * inside of a chain: a scan, downwards from @slot - 1. One is free (the
 * caller checked virtq_free()).
 */
__attribute__((noinline, cold))
uint16_t virtq_free_id_slow(struct virtq *vq, uint16_t slot);

/* The descriptor id for the buffer going into avail slot @slot. */
static inline uint16_t virtq_slot_id(struct virtq *vq, uint16_t slot)
{
	if (__builtin_expect(vq->cookies[slot] == NULL, 1))
		return slot;
	return virtq_free_id_slow(vq, slot);
}

/*
 * virtq_add - write one buffer into the ring, not yet visible to the device.
 * @device_writes: an RX buffer; @cookie (never NULL, 2-byte aligned) is
 * what virtq_get_used() returns for it. Returns 0 or -ENOSPC. Not for a
 * queue set up by virtq_init_writable().
 */
static inline int virtq_add(struct virtq *vq, uint64_t iova, uint32_t len,
			    bool device_writes, void *cookie)
{
	uint16_t slot = vq->avail_idx & vq->mask, id;
	struct vring_desc *d;

	if (vq->inflight == vq->vr.size)
		return -ENOSPC;
	id = virtq_slot_id(vq, slot);
	vq->inflight++;
	d = &vq->vr.desc[id];
	d->addr = htole64(iova);
	d->len = htole32(len);
	d->flags = htole16(device_writes ? VRING_DESC_F_WRITE : 0);
	vq->cookies[id] = cookie;
	/* The device reads this slot only after the release in publish. */
	vq->vr.avail->ring[slot] = htole16(id);
	vq->avail_idx++;
	return 0;
}

/*
 * A loop posting device-writable buffers (a queue set up by
 * virtq_init_writable()): the ring's pointers and the next avail index
 * in locals, a register each once inlined, which the stores of one post
 * cannot make the next reload. virtq_burst_start(), virtq_burst_add()
 * per buffer (room was checked), virtq_burst_end(): not yet visible, and
 * inflight is the caller's to raise (virtq_added()).
 */
struct virtq_burst {
	struct vring_desc *desc;
	__virtio16 *avail;
	void **cookies;
	uint16_t idx, mask;
};

static inline void virtq_burst_start(const struct virtq *vq,
				     struct virtq_burst *bu)
{
	bu->desc = vq->vr.desc;
	bu->avail = vq->vr.avail->ring;
	bu->cookies = vq->cookies;
	bu->idx = vq->avail_idx;
	bu->mask = vq->mask;
}

/* Post the buffer at @iova with @cookie (never NULL, 2-byte aligned). */
static inline void virtq_burst_add(struct virtq *vq, struct virtq_burst *bu,
				   uint64_t iova, void *cookie)
{
	uint16_t slot = bu->idx & bu->mask, id = slot;

	/* virtq_slot_id(), from the locals. */
	if (__builtin_expect(bu->cookies[slot] != NULL, 0))
		id = virtq_free_id_slow(vq, slot);
	bu->desc[id].addr = htole64(iova);
	bu->cookies[id] = cookie;
	/* The device reads this slot only after the release in publish. */
	bu->avail[slot] = htole16(id);
	bu->idx++;
}

static inline void virtq_burst_end(struct virtq *vq,
				   const struct virtq_burst *bu)
{
	vq->avail_idx = bu->idx;
}

/*
 * virtq_add_writable - post the device-writable buffer at @iova with
 * @cookie (never NULL, 2-byte aligned), not yet visible, on a queue set up
 * by virtq_init_writable(): only the address, the cookie and the avail
 * entry are written. Room was checked (virtq_free()); inflight is the
 * caller's to raise (virtq_added()), once per burst.
 */
static inline void virtq_add_writable(struct virtq *vq, uint64_t iova,
				      void *cookie)
{
	struct virtq_burst bu;

	virtq_burst_start(vq, &bu);
	virtq_burst_add(vq, &bu, iova, cookie);
	virtq_burst_end(vq, &bu);
}

/* @n buffers were posted by virtq_add_writable() or a burst. */
static inline void virtq_added(struct virtq *vq, uint16_t n)
{
	vq->inflight += n;
}

/*
 * virtq_add_chain - write @n device-readable descriptors linked as one
 * buffer (@n >= 1), not yet visible. Returns 0 or -ENOSPC (fewer than @n
 * free). virtq_get_used() returns each segment's cookie once the device
 * completes the chain, the head's first.
 */
int virtq_add_chain(struct virtq *vq, const struct virtq_seg *segs,
		    uint16_t n);

/*
 * virtq_publish - make every added buffer visible with one index store.
 * Returns true when the device asked to be kicked for them.
 */
static inline bool virtq_publish(struct virtq *vq)
{
	uint16_t old = vq->published, new = vq->avail_idx;
	bool kick;

	if (old == new)
		return false;
	vring_store16_release(&vq->vr.avail->idx, new);
	vq->published = new;
	/* The index store must be visible before we read the device's wish. */
	vring_mb();
	if (vq->event_idx)
		kick = vring_need_event(vring_load16(vq_avail_event(&vq->vr)),
					new, old);
	else
		kick = !(vring_load16(&vq->vr.used->flags) &
			 VRING_USED_F_NO_NOTIFY);
	if (kick)
		vq->kicks++;
	else
		vq->kicks_suppressed++;
	return kick;
}

/*
 * virtq_get_used - the next buffer the device has finished with, or NULL.
 * *@len is the number of bytes the device says it wrote (RX); the
 * caller checks it against the buffer it posted. Entries with an id
 * that names no posted buffer (or the inside of a chain) are skipped and
 * counted in bad_used. After a chain's head, the next calls return the
 * cookies of the rest of the chain (*@len 0).
 */
void *virtq_get_used(struct virtq *vq, uint32_t *len);

/*
 * The rest of a completed chain from descriptor @id on: cookies into
 * @cookies from @n while below @max, the rest left pending. Returns the
 * new count (virtq.c).
 */
uint16_t virtq_chain_release(struct virtq *vq, uint16_t id, void **cookies,
			     uint32_t *lens, uint16_t n, uint16_t max);

/*
 * The cookie word of descriptor @id named by a used entry when it is due
 * (a posted buffer or a chain's head), else 0 (an id naming nothing, or
 * the inside of a chain).
 */
static inline uintptr_t virtq_used_cookie(const struct virtq *vq, uint32_t id)
{
	uintptr_t c;

	if (id >= vq->vr.size)
		return 0;
	c = (uintptr_t)vq->cookies[id];
	return c > (uintptr_t)VIRTQ_INNER ? c : 0;
}

/*
 * virtq_get_used_burst - what virtq_get_used() would return over up to
 * @max calls, in one: the cookies into @cookies, the lengths into @lens
 * (NULL: not wanted). Returns how many.
 */
static inline uint16_t virtq_get_used_burst(struct virtq *vq, void **cookies,
					    uint32_t *lens, uint16_t max)
{
	uint16_t n = 0, used;

	/* The rest of a chain whose head was returned. */
	if (vq->pending != VIRTQ_END) {
		n = virtq_chain_release(vq, vq->pending, cookies, lens, 0, max);
		if (n == max)
			return n;
	}
	used = vring_load16_acquire(&vq->vr.used->idx);
	while (n < max && vq->last_used != used) {
		const struct vring_used_elem *e =
			&vq->vr.used->ring[vq->last_used++ & vq->mask];
		uint32_t id = le32toh(e->id);
		uintptr_t c;

		/* Only a posted buffer or chain head is due (never inside one). */
		if (!(c = virtq_used_cookie(vq, id))) {
			vq->bad_used++;
			continue;
		}
		vq->cookies[id] = NULL;
		vq->inflight--;
		cookies[n] = (void *)(c & ~(uintptr_t)VIRTQ_CHAIN);
		if (lens)
			lens[n] = le32toh(e->len);
		n++;
		if (__builtin_expect(c & VIRTQ_CHAIN, 0))
			n = virtq_chain_release(vq, vq->chain_next[id], cookies,
						lens, n, max);
	}
	return n;
}

/*
 * virtq_put_used_plain - hand to @put the cookies of the used entries that
 * are posted one-descriptor buffers, in order, stopping before the first
 * that is not (a chain, an id naming nothing) and before a chain's rest
 * left pending: virtq_get_used_burst() then takes what is left. The
 * common TX reclaim without a staging array; @put is inlined.
 */
static inline __attribute__((always_inline))
void virtq_put_used_plain(struct virtq *vq, void (*put)(void *cookie))
{
	uint16_t used, last = vq->last_used, done = 0;

	if (vq->pending != VIRTQ_END)
		return;
	used = vring_load16_acquire(&vq->vr.used->idx);
	while (last != used) {
		uint32_t id = le32toh(vq->vr.used->ring[last & vq->mask].id);
		uintptr_t c = virtq_used_cookie(vq, id);

		if (!c || (c & VIRTQ_CHAIN))
			break;
		vq->cookies[id] = NULL;
		last++;
		done++;
		put((void *)c);
	}
	vq->last_used = last;
	vq->inflight -= done;
}

/* Whether the device has returned buffers not yet reaped. */
static inline bool virtq_has_used(const struct virtq *vq)
{
	return vring_load16_acquire(&vq->vr.used->idx) != vq->last_used;
}

/* Ask the device not to interrupt (best effort, as in the spec). */
void virtq_disable_irq(struct virtq *vq);

/*
 * virtq_enable_irq - ask for an interrupt on the next used entry. Returns
 * false if used entries arrived meanwhile (then do not sleep: reap them).
 */
bool virtq_enable_irq(struct virtq *vq);

#pragma GCC visibility pop

#endif /* BYPASS_VIRTQ_H */
