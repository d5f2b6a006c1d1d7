/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet scripts for the TCP engine: a parser and runner of a small text
 * format that plays the peer of one engine on a virtual clock.
 *
 *	# comment
 *	config rcvbuf 65535          (before the first event)
 *	0.000 app listen 8080
 *	+0    < S 0:0(0) win 65535 <mss 1460,wscale 7,TS val 100 ecr 0>
 *	+0    > S. 0:0(0) ack 1 win 65535 <mss 1460,TS val 0 ecr 100,wscale 8>
 *	+0.1  < . 1:1(0) ack 1 win 512
 *	+0    app accept
 *	+0    app send 1000
 *	+0    > P. 1:1001(1000) ack 1 win 1024
 *
 * Times are absolute or +relative seconds. Sequence numbers of the peer
 * (what '<' carries in seq, '>' in ack) are the script's own; the
 * engine's (what '>' carries in seq, '<' in ack) are relative to its ISN,
 * learned from its first SYN to each peer port ('*:*(0)' accepts a SYN
 * with a new ISN and makes it the base from then on). Timestamp values the engine sends, and
 * echoes the peer sends, are relative to the engine's first TS value.
 * Flags: S F R P and '.' for ACK. An expected segment must match exactly:
 * flags, seq, length, ack, window when given and options (none when
 * '<...>' is absent; 'TS val *' accepts any value; 'sack A:B C:D' lists
 * SACK blocks in order, in the peer's numbers for '>', the engine's for
 * '<') and ports ('port N' after the fields: the peer
 * port, default 40000, for '<' and '>'), within 4 ms of its
 * time; its payload must be the bytes the application sent there. Any
 * segment the engine sends that the script does not expect fails it.
 *
 * App commands: listen PORT [BACKLOG], connect LPORT RPORT, accept, send N,
 * recv N (reads exactly N bytes, checking them), eof, noeof, close,
 * shutdown, abort, nodelay, state NAME, error NAME (0, ECONNRESET, EPIPE...),
 * readable N, noaccept, acceptable N (connections accept would hand out), port N (segments go to port N, nobody listening),
 * keepalive IDLE_MS INTVL_MS COUNT, stat NAME N (an engine counter of
 * struct bypass_tcp_stats has the value N).
 * 'icmp frag_needed MTU SEQ [LEN]' hands the engine an ICMP "fragmentation
 * needed" quoting its segment at SEQ (its numbers) to port 40000.
 * 'app send' queues buffers of 1000 bytes.
 * Each segment '<' injects is a receive batch of its own: the engine is
 * polled after it, as the stack polls after its RX batch. Segments
 * between 'batch start' and 'batch end' form one batch, polled at its end.
 */
#ifndef BYPASS_TEST_TCP_SCRIPT_H
#define BYPASS_TEST_TCP_SCRIPT_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libbypass.h"
#include "bypass_tcp.h"
#include "tcp_seq.h"

#define TS_LOCAL	0x0100a8c0u	/* 192.168.0.1, network order */
#define TS_REMOTE	0x010200c0u	/* 192.0.2.1 */
#define TS_RPORT	40000
#define TS_TOL_NS	4000000ull
#define TS_START_NS	1000000000ull	/* the clock starts at 1 s */
#define TS_MAXOUT	256
#define TS_SEND_CHUNK	1000u	/* bytes per buffer of 'app send' */
#define TS_PAYLOAD_MAX	4096

struct ts_out {
	struct bypass_tcp_seg seg;
	uint64_t at;
	uint8_t data[TS_PAYLOAD_MAX];
};

struct ts_run {
	const char *file;
	int line;
	char err[512];
	uint64_t now;
	struct bypass_pool *pool;
	struct bypass_tcp *tcp;
	struct bypass_tcp_config cfg;
	struct bypass_tcp_conn *listener, *conn;
	uint16_t lport;
	bool have_peer_isn, have_ts;
	bool in_batch;			/* between 'batch start' and 'batch end' */
	uint32_t peer_isn, ts_base;
	uint32_t nr_iss;		/* the engine's ISN per remote port */
	uint16_t iss_port[8];
	uint32_t iss[8];
	uint64_t sent;			/* bytes the app queued */
	uint64_t got;			/* bytes the app read */
	struct ts_out *out;
	uint32_t out_head, out_len;
};

static uint8_t ts_local_byte(uint64_t off)
{
	return (uint8_t)(off * 7 + 3);
}

static uint8_t ts_peer_byte(uint64_t off)
{
	return (uint8_t)(off * 13 + 5);
}

