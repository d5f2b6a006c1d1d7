/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bypass: the generic netlink family "bypass", through which administrators
 * inspect the devices bypass.ko has claimed and record the IPv4 settings
 * that applications read with BYPASS_GET_INFO.
 *
 * Every operation requires CAP_NET_ADMIN in the initial user namespace and
 * is only available in the initial network namespace (claimed devices are
 * PCI functions, not network interfaces of any namespace). Attributes are
 * validated strictly: unknown attributes, trailing data and a non-zero
 * reserved header field are rejected with EINVAL.
 */
#ifndef _UAPI_LINUX_BYPASS_GENL_H
#define _UAPI_LINUX_BYPASS_GENL_H

#define BYPASS_GENL_NAME	"bypass"
#define BYPASS_GENL_VERSION	1

/**
 * enum bypass_cmd - commands of the "bypass" family
 * @BYPASS_CMD_UNSPEC: unused
 * @BYPASS_CMD_DEV_GET: request: %BYPASS_A_DEV_NAME names one claimed
 *	device; the reply describes it. As a dump (NLM_F_DUMP; request
 *	attributes are validated and ignored): one or more messages per
 *	claimed device, in PCI address order. A device with
 *	many queue pairs may be split over several consecutive messages,
 *	each repeating the device attributes and carrying a part of the
 *	%BYPASS_A_DEV_QP list; userspace merges them by %BYPASS_A_DEV_NAME.
 *	Errors: ENODEV (no claimed device of that name), EINVAL (name
 *	missing, empty, longer than 31 characters or not NUL-terminated),
 *	EPERM (no CAP_NET_ADMIN).
 * @BYPASS_CMD_DEV_SET: request: %BYPASS_A_DEV_NAME and at least one of
 *	%BYPASS_A_DEV_IPV4_ADDR, %BYPASS_A_DEV_IPV4_PREFIX,
 *	%BYPASS_A_DEV_IPV4_GATEWAY, %BYPASS_A_DEV_IPV4_MTU,
 *	%BYPASS_A_DEV_PAIRS_IN_USE. Attributes that are absent keep their
 *	value. The resulting configuration is checked as a whole and applied
 *	atomically, or not at all. Errors: ENODEV, EPERM, EINVAL (nothing to
 *	set, prefix above 32, an address that is not a unicast host address,
 *	a prefix or gateway without an address, a gateway outside the subnet
 *	or equal to the address, pairs in use 0 or above
 *	%BYPASS_A_DEV_QUEUE_PAIRS), ERANGE (MTU below 68 or above the
 *	device's maximum), EBUSY (pairs in use changed while a queue pair is
 *	attached), or the error of the device reset that applies a new
 *	number of pairs in use (ETIMEDOUT, EIO).
 * @__BYPASS_CMD_MAX: internal
 * @BYPASS_CMD_MAX: highest command number
 */
enum bypass_cmd {
	BYPASS_CMD_UNSPEC,
	BYPASS_CMD_DEV_GET,
	BYPASS_CMD_DEV_SET,

	__BYPASS_CMD_MAX,
	BYPASS_CMD_MAX = __BYPASS_CMD_MAX - 1
};

