// SPDX-License-Identifier: GPL-2.0-only
/*
 * Evaluating SecRules per transaction: contexts and transactions, phases, transformations
 * cached per (value, transformation prefix) for the whole phase, operators, chains,
 * skip/skipAfter, setvar/ctl/initcol/expirevar, capture, MATCHED_VAR(S), disruptive actions
 * and alerts (variables and macros: msc_coll.c). The semantics follow ModSecurity v2 where v2
 * and v3 differ (non-disruptive actions run per matched value; a chain's next link runs once
 * after its previous link matched).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#define XXH_INLINE_ALL /* XXH3 inlined: most values hashed are under 64 bytes */
#include <xxhash.h>

#include "lib/lib.h"
#include "msc_inject.h"
#include "msc_eval_int.h"
#include "msc_int.h"
#include "msc_ops.h"
#include "msc_transform.h"
#include "ruleset_int.h"

static void mvars_clear(struct mvars *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].name);
		free(m->v[i].val);
	}
	m->n = 0;
}

const struct msc_ruleset *ruleset_msc(const struct ruleset *rs)
{
	return rs ? rs->msc : NULL;
}

int msc_ctx_new(const struct msc_ruleset *m, struct msc_ctx **ret)
{
	struct msc_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->rs = m;
	c->tc = calloc(TC_SLOTS, sizeof(*c->tc));
	c->tl = m->n_tlists ? calloc(m->n_tlists + 1, sizeof(*c->tl)) : NULL;
	c->tm = m->n_tmemo ? calloc(m->n_tmemo + 1, sizeof(*c->tm)) : NULL;
	if ((m->n_tlists && !c->tl) || (m->n_tmemo && !c->tm))
		goto fail;
	if (m->n_groups) {
		size_t words = 0, most = 0;

		for (size_t i = 0; i < m->n_groups; i++) {
			words += (m->groups[i].n + 63) / 64;
			most = MAX(most, (m->groups[i].n + 63) / 64);
		}
		c->grp = calloc(m->n_groups, sizeof(*c->grp));
		c->grp_bits = calloc(words, sizeof(*c->grp_bits));
		c->grp_none = calloc(most, sizeof(*c->grp_none));
		if (!c->grp || !c->grp_bits || !c->grp_none)
			goto fail;
		words = 0;
		for (size_t i = 0; i < m->n_groups; i++) {
			c->grp[i].any = c->grp_bits + words;
			words += (m->groups[i].n + 63) / 64;
		}
		most = 0;
		for (size_t i = 0; i < m->n_groups; i++)
			if (m->groups[i].plain)
				most = MAX(most, (m->groups[i].n + 63) / 64);
		if (most && m->n_tlists) {
			c->plain = calloc(m->n_tlists + 1, sizeof(*c->plain));
			c->plain_bits = calloc((m->n_tlists + 1) * most, sizeof(*c->plain_bits));
			if (!c->plain || !c->plain_bits)
				goto fail;
			for (size_t i = 0; i <= m->n_tlists; i++)
				c->plain[i].any = c->plain_bits + i * most;
		}
	}
	c->vc = calloc(MSC_VCACHE_ENTRIES, sizeof(*c->vc));
	if (!c->vc)
		goto fail;
	c->md = pcre2_match_data_create(32, NULL);
	c->mctx = pcre2_match_context_create(NULL);
	c->jit_stack = pcre2_jit_stack_create(32 << 10, 1 << 20, NULL);
	if (!c->tc || !c->md || !c->mctx || !c->jit_stack)
		goto fail;
	pcre2_jit_stack_assign(c->mctx, NULL, c->jit_stack);
	pcre2_set_match_limit(c->mctx, (uint32_t)MIN(m->cfg.pcre_match_limit, UINT32_MAX));
	pcre2_set_depth_limit(c->mctx,
			      (uint32_t)MIN(m->cfg.pcre_match_limit_recursion, UINT32_MAX));
	if (m->scratch && hs_clone_scratch(m->scratch, &c->scratch) != HS_SUCCESS)
		goto fail;
	if (getrandom(&c->uid_base, sizeof(c->uid_base), 0) != sizeof(c->uid_base))
		c->uid_base = (uint64_t)(uintptr_t)c;
	c->gen = 1;
	*ret = c;
	return 0;
fail:
	msc_ctx_free(c);
	return -ENOMEM;
}

/* Empty the arena for a new phase: standard chunks are kept for reuse (their sum is bounded
 * by MSC_TCACHE_MAX), oversized ones freed; ALL frees everything. */
static void arena_reset(struct msc_ctx *c, bool all)
{
	struct arena_chunk *a = c->arena, *keep = NULL;

	while (a) {
		struct arena_chunk *n = a->next;

		if (!all && a->cap == ARENA_CHUNK) {
			a->used = 0;
			a->next = keep;
			keep = a;
		} else {
			free(a);
		}
		a = n;
	}
	c->arena = keep;
}

static void tx_destroy(struct msc_tx *tx);

/* Free the memory of the verdict cache entries replaced in the last phase. */
static void vc_reap(struct msc_ctx *c)
{
	for (size_t i = 0; i < c->vc_dead_n; i++)
		free(c->vc_dead[i]);
	c->vc_dead_n = 0;
}

static void vc_empty(struct msc_ctx *c)
{
	for (size_t i = 0; c->vc && i < MSC_VCACHE_ENTRIES; i++) {
		free(c->vc[i].mem);
		c->vc[i] = (struct vc_ent){ 0 };
	}
	c->vc_clock = 0;
	vc_reap(c);
}

void msc_ctx_vcache(struct msc_ctx *c, bool on)
{
	vc_empty(c);
	if (on && !c->vc)
		c->vc = calloc(MSC_VCACHE_ENTRIES, sizeof(*c->vc)); /* stays off when this fails */
	if (!on) {
		free(c->vc);
		c->vc = NULL;
	}
}

void msc_ctx_free(struct msc_ctx *c)
{
	if (!c)
		return;
	vc_empty(c);
	free(c->vc);
	free(c->vc_dead);
	if (c->spare)
		tx_destroy(c->spare);
	hs_free_scratch(c->scratch);
	pcre2_match_data_free(c->md);
	pcre2_match_context_free(c->mctx);
	pcre2_jit_stack_free(c->jit_stack);
	free(c->tc);
	free(c->tl);
	free(c->tm);
	free(c->grp);
	free(c->grp_bits);
	free(c->grp_none);
	free(c->plain);
	free(c->plain_bits);
	free(c->tl_ev);
	arena_reset(c, true);
	msc_buf_done(&c->tb[0]);
	msc_buf_done(&c->tb[1]);
	free(c->ev);
	for (size_t i = 0; i < c->n_ip; i++) {
		free(c->ip[i].key);
		msc_coll_done(&c->ip[i].c);
	}
	free(c->ip);
	msc_coll_done(&c->global);
	free(c->msg.p);
	free(c->logdata.p);
	free(c->tmp.p);
	free(c->name.p);
	free(c);
}

const struct msc_ctx_stats *msc_ctx_stats(const struct msc_ctx *c)
{
	return &c->st;
}

static void tx_destroy(struct msc_tx *tx)
{
	msc_coll_done(&tx->tx);
	free(tx->mname.p);
	free(tx->mval.p);
	free(tx->spare_name.p);
	free(tx->spare_val.p);
	mvars_clear(&tx->mv_prev);
	mvars_clear(&tx->mv_cur);
	free(tx->mv_prev.v);
	free(tx->mv_cur.v);
	free(tx->rm_id);
	free(tx->rm_tag);
	free(tx->rm_target);
	free(tx);
}

int msc_tx_new(struct msc_ctx *c, uint64_t now_us, struct msc_tx **ret)
{
	struct msc_tx *tx = c->spare;

	if (tx) {
		/* a recycled transaction: its buffers stay, its state starts over */
		c->spare = NULL;
		msc_coll_clear(&tx->tx);
		msc_sb_reset(&tx->mname);
		msc_sb_reset(&tx->mval);
		mvars_clear(&tx->mv_prev);
		mvars_clear(&tx->mv_cur);
		tx->n_rm_id = tx->n_rm_tag = tx->n_rm_target = 0;
		tx->ip = NULL;
		tx->force_body = tx->allowed = tx->has_matched = false;
		tx->intercepted = 0;
		tx->ctl_epoch = 0;
		tx->req = NULL;
		tx->cur_rule = NULL;
	} else {
		tx = calloc(1, sizeof(*tx));
		if (!tx)
			return -ENOMEM;
	}
	tx->ctx = c;
	tx->engine = c->rs->cfg.engine;
	tx->body_proc = MSC_BODY_AUTO;
	tx->body_access = -1;
	tx->now_us = now_us;
	{
		/* UNIQUE_ID: the context's random base and a counter, in hex */
		static const char hex[] = "0123456789abcdef";
		uint64_t a = c->uid_base, b = ++c->uid_ctr;

		for (int i = 0; i < 16; i++)
			tx->unique_id[i] = hex[(a >> (60 - 4 * i)) & 15];
		for (int i = 0; i < 8; i++)
			tx->unique_id[16 + i] = hex[(b >> (28 - 4 * i)) & 15];
		tx->unique_id[24] = '\0';
	}
	c->st.txs++;
	*ret = tx;
	return 0;
}

