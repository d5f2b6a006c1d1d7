// SPDX-License-Identifier: GPL-2.0
/*
 * The generic netlink family "bypass": the administrator's view of claimed
 * devices (DEV_GET, as a request or a dump) and the IPv4 settings recorded
 * for their applications (DEV_SET). The ABI is uapi/linux/bypass_genl.h.
 *
 * Locking: a device is looked up under bypass_devices_lock and a reference
 * taken; the list lock is dropped before dev->lock is taken. Replies are
 * allocated before dev->lock is taken and filled under it without
 * sleeping.
 */
#include <linux/etherdevice.h>
#include <linux/in.h>
#include <linux/pci.h>
#include <net/genetlink.h>
#include <net/netlink.h>

#include <linux/bypass_genl.h>

#include "bypass.h"
#include "netlink.h"

static struct genl_family bypass_genl_family;

#define BYPASS_NL_READ_ONLY \
	{ .type = NLA_REJECT, .reject_message = "attribute is read-only" }

static const struct nla_policy bypass_nl_policy[BYPASS_A_MAX + 1] = {
	[BYPASS_A_DEV_NAME] = { .type = NLA_NUL_STRING,
				.len = BYPASS_DEVNAME_LEN - 1 },
	[BYPASS_A_DEV_MAC] = { .type = NLA_REJECT,
			       .reject_message = "the MAC address is read-only" },
	[BYPASS_A_DEV_MTU] = { .type = NLA_REJECT,
			       .reject_message = "the device MTU is read-only; set the IPv4 MTU" },
	[BYPASS_A_DEV_FEATURES] = { .type = NLA_REJECT,
				    .reject_message = "features are read-only" },
	[BYPASS_A_DEV_MAX_QUEUE_PAIRS] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_QUEUE_PAIRS] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_QUEUE_SIZE] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_UNSAFE] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_BROKEN] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_RESETS] = BYPASS_NL_READ_ONLY,
	[BYPASS_A_DEV_IPV4_ADDR] = { .type = NLA_BE32 },
	[BYPASS_A_DEV_IPV4_PREFIX] = { .type = NLA_U8 },
	[BYPASS_A_DEV_IPV4_GATEWAY] = { .type = NLA_BE32 },
	[BYPASS_A_DEV_IPV4_MTU] = { .type = NLA_U32 },
	[BYPASS_A_DEV_QP] = { .type = NLA_REJECT,
			      .reject_message = "queue pair state is read-only" },
	[BYPASS_A_DEV_PAIRS_IN_USE] = { .type = NLA_U32 },
};

/* Attribute of each counter of the stats page. */
static const struct {
	u16 attr;
	u16 offset;
} bypass_nl_stats_map[] = {
	{ BYPASS_A_STATS_RX_PACKETS, offsetof(struct bypass_qp_stats, rx_packets) },
	{ BYPASS_A_STATS_RX_BYTES, offsetof(struct bypass_qp_stats, rx_bytes) },
	{ BYPASS_A_STATS_RX_DROPS, offsetof(struct bypass_qp_stats, rx_drops) },
	{ BYPASS_A_STATS_TX_PACKETS, offsetof(struct bypass_qp_stats, tx_packets) },
	{ BYPASS_A_STATS_TX_BYTES, offsetof(struct bypass_qp_stats, tx_bytes) },
	{ BYPASS_A_STATS_TX_DROPS, offsetof(struct bypass_qp_stats, tx_drops) },
	{ BYPASS_A_STATS_DOORBELLS, offsetof(struct bypass_qp_stats, doorbells) },
	{ BYPASS_A_STATS_TCP_CONNS, offsetof(struct bypass_qp_stats, tcp_conns) },
	{ BYPASS_A_STATS_TCP_TIME_WAIT,
	  offsetof(struct bypass_qp_stats, tcp_time_wait) },
	{ BYPASS_A_STATS_TCP_CONN_LIMIT_DROPS,
	  offsetof(struct bypass_qp_stats, tcp_conn_limit_drops) },
	{ BYPASS_A_STATS_TCP_TW_RECYCLED,
	  offsetof(struct bypass_qp_stats, tcp_tw_recycled) },
};

