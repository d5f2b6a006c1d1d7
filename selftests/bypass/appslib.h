/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the VM selftests that run Debian's server and client programs
 * (redis, memcached, nginx, sockperf, curl) under bypass-run: the paths of
 * bypass-run and the build tree, a server started with its output in a
 * log file and waited for (a word in that log, bounded), a bounded wait
 * until the peer netns can connect to a port, shell commands on either
 * side with their output read back, and readers for the tools' reports.
 */
#ifndef BYPASS_APPSLIB_H
#define BYPASS_APPSLIB_H

#include "examplelib.h"
#include "tcp_interop.h"

#define AP_ADDR		TL_BYPASS_IP "/24"	/* bypass-run -a */

/* build/@rel, beside this program's directory (build/selftests/). */
static inline void ap_build_path(char *buf, size_t len, const char *rel)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = 0;
	snprintf(buf, len, "%s/../%s", dirname(self), rel);
}

/* build/bin/bypass-run, as ap_build_path() finds it. */
static inline const char *ap_run(void)
{
	static char run[PATH_MAX];

	if (!run[0])
		ap_build_path(run, sizeof(run), "bin/bypass-run");
	return run;
}

/*
 * Write @dir/nginx.conf: in the foreground, @workers worker processes
 * (as root: a bypass worker opens /dev/bypass when it attaches), pid,
 * logs and temporary files under @dir, a static site @dir/www served
 * with sendfile on @listen ("A.B.C.D:PORT"). 0 or -1.
 */
static inline int ap_nginx_conf(const char *dir, const char *listen, int workers)
{
	char path[PATH_MAX];
	FILE *f;

	snprintf(path, sizeof(path), "%s/nginx.conf", dir);
	f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f,
		"daemon off;\n"
		"master_process on;\n"
		"worker_processes %d;\n"
		"user root;\n"
		"pid %s/nginx.pid;\n"
		"error_log %s/error.log info;\n"
		"events { worker_connections 1024; }\n"
		"http {\n"
		"    access_log off;\n"
		"    sendfile on;\n"
		"    keepalive_requests 1000000;\n"
		"    client_body_temp_path %s/body;\n"
		"    proxy_temp_path %s/proxy;\n"
		"    fastcgi_temp_path %s/fastcgi;\n"
		"    uwsgi_temp_path %s/uwsgi;\n"
		"    scgi_temp_path %s/scgi;\n"
		"    types { text/html html; application/octet-stream bin; }\n"
		"    default_type application/octet-stream;\n"
		"    server {\n"
		"        listen %s;\n"
		"        root %s/www;\n"
		"    }\n"
		"}\n", workers, dir, dir, dir, dir, dir, dir, dir, listen, dir);
	return fclose(f) ? -1 : 0;
}

/*
 * Make the static site @dir/www: page.html holding @page and big.bin, 4
 * MiB of random bytes whose SHA-256 goes into @sha. 0 or -1.
 */
static inline int ap_make_site(const char *dir, const char *page, char sha[65])
{
	char cmd[PATH_MAX * 3 + 256], big[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf %s && mkdir -p %s/www && head -c 4M "
		 "/dev/urandom >%s/www/big.bin && printf '%s\\n' >%s/www/page.html",
		 dir, dir, dir, page, dir);
	snprintf(big, sizeof(big), "%s/www/big.bin", dir);
	return system(cmd) == 0 ? ex_sha256(big, sha) : -1;
}

/* Does the file @path hold @word? */
static inline int ap_file_has(const char *path, const char *word)
{
	static char text[65536];

	return ex_slurp(path, text, sizeof(text)) == 0 && strstr(text, word);
}

/*
 * Fork and exec @argv (looked up on PATH) with its stdout and stderr in
 * the file @log: its pid, or -1.
 */
static inline pid_t ap_spawn(const char *log, char *const argv[])
{
	int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	pid_t pid;

	if (fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fd);
	return pid;
}

