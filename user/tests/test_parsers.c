// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of every receive parser (Ethernet, ARP, IPv4, ICMP, UDP, the
 * ring) with malformed and unwanted frames: each must be dropped with its
 * own named reason, answered with nothing (or exactly the right ICMP), and
 * leave no buffer behind.
 */
#include "kselftest_harness.h"
#include "frames.h"
#include "stack.h"

#define PORT_OPEN	7
#define PORT_CLOSED	9

FIXTURE(stack) {
	struct one o;
	struct bypass_udp *sock;
	uint8_t f[4096];
	size_t len;
};

FIXTURE_SETUP(stack)
{
	ASSERT_EQ(0, one_init(&self->o, FEAT_DEFAULT));
	/* The gratuitous ARP of a starting stack. */
	ASSERT_EQ(42, one_tx(&self->o));
	ASSERT_EQ(0, bypass_udp_open(self->o.st, PORT_OPEN, &self->sock));
	one_learn_peer(&self->o);
	self->len = t_udp(self->f, mac_us, IP_PEER, IP_US, 1000, PORT_OPEN,
			  "hello", 5);
}

FIXTURE_TEARDOWN(stack)
{
	struct bypass_pool *pool = bypass_stack_pool(self->o.st);

	/* Reclaim what was sent; then every buffer but the RX ring's is free. */
	bypass_stack_poll(self->o.st);
	EXPECT_EQ(bypass_pool_capacity(pool) - 64, bypass_pool_available(pool));
	EXPECT_EQ(0u, bypass_pool_bad_puts(pool));
	one_fini(&self->o);
}

/* Feed @f; expect exactly one drop, for @reason, and no reply. */
static void drop_one(struct __test_metadata *_metadata, struct one *o,
		     const void *f, size_t len, unsigned int reason)
{
	uint64_t before = one_drops(o, reason);
	uint64_t total = one_drops(o, BYPASS_DROP_NR);

	one_rx(o, f, len);
	EXPECT_EQ(before + 1, one_drops(o, reason)) {
		TH_LOG("expected a drop for %s", bypass_drop_name(reason));
	}
	EXPECT_EQ(total + 1, one_drops(o, BYPASS_DROP_NR));
	EXPECT_EQ(0, one_tx(o));
}

static void fix_ip_csum(uint8_t *f)
{
	uint16_t c = 0;

	memcpy(f + ETH_HLEN + 10, &c, 2);
	c = t_csum(f + ETH_HLEN, (f[ETH_HLEN] & 15) * 4u, 0);
	memcpy(f + ETH_HLEN + 10, &c, 2);
}

/* The datagram as received by the open socket, or NULL. */
static struct bypass_buf *received(struct bypass_udp *sock)
{
	return bypass_udp_recv(sock, NULL, NULL);
}

TEST_F(stack, valid_datagram_is_delivered)
{
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t port;

	one_rx(&self->o, self->f, self->len);
	b = bypass_udp_recv(self->sock, &addr, &port);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(5u, b->len);
	EXPECT_EQ(0, memcmp(b->data, "hello", 5));
	EXPECT_EQ(IP_PEER, addr);
	EXPECT_EQ(1000, port);
	EXPECT_EQ(0u, one_drops(&self->o, BYPASS_DROP_NR));
	bypass_buf_put(b);
}

TEST_F(stack, broadcast_datagrams_are_delivered)
{
	struct bypass_buf *b;
	uint8_t g[128];
	int i;

	one_rx(&self->o, g, t_udp(g, mac_bcast, IP_PEER, IP(10, 0, 0, 255), 1000,
				  PORT_OPEN, "subnet", 6));
	one_rx(&self->o, g, t_udp(g, mac_bcast, IP_PEER, IP(255, 255, 255, 255),
				  1000, PORT_OPEN, "limited", 7));
	for (i = 0; i < 2; i++) {
		b = received(self->sock);
		ASSERT_NE(NULL, b);
		EXPECT_EQ(i ? 7u : 6u, b->len);
		bypass_buf_put(b);
	}
	EXPECT_EQ(0u, one_drops(&self->o, BYPASS_DROP_NR));
	EXPECT_EQ(0, one_tx(&self->o));
}

