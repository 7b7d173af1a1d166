// SPDX-License-Identifier: GPL-2.0-only
/* moat's L3/L4 filter: one verdict implementation behind XDP, TC ingress and TC egress. */

/*
 * The contract (what parses, what is malformed, the order of evaluation, what default-deny
 * lets through) is documented in datapath/datapath.h; the maps in datapath/moat_abi.h.
 * Cost model of the pass path: one array lookup (config), then per address only the maps
 * whose "non-empty" bit is set, exact hash before LPM trie, the clock read only after a
 * match, and one per-CPU counter update.
 */

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/pkt_cls.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "moat_abi.h"

char LICENSE[] SEC("license") = "GPL";

#define MOAT_VLAN_MAX 2 /* 802.1Q inside 802.1ad: two tags */
#define MOAT_EXTHDR_MAX 8 /* IPv6 extension headers walked before giving up (malformed) */
#define MOAT_TC_PULL 512 /* TC: bytes made linear when headers are not (non-linear skbs) */

#define MOAT_NEXTHDR_HOP 0
#define MOAT_NEXTHDR_ROUTING 43
#define MOAT_NEXTHDR_FRAGMENT 44
#define MOAT_NEXTHDR_AUTH 51
#define MOAT_NEXTHDR_DEST 60
#define MOAT_ICMPV6_RS 133
#define MOAT_ICMPV6_REDIRECT 137

struct moat_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

struct moat_ext_hdr {
	__u8 nexthdr;
	__u8 hdrlen;
};

struct moat_frag6_hdr {
	__u8 nexthdr;
	__u8 reserved;
	__be16 frag_off;
	__be32 id;
};

#define MAP_HASH(name, ktype)                         \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_HASH);      \
		__uint(max_entries, 1024);            \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, ktype);                   \
		__type(value, struct moat_entry);     \
	} name SEC(".maps")

#define MAP_LPM(name, ktype)                          \
	struct {                                      \
		__uint(type, BPF_MAP_TYPE_LPM_TRIE);  \
		__uint(max_entries, 1024);            \
		__uint(map_flags, BPF_F_NO_PREALLOC); \
		__type(key, ktype);                   \
		__type(value, struct moat_entry);     \
	} name SEC(".maps")

/* Sizes are set by the library before load (or taken from the pinned maps it adopts). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct moat_cfg);
} moat_cfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MOAT_STATS_N);
	__type(key, __u32);
	__type(value, struct moat_counter);
} moat_stats SEC(".maps");

MAP_HASH(moat_al4_h, __be32);
MAP_LPM(moat_al4_p, struct moat_lpm4_key);
MAP_HASH(moat_al6_h, struct moat_addr6);
MAP_LPM(moat_al6_p, struct moat_lpm6_key);
MAP_HASH(moat_bs4_h, __be32);
MAP_LPM(moat_bs4_p, struct moat_lpm4_key);
MAP_HASH(moat_bs6_h, struct moat_addr6);
MAP_LPM(moat_bs6_p, struct moat_lpm6_key);
MAP_HASH(moat_bd4_h, __be32);
MAP_LPM(moat_bd4_p, struct moat_lpm4_key);
MAP_HASH(moat_bd6_h, struct moat_addr6);
MAP_LPM(moat_bd6_p, struct moat_lpm6_key);
MAP_LPM(moat_l4_4, struct moat_l4v4_key);
MAP_LPM(moat_l4_6, struct moat_l4v6_key);

#define PF_ARRAY(name, n)                          \
	struct {                                   \
		__uint(type, BPF_MAP_TYPE_ARRAY);  \
		__uint(max_entries, n);            \
		__uint(map_flags, BPF_F_MMAPABLE); \
		__type(key, __u32);                \
		__type(value, __u64);              \
	} name SEC(".maps")

PF_ARRAY(moat_pf4, MOAT_PF_LISTS *MOAT_PF4_SLOTS);
PF_ARRAY(moat_pf6, MOAT_PF_LISTS *MOAT_PF6_SLOTS);

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MOAT_PFL4_SLOTS);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, __u64);
} moat_pfl4 SEC(".maps");

/* Userspace only: free-text notes. Declared here so the skeleton creates and pins it. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct moat_note_key);
	__type(value, struct moat_note);
} moat_notes SEC(".maps");

/* What the parser extracted. Addresses point into the packet (valid until the verdict). */
struct moat_pkt {
	void *saddr;
	void *daddr;
	__u8 family; /* 4, 6, or 0 for non-IP */
	__u8 proto; /* L4 protocol (after IPv6 extension headers) */
	__u8 l4; /* dport holds the destination port (or ICMP type) */
	__u8 frag; /* non-first fragment: no L4 header */
	__u8 bad; /* L3 addresses valid but the rest malformed */
	__u8 icmp_type;
	__be16 dport;
};

