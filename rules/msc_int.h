/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SecRule (ModSecurity) engine's internals, shared by its loader (msc_parse.c), its
 * compiler (msc_compile.c) and its evaluator (msc_eval.c). The door is rules/msc.h.
 */
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <hs/hs.h>
#include <pcre2.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msc.h"
#include "rules.h"

/* Hard caps of the loader (anything over them is a file:line error). */
#define MSC_RULE_TFN_MAX 16 /* transformations of one rule */
#define MSC_TARGETS_MAX 64 /* variables of one rule */
#define MSC_CHAIN_MAX 16 /* links of one chain */
#define MSC_INCLUDE_DEPTH 8
#define MSC_LINE_MAX (1u << 20) /* one directive, continuations joined */
#define MSC_PM_WORDS_MAX 100000 /* phrases of one @pm/@pmFromFile */

/* Kinds of variables. */
enum msc_vk {
	MSC_VK_FIELD = 0, /* req->f[idx] */
	MSC_VK_COLL, /* req->c[idx] values, keyed by name */
	MSC_VK_COLL_NAMES, /* req->c[idx] names */
	MSC_VK_ARGS, /* ARGS_GET + ARGS_POST */
	MSC_VK_ARGS_NAMES,
	MSC_VK_TX,
	MSC_VK_IP,
	MSC_VK_GLOBAL,
	MSC_VK_MATCHED_VAR,
	MSC_VK_MATCHED_VAR_NAME,
	MSC_VK_MATCHED_VARS,
	MSC_VK_MATCHED_VARS_NAMES,
	MSC_VK_ARGS_COMBINED_SIZE,
	MSC_VK_FILES_COMBINED_SIZE,
	MSC_VK_REQBODY_ERROR,
	MSC_VK_REQBODY_PROCESSOR,
	MSC_VK_MULTIPART_FLAG, /* idx: bit number of enum msc_multipart_flag */
	MSC_VK_REQUEST_BODY_LENGTH,
	MSC_VK_UNIQUE_ID,
	MSC_VK_DURATION,
	MSC_VK_RULE, /* macros only: %{RULE.id} ... */
	MSC_VK_XML,
	MSC_VK_ENV, /* always empty (no process environment is exposed) */
};

struct msc_target {
	uint8_t kind; /* enum msc_vk */
	uint8_t idx;
	bool exclude; /* !VAR */
	bool count; /* &VAR */
	bool excl_named; /* some exclusion (!VAR) of its rule names the same variable */
	/* 1 + bit of a TX/IP/GLOBAL /selector/ in the entries' verdict cache (kv.sel_*), 0 none */
	uint8_t sel_bit;
	char *key; /* literal selector, or NULL */
	pcre2_code *key_re; /* /regex/ selector, or NULL */
	bool key_re_jit; /* KEY_RE is JIT-compiled */
	/* KEY_RE when it is a literal (/__utm/, /^header_name_/, /rfi_parameter_.*(slash)):
	 * matched as a caseless substring (or prefix) without PCRE2; kind 0: not a literal */
	uint8_t key_lit_kind, key_lit_len;
	char key_lit[40];
	char *text; /* as written (without ! or &), for messages and ctl matching */
	const char *cname; /* the variable's name (static), for MATCHED_VAR_NAME */
	size_t key_len;
	uint32_t key_hash; /* msc_name_hash() of KEY: TX/IP/GLOBAL lookups hash no name */
	/* id (1..n_tmemo) of the same variable, selector and exclusions of its variable in a
	 * cached target list: collected once per phase for all such lists; 0: none */
	uint32_t memo;
};

/* A string with %{...} macros, split at load time. */
struct msc_mpart {
	char *lit; /* literal text, or NULL for a variable */
	size_t lit_len;
	struct msc_target var;
};
struct msc_macro {
	char *raw; /* as written; NULL when absent */
	size_t raw_len;
	uint32_t raw_hash; /* msc_name_hash() of RAW (a setvar's literal name) */
	struct msc_mpart *parts;
	size_t n;
	bool dynamic; /* holds at least one %{...} */
};

