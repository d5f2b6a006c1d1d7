// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of two stacks talking over the in-memory pair: ARP both ways,
 * UDP echo of every size with every byte checked (with and without checksum
 * offload, with the legacy header), routing, loss with ARP retries and give
 * up, expiry on the virtual clock, impairments, the wait/arm protocol, and
 * a link-broadcast TCP segment a connection predicts still dropped.
 * Ping is a packet script: the test plays the peer.
 */
#include <errno.h>
#include <poll.h>

#include "kselftest_harness.h"
#include "frames.h"
#include "stack.h"
#include "tcp.h"

#define ECHO_PORT	7
#define CLIENT_PORT	4000
#define SEC		1000000000ull

struct two {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
	struct bypass_udp *sock[2];
};

static bool paged_iova;	/* set by tests that want a page-by-page IOMMU */
static uint32_t tx_backlog;	/* set by tests of the TX backlog's bound */

static int two_init(struct two *t, uint64_t features,
		    const struct bypass_pair_impair *impair)
{
	struct bypass_pair_config pc = {
		.features = features, .queue_size = 128, .paged_iova = paged_iova,
	};
	int i;

	memset(t, 0, sizeof(*t));
	if (impair)
		pc.impair = *impair;
	if (pair_two_stacks(&pc, &(struct bypass_stack_config){
				.pool_bufs = 1024, .tx_backlog = tx_backlog },
			    &t->pair, t->st))
		return -1;
	for (i = 0; i < 2; i++)
		if (bypass_udp_open(t->st[i], i ? ECHO_PORT : CLIENT_PORT, &t->sock[i]))
			return -1;
	return 0;
}

static void two_fini(struct two *t)
{
	bypass_stack_destroy(t->st[0]);
	bypass_stack_destroy(t->st[1]);
	bypass_pair_destroy(t->pair);
}

/* Poll both stacks until neither has anything left to do. */
static void two_run(struct two *t)
{
	stacks_run_idle(t->st[0], t->st[1]);
}

/* Echo everything side 1 received back to its sender, zero-copy. */
static int echo_all(struct two *t)
{
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t port;
	int n = 0;

	while ((b = bypass_udp_recv(t->sock[1], &addr, &port))) {
		if (bypass_udp_sendto(t->sock[1], b, addr, port))
			return -1;
		n++;
	}
	return n;
}

static int send_pattern(struct two *t, uint32_t size, uint32_t seed)
{
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t->st[0]));
	uint32_t k;

	if (!b)
		return -ENOMEM;
	for (k = 0; k < size; k++)
		b->data[k] = (uint8_t)(seed * 7 + k * 13);
	b->len = size;
	return bypass_udp_sendto(t->sock[0], b, IP_PEER, ECHO_PORT);
}

static bool pattern_ok(const struct bypass_buf *b, uint32_t size, uint32_t seed)
{
	uint32_t k;

	if (b->len != size)
		return false;
	for (k = 0; k < size; k++)
		if (b->data[k] != (uint8_t)(seed * 7 + k * 13))
			return false;
	return true;
}

static bool readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static uint64_t one_drops_of(struct bypass_stack *st, unsigned int reason)
{
	struct bypass_counters c;

	bypass_stack_counters(st, &c);
	return c.drops[reason];
}

/* Drops other than the peer's gratuitous ARP (which concerns nobody). */
static uint64_t counter_drops(struct bypass_stack *st)
{
	struct bypass_counters c;

	bypass_stack_counters(st, &c);
	return bypass_drops_total(&c) - c.drops[BYPASS_DROP_ARP_NOT_FOR_US];
}

static void echo_every_size(struct __test_metadata *_metadata, uint64_t features)
{
	struct two t;
	struct bypass_buf *b;
	uint32_t size;
	uint16_t port;
	uint32_t addr;

	ASSERT_EQ(0, two_init(&t, features, NULL));
	for (size = 0; size <= 1472; size++) {
		ASSERT_EQ(0, send_pattern(&t, size, size));
		two_run(&t);
		ASSERT_EQ(1, echo_all(&t));
		two_run(&t);
		b = bypass_udp_recv(t.sock[0], &addr, &port);
		ASSERT_NE(NULL, b);
		ASSERT_TRUE(pattern_ok(b, size, size)) {
			TH_LOG("echo of %u bytes corrupted", size);
		}
		EXPECT_EQ(IP_PEER, addr);
		EXPECT_EQ(ECHO_PORT, port);
		bypass_buf_put(b);
	}
	EXPECT_EQ(0u, counter_drops(t.st[0]));
	EXPECT_EQ(0u, counter_drops(t.st[1]));
	/* Too big for the MTU: refused, counted. */
	EXPECT_EQ(-EMSGSIZE, send_pattern(&t, 1473, 0));
	two_fini(&t);
}

TEST(udp_echo_every_size_software_checksums)
{
	echo_every_size(_metadata, FEAT_DEFAULT);
}

/* The device completes the checksums; the receiver checks them in software. */
TEST(udp_echo_every_size_tx_checksum_offload)
{
	echo_every_size(_metadata, FEAT_DEFAULT | 1ULL << VIRTIO_NET_F_CSUM);
}

/* Both offloads: the receiving device vouches (DATA_VALID). */
TEST(udp_echo_every_size_both_checksum_offloads)
{
	echo_every_size(_metadata, FEAT_DEFAULT | 1ULL << VIRTIO_NET_F_CSUM |
			1ULL << VIRTIO_NET_F_GUEST_CSUM);
}

/* Every buffer's device address looked up page by page. */
TEST(udp_echo_every_size_paged_iommu)
{
	paged_iova = true;
	echo_every_size(_metadata, FEAT_DEFAULT);
}

/* A legacy device: 10-byte header, no EVENT_IDX, but ANY_LAYOUT. */
TEST(udp_echo_every_size_legacy_header_no_event_idx)
{
	echo_every_size(_metadata, 1ULL << VIRTIO_F_ANY_LAYOUT);
}

TEST(legacy_device_without_any_layout_is_refused)
{
	struct bypass_pair_config pc = { .features = 0 };
	struct bypass_stack_config cfg = { .addr = IP_US, .prefix_len = 24 };
	struct bypass_pair *pair;
	struct bypass_stack *st;

	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	EXPECT_EQ(-EOPNOTSUPP, bypass_stack_create(bypass_pair_dev(pair, 0), &cfg, &st));
	bypass_pair_destroy(pair);
}

