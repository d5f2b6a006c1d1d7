// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A virtio-net device in software (see vdev.h): the other end of the rings
 * that libbypass drives, used by the in-memory pair and the TAP device.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"
#include "vdev.h"
#include "vring.h"

#define VDEV_MAX_SEGS		64
#define VDEV_IOVA_BASE		0x100000000ull	/* never equal to a pointer */
#define VDEV_IOVA_ALIGN		(2ull << 20)

struct vdev_seg {
	uint8_t *p;
	uint32_t len;
};

uint32_t vdev_net_hdr_len(uint64_t features)
{
	if (features & (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MRG_RXBUF))
		return sizeof(struct virtio_net_hdr_v1);
	return sizeof(struct virtio_net_hdr);
}

int vdev_op_get_vring(struct bypass_dev *dev, unsigned int q,
		      struct bypass_vring *vr)
{
	return vdev_get_vring(dev_vdev(dev), q, vr);
}

int vdev_op_mem_register(struct bypass_dev *dev, void *addr, size_t len,
			 uint64_t *iova)
{
	return vdev_mem_register(dev_vdev(dev), addr, len, iova);
}

int vdev_op_mem_unregister(struct bypass_dev *dev, void *addr, size_t len)
{
	return vdev_mem_unregister(dev_vdev(dev), addr, len);
}

uint64_t vdev_op_mem_page_iova(struct bypass_dev *dev, const void *page)
{
	const struct vdev *vd = dev_vdev(dev);
	const uint8_t *p = page;
	unsigned int i;

	for (i = 0; i < vd->nr_regions; i++) {
		const struct vdev_region *r = &vd->reg[i];
		size_t off = (size_t)(p - r->va);

		if (p < r->va || off >= r->len)
			continue;
		if (!r->paged)
			return r->iova + off;
		/* Page k of n lives at device page n - 1 - k. */
		return r->iova + r->len - BYPASS_PAGE_SIZE - (off & ~(size_t)(BYPASS_PAGE_SIZE - 1));
	}
	return 0;
}

static void *vdev_zalloc(size_t len)
{
	void *p = aligned_alloc(4096, (len + 4095) & ~(size_t)4095);

	if (p)
		memset(p, 0, len);
	return p;
}

int vdev_dev_init(struct vdev_dev *d, const struct bypass_dev_ops *ops,
		  uint64_t features, const uint8_t mac[6], uint16_t mtu,
		  uint16_t qsize)
{
	d->dev.ops = ops;
	d->dev.features = features;
	memcpy(d->dev.mac, mac, 6);
	d->dev.mtu = mtu ? mtu : 1500;
	return vdev_init(&d->vd, qsize ? qsize : 256, features);
}

int vdev_init(struct vdev *vd, uint16_t qsize, uint64_t features)
{
	int i;

	memset(vd, 0, sizeof(*vd));
	for (i = 0; i < BYPASS_NR_QUEUES; i++) {
		vd->q[i].irq_fd = -1;
		vd->q[i].spare = VDEV_NO_SPARE;
	}
	if (!qsize || qsize > 32768 || (qsize & (qsize - 1)))
		return -EINVAL;
	vd->features = features;
	vd->hdr_len = vdev_net_hdr_len(features);
	vd->next_iova = VDEV_IOVA_BASE;
	for (i = 0; i < BYPASS_NR_QUEUES; i++) {
		struct vdev_queue *q = &vd->q[i];

		q->vr.size = qsize;
		q->vr.desc = vdev_zalloc(vring_desc_bytes(qsize));
		q->vr.avail = vdev_zalloc(vring_avail_bytes(qsize));
		q->vr.used = vdev_zalloc(vring_used_bytes(qsize));
		q->irq_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (!q->vr.desc || !q->vr.avail || !q->vr.used || q->irq_fd < 0) {
			vdev_fini(vd);
			return -ENOMEM;
		}
	}
	return 0;
}

void vdev_fini(struct vdev *vd)
{
	int i;

	for (i = 0; i < BYPASS_NR_QUEUES; i++) {
		struct vdev_queue *q = &vd->q[i];

		free(q->vr.desc);
		free(q->vr.avail);
		free(q->vr.used);
		if (q->irq_fd >= 0)
			close(q->irq_fd);
		memset(q, 0, sizeof(*q));
		q->irq_fd = -1;
	}
}

