/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /dev/bypass device provider: a queue pair of a NIC claimed by
 * bypass.ko, driven directly from this process (the real bypass path).
 */
#ifndef BYPASS_KDEV_H
#define BYPASS_KDEV_H

#include <stdint.h>

#include "bypass_dev.h"
#include "bypass_stack.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * bypass_kdev_open - attach queue pair @queue_pair of the claimed device
 * @device (its PCI address; NULL or "" for the first claimed device) and
 * map its rings, doorbells and stats page. Returns 0 or -errno: -ENOENT
 * when /dev/bypass does not exist (module not loaded), -EACCES without
 * permission, -ENODEV when no such device is claimed, -EBUSY when another
 * process has the pair, -EPROTO when the module speaks another ABI.
 */
int bypass_kdev_open(const char *device, unsigned int queue_pair,
		     struct bypass_dev **out);

/*
 * bypass_kdev_ipv4 - the IPv4 configuration the administrator recorded
 * with `bypassctl claim` (network byte order; all zero when none).
 */
void bypass_kdev_ipv4(const struct bypass_dev *dev, uint32_t *addr,
		      uint8_t *prefix_len, uint32_t *gateway);

/*
 * bypass_kdev_stack_config - fill the address, prefix and gateway of
 * @cfg from what the administrator recorded at claim time (fields already
 * set are kept). Returns 0, or -ENOENT when no address was recorded.
 */
int bypass_kdev_stack_config(const struct bypass_dev *dev,
			     struct bypass_stack_config *cfg);

/* bypass_kdev_fd - the /dev/bypass file descriptor behind @dev. */
int bypass_kdev_fd(const struct bypass_dev *dev);

#ifdef __cplusplus
}
#endif

#endif /* BYPASS_KDEV_H */
