// SPDX-License-Identifier: GPL-2.0
/*
 * Registration of user memory the device may DMA into: pinned long-term,
 * charged to RLIMIT_MEMLOCK (see bypass_charge_user()), and mapped with
 * iommu_map() into the device's private IOMMU domain at an IOVA range
 * bypass allocates, so the device
 * reaches these pages and nothing else of the process. Unmapped (IOTLB
 * flushed) before the pages are unpinned.
 */
#include <linux/dma-mapping.h>
#include <linux/hugetlb.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/sched/mm.h>
#include <linux/sched/user.h>
#include <linux/scatterlist.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "bypass.h"

/* Anonymous, hugetlb and memfd/shmem pages only: never a file's page cache. */
static bool bypass_page_allowed(struct page *page)
{
	struct folio *folio = page_folio(page);

	return folio_test_anon(folio) || folio_test_hugetlb(folio) ||
		folio_test_swapbacked(folio);
}

/*
 * Why a long-term pin at @addr failed with -EFAULT: a shared mapping of a
 * file that is not shmem or hugetlb (an ordinary file's page cache, which
 * kernels from 6.5 refuse to pin long-term, where 6.1 pins it and
 * bypass_page_allowed() refuses it) is -EACCES, as on 6.1; anything else
 * (a hole, a read-only mapping) stays -EFAULT.
 */
static int bypass_pin_fault_reason(unsigned long addr)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = -EFAULT;

	mmap_read_lock(mm);
	vma = find_vma(mm, addr);
	if (vma && vma->vm_start <= addr && (vma->vm_flags & VM_SHARED) &&
	    vma->vm_file && !is_vm_hugetlb_page(vma))
		ret = -EACCES;
	mmap_read_unlock(mm);
	return ret;
}

/*
 * The pinned pages count twice. The registering mm's locked_vm (checked
 * by account_locked_vm(), shown as VmLck) tells who pinned what, but an
 * mm can die while the file lives on: after an exec of a process whose
 * file was not close-on-exec, or once the file went to another process
 * (fork, SCM_RIGHTS) and its opener exited, the pins would be charged to
 * nothing, and the new image could pin its RLIMIT_MEMLOCK again. So,
 * unless CAP_IPC_LOCK exempts the caller, the pages are also charged to
 * the registering user (its user_struct, shared by all of its processes,
 * as io_uring and RDMA charge pinned memory) against the caller's
 * RLIMIT_MEMLOCK, and that charge lasts exactly as long as the pins.
 */
static int bypass_charge_user(struct bypass_region *r)
{
	unsigned long limit, cur, want;
	struct user_struct *user;

	if (capable(CAP_IPC_LOCK))
		return 0;
	limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	user = get_current_user();
	cur = atomic_long_read(&user->locked_vm);
	do {
		want = cur + r->npages;
		if (want > limit) {
			free_uid(user);
			return -ENOMEM;
		}
	} while (!atomic_long_try_cmpxchg(&user->locked_vm, &cur, want));
	r->user = user;
	return 0;
}

static void bypass_uncharge_user(struct bypass_region *r)
{
	if (!r->user)
		return;
	atomic_long_sub(r->npages, &r->user->locked_vm);
	free_uid(r->user);
	r->user = NULL;
}

static struct bypass_region *bypass_region_find(struct bypass_ctx *ctx, u32 id)
{
	struct bypass_region *r;

	list_for_each_entry(r, &ctx->regions, node)
		if (r->id == id)
			return r;
	return NULL;
}

/* Unmap (IOTLB flushed), then unpin and un-account; the device must not use it. */
static void bypass_region_free(struct bypass_region *r)
{
	if (r->iommu_mapped) {
		bypass_iommu_unmap(r->dev, r->iova, r->npages << PAGE_SHIFT);
		bypass_iova_free(r->dev, r->iova);
	}
	if (r->sgt) {
		dma_unmap_sgtable(&r->dev->pdev->dev, r->sgt, DMA_BIDIRECTIONAL, 0);
		sg_free_table(r->sgt);
		kfree(r->sgt);
	}
	if (r->pages) {
		unpin_user_pages_dirty_lock(r->pages, r->npages, true);
		kvfree(r->pages);
	}
	account_locked_vm(r->mm, r->npages, false);
	bypass_uncharge_user(r);
	mmdrop(r->mm);
	kfree(r);
}

static void bypass_region_drop(struct bypass_ctx *ctx, struct bypass_region *r)
{
	list_del(&r->node);
	ctx->locked_pages -= r->npages;
	bypass_region_free(r);
}

