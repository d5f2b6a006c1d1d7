/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bypass: the ABI between bypass.ko and its userspace (libbypass, bypassctl).
 *
 * Every ioctl with an argument takes a pointer to a struct that starts with
 * __u32 argsz (the size userspace believes the struct has) and __u32 flags.
 * The kernel accepts any argsz at least as large as the first version of the struct;
 * bytes beyond what the kernel knows must be zero (else E2BIG), and every
 * flag bit and reserved field the kernel does not know must be zero (else
 * EINVAL). New fields are only ever appended, so old binaries keep working.
 */
#ifndef _UAPI_LINUX_BYPASS_H
#define _UAPI_LINUX_BYPASS_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on every incompatible change; compatible additions keep it. */
#define BYPASS_ABI_VERSION	1

#define BYPASS_DEVICE_NAME	"bypass"
#define BYPASS_IOCTL_TYPE	0xBF

/**
 * struct bypass_version - BYPASS_GET_VERSION argument
 * @argsz: in: sizeof(struct bypass_version) as compiled by userspace
 * @flags: in: must be 0
 * @abi_version: out: BYPASS_ABI_VERSION of the running module
 * @reserved: in: must be 0
 */
struct bypass_version {
	__u32 argsz;
	__u32 flags;
	__u32 abi_version;
	__u32 reserved;
};

#define BYPASS_GET_VERSION	_IO(BYPASS_IOCTL_TYPE, 0x00)

/* Longest device name accepted by BYPASS_ATTACH, including the NUL. */
#define BYPASS_DEVNAME_LEN	32

/**
 * struct bypass_attach - BYPASS_ATTACH argument
 * @argsz: in: sizeof(struct bypass_attach)
 * @flags: in: must be 0
 * @device: in: PCI address of a claimed device ("0000:00:04.0"), or an
 *	empty string for the first claimed device
 * @queue_pair: in: queue pair index, below max_queue_pairs of the device
 * @reserved: in: must be 0
 *
 * Makes this open file the exclusive owner of one queue pair of a device
 * claimed by bypass.ko (EBUSY if another file owns it). The file keeps the
 * queue pair until BYPASS_DETACH or close. A file owns at most one queue
 * pair (EALREADY). A pair the device has but that is not in use (at or
 * above the pairs in use an administrator set: bypassctl set DEV pairs N)
 * fails with ENXIO; a pair beyond those bypass offers with EINVAL.
 */
struct bypass_attach {
	__u32 argsz;
	__u32 flags;
	char device[BYPASS_DEVNAME_LEN];
	__u32 queue_pair;
	__u32 reserved;
};

/*
 * Offsets for mmap() on the /dev/bypass file, valid once attached. Each
 * region must be mapped whole, MAP_SHARED, at exactly its offset.
 */
#define BYPASS_MMAP_RX_RING	0x00000000ULL	/* read/write */
#define BYPASS_MMAP_TX_RING	0x10000000ULL	/* read/write */
#define BYPASS_MMAP_RX_NOTIFY	0x20000000ULL	/* write-only, one page */
#define BYPASS_MMAP_TX_NOTIFY	0x30000000ULL	/* write-only, one page */
#define BYPASS_MMAP_STATS	0x40000000ULL	/* read/write, one page */

/* Indices of the two queues of a pair, in ioctls and struct arrays. */
#define BYPASS_QUEUE_RX		0
#define BYPASS_QUEUE_TX		1

/* bypass_queue_info.flags */
#define BYPASS_QUEUE_F_NOTIFY_MMAP	0x1 /* doorbell can be mmap'd */

/**
 * struct bypass_queue_info - one virtqueue of the attached pair
 * @index: virtqueue index on the device (2 * pair + 0 for rx, + 1 for tx)
 * @size: number of descriptors (a power of two)
 * @flags: BYPASS_QUEUE_F_*
 * @ring_offset: mmap offset of the ring memory
 * @ring_size: bytes to map at @ring_offset (page multiple)
 * @desc_offset: offset of the descriptor table in the ring memory
 * @avail_offset: offset of the driver (available) ring
 * @used_offset: offset of the device (used) ring
 * @desc_iova: device address of the descriptor table (for reference)
 * @notify_offset: mmap offset of the doorbell page
 *	(when BYPASS_QUEUE_F_NOTIFY_MMAP)
 * @notify_page_offset: where in that page to write the 16-bit queue
 *	index to notify the device
 * @reserved: 0
 */
