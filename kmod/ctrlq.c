// SPDX-License-Identifier: GPL-2.0
/*
 * The control virtqueue stays in the kernel: it is how bypass sets the
 * number of active queue pairs and the receive filter. One command at a
 * time, completion polled with a bound (the device answers synchronously
 * in practice, and a dead device must not hang us).
 *
 * On an isolated device the queue's ring and buffer are pages holding
 * nothing but control-queue data, at fixed IOVAs of the control window.
 * They are mapped only during device bring-up, when no data queue is
 * enabled; once the commands are done the queue is reset on its own
 * (RING_RESET) and the window unmapped, so no descriptor an owner posts
 * later can reach them. Without RING_RESET the window stays mapped (the
 * device may use the queue at any time); it still holds only control
 * data. Everything read back from it (used index, id, status) is checked
 * before it is believed.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
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

/* Make the control window reachable by the device. */
static int ctrlq_map(struct bypass_device *dev)
{
	struct bypass_ctrlq *q = &dev->ctrlq;
	int ret;

	if (q->ring.kind != BYPASS_MEM_WINDOW || q->window_mapped)
		return 0;
	ret = bypass_iommu_map_kernel(dev, q->ring.dma, q->ring.va, q->ring.size);
	if (ret)
		return ret;
	ret = bypass_iommu_map_kernel(dev, q->buf.dma, q->buf.va, q->buf.size);
	if (ret) {
		bypass_iommu_unmap(dev, q->ring.dma, q->ring.size);
		return ret;
	}
	q->window_mapped = true;
	return 0;
}

/* Take the control window away; the device no longer uses the queue. */
static void ctrlq_unmap(struct bypass_device *dev)
{
	struct bypass_ctrlq *q = &dev->ctrlq;

	if (!q->window_mapped)
		return;
	bypass_iommu_unmap(dev, q->buf.dma, q->buf.size);
	bypass_iommu_unmap(dev, q->ring.dma, q->ring.size);
	q->window_mapped = false;
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
		ret = bypass_ring_alloc(dev, &q->ring, num, BYPASS_IOVA_CTRL);
		if (ret)
			return ret;
		ret = bypass_coherent_alloc(dev, &q->buf, PAGE_SIZE,
					    BYPASS_IOVA_CTRL + q->ring.size);
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
	ret = ctrlq_map(dev);
	if (ret)
		return ret;
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

	ctrlq_unmap(dev);
	if (q->notify && q->notify_mapped)
		pci_iounmap(dev->pdev, q->notify);
	q->notify = NULL;
	bypass_ring_free(dev, &q->buf);
	bypass_ring_free(dev, &q->ring);
}

/**
 * bypass_ctrlq_retire() - stop the control queue after bring-up
 * @dev: the device, its commands done
 *
 * With RING_RESET the queue is reset on its own, after which the device
 * cannot touch its memory, and the control window is unmapped. The next
 * full reset and bypass_ctrlq_setup() bring it back.
 */
void bypass_ctrlq_retire(struct bypass_device *dev)
{
	struct bypass_ctrlq *q = &dev->ctrlq;
	struct bypass_vq vq = { .index = q->index, .enabled = true };

	if (!q->window_mapped || !(dev->features & BIT_ULL(VIRTIO_F_RING_RESET)))
		return;
	if (bypass_vq_reset(dev, &vq)) {
		dev_warn(&dev->pdev->dev, "control queue did not reset; its window stays mapped\n");
		return;
	}
	ctrlq_unmap(dev);
}

/**
 * bypass_ctrlq_cmd() - run one control command and wait for its answer
 * @dev: the device
 * @class: VIRTIO_NET_CTRL_* class
 * @cmd: command within the class
 * @data: command payload
 * @len: payload length (at most 256 bytes)
 *
 * The device's answer is untrusted: a used index that moved by anything
 * but one, a used id that is not the chain's head, or a status byte that
 * is neither OK nor ERR is a protocol error; it and a timeout leave the
 * device marked broken, so the next attach resets it.
 *
 * Return: 0, -EIO if the device answered VIRTIO_NET_ERR or broke the
 * protocol, -ETIMEDOUT or -ENODEV.
 */
