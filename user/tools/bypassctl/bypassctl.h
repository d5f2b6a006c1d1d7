/* SPDX-License-Identifier: GPL-2.0 */
/*
 * bypassctl internals: the device model filled from the "bypass" generic
 * netlink family, and the netlink helpers (genl and rtnetlink) of nl.c.
 */
#ifndef BYPASSCTL_H
#define BYPASSCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BPC_NAME_LEN	32
#define BPC_ERR_LEN	256
#define BPC_NSTATS	11

struct bpc_queue {
	uint32_t index;
	uint64_t interrupts;
	uint64_t kicks;
};

struct bpc_qp {
	uint32_t index;
	uint32_t owner_pid;
	bool parked;
	bool stale;
	struct bpc_queue q[2];		/* rx, tx */
	bool has_stats;
	uint64_t stats[BPC_NSTATS];	/* BYPASS_A_STATS_* order from RX_PACKETS */
};

struct bpc_dev {
	char name[BPC_NAME_LEN];
	uint8_t mac[6];
	uint32_t mtu;			/* reported by the device, 0 if none */
	uint64_t features;
	uint32_t max_pairs;
	uint32_t num_pairs;		/* offered by bypass */
	uint32_t pairs_in_use;		/* VQ_PAIRS_SET, attachable */
	uint32_t qsize;
	bool unsafe;
	bool broken;
	uint64_t resets;
	uint32_t ipv4_addr;		/* network order */
	uint8_t ipv4_prefix;
	uint32_t ipv4_gateway;		/* network order */
	uint32_t ipv4_mtu;		/* override, 0 if none */
	struct bpc_qp *qps;
	size_t n_qps;
};

struct bpc_devs {
	struct bpc_dev *v;
	size_t n;
};

/* Settings for DEV_SET; a has_* flag says whether the field is sent. */
struct bpc_set {
	bool has_addr, has_prefix, has_gateway, has_mtu, has_pairs;
	uint32_t addr;			/* network order */
	uint8_t prefix;
	uint32_t gateway;		/* network order */
	uint32_t mtu;
	uint32_t pairs;			/* queue pairs in use */
};

/* What an interface has, read over rtnetlink before it is unbound. */
struct bpc_ifcfg {
	uint8_t mac[6];
	bool has_mac;
	uint32_t mtu;
	uint32_t addr;			/* network order, 0 if none */
	uint8_t prefix;
	uint32_t gateway;		/* network order, 0 if none */
	unsigned int n_addrs;		/* IPv4 addresses the interface had */
};

/*
 * Every function below returns 0 or a negative errno and, on failure,
 * leaves a one-line reason in err (the kernel's extack message when it
 * gave one).
 */
int bpc_genl_open(char *err);
void bpc_genl_close(void);
int bpc_dev_get(const char *name, struct bpc_dev *dev, char *err);
int bpc_dev_dump(struct bpc_devs *devs, char *err);
int bpc_dev_set(const char *name, const struct bpc_set *set, char *err);
void bpc_dev_free(struct bpc_dev *dev);
void bpc_devs_free(struct bpc_devs *devs);

int bpc_rtnl_ifcfg(const char *ifname, struct bpc_ifcfg *cfg, char *err);

#endif /* BYPASSCTL_H */
