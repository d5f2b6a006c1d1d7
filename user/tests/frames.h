/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Test helpers: build raw Ethernet frames (ARP, IPv4, ICMP, UDP) with
 * correct checksums for packet-script tests, and a rig that runs one stack
 * on side 0 of an in-memory pair while the test plays the peer: frames are
 * injected towards the stack and everything it sends is captured.
 */
#ifndef BYPASS_TEST_FRAMES_H
#define BYPASS_TEST_FRAMES_H

#include <arpa/inet.h>
#include <string.h>

#include <linux/if_arp.h>
#include <linux/if_ether.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/udp.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"

#define FEAT_DEFAULT (1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_RING_F_EVENT_IDX | \
		      1ULL << VIRTIO_NET_F_MRG_RXBUF)

static const uint8_t mac_us[6] = { 0x52, 0x54, 0x00, 0xb9, 0x00, 0x01 };
static const uint8_t mac_peer[6] = { 0x52, 0x54, 0x00, 0xb9, 0x00, 0x02 };
static const uint8_t mac_gw[6] = { 0x52, 0x54, 0x00, 0xb9, 0x00, 0xfe };
static const uint8_t mac_bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

#define IP(a, b, c, d) htonl((uint32_t)(a) << 24 | (b) << 16 | (c) << 8 | (d))
#define IP_US	IP(10, 0, 0, 1)
#define IP_PEER	IP(10, 0, 0, 2)
#define IP_GW	IP(10, 0, 0, 254)

static inline uint16_t t_csum(const void *p, size_t len, uint32_t sum)
{
	return bypass_csum_fold(bypass_csum_partial(p, len, sum));
}

static inline size_t t_eth(uint8_t *f, const uint8_t *dst, const uint8_t *src,
			   uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	type = htons(type);
	memcpy(f + 12, &type, 2);
	return ETH_HLEN;
}

static inline size_t t_arp(uint8_t *f, uint16_t op, const uint8_t *eth_dst,
			   const uint8_t *sha, uint32_t spa, const uint8_t *tha,
			   uint32_t tpa)
{
	static const uint8_t zero[6];
	uint8_t *a = f + t_eth(f, eth_dst, sha, ETH_P_ARP);
	uint16_t v;

	v = htons(ARPHRD_ETHER);
	memcpy(a, &v, 2);
	v = htons(ETH_P_IP);
	memcpy(a + 2, &v, 2);
	a[4] = 6;
	a[5] = 4;
	v = htons(op);
	memcpy(a + 6, &v, 2);
	memcpy(a + 8, sha, 6);
	memcpy(a + 14, &spa, 4);
	memcpy(a + 18, tha ? tha : zero, 6);
	memcpy(a + 24, &tpa, 4);
	return ETH_HLEN + 28;
}

/* IPv4 header (20 bytes, checksum set) at @p for @l4_len bytes after it. */
static inline size_t t_ipv4(uint8_t *p, uint32_t src, uint32_t dst,
			    uint8_t proto, size_t l4_len)
{
	struct iphdr ip;

	memset(&ip, 0, sizeof(ip));
	ip.version = 4;
	ip.ihl = 5;
	ip.tot_len = htons((uint16_t)(20 + l4_len));
	ip.id = htons(0x1234);
	ip.ttl = 64;
	ip.protocol = proto;
	ip.saddr = src;
	ip.daddr = dst;
	ip.check = t_csum(&ip, 20, 0);
	memcpy(p, &ip, 20);
	return 20;
}

static inline uint32_t t_pseudo(uint32_t src, uint32_t dst, uint8_t proto,
				uint16_t len)
{
	uint8_t ph[12] = { 0 };

	memcpy(ph, &src, 4);
	memcpy(ph + 4, &dst, 4);
	ph[9] = proto;
	len = htons(len);
	memcpy(ph + 10, &len, 2);
	return bypass_csum_partial(ph, 12, 0);
}

/* A whole UDP frame from the peer; returns its length. */
static inline size_t t_udp(uint8_t *f, const uint8_t *eth_dst, uint32_t src,
			   uint32_t dst, uint16_t sport, uint16_t dport,
			   const void *payload, size_t plen)
{
	size_t off = t_eth(f, eth_dst, mac_peer, ETH_P_IP);
	struct udphdr uh;
	uint16_t c;

	off += t_ipv4(f + off, src, dst, IPPROTO_UDP, 8 + plen);
	uh.source = htons(sport);
	uh.dest = htons(dport);
	uh.len = htons((uint16_t)(8 + plen));
	uh.check = 0;
	memcpy(f + off, &uh, 8);
	memcpy(f + off + 8, payload, plen);
	c = t_csum(f + off, 8 + plen, t_pseudo(src, dst, IPPROTO_UDP,
						(uint16_t)(8 + plen)));
	if (!c)
		c = 0xffff;
	memcpy(f + off + 6, &c, 2);
	return off + 8 + plen;
}

