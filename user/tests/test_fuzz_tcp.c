// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the TCP engine's libFuzzer target (build/fuzz/fuzz_tcp, built by
 * mk/user.mk) for 20 seconds from its seed corpus (build/fuzz/seeds-tcp)
 * inside `make check`: it must end cleanly (no sanitizer report, broken
 * invariant or leaked buffer) after a meaningful number of inputs, and
 * the seeds must already reach deep (its coverage grows from them).
 * `make fuzz-tcp` runs it for longer.
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

/* Run @argv with stdout and stderr into @log; its wait status. */
static int run_logged(char *const argv[], const char *log)
{
	int status, fd;
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (fd < 0)
			_exit(126);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

TEST(tcp_engine_survives_20_seconds_of_fuzzing)
{
	char self[PATH_MAX], target[PATH_MAX + 32], seeds[PATH_MAX + 32];
	char dir[] = "/tmp/bypass-fuzz-tcp-XXXXXX";
	char log[PATH_MAX], prefix[PATH_MAX + 32], line[512];
	unsigned long runs = 0, cov_seeds = 0, cov_end = 0, cov;
	char *argv[9], *p;
	int status;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	ASSERT_GT(n, 0);
	self[n] = 0;
	dirname(self);
	snprintf(target, sizeof(target), "%s/../fuzz/fuzz_tcp", self);
	snprintf(seeds, sizeof(seeds), "%s/../fuzz/seeds-tcp", self);
	ASSERT_EQ(0, access(target, X_OK)) {
		TH_LOG("%s is missing: build it with make tests", target);
	}
	ASSERT_EQ(0, access(seeds, R_OK)) {
		TH_LOG("%s is missing: build it with make tests", seeds);
	}
	ASSERT_NE(NULL, mkdtemp(dir));
	snprintf(log, sizeof(log), "%s/log", dir);
	snprintf(prefix, sizeof(prefix), "-artifact_prefix=%s/", dir);
	argv[0] = target;
	argv[1] = "-max_total_time=" FUZZ_SECONDS;
	argv[2] = "-seed=1";
	argv[3] = "-rss_limit_mb=2048";
	argv[4] = "-timeout=10";
	argv[5] = prefix;
	argv[6] = dir;		/* the corpus it grows */
	argv[7] = seeds;
	argv[8] = NULL;
	status = run_logged(argv, log);

	f = fopen(log, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Done %lu runs", &runs) == 1)
			continue;
		p = strstr(line, "cov: ");
		if (p && sscanf(p, "cov: %lu", &cov) == 1) {
			if (strstr(line, "INITED"))
				cov_seeds = cov;
			cov_end = cov;
		}
		if (strstr(line, "ERROR") || strstr(line, "runtime error") ||
		    strstr(line, "fuzz_tcp: line"))
			TH_LOG("%s", line);
	}
	fclose(f);
	TH_LOG("%lu inputs, coverage %lu after the seeds, %lu at the end",
	       runs, cov_seeds, cov_end);
	EXPECT_TRUE(status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		TH_LOG("fuzzer failed; its log and any crash input are in %s", dir);
	}
	EXPECT_GT(runs, 5000UL);
	/* The seeds open, fill and close connections: far past the listener. */
	EXPECT_GT(cov_seeds, 500UL);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    runs > 5000) {
		/* Clean up only after a clean run; keep evidence otherwise. */
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		EXPECT_EQ(0, system(cmd));
	}
}

TEST_HARNESS_MAIN
