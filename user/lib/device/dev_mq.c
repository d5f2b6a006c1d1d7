// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The in-memory multi-queue pair: a NIC with several queue pairs (one
 * context per pair) wired to a peer with one pair (the Linux stack behind
 * a tap), steering frames towards the NIC as the host tun's flow cache
 * does: a flow's frames come back on the queue that last transmitted it,
 * a flow never seen lands on a queue chosen by its hash, ARP follows the
 * queue that last sent an ARP frame, ICMP the one that last sent ICMP. A
 * test may move a flow to another queue, as the cache does to an idle
 * flow.
 *
 * Device work runs in the thread that kicks (or services, or advances the
 * clock), under one lock: several drivers may run on their own threads,
 * each on its own pair, as on hardware. The clock is virtual (advanced by
 * bypass_mq_advance()) or, with cfg->realtime, CLOCK_MONOTONIC. Frames
 * have no delay and no loss; those wait on the wire only while the
 * receiving ring has no buffers.
 *
 * Test infrastructure standing in for hardware: it allocates per frame.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <linux/if_ether.h>
#include <linux/ip.h>

#include "vdev.h"

#define MQ_FLOWS	1024	/* flow cache entries, power of two */
#define MQ_KEY_ARP	0x41525000u
#define MQ_KEY_OTHER	0x4f544800u

struct mq_frame {
	struct mq_frame *next;
	size_t len;
	uint8_t data[];
};

struct mq_queue {
	struct vdev_dev base;		/* first: the ops receive &base.dev */
	struct bypass_mq *mq;
	unsigned int idx;		/* pair number; the peer's is mq->nr */
	struct mq_frame *inbound, **inbound_tail;
	uint32_t inbound_len;
	struct bypass_mq_stats stats;
};

struct mq_flow {
	uint32_t key;
	uint8_t queue;
	bool used;
};

struct bypass_mq {
	pthread_mutex_t lock;
	unsigned int nr;
	bool realtime;
	uint64_t now_ns;		/* virtual clock */
	uint32_t wire_limit;
	struct mq_queue q[BYPASS_MQ_MAX + 1];	/* [nr] is the peer */
	struct mq_flow flow[MQ_FLOWS];
	uint8_t frame[VDEV_MAX_FRAME];	/* TX staging */
};

static struct mq_queue *to_q(struct bypass_dev *dev)
{
	return (struct mq_queue *)dev;
}

static uint32_t mix32(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352du;
	h ^= h >> 15;
	h *= 0x846ca68bu;
	return h ^ (h >> 16);
}

/*
 * The flow key of a frame, the same in both directions: TCP and UDP by
 * addresses and ports, other IPv4 by protocol alone (all ICMP is one
 * flow, as for the tun), ARP one flow, anything else another.
 */
static uint32_t mq_flow_key(const uint8_t *f, size_t len)
{
	struct iphdr iph, *ip = &iph;	/* a copy: the frame is unaligned */
	uint32_t ihl, ports = 0;
	uint16_t proto;

	if (len < ETH_HLEN)
		return MQ_KEY_OTHER;
	memcpy(&proto, f + 12, 2);
	if (proto == htons(ETH_P_ARP))
		return MQ_KEY_ARP;
	if (proto != htons(ETH_P_IP) || len < ETH_HLEN + sizeof(*ip))
		return MQ_KEY_OTHER;
	memcpy(ip, f + ETH_HLEN, sizeof(*ip));
	if (ip->protocol != IPPROTO_TCP && ip->protocol != IPPROTO_UDP)
		return mix32(ip->protocol);
	ihl = ip->ihl * 4u;
	if (len >= ETH_HLEN + ihl + 4) {
		uint16_t sp, dp;

		memcpy(&sp, f + ETH_HLEN + ihl, 2);
		memcpy(&dp, f + ETH_HLEN + ihl + 2, 2);
		ports = (uint32_t)(sp ^ dp);
	}
	return mix32((ip->saddr ^ ip->daddr) + mix32(ports ^ ip->protocol));
}

static uint32_t tcp_key(uint32_t a, uint16_t ap, uint32_t b, uint16_t bp)
{
	return mix32((a ^ b) + mix32((uint32_t)(htons(ap) ^ htons(bp)) ^ IPPROTO_TCP));
}

static void flow_note(struct bypass_mq *mq, uint32_t key, unsigned int queue)
{
	struct mq_flow *fl = &mq->flow[key & (MQ_FLOWS - 1)];

	fl->key = key;
	fl->queue = (uint8_t)queue;
	fl->used = true;
}

