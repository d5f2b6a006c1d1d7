/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of the TCP engine shared by its files: the connection and
 * engine structures and the functions one file offers the others.
 */
#ifndef BYPASS_TCP_INTERNAL_H
#define BYPASS_TCP_INTERNAL_H

#include <arpa/inet.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bypass_tcp.h"
#include "tcp_seq.h"
#include "tcp_timer.h"

#pragma GCC visibility push(hidden)

#define TCP_MSS_DEFAULT		536u	/* peer sent no MSS option (RFC 9293) */
#define TCP_MAX_WSCALE		14u
#define TCP_TS_OPT_LEN		12u	/* timestamps, padded to a word */
#define TCP_MAX_WIN		65535u
#define TCP_PAWS_IDLE_NS	(24ull * 24 * 3600 * 1000000000)
#define TCP_SYN_RETRIES		6u
#define TCP_DUPACK_THRESH	3u

#define TCP_SACK_RANGES		8u	/* scoreboard ranges per connection */

struct tcp_sack_range {
	uint32_t start, end;
};

/* A slice of sequence space held in a pool buffer. */
struct tcp_chunk {
	uint32_t seq;
	struct bypass_buf *buf;		/* bytes at buf->data, buf->len */
};

struct tcp_conn {
	struct bypass_tcp *tcp;
	struct tcp_conn *hnext, **hpprev;	/* lookup chain */
	/* A group's flow directory (api_group.c), under its lock. */
	struct tcp_conn *dnext, **dpprev;
	uint8_t dir_kind;			/* 0, or how the group holds it */
	struct tcp_conn *qnext;			/* accept queue / free list */
	struct tcp_conn *listener;		/* for a passive open */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint8_t state;
	bool app_owned;		/* the application holds a handle */
	bool accepted;		/* handed out by accept (or active) */
	bool nodelay;
	bool fin_queued;	/* FIN after the send queue */
	bool fin_rcvd;
	bool ws_ok, ts_ok, sack_ok;
	bool ack_now, ack_pending;
	bool in_recovery;
	bool qnext_valid;	/* waiting in the listener's accept queue */
	bool rtt_timing;
	uint8_t snd_wscale, rcv_wscale;
	int error;
	void *user;		/* bypass_tcp_set_user() */

	/* send side (RFC 9293 names) */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2;
	uint32_t max_snd_wnd;
	uint32_t snd_end;		/* seq after the last queued byte */
	uint32_t snd_sml;		/* end of the last short segment sent */
	uint16_t mss;			/* what we send per segment */
	struct tcp_chunk *sndq;		/* ring: sndq_bufs used of sndq_mask + 1 */
	uint32_t sndq_head, sndq_len;

	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv;	/* rcv_adv: advertised right edge */
	uint32_t last_ack_sent;
	/*
	 * The ACK policy (tcp_ack.c): in-order data is acknowledged at the
	 * end of the receive batch it came in, when more than rcv_mss is
	 * unacknowledged or in quick-ACK mode, else by the delayed ACK.
	 */
	uint32_t rcv_mss;		/* the peer's segment size, as seen
					 * (TCP_MSS_DEFAULT before any) */
	uint64_t last_data_ns;		/* data last came then; before any,
					 * TCP_NO_DATA_NS */
	uint32_t reply_seq;		/* rcv_nxt when a reply last counted */
	uint8_t quickacks;		/* ACKs to send at once yet */
	uint8_t pingpong;		/* replies soon after data (interactive) */
	struct bypass_buf *rcvq_head, *rcvq_tail;
	uint32_t rcvq_bytes;
	uint32_t rcvq_nbufs;		/* buffers in the receive queue */
	struct bypass_buf *rcvq_packed;	/* coalescing resumes here */
	struct tcp_chunk *ooo;		/* sorted, nr_ooo of ooo_cap */
	uint32_t nr_ooo;
	uint32_t sack_last;		/* seq of the latest out-of-order arrival */
	bool dsack;			/* a duplicate to report (RFC 2883) */
	/*
	 * Header prediction from the wire (tcp_input_wire): pred_ok sums up
	 * the conditions that change rarely (timestamps in use, nothing out
	 * of order, no loss recovery, no SACK scoreboard), kept by
	 * tcp_pred_update() where they change; pred_ports is the header's
	 * first word (the peer's port, ours) as it comes.
	 */
	bool pred_ok;
	uint32_t pred_ports;
	uint32_t dsack_start, dsack_end;