#define BIT(n) (1u << (n))
#define MOAT_FAMILY4_MAPS                                                                \
	(BIT(MOAT_M_AL4_H) | BIT(MOAT_M_AL4_P) | BIT(MOAT_M_BS4_H) | BIT(MOAT_M_BS4_P) | \
	 BIT(MOAT_M_BD4_H) | BIT(MOAT_M_BD4_P) | BIT(MOAT_M_L4_4))
#define MOAT_FAMILY6_MAPS                                                                \
	(BIT(MOAT_M_AL6_H) | BIT(MOAT_M_AL6_P) | BIT(MOAT_M_BS6_H) | BIT(MOAT_M_BS6_P) | \
	 BIT(MOAT_M_BD6_H) | BIT(MOAT_M_BD6_P) | BIT(MOAT_M_L4_6))

/*
 * Parse; returns 0 when at least the addresses (or non-IP-ness) are known, -1 when the frame
 * is malformed before that. p->bad marks malformation after the L3 addresses.
 */
static __always_inline int moat_parse(void *data, void *data_end, struct moat_pkt *p)
{
	struct ethhdr *eth = data;
	void *cur;
	__be16 h_proto;
	__u8 nh;

	if ((void *)(eth + 1) > data_end)
		return -1;
	h_proto = eth->h_proto;
	cur = eth + 1;

#pragma unroll
	for (int i = 0; i < MOAT_VLAN_MAX; i++) {
		struct moat_vlan_hdr *vh = cur;

		if (h_proto != bpf_htons(ETH_P_8021Q) && h_proto != bpf_htons(ETH_P_8021AD))
			break;
		if ((void *)(vh + 1) > data_end)
			return -1;
		h_proto = vh->proto;
		cur = vh + 1;
	}

	if (h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *iph = cur;
		__u32 hlen;

		if ((void *)(iph + 1) > data_end)
			return -1;
		hlen = iph->ihl * 4;
		if (iph->version != 4 || hlen < sizeof(*iph) || cur + hlen > data_end ||
		    bpf_ntohs(iph->tot_len) < hlen)
			return -1;
		p->family = 4;
		p->saddr = &iph->saddr;
		p->daddr = &iph->daddr;
		nh = iph->protocol;
		if (iph->frag_off & bpf_htons(0x1fff)) {
			p->frag = 1;
			p->proto = nh;
			return 0;
		}
		cur += hlen;
	} else if (h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6h = cur;
		int i;

		if ((void *)(ip6h + 1) > data_end)
			return -1;
		if (ip6h->version != 6)
			return -1;
		p->family = 6;
		p->saddr = &ip6h->saddr;
		p->daddr = &ip6h->daddr;
		nh = ip6h->nexthdr;
		cur = ip6h + 1;

		for (i = 0; i < MOAT_EXTHDR_MAX; i++) {
			struct moat_ext_hdr *eh = cur;
			__u32 len;

			if (nh != MOAT_NEXTHDR_HOP && nh != MOAT_NEXTHDR_ROUTING &&
			    nh != MOAT_NEXTHDR_FRAGMENT && nh != MOAT_NEXTHDR_AUTH &&
			    nh != MOAT_NEXTHDR_DEST)
				break;
			if (cur + 8 > data_end) {
				p->bad = 1;
				return 0;
			}
			if (nh == MOAT_NEXTHDR_FRAGMENT) {
				struct moat_frag6_hdr *fh = cur;

				if (fh->frag_off & bpf_htons(0xfff8)) {
					p->frag = 1;
					p->proto = fh->nexthdr;
					return 0;
				}
				len = 8;
			} else if (nh == MOAT_NEXTHDR_AUTH) {
				len = ((__u32)eh->hdrlen + 2) * 4;
			} else {
				len = ((__u32)eh->hdrlen + 1) * 8;
			}
			if (cur + len > data_end) {
				p->bad = 1;
				return 0;
			}
			nh = eh->nexthdr;
			cur += len;
		}
		if (i == MOAT_EXTHDR_MAX) {
			p->bad = 1;
			return 0;
		}
	} else {
		if (h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD))
			return -1; /* a third tag */
		p->family = 0;
		return 0;
	}

	p->proto = nh;
	if (nh == IPPROTO_TCP) {
		struct tcphdr *th = cur;

		if ((void *)(th + 1) > data_end || th->doff < 5) {
			p->bad = 1;
			return 0;
		}
		p->dport = th->dest;
		p->l4 = 1;
	} else if (nh == IPPROTO_UDP) {
		struct udphdr *uh = cur;

		if ((void *)(uh + 1) > data_end) {
			p->bad = 1;
			return 0;
		}
		p->dport = uh->dest;
		p->l4 = 1;
	} else if (nh == IPPROTO_ICMP || nh == IPPROTO_ICMPV6) {
		__u8 *ih = cur;

		if (cur + 4 > data_end) {
			p->bad = 1;
			return 0;
		}
		p->icmp_type = ih[0];
		p->dport = bpf_htons(ih[0]);
		p->l4 = 1;
	}
	return 0;
}

