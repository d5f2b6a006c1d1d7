/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libbypass TCP engine (draft API): an RFC 9293 TCP that knows nothing
 * of Ethernet or IPv4. It consumes parsed segments, emits segments through
 * an output callback and reads time from a clock callback; the stack (or a
 * test) turns segments into frames and back. Payload is zero-copy: data to
 * send stays in the application's pool buffers until acknowledged, data
 * received is handed over in the buffers it arrived in.
 *
 * One engine belongs to one thread. Addresses are in network byte order,
 * ports and every other field in host order.
 */
#ifndef BYPASS_TCP_H
#define BYPASS_TCP_H

#include <stdbool.h>
#include <stdint.h>

#include "bypass_buf.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bypass_tcp;
struct bypass_tcp_conn;

/* TCP header flags, as on the wire. */
#define BYPASS_TCP_FIN	0x01
#define BYPASS_TCP_SYN	0x02
#define BYPASS_TCP_RST	0x04
#define BYPASS_TCP_PSH	0x08
#define BYPASS_TCP_ACK	0x10
#define BYPASS_TCP_URG	0x20

#define BYPASS_TCP_SACK_MAX	4

/*
 * struct bypass_tcp_opts - the options of one segment. A field counts only
 * when its has_ flag is set.
 */
struct bypass_tcp_opts {
	bool has_mss, has_wscale, has_ts, sack_ok;
	uint16_t mss;
	uint8_t wscale;
	uint32_t ts_val, ts_ecr;
	uint8_t nr_sack;
	struct {
		uint32_t start, end;
	} sack[BYPASS_TCP_SACK_MAX];
};

/* Slices of one segment: a 64 KiB TSO segment of 2 KiB buffers needs 33. */
#define BYPASS_TCP_MAX_FRAGS	48

/* [@buf->data + @off, + @len): one slice of a segment's payload. */
struct bypass_tcp_frag {
	struct bypass_buf *buf;
	uint32_t off, len;
};

/* Bytes of a header template: the fixed header and the timestamp option. */
#define BYPASS_TCP_TMPL_MAX	32

/*
 * struct bypass_tcp_tmpl - room in each connection for the output
 * callback's prebuilt header: what stays the same in every segment of the
 * connection once it is established (ports, data offset, the option
 * layout), and sums and limits the callback precomputes. The engine zeroes it with
 * the connection (@len 0: not built yet) and otherwise leaves it to the
 * callback, which builds it from the first segment that names it.
 */
struct bypass_tcp_tmpl {
	uint32_t sum[2];		/* the callback's */
	uint8_t hdr[BYPASS_TCP_TMPL_MAX];	/* 4-byte aligned */
	uint8_t len;			/* header bytes in @hdr; 0: not built */
	uint16_t max_len;		/* the callback's: most payload it takes */
	uint16_t room;			/* the callback's: headroom it needs */
};

/*
 * struct bypass_tcp_seg - one segment, parsed (input) or to be built
 * (output). The payload is @len bytes in @nr_frags slices, in order: a
 * received segment has one (or none when @len is 0); a sent one may
 * gather several queued buffers (a scatter-gather chain for the device).
 * Checksums are not the engine's business. A sent segment whose @len
 * exceeds @gso_size (only with bypass_tcp_config.tso_max) is to be cut
 * into segments of @gso_size bytes by the device (TSO). A sent segment of
 * an established connection names the connection's template (@tmpl; NULL
 * for a SYN, a RST or a segment of no connection): every field of the
 * segment is still set, the template only saves the callback work.
 */
struct bypass_tcp_seg {
	uint32_t saddr, daddr;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;			/* raw header field, unscaled */
	uint16_t gso_size;		/* output: the MSS, with TSO */
	struct bypass_tcp_tmpl *tmpl;	/* output: see above */
	struct bypass_tcp_opts opt;
	uint32_t len;
	uint8_t nr_frags;
	struct bypass_tcp_frag frag[BYPASS_TCP_MAX_FRAGS];
};

/*
 * struct bypass_tcp_ops - what the engine needs from its host.
 * @now_ns: the clock (monotonic; the in-memory pair's is virtual).
 * @output: send @seg. The fragments' buffer references stay the engine's:
 *	take one with bypass_buf_get() to keep a payload past the call
 *	(e.g. on a TX ring). The bytes of a fragment's buffer may not change,
 *	but its headroom is free for headers while the engine holds the only
 *	reference (the buffer is on no ring). Returns 0, or -EAGAIN when
 *	nothing can be queued now (the engine retries on its timers).
 * @event: optional. Something the application may wait for could have
 *	changed on @c, a connection or listener it holds: data or EOF to
 *	read, send room, the end of a connect, an error, a connection to
 *	accept. Spurious calls are allowed; the application re-checks.
 * No callback may call into the engine: queue what it must deliver for
 * later.
 */
