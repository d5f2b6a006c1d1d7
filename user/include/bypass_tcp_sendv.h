/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Sending several buffers at once on a TCP connection of the engine
 * (bypass_tcp.h): they are queued together and cut into segments once,
 * so a write of many buffers leaves as full segments, not one short
 * segment per buffer's tail. (To move into bypass_tcp.h, next to
 * bypass_tcp_send, when its owner merges it.)
 */
#ifndef BYPASS_TCP_SENDV_H
#define BYPASS_TCP_SENDV_H

#include <stdint.h>

#include "bypass_tcp.h"

/*
 * bypass_tcp_sendv - queue @n buffers, in order, for sending, as
 * bypass_tcp_send() each, then run the output once. Returns how many it
 * queued (their references are the engine's): fewer than @n when the
 * send queue filled (-ENOBUFS for the next) or a buffer is empty
 * (-EINVAL); the buffers not queued stay the caller's. When none could
 * be queued it returns bypass_tcp_send()'s error instead.
 */
int bypass_tcp_sendv(struct bypass_tcp_conn *c, struct bypass_buf *const *bufs,
		     uint32_t n);

#endif /* BYPASS_TCP_SENDV_H */
