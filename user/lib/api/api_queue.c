// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The native application API: queue descriptors, zero-copy push and pop
 * of scatter-gather arrays, accept and connect as operations with tokens,
 * and waiting for one token or any of several.
 *
 * Operations wait in a FIFO on their socket. A socket is looked at again
 * only when the stack reported news for it (api_mark), so completing
 * operations costs nothing per idle connection.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>

#include "api.h"
#include "bypass_socket.h"

/* ---- scatter-gather arrays ----------------------------------------------- */

uint32_t bypass_sga_len(const struct bypass_sga *sga)
{
	uint32_t i, n = 0;

	for (i = 0; i < sga->nr_segs && i < BYPASS_SGA_MAX; i++)
		n += sga->segs[i]->len;
	return n;
}

void bypass_sga_free(struct bypass_sga *sga)
{
	uint32_t i;

	for (i = 0; i < sga->nr_segs && i < BYPASS_SGA_MAX; i++)
		bypass_buf_put(sga->segs[i]);
	sga->nr_segs = 0;
}

int bypass_sga_alloc(struct bypass_ctx *ctx, uint32_t len, struct bypass_sga *sga)
{
	memset(sga, 0, sizeof(*sga));
	if (!len)
		return -EINVAL;
	while (len) {
		struct bypass_buf *b;
		uint32_t room;

		if (sga->nr_segs == BYPASS_SGA_MAX) {
			bypass_sga_free(sga);
			return -EINVAL;
		}
		b = bypass_buf_alloc(ctx->pool);
		if (!b) {
			bypass_sga_free(sga);
			return -ENOBUFS;
		}
		room = bypass_buf_tailroom(b);
		b->len = len < room ? len : room;
		len -= b->len;
		sga->segs[sga->nr_segs++] = b;
	}
	return 0;
}

/* ---- tokens -------------------------------------------------------------- */

static bypass_qtoken_t op_token(struct bypass_ctx *ctx, struct api_op *op)
{
	return (uint64_t)op->gen << 32 | (uint64_t)(op - ctx->ops + 1);
}

static struct api_op *op_of(struct bypass_ctx *ctx, bypass_qtoken_t qt)
{
	uint64_t i = (uint32_t)qt;
	struct api_op *op;

	if (!i || i > ctx->nr_ops)
		return NULL;
	op = &ctx->ops[i - 1];
	if (!op->busy || op->gen != (uint32_t)(qt >> 32))
		return NULL;
	return op;
}

/* Receiving and sending progress independently of each other. */
static struct api_fifo *op_fifo(struct api_sock *s, enum bypass_opcode code)
{
	return code == BYPASS_OP_POP || code == BYPASS_OP_ACCEPT ?
	       &s->rxops : &s->txops;
}

static struct api_op *op_new(struct bypass_ctx *ctx, struct api_sock *s,
			     enum bypass_opcode code)
{
	struct api_op *op = ctx->op_free;
	struct api_fifo *q;

	if (!op)
		return NULL;
	ctx->op_free = op->next;
	/* The result's fields, not its array of buffers (nr_segs bounds it). */
	op->res.opcode = code;
	op->res.qd = api_fd(ctx, s);
	op->res.err = 0;
	op->res.sga.nr_segs = 0;
	op->res.sga.addr = 0;
	op->res.sga.port = 0;
	op->res.new_qd = -1;
	op->res.addr = 0;
	op->res.port = 0;
	op->busy = true;
	op->done = false;
	op->push.nr_segs = 0;
	op->push_next = 0;
	op->next = NULL;
	q = op_fifo(s, code);
	if (q->tail)
		q->tail->next = op;
	else
		q->head = op;
	q->tail = op;
	return op;
}

static void op_free(struct bypass_ctx *ctx, struct api_op *op)
{
	op->busy = false;
	op->gen++;
	op->next = ctx->op_free;
	ctx->op_free = op;
}

/* @op, the head of its FIFO on @s, is finished. */
static void op_complete(struct bypass_ctx *ctx, struct api_sock *s,
			struct api_op *op, int err)
{
	struct api_fifo *q = op_fifo(s, op->res.opcode);

	q->head = op->next;
	if (!q->head)
		q->tail = NULL;
	op->next = NULL;
	op->res.err = err;
	op->done = true;
	ctx->completed++;
	op->done_next = ctx->done;
	if (ctx->done)
		ctx->done->done_pprev = &op->done_next;
	op->done_pprev = &ctx->done;
	ctx->done = op;
}

