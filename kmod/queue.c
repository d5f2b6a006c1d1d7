// SPDX-License-Identifier: GPL-2.0
/*
 * Queue pairs: handing one to a process (attach/detach), its interrupts
 * delivered as eventfd signals, doorbells through an ioctl, and taking
 * everything back when the device goes away.
 */
#include <linux/eventfd.h>
#include <linux/interrupt.h>
#include <linux/pci.h>
#include <linux/slab.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>
#include <linux/virtio_ring.h>

#include "bypass.h"
#include "compat.h"

static irqreturn_t bypass_vq_irq(int irq, void *data)
{
	struct bypass_vq *vq = data;
	struct bypass_qp *qp = vq->qp;

	atomic64_inc(&vq->interrupts);
	spin_lock(&qp->trigger_lock);
	if (vq->trigger)
		bypass_eventfd_signal(vq->trigger);
	spin_unlock(&qp->trigger_lock);
	return IRQ_HANDLED;
}

/**
 * bypass_qp_signal() - signal both eventfds of a pair (an error to report)
 * @qp: the queue pair
 */
void bypass_qp_signal(struct bypass_qp *qp)
{
	unsigned long flags;
	unsigned int q;

	spin_lock_irqsave(&qp->trigger_lock, flags);
	for (q = 0; q < 2; q++)
		if (qp->vq[q].trigger)
			bypass_eventfd_signal(qp->vq[q].trigger);
	spin_unlock_irqrestore(&qp->trigger_lock, flags);
}

static void bypass_signal_all(struct bypass_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->num_pairs; i++)
		bypass_qp_signal(&dev->qps[i]);
}

/* Config change: the only one we act on is the device asking for a reset. */
static irqreturn_t bypass_config_irq(int irq, void *data)
{
	struct bypass_device *dev = data;

	if (vp_modern_get_status(&dev->mdev) & VIRTIO_CONFIG_S_NEEDS_RESET) {
		if (!READ_ONCE(dev->broken))
			dev_warn(&dev->pdev->dev, "device needs reset (DMA error?)\n");
		WRITE_ONCE(dev->broken, true);
		bypass_signal_all(dev);
	}
	return IRQ_HANDLED;
}

/* Seconds a tx queue may hold uncompleted work before it counts as stalled. */
#define BYPASS_STALL_TICKS	3

/*
 * One pair's tx queue: work is pending (avail index ahead of used) and the
 * used index has not moved for BYPASS_STALL_TICKS ticks. The indices are
 * read from ring memory userspace and the device both write: they are
 * only compared, never used to index anything.
 */
static bool bypass_tx_stuck(struct bypass_qp *qp)
{
	struct bypass_ring *r = &qp->vq[BYPASS_QUEUE_TX].ring;
	struct vring_avail *avail = r->va + bypass_ring_avail_offset(r->num);
	struct vring_used *used = r->va + bypass_ring_used_offset(r->num);
	u16 a = le16_to_cpu(READ_ONCE(avail->idx));
	u16 u = le16_to_cpu(READ_ONCE(used->idx));

	if (a == u || u != qp->wd_used) {
		qp->wd_used = u;
		qp->wd_ticks = 0;
		return false;
	}
	return ++qp->wd_ticks >= BYPASS_STALL_TICKS;
}

/**
 * bypass_watchdog() - once a second, look for attached pairs whose tx queue
 *	stopped making progress (e.g. the device stalled after a DMA the IOMMU
 *	blocked)
 * @work: dev->watchdog
 *
 * A stalled pair is reported (BYPASS_STATUS_QUEUE_STALLED, both eventfds
 * signalled, one log line) and the device gets a full reset when it is
 * detached. Never per packet: one look per pair per second.
 */
