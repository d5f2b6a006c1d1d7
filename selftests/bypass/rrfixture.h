/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The setup most raw-ring VM tests share: the Linux peer in its namespace,
 * the test NIC claimed with one queue pair in use, pair 0 attached and
 * mapped (rawring.h), and both MAC addresses at hand.
 */
#ifndef BYPASS_RRFIXTURE_H
#define BYPASS_RRFIXTURE_H

#include "rawring.h"

/* Returns 0, or the step that failed as a negative number. */
static inline int rr_fixture_open(int *fd, struct rr *rr, char *peer_if, size_t peer_if_len,
				  unsigned char *mac, unsigned char *peer_mac)
{
	if (tl_peer_netns(peer_if, peer_if_len))
		return -1;
	if (tl_claim_one_pair())
		return -2;
	*fd = tl_open_attached();
	if (*fd < 0)
		return -3;
	if (rr_setup(rr, *fd))
		return -4;
	memcpy(mac, rr->info.mac, 6);
	tl_parse_mac(tl_peer_mac(), peer_mac);
	return 0;
}

#endif /* BYPASS_RRFIXTURE_H */
