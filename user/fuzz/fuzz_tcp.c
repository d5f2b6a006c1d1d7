// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the TCP engine's input: each input creates an
 * engine on a virtual clock with a listener, opens one passive and one
 * active connection with deterministic handshakes, then runs the input as
 * a program (fuzz_tcp.h) of segments from up to six peers (sequence and
 * acknowledgment numbers mostly relative to what each peer has seen, so
 * they land in window; options structured or as raw bytes through the
 * option parser; payload), clock steps and application calls. After
 * every step the engine's state must be sane, every byte delivered to the
 * application must be the byte the peer sent at that sequence number,
 * every byte the engine sends must be the application's byte at that
 * offset; at the end no pool buffer may be left. Any violation aborts.
 * FUZZ_TCP_TRACE=1 in the environment prints every segment both ways and
 * every operation, to follow a crashing input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_tcp.h"
#include "tcp.h"

#define MS		1000000ull
#define LOCAL		0x0100000au	/* 10.0.0.1, network order */
#define REMOTE		0x0200000au	/* 10.0.0.2 */
#define LPORT		80
#define RPORT0		1000
#define APORT0		5000	/* local ports of active opens */
#define MAX_CONNS	12
#define NR_BUFS		512
#define MAX_PAYLOAD	1460	/* MTU 1500 less IPv4 and TCP headers */

struct peer {
	uint16_t lport;		/* the engine's port this peer talks to */
	uint32_t snd_nxt;	/* the peer's next sequence number */
	uint32_t rcv_nxt;	/* after the last sequence the engine sent */
	uint32_t ts_ecr;	/* the engine's latest TS value */
	bool synced;		/* the engine's SYN was seen */
	bool ts;		/* the peer sends timestamps */
};

struct handle {
	struct bypass_tcp_conn *c;
	uint64_t sent, read;	/* bytes queued by / delivered to the app */
};

struct rd {
	const uint8_t *p;
	size_t n;
};

static struct bypass_pool *pool;
static struct bypass_tcp *tcp;
static struct bypass_tcp_conn *listener;
static struct peer peer[FT_SLOTS];
static struct handle h[MAX_CONNS];
static uint32_t nr_h;
static uint64_t now;
static uint8_t cfg_bits;
static int trace = -1;

static void trace_seg(const char *dir, const struct bypass_tcp_seg *s)
{
	uint32_t i;

	if (!trace)
		return;
	fprintf(stderr, "%8.3f %s %u>%u %c%c%c%c%c seq %u ack %u win %u len %u",
		(double)now / 1e9, dir, s->sport, s->dport,
		s->flags & BYPASS_TCP_SYN ? 'S' : '-', s->flags & BYPASS_TCP_FIN ? 'F' : '-',
		s->flags & BYPASS_TCP_RST ? 'R' : '-', s->flags & BYPASS_TCP_PSH ? 'P' : '-',
		s->flags & BYPASS_TCP_ACK ? '.' : '-', s->seq, s->ack, s->win, s->len);
	if (s->opt.has_ts)
		fprintf(stderr, " TS %u/%u", s->opt.ts_val, s->opt.ts_ecr);
	for (i = 0; i < s->opt.nr_sack; i++)
		fprintf(stderr, " sack %u-%u", s->opt.sack[i].start, s->opt.sack[i].end);
	fputc('\n', stderr);
}

#define FAIL(...) do { \
	fprintf(stderr, "fuzz_tcp: line %d: ", __LINE__); \
	fprintf(stderr, __VA_ARGS__); \
	fputc('\n', stderr); \
	abort(); \
} while (0)
#define CHECK(cond) do { if (!(cond)) FAIL("%s", #cond); } while (0)

static uint8_t u8(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint16_t u16(struct rd *r)
{
	return (uint16_t)(u8(r) << 8 | u8(r));
}

static uint32_t u32(struct rd *r)
{
	return (uint32_t)u16(r) << 16 | u16(r);
}

/* The peer's byte at sequence number @seq, and the application's at @off. */
static uint8_t peer_byte(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

static uint8_t app_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 9));
}

static uint64_t fz_now(void *ctx)
{
	(void)ctx;
	return now;
}

