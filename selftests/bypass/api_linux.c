// SPDX-License-Identifier: GPL-2.0
/*
 * The application APIs and the example programs on the claimed NIC, with
 * real Linux clients on the peer NIC: the HTTP example serves curl, wget
 * and the load generator; the native zero-copy TCP and UDP echo examples
 * return every byte; a native wait with no timeout wakes on traffic.
 */
#include "examplelib.h"
#include "kselftest_harness.h"
#include "rawring.h"
#include "stacklib.h"

#include "bypass_api.h"

#define PEER_IP		"192.0.2.2"

FIXTURE(api) {
	char peer_if[IFNAMSIZ];
};

FIXTURE_SETUP(api)
{
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, tl_claim());
}

FIXTURE_TEARDOWN(api)
{
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(api, http_example_serves_curl_wget_and_loadgen, 300)
{
	char *args[] = { "--bypass", "--addr", TL_BYPASS_IP, "--port", "80",
			 "--root", "/tmp/bypass-www", NULL };
	char cmd[PATH_MAX + 128], lg[PATH_MAX];
	pid_t srv;

	ASSERT_EQ(0, system("mkdir -p /tmp/bypass-www && "
			    "echo '<h1>bypass</h1>' >/tmp/bypass-www/index.html && "
			    "head -c 100000 /dev/urandom >/tmp/bypass-www/big.bin"));
	srv = ex_start("http_server", args);
	ASSERT_LT(0, srv);
	EXPECT_EQ(0, system("ip netns exec peer curl -sf --max-time 20 -o /tmp/got.html "
			    "http://" TL_BYPASS_IP "/ && cmp /tmp/got.html /tmp/bypass-www/index.html"));
	EXPECT_EQ(0, system("ip netns exec peer curl -sf --max-time 20 -o /tmp/got.bin "
			    "http://" TL_BYPASS_IP "/big.bin && cmp /tmp/got.bin /tmp/bypass-www/big.bin"));
	EXPECT_EQ(0, system("ip netns exec peer wget -q -T 20 -O /tmp/got.wget "
			    "http://" TL_BYPASS_IP "/index.html && "
			    "cmp /tmp/got.wget /tmp/bypass-www/index.html"));
	EXPECT_EQ(0, system("test \"$(ip netns exec peer curl -s --max-time 20 -o /dev/null "
			    "-w '%{http_code}' http://" TL_BYPASS_IP "/nothing)\" = 404"));
	/* 16 keep-alive connections for 3 s: every response checked. */
	ex_path("loadgen", lg, sizeof(lg));
	snprintf(cmd, sizeof(cmd), "ip netns exec peer %s --linux --conns 16 --seconds 3 "
		 TL_BYPASS_IP " 80", lg);
	EXPECT_EQ(0, system(cmd));
	EXPECT_EQ(0, ex_stop(srv));
}

/* Linux client: send @total bytes, read them back, compare; 0 if exact. */
static int linux_echo_client(uint16_t port, uint32_t total)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	static unsigned char out[1 << 20], in[1 << 20];
	struct timeval tv = { 20, 0 };
	uint32_t got = 0, i;
	ssize_t n;
	int s;

	if (tl_enter_peer() || total > sizeof(out))
		return 1;
	inet_pton(AF_INET, TL_BYPASS_IP, &to.sin_addr);
	for (i = 0; i < total; i++)
		out[i] = (unsigned char)(i * 31 + 7);
	s = socket(AF_INET, SOCK_STREAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(s, (void *)&to, sizeof(to)))
		return 2;
	/* Both directions at once would need a second thread; chunks will do. */
	for (i = 0; i < total; i += 65536) {
		uint32_t len = total - i < 65536 ? total - i : 65536, end = i + len;

		if (send(s, out + i, len, 0) != (ssize_t)len)
			return 3;
		while (got < end) {
			n = recv(s, in + got, end - got, 0);
			if (n <= 0)
				return 4;
			got += (uint32_t)n;
		}
	}
	close(s);
	return memcmp(in, out, total) ? 5 : 0;
}

