// SPDX-License-Identifier: GPL-2.0
/*
 * bypassctl: the administrator's tool for bypass.ko. Claims a virtio-net
 * PCI function for bypass (recording the interface's IPv4 settings for the
 * applications that will use it), gives it back to the kernel's driver,
 * lists and shows claimed devices, and changes the recorded settings.
 *
 *   bypassctl [-j] list
 *   bypassctl [-j] show [PCI-ADDRESS]
 *   bypassctl claim PCI-ADDRESS|IFNAME
 *   bypassctl release PCI-ADDRESS
 *   bypassctl set PCI-ADDRESS [addr A.B.C.D/N|none] [gateway A.B.C.D|none]
 *                             [mtu N] [pairs N]
 *
 * "pairs N" sets the queue pairs in use (the device delivers to pairs 0 to
 * N-1 only; attaching a higher pair fails with ENXIO): only while no pair
 * is attached, and it resets the device.
 *
 * Exit status: 0 on success, 1 on failure (one line on stderr saying why),
 * 2 on a usage error.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <linux/bypass.h>

#include "bypassctl/bypassctl.h"

#define PCI_DEVICES	"/sys/bus/pci/devices"
#define PCI_DRIVERS	"/sys/bus/pci/drivers"
#define BYPASS_DRIVER	"bypass"

static const char *prog = "bypassctl";
static bool json;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Print "bypassctl: <reason>" on one line and return the failure status. */
static int fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [-j] list\n"
		"       %s [-j] show [PCI-ADDRESS]\n"
		"       %s claim PCI-ADDRESS|IFNAME\n"
		"       %s release PCI-ADDRESS\n"
		"       %s set PCI-ADDRESS [addr A.B.C.D/N|none] [gateway A.B.C.D|none] [mtu N]\n"
		"           [pairs N]\n"
		"  -j   JSON output (list, show)\n",
		prog, prog, prog, prog, prog);
	return f == stderr ? 2 : 0;
}

/* ---- virtio feature names ---- */

static const char *const feature_names[64] = {
	[0] = "CSUM", [1] = "GUEST_CSUM", [2] = "CTRL_GUEST_OFFLOADS",
	[3] = "MTU", [5] = "MAC", [7] = "GUEST_TSO4", [8] = "GUEST_TSO6",
	[9] = "GUEST_ECN", [10] = "GUEST_UFO", [11] = "HOST_TSO4",
	[12] = "HOST_TSO6", [13] = "HOST_ECN", [14] = "HOST_UFO",
	[15] = "MRG_RXBUF", [16] = "STATUS", [17] = "CTRL_VQ",
	[18] = "CTRL_RX", [19] = "CTRL_VLAN", [20] = "CTRL_RX_EXTRA",
	[21] = "GUEST_ANNOUNCE", [22] = "MQ", [23] = "CTRL_MAC_ADDR",
	[24] = "NOTIFY_ON_EMPTY", [27] = "ANY_LAYOUT",
	[28] = "RING_INDIRECT_DESC", [29] = "RING_EVENT_IDX",
	[32] = "VERSION_1", [33] = "ACCESS_PLATFORM", [34] = "RING_PACKED",
	[35] = "IN_ORDER", [36] = "ORDER_PLATFORM", [37] = "SR_IOV",
	[38] = "NOTIFICATION_DATA", [39] = "NOTIF_CONFIG_DATA",
	[40] = "RING_RESET", [41] = "ADMIN_VQ", [52] = "VQ_NOTF_COAL",
	[53] = "NOTF_COAL", [54] = "GUEST_USO4", [55] = "GUEST_USO6",
	[56] = "HOST_USO", [57] = "HASH_REPORT", [59] = "GUEST_HDRLEN",
	[60] = "RSS", [61] = "RSC_EXT", [62] = "STANDBY",
	[63] = "SPEED_DUPLEX",
};

static void feature_name(unsigned int bit, char *buf, size_t len)
{
	if (feature_names[bit])
		snprintf(buf, len, "%s", feature_names[bit]);
	else
		snprintf(buf, len, "BIT_%u", bit);
}

/* ---- formatting ---- */

static const char *stats_names[BPC_NSTATS] = {
	"rx_packets", "rx_bytes", "rx_drops", "tx_packets", "tx_bytes",
	"tx_drops", "doorbells", "tcp_conns", "tcp_time_wait",
	"tcp_conn_limit_drops", "tcp_tw_recycled",
};

