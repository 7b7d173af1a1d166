// SPDX-License-Identifier: GPL-2.0-only
/* bpf suite: crafted frames through moat's XDP and TC programs (bpf_prog_test_run_opts). */

/*
 * Every case builds frames byte by byte, runs them through the loaded programs and checks the
 * verdict, the (hook, verdict, reason) counter that moved, and the entries' hit counters.
 * Exits 77 without root or bpf(). Output: one "ok"/"FAIL" line per check group, then a total.
 */

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_ether.h>
#include <linux/pkt_cls.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/if_link.h>

#include "datapath/datapath.h"
#include "datapath/dp_internal.h"
#include "lib/lib.h"
#include "check.h"
#include "frames.h"

/* ---- running frames ---- */

enum { XDP, TCI, TCE };

struct ctx {
	struct moat_dp *dp;
	int fd[3];
	bool xdp_short_ok; /* XDP test runs accept frames shorter than Ethernet */
};

/* Run len bytes of f through hook; returns MOAT_V_PASS / MOAT_V_DROP or -errno. */
static int run(struct ctx *c, int hook, const struct frame *f, size_t len)
{
	uint8_t out[600];
	LIBBPF_OPTS(bpf_test_run_opts, o, .data_in = f->b, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int r = bpf_prog_test_run_opts(c->fd[hook], &o);

	if (r < 0)
		return -errno;
	if (hook == XDP)
		return o.retval == XDP_DROP ? MOAT_V_DROP :
		       o.retval == XDP_PASS ? MOAT_V_PASS :
					      -EPROTO;
	return o.retval == TC_ACT_SHOT		   ? MOAT_V_DROP :
	       o.retval == (uint32_t)TC_ACT_UNSPEC ? MOAT_V_PASS :
						     -EPROTO;
}

static uint64_t counter(struct ctx *c, int hook, int verdict, int reason)
{
	struct moat_dp_stats s;

	if (moat_dp_stats(c->dp, &s) < 0)
		return UINT64_MAX;
	return s.c[MOAT_STATS_IDX(hook, verdict, reason)].packets;
}

/* Run on hook, check verdict and that exactly the (verdict, reason) counter moved by one. */
static void expect(struct ctx *c, int hook, const struct frame *f, size_t len, int verdict,
		   int reason, const char *what)
{
	uint64_t before = counter(c, hook, verdict, reason);
	struct moat_dp_stats s0, s1;
	uint64_t moved = 0;
	int v;

	moat_dp_stats(c->dp, &s0);
	v = run(c, hook, f, len);
	moat_dp_stats(c->dp, &s1);
	for (int i = 0; i < MOAT_STATS_N; i++)
		moved += s1.c[i].packets - s0.c[i].packets;
	CHECK(v == verdict, "%s [%s, len %zu]: verdict %d, want %s", what, moat_dp_hook_name(hook),
	      len, v, moat_dp_verdict_name(verdict));
	CHECK(counter(c, hook, verdict, reason) == before + 1 && moved == 1,
	      "%s [%s, len %zu]: counter %s/%s did not move by one (moved total %llu)", what,
	      moat_dp_hook_name(hook), len, moat_dp_verdict_name(verdict),
	      moat_dp_reason_name(reason), (unsigned long long)moved);
}

static void expect_all(struct ctx *c, const struct frame *f, int verdict, int reason,
		       const char *what)
{
	for (int h = XDP; h <= TCI; h++)
		expect(c, h, f, f->len, verdict, reason, what);
}

static struct moat_dp_entry entry(int kind, int dir, const char *cidr)
{
	struct moat_dp_entry e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.dir = dir;
	if (cidr && cidr_parse_loose(cidr, &e.cidr) < 0)
		abort();
	return e;
}

static struct moat_dp_entry port_entry(int kind, int proto, int port, const char *scope)
{
	struct moat_dp_entry e = entry(kind, MOAT_DIR_SRC, scope);

	e.proto = proto;
	e.port = port;
	return e;
}

static void add(struct ctx *c, struct moat_dp_entry e)
{
	int r = moat_dp_add(c->dp, &e);

	CHECK(r == 0, "add %s: %s", moat_dp_kind_name(e.kind), moat_dp_errmsg(c->dp));
}

static void del(struct ctx *c, struct moat_dp_entry e)
{
	int r = moat_dp_delete(c->dp, &e);

	CHECK(r == 0, "delete %s: %s", moat_dp_kind_name(e.kind), moat_dp_errmsg(c->dp));
}

/* ---- cases ---- */

#define SRC4 "198.18.0.1"
#define DST4 "198.19.0.1"
#define SRC6 "fd00:6d6f:6174::1"
#define DST6 "fd00:6d6f:6174:1::1"

/* The frame shapes the parser knows, all from SRC to DST, TCP port 22 where there is L4. */
static int shapes(struct frame *fs, const char **names)
{
	int n = 0;

	names[n] = "eth/ipv4/tcp";
	eth(&fs[n], ETH_P_IP, 0), ipv4(&fs[n], SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&fs[n], 22);
	n++;
	names[n] = "802.1Q/ipv4/udp";
	eth(&fs[n], ETH_P_IP, 1), ipv4(&fs[n], SRC4, DST4, IPPROTO_UDP, 0, 0), udp(&fs[n], 22);
	n++;
	names[n] = "QinQ/ipv4+options/tcp";
	eth(&fs[n], ETH_P_IP, 2), ipv4(&fs[n], SRC4, DST4, IPPROTO_TCP, 12, 0), tcp(&fs[n], 22);
	n++;
	names[n] = "ipv4 first fragment/tcp";
	eth(&fs[n], ETH_P_IP, 0), ipv4(&fs[n], SRC4, DST4, IPPROTO_TCP, 0, 0x2000), tcp(&fs[n], 22);
	n++;
	names[n] = "eth/ipv4/icmp";
	eth(&fs[n], ETH_P_IP, 0), ipv4(&fs[n], SRC4, DST4, IPPROTO_ICMP, 0, 0), icmp(&fs[n], 8);
	n++;
	names[n] = "eth/ipv6/tcp";
	eth(&fs[n], ETH_P_IPV6, 0), ipv6(&fs[n], SRC6, DST6, IPPROTO_TCP), tcp(&fs[n], 22);
	n++;
	names[n] = "QinQ/ipv6/hbh/routing/frag(first)/dstopts/ah/tcp";
	eth(&fs[n], ETH_P_IPV6, 2), ipv6(&fs[n], SRC6, DST6, 0), ext6(&fs[n], 0, 43, 0),
		ext6(&fs[n], 43, 44, 1), ext6(&fs[n], 44, 60, 0x0001), ext6(&fs[n], 60, 51, 2),
		ext6(&fs[n], 51, IPPROTO_TCP, 1), tcp(&fs[n], 22);
	n++;
	names[n] = "802.1Q/ipv6/udp";
	eth(&fs[n], ETH_P_IPV6, 1), ipv6(&fs[n], SRC6, DST6, IPPROTO_UDP), udp(&fs[n], 22);
	n++;
	names[n] = "eth/ipv6/dstopts/icmpv6";
	eth(&fs[n], ETH_P_IPV6, 0), ipv6(&fs[n], SRC6, DST6, 60),
		ext6(&fs[n], 60, IPPROTO_ICMPV6, 0), icmp(&fs[n], 128);
	n++;
	for (int i = 0; i < n; i++)
		finish(&fs[i]);
	return n;
}

static void test_parse_paths_pass_and_block(struct ctx *c)
{
	int f0 = failures;
	struct frame fs[16];
	const char *names[16];
	int n = shapes(fs, names);

	for (int i = 0; i < n; i++)
		expect_all(c, &fs[i], MOAT_V_PASS, MOAT_R_NONE, names[i]);

	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC6));
	for (int i = 0; i < n; i++)
		expect_all(c, &fs[i], MOAT_V_DROP, MOAT_R_BLOCK_SRC, names[i]);
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4));
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC6));

	/* Destination entries, also on egress. */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, DST4));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, DST6));
	for (int i = 0; i < n; i++) {
		expect_all(c, &fs[i], MOAT_V_DROP, MOAT_R_BLOCK_DST, names[i]);
		expect(c, TCE, &fs[i], fs[i].len, MOAT_V_DROP, MOAT_R_BLOCK_DST, names[i]);
	}
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, DST4));
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, DST6));

	/* L4: tcp/22 and udp/22 from anywhere; icmp echo; icmpv6 echo. */
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_UDP, 22, NULL));
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_ICMP, 8, NULL));
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_ICMPV6, 128, NULL));
	for (int i = 0; i < n; i++)
		expect_all(c, &fs[i], MOAT_V_DROP, MOAT_R_PORT_BLOCK, names[i]);
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_UDP, 22, NULL));
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_ICMP, 8, NULL));
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_ICMPV6, 128, NULL));
	for (int i = 0; i < n; i++)
		expect(c, XDP, &fs[i], fs[i].len, MOAT_V_PASS, MOAT_R_NONE, names[i]);
	CHECK(__atomic_load_n(&c->dp->cfg->nonempty, __ATOMIC_SEQ_CST) == 0,
	      "deleting the last entries clears the non-empty bits (0x%x)", c->dp->cfg->nonempty);
	section("every parse path: pass, block src, block dst (ingress and egress), port block",
		f0);
}