enum msc_opk {
	MSC_OP_RX = 0,
	MSC_OP_PM,
	MSC_OP_PMFROMFILE,
	MSC_OP_CONTAINS,
	MSC_OP_CONTAINS_WORD,
	MSC_OP_BEGINS_WITH,
	MSC_OP_ENDS_WITH,
	MSC_OP_STREQ,
	MSC_OP_EQ,
	MSC_OP_GE,
	MSC_OP_GT,
	MSC_OP_LT,
	MSC_OP_LE,
	MSC_OP_WITHIN,
	MSC_OP_IPMATCH,
	MSC_OP_VALIDATE_BYTE_RANGE,
	MSC_OP_VALIDATE_URL_ENCODING,
	MSC_OP_VALIDATE_UTF8,
	MSC_OP_DETECT_SQLI,
	MSC_OP_DETECT_XSS,
	MSC_OP_UNCONDITIONAL,
	MSC_OP_NOMATCH,
};

enum msc_disr {
	MSC_DISR_NONE = 0, /* not given: the default action's (chain starters) */
	MSC_DISR_PASS,
	MSC_DISR_BLOCK, /* the SecDefaultAction's disruptive action */
	MSC_DISR_DENY,
	MSC_DISR_DROP,
	MSC_DISR_ALLOW,
	MSC_DISR_REDIRECT,
};

enum msc_coll_id { MSC_COLL_TX = 0, MSC_COLL_IP, MSC_COLL_GLOBAL, MSC_COLL_MAX };

enum msc_setvar_op { MSC_SV_SET = 0, MSC_SV_ADD, MSC_SV_SUB, MSC_SV_DEL, MSC_SV_EXPIRE };

struct msc_setvar {
	uint8_t coll; /* enum msc_coll_id */
	uint8_t op;
	struct msc_macro name, value;
};

enum msc_ctl_kind {
	MSC_CTL_RULE_ENGINE = 0,
	MSC_CTL_REMOVE_BY_ID,
	MSC_CTL_REMOVE_BY_TAG,
	MSC_CTL_REMOVE_TARGET_BY_ID,
	MSC_CTL_REMOVE_TARGET_BY_TAG,
	MSC_CTL_BODY_PROCESSOR,
	MSC_CTL_FORCE_BODY,
	MSC_CTL_REQUEST_BODY_ACCESS,
	MSC_CTL_IGNORED, /* auditLogParts, auditEngine, debugLogLevel: logging only */
};

struct msc_ctl {
	uint8_t kind;
	int value; /* engine mode, body processor, bool */
	uint32_t id_lo, id_hi; /* ruleRemoveById / *TargetById */
	char *tag; /* ByTag: the tag (string compare, as ModSecurity v2) */
	struct msc_target target; /* Target*: the variable to remove */
};

struct msc_rule {
	uint32_t id;
	uint8_t phase; /* 1..5 */
	bool is_action; /* SecAction: matches unconditionally */
	bool is_marker; /* SecMarker */
	char *marker;

	struct msc_target *t;
	size_t n_t;

	uint8_t op;
	bool op_neg;
	char *op_arg;
	size_t op_arg_len;
	struct msc_macro op_macro; /* when the argument holds %{...} */
	pcre2_code *re;
	bool re_jit; /* RE is JIT-compiled: matched with pcre2_jit_match() */
	uint32_t re_minlen; /* PCRE2_INFO_MINLENGTH of RE: shorter values cannot match */
	/* code units every match of RE holds (PCRE2_INFO_FIRSTCODEUNIT, _LASTCODEUNIT), -1 none:
	 * a value without them (either case for ASCII letters) cannot match */
	int16_t re_unit[2];
	/* the byte classes (msc_tfn_classes) of the bytes a match of RE can start with
	 * (PCRE2_INFO_FIRSTBITMAP, when there is no single first code unit), 0 when not known: a
	 * value with none of them cannot match (pcre2_match() looks for such a byte first) */
	uint32_t re_first_cls;
	/* classes (msc_tfn_classes) a value must hold for the operator to match, one of each
	 * nonzero mask: @rx's first bytes and its required code units that have a class,
	 * @validateByteRange's bytes out of range, @validateUrlEncoding's '%', @validateUtf8's
	 * bytes >= 0x80 (list_has_needed_class) */
	uint32_t need_cls[3];
	/* 1 + its bit in the verdict cache's "no match" words (msc_ruleset.n_rx_vidx of them):
	 * an @rx compiled at load, a multiMatch @detectSQLi/@detectXSS; 0: none */
	uint32_t rx_vidx;
	hs_database_t *pm_db;
	char **pm_words;
	size_t n_pm;
	int64_t num;
	struct msc_byte_range *br;
	uint32_t rx_group; /* 1 + index of its Hyperscan group (@rx, @pm); 0: none */
	uint32_t rx_bit; /* this pattern's id in the group */
	/* @pm: 1 + index of its phase's group of phrases, scanned on values as they came; 0:
	 * none. It answers for a value without the classes PM_PLAIN_TRIG (msc_tfn_trigger() of
	 * the link's transformations but trailing lowercase/uppercase, which a caseless phrase
	 * does not see): the link's transformations leave it as it came, up to ASCII case */
	uint32_t pm_plain, pm_plain_bit, pm_plain_trig;
	struct msc_ipset *ipset;

