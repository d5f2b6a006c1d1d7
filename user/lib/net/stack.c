// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The stack's life and its ring work: create and destroy, the poll loop
 * (reap RX in batches, refill, reclaim TX, run timers, one kick per queue),
 * and putting frames on the TX ring behind a virtio-net header, or on a
 * bounded backlog, in order, while the ring is full.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "libbypass.h"
#include "stack.h"
#include "tcp.h"

#define TCP_CSUM_OFFSET		16	/* offsetof(struct tcphdr, check) */
#define TCP_DOFF_OFFSET		12	/* offsetof(struct tcphdr, doff) */

static void stack_tx_linearize_at(struct bypass_stack *st, struct bypass_buf *b,
				  uint32_t ip_off);

/* pool_put() of a posted buffer's cookie. */
static inline void stack_put_cookie(void *cookie)
{
	pool_put(cookie);
}

/*
 * Sent buffers back to the pool: the plain ones straight from the used
 * ring, then chains and anything odd through the general reap.
 */
static void stack_reclaim_tx(struct bypass_stack *st)
{
	void *done[STACK_RX_BATCH];
	uint16_t i, n;

	st->tx_reclaim_polls = 0;
	virtq_put_used_plain(&st->txq, stack_put_cookie);
	do {
		n = virtq_get_used_burst(&st->txq, done, NULL, STACK_RX_BATCH);
		for (i = 0; i < n; i++)
			pool_put(done[i]);
	} while (n == STACK_RX_BATCH);
}

/*
 * Ask the device to finish the checksum (and for a TSO frame, to cut the
 * segments) of the frame at @b, whose virtio-net header @vh is zero.
 */
static void stack_tx_offload(struct bypass_stack *st, struct bypass_buf *b,
			     struct virtio_net_hdr_v1 *vh, uint8_t nr,
			     uint32_t frags_len)
{
	const struct ethhdr *eh = (const struct ethhdr *)b->data;
	const struct iphdr *ip = (const struct iphdr *)(eh + 1);
	uint16_t l4;

	/* udp.c and tcp_stack.c left the pseudo-header sum for the device. */
	if (eh->h_proto != htons(ETH_P_IP) ||
	    (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP))
		return;
	l4 = (uint16_t)(ETH_HLEN + ip->ihl * 4);
	vh->flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
	vh->csum_start = htole16(l4);
	vh->csum_offset = htole16(ip->protocol == IPPROTO_UDP ?
				  offsetof(struct udphdr, check) :
				  TCP_CSUM_OFFSET);
	st->c.offload.tx_csum++;
	/* A TSO frame has slices (never one from the backlog). */
	if (nr && st->tx_gso_size) {
		/* The TCP data offset: the byte after ack_seq. */
		uint8_t doff = b->data[l4 + TCP_DOFF_OFFSET] >> 4;

		vh->gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
		vh->gso_size = htole16(st->tx_gso_size);
		vh->hdr_len = htole16(l4 + doff * 4);
		st->c.offload.tx_tso++;
		st->c.offload.tx_tso_bytes += b->len + frags_len;
	}
}

/*
 * The virtio-net header in front of the frame at @b (with @nr slices of
 * @frags_len bytes behind it), the frame counted as sent.
 */
static inline struct virtio_net_hdr_v1 *stack_tx_vhdr(struct bypass_stack *st,
						      struct bypass_buf *b,
						      uint8_t nr,
						      uint32_t frags_len)
{
	struct virtio_net_hdr_v1 *vh;
	uint64_t zero = 0;

	vh = (struct virtio_net_hdr_v1 *)(b->data - st->hdr_len);
	/*
	 * All zero (no offload): 8 bytes from the start and the 4 before the
	 * frame cover the legacy 10-byte header and the 12-byte one alike.
	 */
	memcpy(vh, &zero, 8);
	memcpy(b->data - 4, &zero, 4);
	/*
	 * The two counters on either side of the test: together the compiler
	 * adds them as one vector, which costs more than two plain adds.
	 */
	st->c.ring.tx_frames++;
	if (st->tx_csum)
		stack_tx_offload(st, b, vh, nr, frags_len);
	st->c.ring.tx_bytes += b->len + frags_len;
	return vh;
}

