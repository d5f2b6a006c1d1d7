// SPDX-License-Identifier: GPL-2.0
/*
 * Claiming a virtio-net function for bypass.ko and giving it back, and
 * attaching to its queue pairs.
 */
#include <dirent.h>
#include <net/if.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "testlib.h"

/* Is there a network interface with this MAC? */
static int have_netdev_with_mac(const char *mac)
{
	DIR *d = opendir("/sys/class/net");
	struct dirent *e;
	char path[PATH_MAX], buf[64];
	int found = 0;

	if (!d)
		return 0;
	while ((e = readdir(d)) && !found) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/class/net/%s/address", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(buf, sizeof(buf), f) && !strncmp(buf, mac, 17))
			found = 1;
		fclose(f);
	}
	closedir(d);
	return found;
}

static int wait_netdev(const char *mac, int present, long timeout_ms)
{
	long end = tl_now_ms() + timeout_ms;

	while (tl_now_ms() < end) {
		if (have_netdev_with_mac(mac) == present)
			return 0;
		usleep(10000);
	}
	return -ETIMEDOUT;
}

static const char *nic_mac(void)
{
	const char *m = getenv("BYPASS_NIC_MAC");

	return m ? m : "52:54:00:b9:00:01";
}

/* How many lines of /proc/interrupts mention @what? */
static int count_interrupts(const char *what)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[512];
	int n = 0;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (strstr(line, what))
			n++;
	fclose(f);
	return n;
}

TEST(claim_and_release_restores_netdev)
{
	char drv[64], irq[64];

	ASSERT_EQ(0, wait_netdev(nic_mac(), 1, 5000));
	ASSERT_EQ(0, tl_claim());
	tl_pci_driver(tl_nic(), drv, sizeof(drv));
	EXPECT_STREQ("bypass", drv);
	/* Config vector, and rx and tx of each queue pair of the function. */
	snprintf(irq, sizeof(irq), "bypass-%s-", tl_nic());
	EXPECT_EQ(1 + 2 * tl_nic_pairs(), count_interrupts(irq));
	/* The kernel's interface for that NIC is gone while bypass has it. */
	EXPECT_EQ(0, wait_netdev(nic_mac(), 0, 5000));
	ASSERT_EQ(0, tl_release());
	tl_pci_driver(tl_nic(), drv, sizeof(drv));
	EXPECT_STREQ("virtio-pci", drv);
	EXPECT_EQ(0, count_interrupts("bypass-"));
	EXPECT_EQ(0, wait_netdev(nic_mac(), 1, 5000));
}

