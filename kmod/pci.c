// SPDX-License-Identifier: GPL-2.0
/*
 * The PCI driver: binds modern virtio-net functions (1af4:1041), but only
 * those an administrator hands over with driver_override, so the kernel's
 * virtio_net keeps every other NIC. Keeps the list of claimed devices.
 */
#include <linux/device.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ids.h>

#include "bypass.h"

#define BYPASS_PCI_VENDOR	0x1af4
#define BYPASS_PCI_DEVICE_NET	0x1041

/* Claimed devices, for lookup by name and for netlink dumps. */
LIST_HEAD(bypass_devices);
/* Protects bypass_devices. */
DEFINE_MUTEX(bypass_devices_lock);

static void bypass_device_free(struct kref *ref)
{
	struct bypass_device *dev = container_of(ref, struct bypass_device, ref);

	pci_dev_put(dev->pdev);
	kfree(dev->vq_max);
	kfree(dev->qps);
	kfree(dev);
}

/**
 * bypass_device_put() - drop a device reference
 * @dev: the device
 */
void bypass_device_put(struct bypass_device *dev)
{
	kref_put(&dev->ref, bypass_device_free);
}

/**
 * bypass_device_get_by_name() - find a live claimed device
 * @name: PCI address, or "" for the first claimed device
 *
 * Return: the device with a reference held, or NULL.
 */
struct bypass_device *bypass_device_get_by_name(const char *name)
{
	struct bypass_device *dev, *found = NULL;

	mutex_lock(&bypass_devices_lock);
	list_for_each_entry(dev, &bypass_devices, node) {
		if (!name[0] || !strcmp(pci_name(dev->pdev), name)) {
			kref_get(&dev->ref);
			found = dev;
			break;
		}
	}
	mutex_unlock(&bypass_devices_lock);
	return found;
}

/*
 * Confine the device's DMA: it must honour the platform IOMMU
 * (ACCESS_PLATFORM) and sit behind one, alone in its IOMMU group; it then
 * gets a private domain (iommu.c). Returns 0 when isolated, -EBUSY when the
 * group cannot be owned (never overridden), another error when there is
 * no IOMMU to isolate with.
 */
static int bypass_isolate(struct bypass_device *dev, bool access_platform)
{
	if (!access_platform || !device_iommu_mapped(&dev->pdev->dev))
		return -ENODEV;
	return bypass_iommu_setup(dev);
}

static int bypass_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct bypass_device *dev;
	bool access_platform;
	int ret;

	/*
	 * The ID table is empty, so the PCI core only ever offers us a
	 * function whose driver_override names us: we never grab a NIC.
	 */
	if (pdev->vendor != BYPASS_PCI_VENDOR || pdev->device != BYPASS_PCI_DEVICE_NET)
		return -ENODEV;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	kref_init(&dev->ref);
	mutex_init(&dev->lock);
	mutex_init(&dev->ctrlq.lock);
	INIT_LIST_HEAD(&dev->node);
	dev->pdev = pci_dev_get(pdev);
	dev->mdev.pci_dev = pdev;
	dev->claimed_at = jiffies;

	ret = pci_enable_device(pdev);
	if (ret)
		goto err_put;
	ret = vp_modern_probe(&dev->mdev);
	if (ret)
		goto err_disable;
	if (dev->mdev.id.device != VIRTIO_ID_NET) {
		ret = -ENODEV;
		goto err_remove;
	}

	access_platform = vp_modern_get_features(&dev->mdev) &
			  BIT_ULL(VIRTIO_F_ACCESS_PLATFORM);
	dev->dma_api = access_platform;
	ret = bypass_isolate(dev, access_platform);
	if (ret == -EBUSY)
		goto err_remove;
	if (ret) {
		if (!bypass_unsafe_noiommu) {
			dev_err(&pdev->dev,
				"no IOMMU isolation (%s, %d): refusing; load with unsafe_noiommu=1 to override\n",
				access_platform ? "no usable IOMMU domain" :
						  "device lacks ACCESS_PLATFORM", ret);
			ret = -EPERM;
			goto err_remove;
		}
		dev->unsafe = true;
		add_taint(TAINT_USER, LOCKDEP_STILL_OK);
		dev_warn(&pdev->dev,
			 "claimed WITHOUT IOMMU isolation: userspace can make it DMA anywhere\n");
	}
	pci_set_master(pdev);

	ret = bypass_virtio_init(dev);
	if (ret)
		goto err_remove;
	ret = bypass_irqs_setup(dev);
	if (ret)
		goto err_remove;
	ret = bypass_virtio_restart(dev);
	if (ret)
		goto err_irqs;

	pci_set_drvdata(pdev, dev);
	INIT_DELAYED_WORK(&dev->watchdog, bypass_watchdog);
	schedule_delayed_work(&dev->watchdog, HZ);
	mutex_lock(&bypass_devices_lock);
	list_add_tail(&dev->node, &bypass_devices);
	mutex_unlock(&bypass_devices_lock);
	dev_info(&pdev->dev, "claimed: %pM, %u queue pair(s) of %u, features %#llx%s\n",
		 dev->mac, dev->num_pairs, dev->max_pairs, dev->features,
		 dev->unsafe ? ", UNSAFE no-IOMMU mode" : "");
	return 0;