/* A matched entry counts only while live; the clock is read only here, after a match. */
static __always_inline int moat_live(struct moat_entry *e)
{
	if (!e)
		return 0;
	if (e->expires_ns && e->expires_ns <= bpf_ktime_get_boot_ns())
		return 0;
	__sync_fetch_and_add(&e->hits, 1);
	return 1;
}

/* False when prefilter pf proves the address is in none of the maps it covers. */
static __always_inline int moat_pf_maybe(void *pf, __u32 idx)
{
	__u64 *n = bpf_map_lookup_elem(pf, &idx);

	return n && *n;
}

static __always_inline int moat_match4(void *hmap, void *pmap, __u32 ne, __u32 hbit, __u32 pbit,
				       void *addr)
{
	__u8 *b = addr;

	/* One prefilter read covers the list's hash and trie. */
	if (!(ne & (BIT(hbit) | BIT(pbit))) ||
	    !moat_pf_maybe(&moat_pf4, hbit / 4 * MOAT_PF4_SLOTS + moat_pf4_slot(b[0], b[1], b[2])))
		return 0;
	/* The hash key is read straight from the packet (bounds checked by the parser). */
	if ((ne & BIT(hbit)) && moat_live(bpf_map_lookup_elem(hmap, addr)))
		return 1;
	if (ne & BIT(pbit)) {
		struct moat_lpm4_key k = { .prefixlen = 32 };

		__builtin_memcpy(k.addr, addr, 4);
		if (moat_live(bpf_map_lookup_elem(pmap, &k)))
			return 1;
	}
	return 0;
}

static __always_inline int moat_match6(void *hmap, void *pmap, __u32 ne, __u32 hbit, __u32 pbit,
				       void *addr)
{
	__u32 *w = addr;

	if (!(ne & (BIT(hbit) | BIT(pbit))) ||
	    !moat_pf_maybe(&moat_pf6, hbit / 4 * MOAT_PF6_SLOTS + moat_pf6_slot(bpf_ntohl(w[0]))))
		return 0;
	if ((ne & BIT(hbit)) && moat_live(bpf_map_lookup_elem(hmap, addr)))
		return 1;
	if (ne & BIT(pbit)) {
		struct moat_lpm6_key k = { .prefixlen = 128 };

		__builtin_memcpy(k.addr, addr, 16);
		if (moat_live(bpf_map_lookup_elem(pmap, &k)))
			return 1;
	}
	return 0;
}

