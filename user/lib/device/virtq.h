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

/* What the driver keeps per descriptor id. */
struct virtq_slot {
	void *cookie;		/* the caller's buffer, NULL: not posted */
	uint16_t next;		/* next id of its chain, VIRTQ_END */
	bool head;		/* heads a posted chain */
};

struct virtq {
	struct bypass_vring vr;
	uint16_t mask;		/* size - 1: sizes are powers of two */
	bool event_idx;
	uint16_t avail_idx;	/* next avail->idx (driver's shadow) */
	uint16_t published;	/* avail->idx as last published */
	uint16_t last_used;	/* next used entry to reap */
	uint16_t nfree;		/* entries in free_ids */
	uint16_t *free_ids;	/* stack of unused descriptor ids */
	struct virtq_slot *slots;	/* per descriptor id */
	uint16_t pending;	/* rest of a completed chain, or VIRTQ_END */
	uint64_t kicks;		/* publishes that needed a doorbell */
	uint64_t kicks_suppressed;
	uint64_t bad_used;	/* used entries naming no posted buffer */
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

static inline uint16_t virtq_size(const struct virtq *vq)
{
	return vq->vr.size;
}

/* Descriptors not posted (room for this many more buffers). */
static inline uint16_t virtq_free(const struct virtq *vq)
{
	return vq->nfree;
}

/*
 * virtq_add - write one buffer into the ring, not yet visible to the device.
 * @device_writes: an RX buffer; @cookie (never NULL) is what
 * virtq_get_used() returns for it. Returns 0 or -ENOSPC.
 */
static inline int virtq_add(struct virtq *vq, uint64_t iova, uint32_t len,
			    bool device_writes, void *cookie)
{
	struct vring_desc *d;
	struct virtq_slot *s;
	uint16_t id;

	if (!vq->nfree)
		return -ENOSPC;
	id = vq->free_ids[--vq->nfree];
	d = &vq->vr.desc[id];
	d->addr = htole64(iova);
	d->len = htole32(len);
	d->flags = htole16(device_writes ? VRING_DESC_F_WRITE : 0);
	d->next = 0;
	s = &vq->slots[id];
	s->cookie = cookie;
	s->next = VIRTQ_END;
	s->head = true;
	/* The device reads this slot only after the release in publish. */
	vq->vr.avail->ring[vq->avail_idx++ & vq->mask] = htole16(id);
	return 0;
}

/*
 * virtq_add_writable_burst - post @n device-writable buffers of @len bytes
 * each at @iovas, with @cookies, not yet visible: virtq_add() for RX in
 * one pass with the ring indices held in locals. Room for all @n was
 * checked (virtq_free()).
 */
static inline void virtq_add_writable_burst(struct virtq *vq,
					    void *const *cookies,
					    const uint64_t *iovas,
					    uint32_t len, uint16_t n)
{
	struct vring_desc *desc = vq->vr.desc;
	struct virtq_slot *slots = vq->slots;
	const uint16_t *free_ids = vq->free_ids;
	uint16_t *ring = vq->vr.avail->ring;
	uint16_t nfree = vq->nfree, avail = vq->avail_idx, mask = vq->mask, i;

	for (i = 0; i < n; i++) {
		uint16_t id = free_ids[--nfree];
		struct vring_desc *d = &desc[id];

		d->addr = htole64(iovas[i]);
		d->len = htole32(len);
		d->flags = htole16(VRING_DESC_F_WRITE);
		d->next = 0;
		slots[id] = (struct virtq_slot){
			.cookie = cookies[i], .next = VIRTQ_END, .head = true,
		};
		/* The device reads this slot only after the release in publish. */
		ring[avail++ & mask] = htole16(id);
	}
	vq->nfree = nfree;
	vq->avail_idx = avail;
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
		struct virtq_slot *s;

		/* Only a posted chain's head (never a NULL cookie) is due. */
		if (id >= vq->vr.size || !vq->slots[id].head) {
			vq->bad_used++;
			continue;
		}
		s = &vq->slots[id];
		cookies[n] = s->cookie;
		if (lens)
			lens[n] = le32toh(e->len);
		n++;
		s->cookie = NULL;
		s->head = false;
		vq->free_ids[vq->nfree++] = (uint16_t)id;
		if (s->next != VIRTQ_END)
			n = virtq_chain_release(vq, s->next, cookies, lens, n, max);
	}
	return n;
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
