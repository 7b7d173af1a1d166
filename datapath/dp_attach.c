// SPDX-License-Identifier: GPL-2.0-only
/* Attaching moat's programs: XDP and tcx through pinned bpf_links, clsact as the TC fallback. */

/*
 * Why a pinned bpf_link for XDP and not libxdp's dispatcher (Debian's libxdp 1.3): the
 * dispatcher pins its state under /sys/fs/bpf/xdp/dispatch-<ifindex>-<id>, keyed by ifindex
 * alone, so two network namespaces with equal ifindexes (every veth-based test, every
 * container host) collide; and it reloads the program as an freplace extension, which cannot
 * share the skeleton's already-loaded program and makes adoption of pinned maps depend on
 * libxdp's loader. A bpf_link is owned by moat, survives the process through its pin, is
 * updated atomically on restart (bpf_link_update) and can never be replaced by someone else
 * by accident. The cost: the kernel allows one XDP program per hook, so if another program
 * holds it we do not fight for it: we report it and the TC ingress program (tcx allows many
 * programs per hook) enforces the same verdict.
 */

#include <dirent.h>
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "datapath/dp_internal.h"
#include "lib/lib.h"

/* Debian 12's UAPI header predates tcx (kernel 6.6); the values are fixed kernel ABI. */
#define MOAT_BPF_TCX_INGRESS 46
#define MOAT_BPF_TCX_EGRESS 47

#define MOAT_TC_HANDLE 0x6d6f /* "mo": the clsact filter handle moat uses */

enum { SLOT_XDP, SLOT_TCI, SLOT_TCE, SLOT_NUM };
static const char *const slot_prefix[SLOT_NUM] = { "xdp", "tci", "tce" };

static unsigned long netns_ino(void)
{
	struct stat st;

	if (stat("/proc/self/ns/net", &st) < 0)
		return 0;
	return (unsigned long)st.st_ino;
}

static void pin_path(struct moat_dp *dp, int slot, int ifindex, char *buf, size_t len)
{
	snprintf(buf, len, "%s/links/%s-%lu-%d", dp->pin_root, slot_prefix[slot], netns_ino(),
		 ifindex);
}

/* clsact filters cannot be pinned; we pin the program under a name recording the priority. */
static void clsact_pin_path(struct moat_dp *dp, int slot, int ifindex, uint32_t prio, char *buf,
			    size_t len)
{
	snprintf(buf, len, "%s/links/%s-%lu-%d-clsact-%u", dp->pin_root, slot_prefix[slot],
		 netns_ino(), ifindex, prio);
}

static struct moat_dp_priv_link *priv_slot(struct moat_dp *dp, int ifindex, bool create)
{
	struct moat_dp_priv_link *free_slot = NULL;

	for (size_t i = 0; i < MOAT_DP_MAX_PRIV_LINKS; i++) {
		if (dp->priv[i].ifindex == ifindex)
			return &dp->priv[i];
		if (!dp->priv[i].ifindex && !free_slot)
			free_slot = &dp->priv[i];
	}
	if (create && free_slot) {
		free_slot->ifindex = ifindex;
		return free_slot;
	}
	return NULL;
}

static int *priv_fd(struct moat_dp_priv_link *l, int slot)
{
	return slot == SLOT_XDP ? &l->xdp_fd : slot == SLOT_TCI ? &l->tci_fd : &l->tce_fd;
}

/* Open moat's existing link for (slot, ifindex): pinned or private. -ENOENT if none or dead. */
static int existing_link(struct moat_dp *dp, int slot, int ifindex)
{
	char path[PATH_MAX];
	struct bpf_link_info info = {};
	uint32_t len = sizeof(info);
	int fd;

	if (dp->no_pin) {
		struct moat_dp_priv_link *l = priv_slot(dp, ifindex, false);

		if (!l || *priv_fd(l, slot) < 0)
			return -ENOENT;
		return dup(*priv_fd(l, slot));
	}
	pin_path(dp, slot, ifindex, path, sizeof(path));
	fd = bpf_obj_get(path);
	if (fd < 0)
		return -errno;
	/* A link whose interface went away is defunct (ifindex 0): forget it. */
	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0 || info.xdp.ifindex != (uint32_t)ifindex) {
		close(fd);
		unlink(path);
		return -ENOENT;
	}
	return fd;
}