/* ---- making operations progress ----------------------------------------- */

/* What a push on a dead connection fails with: its error once, then EPIPE. */
static int conn_err(struct api_sock *s)
{
	int e = api_err_take(s);

	return e ? e : EPIPE;
}

/* Wrap an accepted connection in a new descriptor (or refuse it). */
int api_take_accepted(struct bypass_ctx *ctx, struct api_sock *l,
			 struct bypass_tcp_conn *c)
{
	int fd = api_sock_alloc(ctx, SK_TCP);
	struct api_sock *s;

	if (fd < 0) {
		bypass_tcp_abort(c);
		return fd;
	}
	s = &ctx->socks[fd];
	s->phase = TP_CONNECTED;
	s->conn = c;
	s->laddr = ctx->addr;
	s->lport = l->lport;
	s->reuseaddr = l->reuseaddr;
	s->nodelay = l->nodelay;
	s->keepalive = l->keepalive;
	s->ka_idle_s = l->ka_idle_s;
	s->ka_intvl_s = l->ka_intvl_s;
	s->ka_cnt = l->ka_cnt;
	s->cc = l->cc;
	s->sndbuf = l->sndbuf;
	bypass_tcp_peer(c, &s->raddr, &s->rport);
	bypass_tcp_set_user(c, s);
	api_apply_opts(s);
	api_port_hold(ctx, s);
	return fd;
}

/*
 * A push: all its buffers still to queue go to the engine in one
 * bypass_tcp_sendv() call (as many as the send queue takes), so they are
 * cut into segments together. True when it finished.
 */
static bool push_step(struct bypass_ctx *ctx, struct api_sock *s,
		      struct api_op *op)
{
	uint32_t room, left;
	int r;

	while (op->push_next < op->push.nr_segs) {
		if (bypass_tcp_error(s->conn)) {
			r = -conn_err(s);
		} else if (s->wr_shut) {
			r = -EPIPE;	/* shut down while it waited */
		} else {
			room = bypass_tcp_send_room(s->conn);
			if (!room)
				return false;
			left = op->push.nr_segs - op->push_next;
			r = bypass_tcp_sendv(s->conn, &op->push.segs[op->push_next],
					     left < room ? left : room);
			if (r > 0) {
				op->push_next += (uint32_t)r;
				continue;
			}
			if (!r)
				r = -ENOBUFS;
		}
		while (op->push_next < op->push.nr_segs)
			bypass_buf_put(op->push.segs[op->push_next++]);
		op_complete(ctx, s, op, -r);
		return true;
	}
	op_complete(ctx, s, op, 0);
	return true;
}

/* A pop on a TCP socket: what was received, up to BYPASS_SGA_MAX buffers. */
static bool tcp_pop_step(struct bypass_ctx *ctx, struct api_sock *s,
			 struct api_op *op)
{
	struct bypass_buf *b;

	if (s->rd_shut) {		/* shut for reading: the end */
		api_rx_discard(s);
		op_complete(ctx, s, op, 0);
		return true;
	}
	if (s->rx_cur) {
		op->res.sga.segs[op->res.sga.nr_segs++] = s->rx_cur;
		s->rx_cur = NULL;
	}
	while (op->res.sga.nr_segs < BYPASS_SGA_MAX &&
	       (b = bypass_tcp_recv(s->conn)))
		op->res.sga.segs[op->res.sga.nr_segs++] = b;
	if (op->res.sga.nr_segs || bypass_tcp_eof(s->conn)) {
		op_complete(ctx, s, op, 0);
		return true;
	}
	/* Dead: its error once, then the end of the stream. */
	if (bypass_tcp_error(s->conn)) {
		op_complete(ctx, s, op, api_err_take(s));
		return true;
	}
	return false;
}

