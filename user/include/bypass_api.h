/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The libbypass application API, native part: a context (one per thread,
 * owning a stack on one queue pair), sockets named by queue descriptors,
 * and asynchronous zero-copy operations whose completions are collected
 * with tokens: push and pop of scatter-gather arrays of pool buffers,
 * accept and connect. Waits take a timeout; a NULL timeout waits for ever,
 * asleep on the queue's interrupt after a short spin (the stack's
 * spin_ns), so an idle application uses no CPU.
 *
 * Every call returns 0 (or a count) on success and -errno on failure; the
 * errors of each call are listed in Documentation/api/.
 *
 * Threads: a context and everything it hands out (descriptors, tokens,
 * buffers) belong to the thread that uses it; nothing is locked. Run one
 * context per thread, each on its own queue pair: a group (below) makes
 * such contexts on one NIC share its address. The socket-like calls of
 * bypass_socket.h work on the same contexts and descriptors.
 */
#ifndef BYPASS_API_H
#define BYPASS_API_H

#include <stdint.h>
#include <time.h>

#include "bypass_buf.h"
#include "bypass_dev.h"
#include "bypass_stack.h"

#ifdef __cplusplus
extern "C" {
#endif

struct bypass_ctx;

/*
 * struct bypass_ctx_config - zero means the default for every field.
 * @device: PCI address of the claimed NIC for bypass_ctx_open() (NULL:
 *	the first one).
 * @queue_pair: its queue pair (one per context).
 * @stack: the stack's configuration; an address of 0 takes the one the
 *	administrator recorded with `bypassctl claim`.
 * @max_sockets: descriptors (default 1024).
 * @max_tokens: operations in flight (default 4096).
 */
struct bypass_ctx_config {
	const char *device;
	unsigned int queue_pair;
	struct bypass_stack_config stack;
	uint32_t max_sockets;
	uint32_t max_tokens;
};

/*
 * bypass_ctx_open - attach a queue pair of a NIC claimed by bypass.ko and
 * start a stack on it. Errors: those of bypass_kdev_open(), -EDESTADDRREQ
 * when no address is configured or recorded, -ENOMEM.
 */
int bypass_ctx_open(const struct bypass_ctx_config *cfg,
		    struct bypass_ctx **out);

/*
 * bypass_ctx_create - a context on any device (e.g. the in-memory pair);
 * @dev must outlive the context. Errors: -EINVAL, -ENOMEM and those of
 * bypass_stack_create().
 */
int bypass_ctx_create(struct bypass_dev *dev, const struct bypass_ctx_config *cfg,
		      struct bypass_ctx **out);

/*
 * bypass_ctx_destroy - close every socket (connections are aborted),
 * fail outstanding tokens, stop the stack; the device too when
 * bypass_ctx_open() opened it. Buffers the application still holds must
 * have been freed before.
 */
void bypass_ctx_destroy(struct bypass_ctx *ctx);

/* The context's stack and buffer pool, for the lower-level calls. */
struct bypass_stack *bypass_ctx_stack(struct bypass_ctx *ctx);
struct bypass_pool *bypass_ctx_pool(struct bypass_ctx *ctx);

/*
 * bypass_ctx_poll - do the work that is due without blocking: receive,
 * run timers, complete operations, send. Returns the number of operations
 * completed during this call. Busy applications call it in their loop: no
 * system call unless the device needs a doorbell; with bypass_ctx_fd() in
 * use, a poll that found nothing arms that fd (bypass_ctx_arm).
 */
int bypass_ctx_poll(struct bypass_ctx *ctx);

/*
 * bypass_ctx_fd - a descriptor for the application's own epoll or poll
 * loop. It never misses work: it is readable while the context has work
 * (a frame, a due timer, a completed operation, a ready socket) and also
 * while the device's interrupts are off, which they are from a poll that
 * found traffic until a call finds nothing to do. Such a call arms it
 * (interrupts on, timer set, readable only for work): a receive, accept or
 * send failing with EAGAIN, a connect with EINPROGRESS, a wait that timed
 * out or found nothing ready, a bypass_ctx_poll() that found nothing, or
 * bypass_ctx_arm(). So no system call is made per request while traffic
 * flows, and an application that sleeps after another call only wakes
 * once more. On wakeup call bypass_ctx_poll() or a bypass_*wait* with a
 * zero timeout. -errno if it cannot be made.
 */
int bypass_ctx_fd(struct bypass_ctx *ctx);

/*
 * bypass_ctx_arm - the application is about to sleep on bypass_ctx_fd():
 * arm it. 0: it may sleep (the fd wakes it for the next work); 1: there is
 * work already (the fd is readable), poll first. 0 without a
 * bypass_ctx_fd(); -EINVAL for a NULL context.
 */
int bypass_ctx_arm(struct bypass_ctx *ctx);

/* ---- scatter-gather arrays ----------------------------------------------- */

#define BYPASS_SGA_MAX	8

/*
 * struct bypass_sga - data as a list of pool buffers, each holding
 * [data, data + len). For UDP, @addr/@port name the peer (network-order
 * address, host-order port): the source of a popped datagram, the
 * destination of bypass_qpushto().
 */
struct bypass_sga {
	uint32_t nr_segs;
	struct bypass_buf *segs[BYPASS_SGA_MAX];
	uint32_t addr;
	uint16_t port;
};

/*
 * bypass_sga_alloc - @len bytes of fresh buffers (@len bytes in total, in
 * as many segments as needed, at most BYPASS_SGA_MAX). -EINVAL for 0 or
 * more than fits, -ENOBUFS when the pool runs dry.
 */
int bypass_sga_alloc(struct bypass_ctx *ctx, uint32_t len,
		     struct bypass_sga *sga);
/* bypass_sga_free - return every segment to the pool. */
void bypass_sga_free(struct bypass_sga *sga);
/* Total bytes of @sga. */
uint32_t bypass_sga_len(const struct bypass_sga *sga);

/* ---- queue descriptors and operations ---------------------------------- */

typedef uint64_t bypass_qtoken_t;

enum bypass_opcode {
	BYPASS_OP_PUSH = 1,
	BYPASS_OP_POP,
	BYPASS_OP_ACCEPT,
	BYPASS_OP_CONNECT,
};

/*
 * struct bypass_qresult - a completed operation.
 * @opcode, @qd: what completed, on which descriptor.
 * @err: 0, or the errno the operation failed with (ECONNRESET,
 *	ECONNREFUSED, ETIMEDOUT, EPIPE, ECANCELED when its descriptor was
 *	closed or the context destroyed...). A dead connection's error
 *	comes once per socket; later pops end the stream, pushes get EPIPE.
 * @sga: POP: the data, now the application's to free (nr_segs 0 is the
 *	end of the stream); only its first nr_segs segs are written.
 * @new_qd, @addr, @port: ACCEPT: the connection and its peer.
 */
struct bypass_qresult {
	enum bypass_opcode opcode;
	int qd;
	int err;
	struct bypass_sga sga;
	int new_qd;
	uint32_t addr;
	uint16_t port;
};

/*
 * bypass_qsocket - a TCP (@type SOCK_STREAM) or UDP (SOCK_DGRAM) socket;
 * returns its descriptor. -EINVAL for another type, -EMFILE when the
 * descriptors are used up.
 */
int bypass_qsocket(struct bypass_ctx *ctx, int type);

/*
 * bypass_qbind - bind to @port of the stack's address (@addr must be 0
 * or that address). -EBADF, -EINVAL (bound already, port 0),
 * -EADDRNOTAVAIL (another address), -EADDRINUSE, -ENOMEM.
 */
int bypass_qbind(struct bypass_ctx *ctx, int qd, uint32_t addr, uint16_t port);

/*
 * bypass_qlisten - make a bound TCP socket listen; @backlog bounds the
 * connections not yet accepted (0: 128). -EBADF, -EOPNOTSUPP (UDP),
 * -EDESTADDRREQ (not bound), -EINVAL (connected), -EADDRINUSE, -ENOBUFS.
 */
int bypass_qlisten(struct bypass_ctx *ctx, int qd, uint32_t backlog);

/*
 * bypass_qaccept - start accepting a connection on a listening socket.
 * -EBADF, -EINVAL (not listening), -ENOBUFS (too many tokens).
 */
int bypass_qaccept(struct bypass_ctx *ctx, int qd, bypass_qtoken_t *qt);

/*
 * bypass_qconnect - start connecting a TCP socket to @addr:@port (from
 * its bound port, else an ephemeral one). The token completes when the
 * connection is established or has failed (@err). -EBADF, -EOPNOTSUPP
 * (UDP), -EISCONN, -EALREADY, -EINVAL (address 0 or port 0), -EADDRINUSE,
 * -EADDRNOTAVAIL, -ENOBUFS.
 */
int bypass_qconnect(struct bypass_ctx *ctx, int qd, uint32_t addr,
		    uint16_t port, bypass_qtoken_t *qt);

/*
 * bypass_qpush - send @sga on a connected TCP socket. The buffers become
 * the library's at once, whatever the outcome: do not touch or free them
 * (TCP keeps them until the peer acknowledges the bytes). The token
 * completes when every byte was queued for sending. -EBADF, -EINVAL
 * (empty or over BYPASS_SGA_MAX), -ENOTCONN, -EPIPE (shut down for
 * writing), -EDESTADDRREQ (UDP: use bypass_qpushto), -ENOBUFS (tokens).
 */
int bypass_qpush(struct bypass_ctx *ctx, int qd, struct bypass_sga *sga,
		 bypass_qtoken_t *qt);

/*
 * bypass_qpushto - send one datagram of one segment on a UDP socket to
 * @sga->addr:@sga->port (an unbound socket gets an ephemeral port). The
 * buffer becomes the library's. -EBADF, -EOPNOTSUPP (TCP), -EINVAL,
 * -EMSGSIZE, -ENETUNREACH, -EAGAIN (TX ring and backlog full), -ENOBUFS,
 * and for an unbound socket -EADDRNOTAVAIL or -ENOMEM.
 *
 * Every call that starts an operation returns -EINVAL for a NULL token
 * pointer.
 */
int bypass_qpushto(struct bypass_ctx *ctx, int qd, struct bypass_sga *sga,
		   bypass_qtoken_t *qt);

/*
 * bypass_qpop - start receiving: the token completes with the next data
 * (TCP: what has arrived, up to BYPASS_SGA_MAX buffers; UDP: one
 * datagram), or nr_segs 0 at the end of a TCP stream. -EBADF, -ENOTCONN,
 * -ENOBUFS (tokens).
 */
int bypass_qpop(struct bypass_ctx *ctx, int qd, bypass_qtoken_t *qt);

/*
 * bypass_qwait - wait for @qt to complete, at most @timeout (NULL: for
 * ever). Returns 0 and the result (the token is then spent), -ETIMEDOUT
 * (the token stays valid), -EINVAL (unknown or spent token).
 */
int bypass_qwait(struct bypass_ctx *ctx, bypass_qtoken_t qt,
		 struct bypass_qresult *res, const struct timespec *timeout);

/*
 * bypass_qwait_any - wait until one of @n tokens has completed; returns
 * the lowest index into @qts of those completed, with its result (that
 * token is spent, the others stay valid). -ETIMEDOUT, -EINVAL (an unknown
 * or spent token, @n 0, a bad timeout).
 */
int bypass_qwait_any(struct bypass_ctx *ctx, const bypass_qtoken_t *qts,
		     uint32_t n, struct bypass_qresult *res,
		     const struct timespec *timeout);

/*
 * bypass_qclose - close a descriptor: a connection is closed gracefully
 * (FIN after the queued data; reset if received data was left unread), a
 * listener resets what it had not handed out; its pending operations
 * complete with ECANCELED (results that had completed already stay to be
 * collected, buffers and all). -EBADF.
 */
int bypass_qclose(struct bypass_ctx *ctx, int qd);

/* ---- groups: one context per thread on one NIC ------------------------- */

/*
 * A group is N contexts on N queue pairs of one NIC, one per thread, each
 * with its own stack and TCP engine (no lock on its fast path), sharing
 * one IPv4 address and, through the group (locked, off the fast path):
 *  - the neighbour table: an ARP packet learnt by any context is learnt
 *    by all, and their datagrams waiting for that address leave;
 *  - listening: each context listens on the port itself (as with
 *    SO_REUSEPORT); a SYN lands on any queue and its flow stays on that
 *    context (its SYN-ACK leaves from that queue). A segment for a port
 *    that only other contexts listen on goes to one of them;
 *  - ephemeral ports, partitioned: context i of N picks from its own
 *    range, so two contexts never choose the same 4-tuple;
 *  - a flow directory (4-tuple to context, written at connection setup
 *    and teardown): a segment of a flow this context does not know, as
 *    after the device moved an idle flow to another queue, goes to the
 *    owner's mailbox (a copy; the owner's poll runs it); an RST answers
 *    only when no context owns the flow or listens on its port.
 * The fast path (a known flow on its own queue) takes no lock; a poll
 * reads its mailbox's pending word once. See Documentation/api.rst.
 */
struct bypass_group;

#define BYPASS_GROUP_MAX	16

/*
 * struct bypass_group_config
 * @nr_contexts: contexts, one per queue pair (1..BYPASS_GROUP_MAX).
 * @first_pair: bypass_group_open(): the pairs first_pair .. first_pair +
 *	nr_contexts - 1 of @ctx.device.
 * @ctx: every context's configuration (its queue_pair is ignored); the
 *	TCP engines share one secret (random when @ctx.stack.tcp gives
 *	none), so any context checks another's SYN cookies.
 */
struct bypass_group_config {
	unsigned int nr_contexts;
	unsigned int first_pair;
	struct bypass_ctx_config ctx;
};

/*
 * bypass_group_open - attach @nr_contexts pairs of a NIC claimed by
 * bypass.ko and start a context on each. Errors: those of
 * bypass_ctx_open(), -EINVAL.
 */
int bypass_group_open(const struct bypass_group_config *cfg,
		      struct bypass_group **out);

/*
 * bypass_group_create - a group on @devs[0 .. nr_contexts - 1], one queue
 * pair each (e.g. bypass_mq_dev()), which must outlive it. Errors:
 * -EINVAL, -ENOMEM, those of bypass_ctx_create().
 */
int bypass_group_create(struct bypass_dev *const *devs,
			const struct bypass_group_config *cfg,
			struct bypass_group **out);

unsigned int bypass_group_size(const struct bypass_group *g);

/*
 * bypass_group_ctx - context @i (NULL past the size), for one thread to
 * use (hand it over before that thread starts using it).
 */
struct bypass_ctx *bypass_group_ctx(struct bypass_group *g, unsigned int i);

/*
 * bypass_group_destroy - destroy every context, once no thread uses any
 * (bypass_ctx_destroy() on a context of a group does nothing).
 */
void bypass_group_destroy(struct bypass_group *g);

/*
 * struct bypass_group_stats - what context @i's thread did for the group
 * (readable from any thread).
 * @handoff_out: segments of other contexts' flows (or listeners) it
 *	received and passed on; @handoff_in: segments it took from others.
 * @handoff_dropped: passed-on segments lost to a full mailbox.
 * @neigh_out: neighbours it learnt from ARP and shared; @neigh_in: learnt
 *	from the others.
 * @unowned: segments of flows no context owns nor listens for (answered
 *	with RST, as a lone stack does).
 */
struct bypass_group_stats {
	uint64_t handoff_out, handoff_in, handoff_dropped;
	uint64_t neigh_out, neigh_in;
	uint64_t unowned;
};

/* -EINVAL past the size. */
int bypass_group_stats(struct bypass_group *g, unsigned int i,
		       struct bypass_group_stats *out);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_API_H */