/* Worst-case size of the attributes of one virtqueue. */
static size_t bypass_nl_queue_size(void)
{
	return nla_total_size(0) +		/* BYPASS_A_QP_RX/TX */
	       nla_total_size(sizeof(u32)) +	/* INDEX */
	       2 * nla_total_size_64bit(sizeof(u64)); /* INTERRUPTS, KICKS */
}

/* Worst-case size of one BYPASS_A_DEV_QP nest. */
static size_t bypass_nl_qp_size(void)
{
	return nla_total_size(0) +		/* BYPASS_A_DEV_QP */
	       nla_total_size(sizeof(u32)) +	/* INDEX */
	       nla_total_size(sizeof(u32)) +	/* OWNER_PID */
	       2 * nla_total_size(0) +		/* PARKED, STALE */
	       2 * bypass_nl_queue_size() +
	       nla_total_size(0) +		/* STATS */
	       ARRAY_SIZE(bypass_nl_stats_map) *
	       nla_total_size_64bit(sizeof(u64));
}

/* Worst-case size of a device message without its queue pairs. */
static size_t bypass_nl_dev_size(void)
{
	return nla_total_size(BYPASS_DEVNAME_LEN) +	/* NAME */
	       nla_total_size(ETH_ALEN) +		/* MAC */
	       nla_total_size(sizeof(u32)) +		/* MTU */
	       nla_total_size_64bit(sizeof(u64)) +	/* FEATURES */
	       4 * nla_total_size(sizeof(u32)) +	/* pairs, size */
	       2 * nla_total_size(0) +			/* UNSAFE, BROKEN */
	       nla_total_size_64bit(sizeof(u64)) +	/* RESETS */
	       2 * nla_total_size(sizeof(__be32)) +	/* ADDR, GATEWAY */
	       nla_total_size(sizeof(u8)) +		/* PREFIX */
	       nla_total_size(sizeof(u32));		/* IPV4_MTU */
}

static int bypass_nl_put_queue(struct sk_buff *skb, int type,
			       struct bypass_vq *vq)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, type);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, BYPASS_A_QUEUE_INDEX, vq->index) ||
	    nla_put_u64_64bit(skb, BYPASS_A_QUEUE_INTERRUPTS,
			      atomic64_read(&vq->interrupts), BYPASS_A_QUEUE_PAD) ||
	    nla_put_u64_64bit(skb, BYPASS_A_QUEUE_KICKS,
			      atomic64_read(&vq->kicks), BYPASS_A_QUEUE_PAD)) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/*
 * The stats page is written by userspace at any time: read each counter
 * once, and accept that the set is not a snapshot.
 */