struct bypass_queue_info {
	__u32 index;
	__u32 size;
	__u32 flags;
	__u32 reserved;
	__u64 ring_offset;
	__u64 ring_size;
	__u64 desc_offset;
	__u64 avail_offset;
	__u64 used_offset;
	__u64 desc_iova;
	__u64 notify_offset;
	__u64 notify_page_offset;
};

/* bypass_info.status bits */
#define BYPASS_STATUS_ATTACHED		0x1
#define BYPASS_STATUS_DEVICE_ERROR	0x2 /* device needs reset */
#define BYPASS_STATUS_REVOKED		0x4 /* device went away */
#define BYPASS_STATUS_UNSAFE_NOIOMMU	0x8 /* no DMA isolation */
#define BYPASS_STATUS_QUEUE_STALLED	0x10 /* tx made no progress: see uapi.rst */

/**
 * struct bypass_info - BYPASS_GET_INFO argument
 * @argsz: in: sizeof(struct bypass_info)
 * @flags: in: must be 0
 * @status: out: BYPASS_STATUS_*
 * @queue_pair: out: attached queue pair
 * @device: out: PCI address of the device
 * @features: out: negotiated virtio feature bits
 * @mac: out: the device's MAC address
 * @mtu: out: MTU (from the device, or as recorded by the admin)
 * @max_queue_pairs: out: queue pairs in use, which may be attached
 *	(0 to max_queue_pairs - 1): those bypass offers, or fewer if an
 *	administrator said so
 * @ipv4_addr: out: IPv4 address recorded at claim time (network order),
 *	0 if none
 * @ipv4_prefix: out: its prefix length
 * @ipv4_gateway: out: default gateway (network order), 0 if none
 * @stats_size: out: bytes to map at BYPASS_MMAP_STATS
 * @queues: out: the rx and tx queue, indexed by BYPASS_QUEUE_RX/TX
 * @reserved: must be 0
 * @pad: must be 0; makes the 8-byte alignment of @queues explicit, so
 *	32-bit and 64-bit userspace see one layout (i386 aligns __u64 to 4)
 */
struct bypass_info {
	__u32 argsz;
	__u32 flags;
	__u32 status;
	__u32 queue_pair;
	char device[BYPASS_DEVNAME_LEN];
	__u64 features;
	__u8 mac[6];
	__u16 mtu;
	__u16 max_queue_pairs;
	__u8 ipv4_prefix;
	__u8 reserved8;
	__u32 ipv4_addr;
	__u32 ipv4_gateway;
	__u32 stats_size;
	__u32 reserved;
	__u32 pad;
	struct bypass_queue_info queues[2];
};

/**
 * struct bypass_qp_stats - the BYPASS_MMAP_STATS page
 * @rx_packets: packets received
 * @rx_bytes: bytes received
 * @rx_drops: received packets dropped
 * @tx_packets: packets sent
 * @tx_bytes: bytes sent
 * @tx_drops: packets that could not be sent
 * @doorbells: doorbell writes through the mapped page
 * @tcp_conns: live TCP connections and listeners (a gauge)
 * @tcp_time_wait: closed TCP connections in TIME_WAIT (a gauge)
 * @tcp_conn_limit_drops: SYNs dropped and connects refused because the
 *	connection table was at its limit
 * @tcp_tw_recycled: TIME_WAITs ended early because the most allowed were
 *	in use
 * @reserved: zero
 *
 * Written by the datapath in userspace (the kernel never sees packets),
 * read by the kernel for `bypassctl show`. The kernel's own counters
 * (interrupts, kicks through BYPASS_KICK) are reported by netlink.
 */
struct bypass_qp_stats {
	__u64 rx_packets;
	__u64 rx_bytes;
	__u64 rx_drops;
	__u64 tx_packets;
	__u64 tx_bytes;
	__u64 tx_drops;
	__u64 doorbells;
	__u64 tcp_conns;
	__u64 tcp_time_wait;
	__u64 tcp_conn_limit_drops;
	__u64 tcp_tw_recycled;
	__u64 reserved[5];
};

