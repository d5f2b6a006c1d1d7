/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers for the VM selftests that run libbypass on the claimed NIC: the
 * stack at the test address, and a bypass application in a child process
 * that says when it runs and stops on SIGTERM.
 */
#ifndef BYPASS_STACKLIB_H
#define BYPASS_STACKLIB_H

#include <arpa/inet.h>
#include <signal.h>
#include <sys/wait.h>

#include "testlib.h"

#include "bypass_kdev.h"
#include "bypass_stack.h"

#define TL_BYPASS_IP	"192.0.2.1"

/* Set by SIGTERM in an application started with tl_start_app(). */
static volatile sig_atomic_t tl_app_stop;

static inline void tl_on_term(int sig)
{
	(void)sig;
	tl_app_stop = 1;
}

/* Attach queue pair 0 of the test NIC and start a stack at 192.0.2.1/24. */
static inline int tl_open_stack(struct bypass_dev **dev, struct bypass_stack **st)
{
	struct bypass_stack_config cfg = { .prefix_len = 24 };

	inet_pton(AF_INET, TL_BYPASS_IP, &cfg.addr);
	if (bypass_kdev_open(tl_nic(), 0, dev))
		return -1;
	if (bypass_stack_create(*dev, &cfg, st)) {
		bypass_dev_destroy(*dev);
		return -1;
	}
	return 0;
}

/*
 * Fork @fn(ready, @arg) as a bypass application: it writes one byte to
 * @ready once it serves and returns (its exit status) after tl_app_stop.
 * Returns its pid once it runs, or -1.
 */
static inline pid_t tl_start_app(int (*fn)(int ready, int arg), int arg)
{
	int ready[2];
	pid_t pid;
	char c;

	if (pipe(ready))
		return -1;
	pid = fork();
	if (pid == 0) {
		struct sigaction sa = { .sa_handler = tl_on_term };

		sigaction(SIGTERM, &sa, NULL);
		close(ready[0]);
		_exit(fn(ready[1], arg));
	}
	close(ready[1]);
	if (pid < 0 || read(ready[0], &c, 1) != 1)
		pid = -1;
	close(ready[0]);
	return pid;
}

/* Stop an application from tl_start_app(); its exit status (128+sig if killed). */
static inline int tl_stop_app(pid_t pid)
{
	int status = -1;

	kill(pid, SIGTERM);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#endif /* BYPASS_STACKLIB_H */
