// SPDX-License-Identifier: GPL-2.0
/*
 * An unmodified-style program for test_preload: plain BSD sockets, no
 * libbypass, built without sanitizers so that libbypass-preload.so loads
 * into it. Each mode is one scenario; it prints "ready" on stdout once it
 * serves (after a call that makes the shim attach), logs what goes wrong
 * on stderr and exits 0 only when everything behaved as under Linux.
 *
 *   kernel                 AF_UNIX, loopback TCP/UDP, AF_INET6: all kernel
 *   server MODE PORT N     TCP echo for N connections; MODE epoll, epollet
 *                          (waiting with epoll_pwait2), poll, select or
 *                          blocking; stdin (a pipe) in the same wait
 *   client ADDR PORT BYTES blocking connect, options, writev, MSG_WAITALL
 *   nbclient ADDR PORT BYTES   non-blocking connect, poll, send/recv
 *   udp PORT N             UDP echo of N datagrams (recvmsg, MSG_PEEK)
 *   dns                    a datagram to port 53 (must stay on the kernel)
 *   forklisten PORT        listen, fork; the child serves one connection
 *   bgsave PORT            serve; a child closes every inherited fd
 *   dup PORT               serve one connection through a dup of it
 *   sigpipe ADDR PORT      write to a closed connection: SIGPIPE as Linux
 *   twosets                a wait on one epoll sleeps while another epoll
 *                          has a level-triggered member always ready
 *   blockedrecv PORT N     a thread echoes N datagrams with blocking recv
 *                          while the main thread busy-polls another socket
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXC	64

static int failures;

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: %s failed (errno %d %s)\n",	\
			__FILE__, __LINE__, #cond, errno, strerror(errno)); \
		failures++;						\
	}								\
} while (0)

static struct sockaddr_in sin_of(const char *a, int port)
{
	struct sockaddr_in s = { .sin_family = AF_INET, .sin_port = htons(port) };

	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

static int listener(int port, int nonblock)
{
	struct sockaddr_in s = sin_of("0.0.0.0", port);
	int one = 1, fd, v;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(fd >= 0);
	/* As nginx: non-blocking (FIONBIO) before bind decides anything. */
	CHECK(!ioctl(fd, FIONBIO, &nonblock));
	CHECK(!setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	CHECK(!setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)));
	CHECK(!setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one)));
	CHECK(!bind(fd, (void *)&s, sizeof(s)));
	CHECK(!listen(fd, 64));
	CHECK(!listen(fd, 128));	/* again, to change the backlog */
	/* Makes the shim attach before the peer is told to connect. */
	CHECK(!ioctl(fd, FIONREAD, &v));
	return fd;
}

/* Echo what is readable on @fd; 1 when the connection ended. */
static int echo_some(int fd)
{
	char buf[16384];
	ssize_t n = read(fd, buf, sizeof(buf)), w, off = 0;

	if (n == 0)
		return 1;
	if (n < 0 && errno == EAGAIN)
		return 0;
	if (n < 0) {
		CHECK(errno == ECONNRESET);
		return 1;
	}
	while (off < n) {
		w = write(fd, buf + off, (size_t)(n - off));
		if (w < 0 && errno == EAGAIN) {
			struct pollfd p = { .fd = fd, .events = POLLOUT };

			CHECK(poll(&p, 1, 5000) == 1);
			continue;
		}
		CHECK(w > 0);
		if (w <= 0)
			return 1;
		off += w;
	}
	return 0;
}

static int stdin_quit(void)
{
	char c;

	return read(0, &c, 1) <= 0 || c == 'q';
}