/* Put a one-buffer frame on the TX ring (room was checked): one descriptor. */
static inline void stack_tx_post_one(struct bypass_stack *st,
				     struct bypass_buf *b)
{
	struct virtio_net_hdr_v1 *vh = stack_tx_vhdr(st, b, 0, 0);

	/* Headers and payload in one buffer. */
	virtq_add(&st->txq, bypass_buf_iova(b, vh), st->hdr_len + b->len,
		  false, b);
}

/* Put a frame and its @nr (>= 1) chained slices on the TX ring (room was checked). */
static void stack_tx_post_chain(struct bypass_stack *st, struct bypass_buf *b,
				const struct bypass_tcp_frag *frags, uint8_t nr,
				uint32_t frags_len)
{
	struct virtio_net_hdr_v1 *vh = stack_tx_vhdr(st, b, nr, frags_len);
	struct virtq_seg sg[1 + BYPASS_TCP_MAX_FRAGS];
	uint16_t i;

	sg[0].iova = bypass_buf_iova(b, vh);
	sg[0].len = st->hdr_len + b->len;
	sg[0].cookie = b;
	for (i = 0; i < nr; i++) {
		const struct bypass_tcp_frag *f = &frags[i];

		sg[i + 1].iova = bypass_buf_iova(f->buf, f->buf->data + f->off);
		sg[i + 1].len = f->len;
		sg[i + 1].cookie = f->buf;
		/* Released when the device completes the chain. */
		bypass_buf_get(f->buf);
	}
	virtq_add_chain(&st->txq, sg, 1 + nr);
}

/*
 * Take back what the device finished, then move waiting frames onto the
 * ring, oldest first, while they fit (one descriptor each).
 */
static void stack_tx_backlog_drain(struct bypass_stack *st)
{
	stack_reclaim_tx(st);
	while (st->tx_backlog_len && virtq_free(&st->txq)) {
		struct bypass_buf *b = st->tx_backlog[st->tx_backlog_head];

		st->tx_backlog[st->tx_backlog_head] = NULL;
		if (++st->tx_backlog_head == st->tx_backlog_cap)
			st->tx_backlog_head = 0;
		st->tx_backlog_len--;
		stack_tx_post_one(st, b);
	}
}

/* Queue @b behind the frames waiting for ring room, or drop it. */
static int stack_tx_backlog_add(struct bypass_stack *st, struct bypass_buf *b)
{
	uint32_t tail;

	if (st->tx_backlog_len == st->tx_backlog_cap) {
		stack_drop(st, b, BYPASS_DROP_TX_BACKLOG_FULL);
		return -EAGAIN;
	}
	/* The slices' owners may change them before the ring has room. */
	stack_tx_linearize_at(st, b, ETH_HLEN);
	tail = st->tx_backlog_head + st->tx_backlog_len;
	if (tail >= st->tx_backlog_cap)
		tail -= st->tx_backlog_cap;
	st->tx_backlog[tail] = b;
	st->tx_backlog_len++;
	st->c.ring.tx_backlogged++;
	return STACK_TX_BACKLOG;
}

/* A frame of @need descriptors may go on the ring now, ahead of nothing. */
static inline bool stack_tx_fits(const struct bypass_stack *st, uint16_t need)
{
	return !st->tx_backlog_len && virtq_free(&st->txq) >= need;
}

