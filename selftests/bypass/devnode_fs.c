// SPDX-License-Identifier: GPL-2.0
/*
 * A /dev/bypass node made with mknod on a real filesystem (ext4 on a loop
 * device): page-cache advice on its file must neither oops nor do
 * anything (the file's address_space holds no page cache), and the node
 * works like the one in devtmpfs.
 */
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/sysmacros.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define FS_DIR	"/tmp/bypass-ext4"
#define FS_IMG	"/tmp/bypass-ext4.img"

FIXTURE(fsnode) {
	char node[64];
};

FIXTURE_SETUP(fsnode)
{
	unsigned int major, minor;
	FILE *f;

	ASSERT_EQ(0, system("modprobe loop 2>/dev/null; truncate -s 16M " FS_IMG " && "
			    "mkfs.ext4 -q -F " FS_IMG " && mkdir -p " FS_DIR " && "
			    "mount -o loop " FS_IMG " " FS_DIR));
	f = fopen("/sys/class/misc/" BYPASS_DEVICE_NAME "/dev", "r");
	ASSERT_NE(NULL, f);
	ASSERT_EQ(2, fscanf(f, "%u:%u", &major, &minor));
	fclose(f);
	snprintf(self->node, sizeof(self->node), FS_DIR "/bypass");
	ASSERT_EQ(0, mknod(self->node, S_IFCHR | 0600, makedev(major, minor)));
}

FIXTURE_TEARDOWN(fsnode)
{
	EXPECT_EQ(0, system("umount " FS_DIR " && rm -f " FS_IMG));
}

TEST_F(fsnode, fadvise_on_node_is_harmless)
{
	static const int advice[] = { POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,
				      POSIX_FADV_SEQUENTIAL, POSIX_FADV_NORMAL };
	struct bypass_version v = { .argsz = sizeof(v) };
	unsigned int i;
	int fd;

	fd = open(self->node, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(advice) / sizeof(advice[0]); i++)
		EXPECT_EQ(0, posix_fadvise(fd, 0, 1 << 20, advice[i])) TH_LOG("advice %d", advice[i]);
	/* Still the bypass device. */
	ASSERT_EQ(0, ioctl(fd, BYPASS_GET_VERSION, &v));
	EXPECT_EQ(BYPASS_ABI_VERSION, v.abi_version);
	close(fd);
}

TEST_HARNESS_MAIN