/* A stack on a fresh jumbo-capable pair; sends @len bytes. */
static int mtu_case_feat(uint64_t features, uint16_t mtu, uint32_t len,
			 int *send_result)
{
	struct bypass_pair_config pc = { .features = features, .mtu = 9000 };
	struct bypass_stack_config cfg = { .addr = IP_US, .prefix_len = 24, .mtu = mtu };
	struct bypass_pair *pair;
	struct bypass_stack *st;
	struct bypass_udp *s;
	struct bypass_buf *b;
	int r;

	if (bypass_pair_create(&pc, &pair))
		return -1;
	r = bypass_stack_create(bypass_pair_dev(pair, 0), &cfg, &st);
	if (!r) {
		bypass_udp_open(st, 1, &s);
		b = bypass_buf_alloc(bypass_stack_pool(st));
		b->len = len;
		*send_result = bypass_udp_sendto(s, b, IP_PEER, 1);
		bypass_stack_destroy(st);
	}
	bypass_pair_destroy(pair);
	return r;
}

static int mtu_case(uint16_t mtu, uint32_t len, int *send_result)
{
	return mtu_case_feat(FEAT_DEFAULT, mtu, len, send_result);
}

TEST(mtu_follows_the_device_and_the_buffers)
{
	uint64_t no_mrg = FEAT_DEFAULT & ~(1ULL << VIRTIO_NET_F_MRG_RXBUF);
	int sent = 1;

	/* A jumbo device: 1500 unless asked... */
	ASSERT_EQ(0, mtu_case(0, 1473, &sent));
	EXPECT_EQ(-EMSGSIZE, sent);
	/* ...without merged RX buffers up to what one buffer holds... */
	ASSERT_EQ(0, mtu_case_feat(no_mrg, 1890, 1890 - 28, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(-EINVAL, mtu_case_feat(no_mrg, 1891, 1, &sent));
	/* ...with them up to the device's (UDP still within one buffer). */
	ASSERT_EQ(0, mtu_case(9000, 1890 - 28, &sent));
	EXPECT_EQ(0, sent);
	EXPECT_EQ(-EINVAL, mtu_case(9001, 1, &sent));
}

/* The echo side 0 received: it must be there; freed. */
static void take_reply(struct __test_metadata *_metadata, struct two *t)
{
	struct bypass_buf *b = bypass_udp_recv(t->sock[0], NULL, NULL);

	ASSERT_NE(NULL, b);
	bypass_buf_put(b);
}

/* A 100-byte datagram echoed back, the stacks polled until idle. */
static void echo_one(struct __test_metadata *_metadata, struct two *t,
		     uint32_t seed)
{
	ASSERT_EQ(0, send_pattern(t, 100, seed));
	two_run(t);
	ASSERT_EQ(1, echo_all(t));
	two_run(t);
	take_reply(_metadata, t);
}

TEST(arp_resolves_both_ways_with_one_request)
{
	struct two t;
	struct bypass_counters c0, c1;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	two_run(&t);
	echo_one(_metadata, &t, 1);
	bypass_stack_counters(t.st[0], &c0);
	bypass_stack_counters(t.st[1], &c1);
	/* Both announced themselves; only side 0 had to ask. */
	EXPECT_EQ(1u, c0.arp.gratuitous_tx);
	EXPECT_EQ(1u, c1.arp.gratuitous_tx);
	EXPECT_EQ(1u, c0.arp.requests_tx);
	EXPECT_EQ(1u, c0.arp.resolved);
	EXPECT_EQ(1u, c1.arp.replies_tx);
	EXPECT_EQ(0u, c1.arp.requests_tx);
	EXPECT_EQ(1u, c1.udp.rx);
	EXPECT_EQ(1u, c0.udp.rx);
	/* The announcements were seen but concern nobody we talk to. */
	EXPECT_EQ(1u, c0.drops[BYPASS_DROP_ARP_NOT_FOR_US]);
	EXPECT_EQ(1u, c1.drops[BYPASS_DROP_ARP_NOT_FOR_US]);
	two_fini(&t);
}

/*
 * One datagram from side 0 echoed by side 1, one poll on each side: the
 * frames side 0's last poll received (1 when all went well).
 */
static int echo_one_by_one_poll(struct two *t, uint32_t seed)
{
	if (send_pattern(t, 100, seed))
		return -1;
	bypass_stack_flush(t->st[0]);
	if (bypass_stack_poll(t->st[1]) != 1 || echo_all(t) != 1)
		return -1;
	bypass_stack_flush(t->st[1]);
	return bypass_stack_poll(t->st[0]);
}

TEST(shared_stats_page_mirrors_the_counters)
{
	struct two t;
	struct bypass_counters c;
	struct bypass_qp_stats *qs;
	struct bypass_dev *d;
	int i;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	d = bypass_pair_dev(t.pair, 0);
	qs = d->ops->stats_page(d);
	ASSERT_NE(NULL, qs);
	ASSERT_EQ(0, send_pattern(&t, 100, 0));
	two_run(&t);
	for (i = 1; i < 11; i++)
		ASSERT_EQ(0, send_pattern(&t, 100, (uint32_t)i));
	EXPECT_EQ(-EMSGSIZE, send_pattern(&t, 2000, 0));
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	/* Gratuitous ARP, ARP request and 11 datagrams out. */
	EXPECT_EQ(c.ring.tx_frames, qs->tx_packets);
	EXPECT_EQ(c.ring.tx_bytes, qs->tx_bytes);
	EXPECT_EQ(13u, qs->tx_packets);
	EXPECT_EQ(c.ring.rx_frames, qs->rx_packets);
	EXPECT_EQ(c.ring.rx_bytes, qs->rx_bytes);
	EXPECT_EQ(1u, qs->tx_drops);
	EXPECT_EQ(c.ring.rx_kicks + c.ring.tx_kicks, qs->doorbells);
	/*
	 * A busy poll within a millisecond of the last write leaves the page
	 * alone; the next poll that finds nothing to do brings it up to date.
	 */
	ASSERT_EQ(11, echo_all(&t));
	two_run(&t);
	ASSERT_EQ(1, echo_one_by_one_poll(&t, 11));
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(c.ring.rx_frames - 1, qs->rx_packets);
	EXPECT_EQ(0, bypass_stack_poll(t.st[0]));
	EXPECT_EQ(c.ring.rx_frames, qs->rx_packets);
	EXPECT_EQ(c.ring.tx_frames, qs->tx_packets);
	/* Busy again a millisecond later: written at once. */
	bypass_pair_advance(t.pair, 1000000);
	ASSERT_EQ(1, echo_one_by_one_poll(&t, 12));
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(c.ring.rx_frames, qs->rx_packets);
	two_fini(&t);
}

/*
 * Busy polls (ones that received something) leave sent buffers on the TX
 * ring and received ones' places on the RX ring empty, and catch up in
 * batches: when STACK_RECLAIM_POLLS polls have passed or no more than
 * rx_inflight_min buffers are left posted. A poll that received nothing catches up at once.
 */
TEST(busy_polls_refill_and_reclaim_in_batches)
{
	struct virtq *rxq, *txq;
	struct two t;
	int i;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	rxq = &t.st[0]->rxq;
	txq = &t.st[0]->txq;
	echo_one(_metadata, &t, 0);	/* resolves ARP */
	ASSERT_EQ(virtq_size(txq), virtq_free(txq));
	ASSERT_EQ(0, virtq_free(rxq));
	/* One echo; side 0's poll receives the reply: a busy poll. */
	ASSERT_EQ(1, echo_one_by_one_poll(&t, 1));
	take_reply(_metadata, &t);
	EXPECT_EQ(virtq_size(txq) - 1, virtq_free(txq));
	EXPECT_EQ(1, virtq_free(rxq));
	/* A poll with nothing to receive takes back and refills. */
	EXPECT_EQ(0, bypass_stack_poll(t.st[0]));
	EXPECT_EQ(virtq_size(txq), virtq_free(txq));
	EXPECT_EQ(0, virtq_free(rxq));
	/* Busy polls only: never more than a batch behind. */
	for (i = 0; i < 4 * STACK_RECLAIM_POLLS; i++) {
		ASSERT_EQ(1, echo_one_by_one_poll(&t, (uint32_t)i));
		take_reply(_metadata, &t);
		ASSERT_LE(virtq_size(txq), virtq_free(txq) + STACK_RECLAIM_POLLS);
		ASSERT_LT(t.st[0]->rx_inflight_min, rxq->inflight);
	}
	two_fini(&t);
}

TEST(arp_retries_through_loss)
{
	struct bypass_pair_impair lossy = { .loss_ppm = 1000000 }, clean = { 0 };
	struct two t;
	struct bypass_counters c;
	struct bypass_buf *b;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, &lossy));
	ASSERT_EQ(0, send_pattern(&t, 64, 3));
	two_run(&t);
	bypass_pair_advance(t.pair, SEC);
	two_run(&t);
	/* Two requests lost; the third gets through. */
	bypass_pair_set_impair(t.pair, &clean);
	bypass_pair_advance(t.pair, SEC);
	two_run(&t);
	b = bypass_udp_recv(t.sock[1], NULL, NULL);
	ASSERT_NE(NULL, b);
	EXPECT_TRUE(pattern_ok(b, 64, 3));
	bypass_buf_put(b);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(3u, c.arp.requests_tx);
	EXPECT_EQ(1u, c.arp.resolved);
	EXPECT_EQ(0u, c.arp.timeouts);
	two_fini(&t);
}

