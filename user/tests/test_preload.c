// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of libbypass-preload.so. The decision rule and the parsing of
 * its settings are unit-tested (config.c is compiled in). The rest runs
 * preload_app, a plain-sockets program built without libbypass, under the
 * shim, in a network namespace of the test's own: the shim's context uses
 * the TAP test hook (BYPASS_PRELOAD_TAP) instead of a claimed NIC, so its
 * bypass sockets talk to this process's Linux sockets over a real
 * network. Each test checks the program's own verdict (its exit status),
 * the data it echoed or sent, and the decisions the shim logged. Waits
 * are bounded and event-driven (poll on pipes and a pidfd).
 */
#include <fcntl.h>
#include <libgen.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "tap_net.h"

#include "../preload/config.c"

#define TAPNAME		"bp0"
#define WAIT_MS		20000
#define ECHO_BYTES	150000

/* ---- the decision rule ------------------------------------------------ */

TEST(rule_follows_the_settings)
{
	struct pl_config c;
	uint32_t a;
	uint8_t p;

	EXPECT_EQ(0, pl_parse_cidr("10.99.0.2/24", &a, &p));
	EXPECT_EQ(STACK_IP, a);
	EXPECT_EQ(24, p);
	EXPECT_EQ(0, pl_parse_cidr("10.99.0.2", &a, &p));
	EXPECT_EQ(32, p);
	EXPECT_EQ(-EINVAL, pl_parse_cidr("10.99.0.2/33", &a, &p));
	EXPECT_EQ(-EINVAL, pl_parse_cidr("10.99.0/24", &a, &p));

	setenv("BYPASS_ADDR", "10.99.0.2/24", 1);
	setenv("BYPASS_GATEWAY", "10.99.0.254", 1);
	unsetenv("BYPASS_ROUTE");
	unsetenv("BYPASS_DNS");
	unsetenv("BYPASS_BIND_ANY");
	ASSERT_EQ(0, pl_config_parse(&c));
	/* Binds: the bypass address and INADDR_ANY; nothing else. */
	EXPECT_EQ(NULL, pl_bind_rule(&c, STACK_IP, 80));
	EXPECT_EQ(NULL, pl_bind_rule(&c, 0, 80));
	EXPECT_STREQ("loopback", pl_bind_rule(&c, IP(127, 0, 0, 1), 80));
	EXPECT_STREQ("another address", pl_bind_rule(&c, IP(192, 168, 1, 1), 80));
	/* Destinations: the subnet; DNS, loopback and the rest on the kernel. */
	EXPECT_EQ(NULL, pl_dest_rule(&c, SOCK_STREAM, KERNEL_IP, 80));
	EXPECT_EQ(NULL, pl_dest_rule(&c, SOCK_STREAM, KERNEL_IP, 53));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_DGRAM, KERNEL_IP, 53));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_STREAM, IP(127, 0, 0, 1), 80));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_STREAM, STACK_IP, 80));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_DGRAM, IP(224, 0, 0, 1), 80));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_STREAM, IP(8, 8, 8, 8), 80));

	setenv("BYPASS_ROUTE", "gateway", 1);
	setenv("BYPASS_DNS", "bypass", 1);
	setenv("BYPASS_BIND_ANY", "kernel", 1);
	ASSERT_EQ(0, pl_config_parse(&c));
	EXPECT_EQ(NULL, pl_dest_rule(&c, SOCK_STREAM, IP(8, 8, 8, 8), 80));
	EXPECT_EQ(NULL, pl_dest_rule(&c, SOCK_DGRAM, KERNEL_IP, 53));
	EXPECT_NE(NULL, pl_bind_rule(&c, 0, 80));
	setenv("BYPASS_ROUTE", "none", 1);
	ASSERT_EQ(0, pl_config_parse(&c));
	EXPECT_NE(NULL, pl_dest_rule(&c, SOCK_STREAM, KERNEL_IP, 80));

	/* A bad setting disables bypass: every socket stays on the kernel. */
	setenv("BYPASS_ROUTE", "sometimes", 1);
	EXPECT_EQ(-EINVAL, pl_config_parse(&c));
	EXPECT_NE(NULL, pl_bind_rule(&c, 0, 80));
	unsetenv("BYPASS_ROUTE");
	setenv("BYPASS_QUEUE_PAIR", "x", 1);
	EXPECT_EQ(-EINVAL, pl_config_parse(&c));
	unsetenv("BYPASS_QUEUE_PAIR");
	setenv("BYPASS_ADDR", "10.99.0.2/40", 1);
	EXPECT_EQ(-EINVAL, pl_config_parse(&c));
	EXPECT_EQ(0u, c.addr);
}

