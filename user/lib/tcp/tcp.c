// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TCP engine's lifecycle and the application's calls: create and
 * destroy, listen/accept/connect, send/recv, shutdown/close/abort, and the
 * connection's end (errors, TIME_WAIT, freeing what nobody holds).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "tcp.h"

static const char *const state_names[] = {
	[BYPASS_TCP_CLOSED] = "CLOSED",
	[BYPASS_TCP_LISTEN] = "LISTEN",
	[BYPASS_TCP_SYN_SENT] = "SYN_SENT",
	[BYPASS_TCP_SYN_RECEIVED] = "SYN_RECEIVED",
	[BYPASS_TCP_ESTABLISHED] = "ESTABLISHED",
	[BYPASS_TCP_FIN_WAIT_1] = "FIN_WAIT_1",
	[BYPASS_TCP_FIN_WAIT_2] = "FIN_WAIT_2",
	[BYPASS_TCP_CLOSE_WAIT] = "CLOSE_WAIT",
	[BYPASS_TCP_CLOSING] = "CLOSING",
	[BYPASS_TCP_LAST_ACK] = "LAST_ACK",
	[BYPASS_TCP_TIME_WAIT] = "TIME_WAIT",
};

const char *bypass_tcp_state_name(enum bypass_tcp_state s)
{
	if ((unsigned int)s >= sizeof(state_names) / sizeof(state_names[0]))
		return "?";
	return state_names[s];
}

static void set_defaults(struct bypass_tcp_config *c)
{
	static const uint8_t zero[16];

	if (!c->max_conns)
		c->max_conns = 16384;
	if (c->max_conns > TCP_TABLE_MAX)
		c->max_conns = TCP_TABLE_MAX;
	if (!c->init_conns)
		c->init_conns = 64;
	if (c->init_conns > c->max_conns)
		c->init_conns = c->max_conns;
	if (!c->max_time_wait)
		c->max_time_wait = 262144;
	if (c->max_time_wait > TCP_TABLE_MAX)
		c->max_time_wait = TCP_TABLE_MAX;
	if (!c->mss)
		c->mss = 1460;
	if (!c->rcvbuf)
		c->rcvbuf = 256 * 1024;
	if (!c->sndq_bufs)
		c->sndq_bufs = 256;
	if (!c->ooo_bufs)
		c->ooo_bufs = 32;
	if (!c->rcv_bufs) {
		uint32_t n = 2 * (c->rcvbuf / c->mss);

		c->rcv_bufs = c->ooo_bufs + (n > 64 ? n : 64);
	}
	if (!c->rto_min_ns)
		c->rto_min_ns = 200000000;
	if (!c->rto_max_ns)
		c->rto_max_ns = 60000000000ull;
	if (!c->rto_init_ns)
		c->rto_init_ns = 1000000000;
	if (!c->delack_ns)
		c->delack_ns = 40000000;
	if (!c->msl_ns)
		c->msl_ns = 30000000000ull;
	if (!c->retries)
		c->retries = 15;
	if (!c->challenge_acks_per_s)
		c->challenge_acks_per_s = 2;
	if (!c->cc)
		c->cc = BYPASS_TCP_CC_NEWRENO;
	if (!memcmp(c->secret, zero, sizeof(zero)) &&
	    getrandom(c->secret, sizeof(c->secret), 0) != sizeof(c->secret))
		c->secret[0] = 1;	/* never reached on Linux >= 3.17 */
}

int bypass_tcp_create(const struct bypass_tcp_config *cfg,
		      const struct bypass_tcp_ops *ops, void *ctx,
		      struct bypass_tcp **out)
{
	struct bypass_tcp *tcp;

