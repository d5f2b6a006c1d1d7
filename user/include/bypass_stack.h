/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libbypass network stack on one virtio-net queue pair: Ethernet, ARP,
 * IPv4, ICMP echo, UDP sockets and TCP, zero-copy over pool buffers, run by the
 * application's own thread (bypass_stack_poll / bypass_stack_wait). A stack
 * and everything it hands out belong to one thread at a time.
 *
 * Addresses are in network byte order (like in_addr_t), ports in host order.
 */
#ifndef BYPASS_STACK_H
#define BYPASS_STACK_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_buf.h"
#include "bypass_counters.h"
#include "bypass_dev.h"
#include "bypass_tcp.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bypass_stack;
struct bypass_udp;
struct bypass_ping;

/*
 * struct bypass_stack_config - what the application decides. Zero means
 * "the default" for every field but the addresses.
 * @addr, @prefix_len: this host's IPv4 address and subnet.
 * @gateway: next hop for destinations off the subnet (0: none).
 * @mtu: IP MTU (default: 1500, or the device's if smaller; at most
 *	1890, what one 2 KiB buffer holds).
 * @pool_bufs: the most buffers the pool grows to (default 4096); it
 *	starts with one chunk (bypass_pool_create()) and grows on demand.
 * @ttl: TTL of sent datagrams (default 64).
 * @arp_timeout_ns: life of a resolved ARP entry (default 60 s).
 * @arp_retry_ns: interval between ARP requests (default 1 s).
 * @arp_retries: requests sent before giving up (default 3).
 * @spin_ns: the longest bypass_stack_wait() polls before sleeping
 *	(default 50 us of real time); within it the spin adapts to the
 *	gaps between frames.
 * @tcp: the TCP engine's configuration (NULL: its defaults); its mss is
 *	ignored, the stack sets mtu - 40.
 * @tx_backlog: frames that may wait, in order, for room on a full TX ring
 *	(default: the ring's size); beyond that a frame is dropped
 *	(tx_backlog_full).
 */
struct bypass_stack_config {
	uint32_t addr;
	uint8_t prefix_len;
	uint32_t gateway;
	uint16_t mtu;
	uint32_t pool_bufs;
	uint8_t ttl;
	uint64_t arp_timeout_ns;
	uint64_t arp_retry_ns;
	uint32_t arp_retries;
	uint64_t spin_ns;
	const struct bypass_tcp_config *tcp;
	uint32_t tx_backlog;
};

/*
 * bypass_stack_create - start a stack on @dev (which must outlive it, and
 * whose rings no other stack has used: they are not reset): sets up the
 * rings, fills the RX ring and sends a gratuitous ARP.
 */
int bypass_stack_create(struct bypass_dev *dev,
			const struct bypass_stack_config *cfg,
			struct bypass_stack **out);
void bypass_stack_destroy(struct bypass_stack *st);

/*
 * bypass_stack_poll - receive and process a batch of frames, run due
 * timers, reclaim sent buffers, refill the RX ring and flush what was
 * queued for sending (one kick per queue). Never blocks. Returns the
 * number of frames received.
 */
int bypass_stack_poll(struct bypass_stack *st);

/* bypass_stack_flush - hand queued frames to the device now (one kick). */
void bypass_stack_flush(struct bypass_stack *st);

/*
 * bypass_stack_wait - hand queued frames to the device (as
 * bypass_stack_flush), spin, polling the RX ring for a time that adapts
 * to the gaps between frames (at most spin_ns: none at first, after a
 * sleep the gap at which the work came plus a quarter when within
 * spin_ns, halved after a longer sleep), then sleep on the RX interrupt
 * until a frame arrives, the next timer is due or @timeout_ms passes (-1:
 * no limit); while the TX ring is full or frames wait on its backlog, a TX
 * completion wakes it too. Returns 1 when there is work for
 * bypass_stack_poll(), 0 on timeout, -errno on error.
 */
int bypass_stack_wait(struct bypass_stack *st, int timeout_ms);

