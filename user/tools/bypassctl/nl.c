// SPDX-License-Identifier: GPL-2.0
/*
 * bypassctl's netlink side, on libmnl: requests to the "bypass" generic
 * netlink family with their extended-ACK error messages, and the rtnetlink
 * queries that read an interface's MAC, MTU, IPv4 address and default
 * gateway before it is claimed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <libmnl/libmnl.h>
#include <linux/genetlink.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <linux/bypass.h>
#include <linux/bypass_genl.h>

#include "bypassctl.h"

static struct mnl_socket *genl_sock;
static uint16_t genl_family;
static uint32_t nl_seq;

typedef int (*msg_cb)(const struct nlmsghdr *nlh, void *data);

static void set_err(char *err, int errnum, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A one-line reason, with strerror(errnum) appended when errnum is set. */
static void set_err(char *err, int errnum, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(err, BPC_ERR_LEN, fmt, ap);
	va_end(ap);
	/* A message cut short is still worth printing. */
	if (errnum && n >= 0 && n < BPC_ERR_LEN)
		snprintf(err + n, BPC_ERR_LEN - n, " (%s)", strerror(errnum));
}

static struct mnl_socket *sock_open(int bus, char *err)
{
	struct mnl_socket *nl = mnl_socket_open(bus);
	int one = 1;

	if (!nl) {
		set_err(err, errno, "cannot open a netlink socket");
		return NULL;
	}
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		set_err(err, errno, "cannot bind a netlink socket");
		mnl_socket_close(nl);
		return NULL;
	}
	/* Error messages from the kernel; older kernels lack them, that's fine. */
	mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	mnl_socket_setsockopt(nl, NETLINK_CAP_ACK, &one, sizeof(one));
	return nl;
}

/*
 * The error of an NLMSG_ERROR or NLMSG_DONE message, with the kernel's
 * extended-ACK text copied into err when there is one.
 */
static int parse_status(const struct nlmsghdr *nlh, char *err)
{
	const struct nlattr *attr;
	const char *text = NULL;
	size_t off;
	int code;

	if (nlh->nlmsg_type == NLMSG_ERROR) {
		const struct nlmsgerr *e = mnl_nlmsg_get_payload(nlh);

		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*e))) {
			set_err(err, 0, "truncated netlink error message");
			return -EBADMSG;
		}
		code = e->error;
		off = sizeof(*e);
		if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
			off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
	} else {
		if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(int)))
			return 0;
		memcpy(&code, mnl_nlmsg_get_payload(nlh), sizeof(code));
		off = sizeof(int);
	}
	if (code >= 0)
		return 0;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) &&
	    mnl_nlmsg_get_payload_len(nlh) > off) {
		mnl_attr_for_each(attr, nlh, off) {
			if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
			    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) >= 0)
				text = mnl_attr_get_str(attr);
		}
	}
	if (text && text[0])
		set_err(err, -code, "%s", text);
	else
		set_err(err, 0, "%s", strerror(-code));
	return code;
}

/*
 * Send one request and hand every reply message to cb until the
 * acknowledgement (or end of dump). Returns 0, a negative errno from the
 * kernel, or -EIO/-ETIMEDOUT for a transport failure.
 */
