/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A deliberately minimal split-virtqueue driver for the selftests, written
 * straight against the uapi (not libbypass): map the rings and doorbells of
 * the attached queue pair, register a buffer area, post descriptors, kick,
 * and wait for used entries. Plus a Linux peer in its own network namespace
 * that sends and receives raw frames through a packet socket.
 */
#ifndef BYPASS_RAWRING_H
#define BYPASS_RAWRING_H

#include <net/if.h>
#include <netinet/in.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "testlib.h"

#define RR_BUF_SIZE	2048
#define RR_AREA		(2UL << 20)
#define RR_ETHERTYPE	0x88b5	/* IEEE local experimental */
#define RR_HDR_LEN	sizeof(struct virtio_net_hdr_v1)

struct rr_queue {
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	void *ring;
	size_t ring_size;
	volatile __u16 *notify;
	void *notify_page;
	__u16 index;
	__u16 num;
	__u16 avail_idx;
	__u16 used_idx;
};

struct rr {
	int fd;
	struct bypass_info info;
	struct rr_queue q[2];
	unsigned char *area;
	__u64 iova;
	int efd[2];
};

static inline int rr_map_queue(struct rr *rr, int i)
{
	struct bypass_queue_info *qi = &rr->info.queues[i];
	struct rr_queue *q = &rr->q[i];
	void *n;

	q->ring = mmap(NULL, qi->ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, rr->fd,
		       qi->ring_offset);
	if (q->ring == MAP_FAILED)
		return -errno;
	q->ring_size = qi->ring_size;
	q->desc = q->ring;
	q->avail = (void *)((char *)q->ring + qi->avail_offset);
	q->used = (void *)((char *)q->ring + qi->used_offset);
	q->num = qi->size;
	q->index = qi->index;
	q->avail_idx = 0;
	q->used_idx = 0;
	if (!(qi->flags & BYPASS_QUEUE_F_NOTIFY_MMAP))
		return -ENODEV;
	n = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, rr->fd, qi->notify_offset);
	if (n == MAP_FAILED)
		return -errno;
	q->notify_page = n;
	q->notify = (volatile __u16 *)((char *)n + qi->notify_page_offset);
	return 0;
}

/*
 * Undo rr_setup and close the file. Mappings hold the file open, so the
 * queue pair is only released once they are gone too.
 */
static inline void rr_close(struct rr *rr)
{
	int i;

	for (i = 0; i < 2; i++) {
		if (rr->q[i].ring && rr->q[i].ring != MAP_FAILED)
			munmap(rr->q[i].ring, rr->q[i].ring_size);
		if (rr->q[i].notify_page && rr->q[i].notify_page != MAP_FAILED)
			munmap(rr->q[i].notify_page, 4096);
		if (rr->efd[i] > 0)
			close(rr->efd[i]);
	}
	if (rr->area && rr->area != MAP_FAILED)
		munmap(rr->area, RR_AREA);
	if (rr->fd >= 0)
		close(rr->fd);
	memset(rr, 0, sizeof(*rr));
	rr->fd = -1;
}

/*
 * Map everything of the attached pair and register a 2 MiB buffer area,
 * one hugepage when @huge (physically contiguous: needed when the device
 * uses physical addresses).
 */
static inline int rr_setup_area(struct rr *rr, int fd, int huge)
{
	struct bypass_mem_reg r = { .argsz = sizeof(r), .len = RR_AREA };
	int i, err;

	memset(rr, 0, sizeof(*rr));
	rr->fd = fd;
	err = tl_info(fd, &rr->info);
	if (err)
		return err;
	for (i = 0; i < 2; i++) {
		err = rr_map_queue(rr, i);
		if (err)
			return err;
	}
	if (huge && tl_sysfs_write("/proc/sys/vm/nr_hugepages", "8"))
		return -EIO;
	rr->area = mmap(NULL, RR_AREA, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE | (huge ? MAP_HUGETLB : 0),
			-1, 0);
	if (rr->area == MAP_FAILED)
		return -errno;
	r.addr = (uintptr_t)rr->area;
	if (ioctl(fd, BYPASS_REGISTER_MEM, &r))
		return -errno;
	if (!(r.flags & BYPASS_MEM_F_CONTIGUOUS))
		return -EINVAL;
	rr->iova = r.iova;
	for (i = 0; i < 2; i++) {
		struct bypass_eventfd e = { .argsz = sizeof(e), .queue = i };

		rr->efd[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		e.fd = rr->efd[i];
		if (rr->efd[i] < 0 || ioctl(fd, BYPASS_SET_EVENTFD, &e))
			return -errno;
	}
	return 0;
}

static inline int rr_setup(struct rr *rr, int fd)
{
	return rr_setup_area(rr, fd, 0);
}

/* Post one descriptor (its own chain) and publish it. */
static inline void rr_post(struct rr *rr, int qi, __u16 id, __u64 addr, __u32 len,
			   __u16 flags)
{
	struct rr_queue *q = &rr->q[qi];

	q->desc[id].addr = addr;
	q->desc[id].len = len;
	q->desc[id].flags = flags;
	q->desc[id].next = 0;
	q->avail->ring[q->avail_idx % q->num] = id;
	q->avail_idx++;
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
}

static inline void rr_kick(struct rr *rr, int qi)
{
	atomic_thread_fence(memory_order_seq_cst);
	*rr->q[qi].notify = rr->q[qi].index;
}

/* Wait (bounded) for the next used entry of a queue. */
static inline int rr_wait_used(struct rr *rr, int qi, long timeout_ms, __u32 *id, __u32 *len)
{
	struct rr_queue *q = &rr->q[qi];
	long end = tl_now_ms() + timeout_ms;
	struct vring_used_elem *e;

	while (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) == q->used_idx) {
		if (tl_now_ms() > end)
			return -ETIMEDOUT;
		usleep(1000);
	}
	e = &q->used->ring[q->used_idx % q->num];
	*id = e->id;
	*len = e->len;
	q->used_idx++;
	return 0;
}

