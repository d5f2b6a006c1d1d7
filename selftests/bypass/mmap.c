// SPDX-License-Identifier: GPL-2.0
/*
 * mmap of rings, doorbells and the stats page, and the eventfd and kick
 * ioctls: the right way works, every wrong way gets its errno.
 */
#include "kselftest_harness.h"
#include "rawring.h"

FIXTURE(att) {
	int fd;
	struct bypass_info info;
};

FIXTURE_SETUP(att)
{
	ASSERT_EQ(0, tl_claim());
	self->fd = tl_open_attached();
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, tl_info(self->fd, &self->info));
}

FIXTURE_TEARDOWN(att)
{
	close(self->fd);
	EXPECT_EQ(0, tl_release());
}

static int map_err(int fd, size_t len, int prot, int flags, off_t off)
{
	void *p = mmap(NULL, len, prot, flags, fd, off);

	if (p == MAP_FAILED)
		return -errno;
	munmap(p, len);
	return 0;
}

#define RW (PROT_READ | PROT_WRITE)

TEST_F(att, ring_maps_and_matches_layout)
{
	struct bypass_queue_info *qi = &self->info.queues[BYPASS_QUEUE_TX];
	struct vring_avail *avail;
	void *p;

	p = mmap(NULL, qi->ring_size, RW, MAP_SHARED, self->fd, qi->ring_offset);
	ASSERT_NE(MAP_FAILED, p);
	/* A fresh ring: nothing available, nothing used. */
	avail = (void *)((char *)p + qi->avail_offset);
	EXPECT_EQ(0, avail->idx);
	EXPECT_EQ(0, ((struct vring_used *)((char *)p + qi->used_offset))->idx);
	EXPECT_EQ(0, munmap(p, qi->ring_size));
	p = mmap(NULL, 4096, RW, MAP_SHARED, self->fd, BYPASS_MMAP_STATS);
	ASSERT_NE(MAP_FAILED, p);
	((struct bypass_qp_stats *)p)->rx_packets = 42;
	EXPECT_EQ(0, munmap(p, 4096));
}

TEST_F(att, wrong_offsets_sizes_and_flags)
{
	struct bypass_queue_info *qi = &self->info.queues[BYPASS_QUEUE_RX];
	size_t rs = qi->ring_size;

	EXPECT_EQ(-EINVAL, map_err(self->fd, rs, RW, MAP_SHARED, 4096));
	EXPECT_EQ(-EINVAL, map_err(self->fd, rs, RW, MAP_SHARED, BYPASS_MMAP_TX_RING + 4096));
	EXPECT_EQ(-EINVAL, map_err(self->fd, 4096, RW, MAP_SHARED, 0x50000000));
	EXPECT_EQ(-EINVAL, map_err(self->fd, rs - 4096, RW, MAP_SHARED, qi->ring_offset));
	EXPECT_EQ(-EINVAL, map_err(self->fd, rs + 4096, RW, MAP_SHARED, qi->ring_offset));
	EXPECT_EQ(-EINVAL, map_err(self->fd, 8192, PROT_WRITE, MAP_SHARED, qi->notify_offset));
	EXPECT_EQ(-EINVAL, map_err(self->fd, rs, RW, MAP_PRIVATE, qi->ring_offset));
	EXPECT_EQ(-EACCES, map_err(self->fd, rs, RW | PROT_EXEC, MAP_SHARED, qi->ring_offset));
	/* Doorbells are write-only. */
	EXPECT_EQ(-EACCES, map_err(self->fd, 4096, RW, MAP_SHARED, qi->notify_offset));
	EXPECT_EQ(0, map_err(self->fd, 4096, PROT_WRITE, MAP_SHARED, qi->notify_offset));
}

