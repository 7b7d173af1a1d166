/* SPDX-License-Identifier: GPL-2.0-only */
/* The structs shared by moat's BPF programs and userspace: map keys, values, config, counters. */
#pragma once

/*
 * Included by the BPF programs (clang -target bpf, UAPI headers only) and by userspace.
 * Fixed-width types only, explicit padding, wire-order fields marked __be16/__be32.
 * Userspace asserts every size with _Static_assert (bottom of this file).
 *
 * Maps (names are the pinned file names under the pin root, default /sys/fs/bpf/moat/):
 *
 *   moat_cfg      ARRAY[1], BPF_F_MMAPABLE   struct moat_cfg (mode, malformed policy, which
 *                                            entry maps are non-empty)
 *   moat_stats    PERCPU_ARRAY[MOAT_STATS_N] struct moat_counter, index MOAT_STATS_IDX()
 *   moat_al4_h    HASH   __be32 addr         allowlist, IPv4 exact (/32)
 *   moat_al4_p    LPM    moat_lpm4_key       allowlist, IPv4 prefixes (< /32)
 *   moat_al6_h    HASH   moat_addr6          allowlist, IPv6 exact (/128)
 *   moat_al6_p    LPM    moat_lpm6_key       allowlist, IPv6 prefixes
 *   moat_bs4_h / moat_bs4_p / moat_bs6_h / moat_bs6_p   blocklist by source
 *   moat_bd4_h / moat_bd4_p / moat_bd6_h / moat_bd6_p   blocklist by destination
 *   moat_l4_4     LPM    moat_l4v4_key       L4 entries (proto + dst port [+ source scope])
 *   moat_l4_6     LPM    moat_l4v6_key
 *   moat_notes    HASH   moat_note_key -> moat_note   free-text reasons (userspace only)
 *   moat_pf4      ARRAY[MOAT_PF_LISTS * MOAT_PF4_SLOTS] __u64, mmapable: IPv4 prefilter
 *   moat_pf6      ARRAY[MOAT_PF_LISTS * MOAT_PF6_SLOTS] __u64, mmapable: IPv6 prefilter
 *   moat_pfl4     ARRAY[MOAT_PFL4_SLOTS] __u64, mmapable: prefilter of the L4 tries
 *                 (all prefilters: see below)
 *
 * All address entry values are struct moat_entry. Exact entries (/32, /128) always go to the
 * hash map, prefixes to the LPM trie; the kernel checks the hash first, and skips any map whose
 * bit in moat_cfg.nonempty is clear (the library sets the bit before inserting and clears it
 * after deleting the last entry), so an empty map costs no lookup.
 */

#include <linux/types.h>

#define MOAT_ABI_VERSION 1

/* moat_cfg.mode */
#define MOAT_MODE_ALLOW 0 /* default-allow: only blocklist and port-block entries drop */
#define MOAT_MODE_DENY 1 /* default-deny at ingress (see MOAT_R_DEFAULT_DENY) */

/* moat_cfg.malformed: what a truncated or malformed header gets (always counted) */
#define MOAT_MALFORMED_PASS 0 /* default */
#define MOAT_MALFORMED_DROP 1

/* Bits of moat_cfg.nonempty: one per entry map. */
enum {
	MOAT_M_AL4_H = 0,
	MOAT_M_AL4_P,
	MOAT_M_AL6_H,
	MOAT_M_AL6_P,
	MOAT_M_BS4_H,
	MOAT_M_BS4_P,
	MOAT_M_BS6_H,
	MOAT_M_BS6_P,
	MOAT_M_BD4_H,
	MOAT_M_BD4_P,
	MOAT_M_BD6_H,
	MOAT_M_BD6_P,
	MOAT_M_L4_4,
	MOAT_M_L4_6,
	MOAT_M_NUM,
};

struct moat_cfg {
	__u32 abi_version; /* MOAT_ABI_VERSION, written by the library on first load */
	__u32 mode; /* MOAT_MODE_* */
	__u32 malformed; /* MOAT_MALFORMED_* */
	__u32 nonempty; /* bit MOAT_M_x set: map x may hold entries (updated atomically) */
};

/* Hooks (first index of the counters). */
#define MOAT_HOOK_XDP 0
#define MOAT_HOOK_TC_IN 1
#define MOAT_HOOK_TC_OUT 2
#define MOAT_HOOK_NUM 3

/* Verdicts. */
#define MOAT_V_PASS 0
#define MOAT_V_DROP 1
#define MOAT_V_NUM 2

