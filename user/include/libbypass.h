/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libbypass: public API of the bypass userspace datapath.
 */
#ifndef LIBBYPASS_H
#define LIBBYPASS_H

#include <stddef.h>
#include <stdint.h>

#include "bypass_buf.h"
#include "bypass_counters.h"
#include "bypass_dev.h"
#include "bypass_stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * bypass_open_dev - open /dev/bypass (or @path when non-NULL) and check that
 * the module speaks the ABI this library was built for.
 * Returns a file descriptor, or -errno: -EPROTO when the ABI versions differ.
 */
int bypass_open_dev(const char *path);

/*
 * bypass_kernel_abi - ask the module behind @fd for its ABI version.
 * Returns the version (> 0) or -errno.
 */
int bypass_kernel_abi(int fd);

/*
 * bypass_csum_partial - one's-complement sum of @len bytes at @data, folded
 * to 16 bits and added to @sum (RFC 1071). Not inverted: callers finish with
 * bypass_csum_fold().
 */
uint32_t bypass_csum_partial(const void *data, size_t len, uint32_t sum);

/* bypass_csum_fold - fold a 32-bit partial sum and invert it. */
uint16_t bypass_csum_fold(uint32_t sum);

#ifdef __cplusplus
}
#endif

#endif /* LIBBYPASS_H */