/**
 * enum bypass_attr - attributes of a device message (top level)
 * @BYPASS_A_UNSPEC: unused
 * @BYPASS_A_PAD: padding for 64-bit attributes
 * @BYPASS_A_DEV_NAME: string, PCI address of the device ("0000:00:04.0"),
 *	at most 31 characters
 * @BYPASS_A_DEV_MAC: binary, 6 bytes: the device's MAC address (read-only)
 * @BYPASS_A_DEV_MTU: u32: MTU the device reports, 0 if it reports none
 *	(read-only)
 * @BYPASS_A_DEV_FEATURES: u64: negotiated virtio feature bits (read-only)
 * @BYPASS_A_DEV_MAX_QUEUE_PAIRS: u32: queue pairs the device has
 *	(read-only)
 * @BYPASS_A_DEV_QUEUE_PAIRS: u32: queue pairs bypass offers (read-only)
 * @BYPASS_A_DEV_QUEUE_SIZE: u32: descriptors per data virtqueue
 *	(read-only)
 * @BYPASS_A_DEV_UNSAFE: flag: claimed without IOMMU isolation
 *	(unsafe_noiommu) (read-only)
 * @BYPASS_A_DEV_BROKEN: flag: the device asked for a reset (read-only)
 * @BYPASS_A_DEV_RESETS: u64: full device resets done (read-only)
 * @BYPASS_A_DEV_IPV4_ADDR: be32: IPv4 address recorded for applications,
 *	0 for none
 * @BYPASS_A_DEV_IPV4_PREFIX: u8: its prefix length, 0..32
 * @BYPASS_A_DEV_IPV4_GATEWAY: be32: default gateway, 0 for none
 * @BYPASS_A_DEV_IPV4_MTU: u32: MTU applications should use, overriding
 *	the device's; 0 for none. Accepted: 0, or 68 up to the device's MTU
 *	(65535 when the device reports none)
 * @BYPASS_A_DEV_QP: nest, repeated once per queue pair, &enum
 *	bypass_qp_attr (read-only)
 * @BYPASS_A_DEV_PAIRS_IN_USE: u32: queue pairs in use, 1 up to
 *	%BYPASS_A_DEV_QUEUE_PAIRS (which it equals at claim time): the
 *	number the device is given with VQ_PAIRS_SET, so it delivers received
 *	frames to pairs below it only; BYPASS_ATTACH of a pair at or above it
 *	fails with ENXIO. Set with DEV_SET while no pair is attached; a new
 *	value resets the device and brings it up again.
 * @__BYPASS_A_MAX: internal
 * @BYPASS_A_MAX: highest attribute number
 */
enum bypass_attr {
	BYPASS_A_UNSPEC,
	BYPASS_A_PAD,
	BYPASS_A_DEV_NAME,
	BYPASS_A_DEV_MAC,
	BYPASS_A_DEV_MTU,
	BYPASS_A_DEV_FEATURES,
	BYPASS_A_DEV_MAX_QUEUE_PAIRS,
	BYPASS_A_DEV_QUEUE_PAIRS,
	BYPASS_A_DEV_QUEUE_SIZE,
	BYPASS_A_DEV_UNSAFE,
	BYPASS_A_DEV_BROKEN,
	BYPASS_A_DEV_RESETS,
	BYPASS_A_DEV_IPV4_ADDR,
	BYPASS_A_DEV_IPV4_PREFIX,
	BYPASS_A_DEV_IPV4_GATEWAY,
	BYPASS_A_DEV_IPV4_MTU,
	BYPASS_A_DEV_QP,
	BYPASS_A_DEV_PAIRS_IN_USE,

	__BYPASS_A_MAX,
	BYPASS_A_MAX = __BYPASS_A_MAX - 1
};

/**
 * enum bypass_qp_attr - attributes of one queue pair (in %BYPASS_A_DEV_QP)
 * @BYPASS_A_QP_UNSPEC: unused
 * @BYPASS_A_QP_PAD: padding for 64-bit attributes
 * @BYPASS_A_QP_INDEX: u32: queue pair index
 * @BYPASS_A_QP_OWNER_PID: u32: process (tgid, as seen from the initial
 *	PID namespace) that attached the pair, 0 if it is free
 * @BYPASS_A_QP_PARKED: flag: rings retained until the next device reset
 *	because the device could not be stopped at detach
 * @BYPASS_A_QP_RX: nest, &enum bypass_queue_attr: the receive queue
 * @BYPASS_A_QP_TX: nest, &enum bypass_queue_attr: the transmit queue
 * @BYPASS_A_QP_STATS: nest, &enum bypass_stats_attr: counters the
 *	userspace datapath keeps in its stats page; present only while the
 *	pair is attached
 * @BYPASS_A_QP_STALE: flag: the whole device was reset under the attached
 *	pair, whose queues therefore no longer work; its owner must detach
 *	and attach again
 * @__BYPASS_A_QP_MAX: internal
 * @BYPASS_A_QP_MAX: highest attribute number
 */
