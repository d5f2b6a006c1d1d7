/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internals of libbypass-preload.so, the LD_PRELOAD shim that runs an
 * unmodified program's AF_INET sockets on bypass (Documentation/preload.rst):
 * the state every file of user/preload/ shares. Each socket the shim
 * tracks is a real kernel fd (the kernel socket made at socket() time)
 * indexed in the fd table; once committed to bypass it also has a
 * descriptor in the process's one bypass context, guarded by one lock.
 */
#ifndef BYPASS_PRELOAD_H
#define BYPASS_PRELOAD_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "bypass_socket.h"

/* The interposed calls are the only symbols the shim exports. */
#define PL_EXPORT __attribute__((visibility("default")))

/* -1 with errno @e, as the calls report failure. */
static inline int pl_fail(int e)
{
	errno = e;
	return -1;
}

/* ---- config.c: environment and the decision rule ---------------------- */

enum pl_route {
	PL_ROUTE_SUBNET,	/* bypass: destinations in the NIC's subnet */
	PL_ROUTE_GATEWAY,	/* ... and every other non-local one */
	PL_ROUTE_NONE,		/* no connect goes to bypass */
};

struct pl_config {
	uint32_t addr;		/* network order; 0: not known yet */
	uint8_t prefix_len;
	uint32_t gateway;
	char device[32];	/* PCI address; "" = the first claimed */
	unsigned int queue_pair;
	bool verbose;
	enum pl_route route;
	bool dns_bypass;	/* UDP to port 53 may go to bypass */
	bool bind_any;		/* INADDR_ANY binds go to bypass */
	char tap[16];		/* test hook: a TAP interface, not a NIC */
	uint32_t max_sockets;
};

/* Fill @c from the environment (BYPASS_*). Returns 0 or -EINVAL. */
int pl_config_parse(struct pl_config *c);
/* "A.B.C.D[/N]" into @addr (network order) and @prefix (32 if none). */
int pl_parse_cidr(const char *s, uint32_t *addr, uint8_t *prefix);
/*
 * The decision rule: NULL when the socket goes to bypass, otherwise why it
 * stays on the kernel (for the verbose log). Addresses in network order,
 * ports in host order; @type is SOCK_STREAM or SOCK_DGRAM.
 */
const char *pl_bind_rule(const struct pl_config *c, uint32_t addr,
			 uint16_t port);
const char *pl_dest_rule(const struct pl_config *c, int type, uint32_t addr,
			 uint16_t port);

/* ---- log.c -------------------------------------------------------------- */

/* One line to stderr when BYPASS_VERBOSE is set. */
void pl_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* One line to stderr always (what the user must know). */
void pl_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "a.b.c.d:port" of @addr (network order) in @buf (at least 24 bytes). */
const char *pl_ntoa(char *buf, uint32_t addr, uint16_t port);

/* ---- real.c: the C library's functions under the shim ------------------ */

struct pl_real {
	int (*socket)(int, int, int);
	int (*bind)(int, const struct sockaddr *, socklen_t);
	int (*listen)(int, int);
	int (*accept4)(int, struct sockaddr *, socklen_t *, int);
	int (*connect)(int, const struct sockaddr *, socklen_t);
	int (*shutdown)(int, int);
	int (*close)(int);
	int (*dup)(int);
	int (*dup2)(int, int);
	int (*dup3)(int, int, int);
	int (*fcntl)(int, int, ...);
	int (*ioctl)(int, unsigned long, ...);
	int (*getsockname)(int, struct sockaddr *, socklen_t *);
	int (*getpeername)(int, struct sockaddr *, socklen_t *);
	int (*setsockopt)(int, int, int, const void *, socklen_t);
	int (*getsockopt)(int, int, int, void *, socklen_t *);
	ssize_t (*read)(int, void *, size_t);
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*readv)(int, const struct iovec *, int);
	ssize_t (*writev)(int, const struct iovec *, int);
	ssize_t (*recvfrom)(int, void *, size_t, int, struct sockaddr *,
			    socklen_t *);
	ssize_t (*recvmsg)(int, struct msghdr *, int);
	ssize_t (*sendto)(int, const void *, size_t, int,
			  const struct sockaddr *, socklen_t);
	ssize_t (*sendmsg)(int, const struct msghdr *, int);
	ssize_t (*sendfile)(int, int, off_t *, size_t);
	ssize_t (*pread)(int, void *, size_t, off_t);
	int (*epoll_create1)(int);
	int (*epoll_ctl)(int, int, int, struct epoll_event *);
	int (*epoll_pwait)(int, struct epoll_event *, int, int,
			   const sigset_t *);
	int (*epoll_pwait2)(int, struct epoll_event *, int,
			    const struct timespec *, const sigset_t *);
	int (*ppoll)(struct pollfd *, nfds_t, const struct timespec *,
		     const sigset_t *);
	int (*poll)(struct pollfd *, nfds_t, int);
	int (*select)(int, fd_set *, fd_set *, fd_set *, struct timeval *);
	int (*pselect)(int, fd_set *, fd_set *, fd_set *,
		       const struct timespec *, const sigset_t *);
	long (*syscall)(long, ...);
};

