/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Detection in the packet pipeline: wraps the application layer's callbacks (dpi/app.h) so
 * that every packet, the stream data it released and every HTTP transaction go through the
 * rules room's matcher (rules/rules.h), and writes Suricata-shaped EVE alert events through
 * the application layer's writer.
 */
#pragma once

#include <stdint.h>

#include "dpi/dpi.h"
#include "rules/rules.h"

struct detect_glue_stats {
	uint64_t alerts; /* alert events written */
	uint64_t runs; /* detect_run() calls */
	uint64_t errors; /* detect_run() failures (Hyperscan) */
	uint64_t passed; /* inspections where a pass rule matched (flow passed) */
	uint64_t alloc_failures; /* per-flow state not allocated: flow not inspected */
	uint64_t stream_refused; /* stream bytes past DETECT_GLUE_STREAM_MAX per packet or
				    DETECT_GLUE_MEMCAP in all: not inspected */
	uint64_t memcap_hits; /* buffer growths refused by DETECT_GLUE_MEMCAP */
	uint64_t http_buf_refused; /* HTTP buffers past DETECT_GLUE_HTTP_MAX: left out */
};

/* Stream bytes one packet can release for inspection before the rest is refused, the tail
 * of already inspected bytes kept per direction, and the cap of one built HTTP buffer. */
#define DETECT_GLUE_STREAM_MAX (4u << 20)
#define DETECT_GLUE_TAIL 2048u
#define DETECT_GLUE_HTTP_MAX (256u << 10)
/* All flows' stream buffers together (a flow with data holds 4 KiB between packets). */
#define DETECT_GLUE_MEMCAP ((size_t)256 << 20)

struct detect_glue;

/* RS is borrowed (must outlive the glue); A is borrowed. Sets A's tx hook. Returns 0 or
 * -ENOMEM / detect_ctx_new() errors. */
int detect_glue_new(const struct ruleset *rs, struct app_layer *a, struct detect_glue **ret);
void detect_glue_free(struct detect_glue *g);
/*
 * Inspect with RS from the next packet on (live reload): a new per-worker context; flows keep
 * their state (their flowbits restart, see detect_flow_new()). RS is borrowed. On failure the
 * old ruleset stays in use. Returns 0 or detect_ctx_new() errors.
 */
int detect_glue_set_ruleset(struct detect_glue *g, const struct ruleset *rs);
/* Thresholds and xbits in H (borrowed; for the current ruleset's contexts, see
 * detect_hosts_new()): live workers share one per ruleset generation. Call after
 * detect_glue_new() and after each detect_glue_set_ruleset(). */
void detect_glue_set_hosts(struct detect_glue *g, struct detect_hosts *h);

/*
 * Called for every alert written (not for pass or noalert matches), from the worker's thread,
 * with the rule and the flow's client address (family 4 or 6, network order): the source
 * live mode scores. For response-side alerts too: the client asked for what matched.
 */
typedef void (*detect_glue_alert_hook)(void *ctx, const struct rule_info *ri, int family,
				       const uint8_t *client);
void detect_glue_set_alert_hook(struct detect_glue *g, detect_glue_alert_hook hook, void *ctx);

/* Alerts carry in_iface NAME (borrowed; live mode points it at the current packet's interface
 * name, which it keeps up to date); NULL (default): omitted, as offline. */
void detect_glue_set_in_iface(struct detect_glue *g, const char *name);

/* The callbacks to give worker_new() instead of app_layer_ops()'s. */
void detect_glue_ops(struct detect_glue *g, struct app_ops *ret_ops);
const struct detect_glue_stats *detect_glue_stats(const struct detect_glue *g);
/* The SecRule part's counters, or NULL when the ruleset has no SecRules. */
struct msc_glue_stats;
const struct msc_glue_stats *detect_glue_msc_stats(const struct detect_glue *g);
