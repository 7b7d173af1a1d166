// SPDX-License-Identifier: GPL-2.0-only
/*
 * xdp_cost: ns/packet of moat's XDP program (pass and drop paths, with 0 to 1M entries) beside
 * an empty XDP program and xdp-filter's blocklist program, measured in the same run on the same
 * frames through BPF_PROG_TEST_RUN. Prints one JSON object. Root (bpf) only.
 *
 *   xdp_cost [--repeat N] [--runs N] [--quick] [--xdp-filter PATH|none]
 *
 * Each figure is the median over --runs runs (after one warm-up run) of the kernel's own
 * average over --repeat iterations (bpf_prog_test_run_opts' duration, whole ns). Pass paths
 * are measured in rounds (empty, moat, xdp-filter back to back) and their ratios are the
 * medians of the per-round ratios, which a loaded machine disturbs much less than absolutes. Every run also checks the verdict (pass
 * frames must return XDP_PASS, drop frames XDP_DROP), so a figure is never for the wrong path.
 *
 * Entries are spread over the address space (a bijective multiplicative hash of the index, as
 * a threat feed would be, never inside 198.18.0.0/15 or fd00:6d6f:6174::/48), so the pass
 * frames (sources 198.18.0.1 and fd00:6d6f:6174::1) always miss and tries are not degenerate.
 * xdp-filter has no prefixes: it gets the same exact entries and none of the prefixes.
 * `--xdp-filter none` (xdp-tools not installed) measures moat and the empty program only; the
 * JSON then has no xdp_filter figures, its ratios and target verdicts against it are null.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <netinet/in.h>
#include <sys/utsname.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include "lib/lib.h"
#include "datapath/datapath.h"

DEFINE_FREEP(struct moat_dp, moat_dp_close)

#define DEFAULT_XDP_FILTER "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_all.o"
#define FILL_CHUNK 65536u
/* xdp-filter's map value flag for "match the source address" (its common_kern_user.h). */
#define XDPFILT_FLAG_SRC 1u

struct frame {
	uint8_t data[128];
	uint32_t len;
};

struct config {
	const char *name;
	uint32_t v4_exact, v4_prefix; /* prefixes are /24 */
	uint32_t v6_exact, v6_prefix; /* prefixes are /64 */
};

static const struct config configs[] = {
	{ "empty", 0, 0, 0, 0 },
	{ "v4_100k_exact", 100000, 0, 0, 0 },
	{ "v4_100k_mix", 80000, 20000, 0, 0 },
	{ "v4_1m_exact", 1000000, 0, 0, 0 },
	{ "v4_1m_mix", 800000, 200000, 0, 0 },
	{ "v6_100k_exact", 0, 0, 100000, 0 },
	{ "v6_100k_mix", 0, 0, 80000, 20000 },
	{ "v4v6_200k_exact", 100000, 0, 100000, 0 },
	{ "v4v6_200k_mix", 80000, 20000, 80000, 20000 },
};

static const struct config quick_configs[] = {
	{ "empty", 0, 0, 0, 0 },
	{ "v4v6_200k_exact", 100000, 0, 100000, 0 },
	{ "v4v6_200k_mix", 80000, 20000, 80000, 20000 },
};

/* The target is judged on 100k IPv4 + 100k IPv6 entries: all exact, and 20% prefixes. */
static bool is_target_config(const char *name)
{
	return strncmp(name, "v4v6_200k_", 10) == 0;
}

struct args {
	uint32_t repeat;
	uint32_t runs;
	bool quick;
	const char *xdp_filter;
};

/* ---- entry generation (deterministic, distinct, outside the lab ranges) ---- */

/* i -> a distinct 32-bit value: multiplication by an odd constant is a bijection mod 2^32. */
static uint32_t spread32(uint32_t i, uint32_t salt)
{
	return (i + salt) * 2654435761u;
}

static bool v4_reserved(uint32_t host_order)
{
	return (host_order & 0xfffe0000u) == 0xc6120000u; /* 198.18.0.0/15 */
}

