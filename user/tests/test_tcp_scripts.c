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

TEST_HARNESS_MAIN
