// SPDX-License-Identifier: GPL-2.0
/*
 * DMA isolation of a claimed function: an owner that posts descriptors at
 * IOVAs it never registered must not reach anything. TX chains
 * {registered virtio header, registered Ethernet header + probe number,
 * 64 bytes at an unregistered IOVA} are sent for page 0, the control
 * queue's window, every page near the rings and the buffer area, and a
 * spread over the IOVA space, while a packet socket in promiscuous mode on
 * the Linux peer captures everything: no frame may carry a non-zero byte
 * read from such an IOVA (the kernel's control-queue ring, for one). RX
 * buffers at the same IOVAs must not change any memory of ours. After a
 * blocked DMA the device may ask for a reset; the probe then re-attaches.
 * QEMU's stderr shows the first refused access ("vtd_iommu_translate:
 * detected translation failure ... iova=0x0"): expected, made on purpose.
 */
#include "kselftest_harness.h"
#include "rrfixture.h"

#define PROBE_LEN	64	/* bytes the device reads at the probed IOVA */
#define PROBE_HDR_OFF	0	/* virtio header in the buffer area */
#define PROBE_ETH_OFF	64	/* Ethernet header + probe number */
#define PROBE_ETH_LEN	18
#define PROBE_LEGIT	0xffffffffu	/* probe number of a frame from our memory */
#define MAX_PROBES	512
#define PAGE		4096ULL
#define MARKED		(256 << 10)	/* bytes of our area checked after each RX probe */

/* What the capturing peer saw; shared with it. */
struct capture {
	atomic_int ready;
	atomic_int stop;
	int frames;		/* frames of ours with a probe number */
	int legit;		/* of those, frames read from registered memory */
	int leaks;		/* frames carrying a non-zero byte from a probe */
	unsigned int leak_probe;
	unsigned char leak_bytes[PROBE_LEN];
};

FIXTURE(iso) {
	int fd;
	struct rr rr;
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
	__u64 probes[MAX_PROBES];
	unsigned int nprobes;
	unsigned int reattached;
};

static int iso_open(struct _test_data_iso *self)
{
	self->fd = tl_open_attached();
	if (self->fd < 0)
		return -errno;
	return rr_setup(&self->rr, self->fd);
}

FIXTURE_SETUP(iso)
{
	ASSERT_EQ(0, rr_fixture_open(&self->fd, &self->rr, self->peer_if, sizeof(self->peer_if),
				     self->mac, self->peer_mac));
}

