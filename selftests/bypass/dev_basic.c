// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/bypass basics: module load/unload, permissions, GET_VERSION and the
 * argsz/flags/reserved validation every ioctl shares.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/bypass.h>

#include "kselftest_harness.h"

#define DEV_PATH "/dev/" BYPASS_DEVICE_NAME

static int delete_module(const char *name)
{
	return (int)syscall(SYS_delete_module, name, O_NONBLOCK);
}

static int load_module(void)
{
	const char *ko = getenv("BYPASS_KO");
	const char *params = getenv("BYPASS_KO_PARAMS");
	int fd, ret;

	if (!ko)
		return -ENOENT;
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	ret = (int)syscall(SYS_finit_module, fd, params ? params : "", 0);
	ret = ret ? -errno : 0;
	close(fd);
	return ret;
}

static int get_version(int fd, struct bypass_version *v)
{
	return ioctl(fd, BYPASS_GET_VERSION, v) ? -errno : 0;
}

TEST(module_unloads_and_reloads)
{
	struct stat st;

	ASSERT_NE(NULL, getenv("BYPASS_KO"));
	ASSERT_EQ(0, stat(DEV_PATH, &st));
	ASSERT_EQ(0, delete_module("bypass")) TH_LOG("rmmod: %s", strerror(errno));
	EXPECT_EQ(-1, stat(DEV_PATH, &st));
	EXPECT_EQ(ENOENT, errno);
	ASSERT_EQ(0, load_module());
	ASSERT_EQ(0, stat(DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
}

TEST(device_node_is_root_only)
{
	struct stat st;

	ASSERT_EQ(0, stat(DEV_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
}

TEST(unprivileged_open_refused)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open(DEV_PATH, O_RDWR) >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(get_version_returns_header_version)
{
	struct bypass_version v = { .argsz = sizeof(v) };
	int fd = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	v.abi_version = 0xdead;
	ASSERT_EQ(0, get_version(fd, &v));
	EXPECT_EQ(BYPASS_ABI_VERSION, v.abi_version);
	EXPECT_EQ(sizeof(v), v.argsz);
	close(fd);
}

TEST(unknown_ioctl_is_enotty)
{
	int fd = open(DEV_PATH, O_RDWR);
	struct bypass_version v = { .argsz = sizeof(v) };

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, _IO(BYPASS_IOCTL_TYPE, 0x7f), &v));
	EXPECT_EQ(ENOTTY, errno);
	/* Right number, wrong ioctl type. */
	EXPECT_EQ(-1, ioctl(fd, _IO('x', 0x00), &v));
	EXPECT_EQ(ENOTTY, errno);
	/* Size bits are not how bypass versions its structs. */
	EXPECT_EQ(-1, ioctl(fd, _IOWR(BYPASS_IOCTL_TYPE, 0x00, struct bypass_version), &v));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(short_argsz_is_einval)
{
	int fd = open(DEV_PATH, O_RDWR);
	struct bypass_version v;
	__u32 sizes[] = { 0, 4, 8, sizeof(v) - 1 };
	unsigned int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		memset(&v, 0, sizeof(v));
		v.argsz = sizes[i];
		EXPECT_EQ(-EINVAL, get_version(fd, &v)) TH_LOG("argsz %u", sizes[i]);
	}
	close(fd);
}

TEST(nonzero_flags_or_reserved_is_einval)
{
	int fd = open(DEV_PATH, O_RDWR);
	struct bypass_version v = { .argsz = sizeof(v), .flags = 1 };

	ASSERT_LE(0, fd);
	EXPECT_EQ(-EINVAL, get_version(fd, &v));
	v.flags = 0x80000000u;
	EXPECT_EQ(-EINVAL, get_version(fd, &v));
	v.flags = 0;
	v.reserved = 1;
	EXPECT_EQ(-EINVAL, get_version(fd, &v));
	close(fd);
}

TEST(larger_argsz_needs_zero_tail)
{
	int fd = open(DEV_PATH, O_RDWR);
	struct {
		struct bypass_version v;
		__u32 future[4];
	} big;

	ASSERT_LE(0, fd);
	memset(&big, 0, sizeof(big));
	big.v.argsz = sizeof(big);
	EXPECT_EQ(0, get_version(fd, &big.v));
	EXPECT_EQ(BYPASS_ABI_VERSION, big.v.abi_version);
	big.future[3] = 1;
	EXPECT_EQ(-E2BIG, get_version(fd, &big.v));
	close(fd);
}

TEST(bad_pointer_is_efault)
{
	int fd = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, BYPASS_GET_VERSION, NULL));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, BYPASS_GET_VERSION, (void *)16));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

TEST(rmmod_refused_while_open)
{
	int fd = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, delete_module("bypass"));
	EXPECT_TRUE(errno == EWOULDBLOCK || errno == EBUSY) TH_LOG("errno %d", errno);
	close(fd);
	/* Once closed the module is free to go; bring it straight back. */
	ASSERT_EQ(0, delete_module("bypass"));
	ASSERT_EQ(0, load_module());
}

TEST(two_opens_are_independent)
{
	struct bypass_version v = { .argsz = sizeof(v) };
	int a = open(DEV_PATH, O_RDWR);
	int b = open(DEV_PATH, O_RDWR);

	ASSERT_LE(0, a);
	ASSERT_LE(0, b);
	ASSERT_EQ(0, get_version(a, &v));
	ASSERT_EQ(0, get_version(b, &v));
	/* A failed call on one leaves the other untouched. */
	v.flags = 1;
	EXPECT_EQ(-EINVAL, get_version(a, &v));
	v.flags = 0;
	EXPECT_EQ(0, get_version(b, &v));
	close(a);
	EXPECT_EQ(0, get_version(b, &v));
	close(b);
}

TEST_HARNESS_MAIN