static void fmt_mac(const uint8_t *mac, char *buf)
{
	sprintf(buf, "%02x:%02x:%02x:%02x:%02x:%02x",
		mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static void fmt_ip(uint32_t addr, char *buf)
{
	inet_ntop(AF_INET, &addr, buf, INET_ADDRSTRLEN);
}

/* The MTU applications use: the recorded override, else the device's. */
static uint32_t effective_mtu(const struct bpc_dev *d)
{
	if (d->ipv4_mtu)
		return d->ipv4_mtu;
	return d->mtu ? d->mtu : 1500;
}

static unsigned int used_pairs(const struct bpc_dev *d)
{
	unsigned int n = 0;
	size_t i;

	for (i = 0; i < d->n_qps; i++)
		n += d->qps[i].owner_pid != 0;
	return n;
}

/* JSON: names, addresses and numbers only; names are PCI addresses. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			printf("\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
}

static void json_ip_or_null(uint32_t addr)
{
	char ip[INET_ADDRSTRLEN];

	if (!addr) {
		fputs("null", stdout);
		return;
	}
	fmt_ip(addr, ip);
	json_str(ip);
}

static void json_queue(const char *name, const struct bpc_queue *q)
{
	printf("\"%s\":{\"index\":%" PRIu32 ",\"interrupts\":%" PRIu64
	       ",\"kicks\":%" PRIu64 "}", name, q->index, q->interrupts, q->kicks);
}

static void json_qp(const struct bpc_qp *qp)
{
	unsigned int i;

	printf("{\"index\":%" PRIu32 ",\"owner_pid\":%" PRIu32
	       ",\"parked\":%s,\"stale\":%s,", qp->index, qp->owner_pid,
	       qp->parked ? "true" : "false", qp->stale ? "true" : "false");
	json_queue("rx", &qp->q[0]);
	putchar(',');
	json_queue("tx", &qp->q[1]);
	fputs(",\"stats\":", stdout);
	if (!qp->has_stats) {
		fputs("null}", stdout);
		return;
	}
	putchar('{');
	for (i = 0; i < BPC_NSTATS; i++)
		printf("%s\"%s\":%" PRIu64, i ? "," : "", stats_names[i], qp->stats[i]);
	fputs("}}", stdout);
}

static void json_dev(const struct bpc_dev *d, bool detail)
{
	char mac[18], name[32];
	unsigned int bit;
	bool first = true;
	size_t i;

	fmt_mac(d->mac, mac);
	fputs("{\"device\":", stdout);
	json_str(d->name);
	printf(",\"mac\":\"%s\",\"mtu\":%" PRIu32 ",\"device_mtu\":", mac, effective_mtu(d));
	if (d->mtu)
		printf("%" PRIu32, d->mtu);
	else
		fputs("null", stdout);
	printf(",\"queue_pairs\":%" PRIu32 ",\"max_queue_pairs\":%" PRIu32
	       ",\"queue_pairs_in_use\":%" PRIu32
	       ",\"queue_pairs_used\":%u,\"unsafe\":%s,\"broken\":%s,\"ipv4\":",
	       d->num_pairs, d->max_pairs, d->pairs_in_use, used_pairs(d),
	       d->unsafe ? "true" : "false", d->broken ? "true" : "false");
	if (d->ipv4_addr) {
		fputs("{\"address\":", stdout);
		json_ip_or_null(d->ipv4_addr);
		printf(",\"prefix\":%u,\"gateway\":", d->ipv4_prefix);
		json_ip_or_null(d->ipv4_gateway);
		putchar('}');
	} else {
		fputs("null", stdout);
	}
	fputs(",\"mtu_override\":", stdout);
	if (d->ipv4_mtu)
		printf("%" PRIu32, d->ipv4_mtu);
	else
		fputs("null", stdout);
	if (detail) {
		printf(",\"queue_size\":%" PRIu32 ",\"resets\":%" PRIu64
		       ",\"features_raw\":\"0x%016" PRIx64 "\",\"features\":[",
		       d->qsize, d->resets, d->features);
		for (bit = 0; bit < 64; bit++) {
			if (!(d->features & (1ULL << bit)))
				continue;
			feature_name(bit, name, sizeof(name));
			printf("%s\"%s\"", first ? "" : ",", name);
			first = false;
		}
		fputs("],\"pairs\":[", stdout);
		for (i = 0; i < d->n_qps; i++) {
			if (i)
				putchar(',');
			json_qp(&d->qps[i]);
		}
		putchar(']');
	}
	putchar('}');
}

static void text_ipv4(const struct bpc_dev *d, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN];

	if (!d->ipv4_addr) {
		snprintf(buf, len, "-");
		return;
	}
	fmt_ip(d->ipv4_addr, ip);
	snprintf(buf, len, "%s/%u", ip, d->ipv4_prefix);
}

static void text_list(const struct bpc_devs *devs)
{
	char mac[18], ip[32], gw[INET_ADDRSTRLEN];
	size_t i;

	printf("%-13s %-17s %5s  %-18s %-15s %s\n", "DEVICE", "MAC", "MTU",
	       "IPV4", "GATEWAY", "PAIRS(USED)");
	for (i = 0; i < devs->n; i++) {
		const struct bpc_dev *d = &devs->v[i];

		fmt_mac(d->mac, mac);
		text_ipv4(d, ip, sizeof(ip));
		if (d->ipv4_gateway)
			fmt_ip(d->ipv4_gateway, gw);
		else
			strcpy(gw, "-");
		printf("%-13s %-17s %5" PRIu32 "  %-18s %-15s %" PRIu32 "(%u)%s%s\n",
		       d->name, mac, effective_mtu(d), ip, gw, d->num_pairs,
		       used_pairs(d), d->unsafe ? " UNSAFE" : "",
		       d->broken ? " BROKEN" : "");
	}
}

static void text_queue(const char *name, const struct bpc_qp *qp, int q)
{
	printf("    %s: queue %" PRIu32 "  interrupts %" PRIu64 "  kicks %" PRIu64,
	       name, qp->q[q].index, qp->q[q].interrupts, qp->q[q].kicks);
	if (qp->has_stats)
		printf("  packets %" PRIu64 "  bytes %" PRIu64 "  drops %" PRIu64,
		       qp->stats[3 * q], qp->stats[3 * q + 1], qp->stats[3 * q + 2]);
	putchar('\n');
}

static void text_show(const struct bpc_dev *d)
{
	char mac[18], ip[32], gw[INET_ADDRSTRLEN], name[32];
	unsigned int bit, col;
	size_t i;

	fmt_mac(d->mac, mac);
	text_ipv4(d, ip, sizeof(ip));
	printf("%s\n  mac %s  mtu %" PRIu32, d->name, mac, effective_mtu(d));
	if (d->ipv4_mtu)
		printf(" (recorded; device %" PRIu32 ")", d->mtu ? d->mtu : 1500);
	printf("\n  ipv4 %s", ip);
	if (d->ipv4_gateway) {
		fmt_ip(d->ipv4_gateway, gw);
		printf("  gateway %s", gw);
	}
	printf("\n  queue pairs %" PRIu32 " of %" PRIu32 ", %" PRIu32 " in use, %" PRIu32
	       " descriptors per queue, %" PRIu64 " device reset(s)\n",
	       d->num_pairs, d->max_pairs, d->pairs_in_use, d->qsize, d->resets);
	if (d->unsafe)
		printf("  UNSAFE: claimed without IOMMU isolation\n");
	if (d->broken)
		printf("  BROKEN: the device asked for a reset\n");
	printf("  features 0x%016" PRIx64 ":", d->features);
	col = 100;
	for (bit = 0; bit < 64; bit++) {
		if (!(d->features & (1ULL << bit)))
			continue;
		feature_name(bit, name, sizeof(name));
		if (col + strlen(name) > 72) {
			fputs("\n   ", stdout);
			col = 3;
		}
		printf(" %s", name);
		col += strlen(name) + 1;
	}
	putchar('\n');
	for (i = 0; i < d->n_qps; i++) {
		const struct bpc_qp *qp = &d->qps[i];

		printf("  pair %" PRIu32 ": ", qp->index);
		if (qp->owner_pid)
			printf("owner pid %" PRIu32, qp->owner_pid);
		else if (qp->index >= d->pairs_in_use)
			printf("not in use");
		else
			printf("free");
		printf("%s%s\n", qp->parked ? " (rings parked until the next reset)" : "",
		       qp->stale ? " (STALE: the device was reset; the owner must attach again)" : "");
		text_queue("rx", qp, 0);
		text_queue("tx", qp, 1);
		if (!qp->has_stats)
			continue;
		printf("    doorbells %" PRIu64 "\n", qp->stats[6]);
		printf("    tcp: connections %" PRIu64 "  time_wait %" PRIu64
		       "  limit drops %" PRIu64 "  time_wait recycled %" PRIu64 "\n",
		       qp->stats[7], qp->stats[8], qp->stats[9], qp->stats[10]);
	}
}

/* ---- PCI and sysfs ---- */

/* Copy a string, truncating it to fit. */
static void copy_str(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memcpy(dst, src, n);
	dst[n] = 0;
}

/*
 * Normalise "dddd:bb:dd.f" or "bb:dd.f" (hex) into "dddd:bb:dd.f".
 * Returns false if @s is not a PCI address.
 */
static bool parse_pci(const char *s, char *out, size_t len)
{
	unsigned int dom = 0, bus, dev, fn;
	char tail;

	if (sscanf(s, "%x:%x:%x.%x%c", &dom, &bus, &dev, &fn, &tail) != 4) {
		dom = 0;
		if (sscanf(s, "%x:%x.%x%c", &bus, &dev, &fn, &tail) != 3)
			return false;
	}
	if (!isxdigit((unsigned char)s[0]) || dom > 0xffff || bus > 0xff ||
	    dev > 0x1f || fn > 7)
		return false;
	snprintf(out, len, "%04x:%02x:%02x.%x", dom, bus, dev, fn);
	return true;
}

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		err = ferror(f) ? -EIO : -ENODATA;
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return err;
}

static int write_str(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, val, strlen(val));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(val))
		err = -EIO;
	close(fd);
	return err;
}

