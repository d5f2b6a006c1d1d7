// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The local TCP ports a context's sockets hold, counted per port so that
 * a bind finds a conflict in O(1) however many sockets are open: for each
 * port, how many TCP sockets hold it and how many of those would refuse a
 * sharer (listening, or without SO_REUSEADDR). The table has a slot for
 * every port; its zeroed pages come from the kernel on first touch, so
 * only the ports in use cost memory.
 */
#include <errno.h>
#include <stdlib.h>

#include "api.h"

struct api_port_use {
	uint32_t users;		/* TCP sockets with this local port */
	uint32_t strict;	/* ... listening or without SO_REUSEADDR */
};

#define NR_PORTS	65536u

int api_ports_init(struct bypass_ctx *ctx)
{
	ctx->tcp_ports = calloc(NR_PORTS, sizeof(*ctx->tcp_ports));
	return ctx->tcp_ports ? 0 : -ENOMEM;
}

void api_ports_free(struct bypass_ctx *ctx)
{
	free(ctx->tcp_ports);
	ctx->tcp_ports = NULL;
}

static bool port_counted(const struct api_sock *s)
{
	return s->kind == SK_TCP && s->lport;
}

static bool port_strict(const struct api_sock *s)
{
	return s->phase == TP_LISTEN || !s->reuseaddr;
}

void api_port_hold(struct bypass_ctx *ctx, const struct api_sock *s)
{
	struct api_port_use *u;

	if (!port_counted(s))
		return;
	u = &ctx->tcp_ports[s->lport];
	u->users++;
	u->strict += port_strict(s);
}

void api_port_drop(struct bypass_ctx *ctx, const struct api_sock *s)
{
	struct api_port_use *u;

	if (!port_counted(s))
		return;
	u = &ctx->tcp_ports[s->lport];
	u->users--;
	u->strict -= port_strict(s);
}

bool api_port_conflict(const struct bypass_ctx *ctx, const struct api_sock *s,
		       uint16_t port)
{
	const struct api_port_use *u = &ctx->tcp_ports[port];

	return u->users && (u->strict || !s->reuseaddr);
}