/* Try the operation at the head of @s's FIFO; true when it finished. */
static bool op_step(struct bypass_ctx *ctx, struct api_sock *s, struct api_op *op)
{
	struct bypass_tcp_conn *c;
	struct bypass_buf *b;
	int fd;

	switch (op->res.opcode) {
	case BYPASS_OP_ACCEPT:
		if (s->phase != TP_LISTEN) {
			op_complete(ctx, s, op, EINVAL);
			return true;
		}
		c = bypass_tcp_accept(s->conn);
		if (!c)
			return false;
		fd = api_take_accepted(ctx, s, c);
		if (fd < 0) {
			op_complete(ctx, s, op, -fd);
			return true;
		}
		op->res.new_qd = fd;
		op->res.addr = ctx->socks[fd].raddr;
		op->res.port = ctx->socks[fd].rport;
		op_complete(ctx, s, op, 0);
		return true;
	case BYPASS_OP_CONNECT:
		if (bypass_tcp_error(s->conn)) {
			s->phase = TP_CONNECTED;	/* a dead one */
			op_complete(ctx, s, op, bypass_tcp_error(s->conn));
			api_err_take(s);	/* reported here */
			return true;
		}
		if (bypass_tcp_state(s->conn) == BYPASS_TCP_SYN_SENT ||
		    bypass_tcp_state(s->conn) == BYPASS_TCP_SYN_RECEIVED)
			return false;
		s->phase = TP_CONNECTED;
		op_complete(ctx, s, op, 0);
		return true;
	case BYPASS_OP_POP:
		if (s->kind == SK_UDP) {
			b = api_udp_take(s, &op->res.sga.addr, &op->res.sga.port);
			if (!b)
				return false;
			op->res.sga.segs[0] = b;
			op->res.sga.nr_segs = 1;
			op_complete(ctx, s, op, 0);
			return true;
		}
		return tcp_pop_step(ctx, s, op);
	case BYPASS_OP_PUSH:
		return push_step(ctx, s, op);
	}
	return false;
}

void api_run_ops(struct bypass_ctx *ctx, struct api_sock *s)
{
	struct api_op *op;

	/* Shut for reading: what arrives is read and dropped at once. */
	if (s->rd_shut)
		api_rx_discard(s);
	/* Pushes and TCP pops, the operations of the traffic, directly. */
	while ((op = s->txops.head) &&
	       (op->res.opcode == BYPASS_OP_PUSH ? push_step(ctx, s, op) :
						   op_step(ctx, s, op)))
		;
	while ((op = s->rxops.head) &&
	       (op->res.opcode == BYPASS_OP_POP && s->kind == SK_TCP ?
		tcp_pop_step(ctx, s, op) : op_step(ctx, s, op)))
		;
}

/* Drop what arrived on a socket shut for reading. */
void api_rx_discard(struct api_sock *s)
{
	struct bypass_buf *b;

	if (s->rx_cur) {
		bypass_buf_put(s->rx_cur);
		s->rx_cur = NULL;
	}
	while (s->conn && (b = bypass_tcp_recv(s->conn)))
		bypass_buf_put(b);
}

/* Fail every operation of @s with ECANCELED (their tokens stay to wait on). */
void api_cancel_ops(struct bypass_ctx *ctx, struct api_sock *s)
{
	struct api_op *op;

	while ((op = s->txops.head) || (op = s->rxops.head)) {
		while (op->push_next < op->push.nr_segs)
			bypass_buf_put(op->push.segs[op->push_next++]);
		op_complete(ctx, s, op, ECANCELED);
	}
}

/* ---- descriptors ----------------------------------------------------------- */

/* The socket behind @qd; NULL (EBADF) for a readiness set or nothing. */
static struct api_sock *qsock(struct bypass_ctx *ctx, int qd)
{
	struct api_sock *s = api_sock(ctx, qd);

	return s && s->kind != SK_EPOLL ? s : NULL;
}

int bypass_qsocket(struct bypass_ctx *ctx, int type)
{
	if (!ctx)
		return -EINVAL;
	if (type == SOCK_STREAM)
		return api_sock_alloc(ctx, SK_TCP);
	if (type == SOCK_DGRAM)
		return api_sock_alloc(ctx, SK_UDP);
	return -EINVAL;
}

struct bypass_buf *api_udp_take(struct api_sock *s, uint32_t *addr,
				uint16_t *port)
{
	struct bypass_buf *b = s->rx_cur;

	if (!b)
		return s->udp ? bypass_udp_recv(s->udp, addr, port) : NULL;
	s->rx_cur = NULL;
	*addr = s->peek_addr;
	*port = s->peek_port;
	return b;
}

int bypass_qbind(struct bypass_ctx *ctx, int qd, uint32_t addr, uint16_t port)
{
	struct api_sock *s = qsock(ctx, qd);
	int r;

	if (!s)
		return -EBADF;
	if (s->lport || !port || (s->kind == SK_TCP && s->phase != TP_NEW))
		return -EINVAL;
	if (addr && addr != ctx->addr)
		return -EADDRNOTAVAIL;
	if (s->kind == SK_TCP && api_port_conflict(ctx, s, port))
		return -EADDRINUSE;
	if (s->kind == SK_UDP) {
		r = bypass_udp_open(ctx->st, port, &s->udp);
		if (r)
			return r;
		bypass_udp_set_user(s->udp, s);
	}
	s->laddr = ctx->addr;
	s->lport = port;
	api_port_hold(ctx, s);
	return 0;
}