static void v4_exact_addr(uint32_t i, uint8_t out[4])
{
	uint32_t a = spread32(i, 1);

	if (v4_reserved(a))
		a ^= 0x80000000u; /* move it to another /1: still distinct from every other */
	a = htonl(a);
	memcpy(out, &a, 4);
}

static void v4_prefix_addr(uint32_t i, uint8_t out[4])
{
	/* /24s: distinct 24-bit prefixes from a bijection mod 2^24. */
	uint32_t p = ((i + 7) * 2654435761u) & 0xffffffu, a;

	if (v4_reserved(p << 8))
		p ^= 0x800000u;
	a = htonl(p << 8);
	memcpy(out, &a, 4);
}

static void v6_addr(uint32_t i, uint32_t salt, bool prefix, uint8_t out[16])
{
	/* 2001:db8-ish spread: first 64 bits from two bijections, host part from the index. */
	uint32_t hi = spread32(i, salt), mid = spread32(i, salt + 99991u);

	memset(out, 0, 16);
	out[0] = 0x20;
	out[1] = 0x01;
	memcpy(out + 2, &hi, 4);
	memcpy(out + 6, &mid, 2);
	out[6] ^= (uint8_t)(salt & 0xff); /* exact and prefix sets never coincide */
	if (!prefix) {
		uint32_t lo = spread32(i, salt + 3);

		memcpy(out + 8, &i, 4);
		memcpy(out + 12, &lo, 4);
	}
}

/* ---- frames ---- */

/* Headers are built in aligned locals and copied in: in the frame they sit 14 bytes in, and
 * writing through a struct iphdr/ipv6hdr/tcphdr pointer there is misaligned (UBSan). */
static void frame_eth(struct frame *f, uint16_t proto)
{
	struct ethhdr eth = { .h_proto = htons(proto) };

	memset(f, 0, sizeof(*f));
	memcpy(eth.h_dest, "\x02\x00\x00\x00\x00\x02", ETH_ALEN);
	memcpy(eth.h_source, "\x02\x00\x00\x00\x00\x01", ETH_ALEN);
	memcpy(f->data, &eth, sizeof(eth));
	f->len = sizeof(eth);
}

static void frame_tcp_syn(struct frame *f)
{
	struct tcphdr tcp = { .source = htons(40000), .dest = htons(80), .doff = 5, .syn = 1 };

	memcpy(f->data + f->len, &tcp, sizeof(tcp));
	f->len += sizeof(tcp);
}

static void frame_tcp4(struct frame *f, const uint8_t src[4])
{
	struct iphdr ip = { .version = 4,
			    .ihl = 5,
			    .ttl = 64,
			    .protocol = IPPROTO_TCP,
			    .tot_len = htons(sizeof(struct iphdr) + sizeof(struct tcphdr)) };
	const uint8_t dst[4] = { 198, 18, 0, 2 };

	frame_eth(f, ETH_P_IP);
	memcpy(&ip.saddr, src, 4);
	memcpy(&ip.daddr, dst, 4);
	memcpy(f->data + f->len, &ip, sizeof(ip));
	f->len += sizeof(ip);
	frame_tcp_syn(f);
}

static void frame_tcp6(struct frame *f, const uint8_t src[16])
{
	struct ipv6hdr ip6 = { .version = 6,
			       .payload_len = htons(sizeof(struct tcphdr)),
			       .nexthdr = IPPROTO_TCP,
			       .hop_limit = 64 };

	frame_eth(f, ETH_P_IPV6);
	memcpy(&ip6.saddr, src, 16);
	inet_pton(AF_INET6, "fd00:6d6f:6174::2", &ip6.daddr);
	memcpy(f->data + f->len, &ip6, sizeof(ip6));
	f->len += sizeof(ip6);
	frame_tcp_syn(f);
}

/* ---- measurement ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median ns/packet of prog_fd on f over a->runs runs of a->repeat iterations; checks the
 * verdict. Returns the median (>= 0) or -errno; -EBADMSG on a wrong verdict.
 */