/* Wait for the child @pid: its exit status, or -1 (also when killed). */
static inline int ap_wait(pid_t pid)
{
	int status;

	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Start the shell command @cmd (sh -c, which should exec the program so
 * the pid is the program's) with its stdout and stderr in the file @log,
 * and wait at most @secs s for @log to hold @word (NULL: do not wait).
 * Returns its pid, or -1 when it ended or never said @word (killed then).
 */
static inline pid_t ap_start(const char *cmd, const char *log,
			     const char *word, int secs)
{
	char *argv[] = { "sh", "-c", (char *)cmd, NULL };
	long end = tl_now_ms() + secs * 1000L;
	pid_t pid = ap_spawn(log, argv);

	if (pid < 0 || !word)
		return pid;
	/* Bounded: the log is looked at every 50 ms until @word or @secs. */
	while (!ap_file_has(log, word)) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			return -1;
		if (tl_now_ms() > end) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		usleep(50000);
	}
	return pid;
}

/*
 * Wait at most @secs s until a TCP connect from the peer netns to the
 * bypass address:@port is accepted (the connection is closed at once):
 * 0, or -1 when it never was.
 */
static inline int ap_wait_peer_port(uint16_t port, int secs)
{
	pid_t pid = fork();

	if (pid == 0) {
		long end = tl_now_ms() + secs * 1000L;

		if (tl_enter_peer())
			_exit(2);
		while (tl_now_ms() < end) {
			int s = ti_linux_connect(port);

			if (s >= 0 && ti_linux_connected(s, 1000) == 0)
				_exit(0);
			if (s >= 0)
				close(s);
			usleep(100000);	/* a retry, not a synchronisation */
		}
		_exit(1);
	}
	return ap_wait(pid) == 0 ? 0 : -1;
}

/*
 * Run the shell command @fmt... in the peer netns under a limit of @secs
 * s (ex_peer_sh) and read its output into @buf: its exit status or -1.
 */
static inline int __attribute__((format(printf, 4, 5)))
ap_peer_out(char *buf, size_t len, int secs, const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	rc = ex_peer_sh("/tmp/preload-apps-peer.out", secs, "%s", cmd);
	if (ex_slurp("/tmp/preload-apps-peer.out", buf, len))
		buf[0] = 0;
	return rc;
}

/*
 * Run the shell command @fmt... here (outside the peer netns) under a
 * limit of @secs s, its stdout and stderr into @buf: its exit status, 124
 * when it timed out, or -1.
 */
static inline int __attribute__((format(printf, 4, 5)))
ap_sh_out(char *buf, size_t len, int secs, const char *fmt, ...)
{
	const char *out = "/tmp/preload-apps-here.out";
	char cmd[1536], limit[16];
	char *argv[] = { "timeout", "-k", "5", limit, "sh", "-c", cmd, NULL };
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(limit, sizeof(limit), "%d", secs);
	rc = ap_wait(ap_spawn(out, argv));
	if (ex_slurp(out, buf, len))
		buf[0] = 0;
	return rc;
}

/*
 * Fork a child that runs ex_peer_sh(@out, @secs, "%s", @cmd) and exits
 * with its status (0..255; -1 becomes 255): the child's pid, or -1.
 */
static inline pid_t ap_peer_bg(const char *out, int secs, const char *cmd)
{
	pid_t pid = fork();

	if (pid == 0)
		_exit(ex_peer_sh(out, secs, "%s", cmd) & 0xff);
	return pid;
}

/* Is the child @pid still running (it is not reaped here)? */
static inline int ap_running(pid_t pid)
{
	siginfo_t si = { 0 };

	if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT))
		return 0;
	return si.si_pid == 0;
}

/*
 * The requests per second of test @name in redis-benchmark's --csv
 * output @text (the row "NAME","RPS",...), or -1 when there is no row.
 */
static inline double ap_redis_csv_rps(const char *text, const char *name)
{
	char key[96];

	snprintf(key, sizeof(key), "\n\"%s\",\"", name);
	return ex_number_after(text, key, -1);
}

/* The requests wrk's report @text counts ("N requests in ..."), or -1. */
static inline double ap_wrk_requests(const char *text)
{
	const char *p = strstr(text, " requests in ");

	if (!p)
		return -1;
	while (p > text && p[-1] != '\n')
		p--;
	return strtod(p, NULL);
}

/*
 * The number of observations in sockperf's report @text ("Total N
 * observations", maybe inside colour escapes), or -1.
 */
static inline double ap_sockperf_observations(const char *text)
{
	const char *p = text;
	double v;

	while ((p = strstr(p, "Total ")) != NULL) {
		v = ex_number_after(p, "Total ", -1);
		if (v >= 0 && strstr(p, " observations") &&
		    strstr(p, " observations") - p < 32)
			return v;
		p += 6;
	}
	return -1;
}

#endif /* BYPASS_APPSLIB_H */
