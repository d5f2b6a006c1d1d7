// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The /dev/bypass device provider. bypass.ko gives this process one queue
 * pair of a real virtio-net NIC: its ring memory and doorbells are mapped
 * here, buffers are registered (pinned and IOMMU-mapped) through an ioctl,
 * and each queue's interrupt arrives on an eventfd. After setup nothing on
 * the packet path enters the kernel, except the KICK ioctl on devices whose
 * doorbells cannot be mapped.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/bypass.h>

#include "bypass_kdev.h"
#include "libbypass.h"

#define KDEV_MAX_PAGED	8
#define KDEV_PAGE	4096ul

/* A registered region whose pages have scattered device addresses. */
struct kdev_paged {
	uintptr_t addr;
	size_t len;
	uint64_t *iova;		/* one per 4 KiB page */
};

struct kdev {
	struct bypass_dev dev;		/* first: the ops receive &dev */
	struct kdev_paged paged[KDEV_MAX_PAGED];
	int fd;
	struct bypass_info info;
	void *ring[BYPASS_NR_QUEUES];
	void *notify_page[BYPASS_NR_QUEUES];
	volatile uint16_t *notify[BYPASS_NR_QUEUES];
	int efd[BYPASS_NR_QUEUES];
	struct bypass_qp_stats *stats;
};

static struct kdev *to_kdev(struct bypass_dev *dev)
{
	return (struct kdev *)dev;
}

static int kdev_get_vring(struct bypass_dev *dev, unsigned int q, struct bypass_vring *vr)
{
	struct kdev *k = to_kdev(dev);
	struct bypass_queue_info *qi;
	char *base;

	if (q >= BYPASS_NR_QUEUES)
		return -EINVAL;
	qi = &k->info.queues[q];
	base = k->ring[q];
	vr->size = (uint16_t)qi->size;
	vr->desc = (struct vring_desc *)(base + qi->desc_offset);
	vr->avail = (struct vring_avail *)(base + qi->avail_offset);
	vr->used = (struct vring_used *)(base + qi->used_offset);
	return 0;
}

/*
 * Behind an IOMMU a region is always one device-address range. Only the
 * unsafe no-IOMMU mode gives scattered physical pages: their addresses are
 * fetched once, here, into a table.
 */
static int kdev_mem_paged(struct kdev *k, const struct bypass_mem_reg *r)
{
	struct kdev_paged *p = NULL;
	struct bypass_iovas q;
	unsigned int i;

	for (i = 0; i < KDEV_MAX_PAGED && !p; i++)
		if (!k->paged[i].iova)
			p = &k->paged[i];
	if (!p || r->len / KDEV_PAGE > UINT32_MAX)
		return -ENOSPC;
	p->iova = calloc(r->len / KDEV_PAGE, sizeof(*p->iova));
	if (!p->iova)
		return -ENOMEM;
	memset(&q, 0, sizeof(q));
	q.argsz = sizeof(q);
	q.id = r->id;
	q.count = (uint32_t)(r->len / KDEV_PAGE);
	q.table = (uintptr_t)p->iova;
	if (ioctl(k->fd, BYPASS_GET_IOVAS, &q)) {
		free(p->iova);
		p->iova = NULL;
		return -errno;
	}
	p->addr = (uintptr_t)r->addr;
	p->len = r->len;
	return BYPASS_MEM_PAGED;
}

static int kdev_mem_register(struct bypass_dev *dev, void *addr, size_t len, uint64_t *iova)
{
	struct kdev *k = to_kdev(dev);
	struct bypass_mem_reg r;

	memset(&r, 0, sizeof(r));
	r.argsz = sizeof(r);
	r.addr = (uintptr_t)addr;
	r.len = len;
	if (ioctl(k->fd, BYPASS_REGISTER_MEM, &r))
		return -errno;
	if (!(r.flags & BYPASS_MEM_F_CONTIGUOUS))
		return kdev_mem_paged(k, &r);
	*iova = r.iova;
	return 0;
}

static uint64_t kdev_mem_page_iova(struct bypass_dev *dev, const void *page)
{
	struct kdev *k = to_kdev(dev);
	uintptr_t a = (uintptr_t)page;
	unsigned int i;

	for (i = 0; i < KDEV_MAX_PAGED; i++) {
		struct kdev_paged *p = &k->paged[i];

		if (p->iova && a >= p->addr && a - p->addr < p->len)
			return p->iova[(a - p->addr) / KDEV_PAGE] + (a - p->addr) % KDEV_PAGE;
	}
	return 0;	/* not registered: an address the device cannot use */
}

static void kdev_kick(struct bypass_dev *dev, unsigned int q)
{
	struct kdev *k = to_kdev(dev);
	struct bypass_kick kick;

	if (k->notify[q]) {
		*k->notify[q] = (uint16_t)k->info.queues[q].index;
		return;
	}
	memset(&kick, 0, sizeof(kick));
	kick.argsz = sizeof(kick);
	kick.queue = q;
	(void)ioctl(k->fd, BYPASS_KICK, &kick);
}

static int kdev_irq_fd(struct bypass_dev *dev, unsigned int q)
{
	return q < BYPASS_NR_QUEUES ? to_kdev(dev)->efd[q] : -1;
}

static void kdev_irq_ack(struct bypass_dev *dev, unsigned int q)
{
	uint64_t v;

	if (q < BYPASS_NR_QUEUES)
		(void)!read(to_kdev(dev)->efd[q], &v, sizeof(v));
}