static double measure(const struct args *a, int prog_fd, const struct frame *f, uint32_t expect,
		      int *ret_err)
{
	uint64_t d[64];
	uint32_t runs = MIN(a->runs, (uint32_t)ARRAY_SIZE(d));
	uint8_t out[256];

	/* Run 0 warms caches and branch predictors and is not counted. */
	for (uint32_t r = 0; r <= runs; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data, .data_size_in = f->len,
			    .data_out = out, .data_size_out = sizeof(out),
			    .repeat = r ? a->repeat : MAX(a->repeat / 10, 1u));

		if (bpf_prog_test_run_opts(prog_fd, &opts) < 0) {
			*ret_err = -errno;
			return -1;
		}
		if (opts.retval != expect) {
			*ret_err = -EBADMSG;
			return -1;
		}
		if (r)
			d[r - 1] = opts.duration;
	}
	qsort(d, runs, sizeof(d[0]), cmp_u64);
	*ret_err = 0;
	return runs % 2 ? (double)d[runs / 2] : (double)(d[runs / 2 - 1] + d[runs / 2]) / 2.0;
}

static double median_d(double *v, uint32_t n)
{
	/* Insertion sort: n <= 63. */
	for (uint32_t i = 1; i < n; i++)
		for (uint32_t j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/*
 * The pass path of the three programs (0 = empty, 1 = moat, 2 = xdp-filter) measured in
 * rounds: each round runs all three back to back, so a burst of load on this shared machine
 * hits the three alike, and the ratios are medians of per-round ratios. ret_ns gets each
 * program's median; ret_ratio[0] = moat/empty, ret_ratio[1] = moat/xdp-filter. fds[2] < 0:
 * no xdp-filter (its ns and ratio stay 0). Returns 0, -errno, or -EBADMSG on a wrong verdict.
 */
static int measure_pass(const struct args *a, const int fds[3], const struct frame *f,
			double ret_ns[3], double ret_ratio[2])
{
	double d[3][64] = { { 0 } }, rme[64], rmx[64];
	uint32_t runs = MIN(a->runs, 63u);
	int nprog = fds[2] >= 0 ? 3 : 2;
	uint8_t out[256];

	for (uint32_t r = 0; r <= runs; r++) {
		for (int p = 0; p < nprog; p++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = f->data,
				    .data_size_in = f->len, .data_out = out,
				    .data_size_out = sizeof(out),
				    .repeat = r ? a->repeat : MAX(a->repeat / 10, 1u));

			if (bpf_prog_test_run_opts(fds[p], &opts) < 0)
				return -errno;
			if (opts.retval != XDP_PASS)
				return -EBADMSG;
			if (r)
				d[p][r - 1] = (double)opts.duration;
		}
		if (r) {
			rme[r - 1] = d[0][r - 1] > 0 ? d[1][r - 1] / d[0][r - 1] : 0;
			rmx[r - 1] = d[2][r - 1] > 0 ? d[1][r - 1] / d[2][r - 1] : 0;
		}
	}
	for (int p = 0; p < 3; p++)
		ret_ns[p] = median_d(d[p], runs);
	ret_ratio[0] = median_d(rme, runs);
	ret_ratio[1] = median_d(rmx, runs);
	return 0;
}

/* ---- programs ---- */

static int empty_prog_load(void)
{
	/* r0 = XDP_PASS; exit */
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "moat_empty", "GPL", insns, ARRAY_SIZE(insns),
			     NULL);
}

struct xdpfilt {
	struct bpf_object *obj;
	int prog_fd, v4_fd, v6_fd;
};

static void xdpfilt_close(struct xdpfilt *x)
{
	bpf_object__close(x->obj);
	x->obj = NULL;
}

