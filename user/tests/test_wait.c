// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the default wait policy (bypass_stack_wait, net/wait.c):
 * the spin before a sleep adapts to the load. Work found while spinning
 * leaves the spin as it is; work that woke a sleep within spin_ns sets
 * the next spin to that gap and a quarter more (at most spin_ns); a sleep
 * that ended without work (a timeout) halves it. The interrupt is raised
 * by hand (a write to the RX interrupt eventfd, as the device does) so
 * that a sleep ends at once, with work.
 */
#include <sys/eventfd.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "frames.h"

#include "stack.h"

#define SPIN_NS	20000000ull	/* 20 ms: far above any gap made here */

FIXTURE(wait) {
	struct bypass_pair *pair;
	struct bypass_stack *st[2];
};

FIXTURE_SETUP(wait)
{
	struct bypass_pair_config pc = { .features = FEAT_DEFAULT };

	ASSERT_EQ(0, pair_two_stacks(&pc, &(struct bypass_stack_config){
		.spin_ns = SPIN_NS }, &self->pair, self->st));
}

FIXTURE_TEARDOWN(wait)
{
	bypass_stack_destroy(self->st[0]);
	bypass_stack_destroy(self->st[1]);
	bypass_pair_destroy(self->pair);
}

/* The device's interrupt, by hand: the sleep that follows ends at once. */
static void raise_irq(struct bypass_stack *st)
{
	eventfd_write(bypass_stack_fd(st), 1);
}

TEST_F(wait, the_spin_follows_the_gaps_and_shrinks_when_idle)
{
	struct bypass_stack *st = self->st[0];
	struct bypass_udp *u;
	struct bypass_buf *b;
	uint64_t spin;

	/* A new stack sleeps at once: nothing told it to spin yet. */
	stacks_run_idle(st, self->st[1]);
	EXPECT_EQ(0u, st->spin_cur_ns);
	EXPECT_EQ(0, bypass_stack_wait(st, 1));
	EXPECT_EQ(0u, st->spin_cur_ns);

	/* Woken by work soon after it began: spin that long next time. */
	raise_irq(st);
	EXPECT_EQ(1, bypass_stack_wait(st, 1000));
	bypass_stack_poll(st);
	spin = st->spin_cur_ns;
	EXPECT_LT(0u, spin);
	EXPECT_GT(SPIN_NS, spin);

	/* Work waiting already: found spinning, the spin is left alone. */
	ASSERT_EQ(0, bypass_udp_open(self->st[1], 9, &u));
	b = bypass_buf_alloc(bypass_stack_pool(self->st[1]));
	ASSERT_NE(NULL, b);
	b->len = 1;
	ASSERT_EQ(0, bypass_udp_sendto(u, b, IP_US, 9));	/* ARP first */
	bypass_stack_flush(self->st[1]);
	EXPECT_EQ(1, bypass_stack_wait(st, 1000));
	EXPECT_EQ(spin, st->spin_cur_ns);
	bypass_udp_close(u);
	stacks_run_idle(st, self->st[1]);

	/* A sleep that ends without work (the timeout): halved. */
	EXPECT_EQ(0, bypass_stack_wait(st, 1));
	EXPECT_EQ(spin / 2, st->spin_cur_ns);
	EXPECT_EQ(0, bypass_stack_wait(st, 1));
	EXPECT_EQ(spin / 4, st->spin_cur_ns);

	/* Load again: one short gap brings the spin back. */
	raise_irq(st);
	EXPECT_EQ(1, bypass_stack_wait(st, 1000));
	bypass_stack_poll(st);
	EXPECT_LT(0u, st->spin_cur_ns);
	EXPECT_GE(SPIN_NS, st->spin_cur_ns);
}

TEST_HARNESS_MAIN
