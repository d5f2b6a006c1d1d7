// SPDX-License-Identifier: GPL-2.0
/*
 * Host tests of the TCP timer wheel: timers fire at their tick and not
 * before, in later rounds when due beyond one turn, after long clock
 * jumps, can be cancelled and re-armed (also from their own callback),
 * and the next-expiry query is exact. A lazily set timer moved later
 * leaves the wheel alone until its old slot comes, then fires at its
 * deadline; cleared, it never fires; moved sooner, it fires sooner.
 * tcp_wheel_due() says whether a run has a tick to process.
 */
#include "kselftest_harness.h"
#include "tcp_timer.h"

#define MS TCP_TICK_NS	/* one tick */

struct probe {
	struct tcp_timer t;
	uint64_t fired_at;
	int fired;
	struct tcp_wheel *rearm;	/* re-arm 5 ms later, once */
};

static void on_fire(struct tcp_timer *t, uint64_t now)
{
	struct probe *p = (struct probe *)t;

	p->fired_at = now;
	p->fired++;
	if (p->rearm && p->fired == 1)
		tcp_timer_arm(p->rearm, t, now + 5 * MS);
}

static struct tcp_wheel *new_wheel(uint64_t now)
{
	struct tcp_wheel *w = malloc(sizeof(*w));

	tcp_wheel_init(w, now);
	return w;
}

TEST(fires_at_its_tick_not_before)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe p = { .t.fn = on_fire };
	uint64_t t;

	tcp_timer_arm(w, &p.t, 10 * MS + 1);	/* rounds up to 11 ms */
	for (t = 0; t <= 10 * MS; t += MS)
		tcp_wheel_run(w, t);
	EXPECT_EQ(0, p.fired);
	EXPECT_TRUE(tcp_timer_armed(&p.t));
	tcp_wheel_run(w, 11 * MS);
	EXPECT_EQ(1, p.fired);
	EXPECT_EQ(11 * MS, p.fired_at);
	EXPECT_FALSE(tcp_timer_armed(&p.t));
	free(w);
}

/* The poll's gate: work once per tick, and the wheel's run agrees. */
TEST(due_once_per_tick)
{
	struct tcp_wheel *w = new_wheel(10 * MS + 300);
	struct probe p = { .t.fn = on_fire };

	ASSERT_TRUE(tcp_wheel_due(w, 10 * MS + 300));
	tcp_timer_arm(w, &p.t, 11 * MS + 5);	/* slot of tick 12 */
	tcp_wheel_run(w, 10 * MS + 300);
	ASSERT_FALSE(tcp_wheel_due(w, 10 * MS + 300));
	ASSERT_FALSE(tcp_wheel_due(w, 11 * MS - 1));
	ASSERT_TRUE(tcp_wheel_due(w, 11 * MS));
	ASSERT_EQ(0u, tcp_wheel_run(w, 11 * MS + 5));
	ASSERT_FALSE(tcp_wheel_due(w, 12 * MS - 1));
	ASSERT_TRUE(tcp_wheel_due(w, 12 * MS));
	ASSERT_EQ(1u, tcp_wheel_run(w, 12 * MS));
	ASSERT_EQ(1, p.fired);
	free(w);
}

TEST(later_rounds_wait_their_turn)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe near = { .t.fn = on_fire }, far = { .t.fn = on_fire };
	uint64_t t;

	/* Same slot, one full turn apart. */
	tcp_timer_arm(w, &near.t, 7 * MS);
	tcp_timer_arm(w, &far.t, (7 + TCP_WHEEL_SLOTS) * MS);
	for (t = 0; t <= 7 * MS; t += MS)
		tcp_wheel_run(w, t);
	EXPECT_EQ(1, near.fired);
	EXPECT_EQ(0, far.fired);
	for (; t < (7 + TCP_WHEEL_SLOTS) * MS; t += MS)
		tcp_wheel_run(w, t);
	EXPECT_EQ(0, far.fired);
	tcp_wheel_run(w, t);
	EXPECT_EQ(1, far.fired);
	free(w);
}

TEST(long_jump_fires_everything_due_once)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe p[50];
	int i;

	for (i = 0; i < 50; i++) {
		p[i] = (struct probe){ .t.fn = on_fire };
		tcp_timer_arm(w, &p[i].t, (uint64_t)(i * 997 + 1) * MS);
	}
	/* 30 s at once: many turns of the wheel. */
	EXPECT_EQ(31u, tcp_wheel_run(w, 30000 * MS));
	for (i = 0; i < 50; i++)
		EXPECT_EQ(i * 997 + 1 <= 30000 ? 1 : 0, p[i].fired);
	EXPECT_EQ(19u, w->armed);
	EXPECT_EQ(19u, tcp_wheel_run(w, 60000 * MS));
	EXPECT_EQ(0u, w->armed);
	free(w);
}