void msc_tx_free(struct msc_tx *tx)
{
	if (!tx)
		return;
	if (!tx->ctx->spare) {
		tx->ctx->spare = tx; /* kept for the next msc_tx_new() */
		return;
	}
	tx_destroy(tx);
}

enum msc_body_processor msc_tx_body_processor(const struct msc_tx *tx)
{
	return (enum msc_body_processor)tx->body_proc;
}

bool msc_tx_force_body_variable(const struct msc_tx *tx)
{
	return tx->force_body;
}

bool msc_tx_request_body_access(const struct msc_tx *tx)
{
	return tx->body_access < 0 ? tx->ctx->rs->cfg.request_body_access : tx->body_access;
}

int msc_tx_intercepted(const struct msc_tx *tx)
{
	return tx->intercepted;
}

const char *msc_tx_get(const struct msc_tx *tx, const char *name)
{
	struct kv *e = msc_coll_get((struct coll *)&tx->tx, name, strlen(name), tx->now_us);

	return e ? e->val : NULL;
}

/* ---- transformations ---- */

/* N bytes of the phase's arena (counted in the transformation cache's cap), or NULL. */
static uint8_t *arena_alloc(struct msc_ctx *c, size_t n)
{
	struct arena_chunk *a = c->arena;
	uint8_t *dst;

	if (c->tc_bytes + n > MSC_TCACHE_MAX)
		return NULL;
	if (a && a->cap - a->used < n && n <= ARENA_CHUNK) {
		/* the head is full: rotate in a kept empty chunk if there is one */
		struct arena_chunk **pp = &a->next;

		while (*pp && (*pp)->used)
			pp = &(*pp)->next;
		if (*pp) {
			struct arena_chunk *e = *pp;

			*pp = e->next;
			e->next = a;
			c->arena = a = e;
		}
	}
	if (!a || a->cap - a->used < n) {
		size_t cap = MAX((size_t)ARENA_CHUNK, n);

		a = malloc(sizeof(*a) + cap);
		if (!a)
			return NULL;
		a->cap = cap;
		a->used = 0;
		if (cap == ARENA_CHUNK || !c->arena) {
			a->next = c->arena;
			c->arena = a;
		} else {
			/* an oversized value: keep the current chunk in front */
			a->next = c->arena->next;
			c->arena->next = a;
			a->used = cap;
			c->tc_bytes += n;
			return a->data;
		}
	}
	dst = a->data + a->used;
	a->used += (n + 7) & ~(size_t)7;
	if (a->used > a->cap)
		a->used = a->cap;
	c->tc_bytes += n;
	return dst;
}

static const uint8_t *arena_copy(struct msc_ctx *c, const uint8_t *p, size_t n)
{
	uint8_t *d = arena_alloc(c, n);

	if (d && n)
		memcpy(d, p, n);
	return d;
}

static struct tc_ent *tc_slot(struct msc_ctx *c, const uint8_t *src, size_t len, uint32_t key)
{
	uint64_t h = ((uint64_t)(uintptr_t)src * 0x9e3779b97f4a7c15ull) ^
		     (len * 0xff51afd7ed558ccdull) ^ ((uint64_t)key * 0xc4ceb9fe1a85ec53ull);
	size_t i = (size_t)(h >> 40) & (TC_SLOTS - 1);

	for (int probe = 0; probe < 8; probe++, i = (i + 1) & (TC_SLOTS - 1)) {
		struct tc_ent *t = &c->tc[i];

		if (t->gen != c->gen || (t->src == src && t->len == len && t->key == key))
			return t;
	}
	return NULL; /* neighbourhood full: not cached */
}

/*
 * One transformation T of the value (IN, LEN), IN being request memory or the phase's arena
 * (stable for the phase): cached per (IN, LEN, T) across transformation chains, so a value
 * that several chains transform alike (most benign values pass urlDecodeUni, lowercase,
 * htmlEntityDecode ... unchanged) is transformed once per transformation, not once per
 * chain; an unchanged value is its own result (no copy). *RET is stable for the phase.
 * Returns 0, 1 when not cached (*RET then points into the context's buffer WHICH), -ENOMEM.
 */
static int tfn_step(struct msc_ctx *c, uint8_t t, const uint8_t *in, size_t len, int which,
		    const uint8_t **ret, size_t *ret_len)
{
	struct tc_ent *e = tc_slot(c, in, len, TC_STEP_KEY(t));
	struct msc_buf *out = &c->tb[which];
	const uint8_t *res;
	int rc;

	if (e && e->gen == c->gen) {
		*ret = e->out;
		*ret_len = e->out_len;
		return 0;
	}
	rc = msc_tfn_apply((enum msc_tfn)t, in, len, out);
	if (rc < 0)
		return rc;
	if (out->len == len && (!len || !memcmp(out->p, in, len)))
		res = in;
	else
		res = e ? arena_copy(c, out->p ? out->p : (const uint8_t *)"", out->len) : NULL;
	if (!res) {
		c->st.tcache_refused++;
		*ret = out->p ? out->p : (const uint8_t *)"";
		*ret_len = out->len;
		return 1;
	}
	if (e)
		*e = (struct tc_ent){ .src = in,
				      .len = len,
				      .key = TC_STEP_KEY(t),
				      .gen = c->gen,
				      .out = res,
				      .out_len = out->len };
	*ret = res;
	*ret_len = out->len;
	return 0;
}

/* E's byte classes (msc_tfn_classes), found on first use and kept with the element; a longer
 * value of the request's, collected again by each link of a list that is not cached, finds
 * them in the transformation cache. */
static inline uint32_t elem_classes(struct msc_ctx *c, struct elem *e)
{
	if (!e->cls) {
		struct tc_ent *t = NULL;

		if (e->cacheable && e->vlen > CLASSES_CACHED_LEN) {
			t = tc_slot(c, e->v, e->vlen, TC_CLASSES_KEY);
			if (t && t->gen == c->gen)
				return e->cls = (uint32_t)t->out_len;
		}
		e->cls = msc_tfn_classes(e->v, e->vlen);
		if (t)
			*t = (struct tc_ent){ .src = e->v,
					      .len = e->vlen,
					      .key = TC_CLASSES_KEY,
					      .gen = c->gen,
					      .out_len = e->cls };
	}
	return e->cls;
}

static int transform_slow(struct msc_ctx *c, const struct msc_rule *r, int n, struct elem *e,
			  const uint8_t **ret, size_t *ret_len);

/*
 * Value of E after the first N transformations of R: E itself when its byte classes say no
 * step can change it; else cached per phase when E is request memory: the whole chain's
 * result per (value, chain), each step per (input, transformation) (intermediate chain
 * prefixes are not kept: the steps' cache finds them as fast). *RET points into the cache,
 * the context's buffers or E itself, valid until the next call. Returns 0 or -ENOMEM.
 */
static inline int transform(struct msc_ctx *c, const struct msc_rule *r, int n, struct elem *e,
			    const uint8_t **ret, size_t *ret_len)
{
	if (n == 0 || !(elem_classes(c, e) & r->tfn_trig[n - 1])) {
		/* no transformation of the chain can change this value */
		*ret = e->v;
		*ret_len = e->vlen;
		return 0;
	}
	if (e->cacheable && e->memo_key == r->tfn_key[n - 1]) {
		c->st.tcache_hits++;
		*ret = e->memo;
		*ret_len = e->memo_len;
		return 0;
	}
	return transform_slow(c, r, n, e, ret, ret_len);
}