/* ---- running preload_app under the shim ------------------------------ */

struct app {
	pid_t pid;
	int in, out, err;	/* its stdin (ours to write), stdout, stderr */
	int pidfd;
};

/* build/tests/test_preload -> build/<rel> */
static void build_path(char *buf, size_t len, const char *rel)
{
	char self[512];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = 0;
	snprintf(buf, len, "%s/../%s", dirname(self), rel);
}

/* How app_start() runs @argv. */
enum how {
	UNDER_SHIM,	/* LD_PRELOAD and the BYPASS_* settings set here */
	PLAIN,		/* as is (bypass-run, or a Linux peer) */
};

/*
 * Start @argv (@argv[0]: "preload_app", "bypass-run" from the build tree,
 * or a command on PATH) @how, its stdio on pipes.
 */
static int app_spawn(struct app *a, enum how how, char *const argv[])
{
	char so[600], exe[600];
	int in[2], out[2], err[2];

	build_path(so, sizeof(so), "lib/libbypass-preload.so");
	if (!strcmp(argv[0], "bypass-run"))
		build_path(exe, sizeof(exe), "bin/bypass-run");
	else if (!strcmp(argv[0], "preload_app"))
		build_path(exe, sizeof(exe), "preload/preload_app");
	else if (!strcmp(argv[0], "preload_app-lfs"))
		build_path(exe, sizeof(exe), "preload/preload_app-lfs");
	else
		snprintf(exe, sizeof(exe), "%s", argv[0]);
	if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC))
		return -1;
	a->pid = fork();
	if (a->pid < 0)
		return -1;
	if (!a->pid) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		if (how == UNDER_SHIM) {
			setenv("LD_PRELOAD", so, 1);
			setenv("BYPASS_ADDR", "10.99.0.2/24", 1);
			setenv("BYPASS_VERBOSE", "1", 1);
		}
		setenv("BYPASS_PRELOAD_TAP", TAPNAME, 1);
		execvp(exe, argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	a->in = in[1];
	a->out = out[0];
	a->err = err[0];
	a->pidfd = (int)syscall(SYS_pidfd_open, a->pid, 0);
	return a->pidfd < 0 ? -1 : 0;
}

/* preload_app and bypass-run under the shim, others as they are. */
static int app_start(struct app *a, char *const argv[])
{
	return app_spawn(a, strncmp(argv[0], "preload_app", 11) ? PLAIN : UNDER_SHIM, argv);
}