int vdev_get_vring(struct vdev *vd, unsigned int q,
		   struct bypass_vring *vr)
{
	if ((unsigned int)q >= BYPASS_NR_QUEUES)
		return -EINVAL;
	*vr = vd->q[q].vr;
	return 0;
}

int vdev_mem_register(struct vdev *vd, void *addr, size_t len, uint64_t *iova)
{
	struct vdev_region *r;

	if (!addr || !len)
		return -EINVAL;
	if (vd->nr_regions == VDEV_MAX_REGIONS)
		return -ENOSPC;
	if (vd->paged_iova && (len % BYPASS_PAGE_SIZE ||
			       (uintptr_t)addr % BYPASS_PAGE_SIZE))
		return -EINVAL;
	r = &vd->reg[vd->nr_regions++];
	r->va = addr;
	r->len = len;
	r->iova = vd->next_iova;
	r->paged = vd->paged_iova;
	/* Leave a hole after each region so overruns do not translate. */
	vd->next_iova += (len + 2 * VDEV_IOVA_ALIGN - 1) & ~(VDEV_IOVA_ALIGN - 1);
	*iova = r->iova;
	return r->paged ? BYPASS_MEM_PAGED : 0;
}

int vdev_mem_unregister(struct vdev *vd, void *addr, size_t len)
{
	unsigned int i;

	for (i = 0; i < vd->nr_regions; i++) {
		if (vd->reg[i].va == addr && vd->reg[i].len == len) {
			vd->reg[i] = vd->reg[--vd->nr_regions];
			return 0;
		}
	}
	return -ENOENT;
}

void *vdev_translate(const struct vdev *vd, uint64_t iova, size_t len)
{
	unsigned int i;

	for (i = 0; i < vd->nr_regions; i++) {
		const struct vdev_region *r = &vd->reg[i];

		uint64_t off = iova - r->iova, in_page = iova % BYPASS_PAGE_SIZE;

		if (iova < r->iova || off > r->len || len > r->len - off)
			continue;
		if (!r->paged)
			return r->va + off;
		/* A paged region is only contiguous within a page. */
		if (len > BYPASS_PAGE_SIZE - in_page || off == r->len)
			return NULL;
		return r->va + (r->len - BYPASS_PAGE_SIZE - (off - in_page)) + in_page;
	}
	return NULL;
}

/*
 * Walk the descriptor chain with head @id of queue @q. Every
 * descriptor must be device-writable iff @writable and point at registered
 * memory. Returns the number of segments and the chain's head and length,
 * or -EIO.
 */
static int vdev_chain(struct vdev *vd, struct vdev_queue *q, uint16_t id,
		      bool writable, struct vdev_seg *segs, uint16_t *head,
		      size_t *total)
{
	int n = 0;

	*head = id;
	*total = 0;
	for (;;) {
		const struct vring_desc *d;
		uint16_t flags;
		uint32_t len;

		if (id >= q->vr.size || n == VDEV_MAX_SEGS)
			return -EIO;
		d = &q->vr.desc[id];
		flags = le16toh(d->flags);
		len = le32toh(d->len);
		if (flags & VRING_DESC_F_INDIRECT ||
		    !(flags & VRING_DESC_F_WRITE) != !writable)
			return -EIO;
		segs[n].p = vdev_translate(vd, le64toh(d->addr), len);
		segs[n].len = len;
		if (!segs[n].p)
			return -EIO;
		*total += len;
		n++;
		if (!(flags & VRING_DESC_F_NEXT))
			return n;
		id = le16toh(d->next);
	}
}

static void vdev_push_used(struct vdev_queue *q, uint16_t id, uint32_t len)
{
	struct vring_used_elem *e = &q->vr.used->ring[q->used_idx & (q->vr.size - 1)];

	e->id = htole32(id);
	e->len = htole32(len);
	q->used_idx++;
}

/* The head id the driver put into avail slot @pos of @q. */
static uint16_t vdev_avail_id(const struct vdev_queue *q, uint16_t pos)
{
	return vring_load16(&q->vr.avail->ring[pos & (q->vr.size - 1)]);
}