TEST_F(stack, eth_malformed)
{
	uint8_t g[64];

	drop_one(_metadata, &self->o, self->f, 0, BYPASS_DROP_ETH_SHORT);
	drop_one(_metadata, &self->o, self->f, 13, BYPASS_DROP_ETH_SHORT);
	memcpy(g, self->f, 64);
	g[5] ^= 1;			/* another host's MAC */
	drop_one(_metadata, &self->o, g, self->len, BYPASS_DROP_ETH_NOT_FOR_US);
	memcpy(g, "\x01\x00\x5e\x00\x00\x01", 6);	/* IPv4 multicast */
	drop_one(_metadata, &self->o, g, self->len, BYPASS_DROP_ETH_MULTICAST);
	memcpy(g, self->f, 64);
	g[6] |= 1;			/* multicast source */
	drop_one(_metadata, &self->o, g, self->len, BYPASS_DROP_ETH_BAD_SRC);
	memcpy(g, self->f, 64);
	g[12] = 0x86;			/* IPv6 */
	g[13] = 0xdd;
	drop_one(_metadata, &self->o, g, self->len, BYPASS_DROP_ETH_UNKNOWN_TYPE);
	g[12] = 0x81;			/* a VLAN tag */
	g[13] = 0x00;
	drop_one(_metadata, &self->o, g, self->len, BYPASS_DROP_ETH_UNKNOWN_TYPE);
	EXPECT_EQ(NULL, received(self->sock));
}

TEST_F(stack, arp_malformed)
{
	uint8_t g[64];
	size_t n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_peer, IP_PEER, NULL, IP_US);

	drop_one(_metadata, &self->o, g, n - 1, BYPASS_DROP_ARP_SHORT);
	g[ETH_HLEN + 1] = 6;		/* hardware type IEEE 802 */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_FORMAT);
	g[ETH_HLEN + 1] = 1;
	g[ETH_HLEN + 4] = 8;		/* hardware length */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_FORMAT);
	g[ETH_HLEN + 4] = 6;
	g[ETH_HLEN + 5] = 16;		/* protocol length */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_FORMAT);
	g[ETH_HLEN + 5] = 4;
	g[ETH_HLEN + 7] = 3;		/* RARP request */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_OP);
	n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_peer, IP(255, 255, 255, 255),
		  NULL, IP_US);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_SENDER);
	n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_peer, IP_US, NULL, IP_US);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_CONFLICT);
	n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_peer, IP(224, 0, 0, 5), NULL, IP_US);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_BAD_SENDER);
	/* A request for someone else, from someone we do not know. */
	n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_gw, IP_GW, NULL, IP(10, 0, 0, 7));
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ARP_NOT_FOR_US);
}

TEST_F(stack, arp_request_is_answered)
{
	uint8_t g[64];
	uint8_t *a;
	size_t n = t_arp(g, ARPOP_REQUEST, mac_bcast, mac_gw, IP_GW, NULL, IP_US);
	uint32_t ip;

	one_rx(&self->o, g, n);
	ASSERT_EQ(42, one_tx(&self->o));
	a = self->o.frame;
	EXPECT_EQ(0, memcmp(a, mac_gw, 6));
	EXPECT_EQ(0, memcmp(a + 6, mac_us, 6));
	EXPECT_EQ(0x08, a[12]);
	EXPECT_EQ(0x06, a[13]);
	a += ETH_HLEN;
	EXPECT_EQ(ARPOP_REPLY, a[7]);
	EXPECT_EQ(0, memcmp(a + 8, mac_us, 6));
	memcpy(&ip, a + 14, 4);
	EXPECT_EQ(IP_US, ip);
	EXPECT_EQ(0, memcmp(a + 18, mac_gw, 6));
	memcpy(&ip, a + 24, 4);
	EXPECT_EQ(IP_GW, ip);
	EXPECT_EQ(0, one_tx(&self->o));
}

