/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the TCP interop selftests (tcp_bulk, tcp_many,
 * tcp_rst, tcp_backlog): the byte pattern every
 * transfer is checked against, a report page shared with the forked
 * peers, the Linux side (sockets in the "peer" netns) and the bypass side
 * (loops over one stack) of a bulk transfer and of small request/response
 * exchanges, bounded child waits and tc netem on the Linux NIC (also
 * used by http_clients).
 */
#ifndef BYPASS_TCP_INTEROP_H
#define BYPASS_TCP_INTEROP_H

#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include "rawring.h"
#include "stacklib.h"

#include "bypass_tcp.h"

#define TI_PEER_IP	"192.0.2.2"
#define TI_SEG		1448		/* a full segment with timestamps */
#define TI_REQ_LEN	64		/* request and response size */
#define TI_MAX_CONNS	1024		/* libbypass's default max_conns */
#define TI_IDLE_MS	20000		/* longest wait without progress */

#define TI_SEED_LINUX	11		/* the stream Linux sends */
#define TI_SEED_BYPASS	22		/* the stream bypass sends */

/* ---- the pattern ---------------------------------------------------- */

/* Eight bytes of stream @seed: a hash of the offset, so no shift goes unseen. */
static inline uint64_t ti_word(uint32_t seed, uint64_t k)
{
	uint64_t w = (k ^ ((uint64_t)seed << 40)) * 0x9e3779b97f4a7c15ull;

	return w ^ (w >> 29);
}

/* Bytes [@off, @off + @len) of stream @seed into @p. */
static inline void ti_fill(uint32_t seed, uint64_t off, uint8_t *p, size_t len)
{
	uint64_t w;
	unsigned int j;

	while (len) {
		w = ti_word(seed, off >> 3);
		for (j = off & 7; j < 8 && len; j++, len--, off++)
			*p++ = (uint8_t)(w >> (8 * j));
	}
}

/* Index of the first byte of @p that is not stream @seed at @off, or -1. */
static inline long ti_check(uint32_t seed, uint64_t off, const uint8_t *p,
			    size_t len)
{
	uint8_t want[256];
	size_t i, n, done = 0;

	while (done < len) {
		n = len - done < sizeof(want) ? len - done : sizeof(want);
		ti_fill(seed, off + done, want, n);
		if (memcmp(want, p + done, n))
			for (i = 0; i < n; i++)
				if (want[i] != p[done + i])
					return (long)(done + i);
		done += n;
	}
	return -1;
}

/* The request of connection @idx, and the answer it expects. */
static inline void ti_request(uint32_t idx, uint8_t *p)
{
	ti_fill(0x1000 + idx, 0, p, TI_REQ_LEN);
}

static inline void ti_answer(const uint8_t *req, uint8_t *p)
{
	int i;

	for (i = 0; i < TI_REQ_LEN; i++)
		p[i] = (uint8_t)(req[TI_REQ_LEN - 1 - i] ^ 0xa5);
}

/* ---- what the forked peers report ------------------------------------ */

/*
 * struct ti_side - one side's account, in a MAP_SHARED page so that a
 * forked child can fill it: @why is the first failure, "" when none.
 */
struct ti_side {
	uint64_t bytes_in, bytes_out;
	long ms_in, ms_out;		/* from start to the last byte */
	uint32_t conns, served, peak;
	uint32_t no_ts;			/* connections without timestamps */
	uint64_t overflows;		/* SYNs a full accept queue dropped */
	uint64_t segs_in, segs_out, drops;	/* bypass stack counters */
	char drop_names[200];			/* " reason=count"... */
	int err;			/* an errno the test expects */
	char why[200];
};

struct ti_report {
	struct ti_side lnx, byp;
};

