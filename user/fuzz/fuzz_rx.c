// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the receive path: every input is one frame handed
 * to a running stack, either through the emulated device and RX ring or
 * straight into an RX buffer with a fuzzed virtio-net header. Control bits
 * in the first byte can repair the IPv4/UDP/ICMP checksums (so the fuzzer
 * reaches the upper layers) and move the virtual clock (so ARP timers run).
 * Sanitizers catch memory errors; a buffer leak aborts.
 */
#include <stdlib.h>
#include <string.h>

#include "frames.h"
#include "fuzz_rx.h"
#include "stack.h"

#define FUZZ_POOL	2048
#define FUZZ_RING	64

static struct bypass_pair *pair;
static struct bypass_stack *st;
static struct bypass_udp *sock;
static struct bypass_ping *ping;

static void fuzz_init(void)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT, .queue_size = FUZZ_RING };
	struct bypass_stack_config cfg = {
		.addr = IP_US, .prefix_len = 24, .gateway = IP_GW, .pool_bufs = FUZZ_POOL,
	};

	memcpy(pc.mac[0], mac_us, 6);
	memcpy(pc.mac[1], mac_peer, 6);
	if (bypass_pair_create(&pc, &pair))
		abort();
	bypass_pair_set_capture(pair, 0, true);
	if (bypass_stack_create(bypass_pair_dev(pair, 0), &cfg, &st) ||
	    bypass_udp_open(st, 7, &sock) || bypass_ping_open(st, 1, &ping))
		abort();
}

/* Make the IPv4 header checksum and the L4 checksum right, if present. */
static void fix_checksums(uint8_t *f, size_t len)
{
	uint8_t *ip = f + ETH_HLEN, *l4;
	size_t ihl, tot;
	uint16_t c = 0;

	if (len < ETH_HLEN + 20 || f[12] != 0x08 || f[13] != 0x00)
		return;
	ihl = (ip[0] & 15) * 4u;
	tot = (size_t)ip[2] << 8 | ip[3];
	if (ihl < 20 || ETH_HLEN + ihl > len)
		return;
	memcpy(ip + 10, &c, 2);
	c = t_csum(ip, ihl, 0);
	memcpy(ip + 10, &c, 2);
	if (tot < ihl || ETH_HLEN + tot > len)
		return;
	l4 = ip + ihl;
	if (ip[9] == IPPROTO_UDP && tot - ihl >= 8) {
		size_t ulen = (size_t)l4[4] << 8 | l4[5];
		uint32_t src, dst;

		if (ulen < 8 || ulen > tot - ihl)
			return;
		memcpy(&src, ip + 12, 4);
		memcpy(&dst, ip + 16, 4);
		c = 0;
		memcpy(l4 + 6, &c, 2);
		c = t_csum(l4, ulen, t_pseudo(src, dst, IPPROTO_UDP, (uint16_t)ulen));
		memcpy(l4 + 6, &c, 2);
	} else if (ip[9] == IPPROTO_ICMP && tot - ihl >= 4) {
		c = 0;
		memcpy(l4 + 2, &c, 2);
		c = t_csum(l4, tot - ihl, 0);
		memcpy(l4 + 2, &c, 2);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t frame[STACK_BUF_SIZE * 2];
	struct bypass_buf *b;
	uint8_t ctl;

	if (!st)
		fuzz_init();
	if (!size || size - 1 > sizeof(frame))
		return 0;
	ctl = data[0];
	memcpy(frame, data + 1, size - 1);
	size--;
	if (ctl & FUZZ_SEND) {
		b = bypass_buf_alloc(bypass_stack_pool(st));
		if (b) {
			b->len = 16;
			bypass_udp_sendto(sock, b, IP(10, 0, 0, (ctl >> 4) & 7), 9);
		}
	}
	if (ctl & FUZZ_RAW_HDR) {
		/* As if the device had written it: header and frame. */
		b = bypass_buf_alloc(bypass_stack_pool(st));
		if (b) {
			size_t room = b->size - st->rx_off;
			uint32_t len = (uint32_t)(size < room ? size : room);

			memcpy(b->head + st->rx_off, frame, len);
			if (ctl & FUZZ_FIX_CSUM && len > st->hdr_len)
				fix_checksums(b->head + st->rx_off + st->hdr_len,
					      len - st->hdr_len);
			/* Claimed lengths beyond the buffer must be caught too. */
			stack_rx_frame(st, b, ctl & 0x80 ? len + 4096 : len);
		}
	} else {
		if (ctl & FUZZ_FIX_CSUM)
			fix_checksums(frame, size);
		bypass_pair_inject(pair, 0, frame, size);
	}
	if (ctl & FUZZ_TICK)
		bypass_pair_advance(pair, 1000000000ull);
	bypass_stack_poll(st);
	while ((b = bypass_udp_recv(sock, NULL, NULL)))
		bypass_buf_put(b);
	while ((b = bypass_ping_recv(ping, NULL, NULL)))
		bypass_buf_put(b);
	while (bypass_pair_capture_pop(pair, 0, frame, sizeof(frame)) > 0)
		;
	bypass_stack_poll(st);
	/* The RX ring and ARP queues may hold buffers; nothing else may. */
	if (bypass_pool_available(bypass_stack_pool(st)) + FUZZ_RING +
	    ARP_SETS * ARP_WAYS * ARP_QUEUE_MAX <
	    bypass_pool_capacity(bypass_stack_pool(st)))
		abort();
	return 0;
}