	/* timestamps (RFC 7323) */
	uint32_t ts_offset, ts_recent;
	uint64_t ts_recent_ns;
	uint32_t ts_echo_min;		/* oldest TS echo still plausible */

	/* RTT, RTO (RFC 6298) */
	uint64_t srtt_ns, rttvar_ns, rto_ns;
	/*
	 * The estimator's fixed point: RTTVAR is 0 and a sample equal to
	 * SRTT would leave SRTT, RTTVAR and the RTO as they are (set by
	 * tcp_rtt_sample, cleared wherever the RTO is set otherwise).
	 */
	bool rtt_steady;
	uint32_t rtt_seq;
	uint64_t rtt_start_ns;
	uint32_t retries;
	bool persist;

	/* congestion control: loss recovery is NewReno's (RFC 6582) */
	uint32_t cwnd, ssthresh, dupacks, recover;
	uint32_t cwnd_cnt;		/* bytes acked toward the next MSS */
	/* RFC 7661: is the window what limits the sender (tcp_cc_sent) */
	bool cwnd_limited;
	uint32_t max_flight;		/* most in flight this window */
	uint32_t cwnd_usage_seq;	/* the window ends at this seq */
	uint8_t cc;			/* enum bypass_tcp_cc */
	bool sack_recovery;		/* recovery follows RFC 6675 */
	uint32_t high_rxt;		/* RFC 6675 HighRxt */
	uint32_t nr_sacked;
	struct tcp_sack_range sacked[TCP_SACK_RANGES];	/* sorted */
	struct tcp_cubic {
		double w_max, w_last_max;	/* segments */
		double k;			/* seconds */
		double w_est;			/* Reno-friendly estimate */
		double acc;			/* fractional growth, bytes */
		uint64_t epoch_ns;		/* 0: no epoch yet */
	} cubic;

	/* listener */
	uint32_t backlog, pending;	/* pending: SYN-RECEIVED + queued */
	uint32_t queued;		/* in the accept queue */
	uint32_t queued_closed;		/* of those, reset while waiting */
	struct tcp_conn *acceptq_head, *acceptq_tail;

	/*
	 * On the engine's list of connections whose ACK or window update is
	 * decided at the next poll (the end of the receive batch).
	 */
	struct tcp_conn *upd_next, **upd_pprev;

	struct tcp_timer rtx_timer;	/* retransmit, persist, SYN */
	struct tcp_timer delack_timer;
	struct tcp_timer tw_timer;	/* TIME_WAIT */
	struct tcp_timer ka_timer;	/* keepalive */

	/* keepalive (RFC 9293 3.8.4): 0 idle_ns means off */
	uint64_t ka_idle_ns, ka_intvl_ns, last_rcv_ns;
	uint32_t ka_count, ka_probes;

	/* RFC 5961 challenge ACKs left this second (second + 1; 0: none) */
	uint32_t challenge_tokens;
	uint64_t challenge_sec;
	struct bypass_tcp_tmpl tmpl;	/* the output's header (tcp_tmpl.c) */

	/*
	 * tcpout15: the stack's output built tmpl for this connection, so a
	 * segment of one whole queued buffer may be handed to
	 * tcp_stack_emit() instead of being built as a struct bypass_tcp_seg.
	 */
	bool tmpl_emit;
};

/*
 * A closed connection in TIME_WAIT (RFC 9293 3.6): only what answering
 * its peer takes, no buffers (like Linux's inet_timewait_sock).
 */