static void test_truncated_every_offset(struct ctx *c)
{
	int f0 = failures;
	struct frame fs[16];
	const char *names[16];
	int n = shapes(fs, names);

	for (int policy = MOAT_MALFORMED_PASS; policy <= MOAT_MALFORMED_DROP; policy++) {
		int want = policy == MOAT_MALFORMED_PASS ? MOAT_V_PASS : MOAT_V_DROP;

		CHECK(moat_dp_set_malformed(c->dp, policy) == 0, "set malformed");
		for (int i = 0; i < n; i++) {
			for (size_t len = 0; len < fs[i].need; len++) {
				char what[128];

				snprintf(what, sizeof(what), "%s truncated", names[i]);
				if (len >= ETH_HLEN || c->xdp_short_ok)
					expect(c, XDP, &fs[i], len, want, MOAT_R_MALFORMED, what);
				/*
				 * The kernel's skb test run refuses IP frames shorter than the
				 * IP header (-EINVAL) before our program runs; XDP covers those.
				 */
				if (len >= fs[i].l3 + (fs[i].b[fs[i].l3] >> 4 == 6 ? 40 : 20))
					expect(c, TCI, &fs[i], len, want, MOAT_R_MALFORMED, what);
			}
			/* Exactly the headers: judged normally. */
			expect(c, XDP, &fs[i], fs[i].need, MOAT_V_PASS, MOAT_R_NONE, names[i]);
		}
	}
	CHECK(moat_dp_set_malformed(c->dp, MOAT_MALFORMED_PASS) == 0, "set malformed");

	/* Inconsistent headers, not just short ones. */
	{
		struct frame f;

		eth(&f, ETH_P_IP, 0), ipv4(&f, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&f, 80);
		finish(&f);
		f.b[f.l3] = 0x44; /* IHL 4 */
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "ipv4 ihl 4");
		f.b[f.l3] = 0x55; /* version 5 */
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "ipv4 version 5");
		f.b[f.l3] = 0x45;
		f.b[f.l3 + 2] = 0, f.b[f.l3 + 3] = 10; /* total length < header */
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "ipv4 total length 10");
		eth(&f, ETH_P_IP, 0), ipv4(&f, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&f, 80);
		finish(&f);
		f.b[f.l4 + 12] = 4 << 4; /* data offset 4 */
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "tcp doff 4");
		/* A third VLAN tag. */
		eth(&f, ETH_P_8021Q, 2);
		put16(&f, 300);
		put16(&f, ETH_P_IP);
		ipv4(&f, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&f, 80);
		finish(&f);
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "three VLAN tags");
		/* Nine extension headers: past the bound. */
		eth(&f, ETH_P_IPV6, 0), ipv6(&f, SRC6, DST6, 60);
		for (int i = 0; i < 9; i++)
			ext6(&f, 60, i == 8 ? IPPROTO_TCP : 60, 0);
		tcp(&f, 80);
		finish(&f);
		expect_all(c, &f, MOAT_V_PASS, MOAT_R_MALFORMED, "nine ipv6 extension headers");
		/* ... but its source is still judged: a blocked source cannot hide behind it. */
		add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC6));
		expect_all(c, &f, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "nine ext headers, blocked src");
		del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC6));
		CHECK(moat_dp_set_malformed(c->dp, MOAT_MALFORMED_DROP) == 0, "set malformed");
		expect_all(c, &f, MOAT_V_DROP, MOAT_R_MALFORMED, "nine ext headers, policy drop");
		CHECK(moat_dp_set_malformed(c->dp, MOAT_MALFORMED_PASS) == 0, "set malformed");
	}
	section("truncated at every offset and inconsistent headers: malformed policy pass/drop",
		f0);
}

static void test_fragments(struct ctx *c)
{
	int f0 = failures;
	struct frame v4first, v4later, v6later;

	eth(&v4first, ETH_P_IP, 0), ipv4(&v4first, SRC4, DST4, IPPROTO_TCP, 0, 0x2000),
		tcp(&v4first, 22);
	finish(&v4first);
	eth(&v4later, ETH_P_IP, 0), ipv4(&v4later, SRC4, DST4, IPPROTO_TCP, 0, 0x0010);
	put32(&v4later, 0x00160016); /* bytes that would look like ports 22 */
	finish(&v4later);
	eth(&v6later, ETH_P_IPV6, 0), ipv6(&v6later, SRC6, DST6, 44),
		ext6(&v6later, 44, IPPROTO_TCP, 0x0100);
	put32(&v6later, 0x00160016);
	finish(&v6later);

	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	expect_all(c, &v4first, MOAT_V_DROP, MOAT_R_PORT_BLOCK, "ipv4 first fragment, tcp/22");
	expect_all(c, &v4later, MOAT_V_PASS, MOAT_R_NONE, "ipv4 later fragment: no L4");
	expect_all(c, &v6later, MOAT_V_PASS, MOAT_R_NONE, "ipv6 later fragment: no L4");
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/24"));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174::/64"));
	expect_all(c, &v4later, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "ipv4 later fragment, L3 entry");
	expect_all(c, &v6later, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "ipv6 later fragment, L3 entry");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/24"));
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174::/64"));
	section("fragments: first carries L4, later ones get L3 entries only", f0);
}