TEST(arp_gives_up_and_drops_what_waited)
{
	struct bypass_pair_impair lossy = { .loss_ppm = 1000000 };
	struct two t;
	struct bypass_counters c;
	int i;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, &lossy));
	/* Sixteen wait for the reply, the seventeenth does not fit. */
	for (i = 0; i < 17; i++)
		send_pattern(&t, 10, (uint32_t)i);
	two_run(&t);
	for (i = 0; i < 3; i++) {
		/* Nothing happens before the retry interval... */
		bypass_pair_advance(t.pair, SEC - 1);
		two_run(&t);
		bypass_stack_counters(t.st[0], &c);
		EXPECT_EQ((uint64_t)i + 1, c.arp.requests_tx);
		/* ...and something does at it. */
		bypass_pair_advance(t.pair, 1);
		two_run(&t);
	}
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(3u, c.arp.requests_tx);
	EXPECT_EQ(1u, c.arp.timeouts);
	EXPECT_EQ(16u, c.drops[BYPASS_DROP_ARP_UNRESOLVED]);
	EXPECT_EQ(1u, c.drops[BYPASS_DROP_ARP_QUEUE_FULL]);
	EXPECT_EQ(0u, bypass_udp_pending(t.sock[1]));
	EXPECT_EQ(UINT64_MAX, bypass_stack_next_timer(t.st[0]));
	two_fini(&t);
}

/*
 * An entry in use when it expires stays in use while it is asked for
 * again: nothing waits and nothing is dropped; one nobody used goes.
 */
TEST(arp_entry_in_use_is_refreshed_not_dropped)
{
	struct two t;
	struct bypass_counters c;
	struct bypass_buf *b;
	uint32_t i;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, send_pattern(&t, 10, 0));
	two_run(&t);
	/* A datagram a second for 130 s: the entry expires twice in use. */
	for (i = 1; i <= 130; i++) {
		bypass_pair_advance(t.pair, SEC);
		two_run(&t);
		ASSERT_EQ(0, send_pattern(&t, 10, i));
		two_run(&t);
		while ((b = bypass_udp_recv(t.sock[1], NULL, NULL)))
			bypass_buf_put(b);
	}
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(2u, c.arp.expired);
	EXPECT_EQ(3u, c.arp.requests_tx);	/* the first and two refreshes */
	EXPECT_EQ(0u, c.drops[BYPASS_DROP_ARP_UNRESOLVED]);
	EXPECT_EQ(0u, c.drops[BYPASS_DROP_ARP_QUEUE_FULL]);
	EXPECT_EQ(0u, c.arp.timeouts);
	bypass_stack_counters(t.st[1], &c);
	EXPECT_EQ(131u, c.udp.rx);
	/* Used since its last confirmation: refreshed once more... */
	bypass_pair_advance(t.pair, 61 * SEC);
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(3u, c.arp.expired);
	EXPECT_EQ(4u, c.arp.requests_tx);
	/* ...then unused: the next expiry frees it, with no request. */
	bypass_pair_advance(t.pair, 61 * SEC);
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(4u, c.arp.expired);
	EXPECT_EQ(4u, c.arp.requests_tx);
	two_fini(&t);
}