void bypass_watchdog(struct work_struct *work)
{
	struct bypass_device *dev = container_of(to_delayed_work(work),
						 struct bypass_device, watchdog);
	unsigned int i;

	mutex_lock(&dev->lock);
	if (dev->dead) {
		mutex_unlock(&dev->lock);
		return;
	}
	for (i = 0; i < dev->num_pairs; i++) {
		struct bypass_qp *qp = &dev->qps[i];

		if (!qp->owner || qp->stale || qp->stalled ||
		    !qp->vq[BYPASS_QUEUE_TX].enabled || !bypass_tx_stuck(qp))
			continue;
		qp->stalled = true;
		dev_warn(&dev->pdev->dev,
			 "queue pair %u: tx made no progress for %u s; the device will be reset after detach\n",
			 i, BYPASS_STALL_TICKS);
		bypass_qp_signal(qp);
	}
	mutex_unlock(&dev->lock);
	schedule_delayed_work(&dev->watchdog, HZ);
}

/**
 * bypass_irqs_setup() - MSI-X vectors: one for config, one per data queue
 * @dev: the device
 *
 * Decides how many queue pairs bypass offers: as many as there are
 * vectors for, and only one unless the device can reset single queues.
 *
 * Return: 0 or -errno.
 */
int bypass_irqs_setup(struct bypass_device *dev)
{
	struct pci_dev *pdev = dev->pdev;
	unsigned int i, q, pairs;
	int nvec, ret;

	pairs = dev->max_pairs;
	if (!(dev->features & BIT_ULL(VIRTIO_F_RING_RESET)))
		pairs = 1;
	nvec = pci_alloc_irq_vectors(pdev, 3, 1 + 2 * pairs, PCI_IRQ_MSIX);
	if (nvec < 0) {
		dev_err(&pdev->dev, "needs at least 3 MSI-X vectors\n");
		return nvec;
	}
	dev->num_pairs = (nvec - 1) / 2;
	/*
	 * One pair in use until the administrator puts more in use: without
	 * RSS the device spreads new flows over every pair in use by hash,
	 * and an application with one context listens on one pair only.
	 */
	dev->active_pairs = 1;
	dev->qps = kcalloc(dev->num_pairs, sizeof(*dev->qps), GFP_KERNEL);
	if (!dev->qps) {
		ret = -ENOMEM;
		goto err_vectors;
	}

	snprintf(dev->config_irq_name, sizeof(dev->config_irq_name), "bypass-%s-config",
		 pci_name(pdev));
	ret = request_irq(pci_irq_vector(pdev, 0), bypass_config_irq, 0,
			  dev->config_irq_name, dev);
	if (ret)
		goto err_free;
	dev->config_irq = true;

	for (i = 0; i < dev->num_pairs; i++) {
		struct bypass_qp *qp = &dev->qps[i];

		spin_lock_init(&qp->trigger_lock);
		INIT_LIST_HEAD(&qp->parked_regions);
		for (q = 0; q < 2; q++) {
			struct bypass_vq *vq = &qp->vq[q];

			vq->qp = qp;
			vq->index = 2 * i + q;
			vq->vector = 1 + vq->index;
			snprintf(vq->irq_name, sizeof(vq->irq_name), "bypass-%s-%s%u",
				 pci_name(pdev), q ? "tx" : "rx", i);
			ret = request_irq(pci_irq_vector(pdev, vq->vector), bypass_vq_irq, 0,
					  vq->irq_name, vq);
			if (ret)
				goto err_irqs;
			vq->irq_requested = true;
		}
	}
	return 0;

err_irqs:
	bypass_irqs_teardown(dev);
	return ret;
err_free:
	kfree(dev->qps);
	dev->qps = NULL;
err_vectors:
	pci_free_irq_vectors(pdev);
	return ret;
}

/**
 * bypass_irqs_teardown() - free every handler and the vectors
 * @dev: the device, reset (no interrupt can be raised any more)
 */
void bypass_irqs_teardown(struct bypass_device *dev)
{
	struct pci_dev *pdev = dev->pdev;
	unsigned int i, q;

	for (i = 0; dev->qps && i < dev->num_pairs; i++) {
		for (q = 0; q < 2; q++) {
			struct bypass_vq *vq = &dev->qps[i].vq[q];

			if (vq->irq_requested)
				free_irq(pci_irq_vector(pdev, vq->vector), vq);
			vq->irq_requested = false;
		}
	}
	if (dev->config_irq)
		free_irq(pci_irq_vector(pdev, 0), dev);
	dev->config_irq = false;
	pci_free_irq_vectors(pdev);
}

