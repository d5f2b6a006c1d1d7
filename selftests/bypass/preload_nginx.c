// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's nginx (nginx-light), unmodified, on bypass (bypass-run on the
 * claimed NIC) with a configuration of ours: a master that binds and
 * listens, then forks its worker, which attaches the queue pair and
 * serves a static site with sendfile on. Linux's wrk loads it from the
 * peer netns (10 s, 32 connections: no socket error, no non-2xx answer)
 * and curl fetches a 4 MiB random file (SHA-256 checked). With two
 * workers the NIC has one queue pair for two processes: the shim's
 * documented behaviour is that the second one's attach fails with one
 * line ("one process per queue pair", Documentation/preload.rst) while
 * the first serves; the test asserts that line, and that nothing hangs.
 */
#include "appslib.h"
#include "kselftest_harness.h"

#define DIR		"/tmp/preload-nginx"
#define LOG		DIR "/server.log"
#define ERRLOG		DIR "/error.log"
#define BIG		"4M"

static char out[65536];

/* Start nginx with @workers under bypass-run: its master's pid, or -1. */
static pid_t start_nginx(int workers)
{
	char cmd[PATH_MAX + 256];

	if (ap_nginx_conf(DIR, TL_BYPASS_IP ":80", workers))
		return -1;
	snprintf(cmd, sizeof(cmd), "exec %s -a " AP_ADDR " -v -- nginx -p " DIR
		 " -e " ERRLOG " -c " DIR "/nginx.conf", ap_run());
	return ap_start(cmd, LOG, NULL, 0);
}

/* Does the server's output or nginx's error log hold @word? */
static int logs_have(const char *word)
{
	return ap_file_has(LOG, word) || ap_file_has(ERRLOG, word);
}

/* Both logs, as TAP diagnostics. */
static void log_logs(void)
{
	if (!ex_slurp(LOG, out, sizeof(out)))
		ex_log_text(out);
	if (!ex_slurp(ERRLOG, out, sizeof(out)))
		ex_log_text(out);
}

/* curl from the peer fetches /page.html and it says "bypass": 0 or -1. */
static int curl_page(void)
{
	int rc = ap_peer_out(out, sizeof(out), 60, "curl -sS --max-time 30 "
			     "http://" TL_BYPASS_IP ":80/page.html");

	return rc == 0 && !strcmp(out, "bypass nginx\n") ? 0 : -1;
}

FIXTURE(nginx) {
	char peer_if[IFNAMSIZ];
	char want[65];
	pid_t srv;
};

FIXTURE_SETUP(nginx)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, ap_make_site(DIR, "bypass nginx", self->want));
	self->srv = -1;
}

FIXTURE_TEARDOWN(nginx)
{
	/* SIGTERM: the master stops its workers and exits. */
	if (self->srv > 0)
		EXPECT_EQ(0, ex_stop(self->srv));
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(nginx, one_worker_serves_wrk_and_curl_with_sendfile, 500)
{
	char got[65] = "";
	double reqs;
	int rc;

	self->srv = start_nginx(1);
	ASSERT_LT(0, self->srv);
	ASSERT_EQ(0, ap_wait_peer_port(80, 60))
		log_logs();
	EXPECT_TRUE(logs_have("tcp bind " TL_BYPASS_IP ":80 -> bypass"));
	EXPECT_EQ(0, curl_page());

	rc = ap_peer_out(out, sizeof(out), 120, "wrk -t 2 -c 32 -d 10s --timeout 10s "
			 "http://" TL_BYPASS_IP ":80/page.html");
	reqs = ap_wrk_requests(out);
	TH_LOG("wrk: exit %d, %.0f requests, %.1f requests/s", rc, reqs,
	       ex_number_after(out, "Requests/sec:", 0));
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_LT(0, reqs);
	EXPECT_NE(NULL, strstr(out, " requests in "));
	EXPECT_EQ(NULL, strstr(out, "Socket errors"));
	EXPECT_EQ(NULL, strstr(out, "Non-2xx"));

	rc = ap_peer_out(out, sizeof(out), 300, "rm -f " DIR "/got.bin && curl -sS "
			 "--max-time 240 -o " DIR "/got.bin -w 'HTTP %%{http_code}, "
			 "%%{size_download} bytes in %%{time_total} s\\n' http://"
			 TL_BYPASS_IP "/big.bin");
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(0, ex_sha256(DIR "/got.bin", got));
	EXPECT_STREQ(self->want, got);
	EXPECT_EQ(0, curl_page());
}

TEST_F_TIMEOUT(nginx, two_workers_one_pair_says_so_in_one_line, 300)
{
	long end;

	self->srv = start_nginx(2);
	ASSERT_LT(0, self->srv);
	ASSERT_EQ(0, ap_wait_peer_port(80, 60))
		log_logs();
	/* The worker that did not get the pair says why: bounded wait. */
	end = tl_now_ms() + 60000;
	while (!logs_have("one process per queue pair") && tl_now_ms() < end)
		usleep(100000);
	EXPECT_TRUE(logs_have("one process per queue pair"))
		log_logs();
	/* The other worker serves; the master did not hang. */
	EXPECT_EQ(0, curl_page());
	EXPECT_EQ(0, curl_page());
}

TEST_HARNESS_MAIN