	if (!ops || !ops->now_ns || !ops->output)
		return -EINVAL;
	tcp = calloc(1, sizeof(*tcp));
	if (!tcp)
		return -ENOMEM;
	if (cfg)
		tcp->cfg = *cfg;
	set_defaults(&tcp->cfg);
	if (tcp->cfg.rcvbuf > (TCP_MAX_WIN << TCP_MAX_WSCALE) ||
	    tcp->cfg.mss < 64 || tcp->cfg.cc > BYPASS_TCP_CC_CUBIC ||
	    tcp->cfg.rcv_bufs <= tcp->cfg.ooo_bufs) {
		free(tcp);
		return -EINVAL;
	}
	tcp->ops = *ops;
	tcp->ctx = ctx;
	tcp->clk_ns = &tcp->own_ns;
	tcp->clk_held = &tcp->own_held;
	while ((tcp->cfg.rcvbuf >> tcp->rcv_wscale) > TCP_MAX_WIN)
		tcp->rcv_wscale++;
	if (tcp_table_init(tcp) || tcp_tw_init(tcp)) {
		bypass_tcp_destroy(tcp);
		return -ENOMEM;
	}
	tcp_wheel_init(&tcp->wheel, tcp_now(tcp));
	*out = tcp;
	return 0;
}

void bypass_tcp_destroy(struct bypass_tcp *tcp)
{
	if (!tcp)
		return;
	tcp_table_destroy(tcp);
	tcp_tw_destroy(tcp);
	free(tcp);
}

void bypass_tcp_get_stats(const struct bypass_tcp *tcp,
			  struct bypass_tcp_stats *out)
{
	*out = tcp->stats;
}

/* What the window field would say now, in bytes. */
static uint32_t window_now(const struct tcp_conn *c)
{
	uint32_t w = tcp_rcv_window(c);

	return w > TCP_MAX_WIN << c->rcv_wscale ? TCP_MAX_WIN << c->rcv_wscale : w;
}

/* tcp_window_update_due() for a window advertised of @adv bytes. */
bool tcp_window_update_worth(const struct tcp_conn *c, uint32_t adv)
{
	uint32_t now = window_now(c);

	return (c->state == BYPASS_TCP_ESTABLISHED ||
		c->state == BYPASS_TCP_FIN_WAIT_1 ||
		c->state == BYPASS_TCP_FIN_WAIT_2) &&
	       now >= 2 * adv && now - adv >= c->mss;
}

void bypass_tcp_poll(struct bypass_tcp *tcp)
{
	uint64_t now;

	tcp_clock_hold(tcp);
	now = tcp_now(tcp);
	/* The receive batch is over: its ACKs, and window updates. */
	tcp_ack_batch_end(tcp);
	tcp_wheel_run(&tcp->wheel, now);
	tcp_tw_expire(tcp, now);
	tcp_clock_release(tcp);
}

uint64_t bypass_tcp_next_timer(struct bypass_tcp *tcp)
{
	uint64_t next = tcp_wheel_next(&tcp->wheel), now = tcp_now(tcp);
	uint64_t tw = tcp_tw_next(tcp);

	if (tw < next)
		next = tw;

	/* ACKs and window updates to decide at the next poll. */
	if (tcp->upd)
		return 0;
	if (next == UINT64_MAX)
		return UINT64_MAX;
	return next > now ? next - now : 0;
}

void tcp_set_state(struct tcp_conn *c, uint8_t state)
{
	c->state = state;
}

void tcp_sndq_purge(struct tcp_conn *c)
{
	uint32_t mask = c->tcp->sndq_mask;

	while (c->sndq_len) {
		bypass_buf_put(c->sndq[c->sndq_head].buf);
		c->sndq_head = (c->sndq_head + 1) & mask;
		c->sndq_len--;
	}
}

static void listener_drop_child(struct tcp_conn *c)
{
	if (c->listener && !c->accepted) {
		c->listener->pending--;
		c->listener = NULL;
	}
}

void tcp_conn_done(struct tcp_conn *c, int err)
{
	bool was_open = c->state != BYPASS_TCP_CLOSED;

	if (err)
		c->error = err;
	tcp_set_state(c, BYPASS_TCP_CLOSED);
	tcp_conn_stop(c);
	/* One waiting in an accept queue is freed by accept (and not counted). */
	if (c->listener && !c->accepted && c->qnext_valid) {
		c->listener->queued_closed += was_open;
		return;
	}
	listener_drop_child(c);
	if (!c->app_owned)
		tcp_conn_free(c);
	else
		tcp_notify(c);
}

