// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI structs have one layout for 32-bit and 64-bit userspace: i386
 * aligns __u64 to 4 bytes, x86-64 to 8, so every __u64 (and every struct
 * holding one) must sit at a multiple of 8 with no implicit hole before
 * it. Checked at compile time (this file does not build otherwise), then
 * GET_INFO is called with exactly the size a 32-bit program would pass,
 * and memory is registered. The Makefile also builds this file as an i386
 * static binary, abi_layout_32 (gcc -m32 -static): there the same checks
 * hold under i386's alignment rules and the ioctls go through the module's
 * compat path.
 */
#include <stddef.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define END(type, field) (offsetof(type, field) + sizeof(((type *)0)->field))

_Static_assert(offsetof(struct bypass_info, features) == END(struct bypass_info, device),
	       "hole before bypass_info.features");
_Static_assert(offsetof(struct bypass_info, features) % 8 == 0, "features misaligned");
_Static_assert(offsetof(struct bypass_info, queues) == END(struct bypass_info, pad),
	       "hole before bypass_info.queues");
_Static_assert(offsetof(struct bypass_info, queues) % 8 == 0, "queues misaligned");
_Static_assert(sizeof(struct bypass_info) ==
	       offsetof(struct bypass_info, queues) + 2 * sizeof(struct bypass_queue_info),
	       "tail padding in bypass_info");
_Static_assert(sizeof(struct bypass_queue_info) % 8 == 0 &&
	       offsetof(struct bypass_queue_info, ring_offset) == 16,
	       "bypass_queue_info layout");
_Static_assert(offsetof(struct bypass_mem_reg, addr) == 8 && sizeof(struct bypass_mem_reg) == 40,
	       "bypass_mem_reg layout");
_Static_assert(offsetof(struct bypass_iovas, table) == 24 && sizeof(struct bypass_iovas) == 32,
	       "bypass_iovas layout");

/* The size every ABI user computes the same way, whatever its word size. */
#define INFO_SIZE (88 + 2 * 80)

TEST(info_has_one_size)
{
	struct bypass_info info;
	int fd;

	ASSERT_EQ(INFO_SIZE, sizeof(info));
	ASSERT_EQ(0, tl_claim());
	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	memset(&info, 0, sizeof(info));
	info.argsz = INFO_SIZE;
	ASSERT_EQ(0, ioctl(fd, BYPASS_GET_INFO, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
	EXPECT_EQ(INFO_SIZE, info.argsz);
	/* The new padding field is input that must be zero. */
	info.pad = 1;
	info.argsz = INFO_SIZE;
	EXPECT_EQ(-1, ioctl(fd, BYPASS_GET_INFO, &info));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	EXPECT_EQ(0, tl_release());
}

TEST(register_mem_round_trip)
{
	struct bypass_mem_reg r;
	size_t len = 64 << 10;
	void *p;
	int fd;

	ASSERT_EQ(0, tl_claim());
	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(&r, 0, sizeof(r));
	r.argsz = sizeof(r);
	r.addr = (uintptr_t)p;
	r.len = len;
	ASSERT_EQ(0, ioctl(fd, BYPASS_REGISTER_MEM, &r));
	/* Everything the kernel wrote back made it through intact. */
	EXPECT_EQ(sizeof(r), r.argsz);
	EXPECT_EQ((uintptr_t)p, r.addr);
	EXPECT_EQ(len, r.len);
	EXPECT_NE(0, r.iova);
	EXPECT_EQ(0, r.iova % 4096);
	close(fd);
	munmap(p, len);
	EXPECT_EQ(0, tl_release());
}

TEST_HARNESS_MAIN