/**
 * bypass_qp_free_rings() - free what an attach allocated for a pair
 * @dev: the device
 * @qp: the pair; the device no longer uses its queues
 */
void bypass_qp_free_rings(struct bypass_device *dev, struct bypass_qp *qp)
{
	unsigned int q;

	for (q = 0; q < 2; q++) {
		bypass_vq_unmap_notify(dev, &qp->vq[q]);
		bypass_ring_free(dev, &qp->vq[q].ring);
	}
	if (qp->stats)
		free_page((unsigned long)qp->stats);
	qp->stats = NULL;
}

/**
 * bypass_qp_free_parked() - free what a pair left parked
 * @dev: the device
 * @qp: the pair; the device can no longer reach its memory (a full reset
 *	worked, or bus mastering is off)
 */
void bypass_qp_free_parked(struct bypass_device *dev, struct bypass_qp *qp)
{
	if (!qp->parked)
		return;
	bypass_qp_free_rings(dev, qp);
	bypass_mem_free_list(&qp->parked_regions);
	qp->parked = false;
}

/*
 * Make the device stop using a pair's queues. With RING_RESET each queue is
 * reset on its own; otherwise the whole device is reset and restarted
 * (bypass then offers a single pair, so nobody else is disturbed).
 * Returns true if the device is known to have stopped.
 */
static bool bypass_qp_quiesce(struct bypass_device *dev, struct bypass_qp *qp)
{
	bool stopped = true;
	unsigned int q;

	if (dev->dead)
		return dev->halted;	/* remove() reset the whole device first */
	if ((dev->features & BIT_ULL(VIRTIO_F_RING_RESET)) && !dev->broken) {
		for (q = 0; q < 2; q++)
			if (bypass_vq_reset(dev, &qp->vq[q]))
				stopped = false;
		if (stopped)
			return true;
	}
	if (bypass_virtio_restart(dev)) {
		/* Could not restart; the reset itself may still have worked. */
		return !vp_modern_get_status(&dev->mdev);
	}
	return true;
}

/**
 * bypass_any_owner() - is any queue pair of the device attached?
 * @dev: the device, locked
 *
 * Return: true if one is.
 */
bool bypass_any_owner(struct bypass_device *dev)
{
	unsigned int i;

	for (i = 0; i < dev->num_pairs; i++)
		if (dev->qps[i].owner)
			return true;
	return false;
}

/*
 * The IOMMU separates functions, not queue pairs: every owner of a pair can
 * make the device read and write the rings and registered memory of every
 * other pair of the function. So all pairs attached at one time belong to
 * processes of one effective uid, the uid of the first of them.
 */
static bool bypass_may_share(struct bypass_device *dev)
{
	return !bypass_any_owner(dev) || uid_eq(dev->owner_uid, current_euid());
}

/**
 * bypass_qp_attach() - give a queue pair to a context
 * @ctx: the context, locked, not attached
 * @dev: the device (the caller's reference passes to the context)
 * @index: queue pair index
 *
 * Return: 0, -EINVAL (no such pair), -ENXIO (the pair is not in use:
 * @index >= active_pairs), -EBUSY (owned by another file, or parked or
 * stalled while another pair is attached), -EACCES (another pair of the
 * function is attached by another uid), -ENODEV (device gone), -ENOMEM,
 * -EIO, or the error of the reset a broken device or parked pair needs.
 */