static inline struct ti_report *ti_report_new(void)
{
	void *p = mmap(NULL, sizeof(struct ti_report), PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

/* Record the first failure; returns -1 for "return ti_fail(...)". */
static inline int __attribute__((format(printf, 2, 3)))
ti_fail(struct ti_side *s, const char *fmt, ...)
{
	va_list ap;

	if (!s->why[0]) {
		va_start(ap, fmt);
		vsnprintf(s->why, sizeof(s->why), fmt, ap);
		va_end(ap);
		if (!s->why[0])
			s->why[0] = '?';
	}
	return -1;
}

/* Mbit/s of @bytes in @ms, for the log. */
static inline double ti_mbit(uint64_t bytes, long ms)
{
	return ms > 0 ? (double)bytes * 8.0 / 1000.0 / (double)ms : 0.0;
}

/* In a TEST: log a bulk transfer's rates and the bypass stack's counters. */
#define TI_LOG_BULK(r) do {						\
	TH_LOG("Linux -> bypass: %llu bytes in %ld ms, %.1f Mbit/s",	\
	       (unsigned long long)(r)->byp.bytes_in, (r)->byp.ms_in,	\
	       ti_mbit((r)->byp.bytes_in, (r)->byp.ms_in));		\
	TH_LOG("bypass -> Linux: %llu bytes in %ld ms, %.1f Mbit/s",	\
	       (unsigned long long)(r)->lnx.bytes_in, (r)->lnx.ms_in,	\
	       ti_mbit((r)->lnx.bytes_in, (r)->lnx.ms_in));		\
	TH_LOG("bypass stack: %llu segments in, %llu out, %llu frames dropped:%s", \
	       (unsigned long long)(r)->byp.segs_in,			\
	       (unsigned long long)(r)->byp.segs_out,			\
	       (unsigned long long)(r)->byp.drops, (r)->byp.drop_names); \
} while (0)

/* ---- children --------------------------------------------------------- */

/* Fork @fn(@arg); its return value becomes the exit status (0 = success). */
static inline pid_t ti_fork(int (*fn)(void *arg), void *arg)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	return pid;
}

static inline int ti_pidfd(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

/*
 * Wait at most @ms for child @pid: its exit status (0..255), or -1 when
 * it died of a signal, or -ETIMEDOUT (it is then killed and reaped).
 */
static inline int ti_wait(pid_t pid, long ms)
{
	int pfd = ti_pidfd(pid), status = 0;
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	if (pfd < 0)
		return -errno;
	if (poll(&p, 1, (int)ms) != 1) {
		close(pfd);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		return -ETIMEDOUT;
	}
	close(pfd);
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Keep stack @st running (retransmissions, FINs, ACKs) until child @pid
 * exits, at most @ms: as ti_wait().
 */
static inline int ti_serve_until_exit(struct bypass_stack *st, pid_t pid,
				      long ms)
{
	int pfd = ti_pidfd(pid), status = 0;
	struct pollfd p = { .fd = pfd, .events = POLLIN };
	long end = tl_now_ms() + ms;

	if (pfd < 0)
		return -errno;
	while (poll(&p, 1, 0) != 1) {
		if (tl_now_ms() > end) {
			close(pfd);
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -ETIMEDOUT;
		}
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		bypass_stack_flush(st);
	}
	close(pfd);
	if (waitpid(pid, &status, 0) != pid)
		return -ECHILD;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Read one byte from @fd within @ms: 0, or -1. */
static inline int ti_read_byte(int fd, long ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, (int)ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return 0;
}

/* ---- netem on the Linux NIC ------------------------------------------ */

#define TI_IFB		"ifbpeer"	/* carries the Linux NIC's inbound frames */

/*
 * Shape the Linux NIC @ifname (in the peer netns) with netem @spec, e.g.
 * "loss 1% delay 1ms": what Linux sends and, with @inbound, also what it
 * receives, which an ingress filter redirects through ifb device TI_IFB
 * where the same netem runs.
 */
static inline int ti_shape(const char *ifname, const char *spec, bool inbound)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec peer sh -c 'tc qdisc replace dev %s root netem %s", ifname, spec);
	if (inbound)
		snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd),
			 " && ip link add " TI_IFB " type ifb && ip link set " TI_IFB " up"
			 " && tc qdisc add dev %s handle ffff: ingress"
			 " && tc filter add dev %s parent ffff: matchall"
			 " action mirred egress redirect dev " TI_IFB
			 " && tc qdisc add dev " TI_IFB " root netem %s",
			 ifname, ifname, spec);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), "'");
	return system(cmd) == 0 ? 0 : -1;
}

/*
 * Take the shaping of ti_shape() off: 0 when there was outbound shaping
 * to remove; inbound shaping goes too when there is any.
 */
static inline int ti_unshape(const char *ifname)
{
	char cmd[400];

	snprintf(cmd, sizeof(cmd),
		 "ip netns exec peer sh -c 'tc qdisc del dev %s root 2>/dev/null; r=$?; "
		 "tc qdisc del dev %s ingress 2>/dev/null; "
		 "ip link del " TI_IFB " 2>/dev/null; exit $r'", ifname, ifname);
	return system(cmd) == 0 ? 0 : -1;
}