/* A stale entry (expired in use, asked again) is used at once. */
TEST(arp_stale_entry_is_used_while_asked_again)
{
	uint8_t f[2048];
	struct two t;
	bool arp = false, ip = false;
	ssize_t n;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, send_pattern(&t, 10, 0));
	two_run(&t);
	ASSERT_EQ(0, send_pattern(&t, 10, 1));	/* the resolved entry used */
	two_run(&t);
	/* Its refresh request will not be answered: it stays stale. */
	bypass_pair_set_capture(t.pair, 0, true);
	bypass_pair_advance(t.pair, 60 * SEC);
	two_run(&t);
	ASSERT_EQ(0, send_pattern(&t, 10, 2));
	two_run(&t);
	while ((n = bypass_pair_capture_pop(t.pair, 0, f, sizeof(f))) > 0) {
		arp |= f[12] == 0x08 && f[13] == 0x06;
		ip |= f[12] == 0x08 && f[13] == 0x00;
	}
	EXPECT_TRUE(arp);
	EXPECT_TRUE(ip);
	two_fini(&t);
}

TEST(arp_entry_expires_on_the_virtual_clock)
{
	struct two t;
	struct bypass_counters c;
	struct bypass_buf *b;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, send_pattern(&t, 10, 1));
	two_run(&t);
	/* The retry deadline of the request is stale but harmless: */
	EXPECT_LE(bypass_stack_next_timer(t.st[0]), 60 * SEC);
	bypass_pair_advance(t.pair, SEC);
	two_run(&t);
	/* after it, the next deadline is the entry's expiry. */
	EXPECT_EQ(59 * SEC, bypass_stack_next_timer(t.st[0]));
	ASSERT_EQ(0, send_pattern(&t, 10, 2));
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(1u, c.arp.requests_tx);
	bypass_pair_advance(t.pair, 59 * SEC - 1);
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(0u, c.arp.expired);
	bypass_pair_advance(t.pair, 1);
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(1u, c.arp.expired);
	ASSERT_EQ(0, send_pattern(&t, 10, 3));
	two_run(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(2u, c.arp.requests_tx);
	EXPECT_EQ(3u, bypass_udp_pending(t.sock[1]));
	while ((b = bypass_udp_recv(t.sock[1], NULL, NULL)))
		bypass_buf_put(b);
	two_fini(&t);
}

TEST(delay_holds_frames_until_the_clock_moves)
{
	struct bypass_pair_impair slow = { .delay_ns = 5000000 };
	struct two t;
	struct bypass_buf *b;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, &slow));
	/* Let the gratuitous ARPs pass: they would teach the MACs. */
	bypass_pair_advance(t.pair, 5000000);
	two_run(&t);
	ASSERT_EQ(0, send_pattern(&t, 10, 1));
	two_run(&t);
	bypass_pair_advance(t.pair, 5000000);	/* the ARP request */
	two_run(&t);
	bypass_pair_advance(t.pair, 4999999);	/* the reply, almost */
	two_run(&t);
	EXPECT_EQ(0u, bypass_udp_pending(t.sock[1]));
	bypass_pair_advance(t.pair, 1);
	two_run(&t);
	EXPECT_EQ(0u, bypass_udp_pending(t.sock[1]));
	bypass_pair_advance(t.pair, 5000000);	/* the datagram */
	two_run(&t);
	b = bypass_udp_recv(t.sock[1], NULL, NULL);
	ASSERT_NE(NULL, b);
	bypass_buf_put(b);
	two_fini(&t);
}

/* Send 300 datagrams over a bad wire; returns how many arrived intact. */
static int lossy_run(struct __test_metadata *_metadata, uint64_t seed,
		     struct bypass_pair_stats *st)
{
	struct bypass_pair_impair bad = {
		.seed = seed, .loss_ppm = 100000, .dup_ppm = 50000,
		.reorder_ppm = 100000, .delay_ns = 1000, .reorder_ns = 50000,
	};
	struct bypass_pair_impair clean = { .delay_ns = 1000 };
	struct two t;
	struct bypass_buf *b;
	int i, got = 0;
	uint16_t port;

	EXPECT_EQ(0, two_init(&t, FEAT_DEFAULT, &clean));
	/* Resolve first, on a clean wire, so loss hits only data. */
	EXPECT_EQ(0, send_pattern(&t, 1, 0));
	for (i = 0; i < 3; i++) {
		bypass_pair_advance(t.pair, 1000);
		two_run(&t);
	}
	bypass_buf_put(bypass_udp_recv(t.sock[1], NULL, NULL));
	bypass_pair_set_impair(t.pair, &bad);
	for (i = 0; i < 300; i++) {
		struct bypass_buf *s = bypass_buf_alloc(bypass_stack_pool(t.st[0]));

		memset(s->data, i & 0xff, 200);
		s->len = 200;
		EXPECT_EQ(0, bypass_udp_sendto(t.sock[0], s, IP_PEER, ECHO_PORT));
		bypass_pair_advance(t.pair, 10000);
		two_run(&t);
		while ((b = bypass_udp_recv(t.sock[1], NULL, &port))) {
			uint32_t k;

			for (k = 0; k < 200; k++)
				if (b->data[k] != b->data[0])
					break;
			EXPECT_EQ(200u, k);
			EXPECT_EQ(200u, b->len);
			got++;
			bypass_buf_put(b);
		}
	}
	/* Let the stragglers held back for reordering arrive. */
	bypass_pair_advance(t.pair, 1000000);
	two_run(&t);
	while ((b = bypass_udp_recv(t.sock[1], NULL, NULL))) {
		got++;
		bypass_buf_put(b);
	}
	bypass_pair_stats(t.pair, 1, st);
	two_fini(&t);
	return got;
}

TEST(impairments_are_seeded_and_repeatable)
{
	struct bypass_pair_stats a, b, c;
	int ga = lossy_run(_metadata, 42, &a);
	int gb = lossy_run(_metadata, 42, &b);
	int gc = lossy_run(_metadata, 43, &c);

	EXPECT_GT(a.lost, 0u);
	EXPECT_GT(a.duplicated, 0u);
	EXPECT_GT(a.reordered, 0u);
	EXPECT_EQ(300 - (int)a.lost + (int)a.duplicated, ga);
	EXPECT_EQ(ga, gb);
	EXPECT_EQ(a.lost, b.lost);
	EXPECT_EQ(a.duplicated, b.duplicated);
	EXPECT_EQ(a.reordered, b.reordered);
	/* Another seed, another run. */
	EXPECT_TRUE(a.lost != c.lost || a.duplicated != c.duplicated ||
		    a.reordered != c.reordered);
	EXPECT_EQ(300 - (int)c.lost + (int)c.duplicated, gc);
}

