// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the receive-path libFuzzer target (build/fuzz/fuzz_rx, built by
 * mk/user.mk) for FUZZ_RUNS inputs so that every `make check` fuzzes a
 * little: it must finish cleanly, having executed every one of them,
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

/*
 * A fixed number of inputs, not a fixed time, so a loaded machine runs the
 * same fuzzing, only slower; the time bound is a guard against a hang.
 */
#define FUZZ_RUNS	200000
#define FUZZ_RUNS_ARG	"-runs=200000"
#define FUZZ_MAX_TIME	"-max_total_time=150"

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

TEST_F_TIMEOUT(fuzz, rx_path_survives_200000_fuzzed_inputs, 170)
{
	char exe[PATH_MAX], target[PATH_MAX + 32], seeds[PATH_MAX + 32];
	char dir[] = "/tmp/bypass-fuzz-XXXXXX";
	char log[PATH_MAX], prefix[PATH_MAX], line[512];
	unsigned long runs = 0;
	ssize_t n;
	pid_t pid;
	int status, fd;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_GT(n, 0);
	exe[n] = 0;
	dirname(exe);
	snprintf(target, sizeof(target), "%s/../fuzz/fuzz_rx", exe);
	snprintf(seeds, sizeof(seeds), "%s/../fuzz/seeds-rx", exe);
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
		execl(target, target, FUZZ_RUNS_ARG, FUZZ_MAX_TIME, "-seed=1",
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
	EXPECT_EQ((unsigned long)FUZZ_RUNS, runs) {
		TH_LOG("every input must run: fewer means it crashed or hit the time guard");
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && runs == FUZZ_RUNS) {
		/* Clean up only after a clean run; keep evidence otherwise. */
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		EXPECT_EQ(0, system(cmd));
	}
}

TEST_HARNESS_MAIN
