// SPDX-License-Identifier: GPL-2.0
/*
 * libbypass on a real claimed NIC, against the Linux stack of the peer NIC:
 * ping, ARP in both directions, ICMP port unreachable, 10,000 UDP datagrams
 * echoed with every byte checked, and an idle bypass application that
 * sleeps instead of spinning.
 */
#include <sys/time.h>

#include "kselftest_harness.h"
#include "rawring.h"
#include "stacklib.h"

#define BYPASS_IP	TL_BYPASS_IP
#define PEER_IP		"192.0.2.2"
#define ECHO_PORT	7
#define HELLO_PORT	9999

/* Say on stderr (the test log) what the stack dropped, and why. */
static void report_drops(struct bypass_stack *st)
{
	struct bypass_counters c;
	unsigned int r;

	bypass_stack_counters(st, &c);
	fprintf(stderr, "# bypass app: rx %llu tx %llu sleeps %llu kicks rx %llu tx %llu suppressed %llu\n",
		(unsigned long long)c.ring.rx_frames, (unsigned long long)c.ring.tx_frames,
		(unsigned long long)c.ring.sleeps, (unsigned long long)c.ring.rx_kicks,
		(unsigned long long)c.ring.tx_kicks, (unsigned long long)c.ring.kicks_suppressed);
	for (r = 0; r < BYPASS_DROP_NR; r++)
		if (c.drops[r])
			fprintf(stderr, "# bypass app dropped %llu: %s\n",
				(unsigned long long)c.drops[r], bypass_drop_name(r));
}

/*
 * The bypass application (a child process): a stack on queue pair 0 of the
 * claimed NIC with a UDP echo service. With @hello it first sends one
 * datagram to the peer, which needs ARP to resolve the peer. Writes one byte
 * to @ready once running; exits 0 on SIGTERM.
 */
static int run_app(int ready, int hello)
{
	struct bypass_stack *st;
	struct bypass_udp *sock;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	uint32_t addr;
	uint16_t port;

	if (tl_open_stack(&dev, &st))
		return 10;
	if (bypass_udp_open(st, ECHO_PORT, &sock))
		return 12;
	if (hello) {
		b = bypass_buf_alloc(bypass_stack_pool(st));
		if (!b)
			return 13;
		memcpy(b->data, "hello from bypass", 17);
		b->len = 17;
		inet_pton(AF_INET, PEER_IP, &addr);
		if (bypass_udp_sendto(sock, b, addr, HELLO_PORT))
			return 14;
		bypass_stack_flush(st);
	}
	if (write(ready, "r", 1) != 1)
		return 15;
	while (!tl_app_stop) {
		if (bypass_stack_wait(st, 1000) < 0 && !tl_app_stop)
			continue;
		bypass_stack_poll(st);
		while ((b = bypass_udp_recv(sock, &addr, &port)))
			if (bypass_udp_sendto(sock, b, addr, port))
				fprintf(stderr, "# bypass app: echo not sent\n");
		bypass_stack_flush(st);
	}
	report_drops(st);
	bypass_udp_close(sock);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return 0;
}

FIXTURE(app) {
	pid_t pid;
	char peer_if[IFNAMSIZ];
};

FIXTURE_SETUP(app)
{
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, tl_claim());
	/* Each test starts with an empty ARP cache on both sides. */
	ASSERT_EQ(0, system("ip -n peer neigh flush all"));
	self->pid = tl_start_app(run_app, 0);
	ASSERT_LT(0, self->pid) TH_LOG("the bypass app did not start");
}

FIXTURE_TEARDOWN(app)
{
	if (self->pid > 0)
		EXPECT_EQ(0, tl_stop_app(self->pid));
	EXPECT_EQ(0, tl_release());
}

