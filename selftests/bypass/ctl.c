// SPDX-License-Identifier: GPL-2.0
/*
 * bypassctl and the "bypass" generic netlink family: claiming by interface
 * name records the interface's IPv4 settings, list/show report devices,
 * DEV_SET validates what it is given, only CAP_NET_ADMIN may use the
 * family, and release gives the interface back. The family is also driven
 * directly over a raw netlink socket, to check errnos and extack messages
 * without the tool in between.
 */
#include <dirent.h>
#include <grp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>

#include <linux/bypass_genl.h>

#include "kselftest_harness.h"
#include "testlib.h"

#define NIC_MAC		"52:54:00:b9:00:01"
#define CMD_TIMEOUT_MS	20000
#define NETDEV_WAIT_MS	15000
#define OUT_LEN		16384

static const char *ctl_path(void)
{
	const char *p = getenv("BYPASSCTL");

	return p ? p : "build/bin/bypassctl";
}

/* ---- running commands, bounded ---- */

struct cmd_result {
	int status;		/* exit status, or -1 if killed / not run */
	char out[OUT_LEN];
	char err[OUT_LEN];
};

/*
 * Run argv (argv[0] looked up in PATH) as @uid (or as ourselves if
 * uid < 0) with stdin from /dev/null, collecting stdout and stderr. The
 * child is killed if it outlives CMD_TIMEOUT_MS. Returns 0 if it ran to
 * completion, -ETIMEDOUT or -errno otherwise.
 */
static int run_as(int uid, char *const argv[], struct cmd_result *r)
{
	long deadline = tl_now_ms() + CMD_TIMEOUT_MS;
	size_t got[2] = { 0, 0 };
	char *bufs[2] = { r->out, r->err };
	int po[2], pe[2], open_fds = 2, status, i;
	struct pollfd pfd[2];
	pid_t pid;

	memset(r->out, 0, sizeof(r->out));
	memset(r->err, 0, sizeof(r->err));
	r->status = -1;
	if (pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY);

		dup2(null, 0);
		dup2(po[1], 1);
		dup2(pe[1], 2);
		if (uid >= 0 && (setgroups(0, NULL) || setgid(uid) || setuid(uid)))
			_exit(126);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(po[1]);
	close(pe[1]);
	pfd[0] = (struct pollfd){ .fd = po[0], .events = POLLIN };
	pfd[1] = (struct pollfd){ .fd = pe[0], .events = POLLIN };
	while (open_fds) {
		long left = deadline - tl_now_ms();

		if (left <= 0 || poll(pfd, 2, (int)left) < 0)
			break;
		for (i = 0; i < 2; i++) {
			ssize_t n;
			char sink[512];

			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			if (got[i] < OUT_LEN - 1)
				n = read(pfd[i].fd, bufs[i] + got[i], OUT_LEN - 1 - got[i]);
			else
				n = read(pfd[i].fd, sink, sizeof(sink));
			if (n <= 0) {
				close(pfd[i].fd);
				pfd[i].fd = -1;
				open_fds--;
			} else if (got[i] < OUT_LEN - 1) {
				got[i] += n;
			}
		}
	}
	for (i = 0; i < 2; i++)
		if (pfd[i].fd >= 0)
			close(pfd[i].fd);
	if (open_fds) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	/* Both pipes are closed: the child has exited or is about to. */
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return 0;
}

/* Run bypassctl with up to four arguments (NULL-terminated). */
static int ctl_as(int uid, struct cmd_result *r, const char *a1, const char *a2,
		  const char *a3, const char *a4)
{
	char *argv[] = { (char *)ctl_path(), (char *)a1, (char *)a2, (char *)a3,
			 (char *)a4, NULL };

	return run_as(uid, argv, r);
}

#define ctl(r, ...) ctl_as(-1, r, __VA_ARGS__)

/* Run `ip ARGS...`; returns its exit status or -1. */
static int ip_cmd(const char *a1, const char *a2, const char *a3, const char *a4,
		  const char *a5, const char *a6, const char *a7)
{
	char *argv[] = { "ip", (char *)a1, (char *)a2, (char *)a3, (char *)a4,
			 (char *)a5, (char *)a6, (char *)a7, NULL };
	static struct cmd_result r;

	if (run_as(-1, argv, &r))
		return -1;
	if (r.status)
		fprintf(stderr, "# ip %s %s %s: %s", a1, a2, a3 ? a3 : "", r.err);
	return r.status;
}

/* ---- the test NIC's network interface ---- */

/* Name of the interface virtio_net made for a PCI function, if it exists. */
static int pci_ifname(const char *bdf, char *name, size_t len)
{
	char path[PATH_MAX];
	struct dirent *e, *n;
	DIR *d, *nd;
	int found = 0;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	d = opendir(path);
	if (!d)
		return 0;
	while (!found && (e = readdir(d))) {
		if (strncmp(e->d_name, "virtio", 6))
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s/net",
			 bdf, e->d_name);
		nd = opendir(path);
		if (!nd)
			continue;
		while ((n = readdir(nd))) {
			if (n->d_name[0] != '.') {
				snprintf(name, len, "%.*s", 15, n->d_name);
				found = 1;
				break;
			}
		}
		closedir(nd);
	}
	closedir(d);
	return found;
}

