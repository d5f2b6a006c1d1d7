// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's redis-server, unmodified, on bypass (bypass-run on the claimed
 * NIC), loaded by Linux's redis-benchmark in the peer netns: 50 clients
 * running SET, GET, INCR, LPUSH and LRANGE_100, then the same pipelined
 * 16 deep. Every command must be answered (redis-benchmark exits non-zero
 * on an error or a lost connection) and executed once: the INCR counter
 * and the list length must equal what was sent. Then, with persistence
 * on, a BGSAVE during the load: redis forks a child that writes the
 * snapshot and closes its inherited sockets, which must not disturb the
 * parent's connections (the benchmark completes, every INCR counted, the
 * save succeeds and LASTSAVE advances). Rates are logged, never judged.
 */
#include "appslib.h"
#include "kselftest_harness.h"

#define DIR		"/tmp/preload-redis"
#define LOG		DIR "/server.log"
#define PORT		6379
#define N_PLAIN		5000	/* requests per test, one at a time */
#define N_PIPE		20000	/* requests per test, pipelined */
#define N_BGSAVE	40000	/* requests per test during the BGSAVE */

static char out[65536], info[16384];

/* redis-cli @args against the bypass server, from the peer: its exit status. */
static int cli(char *buf, size_t len, const char *args)
{
	return ap_peer_out(buf, len, 60, "redis-cli -h " TL_BYPASS_IP " -p %d %s",
			   PORT, args);
}

/* The number after @key in the reply to redis-cli @args, or -1. */
static double cli_number(const char *args, const char *key)
{
	if (cli(info, sizeof(info), args))
		return -1;
	return ex_number_after(info, key, -1);
}

/* Start redis-server under bypass-run with @extra options: its pid or -1. */
static pid_t start_redis(const char *extra)
{
	char cmd[PATH_MAX + 512];

	snprintf(cmd, sizeof(cmd), "exec %s -a " AP_ADDR " -v -- redis-server "
		 "--appendonly no --bind " TL_BYPASS_IP " --port %d "
		 "--daemonize no --protected-mode no --dir " DIR " --logfile '' %s",
		 ap_run(), PORT, extra);
	return ap_start(cmd, LOG, "Ready to accept connections", 120);
}

/* Log each test's rate from redis-benchmark's CSV; 0 when all are there. */
static int log_rates(const char *csv, const char *const names[], int n)
{
	int i, missing = 0;

	for (i = 0; i < n; i++) {
		double rps = ap_redis_csv_rps(csv, names[i]);

		fprintf(stderr, "#   %-36s %10.0f requests/s\n", names[i], rps);
		missing += rps <= 0;
	}
	return missing;
}

/* redis-benchmark from the peer, 50 clients, @n requests per test, @opts. */
static int bench(struct __test_metadata *_metadata, int n, const char *opts)
{
	static const char *const tests[] = {
		"SET", "GET", "INCR", "LPUSH", "LPUSH (needed to benchmark LRANGE)",
		"LRANGE_100 (first 100 elements)",
	};
	int rc;

	rc = ap_peer_out(out, sizeof(out), 400, "redis-benchmark -h " TL_BYPASS_IP
			 " -p %d -c 50 -n %d %s -t set,get,incr,lpush,lrange_100 "
			 "--csv", PORT, n, opts);
	TH_LOG("redis-benchmark -c 50 -n %d %s: exit %d", n, opts, rc);
	EXPECT_EQ(0, log_rates(out, tests, 6));
	if (rc)
		ex_log_text(out);
	return rc;
}

FIXTURE(redis) {
	char peer_if[IFNAMSIZ];
	pid_t srv;
	pid_t bench;
};

FIXTURE_SETUP(redis)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, system("rm -rf " DIR " && mkdir -p " DIR));
	self->srv = -1;
	self->bench = -1;
}