int bypass_qlisten(struct bypass_ctx *ctx, int qd, uint32_t backlog)
{
	struct api_sock *s = qsock(ctx, qd);
	int r;

	if (!s)
		return -EBADF;
	if (s->kind != SK_TCP)
		return -EOPNOTSUPP;
	if (s->phase == TP_LISTEN)
		return 0;
	if (s->phase != TP_NEW)
		return -EINVAL;
	if (!s->lport)
		return -EDESTADDRREQ;
	r = bypass_stack_tcp_listen(ctx->st, s->lport, backlog, &s->conn);
	if (r)
		return r;
	api_port_drop(ctx, s);
	s->phase = TP_LISTEN;
	api_port_hold(ctx, s);
	s->backlog = backlog;
	bypass_tcp_set_user(s->conn, s);
	return 0;
}

static int start(struct bypass_ctx *ctx, struct api_sock *s,
		 enum bypass_opcode code, bypass_qtoken_t *qt, struct api_op **opp)
{
	struct api_op *op;

	if (!qt)
		return -EINVAL;
	op = op_new(ctx, s, code);
	if (!op)
		return -ENOBUFS;
	*qt = op_token(ctx, op);
	op->slot = qt;
	if (opp)
		*opp = op;
	return 0;
}

int bypass_qaccept(struct bypass_ctx *ctx, int qd, bypass_qtoken_t *qt)
{
	struct api_sock *s = qsock(ctx, qd);
	int r;

	if (!s)
		return -EBADF;
	if (s->kind != SK_TCP || s->phase != TP_LISTEN)
		return -EINVAL;
	r = start(ctx, s, BYPASS_OP_ACCEPT, qt, NULL);
	if (!r)
		api_run_ops(ctx, s);
	api_done(ctx);
	return r;
}

/* Active open from the bound port, or an ephemeral one. */
int api_tcp_connect(struct bypass_ctx *ctx, struct api_sock *s, uint32_t addr,
		    uint16_t port)
{
	int r;

	if (s->phase == TP_CONNECTING)
		return -EALREADY;
	if (s->phase != TP_NEW)
		return -EISCONN;
	if (!addr || !port)
		return -EINVAL;
	if (s->lport)
		r = bypass_tcp_connect(bypass_stack_tcp(ctx->st), ctx->addr,
				       s->lport, addr, port, &s->conn);
	else
		r = bypass_stack_tcp_connect(ctx->st, addr, port, &s->conn);
	if (r)
		return r;
	s->phase = TP_CONNECTING;
	s->laddr = ctx->addr;
	bypass_tcp_peer(s->conn, &s->raddr, &s->rport);
	api_port_drop(ctx, s);		/* bound, or an ephemeral port now */
	bypass_tcp_local(s->conn, NULL, &s->lport);
	api_port_hold(ctx, s);
	bypass_tcp_set_user(s->conn, s);
	api_apply_opts(s);
	return 0;
}

int bypass_qconnect(struct bypass_ctx *ctx, int qd, uint32_t addr,
		    uint16_t port, bypass_qtoken_t *qt)
{
	struct api_sock *s = qsock(ctx, qd);
	int r;

	if (!s)
		return -EBADF;
	if (s->kind != SK_TCP)
		return -EOPNOTSUPP;
	if (!qt)
		return -EINVAL;
	if (!ctx->op_free)
		return -ENOBUFS;
	r = api_tcp_connect(ctx, s, addr, port);
	if (!r)
		r = start(ctx, s, BYPASS_OP_CONNECT, qt, NULL);
	if (!r)
		api_run_ops(ctx, s);
	api_done(ctx);
	return r;
}

static int sga_check(const struct bypass_sga *sga)
{
	uint32_t i;

	if (!sga || !sga->nr_segs || sga->nr_segs > BYPASS_SGA_MAX)
		return -EINVAL;
	for (i = 0; i < sga->nr_segs; i++)
		if (!sga->segs[i] || !sga->segs[i]->len)
			return -EINVAL;
	return 0;
}

/* The library owns @sga's buffers from the call, whatever its outcome. */
static void sga_drop(struct bypass_sga *sga)
{
	if (sga && sga->nr_segs <= BYPASS_SGA_MAX) {
		uint32_t i;

		for (i = 0; i < sga->nr_segs; i++)
			if (sga->segs[i])
				bypass_buf_put(sga->segs[i]);
		sga->nr_segs = 0;
	}
}