/* transform() past the value's classes and memo: the cache, else the steps. */
static __attribute__((noinline)) int transform_slow(struct msc_ctx *c, const struct msc_rule *r,
						    int n, struct elem *e, const uint8_t **ret,
						    size_t *ret_len)
{
	const uint8_t *cur = e->v;
	size_t cur_len = e->vlen;
	int which = 0;
	bool stable = e->cacheable; /* CUR is request memory or arena: cacheable */

	if (e->cacheable) {
		/* the whole chain's result, else its steps (each cached by tfn_step) */
		struct tc_ent *t = tc_slot(c, e->v, e->vlen, r->tfn_key[n - 1]);

		if (t && t->gen == c->gen) {
			c->st.tcache_hits++;
			*ret = t->out;
			*ret_len = t->out_len;
			e->memo_key = t->key;
			e->memo = t->out;
			e->memo_len = t->out_len;
			return 0;
		}
		c->st.tcache_misses++;
	}
	for (int k = 0; k < n; k++) {
		if (cur == e->v && !(e->cls & msc_tfn_trigger((enum msc_tfn)r->tfn[k])))
			continue; /* the value as it came, which this step leaves alone */
		if (stable) {
			int rc = tfn_step(c, r->tfn[k], cur, cur_len, which, &cur, &cur_len);

			if (rc < 0)
				return rc;
			if (rc > 0) {
				stable = false; /* in the context's buffer from here on */
				which ^= 1;
				continue;
			}
			if (k == n - 1) {
				struct tc_ent *t = tc_slot(c, e->v, e->vlen, r->tfn_key[k]);

				if (t) {
					*t = (struct tc_ent){ .src = e->v,
							      .len = e->vlen,
							      .key = r->tfn_key[k],
							      .gen = c->gen,
							      .out = cur,
							      .out_len = cur_len };
					if (k == n - 1) {
						e->memo_key = t->key;
						e->memo = cur;
						e->memo_len = cur_len;
					}
				}
			}
			continue;
		}
		{
			struct msc_buf *out = &c->tb[which];
			int rc = msc_tfn_apply((enum msc_tfn)r->tfn[k], cur, cur_len, out);

			if (rc < 0)
				return rc;
			cur = out->p ? out->p : (const uint8_t *)"";
			cur_len = out->len;
			which ^= 1;
		}
	}
	*ret = cur;
	*ret_len = cur_len;
	return 0;
}

/* ---- operators ---- */

struct pm_hit {
	unsigned int id;
	unsigned long long to;
	bool hit;
};

static int pm_cb(unsigned int id, unsigned long long from, unsigned long long to,
		 unsigned int flags, void *ctx)
{
	struct pm_hit *h = ctx;

	(void)from;
	(void)flags;
	h->id = id;
	h->to = to;
	h->hit = true;
	return 1;
}

static void set_capture(struct msc_tx *tx, int i, const uint8_t *p, size_t n)
{
	char name[4] = { (char)('0' + i), 0 };

	if (msc_coll_set(&tx->tx, name, 1, (const char *)p, MIN(n, (size_t)MSC_VALUE_MAX),
			 MSC_TX_VARS_MAX) < 0)
		tx->ctx->st.tx_vars_refused++;
}

/* S (N bytes) when it is an optional sign and 1 to 18 digits (strtoll's result, without its
 * locale and overflow handling: TX counters and scores are numbers like these); false for
 * anything else, left to strtoll(). */
static bool dec_fast(const char *s, size_t n, int64_t *ret)
{
	size_t i = n && (s[0] == '-' || s[0] == '+');
	int64_t v = 0;

	if (i == n || n - i > 18)
		return false;
	for (size_t k = i; k < n; k++) {
		if (s[k] < '0' || s[k] > '9')
			return false;
		v = v * 10 + (s[k] - '0');
	}
	*ret = i && s[0] == '-' ? -v : v;
	return true;
}

/* strtoll(S, NULL, 10) of the NUL-terminated S of length N */
static int64_t dec_of(const char *s, size_t n)
{
	int64_t v;

	return dec_fast(s, n, &v) ? v : strtoll(s, NULL, 10);
}

static int64_t num_of(const uint8_t *v, size_t n)
{
	char b[32];
	int64_t x;

	if (dec_fast((const char *)v, n, &x))
		return x;

	n = MIN(n, sizeof(b) - 1);
	memcpy(b, v, n);
	b[n] = '\0';
	return strtoll(b, NULL, 10);
}

static bool word_at(const uint8_t *v, size_t n, size_t at, size_t wl)
{
	bool l = at == 0 || !(isalnum(v[at - 1]) || v[at - 1] == '_');
	bool r = at + wl == n || !(isalnum(v[at + wl]) || v[at + wl] == '_');

	return l && r;
}

static int grp_cb(unsigned int id, unsigned long long from, unsigned long long to,
		  unsigned int flags, void *ctx)
{
	uint64_t *bits = ctx;

	(void)from;
	(void)to;
	(void)flags;
	bits[id / 64] |= 1ull << (id % 64);
	return 0;
}

struct grp_map {
	uint64_t *bits;
	const uint32_t *bit;
};

/* grp_cb for a group whose pattern ids are not its links' bits (@pm phrases) */
static int grp_map_cb(unsigned int id, unsigned long long from, unsigned long long to,
		      unsigned int flags, void *ctx)
{
	const struct grp_map *m = ctx;
	uint32_t b = m->bit[id];

	(void)from;
	(void)to;
	(void)flags;
	m->bits[b / 64] |= 1ull << (b % 64);
	return 0;
}

/*
 * The verdict cache's entry for V under group GI (BYTES of bits) when it holds one, else
 * NULL with *FILL the entry to replace (NULL: V is not kept) and *H its hash.
 */
static struct vc_ent *vc_find(struct msc_ctx *c, uint32_t gi, size_t bytes, const uint8_t *v,
			      size_t n, struct vc_ent **fill, uint64_t *h)
{
	struct vc_ent *set, *old;

	*fill = NULL;
	if (!c->vc || n > MSC_VCACHE_VALUE_MAX)
		return NULL;
	*h = XXH3_64bits_withSeed(v, n, gi);
	set = &c->vc[(*h % (MSC_VCACHE_ENTRIES / VC_WAYS)) * VC_WAYS];
	for (int w = 0; w < VC_WAYS; w++) {
		struct vc_ent *e = &set[w];

		if (e->h == *h && e->gi == gi && e->len == n && !memcmp(e->mem + bytes, v, n)) {
			e->used = ++c->vc_clock;
			return e;
		}
	}
	/* not kept: an empty entry of the set takes it, else the least recently used */
	old = set;
	for (int w = 1; w < VC_WAYS && old->gi; w++)
		if (!set[w].gi || set[w].used < old->used)
			old = &set[w];
	*fill = old;
	return NULL;
}

/* Keep group GI's BITS (NULL: zeros) for V in the verdict cache's entry E (vc_find's *FILL,
 * hash H). */
static void vc_fill(struct msc_ctx *c, struct vc_ent *e, uint32_t gi, uint64_t h,
		    const uint64_t *bits, size_t bytes, const uint8_t *v, size_t n)
{
	uint8_t *mem;

	if (e->mem && c->vc_dead_n == c->vc_dead_cap) {
		size_t cap = c->vc_dead_cap ? 2 * c->vc_dead_cap : 256;
		uint8_t **nv = realloc(c->vc_dead, cap * sizeof(*nv));

		if (!nv)
			return; /* the old entry stays */
		c->vc_dead = nv;
		c->vc_dead_cap = cap;
	}
	mem = malloc(bytes + n);
	if (!mem)
		return;
	if (bits)
		memcpy(mem, bits, bytes);
	else
		memset(mem, 0, bytes);
	if (n)
		memcpy(mem + bytes, v, n);
	if (e->mem)
		c->vc_dead[c->vc_dead_n++] = e->mem; /* tc_ent.hits may point into it */
	*e = (struct vc_ent){
		.h = h, .len = (uint32_t)n, .gi = gi, .used = ++c->vc_clock, .mem = mem
	};
}

/* The verdict cache's namespaces (vc_ent.gi) of the links' "no match" words, a bit per link
 * with an rx_vidx: PCRE2 found no match of its @rx in the value (VC_RX), no stage of its
 * multiMatch matched for the value as it came (VC_MULTI). Groups are 1..n_groups. */
#define VC_RX UINT32_MAX
#define VC_MULTI (UINT32_MAX - 1)

/* A value's place in the verdict cache's words, between vc_known_miss and vc_note_miss */
struct miss_vc {
	struct vc_ent *e, *fill;
	uint64_t h;
};

/* Is it known that link R does not match V (namespace NS)? K: where V is or goes. */
static bool vc_known_miss(struct msc_ctx *c, uint32_t ns, const struct msc_rule *r,
			  const uint8_t *v, size_t n, struct miss_vc *k)
{
	size_t bytes = (c->rs->n_rx_vidx + 63) / 64 * sizeof(uint64_t);
	uint32_t b = r->rx_vidx - 1;

	k->e = vc_find(c, ns, bytes, v, n, &k->fill, &k->h);
	return k->e && (((const uint64_t *)k->e->mem)[b / 64] >> (b % 64) & 1);
}

/* Note that link R does not match V (namespace NS). K: vc_known_miss's answer when no other
 * use of the cache came in between, else NULL (V is looked up again). */
