/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Internal declarations shared by the files of bypass.ko.
 */
#ifndef BYPASS_INTERNAL_H
#define BYPASS_INTERNAL_H

#include <linux/types.h>

/**
 * struct bypass_ctx - state of one open file of /dev/bypass
 * @opened_by: tgid of the process that opened the file
 */
struct bypass_ctx {
	pid_t opened_by;
};

extern bool bypass_unsafe_noiommu;

int bypass_cdev_init(void);
void bypass_cdev_exit(void);

#endif /* BYPASS_INTERNAL_H */