/*
 * A TX chain is done. With the out_of_order test hook, its used entry is
 * held back until the next one's is written or the batch is flushed:
 * completions come pairwise swapped.
 */
static void vdev_tx_done(struct vdev *vd, struct vdev_queue *q, uint16_t head)
{
	if (!vd->out_of_order) {
		vdev_push_used(q, head, 0);
		return;
	}
	if (q->spare == VDEV_NO_SPARE) {
		q->spare = head;
		return;
	}
	vdev_push_used(q, head, 0);
	vdev_push_used(q, q->spare, 0);
	q->spare = VDEV_NO_SPARE;
}

/* Avail entries the driver has published and the device not consumed. */
static uint16_t vdev_pending(struct vdev *vd, struct vdev_queue *q)
{
	uint16_t n = vring_load16_acquire(&q->vr.avail->idx) - q->last_avail;

	if (n > q->vr.size) {
		/* The driver published more than the ring holds. */
		vd->errors++;
		return 0;
	}
	return n;
}

uint16_t vdev_posted(struct vdev *vd, unsigned int q)
{
	/* A spare RX buffer is one more to write into. */
	return vdev_pending(vd, &vd->q[q]) +
	       (q == BYPASS_QUEUE_RX && vd->q[q].spare != VDEV_NO_SPARE);
}

static void vdev_finish_csum(uint8_t *frame, size_t len, uint16_t start,
			     uint16_t off)
{
	uint16_t c = bypass_csum_fold(bypass_csum_partial(frame + start,
							  len - start, 0));

	memcpy(frame + start + off, &c, sizeof(c));
}

int vdev_tx_pop(struct vdev *vd, uint8_t *frame, size_t cap)
{
	struct vdev_queue *q = &vd->q[BYPASS_QUEUE_TX];
	struct vdev_seg segs[VDEV_MAX_SEGS];
	struct virtio_net_hdr_v1 hdr;
	size_t total, done = 0, flen;
	uint16_t head;
	int n, i;

	if (!vdev_pending(vd, q))
		return 0;
	n = vdev_chain(vd, q, vdev_avail_id(q, q->last_avail++), false, segs,
		       &head, &total);
	if (n < 0 || total < vd->hdr_len) {
		vd->errors++;
		if (head < q->vr.size)
			vdev_tx_done(vd, q, head);
		return -EIO;
	}
	vdev_tx_done(vd, q, head);
	flen = total - vd->hdr_len;
	if (flen > cap)
		return -EMSGSIZE;
	memset(&hdr, 0, sizeof(hdr));
	for (i = 0; i < n; i++) {
		/* Bytes [done, done + len) of header-then-frame. */
		size_t h = done < vd->hdr_len ? vd->hdr_len - done : 0;

		if (h > segs[i].len)
			h = segs[i].len;
		memcpy((uint8_t *)&hdr + done, segs[i].p, h);
		if (segs[i].len > h)
			memcpy(frame + done + h - vd->hdr_len, segs[i].p + h,
			       segs[i].len - h);
		done += segs[i].len;
	}
	vd->tx_gso_type = hdr.gso_type;
	vd->tx_gso_size = le16toh(hdr.gso_size);
	if (hdr.gso_type != VIRTIO_NET_HDR_GSO_NONE &&
	    (hdr.gso_type != VIRTIO_NET_HDR_GSO_TCPV4 || !vd->tx_gso_size ||
	     !(vd->features & (1ULL << VIRTIO_NET_F_HOST_TSO4)) ||
	     !(hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM))) {
		/* Only TCPv4 segmentation is offered, and with a checksum. */
		vd->errors++;
		return -EIO;
	}
	if (hdr.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint16_t start = le16toh(hdr.csum_start);
		uint16_t off = le16toh(hdr.csum_offset);

		if (!(vd->features & (1ULL << VIRTIO_NET_F_CSUM)) ||
		    (size_t)start + off + 2 > flen) {
			vd->errors++;
			return -EIO;
		}
		vdev_finish_csum(frame, flen, start, off);
	}
	return (int)flen;
}

