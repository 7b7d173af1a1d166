/* SPDX-License-Identifier: GPL-2.0-only */
/* The compiled ruleset's internals, shared by the loader/compiler and the matcher. */
#pragma once

#include <hs/hs.h>
#include "rule.h"

/* One Hyperscan database of fast patterns for one inspection buffer. */
struct mpm {
	hs_database_t *db;
	uint32_t n_pats;
	uint32_t max_len; /* the longest pattern */
	uint32_t *rule_off; /* n_pats + 1 offsets into rule_ids */
	uint32_t *rule_ids; /* rule indexes sharing each pattern */
};

/*
 * IP-only prefilter for rules without a fast pattern whose source (or destination) list is
 * made only of positive entries, as IP reputation rules are: every (prefix, rule) entry in
 * one hash table keyed by family, prefix length and network address; a lookup probes once
 * per distinct prefix length. A packet makes candidates only of the rules listing one of
 * its addresses, instead of every such rule being evaluated on every packet.
 */
struct ip_ent {
	uint8_t family, prefix;
	uint8_t side; /* 0: the rule's source list, 1: its destination list */
	uint8_t addr[16]; /* network address (host bits clear) */
	uint32_t rule;
	uint32_t next; /* chain in the table, UINT32_MAX ends */
};

struct ip_index {
	uint32_t *heads; /* cap buckets of chain starts */
	size_t cap;
	struct ip_ent *ents;
	size_t n_ents;
	struct {
		uint8_t family, prefix;
	} lens[160]; /* distinct (family, prefix length) pairs present */
	size_t n_lens;
};

/*
 * Port groups (Suricata's signature group heads per protocol and port): the pkt_data fast
 * patterns of the rules a TCP packet of one direction can match, split by one of the
 * packet's ports so that a port-80 stream is not scanned for the patterns of rules written
 * for port 3389.
 * The key port is the server's: the destination port of to_server packets, the source
 * port of to_client ones. A rule belongs to the groups of the ports its key list admits
 * (with `<>`, either list), a rule with `any` there to every group. The port range is cut
 * into segments at every bound of a port-specific rule's lists; each segment holding one
 * of Suricata's whitelisted ports (PG_PORTS in ruleset_compile.c) or no port-specific
 * rule gets a group of its own, the other segments share one group with the union of
 * their rules; equal groups are one database. So a group never lacks a rule that could
 * match a packet of its segment, and there are at most PG_GROUPS_MAX groups.
 */
enum { PG_TOSERVER, PG_TOCLIENT, PG_MAX };

struct port_groups {
	uint32_t n_seg;
	uint32_t *seg_lo; /* ascending segment starts, seg_lo[0] == 0 */
	uint16_t *seg_grp; /* each segment's group */
	uint32_t n_grp;
	struct mpm *grp; /* a group without patterns has no database (nothing to scan) */
};

struct ruleset {
	struct rule **rules;
	size_t n, cap;
	struct class_table classes;
	struct name_table flowbits;
	struct ruleset_stats stats;
	uint64_t generation; /* random id: per-flow state from another ruleset is reset */
	struct mpm mpm[DETECT_BUF_MAX]; /* DETECT_BUF_STREAM shares DETECT_BUF_PKT's */
	/*
	 * Subsets of the pkt_data fast patterns (Suricata splits its prefilter by protocol,
	 * direction and port the same way): pg[] per direction and port (see struct
	 * port_groups), PG_TOSERVER/TOCLIENT the rules a TCP packet of that direction can
	 * match (flow:to_client rules never match a to_server packet and vice versa), for the
	 * stream and the packet of TCP inputs with one direction; pkt_non_tcp[] the same for
	 * the packets of other protocols, without port groups. pkt_only those of the
	 * packet-only rules (rule_pkt_only()) alone, for the packet of an input with stream
	 * data, whose other payload rules inspect the stream: scanned only when the stream
	 * scan does not hold the packet's bytes (pkt_in_stream() in detect.c).
	 */
	struct port_groups pg[PG_MAX];
	struct mpm pkt_non_tcp[2];
	struct mpm pkt_only;
	uint32_t *always; /* rules without a fast pattern (and not in ip_index) */
	size_t n_always;
	struct ip_index ipidx;
	hs_scratch_t *scratch; /* prototype, cloned per worker; never scanned with */
	struct msc_ruleset *msc; /* SecRules from *.conf files, or NULL (rules/msc.h) */
};

/* The group of a packet's key port (see struct port_groups). */
static inline const struct mpm *pg_lookup(const struct port_groups *g, uint16_t port)
{
	uint32_t lo = 0, hi = g->n_seg;

	while (hi - lo > 1) { /* the last segment starting at or before port */
		uint32_t mid = lo + (hi - lo) / 2;

		if (g->seg_lo[mid] <= port)
			lo = mid;
		else
			hi = mid;
	}
	return &g->grp[g->seg_grp[lo]];
}

/* A rule whose payload list inspects packets only, never the reassembled stream (see
 * lists_match() in detect.c): tcp-pkt, dsize or flow:no_stream, and not a stream rule. */
static inline bool rule_pkt_only(const struct rule *r)
{
	if (r->proto == RPROTO_TCP_STREAM || (r->flow & RFLOW_ONLY_STREAM))
		return false;
	return r->proto == RPROTO_TCP_PKT || r->has_dsize || (r->flow & RFLOW_NO_STREAM);
}

/* Append a diagnostic (copies strings). Past RULE_DIAGS_MAX it is counted as dropped. */
void diag_add(struct rule_diags *d, enum rule_diag_kind kind, const char *file, unsigned int line,
	      uint32_t sid, const char *msg);

/* Hash of an address for the ip_index. */
static inline uint32_t ip_hash(uint8_t family, uint8_t prefix, const uint8_t *addr)
{
	uint32_t h = (2166136261u ^ family) * 16777619u ^ prefix;

	for (int i = 0; i < (family == AF_INET ? 4 : 16); i++)
		h = (h ^ addr[i]) * 16777619u;
	return h;
}

/* Build the Hyperscan databases and JIT the regexes (ruleset_compile.c). */
int ruleset_compile(struct ruleset *rs, const char *cache_dir, struct rule_diags *diags);