/* Read its stdout until @what or the end (at most WAIT_MS): true if seen. */
static bool app_says(struct app *a, const char *what)
{
	char buf[512];
	size_t got = 0;
	struct pollfd p = { .fd = a->out, .events = POLLIN };
	ssize_t n;

	buf[0] = 0;
	while (!strstr(buf, what) && got < sizeof(buf) - 1 &&
	       poll(&p, 1, WAIT_MS) == 1) {
		n = read(a->out, buf + got, sizeof(buf) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		buf[got] = 0;
	}
	return strstr(buf, what) != NULL;
}

/* preload_app's "ready" line. */
static bool app_ready(struct app *a)
{
	return app_says(a, "ready\n");
}

/* Append what @fd still has (up to the end) to @log. */
static void drain(int fd, char *log, size_t loglen)
{
	size_t got = strlen(log);
	ssize_t n;

	while (got < loglen - 1 && (n = read(fd, log + got, loglen - 1 - got)) > 0)
		got += (size_t)n;
	log[got] = 0;
}

/* Wait for the app's exit (at most WAIT_MS): its status, or -1. */
static int app_wait(struct app *a, char *log, size_t loglen)
{
	struct pollfd p = { .fd = a->pidfd, .events = POLLIN };
	int st;

	if (poll(&p, 1, WAIT_MS) != 1) {
		kill(a->pid, SIGKILL);
		waitpid(a->pid, &st, 0);
		st = -1;
	} else if (waitpid(a->pid, &st, 0) != a->pid) {
		st = -1;
	}
	/* Its output, then its stderr: the shim's decisions, complaints. */
	log[0] = 0;
	drain(a->out, log, loglen);
	drain(a->err, log, loglen);
	close(a->in);
	close(a->out);
	close(a->err);
	close(a->pidfd);
	return st;
}

FIXTURE(preload) {
	char log[8192];
};

/* A namespace of our own with the TAP interface up on the kernel's side. */
FIXTURE_SETUP(preload)
{
	struct ifreq ifr;
	int fd, s;

	ASSERT_EQ(0, unshare(CLONE_NEWNET)) TH_LOG("needs CAP_SYS_ADMIN");
	s = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	ASSERT_EQ(0, ioctl(s, SIOCGIFFLAGS, &ifr));
	ifr.ifr_flags |= IFF_UP;
	ASSERT_EQ(0, ioctl(s, SIOCSIFFLAGS, &ifr));
	close(s);
	/* Persistent, so the app's shim attaches to it and it outlives it. */
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("needs /dev/net/tun");
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	strcpy(ifr.ifr_name, TAPNAME);
	ASSERT_EQ(0, ioctl(fd, TUNSETIFF, &ifr));
	ASSERT_EQ(0, ioctl(fd, TUNSETPERSIST, 1));
	close(fd);
	ASSERT_EQ(0, kernel_side_up(TAPNAME));
}

FIXTURE_TEARDOWN(preload)
{
	/* The namespace, and the interface in it, go with this process. */
}

static int tcp_to(uint32_t addr, uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = addr,
	};
	struct timeval tv = { WAIT_MS / 1000, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (void *)&sin, sizeof(sin))) {
		close(fd);
		return -1;
	}
	return fd;
}

static int echo_run(int *fds, unsigned int nfd, size_t n);

/*
 * Send @n bytes of a pattern on each of @fds[0..nfd) and check that the
 * same come back; then close them. Non-blocking, so neither side's
 * buffers can deadlock the exchange. Returns the connections that
 * echoed everything intact.
 */
static int echo_check(int *fds, int nfd, size_t n)
{
	if (nfd < 1 || nfd > 8)
		return -1;
	return echo_run(fds, (unsigned int)nfd, n);
}

static int echo_run(int *fds, unsigned int nfd, size_t n)
{
	uint8_t *out = malloc(n), *in[8];
	size_t sent[8] = { 0 }, got[8] = { 0 };
	uint64_t end = mono_ms() + WAIT_MS;
	unsigned int i;
	int ok = 0, left = (int)nfd;
	size_t j;

	for (j = 0; j < n; j++)
		out[j] = (uint8_t)(j * 13 + j / 509);
	for (i = 0; i < nfd; i++) {
		in[i] = malloc(n);
		fcntl(fds[i], F_SETFL, O_NONBLOCK);
	}
	while (left && mono_ms() < end) {
		struct pollfd p[8];

		for (i = 0; i < nfd; i++) {
			p[i].fd = got[i] < n ? fds[i] : -1;
			p[i].events = POLLIN | (sent[i] < n ? POLLOUT : 0);
		}
		if (poll(p, (nfds_t)nfd, 1000) < 0)
			break;
		for (i = 0; i < nfd; i++) {
			ssize_t r;

			if (p[i].revents & POLLOUT) {
				r = send(fds[i], out + sent[i], n - sent[i], MSG_NOSIGNAL);
				if (r > 0)
					sent[i] += (size_t)r;
			}
			if (p[i].revents & (POLLIN | POLLHUP | POLLERR)) {
				r = recv(fds[i], in[i] + got[i], n - got[i], 0);
				if (r > 0)
					got[i] += (size_t)r;
				if (got[i] == n || r == 0 || (r < 0 && errno != EAGAIN)) {
					ok += got[i] == n && !memcmp(in[i], out, n);
					got[i] = n;
					left--;
				}
			}
		}
	}
	for (i = 0; i < nfd; i++) {
		close(fds[i]);
		free(in[i]);
	}
	free(out);
	return ok;
}