/**
 * struct bypass_eventfd - BYPASS_SET_EVENTFD argument
 * @argsz: in: sizeof(struct bypass_eventfd)
 * @flags: in: must be 0
 * @queue: in: BYPASS_QUEUE_RX or BYPASS_QUEUE_TX
 * @fd: in: an eventfd signalled on each interrupt of that queue, or -1 to
 *	stop signalling
 */
struct bypass_eventfd {
	__u32 argsz;
	__u32 flags;
	__u32 queue;
	__s32 fd;
};

/**
 * struct bypass_kick - BYPASS_KICK argument: notify the device that a queue
 *	has new buffers (for devices whose doorbell cannot be mmap'd)
 * @argsz: in: sizeof(struct bypass_kick)
 * @flags: in: must be 0
 * @queue: in: BYPASS_QUEUE_RX or BYPASS_QUEUE_TX
 * @reserved: in: must be 0
 */
struct bypass_kick {
	__u32 argsz;
	__u32 flags;
	__u32 queue;
	__u32 reserved;
};

/* bypass_mem_reg.flags (out) */
#define BYPASS_MEM_F_CONTIGUOUS	0x1 /* iova covers the whole region */

/**
 * struct bypass_mem_reg - BYPASS_REGISTER_MEM argument
 * @argsz: in: sizeof(struct bypass_mem_reg)
 * @flags: in: must be 0; out: BYPASS_MEM_F_*
 * @addr: in: page-aligned start of anonymous, hugetlb or memfd memory
 * @len: in: page-multiple length, at most BYPASS_MEM_MAX
 * @iova: out: device address of @addr when BYPASS_MEM_F_CONTIGUOUS;
 *	otherwise use BYPASS_GET_IOVAS for a per-page table
 * @id: out: region handle for BYPASS_UNREGISTER_MEM and BYPASS_GET_IOVAS
 * @reserved: in: must be 0
 *
 * Pins the pages (charged to RLIMIT_MEMLOCK unless CAP_IPC_LOCK: to the
 * caller's locked_vm and, for as long as they stay pinned, to its user,
 * summed over the user's processes) and maps them for the device. Regions
 * of one file must not overlap (EEXIST).
 */
struct bypass_mem_reg {
	__u32 argsz;
	__u32 flags;
	__u64 addr;
	__u64 len;
	__u64 iova;
	__u32 id;
	__u32 reserved;
};

#define BYPASS_MEM_MAX		0x100000000ULL	/* 4 GiB per region */

/**
 * struct bypass_mem_unreg - BYPASS_UNREGISTER_MEM argument
 * @argsz: in: sizeof(struct bypass_mem_unreg)
 * @flags: in: must be 0
 * @id: in: the region handle
 * @reserved: in: must be 0
 */
struct bypass_mem_unreg {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 reserved;
};

/**
 * struct bypass_iovas - BYPASS_GET_IOVAS argument
 * @argsz: in: sizeof(struct bypass_iovas)
 * @flags: in: must be 0
 * @id: in: region handle
 * @first_page: in: index of the first page wanted
 * @count: in: entries available at @table
 * @reserved: in: must be 0
 * @table: in: user pointer to @count __u64 entries, filled with the device
 *	address of each page (PAGE_SIZE granules)
 */
struct bypass_iovas {
	__u32 argsz;
	__u32 flags;
	__u32 id;
	__u32 first_page;
	__u32 count;
	__u32 reserved;
	__u64 table;
};

#define BYPASS_ATTACH		_IO(BYPASS_IOCTL_TYPE, 0x01)
#define BYPASS_DETACH		_IO(BYPASS_IOCTL_TYPE, 0x02)	/* arg: 0 */
#define BYPASS_GET_INFO		_IO(BYPASS_IOCTL_TYPE, 0x03)
#define BYPASS_SET_EVENTFD	_IO(BYPASS_IOCTL_TYPE, 0x04)
#define BYPASS_KICK		_IO(BYPASS_IOCTL_TYPE, 0x05)
#define BYPASS_REGISTER_MEM	_IO(BYPASS_IOCTL_TYPE, 0x06)
#define BYPASS_UNREGISTER_MEM	_IO(BYPASS_IOCTL_TYPE, 0x07)
#define BYPASS_GET_IOVAS	_IO(BYPASS_IOCTL_TYPE, 0x08)

#endif /* _UAPI_LINUX_BYPASS_H */