FIXTURE_TEARDOWN(iso)
{
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

/* Is @iova inside memory this owner may legitimately reach? */
static int reachable(struct _test_data_iso *self, __u64 iova)
{
	int q;

	for (q = 0; q < 2; q++) {
		struct bypass_queue_info *qi = &self->rr.info.queues[q];

		if (iova + PROBE_LEN > qi->desc_iova && iova < qi->desc_iova + qi->ring_size)
			return 1;
	}
	return iova + PROBE_LEN > self->rr.iova && iova < self->rr.iova + RR_AREA;
}

static void add_probe(struct _test_data_iso *self, __u64 iova)
{
	unsigned int i;

	if (reachable(self, iova) || self->nprobes >= MAX_PROBES)
		return;
	for (i = 0; i < self->nprobes; i++)
		if (self->probes[i] == iova)
			return;
	self->probes[self->nprobes++] = iova;
}

/*
 * Every IOVA worth trying: page 0, the module's control window, the pages
 * around everything we know was mapped (where an allocator puts its
 * neighbours, such as the control queue's ring), and powers of two.
 */
static void make_probes(struct _test_data_iso *self, int near)
{
	__u64 known[3] = { self->rr.info.queues[0].desc_iova,
			   self->rr.info.queues[1].desc_iova, self->rr.iova };
	__u64 base;
	int k, i, shift;

	add_probe(self, 0);
	add_probe(self, 0x800);
	for (i = 0; i < 16; i++)
		add_probe(self, 0x10000 + i * PAGE);	/* control window */
	for (k = 0; k < 3; k++) {
		base = known[k] & ~(PAGE - 1);
		for (i = -near; i <= near; i++)
			if ((__s64)base + i * (__s64)PAGE >= 0)
				add_probe(self, base + i * PAGE);
		add_probe(self, base + RR_AREA);
	}
	for (shift = 16; shift < 39; shift++) {
		add_probe(self, 1ULL << shift);
		add_probe(self, (1ULL << shift) - PAGE);
	}
}

/* Child: capture every frame on the peer NIC, promiscuous; judge ours. */
static void capture_child(const char *ifname, struct capture *cap)
{
	struct packet_mreq mr = { .mr_type = PACKET_MR_PROMISC };
	struct timeval tv = { 0, 200 * 1000 };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET,
				   .sll_protocol = htons(ETH_P_ALL) };
	unsigned char f[2048];
	unsigned int probe;
	ssize_t n;
	int s, i;

	if (tl_enter_peer())
		_exit(20);
	s = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	sll.sll_ifindex = if_nametoindex(ifname);
	mr.mr_ifindex = sll.sll_ifindex;
	if (s < 0 || bind(s, (void *)&sll, sizeof(sll)) ||
	    setsockopt(s, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) ||
	    setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		_exit(21);
	atomic_store(&cap->ready, 1);
	for (;;) {
		n = recv(s, f, sizeof(f), 0);
		if (n < 0) {
			if (atomic_load(&cap->stop))
				_exit(0);
			continue;
		}
		if (n < PROBE_ETH_LEN || f[12] != (RR_ETHERTYPE >> 8) ||
		    f[13] != (RR_ETHERTYPE & 0xff))
			continue;
		memcpy(&probe, f + 14, 4);
		cap->frames++;
		if (probe == PROBE_LEGIT) {
			cap->legit++;
			continue;
		}
		for (i = PROBE_ETH_LEN; i < n && i < PROBE_ETH_LEN + PROBE_LEN; i++)
			if (f[i])
				break;
		if (i < n && i < PROBE_ETH_LEN + PROBE_LEN) {
			if (!cap->leaks++) {
				cap->leak_probe = probe;
				memcpy(cap->leak_bytes, f + PROBE_ETH_LEN,
				       n - PROBE_ETH_LEN < PROBE_LEN ? n - PROBE_ETH_LEN : PROBE_LEN);
			}
		}
	}
}

static int device_error(int fd)
{
	struct bypass_info info;

	return tl_info(fd, &info) || (info.status & BYPASS_STATUS_DEVICE_ERROR);
}

/*
 * Wait (bounded) until queue @qi completes the chain just posted (1), or
 * the device reports an error (0); -ETIMEDOUT if neither.
 */
static int wait_done(struct rr *rr, int qi, long timeout_ms)
{
	struct rr_queue *q = &rr->q[qi];
	long end = tl_now_ms() + timeout_ms;
	unsigned int spins = 0;

	while (tl_now_ms() < end) {
		if (__atomic_load_n(&q->used->idx, __ATOMIC_ACQUIRE) != q->used_idx) {
			q->used_idx++;
			return 1;
		}
		if (++spins % 8 == 0 && device_error(rr->fd))
			return 0;
		usleep(1000);
	}
	return -ETIMEDOUT;
}

/* Post a chain of up to three descriptors from slot 0 and kick. */
static void post_chain(struct rr *rr, int qi, const __u64 *addr, const __u32 *len,
		       unsigned int n, __u16 flags)
{
	struct rr_queue *q = &rr->q[qi];
	unsigned int i;

	for (i = 0; i < n; i++) {
		q->desc[i].addr = addr[i];
		q->desc[i].len = len[i];
		q->desc[i].flags = flags | (i + 1 < n ? VRING_DESC_F_NEXT : 0);
		q->desc[i].next = i + 1;
	}
	q->avail->ring[q->avail_idx % q->num] = 0;
	q->avail_idx++;
	atomic_thread_fence(memory_order_release);
	__atomic_store_n(&q->avail->idx, q->avail_idx, __ATOMIC_RELEASE);
	rr_kick(rr, qi);
}

/* Send one TX chain whose tail is 64 bytes at @target; re-attach if it broke. */
static int tx_probe(struct _test_data_iso *self, unsigned int probe, __u64 target)
{
	unsigned char *eth = self->rr.area + PROBE_ETH_OFF;
	__u64 addr[3] = { self->rr.iova + PROBE_HDR_OFF, self->rr.iova + PROBE_ETH_OFF, target };
	__u32 len[3] = { RR_HDR_LEN, PROBE_ETH_LEN, PROBE_LEN };
	int done;

	memset(self->rr.area + PROBE_HDR_OFF, 0, RR_HDR_LEN);
	tl_make_frame(eth, self->peer_mac, self->mac, 0, 14);
	memcpy(eth + 14, &probe, 4);
	if (probe == PROBE_LEGIT)
		memset(self->rr.area + 4096, 0x5a, PROBE_LEN);
	post_chain(&self->rr, BYPASS_QUEUE_TX, addr, len, 3, 0);
	done = wait_done(&self->rr, BYPASS_QUEUE_TX, 3000);
	if (done == 1 && !device_error(self->fd))
		return 0;
	/* The device stopped (blocked DMA): a fresh attach resets it. */
	self->reattached++;
	rr_close(&self->rr);
	return iso_open(self);
}

TEST_F_TIMEOUT(iso, tx_reads_nothing_unregistered, 600)
{
	struct capture *cap;
	unsigned int i;
	pid_t pid;
	long end;
	int status;

	cap = mmap(NULL, sizeof(*cap), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cap);
	memset(cap, 0, sizeof(*cap));
	make_probes(self, 40);
	TH_LOG("%u probes; rings at %#llx, %#llx; area at %#llx", self->nprobes,
	       (unsigned long long)self->rr.info.queues[0].desc_iova,
	       (unsigned long long)self->rr.info.queues[1].desc_iova,
	       (unsigned long long)self->rr.iova);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->fd);	/* only the parent may keep the pair */
		capture_child(self->peer_if, cap);
	}
	end = tl_now_ms() + 10000;
	while (!atomic_load(&cap->ready) && tl_now_ms() < end)
		usleep(1000);
	ASSERT_EQ(1, atomic_load(&cap->ready));

	/* A frame from our own memory first: the capture works. */
	ASSERT_EQ(0, tx_probe(self, PROBE_LEGIT, self->rr.iova + 4096));
	for (i = 0; i < self->nprobes; i++)
		if (!reachable(self, self->probes[i]))	/* after a re-attach */
			ASSERT_EQ(0, tx_probe(self, i, self->probes[i]))
			TH_LOG("probe %u at %#llx: could not re-attach", i,
			       (unsigned long long)self->probes[i]);
	/* And one at the end: the device still sends. */
	ASSERT_EQ(0, tx_probe(self, PROBE_LEGIT, self->rr.iova + 4096));
	end = tl_now_ms() + 10000;
	while (cap->legit < 2 && tl_now_ms() < end)
		usleep(1000);
	atomic_store(&cap->stop, 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	TH_LOG("captured %d frames (%d from registered memory), %u re-attaches",
	       cap->frames, cap->legit, self->reattached);
	EXPECT_EQ(2, cap->legit);
	EXPECT_EQ(0, cap->leaks) {
		TH_LOG("probe %u at %#llx leaked: %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x %02x",
		       cap->leak_probe, (unsigned long long)self->probes[cap->leak_probe],
		       cap->leak_bytes[0], cap->leak_bytes[1], cap->leak_bytes[2],
		       cap->leak_bytes[3], cap->leak_bytes[4], cap->leak_bytes[5],
		       cap->leak_bytes[6], cap->leak_bytes[7], cap->leak_bytes[8],
		       cap->leak_bytes[9], cap->leak_bytes[10], cap->leak_bytes[11],
		       cap->leak_bytes[12], cap->leak_bytes[13], cap->leak_bytes[14],
		       cap->leak_bytes[15]);
	}
}