static void serve_epoll(int lfd, int n, int et)
{
	int ep = epoll_create1(EPOLL_CLOEXEC), done = 0, i, k;
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = lfd }, evs[16];

	CHECK(ep >= 0);
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev));
	ev.data.fd = 0;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, 0, &ev));
	ready();
	while (done < n) {
		struct timespec ts = { 10, 0 };

		/* The edge-triggered server waits with epoll_pwait2. */
		k = et ? epoll_pwait2(ep, evs, 16, &ts, NULL) : epoll_wait(ep, evs, 16, 10000);
		CHECK(k > 0);
		if (k <= 0)
			return;
		for (i = 0; i < k; i++) {
			int fd = evs[i].data.fd;

			if (fd == 0) {
				if (stdin_quit())
					return;
			} else if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN | EPOLLRDHUP | (et ? EPOLLET : 0);
					ev.data.fd = c;
					CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev));
				}
				CHECK(errno == EAGAIN);
			} else {
				int end = 0;

				/* Edge-triggered: read until EAGAIN. */
				do {
					int v = 0;

					end = echo_some(fd);
					if (end || ioctl(fd, FIONREAD, &v) || !v)
						break;
				} while (et);
				if (end) {
					CHECK(!epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL));
					CHECK(!close(fd));
					done++;
				}
			}
		}
	}
	close(ep);
}

static void serve_poll(int lfd, int n, int use_select)
{
	struct pollfd p[MAXC];
	int np = 2, done = 0, i, k;

	p[0].fd = lfd;
	p[1].fd = 0;
	p[0].events = p[1].events = POLLIN;
	/* As redis: the listener made non-blocking after listen, by fcntl. */
	CHECK(!fcntl(lfd, F_SETFL, fcntl(lfd, F_GETFL) | O_NONBLOCK));
	ready();
	while (done < n) {
		if (use_select) {
			fd_set r;
			struct timeval tv = { 10, 0 };
			int max = 0;

			FD_ZERO(&r);
			for (i = 0; i < np; i++) {
				FD_SET(p[i].fd, &r);
				if (p[i].fd > max)
					max = p[i].fd;
			}
			k = select(max + 1, &r, NULL, NULL, &tv);
			for (i = 0; i < np; i++)
				p[i].revents = FD_ISSET(p[i].fd, &r) ? POLLIN : 0;
		} else {
			k = poll(p, (nfds_t)np, 10000);
		}
		CHECK(k > 0);
		if (k <= 0)
			return;
		if (p[1].revents && stdin_quit())
			return;
		/* Every connection waiting, until EAGAIN (as redis accepts). */
		while (p[0].revents) {
			int c = accept(lfd, NULL, NULL);

			if (c < 0) {
				CHECK(errno == EAGAIN);
				break;
			}
			CHECK(!fcntl(c, F_SETFL, fcntl(c, F_GETFL) | O_NONBLOCK));
			CHECK(fcntl(c, F_GETFL) & O_NONBLOCK);
			if (np < MAXC) {
				p[np].fd = c;
				p[np++].events = POLLIN;
			}
		}
		for (i = 2; i < np; i++) {
			if (!p[i].revents || !echo_some(p[i].fd))
				continue;
			CHECK(!close(p[i].fd));
			p[i--] = p[--np];
			done++;
		}
	}
}

static void serve_blocking(int lfd, int n)
{
	int i;

	ready();
	for (i = 0; i < n; i++) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);
		int c = accept(lfd, (void *)&peer, &pl);

		CHECK(c >= 0);
		CHECK(peer.sin_family == AF_INET && pl == sizeof(peer));
		while (c >= 0 && !echo_some(c))
			;
		CHECK(!close(c));
	}
}

static int mode_server(char **a)
{
	int port = atoi(a[1]), n = atoi(a[2]);
	/* poll and select servers go non-blocking later, by fcntl. */
	int nb = !strcmp(a[0], "epoll") || !strcmp(a[0], "epollet");
	int lfd = listener(port, nb);

	if (!strcmp(a[0], "epoll") || !strcmp(a[0], "epollet"))
		serve_epoll(lfd, n, !strcmp(a[0], "epollet"));
	else if (!strcmp(a[0], "poll") || !strcmp(a[0], "select"))
		serve_poll(lfd, n, !strcmp(a[0], "select"));
	else
		serve_blocking(lfd, n);
	CHECK(!close(lfd));
	return failures;
}