/* Every segment the engine emits: sane, and what the peers learn from it. */
static int fz_output(void *ctx, const struct bypass_tcp_seg *s)
{
	struct bypass_tcp_opts back;
	const struct tcp_conn *c;
	uint8_t opts[64];
	uint32_t i, j, n = 0, olen;
	struct peer *p;

	(void)ctx;
	trace_seg(">", s);
	CHECK(s->saddr == LOCAL && s->daddr == REMOTE);
	CHECK(!(s->flags & ~(BYPASS_TCP_FIN | BYPASS_TCP_SYN | BYPASS_TCP_RST |
			     BYPASS_TCP_PSH | BYPASS_TCP_ACK)));
	CHECK(!((s->flags & BYPASS_TCP_SYN) && (s->flags & (BYPASS_TCP_FIN | BYPASS_TCP_RST))));
	CHECK((s->flags & BYPASS_TCP_ACK) || s->ack == 0);
	CHECK(s->nr_frags <= BYPASS_TCP_MAX_FRAGS);
	for (i = 0; i < s->nr_frags; i++) {
		CHECK(s->frag[i].buf && s->frag[i].len);
		CHECK(s->frag[i].off + s->frag[i].len <= s->frag[i].buf->len);
		CHECK(s->frag[i].buf->refcnt > 0);
		n += s->frag[i].len;
	}
	CHECK(n == s->len);
	CHECK(s->len == 0 || !(s->flags & (BYPASS_TCP_SYN | BYPASS_TCP_RST)));
	CHECK(s->len <= MAX_PAYLOAD);
	olen = tcp_opts_len(&s->opt);
	CHECK(olen <= 40 && s->opt.nr_sack <= BYPASS_TCP_SACK_MAX);
	CHECK(!s->opt.has_wscale || s->opt.wscale <= TCP_MAX_WSCALE);
	CHECK(!(s->opt.has_mss || s->opt.has_wscale || s->opt.sack_ok) ||
	      (s->flags & BYPASS_TCP_SYN));
	/* What the stack writes must parse back to the same options. */
	CHECK(tcp_opts_write(&s->opt, opts) == olen);
	CHECK(tcp_opts_parse(opts, olen, &back) == 0);
	CHECK(back.has_mss == s->opt.has_mss && back.has_ts == s->opt.has_ts &&
	      back.has_wscale == s->opt.has_wscale && back.sack_ok == s->opt.sack_ok &&
	      back.nr_sack == s->opt.nr_sack);

	/* Payload: the application's bytes at their offset in its stream. */
	c = tcp_lookup(tcp, s->saddr, s->sport, s->daddr, s->dport);
	if (s->len) {
		uint64_t off;

		CHECK(c);
		CHECK(seq_leq(s->seq + s->len, c->snd_end));
		CHECK(seq_geq(s->seq, c->iss + 1));
		off = s->seq - (c->iss + 1);
		for (i = 0; i < s->nr_frags; i++) {
			const struct bypass_tcp_frag *f = &s->frag[i];

			for (j = 0; j < f->len; j++, off++)
				if (f->buf->data[f->off + j] != app_byte(off))
					FAIL("sent byte at offset %llu is wrong",
					     (unsigned long long)off);
		}
	}
	if ((s->flags & BYPASS_TCP_FIN) && c)
		CHECK(c->fin_queued && s->seq + s->len == c->snd_end);

	if (s->dport < RPORT0 || s->dport >= RPORT0 + FT_SLOTS)
		return 0;
	p = &peer[s->dport - RPORT0];
	if (s->sport != p->lport)
		return 0;
	if (s->opt.has_ts)
		p->ts_ecr = s->opt.ts_val;
	if (s->flags & BYPASS_TCP_RST) {
		p->synced = false;
		return 0;
	}
	if (s->flags & BYPASS_TCP_SYN) {
		p->synced = true;
		p->rcv_nxt = s->seq + 1;
		if (s->flags & BYPASS_TCP_ACK)
			p->snd_nxt = s->ack;
		return 0;
	}
	n = s->seq + s->len + !!(s->flags & BYPASS_TCP_FIN);
	if (p->synced && seq_gt(n, p->rcv_nxt))
		p->rcv_nxt = n;
	return 0;
}

