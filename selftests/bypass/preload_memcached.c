// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's memcached, unmodified, on bypass (bypass-run on the claimed
 * NIC) with one worker thread and with four (each thread has its own
 * libevent epoll set; the listener's thread hands connections over a
 * pipe): a client of ours in the peer netns keeps 50 connections over the
 * text protocol and, 200 rounds long, sets a distinct value (1 to 3000
 * bytes of a pattern) on each, reads each back, then reads every key
 * again through another connection; every byte is checked. Then
 * libmemcached's memcslap loads it from the peer (20 threads, 1000 sets
 * each, then 1000 gets each) and memcstat's counters must show each one.
 */
#include "appslib.h"
#include "kselftest_harness.h"

#define DIR		"/tmp/preload-memcached"
#define LOG		DIR "/server.log"
#define PORT		11211
#define CONNS		50
#define ROUNDS		200
#define MAX_VALUE	3000
#define IO_MS		20000	/* longest wait for one reply */

static char out[65536];

/* A connection with what it received and has not consumed yet. */
struct mc_conn {
	int fd;
	size_t have;
	char buf[2 * MAX_VALUE + 256];
};

static struct mc_conn conns[CONNS];
static struct ti_report *rep;

/* The key and value of connection @c in round @i. */
static size_t mc_item(int c, int i, char *key, size_t klen, uint8_t *val)
{
	uint32_t id = (uint32_t)(c * ROUNDS + i);
	size_t len = 1 + (id * 2654435761u) % MAX_VALUE;

	snprintf(key, klen, "bp:%d:%d", c, i);
	ti_fill(id + 1000, 0, val, len);
	return len;
}

/* Receive until @m holds at least @need bytes: 0, or -1 (a failure noted). */
static int mc_fill(struct mc_conn *m, size_t need)
{
	while (m->have < need) {
		ssize_t n = recv(m->fd, m->buf + m->have, sizeof(m->buf) - m->have, 0);

		if (n <= 0)
			return ti_fail(&rep->lnx, "recv: %s",
				       n ? strerror(errno) : "connection closed");
		m->have += (size_t)n;
	}
	return 0;
}

/* Drop the first @n bytes of @m. */
static void mc_consume(struct mc_conn *m, size_t n)
{
	memmove(m->buf, m->buf + n, m->have - n);
	m->have -= n;
}

/* The next "\r\n"-ended line of @m into @line (without it): 0 or -1. */
static int mc_line(struct mc_conn *m, char *line, size_t len)
{
	char *eol;

	while (!(eol = memmem(m->buf, m->have, "\r\n", 2))) {
		if (m->have == sizeof(m->buf))
			return ti_fail(&rep->lnx, "reply line too long");
		if (mc_fill(m, m->have + 1))
			return -1;
	}
	snprintf(line, len, "%.*s", (int)(eol - m->buf), m->buf);
	mc_consume(m, (size_t)(eol - m->buf) + 2);
	return 0;
}

/* Send all of @p on @m: 0 or -1. */
static int mc_send(struct mc_conn *m, const void *p, size_t len)
{
	while (len) {
		ssize_t n = send(m->fd, p, len, MSG_NOSIGNAL);

		if (n <= 0)
			return ti_fail(&rep->lnx, "send: %s", strerror(errno));
		p = (const char *)p + n;
		len -= (size_t)n;
	}
	return 0;
}

/* Send "set" of item (@c, @i) on @m. */
static int mc_set(struct mc_conn *m, int c, int i)
{
	static char msg[MAX_VALUE + 128];
	char key[32];
	uint8_t val[MAX_VALUE];
	size_t len = mc_item(c, i, key, sizeof(key), val);
	int h = snprintf(msg, sizeof(msg), "set %s 0 0 %zu\r\n", key, len);

	memcpy(msg + h, val, len);
	memcpy(msg + h + len, "\r\n", 2);
	return mc_send(m, msg, (size_t)h + len + 2);
}

