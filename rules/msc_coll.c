// SPDX-License-Identifier: GPL-2.0-only
/*
 * SecRule collections and variables: the TX/IP/GLOBAL collections (recycled between
 * transactions), growable text, the values of a variable for a rule (selectors, /regex/
 * keys, exclusions, counts, derived variables such as ARGS_COMBINED_SIZE, REQUEST_BODY as
 * ModSecurity v2 shows it) and %{...} macro expansion.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "msc_eval_int.h"

void msc_coll_done(struct coll *c)
{
	for (size_t i = 0; i < c->cap; i++) {
		free(c->v[i].name);
		free(c->v[i].val);
	}
	free(c->v);
	free(c->idx);
	*c = (struct coll){ 0 };
}

/* A NUL among the 8 bytes of W. */
static inline bool has_nul8(uint64_t w)
{
	return (w - 0x0101010101010101ull) & ~w & 0x8080808080808080ull;
}

/* Bytes of S (N bytes) before its first NUL (N when none): what strncasecmp() compares.
 * Eight bytes at a time (the last word overlapping): names are ~20 bytes, and a memchr()
 * call was 15% of a lookup. */
static size_t name_span(const char *s, size_t n)
{
	if (n >= 8) {
		uint64_t w;
		size_t i;

		for (i = 0; i + 8 <= n; i += 8) {
			memcpy(&w, s + i, 8);
			if (has_nul8(w))
				goto slow;
		}
		memcpy(&w, s + n - 8, 8);
		if (!has_nul8(w))
			return n;
	}
slow:
	for (size_t i = 0; i < n; i++)
		if (!s[i])
			return i;
	return n;
}

/*
 * Hash of a name as entries are compared (length, then strncasecmp: up to the first NUL):
 * the length and the first and last 8 bytes before any NUL, each byte ORed with 0x20 (the
 * bit case folding flips, in ASCII and in Latin-1 alike), so names strncasecmp() calls
 * equal hash alike. CRS names share long prefixes ("942100-OWASP_CRS/...-ARGS:x") and differ
 * at the end; a byte-by-byte hash of them cost more than the linear search it replaced.
 */
uint32_t msc_name_hash(const char *s, size_t nlen)
{
	size_t n = name_span(s, nlen);
	uint64_t a = 0, b = 0, h;

	if (n >= 8) {
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
	} else {
		for (size_t i = 0; i < n; i++)
			a |= (uint64_t)(uint8_t)s[i] << (8 * i);
	}
	a |= 0x2020202020202020ull;
	b |= 0x2020202020202020ull;
	h = a * 0x9e3779b97f4a7c15ull ^ b * 0xc2b2ae3d27d4eb4full ^ nlen * 0x165667b19e3779f9ull;
	return (uint32_t)(h >> 32) ^ (uint32_t)h;
}

/* The 8 bytes of W with ASCII capitals made small (tolower() of each, C locale). */
static inline uint64_t fold8(uint64_t w)
{
	uint64_t h = w & 0x7f7f7f7f7f7f7f7full;
	uint64_t up = (h + 0x3f3f3f3f3f3f3f3full) & ~(h + 0x2525252525252525ull) & ~w &
		      0x8080808080808080ull; /* bit 7: 'A' <= byte <= 'Z' */

	return w | up >> 2;
}

static inline uint8_t ascii_fold(uint8_t ch)
{
	return ch >= 'A' && ch <= 'Z' ? ch | 0x20 : ch;
}

/*
 * strncasecmp(A, B, N) == 0 (the C locale's: ASCII letters fold), 8 bytes at a time (the
 * last word overlapping): the CRS spells a name in capitals where it reads it
 * (TX:EXECUTING_PARANOIA_LEVEL) and small where it sets it. Equal folded bytes throughout
 * are equal to strncasecmp(); on a difference, strncasecmp() decides (a NUL before it
 * makes the names equal).
 */
