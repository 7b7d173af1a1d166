/* SPDX-License-Identifier: GPL-2.0-only */
/* TCP session tracking and stream reassembly: handshake, ordering, overlaps, gaps, depth. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct app_ops;
struct flow;
struct packet;

/*
 * Target-based overlap policies (Novak & Sturges, "Target-Based TCP Stream Reassembly"):
 * which copy of overlapping bytes is kept when a segment overlaps queued data that was not
 * delivered yet. "original" = data queued first, "subsequent" = the new segment.
 * In-order data is delivered at once (like Suricata's inline mode), so bytes already handed
 * to the app are never replaced: a later overlap of delivered data is counted (overlaps,
 * overlaps_diff only for queued data) and dropped, whatever the policy.
 */
enum tcp_overlap_policy {
	TCP_OVERLAP_FIRST = 0, /* original always wins (Suricata "first") */
	TCP_OVERLAP_LAST, /* subsequent always wins (Suricata "last") */
	TCP_OVERLAP_BSD, /* original wins unless the subsequent begins before it */
	TCP_OVERLAP_LINUX, /* BSD, and also the subsequent wins when it begins at the same
				* sequence as the original and ends after it */
	TCP_OVERLAP_MAX,
};

/* Suricata's TCP state names (flow event tcp.state). */
enum tcp_state {
	TCP_STATE_NONE = 0,
	TCP_STATE_SYN_SENT,
	TCP_STATE_SYN_RECV,
	TCP_STATE_ESTABLISHED,
	TCP_STATE_FIN_WAIT1,
	TCP_STATE_FIN_WAIT2,
	TCP_STATE_TIME_WAIT,
	TCP_STATE_LAST_ACK,
	TCP_STATE_CLOSE_WAIT,
	TCP_STATE_CLOSING,
	TCP_STATE_CLOSED,
	TCP_STATE_MAX,
};

struct tcp_reasm_config {
	bool midstream; /* pick up sessions without a handshake (default false) */
	bool async_oneside; /* accept sessions where only one direction is seen (default false) */
	enum tcp_overlap_policy policy; /* default TCP_OVERLAP_BSD (Suricata's default) */
	uint64_t depth; /* per-direction inspection depth in bytes, 0 = unlimited; 1 MiB */
	uint64_t memcap; /* bytes of queued (out-of-order) data per worker; 64 MiB */
	uint32_t max_queued_segments; /* per direction; beyond it the oldest hole becomes a gap */
};

struct tcp_reasm_stats {
	uint64_t sessions; /* sessions tracked */
	uint64_t midstream_pickups; /* sessions started without SYN */
	uint64_t midstream_ignored; /* packets of untracked (no handshake, midstream off) flows */
	uint64_t segments; /* data-carrying segments seen */
	uint64_t in_order; /* delivered straight from the packet (no copy) */
	uint64_t queued; /* copied into the out-of-order queue */
	uint64_t retransmissions; /* segments entirely of already seen data */
	uint64_t overlaps; /* segments overlapping queued or delivered data */
	uint64_t overlaps_diff; /* ... with different bytes */
	uint64_t gaps; /* APP_STREAM_GAP signalled */
	uint64_t gap_bytes;
	uint64_t memcap_hits; /* segments refused by the memory cap */
	uint64_t queue_limit_hits; /* segments refused by max_queued_segments */
	uint64_t depth_reached; /* directions that hit the depth */
	uint64_t rst, fin;
	uint64_t rst_invalid; /* RSTs outside the window: ignored (no close) */
	uint64_t ack_invalid; /* ACKs beyond the acker's window: no gap skipped */
	uint64_t out_of_window; /* segments ignored as too far from the expected sequence */
	uint64_t bad_handshake; /* packets that do not fit the handshake state */
	uint64_t mem_used; /* bytes currently queued (gauge) */
	uint64_t mem_peak;
};

struct tcp_segment; /* internal */

/* One direction of a session. Sequence numbers are absolute (wire); `base_seq` is the
 * sequence of stream offset 0. */
struct tcp_stream {
	uint32_t isn; /* initial sequence number (SYN's seq), valid when has_isn */
	uint32_t next_seq; /* next in-order byte to deliver */
	uint32_t fin_seq; /* sequence of the FIN (valid when fin_seen) */
	uint32_t last_ack; /* highest ack sent by this side */
	uint64_t delivered; /* bytes delivered or skipped as gaps (stream offset of next_seq) */
	uint32_t wscale; /* window scale from this side's SYN (wscale_seen) */
	uint32_t window; /* last advertised receive window, scaled, in bytes */
	uint8_t flags; /* TCP flags seen from this side */
	bool has_isn, has_base, fin_seen, eof_sent, depth_reached, rst_seen, wscale_seen;
	uint32_t nseg; /* queued segments */
	struct tcp_segment *segs; /* out-of-order queue sorted by seq, non-overlapping */
};

/* Per-flow TCP state, embedded in struct flow. Zeroed = no session yet. */
struct tcp_session {
	struct tcp_stream s[2]; /* indexed by APP_DIR_* (0 = client → server) */
	uint8_t state; /* enum tcp_state */
	bool tracked; /* reassembling (false: midstream off and no handshake) */
	bool midstream; /* picked up without handshake */
	bool four_whs; /* server answered SYN with SYN (split handshake) */
	bool established_seen; /* the 3WHS (or a pickup) completed at some point */
};

/* A worker's reassembly context: config, counters and the memory accounting. */
struct tcp_reasm {
	struct tcp_reasm_config cfg;
	struct tcp_reasm_stats st;
};

void tcp_reasm_config_init(struct tcp_reasm_config *cfg);
void tcp_reasm_init(struct tcp_reasm *r, const struct tcp_reasm_config *cfg);
/* Frees nothing by itself: sessions must be freed with tcp_reasm_session_done(). */
void tcp_reasm_done(struct tcp_reasm *r);

/*
 * Process one TCP packet of flow `f` (whose `tcp` session is `s`) in direction `dir`
 * (APP_DIR_*): update the handshake state and deliver any newly in-order data of that
 * direction through ops->stream (data of packet p without copy when it is in order).
 * Never fails: refused data is counted and later reported as a gap.
 */
void tcp_reasm_packet(struct tcp_reasm *r, struct tcp_session *s, const struct packet *p, int dir,
		      const struct app_ops *ops, struct flow *f);

/* Deliver what is still queued in both directions (holes as gaps) and send the EOFs not sent
 * yet. Used when the flow ends. */
void tcp_reasm_flush(struct tcp_reasm *r, struct tcp_session *s, const struct app_ops *ops,
		     struct flow *f, uint64_t ts_us);

/* Free the queued segments of a session (no delivery) and zero it. */
void tcp_reasm_session_done(struct tcp_reasm *r, struct tcp_session *s);

/* Which side a first packet should make the client, for the flow table:
 * returns 0 if the sender of `p` is the client, 1 if the receiver is. See flow.h. */
int tcp_reasm_client_side(const struct packet *p);

/* Bytes direction `dir` has sent as Suricata counts them for stream_size: next_seq - ISN
 * (the SYN counts one) when the ISN is known, else the bytes delivered (midstream). */
uint64_t tcp_reasm_stream_bytes(const struct tcp_session *s, int dir);

const char *tcp_state_name(enum tcp_state st);
/* "first", "last", "bsd", "linux"; parse returns -EINVAL on an unknown name. */
const char *tcp_overlap_policy_name(enum tcp_overlap_policy p);
int tcp_overlap_policy_parse(const char *s, enum tcp_overlap_policy *ret);
