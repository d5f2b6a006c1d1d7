/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What a group (api_group.c) hands to one of its stacks, in that stack's
 * own thread: a TCP segment another stack received for a flow this one
 * owns (or listens for), and a neighbour another stack learnt.
 */
#ifndef BYPASS_HANDOFF_H
#define BYPASS_HANDOFF_H

#include <stdint.h>

#include "bypass_stack.h"
#include "bypass_tcp.h"

#pragma GCC visibility push(hidden)

/*
 * stack_handoff_tcp - run the parsed segment @s (its s->len payload bytes
 * at @payload, copied into a buffer of this stack's pool) through this
 * stack's engine, as if it had arrived here. -ENOBUFS (pool dry) and
 * -EMSGSIZE (more than a buffer holds) drop it, counted.
 */
int stack_handoff_tcp(struct bypass_stack *st, const struct bypass_tcp_seg *s,
		      const void *payload);

/* stack_handoff_neigh - @ip is at @mac: learn it, send what waited. */
void stack_handoff_neigh(struct bypass_stack *st, uint32_t ip,
			 const uint8_t mac[6]);

#pragma GCC visibility pop

#endif /* BYPASS_HANDOFF_H */
