// SPDX-License-Identifier: GPL-2.0-only
/* The datapath library's lifecycle: load the embedded skeleton, create or adopt pinned maps. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/magic.h>

#include "datapath/dp_internal.h"
#include "lib/lib.h"
#include "moat_filter.skel.h"

static const char *const map_names[MOAT_M_NUM] = {
	[MOAT_M_AL4_H] = "moat_al4_h", [MOAT_M_AL4_P] = "moat_al4_p", [MOAT_M_AL6_H] = "moat_al6_h",
	[MOAT_M_AL6_P] = "moat_al6_p", [MOAT_M_BS4_H] = "moat_bs4_h", [MOAT_M_BS4_P] = "moat_bs4_p",
	[MOAT_M_BS6_H] = "moat_bs6_h", [MOAT_M_BS6_P] = "moat_bs6_p", [MOAT_M_BD4_H] = "moat_bd4_h",
	[MOAT_M_BD4_P] = "moat_bd4_p", [MOAT_M_BD6_H] = "moat_bd6_h", [MOAT_M_BD6_P] = "moat_bd6_p",
	[MOAT_M_L4_4] = "moat_l4_4",   [MOAT_M_L4_6] = "moat_l4_6",
};

static const char *const pf_names[DP_PF_NUM] = DP_PF_NAMES;

const char *moat_dp_map_name(unsigned int map_id)
{
	return map_id < MOAT_M_NUM ? map_names[map_id] : "?";
}

int dp_fail(struct moat_dp *dp, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(dp->err, sizeof(dp->err), fmt, ap);
	va_end(ap);
	return err;
}

const char *moat_dp_errmsg(const struct moat_dp *dp)
{
	return dp ? dp->err : "";
}

const char *moat_dp_pin_root(const struct moat_dp *dp)
{
	return dp->no_pin ? "" : dp->pin_root;
}

int moat_dp_xdp_fd(const struct moat_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.moat_xdp);
}

int moat_dp_tc_in_fd(const struct moat_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.moat_tc_in);
}

int moat_dp_tc_out_fd(const struct moat_dp *dp)
{
	return bpf_program__fd(dp->skel->progs.moat_tc_out);
}

uint64_t moat_dp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void dp_mark_nonempty(struct moat_dp *dp, unsigned int map_id)
{
	__atomic_fetch_or(&dp->cfg->nonempty, 1u << map_id, __ATOMIC_SEQ_CST);
}

static bool map_is_empty(int fd, uint32_t key_size)
{
	uint8_t key[64];

	if (key_size > sizeof(key))
		return false;
	return bpf_map_get_next_key(fd, NULL, key) < 0 && errno == ENOENT;
}

/*
 * Another process may add to the same map concurrently: it sets the bit before and after its
 * insert. We clear only after seeing the map empty, then look again and set the bit back if an
 * entry appeared in between; so an entry is never left in a map whose bit stays clear.
 */
void dp_update_empty(struct moat_dp *dp, unsigned int map_id)
{
	int fd = dp->map_fd[map_id];
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len) < 0)
		return;
	if (!map_is_empty(fd, info.key_size))
		return;
	__atomic_fetch_and(&dp->cfg->nonempty, ~(1u << map_id), __ATOMIC_SEQ_CST);
	if (!map_is_empty(fd, info.key_size))
		dp_mark_nonempty(dp, map_id);
}

/* libbpf messages go to our debug log only: the library never logs above debug. */
_printf_(2, 0) static int dp_libbpf_print(enum libbpf_print_level level, const char *fmt,
					  va_list ap)
{
	char buf[1024];

	if (log_get_level() < LOG_LEVEL_DEBUG)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	buf[strcspn(buf, "\n")] = '\0';
	log_debug("libbpf: %s", buf);
	return 0;
}

