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
	__be16 sport; /* TCP/UDP */
	__u8 tcp_flags; /* TCP */
	__u32 payoff; /* TCP/UDP: offset of the payload from the frame start */
	__u32 ipend; /* offset of the end of the IP packet (per its length field) */
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
		p->ipend = (cur - data) + bpf_ntohs(iph->tot_len);
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
		p->ipend = (cur - data) + sizeof(*ip6h) + bpf_ntohs(ip6h->payload_len);
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
		p->sport = th->source;
		p->tcp_flags = ((__u8 *)th)[13];
		p->payoff = (cur - data) + th->doff * 4;
		p->l4 = 1;
	} else if (nh == IPPROTO_UDP) {
		struct udphdr *uh = cur;

		if ((void *)(uh + 1) > data_end) {
			p->bad = 1;
			return 0;
		}
		p->dport = uh->dest;
		p->sport = uh->source;
		p->payoff = (cur - data) + sizeof(*uh);
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

/*
 * The one verdict implementation. Returns MOAT_V_PASS or MOAT_V_DROP with the reason in
 * *ret_reason (the caller counts it, after any later stage changed it); p gets the parse.
 */
static __always_inline __u32 moat_judge(void *data, void *data_end, __u32 hook, struct moat_pkt *pp,
					__u32 *ret_reason)
{
	struct moat_pkt p = {};
	struct moat_cfg *cfg;
	__u32 zero = 0, ne, verdict = MOAT_V_PASS, reason = MOAT_R_NONE;
	int deny, act;

	cfg = bpf_map_lookup_elem(&moat_cfg, &zero);
	if (!cfg) {
		*ret_reason = MOAT_R_NONE;
		return MOAT_V_PASS; /* cannot happen (array of one); fail open */
	}
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
	*pp = p;
	*ret_reason = reason;
	return verdict;
}

/*
 * ---- Packet copies and in-kernel HTTP checks (TC only) ----
 *
 * Which packets: TCP and UDP that passed the L3/L4 verdict (not non-first fragments: they
 * have no ports, so no flow; not ICMP or other protocols: the DPI engine inspects TCP and UDP
 * payloads only). Per flow (normalised 5-tuple, LRU map) and direction, payload is copied up to
 * moat_copy_cfg.depth; TCP segments with SYN, FIN or RST always; nothing once userspace set
 * MOAT_FLOW_BYPASS. The worker is moat_flow_hash() % n_workers: the same for both directions.
 *
 * Ring transport: one BPF ring buffer per worker in an ARRAY_OF_MAPS, so the daemon sizes
 * the rings at start (ring buffers of any size fit one template) and replaces them on restart
 * without reloading programs. bpf_ringbuf_reserve() needs a constant size, so the frame is
 * gathered in a per-CPU scratch (bpf_skb_load_bytes also reads paged skb data) and written
 * with bpf_ringbuf_output() at its real length. Perf transport: bpf_perf_event_output() with
 * BPF_F_CTXLEN appends the frame from the skb; one perf event per (worker, CPU).
 */

struct moat_ring {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096); /* template only: the library inserts rings of its size */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY_OF_MAPS);
	__uint(max_entries, MOAT_MAX_WORKERS);
	__type(key, __u32);
	__array(values, struct moat_ring);
} moat_rings SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(max_entries, MOAT_MAX_WORKERS); /* times the CPU count: set by the library */
	__type(key, __u32);
	__type(value, __u32);
} moat_perf SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__uint(map_flags, BPF_F_MMAPABLE);
	__type(key, __u32);
	__type(value, struct moat_copy_cfg);
} moat_ccfg SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, MOAT_MAX_WORKERS);
	__type(key, __u32);
	__type(value, struct moat_copy_counters);
} moat_cstats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536); /* set by the library */
	__type(key, struct moat_flow_key);
	__type(value, struct moat_flow);
} moat_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct moat_http_key);
	__type(value, struct moat_http_val);
} moat_http_h SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1024);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct moat_http_uri_key);
	__type(value, struct moat_http_val);
} moat_http_u SEC(".maps");