/* stack_xmit() for a frame with slices, or no room, or frames waiting. */
static int stack_xmit_slow(struct bypass_stack *st, struct bypass_buf *b)
{
	uint16_t need = 1 + st->tx_nr_frags;

	if (!stack_tx_fits(st, need)) {
		/* The device finished nothing since: no flush or reclaim per frame. */
		if (st->tx_backlog_len && !virtq_has_used(&st->txq))
			return stack_tx_backlog_add(st, b);
		/* Hand over what is queued, take back what is done. */
		bypass_stack_flush(st);
		stack_tx_backlog_drain(st);
		/* Behind frames still waiting, so the order holds. */
		if (!stack_tx_fits(st, need))
			return stack_tx_backlog_add(st, b);
	}
	if (!st->tx_nr_frags)
		stack_tx_post_one(st, b);
	else
		stack_tx_post_chain(st, b, st->tx_frags, st->tx_nr_frags,
				    st->tx_frags_len);
	return STACK_TX_POSTED;
}

/*
 * Inlined into its callers under LTO (an ordinary call without it): the
 * senders that reach it (UDP, TCP and ipv4_send() through the prebuilt
 * headers) are several, and the compiler would otherwise keep one copy.
 */
inline __attribute__((always_inline))
int stack_xmit(struct bypass_stack *st, struct bypass_buf *b)
{
	/* The common frame: one buffer, a free descriptor, nothing waiting. */
	if (__builtin_expect(!(st->tx_nr_frags | st->tx_backlog_len) &&
			     virtq_free(&st->txq), 1)) {
		stack_tx_post_one(st, b);
		return STACK_TX_POSTED;
	}
	return stack_xmit_slow(st, b);
}

bool stack_tx_room(struct bypass_stack *st, uint16_t need)
{
	if (stack_tx_fits(st, need))
		return true;
	bypass_stack_flush(st);
	stack_tx_backlog_drain(st);
	return stack_tx_fits(st, need);
}

/*
 * The TCP frame at @b (IPv4 header @ip_off bytes in) lost the end of its
 * payload: a shorter segment now, its lengths and checksums set again,
 * FIN and PSH left to the rest (which the engine retransmits).
 */
static void stack_tx_truncated(struct bypass_stack *st, struct bypass_buf *b,
			       uint32_t ip_off)
{
	struct iphdr *ip = (struct iphdr *)(b->data + ip_off);
	uint8_t *th = (uint8_t *)ip + ip->ihl * 4;
	uint16_t l4_len = (uint16_t)(b->len - ip_off - ip->ihl * 4u);
	uint32_t sum = ipv4_pseudo_sum(ip->saddr, ip->daddr, IPPROTO_TCP, l4_len);
	uint16_t check = 0;

	ip->tot_len = htons((uint16_t)(ip->ihl * 4u + l4_len));
	ip->check = 0;
	ip->check = bypass_csum_fold(bypass_csum_partial(ip, ip->ihl * 4u, 0));
	th[TCP_DOFF_OFFSET + 1] &= (uint8_t)~(BYPASS_TCP_FIN | BYPASS_TCP_PSH);
	memcpy(th + TCP_CSUM_OFFSET, &check, sizeof(check));
	if (st->tx_csum)	/* the device ends it */
		check = (uint16_t)~bypass_csum_fold(sum);
	else
		check = bypass_csum_fold(bypass_csum_partial(th, l4_len, sum));
	memcpy(th + TCP_CSUM_OFFSET, &check, sizeof(check));
}

/* stack_tx_linearize() for a frame whose IPv4 header is @ip_off bytes in. */
static void stack_tx_linearize_at(struct bypass_stack *st, struct bypass_buf *b,
				  uint32_t ip_off)
{
	uint32_t keep = st->tx_frags_len, room = bypass_buf_tailroom(b), left;
	uint8_t i;

	/* A TSO frame keeps one segment, a jumbo one what a buffer holds. */
	if (st->tx_gso_size && keep > st->tx_gso_size)
		keep = st->tx_gso_size;
	if (keep > room)
		keep = room;
	for (i = 0, left = keep; i < st->tx_nr_frags && left; i++) {
		const struct bypass_tcp_frag *f = &st->tx_frags[i];
		uint32_t n = f->len < left ? f->len : left;

		memcpy(b->data + b->len, f->buf->data + f->off, n);
		b->len += n;
		left -= n;
	}
	if (keep < st->tx_frags_len)
		stack_tx_truncated(st, b, ip_off);
	st->tx_nr_frags = 0;
	st->tx_frags_len = 0;
	st->tx_gso_size = 0;
}