/* An ICMP echo request from the peer. */
static inline size_t t_ping(uint8_t *f, const uint8_t *eth_dst, uint32_t src,
			    uint32_t dst, uint16_t id, uint16_t seq,
			    const void *payload, size_t plen)
{
	size_t off = t_eth(f, eth_dst, mac_peer, ETH_P_IP);
	struct icmphdr ic;

	off += t_ipv4(f + off, src, dst, IPPROTO_ICMP, 8 + plen);
	memset(&ic, 0, sizeof(ic));
	ic.type = ICMP_ECHO;
	ic.un.echo.id = htons(id);
	ic.un.echo.sequence = htons(seq);
	memcpy(f + off, &ic, 8);
	memcpy(f + off + 8, payload, plen);
	ic.checksum = t_csum(f + off, 8 + plen, 0);
	memcpy(f + off + 2, &ic.checksum, 2);
	return off + 8 + plen;
}

/* One stack on side 0 of a pair; the test is the peer on side 1. */
struct one {
	struct bypass_pair *pair;
	struct bypass_stack *st;
	uint8_t frame[2048];
	ssize_t frame_len;
};

static inline int one_init_cfg(struct one *o, uint64_t features,
			       const struct bypass_stack_config *cfg)
{
	struct bypass_pair_config pc = { .features = features, .queue_size = 64 };

	memset(o, 0, sizeof(*o));
	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	if (bypass_pair_create(&pc, &o->pair))
		return -1;
	bypass_pair_set_capture(o->pair, 0, true);
	if (bypass_stack_create(bypass_pair_dev(o->pair, 0), cfg, &o->st))
		return -1;
	bypass_stack_poll(o->st);
	return 0;
}

static inline int one_init(struct one *o, uint64_t features)
{
	struct bypass_stack_config cfg = {
		.addr = IP_US, .prefix_len = 24, .gateway = IP_GW, .pool_bufs = 512,
	};

	return one_init_cfg(o, features, &cfg);
}

static inline void one_fini(struct one *o)
{
	bypass_stack_destroy(o->st);
	bypass_pair_destroy(o->pair);
}

/* Deliver a frame to the stack and let it process everything. */
static inline void one_rx(struct one *o, const void *f, size_t len)
{
	bypass_pair_inject(o->pair, 0, f, len);
	bypass_stack_poll(o->st);
}

/* The next frame the stack sent, into o->frame; returns its length. */
static inline ssize_t one_tx(struct one *o)
{
	o->frame_len = bypass_pair_capture_pop(o->pair, 0, o->frame,
					       sizeof(o->frame));
	return o->frame_len;
}

/* Teach the stack the peer's MAC (a request from the peer for us). */
static inline void one_learn_peer(struct one *o)
{
	uint8_t f[64];

	one_rx(o, f, t_arp(f, ARPOP_REQUEST, mac_bcast, mac_peer, IP_PEER,
			   NULL, IP_US));
	while (one_tx(o) > 0)
		;
}

static inline uint64_t one_drops(struct one *o, unsigned int reason)
{
	struct bypass_counters c;

	bypass_stack_counters(o->st, &c);
	return reason < BYPASS_DROP_NR ? c.drops[reason] : bypass_drops_total(&c);
}

/*
 * A pair (@pc with our MACs filled in) and a stack on each side configured
 * as @cfg (NULL: defaults) but for the address: side 0 is IP_US, side 1
 * IP_PEER, both on a /24. Returns 0 or -1.
 */
static inline int pair_two_stacks(struct bypass_pair_config *pc,
				  const struct bypass_stack_config *base,
				  struct bypass_pair **pair,
				  struct bypass_stack *st[2])
{
	int i;

	memcpy(pc->mac[0], mac_us, 6);
	memcpy(pc->mac[1], mac_peer, 6);
	if (bypass_pair_create(pc, pair))
		return -1;
	for (i = 0; i < 2; i++) {
		struct bypass_stack_config cfg = { 0 };

		if (base)
			cfg = *base;
		cfg.addr = i ? IP_PEER : IP_US;
		cfg.prefix_len = 24;
		if (bypass_stack_create(bypass_pair_dev(*pair, i), &cfg, &st[i]))
			return -1;
	}
	return 0;
}

/* Poll two stacks until neither has received anything twice in a row. */
static inline void stacks_run_idle(struct bypass_stack *a,
				   struct bypass_stack *b)
{
	int idle = 0;

	while (idle < 2)
		idle = bypass_stack_poll(a) + bypass_stack_poll(b) ? 0 : idle + 1;
}

#endif /* BYPASS_TEST_FRAMES_H */