/*
 * TIME_WAIT: a connection the application closed goes on as a small
 * record (tcp_timewait.c) and is freed; one it still holds stays whole
 * until it is closed.
 */
void tcp_enter_time_wait(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;

	tcp_set_state(c, BYPASS_TCP_TIME_WAIT);
	if (!c->app_owned) {
		tcp_tw_enter(c);
		tcp_conn_done(c, 0);
		return;
	}
	tcp_timer_cancel(&tcp->wheel, &c->rtx_timer);
	tcp_timer_cancel(&tcp->wheel, &c->delack_timer);
	tcp_sndq_purge(c);
	tcp_timer_arm(&tcp->wheel, &c->tw_timer,
		      tcp_now(tcp) + 2 * tcp->cfg.msl_ns);
}

int bypass_tcp_listen(struct bypass_tcp *tcp, uint32_t addr, uint16_t port,
		      uint32_t backlog, struct bypass_tcp_conn **out)
{
	struct tcp_conn *c, *l = tcp_lookup_listener(tcp, addr, port);

	if (!port || !backlog)
		return -EINVAL;
	if (l && l->laddr == addr)
		return -EADDRINUSE;
	c = tcp_conn_alloc(tcp);
	if (!c)
		return -ENOBUFS;
	c->laddr = addr;
	c->lport = port;
	c->backlog = backlog;
	c->app_owned = true;
	c->accepted = true;
	tcp_set_state(c, BYPASS_TCP_LISTEN);
	tcp_hash_insert(tcp, c);
	*out = (struct bypass_tcp_conn *)c;
	return 0;
}

struct bypass_tcp_conn *bypass_tcp_accept(struct bypass_tcp_conn *lc)
{
	struct tcp_conn *l = (struct tcp_conn *)lc, *c;

	while ((c = l->acceptq_head)) {
		l->acceptq_head = c->qnext;
		if (!l->acceptq_head)
			l->acceptq_tail = NULL;
		c->qnext = NULL;
		c->qnext_valid = false;
		l->pending--;
		l->queued--;
		c->listener = NULL;
		c->accepted = true;
		if (c->state == BYPASS_TCP_CLOSED) {
			l->queued_closed--;
			tcp_conn_free(c);	/* reset before it was taken */
			continue;
		}
		c->app_owned = true;
		return (struct bypass_tcp_conn *)c;
	}
	return NULL;
}

/* Our initial sequence number is @iss: the SYN is yet to be sent. */
void tcp_conn_set_iss(struct tcp_conn *c, uint32_t iss)
{
	c->iss = iss;
	c->snd_una = iss;
	c->snd_nxt = iss + 1;
	c->snd_max = c->snd_nxt;
	c->snd_end = c->snd_nxt;
	c->recover = iss;
	c->rtt_seq = iss;
	c->snd_sml = iss;	/* no short segment sent yet (Minshall) */
}

/* The state and numbers every new connection starts from. */
void tcp_conn_init_seq(struct tcp_conn *c, uint64_t now)
{
	struct bypass_tcp *tcp = c->tcp;

	tcp_conn_set_iss(c, tcp_isn(tcp, c->laddr, c->lport, c->raddr,
				    c->rport, now));
	c->ts_offset = tcp_ts_offset(tcp, c->laddr, c->lport, c->raddr,
				     c->rport);
	c->ts_echo_min = tcp_ts_now(c, now);
	c->rto_ns = tcp->cfg.rto_init_ns;
	c->mss = TCP_MSS_DEFAULT;
	c->rtt_timing = true;
	c->rtt_start_ns = now;
}

int bypass_tcp_connect(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport,
		       struct bypass_tcp_conn **out)
{
	struct tcp_conn *c;
	struct tcp_tw *tw;
	uint32_t iss = 0;
	uint64_t now = tcp_now(tcp);

