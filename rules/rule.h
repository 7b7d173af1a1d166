/* SPDX-License-Identifier: GPL-2.0-only */
/* The typed internal form of a Suricata rule, shared by the parser, compiler and matcher. */
#pragma once

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdbool.h>
#include <stdint.h>
#include "lib/lib.h"
#include "rules.h"

#define RULE_MAX_SM 128 /* match elements per list */
#define RULE_MAX_LISTS 16 /* buffers per rule */
#define RULE_MAX_VARS 8 /* byte_extract variables per rule */
#define RULE_MAX_FLOWBITS 16 /* flowbits operations per rule */
#define RULE_MAX_ADDRS 4096 /* entries of one address or port expression */
#define RULE_MAX_LEN 65536 /* bytes of one rule (with continuations) */
#define RULE_MSG_MAX 512

/* A numeric argument that may name a byte_extract variable. */
struct rval {
	int64_t v;
	int8_t var; /* -1: literal v; else index into the rule's byte_extract variables */
};

enum sm_type {
	SM_CONTENT = 0,
	SM_PCRE,
	SM_ISDATAAT,
	SM_BSIZE,
	SM_BYTE_TEST,
	SM_BYTE_JUMP,
	SM_BYTE_EXTRACT,
};

/* Comparison for bsize, dsize, urilen, ttl, itype, icode, ip_proto. */
enum cmp_op { CMP_EQ = 0, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_RANGE };

struct cmp {
	uint8_t op; /* enum cmp_op */
	uint64_t lo, hi; /* CMP_RANGE: lo < x < hi (Suricata's exclusive "a<>b") */
};

bool cmp_match(const struct cmp *c, uint64_t x);
/* Parse "N", "<N", ">N", "<=N", ">=N", "!N", "N<>M", "N-M" within [0, max]. */
int cmp_parse(const char *s, uint64_t max, struct cmp *ret);

struct sm_content {
	uint8_t *pat;
	uint32_t len;
	bool nocase, negated, startswith, endswith, rawbytes;
	bool fast_pattern, fp_only; /* explicit fast_pattern[:only] */
	bool has_offset, has_depth, has_distance, has_within;
	struct rval offset, depth, distance, within;
	/* Limits Suricata derives from neighbouring contents (its DetectContentPropagateLimits)
	 * and applies at inspection: a minimum start and an end bound (absolute for absolute
	 * contents, from the previous match for relative ones); 0 = none. */
	int64_t pl_offset, pl_depth;
};

enum byte_op { BOP_LT = 0, BOP_GT, BOP_EQ, BOP_AND, BOP_XOR, BOP_LE, BOP_GE };

struct sm_byte {
	uint8_t nbytes;
	uint8_t base; /* 0: binary; else 8, 10 or 16 for string */
	bool little, relative, negated, align, from_beginning, from_end, dce;
	uint8_t op; /* byte_test */
	int8_t var; /* byte_extract: destination variable */
	struct rval offset, value;
	uint32_t multiplier; /* byte_jump, byte_extract; 0 = none */
	int32_t post_offset;
	uint64_t bitmask; /* 0 = none */
};

struct sm_pcre {
	pcre2_code *re;
	bool relative, negated, nolimit;
};

struct sm_isdataat {
	struct rval v;
	bool relative, negated;
};

struct sm {
	uint8_t type; /* enum sm_type */
	bool relative_next; /* the next element is relative to this one: backtrack on failure */
	union {
		struct sm_content content;
		struct sm_pcre pcre;
		struct sm_isdataat isdataat;
		struct cmp bsize;
		struct sm_byte byte;
	};
};

/* One buffer's inspection program. DETECT_BUF_PKT here means "the payload list":
 * packet payload and/or stream, as the rule's protocol allows. */
struct rule_list {
	uint8_t buf; /* enum detect_buf */
	bool dotprefix; /* transform: the buffer is inspected with a '.' prepended */
	uint16_t n, cap;
	struct sm *sm;
};

struct addr_ent {
	struct cidr c;
	bool neg;
};

struct addr_list {
	uint32_t n; /* 0: any */
	struct addr_ent *v;
};

struct port_ent {
	uint16_t lo, hi;
	bool neg;
};

struct port_list {
	uint32_t n; /* 0: any */
	struct port_ent *v;
};

enum rule_proto {
	RPROTO_IP = 0,
	RPROTO_TCP,
	RPROTO_UDP,
	RPROTO_ICMP,
	RPROTO_HTTP,
	RPROTO_TCP_PKT,
	RPROTO_TCP_STREAM,
};

enum rule_flow_flags {
	RFLOW_TO_SERVER = 1u << 0,
	RFLOW_TO_CLIENT = 1u << 1,
	RFLOW_ESTABLISHED = 1u << 2,
	RFLOW_NOT_ESTABLISHED = 1u << 3,
	RFLOW_STATELESS = 1u << 4,
	RFLOW_ONLY_STREAM = 1u << 5,
	RFLOW_NO_STREAM = 1u << 6,
	RFLOW_ONLY_FRAG = 1u << 7,
	RFLOW_NO_FRAG = 1u << 8,
};

enum flowbit_cmd { FB_SET = 0, FB_UNSET, FB_TOGGLE, FB_ISSET, FB_ISNOTSET };

enum xbit_track { XB_IP_SRC = 0, XB_IP_DST, XB_IP_PAIR };

struct xbit_op {
	uint8_t cmd; /* enum flowbit_cmd */
	uint8_t track;
	uint32_t id; /* in the ruleset's name table, "xbits:" prefixed */
	uint32_t expire; /* seconds */
};

#define RULE_MAX_XBITS 4
#define RULE_MAX_FLOWINTS 4