TEST_F_TIMEOUT(preload, kernel_sockets_stay_on_the_kernel, 60)
{
	char *argv[] = { "preload_app", "kernel", NULL };
	struct app a;

	ASSERT_EQ(0, app_start(&a, argv));
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "tcp bind 127.0.0.1:0 -> kernel (loopback)"));
	EXPECT_NE(NULL, strstr(self->log, "connect 127.0.0.1:"));
	/* Nothing needed the device: the shim never attached. */
	EXPECT_EQ(NULL, strstr(self->log, "attached"));
}

/* A server under the shim: two clients at once, then stdin ends it. */
static void serve_and_check(struct __test_metadata *_metadata, char *log,
			    size_t loglen, const char *mode, const char *port)
{
	char *argv[] = { "preload_app", "server", (char *)mode, (char *)port, "100", NULL };

	if (!strcmp(mode, "poll-lfs")) {
		/* The build most Debian daemons have: fcntl is fcntl64. */
		argv[0] = "preload_app-lfs";
		argv[2] = "poll";
	}
	struct app a;
	int fds[2];

	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	fds[0] = tcp_to(STACK_IP, (uint16_t)atoi(port));
	fds[1] = tcp_to(STACK_IP, (uint16_t)atoi(port));
	EXPECT_LE(0, fds[0]);
	EXPECT_LE(0, fds[1]);
	if (fds[0] >= 0 && fds[1] >= 0)
		EXPECT_EQ(2, echo_check(fds, 2, ECHO_BYTES));
	/* A kernel fd (a pipe) in the same wait wakes it. */
	EXPECT_EQ(1, write(a.in, "q", 1));
	EXPECT_EQ(0, app_wait(&a, log, loglen)) TH_LOG("%s", log);
	EXPECT_NE(NULL, strstr(log, "-> bypass"));
	EXPECT_NE(NULL, strstr(log, "attached queue pair 0"));
}

TEST_F_TIMEOUT(preload, epoll_server, 90)
{
	serve_and_check(_metadata, self->log, sizeof(self->log), "epoll", "8080");
	EXPECT_NE(NULL, strstr(self->log, "tcp bind 0.0.0.0:8080 -> bypass"));
}

TEST_F_TIMEOUT(preload, epoll_edge_triggered_server, 90)
{
	serve_and_check(_metadata, self->log, sizeof(self->log), "epollet", "8081");
}

TEST_F_TIMEOUT(preload, poll_server, 90)
{
	serve_and_check(_metadata, self->log, sizeof(self->log), "poll", "8082");
}

/* Built with -D_FILE_OFFSET_BITS=64, as Debian's redis and nginx are. */
TEST_F_TIMEOUT(preload, poll_server_built_for_large_files, 90)
{
	serve_and_check(_metadata, self->log, sizeof(self->log), "poll-lfs", "8088");
}

TEST_F_TIMEOUT(preload, select_server, 90)
{
	serve_and_check(_metadata, self->log, sizeof(self->log), "select", "8083");
}

/* Blocking accept and reads: one connection at a time. */
TEST_F_TIMEOUT(preload, blocking_server, 90)
{
	char *argv[] = { "preload_app", "server", "blocking", "8084", "2", NULL };
	struct app a;
	int i, fd;

	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	for (i = 0; i < 2; i++) {
		fd = tcp_to(STACK_IP, 8084);
		ASSERT_LE(0, fd);
		EXPECT_EQ(1, echo_check(&fd, 1, ECHO_BYTES));
	}
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
}

/* A Linux echo server on the kernel's side, one connection. */
struct kserver {
	int lfd;
	bool close_at_once;
};

static void *kserver_main(void *arg)
{
	struct kserver *k = arg;
	char buf[16384];
	int c = accept(k->lfd, NULL, NULL);
	ssize_t n;

	while (c >= 0 && !k->close_at_once && (n = recv(c, buf, sizeof(buf), 0)) > 0)
		if (send(c, buf, (size_t)n, MSG_NOSIGNAL) != n)
			break;
	if (c >= 0)
		close(c);
	return NULL;
}

static int klisten(uint16_t port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = KERNEL_IP,
	};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (void *)&sin, sizeof(sin)) || listen(fd, 4))
		return -1;
	return fd;
}

