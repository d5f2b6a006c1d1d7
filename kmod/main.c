// SPDX-License-Identifier: GPL-2.0
/*
 * bypass.ko module entry points and parameters.
 *
 * bypass hands virtio-net queue pairs to userspace; this file only wires
 * the pieces together at load and unload time.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "bypass.h"
#include "netlink.h"

bool bypass_unsafe_noiommu;
module_param_named(unsafe_noiommu, bypass_unsafe_noiommu, bool, 0444);
MODULE_PARM_DESC(unsafe_noiommu,
		 "Allow claiming devices without IOMMU translation. The device can then DMA anywhere in memory; this taints the kernel. (default: 0)");

unsigned int bypass_test_reset_timeouts;
module_param_named(test_reset_timeouts, bypass_test_reset_timeouts, uint, 0644);
MODULE_PARM_DESC(test_reset_timeouts,
		 "For selftests only: this many of the next queue and device resets report a timeout without resetting anything, as a device that stopped answering would. (default: 0)");

static int __init bypass_init(void)
{
	int ret;

	ret = bypass_cdev_init();
	if (ret)
		return ret;
	ret = bypass_pci_init();
	if (ret)
		goto err_cdev;
	ret = bypass_genl_init();
	if (ret)
		goto err_pci;
	return 0;

err_pci:
	bypass_pci_exit();
err_cdev:
	bypass_cdev_exit();
	return ret;
}

static void __exit bypass_exit(void)
{
	bypass_genl_exit();
	bypass_pci_exit();
	bypass_cdev_exit();
}

module_init(bypass_init);
module_exit(bypass_exit);

MODULE_DESCRIPTION("Kernel-bypass networking for virtio-net devices");
MODULE_AUTHOR("The bypass developers");
MODULE_LICENSE("GPL");
