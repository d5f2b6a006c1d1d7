// SPDX-License-Identifier: GPL-2.0
/*
 * The control virtqueue stays in the kernel: it is how bypass sets the
 * number of active queue pairs and the receive filter. One command at a
 * time, completion polled with a bound (the device answers synchronously
 * in practice, and a dead device must not hang us).
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/pci.h>
#include <linux/virtio_net.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "bypass.h"

#define CTRLQ_MAX_ENTRIES	64
#define CTRLQ_HDR_OFF		0
#define CTRLQ_DATA_OFF		64
#define CTRLQ_DATA_MAX		256
#define CTRLQ_ACK_OFF		512
#define CTRLQ_WAIT_US		(1000 * 1000)

static struct vring_desc *ctrlq_desc(struct bypass_ctrlq *q)
{
	return q->ring.va;
}

static struct vring_avail *ctrlq_avail(struct bypass_ctrlq *q)
{
	return q->ring.va + bypass_ring_avail_offset(q->ring.num);
}

static struct vring_used *ctrlq_used(struct bypass_ctrlq *q)
{
	return q->ring.va + bypass_ring_used_offset(q->ring.num);
}

/**
 * bypass_ctrlq_setup() - allocate (first time) and enable the control queue
 * @dev: the device, features negotiated, before DRIVER_OK
 *
 * Return: 0 or -errno.
 */
int bypass_ctrlq_setup(struct bypass_device *dev)
{
	struct bypass_ctrlq *q = &dev->ctrlq;
	struct bypass_vq vq = { .index = 2 * dev->max_pairs };
	u16 num;
	int ret;

	if (!q->ring.va) {
		num = vp_modern_get_queue_size(&dev->mdev, vq.index);
		if (!num || !is_power_of_2(num))
			return -ENODEV;
		num = min_t(u16, num, CTRLQ_MAX_ENTRIES);
		ret = bypass_ring_alloc(dev, &q->ring, num);
		if (ret)
			return ret;
		ret = bypass_coherent_alloc(dev, &q->buf, PAGE_SIZE);
		if (ret)
			return ret;
		q->index = vq.index;
		ret = bypass_vq_map_notify(dev, &vq);
		if (ret)
			return ret;
		q->notify = vq.notify;
		q->notify_mapped = vq.notify_mapped;
	}
	memset(q->ring.va, 0, q->ring.size);
	q->avail_idx = 0;
	q->used_idx = 0;
	vq.ring = q->ring;
	return bypass_vq_enable(dev, &vq, VIRTIO_MSI_NO_VECTOR);
}

/**
 * bypass_ctrlq_teardown() - free the control queue; the device is reset
 * @dev: the device
 */
void bypass_ctrlq_teardown(struct bypass_device *dev)
{
	struct bypass_ctrlq *q = &dev->ctrlq;

	if (q->notify && q->notify_mapped)
		pci_iounmap(dev->pdev, q->notify);
	q->notify = NULL;
	bypass_ring_free(dev, &q->buf);
	bypass_ring_free(dev, &q->ring);
}

/**
 * bypass_ctrlq_cmd() - run one control command and wait for its answer
 * @dev: the device
 * @class: VIRTIO_NET_CTRL_* class
 * @cmd: command within the class
 * @data: command payload
 * @len: payload length (at most 256 bytes)
 *
 * Return: 0, -EIO if the device answered VIRTIO_NET_ERR, -ETIMEDOUT, or
 * -ENODEV.
 */