/* The engine's ISN towards remote @port (0 until its first SYN there). */
static uint32_t ts_iss(const struct ts_run *r, uint16_t port)
{
	uint32_t i;

	for (i = 0; i < r->nr_iss; i++)
		if (r->iss_port[i] == port)
			return r->iss[i];
	return 0;
}

static int ts_fail(struct ts_run *r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(r->err, sizeof(r->err), "%s:%d: ", r->file, r->line);
	va_start(ap, fmt);
	vsnprintf(r->err + n, sizeof(r->err) - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static uint64_t ts_clock(void *ctx)
{
	return ((struct ts_run *)ctx)->now;
}

static void ts_fmt(char *p, size_t n, const struct bypass_tcp_seg *s,
		   uint32_t seq_base, uint32_t ack_base, uint32_t ts_base);

static int ts_output(void *ctx, const struct bypass_tcp_seg *seg)
{
	struct ts_run *r = ctx;
	struct ts_out *o;
	uint32_t i, n;

	if (r->out_len == TS_MAXOUT)
		return -EAGAIN;
	o = &r->out[(r->out_head + r->out_len++) % TS_MAXOUT];
	o->seg = *seg;
	o->seg.nr_frags = 0;
	o->at = r->now;
	/* Gather the fragments; a wrong total shows as a payload mismatch. */
	for (i = 0, n = 0; i < seg->nr_frags; i++) {
		const struct bypass_tcp_frag *fr = &seg->frag[i];

		if (n + fr->len > TS_PAYLOAD_MAX ||
		    fr->off + fr->len > fr->buf->len)
			break;
		memcpy(o->data + n, fr->buf->data + fr->off, fr->len);
		n += fr->len;
	}
	if (n != seg->len)
		memset(o->data, 0, sizeof(o->data));
	if ((seg->flags & BYPASS_TCP_SYN) && r->nr_iss < 8 &&
	    !ts_iss(r, seg->dport)) {
		r->iss_port[r->nr_iss] = seg->dport;
		r->iss[r->nr_iss++] = seg->seq;
	}
	if (!r->have_ts && seg->opt.has_ts) {
		r->have_ts = true;
		r->ts_base = seg->opt.ts_val;
	}
	if (getenv("TCP_SCRIPT_TRACE")) {
		char t[256];

		ts_fmt(t, sizeof(t), seg, ts_iss(r, seg->dport), 0, r->ts_base);
		fprintf(stderr, "%.3f > %s\n", (double)r->now / 1e9, t);
	}
	return 0;
}

static void ts_fmt(char *p, size_t n, const struct bypass_tcp_seg *s,
		   uint32_t seq_base, uint32_t ack_base, uint32_t ts_base)
{
	static const char fl[] = "SFRP";
	static const uint8_t bits[] = { BYPASS_TCP_SYN, BYPASS_TCP_FIN,
					BYPASS_TCP_RST, BYPASS_TCP_PSH };
	char f[8];
	int i, k = 0, w;

	for (i = 0; i < 4; i++)
		if (s->flags & bits[i])
			f[k++] = fl[i];
	if (s->flags & BYPASS_TCP_ACK)
		f[k++] = '.';
	f[k] = 0;
	w = snprintf(p, n, "%s %u:%u(%u) ack %u win %u <", f, s->seq - seq_base,
		     s->seq - seq_base + s->len, s->len, s->ack - ack_base, s->win);
	if (s->opt.has_mss)
		w += snprintf(p + w, n - (size_t)w, "mss %u,", s->opt.mss);
	if (s->opt.has_wscale)
		w += snprintf(p + w, n - (size_t)w, "wscale %u,", s->opt.wscale);
	if (s->opt.sack_ok)
		w += snprintf(p + w, n - (size_t)w, "sackOK,");
	for (i = 0; i < s->opt.nr_sack; i++)
		w += snprintf(p + w, n - (size_t)w, "%s%u:%u%s", i ? " " : "sack ",
			      s->opt.sack[i].start, s->opt.sack[i].end,
			      i + 1 == s->opt.nr_sack ? "," : "");
	if (s->opt.has_ts)
		w += snprintf(p + w, n - (size_t)w, "TS val %u ecr %u",
			      s->opt.ts_val - ts_base, s->opt.ts_ecr);
	snprintf(p + w, n - (size_t)w, ">");
}

static void ts_step(struct ts_run *r, uint64_t to)
{
	while (r->now < to) {
		uint64_t next = (r->now / 1000000 + 1) * 1000000;

		r->now = next < to ? next : to;
		bypass_tcp_poll(r->tcp);
	}
}

static int ts_start(struct ts_run *r)
{
	static const struct bypass_tcp_ops ops = {
		.now_ns = ts_clock, .output = ts_output,
	};

	if (r->tcp)
		return 0;
	if (bypass_tcp_create(&r->cfg, &ops, r, &r->tcp))
		return ts_fail(r, "bypass_tcp_create failed");
	return 0;
}

/* ---- parsing ------------------------------------------------------------ */

static char *ts_word(char **p)
{
	char *s = *p, *w;

	while (*s == ' ' || *s == '\t')
		s++;
	if (!*s)
		return NULL;
	w = s;
	while (*s && *s != ' ' && *s != '\t')
		s++;
	if (*s)
		*s++ = 0;
	*p = s;
	return w;
}

static bool ts_num(const char *w, uint64_t *v)
{
	char *end;

	if (!w || !*w)
		return false;
	errno = 0;
	*v = strtoull(w, &end, 0);
	return !errno && !*end;
}

struct ts_seg_spec {
	bool out;
	uint8_t flags;
	uint32_t seq, len, ack, win;
	bool has_ack, has_win, has_opts, ts_any, seq_any;
	uint16_t port;			/* the peer's port */
	struct bypass_tcp_opts opt;
};

static int ts_parse_opts(struct ts_run *r, char *s, struct ts_seg_spec *sp)
{
	char *tok, *save = NULL;

	for (tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *p = tok, *w = ts_word(&p), *a;
		uint64_t v, e;

		if (!w)
			return ts_fail(r, "empty option");
		if (!strcmp(w, "nop"))
			continue;
		if (!strcmp(w, "sackOK")) {
			sp->opt.sack_ok = true;
		} else if (!strcmp(w, "mss") && ts_num(ts_word(&p), &v)) {
			sp->opt.has_mss = true;
			sp->opt.mss = (uint16_t)v;
		} else if (!strcmp(w, "wscale") && ts_num(ts_word(&p), &v)) {
			sp->opt.has_wscale = true;
			sp->opt.wscale = (uint8_t)v;
		} else if (!strcmp(w, "sack")) {
			unsigned int a0, b0;

			while ((a = ts_word(&p))) {
				if (sp->opt.nr_sack == BYPASS_TCP_SACK_MAX ||
				    sscanf(a, "%u:%u", &a0, &b0) != 2)
					return ts_fail(r, "sack A:B ...");
				sp->opt.sack[sp->opt.nr_sack].start = a0;
				sp->opt.sack[sp->opt.nr_sack].end = b0;
				sp->opt.nr_sack++;
			}
		} else if (!strcmp(w, "TS")) {
			if (strcmp(ts_word(&p) ?: "", "val"))
				return ts_fail(r, "TS val N ecr N");
			a = ts_word(&p);
			if (a && !strcmp(a, "*"))
				sp->ts_any = true, v = 0;
			else if (!ts_num(a, &v))
				return ts_fail(r, "bad TS val");
			if (strcmp(ts_word(&p) ?: "", "ecr") ||
			    !ts_num(ts_word(&p), &e))
				return ts_fail(r, "bad TS ecr");
			sp->opt.has_ts = true;
			sp->opt.ts_val = (uint32_t)v;
			sp->opt.ts_ecr = (uint32_t)e;
		} else {
			return ts_fail(r, "unknown option '%s'", w);
		}
	}
	return 0;
}

static int ts_parse_fields(struct ts_run *r, char *p, struct ts_seg_spec *sp);

static int ts_parse_seg(struct ts_run *r, char *p, struct ts_seg_spec *sp)
{
	char *w = ts_word(&p), *o, *end = NULL;
	unsigned int a, b, l;
	int pass;

	if (!w)
		return ts_fail(r, "missing flags");
	for (; *w; w++) {
		static const char letters[] = "SFRP.";
		static const uint8_t bits[] = {
			BYPASS_TCP_SYN, BYPASS_TCP_FIN, BYPASS_TCP_RST,
			BYPASS_TCP_PSH, BYPASS_TCP_ACK,
		};
		const char *at = strchr(letters, *w);

		if (!at)
			return ts_fail(r, "bad flag '%c'", *w);
		sp->flags |= bits[at - letters];
	}
	w = ts_word(&p);
	if (w && sscanf(w, "*:*(%u)", &l) == 1) {
		/* Any ISN: a new incarnation's SYN; later lines follow it. */
		sp->seq_any = true;
		a = 0;
		b = l;
	} else if (!w || sscanf(w, "%u:%u(%u)", &a, &b, &l) != 3 || b - a != l) {
		return ts_fail(r, "bad sequence 'A:B(LEN)'");
	}
	sp->seq = a;
	sp->len = l;
	o = strchr(p, '<');
	if (o) {
		end = strchr(o, '>');
		if (!end)
			return ts_fail(r, "unterminated options");
		*o++ = 0;
		*end++ = 0;
		sp->has_opts = true;
		if (ts_parse_opts(r, o, sp))
			return -1;
	}
	/* Fields before the options, then after them. */
	for (pass = 0; pass < 2; pass++, p = end) {
		if (!p)
			break;
		if (ts_parse_fields(r, p, sp))
			return -1;
	}
	if (!sp->port)
		sp->port = TS_RPORT;
	if ((sp->flags & BYPASS_TCP_ACK) && !sp->has_ack)
		return ts_fail(r, "'.' needs 'ack N'");
	return 0;
}

static int ts_parse_fields(struct ts_run *r, char *p, struct ts_seg_spec *sp)
{
	uint64_t v;
	char *w;

	while ((w = ts_word(&p))) {
		if (!strcmp(w, "ack") && ts_num(ts_word(&p), &v)) {
			sp->has_ack = true;
			sp->ack = (uint32_t)v;
		} else if (!strcmp(w, "port") && ts_num(ts_word(&p), &v)) {
			sp->port = (uint16_t)v;
		} else if (!strcmp(w, "win") && ts_num(ts_word(&p), &v)) {
			sp->has_win = true;
			sp->win = (uint32_t)v;
		} else {
			return ts_fail(r, "unexpected '%s'", w);
		}
	}
	return 0;
}

/* ---- events ------------------------------------------------------------- */

static int ts_inject(struct ts_run *r, struct ts_seg_spec *sp)
{
	struct bypass_tcp_seg s = { 0 };
	uint32_t i;

	if (!r->lport)
		return ts_fail(r, "inject before listen/connect");
	if ((sp->flags & BYPASS_TCP_SYN) && !r->have_peer_isn) {
		r->have_peer_isn = true;
		r->peer_isn = sp->seq;
	}
	s.saddr = TS_REMOTE;
	s.daddr = TS_LOCAL;
	s.sport = sp->port;
	s.dport = r->lport;
	s.seq = sp->seq;
	s.ack = sp->ack + ts_iss(r, sp->port);
	s.flags = sp->flags;
	s.win = (uint16_t)(sp->has_win ? sp->win : 65535);
	s.opt = sp->opt;
	if (s.opt.has_ts && r->have_ts)
		s.opt.ts_ecr += r->ts_base;
	/* SACK blocks the peer sends cover the engine's data. */
	for (i = 0; i < s.opt.nr_sack; i++) {
		s.opt.sack[i].start += ts_iss(r, sp->port);
		s.opt.sack[i].end += ts_iss(r, sp->port);
	}
	if (sp->len) {
		struct bypass_buf *b = bypass_buf_alloc(r->pool);

		if (!b)
			return ts_fail(r, "pool empty");
		if (sp->len > bypass_buf_tailroom(b)) {
			bypass_buf_put(b);
			return ts_fail(r, "payload too long");
		}
		for (i = 0; i < sp->len; i++)
			b->data[i] = ts_peer_byte(sp->seq + i - r->peer_isn - 1);
		b->len = sp->len;
		s.len = sp->len;
		s.nr_frags = 1;
		s.frag[0].buf = b;
		s.frag[0].len = sp->len;
	}
	bypass_tcp_input(r->tcp, &s);
	/* The end of a receive batch, as the stack polls after its RX. */
	if (!r->in_batch)
		bypass_tcp_poll(r->tcp);
	return 0;
}

static int ts_expect(struct ts_run *r, struct ts_seg_spec *sp, uint64_t at)
{
	struct ts_out *o;
	struct bypass_tcp_seg *s;
	uint32_t seq_base, i;
	char got[256];

	while (!r->out_len && r->now < at + TS_TOL_NS)
		ts_step(r, r->now + 1000000);
	if (!r->out_len)
		return ts_fail(r, "no segment sent by %.3f", (double)(at + TS_TOL_NS) / 1e9);
	o = &r->out[r->out_head];
	r->out_head = (r->out_head + 1) % TS_MAXOUT;
	r->out_len--;
	s = &o->seg;
	seq_base = ts_iss(r, s->dport);
	ts_fmt(got, sizeof(got), s, seq_base, 0, r->ts_base);
	if (o->at + TS_TOL_NS < at || o->at > at + TS_TOL_NS)
		return ts_fail(r, "segment at %.3f, expected at %.3f: %s",
			       (double)o->at / 1e9, (double)at / 1e9, got);
	if (s->dport != sp->port || s->sport != r->lport ||
	    s->saddr != TS_LOCAL || s->daddr != TS_REMOTE)
		return ts_fail(r, "addressed to port %u from %u: %s", s->dport,
			       s->sport, got);
	if (s->flags != sp->flags)
		return ts_fail(r, "flags differ: got %s", got);
	if (sp->seq_any && (s->flags & BYPASS_TCP_SYN)) {
		uint32_t k;

		for (k = 0; k < r->nr_iss; k++)
			if (r->iss_port[k] == s->dport)
				r->iss[k] = s->seq;
		seq_base = s->seq;
	}
	if (s->seq - seq_base != sp->seq || s->len != sp->len)
		return ts_fail(r, "seq/len differ: got %s", got);
	if ((sp->flags & BYPASS_TCP_ACK) && s->ack != sp->ack)
		return ts_fail(r, "ack differs: got %s", got);
	if (!(sp->flags & BYPASS_TCP_ACK) && s->ack)
		return ts_fail(r, "ack field set without ACK: got %s", got);
	if (sp->has_win && s->win != sp->win)
		return ts_fail(r, "window differs: got %s", got);
	if (s->opt.has_mss != sp->opt.has_mss || s->opt.mss != sp->opt.mss ||
	    s->opt.has_wscale != sp->opt.has_wscale ||
	    s->opt.wscale != sp->opt.wscale ||
	    s->opt.sack_ok != sp->opt.sack_ok ||
	    s->opt.has_ts != sp->opt.has_ts ||
	    s->opt.nr_sack != sp->opt.nr_sack)
		return ts_fail(r, "options differ: got %s", got);
	for (i = 0; i < s->opt.nr_sack; i++)
		if (s->opt.sack[i].start != sp->opt.sack[i].start ||
		    s->opt.sack[i].end != sp->opt.sack[i].end)
			return ts_fail(r, "SACK blocks differ: got %s", got);
	if (s->opt.has_ts && (s->opt.ts_ecr != sp->opt.ts_ecr ||
			      (!sp->ts_any && s->opt.ts_val - r->ts_base !=
			       sp->opt.ts_val)))
		return ts_fail(r, "timestamps differ: got %s", got);
	for (i = 0; i < s->len; i++)
		if (o->data[i] != ts_local_byte(s->seq - seq_base - 1 + i))
			return ts_fail(r, "payload byte %u is wrong", i);
	return 0;
}

static int ts_errno(const char *w)
{
	if (!strcmp(w, "0"))
		return 0;
	if (!strcmp(w, "ECONNRESET"))
		return ECONNRESET;
	if (!strcmp(w, "ECONNREFUSED"))
		return ECONNREFUSED;
	if (!strcmp(w, "ETIMEDOUT"))
		return ETIMEDOUT;
	if (!strcmp(w, "EPIPE"))
		return EPIPE;
	return -1;
}

/* The engine counter named @w, or NULL. */
static const uint64_t *ts_stat(const struct bypass_tcp_stats *st,
			       const char *w)
{
	static const struct {
		const char *name;
		size_t off;
	} names[] = {
#define TS_STAT(f) { #f, offsetof(struct bypass_tcp_stats, f) }
		TS_STAT(rcv_collapsed),
		TS_STAT(rcv_dropped),
		TS_STAT(ooo_dropped),
		TS_STAT(sack_reneged),
		TS_STAT(pmtu_lowered),
		TS_STAT(icmp_ignored),
		TS_STAT(listen_overflows),
		TS_STAT(conns),
		TS_STAT(conns_allocated),
		TS_STAT(conn_limit_drops),
		TS_STAT(time_wait),
		TS_STAT(tw_recycled),
		TS_STAT(tw_syn_reopened),
		TS_STAT(tw_reused),
#undef TS_STAT
	};
	size_t i;

	for (i = 0; w && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(w, names[i].name))
			return (const uint64_t *)((const char *)st + names[i].off);
	return NULL;
}

static int ts_app(struct ts_run *r, char *p)
{
	char *cmd = ts_word(&p), *a = ts_word(&p), *b = ts_word(&p);
	struct bypass_tcp_conn *c = r->conn;
	uint64_t x = 0, y = 0;
	int e;

	if (!cmd)
		return ts_fail(r, "app what?");
	if (!strcmp(cmd, "listen")) {
		if (!ts_num(a, &x) || (b && !ts_num(b, &y)))
			return ts_fail(r, "listen PORT [BACKLOG]");
		r->lport = (uint16_t)x;
		e = bypass_tcp_listen(r->tcp, TS_LOCAL, r->lport,
				      b ? (uint32_t)y : 16, &r->listener);
		return e ? ts_fail(r, "listen: %d", e) : 0;
	}
	if (!strcmp(cmd, "connect")) {
		if (!ts_num(a, &x) || !ts_num(b, &y) || y != TS_RPORT)
			return ts_fail(r, "connect LPORT %u", TS_RPORT);
		r->lport = (uint16_t)x;
		e = bypass_tcp_connect(r->tcp, TS_LOCAL, r->lport, TS_REMOTE,
				       (uint16_t)y, &r->conn);
		return e ? ts_fail(r, "connect: %d", e) : 0;
	}
	if (!strcmp(cmd, "port")) {
		if (!ts_num(a, &x))
			return ts_fail(r, "port N");
		r->lport = (uint16_t)x;
		return 0;
	}
	if (!strcmp(cmd, "stat")) {
		struct bypass_tcp_stats st;
		const uint64_t *v;

		bypass_tcp_get_stats(r->tcp, &st);
		v = ts_stat(&st, a);
		if (!v || !ts_num(b, &x))
			return ts_fail(r, "stat NAME N");
		return *v == x ? 0 : ts_fail(r, "%s is %" PRIu64, a, *v);
	}
	if (!strcmp(cmd, "accept")) {
		if (!r->listener)
			return ts_fail(r, "accept without listen");
		r->conn = bypass_tcp_accept(r->listener);
		return r->conn ? 0 : ts_fail(r, "nothing to accept");
	}
	if (!strcmp(cmd, "acceptable")) {
		uint32_t n;

		if (!r->listener || !ts_num(a, &x))
			return ts_fail(r, "acceptable N after listen");
		n = bypass_tcp_acceptable(r->listener);
		return n == x ? 0 : ts_fail(r, "%u acceptable", n);
	}
	if (!strcmp(cmd, "noaccept")) {
		return bypass_tcp_accept(r->listener) ?
		       ts_fail(r, "accept returned a connection") : 0;
	}
	if (!c)
		return ts_fail(r, "no connection");
	if (!strcmp(cmd, "send")) {
		uint64_t left;
		struct bypass_buf *bf;

		if (!ts_num(a, &x) || !x)
			return ts_fail(r, "send N");
		for (left = x; left;) {
			uint32_t n, i;

			bf = bypass_buf_alloc(r->pool);
			if (!bf)
				return ts_fail(r, "pool empty");
			n = TS_SEND_CHUNK;
			if (n > left)
				n = (uint32_t)left;
			for (i = 0; i < n; i++)
				bf->data[i] = ts_local_byte(r->sent + i);
			bf->len = n;
			e = bypass_tcp_send(c, bf);
			if (e)
				return ts_fail(r, "send: %d", e);
			r->sent += n;
			left -= n;
		}
		return 0;
	}
	if (!strcmp(cmd, "recv")) {
		uint64_t want;

		if (!ts_num(a, &want))
			return ts_fail(r, "recv N");
		while (want) {
			struct bypass_buf *bf = bypass_tcp_recv(c);
			uint32_t i;

			if (!bf)
				return ts_fail(r, "only %" PRIu64 " bytes short", want);
			if (bf->len > want) {
				bypass_buf_put(bf);
				return ts_fail(r, "more than asked for");
			}
			for (i = 0; i < bf->len; i++)
				if (bf->data[i] != ts_peer_byte(r->got + i)) {
					bypass_buf_put(bf);
					return ts_fail(r, "received byte %" PRIu64 " is wrong",
						       r->got + i);
				}
			r->got += bf->len;
			want -= bf->len;
			bypass_buf_put(bf);
		}
		return 0;
	}
	if (!strcmp(cmd, "readable")) {
		if (!ts_num(a, &x))
			return ts_fail(r, "readable N");
		return bypass_tcp_readable(c) == x ? 0 :
		       ts_fail(r, "readable %u", bypass_tcp_readable(c));
	}
	if (!strcmp(cmd, "eof"))
		return bypass_tcp_eof(c) ? 0 : ts_fail(r, "no EOF");
	if (!strcmp(cmd, "noeof"))
		return !bypass_tcp_eof(c) ? 0 : ts_fail(r, "EOF");
	if (!strcmp(cmd, "keepalive")) {
		char *cnt = ts_word(&p);
		uint64_t z;

		if (!ts_num(a, &x) || !ts_num(b, &y) || !ts_num(cnt, &z))
			return ts_fail(r, "keepalive IDLE_MS INTVL_MS COUNT");
		e = bypass_tcp_set_keepalive(c, x * 1000000, y * 1000000,
					     (uint32_t)z);
		return e ? ts_fail(r, "keepalive: %d", e) : 0;
	}
	if (!strcmp(cmd, "nodelay")) {
		bypass_tcp_set_nodelay(c, true);
		return 0;
	}
	if (!strcmp(cmd, "shutdown")) {
		e = bypass_tcp_shutdown(c);
		return e ? ts_fail(r, "shutdown: %d", e) : 0;
	}
	if (!strcmp(cmd, "close") || !strcmp(cmd, "abort")) {
		if (!strcmp(cmd, "close"))
			bypass_tcp_close(c);
		else
			bypass_tcp_abort(c);
		r->conn = NULL;
		return 0;
	}
	if (!strcmp(cmd, "state")) {
		const char *st = bypass_tcp_state_name(bypass_tcp_state(c));

		if (!a || strcmp(a, st))
			return ts_fail(r, "state is %s", st);
		return 0;
	}
	if (!strcmp(cmd, "error")) {
		e = a ? ts_errno(a) : -1;
		if (e < 0)
			return ts_fail(r, "error NAME");
		return bypass_tcp_error(c) == e ? 0 :
		       ts_fail(r, "error is %d", bypass_tcp_error(c));
	}
	return ts_fail(r, "unknown app command '%s'", cmd);
}

/*
 * 'icmp frag_needed MTU SEQ [LEN]': an ICMP "fragmentation needed"
 * quoting the engine's segment to the peer (port 40000) at SEQ (the
 * engine's numbers), LEN the quoted datagram's length.
 */
static int ts_icmp(struct ts_run *r, char *p)
{
	char *what = ts_word(&p), *m = ts_word(&p), *sq = ts_word(&p);
	char *len = ts_word(&p);
	uint64_t mtu, seq, dlen = 0;

	if (!what || strcmp(what, "frag_needed") || !ts_num(m, &mtu) ||
	    !ts_num(sq, &seq) || (len && !ts_num(len, &dlen)))
		return ts_fail(r, "icmp frag_needed MTU SEQ [LEN]");
	bypass_tcp_frag_needed(r->tcp, TS_LOCAL, r->lport, TS_REMOTE, TS_RPORT,
			       (uint32_t)seq + ts_iss(r, TS_RPORT),
			       (uint16_t)mtu, (uint16_t)dlen);
	return 0;
}

static int ts_config(struct ts_run *r, char *p)
{
#define TS_CFG(key, f) { key, offsetof(struct bypass_tcp_config, f) }
	static const struct {
		const char *key;
		size_t off;
	} u32[] = {		/* the uint32_t fields, by their script names */
		TS_CFG("rcvbuf", rcvbuf),
		TS_CFG("ooo_bufs", ooo_bufs),
		TS_CFG("rcv_bufs", rcv_bufs),
		TS_CFG("sndq_bufs", sndq_bufs),
		TS_CFG("retries", retries),
		TS_CFG("challenge_acks", challenge_acks_per_s),
		TS_CFG("max_conns", max_conns),
		TS_CFG("init_conns", init_conns),
		TS_CFG("max_time_wait", max_time_wait),
	};
#undef TS_CFG
	char *k = ts_word(&p), *v = ts_word(&p);
	uint64_t x;
	size_t i;

	if (r->tcp)
		return ts_fail(r, "config after the first event");
	if (!k || !ts_num(v, &x))
		return ts_fail(r, "config KEY VALUE");
	for (i = 0; i < sizeof(u32) / sizeof(u32[0]); i++) {
		if (!strcmp(k, u32[i].key)) {
			*(uint32_t *)((char *)&r->cfg + u32[i].off) = (uint32_t)x;
			return 0;
		}
	}
	if (!strcmp(k, "mss"))
		r->cfg.mss = (uint16_t)x;
	else if (!strcmp(k, "msl_ms"))
		r->cfg.msl_ns = x * 1000000;
	else
		return ts_fail(r, "unknown config '%s'", k);
	return 0;
}

/* Segments sent before @t - tolerance that no line expected. */
static int ts_no_stale(struct ts_run *r, uint64_t t)
{
	char got[256];
	struct ts_out *o;

	if (!r->out_len)
		return 0;
	o = &r->out[r->out_head];
	if (o->at + TS_TOL_NS >= t)
		return 0;
	ts_fmt(got, sizeof(got), &o->seg, ts_iss(r, o->seg.dport), 0, r->ts_base);
	return ts_fail(r, "unexpected segment at %.3f: %s", (double)o->at / 1e9, got);
}

static int ts_line(struct ts_run *r, char *line, uint64_t *t)
{
	char *p = line, *w, *hash = strchr(line, '#');
	uint64_t at;

	if (hash)
		*hash = 0;
	w = ts_word(&p);
	if (!w)
		return 0;
	if (!strcmp(w, "config"))
		return ts_config(r, p);
	if (ts_start(r))
		return -1;
	if (w[0] == '+')
		at = *t + (uint64_t)(strtod(w + 1, NULL) * 1e9 + 0.5);
	else
		at = TS_START_NS + (uint64_t)(strtod(w, NULL) * 1e9 + 0.5);
	if (at < *t)
		return ts_fail(r, "time goes backwards");
	*t = at;
	w = ts_word(&p);
	if (!w)
		return ts_fail(r, "event missing");
	if (!strcmp(w, ">")) {
		struct ts_seg_spec sp = { .out = true };

		if (ts_parse_seg(r, p, &sp))
			return -1;
		/* Early segments are there by now; late ones are waited for. */
		ts_step(r, at - TS_TOL_NS);
		return ts_expect(r, &sp, at);
	}
	if (at > r->now)
		ts_step(r, at);
	if (ts_no_stale(r, at))
		return -1;
	if (!strcmp(w, "<")) {
		struct ts_seg_spec sp = { .out = false };

		if (ts_parse_seg(r, p, &sp))
			return -1;
		return ts_inject(r, &sp);
	}
	if (!strcmp(w, "icmp"))
		return ts_icmp(r, p);
	if (!strcmp(w, "batch")) {
		w = ts_word(&p);
		if (w && !strcmp(w, "start") && !r->in_batch) {
			r->in_batch = true;
			return 0;
		}
		if (w && !strcmp(w, "end") && r->in_batch) {
			r->in_batch = false;
			bypass_tcp_poll(r->tcp);
			return 0;
		}
		return ts_fail(r, "batch start, then batch end");
	}
	if (!strcmp(w, "app")) {
		if (ts_app(r, p))
			return -1;
		/* Like an application's loop: poll after each call. */
		bypass_tcp_poll(r->tcp);
		return 0;
	}
	return ts_fail(r, "unknown event '%s'", w);
}

/* ts_run_file - run one script; 0, or -1 with the reason in @r->err. */
static int ts_run_file(struct ts_run *r, const char *path)
{
	char line[1024];
	uint64_t t = 0;
	FILE *f;
	int ret = 0;

	memset(r, 0, sizeof(*r));
	r->file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	memset(r->cfg.secret, 0x5a, sizeof(r->cfg.secret));
	r->now = TS_START_NS;
	r->out = calloc(TS_MAXOUT, sizeof(*r->out));
	f = fopen(path, "r");
	if (!f || !r->out) {
		free(r->out);
		if (f)
			fclose(f);
		return ts_fail(r, "cannot open");
	}
	if (bypass_pool_create(NULL, 512, 4096, &r->pool)) {
		fclose(f);
		free(r->out);
		return ts_fail(r, "no pool");
	}
	t = r->now;
	while (fgets(line, sizeof(line), f)) {
		r->line++;
		line[strcspn(line, "\n")] = 0;
		ret = ts_line(r, line, &t);
		if (ret)
			break;
	}
	if (!ret && r->tcp)
		ret = ts_no_stale(r, r->now + TS_TOL_NS + 1);
	if (!ret && r->out_len)
		ret = ts_no_stale(r, UINT64_MAX - TS_TOL_NS);
	fclose(f);
	if (r->conn)
		bypass_tcp_close(r->conn);
	if (r->listener)
		bypass_tcp_close(r->listener);
	bypass_tcp_destroy(r->tcp);
	/* Every buffer went back: the engine leaks none. */
	if (!ret && bypass_pool_available(r->pool) != 512)
		ret = ts_fail(r, "%u buffers leaked",
			      512 - bypass_pool_available(r->pool));
	bypass_pool_destroy(r->pool);
	free(r->out);
	return ret;
}

#endif /* BYPASS_TEST_TCP_SCRIPT_H */
