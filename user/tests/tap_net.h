/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the TAP tests share: the addresses of the private network (the
 * kernel's side of the TAP interface and the stack's), bringing the
 * kernel's side up, and a monotonic millisecond clock for bounded waits.
 */
#ifndef BYPASS_TEST_TAP_NET_H
#define BYPASS_TEST_TAP_NET_H

#include <net/if.h>
#include <sched.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "frames.h"

#define KERNEL_IP	IP(10, 99, 0, 1)
#define STACK_IP	IP(10, 99, 0, 2)

static const uint8_t stack_mac[6] = { 0x02, 0x00, 0x00, 0x99, 0x00, 0x02 };

static inline int set_addr(int s, const char *ifname, unsigned long req,
			   uint32_t addr)
{
	struct ifreq ifr;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ifr.ifr_addr;

	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	sin->sin_family = AF_INET;
	sin->sin_addr.s_addr = addr;
	return ioctl(s, req, &ifr);
}

/* Give the kernel side of the TAP 10.99.0.1/24 and bring it up. */
static inline int kernel_side_up(const char *ifname)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM, 0), r;

	if (s < 0)
		return -1;
	r = set_addr(s, ifname, SIOCSIFADDR, KERNEL_IP) ||
	    set_addr(s, ifname, SIOCSIFNETMASK, IP(255, 255, 255, 0));
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
	r = r || ioctl(s, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	r = r || ioctl(s, SIOCSIFFLAGS, &ifr);
	close(s);
	return r ? -1 : 0;
}

static inline uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * The variants of a TAP fixture @f (after kselftest_harness.h): the ring
 * features the emulated device offers, without and with the device
 * completing our UDP and TCP checksums (Linux then checks them).
 */
#define TAP_FEATURE_VARIANTS(f)						\
	FIXTURE_VARIANT(f) {						\
		uint64_t features;					\
	};								\
	FIXTURE_VARIANT_ADD(f, software_checksums) {			\
		.features = FEAT_DEFAULT,				\
	};								\
	FIXTURE_VARIANT_ADD(f, checksum_offload) {			\
		.features = FEAT_DEFAULT | 1ULL << VIRTIO_NET_F_CSUM,	\
	}

/*
 * In a network namespace of its own, a TAP device offering @features and a
 * stack on it at STACK_IP (@pool_bufs: 0 for the default), the kernel's
 * side up. Returns NULL, or what failed.
 */
static inline const char *tap_stack_up(uint64_t features, uint32_t pool_bufs,
				       struct bypass_dev **dev,
				       struct bypass_stack **st)
{
	struct bypass_stack_config cfg = {
		.addr = STACK_IP, .prefix_len = 24, .pool_bufs = pool_bufs,
	};

	if (unshare(CLONE_NEWNET))
		return "unshare(CLONE_NEWNET) (needs CAP_SYS_ADMIN)";
	if (bypass_tap_open(NULL, stack_mac, features, dev))
		return "cannot create a TAP interface (needs /dev/net/tun)";
	if (kernel_side_up(bypass_tap_ifname(*dev)))
		return "cannot bring the kernel's side up";
	if (bypass_stack_create(*dev, &cfg, st))
		return "bypass_stack_create";
	return NULL;
}

#endif /* BYPASS_TEST_TAP_NET_H */