/* Driver bound to a PCI function, "" if none. */
static void pci_driver(const char *bdf, char *out, size_t len)
{
	char path[PATH_MAX], link[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	out[0] = 0;
	if (n > 0) {
		link[n] = 0;
		copy_str(out, len, strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
	}
}

static bool path_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The network interface virtio_net made for a PCI function, if any. */
static bool pci_netdev(const char *bdf, char *ifname, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e, *n;
	DIR *d, *nd;
	bool found = false;

	snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
	d = opendir(path);
	if (!d)
		return false;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, "virtio", 6))
			continue;
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/%s/net", bdf, e->d_name);
		nd = opendir(path);
		if (!nd)
			continue;
		while ((n = readdir(nd))) {
			if (n->d_name[0] == '.')
				continue;
			copy_str(ifname, len, n->d_name);
			found = true;
			break;
		}
		closedir(nd);
	}
	closedir(d);
	return found;
}

/*
 * Resolve a PCI address or interface name to the PCI function, and the
 * interface name when there is one.
 */
static int resolve_target(const char *arg, char *bdf, size_t blen,
			  char *ifname, size_t ilen)
{
	char path[PATH_MAX], real[PATH_MAX], *slash;

	ifname[0] = 0;
	if (parse_pci(arg, bdf, blen)) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
		if (!path_exists(path))
			return fail("no PCI function %s", bdf);
		/* Only an interface of our network namespace can be read. */
		if (pci_netdev(bdf, ifname, ilen) && !if_nametoindex(ifname))
			ifname[0] = 0;
		return 0;
	}
	if (strlen(arg) >= 16 || strchr(arg, '/') || !strcmp(arg, ".") || !strcmp(arg, ".."))
		return fail("'%s' is neither a PCI address nor an interface name", arg);
	snprintf(path, sizeof(path), "/sys/class/net/%s", arg);
	if (!path_exists(path))
		return fail("no network interface or PCI function named '%s'", arg);
	snprintf(path, sizeof(path), "/sys/class/net/%s/device", arg);
	if (!realpath(path, real))
		return fail("%s is not backed by a device (virtual interface?)", arg);
	/* .../0000:00:04.0/virtio1: the virtio device, child of the PCI function. */
	slash = strrchr(real, '/');
	if (!slash || strncmp(slash + 1, "virtio", 6))
		return fail("%s is not a virtio interface", arg);
	*slash = 0;
	slash = strrchr(real, '/');
	if (!slash || !parse_pci(slash + 1, bdf, blen))
		return fail("%s is not a virtio-net PCI interface", arg);
	snprintf(ifname, ilen, "%s", arg);
	return 0;
}