/*
 * Reasons (why a verdict was reached). Exactly one (verdict, reason) counter is incremented per
 * packet per hook.
 */
#define MOAT_R_NONE 0 /* pass: nothing matched (default-allow) */
#define MOAT_R_ALLOW 1 /* pass: allowlisted */
#define MOAT_R_BLOCK_SRC 2 /* drop: source on the blocklist */
#define MOAT_R_BLOCK_DST 3 /* drop: destination on the blocklist */
#define MOAT_R_PORT_BLOCK 4 /* drop: L4 port-block entry */
#define MOAT_R_PORT_ALLOW 5 /* pass: L4 port-allow entry (matters in default-deny) */
#define MOAT_R_DEFAULT_DENY 6 /* drop: default-deny, nothing allowed it */
#define MOAT_R_MALFORMED 7 /* pass or drop per moat_cfg.malformed */
#define MOAT_R_NON_IP 8 /* pass: not IPv4/IPv6 (ARP, LLDP, ...) */
#define MOAT_R_ESSENTIAL 9 /* pass in default-deny: ICMPv6 neighbour discovery */
#define MOAT_R_FRAGMENT 10 /* pass in default-deny: non-first fragment (no L4 header) */
#define MOAT_R_HTTP 11 /* drop (TC): an in-kernel HTTP check hit this flow's first request */
#define MOAT_R_NUM 16

#define MOAT_STATS_IDX(hook, verdict, reason) \
	(((hook)*MOAT_V_NUM + (verdict)) * MOAT_R_NUM + (reason))
#define MOAT_STATS_N (MOAT_HOOK_NUM * MOAT_V_NUM * MOAT_R_NUM)

struct moat_counter {
	__u64 packets;
	__u64 bytes; /* frame length as seen by the hook (XDP: data_end - data; TC: skb->len) */
};

/* Entry origin (moat_entry.reason). */
#define MOAT_REASON_MANUAL 0 /* added by an operator (fwctl) */
#define MOAT_REASON_AUTO 1 /* added by moatd's offender scoring */
#define MOAT_REASON_RULE 2 /* added by a rule; rule_id holds its id (e.g. sid) */

/* L4 entry action (moat_entry.action; ignored for address entries). */
#define MOAT_ACT_BLOCK 0
#define MOAT_ACT_ALLOW 1

/* The value of every entry map. */
struct moat_entry {
	__u64 expires_ns; /* CLOCK_BOOTTIME ns (bpf_ktime_get_boot_ns); 0 = never */
	__u64 hits; /* packets that matched while not expired (atomic add in the kernel) */
	__u32 rule_id; /* MOAT_REASON_RULE: the rule id; else 0 */
	__u8 reason; /* MOAT_REASON_* */
	__u8 action; /* L4 maps: MOAT_ACT_*; address maps: 0 */
	__u8 pad[2];
};

struct moat_addr6 {
	__u8 addr[16];
};

/* LPM keys: prefixlen counts bits from the start of the data that follows. */
struct moat_lpm4_key {
	__u32 prefixlen; /* 0..32 */
	__u8 addr[4];
};

struct moat_lpm6_key {
	__u32 prefixlen; /* 0..128 */
	__u8 addr[16];
};

/*
 * L4 entries: protocol and destination port first (24 bits, always fully specified), then the
 * source scope. prefixlen = 24 + scope prefix length, so "tcp/22 from 0.0.0.0/0" has
 * prefixlen 24 and the most specific scope wins. For ICMP and ICMPv6, port holds the message
 * type (e.g. 8 = echo request), in network byte order like a port.
 */
struct moat_l4v4_key {
	__u32 prefixlen; /* 24..56 */
	__u8 proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP */
	__be16 port; /* unaligned on purpose: LPM data is a byte string */
	__u8 addr[4];
} __attribute__((packed));

struct moat_l4v6_key {
	__u32 prefixlen; /* 24..152 */
	__u8 proto; /* IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMPV6 */
	__be16 port;
	__u8 addr[16];
} __attribute__((packed));

#define MOAT_L4_PREFIX_BASE 24

/* Notes: free-text reasons for entries, kept out of the hot value. Userspace only. */
#define MOAT_NOTE_LEN 128

struct moat_note_key {
	__u8 map; /* MOAT_M_* of the entry's map */
	__u8 prefixlen; /* address/scope prefix length */
	__u8 proto; /* L4 entries; else 0 */
	__u8 pad;
	__be16 port; /* L4 entries; else 0 */
	__u8 pad2[2];
	__u8 addr[16]; /* IPv4 uses the first 4 bytes */
};