/* The queue a frame from the peer lands on. */
static unsigned int flow_steer(struct bypass_mq *mq, uint32_t key)
{
	const struct mq_flow *fl = &mq->flow[key & (MQ_FLOWS - 1)];

	if (fl->used && fl->key == key)
		return fl->queue;
	return (unsigned int)(((uint64_t)key * mq->nr) >> 32);
}

/* Move what waits for @q into its RX ring, while buffers last. */
static void mq_deliver(struct mq_queue *q)
{
	struct mq_frame *f;

	while ((f = q->inbound)) {
		int r = vdev_rx_push(&q->base.vd, f->data, f->len, 0, NULL);

		if (r == -ENOBUFS)
			break;
		if (r == 0)
			q->stats.rx_frames++;
		else
			q->stats.dropped++;
		q->inbound = f->next;
		if (!q->inbound)
			q->inbound_tail = &q->inbound;
		__atomic_store_n(&q->inbound_len, q->inbound_len - 1, __ATOMIC_RELAXED);
		free(f);
	}
	vdev_flush(&q->base.vd, BYPASS_QUEUE_RX);
}

static void mq_enqueue(struct mq_queue *to, const uint8_t *data, size_t len)
{
	struct mq_frame *f;

	if (to->inbound_len >= to->mq->wire_limit) {
		to->stats.dropped++;
		return;
	}
	f = malloc(sizeof(*f) + len);
	if (!f) {
		to->stats.dropped++;
		return;
	}
	f->next = NULL;
	f->len = len;
	memcpy(f->data, data, len);
	*to->inbound_tail = f;
	to->inbound_tail = &f->next;
	__atomic_store_n(&to->inbound_len, to->inbound_len + 1, __ATOMIC_RELAXED);
	mq_deliver(to);
}

/* Take every frame off @from's TX ring and put it on the wire. */
static void mq_send_all(struct mq_queue *from)
{
	struct bypass_mq *mq = from->mq;
	int len;

	while ((len = vdev_tx_pop(&from->base.vd, mq->frame, sizeof(mq->frame))) != 0) {
		uint32_t key;

		if (len < 0)
			continue;
		from->stats.tx_frames++;
		key = mq_flow_key(mq->frame, (size_t)len);
		if (from->idx == mq->nr) {
			mq_enqueue(&mq->q[flow_steer(mq, key)], mq->frame, (size_t)len);
		} else {
			flow_note(mq, key, from->idx);
			mq_enqueue(&mq->q[mq->nr], mq->frame, (size_t)len);
		}
	}
	vdev_flush(&from->base.vd, BYPASS_QUEUE_TX);
}

static void mq_kick(struct bypass_dev *dev, unsigned int qn)
{
	struct mq_queue *q = to_q(dev);

	if (qn >= BYPASS_NR_QUEUES)
		return;
	pthread_mutex_lock(&q->mq->lock);
	q->stats.kicks++;
	if (qn == BYPASS_QUEUE_RX)
		mq_deliver(q);		/* new buffers: frames may now fit */
	else
		mq_send_all(q);
	pthread_mutex_unlock(&q->mq->lock);
}

static int mq_irq_fd(struct bypass_dev *dev, unsigned int qn)
{
	return qn < BYPASS_NR_QUEUES ? to_q(dev)->base.vd.q[qn].irq_fd : -1;
}

static void mq_irq_ack(struct bypass_dev *dev, unsigned int qn)
{
	vdev_irq_ack(&to_q(dev)->base.vd, qn);
}

