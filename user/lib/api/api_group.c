// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Groups (bypass_api.h): N contexts on N queue pairs of one NIC, one per
 * thread, and what they share, all off the fast path:
 *  - a flow directory, 4-tuple to owning engine, chained through the
 *    connections themselves (no allocation), and a bitmap per port of
 *    the contexts listening on it; both under the group's lock, written
 *    when an engine enters or leaves a connection or listener in its
 *    tables, read when a segment finds no connection in its engine;
 *  - a mailbox per context (a locked list, a pending word the owner's
 *    poll reads relaxed, an eventfd that wakes it): segments for its
 *    flows that landed on other queues, copied, and neighbours the other
 *    contexts learnt from ARP;
 *  - disjoint ephemeral port ranges and one TCP secret (SYN cookies and
 *    ISNs alike everywhere; the flow hash keys too, so the directory
 *    hashes with any engine's).
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <unistd.h>

#include "api.h"
#include "bypass_kdev.h"
#include "handoff.h"
#include "stack.h"
#include "tcp.h"

#define MAILBOX_MAX	1024	/* messages waiting per context, at most */
#define DIR_BUCKETS_MAX	(1u << 20)
#define EPH_LO		49152u
#define EPH_NR		16384u

enum { DIR_NONE, DIR_FLOW, DIR_LISTEN };	/* tcp_conn.dir_kind */
enum { MSG_TCP, MSG_NEIGH };

/* A message to a context: a copied segment or a neighbour. */
struct group_msg {
	struct group_msg *next;
	uint8_t kind;
	uint8_t mac[6];
	uint32_t ip;
	struct bypass_tcp_seg seg;	/* MSG_TCP: payload behind */
	uint8_t payload[];
};

struct api_member {
	struct bypass_group *g;
	unsigned int idx;
	struct bypass_ctx *ctx;
	pthread_mutex_t mb_lock;
	struct group_msg *mb_head, **mb_tail;
	uint32_t mb_len;
	int pending;			/* mb_len != 0, read without the lock */
	int efd;			/* readable while pending */
	bool in_drain;			/* running handed-over segments */
	struct bypass_group_stats stats;	/* relaxed atomics */
};

struct bypass_group {
	unsigned int nr;
	bool destroying;
	pthread_mutex_t lock;		/* dir, listen */
	struct tcp_conn **dir;
	uint32_t dir_mask;
	uint32_t *listen;		/* by port: bit i, context i listens */
	struct bypass_tcp_config tcfg;	/* every engine's */
	struct api_member m[BYPASS_GROUP_MAX];
};

static void stat_inc(uint64_t *counter)
{
	__atomic_fetch_add(counter, 1, __ATOMIC_RELAXED);
}

/* ---- the flow directory ------------------------------------------------ */

static struct tcp_conn **dir_bucket(struct bypass_group *g,
				    struct bypass_tcp *tcp, uint32_t laddr,
				    uint16_t lport, uint32_t raddr, uint16_t rport)
{
	return &g->dir[tcp_hash4(tcp, laddr, lport, raddr, rport) & g->dir_mask];
}

static struct tcp_conn *dir_find(struct bypass_group *g, struct bypass_tcp *tcp,
				 uint32_t laddr, uint16_t lport, uint32_t raddr,
				 uint16_t rport)
{
	struct tcp_conn *c = *dir_bucket(g, tcp, laddr, lport, raddr, rport);

	for (; c; c = c->dnext)
		if (c->lport == lport && c->rport == rport &&
		    c->laddr == laddr && c->raddr == raddr)
			return c;
	return NULL;
}

/* Whether @tcp still has a listener on @port (the one leaving unlinked). */
static bool engine_listens(struct bypass_tcp *tcp, uint16_t port)
{
	struct tcp_conn *c;

	for (c = tcp->lhash[port & tcp->lhash_mask]; c; c = c->hnext)
		if (c->lport == port)
			return true;
	return false;
}

static void group_flow_add(void *arg, struct tcp_conn *c)
{
	struct api_member *m = arg;
	struct bypass_group *g = m->g;
	struct tcp_conn **head;

	pthread_mutex_lock(&g->lock);
	if (c->state == BYPASS_TCP_LISTEN) {
		g->listen[c->lport] |= 1u << m->idx;
		c->dir_kind = DIR_LISTEN;
	} else {
		head = dir_bucket(g, c->tcp, c->laddr, c->lport, c->raddr, c->rport);
		c->dnext = *head;
		if (c->dnext)
			c->dnext->dpprev = &c->dnext;
		c->dpprev = head;
		*head = c;
		c->dir_kind = DIR_FLOW;
	}
	pthread_mutex_unlock(&g->lock);
}

static void group_flow_del(void *arg, struct tcp_conn *c)
{
	struct api_member *m = arg;
	struct bypass_group *g = m->g;

	if (c->dir_kind == DIR_NONE)
		return;
	pthread_mutex_lock(&g->lock);
	if (c->dir_kind == DIR_LISTEN) {
		if (!engine_listens(c->tcp, c->lport))
			g->listen[c->lport] &= ~(1u << m->idx);
	} else {
		*c->dpprev = c->dnext;
		if (c->dnext)
			c->dnext->dpprev = c->dpprev;
		c->dnext = NULL;
		c->dpprev = NULL;
	}
	c->dir_kind = DIR_NONE;
	pthread_mutex_unlock(&g->lock);
}

/* ---- mailboxes --------------------------------------------------------- */

/* Queue @msg for @to (freed when the mailbox is full: false). */
static bool mailbox_post(struct api_member *to, struct group_msg *msg)
{
	bool wake;

	msg->next = NULL;
	pthread_mutex_lock(&to->mb_lock);
	if (to->mb_len >= MAILBOX_MAX) {
		pthread_mutex_unlock(&to->mb_lock);
		free(msg);
		return false;
	}
	*to->mb_tail = msg;
	to->mb_tail = &msg->next;
	wake = !to->mb_len++;
	__atomic_store_n(&to->pending, 1, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&to->mb_lock);
	/* The first message wakes the owner; the others find it awake. */
	if (wake && eventfd_write(to->efd, 1) < 0)
		return true;	/* saturated: a wakeup is pending anyway */
	return true;
}

/*
 * A segment that found no connection in @m's engine: pass it to the
 * owner of its flow, or to a context listening on its port when @m has
 * no listener there. False: @m handles it (listener, TIME_WAIT or RST).
 */
static bool group_redirect(void *arg, const struct bypass_tcp_seg *s,
			   const struct bypass_buf *payload, struct tcp_conn *local)
{
	struct api_member *m = arg, *to = NULL;
	struct bypass_group *g = m->g;
	struct bypass_tcp *tcp = bypass_stack_tcp(m->ctx->st);
	struct group_msg *msg;
	struct tcp_conn *c;
	uint32_t others;

	/* What was handed over is handled here: it never moves on again. */
	if (m->in_drain)
		return false;
	pthread_mutex_lock(&g->lock);
	c = dir_find(g, tcp, s->daddr, s->dport, s->saddr, s->sport);
	if (c) {
		if (c->tcp->group_arg != m)
			to = c->tcp->group_arg;
	} else if (!local) {
		others = g->listen[s->dport] & ~(1u << m->idx);
		if (others) {
			/* Spread by flow over the contexts listening. */
			uint32_t n = (uint32_t)__builtin_popcount(others), k;

			k = tcp_hash4(tcp, s->daddr, s->dport, s->saddr, s->sport) % n;
			while (k--)
				others &= others - 1;
			to = &g->m[__builtin_ctz(others)];
		}
	}
	pthread_mutex_unlock(&g->lock);
	if (!to) {
		if (!c && !local)
			stat_inc(&m->stats.unowned);
		return false;
	}
	msg = malloc(sizeof(*msg) + s->len);
	if (!msg) {
		stat_inc(&m->stats.handoff_dropped);
		return true;
	}
	msg->kind = MSG_TCP;
	msg->seg = *s;
	msg->seg.nr_frags = 0;
	if (s->len && payload)
		memcpy(msg->payload, payload->data, s->len);
	else
		msg->seg.len = 0;
	if (mailbox_post(to, msg))
		stat_inc(&m->stats.handoff_out);
	else
		stat_inc(&m->stats.handoff_dropped);
	return true;
}

void api_group_neigh(struct bypass_ctx *ctx, uint32_t ip, const uint8_t *mac)
{
	struct api_member *m = ctx->member;
	struct bypass_group *g = m->g;
	unsigned int i;

	for (i = 0; i < g->nr; i++) {
		struct group_msg *msg;

		if (i == m->idx)
			continue;
		msg = malloc(sizeof(*msg));
		if (!msg)
			continue;
		msg->kind = MSG_NEIGH;
		msg->ip = ip;
		memcpy(msg->mac, mac, 6);
		mailbox_post(&g->m[i], msg);
	}
	stat_inc(&m->stats.neigh_out);
}

bool api_group_pending(const struct bypass_ctx *ctx)
{
	return ctx->member &&
	       __atomic_load_n(&ctx->member->pending, __ATOMIC_RELAXED);
}

int api_group_fd(const struct bypass_ctx *ctx)
{
	return ctx->member ? ctx->member->efd : -1;
}

void api_group_drain(struct bypass_ctx *ctx)
{
	struct api_member *m = ctx->member;
	struct group_msg *msg, *next;
	eventfd_t v;

	if (!m || !__atomic_load_n(&m->pending, __ATOMIC_RELAXED))
		return;
	/* Lower the eventfd first: a post after the take raises it again. */
	if (eventfd_read(m->efd, &v) < 0)
		v = 0;
	pthread_mutex_lock(&m->mb_lock);
	msg = m->mb_head;
	m->mb_head = NULL;
	m->mb_tail = &m->mb_head;
	m->mb_len = 0;
	__atomic_store_n(&m->pending, 0, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&m->mb_lock);
	for (; msg; msg = next) {
		next = msg->next;
		if (msg->kind == MSG_TCP) {
			m->in_drain = true;
			stack_handoff_tcp(ctx->st, &msg->seg, msg->payload);
			m->in_drain = false;
			stat_inc(&m->stats.handoff_in);
		} else {
			stack_handoff_neigh(ctx->st, msg->ip, msg->mac);
			stat_inc(&m->stats.neigh_in);
		}
		free(msg);
	}
}

/* ---- life -------------------------------------------------------------- */

static const struct tcp_group_ops group_tcp_ops = {
	.flow_add = group_flow_add,
	.flow_del = group_flow_del,
	.redirect = group_redirect,
};

static bool secret_unset(const struct bypass_tcp_config *t)
{
	static const uint8_t zero[sizeof(t->secret)];

	return !memcmp(t->secret, zero, sizeof(zero));
}

static int group_alloc(const struct bypass_group_config *cfg,
		       struct bypass_group **out)
{
	struct bypass_group *g;
	uint32_t conns, buckets;
	unsigned int i;

	if (!cfg || !out || !cfg->nr_contexts || cfg->nr_contexts > BYPASS_GROUP_MAX)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	pthread_mutex_init(&g->lock, NULL);
	if (cfg->ctx.stack.tcp)
		g->tcfg = *cfg->ctx.stack.tcp;
	if (secret_unset(&g->tcfg) &&
	    getrandom(g->tcfg.secret, sizeof(g->tcfg.secret), 0) !=
	    (ssize_t)sizeof(g->tcfg.secret)) {
		pthread_mutex_destroy(&g->lock);
		free(g);
		return -EIO;
	}
	conns = (g->tcfg.max_conns ? g->tcfg.max_conns : 16384) * cfg->nr_contexts;
	buckets = tcp_pow2_at_least(conns < DIR_BUCKETS_MAX / 2 ? 2 * conns :
				    DIR_BUCKETS_MAX);
	g->dir_mask = buckets - 1;
	g->dir = calloc(buckets, sizeof(*g->dir));
	g->listen = calloc(65536, sizeof(*g->listen));
	for (i = 0; i < BYPASS_GROUP_MAX; i++) {
		struct api_member *m = &g->m[i];

		m->g = g;
		m->idx = i;
		m->efd = -1;
		m->mb_tail = &m->mb_head;
		pthread_mutex_init(&m->mb_lock, NULL);
	}
	*out = g;
	if (!g->dir || !g->listen)
		return -ENOMEM;
	return 0;
}

/* Make @ctx context @m of a group of @nr. */
static int member_join(struct api_member *m, struct bypass_ctx *ctx,
		       unsigned int nr)
{
	uint16_t per = (uint16_t)(EPH_NR / nr);
	struct bypass_tcp *tcp = bypass_stack_tcp(ctx->st);
	int r;

	m->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (m->efd < 0)
		return -errno;
	r = bypass_stack_set_ports(ctx->st, (uint16_t)(EPH_LO + m->idx * per), per);
	if (r)
		return r;
	m->ctx = ctx;
	ctx->member = m;
	bypass_stack_set_wake(ctx->st, m->efd, &m->pending);
	tcp->group = &group_tcp_ops;
	tcp->group_arg = m;
	return 0;
}

int bypass_group_create(struct bypass_dev *const *devs,
			const struct bypass_group_config *cfg,
			struct bypass_group **out)
{
	struct bypass_ctx_config c;
	struct bypass_group *g = NULL;
	unsigned int i;
	int r;

	if (!devs)
		return -EINVAL;
	r = group_alloc(cfg, &g);
	if (r) {
		if (g)
			bypass_group_destroy(g);
		return r;
	}
	c = cfg->ctx;
	c.stack.tcp = &g->tcfg;
	for (i = 0; i < cfg->nr_contexts; i++) {
		struct bypass_ctx *ctx;

		r = devs[i] ? bypass_ctx_create(devs[i], &c, &ctx) : -EINVAL;
		if (r)
			goto fail;
		g->nr = i + 1;
		g->m[i].ctx = ctx;
		ctx->member = &g->m[i];
		r = member_join(&g->m[i], ctx, cfg->nr_contexts);
		if (r)
			goto fail;
	}
	*out = g;
	return 0;
fail:
	bypass_group_destroy(g);
	return r;
}

int bypass_group_open(const struct bypass_group_config *cfg,
		      struct bypass_group **out)
{
	struct bypass_dev *devs[BYPASS_GROUP_MAX] = { NULL };
	struct bypass_group_config c;
	unsigned int i;
	int r = 0;

	if (!cfg || !out || !cfg->nr_contexts || cfg->nr_contexts > BYPASS_GROUP_MAX)
		return -EINVAL;
	c = *cfg;
	for (i = 0; i < c.nr_contexts && !r; i++)
		r = bypass_kdev_open(c.ctx.device, c.first_pair + i, &devs[i]);
	if (!r && !c.ctx.stack.addr &&
	    bypass_kdev_stack_config(devs[0], &c.ctx.stack))
		r = -EDESTADDRREQ;
	if (!r)
		r = bypass_group_create(devs, &c, out);
	if (r) {
		for (i = 0; i < c.nr_contexts; i++)
			bypass_dev_destroy(devs[i]);
		return r;
	}
	for (i = 0; i < c.nr_contexts; i++)
		(*out)->m[i].ctx->own_dev = true;
	return 0;
}

unsigned int bypass_group_size(const struct bypass_group *g)
{
	return g->nr;
}

struct bypass_ctx *bypass_group_ctx(struct bypass_group *g, unsigned int i)
{
	return i < g->nr ? g->m[i].ctx : NULL;
}

int bypass_group_stats(struct bypass_group *g, unsigned int i,
		       struct bypass_group_stats *out)
{
	const struct bypass_group_stats *s;

	if (i >= g->nr)
		return -EINVAL;
	s = &g->m[i].stats;
	out->handoff_out = __atomic_load_n(&s->handoff_out, __ATOMIC_RELAXED);
	out->handoff_in = __atomic_load_n(&s->handoff_in, __ATOMIC_RELAXED);
	out->handoff_dropped = __atomic_load_n(&s->handoff_dropped, __ATOMIC_RELAXED);
	out->neigh_out = __atomic_load_n(&s->neigh_out, __ATOMIC_RELAXED);
	out->neigh_in = __atomic_load_n(&s->neigh_in, __ATOMIC_RELAXED);
	out->unowned = __atomic_load_n(&s->unowned, __ATOMIC_RELAXED);
	return 0;
}

bool api_group_destroying(const struct bypass_ctx *ctx)
{
	return ctx->member->g->destroying;
}

void bypass_group_destroy(struct bypass_group *g)
{
	unsigned int i;

	if (!g)
		return;
	g->destroying = true;
	for (i = 0; i < g->nr; i++)
		bypass_ctx_destroy(g->m[i].ctx);
	for (i = 0; i < BYPASS_GROUP_MAX; i++) {
		struct api_member *m = &g->m[i];
		struct group_msg *msg, *next;

		for (msg = m->mb_head; msg; msg = next) {
			next = msg->next;
			free(msg);
		}
		if (m->efd >= 0)
			close(m->efd);
		pthread_mutex_destroy(&m->mb_lock);
	}
	pthread_mutex_destroy(&g->lock);
	free(g->dir);
	free(g->listen);
	free(g);
}