static uint64_t kdev_now_ns(struct bypass_dev *dev)
{
	struct timespec ts;

	(void)dev;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct bypass_qp_stats *kdev_stats_page(struct bypass_dev *dev)
{
	return to_kdev(dev)->stats;
}

static void kdev_release(struct kdev *k)
{
	unsigned int q;

	for (q = 0; q < BYPASS_NR_QUEUES; q++) {
		if (k->ring[q])
			munmap(k->ring[q], k->info.queues[q].ring_size);
		if (k->notify_page[q])
			munmap(k->notify_page[q], (size_t)sysconf(_SC_PAGESIZE));
		if (k->efd[q] >= 0)
			close(k->efd[q]);
	}
	if (k->stats)
		munmap(k->stats, k->info.stats_size);
	for (q = 0; q < KDEV_MAX_PAGED; q++)
		free(k->paged[q].iova);
	/* Closing the file gives the pair and all registered memory back. */
	if (k->fd >= 0)
		close(k->fd);
	free(k);
}

static void kdev_destroy(struct bypass_dev *dev)
{
	kdev_release(to_kdev(dev));
}

static const struct bypass_dev_ops kdev_ops = {
	.get_vring = kdev_get_vring,
	.mem_register = kdev_mem_register,
	.mem_page_iova = kdev_mem_page_iova,
	.kick = kdev_kick,
	.irq_fd = kdev_irq_fd,
	.irq_ack = kdev_irq_ack,
	.now_ns = kdev_now_ns,
	.stats_page = kdev_stats_page,
	.destroy = kdev_destroy,
};

static void *kdev_map(struct kdev *k, size_t len, int prot, uint64_t off)
{
	void *p = mmap(NULL, len, prot, MAP_SHARED, k->fd, (off_t)off);

	return p == MAP_FAILED ? NULL : p;
}

static int kdev_setup(struct kdev *k, const char *device, unsigned int queue_pair)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	struct bypass_attach a;
	unsigned int q;

	memset(&a, 0, sizeof(a));
	a.argsz = sizeof(a);
	a.queue_pair = queue_pair;
	if (device && strlen(device) >= sizeof(a.device))
		return -EINVAL;
	if (device)
		strcpy(a.device, device);
	if (ioctl(k->fd, BYPASS_ATTACH, &a))
		return -errno;
	k->info.argsz = sizeof(k->info);
	if (ioctl(k->fd, BYPASS_GET_INFO, &k->info))
		return -errno;

	for (q = 0; q < BYPASS_NR_QUEUES; q++) {
		struct bypass_queue_info *qi = &k->info.queues[q];
		struct bypass_eventfd e;

		k->ring[q] = kdev_map(k, qi->ring_size, PROT_READ | PROT_WRITE, qi->ring_offset);
		if (!k->ring[q])
			return -errno;
		if (qi->flags & BYPASS_QUEUE_F_NOTIFY_MMAP) {
			k->notify_page[q] = kdev_map(k, page, PROT_WRITE, qi->notify_offset);
			if (!k->notify_page[q])
				return -errno;
			k->notify[q] = (volatile uint16_t *)((char *)k->notify_page[q] +
							     qi->notify_page_offset);
		}
		k->efd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (k->efd[q] < 0)
			return -errno;
		memset(&e, 0, sizeof(e));
		e.argsz = sizeof(e);
		e.queue = q;
		e.fd = k->efd[q];
		if (ioctl(k->fd, BYPASS_SET_EVENTFD, &e))
			return -errno;
	}
	k->stats = kdev_map(k, k->info.stats_size, PROT_READ | PROT_WRITE, BYPASS_MMAP_STATS);
	if (!k->stats)
		return -errno;

	k->dev.ops = &kdev_ops;
	k->dev.features = k->info.features;
	memcpy(k->dev.mac, k->info.mac, sizeof(k->dev.mac));
	k->dev.mtu = k->info.mtu;
	return 0;
}

int bypass_kdev_open(const char *device, unsigned int queue_pair, struct bypass_dev **out)
{
	struct kdev *k = calloc(1, sizeof(*k));
	unsigned int q;
	int err;

	if (!k)
		return -ENOMEM;
	for (q = 0; q < BYPASS_NR_QUEUES; q++)
		k->efd[q] = -1;
	k->fd = bypass_open_dev(NULL);
	if (k->fd < 0) {
		err = k->fd;
		k->fd = -1;
		kdev_release(k);
		return err;
	}
	err = kdev_setup(k, device, queue_pair);
	if (err) {
		kdev_release(k);
		return err;
	}
	*out = &k->dev;
	return 0;
}

void bypass_kdev_ipv4(const struct bypass_dev *dev, uint32_t *addr, uint8_t *prefix_len,
		      uint32_t *gateway)
{
	const struct kdev *k = (const struct kdev *)dev;

	*addr = k->info.ipv4_addr;
	*prefix_len = k->info.ipv4_prefix;
	*gateway = k->info.ipv4_gateway;
}

int bypass_kdev_stack_config(const struct bypass_dev *dev, struct bypass_stack_config *cfg)
{
	const struct kdev *k = (const struct kdev *)dev;

	if (!k->info.ipv4_addr)
		return -ENOENT;
	if (!cfg->addr) {
		cfg->addr = k->info.ipv4_addr;
		cfg->prefix_len = k->info.ipv4_prefix;
	}
	if (!cfg->gateway)
		cfg->gateway = k->info.ipv4_gateway;
	/* The MTU already reached the stack as the device's (dev.mtu). */
	return 0;
}

int bypass_kdev_fd(const struct bypass_dev *dev)
{
	return ((const struct kdev *)dev)->fd;
}