static int bypass_nl_put_stats(struct sk_buff *skb,
			       const struct bypass_qp_stats *st)
{
	struct nlattr *nest;
	unsigned int i;

	nest = nla_nest_start(skb, BYPASS_A_QP_STATS);
	if (!nest)
		return -EMSGSIZE;
	for (i = 0; i < ARRAY_SIZE(bypass_nl_stats_map); i++) {
		const u64 *p = (const void *)st + bypass_nl_stats_map[i].offset;

		if (nla_put_u64_64bit(skb, bypass_nl_stats_map[i].attr,
				      READ_ONCE(*p), BYPASS_A_STATS_PAD)) {
			nla_nest_cancel(skb, nest);
			return -EMSGSIZE;
		}
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* One queue pair; called with dev->lock held (qp->stats may go away). */
static int bypass_nl_put_qp(struct sk_buff *skb, struct bypass_qp *qp,
			    u32 index)
{
	struct nlattr *nest;

	nest = nla_nest_start(skb, BYPASS_A_DEV_QP);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u32(skb, BYPASS_A_QP_INDEX, index) ||
	    nla_put_u32(skb, BYPASS_A_QP_OWNER_PID,
			qp->owner ? pid_nr(qp->owner_pid) : 0) ||
	    (qp->parked && nla_put_flag(skb, BYPASS_A_QP_PARKED)) ||
	    (qp->owner && qp->stale && nla_put_flag(skb, BYPASS_A_QP_STALE)) ||
	    bypass_nl_put_queue(skb, BYPASS_A_QP_RX, &qp->vq[BYPASS_QUEUE_RX]) ||
	    bypass_nl_put_queue(skb, BYPASS_A_QP_TX, &qp->vq[BYPASS_QUEUE_TX]) ||
	    (qp->stats && bypass_nl_put_stats(skb, qp->stats))) {
		nla_nest_cancel(skb, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(skb, nest);
	return 0;
}

/* The device attributes; called with dev->lock held. */
static int bypass_nl_put_dev_attrs(struct sk_buff *skb,
				   struct bypass_device *dev)
{
	const struct bypass_ipcfg *cfg = &dev->ipcfg;

	if (nla_put_string(skb, BYPASS_A_DEV_NAME, pci_name(dev->pdev)) ||
	    nla_put(skb, BYPASS_A_DEV_MAC, ETH_ALEN, dev->mac) ||
	    nla_put_u32(skb, BYPASS_A_DEV_MTU, dev->mtu) ||
	    nla_put_u64_64bit(skb, BYPASS_A_DEV_FEATURES, dev->features,
			      BYPASS_A_PAD) ||
	    nla_put_u32(skb, BYPASS_A_DEV_MAX_QUEUE_PAIRS, dev->max_pairs) ||
	    nla_put_u32(skb, BYPASS_A_DEV_QUEUE_PAIRS, dev->num_pairs) ||
	    nla_put_u32(skb, BYPASS_A_DEV_PAIRS_IN_USE, dev->active_pairs) ||
	    nla_put_u32(skb, BYPASS_A_DEV_QUEUE_SIZE, dev->qsize) ||
	    (dev->unsafe && nla_put_flag(skb, BYPASS_A_DEV_UNSAFE)) ||
	    (READ_ONCE(dev->broken) && nla_put_flag(skb, BYPASS_A_DEV_BROKEN)) ||
	    nla_put_u64_64bit(skb, BYPASS_A_DEV_RESETS, dev->resets,
			      BYPASS_A_PAD) ||
	    nla_put_in_addr(skb, BYPASS_A_DEV_IPV4_ADDR, cfg->addr) ||
	    nla_put_u8(skb, BYPASS_A_DEV_IPV4_PREFIX, cfg->prefix) ||
	    nla_put_in_addr(skb, BYPASS_A_DEV_IPV4_GATEWAY, cfg->gateway) ||
	    nla_put_u32(skb, BYPASS_A_DEV_IPV4_MTU, cfg->mtu))
		return -EMSGSIZE;
	return 0;
}

/*
 * Put one device message, with its queue pairs from *@next_qp on.
 * Return: 0 when every remaining queue pair went in, 1 when only some did
 * (*@next_qp then says where to go on), -ENODEV if the device is being
 * removed, -EMSGSIZE if not even one queue pair (or the device attributes
 * alone, for a device without pairs left) fit. Nothing is left in @skb on
 * error.
 */
static int bypass_nl_fill_dev(struct sk_buff *skb, struct bypass_device *dev,
			      u32 portid, u32 seq, int flags, u32 *next_qp)
{
	u32 i = *next_qp;
	int ret = 0;
	void *hdr;

	hdr = genlmsg_put(skb, portid, seq, &bypass_genl_family, flags,
			  BYPASS_CMD_DEV_GET);
	if (!hdr)
		return -EMSGSIZE;

	mutex_lock(&dev->lock);
	if (dev->dead) {
		ret = -ENODEV;
		goto err_unlock;
	}
	if (bypass_nl_put_dev_attrs(skb, dev)) {
		ret = -EMSGSIZE;
		goto err_unlock;
	}
	for (; i < dev->num_pairs; i++) {
		if (bypass_nl_put_qp(skb, &dev->qps[i], i)) {
			if (i == *next_qp) {
				ret = -EMSGSIZE;
				goto err_unlock;
			}
			ret = 1;
			break;
		}
	}
	mutex_unlock(&dev->lock);

	*next_qp = i;
	genlmsg_end(skb, hdr);
	return ret;

err_unlock:
	mutex_unlock(&dev->lock);
	genlmsg_cancel(skb, hdr);
	return ret;
}

/* Look up the device named by BYPASS_A_DEV_NAME; reports errors in extack. */
static struct bypass_device *bypass_nl_get_dev(struct genl_info *info)
{
	struct nlattr *attr = info->attrs[BYPASS_A_DEV_NAME];
	struct bypass_device *dev;
	const char *name;

	if (GENL_REQ_ATTR_CHECK(info, BYPASS_A_DEV_NAME)) {
		GENL_SET_ERR_MSG(info, "missing device name (PCI address)");
		return ERR_PTR(-EINVAL);
	}
	name = nla_data(attr);
	if (!name[0]) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr, "empty device name");
		return ERR_PTR(-EINVAL);
	}
	dev = bypass_device_get_by_name(name);
	if (!dev) {
		NL_SET_ERR_MSG_ATTR(info->extack, attr,
				    "no device with this PCI address is claimed by bypass");
		return ERR_PTR(-ENODEV);
	}
	return dev;
}

static int bypass_nl_dev_get_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct bypass_device *dev;
	struct sk_buff *msg;
	u32 next_qp = 0;
	int ret;

	dev = bypass_nl_get_dev(info);
	if (IS_ERR(dev))
		return PTR_ERR(dev);

	/* num_pairs is fixed once the device is on the list. */
	msg = genlmsg_new(bypass_nl_dev_size() +
			  dev->num_pairs * bypass_nl_qp_size(), GFP_KERNEL);
	if (!msg) {
		ret = -ENOMEM;
		goto out_put;
	}
	ret = bypass_nl_fill_dev(msg, dev, info->snd_portid, info->snd_seq, 0,
				 &next_qp);
	if (ret) {
		nlmsg_free(msg);
		if (ret == -ENODEV)
			GENL_SET_ERR_MSG(info, "the device is being released");
		else
			ret = -EMSGSIZE;
		goto out_put;
	}
	ret = genlmsg_reply(msg, info);
out_put:
	bypass_device_put(dev);
	return ret;
}

