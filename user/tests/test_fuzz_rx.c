// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the receive-path libFuzzer target (build/fuzz/fuzz_rx, built by
 * mk/user.mk) for a bounded time so that every `make check` fuzzes a little:
 * it must finish cleanly, having executed a meaningful number of inputs,
 * starting from the seed corpus (build/fuzz/seeds-rx).
 * `make fuzz` runs it for longer.
 */
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

#define FUZZ_SECONDS	"20"

TEST(rx_path_survives_20_seconds_of_fuzzing)
{
	char self[PATH_MAX], target[PATH_MAX + 32], seeds[PATH_MAX + 32];
	char dir[] = "/tmp/bypass-fuzz-XXXXXX";
	char log[PATH_MAX], prefix[PATH_MAX], line[512];
	unsigned long runs = 0;
	ssize_t n;
	pid_t pid;
	int status, fd;
	FILE *f;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = 0;
	dirname(self);
	snprintf(target, sizeof(target), "%s/../fuzz/fuzz_rx", self);
	snprintf(seeds, sizeof(seeds), "%s/../fuzz/seeds-rx", self);
	ASSERT_EQ(0, access(target, X_OK)) {
		TH_LOG("%s is missing: build it with make tests", target);
	}
	ASSERT_EQ(0, access(seeds, R_OK)) {
		TH_LOG("%s is missing: build it with make tests", seeds);
	}
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(prefix, sizeof(prefix), "-artifact_prefix=%s/", dir);
	pid = fork();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(target, target, "-max_total_time=" FUZZ_SECONDS, "-seed=1",
		      "-rss_limit_mb=2048", prefix, dir, seeds, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	f = fopen(log, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Done %lu runs", &runs) == 1)
			continue;
		if (strstr(line, "ERROR") || strstr(line, "runtime error"))
			TH_LOG("%s", line);
	}
	fclose(f);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("fuzzer failed; its log and any crash input are in %s", dir);
	}
	EXPECT_GT(runs, 10000UL);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && runs > 10000) {
		/* Clean up only after a clean run; keep evidence otherwise. */
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		EXPECT_EQ(0, system(cmd));
	}
}

TEST_HARNESS_MAIN
