/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The generic netlink family "bypass" (netlink.c): administrators inspect
 * claimed devices and record their IPv4 settings through it.
 */
#ifndef BYPASS_NETLINK_H
#define BYPASS_NETLINK_H

int bypass_genl_init(void);
void bypass_genl_exit(void);

#endif /* BYPASS_NETLINK_H */