err_irqs:
	bypass_virtio_stop(dev);
	bypass_irqs_teardown(dev);
	bypass_ring_free(dev, &dev->idle_ring);
err_remove:
	bypass_ctrlq_teardown(dev);
	bypass_iommu_teardown(dev);
	vp_modern_remove(&dev->mdev);
err_disable:
	pci_disable_device(pdev);
err_put:
	bypass_device_put(dev);
	return ret;
}

static void bypass_remove(struct pci_dev *pdev)
{
	struct bypass_device *dev = pci_get_drvdata(pdev);
	unsigned int i;

	mutex_lock(&bypass_devices_lock);
	list_del_init(&dev->node);
	mutex_unlock(&bypass_devices_lock);

	/*
	 * Stop all DMA first, under the lock, so that a detach racing with us
	 * (close) sees either a live device or a reset one; then every user
	 * loses its queues, mappings and memory registrations.
	 */
	mutex_lock(&dev->lock);
	dev->halted = !bypass_virtio_reset(dev);
	dev->dead = true;
	mutex_unlock(&dev->lock);
	cancel_delayed_work_sync(&dev->watchdog);
	bypass_device_revoke_all(dev);
	bypass_irqs_teardown(dev);

	/*
	 * Without bus mastering the function cannot reach memory, whether the
	 * reset worked or not: what pairs left parked can go now.
	 */
	pci_clear_master(pdev);
	for (i = 0; i < dev->num_pairs; i++)
		bypass_qp_free_parked(dev, &dev->qps[i]);
	bypass_ring_free(dev, &dev->idle_ring);
	bypass_ctrlq_teardown(dev);
	bypass_iommu_teardown(dev);
	vp_modern_remove(&dev->mdev);
	pci_disable_device(pdev);
	pci_set_drvdata(pdev, NULL);
	dev_info(&pdev->dev, "released\n");
	bypass_device_put(dev);
}

static const struct pci_device_id bypass_pci_ids[] = {
	{ }
};

static struct pci_driver bypass_pci_driver = {
	.name = KBUILD_MODNAME,
	.id_table = bypass_pci_ids,
	.probe = bypass_probe,
	.remove = bypass_remove,
	/* No DMA API: the device gets a private IOMMU domain (iommu.c). */
	.driver_managed_dma = true,
};

int bypass_pci_init(void)
{
	return pci_register_driver(&bypass_pci_driver);
}

void bypass_pci_exit(void)
{
	pci_unregister_driver(&bypass_pci_driver);
}