/*
 * Wait until a PCI function's interface exists (present) or not, in this
 * network namespace; 0 or -ETIMEDOUT.
 */
static int wait_pci_if(const char *bdf, int present, char *name, size_t len)
{
	long end = tl_now_ms() + NETDEV_WAIT_MS;
	char buf[32];

	for (;;) {
		if (pci_ifname(bdf, name ? name : buf, name ? len : sizeof(buf)) == present)
			return 0;
		if (tl_now_ms() >= end)
			return -ETIMEDOUT;
		usleep(20000);
	}
}

static int wait_nic_if(int present, char *name, size_t len)
{
	return wait_pci_if(tl_nic(), present, name, len);
}

static void read_mac(const char *ifname, char *mac, size_t len)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/address", ifname);
	mac[0] = 0;
	f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(mac, (int)len, f))
		mac[strcspn(mac, "\n")] = 0;
	fclose(f);
}

static int driver_is(const char *bdf, const char *want)
{
	char drv[64];

	tl_pci_driver(bdf, drv, sizeof(drv));
	return !strcmp(drv, want);
}

/* ---- a raw generic netlink client ---- */

struct nlreq {
	struct nlmsghdr n;
	struct genlmsghdr g;
	char attrs[512];
};

struct nlans {
	int error;		/* 0 or -errno from the kernel */
	char msg[256];		/* its extack message, "" if none */
	int replies;		/* messages before the ACK/DONE */
};

static void put_attr(struct nlreq *r, uint16_t type, const void *data, size_t len)
{
	size_t off = NLMSG_ALIGN(r->n.nlmsg_len) - NLMSG_LENGTH(GENL_HDRLEN);
	struct nlattr a = { .nla_type = type, .nla_len = NLA_HDRLEN + len };

	if (off + NLA_ALIGN(a.nla_len) > sizeof(r->attrs))
		abort();
	memcpy(r->attrs + off, &a, sizeof(a));
	memcpy(r->attrs + off + NLA_HDRLEN, data, len);
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN) + off + NLA_ALIGN(a.nla_len);
}

static void put_str(struct nlreq *n, uint16_t type, const char *s)
{
	put_attr(n, type, s, strlen(s) + 1);
}

static void put_u32(struct nlreq *n, uint16_t type, uint32_t v)
{
	put_attr(n, type, &v, sizeof(v));
}

static void put_ip(struct nlreq *n, uint16_t type, const char *ip)
{
	struct in_addr a;

	inet_pton(AF_INET, ip, &a);
	put_attr(n, type, &a.s_addr, sizeof(a.s_addr));
}

static void req_init(struct nlreq *r, uint16_t family, uint8_t cmd, uint16_t flags)
{
	memset(r, 0, sizeof(*r));
	r->n.nlmsg_len = NLMSG_LENGTH(GENL_HDRLEN);
	r->n.nlmsg_type = family;
	r->n.nlmsg_flags = NLM_F_REQUEST | flags;
	r->g.cmd = cmd;
	r->g.version = BYPASS_GENL_VERSION;
}

static int nl_open(void)
{
	struct timeval tv = { .tv_sec = 10 };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	int one = 1;

	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return fd;
}

/* The extack message of an NLMSG_ERROR/NLMSG_DONE (capped) message. */
static void extack_msg(const struct nlmsghdr *h, size_t off, char *msg, size_t len)
{
	const char *p = (const char *)NLMSG_DATA(h) + off;
	const char *end = (const char *)h + h->nlmsg_len;

	msg[0] = 0;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN || p + a->nla_len > end)
			return;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(msg, len, "%.*s", (int)(a->nla_len - NLA_HDRLEN),
				 p + NLA_HDRLEN);
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send a request and read to its ACK (or the end of a dump). Each reply
 * message is passed to @cb if given. Returns 0 with the kernel's verdict
 * in @ans, or -errno for a transport failure.
 */
static int nl_call(int fd, struct nlreq *req, struct nlans *ans,
		   void (*cb)(const struct nlmsghdr *h, void *data), void *data)
{
	static char buf[65536];
	static uint32_t seq;

	memset(ans, 0, sizeof(*ans));
	req->n.nlmsg_seq = ++seq;
	if (!(req->n.nlmsg_flags & NLM_F_DUMP))
		req->n.nlmsg_flags |= NLM_F_ACK;
	if (send(fd, req, req->n.nlmsg_len, 0) < 0)
		return -errno;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);
		struct nlmsghdr *h;

		if (n < 0)
			return -errno;
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, n); h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_seq != req->n.nlmsg_seq)
				continue;
			if (h->nlmsg_type == NLMSG_ERROR) {
				struct nlmsgerr *e = NLMSG_DATA(h);

				ans->error = e->error;
				extack_msg(h, sizeof(*e), ans->msg, sizeof(ans->msg));
				return 0;
			}
			if (h->nlmsg_type == NLMSG_DONE) {
				memcpy(&ans->error, NLMSG_DATA(h), sizeof(int));
				extack_msg(h, sizeof(int), ans->msg, sizeof(ans->msg));
				return 0;
			}
			ans->replies++;
			if (cb)
				cb(h, data);
		}
	}
}