TEST_F(stack, ipv4_malformed)
{
	uint8_t *g = malloc(self->len + 64), *ip = g + ETH_HLEN;
	size_t n = self->len;

	ASSERT_NE(NULL, g);
#define RESET() memcpy(g, self->f, self->len)
	RESET();
	drop_one(_metadata, &self->o, g, ETH_HLEN + 19, BYPASS_DROP_IPV4_SHORT);
	ip[0] = 0x65;		/* version 6 */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_VERSION);
	ip[0] = 0x44;		/* 16-byte header */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_IHL);
	ip[0] = 0x4f;		/* 60-byte header, longer than the frame */
	drop_one(_metadata, &self->o, g, ETH_HLEN + 40, BYPASS_DROP_IPV4_BAD_IHL);
	RESET();
	ip[2] = 0x10;		/* total length beyond the frame */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_LEN);
	ip[2] = 0;
	ip[3] = 19;		/* shorter than the header */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_LEN);
	RESET();
	ip[10] ^= 0x40;
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_CSUM);
	RESET();
	ip[6] = 0x20;		/* more fragments */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_FRAGMENT);
	ip[6] = 0x00;
	ip[7] = 0x08;		/* last fragment, offset 64 */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_FRAGMENT);
	RESET();
	ip[19] = 9;		/* 10.0.0.9 is not us */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_NOT_FOR_US);
	memcpy(ip + 16, "\xe0\x00\x00\x01", 4);	/* 224.0.0.1 */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_NOT_FOR_US);
	RESET();
	memcpy(ip + 12, "\xff\xff\xff\xff", 4);	/* broadcast source */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_SRC);
	memcpy(ip + 12, &(uint32_t){ IP_US }, 4);	/* our own address */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_SRC);
	memcpy(ip + 12, "\x0a\x00\x00\xff", 4);	/* subnet broadcast */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_BAD_SRC);
	RESET();
	ip[9] = IPPROTO_GRE;
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_IPV4_UNKNOWN_PROTO);
#undef RESET
	EXPECT_EQ(NULL, received(self->sock));
	free(g);
}

TEST_F(stack, ipv4_options_and_padding_are_handled)
{
	uint8_t g[128];
	struct bypass_counters c;
	struct bypass_buf *b;
	size_t n = self->len;

	/* Insert a 4-byte option (four NOPs) after the 20-byte header. */
	memcpy(g, self->f, ETH_HLEN + 20);
	memset(g + ETH_HLEN + 20, 1, 4);
	memcpy(g + ETH_HLEN + 24, self->f + ETH_HLEN + 20, n - ETH_HLEN - 20);
	g[ETH_HLEN] = 0x46;
	g[ETH_HLEN + 3] += 4;
	fix_ip_csum(g);
	/* And pad the frame to the Ethernet minimum of 60 bytes. */
	memset(g + n + 4, 0xee, 60 - (n + 4));
	one_rx(&self->o, g, 60);
	b = received(self->sock);
	ASSERT_NE(NULL, b);
	EXPECT_EQ(5u, b->len);
	EXPECT_EQ(0, memcmp(b->data, "hello", 5));
	bypass_buf_put(b);
	bypass_stack_counters(self->o.st, &c);
	EXPECT_EQ(1u, c.ipv4.rx_options);
	EXPECT_EQ(0u, bypass_drops_total(&c));
}

/*
 * One IPv4 case for the receive paths: @n bytes of @bytes written at @off
 * of the IP header of the valid datagram (the header checksum fixed
 * unless @keep_csum), or that datagram sent to the link broadcast address
 * and a closed port (@link_bcast) or with a 4-byte option inserted
 * (@options); dropped for
 * @reason, or delivered when @reason is BYPASS_DROP_NR.
 */
struct ipv4_case {
	const char *what;
	uint8_t off, n;
	const char *bytes;
	bool keep_csum, link_bcast, options;
	unsigned int reason;
};

/*
 * ipv4_input takes the common datagram by a shorter way once its source
 * passed (the source checks ran for the last datagram, from IP_PEER):
 * every case that way does not cover, fed right after a valid datagram,
 * must still be dropped for its own reason (or delivered) as the general
 * checks do, with no reply.
 */
