/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SecRule (ModSecurity) engine's door: *.conf files loaded by ruleset_load() beside
 * Suricata rules, evaluated per HTTP transaction over a struct msc_request (msc_request.h).
 *
 * Threading: the struct msc_ruleset inside a struct ruleset is read-only once loaded and
 * shared; each worker owns one struct msc_ctx (Hyperscan scratch, PCRE2 match data, the
 * transformation cache, the ip collection store); each transaction owns one struct msc_tx
 * (TX collection, ctl changes, interception state). None of these is thread-safe.
 *
 * Quoting follows ModSecurity v2 (the CRS's reference, and Apache's configuration parser):
 * inside a double-quoted directive argument, \" is a quote and \\ one backslash; every other
 * backslash is kept. So "@rx a\\\\b" looks for a\\b (v3 would look for a\\\\b).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msc_request.h"

struct ruleset;
struct msc_ruleset;

enum msc_engine_mode { MSC_ENGINE_OFF = 0, MSC_ENGINE_DETECTION_ONLY, MSC_ENGINE_ON };

/* Configuration directives (the values the HTTP layer needs to fill msc_request). */
struct msc_config {
	uint8_t engine; /* enum msc_engine_mode; default DetectionOnly */
	bool request_body_access; /* SecRequestBodyAccess (default Off) */
	bool response_body_access;
	uint64_t request_body_limit; /* SecRequestBodyLimit, default 13107200 */
	uint64_t request_body_nofiles_limit; /* default 131072 */
	bool request_body_limit_reject; /* SecRequestBodyLimitAction Reject (else ProcessPartial) */
	char argument_separator; /* SecArgumentSeparator, default '&' */
	int cookie_format; /* SecCookieFormat 0 or 1 */
	uint64_t pcre_match_limit, pcre_match_limit_recursion;
};

struct msc_stats {
	size_t rules; /* chains loaded (SecRule/SecAction) */
	size_t links; /* SecRule/SecAction lines, chained links included */
	size_t markers;
	size_t unsupported, invalid; /* chains skipped */
	size_t files;
	size_t rx, rx_jit; /* @rx compiled, and of them JIT-compiled */
	size_t rx_hs; /* @rx links prefiltered by a Hyperscan group scan */
	size_t pm_sets; /* @pm/@pmFromFile Hyperscan literal sets */
	size_t disabled; /* chains left out: ruleset_opts.disabled names their id */
};

/* The SecRule part of RS, or NULL when no *.conf file was loaded. */
const struct msc_ruleset *ruleset_msc(const struct ruleset *rs);
const struct msc_config *msc_ruleset_config(const struct msc_ruleset *m);
const struct msc_stats *msc_ruleset_stats(const struct msc_ruleset *m);

struct msc_ctx;
struct msc_tx;

/* Caps of the per-worker state. */
#define MSC_TX_VARS_MAX 1024 /* TX variables of one transaction */
#define MSC_VALUE_MAX (64u << 10) /* bytes of one collection value */
#define MSC_TCACHE_MAX (16u << 20) /* bytes of cached transformed values per phase */
#define MSC_IP_ENTRIES_MAX 4096 /* ip collection records per worker */
#define MSC_MATCHED_MAX 256 /* MATCHED_VARS entries per rule */
#define MSC_VCACHE_ENTRIES 16384 /* Hyperscan group verdicts kept across transactions */
#define MSC_VCACHE_VALUE_MAX 512 /* bytes of a value whose verdicts are kept */

struct msc_ctx_stats {
	uint64_t txs, phases, rules_evaluated, matches, alerts;
	uint64_t tcache_hits, tcache_misses, tcache_refused;
	uint64_t rx_errors; /* PCRE2 errors (match limit ...): counted as no match */
	uint64_t rx_runs, rx_skipped; /* PCRE2 runs; @rx Hyperscan ruled out */
	uint64_t hs_scans; /* Hyperscan group scans (@rx/@pm groups, the groups of phrases) */
	uint64_t vcache_hits; /* group scans answered by the verdict cache (msc_ctx_vcache) */
	uint64_t vcache_rx_hits; /* PCRE2 runs answered by it: no match for that value */
	uint64_t rx_links_skipped; /* @rx/@pm links not run: no value of their list may match */
	uint64_t links_class_out; /* links not run: no value holds a byte class their operator
				   * needs (nor one their transformations act on) */
	uint64_t rx_precheck_out; /* @rx not run: the value is shorter than any match or lacks
				   * a code unit every match holds (PCRE2's own first checks) */
	uint64_t tx_vars_refused, ip_refused, matched_refused, value_truncated;
	uint64_t body_limit_hits; /* bodies over a limit under SecRequestBodyLimitAction Reject */
};

