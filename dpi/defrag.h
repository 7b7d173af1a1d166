/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4 and IPv6 fragment reassembly with memory caps and timeouts. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct packet;

struct defrag_config {
	uint64_t memcap; /* bytes of buffered fragments + trackers; default 16 MiB */
	uint32_t max_trackers; /* datagrams being reassembled at once; default 4096 */
	uint32_t max_frags; /* fragments per datagram; default 256 */
	uint64_t timeout_us; /* datagram reassembly timeout; default 60 s */
};

struct defrag_stats {
	uint64_t ipv4_fragments, ipv6_fragments;
	uint64_t ipv4_reassembled, ipv6_reassembled;
	uint64_t timeouts; /* datagrams dropped incomplete after timeout_us */
	uint64_t memcap_hits; /* fragments refused by memcap */
	uint64_t tracker_hits; /* fragments refused because max_trackers were in use */
	uint64_t too_many_frags; /* datagrams dropped for exceeding max_frags */
	uint64_t overlaps; /* fragments overlapping earlier ones (first copy kept) */
	uint64_t invalid; /* bad offset/length (past 65535, non-final not multiple of 8) */
	uint64_t mem_used; /* gauge */
};

struct defrag;

void defrag_config_init(struct defrag_config *cfg);
/* Returns NULL on allocation failure. */
struct defrag *defrag_new(const struct defrag_config *cfg);
void defrag_free(struct defrag *d);

/*
 * Add fragment p (p->flags & PKT_FRAGMENT). Returns 1 when the datagram is complete: *ret_data
 * / *ret_len then hold a whole IP datagram (header rewritten: no fragment fields, lengths
 * fixed) in a buffer owned by defrag and valid until the next defrag call; 0 when the
 * fragment was kept waiting for others; < 0 (-ENOMEM, -EINVAL, -ENOSPC) when refused
 * (counted). Overlaps keep the first copy of each byte.
 */
int defrag_add(struct defrag *d, const struct packet *p, const uint8_t **ret_data, size_t *ret_len);

/* Drop datagrams older than timeout at now_us; returns how many. */
size_t defrag_expire(struct defrag *d, uint64_t now_us);

const struct defrag_stats *defrag_stats(const struct defrag *d);
