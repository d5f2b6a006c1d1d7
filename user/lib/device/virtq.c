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
	uint16_t i;

	memset(vq, 0, sizeof(*vq));
	if (!vr->size || (vr->size & (vr->size - 1)) || !vr->desc ||
	    !vr->avail || !vr->used)
		return -EINVAL;
	vq->vr = *vr;
	vq->mask = vr->size - 1;
	vq->event_idx = event_idx;
	vq->free_ids = calloc(vr->size, sizeof(*vq->free_ids));
	vq->slots = calloc(vr->size, sizeof(*vq->slots));
	vq->pending = VIRTQ_END;
	if (!vq->free_ids || !vq->slots) {
		virtq_fini(vq);
		return -ENOMEM;
	}
	/* Hand out low ids first: pop from the top of the stack. */
	for (i = 0; i < vr->size; i++)
		vq->free_ids[i] = vr->size - 1 - i;
	vq->nfree = vr->size;
	/* The device may have used the ring before (a reopened queue). */
	vq->avail_idx = vring_load16(&vr->avail->idx);
	vq->published = vq->avail_idx;
	vq->last_used = vring_load16_acquire(&vr->used->idx);
	virtq_disable_irq(vq);
	return 0;
}

void virtq_fini(struct virtq *vq)
{
	free(vq->free_ids);
	free(vq->slots);
	vq->free_ids = NULL;
	vq->slots = NULL;
	vq->nfree = 0;
}

int virtq_add_chain(struct virtq *vq, const struct virtq_seg *segs,
		    uint16_t n)
{
	uint16_t i, id, head;

	if (!n || vq->nfree < n)
		return -ENOSPC;
	/* Backwards, so that each descriptor knows its successor. */
	id = VIRTQ_END;
	for (i = n; i-- > 0;) {
		struct vring_desc *d;
		uint16_t prev = id;

		id = vq->free_ids[--vq->nfree];
		d = &vq->vr.desc[id];
		d->addr = htole64(segs[i].iova);
		d->len = htole32(segs[i].len);
		d->flags = htole16(prev == VIRTQ_END ? 0 : VRING_DESC_F_NEXT);
		d->next = htole16(prev == VIRTQ_END ? 0 : prev);
		vq->slots[id] = (struct virtq_slot){
			.cookie = segs[i].cookie, .next = prev, .head = false,
		};
	}
	head = id;
	vq->slots[head].head = true;
	vq->vr.avail->ring[vq->avail_idx++ & vq->mask] = htole16(head);
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
		struct virtq_slot *s = &vq->slots[id];

		if (s->cookie) {
			cookies[n] = s->cookie;
			if (lens)
				lens[n] = 0;
			n++;
		}
		s->cookie = NULL;
		vq->free_ids[vq->nfree++] = id;
		id = s->next;
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