void stack_tx_linearize(struct bypass_stack *st, struct bypass_buf *b)
{
	stack_tx_linearize_at(st, b, 0);
}

void bypass_stack_flush(struct bypass_stack *st)
{
	if (virtq_publish(&st->txq)) {
		st->dev->ops->kick(st->dev, BYPASS_QUEUE_TX);
		st->c.ring.tx_kicks++;
	}
}

/* Fill the RX ring's free places, then publish them once. */
static void stack_refill_rx(struct bypass_stack *st)
{
	uint16_t want;

	/* Their data and len are set when they come back (stack_rx_frame). */
	while ((want = virtq_free(&st->rxq)))
		/* Short: the pool ran dry; the next pass grows it if it may. */
		if (!pool_post_rx(st->pool, &st->rxq, st->rx_off, want))
			break;	/* the pool is empty and cannot grow */
	if (virtq_publish(&st->rxq)) {
		st->dev->ops->kick(st->dev, BYPASS_QUEUE_RX);
		st->c.ring.rx_kicks++;
	}
}

/* Hand a whole frame (@b, then rx_chain) to the layers, then free the rest. */
static inline __attribute__((always_inline))
void stack_rx_deliver(struct bypass_stack *st, struct bypass_buf *b,
		      uint8_t flags)
{
	st->rx_l4_valid = false;
	if (st->rx_csum) {
		bool valid = flags & (VIRTIO_NET_HDR_F_DATA_VALID |
				      VIRTIO_NET_HDR_F_NEEDS_CSUM);

		st->rx_l4_valid = valid;
		st->c.offload.rx_csum_valid += valid;
	}
	b->next = NULL;
	/* Every layer either takes a merged frame's chain or drops it. */
	eth_input(st, b);
}

void stack_rx_chain_free(struct bypass_stack *st)
{
	while (st->rx_chain_nr)
		pool_put(st->rx_chain[--st->rx_chain_nr]);
	st->rx_chain_len = 0;
}

/* Drop the merged frame being collected; skip its @left buffers to come. */
static void stack_rx_chain_drop(struct bypass_stack *st, uint16_t left,
				enum bypass_drop reason)
{
	struct bypass_buf *head = st->rx_head;

	st->rx_head = NULL;
	stack_drop(st, head, reason);
	st->rx_more = left;
}

/*
 * One more buffer of the merged frame being collected: the frame's first
 * buffer once it is complete, else NULL.
 */
static struct bypass_buf *stack_rx_chain_add(struct bypass_stack *st,
					     struct bypass_buf *b, uint32_t len)
{
	struct bypass_buf *head = st->rx_head;

	st->rx_more--;
	if (len > b->size - st->rx_off) {
		pool_put(b);
		stack_rx_chain_drop(st, st->rx_more, BYPASS_DROP_RING_BAD_LEN);
		return NULL;
	}
	b->data = b->head + st->rx_off;
	b->len = len;
	st->rx_chain[st->rx_chain_nr++] = b;
	st->rx_chain_len += len;
	st->c.ring.rx_bytes += len;
	if (st->rx_more)
		return NULL;
	st->rx_head = NULL;
	st->c.offload.rx_merged++;
	st->c.offload.rx_merged_bufs += 1 + st->rx_chain_nr;
	return head;
}

