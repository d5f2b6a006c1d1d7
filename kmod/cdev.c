// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bypass: the misc character device applications open, and the ioctl
 * dispatcher with the argsz/flags/reserved validation every ioctl shares.
 */
#include <linux/capability.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "bypass.h"

/**
 * bypass_copy_arg() - fetch an argsz-prefixed ioctl argument
 * @dst: kernel copy, @ksize bytes; zero-filled past what userspace gave
 * @ksize: the kernel's size of the struct
 * @minsz: smallest argsz accepted (the first version of the struct)
 * @uarg: user pointer
 *
 * Return: 0, -EFAULT, -EINVAL (argsz too small) or -E2BIG (argsz larger
 * than the kernel's struct with non-zero bytes beyond it).
 */
int bypass_copy_arg(void *dst, size_t ksize, size_t minsz, const void __user *uarg)
{
	u32 argsz;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, uarg, argsz);
}

/* Copy a result back, never more than the caller said it has room for. */
static int bypass_copy_out(void __user *uarg, const void *src, size_t ksize)
{
	u32 argsz;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	return copy_to_user(uarg, src, min_t(size_t, argsz, ksize)) ? -EFAULT : 0;
}

#define BYPASS_GET_ARG(var, last, uarg) \
	bypass_copy_arg(&(var), sizeof(var), offsetofend(typeof(var), last), uarg)

static long bypass_ioctl_get_version(void __user *uarg)
{
	struct bypass_version v;
	int ret;

	ret = BYPASS_GET_ARG(v, reserved, uarg);
	if (ret)
		return ret;
	if (v.flags || v.reserved)
		return -EINVAL;
	v.abi_version = BYPASS_ABI_VERSION;
	return bypass_copy_out(uarg, &v, sizeof(v));
}

static long bypass_ioctl_attach(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_device *dev;
	struct bypass_attach a;
	int ret;

	ret = BYPASS_GET_ARG(a, reserved, uarg);
	if (ret)
		return ret;
	if (a.flags || a.reserved || !memchr(a.device, 0, sizeof(a.device)))
		return -EINVAL;
	if (ctx->qp)
		return -EALREADY;
	dev = bypass_device_get_by_name(a.device);
	if (!dev)
		return -ENODEV;
	if (dev->unsafe && !capable(CAP_SYS_RAWIO)) {
		bypass_device_put(dev);
		return -EPERM;
	}
	ret = bypass_qp_attach(ctx, dev, a.queue_pair);
	if (ret) {
		bypass_device_put(dev);
		return ret;
	}
	ctx->revoked = false;
	bypass_ctx_allow_mappings(ctx);
	return 0;
}

static void bypass_fill_queue_info(struct bypass_device *dev, struct bypass_vq *vq,
				   unsigned int q, struct bypass_queue_info *qi)
{
	qi->index = vq->index;
	qi->size = vq->ring.num;
	qi->flags = vq->notify_mmap ? BYPASS_QUEUE_F_NOTIFY_MMAP : 0;
	qi->ring_offset = q ? BYPASS_MMAP_TX_RING : BYPASS_MMAP_RX_RING;
	qi->ring_size = vq->ring.size;
	qi->desc_offset = 0;
	qi->avail_offset = bypass_ring_avail_offset(vq->ring.num);
	qi->used_offset = bypass_ring_used_offset(vq->ring.num);
	qi->desc_iova = vq->ring.dma;
	if (vq->notify_mmap) {
		qi->notify_offset = q ? BYPASS_MMAP_TX_NOTIFY : BYPASS_MMAP_RX_NOTIFY;
		qi->notify_page_offset = 0;
	}
}