extern struct pl_real pl_real;
/* Resolve pl_real and read the config (once; every wrapper calls it). */
void pl_init(void);

/* ---- fdtable.c: kernel fd -> what the shim knows of it ------------------ */

enum pl_kind { PL_SOCK = 1, PL_EPOLL };

/* Where a tracked socket is. */
enum pl_sock_state {
	PS_UNDECIDED,	/* a kernel socket that may still go to bypass */
	PS_KERNEL,	/* decided: kernel (kept only while dups share it) */
	PS_BYPASS,	/* committed to bypass */
};

/* Options the shim records (to replay on attach, or that bypass ignores). */
#define PL_MAX_OPTS	24
struct pl_opt {
	int level, name;
	socklen_t len;
	uint8_t val[16];
};

struct pl_sock {
	uint8_t kind;		/* PL_SOCK */
	uint8_t state;		/* enum pl_sock_state */
	int refs;		/* kernel fds that name it (dup) */
	int type;		/* SOCK_STREAM or SOCK_DGRAM */
	int bfd;		/* its descriptor in the context, -1: none yet */
	int err;		/* a replay's failure, reported once */
	bool nonblock;		/* the application's O_NONBLOCK */
	bool bound, listening;
	uint32_t bind_addr;	/* network order */
	uint16_t bind_port;
	int backlog;
	uint64_t rcvtimeo_ns, sndtimeo_ns;	/* 0: none */
	unsigned int nr_opts;
	struct pl_opt opts[PL_MAX_OPTS];
	/* The kernel epoll it was put in while undecided (moved on commit). */
	int ep_kfd;
	struct epoll_event ep_ev;
};

struct pl_epoll {
	uint8_t kind;		/* PL_EPOLL */
	uint8_t pad;
	int refs;
	int bset;		/* the context's readiness set, -1: none yet */
	bool ctx_added;		/* the context's fd is in the kernel epoll */
	unsigned int turn;	/* waits since the kernel set was last looked at */
};

union pl_fd {
	uint8_t kind;
	struct pl_sock s;
	struct pl_epoll e;
};

/* Kernel fds the table covers; higher ones are never tracked. */
#define PL_MAX_FD	(1 << 20)

/* What @fd is, or NULL (lock-free: a racing close is the application's). */
union pl_fd *pl_fd_get(int fd);
/* The socket @fd names if it is committed to bypass, else NULL. */
struct pl_sock *pl_bypass_sock(int fd);
void pl_fd_set(int fd, union pl_fd *p);
/* Highest fd ever set, for walks over the table. */
int pl_fd_high(void);
/* A new tracked socket for kernel fd @fd (refs 1), or NULL. */
struct pl_sock *pl_sock_new(int fd, int type, int state);
/*
 * Drop @fd's reference to what it names (under the lock); the last one
 * closes the bypass side. The kernel fd itself is the caller's to close.
 */
void pl_fd_drop(int fd);
/* @newfd names what @oldfd names now (after a successful kernel dup). */
void pl_fd_dup(int oldfd, int newfd);

/* ---- ctx.c: the context, its lock, attaching, waiting ------------------- */

enum pl_attach {
	PA_NONE,	/* not attached yet */
	PA_OK,
	PA_FAILED,	/* tried and failed: pl.attach_err */
	PA_LOST,	/* a child of a process that had attached */
};

struct pl_state {
	pthread_mutex_t lock;
	struct pl_config cfg;
	struct bypass_ctx *ctx;
	struct bypass_dev *dev;
	int ctx_fd;
	int attach;		/* enum pl_attach */
	int attach_err;
};

