/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of bypass.ko.
 *
 * Objects and their lifetimes:
 *  - struct bypass_device: one claimed virtio-net PCI function. Created by
 *    the PCI probe, refcounted; PCI remove marks it dead, revokes every user
 *    and drops the driver's reference. The last reference frees it.
 *  - struct bypass_qp: a queue pair of a device (rx + tx virtqueue), owned by
 *    at most one context at a time.
 *  - struct bypass_ctx: one open file of /dev/bypass. Owns at most one queue
 *    pair and any number of registered memory regions.
 *
 * Locks, outermost first: ctx->lock (per-file state), bypass_devices_lock
 * (device list; attach looks the device up under ctx->lock; nothing is
 * taken under it), dev->lock
 * (device state, queue ownership), ctrlq.lock and dma.lock (one command,
 * the IOVA ranges), qp->trigger_lock (spinlock, eventfds, taken in hard
 * irq).
 * ctx->map_sem guards the ring/doorbell mappings against revocation; it is
 * never held while taking mmap_lock.
 */
#ifndef BYPASS_INTERNAL_H
#define BYPASS_INTERNAL_H

#include <linux/cred.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/virtio_pci_modern.h>
#include <linux/workqueue.h>

#include <linux/bypass.h>

struct bypass_ctx;
struct eventfd_ctx;
struct iommu_domain;
struct iommu_group;
struct sg_table;
struct user_struct;

/*
 * IOVA layout of an isolated function's private domain (see iommu.c): the
 * first 64 KiB are never mapped, the control queue's pages sit at
 * BYPASS_IOVA_CTRL (mapped only while a command runs), data rings and
 * registered memory from BYPASS_IOVA_DATA up.
 */
#define BYPASS_IOVA_CTRL	0x10000ULL
#define BYPASS_IOVA_DATA	0x100000ULL

/**
 * enum bypass_mem_kind - how the device reaches a piece of kernel memory
 * @BYPASS_MEM_PHYS: physical address (unsafe mode without ACCESS_PLATFORM)
 * @BYPASS_MEM_DMA_API: dma_alloc_coherent (unsafe mode, DMA API domain)
 * @BYPASS_MEM_IOMMU: iommu_map() into the private domain at an IOVA from
 *	bypass_iova_alloc(), mapped as long as it is allocated
 * @BYPASS_MEM_WINDOW: a fixed IOVA in the control window of the private
 *	domain, mapped only while the kernel uses it
 */
enum bypass_mem_kind {
	BYPASS_MEM_PHYS,
	BYPASS_MEM_DMA_API,
	BYPASS_MEM_IOMMU,
	BYPASS_MEM_WINDOW,
};

/**
 * struct bypass_ring - memory of one split virtqueue, kernel-allocated
 * @va: kernel address
 * @dma: device address
 * @size: bytes (page multiple), what userspace maps
 * @num: queue size in entries
 * @kind: enum bypass_mem_kind
 */
struct bypass_ring {
	void *va;
	dma_addr_t dma;
	size_t size;
	u16 num;
	u8 kind;
};

/**
 * struct bypass_dma - the private IOMMU domain of an isolated function
 * @group: its IOMMU group (a reference is held), whose DMA bypass owns
 * @domain: the unmanaged domain the function is attached to, or NULL when
 *	the device is not isolated (unsafe mode)
 * @lock: protects @ranges
 * @ranges: allocated IOVA ranges, sorted (struct bypass_iova_range)
 * @start: lowest IOVA handed out for rings and registered memory
 * @end: highest IOVA handed out
 */
struct bypass_dma {
	struct iommu_group *group;
	struct iommu_domain *domain;
	struct mutex lock; /* @ranges */
	struct list_head ranges;
	u64 start;
	u64 end;
};

/**
 * struct bypass_vq - one virtqueue of a queue pair
 * @index: virtqueue index on the device
 * @ring: its ring memory while the pair is attached
 * @notify: kernel mapping of its doorbell
 * @notify_pa: physical address of the doorbell
 * @notify_mapped: @notify came from its own ioremap (unmap on teardown)
 * @notify_mmap: the doorbell sits alone on a page userspace may map
 * @vector: MSI-X vector index
 * @trigger: eventfd signalled from the interrupt handler, or NULL
 * @irq_requested: the vector's interrupt handler is installed
 * @interrupts: interrupts taken
 * @kicks: notifications sent through BYPASS_KICK
 * @enabled: the device may currently use this queue
 * @qp: the pair it belongs to
 * @irq_name: name shown in /proc/interrupts
 */