/*
 * Wakeups: a BPF ring buffer wakes its consumer for every record that finds it caught up,
 * which with a fast consumer is every record, and a wakeup costs the producing CPU far more
 * than the copy (measured on veth: 250k -> 30k packets/s). So at most one wakeup per worker
 * per MOAT_WAKE_NS (HTTP_BLOCK events always may wake); records written in between wait for
 * the consumer's next pass, which the library bounds (moat_dp_consumer_poll() never sleeps
 * longer than 1 ms without looking).
 */
#define MOAT_WAKE_NS 100000ull

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, MOAT_MAX_WORKERS);
	__type(key, __u32);
	__type(value, __u64); /* last time a record of this worker was allowed to wake */
} moat_cwake SEC(".maps");

struct moat_copy_scratch {
	struct moat_pkt_hdr hdr;
	__u8 data[MOAT_SNAPLEN_MAX];
};

/* One scratch per CPU, indexed by CPU (a per-CPU array value is limited to 32 KiB); a TC
 * program runs to its end on its CPU without another TC program nesting (BH disabled). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1); /* the library sets the number of possible CPUs */
	__type(key, __u32);
	__type(value, struct moat_copy_scratch);
} moat_cscratch SEC(".maps");

/* Scanner state of the HTTP checks (per CPU: a TC program runs to its end on one CPU). */
enum {
	HS_METHOD = 0,
	HS_URI,
	HS_VERSION,
	HS_NAME, /* header name (line start: name_pos == 0) */
	HS_HOST_OWS,
	HS_HOST,
	HS_VALUE, /* rest of a header line */
	HS_END, /* empty line: end of the headers */
	HS_NOT_HTTP,
};

struct moat_http_scan {
	__u8 buf[MOAT_HTTP_SCAN];
	struct moat_http_key method;
	struct moat_http_key host;
	struct moat_http_uri_key uri;
	__u32 len; /* bytes in buf */
	__u32 state; /* HS_* */
	__u32 line_start;
	__u32 reqline_len; /* request line length without CRLF; 0 = not complete */
	__u32 max_hdr; /* longest complete header line without CRLF */
	__u32 name_pos;
	__u32 host_match; /* the header name so far is a prefix of "host" */
	__u32 host_seen; /* a Host value was collected */
	__u32 host_long; /* the Host value did not fit the key */
	__u32 bracket; /* inside an IPv6 literal [..] */
	__u32 ulen;
	__u32 prev_cr;
	__u32 method_long; /* the method did not fit the key (not looked up) */
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct moat_http_scan);
} moat_hscratch SEC(".maps");

/* RFC 9110 tchar: the characters of a method token. */
static __always_inline int moat_tchar(__u8 c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
		return 1;
	switch (c) {
	case '!':
	case '#':
	case '$':
	case '%':
	case '&':
	case '\'':
	case '*':
	case '+':
	case '-':
	case '.':
	case '^':
	case '_':
	case '`':
	case '|':
	case '~':
		return 1;
	}
	return 0;
}

static __always_inline __u8 moat_lower(__u8 c)
{
	return c >= 'A' && c <= 'Z' ? c | 0x20 : c;
}

/* i masked to [0, n) for n a power of two, in a way the compiler cannot drop (verifier). */
static __always_inline __u32 moat_idx(__u32 i, __u32 n)
{
	asm volatile("" : "+r"(i));
	return i & (n - 1);
}

static __always_inline __u8 moat_host_ch(__u32 i)
{
	return i == 0 ? 'h' : i == 1 ? 'o' : i == 2 ? 's' : 't';
}