struct tcp_tw {
	struct tcp_tw *hnext, **hpprev;		/* lookup chain */
	struct tcp_tw *fnext, *fprev;		/* expiry FIFO / free list */
	uint64_t expires_ns;
	uint64_t ts_recent_ns;			/* when ts_recent came */
	uint64_t ack_ok_ns;			/* no ACK sent before */
	uint32_t laddr, raddr;
	uint16_t lport, rport;
	uint32_t snd_nxt, rcv_nxt;
	uint32_t ts_recent, ts_offset;
	uint16_t win;				/* window field of our ACKs */
	bool ts_ok;
};

#define TCP_SLABS_MAX		32	/* the table doubles: 2^32 > any limit */
/* Largest max_conns and max_time_wait: their hash sizes stay in 32 bits. */
#define TCP_TABLE_MAX		(1u << 30)
#define TCP_TW_SLAB		1024u	/* TIME_WAIT records per allocation */

/* Connections allocated together, with their send and out-of-order arrays. */
struct tcp_slab {
	struct tcp_conn *conns;
	struct tcp_chunk *chunks;
	uint32_t n;
};

/*
 * struct tcp_group_ops - an engine that is one of a group's (one context
 * per thread, each on its own queue pair: api_group.c) tells the group,
 * off its fast path:
 * @flow_add: @c, a connection or listener, entered the engine's tables.
 * @flow_del: it left them.
 * @redirect: a segment found no connection here (nor TIME_WAIT); @local
 *	is this engine's listener for its port or NULL. True when the group
 *	took the segment for another engine (@payload, s->len bytes or NULL,
 *	stays the caller's); false to handle it here (listener or RST).
 */
struct tcp_group_ops {
	void (*flow_add)(void *arg, struct tcp_conn *c);
	void (*flow_del)(void *arg, struct tcp_conn *c);
	bool (*redirect)(void *arg, const struct bypass_tcp_seg *s,
			 const struct bypass_buf *payload, struct tcp_conn *local);
};

struct bypass_tcp {
	struct bypass_tcp_config cfg;
	const struct tcp_group_ops *group;	/* NULL: alone */
	void *group_arg;
	struct bypass_tcp_ops ops;
	void *ctx;
	uint8_t rcv_wscale;		/* what rcvbuf needs */
	struct tcp_slab slab[TCP_SLABS_MAX];
	uint32_t nr_slabs;
	struct tcp_conn *free;
	struct tcp_conn **hash;		/* established and embryonic */
	struct tcp_conn **lhash;	/* listeners by port */
	uint32_t hash_mask, lhash_mask;
	uint64_t flow_key[4];		/* tcp_hash4's keys */
	/* Send queue rings have sndq_mask + 1 slots (a power of two). */
	uint32_t sndq_mask;
	struct tcp_conn *last_hit;	/* tcp_lookup's last find, or NULL */
	/* TIME_WAIT: records in slabs, a hash, a FIFO by expiry */
	struct tcp_tw **tw_slab;	/* max_time_wait / TCP_TW_SLAB rounded up */
	uint32_t tw_nr_slabs;
	struct tcp_tw *tw_free;
	struct tcp_tw **tw_hash;
	uint32_t tw_hash_mask;
	struct tcp_tw *tw_head, *tw_tail;	/* oldest first */
	struct tcp_wheel wheel;
	struct tcp_conn *upd;		/* ACKs and window updates to decide */
	uint64_t isn_drift_ns;		/* test hook: added to the ISN clock */
	bool pred_off;			/* test hook: no header prediction */
	/*
	 * The clock as read once by the entry point running: *clk_ns while
	 * *clk_held. The engine's own pair, or its host's (tcp_clock_share():
	 * the stack's, so that one read serves both).
	 */
	uint64_t *clk_ns;
	uint32_t *clk_held;
	uint64_t own_ns;
	uint32_t own_held;
	struct bypass_tcp_stats stats;
};

/*
 * Clear a segment for filling in: the header fields and the options up to
 * the SACK blocks. The SACK blocks and payload slices are left as they
 * are: nr_sack and nr_frags (zero here) say how many of them count.
 */