/* 5% loss, 25% reordering, 2% duplicates, 20 ms delay on what Linux sends; or off. */
static inline int ti_netem(const char *ifname, int on)
{
	if (!on)
		return ti_unshape(ifname);
	return ti_shape(ifname, "delay 20ms reorder 25% 50% loss 5% duplicate 2% "
			"limit 10000", false);
}

/*
 * A fixture's setup: the peer netns without any shaping left by a test
 * that was killed before its teardown, and the test NIC claimed.
 */
static inline int ti_setup(char *ifname, size_t len)
{
	if (tl_peer_netns(ifname, len))
		return -1;
	ti_unshape(ifname);	/* usually there is nothing to remove */
	return tl_claim();
}

/* ---- the Linux side (runs in a child, in the peer netns) ------------- */

/* Enter the peer netns, allow @nfiles descriptors. */
static inline int ti_linux_enter(rlim_t nfiles)
{
	struct rlimit r = { nfiles, nfiles };

	if (tl_enter_peer())
		return -1;
	return setrlimit(RLIMIT_NOFILE, &r);
}

static inline int ti_linux_listen(uint16_t port, int backlog)
{
	struct sockaddr_in me = { .sin_family = AF_INET, .sin_port = htons(port) };
	int l, one = 1;

	inet_pton(AF_INET, TI_PEER_IP, &me.sin_addr);
	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0)
		return -1;
	if (setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(l, (void *)&me, sizeof(me)) || listen(l, backlog)) {
		close(l);
		return -1;
	}
	return l;
}

/* A non-blocking connect to the bypass address:@port (in progress). */
static inline int ti_linux_connect(uint16_t port)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(port) };
	int s;

	inet_pton(AF_INET, TL_BYPASS_IP, &to.sin_addr);
	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s < 0)
		return -1;
	if (connect(s, (void *)&to, sizeof(to)) && errno != EINPROGRESS) {
		close(s);
		return -1;
	}
	return s;
}

/* Wait at most @ms for a non-blocking connect: 0 or its errno. */
static inline int ti_linux_connected(int s, long ms)
{
	struct pollfd p = { .fd = s, .events = POLLOUT };
	socklen_t len = sizeof(int);
	int err = 0;

	if (poll(&p, 1, (int)ms) != 1)
		return ETIMEDOUT;
	if (getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len))
		return errno;
	return err;
}

/*
 * Send @out bytes of stream @seed_out on @s while receiving and checking
 * @in bytes of @seed_in; half-close after the last byte; expect EOF right
 * after the last byte in. Fills @rep's byte counts and times.
 */
static inline int ti_linux_bulk(int s, uint64_t out, uint32_t seed_out,
				uint64_t in, uint32_t seed_in,
				struct ti_side *rep)
{
	static uint8_t obuf[65536], ibuf[65536];
	uint64_t sent = 0, got = 0;
	size_t olen = 0, ooff = 0;
	long t0 = tl_now_ms(), bad;
	struct pollfd p = { .fd = s };
	bool shut = false, eof = false;
	ssize_t n;
	int fl = fcntl(s, F_GETFL);

