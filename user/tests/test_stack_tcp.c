// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of TCP through the whole stack: two stacks over the in-memory
 * pair on its virtual clock. Handshake, a few MiB both ways at once with
 * every byte checked (with and without checksum offload), half-close,
 * RST from a closed port, damaged segments dropped with their reason,
 * tiny segments that may not pin the pool, ICMP "fragmentation needed"
 * lowering a connection's MSS, and the transfer again over a wire that
 * loses, duplicates and reorders. The device clock is read once per poll
 * and once per send, however many segments and timers they handle.
 */
#include <errno.h>

#include "kselftest_harness.h"
#include "frames.h"
#include "stack.h"
#include "tcp.h"

#define PORT		8080
#define MS		1000000ull
/* Odd: segments gather slices at odd offsets (checksum byte order). */
#define CHUNK		1001
#define SEG_MAX		1448	/* MTU 1500 - 40 - timestamps */
#define FEAT_CSUM	(FEAT_DEFAULT | 1ULL << VIRTIO_NET_F_CSUM | \
			 1ULL << VIRTIO_NET_F_GUEST_CSUM)
/* TSO out; the peer takes it whole (merged RX buffers) or not. */
#define FEAT_TSO	(FEAT_CSUM | 1ULL << VIRTIO_NET_F_HOST_TSO4 | \
			 1ULL << VIRTIO_NET_F_MRG_RXBUF)
#define FEAT_TSO_GRO	(FEAT_TSO | 1ULL << VIRTIO_NET_F_GUEST_TSO4)

struct two {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
	struct bypass_tcp_conn *c[2];	/* 0: client, 1: accepted */
	struct bypass_tcp_conn *listener;
	uint64_t sent[2], rcvd[2];	/* bytes, per side */
	bool bad[2];			/* a received byte was wrong */
};

/* @queue_size: of every ring, 0 for 256. */
static int two_init_cfg(struct two *t, uint64_t features,
			const struct bypass_pair_impair *impair,
			const struct bypass_stack_config *cfg, uint16_t queue_size)
{
	struct bypass_pair_config pc = {
		.features = features, .queue_size = queue_size ? queue_size : 256,
	};

	memset(t, 0, sizeof(*t));
	if (impair)
		pc.impair = *impair;
	return pair_two_stacks(&pc, cfg, &t->pair, t->st);
}

static int two_init(struct two *t, uint64_t features,
		    const struct bypass_pair_impair *impair)
{
	return two_init_cfg(t, features, impair, NULL, 0);
}

static void two_fini(struct two *t)
{
	bypass_stack_destroy(t->st[0]);
	bypass_stack_destroy(t->st[1]);
	bypass_pair_destroy(t->pair);
}

/* Poll both stacks until idle, then let one virtual millisecond pass. */
static void step(struct two *t)
{
	stacks_run_idle(t->st[0], t->st[1]);
	bypass_pair_advance(t->pair, MS);
}

static uint8_t pattern(int dir, uint64_t k)
{
	return (uint8_t)((k ^ (k >> 8) ^ (k >> 17)) * 31 + (uint64_t)dir * 101);
}

/* Queue up to @total bytes from side @i, as much as the engine takes. */
static void feed(struct two *t, int i, uint64_t total)
{
	struct bypass_pool *pool = bypass_stack_pool(t->st[i]);

	while (t->sent[i] < total && bypass_tcp_send_room(t->c[i])) {
		struct bypass_buf *b = bypass_buf_alloc(pool);
		uint32_t n = total - t->sent[i] < CHUNK ?
			     (uint32_t)(total - t->sent[i]) : CHUNK;
		uint32_t k;

		if (!b)
			return;
		for (k = 0; k < n; k++)
			b->data[k] = pattern(i, t->sent[i] + k);
		b->len = n;
		if (bypass_tcp_send(t->c[i], b))
			return;
		t->sent[i] += n;
	}
}

/* Read everything side @i has, checking it is the peer's stream. */
static void drain(struct two *t, int i)
{
	struct bypass_buf *b;
	uint32_t k;

	while ((b = bypass_tcp_recv(t->c[i]))) {
		for (k = 0; k < b->len; k++)
			if (b->data[k] != pattern(!i, t->rcvd[i] + k))
				t->bad[i] = true;
		t->rcvd[i] += b->len;
		bypass_buf_put(b);
	}
}

/* Connect side 0 to side 1's listener; true once both are established. */
static bool handshake(struct two *t, uint32_t max_ms)
{
	uint32_t ms;

	if (bypass_stack_tcp_listen(t->st[1], PORT, 0, &t->listener) ||
	    bypass_stack_tcp_connect(t->st[0], IP_PEER, PORT, &t->c[0]))
		return false;
	for (ms = 0; ms < max_ms && !t->c[1]; ms++) {
		step(t);
		t->c[1] = bypass_tcp_accept(t->listener);
	}
	step(t);
	return t->c[1] &&
	       bypass_tcp_state(t->c[0]) == BYPASS_TCP_ESTABLISHED &&
	       bypass_tcp_state(t->c[1]) == BYPASS_TCP_ESTABLISHED;
}

/* Both directions at once until every byte arrived or @max_ms passed. */
static bool transfer(struct two *t, uint64_t bytes, uint32_t max_ms)
{
	uint32_t ms;

	for (ms = 0; ms < max_ms; ms++) {
		feed(t, 0, bytes);
		feed(t, 1, bytes);
		step(t);
		drain(t, 0);
		drain(t, 1);
		if (t->rcvd[0] == bytes && t->rcvd[1] == bytes)
			return true;
	}
	return false;
}