static void client_run(struct __test_metadata *_metadata, char *log, size_t loglen,
		       const char *mode, bool close_at_once)
{
	char *argv[] = { "preload_app", (char *)mode, "10.99.0.1", "9000",
			 "300000", NULL };
	struct kserver k = { .close_at_once = close_at_once };
	struct app a;
	pthread_t t;

	if (close_at_once)
		argv[4] = NULL;
	k.lfd = klisten(9000);
	ASSERT_LE(0, k.lfd);
	ASSERT_EQ(0, pthread_create(&t, NULL, kserver_main, &k));
	ASSERT_EQ(0, app_start(&a, argv));
	EXPECT_EQ(0, app_wait(&a, log, loglen)) TH_LOG("%s", log);
	shutdown(k.lfd, SHUT_RDWR);
	pthread_join(t, NULL);
	close(k.lfd);
	EXPECT_NE(NULL, strstr(log, "tcp connect 10.99.0.1:9000 -> bypass"));
}

TEST_F_TIMEOUT(preload, blocking_client, 90)
{
	client_run(_metadata, self->log, sizeof(self->log), "client", false);
}

TEST_F_TIMEOUT(preload, nonblocking_client, 90)
{
	client_run(_metadata, self->log, sizeof(self->log), "nbclient", false);
}

TEST_F_TIMEOUT(preload, sigpipe_as_linux, 90)
{
	client_run(_metadata, self->log, sizeof(self->log), "sigpipe", true);
}

TEST_F_TIMEOUT(preload, udp_echo_server, 60)
{
	char *argv[] = { "preload_app", "udp", "7000", "3", NULL };
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(7000), .sin_addr.s_addr = STACK_IP,
	};
	struct timeval tv = { WAIT_MS / 1000, 0 };
	char buf[64];
	struct app a;
	int fd, i;

	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 3; i++) {
		char msg[16];
		int len = snprintf(msg, sizeof(msg), "datagram %d", i);

		ASSERT_EQ(len, sendto(fd, msg, (size_t)len, 0, (void *)&to, sizeof(to)));
		ASSERT_EQ(len, recv(fd, buf, sizeof(buf), 0));
		EXPECT_EQ(0, memcmp(buf, msg, (size_t)len));
	}
	close(fd);
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "udp bind 0.0.0.0:7000 -> bypass"));
}

TEST_F_TIMEOUT(preload, dns_stays_on_the_kernel, 60)
{
	char *argv[] = { "preload_app", "dns", NULL };
	struct sockaddr_in sin = {
		.sin_family = AF_INET, .sin_port = htons(53), .sin_addr.s_addr = KERNEL_IP,
	};
	struct pollfd p = { .events = POLLIN };
	char buf[8];
	struct app a;

	p.fd = socket(AF_INET, SOCK_DGRAM, 0);
	ASSERT_EQ(0, bind(p.fd, (void *)&sin, sizeof(sin)));
	ASSERT_EQ(0, app_start(&a, argv));
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	/* It came through the kernel's stack (here, locally). */
	ASSERT_EQ(1, poll(&p, 1, WAIT_MS));
	EXPECT_EQ(1, recv(p.fd, buf, sizeof(buf), 0));
	close(p.fd);
	EXPECT_NE(NULL, strstr(self->log, "udp sendto 10.99.0.1:53 -> kernel (DNS"));
	EXPECT_EQ(NULL, strstr(self->log, "attached"));
}

/* Run preload_app @mode on @port, echo one connection through it. */
static void one_echo(struct __test_metadata *_metadata, char *log, size_t loglen,
		     const char *mode, uint16_t port)
{
	char p[8], *argv[] = { "preload_app", (char *)mode, p, NULL };
	struct app a;
	int fd;

	snprintf(p, sizeof(p), "%u", port);
	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	fd = tcp_to(STACK_IP, port);
	ASSERT_LE(0, fd);
	EXPECT_EQ(1, echo_check(&fd, 1, ECHO_BYTES));
	EXPECT_EQ(0, app_wait(&a, log, loglen)) TH_LOG("%s", log);
}

/* nginx's start: the parent listens and forks; the child attaches. */
TEST_F_TIMEOUT(preload, listener_made_before_fork_serves_in_the_child, 60)
{
	one_echo(_metadata, self->log, sizeof(self->log), "forklisten", 8085);
}