	if (fl < 0 || fcntl(s, F_SETFL, fl | O_NONBLOCK))
		return ti_fail(rep, "fcntl: %s", strerror(errno));
	while (!eof || !shut) {
		p.events = (eof ? 0 : POLLIN) | (shut ? 0 : POLLOUT);
		if (poll(&p, 1, TI_IDLE_MS) != 1)
			return ti_fail(rep, "no progress for %d ms: sent %llu, got %llu",
				       TI_IDLE_MS, (unsigned long long)sent,
				       (unsigned long long)got);
		if (!shut && (p.revents & (POLLOUT | POLLERR))) {
			if (ooff == olen) {
				olen = out - sent < sizeof(obuf) ? out - sent : sizeof(obuf);
				ti_fill(seed_out, sent, obuf, olen);
				ooff = 0;
			}
			n = olen ? send(s, obuf + ooff, olen - ooff, MSG_NOSIGNAL) : 0;
			if (n < 0 && errno != EAGAIN)
				return ti_fail(rep, "send after %llu: %s",
					       (unsigned long long)sent, strerror(errno));
			if (n > 0) {
				ooff += (size_t)n;
				sent += (uint64_t)n;
				rep->bytes_out = sent;
			}
			if (sent == out) {
				if (shutdown(s, SHUT_WR))
					return ti_fail(rep, "shutdown: %s", strerror(errno));
				shut = true;
				rep->ms_out = tl_now_ms() - t0;
			}
		}
		if (!eof && (p.revents & (POLLIN | POLLHUP | POLLERR))) {
			n = recv(s, ibuf, sizeof(ibuf), 0);
			if (n < 0 && errno != EAGAIN)
				return ti_fail(rep, "recv after %llu: %s",
					       (unsigned long long)got, strerror(errno));
			if (n == 0) {
				if (got != in)
					return ti_fail(rep, "EOF after %llu of %llu bytes",
						       (unsigned long long)got,
						       (unsigned long long)in);
				eof = true;
			}
			if (n > 0) {
				if (got + (uint64_t)n > in)
					return ti_fail(rep, "%llu bytes, more than %llu",
						       (unsigned long long)(got + n),
						       (unsigned long long)in);
				bad = ti_check(seed_in, got, ibuf, (size_t)n);
				if (bad >= 0)
					return ti_fail(rep, "byte %llu differs",
						       (unsigned long long)(got + bad));
				got += (uint64_t)n;
				rep->bytes_in = got;
				if (got == in)
					rep->ms_in = tl_now_ms() - t0;
			}
		}
	}
	return 0;
}

/*
 * Answer requests on @l: accept @n connections, each sends TI_REQ_LEN
 * bytes, gets ti_answer() of them and closes; we close after its EOF.
 * @rep->peak counts connections open at once.
 */
static inline int ti_linux_rr_server(int l, uint32_t n, struct ti_side *rep)
{
	static struct pollfd p[TI_MAX_CONNS + 1];
	static uint8_t req[TI_MAX_CONNS + 1][TI_REQ_LEN];
	static uint32_t got[TI_MAX_CONNS + 1];
	uint8_t ans[TI_REQ_LEN], tmp[TI_REQ_LEN];
	uint32_t open = 0, i;
	ssize_t r;
	int s;

	if (n > TI_MAX_CONNS)
		return ti_fail(rep, "too many");
	p[0].fd = l;
	p[0].events = POLLIN;
	for (i = 1; i <= n; i++)
		p[i].fd = -1;
	while (rep->served < n || open) {
		if (poll(p, n + 1, TI_IDLE_MS) <= 0)
			return ti_fail(rep, "no progress: %u accepted, %u served, %u open",
				       rep->conns, rep->served, open);
		if (p[0].revents & POLLIN && rep->conns < n) {
			s = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (s < 0 && errno != EAGAIN)
				return ti_fail(rep, "accept: %s", strerror(errno));
			if (s >= 0) {
				rep->conns++;
				p[rep->conns].fd = s;
				p[rep->conns].events = POLLIN;
				got[rep->conns] = 0;
				if (++open > rep->peak)
					rep->peak = open;
			}
		}
		for (i = 1; i <= n; i++) {
			if (p[i].fd < 0 || !p[i].revents)
				continue;
			if (got[i] < TI_REQ_LEN) {
				r = recv(p[i].fd, req[i] + got[i], TI_REQ_LEN - got[i], 0);
			} else {
				r = recv(p[i].fd, tmp, sizeof(tmp), 0);
				if (r > 0)
					return ti_fail(rep, "more than a request");
			}
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r < 0)
				return ti_fail(rep, "recv: %s", strerror(errno));
			if (r == 0) {
				if (got[i] != TI_REQ_LEN)
					return ti_fail(rep, "EOF after %u request bytes",
						       got[i]);
				close(p[i].fd);
				p[i].fd = -1;
				open--;
				continue;
			}
			got[i] += (uint32_t)r;
			if (got[i] == TI_REQ_LEN) {
				ti_answer(req[i], ans);
				if (send(p[i].fd, ans, TI_REQ_LEN, MSG_NOSIGNAL) != TI_REQ_LEN)
					return ti_fail(rep, "send: %s", strerror(errno));
				rep->served++;
			}
		}
	}
	return 0;
}

/* ti_linux_rr_clients() connects this many first, the rest once they are. */
static uint32_t ti_rr_first;

/*
 * @n Linux clients to the bypass address:@port, all connected before any
 * sends its request (ti_request(i)); every answer is checked, then all
 * close. Writes a byte to @connected_fd (if >= 0) once all are connected.
 * @rep->no_ts counts connections without timestamps (SYN cookies).
 */
