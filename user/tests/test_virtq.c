// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the userspace split-virtqueue driver against the emulated
 * virtio-net device of the in-memory pair: index wraparound, a full ring,
 * EVENT_IDX and flag-based kick and interrupt suppression, merged RX
 * buffers, TX descriptor chains, a device that completes out of order,
 * and a device or driver that breaks the rules.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"
#include "bypass_dev.h"
#include "virtq.h"
#include "vring.h"

#define NBUF	64
#define BUFSZ	2048
#define HDR	12
#define FEAT_ALL (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX | \
		  1ULL << VIRTIO_NET_F_MRG_RXBUF)

/* Side 0 transmits, side 1 receives; one region of NBUF buffers each. */
struct rig {
	struct bypass_pair *pair;
	struct bypass_dev *d0, *d1;
	struct virtq tx, rx;
	uint8_t *mem0, *mem1;
	uint64_t iova0, iova1;
};

static int rig_init_cfg(struct rig *r, const struct bypass_pair_config *c);

static int rig_init(struct rig *r, uint16_t qsize, uint64_t features)
{
	struct bypass_pair_config cfg = { .queue_size = qsize, .features = features };

	return rig_init_cfg(r, &cfg);
}

/* The rig on a pair made by @c; RX set up for BUFSZ buffers only. */
static int rig_init_cfg(struct rig *r, const struct bypass_pair_config *c)
{
	struct bypass_pair_config cfg = *c;
	uint64_t features = cfg.features;
	struct bypass_vring vr;

	memset(r, 0, sizeof(*r));
	if (bypass_pair_create(&cfg, &r->pair))
		return -1;
	r->d0 = bypass_pair_dev(r->pair, 0);
	r->d1 = bypass_pair_dev(r->pair, 1);
	r->mem0 = calloc(NBUF, BUFSZ);
	r->mem1 = calloc(NBUF, BUFSZ);
	if (!r->mem0 || !r->mem1)
		return -1;
	if (r->d0->ops->mem_register(r->d0, r->mem0, NBUF * BUFSZ, &r->iova0) ||
	    r->d1->ops->mem_register(r->d1, r->mem1, NBUF * BUFSZ, &r->iova1))
		return -1;
	bool ev = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);

	if (r->d0->ops->get_vring(r->d0, BYPASS_QUEUE_TX, &vr) ||
	    virtq_init(&r->tx, &vr, ev))
		return -1;
	if (r->d1->ops->get_vring(r->d1, BYPASS_QUEUE_RX, &vr) ||
	    virtq_init(&r->rx, &vr, ev))
		return -1;
	return 0;
}

static void rig_fini(struct rig *r)
{
	virtq_fini(&r->tx);
	virtq_fini(&r->rx);
	bypass_pair_destroy(r->pair);
	free(r->mem0);
	free(r->mem1);
}

static uint64_t iova_of(uint8_t *base, uint64_t iova, void *p)
{
	return iova + (uint64_t)((uint8_t *)p - base);
}

/* Post RX buffer @i (of size @len) on side 1. */
static int post_rx(struct rig *r, int i, uint32_t len)
{
	uint8_t *b = r->mem1 + (size_t)i * BUFSZ;

	return virtq_add(&r->rx, iova_of(r->mem1, r->iova1, b), len, true, b);
}

static void publish(struct virtq *vq, struct bypass_dev *d, unsigned int q)
{
	if (virtq_publish(vq))
		d->ops->kick(d, q);
}

/* Send one frame of @len bytes whose bytes derive from @seq from buffer @i. */
static int send_frame(struct rig *r, int i, uint32_t len, uint32_t seq)
{
	uint8_t *b = r->mem0 + (size_t)i * BUFSZ;
	uint32_t k;

	memset(b, 0, HDR);
	for (k = 0; k < len; k++)
		b[HDR + k] = (uint8_t)(seq * 31 + k);
	return virtq_add(&r->tx, iova_of(r->mem0, r->iova0, b), HDR + len, false, b);
}

static bool frame_ok(const uint8_t *b, uint32_t used_len, uint32_t len,
		     uint32_t seq)
{
	uint32_t k;
	uint16_t nb;

	if (used_len != HDR + len)
		return false;
	memcpy(&nb, b + 10, 2);
	if (le16toh(nb) != 1)
		return false;
	for (k = 0; k < len; k++)
		if (b[HDR + k] != (uint8_t)(seq * 31 + k))
			return false;
	return true;
}