static inline void tcp_seg_clear(struct bypass_tcp_seg *s)
{
	memset(s, 0, offsetof(struct bypass_tcp_seg, opt.sack));
	s->len = 0;
	s->nr_frags = 0;
}

/*
 * The options of nearly every segment of a connection with timestamps,
 * in the layout RFC 7323 appendix A suggests and Linux sends: NOP, NOP,
 * timestamps, 12 bytes in all. For exactly that layout, fill @o as
 * tcp_opts_parse() would (every field but the SACK blocks, which
 * nr_sack = 0 makes void) and return true, without the parser's loop
 * and memset; false for anything else, which tcp_opts_parse() is then
 * to read.
 */
static inline bool tcp_opts_fast_ts(const uint8_t *p, uint32_t len,
				    struct bypass_tcp_opts *o)
{
	uint32_t lead;		/* NOP, NOP, kind 8, length 10 */

	if (len != TCP_TS_OPT_LEN)
		return false;
	memcpy(&lead, p, sizeof(lead));
	if (lead != htonl(0x0101080a))
		return false;
	o->has_mss = false;
	o->has_wscale = false;
	o->sack_ok = false;
	o->mss = 0;
	o->wscale = 0;
	o->nr_sack = 0;
	o->has_ts = true;
	o->ts_val = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 |
		    (uint32_t)p[6] << 8 | p[7];
	o->ts_ecr = (uint32_t)p[8] << 24 | (uint32_t)p[9] << 16 |
		    (uint32_t)p[10] << 8 | p[11];
	return true;
}

/*
 * last_data_ns of a connection that has received no data: at any time
 * before 2^63 ns (292 years of the clock), now - TCP_NO_DATA_NS is above
 * 2^63, longer ago than any timeout, so "no data yet" and "no data for
 * long" are one test.
 */
#define TCP_NO_DATA_NS	(1ull << 63)

/* The header prediction expects: 20 bytes and NOP, NOP, timestamps. */
#define TCP_PRED_HLEN	32u

/*
 * Recompute c->pred_ok after a change of what it sums up (see struct
 * tcp_conn); the state and the window are tested per segment.
 */
static inline void tcp_pred_update(struct tcp_conn *c)
{
	uint16_t ports[2] = { htons(c->rport), htons(c->lport) };

	memcpy(&c->pred_ports, ports, sizeof(c->pred_ports));
	c->pred_ok = c->ts_ok && !c->nr_ooo && !c->in_recovery &&
		     !c->nr_sacked && !c->tcp->pred_off;
}

/* tcp_notify() of a live connection @c the application is known to hold. */
static inline void tcp_notify_owned(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;

	if (tcp->ops.event)
		tcp->ops.event(tcp->ctx, (struct bypass_tcp_conn *)c);
}

/* Tell the host that @c, which the application holds, may have changed. */
static inline void tcp_notify(struct tcp_conn *c)
{
	if (c->tcp && c->app_owned)
		tcp_notify_owned(c);
}

static inline uint32_t tcp_pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

/*
 * The clock: an entry point (a segment's arrival, a poll, a send...)
 * reads it once with tcp_clock_hold() and everything it does sees that
 * time, until tcp_clock_release(); nested entry points keep the outer one's.
 */
static inline __attribute__((always_inline)) uint64_t
tcp_now(struct bypass_tcp *tcp)
{
	return *tcp->clk_held ? *tcp->clk_ns : tcp->ops.now_ns(tcp->ctx);
}

/* Hold the clock (see tcp_now()): the time held, read now or outer. */
static inline uint64_t tcp_clock_hold(struct bypass_tcp *tcp)
{
	uint64_t now;

	/* Read before holding: ops.now_ns may look at a shared hold. */
	if (!*tcp->clk_held)
		*tcp->clk_ns = now = tcp->ops.now_ns(tcp->ctx);
	else
		now = *tcp->clk_ns;
	(*tcp->clk_held)++;
	return now;
}

static inline void tcp_clock_release(struct bypass_tcp *tcp)
{
	(*tcp->clk_held)--;
}