static uint64_t drops_of(struct bypass_stack *st, unsigned int reason)
{
	struct bypass_counters c;

	bypass_stack_counters(st, &c);
	return c.drops[reason];
}

static uint64_t tcp_drops(struct bypass_stack *st)
{
	return drops_of(st, BYPASS_DROP_TCP_SHORT) +
	       drops_of(st, BYPASS_DROP_TCP_BAD_OFFSET) +
	       drops_of(st, BYPASS_DROP_TCP_BAD_CSUM) +
	       drops_of(st, BYPASS_DROP_TCP_BROADCAST) +
	       drops_of(st, BYPASS_DROP_TCP_BAD_OPTIONS);
}

/* Close both ends and check the connections finish and no buffer leaks. */
static void close_both(struct __test_metadata *_metadata, struct two *t)
{
	uint32_t ms, i;

	ASSERT_EQ(0, bypass_tcp_shutdown(t->c[0]));
	ASSERT_EQ(0, bypass_tcp_shutdown(t->c[1]));
	for (ms = 0; ms < 5000; ms++) {
		step(t);
		drain(t, 0);
		drain(t, 1);
		if (bypass_tcp_eof(t->c[0]) && bypass_tcp_eof(t->c[1]) &&
		    bypass_tcp_state(t->c[0]) == BYPASS_TCP_TIME_WAIT)
			break;
	}
	EXPECT_TRUE(bypass_tcp_eof(t->c[0]));
	EXPECT_TRUE(bypass_tcp_eof(t->c[1]));
	EXPECT_EQ(BYPASS_TCP_TIME_WAIT, bypass_tcp_state(t->c[0]));
	EXPECT_EQ(0, bypass_tcp_error(t->c[0]));
	EXPECT_EQ(0, bypass_tcp_error(t->c[1]));
	bypass_tcp_close(t->c[0]);
	bypass_tcp_close(t->c[1]);
	bypass_tcp_close(t->listener);
	for (ms = 0; ms < 200; ms++)
		step(t);
	/* Only the RX rings hold buffers now. */
	for (i = 0; i < 2; i++) {
		struct bypass_pool *pool = bypass_stack_pool(t->st[i]);

		EXPECT_EQ(bypass_pool_capacity(pool) - virtq_size(&t->st[i]->rxq),
			  bypass_pool_available(pool));
	}
}

static void both_ways(struct __test_metadata *_metadata, uint64_t features,
		      const struct bypass_pair_impair *impair, uint64_t bytes,
		      uint32_t max_ms)
{
	struct bypass_counters c;
	struct two t;

	ASSERT_EQ(0, two_init(&t, features, impair));
	ASSERT_TRUE(handshake(&t, 20000));
	EXPECT_TRUE(transfer(&t, bytes, max_ms));
	EXPECT_EQ(bytes, t.rcvd[0]);
	EXPECT_EQ(bytes, t.rcvd[1]);
	EXPECT_FALSE(t.bad[0]);
	EXPECT_FALSE(t.bad[1]);
	close_both(_metadata, &t);
	EXPECT_EQ(0u, tcp_drops(t.st[0]));
	EXPECT_EQ(0u, tcp_drops(t.st[1]));
	bypass_stack_counters(t.st[0], &c);
	EXPECT_LT(bytes / SEG_MAX, c.tcp.tx);
	EXPECT_LT(0u, c.tcp.rx);
	if (impair) {
		struct bypass_pair_stats a, b;

		/* The wire did damage, and TCP repaired it. */
		bypass_pair_stats(t.pair, 0, &a);
		bypass_pair_stats(t.pair, 1, &b);
		EXPECT_LT(0u, a.lost + b.lost);
		EXPECT_LT(0u, a.duplicated + b.duplicated);
		EXPECT_LT(0u, a.reordered + b.reordered);
	}
	two_fini(&t);
}

/* The stack passes its TCP configuration on: two connections at most. */
TEST(stack_takes_a_tcp_configuration)
{
	struct bypass_tcp_config tc = { .max_conns = 2, .mss = 100 };
	struct bypass_stack_config cfg = { .tcp = &tc };
	struct bypass_tcp_conn *c1, *c2, *c3;
	struct two t;

	ASSERT_EQ(0, two_init_cfg(&t, FEAT_DEFAULT, NULL, &cfg, 0));
	ASSERT_EQ(0, bypass_stack_tcp_connect(t.st[0], IP_PEER, PORT, &c1));
	ASSERT_EQ(0, bypass_stack_tcp_connect(t.st[0], IP_PEER, PORT + 1, &c2));
	EXPECT_EQ(-ENOBUFS, bypass_stack_tcp_connect(t.st[0], IP_PEER, PORT + 2, &c3));
	bypass_tcp_abort(c1);
	bypass_tcp_abort(c2);
	two_fini(&t);
}

/*
 * The device falls behind while a burst larger than its 8-entry TX ring
 * leaves: what does not fit waits on the backlog and leaves in order once
 * the device catches up. On the wire (captured, then handed to the peer)
 * every data segment starts where the one before ended: nothing was lost
 * and sent again.
 */