static void test_lpm_and_scoped_ports(struct ctx *c)
{
	int f0 = failures;
	struct frame in4, out4, in6, out6;
	struct moat_dp_entry got;

	eth(&in4, ETH_P_IP, 0), ipv4(&in4, "198.18.7.9", DST4, IPPROTO_TCP, 0, 0), tcp(&in4, 22);
	finish(&in4);
	eth(&out4, ETH_P_IP, 0), ipv4(&out4, "198.18.8.9", DST4, IPPROTO_TCP, 0, 0), tcp(&out4, 22);
	finish(&out4);
	eth(&in6, ETH_P_IPV6, 0), ipv6(&in6, "fd00:6d6f:6174:7::9", DST6, IPPROTO_TCP),
		tcp(&in6, 22);
	finish(&in6);
	eth(&out6, ETH_P_IPV6, 0), ipv6(&out6, "fd00:6d6f:6174:8::9", DST6, IPPROTO_TCP),
		tcp(&out6, 22);
	finish(&out6);

	/* Host bits are normalised away: 198.18.7.1/24 is stored as 198.18.7.0/24. */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.7.1/24"));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174:7::/64"));
	expect_all(c, &in4, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v4 inside /24");
	expect_all(c, &out4, MOAT_V_PASS, MOAT_R_NONE, "v4 outside /24");
	expect_all(c, &in6, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 inside /64");
	expect_all(c, &out6, MOAT_V_PASS, MOAT_R_NONE, "v6 outside /64");
	CHECK(moat_dp_get(c->dp,
			  &(struct moat_dp_entry){ .kind = MOAT_KIND_BLOCK,
						   .cidr = { AF_INET, 24, { 198, 18, 7, 0 } } },
			  &got) == 0 &&
		      got.hits == 2,
	      "normalised /24 entry found with 2 hits (%llu)", (unsigned long long)got.hits);
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.7.0/24"));
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174:7::/64"));

	/* "block tcp/22 from 198.18.7.0/24", v4 and v6 scopes. */
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, "198.18.7.0/24"));
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, "fd00:6d6f:6174:7::/64"));
	expect_all(c, &in4, MOAT_V_DROP, MOAT_R_PORT_BLOCK, "tcp/22 from scope");
	expect_all(c, &out4, MOAT_V_PASS, MOAT_R_NONE, "tcp/22 outside scope");
	expect_all(c, &in6, MOAT_V_DROP, MOAT_R_PORT_BLOCK, "v6 tcp/22 from scope");
	expect_all(c, &out6, MOAT_V_PASS, MOAT_R_NONE, "v6 tcp/22 outside scope");
	/* The most specific scope wins: allow tcp/22 from one host inside the blocked scope. */
	add(c, port_entry(MOAT_KIND_PORT_ALLOW, IPPROTO_TCP, 22, "198.18.7.9"));
	expect_all(c, &in4, MOAT_V_PASS, MOAT_R_PORT_ALLOW, "more specific port-allow");
	del(c, port_entry(MOAT_KIND_PORT_ALLOW, IPPROTO_TCP, 22, "198.18.7.9"));
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, "198.18.7.0/24"));
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, "fd00:6d6f:6174:7::/64"));
	/* Other ports and protocols are untouched by a tcp/22 entry. */
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	eth(&in4, ETH_P_IP, 0), ipv4(&in4, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&in4, 80);
	finish(&in4);
	expect_all(c, &in4, MOAT_V_PASS, MOAT_R_NONE, "tcp/80 with a tcp/22 entry");
	eth(&in4, ETH_P_IP, 0), ipv4(&in4, SRC4, DST4, IPPROTO_UDP, 0, 0), udp(&in4, 22);
	finish(&in4);
	expect_all(c, &in4, MOAT_V_PASS, MOAT_R_NONE, "udp/22 with a tcp/22 entry");
	del(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	section("LPM prefixes v4/v6, normalisation, scoped port entries, most specific wins", f0);
}

static struct frame from(const char *src)
{
	struct frame f;

	eth(&f, strchr(src, ':') ? ETH_P_IPV6 : ETH_P_IP, 0);
	if (strchr(src, ':'))
		ipv6(&f, src, DST6, IPPROTO_UDP);
	else
		ipv4(&f, src, DST4, IPPROTO_UDP, 0, 0);
	udp(&f, 53);
	finish(&f);
	return f;
}

/* The prefilters must never hide an entry: short prefixes, overlaps, deletes, many hosts. */
static void test_prefilter(struct ctx *c)
{
	int f0 = failures;
	struct frame a = from("198.19.200.1"), b = from("198.18.0.9"), out = from("198.20.0.1");
	struct frame a6 = from("fd00:6d6f:6174:7::1"), out6 = from("fd00:6d6f:6175::1");

	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/15")); /* two /16 slots */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.19.200.0/24"));
	expect_all(c, &a, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "inside /24 and /15");
	expect_all(c, &b, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "inside /15, other /16");
	expect_all(c, &out, MOAT_V_PASS, MOAT_R_NONE, "outside");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.19.200.0/24"));
	expect_all(c, &a, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "/15 still covers after /24 delete");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/15"));
	expect_all(c, &a, MOAT_V_PASS, MOAT_R_NONE, "all prefixes gone");

	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00::/8")); /* shorter than /32: all slots */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174::/48"));
	expect_all(c, &a6, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 /48 and /8");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174::/48"));
	expect_all(c, &a6, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 /8 after /48 delete");
	expect_all(c, &out6, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 /8 elsewhere");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00::/8"));
	/* 16..31 bits: counted in the slot of each /32 it covers (fd00:6d68 .. fd00:6d6f). */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d68::/29"));
	expect_all(c, &a6, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 /29 covering the source's /32");
	{
		/* Crafted frame only (bpf_prog_test_run): no traffic leaves the test. */
		struct frame other32 = from("fd00:6d69::1"), outside = from("fd00:6d70::1");

		expect_all(c, &other32, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "v6 /29, another /32");
		expect_all(c, &outside, MOAT_V_PASS, MOAT_R_NONE, "v6 /29, outside");
	}
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d68::/29"));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, "fd00:6d6f:6174:1::/64"));
	expect_all(c, &out6, MOAT_V_DROP, MOAT_R_BLOCK_DST, "v6 dst /64");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, "fd00:6d6f:6174:1::/64"));
	expect_all(c, &out6, MOAT_V_PASS, MOAT_R_NONE, "v6 prefixes gone");

	/* Many hosts, then delete all but one: the survivor still drops; re-add keeps it. */
	for (int i = 0; i < 200; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "198.18.%d.%d", i / 100, i % 100 + 1);
		add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, ip));
		add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, ip)); /* re-add: no double count */
	}
	for (int i = 1; i < 200; i++) {
		char ip[32];

		snprintf(ip, sizeof(ip), "198.18.%d.%d", i / 100, i % 100 + 1);
		del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, ip));
	}
	b = from("198.18.0.1");
	expect_all(c, &b, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "last host of 200");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.1"));
	{
		uint64_t sum = 0;

		for (int p = 0; p < DP_PF_NUM; p++)
			for (size_t i = 0; i < c->dp->pf_len[p] / sizeof(uint64_t); i++)
				sum += c->dp->pf[p][i];
		CHECK(sum == 0, "prefilter counts back to zero after deleting everything (%llu)",
		      (unsigned long long)sum);
	}
	section("prefilters: short prefixes, overlaps, deletes, re-adds never hide an entry", f0);
}