struct bypass_tcp_ops {
	uint64_t (*now_ns)(void *ctx);
	int (*output)(void *ctx, const struct bypass_tcp_seg *seg);
	void (*event)(void *ctx, struct bypass_tcp_conn *c);
};

/*
 * struct bypass_tcp_config - zero means the default for every field.
 * @max_conns: live connections, listeners included (default 16384): the
 *	limit of the connection table. Connections in TIME_WAIT that the
 *	application closed do not count (see @max_time_wait). At the limit
 *	a SYN is dropped (the peer retries it) and connect and listen fail
 *	with -ENOBUFS; each is counted in conn_limit_drops.
 * @init_conns: connections allocated at creation (default 64, at most
 *	@max_conns); the table grows by doubling, in slabs that never move,
 *	up to @max_conns.
 * @max_time_wait: closed connections kept in TIME_WAIT (default 262144,
 *	Linux's usual tcp_max_tw_buckets), each a small record without
 *	buffers. When they are all in use the oldest is ended early
 *	(tw_recycled) for the new one. Both limits are capped at 2^30.
 * @mss: largest segment payload we receive (default 1460).
 * @tso_max: largest payload of one segment handed to @output (default 0:
 *	one MSS). Larger: segments of as many whole MSS as fit in it, which
 *	the host cuts up (TCP segmentation offload); congestion and send
 *	windows bound them as any other.
 * @rcvbuf: receive window in bytes (default 256 KiB).
 * @sndq_bufs: send buffers queued per connection (default 256).
 * @ooo_bufs: out-of-order segments kept per connection (default 32).
 * @rcv_bufs: buffers a connection's received data may hold, receive
 *	queue and out-of-order store together (default @ooo_bufs +
 *	max(64, 2 * @rcvbuf / @mss); must exceed @ooo_bufs). At the bound,
 *	small segments are copied together; what still does not fit is
 *	dropped for the peer to retransmit.
 * @rto_min_ns, @rto_max_ns, @rto_init_ns: RFC 6298 bounds (default
 *	200 ms, 60 s, 1 s).
 * @delack_ns: delayed-ACK limit (default 40 ms).
 * @msl_ns: TIME_WAIT lasts 2 * msl_ns (default 30 s).
 * @retries: retransmissions before giving up (default 15; SYNs: 6).
 * @challenge_acks_per_s: RFC 5961 challenge ACKs a connection may send
 *	per second (default 2: Linux's one per 500 ms per connection).
 * @cc: congestion control of new connections (default NewReno).
 * @secret: key of the ISN and table hashes (all zero: random).
 */
struct bypass_tcp_config {
	uint32_t max_conns;
	uint32_t init_conns;
	uint32_t max_time_wait;
	uint16_t mss;
	uint32_t tso_max;
	uint32_t rcvbuf;
	uint32_t sndq_bufs;
	uint32_t ooo_bufs;
	uint32_t rcv_bufs;
	uint64_t rto_min_ns, rto_max_ns, rto_init_ns;
	uint64_t delack_ns;
	uint64_t msl_ns;
	uint32_t retries;
	uint32_t challenge_acks_per_s;
	uint8_t cc;			/* enum bypass_tcp_cc */
	uint8_t secret[16];
};

/*
 * struct bypass_tcp_stats - the engine's counters since its creation.
 * @rcv_collapsed: received buffers freed by copying their bytes into the
 *	buffer before them (a connection at its rcv_bufs bound).
 * @rcv_dropped: in-order segments dropped at the rcv_bufs bound.
 * @ooo_dropped: out-of-order segments dropped (or evicted) for room.
 * @sack_reneged: peers found to have discarded data they had SACKed.
 * @pmtu_lowered: connections whose MSS an ICMP "fragmentation needed"
 *	lowered.
 * @icmp_ignored: ICMP errors for no connection, quoting a sequence
 *	number the connection has not in flight, or not lowering the MSS.
 * @listen_overflows: SYNs dropped because the listener's accept queue
 *	was full (the peer retries them).
 * @conns: live connections and listeners now (a gauge).
 * @conns_allocated: connections the table has room for now (a gauge:
 *	grows from init_conns up to max_conns, never shrinks).
 * @conn_limit_drops: SYNs dropped and connects or listens refused
 *	because @conns was at max_conns (or memory ran out growing the
 *	table).
 * @time_wait: closed connections in TIME_WAIT now (a gauge).
 * @tw_recycled: TIME_WAITs ended early because max_time_wait were in use.
 * @tw_syn_reopened: TIME_WAITs ended by a new SYN (RFC 6191).
 * @tw_reused: TIME_WAITs whose 4-tuple a connect took over.
 */