/* Send "get" of item (@c, @i) on @m. */
static int mc_get(struct mc_conn *m, int c, int i)
{
	char msg[48];
	int h = snprintf(msg, sizeof(msg), "get bp:%d:%d\r\n", c, i);

	return mc_send(m, msg, (size_t)h);
}

/* Read the reply to mc_get() of (@c, @i) on @m and check the value. */
static int mc_check_value(struct mc_conn *m, int c, int i)
{
	char key[32], line[128], want_line[128];
	uint8_t val[MAX_VALUE];
	size_t len = mc_item(c, i, key, sizeof(key), val);

	snprintf(want_line, sizeof(want_line), "VALUE %s 0 %zu", key, len);
	if (mc_line(m, line, sizeof(line)))
		return -1;
	if (strcmp(line, want_line))
		return ti_fail(&rep->lnx, "get %s: \"%s\", not \"%s\"", key, line,
			       want_line);
	if (mc_fill(m, len + 2))
		return -1;
	if (memcmp(m->buf, val, len) || memcmp(m->buf + len, "\r\n", 2))
		return ti_fail(&rep->lnx, "get %s: the value differs", key);
	mc_consume(m, len + 2);
	if (mc_line(m, line, sizeof(line)))
		return -1;
	if (strcmp(line, "END"))
		return ti_fail(&rep->lnx, "get %s: \"%s\", not END", key, line);
	return 0;
}

/* Read "STORED" on @m. */
static int mc_check_stored(struct mc_conn *m, int c, int i)
{
	char line[128];

	if (mc_line(m, line, sizeof(line)))
		return -1;
	if (strcmp(line, "STORED"))
		return ti_fail(&rep->lnx, "set bp:%d:%d: \"%s\"", c, i, line);
	return 0;
}