TEST(burst_over_a_full_tx_ring_waits_in_order_without_retransmission)
{
	struct bypass_stack_config cfg = { .pool_bufs = 1024 };
	const uint64_t total = 256u << 10;
	struct bypass_counters c;
	uint32_t next = 0, seq, ms, gaps = 0;
	uint8_t f[2048];
	struct two t;
	ssize_t n;

	ASSERT_EQ(0, two_init_cfg(&t, FEAT_DEFAULT, NULL, &cfg, 8));
	ASSERT_TRUE(handshake(&t, 100));
	bypass_pair_set_capture(t.pair, 0, true);
	bypass_pair_set_tx_stall(t.pair, 0, true);
	feed(&t, 0, total);
	bypass_stack_poll(t.st[0]);
	bypass_stack_counters(t.st[0], &c);
	/* The first flight (4 segments of 3 or 4 descriptors) overflows. */
	EXPECT_LT(0u, c.ring.tx_backlogged);
	bypass_pair_set_tx_stall(t.pair, 0, false);
	for (ms = 0; ms < 5000 && t.rcvd[1] < total; ms++) {
		feed(&t, 0, total);
		bypass_stack_poll(t.st[0]);
		while ((n = bypass_pair_capture_pop(t.pair, 0, f, sizeof(f))) > 0) {
			const uint8_t *ip = f + ETH_HLEN, *th = ip + (ip[0] & 15) * 4;
			uint32_t len = (uint32_t)(ip[2] << 8 | ip[3]) -
				       (uint32_t)(th - ip) - (th[12] >> 4) * 4;

			memcpy(&seq, th + 4, 4);
			seq = ntohl(seq);
			if (len && next && seq != next)
				gaps++;
			if (len)
				next = seq + len;
			bypass_pair_inject(t.pair, 1, f, (size_t)n);
		}
		step(&t);
		drain(&t, 1);
	}
	EXPECT_EQ(total, t.rcvd[1]);
	EXPECT_FALSE(t.bad[1]);
	EXPECT_EQ(0u, gaps);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(0u, c.drops[BYPASS_DROP_TX_BACKLOG_FULL]);
	EXPECT_EQ(0u, c.drops[BYPASS_DROP_TX_NO_BUFFER]);
	two_fini(&t);
}

TEST(handshake_through_the_stack)
{
	struct bypass_counters c;
	struct two t;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	bypass_stack_counters(t.st[1], &c);
	EXPECT_LE(2u, c.tcp.rx);	/* SYN, ACK */
	EXPECT_LE(1u, c.tcp.tx);	/* SYN-ACK */
	/* The client's port is ephemeral; a second one gets another. */
	{
		struct bypass_tcp_conn *c2;

		ASSERT_EQ(0, bypass_stack_tcp_connect(t.st[0], IP_PEER, PORT, &c2));
		step(&t);
		step(&t);
		EXPECT_EQ(BYPASS_TCP_ESTABLISHED, bypass_tcp_state(c2));
		EXPECT_NE(NULL, bypass_tcp_accept(t.listener));
		bypass_tcp_abort(c2);
	}
	EXPECT_EQ(-EINVAL, bypass_stack_tcp_listen(t.st[1], 0, 0, &t.listener));
	EXPECT_EQ(-EINVAL, bypass_stack_tcp_connect(t.st[0], IP_PEER, 0, &t.c[0]));
	two_fini(&t);
}

TEST(four_mib_both_ways)
{
	both_ways(_metadata, FEAT_DEFAULT, NULL, 4u << 20, 20000);
}

TEST(four_mib_both_ways_csum_offload)
{
	both_ways(_metadata, FEAT_CSUM, NULL, 4u << 20, 20000);
}

TEST(half_close)
{
	struct two t;
	uint32_t ms;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	/* The client sends 100 KB and its FIN. */
	for (ms = 0; ms < 2000 && t.rcvd[1] < 100000; ms++) {
		feed(&t, 0, 100000);
		if (t.sent[0] == 100000 &&
		    bypass_tcp_state(t.c[0]) == BYPASS_TCP_ESTABLISHED)
			ASSERT_EQ(0, bypass_tcp_shutdown(t.c[0]));
		step(&t);
		drain(&t, 1);
	}
	for (ms = 0; ms < 100 && !bypass_tcp_eof(t.c[1]); ms++) {
		step(&t);
		drain(&t, 1);
	}
	EXPECT_EQ(100000u, t.rcvd[1]);
	EXPECT_TRUE(bypass_tcp_eof(t.c[1]));
	EXPECT_EQ(BYPASS_TCP_CLOSE_WAIT, bypass_tcp_state(t.c[1]));
	EXPECT_EQ(BYPASS_TCP_FIN_WAIT_2, bypass_tcp_state(t.c[0]));
	/* The client cannot send any more; the server still can. */
	{
		struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));

		ASSERT_NE(NULL, b);
		b->len = 1;
		EXPECT_EQ(-EPIPE, bypass_tcp_send(t.c[0], b));
	}
	for (ms = 0; ms < 2000 && t.rcvd[0] < 300000; ms++) {
		feed(&t, 1, 300000);
		step(&t);
		drain(&t, 0);
	}
	EXPECT_EQ(300000u, t.rcvd[0]);
	EXPECT_FALSE(t.bad[0]);
	EXPECT_FALSE(t.bad[1]);
	EXPECT_FALSE(bypass_tcp_eof(t.c[0]));
	bypass_tcp_close(t.c[1]);
	for (ms = 0; ms < 100 && !bypass_tcp_eof(t.c[0]); ms++)
		step(&t);
	EXPECT_TRUE(bypass_tcp_eof(t.c[0]));
	EXPECT_EQ(BYPASS_TCP_TIME_WAIT, bypass_tcp_state(t.c[0]));
	bypass_tcp_close(t.c[0]);
	bypass_tcp_close(t.listener);
	two_fini(&t);
}

