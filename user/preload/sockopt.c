// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Socket options of bypass sockets: those the stack implements go to the
 * context (recorded too, to replay on attach and to read back before it);
 * those that have no meaning for the stack but that servers set as a
 * matter of course (SO_REUSEPORT, SO_LINGER, TCP_CORK, TCP_DEFER_ACCEPT,
 * IP_TOS...) are accepted, recorded and read back, with no effect; the
 * timeouts SO_RCVTIMEO/SO_SNDTIMEO bound the shim's blocking waits; any
 * other is refused with ENOPROTOOPT. Documentation/preload.rst lists them.
 */
#include <errno.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/time.h>

#include "preload.h"

/* Options the context implements (bypass_setsockopt). */
static bool stack_opt(int level, int name)
{
	if (level == SOL_SOCKET)
		return name == SO_REUSEADDR || name == SO_KEEPALIVE ||
		       name == SO_SNDBUF || name == SO_RCVBUF;
	if (level == IPPROTO_TCP)
		return name == TCP_NODELAY || name == TCP_KEEPIDLE ||
		       name == TCP_KEEPINTVL || name == TCP_KEEPCNT ||
		       name == TCP_CONGESTION;
	return false;
}

/* Options accepted and recorded with no effect. */
static bool inert_opt(int level, int name)
{
	switch (level) {
	case SOL_SOCKET:
		return name == SO_REUSEPORT || name == SO_LINGER ||
		       name == SO_BROADCAST || name == SO_PRIORITY ||
		       name == SO_RCVLOWAT || name == SO_SNDLOWAT ||
		       name == SO_OOBINLINE;
	case IPPROTO_TCP:
		return name == TCP_CORK || name == TCP_DEFER_ACCEPT ||
		       name == TCP_QUICKACK || name == TCP_USER_TIMEOUT ||
		       name == TCP_MAXSEG || name == TCP_FASTOPEN ||
		       name == TCP_LINGER2 || name == TCP_SYNCNT;
	case IPPROTO_IP:
		return name == IP_TOS || name == IP_TTL || name == IP_RECVERR ||
		       name == IP_MTU_DISCOVER || name == IP_BIND_ADDRESS_NO_PORT ||
		       name == IP_FREEBIND;
	}
	return false;
}

static struct pl_opt *find(struct pl_sock *s, int level, int name)
{
	unsigned int i;

	for (i = 0; i < s->nr_opts; i++)
		if (s->opts[i].level == level && s->opts[i].name == name)
			return &s->opts[i];
	return NULL;
}

int pl_opt_record(struct pl_sock *s, int level, int name, const void *val,
		  socklen_t len)
{
	struct pl_opt *o = find(s, level, name);

	if (len > sizeof(o->val))
		return -EINVAL;
	if (!o) {
		if (s->nr_opts == PL_MAX_OPTS)
			return -ENOMEM;
		o = &s->opts[s->nr_opts++];
		o->level = level;
		o->name = name;
	}
	o->len = len;
	memcpy(o->val, val, len);
	return 0;
}

void pl_opt_replay(struct pl_sock *s)
{
	unsigned int i;

	for (i = 0; i < s->nr_opts; i++)
		if (stack_opt(s->opts[i].level, s->opts[i].name))
			bypass_setsockopt(pl.ctx, s->bfd, s->opts[i].level,
					  s->opts[i].name, s->opts[i].val,
					  s->opts[i].len);
}

static uint64_t tv_ns(const void *val)
{
	struct timeval tv;

	memcpy(&tv, val, sizeof(tv));
	return (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
}

int pl_setsockopt(struct pl_sock *s, int level, int name, const void *val,
		  socklen_t len)
{
	int r;

	if (!val && len)
		return -EFAULT;
	if (level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO)) {
		if (len < sizeof(struct timeval))
			return -EINVAL;
		if (name == SO_RCVTIMEO)
			s->rcvtimeo_ns = tv_ns(val);
		else
			s->sndtimeo_ns = tv_ns(val);
		return 0;
	}
	if (stack_opt(level, name)) {
		if (s->bfd >= 0 &&
		    bypass_setsockopt(pl.ctx, s->bfd, level, name, val, len))
			return -errno;
		if (s->bfd < 0 && name != TCP_CONGESTION && len < sizeof(int))
			return -EINVAL;
	} else if (!inert_opt(level, name)) {
		return -ENOPROTOOPT;
	} else if (len < sizeof(int)) {
		return -EINVAL;
	}
	r = pl_opt_record(s, level, name, val, len);
	return r == -EINVAL ? 0 : r;	/* too long to read back: still fine */
}

static int put_int(void *val, socklen_t *len, int v)
{
	if (*len < sizeof(int))
		return -EINVAL;
	memcpy(val, &v, sizeof(v));
	*len = sizeof(v);
	return 0;
}

int pl_getsockopt(struct pl_sock *s, int level, int name, void *val,
		  socklen_t *len)
{
	struct pl_opt *o;

	if (!val || !len)
		return -EFAULT;
	if (level == SOL_SOCKET) {
		switch (name) {
		case SO_RCVTIMEO:
		case SO_SNDTIMEO: {
			uint64_t ns = name == SO_RCVTIMEO ? s->rcvtimeo_ns : s->sndtimeo_ns;
			struct timeval tv = {
				.tv_sec = (time_t)(ns / 1000000000ull),
				.tv_usec = (suseconds_t)(ns % 1000000000ull / 1000),
			};

			if (*len < sizeof(tv))
				return -EINVAL;
			memcpy(val, &tv, sizeof(tv));
			*len = sizeof(tv);
			return 0;
		}
		case SO_ERROR:
			if (s->err) {
				int e = s->err;

				s->err = 0;
				return put_int(val, len, e);
			}
			if (s->bfd < 0)
				return put_int(val, len, 0);
			break;
		case SO_TYPE:
			return put_int(val, len, s->type);
		case SO_DOMAIN:
			return put_int(val, len, AF_INET);
		case SO_PROTOCOL:
			return put_int(val, len, s->type == SOCK_STREAM ?
				       IPPROTO_TCP : IPPROTO_UDP);
		case SO_ACCEPTCONN:
			return put_int(val, len, s->listening);
		}
	}
	if (stack_opt(level, name) || (level == SOL_SOCKET && name == SO_ERROR)) {
		if (s->bfd >= 0)
			return bypass_getsockopt(pl.ctx, s->bfd, level, name, val,
						 len) ? -errno : 0;
	} else if (!inert_opt(level, name)) {
		return -ENOPROTOOPT;
	}
	o = find(s, level, name);
	if (!o) {
		if (level == IPPROTO_TCP && name == TCP_MAXSEG)
			return put_int(val, len, 1460);
		return put_int(val, len, 0);
	}
	if (*len > o->len)
		*len = o->len;
	memcpy(val, o->val, *len);
	return 0;
}
