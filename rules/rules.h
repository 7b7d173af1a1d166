/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The rules room's door: load Suricata rule files into a compiled, immutable ruleset and
 * match inspection buffers (packet payload, stream, HTTP transaction fields) against it.
 *
 * Threading: a struct ruleset is read-only once loaded and may be shared by any number of
 * workers. Each worker owns one struct detect_ctx (Hyperscan scratch, PCRE2 match data,
 * threshold and xbits tables) and each flow owns one struct detect_flow (flowbits,
 * flowints, per-transaction alert dedup); neither is thread-safe.
 *
 * How the packet pipeline calls it (one detect_run() per inspection point):
 *  - every decoded packet: pkt = addresses, ports, ttl, tcp flags, icmp type/code, dsize,
 *    direction and ESTABLISHED flags, app_proto, time; buf[DETECT_BUF_PKT] = its payload;
 *    for TCP, buf[DETECT_BUF_STREAM] = the in-order data reassembly released with this
 *    packet, preceded by a tail of already inspected bytes (stream_new_off of them, at
 *    least the longest pattern's length, e.g. 1 KiB) and DETECT_PKT_STREAM set. Packet
 *    rules (tcp-pkt, dsize, no_stream, udp/icmp/ip) read PKT, stream rules read STREAM.
 *  - each HTTP transaction step (request line+headers, request body chunk, response
 *    headers, response body chunk): the same pkt, has_tx and tx_id set, the HTTP buffers
 *    the transaction has so far (request buffers stay set while the response is inspected,
 *    so rules mixing both sides match); tx rules alert once per transaction and rule.
 *  - flow: the flow's struct detect_flow (NULL for flowless packets), freed with the flow.
 *  - the callback gets each match (rule_info: sid, rev, gid, msg, category, priority,
 *    action; noalert set for flowbits:noalert rules, which must not be logged); the caller
 *    writes the EVE alert with the packet's pcap_cnt and, for tx rules, tx_id and the http
 *    object. Thresholds and xbits are per worker (a by_src limit counts a source per
 *    worker); with symmetric flow hashing one flow always meets the same worker.
 *  - stream_size rules need DETECT_PKT_HAS_STREAM_SIZE and the session byte counts.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "msc_request.h"
#include "msc.h"

/* Inspection buffers. The pipeline fills those it has; absent ones are NULL. */
enum detect_buf {
	DETECT_BUF_PKT = 0, /* raw packet payload (pkt_data; udp/icmp/ip/tcp-pkt content) */
	DETECT_BUF_STREAM, /* reassembled TCP stream data (see stream_new_off) */
	/* HTTP request side */
	DETECT_BUF_HTTP_URI, /* normalized URI (libhtp's) */
	DETECT_BUF_HTTP_URI_RAW,
	DETECT_BUF_HTTP_METHOD,
	DETECT_BUF_HTTP_HOST, /* normalized (lowercase) hostname */
	DETECT_BUF_HTTP_HOST_RAW,
	DETECT_BUF_HTTP_REQUEST_LINE,
	DETECT_BUF_HTTP_USER_AGENT,
	DETECT_BUF_HTTP_REFERER,
	DETECT_BUF_HTTP_ACCEPT,
	DETECT_BUF_HTTP_ACCEPT_ENC,
	DETECT_BUF_HTTP_ACCEPT_LANG,
	DETECT_BUF_HTTP_REQUEST_BODY, /* dechunked, decompressed */
	DETECT_BUF_HTTP_HEADER, /* "Name: value\r\n" per header, Cookie excluded */
	DETECT_BUF_HTTP_HEADER_RAW,
	DETECT_BUF_HTTP_HEADER_NAMES, /* "\r\nName1\r\nName2\r\n\r\n" */
	DETECT_BUF_HTTP_COOKIE,
	DETECT_BUF_HTTP_CONTENT_TYPE,
	DETECT_BUF_HTTP_CONTENT_LEN,
	DETECT_BUF_HTTP_START, /* request line + headers, up to the empty line */
	DETECT_BUF_HTTP_PROTOCOL,
	DETECT_BUF_HTTP_CONNECTION,
	/* HTTP response side */
	DETECT_BUF_HTTP_STAT_CODE,
	DETECT_BUF_HTTP_STAT_MSG,
	DETECT_BUF_HTTP_RESPONSE_LINE,
	DETECT_BUF_HTTP_RESPONSE_BODY, /* file.data of responses */
	DETECT_BUF_HTTP_SERVER,
	DETECT_BUF_HTTP_LOCATION,
	DETECT_BUF_HTTP_HEADER_RESP,
	DETECT_BUF_HTTP_HEADER_RAW_RESP,
	DETECT_BUF_HTTP_HEADER_NAMES_RESP,
	DETECT_BUF_HTTP_COOKIE_RESP, /* Set-Cookie */
	DETECT_BUF_HTTP_CONTENT_TYPE_RESP,
	DETECT_BUF_HTTP_CONTENT_LEN_RESP,
	DETECT_BUF_HTTP_START_RESP,
	DETECT_BUF_HTTP_PROTOCOL_RESP,
	DETECT_BUF_HTTP_CONNECTION_RESP,
	DETECT_BUF_MAX
};

/* The name of a buffer as in rules ("http.uri", "pkt_data", ...). */
const char *detect_buf_name(enum detect_buf b);

enum rule_action {
	RULE_ACTION_ALERT = 0,
	RULE_ACTION_DROP,
	RULE_ACTION_REJECT,
	RULE_ACTION_PASS,
};

const char *rule_action_name(enum rule_action a);

/* What an alert consumer needs of a rule; stable while its ruleset lives. */
struct rule_info {
	uint32_t sid, gid, rev;
	enum rule_action action;
	int priority; /* from priority:, else the classtype's, else 3 */
	const char *msg;
	const char *classtype; /* short name, or NULL */
	const char *category; /* classtype description ("Attempted Information Leak"), or "" */
	bool tx_rule; /* inspects HTTP transaction buffers: alert once per tx */
	bool to_client; /* inspects the response side */
};

/* ---- loading ---- */

/* Variables ($HOME_NET, $HTTP_PORTS ...). Defaults are Suricata 7's suricata.yaml. */
struct rule_vars;
struct rule_vars *rule_vars_new(void); /* with Suricata's defaults; NULL on ENOMEM */
void rule_vars_free(struct rule_vars *v);
/* Set (or override) "NAME" (no '$') to "VALUE" (an address or port expression). */
int rule_vars_set(struct rule_vars *v, const char *name, const char *value);

enum rule_diag_kind {
	RULE_DIAG_INVALID = 0, /* malformed rule: skipped, counts as invalid */
	RULE_DIAG_UNSUPPORTED, /* protocol or keyword moat does not implement: skipped */
	RULE_DIAG_NOTE, /* informational (skipped file, duplicate sid, ...) */
};

struct rule_diag {
	enum rule_diag_kind kind;
	char *file;
	unsigned int line;
	uint32_t sid; /* 0 when unknown */
	char *message;
};

/* Diagnostics collected while loading. */
struct rule_diags {
	struct rule_diag *v;
	size_t n, cap;
	size_t dropped; /* refused past RULE_DIAGS_MAX */
};
#define RULE_DIAGS_MAX 200000

void rule_diags_done(struct rule_diags *d);

struct ruleset_stats {
	size_t loaded, unsupported, invalid;
	size_t files;
	size_t fast_patterns; /* distinct (pattern, case) pairs in the Hyperscan databases */
	size_t always; /* rules with no fast pattern (always evaluated when their buffers exist) */
	size_t ip_only; /* rules with no fast pattern prefiltered by their address list */
	size_t port_groups; /* pkt_data port groups (Suricata's per-port signature groups) */
	size_t cache_hits, cache_misses; /* Hyperscan databases read from / written to the cache */
	size_t cache_errors; /* cache files unreadable or unwritable (compiled instead) */
	size_t disabled; /* rules left out because ruleset_opts.disabled names them */
};

struct ruleset_opts {
	struct rule_vars *vars; /* NULL: Suricata defaults */
	const char *classification_file; /* NULL: the embedded Suricata table, plus any
					    classification.config beside the rule files */
	bool no_compile; /* parse only (for -T and the fuzzer): no Hyperscan databases */
	const char *cache_dir; /* NULL: no cache; else compiled databases are kept there, keyed
				  by a hash of their patterns and the Hyperscan version */
	bool msc_no_hs_prefilter; /* SecRules: no Hyperscan @rx groups (PCRE2 JIT only); by
				     default each transformed value is scanned once per group of
				     @rx (phase, transformations, target list), see msc_int.h */
	/* Rule ids left out of the ruleset, sorted ascending (an operator's `fwctl rules
	 * disable`): Suricata rules of gid 1 with that sid and SecRule chains with that id are
	 * dropped after parsing, as suricata-update's disable.conf and SecRuleRemoveById do,
	 * and counted in ruleset_stats.disabled. Borrowed for the load only. */
	const uint32_t *disabled;
	size_t n_disabled;
};

struct ruleset;

/*
 * Load rule paths (files, or directories whose *.rules and *.conf files load in lexical
 * order; *.conf files are ModSecurity's SecRules, see msc.h) and compile the ruleset.
 * Bad rules are reported in diags and skipped; the rest load. Returns 0, or -errno when a
 * path cannot be read or compilation fails (message in diags).
 */
int ruleset_load(const char *const *paths, size_t n_paths, const struct ruleset_opts *opts,
		 struct ruleset **ret, struct rule_diags *diags);

/* Load from a string (one rule per line, '\\' continuations), named `name` in diags. */
int ruleset_load_string(const char *text, const char *name, const struct ruleset_opts *opts,
			struct ruleset **ret, struct rule_diags *diags);

void ruleset_free(struct ruleset *rs);

/* The rule files of directory DIR in load order: names ending in ".rules" (Suricata) or
 * ".conf" (ModSecurity), sorted bytewise. *ret_names (free with rules_dir_list_free) holds
 * *ret_n names without the directory. Returns 0 or -errno (opendir's, -ENOMEM). */
int rules_dir_list(const char *dir, char ***ret_names, size_t *ret_n);
void rules_dir_list_free(char **names, size_t n);
void ruleset_get_stats(const struct ruleset *rs, struct ruleset_stats *ret);
size_t ruleset_count(const struct ruleset *rs);
const struct rule_info *ruleset_rule(const struct ruleset *rs, size_t idx);
/* Index of the rule with (gid, sid), or -ENOENT. */
int ruleset_find(const struct ruleset *rs, uint32_t gid, uint32_t sid);

/* Either engine's rule, for listings (fwctl rules list, alert messages). */
enum rule_kind {
	RULE_KIND_SURICATA = 0,
	RULE_KIND_SECRULE,
};

const char *rule_kind_name(enum rule_kind k); /* "suricata", "secrule" */

struct rule_desc {
	enum rule_kind kind;
	uint32_t gid; /* Suricata's; 0 for SecRules */
	uint32_t sid; /* Suricata sid or SecRule id */
	uint32_t rev; /* Suricata's; 0 for SecRules */
	const char *action; /* alert/drop/reject/pass; SecRules: pass/block/deny/drop/allow/
			       redirect, or "default" (the phase's SecDefaultAction) */
	int priority; /* Suricata's 1..4; SecRules: severity 0..7, -1 none */
	const char *msg; /* "" when none (SecRules: as written, macros unexpanded) */
	const char *file; /* where it was loaded from ("?" when unknown) */
	unsigned int line;
	const char *classtype, *category; /* Suricata's (NULL when none / for SecRules) */
};

/* Calls CB for every loaded rule: Suricata rules in evaluation order, then SecRule chains
 * in load order (markers skipped), until CB returns non-zero. Returns how many CB saw. The
 * strings live as long as RS. */
size_t ruleset_foreach_rule(const struct ruleset *rs,
			    int (*cb)(void *ctx, const struct rule_desc *d), void *ctx);
/* The Suricata rule of gid 1 with this sid, else the SecRule chain with this id: 0 and
 * *ret filled, or -ENOENT. */
int ruleset_lookup(const struct ruleset *rs, uint32_t sid, struct rule_desc *ret);

/*
 * `moatd -T`: load paths without traffic, print one "file:line: sid N: message" per problem
 * to out, then "rules: N loaded, M skipped (unsupported), K invalid". Returns the exit code:
 * 0 when no rule is invalid, 1 otherwise (Suricata -T fails on any invalid signature;
 * unsupported ones are skipped, not failures); 2 when a path cannot be read.
 */
int rules_check(const char *const *paths, size_t n_paths, struct rule_vars *vars, FILE *out);

/* ---- matching ---- */

enum detect_pkt_flags {
	DETECT_PKT_TO_SERVER = 1u << 0,
	DETECT_PKT_TO_CLIENT = 1u << 1,
	DETECT_PKT_ESTABLISHED = 1u << 2, /* flow's 3-way handshake completed (or UDP reply) */
	DETECT_PKT_STATELESS = 1u << 3, /* no flow tracking for this packet */
	DETECT_PKT_STREAM = 1u << 4, /* buf[DETECT_BUF_STREAM] holds reassembled data */
	DETECT_PKT_FRAG = 1u << 5, /* reassembled from IP fragments */
	DETECT_PKT_HAS_ICMP = 1u << 6,
	DETECT_PKT_HAS_TCP = 1u << 7,
	DETECT_PKT_HAS_STREAM_SIZE = 1u << 8, /* stream_bytes_* are set (TCP session known) */
};

enum detect_app_proto {
	DETECT_APP_UNKNOWN = 0, /* not (yet) detected */
	DETECT_APP_HTTP,
	DETECT_APP_FAILED, /* detection gave up */
	DETECT_APP_OTHER,
};

/* One packet (or one stream chunk, or one HTTP transaction step) to inspect. */
struct detect_packet {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t ip_proto; /* IPPROTO_TCP, ... */
	uint8_t src[16], dst[16]; /* network byte order */
	uint16_t sport, dport; /* host byte order */
	uint8_t ttl;
	uint8_t tcp_flags; /* FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80 */
	uint8_t icmp_type, icmp_code;
	uint32_t flags; /* enum detect_pkt_flags */
	enum detect_app_proto app_proto;
	uint32_t dsize; /* payload size of the packet itself */
	uint64_t ts_usec; /* packet time, for thresholds and xbits expiry */
	/* TCP bytes each side has sent, as Suricata counts them (next_seq - isn: the SYN
	 * counts one), for stream_size. */
	uint64_t stream_bytes_toserver, stream_bytes_toclient;
};

struct detect_input {
	struct detect_packet pkt;
	struct {
		const uint8_t *data; /* NULL: absent */
		size_t len;
	} buf[DETECT_BUF_MAX];
	/* Bytes at the start of buf[DETECT_BUF_STREAM] that an earlier call already
	 * inspected, passed again so that patterns split across chunks are found; a stream
	 * match must end past them, so the same data never alerts twice. */
	size_t stream_new_off;
	/*
	 * Optional (stream_tracked): the stream buffer continues the one inspected before in
	 * its direction. stream_abs is the offset of buf[DETECT_BUF_STREAM].data[0] in that
	 * direction's byte sequence, stream_keep how many of this buffer's last bytes the
	 * next buffer of the direction starts with (its stream_new_off). The matcher then
	 * scans only the new bytes (plus the longest fast pattern's length) and remembers,
	 * per flow and direction, which fast patterns the kept bytes hold. Needs a flow.
	 */
	bool stream_tracked;
	uint8_t stream_dir; /* 0 or 1 */
	uint64_t stream_abs;
	size_t stream_keep;
	uint64_t tx_id; /* HTTP transaction id when HTTP buffers are set */
	bool has_tx;
};

struct detect_alert {
	const struct rule_info *rule;
	size_t rule_idx;
	bool noalert; /* matched but must not be logged (flowbits:noalert, noalert) */
};

/* Called once per matching rule; return nonzero to stop inspecting this input. */
typedef int (*detect_alert_cb)(void *user, const struct detect_input *in,
			       const struct detect_alert *a);

struct detect_ctx_stats {
	uint64_t scans, candidates, matches, alerts;
	uint64_t pcre_limit_hits; /* PCRE2 match/depth limit reached: counted as no match */
	uint64_t inspect_budget_hits; /* content backtracking budget exhausted: no match */
	uint64_t threshold_refused; /* threshold table full: event let through */
	uint64_t tx_dedup_refused; /* per-flow tx alert list full: may alert twice */
	uint64_t xbits_refused; /* xbits table full: the bit was not set */
	uint64_t transform_refused; /* buffer too long for a transform: rule not matched */
	uint64_t stream_scan_bytes; /* stream bytes given to Hyperscan */
	uint64_t carry_overflows; /* stream carry full: the next input is scanned whole */
	uint64_t carry_refused; /* stream carry not allocated: scanned whole */
};

struct detect_ctx;
struct detect_flow;

/* Per-worker context bound to one ruleset. */
int detect_ctx_new(const struct ruleset *rs, struct detect_ctx **ret);
void detect_ctx_free(struct detect_ctx *ctx);

/*
 * Host-scoped detection state: threshold/detection_filter counters (by_src, by_dst,
 * by_both, by_rule) and xbits (ip_src, ip_dst, ip_pair), which Suricata keeps in its host
 * table, global to its threads. A context makes its own on first use unless given one with
 * detect_ctx_set_hosts(): the live daemon's workers, which own different flows of the same
 * hosts, share one per ruleset generation, so a scan spread over the workers counts once.
 * Entries are keyed by rule index: a state is for the contexts of one ruleset. Thread-safe
 * (a mutex, taken only by rules with a threshold or xbits that matched).
 */
struct detect_hosts;
int detect_hosts_new(struct detect_hosts **ret);
void detect_hosts_free(struct detect_hosts *h);
/* Use H (borrowed: it must outlive CTX) instead of CTX's own host state. */
void detect_ctx_set_hosts(struct detect_ctx *ctx, struct detect_hosts *h);
void detect_ctx_get_stats(const struct detect_ctx *ctx, struct detect_ctx_stats *ret);

/* Per-flow state (flowbits, tx alert dedup). Bound to a ruleset generation: a flow that
 * meets a newer ruleset starts with empty flowbits. */
struct detect_flow *detect_flow_new(void);
void detect_flow_free(struct detect_flow *f);

/*
 * Inspect one input: Hyperscan over every present buffer, then every candidate rule fully
 * verified (header, flow, every buffer's content program, flowbits, thresholds). flow may
 * be NULL (stateless). Calls cb per match in rule order. Returns the number of matches, or
 * -errno (Hyperscan failure).
 */
int detect_run(struct detect_ctx *ctx, struct detect_flow *flow, const struct detect_input *in,
	       detect_alert_cb cb, void *user);