/*
 * An application that sends and then waits: the segment leaves before the
 * stack sleeps. One that reads a full window and then waits: the stack
 * has work at once (the window update), not at the next timer.
 */
TEST(wait_flushes_sends_and_wakes_for_window_updates)
{
	struct two t;
	uint32_t ms;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	feed(&t, 0, 1000);
	EXPECT_EQ(0, bypass_stack_wait(t.st[0], 0));
	/* Only side 1 runs: what it gets, side 0's wait sent. */
	bypass_stack_poll(t.st[1]);
	EXPECT_EQ(1000u, bypass_tcp_readable(t.c[1]));
	/* Fill side 1's window without reading. */
	for (ms = 0; ms < 1000; ms++) {
		feed(&t, 0, 4u << 20);
		step(&t);
	}
	EXPECT_LT(200000u, bypass_tcp_readable(t.c[1]));
	EXPECT_NE(0u, bypass_stack_next_timer(t.st[1]));
	drain(&t, 1);
	EXPECT_FALSE(t.bad[1]);
	EXPECT_EQ(0u, bypass_stack_next_timer(t.st[1]));
	EXPECT_EQ(1, bypass_stack_wait(t.st[1], 1000));
	two_fini(&t);
}

/*
 * A read that leaves the window as good as advertised makes no update due:
 * the stack has no work now (an application sleeping on bypass_ctx_fd()
 * would otherwise be woken, and a timer set, after every read). The
 * handshake advertised at most 64 KiB (an unscaled window) and the buffer
 * holds more; the quick ACK of the first data, at the end of its batch,
 * advertised the whole window, so not even the first read makes one due.
 */
TEST(small_read_makes_no_window_update_due)
{
	struct two t;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	feed(&t, 0, 1000);
	bypass_stack_flush(t.st[0]);
	bypass_stack_poll(t.st[1]);
	drain(&t, 1);
	EXPECT_NE(0u, bypass_stack_next_timer(t.st[1]));
	/* The quick ACK acknowledged the data: Nagle lets the next 1000 go. */
	bypass_stack_poll(t.st[0]);
	feed(&t, 0, 2000);
	bypass_stack_flush(t.st[0]);
	bypass_stack_poll(t.st[1]);
	ASSERT_EQ(1000u, bypass_tcp_readable(t.c[1]));
	drain(&t, 1);
	EXPECT_FALSE(t.bad[1]);
	EXPECT_EQ(2000u, t.rcvd[1]);
	EXPECT_NE(0u, bypass_stack_next_timer(t.st[1]));
	two_fini(&t);
}

TEST(rst_from_closed_port)
{
	struct bypass_counters c;
	struct two t;
	uint32_t ms;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, bypass_stack_tcp_connect(t.st[0], IP_PEER, PORT + 1, &t.c[0]));
	for (ms = 0; ms < 100 && bypass_tcp_state(t.c[0]) != BYPASS_TCP_CLOSED; ms++)
		step(&t);
	EXPECT_EQ(BYPASS_TCP_CLOSED, bypass_tcp_state(t.c[0]));
	EXPECT_EQ(ECONNREFUSED, bypass_tcp_error(t.c[0]));
	bypass_stack_counters(t.st[1], &c);
	EXPECT_EQ(1u, c.tcp.rx);	/* the SYN */
	EXPECT_EQ(1u, c.tcp.tx);	/* the RST */
	bypass_tcp_close(t.c[0]);
	two_fini(&t);
}

/* A TCP/IPv4 frame from the peer to us with a valid checksum. */
static uint32_t tcp_frame(uint8_t *f, uint8_t doff_words, const uint8_t *opt,
			  uint32_t optlen, uint32_t dst)
{
	uint8_t *ip = f + ETH_HLEN, *th = ip + 20;
	uint32_t tcplen = 20 + optlen, sum;
	uint64_t sum64;
	uint16_t check;

	memset(f, 0, ETH_HLEN + 20 + tcplen);
	memcpy(f, mac_us, 6);
	memcpy(f + 6, mac_peer, 6);
	f[12] = 0x08;
	ip[0] = 0x45;
	ip[2] = (uint8_t)((20 + tcplen) >> 8);
	ip[3] = (uint8_t)(20 + tcplen);
	ip[8] = 64;
	ip[9] = IPPROTO_TCP;
	memcpy(ip + 12, &(uint32_t){ IP_PEER }, 4);
	memcpy(ip + 16, &dst, 4);
	check = bypass_csum_fold(bypass_csum_partial(ip, 20, 0));
	memcpy(ip + 10, &check, 2);
	th[0] = 0x30;			/* port 12345 */
	th[1] = 0x39;
	th[2] = PORT >> 8;
	th[3] = PORT & 0xff;
	th[12] = (uint8_t)(doff_words << 4);
	th[13] = BYPASS_TCP_SYN;
	th[14] = 0xff;
	th[15] = 0xff;
	memcpy(th + 20, opt, optlen);
	/* The pseudo-header, summed in memory order like the rest. */
	sum64 = (uint64_t)IP_PEER + dst + htons(IPPROTO_TCP) + htons((uint16_t)tcplen);
	sum = (uint32_t)((sum64 & 0xffffffffu) + (sum64 >> 32));
	check = bypass_csum_fold(bypass_csum_partial(th, tcplen, sum));
	memcpy(th + 16, &check, 2);
	return ETH_HLEN + 20 + tcplen;
}