/* Allowlist, then blocklist by source, then by destination: the reason, or MOAT_R_NONE. */
#define MOAT_ADDRS(fam, p, ne, hook)                                                               \
	(((ne) & (BIT(MOAT_M_AL##fam##_H) | BIT(MOAT_M_AL##fam##_P))) &&                           \
			 (moat_match##fam(&moat_al##fam##_h, &moat_al##fam##_p, ne,                \
					  MOAT_M_AL##fam##_H, MOAT_M_AL##fam##_P, (p)->saddr) ||   \
			  ((hook) == MOAT_HOOK_TC_OUT &&                                           \
			   moat_match##fam(&moat_al##fam##_h, &moat_al##fam##_p, ne,               \
					   MOAT_M_AL##fam##_H, MOAT_M_AL##fam##_P, (p)->daddr))) ? \
		 MOAT_R_ALLOW :                                                                    \
	 moat_match##fam(&moat_bs##fam##_h, &moat_bs##fam##_p, ne, MOAT_M_BS##fam##_H,             \
			 MOAT_M_BS##fam##_P, (p)->saddr) ?                                         \
		 MOAT_R_BLOCK_SRC :                                                                \
	 moat_match##fam(&moat_bd##fam##_h, &moat_bd##fam##_p, ne, MOAT_M_BD##fam##_H,             \
			 MOAT_M_BD##fam##_P, (p)->daddr) ?                                         \
		 MOAT_R_BLOCK_DST :                                                                \
		 MOAT_R_NONE)

/* The L4 entry for (proto, dport, source): -1 none, else MOAT_ACT_*. */
static __always_inline int moat_match_l4(struct moat_pkt *p, __u32 ne)
{
	struct moat_entry *e;
	__u32 idx = moat_pfl4_slot(p->family == 6, p->proto, bpf_ntohs(p->dport));
	__u64 *n;

	if (!(ne & BIT(p->family == 4 ? MOAT_M_L4_4 : MOAT_M_L4_6)))
		return -1;
	n = bpf_map_lookup_elem(&moat_pfl4, &idx);
	if (!n || !*n)
		return -1; /* no entry for this protocol and port */
	if (p->family == 4) {
		struct moat_l4v4_key k;

		k.prefixlen = MOAT_L4_PREFIX_BASE + 32;
		k.proto = p->proto;
		k.port = p->dport;
		__builtin_memcpy(k.addr, p->saddr, 4);
		e = bpf_map_lookup_elem(&moat_l4_4, &k);
	} else {
		struct moat_l4v6_key k;

		k.prefixlen = MOAT_L4_PREFIX_BASE + 128;
		k.proto = p->proto;
		k.port = p->dport;
		__builtin_memcpy(k.addr, p->saddr, 16);
		e = bpf_map_lookup_elem(&moat_l4_6, &k);
	}
	if (!moat_live(e))
		return -1;
	return e->action;
}

static __always_inline void moat_count(__u32 hook, __u32 verdict, __u32 reason, __u64 bytes)
{
	__u32 idx = MOAT_STATS_IDX(hook, verdict, reason);
	struct moat_counter *c = bpf_map_lookup_elem(&moat_stats, &idx);

	if (c) {
		c->packets++;
		c->bytes += bytes;
	}
}

/* The one verdict implementation. Returns MOAT_V_PASS or MOAT_V_DROP (and counts it). */
static __always_inline __u32 moat_judge(void *data, void *data_end, __u32 hook, __u64 bytes)
{
	struct moat_pkt p = {};
	struct moat_cfg *cfg;
	__u32 zero = 0, ne, verdict = MOAT_V_PASS, reason = MOAT_R_NONE;
	int deny, act;

	cfg = bpf_map_lookup_elem(&moat_cfg, &zero);
	if (!cfg)
		return MOAT_V_PASS; /* cannot happen (array of one); fail open */
	ne = cfg->nonempty;
	deny = hook != MOAT_HOOK_TC_OUT && cfg->mode == MOAT_MODE_DENY;

	if (moat_parse(data, data_end, &p) < 0) {
		reason = MOAT_R_MALFORMED;
		if (deny || cfg->malformed == MOAT_MALFORMED_DROP)
			verdict = MOAT_V_DROP;
		goto out;
	}
	if (!p.family) {
		reason = MOAT_R_NON_IP;
		goto out;
	}
	/* The cheap case: nothing to look up for this family, default-allow, well formed. */
	if (!(ne & (p.family == 4 ? MOAT_FAMILY4_MAPS : MOAT_FAMILY6_MAPS)) && !deny && !p.bad)
		goto out;

	/* Address entries, one straight-line sequence per family. */
	reason = p.family == 4 ? MOAT_ADDRS(4, &p, ne, hook) : MOAT_ADDRS(6, &p, ne, hook);
	if (reason == MOAT_R_BLOCK_SRC || reason == MOAT_R_BLOCK_DST)
		verdict = MOAT_V_DROP;
	if (reason != MOAT_R_NONE)
		goto out;
	if (p.bad) {
		reason = MOAT_R_MALFORMED;
		if (deny || cfg->malformed == MOAT_MALFORMED_DROP)
			verdict = MOAT_V_DROP;
		goto out;
	}
	if (p.l4) {
		act = moat_match_l4(&p, ne);
		if (act == MOAT_ACT_BLOCK) {
			verdict = MOAT_V_DROP;
			reason = MOAT_R_PORT_BLOCK;
			goto out;
		}
		if (act == MOAT_ACT_ALLOW) {
			reason = MOAT_R_PORT_ALLOW;
			goto out;
		}
	}
	if (deny) {
		if (p.frag) {
			reason = MOAT_R_FRAGMENT;
		} else if (p.family == 6 && p.proto == IPPROTO_ICMPV6 &&
			   p.icmp_type >= MOAT_ICMPV6_RS && p.icmp_type <= MOAT_ICMPV6_REDIRECT) {
			reason = MOAT_R_ESSENTIAL;
		} else {
			verdict = MOAT_V_DROP;
			reason = MOAT_R_DEFAULT_DENY;
		}
	}
out:
	moat_count(hook, verdict, reason, bytes);
	return verdict;
}

SEC("xdp")
int moat_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	if (moat_judge(data, data_end, MOAT_HOOK_XDP, data_end - data) == MOAT_V_DROP)
		return XDP_DROP;
	return XDP_PASS;
}

static __always_inline int moat_tc(struct __sk_buff *skb, __u32 hook)
{
	void *data = (void *)(long)skb->data;
	void *data_end = (void *)(long)skb->data_end;

	/* Headers may sit in paged data on non-linear skbs: make the first bytes linear. */
	if (data_end - data < MOAT_TC_PULL && skb->len > data_end - data) {
		bpf_skb_pull_data(skb, skb->len < MOAT_TC_PULL ? skb->len : MOAT_TC_PULL);
		data = (void *)(long)skb->data;
		data_end = (void *)(long)skb->data_end;
	}
	if (moat_judge(data, data_end, hook, skb->len) == MOAT_V_DROP)
		return TC_ACT_SHOT;
	return TC_ACT_UNSPEC; /* no opinion: later programs still run */
}

SEC("tc")
int moat_tc_in(struct __sk_buff *skb)
{
	return moat_tc(skb, MOAT_HOOK_TC_IN);
}

SEC("tc")
int moat_tc_out(struct __sk_buff *skb)
{
	return moat_tc(skb, MOAT_HOOK_TC_OUT);
}
