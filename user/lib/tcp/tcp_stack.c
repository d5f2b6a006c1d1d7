// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TCP engine inside the stack (receive is tcp_stack_rx.c): the
 * engine's segments are built
 * into frames (header, options, checksum) and sent through ipv4_send():
 * those of an established connection from its header template
 * (tcp_tmpl.c), only the fields that change written and summed, the
 * others (SYN, RST, SACK blocks, TSO) field by field.
 * Also the application's entry points that need the stack's address:
 * listen, and connect with an ephemeral port chosen as RFC 6056
 * algorithm 4 ("double-hash", Linux's __inet_hash_connect): the search
 * starts at a keyed hash of the destination plus a counter of that hash's
 * group, so the ports to one server follow each other (the first one
 * tried is free in the common case) while other destinations start
 * elsewhere, unpredictable from outside.
 * The engine's common send, one whole queued buffer of an established
 * connection whose template this stack built, skips the segment
 * structure: tcp_stack_emit() writes the template with the fields that
 * vary in front of the payload and posts it, to the last destination
 * through IPv4's prebuilt headers (ipv4_tx.h) without ipv4_send()'s
 * second checks, which the template's limits already made.
 * The payload is not copied. A segment that is one buffer nobody else
 * holds, starting at its data, gets its headers written into that
 * buffer's headroom: one descriptor, the frame holding a reference of its
 * own until the device completes it (a frame that must wait for ARP keeps
 * the buffer, and the send queue takes a copy). Otherwise the payload
 * slices are chained behind a header buffer as further descriptors and
 * stay referenced until the device completes the frame (only a frame
 * that must wait for ARP is copied into its header buffer).
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "csum.h"
#include "ipv4_tx.h"
#include "libbypass.h"
#include "stack.h"
#include "tcp.h"
#include "tcp_tmpl.h"

#define TCP_EPHEMERAL_LO	49152
#define TCP_EPHEMERAL_NR	16384
#define TCP_TSO_MAX		(65535 - 20 - 60)	/* IPv4, TCP headers */

static uint64_t stack_tcp_clock(void *ctx)
{
	return stack_now(ctx);
}

static int stack_tcp_xmit(void *ctx, const struct bypass_tcp_seg *seg);

/*
 * A TSO or jumbo segment the ring cannot take now: sent as segments of
 * @piece bytes instead (each on its way to the backlog, which holds one
 * buffer a frame), their payload slices cut from @seg's, nothing copied.
 * FIN and PSH go with the last.
 */
static int stack_tcp_xmit_split(struct bypass_stack *st,
				const struct bypass_tcp_seg *seg, uint32_t piece)
{
	uint8_t late = seg->flags & (BYPASS_TCP_FIN | BYPASS_TCP_PSH);
	struct bypass_tcp_seg part = *seg;
	uint32_t off = 0, fi = 0, foff = 0;
	int r = 0;

	part.gso_size = 0;
	while (off < seg->len) {
		uint32_t n = seg->len - off, got = 0;

		if (n > piece)
			n = piece;
		part.seq = seg->seq + off;
		part.len = n;
		part.nr_frags = 0;
		part.flags = off + n < seg->len ? seg->flags & ~late : seg->flags;
		while (got < n) {
			const struct bypass_tcp_frag *f = &seg->frag[fi];
			uint32_t take = f->len - foff;
			struct bypass_tcp_frag *pf = &part.frag[part.nr_frags++];

			if (take > n - got)
				take = n - got;
			pf->buf = f->buf;
			pf->off = f->off + foff;
			pf->len = take;
			got += take;
			foff += take;
			if (foff == f->len) {
				fi++;
				foff = 0;
			}
		}
		r |= stack_tcp_xmit(st, &part);
		off += n;
	}
	return r;
}

/*
 * Set the checksum of the TCP header @th, whose sum with the
 * pseudo-header is @sum (the pseudo-header's alone @psum), followed by
 * the payload slices of @seg.
 */
static void tcp_csum_set(struct bypass_stack *st, struct tcphdr *th,
			 uint32_t hlen, uint32_t sum, uint32_t psum,
			 const struct bypass_tcp_seg *seg)
{
	uint32_t i, off = hlen;

	if (st->tx_csum) {
		th->check = (uint16_t)~bypass_csum_fold(psum);	/* device ends it */
		return;
	}
	for (i = 0; i < seg->nr_frags; i++) {
		const struct bypass_tcp_frag *f = &seg->frag[i];

		/* At an even offset the words line up: sum on directly. */
		if (!(off & 1))
			sum = bypass_csum_partial(f->buf->data + f->off, f->len, sum);
		else
			sum = csum_add_at(sum, f->buf->data + f->off, f->len, off);
		off += f->len;
	}
	th->check = bypass_csum_fold(sum);
}

/*
 * Hand the frame @b (its TCP header on) to IPv4: where it went
 * (STACK_TX_POSTED, _ARP_WAIT, _BACKLOG), or -EAGAIN when it was lost
 * (and counted), which is the engine's to retransmit.
 */
static inline __attribute__((always_inline))
int stack_tcp_post(struct bypass_stack *st, struct bypass_buf *b,
		   uint32_t daddr)
{
	int r;

	st->c.tcp.tx++;
	/*
	 * The engine's clock is the stack's (tcp_clock_share()): a send the
	 * engine holds the clock for serves ARP that time; else one read.
	 */
	stack_clock_hold(st);
	r = ipv4_send(st, b, daddr, IPPROTO_TCP);
	stack_clock_release(st);
	return r < 0 ? -EAGAIN : r;
}

/* stack_tcp_post() for the engine: 0 once the frame is IPv4's, or -EAGAIN. */
static inline __attribute__((always_inline))
int stack_tcp_send(struct bypass_stack *st, struct bypass_buf *b,
		   uint32_t daddr)
{
	return stack_tcp_post(st, b, daddr) < 0 ? -EAGAIN : 0;
}

/*
 * stack_tcp_send() with @nr payload slices @frags of @len bytes chained
 * behind @b: stack_xmit() finds them in st->tx_frags for this one call.
 */
static int stack_tcp_send_chain(struct bypass_stack *st, struct bypass_buf *b,
				uint32_t daddr, const struct bypass_tcp_frag *frags,
				uint8_t nr, uint32_t len)
{
	int r;

	st->tx_frags = frags;
	st->tx_nr_frags = nr;
	st->tx_frags_len = len;
	r = stack_tcp_send(st, b, daddr);
	st->tx_frags = NULL;
	st->tx_nr_frags = 0;
	st->tx_frags_len = 0;
	st->tx_gso_size = 0;
	return r;
}

/*
 * stack_tcp_direct_ok() (below) of a buffer of at most the template's
 * max_len bytes, whose copy a buffer of the pool always fits (max_len is
 * at most tx_linear_max, which leaves BYPASS_BUF_HEADROOM of a pool
 * buffer).
 */
static inline __attribute__((always_inline))
bool stack_tcp_direct_ok_short(struct bypass_stack *st,
			       const struct bypass_buf *p, uint32_t room)
{
	return p->refcnt == 1 && p->pool == st->pool &&
	       !((uintptr_t)p->data & 3) && bypass_buf_headroom(p) >= room &&
	       bypass_pool_available(st->pool) >= 2 && stack_tx_room(st, 1);
}

/*
 * Can the one payload buffer @p of a segment, starting at its data, carry
 * the headers (@room bytes) in its headroom, making the frame one
 * descriptor? Only when nobody else holds it (not on the ring from an
 * earlier send, not the application's) and the ring has room with no
 * frame waiting for it (else the frame would wait on the backlog and cost
 * a copy). A frame held back (ipv4_send(): waiting for ARP, or on the
 * backlog) keeps the buffer: the send queue then takes a copy, so the
 * pool must have one, and an ARP request, to give, and the copy must fit
 * a fresh buffer.
 */
static inline __attribute__((always_inline))
bool stack_tcp_direct_ok(struct bypass_stack *st, const struct bypass_buf *p,
			 uint32_t room)
{
	return p->len + BYPASS_BUF_HEADROOM <= p->size &&
	       stack_tcp_direct_ok_short(st, p, room);
}

/*
 * stack_tcp_post() of a frame the template's limits passed: at most
 * max_len bytes of payload (within the MTU), the template's room in
 * front of its TCP header. To the last destination it takes the
 * prebuilt headers (ipv4_tx.h) without ipv4_send()'s second checks of
 * size and headroom, and without the clock, which only ARP reads.
 */
static inline __attribute__((always_inline))
int stack_tcp_post_fitted(struct bypass_stack *st, struct bypass_buf *b,
			  uint32_t daddr)
{
	int r;

	if (__builtin_expect(!ipv4_tx_cache_serves(st, daddr), 0))
		return stack_tcp_post(st, b, daddr);
	st->c.tcp.tx++;
	r = ipv4_tx_prebuilt(st, b, IPPROTO_TCP);
	return r < 0 ? -EAGAIN : r;
}

/*
 * Send the segment of @c at @seq whose @hlen-byte header, summed into
 * @sum, is written in front of its payload, the first @plen bytes of @p,
 * in @p's headroom: @p is the frame for the call and the send queue's
 * buffer again after it. The frame takes its own reference, put when the
 * device completes it.
 */
static inline __attribute__((always_inline))
int stack_tcp_post_direct(struct bypass_stack *st, struct tcp_conn *c,
			  uint32_t seq, struct bypass_buf *p, uint32_t hlen,
			  uint32_t plen, uint32_t sum)
{
	uint8_t *data = p->data;
	uint32_t len = p->len;
	struct tcphdr *th = (struct tcphdr *)(data - hlen);
	int r;

	/* The payload follows the header (an even length): sum on. */
	if (st->tx_csum)	/* the device ends it */
		th->check = (uint16_t)~bypass_csum_fold(tcp_tmpl_psum(&c->tmpl,
								      hlen + plen));
	else
		th->check = bypass_csum_fold(bypass_csum_partial(data, plen, sum));
	bypass_buf_get(p);
	p->data = (uint8_t *)th;
	p->len = hlen + plen;
	r = stack_tcp_post_fitted(st, p, c->raddr);
	/*
	 * Held back (waiting for ARP, or on the TX backlog) the frame is @p:
	 * the send queue takes a copy.
	 */
	if (r > 0) {
		/* Two were free, and an ARP request takes at most one. */
		struct bypass_buf *copy = bypass_buf_alloc(st->pool);

		if (copy) {
			memcpy(copy->data, data, len);
			copy->len = len;
			tcp_sndq_replace(c, seq, p, copy);
			return 0;
		}
	}
	p->data = data;
	p->len = len;
	return r < 0 ? r : 0;
}

/* The connection whose template @t is. */
static struct tcp_conn *tmpl_conn(struct bypass_tcp_tmpl *t)
{
	return (struct tcp_conn *)((char *)t - offsetof(struct tcp_conn, tmpl));
}

/* stack_tcp_post_direct() of @seg, whose one slice starts @p. */
static int stack_tcp_xmit_direct(struct bypass_stack *st,
				 const struct bypass_tcp_seg *seg,
				 struct bypass_buf *p, uint32_t hlen)
{
	uint32_t sum = tcp_tmpl_write(seg->tmpl, seg, p->data - hlen,
				      hlen + seg->len);

	return stack_tcp_post_direct(st, tmpl_conn(seg->tmpl), seg->seq, p,
				     hlen, seg->len, sum);
}

int tcp_stack_emit(void *ctx, struct tcp_conn *c, struct bypass_buf *b,
		   uint8_t flags, uint16_t win, uint32_t ts)
{
	struct bypass_stack *st = ctx;
	const struct bypass_tcp_tmpl *t = &c->tmpl;
	uint32_t hlen = t->len, sum;

	if (!stack_tcp_direct_ok_short(st, b, t->room))
		return 1;
	sum = tcp_tmpl_write_fields(t, b->data - hlen, c->snd_nxt, c->rcv_nxt,
				    flags, win, ts, c->ts_recent, hlen + b->len);
	return stack_tcp_post_direct(st, c, c->snd_nxt, b, hlen, b->len, sum);
}

/*
 * A segment of an established connection (no SACK blocks, no TSO) that
 * cannot go as one descriptor (stack_tcp_xmit_direct()): its header from
 * the connection's template in a buffer of its own, the payload chained.
 */
static int __attribute__((noinline))
stack_tcp_xmit_tmpl(struct bypass_stack *st, const struct bypass_tcp_seg *seg)
{
	uint32_t hlen = seg->tmpl->len, sum;	/* it fits @seg */
	struct bypass_buf *b;
	struct tcphdr *th;

	b = bypass_buf_alloc(st->pool);
	if (!b) {
		stack_drop(st, NULL, BYPASS_DROP_TX_NO_BUFFER);
		return -EAGAIN;
	}
	th = (struct tcphdr *)b->data;
	b->len = hlen;
	sum = tcp_tmpl_write(seg->tmpl, seg, th, hlen + seg->len);
	tcp_csum_set(st, th, hlen, sum, tcp_tmpl_psum(seg->tmpl, hlen + seg->len),
		     seg);
	return stack_tcp_send_chain(st, b, seg->daddr, seg->frag, seg->nr_frags,
				    seg->len);
}

/*
 * Any segment, its header written field by field: SYN, RST, SACK blocks,
 * TSO, and segments of no connection.
 */
static int __attribute__((noinline))
stack_tcp_xmit_any(struct bypass_stack *st, const struct bypass_tcp_seg *seg)
{
	struct bypass_tcp_opts opt = seg->opt;
	uint32_t hlen = sizeof(struct tcphdr) + tcp_opts_len(&opt);
	/* The largest segment on the wire: a TSO one is cut at gso_size. */
	uint32_t wire = seg->len, sum, psum;
	struct bypass_buf *b;
	struct tcphdr *th;

	if (__builtin_expect(seg->gso_size, 0) && wire > seg->gso_size)
		wire = seg->gso_size;
	/* SACK blocks are advice: a full-sized segment sends fewer. */
	while (hlen + wire + sizeof(struct iphdr) > st->mtu && opt.nr_sack) {
		opt.nr_sack--;
		hlen = sizeof(struct tcphdr) + tcp_opts_len(&opt);
	}
	if (hlen + wire + sizeof(struct iphdr) > st->mtu) {
		stack_drop(st, NULL, BYPASS_DROP_TX_TOO_BIG);
		return -EAGAIN;
	}
	if (__builtin_expect(wire < seg->len || seg->len > st->tx_linear_max, 0)) {
		/*
		 * TSO, or more than one buffer holds: on the ring at once as
		 * one chain, else (behind waiting frames, on a full ring, or
		 * TSO not offered) cut here.
		 */
		if ((wire < seg->len && !st->tso) ||
		    !stack_tx_room(st, 1 + seg->nr_frags))
			return stack_tcp_xmit_split(st, seg, wire < st->tx_linear_max ?
						    wire : st->tx_linear_max);
		if (wire < seg->len)
			st->tx_gso_size = (uint16_t)wire;
	}
	b = bypass_buf_alloc(st->pool);
	if (!b) {
		stack_drop(st, NULL, BYPASS_DROP_TX_NO_BUFFER);
		return -EAGAIN;
	}
	th = (struct tcphdr *)b->data;
	th->source = htons(seg->sport);
	th->dest = htons(seg->dport);
	th->seq = htonl(seg->seq);
	th->ack_seq = htonl(seg->ack);
	th->doff = (uint8_t)((hlen / 4) << 4);
	th->flags = seg->flags;
	th->window = htons(seg->win);
	th->check = 0;
	th->urg_ptr = 0;
	tcp_opts_write(&opt, b->data + sizeof(*th));
	b->len = hlen;
	psum = ipv4_pseudo_sum(st->addr, seg->daddr, IPPROTO_TCP,
			       (uint16_t)(hlen + seg->len));
	sum = st->tx_csum ? psum : bypass_csum_partial(th, hlen, psum);
	tcp_csum_set(st, th, hlen, sum, psum, seg);
	return stack_tcp_send_chain(st, b, seg->daddr, seg->frag, seg->nr_frags,
				    seg->len);
}

/*
 * Build @t for @seg when it is not built for its option layout yet, with
 * this stack's limits: the payload that fits the MTU and one linear
 * frame behind the header, the headroom of Ethernet, IPv4 and TCP.
 */
static inline void stack_tcp_tmpl_fit(struct bypass_stack *st,
				      struct bypass_tcp_tmpl *t,
				      const struct bypass_tcp_seg *seg)
{
	uint32_t hlen = tcp_tmpl_len(seg), max = 0;

	if (__builtin_expect(tcp_tmpl_fits(t, seg), 1))
		return;
	if (st->mtu > sizeof(struct iphdr) + hlen)
		max = st->mtu - sizeof(struct iphdr) - hlen;
	if (max > st->tx_linear_max)
		max = st->tx_linear_max;
	tcp_tmpl_fit(t, seg, st->addr, max,
		     st->hdr_len + ETH_HLEN + sizeof(struct iphdr) + hlen);
	/* Built by this stack: the engine may hand it whole buffers. */
	tmpl_conn(t)->tmpl_emit = true;
}

/*
 * The engine's output: a segment the template takes goes in the payload
 * buffer's headroom when it can, else with its payload chained; any other
 * is built field by field.
 */
static int stack_tcp_xmit(void *ctx, const struct bypass_tcp_seg *seg)
{
	struct bypass_stack *st = ctx;
	struct bypass_tcp_tmpl *t = seg->tmpl;

	if (__builtin_expect(t && !seg->opt.nr_sack && !seg->gso_size, 1)) {
		stack_tcp_tmpl_fit(st, t, seg);
		if (seg->len <= t->max_len) {
			if (seg->nr_frags == 1 && seg->frag[0].off == 0 &&
			    stack_tcp_direct_ok(st, seg->frag[0].buf, t->room))
				return stack_tcp_xmit_direct(st, seg, seg->frag[0].buf,
							     t->len);
			return stack_tcp_xmit_tmpl(st, seg);
		}
	}
	return stack_tcp_xmit_any(st, seg);
}

static void stack_tcp_event(void *ctx, struct bypass_tcp_conn *c)
{
	struct bypass_stack *st = ctx;

	if (st->ev.tcp)
		st->ev.tcp(st->ev.arg, c);
}

int tcp_stack_init(struct bypass_stack *st, const struct bypass_tcp_config *tcfg)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = stack_tcp_clock,
		.output = stack_tcp_xmit,
		.event = stack_tcp_event,
	};
	struct bypass_tcp_config cfg = { 0 };
	int r;

	if (tcfg)
		cfg = *tcfg;
	cfg.mss = (uint16_t)(st->mtu - 40);
	st->eph_lo = TCP_EPHEMERAL_LO;
	st->eph_nr = TCP_EPHEMERAL_NR;
	/* An IPv4 datagram's worth, less the largest headers. */
	cfg.tso_max = st->tso ? TCP_TSO_MAX : 0;
	r = bypass_tcp_create(&cfg, &ops, st, &st->tcp);
	if (r)
		return r;
	/* One clock: what a poll read serves the engine, and the reverse. */
	tcp_clock_share(st->tcp, &st->now_ns, &st->clock_held);
	return 0;
}

