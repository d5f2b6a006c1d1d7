// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The C library's own functions under the shim, found with
 * dlsym(RTLD_NEXT), and the shim's one-time start: resolving them, reading
 * the configuration and installing the fork handlers.
 */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "preload.h"

struct pl_real pl_real;

static pthread_once_t once = PTHREAD_ONCE_INIT;

void pl_process_init(void);

#define RESOLVE(name) (*(void **)&pl_real.name = dlsym(RTLD_NEXT, #name))

static void resolve(void)
{
	RESOLVE(socket);
	RESOLVE(bind);
	RESOLVE(listen);
	RESOLVE(accept4);
	RESOLVE(connect);
	RESOLVE(shutdown);
	RESOLVE(close);
	RESOLVE(dup);
	RESOLVE(dup2);
	RESOLVE(dup3);
	RESOLVE(fcntl);
	RESOLVE(ioctl);
	RESOLVE(getsockname);
	RESOLVE(getpeername);
	RESOLVE(setsockopt);
	RESOLVE(getsockopt);
	RESOLVE(read);
	RESOLVE(write);
	RESOLVE(readv);
	RESOLVE(writev);
	RESOLVE(recvfrom);
	RESOLVE(recvmsg);
	RESOLVE(sendto);
	RESOLVE(sendmsg);
	RESOLVE(sendfile);
	RESOLVE(pread);
	RESOLVE(epoll_create1);
	RESOLVE(epoll_ctl);
	RESOLVE(epoll_pwait);
	RESOLVE(epoll_pwait2);
	RESOLVE(ppoll);
	RESOLVE(poll);
	RESOLVE(select);
	RESOLVE(pselect);
	RESOLVE(syscall);
	if (!pl_real.socket || !pl_real.close || !pl_real.syscall) {
		/* No C library under us: nothing can work. */
		static const char m[] = "bypass-preload: no libc functions under the shim\n";

		if (write(2, m, sizeof(m) - 1) < 0)
			abort();
		abort();
	}
}

static void start(void)
{
	pl_inside++;
	resolve();
	if (pl_config_parse(&pl.cfg))
		pl_warn("bad BYPASS_* settings: bypass disabled, every socket stays on the kernel");
	pl_process_init();
	pl_inside--;
}

void pl_init(void)
{
	pthread_once(&once, start);
}

__attribute__((constructor)) static void pl_constructor(void)
{
	pl_init();
}
