/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device side of a virtio-net queue pair, emulated in software for the
 * in-memory pair and the TAP device: owns the ring memory, translates IOVAs
 * through registered regions, takes frames off the TX ring (finishing a
 * requested checksum), writes frames into RX buffers with the virtio-net
 * header (num_buffers for MRG_RXBUF), and raises interrupts only when the
 * driver's EVENT_IDX or NO_INTERRUPT settings ask for them.
 *
 * It trusts nothing the driver wrote: a bad index, descriptor or address is
 * counted in errors and never followed.
 */
#ifndef BYPASS_VDEV_H
#define BYPASS_VDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bypass_dev.h"

/* Internal to libbypass: not exported from libbypass.so. */
#pragma GCC visibility push(hidden)

#define VDEV_MAX_REGIONS	8
#define VDEV_MAX_FRAME		65600	/* an IPv4 datagram of 64 KiB, framed */

struct vdev_queue {
	struct bypass_vring vr;
	uint16_t last_avail;	/* next avail entry to consume */
	uint16_t used_idx;	/* device's shadow of used->idx */
	uint16_t signalled_used; /* used->idx at the last interrupt check */
	uint16_t decided_used;	/* the same, stored once the interrupt was
				 * raised or not (read by other threads) */
	int irq_fd;		/* eventfd written on interrupt */
	/*
	 * out_of_order test hook: RX, a buffer taken off the avail ring and
	 * set aside for the next frame; TX, a used entry held back until the
	 * next one is written or the queue flushed. VDEV_NO_SPARE: none.
	 */
	uint16_t spare;
	uint64_t kicks;
	uint64_t irqs;
};

/* A registered region: contiguous, or paged with its pages reversed. */
struct vdev_region {
	uint8_t *va;
	size_t len;
	uint64_t iova;
	bool paged;
};

struct vdev {
	uint64_t features;
	uint32_t hdr_len;	/* virtio-net header bytes before a frame */
	struct vdev_queue q[BYPASS_NR_QUEUES];
	struct vdev_region reg[VDEV_MAX_REGIONS];
	unsigned int nr_regions;
	uint64_t next_iova;
	bool paged_iova;	/* register regions page by page */
	/* GSO of the frame vdev_tx_pop returned last (HOST_TSO4). */
	uint8_t tx_gso_type;
	uint16_t tx_gso_size;
	uint64_t errors;	/* driver mistakes seen */
	/*
	 * Test hook: complete buffers out of order, as the spec allows
	 * without VIRTIO_F_IN_ORDER (RX buffers and TX used entries pairwise
	 * swapped, an RX buffer possibly held across polls).
	 */
	bool out_of_order;
};

#define VDEV_NO_SPARE	0xffff

/*
 * A device provider built on vdev embeds this first; the vdev_op_* below
 * then serve as its ops.
 */
struct vdev_dev {
	struct bypass_dev dev;
	struct vdev vd;
};

static inline struct vdev *dev_vdev(struct bypass_dev *dev)
{
	return &((struct vdev_dev *)dev)->vd;
}

int vdev_op_get_vring(struct bypass_dev *dev, unsigned int q,
		      struct bypass_vring *vr);
int vdev_op_mem_register(struct bypass_dev *dev, void *addr, size_t len,
			 uint64_t *iova);
int vdev_op_mem_unregister(struct bypass_dev *dev, void *addr, size_t len);
uint64_t vdev_op_mem_page_iova(struct bypass_dev *dev, const void *page);

int vdev_init(struct vdev *vd, uint16_t qsize, uint64_t features);
/*
 * The device half of a vdev provider: @ops, @features, @mac and @mtu (0:
 * 1500) in @d->dev, and its queues of @qsize entries (0: 256) set up.
 */
int vdev_dev_init(struct vdev_dev *d, const struct bypass_dev_ops *ops,
		  uint64_t features, const uint8_t mac[6], uint16_t mtu,
		  uint16_t qsize);
void vdev_fini(struct vdev *vd);

int vdev_get_vring(struct vdev *vd, unsigned int q,
		   struct bypass_vring *vr);
int vdev_mem_register(struct vdev *vd, void *addr, size_t len, uint64_t *iova);
int vdev_mem_unregister(struct vdev *vd, void *addr, size_t len);

/* The process address of [@iova, @iova + @len), or NULL if unmapped. */
void *vdev_translate(const struct vdev *vd, uint64_t iova, size_t len);

/* Buffers the driver has posted on queue @q and the device not yet used. */
uint16_t vdev_posted(struct vdev *vd, unsigned int q);

/* virtio-net header length for @features (12 with VERSION_1/MRG_RXBUF). */
uint32_t vdev_net_hdr_len(uint64_t features);

/*
 * vdev_tx_pop - take the next frame off the TX ring into @frame (without
 * the virtio-net header, any requested checksum filled in).
 * Returns its length, 0 when the ring is empty, -EIO for a frame the driver
 * got wrong (consumed and counted), -EMSGSIZE if larger than @cap.
 */
int vdev_tx_pop(struct vdev *vd, uint8_t *frame, size_t cap);

/*
 * vdev_gso_segment - cut the TCP/IPv4 frame @frame (a TSO frame whose
 * checksum is not needed) into frames of at most @gso_size payload bytes,
 * as a device does for HOST_TSO4: IPv4 length, id and checksum, TCP
 * sequence number, flags (FIN and PSH on the last only) and checksum of
 * each set. @emit gets each, in order. Returns the number of segments,
 * or -EINVAL for a frame that is no TCP/IPv4 or a @gso_size of 0.
 */
int vdev_gso_segment(const uint8_t *frame, size_t len, uint16_t gso_size,
		     void (*emit)(void *arg, const uint8_t *seg, size_t len),
		     void *arg);

/*
 * vdev_rx_push - write @frame into the RX ring behind a virtio-net header
 * with @hdr_flags. Returns 0, -ENOBUFS when the driver has not posted enough
 * buffers (nothing consumed), -EMSGSIZE when it can never fit.
 * *@nbufs (if not NULL) receives the number of buffers used.
 */
int vdev_rx_push(struct vdev *vd, const uint8_t *frame, size_t len,
		 uint8_t hdr_flags, unsigned int *nbufs);

/*
 * vdev_flush - publish used entries of queue @q, tell the driver where to
 * kick next, and interrupt it if it asked. Returns true on interrupt.
 */
bool vdev_flush(struct vdev *vd, unsigned int q);

/* Consume a pending interrupt on queue @q's eventfd. */
void vdev_irq_ack(struct vdev *vd, unsigned int q);

#pragma GCC visibility pop

#endif /* BYPASS_VDEV_H */