/*
 * Send frames @seq to @seq + 2 from side 0, take each from side 1's RX
 * ring whole and in order and post its buffer again (as the stack does
 * when @writable), then take back every TX buffer. False on any loss.
 */
static bool three_frames_through(struct rig *r, uint32_t seq, bool writable)
{
	uint32_t s, len;

	for (s = seq; s < seq + 3; s++)
		if (send_frame(r, (int)(s % 8), 60 + s % 1400, s))
			return false;
	publish(&r->tx, r->d0, BYPASS_QUEUE_TX);
	for (s = seq; s < seq + 3; s++) {
		uint8_t *b = virtq_get_used(&r->rx, &len);

		if (!b || !frame_ok(b, len, 60 + s % 1400, s))
			return false;
		if (!writable) {
			if (virtq_add(&r->rx, iova_of(r->mem1, r->iova1, b),
				      BUFSZ, true, b))
				return false;
			continue;
		}
		virtq_add_writable(&r->rx, iova_of(r->mem1, r->iova1, b), b);
		virtq_added(&r->rx, 1);
	}
	publish(&r->rx, r->d1, BYPASS_QUEUE_RX);
	while (virtq_get_used(&r->tx, &len))
		;
	return virtq_free(&r->tx) == 8;
}

TEST(wraparound_70000_frames_every_byte)
{
	struct rig r;
	uint32_t seq, got = 0;
	int i;

	ASSERT_EQ(0, rig_init(&r, 8, FEAT_ALL));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, post_rx(&r, i, BUFSZ));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	/* 70000 > 65536: the 16-bit ring indices wrap; slots wrap often. */
	for (seq = 0; seq < 70000; seq += 3, got += 3)
		ASSERT_TRUE(three_frames_through(&r, seq, false)) {
			TH_LOG("frames from %u lost or corrupted", seq);
		}
	EXPECT_EQ(70002u, got);
	EXPECT_EQ(0u, r.tx.bad_used + r.rx.bad_used);
	struct bypass_pair_stats st;

	bypass_pair_stats(r.pair, 1, &st);
	EXPECT_EQ(0u, st.driver_errors);
	EXPECT_EQ(got, st.rx_frames);
	rig_fini(&r);
}

TEST(full_ring_refuses_then_recovers)
{
	struct rig r;
	uint32_t len;
	int i;

	ASSERT_EQ(0, rig_init(&r, 16, FEAT_ALL));
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, send_frame(&r, i, 100, (uint32_t)i));
	EXPECT_EQ(0, virtq_free(&r.tx));
	EXPECT_EQ(-ENOSPC, send_frame(&r, 16, 100, 16));
	/* No RX buffers on the peer: frames wait on the wire. */
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	for (i = 0; i < 16; i++)
		ASSERT_NE(NULL, virtq_get_used(&r.tx, &len));
	EXPECT_EQ(NULL, virtq_get_used(&r.tx, &len));
	EXPECT_EQ(16, virtq_free(&r.tx));
	/* Now buffers appear: the waiting frames arrive in order. */
	for (i = 0; i < 16; i++)
		ASSERT_EQ(0, post_rx(&r, i, BUFSZ));
	EXPECT_EQ(-ENOSPC, post_rx(&r, 17, BUFSZ));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	for (i = 0; i < 16; i++) {
		uint8_t *b = virtq_get_used(&r.rx, &len);

		ASSERT_NE(NULL, b);
		EXPECT_TRUE(frame_ok(b, len, 100, (uint32_t)i));
	}
	rig_fini(&r);
}