static int bypass_region_map(struct bypass_device *dev, struct bypass_region *r)
{
	struct scatterlist *sg;
	dma_addr_t expect;
	unsigned int i;
	int ret;

	if (bypass_isolated(dev)) {
		u64 iova;

		ret = bypass_iova_alloc(dev, (u64)r->npages << PAGE_SHIFT, &iova);
		if (ret)
			return ret;
		ret = bypass_iommu_map_pages(dev, iova, r->pages, r->npages);
		if (ret) {
			bypass_iova_free(dev, iova);
			return ret;
		}
		r->iova = iova;
		r->contiguous = true;
		r->iommu_mapped = true;
		return 0;
	}
	if (!dev->dma_api) {
		/* Unsafe mode without ACCESS_PLATFORM: physical addresses. */
		r->iova = page_to_phys(r->pages[0]);
		r->contiguous = true;
		for (i = 1; i < r->npages; i++)
			if (page_to_phys(r->pages[i]) != r->iova + (dma_addr_t)i * PAGE_SIZE)
				r->contiguous = false;
		return 0;
	}
	r->sgt = kzalloc(sizeof(*r->sgt), GFP_KERNEL);
	if (!r->sgt)
		return -ENOMEM;
	ret = sg_alloc_table_from_pages(r->sgt, r->pages, r->npages, 0,
					(size_t)r->npages << PAGE_SHIFT, GFP_KERNEL);
	if (ret)
		goto err_free;
	ret = dma_map_sgtable(&dev->pdev->dev, r->sgt, DMA_BIDIRECTIONAL, 0);
	if (ret)
		goto err_table;
	r->iova = sg_dma_address(r->sgt->sgl);
	r->contiguous = true;
	expect = r->iova;
	for_each_sgtable_dma_sg(r->sgt, sg, i) {
		if (sg_dma_address(sg) != expect)
			r->contiguous = false;
		expect = sg_dma_address(sg) + sg_dma_len(sg);
	}
	return 0;

err_table:
	sg_free_table(r->sgt);
err_free:
	kfree(r->sgt);
	r->sgt = NULL;
	return ret;
}

/**
 * bypass_mem_register() - pin, account and DMA-map a user region
 * @ctx: the context, locked, attached
 * @reg: the request; iova, id and flags are filled in
 *
 * Return: 0; -EINVAL (unaligned, empty or too long), -EEXIST (overlaps a
 * registered region), -EFAULT (not mapped), -EACCES (not anonymous,
 * hugetlb or memfd memory), -ENOMEM (RLIMIT_MEMLOCK or memory), or a DMA
 * mapping error.
 */
int bypass_mem_register(struct bypass_ctx *ctx, struct bypass_mem_reg *reg)
{
	struct bypass_region *r, *other;
	unsigned long npages, pinned = 0, end;
	int ret;
	long n;

	if (!reg->len || !PAGE_ALIGNED(reg->addr) || !PAGE_ALIGNED(reg->len) ||
	    reg->len > BYPASS_MEM_MAX || reg->addr + reg->len < reg->addr)
		return -EINVAL;
	if (reg->addr + reg->len > TASK_SIZE)
		return -EFAULT;
	end = reg->addr + reg->len;
	list_for_each_entry(other, &ctx->regions, node) {
		unsigned long oend = other->uaddr + (other->npages << PAGE_SHIFT);

		if (reg->addr < oend && other->uaddr < end)
			return -EEXIST;
	}
	npages = reg->len >> PAGE_SHIFT;

	r = kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->uaddr = reg->addr;
	r->dev = ctx->dev;
	r->mm = ctx->mm;
	mmgrab(r->mm);
	ret = account_locked_vm(r->mm, npages, true);
	if (ret) {
		mmdrop(r->mm);
		kfree(r);
		return ret;
	}
	r->npages = npages;
	ret = bypass_charge_user(r);
	if (ret)
		goto err;

	r->pages = kvcalloc(npages, sizeof(*r->pages), GFP_KERNEL);
	if (!r->pages) {
		ret = -ENOMEM;
		goto err;
	}
	while (pinned < npages) {
		n = pin_user_pages_fast(reg->addr + (pinned << PAGE_SHIFT),
					min_t(unsigned long, npages - pinned, INT_MAX),
					FOLL_WRITE | FOLL_LONGTERM, r->pages + pinned);
		if (n <= 0) {
			ret = n ? n : -EFAULT;
			if (ret == -EFAULT)
				ret = bypass_pin_fault_reason(reg->addr +
							      (pinned << PAGE_SHIFT));
			break;
		}
		pinned += n;
	}
	if (pinned < npages) {
		/* Only the pages actually pinned get unpinned. */
		if (pinned)
			unpin_user_pages(r->pages, pinned);
		kvfree(r->pages);
		r->pages = NULL;
		if (ret == -EOPNOTSUPP)
			ret = -EACCES;	/* e.g. a file mapping FOLL_LONGTERM refuses */
		goto err;
	}
	for (n = 0; n < npages; n++) {
		if (!bypass_page_allowed(r->pages[n])) {
			ret = -EACCES;
			goto err;
		}
	}
	ret = bypass_region_map(ctx->dev, r);
	if (ret)
		goto err;

	r->id = ++ctx->next_region_id;
	list_add_tail(&r->node, &ctx->regions);
	ctx->locked_pages += npages;
	reg->id = r->id;
	reg->iova = r->contiguous ? r->iova : 0;
	reg->flags = r->contiguous ? BYPASS_MEM_F_CONTIGUOUS : 0;
	return 0;
err:
	bypass_region_free(r);
	return ret;
}

