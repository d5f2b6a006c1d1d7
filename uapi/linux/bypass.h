/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * bypass: the ABI between bypass.ko and its userspace (libbypass, bypassctl).
 *
 * Every ioctl takes a pointer to a struct that starts with __u32 argsz (the
 * size userspace believes the struct has) and __u32 flags. The kernel
 * accepts any argsz at least as large as the first version of the struct;
 * bytes beyond what the kernel knows must be zero (else E2BIG), and every
 * flag bit and reserved field the kernel does not know must be zero (else
 * EINVAL). New fields are only ever appended, so old binaries keep working.
 */
#ifndef _UAPI_LINUX_BYPASS_H
#define _UAPI_LINUX_BYPASS_H

#include <linux/types.h>
#include <linux/ioctl.h>

/* Bumped on every incompatible change; compatible additions keep it. */
#define BYPASS_ABI_VERSION	1

#define BYPASS_DEVICE_NAME	"bypass"
#define BYPASS_IOCTL_TYPE	0xBF

/**
 * struct bypass_version - BYPASS_GET_VERSION argument
 * @argsz: in: sizeof(struct bypass_version) as compiled by userspace
 * @flags: in: must be 0
 * @abi_version: out: BYPASS_ABI_VERSION of the running module
 * @reserved: in: must be 0
 */
struct bypass_version {
	__u32 argsz;
	__u32 flags;
	__u32 abi_version;
	__u32 reserved;
};

#define BYPASS_GET_VERSION	_IO(BYPASS_IOCTL_TYPE, 0x00)

#endif /* _UAPI_LINUX_BYPASS_H */