FIXTURE_TEARDOWN(redis)
{
	if (self->bench > 0) {
		kill(self->bench, SIGKILL);
		ap_wait(self->bench);
	}
	if (self->srv > 0)
		ex_stop(self->srv);
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(redis, benchmark_plain_and_pipelined_every_command_answered, 500)
{
	self->srv = start_redis("--save ''");
	ASSERT_LT(0, self->srv);
	ASSERT_EQ(0, ap_wait_peer_port(PORT, 60));
	EXPECT_TRUE(ap_file_has(LOG, "tcp bind " TL_BYPASS_IP ":6379 -> bypass"));

	ASSERT_EQ(0, bench(_metadata, N_PLAIN, ""));
	ASSERT_EQ(0, bench(_metadata, N_PIPE, "-P 16"));

	/* Each INCR and LPUSH executed exactly once. */
	EXPECT_EQ(N_PLAIN + N_PIPE, cli_number("GET counter:__rand_int__", ""));
	EXPECT_EQ(2 * (N_PLAIN + N_PIPE), cli_number("LLEN mylist", ""));
	ASSERT_EQ(0, cli(out, sizeof(out), "SET bypass:key value-from-the-peer"));
	ASSERT_EQ(0, cli(out, sizeof(out), "GET bypass:key"));
	EXPECT_STREQ("value-from-the-peer\n", out);
	TH_LOG("commands processed by the server: %.0f",
	       cli_number("INFO stats", "total_commands_processed:"));
}

TEST_F_TIMEOUT(redis, bgsave_fork_during_load_leaves_connections_alone, 500)
{
	static const char *const tests[] = { "SET", "INCR" };
	char cmd[256];
	double last0, saves;
	long end;
	int rc, running_at_save, running_after;
	struct stat st;

	self->srv = start_redis("--save '' --dbfilename dump.rdb");
	ASSERT_LT(0, self->srv);
	ASSERT_EQ(0, ap_wait_peer_port(PORT, 60));
	last0 = cli_number("LASTSAVE", "");
	ASSERT_LT(0, last0);
	EXPECT_EQ(0, cli_number("INFO persistence", "rdb_saves:"));

	snprintf(cmd, sizeof(cmd), "redis-benchmark -h " TL_BYPASS_IP " -p %d "
		 "-c 50 -n %d -t set,incr --csv", PORT, N_BGSAVE);
	self->bench = ap_peer_bg(DIR "/bench.out", 500, cmd);
	ASSERT_LT(0, self->bench);

	/*
	 * BGSAVE once the load runs (5000 commands done) and the clock is
	 * past the start's second, so LASTSAVE can advance: bounded polls.
	 */
	end = tl_now_ms() + 300000;
	while (tl_now_ms() < end &&
	       (cli_number("INFO stats", "total_commands_processed:") < 5000 ||
		time(NULL) <= (time_t)last0))
		usleep(200000);
	ASSERT_EQ(0, cli(out, sizeof(out), "BGSAVE"));
	running_at_save = ap_running(self->bench);
	EXPECT_NE(NULL, strstr(out, "Background saving started"));
	TH_LOG("BGSAVE: %s", out);

	/* The child's snapshot done: at most 120 s. */
	end = tl_now_ms() + 120000;
	while ((saves = cli_number("INFO persistence", "rdb_saves:")) < 1 &&
	       tl_now_ms() < end)
		usleep(200000);
	running_after = ap_running(self->bench);
	TH_LOG("benchmark running when BGSAVE started: %d, when it ended: %d",
	       running_at_save, running_after);
	EXPECT_TRUE(running_at_save);
	EXPECT_EQ(1, saves);
	EXPECT_EQ(0, cli_number("INFO persistence", "rdb_bgsave_in_progress:"));
	EXPECT_NE(NULL, strstr(info, "rdb_last_bgsave_status:ok"));
	EXPECT_LT(last0, cli_number("LASTSAVE", ""));
	EXPECT_EQ(0, stat(DIR "/dump.rdb", &st));
	EXPECT_LT(0, st.st_size);

	rc = ap_wait(self->bench);
	self->bench = -1;
	ASSERT_EQ(0, ex_slurp(DIR "/bench.out", out, sizeof(out)));
	TH_LOG("redis-benchmark -c 50 -n %d during BGSAVE: exit %d", N_BGSAVE, rc);
	EXPECT_EQ(0, log_rates(out, tests, 2));
	if (rc)
		ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(N_BGSAVE, cli_number("GET counter:__rand_int__", ""));
	EXPECT_TRUE(ap_file_has(LOG, "Background saving terminated with success"));
}

TEST_HARNESS_MAIN