static int keep_link(struct moat_dp *dp, int slot, int ifindex, int fd)
{
	char path[PATH_MAX];

	if (dp->no_pin) {
		struct moat_dp_priv_link *l = priv_slot(dp, ifindex, true);

		if (!l) {
			close(fd);
			return dp_fail(dp, -ENOSPC, "too many interfaces on one unpinned handle");
		}
		if (*priv_fd(l, slot) >= 0)
			close(*priv_fd(l, slot));
		*priv_fd(l, slot) = fd;
		return 0;
	}
	pin_path(dp, slot, ifindex, path, sizeof(path));
	if (bpf_obj_pin(fd, path) < 0) {
		int r = -errno;

		bpf_link_detach(fd);
		close(fd);
		return dp_fail(dp, r, "pinning %s: %s", path, strerror(-r));
	}
	close(fd);
	return 0;
}

static int xdp_query_mode(int ifindex, enum moat_xdp_mode *ret)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q) < 0)
		return -errno;
	*ret = q.attach_mode == XDP_ATTACHED_SKB ? MOAT_XDP_GENERIC :
	       q.attach_mode == XDP_ATTACHED_DRV ? MOAT_XDP_NATIVE :
						   MOAT_XDP_OFF;
	return 0;
}

static int attach_xdp(struct moat_dp *dp, const char *ifname, int ifindex, enum moat_xdp_mode want,
		      struct moat_dp_attach_report *rep)
{
	int prog = moat_dp_xdp_fd(dp), fd, r;
	static const uint32_t drv = XDP_FLAGS_DRV_MODE, skb = XDP_FLAGS_SKB_MODE;
	uint32_t tries[2];
	int ntries = 0;

	fd = existing_link(dp, SLOT_XDP, ifindex);
	if (fd >= 0) {
		r = bpf_link_update(fd, prog, NULL);
		close(fd);
		if (r < 0)
			return dp_fail(dp, -errno, "%s: updating moat's XDP link: %s", ifname,
				       strerror(errno));
		rep->updated = true;
		return xdp_query_mode(ifindex, &rep->xdp_mode);
	}
	if (want == MOAT_XDP_AUTO || want == MOAT_XDP_NATIVE)
		tries[ntries++] = drv;
	if (want == MOAT_XDP_AUTO || want == MOAT_XDP_GENERIC)
		tries[ntries++] = skb;
	r = -EINVAL;
	for (int i = 0; i < ntries; i++) {
		LIBBPF_OPTS(bpf_link_create_opts, lo, .flags = tries[i]);

		fd = bpf_link_create(prog, ifindex, BPF_XDP, &lo);
		if (fd >= 0) {
			rep->xdp_mode = tries[i] == drv ? MOAT_XDP_NATIVE : MOAT_XDP_GENERIC;
			return keep_link(dp, SLOT_XDP, ifindex, fd);
		}
		r = -errno;
		if (r == -EBUSY || r == -EEXIST) {
			/* Another program holds the hook: leave it, TC ingress enforces. */
			uint32_t id = 0;

			(void)bpf_xdp_query_id(ifindex, 0, &id);
			rep->xdp_mode = MOAT_XDP_BUSY;
			rep->xdp_busy_prog_id = id;
			return 0;
		}
	}
	if (want == MOAT_XDP_NATIVE && (r == -EOPNOTSUPP || r == -EINVAL))
		return dp_fail(dp, -EOPNOTSUPP, "%s: driver has no native XDP support", ifname);
	return dp_fail(dp, r, "%s: attaching XDP: %s", ifname, strerror(-r));
}