TEST(event_idx_suppresses_redundant_kicks)
{
	struct rig r;
	struct bypass_pair_stats st;

	ASSERT_EQ(0, rig_init(&r, 16, FEAT_ALL));
	ASSERT_EQ(0, post_rx(&r, 0, BUFSZ));
	ASSERT_EQ(0, post_rx(&r, 1, BUFSZ));
	/* The device has consumed nothing: it wants the first kick only. */
	EXPECT_TRUE(virtq_publish(&r.rx));
	r.d1->ops->kick(r.d1, BYPASS_QUEUE_RX);
	ASSERT_EQ(0, post_rx(&r, 2, BUFSZ));
	EXPECT_FALSE(virtq_publish(&r.rx));
	/* Nothing new: publishing again does not kick either. */
	EXPECT_FALSE(virtq_publish(&r.rx));
	/* Using one of three buffers leaves the device no reason to ask. */
	ASSERT_EQ(0, send_frame(&r, 0, 64, 0));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	ASSERT_EQ(0, post_rx(&r, 3, BUFSZ));
	EXPECT_FALSE(virtq_publish(&r.rx));
	/* Having used them all, it wants to hear about the next one. */
	ASSERT_EQ(0, send_frame(&r, 1, 64, 1));
	ASSERT_EQ(0, send_frame(&r, 2, 64, 2));
	ASSERT_EQ(0, send_frame(&r, 3, 64, 3));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	ASSERT_EQ(0, post_rx(&r, 4, BUFSZ));
	EXPECT_TRUE(virtq_publish(&r.rx));
	EXPECT_EQ(2u, r.rx.kicks_suppressed);
	bypass_pair_stats(r.pair, 1, &st);
	EXPECT_EQ(1u, st.kicks[BYPASS_QUEUE_RX]);
	rig_fini(&r);
}

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static void irq_suppression(struct __test_metadata *_metadata, uint64_t features)
{
	struct rig r;
	struct bypass_pair_stats st;
	uint32_t len;
	int fd, i;

	ASSERT_EQ(0, rig_init(&r, 16, features));
	fd = r.d1->ops->irq_fd(r.d1, BYPASS_QUEUE_RX);
	ASSERT_GE(fd, 0);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, post_rx(&r, i, BUFSZ));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	/* Interrupts start disabled: frames arrive silently. */
	ASSERT_EQ(0, send_frame(&r, 0, 64, 0));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	EXPECT_FALSE(fd_readable(fd));
	/* Enabling with a used entry pending must say "do not sleep". */
	EXPECT_FALSE(virtq_enable_irq(&r.rx));
	ASSERT_NE(NULL, virtq_get_used(&r.rx, &len));
	EXPECT_TRUE(virtq_enable_irq(&r.rx));
	EXPECT_FALSE(fd_readable(fd));
	ASSERT_EQ(0, send_frame(&r, 1, 64, 1));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	EXPECT_TRUE(fd_readable(fd));
	r.d1->ops->irq_ack(r.d1, BYPASS_QUEUE_RX);
	EXPECT_FALSE(fd_readable(fd));
	/* Disabled again: no interrupt for the next frames. */
	virtq_disable_irq(&r.rx);
	ASSERT_NE(NULL, virtq_get_used(&r.rx, &len));
	ASSERT_EQ(0, send_frame(&r, 2, 64, 2));
	ASSERT_EQ(0, send_frame(&r, 3, 64, 3));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	EXPECT_FALSE(fd_readable(fd));
	bypass_pair_stats(r.pair, 1, &st);
	EXPECT_EQ(1u, st.irqs[BYPASS_QUEUE_RX]);
	EXPECT_EQ(0u, st.driver_errors);
	rig_fini(&r);
}

TEST(event_idx_interrupts_only_when_asked)
{
	irq_suppression(_metadata, FEAT_ALL);
}

TEST(flag_interrupts_only_when_asked)
{
	irq_suppression(_metadata, 1ULL << VIRTIO_F_VERSION_1);
}

TEST(no_event_idx_kicks_every_publish)
{
	struct rig r;

	ASSERT_EQ(0, rig_init(&r, 16, 1ULL << VIRTIO_F_VERSION_1));
	ASSERT_EQ(0, post_rx(&r, 0, BUFSZ));
	EXPECT_TRUE(virtq_publish(&r.rx));
	ASSERT_EQ(0, post_rx(&r, 1, BUFSZ));
	EXPECT_TRUE(virtq_publish(&r.rx));
	/* A device that says NO_NOTIFY is not kicked. */
	vring_store16(&r.rx.vr.used->flags, VRING_USED_F_NO_NOTIFY);
	ASSERT_EQ(0, post_rx(&r, 2, BUFSZ));
	EXPECT_FALSE(virtq_publish(&r.rx));
	rig_fini(&r);
}

/*
 * A device that completes out of order (pairwise, one RX buffer held
 * across polls) over a small ring: a buffer reposted into the avail slot
 * of a descriptor the device still holds must take another descriptor,
 * or the held one is posted twice (its first buffer lost, a used entry
 * for a free id). Every frame arrives whole and in order, nothing is
 * counted bad, and posts did go around held descriptors.
 */