static long bypass_ioctl_get_info(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_device *dev = ctx->dev;
	struct bypass_info info;
	unsigned int q;
	int ret;

	/* No implicit padding: i386 and x86-64 must agree (compat_ptr_ioctl). */
	BUILD_BUG_ON(offsetof(struct bypass_info, queues) !=
		     offsetofend(struct bypass_info, pad));
	BUILD_BUG_ON(sizeof(struct bypass_info) % 8);

	ret = BYPASS_GET_ARG(info, queues, uarg);
	if (ret)
		return ret;
	if (info.flags || info.reserved || info.reserved8 || info.pad)
		return -EINVAL;
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	if (!dev) {
		if (!ctx->revoked)
			return -ENOTCONN;
		info.status = BYPASS_STATUS_REVOKED;
		return bypass_copy_out(uarg, &info, sizeof(info));
	}
	mutex_lock(&dev->lock);
	info.status = BYPASS_STATUS_ATTACHED;
	if (READ_ONCE(dev->broken) || ctx->qp->stale)
		info.status |= BYPASS_STATUS_DEVICE_ERROR;
	if (dev->unsafe)
		info.status |= BYPASS_STATUS_UNSAFE_NOIOMMU;
	if (ctx->qp->stalled)
		info.status |= BYPASS_STATUS_QUEUE_STALLED;
	info.queue_pair = ctx->qp_index;
	strscpy(info.device, pci_name(dev->pdev), sizeof(info.device));
	info.features = dev->features;
	memcpy(info.mac, dev->mac, sizeof(info.mac));
	info.mtu = dev->ipcfg.mtu ? dev->ipcfg.mtu : (dev->mtu ? dev->mtu : 1500);
	info.max_queue_pairs = dev->active_pairs;
	info.ipv4_addr = (__force u32)dev->ipcfg.addr;
	info.ipv4_prefix = dev->ipcfg.prefix;
	info.ipv4_gateway = (__force u32)dev->ipcfg.gateway;
	info.stats_size = PAGE_SIZE;
	for (q = 0; q < 2; q++)
		bypass_fill_queue_info(dev, &ctx->qp->vq[q], q, &info.queues[q]);
	mutex_unlock(&dev->lock);
	return bypass_copy_out(uarg, &info, sizeof(info));
}

static long bypass_ioctl_set_eventfd(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_eventfd e;
	int ret;

	ret = BYPASS_GET_ARG(e, fd, uarg);
	if (ret)
		return ret;
	if (e.flags)
		return -EINVAL;
	return bypass_qp_set_eventfd(ctx, e.queue, e.fd);
}

static long bypass_ioctl_kick(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_kick k;
	int ret;

	ret = BYPASS_GET_ARG(k, reserved, uarg);
	if (ret)
		return ret;
	if (k.flags || k.reserved)
		return -EINVAL;
	return bypass_qp_kick(ctx, k.queue);
}

static long bypass_ioctl_register(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_mem_reg reg;
	int ret;

	ret = BYPASS_GET_ARG(reg, reserved, uarg);
	if (ret)
		return ret;
	if (reg.flags || reg.reserved)
		return -EINVAL;
	ret = bypass_mem_register(ctx, &reg);
	if (ret)
		return ret;
	ret = bypass_copy_out(uarg, &reg, sizeof(reg));
	if (ret)
		bypass_mem_unregister_force(ctx, reg.id);
	return ret;
}

static long bypass_ioctl_unregister(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_mem_unreg u;
	int ret;

	ret = BYPASS_GET_ARG(u, reserved, uarg);
	if (ret)
		return ret;
	if (u.flags || u.reserved)
		return -EINVAL;
	return bypass_mem_unregister(ctx, u.id);
}

static long bypass_ioctl_get_iovas(struct bypass_ctx *ctx, void __user *uarg)
{
	struct bypass_iovas req;
	int ret;

	ret = BYPASS_GET_ARG(req, table, uarg);
	if (ret)
		return ret;
	if (req.flags || req.reserved)
		return -EINVAL;
	return bypass_mem_get_iovas(ctx, &req);
}

