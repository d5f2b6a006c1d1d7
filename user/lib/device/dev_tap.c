// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The TAP development device: the stack's rings are served by the software
 * virtio-net device (vdev.c), whose "wire" is a Linux TAP interface. A kick
 * on TX writes each frame to the TAP fd; the driver's service call reads
 * what the kernel queued into posted RX buffers. The RX "interrupt" fd is
 * the TAP fd itself: readable means frames are waiting.
 *
 * Every frame costs a system call and crosses the kernel's network stack:
 * this is for developing and testing against real Linux peers without a VM
 * or a claimed NIC. It is not kernel bypass.
 */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/if_tun.h>
#include <linux/virtio_net.h>

#include "bypass_dev.h"
#include "vdev.h"

#define TAP_RX_BURST	64

struct tap_dev {
	struct vdev_dev base;		/* first: the ops receive &base.dev */
	int fd;
	char ifname[IFNAMSIZ];
	uint64_t dropped;		/* frames read with no room for them */
	uint8_t frame[VDEV_MAX_FRAME];
};

static struct tap_dev *to_tap(struct bypass_dev *dev)
{
	return (struct tap_dev *)dev;
}

static void tap_kick(struct bypass_dev *dev, unsigned int q)
{
	struct tap_dev *t = to_tap(dev);
	int len;

	if (q != BYPASS_QUEUE_TX)
		return;		/* RX buffers are used when frames come */
	while ((len = vdev_tx_pop(&t->base.vd, t->frame, sizeof(t->frame))) != 0) {
		if (len > 0 && write(t->fd, t->frame, (size_t)len) != len)
			t->dropped++;
	}
	vdev_flush(&t->base.vd, BYPASS_QUEUE_TX);
}

/* Move frames the kernel queued into posted RX buffers. */
static void tap_service(struct bypass_dev *dev)
{
	struct tap_dev *t = to_tap(dev);
	int i;

	for (i = 0; i < TAP_RX_BURST && vdev_posted(&t->base.vd, BYPASS_QUEUE_RX); i++) {
		ssize_t n = read(t->fd, t->frame, sizeof(t->frame));

		if (n <= 0)
			break;
		if (vdev_rx_push(&t->base.vd, t->frame, (size_t)n, 0, NULL))
			t->dropped++;
	}
	vdev_flush(&t->base.vd, BYPASS_QUEUE_RX);
}

static int tap_irq_fd(struct bypass_dev *dev, unsigned int q)
{
	struct tap_dev *t = to_tap(dev);

	if (q == BYPASS_QUEUE_RX)
		return t->fd;
	return q == BYPASS_QUEUE_TX ? t->base.vd.q[q].irq_fd : -1;
}

static void tap_irq_ack(struct bypass_dev *dev, unsigned int q)
{
	/* The RX "interrupt" is the TAP fd: service() reads it. */
	if (q == BYPASS_QUEUE_TX)
		vdev_irq_ack(&to_tap(dev)->base.vd, q);
}

static uint64_t tap_now(struct bypass_dev *dev)
{
	struct timespec ts;

	(void)dev;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void tap_destroy(struct bypass_dev *dev)
{
	struct tap_dev *t = to_tap(dev);

	close(t->fd);
	vdev_fini(&t->base.vd);
	free(t);
}

static const struct bypass_dev_ops tap_ops = {
	.get_vring = vdev_op_get_vring,
	.mem_register = vdev_op_mem_register,
	.mem_page_iova = vdev_op_mem_page_iova,
	.mem_unregister = vdev_op_mem_unregister,
	.kick = tap_kick,
	.irq_fd = tap_irq_fd,
	.irq_ack = tap_irq_ack,
	.service = tap_service,
	.now_ns = tap_now,
	.destroy = tap_destroy,
};

int bypass_tap_open(const char *ifname, const uint8_t mac[6], uint64_t features,
		    struct bypass_dev **out)
{
	struct tap_dev *t = calloc(1, sizeof(*t));
	struct ifreq ifr;
	int r;

	if (!t)
		return -ENOMEM;
	/* The kernel gives whole checksums: nothing for the driver to trust. */
	features &= ~(1ULL << VIRTIO_NET_F_GUEST_CSUM);
	/* One write per frame of at most the MTU: no segmentation offloads. */
	features &= ~(1ULL << VIRTIO_NET_F_HOST_TSO4 | 1ULL << VIRTIO_NET_F_HOST_TSO6 |
		      1ULL << VIRTIO_NET_F_GUEST_TSO4 | 1ULL << VIRTIO_NET_F_GUEST_TSO6);
	r = vdev_init(&t->base.vd, 256, features);
	if (r) {
		free(t);
		return r;
	}
	t->fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->fd < 0) {
		r = -errno;
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strncpy(ifr.ifr_name, ifname ? ifname : "bypass%d", IFNAMSIZ - 1);
	if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		close(t->fd);
		goto fail;
	}
	memcpy(t->ifname, ifr.ifr_name, IFNAMSIZ);
	t->base.dev.ops = &tap_ops;
	t->base.dev.features = features;
	memcpy(t->base.dev.mac, mac, 6);
	t->base.dev.mtu = 1500;
	*out = &t->base.dev;
	return 0;
fail:
	vdev_fini(&t->base.vd);
	free(t);
	return r;
}

const char *bypass_tap_ifname(const struct bypass_dev *dev)
{
	return ((const struct tap_dev *)dev)->ifname;
}