static int transact(struct mnl_socket *nl, struct nlmsghdr *nlh, msg_cb cb,
		    void *data, char *err)
{
	static char *buf;
	static size_t buflen;
	unsigned int portid = mnl_socket_get_portid(nl);
	int fd = mnl_socket_get_fd(nl);
	uint32_t seq = ++nl_seq;
	struct timeval tv = { .tv_sec = 10 };
	int ret;

	nlh->nlmsg_seq = seq;
	if (!(nlh->nlmsg_flags & NLM_F_DUMP))
		nlh->nlmsg_flags |= NLM_F_ACK;
	/* Never wait forever for the kernel. */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		set_err(err, errno, "netlink send failed");
		return -errno;
	}
	for (;;) {
		/* A reply grows with the queue pairs: size the buffer to it. */
		ssize_t n = recv(fd, NULL, 0, MSG_PEEK | MSG_TRUNC);
		const struct nlmsghdr *m;
		int len;

		if (n >= 0 && (size_t)n > buflen) {
			char *b = realloc(buf, n);

			if (!b) {
				set_err(err, 0, "out of memory");
				return -ENOMEM;
			}
			buf = b;
			buflen = n;
		}
		if (n >= 0) {
			struct sockaddr_nl from;
			socklen_t alen = sizeof(from);

			n = recvfrom(fd, buf, buflen, 0, (struct sockaddr *)&from, &alen);
			/* Only the kernel answers; ignore anything else. */
			if (n >= 0 && (alen != sizeof(from) || from.nl_pid != 0))
				continue;
		}
		if (n < 0) {
			ret = errno == EAGAIN || errno == EWOULDBLOCK ? -ETIMEDOUT : -errno;
			set_err(err, -ret, "no answer from the kernel over netlink");
			return ret;
		}
		len = (int)n;
		for (m = (const struct nlmsghdr *)buf; mnl_nlmsg_ok(m, len);
		     m = mnl_nlmsg_next(m, &len)) {
			if (m->nlmsg_seq != seq || m->nlmsg_pid != portid)
				continue;
			if (m->nlmsg_type == NLMSG_ERROR || m->nlmsg_type == NLMSG_DONE)
				return parse_status(m, err);
			if (m->nlmsg_type < NLMSG_MIN_TYPE)
				continue;
			if (cb) {
				ret = cb(m, data);
				if (ret) {
					set_err(err, -ret, "malformed reply from the kernel");
					return ret;
				}
			}
		}
	}
}

/* A request to the bypass family; EPERM is explained (it carries no text). */
static int genl_transact(struct nlmsghdr *nlh, msg_cb cb, void *data, char *err)
{
	int ret = transact(genl_sock, nlh, cb, data, err);

	if (ret == -EPERM)
		set_err(err, EPERM, "bypass netlink operations need CAP_NET_ADMIN");
	return ret;
}

/* ---- generic netlink: resolving the family ---- */

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct nlattr *attr;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		if (mnl_attr_get_type(attr) == CTRL_ATTR_FAMILY_ID &&
		    mnl_attr_validate(attr, MNL_TYPE_U16) >= 0)
			*(uint16_t *)data = mnl_attr_get_u16(attr);
	}
	return 0;
}

static struct nlmsghdr *genl_header(char *buf, uint16_t type, uint8_t cmd,
				    uint8_t version, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = version;
	return nlh;
}

int bpc_genl_open(char *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	uint16_t id = 0;
	int ret;

	genl_sock = sock_open(NETLINK_GENERIC, err);
	if (!genl_sock)
		return -EIO;
	nlh = genl_header(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, 1, 0);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, BYPASS_GENL_NAME);
	ret = transact(genl_sock, nlh, family_cb, &id, err);
	if (ret == -ENOENT) {
		set_err(err, 0,
			"the \"bypass\" netlink family is not registered: is bypass.ko loaded?");
		return ret;
	}
	if (!ret && !id) {
		set_err(err, 0, "the kernel did not report the bypass family's id");
		return -EBADMSG;
	}
	genl_family = id;
	return ret;
}

void bpc_genl_close(void)
{
	if (genl_sock)
		mnl_socket_close(genl_sock);
	genl_sock = NULL;
}

/* ---- DEV_GET replies ---- */

/* Payload of a fixed-size attribute, or NULL if its length is wrong. */
static const void *attr_fixed(const struct nlattr *attr, size_t len)
{
	return mnl_attr_get_payload_len(attr) == len ? mnl_attr_get_payload(attr) : NULL;
}

static int get_u32(const struct nlattr *attr, uint32_t *v)
{
	const void *p = attr_fixed(attr, sizeof(*v));

	if (!p)
		return -EBADMSG;
	memcpy(v, p, sizeof(*v));
	return 0;
}

static int get_u64(const struct nlattr *attr, uint64_t *v)
{
	const void *p = attr_fixed(attr, sizeof(*v));

	if (!p)
		return -EBADMSG;
	memcpy(v, p, sizeof(*v));
	return 0;
}