/*
 * Hold and read the clock in the host's pair (@ns while *@held), which
 * holds it too: a time the host read serves the engine without a call,
 * and the engine's serves the host. ops.now_ns must read the clock
 * itself when *@held is 0. Only while nothing holds either clock.
 */
static inline void tcp_clock_share(struct bypass_tcp *tcp, uint64_t *ns,
				   uint32_t *held)
{
	tcp->clk_ns = ns;
	tcp->clk_held = held;
}

/*
 * Whether bypass_tcp_poll() at @now_ns has work: ACKs or window updates
 * to decide, a wheel tick not processed yet, or a TIME_WAIT ended. When
 * false the poll would change nothing, so a host holding the clock may
 * skip it on this one inline test.
 */
static inline bool tcp_poll_due(const struct bypass_tcp *tcp, uint64_t now_ns)
{
	return tcp->upd || tcp_wheel_due(&tcp->wheel, now_ns) ||
	       (tcp->tw_head && tcp->tw_head->expires_ns <= now_ns);
}

/* tcp_isn.c */
uint64_t tcp_siphash(const uint8_t key[16], const void *data, uint32_t len);
uint32_t tcp_isn(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		 uint32_t raddr, uint16_t rport, uint64_t now_ns);
uint32_t tcp_ts_offset(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport);

/* tcp_cookie.c */
uint32_t tcp_cookie_make(struct bypass_tcp *tcp, const struct bypass_tcp_seg *syn,
			 uint16_t mss, uint64_t now_ns);
/* The options byte of a valid cookie ACK (0: no timestamps), or -1. */
int tcp_cookie_check(struct bypass_tcp *tcp, const struct bypass_tcp_seg *ack,
		     uint64_t now_ns);
uint16_t tcp_cookie_mss(uint32_t cookie);
/* Our TS value for a cookie SYN-ACK answering @syn, at clock @ts_now. */
uint32_t tcp_cookie_tsval(const struct bypass_tcp_opts *syn, uint32_t ts_now);
/* The options byte an ACK's timestamp echo carries. */
uint8_t tcp_cookie_echo(const struct bypass_tcp_opts *ack);
/* What an options byte says; @wscale -1: none. */
void tcp_cookie_opts(uint8_t opts, bool *ts, int *wscale, bool *sack);

/* tcp_table.c */
uint32_t tcp_hash4(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		   uint32_t raddr, uint16_t rport);
int tcp_table_init(struct bypass_tcp *tcp);
void tcp_table_destroy(struct bypass_tcp *tcp);
/* Call @fn on every connection in use (listener_close, destroy). */
void tcp_for_each_conn(struct bypass_tcp *tcp,
		       void (*fn)(struct tcp_conn *c, void *arg), void *arg);
/* The @i-th connection of the table (in use or not), NULL past its end. */
struct tcp_conn *tcp_conn_at(struct bypass_tcp *tcp, uint32_t i);
/* The connection of a 4-tuple from the hash (tcp_lookup's slow case). */
struct tcp_conn *tcp_lookup_hash(struct bypass_tcp *tcp, uint32_t laddr,
				 uint16_t lport, uint32_t raddr, uint16_t rport);

static inline bool tcp_conn_is(const struct tcp_conn *c, uint32_t laddr,
			       uint16_t lport, uint32_t raddr, uint16_t rport)
{
	return c->lport == lport && c->rport == rport && c->laddr == laddr &&
	       c->raddr == raddr;
}

/*
 * The connection (established or embryonic) of a 4-tuple, or NULL.
 * Segments come in runs for one connection: the last one found is tried
 * first, inline, before the hash.
 */
static inline struct tcp_conn *tcp_lookup(struct bypass_tcp *tcp,
					  uint32_t laddr, uint16_t lport,
					  uint32_t raddr, uint16_t rport)
{
	struct tcp_conn *c = tcp->last_hit;

	if (c && tcp_conn_is(c, laddr, lport, raddr, rport))
		return c;
	return tcp_lookup_hash(tcp, laddr, lport, raddr, rport);
}
struct tcp_conn *tcp_lookup_listener(struct bypass_tcp *tcp, uint32_t laddr,
				     uint16_t lport);