TEST(out_of_order_device_posts_around_held_descriptors)
{
	struct bypass_pair_config cfg = {
		.queue_size = 8, .features = FEAT_ALL, .out_of_order = true,
	};
	struct bypass_vring vr;
	struct bypass_pair_stats st;
	uint32_t seq, got = 0;
	struct rig r;
	int i;

	ASSERT_EQ(0, rig_init_cfg(&r, &cfg));
	/* RX as the stack posts it: constant length and flags. */
	virtq_fini(&r.rx);
	ASSERT_EQ(0, r.d1->ops->get_vring(r.d1, BYPASS_QUEUE_RX, &vr));
	ASSERT_EQ(0, virtq_init_writable(&r.rx, &vr, true, BUFSZ));
	for (i = 0; i < 8; i++)
		virtq_add_writable(&r.rx, r.iova1 + (uint64_t)i * BUFSZ,
				   r.mem1 + (size_t)i * BUFSZ);
	virtq_added(&r.rx, 8);
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	for (seq = 0; seq < 30000; seq += 3, got += 3) {
		ASSERT_TRUE(three_frames_through(&r, seq, true)) {
			TH_LOG("frames from %u lost or corrupted", seq);
		}
		ASSERT_EQ(0, virtq_free(&r.rx));
	}
	EXPECT_EQ(30000u, got);
	EXPECT_EQ(0u, r.tx.bad_used + r.rx.bad_used);
	EXPECT_LT(1000u, r.rx.ids_off_slot);
	bypass_pair_stats(r.pair, 1, &st);
	EXPECT_EQ(0u, st.driver_errors);
	rig_fini(&r);
}

TEST(merged_rx_buffers_carry_num_buffers)
{
	struct rig r;
	uint32_t len, k, total = 0;
	uint16_t nb;
	uint8_t *b[4];
	int i;

	ASSERT_EQ(0, rig_init(&r, 16, FEAT_ALL));
	for (i = 0; i < 8; i++)
		ASSERT_EQ(0, post_rx(&r, i, 256));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	ASSERT_EQ(0, send_frame(&r, 0, 1000, 7));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	/* 12 + 1000 bytes in 256-byte buffers: four buffers. */
	for (i = 0; i < 4; i++) {
		b[i] = virtq_get_used(&r.rx, &len);
		ASSERT_NE(NULL, b[i]);
		EXPECT_EQ(i < 3 ? 256u : 1012u - 768u, len);
		total += len;
	}
	EXPECT_EQ(NULL, virtq_get_used(&r.rx, &len));
	EXPECT_EQ(1012u, total);
	memcpy(&nb, b[0] + 10, 2);
	EXPECT_EQ(4, le16toh(nb));
	for (k = 0; k < 1000; k++) {
		uint32_t at = HDR + k;

		ASSERT_EQ((uint8_t)(7 * 31 + k), b[at / 256][at % 256]);
	}
	rig_fini(&r);
}

TEST(without_mrg_rxbuf_a_small_buffer_drops_the_frame)
{
	struct rig r;
	struct bypass_pair_stats st;
	uint32_t len;

	ASSERT_EQ(0, rig_init(&r, 16, 1ULL << VIRTIO_F_VERSION_1));
	ASSERT_EQ(0, post_rx(&r, 0, 256));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	ASSERT_EQ(0, send_frame(&r, 0, 1000, 1));
	ASSERT_EQ(0, send_frame(&r, 1, 200, 2));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	uint8_t *b = virtq_get_used(&r.rx, &len);

	ASSERT_NE(NULL, b);
	EXPECT_TRUE(frame_ok(b, len, 200, 2));
	bypass_pair_stats(r.pair, 1, &st);
	EXPECT_EQ(1u, st.too_big);
	rig_fini(&r);
}

TEST(device_returning_bad_ids_is_survived)
{
	struct rig r;
	struct vring_used *u;
	uint32_t len;

	ASSERT_EQ(0, rig_init(&r, 8, FEAT_ALL));
	ASSERT_EQ(0, post_rx(&r, 0, BUFSZ));
	virtq_publish(&r.rx);
	/* Play a broken device: an out-of-range id, a never-posted id, a good one. */
	u = r.rx.vr.used;
	u->ring[0].id = htole32(99);
	u->ring[1].id = htole32(5);
	u->ring[2].id = htole32(0);
	u->ring[2].len = htole32(100);
	vring_store16_release(&u->idx, 3);
	EXPECT_EQ(r.mem1, virtq_get_used(&r.rx, &len));
	EXPECT_EQ(100u, len);
	EXPECT_EQ(2u, r.rx.bad_used);
	EXPECT_EQ(NULL, virtq_get_used(&r.rx, &len));
	rig_fini(&r);
}

