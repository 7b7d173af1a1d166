/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The SecRule evaluator's per-worker and per-transaction state, shared by the evaluator
 * (msc_eval.c) and the collections and variables (msc_coll.c). Not a door: rules/msc.h is.
 */
#pragma once

#include <string.h>

#include "msc_int.h"
#include "msc_transform.h"

/* ---- collections (TX, IP records, GLOBAL) ---- */

struct kv {
	char *name;
	size_t nlen, ncap;
	char *val;
	size_t vlen, vcap;
	uint64_t expire_us; /* 0: never */
	uint32_t hash; /* msc_name_hash() of the name */
	/* which /selectors/ (bit msc_target.sel_bit - 1) select this name: known, and matched.
	 * A recycled entry set under the same name keeps them: TX names repeat per request. */
	uint64_t sel_known, sel_match;
};

/*
 * A collection: its entries in v[0..n) in the order ModSecurity shows them (insertion;
 * a deleted entry's place taken by the last), and an open-addressing index of them by
 * name hash (idx[i]: entry + 1, 0 empty; ICAP a power of two, at least twice N). The CRS
 * keeps ~100 TX variables and looks names up ~250 times per request: a linear search of
 * them was 7% of the engine's instructions (callgrind on the benign corpus).
 */
struct coll {
	struct kv *v;
	size_t n, cap;
	uint32_t *idx;
	size_t icap;
};

struct ip_rec {
	char *key;
	struct coll c;
};

/* ---- the transformation cache ---- */

struct tc_ent {
	const uint8_t *src;
	size_t len;
	uint32_t key;
	uint32_t gen;
	const uint8_t *out;
	size_t out_len;
	/* Hyperscan group scan of out: bit per pattern, NULL not scanned (in the arena or a
	 * verdict cache entry's memory, which lives until the next phase) */
	const uint64_t *hits;
};

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, cap;
	uint8_t data[];
};

/* The cache key of a Hyperscan group scan's result (tc_ent.hits) for group G (1-based): a
 * value is scanned once per group, groups being per (phase, transformations, target list) */
#define TC_GROUP_KEY(g) (0x80000000u | (uint32_t)(g))
/* The cache key of one transformation T of a value (any chain): tfn_step() */
#define TC_STEP_KEY(t) (0x40000000u | (uint32_t)(t))
/* The cache key of a value's msc_tfn_classes() (in out_len), for values over this length */
#define TC_CLASSES_KEY 0x20000000u
#define CLASSES_CACHED_LEN 24

/* A phase fills ~30-80 slots on average and at most ~970 (the CRS and benign corpora): 4096
 * slots (192 KiB) keep the table in L2; 16384 (768 KiB) made every lookup a cache miss
 * (tc_slot was 10% of the benign profile's cycles for 4% of its instructions). */
#define TC_SLOTS 4096
#define ARENA_CHUNK (256u << 10)

/* ---- growable text ---- */

struct sb {
	char *p;
	size_t len, cap;
	bool oom;
};

/* ---- matched variables ---- */

struct mvar {
	char *name;
	uint8_t *val;
	size_t vlen;
};

struct mvars {
	struct mvar *v;
	size_t n, cap;
};

/* ---- context and transaction ---- */

struct elem {
	const uint8_t *v;
	size_t vlen;
	const char *coll; /* variable name for MATCHED_VAR_NAME */
	const uint8_t *key;
	size_t klen;
	bool cacheable; /* V is request memory, stable for the phase */
	uint32_t cls; /* msc_tfn_classes() of V, 0 until asked (elem_classes) */
	char num[24];
	/* the last transformation result asked for (key, cache-backed value): consecutive
	 * rules with the same transformations skip the cache lookup; key 0: none */
	uint32_t memo_key;
	const uint8_t *memo;
	size_t memo_len;
};

/* A target's elements as a cached list collected them (msc_target.memo): in msc_ctx.tl_ev. */
struct tm_ent {
	uint32_t gen, epoch;
	size_t start, n;
};

/* A cached target list (msc_rule.tlist): its elements in msc_ctx.tl_ev. */
struct tl_ent {
	uint32_t gen, epoch;
	size_t start, n;
	uint32_t cls; /* msc_tfn_classes() of its elements, or'ed; 0 until asked (tl_classes) */
};

/*
 * A Hyperscan @rx group over a cached target list (all its links share the list and the
 * transformations): the union of its scans of every element of the list, for this phase
 * and ctl epoch. A link whose pattern no element may match is not evaluated at all.
 */
struct grp_ent {
	uint32_t gen, epoch;
	bool all; /* some element was not scanned: every pattern may match */
	uint64_t *any; /* bit per pattern of the group: some element may match it */
};

/*
 * A phase's group of @pm phrases (msc_rule.pm_plain) over a cached target list: the union of
 * its scans of the list's elements as they came, and of their byte classes (a link whose
 * transformations none of them triggers sees them all as they came).
 */
struct plain_ent {
	uint32_t gen, epoch, gi;
	bool all; /* some element was not scanned: every link may match */
	uint32_t cls; /* msc_tfn_classes() of the elements, or'ed */
	uint64_t *any; /* bit per link of the group: some element holds one of its phrases */
};

/* A verdict cache entry (msc_ctx_vcache): group GI's bits for a value of LEN bytes. */
struct vc_ent {
	uint64_t h; /* XXH3 of the value, seeded with GI */
	uint32_t len, gi; /* gi 0: empty */
	uint32_t used; /* msc_ctx.vc_clock when last filled or hit */
	uint8_t *mem; /* the group's bit words, then the value's bytes */
};

