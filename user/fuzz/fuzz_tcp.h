/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The input format of the fuzz_tcp target, shared with its seed generator:
 * one configuration byte (FT_CFG_*), then operations, each an opcode byte
 * (taken modulo FT_NR_OPS) followed by its arguments. Reading past the end
 * of the input gives zeros, so every byte string is a valid program.
 */
#ifndef BYPASS_FUZZ_TCP_H
#define BYPASS_FUZZ_TCP_H

/* The configuration byte: what the handshakes negotiate, engine knobs. */
enum {
	FT_CFG_TS = 1 << 0,	/* the peer offers timestamps */
	FT_CFG_SACK = 1 << 1,	/* ... SACK-permitted */
	FT_CFG_WS = 1 << 2,	/* ... window scaling */
	FT_CFG_CUBIC = 1 << 3,	/* CUBIC instead of NewReno */
	FT_CFG_SMALL = 1 << 4,	/* 4 KiB receive buffer, peer MSS 200 */
	FT_CFG_NODELAY = 1 << 5,
	FT_CFG_KEEPALIVE = 1 << 6,
	FT_CFG_BACKLOG1 = 1 << 7,	/* backlog 1: SYN cookies soon */
};

/*
 * Peers are slots 0..FT_SLOTS-1: remote port 1000 + slot. Slot 0 starts
 * connected to the listener (port 80), slot 1 to an active open (local
 * port 5001); the others start unknown.
 */
#define FT_SLOTS	6

enum {
	/* slot, flags, seq mode + arg, ack mode + arg, win, opt mode + args, len */
	FT_OP_SEG,
	/* slot: a pure ACK of everything the engine sent, in window */
	FT_OP_ACK,
	/* slot, u16 len, u8 gap: in-order data (or gap * 256 bytes ahead) */
	FT_OP_DATA,
	/* u8: that many ms (x100 when >= 200) pass, then a poll */
	FT_OP_TICK,
	/* handle, u16 len: the application sends */
	FT_OP_SEND,
	/* handle: the application reads everything */
	FT_OP_RECV,
	FT_OP_SHUTDOWN,	/* handle */
	FT_OP_CLOSE,	/* handle */
	FT_OP_ABORT,	/* handle */
	FT_OP_ACCEPT,
	/* slot, u32 isn: a SYN to port 80 with the configured options */
	FT_OP_SYN,
	/* slot: the engine opens a connection to it */
	FT_OP_CONNECT,
	/* handle, u8: nodelay, cc, keepalive; or the listener's close/reopen */
	FT_OP_MISC,
	/* slot: a FIN in sequence, acknowledging everything */
	FT_OP_FIN,
	FT_NR_OPS
};

#endif /* BYPASS_FUZZ_TCP_H */