static int xdpfilt_open(const char *path, uint32_t v4, uint32_t v6, struct xdpfilt *ret, char *err,
			size_t errlen)
{
	struct xdpfilt x = { 0 };
	struct bpf_program *prog;
	struct bpf_map *m;
	int r;

	x.obj = bpf_object__open_file(path, NULL);
	if (!x.obj) {
		r = -errno;
		snprintf(err, errlen, "cannot open %s: %s", path, strerror(-r));
		return r;
	}
	/* Private maps: no pinning, sized for this configuration. */
	bpf_object__for_each_map(m, x.obj)
	{
		bpf_map__set_pin_path(m, NULL);
		if (strcmp(bpf_map__name(m), "filter_ipv4") == 0)
			bpf_map__set_max_entries(m, MAX(v4, 1u));
		else if (strcmp(bpf_map__name(m), "filter_ipv6") == 0)
			bpf_map__set_max_entries(m, MAX(v6, 1u));
	}
	prog = bpf_object__next_program(x.obj, NULL);
	if (!prog) {
		snprintf(err, errlen, "%s: no program", path);
		bpf_object__close(x.obj);
		return -ENOENT;
	}
	r = bpf_object__load(x.obj);
	if (r < 0) {
		snprintf(err, errlen, "cannot load %s: %s", path, strerror(-r));
		bpf_object__close(x.obj);
		return r;
	}
	x.prog_fd = bpf_program__fd(prog);
	x.v4_fd = bpf_object__find_map_fd_by_name(x.obj, "filter_ipv4");
	x.v6_fd = bpf_object__find_map_fd_by_name(x.obj, "filter_ipv6");
	if (x.v4_fd < 0 || x.v6_fd < 0) {
		snprintf(err, errlen, "%s: no filter_ipv4/filter_ipv6 maps", path);
		bpf_object__close(x.obj);
		return -ENOENT;
	}
	*ret = x;
	return 0;
}

/* Fill an xdp-filter map (PERCPU_HASH, value = per-CPU u64 flags) with n keys from gen. */
static int xdpfilt_fill(int fd, uint32_t n, size_t key_size, void (*gen)(uint32_t, uint8_t *),
			char *err, size_t errlen)
{
	int ncpu = libbpf_num_possible_cpus();
	_cleanup_free_ uint8_t *keys = NULL;
	_cleanup_free_ uint64_t *vals = NULL;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	keys = calloc(FILL_CHUNK, key_size);
	vals = calloc((size_t)FILL_CHUNK * (size_t)ncpu, sizeof(uint64_t));
	if (!keys || !vals)
		return -ENOMEM;
	for (size_t i = 0; i < (size_t)FILL_CHUNK * (size_t)ncpu; i++)
		vals[i] = XDPFILT_FLAG_SRC;
	for (uint32_t done = 0; done < n;) {
		uint32_t cnt = MIN(FILL_CHUNK, n - done);
		LIBBPF_OPTS(bpf_map_batch_opts, bo);

		for (uint32_t j = 0; j < cnt; j++)
			gen(done + j, keys + (size_t)j * key_size);
		if (bpf_map_update_batch(fd, keys, vals, &cnt, &bo) < 0) {
			int r = -errno;

			snprintf(err, errlen, "xdp-filter map fill at %u: %s", done, strerror(-r));
			return r;
		}
		done += cnt;
	}
	return 0;
}

static void gen_v4_exact(uint32_t i, uint8_t *out)
{
	v4_exact_addr(i, out);
}

static void gen_v6_exact(uint32_t i, uint8_t *out)
{
	v6_addr(i, 1, false, out);
}

/* Fill moat through the library's bulk path (batch map operations). */
static int moat_fill(struct moat_dp *dp, const struct config *c, char *err, size_t errlen)
{
	_cleanup_free_ struct moat_dp_entry *chunk = calloc(FILL_CHUNK, sizeof(*chunk));
	const struct {
		uint32_t n;
		int family;
		bool prefix;
	} sets[] = {
		{ c->v4_exact, AF_INET, false },
		{ c->v4_prefix, AF_INET, true },
		{ c->v6_exact, AF_INET6, false },
		{ c->v6_prefix, AF_INET6, true },
	};

	if (!chunk)
		return -ENOMEM;
	for (size_t s = 0; s < ARRAY_SIZE(sets); s++) {
		for (uint32_t done = 0; done < sets[s].n;) {
			uint32_t cnt = MIN(FILL_CHUNK, sets[s].n - done);
			size_t added = 0;
			int r;

			for (uint32_t j = 0; j < cnt; j++) {
				struct moat_dp_entry *e = &chunk[j];

				memset(e, 0, sizeof(*e));
				e->kind = MOAT_KIND_BLOCK;
				e->dir = MOAT_DIR_SRC;
				e->reason = MOAT_REASON_MANUAL;
				e->cidr.family = (uint8_t)sets[s].family;
				if (sets[s].family == AF_INET) {
					if (sets[s].prefix)
						v4_prefix_addr(done + j, e->cidr.addr);
					else
						v4_exact_addr(done + j, e->cidr.addr);
					e->cidr.prefix = sets[s].prefix ? 24 : 32;
				} else {
					v6_addr(done + j, sets[s].prefix ? 2 : 1, sets[s].prefix,
						e->cidr.addr);
					e->cidr.prefix = sets[s].prefix ? 64 : 128;
				}
			}
			r = moat_dp_add_bulk(dp, chunk, cnt, &added);
			if (r < 0 || added != cnt) {
				snprintf(err, errlen, "moat bulk add: %s (%zu of %u)",
					 r < 0 ? moat_dp_errmsg(dp) : "short", added, cnt);
				return r < 0 ? r : -EIO;
			}
			done += cnt;
		}
	}
	return 0;
}