static long bypass_ioctl_locked(struct bypass_ctx *ctx, unsigned int cmd,
				unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case BYPASS_ATTACH:
		return bypass_ioctl_attach(ctx, uarg);
	case BYPASS_GET_INFO:
		return bypass_ioctl_get_info(ctx, uarg);
	case BYPASS_UNREGISTER_MEM:
		return bypass_ioctl_unregister(ctx, uarg);
	case BYPASS_GET_IOVAS:
		return bypass_ioctl_get_iovas(ctx, uarg);
	}

	/* Everything below needs an attached queue pair. */
	if (!ctx->qp)
		return ctx->revoked ? -ENODEV : -ENOTCONN;
	switch (cmd) {
	case BYPASS_DETACH:
		if (arg)
			return -EINVAL;
		bypass_qp_detach(ctx);
		return 0;
	case BYPASS_SET_EVENTFD:
		return bypass_ioctl_set_eventfd(ctx, uarg);
	case BYPASS_KICK:
		return bypass_ioctl_kick(ctx, uarg);
	case BYPASS_REGISTER_MEM:
		return bypass_ioctl_register(ctx, uarg);
	}
	return -ENOTTY;
}

static long bypass_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct bypass_ctx *ctx = file->private_data;
	long ret;

	if (_IOC_TYPE(cmd) != BYPASS_IOCTL_TYPE || _IOC_DIR(cmd) != _IOC_NONE ||
	    _IOC_SIZE(cmd) || _IOC_NR(cmd) > _IOC_NR(BYPASS_GET_IOVAS))
		return -ENOTTY;
	if (cmd == BYPASS_GET_VERSION)
		return bypass_ioctl_get_version((void __user *)arg);
	/* The file belongs to the process that opened it, not to its children. */
	if (current->mm != ctx->mm)
		return -EPERM;
	mutex_lock(&ctx->lock);
	ret = bypass_ioctl_locked(ctx, cmd, arg);
	mutex_unlock(&ctx->lock);
	return ret;
}

static void bypass_ctx_free(struct kref *ref)
{
	struct bypass_ctx *ctx = container_of(ref, struct bypass_ctx, ref);

	mmdrop(ctx->mm);
	kfree(ctx);
}

/**
 * bypass_ctx_put() - drop a context reference
 * @ctx: the context
 */
void bypass_ctx_put(struct bypass_ctx *ctx)
{
	kref_put(&ctx->ref, bypass_ctx_free);
}

/*
 * The file's own address_space never holds page cache: no operations, so
 * readahead (posix_fadvise WILLNEED on a device node living on a real
 * filesystem) finds nothing to call, and advice is accepted and ignored.
 */
static const struct address_space_operations bypass_aops = { };

static int bypass_fadvise(struct file *file, loff_t offset, loff_t len, int advice)
{
	return 0;
}

static int bypass_open(struct inode *inode, struct file *file)
{
	struct bypass_ctx *ctx;

	if (!current->mm)
		return -EPERM;
	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	kref_init(&ctx->ref);
	mutex_init(&ctx->lock);
	init_rwsem(&ctx->map_sem);
	INIT_LIST_HEAD(&ctx->regions);
	address_space_init_once(&ctx->mapping);
	ctx->mapping.host = inode;
	ctx->mapping.a_ops = &bypass_aops;
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	ctx->opened_by = task_tgid_nr(current);
	file->private_data = ctx;
	/* Mappings of this file live in its own address_space: see mmap.c. */
	file->f_mapping = &ctx->mapping;
	return 0;
}

static int bypass_release(struct inode *inode, struct file *file)
{
	struct bypass_ctx *ctx = file->private_data;

	mutex_lock(&ctx->lock);
	if (ctx->qp)
		bypass_qp_detach(ctx);
	bypass_mem_release_all(ctx);
	mutex_unlock(&ctx->lock);
	bypass_ctx_put(ctx);
	return 0;
}

static const struct file_operations bypass_fops = {
	.owner = THIS_MODULE,
	.open = bypass_open,
	.release = bypass_release,
	.unlocked_ioctl = bypass_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = bypass_mmap,
	.fadvise = bypass_fadvise,
	.llseek = noop_llseek,
};

static struct miscdevice bypass_miscdev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = BYPASS_DEVICE_NAME,
	.fops = &bypass_fops,
	.mode = 0600,
};

int bypass_cdev_init(void)
{
	return misc_register(&bypass_miscdev);
}

void bypass_cdev_exit(void)
{
	misc_deregister(&bypass_miscdev);
}
