// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of how the stack puts TCP segments on the TX ring: a segment
 * that is one unshared buffer leaves as one descriptor, its headers in the
 * buffer's headroom; a retransmission of a buffer the device still holds
 * gets a header buffer of its own; a frame that waits for ARP leaves the
 * send queue a copy; a buffer the application holds leaves once, behind a
 * header buffer; a header written from the connection's template is the
 * one written field by field. The bytes on the wire are checked in
 * each case.
 */
#include "kselftest_harness.h"
#include "frames.h"
#include "stack.h"
#include "tcp.h"

#define PORT		7
#define PAYLOAD		64
/* Ethernet, IPv4, TCP with timestamps, payload. */
#define FRAME_LEN	(ETH_HLEN + 20 + 32 + PAYLOAD)
#define TCP_OFF		(ETH_HLEN + 20)

struct conn2 {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
	struct bypass_tcp_conn *c[2];	/* 0: client, 1: accepted */
	struct bypass_tcp_conn *listener;
	uint8_t frame[2][2048];		/* frames captured from side 0 */
	ssize_t len[2];
};

/* Two stacks with one connection, Nagle off, everything sent and acked. */
static int conn2_init(struct conn2 *t, uint64_t features)
{
	struct bypass_pair_config pc = { .features = features };
	int i;

	memset(t, 0, sizeof(*t));
	if (pair_two_stacks(&pc, NULL, &t->pair, t->st) ||
	    bypass_stack_tcp_listen(t->st[1], PORT, 4, &t->listener) ||
	    bypass_stack_tcp_connect(t->st[0], IP_PEER, PORT, &t->c[0]))
		return -1;
	for (i = 0; i < 100 && !t->c[1]; i++) {
		stacks_run_idle(t->st[0], t->st[1]);
		t->c[1] = bypass_tcp_accept(t->listener);
	}
	if (!t->c[1])
		return -1;
	stacks_run_idle(t->st[0], t->st[1]);
	bypass_tcp_set_nodelay(t->c[0], true);
	return bypass_tcp_state(t->c[0]) == BYPASS_TCP_ESTABLISHED ? 0 : -1;
}

static void conn2_fini(struct conn2 *t)
{
	bypass_tcp_abort(t->c[0]);
	bypass_tcp_abort(t->c[1]);
	bypass_tcp_close(t->listener);
	bypass_stack_destroy(t->st[0]);
	bypass_stack_destroy(t->st[1]);
	bypass_pair_destroy(t->pair);
}

/* Send PAYLOAD bytes of @fill from the client; descriptors taken, or -1. */
static int send_payload(struct conn2 *t, uint8_t fill)
{
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t->st[0]));
	uint16_t before = virtq_free(&t->st[0]->txq);

	if (!b)
		return -1;
	memset(b->data, fill, PAYLOAD);
	b->len = PAYLOAD;
	if (bypass_tcp_send(t->c[0], b))
		return -1;
	return before - virtq_free(&t->st[0]->txq);
}

/* Retransmit the client's first unacknowledged segment; descriptors taken. */
static uint16_t retransmit(struct conn2 *t)
{
	uint16_t before = virtq_free(&t->st[0]->txq);

	tcp_retransmit_first((struct tcp_conn *)t->c[0]);
	return (uint16_t)(before - virtq_free(&t->st[0]->txq));
}

/* Every byte the server can read, each checked to be @fill. */
static uint32_t read_checked(struct conn2 *t, uint8_t fill, bool *bad)
{
	struct bypass_buf *b;
	uint32_t n = 0, i;

	stacks_run_idle(t->st[0], t->st[1]);
	while ((b = bypass_tcp_recv(t->c[1]))) {
		for (i = 0; i < b->len; i++)
			*bad |= b->data[i] != fill;
		n += b->len;
		bypass_buf_put(b);
	}
	return n;
}

/* Pop the next two TCP frames side 0 sent (ARP requests skipped). */
static void pop_two(struct conn2 *t)
{
	int i;

	for (i = 0; i < 2; i++) {
		do
			t->len[i] = bypass_pair_capture_pop(t->pair, 0, t->frame[i],
							    sizeof(t->frame[i]));
		while (t->len[i] > 0 && t->frame[i][12] == 0x08 &&
		       t->frame[i][13] == 0x06);
	}
}

/* The TCP checksum of a captured frame is right (sums to zero). */
static bool tcp_csum_ok(const uint8_t *f, size_t len)
{
	uint32_t src, dst;

	memcpy(&src, f + ETH_HLEN + 12, 4);
	memcpy(&dst, f + ETH_HLEN + 16, 4);
	return t_csum(f + TCP_OFF, len - TCP_OFF,
		      t_pseudo(src, dst, IPPROTO_TCP, (uint16_t)(len - TCP_OFF))) == 0;
}

/*
 * The frames at t->frame[0] and [1], @len bytes, are the same but for
 * the IPv4 id and header checksum.
 */
