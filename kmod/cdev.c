// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bypass: the misc character device applications open, and the ioctl
 * dispatcher with the argsz/flags/reserved validation every ioctl shares.
 */
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include <linux/bypass.h>

#include "bypass.h"

/*
 * Copy an argsz-prefixed ioctl argument of at least @minsz bytes into @dst
 * (@ksize bytes, zero-filled past what userspace supplied).
 */
static int bypass_copy_arg(void *dst, size_t ksize, size_t minsz,
			   const void __user *uarg)
{
	u32 argsz;
	int ret;

	if (get_user(argsz, (const u32 __user *)uarg))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	ret = copy_struct_from_user(dst, ksize, uarg, argsz);
	if (ret)
		return ret;
	return 0;
}

static long bypass_ioctl_get_version(void __user *uarg)
{
	struct bypass_version v;
	int ret;

	ret = bypass_copy_arg(&v, sizeof(v), offsetofend(struct bypass_version, reserved),
			      uarg);
	if (ret)
		return ret;
	if (v.flags || v.reserved)
		return -EINVAL;
	v.abi_version = BYPASS_ABI_VERSION;
	if (copy_to_user(uarg, &v, sizeof(v)))
		return -EFAULT;
	return 0;
}

static long bypass_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case BYPASS_GET_VERSION:
		return bypass_ioctl_get_version(uarg);
	default:
		return -ENOTTY;
	}
}

static int bypass_open(struct inode *inode, struct file *file)
{
	struct bypass_ctx *ctx;

	ctx = kzalloc(sizeof(*ctx), GFP_KERNEL);
	if (!ctx)
		return -ENOMEM;
	ctx->opened_by = task_tgid_nr(current);
	file->private_data = ctx;
	return 0;
}

static int bypass_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static const struct file_operations bypass_fops = {
	.owner = THIS_MODULE,
	.open = bypass_open,
	.release = bypass_release,
	.unlocked_ioctl = bypass_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
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