enum flowint_kind {
	FI_SET = 0, /* = */
	FI_ADD, /* + */
	FI_SUB, /* - */
	FI_ISSET,
	FI_NOTSET,
	FI_CMP, /* ==, !=, <, >, <=, >= through struct cmp */
};

struct flowint_op {
	uint8_t op; /* enum flowint_kind */
	uint32_t id; /* in the ruleset's name table, "flowint:" prefixed */
	uint32_t value;
	struct cmp cmp;
};

struct flowbit_op {
	uint8_t cmd;
	bool any; /* names joined by '|': any of them (isset/isnotset) */
	uint16_t n;
	uint32_t ids[8]; /* ruleset-wide flowbit ids */
};

enum thr_type { THR_NONE = 0, THR_LIMIT, THR_THRESHOLD, THR_BOTH, THR_DETECTION_FILTER };
enum thr_track { TRACK_SRC = 0, TRACK_DST, TRACK_RULE, TRACK_BOTH };

struct threshold {
	uint8_t type, track;
	uint32_t count, seconds;
};

struct rule {
	struct rule_info info;
	char *msg_buf, *file;
	unsigned int line;
	uint8_t proto; /* enum rule_proto */
	bool bidir;
	struct addr_list src, dst;
	struct port_list sp, dp;
	uint32_t flow; /* enum rule_flow_flags */
	bool noalert;
	bool has_app_proto, app_proto_neg;
	uint8_t app_proto; /* enum detect_app_proto */
	bool has_flags;
	uint8_t flags_mode; /* 0 exact, '+' all of, '*' any of, '!' none of */
	uint8_t flags_set, flags_mask; /* mask: bits that matter (ignore list cleared) */
	bool has_ttl, has_ip_proto, has_itype, has_icode, has_dsize, has_urilen, urilen_raw;
	struct cmp ttl, ip_proto, itype, icode, dsize, urilen;
	uint16_t n_fb;
	struct flowbit_op fb[RULE_MAX_FLOWBITS];
	struct threshold thr, dfilter;
	uint16_t n_xb;
	struct xbit_op xb[RULE_MAX_XBITS];
	uint16_t n_fi;
	struct flowint_op fi[RULE_MAX_FLOWINTS];
	bool has_stream_size;
	uint8_t ss_which; /* 0 server, 1 client, 2 both, 3 either */
	struct cmp ss;
	uint16_t n_lists;
	struct rule_list lists[RULE_MAX_LISTS];
	uint8_t n_vars;
	char *var_names[RULE_MAX_VARS];
	int16_t fp_list, fp_sm; /* chosen fast pattern, -1 none */
	char *note; /* loaded with a caveat the loader reports as a note, or NULL */
};

/* Classification table: name -> description, priority. */
struct class_entry {
	char *name, *desc;
	int priority;
};

struct class_table {
	struct class_entry *v;
	size_t n, cap;
};

void class_table_done(struct class_table *t);
int class_table_add(struct class_table *t, const char *name, const char *desc, int prio);
/* Parse classification.config text; bad lines are reported to diags under `file`. */
int class_table_parse(struct class_table *t, const char *text, const char *file,
		      struct rule_diags *diags);
int class_table_load_defaults(struct class_table *t);
const struct class_entry *class_table_find(const struct class_table *t, const char *name);

/* Flowbit name table, ruleset-wide. */
struct name_table {
	char **v;
	size_t n, cap;
};
void name_table_done(struct name_table *t);
/* Returns the id of name, adding it; -ENOSPC past the cap, -ENOMEM. */
int name_table_intern(struct name_table *t, const char *name);

/* What the parser needs from the ruleset being built. */
struct parse_env {
	const struct rule_vars *vars;
	const struct class_table *classes;
	struct name_table *flowbits;
};

/*
 * Parse one rule's text. Returns 0 with *ret set; -EOPNOTSUPP (unsupported protocol or
 * keyword) or -EINVAL (malformed) with a message in errbuf and *ret_sid set if known.
 */
int rule_parse(const char *text, const struct parse_env *env, struct rule **ret, uint32_t *ret_sid,
	       char *errbuf, size_t errlen);
void rule_free(struct rule *r);
DEFINE_FREEP(struct rule, rule_free)

/* Keyword parsing (rule_keywords.c), called by rule_parse with the option's value (may be
 * NULL when the keyword has no value). Same error contract as rule_parse. */
struct parse_state;
int rule_keyword_apply(struct parse_state *ps, const char *key, char *val);

DEFINE_FREEP(struct rule_vars, rule_vars_free)

/* Address/port expressions with variables (rule_vars.c). */
int rule_vars_parse_addr(const struct rule_vars *v, const char *s, struct addr_list *ret,
			 char *errbuf, size_t errlen);
int rule_vars_parse_port(const struct rule_vars *v, const char *s, struct port_list *ret,
			 char *errbuf, size_t errlen);
bool addr_list_match(const struct addr_list *l, int family, const uint8_t *addr);
bool port_list_match(const struct port_list *l, uint16_t port);

/* Content inspection of one buffer (content.c). vars holds byte_extract values. */
#define DOTPREFIX_MAX 65536 /* bytes of a buffer the dotprefix transform copies */

struct inspect_env {
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	uint32_t budget; /* remaining recursion steps */
	size_t min_end; /* a match must end past this offset (0: anywhere) */
	uint64_t *pcre_limit_hits, *budget_hits;
	uint64_t vars[RULE_MAX_VARS];
};
bool content_inspect(const struct rule_list *l, const uint8_t *buf, size_t len,
		     struct inspect_env *env);

/* Literal search: first occurrence of pat in hay, caseless if asked; -1 none. */
int64_t content_find(const uint8_t *hay, size_t hlen, const uint8_t *pat, size_t plen, bool nocase);