static void expect_same_frame(struct __test_metadata *_metadata,
			      const struct conn2 *t, ssize_t len)
{
	ASSERT_EQ(len, t->len[0]);
	ASSERT_EQ(len, t->len[1]);
	EXPECT_EQ(0, memcmp(t->frame[0], t->frame[1], ETH_HLEN + 4));
	EXPECT_EQ(0, memcmp(t->frame[0] + ETH_HLEN + 6, t->frame[1] + ETH_HLEN + 6, 4));
	EXPECT_EQ(0, memcmp(t->frame[0] + ETH_HLEN + 12, t->frame[1] + ETH_HLEN + 12,
			    (size_t)len - ETH_HLEN - 12));
	EXPECT_TRUE(tcp_csum_ok(t->frame[0], (size_t)len));
}

/*
 * The two captured frames are the same segment of PAYLOAD bytes of
 * @fill: Ethernet header, TCP header and payload byte for byte, IPv4
 * header but for its id and checksum, both checksums right.
 */
static void expect_same_segment(struct __test_metadata *_metadata,
				struct conn2 *t, uint8_t fill)
{
	int i, j;

	expect_same_frame(_metadata, t, FRAME_LEN);
	for (i = 0; i < 2; i++) {
		EXPECT_EQ(0, t_csum(t->frame[i] + ETH_HLEN, 20, 0));
		EXPECT_TRUE(tcp_csum_ok(t->frame[i], FRAME_LEN));
		for (j = FRAME_LEN - PAYLOAD; j < FRAME_LEN; j++)
			if (t->frame[i][j] != fill)
				break;
		EXPECT_EQ(FRAME_LEN, j);
	}
}

/* Give the captured frames to the server; it reads PAYLOAD bytes once. */
static void expect_delivered(struct __test_metadata *_metadata,
			     struct conn2 *t, uint8_t fill)
{
	bool bad = false;
	int i;

	for (i = 0; i < 2; i++)
		ASSERT_EQ(0, bypass_pair_inject(t->pair, 1, t->frame[i],
						(size_t)t->len[i]));
	bypass_pair_set_capture(t->pair, 0, false);
	EXPECT_EQ(PAYLOAD, read_checked(t, fill, &bad));
	EXPECT_FALSE(bad);
}

/* A fresh 64-byte buffer sent takes one descriptor and arrives whole. */
static void one_descriptor(struct __test_metadata *_metadata,
			   uint64_t features, uint8_t fill)
{
	struct conn2 t;
	bool bad = false;

	ASSERT_EQ(0, conn2_init(&t, features));
	EXPECT_EQ(1, send_payload(&t, fill));
	EXPECT_EQ(PAYLOAD, read_checked(&t, fill, &bad));
	EXPECT_FALSE(bad);
	conn2_fini(&t);
}

TEST(segment_of_one_buffer_leaves_as_one_descriptor)
{
	one_descriptor(_metadata, FEAT_DEFAULT, 0xa5);
}

TEST(segment_of_one_buffer_leaves_as_one_descriptor_csum_offload)
{
	one_descriptor(_metadata, FEAT_DEFAULT | 1ULL << VIRTIO_NET_F_CSUM |
		       1ULL << VIRTIO_NET_F_GUEST_CSUM, 0x3c);
}

/*
 * A buffer the application still holds cannot take the headers: the
 * engine's send from the connection's template steps back and the
 * segment leaves once, its header in a buffer of its own, the payload
 * chained behind it.
 */
TEST(buffer_the_application_holds_leaves_once_behind_a_header_buffer)
{
	struct bypass_buf *b;
	struct conn2 t;
	uint16_t before;
	bool bad = false;

	ASSERT_EQ(0, conn2_init(&t, FEAT_DEFAULT));
	ASSERT_TRUE(((struct tcp_conn *)t.c[0])->tmpl_emit);
	b = bypass_buf_alloc(bypass_stack_pool(t.st[0]));
	ASSERT_NE(NULL, b);
	memset(b->data, 0x6b, PAYLOAD);
	b->len = PAYLOAD;
	bypass_buf_get(b);			/* the application's reference */
	bypass_pair_set_capture(t.pair, 0, true);
	before = virtq_free(&t.st[0]->txq);
	ASSERT_EQ(0, bypass_tcp_send(t.c[0], b));
	EXPECT_EQ(2, before - virtq_free(&t.st[0]->txq));
	bypass_stack_flush(t.st[0]);
	pop_two(&t);
	EXPECT_EQ(FRAME_LEN, t.len[0]);
	EXPECT_GE(0, t.len[1]);			/* one frame, not two */
	EXPECT_TRUE(tcp_csum_ok(t.frame[0], FRAME_LEN));
	EXPECT_EQ(0, memcmp(t.frame[0] + FRAME_LEN - PAYLOAD, b->data, PAYLOAD));
	bypass_pair_set_capture(t.pair, 0, false);
	EXPECT_EQ(0, bypass_pair_inject(t.pair, 1, t.frame[0], (size_t)t.len[0]));
	EXPECT_EQ(PAYLOAD, read_checked(&t, 0x6b, &bad));
	EXPECT_FALSE(bad);
	bypass_buf_put(b);
	conn2_fini(&t);
}