static inline bool name_eq(const char *a, const char *b, size_t n)
{
	if (n >= 8) {
		for (size_t i = 0;; i += 8) {
			uint64_t x, y;

			if (i > n - 8)
				i = n - 8;
			memcpy(&x, a + i, 8);
			memcpy(&y, b + i, 8);
			if (x != y && fold8(x) != fold8(y))
				return !strncasecmp(a, b, n);
			if (i == n - 8)
				return true;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (ascii_fold((uint8_t)a[i]) != ascii_fold((uint8_t)b[i]))
			return !strncasecmp(a, b, n);
	return true;
}

static bool kv_is(const struct kv *e, const char *name, size_t nlen, uint32_t h)
{
	return e->hash == h && e->nlen == nlen && name_eq(e->name, name, nlen);
}

/* Put entry I in the index (which has room). */
static void idx_insert(struct coll *c, size_t i)
{
	size_t mask = c->icap - 1, h = c->v[i].hash & mask;

	while (c->idx[h])
		h = (h + 1) & mask;
	c->idx[h] = (uint32_t)i + 1;
}

/* Index the N entries again in a table of at least 2 * MIN_N slots. 0 or -ENOMEM. */
static int idx_rebuild(struct coll *c, size_t min_n)
{
	size_t cap = c->icap ? c->icap : 64;

	while (cap < 2 * min_n)
		cap *= 2;
	if (cap != c->icap) {
		uint32_t *ni = malloc(cap * sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		free(c->idx);
		c->idx = ni;
		c->icap = cap;
	}
	memset(c->idx, 0, c->icap * sizeof(*c->idx));
	for (size_t i = 0; i < c->n; i++)
		idx_insert(c, i);
	return 0;
}

/* The entry NAME (case-insensitive, H its msc_name_hash()), expired or not; inline for the
 * ~200 lookups of each CRS request (msc_collect, macros, setvar). */
static inline struct kv *coll_find(struct coll *c, const char *name, size_t nlen, uint32_t h)
{
	size_t mask, i;

	if (!c->n)
		return NULL;
	mask = c->icap - 1;
	for (i = h & mask; c->idx[i]; i = (i + 1) & mask) {
		struct kv *e = &c->v[c->idx[i] - 1];

		if (kv_is(e, name, nlen, h))
			return e;
	}
	return NULL;
}

/* coll_find() unless expired at NOW. */
static inline struct kv *coll_get(struct coll *c, const char *name, size_t nlen, uint32_t h,
				  uint64_t now)
{
	struct kv *e = coll_find(c, name, nlen, h);

	return e && !(e->expire_us && e->expire_us <= now) ? e : NULL;
}

struct kv *msc_coll_find_h(struct coll *c, const char *name, size_t nlen, uint32_t h)
{
	return coll_find(c, name, nlen, h);
}

/* The entry NAME (case-insensitive), expired or not. */
struct kv *msc_coll_find(struct coll *c, const char *name, size_t nlen)
{
	return c->n ? msc_coll_find_h(c, name, nlen, msc_name_hash(name, nlen)) : NULL;
}

/* NAME's entry (H its msc_name_hash()) unless expired at NOW. */
struct kv *msc_coll_get_h(struct coll *c, const char *name, size_t nlen, uint32_t h, uint64_t now)
{
	return coll_get(c, name, nlen, h, now);
}

/* NAME's entry unless expired at NOW. */
struct kv *msc_coll_get(struct coll *c, const char *name, size_t nlen, uint64_t now)
{
	return c->n ? msc_coll_get_h(c, name, nlen, msc_name_hash(name, nlen), now) : NULL;
}

void msc_coll_del(struct coll *c, const char *name, size_t nlen)
{
	struct kv *e = msc_coll_find(c, name, nlen);

	if (e) {
		size_t i = (size_t)(e - c->v);
		struct kv t = c->v[i];

		/* the last entry moves here; the deleted one's buffers go past n */
		c->v[i] = c->v[c->n - 1];
		c->v[c->n - 1] = t;
		c->n--;
		(void)idx_rebuild(c, c->n); /* the table is big enough: no allocation */
	}
}

/* Copy N bytes of S into *BUF (capacity *CAP, grown as needed), NUL-terminated. */
static int buf_set(char **buf, size_t *cap, const char *s, size_t n)
{
	if (!*buf || *cap < n + 1) {
		size_t nc = n + 1 < 32 ? 32 : n + 1;
		char *nb = realloc(*buf, nc);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = nc;
	}
	memmove(*buf, s, n); /* S may be *BUF itself (setvar:tx.a=%{tx.a}) */
	(*buf)[n] = '\0';
	return 0;
}

/*
 * Set NAME to VAL. Entries past c->n keep their buffers from earlier transactions (the
 * collection is recycled), so steady state allocates nothing. Returns 0, -ENOBUFS past
 * MAX entries, -ENOMEM.
 */
int msc_coll_set(struct coll *c, const char *name, size_t nlen, const char *val, size_t vlen,
		 size_t max)
{
	return msc_coll_set_h(c, name, nlen, msc_name_hash(name, nlen), val, vlen, max);
}

int msc_kv_set(struct kv *e, const char *val, size_t vlen)
{
	if (buf_set(&e->val, &e->vcap, val, vlen) < 0)
		return -ENOMEM;
	e->vlen = vlen;
	e->expire_us = 0;
	return 0;
}

/* msc_coll_set() with H = msc_name_hash(NAME, NLEN) known. */
int msc_coll_set_h(struct coll *c, const char *name, size_t nlen, uint32_t h, const char *val,
		   size_t vlen, size_t max)
{
	struct kv *e = coll_find(c, name, nlen, h);

	if (!e) {
		if (c->n >= max)
			return -ENOBUFS;
		if (2 * (c->n + 1) > c->icap && idx_rebuild(c, c->n + 1) < 0)
			return -ENOMEM;
		if (c->n == c->cap) {
			size_t cap = c->cap ? c->cap * 2 : 64;
			struct kv *v = realloc(c->v, cap * sizeof(*v));

			if (!v)
				return -ENOMEM;
			memset(v + c->cap, 0, (cap - c->cap) * sizeof(*v));
			c->v = v;
			c->cap = cap;
		}
		e = &c->v[c->n];
		if (!(e->name && e->hash == h && e->nlen == nlen && !memcmp(e->name, name, nlen))) {
			/* not the name this recycled entry had: its selector verdicts go */
			if (buf_set(&e->name, &e->ncap, name, nlen) < 0)
				return -ENOMEM;
			e->nlen = nlen;
			e->hash = h;
			e->sel_known = e->sel_match = 0;
		}
		e->vlen = 0;
		if (!e->val && buf_set(&e->val, &e->vcap, "", 0) < 0)
			return -ENOMEM;
		c->n++;
		idx_insert(c, c->n - 1);
	}
	return msc_kv_set(e, val, vlen);
}

/* Forget the entries, keep the buffers for the next transaction. */
void msc_coll_clear(struct coll *c)
{
	if (c->n)
		memset(c->idx, 0, c->icap * sizeof(*c->idx));
	c->n = 0;
}

/* Room in B for N more bytes and a NUL (msc_sb_put() when it has none); sets oom when
 * out of memory. */
void msc_sb_grow(struct sb *b, size_t n)
{
	size_t cap = b->cap ? b->cap : 256;
	char *np;

	while (cap < b->len + n + 1)
		cap *= 2;
	np = realloc(b->p, cap);
	if (!np) {
		b->oom = true;
		return;
	}
	b->p = np;
	b->cap = cap;
}

/* ---- variables ---- */

/*
 * Room for one more element in c->ev. A number's element points at its own num[]: such
 * pointers are moved with the array (the caller's copies check v == num, as before).
 */
static int ev_grow(struct msc_ctx *c)
{
	size_t cap = c->ev_cap ? c->ev_cap * 2 : 64;
	struct elem *nv = malloc(cap * sizeof(*nv));

	if (!nv)
		return -ENOMEM;
	for (size_t i = 0; i < c->ev_n; i++) {
		nv[i] = c->ev[i];
		if (c->ev[i].v == (const uint8_t *)c->ev[i].num)
			nv[i].v = (const uint8_t *)nv[i].num;
	}
	free(c->ev);
	c->ev = nv;
	c->ev_cap = cap;
	return 0;
}

/* Append E; a number's element (v NULL) is pointed at its own text. */
static int ev_push(struct msc_ctx *c, const struct elem *e)
{
	struct elem *d;

	if (c->ev_n == c->ev_cap && ev_grow(c) < 0)
		return -ENOMEM;
	d = &c->ev[c->ev_n++];
	*d = *e;
	if (!d->v) {
		d->v = (const uint8_t *)d->num;
		d->vlen = strlen(d->num);
	}
	return 0;
}

int msc_collect_copy(struct msc_ctx *c, const struct elem *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct elem *d;

		if (c->ev_n == c->ev_cap && ev_grow(c) < 0)
			return -ENOMEM;
		d = &c->ev[c->ev_n++];
		*d = src[i];
		if (src[i].v == (const uint8_t *)src[i].num)
			d->v = (const uint8_t *)d->num;
	}
	return 0;
}

/* Append the element of value V from variable COLL (key K), built in place: the hot
 * variables' values were built on the stack and copied (~100 bytes), ~3% of the engine. */
static inline int ev_put(struct msc_ctx *c, const uint8_t *v, size_t vlen, const char *coll,
			 const uint8_t *k, size_t klen, bool cacheable)
{
	struct elem *d;

	if (c->ev_n == c->ev_cap && ev_grow(c) < 0)
		return -ENOMEM;
	d = &c->ev[c->ev_n++];
	d->v = v;
	d->vlen = vlen;
	d->coll = coll;
	d->key = k;
	d->klen = klen;
	d->cacheable = cacheable;
	d->cls = 0;
	d->num[0] = '\0';
	d->memo_key = 0;
	d->memo = NULL;
	d->memo_len = 0;
	return 0;
}

/* T's literal selector (msc_key_literal) in the key K: caseless as PCRE2's default tables */
static bool key_literal_in(const struct msc_target *t, const uint8_t *k, size_t klen)
{
	size_t n = t->key_lit_len, last;

	if (klen < n)
		return false;
	last = t->key_lit_kind == MSC_KEY_LIT_PREFIX ? 0 : klen - n;
	for (size_t i = 0; i <= last; i++) {
		size_t j = 0;

		while (j < n && ascii_fold(k[i + j]) == ascii_fold((uint8_t)t->key_lit[j]))
			j++;
		if (j == n)
			return true;
	}
	return false;
}

static bool key_matches(struct msc_ctx *c, const struct msc_target *t, const uint8_t *k,
			size_t klen)
{
	if (t->key_lit_kind)
		return key_literal_in(t, k, klen);
	if (t->key_re)
		return msc_re_match(t->key_re, t->key_re_jit, k, klen, c->md, NULL) >= 0;
	if (t->key)
		return t->key_len == klen && name_eq(t->key, (const char *)k, klen);
	return true;
}

/* Same variable (kind and collection) as an exclusion X, and the key is selected by X. */
static bool excluded_by(struct msc_ctx *c, const struct msc_target *x, const struct msc_target *t,
			const uint8_t *k, size_t klen)
{
	if (x->kind != t->kind || x->idx != t->idx)
		return false;
	return key_matches(c, x, k, klen);
}

/* Is the key K of T (a target of R) excluded by R's !VAR targets or a ctl target removal?
 * Only exclusions of T's own variable can (excl_named, set at load): the others are not
 * looked at for each value. */
static inline bool is_excluded(struct msc_ctx *c, const struct msc_tx *tx, const struct msc_rule *r,
			       const struct msc_target *t, const uint8_t *k, size_t klen)
{
	if (!t->excl_named && !tx->n_rm_app)
		return false;
	for (size_t i = 0; t->excl_named && i < r->n_t; i++)
		if (r->t[i].exclude && excluded_by(c, &r->t[i], t, k, klen))
			return true;
	for (size_t i = 0; i < tx->n_rm_app; i++)
		if (excluded_by(c, &tx->rm_app[i]->target, t, k, klen))
			return true;
	return false;
}

/* Decimal text of V into BUF (at least 21 bytes); returns its length. */
size_t msc_fmt_i64(char *buf, int64_t v)
{
	char t[24];
	size_t n = 0, len = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[len++] = '-';
	while (n)
		buf[len++] = t[--n];
	buf[len] = '\0';
	return len;
}

static void num_elem(struct elem *e, const char *coll, int64_t v)
{
	*e = (struct elem){ .coll = coll };
	msc_fmt_i64(e->num, v);
}

static struct coll *tx_coll(struct msc_tx *tx, uint8_t kind)
{
	if (kind == MSC_VK_TX)
		return &tx->tx;
	if (kind == MSC_VK_IP)
		return tx->ip ? &tx->ip->c : NULL;
	return &tx->ctx->global;
}

static const char *const body_proc_names[] = {
	NULL, "URLENCODED", "MULTIPART", "JSON", "XML", NULL
};

/*
 * ModSecurity v2 (the CRS's reference): REQUEST_BODY exists when the URLENCODED processor
 * read the body, or when no processor did and ctl:forceRequestBodyVariable is on. Multipart,
 * XML and JSON bodies are seen through their own variables only (v3 fills REQUEST_BODY
 * always, which makes 944100-944210 match XML element names the tests call benign).
 */
static bool request_body_visible(const struct msc_tx *tx)
{
	const struct msc_str *p = &tx->req->f[MSC_F_REQBODY_PROCESSOR];
	int proc = tx->body_proc;

	if (proc == MSC_BODY_AUTO && p->ptr) {
		char name[16];
		size_t n = MIN(p->len, sizeof(name) - 1);

		memcpy(name, p->ptr, n);
		name[n] = '\0';
		proc = msc_parse_body_processor(name);
		if (proc < 0)
			proc = MSC_BODY_NONE;
	}
	if (proc == MSC_BODY_URLENCODED)
		return true;
	if (proc == MSC_BODY_AUTO || proc == MSC_BODY_NONE)
		return tx->force_body;
	return false;
}

/*
 * Append to ctx->ev the values of T for rule R (R NULL: no exclusions, for macros). The
 * element for a count target is the count. Returns 0 or -ENOMEM.
 */
int msc_collect(struct msc_ctx *c, struct msc_tx *tx, const struct msc_rule *r,
		const struct msc_target *t)
{
	const struct msc_request *q = tx->req;
	const char *cname = t->cname ? t->cname : msc_var_name(t->kind, t->idx);
	size_t start = c->ev_n;
	struct elem e;
	int rc = 0;

#define PUSH(E)                                  \
	do {                                     \
		if ((rc = ev_push(c, &(E))) < 0) \
			return rc;               \
	} while (0)
#define PUT(V, VL, K, KL, CACHEABLE)                                                \
	do {                                                                        \
		if ((rc = ev_put(c, (V), (VL), cname, (K), (KL), (CACHEABLE))) < 0) \
			return rc;                                                  \
	} while (0)
/* every key is selected; some exclusion may apply: the same for each value, set before a
 * loop over values (not in each call: most select one TX variable) */
#define SELECTION_SETUP()                                                \
	const bool all_keys = !t->key_lit_kind && !t->key_re && !t->key; \
	const bool plain_key = t->key && !t->key_lit_kind && !t->key_re; \
	const bool excl = r && (t->excl_named || tx->n_rm_app)
/* a plain key (REQUEST_HEADERS:Content-Type) compared here: most names differ in length */
#define SELECTED(K, KL)                                                                 \
	((all_keys ||                                                                   \
	  (plain_key ? t->key_len == (KL) && name_eq(t->key, (const char *)(K), (KL)) : \
		       key_matches(c, t, (K), (KL)))) &&                                \
	 !(excl && is_excluded(c, tx, r, t, (K), (KL))))
	switch (t->kind) {
	case MSC_VK_FIELD: {
		const struct msc_str *f = &q->f[t->idx];

		if (!f->ptr)
			break;
		if (t->idx == MSC_F_REQUEST_BODY && !request_body_visible(tx))
			break;
		if (t->idx == MSC_F_RESPONSE_BODY && !c->rs->cfg.response_body_access)
			break; /* SecResponseBodyAccess Off */
		if (!(r && is_excluded(c, tx, r, t, NULL, 0)))
			PUT(f->ptr, f->len, NULL, 0, true);
		break;
	}
	case MSC_VK_COLL:
	case MSC_VK_COLL_NAMES:
	case MSC_VK_XML: {
		const struct msc_list *l = &q->c[t->idx];
		SELECTION_SETUP();

		for (size_t i = 0; i < l->n; i++) {
			const struct msc_kv *kv = &l->v[i];

			if (t->kind != MSC_VK_XML && !SELECTED(kv->name.ptr, kv->name.len))
				continue;
			/* XML://@NAME: attribute names are case-sensitive, as in XPath; exclusions
			 * (!XML://@*, ctl:ruleRemoveTargetById=N;XML:/(star)) drop a selector's values */
			if (t->kind == MSC_VK_XML &&
			    ((t->key && (kv->name.len != t->key_len ||
					 memcmp(kv->name.ptr, t->key, t->key_len))) ||
			     (excl && is_excluded(c, tx, r, t, kv->name.ptr, kv->name.len))))
				continue;
			{
				const struct msc_str *val =
					t->kind == MSC_VK_COLL_NAMES ? &kv->name : &kv->value;
				bool xml = t->kind == MSC_VK_XML;

				PUT(val->ptr ? val->ptr : (const uint8_t *)"", val->len,
				    xml ? NULL : kv->name.ptr, xml ? 0 : kv->name.len, true);
			}
		}
		break;
	}
	case MSC_VK_ARGS:
	case MSC_VK_ARGS_NAMES: {
		SELECTION_SETUP();

		for (int w = 0; w < 2; w++) {
			const struct msc_list *l = &q->c[w ? MSC_C_ARGS_POST : MSC_C_ARGS_GET];

			for (size_t i = 0; i < l->n; i++) {
				const struct msc_kv *kv = &l->v[i];
				const struct msc_str *val =
					t->kind == MSC_VK_ARGS ? &kv->value : &kv->name;

				if (!SELECTED(kv->name.ptr, kv->name.len))
					continue;
				PUT(val->ptr ? val->ptr : (const uint8_t *)"", val->len,
				    kv->name.ptr, kv->name.len, true);
			}
		}
		break;
	}
	case MSC_VK_TX:
	case MSC_VK_IP:
	case MSC_VK_GLOBAL: {
		struct coll *co = tx_coll(tx, t->kind);

		if (!co)
			break;
		if (t->key && !t->key_re) {
			struct kv *kv = coll_get(co, t->key, t->key_len, t->key_hash, tx->now_us);

			if (kv &&
			    !(r && is_excluded(c, tx, r, t, (const uint8_t *)kv->name, kv->nlen)))
				PUT((const uint8_t *)kv->val, kv->vlen, (const uint8_t *)kv->name,
				    kv->nlen, false);
			break;
		}
		SELECTION_SETUP();
		const uint64_t bit = t->sel_bit ? 1ull << (t->sel_bit - 1) : 0;

		for (size_t i = 0; i < co->n; i++) {
			struct kv *kv = &co->v[i];

			if (kv->expire_us && kv->expire_us <= tx->now_us)
				continue;
			if (bit) {
				/* this selector's verdict on this name, kept from the first look */
				if (!(kv->sel_known & bit)) {
					kv->sel_known |= bit;
					if (key_matches(c, t, (const uint8_t *)kv->name, kv->nlen))
						kv->sel_match |= bit;
				}
				if (!(kv->sel_match & bit) ||
				    (excl &&
				     is_excluded(c, tx, r, t, (const uint8_t *)kv->name, kv->nlen)))
					continue;
			} else if (!SELECTED((const uint8_t *)kv->name, kv->nlen)) {
				continue;
			}
			PUT((const uint8_t *)kv->val, kv->vlen, (const uint8_t *)kv->name, kv->nlen,
			    false);
		}
		break;
	}
	case MSC_VK_MATCHED_VAR:
	case MSC_VK_MATCHED_VAR_NAME:
		if (!tx->has_matched)
			break;
		e = (struct elem){ .coll = cname };
		if (t->kind == MSC_VK_MATCHED_VAR) {
			e.v = (const uint8_t *)(tx->mval.p ? tx->mval.p : "");
			e.vlen = tx->mval.len;
		} else {
			e.v = (const uint8_t *)tx->mname.p;
			e.vlen = tx->mname.len;
		}
		PUSH(e);
		break;
	case MSC_VK_MATCHED_VARS:
	case MSC_VK_MATCHED_VARS_NAMES: {
		SELECTION_SETUP();

		for (size_t i = 0; i < tx->mv_prev.n; i++) {
			const struct mvar *m = &tx->mv_prev.v[i];

			if (!SELECTED((const uint8_t *)m->name, strlen(m->name)))
				continue;
			e = (struct elem){ .coll = cname,
					   .key = (const uint8_t *)m->name,
					   .klen = strlen(m->name) };
			if (t->kind == MSC_VK_MATCHED_VARS) {
				e.v = m->val;
				e.vlen = m->vlen;
			} else {
				e.v = (const uint8_t *)m->name;
				e.vlen = strlen(m->name);
			}
			PUSH(e);
		}
		break;
	}
	case MSC_VK_ARGS_COMBINED_SIZE: {
		int64_t sum = 0;

		for (int w = 0; w < 2; w++) {
			const struct msc_list *l = &q->c[w ? MSC_C_ARGS_POST : MSC_C_ARGS_GET];

			for (size_t i = 0; i < l->n; i++)
				sum += (int64_t)(l->v[i].name.len + l->v[i].value.len);
		}
		num_elem(&e, cname, sum);
		PUSH(e);
		break;
	}
	case MSC_VK_FILES_COMBINED_SIZE: {
		int64_t sum = 0;
		const struct msc_list *l = &q->c[MSC_C_FILES_SIZES];

		for (size_t i = 0; i < l->n; i++) {
			char nb[24];
			size_t n = MIN(l->v[i].value.len, sizeof(nb) - 1);

			memcpy(nb, l->v[i].value.ptr ? (const char *)l->v[i].value.ptr : "", n);
			nb[n] = '\0';
			sum += strtoll(nb, NULL, 10);
		}
		num_elem(&e, cname, sum);
		PUSH(e);
		break;
	}
	case MSC_VK_REQBODY_ERROR:
		num_elem(&e, cname, q->reqbody_error);
		PUSH(e);
		break;
	case MSC_VK_MULTIPART_FLAG:
		num_elem(&e, cname, !!(q->multipart & (1u << t->idx)));
		PUSH(e);
		break;
	case MSC_VK_REQUEST_BODY_LENGTH:
		num_elem(&e, cname, (int64_t)q->request_body_len);
		PUSH(e);
		break;
	case MSC_VK_DURATION:
		num_elem(&e, cname, 0);
		PUSH(e);
		break;
	case MSC_VK_REQBODY_PROCESSOR: {
		/* always present, empty when no processor reads the body (ModSecurity v2) */
		const char *n = tx->body_proc > MSC_BODY_AUTO && tx->body_proc < MSC_BODY_NONE ?
					body_proc_names[tx->body_proc] :
					NULL;

		if (n) {
			e = (struct elem){ .v = (const uint8_t *)n,
					   .vlen = strlen(n),
					   .coll = cname };
		} else if (q->f[MSC_F_REQBODY_PROCESSOR].ptr) {
			e = (struct elem){ .v = q->f[MSC_F_REQBODY_PROCESSOR].ptr,
					   .vlen = q->f[MSC_F_REQBODY_PROCESSOR].len,
					   .coll = cname,
					   .cacheable = true };
		} else {
			e = (struct elem){ .v = (const uint8_t *)"", .coll = cname };
		}
		PUSH(e);
		break;
	}
	case MSC_VK_UNIQUE_ID:
		e = (struct elem){ .v = (const uint8_t *)tx->unique_id,
				   .vlen = strlen(tx->unique_id),
				   .coll = cname };
		PUSH(e);
		break;
	case MSC_VK_RULE: {
		const struct msc_rule *cr = tx->cur_rule;
		const char *k = t->key ? t->key : "";

		if (!cr)
			break;
		e = (struct elem){ .coll = cname };
		if (!strcasecmp(k, "id")) {
			num_elem(&e, cname, cr->id);
		} else if (!strcasecmp(k, "phase")) {
			num_elem(&e, cname, cr->phase);
		} else if (!strcasecmp(k, "severity") && cr->severity >= 0) {
			num_elem(&e, cname, cr->severity);
		} else if (!strcasecmp(k, "msg") && cr->msg.raw) {
			e.v = (const uint8_t *)cr->msg.raw;
			e.vlen = strlen(cr->msg.raw);
		} else if ((!strcasecmp(k, "ver") && cr->ver) ||
			   (!strcasecmp(k, "rev") && cr->rev)) {
			const char *s = !strcasecmp(k, "ver") ? cr->ver : cr->rev;

			e.v = (const uint8_t *)s;
			e.vlen = strlen(s);
		} else {
			break;
		}
		PUSH(e);
		break;
	}
	case MSC_VK_ENV:
	default:
		break;
	}
#undef PUSH
#undef PUT
#undef SELECTION_SETUP
#undef SELECTED
	if (t->count) {
		int64_t n = (int64_t)(c->ev_n - start);

		c->ev_n = start;
		num_elem(&e, cname, n);
		rc = ev_push(c, &e);
	}
	return rc;
}

/* ---- macros ---- */

/* The value of T when it is one TX/IP/GLOBAL variable (what msc_collect() gives first,
 * without an element): true and *V, *N (NUL-terminated; "" when absent); false for other
 * variables. */
static bool coll_var_ref(struct msc_tx *tx, const struct msc_target *t, const char **v, size_t *n)
{
	struct coll *co;
	struct kv *kv;

	if (!t->key || t->key_re || t->count ||
	    (t->kind != MSC_VK_TX && t->kind != MSC_VK_IP && t->kind != MSC_VK_GLOBAL))
		return false;
	co = tx_coll(tx, t->kind);
	kv = co ? coll_get(co, t->key, t->key_len, t->key_hash, tx->now_us) : NULL;
	*v = kv ? kv->val : "";
	*n = kv ? kv->vlen : 0;
	return true;
}

void msc_expand(struct msc_ctx *c, struct msc_tx *tx, const struct msc_macro *m, struct sb *out)
{
	msc_sb_reset(out);
	if (!m->raw)
		return;
	if (!m->dynamic) {
		msc_sb_put(out, m->raw, m->raw_len);
		return;
	}
	for (size_t i = 0; i < m->n; i++) {
		const struct msc_mpart *p = &m->parts[i];
		const char *v;
		size_t save, n;

		if (p->lit) {
			msc_sb_put(out, p->lit, p->lit_len);
			continue;
		}
		if (coll_var_ref(tx, &p->var, &v, &n)) {
			msc_sb_put(out, v, n);
			continue;
		}
		/* elements are appended past what the caller may be iterating over */
		save = c->ev_n;
		if (msc_collect(c, tx, NULL, &p->var) < 0) {
			out->oom = true;
		} else if (c->ev_n > save) {
			const struct elem *e = &c->ev[save];

			if (e->v == (const uint8_t *)e->num)
				msc_sb_put(out, c->ev[save].num, strlen(c->ev[save].num));
			else
				msc_sb_put(out, e->v, e->vlen);
		}
		c->ev_n = save;
	}
}

const char *msc_expand_ref(struct msc_ctx *c, struct msc_tx *tx, const struct msc_macro *m,
			   struct sb *out, size_t *ret_len)
{
	const struct msc_target *t = m->n == 1 ? &m->parts[0].var : NULL;
	const char *v;

	if (!m->raw) {
		*ret_len = 0;
		return "";
	}
	if (!m->dynamic) {
		*ret_len = m->raw_len;
		return m->raw;
	}
	if (t && !m->parts[0].lit && coll_var_ref(tx, t, &v, ret_len))
		return v; /* not copied */
	msc_expand(c, tx, m, out);
	if (out->oom)
		return NULL;
	*ret_len = out->len;
	return out->p ? out->p : "";
}