/* Open the connections from the peer netns (blocking, reads bounded). */
static int mc_connect_all(void)
{
	struct timeval tv = { IO_MS / 1000, 0 };
	int c, err;

	if (ti_linux_enter(1024))
		return ti_fail(&rep->lnx, "peer netns: %s", strerror(errno));
	for (c = 0; c < CONNS; c++) {
		struct mc_conn *m = &conns[c];

		m->have = 0;
		m->fd = ti_linux_connect(PORT);
		if (m->fd < 0)
			return ti_fail(&rep->lnx, "socket: %s", strerror(errno));
		err = ti_linux_connected(m->fd, IO_MS);
		if (err)
			return ti_fail(&rep->lnx, "connect %d: %s", c, strerror(err));
		fcntl(m->fd, F_SETFL, 0);
		setsockopt(m->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(m->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		rep->lnx.conns++;
	}
	return 0;
}

/*
 * The client (a child in the peer netns): every round, a set on each
 * connection, then each reply; a get on each, then each value. Last,
 * every key again through the next connection.
 */
static int mc_client(void *arg)
{
	int c, i;

	(void)arg;
	if (mc_connect_all())
		return -1;
	for (i = 0; i < ROUNDS; i++) {
		for (c = 0; c < CONNS; c++)
			if (mc_set(&conns[c], c, i))
				return -1;
		for (c = 0; c < CONNS; c++)
			if (mc_check_stored(&conns[c], c, i))
				return -1;
		for (c = 0; c < CONNS; c++)
			if (mc_get(&conns[c], c, i))
				return -1;
		for (c = 0; c < CONNS; c++)
			if (mc_check_value(&conns[c], c, i))
				return -1;
		rep->lnx.served += 2 * CONNS;
	}
	for (i = 0; i < ROUNDS; i++) {
		for (c = 0; c < CONNS; c++)
			if (mc_get(&conns[(c + 1) % CONNS], c, i))
				return -1;
		for (c = 0; c < CONNS; c++)
			if (mc_check_value(&conns[(c + 1) % CONNS], c, i))
				return -1;
		rep->lnx.served += CONNS;
	}
	return 0;
}

FIXTURE(memcached) {
	char peer_if[IFNAMSIZ];
	pid_t srv;
};

FIXTURE_VARIANT(memcached) {
	int threads;
};

FIXTURE_VARIANT_ADD(memcached, t1) { .threads = 1 };
FIXTURE_VARIANT_ADD(memcached, t4) { .threads = 4 };

FIXTURE_SETUP(memcached)
{
	char cmd[PATH_MAX + 256];

	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, system("rm -rf " DIR " && mkdir -p " DIR));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
	snprintf(cmd, sizeof(cmd), "exec %s -a " AP_ADDR " -v -- memcached -u root "
		 "-t %d -l " TL_BYPASS_IP " -p %d -U 0 -c 1024 -m 64",
		 ap_run(), variant->threads, PORT);
	self->srv = ap_start(cmd, LOG, NULL, 0);
	ASSERT_LT(0, self->srv);
	ASSERT_EQ(0, ap_wait_peer_port(PORT, 60)) {
		ASSERT_EQ(0, ex_slurp(LOG, out, sizeof(out)));
		ex_log_text(out);
	}
}

FIXTURE_TEARDOWN(memcached)
{
	if (self->srv > 0)
		EXPECT_EQ(0, ex_stop(self->srv));
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(memcached, fifty_connections_every_value_checked, 500)
{
	long t0 = tl_now_ms(), ms;
	int rc;

	rc = ti_wait(ti_fork(mc_client, NULL), 400000);
	ms = tl_now_ms() - t0;
	TH_LOG("memcached -t %d: %u connections, %u requests answered in %ld ms "
	       "(%.0f requests/s)%s%s", variant->threads, rep->lnx.conns,
	       rep->lnx.served, ms, ms ? rep->lnx.served * 1000.0 / ms : 0.0,
	       rep->lnx.why[0] ? ": " : "", rep->lnx.why);
	EXPECT_STREQ("", rep->lnx.why);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(3u * CONNS * ROUNDS, rep->lnx.served);
	EXPECT_TRUE(ap_file_has(LOG, "tcp bind " TL_BYPASS_IP ":11211 -> bypass"));
}

TEST_F_TIMEOUT(memcached, memcslap_set_and_get, 400)
{
	int rc;

	/* 20 threads of one connection each, 1000 sets, then 1000 gets. */
	rc = ap_peer_out(out, sizeof(out), 300, "memcslap --servers=" TL_BYPASS_IP
			 ":%d --concurrency=20 --execute-number=1000 --test=set "
			 "&& memcslap --servers=" TL_BYPASS_IP ":%d --concurrency=20 "
			 "--execute-number=1000 --test=get && memcstat --servers="
			 TL_BYPASS_IP ":%d", PORT, PORT, PORT);
	TH_LOG("memcslap (-t %d): exit %d, cmd_set %.0f, get_hits %.0f, "
	       "get_misses %.0f", variant->threads, rc,
	       ex_number_after(out, "cmd_set:", -1),
	       ex_number_after(out, "get_hits:", -1),
	       ex_number_after(out, "get_misses:", -1));
	if (rc)
		ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(out, "Time total:"));
	/* libmemcached's failures ("Failed to ...: ... FAILURE"); memcstat's
	 * own counters (auth_errors: 0) are not errors. */
	EXPECT_EQ(NULL, strstr(out, "FAILURE"));
	EXPECT_EQ(NULL, strstr(out, "Failed"));
	/* 20 x 1000 sets, 1000 more to load the get test, 20 x 1000 hits. */
	EXPECT_EQ(21000, ex_number_after(out, "cmd_set:", -1));
	EXPECT_EQ(20000, ex_number_after(out, "get_hits:", -1));
	EXPECT_EQ(0, ex_number_after(out, "get_misses:", -1));
}

TEST_HARNESS_MAIN