	if (!lport || !rport || !raddr)
		return -EINVAL;
	if (tcp_lookup(tcp, laddr, lport, raddr, rport))
		return -EADDRINUSE;
	tw = tcp_tw_lookup(tcp, laddr, lport, raddr, rport);
	if (tw && (!tw->ts_ok || now - tw->ts_recent_ns < 1000000000))
		return -EADDRINUSE;
	c = tcp_conn_alloc(tcp);
	if (!c)
		return -ENOBUFS;
	if (tw) {
		iss = tcp_tw_isn(tw->snd_nxt);
		tcp_tw_free(tcp, tw);
		tcp->stats.tw_reused++;
	}
	c->laddr = laddr;
	c->lport = lport;
	c->raddr = raddr;
	c->rport = rport;
	c->app_owned = true;
	c->accepted = true;
	c->rcv_wscale = tcp->rcv_wscale;
	tcp_conn_init_seq(c, now);
	if (iss)
		tcp_conn_set_iss(c, iss);
	tcp_cc_init(c);
	tcp_set_state(c, BYPASS_TCP_SYN_SENT);
	tcp_hash_insert(tcp, c);
	tcp_send_ctl(c, BYPASS_TCP_SYN, c->iss);
	tcp_arm_rtx(c);
	*out = (struct bypass_tcp_conn *)c;
	return 0;
}

/* The states that queue data (before the FIN): one test of a mask. */
#define TCP_QUEUE_STATES	(1u << BYPASS_TCP_SYN_SENT | 1u << BYPASS_TCP_SYN_RECEIVED | \
				 1u << BYPASS_TCP_ESTABLISHED | 1u << BYPASS_TCP_CLOSE_WAIT)

/* Whether @c may queue data now: 0, or the error of bypass_tcp_send. */
static int send_allowed(const struct tcp_conn *c)
{
	if (__builtin_expect((TCP_QUEUE_STATES >> c->state) & 1, 1))
		return c->fin_queued ? -EPIPE : 0;
	if (c->state == BYPASS_TCP_CLOSED || c->state == BYPASS_TCP_LISTEN)
		return -ENOTCONN;
	return -EPIPE;
}

/* Append @b to the send queue: 0, or -EINVAL / -ENOBUFS (@b not taken). */
static int sndq_add(struct tcp_conn *c, struct bypass_buf *b)
{
	struct tcp_chunk *k;

	if (!b->len)
		return -EINVAL;
	if (c->sndq_len == c->tcp->cfg.sndq_bufs)
		return -ENOBUFS;
	k = &c->sndq[(c->sndq_head + c->sndq_len) & c->tcp->sndq_mask];
	k->seq = c->snd_end;
	k->buf = b;
	c->sndq_len++;
	c->snd_end += b->len;
	return 0;
}

/* What was queued goes out: one pass of the output, one clock read. */
static void send_queued(struct tcp_conn *c)
{
	struct bypass_tcp *tcp = c->tcp;
	uint64_t now = tcp_clock_hold(tcp);

	tcp_ack_reply(c, now);
	tcp_output_data(c, now);
	tcp_clock_release(tcp);
}

int bypass_tcp_send(struct bypass_tcp_conn *cc, struct bypass_buf *b)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;
	int r = send_allowed(c);

	if (!r)
		r = sndq_add(c, b);
	if (r) {
		bypass_buf_put(b);
		return r;
	}
	send_queued(c);
	return 0;
}

int bypass_tcp_sendv(struct bypass_tcp_conn *cc, struct bypass_buf *const *bufs,
		     uint32_t n)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;
	int r = send_allowed(c);
	uint32_t i;

	if (r)
		return r;
	for (i = 0; i < n; i++) {
		r = sndq_add(c, bufs[i]);
		if (r)
			break;
	}
	if (!i)
		return n ? r : 0;
	send_queued(c);
	return (int)i;
}