static void family_cb(const struct nlmsghdr *h, void *data)
{
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
	const char *end = (const char *)h + h->nlmsg_len;

	while (p + NLA_HDRLEN <= end) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN)
			return;
		if (a->nla_type == CTRL_ATTR_FAMILY_ID)
			memcpy(data, p + NLA_HDRLEN, sizeof(uint16_t));
		p += NLA_ALIGN(a->nla_len);
	}
}

/* The "bypass" family's id, or 0. */
static uint16_t family_id(int fd)
{
	struct nlans ans;
	struct nlreq r;
	uint16_t id = 0;

	req_init(&r, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 0);
	r.g.version = 1;
	put_str(&r, CTRL_ATTR_FAMILY_NAME, BYPASS_GENL_NAME);
	if (nl_call(fd, &r, &ans, family_cb, &id) || ans.error)
		return 0;
	return id;
}

/* Did the traffic tests move the peer's interface into netns "peer"? */
static int peer_in_netns(void)
{
	return access("/run/netns/peer", F_OK) == 0;
}

/*
 * Give the peer NIC back after a test claimed it: release it and, if its
 * interface lived in netns "peer" (rawring.h), put the new one back there,
 * configured the same way (no IPv6, so it stays quiet). Returns 0 or -1.
 */
static int release_peer(int to_netns)
{
	static struct cmd_result r;
	char ifname[32], sysctl[96];

	if (ctl(&r, "release", tl_peer(), NULL, NULL) || r.status) {
		fprintf(stderr, "# release %s: %s", tl_peer(), r.err);
		return -1;
	}
	if (!driver_is(tl_peer(), "virtio-pci"))
		return -1;
	if (!to_netns)
		return 0;
	if (wait_pci_if(tl_peer(), 1, ifname, sizeof(ifname)))
		return -1;
	snprintf(sysctl, sizeof(sysctl), "net.ipv6.conf.%s.disable_ipv6=1", ifname);
	if (ip_cmd("link", "set", ifname, "netns", "peer", NULL, NULL) ||
	    ip_cmd("netns", "exec", "peer", "sysctl", "-qw", sysctl, NULL) ||
	    ip_cmd("-n", "peer", "link", "set", ifname, "up", NULL) ||
	    ip_cmd("-n", "peer", "addr", "add", "192.0.2.2/24", "dev", ifname))
		return -1;
	return 0;
}

/* ---- fixture: the NIC configured, then claimed by interface name ---- */

FIXTURE(ctl) {
	char ifname[32];
	char nic[32];
};

FIXTURE_SETUP(ctl)
{
	struct cmd_result *r = malloc(sizeof(*r));

	ASSERT_NE(NULL, r);
	snprintf(self->nic, sizeof(self->nic), "%s", tl_nic());
	ASSERT_TRUE(driver_is(self->nic, "virtio-pci"));
	ASSERT_EQ(0, wait_nic_if(1, self->ifname, sizeof(self->ifname)));
	ASSERT_EQ(0, ip_cmd("addr", "flush", "dev", self->ifname, NULL, NULL, NULL));
	ASSERT_EQ(0, ip_cmd("link", "set", self->ifname, "up", NULL, NULL, NULL));
	ASSERT_EQ(0, ip_cmd("addr", "add", "192.0.2.10/24", "dev", self->ifname,
			    NULL, NULL));
	ASSERT_EQ(0, ip_cmd("route", "replace", "default", "via", "192.0.2.1", "dev",
			    self->ifname));
	ASSERT_EQ(0, ctl(r, "claim", self->ifname, NULL, NULL));
	if (r->status)
		TH_LOG("claim: %s%s", r->out, r->err);
	ASSERT_EQ(0, r->status);
	free(r);
	ASSERT_TRUE(driver_is(self->nic, "bypass"));
}

FIXTURE_TEARDOWN(ctl)
{
	struct cmd_result *r = malloc(sizeof(*r));

	if (!r)
		return;
	if (driver_is(self->nic, "bypass")) {
		EXPECT_EQ(0, ctl(r, "release", self->nic, NULL, NULL));
		EXPECT_EQ(0, r->status);
	}
	/* Only dump_in_pci_order claims the peer; never leave it claimed. */
	if (driver_is(tl_peer(), "bypass"))
		EXPECT_EQ(0, release_peer(peer_in_netns()));
	EXPECT_TRUE(driver_is(self->nic, "virtio-pci"));
	EXPECT_EQ(0, wait_nic_if(1, NULL, 0));
	free(r);
}

static int starts_with(const char *s, const char *prefix)
{
	return !strncmp(s, prefix, strlen(prefix));
}

/* Is @s exactly one line? */
static int one_line(const char *s)
{
	const char *nl = strchr(s, '\n');

	return s[0] && nl && !nl[1];
}