/* clsact fallback: find moat's pinned clsact program for (slot, ifindex), if any. */
static int find_clsact(struct moat_dp *dp, int slot, int ifindex, uint32_t *ret_prio)
{
	char dir[PATH_MAX], want[64];
	DIR *d;
	struct dirent *de;
	int found = -ENOENT;

	snprintf(dir, sizeof(dir), "%s/links", dp->pin_root);
	snprintf(want, sizeof(want), "%s-%lu-%d-clsact-", slot_prefix[slot], netns_ino(), ifindex);
	d = opendir(dir);
	if (!d)
		return -ENOENT;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, want, strlen(want)) == 0) {
			*ret_prio = (uint32_t)strtoul(de->d_name + strlen(want), NULL, 10);
			found = 0;
			break;
		}
	}
	closedir(d);
	return found;
}

static int attach_clsact(struct moat_dp *dp, const char *ifname, int ifindex, int slot, int prog,
			 struct moat_dp_attach_report *rep)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
		    .attach_point = slot == SLOT_TCI ? BPF_TC_INGRESS : BPF_TC_EGRESS);
	uint32_t prio = dp->tc_priority;
	char path[PATH_MAX];
	int r;

	if (!dp->no_pin && find_clsact(dp, slot, ifindex, &prio) == 0)
		rep->updated = true;
	LIBBPF_OPTS(bpf_tc_opts, to, .prog_fd = prog, .handle = MOAT_TC_HANDLE, .priority = prio,
		    .flags = BPF_TC_F_REPLACE);
	/* Creates clsact only if absent (-EEXIST otherwise); we never destroy it on detach. */
	r = bpf_tc_hook_create(&hook);
	if (r < 0 && r != -EEXIST)
		return dp_fail(dp, r, "%s: creating the clsact qdisc: %s", ifname, strerror(-r));
	r = bpf_tc_attach(&hook, &to);
	if (r < 0)
		return dp_fail(dp, r, "%s: attaching the tc %s filter at priority %u: %s", ifname,
			       slot == SLOT_TCI ? "ingress" : "egress", prio, strerror(-r));
	rep->tc_mode = MOAT_TC_CLSACT;
	rep->tc_priority = prio;
	if (dp->no_pin)
		return 0;
	clsact_pin_path(dp, slot, ifindex, prio, path, sizeof(path));
	if (access(path, F_OK) == 0)
		return 0;
	if (bpf_obj_pin(prog, path) < 0)
		return dp_fail(dp, -errno, "pinning %s: %s", path, strerror(errno));
	return 0;
}

static int attach_tc(struct moat_dp *dp, const char *ifname, int ifindex, int slot,
		     struct moat_dp_attach_report *rep)
{
	int prog = slot == SLOT_TCI ? moat_dp_tc_in_fd(dp) : moat_dp_tc_out_fd(dp);
	uint32_t prio;
	int fd, r;

	if (dp->force_clsact || (!dp->no_pin && find_clsact(dp, slot, ifindex, &prio) == 0))
		return attach_clsact(dp, ifname, ifindex, slot, prog, rep);
	fd = existing_link(dp, slot, ifindex);
	if (fd >= 0) {
		r = bpf_link_update(fd, prog, NULL);
		close(fd);
		if (r < 0)
			return dp_fail(dp, -errno, "%s: updating moat's tcx link: %s", ifname,
				       strerror(errno));
		rep->updated = true;
		rep->tc_mode = MOAT_TC_TCX;
		return 0;
	}
	fd = bpf_link_create(prog, ifindex,
			     slot == SLOT_TCI ? MOAT_BPF_TCX_INGRESS : MOAT_BPF_TCX_EGRESS, NULL);
	if (fd < 0) {
		r = -errno;
		if (r == -EINVAL || r == -EOPNOTSUPP) /* kernel without tcx (< 6.6) */
			return attach_clsact(dp, ifname, ifindex, slot, prog, rep);
		return dp_fail(dp, r, "%s: attaching tcx %s: %s", ifname,
			       slot == SLOT_TCI ? "ingress" : "egress", strerror(-r));
	}
	rep->tc_mode = MOAT_TC_TCX;
	return keep_link(dp, slot, ifindex, fd);
}