struct bypass_vq {
	struct bypass_qp *qp;
	char irq_name[32];
	u16 index;
	struct bypass_ring ring;
	void __iomem *notify;
	resource_size_t notify_pa;
	bool notify_mapped;
	bool notify_mmap;
	u16 vector;
	struct eventfd_ctx *trigger;
	bool irq_requested;
	atomic64_t interrupts;
	atomic64_t kicks;
	bool enabled;
};

/**
 * struct bypass_qp - a queue pair of a device
 * @vq: the rx and tx virtqueues (BYPASS_QUEUE_RX / BYPASS_QUEUE_TX)
 * @owner: the context that attached it, or NULL
 * @owner_pid: the process (thread group) that attached it, referenced
 * @trigger_lock: protects vq[].trigger against the interrupt handler
 * @stats: page of counters written by the userspace datapath
 * @stale: the whole device was reset under this attached pair, which
 *	therefore no longer works; its owner must detach and attach again
 * @parked: rings (and @parked_regions) the device may still use after a
 *	detach whose resets failed; freed after the next full device reset
 *	that works, or at removal once bus mastering is off. A parked pair
 *	cannot be attached before that reset.
 * @parked_regions: registered memory of the last owner, kept pinned and
 *	mapped while @parked
 * @stalled: the watchdog saw the tx queue hold work the device did not
 *	complete for BYPASS_STALL_TICKS ticks; the device gets a full reset
 *	before the pair is used again
 * @needs_reset: the pair stalled under its last owner: its next attach
 *	resets the whole device first (refused with EBUSY while another pair
 *	is attached)
 * @wd_used: tx used index at the last watchdog tick
 * @wd_ticks: consecutive ticks without tx progress while work was pending
 */
struct bypass_qp {
	struct bypass_vq vq[2];
	struct bypass_ctx *owner;
	struct pid *owner_pid;
	spinlock_t trigger_lock; /* vq[].trigger vs the interrupt handler */
	struct bypass_qp_stats *stats;
	bool stale;
	bool parked;
	struct list_head parked_regions;
	bool stalled;
	bool needs_reset;
	u16 wd_used;
	u8 wd_ticks;
};

/**
 * struct bypass_ctrlq - the control virtqueue, driven by the kernel
 * @ring: ring memory
 * @buf: one page of command/status buffer
 * @index: virtqueue index
 * @notify: doorbell
 * @notify_mapped: @notify came from its own ioremap
 * @avail_idx: next free slot in the available ring (free-running)
 * @used_idx: next used entry to consume (free-running)
 * @window_mapped: @ring and @buf are mapped at their control-window IOVAs
 * @lock: one command at a time
 */
struct bypass_ctrlq {
	struct bypass_ring ring;
	struct bypass_ring buf;
	u16 index;
	void __iomem *notify;
	bool notify_mapped;
	u16 avail_idx;
	u16 used_idx;
	bool window_mapped;
	struct mutex lock; /* one command in flight */
};

/**
 * struct bypass_ipcfg - IPv4 settings recorded by the admin at claim time
 * @addr: address (network order), 0 if none
 * @gateway: default gateway (network order), 0 if none
 * @prefix: prefix length of @addr
 * @mtu: MTU applications should use, 0 for the device's
 */
struct bypass_ipcfg {
	__be32 addr;
	__be32 gateway;
	u8 prefix;
	u16 mtu;
};

/**
 * struct bypass_device - a claimed virtio-net PCI function
 * @ref: references: the PCI binding and each attached context
 * @node: entry in bypass_devices
 * @pdev: the PCI function
 * @mdev: the kernel's modern virtio-pci transport helpers
 * @lock: protects everything below that changes after probe
 * @dead: the PCI function was unbound or removed
 * @halted: set with @dead: remove() reset the device, so it does no DMA
 * @broken: the device set NEEDS_RESET; attached users see it as an error
 * @unsafe: claimed without DMA isolation (unsafe_noiommu)
 * @dma_api: addresses go through the DMA API (ACCESS_PLATFORM negotiated,
 *	unsafe mode), else they are physical addresses or, when isolated,
 *	IOVAs of @dma
 * @dma: the private IOMMU domain (isolated devices)
 * @owner_uid: effective uid every owner of a pair must have while any
 *	pair is attached (the first attach sets it)
 * @features: negotiated virtio features
 * @mac: MAC address
 * @mtu: MTU reported by the device (0 if not)
 * @max_pairs: queue pairs the device has
 * @num_pairs: queue pairs bypass offers (limited by MSI-X vectors)
 * @active_pairs: queue pairs in use, 1 (at probe) to @num_pairs: the number
 *	VQ_PAIRS_SET gives the device, which then delivers received frames
 *	to pairs below it only; an attach of a higher pair fails with ENXIO.
 *	Changed by bypass_virtio_set_pairs() while no pair is attached.
 * @qsize: maximum entries of data virtqueue 0 (reported by netlink)
 * @vq_max: maximum entries of each data virtqueue, by index
 * @idle_ring: the empty ring every data queue points at from bring-up to
 *	its first reset (see bypass_idle_queues_enable())
 * @qps: the queue pairs, @num_pairs of them
 * @ctrlq: the control virtqueue
 * @ipcfg: IPv4 settings for applications
 * @claimed_at: jiffies of the probe
 * @resets: full device resets done
 * @config_irq: the config-change interrupt handler is installed
 * @config_irq_name: its name in /proc/interrupts
 * @watchdog: looks at the attached pairs' tx queues once a second
 */