static struct handle *handle_add(struct bypass_tcp_conn *c)
{
	if (nr_h == MAX_CONNS) {
		bypass_tcp_abort(c);
		return NULL;
	}
	h[nr_h] = (struct handle){ .c = c };
	if (cfg_bits & FT_CFG_NODELAY)
		bypass_tcp_set_nodelay(c, true);
	if (cfg_bits & FT_CFG_KEEPALIVE)
		CHECK(bypass_tcp_set_keepalive(c, 1000 * MS, 200 * MS, 3) == 0);
	return &h[nr_h++];
}

static void handle_drop(uint32_t i)
{
	h[i] = h[--nr_h];
}

static bool synchronized(uint8_t state)
{
	return state >= BYPASS_TCP_ESTABLISHED;
}

/* Invariants of every connection and of every handle the app holds. */
static void check_state(void)
{
	uint32_t i, j, bytes, seq;
	const struct tcp_conn *c;

	for (i = 0; (c = tcp_conn_at(tcp, i)); i++) {
		struct bypass_buf *b;

		if (!c->tcp || c->state == BYPASS_TCP_LISTEN)
			continue;
		CHECK(c->state <= BYPASS_TCP_TIME_WAIT);
		CHECK(c->nr_ooo <= tcp->cfg.ooo_bufs);
		CHECK(c->sndq_len <= tcp->cfg.sndq_bufs);
		bytes = 0;
		for (b = c->rcvq_head; b; b = b->next) {
			CHECK(b->len > 0 && b->refcnt == 1);
			bytes += b->len;
		}
		CHECK(bytes == c->rcvq_bytes);
		if (c->state == BYPASS_TCP_CLOSED)
			continue;
		CHECK(seq_leq(c->snd_una, c->snd_nxt));
		CHECK(seq_leq(c->snd_nxt, c->snd_max));
		CHECK(seq_leq(c->snd_max, c->snd_end + 1));
		CHECK(c->cwnd >= c->mss && c->mss > 0);
		CHECK(c->rto_ns >= tcp->cfg.rto_min_ns && c->rto_ns <= tcp->cfg.rto_max_ns);
		/* The send queue is contiguous and ends at snd_end. */
		seq = c->snd_end;
		for (j = c->sndq_len; j-- > 0;) {
			const struct tcp_chunk *k =
				&c->sndq[(c->sndq_head + j) % tcp->cfg.sndq_bufs];

			CHECK(k->buf && k->buf->len && k->seq + k->buf->len == seq);
			seq = k->seq;
		}
		CHECK(seq_geq(seq, c->iss + 1));
		for (j = 0; j < c->nr_ooo; j++) {
			CHECK(c->ooo[j].buf->len > 0);
			CHECK(seq_gt(c->ooo[j].seq, c->rcv_nxt));
			if (j)
				CHECK(seq_geq(c->ooo[j].seq, c->ooo[j - 1].seq +
					      c->ooo[j - 1].buf->len));
		}
	}
	for (i = 0; i < nr_h; i++) {
		const struct tcp_conn *c = (const struct tcp_conn *)h[i].c;

		/* The engine never takes back what the application holds. */
		CHECK(c->tcp == tcp && c->app_owned);
		CHECK(bypass_tcp_readable(h[i].c) == c->rcvq_bytes);
		if (!synchronized(c->state))
			continue;
		CHECK(c->snd_end == c->iss + 1 + (uint32_t)h[i].sent);
		CHECK(c->rcv_nxt == c->irs + 1 + (uint32_t)h[i].read +
		      c->rcvq_bytes + c->fin_rcvd);
		CHECK(bypass_tcp_eof(h[i].c) == (c->fin_rcvd && !c->rcvq_bytes));
	}
}

static struct bypass_buf *payload(uint32_t seq, uint32_t len)
{
	struct bypass_buf *b = bypass_buf_alloc(pool);
	uint32_t i;

	if (!b)
		return NULL;
	for (i = 0; i < len; i++)
		b->data[i] = peer_byte(seq + i);
	b->len = len;
	return b;
}

