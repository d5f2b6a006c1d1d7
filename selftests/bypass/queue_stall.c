// SPDX-License-Identifier: GPL-2.0
/*
 * A tx queue that stops making progress is reported and the next owner
 * gets a working NIC. Two ways to stall it: with every other NIC on the
 * QEMU hub unbound, nothing can take our frame and the device holds it;
 * and descriptors at IOVAs nobody registered. Either way GET_INFO says
 * BYPASS_STATUS_QUEUE_STALLED (when the queue held work) and the eventfds
 * fire; after close, a new owner's valid frame reaches the Linux peer.
 */
#include "kselftest_harness.h"
#include "rrfixture.h"

#define STALL_WAIT_MS	10000

static const char *noiommu_nic(void)
{
	const char *p = getenv("BYPASS_NOIOMMU_PCI");

	return p ? p : "0000:00:06.0";
}

/* Unbind a PCI function from whatever driver has it. */
static int pci_unbind(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver/unbind", bdf);
	if (access(path, F_OK))
		return 0;
	return tl_sysfs_write(path, bdf);
}

FIXTURE(stall) {
	int fd;
	struct rr rr;
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
};

FIXTURE_SETUP(stall)
{
	ASSERT_EQ(0, rr_fixture_open(&self->fd, &self->rr, self->peer_if, sizeof(self->peer_if),
				     self->mac, self->peer_mac));
}

FIXTURE_TEARDOWN(stall)
{
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

/* Post one valid frame to the peer in tx slot @id of the buffer area. */
static void post_frame(struct _test_data_stall *self, __u16 id, unsigned int seed)
{
	unsigned char *b = self->rr.area + id * RR_BUF_SIZE;

	memset(b, 0, RR_HDR_LEN);
	tl_make_frame(b + RR_HDR_LEN, self->peer_mac, self->mac, seed, 300);
	rr_post(&self->rr, BYPASS_QUEUE_TX, id, self->rr.iova + id * RR_BUF_SIZE,
		RR_HDR_LEN + 300, 0);
	rr_kick(&self->rr, BYPASS_QUEUE_TX);
}

/* Wait (bounded) for GET_INFO to show @bits. */
static int wait_status(int fd, __u32 bits, long timeout_ms)
{
	long end = tl_now_ms() + timeout_ms;
	struct bypass_info info;

	do {
		if (tl_info(fd, &info))
			return -errno;
		if ((info.status & bits) == bits)
			return 0;
		usleep(20000);
	} while (tl_now_ms() < end);
	return -ETIMEDOUT;
}

/*
 * Close, attach as a new owner, and check that a valid frame reaches the
 * peer (the peer's packet socket compares it byte for byte).
 */
static void next_owner_sends(struct __test_metadata *_metadata,
			     struct _test_data_stall *self)
{
	unsigned char want[300], got[1514];
	struct bypass_info info;
	int ready[2], status;
	__u32 id, len;
	pid_t pid;
	char c;

	rr_close(&self->rr);
	self->fd = tl_open_attached();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, rr_setup(&self->rr, self->fd));
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);

	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int s;
		ssize_t r;

		close(self->fd);
		s = tl_peer_socket(self->peer_if, 5000);
		if (s < 0 || write(ready[1], "r", 1) != 1)
			_exit(20);
		tl_make_frame(want, self->peer_mac, self->mac, 77, sizeof(want));
		do
			r = recv(s, got, sizeof(got), 0);
		while (r > 0 && (r != sizeof(want) || memcmp(got, want, sizeof(want))));
		_exit(r == sizeof(want) ? 0 : 21);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	post_frame(self, 0, 77);
	ASSERT_EQ(0, rr_wait_used(&self->rr, BYPASS_QUEUE_TX, 5000, &id, &len));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_F_TIMEOUT(stall, tx_held_by_device_is_reported_and_reset, 120)
{
	/* Nobody else on the hub can receive: the device holds our frames. */
	ASSERT_EQ(0, pci_unbind(tl_peer()));
	ASSERT_EQ(0, pci_unbind(noiommu_nic()));
	post_frame(self, 0, 1);
	post_frame(self, 1, 2);
	EXPECT_EQ(0, wait_status(self->fd, BYPASS_STATUS_ATTACHED | BYPASS_STATUS_QUEUE_STALLED,
				 STALL_WAIT_MS));
	EXPECT_LE(1, rr_wait_eventfd(self->rr.efd[BYPASS_QUEUE_TX], 1000));

	/* The peer comes back (its interface anew, in a fresh namespace). */
	ASSERT_EQ(0, tl_pci_bind(noiommu_nic(), ""));
	ASSERT_EQ(0, tl_pci_bind(tl_peer(), ""));
	ASSERT_EQ(0, system("ip netns del peer"));
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	next_owner_sends(_metadata, self);
}

TEST_F_TIMEOUT(stall, unmapped_descriptors_then_next_owner_works, 120)
{
	static const __u64 bad[] = { 0, 0x10000, 0x11000, 0x7fff0000, 1ULL << 38 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		rr_post(&self->rr, BYPASS_QUEUE_TX, i, bad[i], 64, 0);
	rr_kick(&self->rr, BYPASS_QUEUE_TX);
	for (i = 0; i < 16; i++)
		rr_post(&self->rr, BYPASS_QUEUE_RX, i, bad[i % 5], 2048, VRING_DESC_F_WRITE);
	rr_kick(&self->rr, BYPASS_QUEUE_RX);
	next_owner_sends(_metadata, self);
}

TEST_HARNESS_MAIN