/*
 * For an application's own epoll loop: bypass_stack_fd() is the descriptor
 * to watch (RX). Call bypass_stack_arm() before sleeping: it returns true
 * when sleeping is safe, false when work is already pending (poll
 * instead). After a wakeup, call bypass_stack_poll(): it consumes the
 * notifications. bypass_stack_tx_armed() says whether that arm enabled
 * the TX interrupt too (the TX ring was full or frames waited on its
 * backlog): watch bypass_stack_tx_fd() only then. At other times the
 * device may still signal it now and then (with EVENT_IDX the driver can
 * only ask it not to, and a used index that wraps past the stale request
 * answers it), and nothing consumes those notifications: a loop watching
 * it all the time would find it readable for ever.
 */
int bypass_stack_fd(struct bypass_stack *st);
int bypass_stack_tx_fd(struct bypass_stack *st);
bool bypass_stack_arm(struct bypass_stack *st);
bool bypass_stack_tx_armed(const struct bypass_stack *st);

/* Nanoseconds until the next protocol timer, UINT64_MAX if none. */
uint64_t bypass_stack_next_timer(struct bypass_stack *st);

/*
 * struct bypass_stack_events - optional hooks for a layer above the stack
 * (the application APIs): @tcp as bypass_tcp_ops.event, @udp after a
 * datagram was queued on @sock, @neigh after an ARP packet received
 * taught the stack that @ip (network order) is at @mac (a group shares
 * it with its other stacks). They run inside bypass_stack_poll() and
 * the engine's calls and must not call back into the stack.
 */
struct bypass_stack_events {
	void (*tcp)(void *arg, struct bypass_tcp_conn *c);
	void (*udp)(void *arg, struct bypass_udp *sock);
	void (*neigh)(void *arg, uint32_t ip, const uint8_t mac[6]);
	void *arg;
};
void bypass_stack_set_events(struct bypass_stack *st,
			     const struct bypass_stack_events *ev);

/*
 * bypass_stack_set_ports - the ephemeral ports the stack picks from for
 * TCP connects and unbound UDP sockets: [@lo, @lo + @nr) (default 49152
 * and 16384); the stacks of a group take disjoint ranges, so two of
 * them never choose the same 4-tuple. -EINVAL for an empty range or
 * one past 65535.
 */
int bypass_stack_set_ports(struct bypass_stack *st, uint16_t lo, uint16_t nr);
void bypass_stack_ports(const struct bypass_stack *st, uint16_t *lo,
			uint16_t *nr);

/*
 * bypass_stack_set_wake - another source of work for bypass_stack_wait():
 * it returns as soon as *@pending (read relaxed) is non-zero, and sleeps
 * on @fd (readable while there is such work) besides the interrupts.
 * @pending NULL removes it. A group's context uses it for its mailbox.
 */
void bypass_stack_set_wake(struct bypass_stack *st, int fd, const int *pending);

/* The stack's IPv4 address (network byte order). */
uint32_t bypass_stack_addr(const struct bypass_stack *st);

void bypass_stack_counters(const struct bypass_stack *st,
			   struct bypass_counters *out);
struct bypass_pool *bypass_stack_pool(struct bypass_stack *st);
void bypass_stack_mac(const struct bypass_stack *st, uint8_t mac[6]);

/* ---- UDP ---------------------------------------------------------------- */

/* bypass_udp_open - a socket bound to @port. -EADDRINUSE, -EINVAL for 0. */
int bypass_udp_open(struct bypass_stack *st, uint16_t port,
		    struct bypass_udp **out);
/* bypass_udp_close - unbind; queued datagrams are freed. */
void bypass_udp_close(struct bypass_udp *sock);

/*
 * bypass_udp_sendto - send [@buf->data, +@buf->len) to @addr:@port. The
 * headers are written in front of @buf->data, which needs 54 bytes of
 * headroom and 4-byte alignment (true of a fresh or received buffer). The
 * stack takes the caller's reference in every case; the frame leaves at the
 * next poll or flush (behind frames waiting on the TX backlog). Returns 0,
 * -EMSGSIZE, -ENETUNREACH, -EAGAIN (TX ring and backlog full), -EINVAL.
 */