TEST(burst_larger_than_the_rings_arrives_whole)
{
	struct two t;
	struct bypass_counters c;
	struct bypass_buf *b;
	uint32_t i, got = 0;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, send_pattern(&t, 8, 0));
	two_run(&t);
	bypass_buf_put(bypass_udp_recv(t.sock[1], NULL, NULL));
	/* 250 sends without a poll: more than the 128-entry TX ring. */
	for (i = 0; i < 250; i++)
		ASSERT_EQ(0, send_pattern(&t, 300, i));
	two_run(&t);
	while ((b = bypass_udp_recv(t.sock[1], NULL, NULL))) {
		EXPECT_TRUE(pattern_ok(b, 300, got));
		got++;
		bypass_buf_put(b);
	}
	EXPECT_EQ(250u, got);
	bypass_stack_counters(t.st[0], &c);
	/* Far fewer doorbells than frames. */
	EXPECT_LT(c.ring.tx_kicks, 10u);
	two_fini(&t);
}

/*
 * A device that stopped taking frames: the 128-entry TX ring fills, the
 * next 32 frames wait on the backlog, and the backlog full, the rest are
 * refused and counted. Once the device catches up the 160 frames arrive,
 * in order.
 */
TEST(full_tx_ring_backlogs_then_refuses_then_recovers)
{
	struct bypass_counters c;
	struct two t;
	struct bypass_buf *b;
	uint32_t i, got = 0;
	int r, refused = 0;

	tx_backlog = 32;
	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	tx_backlog = 0;
	ASSERT_EQ(0, send_pattern(&t, 8, 0));
	two_run(&t);
	bypass_buf_put(bypass_udp_recv(t.sock[1], NULL, NULL));
	bypass_pair_set_tx_stall(t.pair, 0, true);
	for (i = 0; i < 170; i++) {
		r = send_pattern(&t, 100, i);
		if (r) {
			EXPECT_EQ(-EAGAIN, r);
			refused++;
		}
		bypass_stack_poll(t.st[0]);
	}
	EXPECT_EQ(170 - 128 - 32, refused);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ((uint64_t)refused, one_drops_of(t.st[0], BYPASS_DROP_TX_BACKLOG_FULL));
	EXPECT_EQ(32u, c.ring.tx_backlogged);
	/* Frames waiting arm the TX interrupt too. */
	EXPECT_TRUE(bypass_stack_arm(t.st[0]));
	EXPECT_FALSE(readable(bypass_stack_tx_fd(t.st[0])));
	/* The device catches up: the completions wake the sender... */
	bypass_pair_set_tx_stall(t.pair, 0, false);
	EXPECT_TRUE(readable(bypass_stack_tx_fd(t.st[0])));
	EXPECT_EQ(1, bypass_stack_wait(t.st[0], 5000));
	/* ...the backlog drains and all 160 frames arrive, in order. */
	two_run(&t);
	EXPECT_FALSE(readable(bypass_stack_tx_fd(t.st[0])));
	while ((b = bypass_udp_recv(t.sock[1], NULL, NULL))) {
		EXPECT_TRUE(pattern_ok(b, 100, got));
		got++;
		bypass_buf_put(b);
	}
	EXPECT_EQ(160u, got);
	EXPECT_EQ((uint64_t)refused, one_drops_of(t.st[0], BYPASS_DROP_TX_BACKLOG_FULL));
	/* And sending works again. */
	EXPECT_EQ(0, send_pattern(&t, 100, 0));
	two_fini(&t);
}

/* A datagram of an unassigned protocol (the peer drops it): ipv4_send()'s answer. */
static int send_raw(struct two *t)
{
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t->st[0]));

	if (!b)
		return -ENOMEM;
	memset(b->data, 0x5a, 40);
	b->len = 40;
	return ipv4_send(t->st[0], b, IP_PEER, 253);
}

/*
 * ipv4_send() says where each frame went: held for ARP before the peer
 * is known, on the ring once it is, on the backlog once the ring is full.
 */
TEST(ipv4_send_tells_ring_from_arp_wait_and_backlog)
{
	struct two t;
	int i, r = 0;

	tx_backlog = 8;
	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	tx_backlog = 0;
	EXPECT_EQ(STACK_TX_ARP_WAIT, send_raw(&t));
	/* A second one waits behind the request, which is not sent again. */
	EXPECT_EQ(STACK_TX_ARP_WAIT, send_raw(&t));
	two_run(&t);
	EXPECT_EQ(2u, one_drops_of(t.st[1], BYPASS_DROP_IPV4_UNKNOWN_PROTO));
	EXPECT_EQ(STACK_TX_POSTED, send_raw(&t));
	two_run(&t);
	bypass_pair_set_tx_stall(t.pair, 0, true);
	/* 128 descriptors: every one until then goes on the ring. */
	for (i = 0; i < 200; i++) {
		r = send_raw(&t);
		if (r != STACK_TX_POSTED)
			break;
	}
	EXPECT_EQ(128, i);
	EXPECT_EQ(STACK_TX_BACKLOG, r);
	EXPECT_EQ(STACK_TX_BACKLOG, send_raw(&t));
	/* The wrapper the other callers use still says 0. */
	{
		struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));

		ASSERT_NE(NULL, b);
		b->len = 40;
		EXPECT_EQ(0, ipv4_output(t.st[0], b, IP_PEER, 253));
	}
	bypass_pair_set_tx_stall(t.pair, 0, false);
	two_run(&t);
	EXPECT_EQ(2u + 1 + 128 + 3, one_drops_of(t.st[1], BYPASS_DROP_IPV4_UNKNOWN_PROTO));
	two_fini(&t);
}

TEST(two_stacks_ping_each_other)
{
	struct bypass_ping *p, *other;
	struct bypass_buf *b;
	struct two t;
	uint32_t addr, k;
	uint16_t seq;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, bypass_ping_open(t.st[0], 0x1234, &p));
	/* 0x1274 falls in the same of the 64 slots. */
	EXPECT_EQ(-EADDRINUSE, bypass_ping_open(t.st[0], 0x1274, &other));
	for (seq = 1; seq <= 20; seq++) {
		uint32_t size = seq * 70u;

		b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));
		for (k = 0; k < size; k++)
			b->data[k] = (uint8_t)(seq + k);
		b->len = size;
		ASSERT_EQ(0, bypass_ping_send(p, b, IP_PEER, seq));
		two_run(&t);
		b = bypass_ping_recv(p, &addr, &seq);
		ASSERT_NE(NULL, b);
		EXPECT_EQ(IP_PEER, addr);
		ASSERT_EQ(size, b->len);
		for (k = 0; k < size; k++)
			ASSERT_EQ((uint8_t)(seq + k), b->data[k]);
		bypass_buf_put(b);
	}
	EXPECT_EQ(NULL, bypass_ping_recv(p, NULL, NULL));
	EXPECT_EQ(0u, counter_drops(t.st[0]));
	EXPECT_EQ(0u, counter_drops(t.st[1]));
	/* After close, replies have nowhere to go: counted. */
	b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));
	b->len = 8;
	ASSERT_EQ(0, bypass_ping_send(p, b, IP_PEER, 99));
	bypass_ping_close(p);
	two_run(&t);
	struct bypass_counters c;

	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(1u, c.drops[BYPASS_DROP_ICMP_NO_SOCKET]);
	two_fini(&t);
}

