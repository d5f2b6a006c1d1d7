// SPDX-License-Identifier: GPL-2.0
/*
 * libbypass TCP on a claimed NIC against Linux TCP on the peer NIC: Linux
 * connects to a bypass echo server and gets every byte back; bypass
 * connects to a Linux server, sends, half-closes and reads the reply.
 */
#include <netinet/tcp.h>

#include "kselftest_harness.h"
#include "rawring.h"
#include "stacklib.h"

#include "bypass_tcp.h"

#define BYPASS_IP	TL_BYPASS_IP
#define PEER_IP		"192.0.2.2"
#define ECHO_PORT	7777
#define MAX_CONNS	16

static unsigned char pattern(uint64_t i)
{
	return (unsigned char)(i * 7 + (i >> 12));
}

/* Echo everything each connection sends; close after the peer's FIN. */
static int echo_server(int ready, int arg)
{
	struct bypass_tcp_conn *l, *conns[MAX_CONNS] = { 0 };
	struct bypass_stack *st;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	int i;

	(void)arg;
	if (tl_open_stack(&dev, &st) || bypass_stack_tcp_listen(st, ECHO_PORT, 16, &l))
		return 10;
	if (write(ready, "r", 1) != 1)
		return 11;
	while (!tl_app_stop) {
		bypass_stack_wait(st, 100);
		bypass_stack_poll(st);
		for (i = 0; i < MAX_CONNS; i++)
			if (!conns[i])
				conns[i] = bypass_tcp_accept(l);
		for (i = 0; i < MAX_CONNS; i++) {
			struct bypass_tcp_conn *c = conns[i];

			if (!c)
				continue;
			/* Read only what can be sent on: the window does the rest. */
			while (bypass_tcp_send_room(c) && (b = bypass_tcp_recv(c)))
				if (bypass_tcp_send(c, b))
					return 12;
			if (bypass_tcp_eof(c) || bypass_tcp_error(c)) {
				bypass_tcp_close(c);
				conns[i] = NULL;
			}
		}
		bypass_stack_flush(st);
	}
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return 0;
}

/*
 * Linux side (in the peer netns): connect, stream @total bytes while
 * reading the echo, check every byte, half-close, expect EOF.
 */
static int linux_echo_client(uint64_t total)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
	static unsigned char out[65536], in[65536];
	uint64_t sent = 0, got = 0, i;
	struct pollfd p;
	int s, shut = 0;
	ssize_t n;

	if (tl_enter_peer())
		return 20;
	inet_pton(AF_INET, BYPASS_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (s < 0 || (connect(s, (void *)&to, sizeof(to)) && errno != EINPROGRESS))
		return 21;
	p.fd = s;
	while (got < total || !shut) {
		p.events = POLLIN | (sent < total ? POLLOUT : 0);
		if (poll(&p, 1, 15000) != 1)
			return 22;	/* 15 s without progress */
		if (p.revents & POLLOUT && sent < total) {
			size_t len = total - sent < sizeof(out) ? total - sent : sizeof(out);

			for (i = 0; i < len; i++)
				out[i] = pattern(sent + i);
			n = send(s, out, len, MSG_NOSIGNAL);
			if (n < 0 && errno != EAGAIN)
				return 23;
			if (n > 0)
				sent += (uint64_t)n;
		}
		if (sent == total && !shut) {
			if (shutdown(s, SHUT_WR))
				return 24;
			shut = 1;
		}
		if (p.revents & (POLLIN | POLLHUP | POLLERR)) {
			n = recv(s, in, sizeof(in), 0);
			if (n < 0 && errno != EAGAIN)
				return 25;
			if (n == 0)
				return got == total ? 0 : 26;
			for (i = 0; n > 0 && i < (uint64_t)n; i++)
				if (in[i] != pattern(got + i))
					return 27;
			if (n > 0)
				got += (uint64_t)n;
		}
	}
	/* Everything came back: the server closes after our FIN. */
	p.events = POLLIN;
	if (poll(&p, 1, 15000) != 1 || recv(s, in, sizeof(in), 0) != 0)
		return 28;
	close(s);
	return 0;
}

FIXTURE(tcp) {
	char peer_if[IFNAMSIZ];
	bool netem;
};