/* ---- one configuration ---- */

struct frames {
	struct frame pass4, pass6, drop4_exact, drop4_prefix, drop6_exact, drop6_prefix;
};

static void frames_init(struct frames *fr)
{
	uint8_t a4[4], a6[16];

	frame_tcp4(&fr->pass4, (const uint8_t[]){ 198, 18, 0, 1 });
	inet_pton(AF_INET6, "fd00:6d6f:6174::1", a6);
	frame_tcp6(&fr->pass6, a6);
	v4_exact_addr(0, a4);
	frame_tcp4(&fr->drop4_exact, a4);
	v4_prefix_addr(0, a4);
	a4[3] = 77; /* a host inside the first /24 */
	frame_tcp4(&fr->drop4_prefix, a4);
	v6_addr(0, 1, false, a6);
	frame_tcp6(&fr->drop6_exact, a6);
	v6_addr(0, 2, true, a6);
	a6[15] = 0x42; /* a host inside the first /64 */
	frame_tcp6(&fr->drop6_prefix, a6);
}

/* Adds {name: ns} to obj, or records an error and returns it. */
static int put(json_t *obj, const char *name, const struct args *a, int fd, const struct frame *f,
	       uint32_t expect, const char *who)
{
	int err = 0;
	double ns = measure(a, fd, f, expect, &err);

	if (err) {
		fprintf(stderr, "xdp_cost: %s %s: %s\n", who, name,
			err == -EBADMSG ? "wrong verdict" : strerror(-err));
		return err;
	}
	json_object_set_new(obj, name, json_real(ns));
	return 0;
}

static double get(json_t *obj, const char *name)
{
	return json_real_value(json_object_get(obj, name));
}