void stack_rx_frame(struct bypass_stack *st, struct bypass_buf *b, uint32_t len)
{
	struct virtio_net_hdr_v1 *vh = (struct virtio_net_hdr_v1 *)(b->head + st->rx_off);
	uint8_t flags;

	if (__builtin_expect(st->rx_more, 0)) {
		if (st->rx_head) {
			b = stack_rx_chain_add(st, b, len);
			if (!b)
				return;
			flags = st->rx_head_flags;
			goto deliver;
		}
		/* The tail of a merged frame already dropped. */
		st->rx_more--;
		pool_put(b);
		return;
	}
	/* Shorter than the header (wrapping round) or longer than the buffer. */
	if (len - st->hdr_len > st->rx_data_max) {
		stack_drop(st, b, BYPASS_DROP_RING_BAD_LEN);
		return;
	}
	len -= st->hdr_len;
	/* rx_frames apart from rx_bytes (see stack_tx_vhdr): one count per path. */
	st->c.ring.rx_bytes += len;
	b->data = (uint8_t *)vh + st->hdr_len;
	b->len = len;
	if (st->hdr_len == sizeof(*vh) && le16toh(vh->num_buffers) > 1) {
		uint16_t nb = le16toh(vh->num_buffers);

		st->c.ring.rx_frames++;

		if (nb > virtq_size(&st->rxq)) {
			/* Impossible: do not throw away the frames after it. */
			stack_drop(st, b, BYPASS_DROP_RING_BAD_LEN);
			return;
		}
		if (nb > 1 + STACK_RX_CHAIN_MAX) {
			/* Larger than any frame we take: skip the rest. */
			st->rx_more = nb - 1;
			stack_drop(st, b, BYPASS_DROP_RING_MERGED);
			return;
		}
		/* The rest follows in the next used entries. */
		st->rx_head = b;
		st->rx_head_flags = vh->flags;
		st->rx_more = nb - 1;
		return;
	}
	st->c.ring.rx_frames++;
	flags = vh->flags;
deliver:
	/* One call site of the layers above: they are inlined here. */
	stack_rx_deliver(st, b, flags);
}

void stack_rx_trim(struct bypass_stack *st, struct bypass_buf *b, uint32_t len)
{
	uint16_t i = 0, keep;

	if (len < b->len)
		b->len = len;
	len -= b->len;
	st->rx_chain_len = 0;
	for (keep = 0; keep < st->rx_chain_nr && len; keep++) {
		struct bypass_buf *c = st->rx_chain[keep];

		if (c->len > len)
			c->len = len;
		len -= c->len;
		st->rx_chain_len += c->len;
	}
	for (i = keep; i < st->rx_chain_nr; i++)
		pool_put(st->rx_chain[i]);
	st->rx_chain_nr = keep;
}

static void stat_store(__u64 *field, uint64_t v)
{
	__atomic_store_n(field, v, __ATOMIC_RELAXED);
}

/*
 * Mirror the ring counters and the TCP engine's table into the device's
 * shared statistics page.
 */
static void stack_publish_stats(struct bypass_stack *st)
{
	struct bypass_qp_stats *qs = st->qp_stats;
	struct bypass_tcp_stats ts;
	const uint64_t *d = st->c.drops;
	uint64_t tx_drops = d[BYPASS_DROP_TX_BACKLOG_FULL] + d[BYPASS_DROP_TX_NO_BUFFER] +
			    d[BYPASS_DROP_TX_TOO_BIG] + d[BYPASS_DROP_ARP_UNRESOLVED] +
			    d[BYPASS_DROP_ARP_QUEUE_FULL] + d[BYPASS_DROP_ARP_TABLE_FULL] +
			    d[BYPASS_DROP_IPV4_NO_ROUTE];

	stat_store(&qs->rx_packets, st->c.ring.rx_frames);
	stat_store(&qs->rx_bytes, st->c.ring.rx_bytes);
	stat_store(&qs->rx_drops, st->drops_total - tx_drops);
	stat_store(&qs->tx_packets, st->c.ring.tx_frames);
	stat_store(&qs->tx_bytes, st->c.ring.tx_bytes);
	stat_store(&qs->tx_drops, tx_drops);
	stat_store(&qs->doorbells, st->c.ring.rx_kicks + st->c.ring.tx_kicks);
	bypass_tcp_get_stats(st->tcp, &ts);
	stat_store(&qs->tcp_conns, ts.conns);
	stat_store(&qs->tcp_time_wait, ts.time_wait);
	stat_store(&qs->tcp_conn_limit_drops, ts.conn_limit_drops);
	stat_store(&qs->tcp_tw_recycled, ts.tw_recycled);
	st->stats_tcp_seen = tcp_stack_table_size(st);
}