int vdev_gso_segment(const uint8_t *frame, size_t len, uint16_t gso_size,
		     void (*emit)(void *arg, const uint8_t *seg, size_t len),
		     void *arg)
{
	static __thread uint8_t seg[VDEV_MAX_FRAME];
	const size_t eth = 14;
	size_t ihl, thl, hdrs, off;
	uint32_t seq;
	uint16_t id;
	int n = 0;

	if (!gso_size || len < eth + 20 || frame[12] != 0x08 || frame[13] != 0 ||
	    (frame[eth] >> 4) != 4 || frame[eth + 9] != 6)
		return -EINVAL;
	ihl = (frame[eth] & 0xf) * 4u;
	if (ihl < 20 || len < eth + ihl + 20)
		return -EINVAL;
	thl = (frame[eth + ihl + 12] >> 4) * 4u;
	hdrs = eth + ihl + thl;
	if (thl < 20 || len < hdrs)
		return -EINVAL;
	memcpy(&seq, frame + eth + ihl + 4, 4);
	seq = be32toh(seq);
	id = (uint16_t)(frame[eth + 4] << 8 | frame[eth + 5]);
	for (off = hdrs; off < len || n == 0; off += gso_size, n++) {
		size_t plen = len - off < gso_size ? len - off : gso_size;
		uint8_t *ip = seg + eth, *th = ip + ihl;
		uint32_t sum, s = htobe32(seq + (uint32_t)(off - hdrs));
		uint16_t c, l4 = (uint16_t)(thl + plen);

		memcpy(seg, frame, hdrs);
		memcpy(seg + hdrs, frame + off, plen);
		ip[2] = (uint8_t)((ihl + l4) >> 8);
		ip[3] = (uint8_t)(ihl + l4);
		ip[4] = (uint8_t)((id + n) >> 8);
		ip[5] = (uint8_t)(id + n);
		ip[10] = ip[11] = 0;
		c = bypass_csum_fold(bypass_csum_partial(ip, ihl, 0));
		memcpy(ip + 10, &c, 2);
		memcpy(th + 4, &s, 4);
		if (off + plen < len)
			th[13] &= (uint8_t)~0x09;	/* FIN, PSH: last only */
		th[16] = th[17] = 0;
		/* Pseudo header: addresses, protocol, TCP length. */
		sum = bypass_csum_partial(ip + 12, 8, htobe16(6) + htobe16(l4));
		c = bypass_csum_fold(bypass_csum_partial(th, l4, sum));
		memcpy(th + 16, &c, 2);
		emit(arg, seg, hdrs + plen);
		if (off + plen >= len)
			off = len;	/* the last one */
	}
	return n;
}

/* Copy @len bytes of @src into the chain with head @id. */
static void vdev_fill_chain(struct vdev *vd, struct vdev_queue *q, uint16_t id,
			    const uint8_t *src, size_t len)
{
	struct vdev_seg segs[VDEV_MAX_SEGS];
	size_t total, done = 0;
	uint16_t head;
	int n, i;

	/* Already validated by the caller; the driver cannot change it. */
	n = vdev_chain(vd, q, id, true, segs, &head, &total);
	for (i = 0; i < n && done < len; i++) {
		size_t c = segs[i].len < len - done ? segs[i].len : len - done;

		memcpy(segs[i].p, src + done, c);
		done += c;
	}
	vdev_push_used(q, head, (uint32_t)len);
}

/*
 * The head id of the @k-th RX buffer the next frame would take: @first
 * (a buffer the out_of_order test hook set aside for this frame, or
 * VDEV_NO_SPARE) first, then the avail ring's.
 */
static uint16_t vdev_rx_buf(const struct vdev_queue *q, uint16_t first,
			    uint16_t k)
{
	if (first != VDEV_NO_SPARE) {
		if (!k)
			return first;
		k--;
	}
	return vdev_avail_id(q, q->last_avail + k);
}

/* The next RX buffer (vdev_rx_buf(q, *first, 0)) is taken. */
static void vdev_rx_take(struct vdev_queue *q, uint16_t *first)
{
	if (*first != VDEV_NO_SPARE) {
		*first = VDEV_NO_SPARE;
		q->spare = VDEV_NO_SPARE;
	} else {
		q->last_avail++;
	}
}