struct bypass_buf *bypass_tcp_recv(struct bypass_tcp_conn *cc)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;
	struct bypass_buf *b = c->rcvq_head;

	if (!b)
		return NULL;
	c->rcvq_head = b->next;
	if (!c->rcvq_head)
		c->rcvq_tail = NULL;
	if (c->rcvq_packed == b)
		c->rcvq_packed = NULL;
	b->next = NULL;
	c->rcvq_bytes -= b->len;
	c->rcvq_nbufs--;
	/*
	 * Only a read that makes an update due queues one: the next poll
	 * sends it, and until then the engine has work now (next timer 0),
	 * which a read that changes nothing must not claim.
	 */
	if (!c->upd_pprev && tcp_window_update_due(c))
		tcp_ack_decide_later(c);
	return b;
}

uint32_t bypass_tcp_acceptable(const struct bypass_tcp_conn *lc)
{
	const struct tcp_conn *l = (const struct tcp_conn *)lc;

	if (l->state != BYPASS_TCP_LISTEN)
		return 0;
	/* Those reset while they waited are not handed out. */
	return l->queued - l->queued_closed;
}

uint32_t bypass_tcp_unacked(const struct bypass_tcp_conn *cc)
{
	const struct tcp_conn *c = (const struct tcp_conn *)cc;

	return c->sndq_len ? c->snd_end - c->snd_una : 0;
}

void bypass_tcp_peer(const struct bypass_tcp_conn *cc, uint32_t *addr,
		     uint16_t *port)
{
	const struct tcp_conn *c = (const struct tcp_conn *)cc;

	if (addr)
		*addr = c->raddr;
	if (port)
		*port = c->rport;
}

void bypass_tcp_local(const struct bypass_tcp_conn *cc, uint32_t *addr,
		      uint16_t *port)
{
	const struct tcp_conn *c = (const struct tcp_conn *)cc;

	if (addr)
		*addr = c->laddr;
	if (port)
		*port = c->lport;
}

void bypass_tcp_set_user(struct bypass_tcp_conn *cc, void *user)
{
	((struct tcp_conn *)cc)->user = user;
}

void *bypass_tcp_user(const struct bypass_tcp_conn *cc)
{
	return ((const struct tcp_conn *)cc)->user;
}

uint32_t bypass_tcp_readable(const struct bypass_tcp_conn *cc)
{
	return ((const struct tcp_conn *)cc)->rcvq_bytes;
}

uint32_t bypass_tcp_send_room(const struct bypass_tcp_conn *cc)
{
	const struct tcp_conn *c = (const struct tcp_conn *)cc;

	if (!c->tcp || c->fin_queued)
		return 0;
	return c->tcp->cfg.sndq_bufs - c->sndq_len;
}

bool bypass_tcp_eof(const struct bypass_tcp_conn *cc)
{
	const struct tcp_conn *c = (const struct tcp_conn *)cc;

	return c->fin_rcvd && !c->rcvq_head;
}

int bypass_tcp_set_cc(struct bypass_tcp_conn *cc, enum bypass_tcp_cc algo)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;

	if (algo != BYPASS_TCP_CC_NEWRENO && algo != BYPASS_TCP_CC_CUBIC)
		return -EINVAL;
	if (c->cc != algo)
		memset(&c->cubic, 0, sizeof(c->cubic));
	c->cc = (uint8_t)algo;
	return 0;
}

void bypass_tcp_set_nodelay(struct bypass_tcp_conn *cc, bool on)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;

	c->nodelay = on;
	if (on)
		tcp_output(c);
}

int bypass_tcp_set_keepalive(struct bypass_tcp_conn *cc, uint64_t idle_ns,
			     uint64_t intvl_ns, uint32_t count)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;
	struct bypass_tcp *tcp = c->tcp;

	if (idle_ns && (!intvl_ns || !count))
		return -EINVAL;
	c->ka_idle_ns = idle_ns;
	c->ka_intvl_ns = intvl_ns;
	c->ka_count = count;
	c->ka_probes = 0;
	if (!idle_ns) {
		tcp_timer_cancel(&tcp->wheel, &c->ka_timer);
		return 0;
	}
	if (!c->last_rcv_ns)
		c->last_rcv_ns = tcp_now(tcp);
	tcp_timer_arm(&tcp->wheel, &c->ka_timer, c->last_rcv_ns + idle_ns);
	return 0;
}