/*
 * A TX chain of a header and three slices at odd places arrives as one
 * frame in order; completing it returns every cookie once, head first,
 * and frees every descriptor. A device naming a chain's inner descriptor
 * is counted, not believed.
 */
TEST(tx_chains_gather_and_complete_whole)
{
	static const uint32_t lens[3] = { 7, 1000, 333 };
	struct virtq_seg sg[4];
	struct vring_used *u;
	uint32_t len, k, off, i;
	uint8_t *b;
	struct rig r;

	ASSERT_EQ(0, rig_init(&r, 8, FEAT_ALL));
	ASSERT_EQ(0, post_rx(&r, 0, BUFSZ));
	publish(&r.rx, r.d1, BYPASS_QUEUE_RX);
	memset(r.mem0, 0, HDR);
	sg[0].iova = r.iova0;
	sg[0].len = HDR;
	sg[0].cookie = r.mem0;
	for (i = 1, off = 0; i < 4; off += lens[i - 1], i++) {
		uint8_t *p = r.mem0 + (size_t)i * BUFSZ + i * 3;

		for (k = 0; k < lens[i - 1]; k++)
			p[k] = (uint8_t)(off + k);
		sg[i].iova = iova_of(r.mem0, r.iova0, p);
		sg[i].len = lens[i - 1];
		sg[i].cookie = p;
	}
	EXPECT_EQ(-ENOSPC, virtq_add_chain(&r.tx, sg, 9));
	ASSERT_EQ(0, virtq_add_chain(&r.tx, sg, 4));
	EXPECT_EQ(4, virtq_free(&r.tx));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	b = virtq_get_used(&r.rx, &len);
	ASSERT_NE(NULL, b);
	ASSERT_EQ(HDR + off, len);
	for (k = 0; k < off; k++)
		ASSERT_EQ((uint8_t)k, b[HDR + k]);
	for (i = 0; i < 4; i++)
		EXPECT_EQ(sg[i].cookie, virtq_get_used(&r.tx, &len));
	EXPECT_EQ(NULL, virtq_get_used(&r.tx, &len));
	EXPECT_EQ(8, virtq_free(&r.tx));
	EXPECT_EQ(0u, r.tx.bad_used);
	/* Again, and the "device" returns the chain's second descriptor. */
	ASSERT_EQ(0, virtq_add_chain(&r.tx, sg, 4));
	virtq_publish(&r.tx);
	u = r.tx.vr.used;
	k = r.tx.last_used;
	u->ring[k & 7].id = htole32(le16toh(r.tx.vr.desc[le16toh(
		r.tx.vr.avail->ring[(r.tx.avail_idx - 1) & 7])].next));
	vring_store16_release(&u->idx, (uint16_t)(k + 1));
	EXPECT_EQ(NULL, virtq_get_used(&r.tx, &len));
	EXPECT_EQ(1u, r.tx.bad_used);
	EXPECT_EQ(4, virtq_free(&r.tx));
	rig_fini(&r);
}

TEST(driver_mistakes_are_counted_by_the_device)
{
	struct rig r;
	struct bypass_pair_stats st;
	uint32_t len;
	/* Aligned: a cookie's low bit is the ring's own. */
	static uint8_t unregistered[256] __attribute__((aligned(8)));

	ASSERT_EQ(0, rig_init(&r, 8, FEAT_ALL));
	/* An address the device cannot translate, then a header-less frame. */
	ASSERT_EQ(0, virtq_add(&r.tx, (uint64_t)(uintptr_t)unregistered, 100,
			       false, unregistered));
	ASSERT_EQ(0, virtq_add(&r.tx, r.iova0, 4, false, r.mem0));
	publish(&r.tx, r.d0, BYPASS_QUEUE_TX);
	EXPECT_NE(NULL, virtq_get_used(&r.tx, &len));
	EXPECT_NE(NULL, virtq_get_used(&r.tx, &len));
	bypass_pair_stats(r.pair, 0, &st);
	EXPECT_EQ(2u, st.driver_errors);
	EXPECT_EQ(0u, st.tx_frames);
	rig_fini(&r);
}

TEST_HARNESS_MAIN