struct moat_note {
	char text[MOAT_NOTE_LEN]; /* NUL-terminated */
};

/*
 * Prefilters, so that a packet whose addresses and port are in no list costs array reads
 * instead of hash or trie lookups (the pass path with large lists). Each counts, per slot, how
 * many keys of its maps may fall in that slot. Invariant kept by the library (atomic adds on
 * the mmapped arrays): count >= number of keys present, so a zero count proves absence. The
 * library increments before inserting a new key and decrements after deleting one; over-counts
 * (concurrent re-adds, bulk re-adds) only cost a lookup. Counters are __u64 (array elements
 * are 8-byte aligned in the mmapped region anyway). List index: MOAT_M_x / 4 (0 allow,
 * 1 block-src, 2 block-dst).
 *
 * moat_pf4 (IPv4, hash and trie together, one read per list): slot = the address's top
 * MOAT_PF4_SHIFT bits; a /32 or a prefix of length >= MOAT_PF4_SHIFT counts in its one slot, a
 * shorter prefix in every slot it covers (a /8 in 2048 slots).
 */
#define MOAT_PF_LISTS 3
#define MOAT_PF4_SHIFT 19
#define MOAT_PF4_SLOTS (1u << MOAT_PF4_SHIFT)

static inline __u32 moat_pf4_slot(__u8 b0, __u8 b1, __u8 b2)
{
	return ((__u32)b0 << 11) | ((__u32)b1 << 3) | ((__u32)b2 >> 5);
}

/*
 * moat_pf6 (IPv6, hash and trie together, one read per list): slot = moat_pf6_slot() of the
 * address's top 32 bits; a /128 or a prefix of length >= 32 counts in its slot, a prefix of
 * length 16..31 in the slot of every /32 it covers, a shorter one in all slots.
 */
#define MOAT_PF6_SHIFT 18
#define MOAT_PF6_SLOTS (1u << MOAT_PF6_SHIFT)

static inline __u32 moat_pf6_slot(__u32 top32_host)
{
	return (top32_host * 0x9e3779b1u) >> (32 - MOAT_PF6_SHIFT);
}

/*
 * Prefilter of the two L4 tries, same invariant: one counter per (family, protocol class,
 * port), so a packet to a port without entries costs an array read, not a trie lookup.
 * Class: 0 TCP, 1 UDP, 2 ICMP/ICMPv6 (port = type). Family index: 0 = IPv4, 1 = IPv6.
 */
#define MOAT_PFL4_SLOTS (2u * 3u * 65536u)

static inline __u32 moat_pfl4_slot(__u32 fam_idx, __u8 proto, __u16 port_host)
{
	__u32 cls = proto == 6 ? 0 : proto == 17 ? 1 : 2;

	return (fam_idx * 3u + cls) * 65536u + port_host;
}

/*
 * ---- Packet copies and in-kernel HTTP checks (TC ingress and egress) ----
 *
 *   moat_ccfg     ARRAY[1], BPF_F_MMAPABLE   struct moat_copy_cfg (pinned: survives restarts)
 *   moat_flows    LRU_HASH moat_flow_key -> moat_flow   (pinned)
 *   moat_http_h   HASH   moat_http_key -> moat_http_val  blocked methods and Host values (pinned)
 *   moat_http_u   LPM    moat_http_uri_key -> moat_http_val  blocked URI prefixes (pinned)
 *   moat_cstats   PERCPU_ARRAY[MOAT_MAX_WORKERS] moat_copy_counters, index = worker (pinned)
 *   moat_rings    ARRAY_OF_MAPS[MOAT_MAX_WORKERS] of RINGBUF, index = worker (pinned outer
 *                 array; the ring buffers in it belong to the running daemon)
 *   moat_perf     PERF_EVENT_ARRAY[MOAT_MAX_WORKERS * ncpu], index = worker * ncpu + cpu
 *
 * Every record on a ring (or perf buffer) is struct moat_pkt_hdr followed by cap_len bytes of
 * the frame from its Ethernet header.
 */
#define MOAT_MAX_WORKERS 64
/* Bytes of one frame copied at most (the per-CPU scratch size): a whole GSO/GRO packet of
 * 64 KiB plus headers. The perf transport caps records at MOAT_PERF_CAP_MAX (perf records
 * have a 16-bit size). */
#define MOAT_SNAPLEN_MAX 131072
#define MOAT_PERF_CAP_MAX 65000