/* Hand @s (with @len bytes of payload at its seq) to the engine. */
static void inject(struct peer *p, struct bypass_tcp_seg *s, uint32_t len)
{
	if (len > MAX_PAYLOAD - tcp_opts_len(&s->opt))
		len = MAX_PAYLOAD - tcp_opts_len(&s->opt);
	s->saddr = REMOTE;
	s->daddr = LOCAL;
	s->len = 0;
	s->nr_frags = 0;
	if (len) {
		/* Data on a SYN starts after it. */
		struct bypass_buf *b = payload(s->seq + !!(s->flags & BYPASS_TCP_SYN), len);

		if (!b)
			return;
		s->len = len;
		s->nr_frags = 1;
		s->frag[0] = (struct bypass_tcp_frag){ b, 0, len };
	}
	trace_seg("<", s);
	if ((s->flags & BYPASS_TCP_SYN) && !(s->flags & BYPASS_TCP_ACK)) {
		p->lport = s->dport;
		p->synced = false;
	}
	if (s->flags & BYPASS_TCP_SYN)
		p->snd_nxt = s->seq + 1;
	else if (s->seq == p->snd_nxt && !(s->flags & BYPASS_TCP_RST))
		p->snd_nxt += len + !!(s->flags & BYPASS_TCP_FIN);
	bypass_tcp_input(tcp, s);
}

static void peer_ts(struct peer *p, struct bypass_tcp_opts *o)
{
	if (!p->ts)
		return;
	o->has_ts = true;
	o->ts_val = (uint32_t)(now / MS) + 7;
	o->ts_ecr = p->ts_ecr;
}

static void syn_opts(struct bypass_tcp_opts *o)
{
	o->has_mss = true;
	o->mss = cfg_bits & FT_CFG_SMALL ? 200 : 1460;
	o->has_wscale = cfg_bits & FT_CFG_WS;
	o->wscale = 7;
	o->sack_ok = cfg_bits & FT_CFG_SACK;
	o->has_ts = cfg_bits & FT_CFG_TS;
	o->ts_val = (uint32_t)(now / MS) + 7;
}

