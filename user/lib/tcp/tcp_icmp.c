// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ICMP errors about our segments: path MTU discovery (RFC 1191). A
 * "fragmentation needed" lowers the MSS of the connection whose segment
 * it quotes, if the quoted sequence number is one the connection has in
 * flight (RFC 5927 section 4.1, against blind forgeries), and what is in
 * flight goes again in the new size at once: the router dropped it, the
 * network is not congested, so the windows stay as they are.
 */
#include <errno.h>

#include "tcp.h"

#define TCP_IP_HDRS	40u	/* IPv4 and TCP headers without options */
#define TCP_MIN_PMTU	576u	/* RFC 1122 3.3.3: every host takes this */

/* RFC 1191 section 7: the plateau below a datagram size. */
static uint32_t plateau_below(uint32_t len)
{
	static const uint16_t plateaus[] = {
		32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68,
	};
	uint32_t i;

	for (i = 0; i < sizeof(plateaus) / sizeof(plateaus[0]); i++)
		if (plateaus[i] < len)
			return plateaus[i];
	return 68;
}

int bypass_tcp_frag_needed(struct bypass_tcp *tcp, uint32_t laddr,
			   uint16_t lport, uint32_t raddr, uint16_t rport,
			   uint32_t seq, uint16_t mtu, uint16_t dgram_len)
{
	struct tcp_conn *c = tcp_lookup(tcp, laddr, lport, raddr, rport);
	uint32_t opts, pmtu, mss;

	if (!c) {
		tcp->stats.icmp_ignored++;
		return -ENOENT;
	}
	/* A SYN is never too big: no quote of one is believed. */
	if (!seq_in(seq, c->snd_una, c->snd_max) ||
	    c->state == BYPASS_TCP_SYN_SENT ||
	    c->state == BYPASS_TCP_SYN_RECEIVED) {
		tcp->stats.icmp_ignored++;
		return -ERANGE;
	}
	opts = c->ts_ok ? TCP_TS_OPT_LEN : 0;
	pmtu = mtu;
	if (!pmtu)
		pmtu = plateau_below(dgram_len ? dgram_len :
				     c->mss + opts + TCP_IP_HDRS);
	if (pmtu < TCP_MIN_PMTU)
		pmtu = TCP_MIN_PMTU;
	mss = pmtu - TCP_IP_HDRS - opts;
	if (mss >= c->mss) {
		tcp->stats.icmp_ignored++;
		return -EINVAL;
	}
	c->mss = (uint16_t)mss;
	tcp->stats.pmtu_lowered++;
	/* Send again what was in flight, in the new size (Karn: no sample). */
	c->rtt_timing = false;
	c->snd_nxt = c->snd_una;
	tcp_output(c);
	return 0;
}