/* Is the whole of @text valid JSON? (python3 is on the shared host root.) */
static int valid_json(const char *text)
{
	char path[] = "/tmp/bypassctl-json-XXXXXX";
	char *argv[] = { "python3", "-c",
			 "import json,sys; json.load(open(sys.argv[1]))", path, NULL };
	static struct cmd_result r;
	int fd = mkstemp(path);
	int ok;

	if (fd < 0)
		return 0;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	ok = ok && !run_as(-1, argv, &r) && r.status == 0;
	unlink(path);
	return ok;
}

TEST_F(ctl, claim_by_ifname_records_config)
{
	static struct cmd_result r;
	char frag[128];

	/* The kernel's interface is gone while bypass has the function. */
	EXPECT_EQ(0, wait_nic_if(0, NULL, 0));
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(valid_json(r.out));
	snprintf(frag, sizeof(frag), "{\"device\":\"%s\",", self->nic);
	EXPECT_TRUE(starts_with(r.out, frag)) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"mac\":\"" NIC_MAC "\""));
	EXPECT_NE(NULL, strstr(r.out, "\"ipv4\":{\"address\":\"192.0.2.10\","
				      "\"prefix\":24,\"gateway\":\"192.0.2.1\"}"));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu\":1500,"));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu_override\":1500"));
	EXPECT_NE(NULL, strstr(r.out, "\"VERSION_1\""));
	EXPECT_NE(NULL, strstr(r.out, "\"ACCESS_PLATFORM\""));
	EXPECT_NE(NULL, strstr(r.out, "\"CTRL_VQ\""));
	EXPECT_NE(NULL, strstr(r.out, "\"pairs\":[{\"index\":0,\"owner_pid\":0,"));
	EXPECT_NE(NULL, strstr(r.out, "\"unsafe\":false"));
	EXPECT_NE(NULL, strstr(r.out, "\"stats\":null"));

	/* Applications see the recorded settings through BYPASS_GET_INFO. */
	{
		struct bypass_info info;
		struct in_addr a;
		int fd = tl_open_attached();

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, tl_info(fd, &info));
		inet_pton(AF_INET, "192.0.2.10", &a);
		EXPECT_EQ(a.s_addr, info.ipv4_addr);
		EXPECT_EQ(24, info.ipv4_prefix);
		inet_pton(AF_INET, "192.0.2.1", &a);
		EXPECT_EQ(a.s_addr, info.ipv4_gateway);
		EXPECT_EQ(1500, info.mtu);
		close(fd);
	}
}

