// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A small HTTP/1.1 server for static files, with keep-alive and
 * pipelining, on the Linux stack or on bypass: the same event loop either
 * way (netops.h). Files under --root (default ".") are mapped on their
 * first request and stay mapped: a response is sent straight from the
 * mapping, piece by piece as the connection's send buffer takes it, so
 * any size is served without copying the file onto the heap.
 *
 *   http_server [--linux | --bypass [PCI]] [--addr A.B.C.D] [--port N]
 *               [--root DIR] [--busy-poll] [--threads N]
 *
 * With --threads N it runs N threads, each with its own listener on the
 * port, readiness set and connections: on Linux N SO_REUSEPORT sockets,
 * on bypass a group of N contexts on queue pairs 0..N-1 of the NIC
 * (bypass_group_open), the NIC steering each connection to one of them.
 *
 * It prints "ready" once it listens and, on SIGINT or SIGTERM, the number
 * of requests served (and by each thread) and the CPU time the process
 * used per request.
 */
#include <fcntl.h>
#include <getopt.h>
#include <pthread.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "netops.h"

#define MAX_FDS		65536
#define IN_MAX		8192
#define MAX_THREADS	16

struct file {
	struct file *next;
	char *path;
	const char *data;	/* the file's mapping ("" when empty) */
	size_t len;
	const char *type;
};

struct conn {
	size_t in_len;
	char in[IN_MAX];
	char hdr[512];
	size_t hdr_len, hdr_off;
	const char *body;
	size_t body_len, body_off;
	bool close_after;
	bool keep_alive_1_0;	/* an HTTP/1.0 request asked to keep it open */
	bool writing;
};

/* A thread's server: nothing in it is shared with the other threads. */
struct worker {
	struct netops net;
	int l, ep;
	struct conn **conns;		/* by descriptor, MAX_FDS of them */
	struct file *files;		/* its own mappings */
	uint64_t served;
	bool busy;
	pthread_t thread;
};

static int stop;			/* set by the signal handler */
static const char *root = ".";

static void on_signal(int sig)
{
	(void)sig;
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
}

static const char *type_of(const char *path)
{
	static const char *const map[][2] = {
		{ ".html", "text/html" }, { ".txt", "text/plain" },
		{ ".css", "text/css" }, { ".js", "text/javascript" },
		{ ".json", "application/json" }, { ".png", "image/png" },
		{ ".jpg", "image/jpeg" }, { ".svg", "image/svg+xml" },
	};
	const char *dot = strrchr(path, '.');
	size_t i;

	for (i = 0; dot && i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcasecmp(dot, map[i][0]))
			return map[i][1];
	return "application/octet-stream";
}

/* The file for a request path, mapped on first use; NULL if none. */
static struct file *lookup(struct worker *w, const char *path)
{
	char full[4096];
	struct file *f;
	struct stat st;
	void *map = NULL;
	int fd;

	if (path[0] != '/' || strstr(path, ".."))
		return NULL;
	if (!strcmp(path, "/"))
		path = "/index.html";
	for (f = w->files; f; f = f->next)
		if (!strcmp(f->path, path))
			return f;
	if ((size_t)snprintf(full, sizeof(full), "%s%s", root, path) >= sizeof(full))
		return NULL;
	fd = open(full, O_RDONLY);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return NULL;
	}
	if (st.st_size > 0)
		map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	f = calloc(1, sizeof(*f));
	if (!f || !(f->path = strdup(path))) {
		free(f);
		if (map)
			munmap(map, (size_t)st.st_size);
		return NULL;
	}
	f->data = map ? map : "";
	f->len = (size_t)st.st_size;
	f->type = type_of(path);
	f->next = w->files;
	w->files = f;
	return f;
}

static void conn_close(struct worker *w, int fd)
{
	free(w->conns[fd]);
	w->conns[fd] = NULL;
	w->net.close(w->net.ctx, fd);	/* also leaves the readiness set */
}

static void set_events(struct worker *w, int fd, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.fd = fd };

	w->net.epoll_ctl(w->net.ctx, w->ep, EPOLL_CTL_MOD, fd, &ev);
}

/* Send what is pending; false when the connection must go. */
static bool flush_out(struct worker *w, int fd, struct conn *c)
{
	while (c->hdr_off < c->hdr_len || c->body_off < c->body_len) {
		bool hdr = c->hdr_off < c->hdr_len;
		const char *p = hdr ? c->hdr + c->hdr_off : c->body + c->body_off;
		size_t len = hdr ? c->hdr_len - c->hdr_off : c->body_len - c->body_off;
		ssize_t n = w->net.send(w->net.ctx, fd, p, len, 0);

		if (n < 0) {
			if (errno != EAGAIN)
				return false;
			if (!c->writing)
				set_events(w, fd, EPOLLOUT);
			c->writing = true;
			return true;
		}
		if (hdr)
			c->hdr_off += (size_t)n;
		else
			c->body_off += (size_t)n;
	}
	if (c->writing)
		set_events(w, fd, EPOLLIN);
	c->writing = false;
	return !c->close_after;
}

