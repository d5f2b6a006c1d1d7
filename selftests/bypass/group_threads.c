// SPDX-License-Identifier: GPL-2.0
/*
 * A group (bypass_group_open: one context per thread, each on its own
 * queue pair) on the claimed NIC with two queue pairs (selftests/vm/run
 * --tap 2; skipped on a NIC with one), against the Linux stack of the
 * peer NIC in the same VM (netns "peer"):
 *
 *   500 Linux clients connect at once to a bypass server of two threads,
 *   each thread listening on the port with its own context: every
 *   request is answered and checked byte for byte, both threads serve
 *   some, and each thread saw only its own flows (the peers' ports they
 *   accepted are disjoint and together the 500; each context's queue
 *   carried frames);
 *   both threads connect out to a Linux server at the same time, from a
 *   group that has not resolved the peer's MAC yet (each context asks
 *   ARP; the answers land on whichever queue the tap picks): every
 *   connection is answered;
 *   the same against a Linux server that answers only after every
 *   connection idled 8 s: the tap's flow cache has forgotten the flows,
 *   the answers land on the queue each flow's hash picks, and those on
 *   the other thread's queue are handed to the thread that dialled (the
 *   handover counters move; without the handover they were reset);
 *   the HTTP example with --threads 2 under wrk from Linux: no error, and
 *   both threads served requests.
 *
 * The bypass side runs in a child (tl_start_app) that reports through a
 * shared page; every wait is bounded.
 */
#include <pthread.h>

#include "examplelib.h"
#include "kselftest_harness.h"
#include "tcp_interop.h"

#include "bypass_api.h"
#include "bypass_socket.h"

#define PORT		7300	/* the group's server */
#define PEER_PORT	7301	/* the Linux server */
#define NCONNS		500
#define OUT_PER_THREAD	32
#define THREADS		2
#define MAX_FDS		2048
#define BOUND_MS	240000
#define IDLE_MS		8000	/* longer than the tap's flow expiry (3 s) */

/* What the group's child reports, per thread. */
struct gside {
	uint32_t accepted[THREADS], served[THREADS];
	uint16_t ports[THREADS][NCONNS];	/* the peers' ports accepted */
	uint32_t out_done[THREADS];		/* outgoing answered */
	uint64_t rx_frames[THREADS], tcp_rx[THREADS];
	struct bypass_group_stats gs[THREADS];
	char why[THREADS][200];
};

static struct ti_report *rep;
static struct gside *gside;

/* One thread of the group's child: its context, its server, its clients. */
struct gthread {
	struct bypass_ctx *ctx;
	unsigned int idx;
	bool dial;			/* connect out instead of serving */
	pthread_t th;
};

/* Record thread @idx's first failure; -1. */
static int __attribute__((format(printf, 2, 3))) gfail(unsigned int idx,
						       const char *fmt, ...)
{
	va_list ap;

	if (!gside->why[idx][0]) {
		va_start(ap, fmt);
		vsnprintf(gside->why[idx], sizeof(gside->why[idx]), fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool app_stopping(void)
{
	return __atomic_load_n(&tl_app_stop, __ATOMIC_RELAXED);
}

/* Serve requests of TI_REQ_LEN bytes with ti_answer() until told to stop. */
static int serve(struct gthread *t)
{
	static __thread uint8_t req[MAX_FDS][TI_REQ_LEN];
	static __thread uint32_t got[MAX_FDS];
	struct bypass_ctx *ctx = t->ctx;
	struct epoll_event ev, evs[64];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(PORT) };
	socklen_t len;
	uint8_t ans[TI_REQ_LEN];
	int l, ep, fd, n, i;
	ssize_t r;

	ep = bypass_epoll_create(ctx);
	l = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	if (ep < 0 || l < 0 || bypass_bind(ctx, l, (void *)&sin, sizeof(sin)) ||
	    bypass_listen(ctx, l, NCONNS))
		return gfail(t->idx, "listen: %s", strerror(errno));
	ev.events = EPOLLIN;
	ev.data.fd = l;
	bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, l, &ev);
	while (!app_stopping()) {
		n = bypass_epoll_wait(ctx, ep, evs, 64, 50);
		for (i = 0; i < n; i++) {
			fd = evs[i].data.fd;
			if (fd == l) {
				len = sizeof(sin);
				while ((fd = bypass_accept4(ctx, l, (void *)&sin, &len,
							    SOCK_NONBLOCK)) >= 0) {
					uint32_t k = gside->accepted[t->idx]++;

					if (fd >= MAX_FDS || k >= NCONNS)
						return gfail(t->idx, "too many");
					gside->ports[t->idx][k] = ntohs(sin.sin_port);
					got[fd] = 0;
					ev.data.fd = fd;
					bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, fd, &ev);
					len = sizeof(sin);
				}
				continue;
			}
			r = bypass_recv(ctx, fd, req[fd] + got[fd],
					TI_REQ_LEN - got[fd], 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0) {
				bypass_close(ctx, fd);
				continue;
			}
			got[fd] += (uint32_t)r;
			if (got[fd] == TI_REQ_LEN) {
				ti_answer(req[fd], ans);
				if (bypass_send(ctx, fd, ans, TI_REQ_LEN, 0) != TI_REQ_LEN)
					return gfail(t->idx, "send: %s", strerror(errno));
				gside->served[t->idx]++;
			}
		}
	}
	return 0;
}