static void pattern(char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		p[i] = (char)(i * 7 + i / 251);
}

/* Send @n bytes of the pattern, read them back, end the connection. */
static void exchange(int fd, size_t n)
{
	char *out = malloc(n), *in = malloc(n);
	size_t half = n / 2, got = 0;
	struct iovec iov[2] = { { out, half }, { out + half, n - half } };
	ssize_t r;

	pattern(out, n);
	CHECK(writev(fd, iov, 2) == (ssize_t)n);
	while (got < n) {
		r = recv(fd, in + got, n - got, MSG_WAITALL);
		CHECK(r > 0);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	CHECK(got == n && !memcmp(in, out, n));
	CHECK(!shutdown(fd, SHUT_WR));
	CHECK(recv(fd, in, 1, 0) == 0);
	free(out);
	free(in);
}

static int mode_client(char **a, int nonblock)
{
	struct sockaddr_in s = sin_of(a[0], atoi(a[1])), me, peer;
	socklen_t l = sizeof(me);
	struct linger lg = { 1, 5 };
	int fd = socket(AF_INET, SOCK_STREAM | (nonblock ? SOCK_NONBLOCK : 0), 0);
	int one = 1, v = 0, idle = 30, tos = 0x10;

	CHECK(fd >= 0);
	CHECK(!setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)));
	CHECK(!setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)));
	CHECK(!setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)));
	CHECK(!setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
	CHECK(!setsockopt(fd, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
	if (nonblock) {
		struct pollfd p = { .fd = fd, .events = POLLOUT };

		CHECK(connect(fd, (void *)&s, sizeof(s)) == -1 && errno == EINPROGRESS);
		CHECK(poll(&p, 1, 10000) == 1 && (p.revents & POLLOUT));
		l = sizeof(v);
		CHECK(!getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &l) && v == 0);
		CHECK(!fcntl(fd, F_SETFL, 0));
	} else {
		CHECK(!connect(fd, (void *)&s, sizeof(s)));
	}
	l = sizeof(me);
	CHECK(!getsockname(fd, (void *)&me, &l) && ntohs(me.sin_port) != 0);
	l = sizeof(peer);
	CHECK(!getpeername(fd, (void *)&peer, &l) &&
	      peer.sin_addr.s_addr == s.sin_addr.s_addr && peer.sin_port == s.sin_port);
	l = sizeof(v);
	CHECK(!getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &l) && v == 1);
	l = sizeof(v);
	CHECK(!getsockopt(fd, IPPROTO_IP, IP_TOS, &v, &l) && v == tos);
	l = sizeof(v);
	CHECK(!getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &l) && v == SOCK_STREAM);
	CHECK(!setsockopt(fd, IPPROTO_TCP, TCP_CORK, &one, sizeof(one)));
	CHECK(send(fd, "x", 1, MSG_OOB) == -1 && errno == EOPNOTSUPP);
	exchange(fd, (size_t)atol(a[2]));
	CHECK(!close(fd));
	return failures;
}