TEST(cancel_and_rearm)
{
	struct tcp_wheel *w = new_wheel(5 * MS);
	struct probe a = { .t.fn = on_fire }, b = { .t.fn = on_fire };

	tcp_timer_arm(w, &a.t, 8 * MS);
	tcp_timer_arm(w, &b.t, 8 * MS);
	tcp_timer_cancel(w, &a.t);
	tcp_timer_cancel(w, &a.t);		/* twice is harmless */
	tcp_timer_arm(w, &b.t, 20 * MS);	/* moves it */
	EXPECT_EQ(1u, w->armed);
	EXPECT_EQ(0u, tcp_wheel_run(w, 10 * MS));
	EXPECT_EQ(1u, tcp_wheel_run(w, 20 * MS));
	EXPECT_EQ(0, a.fired);
	EXPECT_EQ(20 * MS, b.fired_at);
	/* A time in the past fires at the next run. */
	tcp_timer_arm(w, &a.t, 1 * MS);
	EXPECT_EQ(1u, tcp_wheel_run(w, 21 * MS));
	free(w);
}

TEST(rearm_from_callback)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe p = { .t.fn = on_fire };

	p.rearm = w;
	tcp_timer_arm(w, &p.t, 3 * MS);
	tcp_wheel_run(w, 3 * MS);
	EXPECT_EQ(1, p.fired);
	EXPECT_TRUE(tcp_timer_armed(&p.t));
	tcp_wheel_run(w, 7 * MS);
	EXPECT_EQ(1, p.fired);
	tcp_wheel_run(w, 8 * MS);
	EXPECT_EQ(2, p.fired);
	EXPECT_EQ(8 * MS, p.fired_at);
	free(w);
}

TEST(lazy_set_moves_the_deadline_not_the_wheel)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe a = { .t.fn = on_fire }, b = { .t.fn = on_fire };
	struct probe c = { .t.fn = on_fire };

	tcp_timer_set(w, &a.t, 10 * MS);
	EXPECT_EQ(10u, a.t.expires);
	tcp_timer_set(w, &a.t, 30 * MS);	/* later: the slot stays */
	EXPECT_EQ(10u, a.t.expires);
	EXPECT_EQ(10 * MS, tcp_wheel_next(w));	/* a wakeup early at most */
	EXPECT_EQ(0u, tcp_wheel_run(w, 10 * MS));
	EXPECT_EQ(0, a.fired);
	EXPECT_TRUE(tcp_timer_armed(&a.t));
	EXPECT_EQ(30 * MS, tcp_wheel_next(w));	/* hangs at its deadline */
	EXPECT_EQ(0u, tcp_wheel_run(w, 29 * MS));
	EXPECT_EQ(1u, tcp_wheel_run(w, 30 * MS));
	EXPECT_EQ(1, a.fired);
	EXPECT_EQ(30 * MS, a.fired_at);
	EXPECT_FALSE(tcp_timer_armed(&a.t));

	/* Cleared: its slot drops it without a call. */
	tcp_timer_set(w, &b.t, 35 * MS);
	tcp_timer_clear(&b.t);
	EXPECT_FALSE(tcp_timer_armed(&b.t));
	EXPECT_EQ(0u, tcp_wheel_run(w, 40 * MS));
	EXPECT_EQ(0, b.fired);
	EXPECT_EQ(0u, w->armed);

	/* Sooner: the wheel moves. */
	tcp_timer_set(w, &c.t, 90 * MS);
	tcp_timer_set(w, &c.t, 50 * MS);
	EXPECT_EQ(50u, c.t.expires);
	EXPECT_EQ(1u, tcp_wheel_run(w, 50 * MS));
	EXPECT_EQ(50 * MS, c.fired_at);
	EXPECT_EQ(0u, tcp_wheel_run(w, 90 * MS));
	EXPECT_EQ(1, c.fired);
	free(w);
}

TEST(next_expiry)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe a = { .t.fn = on_fire }, b = { .t.fn = on_fire };

	EXPECT_EQ(UINT64_MAX, tcp_wheel_next(w));
	tcp_timer_arm(w, &a.t, 9000 * MS);	/* beyond one turn */
	EXPECT_EQ(9000 * MS, tcp_wheel_next(w));
	tcp_timer_arm(w, &b.t, 40 * MS);
	EXPECT_EQ(40 * MS, tcp_wheel_next(w));
	tcp_wheel_run(w, 40 * MS);
	EXPECT_EQ(9000 * MS, tcp_wheel_next(w));
	free(w);
}

/*
 * The next-expiry answer is remembered between changes: after any mix of
 * arming, re-arming, cancelling and running it must equal the earliest
 * armed timer found the slow way.
 */
TEST(next_expiry_stays_exact_through_changes)
{
	struct tcp_wheel *w = new_wheel(0);
	struct probe p[64];
	uint64_t now = 0, seed = 12345, best;
	int i, step;

	memset(p, 0, sizeof(p));
	for (i = 0; i < 64; i++)
		p[i].t.fn = on_fire;
	for (step = 0; step < 200000; step++) {
		struct probe *q;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		q = &p[(seed >> 33) % 64];
		switch ((seed >> 40) % 4) {
		case 0:
		case 1:
			tcp_timer_arm(w, &q->t, now + (seed >> 20) % (6000 * MS));
			break;
		case 2:
			tcp_timer_cancel(w, &q->t);
			break;
		case 3:
			now += (seed >> 24) % (30 * MS);
			tcp_wheel_run(w, now);
			break;
		}
		best = UINT64_MAX;
		for (i = 0; i < 64; i++)
			if (tcp_timer_armed(&p[i].t) && p[i].t.expires * MS < best)
				best = p[i].t.expires * MS;
		ASSERT_EQ(best, tcp_wheel_next(w)) TH_LOG("step %d", step);
	}
	free(w);
}

TEST_HARNESS_MAIN
