// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ICMP (RFC 792): answer echo requests in place, in the buffer they came
 * in (no copy, no allocation), report closed UDP ports with
 * port-unreachable errors quoting the offending header (RFC 1122 3.2.2),
 * rate limited by a token bucket on the device clock (RFC 1812 4.3.2.8),
 * and hand "fragmentation needed" errors quoting our TCP segments to the
 * TCP engine (path MTU discovery, RFC 1191).
 */
#include <string.h>

#include "libbypass.h"
#include "stack.h"

/* Bytes of the offending datagram quoted after its IP header. */
#define ICMP_QUOTE	8

/* RFC 1624: update a checksum for one 16-bit word changing @from -> @to. */
static uint16_t csum_replace16(uint16_t check, uint16_t from, uint16_t to)
{
	uint32_t sum = (uint16_t)~check + (uint32_t)(uint16_t)~from + to;

	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static void icmp_echo_reply(struct bypass_stack *st, struct bypass_buf *b,
			    const struct ipv4_rx *rx)
{
	struct icmphdr *ic = (struct icmphdr *)b->data;
	uint32_t ihl = rx->ip->ihl * 4u;
	struct iphdr *ip;
	uint16_t before, after;

	memcpy(&before, ic, 2);
	ic->type = ICMP_ECHOREPLY;
	memcpy(&after, ic, 2);
	ic->checksum = csum_replace16(ic->checksum, before, after);
	/* Turn the request's IP header around (its options go back as is). */
	ip = buf_push(b, ihl);
	ip->daddr = rx->src;
	ip->saddr = st->addr;
	ip->ttl = st->ttl;
	ip->frag_off = htons(IPV4_DF);
	ip->check = 0;
	ip->check = bypass_csum_fold(bypass_csum_partial(ip, ihl, 0));
	st->c.icmp.tx++;
	st->c.icmp.echo_replies_tx++;
	st->c.ipv4.tx++;
	ipv4_route(st, b, rx->src);
}

/*
 * Destination unreachable, fragmentation needed: the quoted IPv4 header
 * and the first 8 bytes of the TCP header (ports, sequence number) name
 * the connection and the segment; the engine checks the rest.
 */
static void icmp_frag_needed(struct bypass_stack *st, struct bypass_buf *b)
{
	const struct icmphdr *ic = (const struct icmphdr *)b->data;
	const struct iphdr *q = (const struct iphdr *)(ic + 1);
	const uint8_t *th;
	uint16_t sport, dport;
	uint32_t ihl, seq;

	if (b->len < sizeof(*ic) + sizeof(*q) + ICMP_QUOTE) {
		stack_drop(st, b, BYPASS_DROP_ICMP_SHORT);
		return;
	}
	ihl = q->ihl * 4u;
	if (q->version != 4 || ihl < sizeof(*q) ||
	    b->len < sizeof(*ic) + ihl + ICMP_QUOTE) {
		stack_drop(st, b, BYPASS_DROP_ICMP_SHORT);
		return;
	}
	if (q->protocol != IPPROTO_TCP || q->saddr != st->addr) {
		stack_drop(st, b, BYPASS_DROP_ICMP_UNHANDLED);
		return;
	}
	th = (const uint8_t *)q + ihl;
	memcpy(&sport, th, 2);
	memcpy(&dport, th + 2, 2);
	memcpy(&seq, th + 4, 4);
	bypass_tcp_frag_needed(st->tcp, q->saddr, ntohs(sport), q->daddr,
			       ntohs(dport), ntohl(seq), ntohs(ic->un.frag.mtu),
			       ntohs(q->tot_len));
	pool_put(b);
}

void icmp_input(struct bypass_stack *st, struct bypass_buf *b,
		const struct ipv4_rx *rx)
{
	const struct icmphdr *ic = (const struct icmphdr *)b->data;

	if (b->len < sizeof(*ic)) {
		stack_drop(st, b, BYPASS_DROP_ICMP_SHORT);
		return;
	}
	if (bypass_csum_fold(bypass_csum_partial(ic, b->len, 0))) {
		stack_drop(st, b, BYPASS_DROP_ICMP_BAD_CSUM);
		return;
	}
	st->c.icmp.rx++;
	if (ic->type == ICMP_ECHOREPLY && ic->code == 0) {
		icmp_echo_reply_input(st, b, rx);
		return;
	}
	if (ic->type == ICMP_DEST_UNREACH && ic->code == ICMP_FRAG_NEEDED) {
		icmp_frag_needed(st, b);
		return;
	}
	if (ic->type != ICMP_ECHO || ic->code != 0) {
		stack_drop(st, b, BYPASS_DROP_ICMP_UNHANDLED);
		return;
	}
	if (rx->broadcast) {
		/* RFC 1122 allows silence; answering invites amplification. */
		stack_drop(st, b, BYPASS_DROP_ICMP_BROADCAST_ECHO);
		return;
	}
	icmp_echo_reply(st, b, rx);
}

/* Take a token for one ICMP error, refilling one per ICMP_ERR_GAP_NS. */
static bool icmp_err_allowed(struct bypass_stack *st)
{
	uint64_t now = stack_now(st);
	uint64_t gained = (now - st->icmp_err_refill_ns) / ICMP_ERR_GAP_NS;

	if (gained) {
		st->icmp_err_refill_ns += gained * ICMP_ERR_GAP_NS;
		if (gained > ICMP_ERR_BURST - st->icmp_err_tokens)
			gained = ICMP_ERR_BURST - st->icmp_err_tokens;
		st->icmp_err_tokens += (uint32_t)gained;
	}
	if (!st->icmp_err_tokens) {
		st->c.icmp.errors_limited++;
		return false;
	}
	st->icmp_err_tokens--;
	return true;
}

void icmp_port_unreachable(struct bypass_stack *st, const struct ipv4_rx *rx,
			   uint32_t l4_len)
{
	uint32_t quote = rx->ip->ihl * 4u + (l4_len < ICMP_QUOTE ? l4_len : ICMP_QUOTE);
	struct bypass_buf *b;
	struct icmphdr *ic;

	if (!icmp_err_allowed(st))
		return;
	b = pool_alloc(st->pool);
	if (!b) {
		stack_drop(st, NULL, BYPASS_DROP_TX_NO_BUFFER);
		return;
	}
	ic = (struct icmphdr *)b->data;
	memset(ic, 0, sizeof(*ic));
	ic->type = ICMP_DEST_UNREACH;
	ic->code = ICMP_PORT_UNREACH;
	memcpy(ic + 1, rx->ip, quote);
	b->len = sizeof(*ic) + quote;
	ic->checksum = bypass_csum_fold(bypass_csum_partial(ic, b->len, 0));
	st->c.icmp.tx++;
	st->c.icmp.port_unreach_tx++;
	ipv4_output(st, b, rx->src, IPPROTO_ICMP);
}