TEST(damaged_segments_are_dropped_with_a_reason)
{
	static const uint8_t good_opt[4] = { 2, 4, 0x05, 0xb4 };	/* MSS */
	static const uint8_t bad_opt[4] = { 2, 9, 0x05, 0xb4 };
	struct bypass_counters c;
	uint8_t f[128];
	struct two t;
	uint32_t n;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_EQ(0, bypass_stack_tcp_listen(t.st[0], PORT, 0, &t.listener));
	step(&t);
	n = tcp_frame(f, 6, bad_opt, 4, IP_US);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	step(&t);
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_TCP_BAD_OPTIONS));
	n = tcp_frame(f, 4, good_opt, 4, IP_US);	/* offset < 20 */
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	n = tcp_frame(f, 15, good_opt, 4, IP_US);	/* offset > length */
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	step(&t);
	EXPECT_EQ(2u, drops_of(t.st[0], BYPASS_DROP_TCP_BAD_OFFSET));
	n = tcp_frame(f, 6, good_opt, 4, IP_US);
	f[n - 1] ^= 1;
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	step(&t);
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_TCP_BAD_CSUM));
	n = tcp_frame(f, 6, good_opt, 4, IP(10, 0, 0, 255));	/* broadcast */
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	step(&t);
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_TCP_BROADCAST));
	n = tcp_frame(f, 5, good_opt, 0, IP_US);
	f[ETH_HLEN + 3] -= 1;		/* an IP datagram one byte short */
	f[ETH_HLEN + 10] = 0;
	f[ETH_HLEN + 11] = 0;
	{
		uint16_t check = bypass_csum_fold(bypass_csum_partial(f + ETH_HLEN, 20, 0));

		memcpy(f + ETH_HLEN + 10, &check, 2);
	}
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n - 1));
	step(&t);
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_TCP_SHORT));
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(0u, c.tcp.rx);
	EXPECT_EQ(0u, c.tcp.tx);
	/*
	 * The same SYN, intact, is answered with a SYN-ACK, which the real
	 * side 1 (which sent no SYN) resets.
	 */
	n = tcp_frame(f, 6, good_opt, 4, IP_US);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	step(&t);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_EQ(2u, c.tcp.rx);	/* SYN, RST */
	EXPECT_EQ(1u, c.tcp.tx);	/* SYN-ACK */
	bypass_stack_counters(t.st[1], &c);
	EXPECT_EQ(1u, c.tcp.rx);
	EXPECT_EQ(1u, c.tcp.tx);
	EXPECT_EQ(0u, tcp_drops(t.st[1]));
	bypass_tcp_close(t.listener);
	two_fini(&t);
}

/*
 * A segment's payload is chained behind its header; one that must wait
 * for ARP (the entry expired while idle) has it copied in and waits like
 * any frame: nothing is lost, no retransmission needed.
 */
TEST(data_waiting_for_arp_keeps_its_payload)
{
	struct bypass_stack_config cfg = { .arp_timeout_ns = 100 * MS };
	struct bypass_counters c;
	struct two t;
	uint32_t ms;

	ASSERT_EQ(0, two_init_cfg(&t, FEAT_DEFAULT, NULL, &cfg, 0));
	ASSERT_TRUE(handshake(&t, 100));
	for (ms = 0; ms < 300; ms++)
		step(&t);
	EXPECT_TRUE(transfer(&t, 256u << 10, 150));	/* no RTO needed */
	EXPECT_FALSE(t.bad[0]);
	EXPECT_FALSE(t.bad[1]);
	bypass_stack_counters(t.st[0], &c);
	EXPECT_LE(1u, c.arp.expired);
	EXPECT_LE(1u, c.arp.resolved);
	EXPECT_EQ(0u, bypass_drops_total(&c) - c.drops[BYPASS_DROP_ARP_NOT_FOR_US]);
	close_both(_metadata, &t);
	two_fini(&t);
}

/*
 * A dead wire for longer than ARP tries: retransmissions wait for ARP
 * (or are dropped when its queue is full or it gives up), and the data
 * gets through once the wire is back.
 */
TEST(data_while_unresolved_is_resent)
{
	struct bypass_stack_config cfg = {
		.arp_timeout_ns = 200 * MS, .arp_retry_ns = 50 * MS,
	};
	struct bypass_pair_impair dead = { .loss_ppm = 1000000 };
	struct bypass_pair_impair fine = { 0 };
	struct bypass_counters c;
	struct two t;
	uint32_t ms;

	ASSERT_EQ(0, two_init_cfg(&t, FEAT_DEFAULT, NULL, &cfg, 0));
	ASSERT_TRUE(handshake(&t, 100));
	bypass_pair_set_impair(t.pair, &dead);
	for (ms = 0; ms < 2000; ms++) {
		feed(&t, 0, 64u << 10);
		step(&t);
	}
	bypass_stack_counters(t.st[0], &c);
	EXPECT_LE(1u, c.arp.timeouts);
	EXPECT_EQ(0u, t.rcvd[1]);
	bypass_pair_set_impair(t.pair, &fine);
	EXPECT_TRUE(transfer(&t, 64u << 10, 60000));
	EXPECT_EQ(64u << 10, t.rcvd[1]);
	EXPECT_FALSE(t.bad[1]);
	close_both(_metadata, &t);
	two_fini(&t);
}