	uint8_t tfn[MSC_RULE_TFN_MAX]; /* enum msc_tfn, defaults included */
	uint8_t n_tfn;
	uint32_t tfn_key[MSC_RULE_TFN_MAX]; /* id of each prefix of tfn[] (cache key) */
	/* msc_tfn_trigger() classes of each prefix of tfn[]: a value with none of them is
	 * its own result under that prefix */
	uint32_t tfn_trig[MSC_RULE_TFN_MAX];
	char *tfn_names; /* names as written, NUL-separated, resolved by msc_compile */

	/* actions */
	struct msc_macro msg, logdata;
	int severity; /* 0..7, -1 none */
	char **tags;
	size_t n_tags;
	char *ver, *rev, *maturity, *accuracy;
	uint8_t disr;
	uint8_t block_as; /* what 'block' means for this rule: its phase's default action */
	int status;
	int8_t log; /* -1 inherit from the default action */
	bool capture, multi_match, chain, auditlog;
	bool next_reads_mvars; /* the chained link reads MATCHED_VARS(_NAMES) */
	bool has_exclusions; /* some target is !VAR */
	/* TX variables by name, or their counts (&TX:name), against a constant number
	 * (@eq/@ge/@gt/@lt/@le), no transformations: evaluated without the element list
	 * (eval_tx_cmp) */
	bool tx_cmp;
	uint32_t tlist; /* id of its target list when made of request variables only, or 0 */
	int skip;
	char *skip_after;
	struct msc_setvar *sv;
	size_t n_sv;
	struct msc_ctl *ctl;
	size_t n_ctl;
	struct msc_macro initcol_ip;
	bool has_initcol_ip;

	struct msc_rule *next; /* chained link */
	struct msc_rule *starter; /* first link of the chain (self for a starter) */
	bool removed; /* SecRuleRemoveBy* at configuration time */
	char *file;
	unsigned int line;
};

/*
 * The @rx patterns of one phase whose links apply the same transformations, compiled
 * together in Hyperscan prefilter mode: one scan of a transformed value tells which of them
 * can match; PCRE2 confirms those (and sets captures), the others are known not to match.
 * The @pm/@pmFromFile links of the same phase, transformations and target list join as
 * their phrases (literals: a set bit is a match, no confirmation), or form a group of
 * literals of their own.
 */
struct msc_rxgroup {
	hs_database_t *db;
	uint32_t n; /* patterns */
	uint8_t phase;
	uint32_t key; /* transformation prefix key, 0: none */
	uint32_t minlen; /* the shortest PCRE2_INFO_MINLENGTH of its patterns */
	bool plain; /* a phase's group of @pm phrases (msc_rule.pm_plain) */
	uint32_t *bit; /* pattern id of a match -> its link's bit; NULL: the id is the bit */
};

/* SecDefaultAction per phase (index 1..5). */
struct msc_defaults {
	uint8_t disr;
	int status;
	bool log;
	bool set;
	uint8_t tfn[MSC_RULE_TFN_MAX];
	uint8_t n_tfn;
	char *tfn_names;
};

struct msc_ruleset {
	struct msc_rule **v; /* top-level rules and markers in load order */
	size_t n, cap;
	struct msc_config cfg;
	struct msc_defaults def[6];
	uint32_t n_tfn_keys; /* distinct transformation prefixes (cache key space) */
	uint32_t n_tlists; /* distinct cacheable target lists */
	uint32_t n_tmemo; /* distinct msc_target.memo */
	hs_scratch_t *scratch; /* prototype for @pm databases; cloned per context */
	struct msc_rxgroup *groups;
	size_t n_groups;
	uint32_t n_rx_vidx; /* links with an rx_vidx */
	uint32_t *phase_idx[6]; /* per phase: indexes into v of its rules and every marker */
	size_t n_phase_idx[6];
	/* per phase, beside phase_idx: for a rule with skipAfter, the position in phase_idx of
	 * the marker it skips to (n_phase_idx when there is none: the rest of the phase) */
	uint32_t *skip_idx[6];
	size_t max_captures;
	struct msc_stats st;
	const uint32_t *disabled; /* ruleset_opts.disabled, during the load only */
	size_t n_disabled;
};