static int mkdir_p(char *path, mode_t mode)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, mode) < 0 && errno != EEXIST) {
			int r = -errno;
			*p = '/';
			return r;
		}
		*p = '/';
	}
	if (mkdir(path, mode) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_bpffs(const char *path)
{
	struct statfs st;

	return statfs(path, &st) == 0 && st.f_type == BPF_FS_MAGIC;
}

/* Mount bpffs at /sys/fs/bpf if missing, create root and root/links, check they are bpffs. */
static int prepare_pin_root(struct moat_dp *dp)
{
	char path[PATH_MAX];
	int r;

	if (!is_bpffs("/sys/fs/bpf") && strncmp(dp->pin_root, "/sys/fs/bpf/", 12) == 0) {
		if (mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700") < 0)
			return dp_fail(dp, -errno, "mounting bpffs at /sys/fs/bpf: %s",
				       strerror(errno));
	}
	snprintf(path, sizeof(path), "%s/links", dp->pin_root);
	r = mkdir_p(path, 0700);
	if (r < 0)
		return dp_fail(dp, r, "creating pin directory %s: %s", path, strerror(-r));
	if (!is_bpffs(dp->pin_root))
		return dp_fail(dp, -ENOTDIR, "pin root %s is not on a bpf filesystem",
			       dp->pin_root);
	return 0;
}

/* Size a map: from its pin when one exists (adoption), else from the options. */
int dp_size_map(struct moat_dp *dp, struct bpf_map *map, uint32_t want)
{
	char path[PATH_MAX];
	struct bpf_map_info info = {};
	uint32_t len = sizeof(info);
	int fd, r = 0;

	if (!dp->no_pin) {
		snprintf(path, sizeof(path), "%s/%s", dp->pin_root, bpf_map__name(map));
		r = bpf_map__set_pin_path(map, path);
		if (r < 0)
			return dp_fail(dp, r, "%s: setting pin path", path);
		fd = bpf_obj_get(path);
		if (fd >= 0) {
			r = bpf_obj_get_info_by_fd(fd, &info, &len);
			close(fd);
			if (r < 0)
				return dp_fail(dp, -errno, "%s: reading map info: %s", path,
					       strerror(errno));
			if (info.type != bpf_map__type(map) ||
			    info.key_size != bpf_map__key_size(map) ||
			    info.value_size != bpf_map__value_size(map))
				return dp_fail(dp, -EINVAL,
					       "pinned map %s does not match this moat's layout "
					       "(ABI changed?); remove it to start afresh",
					       path);
			want = info.max_entries;
		} else if (errno != ENOENT) {
			return dp_fail(dp, -errno, "%s: %s", path, strerror(errno));
		}
	}
	if (want) {
		r = bpf_map__set_max_entries(map, want);
		if (r < 0)
			return dp_fail(dp, r, "%s: setting size %u", bpf_map__name(map), want);
	}
	return 0;
}

static uint32_t map_want(const struct moat_dp_opts *o, unsigned int id)
{
	switch (id) {
	case MOAT_M_AL4_H:
	case MOAT_M_AL4_P:
	case MOAT_M_AL6_H:
	case MOAT_M_AL6_P:
		return o->allow_entries ? o->allow_entries : MOAT_DP_DEFAULT_ALLOW_ENTRIES;
	case MOAT_M_L4_4:
	case MOAT_M_L4_6:
		return o->l4_entries ? o->l4_entries : MOAT_DP_DEFAULT_L4_ENTRIES;
	default:
		return o->block_entries ? o->block_entries : MOAT_DP_DEFAULT_BLOCK_ENTRIES;
	}
}

void moat_dp_close(struct moat_dp *dp)
{
	if (!dp)
		return;
	for (size_t i = 0; i < MOAT_DP_MAX_PRIV_LINKS; i++) {
		struct moat_dp_priv_link *l = &dp->priv[i];

		if (!l->ifindex)
			continue;
		if (l->xdp_fd >= 0)
			close(l->xdp_fd);
		if (l->tci_fd >= 0)
			close(l->tci_fd);
		if (l->tce_fd >= 0)
			close(l->tce_fd);
	}
	dp_copy_close(dp);
	if (dp->cfg)
		munmap(dp->cfg, sysconf(_SC_PAGESIZE));
	for (int i = 0; i < DP_PF_NUM; i++)
		if (dp->pf[i])
			munmap(dp->pf[i], dp->pf_len[i]);
	moat_filter__destroy(dp->skel);
	free(dp);
}

/*
 * Open the skeleton, size every map (adopting pins), load and pin. *ret_pf_fresh: a prefilter
 * map was created rather than adopted (its counts must be rebuilt from adopted entries).
 */
static int load_skel(struct moat_dp *dp, const struct moat_dp_opts *opts, bool *ret_pf_fresh)
{
	bool pf_fresh = false;
	int r;

	dp->skel = moat_filter__open();
	if (!dp->skel)
		return dp_fail(dp, -errno ? -errno : -EINVAL, "opening the BPF skeleton: %s",
			       strerror(errno));
	for (unsigned int i = 0; i < MOAT_M_NUM; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, map_names[i]);

		if (!m) {
			r = dp_fail(dp, -ENOENT, "map %s missing from the BPF object",
				    map_names[i]);
			return r;
		}
		r = dp_size_map(dp, m, map_want(opts, i));
		if (r < 0)
			return r;
	}
	r = dp_size_map(dp, dp->skel->maps.moat_notes,
			opts->note_entries ? opts->note_entries : MOAT_DP_DEFAULT_NOTE_ENTRIES);
	if (r < 0)
		return r;
	for (int i = 0; i < DP_PF_NUM; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, pf_names[i]);
		char path[PATH_MAX];

		if (!m)
			return dp_fail(dp, -ENOENT, "map %s missing from the BPF object",
				       pf_names[i]);
		if (!dp->no_pin) {
			snprintf(path, sizeof(path), "%s/%s", dp->pin_root, pf_names[i]);
			pf_fresh |= access(path, F_OK) < 0;
		}
		r = dp_size_map(dp, m, 0);
		if (r < 0)
			return r;
	}
	r = dp_size_map(dp, dp->skel->maps.moat_cfg, 0);
	if (r < 0)
		return r;
	r = dp_size_map(dp, dp->skel->maps.moat_stats, 0);
	if (r < 0)
		return r;
	r = dp_copy_size_maps(dp, opts);
	if (r < 0)
		return r;

	r = moat_filter__load(dp->skel);
	if (r < 0) {
		r = dp_fail(dp, r, "loading the BPF programs and maps%s%s: %s",
			    dp->no_pin ? "" : " (pin root ", dp->no_pin ? "" : dp->pin_root,
			    strerror(-r));
		if (!dp->no_pin)
			strncat(dp->err, ")", sizeof(dp->err) - strlen(dp->err) - 1);
		return r;
	}
	*ret_pf_fresh = pf_fresh;
	return 0;
}

