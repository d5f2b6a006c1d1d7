// SPDX-License-Identifier: GPL-2.0
/*
 * Unmodified programs on bypass (Documentation/preload.rst): python3's
 * http.server, a program we did not write and never linked with libbypass,
 * run by bypass-run on the claimed NIC, fetched by Linux's curl (a 4 MiB
 * random file, SHA-256 checked) and ab (1000 requests, 16 at a time, none
 * failed) in the peer netns; then Debian's curl itself under bypass-run,
 * as a bypass client of a python3 http.server on the Linux peer; and a
 * thread asleep in a blocking recv while another thread polls the stack
 * all the time (the shim must wake it: the device raises no interrupt
 * while the stack is being polled). Every
 * tool runs under a time limit; rates are logged, never judged.
 */
#include "examplelib.h"
#include "kselftest_harness.h"
#include "tcp_interop.h"

#define WWW		"/tmp/preload-http-www"
#define ADDR		TL_BYPASS_IP "/24"
#define BIG		"4M"

static char out[16384];

/* build/@rel, beside this program's directory. */
static void build_path(char *buf, size_t len, const char *rel)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = 0;
	snprintf(buf, len, "%s/../%s", dirname(self), rel);
}

FIXTURE(preload) {
	char peer_if[IFNAMSIZ];
	char run[PATH_MAX];
	char want[65];
	pid_t srv;
};

FIXTURE_SETUP(preload)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	build_path(self->run, sizeof(self->run), "bin/bypass-run");
	ASSERT_EQ(0, system("mkdir -p " WWW " && head -c " BIG " /dev/urandom >"
			    WWW "/big.bin && printf 'bypass\\n' >" WWW "/page.html"));
	ASSERT_EQ(0, ex_sha256(WWW "/big.bin", self->want));
	self->srv = -1;
}

FIXTURE_TEARDOWN(preload)
{
	if (self->srv > 0)
		ex_stop(self->srv);
	EXPECT_EQ(0, tl_release());
}

TEST_F_TIMEOUT(preload, python_http_server_on_bypass_serves_curl_and_ab, 600)
{
	char cmd[PATH_MAX + 256], got[65] = "";
	char *argv[] = { "sh", "-c", cmd, NULL };
	int rc;

	/* Its log of every request goes to a file, not into the TAP output. */
	snprintf(cmd, sizeof(cmd), "exec %s -a " ADDR " -v -- python3 -u -m "
		 "http.server 80 --bind 0.0.0.0 --directory " WWW
		 " 2>/tmp/preload-http-srv.err", self->run);
	self->srv = ex_start_cmd(argv, "Serving HTTP");
	ASSERT_LT(0, self->srv);
	rc = ex_peer_sh("/tmp/preload-http-curl.out", 300,
			"rm -f /tmp/preload-http-big.bin && "
			"curl -sS --max-time 240 -o /tmp/preload-http-big.bin -w "
			"'HTTP %%{http_code}, %%{size_download} bytes in %%{time_total} s\\n' "
			"http://" TL_BYPASS_IP ":80/big.bin");
	ASSERT_EQ(0, ex_slurp("/tmp/preload-http-curl.out", out, sizeof(out)));
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(0, ex_sha256("/tmp/preload-http-big.bin", got));
	EXPECT_STREQ(self->want, got);

	rc = ex_peer_sh("/tmp/preload-http-ab.out", 300,
			"ab -r -s 10 -n 1000 -c 16 http://" TL_BYPASS_IP ":80/page.html");
	ASSERT_EQ(0, ex_slurp("/tmp/preload-http-ab.out", out, sizeof(out)));
	TH_LOG("ab: exit %d, %.0f complete, %.0f failed, %.1f requests/s", rc,
	       ex_number_after(out, "Complete requests:", -1),
	       ex_number_after(out, "Failed requests:", -1),
	       ex_number_after(out, "Requests per second:", 0));
	EXPECT_EQ(0, rc);
	EXPECT_EQ(1000, ex_number_after(out, "Complete requests:", -1));
	EXPECT_EQ(0, ex_number_after(out, "Failed requests:", -1));
	EXPECT_EQ(0, ex_number_after(out, "Non-2xx responses:", 0));
	ASSERT_EQ(0, ex_slurp("/tmp/preload-http-srv.err", out, sizeof(out)));
	EXPECT_NE(NULL, strstr(out, "tcp bind 0.0.0.0:80 -> bypass"));
}

TEST_F_TIMEOUT(preload, curl_under_bypass_run_fetches_from_linux, 600)
{
	char *argv[] = { "sh", "-c", "exec ip netns exec peer python3 -u -m "
			 "http.server 8080 --bind " TI_PEER_IP " --directory " WWW
			 " 2>/dev/null", NULL };
	char cmd[PATH_MAX + 256], got[65] = "";
	int rc;

	self->srv = ex_start_cmd(argv, "Serving HTTP");
	ASSERT_LT(0, self->srv);
	snprintf(cmd, sizeof(cmd),
		 "rm -f /tmp/preload-http-got.bin && timeout -k 5 300 %s -a " ADDR
		 " -v -- curl -sS --max-time 240 -o /tmp/preload-http-got.bin "
		 "http://" TI_PEER_IP ":8080/big.bin 2>/tmp/preload-http-run.err",
		 self->run);
	rc = system(cmd);
	ASSERT_EQ(0, ex_slurp("/tmp/preload-http-run.err", out, sizeof(out)));
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_NE(NULL, strstr(out, "tcp connect " TI_PEER_IP ":8080 -> bypass"));
	EXPECT_EQ(0, ex_sha256("/tmp/preload-http-got.bin", got));
	EXPECT_STREQ(self->want, got);
}

TEST_F_TIMEOUT(preload, blocked_thread_wakes_while_another_polls, 300)
{
	char app[PATH_MAX];
	char *argv[] = { self->run, "-a", ADDR, "--", app, "blockedrecv", "7200",
			 "50", NULL };
	int rc;

	build_path(app, sizeof(app), "preload/preload_app");
	self->srv = ex_start_cmd(argv, "ready");
	ASSERT_LT(0, self->srv);
	/* 50 datagrams, each sent once its echo came back (5 s at most). */
	rc = ex_peer_sh("/tmp/preload-http-udp.out", 280,
			"python3 -c \"import socket; s = socket.socket(socket.AF_INET, "
			"socket.SOCK_DGRAM); s.settimeout(5); n = 0\n"
			"for i in range(50):\n"
			"    s.sendto(b'ping', ('" TL_BYPASS_IP "', 7200))\n"
			"    try: n += len(s.recv(16)) == 4\n"
			"    except OSError: pass\n"
			"print('echoed', n)\"");
	ASSERT_EQ(0, ex_slurp("/tmp/preload-http-udp.out", out, sizeof(out)));
	ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_EQ(50, ex_number_after(out, "echoed", -1));
	EXPECT_EQ(0, ex_stop(self->srv));
	self->srv = -1;
}

TEST_HARNESS_MAIN