static inline int ti_linux_rr_clients(uint16_t port, uint32_t n,
				      int connected_fd, struct ti_side *rep)
{
	static struct pollfd p[TI_MAX_CONNS];
	static uint8_t ans[TI_MAX_CONNS][TI_REQ_LEN];
	static uint32_t got[TI_MAX_CONNS];
	uint8_t req[TI_REQ_LEN], want[TI_REQ_LEN];
	socklen_t len = sizeof(int), tlen = sizeof(struct tcp_info);
	uint32_t i, pending, made, done = 0;
	struct tcp_info ti;
	long t0 = tl_now_ms();
	int err;
	ssize_t r;

	if (n > TI_MAX_CONNS)
		return ti_fail(rep, "too many");
	made = ti_rr_first && ti_rr_first < n ? ti_rr_first : n;
	for (i = 0; i < n; i++) {
		p[i].fd = i < made ? ti_linux_connect(port) : -1;
		if (i < made && p[i].fd < 0)
			return ti_fail(rep, "connect %u: %s", i, strerror(errno));
		p[i].events = POLLOUT;
		got[i] = 0;
	}
	/* Every connect completes before anything is sent. */
	for (pending = n; pending;) {
		if (made < n && pending == n - made) {
			/* The first ones are in: the others now. */
			for (i = made; i < n; i++) {
				p[i].fd = ti_linux_connect(port);
				if (p[i].fd < 0)
					return ti_fail(rep, "connect %u: %s", i,
						       strerror(errno));
			}
			made = n;
		}
		if (poll(p, made, TI_IDLE_MS) <= 0)
			return ti_fail(rep, "%u of %u connects pending", pending, n);
		for (i = 0; i < made; i++) {
			if (!p[i].revents || !(p[i].events & POLLOUT))
				continue;
			if (getsockopt(p[i].fd, SOL_SOCKET, SO_ERROR, &err, &len) || err)
				return ti_fail(rep, "connect %u: %s", i, strerror(err));
			p[i].events = 0;
			pending--;
			rep->conns++;
			if (getsockopt(p[i].fd, IPPROTO_TCP, TCP_INFO, &ti, &tlen))
				return ti_fail(rep, "TCP_INFO: %s", strerror(errno));
			rep->no_ts += !(ti.tcpi_options & TCPI_OPT_TIMESTAMPS);
		}
	}
	rep->ms_out = tl_now_ms() - t0;
	if (connected_fd >= 0 && write(connected_fd, "c", 1) != 1)
		return ti_fail(rep, "write: %s", strerror(errno));
	for (i = 0; i < n; i++) {
		ti_request(i, req);
		if (send(p[i].fd, req, TI_REQ_LEN, MSG_NOSIGNAL) != TI_REQ_LEN)
			return ti_fail(rep, "send %u: %s", i, strerror(errno));
		p[i].events = POLLIN;
	}
	while (done < n) {
		if (poll(p, n, TI_IDLE_MS) <= 0)
			return ti_fail(rep, "%u of %u answers", done, n);
		for (i = 0; i < n; i++) {
			if (!p[i].revents || !(p[i].events & POLLIN))
				continue;
			r = recv(p[i].fd, ans[i] + got[i], TI_REQ_LEN - got[i], 0);
			if (r < 0 && errno == EAGAIN)
				continue;
			if (r <= 0)
				return ti_fail(rep, "conn %u: %s after %u bytes", i,
					       r ? strerror(errno) : "EOF", got[i]);
			got[i] += (uint32_t)r;
			if (got[i] < TI_REQ_LEN)
				continue;
			ti_request(i, req);
			ti_answer(req, want);
			if (memcmp(want, ans[i], TI_REQ_LEN))
				return ti_fail(rep, "conn %u: wrong answer", i);
			p[i].events = 0;
			done++;
			rep->served++;
		}
	}
	rep->ms_in = tl_now_ms() - t0;
	for (i = 0; i < n; i++)
		close(p[i].fd);
	return 0;
}

/* ---- the bypass side ------------------------------------------------- */

/*
 * Send @out bytes of @seed_out on @c and receive and check @in bytes of
 * @seed_in, half-closing after the last byte, until the peer's FIN; by
 * @deadline (tl_now_ms()). Fills @rep. The connection stays open.
 */
