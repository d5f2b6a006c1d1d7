// SPDX-License-Identifier: GPL-2.0
/*
 * Lifetimes when the device does not stop: with the module parameter
 * test_reset_timeouts, queue and device resets report a timeout while the
 * device keeps running. A detach then parks the pair: its rings and the
 * owner's registered memory stay pinned until a reset works, and the pair
 * is attached again only after one. Unbinding frees what was parked.
 * Unbind raced against close many times leaves nothing pinned and the
 * device working.
 */
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include "rawring.h"

#define TIMEOUTS_PARAM	"/sys/module/bypass/parameters/test_reset_timeouts"
#define RACE_ROUNDS	30

static const char *ctl_path(void)
{
	const char *p = getenv("BYPASSCTL");

	return p ? p : "build/bin/bypassctl";
}

/*
 * From `bypassctl show`: the device's reset count, and whether pair 0 is
 * parked. Returns 0 or -1.
 */
static int show_state(unsigned long *resets, int *parked)
{
	char cmd[PATH_MAX + 32], line[512];
	FILE *f;
	int found = 0;

	snprintf(cmd, sizeof(cmd), "%s show 2>&1", ctl_path());
	f = popen(cmd, "r");
	if (!f)
		return -1;
	*parked = 0;
	while (fgets(line, sizeof(line), f)) {
		char *p = strstr(line, " descriptors per queue, ");

		if (p && sscanf(p, " descriptors per queue, %lu device reset(s)", resets) == 1)
			found = 1;
		if (strstr(line, "pair 0:") && strstr(line, "parked"))
			*parked = 1;
	}
	return pclose(f) == 0 && found ? 0 : -1;
}

static unsigned int timeouts_left(void)
{
	FILE *f = fopen(TIMEOUTS_PARAM, "r");
	unsigned int n = ~0u;

	if (f) {
		if (fscanf(f, "%u", &n) != 1)
			n = ~0u;
		fclose(f);
	}
	return n;
}

/* Send one frame to the peer from pair memory; 0 if the device used it. */
static int tx_one(struct rr *rr)
{
	unsigned char peer[6];
	struct bypass_info info;
	__u32 id, len;

	tl_parse_mac(tl_peer_mac(), peer);
	memset(rr->area, 0, RR_HDR_LEN);
	tl_make_frame(rr->area + RR_HDR_LEN, peer, rr->info.mac, 1, 100);
	rr_post(rr, BYPASS_QUEUE_TX, 0, rr->iova, RR_HDR_LEN + 100, 0);
	rr_kick(rr, BYPASS_QUEUE_TX);
	if (rr_wait_used(rr, BYPASS_QUEUE_TX, 5000, &id, &len))
		return -ETIMEDOUT;
	if (tl_info(rr->fd, &info))
		return -EIO;
	return info.status == BYPASS_STATUS_ATTACHED ? 0 : -EIO;
}

FIXTURE(life) {
	struct rr rr;
};

FIXTURE_SETUP(life)
{
	char peer_if[IFNAMSIZ];
	int fd;

	/* A peer that receives, so the hub takes our frames. */
	ASSERT_EQ(0, tl_peer_netns(peer_if, sizeof(peer_if)));
	ASSERT_EQ(0, tl_sysfs_write(TIMEOUTS_PARAM, "0"));
	ASSERT_EQ(0, tl_claim());
	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, rr_setup(&self->rr, fd));
	ASSERT_EQ(RR_AREA / 1024, tl_vmlck_kb());
}

FIXTURE_TEARDOWN(life)
{
	EXPECT_EQ(0, tl_sysfs_write(TIMEOUTS_PARAM, "0"));
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

TEST_F(life, parked_pair_keeps_memory_until_a_reset_works)
{
	unsigned long resets, resets2;
	struct rr again;
	int parked, fd;

	ASSERT_EQ(0, show_state(&resets, &parked));
	EXPECT_EQ(0, parked);
	/* Both queue resets and the fallback device reset "time out". */
	ASSERT_EQ(0, tl_sysfs_write(TIMEOUTS_PARAM, "3"));
	ASSERT_EQ(0, ioctl(self->rr.fd, BYPASS_DETACH, 0));
	EXPECT_EQ(0, timeouts_left());
	ASSERT_EQ(0, show_state(&resets2, &parked));
	EXPECT_EQ(1, parked);
	/* The device may still DMA into our memory: it stays pinned. */
	EXPECT_EQ(RR_AREA / 1024, tl_vmlck_kb());

	/* The next attach resets the device first, which frees the pair. */
	fd = tl_open_attached();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, show_state(&resets2, &parked));
	EXPECT_EQ(0, parked);
	EXPECT_LT(resets, resets2);
	ASSERT_EQ(0, rr_setup(&again, fd));
	/* Only the new registration is pinned now. */
	EXPECT_EQ(RR_AREA / 1024, tl_vmlck_kb());
	EXPECT_EQ(0, tx_one(&again));
	rr_close(&again);
	EXPECT_EQ(0, tl_vmlck_kb());
}

TEST_F(life, unbind_frees_parked_memory)
{
	int parked;
	unsigned long resets;

	ASSERT_EQ(0, tl_sysfs_write(TIMEOUTS_PARAM, "3"));
	ASSERT_EQ(0, ioctl(self->rr.fd, BYPASS_DETACH, 0));
	ASSERT_EQ(0, show_state(&resets, &parked));
	EXPECT_EQ(1, parked);
	EXPECT_EQ(RR_AREA / 1024, tl_vmlck_kb());
	/* The reset at removal fails too; bus mastering off is what stops it. */
	ASSERT_EQ(0, tl_sysfs_write(TIMEOUTS_PARAM, "1"));
	ASSERT_EQ(0, tl_release());
	EXPECT_EQ(0, timeouts_left());
	EXPECT_EQ(0, tl_vmlck_kb());
	/* Claimed again, the device works. */
	ASSERT_EQ(0, tl_claim());
	rr_close(&self->rr);
	ASSERT_EQ(0, rr_setup(&self->rr, tl_open_attached()));
	EXPECT_EQ(0, tx_one(&self->rr));
}

TEST_F_TIMEOUT(life, unbind_races_close, 600)
{
	unsigned int round;
	int status, fd;
	pid_t pid;

	for (round = 0; round < RACE_ROUNDS; round++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0) {
			close(self->rr.fd);
			_exit(tl_release() ? 1 : 0);
		}
		/* Stagger the two a little differently each round. */
		usleep((round % 6) * 2000);
		rr_close(&self->rr);
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
			TH_LOG("round %u: unbind failed", round);
		ASSERT_EQ(0, tl_vmlck_kb()) TH_LOG("round %u", round);
		ASSERT_EQ(0, tl_claim());
		fd = tl_open_attached();
		ASSERT_LE(0, fd) TH_LOG("round %u", round);
		ASSERT_EQ(0, rr_setup(&self->rr, fd)) TH_LOG("round %u", round);
	}
	EXPECT_EQ(0, tx_one(&self->rr));
}

TEST_HARNESS_MAIN