/* Dump order and resume point: PCI domain, then bus/device/function. */
static u64 bypass_nl_dev_key(struct bypass_device *dev)
{
	return ((u64)pci_domain_nr(dev->pdev->bus) << 16) |
	       pci_dev_id(dev->pdev);
}

/* The claimed device with the smallest key >= @from, referenced, or NULL. */
static struct bypass_device *bypass_nl_dev_from(u64 from, u64 *key)
{
	struct bypass_device *dev, *found = NULL;
	u64 k;

	mutex_lock(&bypass_devices_lock);
	list_for_each_entry(dev, &bypass_devices, node) {
		k = bypass_nl_dev_key(dev);
		if (k >= from && (!found || k < *key)) {
			found = dev;
			*key = k;
		}
	}
	if (found)
		kref_get(&found->ref);
	mutex_unlock(&bypass_devices_lock);
	return found;
}

/*
 * cb->args[0], [1]: high and low half of the key to resume from (devices
 * below it are done); cb->args[2]: first queue pair still to send of the
 * device whose key is exactly that. Resuming by key, not list position,
 * means devices claimed or released between two parts of a dump are
 * neither repeated nor make others be skipped.
 */
static int bypass_nl_dev_get_dumpit(struct sk_buff *skb,
				    struct netlink_callback *cb)
{
	u64 from = ((u64)(u32)cb->args[0] << 32) | (u32)cb->args[1];
	struct bypass_device *dev;
	u32 start, next_qp;
	u64 key;
	int ret;

	for (;;) {
		dev = bypass_nl_dev_from(from, &key);
		if (!dev)
			break;
		/* Resume inside a device only if it is the one left off at. */
		start = key == from ? cb->args[2] : 0;
		next_qp = start;
		ret = bypass_nl_fill_dev(skb, dev, NETLINK_CB(cb->skb).portid,
					 cb->nlh->nlmsg_seq, NLM_F_MULTI,
					 &next_qp);
		bypass_device_put(dev);
		if (ret == -EMSGSIZE) {
			/* Retry this device in the next skb, if there is room. */
			if (!skb->len)
				return ret;
			from = key;
			cb->args[2] = start;
			break;
		}
		if (ret == 1) {
			from = key;
			cb->args[2] = next_qp;
			break;
		}
		/* Sent completely, or gone meanwhile: go on with the next. */
		from = key + 1;
		cb->args[2] = 0;
	}
	cb->args[0] = from >> 32;
	cb->args[1] = (u32)from;
	return skb->len;
}

static bool bypass_nl_bad_unicast(__be32 addr)
{
	return ipv4_is_multicast(addr) || ipv4_is_lbcast(addr) ||
	       ipv4_is_zeronet(addr) || ipv4_is_loopback(addr);
}