static void vc_note_miss(struct msc_ctx *c, uint32_t ns, const struct msc_rule *r, const uint8_t *v,
			 size_t n, struct miss_vc *k)
{
	size_t bytes = (c->rs->n_rx_vidx + 63) / 64 * sizeof(uint64_t);
	uint32_t b = r->rx_vidx - 1;
	struct miss_vc again;

	if (!k) {
		k = &again;
		k->e = vc_find(c, ns, bytes, v, n, &k->fill, &k->h);
	}
	if (!k->e && k->fill) {
		vc_fill(c, k->fill, ns, k->h, NULL, bytes, v, n);
		if (k->fill->gi == ns && k->fill->h == k->h)
			k->e = k->fill;
	}
	if (k->e)
		((uint64_t *)k->e->mem)[b / 64] |= 1ull << (b % 64);
}

/* Scan V (element E transformed for group GI) with the group's database into a new bit
 * array kept in the cache entry T, or take the bits from the verdict cache; NULL when that
 * fails. Out of line: group_hits() mostly finds the bits. */
static __attribute__((noinline)) const uint64_t *
group_scan(struct msc_ctx *c, uint32_t gi, struct tc_ent *t, const uint8_t *v, size_t n)
{
	const struct msc_rxgroup *g = &c->rs->groups[gi - 1];
	size_t bytes = (g->n + 63) / 64 * sizeof(uint64_t);
	struct vc_ent *known, *fill;
	struct grp_map map;
	uint64_t *bits;
	uint64_t h = 0;

	if ((known = vc_find(c, gi, bytes, v, n, &fill, &h))) {
		/* group entries are not changed once kept, nor freed before the next phase */
		c->st.vcache_hits++;
		t->hits = (const uint64_t *)known->mem;
		return t->hits;
	}
	bits = (uint64_t *)arena_alloc(c, bytes);
	if (!bits)
		return NULL;
	map = (struct grp_map){ bits, g->bit };
	memset(bits, 0, bytes);
	if (hs_scan(g->db, (const char *)v, (unsigned int)n, 0, c->scratch,
		    g->bit ? grp_map_cb : grp_cb, g->bit ? (void *)&map : bits) != HS_SUCCESS)
		return NULL;
	c->st.hs_scans++;
	if (fill)
		vc_fill(c, fill, gi, h, bits, bytes, v, n);
	t->hits = bits;
	return bits;
}

/*
 * Hyperscan's scan of element E transformed to V by the links of group GI (1-based; 0: none):
 * a bit per pattern of the group that may match (@rx) or matches (@pm), NULL when not known
 * (every pattern may). The first link of the phase that asks scans the value with its whole
 * group once; the answer for every pattern of the group is kept in the cache under the
 * group's key (TC_GROUP_KEY).
 */
static inline const uint64_t *group_hits(struct msc_ctx *c, uint32_t gi, const struct elem *e,
					 const uint8_t *v, size_t n)
{
	const struct msc_rxgroup *g;
	uint32_t key;
	struct tc_ent *t;

	if (!gi || !e || !e->cacheable || !c->scratch || n > UINT32_MAX)
		return NULL;
	g = &c->rs->groups[gi - 1];
	if (n < g->minlen)
		return c->grp_none; /* shorter than any match of its patterns: no scan */
	key = TC_GROUP_KEY(gi);
	t = tc_slot(c, e->v, e->vlen, key);
	if (!t)
		return NULL;
	if (t->gen != c->gen)
		*t = (struct tc_ent){ .src = e->v, .len = e->vlen, .key = key, .gen = c->gen };
	return t->hits ? t->hits : group_scan(c, gi, t, v, n);
}

static inline const uint64_t *rx_group_hits(struct msc_ctx *c, const struct msc_rule *l,
					    const struct elem *e, const uint8_t *v, size_t n)
{
	return group_hits(c, l->rx_group, e, v, n);
}

/* Hyperscan's verdict on link L's @rx for element E transformed to V: false when the pattern
 * cannot match (no PCRE2 run needed), true when it may (PCRE2 decides). */
static bool rx_may_match(struct msc_ctx *c, const struct msc_rule *l, const struct elem *e,
			 const uint8_t *v, size_t n)
{
	const uint64_t *hits = rx_group_hits(c, l, e, v, n);

	return !hits || (hits[l->rx_bit / 64] >> (l->rx_bit % 64) & 1);
}

/* Does V hold the code units every match of R's @rx holds (either case: the pattern may be
 * caseless, and PCRE2 without UTF folds ASCII letters only)? */
static bool rx_units_in(const struct msc_rule *r, const uint8_t *v, size_t n)
{
	if (!n)
		return r->re_unit[0] < 0 && r->re_unit[1] < 0;
	for (int i = 0; i < 2; i++) {
		int u = r->re_unit[i];

		if (u < 0)
			continue;
		if (!memchr(v, u, n) &&
		    !(((u | 0x20) >= 'a' && (u | 0x20) <= 'z') && memchr(v, u ^ 0x20, n)))
			return false;
	}
	return true;
}

/* A numeric operator (@eq, @ge, @gt, @lt, @le) on A and its argument B. */
static inline bool num_cmp(uint8_t op, int64_t a, int64_t b)
{
	return op == MSC_OP_EQ ? a == b :
	       op == MSC_OP_GE ? a >= b :
	       op == MSC_OP_GT ? a > b :
	       op == MSC_OP_LT ? a < b :
				 a <= b;
}

/* The slow paths of op_run(), out of line: its common path then needs no stack arrays (no
 * stack protector) and fewer saved registers, and it runs ~560 times per CRS request. */

/* An @rx argument with macros, compiled for this value; NULL (counted) when it does not. */
static __attribute__((noinline)) pcre2_code *rx_dynamic(struct msc_ctx *c, const char *arg,
							size_t alen)
{
	char err[256];
	pcre2_code *re;

	if (msc_rx_compile(arg, alen, false, &re, err, sizeof(err)) < 0) {
		c->st.rx_errors++;
		return NULL;
	}
	return re;
}

static __attribute__((noinline)) bool op_detect_sqli(struct msc_tx *tx, const struct msc_rule *r,
						     const uint8_t *v, size_t n)
{
	char fp[MSC_SQLI_FP_LEN] = "";
	bool m = msc_detect_sqli(v, n, fp);

	if (m && r->capture)
		set_capture(tx, 0, (const uint8_t *)fp, strnlen(fp, sizeof(fp)));
	return m;
}

/* Run R's operator on V (element E, NULL when not from the cache's point of view).
 * Returns 1 match, 0 none, -ENOMEM. */
