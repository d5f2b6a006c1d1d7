/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the VM selftests: claiming the test NIC for bypass.ko
 * and giving it back, sysfs access, and bounded waits.
 */
#ifndef BYPASS_TESTLIB_H
#define BYPASS_TESTLIB_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/bypass.h>
#include <linux/capability.h>

#define BYPASS_DEV_PATH "/dev/" BYPASS_DEVICE_NAME

static inline const char *tl_nic(void)
{
	const char *p = getenv("BYPASS_NIC_PCI");

	return p ? p : "0000:00:04.0";
}

/* Queue pairs the test NIC offers: 1 on QEMU's hub, N with vm/run --tap N. */
static inline unsigned int tl_nic_pairs(void)
{
	const char *p = getenv("BYPASS_NIC_PAIRS");

	return p ? (unsigned int)atoi(p) : 1;
}

static inline const char *tl_peer(void)
{
	const char *p = getenv("BYPASS_PEER_PCI");

	return p ? p : "0000:00:05.0";
}

/* Write a string to a sysfs file; returns 0 or -errno. */
static inline int tl_sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

static inline long tl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Name of the driver bound to a PCI function ("" if none). */
static inline void tl_pci_driver(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	out[0] = 0;
	if (n > 0) {
		link[n] = 0;
		snprintf(out, len, "%s", strrchr(link, '/') + 1);
	}
}

/* Bind a PCI function to @driver through driver_override ("" = default). */
static inline int tl_pci_bind(const char *bdf, const char *driver)
{
	char path[PATH_MAX], cur[64];
	int err;

	tl_pci_driver(bdf, cur, sizeof(cur));
	if (cur[0]) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", cur);
		err = tl_sysfs_write(path, bdf);
		if (err)
			return err;
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	err = tl_sysfs_write(path, driver[0] ? driver : "\n");
	if (err)
		return err;
	err = tl_sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	tl_pci_driver(bdf, cur, sizeof(cur));
	if (!strcmp(cur, driver[0] ? driver : "virtio-pci"))
		return 0;
	return err ? err : -ENODEV;
}

static inline int tl_claim(void)
{
	return tl_pci_bind(tl_nic(), "bypass");
}

/*
 * Put @n of the claimed NIC's queue pairs in use (bypassctl set ... pairs
 * N). A claim starts with one: the device then delivers every frame to
 * pair 0; with more, a new flow from the peer lands on a pair the host's
 * tap picks by hash (vm/run --tap N).
 */
static inline int tl_set_pairs(unsigned int n)
{
	const char *ctl = getenv("BYPASSCTL");
	char cmd[PATH_MAX + 64];

	snprintf(cmd, sizeof(cmd), "timeout 20 %s set %s pairs %u",
		 ctl ? ctl : "build/bin/bypassctl", tl_nic(), n);
	return system(cmd) ? -EIO : 0;
}

/*
 * Claim the test NIC with one queue pair in use, as a claim starts, and
 * say so to the device again on a NIC with several, so tests of a single
 * pair do not depend on that default.
 */
static inline int tl_claim_one_pair(void)
{
	int err = tl_claim();

	if (err || tl_nic_pairs() < 2)
		return err;
	return tl_set_pairs(1);
}

static inline int tl_release(void)
{
	return tl_pci_bind(tl_nic(), "");
}

static inline int tl_attach(int fd, const char *dev, unsigned int qp)
{
	struct bypass_attach a = { .argsz = sizeof(a), .queue_pair = qp };

	snprintf(a.device, sizeof(a.device), "%s", dev);
	return ioctl(fd, BYPASS_ATTACH, &a) ? -errno : 0;
}

static inline int tl_info(int fd, struct bypass_info *info)
{
	memset(info, 0, sizeof(*info));
	info->argsz = sizeof(*info);
	return ioctl(fd, BYPASS_GET_INFO, info) ? -errno : 0;
}

/* Open /dev/bypass and attach queue pair 0 of the test NIC. */
static inline int tl_open_attached(void)
{
	int fd = open(BYPASS_DEV_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	if (tl_attach(fd, tl_nic(), 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* VmLck of this process in KiB, or -1. */
static inline long tl_vmlck_kb(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmLck: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Drop capability @cap from this process's effective set; 0 or -1. */
static inline int tl_drop_cap(unsigned int cap)
{
	struct __user_cap_header_struct h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct d[2];

	if (syscall(SYS_capget, &h, d))
		return -1;
	d[cap / 32].effective &= ~(1U << (cap % 32));
	return syscall(SYS_capset, &h, d) ? -1 : 0;
}

static inline sigjmp_buf *tl_fault_jmp(void)
{
	static sigjmp_buf jmp;

	return &jmp;
}

static inline void tl_on_fault(int sig)
{
	siglongjmp(*tl_fault_jmp(), sig);
}

/*
 * Touch @p (write a 0 when @write, else read): the signal that raised
 * (SIGBUS or SIGSEGV), or 0 when the access went through.
 */
static inline int tl_touch_signal(volatile __u16 *p, int write)
{
	struct sigaction sa = { .sa_handler = tl_on_fault }, ob, os;
	int sig;

	sigaction(SIGBUS, &sa, &ob);
	sigaction(SIGSEGV, &sa, &os);
	sig = sigsetjmp(*tl_fault_jmp(), 1);
	if (!sig) {
		if (write)
			*p = 0;
		else
			(void)*p;
	}
	sigaction(SIGBUS, &ob, NULL);
	sigaction(SIGSEGV, &os, NULL);
	return sig;
}

#endif /* BYPASS_TESTLIB_H */
