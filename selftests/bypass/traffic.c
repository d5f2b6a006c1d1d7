// SPDX-License-Identifier: GPL-2.0
/*
 * Frames through a queue pair driven by the minimal raw-ring driver: the
 * Linux peer's frame lands in a posted buffer and the eventfd fires; our
 * frame reaches the peer; a descriptor outside registered memory is stopped
 * by the IOMMU; kill -9 and unbind in the middle leave the device usable.
 */
#include "kselftest_harness.h"
#include "rawring.h"

FIXTURE(ring) {
	int fd;
	struct rr rr;
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
};

static int ring_open(struct _test_data_ring *self)
{
	self->fd = tl_open_attached();
	if (self->fd < 0)
		return self->fd;
	return rr_setup(&self->rr, self->fd);
}

FIXTURE_SETUP(ring)
{
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, tl_claim_one_pair());
	ASSERT_EQ(0, ring_open(self));
	memcpy(self->mac, self->rr.info.mac, 6);
	tl_parse_mac(tl_peer_mac(), self->peer_mac);
}

FIXTURE_TEARDOWN(ring)
{
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

/* Start reading the kernel log from now on (non-blocking). */
static int kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Wait (bounded) for a kernel log record containing both strings. */
static int kmsg_wait(int fd, const char *a, const char *b, long timeout_ms)
{
	long end = tl_now_ms() + timeout_ms;
	char rec[1024];
	ssize_t n;

	while (tl_now_ms() < end) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLIN };

			poll(&p, 1, 100);
			continue;
		}
		if (n <= 0)
			continue;	/* EPIPE: overwritten records; keep going */
		rec[n] = 0;
		if (strstr(rec, a) && strstr(rec, b))
			return 0;
	}
	return -ETIMEDOUT;
}

/* Child: send @count test frames from the peer to us, seeds first..; exit 0. */
static pid_t peer_send(struct _test_data_ring *self, unsigned int first, unsigned int count,
		       size_t len)
{
	pid_t pid = fork();
	unsigned char f[1514];
	unsigned int i;
	int s;

	if (pid)
		return pid;
	s = tl_peer_socket(self->peer_if, 5000);
	if (s < 0)
		_exit(20);
	for (i = 0; i < count; i++) {
		tl_make_frame(f, self->mac, self->peer_mac, first + i, len);
		if (send(s, f, len, 0) != (ssize_t)len)
			_exit(21);
	}
	_exit(0);
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void post_rx_buffers(struct rr *rr, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		rr_post(rr, BYPASS_QUEUE_RX, i, rr->iova + i * RR_BUF_SIZE, RR_BUF_SIZE,
			VRING_DESC_F_WRITE);
	rr_kick(rr, BYPASS_QUEUE_RX);
}

/*
 * Receive the next frame of our test EtherType within @timeout_ms, skipping
 * anything else; the buffer is posted again. Returns its length or -errno.
 */
static long rx_next(struct rr *rr, unsigned char *out, long timeout_ms)
{
	long end = tl_now_ms() + timeout_ms;
	__u32 id, len;
	unsigned char *b;

	for (;;) {
		long left = end - tl_now_ms();

		if (left < 0 || rr_wait_used(rr, BYPASS_QUEUE_RX, left, &id, &len))
			return -ETIMEDOUT;
		if (id >= RR_AREA / RR_BUF_SIZE || len < RR_HDR_LEN + 14 || len > RR_BUF_SIZE)
			return -EPROTO;
		b = rr->area + id * RR_BUF_SIZE;
		len -= RR_HDR_LEN;
		memcpy(out, b + RR_HDR_LEN, len);
		rr_post(rr, BYPASS_QUEUE_RX, id, rr->iova + id * RR_BUF_SIZE, RR_BUF_SIZE,
			VRING_DESC_F_WRITE);
		rr_kick(rr, BYPASS_QUEUE_RX);
		if (out[12] == (RR_ETHERTYPE >> 8) && out[13] == (RR_ETHERTYPE & 0xff))
			return len;
	}
}

TEST_F(ring, rx_frame_fires_eventfd)
{
	unsigned char got[2048], want[1514];
	struct virtio_net_hdr_v1 *h;
	pid_t pid;
	long n;

	post_rx_buffers(&self->rr, 16);
	pid = peer_send(self, 1, 1, 100);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));
	/* The interrupt arrives as an eventfd signal... */
	ASSERT_LE(1, rr_wait_eventfd(self->rr.efd[BYPASS_QUEUE_RX], 5000));
	/* ...and the frame is in the buffer the device used. */
	n = rx_next(&self->rr, got, 5000);
	ASSERT_EQ(100, n);
	tl_make_frame(want, self->mac, self->peer_mac, 1, 100);
	EXPECT_EQ(0, memcmp(got, want, 100));
	h = (void *)self->rr.area;
	EXPECT_EQ(1, h->num_buffers);
}