/*
 * A peer sending 1-byte segments to an application that does not read:
 * the receiving stack's pool loses at most the connection's rcv_bufs
 * buffers (besides its RX ring) however many segments arrive, the rest
 * being copied together, and every byte is there when it finally reads.
 */
TEST(tiny_segments_do_not_pin_the_pool)
{
	struct bypass_pool *pool;
	struct bypass_tcp_stats ts;
	struct tcp_conn *rc;
	uint32_t ms, used, most = 0;
	struct two t;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	pool = bypass_stack_pool(t.st[1]);
	rc = (struct tcp_conn *)t.c[1];
	bypass_tcp_set_nodelay(t.c[0], true);
	for (ms = 0; ms < 3000; ms++) {
		struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));

		ASSERT_NE(NULL, b);
		b->data[0] = pattern(0, t.sent[0]);
		b->len = 1;
		ASSERT_EQ(0, bypass_tcp_send(t.c[0], b));
		t.sent[0]++;
		step(&t);
		used = bypass_pool_capacity(pool) - bypass_pool_available(pool);
		if (used > most)
			most = used;
	}
	step(&t);
	bypass_tcp_get_stats(bypass_stack_tcp(t.st[1]), &ts);
	TH_LOG("%u buffers in use at most, %u held, %llu coalesced",
	       most, rc->rcvq_nbufs, (unsigned long long)ts.rcv_collapsed);
	EXPECT_EQ(3000u, bypass_tcp_readable(t.c[1]));
	/* The RX ring's 256, the bound, a few in passing. */
	EXPECT_LE(most, 256u + rc->tcp->cfg.rcv_bufs + 8);
	EXPECT_EQ(rc->tcp->cfg.rcv_bufs, rc->rcvq_nbufs);
	EXPECT_GT(ts.rcv_collapsed, 2000u);
	EXPECT_EQ(0u, ts.rcv_dropped);
	drain(&t, 1);
	EXPECT_EQ(3000u, t.rcvd[1]);
	EXPECT_FALSE(t.bad[1]);
	close_both(_metadata, &t);
	two_fini(&t);
}

/*
 * An ICMP "fragmentation needed" from a router (here the peer's address)
 * quoting the first segment of side 0's flight; @seq_off moves the
 * quoted sequence number, @quote the bytes of TCP header quoted.
 */
static uint32_t frag_needed_frame(uint8_t *f, const struct tcp_conn *c,
				  uint16_t mtu, uint32_t seq, uint8_t proto,
				  uint32_t quote)
{
	uint32_t off = t_eth(f, mac_us, mac_peer, ETH_P_IP), ic;
	uint8_t *q;
	uint16_t v, check;
	uint32_t s = htonl(seq);

	off += t_ipv4(f + off, IP_PEER, IP_US, IPPROTO_ICMP, 8 + 20 + quote);
	ic = off;
	memset(f + ic, 0, 8 + 20 + quote);
	f[ic] = ICMP_DEST_UNREACH;
	f[ic + 1] = ICMP_FRAG_NEEDED;
	v = htons(mtu);
	memcpy(f + ic + 6, &v, 2);
	q = f + ic + 8;
	t_ipv4(q, IP_US, IP_PEER, proto, 1480);
	v = htons(c->lport);
	memcpy(q + 20, &v, 2);
	v = htons(c->rport);
	memcpy(q + 22, &v, 2);
	if (quote >= 8)
		memcpy(q + 24, &s, 4);
	check = t_csum(f + ic, 8 + 20 + quote, 0);
	memcpy(f + ic + 2, &check, 2);
	return ic + 8 + 20 + quote;
}

/*
 * Path MTU discovery through the stack's ICMP input: a "fragmentation
 * needed" quoting a segment in flight lowers the connection's MSS; one
 * quoting a sequence number not in flight, UDP, or too little of the
 * segment does not. The transfer then completes byte for byte.
 */
TEST(icmp_frag_needed_lowers_the_mss)
{
	struct bypass_tcp_stats ts;
	struct tcp_conn *c;
	uint8_t f[256];
	struct two t;
	uint32_t n;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	c = (struct tcp_conn *)t.c[0];
	EXPECT_EQ(SEG_MAX, c->mss);
	feed(&t, 0, 64 * 1024);
	ASSERT_NE(c->snd_una, c->snd_max);	/* in flight, unacknowledged */
	/* Beyond what is in flight: ignored. */
	n = frag_needed_frame(f, c, 1000, c->snd_max, IPPROTO_TCP, 8);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	bypass_stack_poll(t.st[0]);
	EXPECT_EQ(SEG_MAX, c->mss);
	/* Quoting UDP, or 4 bytes of TCP: dropped by the stack. */
	n = frag_needed_frame(f, c, 1000, c->snd_una, IPPROTO_UDP, 8);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	n = frag_needed_frame(f, c, 1000, c->snd_una, IPPROTO_TCP, 4);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	bypass_stack_poll(t.st[0]);
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_ICMP_UNHANDLED));
	EXPECT_EQ(1u, drops_of(t.st[0], BYPASS_DROP_ICMP_SHORT));
	EXPECT_EQ(SEG_MAX, c->mss);
	/* The real thing: 1000 - 40 - 12 bytes of timestamps. */
	n = frag_needed_frame(f, c, 1000, c->snd_una, IPPROTO_TCP, 8);
	ASSERT_EQ(0, bypass_pair_inject(t.pair, 0, f, n));
	bypass_stack_poll(t.st[0]);
	EXPECT_EQ(948u, c->mss);
	bypass_tcp_get_stats(bypass_stack_tcp(t.st[0]), &ts);
	EXPECT_EQ(1u, ts.pmtu_lowered);
	EXPECT_EQ(1u, ts.icmp_ignored);
	ASSERT_TRUE(transfer(&t, 64 * 1024, 2000));
	EXPECT_FALSE(t.bad[0] || t.bad[1]);
	EXPECT_EQ(948u, c->mss);
	close_both(_metadata, &t);
	two_fini(&t);
}

