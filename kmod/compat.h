/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The few kernel API differences between the Debian 6.1 and 6.12 kernels
 * that bypass.ko builds against.
 */
#ifndef BYPASS_COMPAT_H
#define BYPASS_COMPAT_H

#include <linux/eventfd.h>
#include <linux/mm.h>
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

#endif /* BYPASS_COMPAT_H */