int bypass_qpush(struct bypass_ctx *ctx, int qd, struct bypass_sga *sga,
		 bypass_qtoken_t *qt)
{
	struct api_sock *s = qsock(ctx, qd);
	struct api_op *op;
	int r;

	if (!s)
		r = -EBADF;
	else if (s->kind == SK_UDP)
		r = -EDESTADDRREQ;
	else if (!qt || sga_check(sga))
		r = -EINVAL;
	else if (s->phase != TP_CONNECTED && s->phase != TP_CONNECTING)
		r = -ENOTCONN;
	else if (s->wr_shut)
		r = -EPIPE;
	else
		r = start(ctx, s, BYPASS_OP_PUSH, qt, &op);
	if (r) {
		sga_drop(sga);
		return r;
	}
	op->push = *sga;
	sga->nr_segs = 0;
	api_run_ops(ctx, s);
	api_done(ctx);
	return 0;
}

int api_udp_ensure_bound(struct bypass_ctx *ctx, struct api_sock *s)
{
	uint16_t lo, nr;
	uint32_t i;
	int r;

	if (s->udp)
		return 0;
	/* An ephemeral port of the stack's range (a group's are disjoint):
	 * the first free one from a rotating start. */
	bypass_stack_ports(ctx->st, &lo, &nr);
	for (i = 0; i < nr; i++) {
		uint16_t port = (uint16_t)(lo + (ctx->completed + i * 7919) % nr);

		r = bypass_udp_open(ctx->st, port, &s->udp);
		if (r == -EADDRINUSE)
			continue;
		if (r)
			return r;
		bypass_udp_set_user(s->udp, s);
		s->laddr = ctx->addr;
		s->lport = port;
		return 0;
	}
	return -EADDRNOTAVAIL;
}

int bypass_qpushto(struct bypass_ctx *ctx, int qd, struct bypass_sga *sga,
		   bypass_qtoken_t *qt)
{
	struct api_sock *s = qsock(ctx, qd);
	struct api_op *op;
	int r;

	if (!s)
		r = -EBADF;
	else if (s->kind != SK_UDP)
		r = -EOPNOTSUPP;
	else if (!qt || sga_check(sga) || sga->nr_segs != 1 || !sga->port)
		r = -EINVAL;
	else if (!ctx->op_free)
		r = -ENOBUFS;
	else
		r = api_udp_ensure_bound(ctx, s);
	if (r) {
		sga_drop(sga);
		return r;
	}
	r = bypass_udp_sendto(s->udp, sga->segs[0], sga->addr, sga->port);
	sga->nr_segs = 0;
	if (r)
		return r;
	start(ctx, s, BYPASS_OP_PUSH, qt, &op);
	op_complete(ctx, s, op, 0);
	api_done(ctx);
	return 0;
}

int bypass_qpop(struct bypass_ctx *ctx, int qd, bypass_qtoken_t *qt)
{
	struct api_sock *s = qsock(ctx, qd);
	int r;

	if (!s)
		return -EBADF;
	if (s->kind == SK_TCP && s->phase != TP_CONNECTED &&
	    s->phase != TP_CONNECTING)
		return -ENOTCONN;
	if (s->kind == SK_UDP && !s->udp)
		return -ENOTCONN;	/* nothing can arrive unbound */
	r = start(ctx, s, BYPASS_OP_POP, qt, NULL);
	if (!r)
		api_run_ops(ctx, s);
	api_done(ctx);
	return r;
}

/* ---- waiting ------------------------------------------------------------------ */

static uint64_t deadline_of(const struct timespec *t)
{
	if (!t)
		return UINT64_MAX;
	/* Zero (or invalid): at once, without reading the clock. */
	if (t->tv_sec < 0 || t->tv_nsec < 0 || t->tv_nsec >= 1000000000 ||
	    (!t->tv_sec && !t->tv_nsec))
		return 0;
	return api_now() + (uint64_t)t->tv_sec * 1000000000ull +
	       (uint64_t)t->tv_nsec;
}

/* @from into @to: its fields and the nr_segs buffers its array holds. */
static void copy_result(struct bypass_qresult *to,
			const struct bypass_qresult *from)
{
	uint32_t i;

	to->opcode = from->opcode;
	to->qd = from->qd;
	to->err = from->err;
	to->sga.nr_segs = from->sga.nr_segs;
	for (i = 0; i < from->sga.nr_segs; i++)
		to->sga.segs[i] = from->sga.segs[i];
	to->sga.addr = from->sga.addr;
	to->sga.port = from->sga.port;
	to->new_qd = from->new_qd;
	to->addr = from->addr;
	to->port = from->port;
}