int msc_ctx_new(const struct msc_ruleset *m, struct msc_ctx **ret);
void msc_ctx_free(struct msc_ctx *c);
const struct msc_ctx_stats *msc_ctx_stats(const struct msc_ctx *c);

/*
 * The verdict cache: a Hyperscan group's answer for a value (which of its patterns may match)
 * and PCRE2's "no match" of an @rx depend on the value's bytes alone, and most values of
 * real traffic (header names and values, cookie names, common arguments) come again and
 * again. The context keeps those answers for values of up to MSC_VCACHE_VALUE_MAX bytes,
 * MSC_VCACHE_ENTRIES of them (least recently used out), each with a copy of its value
 * (compared in full: the hash is not trusted). A match is never taken from it (captures and
 * MATCHED_VAR come from the run). On by default; this empties it and turns it on or off.
 */
void msc_ctx_vcache(struct msc_ctx *c, bool on);

/* A new transaction. NOW_US is the time used for expirevar and DURATION. */
int msc_tx_new(struct msc_ctx *c, uint64_t now_us, struct msc_tx **ret);
/* Free TX (before its context; the context keeps one for reuse). */
void msc_tx_free(struct msc_tx *tx);

/* A logged rule match (a whole chain for chained rules). Strings live until the next call
 * into the engine. */
struct msc_alert {
	uint32_t id;
	int phase;
	const char *msg; /* expanded; "" when the rule has none */
	const char *logdata; /* expanded; NULL when the rule has none */
	int severity; /* ModSecurity's 0 (EMERGENCY) .. 7 (DEBUG), -1 none */
	const char *const *tags;
	size_t n_tags;
	const char *ver, *rev;
	int64_t anomaly_score; /* TX:ANOMALY_SCORE, else the sum of TX:ANOMALY_SCORE_PL1..4 */
	bool disruptive; /* deny/drop/redirect under SecRuleEngine On: the tx is intercepted */
	bool blocking; /* the rule's disruptive action is deny/drop/redirect (executed or, under
			* DetectionOnly, only detected): a decision, e.g. CRS 949110 */
	int status; /* HTTP status of the disruptive action (0 none) */
};

typedef void (*msc_alert_cb)(void *user, const struct msc_alert *a);

/*
 * Run PHASE (1..5) of TX over REQ (the fields the HTTP layer has so far): 1 request
 * headers, 2 request body, 3 response headers, 4 response body, 5 logging. CB gets every
 * logged match. After an interception only phase 5 runs. Returns 0 or -errno (-ENOMEM).
 */
int msc_tx_run_phase(struct msc_ctx *c, struct msc_tx *tx, int phase, const struct msc_request *req,
		     msc_alert_cb cb, void *user);

/* What phase 1 decided for the body: ctl:requestBodyProcessor (MSC_BODY_AUTO when not
 * set), ctl:forceRequestBodyVariable, ctl:requestBodyAccess. */
enum msc_body_processor msc_tx_body_processor(const struct msc_tx *tx);
bool msc_tx_force_body_variable(const struct msc_tx *tx);
bool msc_tx_request_body_access(const struct msc_tx *tx);
/* Intercepted by a disruptive action (its HTTP status, 403 default), or 0. */
int msc_tx_intercepted(const struct msc_tx *tx);
/* A TX variable's value as text (NAME case-insensitive), or NULL. */
const char *msc_tx_get(const struct msc_tx *tx, const char *name);

/* Severity names (EMERGENCY .. DEBUG), NULL outside 0..7. */
const char *msc_severity_name(int sev);
