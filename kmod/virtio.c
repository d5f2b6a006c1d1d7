// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio device bring-up for a claimed virtio-net function: reset, feature
 * negotiation, ring memory, and programming individual virtqueues. The
 * register accessors come from the kernel's virtio_pci_modern_dev module;
 * every wait on the device here is bounded, so a device that stops
 * answering (surprise removal) cannot hang the kernel.
 */
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/etherdevice.h>
#include <linux/gfp.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>

#include "bypass.h"

#define BYPASS_WAIT_US		(1000 * 1000)
#define BYPASS_USED_ALIGN	64

/* Features bypass can hand to userspace; the rest stay off. */
static const u64 bypass_wanted_features =
	BIT_ULL(VIRTIO_F_VERSION_1) | BIT_ULL(VIRTIO_F_ACCESS_PLATFORM) |
	BIT_ULL(VIRTIO_RING_F_EVENT_IDX) | BIT_ULL(VIRTIO_F_RING_RESET) |
	BIT_ULL(VIRTIO_NET_F_MAC) | BIT_ULL(VIRTIO_NET_F_STATUS) |
	BIT_ULL(VIRTIO_NET_F_CTRL_VQ) | BIT_ULL(VIRTIO_NET_F_CTRL_RX) |
	BIT_ULL(VIRTIO_NET_F_CTRL_MAC_ADDR) |
	BIT_ULL(VIRTIO_NET_F_MQ) | BIT_ULL(VIRTIO_NET_F_MRG_RXBUF) |
	BIT_ULL(VIRTIO_NET_F_MTU) | BIT_ULL(VIRTIO_NET_F_CSUM) |
	BIT_ULL(VIRTIO_NET_F_GUEST_CSUM) | BIT_ULL(VIRTIO_NET_F_HOST_TSO4) |
	BIT_ULL(VIRTIO_NET_F_HOST_TSO6) | BIT_ULL(VIRTIO_NET_F_GUEST_TSO4);

static bool bypass_dev_present(struct bypass_device *dev)
{
	return pci_device_is_present(dev->pdev);
}

/*
 * The test_reset_timeouts parameter: true (and one fewer left) if this
 * reset is to fail as if the device never completed it.
 */
static bool bypass_fake_reset_timeout(struct bypass_device *dev)
{
	unsigned int left = READ_ONCE(bypass_test_reset_timeouts);

	do {
		if (!left)
			return false;
	} while (!try_cmpxchg(&bypass_test_reset_timeouts, &left, left - 1));
	dev_warn(&dev->pdev->dev, "test_reset_timeouts: this reset fails on purpose\n");
	return true;
}

/**
 * bypass_virtio_reset() - reset the device and wait until it says so
 * @dev: the device
 *
 * Return: 0, -ENODEV if the device is gone, -ETIMEDOUT if it never
 * completes the reset.
 */
int bypass_virtio_reset(struct bypass_device *dev)
{
	unsigned int waited = 0;

	if (bypass_fake_reset_timeout(dev))
		return -ETIMEDOUT;
	vp_modern_set_status(&dev->mdev, 0);
	while (vp_modern_get_status(&dev->mdev)) {
		if (!bypass_dev_present(dev))
			return -ENODEV;
		if (waited >= BYPASS_WAIT_US) {
			dev_err(&dev->pdev->dev, "device did not complete reset\n");
			return -ETIMEDOUT;
		}
		usleep_range(100, 200);
		waited += 150;
	}
	dev->resets++;
	return 0;
}

static void bypass_add_status(struct bypass_device *dev, u8 bits)
{
	vp_modern_set_status(&dev->mdev, vp_modern_get_status(&dev->mdev) | bits);
}

