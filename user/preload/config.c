// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's configuration (environment variables bypass-run sets, see
 * Documentation/preload.rst) and the rule that decides which sockets go to
 * bypass and which stay on the kernel.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "preload.h"

#define DEFAULT_MAX_SOCKETS	8192

int pl_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix)
{
	char buf[32], *slash, *end;
	struct in_addr in;
	long n = 32;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = 0;
		n = strtol(slash + 1, &end, 10);
		if (end == slash + 1 || *end || n < 1 || n > 32)
			return -EINVAL;
	}
	if (inet_pton(AF_INET, buf, &in) != 1)
		return -EINVAL;
	*addr = in.s_addr;
	*prefix = (uint8_t)n;
	return 0;
}

/* "yes"-like values: 1, yes, on, true. */
static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on") ||
		     !strcmp(v, "true"));
}

/* Copy @name's value into @dst (of @size); -EINVAL when too long. */
static int env_str(const char *name, char *dst, size_t size)
{
	const char *v = getenv(name);

	if (!v)
		return 0;
	if (strlen(v) >= size)
		return -EINVAL;
	strcpy(dst, v);
	return 0;
}

/* One of @words (NULL-terminated) by index, @def when unset, -1 if bad. */
static int env_word(const char *name, const char *const *words, int def)
{
	const char *v = getenv(name);
	int i;

	if (!v || !*v)
		return def;
	for (i = 0; words[i]; i++)
		if (!strcmp(v, words[i]))
			return i;
	return -1;
}

static int env_uint(const char *name, unsigned long max, unsigned long *out)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return 0;
	errno = 0;
	n = strtoul(v, &end, 10);
	if (*end || errno || n > max)
		return -EINVAL;
	*out = n;
	return 0;
}

int pl_config_parse(struct pl_config *c)
{
	static const char *const routes[] = { "subnet", "gateway", "none", NULL };
	static const char *const dns[] = { "kernel", "bypass", NULL };
	static const char *const any[] = { "bypass", "kernel", NULL };
	const char *v;
	unsigned long qp = 0, max = DEFAULT_MAX_SOCKETS;
	int r = 0, route, d, a;

	memset(c, 0, sizeof(*c));
	c->verbose = env_flag("BYPASS_VERBOSE");
	v = getenv("BYPASS_ADDR");
	if (v && *v && pl_parse_cidr(v, &c->addr, &c->prefix_len))
		r = -EINVAL;
	v = getenv("BYPASS_GATEWAY");
	if (v && *v && inet_pton(AF_INET, v, &c->gateway) != 1)
		r = -EINVAL;
	if (env_str("BYPASS_DEVICE", c->device, sizeof(c->device)) ||
	    env_str("BYPASS_PRELOAD_TAP", c->tap, sizeof(c->tap)) ||
	    env_uint("BYPASS_QUEUE_PAIR", 65535, &qp) ||
	    env_uint("BYPASS_MAX_SOCKETS", 1u << 20, &max))
		r = -EINVAL;
	c->queue_pair = (unsigned int)qp;
	c->max_sockets = max ? (uint32_t)max : DEFAULT_MAX_SOCKETS;
	route = env_word("BYPASS_ROUTE", routes, PL_ROUTE_SUBNET);
	d = env_word("BYPASS_DNS", dns, 0);
	a = env_word("BYPASS_BIND_ANY", any, 0);
	if (route < 0 || d < 0 || a < 0)
		r = -EINVAL;
	c->route = route < 0 ? PL_ROUTE_NONE : (enum pl_route)route;
	c->dns_bypass = d == 1;
	c->bind_any = a == 0;
	if (r)
		c->addr = 0;	/* a bad setting disables bypass */
	return r;
}

static bool is_loopback(uint32_t addr)
{
	return (ntohl(addr) >> 24) == 127;
}

static uint32_t mask_of(uint8_t prefix)
{
	return prefix ? htonl(~0u << (32 - prefix)) : 0;
}

const char *pl_bind_rule(const struct pl_config *c, uint32_t addr, uint16_t port)
{
	(void)port;
	if (!c->addr)
		return "no bypass address";
	if (is_loopback(addr))
		return "loopback";
	if (addr == htonl(INADDR_ANY))
		return c->bind_any ? NULL : "INADDR_ANY (BYPASS_BIND_ANY=kernel)";
	if (addr == c->addr)
		return NULL;
	return "another address";
}

const char *pl_dest_rule(const struct pl_config *c, int type, uint32_t addr,
			 uint16_t port)
{
	uint32_t mask = mask_of(c->prefix_len), h = ntohl(addr);

	if (!c->addr)
		return "no bypass address";
	if (is_loopback(addr))
		return "loopback";
	if (addr == c->addr)
		return "the bypass address itself";
	if (type == SOCK_DGRAM && port == 53 && !c->dns_bypass)
		return "DNS (BYPASS_DNS=kernel)";
	if (!h || h == 0xffffffffu || (h >> 28) == 0xe)
		return "broadcast, multicast or unspecified";
	if (c->route == PL_ROUTE_NONE)
		return "BYPASS_ROUTE=none";
	if ((addr & mask) == (c->addr & mask))
		return NULL;
	if (c->route == PL_ROUTE_GATEWAY && c->gateway)
		return NULL;
	return "not in the bypass subnet";
}
