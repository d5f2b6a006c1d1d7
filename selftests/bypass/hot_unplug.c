// SPDX-License-Identifier: GPL-2.0
/*
 * Hot-unplug for real: QEMU's device_del takes the claimed NIC away while an
 * application has its queue pair mapped and frames flowing to the Linux
 * peer. The unplug must complete (the driver's remove does not wait for
 * userspace), the application gets the documented errors (SIGBUS on its
 * mappings, ENODEV from its ioctls, GET_INFO's REVOKED), nothing stays
 * locked or pinned for it, and the kernel logs no warning. Then device_add
 * brings the NIC back, bypassctl claims it again and a frame reaches the
 * peer.
 *
 * Needs the VM of `selftests/vm/run --hotplug` (the NIC behind a PCIe root
 * port, QEMU's monitor on a virtio-serial port driven by selftests/vm/qmp);
 * skips elsewhere.
 */
#include "kselftest_harness.h"
#include "rawring.h"

#define FLOW_FRAMES	20	/* frames the peer must see before the unplug */
#define FRAME_LEN	200
#define TX_BUFS		64
#define APP_LIMIT_MS	120000	/* the application's bound on waiting for SIGBUS */
#define CMD_LIMIT_S	"120"	/* bound on each helper command (qmp, bypassctl) */
#define PLUG_WAIT_MS	60000

/* What the application saw, sent to the test through a pipe. */
struct app_report {
	int setup;		/* 0, or -errno of the open/attach/map that failed */
	long vmlck_before;	/* kB locked with its buffer area registered */
	int signal;		/* what a ring access raised after the unplug */
	int kick_errno, mmap_errno;
	int info_rc;
	__u32 info_status;
	long vmlck_after, vmpin_after;
};

/* A "Key:   N kB" line of /proc/self/status, or -1. */
static long status_kb(const char *key)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t klen = strlen(key);
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			kb = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kb;
}