TEST_F(ctl, list_shows_device)
{
	static struct cmd_result r;
	char frag[128];

	ASSERT_EQ(0, ctl(&r, "list", NULL, NULL, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(starts_with(r.out, "DEVICE ")) TH_LOG("%s", r.out);
	snprintf(frag, sizeof(frag), "\n%s ", self->nic);
	EXPECT_NE(NULL, strstr(r.out, frag));
	EXPECT_NE(NULL, strstr(r.out, NIC_MAC));
	EXPECT_NE(NULL, strstr(r.out, "192.0.2.10/24"));
	/* The peer NIC stays with Linux and is not listed. */
	EXPECT_EQ(NULL, strstr(r.out, tl_peer()));

	ASSERT_EQ(0, ctl(&r, "-j", "list", NULL, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(valid_json(r.out));
	snprintf(frag, sizeof(frag), "[{\"device\":\"%s\",", self->nic);
	EXPECT_TRUE(starts_with(r.out, frag)) TH_LOG("%s", r.out);

	/* show without an address dumps every device, with details. */
	ASSERT_EQ(0, ctl(&r, "-j", "show", NULL, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(valid_json(r.out));
	EXPECT_TRUE(starts_with(r.out, frag)) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"features\":["));
}

TEST_F(ctl, dev_set_rejects_bad_values)
{
	static const struct {
		const char *addr, *gw;
		int prefix;		/* -1: not sent */
		long mtu;		/* -1: not sent */
		int err;
		const char *msg;
	} cases[] = {
		{ NULL, NULL, 33, -1, -EINVAL, "IPv4 prefix length must be at most 32" },
		{ NULL, NULL, -1, 67, -ERANGE, "MTU is below the IPv4 minimum of 68" },
		{ NULL, NULL, -1, 65536, -ERANGE, "MTU is above 65535" },
		{ "224.0.0.1", NULL, 24, -1, -EINVAL,
		  "IPv4 address is not a unicast host address" },
		{ "127.0.0.2", NULL, 8, -1, -EINVAL,
		  "IPv4 address is not a unicast host address" },
		{ "192.0.2.0", NULL, 24, -1, -EINVAL,
		  "IPv4 address is the network or broadcast address of its subnet" },
		{ "192.0.2.20", NULL, 0, -1, -EINVAL,
		  "an IPv4 address needs a prefix length of 1 to 32" },
		{ NULL, "198.51.100.1", -1, -1, -EINVAL,
		  "IPv4 gateway is outside the address's subnet" },
		{ NULL, "192.0.2.10", -1, -1, -EINVAL,
		  "IPv4 gateway equals the device's own address" },
		{ "0.0.0.0", "192.0.2.1", -1, -1, -EINVAL,
		  "an IPv4 gateway needs an IPv4 address" },
		{ NULL, NULL, -1, -1, -EINVAL,
		  "nothing to set: give an IPv4 address, prefix, gateway, MTU or pairs in use" },
	};
	static struct cmd_result r;
	struct nlans ans;
	struct nlreq req;
	uint16_t fam;
	unsigned int i;
	uint8_t mac[6] = { 0 };
	int fd;

	fd = nl_open();
	ASSERT_LE(0, fd);
	fam = family_id(fd);
	ASSERT_NE(0, fam);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
		put_str(&req, BYPASS_A_DEV_NAME, self->nic);
		if (cases[i].addr)
			put_ip(&req, BYPASS_A_DEV_IPV4_ADDR, cases[i].addr);
		if (cases[i].prefix >= 0) {
			uint8_t p = cases[i].prefix;

			put_attr(&req, BYPASS_A_DEV_IPV4_PREFIX, &p, 1);
		}
		if (cases[i].gw)
			put_ip(&req, BYPASS_A_DEV_IPV4_GATEWAY, cases[i].gw);
		if (cases[i].mtu >= 0)
			put_u32(&req, BYPASS_A_DEV_IPV4_MTU, cases[i].mtu);
		ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
		EXPECT_EQ(cases[i].err, ans.error) TH_LOG("case %u", i);
		EXPECT_STREQ(cases[i].msg, ans.msg) TH_LOG("case %u", i);
	}

	/* Malformed requests. */
	req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
	put_u32(&req, BYPASS_A_DEV_IPV4_MTU, 1400);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);
	EXPECT_STREQ("missing device name (PCI address)", ans.msg);

	req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, "0000:00:1f.7");
	put_u32(&req, BYPASS_A_DEV_IPV4_MTU, 1400);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-ENODEV, ans.error);
	EXPECT_STREQ("no device with this PCI address is claimed by bypass", ans.msg);

	req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, "");
	put_u32(&req, BYPASS_A_DEV_IPV4_MTU, 1400);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);
	EXPECT_STREQ("empty device name", ans.msg);

	/* Names are at most BYPASS_DEVNAME_LEN - 1 characters, NUL-terminated. */
	req_init(&req, fam, BYPASS_CMD_DEV_GET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, "0000:00:04.0-and-far-too-long-to-be-a-name");
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);
	EXPECT_EQ(0, ans.replies);
	req_init(&req, fam, BYPASS_CMD_DEV_GET, 0);
	put_attr(&req, BYPASS_A_DEV_NAME, self->nic, strlen(self->nic));
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);
	/* The same name, terminated, works. */
	req_init(&req, fam, BYPASS_CMD_DEV_GET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, self->nic);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(0, ans.error);
	EXPECT_EQ(1, ans.replies);

	req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, self->nic);
	put_attr(&req, BYPASS_A_DEV_MAC, mac, sizeof(mac));
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);
	EXPECT_STREQ("the MAC address is read-only", ans.msg);

	/* Strict validation: an attribute the family does not know. */
	req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
	put_str(&req, BYPASS_A_DEV_NAME, self->nic);
	put_u32(&req, BYPASS_A_MAX + 1, 1);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EINVAL, ans.error);

	/* An unknown command. */
	req_init(&req, fam, BYPASS_CMD_MAX + 1, 0);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, NULL, NULL));
	EXPECT_EQ(-EOPNOTSUPP, ans.error);
	close(fd);

	/* Nothing of the above changed the recorded settings. */
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_NE(NULL, strstr(r.out, "\"ipv4\":{\"address\":\"192.0.2.10\","
				      "\"prefix\":24,\"gateway\":\"192.0.2.1\"}"));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu_override\":1500"));

	/* bypassctl prints the kernel's message verbatim and fails. */
	ASSERT_EQ(0, ctl(&r, "set", self->nic, "mtu", "20"));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "MTU is below the IPv4 minimum of 68"));
	EXPECT_TRUE(one_line(r.err)) TH_LOG("%s", r.err);
}

TEST_F(ctl, dev_set_applies_values)
{
	static struct cmd_result r;
	char *argv[] = { (char *)ctl_path(), "set", self->nic, "addr", "198.51.100.7/25",
			 "gateway", "198.51.100.1", "mtu", "1400", NULL };

	ASSERT_EQ(0, run_as(-1, argv, &r));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	EXPECT_NE(NULL, strstr(r.out, "\"ipv4\":{\"address\":\"198.51.100.7\","
				      "\"prefix\":25,\"gateway\":\"198.51.100.1\"}"));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu\":1400,"));

	/* Removing the address removes its prefix and gateway too. */
	ASSERT_EQ(0, ctl(&r, "set", self->nic, "addr", "none"));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	EXPECT_NE(NULL, strstr(r.out, "\"ipv4\":null"));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu_override\":1400"));

	/* MTU 0 goes back to the device's. */
	ASSERT_EQ(0, ctl(&r, "set", self->nic, "mtu", "0"));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu_override\":null"));
}

