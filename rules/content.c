// SPDX-License-Identifier: GPL-2.0-only
/*
 * The content verification engine: one buffer checked against a rule's program for it
 * (content with offset/depth/distance/within/startswith/endswith/negation/nocase, pcre,
 * isdataat, bsize, byte_test/jump/extract) with Suricata's relative-match backtracking.
 * Hand written because no library implements Suricata's content semantics; the regexes
 * themselves run in PCRE2 (JIT) and the literal prefilter in Hyperscan.
 */
#include <ctype.h>
#include <errno.h>
#include <string.h>
#include "rule.h"

/* ASCII case folding without the locale lookups of tolower(): Suricata's nocase is
 * ASCII-only too. */
static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c | 0x20) : c;
}

int64_t content_find(const uint8_t *hay, size_t hlen, const uint8_t *pat, size_t plen, bool nocase)
{
	uint8_t f, lo, up;

	if (plen == 0 || plen > hlen)
		return plen == 0 ? 0 : -1;
	if (!nocase) {
		const uint8_t *p = memmem(hay, hlen, pat, plen);

		return p ? p - hay : -1;
	}
	f = fold(pat[0]);
	lo = f;
	up = f >= 'a' && f <= 'z' ? (uint8_t)(f & ~0x20) : f;
	{
		/* Candidates: the next byte equal to the first one in either case, each kind
		 * found once per position so the search stays linear. */
		const uint8_t *end = hay + hlen - plen + 1;
		const uint8_t *na = memchr(hay, lo, (size_t)(end - hay));
		const uint8_t *nb = up != lo ? memchr(hay, up, (size_t)(end - hay)) : NULL;

		while (na || nb) {
			const uint8_t *c = na && (!nb || na < nb) ? na : nb;
			size_t k = 1;

			while (k < plen && fold(c[k]) == fold(pat[k]))
				k++;
			if (k == plen)
				return c - hay;
			if (c == na)
				na = memchr(c + 1, lo, (size_t)(end - (c + 1)));
			if (c == nb)
				nb = memchr(c + 1, up, (size_t)(end - (c + 1)));
		}
	}
	return -1;
}

static int64_t rv(const struct rval *r, const struct inspect_env *env)
{
	return r->var >= 0 ? (int64_t)env->vars[r->var] : r->v;
}

/* Read nbytes at pos as binary (endianness) or as a number string in base. */
static bool byte_read(const struct sm_byte *b, const uint8_t *buf, size_t len, int64_t pos,
		      uint64_t *ret)
{
	uint64_t v = 0;
	/* nbytes 0 with "string": the rest of the buffer (ET's http.content_len checks). */
	size_t n = b->nbytes ? b->nbytes : (pos >= 0 && (size_t)pos < len ? len - (size_t)pos : 0);

	if (pos < 0 || n == 0 || n > 20 || (uint64_t)pos + n > len)
		return false;
	if (b->base) {
		char tmp[24];
		char *end;

		memcpy(tmp, buf + pos, n);
		tmp[n] = '\0';
		if (!isxdigit((unsigned char)tmp[0]))
			return false;
		errno = 0;
		v = strtoull(tmp, &end, b->base);
		if (errno || end == tmp)
			return false;
	} else if (b->little) {
		for (int i = b->nbytes - 1; i >= 0; i--)
			v = v << 8 | buf[pos + i];
	} else {
		for (int i = 0; i < b->nbytes; i++)
			v = v << 8 | buf[pos + i];
	}
	if (b->bitmask) {
		v &= b->bitmask;
		v >>= __builtin_ctzll(b->bitmask);
	}
	*ret = v;
	return true;
}

static bool byte_test_op(const struct sm_byte *b, uint64_t v, uint64_t want)
{
	bool m;

	switch (b->op) {
	case BOP_LT:
		m = v < want;
		break;
	case BOP_GT:
		m = v > want;
		break;
	case BOP_EQ:
		m = v == want;
		break;
	case BOP_AND:
		m = (v & want) != 0;
		break;
	case BOP_XOR:
		m = (v ^ want) != 0;
		break;
	case BOP_LE:
		m = v <= want;
		break;
	case BOP_GE:
		m = v >= want;
		break;
	default:
		m = false;
	}
	return b->negated ? !m : m;
}

