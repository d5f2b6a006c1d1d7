// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the datapath against devices running on another thread,
 * as real hardware does: the ring barriers, kick suppression and the
 * spin-then-block wait must work when the device's view of the rings
 * changes at any moment. A client and an echo server, each on its own
 * thread with its own stack, exchange thousands of datagrams of every size;
 * every byte is checked and every wait must end by a wakeup, not a timeout
 * (a timeout here means a lost interrupt or a lost kick). The pair's
 * late_rx hook makes every reply land in the window only the driver's
 * re-check after enabling its interrupt covers.
 */
#include <pthread.h>

#include "kselftest_harness.h"
#include "frames.h"

#define ROUNDS		10000
#define WAIT_MS		2000

struct server {
	struct bypass_stack *st;
	struct bypass_udp *sock;
	int stop;
	uint64_t echoed;
};

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t port;

	while (!__atomic_load_n(&s->stop, __ATOMIC_ACQUIRE)) {
		bypass_stack_wait(s->st, 50);
		bypass_stack_poll(s->st);
		while ((b = bypass_udp_recv(s->sock, &addr, &port))) {
			if (bypass_udp_sendto(s->sock, b, addr, port) == 0)
				s->echoed++;
		}
		bypass_stack_flush(s->st);
	}
	return NULL;
}

static void echo_with_device_thread(struct __test_metadata *_metadata,
				    uint64_t features, uint64_t spin_ns,
				    bool late_rx)
{
	struct bypass_pair_config pc = {
		.features = features, .queue_size = 64, .threaded = true,
		.late_rx = late_rx,
	};
	struct bypass_stack_config cfg = {
		.prefix_len = 24, .pool_bufs = 512, .spin_ns = spin_ns,
	};
	struct bypass_stack *client;
	struct bypass_udp *csock;
	struct bypass_pair_stats ps;
	struct bypass_counters c;
	struct bypass_pair *pair;
	struct server srv = { 0 };
	uint32_t i, k, timeouts = 0, bad = 0;
	pthread_t thread;

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	ASSERT_EQ(0, bypass_pair_create(&pc, &pair));
	cfg.addr = IP_US;
	ASSERT_EQ(0, bypass_stack_create(bypass_pair_dev(pair, 0), &cfg, &client));
	cfg.addr = IP_PEER;
	ASSERT_EQ(0, bypass_stack_create(bypass_pair_dev(pair, 1), &cfg, &srv.st));
	ASSERT_EQ(0, bypass_udp_open(client, 4000, &csock));
	ASSERT_EQ(0, bypass_udp_open(srv.st, 7, &srv.sock));
	ASSERT_EQ(0, pthread_create(&thread, NULL, server_main, &srv));

	for (i = 0; i < ROUNDS; i++) {
		uint32_t size = 1 + i % 1472;
		struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(client));

		ASSERT_NE(NULL, b);
		for (k = 0; k < size; k++)
			b->data[k] = (uint8_t)(i + k * 7);
		b->len = size;
		ASSERT_EQ(0, bypass_udp_sendto(csock, b, IP_PEER, 7));
		bypass_stack_flush(client);
		for (;;) {
			if (bypass_stack_wait(client, WAIT_MS) == 0)
				timeouts++;
			bypass_stack_poll(client);
			b = bypass_udp_recv(csock, NULL, NULL);
			if (b || timeouts > 3)
				break;
		}
		ASSERT_NE(NULL, b) {
			TH_LOG("echo %u never came back", i);
		}
		if (b->len != size)
			bad++;
		for (k = 0; k < size && k < b->len; k++)
			if (b->data[k] != (uint8_t)(i + k * 7)) {
				bad++;
				break;
			}
		bypass_buf_put(b);
	}
	__atomic_store_n(&srv.stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	EXPECT_EQ(0u, timeouts);
	EXPECT_EQ(0u, bad);
	EXPECT_EQ(ROUNDS, srv.echoed);
	bypass_stack_counters(client, &c);
	EXPECT_EQ(0u, c.ring.bad_used);
	bypass_pair_stats(pair, 0, &ps);
	EXPECT_EQ(0u, ps.missed_kicks);
	EXPECT_EQ(0u, ps.driver_errors);
	bypass_pair_stats(pair, 1, &ps);
	EXPECT_EQ(0u, ps.driver_errors);
	/* The datagrams, the client's gratuitous ARP and its request. */
	EXPECT_EQ((uint64_t)ROUNDS + 2, ps.rx_frames);
	bypass_pair_stats(pair, 0, &ps);
	if (late_rx) {
		/*
		 * Many replies landed while the client's interrupt was off
		 * (the hook waits for the device thread at most 50 ms, which
		 * a loaded host may not schedule in time: not all of them).
		 */
		EXPECT_GT(ps.late_rx, (uint64_t)ROUNDS / 10);
	} else {
		/* The client slept on its interrupt at least sometimes. */
		EXPECT_GT(c.ring.sleeps, 0u);
	}
	bypass_stack_destroy(client);
	bypass_stack_destroy(srv.st);
	bypass_pair_destroy(pair);
}

/* Sleeping at once: every reply comes after the interrupt was enabled. */
TEST(echo_with_device_thread_event_idx)
{
	echo_with_device_thread(_metadata, FEAT_DEFAULT, 1, false);
}

TEST(echo_with_device_thread_flags)
{
	echo_with_device_thread(_metadata, 1ULL << VIRTIO_F_VERSION_1, 1, false);
}

/*
 * Spinning about as long as a round trip takes: replies land on every side
 * of the moment the interrupt is enabled, the race the re-check closes.
 */
TEST(echo_with_device_thread_racing_the_arm)
{
	echo_with_device_thread(_metadata, FEAT_DEFAULT, 30000, false);
}

/*
 * Every reply held back until it has landed in the ring while the
 * client's interrupt is still off (the pair's late_rx hook), just before
 * the client enables it: no interrupt will announce it, and only the look
 * at the ring after enabling (with a full fence between) finds it. A
 * driver that enabled and slept without looking again would wait out its
 * timeout on nearly every round.
 */
TEST(echo_with_every_reply_landing_before_the_arm_event_idx)
{
	echo_with_device_thread(_metadata, FEAT_DEFAULT, 1, true);
}

TEST(echo_with_every_reply_landing_before_the_arm_flags)
{
	echo_with_device_thread(_metadata, 1ULL << VIRTIO_F_VERSION_1, 1, true);
}

TEST_HARNESS_MAIN