struct bypass_tcp_stats {
	uint64_t rcv_collapsed;
	uint64_t rcv_dropped;
	uint64_t ooo_dropped;
	uint64_t sack_reneged;
	uint64_t pmtu_lowered;
	uint64_t icmp_ignored;
	uint64_t listen_overflows;
	uint64_t conns;
	uint64_t conns_allocated;
	uint64_t conn_limit_drops;
	uint64_t time_wait;
	uint64_t tw_recycled;
	uint64_t tw_syn_reopened;
	uint64_t tw_reused;
};

enum bypass_tcp_cc {
	BYPASS_TCP_CC_DEFAULT,
	BYPASS_TCP_CC_NEWRENO,		/* RFC 5681, RFC 6582 */
	BYPASS_TCP_CC_CUBIC,		/* RFC 9438 */
};

enum bypass_tcp_state {
	BYPASS_TCP_CLOSED,
	BYPASS_TCP_LISTEN,
	BYPASS_TCP_SYN_SENT,
	BYPASS_TCP_SYN_RECEIVED,
	BYPASS_TCP_ESTABLISHED,
	BYPASS_TCP_FIN_WAIT_1,
	BYPASS_TCP_FIN_WAIT_2,
	BYPASS_TCP_CLOSE_WAIT,
	BYPASS_TCP_CLOSING,
	BYPASS_TCP_LAST_ACK,
	BYPASS_TCP_TIME_WAIT,
};

int bypass_tcp_create(const struct bypass_tcp_config *cfg,
		      const struct bypass_tcp_ops *ops, void *ctx,
		      struct bypass_tcp **out);
/* Frees every connection and the buffers they hold; sends nothing. */
void bypass_tcp_destroy(struct bypass_tcp *tcp);
/* A copy of the engine's counters. */
void bypass_tcp_get_stats(const struct bypass_tcp *tcp,
			  struct bypass_tcp_stats *out);

/*
 * bypass_tcp_input - process one received segment addressed to us; the
 * engine takes the reference to @seg->frag[0].buf, whose data/len must be
 * exactly the payload (@nr_frags 1, @off 0, @len @buf->len; @nr_frags 0
 * when there is no payload).
 */
void bypass_tcp_input(struct bypass_tcp *tcp, struct bypass_tcp_seg *seg);

/*
 * bypass_tcp_frag_needed - an ICMP "fragmentation needed and DF set"
 * (RFC 1191: destination unreachable, code 4) came back quoting a segment
 * of ours from @laddr:@lport to @raddr:@rport with sequence number @seq.
 * @mtu is the next-hop MTU it reports, 0 when the router gave none; then
 * @dgram_len, the quoted datagram's total length (0: unknown), picks the
 * next lower plateau (RFC 1191 section 7). The MTU is taken as at least
 * 576. Returns 0 when the connection's MSS was lowered (and what it had
 * in flight is sent again in the new size), -ENOENT for no connection,
 * -ERANGE when @seq is not in SND.UNA..SND.MAX - 1 (RFC 5927 4.1: stale
 * or forged) or quotes a SYN, -EINVAL when the MSS would not go down.
 */
int bypass_tcp_frag_needed(struct bypass_tcp *tcp, uint32_t laddr,
			   uint16_t lport, uint32_t raddr, uint16_t rport,
			   uint32_t seq, uint16_t mtu, uint16_t dgram_len);

/* Run due timers. Call at least every millisecond while connections live. */
void bypass_tcp_poll(struct bypass_tcp *tcp);
/*
 * Nanoseconds until the next timer, UINT64_MAX if none; 0 while window
 * updates wait for bypass_tcp_poll().
 */
uint64_t bypass_tcp_next_timer(struct bypass_tcp *tcp);

/* A listener on @addr (0: any):@port; @backlog bounds pending + ready. */
int bypass_tcp_listen(struct bypass_tcp *tcp, uint32_t addr, uint16_t port,
		      uint32_t backlog, struct bypass_tcp_conn **out);
/* The oldest established connection of @listener, or NULL. */
struct bypass_tcp_conn *bypass_tcp_accept(struct bypass_tcp_conn *listener);

/*
 * Active open from @laddr:@lport (must be non-zero) to @raddr:@rport.
 * -EADDRINUSE when the 4-tuple is taken: by a live connection, or by a
 * TIME_WAIT that may not be reused yet. A TIME_WAIT of ours is taken
 * over (as Linux with tcp_tw_reuse=1) when the peer used timestamps and
 * sent its last segment a second or more ago: our timestamps on the
 * tuple only grow and the new ISN starts past the old sequence space.
 * -ENOBUFS at max_conns.
 */
