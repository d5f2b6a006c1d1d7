// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the TAP development device against the real Linux stack,
 * in a private network namespace: the kernel resolves our address by ARP,
 * exchanges UDP datagrams with a libbypass socket, and gets answers to its
 * pings. Waits are bounded and driven by the device's fd, not by sleeps.
 */
#include <errno.h>
#include <sched.h>

#include "kselftest_harness.h"
#include "tap_net.h"

FIXTURE(tap) {
	struct bypass_dev *dev;
	struct bypass_stack *st;
	struct bypass_udp *sock;
};

TAP_FEATURE_VARIANTS(tap);

FIXTURE_SETUP(tap)
{
	/* Each test runs in its own process: give it its own network. */
	const char *err = tap_stack_up(variant->features, 1024, &self->dev,
				       &self->st);

	ASSERT_EQ(NULL, err) {
		TH_LOG("%s: %s", err, strerror(errno));
	}
	ASSERT_EQ(0, bypass_udp_open(self->st, 6000, &self->sock));
}

FIXTURE_TEARDOWN(tap)
{
	bypass_stack_destroy(self->st);
	bypass_dev_destroy(self->dev);
}

/* Run the stack until recv() on @fd returns data, for at most 3 s. */
static ssize_t drive_until_recv(struct bypass_stack *st, int fd, void *buf,
				size_t cap, struct sockaddr_in *from)
{
	uint64_t end = mono_ms() + 3000;
	socklen_t fl = sizeof(*from);
	ssize_t n;

	do {
		bypass_stack_wait(st, 5);
		bypass_stack_poll(st);
		n = recvfrom(fd, buf, cap, MSG_DONTWAIT, (struct sockaddr *)from, &fl);
		if (n >= 0)
			return n;
	} while (mono_ms() < end);
	return -1;
}

TEST_F(tap, udp_both_ways_with_the_linux_stack)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_port = htons(5555),
				    .sin_addr.s_addr = KERNEL_IP }, from;
	struct bypass_buf *b;
	char buf[64];
	uint64_t end;
	uint32_t src;
	uint16_t sport;
	int ks = socket(AF_INET, SOCK_DGRAM, 0);

	ASSERT_GE(ks, 0);
	ASSERT_EQ(0, bind(ks, (struct sockaddr *)&addr, sizeof(addr)));
	b = bypass_buf_alloc(bypass_stack_pool(self->st));
	memcpy(b->data, "from libbypass", 14);
	b->len = 14;
	ASSERT_EQ(0, bypass_udp_sendto(self->sock, b, KERNEL_IP, 5555));
	ASSERT_EQ(14, drive_until_recv(self->st, ks, buf, sizeof(buf), &from));
	EXPECT_EQ(0, memcmp(buf, "from libbypass", 14));
	EXPECT_EQ(STACK_IP, from.sin_addr.s_addr);
	EXPECT_EQ(6000, ntohs(from.sin_port));
	/* And back: the kernel learnt our MAC from our ARP request. */
	ASSERT_EQ(11, sendto(ks, "from Linux!", 11, 0, (struct sockaddr *)&from,
			     sizeof(from)));
	end = mono_ms() + 3000;
	b = NULL;
	while (!b && mono_ms() < end) {
		bypass_stack_wait(self->st, 5);
		bypass_stack_poll(self->st);
		b = bypass_udp_recv(self->sock, &src, &sport);
	}
	ASSERT_NE(NULL, b);
	EXPECT_EQ(11u, b->len);
	EXPECT_EQ(0, memcmp(b->data, "from Linux!", 11));
	EXPECT_EQ(KERNEL_IP, src);
	EXPECT_EQ(5555, sport);
	bypass_buf_put(b);
	close(ks);
}

TEST_F(tap, linux_ping_is_answered)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr.s_addr = STACK_IP };
	struct sockaddr_in from;
	uint8_t req[64], reply[256];
	struct icmphdr *ic = (struct icmphdr *)req;
	struct bypass_counters c;
	uint64_t end;
	ssize_t n;
	int rs = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);

	ASSERT_GE(rs, 0);
	memset(req, 0xa5, sizeof(req));
	memset(ic, 0, sizeof(*ic));
	ic->type = ICMP_ECHO;
	ic->un.echo.id = htons(0x4242);
	ic->un.echo.sequence = htons(1);
	ic->checksum = t_csum(req, sizeof(req), 0);
	ASSERT_EQ((ssize_t)sizeof(req), sendto(rs, req, sizeof(req), 0,
					       (struct sockaddr *)&to, sizeof(to)));
	/* A raw socket also sees our own request: wait for the reply. */
	end = mono_ms() + 3000;
	do {
		n = drive_until_recv(self->st, rs, reply, sizeof(reply), &from);
		ASSERT_GT(n, 20);
	} while (reply[20] != ICMP_ECHOREPLY && mono_ms() < end);
	ASSERT_EQ(ICMP_ECHOREPLY, reply[20]);
	EXPECT_EQ((ssize_t)(20 + sizeof(req)), n);
	EXPECT_EQ(STACK_IP, from.sin_addr.s_addr);
	EXPECT_EQ(0, memcmp(reply + 24, req + 4, sizeof(req) - 4));
	EXPECT_EQ(0, t_csum(reply + 20, sizeof(req), 0));
	bypass_stack_counters(self->st, &c);
	EXPECT_EQ(1u, c.icmp.echo_replies_tx);
	EXPECT_GE(c.arp.replies_tx, 1u);
	close(rs);
}

TEST_HARNESS_MAIN