static int op_run(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *r, struct elem *e,
		  const uint8_t *v, size_t n)
{
	const char *arg = r->op_arg;
	size_t alen = r->op_arg_len;
	bool m = false;

	if (r->op_macro.dynamic) {
		/* %{tx.restricted_headers}: the variable's value itself, no copy */
		arg = msc_expand_ref(c, tx, &r->op_macro, &c->tmp, &alen);
		if (!arg)
			return -ENOMEM;
	}
	switch (r->op) {
	case MSC_OP_RX: {
		pcre2_code *re = r->re;
		struct miss_vc vk;
		int rc;

		if (r->op_macro.dynamic && !(re = rx_dynamic(c, arg, alen)))
			return 0;
		if (re == r->re && (n < r->re_minlen || !rx_units_in(r, v, n))) {
			/* what PCRE2 would find first (it checks the same bounds) without the call */
			c->st.rx_precheck_out++;
			break;
		}
		if (!rx_may_match(c, r, e, v, n)) {
			c->st.rx_skipped++;
			break;
		}
		if (re == r->re && r->re_first_cls && e && v == e->v &&
		    !(elem_classes(c, e) & r->re_first_cls)) {
			/* no byte a match can start with: PCRE2 would look for one first */
			c->st.rx_precheck_out++;
			break;
		}
		if (re == r->re && r->rx_vidx && c->vc && n <= MSC_VCACHE_VALUE_MAX &&
		    vc_known_miss(c, VC_RX, r, v, n, &vk)) {
			c->st.vcache_rx_hits++;
			break;
		}
		c->st.rx_runs++;
		rc = msc_re_match(re, re == r->re && r->re_jit, v, n, c->md, c->mctx);
		if (rc < 0 && rc != PCRE2_ERROR_NOMATCH)
			c->st.rx_errors++;
		if (rc == PCRE2_ERROR_NOMATCH && re == r->re && r->rx_vidx && c->vc &&
		    n <= MSC_VCACHE_VALUE_MAX)
			vc_note_miss(c, VC_RX, r, v, n, &vk); /* only PCRE2 in between */
		m = rc >= 0;
		if (m && r->capture) {
			PCRE2_SIZE *ov = pcre2_get_ovector_pointer(c->md);
			int groups = rc == 0 ? 16 : rc;

			for (int i = 0; i < groups && i < 10; i++)
				if (ov[2 * i] != PCRE2_UNSET)
					set_capture(tx, i, v + ov[2 * i],
						    ov[2 * i + 1] - ov[2 * i]);
		}
		if (re != r->re)
			pcre2_code_free(re);
		break;
	}
	case MSC_OP_PM:
	case MSC_OP_PMFROMFILE: {
		struct pm_hit h = { 0 };
		const uint64_t *hits;

		if (!r->pm_db || !c->scratch)
			return 0;
		/* a group's phrases of the link are exactly the link's: its bit is the answer;
		 * the link's own scan finds the word to capture */
		if (r->rx_group && (hits = rx_group_hits(c, r, e, v, n))) {
			m = hits[r->rx_bit / 64] >> (r->rx_bit % 64) & 1;
			if (!m || !r->capture)
				break;
		} else if (r->pm_plain && e &&
			   ((v == e->v && n == e->vlen) || !(e->cls & r->pm_plain_trig)) &&
			   (hits = group_hits(c, r->pm_plain, e, e->v, e->vlen))) {
			/* the value as it came (up to ASCII case: transform() found its classes
			 * E->cls): the phase's group of phrases scans that */
			m = hits[r->pm_plain_bit / 64] >> (r->pm_plain_bit % 64) & 1;
			if (!m || !r->capture)
				break;
		}
		if (n > UINT32_MAX)
			n = UINT32_MAX;
		hs_scan(r->pm_db, (const char *)v, (unsigned int)n, 0, c->scratch, pm_cb, &h);
		m = h.hit;
		if (m && r->capture) {
			size_t wl = strlen(r->pm_words[h.id]);

			set_capture(tx, 0, v + h.to - wl, wl);
		}
		break;
	}
	case MSC_OP_CONTAINS:
		m = alen == 0 || (n >= alen && memmem(v, n, arg, alen));
		if (m && r->capture)
			set_capture(tx, 0, (const uint8_t *)arg, alen);
		break;
	case MSC_OP_CONTAINS_WORD:
		if (alen == 0) {
			m = true;
			break;
		}
		for (size_t i = 0; !m && i + alen <= n; i++)
			m = !memcmp(v + i, arg, alen) && word_at(v, n, i, alen);
		break;
	case MSC_OP_BEGINS_WITH:
		m = n >= alen && !memcmp(v, arg, alen);
		break;
	case MSC_OP_ENDS_WITH:
		m = n >= alen && !memcmp(v + n - alen, arg, alen);
		break;
	case MSC_OP_STREQ:
		m = n == alen && !memcmp(v, arg, alen);
		break;
	case MSC_OP_EQ:
	case MSC_OP_GE:
	case MSC_OP_GT:
	case MSC_OP_LT:
	case MSC_OP_LE: {
		int64_t b = r->op_macro.dynamic ? strtoll(arg, NULL, 10) : r->num;

		m = num_cmp(r->op, num_of(v, n), b);
		break;
	}
	case MSC_OP_WITHIN:
		/* ModSecurity: the empty string is always within */
		m = n == 0 || (alen >= n && memmem(arg, alen, v, n));
		break;
	case MSC_OP_IPMATCH:
		m = r->ipset && msc_ipset_match(r->ipset, v, n);
		break;
	case MSC_OP_VALIDATE_BYTE_RANGE:
		m = r->br && msc_op_validate_byte_range(r->br, v, n);
		break;
	case MSC_OP_VALIDATE_URL_ENCODING:
		m = msc_op_validate_url_encoding(v, n);
		break;
	case MSC_OP_VALIDATE_UTF8:
		m = msc_op_validate_utf8(v, n);
		break;
	case MSC_OP_DETECT_SQLI:
		m = op_detect_sqli(tx, r, v, n);
		break;
	case MSC_OP_DETECT_XSS:
		m = msc_detect_xss(v, n);
		break;
	case MSC_OP_UNCONDITIONAL:
		m = true;
		break;
	case MSC_OP_NOMATCH:
	default:
		m = false;
		break;
	}
	return m != r->op_neg;
}

/* ---- actions ---- */

/*
 * A literal name is hashed at load (msc_macro.raw_hash); name and value are not copied when
 * literal or one TX/IP/GLOBAL variable (msc_expand_ref); =+N / =-N look the name up once.
 */
static void do_setvar(struct msc_ctx *c, struct msc_tx *tx, const struct msc_setvar *sv)
{
	struct coll *co;
	const char *name, *val;
	size_t nlen, vlen;
	uint32_t h;
	int rc;

	co = sv->coll == MSC_COLL_TX ? &tx->tx :
	     sv->coll == MSC_COLL_IP ? (tx->ip ? &tx->ip->c : NULL) :
				       &c->global;
	if (!co)
		return; /* ip.* without initcol: ModSecurity ignores it too */
	name = msc_expand_ref(c, tx, &sv->name, &c->name, &nlen);
	if (!name || !nlen)
		return;
	h = sv->name.dynamic ? msc_name_hash(name, nlen) : sv->name.raw_hash;
	if (sv->op == MSC_SV_DEL) {
		msc_coll_del(co, name, nlen);
		return;
	}
	val = msc_expand_ref(c, tx, &sv->value, &c->tmp, &vlen);
	if (!val)
		return;
	if (sv->op == MSC_SV_EXPIRE) {
		struct kv *e = msc_coll_get_h(co, name, nlen, h, tx->now_us);
		int64_t secs = strtoll(val, NULL, 10);

		if (e && sv->coll != MSC_COLL_TX && secs > 0)
			e->expire_us = tx->now_us + (uint64_t)secs * 1000000u;
		return;
	}
	if (sv->op == MSC_SV_ADD || sv->op == MSC_SV_SUB) {
		struct kv *e = msc_coll_get_h(co, name, nlen, h, tx->now_us);
		int64_t a = e ? dec_of(e->val, e->vlen) : 0;
		int64_t b = dec_of(val, vlen);
		char nb[24];
		size_t n;

		a = sv->op == MSC_SV_ADD ? a + b : a - b;
		n = msc_fmt_i64(nb, a);
		/* an expired entry is set anew by msc_coll_set (as it was before) */
		rc = e ? msc_kv_set(e, nb, n) :
			 msc_coll_set_h(co, name, nlen, h, nb, n, MSC_TX_VARS_MAX);
	} else {
		if (vlen > MSC_VALUE_MAX) {
			vlen = MSC_VALUE_MAX;
			c->st.value_truncated++;
		}
		rc = msc_coll_set_h(co, name, nlen, h, val, vlen, MSC_TX_VARS_MAX);
	}
	if (rc < 0)
		c->st.tx_vars_refused++;
}

static void do_initcol_ip(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *r)
{
	msc_expand(c, tx, &r->initcol_ip, &c->tmp);
	if (c->tmp.oom)
		return;
	for (size_t i = 0; i < c->n_ip; i++) {
		if (!strcmp(c->ip[i].key, c->tmp.p ? c->tmp.p : "")) {
			tx->ip = &c->ip[i];
			return;
		}
	}
	if (c->n_ip >= MSC_IP_ENTRIES_MAX) {
		c->st.ip_refused++;
		return;
	}
	if (!c->ip) {
		/* allocated once at its cap: records never move while a tx points at one */
		c->ip = calloc(MSC_IP_ENTRIES_MAX, sizeof(*c->ip));
		if (!c->ip) {
			c->st.ip_refused++;
			return;
		}
	}
	c->ip[c->n_ip].key = strdup(c->tmp.p ? c->tmp.p : "");
	if (!c->ip[c->n_ip].key) {
		c->st.ip_refused++;
		return;
	}
	tx->ip = &c->ip[c->n_ip++];
}

static int push_ptr(void *vp, size_t *n, size_t size, const void *item)
{
	void **v = vp;
	char *nv = realloc(*v, (*n + 1) * size);

	if (!nv)
		return -ENOMEM;
	memcpy(nv + *n * size, item, size);
	*v = nv;
	(*n)++;
	return 0;
}

