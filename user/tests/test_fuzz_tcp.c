// SPDX-License-Identifier: GPL-2.0
/*
 * Runs the TCP engine's libFuzzer target (build/fuzz/fuzz_tcp, built by
 * mk/user.mk) for FUZZ_RUNS inputs from its seed corpus (build/fuzz/seeds-tcp)
 * inside `make check`: it must end cleanly (no sanitizer report, broken
 * invariant or leaked buffer) having run every input, and
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

/*
 * A fixed number of inputs, not a fixed time, so a loaded machine runs the
 * same fuzzing, only slower; the time bound is a guard against a hang.
 */
#define FUZZ_RUNS	6000
#define FUZZ_RUNS_ARG	"-runs=6000"
#define FUZZ_MAX_TIME	"-max_total_time=150"

FIXTURE(fuzz) {};
FIXTURE_SETUP(fuzz) {}
FIXTURE_TEARDOWN(fuzz) {}

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

TEST_F_TIMEOUT(fuzz, tcp_engine_survives_6000_fuzzed_inputs, 170)
{
	char exe[PATH_MAX], target[PATH_MAX + 32], seeds[PATH_MAX + 32];
	char dir[] = "/tmp/bypass-fuzz-tcp-XXXXXX";
	char log[PATH_MAX], prefix[PATH_MAX + 32], line[512];
	unsigned long runs = 0, cov_seeds = 0, cov_end = 0, cov;
	char *argv[10], *p;
	int status;
	ssize_t n;
	FILE *f;

	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ASSERT_GT(n, 0);
	exe[n] = 0;
	dirname(exe);
	snprintf(target, sizeof(target), "%s/../fuzz/fuzz_tcp", exe);
	snprintf(seeds, sizeof(seeds), "%s/../fuzz/seeds-tcp", exe);
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
	argv[1] = FUZZ_RUNS_ARG;
	argv[2] = "-seed=1";
	argv[3] = "-rss_limit_mb=2048";
	argv[4] = "-timeout=10";
	argv[5] = prefix;
	argv[6] = dir;		/* the corpus it grows */
	argv[7] = seeds;
	argv[8] = FUZZ_MAX_TIME;
	argv[9] = NULL;
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
	EXPECT_EQ((unsigned long)FUZZ_RUNS, runs) {
		TH_LOG("every input must run: fewer means it crashed or hit the time guard");
	}
	/* The seeds open, fill and close connections: far past the listener. */
	EXPECT_GT(cov_seeds, 500UL);
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    runs == FUZZ_RUNS) {
		/* Clean up only after a clean run; keep evidence otherwise. */
		char cmd[PATH_MAX + 16];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		EXPECT_EQ(0, system(cmd));
	}
}

TEST_HARNESS_MAIN