/* End of a header line at offset i (the LF). */
static __always_inline void moat_hs_eol(struct moat_http_scan *s, __u32 i)
{
	__u32 n = i - s->line_start - (s->prev_cr ? 1 : 0);

	if (n > s->max_hdr)
		s->max_hdr = n;
	s->line_start = i + 1;
	s->state = HS_NAME;
	s->name_pos = 0;
	s->host_match = 1;
}

/* One byte of the first request segment (bpf_loop callback): 1 stops the scan. */
static long moat_hs_step(__u32 i, void *ctx)
{
	__u32 zero = 0;
	struct moat_http_scan *s = bpf_map_lookup_elem(&moat_hscratch, &zero);
	__u8 c, cr;

	if (!s || i >= MOAT_HTTP_SCAN || i >= s->len)
		return 1;
	c = s->buf[moat_idx(i, MOAT_HTTP_SCAN)];
	cr = s->prev_cr;
	s->prev_cr = c == '\r';
	switch (s->state) {
	case HS_METHOD:
		if (c == ' ') {
			if (!s->method.len) {
				s->state = HS_NOT_HTTP;
				return 1;
			}
			s->state = HS_URI;
		} else if (moat_tchar(c)) {
			/* a method longer than any key is still a request: the other checks run */
			if (s->method.len < MOAT_HTTP_METHOD_MAX)
				s->method.value[moat_idx(s->method.len, MOAT_HTTP_METHOD_MAX)] = c;
			else
				s->method_long = 1;
			if (s->method.len < 255)
				s->method.len++;
		} else {
			s->state = HS_NOT_HTTP;
			return 1;
		}
		return 0;
	case HS_URI:
		if (c == ' ') {
			s->state = HS_VERSION;
		} else if (c == '\r' || c == '\n') {
			s->state = HS_NOT_HTTP; /* no version: HTTP/0.9 or not HTTP at all */
			return 1;
		} else {
			if (s->ulen < MOAT_HTTP_URI_MAX)
				s->uri.uri[moat_idx(s->ulen, MOAT_HTTP_URI_MAX)] = c;
			s->ulen++;
		}
		return 0;
	case HS_VERSION:
		if (c == '\n') {
			s->reqline_len = i - (cr ? 1 : 0);
			moat_hs_eol(s, i);
			s->max_hdr = 0;
		}
		return 0;
	case HS_NAME:
		if (c == '\n') {
			if (!s->name_pos || (s->name_pos == 1 && cr)) { /* empty line (LF, CRLF) */
				s->state = HS_END;
				return 1;
			}
			moat_hs_eol(s, i);
		} else if (c == ':') {
			s->state = s->host_match && s->name_pos == 4 && !s->host_seen ?
					   HS_HOST_OWS :
					   HS_VALUE;
		} else {
			if (s->name_pos >= 4 || moat_lower(c) != moat_host_ch(s->name_pos))
				s->host_match = 0;
			s->name_pos++;
		}
		return 0;
	case HS_HOST_OWS:
		if (c == ' ' || c == '\t')
			return 0;
		s->state = HS_HOST;
		/* fall through */
	case HS_HOST:
		if (c == '\n') {
			s->host_seen = 1;
			moat_hs_eol(s, i);
		} else if (c == ' ' || c == '\t' || c == '\r' || (c == ':' && !s->bracket)) {
			s->host_seen = 1;
			s->state = HS_VALUE; /* the port (ignored) or trailing space */
		} else {
			if (c == '[')
				s->bracket = 1;
			else if (c == ']')
				s->bracket = 0;
			if (s->host.len < MOAT_HTTP_KEY_MAX)
				s->host.value[moat_idx(s->host.len, 128)] =
					moat_lower(c); /* < KEY_MAX */
			else
				s->host_long = 1;
			if (s->host.len < 255)
				s->host.len++;
		}
		return 0;
	case HS_VALUE:
		if (c == '\n')
			moat_hs_eol(s, i);
		return 0;
	}
	return 1;
}