/* A segment whose every field comes from the input, most of them relative. */
static void op_seg(struct rd *r)
{
	static const uint8_t common[] = {
		BYPASS_TCP_ACK, BYPASS_TCP_ACK | BYPASS_TCP_PSH,
		BYPASS_TCP_ACK | BYPASS_TCP_FIN, BYPASS_TCP_SYN,
		BYPASS_TCP_SYN | BYPASS_TCP_ACK, BYPASS_TCP_RST,
		BYPASS_TCP_RST | BYPASS_TCP_ACK, BYPASS_TCP_ACK | BYPASS_TCP_PSH | BYPASS_TCP_FIN,
	};
	struct peer *p = &peer[u8(r) % FT_SLOTS];
	struct bypass_tcp_seg s = { 0 };
	uint8_t fl = u8(r), mode = u8(r);
	uint32_t i, arg;

	s.flags = fl & 0x80 ? fl & 0x3f : common[fl % sizeof(common)];
	s.sport = (uint16_t)(RPORT0 + (p - peer));
	s.dport = p->lport;
	arg = mode & 3 ? u32(r) : 0;
	switch (mode & 3) {
	case 0:
		s.seq = p->snd_nxt - !!(s.flags & BYPASS_TCP_SYN);
		break;
	case 1:
		s.seq = p->snd_nxt + (uint32_t)(int32_t)(int16_t)arg;
		break;
	case 2:
		s.seq = p->snd_nxt + (arg & 0xffff) * 64;
		break;
	default:
		s.seq = arg;
	}
	arg = mode & 0xc ? u32(r) : 0;
	switch ((mode >> 2) & 3) {
	case 0:
		s.ack = p->rcv_nxt;
		break;
	case 1:
		s.ack = p->rcv_nxt + (uint32_t)(int32_t)(int16_t)arg;
		break;
	case 2:
		s.ack = p->rcv_nxt - (arg & 0xffff) * 64;
		break;
	default:
		s.ack = arg;
	}
	if (!(s.flags & BYPASS_TCP_ACK) && !(fl & 0x40))
		s.ack = 0;
	s.win = u16(r);
	switch ((mode >> 4) & 7) {
	case 1:
		peer_ts(p, &s.opt);
		break;
	case 2:
	case 6:
		if ((mode >> 4) == 2)
			peer_ts(p, &s.opt);
		s.opt.nr_sack = u8(r) % (BYPASS_TCP_SACK_MAX + 1);
		if (s.opt.has_ts && s.opt.nr_sack > 3)
			s.opt.nr_sack = 3;
		for (i = 0; i < s.opt.nr_sack; i++) {
			s.opt.sack[i].start = s.ack + (uint32_t)(int32_t)(int16_t)u16(r);
			s.opt.sack[i].end = s.opt.sack[i].start + u16(r) % 8192;
		}
		break;
	case 3:
		/* Every field from the input: whatever the parser allows. */
		arg = u8(r);
		s.opt.has_mss = arg & 1;
		s.opt.mss = u16(r);
		s.opt.has_wscale = arg & 2;
		s.opt.wscale = u8(r);
		s.opt.sack_ok = arg & 4;
		s.opt.has_ts = arg & 8;
		s.opt.ts_val = u32(r);
		s.opt.ts_ecr = u32(r);
		s.opt.nr_sack = (arg >> 4) % (BYPASS_TCP_SACK_MAX + 1);
		for (i = 0; i < s.opt.nr_sack; i++) {
			s.opt.sack[i].start = u32(r);
			s.opt.sack[i].end = u32(r);
		}
		break;
	case 4: {
		/* Raw option bytes, through the parser as the stack does. */
		uint8_t raw[40];
		uint32_t n = u8(r) % (sizeof(raw) + 1);

		for (i = 0; i < n; i++)
			raw[i] = u8(r);
		if (tcp_opts_parse(raw, n, &s.opt))
			return;		/* the stack drops it */
		break;
	}
	case 5:
		peer_ts(p, &s.opt);
		s.opt.has_ts = true;
		s.opt.ts_val += (uint32_t)(int32_t)(int16_t)u16(r) * 1024;
		break;
	default:
		break;
	}
	if (mode & 0x80 && (u8(r) & 1))
		s.dport = u16(r);	/* another port: closed or the listener */
	inject(p, &s, u16(r) % (MAX_PAYLOAD + 1));
}

static void op_ack(struct peer *p, uint8_t flags, uint32_t len, uint32_t gap)
{
	struct bypass_tcp_seg s = { 0 };

	s.flags = flags;
	s.sport = (uint16_t)(RPORT0 + (p - peer));
	s.dport = p->lport;
	s.seq = p->snd_nxt + gap;
	s.ack = p->rcv_nxt;
	s.win = 65535;
	peer_ts(p, &s.opt);
	inject(p, &s, len);
}

static void op_syn(struct peer *p, uint32_t isn)
{
	struct bypass_tcp_seg s = { 0 };

	s.flags = BYPASS_TCP_SYN;
	s.sport = (uint16_t)(RPORT0 + (p - peer));
	s.dport = LPORT;
	s.seq = isn;
	s.win = 65535;
	syn_opts(&s.opt);
	p->ts = s.opt.has_ts;
	inject(p, &s, 0);
}

static void op_connect(struct peer *p)
{
	uint16_t lport = (uint16_t)(APORT0 + (p - peer));
	struct bypass_tcp_conn *c;

	uint16_t old = p->lport;

	p->lport = lport;	/* before the SYN goes out */
	if (bypass_tcp_connect(tcp, LOCAL, lport, REMOTE,
			       (uint16_t)(RPORT0 + (p - peer)), &c)) {
		p->lport = old;
		return;
	}
	p->ts = cfg_bits & FT_CFG_TS;
	handle_add(c);
}

/* The peer's SYN-ACK to the engine's SYN. */
static void syn_ack(struct peer *p, uint32_t isn)
{
	struct bypass_tcp_seg s = { 0 };

	s.flags = BYPASS_TCP_SYN | BYPASS_TCP_ACK;
	s.sport = (uint16_t)(RPORT0 + (p - peer));
	s.dport = p->lport;
	s.seq = isn;
	s.ack = p->rcv_nxt;
	s.win = 65535;
	syn_opts(&s.opt);
	s.opt.ts_ecr = p->ts_ecr;
	inject(p, &s, 0);
}

