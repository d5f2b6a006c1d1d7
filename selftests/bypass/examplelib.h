/* SPDX-License-Identifier: GPL-2.0 */
/*
 * For the VM selftests that run the example programs (build/examples/)
 * or unmodified programs (under bypass-run) against real Linux tools:
 * start one and wait, bounded, for its "ready" line (or another word); stop it
 * (and read what it printed last); write wrk's summary script; run a shell command in the peer netns under a
 * time limit with its output in a file; read numbers out of that output;
 * hash a file.
 */
#ifndef BYPASS_EXAMPLELIB_H
#define BYPASS_EXAMPLELIB_H

#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <sys/wait.h>

#include "testlib.h"

/* build/examples/NAME, next to this program's directory. */
static inline void ex_path(const char *name, char *out, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = 0;
	snprintf(out, len, "%s/../examples/%s", dirname(self), name);
}

/* The read end of the running example's stdout, open until it stops. */
static int ex_out = -1;

/*
 * Start the program @argv[0] (a path, or a name looked up on PATH) with
 * @argv, its stdout on a pipe, and wait, at most 30 s, for its output to
 * hold @word. Returns its pid or -1.
 */
static inline pid_t ex_start_cmd(char *const argv[], const char *word)
{
	char line[256] = { 0 };
	struct pollfd p;
	int out[2];
	size_t got = 0;
	pid_t pid;

	if (pipe(out))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(out[1], 1);
		close(out[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(out[1]);
	p.fd = out[0];
	p.events = POLLIN;
	while (pid > 0 && !strstr(line, word)) {
		ssize_t n;

		if (poll(&p, 1, 30000) != 1 || got == sizeof(line) - 1)
			goto fail;
		n = read(out[0], line + got, sizeof(line) - 1 - got);
		if (n <= 0)
			goto fail;
		got += (size_t)n;
	}
	ex_out = out[0];	/* its last words must not hit a closed pipe */
	return pid;
fail:
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	close(out[0]);
	return -1;
}

/*
 * Start an example with @args (NULL-terminated, after the program name)
 * and wait, at most 30 s, for its "ready" line. Returns its pid or -1.
 */
static inline pid_t ex_start(const char *name, char *const args[])
{
	char path[PATH_MAX];
	char *argv[16] = { path };
	int i;

	ex_path(name, path, sizeof(path));
	for (i = 0; args[i] && i < 14; i++)
		argv[i + 1] = args[i];
	return ex_start_cmd(argv, "ready");
}

/*
 * Stop an example with SIGTERM: its exit status (128+sig if killed), or -1.
 * With @tail, what it printed after the word ex_start_cmd() waited for
 * (at most @len - 1 bytes, NUL-terminated).
 */
static inline int ex_stop_read(pid_t pid, char *tail, size_t len)
{
	size_t got = 0;
	int status, i;
	ssize_t n;
	pid_t r;

	kill(pid, SIGTERM);
	/* At most 10 s for it to end, then SIGKILL and a failure. */
	for (i = 0; (r = waitpid(pid, &status, WNOHANG)) == 0 && i < 1000; i++)
		usleep(10000);
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	if (r != pid)
		status = -1;
	/* It has ended: the pipe holds its last words, then EOF. */
	while (tail && got < len - 1 && (n = read(ex_out, tail + got, len - 1 - got)) > 0)
		got += (size_t)n;
	if (tail)
		tail[got] = 0;
	close(ex_out);
	ex_out = -1;
	if (status == -1)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static inline int ex_stop(pid_t pid)
{
	return ex_stop_read(pid, NULL, 0);
}

/*
 * Write to @path a Lua script for wrk -s that prints its summary as lines
 * ex_number_after() reads ("requests:", "errors connect:", "errors read:",
 * "errors write:", "errors timeout:", "errors status:"): 0 or -1.
 */
static inline int ex_wrk_script(const char *path)
{
	static const char script[] =
		"done = function(s)\n"
		"  io.write(string.format(\"requests: %d\\nerrors connect: %d\\n"
		"errors read: %d\\nerrors write: %d\\nerrors timeout: %d\\n"
		"errors status: %d\\n\", s.requests, s.errors.connect, s.errors.read,"
		" s.errors.write, s.errors.timeout, s.errors.status))\n"
		"end\n";
	FILE *f = fopen(path, "w");

	if (!f)
		return -1;
	if (fwrite(script, sizeof(script) - 1, 1, f) != 1) {
		fclose(f);
		return -1;
	}
	return fclose(f) ? -1 : 0;
}

/*
 * Run the shell command @fmt... in the peer netns, killed after @secs s
 * (coreutils timeout, SIGKILL 5 s later), its stdout and stderr into the
 * file @out: the command's exit status, 124 when it timed out, or -1.
 */
static inline int __attribute__((format(printf, 3, 4)))
ex_peer_sh(const char *out, int secs, const char *fmt, ...)
{
	char cmd[1024], limit[16];
	int status, fd;
	va_list ap;
	pid_t pid;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	snprintf(limit, sizeof(limit), "%d", secs);
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		execlp("timeout", "timeout", "-k", "5", limit, "ip", "netns", "exec",
		       "peer", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	close(fd);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The file @path (at most @len - 1 bytes, NUL-terminated) into @buf: 0 or -1. */
static inline int ex_slurp(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;
	size_t got = 0;

	if (fd < 0)
		return -1;
	while (got < len - 1 && (n = read(fd, buf + got, len - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(fd);
	return 0;
}

/*
 * The number right after the first @key in @text (spaces skipped), or
 * @none when @key is absent or no number follows.
 */
static inline double ex_number_after(const char *text, const char *key,
				     double none)
{
	const char *p = strstr(text, key);
	char *end;
	double v;

	if (!p)
		return none;
	v = strtod(p + strlen(key), &end);
	return end == p + strlen(key) ? none : v;
}

/* The SHA-256 of the file @path (sha256sum) as 64 hex digits: 0 or -1. */
static inline int ex_sha256(const char *path, char hex[65])
{
	char cmd[PATH_MAX + 32];
	FILE *f;
	int ok;

	snprintf(cmd, sizeof(cmd), "sha256sum '%s'", path);
	f = popen(cmd, "r");
	if (!f)
		return -1;
	ok = fscanf(f, "%64s", hex) == 1;
	if (pclose(f) || !ok || strlen(hex) != 64)
		return -1;
	return 0;
}

/* Print @text line by line as TAP diagnostics ("#   line"). */
static inline void ex_log_text(const char *text)
{
	const char *p = text, *nl;

	while (*p) {
		nl = strchr(p, '\n');
		fprintf(stderr, "#   %.*s\n", nl ? (int)(nl - p) : (int)strlen(p), p);
		if (!nl)
			break;
		p = nl + 1;
	}
}

#endif /* BYPASS_EXAMPLELIB_H */
