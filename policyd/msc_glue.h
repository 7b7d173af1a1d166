/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * SecRule evaluation of HTTP transactions: fills struct msc_request from libhtp's
 * transaction (dpi/msc_vars.h), runs the phases of the SecRule engine (rules/msc.h) at the
 * transaction's inspection points and writes every logged match as an EVE alert.
 * Called by the detection glue (detect_glue.c); one per worker, not thread-safe.
 */
#pragma once

#include <stdint.h>

#include "dpi/dpi.h"
#include "rules/rules.h"

struct msc_glue_stats {
	uint64_t txs; /* transactions evaluated */
	uint64_t alerts; /* alert events written */
	uint64_t intercepted; /* transactions a disruptive action stopped (SecRuleEngine On) */
	uint64_t errors; /* engine or variable errors (allocation), write failures */
	uint64_t dropped_on_swap; /* transactions in progress when the ruleset changed */
};

struct msc_glue;
/* M and A are borrowed. Returns 0 or -ENOMEM. */
int msc_glue_new(const struct msc_ruleset *m, struct app_layer *a, struct msc_glue **ret);
void msc_glue_free(struct msc_glue *g);
/* Bind G to another ruleset's SecRules (M NULL: none, transactions are then ignored). The
 * transactions in progress are freed unreported (counted): they belong to the old ruleset,
 * which the caller frees after this returns. Returns 0, or -errno with nothing changed. */
int msc_glue_set_ruleset(struct msc_glue *g, const struct msc_ruleset *m);

/*
 * One step of transaction TX of flow F (the app layer's tx hook): phases 1-2 the first time
 * the transaction is seen, 3-4 once its response exists, 5 when it is complete. *SLOT is
 * the flow's SecRule state (NULL at first), kept by the caller with the flow. PCAP_CNT is
 * the packet that completed this step (0: none).
 */
void msc_glue_tx(struct msc_glue *g, struct flow *f, void **slot, const struct http_tx *tx,
		 json_t *http_obj, uint64_t ts_us, uint64_t pcap_cnt);
/* Flow F ends (its app state is gone): finish a pending transaction (phase 5) and free
 * *SLOT. */
void msc_glue_flow_end(struct msc_glue *g, struct flow *f, void **slot);
const struct msc_glue_stats *msc_glue_stats(const struct msc_glue *g);

/*
 * Decisions worth an offender score, in the shape of detect_glue's alert hook: every logged
 * match of a blocking rule (deny/drop/redirect: the CRS's 949110 anomaly decision, executed
 * or, under DetectionOnly, only detected), as a rule_info with the rule id as sid, priority
 * from the ModSecurity severity, and action RULE_ACTION_DROP when the transaction was
 * intercepted (SecRuleEngine On: the live daemon bans at once), else RULE_ACTION_ALERT.
 * Individual CRS detections (block = pass in anomaly mode) are not fed: they are summed into
 * 949110. IN_IFACE (borrowed, may be NULL) is written as alerts' in_iface.
 */
struct rule_info;
typedef void (*msc_glue_decision_hook)(void *ctx, const struct rule_info *ri, int family,
				       const uint8_t *client);
void msc_glue_set_hook(struct msc_glue *g, msc_glue_decision_hook hook, void *ctx);
void msc_glue_set_in_iface(struct msc_glue *g, const char *in_iface);

/* Request body bytes kept per transaction for SecRules (memory bound per transaction). */
#define MSC_GLUE_BODY_KEEP_MAX (1u << 20)
/*
 * The request body limit the HTTP layer needs for SecRule set M (NULL: none loaded): BASE
 * (the configured libhtp limit, 0 = unlimited) raised to M's SecRequestBodyLimit, which
 * decides how much body the SecRules see (ModSecurity processes the first LIMIT bytes with
 * ProcessPartial), capped at MSC_GLUE_BODY_KEEP_MAX.
 */
uint64_t msc_glue_body_limit(const struct msc_ruleset *m, uint64_t base);
