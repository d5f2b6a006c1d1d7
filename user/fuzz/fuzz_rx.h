/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The input format of the fuzz_rx target, shared with its seed generator:
 * one control byte, then a frame (with its virtio-net header in front when
 * FUZZ_RAW_HDR is set).
 */
#ifndef BYPASS_FUZZ_RX_H
#define BYPASS_FUZZ_RX_H

enum {
	FUZZ_RAW_HDR = 1 << 0,	/* bypass the device: fuzz the header too */
	FUZZ_FIX_CSUM = 1 << 1,	/* repair IPv4, UDP and ICMP checksums */
	FUZZ_TICK = 1 << 2,	/* advance the clock by a second */
	FUZZ_SEND = 1 << 3,	/* also send a datagram (ARP queueing) */
	/*
	 * bits 4-6: last byte of the address sent to;
	 * bit 7: claim a too long used length in raw mode
	 */
};

#endif /* BYPASS_FUZZ_RX_H */