static int run_child(int (*fn)(uint16_t, uint32_t), uint16_t port, uint32_t arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(fn(port, arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(api, native_tcp_echo_example_1mib, 300)
{
	char *args[] = { "--addr", TL_BYPASS_IP, "--port", "7", NULL };
	pid_t srv = ex_start("tcp_echo", args);

	ASSERT_LT(0, srv);
	EXPECT_EQ(0, run_child(linux_echo_client, 7, 1 << 20));
	EXPECT_EQ(0, run_child(linux_echo_client, 7, 12345));
	EXPECT_EQ(0, ex_stop(srv));
}

/* Linux UDP client: @count datagrams of every size, each echoed intact. */
static int linux_udp_client(uint16_t port, uint32_t count)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	unsigned char out[1472], in[1500];
	struct timeval tv = { 5, 0 };
	uint32_t i, k, len;
	int s;

	if (tl_enter_peer())
		return 1;
	inet_pton(AF_INET, TL_BYPASS_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    connect(s, (void *)&to, sizeof(to)))
		return 2;
	for (i = 0; i < count; i++) {
		len = 1 + (i * 97) % sizeof(out);
		for (k = 0; k < len; k++)
			out[k] = (unsigned char)(i + k);
		if (send(s, out, len, 0) != (ssize_t)len)
			return 3;
		if (recv(s, in, sizeof(in), 0) != (ssize_t)len || memcmp(in, out, len))
			return 4;
	}
	close(s);
	return 0;
}

TEST_F_TIMEOUT(api, native_udp_echo_example, 300)
{
	char *args[] = { "--addr", TL_BYPASS_IP, "--port", "9000", NULL };
	pid_t srv = ex_start("udp_echo", args);

	ASSERT_LT(0, srv);
	EXPECT_EQ(0, run_child(linux_udp_client, 9000, 500));
	EXPECT_EQ(0, ex_stop(srv));
}

/*
 * A bypass application waits with no timeout for data that Linux sends
 * only after it said it is waiting: the wait must end with that data.
 */
static int waiting_server(int ready, int arg)
{
	struct bypass_ctx_config cfg = { .stack = { .prefix_len = 24 } };
	struct bypass_qresult res;
	struct bypass_ctx *ctx;
	bypass_qtoken_t qt;
	int l, r;

	(void)arg;
	inet_pton(AF_INET, TL_BYPASS_IP, &cfg.stack.addr);
	if (bypass_ctx_open(&cfg, &ctx))
		return 10;
	l = bypass_qsocket(ctx, SOCK_STREAM);
	if (l < 0 || bypass_qbind(ctx, l, 0, 7100) || bypass_qlisten(ctx, l, 4) ||
	    bypass_qaccept(ctx, l, &qt))
		return 11;
	if (write(ready, "r", 1) != 1)
		return 12;
	if (bypass_qwait(ctx, qt, &res, NULL) || res.err)
		return 13;
	if (bypass_qpop(ctx, res.new_qd, &qt))
		return 14;
	if (write(ready, "w", 1) != 1)		/* the test reads it: waiting */
		return 15;
	r = bypass_qwait(ctx, qt, &res, NULL);
	if (r || res.err || bypass_sga_len(&res.sga) != 4 ||
	    memcmp(res.sga.segs[0]->data, "ping", 4))
		return 16;
	bypass_sga_free(&res.sga);
	bypass_ctx_destroy(ctx);
	return 0;
}

TEST_F_TIMEOUT(api, null_timeout_wait_wakes_on_linux_traffic, 120)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(7100) };
	int ready[2], status, s, ns;
	pid_t app;
	char c;

	ASSERT_EQ(0, pipe(ready));
	app = fork();
	ASSERT_LE(0, app);
	if (app == 0) {
		close(ready[0]);
		_exit(waiting_server(ready[1], 0));
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	/* Linux connects from the peer netns, then waits for "waiting". */
	ns = open("/proc/self/ns/net", O_RDONLY);
	ASSERT_LE(0, ns);
	ASSERT_EQ(0, tl_enter_peer());
	inet_pton(AF_INET, TL_BYPASS_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_STREAM, 0);
	ASSERT_EQ(0, connect(s, (void *)&to, sizeof(to)));
	ASSERT_EQ(0, setns(ns, CLONE_NEWNET));
	close(ns);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	EXPECT_EQ('w', c);
	ASSERT_EQ(4, send(s, "ping", 4, 0));
	ASSERT_EQ(app, waitpid(app, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("app status %#x", status);
	close(s);
}

TEST_HARNESS_MAIN