static void test_allow_beats_block(struct ctx *c)
{
	int f0 = failures;
	struct frame f4, f6, r4;

	eth(&f4, ETH_P_IP, 0), ipv4(&f4, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&f4, 22);
	finish(&f4);
	eth(&f6, ETH_P_IPV6, 0), ipv6(&f6, SRC6, DST6, IPPROTO_TCP), tcp(&f6, 22);
	finish(&f6);
	/* A reply from us (DST4) to the allowlisted peer (SRC4), seen at egress. */
	eth(&r4, ETH_P_IP, 0), ipv4(&r4, DST4, SRC4, IPPROTO_TCP, 0, 0), tcp(&r4, 40000);
	finish(&r4);

	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/16"));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_DST, SRC4));
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00::/8"));
	add(c, port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 22, NULL));
	expect_all(c, &f4, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "blocked before allow");
	expect(c, TCE, &r4, r4.len, MOAT_V_DROP, MOAT_R_BLOCK_DST, "egress reply, blocked dst");
	add(c, entry(MOAT_KIND_ALLOW, MOAT_DIR_SRC, "198.18.0.0/30"));
	add(c, entry(MOAT_KIND_ALLOW, MOAT_DIR_SRC, SRC6));
	expect_all(c, &f4, MOAT_V_PASS, MOAT_R_ALLOW, "allow beats block (v4)");
	expect_all(c, &f6, MOAT_V_PASS, MOAT_R_ALLOW, "allow beats block (v6)");
	expect(c, TCE, &r4, r4.len, MOAT_V_PASS, MOAT_R_ALLOW, "egress reply to allowlisted peer");
	CHECK(moat_dp_set_mode(c->dp, MOAT_MODE_DENY) == 0, "deny mode");
	expect_all(c, &f4, MOAT_V_PASS, MOAT_R_ALLOW, "allowlisted in default-deny");
	CHECK(moat_dp_set_mode(c->dp, MOAT_MODE_ALLOW) == 0, "allow mode");
	/* 8: tcp/22 from anywhere is one entry per family. */
	CHECK(moat_dp_flush(c->dp) == 8, "flush removes 8 entries: %s", moat_dp_errmsg(c->dp));
	expect_all(c, &f4, MOAT_V_PASS, MOAT_R_NONE, "flushed");
	section("allow beats block (src, dst, port; egress replies; default-deny)", f0);
}

static void test_expiry_and_hits(struct ctx *c)
{
	int f0 = failures;
	struct frame f;
	struct moat_dp_entry e = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4), got;
	struct moat_dp_entry p = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.0/24");

	eth(&f, ETH_P_IP, 0), ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, 0), udp(&f, 53);
	finish(&f);

	e.expires_ns = 1; /* long past */
	add(c, e);
	p.expires_ns = 1;
	add(c, p);
	expect_all(c, &f, MOAT_V_PASS, MOAT_R_NONE, "expired entries do not drop");
	CHECK(moat_dp_get(c->dp, &e, &got) == 0 && got.hits == 0, "expired entry: no hits (%llu)",
	      (unsigned long long)got.hits);

	/* Re-adding updates the expiry (and keeps the hit count). */
	e.expires_ns = 0;
	e.ttl_sec = 3600;
	e.reason = MOAT_REASON_RULE;
	e.rule_id = 2100498;
	snprintf(e.note, sizeof(e.note), "sid 2100498 scan");
	add(c, e);
	for (int i = 0; i < 3; i++)
		expect(c, XDP, &f, f.len, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "re-added with ttl");
	CHECK(moat_dp_get(c->dp, &e, &got) == 0, "get: %s", moat_dp_errmsg(c->dp));
	CHECK(got.hits == 3, "3 hits, got %llu", (unsigned long long)got.hits);
	CHECK(got.expires_ns > moat_dp_now_ns() + 3500ull * 1000000000ull &&
		      got.expires_ns <= moat_dp_now_ns() + 3600ull * 1000000000ull,
	      "expiry about an hour ahead");
	CHECK(got.reason == MOAT_REASON_RULE && got.rule_id == 2100498, "reason and rule id kept");
	CHECK(strcmp(got.note, "sid 2100498 scan") == 0, "note kept: '%s'", got.note);
	e.ttl_sec = 60;
	e.note[0] = '\0';
	add(c, e);
	CHECK(moat_dp_get(c->dp, &e, &got) == 0 && got.hits == 3 &&
		      got.expires_ns <= moat_dp_now_ns() + 60ull * 1000000000ull,
	      "re-add shortens expiry, keeps hits");
	CHECK(strcmp(got.note, "sid 2100498 scan") == 0, "empty note keeps the old one");

	/* The sweep removes the expired prefix only. */
	CHECK(moat_dp_sweep(c->dp) == 1, "sweep removes one expired entry");
	CHECK(moat_dp_get(c->dp, &p, &got) == -ENOENT, "swept entry gone");
	del(c, e);
	CHECK(moat_dp_get(c->dp, &e, &got) == -ENOENT, "deleted entry gone");
	CHECK(moat_dp_delete(c->dp, &e) == -ENOENT, "double delete is -ENOENT");
	section("expiry checked in the kernel, re-add updates expiry, hit counters, sweep", f0);
}