TEST_F(ring, tx_frame_reaches_peer)
{
	unsigned char want[300], got[1514];
	int ready[2];
	__u32 id, len;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(ready));
	tl_make_frame(want, self->peer_mac, self->mac, 7, sizeof(want));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s = tl_peer_socket(self->peer_if, 5000);
		ssize_t r;

		if (s < 0 || write(ready[1], "r", 1) != 1)
			_exit(20);
		r = recv(s, got, sizeof(got), 0);
		if (r != sizeof(want))
			_exit(21);
		_exit(memcmp(got, want, sizeof(want)) ? 22 : 0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	memset(self->rr.area, 0, RR_HDR_LEN);
	memcpy(self->rr.area + RR_HDR_LEN, want, sizeof(want));
	rr_post(&self->rr, BYPASS_QUEUE_TX, 0, self->rr.iova, RR_HDR_LEN + sizeof(want), 0);
	rr_kick(&self->rr, BYPASS_QUEUE_TX);
	ASSERT_EQ(0, rr_wait_used(&self->rr, BYPASS_QUEUE_TX, 5000, &id, &len));
	EXPECT_EQ(0, id);
	EXPECT_EQ(0, child_status(pid));
}

TEST_F(ring, many_frames_wrap_the_ring)
{
	unsigned char got[2048], want[1514];
	const unsigned int count = 704;	/* well past a 256-entry ring, twice */
	const unsigned int batch = 32;	/* never more in flight than buffers */
	int go[2];
	unsigned int i;
	pid_t pid;
	char c;

	/*
	 * Like a real NIC, the device drops frames when it has no buffers, so
	 * the peer sends in batches and waits for each to be consumed.
	 */
	ASSERT_EQ(0, pipe(go));
	post_rx_buffers(&self->rr, 2 * batch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char f[1514];
		int s = tl_peer_socket(self->peer_if, 5000);

		if (s < 0)
			_exit(20);
		for (i = 0; i < count; i++) {
			if (i % batch == 0 && read(go[0], &c, 1) != 1)
				_exit(21);
			tl_make_frame(f, self->mac, self->peer_mac, 1000 + i, 61);
			if (send(s, f, 61, 0) != 61)
				_exit(22);
		}
		_exit(0);
	}
	close(go[0]);
	for (i = 0; i < count; i++) {
		if (i % batch == 0)
			ASSERT_EQ(1, write(go[1], "g", 1));
		ASSERT_EQ(61, rx_next(&self->rr, got, 5000)) TH_LOG("frame %u", i);
		tl_make_frame(want, self->mac, self->peer_mac, 1000 + i, 61);
		ASSERT_EQ(0, memcmp(got, want, 61)) {
			/* Which frame came instead (low 8 bits of its seed)? */
			TH_LOG("frame %u: got seed %u, want %u", i,
			       ((got[14] - 14 * 7) * 223) & 0xff, (1000 + i) & 0xff);
		}
	}
	EXPECT_EQ(0, child_status(pid));
	EXPECT_LT(512, self->rr.q[BYPASS_QUEUE_RX].used_idx);
}