/* moat_copy_cfg.transport */
#define MOAT_TRANSPORT_RINGBUF 0
#define MOAT_TRANSPORT_PERFBUF 1

/* HTTP checks (moat_http_key.kind, moat_pkt_hdr.http_check); = enum moat_http_check. */
#define MOAT_HC_METHOD 1
#define MOAT_HC_HOST 2
#define MOAT_HC_URI_PREFIX 3
#define MOAT_HC_REQUEST_LINE_LEN 4
#define MOAT_HC_HEADER_LEN 5
#define MOAT_HC_NUM 6

#define MOAT_HTTP_KEY_MAX 124 /* bytes of a method or Host value in moat_http_key */
#define MOAT_HTTP_METHOD_MAX 32 /* longest method the kernel looks up */
#define MOAT_HTTP_URI_MAX 128 /* bytes of a URI prefix (moat_http_uri_key) */
#define MOAT_HTTP_SCAN 2048 /* bytes of the first request segment the checks read */

struct moat_copy_cfg {
	__u32 enabled; /* 1: copy (the daemon sets it at start, clears it at clean stop) */
	__u32 n_workers; /* 1..MOAT_MAX_WORKERS */
	__u32 transport; /* MOAT_TRANSPORT_* */
	__u32 depth; /* payload bytes copied per flow and direction */
	__u32 snaplen; /* 1..MOAT_SNAPLEN_MAX */
	__u32 ncpu; /* perf transport: possible CPUs (stride of moat_perf) */
	__u32 http_max_request_line; /* 0 = no limit */
	__u32 http_max_header; /* 0 = no limit */
	__u32 http_nonempty; /* bit MOAT_HC_x set: that check may have entries / is active */
	__u32 pad;
};

/* Normalised 5-tuple: endpoint a is the lower (address, port) pair, so both directions meet. */
struct moat_flow_key {
	__u8 family; /* 4 or 6 */
	__u8 proto; /* IPPROTO_TCP / IPPROTO_UDP */
	__be16 port_a;
	__be16 port_b;
	__u8 pad[2];
	__u8 a[16]; /* IPv4: first 4 bytes, rest zero */
	__u8 b[16];
};

#define MOAT_FLOW_BYPASS 0x01 /* userspace: copy nothing more of this flow */
#define MOAT_FLOW_HTTP_DROP 0x02 /* an HTTP check hit: drop every later packet */
#define MOAT_FLOW_HTTP_DONE 0x04 /* the first request segment was checked (or was not HTTP) */
#define MOAT_FLOW_CLIENT_KNOWN 0x08 /* a SYN was seen: client_dir is valid */

struct moat_flow {
	__u64 bytes[2]; /* payload bytes copied, [0] a->b, [1] b->a */
	__u8 flags; /* MOAT_FLOW_* */
	__u8 client_dir; /* direction (0 a->b, 1 b->a) of the SYN sender */
	__u8 http_check; /* MOAT_HC_* that hit, with MOAT_FLOW_HTTP_DROP */
	__u8 pad[5];
};

struct moat_http_key {
	__u8 kind; /* MOAT_HC_METHOD or MOAT_HC_HOST */
	__u8 len; /* bytes of value used; the rest is zero */
	__u8 pad[2];
	char value[MOAT_HTTP_KEY_MAX]; /* methods as written (case matters), hosts lower case */
};

struct moat_http_uri_key {
	__u32 prefixlen; /* 8 * bytes */
	char uri[MOAT_HTTP_URI_MAX];
};

struct moat_http_val {
	__u64 hits; /* requests dropped by this entry */
};

struct moat_copy_counters {
	__u64 copied; /* records written */
	__u64 copied_bytes; /* frame bytes written (cap_len) */
	__u64 lost; /* ring or perf buffer full (or no consumer's buffer in place) */
	__u64 depth_skipped; /* packets not copied: flow past its depth */
	__u64 bypassed; /* packets not copied: flow bypassed by userspace */
	__u64 http_blocked; /* packets dropped by an HTTP check or a flow it marked */
	__u64 http_incomplete; /* first request segment without a complete request line */
	__u64 flow_full; /* flow map update failed (should not happen with LRU) */
};

/* moat_pkt_hdr.kind */
#define MOAT_PKT_COPY 1
#define MOAT_PKT_HTTP_BLOCK 2