static void test_default_deny(struct ctx *c)
{
	int f0 = failures;
	struct frame web, ssh, arp, ns, echo6, later, out;

	eth(&web, ETH_P_IP, 0), ipv4(&web, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&web, 80);
	finish(&web);
	eth(&ssh, ETH_P_IP, 0), ipv4(&ssh, SRC4, DST4, IPPROTO_TCP, 0, 0), tcp(&ssh, 22);
	finish(&ssh);
	eth(&arp, ETH_P_ARP, 0);
	finish(&arp);
	eth(&ns, ETH_P_IPV6, 0), ipv6(&ns, SRC6, DST6, IPPROTO_ICMPV6), icmp(&ns, 135);
	finish(&ns);
	eth(&echo6, ETH_P_IPV6, 0), ipv6(&echo6, SRC6, DST6, IPPROTO_ICMPV6), icmp(&echo6, 128);
	finish(&echo6);
	eth(&later, ETH_P_IP, 0), ipv4(&later, SRC4, DST4, IPPROTO_TCP, 0, 0x0020);
	finish(&later);
	eth(&out, ETH_P_IP, 0), ipv4(&out, DST4, SRC4, IPPROTO_TCP, 0, 0), tcp(&out, 40000);
	finish(&out);

	CHECK(moat_dp_set_mode(c->dp, MOAT_MODE_DENY) == 0, "deny mode");
	add(c, port_entry(MOAT_KIND_PORT_ALLOW, IPPROTO_TCP, 80, NULL));
	expect_all(c, &web, MOAT_V_PASS, MOAT_R_PORT_ALLOW, "deny: allowed port");
	expect_all(c, &ssh, MOAT_V_DROP, MOAT_R_DEFAULT_DENY, "deny: other port");
	expect_all(c, &arp, MOAT_V_PASS, MOAT_R_NON_IP, "deny: ARP");
	expect_all(c, &ns, MOAT_V_PASS, MOAT_R_ESSENTIAL, "deny: neighbour solicitation");
	expect_all(c, &echo6, MOAT_V_DROP, MOAT_R_DEFAULT_DENY, "deny: echo request v6");
	expect_all(c, &later, MOAT_V_PASS, MOAT_R_FRAGMENT, "deny: later fragment");
	expect(c, TCE, &out, out.len, MOAT_V_PASS, MOAT_R_NONE, "deny: egress untouched");
	/* Malformed frames cannot slip through default-deny even with policy pass. */
	expect(c, XDP, &ssh, ssh.need - 1, MOAT_V_DROP, MOAT_R_MALFORMED, "deny: truncated");
	/* A blocked source is dropped as such even on an allowed port. */
	add(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4));
	expect_all(c, &web, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "deny: blocked src, allowed port");
	del(c, entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, SRC4));
	CHECK(moat_dp_set_mode(c->dp, MOAT_MODE_ALLOW) == 0, "allow mode");
	expect_all(c, &ssh, MOAT_V_PASS, MOAT_R_NONE, "back to default-allow");
	del(c, port_entry(MOAT_KIND_PORT_ALLOW, IPPROTO_TCP, 80, NULL));
	CHECK(moat_dp_set_mode(c->dp, 7) == -EINVAL, "bad mode rejected");
	section("default-deny: allowed ports, ARP, ND, fragments pass; egress untouched", f0);
}

static void test_counters_bytes(struct ctx *c)
{
	int f0 = failures;
	struct frame f;
	struct moat_dp_stats s0, s1;
	size_t i = MOAT_STATS_IDX(MOAT_HOOK_XDP, MOAT_V_PASS, MOAT_R_NONE);

	eth(&f, ETH_P_IP, 0), ipv4(&f, SRC4, DST4, IPPROTO_UDP, 0, 0), udp(&f, 53);
	finish(&f);
	CHECK(moat_dp_stats(c->dp, &s0) == 0, "stats");
	for (int k = 0; k < 5; k++)
		run(c, XDP, &f, f.len);
	CHECK(moat_dp_stats(c->dp, &s1) == 0, "stats");
	CHECK(s1.c[i].packets - s0.c[i].packets == 5, "5 packets");
	CHECK(s1.c[i].bytes - s0.c[i].bytes == 5 * f.len, "bytes = 5 x %zu", f.len);
	CHECK(moat_dp_stats_reset(c->dp) == 0 && moat_dp_stats(c->dp, &s1) == 0 &&
		      s1.c[i].packets == 0,
	      "reset zeroes");
	section("per-CPU counters: packets and bytes per (hook, verdict, reason)", f0);
}

static int count_cb(const struct moat_dp_entry *e, void *userdata)
{
	int *n = userdata;

	n[0]++;
	if (strcmp(e->note, "bulk note") == 0 && e->cidr.family == AF_INET && e->expires_ns)
		n[1]++;
	return 0;
}