/* Physical address of a resident page of ours (root can read pagemap). */
static __u64 phys_addr(void *p)
{
	__u64 ent = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &ent, 8, ((uintptr_t)p / 4096) * 8) != 8)
		ent = 0;
	close(fd);
	if (!(ent & (1ULL << 63)))
		return 0;
	return (ent & ((1ULL << 55) - 1)) * 4096;
}

TEST_F(ring, descriptor_outside_registered_memory_is_blocked)
{
	unsigned char *victim, got[2048];
	char who[64];
	unsigned int i;
	int kmsg;
	__u64 pa;
	pid_t pid;

	victim = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, victim);
	ASSERT_EQ(0, mlock(victim, 4096));
	memset(victim, 0xa5, 4096);
	pa = phys_addr(victim);
	ASSERT_NE(0, pa);
	kmsg = kmsg_open();
	ASSERT_LE(0, kmsg);

	/*
	 * Without an IOMMU the device would write the frame at @pa. QEMU's
	 * stderr shows the refused write ("vtd_iova_to_slpte: detected slpte
	 * permission error"): expected, this test makes it on purpose.
	 */
	rr_post(&self->rr, BYPASS_QUEUE_RX, 0, pa, 2048, VRING_DESC_F_WRITE);
	rr_kick(&self->rr, BYPASS_QUEUE_RX);
	pid = peer_send(self, 5, 1, 200);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));

	/* The IOMMU refuses the write and says so... */
	snprintf(who, sizeof(who), "Request device [%s]", tl_nic() + 5);
	EXPECT_EQ(0, kmsg_wait(kmsg, "DMAR", who, 5000));
	/* ...and not one byte of memory we did not register changed. */
	for (i = 0; i < 4096; i++)
		ASSERT_EQ(0xa5, victim[i]) TH_LOG("byte %u of unregistered memory changed", i);
	close(kmsg);

	/* The queue pair still works for buffers inside registered memory. */
	post_rx_buffers(&self->rr, 16);
	pid = peer_send(self, 6, 1, 200);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(200, rx_next(&self->rr, got, 5000));
}

TEST_F(ring, device_error_reported_and_recovered_by_reattach)
{
	struct bypass_info info;
	struct rr_queue *q = &self->rr.q[BYPASS_QUEUE_RX];
	unsigned char got[2048];
	long end;
	pid_t pid;

	/*
	 * An available-ring entry naming a descriptor that cannot exist
	 * (QEMU's stderr: "Guest says index 259 is available", on purpose).
	 */
	q->avail->ring[0] = q->num + 3;
	__atomic_store_n(&q->avail->idx, 1, __ATOMIC_RELEASE);
	rr_kick(&self->rr, BYPASS_QUEUE_RX);
	pid = peer_send(self, 5, 1, 200);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));

	/* The device asks for a reset; the eventfd fires and status says so. */
	ASSERT_LE(1, rr_wait_eventfd(self->rr.efd[BYPASS_QUEUE_RX], 5000));
	end = tl_now_ms() + 5000;
	do {
		ASSERT_EQ(0, tl_info(self->fd, &info));
	} while (!(info.status & BYPASS_STATUS_DEVICE_ERROR) && tl_now_ms() < end);
	EXPECT_EQ(BYPASS_STATUS_ATTACHED | BYPASS_STATUS_DEVICE_ERROR, info.status);
	/* An eventfd bound later is signalled at once, so nothing is missed. */
	{
		struct bypass_eventfd e = { .argsz = sizeof(e), .queue = BYPASS_QUEUE_TX };
		int efd = eventfd(0, EFD_NONBLOCK);

		e.fd = efd;
		ASSERT_EQ(0, ioctl(self->fd, BYPASS_SET_EVENTFD, &e));
		EXPECT_EQ(1, rr_wait_eventfd(efd, 0));
		close(efd);
	}

	/* Re-attaching resets the device, and it works again. */
	rr_close(&self->rr);
	ASSERT_EQ(0, ring_open(self));
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
	post_rx_buffers(&self->rr, 16);
	pid = peer_send(self, 6, 1, 200);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(200, rx_next(&self->rr, got, 5000));
}