#define IP4_DROP_(reason) BYPASS_DROP_IPV4_##reason
TEST_F(stack, ipv4_common_datagram_way_drops_what_the_checks_drop)
{
	static const struct ipv4_case cases[] = {
		{ "multicast source", 12, 4, "\xe0\x00\x00\x01", .reason = IP4_DROP_(BAD_SRC) },
		{ "limited broadcast source", 12, 4, "\xff\xff\xff\xff", .reason = IP4_DROP_(BAD_SRC) },
		{ "subnet broadcast source", 12, 4, "\x0a\x00\x00\xff", .reason = IP4_DROP_(BAD_SRC) },
		{ "zero source", 12, 4, "\x00\x00\x00\x00", .reason = IP4_DROP_(BAD_SRC) },
		{ "our own address as source", 12, 4, "\x0a\x00\x00\x01", .reason = IP4_DROP_(BAD_SRC) },
		{ "more fragments", 6, 2, "\x20\x00", .reason = IP4_DROP_(FRAGMENT) },
		{ "last fragment", 6, 2, "\x00\x08", .reason = IP4_DROP_(FRAGMENT) },
		{ "fragment with DF", 6, 2, "\x40\x01", .reason = IP4_DROP_(FRAGMENT) },
		{ "other destination", 16, 4, "\x0a\x00\x00\x09", .reason = IP4_DROP_(NOT_FOR_US) },
		{ "multicast destination", 16, 4, "\xe0\x00\x00\x01", .reason = IP4_DROP_(NOT_FOR_US) },
		{ "length beyond the frame", 2, 2, "\x10\x00", .reason = IP4_DROP_(BAD_LEN) },
		{ "length shorter than the header", 2, 2, "\x00\x13", .reason = IP4_DROP_(BAD_LEN) },
		{ "bad header checksum", 10, 1, "\x5a", .keep_csum = true, .reason = IP4_DROP_(BAD_CSUM) },
		{ "version 6", 0, 1, "\x65", .reason = IP4_DROP_(BAD_VERSION) },
		{ "header shorter than 20 bytes", 0, 1, "\x44", .reason = IP4_DROP_(BAD_IHL) },
		{ "unknown protocol", 9, 1, "\x2f", .reason = IP4_DROP_(UNKNOWN_PROTO) },
		/* To a closed port as a link broadcast: no port unreachable. */
		{ "link broadcast to our address", 0, 0, "", .link_bcast = true,
		  .reason = BYPASS_DROP_UDP_NO_SOCKET },
		{ "DF set", 6, 2, "\x40\x00", .reason = BYPASS_DROP_NR },
		{ "IP options", 0, 0, "", .options = true, .reason = BYPASS_DROP_NR },
	};
	struct bypass_stack *st = self->o.st;
	size_t n = self->len, i;
	uint8_t g[128], *ip = g + ETH_HLEN;
	struct bypass_counters c;
	struct bypass_buf *b;
	uint64_t opts = 0, drops;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct ipv4_case *k = &cases[i];

		TH_LOG("%s", k->what);
		/* A valid datagram first: its source passed, checked once. */
		one_rx(&self->o, self->f, n);
		b = received(self->sock);
		ASSERT_NE(NULL, b);
		bypass_buf_put(b);
		ASSERT_EQ(IP_PEER, st->rx_src_ok);
		ASSERT_EQ(st->neigh_gen, st->rx_src_gen);

		memcpy(g, self->f, n);
		if (k->link_bcast)
			ASSERT_EQ(n, t_udp(g, mac_bcast, IP_PEER, IP_US, 1000,
					   PORT_CLOSED, "hello", 5));
		if (k->options) {
			/* Four NOPs after the 20-byte header. */
			memcpy(g + ETH_HLEN + 24, self->f + ETH_HLEN + 20,
			       n - ETH_HLEN - 20);
			memset(ip + 20, 1, 4);
			ip[0] = 0x46;
			ip[3] += 4;
		}
		memcpy(ip + k->off, k->bytes, k->n);
		if (!k->keep_csum)
			fix_ip_csum(g);
		if (k->reason != BYPASS_DROP_NR) {
			drop_one(_metadata, &self->o, g, n + (k->options ? 4 : 0),
				 k->reason);
			continue;
		}
		drops = one_drops(&self->o, BYPASS_DROP_NR);
		one_rx(&self->o, g, n + (k->options ? 4 : 0));
		b = received(self->sock);
		ASSERT_NE(NULL, b);
		EXPECT_EQ(5u, b->len);
		EXPECT_EQ(0, memcmp(b->data, "hello", 5));
		bypass_buf_put(b);
		EXPECT_EQ(drops, one_drops(&self->o, BYPASS_DROP_NR));
		EXPECT_EQ(0, one_tx(&self->o));
		opts += k->options;
	}
	bypass_stack_counters(st, &c);
	EXPECT_EQ(opts, c.ipv4.rx_options);
	EXPECT_EQ(NULL, received(self->sock));
}