int bypass_stack_set_ports(struct bypass_stack *st, uint16_t lo, uint16_t nr)
{
	if (!lo || !nr || (uint32_t)lo + nr > 65536)
		return -EINVAL;
	st->eph_lo = lo;
	st->eph_nr = nr;
	return 0;
}

void bypass_stack_ports(const struct bypass_stack *st, uint16_t *lo,
			uint16_t *nr)
{
	*lo = st->eph_lo;
	*nr = st->eph_nr;
}

uint64_t tcp_stack_table_size(const struct bypass_stack *st)
{
	return st->tcp->stats.conns + st->tcp->stats.time_wait;
}

void bypass_stack_set_events(struct bypass_stack *st,
			     const struct bypass_stack_events *ev)
{
	if (ev)
		st->ev = *ev;
	else
		memset(&st->ev, 0, sizeof(st->ev));
}

uint32_t bypass_stack_addr(const struct bypass_stack *st)
{
	return st->addr;
}

struct bypass_tcp *bypass_stack_tcp(struct bypass_stack *st)
{
	return st->tcp;
}

int bypass_stack_tcp_listen(struct bypass_stack *st, uint16_t port,
			    uint32_t backlog, struct bypass_tcp_conn **out)
{
	if (!port)
		return -EINVAL;
	return bypass_tcp_listen(st->tcp, st->addr, port,
				 backlog ? backlog : 128, out);
}