/* OUT_PER_THREAD connections to the Linux server at once, each checked. */
static int dial(struct gthread *t)
{
	struct bypass_ctx *ctx = t->ctx;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(PEER_PORT) };
	uint8_t req[TI_REQ_LEN], want[TI_REQ_LEN];
	static __thread uint8_t ans[OUT_PER_THREAD][TI_REQ_LEN];
	uint32_t got[OUT_PER_THREAD] = { 0 }, i, done = 0;
	bool sent[OUT_PER_THREAD] = { false };
	int fd[OUT_PER_THREAD], ep = bypass_epoll_create(ctx);
	long end = tl_now_ms() + BOUND_MS / 2;
	struct epoll_event ev, evs[OUT_PER_THREAD];
	ssize_t r;

	inet_pton(AF_INET, TI_PEER_IP, &to.sin_addr);
	if (ep < 0)
		return gfail(t->idx, "epoll: %s", strerror(errno));
	/* All connect at once, then each sends its request when connected. */
	for (i = 0; i < OUT_PER_THREAD; i++) {
		fd[i] = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (fd[i] < 0 || (bypass_connect(ctx, fd[i], (void *)&to, sizeof(to)) &&
				  errno != EINPROGRESS))
			return gfail(t->idx, "connect %u: %s", i, strerror(errno));
		ev.events = EPOLLIN | EPOLLOUT;
		ev.data.u32 = i;
		bypass_epoll_ctl(ctx, ep, EPOLL_CTL_ADD, fd[i], &ev);
	}
	while (done < OUT_PER_THREAD) {
		int n = bypass_epoll_wait(ctx, ep, evs, OUT_PER_THREAD, 100), k;

		if (tl_now_ms() > end)
			return gfail(t->idx, "%u of %u answered", done, OUT_PER_THREAD);
		for (k = 0; k < n; k++) {
			i = evs[k].data.u32;
			ti_request(t->idx * OUT_PER_THREAD + i, req);
			if (!sent[i] && (evs[k].events & EPOLLOUT)) {
				if (bypass_send(ctx, fd[i], req, TI_REQ_LEN, 0) != TI_REQ_LEN)
					return gfail(t->idx, "send %u: %s", i, strerror(errno));
				sent[i] = true;
				ev.events = EPOLLIN;
				ev.data.u32 = i;
				bypass_epoll_ctl(ctx, ep, EPOLL_CTL_MOD, fd[i], &ev);
			}
			if (!sent[i] || !(evs[k].events & (EPOLLIN | EPOLLERR | EPOLLHUP)))
				continue;
			r = bypass_recv(ctx, fd[i], ans[i] + got[i], TI_REQ_LEN - got[i], 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0)
				return gfail(t->idx, "answer %u: %s after %u", i,
					     r ? strerror(errno) : "EOF", got[i]);
			got[i] += (uint32_t)r;
			if (got[i] < TI_REQ_LEN)
				continue;
			ti_answer(req, want);
			if (memcmp(ans[i], want, TI_REQ_LEN))
				return gfail(t->idx, "answer %u differs", i);
			bypass_close(ctx, fd[i]);	/* also leaves the set */
			gside->out_done[t->idx] = ++done;
		}
	}
	/* Until the parent stops us: FINs and their ACKs. */
	while (!app_stopping())
		bypass_epoll_wait(ctx, ep, evs, 1, 50);
	return 0;
}

static void *gthread_main(void *arg)
{
	struct gthread *t = arg;

	return (void *)(intptr_t)(t->dial ? dial(t) : serve(t));
}