/* Run a command under timeout(1); its exit status, or -1. */
static int run_bounded(const char *const argv[])
{
	const char *args[16] = { "timeout", CMD_LIMIT_S };
	int i, status;
	pid_t pid;

	for (i = 0; argv[i] && i < 13; i++)
		args[i + 2] = argv[i];
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		execvp("timeout", (char **)args);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/*
 * Child in the peer's namespace: says it listens by writing to @ready, then
 * exits 0 once @n frames equal to @want have arrived, each within 5 s of the
 * previous one (10 when a frame did not arrive in time).
 */
static pid_t peer_expect(const char *ifname, const unsigned char *want, size_t len, int n,
			 int ready)
{
	unsigned char got[1514];
	pid_t pid = fork();
	int s, seen = 0;

	if (pid)
		return pid;
	s = tl_peer_socket(ifname, 5000);
	if (s < 0 || write(ready, "r", 1) != 1)
		_exit(20);
	while (seen < n) {
		ssize_t r = recv(s, got, sizeof(got), 0);

		if (r < 0)
			_exit(10);
		if ((size_t)r == len && !memcmp(got, want, len))
			seen++;
	}
	_exit(0);
}

/* Start peer_expect() and wait until it listens; its pid or -1. */
static pid_t peer_listening(const char *ifname, const unsigned char *want, size_t len, int n)
{
	int p[2];
	pid_t pid;
	char c;

	if (pipe(p))
		return -1;
	pid = peer_expect(ifname, want, len, n, p[1]);
	close(p[1]);
	if (pid < 0 || read(p[0], &c, 1) != 1) {
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

/* After the unplug: every way into the pair must fail as documented. */
static void app_check_revoked(struct rr *rr, int fd, struct app_report *r)
{
	struct bypass_kick k = { .argsz = sizeof(k), .queue = BYPASS_QUEUE_TX };
	struct bypass_info info;
	void *p;

	if (ioctl(fd, BYPASS_KICK, &k) == 0)
		r->kick_errno = 0;
	else
		r->kick_errno = errno;
	p = mmap(NULL, rr->q[0].ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
		 BYPASS_MMAP_RX_RING);
	r->mmap_errno = p == MAP_FAILED ? errno : 0;
	r->info_rc = tl_info(fd, &info);
	r->info_status = info.status;
	r->vmlck_after = status_kb("VmLck");
	r->vmpin_after = status_kb("VmPin");
}

/*
 * Keep TX_BUFS frames in flight, reposting each as it completes, until a
 * ring access faults: the signal, or 0 when APP_LIMIT_MS passed without one.
 * Not inlined: nothing of its caller lives across the longjmp.
 */
static __attribute__((noinline)) int app_send_until_fault(struct rr *rr)
{
	struct sigaction sa = { .sa_handler = tl_on_fault };
	long end = tl_now_ms() + APP_LIMIT_MS;
	volatile unsigned int n = 0;
	__u32 id, len;
	int sig;

	sigaction(SIGBUS, &sa, NULL);
	sigaction(SIGSEGV, &sa, NULL);
	sig = sigsetjmp(*tl_fault_jmp(), 1);
	if (sig)
		return sig;
	rr_kick(rr, BYPASS_QUEUE_TX);
	while (tl_now_ms() < end) {
		if (rr_wait_used(rr, BYPASS_QUEUE_TX, 100, &id, &len))
			continue;
		id %= TX_BUFS;
		rr_post(rr, BYPASS_QUEUE_TX, id, rr->iova + id * RR_BUF_SIZE,
			RR_HDR_LEN + FRAME_LEN, 0);
		if (++n % 8 == 0)
			rr_kick(rr, BYPASS_QUEUE_TX);
	}
	return 0;
}

/*
 * The application (a child): attach, map, register its buffers, send
 * frames until the unplug makes a ring access fault; then report.
 */
static void app_run(int out, const unsigned char *frame)
{
	struct app_report r = { 0 };
	unsigned int i;
	struct rr rr;
	int fd;

	fd = tl_open_attached();
	if (fd < 0) {
		r.setup = fd;
		goto report;
	}
	r.setup = rr_setup(&rr, fd);
	if (r.setup)
		goto report;
	r.vmlck_before = status_kb("VmLck");
	for (i = 0; i < TX_BUFS; i++) {
		memset(rr.area + i * RR_BUF_SIZE, 0, RR_HDR_LEN);
		memcpy(rr.area + i * RR_BUF_SIZE + RR_HDR_LEN, frame, FRAME_LEN);
		rr_post(&rr, BYPASS_QUEUE_TX, i, rr.iova + i * RR_BUF_SIZE,
			RR_HDR_LEN + FRAME_LEN, 0);
	}
	r.signal = app_send_until_fault(&rr);
	app_check_revoked(&rr, fd, &r);
report:
	_exit(write(out, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

/* Kernel log records written since @fd was opened that show a problem. */
static int kmsg_problems(int fd, char *first, size_t len)
{
	static const char *const bad[] = { "WARNING:", "BUG:", "Call Trace", "Oops" };
	char rec[1024];
	int found = 0;
	unsigned int i;
	ssize_t n;

	first[0] = 0;
	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records overwritten meanwhile */
		if (n <= 0)
			break;		/* EAGAIN: read to the end */
		rec[n] = 0;
		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			if (strstr(rec, bad[i])) {
				if (!found++)
					snprintf(first, len, "%s", rec);
				break;
			}
	}
	return found;
}

static const char *bypassctl(void)
{
	static char path[PATH_MAX];
	const char *p = getenv("BYPASSCTL"), *top = getenv("BYPASS_TOP");

	if (p)
		return p;
	snprintf(path, sizeof(path), "%s/build/bin/bypassctl", top ? top : ".");
	return path;
}

/* Wait (bounded) until the function at @bdf is bound to @driver. */
static int wait_bound(const char *bdf, const char *driver, long timeout_ms)
{
	long end = tl_now_ms() + timeout_ms;
	char cur[64];

	for (;;) {
		tl_pci_driver(bdf, cur, sizeof(cur));
		if (!strcmp(cur, driver))
			return 0;
		if (tl_now_ms() > end)
			return -ETIMEDOUT;
		usleep(100000);
	}
}

/* The fixture holds the MACs and gives the test its time limit (TEST_F_TIMEOUT). */
FIXTURE(hotplug) {
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
};

FIXTURE_SETUP(hotplug)
{
	tl_parse_mac(getenv("BYPASS_NIC_MAC") ? getenv("BYPASS_NIC_MAC") : "52:54:00:b9:00:01",
		     self->mac);
	tl_parse_mac(tl_peer_mac(), self->peer_mac);
}

FIXTURE_TEARDOWN(hotplug)
{
}

TEST_F_TIMEOUT(hotplug, device_del_while_mapped_then_plug_back, 280)
{
	const char *qmp = getenv("BYPASS_QMP"), *qid = getenv("BYPASS_NIC_QID");
	const char *qdev = getenv("BYPASS_NIC_QDEV");
	unsigned char frame[FRAME_LEN], again[300];
	struct app_report r;
	char path[PATH_MAX], log[1024];
	int rep[2], kmsg, fd;
	pid_t peer, app;
	struct pollfd pf;
	struct rr rr;
	__u32 id, len;

	if (!qmp || !qid || !qdev)
		SKIP(return, "needs the VM of selftests/vm/run --hotplug");
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	ASSERT_LE(0, kmsg);
	lseek(kmsg, 0, SEEK_END);
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, tl_claim());

	/* Frames flow from the application to the Linux peer. */
	tl_make_frame(frame, self->peer_mac, self->mac, 1, sizeof(frame));
	peer = peer_listening(self->peer_if, frame, sizeof(frame), FLOW_FRAMES);
	ASSERT_LT(0, peer);
	ASSERT_EQ(0, pipe(rep));
	app = fork();
	ASSERT_LE(0, app);
	if (app == 0) {
		close(rep[0]);
		app_run(rep[1], frame);
	}
	close(rep[1]);
	ASSERT_EQ(0, child_status(peer)) TH_LOG("the peer did not get %d frames", FLOW_FRAMES);

	/* QEMU unplugs the NIC under the running application. */
	{
		const char *argv[] = { qmp, "device_del", qid, NULL };

		ASSERT_EQ(0, run_bounded(argv)) TH_LOG("device_del did not complete");
	}
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", tl_nic());
	EXPECT_NE(0, access(path, F_OK));

	/* The application saw the documented errors and holds nothing. */
	pf.fd = rep[0];
	pf.events = POLLIN;
	ASSERT_EQ(1, poll(&pf, 1, APP_LIMIT_MS + 10000));
	ASSERT_EQ(sizeof(r), read(rep[0], &r, sizeof(r)));
	close(rep[0]);
	EXPECT_EQ(0, child_status(app));
	ASSERT_EQ(0, r.setup);
	EXPECT_LT(0, r.vmlck_before);
	EXPECT_EQ(SIGBUS, r.signal);
	EXPECT_EQ(ENODEV, r.kick_errno);
	EXPECT_EQ(ENODEV, r.mmap_errno);
	EXPECT_EQ(0, r.info_rc);
	EXPECT_EQ(BYPASS_STATUS_REVOKED, r.info_status);
	EXPECT_EQ(0, r.vmlck_after);
	EXPECT_EQ(0, r.vmpin_after);
	EXPECT_EQ(0, kmsg_problems(kmsg, log, sizeof(log))) TH_LOG("kernel log: %s", log);

	/* Plugged back, claimed again with bypassctl, frames reach the peer. */
	{
		const char *add[] = { qmp, "device_add", qdev, NULL };
		const char *claim[] = { bypassctl(), "claim", tl_nic(), NULL };

		ASSERT_EQ(0, run_bounded(add));
		ASSERT_EQ(0, wait_bound(tl_nic(), "virtio-pci", PLUG_WAIT_MS));
		ASSERT_EQ(0, run_bounded(claim));
	}
	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rr_setup(&rr, fd));
	tl_make_frame(again, self->peer_mac, self->mac, 2, sizeof(again));
	peer = peer_listening(self->peer_if, again, sizeof(again), 1);
	ASSERT_LT(0, peer);
	memset(rr.area, 0, RR_HDR_LEN);
	memcpy(rr.area + RR_HDR_LEN, again, sizeof(again));
	rr_post(&rr, BYPASS_QUEUE_TX, 0, rr.iova, RR_HDR_LEN + sizeof(again), 0);
	rr_kick(&rr, BYPASS_QUEUE_TX);
	EXPECT_EQ(0, rr_wait_used(&rr, BYPASS_QUEUE_TX, 5000, &id, &len));
	EXPECT_EQ(0, child_status(peer));
	rr_close(&rr);
	EXPECT_EQ(0, tl_release());
	EXPECT_EQ(0, kmsg_problems(kmsg, log, sizeof(log))) TH_LOG("kernel log: %s", log);
	close(kmsg);
}

TEST_HARNESS_MAIN