TEST_F(ctl, unprivileged_gets_eperm)
{
	static struct cmd_result r;
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct nlans ans;
		struct nlreq req;
		uint16_t fam;
		int fd;

		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(10);
		/* The socket is opened without privileges, as a user would. */
		fd = nl_open();
		if (fd < 0)
			_exit(11);
		fam = family_id(fd);	/* resolving the family is not privileged */
		if (!fam)
			_exit(12);
		req_init(&req, fam, BYPASS_CMD_DEV_GET, NLM_F_DUMP);
		if (nl_call(fd, &req, &ans, NULL, NULL) || ans.error != -EPERM || ans.replies)
			_exit(13);
		req_init(&req, fam, BYPASS_CMD_DEV_GET, 0);
		put_str(&req, BYPASS_A_DEV_NAME, tl_nic());
		if (nl_call(fd, &req, &ans, NULL, NULL) || ans.error != -EPERM || ans.replies)
			_exit(14);
		req_init(&req, fam, BYPASS_CMD_DEV_SET, 0);
		put_str(&req, BYPASS_A_DEV_NAME, tl_nic());
		put_u32(&req, BYPASS_A_DEV_IPV4_MTU, 1400);
		if (nl_call(fd, &req, &ans, NULL, NULL) || ans.error != -EPERM)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* The tool says so, in one line, and fails. */
	ASSERT_EQ(0, ctl_as(65534, &r, "list", NULL, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "CAP_NET_ADMIN"));
	EXPECT_NE(NULL, strstr(r.err, "Operation not permitted"));
	EXPECT_TRUE(one_line(r.err)) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.out);

	/* The MTU set above did not happen. */
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	EXPECT_NE(NULL, strstr(r.out, "\"mtu_override\":1500"));
}