TEST(ping_is_answered_in_place)
{
	struct one o;
	uint8_t f[256], payload[100];
	struct bypass_counters c;
	uint8_t *ip, *ic;
	size_t n;
	int i;

	for (i = 0; i < 100; i++)
		payload[i] = (uint8_t)(i * 3);
	ASSERT_EQ(0, one_init(&o, FEAT_DEFAULT));
	while (one_tx(&o) > 0)
		;
	one_learn_peer(&o);
	n = t_ping(f, mac_us, IP_PEER, IP_US, 0x77, 5, payload, sizeof(payload));
	one_rx(&o, f, n);
	ASSERT_EQ((ssize_t)n, one_tx(&o));
	ip = o.frame + ETH_HLEN;
	ic = ip + 20;
	EXPECT_EQ(0, memcmp(o.frame, mac_peer, 6));
	EXPECT_EQ(0, memcmp(o.frame + 6, mac_us, 6));
	EXPECT_EQ(0, t_csum(ip, 20, 0));
	EXPECT_EQ(0, memcmp(ip + 12, f + ETH_HLEN + 16, 4));	/* src = our addr */
	EXPECT_EQ(0, memcmp(ip + 16, f + ETH_HLEN + 12, 4));	/* dst = pinger */
	EXPECT_EQ(ICMP_ECHOREPLY, ic[0]);
	EXPECT_EQ(0, t_csum(ic, n - ETH_HLEN - 20, 0));
	/* Identifier, sequence and payload come back unchanged. */
	EXPECT_EQ(0, memcmp(ic + 4, f + ETH_HLEN + 24, 4 + sizeof(payload)));
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(1u, c.icmp.echo_replies_tx);
	one_fini(&o);
}

TEST(broadcast_sends_need_no_arp_and_ttl_is_configurable)
{
	struct bypass_stack_config cfg = {
		.addr = IP_US, .prefix_len = 24, .pool_bufs = 512, .ttl = 7,
	};
	struct bypass_udp *s;
	struct bypass_buf *b;
	struct one o;
	uint32_t dst;

	ASSERT_EQ(0, one_init_cfg(&o, FEAT_DEFAULT, &cfg));
	while (one_tx(&o) > 0)
		;
	ASSERT_EQ(0, bypass_udp_open(o.st, 68, &s));
	b = bypass_buf_alloc(bypass_stack_pool(o.st));
	b->len = 10;
	ASSERT_EQ(0, bypass_udp_sendto(s, b, IP(10, 0, 0, 255), 67));
	bypass_stack_poll(o.st);
	ASSERT_EQ(ETH_HLEN + 20 + 8 + 10, one_tx(&o));
	EXPECT_EQ(0, memcmp(o.frame, mac_bcast, 6));
	EXPECT_EQ(7, o.frame[ETH_HLEN + 8]);
	memcpy(&dst, o.frame + ETH_HLEN + 16, 4);
	EXPECT_EQ(IP(10, 0, 0, 255), dst);
	EXPECT_EQ(0, t_csum(o.frame + ETH_HLEN, 20, 0));
	EXPECT_EQ(0, one_tx(&o));
	one_fini(&o);
}

TEST(rx_waits_while_the_application_holds_every_buffer)
{
	struct bypass_stack_config cfg = {
		.addr = IP_US, .prefix_len = 24, .pool_bufs = 80,
	};
	struct bypass_buf *held[80], *b;
	struct bypass_udp *s;
	uint8_t f[128];
	struct one o;
	int i, n = 0, got = 0, idle;

	/* 64 of the 80 buffers sit on the RX ring. */
	ASSERT_EQ(0, one_init_cfg(&o, FEAT_DEFAULT, &cfg));
	while (one_tx(&o) > 0)
		;
	ASSERT_EQ(0, bypass_udp_open(o.st, 7, &s));
	while ((held[n] = bypass_buf_alloc(bypass_stack_pool(o.st))))
		n++;
	EXPECT_EQ(80 - 64, n);
	/* 100 datagrams: 64 fill the ring; it cannot be refilled. */
	for (i = 0; i < 100; i++) {
		bypass_pair_inject(o.pair, 0, f, t_udp(f, mac_us, IP_PEER, IP_US,
						       1, 7, &i, sizeof(i)));
		bypass_stack_poll(o.st);
	}
	EXPECT_EQ(64u, bypass_udp_pending(s));
	/* Give buffers back: the rest arrive, in order, none lost. */
	for (i = 0; i < n; i++)
		bypass_buf_put(held[i]);
	for (idle = 0; idle < 2;) {
		b = bypass_udp_recv(s, NULL, NULL);
		if (!b) {
			/* A refill lets waiting frames in: poll until quiet. */
			idle = bypass_stack_poll(o.st) ? 0 : idle + 1;
			continue;
		}
		EXPECT_EQ(0, memcmp(b->data, &got, sizeof(got)));
		got++;
		bypass_buf_put(b);
	}
	EXPECT_EQ(100, got);
	EXPECT_EQ(0u, one_drops(&o, BYPASS_DROP_NR));
	one_fini(&o);
}