/*
 * The device has not completed the first frame when the segment is sent
 * again: the second frame may not write into the buffer's headroom, which
 * the first one's descriptor covers, so it has a header buffer of its own.
 */
TEST(retransmission_of_a_buffer_on_the_ring_has_its_own_header)
{
	struct conn2 t;

	ASSERT_EQ(0, conn2_init(&t, FEAT_DEFAULT));
	bypass_pair_set_capture(t.pair, 0, true);
	EXPECT_EQ(1, send_payload(&t, 0x17));
	EXPECT_EQ(2, retransmit(&t));
	bypass_stack_flush(t.st[0]);
	pop_two(&t);
	expect_same_segment(_metadata, &t, 0x17);
	expect_delivered(_metadata, &t, 0x17);
	conn2_fini(&t);
}

/*
 * A frame that waits for ARP keeps the buffer its headers were written
 * into: the send queue goes on with a copy, which a retransmission sends
 * whole while the first frame still waits.
 */
TEST(frame_waiting_for_arp_leaves_the_send_queue_a_copy)
{
	uint8_t f[64];
	struct conn2 t;

	ASSERT_EQ(0, conn2_init(&t, FEAT_DEFAULT));
	arp_flush_all(t.st[0]);
	bypass_pair_set_capture(t.pair, 0, true);
	/* It waits for ARP (the request may take a descriptor)... */
	EXPECT_LE(0, send_payload(&t, 0xc3));
	EXPECT_EQ(0, retransmit(&t));		/* ... and the copy behind it */
	bypass_pair_inject(t.pair, 0, f, t_arp(f, ARPOP_REPLY, mac_us, mac_peer,
					       IP_PEER, mac_us, IP_US));
	bypass_stack_poll(t.st[0]);
	bypass_stack_flush(t.st[0]);
	pop_two(&t);
	expect_same_segment(_metadata, &t, 0xc3);
	expect_delivered(_metadata, &t, 0xc3);
	conn2_fini(&t);
}

/*
 * The stack's output given one segment twice, without the connection's
 * template (the header written field by field, as for a SYN) and with it
 * (written into the payload's headroom when @direct): the same frame.
 */
static void template_vs_fields(struct __test_metadata *_metadata,
			       struct conn2 *t, bool has_ts, uint32_t len,
			       bool direct)
{
	struct bypass_tcp *tcp = bypass_stack_tcp(t->st[0]);
	struct tcp_conn *c = (struct tcp_conn *)t->c[0];
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(t->st[0]));
	struct bypass_tcp_seg s;
	uint16_t before;
	int i;

	ASSERT_NE(NULL, b);
	memset(&s, 0, sizeof(s));
	s.saddr = c->laddr;
	s.daddr = c->raddr;
	s.sport = c->lport;
	s.dport = c->rport;
	s.seq = 0x01020304 + len;
	s.ack = 0xa0b0c0d0;
	s.flags = BYPASS_TCP_ACK | (len ? BYPASS_TCP_PSH : 0);
	s.win = 0x1234;
	s.opt.has_ts = has_ts;
	s.opt.ts_val = has_ts ? 0x11223344 : 0;
	s.opt.ts_ecr = has_ts ? 0x55667788 : 0;
	for (i = 0; i < (int)len; i++)
		b->data[i] = (uint8_t)(i * 7 + 1);
	b->len = len;
	s.len = len;
	s.nr_frags = len ? 1 : 0;
	s.frag[0].buf = b;
	s.frag[0].len = len;
	bypass_pair_set_capture(t->pair, 0, true);
	for (i = 0; i < 2; i++) {
		s.tmpl = i ? &c->tmpl : NULL;
		/* Done with the first frame: @b is the output's alone. */
		if (direct)
			bypass_stack_poll(t->st[0]);
		before = virtq_free(&t->st[0]->txq);
		EXPECT_EQ(0, tcp->ops.output(tcp->ctx, &s));
		EXPECT_EQ(i && direct ? 1 : 1 + s.nr_frags,
			  before - virtq_free(&t->st[0]->txq));
		bypass_stack_flush(t->st[0]);
	}
	pop_two(t);
	expect_same_frame(_metadata, t, ETH_HLEN + 20 + (has_ts ? 32 : 20) + len);
	bypass_pair_set_capture(t->pair, 0, false);
	bypass_buf_put(b);
}

TEST(template_header_is_the_field_by_field_one)
{
	struct conn2 t;

	ASSERT_EQ(0, conn2_init(&t, FEAT_DEFAULT));
	template_vs_fields(_metadata, &t, true, 63, true);
	template_vs_fields(_metadata, &t, true, 63, false);
	template_vs_fields(_metadata, &t, false, 64, true);
	template_vs_fields(_metadata, &t, true, 0, false);
	template_vs_fields(_metadata, &t, false, 0, false);
	conn2_fini(&t);
}

TEST_HARNESS_MAIN
