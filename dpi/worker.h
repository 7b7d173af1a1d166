/* SPDX-License-Identifier: GPL-2.0-only */
/* One DPI worker's pipeline: decode -> defrag -> flow table -> TCP reassembly -> app callbacks. */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "app.h"
#include "decode.h"
#include "defrag.h"
#include "flow.h"
#include "tcp_reasm.h"

struct worker_config {
	struct decode_config decode;
	struct defrag_config defrag;
	struct flow_table_config flow;
	struct tcp_reasm_config tcp;
	uint64_t housekeeping_us; /* how often (packet time) timeouts are checked; default 1 s */
};

struct worker_stats {
	uint64_t pkts; /* worker_process() calls */
	uint64_t bytes;
	uint64_t decode_errors; /* packets with a decode result other than OK/NOT_IP */
	/* bad L4 checksum (validation on): flow + packet callback only, no TCP state/stream */
	uint64_t csum_dropped;
	uint64_t no_flow; /* packets without a flow (cap) */
	struct decode_stats decode;
	struct defrag_stats defrag;
	struct flow_stats flow;
	struct tcp_reasm_stats tcp;
};

struct worker;

/* Defaults: checksums on, midstream off, async-oneside off, overlap bsd, depth 1 MiB,
 * reassembly memcap 64 MiB, 65536 flows, defrag 16 MiB. */
void worker_config_init(struct worker_config *cfg);

/*
 * Apply one Suricata-style `--set KEY=VALUE` to cfg. Keys: stream.midstream,
 * stream.async-oneside (bool), stream.reassembly.depth, stream.reassembly.memcap,
 * defrag.memcap, flow.memcap (sizes: "1mb", "64kb", plain bytes, 0 = unlimited depth;
 * flow.memcap becomes max_flows = bytes / sizeof(struct flow)),
 * stream.reassembly.overlap-policy (first|last|bsd|linux), flow.max-flows, flow.hash-size,
 * defrag.timeout / flow.timeouts.<tcp|udp|icmp|default>.<new|established|closed> (seconds).
 * Returns 0, -ENOENT for an unknown key (caller may handle it elsewhere) or -EINVAL for a bad
 * value (message in err).
 */
int worker_config_set(struct worker_config *cfg, const char *key, const char *value, char *err,
		      size_t errlen);

/* `ops` is copied. Returns NULL on allocation failure. */
struct worker *worker_new(const struct worker_config *cfg, const struct app_ops *ops);

/*
 * Process one captured frame. Never fails on bad input: returns the enum decode_result of
 * the frame (DECODE_OK or why it was dropped, to report with pkt_num) after counting it.
 * Timestamps drive timeouts (offline mode uses capture time).
 */
int worker_process(struct worker *w, int linktype, const uint8_t *frame, size_t len, uint64_t ts_us,
		   uint64_t pkt_num);

/* Expire flows and fragments idle at now_us; with now_us == UINT64_MAX (end of input) end
 * every flow with FLOW_END_SHUTDOWN. */
void worker_flush(struct worker *w, uint64_t now_us);

/* Counters (snapshot refreshed by this call). */
const struct worker_stats *worker_stats(struct worker *w);

/* Ends all flows (FLOW_END_SHUTDOWN, callbacks run) and frees; accepts NULL. */
void worker_free(struct worker *w);