TEST(routing_uses_the_gateway_off_link_and_fails_without_one)
{
	struct bypass_stack_config nogw = { .addr = IP_US, .prefix_len = 24 };
	struct bypass_udp *s;
	struct bypass_buf *b;
	struct one o;
	uint32_t tpa;

	ASSERT_EQ(0, one_init(&o, FEAT_DEFAULT));
	while (one_tx(&o) > 0)
		;
	ASSERT_EQ(0, bypass_udp_open(o.st, 5000, &s));
	b = bypass_buf_alloc(bypass_stack_pool(o.st));
	b->len = 4;
	ASSERT_EQ(0, bypass_udp_sendto(s, b, IP(192, 0, 2, 1), 53));
	bypass_stack_poll(o.st);
	/* An ARP request for the gateway, not for 192.0.2.1. */
	ASSERT_EQ(42, one_tx(&o));
	memcpy(&tpa, o.frame + ETH_HLEN + 24, 4);
	EXPECT_EQ(IP_GW, tpa);
	/* Misaligned payload and a zero port are refused. */
	b = bypass_buf_alloc(bypass_stack_pool(o.st));
	b->data++;
	EXPECT_EQ(-EINVAL, bypass_udp_sendto(s, b, IP_PEER, 53));
	b = bypass_buf_alloc(bypass_stack_pool(o.st));
	EXPECT_EQ(-EINVAL, bypass_udp_sendto(s, b, IP_PEER, 0));
	EXPECT_EQ(-EADDRINUSE, bypass_udp_open(o.st, 5000, &s));
	one_fini(&o);

	ASSERT_EQ(0, one_init_cfg(&o, FEAT_DEFAULT, &nogw));
	ASSERT_EQ(0, bypass_udp_open(o.st, 5000, &s));
	b = bypass_buf_alloc(bypass_stack_pool(o.st));
	EXPECT_EQ(-ENETUNREACH, bypass_udp_sendto(s, b, IP(192, 0, 2, 1), 53));
	EXPECT_EQ(1u, one_drops(&o, BYPASS_DROP_IPV4_NO_ROUTE));
	one_fini(&o);
}

/*
 * The headers ipv4_output prebuilds for the last destination: one
 * stack, the test plays the peer. Sends a 4-byte datagram to the peer.
 */
static void send_to_peer(struct __test_metadata *_metadata, struct one *o,
			 struct bypass_udp *s)
{
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(o->st));

	ASSERT_NE(NULL, b);
	b->len = 4;
	ASSERT_EQ(0, bypass_udp_sendto(s, b, IP_PEER, 53));
	bypass_stack_flush(o->st);
}

/* The next frame sent is an ARP request for @tpa. */
static bool next_is_arp_request_for(struct one *o, uint32_t tpa)
{
	uint32_t got;

	if (one_tx(o) != ETH_HLEN + 28 || o->frame[12] != 0x08 ||
	    o->frame[13] != 0x06 || o->frame[ETH_HLEN + 7] != ARPOP_REQUEST)
		return false;
	memcpy(&got, o->frame + ETH_HLEN + 24, 4);
	return got == tpa;
}

/* The next frame sent is our IPv4 datagram, to Ethernet address @mac. */
static bool next_is_ipv4_to(struct one *o, const uint8_t *mac)
{
	return one_tx(o) > ETH_HLEN + 20 && o->frame[12] == 0x08 &&
	       o->frame[13] == 0x00 && !memcmp(o->frame, mac, 6) &&
	       !t_csum(o->frame + ETH_HLEN, 20, 0);
}

/*
 * One stack that knows the peer's MAC and has sent it a datagram on the
 * UDP socket *@s (port 5000), which left with that MAC.
 */
static void one_sending_to_peer(struct __test_metadata *_metadata,
				struct one *o, struct bypass_udp **s)
{
	ASSERT_EQ(0, one_init(o, FEAT_DEFAULT));
	one_learn_peer(o);
	ASSERT_EQ(0, bypass_udp_open(o->st, 5000, s));
	send_to_peer(_metadata, o, *s);
	ASSERT_TRUE(next_is_ipv4_to(o, mac_peer));
}

/* The peer's address moves to another MAC: the next datagram follows it. */
TEST(tx_cache_follows_a_changed_mac)
{
	static const uint8_t mac_new[6] = { 0x52, 0x54, 0x00, 0xb9, 0x00, 0x22 };
	struct bypass_udp *s;
	struct one o;
	uint8_t f[64];

	one_sending_to_peer(_metadata, &o, &s);
	send_to_peer(_metadata, &o, s);
	EXPECT_TRUE(next_is_ipv4_to(&o, mac_peer));
	/* A gratuitous ARP: IP_PEER is at mac_new now. */
	one_rx(&o, f, t_arp(f, ARPOP_REQUEST, mac_bcast, mac_new, IP_PEER,
			    NULL, IP_PEER));
	send_to_peer(_metadata, &o, s);
	EXPECT_TRUE(next_is_ipv4_to(&o, mac_new));
	one_fini(&o);
}

/*
 * The entry expires in use between two sends, no poll in between: sends
 * do not read the clock, so the datagram still leaves on the prebuilt
 * headers; the next poll's ARP timers expire the entry and ask again
 * (request first), and datagrams keep going to the known MAC meanwhile.
 */
TEST(tx_cache_expires_with_the_arp_entry)
{
	struct bypass_counters c;
	struct bypass_udp *s;
	struct one o;

	one_sending_to_peer(_metadata, &o, &s);
	bypass_pair_advance(o.pair, 60 * SEC);
	send_to_peer(_metadata, &o, s);
	EXPECT_TRUE(next_is_ipv4_to(&o, mac_peer));
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(0u, c.arp.expired);
	bypass_stack_poll(o.st);
	EXPECT_TRUE(next_is_arp_request_for(&o, IP_PEER));
	send_to_peer(_metadata, &o, s);
	EXPECT_TRUE(next_is_ipv4_to(&o, mac_peer));
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(1u, c.arp.expired);
	one_fini(&o);
}

/*
 * A stale entry (in use, asked again) that never gets an answer is
 * freed: what is sent then waits for ARP instead of going to the old MAC.
 */
TEST(tx_cache_dropped_when_arp_fails)
{
	struct bypass_counters c;
	struct bypass_udp *s;
	struct one o;
	int i;

	one_sending_to_peer(_metadata, &o, &s);
	/* Expired in use: stale, asked again, still used. */
	bypass_pair_advance(o.pair, 60 * SEC);
	bypass_stack_poll(o.st);
	EXPECT_TRUE(next_is_arp_request_for(&o, IP_PEER));
	send_to_peer(_metadata, &o, s);
	EXPECT_TRUE(next_is_ipv4_to(&o, mac_peer));
	/* Two more requests, no answer: the entry goes. */
	for (i = 0; i < 3; i++) {
		bypass_pair_advance(o.pair, SEC);
		bypass_stack_poll(o.st);
	}
	while (one_tx(&o) > 0)
		;
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(1u, c.arp.timeouts);
	send_to_peer(_metadata, &o, s);
	bypass_stack_poll(o.st);
	EXPECT_TRUE(next_is_arp_request_for(&o, IP_PEER));
	EXPECT_GE(0, one_tx(&o));	/* the datagram waits */
	one_fini(&o);
}