static int parse_queue(const struct nlattr *nest, struct bpc_queue *q)
{
	const struct nlattr *attr;
	int ret = 0;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case BYPASS_A_QUEUE_INDEX:
			ret = get_u32(attr, &q->index);
			break;
		case BYPASS_A_QUEUE_INTERRUPTS:
			ret = get_u64(attr, &q->interrupts);
			break;
		case BYPASS_A_QUEUE_KICKS:
			ret = get_u64(attr, &q->kicks);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int parse_stats(const struct nlattr *nest, struct bpc_qp *qp)
{
	const struct nlattr *attr;
	unsigned int t;

	qp->has_stats = true;
	mnl_attr_for_each_nested(attr, nest) {
		t = mnl_attr_get_type(attr);
		if (t < BYPASS_A_STATS_RX_PACKETS || t > BYPASS_A_STATS_TCP_TW_RECYCLED)
			continue;
		if (get_u64(attr, &qp->stats[t - BYPASS_A_STATS_RX_PACKETS]))
			return -EBADMSG;
	}
	return 0;
}

static int parse_qp(const struct nlattr *nest, struct bpc_qp *qp)
{
	const struct nlattr *attr;
	int ret = 0;

	mnl_attr_for_each_nested(attr, nest) {
		switch (mnl_attr_get_type(attr)) {
		case BYPASS_A_QP_INDEX:
			ret = get_u32(attr, &qp->index);
			break;
		case BYPASS_A_QP_OWNER_PID:
			ret = get_u32(attr, &qp->owner_pid);
			break;
		case BYPASS_A_QP_PARKED:
			qp->parked = true;
			break;
		case BYPASS_A_QP_STALE:
			qp->stale = true;
			break;
		case BYPASS_A_QP_RX:
			ret = parse_queue(attr, &qp->q[0]);
			break;
		case BYPASS_A_QP_TX:
			ret = parse_queue(attr, &qp->q[1]);
			break;
		case BYPASS_A_QP_STATS:
			ret = parse_stats(attr, qp);
			break;
		}
		if (ret)
			return ret;
	}
	return 0;
}

static int add_qp(struct bpc_dev *dev, const struct nlattr *nest)
{
	struct bpc_qp *v = realloc(dev->qps, (dev->n_qps + 1) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	dev->qps = v;
	memset(&v[dev->n_qps], 0, sizeof(*v));
	if (parse_qp(nest, &v[dev->n_qps]))
		return -EBADMSG;
	dev->n_qps++;
	return 0;
}

static int parse_dev_attr(const struct nlattr *attr, struct bpc_dev *dev)
{
	const void *p;
	uint32_t v;

	switch (mnl_attr_get_type(attr)) {
	case BYPASS_A_DEV_NAME:
		if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
			return -EBADMSG;
		snprintf(dev->name, sizeof(dev->name), "%s", mnl_attr_get_str(attr));
		return 0;
	case BYPASS_A_DEV_MAC:
		p = attr_fixed(attr, sizeof(dev->mac));
		if (!p)
			return -EBADMSG;
		memcpy(dev->mac, p, sizeof(dev->mac));
		return 0;
	case BYPASS_A_DEV_MTU:
		return get_u32(attr, &dev->mtu);
	case BYPASS_A_DEV_FEATURES:
		return get_u64(attr, &dev->features);
	case BYPASS_A_DEV_MAX_QUEUE_PAIRS:
		return get_u32(attr, &dev->max_pairs);
	case BYPASS_A_DEV_QUEUE_PAIRS:
		return get_u32(attr, &dev->num_pairs);
	case BYPASS_A_DEV_PAIRS_IN_USE:
		return get_u32(attr, &dev->pairs_in_use);
	case BYPASS_A_DEV_QUEUE_SIZE:
		return get_u32(attr, &dev->qsize);
	case BYPASS_A_DEV_UNSAFE:
		dev->unsafe = true;
		return 0;
	case BYPASS_A_DEV_BROKEN:
		dev->broken = true;
		return 0;
	case BYPASS_A_DEV_RESETS:
		return get_u64(attr, &dev->resets);
	case BYPASS_A_DEV_IPV4_ADDR:
		return get_u32(attr, &dev->ipv4_addr);
	case BYPASS_A_DEV_IPV4_PREFIX:
		p = attr_fixed(attr, 1);
		if (!p)
			return -EBADMSG;
		dev->ipv4_prefix = *(const uint8_t *)p;
		return 0;
	case BYPASS_A_DEV_IPV4_GATEWAY:
		return get_u32(attr, &dev->ipv4_gateway);
	case BYPASS_A_DEV_IPV4_MTU:
		if (get_u32(attr, &v))
			return -EBADMSG;
		dev->ipv4_mtu = v;
		return 0;
	case BYPASS_A_DEV_QP:
		return add_qp(dev, attr);
	}
	return 0;
}

static int parse_dev(const struct nlmsghdr *nlh, struct bpc_dev *dev)
{
	const struct nlattr *attr;
	int ret;

	mnl_attr_for_each(attr, nlh, sizeof(struct genlmsghdr)) {
		ret = parse_dev_attr(attr, dev);
		if (ret)
			return ret;
	}
	return dev->name[0] ? 0 : -EBADMSG;
}

static int dev_get_cb(const struct nlmsghdr *nlh, void *data)
{
	return parse_dev(nlh, data);
}

/*
 * A dump may split one device over consecutive messages (each repeats the
 * device attributes): their queue pairs are merged.
 */
static int dev_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct bpc_devs *devs = data;
	struct bpc_dev part = { 0 }, *last, *v;
	struct bpc_qp *qps;
	int ret;

	ret = parse_dev(nlh, &part);
	if (ret) {
		bpc_dev_free(&part);
		return ret;
	}
	last = devs->n ? &devs->v[devs->n - 1] : NULL;
	if (last && !strcmp(last->name, part.name)) {
		qps = realloc(last->qps, (last->n_qps + part.n_qps) * sizeof(*qps));
		if (!qps) {
			bpc_dev_free(&part);
			return -ENOMEM;
		}
		memcpy(qps + last->n_qps, part.qps, part.n_qps * sizeof(*qps));
		last->qps = qps;
		last->n_qps += part.n_qps;
		free(part.qps);
		return 0;
	}
	v = realloc(devs->v, (devs->n + 1) * sizeof(*v));
	if (!v) {
		bpc_dev_free(&part);
		return -ENOMEM;
	}
	devs->v = v;
	devs->v[devs->n++] = part;
	return 0;
}

int bpc_dev_get(const char *name, struct bpc_dev *dev, char *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	memset(dev, 0, sizeof(*dev));
	nlh = genl_header(buf, genl_family, BYPASS_CMD_DEV_GET, BYPASS_GENL_VERSION, 0);
	mnl_attr_put_strz(nlh, BYPASS_A_DEV_NAME, name);
	ret = genl_transact(nlh, dev_get_cb, dev, err);
	if (!ret && !dev->name[0]) {
		set_err(err, 0, "the kernel sent no device description");
		ret = -EBADMSG;
	}
	if (ret)
		bpc_dev_free(dev);
	return ret;
}

int bpc_dev_dump(struct bpc_devs *devs, char *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int ret;

	memset(devs, 0, sizeof(*devs));
	nlh = genl_header(buf, genl_family, BYPASS_CMD_DEV_GET, BYPASS_GENL_VERSION,
			  NLM_F_DUMP);
	ret = genl_transact(nlh, dev_dump_cb, devs, err);
	if (ret)
		bpc_devs_free(devs);
	return ret;
}

int bpc_dev_set(const char *name, const struct bpc_set *set, char *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;

	nlh = genl_header(buf, genl_family, BYPASS_CMD_DEV_SET, BYPASS_GENL_VERSION, 0);
	mnl_attr_put_strz(nlh, BYPASS_A_DEV_NAME, name);
	if (set->has_addr)
		mnl_attr_put(nlh, BYPASS_A_DEV_IPV4_ADDR, sizeof(set->addr), &set->addr);
	if (set->has_prefix)
		mnl_attr_put_u8(nlh, BYPASS_A_DEV_IPV4_PREFIX, set->prefix);
	if (set->has_gateway)
		mnl_attr_put(nlh, BYPASS_A_DEV_IPV4_GATEWAY, sizeof(set->gateway),
			     &set->gateway);
	if (set->has_mtu)
		mnl_attr_put_u32(nlh, BYPASS_A_DEV_IPV4_MTU, set->mtu);
	if (set->has_pairs)
		mnl_attr_put_u32(nlh, BYPASS_A_DEV_PAIRS_IN_USE, set->pairs);
	return genl_transact(nlh, NULL, NULL, err);
}

void bpc_dev_free(struct bpc_dev *dev)
{
	free(dev->qps);
	dev->qps = NULL;
	dev->n_qps = 0;
}

void bpc_devs_free(struct bpc_devs *devs)
{
	size_t i;

	for (i = 0; i < devs->n; i++)
		bpc_dev_free(&devs->v[i]);
	free(devs->v);
	devs->v = NULL;
	devs->n = 0;
}

/* ---- rtnetlink: what the interface has before it is claimed ---- */

struct rt_query {
	int ifindex;
	struct bpc_ifcfg *cfg;
	uint32_t best_metric;		/* of the default route chosen */
	bool have_route;
};

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct rt_query *q = data;
	const struct nlattr *attr;
	const void *p;

	mnl_attr_for_each(attr, nlh, sizeof(struct ifinfomsg)) {
		switch (mnl_attr_get_type(attr)) {
		case IFLA_MTU:
			if (get_u32(attr, &q->cfg->mtu))
				return -EBADMSG;
			break;
		case IFLA_ADDRESS:
			p = attr_fixed(attr, sizeof(q->cfg->mac));
			if (p) {
				memcpy(q->cfg->mac, p, sizeof(q->cfg->mac));
				q->cfg->has_mac = true;
			}
			break;
		}
	}
	return 0;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct ifaddrmsg *ifa = mnl_nlmsg_get_payload(nlh);
	struct rt_query *q = data;
	const struct nlattr *attr;
	uint32_t local = 0, address = 0;

	if (nlh->nlmsg_type != RTM_NEWADDR || ifa->ifa_family != AF_INET ||
	    (int)ifa->ifa_index != q->ifindex)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*ifa)) {
		if (mnl_attr_get_type(attr) == IFA_LOCAL)
			get_u32(attr, &local);
		else if (mnl_attr_get_type(attr) == IFA_ADDRESS)
			get_u32(attr, &address);
	}
	if (!local)
		local = address;
	if (!local)
		return 0;
	q->cfg->n_addrs++;
	/* The first primary address is the one recorded. */
	if (!q->cfg->addr && !(ifa->ifa_flags & IFA_F_SECONDARY)) {
		q->cfg->addr = local;
		q->cfg->prefix = ifa->ifa_prefixlen;
	}
	return 0;
}

