// SPDX-License-Identifier: GPL-2.0
/*
 * BYPASS_REGISTER_MEM / UNREGISTER_MEM / GET_IOVAS: what may be pinned, how
 * it is accounted, and every way of asking wrongly.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define MIB (1UL << 20)

static int reg(int fd, void *addr, unsigned long len, struct bypass_mem_reg *out)
{
	struct bypass_mem_reg r = { .argsz = sizeof(r), .addr = (uintptr_t)addr, .len = len };
	int ret = ioctl(fd, BYPASS_REGISTER_MEM, &r) ? -errno : 0;

	if (out)
		*out = r;
	return ret;
}

static int unreg(int fd, __u32 id)
{
	struct bypass_mem_unreg u = { .argsz = sizeof(u), .id = id };

	return ioctl(fd, BYPASS_UNREGISTER_MEM, &u) ? -errno : 0;
}

static void *anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

FIXTURE(attached) {
	int fd;
};

FIXTURE_SETUP(attached)
{
	ASSERT_EQ(0, tl_claim());
	self->fd = tl_open_attached();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(attached)
{
	close(self->fd);
	EXPECT_EQ(0, tl_release());
}

TEST_F(attached, register_anonymous_and_account)
{
	struct bypass_mem_reg r;
	long before = tl_vmlck_kb();
	void *p = anon(4 * MIB);

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, reg(self->fd, p, 4 * MIB, &r));
	EXPECT_TRUE(r.flags & BYPASS_MEM_F_CONTIGUOUS);
	EXPECT_NE(0, r.iova);
	EXPECT_NE(0, r.id);
	EXPECT_EQ(before + 4096, tl_vmlck_kb());
	/* Behind the IOMMU a live pair's region can go: it is unmapped first. */
	EXPECT_EQ(0, unreg(self->fd, r.id));
	EXPECT_EQ(before, tl_vmlck_kb());
	ASSERT_EQ(0, reg(self->fd, p, 4 * MIB, &r));
	EXPECT_EQ(-ENOENT, unreg(self->fd, r.id + 100));
	/* Detach stops the queues and releases all registrations. */
	ASSERT_EQ(0, ioctl(self->fd, BYPASS_DETACH, 0));
	EXPECT_EQ(before, tl_vmlck_kb());
	EXPECT_EQ(-ENOENT, unreg(self->fd, r.id));
}

TEST_F(attached, close_releases_accounting)
{
	long before = tl_vmlck_kb();
	void *p = anon(2 * MIB);
	int fd2;

	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, reg(self->fd, p, 2 * MIB, NULL));
	EXPECT_EQ(before + 2048, tl_vmlck_kb());
	/* Reopen the device on the same number so teardown stays simple. */
	fd2 = dup(self->fd);
	close(self->fd);
	EXPECT_EQ(before + 2048, tl_vmlck_kb());	/* still open via the dup */
	close(fd2);
	EXPECT_EQ(before, tl_vmlck_kb());
	self->fd = open(BYPASS_DEV_PATH, O_RDWR);
}

TEST_F(attached, bad_regions)
{
	char *p = anon(2 * MIB);
	struct bypass_mem_reg r;

	ASSERT_NE(NULL, p);
	EXPECT_EQ(-EINVAL, reg(self->fd, p, 0, NULL));
	EXPECT_EQ(-EINVAL, reg(self->fd, p + 1, 4096, NULL));
	EXPECT_EQ(-EINVAL, reg(self->fd, p, 4095, NULL));
	EXPECT_EQ(-EINVAL, reg(self->fd, p, BYPASS_MEM_MAX + 4096, NULL));
	EXPECT_EQ(-EINVAL, reg(self->fd, (void *)(~0UL & ~4095UL), 8192, NULL));
	/* Beyond user address space, and a hole in it. */
	EXPECT_EQ(-EFAULT, reg(self->fd, (void *)(1UL << 47), 4096, NULL));
	ASSERT_EQ(0, munmap(p + MIB, 4096));
	EXPECT_EQ(-EFAULT, reg(self->fd, p, 2 * MIB, NULL));
	/* Nothing stayed pinned or accounted by those failures. */
	EXPECT_EQ(0, tl_vmlck_kb());
	ASSERT_EQ(0, reg(self->fd, p, MIB, &r));
	EXPECT_EQ(-EEXIST, reg(self->fd, p + MIB - 4096, 4096, NULL));
	EXPECT_EQ(-EEXIST, reg(self->fd, p, 4096, NULL));
	EXPECT_EQ(0, reg(self->fd, p + MIB + 4096, 4096, NULL));
}