/* Does the function look like something bypass can take? */
static int check_virtio_net(const char *bdf)
{
	char path[PATH_MAX], vendor[16], device[16];

	snprintf(path, sizeof(path), PCI_DEVICES "/%s/vendor", bdf);
	if (read_line(path, vendor, sizeof(vendor)))
		return fail("cannot read %s", path);
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/device", bdf);
	if (read_line(path, device, sizeof(device)))
		return fail("cannot read %s", path);
	if (strcmp(vendor, "0x1af4") || strcmp(device, "0x1041"))
		return fail("%s is %s:%s, not a modern virtio-net function (1af4:1041)",
			    bdf, vendor + 2, device + 2);
	return 0;
}

/* Unbind from the current driver, set driver_override, reprobe. */
static int rebind(const char *bdf, const char *override, char *err, size_t elen)
{
	char path[PATH_MAX], drv[64];
	int ret;

	pci_driver(bdf, drv, sizeof(drv));
	if (drv[0]) {
		snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver/unbind", bdf);
		ret = write_str(path, bdf);
		if (ret) {
			snprintf(err, elen, "cannot unbind %s from %s: %s", bdf, drv,
				 strerror(-ret));
			return ret;
		}
	}
	snprintf(path, sizeof(path), PCI_DEVICES "/%s/driver_override", bdf);
	ret = write_str(path, override[0] ? override : "\n");
	if (ret) {
		snprintf(err, elen, "cannot write driver_override of %s: %s", bdf,
			 strerror(-ret));
		return ret;
	}
	/* Its error is the probe's; what counts is where the function ends up. */
	write_str("/sys/bus/pci/drivers_probe", bdf);
	return 0;
}