/*
 * BYPASS_REGISTER_MEM of @len bytes at @addr with the argument on a page
 * made read-only once filled in: the kernel reads it, pins and maps the
 * region, and then cannot copy the reply out. Returns -errno (-EFAULT).
 */
static inline int rr_register_reply_lost(int fd, void *addr, size_t len)
{
	struct bypass_mem_reg *r = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int err;

	if (r == MAP_FAILED)
		return -ENOMEM;
	*r = (struct bypass_mem_reg){ .argsz = sizeof(*r), .addr = (uintptr_t)addr, .len = len };
	if (mprotect(r, 4096, PROT_READ))
		err = -ENOMEM;
	else
		err = ioctl(fd, BYPASS_REGISTER_MEM, r) ? -errno : 0;
	munmap(r, 4096);
	return err;
}

/* Wait (bounded) for an eventfd to become readable; returns its count. */
static inline long rr_wait_eventfd(int efd, int timeout_ms)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	__u64 v;

	if (poll(&p, 1, timeout_ms) != 1)
		return -ETIMEDOUT;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return -errno;
	return (long)v;
}

/* ---- the Linux peer, alone in network namespace "peer" ---- */

static inline int tl_ifname_by_mac(const char *mac, char *out, size_t len)
{
	char cmd[256];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd),
		 "for d in /sys/class/net/*; do [ \"$(cat $d/address)\" = %s ] && basename $d; done",
		 mac);
	f = popen(cmd, "r");
	if (!f)
		return -errno;
	ok = fgets(out, len, f) != NULL;
	pclose(f);
	if (!ok)
		return -ENOENT;
	out[strcspn(out, "\n")] = 0;
	return 0;
}

static inline const char *tl_peer_mac(void)
{
	const char *m = getenv("BYPASS_PEER_MAC");

	return m ? m : "52:54:00:b9:00:02";
}

/* Put the peer NIC into netns "peer" (once per boot); its name in *ifname. */
static inline int tl_peer_netns(char *ifname, size_t len)
{
	char cmd[512];
	FILE *f;

	if (access("/run/netns/peer", F_OK) == 0) {
		f = popen("ip -n peer -o link show | awk -F': ' '$2 != \"lo\" {print $2}'", "r");
		if (!f || !fgets(ifname, len, f))
			return -ENOENT;
		pclose(f);
		ifname[strcspn(ifname, "\n@")] = 0;
		return 0;
	}
	if (tl_ifname_by_mac(tl_peer_mac(), ifname, len))
		return -ENOENT;
	snprintf(cmd, sizeof(cmd),
		 "ip netns add peer && ip link set %s netns peer && "
		 "ip netns exec peer sysctl -qw net.ipv6.conf.all.disable_ipv6=1 && "
		 "ip -n peer link set lo up && ip -n peer link set %s up && "
		 "ip -n peer addr add 192.0.2.2/24 dev %s", ifname, ifname, ifname);
	return system(cmd) == 0 ? 0 : -EIO;
}

static inline int tl_enter_peer(void)
{
	int nfd = open("/run/netns/peer", O_RDONLY | O_CLOEXEC);
	int err;

	if (nfd < 0)
		return -errno;
	err = setns(nfd, CLONE_NEWNET) ? -errno : 0;
	close(nfd);
	return err;
}

/* A packet socket on the peer NIC for our test EtherType (in the netns). */
static inline int tl_peer_socket(const char *ifname, int timeout_ms)
{
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(RR_ETHERTYPE) };
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int s;

	if (tl_enter_peer())
		return -1;
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(RR_ETHERTYPE));
	if (s < 0)
		return -1;
	sll.sll_ifindex = if_nametoindex(ifname);
	if (!sll.sll_ifindex || bind(s, (void *)&sll, sizeof(sll)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv))) {
		close(s);
		return -1;
	}
	return s;
}

static inline void tl_parse_mac(const char *s, unsigned char *mac)
{
	unsigned int b[6];
	int i;

	sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
	for (i = 0; i < 6; i++)
		mac[i] = (unsigned char)b[i];
}

/* Build a test frame: dst, src, RR_ETHERTYPE, then a pattern from @seed. */
static inline size_t tl_make_frame(unsigned char *f, const unsigned char *dst,
				   const unsigned char *src, unsigned int seed, size_t len)
{
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = RR_ETHERTYPE >> 8;
	f[13] = RR_ETHERTYPE & 0xff;
	for (i = 14; i < len; i++)
		f[i] = (unsigned char)(seed * 31 + i * 7);
	return len;
}

#endif /* BYPASS_RAWRING_H */