/* redis's BGSAVE: a child that closes its inherited sockets. */
TEST_F_TIMEOUT(preload, child_closing_inherited_sockets_leaves_the_parent_alone, 60)
{
	one_echo(_metadata, self->log, sizeof(self->log), "bgsave", 8086);
}

/* dup, dup2, F_DUPFD_CLOEXEC, F_GETFD/F_SETFD, fstat of a bypass socket. */
TEST_F_TIMEOUT(preload, dup_and_fcntl_keep_the_connection, 60)
{
	one_echo(_metadata, self->log, sizeof(self->log), "dup", 8087);
}

/* bypass-run sets the shim up and runs the program on bypass. */
TEST_F_TIMEOUT(preload, bypass_run_runs_a_program_on_bypass, 60)
{
	char app[600];
	char *argv[] = { "bypass-run", "-a", "10.99.0.2/24", "-v", "--", app,
			 "udp", "7001", "1", NULL };
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(7001), .sin_addr.s_addr = STACK_IP,
	};
	struct timeval tv = { WAIT_MS / 1000, 0 };
	char buf[16];
	struct app a;
	int fd;

	build_path(app, sizeof(app), "preload/preload_app");
	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	ASSERT_EQ(5, sendto(fd, "hello", 5, 0, (void *)&to, sizeof(to)));
	EXPECT_EQ(5, recv(fd, buf, sizeof(buf), 0));
	close(fd);
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "udp bind 0.0.0.0:7001 -> bypass"));
}

/* A static binary: LD_PRELOAD cannot work; one line says so. */
TEST_F_TIMEOUT(preload, bypass_run_refuses_a_static_binary, 60)
{
	char app[600];
	char *argv[] = { "bypass-run", "-a", "10.99.0.2/24", "--", app, "kernel", NULL };
	struct app a;

	build_path(app, sizeof(app), "preload/preload_app-static");
	ASSERT_EQ(0, app_start(&a, argv));
	EXPECT_EQ(1 << 8, app_wait(&a, self->log, sizeof(self->log)));
	EXPECT_NE(NULL, strstr(self->log, "is statically linked"));
	/* One line, nothing run. */
	EXPECT_EQ(strlen(self->log) - 1, (size_t)(strchr(self->log, '\n') - self->log));
}

/* A directory with "big" (300000 bytes of a pattern) and "small". */
static int web_dir(char *dir, char *big, size_t len)
{
	char path[600];
	size_t j;
	int fd;

	if (!mkdtemp(dir))
		return -1;
	for (j = 0; j < len; j++)
		big[j] = (char)(j * 31 + j / 1021);
	snprintf(path, sizeof(path), "%s/big", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, big, len) != (ssize_t)len)
		return -1;
	close(fd);
	snprintf(path, sizeof(path), "%s/small", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "hello\n", 6) != 6)
		return -1;
	close(fd);
	return 0;
}

/* @file holds exactly @len bytes of @want. */
static bool same_file(const char *file, const char *want, size_t len)
{
	char *buf = malloc(len + 1);
	int fd = open(file, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, len + 1) : -1;
	bool same = n == (ssize_t)len && !memcmp(buf, want, len);

	if (fd >= 0)
		close(fd);
	free(buf);
	return same;
}

static void web_dir_remove(const char *dir)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/big", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/small", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/got", dir);
	unlink(path);
	rmdir(dir);
}

#define BIG	300000

/* web_dir() at @dir, @got its file for downloads, @srv serving it. */
static bool web_up(char *dir, char *got, size_t glen, char *big,
		   struct app *srv_app, char *const srv[])
{
	if (web_dir(dir, big, BIG))
		return false;
	snprintf(got, glen, "%s/got", dir);
	return !app_start(srv_app, srv) && app_says(srv_app, "Serving HTTP");
}

/* Run @argv to its end: its exit status (or -1), its output in @log. */
static int run_to_end(char *const argv[], char *log, size_t len)
{
	struct app a;

	if (app_start(&a, argv))
		return -1;
	return app_wait(&a, log, len);
}