/* ---- commands ---- */

static int open_genl(void)
{
	char err[BPC_ERR_LEN];

	if (bpc_genl_open(err)) {
		bpc_genl_close();
		return fail("%s", err);
	}
	return 0;
}

static int cmd_list(void)
{
	char err[BPC_ERR_LEN];
	struct bpc_devs devs;
	size_t i;

	if (open_genl())
		return 1;
	if (bpc_dev_dump(&devs, err))
		return fail("list: %s", err);
	if (json) {
		putchar('[');
		for (i = 0; i < devs.n; i++) {
			if (i)
				putchar(',');
			json_dev(&devs.v[i], false);
		}
		puts("]");
	} else {
		text_list(&devs);
	}
	bpc_devs_free(&devs);
	return 0;
}

static int cmd_show(const char *arg)
{
	char bdf[BPC_NAME_LEN], err[BPC_ERR_LEN];
	struct bpc_devs devs;
	struct bpc_dev dev;
	size_t i;

	if (arg && !parse_pci(arg, bdf, sizeof(bdf)))
		return fail("show: '%s' is not a PCI address (like 0000:00:04.0)", arg);
	if (open_genl())
		return 1;
	if (arg) {
		if (bpc_dev_get(bdf, &dev, err))
			return fail("show %s: %s", bdf, err);
		if (json) {
			json_dev(&dev, true);
			putchar('\n');
		} else {
			text_show(&dev);
		}
		bpc_dev_free(&dev);
		return 0;
	}
	if (bpc_dev_dump(&devs, err))
		return fail("show: %s", err);
	if (json)
		putchar('[');
	for (i = 0; i < devs.n; i++) {
		if (json) {
			if (i)
				putchar(',');
			json_dev(&devs.v[i], true);
		} else {
			if (i)
				putchar('\n');
			text_show(&devs.v[i]);
		}
	}
	if (json)
		puts("]");
	bpc_devs_free(&devs);
	return 0;
}

