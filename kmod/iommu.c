// SPDX-License-Identifier: GPL-2.0
/*
 * DMA isolation of a claimed function, as vfio and vhost-vdpa do it: the
 * function's IOMMU group must hold nothing else, bypass takes DMA ownership
 * of it, and the function is attached to a private unmanaged IOMMU domain.
 * Only what bypass maps with iommu_map() is reachable by the device: ring
 * memory and the memory processes register, at IOVAs chosen by the small
 * allocator below, and the control queue's pages while a command runs.
 *
 * IOVA layout of the private domain:
 *   [0, BYPASS_IOVA_CTRL)                never mapped (catches address 0)
 *   [BYPASS_IOVA_CTRL, BYPASS_IOVA_DATA) the control queue's ring and buffer,
 *                                         mapped only during a command
 *   [BYPASS_IOVA_DATA, aperture end]     data rings and registered memory,
 *                                         first fit, page granular
 */
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "bypass.h"
#include "compat.h"

/* Highest IOVA bypass hands out (inside every aperture seen: 39 bits). */
#define BYPASS_IOVA_LIMIT	((1ULL << 39) - 1)

/**
 * struct bypass_iova_range - one allocated IOVA range
 * @node: entry in bypass_dma.ranges, sorted by @start
 * @start: first IOVA
 * @size: bytes (page multiple)
 */
struct bypass_iova_range {
	struct list_head node;
	u64 start;
	u64 size;
};

static int bypass_count_dev(struct device *d, void *data)
{
	(*(unsigned int *)data)++;
	return 0;
}

/**
 * bypass_iommu_setup() - give the function a private IOMMU domain
 * @dev: the device, before any DMA is set up
 *
 * Return: 0; -ENODEV (no IOMMU group), -EBUSY (the group holds other
 * devices, or someone else owns its DMA), -ENOMEM, or the attach error.
 */
int bypass_iommu_setup(struct bypass_device *dev)
{
	struct bypass_dma *dma = &dev->dma;
	struct device *d = &dev->pdev->dev;
	unsigned int members = 0;
	int ret;

	INIT_LIST_HEAD(&dma->ranges);
	mutex_init(&dma->lock);
	dma->group = iommu_group_get(d);
	if (!dma->group)
		return -ENODEV;
	iommu_group_for_each_dev(dma->group, &members, bypass_count_dev);
	if (members != 1) {
		dev_err(d, "IOMMU group %d holds %u devices: only a function alone in its group can be isolated; refusing\n",
			iommu_group_id(dma->group), members);
		ret = -EBUSY;
		goto err_group;
	}
	ret = bypass_claim_dma_owner(dev->pdev, dma->group, dev);
	if (ret) {
		dev_err(d, "cannot take DMA ownership of IOMMU group %d (%d)\n",
			iommu_group_id(dma->group), ret);
		ret = -EBUSY;
		goto err_group;
	}
	dma->domain = bypass_paging_domain_alloc(d);
	if (!dma->domain) {
		ret = -ENOMEM;
		goto err_owner;
	}
	ret = iommu_attach_device(dma->domain, d);
	if (ret) {
		dev_err(d, "cannot attach a private IOMMU domain (%d)\n", ret);
		goto err_domain;
	}
	dma->start = max_t(u64, BYPASS_IOVA_DATA, dma->domain->geometry.aperture_start);
	dma->end = min_t(u64, BYPASS_IOVA_LIMIT, dma->domain->geometry.aperture_end);
	if (dma->start >= dma->end) {
		ret = -ENOMEM;
		goto err_attach;
	}
	return 0;

err_attach:
	iommu_detach_device(dma->domain, d);
err_domain:
	iommu_domain_free(dma->domain);
	dma->domain = NULL;
err_owner:
	bypass_release_dma_owner(dev->pdev, dma->group);
err_group:
	iommu_group_put(dma->group);
	dma->group = NULL;
	return ret;
}

/**
 * bypass_iommu_teardown() - undo bypass_iommu_setup()
 * @dev: the device, reset (no DMA in flight), everything unmapped
 */
void bypass_iommu_teardown(struct bypass_device *dev)
{
	struct bypass_dma *dma = &dev->dma;

	if (!dma->domain)
		return;
	WARN_ON(!list_empty(&dma->ranges));
	iommu_detach_device(dma->domain, &dev->pdev->dev);
	iommu_domain_free(dma->domain);
	dma->domain = NULL;
	bypass_release_dma_owner(dev->pdev, dma->group);
	iommu_group_put(dma->group);
	dma->group = NULL;
}