struct moat_pkt_hdr {
	__u8 kind; /* MOAT_PKT_* */
	__u8 hook; /* MOAT_HOOK_TC_IN / MOAT_HOOK_TC_OUT */
	__u8 http_check; /* MOAT_HC_* for MOAT_PKT_HTTP_BLOCK, else 0 */
	__u8 hdr_len; /* sizeof(struct moat_pkt_hdr): the frame starts here */
	__u32 ifindex;
	__u64 ts_ns; /* bpf_ktime_get_boot_ns() */
	__u32 wire_len; /* skb->len */
	__u32 cap_len; /* frame bytes that follow */
	__u16 worker;
	__u8 pad[6];
};

#ifdef __bpf__
#define MOAT_UNROLL _Pragma("unroll")
#else
#define MOAT_UNROLL
#endif

/*
 * Normalise a 5-tuple (shared by the BPF programs and the library, so both agree): endpoint a
 * is the lower of (address, port) in a fixed word order (any total order works, it only has
 * to be the same on both sides). s and d are 4 (family 4) or 16 bytes. Returns the packet's
 * direction: 0 when the source is endpoint a, else 1.
 */
static inline int moat_flow_key_make(struct moat_flow_key *k, __u8 family, __u8 proto,
				     const void *s, const void *d, __be16 sport, __be16 dport)
{
	__u32 sw[4] = {}, dw[4] = {};
	int src_first = 0, decided = 0;

	if (family == 4) {
		__builtin_memcpy(sw, s, 4);
		__builtin_memcpy(dw, d, 4);
	} else {
		__builtin_memcpy(sw, s, 16);
		__builtin_memcpy(dw, d, 16);
	}
	MOAT_UNROLL
	for (int i = 0; i < 4; i++) {
		if (!decided && sw[i] != dw[i]) {
			src_first = sw[i] < dw[i];
			decided = 1;
		}
	}
	if (!decided)
		src_first = sport <= dport;
	k->family = family;
	k->proto = proto;
	k->pad[0] = k->pad[1] = 0;
	if (src_first) {
		__builtin_memcpy(k->a, sw, 16);
		__builtin_memcpy(k->b, dw, 16);
		k->port_a = sport;
		k->port_b = dport;
		return 0;
	}
	__builtin_memcpy(k->a, dw, 16);
	__builtin_memcpy(k->b, sw, 16);
	k->port_a = dport;
	k->port_b = sport;
	return 1;
}

/* Hash of a normalised key (so symmetric in the packet's direction): picks the worker. */
static inline __u32 moat_flow_hash(const struct moat_flow_key *k)
{
	__u32 w[10], h = 0x9e3779b9u;

	__builtin_memcpy(w, k, sizeof(w));
	MOAT_UNROLL
	for (int i = 0; i < 10; i++) {
		h ^= w[i];
		h *= 0x85ebca6bu;
		h ^= h >> 13;
	}
	h *= 0xc2b2ae35u;
	h ^= h >> 16;
	return h;
}

#ifndef __bpf__
_Static_assert(sizeof(struct moat_cfg) == 16, "moat_cfg layout");
_Static_assert(sizeof(struct moat_counter) == 16, "moat_counter layout");
_Static_assert(sizeof(struct moat_entry) == 24, "moat_entry layout");
_Static_assert(sizeof(struct moat_addr6) == 16, "moat_addr6 layout");
_Static_assert(sizeof(struct moat_lpm4_key) == 8, "moat_lpm4_key layout");
_Static_assert(sizeof(struct moat_lpm6_key) == 20, "moat_lpm6_key layout");
_Static_assert(sizeof(struct moat_l4v4_key) == 11, "moat_l4v4_key layout");
_Static_assert(sizeof(struct moat_l4v6_key) == 23, "moat_l4v6_key layout");
_Static_assert(sizeof(struct moat_note_key) == 24, "moat_note_key layout");
_Static_assert(sizeof(struct moat_note) == MOAT_NOTE_LEN, "moat_note layout");
_Static_assert(sizeof(struct moat_copy_cfg) == 40, "moat_copy_cfg layout");
_Static_assert(sizeof(struct moat_flow_key) == 40, "moat_flow_key layout");
_Static_assert(sizeof(struct moat_flow) == 24, "moat_flow layout");
_Static_assert(sizeof(struct moat_http_key) == 128, "moat_http_key layout");
_Static_assert(sizeof(struct moat_http_uri_key) == 132, "moat_http_uri_key layout");
_Static_assert(sizeof(struct moat_copy_counters) == 64, "moat_copy_counters layout");
_Static_assert(sizeof(struct moat_pkt_hdr) == 32, "moat_pkt_hdr layout");
#endif