/* Run @cmd in the peer namespace; its first output line in @out. */
static int peer_cmd(const char *cmd, char *out, size_t len)
{
	char full[200];
	FILE *f;
	int st;

	snprintf(full, sizeof(full), "ip netns exec peer %s 2>&1", cmd);
	f = popen(full, "r");
	if (!f)
		return -1;
	out[0] = 0;
	while (fgets(full, sizeof(full), f))
		if (strstr(full, "packet loss") || !out[0])
			snprintf(out, len, "%s", full);
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

TEST_F_TIMEOUT(app, linux_pings_bypass, 120)
{
	char out[256];

	EXPECT_EQ(0, peer_cmd("ping -n -q -c 100 -i 0.01 -w 60 " BYPASS_IP, out, sizeof(out)))
		TH_LOG("%s", out);
	EXPECT_NE(NULL, strstr(out, " 0% packet loss")) TH_LOG("%s", out);
	/* Linux resolved the bypass stack's MAC through ARP. */
	EXPECT_EQ(0, system("ip -n peer neigh show " BYPASS_IP " | grep -q 52:54:00:b9:00:01"));
}

static int peer_udp_socket(int timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int s;

	if (tl_enter_peer())
		return -1;
	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s >= 0)
		setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return s;
}

static struct sockaddr_in sin_of(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

/*
 * After a lost echo, for the log: the peer side's link counters, neighbour
 * entry and IP/UDP error counters (this process is in the peer netns), so
 * a failure tells whether frames stopped reaching Linux or Linux dropped
 * them.
 */
static void peer_diag(void)
{
	if (system("{ ip -s link; ip neigh; nstat -asz 'Ip*Discards' 'Ip*Errors' "
		   "'Udp*Errors' 'UdpNoPorts' 'UdpInDatagrams'; } 2>&1 | "
		   "sed 's/^/# peer: /' >&2"))
		fprintf(stderr, "# peer: diagnostics failed\n");
}

/*
 * Child in the peer netns: the echo client. Keeps @window datagrams in
 * flight and checks every echo byte for byte against what was sent, in
 * whatever order echoes come (UDP may reorder). After 1 s without an echo
 * it sends again every datagram in flight still without one, at most
 * count / 100 + 10 resends in all, so a steady loss still fails. Exit
 * status says what failed.
 */
static int echo_client(unsigned int count, unsigned int window)
{
	struct sockaddr_in to = sin_of(BYPASS_IP, ECHO_PORT);
	static unsigned char sent[64][1472], got[2048];
	static unsigned int len_of[64];
	static bool echoed[64];
	unsigned int next = 0, done = 0, resent = 0, i, slot;
	int s = peer_udp_socket(1000);
	ssize_t n;

	if (s < 0 || connect(s, (void *)&to, sizeof(to)))
		return 30;
	if (window > 64)
		return 31;
	while (done < count) {
		/* Keep @window datagrams in flight, sizes 1..1472, all different. */
		while (next < count && next - done < window) {
			unsigned int len = 1 + (next * 97) % 1472;

			slot = next % 64;
			len = len < 4 ? 4 : len;
			for (i = 0; i < len; i++)
				sent[slot][i] = (unsigned char)(next * 13 + i);
			memcpy(sent[slot], &next, 4);
			len_of[slot] = len;
			echoed[slot] = false;
			if (send(s, sent[slot], len, 0) != (ssize_t)len)
				return 32;
			next++;
		}
		n = recv(s, got, sizeof(got), 0);
		if (n < 0) {
			if (errno != EAGAIN)
				return 33;
			/* A datagram or its echo was lost: send the missing again. */
			for (i = done; i < next; i++) {
				slot = i % 64;
				if (echoed[slot])
					continue;
				fprintf(stderr, "# echo client: no echo of %u within 1 s\n", i);
				if (++resent > count / 100 + 10) {
					peer_diag();
					return 33;
				}
				if (resent == 1 || resent == 5)
					peer_diag();
				if (send(s, sent[slot], len_of[slot], 0) < 0)
					return 34;
			}
			continue;
		}
		if (n < 4)
			return 35;
		memcpy(&i, got, 4);
		if (i >= next)
			return 36;	/* an echo of nothing sent */
		slot = i % 64;
		if (i < done || echoed[slot])
			continue;	/* a duplicate of one already checked */
		if ((size_t)n != len_of[slot] || memcmp(got, sent[slot], (size_t)n))
			return 35;
		echoed[slot] = true;
		while (done < next && echoed[done % 64])
			done++;
	}
	if (resent)
		fprintf(stderr, "# echo client: %u datagrams sent again\n", resent);
	return 0;
}

TEST_F_TIMEOUT(app, udp_echo_10000_datagrams, 240)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(echo_client(10000, 8));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST_F(app, closed_port_gets_port_unreachable)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct sockaddr_in to = sin_of(BYPASS_IP, 9);
		char b[8];
		int s = peer_udp_socket(3000);

		if (s < 0 || connect(s, (void *)&to, sizeof(to)) || send(s, "x", 1, 0) != 1)
			_exit(1);
		/* Linux reports the ICMP error on the connected socket. */
		_exit(recv(s, b, sizeof(b), 0) < 0 && errno == ECONNREFUSED ? 0 : 2);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* utime + stime of @pid, in clock ticks. */
static long cpu_ticks(pid_t pid)
{
	char path[64], buf[1024], *p;
	unsigned long ut, st;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	if (!f || !fgets(buf, sizeof(buf), f)) {
		if (f)
			fclose(f);
		return -1;
	}
	fclose(f);
	p = strrchr(buf, ')');
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
			 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

TEST_F(app, idle_app_sleeps)
{
	long before, after, hz = sysconf(_SC_CLK_TCK);
	struct timespec three = { 3, 0 };

	before = cpu_ticks(self->pid);
	ASSERT_LE(0, before);
	/* A measurement interval, not synchronisation: nothing is sent. */
	nanosleep(&three, NULL);
	after = cpu_ticks(self->pid);
	/* Under 5% of one CPU over three seconds. */
	EXPECT_LT(after - before, 3 * hz / 20) TH_LOG("%ld ticks in 3 s", after - before);
}

TEST(bypass_resolves_linux_and_sends)
{
	char peer_if[IFNAMSIZ];
	int ready[2], status;
	pid_t listener, app;
	char c;

	ASSERT_EQ(0, tl_peer_netns(peer_if, sizeof(peer_if)));
	ASSERT_EQ(0, tl_claim());
	ASSERT_EQ(0, system("ip -n peer neigh flush all"));
	ASSERT_EQ(0, pipe(ready));
	listener = fork();
	ASSERT_LE(0, listener);
	if (listener == 0) {
		struct sockaddr_in me = sin_of(PEER_IP, HELLO_PORT), from;
		socklen_t fl = sizeof(from);
		char b[64];
		ssize_t n;
		int s = peer_udp_socket(10000);

		if (s < 0 || bind(s, (void *)&me, sizeof(me)) || write(ready[1], "r", 1) != 1)
			_exit(1);
		n = recvfrom(s, b, sizeof(b), 0, (void *)&from, &fl);
		if (n != 17 || memcmp(b, "hello from bypass", 17))
			_exit(2);
		_exit(from.sin_addr.s_addr == sin_of(BYPASS_IP, 0).sin_addr.s_addr ? 0 : 3);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* The app speaks first: it has to resolve the peer's MAC itself. */
	app = tl_start_app(run_app, 1);
	ASSERT_LT(0, app);
	ASSERT_EQ(listener, waitpid(listener, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("listener status %#x", status);
	/* Linux learnt our MAC from the ARP request. */
	EXPECT_EQ(0, system("ip -n peer neigh show " BYPASS_IP " | grep -q 52:54:00:b9:00:01"));
	EXPECT_EQ(0, tl_stop_app(app));
	EXPECT_EQ(0, tl_release());
}

TEST_HARNESS_MAIN