static __always_inline int moat_http_hit(void *map, void *key)
{
	struct moat_http_val *v = bpf_map_lookup_elem(map, key);

	if (!v)
		return 0;
	__sync_fetch_and_add(&v->hits, 1);
	return 1;
}

/*
 * Check the first request segment (payload at off, pay bytes): returns the MOAT_HC_* that hit
 * or 0. Only this segment is read (at most MOAT_HTTP_SCAN bytes of it): a request line that
 * does not end within it is counted (http_incomplete) and gets the checks its seen part
 * allows (method, URI prefix, request-line length once the seen part exceeds the limit).
 */
static __always_inline __u32 moat_http_check(struct __sk_buff *skb, __u32 off, __u32 pay,
					     struct moat_copy_cfg *cc,
					     struct moat_copy_counters *st)
{
	__u32 zero = 0, n = pay, ne = cc->http_nonempty, lim;
	struct moat_http_scan *s = bpf_map_lookup_elem(&moat_hscratch, &zero);

	if (!s)
		return 0;
	if (n > MOAT_HTTP_SCAN)
		n = MOAT_HTTP_SCAN;
	if (n < 1)
		return 0;
	n = moat_idx(n - 1, MOAT_HTTP_SCAN) + 1; /* no-op, for the verifier: 1..MOAT_HTTP_SCAN */
	if (bpf_skb_load_bytes(skb, off, s->buf, n) < 0)
		return 0;
	__builtin_memset(&s->method, 0, sizeof(s->method));
	__builtin_memset(&s->host, 0, sizeof(s->host));
	s->method.kind = MOAT_HC_METHOD;
	s->host.kind = MOAT_HC_HOST;
	s->len = n;
	s->state = HS_METHOD;
	s->line_start = 0;
	s->reqline_len = 0;
	s->max_hdr = 0;
	s->name_pos = 0;
	s->host_match = 1;
	s->host_seen = 0;
	s->host_long = 0;
	s->bracket = 0;
	s->ulen = 0;
	s->prev_cr = 0;
	s->method_long = 0;
	bpf_loop(n, moat_hs_step, NULL, 0);

	if (s->state == HS_NOT_HTTP || s->state == HS_METHOD)
		return 0; /* not an HTTP request (or only a method so far: nothing to judge) */
	if ((ne & BIT(MOAT_HC_METHOD)) && !s->method_long &&
	    moat_http_hit(&moat_http_h, &s->method))
		return MOAT_HC_METHOD;
	if ((ne & BIT(MOAT_HC_URI_PREFIX)) && s->ulen) {
		s->uri.prefixlen = 8 * (s->ulen < MOAT_HTTP_URI_MAX ? s->ulen : MOAT_HTTP_URI_MAX);
		if (moat_http_hit(&moat_http_u, &s->uri))
			return MOAT_HC_URI_PREFIX;
	}
	lim = cc->http_max_request_line;
	if (!s->reqline_len) {
		st->http_incomplete++;
		if (lim && n > lim && (ne & BIT(MOAT_HC_REQUEST_LINE_LEN)))
			return MOAT_HC_REQUEST_LINE_LEN; /* the seen part alone is too long */
		return 0;
	}
	if (lim && s->reqline_len > lim && (ne & BIT(MOAT_HC_REQUEST_LINE_LEN)))
		return MOAT_HC_REQUEST_LINE_LEN;
	if ((ne & BIT(MOAT_HC_HOST)) && s->host_seen && !s->host_long &&
	    moat_http_hit(&moat_http_h, &s->host))
		return MOAT_HC_HOST;
	lim = cc->http_max_header;
	if (lim && (ne & BIT(MOAT_HC_HEADER_LEN))) {
		if (s->max_hdr > lim)
			return MOAT_HC_HEADER_LEN;
		/* an unterminated last line already longer than the limit */
		if (s->state != HS_END && n - s->line_start > lim)
			return MOAT_HC_HEADER_LEN;
	}
	return 0;
}