int moat_dp_attach(struct moat_dp *dp, const char *ifname, enum moat_xdp_mode xdp_mode, bool tc,
		   struct moat_dp_attach_report *ret_report)
{
	struct moat_dp_attach_report rep;
	int ifindex, r;

	dp->err[0] = '\0';
	memset(&rep, 0, sizeof(rep));
	if (!ifname || strlen(ifname) >= sizeof(rep.ifname))
		return dp_fail(dp, -EINVAL, "bad interface name");
	ifindex = (int)if_nametoindex(ifname);
	if (!ifindex)
		return dp_fail(dp, -ENODEV, "%s: no such interface", ifname);
	if (xdp_mode == MOAT_XDP_BUSY)
		return dp_fail(dp, -EINVAL, "MOAT_XDP_BUSY is not a request");
	snprintf(rep.ifname, sizeof(rep.ifname), "%s", ifname);
	rep.ifindex = ifindex;
	rep.xdp_mode = MOAT_XDP_OFF;
	if (xdp_mode != MOAT_XDP_OFF) {
		r = attach_xdp(dp, ifname, ifindex, xdp_mode, &rep);
		if (r < 0)
			return r;
		if (rep.xdp_mode == MOAT_XDP_BUSY && !tc)
			return dp_fail(
				dp, -EBUSY,
				"%s: the XDP hook is held by program id %u; attach with TC to "
				"enforce at tc ingress instead",
				ifname, rep.xdp_busy_prog_id);
	}
	if (tc) {
		r = attach_tc(dp, ifname, ifindex, SLOT_TCI, &rep);
		if (r >= 0)
			r = attach_tc(dp, ifname, ifindex, SLOT_TCE, &rep);
		if (r < 0)
			return r;
	}
	if (ret_report)
		*ret_report = rep;
	return 0;
}

static int detach_slot(struct moat_dp *dp, int slot, int ifindex)
{
	char path[PATH_MAX];
	uint32_t prio;
	int fd;

	if (slot != SLOT_XDP && !dp->no_pin && find_clsact(dp, slot, ifindex, &prio) == 0) {
		LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
			    .attach_point = slot == SLOT_TCI ? BPF_TC_INGRESS : BPF_TC_EGRESS);
		LIBBPF_OPTS(bpf_tc_opts, to, .handle = MOAT_TC_HANDLE, .priority = prio);

		(void)bpf_tc_detach(&hook, &to);
		clsact_pin_path(dp, slot, ifindex, prio, path, sizeof(path));
		unlink(path);
		return 1;
	}
	fd = existing_link(dp, slot, ifindex);
	if (fd < 0)
		return 0;
	(void)bpf_link_detach(fd);
	close(fd);
	if (dp->no_pin) {
		struct moat_dp_priv_link *l = priv_slot(dp, ifindex, false);

		if (l) {
			close(*priv_fd(l, slot));
			*priv_fd(l, slot) = -1;
		}
	} else {
		pin_path(dp, slot, ifindex, path, sizeof(path));
		unlink(path);
	}
	return 1;
}