TEST(no_bind_without_driver_override)
{
	char drv[64];
	int err;

	/* Free the function, then try binding it directly, not by override. */
	ASSERT_EQ(0, tl_release());
	ASSERT_EQ(0, tl_sysfs_write("/sys/bus/pci/drivers/virtio-pci/unbind", tl_nic()));
	err = tl_sysfs_write("/sys/bus/pci/drivers/bypass/bind", tl_nic());
	EXPECT_NE(0, err);
	tl_pci_driver(tl_nic(), drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	/* The peer NIC stays with virtio-pci all along. */
	tl_pci_driver(tl_peer(), drv, sizeof(drv));
	EXPECT_STREQ("virtio-pci", drv);
	ASSERT_EQ(0, tl_release());
}

TEST(refuses_device_without_iommu_isolation)
{
	const char *bdf = getenv("BYPASS_NOIOMMU_PCI");
	char drv[64], line[1024];
	int kmsg, found = 0;
	ssize_t n;

	ASSERT_NE(NULL, bdf);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	ASSERT_LE(0, kmsg);
	lseek(kmsg, 0, SEEK_END);
	/* A NIC that ignores the IOMMU (no ACCESS_PLATFORM) is refused. */
	EXPECT_NE(0, tl_pci_bind(bdf, "bypass"));
	tl_pci_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ("", drv);
	/* The probe ran synchronously: its reason is already in the log. */
	while ((n = read(kmsg, line, sizeof(line) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n <= 0)
			continue;
		line[n] = 0;
		if (strstr(line, bdf) && strstr(line, "no IOMMU isolation"))
			found = 1;
	}
	close(kmsg);
	EXPECT_TRUE(found);
	EXPECT_EQ(0, tl_pci_bind(bdf, ""));
	tl_pci_driver(bdf, drv, sizeof(drv));
	EXPECT_STREQ("virtio-pci", drv);
}

FIXTURE(claimed) {
	int fd;
};

FIXTURE_SETUP(claimed)
{
	ASSERT_EQ(0, tl_claim());
	self->fd = open(BYPASS_DEV_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(claimed)
{
	close(self->fd);
	EXPECT_EQ(0, tl_release());
}

TEST_F(claimed, attach_reports_device)
{
	struct bypass_info info;
	const char *mac = nic_mac();
	char macs[18];

	ASSERT_EQ(-ENOTCONN, tl_info(self->fd, &info));
	ASSERT_EQ(0, tl_attach(self->fd, tl_nic(), 0));
	ASSERT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
	EXPECT_STREQ(tl_nic(), info.device);
	snprintf(macs, sizeof(macs), "%02x:%02x:%02x:%02x:%02x:%02x", info.mac[0],
		 info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5]);
	EXPECT_STREQ(mac, macs);
	EXPECT_TRUE(info.features & (1ULL << 32));	/* VERSION_1 */
	EXPECT_TRUE(info.features & (1ULL << 33));	/* ACCESS_PLATFORM */
	EXPECT_TRUE(info.features & (1ULL << 17));	/* CTRL_VQ */
	/* One pair in use until the administrator puts more in use. */
	EXPECT_EQ(1, info.max_queue_pairs);
	EXPECT_EQ(0, info.queues[0].index);
	EXPECT_EQ(1, info.queues[1].index);
	EXPECT_EQ(256, info.queues[0].size);
	EXPECT_EQ(BYPASS_MMAP_RX_RING, info.queues[0].ring_offset);
	EXPECT_EQ(BYPASS_MMAP_TX_RING, info.queues[1].ring_offset);
	EXPECT_TRUE(info.queues[0].flags & BYPASS_QUEUE_F_NOTIFY_MMAP);
	EXPECT_EQ(0, info.queues[0].ring_size % 4096);
	EXPECT_LT(info.queues[0].used_offset, info.queues[0].ring_size);
	EXPECT_EQ(4096, info.stats_size);
}

TEST_F(claimed, attach_errors)
{
	int other = open(BYPASS_DEV_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, other);
	EXPECT_EQ(-ENODEV, tl_attach(self->fd, "0000:00:1f.7", 0));
	EXPECT_EQ(-ENODEV, tl_attach(self->fd, tl_peer(), 0));
	EXPECT_EQ(-EINVAL, tl_attach(self->fd, tl_nic(), tl_nic_pairs()));
	/* Pairs beyond the one in use since the claim. */
	if (tl_nic_pairs() > 1)
		EXPECT_EQ(-ENXIO, tl_attach(self->fd, tl_nic(), 1));
	ASSERT_EQ(0, tl_attach(self->fd, "", 0));
	EXPECT_EQ(-EALREADY, tl_attach(self->fd, tl_nic(), 0));
	EXPECT_EQ(-EBUSY, tl_attach(other, tl_nic(), 0));
	/* Detach frees the pair for the other file. */
	EXPECT_EQ(0, ioctl(self->fd, BYPASS_DETACH, 0));
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_DETACH, 0));
	EXPECT_EQ(ENOTCONN, errno);
	EXPECT_EQ(0, tl_attach(other, tl_nic(), 0));
	close(other);
	/* Closing released it again. */
	EXPECT_EQ(0, tl_attach(self->fd, tl_nic(), 0));
}

TEST_F(claimed, attach_name_must_be_terminated)
{
	struct bypass_attach a = { .argsz = sizeof(a) };

	memset(a.device, 'x', sizeof(a.device));
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	memset(a.device, 0, sizeof(a.device));
	a.reserved = 1;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
	a.reserved = 0;
	a.flags = 4;
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_ATTACH, &a));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(claimed, detach_with_argument_is_einval)
{
	ASSERT_EQ(0, tl_attach(self->fd, tl_nic(), 0));
	EXPECT_EQ(-1, ioctl(self->fd, BYPASS_DETACH, 1));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(claimed, forked_child_gets_eperm)
{
	struct bypass_info info;
	pid_t pid;
	int status;

	ASSERT_EQ(0, tl_attach(self->fd, tl_nic(), 0));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (tl_info(self->fd, &info) != -EPERM)
			_exit(1);
		if (tl_attach(self->fd, tl_nic(), 0) != -EPERM)
			_exit(2);
		if (ioctl(self->fd, BYPASS_DETACH, 0) != -1 || errno != EPERM)
			_exit(3);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent still owns its queue pair. */
	EXPECT_EQ(0, tl_info(self->fd, &info));
	EXPECT_EQ(BYPASS_STATUS_ATTACHED, info.status);
}

TEST_HARNESS_MAIN