static int mode_udp(char **a)
{
	struct sockaddr_in s = sin_of("0.0.0.0", atoi(a[0])), from;
	int n = atoi(a[1]), fd = socket(AF_INET, SOCK_DGRAM, 0), i, v;
	int ep = epoll_create1(0);
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	char buf[2048], peek[4];

	CHECK(fd >= 0);
	/* In an epoll before bind decides it (the shim moves it then). */
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	CHECK(!bind(fd, (void *)&s, sizeof(s)));
	ready();
	for (i = 0; i < n; i++) {
		struct iovec iov = { buf, sizeof(buf) };
		struct msghdr m = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
		};
		ssize_t r;

		CHECK(epoll_wait(ep, &ev, 1, 10000) == 1 && ev.data.fd == fd);
		CHECK(recv(fd, peek, sizeof(peek), MSG_PEEK) > 0);
		CHECK(!ioctl(fd, FIONREAD, &v) && v > 0);
		r = recvmsg(fd, &m, 0);
		CHECK(r == v && m.msg_namelen == sizeof(from));
		CHECK(!memcmp(peek, buf, r < 4 ? (size_t)r : 4));
		CHECK(sendto(fd, buf, (size_t)r, 0, (void *)&from, sizeof(from)) == r);
	}
	CHECK(!close(fd));
	CHECK(!close(ep));
	return failures;
}

static int mode_dns(void)
{
	struct sockaddr_in s = sin_of("10.99.0.1", 53);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(sendto(fd, "q", 1, 0, (void *)&s, sizeof(s)) == 1);
	CHECK(!close(fd));
	return failures;
}

/* An nginx-like start: listen in the parent, serve in a child. */
static int mode_forklisten(char **a)
{
	struct sockaddr_in s = sin_of("0.0.0.0", atoi(a[0]));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), st = 1;
	int again = socket(AF_INET, SOCK_STREAM, 0);
	pid_t pid;

	CHECK(!bind(fd, (void *)&s, sizeof(s)));
	CHECK(!listen(fd, 16));
	/* The port is taken, as Linux says, though nothing is attached yet. */
	CHECK(bind(again, (void *)&s, sizeof(s)) == -1 && errno == EADDRINUSE);
	CHECK(!close(again));
	pid = fork();
	if (pid == 0) {
		serve_epoll(fd, 1, 0);
		_exit(failures);
	}
	CHECK(pid > 0);
	CHECK(!close(fd));	/* the parent only closes its copy */
	CHECK(waitpid(pid, &st, 0) == pid);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	return failures;
}

/* A redis-like BGSAVE: a child that closes every fd must not disturb. */
static int mode_bgsave(char **a)
{
	int lfd = listener(atoi(a[0]), 0), c, st = 1, fd;
	pid_t pid;

	ready();
	c = accept(lfd, NULL, NULL);
	CHECK(c >= 0);
	pid = fork();
	if (pid == 0) {
		/* As redis's child: its sockets first, then whatever is open. */
		close(c);
		close(lfd);
		for (fd = 3; fd < 64; fd++)
			close(fd);
		_exit(0);
	}
	CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && !WEXITSTATUS(st));
	while (!echo_some(c))
		;
	CHECK(!close(c));
	CHECK(!close(lfd));
	return failures;
}

static int mode_dup(char **a)
{
	int lfd = listener(atoi(a[0]), 0), c, d, d2;
	struct stat st;

	ready();
	c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	CHECK(c >= 0);
	CHECK(fcntl(c, F_GETFD) == FD_CLOEXEC);
	CHECK(!fstat(c, &st) && S_ISSOCK(st.st_mode));
	d = dup(c);
	CHECK(d >= 0 && d != c);
	CHECK(fcntl(d, F_GETFD) == 0);
	CHECK(!fcntl(d, F_SETFD, FD_CLOEXEC) && fcntl(d, F_GETFD) == FD_CLOEXEC);
	d2 = fcntl(d, F_DUPFD_CLOEXEC, 100);
	CHECK(d2 >= 100);
	CHECK(!close(c));	/* the connection lives on in d and d2 */
	CHECK(dup2(d2, c) == c);
	CHECK(!close(d2));
	CHECK(!close(d));
	while (!echo_some(c))
		;
	CHECK(!close(c));
	CHECK(!close(lfd));
	return failures;
}

static volatile sig_atomic_t pipes;

static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