/*
 * The first port to try towards @addr:@port (a keyed hash of the
 * 3-tuple: RFC 6056 F()) and the counter of its group (G()), which every
 * connect that finds a port moves past the ports it tried.
 */
static uint32_t port_offset(struct bypass_stack *st, uint32_t addr,
			    uint16_t port, uint16_t **counter)
{
	uint32_t in[4] = { st->addr, addr, port, 0x706f7274 /* "port" */ };
	uint64_t h = tcp_siphash(st->tcp->cfg.secret, in, sizeof(in));

	*counter = &st->tcp_port_perturb[(h >> 32) & (TCP_PORT_PERTURB - 1)];
	return (uint32_t)h;
}

int bypass_stack_tcp_connect(struct bypass_stack *st, uint32_t addr,
			     uint16_t port, struct bypass_tcp_conn **out)
{
	uint16_t *counter;
	uint32_t i, offset;
	int r = -EADDRNOTAVAIL;

	if (!addr || !port)
		return -EINVAL;
	offset = port_offset(st, addr, port, &counter);
	offset += *counter;
	for (i = 0; i < st->eph_nr; i++) {
		uint16_t lport = (uint16_t)(st->eph_lo + (offset + i) % st->eph_nr);

		/* A local listener's port is not free for outgoing use. */
		if (tcp_lookup_listener(st->tcp, st->addr, lport))
			continue;
		/* Busy: a live connection, or a TIME_WAIT not to reuse yet. */
		r = bypass_tcp_connect(st->tcp, st->addr, lport, addr, port, out);
		if (r != -EADDRINUSE) {
			if (!r)
				*counter = (uint16_t)(*counter + i + 1);
			return r;
		}
		r = -EADDRNOTAVAIL;
	}
	return r;
}
