// SPDX-License-Identifier: GPL-2.0
/*
 * The ring, stack and TCP host tests run again with the in-memory pair's
 * devices completing buffers out of order (BYPASS_PAIR_OUT_OF_ORDER=1),
 * as a virtio device without VIRTIO_F_IN_ORDER may: the driver posts a
 * one-descriptor buffer under its avail slot's id only while the device
 * does not hold that descriptor. Each program runs from this one's
 * directory and must pass whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"

/* Run the test program @name next to this one under the hook: its status. */
static int run_out_of_order(const char *name)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	pid_t pid;
	int status;

	if (n <= 0)
		return -errno;
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (!slash)
		return -EINVAL;
	*slash = '\0';
	snprintf(path, sizeof(path), "%s/%s", self, name);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		char *argv[] = { path, NULL };

		/*
		 * Its report is not shown: only this program's results are
		 * the suite's. A failure names the command that shows it.
		 */
		int null = open("/dev/null", O_WRONLY);

		if (null >= 0) {
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		setenv("BYPASS_PAIR_OUT_OF_ORDER", "1", 1);
		execv(path, argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return status;
}

FIXTURE(ooo) {
	int unused;
};

FIXTURE_SETUP(ooo)
{
	self->unused = 0;
}

FIXTURE_TEARDOWN(ooo)
{
}

TEST_F_TIMEOUT(ooo, ring_tests_pass, 300)
{
	EXPECT_EQ(0, run_out_of_order("test_virtq")) {
		TH_LOG("see BYPASS_PAIR_OUT_OF_ORDER=1 build/tests/test_virtq");
	}
}

TEST_F_TIMEOUT(ooo, stack_tests_pass, 300)
{
	EXPECT_EQ(0, run_out_of_order("test_stack")) {
		TH_LOG("see BYPASS_PAIR_OUT_OF_ORDER=1 build/tests/test_stack");
	}
}

TEST_F_TIMEOUT(ooo, stack_tcp_tests_pass, 600)
{
	EXPECT_EQ(0, run_out_of_order("test_stack_tcp")) {
		TH_LOG("see BYPASS_PAIR_OUT_OF_ORDER=1 build/tests/test_stack_tcp");
	}
}

TEST_HARNESS_MAIN
