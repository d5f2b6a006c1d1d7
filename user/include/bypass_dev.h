/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The device interface of libbypass: what the datapath needs from "a
 * virtio-net queue pair", whoever provides it. Three providers exist:
 *
 *  - the /dev/bypass device (the kernel hands over a real NIC's rings),
 *  - an in-memory linked pair with a virtual clock (tests, benchmarks),
 *    and its multi-queue form (a NIC of several pairs, steered like a tap),
 *  - a Linux TAP interface (a development path only: every frame goes
 *    through the kernel, so it is NOT kernel bypass).
 *
 * A provider embeds struct bypass_dev and fills in its ops table; the stack
 * never looks behind it.
 */
#ifndef BYPASS_DEV_H
#define BYPASS_DEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/bypass.h>
#include <linux/virtio_ring.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Queues are named by the ABI's BYPASS_QUEUE_RX (0) and BYPASS_QUEUE_TX (1). */
#define BYPASS_NR_QUEUES	2

/* mem_register's answer for a region mapped page by page. */
#define BYPASS_MEM_PAGED	1
#define BYPASS_PAGE_SIZE	4096

/*
 * struct bypass_vring - where a split virtqueue's three parts live in this
 * process. @size is a power of two. The driver owns desc and avail, the
 * device owns used; both sides follow the virtio 1.x rules.
 */
struct bypass_vring {
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
};

struct bypass_dev;

/*
 * struct bypass_dev_ops - what a device provider implements.
 *
 * @get_vring: the ring memory of queue @q. The rings are zeroed and ready
 *	(the device has been told their addresses); called once per queue.
 * @mem_register: make [@addr, @addr + @len) reachable by the device (IOMMU
 *	map; @addr and @len page-aligned). Returns 0 when the region is
 *	contiguous in device address space, *@iova then being the device
 *	address of @addr; or BYPASS_MEM_PAGED when each 4 KiB page has its
 *	own device address, which @mem_page_iova tells. Descriptors carry
 *	device addresses, never process addresses.
 * @mem_page_iova: the device address of the registered 4 KiB page at @page
 *	(needed only by providers that return BYPASS_MEM_PAGED).
 * @mem_unregister: undo @mem_register (may be NULL).
 * @kick: ring the doorbell of queue @q (the driver calls it at most once
 *	per batch, and only when the device asked for it).
 * @irq_fd: a file descriptor that polls readable when queue @q raised an
 *	interrupt, or -1 when the device has none. Interrupts themselves are
 *	enabled and disabled in the ring (used_event / NO_INTERRUPT).
 * @irq_ack: consume the pending notification on @irq_fd (read the
 *	eventfd); may be NULL when nothing needs consuming.
 * @service: software devices only (NULL for hardware): do the device-side
 *	work that is due now (deliver received frames into the RX ring).
 *	The driver calls it before looking at its used rings.
 * @now_ns: the device's clock, in nanoseconds. Protocol timers (ARP, later
 *	TCP) run on it; the in-memory pair makes it a virtual clock.
 * @stats_page: the queue pair's shared statistics page (for /dev/bypass,
 *	the BYPASS_MMAP_STATS mapping the kernel reads for `bypassctl show`),
 *	which the stack keeps current after every poll that did work; the op
 *	may be NULL or return NULL when there is none.
 * @destroy: release everything the provider allocated.
 */
struct bypass_dev_ops {
	int (*get_vring)(struct bypass_dev *dev, unsigned int q,
			 struct bypass_vring *vr);
	int (*mem_register)(struct bypass_dev *dev, void *addr, size_t len,
			    uint64_t *iova);
	uint64_t (*mem_page_iova)(struct bypass_dev *dev, const void *page);
	int (*mem_unregister)(struct bypass_dev *dev, void *addr, size_t len);
	void (*kick)(struct bypass_dev *dev, unsigned int q);
	int (*irq_fd)(struct bypass_dev *dev, unsigned int q);
	void (*irq_ack)(struct bypass_dev *dev, unsigned int q);
	void (*service)(struct bypass_dev *dev);
	uint64_t (*now_ns)(struct bypass_dev *dev);
	struct bypass_qp_stats *(*stats_page)(struct bypass_dev *dev);
	void (*destroy)(struct bypass_dev *dev);
};

/*
 * struct bypass_dev - one virtio-net queue pair as the datapath sees it.
 * @features: the NEGOTIATED feature bits (1ULL << VIRTIO_F_VERSION_1,
 *	VIRTIO_RING_F_EVENT_IDX, VIRTIO_NET_F_MRG_RXBUF, VIRTIO_NET_F_CSUM...).
 * @mac: the device's MAC address.
 * @mtu: the device's MTU, 0 when it does not say (1500 is then assumed).
 */
struct bypass_dev {
	const struct bypass_dev_ops *ops;
	uint64_t features;
	uint8_t mac[6];
	uint16_t mtu;
};

static inline bool bypass_dev_has(const struct bypass_dev *dev, unsigned int bit)
{
	return dev->features & (1ULL << bit);
}

/*
 * bypass_dev_destroy - release a device from any provider (a no-op for the
 * endpoints of an in-memory pair, which bypass_pair_destroy() releases).
 */
static inline void bypass_dev_destroy(struct bypass_dev *dev)
{
	if (dev && dev->ops->destroy)
		dev->ops->destroy(dev);
}

/* ---- the in-memory linked pair ---------------------------------------- */

struct bypass_pair;

/*
 * struct bypass_pair_impair - what the emulated wire does to frames, drawn
 * from a PRNG seeded with @seed, so a run is exactly repeatable.
 * Probabilities are in parts per million, per frame.
 * @delay_ns: every frame arrives this long after it was sent.
 * @reorder_ppm: a frame picked for reordering is held back @reorder_ns more.
 */
struct bypass_pair_impair {
	uint64_t seed;
	uint32_t loss_ppm;
	uint32_t dup_ppm;
	uint32_t reorder_ppm;
	uint64_t delay_ns;
	uint64_t reorder_ns;
};

/*
 * struct bypass_pair_config - shape of both endpoints.
 * @queue_size: ring size of every queue (power of two, 2..32768; 0 = 256).
 * @features: negotiated feature bits, the same on both sides.
 * @mac: the two MAC addresses.
 * @mtu: reported MTU (0 = 1500).
 * @wire_limit: frames that may wait on the wire per direction (0 = 1024);
 *	beyond that the wire drops (counted in wire_overflow).
 * @paged_iova: map registered memory page by page, the pages in reverse
 *	order in device address space (as an IOMMU may), instead of in one
 *	contiguous range.
 * @threaded: run both devices on a thread of their own, as hardware on
 *	another CPU: they poll their rings, sleep on kicks (as EVENT_IDX or
 *	the flags allow) and interrupt through the eventfds. The clock is
 *	then CLOCK_MONOTONIC; impairments, inject, capture, stall and advance
 *	are not available, and stats are only exact once traffic stopped.
 * @late_rx: threaded test hook that widens the race of every sleep: when
 *	a driver asks for its RX interrupt fd (bypass_stack_wait() does,
 *	after its last look at the rings and before it enables the
 *	interrupt), hold it up to 50 ms until a new frame lands in its RX
 *	ring, while its interrupt is still off: only the driver's look at
 *	the ring after enabling the interrupt can then find that frame.
 * @out_of_order: test hook: both devices complete buffers out of order,
 *	as a device without VIRTIO_F_IN_ORDER may (RX buffers filled and TX
 *	buffers returned pairwise swapped, an RX buffer possibly held
 *	across polls).
 *	The environment variable BYPASS_PAIR_OUT_OF_ORDER=1 turns it on for
 *	every pair, so that whole test programs can run under it.
 */
struct bypass_pair_config {
	uint16_t queue_size;
	uint64_t features;
	uint8_t mac[2][6];
	uint16_t mtu;
	uint32_t wire_limit;
	bool paged_iova;
	bool threaded;
	bool late_rx;
	struct bypass_pair_impair impair;
	bool out_of_order;
};

/* struct bypass_pair_stats - what the emulated devices saw, per side. */
struct bypass_pair_stats {
	uint64_t tx_frames;	/* frames taken from this side's TX ring */
	uint64_t rx_frames;	/* frames written into this side's RX ring */
	uint64_t rx_buffers;	/* RX buffers used (> rx_frames if merged) */
	uint64_t lost;		/* dropped by the impairment on the way in */
	uint64_t duplicated;
	uint64_t reordered;
	uint64_t wire_overflow;	/* dropped: too many frames waiting */
	uint64_t too_big;	/* dropped: did not fit the RX buffers */
	uint64_t captured;	/* TX frames diverted to the capture queue */
	uint64_t kicks[BYPASS_NR_QUEUES];
	uint64_t irqs[BYPASS_NR_QUEUES];
	uint64_t driver_errors;	/* invalid descriptors, addresses, indices */
	uint64_t missed_kicks;	/* threaded: work published without a kick
				 * while the device slept (either side) */
	uint64_t late_rx;	/* late_rx: frames that landed in the hold */
};

/*
 * bypass_pair_create - two devices joined back to back. A frame sent by one
 * side arrives in the other side's RX ring when the virtual clock reaches
 * its arrival time (at once when there is no delay).
 */
int bypass_pair_create(const struct bypass_pair_config *cfg,
		       struct bypass_pair **out);
void bypass_pair_destroy(struct bypass_pair *pair);

/* bypass_pair_dev - endpoint @side (0 or 1); owned by the pair. */
struct bypass_dev *bypass_pair_dev(struct bypass_pair *pair, int side);

uint64_t bypass_pair_now(const struct bypass_pair *pair);

/* bypass_pair_advance - move the virtual clock on and deliver what is due. */
void bypass_pair_advance(struct bypass_pair *pair, uint64_t ns);

/* bypass_pair_set_impair - change the wire's behaviour (both directions). */
void bypass_pair_set_impair(struct bypass_pair *pair,
			    const struct bypass_pair_impair *impair);

/*
 * bypass_pair_inject - put a raw Ethernet frame on the wire towards @side,
 * as if the peer had sent it now (impairments do not apply).
 */
int bypass_pair_inject(struct bypass_pair *pair, int side, const void *frame,
		       size_t len);

/*
 * bypass_pair_set_capture - when @on, frames that @side transmits go to a
 * capture queue instead of the wire; bypass_pair_capture_pop() takes the
 * oldest one (Ethernet frame only, without the virtio-net header).
 * Returns its length, 0 when the queue is empty, -ENOSPC if @cap is short.
 */
void bypass_pair_set_capture(struct bypass_pair *pair, int side, bool on);
ssize_t bypass_pair_capture_pop(struct bypass_pair *pair, int side, void *buf,
				size_t cap);

void bypass_pair_stats(const struct bypass_pair *pair, int side,
		       struct bypass_pair_stats *out);

/*
 * bypass_pair_set_tx_stall - when @on, @side's device ignores TX kicks (a
 * device that has fallen behind); turning it off sends what was queued.
 */
void bypass_pair_set_tx_stall(struct bypass_pair *pair, int side, bool on);

/* ---- the in-memory multi-queue pair ------------------------------------ */

struct bypass_mq;

#define BYPASS_MQ_MAX	16	/* queue pairs of its NIC, at most */

/*
 * struct bypass_mq_config - a NIC of @nr_pairs queue pairs (side 0, MAC
 * @mac[0]) wired to a peer of one pair (side 1, @mac[1]).
 * @queue_size, @features, @mtu, @wire_limit: as for bypass_pair_config
 *	(frames waiting per queue for RX buffers, beyond that dropped).
 * @realtime: the devices' clock is CLOCK_MONOTONIC (for drivers on
 *	several threads); otherwise a virtual one, bypass_mq_advance()'s.
 * Frames towards the NIC are steered as the host tun's flow cache does:
 * a TCP or UDP flow to the queue that last sent a frame of it, else to a
 * queue chosen by its hash; ARP to the queue that last sent ARP, ICMP to
 * the one that last sent ICMP. Device work runs in the thread that kicks
 * (or services, or advances the clock), under the device's own lock.
 */
struct bypass_mq_config {
	unsigned int nr_pairs;
	uint16_t queue_size;
	uint64_t features;
	uint8_t mac[2][6];
	uint16_t mtu;
	uint32_t wire_limit;
	bool realtime;
};

/* struct bypass_mq_stats - one queue pair's frames (or the peer's). */
struct bypass_mq_stats {
	uint64_t tx_frames;	/* taken from its TX ring */
	uint64_t rx_frames;	/* written into its RX ring */
	uint64_t dropped;	/* too many waiting, or too big */
	uint64_t kicks;
};

int bypass_mq_create(const struct bypass_mq_config *cfg, struct bypass_mq **out);
void bypass_mq_destroy(struct bypass_mq *mq);
/* Queue pair @pair of the NIC (NULL past nr_pairs); owned by @mq. */
struct bypass_dev *bypass_mq_dev(struct bypass_mq *mq, unsigned int pair);
/* The peer's one pair; owned by @mq. */
struct bypass_dev *bypass_mq_peer(struct bypass_mq *mq);
/* Move the virtual clock on and deliver what waited for buffers. */
void bypass_mq_advance(struct bypass_mq *mq, uint64_t ns);
/*
 * bypass_mq_move_flow - steer the TCP flow between @addr_a:@port_a and
 * @addr_b:@port_b (network-order addresses, host-order ports) to @pair,
 * as the tun's cache does to an idle flow; it moves back as soon as
 * another queue sends a frame of it. -EINVAL for a pair past nr_pairs.
 */
int bypass_mq_move_flow(struct bypass_mq *mq, uint32_t addr_a, uint16_t port_a,
			uint32_t addr_b, uint16_t port_b, unsigned int pair);
/* Counters of @pair, or of the peer for @pair == nr_pairs; -EINVAL past. */
int bypass_mq_stats(struct bypass_mq *mq, unsigned int pair,
		    struct bypass_mq_stats *out);

/* ---- the TAP development device --------------------------------------- */

/*
 * bypass_tap_open - a device backed by the Linux TAP interface @ifname
 * (created if needed; removed on destroy unless it was persistent). The
 * rings are emulated in this process and every frame crosses the kernel
 * with a read() or write(): a development and test path to a real Linux
 * network, NOT a bypass path. @mac is the stack's address (the interface
 * has its own); @features are the ring features to emulate (VERSION_1,
 * EVENT_IDX, MRG_RXBUF, CSUM; checksums are completed in software).
 * Needs CAP_NET_ADMIN to create the interface.
 */
int bypass_tap_open(const char *ifname, const uint8_t mac[6], uint64_t features,
		    struct bypass_dev **out);

/* The interface's name (as the kernel completed a "tap%d" pattern). */
const char *bypass_tap_ifname(const struct bypass_dev *dev);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_DEV_H */