TEST(wait_spins_then_sleeps_and_never_misses_a_frame)
{
	struct bypass_stack_config cfg = {
		.addr = IP_US, .prefix_len = 24, .pool_bufs = 512, .spin_ns = 1000,
	};
	struct bypass_counters c;
	uint8_t f[128];
	struct one o;
	size_t n;
	int fd;

	ASSERT_EQ(0, one_init_cfg(&o, FEAT_DEFAULT, &cfg));
	n = t_udp(f, mac_us, IP_PEER, IP_US, 1, 9, "x", 1);
	fd = bypass_stack_fd(o.st);
	ASSERT_GE(fd, 0);
	/* Nothing to do: spins, sleeps, times out. */
	EXPECT_EQ(0, bypass_stack_wait(o.st, 0));
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(1u, c.ring.sleeps);
	bypass_stack_poll(o.st);
	/* A frame already there: no sleep. */
	bypass_pair_inject(o.pair, 0, f, n);
	EXPECT_EQ(1, bypass_stack_wait(o.st, 1000));
	EXPECT_FALSE(bypass_stack_arm(o.st));
	bypass_stack_counters(o.st, &c);
	EXPECT_EQ(1u, c.ring.sleeps);
	EXPECT_EQ(1, bypass_stack_poll(o.st));
	/* Armed, then a frame: the fd wakes the sleeper. */
	EXPECT_TRUE(bypass_stack_arm(o.st));
	EXPECT_FALSE(readable(fd));
	bypass_pair_inject(o.pair, 0, f, n);
	EXPECT_TRUE(readable(fd));
	EXPECT_EQ(1, bypass_stack_wait(o.st, 1000));
	EXPECT_EQ(1, bypass_stack_poll(o.st));
	/* The poll consumed the wakeup and turned interrupts off again. */
	EXPECT_FALSE(readable(fd));
	bypass_pair_inject(o.pair, 0, f, n);
	EXPECT_FALSE(readable(fd));
	EXPECT_EQ(1, bypass_stack_poll(o.st));
	one_fini(&o);
}

TEST(wait_wakes_for_a_due_timer)
{
	struct one o;

	ASSERT_EQ(0, one_init(&o, FEAT_DEFAULT));
	one_learn_peer(&o);
	EXPECT_EQ(60 * SEC, bypass_stack_next_timer(o.st));
	bypass_pair_advance(o.pair, 60 * SEC);
	EXPECT_EQ(0u, bypass_stack_next_timer(o.st));
	EXPECT_EQ(1, bypass_stack_wait(o.st, -1));
	bypass_stack_poll(o.st);
	EXPECT_EQ(UINT64_MAX, bypass_stack_next_timer(o.st));
	one_fini(&o);
}

/*
 * The next in-order segment of 8 bytes from the peer to side 0's
 * connection @c, as header prediction takes it (ACK and PSH, timestamps
 * only), with Ethernet destination @eth_dst; returns its length.
 */
static uint32_t predicted_frame(uint8_t *f, const struct tcp_conn *c,
				const uint8_t *eth_dst)
{
	static const uint8_t lead[4] = { 1, 1, 8, 10 };
	uint32_t off = t_eth(f, eth_dst, mac_peer, ETH_P_IP), v;
	uint8_t *th;
	uint16_t check;

	off += t_ipv4(f + off, IP_PEER, IP_US, IPPROTO_TCP, 32 + 8);
	th = f + off;
	memset(th, 0, 32 + 8);
	th[0] = (uint8_t)(c->rport >> 8);
	th[1] = (uint8_t)c->rport;
	th[2] = (uint8_t)(c->lport >> 8);
	th[3] = (uint8_t)c->lport;
	v = htonl(c->rcv_nxt);
	memcpy(th + 4, &v, 4);
	v = htonl(c->snd_una);
	memcpy(th + 8, &v, 4);
	th[12] = 8 << 4;
	th[13] = BYPASS_TCP_ACK | BYPASS_TCP_PSH;
	th[14] = 0xff;
	th[15] = 0xff;
	memcpy(th + 20, lead, 4);
	v = htonl(c->ts_recent);
	memcpy(th + 24, &v, 4);
	memset(th + 32, 'x', 8);
	check = t_csum(th, 32 + 8, t_pseudo(IP_PEER, IP_US, IPPROTO_TCP, 32 + 8));
	memcpy(th + 16, &check, 2);
	return off + 32 + 8;
}

/*
 * RFC 1122 4.2.3.10 on the predicted path: a segment to our address in a
 * link broadcast is dropped, though it is what an established connection
 * expects next (the same frame unicast is taken).
 */
TEST(link_broadcast_segment_for_a_connection_is_dropped)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT, .queue_size = 256 };
	struct bypass_tcp_conn *lc, *cc[2] = { NULL, NULL };
	struct bypass_stack *st[2];
	struct bypass_counters ctr;
	struct bypass_pair *pair;
	struct bypass_buf *b;
	struct tcp_conn *c;
	uint8_t f[128];
	uint32_t n;
	int ms;

	ASSERT_EQ(0, pair_two_stacks(&pc, NULL, &pair, st));
	ASSERT_EQ(0, bypass_stack_tcp_listen(st[1], 8080, 0, &lc));
	ASSERT_EQ(0, bypass_stack_tcp_connect(st[0], IP_PEER, 8080, &cc[0]));
	for (ms = 0; ms < 100 && !cc[1]; ms++) {
		stacks_run_idle(st[0], st[1]);
		bypass_pair_advance(pair, 1000000);
		cc[1] = bypass_tcp_accept(lc);
	}
	ASSERT_NE(NULL, cc[1]);
	stacks_run_idle(st[0], st[1]);
	c = (struct tcp_conn *)cc[0];
	ASSERT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(cc[0]));
	ASSERT_TRUE(c->pred_ok);
	n = predicted_frame(f, c, mac_bcast);
	ASSERT_EQ(0, bypass_pair_inject(pair, 0, f, n));
	bypass_stack_poll(st[0]);
	bypass_stack_counters(st[0], &ctr);
	EXPECT_EQ(1u, ctr.drops[BYPASS_DROP_TCP_BROADCAST]);
	EXPECT_EQ(NULL, bypass_tcp_recv(cc[0]));
	n = predicted_frame(f, c, mac_us);
	ASSERT_EQ(0, bypass_pair_inject(pair, 0, f, n));
	bypass_stack_poll(st[0]);
	bypass_stack_counters(st[0], &ctr);
	EXPECT_EQ(1u, ctr.drops[BYPASS_DROP_TCP_BROADCAST]);
	b = bypass_tcp_recv(cc[0]);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(8u, b->len);
	bypass_buf_put(b);
	bypass_stack_destroy(st[0]);
	bypass_stack_destroy(st[1]);
	bypass_pair_destroy(pair);
}

TEST_HARNESS_MAIN