static void respond(struct worker *w, struct conn *c, int status,
		    const char *reason, const struct file *f, bool head)
{
	const char *type = f ? f->type : "text/plain";
	size_t len = f ? f->len : strlen(reason) + 1;

	c->hdr_len = (size_t)snprintf(c->hdr, sizeof(c->hdr),
		"HTTP/1.1 %d %s\r\nServer: bypass-example\r\n"
		"Content-Type: %s\r\nContent-Length: %zu\r\n%s\r\n%s%s",
		status, reason, type, len,
		c->close_after ? "Connection: close\r\n" :
		c->keep_alive_1_0 ? "Connection: keep-alive\r\n" : "",
		f || head ? "" : reason, f || head ? "" : "\n");
	c->hdr_off = 0;
	c->body = f && !head ? f->data : NULL;
	c->body_len = c->body ? f->len : 0;
	c->body_off = 0;
	w->served++;
}

/* Whether the header block names this connection token. */
static bool has_token(const char *hdrs, const char *token)
{
	const char *p = hdrs;

	while ((p = strcasestr(p, "\nConnection:"))) {
		const char *end = strchr(p + 1, '\n');
		const char *t = strcasestr(p, token);

		if (t && (!end || t < end))
			return true;
		p++;
	}
	return false;
}

/* Answer one complete request at the start of c->in (@len bytes). */
static void handle(struct worker *w, struct conn *c, char *req)
{
	char method[8], path[1024], version[16];
	struct file *f;
	bool head;

	if (sscanf(req, "%7s %1023s %15s", method, path, version) != 3 ||
	    strncmp(version, "HTTP/1.", 7)) {
		c->close_after = true;
		respond(w, c, 400, "Bad Request", NULL, false);
		return;
	}
	c->close_after = version[7] == '0' ? !has_token(req, "keep-alive") :
			 has_token(req, "close");
	/* RFC 7230 A.1.2: an HTTP/1.0 client keeps it open only if told so. */
	c->keep_alive_1_0 = version[7] == '0' && !c->close_after;
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		respond(w, c, 405, "Method Not Allowed", NULL, false);
		return;
	}
	f = lookup(w, path);
	if (!f)
		respond(w, c, 404, "Not Found", NULL, head);
	else
		respond(w, c, 200, "OK", f, head);
}

static void on_readable(struct worker *w, int fd)
{
	struct conn *c = w->conns[fd];

	for (;;) {
		ssize_t n;
		char *end;

		/* Serve the complete requests already buffered (pipelining). */
		while (!c->writing && (end = memmem(c->in, c->in_len, "\r\n\r\n", 4))) {
			size_t used = (size_t)(end - c->in) + 4;

			*end = 0;
			handle(w, c, c->in);
			memmove(c->in, c->in + used, c->in_len - used);
			c->in_len -= used;
			if (!flush_out(w, fd, c)) {
				conn_close(w, fd);
				return;
			}
		}
		if (c->writing)
			return;
		if (c->in_len == IN_MAX) {	/* a header block too large */
			conn_close(w, fd);
			return;
		}
		n = w->net.recv(w->net.ctx, fd, c->in + c->in_len,
				IN_MAX - c->in_len - 1, 0);
		if (n > 0) {
			c->in_len += (size_t)n;
			c->in[c->in_len] = 0;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		conn_close(w, fd);
		return;
	}
}

static void on_accept(struct worker *w)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int fd, one = 1;

	while ((fd = w->net.accept4(w->net.ctx, w->l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
		if (fd >= MAX_FDS || !(w->conns[fd] = calloc(1, sizeof(struct conn)))) {
			w->net.close(w->net.ctx, fd);
			continue;
		}
		w->net.setsockopt(w->net.ctx, fd, IPPROTO_TCP, TCP_NODELAY, &one,
				  sizeof(one));
		ev.data.fd = fd;
		w->net.epoll_ctl(w->net.ctx, w->ep, EPOLL_CTL_ADD, fd, &ev);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: http_server [--linux | --bypass [PCI]] [--addr A.B.C.D]\n"
		"                   [--port N] [--root DIR] [--busy-poll] [--threads N]\n");
	exit(2);
}

/* The worker's listener on @sin (SO_REUSEPORT on Linux: one per thread). */
static int worker_listen(struct worker *w, const struct sockaddr_in *sin,
			 bool reuseport)
{
	struct epoll_event ev = { .events = EPOLLIN };
	int one = 1;

	w->conns = calloc(MAX_FDS, sizeof(*w->conns));
	w->l = w->net.socket(w->net.ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	w->ep = w->net.epoll_create(w->net.ctx);
	if (!w->conns || w->l < 0 || w->ep < 0 ||
	    w->net.setsockopt(w->net.ctx, w->l, SOL_SOCKET, SO_REUSEADDR, &one,
			      sizeof(one)) ||
	    (reuseport && w->net.setsockopt(w->net.ctx, w->l, SOL_SOCKET,
					    SO_REUSEPORT, &one, sizeof(one))) ||
	    w->net.bind(w->net.ctx, w->l, (const struct sockaddr *)sin, sizeof(*sin)) ||
	    w->net.listen(w->net.ctx, w->l, 1024))
		return -1;
	ev.data.fd = w->l;
	w->net.epoll_ctl(w->net.ctx, w->ep, EPOLL_CTL_ADD, w->l, &ev);
	return 0;
}

/* A thread's loop: its readiness set until a signal stops the server. */
static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct epoll_event evs[64];
	int i, n;

	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		n = w->net.epoll_wait(w->net.ctx, w->ep, evs, 64, w->busy ? 0 : 200);
		if (n < 0 && errno != EINTR) {
			perror("http_server: epoll_wait");
			break;
		}
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			struct conn *c = fd == w->l ? NULL : w->conns[fd];

			if (fd == w->l) {
				on_accept(w);
			} else if (c && c->writing) {
				if (!flush_out(w, fd, c))
					conn_close(w, fd);
				else if (w->conns[fd] && !c->writing)
					on_readable(w, fd);
			} else if (c) {
				on_readable(w, fd);
			}
		}
	}
	return NULL;
}