/*
 * RE (JIT-compiled when JIT) on S: pcre2_jit_match() skips pcre2_match()'s checks and
 * dispatch (~120 instructions a call, measured with callgrind on the CRS), same result.
 */
static inline int msc_re_match(const pcre2_code *re, bool jit, const uint8_t *s, size_t n,
			       pcre2_match_data *md, pcre2_match_context *mctx)
{
	if (!s)
		s = (const uint8_t *)"";
	return jit ? pcre2_jit_match(re, s, n, 0, 0, md, mctx) :
		     pcre2_match(re, s, n, 0, 0, md, mctx);
}

/* ID is in the sorted array V of N ids (ruleset_opts.disabled). */
static inline bool rule_id_listed(const uint32_t *v, size_t n, uint32_t id)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid] == id)
			return true;
		if (v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

enum { MSC_KEY_LIT_NONE = 0, MSC_KEY_LIT_SUBSTRING, MSC_KEY_LIT_PREFIX };
/* Does the /regex/ selector RE (N bytes, compiled caseless) select the same keys as a
 * caseless literal? Sets T's key_lit_* when it does. */
void msc_key_literal(struct msc_target *t, const char *re, size_t n);

/* Hash of a collection entry's name as msc_coll.c compares names (caseless, up to a NUL). */
uint32_t msc_name_hash(const char *s, size_t n);

/* Parse one string of targets ("ARGS|!ARGS:foo|&TX:x"); used by the loader and ctl. */
int msc_parse_targets(const char *s, struct msc_target **ret, size_t *ret_n, char *err,
		      size_t errlen);
void msc_target_done(struct msc_target *t);
int msc_macro_parse(const char *s, struct msc_macro *m, char *err, size_t errlen);
void msc_macro_done(struct msc_macro *m);
void msc_rule_free(struct msc_rule *r);

/* Compile one rule chain's operators (msc_compile.c). Errors go to ERR. */
int msc_compile_rule(struct msc_ruleset *rs, struct msc_rule *r, const char *dir, bool no_compile,
		     char *err, size_t errlen);
/* PCRE2 with ModSecurity's options (DOTALL, DOLLAR_ENDONLY), JIT when asked. */
int msc_rx_compile(const char *pattern, size_t len, bool jit, pcre2_code **ret, char *err,
		   size_t errlen);
/*
 * Number transformation prefixes, index phases, and with HS_GROUPS (and not NO_COMPILE)
 * build the Hyperscan @rx prefilter groups: one per (phase, transformation chain, target
 * list) holding 2+ patterns of up to RX_GROUP_PATTERN_MAX bytes. Grouping per chain only
 * (the first version) scanned every value against up to 80 patterns of which a few applied
 * to it, and single-pattern groups cost a scan for one PCRE2 run: on the CRS that was no
 * faster than PCRE2 JIT alone. Per target list, the CRS compiles in ~0.6 s more CPU and
 * evaluates faster (tests/bench/crs; ruleset_opts.msc_no_hs_prefilter turns them off).
 */
int msc_compile_finish(struct msc_ruleset *rs, bool no_compile, bool hs_groups,
		       struct rule_diags *diags);
/* Names of variables; index into the name table or -1. */
int msc_var_lookup(const char *name, size_t len, uint8_t *ret_kind, uint8_t *ret_idx);
const char *msc_var_name(uint8_t kind, uint8_t idx);

/* What an action list said beyond the rule's fields (for defaults and checks). */
struct msc_action_ctx {
	bool has_id, has_phase, t_none;
};
int msc_parse_actions(const char *s, struct msc_rule *r, struct msc_action_ctx *ac, char *err,
		      size_t errlen);
int msc_parse_operator(const char *s, struct msc_rule *r, char *err, size_t errlen);
bool msc_actions_have_chain(const char *s);
const char *msc_op_name(uint8_t op);
int msc_parse_body_processor(const char *v);
int msc_parse_engine_mode(const char *v);
/* Free what msc_compile_rule() built for R (one link). */
void msc_rule_free_compiled(struct msc_rule *r);

/* Loading (msc_load.c). Errors other than -ENOMEM are reported in DIAGS and counted. */
int msc_ruleset_new(struct msc_ruleset **ret);
void msc_ruleset_free(struct msc_ruleset *m);
int msc_load_file(struct msc_ruleset *m, const char *path, bool no_compile,
		  struct rule_diags *diags);
int msc_load_string(struct msc_ruleset *m, const char *text, const char *name, bool no_compile,
		    struct rule_diags *diags);