/* A negated content Suricata calls "single": no relative or positional modifier, so its
 * presence anywhere fails the whole buffer at once. */
static bool content_is_single(const struct sm *sm)
{
	const struct sm_content *c = &sm->content;

	return !c->has_distance && !c->has_within && !sm->relative_next && !c->has_depth &&
	       !c->has_offset && !c->startswith;
}

/*
 * Suricata's content inspection contract, reproduced because it decides which rules fire:
 * 1 match; 0 no match here, an enclosing relative element may try its next occurrence;
 * -1 no match and stop trying altogether ("discontinue": e.g. an absolute content is not
 * in the buffer, or an element failed and nothing after it depends on its position).
 * The budget also ends inspection with -1.
 */
static int inspect(const struct rule_list *l, uint16_t i, const uint8_t *buf, size_t len,
		   int64_t prev, struct inspect_env *env, int64_t hi)
{
	const struct sm *sm;

	/* hi: the furthest end of a positive match so far. Stream inspection re-reads a tail of
	 * old data so split patterns are found; a match must end in the new data (past
	 * min_end) so the same bytes never alert twice. */
	if (i == l->n)
		return env->min_end == 0 || hi > (int64_t)env->min_end ? 1 : 0;
	if (env->budget == 0) {
		(*env->budget_hits)++;
		return -1;
	}
	env->budget--;
	sm = &l->sm[i];
	switch (sm->type) {
	case SM_CONTENT: {
		const struct sm_content *c = &sm->content;
		bool relative = c->has_distance || c->has_within;
		int64_t start, end = (int64_t)len;

		if (relative) {
			int64_t dist = c->has_distance ? rv(&c->distance, env) : 0;

			start = prev + dist;
			if (start < 0)
				start = 0;
			if (c->has_within && prev + dist + rv(&c->within, env) < end)
				end = prev + dist + rv(&c->within, env);
			if (c->pl_offset > start)
				start = c->pl_offset;
			if (c->pl_depth && prev + c->pl_depth < end)
				end = prev + c->pl_depth;
		} else if (c->startswith) {
			start = 0;
			end = MIN(end, (int64_t)c->len);
		} else {
			start = c->has_offset ? rv(&c->offset, env) : 0;
			if (c->has_depth && start + rv(&c->depth, env) < end)
				end = start + rv(&c->depth, env);
			if (c->pl_depth && c->pl_depth < end)
				end = c->pl_depth;
		}
		if (c->negated) {
			int64_t pos = -1;

			if (start >= 0 && start + c->len <= end &&
			    (!c->endswith || end >= (int64_t)len))
				pos = content_find(buf + start, (size_t)(end - start), c->pat,
						   c->len, c->nocase);
			/* Negated endswith: Suricata looks at the first occurrence only and
			 * compares its absolute end with the window's length. */
			if (pos < 0 || (c->endswith && start + pos + c->len != end - start))
				return inspect(l, i + 1, buf, len, prev, env, hi);
			return content_is_single(sm) ? -1 : 0;
		}
		if (c->endswith) {
			int64_t pos = (int64_t)len - c->len;

			/* Only an occurrence ending the buffer counts. */
			if (pos < start || pos + c->len > end)
				start = end; /* no room */
			else
				start = pos;
		}
		for (;;) {
			int64_t pos = -1;
			int r;

			if (start >= 0 && start + c->len <= end)
				pos = content_find(buf + start,
						   c->endswith ? (size_t)c->len :
								 (size_t)(end - start),
						   c->pat, c->len, c->nocase);
			if (pos < 0)
				return relative ? 0 : -1;
			pos += start;
			r = inspect(l, i + 1, buf, len, pos + c->len, env, MAX(hi, pos + c->len));
			if (r != 0)
				return r;
			/* Stream inspection keeps looking for an occurrence in the new data. */
			if (!sm->relative_next && !env->min_end)
				return -1;
			if (c->endswith) /* no later occurrence can end the buffer too */
				return relative ? 0 : -1;
			start = pos + 1;
		}
	}
	case SM_PCRE: {
		const struct sm_pcre *p = &sm->pcre;
		/* The subject starts at the relative position, so '^' anchors there (also when
		 * looking for further matches), as in Suricata. */
		int64_t base = p->relative ? prev : 0, off = 0;

		if (base > (int64_t)len)
			return p->negated ? inspect(l, i + 1, buf, len, prev, env, hi) : 0;
		for (;;) {
			PCRE2_SIZE *ov;
			int rc, r;

			if (base + off > (int64_t)len)
				return 0;
			rc = pcre2_match(p->re, buf + base, len - (size_t)base, (PCRE2_SIZE)off, 0,
					 env->md, p->nolimit ? NULL : env->mctx);
			if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT ||
			    rc == PCRE2_ERROR_HEAPLIMIT || rc == PCRE2_ERROR_JIT_STACKLIMIT) {
				(*env->pcre_limit_hits)++;
				return 0;
			}
			if (p->negated)
				return rc >= 0 ? 0 : inspect(l, i + 1, buf, len, prev, env, hi);
			if (rc < 0)
				return 0;
			ov = pcre2_get_ovector_pointer(env->md);
			r = inspect(l, i + 1, buf, len, base + (int64_t)ov[1], env,
				    MAX(hi, base + (int64_t)ov[1]));
			if (r != 0 || !(sm->relative_next || env->min_end))
				return r;
			off = (int64_t)ov[0] + 1;
		}
	}
	case SM_ISDATAAT: {
		const struct sm_isdataat *d = &sm->isdataat;
		int64_t at = (d->relative ? prev : 0) + rv(&d->v, env);
		/* Suricata: relative asks for N more bytes after the match (prev + N <= len);
		 * absolute for a byte at offset N (N < len). */
		bool has = d->relative ? at >= 0 && at <= (int64_t)len : at < (int64_t)len;

		/* Suricata discontinues on failure, except for a relative negated isdataat
		 * (a later match may leave less data behind) and extracted-variable values. */
		if (has == d->negated)
			return d->v.var >= 0 || (d->relative && d->negated) ? 0 : -1;
		return inspect(l, i + 1, buf, len, prev, env, hi);
	}
	case SM_BSIZE:
		if (!cmp_match(&sm->bsize, len))
			return -1;
		return inspect(l, i + 1, buf, len, prev, env, hi);
	case SM_BYTE_TEST: {
		const struct sm_byte *b = &sm->byte;
		int64_t pos = (b->relative ? prev : 0) + rv(&b->offset, env);
		uint64_t v;

		if (!byte_read(b, buf, len, pos, &v) ||
		    !byte_test_op(b, v, (uint64_t)rv(&b->value, env)))
			return 0;
		return inspect(l, i + 1, buf, len, prev, env, hi);
	}
	case SM_BYTE_JUMP: {
		const struct sm_byte *b = &sm->byte;
		int64_t pos = (b->relative ? prev : 0) + rv(&b->offset, env), to;
		uint64_t v;

		if (!byte_read(b, buf, len, pos, &v) || v > UINT32_MAX)
			return 0;
		if (b->multiplier)
			v *= b->multiplier;
		if (b->align && (v % 4))
			v += 4 - (v % 4);
		if (b->from_beginning)
			to = (int64_t)v;
		else if (b->from_end)
			to = (int64_t)len + (int64_t)v;
		else
			to = pos + b->nbytes + (int64_t)v;
		to += b->post_offset;
		if (to < 0 || to > (int64_t)len)
			return 0;
		return inspect(l, i + 1, buf, len, to, env, hi);
	}
	case SM_BYTE_EXTRACT: {
		const struct sm_byte *b = &sm->byte;
		int64_t pos = (b->relative ? prev : 0) + rv(&b->offset, env);
		uint64_t v;

		if (!byte_read(b, buf, len, pos, &v))
			return 0;
		if (b->multiplier)
			v *= b->multiplier;
		if (b->post_offset > 1) /* align N */
			v = (v + (uint64_t)b->post_offset - 1) & ~((uint64_t)b->post_offset - 1);
		env->vars[b->var] = v;
		return inspect(l, i + 1, buf, len, pos + b->nbytes, env, hi);
	}
	}
	return 0;
}

bool content_inspect(const struct rule_list *l, const uint8_t *buf, size_t len,
		     struct inspect_env *env)
{
	return inspect(l, 0, buf, len, 0, env, 0) == 1;
}