static void do_ctl(struct msc_tx *tx, const struct msc_ctl *ctl)
{
	tx->ctl_epoch++; /* what the transaction shows may change: cached lists are stale */
	switch (ctl->kind) {
	case MSC_CTL_RULE_ENGINE:
		tx->engine = (uint8_t)ctl->value;
		break;
	case MSC_CTL_REMOVE_BY_ID: {
		struct {
			uint32_t lo, hi;
		} x = { ctl->id_lo, ctl->id_hi };

		(void)push_ptr(&tx->rm_id, &tx->n_rm_id, sizeof(x), &x);
		break;
	}
	case MSC_CTL_REMOVE_BY_TAG: {
		const char *t = ctl->tag;

		(void)push_ptr(&tx->rm_tag, &tx->n_rm_tag, sizeof(t), &t);
		break;
	}
	case MSC_CTL_REMOVE_TARGET_BY_ID:
	case MSC_CTL_REMOVE_TARGET_BY_TAG:
		(void)push_ptr(&tx->rm_target, &tx->n_rm_target, sizeof(ctl), &ctl);
		break;
	case MSC_CTL_BODY_PROCESSOR:
		tx->body_proc = ctl->value;
		break;
	case MSC_CTL_FORCE_BODY:
		tx->force_body = ctl->value;
		break;
	case MSC_CTL_REQUEST_BODY_ACCESS:
		tx->body_access = ctl->value;
		break;
	default:
		break;
	}
}

static void nondisruptive(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l)
{
	if (l->has_initcol_ip)
		do_initcol_ip(c, tx, l);
	for (size_t i = 0; i < l->n_sv; i++)
		do_setvar(c, tx, &l->sv[i]);
	for (size_t i = 0; i < l->n_ctl; i++)
		do_ctl(tx, &l->ctl[i]);
}

static bool rule_has_tag(const struct msc_rule *r, const char *tag)
{
	for (size_t i = 0; i < r->n_tags; i++)
		if (!strcmp(r->tags[i], tag))
			return true;
	return false;
}

static bool rule_removed(const struct msc_tx *tx, const struct msc_rule *r)
{
	for (size_t i = 0; i < tx->n_rm_id; i++)
		if (r->id >= tx->rm_id[i].lo && r->id <= tx->rm_id[i].hi)
			return true;
	for (size_t i = 0; i < tx->n_rm_tag; i++)
		if (rule_has_tag(r, tx->rm_tag[i]))
			return true;
	return false;
}

/* The ctl target removals that apply to the chain of STARTER, kept in tx->rm_target order. */
static bool target_removal_applies(const struct msc_ctl *ctl, const struct msc_rule *starter)
{
	if (ctl->kind == MSC_CTL_REMOVE_TARGET_BY_ID)
		return starter->id >= ctl->id_lo && starter->id <= ctl->id_hi;
	return rule_has_tag(starter, ctl->tag);
}

static void record_match(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
			 const struct elem *e, const uint8_t *v, size_t n)
{
	struct mvar mv;

	n = MIN(n, (size_t)MSC_VALUE_MAX);
	/* V may be the old MATCHED_VAR itself: build in the spare buffers, then swap */
	msc_sb_reset(&tx->spare_name);
	msc_sb_put(&tx->spare_name, e->coll, strlen(e->coll));
	if (e->key) {
		msc_sb_put(&tx->spare_name, ":", 1);
		msc_sb_put(&tx->spare_name, e->key, e->klen);
	}
	msc_sb_reset(&tx->spare_val);
	msc_sb_put(&tx->spare_val, v, n);
	if (tx->spare_name.oom || tx->spare_val.oom)
		return;
	{
		struct sb t = tx->mname;

		tx->mname = tx->spare_name;
		tx->spare_name = t;
		t = tx->mval;
		tx->mval = tx->spare_val;
		tx->spare_val = t;
	}
	tx->has_matched = true;
	if (!l->next_reads_mvars)
		return; /* MATCHED_VARS is read by the next link only */
	mv.name = strndup(tx->mname.p, tx->mname.len);
	mv.val = malloc(n + 1);
	if (!mv.name || !mv.val) {
		free(mv.name);
		free(mv.val);
		c->st.matched_refused++;
		return;
	}
	memcpy(mv.val, tx->mval.p, n);
	mv.val[n] = '\0';
	mv.vlen = n;
	if (tx->mv_cur.n >= MSC_MATCHED_MAX ||
	    push_ptr(&tx->mv_cur.v, &tx->mv_cur.n, sizeof(mv), &mv) < 0) {
		c->st.matched_refused++;
		free(mv.name);
		free(mv.val);
	}
}

/* eval_elem() of a multiMatch link: the operator runs on the value and after each
 * transformation that changed it (buffers alternate; nothing in between transforms). */
static __attribute__((noinline)) int eval_elem_multi(struct msc_ctx *c, struct msc_tx *tx,
						     const struct msc_rule *l, struct elem *e)
{
	const uint8_t *v;
	size_t n;
	int rc, matched = 0;
	struct miss_vc where;
	bool keep = l->rx_vidx && c->vc && e->vlen <= MSC_VCACHE_VALUE_MAX;

	if (keep && vc_known_miss(c, VC_MULTI, l, e->v, e->vlen, &where)) {
		c->st.vcache_rx_hits++;
		return 0;
	}
	/* the operator runs on the value and after each transformation that changed it
	 * (buffers alternate; nothing in between transforms) */
	v = e->v;
	n = e->vlen;
	for (int k = 0; k <= l->n_tfn; k++) {
		if (k > 0) {
			struct msc_buf *out = &c->tb[k & 1];

			if (v == e->v &&
			    !(elem_classes(c, e) & msc_tfn_trigger((enum msc_tfn)l->tfn[k - 1])))
				continue; /* unchanged: no new value to run the operator on */

			rc = msc_tfn_apply((enum msc_tfn)l->tfn[k - 1], v, n, out);
			if (rc < 0)
				return rc;
			if (out->len == n && !memcmp(out->p, v, n)) {
				v = out->p ? out->p : v;
				continue;
			}
			v = out->p ? out->p : (const uint8_t *)"";
			n = out->len;
		}
		rc = op_run(c, tx, l, NULL, v, n);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			matched = 1;
			c->st.matches++;
			record_match(c, tx, l, e, v, n);
			nondisruptive(c, tx, l);
		}
	}
	if (keep && !matched)
		vc_note_miss(c, VC_MULTI, l, e->v, e->vlen, NULL); /* op_run used the cache */
	return matched;
}

/* Run link L on one element: transformations, the operator, and on a match the link's
 * non-disruptive actions. Returns 1 matched, 0 not, -ENOMEM. */
static int eval_elem(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l, struct elem *e)
{
	const uint8_t *v;
	size_t n;
	int rc;

	if (l->multi_match)
		return eval_elem_multi(c, tx, l, e);
	rc = transform(c, l, l->n_tfn, e, &v, &n);
	if (rc < 0)
		return rc;
	rc = op_run(c, tx, l, e, v, n);
	if (rc > 0) {
		c->st.matches++;
		record_match(c, tx, l, e, v, n);
		nondisruptive(c, tx, l);
	}
	return rc;
}

/* eval_tx_cmp's element E: the comparison, and on a match what eval_elem does then */
static int tx_cmp_elem(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
		       struct elem *e)
{
	if (num_cmp(l->op, num_of(e->v, e->vlen), l->num) == l->op_neg)
		return 0;
	c->st.matches++;
	record_match(c, tx, l, e, e->v, e->vlen);
	nondisruptive(c, tx, l);
	return 1;
}

/*
 * Link L that compares TX variables or their counts with a constant (tx_cmp: the
 * paranoia-level gates, score checks and &TX:crs_exclusions_x|TX:crs_exclusions_x tests,
 * ~190 links per CRS request), with no target removals in the transaction: what
 * msc_collect() and eval_elem() do for its elements (a count: 1 when the variable is set,
 * else 0; a value when set), in target order, without building the list. Returns 1 matched,
 * 0 not.
 */
static int eval_tx_cmp(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l)
{
	int matched = 0;

	for (size_t i = 0; i < l->n_t; i++) {
		const struct msc_target *t = &l->t[i];
		struct kv *kv = tx->tx.n ? msc_coll_get_h(&tx->tx, t->key, t->key_len, t->key_hash,
							  tx->now_us) :
					   NULL;
		const char *coll = t->cname ? t->cname : msc_var_name(t->kind, t->idx);
		struct elem e;

		if (t->count) {
			e = (struct elem){ .coll = coll, .num = { kv ? '1' : '0' } };
			e.v = (const uint8_t *)e.num;
			e.vlen = 1;
		} else if (kv) {
			e = (struct elem){ .v = (const uint8_t *)kv->val,
					   .vlen = kv->vlen,
					   .coll = coll,
					   .key = (const uint8_t *)kv->name,
					   .klen = kv->nlen };
		} else {
			continue; /* no value: no element */
		}
		matched |= tx_cmp_elem(c, tx, l, &e);
	}
	return matched;
}

