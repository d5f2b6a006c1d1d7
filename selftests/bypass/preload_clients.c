// SPDX-License-Identifier: GPL-2.0
/*
 * bypass as the client side: Debian's curl, wrk and redis-benchmark,
 * unmodified, under bypass-run on the claimed NIC against Linux servers
 * in the peer netns. curl fetches a 4 MiB random file (SHA-256 checked)
 * and a page ten times over one connection from nginx; wrk (two threads,
 * 16 connections, 5 s) loads that nginx without a socket error or a
 * non-2xx answer; redis-benchmark (50 clients, SET/GET/INCR/LPUSH/
 * LRANGE_100, then pipelined 16 deep) loads redis-server and every INCR
 * must be counted there. Rates are logged, never judged.
 */
#include "appslib.h"
#include "kselftest_harness.h"

#define DIR		"/tmp/preload-clients"
#define PEER		TI_PEER_IP
#define NGINX_PORT	8080
#define REDIS_PORT	6380
#define N_PLAIN		5000
#define N_PIPE		20000

static char out[65536], info[4096];

FIXTURE(clients) {
	char peer_if[IFNAMSIZ];
	char want[65];
	pid_t srv;
};

FIXTURE_SETUP(clients)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, ap_make_site(DIR, "linux nginx", self->want));
	self->srv = -1;
}

FIXTURE_TEARDOWN(clients)
{
	if (self->srv > 0)
		EXPECT_EQ(0, ex_stop(self->srv));
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(clients, curl_and_wrk_against_linux_nginx, 500)
{
	char got[65] = "";
	const char *p;
	int rc, pages = 0;

	ASSERT_EQ(0, ap_nginx_conf(DIR, PEER ":8080", 1));
	self->srv = ap_start("exec ip netns exec peer nginx -p " DIR " -e " DIR
			     "/error.log -c " DIR "/nginx.conf", DIR "/server.log",
			     NULL, 0);
	ASSERT_LT(0, self->srv);
	/* Started: the port answers (from the peer netns itself). */
	ASSERT_EQ(0, ap_peer_out(out, sizeof(out), 60, "i=0; until curl -s -o "
				 "/dev/null http://" PEER ":%d/; do i=$((i+1)); "
				 "[ $i -lt 100 ] || exit 1; sleep 0.3; done",
				 NGINX_PORT));

	rc = ap_sh_out(out, sizeof(out), 300, "rm -f " DIR "/got.bin && "
		       "exec %s -a " AP_ADDR " -v -- curl -sS --max-time 240 -o "
		       DIR "/got.bin -w '%%{http_code} %%{size_download} bytes "
		       "in %%{time_total} s\\n' http://" PEER ":%d/big.bin",
		       ap_run(), NGINX_PORT);
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(out, "tcp connect " PEER ":8080 -> bypass"));
	EXPECT_EQ(0, ex_sha256(DIR "/got.bin", got));
	EXPECT_STREQ(self->want, got);

	/* Ten pages over one kept-alive connection. */
	rc = ap_sh_out(out, sizeof(out), 120, "exec %s -a " AP_ADDR " -- curl -sS "
		       "--max-time 60 'http://" PEER ":%d/page.html?[1-10]'",
		       ap_run(), NGINX_PORT);
	for (p = out; (p = strstr(p, "linux nginx\n")); p++)
		pages++;
	TH_LOG("curl: exit %d, %d pages", rc, pages);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(10, pages);

	rc = ap_sh_out(out, sizeof(out), 120, "exec %s -a " AP_ADDR " -- wrk -t 2 "
		       "-c 16 -d 5s --timeout 10s http://" PEER ":%d/page.html",
		       ap_run(), NGINX_PORT);
	TH_LOG("wrk under bypass-run: exit %d, %.0f requests, %.1f requests/s",
	       rc, ap_wrk_requests(out), ex_number_after(out, "Requests/sec:", 0));
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_LT(0, ap_wrk_requests(out));
	EXPECT_EQ(NULL, strstr(out, "Socket errors"));
	EXPECT_EQ(NULL, strstr(out, "Non-2xx"));
}

/* Run redis-benchmark under bypass-run with @opts; check every test's row. */
static int bench(struct __test_metadata *_metadata, int n, const char *opts)
{
	static const char *const tests[] = {
		"SET", "GET", "INCR", "LPUSH", "LRANGE_100 (first 100 elements)",
	};
	int rc, i;

	rc = ap_sh_out(out, sizeof(out), 400, "exec %s -a " AP_ADDR " -v -- "
		       "redis-benchmark -h " PEER " -p %d -c 50 -n %d %s "
		       "-t set,get,incr,lpush,lrange_100 --csv", ap_run(),
		       REDIS_PORT, n, opts);
	TH_LOG("redis-benchmark under bypass-run -c 50 -n %d %s: exit %d", n,
	       opts, rc);
	for (i = 0; i < 5; i++) {
		double rps = ap_redis_csv_rps(out, tests[i]);

		TH_LOG("  %-32s %10.0f requests/s", tests[i], rps);
		EXPECT_LT(0, rps);
	}
	if (rc)
		ex_log_text(out);
	EXPECT_NE(NULL, strstr(out, "tcp connect " PEER ":6380 -> bypass"));
	return rc;
}

TEST_F_TIMEOUT(clients, redis_benchmark_against_linux_redis, 900)
{
	self->srv = ap_start("exec ip netns exec peer redis-server --save '' "
			     "--appendonly no --bind " PEER " --port 6380 "
			     "--daemonize no --protected-mode no --dir " DIR
			     " --logfile ''", DIR "/server.log",
			     "Ready to accept connections", 60);
	ASSERT_LT(0, self->srv);

	ASSERT_EQ(0, bench(_metadata, N_PLAIN, ""));
	ASSERT_EQ(0, bench(_metadata, N_PIPE, "-P 16"));
	ASSERT_EQ(0, ap_peer_out(info, sizeof(info), 30, "redis-cli -h " PEER
				 " -p %d GET counter:__rand_int__", REDIS_PORT));
	EXPECT_EQ(N_PLAIN + N_PIPE, ex_number_after(info, "", -1));
}

TEST_HARNESS_MAIN