static __be32 bypass_nl_prefix_mask(u8 prefix)
{
	return prefix ? htonl(~0U << (32 - prefix)) : 0;
}

/* Check the configuration DEV_SET would leave; attributes point at causes. */
static int bypass_nl_check_ipcfg(const struct bypass_ipcfg *cfg,
				 struct nlattr **tb,
				 struct netlink_ext_ack *extack)
{
	struct nlattr *addr_attr = tb[BYPASS_A_DEV_IPV4_ADDR];
	struct nlattr *gw_attr = tb[BYPASS_A_DEV_IPV4_GATEWAY];
	__be32 mask = bypass_nl_prefix_mask(cfg->prefix);

	if (!cfg->addr) {
		if (cfg->prefix) {
			NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_PREFIX],
					    "an IPv4 prefix length needs an IPv4 address");
			return -EINVAL;
		}
		if (cfg->gateway) {
			NL_SET_ERR_MSG_ATTR(extack, gw_attr,
					    "an IPv4 gateway needs an IPv4 address");
			return -EINVAL;
		}
		return 0;
	}
	if (bypass_nl_bad_unicast(cfg->addr)) {
		NL_SET_ERR_MSG_ATTR(extack, addr_attr,
				    "IPv4 address is not a unicast host address");
		return -EINVAL;
	}
	if (!cfg->prefix) {
		NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_PREFIX],
				    "an IPv4 address needs a prefix length of 1 to 32");
		return -EINVAL;
	}
	if (cfg->prefix < 31 && ((cfg->addr & ~mask) == 0 ||
				 (cfg->addr | mask) == htonl(~0U))) {
		NL_SET_ERR_MSG_ATTR(extack, addr_attr,
				    "IPv4 address is the network or broadcast address of its subnet");
		return -EINVAL;
	}
	if (!cfg->gateway)
		return 0;
	if (bypass_nl_bad_unicast(cfg->gateway)) {
		NL_SET_ERR_MSG_ATTR(extack, gw_attr,
				    "IPv4 gateway is not a unicast host address");
		return -EINVAL;
	}
	if (cfg->gateway == cfg->addr) {
		NL_SET_ERR_MSG_ATTR(extack, gw_attr,
				    "IPv4 gateway equals the device's own address");
		return -EINVAL;
	}
	/* With /32 the gateway is off-subnet by necessity (on-link route). */
	if (cfg->prefix < 32 && (cfg->gateway & mask) != (cfg->addr & mask)) {
		NL_SET_ERR_MSG_ATTR(extack, gw_attr,
				    "IPv4 gateway is outside the address's subnet");
		return -EINVAL;
	}
	return 0;
}

/* Change the pairs in use, last (it resets the device); dev->lock held. */
static int bypass_nl_set_pairs(struct bypass_device *dev, struct nlattr *attr,
			       struct netlink_ext_ack *extack)
{
	u32 pairs = nla_get_u32(attr);
	int ret;

	if (!pairs || pairs > dev->num_pairs) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "pairs in use must be at least 1 and at most the queue pairs bypass offers");
		return -EINVAL;
	}
	ret = bypass_virtio_set_pairs(dev, pairs);
	if (ret == -EBUSY)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "a queue pair is attached: pairs in use change only while none is");
	else if (ret)
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "the device reset that applies pairs in use failed");
	return ret;
}