static int run_config(const struct args *a, const struct config *c, const struct frames *fr,
		      int empty_fd, json_t **ret)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	struct moat_dp_opts opts = {
		.no_pin = true,
		.block_entries =
			MAX(MAX(c->v4_exact, c->v4_prefix), MAX(c->v6_exact, c->v6_prefix)),
	};
	struct xdpfilt xf = { .prog_fd = -1 };
	json_t *o = json_object(), *m = json_object(), *x = json_object(), *e = json_object(),
	       *r = json_object(), *ent = json_object();
	char err[512] = "";
	int rc, mfd;

	if (!o || !m || !x || !e || !r || !ent) {
		rc = -ENOMEM;
		goto fail;
	}
	if (opts.block_entries < 1024)
		opts.block_entries = 1024;
	rc = moat_dp_open(&opts, &dp, err, sizeof(err));
	if (rc < 0)
		goto fail;
	rc = moat_fill(dp, c, err, sizeof(err));
	if (rc < 0)
		goto fail;
	if (a->xdp_filter) {
		rc = xdpfilt_open(a->xdp_filter, c->v4_exact, c->v6_exact, &xf, err, sizeof(err));
		if (rc < 0)
			goto fail;
		rc = xdpfilt_fill(xf.v4_fd, c->v4_exact, 4, gen_v4_exact, err, sizeof(err));
		if (rc >= 0)
			rc = xdpfilt_fill(xf.v6_fd, c->v6_exact, 16, gen_v6_exact, err,
					  sizeof(err));
		if (rc < 0)
			goto fail;
	}

	mfd = moat_dp_xdp_fd(dp);
	for (int fam = 0; fam < 2 && !rc; fam++) {
		const int fds[3] = { empty_fd, mfd, xf.prog_fd };
		const char *name = fam ? "pass_v6" : "pass_v4";
		double ns[3] = { 0 }, rat[2] = { 0 };
		char rname[64];

		rc = measure_pass(a, fds, fam ? &fr->pass6 : &fr->pass4, ns, rat);
		if (rc) {
			fprintf(stderr, "xdp_cost: %s: %s\n", name,
				rc == -EBADMSG ? "wrong verdict" : strerror(-rc));
			break;
		}
		json_object_set_new(e, name, json_real(ns[0]));
		json_object_set_new(m, name, json_real(ns[1]));
		snprintf(rname, sizeof(rname), "moat_over_empty_%s", name);
		json_object_set_new(r, rname, json_real(rat[0]));
		snprintf(rname, sizeof(rname), "moat_over_xdp_filter_%s", name);
		if (xf.prog_fd >= 0) {
			json_object_set_new(x, name, json_real(ns[2]));
			json_object_set_new(r, rname, json_real(rat[1]));
		} else {
			json_object_set_new(r, rname, json_null());
		}
	}
	if (!rc && c->v4_exact) {
		rc = put(m, "drop_v4_exact", a, mfd, &fr->drop4_exact, XDP_DROP, "moat");
		if (!rc && xf.prog_fd >= 0)
			rc = put(x, "drop_v4_exact", a, xf.prog_fd, &fr->drop4_exact, XDP_DROP,
				 "xdp-filter");
	}
	if (!rc && c->v4_prefix)
		rc = put(m, "drop_v4_prefix", a, mfd, &fr->drop4_prefix, XDP_DROP, "moat");
	if (!rc && c->v6_exact) {
		rc = put(m, "drop_v6_exact", a, mfd, &fr->drop6_exact, XDP_DROP, "moat");
		if (!rc && xf.prog_fd >= 0)
			rc = put(x, "drop_v6_exact", a, xf.prog_fd, &fr->drop6_exact, XDP_DROP,
				 "xdp-filter");
	}
	if (!rc && c->v6_prefix)
		rc = put(m, "drop_v6_prefix", a, mfd, &fr->drop6_prefix, XDP_DROP, "moat");
	if (rc)
		goto fail;

	json_object_set_new(ent, "v4_exact", json_integer(c->v4_exact));
	json_object_set_new(ent, "v4_prefix_24", json_integer(c->v4_prefix));
	json_object_set_new(ent, "v6_exact", json_integer(c->v6_exact));
	json_object_set_new(ent, "v6_prefix_64", json_integer(c->v6_prefix));
	if (xf.prog_fd >= 0)
		json_object_set_new(x, "entries_loaded", json_integer(c->v4_exact + c->v6_exact));
	json_object_set_new(o, "name", json_string(c->name));
	json_object_set_new(o, "entries", ent);
	json_object_set_new(o, "empty", e);
	json_object_set_new(o, "moat", m);
	json_object_set_new(o, "xdp_filter", xf.prog_fd >= 0 ? x : json_null());
	if (xf.prog_fd < 0)
		json_decref(x);
	json_object_set_new(o, "ratios", r);
	xdpfilt_close(&xf);
	*ret = o;
	return 0;