/* Write one record (header + frame) on worker's ring or perf buffer; count it either way. */
static __always_inline void moat_emit(struct __sk_buff *skb, struct moat_copy_cfg *cc,
				      struct moat_copy_counters *st, __u32 worker, __u32 hook,
				      __u8 kind, __u8 check)
{
	struct moat_pkt_hdr h = {};
	__u32 cap = skb->len;
	long r = -1;

	if (cap > cc->snaplen)
		cap = cc->snaplen;
	if (cap > MOAT_SNAPLEN_MAX)
		cap = MOAT_SNAPLEN_MAX;
	if (cap < 1)
		return;
	cap = moat_idx(cap - 1, MOAT_SNAPLEN_MAX) + 1; /* no-op, for the verifier */
	h.kind = kind;
	h.hook = hook;
	h.http_check = check;
	h.hdr_len = sizeof(h);
	h.ifindex = skb->ifindex;
	h.ts_ns = bpf_ktime_get_boot_ns();
	h.wire_len = skb->len;
	h.cap_len = cap;
	h.worker = worker;
	if (cc->transport == MOAT_TRANSPORT_PERFBUF) {
		__u64 idx = (__u64)worker * cc->ncpu + bpf_get_smp_processor_id();

		if (cap > MOAT_PERF_CAP_MAX)
			h.cap_len = cap = MOAT_PERF_CAP_MAX;
		r = bpf_perf_event_output(skb, &moat_perf, ((__u64)cap << 32) | idx, &h, sizeof(h));
	} else {
		__u32 cpu = bpf_get_smp_processor_id();
		struct moat_copy_scratch *sc = bpf_map_lookup_elem(&moat_cscratch, &cpu);
		void *rb = bpf_map_lookup_elem(&moat_rings, &worker);
		__u64 *last = bpf_map_lookup_elem(&moat_cwake, &worker), flags = BPF_RB_NO_WAKEUP;

		if (kind != MOAT_PKT_COPY || !last || h.ts_ns - *last >= MOAT_WAKE_NS) {
			flags = 0; /* wake if the consumer has caught up */
			if (last)
				*last = h.ts_ns;
		}
		if (sc && rb) {
			sc->hdr = h;
			if (bpf_skb_load_bytes(skb, 0, sc->data, cap) == 0)
				r = bpf_ringbuf_output(rb, sc, sizeof(h) + cap, flags);
		}
	}
	if (r < 0) {
		st->lost++;
		return;
	}
	st->copied++;
	st->copied_bytes += cap;
}

/*
 * The flow stage of TC, after a PASS verdict for TCP or UDP: HTTP checks, then the copy.
 * Returns MOAT_V_DROP when the flow is (or just got) blocked by an HTTP check.
 */
