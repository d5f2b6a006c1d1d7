// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A closed-loop HTTP/1.1 load generator on the Linux stack or on bypass
 * (netops.h): N keep-alive connections, each sending a GET and waiting for
 * the whole response before the next, for a number of seconds. It checks
 * every response's status and length and prints requests/s and latency
 * percentiles; any error makes it exit non-zero.
 *
 *   loadgen [--linux | --bypass [PCI]] [--addr A.B.C.D] [--conns N]
 *           [--seconds S] [--path /P] HOST PORT
 */
#include <getopt.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <time.h>

#include "netops.h"

#define BUF	65536
#define MAX_LAT	(1u << 22)

struct client {
	int fd;
	bool connected;
	uint64_t sent_ns;
	size_t have;		/* response bytes buffered */
	size_t need;		/* total response length, 0: headers unknown */
	char buf[BUF];
};

static struct netops net;
static uint32_t *lat_us;
static uint64_t nr_lat, done, errors;
static char req[1200];
static size_t req_len;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool send_req(struct client *c)
{
	ssize_t n = net.send(net.ctx, c->fd, req, req_len, 0);

	c->sent_ns = now_ns();
	c->have = 0;
	c->need = 0;
	return n == (ssize_t)req_len;	/* a small request fits the window */
}

/* The length of a complete response at the start of c->buf, or 0. */
static size_t response_len(struct client *c)
{
	char *end, *cl;

	c->buf[c->have < BUF ? c->have : BUF - 1] = 0;
	end = strstr(c->buf, "\r\n\r\n");
	if (!end)
		return 0;
	if (strncmp(c->buf, "HTTP/1.1 200", 12)) {
		errors++;
		return (size_t)-1;
	}
	cl = strcasestr(c->buf, "\r\nContent-Length:");
	if (!cl || cl > end) {
		errors++;
		return (size_t)-1;
	}
	return (size_t)(end - c->buf) + 4 + strtoul(cl + 17, NULL, 10);
}

static bool on_readable(struct client *c)
{
	for (;;) {
		ssize_t n = net.recv(net.ctx, c->fd, c->buf + c->have,
				     BUF - 1 - c->have, 0);

		if (n < 0)
			return errno == EAGAIN;
		if (n == 0)
			return false;
		c->have += (size_t)n;
		if (!c->need)
			c->need = response_len(c);
		if (c->need == (size_t)-1)
			return false;
		if (c->need && c->have >= c->need) {
			if (c->have > c->need) {	/* nothing was pipelined */
				errors++;
				return false;
			}
			if (nr_lat < MAX_LAT)
				lat_us[nr_lat++] = (uint32_t)((now_ns() - c->sent_ns) / 1000);
			done++;
			return send_req(c);
		}
		if (c->have >= BUF - 1) {
			errors++;
			return false;
		}
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

static void usage(void)
{
	fprintf(stderr, "usage: loadgen [--linux | --bypass [PCI]] [--addr A.B.C.D]\n"
		"               [--conns N] [--seconds S] [--path /P] HOST PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "linux", no_argument, NULL, 'l' },
		{ "bypass", optional_argument, NULL, 'b' },
		{ "addr", required_argument, NULL, 'a' },
		{ "conns", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "path", required_argument, NULL, 'P' },
		{ 0 }
	};
	const char *pci = NULL, *addr = NULL, *path = "/";
	struct sockaddr_in to = { .sin_family = AF_INET };
	struct epoll_event ev, evs[64];
	int nconns = 1, secs = 5, ep, i, n, o, one = 1;
	uint64_t start, end, connected = 0;
	struct client *cl;
	bool bypass = false;
	double el;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'l': bypass = false; break;
		case 'b': bypass = true; pci = optarg; break;
		case 'a': addr = optarg; break;
		case 'c': nconns = atoi(optarg); break;
		case 's': secs = atoi(optarg); break;
		case 'P': path = optarg; break;
		default: usage();
		}
	}
	if (argc - optind != 2 || nconns < 1 || nconns > 4000 || secs < 1 ||
	    inet_pton(AF_INET, argv[optind], &to.sin_addr) != 1)
		usage();
	to.sin_port = htons((uint16_t)atoi(argv[optind + 1]));
	req_len = (size_t)snprintf(req, sizeof(req),
				   "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: bypass-loadgen\r\n\r\n",
				   path, argv[optind]);
	lat_us = malloc(MAX_LAT * sizeof(*lat_us));
	cl = calloc((size_t)nconns, sizeof(*cl));
	if (!lat_us || !cl || netops_open(&net, bypass, pci, addr))
		return 1;
	ep = net.epoll_create(net.ctx);
	for (i = 0; i < nconns; i++) {
		cl[i].fd = net.socket(net.ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		if (cl[i].fd < 0)
			return 1;
		net.setsockopt(net.ctx, cl[i].fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		if (net.connect(net.ctx, cl[i].fd, (struct sockaddr *)&to, sizeof(to)) &&
		    errno != EINPROGRESS) {
			perror("loadgen: connect");
			return 1;
		}
		ev.events = EPOLLOUT;
		ev.data.u32 = (uint32_t)i;
		net.epoll_ctl(net.ctx, ep, EPOLL_CTL_ADD, cl[i].fd, &ev);
	}
	start = now_ns();
	end = start + (uint64_t)secs * 1000000000ull;
	while (now_ns() < end) {
		n = net.epoll_wait(net.ctx, ep, evs, 64, 100);
		for (i = 0; i < n; i++) {
			struct client *c = &cl[evs[i].data.u32];

			if (!c->connected) {
				int err = 0;
				socklen_t len = sizeof(err);

				net.getsockopt(net.ctx, c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
				if (err) {
					fprintf(stderr, "loadgen: connect: %s\n", strerror(err));
					return 1;
				}
				c->connected = true;
				connected++;
				ev.events = EPOLLIN;
				ev.data.u32 = evs[i].data.u32;
				net.epoll_ctl(net.ctx, ep, EPOLL_CTL_MOD, c->fd, &ev);
				if (!send_req(c))
					errors++;
				continue;
			}
			if (!on_readable(c)) {
				fprintf(stderr, "loadgen: connection %u failed\n",
					evs[i].data.u32);
				errors++;
				net.epoll_ctl(net.ctx, ep, EPOLL_CTL_DEL, c->fd, NULL);
			}
		}
	}
	el = (double)(now_ns() - start) / 1e9;
	qsort(lat_us, nr_lat, sizeof(*lat_us), cmp_u32);
	printf("%s: %llu requests in %.1f s over %llu connections: %.0f req/s, "
	       "latency p50 %u us p99 %u us, errors %llu\n", net.name,
	       (unsigned long long)done, el, (unsigned long long)connected,
	       (double)done / el, nr_lat ? lat_us[nr_lat / 2] : 0,
	       nr_lat ? lat_us[nr_lat * 99 / 100] : 0, (unsigned long long)errors);
	for (i = 0; i < nconns; i++)
		net.close(net.ctx, cl[i].fd);
	netops_close(&net);
	return errors || !done || connected != (uint64_t)nconns;
}
