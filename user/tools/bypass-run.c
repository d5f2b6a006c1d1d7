// SPDX-License-Identifier: GPL-2.0
/*
 * bypass-run: run an unmodified program with its AF_INET TCP and UDP
 * sockets on bypass (Documentation/preload.rst).
 *
 *   bypass-run [-d PCI] [-q N] [-a A.B.C.D/N] [-g A.B.C.D] [-v] -- CMD [ARGS...]
 *
 * Checks that CMD can be interposed (a dynamically linked program, not a
 * Go one: those make their system calls without libc), that -d names the
 * NIC when several are claimed, that the queue pair can be attached and reads the address `bypassctl claim`
 * recorded, then sets LD_PRELOAD to libbypass-preload.so and the
 * BYPASS_* variables the shim reads, and execs CMD. Exit status: CMD's,
 * or 1 (one line on stderr saying why) when it cannot run it on bypass,
 * 2 on a usage error.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bypass_kdev.h"

#define SHIM	"libbypass-preload.so"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: bypass-run [options] -- CMD [ARGS...]\n"
		"  -d, --device PCI        the claimed NIC (default: the first claimed)\n"
		"  -q, --queue-pair N      its queue pair (default 0)\n"
		"  -a, --addr A.B.C.D/N    address (default: what bypassctl claim recorded)\n"
		"  -g, --gateway A.B.C.D   gateway (default: the recorded one)\n"
		"  -v, --verbose           log each socket's decision on stderr\n");
}

static int die(const char *fmt, const char *arg, const char *why)
{
	fprintf(stderr, "bypass-run: ");
	fprintf(stderr, fmt, arg, why);
	fputc('\n', stderr);
	return 1;
}

/* CMD as execvp would find it, in @buf; false when not found. */
static bool find_cmd(const char *cmd, char *buf, size_t len)
{
	const char *path = getenv("PATH"), *p, *end;

	if (strchr(cmd, '/')) {
		snprintf(buf, len, "%s", cmd);
		return access(buf, X_OK) == 0;
	}
	for (p = path ? path : "/usr/bin:/bin"; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(buf, len, "%.*s/%s", (int)(end - p), p[0] ? p : ".", cmd);
		if (access(buf, X_OK) == 0)
			return true;
	}
	return false;
}

/*
 * Why LD_PRELOAD cannot reach @file's socket calls, or NULL: a static ELF
 * (no PT_INTERP) or a Go program (a .go.buildinfo section). Scripts and
 * what is not a 64-bit ELF are let through.
 */
static const char *not_interposable(const char *file)
{
	static char why[64];
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Shdr sh, strtab;
	bool interp = false;
	char name[16];
	int fd = open(file, O_RDONLY | O_CLOEXEC), i;
	const char *r = NULL;

	if (fd < 0)
		return NULL;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64)
		goto out;
	for (i = 0; i < eh.e_phnum; i++)
		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) ==
		    sizeof(ph) && ph.p_type == PT_INTERP)
			interp = true;
	if (!interp) {
		r = "is statically linked";
		goto out;
	}
	if (eh.e_shstrndx == SHN_UNDEF ||
	    pread(fd, &strtab, sizeof(strtab),
		  (off_t)(eh.e_shoff + (uint64_t)eh.e_shstrndx * eh.e_shentsize)) != sizeof(strtab))
		goto out;
	for (i = 0; i < eh.e_shnum; i++) {
		if (pread(fd, &sh, sizeof(sh), (off_t)(eh.e_shoff + (uint64_t)i * eh.e_shentsize)) !=
		    sizeof(sh) ||
		    pread(fd, name, sizeof(name), (off_t)(strtab.sh_offset + sh.sh_name)) !=
		    sizeof(name))
			continue;
		name[sizeof(name) - 1] = 0;
		if (!strcmp(name, ".go.buildinfo")) {
			snprintf(why, sizeof(why), "is a Go program (its runtime makes system calls itself)");
			r = why;
			break;
		}
	}
out:
	close(fd);
	return r;
}

/* The shim beside this program: BIN/../lib/libbypass-preload.so. */
static bool find_shim(char *buf, size_t len)
{
	char self[PATH_MAX];
	ssize_t n;
	const char *env = getenv("BYPASS_PRELOAD_LIB");

	if (env && *env) {
		snprintf(buf, len, "%s", env);
		return access(buf, R_OK) == 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = 0;
	snprintf(buf, len, "%s/../lib/" SHIM, dirname(self));
	if (access(buf, R_OK))
		return false;
	return realpath(buf, self) && snprintf(buf, len, "%s", self) > 0;
}

/*
 * How many NICs bypass.ko has claimed (PCI functions bound to its
 * driver); the first two names in @names.
 */
static int claimed(char *names, size_t len)
{
	DIR *d = opendir("/sys/bus/pci/drivers/bypass");
	struct dirent *e;
	int n = 0;

	names[0] = 0;
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		if (!strchr(e->d_name, ':'))
			continue;	/* bind, unbind, module... */
		/* PCI addresses are short: two fit (the rest is "..."). */
		if (n++ < 2 && strlen(names) + strlen(e->d_name) + 3 < len) {
			if (n > 1)
				strcat(names, ", ");
			strcat(names, e->d_name);
		}
	}
	closedir(d);
	return n;
}