TEST_F(ctl, show_of_unclaimed_or_bogus_fails)
{
	static struct cmd_result r;

	/* The peer NIC exists but belongs to virtio-pci. */
	ASSERT_EQ(0, ctl(&r, "show", tl_peer(), NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no device with this PCI address is claimed by bypass"));
	EXPECT_NE(NULL, strstr(r.err, "No such device"));
	EXPECT_TRUE(one_line(r.err)) TH_LOG("%s", r.err);
	EXPECT_STREQ("", r.out);

	ASSERT_EQ(0, ctl(&r, "-j", "show", "0000:00:1f.7", NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no device with this PCI address is claimed by bypass"));
	EXPECT_STREQ("", r.out);

	ASSERT_EQ(0, ctl(&r, "show", "not-a-pci-address", NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is not a PCI address"));

	ASSERT_EQ(0, ctl(&r, "show", "0000:00:04.0:extra", NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is not a PCI address"));

	ASSERT_EQ(0, ctl(&r, "frobnicate", NULL, NULL, NULL));
	EXPECT_EQ(2, r.status);
	EXPECT_NE(NULL, strstr(r.err, "usage:"));
}

TEST_F(ctl, claim_errors)
{
	static struct cmd_result r;

	ASSERT_EQ(0, ctl(&r, "claim", self->nic, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is already claimed by bypass"));

	ASSERT_EQ(0, ctl(&r, "claim", "lo", NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "lo is not backed by a device"));

	ASSERT_EQ(0, ctl(&r, "claim", "nosuchif0", NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no network interface or PCI function named 'nosuchif0'"));

	ASSERT_EQ(0, ctl(&r, "claim", "0000:00:1f.7", NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "no PCI function 0000:00:1f.7"));

	ASSERT_EQ(0, ctl(&r, "release", tl_peer(), NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is not claimed by bypass (driver: virtio-pci)"));
	/* None of this disturbed the peer NIC. */
	EXPECT_TRUE(driver_is(tl_peer(), "virtio-pci"));
}

TEST_F(ctl, show_reports_owner_and_counters)
{
	static struct cmd_result r;
	struct bypass_kick kick = { .argsz = sizeof(kick), .queue = BYPASS_QUEUE_TX };
	struct bypass_qp_stats *st;
	char frag[128];
	int fd, i;

	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, ioctl(fd, BYPASS_KICK, &kick));
	st = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, BYPASS_MMAP_STATS);
	ASSERT_NE(MAP_FAILED, st);
	st->rx_packets = 7;
	st->tx_bytes = 1234;
	st->doorbells = 5;
	st->tcp_conns = 3;
	st->tcp_time_wait = 640;
	st->tcp_conn_limit_drops = 2;
	st->tcp_tw_recycled = 1;

	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(valid_json(r.out));
	snprintf(frag, sizeof(frag), "\"pairs\":[{\"index\":0,\"owner_pid\":%d,", getpid());
	EXPECT_NE(NULL, strstr(r.out, frag)) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "\"queue_pairs_used\":1"));
	EXPECT_NE(NULL, strstr(r.out, "\"parked\":false,\"stale\":false,"));
	EXPECT_NE(NULL, strstr(r.out, "\"tx\":{\"index\":1,\"interrupts\":0,\"kicks\":3}"));
	EXPECT_NE(NULL, strstr(r.out, "\"stats\":{\"rx_packets\":7,"));
	EXPECT_NE(NULL, strstr(r.out, "\"tx_bytes\":1234,"));
	EXPECT_NE(NULL, strstr(r.out, "\"doorbells\":5,\"tcp_conns\":3,"
				  "\"tcp_time_wait\":640,\"tcp_conn_limit_drops\":2,"
				  "\"tcp_tw_recycled\":1}"));

	ASSERT_EQ(0, ctl(&r, "show", self->nic, NULL, NULL));
	ASSERT_EQ(0, r.status);
	snprintf(frag, sizeof(frag), "pair 0: owner pid %d\n", getpid());
	EXPECT_NE(NULL, strstr(r.out, frag)) TH_LOG("%s", r.out);
	EXPECT_NE(NULL, strstr(r.out, "kicks 3  packets 0  bytes 1234"));
	EXPECT_NE(NULL, strstr(r.out, "tcp: connections 3  time_wait 640  "
				  "limit drops 2  time_wait recycled 1\n"));
	EXPECT_NE(NULL, strstr(r.out, "VERSION_1"));

	/* Once detached, the pair is free and its stats page gone. */
	munmap(st, 4096);
	close(fd);
	ASSERT_EQ(0, ctl(&r, "-j", "show", self->nic, NULL));
	EXPECT_NE(NULL, strstr(r.out, "\"owner_pid\":0,"));
	EXPECT_NE(NULL, strstr(r.out, "\"stats\":null"));
}

TEST_F(ctl, release_restores_interface)
{
	static struct cmd_result r;
	char ifname[32], mac[32];

	ASSERT_EQ(0, ctl(&r, "release", self->nic, NULL, NULL));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
	EXPECT_TRUE(starts_with(r.out, "released ")) TH_LOG("%s", r.out);
	EXPECT_TRUE(driver_is(self->nic, "virtio-pci"));
	ASSERT_EQ(0, wait_nic_if(1, ifname, sizeof(ifname)));
	read_mac(ifname, mac, sizeof(mac));
	EXPECT_STREQ(NIC_MAC, mac);

	/* bypass no longer knows it; a second release says why it fails. */
	ASSERT_EQ(0, ctl(&r, "show", self->nic, NULL, NULL));
	EXPECT_EQ(1, r.status);
	ASSERT_EQ(0, ctl(&r, "release", self->nic, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "is not claimed by bypass"));
	ASSERT_EQ(0, ctl(&r, "list", NULL, NULL, NULL));
	EXPECT_EQ(0, r.status);
	EXPECT_EQ(NULL, strstr(r.out, self->nic));
}

/* Names of the devices in a DEV_GET dump, in message order. */
struct dump_names {
	int n;
	char name[8][32];
};

static void dump_name_cb(const struct nlmsghdr *h, void *data)
{
	const char *p = (const char *)NLMSG_DATA(h) + GENL_HDRLEN;
	const char *end = (const char *)h + h->nlmsg_len;
	struct dump_names *d = data;

	while (p + NLA_HDRLEN <= end && d->n < 8) {
		const struct nlattr *a = (const struct nlattr *)p;

		if (a->nla_len < NLA_HDRLEN)
			return;
		if (a->nla_type == BYPASS_A_DEV_NAME) {
			snprintf(d->name[d->n++], 32, "%.*s",
				 (int)(a->nla_len - NLA_HDRLEN), p + NLA_HDRLEN);
			return;
		}
		p += NLA_ALIGN(a->nla_len);
	}
}

TEST_F(ctl, dump_in_pci_order)
{
	static struct cmd_result r;
	struct dump_names names = { 0 };
	struct nlans ans;
	struct nlreq req;
	uint16_t fam;
	char frag[64];
	int fd;

	int netns = peer_in_netns();

	/* Claim order peer, then NIC: the kernel's list is in that order. */
	ASSERT_EQ(0, ctl(&r, "claim", tl_peer(), NULL, NULL));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_EQ(0, ctl(&r, "release", self->nic, NULL, NULL));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);
	ASSERT_EQ(0, wait_nic_if(1, NULL, 0));
	ASSERT_EQ(0, ctl(&r, "claim", self->nic, NULL, NULL));
	ASSERT_EQ(0, r.status) TH_LOG("%s", r.err);

	fd = nl_open();
	ASSERT_LE(0, fd);
	fam = family_id(fd);
	ASSERT_NE(0, fam);
	req_init(&req, fam, BYPASS_CMD_DEV_GET, NLM_F_DUMP);
	ASSERT_EQ(0, nl_call(fd, &req, &ans, dump_name_cb, &names));
	close(fd);
	EXPECT_EQ(0, ans.error);
	ASSERT_EQ(2, names.n);
	EXPECT_STREQ(tl_nic(), names.name[0]);
	EXPECT_STREQ(tl_peer(), names.name[1]);

	/* The tool merges nothing wrongly: two devices, NIC first. */
	ASSERT_EQ(0, ctl(&r, "-j", "list", NULL, NULL));
	ASSERT_EQ(0, r.status);
	EXPECT_TRUE(valid_json(r.out));
	snprintf(frag, sizeof(frag), "[{\"device\":\"%s\",", self->nic);
	EXPECT_TRUE(starts_with(r.out, frag)) TH_LOG("%s", r.out);
	snprintf(frag, sizeof(frag), "},{\"device\":\"%s\",", tl_peer());
	EXPECT_NE(NULL, strstr(r.out, frag)) TH_LOG("%s", r.out);

	EXPECT_EQ(0, release_peer(netns));
}

/* A NIC bypass refuses (no IOMMU isolation) goes back to virtio-pci. */
TEST(refused_claim_goes_back_to_virtio)
{
	const char *bdf = getenv("BYPASS_NOIOMMU_PCI");
	static struct cmd_result r;
	char param[8] = "";
	int fd;

	ASSERT_NE(NULL, bdf) TH_LOG("BYPASS_NOIOMMU_PCI is not set");
	/* Only the default module parameters make bypass refuse it. */
	fd = open("/sys/module/bypass/parameters/unsafe_noiommu", O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, param, sizeof(param) - 1));
	close(fd);
	ASSERT_EQ('N', param[0]);
	ASSERT_TRUE(driver_is(bdf, "virtio-pci"));

	ASSERT_EQ(0, ctl(&r, "claim", bdf, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bypass refused"));
	EXPECT_NE(NULL, strstr(r.err, "dmesg"));
	EXPECT_NE(NULL, strstr(r.err, "it went back to its previous driver"));
	EXPECT_TRUE(one_line(r.err)) TH_LOG("%s", r.err);
	EXPECT_TRUE(driver_is(bdf, "virtio-pci"));
	EXPECT_EQ(0, wait_pci_if(bdf, 1, NULL, 0));
	/* Its driver_override was cleared too. */
	{
		char path[PATH_MAX], buf[64] = "";
		int n;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
		fd = open(path, O_RDONLY);
		ASSERT_LE(0, fd);
		n = read(fd, buf, sizeof(buf) - 1);
		close(fd);
		ASSERT_LT(0, n);
		EXPECT_STREQ("(null)\n", buf);
	}
}

/* ---- without the module ---- */

static int module_loaded(void)
{
	return access("/sys/module/bypass", F_OK) == 0;
}

/* insmod $BYPASS_KO $BYPASS_KO_PARAMS (as the VM runner loaded it). */
static int load_module(void)
{
	static struct cmd_result r;
	const char *ko = getenv("BYPASS_KO");
	const char *params = getenv("BYPASS_KO_PARAMS");
	char buf[256], *argv[12] = { "insmod", (char *)ko };
	char *save = NULL, *tok;
	int n = 2;

	if (!ko)
		return -1;
	snprintf(buf, sizeof(buf), "%s", params ? params : "");
	for (tok = strtok_r(buf, " ", &save); tok && n < 11; tok = strtok_r(NULL, " ", &save))
		argv[n++] = tok;
	argv[n] = NULL;
	if (run_as(-1, argv, &r) || r.status) {
		fprintf(stderr, "# insmod %s: %s", ko, r.err);
		return -1;
	}
	return 0;
}

FIXTURE(unloaded) {
	char ifname[32];
};

FIXTURE_SETUP(unloaded)
{
	char *argv[] = { "rmmod", "bypass", NULL };
	static struct cmd_result r;

	ASSERT_NE(NULL, getenv("BYPASS_KO")) TH_LOG("BYPASS_KO is not set");
	ASSERT_TRUE(driver_is(tl_nic(), "virtio-pci"));
	ASSERT_EQ(0, wait_nic_if(1, self->ifname, sizeof(self->ifname)));
	ASSERT_EQ(0, run_as(-1, argv, &r));
	ASSERT_EQ(0, r.status) TH_LOG("rmmod: %s", r.err);
	ASSERT_FALSE(module_loaded());
}

FIXTURE_TEARDOWN(unloaded)
{
	if (!module_loaded())
		EXPECT_EQ(0, load_module());
	EXPECT_TRUE(module_loaded());
}

TEST_F(unloaded, commands_say_the_module_is_missing)
{
	static struct cmd_result r;
	char ifname[32];

	/* claim checks before it unbinds anything: the NIC stays with Linux. */
	ASSERT_EQ(0, ctl(&r, "claim", self->ifname, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "bypass.ko is not loaded"));
	EXPECT_TRUE(one_line(r.err)) TH_LOG("%s", r.err);
	EXPECT_TRUE(driver_is(tl_nic(), "virtio-pci"));
	ASSERT_EQ(1, pci_ifname(tl_nic(), ifname, sizeof(ifname)));
	EXPECT_STREQ(self->ifname, ifname);

	ASSERT_EQ(0, ctl(&r, "list", NULL, NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "netlink family is not registered"));
	ASSERT_EQ(0, ctl(&r, "show", tl_nic(), NULL, NULL));
	EXPECT_EQ(1, r.status);
	EXPECT_NE(NULL, strstr(r.err, "netlink family is not registered"));

	/* Loaded again, the family is back. */
	ASSERT_EQ(0, load_module());
	ASSERT_EQ(0, ctl(&r, "list", NULL, NULL, NULL));
	EXPECT_EQ(0, r.status) TH_LOG("%s", r.err);
}

TEST_HARNESS_MAIN