struct bypass_device {
	struct kref ref;
	struct list_head node;
	struct pci_dev *pdev;
	struct virtio_pci_modern_device mdev;
	struct mutex lock; /* device state and queue pair ownership */
	bool dead;
	bool halted;
	bool broken;
	bool unsafe;
	bool dma_api;
	struct bypass_dma dma;
	kuid_t owner_uid;
	u64 features;
	u8 mac[6];
	u16 mtu;
	u16 max_pairs;
	u16 num_pairs;
	u16 active_pairs;
	u16 qsize;
	u16 *vq_max;
	struct bypass_ring idle_ring;
	struct bypass_qp *qps;
	struct bypass_ctrlq ctrlq;
	struct bypass_ipcfg ipcfg;
	unsigned long claimed_at;
	u64 resets;
	bool config_irq;
	char config_irq_name[32];
	struct delayed_work watchdog;
};

/**
 * struct bypass_region - a registered user memory region
 * @node: entry in the context's region list
 * @id: handle returned to userspace
 * @uaddr: user address
 * @npages: pages pinned
 * @pages: the pinned pages
 * @sgt: their DMA mapping (when the device uses the DMA API)
 * @dev: the device it is mapped for (no reference: a region lives in an
 *	attached context, which holds one, or parked in one of the device's
 *	pairs)
 * @mm: the memory map charged for the pinned pages (grabbed)
 * @user: the user charged for them against RLIMIT_MEMLOCK (referenced),
 *	NULL when CAP_IPC_LOCK exempted the caller
 * @iova: device address when contiguous
 * @contiguous: one device-address range covers the region
 * @iommu_mapped: mapped at @iova in the device's private IOMMU domain
 */
struct bypass_region {
	struct list_head node;
	u32 id;
	unsigned long uaddr;
	unsigned long npages;
	struct page **pages;
	struct sg_table *sgt;
	struct bypass_device *dev;
	struct mm_struct *mm;
	struct user_struct *user;
	dma_addr_t iova;
	bool contiguous;
	bool iommu_mapped;
};

/**
 * struct bypass_ctx - state of one open file of /dev/bypass
 * @lock: serialises ioctls of this file
 * @map_sem: read by the mmap path, written by revocation
 * @mapping: the file's own address_space, so its mappings can be zapped
 * @mm: the process that opened the file (grabbed), the only one that may
 *	use it
 * @opened_by: tgid of that process
 * @dev: device of the attached queue pair (a reference is held), or NULL
 * @qp: the attached queue pair, or NULL
 * @qp_index: its index
 * @revoked: the device went away; mappings now fault with SIGBUS
 * @mappable: the attached queue pair's memory may be mapped (under map_sem)
 * @regions: registered memory (struct bypass_region)
 * @next_region_id: handle for the next region
 * @locked_pages: pages charged to the mm's locked_vm
 * @ref: the file holds one reference, device revocation another
 */
struct bypass_ctx {
	struct kref ref;
	struct mutex lock; /* serialises the file's ioctls and release */
	struct rw_semaphore map_sem;
	struct address_space mapping;
	struct mm_struct *mm;
	pid_t opened_by;
	struct bypass_device *dev;
	struct bypass_qp *qp;
	u32 qp_index;
	bool revoked;
	bool mappable;
	struct list_head regions;
	u32 next_region_id;
	unsigned long locked_pages;
};

extern bool bypass_unsafe_noiommu;
extern unsigned int bypass_test_reset_timeouts;
extern struct list_head bypass_devices;
extern struct mutex bypass_devices_lock;

/* cdev.c */
int bypass_cdev_init(void);
void bypass_cdev_exit(void);
int bypass_copy_arg(void *dst, size_t ksize, size_t minsz, const void __user *uarg);