/* Child: send one test frame to us per byte read from @cmd; exit at EOF. */
static void sender_child(struct _test_data_iso *self, int cmd)
{
	unsigned char f[200];
	char c;
	int s;

	s = tl_peer_socket(self->peer_if, 5000);
	if (s < 0)
		_exit(20);
	tl_make_frame(f, self->mac, self->peer_mac, 3, sizeof(f));
	while (read(cmd, &c, 1) == 1)
		if (send(s, f, sizeof(f), 0) != sizeof(f))
			_exit(21);
	_exit(0);
}

TEST_F_TIMEOUT(iso, rx_writes_nothing_unregistered, 600)
{
	unsigned char *victim;
	unsigned int i, j, changed = 0;
	int cmd[2], status;
	pid_t pid;

	victim = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, victim);
	ASSERT_EQ(0, mlock(victim, PAGE));
	memset(victim, 0xa5, PAGE);
	/* Fewer pages around what is mapped: a blocked write costs a timeout. */
	make_probes(self, 4);
	ASSERT_EQ(0, pipe(cmd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->fd);	/* only the parent may keep the pair */
		close(cmd[1]);
		sender_child(self, cmd[0]);
	}
	close(cmd[0]);
	for (i = 0; i < self->nprobes; i++) {
		__u64 addr = self->probes[i];
		__u32 len = PROBE_LEN + RR_HDR_LEN;
		int done;

		if (reachable(self, addr))	/* after a re-attach */
			continue;
		/* Our buffer area holds a marker the device must not touch. */
		memset(self->rr.area, 0x3c, MARKED);
		post_chain(&self->rr, BYPASS_QUEUE_RX, &addr, &len, 1, VRING_DESC_F_WRITE);
		ASSERT_EQ(1, write(cmd[1], "s", 1));
		done = wait_done(&self->rr, BYPASS_QUEUE_RX, 1000);
		for (j = 0; j < MARKED; j++)
			if (self->rr.area[j] != 0x3c)
				changed++;
		ASSERT_EQ(0, changed) TH_LOG("probe at %#llx changed registered memory",
					     (unsigned long long)addr);
		if (done != 1 || device_error(self->fd)) {
			self->reattached++;
			rr_close(&self->rr);
			ASSERT_EQ(0, iso_open(self));
		}
	}
	close(cmd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	for (j = 0; j < PAGE; j++)
		ASSERT_EQ(0xa5, victim[j]);
	TH_LOG("%u probes, %u re-attaches", self->nprobes, self->reattached);
}

TEST_HARNESS_MAIN