static void tick(uint64_t ns)
{
	now += ns;
	bypass_tcp_poll(tcp);
	/* Every timer due was run; window updates went out. */
	CHECK(bypass_tcp_next_timer(tcp) > 0);
}

static void setup(void)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = fz_now, .output = fz_output,
	};
	struct bypass_tcp_config cfg = {
		.max_conns = MAX_CONNS, .sndq_bufs = 8, .ooo_bufs = 4,
		.msl_ns = 2000 * MS, .retries = 4,
	};
	struct bypass_tcp_conn *c;
	uint32_t i;

	cfg.rcvbuf = cfg_bits & FT_CFG_SMALL ? 4096 : 65536;
	cfg.cc = cfg_bits & FT_CFG_CUBIC ? BYPASS_TCP_CC_CUBIC : BYPASS_TCP_CC_NEWRENO;
	memset(cfg.secret, 5, sizeof(cfg.secret));	/* reproducible */
	now = 1000 * MS;
	nr_h = 0;
	memset(peer, 0, sizeof(peer));
	for (i = 0; i < FT_SLOTS; i++)
		peer[i].lport = LPORT;
	if (bypass_tcp_create(&cfg, &ops, NULL, &tcp) ||
	    bypass_tcp_listen(tcp, 0, LPORT, cfg_bits & FT_CFG_BACKLOG1 ? 1 : 4,
			      &listener))
		FAIL("setup");

	/* Slot 0: the peer connects to the listener. */
	op_syn(&peer[0], 0x10000000);
	tick(MS);
	op_ack(&peer[0], BYPASS_TCP_ACK, 0, 0);
	c = bypass_tcp_accept(listener);
	CHECK(c && bypass_tcp_state(c) == BYPASS_TCP_ESTABLISHED);
	handle_add(c);

	/* Slot 1: the engine connects to the peer. */
	op_connect(&peer[1]);
	CHECK(nr_h == 2 && peer[1].synced);
	syn_ack(&peer[1], 0xfffff000);	/* close to the wrap */
	tick(MS);
	CHECK(bypass_tcp_state(h[1].c) == BYPASS_TCP_ESTABLISHED);
	check_state();
}

static void teardown(void)
{
	uint32_t i;

	for (i = 0; i < nr_h; i++)
		bypass_tcp_close(h[i].c);
	if (listener)
		bypass_tcp_close(listener);
	listener = NULL;
	bypass_tcp_destroy(tcp);
	tcp = NULL;
	if (bypass_pool_available(pool) != NR_BUFS)
		FAIL("%u buffers leaked", NR_BUFS - bypass_pool_available(pool));
	CHECK(bypass_pool_bad_puts(pool) == 0);
}

static void app_recv(struct handle *hd)
{
	const struct tcp_conn *c = (const struct tcp_conn *)hd->c;
	uint32_t avail = bypass_tcp_readable(hd->c), got = 0, i;
	struct bypass_buf *b;

	while ((b = bypass_tcp_recv(hd->c))) {
		uint32_t seq = c->irs + 1 + (uint32_t)hd->read;

		for (i = 0; i < b->len; i++)
			if (b->data[i] != peer_byte(seq + i))
				FAIL("received byte at seq %u is wrong", seq + i);
		hd->read += b->len;
		got += b->len;
		bypass_buf_put(b);
	}
	CHECK(got == avail && bypass_tcp_readable(hd->c) == 0);
}