static void test_bulk_and_full(void)
{
	int f0 = failures;
	struct moat_dp_opts o = { .no_pin = true, .block_entries = 64, .l4_entries = 8 };
	struct moat_dp *dp = NULL;
	char err[256];
	struct moat_dp_entry *es = calloc(100, sizeof(*es));
	size_t added = 0;
	int r, listed[2] = { 0, 0 };

	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open: %s", err);
	if (r < 0 || !es) {
		free(es);
		return;
	}
	for (int i = 0; i < 100; i++) {
		es[i] = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, NULL);
		es[i].cidr.family = i % 2 ? AF_INET6 : AF_INET;
		es[i].cidr.prefix = i % 2 ? 128 : 32;
		es[i].cidr.addr[0] = i % 2 ? 0xfd : 198;
		es[i].cidr.addr[1] = 18;
		es[i].cidr.addr[3] = (uint8_t)i;
		es[i].ttl_sec = 600;
		if (i == 4)
			snprintf(es[i].note, sizeof(es[i].note), "bulk note");
	}
	r = moat_dp_add_bulk(dp, es, 100, &added);
	CHECK(r == 0 && added == 100, "bulk 100 into 64+64: r=%d added=%zu %s", r, added,
	      moat_dp_errmsg(dp));
	CHECK(moat_dp_list(dp, count_cb, listed) == 100 && listed[0] == 100, "list 100 (%d)",
	      listed[0]);
	CHECK(listed[1] == 1, "list shows the one note (%d)", listed[1]);
	{
		struct moat_dp_entry got;

		CHECK(moat_dp_get(dp, &es[4], &got) == 0 && strcmp(got.note, "bulk note") == 0 &&
			      got.expires_ns > moat_dp_now_ns(),
		      "bulk entry has note and expiry");
	}
	/* Prefixes go through the tries (no batch ops there): 10 v4 /24 + 10 v6 /64. */
	{
		struct moat_dp_entry px[20];
		struct ctx pc = { .dp = dp };
		struct frame f;

		for (int i = 0; i < 20; i++) {
			char cidr[64];

			if (i % 2)
				snprintf(cidr, sizeof(cidr), "fd00:6d6f:6174:%x::/64", i);
			else
				snprintf(cidr, sizeof(cidr), "198.19.%d.0/24", i);
			px[i] = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, cidr);
		}
		r = moat_dp_add_bulk(dp, px, 20, &added);
		CHECK(r == 0 && added == 20, "bulk prefixes: r=%d added=%zu %s", r, added,
		      moat_dp_errmsg(dp));
		listed[0] = 0;
		CHECK(moat_dp_list(dp, count_cb, listed) == 120, "list 120 (%d)", listed[0]);
		pc.fd[XDP] = moat_dp_xdp_fd(dp);
		f = from("198.19.4.77");
		expect(&pc, XDP, &f, f.len, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "bulk /24");
		f = from("fd00:6d6f:6174:7::5");
		expect(&pc, XDP, &f, f.len, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "bulk /64");
	}
	/* 40 more v4 entries: 14 fit (50 + 14 = 64), then a clear -ENOSPC naming the map. */
	for (int i = 0; i < 40; i++) {
		es[i] = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, NULL);
		es[i].cidr.family = AF_INET;
		es[i].cidr.prefix = 32;
		es[i].cidr.addr[0] = 198;
		es[i].cidr.addr[1] = 19;
		es[i].cidr.addr[3] = (uint8_t)i;
	}
	r = moat_dp_add_bulk(dp, es, 40, &added);
	CHECK(r == -ENOSPC && added == 14, "bulk into full map: r=%d added=%zu", r, added);
	CHECK(strstr(moat_dp_errmsg(dp), "moat_bs4_h") != NULL, "message names the map: %s",
	      moat_dp_errmsg(dp));
	r = moat_dp_add(dp, &es[39]);
	CHECK(r == -ENOSPC && strstr(moat_dp_errmsg(dp), "moat_bs4_h full") == NULL &&
		      strstr(moat_dp_errmsg(dp), "is full (64 entries)") != NULL,
	      "single add into full map: %d %s", r, moat_dp_errmsg(dp));
	/* Updating an existing entry of a full map still works. */
	r = moat_dp_add(dp, &es[0]);
	CHECK(r == 0, "update in full map: %s", moat_dp_errmsg(dp));
	/* LPM trie full. */
	for (int i = 0; i < 9; i++) {
		struct moat_dp_entry p =
			port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 1000 + i, "198.18.0.0/16");

		r = moat_dp_add(dp, &p);
		if (i < 8)
			CHECK(r == 0, "l4 add %d: %s", i, moat_dp_errmsg(dp));
		else
			CHECK(r == -ENOSPC && strstr(moat_dp_errmsg(dp), "moat_l4_4"),
			      "l4 full: %d %s", r, moat_dp_errmsg(dp));
	}
	/* Bad entries are refused with a message. */
	{
		struct moat_dp_entry bad =
			port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_ICMP, 8, "fd00::/8");

		CHECK(moat_dp_add(dp, &bad) == -EINVAL, "icmp with v6 scope refused");
		bad = port_entry(MOAT_KIND_PORT_BLOCK, IPPROTO_TCP, 0, NULL);
		CHECK(moat_dp_add(dp, &bad) == -EINVAL, "port 0 refused");
		bad = entry(MOAT_KIND_ALLOW, MOAT_DIR_DST, SRC4);
		CHECK(moat_dp_add(dp, &bad) == -EINVAL && moat_dp_errmsg(dp)[0],
		      "allow dst refused: %s", moat_dp_errmsg(dp));
		bad = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, NULL);
		CHECK(moat_dp_add(dp, &bad) == -EINVAL, "block without address refused");
	}
	moat_dp_close(dp);
	free(es);
	section("bulk load (batch ops), list, full maps give -ENOSPC naming the map, bad input",
		f0);
}

/* Default sizes hold 1,000,000 IPv4 and 1,000,000 IPv6 entries (bulk loaded), and they drop. */
static void test_capacity(void)
{
	int f0 = failures;
	const size_t n = 1000000;
	struct moat_dp_opts o = { .no_pin = true };
	struct moat_dp *dp = NULL;
	struct moat_dp_entry *es = calloc(2 * n, sizeof(*es));
	struct ctx c = {};
	char err[256];
	size_t added = 0;
	int r;

	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open with default sizes: %s", err);
	if (r < 0 || !es) {
		free(es);
		moat_dp_close(dp);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct moat_dp_entry *e4 = &es[2 * i], *e6 = &es[2 * i + 1];

		e4->kind = e6->kind = MOAT_KIND_BLOCK;
		e4->cidr.family = AF_INET;
		e4->cidr.prefix = 32;
		e4->cidr.addr[0] = 10;
		e4->cidr.addr[1] = (uint8_t)(i >> 16);
		e4->cidr.addr[2] = (uint8_t)(i >> 8);
		e4->cidr.addr[3] = (uint8_t)i;
		e6->cidr.family = AF_INET6;
		e6->cidr.prefix = 128;
		e6->cidr.addr[0] = 0xfd;
		e6->cidr.addr[13] = (uint8_t)(i >> 16);
		e6->cidr.addr[14] = (uint8_t)(i >> 8);
		e6->cidr.addr[15] = (uint8_t)i;
	}
	r = moat_dp_add_bulk(dp, es, 2 * n, &added);
	CHECK(r == 0 && added == 2 * n, "bulk 2,000,000: r=%d added=%zu %s", r, added,
	      moat_dp_errmsg(dp));
	c.dp = dp;
	c.fd[XDP] = moat_dp_xdp_fd(dp);
	for (size_t i = 0; i < n; i += 99991) {
		struct frame f;
		char a[32];

		snprintf(a, sizeof(a), "10.%u.%u.%u", (unsigned)(uint8_t)(i >> 16),
			 (unsigned)(uint8_t)(i >> 8), (unsigned)(uint8_t)i);
		eth(&f, ETH_P_IP, 0), ipv4(&f, a, DST4, IPPROTO_UDP, 0, 0), udp(&f, 53);
		finish(&f);
		expect(&c, XDP, &f, f.len, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "entry of 1,000,000");
	}
	printf("     %zu entries loaded with default sizes\n", added);
	moat_dp_close(dp);
	free(es);
	section("capacity: 1,000,000 IPv4 + 1,000,000 IPv6 entries with default sizes", f0);
}