static void fmt_set(const struct bpc_set *s, char *buf, size_t len)
{
	char ip[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	size_t n = 0;

	buf[0] = 0;
	if (s->has_addr && s->addr) {
		fmt_ip(s->addr, ip);
		n += snprintf(buf + n, len - n, "%s/%u", ip, s->prefix);
	} else if (s->has_addr) {
		n += snprintf(buf + n, len - n, "no IPv4 address");
	}
	if (s->has_gateway && s->gateway && n < len) {
		fmt_ip(s->gateway, gw);
		n += snprintf(buf + n, len - n, " via %s", gw);
	}
	if (s->has_mtu && n < len)
		snprintf(buf + n, len - n, "%smtu %" PRIu32, n ? ", " : "", s->mtu);
}

static int cmd_claim(const char *arg)
{
	char bdf[BPC_NAME_LEN], ifname[64], drv[64];
	char err[BPC_ERR_LEN], cfgtext[128], mac[18], devmac[18];
	struct bpc_ifcfg ifc = { 0 };
	struct bpc_set set = { 0 };
	struct bpc_dev dev;
	bool have_if;

	if (resolve_target(arg, bdf, sizeof(bdf), ifname, sizeof(ifname)))
		return 1;
	if (check_virtio_net(bdf))
		return 1;
	pci_driver(bdf, drv, sizeof(drv));
	if (!strcmp(drv, BYPASS_DRIVER))
		return fail("claim: %s is already claimed by bypass", bdf);
	if (!path_exists(PCI_DRIVERS "/" BYPASS_DRIVER))
		return fail("claim: bypass.ko is not loaded (modprobe virtio_pci_modern_dev, then insmod bypass.ko)");
	/* Everything that can fail before the interface is gone, first. */
	if (open_genl())
		return 1;
	have_if = ifname[0] != 0;
	if (have_if) {
		if (bpc_rtnl_ifcfg(ifname, &ifc, err))
			return fail("claim: reading %s: %s", ifname, err);
		set.has_mtu = ifc.mtu != 0;
		set.mtu = ifc.mtu;
		if (ifc.addr) {
			set.has_addr = set.has_prefix = set.has_gateway = true;
			set.addr = ifc.addr;
			set.prefix = ifc.prefix;
			set.gateway = ifc.gateway;
		}
	}

	if (rebind(bdf, BYPASS_DRIVER, err, sizeof(err)))
		return fail("claim: %s", err);
	pci_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, BYPASS_DRIVER)) {
		/* Give it back to whoever wants it, so the NIC is not left orphaned. */
		bool restored = !rebind(bdf, "", err, sizeof(err));

		pci_driver(bdf, drv, sizeof(drv));
		return fail("claim: bypass refused %s (see 'dmesg' for the kernel's reason); %s",
			    bdf, restored && drv[0] ? "it went back to its previous driver" :
			    "it is now bound to no driver");
	}

	if (set.has_mtu || set.has_addr) {
		if (bpc_dev_set(bdf, &set, err))
			return fail("claim: %s is claimed, but recording %s's settings failed: %s",
				    bdf, ifname, err);
	}
	fmt_set(&set, cfgtext, sizeof(cfgtext));
	printf("claimed %s", bdf);
	if (have_if)
		printf(" (was %s): %s", ifname, ifc.addr ? cfgtext : "no IPv4 address, ");
	if (have_if && !ifc.addr)
		printf("mtu %" PRIu32, ifc.mtu);
	putchar('\n');
	if (ifc.n_addrs > 1)
		printf("note: %s had %u IPv4 addresses; only the first primary one was recorded\n",
		       ifname, ifc.n_addrs);
	/* The device's own MAC is what the datapath uses. */
	if (ifc.has_mac && !bpc_dev_get(bdf, &dev, err)) {
		fmt_mac(ifc.mac, mac);
		fmt_mac(dev.mac, devmac);
		if (strcmp(mac, devmac))
			printf("note: %s used MAC %s; bypass uses the device's %s\n",
			       ifname, mac, devmac);
		bpc_dev_free(&dev);
	}
	return 0;
}