void tcp_hash_insert(struct bypass_tcp *tcp, struct tcp_conn *c);
void tcp_hash_remove(struct tcp_conn *c);
struct tcp_conn *tcp_conn_alloc(struct bypass_tcp *tcp);
void tcp_upd_remove(struct tcp_conn *c);
/* Unhash, stop the timers, drop what is queued to send or reassemble. */
void tcp_conn_stop(struct tcp_conn *c);
void tcp_conn_free(struct tcp_conn *c);

/* tcp_opt.c */
uint32_t tcp_opts_len(const struct bypass_tcp_opts *o);
uint32_t tcp_opts_write(const struct bypass_tcp_opts *o, uint8_t *p);
int tcp_opts_parse(const uint8_t *p, uint32_t len, struct bypass_tcp_opts *o);

/* tcp_output.c */
void tcp_send_ctl(struct tcp_conn *c, uint8_t flags, uint32_t seq);
void tcp_send_ack(struct tcp_conn *c);
void tcp_output(struct tcp_conn *c);
void tcp_retransmit_first(struct tcp_conn *c);
void tcp_send_probe(struct tcp_conn *c);
uint32_t tcp_send_range(struct tcp_conn *c, uint32_t seq, uint32_t max);
void tcp_send_rst_reply(struct bypass_tcp *tcp, const struct bypass_tcp_seg *in);
void tcp_send_cookie(struct bypass_tcp *tcp, const struct bypass_tcp_seg *syn,
		     uint64_t now);
uint32_t tcp_ts_now(const struct tcp_conn *c, uint64_t now_ns);
uint32_t tcp_flight(const struct tcp_conn *c);

/*
 * Free space of the receive queue, in bytes, for the engine's config
 * @cfg; none while the connection holds rcv_bufs buffers, so the window
 * stops opening (tcp_reass.c).
 */
static inline uint32_t tcp_rcv_space(const struct tcp_conn *c,
				     const struct bypass_tcp_config *cfg)
{
	if (c->rcvq_nbufs + c->nr_ooo >= cfg->rcv_bufs ||
	    c->rcvq_bytes >= cfg->rcvbuf)
		return 0;
	return cfg->rcvbuf - c->rcvq_bytes;
}

static inline uint32_t tcp_rcv_window(const struct tcp_conn *c)
{
	return tcp_rcv_space(c, &c->tcp->cfg);
}

/* The retransmit timer is due one RTO from now (lazily, tcp_timer_set). */
static inline void tcp_arm_rtx(struct tcp_conn *c)
{
	tcp_timer_set(&c->tcp->wheel, &c->rtx_timer,
		      tcp_now(c->tcp) + c->rto_ns);
}

/* tcp_reass.c */
void tcp_rcv_data(struct tcp_conn *c, struct bypass_buf *b, uint32_t seq);
void tcp_rcv_in_order(struct tcp_conn *c, struct bypass_buf *b);
void tcp_dsack_note(struct tcp_conn *c, uint32_t start, uint32_t end);
void tcp_reass_purge(struct tcp_conn *c);
void tcp_sack_blocks(const struct tcp_conn *c, struct bypass_tcp_opts *o,
		     uint32_t max);

/* tcp_cc.c */
/* The largest send window: cwnd never grows beyond it. */
#define TCP_CWND_MAX	(TCP_MAX_WIN << TCP_MAX_WSCALE)
#define TCP_RTO_FALLBACK_NS	3000000000ull	/* RFC 6298 5.7 */

void tcp_cc_init(struct tcp_conn *c);
/* The handshake is done: initial window and RTO of the data. */
void tcp_cc_established(struct tcp_conn *c, uint32_t syn_timeouts);
void tcp_cc_ack(struct tcp_conn *c, uint32_t acked);
/*
 * After tcp_output: remember whether cwnd held the sender back (nothing
 * more fits but a short segment), or else the most it had in flight,
 * for the rest of the window (RFC 7661's pipeACK, as Linux's
 * tcp_cwnd_validate). Inline: it runs after every output and input.
 */
