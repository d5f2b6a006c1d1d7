// SPDX-License-Identifier: GPL-2.0
/*
 * Each data queue gets its own maximum size. The sizes the VM gives the
 * bypass NIC come from BYPASS_NIC_RX_QUEUE_SIZE / BYPASS_NIC_TX_QUEUE_SIZE
 * (QEMU's rx_queue_size / tx_queue_size; 256 each by default): GET_INFO
 * must report those, and frames must flow through the tx ring past a wrap,
 * in batches so that never more than its entries are in flight.
 */
#include "kselftest_harness.h"
#include "rrfixture.h"

#define TX_FRAMES	600
#define TX_BATCH	64

static unsigned int env_size(const char *name)
{
	const char *v = getenv(name);

	return v ? (unsigned int)atoi(v) : 256;
}

FIXTURE(qs) {
	int fd;
	struct rr rr;
	char peer_if[IFNAMSIZ];
	unsigned char mac[6], peer_mac[6];
};

FIXTURE_SETUP(qs)
{
	ASSERT_EQ(0, rr_fixture_open(&self->fd, &self->rr, self->peer_if, sizeof(self->peer_if),
				     self->mac, self->peer_mac));
}

FIXTURE_TEARDOWN(qs)
{
	rr_close(&self->rr);
	EXPECT_EQ(0, tl_release());
}

TEST_F(qs, each_queue_has_its_own_size)
{
	unsigned int rx = env_size("BYPASS_NIC_RX_QUEUE_SIZE");
	unsigned int tx = env_size("BYPASS_NIC_TX_QUEUE_SIZE");

	EXPECT_EQ(rx, self->rr.info.queues[BYPASS_QUEUE_RX].size);
	EXPECT_EQ(tx, self->rr.info.queues[BYPASS_QUEUE_TX].size);
	EXPECT_EQ(rx, self->rr.q[BYPASS_QUEUE_RX].num);
	EXPECT_EQ(tx, self->rr.q[BYPASS_QUEUE_TX].num);
}

TEST_F_TIMEOUT(qs, tx_ring_wraps_and_peer_gets_every_frame, 300)
{
	unsigned int i, seen = 0, tx_size = self->rr.q[BYPASS_QUEUE_TX].num;
	int ready[2], status;
	__u32 id, len;
	pid_t pid;
	char c;

	/*
	 * The peer's NIC drops what it has no buffers for, so we send a batch,
	 * the peer says when it has all of it, and only then the next.
	 */
	ASSERT_EQ(0, pipe(ready));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		unsigned char got[1514], want[200];
		unsigned int n = 0;
		int s;

		close(self->fd);
		close(ready[0]);
		s = tl_peer_socket(self->peer_if, 10000);
		if (s < 0 || write(ready[1], "r", 1) != 1)
			_exit(20);
		while (n < TX_FRAMES) {
			ssize_t r = recv(s, got, sizeof(got), 0);

			if (r < 0)
				_exit(21);
			tl_make_frame(want, self->peer_mac, self->mac, n, sizeof(want));
			if (r != sizeof(want) || memcmp(got, want, sizeof(want)))
				continue;
			n++;
			if ((n % TX_BATCH == 0 || n == TX_FRAMES) && write(ready[1], "b", 1) != 1)
				_exit(22);
		}
		_exit(0);
	}
	close(ready[1]);
	ASSERT_EQ(1, read(ready[0], &c, 1));
	for (i = 0; i < TX_FRAMES; i++) {
		__u16 slot = i % tx_size;
		unsigned char *b = self->rr.area + slot * RR_BUF_SIZE;

		memset(b, 0, RR_HDR_LEN);
		tl_make_frame(b + RR_HDR_LEN, self->peer_mac, self->mac, i, 200);
		rr_post(&self->rr, BYPASS_QUEUE_TX, slot, self->rr.iova + slot * RR_BUF_SIZE,
			RR_HDR_LEN + 200, 0);
		if (i % TX_BATCH == TX_BATCH - 1 || i == TX_FRAMES - 1) {
			rr_kick(&self->rr, BYPASS_QUEUE_TX);
			/* The frames go out in order: wait for each to be used. */
			while (seen <= i) {
				ASSERT_EQ(0, rr_wait_used(&self->rr, BYPASS_QUEUE_TX, 5000, &id, &len))
					TH_LOG("frame %u", seen);
				ASSERT_EQ(seen % tx_size, id);
				seen++;
			}
			/* The peer has the whole batch (it gives up after 10 s). */
			ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("batch ending at %u", i);
		}
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

TEST_HARNESS_MAIN