static void take_result(struct bypass_ctx *ctx, struct api_op *op,
			struct bypass_qresult *res)
{
	if (res)
		copy_result(res, &op->res);
	else
		bypass_sga_free(&op->res.sga);
	ctx->collected++;
	*op->done_pprev = op->done_next;
	if (op->done_next)
		op->done_next->done_pprev = op->done_pprev;
	op_free(ctx, op);
}

/*
 * The lowest index in @qts of a completed operation still in the slot its
 * token was stored into when it started (or found there by the last look
 * through @qts), or -1: the cost is the number of operations completed
 * and not collected, not the number of tokens.
 */
static int hinted_done(struct bypass_ctx *ctx, const bypass_qtoken_t *qts,
		       uint32_t n)
{
	struct api_op *op;
	int best = -1;

	for (op = ctx->done; op; op = op->done_next) {
		uintptr_t off = (uintptr_t)op->slot - (uintptr_t)qts;
		uint32_t i;

		if (off % sizeof(*qts) || off / sizeof(*qts) >= n)
			continue;
		i = (uint32_t)(off / sizeof(*qts));
		if (qts[i] == op_token(ctx, op) && (best < 0 || i < (uint32_t)best))
			best = (int)i;
	}
	return best;
}

/*
 * Look through all of @qts: the first completed token's index, -1 if none
 * completed, -EINVAL at a bad token before any completed one. Each valid
 * token's operation remembers its slot, for hinted_done().
 */
static int scan_done(struct bypass_ctx *ctx, const bypass_qtoken_t *qts,
		     uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++) {
		struct api_op *op = op_of(ctx, qts[i]);

		if (!op)
			return -EINVAL;
		op->slot = &qts[i];
		if (op->done)
			return (int)i;
	}
	return -1;
}

int bypass_qwait_any(struct bypass_ctx *ctx, const bypass_qtoken_t *qts,
		     uint32_t n, struct bypass_qresult *res,
		     const struct timespec *timeout)
{
	uint64_t deadline;
	bool polled = false;
	int i, r;

	if (!ctx || !qts || !n)
		return -EINVAL;
	if (timeout && (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
			timeout->tv_nsec >= 1000000000))
		return -EINVAL;
	deadline = deadline_of(timeout);
	for (;;) {
		/*
		 * The completed operations first (their number, not the
		 * tokens', is the cost while traffic flows); all of @qts only
		 * when none of them is found at its slot.
		 */
		i = ctx->done && n > 1 ? hinted_done(ctx, qts, n) : -1;
		if (i < 0)
			i = scan_done(ctx, qts, n);
		if (i == -EINVAL)
			return -EINVAL;
		if (i >= 0) {
			take_result(ctx, op_of(ctx, qts[i]), res);
			api_done(ctx);
			return i;
		}
		/* Look at the device once even with a zero timeout. */
		if (!polled) {
			api_progress(ctx);
			polled = true;
			continue;
		}
		r = api_block(ctx, deadline);
		if (r == -ETIMEDOUT) {
			api_idle(ctx);	/* nothing done: the caller may sleep */
			return r;
		}
		if (r) {
			api_done(ctx);
			return r;
		}
	}
}

int bypass_qwait(struct bypass_ctx *ctx, bypass_qtoken_t qt,
		 struct bypass_qresult *res, const struct timespec *timeout)
{
	struct api_op *op = ctx ? op_of(ctx, qt) : NULL;
	int r;

	/*
	 * Completed already, the common case while traffic flows: take it.
	 * Collecting a result queues no frame and makes no news; only the
	 * fd of bypass_ctx_fd(), when there is one, is told.
	 */
	if (op && op->done && (!timeout || (timeout->tv_sec >= 0 &&
			       timeout->tv_nsec >= 0 && timeout->tv_nsec < 1000000000))) {
		take_result(ctx, op, res);
		if (ctx->epfd >= 0 || ctx->dirty)
			api_done(ctx);
		return 0;
	}
	r = bypass_qwait_any(ctx, &qt, 1, res, timeout);

	return r > 0 ? 0 : r;
}

int bypass_qclose(struct bypass_ctx *ctx, int qd)
{
	return bypass_close(ctx, qd) ? -errno : 0;
}