static inline __attribute__((always_inline)) void
tcp_cc_sent(struct tcp_conn *c, bool sent)
{
	uint32_t flight = c->snd_nxt - c->snd_una;
	bool limited = (uint64_t)flight + c->mss > c->cwnd;

	if (!sent && !limited)
		return;
	if (seq_geq(c->snd_una, c->cwnd_usage_seq) || limited ||
	    (!c->cwnd_limited && flight > c->max_flight)) {
		c->cwnd_limited = limited;
		c->max_flight = flight;
		c->cwnd_usage_seq = c->snd_nxt;
	}
}
void tcp_cwnd_grow(struct tcp_conn *c, uint64_t bytes);
/*
 * RTT from a TS echo, when the echo is plausible (RFC 7323 4.1), on a
 * connection that uses timestamps (the caller's test).
 */
bool tcp_ts_rtt(struct tcp_conn *c, uint32_t ts_ecr, uint64_t now_ns,
		uint64_t *rtt_ns);
void tcp_cc_dupack(struct tcp_conn *c);
void tcp_cc_timeout(struct tcp_conn *c);
void tcp_rtt_sample(struct tcp_conn *c, uint64_t rtt_ns);

/* tcp_sack.c */
bool tcp_sack_update(struct tcp_conn *c, const struct bypass_tcp_opts *o);
bool tcp_sack_dsack(const struct tcp_conn *c, const struct bypass_tcp_opts *o);
void tcp_sack_check_renege(struct tcp_conn *c);
uint32_t tcp_sack_skip(struct tcp_conn *c, uint32_t *sacked);
bool tcp_sack_active(const struct tcp_conn *c);
bool tcp_sack_head_lost(const struct tcp_conn *c);
void tcp_sack_enter(struct tcp_conn *c);
void tcp_sack_step(struct tcp_conn *c);

/* tcp_cubic.c */
uint32_t tcp_cubic_loss(struct tcp_conn *c);
void tcp_cubic_ack(struct tcp_conn *c, uint32_t acked, uint64_t now_ns);

/* tcp_timers.c */
void tcp_timer_rtx(struct tcp_timer *t, uint64_t now_ns);
void tcp_timer_delack(struct tcp_timer *t, uint64_t now_ns);
void tcp_timer_tw(struct tcp_timer *t, uint64_t now_ns);
void tcp_timer_keepalive(struct tcp_timer *t, uint64_t now_ns);

/* tcp_timewait.c */
int tcp_tw_init(struct bypass_tcp *tcp);
void tcp_tw_destroy(struct bypass_tcp *tcp);
struct tcp_tw *tcp_tw_lookup(struct bypass_tcp *tcp, uint32_t laddr,
			     uint16_t lport, uint32_t raddr, uint16_t rport);
/* @c, closed by the application, goes on as a TIME_WAIT record. */
void tcp_tw_enter(struct tcp_conn *c);
void tcp_tw_free(struct bypass_tcp *tcp, struct tcp_tw *tw);
/*
 * A segment for @tw. Returns the ISN for a new connection when it is a
 * SYN that ends TIME_WAIT (the record is then freed; the caller hands
 * the SYN to the listener), else 0.
 */
uint32_t tcp_tw_input(struct bypass_tcp *tcp, struct tcp_tw *tw,
		      const struct bypass_tcp_seg *s, uint64_t now);
/* End the TIME_WAITs due at @now. */
void tcp_tw_expire(struct bypass_tcp *tcp, uint64_t now);
/* When the oldest TIME_WAIT ends, UINT64_MAX if none. */
uint64_t tcp_tw_next(const struct bypass_tcp *tcp);
/* RFC 6191 / Linux: does a SYN end a TIME_WAIT with these numbers? */
bool tcp_tw_syn_newer(bool ts_ok, uint32_t ts_recent, uint64_t ts_recent_ns,
		      uint32_t rcv_nxt, const struct bypass_tcp_seg *s,
		      uint64_t now);