#define VC_WAYS 4

struct msc_ctx {
	const struct msc_ruleset *rs;
	hs_scratch_t *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	pcre2_jit_stack *jit_stack;
	struct tc_ent *tc;
	uint32_t gen;
	size_t tc_bytes;
	struct arena_chunk *arena;
	struct msc_buf tb[2];
	struct elem *ev;
	size_t ev_n, ev_cap;
	struct ip_rec *ip;
	size_t n_ip;
	struct coll global;
	uint64_t uid_base, uid_ctr;
	struct sb msg, logdata, tmp, name;
	struct msc_tx *spare; /* a freed transaction, recycled by msc_tx_new() */
	struct tl_ent *tl; /* by target list id (1..n_tlists) */
	struct tm_ent *tm; /* by msc_target.memo (1..n_tmemo) */
	struct grp_ent *grp; /* by Hyperscan group (rx_group - 1) */
	uint64_t *grp_bits; /* the groups' grp_ent.any */
	uint64_t *grp_none; /* zeros, as long as the longest group's bits: no pattern may match */
	struct plain_ent *plain; /* by target list id (1..n_tlists) */
	uint64_t *plain_bits; /* the plain_ent.any */
	struct elem *tl_ev;
	size_t tl_n, tl_cap;
	struct vc_ent *vc; /* MSC_VCACHE_ENTRIES in sets of VC_WAYS; NULL: off */
	uint32_t vc_clock;
	/* memory of entries replaced in this phase, freed at the next: group bits taken from
	 * the cache (tc_ent.hits) point into it */
	uint8_t **vc_dead;
	size_t vc_dead_n, vc_dead_cap;
	struct msc_ctx_stats st;
};

struct msc_tx {
	struct msc_ctx *ctx;
	struct coll tx;
	struct ip_rec *ip;
	uint8_t engine;
	int body_proc;
	bool force_body;
	int body_access;
	int intercepted;
	uint32_t ctl_epoch; /* counts ctl actions run */
	bool allowed;
	uint64_t now_us;
	char unique_id[40];
	struct sb mname, mval; /* MATCHED_VAR_NAME / MATCHED_VAR */
	struct sb spare_name, spare_val;
	bool has_matched;
	struct mvars mv_prev, mv_cur;
	struct {
		uint32_t lo, hi;
	} * rm_id;
	size_t n_rm_id;
	const char **rm_tag;
	size_t n_rm_tag;
	const struct msc_ctl **rm_target;
	size_t n_rm_target;
	/* the removals in rm_target that apply to the rule being evaluated */
	const struct msc_ctl *const *rm_app;
	size_t n_rm_app;
	const struct msc_request *req;
	const struct msc_rule *cur_rule; /* starter of the chain being evaluated (RULE.*) */
};

/* ---- msc_coll.c ---- */

void msc_coll_done(struct coll *c);
/* The entry NAME (case-insensitive), expired or not; NAME's entry unless expired at NOW. */
struct kv *msc_coll_find(struct coll *c, const char *name, size_t nlen);
struct kv *msc_coll_get(struct coll *c, const char *name, size_t nlen, uint64_t now);
/* The same with H = msc_name_hash(NAME, NLEN) known (literal keys hash at load). */
struct kv *msc_coll_find_h(struct coll *c, const char *name, size_t nlen, uint32_t h);
struct kv *msc_coll_get_h(struct coll *c, const char *name, size_t nlen, uint32_t h, uint64_t now);
void msc_coll_del(struct coll *c, const char *name, size_t nlen);
int msc_coll_set(struct coll *c, const char *name, size_t nlen, const char *val, size_t vlen,
		 size_t max);
int msc_coll_set_h(struct coll *c, const char *name, size_t nlen, uint32_t h, const char *val,
		   size_t vlen, size_t max);
/* Set the value of the entry E (live) to VAL, as msc_coll_set() would. 0 or -ENOMEM. */
int msc_kv_set(struct kv *e, const char *val, size_t vlen);
void msc_coll_clear(struct coll *c);
void msc_sb_grow(struct sb *b, size_t n);

/* Append N bytes of S to B, NUL-terminated (inline: ~1 M calls per 2,500 CRS requests). */
static inline void msc_sb_put(struct sb *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		msc_sb_grow(b, n);
		if (b->oom)
			return;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static inline void msc_sb_reset(struct sb *b)
{
	b->len = 0;
	b->oom = false;
	if (b->p)
		b->p[0] = '\0';
}
/* Decimal text of V into BUF (at least 21 bytes); returns its length. */
size_t msc_fmt_i64(char *buf, int64_t v);
/* Append copies of the N elements at SRC to c->ev (numbers pointed at their own text). */
int msc_collect_copy(struct msc_ctx *c, const struct elem *src, size_t n);
/* Append to c->ev the values of T for rule R (NULL: no exclusions). 0 or -ENOMEM. */
int msc_collect(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *r,
		const struct msc_target *t);
/* M expanded (%{...} replaced by the first value of each variable) into OUT. */
void msc_expand(struct msc_ctx *c, struct msc_tx *tx, const struct msc_macro *m, struct sb *out);
/*
 * M expanded: *RET_LEN bytes, NUL-terminated, at the pointer returned (NULL: out of memory).
 * Literal text and a lone TX/IP/GLOBAL variable are not copied (the pointer is M's text or
 * the variable's value, valid until that variable is set again); anything else is
 * expanded into OUT.
 */
const char *msc_expand_ref(struct msc_ctx *c, struct msc_tx *tx, const struct msc_macro *m,
			   struct sb *out, size_t *ret_len);
