/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The offload counters after a bulk transfer against Linux must match the
 * NIC: on one that offers them (selftests/vm/run --tap: CSUM, GUEST_CSUM,
 * HOST_TSO4, GUEST_TSO4 with MRG_RXBUF) checksums left to the device and
 * vouched for by it, TSO frames carrying most of the bytes, merged (GSO)
 * frames received; on one that does not (the hub) every counter zero: the
 * software paths carried it all.
 */
#ifndef BYPASS_OFFLOADLIB_H
#define BYPASS_OFFLOADLIB_H

#include <linux/virtio_net.h>

#include "libbypass.h"

/* @bytes: what the stack sent. Call inside a TEST (uses _metadata). */
#define OL_CHECK_OFFLOADS(dev, st, bytes) do {					\
	struct bypass_counters ol_c;						\
	bool ol_csum = bypass_dev_has(dev, VIRTIO_NET_F_CSUM);			\
	bool ol_gcsum = bypass_dev_has(dev, VIRTIO_NET_F_GUEST_CSUM);		\
	bool ol_tso = ol_csum && bypass_dev_has(dev, VIRTIO_NET_F_HOST_TSO4);	\
	bool ol_gro = bypass_dev_has(dev, VIRTIO_NET_F_GUEST_TSO4) &&		\
		      bypass_dev_has(dev, VIRTIO_NET_F_MRG_RXBUF);		\
										\
	bypass_stack_counters(st, &ol_c);					\
	TH_LOG("offloads CSUM %d GUEST_CSUM %d TSO %d GSO in %d: tx_csum %llu," \
	       " tx_tso %llu (%llu bytes), rx_csum_valid %llu, rx_merged %llu"	\
	       " (%llu buffers)", ol_csum, ol_gcsum, ol_tso, ol_gro,		\
	       (unsigned long long)ol_c.offload.tx_csum,			\
	       (unsigned long long)ol_c.offload.tx_tso,				\
	       (unsigned long long)ol_c.offload.tx_tso_bytes,			\
	       (unsigned long long)ol_c.offload.rx_csum_valid,			\
	       (unsigned long long)ol_c.offload.rx_merged,			\
	       (unsigned long long)ol_c.offload.rx_merged_bufs);		\
	/* With the feature the counter moved, without it it did not. */	\
	EXPECT_EQ(ol_csum, ol_c.offload.tx_csum > 0);				\
	EXPECT_EQ(ol_gcsum, ol_c.offload.rx_csum_valid > 0);			\
	EXPECT_EQ(ol_tso, ol_c.offload.tx_tso > 0);				\
	EXPECT_EQ(ol_gro, ol_c.offload.rx_merged > 0);				\
	if (ol_tso) {								\
		/* Most bytes in TSO frames of several segments each. */	\
		EXPECT_LT((uint64_t)(bytes) / 2, ol_c.offload.tx_tso_bytes);	\
		EXPECT_LT(ol_c.offload.tx_tso * 2 * 1448,			\
			  ol_c.offload.tx_tso_bytes);				\
	}									\
	EXPECT_EQ(0u, ol_c.drops[BYPASS_DROP_RING_MERGED]);			\
} while (0)

#endif /* BYPASS_OFFLOADLIB_H */