static int mode_sigpipe(char **a)
{
	struct sockaddr_in s = sin_of(a[0], atoi(a[1]));
	int fd = socket(AF_INET, SOCK_STREAM, 0), i;
	char buf[1024] = { 0 };

	signal(SIGPIPE, on_pipe);
	CHECK(!connect(fd, (void *)&s, sizeof(s)));
	/* The peer closes at once: the end of the stream, then EPIPE. */
	CHECK(recv(fd, buf, sizeof(buf), 0) == 0);
	/* The first send draws the peer's reset; one of the next sees it. */
	errno = 0;
	for (i = 0; i < 500 && send(fd, buf, sizeof(buf), MSG_NOSIGNAL) >= 0; i++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, 10);	/* paces the sends; wakes on the reset */
	}
	CHECK(i < 500 && (errno == EPIPE || errno == ECONNRESET));
	CHECK(pipes == 0);
	CHECK(send(fd, buf, sizeof(buf), MSG_NOSIGNAL) == -1 && errno == EPIPE);
	CHECK(pipes == 0);
	CHECK(write(fd, buf, sizeof(buf)) == -1 && errno == EPIPE);
	CHECK(pipes == 1);
	CHECK(!close(fd));
	return failures;
}

static uint64_t thread_cpu_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int udp_bound(int port)
{
	struct sockaddr_in s = sin_of("0.0.0.0", port);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	CHECK(!bind(fd, (void *)&s, sizeof(s)));
	return fd;
}

/* memcached's threads: an epoll each; one's ready member must not wake another. */
static int mode_twosets(void)
{
	int a = epoll_create1(0), b = epoll_create1(0);
	int u1 = udp_bound(7100), u2 = udp_bound(7101);
	struct epoll_event ev = { .events = EPOLLOUT };
	uint64_t cpu;

	CHECK(!epoll_ctl(a, EPOLL_CTL_ADD, u1, &ev));	/* always writable */
	ev.events = EPOLLIN;
	CHECK(!epoll_ctl(b, EPOLL_CTL_ADD, u2, &ev));	/* nothing arrives */
	CHECK(epoll_wait(a, &ev, 1, 0) == 1);
	cpu = thread_cpu_ms();
	CHECK(epoll_wait(b, &ev, 1, 1000) == 0);
	cpu = thread_cpu_ms() - cpu;
	fprintf(stderr, "a 1 s wait used %llu ms of CPU\n", (unsigned long long)cpu);
	CHECK(cpu < 200);	/* asleep, not spinning on the other set */
	close(u1);
	close(u2);
	close(a);
	close(b);
	return failures;
}

static volatile int echo_done;

/* Blocking recv, as a worker thread of a threaded server would. */
static void *echo_thread(void *arg)
{
	int *a = arg, fd = a[0], n = a[1], i;
	struct timeval tv = { 30, 0 };	/* the peer may take seconds to start */
	struct sockaddr_in from;
	socklen_t fl;
	char buf[64];
	ssize_t r;

	CHECK(!setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	for (i = 0; i < n; i++) {
		fl = sizeof(from);
		r = recvfrom(fd, buf, sizeof(buf), 0, (void *)&from, &fl);
		CHECK(r > 0);	/* not a timeout: the datagram was there */
		if (r <= 0)
			break;
		CHECK(sendto(fd, buf, (size_t)r, 0, (void *)&from, fl) == r);
	}
	echo_done = 1;
	return NULL;
}

/*
 * The main thread looks at the stack all the time (a busy epoll loop on
 * another socket), so it takes the frames meant for the sleeping thread's
 * socket: the sleeper must still be woken.
 */
static int mode_blockedrecv(char **a)
{
	int args[2] = { udp_bound(atoi(a[0])), atoi(a[1]) };
	int ep = epoll_create1(0), other = udp_bound(atoi(a[0]) + 1), v;
	struct epoll_event ev = { .events = EPOLLIN };
	pthread_t t;

	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, other, &ev));
	CHECK(!ioctl(args[0], FIONREAD, &v));
	CHECK(!pthread_create(&t, NULL, echo_thread, args));
	ready();
	while (!echo_done)
		epoll_wait(ep, &ev, 1, 0);
	pthread_join(t, NULL);
	close(other);
	close(args[0]);
	close(ep);
	return failures;
}