/*
 * A poll's work before reaping: the device's service call, and interrupts
 * a wait enabled switched off again (the wakeups consumed). The service
 * call alone, every poll of a device that has one, is the poll's own test.
 */
static void stack_poll_pre(struct bypass_stack *st)
{
	uint8_t pre;

	if (st->poll_pre & STACK_POLL_SERVICE)
		st->dev->ops->service(st->dev);
	pre = st->poll_pre;
	st->poll_pre = pre & STACK_POLL_SERVICE;
	if (pre & STACK_POLL_ARMED) {
		/* Woken up (or not): back to polling without interrupts. */
		virtq_disable_irq(&st->rxq);
		if (st->dev->ops->irq_ack)
			st->dev->ops->irq_ack(st->dev, BYPASS_QUEUE_RX);
	}
	if (pre & STACK_POLL_TX_ARMED) {
		virtq_disable_irq(&st->txq);
		if (st->dev->ops->irq_ack)
			st->dev->ops->irq_ack(st->dev, BYPASS_QUEUE_TX);
	}
}

int bypass_stack_poll(struct bypass_stack *st)
{
	void *rx[STACK_RX_BATCH];
	uint32_t rx_len[STACK_RX_BATCH];
	uint64_t now;
	int i, n;

	if (st->poll_pre) {
		if (st->poll_pre == STACK_POLL_SERVICE)
			st->dev->ops->service(st->dev);
		else
			stack_poll_pre(st);
	}
	stack_clock_hold(st);
	n = virtq_get_used_burst(&st->rxq, rx, rx_len, STACK_RX_BATCH);
	for (i = 0; i < n; i++)
		stack_rx_frame(st, rx[i], rx_len[i]);
	/* Busy polls refill in batches; one that received nothing tops up. */
	if (!n || st->rxq.inflight <= st->rx_inflight_min)
		stack_refill_rx(st);
	now = stack_now(st);
	if (now >= st->arp_next_ns)
		arp_timers(st, now);
	/* The engine's poll only when it has work (an exact test). */
	if (tcp_poll_due(st->tcp, now))
		bypass_tcp_poll(st->tcp);
	/*
	 * Sent buffers go back to the pool when frames wait for the ring,
	 * when the ring runs low, after a poll with nothing received and at
	 * least every STACK_RECLAIM_POLLS polls: not one reclaim per poll.
	 */
	if (st->tx_backlog_len || !n ||
	    st->txq.inflight > st->tx_inflight_max ||
	    ++st->tx_reclaim_polls >= STACK_RECLAIM_POLLS)
		stack_tx_backlog_drain(st);
	bypass_stack_flush(st);
	/*
	 * The page changes (also when TIME_WAITs or connections ended without
	 * traffic): written at once by a poll that found nothing to do, at
	 * most once per STACK_STATS_PERIOD_NS by busy ones.
	 */
	if ((!n || now >= st->stats_next_ns) && st->qp_stats &&
	    (st->c.ring.rx_frames != st->stats_rx_seen ||
	     st->c.ring.tx_frames != st->stats_tx_seen ||
	     st->drops_total != st->stats_drops_seen ||
	     tcp_stack_table_size(st) != st->stats_tcp_seen)) {
		st->stats_rx_seen = st->c.ring.rx_frames;
		st->stats_drops_seen = st->drops_total;
		st->stats_tx_seen = st->c.ring.tx_frames;
		st->stats_next_ns = now + STACK_STATS_PERIOD_NS;
		stack_publish_stats(st);
	}
	stack_clock_release(st);
	return n;
}