static int route_cb(const struct nlmsghdr *nlh, void *data)
{
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	struct rt_query *q = data;
	const struct nlattr *attr;
	uint32_t table = rtm->rtm_table, oif = 0, gw = 0, metric = 0;

	if (nlh->nlmsg_type != RTM_NEWROUTE || rtm->rtm_family != AF_INET ||
	    rtm->rtm_dst_len != 0 || rtm->rtm_type != RTN_UNICAST)
		return 0;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm)) {
		switch (mnl_attr_get_type(attr)) {
		case RTA_TABLE:
			get_u32(attr, &table);
			break;
		case RTA_OIF:
			get_u32(attr, &oif);
			break;
		case RTA_GATEWAY:
			get_u32(attr, &gw);
			break;
		case RTA_PRIORITY:
			get_u32(attr, &metric);
			break;
		}
	}
	if (table != RT_TABLE_MAIN || (int)oif != q->ifindex || !gw)
		return 0;
	if (!q->have_route || metric < q->best_metric) {
		q->cfg->gateway = gw;
		q->best_metric = metric;
		q->have_route = true;
	}
	return 0;
}

int bpc_rtnl_ifcfg(const char *ifname, struct bpc_ifcfg *cfg, char *err)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct rt_query q = { .cfg = cfg };
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct ifaddrmsg *ifa;
	struct rtmsg *rtm;
	int ret;

	memset(cfg, 0, sizeof(*cfg));
	q.ifindex = (int)if_nametoindex(ifname);
	if (!q.ifindex) {
		set_err(err, errno, "no network interface %s", ifname);
		return -ENODEV;
	}
	nl = sock_open(NETLINK_ROUTE, err);
	if (!nl)
		return -EIO;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = q.ifindex;
	ret = transact(nl, nlh, link_cb, &q, err);
	if (ret)
		goto out;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ret = transact(nl, nlh, addr_cb, &q, err);
	if (ret)
		goto out;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	ret = transact(nl, nlh, route_cb, &q, err);
out:
	mnl_socket_close(nl);
	return ret;
}