static inline int ti_bypass_bulk(struct bypass_stack *st,
				 struct bypass_tcp_conn *c, uint64_t out,
				 uint32_t seed_out, uint64_t in,
				 uint32_t seed_in, long deadline,
				 struct ti_side *rep)
{
	uint64_t sent = 0, got = 0;
	struct bypass_buf *b;
	long t0 = tl_now_ms(), bad;
	bool shut = false;
	int r;

	while (!shut || !bypass_tcp_eof(c)) {
		if (tl_now_ms() > deadline)
			return ti_fail(rep, "deadline: sent %llu, got %llu, %s",
				       (unsigned long long)sent,
				       (unsigned long long)got,
				       bypass_tcp_state_name(bypass_tcp_state(c)));
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		if (bypass_tcp_error(c))
			return ti_fail(rep, "connection error %d",
				       bypass_tcp_error(c));
		while ((b = bypass_tcp_recv(c))) {
			if (got + b->len > in) {
				bypass_buf_put(b);
				return ti_fail(rep, "more than %llu bytes",
					       (unsigned long long)in);
			}
			bad = ti_check(seed_in, got, b->data, b->len);
			if (bad >= 0) {
				bypass_buf_put(b);
				return ti_fail(rep, "byte %llu differs",
					       (unsigned long long)(got + bad));
			}
			got += b->len;
			bypass_buf_put(b);
			rep->bytes_in = got;
			if (got == in)
				rep->ms_in = tl_now_ms() - t0;
		}
		if (bypass_tcp_eof(c) && got != in)
			return ti_fail(rep, "EOF after %llu bytes",
				       (unsigned long long)got);
		while (sent < out && bypass_tcp_send_room(c)) {
			b = bypass_buf_alloc(bypass_stack_pool(st));
			if (!b)
				break;
			b->len = out - sent < TI_SEG ? (uint32_t)(out - sent) : TI_SEG;
			ti_fill(seed_out, sent, b->data, b->len);
			r = bypass_tcp_send(c, b);
			if (r)
				return ti_fail(rep, "send: %d", r);
			sent += b->len;
			rep->bytes_out = sent;
		}
		if (sent == out && !shut) {
			r = bypass_tcp_shutdown(c);
			if (r)
				return ti_fail(rep, "shutdown: %d", r);
			shut = true;
			rep->ms_out = tl_now_ms() - t0;
		}
		bypass_stack_flush(st);
	}
	return 0;
}

/* Queue @len bytes at @p on @c in one buffer: 0 or -errno. */
static inline int ti_bypass_send(struct bypass_stack *st,
				 struct bypass_tcp_conn *c, const void *p,
				 uint32_t len)
{
	struct bypass_buf *b = bypass_buf_alloc(bypass_stack_pool(st));

	if (!b)
		return -ENOBUFS;
	memcpy(b->data, p, len);
	b->len = len;
	return bypass_tcp_send(c, b);
}

/*
 * Take what @c has received into @dst (at most @want bytes in all, @have
 * so far): 0, or -EMSGSIZE when more arrives than expected.
 */
static inline int ti_bypass_take(struct bypass_tcp_conn *c, uint8_t *dst,
				 uint32_t *have, uint32_t want)
{
	struct bypass_buf *b;
	int r = 0;

	while ((b = bypass_tcp_recv(c))) {
		if (*have + b->len > want)
			r = -EMSGSIZE;
		else
			memcpy(dst + *have, b->data, b->len);
		*have += b->len;
		bypass_buf_put(b);
	}
	return r;
}

/* Record @st's TCP segment and drop counts in @rep (for the log). */
static inline void ti_bypass_counters(struct bypass_stack *st,
				      struct ti_side *rep)
{
	struct bypass_counters cnt;
	size_t len = 0;
	unsigned int i;

	bypass_stack_counters(st, &cnt);
	rep->segs_in = cnt.tcp.rx;
	rep->segs_out = cnt.tcp.tx;
	rep->drops = bypass_drops_total(&cnt);
	rep->drop_names[0] = 0;
	for (i = 0; i < BYPASS_DROP_NR && len < sizeof(rep->drop_names); i++)
		if (cnt.drops[i])
			len += (size_t)snprintf(rep->drop_names + len,
						sizeof(rep->drop_names) - len,
						" %s=%llu", bypass_drop_name(i),
						(unsigned long long)cnt.drops[i]);
}