static int stack_config(struct bypass_stack *st, struct bypass_dev *dev,
			const struct bypass_stack_config *cfg)
{
	uint16_t dev_mtu = dev->mtu ? dev->mtu : 1500;

	if (!cfg->addr || cfg->prefix_len > 32 || ipv4_is_multicast(cfg->addr))
		return -EINVAL;
	/* Header and frame share one descriptor: the device must allow it. */
	if (!bypass_dev_has(dev, VIRTIO_F_VERSION_1) &&
	    !bypass_dev_has(dev, VIRTIO_F_ANY_LAYOUT))
		return -EOPNOTSUPP;
	st->dev = dev;
	memcpy(st->mac, dev->mac, ETH_ALEN);
	st->addr = cfg->addr;
	st->mask = cfg->prefix_len ? htonl(~0u << (32 - cfg->prefix_len)) : 0;
	st->gateway = cfg->gateway;
	/* Nothing derived from the addresses or ARP yet (tx_cache.gen 0). */
	st->neigh_gen = 1;
	/* A jumbo-capable device still gets 1500 unless asked for more. */
	st->mtu = cfg->mtu ? cfg->mtu : (dev_mtu < 1500 ? dev_mtu : 1500);
	/*
	 * Without merged RX buffers one buffer must hold a whole frame; with
	 * them a larger one arrives in several (taken by TCP only).
	 */
	if (st->mtu < 68 || st->mtu > dev_mtu ||
	    (!bypass_dev_has(dev, VIRTIO_NET_F_MRG_RXBUF) &&
	     st->mtu + ETH_HLEN + 16 > STACK_BUF_SIZE - BYPASS_BUF_HEADROOM))
		return -EINVAL;
	/* The TCP payload one buffer holds behind the largest headers. */
	st->tx_linear_max = STACK_BUF_SIZE - BYPASS_BUF_HEADROOM - 60;
	st->ttl = cfg->ttl ? cfg->ttl : 64;
	st->arp_timeout_ns = cfg->arp_timeout_ns ? cfg->arp_timeout_ns : 60000000000ull;
	st->arp_retry_ns = cfg->arp_retry_ns ? cfg->arp_retry_ns : 1000000000ull;
	st->arp_retries = cfg->arp_retries ? cfg->arp_retries : 3;
	st->spin_ns = cfg->spin_ns ? cfg->spin_ns : 50000;
	st->arp_next_ns = UINT64_MAX;
	st->icmp_err_tokens = ICMP_ERR_BURST;
	st->icmp_err_refill_ns = dev->ops->now_ns(dev);
	st->hdr_len = bypass_dev_has(dev, VIRTIO_F_VERSION_1) ||
		      bypass_dev_has(dev, VIRTIO_NET_F_MRG_RXBUF) ?
		      sizeof(struct virtio_net_hdr_v1) : sizeof(struct virtio_net_hdr);
	/* Put the IP header of received frames on a 4-byte boundary. */
	st->rx_off = (4 - (st->hdr_len + ETH_HLEN) % 4) % 4;
	st->tx_csum = bypass_dev_has(dev, VIRTIO_NET_F_CSUM);
	st->rx_csum = bypass_dev_has(dev, VIRTIO_NET_F_GUEST_CSUM);
	/* The device cuts TCP segments and sums each: TSO needs CSUM. */
	st->tso = st->tx_csum && bypass_dev_has(dev, VIRTIO_NET_F_HOST_TSO4);
	return 0;
}

int bypass_stack_create(struct bypass_dev *dev,
			const struct bypass_stack_config *cfg,
			struct bypass_stack **out)
{
	bool event_idx = bypass_dev_has(dev, VIRTIO_RING_F_EVENT_IDX);
	struct bypass_stack *st = calloc(1, sizeof(*st));
	struct bypass_vring vr;
	uint16_t refill;
	int r;