DEFINE_FREEP(struct moat_dp, moat_dp_close)

int moat_dp_open(const struct moat_dp_opts *opts, struct moat_dp **ret, char *err, size_t errlen)
{
	static const struct moat_dp_opts defaults = {};
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	const char *root;
	bool pf_fresh = false;
	void *mm;
	int r;

	if (!opts)
		opts = &defaults;
	dp = calloc(1, sizeof(*dp));
	if (!dp) {
		if (err && errlen)
			snprintf(err, errlen, "out of memory");
		return -ENOMEM;
	}
	libbpf_set_print(dp_libbpf_print);
	for (size_t i = 0; i < MOAT_MAX_WORKERS; i++)
		dp->ring_fd[i] = -1;
	dp->cstats_fd = dp->flows_fd = dp->http_h_fd = dp->http_u_fd = -1;
	dp->rings_fd = dp->perf_fd = -1;
	dp->no_pin = opts->no_pin;
	dp->force_clsact = opts->force_clsact;
	dp->tc_priority = opts->tc_priority ? opts->tc_priority : MOAT_DP_DEFAULT_TC_PRIORITY;
	root = opts->pin_root;
	if (!root || !*root)
		root = getenv("MOAT_PIN_ROOT");
	if (!root || !*root)
		root = MOAT_DP_PIN_ROOT;
	if (strlen(root) > MOAT_DP_PIN_ROOT_MAX) {
		r = dp_fail(dp, -ENAMETOOLONG, "pin root too long: %s", root);
		goto fail;
	}
	snprintf(dp->pin_root, sizeof(dp->pin_root), "%s", root);
	/* Strip trailing slashes so the paths we build look right. */
	for (size_t n = strlen(dp->pin_root); n > 1 && dp->pin_root[n - 1] == '/'; n--)
		dp->pin_root[n - 1] = '\0';

	if (!dp->no_pin) {
		r = prepare_pin_root(dp);
		if (r < 0)
			goto fail;
	}

	/*
	 * Two processes opening a fresh pin root at once both create maps and the second one's
	 * pins fail with -EEXIST: that one starts over and adopts the winner's maps.
	 */
	for (int attempt = 0;; attempt++) {
		r = load_skel(dp, opts, &pf_fresh);
		if (r != -EEXIST || dp->no_pin || attempt == 3)
			break;
		moat_filter__destroy(dp->skel);
		dp->skel = NULL;
	}
	if (r < 0)
		goto fail;

	for (unsigned int i = 0; i < MOAT_M_NUM; i++) {
		struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, map_names[i]);

		dp->map_fd[i] = bpf_map__fd(m);
		dp->map_max[i] = bpf_map__max_entries(m);
	}
	dp->cfg_fd = bpf_map__fd(dp->skel->maps.moat_cfg);
	dp->stats_fd = bpf_map__fd(dp->skel->maps.moat_stats);
	dp->notes_fd = bpf_map__fd(dp->skel->maps.moat_notes);
	dp->notes_max = bpf_map__max_entries(dp->skel->maps.moat_notes);
	for (size_t i = 0; i < MOAT_DP_MAX_PRIV_LINKS; i++)
		dp->priv[i].xdp_fd = dp->priv[i].tci_fd = dp->priv[i].tce_fd = -1;

	mm = mmap(NULL, sysconf(_SC_PAGESIZE), PROT_READ | PROT_WRITE, MAP_SHARED, dp->cfg_fd, 0);
	if (mm == MAP_FAILED) {
		r = dp_fail(dp, -errno, "mapping moat_cfg: %s", strerror(errno));
		goto fail;
	}
	dp->cfg = mm;
	for (int i = 0; i < DP_PF_NUM; i++) {
		static const size_t counters[DP_PF_NUM] = DP_PF_COUNTERS;
		struct bpf_map *m = bpf_object__find_map_by_name(dp->skel->obj, pf_names[i]);

		if (bpf_map__max_entries(m) != counters[i]) {
			r = dp_fail(dp, -EPROTO, "pinned %s has %u counters, this moat expects %zu",
				    pf_names[i], bpf_map__max_entries(m), counters[i]);
			goto fail;
		}
		dp->pf_len[i] = counters[i] * sizeof(uint64_t);
		mm = mmap(NULL, dp->pf_len[i], PROT_READ | PROT_WRITE, MAP_SHARED, bpf_map__fd(m),
			  0);
		if (mm == MAP_FAILED) {
			r = dp_fail(dp, -errno, "mapping %s: %s", pf_names[i], strerror(errno));
			goto fail;
		}
		dp->pf[i] = mm;
	}
	r = dp_copy_open(dp);
	if (r < 0)
		goto fail;
	if (pf_fresh) {
		/* Entry maps adopted from before the prefilter existed: count their keys. */
		r = dp_pf_rebuild(dp);
		if (r < 0)
			goto fail;
	}
	if (dp->cfg->abi_version == 0) {
		dp->cfg->mode = MOAT_MODE_ALLOW;
		dp->cfg->malformed = MOAT_MALFORMED_PASS;
		__atomic_store_n(&dp->cfg->abi_version, MOAT_ABI_VERSION, __ATOMIC_SEQ_CST);
	} else if (dp->cfg->abi_version != MOAT_ABI_VERSION) {
		r = dp_fail(dp, -EPROTO, "pinned moat_cfg has ABI version %u, this moat speaks %u",
			    dp->cfg->abi_version, MOAT_ABI_VERSION);
		goto fail;
	}
	*ret = TAKE_PTR(dp);
	return 0;