static void test_pin_adoption(void)
{
	int f0 = failures;
	char root[128], err[256], cmd[700];
	struct moat_dp_opts o = {
		.block_entries = 4096, .allow_entries = 64, .l4_entries = 64, .note_entries = 64
	};
	struct moat_dp *dp = NULL;
	struct moat_dp_entry e = entry(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.9.0/24"), got;
	struct frame f;
	int r;

	snprintf(root, sizeof(root), "/sys/fs/bpf/moat-test-%d", (int)getpid());
	o.pin_root = root;
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open with pin root %s: %s", root, err);
	if (r < 0)
		return;
	snprintf(e.note, sizeof(e.note), "manual: adoption test");
	add(&(struct ctx){ .dp = dp }, e);
	CHECK(moat_dp_set_mode(dp, MOAT_MODE_DENY) == 0, "deny");
	moat_dp_close(dp);
	dp = NULL;

	/* Reopen with different sizes: the pinned maps win. Drop the prefilter pins: they must be
	 * rebuilt from the adopted entries (what an upgrade from a moat without them sees). */
	o.block_entries = 128;
	snprintf(cmd, sizeof(cmd), "rm -f %s/moat_pf4 %s/moat_pf6 %s/moat_pfl4", root, root, root);
	CHECK(system(cmd) == 0, "rm prefilter pins");
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "reopen: %s", err);
	if (r == 0) {
		struct ctx c = { .dp = dp };
		uint32_t mode = 0;

		c.fd[XDP] = moat_dp_xdp_fd(dp);
		CHECK(moat_dp_get(dp, &e, &got) == 0, "entry adopted: %s", moat_dp_errmsg(dp));
		CHECK(strcmp(got.note, "manual: adoption test") == 0, "note adopted");
		CHECK(moat_dp_get_mode(dp, &mode) == 0 && mode == MOAT_MODE_DENY, "mode adopted");
		CHECK(dp->map_max[MOAT_M_BS4_H] == 4096, "pinned size wins (%u)",
		      dp->map_max[MOAT_M_BS4_H]);
		eth(&f, ETH_P_IP, 0), ipv4(&f, "198.18.9.3", DST4, IPPROTO_UDP, 0, 0), udp(&f, 53);
		finish(&f);
		expect(&c, XDP, &f, f.len, MOAT_V_DROP, MOAT_R_BLOCK_SRC, "new program, old maps");
		moat_dp_close(dp);
	}
	/* MOAT_PIN_ROOT is honoured when opts->pin_root is NULL. */
	setenv("MOAT_PIN_ROOT", root, 1);
	o.pin_root = NULL;
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0 && strcmp(moat_dp_pin_root(dp), root) == 0, "MOAT_PIN_ROOT used: %s", err);
	if (r == 0) {
		CHECK(moat_dp_get(dp, &e, &got) == 0, "entry visible via MOAT_PIN_ROOT");
		moat_dp_close(dp);
	}
	unsetenv("MOAT_PIN_ROOT");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	CHECK(system(cmd) == 0, "rm pin root");

	/* Four processes opening one fresh pin root at once: all succeed, one set of maps. */
	{
		pid_t kids[4];
		int ok = 0, gate[2];

		CHECK(pipe(gate) == 0, "pipe");
		for (int i = 0; i < 4; i++) {
			kids[i] = fork();
			if (kids[i] == 0) {
				struct moat_dp *k = NULL;
				char b;

				close(gate[1]);
				/* Start together: the gate opens when the parent closes it. */
				if (read(gate[0], &b, 1) < 0)
					_exit(2);
				o.pin_root = root;
				_exit(moat_dp_open(&o, &k, err, sizeof(err)) == 0 ? 0 : 1);
			}
		}
		close(gate[0]);
		close(gate[1]);
		for (int i = 0; i < 4; i++) {
			int st = 0;

			if (kids[i] > 0 && waitpid(kids[i], &st, 0) == kids[i] && WIFEXITED(st) &&
			    WEXITSTATUS(st) == 0)
				ok++;
		}
		CHECK(ok == 4, "concurrent opens of a fresh pin root: %d of 4 succeeded", ok);
		o.pin_root = root;
		r = moat_dp_open(&o, &dp, err, sizeof(err));
		CHECK(r == 0, "open after the race: %s", err);
		if (r == 0) {
			add(&(struct ctx){ .dp = dp }, e);
			moat_dp_close(dp);
		}
		CHECK(system(cmd) == 0, "rm pin root");
	}
	section("pin adoption: entries, notes, mode and sizes survive close/reopen", f0);
}