enum bypass_qp_attr {
	BYPASS_A_QP_UNSPEC,
	BYPASS_A_QP_PAD,
	BYPASS_A_QP_INDEX,
	BYPASS_A_QP_OWNER_PID,
	BYPASS_A_QP_PARKED,
	BYPASS_A_QP_RX,
	BYPASS_A_QP_TX,
	BYPASS_A_QP_STATS,
	BYPASS_A_QP_STALE,

	__BYPASS_A_QP_MAX,
	BYPASS_A_QP_MAX = __BYPASS_A_QP_MAX - 1
};

/**
 * enum bypass_queue_attr - attributes of one virtqueue of a pair
 * @BYPASS_A_QUEUE_UNSPEC: unused
 * @BYPASS_A_QUEUE_PAD: padding for 64-bit attributes
 * @BYPASS_A_QUEUE_INDEX: u32: virtqueue index on the device
 * @BYPASS_A_QUEUE_INTERRUPTS: u64: interrupts taken since the pair was
 *	last attached
 * @BYPASS_A_QUEUE_KICKS: u64: notifications sent through BYPASS_KICK since
 *	the pair was last attached (doorbell writes through the mapped
 *	doorbell page are counted by userspace, %BYPASS_A_STATS_DOORBELLS)
 * @__BYPASS_A_QUEUE_MAX: internal
 * @BYPASS_A_QUEUE_MAX: highest attribute number
 */
enum bypass_queue_attr {
	BYPASS_A_QUEUE_UNSPEC,
	BYPASS_A_QUEUE_PAD,
	BYPASS_A_QUEUE_INDEX,
	BYPASS_A_QUEUE_INTERRUPTS,
	BYPASS_A_QUEUE_KICKS,

	__BYPASS_A_QUEUE_MAX,
	BYPASS_A_QUEUE_MAX = __BYPASS_A_QUEUE_MAX - 1
};

/**
 * enum bypass_stats_attr - datapath counters of a pair (all u64), copied
 *	from &struct bypass_qp_stats as userspace last wrote them
 * @BYPASS_A_STATS_UNSPEC: unused
 * @BYPASS_A_STATS_PAD: padding for 64-bit attributes
 * @BYPASS_A_STATS_RX_PACKETS: packets received
 * @BYPASS_A_STATS_RX_BYTES: bytes received
 * @BYPASS_A_STATS_RX_DROPS: received packets dropped
 * @BYPASS_A_STATS_TX_PACKETS: packets sent
 * @BYPASS_A_STATS_TX_BYTES: bytes sent
 * @BYPASS_A_STATS_TX_DROPS: packets that could not be sent
 * @BYPASS_A_STATS_DOORBELLS: doorbell writes through the mapped page
 * @BYPASS_A_STATS_TCP_CONNS: live TCP connections and listeners
 * @BYPASS_A_STATS_TCP_TIME_WAIT: closed TCP connections in TIME_WAIT
 * @BYPASS_A_STATS_TCP_CONN_LIMIT_DROPS: SYNs dropped and connects refused
 *	at the connection table's limit
 * @BYPASS_A_STATS_TCP_TW_RECYCLED: TIME_WAITs ended early for room
 * @__BYPASS_A_STATS_MAX: internal
 * @BYPASS_A_STATS_MAX: highest attribute number
 */
enum bypass_stats_attr {
	BYPASS_A_STATS_UNSPEC,
	BYPASS_A_STATS_PAD,
	BYPASS_A_STATS_RX_PACKETS,
	BYPASS_A_STATS_RX_BYTES,
	BYPASS_A_STATS_RX_DROPS,
	BYPASS_A_STATS_TX_PACKETS,
	BYPASS_A_STATS_TX_BYTES,
	BYPASS_A_STATS_TX_DROPS,
	BYPASS_A_STATS_DOORBELLS,
	BYPASS_A_STATS_TCP_CONNS,
	BYPASS_A_STATS_TCP_TIME_WAIT,
	BYPASS_A_STATS_TCP_CONN_LIMIT_DROPS,
	BYPASS_A_STATS_TCP_TW_RECYCLED,

	__BYPASS_A_STATS_MAX,
	BYPASS_A_STATS_MAX = __BYPASS_A_STATS_MAX - 1
};

#endif /* _UAPI_LINUX_BYPASS_GENL_H */