/* Queue our FIN; false if the state has none to send. */
static bool queue_fin(struct tcp_conn *c)
{
	switch (c->state) {
	case BYPASS_TCP_SYN_RECEIVED:
	case BYPASS_TCP_ESTABLISHED:
		tcp_set_state(c, BYPASS_TCP_FIN_WAIT_1);
		break;
	case BYPASS_TCP_CLOSE_WAIT:
		tcp_set_state(c, BYPASS_TCP_LAST_ACK);
		break;
	default:
		return false;
	}
	c->fin_queued = true;
	tcp_output(c);
	return true;
}

int bypass_tcp_shutdown(struct bypass_tcp_conn *cc)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;

	if (c->fin_queued)
		return 0;
	if (c->state == BYPASS_TCP_SYN_RECEIVED ||
	    c->state == BYPASS_TCP_SYN_SENT)
		return -ENOTCONN;
	return queue_fin(c) ? 0 : -ENOTCONN;
}

/* A pending connection of the listener @arg is reset and freed. */
static void reset_child(struct tcp_conn *c, void *arg)
{
	if (c->listener != arg || c->accepted)
		return;
	if (c->state != BYPASS_TCP_CLOSED)
		tcp_send_ctl(c, BYPASS_TCP_RST | BYPASS_TCP_ACK, c->snd_max);
	tcp_conn_free(c);
}

static void listener_close(struct tcp_conn *l)
{
	tcp_for_each_conn(l->tcp, reset_child, l);
	tcp_conn_free(l);
}

void bypass_tcp_close(struct bypass_tcp_conn *cc)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;

	if (!c)
		return;
	c->app_owned = false;
	switch (c->state) {
	case BYPASS_TCP_LISTEN:
		listener_close(c);
		return;
	case BYPASS_TCP_CLOSED:
		tcp_conn_free(c);
		return;
	case BYPASS_TCP_SYN_SENT:
		tcp_conn_done(c, 0);
		return;
	default:
		break;
	}
	/*
	 * Both sides are done: nothing to tell the peer, even of unread data
	 * (Linux's socket is closed by then); the 4-tuple stays in TIME_WAIT.
	 */
	if (c->state == BYPASS_TCP_TIME_WAIT) {
		tcp_enter_time_wait(c);
		return;
	}
	/* Unread data: the peer must learn it was lost (RFC 2525 2.17). */
	if (c->rcvq_head) {
		bypass_tcp_abort(cc);
		return;
	}
	if (!c->fin_queued)
		queue_fin(c);
	if (c->state == BYPASS_TCP_FIN_WAIT_2)
		tcp_timer_arm(&c->tcp->wheel, &c->tw_timer,
			      tcp_now(c->tcp) + 2 * c->tcp->cfg.msl_ns);
}

void bypass_tcp_abort(struct bypass_tcp_conn *cc)
{
	struct tcp_conn *c = (struct tcp_conn *)cc;

	if (c->state == BYPASS_TCP_LISTEN) {
		listener_close(c);
		return;
	}
	if (c->state != BYPASS_TCP_CLOSED && c->state != BYPASS_TCP_SYN_SENT &&
	    c->state != BYPASS_TCP_TIME_WAIT)
		tcp_send_ctl(c, BYPASS_TCP_RST | BYPASS_TCP_ACK, c->snd_max);
	c->app_owned = false;
	tcp_conn_done(c, 0);
}

enum bypass_tcp_state bypass_tcp_state(const struct bypass_tcp_conn *cc)
{
	return (enum bypass_tcp_state)((const struct tcp_conn *)cc)->state;
}

int bypass_tcp_error(const struct bypass_tcp_conn *cc)
{
	return ((const struct tcp_conn *)cc)->error;
}
