// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of the attached queue pair: ring memory, doorbell pages and the
 * stats page. Pages are inserted on fault, under ctx->map_sem, so that
 * revocation (detach, device unbind) can zap every mapping of the file and
 * every later access gets SIGBUS instead of memory that was freed.
 */
#include <linux/mm.h>
#include <linux/vmalloc.h>

#include "bypass.h"
#include "compat.h"

#define BYPASS_MMAP_SHIFT	28

enum bypass_map_kind {
	BYPASS_MAP_RX_RING,
	BYPASS_MAP_TX_RING,
	BYPASS_MAP_RX_NOTIFY,
	BYPASS_MAP_TX_NOTIFY,
	BYPASS_MAP_STATS,
	BYPASS_MAP_KINDS,
};

static size_t bypass_map_size(struct bypass_qp *qp, enum bypass_map_kind kind)
{
	switch (kind) {
	case BYPASS_MAP_RX_RING:
	case BYPASS_MAP_TX_RING:
		return qp->vq[kind - BYPASS_MAP_RX_RING].ring.size;
	case BYPASS_MAP_RX_NOTIFY:
	case BYPASS_MAP_TX_NOTIFY:
		return qp->vq[kind - BYPASS_MAP_RX_NOTIFY].notify_mmap ? PAGE_SIZE : 0;
	case BYPASS_MAP_STATS:
		return PAGE_SIZE;
	default:
		return 0;
	}
}

static vm_fault_t bypass_vm_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct bypass_ctx *ctx = vma->vm_file->private_data;
	enum bypass_map_kind kind = (uintptr_t)vma->vm_private_data;
	unsigned long off = (vmf->pgoff << PAGE_SHIFT) -
			    ((unsigned long)kind << BYPASS_MMAP_SHIFT);
	struct bypass_qp *qp;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	unsigned long pfn;
	void *va;

	down_read(&ctx->map_sem);
	qp = ctx->qp;
	if (!ctx->mappable || ctx->revoked || !qp || off >= bypass_map_size(qp, kind))
		goto out;
	switch (kind) {
	case BYPASS_MAP_RX_RING:
	case BYPASS_MAP_TX_RING:
		va = qp->vq[kind - BYPASS_MAP_RX_RING].ring.va;
		if (!va)
			goto out;
		va += off;
		pfn = page_to_pfn(is_vmalloc_addr(va) ? vmalloc_to_page(va) : virt_to_page(va));
		break;
	case BYPASS_MAP_RX_NOTIFY:
	case BYPASS_MAP_TX_NOTIFY:
		pfn = qp->vq[kind - BYPASS_MAP_RX_NOTIFY].notify_pa >> PAGE_SHIFT;
		break;
	case BYPASS_MAP_STATS:
		pfn = page_to_pfn(virt_to_page(qp->stats));
		break;
	default:
		goto out;
	}
	ret = vmf_insert_pfn(vma, vmf->address, pfn);
out:
	up_read(&ctx->map_sem);
	return ret;
}

static const struct vm_operations_struct bypass_vm_ops = {
	.fault = bypass_vm_fault,
};

/**
 * bypass_mmap() - map one region of the attached queue pair
 * @file: the /dev/bypass file
 * @vma: the mapping; must cover exactly one region, MAP_SHARED
 *
 * Return: 0; -EPERM (another process), -ENODEV (device gone), -ENXIO (not
 * attached), -EINVAL (offset, length or MAP_PRIVATE), -EACCES (PROT_EXEC,
 * or a doorbell mapped readable).
 */
int bypass_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct bypass_ctx *ctx = file->private_data;
	unsigned long off = vma->vm_pgoff << PAGE_SHIFT;
	enum bypass_map_kind kind = off >> BYPASS_MMAP_SHIFT;
	unsigned long len = vma->vm_end - vma->vm_start;
	bool doorbell;
	int ret = 0;

	if (current->mm != ctx->mm || vma->vm_mm != ctx->mm)
		return -EPERM;
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	if (kind >= BYPASS_MAP_KINDS || off != (unsigned long)kind << BYPASS_MMAP_SHIFT)
		return -EINVAL;
	doorbell = kind == BYPASS_MAP_RX_NOTIFY || kind == BYPASS_MAP_TX_NOTIFY;
	if (vma->vm_flags & VM_EXEC)
		return -EACCES;
	if (doorbell && (vma->vm_flags & VM_READ))
		return -EACCES;

	down_read(&ctx->map_sem);
	if (ctx->revoked)
		ret = -ENODEV;
	else if (!ctx->mappable || !ctx->qp)
		ret = -ENXIO;
	else if (!bypass_map_size(ctx->qp, kind))
		ret = -ENODEV;	/* doorbell shares its page: use BYPASS_KICK */
	else if (len != bypass_map_size(ctx->qp, kind))
		ret = -EINVAL;
	up_read(&ctx->map_sem);
	if (ret)
		return ret;

	bypass_vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
			    VM_DONTCOPY);
	bypass_vm_flags_clear(vma, VM_MAYEXEC | (doorbell ? VM_MAYREAD : 0));
	if (doorbell)
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
	vma->vm_private_data = (void *)(uintptr_t)kind;
	vma->vm_ops = &bypass_vm_ops;
	return 0;
}

/**
 * bypass_ctx_revoke_mappings() - zap every mapping of the file
 * @ctx: the context
 *
 * Later faults on those mappings raise SIGBUS; new mmaps fail until the
 * next attach.
 */
void bypass_ctx_revoke_mappings(struct bypass_ctx *ctx)
{
	down_write(&ctx->map_sem);
	ctx->mappable = false;
	unmap_mapping_range(&ctx->mapping, 0, 0, 1);
	up_write(&ctx->map_sem);
}

/**
 * bypass_ctx_allow_mappings() - let the attached queue pair be mapped
 * @ctx: the context, just attached
 */
void bypass_ctx_allow_mappings(struct bypass_ctx *ctx)
{
	down_write(&ctx->map_sem);
	ctx->mappable = true;
	up_write(&ctx->map_sem);
}
