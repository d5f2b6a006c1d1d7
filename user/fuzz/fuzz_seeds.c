// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_rx into the directory given as argument:
 * one file per well-formed frame the receive path knows (ARP request and
 * reply, ping and its reply, UDP to an open and a closed port, IPv4
 * options, an ICMP "fragmentation needed" quoting TCP), each once
 * through the device and once raw with a virtio-net header, so the fuzzer
 * starts deep in every layer instead of at the Ethernet header.
 */
#include <stdio.h>
#include <stdlib.h>

#include "frames.h"
#include "fuzz_rx.h"

static int put(const char *dir, const char *name, uint8_t ctl,
	       const uint8_t *frame, size_t len)
{
	struct virtio_net_hdr_v1 vh = { .num_buffers = htole16(1) };
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s-%s", dir, name,
		 ctl & FUZZ_RAW_HDR ? "raw" : "dev");
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(&ctl, 1, 1, f) == 1;
	if (ctl & FUZZ_RAW_HDR)
		ok = ok && fwrite(&vh, sizeof(vh), 1, f) == 1;
	ok = ok && fwrite(frame, len, 1, f) == 1;
	return fclose(f) || !ok ? -1 : 0;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int kind; } seeds[] = {
		{ "arp-request", 0 }, { "arp-reply", 1 }, { "ping", 2 },
		{ "udp-open", 3 }, { "udp-closed", 4 }, { "udp-options", 5 },
		{ "echo-reply", 6 }, { "frag-needed", 7 },
	};
	uint8_t f[256];
	size_t i, n = 0;
	int ctl;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		switch (seeds[i].kind) {
		case 0:
			n = t_arp(f, ARPOP_REQUEST, mac_bcast, mac_peer, IP_PEER, NULL, IP_US);
			break;
		case 1:
			n = t_arp(f, ARPOP_REPLY, mac_us, mac_peer, IP_PEER, mac_us, IP_US);
			break;
		case 2:
			n = t_ping(f, mac_us, IP_PEER, IP_US, 1, 1, "0123456789", 10);
			break;
		case 3:
			n = t_udp(f, mac_us, IP_PEER, IP_US, 1000, 7, "payload", 7);
			break;
		case 4:
			n = t_udp(f, mac_us, IP_PEER, IP_US, 1000, 9, "payload", 7);
			break;
		case 5:
			/* Four NOP options; fuzz_rx repairs the checksums. */
			n = t_udp(f, mac_us, IP_PEER, IP_US, 1000, 7, "payload", 7);
			memmove(f + ETH_HLEN + 24, f + ETH_HLEN + 20, n - ETH_HLEN - 20);
			memset(f + ETH_HLEN + 20, 1, 4);
			f[ETH_HLEN] = 0x46;
			f[ETH_HLEN + 3] += 4;
			n += 4;
			break;
		case 6:
			/* A reply to fuzz_rx's ping socket (id 1). */
			n = t_ping(f, mac_us, IP_PEER, IP_US, 1, 7, "0123456789", 10);
			f[ETH_HLEN + 20] = ICMP_ECHOREPLY;
			break;
		case 7: {
			/* Our TCP segment's header quoted; next-hop MTU 1000. */
			uint8_t q[28] = { 0 };

			t_ipv4(q, IP_US, IP_PEER, IPPROTO_TCP, 1480);
			q[20] = 0xc0;
			q[23] = 80;
			n = t_ping(f, mac_us, IP_PEER, IP_US, 0, 1000, q, sizeof(q));
			f[ETH_HLEN + 20] = ICMP_DEST_UNREACH;
			f[ETH_HLEN + 21] = ICMP_FRAG_NEEDED;
			break;
		}
		}
		for (ctl = 0; ctl <= FUZZ_RAW_HDR; ctl++)
			if (put(argv[1], seeds[i].name, (uint8_t)(ctl | FUZZ_FIX_CSUM), f, n))
				return 1;
	}
	return 0;
}