/**
 * bypass_iova_alloc() - reserve a range of the private domain's IOVA space
 * @dev: the device, isolated
 * @size: bytes (page multiple)
 * @iova: set to the first IOVA of the range
 *
 * First fit over the sorted list of ranges in use: O(ranges), called only
 * when rings are set up and memory is registered, never per packet.
 *
 * Return: 0 or -ENOMEM.
 */
int bypass_iova_alloc(struct bypass_device *dev, u64 size, u64 *iova)
{
	struct bypass_dma *dma = &dev->dma;
	struct bypass_iova_range *r, *new;
	struct list_head *before;
	u64 at;

	new = kzalloc(sizeof(*new), GFP_KERNEL);
	if (!new)
		return -ENOMEM;
	mutex_lock(&dma->lock);
	at = dma->start;
	before = &dma->ranges;
	list_for_each_entry(r, &dma->ranges, node) {
		if (r->start - at >= size)
			break;
		at = r->start + r->size;
		before = &r->node;
	}
	if (at > dma->end || dma->end - at + 1 < size) {
		mutex_unlock(&dma->lock);
		kfree(new);
		return -ENOMEM;
	}
	new->start = at;
	new->size = size;
	list_add(&new->node, before);
	mutex_unlock(&dma->lock);
	*iova = at;
	return 0;
}

/**
 * bypass_iova_free() - return a range from bypass_iova_alloc()
 * @dev: the device
 * @iova: its first IOVA; nothing may be mapped there any more
 */
void bypass_iova_free(struct bypass_device *dev, u64 iova)
{
	struct bypass_dma *dma = &dev->dma;
	struct bypass_iova_range *r;

	mutex_lock(&dma->lock);
	list_for_each_entry(r, &dma->ranges, node) {
		if (r->start == iova) {
			list_del(&r->node);
			kfree(r);
			break;
		}
	}
	mutex_unlock(&dma->lock);
}

/**
 * bypass_iommu_map_pages() - map pages at consecutive IOVAs
 * @dev: the device, isolated
 * @iova: IOVA of the first page
 * @pages: the pages (any physical layout)
 * @npages: how many
 *
 * Physically contiguous runs are mapped in one call. On failure nothing
 * stays mapped.
 *
 * Return: 0 or the iommu_map() error.
 */
int bypass_iommu_map_pages(struct bypass_device *dev, u64 iova, struct page **pages,
			   unsigned long npages)
{
	unsigned long i = 0, run;
	int ret;

	while (i < npages) {
		for (run = 1; i + run < npages; run++)
			if (page_to_pfn(pages[i + run]) != page_to_pfn(pages[i]) + run)
				break;
		ret = bypass_iommu_map(dev->dma.domain, iova + ((u64)i << PAGE_SHIFT),
				       page_to_phys(pages[i]), run << PAGE_SHIFT,
				       IOMMU_READ | IOMMU_WRITE);
		if (ret) {
			if (i)
				iommu_unmap(dev->dma.domain, iova, (size_t)i << PAGE_SHIFT);
			return ret;
		}
		i += run;
	}
	return 0;
}

/**
 * bypass_iommu_map_kernel() - map physically contiguous kernel memory
 * @dev: the device, isolated
 * @iova: where
 * @va: page-aligned kernel address from alloc_pages_exact()
 * @size: bytes (page multiple)
 *
 * Return: 0 or the iommu_map() error.
 */
int bypass_iommu_map_kernel(struct bypass_device *dev, u64 iova, void *va, size_t size)
{
	return bypass_iommu_map(dev->dma.domain, iova, virt_to_phys(va), size,
				IOMMU_READ | IOMMU_WRITE);
}

/**
 * bypass_iommu_unmap() - remove a mapping; the IOTLB is flushed on return
 * @dev: the device, isolated
 * @iova: first IOVA
 * @size: bytes
 */
void bypass_iommu_unmap(struct bypass_device *dev, u64 iova, size_t size)
{
	size_t done = iommu_unmap(dev->dma.domain, iova, size);

	if (done != size)
		dev_err(&dev->pdev->dev, "IOVA %#llx: unmapped %zu of %zu bytes\n",
			iova, done, size);
}
