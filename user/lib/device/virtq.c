// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Userspace driver of one split virtqueue (see virtq.h). The device may run
 * on another CPU: ring entries are written before the index that publishes
 * them (release), indices are read before the entries they cover (acquire),
 * and a full fence separates "publish my index" from "read your event index".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "virtq.h"
#include "vring.h"

int virtq_init(struct virtq *vq, const struct bypass_vring *vr, bool event_idx)
{
	memset(vq, 0, sizeof(*vq));
	if (!vr->size || (vr->size & (vr->size - 1)) || !vr->desc ||
	    !vr->avail || !vr->used)
		return -EINVAL;
	vq->vr = *vr;
	vq->mask = vr->size - 1;
	vq->event_idx = event_idx;
	vq->cookies = calloc(vr->size, sizeof(*vq->cookies));
	vq->chain_next = calloc(vr->size, sizeof(*vq->chain_next));
	vq->chain_cookie = calloc(vr->size, sizeof(*vq->chain_cookie));
	vq->pending = VIRTQ_END;
	if (!vq->cookies || !vq->chain_next || !vq->chain_cookie) {
		virtq_fini(vq);
		return -ENOMEM;
	}
	/* The device may have used the ring before (a reopened queue). */
	vq->avail_idx = vring_load16(&vr->avail->idx);
	vq->published = vq->avail_idx;
	vq->last_used = vring_load16_acquire(&vr->used->idx);
	virtq_disable_irq(vq);
	return 0;
}

int virtq_init_writable(struct virtq *vq, const struct bypass_vring *vr,
			bool event_idx, uint32_t len)
{
	int r = virtq_init(vq, vr, event_idx);
	uint16_t id;

	if (r)
		return r;
	/* What every buffer posted here shares: virtq_add_writable() skips it. */
	for (id = 0; id < vr->size; id++) {
		vr->desc[id].len = htole32(len);
		vr->desc[id].flags = htole16(VRING_DESC_F_WRITE);
		vr->desc[id].next = 0;
	}
	return 0;
}

void virtq_fini(struct virtq *vq)
{
	free(vq->cookies);
	free(vq->chain_next);
	free(vq->chain_cookie);
	vq->cookies = NULL;
	vq->chain_next = NULL;
	vq->chain_cookie = NULL;
	vq->inflight = vq->vr.size;
}

void virtq_drain(struct virtq *vq, void (*put)(void *cookie))
{
	uint16_t id;

	if (!vq->cookies)
		return;
	for (id = 0; id < vq->vr.size; id++) {
		uintptr_t c = (uintptr_t)vq->cookies[id];

		if (vq->cookies[id] == VIRTQ_INNER)
			c = (uintptr_t)vq->chain_cookie[id];
		c &= ~(uintptr_t)VIRTQ_CHAIN;
		if (c)
			put((void *)c);
	}
	virtq_fini(vq);
}

uint16_t virtq_free_id_slow(struct virtq *vq, uint16_t slot)
{
	uint16_t id = slot;

	/* Recently completed ids lie behind the slot, the next slots' ahead. */
	do
		id = (id - 1) & vq->mask;
	while (vq->cookies[id]);
	vq->ids_off_slot++;
	return id;
}

int virtq_add_chain(struct virtq *vq, const struct virtq_seg *segs,
		    uint16_t n)
{
	uint16_t slot = vq->avail_idx & vq->mask, i, id, prev = VIRTQ_END;

	if (!n || virtq_free(vq) < n)
		return -ENOSPC;
	/* Backwards, so that each descriptor knows its successor. */
	for (i = n; i-- > 0;) {
		struct vring_desc *d;

		/* Marked taken at once, so that the next scan passes it. */
		id = i ? virtq_free_id_slow(vq, slot) : virtq_slot_id(vq, slot);
		d = &vq->vr.desc[id];
		d->addr = htole64(segs[i].iova);
		d->len = htole32(segs[i].len);
		d->flags = htole16(prev == VIRTQ_END ? 0 : VRING_DESC_F_NEXT);
		d->next = htole16(prev == VIRTQ_END ? 0 : prev);
		vq->chain_next[id] = prev;
		vq->chain_cookie[id] = segs[i].cookie;
		vq->cookies[id] = VIRTQ_INNER;
		prev = id;
	}
	/* The head: the one entry the reap loop looks at. */
	vq->cookies[id] = (void *)((uintptr_t)segs[0].cookie | VIRTQ_CHAIN);
	vq->inflight += n;
	vq->vr.avail->ring[slot] = htole16(id);
	vq->avail_idx++;
	return 0;
}

/*
 * Free the descriptors of a completed chain from @id on, their cookies
 * into @cookies from @n while below @max (the rest stays pending).
 */
uint16_t virtq_chain_release(struct virtq *vq, uint16_t id, void **cookies,
			     uint32_t *lens, uint16_t n, uint16_t max)
{
	while (id != VIRTQ_END && n < max) {
		void *c = vq->chain_cookie[id];

		if (c) {
			cookies[n] = c;
			if (lens)
				lens[n] = 0;
			n++;
		}
		vq->cookies[id] = NULL;
		vq->inflight--;
		id = vq->chain_next[id];
	}
	vq->pending = id;
	return n;
}

void *virtq_get_used(struct virtq *vq, uint32_t *len)
{
	void *cookie;

	return virtq_get_used_burst(vq, &cookie, len, 1) ? cookie : NULL;
}

void virtq_disable_irq(struct virtq *vq)
{
	vring_store16(&vq->vr.avail->flags, VRING_AVAIL_F_NO_INTERRUPT);
	/*
	 * With EVENT_IDX the flag is ignored: point used_event just behind
	 * what the device has already passed, so it will not fire for a
	 * whole index wrap.
	 */
	if (vq->event_idx)
		vring_store16(vq_used_event(&vq->vr),
			      (uint16_t)(vq->last_used - 1));
}

bool virtq_enable_irq(struct virtq *vq)
{
	vring_store16(&vq->vr.avail->flags, 0);
	if (vq->event_idx)
		vring_store16(vq_used_event(&vq->vr), vq->last_used);
	/* Our wish must be visible before we look at the used index again. */
	vring_mb();
	return !virtq_has_used(vq);
}