TEST_F(ring, kill9_with_traffic_then_reuse)
{
	unsigned char got[2048];
	int ready[2];
	pid_t pid;
	char c;

	rr_close(&self->rr);
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct _test_data_ring me = *self;
		unsigned char f[1514];
		unsigned int n = 0, i;
		__u32 id, len;

		if (ring_open(&me))
			_exit(20);
		close(ready[0]);
		tl_make_frame(f, me.peer_mac, me.mac, 0, 1000);
		for (i = 0; i < 128; i++)
			memcpy(me.rr.area + i * RR_BUF_SIZE + RR_HDR_LEN, f, 1000);
		post_rx_buffers(&me.rr, 128);
		for (i = 0; i < 128; i++)
			rr_post(&me.rr, BYPASS_QUEUE_TX, i, me.rr.iova + i * RR_BUF_SIZE,
				RR_HDR_LEN + 1000, 0);
		rr_kick(&me.rr, BYPASS_QUEUE_TX);
		if (write(ready[1], "r", 1) != 1)
			_exit(21);
		for (;;) {	/* keep the queue busy until killed */
			if (rr_wait_used(&me.rr, BYPASS_QUEUE_TX, 100, &id, &len))
				continue;
			rr_post(&me.rr, BYPASS_QUEUE_TX, id, me.rr.iova + id * RR_BUF_SIZE,
				RR_HDR_LEN + 1000, 0);
			if (++n % 16 == 0)
				rr_kick(&me.rr, BYPASS_QUEUE_TX);
		}
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1)) {
		kill(pid, SIGKILL);
		TH_LOG("child exited %d before traffic", child_status(pid));
	}
	ASSERT_EQ(0, kill(pid, SIGKILL));
	EXPECT_EQ(-1, child_status(pid));

	/* The pair, its memory and the device are free for the next process. */
	ASSERT_EQ(0, ring_open(self));
	post_rx_buffers(&self->rr, 16);
	pid = peer_send(self, 9, 1, 300);
	ASSERT_LT(0, pid);
	EXPECT_EQ(0, child_status(pid));
	EXPECT_EQ(300, rx_next(&self->rr, got, 5000));
}

TEST_F(ring, unbind_while_mapped_revokes)
{
	struct bypass_kick k = { .argsz = sizeof(k) };
	struct bypass_info info;
	void *p;

	post_rx_buffers(&self->rr, 4);
	EXPECT_EQ(0, tl_touch_signal(&self->rr.q[0].used->idx, 0));
	/* The admin takes the device away while we have it mapped. */
	ASSERT_EQ(0, tl_release());
	EXPECT_EQ(SIGBUS, tl_touch_signal(&self->rr.q[0].used->idx, 0));
	EXPECT_EQ(SIGBUS, tl_touch_signal(&self->rr.q[1].avail->idx, 1));
	EXPECT_EQ(SIGBUS, tl_touch_signal(self->rr.q[1].notify, 1));
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_REVOKED, info.status);
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_KICK, &k));
	EXPECT_EQ(ENODEV, errno);
	p = mmap(NULL, self->rr.q[0].ring_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		 self->fd, BYPASS_MMAP_RX_RING);
	EXPECT_EQ(MAP_FAILED, p);
	EXPECT_EQ(ENODEV, errno);
	/* Nothing stays pinned for us. */
	EXPECT_EQ(0, tl_vmlck_kb());
	/* The same file can attach again once the device is back. */
	ASSERT_EQ(0, tl_claim());
	EXPECT_EQ(0, tl_attach(self->fd, tl_nic(), 0));
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
}

TEST_HARNESS_MAIN