int bypass_ctrlq_cmd(struct bypass_device *dev, u8 class, u8 cmd,
		     const void *data, size_t len)
{
	struct bypass_ctrlq *q = &dev->ctrlq;
	struct virtio_net_ctrl_hdr *hdr;
	struct vring_desc *d;
	unsigned int waited = 0, n = 0;
	bool broken = false;
	u32 head;
	u16 used;
	u8 *ack, status;
	int ret;

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

	while ((used = le16_to_cpu(READ_ONCE(ctrlq_used(q)->idx))) == q->used_idx) {
		if (!pci_device_is_present(dev->pdev)) {
			ret = -ENODEV;
			goto out;
		}
		if (waited >= CTRLQ_WAIT_US) {
			dev_err(&dev->pdev->dev, "control command %u.%u timed out\n",
				class, cmd);
			ret = -ETIMEDOUT;
			broken = true;
			goto out;
		}
		usleep_range(20, 50);
		waited += 35;
	}
	dma_rmb();
	head = le32_to_cpu(READ_ONCE(ctrlq_used(q)->ring[q->used_idx & (q->ring.num - 1)].id));
	status = READ_ONCE(*ack);
	if (used != (u16)(q->used_idx + 1) || head != 0 ||
	    (status != VIRTIO_NET_OK && status != VIRTIO_NET_ERR)) {
		dev_err(&dev->pdev->dev,
			"control command %u.%u: bad answer (used %u, want %u; id %u; status %u)\n",
			class, cmd, used, (u16)(q->used_idx + 1), head, status);
		ret = -EIO;
		broken = true;
		goto out;
	}
	q->used_idx++;
	if (status != VIRTIO_NET_OK)
		ret = -EIO;
out:
	if (broken)
		WRITE_ONCE(dev->broken, true);
	mutex_unlock(&q->lock);
	return ret;
}

/**
 * bypass_ctrlq_configure() - program the receive filter and queue pairs
 * @dev: the device, DRIVER_OK set
 *
 * Without VIRTIO_NET_F_MAC the MAC bypass invented is programmed first
 * (CTRL_MAC_ADDR); a device that can be told neither keeps promiscuous
 * mode, or frames for that MAC would never arrive. Otherwise promiscuous
 * mode is turned off (QEMU starts promiscuous) so the device delivers only
 * frames for its MAC, broadcast and multicast. Then the queue pairs in use
 * are named (VQ_PAIRS_SET: the device steers received frames to them only).
 *
 * Return: 0 or -errno.
 */
int bypass_ctrlq_configure(struct bypass_device *dev)
{
	bool own_mac = dev->features & BIT_ULL(VIRTIO_NET_F_MAC);
	u8 off = 0, on = 1;
	__le16 pairs;
	int ret;

	if (!own_mac && (dev->features & BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR))) {
		ret = bypass_ctrlq_cmd(dev, VIRTIO_NET_CTRL_MAC,
				       VIRTIO_NET_CTRL_MAC_ADDR_SET, dev->mac, ETH_ALEN);
		if (ret)
			return ret;
		own_mac = true;
	}
	if (!own_mac)
		dev_warn(&dev->pdev->dev,
			 "no MAC from the device and no way to set one: staying promiscuous\n");
	if (own_mac && (dev->features & BIT_ULL(VIRTIO_NET_F_CTRL_RX))) {
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
		pairs = cpu_to_le16(dev->active_pairs);
		ret = bypass_ctrlq_cmd(dev, VIRTIO_NET_CTRL_MQ,
				       VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &pairs, sizeof(pairs));
		if (ret)
			return ret;
	}
	return 0;
}