static void worker_fini(struct worker *w)
{
	int i;

	for (i = 0; w->conns && i < MAX_FDS; i++)
		if (w->conns[i])
			conn_close(w, i);
	if (w->l >= 0)
		w->net.close(w->net.ctx, w->l);
	if (w->ep >= 0)
		w->net.close(w->net.ctx, w->ep);
	free(w->conns);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "linux", no_argument, NULL, 'l' },
		{ "bypass", optional_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "port", required_argument, NULL, 'p' },
		{ "root", required_argument, NULL, 'r' },
		{ "busy-poll", no_argument, NULL, 'P' },
		{ "threads", required_argument, NULL, 't' },
		{ 0 }
	};
	static struct worker workers[MAX_THREADS];
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(8080) };
	const char *pci = NULL, *addr = NULL;
	bool bypass = false, busy = false;
	struct sigaction sa = { .sa_handler = on_signal };
	struct bypass_group *group = NULL;
	struct netops net;
	uint64_t served = 0;
	struct rusage ru;
	int i, o, nthreads = 1;
	double cpu_us;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': bypass = false; break;
		case 'b': bypass = true; pci = optarg; break;
		case 'a': addr = optarg; break;
		case 'p': sin.sin_port = htons((uint16_t)atoi(optarg)); break;
		case 'r': root = optarg; break;
		case 'P': busy = true; break;
		case 't': nthreads = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAX_THREADS)
		usage();
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (nthreads > 1 && bypass) {
		if (netops_open_group(&net, &group, (unsigned int)nthreads, pci, addr))
			return 1;
	} else if (netops_open(&net, bypass, pci, addr)) {
		return 1;
	}
	if (addr && !bypass)
		inet_pton(AF_INET, addr, &sin.sin_addr);
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];

		w->net = net;
		if (group)
			w->net.ctx = bypass_group_ctx(group, (unsigned int)i);
		w->busy = busy;
		w->l = w->ep = -1;
		if (worker_listen(w, &sin, !bypass && nthreads > 1)) {
			perror("http_server: listen");
			return 1;
		}
	}
	printf("ready: %s stack, port %u, root %s, %d thread%s\n", net.name,
	       ntohs(sin.sin_port), root, nthreads, nthreads > 1 ? "s" : "");
	fflush(stdout);
	for (i = 1; i < nthreads; i++)
		if (pthread_create(&workers[i].thread, NULL, worker_main, &workers[i])) {
			perror("http_server: pthread_create");
			return 1;
		}
	worker_main(&workers[0]);
	for (i = 1; i < nthreads; i++)
		pthread_join(workers[i].thread, NULL);
	getrusage(RUSAGE_SELF, &ru);
	cpu_us = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
		 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
	for (i = 0; i < nthreads; i++)
		served += workers[i].served;
	printf("served %llu requests, cpu %.0f us, %.1f us/request\n",
	       (unsigned long long)served, cpu_us,
	       served ? cpu_us / (double)served : 0.0);
	for (i = 0; nthreads > 1 && i < nthreads; i++)
		printf("thread %d: %llu requests\n", i,
		       (unsigned long long)workers[i].served);
	for (i = 0; i < nthreads; i++)
		worker_fini(&workers[i]);
	if (group) {
		bypass_group_destroy(group);
		net.ctx = NULL;
	}
	netops_close(&net);
	return 0;
}