/* Attach in a private network namespace on a veth pair we create. */
static void test_attach(void)
{
	int f0 = failures;
	char root[128], err[256], cmd[300], ifa[16], ifb[16];
	struct moat_dp_opts o = {
		.block_entries = 256, .allow_entries = 16, .l4_entries = 16, .note_entries = 16
	};
	struct moat_dp *dp = NULL;
	struct moat_dp_attach_report rep, reps[4];
	int r, n;

	if (unshare(CLONE_NEWNET) < 0) {
		printf("skip attach: unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return;
	}
	snprintf(ifa, sizeof(ifa), "moa%d", (int)getpid() % 100000);
	snprintf(ifb, sizeof(ifb), "mob%d", (int)getpid() % 100000);
	snprintf(cmd, sizeof(cmd),
		 "ip link add %s type veth peer name %s && ip link set %s up && "
		 "ip link set %s up",
		 ifa, ifb, ifa, ifb);
	if (system(cmd) != 0) {
		printf("skip attach: cannot create veth\n");
		return;
	}
	snprintf(root, sizeof(root), "/sys/fs/bpf/moat-test-att-%d", (int)getpid());
	o.pin_root = root;
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open: %s", err);
	if (r < 0)
		goto out;
	r = moat_dp_attach(dp, ifa, MOAT_XDP_AUTO, true, &rep);
	CHECK(r == 0, "attach: %s", moat_dp_errmsg(dp));
	CHECK(rep.xdp_mode == MOAT_XDP_NATIVE || rep.xdp_mode == MOAT_XDP_GENERIC, "xdp mode %s",
	      moat_dp_xdp_mode_name(rep.xdp_mode));
	printf("     attach %s: xdp %s, tc %s\n", ifa, moat_dp_xdp_mode_name(rep.xdp_mode),
	       moat_dp_tc_mode_name(rep.tc_mode));
	CHECK(rep.tc_mode == MOAT_TC_TCX, "tcx on this kernel (%s)",
	      moat_dp_tc_mode_name(rep.tc_mode));
	CHECK(!rep.updated, "fresh attach");
	/* Survives the process's handle; a new handle updates in place. */
	moat_dp_close(dp);
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "reopen: %s", err);
	if (r < 0)
		goto out;
	{
		uint32_t id = 0;

		CHECK(bpf_xdp_query_id(if_nametoindex(ifa), 0, &id) == 0 && id != 0,
		      "XDP still attached after close");
	}
	r = moat_dp_attach(dp, ifa, MOAT_XDP_AUTO, true, &rep);
	CHECK(r == 0 && rep.updated, "re-attach updates: %s", moat_dp_errmsg(dp));
	n = moat_dp_attachments(dp, reps, 4);
	CHECK(n == 1 && strcmp(reps[0].ifname, ifa) == 0 && reps[0].tc_mode == MOAT_TC_TCX,
	      "attachments lists %s (n=%d)", ifa, n);
	r = moat_dp_detach(dp, ifa);
	CHECK(r == 0, "detach: %s", moat_dp_errmsg(dp));
	{
		uint32_t id = 1;

		CHECK(bpf_xdp_query_id(if_nametoindex(ifa), 0, &id) == 0 && id == 0,
		      "XDP gone after detach");
	}
	CHECK(moat_dp_attachments(dp, reps, 4) == 0, "no attachments left");
	CHECK(moat_dp_detach(dp, ifa) == -ENOENT, "second detach -ENOENT");

	/* tcx coexistence: a foreign tc program before us stays, runs, and survives our detach. */
	{
		struct bpf_insn unspec[] = {
			{ .code = 0xb7, .dst_reg = 0, .imm = -1 }, /* r0 = TC_ACT_UNSPEC */
			{ .code = 0x95 }, /* exit */
		};
		int other =
			bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "other_tc", "GPL", unspec, 2, NULL);
		int ol = other >= 0 ? bpf_link_create(other, if_nametoindex(ifa), 46, NULL) : -1;
		uint32_t ids[8], cnt = 8;

		CHECK(ol >= 0, "foreign tcx ingress program attached");
		CHECK(moat_dp_attach(dp, ifa, MOAT_XDP_OFF, true, &rep) == 0 &&
			      rep.tc_mode == MOAT_TC_TCX,
		      "moat beside it: %s", moat_dp_errmsg(dp));
		CHECK(bpf_prog_query(if_nametoindex(ifa), 46, 0, NULL, ids, &cnt) == 0 && cnt == 2,
		      "two programs on tcx ingress (%u)", cnt);
		CHECK(moat_dp_detach(dp, ifa) == 0, "detach moat");
		cnt = 8;
		CHECK(bpf_prog_query(if_nametoindex(ifa), 46, 0, NULL, ids, &cnt) == 0 && cnt == 1,
		      "the foreign program remains (%u)", cnt);
		if (ol >= 0)
			close(ol);
		if (other >= 0)
			close(other);
	}

	/* Someone else's XDP program holds the hook: moat reports it and keeps TC. */
	{
		struct bpf_insn pass[] = {
			{ .code = 0xb7, .dst_reg = 0, .imm = XDP_PASS }, /* r0 = XDP_PASS */
			{ .code = 0x95 }, /* exit */
		};
		int other = bpf_prog_load(BPF_PROG_TYPE_XDP, "other_xdp", "GPL", pass, 2, NULL);

		CHECK(other >= 0, "load a foreign XDP program");
		if (other >= 0) {
			CHECK(bpf_xdp_attach(if_nametoindex(ifa), other, XDP_FLAGS_SKB_MODE,
					     NULL) == 0,
			      "attach foreign program");
			r = moat_dp_attach(dp, ifa, MOAT_XDP_AUTO, true, &rep);
			CHECK(r == 0 && rep.xdp_mode == MOAT_XDP_BUSY && rep.xdp_busy_prog_id &&
				      rep.tc_mode == MOAT_TC_TCX,
			      "busy hook reported (r=%d mode=%s): %s", r,
			      moat_dp_xdp_mode_name(rep.xdp_mode), moat_dp_errmsg(dp));
			CHECK(moat_dp_detach(dp, ifa) == 0, "detach tc");
			CHECK(moat_dp_attach(dp, ifa, MOAT_XDP_AUTO, false, &rep) == -EBUSY,
			      "busy hook without tc is an error: %s", moat_dp_errmsg(dp));
			{
				uint32_t id = 0;

				CHECK(bpf_xdp_query_id(if_nametoindex(ifa), 0, &id) == 0 &&
					      id == rep.xdp_busy_prog_id,
				      "foreign program untouched");
			}
			bpf_xdp_detach(if_nametoindex(ifa), XDP_FLAGS_SKB_MODE, NULL);
			close(other);
		}
	}
	/* clsact fallback at a configured priority. */
	moat_dp_close(dp);
	o.force_clsact = true;
	o.tc_priority = 777;
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "open clsact: %s", err);
	if (r < 0)
		goto out;
	r = moat_dp_attach(dp, ifa, MOAT_XDP_OFF, true, &rep);
	CHECK(r == 0 && rep.tc_mode == MOAT_TC_CLSACT && rep.tc_priority == 777,
	      "clsact attach: %s", moat_dp_errmsg(dp));
	snprintf(cmd, sizeof(cmd), "tc filter show dev %s ingress | grep -q 'pref 777 bpf'", ifa);
	CHECK(system(cmd) == 0, "tc shows our ingress filter at pref 777");
	CHECK(moat_dp_detach(dp, ifa) == 0, "clsact detach: %s", moat_dp_errmsg(dp));
	snprintf(cmd, sizeof(cmd), "tc filter show dev %s ingress | grep -q bpf", ifa);
	CHECK(system(cmd) != 0, "filter removed");
	/* Links of a deleted interface: their pins are forgotten. */
	moat_dp_close(dp);
	o.force_clsact = false;
	r = moat_dp_open(&o, &dp, err, sizeof(err));
	CHECK(r == 0, "reopen: %s", err);
	if (r < 0)
		goto out;
	CHECK(moat_dp_attach(dp, ifb, MOAT_XDP_AUTO, true, &rep) == 0, "attach %s: %s", ifb,
	      moat_dp_errmsg(dp));
	CHECK(moat_dp_attachments(dp, reps, 4) == 1, "one attachment");
	snprintf(cmd, sizeof(cmd), "ip link del %s", ifb);
	CHECK(system(cmd) == 0, "delete veth");
	CHECK(moat_dp_attachments(dp, reps, 4) == 0, "gone with its interface");
	snprintf(cmd, sizeof(cmd), "ls %s/links | grep -q .", root);
	CHECK(system(cmd) != 0, "no stale link pins left");
out:
	moat_dp_close(dp);
	snprintf(cmd, sizeof(cmd), "ip link del %s 2>/dev/null; rm -rf %s", ifa, root);
	if (system(cmd) != 0)
		printf("     cleanup of %s failed\n", root);
	section("attach: XDP link (mode reported), tcx, pins, update, detach, busy hook, clsact",
		f0);
}

int main(void)
{
	struct moat_dp_opts o = { .no_pin = true,
				  .block_entries = 1024,
				  .allow_entries = 64,
				  .l4_entries = 64,
				  .note_entries = 64 };
	struct ctx c = {};
	char err[512];
	int r;

	if (geteuid() != 0) {
		printf("skip: needs root for bpf()\n");
		return 77;
	}
	r = moat_dp_open(&o, &c.dp, err, sizeof(err));
	if (r == -EPERM || r == -ENOSYS) {
		printf("skip: bpf() unavailable: %s\n", err);
		return 77;
	}
	if (r < 0) {
		fprintf(stderr, "FAIL open: %s\n", err);
		return 1;
	}
	c.fd[XDP] = moat_dp_xdp_fd(c.dp);
	c.fd[TCI] = moat_dp_tc_in_fd(c.dp);
	c.fd[TCE] = moat_dp_tc_out_fd(c.dp);
	{
		struct frame f = { .len = 10 };

		c.xdp_short_ok = run(&c, XDP, &f, 10) >= 0;
	}

	test_parse_paths_pass_and_block(&c);
	test_truncated_every_offset(&c);
	test_fragments(&c);
	test_lpm_and_scoped_ports(&c);
	test_prefilter(&c);
	test_allow_beats_block(&c);
	test_expiry_and_hits(&c);
	test_default_deny(&c);
	test_counters_bytes(&c);
	moat_dp_close(c.dp);
	test_bulk_and_full();
	test_capacity();
	test_pin_adoption();
	test_attach(); /* last: moves this process into a new network namespace */

	return check_summary();
}