static __always_inline __u32 moat_flow_stage(struct __sk_buff *skb, __u32 hook, struct moat_pkt *p)
{
	struct moat_copy_counters *st;
	struct moat_flow_key k;
	struct moat_flow *f;
	struct moat_copy_cfg *cc;
	__u32 zero = 0, worker = 0, nw, pay = 0, end, http;
	int dir, syn, control;

	cc = bpf_map_lookup_elem(&moat_ccfg, &zero);
	if (!cc)
		return MOAT_V_PASS;
	http = cc->http_nonempty;
	if (!cc->enabled && (!http || p->proto != IPPROTO_TCP))
		return MOAT_V_PASS; /* the cheap case: nothing to copy, nothing to check */

	dir = moat_flow_key_make(&k, p->family, p->proto, p->saddr, p->daddr, p->sport, p->dport);
	nw = cc->n_workers;
	if (nw > 1 && nw <= MOAT_MAX_WORKERS)
		worker = moat_flow_hash(&k) % nw;
	st = bpf_map_lookup_elem(&moat_cstats, &worker);
	if (!st)
		return MOAT_V_PASS;

	syn = p->proto == IPPROTO_TCP && (p->tcp_flags & 0x12) == 0x02; /* SYN without ACK */
	control = p->proto == IPPROTO_TCP && (p->tcp_flags & 0x07); /* FIN, SYN or RST */
	end = p->ipend < skb->len ? p->ipend : skb->len;
	if (end > p->payoff)
		pay = end - p->payoff;

	f = bpf_map_lookup_elem(&moat_flows, &k);
	/* HTTP checks alone need flows from their SYN on; copies need every flow. */
	if ((!f && (syn || cc->enabled)) || syn) {
		/* A new flow, or a new connection on the tuple: start afresh. */
		struct moat_flow nf = {};

		if (syn) {
			nf.flags = MOAT_FLOW_CLIENT_KNOWN;
			nf.client_dir = dir;
		}
		if (bpf_map_update_elem(&moat_flows, &k, &nf, BPF_ANY) == 0)
			f = bpf_map_lookup_elem(&moat_flows, &k);
		else
			f = NULL;
		if (!f)
			st->flow_full++;
	}
	if (f && (f->flags & MOAT_FLOW_HTTP_DROP)) {
		st->http_blocked++;
		return MOAT_V_DROP;
	}
	if (f && http && hook == MOAT_HOOK_TC_IN && p->proto == IPPROTO_TCP && pay &&
	    (f->flags & (MOAT_FLOW_CLIENT_KNOWN | MOAT_FLOW_HTTP_DONE)) == MOAT_FLOW_CLIENT_KNOWN &&
	    dir == f->client_dir) {
		__u32 hit = moat_http_check(skb, p->payoff, pay, cc, st);

		f->flags |= MOAT_FLOW_HTTP_DONE;
		if (hit) {
			f->flags |= MOAT_FLOW_HTTP_DROP;
			f->http_check = hit;
			st->http_blocked++;
			if (cc->enabled)
				moat_emit(skb, cc, st, worker, hook, MOAT_PKT_HTTP_BLOCK, hit);
			return MOAT_V_DROP;
		}
	}
	if (!cc->enabled)
		return MOAT_V_PASS;
	/*
	 * Egress copies only what this host sends (skb->ingress_ifindex == 0): a forwarded
	 * packet was copied at the ingress of the interface it came in on (attach moat to every
	 * interface forwarded traffic enters), and copying it twice would double its bytes.
	 */
	if (hook == MOAT_HOOK_TC_OUT && skb->ingress_ifindex)
		return MOAT_V_PASS;
	if (f) {
		if (f->flags & MOAT_FLOW_BYPASS) {
			st->bypassed++;
			return MOAT_V_PASS;
		}
		if (!control && f->bytes[dir & 1] >= cc->depth) {
			st->depth_skipped++;
			return MOAT_V_PASS;
		}
		__sync_fetch_and_add(&f->bytes[dir & 1], pay);
	}
	moat_emit(skb, cc, st, worker, hook, MOAT_PKT_COPY, 0);
	return MOAT_V_PASS;
}

SEC("xdp")
int moat_xdp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;

	struct moat_pkt p;
	__u32 reason, verdict;

	verdict = moat_judge(data, data_end, MOAT_HOOK_XDP, &p, &reason);
	moat_count(MOAT_HOOK_XDP, verdict, reason, data_end - data);
	return verdict == MOAT_V_DROP ? XDP_DROP : XDP_PASS;
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
	struct moat_pkt p;
	__u32 reason, verdict;

	verdict = moat_judge(data, data_end, hook, &p, &reason);
	if (verdict == MOAT_V_PASS && p.l4 && !p.frag &&
	    (p.proto == IPPROTO_TCP || p.proto == IPPROTO_UDP) &&
	    moat_flow_stage(skb, hook, &p) == MOAT_V_DROP) {
		verdict = MOAT_V_DROP;
		reason = MOAT_R_HTTP;
	}
	moat_count(hook, verdict, reason, skb->len);
	if (verdict == MOAT_V_DROP)
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