/* The ISN of a connection that follows a TIME_WAIT that sent up to @snd_nxt. */
static inline uint32_t tcp_tw_isn(uint32_t snd_nxt)
{
	uint32_t isn = snd_nxt + 65535 + 2;

	return isn ? isn : 1;
}

/* tcp_input.c */
/*
 * Header prediction straight from the wire: @b holds a segment from
 * @saddr to @daddr, its checksum checked, b->data at the TCP header.
 * When it is the in-order data or ACK the last connection found expects
 * (see fast_input), it is processed, the payload taken (or @b freed),
 * and true returned; else false, nothing changed, for
 * bypass_tcp_input() to take.
 */
bool tcp_input_wire(struct bypass_tcp *tcp, uint32_t saddr, uint32_t daddr,
		    struct bypass_buf *b);

/* tcp_ack.c */
/* @len in-order bytes were queued at @now: an ACK is owed. */
void tcp_ack_data(struct tcp_conn *c, uint32_t len, uint64_t now);
/* Decide, at the end of the receive batch, @c's ACK or window update. */
void tcp_ack_decide_later(struct tcp_conn *c);
/* The application sends at @now: a reply soon after data is interactive. */
void tcp_ack_reply(struct tcp_conn *c, uint64_t now);
/* The ACKs and window updates the batch made due go out. */
void tcp_ack_batch_end(struct bypass_tcp *tcp);

/* tcp.c */
bool tcp_window_update_worth(const struct tcp_conn *c, uint32_t adv);

/*
 * Whether the window the application's reads opened is worth a segment of
 * its own: at least doubled since the last advertisement, and by a segment
 * or more. Inline, as every read asks: the window never exceeds rcvbuf,
 * so above half of it (the common answer) it cannot double.
 */
static inline bool tcp_window_update_due(const struct tcp_conn *c)
{
	/* Signed: an edge behind rcv_nxt is none (rcvbuf / 2 < 2^31). */
	int32_t adv = (int32_t)(c->rcv_adv - c->rcv_nxt);

	if (adv > (int32_t)(c->tcp->cfg.rcvbuf / 2))
		return false;
	return tcp_window_update_worth(c, adv > 0 ? (uint32_t)adv : 0);
}
void tcp_set_state(struct tcp_conn *c, uint8_t state);
/* The connection is over: error @err (0: none), free it if unowned. */
void tcp_conn_done(struct tcp_conn *c, int err);
void tcp_enter_time_wait(struct tcp_conn *c);
void tcp_sndq_purge(struct tcp_conn *c);
void tcp_conn_init_seq(struct tcp_conn *c, uint64_t now);
void tcp_conn_set_iss(struct tcp_conn *c, uint32_t iss);

/* tcp_output.c: the send queue's buffer @old, at @seq of @c, is now @copy. */
void tcp_sndq_replace(struct tcp_conn *c, uint32_t seq, struct bypass_buf *old,
		      struct bypass_buf *copy);

#pragma GCC visibility pop

/*
 * tcp_output.c: tcp_output() right after the application queued data, at
 * @now (the time the caller's tcp_clock_hold() returned).
 */
__attribute__((visibility("hidden"))) void tcp_output_data(struct tcp_conn *c,
							     uint64_t now);

/*
 * tcpout15, tcp_stack.c: send the segment of @c at snd_nxt that is all of
 * @b (one queued buffer, at most tmpl.max_len bytes), with @flags (ACK
 * set), window field @win and TS value @ts, its header written from
 * c->tmpl into @b's headroom: for a connection whose tmpl_emit is set
 * (the host is the stack @ctx). Returns 1 when @b cannot carry the
 * headers (nothing done: build the segment as usual), else what the
 * output callback would (0, or -EAGAIN when the frame was lost).
 */
__attribute__((visibility("hidden")))
int tcp_stack_emit(void *ctx, struct tcp_conn *c, struct bypass_buf *b,
		   uint8_t flags, uint16_t win, uint32_t ts);

#endif /* BYPASS_TCP_INTERNAL_H */