int vdev_rx_push(struct vdev *vd, const uint8_t *frame, size_t len,
		 uint8_t hdr_flags, unsigned int *nbufs)
{
	static __thread uint8_t staged[VDEV_MAX_FRAME + 16];
	struct vdev_queue *q = &vd->q[BYPASS_QUEUE_RX];
	bool mrg = vd->features & (1ULL << VIRTIO_NET_F_MRG_RXBUF);
	struct vdev_seg segs[VDEV_MAX_SEGS];
	size_t need = vd->hdr_len + len, got = 0, total, chain_len[64];
	struct virtio_net_hdr_v1 hdr;
	uint16_t pending, head, nb = 0, i, first;

	if (len > VDEV_MAX_FRAME)
		return -EMSGSIZE;
	pending = vdev_pending(vd, q);
	/*
	 * The out_of_order test hook sets the first posted buffer aside and
	 * fills the next ones: the set-aside one is the first the next frame
	 * takes, so buffers complete pairwise swapped and one may stay with
	 * the device across polls.
	 */
	first = q->spare;
	if (vd->out_of_order && first == VDEV_NO_SPARE && pending >= 2) {
		q->spare = vdev_avail_id(q, q->last_avail++);
		pending--;
	}
	pending += first != VDEV_NO_SPARE;
	while (got < need) {
		if ((!mrg && nb == 1) || nb == 64)
			return -EMSGSIZE;
		if (nb == pending)
			return -ENOBUFS;
		if (vdev_chain(vd, q, vdev_rx_buf(q, first, nb), true, segs, &head,
			       &total) < 0 ||
		    (nb == 0 && total < vd->hdr_len)) {
			/* Give the broken buffer back empty. */
			vd->errors++;
			vdev_rx_take(q, &first);
			if (head < q->vr.size)
				vdev_push_used(q, head, 0);
			return -EIO;
		}
		chain_len[nb++] = total;
		got += total;
	}
	memset(&hdr, 0, sizeof(hdr));
	hdr.flags = hdr_flags;
	hdr.num_buffers = htole16(nb);
	memcpy(staged, &hdr, vd->hdr_len);
	memcpy(staged + vd->hdr_len, frame, len);
	got = 0;
	for (i = 0; i < nb; i++) {
		size_t c = chain_len[i] < need - got ? chain_len[i] : need - got;

		vdev_fill_chain(vd, q, vdev_rx_buf(q, first, 0), staged + got, c);
		vdev_rx_take(q, &first);
		got += c;
	}
	if (nbufs)
		*nbufs = nb;
	return 0;
}

bool vdev_flush(struct vdev *vd, unsigned int qi)
{
	struct vdev_queue *q = &vd->q[qi];
	bool event_idx = vd->features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	bool irq;

	/* The out_of_order hook's held TX entry goes out with the batch. */
	if (qi == BYPASS_QUEUE_TX && q->spare != VDEV_NO_SPARE) {
		vdev_push_used(q, q->spare, 0);
		q->spare = VDEV_NO_SPARE;
	}
	vring_store16_release(&q->vr.used->idx, q->used_idx);
	if (event_idx)
		vring_store16(vq_avail_event(&q->vr), q->last_avail);
	/* Used index visible before reading the driver's interrupt wish. */
	vring_mb();
	if (q->used_idx == q->signalled_used)
		return false;
	if (event_idx)
		irq = vring_need_event(vring_load16(vq_used_event(&q->vr)),
				       q->used_idx, q->signalled_used);
	else
		irq = !(vring_load16(&q->vr.avail->flags) &
			VRING_AVAIL_F_NO_INTERRUPT);
	q->signalled_used = q->used_idx;
	if (irq) {
		q->irqs++;
		if (eventfd_write(q->irq_fd, 1) < 0)
			vd->errors++;
	}
	__atomic_store_n(&q->decided_used, q->used_idx, __ATOMIC_RELEASE);
	return irq;
}

void vdev_irq_ack(struct vdev *vd, unsigned int q)
{
	eventfd_t v;

	if (eventfd_read(vd->q[q].irq_fd, &v) < 0)
		return;
}