/* pci.c */
int bypass_pci_init(void);
void bypass_pci_exit(void);
struct bypass_device *bypass_device_get_by_name(const char *name);
void bypass_device_put(struct bypass_device *dev);

/* iommu.c: DMA isolation */
int bypass_iommu_setup(struct bypass_device *dev);
void bypass_iommu_teardown(struct bypass_device *dev);
int bypass_iova_alloc(struct bypass_device *dev, u64 size, u64 *iova);
void bypass_iova_free(struct bypass_device *dev, u64 iova);
int bypass_iommu_map_pages(struct bypass_device *dev, u64 iova, struct page **pages,
			   unsigned long npages);
int bypass_iommu_map_kernel(struct bypass_device *dev, u64 iova, void *va, size_t size);
void bypass_iommu_unmap(struct bypass_device *dev, u64 iova, size_t size);

static inline bool bypass_isolated(const struct bypass_device *dev)
{
	return dev->dma.domain;
}

/* virtio.c: device bring-up, reset and queue programming */
int bypass_virtio_reset(struct bypass_device *dev);
int bypass_virtio_init(struct bypass_device *dev);
int bypass_virtio_restart(struct bypass_device *dev);
void bypass_virtio_stop(struct bypass_device *dev);
int bypass_virtio_set_pairs(struct bypass_device *dev, u16 pairs);
int bypass_coherent_alloc(struct bypass_device *dev, struct bypass_ring *ring, size_t size,
			  u64 window);
int bypass_ring_alloc(struct bypass_device *dev, struct bypass_ring *ring, u16 num,
		      u64 window);
void bypass_ring_free(struct bypass_device *dev, struct bypass_ring *ring);
size_t bypass_ring_avail_offset(u16 num);
size_t bypass_ring_used_offset(u16 num);
int bypass_vq_map_notify(struct bypass_device *dev, struct bypass_vq *vq);
void bypass_vq_unmap_notify(struct bypass_device *dev, struct bypass_vq *vq);
int bypass_vq_enable(struct bypass_device *dev, struct bypass_vq *vq, u16 vector);
int bypass_vq_reset(struct bypass_device *dev, struct bypass_vq *vq);

/* ctrlq.c */
int bypass_ctrlq_setup(struct bypass_device *dev);
void bypass_ctrlq_teardown(struct bypass_device *dev);
void bypass_ctrlq_retire(struct bypass_device *dev);
int bypass_ctrlq_cmd(struct bypass_device *dev, u8 class, u8 cmd,
		     const void *data, size_t len);
int bypass_ctrlq_configure(struct bypass_device *dev);

/* queue.c: queue pair ownership, interrupts, eventfds */
int bypass_irqs_setup(struct bypass_device *dev);
void bypass_irqs_teardown(struct bypass_device *dev);
bool bypass_any_owner(struct bypass_device *dev);
int bypass_qp_attach(struct bypass_ctx *ctx, struct bypass_device *dev, u32 index);
void bypass_qp_free_rings(struct bypass_device *dev, struct bypass_qp *qp);
void bypass_qp_free_parked(struct bypass_device *dev, struct bypass_qp *qp);
void bypass_qp_signal(struct bypass_qp *qp);
void bypass_qp_detach(struct bypass_ctx *ctx);
int bypass_qp_set_eventfd(struct bypass_ctx *ctx, u32 queue, int fd);
int bypass_qp_kick(struct bypass_ctx *ctx, u32 queue);
void bypass_device_revoke_all(struct bypass_device *dev);
void bypass_watchdog(struct work_struct *work);

void bypass_ctx_put(struct bypass_ctx *ctx);

/* mem.c: user memory registration */
int bypass_mem_register(struct bypass_ctx *ctx, struct bypass_mem_reg *reg);
int bypass_mem_unregister(struct bypass_ctx *ctx, u32 id);
void bypass_mem_unregister_force(struct bypass_ctx *ctx, u32 id);
int bypass_mem_get_iovas(struct bypass_ctx *ctx, struct bypass_iovas *req);
void bypass_mem_release_all(struct bypass_ctx *ctx);
void bypass_mem_park_all(struct bypass_ctx *ctx, struct list_head *parked);
void bypass_mem_free_list(struct list_head *list);

/* mmap.c */
int bypass_mmap(struct file *file, struct vm_area_struct *vma);
void bypass_ctx_revoke_mappings(struct bypass_ctx *ctx);
void bypass_ctx_allow_mappings(struct bypass_ctx *ctx);

#endif /* BYPASS_INTERNAL_H */