/* The group's child: @dial 0 serves, 1 connects out. */
static int group_app(int ready, int dial_out)
{
	struct bypass_group_config gc = {
		.nr_contexts = THREADS,
		.ctx = { .device = tl_nic(), .max_sockets = MAX_FDS,
			 .stack = { .prefix_len = 24 } },
	};
	struct gthread t[THREADS];
	struct bypass_group *g;
	struct bypass_counters c;
	int r, i, failed = 0;
	void *ret;

	inet_pton(AF_INET, TL_BYPASS_IP, &gc.ctx.stack.addr);
	r = bypass_group_open(&gc, &g);
	if (r)
		return gfail(0, "group: %s", strerror(-r));
	for (i = 0; i < THREADS; i++) {
		t[i].ctx = bypass_group_ctx(g, (unsigned int)i);
		t[i].idx = (unsigned int)i;
		t[i].dial = dial_out;
		if (pthread_create(&t[i].th, NULL, gthread_main, &t[i]))
			return gfail((unsigned int)i, "pthread_create");
	}
	if (write(ready, "r", 1) != 1)
		return -1;
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i].th, &ret);
		failed |= ret != NULL;
		bypass_stack_counters(bypass_ctx_stack(t[i].ctx), &c);
		gside->rx_frames[i] = c.ring.rx_frames;
		gside->tcp_rx[i] = c.tcp.rx;
		bypass_group_stats(g, (unsigned int)i, &gside->gs[i]);
	}
	bypass_group_destroy(g);
	return failed ? -1 : 0;
}

/* Whether the claimed NIC has @n queue pairs. */
static bool nic_has_pairs(unsigned int n)
{
	struct bypass_info info;
	int fd = tl_open_attached();
	bool ok;

	if (fd < 0)
		return false;
	ok = !tl_info(fd, &info) && info.max_queue_pairs >= n;
	close(fd);
	return ok;
}

static int linux_clients(void *arg)
{
	(void)arg;
	if (ti_linux_enter(4096))
		return ti_fail(&rep->lnx, "peer netns");
	return ti_linux_rr_clients(PORT, NCONNS, -1, &rep->lnx);
}