TEST(two_mib_both_ways_over_a_bad_wire)
{
	uint64_t seed;

	for (seed = 1; seed <= 4; seed++) {
		struct bypass_pair_impair imp = {
			.seed = seed, .loss_ppm = 10000, .dup_ppm = 5000,
			.reorder_ppm = 20000, .delay_ns = 1 * MS,
			.reorder_ns = 3 * MS,
		};

		TH_LOG("seed %llu", (unsigned long long)seed);
		both_ways(_metadata, seed & 1 ? FEAT_DEFAULT : FEAT_CSUM, &imp,
			  2u << 20, 120000);
	}
}

/* Read and log @st's offload counters; nothing may have been dropped. */
static void offload_counters(struct __test_metadata *_metadata,
			     struct bypass_stack *st, struct bypass_counters *c)
{
	bypass_stack_counters(st, c);
	TH_LOG("%llu TSO frames of %llu bytes, %llu merged in %llu buffers, %llu csum, %llu valid, %llu segments out",
	       (unsigned long long)c->offload.tx_tso,
	       (unsigned long long)c->offload.tx_tso_bytes,
	       (unsigned long long)c->offload.rx_merged,
	       (unsigned long long)c->offload.rx_merged_bufs,
	       (unsigned long long)c->offload.tx_csum,
	       (unsigned long long)c->offload.rx_csum_valid,
	       (unsigned long long)c->tcp.tx);
	EXPECT_EQ(0u, tcp_drops(st));
	EXPECT_EQ(0u, c->drops[BYPASS_DROP_RING_MERGED]);
	EXPECT_EQ(0u, c->drops[BYPASS_DROP_TX_TOO_BIG]);
}

/*
 * 4 MiB both ways with TSO: segments of up to 64 KiB leave as one chain;
 * with GUEST_TSO4 the pair hands them over whole, in several RX buffers
 * (each a segment for the engine), else it cuts them as a host does.
 */
static void tso_both_ways(struct __test_metadata *_metadata, uint64_t features,
			  const struct bypass_pair_impair *impair)
{
	struct bypass_counters c[2];
	struct two t;
	int i;

	ASSERT_EQ(0, two_init(&t, features, impair));
	ASSERT_TRUE(handshake(&t, 20000));
	EXPECT_TRUE(transfer(&t, 4u << 20, impair ? 120000 : 20000));
	EXPECT_FALSE(t.bad[0] || t.bad[1]);
	close_both(_metadata, &t);
	for (i = 0; i < 2; i++) {
		offload_counters(_metadata, t.st[i], &c[i]);
		EXPECT_LT(0u, c[i].offload.tx_csum);
		EXPECT_EQ(!!(features & 1ULL << VIRTIO_NET_F_GUEST_CSUM),
			  c[i].offload.rx_csum_valid > 0);
		/* Most bytes left in TSO frames of several segments. */
		EXPECT_LT(2u << 20, c[i].offload.tx_tso_bytes);
		EXPECT_LT(c[i].offload.tx_tso * 2 * SEG_MAX, c[i].offload.tx_tso_bytes);
	}
	for (i = 0; i < 2; i++) {
		if (features & 1ULL << VIRTIO_NET_F_GUEST_TSO4) {
			/* What one side sent as TSO, the other took merged. */
			EXPECT_LT(0u, c[i].offload.rx_merged);
			EXPECT_LT(2 * c[i].offload.rx_merged,
				  c[i].offload.rx_merged_bufs);
		} else {
			EXPECT_EQ(0u, c[i].offload.rx_merged);
		}
	}
	two_fini(&t);
}

TEST(four_mib_both_ways_tso_received_whole)
{
	tso_both_ways(_metadata, FEAT_TSO_GRO, NULL);
}

/* No DATA_VALID: the checksum of each merged frame is summed over its chain. */
TEST(four_mib_both_ways_tso_received_whole_and_verified)
{
	tso_both_ways(_metadata, FEAT_TSO_GRO & ~(1ULL << VIRTIO_NET_F_GUEST_CSUM),
		      NULL);
}

TEST(four_mib_both_ways_tso_cut_by_the_device)
{
	tso_both_ways(_metadata, FEAT_TSO, NULL);
}

/* Lost TSO frames come back as retransmissions of their parts. */
TEST(four_mib_both_ways_tso_over_a_bad_wire)
{
	struct bypass_pair_impair imp = {
		.seed = 7, .loss_ppm = 10000, .dup_ppm = 5000,
		.reorder_ppm = 20000, .delay_ns = 1 * MS, .reorder_ns = 3 * MS,
	};

	tso_both_ways(_metadata, FEAT_TSO_GRO, &imp);
}

/*
 * A jumbo MTU (9000, the device's): segments of 8948 bytes leave as
 * chains and arrive in several merged buffers; with an 8-entry TX ring
 * none fits the ring whole and the stack cuts them to what one buffer
 * holds.
 */