fail:
	fprintf(stderr, "xdp_cost: %s: %s\n", c->name, *err ? err : strerror(-rc));
	xdpfilt_close(&xf);
	json_decref(o);
	json_decref(m);
	json_decref(x);
	json_decref(e);
	json_decref(r);
	json_decref(ent);
	return rc;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const struct option opts[] = {
		{ "repeat", required_argument, NULL, 'r' },
		{ "runs", required_argument, NULL, 'n' },
		{ "quick", no_argument, NULL, 'q' },
		{ "xdp-filter", required_argument, NULL, 'x' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	uint64_t v;
	int c;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			if (parse_u64(optarg, 1, 100000000, &v) < 0) {
				fprintf(stderr, "xdp_cost: invalid --repeat '%s'\n", optarg);
				return -EINVAL;
			}
			a->repeat = (uint32_t)v;
			break;
		case 'n':
			if (parse_u64(optarg, 1, 63, &v) < 0) {
				fprintf(stderr, "xdp_cost: invalid --runs '%s' (1..63)\n", optarg);
				return -EINVAL;
			}
			a->runs = (uint32_t)v;
			break;
		case 'q':
			a->quick = true;
			break;
		case 'x':
			a->xdp_filter = strcmp(optarg, "none") ? optarg : NULL;
			break;
		case 'h':
			printf("usage: xdp_cost [--repeat N] [--runs N] [--quick] [--xdp-filter "
			       "PATH|none]\n");
			exit(0);
		default:
			return -EINVAL;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args a = { .repeat = 1000000, .runs = 7, .xdp_filter = DEFAULT_XDP_FILTER };
	const struct config *list = configs;
	size_t nlist = ARRAY_SIZE(configs);
	json_t *out, *arr, *target = NULL;
	struct frames fr;
	struct utsname un;
	int empty_fd, rc = 0;
	char *s;

	if (parse_args(argc, argv, &a) < 0)
		return 2;
	if (a.quick) {
		list = quick_configs;
		nlist = ARRAY_SIZE(quick_configs);
		a.repeat = MIN(a.repeat, 200000u);
	}
	libbpf_set_print(NULL);
	empty_fd = empty_prog_load();
	if (empty_fd < 0) {
		fprintf(stderr, "xdp_cost: cannot load a BPF program (%s); needs root\n",
			strerror(errno));
		return errno == EPERM ? 77 : 1;
	}
	frames_init(&fr);
	out = json_object();
	arr = json_array();
	if (!out || !arr)
		return 1;
	uname(&un);
	json_object_set_new(out, "bench", json_string("xdp_cost"));
	json_object_set_new(out, "unit", json_string("ns/packet"));
	json_object_set_new(out, "method",
			    json_string("BPF_PROG_TEST_RUN, median of runs of the kernel's mean "
					"over repeat iterations"));
	json_object_set_new(out, "repeat", json_integer(a.repeat));
	json_object_set_new(out, "runs", json_integer(a.runs));
	json_object_set_new(out, "kernel", json_string(un.release));
	json_object_set_new(out, "cpus", json_integer(libbpf_num_possible_cpus()));
	json_object_set_new(out, "xdp_filter_object",
			    a.xdp_filter ? json_string(a.xdp_filter) : json_null());
	if (!a.xdp_filter)
		json_object_set_new(out, "xdp_filter_note",
				    json_string("not measured (--xdp-filter none)"));
	json_object_set_new(out, "configs", arr);
	for (size_t i = 0; i < nlist; i++) {
		json_t *c = NULL;

		fprintf(stderr, "xdp_cost: %s ...\n", list[i].name);
		rc = run_config(&a, &list[i], &fr, empty_fd, &c);
		if (rc < 0)
			break;
		json_array_append_new(arr, c);
		if (is_target_config(list[i].name)) {
			json_t *r = json_object_get(c, "ratios"), *t = json_object();

			if (!t || (!target && !(target = json_array())))
				return 1;
			json_object_set_new(t, "config", json_string(list[i].name));
			json_object_set_new(
				t, "pass_cheaper_than_xdp_filter",
				!a.xdp_filter ?
					json_null() :
					json_boolean(get(r, "moat_over_xdp_filter_pass_v4") < 1 &&
						     get(r, "moat_over_xdp_filter_pass_v6") < 1));
			json_object_set_new(t, "pass_within_3x_empty",
					    json_boolean(get(r, "moat_over_empty_pass_v4") <= 3 &&
							 get(r, "moat_over_empty_pass_v6") <= 3));
			json_array_append_new(target, t);
		}
	}
	if (target)
		json_object_set_new(out, "target", target);
	json_object_set_new(out, "complete", json_boolean(rc == 0));
	s = json_dumps(out, JSON_INDENT(1) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
	json_decref(out);
	close(empty_fd);
	if (!s)
		return 1;
	puts(s);
	free(s);
	return rc < 0 ? 1 : 0;
}