/* Attach and let go of the queue pair: it works, and its recorded address. */
static int probe(const char *device, unsigned int qp, char *addr, size_t alen,
		 char *gw, size_t glen)
{
	struct bypass_dev *dev;
	uint32_t a, g;
	uint8_t prefix;
	char s[INET_ADDRSTRLEN];
	int r = bypass_kdev_open(device, qp, &dev);

	if (r)
		return r;
	bypass_kdev_ipv4(dev, &a, &prefix, &g);
	bypass_dev_destroy(dev);
	if (a && !addr[0])
		snprintf(addr, alen, "%s/%u", inet_ntop(AF_INET, &a, s, sizeof(s)), prefix);
	if (g && !gw[0])
		snprintf(gw, glen, "%s", inet_ntop(AF_INET, &g, s, sizeof(s)));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, 'd' },
		{ "queue-pair", required_argument, NULL, 'q' },
		{ "addr", required_argument, NULL, 'a' },
		{ "gateway", required_argument, NULL, 'g' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char addr[32] = "", gw[32] = "", cmd[PATH_MAX], shim[PATH_MAX], qps[16];
	char preload[2 * PATH_MAX + 2], names[64], *end;
	const char *device = NULL, *why, *old;
	unsigned long qp = 0;
	bool verbose = false;
	int c, r, nclaimed;

	while ((c = getopt_long(argc, argv, "+d:q:a:g:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			device = optarg;
			break;
		case 'q':
			errno = 0;
			qp = strtoul(optarg, &end, 10);
			if (*end || errno || qp > 65535)
				return usage(stderr), 2;
			break;
		case 'a':
			snprintf(addr, sizeof(addr), "%s", optarg);
			break;
		case 'g':
			snprintf(gw, sizeof(gw), "%s", optarg);
			break;
		case 'v':
			verbose = true;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	if (!find_cmd(argv[optind], cmd, sizeof(cmd)))
		return die("%s: %s", argv[optind], "command not found");
	why = not_interposable(cmd);
	if (why)
		return die("%s %s: LD_PRELOAD cannot reach its socket calls, so it cannot run on bypass",
			   cmd, why);
	if (!find_shim(shim, sizeof(shim)))
		return die("%s: %s", SHIM, "not found beside bypass-run (or BYPASS_PRELOAD_LIB)");
	/* The TAP test hook has no claimed NIC to look at. */
	nclaimed = getenv("BYPASS_PRELOAD_TAP") || device ? 0 :
		   claimed(names, sizeof(names));
	if (nclaimed > 1)
		return die("several NICs are claimed (%s%s): choose one with -d PCI",
			   names, nclaimed > 2 ? ", ..." : "");
	if (!getenv("BYPASS_PRELOAD_TAP")) {
		r = probe(device, (unsigned int)qp, addr, sizeof(addr), gw, sizeof(gw));
		snprintf(preload, sizeof(preload), "%lu of %s", qp,
			 device ? device : "the claimed NIC");
		if (r)
			return die("cannot attach queue pair %s: %s (is bypass.ko loaded, a NIC claimed with bypassctl claim and the pair free?)",
				   preload, strerror(-r));
	}
	if (!addr[0])
		return die("%s%s", "no address recorded for the NIC: ",
			   "give one with -a A.B.C.D/N or bypassctl set");
	snprintf(qps, sizeof(qps), "%lu", qp);
	old = getenv("LD_PRELOAD");
	snprintf(preload, sizeof(preload), "%s%s%s", shim, old && *old ? ":" : "",
		 old ? old : "");
	if (setenv("LD_PRELOAD", preload, 1) || setenv("BYPASS_ADDR", addr, 1) ||
	    setenv("BYPASS_QUEUE_PAIR", qps, 1) ||
	    (gw[0] && setenv("BYPASS_GATEWAY", gw, 1)) ||
	    (device && setenv("BYPASS_DEVICE", device, 1)) ||
	    (verbose && setenv("BYPASS_VERBOSE", "1", 1)))
		return die("%s: %s", "setenv", strerror(errno));
	execv(cmd, argv + optind);
	return die("%s: %s", cmd, strerror(errno));
}
