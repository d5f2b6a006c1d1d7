// SPDX-License-Identifier: GPL-2.0
/*
 * The ABI structs have one layout for 32-bit and 64-bit userspace: i386
 * aligns __u64 to 4 bytes, x86-64 to 8, so every __u64 (and every struct
 * holding one) must sit at a multiple of 8 with no implicit hole before
 * it. Checked at compile time (this file does not build otherwise), then
 * GET_INFO is called with exactly the size a 32-bit program would pass.
 * No 32-bit toolchain is installed here, so no i386 binary runs it.
 */
#include <stddef.h>

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

TEST_HARNESS_MAIN