/**
 * bypass_mem_unregister() - undo bypass_mem_register()
 * @ctx: the context, locked
 * @id: region handle
 *
 * On an isolated device this works while the pair is attached: the region
 * leaves the IOMMU domain (IOTLB flushed) before its pages are unpinned,
 * so a descriptor still naming it is blocked by the IOMMU and can reach
 * nothing. Without isolation the device could still write the pages after
 * they are unpinned, so there the pair must be detached first.
 *
 * Return: 0, -ENOENT (no such region) or -EBUSY (unsafe mode, attached).
 */
int bypass_mem_unregister(struct bypass_ctx *ctx, u32 id)
{
	struct bypass_region *r = bypass_region_find(ctx, id);

	if (!r)
		return -ENOENT;
	if (ctx->qp && !r->iommu_mapped)
		return -EBUSY;
	bypass_region_drop(ctx, r);
	return 0;
}

/**
 * bypass_mem_unregister_force() - drop a region whatever the queue state
 * @ctx: the context, locked
 * @id: region handle
 *
 * For a registration whose reply could not be copied out. Its IOVAs are
 * predictable, so a descriptor may already point into it: on an isolated
 * device that is harmless (it leaves the IOMMU domain before the unpin);
 * in unsafe mode the region is kept until the detach instead.
 */
void bypass_mem_unregister_force(struct bypass_ctx *ctx, u32 id)
{
	struct bypass_region *r = bypass_region_find(ctx, id);

	if (r && r->iommu_mapped)
		bypass_region_drop(ctx, r);
}

/**
 * bypass_mem_get_iovas() - device address of each page of a region
 * @ctx: the context, locked
 * @req: region, first page, count and user table
 *
 * Return: 0, -ENOENT, -EINVAL (range outside the region) or -EFAULT.
 */
int bypass_mem_get_iovas(struct bypass_ctx *ctx, struct bypass_iovas *req)
{
	struct bypass_region *r = bypass_region_find(ctx, req->id);
	u64 __user *table = u64_to_user_ptr(req->table);
	struct scatterlist *sg;
	unsigned long page = 0, want_end;
	unsigned int i;
	u64 addr, off;

	if (!r)
		return -ENOENT;
	want_end = (unsigned long)req->first_page + req->count;
	if (!req->count || want_end > r->npages)
		return -EINVAL;
	if (!r->sgt) {
		for (page = req->first_page; page < want_end; page++)
			if (put_user(r->iommu_mapped ? r->iova + ((u64)page << PAGE_SHIFT) :
				     (u64)page_to_phys(r->pages[page]),
				     &table[page - req->first_page]))
				return -EFAULT;
		return 0;
	}
	for_each_sgtable_dma_sg(r->sgt, sg, i) {
		for (off = 0; off < sg_dma_len(sg); off += PAGE_SIZE, page++) {
			if (page < req->first_page)
				continue;
			if (page >= want_end)
				return 0;
			addr = sg_dma_address(sg) + off;
			if (put_user(addr, &table[page - req->first_page]))
				return -EFAULT;
		}
	}
	return 0;
}

/**
 * bypass_mem_release_all() - unregister every region of a context
 * @ctx: the context, locked; the device no longer uses its memory
 */
void bypass_mem_release_all(struct bypass_ctx *ctx)
{
	struct bypass_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, &ctx->regions, node)
		bypass_region_drop(ctx, r);
}

/**
 * bypass_mem_park_all() - hand every region of a context to its pair
 * @ctx: the context, locked, detaching from a device that may still DMA
 * @parked: the pair's list of parked regions (under dev->lock)
 *
 * The regions stay pinned, mapped and charged to the memory map that
 * registered them until bypass_mem_free_list() runs after a reset that
 * worked, or after the function lost bus mastering at removal.
 */
void bypass_mem_park_all(struct bypass_ctx *ctx, struct list_head *parked)
{
	list_splice_tail_init(&ctx->regions, parked);
	ctx->locked_pages = 0;
}

/**
 * bypass_mem_free_list() - free parked regions
 * @list: regions; the device can no longer reach them
 */
void bypass_mem_free_list(struct list_head *list)
{
	struct bypass_region *r, *tmp;

	list_for_each_entry_safe(r, tmp, list, node) {
		list_del(&r->node);
		bypass_region_free(r);
	}
}