/* Debian's curl and wrk under bypass-run, Linux's python http.server. */
TEST_F_TIMEOUT(preload, curl_and_wrk_as_bypass_clients, 120)
{
	char dir[] = "/tmp/test_preload.XXXXXX", got[600], *big = malloc(BIG);
	char *srv[] = { "python3", "-u", "-m", "http.server", "9002", "--bind",
			"10.99.0.1", "--directory", dir, NULL };
	char *curl[] = { "bypass-run", "-a", "10.99.0.2/24", "-v", "--", "curl",
			 "-sS", "-o", got, "http://10.99.0.1:9002/big", NULL };
	char *wrk[] = { "bypass-run", "-a", "10.99.0.2/24", "--", "wrk", "-t2",
			"-c8", "-d1s", "http://10.99.0.1:9002/small", NULL };
	struct app k;

	ASSERT_TRUE(web_up(dir, got, sizeof(got), big, &k, srv));
	EXPECT_EQ(0, run_to_end(curl, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "tcp connect 10.99.0.1:9002 -> bypass"));
	EXPECT_TRUE(same_file(got, big, BIG));
	/* Two threads, an epoll each, eight connections. */
	EXPECT_EQ(0, run_to_end(wrk, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, " requests in "));
	EXPECT_EQ(NULL, strstr(self->log, "Socket errors"));
	EXPECT_EQ(NULL, strstr(self->log, "Non-2xx"));
	kill(k.pid, SIGTERM);
	app_wait(&k, self->log, sizeof(self->log));
	web_dir_remove(dir);
	free(big);
}

/* python's http.server under bypass-run; Linux's curl and ab fetch. */
TEST_F_TIMEOUT(preload, python_http_server_on_bypass, 120)
{
	char dir[] = "/tmp/test_preload.XXXXXX", got[600], *big = malloc(BIG);
	char *srv[] = { "bypass-run", "-a", "10.99.0.2/24", "-v", "--", "python3",
			"-u", "-m", "http.server", "8090", "--bind", "0.0.0.0",
			"--directory", dir, NULL };
	char *curl[] = { "curl", "-sS", "-o", got, "http://10.99.0.2:8090/big", NULL };
	char *ab[] = { "ab", "-n", "200", "-c", "4", "http://10.99.0.2:8090/small", NULL };
	struct app s;

	ASSERT_TRUE(web_up(dir, got, sizeof(got), big, &s, srv));
	EXPECT_EQ(0, run_to_end(curl, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_TRUE(same_file(got, big, BIG));
	EXPECT_EQ(0, run_to_end(ab, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "Complete requests:      200"));
	EXPECT_NE(NULL, strstr(self->log, "Failed requests:        0"));
	kill(s.pid, SIGTERM);
	app_wait(&s, self->log, sizeof(self->log));
	EXPECT_NE(NULL, strstr(self->log, "tcp bind 0.0.0.0:8090 -> bypass"));
	web_dir_remove(dir);
	free(big);
}

/* Two epoll sets: a wait on one sleeps while the other has news. */
TEST_F_TIMEOUT(preload, a_wait_sleeps_while_another_set_is_ready, 60)
{
	char *argv[] = { "preload_app", "twosets", NULL };

	EXPECT_EQ(0, run_to_end(argv, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
	EXPECT_NE(NULL, strstr(self->log, "ms of CPU"));
}

/* A thread asleep in recv is woken when another thread took its frame. */
TEST_F_TIMEOUT(preload, a_blocked_thread_wakes_when_another_polls_the_stack, 90)
{
	char *argv[] = { "preload_app", "blockedrecv", "7200", "30", NULL };
	struct sockaddr_in to = {
		.sin_family = AF_INET, .sin_port = htons(7200), .sin_addr.s_addr = STACK_IP,
	};
	struct timeval tv = { 10, 0 };
	char buf[16];
	struct app a;
	int fd, i, echoed = 0;

	ASSERT_EQ(0, app_start(&a, argv));
	ASSERT_TRUE(app_ready(&a));
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < 30; i++) {
		if (sendto(fd, "ping", 4, 0, (void *)&to, sizeof(to)) != 4 ||
		    recv(fd, buf, sizeof(buf), 0) != 4)
			break;
		echoed++;
	}
	close(fd);
	EXPECT_EQ(30, echoed);
	EXPECT_EQ(0, app_wait(&a, self->log, sizeof(self->log))) TH_LOG("%s", self->log);
}

TEST_HARNESS_MAIN