/* Append ELEMS[0..N) to the context's target-list cache (numbers point into the copies). */
static int tl_store(struct msc_ctx *c, const struct elem *elems, size_t n)
{
	if (c->tl_n + n > c->tl_cap) {
		size_t cap = c->tl_cap ? c->tl_cap : 256;
		struct elem *nv;

		while (cap < c->tl_n + n)
			cap *= 2;
		nv = realloc(c->tl_ev, cap * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		c->tl_ev = nv;
		c->tl_cap = cap;
	}
	for (size_t i = 0; i < n; i++) {
		struct elem *d = &c->tl_ev[c->tl_n + i];

		*d = elems[i];
		d->memo_key = 0;
		if (elems[i].v == (const uint8_t *)elems[i].num)
			d->v = (const uint8_t *)d->num;
	}
	c->tl_n += n;
	return 0;
}

/*
 * Collect the cached target list of link L into TE (tl_ev). A target that an earlier list of
 * the phase (and ctl epoch) collected alike (msc_target.memo) is copied from that list's
 * elements instead of collected again: REQUEST_HEADERS, ARGS, REQUEST_COOKIES ... are parts
 * of ~40 lists per CRS request.
 */
static int tl_fill(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
		   struct tl_ent *te)
{
	struct {
		struct tm_ent *m;
		size_t from, n;
	} rec[16];
	size_t base = c->ev_n, n_rec = 0;
	int rc = 0;

	for (size_t ti = 0; ti < l->n_t && rc >= 0; ti++) {
		const struct msc_target *t = &l->t[ti];
		struct tm_ent *m = t->memo && c->tm ? &c->tm[t->memo] : NULL;
		size_t before = c->ev_n;

		if (t->exclude)
			continue;
		if (m && m->gen == c->gen && m->epoch == tx->ctl_epoch) {
			rc = msc_collect_copy(c, c->tl_ev + m->start, m->n);
			continue;
		}
		rc = msc_collect(c, tx, l, t);
		if (rc >= 0 && m && n_rec < ARRAY_SIZE(rec))
			rec[n_rec++] = (typeof(rec[0])){ m, before - base, c->ev_n - before };
	}
	if (rc >= 0)
		rc = tl_store(c, c->ev + base, c->ev_n - base);
	if (rc >= 0) {
		size_t start = c->tl_n - (c->ev_n - base);

		*te = (struct tl_ent){
			.gen = c->gen, .epoch = tx->ctl_epoch, .start = start, .n = c->ev_n - base
		};
		for (size_t i = 0; i < n_rec; i++)
			*rec[i].m = (struct tm_ent){ .gen = c->gen,
						     .epoch = tx->ctl_epoch,
						     .start = start + rec[i].from,
						     .n = rec[i].n };
	}
	c->ev_n = base;
	return rc;
}

/* group_may_match() for a @pm link L of its phase's group of phrases (and no @rx group): the
 * union of the group's scans of the elements as they came is kept per target list (for this
 * phase and ctl epoch), so each element is scanned once for all such links. */
static bool plain_may_match(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
			    const struct tl_ent *te)
{
	struct plain_ent *p = &c->plain[l->tlist];

	if (p->gen != c->gen || p->epoch != tx->ctl_epoch || p->gi != l->pm_plain) {
		size_t words = (c->rs->groups[l->pm_plain - 1].n + 63) / 64;

		memset(p->any, 0, words * sizeof(*p->any));
		p->gen = c->gen;
		p->epoch = tx->ctl_epoch;
		p->gi = l->pm_plain;
		p->all = false;
		p->cls = 0;
		for (size_t i = 0; i < te->n; i++) {
			struct elem *e = &c->tl_ev[te->start + i];
			const uint64_t *hits = group_hits(c, l->pm_plain, e, e->v, e->vlen);

			if (!hits) {
				p->all = true;
				break;
			}
			p->cls |= elem_classes(c, e);
			for (size_t w = 0; w < words; w++)
				p->any[w] |= hits[w];
		}
	}
	if (p->all || (p->cls & l->pm_plain_trig))
		return true; /* some value is not as it came for L: evaluated as usual */
	return p->any[l->pm_plain_bit / 64] >> (l->pm_plain_bit % 64) & 1;
}

/*
 * May link L's @rx or @pm match some element of its cached target list TE? Its Hyperscan
 * group covers links with the same list and transformations only, so the first of them to
 * run in the phase (and ctl epoch) scans every element (transformed as they all need) and
 * keeps the union of the scans; a pattern no element may match is known not to match any,
 * and its link (which has no effect when nothing matches) is not run. Negated links (match
 * on no match) are always run. A @pm of its phase's group of phrases is known not to match
 * when no element holds one of its phrases and its transformations leave every element as
 * it came (up to ASCII case): plain_may_match.
 */
static bool group_may_match(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
			    const struct tl_ent *te)
{
	struct grp_ent *g;
	size_t words;

	if (!l->rx_group && l->pm_plain && !l->op_neg && c->plain)
		return plain_may_match(c, tx, l, te);
	if (!l->rx_group || l->op_neg || !c->grp)
		return true;
	g = &c->grp[l->rx_group - 1];
	if (g->gen != c->gen || g->epoch != tx->ctl_epoch) {
		words = (c->rs->groups[l->rx_group - 1].n + 63) / 64;
		memset(g->any, 0, words * sizeof(*g->any));
		g->gen = c->gen;
		g->epoch = tx->ctl_epoch;
		g->all = false;
		for (size_t i = 0; i < te->n && !g->all; i++) {
			struct elem *e = &c->tl_ev[te->start + i];
			const uint64_t *hits;
			const uint8_t *v;
			size_t n;

			if (transform(c, l, l->n_tfn, e, &v, &n) < 0 ||
			    !(hits = rx_group_hits(c, l, e, v, n))) {
				g->all = true;
				break;
			}
			for (size_t w = 0; w < words; w++)
				g->any[w] |= hits[w];
		}
	}
	return g->all || (g->any[l->rx_bit / 64] >> (l->rx_bit % 64) & 1);
}

/* The byte classes of the elements of the cached list TE, or'ed (found on first use). */
static uint32_t tl_classes(struct msc_ctx *c, struct tl_ent *te)
{
	if (!te->cls) {
		uint32_t k = MSC_TFN_C_ALWAYS;

		for (size_t i = 0; i < te->n; i++)
			k |= elem_classes(c, &c->tl_ev[te->start + i]);
		te->cls = k;
	}
	return te->cls;
}

/*
 * May link L's operator match some element of TE? Not when no element holds a class of one
 * of L's need_cls (an @rx's first bytes or required code units, the bytes that make a
 * @validate* operator match) and none has a class that lets L's transformations change it:
 * each element would reach the operator as it came, and the operator (PCRE2 looks for a
 * first byte and the required units first) answers no. Negated links always run.
 */
static bool list_has_needed_class(struct msc_ctx *c, const struct msc_rule *l, struct tl_ent *te)
{
	uint32_t k;

	if (l->op_neg || l->op_macro.dynamic || !(l->need_cls[0] | l->need_cls[1] | l->need_cls[2]))
		return true;
	k = tl_classes(c, te);
	if (l->n_tfn && (k & l->tfn_trig[l->n_tfn - 1]))
		return true;
	for (int i = 0; i < 3; i++)
		if (l->need_cls[i] && !(k & l->need_cls[i]))
			return false;
	return true;
}

/* Evaluate one link. Returns 1 matched, 0 not, -ENOMEM. */
static int eval_link(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *l,
		     const struct msc_rule *starter)
{
	bool matched = false;
	const struct msc_ctl *applicable[64];
	size_t n_app = 0;
	int rc = 0;

	c->st.rules_evaluated++;
	/* MATCHED_VARS seen by this link: the previous link's */
	mvars_clear(&tx->mv_prev);
	{
		struct mvars t = tx->mv_prev;

		tx->mv_prev = tx->mv_cur;
		tx->mv_cur = t;
	}
	if (l == starter)
		mvars_clear(&tx->mv_prev);
	if (l->is_action) {
		nondisruptive(c, tx, l);
		return 1;
	}
	if (l->tx_cmp && !tx->n_rm_target)
		return eval_tx_cmp(c, tx, l);
	/* only the target removals for this rule take part in exclusions */
	for (size_t i = 0; i < tx->n_rm_target && n_app < ARRAY_SIZE(applicable); i++)
		if (target_removal_applies(tx->rm_target[i], starter))
			applicable[n_app++] = tx->rm_target[i];
	tx->rm_app = applicable;
	tx->n_rm_app = n_app;
	if (l->tlist && !n_app && c->tl) {
		/*
		 * A target list of request variables only, shared with other links: its values
		 * are collected once per phase (and again after a ctl changed what the
		 * transaction shows), then every link with that list iterates the copy.
		 */
		struct tl_ent *te = &c->tl[l->tlist];

		if (te->gen != c->gen || te->epoch != tx->ctl_epoch)
			rc = tl_fill(c, tx, l, te);
		if (rc >= 0 && !group_may_match(c, tx, l, te)) {
			c->st.rx_links_skipped++;
			goto out;
		}
		if (rc >= 0 && !list_has_needed_class(c, l, te)) {
			c->st.links_class_out++;
			goto out;
		}
		for (size_t i = 0; rc >= 0 && i < te->n; i++) {
			/* tl_ev does not move while a link runs: only link starts append */
			rc = eval_elem(c, tx, l, &c->tl_ev[te->start + i]);
			if (rc > 0)
				matched = true;
		}
		goto out;
	}
	for (size_t ti = 0; ti < l->n_t && rc >= 0; ti++) {
		const struct msc_target *t = &l->t[ti];
		size_t base = c->ev_n;

		if (t->exclude)
			continue;
		rc = msc_collect(c, tx, l, t);
		for (size_t i = base; i < c->ev_n && rc >= 0; i++) {
			struct elem e = c->ev[i];

			if (c->ev[i].v == (const uint8_t *)c->ev[i].num)
				e.v = (const uint8_t *)e.num; /* c->ev may move */
			rc = eval_elem(c, tx, l, &e);
			if (rc > 0)
				matched = true;
		}
		c->ev_n = base;
	}
out:
	tx->rm_app = NULL;
	tx->n_rm_app = 0;
	if (rc < 0)
		return rc;
	return matched;
}

static int64_t anomaly_score(struct msc_tx *tx)
{
	static const char pl[] = "anomaly_score_pl1";
	struct kv *e = msc_coll_get(&tx->tx, "anomaly_score", 13, tx->now_us);
	int64_t sum = 0, v;

	if (e && (v = dec_of(e->val, e->vlen)))
		return v;
	for (char i = '1'; i <= '4'; i++) {
		char n[sizeof(pl)];

		memcpy(n, pl, sizeof(pl));
		n[sizeof(pl) - 2] = i;
		e = msc_coll_get(&tx->tx, n, sizeof(pl) - 1, tx->now_us);
		if (e)
			sum += dec_of(e->val, e->vlen);
	}
	return sum;
}

/* Bytes of Q's body that are not file contents (SecRequestBodyNoFilesLimit): a multipart
 * body less its file parts' sizes (of the part kept: files past the HTTP layer's cap are not
 * seen), any other body whole. */
static uint64_t body_nofiles_len(const struct msc_request *q)
{
	const struct msc_str *p = &q->f[MSC_F_REQBODY_PROCESSOR];
	const struct msc_list *fs = &q->c[MSC_C_FILES_SIZES];
	uint64_t n = q->f[MSC_F_REQUEST_BODY].len, files = 0;

	if (!(p->len == 9 && !memcmp(p->ptr, "MULTIPART", 9)))
		return q->request_body_len;
	for (size_t i = 0; i < fs->n; i++) {
		char num[24];
		size_t l = MIN(fs->v[i].value.len, sizeof(num) - 1);

		memcpy(num, fs->v[i].value.ptr, l);
		num[l] = '\0';
		files += strtoull(num, NULL, 10);
	}
	return files < n ? n - files : 0;
}

/*
 * SecRequestBodyLimitAction Reject, before phase 2's rules: a body over SecRequestBodyLimit,
 * or whose data without files is over SecRequestBodyNoFilesLimit, is refused with 413 as
 * ModSecurity v2 does (v3.0.9 answers 403 for the first and only sets INBOUND_DATA_ERROR
 * for the second) under SecRuleEngine On; DetectionOnly reports it and reads on. One alert
 * (id 0) names the directive. ProcessPartial (the default) is the HTTP layer's cap alone.
 */
static void body_limits(struct msc_ctx *c, struct msc_tx *tx, const struct msc_request *q,
			msc_alert_cb cb, void *user)
{
	const struct msc_config *cfg = &c->rs->cfg;
	uint64_t nofiles;
	char msg[160];
	struct msc_alert a = { .phase = 2, .severity = 2, .blocking = true };

	if (!cfg->request_body_limit_reject || !msc_tx_request_body_access(tx))
		return;
	if (cfg->request_body_limit && q->request_body_len > cfg->request_body_limit) {
		snprintf(msg, sizeof(msg),
			 "Request body (%" PRIu64 " bytes) is larger than the configured limit "
			 "(SecRequestBodyLimit %" PRIu64 ")",
			 q->request_body_len, cfg->request_body_limit);
	} else if (cfg->request_body_nofiles_limit &&
		   (nofiles = body_nofiles_len(q)) > cfg->request_body_nofiles_limit) {
		snprintf(msg, sizeof(msg),
			 "Request body no files data length (%" PRIu64 " bytes) is larger than the "
			 "configured limit (SecRequestBodyNoFilesLimit %" PRIu64 ")",
			 nofiles, cfg->request_body_nofiles_limit);
	} else {
		return;
	}
	c->st.body_limit_hits++;
	a.msg = msg;
	a.anomaly_score = anomaly_score(tx);
	a.disruptive = tx->engine == MSC_ENGINE_ON;
	a.status = a.disruptive ? 413 : 0;
	if (cb) {
		c->st.alerts++;
		cb(user, &a);
	}
	if (a.disruptive)
		tx->intercepted = 413;
}

int msc_tx_run_phase(struct msc_ctx *c, struct msc_tx *tx, int phase, const struct msc_request *req,
		     msc_alert_cb cb, void *user)
{
	const struct msc_ruleset *rs = c->rs;
	int skip_n = 0;

	if (phase < 1 || phase > 5)
		return -EINVAL;
	if (tx->engine == MSC_ENGINE_OFF)
		return 0;
	if ((tx->intercepted || tx->allowed) && phase != 5)
		return 0;
	if (phase == 2) {
		body_limits(c, tx, req, cb, user);
		if (tx->intercepted)
			return 0;
	}
	c->st.phases++;
	tx->req = req;
	c->gen++;
	if (c->gen == 0) {
		memset(c->tc, 0, TC_SLOTS * sizeof(*c->tc));
		c->gen = 1;
	}
	arena_reset(c, false);
	vc_reap(c);
	c->tc_bytes = 0;
	c->tl_n = 0;
	c->ev_n = 0;
	for (size_t pi = 0; pi < rs->n_phase_idx[phase]; pi++) {
		const struct msc_rule *r = rs->v[rs->phase_idx[phase][pi]];
		int rc = 0;

		if (r->is_marker || r->phase != phase || r->removed)
			continue;
		if (skip_n > 0) {
			skip_n--;
			continue;
		}
		if (tx->engine == MSC_ENGINE_OFF)
			break;
		if (rule_removed(tx, r))
			continue;
		tx->cur_rule = r;
		for (const struct msc_rule *l = r; l; l = l->next) {
			rc = eval_link(c, tx, l, r);
			if (rc <= 0)
				break;
		}
		if (rc < 0)
			return rc;
		if (rc == 0)
			continue;
		/* the whole chain matched */
		{
			uint8_t d = r->disr == MSC_DISR_BLOCK ? r->block_as : r->disr;
			bool blocking =
				d == MSC_DISR_DENY || d == MSC_DISR_DROP || d == MSC_DISR_REDIRECT;
			bool disrupt = tx->engine == MSC_ENGINE_ON && blocking;

			if (r->log && cb) {
				struct msc_alert a = {
					.id = r->id,
					.phase = phase,
					.severity = r->severity,
					.tags = (const char *const *)r->tags,
					.n_tags = r->n_tags,
					.ver = r->ver,
					.rev = r->rev,
					.disruptive = disrupt,
					.blocking = blocking,
					.status = disrupt ? (r->status ? r->status : 403) : 0,
				};

				msc_expand(c, tx, &r->msg, &c->msg);
				a.msg = c->msg.p && !c->msg.oom ? c->msg.p : "";
				if (r->logdata.raw) {
					msc_expand(c, tx, &r->logdata, &c->logdata);
					a.logdata =
						c->logdata.p && !c->logdata.oom ? c->logdata.p : "";
				}
				a.anomaly_score = anomaly_score(tx);
				c->st.alerts++;
				cb(user, &a);
			}
			if (disrupt) {
				tx->intercepted = r->status ? r->status : 403;
				break;
			}
			if (d == MSC_DISR_ALLOW && tx->engine == MSC_ENGINE_ON) {
				tx->allowed = true;
				break;
			}
			if (r->skip_after)
				pi = rs->skip_idx[phase][pi] -
				     1; /* on to the marker (or the end) */
			else if (r->skip)
				skip_n = r->skip;
		}
	}
	tx->cur_rule = NULL;
	tx->req = NULL;
	return 0;
}