static void jumbo_both_ways(struct __test_metadata *_metadata, uint64_t features,
			    uint16_t queue_size)
{
	struct bypass_pair_config pc = {
		.features = features, .queue_size = queue_size, .mtu = 9000,
	};
	struct bypass_stack_config cfg = { .mtu = 9000 };
	struct bypass_counters c[2];
	struct two t;
	int i;

	memset(&t, 0, sizeof(t));
	ASSERT_EQ(0, pair_two_stacks(&pc, &cfg, &t.pair, t.st));
	ASSERT_TRUE(handshake(&t, 20000));
	EXPECT_EQ(9000u - 40 - 12, ((struct tcp_conn *)t.c[0])->mss);
	EXPECT_TRUE(transfer(&t, 4u << 20, 20000));
	EXPECT_FALSE(t.bad[0] || t.bad[1]);
	close_both(_metadata, &t);
	for (i = 0; i < 2; i++) {
		offload_counters(_metadata, t.st[i], &c[i]);
		if (queue_size > 8) {
			/* Frames larger than a buffer went whole. */
			EXPECT_LT(100u, c[i].offload.rx_merged);
			EXPECT_LT(2 * c[i].offload.rx_merged,
				  c[i].offload.rx_merged_bufs);
		}
	}
	two_fini(&t);
}

/*
 * Segments larger than a buffer (a jumbo and a TSO one) that must wait for
 * ARP keep what one buffer holds, with lengths and checksums set for that;
 * the engine sends the rest again and every byte arrives.
 */
TEST(jumbo_and_tso_segments_waiting_for_arp_are_cut)
{
	static const uint64_t feats[2] = { FEAT_DEFAULT, FEAT_TSO_GRO };
	int k;

	for (k = 0; k < 2; k++) {
		struct bypass_pair_config pc = {
			.features = feats[k], .queue_size = 256, .mtu = 9000,
		};
		struct bypass_stack_config cfg = { .mtu = 9000 };
		struct two t;

		memset(&t, 0, sizeof(t));
		ASSERT_EQ(0, pair_two_stacks(&pc, &cfg, &t.pair, t.st));
		ASSERT_TRUE(handshake(&t, 20000));
		/* Both forget each other: the first segments wait for ARP. */
		arp_flush_all(t.st[0]);
		arp_flush_all(t.st[1]);
		EXPECT_TRUE(transfer(&t, 1u << 20, 60000));
		EXPECT_FALSE(t.bad[0] || t.bad[1]);
		EXPECT_EQ(0u, tcp_drops(t.st[0]) + tcp_drops(t.st[1]));
		close_both(_metadata, &t);
		two_fini(&t);
	}
}

TEST(four_mib_both_ways_jumbo_mtu)
{
	jumbo_both_ways(_metadata, FEAT_DEFAULT, 256);
}

TEST(four_mib_both_ways_jumbo_mtu_and_tso)
{
	jumbo_both_ways(_metadata, FEAT_TSO_GRO, 256);
}

TEST(four_mib_both_ways_jumbo_mtu_over_an_8_entry_ring)
{
	jumbo_both_ways(_metadata, FEAT_DEFAULT, 8);
}

/* Side 1's device, its clock reads counted (the rest passed through). */
static struct bypass_dev_ops counted_ops;
static const struct bypass_dev_ops *real_ops;
static unsigned int clock_reads;

static uint64_t counted_now(struct bypass_dev *dev)
{
	clock_reads++;
	return real_ops->now_ns(dev);
}

TEST(clock_read_once_per_poll_and_per_send)
{
	struct bypass_pool *pool;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	uint32_t got = 0;
	struct two t;
	int i;

	ASSERT_EQ(0, two_init(&t, FEAT_DEFAULT, NULL));
	ASSERT_TRUE(handshake(&t, 100));
	bypass_tcp_set_nodelay(t.c[0], true);
	bypass_tcp_set_nodelay(t.c[1], true);
	dev = bypass_pair_dev(t.pair, 1);
	real_ops = dev->ops;
	counted_ops = *dev->ops;
	counted_ops.now_ns = counted_now;
	dev->ops = &counted_ops;
	pool = bypass_stack_pool(t.st[0]);
	for (i = 0; i < 10; i++) {
		/* Four segments reach side 1 in one poll, with data each. */
		for (int k = 0; k < 4; k++) {
			b = bypass_buf_alloc(pool);
			ASSERT_NE(NULL, b);
			memset(b->data, 'a' + k, 100);
			b->len = 100;
			ASSERT_EQ(0, bypass_tcp_send(t.c[0], b));
		}
		bypass_stack_flush(t.st[0]);
		clock_reads = 0;
		EXPECT_LE(4, bypass_stack_poll(t.st[1]));
		EXPECT_EQ(1u, clock_reads);
		/* The answer: one read for the send, whatever it sends. */
		while ((b = bypass_tcp_recv(t.c[1]))) {
			clock_reads = 0;
			ASSERT_EQ(0, bypass_tcp_send(t.c[1], b));
			EXPECT_EQ(1u, clock_reads);
		}
		bypass_stack_flush(t.st[1]);
		bypass_stack_poll(t.st[0]);
		while ((b = bypass_tcp_recv(t.c[0]))) {
			got += b->len;
			bypass_buf_put(b);
		}
	}
	EXPECT_EQ(4000u, got);
	dev->ops = real_ops;
	two_fini(&t);
}

TEST_HARNESS_MAIN