int bypass_udp_sendto(struct bypass_udp *sock, struct bypass_buf *buf,
		      uint32_t addr, uint16_t port);

/*
 * bypass_udp_recv - the oldest received datagram, or NULL. The caller owns
 * the buffer (data/len is the payload) and must put or send it.
 */
struct bypass_buf *bypass_udp_recv(struct bypass_udp *sock, uint32_t *addr,
				   uint16_t *port);

/* Datagrams waiting in the socket. */
uint32_t bypass_udp_pending(const struct bypass_udp *sock);

/* The application's pointer for @sock (NULL until set). */
void bypass_udp_set_user(struct bypass_udp *sock, void *user);
void *bypass_udp_user(const struct bypass_udp *sock);

/* ---- TCP ---------------------------------------------------------------- */

/*
 * Every stack runs a TCP engine (bypass_tcp.h) with an MSS of mtu - 40,
 * driven by bypass_stack_poll() on the device's clock. Listening and
 * connecting need the stack's address; everything else is done on the
 * connection with the engine's calls, which all return 0 or -errno:
 * bypass_tcp_accept(listener), bypass_tcp_send(c, buf) (the engine keeps
 * the buffer until the bytes are acknowledged), bypass_tcp_recv(c),
 * bypass_tcp_shutdown(c), bypass_tcp_close(c) and bypass_tcp_abort(c).
 * Segments leave at the next poll or flush.
 */

/* The stack's engine, for the bypass_tcp_*() calls that take one. */
struct bypass_tcp *bypass_stack_tcp(struct bypass_stack *st);

/*
 * bypass_stack_tcp_listen - a listener on the stack's address:@port;
 * @backlog bounds connections not yet accepted (0: 128).
 * -EINVAL for port 0, -EADDRINUSE, -ENOBUFS (connection table at its
 * max_conns).
 */
int bypass_stack_tcp_listen(struct bypass_stack *st, uint16_t port,
			    uint32_t backlog, struct bypass_tcp_conn **out);

/*
 * bypass_stack_tcp_connect - open a connection to @addr:@port from an
 * ephemeral port (49152-65535, or bypass_stack_set_ports()'s) chosen as RFC 6056 algorithm 4: from a
 * keyed hash of the destination plus a counter, so connects to one
 * server take consecutive ports, skipping local listeners and tuples in
 * use (a TIME_WAIT of ours is reused when bypass_tcp_connect() allows
 * it); the SYN leaves at the next poll. The connection is established
 * when bypass_tcp_state() says so; bypass_tcp_error() tells why it
 * failed. -EINVAL, -EADDRNOTAVAIL (no port free), -ENOBUFS (connection
 * table at its max_conns).
 */
int bypass_stack_tcp_connect(struct bypass_stack *st, uint32_t addr,
			     uint16_t port, struct bypass_tcp_conn **out);

/* ---- ICMP echo (ping) --------------------------------------------------- */

/*
 * bypass_ping_open - a socket for echo replies carrying identifier @id.
 * -EADDRINUSE when a socket holds an identifier equal modulo 64.
 */
int bypass_ping_open(struct bypass_stack *st, uint16_t id,
		     struct bypass_ping **out);
void bypass_ping_close(struct bypass_ping *p);

/*
 * bypass_ping_send - send an echo request with sequence number @seq and
 * [@buf->data, +@buf->len) as its data, under the same rules as
 * bypass_udp_sendto().
 */
int bypass_ping_send(struct bypass_ping *p, struct bypass_buf *buf,
		     uint32_t addr, uint16_t seq);

/* bypass_ping_recv - the oldest reply (data/len: its data), or NULL. */
struct bypass_buf *bypass_ping_recv(struct bypass_ping *p, uint32_t *addr,
				    uint16_t *seq);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_STACK_H */
