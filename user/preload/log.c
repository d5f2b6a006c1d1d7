// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The shim's messages: one line each on stderr, prefixed with
 * "bypass-preload[PID]: ", written with one write(2) so lines of several
 * threads or processes do not mix. Verbose lines (each socket's decision)
 * only with BYPASS_VERBOSE.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

#include "preload.h"

static void vline(const char *fmt, va_list ap)
{
	char buf[512];
	int n, e = errno;

	n = snprintf(buf, sizeof(buf), "bypass-preload[%d]: ", (int)getpid());
	if (n < 0)
		return;
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	if (n >= (int)sizeof(buf))
		n = (int)sizeof(buf) - 1;
	buf[n++] = '\n';
	if (pl_real.write)
		n = (int)pl_real.write(2, buf, (size_t)n);
	errno = e;
}

void pl_log(const char *fmt, ...)
{
	va_list ap;

	if (!pl.cfg.verbose)
		return;
	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

void pl_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(fmt, ap);
	va_end(ap);
}

const char *pl_ntoa(char *buf, uint32_t addr, uint16_t port)
{
	const uint8_t *a = (const uint8_t *)&addr;

	snprintf(buf, 24, "%u.%u.%u.%u:%u", a[0], a[1], a[2], a[3], port);
	return buf;
}