FIXTURE_SETUP(tcp)
{
	ASSERT_EQ(0, tl_peer_netns(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, tl_claim());
}

FIXTURE_TEARDOWN(tcp)
{
	char cmd[256];

	/* A failed netem test must not leave the shaping to later tests. */
	if (self->netem) {
		snprintf(cmd, sizeof(cmd), "ip netns exec peer tc qdisc del dev %s root",
			 self->peer_if);
		EXPECT_EQ(0, system(cmd));
	}
	EXPECT_EQ(0, tl_release());
}

static int run_in_child(int (*fn)(uint64_t), uint64_t arg)
{
	pid_t pid = fork();
	int status;

	if (pid == 0)
		_exit(fn(arg));
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

TEST_F_TIMEOUT(tcp, linux_client_bypass_echo_4mib, 300)
{
	pid_t srv = tl_start_app(echo_server, 0);

	ASSERT_LT(0, srv);
	EXPECT_EQ(0, run_in_child(linux_echo_client, 4 << 20));
	EXPECT_EQ(0, tl_stop_app(srv));
}

TEST_F_TIMEOUT(tcp, three_linux_clients_one_after_another, 300)
{
	pid_t srv = tl_start_app(echo_server, 0);
	int i;

	ASSERT_LT(0, srv);
	for (i = 0; i < 3; i++)
		EXPECT_EQ(0, run_in_child(linux_echo_client, 100000 + i * 7777)) TH_LOG("client %d", i);
	EXPECT_EQ(0, tl_stop_app(srv));
}

TEST_F_TIMEOUT(tcp, echo_through_netem_loss_reorder_duplicate_delay, 400)
{
	char cmd[256];
	pid_t srv;
	long t0;

	/* Shape the Linux side: 5% loss, 25% reordering, 2% duplicates, 20 ms. */
	snprintf(cmd, sizeof(cmd),
		 "ip netns exec peer tc qdisc replace dev %s root netem "
		 "delay 20ms reorder 25%% 50%% loss 5%% duplicate 2%% limit 10000",
		 self->peer_if);
	ASSERT_EQ(0, system(cmd));
	self->netem = true;
	srv = tl_start_app(echo_server, 0);
	ASSERT_LT(0, srv);
	t0 = tl_now_ms();
	EXPECT_EQ(0, run_in_child(linux_echo_client, 1 << 20));
	TH_LOG("1 MiB echoed through netem in %ld ms", tl_now_ms() - t0);
	EXPECT_EQ(0, tl_stop_app(srv));
}

/* Linux server (peer netns): read until EOF, check, answer, close. */
static int linux_server(uint64_t total)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(ECHO_PORT) };
	static unsigned char in[65536];
	struct timeval tv = { 15, 0 };
	uint64_t got = 0, i;
	int l, s, one = 1;
	ssize_t n;

	if (tl_enter_peer())
		return 30;
	inet_pton(AF_INET, PEER_IP, &me.sin_addr);
	l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&me, sizeof(me)) || listen(l, 4))
		return 31;
	if (write(3, "r", 1) != 1)	/* readiness pipe, see the test */
		return 32;
	s = accept(l, NULL, NULL);
	if (s < 0 || setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)))
		return 33;
	while ((n = recv(s, in, sizeof(in), 0)) > 0) {
		for (i = 0; i < (uint64_t)n; i++)
			if (in[i] != pattern(got + i))
				return 34;
		got += (uint64_t)n;
	}
	if (n < 0 || got != total)
		return 35;
	/* The bypass side half-closed; it still reads our answer. */
	if (send(s, "done", 4, 0) != 4)
		return 36;
	close(s);
	close(l);
	return 0;
}

TEST_F_TIMEOUT(tcp, bypass_client_to_linux_server_half_close, 300)
{
	const uint64_t total = 1 << 20;
	struct bypass_tcp_conn *c;
	struct bypass_stack *st;
	struct bypass_dev *dev;
	struct bypass_buf *b;
	uint64_t sent = 0, i;
	uint32_t peer;
	char answer[8] = { 0 };
	size_t alen = 0;
	int ready[2], status, shut = 0;
	long end;
	pid_t srv;
	char ch;

	ASSERT_EQ(0, pipe(ready));
	srv = fork();
	ASSERT_LE(0, srv);
	if (srv == 0) {
		close(ready[0]);
		if (dup2(ready[1], 3) != 3)
			_exit(37);
		_exit(linux_server(total));
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &ch, 1));

	ASSERT_EQ(0, tl_open_stack(&dev, &st));
	inet_pton(AF_INET, PEER_IP, &peer);
	ASSERT_EQ(0, bypass_stack_tcp_connect(st, peer, ECHO_PORT, &c));
	end = tl_now_ms() + 120000;
	while (tl_now_ms() < end) {
		bypass_stack_wait(st, 100);
		bypass_stack_poll(st);
		ASSERT_EQ(0, bypass_tcp_error(c));
		while (sent < total && bypass_tcp_state(c) == BYPASS_TCP_ESTABLISHED &&
		       bypass_tcp_send_room(c)) {
			b = bypass_buf_alloc(bypass_stack_pool(st));
			if (!b)
				break;
			b->len = 1400;
			if (b->len > total - sent)
				b->len = (uint32_t)(total - sent);
			for (i = 0; i < b->len; i++)
				b->data[i] = pattern(sent + i);
			sent += b->len;
			ASSERT_EQ(0, bypass_tcp_send(c, b));
		}
		if (sent == total && !shut) {
			ASSERT_EQ(0, bypass_tcp_shutdown(c));
			shut = 1;
		}
		while ((b = bypass_tcp_recv(c))) {
			if (alen + b->len <= sizeof(answer) - 1) {
				memcpy(answer + alen, b->data, b->len);
				alen += b->len;
			}
			bypass_buf_put(b);
		}
		bypass_stack_flush(st);
		if (bypass_tcp_eof(c))
			break;
	}
	EXPECT_TRUE(bypass_tcp_eof(c));
	EXPECT_STREQ("done", answer);
	bypass_tcp_close(c);
	ASSERT_EQ(srv, waitpid(srv, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("linux server status %#x", status);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
}

TEST_HARNESS_MAIN
