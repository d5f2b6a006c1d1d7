// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the TCP engine's packet scripts (user/tests/tcp_scripts/NAME.pkt, the
 * format is in tcp_script.h): one test case per script, and one that
 * fails when a script file is not listed here.
 */
#include <dirent.h>
#include <libgen.h>
#include <limits.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "tcp_script.h"

/* The scripts' directory: next to this file, found from the binary. */
static void script_dir(char *out, size_t n)
{
	char exe[PATH_MAX] = "", src[PATH_MAX];
	ssize_t len;

	snprintf(src, sizeof(src), "%s", __FILE__);
	if (src[0] == '/') {
		snprintf(out, n, "%s/tcp_scripts", dirname(src));
		return;
	}
	/* build/tests/test_tcp_scripts -> the tree is two levels up. */
	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (len > 0)
		exe[len] = 0;
	snprintf(out, n, "%s/../../%s/tcp_scripts", dirname(exe), dirname(src));
}

static const char *const scripts[] = {
#define SCRIPT(name) #name,
#include "tcp_scripts/list.h"
#undef SCRIPT
};

static int run_script(const char *name, char *err, size_t n)
{
	struct ts_run r;
	char dir[PATH_MAX], path[PATH_MAX + 64];

	script_dir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/%s.pkt", dir, name);
	if (ts_run_file(&r, path)) {
		snprintf(err, n, "%s", r.err);
		return -1;
	}
	return 0;
}

#define SCRIPT(name)							\
	TEST(name)							\
	{								\
		char err[512];						\
		int ret = run_script(#name, err, sizeof(err));		\
		if (ret)						\
			TH_LOG("%s", err);				\
		ASSERT_EQ(0, ret);					\
	}
#include "tcp_scripts/list.h"
#undef SCRIPT

TEST(every_script_is_listed)
{
	char dir[PATH_MAX];
	struct dirent *d;
	int found = 0;
	DIR *dp;

	script_dir(dir, sizeof(dir));
	dp = opendir(dir);
	ASSERT_NE(NULL, dp);
	while ((d = readdir(dp))) {
		size_t len = strlen(d->d_name), i;
		bool listed = false;

		if (len < 5 || strcmp(d->d_name + len - 4, ".pkt"))
			continue;
		found++;
		for (i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++)
			if (strlen(scripts[i]) == len - 4 &&
			    !strncmp(scripts[i], d->d_name, len - 4))
				listed = true;
		if (!listed)
			TH_LOG("%s is not in tcp_scripts/list.h", d->d_name);
		EXPECT_TRUE(listed);
	}
	closedir(dp);
	EXPECT_EQ((int)(sizeof(scripts) / sizeof(scripts[0])), found);
}

/* Run @text as a script; its error message, or "" when it passed. */
static const char *run_text(const char *text, char *err, size_t n)
{
	char path[] = "/tmp/tcp_script_XXXXXX";
	struct ts_run r;
	int fd = mkstemp(path);
	FILE *f;

	err[0] = 0;
	if (fd < 0)
		return "mkstemp";
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
	if (ts_run_file(&r, path))
		snprintf(err, n, "%s", r.err);
	unlink(path);
	return err;
}

#define HANDSHAKE							\
	"0 app listen 8080\n"						\
	"+0 < S 0:0(0) win 65535 <mss 1000>\n"				\
	"+0 > S. 0:0(0) ack 1 win 65535 <mss 1460>\n"			\
	"+0.1 < . 1:1(0) ack 1 win 65535\n"				\
	"+0 app accept\n"

/* The runner itself: every kind of mismatch fails a script. */
TEST(runner_catches_mismatches)
{
	static const struct {
		const char *tail, *why;
	} bad[] = {
		{ "+0 app send 10\n+0 > P. 1:11(10) ack 1 win 65534\n",
		  "window differs" },
		{ "+0 app send 10\n+0 > . 1:11(10) ack 1 win 65535\n",
		  "flags differ" },
		{ "+0 app send 10\n+0 > P. 2:12(10) ack 1 win 65535\n",
		  "seq/len differ" },
		{ "+0 app send 10\n+0 > P. 1:11(10) ack 2 win 65535\n",
		  "ack differs" },
		{ "+0 app send 10\n+0 > P. 1:11(10) ack 1 win 65535 <mss 1460>\n",
		  "options differ" },
		{ "+0 app send 10\n+0.1 > P. 1:11(10) ack 1 win 65535\n",
		  "expected at" },
		{ "+0 app send 10\n+0 > P. 1:11(10) ack 1 win 65535 port 40001\n",
		  "addressed to port" },
		{ "+0 app send 10\n", "unexpected segment" },
		{ "+0.5 > . 1:1(0) ack 1 win 65535\n", "no segment sent" },
		{ "+0 app state CLOSE_WAIT\n", "state is ESTABLISHED" },
		{ "+0 < P. 1:11(10) ack 1 win 65535\n+0 app recv 11\n",
		  "short" },
		{ "+0 app frobnicate\n", "unknown app command" },
		{ "+0 < X 1:1(0) win 1\n", "bad flag" },
		{ "+0 app stat rcv_dropped 1\n", "rcv_dropped is 0" },
		{ "+0 app stat no_such_counter 0\n", "stat NAME N" },
		{ "+0 icmp frag_needed 1000\n", "icmp frag_needed MTU SEQ" },
		/* Nothing in flight: ignored, and the counter says so. */
		{ "+0 icmp frag_needed 1000 1\n+0 app stat pmtu_lowered 1\n",
		  "pmtu_lowered is 0" },
	};
	char err[512], text[1024];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "%s%s", HANDSHAKE, bad[i].tail);
		run_text(text, err, sizeof(err));
		if (!strstr(err, bad[i].why))
			TH_LOG("case %zu: wanted '%s', got '%s'", i, bad[i].why, err);
		EXPECT_NE(NULL, strstr(err, bad[i].why));
	}
	/* And the same handshake alone passes. */
	EXPECT_STREQ("", run_text(HANDSHAKE, err, sizeof(err)));
}

TEST_HARNESS_MAIN