static int bypass_nl_dev_set_doit(struct sk_buff *skb, struct genl_info *info)
{
	struct netlink_ext_ack *extack = info->extack;
	struct nlattr **tb = info->attrs;
	struct bypass_device *dev;
	struct bypass_ipcfg cfg;
	u32 max_mtu;
	int ret;

	if (!tb[BYPASS_A_DEV_IPV4_ADDR] && !tb[BYPASS_A_DEV_IPV4_PREFIX] &&
	    !tb[BYPASS_A_DEV_IPV4_GATEWAY] && !tb[BYPASS_A_DEV_IPV4_MTU] &&
	    !tb[BYPASS_A_DEV_PAIRS_IN_USE]) {
		NL_SET_ERR_MSG(extack,
			       "nothing to set: give an IPv4 address, prefix, gateway, MTU or pairs in use");
		return -EINVAL;
	}
	if (tb[BYPASS_A_DEV_IPV4_PREFIX] &&
	    nla_get_u8(tb[BYPASS_A_DEV_IPV4_PREFIX]) > 32) {
		NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_PREFIX],
				    "IPv4 prefix length must be at most 32");
		return -EINVAL;
	}

	dev = bypass_nl_get_dev(info);
	if (IS_ERR(dev))
		return PTR_ERR(dev);

	mutex_lock(&dev->lock);
	if (dev->dead) {
		NL_SET_ERR_MSG(extack, "the device is being released");
		ret = -ENODEV;
		goto out_unlock;
	}
	cfg = dev->ipcfg;
	if (tb[BYPASS_A_DEV_IPV4_ADDR]) {
		cfg.addr = nla_get_in_addr(tb[BYPASS_A_DEV_IPV4_ADDR]);
		/* Removing the address removes what depends on it. */
		if (!cfg.addr && !tb[BYPASS_A_DEV_IPV4_PREFIX])
			cfg.prefix = 0;
		if (!cfg.addr && !tb[BYPASS_A_DEV_IPV4_GATEWAY])
			cfg.gateway = 0;
	}
	if (tb[BYPASS_A_DEV_IPV4_PREFIX])
		cfg.prefix = nla_get_u8(tb[BYPASS_A_DEV_IPV4_PREFIX]);
	if (tb[BYPASS_A_DEV_IPV4_GATEWAY])
		cfg.gateway = nla_get_in_addr(tb[BYPASS_A_DEV_IPV4_GATEWAY]);
	if (tb[BYPASS_A_DEV_IPV4_MTU]) {
		u32 mtu = nla_get_u32(tb[BYPASS_A_DEV_IPV4_MTU]);

		max_mtu = dev->mtu ? dev->mtu : ETH_MAX_MTU;
		if (mtu && mtu < ETH_MIN_MTU) {
			NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_MTU],
					    "MTU is below the IPv4 minimum of 68");
			ret = -ERANGE;
			goto out_unlock;
		}
		if (mtu > max_mtu) {
			if (dev->mtu)
				NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_MTU],
						    "MTU is above the MTU the device reports");
			else
				NL_SET_ERR_MSG_ATTR(extack, tb[BYPASS_A_DEV_IPV4_MTU],
						    "MTU is above 65535");
			ret = -ERANGE;
			goto out_unlock;
		}
		cfg.mtu = mtu;
	}
	ret = bypass_nl_check_ipcfg(&cfg, tb, extack);
	if (!ret && tb[BYPASS_A_DEV_PAIRS_IN_USE])
		ret = bypass_nl_set_pairs(dev, tb[BYPASS_A_DEV_PAIRS_IN_USE], extack);
	if (!ret)
		dev->ipcfg = cfg;
out_unlock:
	mutex_unlock(&dev->lock);
	bypass_device_put(dev);
	return ret;
}

/*
 * Everything here is privileged: the device list and the queue owners'
 * pids are an administrator's business, and DEV_SET changes what every
 * application of the device will use.
 */
static const struct genl_small_ops bypass_nl_ops[] = {
	{
		.cmd = BYPASS_CMD_DEV_GET,
		.flags = GENL_ADMIN_PERM,
		.doit = bypass_nl_dev_get_doit,
		.dumpit = bypass_nl_dev_get_dumpit,
	},
	{
		.cmd = BYPASS_CMD_DEV_SET,
		.flags = GENL_ADMIN_PERM,
		.doit = bypass_nl_dev_set_doit,
	},
};

static struct genl_family bypass_genl_family __ro_after_init = {
	.name = BYPASS_GENL_NAME,
	.version = BYPASS_GENL_VERSION,
	.maxattr = BYPASS_A_MAX,
	.policy = bypass_nl_policy,
	.parallel_ops = true,
	.module = THIS_MODULE,
	.small_ops = bypass_nl_ops,
	.n_small_ops = ARRAY_SIZE(bypass_nl_ops),
};

/**
 * bypass_genl_init() - register the "bypass" generic netlink family
 *
 * Return: 0 or the error of genl_register_family().
 */
int bypass_genl_init(void)
{
	return genl_register_family(&bypass_genl_family);
}

/**
 * bypass_genl_exit() - unregister the family
 */
void bypass_genl_exit(void)
{
	genl_unregister_family(&bypass_genl_family);
}