fail:
	if (err && errlen)
		snprintf(err, errlen, "%s", dp->err);
	return r;
}

int moat_dp_set_mode(struct moat_dp *dp, uint32_t mode)
{
	if (mode != MOAT_MODE_ALLOW && mode != MOAT_MODE_DENY)
		return dp_fail(dp, -EINVAL, "unknown mode %u", mode);
	__atomic_store_n(&dp->cfg->mode, mode, __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_get_mode(struct moat_dp *dp, uint32_t *ret_mode)
{
	*ret_mode = __atomic_load_n(&dp->cfg->mode, __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_set_malformed(struct moat_dp *dp, uint32_t policy)
{
	if (policy != MOAT_MALFORMED_PASS && policy != MOAT_MALFORMED_DROP)
		return dp_fail(dp, -EINVAL, "unknown malformed-packet policy %u", policy);
	__atomic_store_n(&dp->cfg->malformed, policy, __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_get_malformed(struct moat_dp *dp, uint32_t *ret_policy)
{
	*ret_policy = __atomic_load_n(&dp->cfg->malformed, __ATOMIC_SEQ_CST);
	return 0;
}

int moat_dp_stats(struct moat_dp *dp, struct moat_dp_stats *ret)
{
	int ncpu = libbpf_num_possible_cpus();
	_cleanup_free_ struct moat_counter *per = NULL;
	struct moat_dp_stats s;

	if (ncpu <= 0)
		return dp_fail(dp, ncpu ? ncpu : -EINVAL, "counting possible CPUs");
	per = calloc(ncpu, sizeof(*per));
	if (!per)
		return dp_fail(dp, -ENOMEM, "out of memory");
	memset(&s, 0, sizeof(s));
	for (uint32_t i = 0; i < MOAT_STATS_N; i++) {
		if (bpf_map_lookup_elem(dp->stats_fd, &i, per) < 0)
			return dp_fail(dp, -errno, "reading moat_stats[%u]: %s", i,
				       strerror(errno));
		for (int c = 0; c < ncpu; c++) {
			s.c[i].packets += per[c].packets;
			s.c[i].bytes += per[c].bytes;
		}
	}
	*ret = s;
	return 0;
}

int moat_dp_stats_reset(struct moat_dp *dp)
{
	int ncpu = libbpf_num_possible_cpus();
	_cleanup_free_ struct moat_counter *zero = NULL;

	if (ncpu <= 0)
		return dp_fail(dp, ncpu ? ncpu : -EINVAL, "counting possible CPUs");
	zero = calloc(ncpu, sizeof(*zero));
	if (!zero)
		return dp_fail(dp, -ENOMEM, "out of memory");
	for (uint32_t i = 0; i < MOAT_STATS_N; i++)
		if (bpf_map_update_elem(dp->stats_fd, &i, zero, BPF_ANY) < 0)
			return dp_fail(dp, -errno, "zeroing moat_stats[%u]: %s", i,
				       strerror(errno));
	return 0;
}

const char *moat_dp_verdict_name(unsigned int verdict)
{
	return verdict == MOAT_V_PASS ? "pass" : verdict == MOAT_V_DROP ? "drop" : "?";
}

const char *moat_dp_reason_name(unsigned int reason)
{
	static const char *const names[MOAT_R_NUM] = {
		[MOAT_R_NONE] = "none",
		[MOAT_R_ALLOW] = "allow",
		[MOAT_R_BLOCK_SRC] = "block-src",
		[MOAT_R_BLOCK_DST] = "block-dst",
		[MOAT_R_PORT_BLOCK] = "port-block",
		[MOAT_R_PORT_ALLOW] = "port-allow",
		[MOAT_R_DEFAULT_DENY] = "default-deny",
		[MOAT_R_MALFORMED] = "malformed",
		[MOAT_R_NON_IP] = "non-ip",
		[MOAT_R_ESSENTIAL] = "essential",
		[MOAT_R_FRAGMENT] = "fragment",
		[MOAT_R_HTTP] = "http",
	};

	return reason < MOAT_R_NUM && names[reason] ? names[reason] : "?";
}

const char *moat_dp_hook_name(unsigned int hook)
{
	static const char *const names[MOAT_HOOK_NUM] = { "xdp", "tc-ingress", "tc-egress" };

	return hook < MOAT_HOOK_NUM ? names[hook] : "?";
}

const char *moat_dp_xdp_mode_name(enum moat_xdp_mode m)
{
	switch (m) {
	case MOAT_XDP_AUTO:
		return "auto";
	case MOAT_XDP_NATIVE:
		return "native";
	case MOAT_XDP_GENERIC:
		return "generic";
	case MOAT_XDP_OFF:
		return "off";
	case MOAT_XDP_BUSY:
		return "busy";
	}
	return "?";
}

const char *moat_dp_tc_mode_name(enum moat_tc_mode m)
{
	switch (m) {
	case MOAT_TC_OFF:
		return "off";
	case MOAT_TC_TCX:
		return "tcx";
	case MOAT_TC_CLSACT:
		return "clsact";
	}
	return "?";
}

const char *moat_dp_kind_name(unsigned int kind)
{
	switch (kind) {
	case MOAT_KIND_ALLOW:
		return "allow";
	case MOAT_KIND_BLOCK:
		return "block";
	case MOAT_KIND_PORT_BLOCK:
		return "port-block";
	case MOAT_KIND_PORT_ALLOW:
		return "port-allow";
	}
	return "?";
}