int moat_dp_detach(struct moat_dp *dp, const char *ifname)
{
	int ifindex, n = 0;

	dp->err[0] = '\0';
	ifindex = ifname ? (int)if_nametoindex(ifname) : 0;
	if (!ifindex)
		return dp_fail(dp, -ENODEV, "%s: no such interface", ifname ? ifname : "(null)");
	if (dp->force_clsact) {
		/* clsact without pins (no_pin): remove our filters by handle and priority. */
		for (int slot = SLOT_TCI; slot <= SLOT_TCE && dp->no_pin; slot++) {
			LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex,
				    .attach_point =
					    slot == SLOT_TCI ? BPF_TC_INGRESS : BPF_TC_EGRESS);
			LIBBPF_OPTS(bpf_tc_opts, to, .handle = MOAT_TC_HANDLE,
				    .priority = dp->tc_priority);

			if (bpf_tc_detach(&hook, &to) == 0)
				n++;
		}
	}
	for (int slot = 0; slot < SLOT_NUM; slot++)
		n += detach_slot(dp, slot, ifindex);
	if (!n)
		return dp_fail(dp, -ENOENT, "%s: moat is not attached", ifname);
	return 0;
}

int moat_dp_attachments(struct moat_dp *dp, struct moat_dp_attach_report *reports, size_t max)
{
	char dir[PATH_MAX];
	unsigned long ino = netns_ino();
	_cleanup_free_ struct moat_dp_attach_report *all = NULL; /* this netns's pinned ifaces */
	const size_t all_max = 256;
	DIR *d;
	struct dirent *de;
	size_t n = 0;

	dp->err[0] = '\0';
	if (dp->no_pin) {
		for (size_t i = 0; i < MOAT_DP_MAX_PRIV_LINKS; i++) {
			struct moat_dp_priv_link *l = &dp->priv[i];
			struct moat_dp_attach_report r = { .ifindex = l->ifindex };

			if (!l->ifindex || (l->xdp_fd < 0 && l->tci_fd < 0 && l->tce_fd < 0))
				continue;
			if (!if_indextoname(l->ifindex, r.ifname))
				continue;
			r.xdp_mode = MOAT_XDP_OFF;
			if (l->xdp_fd >= 0)
				(void)xdp_query_mode(l->ifindex, &r.xdp_mode);
			r.tc_mode = l->tci_fd >= 0 ? MOAT_TC_TCX : MOAT_TC_OFF;
			if (n < max)
				reports[n] = r;
			n++;
		}
		return (int)n;
	}
	snprintf(dir, sizeof(dir), "%s/links", dp->pin_root);
	all = calloc(all_max, sizeof(*all));
	if (!all)
		return dp_fail(dp, -ENOMEM, "out of memory");
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : dp_fail(dp, -errno, "%s: %s", dir, strerror(errno));
	while ((de = readdir(d))) {
		char kind[4];
		unsigned long lino;
		int ifindex, slot;
		unsigned int prio = 0;
		struct moat_dp_attach_report r = {};
		size_t j;

		if (sscanf(de->d_name, "%3[a-z]-%lu-%d-clsact-%u", kind, &lino, &ifindex, &prio) <
			    3 ||
		    lino != ino)
			continue;
		for (slot = 0; slot < SLOT_NUM && strcmp(kind, slot_prefix[slot]); slot++)
			;
		if (slot == SLOT_NUM)
			continue;
		if (!prio) {
			/* existing_link() forgets a link whose interface is gone (pin removed). */
			int fd = existing_link(dp, slot, ifindex);

			if (fd < 0)
				continue;
			close(fd);
		}
		if (!if_indextoname(ifindex, r.ifname))
			continue;
		for (j = 0; j < n; j++)
			if (all[j].ifindex == ifindex)
				break;
		if (j == n) {
			if (n == all_max)
				continue;
			r.ifindex = ifindex;
			r.xdp_mode = MOAT_XDP_OFF;
			all[n++] = r;
		}
		if (slot == SLOT_XDP) {
			(void)xdp_query_mode(ifindex, &all[j].xdp_mode);
		} else if (prio) {
			all[j].tc_mode = MOAT_TC_CLSACT;
			all[j].tc_priority = prio;
		} else {
			all[j].tc_mode = MOAT_TC_TCX;
		}
	}
	closedir(d);
	for (size_t i = 0; i < n && i < max; i++)
		reports[i] = all[i];
	return (int)n;
}