TEST_F(stack, icmp_malformed_and_unwanted)
{
	uint8_t g[128];
	size_t n = t_ping(g, mac_us, IP_PEER, IP_US, 1, 1, "abcd", 4);

	g[ETH_HLEN + 3] = 24;		/* IP length leaves 4 bytes of ICMP */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ICMP_SHORT);
	n = t_ping(g, mac_us, IP_PEER, IP_US, 1, 1, "abcd", 4);
	g[n - 1] ^= 0xff;
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ICMP_BAD_CSUM);
	n = t_ping(g, mac_us, IP_PEER, IP_US, 1, 1, "abcd", 4);
	g[ETH_HLEN + 20] = 13;		/* timestamp request */
	g[ETH_HLEN + 22] -= 13 - 8;	/* keep the checksum right */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ICMP_UNHANDLED);
	n = t_ping(g, mac_bcast, IP_PEER, IP(10, 0, 0, 255), 1, 1, "abcd", 4);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_ICMP_BROADCAST_ECHO);
}

TEST_F(stack, udp_malformed)
{
	uint8_t g[128], *uh = g + ETH_HLEN + 20;
	size_t n = self->len;

	memcpy(g, self->f, n);
	g[ETH_HLEN + 3] = 24;		/* 4 bytes of UDP */
	fix_ip_csum(g);
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_UDP_SHORT);
	memcpy(g, self->f, n);
	uh[5] = 14;			/* UDP length beyond the IP payload */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_UDP_BAD_LEN);
	uh[5] = 7;			/* shorter than its header */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_UDP_BAD_LEN);
	memcpy(g, self->f, n);
	g[n - 1] ^= 0x20;		/* payload changed, checksum not */
	drop_one(_metadata, &self->o, g, n, BYPASS_DROP_UDP_BAD_CSUM);
	/* Checksum 0 means "none" in IPv4: accepted as it is. */
	uh[6] = uh[7] = 0;
	one_rx(&self->o, g, n);
	struct bypass_buf *b = received(self->sock);

	ASSERT_NE(NULL, b);
	EXPECT_EQ('o' ^ 0x20, b->data[4]);
	bypass_buf_put(b);
}

TEST_F(stack, closed_port_gets_port_unreachable)
{
	uint8_t g[128], *ip, *ic;
	ssize_t r;
	size_t n;

	drop_one(_metadata, &self->o, g,
		 t_udp(g, mac_bcast, IP_PEER, IP(10, 0, 0, 255), 1000, PORT_CLOSED,
		       "x", 1), BYPASS_DROP_UDP_NO_SOCKET);
	n = t_udp(g, mac_us, IP_PEER, IP_US, 1000, PORT_CLOSED, "hello", 5);
	one_rx(&self->o, g, n);
	EXPECT_EQ(2u, one_drops(&self->o, BYPASS_DROP_UDP_NO_SOCKET));
	r = one_tx(&self->o);
	ASSERT_EQ(ETH_HLEN + 20 + 8 + 20 + 8, r);
	ip = self->o.frame + ETH_HLEN;
	ic = ip + 20;
	EXPECT_EQ(0, memcmp(self->o.frame, mac_peer, 6));
	EXPECT_EQ(IPPROTO_ICMP, ip[9]);
	EXPECT_EQ(0, t_csum(ip, 20, 0));
	EXPECT_EQ(0, memcmp(ip + 16, g + ETH_HLEN + 12, 4));
	EXPECT_EQ(ICMP_DEST_UNREACH, ic[0]);
	EXPECT_EQ(ICMP_PORT_UNREACH, ic[1]);
	EXPECT_EQ(0, t_csum(ic, 36, 0));
	/* It quotes the offending IP header and the UDP header. */
	EXPECT_EQ(0, memcmp(ic + 8, g + ETH_HLEN, 28));
	EXPECT_EQ(0, one_tx(&self->o));
}

