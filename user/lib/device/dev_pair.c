// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The in-memory linked pair: two emulated virtio-net devices joined by an
 * emulated wire that runs on a virtual clock. A kick on one side's TX queue
 * takes its frames off the ring at once; each frame then waits on the wire
 * until the clock reaches its arrival time and the other side has posted RX
 * buffers for it. Loss, duplication, delay and reordering are drawn from a
 * seeded PRNG, so every run is the same. Frames can also be injected and
 * captured raw, for packet-script tests.
 *
 * With cfg->threaded the device side runs on its own thread instead
 * (pair_thread.c), on the real clock; cfg->late_rx then makes frames land
 * just before each driver enables its RX interrupt (a test of the check
 * that must follow the enabling).
 *
 * This is test infrastructure standing in for hardware: it allocates per
 * frame on the wire, which the datapath itself never does.
 */
#include <endian.h>
#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_net.h>

#include "pair.h"

#define PAIR_LATE_RX_NS		50000000ull	/* late_rx: longest hold */

/* splitmix64: small, seedable, good enough to pick frames. */
static uint64_t pair_rand(struct bypass_pair *p)
{
	uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static bool pair_roll(struct bypass_pair *p, uint32_t ppm)
{
	return ppm && pair_rand(p) % 1000000 < ppm;
}

static struct wire_frame *frame_new(const void *data, size_t len, uint64_t due,
				    uint8_t hdr_flags)
{
	struct wire_frame *f = malloc(sizeof(*f) + len);

	if (!f)
		return NULL;
	f->next = NULL;
	f->due_ns = due;
	f->hdr_flags = hdr_flags;
	f->len = len;
	memcpy(f->data, data, len);
	return f;
}

static void frames_free(struct wire_frame *f)
{
	while (f) {
		struct wire_frame *next = f->next;

		free(f);
		f = next;
	}
}

/* Put a frame on the wire towards @to, arriving at @due. */
static void wire_enqueue(struct pair_end *to, const void *data, size_t len,
			 uint64_t due, uint8_t hdr_flags)
{
	struct wire_frame *f, **pos;

	if (to->inbound_len >= to->pair->wire_limit) {
		to->stats.wire_overflow++;
		return;
	}
	f = frame_new(data, len, due, hdr_flags);
	if (!f) {
		to->stats.wire_overflow++;
		return;
	}
	for (pos = &to->inbound; *pos && (*pos)->due_ns <= due; pos = &(*pos)->next)
		;
	f->next = *pos;
	*pos = f;
	to->inbound_len++;
}

/* Move every frame that has arrived into @e's RX ring, while buffers last. */
void pair_deliver(struct pair_end *e)
{
	struct wire_frame *f;
	unsigned int nb;
	int r;

	while ((f = e->inbound) && f->due_ns <= e->pair->now_ns) {
		r = vdev_rx_push(&e->base.vd, f->data, f->len, f->hdr_flags, &nb);
		if (r == -ENOBUFS)
			break;
		if (r == 0) {
			e->stats.rx_frames++;
			e->stats.rx_buffers += nb;
		} else if (r == -EMSGSIZE) {
			e->stats.too_big++;
		}
		e->inbound = f->next;
		e->inbound_len--;
		free(f);
	}
	vdev_flush(&e->base.vd, BYPASS_QUEUE_RX);
}

/* One frame sent by @from: capture it, or let the wire have its way. */
static void pair_transmit(struct pair_end *from, const uint8_t *data, size_t len)
{
	struct bypass_pair *p = from->pair;
	struct pair_end *to = &p->end[!from->side];
	uint64_t due = p->now_ns + p->impair.delay_ns;
	uint8_t flags = 0;
	struct wire_frame *f;

	if (from->capture) {
		f = frame_new(data, len, p->now_ns, 0);
		if (f) {
			*from->captured_tail = f;
			from->captured_tail = &f->next;
			from->stats.captured++;
		}
		return;
	}
	/* The sender's stack or device computed every checksum. */
	if (to->base.dev.features & (1ULL << VIRTIO_NET_F_GUEST_CSUM))
		flags = VIRTIO_NET_HDR_F_DATA_VALID;
	if (pair_roll(p, p->impair.loss_ppm)) {
		to->stats.lost++;
		return;
	}
	if (pair_roll(p, p->impair.reorder_ppm)) {
		to->stats.reordered++;
		due += p->impair.reorder_ns;
	}
	wire_enqueue(to, data, len, due, flags);
	if (pair_roll(p, p->impair.dup_ppm)) {
		to->stats.duplicated++;
		wire_enqueue(to, data, len, due, flags);
	}
}

static void pair_transmit_segment(void *arg, const uint8_t *data, size_t len)
{
	pair_transmit(arg, data, len);
}

/* Take every frame off @e's TX ring and put it on the wire. */
void pair_send_all(struct pair_end *e)
{
	struct bypass_pair *p = e->pair;
	const struct pair_end *to = &p->end[!e->side];
	int len;

	while ((len = vdev_tx_pop(&e->base.vd, p->frame, sizeof(p->frame))) != 0) {
		if (len < 0)
			continue;
		e->stats.tx_frames++;
		/*
		 * A TSO frame crosses whole to a side that takes large TCP
		 * frames (GUEST_TSO4, as a tap bridge does), else it is cut
		 * here, as a host would before handing it to a guest.
		 */
		if (e->base.vd.tx_gso_type == VIRTIO_NET_HDR_GSO_TCPV4 &&
		    !(to->base.dev.features & (1ULL << VIRTIO_NET_F_GUEST_TSO4)) &&
		    vdev_gso_segment(p->frame, (size_t)len, e->base.vd.tx_gso_size,
				     pair_transmit_segment, e) >= 0)
			continue;
		pair_transmit(e, p->frame, (size_t)len);
	}
	vdev_flush(&e->base.vd, BYPASS_QUEUE_TX);
	pair_deliver(&p->end[!e->side]);
}

static void pair_kick(struct bypass_dev *dev, unsigned int q)
{
	struct pair_end *e = to_end(dev);

	if ((unsigned int)q >= BYPASS_NR_QUEUES)
		return;
	__atomic_fetch_add(&e->stats.kicks[q], 1, __ATOMIC_RELAXED);
	if (e->pair->threaded) {
		pair_thread_kick(e->pair);
		return;
	}
	if (q == BYPASS_QUEUE_RX) {
		/* New buffers: frames waiting on the wire may now fit. */
		pair_deliver(e);
		return;
	}
	if (!e->tx_stalled)
		pair_send_all(e);
}

/*
 * The late_rx hook: the driver is between its last look at the RX ring
 * (which found nothing past the used index it reads now) and enabling the
 * interrupt. Wait (at most PAIR_LATE_RX_NS) until the device thread has
 * put a frame there and decided, the interrupt being off, not to raise it.
 */
static void pair_late_rx(struct pair_end *e)
{
	const struct vdev_queue *q = &e->base.vd.q[BYPASS_QUEUE_RX];
	uint64_t until = pair_thread_now() + PAIR_LATE_RX_NS;
	uint16_t seen = le16toh(__atomic_load_n(&q->vr.used->idx, __ATOMIC_ACQUIRE));
	int16_t ahead;

	while ((ahead = (int16_t)(__atomic_load_n(&q->decided_used, __ATOMIC_ACQUIRE) -
				  seen)) <= 0 && pair_thread_now() < until)
		sched_yield();
	if (ahead > 0)
		__atomic_fetch_add(&e->stats.late_rx, 1, __ATOMIC_RELAXED);
}

static int pair_irq_fd(struct bypass_dev *dev, unsigned int q)
{
	struct pair_end *e = to_end(dev);

	if ((unsigned int)q >= BYPASS_NR_QUEUES)
		return -1;
	if (q == BYPASS_QUEUE_RX && e->late_rx)
		pair_late_rx(e);
	return e->base.vd.q[q].irq_fd;
}

static void pair_irq_ack(struct bypass_dev *dev, unsigned int q)
{
	vdev_irq_ack(&to_end(dev)->base.vd, q);
}

static void pair_service(struct bypass_dev *dev)
{
	/* A device thread needs no help from the driver. */
	if (!to_end(dev)->pair->threaded)
		pair_deliver(to_end(dev));
}

static uint64_t pair_now(struct bypass_dev *dev)
{
	if (to_end(dev)->pair->threaded)
		return pair_thread_now();
	return to_end(dev)->pair->now_ns;
}

static struct bypass_qp_stats *pair_stats_page(struct bypass_dev *dev)
{
	return &to_end(dev)->qp_stats;
}

static const struct bypass_dev_ops pair_ops = {
	.get_vring = vdev_op_get_vring,
	.mem_register = vdev_op_mem_register,
	.mem_page_iova = vdev_op_mem_page_iova,
	.mem_unregister = vdev_op_mem_unregister,
	.kick = pair_kick,
	.irq_fd = pair_irq_fd,
	.irq_ack = pair_irq_ack,
	.service = pair_service,
	.now_ns = pair_now,
	.stats_page = pair_stats_page,
	.destroy = NULL,	/* the pair owns its endpoints */
};

int bypass_pair_create(const struct bypass_pair_config *cfg,
		       struct bypass_pair **out)
{
	struct bypass_pair *p = calloc(1, sizeof(*p));
	const char *env = getenv("BYPASS_PAIR_OUT_OF_ORDER");
	bool out_of_order = cfg->out_of_order || (env && env[0] == '1');
	int i, r;

	if (!p)
		return -ENOMEM;
	p->wire_limit = cfg->wire_limit ? cfg->wire_limit : 1024;
	bypass_pair_set_impair(p, &cfg->impair);
	for (i = 0; i < 2; i++) {
		struct pair_end *e = &p->end[i];

		e->pair = p;
		e->side = i;
		e->captured_tail = &e->captured;
		r = vdev_dev_init(&e->base, &pair_ops, cfg->features, cfg->mac[i],
				  cfg->mtu, cfg->queue_size);
		e->base.vd.paged_iova = cfg->paged_iova;
		e->base.vd.out_of_order = out_of_order;
		e->late_rx = cfg->threaded && cfg->late_rx;
		if (r) {
			if (i)
				vdev_fini(&p->end[0].base.vd);
			free(p);
			return r;
		}
	}
	p->kick_fd = -1;
	if (cfg->threaded) {
		r = pair_thread_start(p);
		if (r) {
			bypass_pair_destroy(p);
			return r;
		}
	}
	*out = p;
	return 0;
}

void bypass_pair_destroy(struct bypass_pair *p)
{
	int i;

	if (!p)
		return;
	pair_thread_stop(p);
	for (i = 0; i < 2; i++) {
		frames_free(p->end[i].inbound);
		frames_free(p->end[i].captured);
		vdev_fini(&p->end[i].base.vd);
	}
	free(p);
}

struct bypass_dev *bypass_pair_dev(struct bypass_pair *p, int side)
{
	return &p->end[side & 1].base.dev;
}

uint64_t bypass_pair_now(const struct bypass_pair *p)
{
	return p->now_ns;
}

void bypass_pair_advance(struct bypass_pair *p, uint64_t ns)
{
	if (p->threaded)
		return;
	p->now_ns += ns;
	pair_deliver(&p->end[0]);
	pair_deliver(&p->end[1]);
}

void bypass_pair_set_impair(struct bypass_pair *p,
			    const struct bypass_pair_impair *impair)
{
	p->impair = *impair;
	p->rng = impair->seed;
}

int bypass_pair_inject(struct bypass_pair *p, int side, const void *frame,
		       size_t len)
{
	struct pair_end *to = &p->end[side & 1];
	uint64_t before = to->stats.wire_overflow;

	if (p->threaded)
		return -EBUSY;
	if (len > VDEV_MAX_FRAME)
		return -EMSGSIZE;
	wire_enqueue(to, frame, len, p->now_ns, 0);
	if (to->stats.wire_overflow != before)
		return -ENOBUFS;
	pair_deliver(to);
	return 0;
}

void bypass_pair_set_capture(struct bypass_pair *p, int side, bool on)
{
	p->end[side & 1].capture = on;
}

ssize_t bypass_pair_capture_pop(struct bypass_pair *p, int side, void *buf,
				size_t cap)
{
	struct pair_end *e = &p->end[side & 1];
	struct wire_frame *f = e->captured;
	ssize_t len;

	if (!f)
		return 0;
	if (f->len > cap)
		return -ENOSPC;
	memcpy(buf, f->data, f->len);
	len = (ssize_t)f->len;
	e->captured = f->next;
	if (!e->captured)
		e->captured_tail = &e->captured;
	free(f);
	return len;
}

void bypass_pair_set_tx_stall(struct bypass_pair *p, int side, bool on)
{
	struct pair_end *e = &p->end[side & 1];

	e->tx_stalled = on;
	if (!on)
		pair_send_all(e);
}

void bypass_pair_stats(const struct bypass_pair *p, int side,
		       struct bypass_pair_stats *out)
{
	const struct pair_end *e = &p->end[side & 1];

	*out = e->stats;
	out->irqs[BYPASS_QUEUE_RX] = e->base.vd.q[BYPASS_QUEUE_RX].irqs;
	out->irqs[BYPASS_QUEUE_TX] = e->base.vd.q[BYPASS_QUEUE_TX].irqs;
	out->driver_errors = e->base.vd.errors;
	out->missed_kicks = __atomic_load_n(&p->missed_kicks, __ATOMIC_RELAXED);
}