static void mq_service(struct bypass_dev *dev)
{
	struct mq_queue *q = to_q(dev);

	/* Unlocked peek: a frame queued meanwhile comes with its own delivery. */
	if (!__atomic_load_n(&q->inbound_len, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&q->mq->lock);
	mq_deliver(q);
	pthread_mutex_unlock(&q->mq->lock);
}

static uint64_t mq_now(struct bypass_dev *dev)
{
	struct bypass_mq *mq = to_q(dev)->mq;
	struct timespec ts;

	if (!mq->realtime)
		return __atomic_load_n(&mq->now_ns, __ATOMIC_RELAXED);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/*
 * Memory is registered while the pool grows, on the driver's thread, and
 * translated by whichever thread delivers a frame: both under the lock.
 */
static int mq_mem_register(struct bypass_dev *dev, void *addr, size_t len,
			   uint64_t *iova)
{
	struct bypass_mq *mq = to_q(dev)->mq;
	int r;

	pthread_mutex_lock(&mq->lock);
	r = vdev_op_mem_register(dev, addr, len, iova);
	pthread_mutex_unlock(&mq->lock);
	return r;
}

static uint64_t mq_mem_page_iova(struct bypass_dev *dev, const void *page)
{
	struct bypass_mq *mq = to_q(dev)->mq;
	uint64_t iova;

	pthread_mutex_lock(&mq->lock);
	iova = vdev_op_mem_page_iova(dev, page);
	pthread_mutex_unlock(&mq->lock);
	return iova;
}

static int mq_mem_unregister(struct bypass_dev *dev, void *addr, size_t len)
{
	struct bypass_mq *mq = to_q(dev)->mq;
	int r;

	pthread_mutex_lock(&mq->lock);
	r = vdev_op_mem_unregister(dev, addr, len);
	pthread_mutex_unlock(&mq->lock);
	return r;
}

static const struct bypass_dev_ops mq_ops = {
	.get_vring = vdev_op_get_vring,
	.mem_register = mq_mem_register,
	.mem_page_iova = mq_mem_page_iova,
	.mem_unregister = mq_mem_unregister,
	.kick = mq_kick,
	.irq_fd = mq_irq_fd,
	.irq_ack = mq_irq_ack,
	.service = mq_service,
	.now_ns = mq_now,
	.destroy = NULL,	/* bypass_mq_destroy() releases the queues */
};

int bypass_mq_create(const struct bypass_mq_config *cfg, struct bypass_mq **out)
{
	struct bypass_mq *mq;
	unsigned int i;
	int r;

	if (!cfg || !out || !cfg->nr_pairs || cfg->nr_pairs > BYPASS_MQ_MAX)
		return -EINVAL;
	mq = calloc(1, sizeof(*mq));
	if (!mq)
		return -ENOMEM;
	pthread_mutex_init(&mq->lock, NULL);
	mq->nr = cfg->nr_pairs;
	mq->realtime = cfg->realtime;
	mq->wire_limit = cfg->wire_limit ? cfg->wire_limit : 1024;
	for (i = 0; i <= mq->nr; i++) {
		struct mq_queue *q = &mq->q[i];

		q->mq = mq;
		q->idx = i;
		q->inbound_tail = &q->inbound;
		r = vdev_dev_init(&q->base, &mq_ops, cfg->features,
				  cfg->mac[i == mq->nr], cfg->mtu, cfg->queue_size);
		if (r) {
			while (i--)
				vdev_fini(&mq->q[i].base.vd);
			pthread_mutex_destroy(&mq->lock);
			free(mq);
			return r;
		}
	}
	*out = mq;
	return 0;
}

void bypass_mq_destroy(struct bypass_mq *mq)
{
	unsigned int i;

	if (!mq)
		return;
	for (i = 0; i <= mq->nr; i++) {
		struct mq_frame *f = mq->q[i].inbound, *next;

		for (; f; f = next) {
			next = f->next;
			free(f);
		}
		vdev_fini(&mq->q[i].base.vd);
	}
	pthread_mutex_destroy(&mq->lock);
	free(mq);
}

struct bypass_dev *bypass_mq_dev(struct bypass_mq *mq, unsigned int pair)
{
	return pair < mq->nr ? &mq->q[pair].base.dev : NULL;
}

struct bypass_dev *bypass_mq_peer(struct bypass_mq *mq)
{
	return &mq->q[mq->nr].base.dev;
}

void bypass_mq_advance(struct bypass_mq *mq, uint64_t ns)
{
	unsigned int i;

	pthread_mutex_lock(&mq->lock);
	__atomic_store_n(&mq->now_ns, mq->now_ns + ns, __ATOMIC_RELAXED);
	for (i = 0; i <= mq->nr; i++)
		mq_deliver(&mq->q[i]);
	pthread_mutex_unlock(&mq->lock);
}

int bypass_mq_move_flow(struct bypass_mq *mq, uint32_t addr_a, uint16_t port_a,
			uint32_t addr_b, uint16_t port_b, unsigned int pair)
{
	if (pair >= mq->nr)
		return -EINVAL;
	pthread_mutex_lock(&mq->lock);
	flow_note(mq, tcp_key(addr_a, port_a, addr_b, port_b), pair);
	pthread_mutex_unlock(&mq->lock);
	return 0;
}

int bypass_mq_stats(struct bypass_mq *mq, unsigned int pair,
		    struct bypass_mq_stats *out)
{
	if (pair > mq->nr)
		return -EINVAL;
	pthread_mutex_lock(&mq->lock);
	*out = mq->q[pair].stats;
	pthread_mutex_unlock(&mq->lock);
	return 0;
}