static int mode_kernel(void)
{
	struct sockaddr_in lo = sin_of("127.0.0.1", 0);
	socklen_t l = sizeof(lo);
	int sv[2], l4, c, a, u1, u2, s6, ep;
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd p[2];
	char buf[8];

	CHECK(!socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	CHECK(write(sv[0], "unix", 4) == 4 && read(sv[1], buf, 8) == 4);
	l4 = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(!bind(l4, (void *)&lo, sizeof(lo)) && !listen(l4, 4));
	CHECK(!getsockname(l4, (void *)&lo, &l) && lo.sin_port);
	c = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(!connect(c, (void *)&lo, sizeof(lo)));
	a = accept(l4, NULL, NULL);
	CHECK(a >= 0);
	CHECK(send(c, "tcp", 3, 0) == 3);
	p[0].fd = a;
	p[1].fd = sv[1];
	p[0].events = p[1].events = POLLIN;
	CHECK(poll(p, 2, 5000) == 1 && p[0].revents == POLLIN);
	CHECK(recv(a, buf, 8, 0) == 3 && !memcmp(buf, "tcp", 3));
	ep = epoll_create1(0);
	ev.data.fd = a;
	CHECK(!epoll_ctl(ep, EPOLL_CTL_ADD, a, &ev));
	CHECK(write(c, "x", 1) == 1 && epoll_wait(ep, &ev, 1, 5000) == 1);
	u1 = socket(AF_INET, SOCK_DGRAM, 0);
	u2 = socket(AF_INET, SOCK_DGRAM, 0);
	lo = sin_of("127.0.0.1", 0);
	l = sizeof(lo);
	CHECK(!bind(u1, (void *)&lo, sizeof(lo)) && !getsockname(u1, (void *)&lo, &l));
	CHECK(sendto(u2, "udp", 3, 0, (void *)&lo, sizeof(lo)) == 3);
	CHECK(recv(u1, buf, 8, 0) == 3);
	s6 = socket(AF_INET6, SOCK_STREAM, 0);
	CHECK(s6 >= 0);
	close(s6);
	close(u1);
	close(u2);
	close(ep);
	close(a);
	close(c);
	close(l4);
	close(sv[0]);
	close(sv[1]);
	return failures;
}

int main(int argc, char **argv)
{
	static const struct { const char *name; int args; } modes[] = {
		{ "kernel", 0 }, { "server", 3 }, { "client", 3 }, { "nbclient", 3 },
		{ "udp", 2 }, { "dns", 0 }, { "forklisten", 1 }, { "bgsave", 1 },
		{ "dup", 1 }, { "sigpipe", 2 }, { "twosets", 0 },
		{ "blockedrecv", 2 },
	};
	char **a = argv + 2;
	unsigned int i;

	for (i = 0; argc > 1 && i < sizeof(modes) / sizeof(modes[0]); i++)
		if (!strcmp(argv[1], modes[i].name) && argc - 2 == modes[i].args)
			break;
	if (argc < 2 || i == sizeof(modes) / sizeof(modes[0])) {
		fprintf(stderr, "usage: see the comment at the top of preload_app.c\n");
		return 2;
	}
	switch (i) {
	case 0: return mode_kernel();
	case 1: return mode_server(a);
	case 2: return mode_client(a, 0);
	case 3: return mode_client(a, 1);
	case 4: return mode_udp(a);
	case 5: return mode_dns();
	case 6: return mode_forklisten(a);
	case 7: return mode_bgsave(a);
	case 8: return mode_dup(a);
	case 9: return mode_sigpipe(a);
	case 10: return mode_twosets();
	default: return mode_blockedrecv(a);
	}
}