static int cmd_release(const char *arg)
{
	char bdf[BPC_NAME_LEN], drv[64], err[BPC_ERR_LEN], ifname[64];

	if (!parse_pci(arg, bdf, sizeof(bdf)))
		return fail("release: '%s' is not a PCI address (like 0000:00:04.0)", arg);
	pci_driver(bdf, drv, sizeof(drv));
	if (strcmp(drv, BYPASS_DRIVER)) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), PCI_DEVICES "/%s", bdf);
		if (!path_exists(path))
			return fail("release: no PCI function %s", bdf);
		return fail("release: %s is not claimed by bypass (driver: %s)", bdf,
			    drv[0] ? drv : "none");
	}
	if (rebind(bdf, "", err, sizeof(err)))
		return fail("release: %s", err);
	pci_driver(bdf, drv, sizeof(drv));
	if (!drv[0])
		return fail("release: %s left bypass but no driver took it (see 'dmesg')", bdf);
	printf("released %s to %s", bdf, drv);
	if (pci_netdev(bdf, ifname, sizeof(ifname)))
		printf(" (interface %s)", ifname);
	putchar('\n');
	return 0;
}

static int parse_ip(const char *s, uint32_t *addr)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return -EINVAL;
	*addr = a.s_addr;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	*v = strtoul(s, &end, 10);
	if (errno || *end || *v > max)
		return -EINVAL;
	return 0;
}

static int cmd_set(int argc, char **argv)
{
	char bdf[BPC_NAME_LEN], err[BPC_ERR_LEN], addr[32], *slash;
	struct bpc_set set = { 0 };
	unsigned long v;
	int i;

	if (argc < 2 || !parse_pci(argv[0], bdf, sizeof(bdf)))
		return argc < 2 ? usage(stderr) :
		       fail("set: '%s' is not a PCI address (like 0000:00:04.0)", argv[0]);
	for (i = 1; i < argc; i += 2) {
		const char *key = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return fail("set: '%s' needs a value", key);
		if (!strcmp(key, "addr")) {
			set.has_addr = set.has_prefix = true;
			if (!strcmp(val, "none"))
				continue;
			snprintf(addr, sizeof(addr), "%s", val);
			slash = strchr(addr, '/');
			if (!slash)
				return fail("set: addr must be A.B.C.D/PREFIX, not '%s'", val);
			*slash = 0;
			if (parse_ip(addr, &set.addr) || parse_uint(slash + 1, 255, &v))
				return fail("set: bad IPv4 address '%s'", val);
			set.prefix = (uint8_t)v;
		} else if (!strcmp(key, "gateway")) {
			set.has_gateway = true;
			if (strcmp(val, "none") && parse_ip(val, &set.gateway))
				return fail("set: bad IPv4 gateway '%s'", val);
		} else if (!strcmp(key, "mtu")) {
			if (parse_uint(val, UINT32_MAX, &v))
				return fail("set: bad MTU '%s'", val);
			set.has_mtu = true;
			set.mtu = (uint32_t)v;
		} else if (!strcmp(key, "pairs")) {
			if (parse_uint(val, UINT32_MAX, &v))
				return fail("set: bad number of queue pairs '%s'", val);
			set.has_pairs = true;
			set.pairs = (uint32_t)v;
		} else {
			return fail("set: unknown setting '%s' (addr, gateway, mtu, pairs)", key);
		}
	}
	if (open_genl())
		return 1;
	/* The kernel checks the values; its message says what is wrong. */
	if (bpc_dev_set(bdf, &set, err))
		return fail("set %s: %s", bdf, err);
	return 0;
}

int main(int argc, char **argv)
{
	const char *cmd;
	int ret;

	while (argc > 1 && argv[1][0] == '-') {
		if (!strcmp(argv[1], "-j") || !strcmp(argv[1], "--json")) {
			json = true;
		} else if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
			return usage(stdout);
		} else {
			fprintf(stderr, "%s: unknown option %s\n", prog, argv[1]);
			return usage(stderr);
		}
		argc--;
		argv++;
	}
	if (argc < 2)
		return usage(stderr);
	cmd = argv[1];
	if (!strcmp(cmd, "list") && argc == 2)
		ret = cmd_list();
	else if (!strcmp(cmd, "show") && argc <= 3)
		ret = cmd_show(argc == 3 ? argv[2] : NULL);
	else if (!strcmp(cmd, "claim") && argc == 3)
		ret = cmd_claim(argv[2]);
	else if (!strcmp(cmd, "release") && argc == 3)
		ret = cmd_release(argv[2]);
	else if (!strcmp(cmd, "set"))
		ret = cmd_set(argc - 2, argv + 2);
	else
		return usage(stderr);
	bpc_genl_close();
	if (fflush(stdout))
		return fail("writing output: %s", strerror(errno));
	return ret;
}