TEST_F(stack, port_unreachables_are_rate_limited)
{
	struct bypass_counters c;
	uint8_t g[128];
	size_t n = t_udp(g, mac_us, IP_PEER, IP_US, 1000, PORT_CLOSED, "x", 1);
	int i, sent = 0;

	/* A burst of 50, then one per millisecond of device time. */
	for (i = 0; i < 80; i++) {
		one_rx(&self->o, g, n);
		while (one_tx(&self->o) > 0)
			sent++;
	}
	EXPECT_EQ(50, sent);
	bypass_pair_advance(self->o.pair, 10000000);
	for (i = 0; i < 20; i++) {
		one_rx(&self->o, g, n);
		while (one_tx(&self->o) > 0)
			sent++;
	}
	EXPECT_EQ(60, sent);
	bypass_stack_counters(self->o.st, &c);
	EXPECT_EQ(60u, c.icmp.port_unreach_tx);
	EXPECT_EQ(40u, c.icmp.errors_limited);
	EXPECT_EQ(100u, c.drops[BYPASS_DROP_UDP_NO_SOCKET]);
}

TEST_F(stack, full_socket_queue_drops)
{
	struct bypass_buf *b;
	int i, got = 0;

	for (i = 0; i < 300; i++)
		one_rx(&self->o, self->f, self->len);
	EXPECT_EQ(300u - 256u, one_drops(&self->o, BYPASS_DROP_UDP_QUEUE_FULL));
	while ((b = received(self->sock))) {
		got++;
		bypass_buf_put(b);
	}
	EXPECT_EQ(256, got);
}

TEST_F(stack, frame_bigger_than_a_buffer_is_dropped_whole)
{
	static uint8_t big[4000];
	struct bypass_buf *b;

	memcpy(big, self->f, self->len);
	/* A 4000-byte frame spans two merged buffers: one drop, no leak. */
	drop_one(_metadata, &self->o, big, sizeof(big), BYPASS_DROP_RING_MERGED);
	one_rx(&self->o, self->f, self->len);
	b = received(self->sock);
	ASSERT_NE(NULL, b);
	bypass_buf_put(b);
	EXPECT_EQ(1u, one_drops(&self->o, BYPASS_DROP_NR));
}

/* Play a device that lies in the virtio-net header or the used length. */
TEST_F(stack, device_header_lies_are_dropped)
{
	struct bypass_stack *st = self->o.st;
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(st));
	struct virtio_net_hdr_v1 vh = { .num_buffers = htole16(60000) };

	ASSERT_NE(NULL, b);
	memcpy(b->head + st->rx_off, &vh, sizeof(vh));
	memcpy(b->head + st->rx_off + sizeof(vh), self->f, self->len);
	stack_rx_frame(st, b, (uint32_t)(sizeof(vh) + self->len));
	EXPECT_EQ(1u, one_drops(&self->o, BYPASS_DROP_RING_BAD_LEN));
	b = bypass_buf_alloc(bypass_stack_pool(st));
	stack_rx_frame(st, b, b->size);		/* longer than it can hold */
	b = bypass_buf_alloc(bypass_stack_pool(st));
	stack_rx_frame(st, b, 4);		/* shorter than the header */
	EXPECT_EQ(3u, one_drops(&self->o, BYPASS_DROP_RING_BAD_LEN));
	/* The next honest frame is not swallowed as a merged tail. */
	one_rx(&self->o, self->f, self->len);
	b = received(self->sock);
	ASSERT_NE(NULL, b);
	bypass_buf_put(b);
	EXPECT_EQ(3u, one_drops(&self->o, BYPASS_DROP_NR));
}

TEST_F(stack, drop_names_are_unique_and_complete)
{
	unsigned int i, j;

	for (i = 0; i < BYPASS_DROP_NR; i++) {
		ASSERT_NE(NULL, bypass_drop_name(i));
		for (j = 0; j < i; j++)
			EXPECT_NE(0, strcmp(bypass_drop_name(i), bypass_drop_name(j)));
	}
	EXPECT_EQ(NULL, bypass_drop_name(BYPASS_DROP_NR));
	EXPECT_EQ(0, strcmp("ipv4_bad_csum", bypass_drop_name(BYPASS_DROP_IPV4_BAD_CSUM)));
}

TEST_HARNESS_MAIN
