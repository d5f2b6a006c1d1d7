// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpus of fuzz_tcp into the directory given as argument:
 * well-formed programs (fuzz_tcp.h) that exchange data both ways on the two
 * connections the target opens, fill and reorder the receive side, lose and
 * SACK the send side, accept new connections through the listener (also
 * past its backlog, with SYN cookies), open one actively, and close in
 * every order, under several handshake configurations.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "fuzz_tcp.h"

static uint8_t prog[4096];
static size_t len;

static void b(unsigned int v)
{
	if (len < sizeof(prog))
		prog[len++] = (uint8_t)v;
}

static void w(unsigned int v)
{
	b(v >> 8);
	b(v);
}

static void op(unsigned int o, unsigned int arg)
{
	b(o);
	b(arg);
}

static void data(unsigned int slot, unsigned int n, unsigned int gap)
{
	op(FT_OP_DATA, slot);
	w(n);
	b(gap);
}

static void send(unsigned int handle, unsigned int n)
{
	op(FT_OP_SEND, handle);
	w(n);
}

static void tick(unsigned int ms)
{
	op(FT_OP_TICK, ms);
}

/*
 * FT_OP_SEG acknowledging all but the last @back * 64 bytes sent, with
 * timestamps and one SACK block @start bytes above that.
 */
static void sack(unsigned int slot, unsigned int back, unsigned int start,
		 unsigned int n)
{
	op(FT_OP_SEG, slot);
	b(0);			/* flags: ACK */
	b(2 << 4 | 2 << 2);	/* seq exact, ack - 64 * arg, TS and SACK */
	w(0);
	w(back);
	w(65535);		/* window */
	b(1);			/* one block */
	w(start);
	w(n);
	w(0);			/* no payload */
}

static int put(const char *dir, const char *name, unsigned int cfg)
{
	char path[512];
	FILE *f;
	int ok;

	snprintf(path, sizeof(path), "%s/%s-%02x", dir, name, cfg);
	f = fopen(path, "wb");
	if (!f)
		return -1;
	ok = fwrite(&cfg, 1, 1, f) == 1 && fwrite(prog, len, 1, f) == 1;
	return fclose(f) || !ok ? -1 : 0;
}

static void program(int kind)
{
	unsigned int i;

	len = 0;
	switch (kind) {
	case 0:		/* data both ways on both connections, then FINs */
		for (i = 0; i < 4; i++) {
			data(0, 1000, 0);
			data(1, 700, 0);
			send(0, 1200);
			send(1, 300);
			tick(5);
			op(FT_OP_ACK, 0);
			op(FT_OP_ACK, 1);
			op(FT_OP_RECV, 0);
			op(FT_OP_RECV, 1);
		}
		tick(50);
		op(FT_OP_FIN, 0);
		op(FT_OP_SHUTDOWN, 0);
		op(FT_OP_SHUTDOWN, 1);
		op(FT_OP_ACK, 1);
		op(FT_OP_FIN, 1);
		op(FT_OP_ACK, 0);
		op(FT_OP_RECV, 0);
		op(FT_OP_CLOSE, 0);
		tick(250);
		break;
	case 1:		/* out-of-order arrival, then the hole fills */
		data(0, 500, 2);
		data(0, 500, 4);
		data(0, 512, 0);
		data(0, 500, 0);
		op(FT_OP_RECV, 0);
		tick(50);
		data(1, 100, 1);
		data(1, 256, 0);
		op(FT_OP_RECV, 1);
		break;
	case 2:		/* sending with loss: SACK, dup ACKs, timeouts */
		for (i = 0; i < 6; i++)
			send(0, 1400);
		tick(1);
		sack(0, 131, 1500, 1400);
		op(FT_OP_ACK, 0);
		sack(0, 109, 3000, 2800);
		op(FT_OP_ACK, 0);
		tick(250);
		tick(201);
		op(FT_OP_ACK, 0);
		send(1, 2000);
		tick(210);
		tick(220);
		op(FT_OP_ACK, 1);
		break;
	case 3:		/* new peers through the listener, past the backlog */
		for (i = 2; i < FT_SLOTS; i++) {
			op(FT_OP_SYN, i);
			w(0x1234);
			w(i * 4096);
		}
		tick(1);
		for (i = 2; i < FT_SLOTS; i++)
			op(FT_OP_ACK, i);
		b(FT_OP_ACCEPT);
		b(FT_OP_ACCEPT);
		data(2, 300, 0);
		data(3, 300, 0);
		b(FT_OP_ACCEPT);
		op(FT_OP_RECV, 2);
		op(FT_OP_CLOSE, 3);
		tick(210);
		break;
	case 4:		/* an active open answered by a SYN-ACK, then data */
		op(FT_OP_CONNECT, 3);
		op(FT_OP_SEG, 3);
		b(4);		/* SYN|ACK */
		b(0x10 | 3);	/* raw seq, ack exact, timestamps */
		w(0xabcd);
		w(0x0123);
		w(65535);
		w(0);
		tick(1);
		op(FT_OP_ACK, 3);
		data(3, 900, 0);
		op(FT_OP_RECV, 2);
		send(2, 999);
		tick(45);
		op(FT_OP_ABORT, 2);
		break;
	case 5:		/* zero window, then keepalive-length idleness */
		op(FT_OP_SEG, 0);
		b(0);
		b(0x10);
		w(0);		/* window 0 */
		w(0);
		send(0, 1000);
		tick(199);
		tick(220);
		op(FT_OP_ACK, 0);
		tick(205);
		op(FT_OP_MISC, 1);
		b(3);		/* the listener closes */
		op(FT_OP_MISC, 1);
		b(3);		/* and reopens */
		break;
	}
}

int main(int argc, char **argv)
{
	static const unsigned int cfgs[] = {
		0, FT_CFG_TS | FT_CFG_SACK | FT_CFG_WS,
		FT_CFG_TS | FT_CFG_SACK | FT_CFG_WS | FT_CFG_CUBIC | FT_CFG_NODELAY,
		FT_CFG_SACK | FT_CFG_SMALL | FT_CFG_BACKLOG1 | FT_CFG_KEEPALIVE,
	};
	static const char *const names[] = {
		"exchange", "reorder", "loss", "listener", "connect", "zerowin",
	};
	unsigned int k, c;

	if (argc != 2) {
		fprintf(stderr, "usage: %s DIR\n", argv[0]);
		return 2;
	}
	for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		program((int)k);
		for (c = 0; c < sizeof(cfgs) / sizeof(cfgs[0]); c++)
			if (put(argv[1], names[k], cfgs[c]))
				return 1;
	}
	return 0;
}