static void op_app(uint8_t op, struct rd *r)
{
	uint32_t i = u8(r);
	struct handle *hd;
	struct bypass_buf *b;
	uint32_t k, len, arg;
	int err;

	if (!nr_h) {
		if (op == FT_OP_SEND)
			u16(r);
		return;
	}
	i %= nr_h;
	hd = &h[i];
	switch (op) {
	case FT_OP_SEND:
		len = u16(r) % 3000;
		b = bypass_buf_alloc(pool);
		if (!b)
			break;
		if (len > b->size - (uint32_t)(b->data - b->head))
			len = b->size - (uint32_t)(b->data - b->head);
		for (k = 0; k < len; k++)
			b->data[k] = app_byte(hd->sent + k);
		b->len = len;
		err = bypass_tcp_send(hd->c, b);
		if (!err)
			hd->sent += len;
		else
			CHECK(err == -ENOTCONN || err == -EPIPE || err == -ENOBUFS ||
			      (err == -EINVAL && !len));
		break;
	case FT_OP_RECV:
		app_recv(hd);
		break;
	case FT_OP_SHUTDOWN:
		err = bypass_tcp_shutdown(hd->c);
		CHECK(err == 0 || err == -ENOTCONN);
		break;
	case FT_OP_CLOSE:
		bypass_tcp_close(hd->c);
		handle_drop(i);
		break;
	case FT_OP_ABORT:
		bypass_tcp_abort(hd->c);
		handle_drop(i);
		break;
	case FT_OP_MISC:
		arg = u8(r);
		switch (arg % 5) {
		case 0:
			bypass_tcp_set_nodelay(hd->c, arg & 8);
			break;
		case 1:
			CHECK(bypass_tcp_set_cc(hd->c, arg & 8 ? BYPASS_TCP_CC_CUBIC :
						BYPASS_TCP_CC_NEWRENO) == 0);
			break;
		case 2:
			CHECK(bypass_tcp_set_keepalive(hd->c, (arg >> 3) * 100 * MS,
						       50 * MS, 2) == 0);
			break;
		case 3:
			/* The listener goes away (its children are reset), or comes back. */
			if (listener) {
				bypass_tcp_close(listener);
				listener = NULL;
			} else {
				/* Every connection may be taken (TIME-WAIT...). */
				err = bypass_tcp_listen(tcp, 0, LPORT, 1 + arg % 3, &listener);
				CHECK(err == 0 || err == -ENOBUFS);
				if (err)
					listener = NULL;
			}
			break;
		default:
			CHECK(bypass_tcp_state_name(bypass_tcp_state(hd->c)) != NULL);
			break;
		}
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = { data, size };
	struct bypass_tcp_conn *c;
	struct peer *p;
	uint32_t steps = 0, v;

	if (!pool && bypass_pool_create(NULL, NR_BUFS, 2048, &pool))
		abort();
	if (size > 4096)
		return 0;
	if (trace < 0)
		trace = getenv("FUZZ_TCP_TRACE") != NULL;
	cfg_bits = u8(&r);
	setup();
	while (r.n && steps++ < 1000) {
		uint8_t op = u8(&r) % FT_NR_OPS;

		if (trace)
			fprintf(stderr, "%8.3f op %u at byte %zu\n", (double)now / 1e9, op,
				size - r.n - 1);

		switch (op) {
		case FT_OP_SEG:
			op_seg(&r);
			break;
		case FT_OP_ACK:
			op_ack(&peer[u8(&r) % FT_SLOTS], BYPASS_TCP_ACK, 0, 0);
			break;
		case FT_OP_DATA:
			p = &peer[u8(&r) % FT_SLOTS];
			v = u16(&r);
			op_ack(p, BYPASS_TCP_ACK | BYPASS_TCP_PSH, v % (MAX_PAYLOAD + 1),
			       u8(&r) * 256u);
			break;
		case FT_OP_FIN:
			op_ack(&peer[u8(&r) % FT_SLOTS], BYPASS_TCP_ACK | BYPASS_TCP_FIN, 0, 0);
			break;
		case FT_OP_TICK:
			v = u8(&r);
			tick(v < 200 ? v * MS : (v - 199) * 1000 * MS);
			break;
		case FT_OP_ACCEPT:
			if (listener && (c = bypass_tcp_accept(listener))) {
				CHECK(bypass_tcp_state(c) != BYPASS_TCP_LISTEN);
				handle_add(c);
			}
			break;
		case FT_OP_SYN:
			p = &peer[u8(&r) % FT_SLOTS];
			op_syn(p, u32(&r));
			break;
		case FT_OP_CONNECT:
			op_connect(&peer[u8(&r) % FT_SLOTS]);
			break;
		default:
			op_app(op, &r);
			break;
		}
		check_state();
	}
	teardown();
	return 0;
}