/*
 * struct ti_rr_cfg - what ti_rr_server() does (set before starting it):
 * listen on @port with @backlog; accept nothing before a byte can be read
 * from @gate (-1: at once) or, with @open_after_overflows, before the full
 * accept queue dropped that many SYNs; answer each request, or with
 * @abort reset the connection instead; report in @rep.
 */
static struct ti_rr_cfg {
	uint16_t port;
	uint32_t backlog;
	int gate;
	uint32_t open_after_overflows;
	bool abort;
	struct ti_side *rep;
} ti_rr;

/*
 * A bypass application (tl_start_app()) answering requests: each accepted
 * connection sends TI_REQ_LEN bytes and gets ti_answer() of them; after
 * its EOF we close. @rep->conns counts accepted connections, ->served
 * answers (or resets), ->peak connections open at once. Exits non-zero
 * when anything went wrong (@rep->why says what).
 */
static inline int ti_rr_server(int ready, int arg)
{
	static struct bypass_tcp_conn *conns[TI_MAX_CONNS];
	static uint8_t req[TI_MAX_CONNS][TI_REQ_LEN];
	static uint32_t got[TI_MAX_CONNS];
	static bool answered[TI_MAX_CONNS];
	struct ti_side *rep = ti_rr.rep;
	bool open = ti_rr.gate < 0 && !ti_rr.open_after_overflows;
	struct bypass_tcp_stats ts;
	struct bypass_tcp_conn *l, *c;
	uint8_t ans[TI_REQ_LEN];
	struct bypass_stack *st;
	struct bypass_dev *dev;
	uint32_t live = 0, i;
	int r = 0;

	(void)arg;
	if (tl_open_stack(&dev, &st) ||
	    bypass_stack_tcp_listen(st, ti_rr.port, ti_rr.backlog, &l)) {
		ti_fail(rep, "stack or listener");
		return 2;
	}
	if (write(ready, "r", 1) != 1)
		return 3;
	while (!tl_app_stop) {
		bypass_stack_wait(st, 10);
		bypass_stack_poll(st);
		if (!open && ti_rr.open_after_overflows) {
			bypass_tcp_get_stats(bypass_stack_tcp(st), &ts);
			open = ts.listen_overflows >= ti_rr.open_after_overflows;
		} else if (!open) {
			struct pollfd p = { .fd = ti_rr.gate, .events = POLLIN };

			open = poll(&p, 1, 0) == 1;
		}
		while (open && (c = bypass_tcp_accept(l))) {
			if (rep->conns == TI_MAX_CONNS) {
				bypass_tcp_abort(c);
				r = ti_fail(rep, "more than %d connections",
					    TI_MAX_CONNS);
				continue;
			}
			conns[rep->conns++] = c;
			if (++live > rep->peak)
				rep->peak = live;
		}
		for (i = 0; i < rep->conns; i++) {
			c = conns[i];
			if (!c)
				continue;
			if (ti_bypass_take(c, req[i], &got[i], TI_REQ_LEN))
				r = ti_fail(rep, "conn %u: more than a request", i);
			if (bypass_tcp_error(c)) {
				r = ti_fail(rep, "conn %u: error %d", i,
					    bypass_tcp_error(c));
				bypass_tcp_close(c);
				conns[i] = NULL;
				live--;
				continue;
			}
			if (got[i] == TI_REQ_LEN && !answered[i]) {
				answered[i] = true;
				rep->served++;
				if (ti_rr.abort) {
					bypass_tcp_abort(c);
					conns[i] = NULL;
					live--;
					continue;
				}
				ti_answer(req[i], ans);
				if (ti_bypass_send(st, c, ans, TI_REQ_LEN))
					r = ti_fail(rep, "conn %u: send", i);
			}
			if (bypass_tcp_eof(c)) {
				if (!answered[i])
					r = ti_fail(rep, "conn %u: EOF after %u bytes",
						    i, got[i]);
				bypass_tcp_close(c);
				conns[i] = NULL;
				live--;
			}
		}
		bypass_stack_flush(st);
	}
	ti_bypass_counters(st, rep);
	bypass_tcp_get_stats(bypass_stack_tcp(st), &ts);
	rep->overflows = ts.listen_overflows;
	bypass_tcp_close(l);
	bypass_stack_destroy(st);
	bypass_dev_destroy(dev);
	return r ? 1 : 0;
}

#endif /* BYPASS_TCP_INTEROP_H */