TEST_F(attached, bad_argument_structs)
{
	struct bypass_mem_reg r = { .argsz = sizeof(r) };
	void *p = anon(4096);

	r.addr = (uintptr_t)p;
	r.len = 4096;
	r.flags = 1;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_REGISTER_MEM, &r));
	EXPECT_EQ(EINVAL, errno);
	r.flags = 0;
	r.reserved = 2;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_REGISTER_MEM, &r));
	EXPECT_EQ(EINVAL, errno);
	r.reserved = 0;
	r.argsz = 16;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_REGISTER_MEM, &r));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_REGISTER_MEM, (void *)8));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(0, tl_vmlck_kb());
}

TEST_F(attached, file_backed_refused)
{
	char dir[] = "/tmp/bypass-ramfs.XXXXXX";
	char path[64];
	void *p;
	int f;

	ASSERT_NE(NULL, mkdtemp(dir));
	/* ramfs: page cache with no swap backing, i.e. an ordinary file. */
	ASSERT_EQ(0, mount("ramfs", dir, "ramfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/f", dir);
	f = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, f);
	ASSERT_EQ(0, ftruncate(f, 65536));
	p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 65536);
	EXPECT_EQ(-EACCES, reg(self->fd, p, 65536, NULL));
	EXPECT_EQ(0, tl_vmlck_kb());
	munmap(p, 65536);
	close(f);
	umount(dir);
	rmdir(dir);
}

TEST_F(attached, memfd_and_hugetlb_accepted)
{
	struct bypass_mem_reg r;
	void *p;
	int f = memfd_create("bypass-test", 0);

	ASSERT_LE(0, f);
	ASSERT_EQ(0, ftruncate(f, MIB));
	p = mmap(NULL, MIB, PROT_READ | PROT_WRITE, MAP_SHARED, f, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, reg(self->fd, p, MIB, &r));

	ASSERT_EQ(0, tl_sysfs_write("/proc/sys/vm/nr_hugepages", "8"));
	p = mmap(NULL, 4 * MIB, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(0, reg(self->fd, p, 4 * MIB, &r));
	EXPECT_TRUE(r.flags & BYPASS_MEM_F_CONTIGUOUS);
}

TEST_F(attached, iova_table_matches_region)
{
	struct bypass_mem_reg r;
	struct bypass_iovas q = { .argsz = sizeof(q) };
	__u64 table[16];
	void *p = anon(16 * 4096);
	int i;

	ASSERT_EQ(0, reg(self->fd, p, 16 * 4096, &r));
	q.id = r.id;
	q.count = 16;
	q.table = (uintptr_t)table;
	ASSERT_EQ(0, ioctl(self->fd, BYPASS_GET_IOVAS, &q));
	for (i = 0; i < 16; i++)
		EXPECT_EQ(r.iova + i * 4096ULL, table[i]);
	q.first_page = 15;
	q.count = 2;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_GET_IOVAS, &q));
	EXPECT_EQ(EINVAL, errno);
	q.first_page = 0;
	q.count = 0;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_GET_IOVAS, &q));
	EXPECT_EQ(EINVAL, errno);
	q.count = 4;
	q.table = 8;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_GET_IOVAS, &q));
	EXPECT_EQ(EFAULT, errno);
	q.id = 999;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_GET_IOVAS, &q));
	EXPECT_EQ(ENOENT, errno);
}

TEST(memlock_limit_without_cap_ipc_lock)
{
	pid_t pid;
	int status;

	ASSERT_EQ(0, tl_claim());
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { 256 * 1024, 256 * 1024 };
		void *p = anon(MIB);
		int fd = tl_open_attached();

		if (fd < 0 || !p)
			_exit(10);
		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(11);
		if (tl_drop_cap(CAP_IPC_LOCK))
			_exit(13);
		if (reg(fd, p, MIB, NULL) != -ENOMEM)
			_exit(14);
		if (tl_vmlck_kb() != 0)
			_exit(15);
		/* Within the limit is fine. */
		if (reg(fd, p, 128 * 1024, NULL))
			_exit(16);
		if (tl_vmlck_kb() != 128)
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, tl_release());
}

TEST(register_needs_attach)
{
	int fd = open(BYPASS_DEV_PATH, O_RDWR);
	void *p = anon(4096);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-ENOTCONN, reg(fd, p, 4096, NULL));
	close(fd);
}

TEST_HARNESS_MAIN