extern struct pl_state pl;
/* Set while this thread is inside the shim: nested calls go straight on. */
extern __thread int pl_inside;

void pl_lock(void);
void pl_unlock(void);
/* No BYPASS_ADDR: read the claim's address once, attaching briefly (locked). */
void pl_probe_addr(void);
/* Attach if not yet (lock held): 0, or -errno (logged once). */
int pl_attach(void);
/* Give @s its context descriptor and replay what was recorded (locked). */
int pl_materialize(struct pl_sock *s);
/*
 * Commit @s (undecided) to bypass, logging the decision for @fd (locked).
 * @attach: the call needs the device now.
 */
int pl_commit(int fd, struct pl_sock *s, const char *what, uint32_t addr,
	      uint16_t port, bool attach);
/* Decide kernel for @s: forget it when no dup shares it (locked). */
void pl_to_kernel(int fd, struct pl_sock *s, const char *what, uint32_t addr,
		  uint16_t port, const char *why);
/* The socket @fd names, committed and with a context descriptor (locked). */
struct pl_sock *pl_ready_sock(int fd);
/* Poll the context, then wake the sleepers (locked). */
void pl_progress(void);
/*
 * After pl_sleep_prepare() (which gave @sleep_fd) and pl_unlock(): sleep
 * until the context has news, another thread looked at the stack, or
 * @deadline (CLOCK_MONOTONIC ns, 0: none). 0, or -1 with errno EINTR, or EAGAIN at the deadline.
 */
int pl_block(uint64_t deadline, int sleep_fd);

/* ---- sleep.c: threads asleep, woken by another thread's progress ------- */

/*
 * This thread is about to sleep (locked, before pl_unlock): its own
 * eventfd, to poll beside the context's fd, or -1 if it has none.
 */
int pl_sleep_prepare(void);
/* ... and woke (locked): off the list, its eventfd lowered. */
void pl_sleep_done(void);
/* A look at the stack may have news for the sleepers: wake them (locked). */
void pl_kick(void);
/* In a forked child: no thread of the parent sleeps here. */
void pl_sleep_forget(void);
uint64_t pl_now(void);
/*
 * Run @fn (with the lock, on @fd's context descriptor) until it does not
 * fail with EAGAIN: at once again after polling the context, then asleep
 * on the context's fd, unless the socket is non-blocking or @dontwait.
 * @timeout_ns: 0 or the SO_RCVTIMEO/SO_SNDTIMEO bound (then EAGAIN).
 */
ssize_t pl_retry(int fd, bool dontwait, bool sending,
		 ssize_t (*fn)(struct pl_sock *s, void *arg), void *arg);
/* Deadline for a timeout of @ns from now (0: none). */
uint64_t pl_deadline(uint64_t ns);
/* Close every bypass socket and let the stack send what is queued. */
void pl_flush_at_exit(void);

/* ---- sockopt.c ---------------------------------------------------------- */

/* Record option @level/@name for @s (replayed on attach, read back). */
int pl_opt_record(struct pl_sock *s, int level, int name, const void *val,
		  socklen_t len);
/* Replay the recorded options into the context (locked). */
void pl_opt_replay(struct pl_sock *s);
int pl_setsockopt(struct pl_sock *s, int level, int name, const void *val,
		  socklen_t len);
int pl_getsockopt(struct pl_sock *s, int level, int name, void *val,
		  socklen_t *len);

/* ---- data.c ------------------------------------------------------------- */

ssize_t pl_recv_iov(int fd, const struct iovec *iov, int cnt, int flags,
		    struct sockaddr *from, socklen_t *fromlen, int *msg_flags);
ssize_t pl_send_iov(int fd, const struct iovec *iov, int cnt, int flags,
		    const struct sockaddr *to, socklen_t tolen);

/* ---- epoll.c ------------------------------------------------------------ */

/* Move @s's recorded kernel epoll registration to bypass (locked). */
void pl_epoll_adopt(struct pl_sock *s);

/* ---- poll.c ------------------------------------------------------------- */

int pl_poll(struct pollfd *fds, nfds_t n, int64_t timeout_ns,
	    const sigset_t *mask);

/* Readiness of one bypass socket as poll(2) revents for @want (locked). */
short pl_revents(struct pl_sock *s, short want);

#endif /* BYPASS_PRELOAD_H */