int bypass_qp_attach(struct bypass_ctx *ctx, struct bypass_device *dev, u32 index)
{
	struct bypass_qp *qp;
	unsigned int q;
	int ret;

	mutex_lock(&dev->lock);
	if (dev->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (index >= dev->num_pairs) {
		ret = -EINVAL;
		goto out;
	}
	if (index >= dev->active_pairs) {
		ret = -ENXIO;
		goto out;
	}
	qp = &dev->qps[index];
	if (qp->owner) {
		ret = -EBUSY;
		goto out;
	}
	if (!bypass_may_share(dev)) {
		ret = -EACCES;
		goto out;
	}
	/*
	 * A pair whose old rings the device may still use (parked), or whose
	 * tx queue stalled, waits for a full reset that disturbs nobody: only
	 * one that works frees the rings. A device that asked for a reset gets
	 * one now even while other pairs are attached: their queues stopped
	 * working when it broke, and the reset marks them stale, so one
	 * owner's bad descriptor does not lock every other pair out.
	 */
	if ((qp->parked || qp->needs_reset) && !READ_ONCE(dev->broken) &&
	    bypass_any_owner(dev)) {
		ret = -EBUSY;
		goto out;
	}
	if (READ_ONCE(dev->broken) || qp->parked || qp->needs_reset) {
		ret = bypass_virtio_restart(dev);
		if (ret)
			goto out;
	}
	if (dev->unsafe)
		dev_warn_ratelimited(&dev->pdev->dev,
				     "queue pair %u attached by pid %d WITHOUT IOMMU isolation\n",
				     index, task_tgid_nr(current));

	qp->stats = (struct bypass_qp_stats *)get_zeroed_page(GFP_KERNEL);
	if (!qp->stats) {
		ret = -ENOMEM;
		goto out;
	}
	for (q = 0; q < 2; q++) {
		struct bypass_vq *vq = &qp->vq[q];

		ret = bypass_ring_alloc(dev, &vq->ring, dev->vq_max[vq->index], 0);
		if (ret)
			goto err_rings;
		ret = bypass_vq_map_notify(dev, vq);
		if (ret)
			goto err_rings;
		atomic64_set(&vq->interrupts, 0);
		atomic64_set(&vq->kicks, 0);
	}
	for (q = 0; q < 2; q++) {
		ret = bypass_vq_enable(dev, &qp->vq[q], qp->vq[q].vector);
		if (ret)
			goto err_enabled;
	}
	qp->owner = ctx;
	qp->owner_pid = get_task_pid(current, PIDTYPE_TGID);
	qp->stalled = false;
	qp->wd_used = 0;
	qp->wd_ticks = 0;
	dev->owner_uid = current_euid();
	qp->stale = false;
	ctx->dev = dev;
	ctx->qp = qp;
	ctx->qp_index = index;
	mutex_unlock(&dev->lock);
	return 0;

err_enabled:
	if (!bypass_qp_quiesce(dev, qp)) {
		qp->parked = true;	/* the device may still touch them */
		goto out;
	}
err_rings:
	bypass_qp_free_rings(dev, qp);
out:
	mutex_unlock(&dev->lock);
	return ret;
}

/**
 * bypass_qp_detach() - take the queue pair back from a context
 * @ctx: the context, locked, attached
 *
 * Order matters: the device stops using the queues, the interrupts stop
 * reaching the eventfds, userspace loses its mappings, the registered
 * memory is unmapped and unpinned, and only then are the rings freed. If
 * the device could not be stopped, rings and registered memory stay
 * allocated, pinned and mapped, parked in the pair until a reset works.
 */
void bypass_qp_detach(struct bypass_ctx *ctx)
{
	struct bypass_device *dev = ctx->dev;
	struct bypass_qp *qp = ctx->qp;
	struct eventfd_ctx *old[2];
	bool stopped;
	unsigned int q;

	mutex_lock(&dev->lock);
	stopped = bypass_qp_quiesce(dev, qp);

	spin_lock_irq(&qp->trigger_lock);
	for (q = 0; q < 2; q++) {
		old[q] = qp->vq[q].trigger;
		qp->vq[q].trigger = NULL;
	}
	spin_unlock_irq(&qp->trigger_lock);
	for (q = 0; q < 2; q++) {
		synchronize_irq(pci_irq_vector(dev->pdev, qp->vq[q].vector));
		if (old[q])
			eventfd_ctx_put(old[q]);
	}
	mutex_unlock(&dev->lock);

	bypass_ctx_revoke_mappings(ctx);
	if (stopped)
		bypass_mem_release_all(ctx);

	mutex_lock(&dev->lock);
	if (stopped) {
		bypass_qp_free_rings(dev, qp);
	} else {
		dev_warn(&dev->pdev->dev,
			 "queue pair %u did not stop: its rings and memory stay pinned until a reset works\n",
			 ctx->qp_index);
		bypass_mem_park_all(ctx, &qp->parked_regions);
		qp->parked = true;
		for (q = 0; q < 2; q++)
			bypass_vq_unmap_notify(dev, &qp->vq[q]);
	}
	/*
	 * A pair whose queue stalled is not used again before a full reset;
	 * the other pairs keep working meanwhile.
	 */
	if (qp->stalled)
		qp->needs_reset = true;
	qp->stalled = false;
	qp->owner = NULL;
	put_pid(qp->owner_pid);
	qp->owner_pid = NULL;
	mutex_unlock(&dev->lock);

	ctx->qp = NULL;
	ctx->dev = NULL;
	bypass_device_put(dev);
}

/**
 * bypass_qp_set_eventfd() - (un)bind the eventfd of one queue
 * @ctx: the context, locked, attached
 * @queue: BYPASS_QUEUE_RX or BYPASS_QUEUE_TX
 * @fd: an eventfd, or -1
 *
 * Return: 0, -EINVAL (bad queue), -EBADF (fd not open), or the error of
 * eventfd_ctx_fdget (-EINVAL when fd is not an eventfd).
 */
int bypass_qp_set_eventfd(struct bypass_ctx *ctx, u32 queue, int fd)
{
	struct bypass_qp *qp = ctx->qp;
	struct eventfd_ctx *new = NULL, *old;

	if (queue > BYPASS_QUEUE_TX)
		return -EINVAL;
	if (fd >= 0) {
		new = eventfd_ctx_fdget(fd);
		if (IS_ERR(new))
			return PTR_ERR(new);
	} else if (fd != -1) {
		return -EBADF;
	}
	spin_lock_irq(&qp->trigger_lock);
	old = qp->vq[queue].trigger;
	qp->vq[queue].trigger = new;
	spin_unlock_irq(&qp->trigger_lock);
	if (old)
		eventfd_ctx_put(old);
	/* A device error that came before the eventfd must not be lost. */
	if (new && READ_ONCE(ctx->dev->broken))
		bypass_eventfd_signal(new);
	return 0;
}

/**
 * bypass_qp_kick() - notify the device of new buffers on a queue
 * @ctx: the context, locked, attached
 * @queue: BYPASS_QUEUE_RX or BYPASS_QUEUE_TX
 *
 * Return: 0 or -EINVAL.
 */
int bypass_qp_kick(struct bypass_ctx *ctx, u32 queue)
{
	struct bypass_vq *vq;

	if (queue > BYPASS_QUEUE_TX)
		return -EINVAL;
	vq = &ctx->qp->vq[queue];
	atomic64_inc(&vq->kicks);
	iowrite16(vq->index, vq->notify);
	return 0;
}

/**
 * bypass_device_revoke_all() - detach every context from a departing device
 * @dev: the device, marked dead
 *
 * Their mappings fault with SIGBUS from now on, their ioctls fail with
 * ENODEV, and their memory is unpinned.
 */
void bypass_device_revoke_all(struct bypass_device *dev)
{
	struct bypass_ctx *ctx;
	unsigned int i;

	for (;;) {
		ctx = NULL;
		mutex_lock(&dev->lock);
		for (i = 0; i < dev->num_pairs; i++) {
			ctx = dev->qps[i].owner;
			if (ctx) {
				kref_get(&ctx->ref);
				break;
			}
		}
		mutex_unlock(&dev->lock);
		if (!ctx)
			return;
		mutex_lock(&ctx->lock);
		if (ctx->dev == dev) {
			down_write(&ctx->map_sem);
			ctx->revoked = true;
			up_write(&ctx->map_sem);
			bypass_qp_detach(ctx);
		}
		mutex_unlock(&ctx->lock);
		bypass_ctx_put(ctx);
	}
}
