// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * syscall(2) with a socket system call number: routed to the shim's own
 * wrappers, so a program that makes them through syscall() is treated as
 * one calling the libc functions. Every other number goes to the kernel.
 */
#include <stdarg.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "preload.h"

int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

PL_EXPORT long syscall(long nr, ...)
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	pl_init();
	if (!pl_inside) {
		switch (nr) {
		case SYS_socket:
			return socket((int)a[0], (int)a[1], (int)a[2]);
		case SYS_bind:
			return bind((int)a[0], (void *)a[1], (socklen_t)a[2]);
		case SYS_listen:
			return listen((int)a[0], (int)a[1]);
		case SYS_accept:
			return accept4((int)a[0], (void *)a[1], (void *)a[2], 0);
		case SYS_accept4:
			return accept4((int)a[0], (void *)a[1], (void *)a[2], (int)a[3]);
		case SYS_connect:
			return connect((int)a[0], (void *)a[1], (socklen_t)a[2]);
		case SYS_sendto:
			return sendto((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3],
				      (void *)a[4], (socklen_t)a[5]);
		case SYS_recvfrom:
			return recvfrom((int)a[0], (void *)a[1], (size_t)a[2], (int)a[3],
					(void *)a[4], (void *)a[5]);
		case SYS_sendmsg:
			return sendmsg((int)a[0], (void *)a[1], (int)a[2]);
		case SYS_recvmsg:
			return recvmsg((int)a[0], (void *)a[1], (int)a[2]);
		case SYS_shutdown:
			return shutdown((int)a[0], (int)a[1]);
		case SYS_read:
			return read((int)a[0], (void *)a[1], (size_t)a[2]);
		case SYS_write:
			return write((int)a[0], (void *)a[1], (size_t)a[2]);
		case SYS_close:
			return close((int)a[0]);
		}
	}
	return pl_real.syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