int bypass_tcp_connect(struct bypass_tcp *tcp, uint32_t laddr, uint16_t lport,
		       uint32_t raddr, uint16_t rport,
		       struct bypass_tcp_conn **out);

/*
 * bypass_tcp_send - queue [@buf->data, +@buf->len) for sending; the engine
 * takes the caller's reference in every case and must not see the bytes
 * change until it drops it. -ENOTCONN, -EPIPE (we closed), -ENOBUFS
 * (send queue full), -EINVAL (empty).
 */
int bypass_tcp_send(struct bypass_tcp_conn *c, struct bypass_buf *buf);

/*
 * bypass_tcp_sendv - queue @n buffers, in order, for sending, as
 * bypass_tcp_send() each, then run the output once, so that a write of
 * many buffers leaves as full segments, not one short segment per
 * buffer's tail. Returns how many it queued (their references are the
 * engine's): fewer than @n when the send queue filled (-ENOBUFS for the
 * next) or a buffer is empty (-EINVAL); the buffers not queued stay the
 * caller's. When none could be queued it returns bypass_tcp_send()'s
 * error instead.
 */
int bypass_tcp_sendv(struct bypass_tcp_conn *c, struct bypass_buf *const *bufs,
		     uint32_t n);

/*
 * bypass_tcp_recv - the next in-order received bytes (data/len), or NULL;
 * the caller owns the buffer. Reading opens the receive window; the next
 * bypass_tcp_poll() tells the peer when that matters.
 */
struct bypass_buf *bypass_tcp_recv(struct bypass_tcp_conn *c);

/* Connections of @listener that bypass_tcp_accept() would return now. */
uint32_t bypass_tcp_acceptable(const struct bypass_tcp_conn *listener);

/* Bytes sent or queued on @c that the peer has not acknowledged yet. */
uint32_t bypass_tcp_unacked(const struct bypass_tcp_conn *c);

/* The addresses (network order, may be NULL) and ports of @c. */
void bypass_tcp_peer(const struct bypass_tcp_conn *c, uint32_t *addr,
		     uint16_t *port);
void bypass_tcp_local(const struct bypass_tcp_conn *c, uint32_t *addr,
		      uint16_t *port);

/* The application's pointer for @c (NULL until set; kept until close). */
void bypass_tcp_set_user(struct bypass_tcp_conn *c, void *user);
void *bypass_tcp_user(const struct bypass_tcp_conn *c);

/* Bytes waiting in bypass_tcp_recv()'s queue. */
uint32_t bypass_tcp_readable(const struct bypass_tcp_conn *c);
/* Buffers bypass_tcp_send() would still queue now. */
uint32_t bypass_tcp_send_room(const struct bypass_tcp_conn *c);
/* True once the peer's FIN was received and every byte before it read. */
bool bypass_tcp_eof(const struct bypass_tcp_conn *c);

/* Congestion control of @c from now on; -EINVAL for an unknown one. */
int bypass_tcp_set_cc(struct bypass_tcp_conn *c, enum bypass_tcp_cc cc);

/* Disable Nagle's algorithm (send small segments at once). */
void bypass_tcp_set_nodelay(struct bypass_tcp_conn *c, bool on);

/*
 * bypass_tcp_set_keepalive - after @idle_ns without a segment from the
 * peer, probe it every @intvl_ns; after @count unanswered probes reset the
 * connection (ETIMEDOUT). @idle_ns 0 turns it off. -EINVAL for a zero
 * @intvl_ns or @count.
 */
int bypass_tcp_set_keepalive(struct bypass_tcp_conn *c, uint64_t idle_ns,
			     uint64_t intvl_ns, uint32_t count);

/* Half-close: send FIN after the queued data; receiving goes on. */
int bypass_tcp_shutdown(struct bypass_tcp_conn *c);

/*
 * bypass_tcp_close - the application is done with @c: FIN after the queued
 * data (the engine finishes the connection on its own and frees it), or
 * a listener's end (pending connections are reset). @c is invalid after.
 */
void bypass_tcp_close(struct bypass_tcp_conn *c);
/* Send RST and free @c now. */
void bypass_tcp_abort(struct bypass_tcp_conn *c);

enum bypass_tcp_state bypass_tcp_state(const struct bypass_tcp_conn *c);
/* 0, or why the connection died: ECONNRESET, ECONNREFUSED, ETIMEDOUT. */
int bypass_tcp_error(const struct bypass_tcp_conn *c);
const char *bypass_tcp_state_name(enum bypass_tcp_state s);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_TCP_H */
