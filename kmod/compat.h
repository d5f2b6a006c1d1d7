/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel API differences between the Debian 6.1 and 6.12 kernels
 * that bypass.ko builds against.
 */
#ifndef BYPASS_COMPAT_H
#define BYPASS_COMPAT_H

#include <linux/err.h>
#include <linux/eventfd.h>
#include <linux/iommu.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/version.h>

static inline void bypass_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

static inline void bypass_vm_flags_set(struct vm_area_struct *vma, vm_flags_t set)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, set);
#else
	vma->vm_flags |= set;
#endif
}

static inline void bypass_vm_flags_clear(struct vm_area_struct *vma, vm_flags_t clear)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_clear(vma, clear);
#else
	vma->vm_flags &= ~clear;
#endif
}

/*
 * DMA ownership: 6.1 only has the group call; 6.12 has a per-device one
 * (checked against the Debian 6.1 and 6.12 headers).
 */
static inline int bypass_claim_dma_owner(struct pci_dev *pdev, struct iommu_group *group,
					 void *owner)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return iommu_device_claim_dma_owner(&pdev->dev, owner);
#else
	return iommu_group_claim_dma_owner(group, owner);
#endif
}

static inline void bypass_release_dma_owner(struct pci_dev *pdev, struct iommu_group *group)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	iommu_device_release_dma_owner(&pdev->dev);
#else
	iommu_group_release_dma_owner(group);
#endif
}

/* An unmanaged paging domain for @dev, or NULL. */
static inline struct iommu_domain *bypass_paging_domain_alloc(struct device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct iommu_domain *domain = iommu_paging_domain_alloc(dev);

	return IS_ERR(domain) ? NULL : domain;
#else
	return iommu_domain_alloc(dev->bus);
#endif
}

/* iommu_map() takes a gfp_t from 6.3 on. */
static inline int bypass_iommu_map(struct iommu_domain *domain, unsigned long iova,
				   phys_addr_t paddr, size_t size, int prot)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return iommu_map(domain, iova, paddr, size, prot, GFP_KERNEL);
#else
	return iommu_map(domain, iova, paddr, size, prot);
#endif
}

#endif /* BYPASS_COMPAT_H */