	if (!st)
		return -ENOMEM;
	r = stack_config(st, dev, cfg);
	if (r)
		goto fail;
	st->udp = calloc(UDP_PORTS, sizeof(*st->udp));
	r = -ENOMEM;
	if (!st->udp)
		goto fail;
	r = bypass_pool_create(dev, cfg->pool_bufs ? cfg->pool_bufs : STACK_POOL_BUFS,
			       STACK_BUF_SIZE, &st->pool);
	if (r)
		goto fail;
	/* What an RX buffer holds behind the virtio-net header. */
	st->rx_data_max = st->pool->buf_size - st->rx_off - st->hdr_len;
	r = dev->ops->get_vring(dev, BYPASS_QUEUE_RX, &vr);
	if (!r)
		r = virtq_init_writable(&st->rxq, &vr, event_idx,
					st->pool->buf_size - st->rx_off);
	if (!r)
		r = dev->ops->get_vring(dev, BYPASS_QUEUE_TX, &vr);
	if (!r)
		r = virtq_init(&st->txq, &vr, event_idx);
	if (r)
		goto fail;
	/*
	 * Busy polls refill RX once a quarter of the ring (at most 16) is
	 * free, and reclaim TX when a quarter of the ring is left.
	 */
	refill = virtq_size(&st->rxq) / 4;
	if (refill > STACK_REFILL_MAX)
		refill = STACK_REFILL_MAX;
	if (!refill)
		refill = 1;
	st->rx_inflight_min = virtq_size(&st->rxq) - refill;
	st->tx_inflight_max = virtq_size(&st->txq) - virtq_size(&st->txq) / 4;
	st->tx_backlog_cap = cfg->tx_backlog ? cfg->tx_backlog :
			     virtq_size(&st->txq);
	st->tx_backlog = calloc(st->tx_backlog_cap, sizeof(*st->tx_backlog));
	r = -ENOMEM;
	if (!st->tx_backlog)
		goto fail;
	r = tcp_stack_init(st, cfg->tcp);
	if (r)
		goto fail;
	if (dev->ops->stats_page)
		st->qp_stats = dev->ops->stats_page(dev);
	if (dev->ops->service)
		st->poll_pre = STACK_POLL_SERVICE;
	stack_refill_rx(st);
	arp_announce(st);
	bypass_stack_flush(st);
	*out = st;
	return 0;
fail:
	bypass_stack_destroy(st);
	return r;
}

void bypass_stack_destroy(struct bypass_stack *st)
{
	if (!st)
		return;
	/* The engine holds pool buffers: free them before the pool. */
	bypass_tcp_destroy(st->tcp);
	if (st->udp)
		udp_close_all(st);
	ping_close_all(st);
	arp_flush_all(st);
	while (st->tx_backlog_len) {
		pool_put(st->tx_backlog[st->tx_backlog_head]);
		st->tx_backlog_head = (st->tx_backlog_head + 1) % st->tx_backlog_cap;
		st->tx_backlog_len--;
	}
	free(st->tx_backlog);
	if (st->rx_head)
		stack_rx_chain_drop(st, 0, BYPASS_DROP_RING_MERGED);
	stack_rx_chain_free(st);
	/* Every buffer back from the rings the device will no longer touch. */
	virtq_drain(&st->rxq, stack_put_cookie);
	virtq_drain(&st->txq, stack_put_cookie);
	bypass_pool_destroy(st->pool);
	free(st->udp);
	free(st);
}

void bypass_stack_counters(const struct bypass_stack *st,
			   struct bypass_counters *out)
{
	struct bypass_tcp_stats ts;

	*out = st->c;
	bypass_tcp_get_stats(st->tcp, &ts);
	out->tcp.conns = ts.conns;
	out->tcp.time_wait = ts.time_wait;
	out->tcp.conn_limit_drops = ts.conn_limit_drops;
	out->tcp.tw_recycled = ts.tw_recycled;
	out->ring.bad_used = st->rxq.bad_used + st->txq.bad_used;
	out->ring.kicks_suppressed = st->rxq.kicks_suppressed +
				     st->txq.kicks_suppressed;
}

struct bypass_pool *bypass_stack_pool(struct bypass_stack *st)
{
	return st->pool;
}

void bypass_stack_mac(const struct bypass_stack *st, uint8_t mac[6])
{
	memcpy(mac, st->mac, ETH_ALEN);
}
