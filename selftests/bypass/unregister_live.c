// SPDX-License-Identifier: GPL-2.0
/*
 * BYPASS_UNREGISTER_MEM while the queue pair is attached: it succeeds, the
 * pages are no longer pinned, and a descriptor still naming the region's
 * IOVAs afterwards writes nothing into them (the IOMMU blocks it).
 */
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "rrfixture.h"

#define REGION	(64 << 10)

FIXTURE(live) {
	int fd;
	struct rr rr;
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
};

FIXTURE_SETUP(live)
{
	ASSERT_EQ(0, rr_fixture_open(&self->fd, &self->rr, self->peer_if, sizeof(self->peer_if),
				     self->mac, self->peer_mac));
}

FIXTURE_TEARDOWN(live)
{
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

TEST_F(live, unregister_while_attached_unmaps_first)
{
	struct bypass_mem_reg reg = { .argsz = sizeof(reg), .len = REGION };
	struct bypass_mem_unreg un = { .argsz = sizeof(un) };
	unsigned char *b, f[200];
	struct bypass_info info;
	unsigned int i;
	long end;
	pid_t pid;
	int s, status;

	b = mmap(NULL, REGION, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
		 -1, 0);
	ASSERT_NE(MAP_FAILED, b);
	reg.addr = (uintptr_t)b;
	ASSERT_EQ(0, ioctl(self->fd, BYPASS_REGISTER_MEM, &reg));
	ASSERT_EQ((RR_AREA + REGION) / 1024, tl_vmlck_kb());
	un.id = reg.id;
	ASSERT_EQ(0, ioctl(self->fd, BYPASS_UNREGISTER_MEM, &un));
	EXPECT_EQ(RR_AREA / 1024, tl_vmlck_kb());
	/* Gone for good: a second unregister finds nothing. */
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_UNREGISTER_MEM, &un));
	EXPECT_EQ(ENOENT, errno);

	/* A receive buffer at the old IOVA, and a frame from the peer. */
	memset(b, 0x77, REGION);
	rr_post(&self->rr, BYPASS_QUEUE_RX, 0, reg.iova, 2048, VRING_DESC_F_WRITE);
	rr_kick(&self->rr, BYPASS_QUEUE_RX);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(self->fd);
		s = tl_peer_socket(self->peer_if, 5000);
		tl_make_frame(f, self->mac, self->peer_mac, 9, sizeof(f));
		_exit(s >= 0 && send(s, f, sizeof(f), 0) == sizeof(f) ? 0 : 20);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* Give the device time to act on it: done, error, or 3 s. */
	end = tl_now_ms() + 3000;
	while (tl_now_ms() < end &&
	       __atomic_load_n(&self->rr.q[BYPASS_QUEUE_RX].used->idx, __ATOMIC_ACQUIRE) == 0) {
		ASSERT_EQ(0, tl_info(self->fd, &info));
		if (info.status & BYPASS_STATUS_DEVICE_ERROR)
			break;
		usleep(10000);
	}
	for (i = 0; i < REGION; i++)
		ASSERT_EQ(0x77, b[i]) TH_LOG("byte %u of the unregistered region changed", i);
}

/*
 * A registration whose reply is lost (finding 7 of issue 12): on an
 * isolated device the region is dropped at once, which is safe because it
 * leaves the IOMMU domain before the unpin, and the pair stays attached.
 */
TEST_F(live, lost_register_reply_drops_the_region)
{
	struct bypass_info info;
	void *b = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_NE(MAP_FAILED, b);
	EXPECT_EQ(-EFAULT, rr_register_reply_lost(self->fd, b, REGION));
	EXPECT_EQ(RR_AREA / 1024, tl_vmlck_kb());
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
}

TEST_HARNESS_MAIN
