// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening /dev/bypass and checking the kernel's ABI version.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/bypass.h>

#include "libbypass.h"

int bypass_kernel_abi(int fd)
{
	struct bypass_version v;

	memset(&v, 0, sizeof(v));
	v.argsz = sizeof(v);
	if (ioctl(fd, BYPASS_GET_VERSION, &v) < 0)
		return -errno;
	return (int)v.abi_version;
}

int bypass_open_dev(const char *path)
{
	int fd, abi;

	fd = open(path ? path : "/dev/" BYPASS_DEVICE_NAME, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	abi = bypass_kernel_abi(fd);
	if (abi < 0 || abi != BYPASS_ABI_VERSION) {
		close(fd);
		return abi < 0 ? abi : -EPROTO;
	}
	return fd;
}