static int linux_server(void *arg)
{
	int l, ready = *(int *)arg;

	if (ti_linux_enter(4096))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PEER_PORT, THREADS * OUT_PER_THREAD);
	if (l < 0 || write(ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	if (fcntl(l, F_SETFL, O_NONBLOCK))
		return ti_fail(&rep->lnx, "fcntl: %s", strerror(errno));
	return ti_linux_rr_server(l, THREADS * OUT_PER_THREAD, &rep->lnx);
}

/*
 * Read @len bytes of @fd (blocking, each wait bounded): 0 or -1. For the
 * late server, whose sockets are blocking.
 */
static int read_full(int fd, uint8_t *p, size_t len)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (len) {
		if (poll(&pf, 1, TI_IDLE_MS) != 1)
			return -1;
		n = recv(fd, p, len, 0);
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * A Linux server that answers late: it takes every connection's request,
 * lets all of them idle IDLE_MS (the tap's flow cache forgets a flow idle
 * for 3 s: what Linux sends next lands on the queue its hash picks, which
 * need not be the one of the context that dialled it), then answers each.
 */
static int linux_late_server(void *arg)
{
	static int fds[THREADS * OUT_PER_THREAD];
	static uint8_t req[THREADS * OUT_PER_THREAD][TI_REQ_LEN];
	int l, i, n = THREADS * OUT_PER_THREAD, ready = *(int *)arg;
	struct pollfd pf;
	uint8_t ans[TI_REQ_LEN], c;

	if (ti_linux_enter(4096))
		return ti_fail(&rep->lnx, "peer netns");
	l = ti_linux_listen(PEER_PORT, n);
	if (l < 0 || write(ready, "r", 1) != 1)
		return ti_fail(&rep->lnx, "listen: %s", strerror(errno));
	pf.fd = l;
	pf.events = POLLIN;
	for (i = 0; i < n; i++) {
		if (poll(&pf, 1, TI_IDLE_MS) != 1 || (fds[i] = accept(l, NULL, NULL)) < 0)
			return ti_fail(&rep->lnx, "%d of %d accepted", i, n);
		rep->lnx.conns++;
	}
	for (i = 0; i < n; i++)
		if (read_full(fds[i], req[i], TI_REQ_LEN))
			return ti_fail(&rep->lnx, "request %d: %s", i, strerror(errno));
	usleep(IDLE_MS * 1000);	/* the idle time under test */
	for (i = 0; i < n; i++) {
		ti_answer(req[i], ans);
		if (send(fds[i], ans, TI_REQ_LEN, MSG_NOSIGNAL) != TI_REQ_LEN)
			return ti_fail(&rep->lnx, "send %d: %s", i, strerror(errno));
		rep->lnx.served++;
	}
	for (i = 0; i < n; i++) {
		pf.fd = fds[i];
		if (poll(&pf, 1, TI_IDLE_MS) != 1 || recv(fds[i], &c, 1, 0) != 0)
			return ti_fail(&rep->lnx, "no EOF on %d", i);
		close(fds[i]);
	}
	return 0;
}

static void log_group(struct __test_metadata *_metadata)
{
	int i;

	for (i = 0; i < THREADS; i++)
		TH_LOG("thread %d: accepted %u, served %u, dialled %u; its queue: %llu frames in, "
		       "%llu segments; handed over %llu out, %llu in; neighbours shared %llu, "
		       "learnt from others %llu; unowned %llu",
		       i, gside->accepted[i], gside->served[i], gside->out_done[i],
		       (unsigned long long)gside->rx_frames[i],
		       (unsigned long long)gside->tcp_rx[i],
		       (unsigned long long)gside->gs[i].handoff_out,
		       (unsigned long long)gside->gs[i].handoff_in,
		       (unsigned long long)gside->gs[i].neigh_out,
		       (unsigned long long)gside->gs[i].neigh_in,
		       (unsigned long long)gside->gs[i].unowned);
}

FIXTURE(group) {
	char peer_if[IFNAMSIZ];
	pid_t app, peer;
};

FIXTURE_SETUP(group)
{
	ASSERT_EQ(0, ti_setup(self->peer_if, sizeof(self->peer_if)));
	/* A claim puts one pair in use: a group of THREADS needs as many. */
	if (tl_nic_pairs() >= THREADS)
		ASSERT_EQ(0, tl_set_pairs(THREADS));
	rep = ti_report_new();
	ASSERT_NE(NULL, rep);
	gside = mmap(NULL, sizeof(*gside), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gside);
}

FIXTURE_TEARDOWN(group)
{
	if (self->peer > 0)
		ti_wait(self->peer, 0);
	if (self->app > 0)
		tl_stop_app(self->app);
	munmap(gside, sizeof(*gside));
	munmap(rep, sizeof(*rep));
	EXPECT_EQ(0, tl_release());
}

/* The Linux side's end, then the group's app stopped; both logged. */
static void finish_run(struct __test_metadata *_metadata, FIXTURE_DATA(group) *self)
{
	EXPECT_EQ(0, ti_wait(self->peer, BOUND_MS)) TH_LOG("Linux: %s", rep->lnx.why);
	self->peer = 0;
	EXPECT_EQ(0, tl_stop_app(self->app))
		TH_LOG("bypass: %s / %s", gside->why[0], gside->why[1]);
	self->app = 0;
	log_group(_metadata);
	EXPECT_STREQ("", rep->lnx.why);
}

TEST_F_TIMEOUT(group, two_threads_serve_500_linux_clients, 400)
{
	static uint8_t seen[65536];
	uint32_t i, k, total = 0;

	if (!nic_has_pairs(THREADS))
		SKIP(return, "needs a NIC with 2 queue pairs (selftests/vm/run --tap 2)");
	self->app = tl_start_app(group_app, 0);
	ASSERT_LT(0, self->app);
	self->peer = ti_fork(linux_clients, NULL);
	ASSERT_LT(0, self->peer);
	finish_run(_metadata, self);
	EXPECT_EQ(NCONNS, rep->lnx.conns);
	EXPECT_EQ(NCONNS, rep->lnx.served);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < THREADS; i++) {
		EXPECT_STREQ("", gside->why[i]);
		/* Both threads serve, each what it accepted, nothing else. */
		EXPECT_LT(0, gside->accepted[i]);
		EXPECT_EQ(gside->accepted[i], gside->served[i]);
		EXPECT_LT(0, gside->rx_frames[i]);
		for (k = 0; k < gside->accepted[i] && k < NCONNS; k++) {
			EXPECT_EQ(0, seen[gside->ports[i][k]]);
			seen[gside->ports[i][k]] = 1;
		}
		total += gside->accepted[i];
	}
	EXPECT_EQ(NCONNS, total);
}

/*
 * Both threads of a new group (neither context knows the peer's MAC yet)
 * dial OUT_PER_THREAD connections at once to the Linux server @server
 * (forked; it says when it listens): every answer must reach the thread
 * that dialled it.
 */
static void dial_linux(struct __test_metadata *_metadata,
		       FIXTURE_DATA(group) *self, int (*server)(void *arg))
{
	int ready[2], i;

	ASSERT_EQ(0, pipe(ready));
	self->peer = ti_fork(server, &ready[1]);
	ASSERT_LT(0, self->peer);
	close(ready[1]);
	ASSERT_EQ(0, ti_read_byte(ready[0], 30000));
	close(ready[0]);
	self->app = tl_start_app(group_app, 1);
	ASSERT_LT(0, self->app);
	finish_run(_metadata, self);
	EXPECT_EQ(THREADS * OUT_PER_THREAD, rep->lnx.served);
	for (i = 0; i < THREADS; i++) {
		EXPECT_STREQ("", gside->why[i]);
		EXPECT_EQ(OUT_PER_THREAD, gside->out_done[i]);
		EXPECT_EQ(0, gside->gs[i].handoff_dropped);
		EXPECT_EQ(0, gside->gs[i].unowned);
	}
}

TEST_F_TIMEOUT(group, both_threads_connect_out_at_once, 300)
{
	if (!nic_has_pairs(THREADS))
		SKIP(return, "needs a NIC with 2 queue pairs (selftests/vm/run --tap 2)");
	dial_linux(_metadata, self, linux_server);
}

TEST_F_TIMEOUT(group, flows_idle_past_the_tap_cache_reach_their_owner, 300)
{
	uint64_t out = 0, in = 0;
	int i;

	if (!nic_has_pairs(THREADS))
		SKIP(return, "needs a NIC with 2 queue pairs (selftests/vm/run --tap 2)");
	/* Every late answer must reach the thread that dialled... */
	dial_linux(_metadata, self, linux_late_server);
	for (i = 0; i < THREADS; i++) {
		out += gside->gs[i].handoff_out;
		in += gside->gs[i].handoff_in;
	}
	/* ... though some landed on the other queue, and went to their owner. */
	EXPECT_LT(0, out);
	EXPECT_EQ(out, in);
}

TEST_F_TIMEOUT(group, http_server_two_threads_under_wrk, 200)
{
	char *args[] = { "--bypass", "--addr", TL_BYPASS_IP, "--port", "80",
			 "--root", "/tmp/group-www", "--threads", "2", NULL };
	static char out[32768], last[4096];
	double reqs, errs = 0, t0, t1;
	pid_t srv;
	int rc;

	if (!nic_has_pairs(THREADS))
		SKIP(return, "needs a NIC with 2 queue pairs (selftests/vm/run --tap 2)");
	ASSERT_EQ(0, system("mkdir -p /tmp/group-www && "
			    "printf '<h1>bypass</h1>%0500d\\n' 0 >/tmp/group-www/page.html"));
	ASSERT_EQ(0, ex_wrk_script("/tmp/group-wrk.lua"));
	srv = ex_start("http_server", args);
	ASSERT_LT(0, srv);
	rc = ex_peer_sh("/tmp/group-wrk.out", 60,
			"wrk -t 2 -c 64 -d 10s --timeout 5s -s /tmp/group-wrk.lua "
			"http://" TL_BYPASS_IP ":80/page.html");
	EXPECT_EQ(0, ex_stop_read(srv, last, sizeof(last)));
	ASSERT_EQ(0, ex_slurp("/tmp/group-wrk.out", out, sizeof(out)));
	reqs = ex_number_after(out, "requests:", -1);
	errs += ex_number_after(out, "errors connect:", -1);
	errs += ex_number_after(out, "errors read:", -1);
	errs += ex_number_after(out, "errors write:", -1);
	errs += ex_number_after(out, "errors timeout:", -1);
	errs += ex_number_after(out, "errors status:", -1);
	t0 = ex_number_after(last, "thread 0:", -1);
	t1 = ex_number_after(last, "thread 1:", -1);
	TH_LOG("wrk -c 64 -d 10s: exit %d, %.0f requests, %.1f/s, errors %.0f; "
	       "thread 0 served %.0f, thread 1 %.0f", rc, reqs,
	       ex_number_after(out, "Requests/sec:", 0), errs, t0, t1);
	if (rc || errs)
		ex_log_text(out);
	EXPECT_EQ(0, rc);
	EXPECT_LT(0, reqs);
	EXPECT_EQ(0, errs);
	EXPECT_LT(0, t0);
	EXPECT_LT(0, t1);
	EXPECT_LE(reqs, t0 + t1);
}

TEST_HARNESS_MAIN