TEST_F(att, protections_cannot_be_widened)
{
	struct bypass_queue_info *qi = &self->info.queues[BYPASS_QUEUE_RX];
	void *db, *ring;

	db = mmap(NULL, 4096, PROT_WRITE, MAP_SHARED, self->fd, qi->notify_offset);
	ASSERT_NE(MAP_FAILED, db);
	EXPECT_EQ(-1, mprotect(db, 4096, PROT_READ | PROT_WRITE));
	EXPECT_EQ(EACCES, errno);
	ring = mmap(NULL, qi->ring_size, RW, MAP_SHARED, self->fd, qi->ring_offset);
	ASSERT_NE(MAP_FAILED, ring);
	EXPECT_EQ(-1, mprotect(ring, qi->ring_size, RW | PROT_EXEC));
	EXPECT_EQ(EACCES, errno);
	/* Growing the mapping is refused too. */
	EXPECT_EQ(MAP_FAILED, mremap(ring, qi->ring_size, qi->ring_size + 4096, 0));
	munmap(db, 4096);
	munmap(ring, qi->ring_size);
}

TEST_F(att, detach_revokes_and_fork_does_not_inherit)
{
	struct bypass_queue_info *qi = &self->info.queues[BYPASS_QUEUE_RX];
	volatile __u16 *idx;
	void *ring;
	pid_t pid;
	int status;

	ring = mmap(NULL, qi->ring_size, RW, MAP_SHARED, self->fd, qi->ring_offset);
	ASSERT_NE(MAP_FAILED, ring);
	idx = (void *)((char *)ring + qi->used_offset + 2);
	EXPECT_EQ(0, tl_touch_signal(idx, 0));
	/* A child has no such mapping at all (it is not copied on fork). */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(tl_touch_signal(idx, 0) == SIGSEGV ? 0 : 1);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* After detach the old mapping faults instead of showing freed memory. */
	ASSERT_EQ(0, ioctl(self->fd, BYPASS_DETACH, 0));
	EXPECT_EQ(SIGBUS, tl_touch_signal(idx, 0));
	EXPECT_EQ(-ENXIO, map_err(self->fd, qi->ring_size, RW, MAP_SHARED, qi->ring_offset));
	munmap(ring, qi->ring_size);
}

TEST(mmap_needs_attach)
{
	int fd = open(BYPASS_DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENXIO, map_err(fd, 4096, RW, MAP_SHARED, BYPASS_MMAP_STATS));
	close(fd);
}

static int set_efd(int fd, __u32 queue, int efd, __u32 flags)
{
	struct bypass_eventfd e = { .argsz = sizeof(e), .flags = flags, .queue = queue,
				    .fd = efd };

	return ioctl(fd, BYPASS_SET_EVENTFD, &e) ? -errno : 0;
}

static int kick(int fd, __u32 queue)
{
	struct bypass_kick k = { .argsz = sizeof(k), .queue = queue };

	return ioctl(fd, BYPASS_KICK, &k) ? -errno : 0;
}

TEST_F(att, eventfd_and_kick_arguments)
{
	int efd = eventfd(0, 0);
	int pipefd[2];

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(0, set_efd(self->fd, BYPASS_QUEUE_RX, efd, 0));
	EXPECT_EQ(0, set_efd(self->fd, BYPASS_QUEUE_TX, efd, 0));
	EXPECT_EQ(0, set_efd(self->fd, BYPASS_QUEUE_RX, -1, 0));
	EXPECT_EQ(-EINVAL, set_efd(self->fd, 2, efd, 0));
	EXPECT_EQ(-EINVAL, set_efd(self->fd, BYPASS_QUEUE_RX, efd, 1));
	EXPECT_EQ(-EBADF, set_efd(self->fd, BYPASS_QUEUE_RX, -2, 0));
	EXPECT_EQ(-EBADF, set_efd(self->fd, BYPASS_QUEUE_RX, 1000, 0));
	EXPECT_EQ(-EINVAL, set_efd(self->fd, BYPASS_QUEUE_RX, pipefd[0], 0));
	EXPECT_EQ(0, kick(self->fd, BYPASS_QUEUE_RX));
	EXPECT_EQ(0, kick(self->fd, BYPASS_QUEUE_TX));
	EXPECT_EQ(-EINVAL, kick(self->fd, 2));
	close(efd);
}

TEST(queue_ioctls_need_attach)
{
	int fd = open(BYPASS_DEV_PATH, O_RDWR);
	int efd = eventfd(0, 0);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, set_efd(fd, BYPASS_QUEUE_RX, efd, 0));
	EXPECT_EQ(-ENOTCONN, kick(fd, BYPASS_QUEUE_RX));
	close(efd);
	close(fd);
}

TEST_HARNESS_MAIN
