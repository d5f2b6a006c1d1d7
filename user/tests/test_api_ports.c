// SPDX-License-Identifier: GPL-2.0
/*
 * Host test of the TCP bind rules of the application APIs, whose check is
 * a per-port count (api_ports.c) kept up to date through every change of
 * a socket: 4000 sockets bound to ports of their own, then conflicts
 * (EADDRINUSE) and their end at a close; SO_REUSEADDR sharing, refused
 * by a listener and by a holder that turns the option off; the port an
 * accepted connection holds after its listener closed, and the ephemeral
 * port of a connecting socket.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>

#include <linux/virtio_config.h>
#include <linux/virtio_net.h>

#include "kselftest_harness.h"

#include "libbypass.h"
#include "bypass_api.h"
#include "bypass_socket.h"

#define MANY		4000
#define FIRST_PORT	10000

FIXTURE(ports) {
	struct bypass_pair *pair;
	struct bypass_ctx *ctx[2];
};

FIXTURE_SETUP(ports)
{
	struct bypass_pair_config pc = {
		.features = 1ULL << VIRTIO_F_VERSION_1 | 1ULL << VIRTIO_NET_F_MRG_RXBUF,
		.mac = { { 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 } },
	};
	int i;

	ASSERT_EQ(0, bypass_pair_create(&pc, &self->pair));
	for (i = 0; i < 2; i++) {
		struct bypass_ctx_config cfg = {
			.stack = { .addr = htonl(0x0a000001 + (uint32_t)i), .prefix_len = 24 },
			.max_sockets = MANY + 16,
		};

		ASSERT_EQ(0, bypass_ctx_create(bypass_pair_dev(self->pair, i), &cfg,
					       &self->ctx[i]));
	}
}

FIXTURE_TEARDOWN(ports)
{
	bypass_ctx_destroy(self->ctx[0]);
	bypass_ctx_destroy(self->ctx[1]);
	bypass_pair_destroy(self->pair);
}

/* A new TCP socket of @ctx, with SO_REUSEADDR when @reuse. */
static int tcp_socket(struct bypass_ctx *ctx, int reuse)
{
	int fd = bypass_socket(ctx, AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

	if (fd >= 0 && bypass_setsockopt(ctx, fd, SOL_SOCKET, SO_REUSEADDR,
					 &reuse, sizeof(reuse)))
		return -1;
	return fd;
}

/* bind(@fd, any address, @port): 0 or the errno. */
static int bind_port(struct bypass_ctx *ctx, int fd, uint16_t port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };

	return bypass_bind(ctx, fd, (struct sockaddr *)&sin, sizeof(sin)) ? errno : 0;
}

TEST_F(ports, many_sockets_each_hold_their_port_until_closed)
{
	struct bypass_ctx *c = self->ctx[0];
	static int fds[MANY];
	int i, fd;

	for (i = 0; i < MANY; i++) {
		fds[i] = tcp_socket(c, 0);
		ASSERT_LE(0, fds[i]);
		ASSERT_EQ(0, bind_port(c, fds[i], (uint16_t)(FIRST_PORT + i)));
	}
	fd = tcp_socket(c, 1);
	ASSERT_LE(0, fd);
	for (i = 0; i < MANY; i += 97)		/* taken, SO_REUSEADDR or not */
		EXPECT_EQ(EADDRINUSE, bind_port(c, fd, (uint16_t)(FIRST_PORT + i)));
	EXPECT_EQ(0, bypass_close(c, fds[1234]));
	EXPECT_EQ(0, bind_port(c, fd, FIRST_PORT + 1234));
	EXPECT_EQ(EINVAL, bind_port(c, fd, FIRST_PORT + 1235));	/* bound */
}

TEST_F(ports, reuseaddr_shares_a_port_unless_one_listens)
{
	struct bypass_ctx *c = self->ctx[0];
	int a = tcp_socket(c, 1), b = tcp_socket(c, 1), d = tcp_socket(c, 0);
	int e = tcp_socket(c, 1), f = tcp_socket(c, 1);
	int off = 0;

	ASSERT_LE(0, a);
	ASSERT_LE(0, f);
	EXPECT_EQ(0, bind_port(c, a, 80));
	EXPECT_EQ(0, bind_port(c, b, 80));
	EXPECT_EQ(EADDRINUSE, bind_port(c, d, 80));	/* d has no SO_REUSEADDR */
	EXPECT_EQ(0, bypass_listen(c, a, 4));
	EXPECT_EQ(EADDRINUSE, bind_port(c, e, 80));	/* a listens */
	EXPECT_EQ(0, bypass_close(c, a));
	EXPECT_EQ(0, bind_port(c, e, 80));		/* b and e share it */
	EXPECT_EQ(0, bypass_setsockopt(c, b, SOL_SOCKET, SO_REUSEADDR, &off,
				       sizeof(off)));
	EXPECT_EQ(EADDRINUSE, bind_port(c, f, 80));	/* b turned it off */
	EXPECT_EQ(0, bypass_close(c, b));
	EXPECT_EQ(0, bind_port(c, f, 80));
	EXPECT_EQ(0, bind_port(c, d, 81));
}

TEST_F(ports, accepted_and_connecting_sockets_hold_their_ports)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(7) };
	struct bypass_ctx *cli = self->ctx[0], *srv = self->ctx[1];
	socklen_t len = sizeof(sin);
	int l = tcp_socket(srv, 1), cfd = tcp_socket(cli, 0), afd = -1;
	int x = tcp_socket(srv, 0), y = tcp_socket(srv, 1);
	int z = tcp_socket(cli, 1), i;

	ASSERT_LE(0, l);
	ASSERT_LE(0, cfd);
	ASSERT_EQ(0, bind_port(srv, l, 7));
	ASSERT_EQ(0, bypass_listen(srv, l, 4));
	sin.sin_addr.s_addr = htonl(0x0a000002);
	bypass_connect(cli, cfd, (struct sockaddr *)&sin, sizeof(sin));
	for (i = 0; i < 100 && afd < 0; i++) {
		bypass_ctx_poll(cli);
		bypass_ctx_poll(srv);
		afd = bypass_accept4(srv, l, NULL, NULL, SOCK_NONBLOCK);
	}
	ASSERT_LE(0, afd);
	EXPECT_EQ(0, bypass_close(srv, l));
	EXPECT_EQ(EADDRINUSE, bind_port(srv, x, 7));	/* afd holds 7 */
	EXPECT_EQ(0, bind_port(srv, y, 7));		/* ... as SO_REUSEADDR */
	ASSERT_EQ(0, bypass_getsockname(cli, cfd, (struct sockaddr *)&sin, &len));
	ASSERT_NE(0, sin.sin_port);
	EXPECT_EQ(EADDRINUSE, bind_port(cli, z, ntohs(sin.sin_port)));
	EXPECT_EQ(0, bypass_close(cli, cfd));
	EXPECT_EQ(0, bind_port(cli, z, ntohs(sin.sin_port)));
}

TEST_HARNESS_MAIN