int bypass_ctrlq_cmd(struct bypass_device *dev, u8 class, u8 cmd,
		     const void *data, size_t len)
{
	struct bypass_ctrlq *q = &dev->ctrlq;
	struct virtio_net_ctrl_hdr *hdr;
	struct vring_desc *d;
	unsigned int waited = 0, n = 0;
	u8 *ack;
	int ret = 0;

	if (len > CTRLQ_DATA_MAX || !q->ring.va)
		return -EINVAL;
	mutex_lock(&q->lock);
	hdr = q->buf.va + CTRLQ_HDR_OFF;
	ack = q->buf.va + CTRLQ_ACK_OFF;
	hdr->class = class;
	hdr->cmd = cmd;
	memcpy(q->buf.va + CTRLQ_DATA_OFF, data, len);
	*ack = 0xff;

	d = ctrlq_desc(q);
	d[n].addr = cpu_to_le64(q->buf.dma + CTRLQ_HDR_OFF);
	d[n].len = cpu_to_le32(sizeof(*hdr));
	d[n].flags = cpu_to_le16(VRING_DESC_F_NEXT);
	d[n].next = cpu_to_le16(n + 1);
	n++;
	if (len) {
		d[n].addr = cpu_to_le64(q->buf.dma + CTRLQ_DATA_OFF);
		d[n].len = cpu_to_le32(len);
		d[n].flags = cpu_to_le16(VRING_DESC_F_NEXT);
		d[n].next = cpu_to_le16(n + 1);
		n++;
	}
	d[n].addr = cpu_to_le64(q->buf.dma + CTRLQ_ACK_OFF);
	d[n].len = cpu_to_le32(1);
	d[n].flags = cpu_to_le16(VRING_DESC_F_WRITE);
	d[n].next = 0;

	ctrlq_avail(q)->ring[q->avail_idx & (q->ring.num - 1)] = 0;
	dma_wmb();
	q->avail_idx++;
	WRITE_ONCE(ctrlq_avail(q)->idx, cpu_to_le16(q->avail_idx));
	/* The new avail index must be visible before the doorbell write. */
	mb();
	iowrite16(q->index, q->notify);

	while (le16_to_cpu(READ_ONCE(ctrlq_used(q)->idx)) == q->used_idx) {
		if (!pci_device_is_present(dev->pdev)) {
			ret = -ENODEV;
			goto out;
		}
		if (waited >= CTRLQ_WAIT_US) {
			dev_err(&dev->pdev->dev, "control command %u.%u timed out\n",
				class, cmd);
			ret = -ETIMEDOUT;
			goto out;
		}
		usleep_range(20, 50);
		waited += 35;
	}
	dma_rmb();
	q->used_idx++;
	if (READ_ONCE(*ack) != VIRTIO_NET_OK)
		ret = -EIO;
out:
	mutex_unlock(&q->lock);
	return ret;
}

/**
 * bypass_ctrlq_configure() - program the receive filter and queue pairs
 * @dev: the device, DRIVER_OK set
 *
 * Turns promiscuous mode off (QEMU starts promiscuous) so the device
 * delivers only frames for its MAC, broadcast and multicast, and enables
 * every queue pair bypass offers.
 *
 * Return: 0 or -errno.
 */
int bypass_ctrlq_configure(struct bypass_device *dev)
{
	u8 off = 0, on = 1;
	__le16 pairs;
	int ret;

	if (dev->features & BIT_ULL(VIRTIO_NET_F_CTRL_RX)) {
		ret = bypass_ctrlq_cmd(dev, VIRTIO_NET_CTRL_RX,
				       VIRTIO_NET_CTRL_RX_PROMISC, &off, 1);
		if (ret)
			return ret;
		ret = bypass_ctrlq_cmd(dev, VIRTIO_NET_CTRL_RX,
				       VIRTIO_NET_CTRL_RX_ALLMULTI, &on, 1);
		if (ret)
			return ret;
	}
	if (dev->features & BIT_ULL(VIRTIO_NET_F_MQ)) {
		pairs = cpu_to_le16(dev->num_pairs);
		ret = bypass_ctrlq_cmd(dev, VIRTIO_NET_CTRL_MQ,
				       VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, sizeof(pairs));
		if (ret)
			return ret;
	}
	return 0;
}