static int bypass_negotiate(struct bypass_device *dev)
{
	u64 offered;

	bypass_add_status(dev, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	bypass_add_status(dev, VIRTIO_CONFIG_S_DRIVER);
	offered = vp_modern_get_features(&dev->mdev);
	if (!(offered & BIT_ULL(VIRTIO_F_VERSION_1))) {
		dev_err(&dev->pdev->dev, "device does not offer VERSION_1\n");
		return -ENODEV;
	}
	if (!(offered & BIT_ULL(VIRTIO_NET_F_CTRL_VQ))) {
		dev_err(&dev->pdev->dev, "device has no control virtqueue\n");
		return -ENODEV;
	}
	dev->features = offered & bypass_wanted_features;
	if (!dev->dma_api)
		dev->features &= ~BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	vp_modern_set_features(&dev->mdev, dev->features);
	bypass_add_status(dev, VIRTIO_CONFIG_S_FEATURES_OK);
	if (!(vp_modern_get_status(&dev->mdev) & VIRTIO_CONFIG_S_FEATURES_OK)) {
		dev_err(&dev->pdev->dev, "device refused features %#llx\n",
			dev->features);
		return -ENODEV;
	}
	return 0;
}

static void bypass_read_config(struct bypass_device *dev)
{
	void __iomem *cfg = dev->mdev.device;
	unsigned int i;

	if (dev->features & BIT_ULL(VIRTIO_NET_F_MAC)) {
		for (i = 0; i < ETH_ALEN; i++)
			dev->mac[i] = ioread8(cfg + offsetof(struct virtio_net_config, mac) + i);
	} else if (!is_valid_ether_addr(dev->mac)) {
		/* Invented once per claim; bypass_ctrlq_configure programs it. */
		eth_random_addr(dev->mac);
	}
	dev->max_pairs = 1;
	if (dev->features & BIT_ULL(VIRTIO_NET_F_MQ))
		dev->max_pairs = max_t(u16, 1, ioread16(cfg +
				offsetof(struct virtio_net_config, max_virtqueue_pairs)));
	dev->mtu = 0;
	if (dev->features & BIT_ULL(VIRTIO_NET_F_MTU))
		dev->mtu = ioread16(cfg + offsetof(struct virtio_net_config, mtu));
}

/**
 * bypass_coherent_alloc() - zeroed memory the device and the CPU share
 * @dev: the device
 * @ring: filled in with the memory (its @num is left alone)
 * @size: bytes, rounded up to pages
 * @window: for an isolated device, a fixed IOVA in the control window where
 *	the memory is mapped only on demand (0: map it now at an allocated IOVA)
 *
 * An isolated device reaches the pages through its private IOMMU domain;
 * in unsafe mode device addresses come from the DMA API when the device
 * honours the IOMMU, and are physical addresses otherwise.
 *
 * Return: 0, -ENOMEM or the iommu_map() error.
 */
int bypass_coherent_alloc(struct bypass_device *dev, struct bypass_ring *ring, size_t size,
			  u64 window)
{
	int ret;

	size = PAGE_ALIGN(size);
	ring->size = size;
	if (dev->dma_api && !bypass_isolated(dev)) {
		ring->kind = BYPASS_MEM_DMA_API;
		ring->va = dma_alloc_coherent(&dev->pdev->dev, size, &ring->dma, GFP_KERNEL);
		if (!ring->va)
			return -ENOMEM;
		memset(ring->va, 0, size);
		return 0;
	}
	ring->va = alloc_pages_exact(size, GFP_KERNEL | __GFP_ZERO);
	if (!ring->va)
		return -ENOMEM;
	if (!bypass_isolated(dev)) {
		ring->kind = BYPASS_MEM_PHYS;
		ring->dma = virt_to_phys(ring->va);
		return 0;
	}
	if (window) {
		ring->kind = BYPASS_MEM_WINDOW;
		ring->dma = window;
		return 0;
	}
	ring->kind = BYPASS_MEM_IOMMU;
	ret = bypass_iova_alloc(dev, size, &ring->dma);
	if (ret)
		goto err_free;
	ret = bypass_iommu_map_kernel(dev, ring->dma, ring->va, size);
	if (ret)
		goto err_iova;
	return 0;

err_iova:
	bypass_iova_free(dev, ring->dma);
err_free:
	free_pages_exact(ring->va, size);
	ring->va = NULL;
	return ret;
}

/**
 * bypass_ring_alloc() - allocate zeroed memory for a split virtqueue
 * @dev: the device that will use it
 * @ring: filled in
 * @num: entries (power of two)
 * @window: as for bypass_coherent_alloc()
 *
 * Layout: descriptor table, available ring (with used_event), then the used
 * ring (with avail_event) on its own cache line.
 *
 * Return: 0 or -errno.
 */
int bypass_ring_alloc(struct bypass_device *dev, struct bypass_ring *ring, u16 num,
		      u64 window)
{
	ring->num = num;
	return bypass_coherent_alloc(dev, ring, bypass_ring_used_offset(num) +
				     sizeof(__virtio16) * 3 +
				     sizeof(struct vring_used_elem) * num, window);
}

/**
 * bypass_ring_free() - free ring memory from bypass_ring_alloc()
 * @dev: the device
 * @ring: the ring; the device must no longer use it
 *
 * An IOMMU mapping is removed (and the IOTLB flushed) before the pages go
 * back to the allocator.
 */
void bypass_ring_free(struct bypass_device *dev, struct bypass_ring *ring)
{
	if (!ring->va)
		return;
	switch (ring->kind) {
	case BYPASS_MEM_DMA_API:
		dma_free_coherent(&dev->pdev->dev, ring->size, ring->va, ring->dma);
		break;
	case BYPASS_MEM_IOMMU:
		bypass_iommu_unmap(dev, ring->dma, ring->size);
		bypass_iova_free(dev, ring->dma);
		fallthrough;
	default:
		free_pages_exact(ring->va, ring->size);
	}
	ring->va = NULL;
}

/**
 * bypass_ring_avail_offset() - offset of the available ring in ring memory
 * @num: entries
 *
 * Return: the offset.
 */
size_t bypass_ring_avail_offset(u16 num)
{
	return sizeof(struct vring_desc) * num;
}

/**
 * bypass_ring_used_offset() - offset of the used ring in ring memory
 * @num: entries
 *
 * Return: the offset.
 */
size_t bypass_ring_used_offset(u16 num)
{
	return ALIGN(sizeof(struct vring_desc) * num + sizeof(__virtio16) * (3 + num),
		     BYPASS_USED_ALIGN);
}

/**
 * bypass_vq_map_notify() - find and map the doorbell of a virtqueue
 * @dev: the device
 * @vq: the queue (index set)
 *
 * Return: 0 or -errno.
 */
int bypass_vq_map_notify(struct bypass_device *dev, struct bypass_vq *vq)
{
	struct virtio_pci_modern_device *mdev = &dev->mdev;
	resource_size_t pa = 0;

	vq->notify = vp_modern_map_vq_notify(mdev, vq->index, &pa);
	if (!vq->notify)
		return -ENOMEM;
	vq->notify_mapped = !mdev->notify_base;
	vq->notify_pa = pa;
	/* Only a doorbell alone on its page may be handed to userspace. */
	vq->notify_mmap = pa && PAGE_ALIGNED(pa) &&
		mdev->notify_offset_multiplier >= PAGE_SIZE &&
		!(mdev->notify_offset_multiplier % PAGE_SIZE);
	return 0;
}

/**
 * bypass_vq_unmap_notify() - undo bypass_vq_map_notify()
 * @dev: the device
 * @vq: the queue
 */
void bypass_vq_unmap_notify(struct bypass_device *dev, struct bypass_vq *vq)
{
	if (vq->notify && vq->notify_mapped)
		pci_iounmap(dev->pdev, vq->notify);
	vq->notify = NULL;
	vq->notify_mapped = false;
}

/**
 * bypass_vq_enable() - point a virtqueue at its ring and enable it
 * @dev: the device
 * @vq: the queue, with ring memory allocated
 * @vector: MSI-X vector, or VIRTIO_MSI_NO_VECTOR
 *
 * Return: 0, or -EIO if the device refused the vector.
 */
int bypass_vq_enable(struct bypass_device *dev, struct bypass_vq *vq, u16 vector)
{
	struct virtio_pci_modern_device *mdev = &dev->mdev;
	struct bypass_ring *r = &vq->ring;

	vp_modern_set_queue_size(mdev, vq->index, r->num);
	vp_modern_queue_address(mdev, vq->index, r->dma,
				r->dma + bypass_ring_avail_offset(r->num),
				r->dma + bypass_ring_used_offset(r->num));
	if (vp_modern_queue_vector(mdev, vq->index, vector) != vector) {
		dev_err(&dev->pdev->dev, "queue %u: vector %u refused\n",
			vq->index, vector);
		return -EIO;
	}
	vp_modern_set_queue_enable(mdev, vq->index, true);
	vq->enabled = true;
	return 0;
}

/**
 * bypass_vq_reset() - stop the device using one virtqueue (RING_RESET)
 * @dev: the device, with VIRTIO_F_RING_RESET negotiated
 * @vq: the queue
 *
 * Return: 0, -ENODEV if the device is gone, -ETIMEDOUT.
 */
int bypass_vq_reset(struct bypass_device *dev, struct bypass_vq *vq)
{
	struct virtio_pci_common_cfg __iomem *cfg = dev->mdev.common;
	__le16 __iomem *reset = (__le16 __iomem *)
		((u8 __iomem *)cfg + offsetof(struct virtio_pci_modern_common_cfg, queue_reset));
	unsigned int waited = 0;

	if (!vq->enabled)
		return 0;
	if (bypass_fake_reset_timeout(dev))
		return -ETIMEDOUT;
	vp_iowrite16(vq->index, &cfg->queue_select);
	vp_iowrite16(1, reset);
	while (vp_ioread16(reset) || vp_ioread16(&cfg->queue_enable)) {
		if (!bypass_dev_present(dev))
			return -ENODEV;
		if (waited >= BYPASS_WAIT_US)
			return -ETIMEDOUT;
		usleep_range(50, 100);
		waited += 75;
		vp_iowrite16(vq->index, &cfg->queue_select);
	}
	vq->enabled = false;
	return 0;
}

/*
 * The virtio spec wants every queue the driver uses configured and enabled
 * before DRIVER_OK (later only re-enabling after a queue reset), and the
 * queue pairs configured before VQ_PAIRS_SET names them. bypass hands data
 * queues out later, one attach at a time, so with RING_RESET it enables
 * every offered data queue at bring-up on one zeroed, empty placeholder
 * ring (mapped like any ring), and resets them all once the control
 * commands are done; an attach then re-enables a queue after its reset.
 */
static int bypass_idle_queues_enable(struct bypass_device *dev)
{
	unsigned int i, q;
	u16 most = 0;
	int ret;

	if (!(dev->features & BIT_ULL(VIRTIO_F_RING_RESET)))
		return 0;
	for (i = 0; i < 2 * dev->num_pairs; i++)
		most = max(most, dev->vq_max[i]);
	ret = bypass_ring_alloc(dev, &dev->idle_ring, most, 0);
	if (ret)
		return ret;
	for (i = 0; i < dev->num_pairs; i++) {
		for (q = 0; q < 2; q++) {
			struct bypass_vq *vq = &dev->qps[i].vq[q];
			struct bypass_ring ring = dev->idle_ring;

			ring.num = dev->vq_max[vq->index];
			swap(vq->ring, ring);
			ret = bypass_vq_enable(dev, vq, VIRTIO_MSI_NO_VECTOR);
			swap(vq->ring, ring);
			if (ret)
				return ret;
		}
	}
	return 0;
}

/* Reset the placeholder queues; free the placeholder once none uses it. */
static int bypass_idle_queues_reset(struct bypass_device *dev)
{
	unsigned int i, q;
	int ret;

	if (!dev->idle_ring.va)
		return 0;
	for (i = 0; i < dev->num_pairs; i++) {
		for (q = 0; q < 2; q++) {
			ret = bypass_vq_reset(dev, &dev->qps[i].vq[q]);
			if (ret)
				return ret;	/* kept until the next full reset */
		}
	}
	bypass_ring_free(dev, &dev->idle_ring);
	return 0;
}

static int bypass_virtio_start(struct bypass_device *dev)
{
	int ret;

	/* The device was just reset: a placeholder left from before is idle. */
	bypass_ring_free(dev, &dev->idle_ring);
	ret = bypass_negotiate(dev);
	if (ret)
		return ret;
	bypass_read_config(dev);
	ret = bypass_ctrlq_setup(dev);
	if (ret)
		return ret;
	if (vp_modern_config_vector(&dev->mdev, 0) != 0) {
		dev_err(&dev->pdev->dev, "config vector refused\n");
		return -EIO;
	}
	ret = bypass_idle_queues_enable(dev);
	if (ret)
		return ret;
	bypass_add_status(dev, VIRTIO_CONFIG_S_DRIVER_OK);
	ret = bypass_ctrlq_configure(dev);
	if (ret)
		return ret;
	ret = bypass_idle_queues_reset(dev);
	if (ret)
		return ret;
	bypass_ctrlq_retire(dev);
	return 0;
}

/**
 * bypass_virtio_init() - first bring-up of a claimed device
 * @dev: the device, transport probed
 *
 * Resets the device, negotiates features, reads MAC/MTU/queue pairs and
 * starts the control virtqueue. Data virtqueues stay disabled until a
 * process attaches.
 *
 * Return: 0 or -errno (the device is left reset).
 */
int bypass_virtio_init(struct bypass_device *dev)
{
	unsigned int i;
	int ret;

	ret = bypass_virtio_reset(dev);
	if (ret)
		return ret;
	ret = bypass_negotiate(dev);
	if (ret)
		goto fail;
	bypass_read_config(dev);
	if (vp_modern_get_num_queues(&dev->mdev) < 2 * dev->max_pairs + 1) {
		dev_err(&dev->pdev->dev, "too few virtqueues\n");
		ret = -ENODEV;
		goto fail;
	}
	/* Each data queue has its own maximum size (rx and tx may differ). */
	kfree(dev->vq_max);
	dev->vq_max = kcalloc(2 * dev->max_pairs, sizeof(*dev->vq_max), GFP_KERNEL);
	if (!dev->vq_max) {
		ret = -ENOMEM;
		goto fail;
	}
	for (i = 0; i < 2 * dev->max_pairs; i++) {
		u16 num = vp_modern_get_queue_size(&dev->mdev, i);

		if (!num || !is_power_of_2(num)) {
			dev_err(&dev->pdev->dev, "queue %u: bad size %u\n", i, num);
			ret = -ENODEV;
			goto fail;
		}
		dev->vq_max[i] = num;
	}
	dev->qsize = dev->vq_max[0];
	/* Negotiation is redone by bypass_virtio_start; reset in between. */
	ret = bypass_virtio_reset(dev);
	if (ret)
		return ret;
	return 0;
fail:
	bypass_virtio_reset(dev);
	return ret;
}

/**
 * bypass_virtio_restart() - reset the device and start it again
 * @dev: the device, with no queue pair enabled
 *
 * Used at probe (after interrupts are set up), to recover from
 * NEEDS_RESET, and to stop data queues on devices without RING_RESET.
 *
 * Return: 0 or -errno.
 */
int bypass_virtio_restart(struct bypass_device *dev)
{
	unsigned int i;
	int ret;

	ret = bypass_virtio_reset(dev);
	if (ret)
		return ret;
	for (i = 0; i < dev->num_pairs; i++) {
		struct bypass_qp *qp = &dev->qps[i];

		qp->vq[0].enabled = false;
		qp->vq[1].enabled = false;
		qp->needs_reset = false;
		if (qp->parked) {
			bypass_qp_free_parked(dev, qp);
		} else if (qp->owner) {
			/* Its queues are gone: tell the owner to re-attach. */
			qp->stale = true;
			bypass_qp_signal(qp);
		}
	}
	ret = bypass_virtio_start(dev);
	if (ret) {
		bypass_virtio_reset(dev);
		/* Left reset: the next attach must try again. */
		WRITE_ONCE(dev->broken, true);
		return ret;
	}
	WRITE_ONCE(dev->broken, false);
	return 0;
}

/**
 * bypass_virtio_stop() - reset the device so it stops all DMA
 * @dev: the device
 */
void bypass_virtio_stop(struct bypass_device *dev)
{
	bypass_virtio_reset(dev);
}

/**
 * bypass_virtio_set_pairs() - change the number of queue pairs in use
 * @dev: the device, locked
 * @pairs: 1 to @dev->num_pairs
 *
 * Only while no pair is attached. The device is reset and brought up again
 * with VQ_PAIRS_SET(@pairs) (the spec allows the command at any time, but
 * a full bring-up also frees parked pairs and keeps the control queue
 * unreachable outside bring-up). On failure the old number stays and the
 * device is marked for a reset at the next attach.
 *
 * Return: 0, -EINVAL (@pairs out of range), -EBUSY (a pair is attached),
 * -ENODEV (device gone) or the error of the restart.
 */
int bypass_virtio_set_pairs(struct bypass_device *dev, u16 pairs)
{
	u16 old;
	int ret;

	lockdep_assert_held(&dev->lock);
	if (dev->dead)
		return -ENODEV;
	if (!pairs || pairs > dev->num_pairs)
		return -EINVAL;
	if (bypass_any_owner(dev))
		return -EBUSY;
	if (pairs == dev->active_pairs)
		return 0;
	old = dev->active_pairs;
	dev->active_pairs = pairs;
	ret = bypass_virtio_restart(dev);
	if (ret) {
		dev->active_pairs = old;
		return ret;
	}
	dev_info(&dev->pdev->dev, "%u queue pair(s) in use\n", pairs);
	return 0;
}
