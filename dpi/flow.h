/* SPDX-License-Identifier: GPL-2.0-only */
/* Bidirectional flow table of one worker: lookup by 5-tuple + VLANs, timeouts, memory cap. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "tcp_reasm.h"

/* Suricata's flow.state strings (flow_state_name()). */
enum flow_state {
	FLOW_STATE_NEW = 0, /* one direction seen / TCP handshake not complete */
	FLOW_STATE_ESTABLISHED, /* both directions seen / TCP established */
	FLOW_STATE_CLOSED, /* TCP FIN exchange done or RST */
	FLOW_STATE_MAX,
};

/* Index [0] is the client, [1] the server. */
struct flow_key {
	union decode_addr addr[2];
	uint16_t port[2]; /* host order; ICMP: 0 */
	uint16_t vlan[DECODE_MAX_VLANS];
	uint8_t proto; /* IPPROTO_* */
	uint8_t ip_version; /* 4 or 6 */
	uint8_t pad[2];
};

/*
 * A flow. Who is the client:
 *  - TCP: the sender of a SYN without ACK; if the first packet is a SYN/ACK, its receiver;
 *  - otherwise (midstream TCP, UDP, ICMP): the first packet's sender, except when that
 *    packet comes from a well-known port (< 1024) to an ephemeral one (>= 1024): then the
 *    receiver (a reply picked up midstream, e.g. an HTTP response from port 80).
 * All per-direction arrays are indexed by APP_DIR_TOSERVER (0) / APP_DIR_TOCLIENT (1).
 */
struct flow {
	struct flow_key key;
	/* table internals next to the key: a bucket walk reads hash and key together */
	struct flow *hnext;
	uint32_t hash;
	uint64_t flow_id; /* stable: hash of the tuple + start time; non-zero, < 2^51 */
	uint64_t start_us; /* first packet */
	uint64_t last_us; /* last packet */
	uint64_t pkts[2];
	uint64_t bytes[2]; /* frame bytes, as Suricata counts them */
	uint8_t tcp_flags[2]; /* OR of the TCP flags per direction (ts = [0], tc = [1]) */
	uint8_t state; /* enum flow_state */
	bool alerted; /* free for the app layer (flow.alerted) */
	uint32_t app_flags; /* free for the app layer */
	void *app_state; /* owned by the app layer; freed in flow_end */
	/* set by the app layer: objects it reads for every data packet of the flow besides
	 * app_state (its parser's); the worker prefetches them with app_state as soon as the
	 * flow is found. NULL, or live until the app layer clears them. */
	const void *app_hot[2];
	struct tcp_session tcp; /* TCP flows only */

	/* table internals */
	struct flow *lru_prev, *lru_next;
	bool in_table;
};

enum { FLOW_PROTO_TCP = 0, FLOW_PROTO_UDP, FLOW_PROTO_ICMP, FLOW_PROTO_OTHER, FLOW_PROTO_MAX };

struct flow_table_config {
	uint32_t max_flows; /* hard cap on live flows; default 65536 */
	uint32_t hash_size; /* buckets (rounded up to a power of two); default max_flows */
	/* idle timeouts in µs per protocol class (FLOW_PROTO_*) and state (FLOW_STATE_*);
	 * defaults: TCP 60 s/600 s/60 s, UDP 30 s/300 s, ICMP/other 30 s/300 s */
	uint64_t timeout_us[FLOW_PROTO_MAX][FLOW_STATE_MAX];
	uint64_t hash_seed; /* bucket hash key; 0 = random (getrandom) */
};

struct flow_stats {
	uint64_t created;
	uint64_t active; /* gauge */
	uint64_t peak;
	uint64_t ended[3]; /* by enum flow_end_reason */
	uint64_t evicted; /* emergency evictions when the cap was hit (counted in ended too) */
	uint64_t refused; /* packets that got no flow (cap hit, nothing to evict) */
	uint64_t tcp, udp, icmp, other;
};

/* Called for each flow leaving the table (reason = enum flow_end_reason), before recycling. */
typedef void (*flow_end_fn)(void *ctx, struct flow *f, int reason);

struct flow_table;

void flow_table_config_init(struct flow_table_config *cfg);
/* Returns NULL on allocation failure (errno set). */
struct flow_table *flow_table_new(const struct flow_table_config *cfg, flow_end_fn end, void *ctx);
/* Ends every flow with FLOW_END_SHUTDOWN and frees the table; accepts NULL. */
void flow_table_free(struct flow_table *t);

/*
 * Find or create the flow of decoded packet p (p->l4 set, or at least addresses/proto).
 * Sets *ret_dir to the packet's APP_DIR_* and updates last_us/pkts/bytes/tcp_flags.
 * At the cap, the least recently used flow is evicted (ended FLOW_END_FORCED).
 * Returns NULL only when the flow cannot be created (allocation failure): counted.
 * O(1): one bucket hash, no allocation once the pool is warm.
 */
struct flow *flow_table_get(struct flow_table *t, const struct packet *p, int *ret_dir);

/* Lookup only (no create, no counting). */
struct flow *flow_table_lookup(struct flow_table *t, const struct packet *p, int *ret_dir);

/* End flows idle past their state's timeout at `now_us` (FLOW_END_TIMEOUT). Returns count. */
size_t flow_table_expire(struct flow_table *t, uint64_t now_us);
/* End one flow now with `reason`. */
void flow_table_end(struct flow_table *t, struct flow *f, int reason);
/* End all flows with `reason` (FLOW_END_SHUTDOWN at end of input). */
void flow_table_end_all(struct flow_table *t, int reason);

const struct flow_stats *flow_table_stats(const struct flow_table *t);

/* Symmetric 32-bit hash of p's tuple (same value for both directions), for sharding packets
 * over workers. Keyed with a fixed key so every process agrees. */
uint32_t flow_hash_packet(const struct packet *p);

/* Suricata's strings: "new", "established", "closed"; "timeout", "forced", "shutdown". */
const char *flow_state_name(enum flow_state st);
const char *flow_end_reason_name(int reason);
