// SPDX-License-Identifier: GPL-2.0
/*
 * Debian's sockperf server, unmodified, on bypass (bypass-run on the
 * claimed NIC), waiting with each of its three multiplexers (-F epoll,
 * poll, select: the shim's readiness paths for an unmodified program),
 * over UDP and over TCP; Linux's sockperf ping-pong in the peer netns
 * runs 3 s against it and must end well with a non-zero number of
 * observations and no error (TCP: no message dropped either). Latencies
 * are logged, never judged.
 */
#include "appslib.h"
#include "kselftest_harness.h"

#define DIR		"/tmp/preload-sockperf"
#define LOG		DIR "/server.log"
#define PORT		11111

static char out[65536];

FIXTURE(sockperf) {
	char peer_if[IFNAMSIZ];
	pid_t srv;
};

FIXTURE_VARIANT(sockperf) {
	const char *mux;	/* -F */
	const char *says;	/* what the server says it waits with */
};

FIXTURE_VARIANT_ADD(sockperf, epoll) { "epoll", "using epoll() to block" };
FIXTURE_VARIANT_ADD(sockperf, poll) { "poll", "using poll() to block" };
FIXTURE_VARIANT_ADD(sockperf, select) { "select", "using select() to block" };

FIXTURE_SETUP(sockperf)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	ASSERT_EQ(0, system("rm -rf " DIR " && mkdir -p " DIR));
	self->srv = -1;
}

FIXTURE_TEARDOWN(sockperf)
{
	if (self->srv > 0)
		ex_stop(self->srv);
	EXPECT_EQ(0, tl_release());
}

/*
 * Start the server for protocol @proto ('U' or 'T') with the variant's
 * multiplexer, run the ping-pong (@tcp: --tcp) and check its report.
 */
static void ping_pong(struct __test_metadata *_metadata,
		      FIXTURE_DATA(sockperf) *self,
		      const FIXTURE_VARIANT(sockperf) *variant, char proto)
{
	char cmd[PATH_MAX + 256];
	FILE *f;
	int rc;

	f = fopen(DIR "/feed", "w");
	ASSERT_NE(NULL, f);
	fprintf(f, "%c:" TL_BYPASS_IP ":%d\n", proto, PORT);
	ASSERT_EQ(0, fclose(f));
	snprintf(cmd, sizeof(cmd), "exec %s -a " AP_ADDR " -v -- sockperf server "
		 "-f " DIR "/feed -F %s", ap_run(), variant->mux);
	self->srv = ap_start(cmd, LOG, variant->says, 60);
	ASSERT_LT(0, self->srv);
	EXPECT_TRUE(ap_file_has(LOG, proto == 'T' ? "tcp bind " TL_BYPASS_IP
				":11111 -> bypass" : "udp bind " TL_BYPASS_IP
				":11111 -> bypass"));

	rc = ap_peer_out(out, sizeof(out), 90, "sockperf ping-pong -i " TL_BYPASS_IP
			 " -p %d -t 3 %s", PORT, proto == 'T' ? "--tcp" : "");
	TH_LOG("%s %s: exit %d, %.0f observations, latency %.1f us, "
	       "%.0f dropped", variant->mux, proto == 'T' ? "TCP" : "UDP", rc,
	       ap_sockperf_observations(out),
	       ex_number_after(out, "Summary: Latency is", -1),
	       ex_number_after(out, "# dropped messages =", -1));
	if (rc || ap_sockperf_observations(out) <= 0)
		ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_LT(0, ap_sockperf_observations(out));
	EXPECT_EQ(NULL, strstr(out, "ERROR"));
	if (proto == 'T')
		EXPECT_EQ(0, ex_number_after(out, "# dropped messages =", -1));
	/* SIGTERM stops it within ex_stop()'s 10 s. */
	EXPECT_LE(0, ex_stop(self->srv));
	self->srv = -1;
}

TEST_F_TIMEOUT(sockperf, udp_ping_pong, 200)
{
	ping_pong(_metadata, self, variant, 'U');
}

TEST_F_TIMEOUT(sockperf, tcp_ping_pong, 200)
{
	ping_pong(_metadata, self, variant, 'T');
}

TEST_HARNESS_MAIN
