// SPDX-License-Identifier: GPL-2.0-only
/*
 * Compiling SecRule operators: @rx with PCRE2 (JIT), @pm/@pmFromFile phrase sets as
 * Hyperscan literal databases (case-insensitive, one scan per value), numbers, byte ranges
 * and address sets (msc_ops.h); transformation names resolved (msc_transform.h) and each
 * prefix of a rule's transformation list numbered, so a value transformed by the same
 * prefix is computed once per phase whatever rule asks for it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lib/lib.h"
#include "msc_int.h"
#include "msc_ops.h"
#include "msc_rxlit.h"
#include "msc_transform.h"
#include "ruleset_int.h"

#define PM_FILE_MAX (16u << 20)
/* longer @rx stay PCRE2-only: their prefilter forms dominate Hyperscan compile and scan time */
#define RX_GROUP_PATTERN_MAX 256
#define RX_GROUP_MIN 2
/* a @pm of more phrases joins no @rx group (the phase's group of phrases only): as regular
 * expressions they cost Hyperscan compile time (1,090 phrases: ~1 s) */
#define PM_GROUP_MIX_MAX 32

void msc_rule_free_compiled(struct msc_rule *r)
{
	pcre2_code_free(r->re);
	r->re = NULL;
	hs_free_database(r->pm_db);
	r->pm_db = NULL;
	for (size_t i = 0; i < r->n_pm; i++)
		free(r->pm_words[i]);
	free(r->pm_words);
	r->pm_words = NULL;
	r->n_pm = 0;
	free(r->br);
	r->br = NULL;
	msc_ipset_free(r->ipset);
	r->ipset = NULL;
}

int msc_rx_compile(const char *pattern, size_t len, bool jit, pcre2_code **ret, char *err,
		   size_t errlen)
{
	int ec;
	PCRE2_SIZE eo;
	/* ModSecurity v2 compiles with PCRE_DOTALL | PCRE_DOLLAR_ENDONLY */
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)pattern, len,
				       PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);

	if (!re) {
		char msg[160];

		pcre2_get_error_message(ec, (PCRE2_UCHAR *)msg, sizeof(msg));
		snprintf(err, errlen, "@rx: %s at offset %zu", msg, (size_t)eo);
		return ec == PCRE2_ERROR_NOMEMORY ? -ENOMEM : -EINVAL;
	}
	if (jit)
		(void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE); /* interpreter otherwise */
	*ret = re;
	return 0;
}

static int pm_add(struct msc_rule *r, const char *w, size_t n)
{
	char **nv;

	if (n == 0)
		return 0;
	if (r->n_pm >= MSC_PM_WORDS_MAX)
		return -E2BIG;
	nv = realloc(r->pm_words, (r->n_pm + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	r->pm_words = nv;
	r->pm_words[r->n_pm] = strndup(w, n);
	if (!r->pm_words[r->n_pm])
		return -ENOMEM;
	r->n_pm++;
	return 0;
}

static int pm_words_from_file(struct msc_rule *r, const char *path, char *err, size_t errlen)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	char line[8192];
	size_t total = 0;

	if (!f) {
		snprintf(err, errlen, "@pmFromFile %s: %s", path, strerror(errno));
		return -ENOENT;
	}
	while (fgets(line, sizeof(line), f)) {
		char *s = line, *e;
		int rc;

		total += strlen(line);
		if (total > PM_FILE_MAX) {
			snprintf(err, errlen, "@pmFromFile %s: larger than %u bytes", path,
				 PM_FILE_MAX);
			return -EFBIG;
		}
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strlen(s);
		while (e > s && (e[-1] == '\n' || e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s || *s == '#')
			continue;
		rc = pm_add(r, s, (size_t)(e - s));
		if (rc == -E2BIG)
			snprintf(err, errlen, "@pmFromFile %s: more than %d phrases", path,
				 MSC_PM_WORDS_MAX);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int pm_build(struct msc_ruleset *rs, struct msc_rule *r, char *err, size_t errlen)
{
	_cleanup_free_ unsigned int *flags = NULL, *ids = NULL;
	_cleanup_free_ size_t *lens = NULL;
	hs_compile_error_t *ce = NULL;

	if (r->n_pm == 0) {
		snprintf(err, errlen, "@%s: no phrase", msc_op_name(r->op));
		return -EINVAL;
	}
	flags = calloc(r->n_pm, sizeof(*flags));
	ids = calloc(r->n_pm, sizeof(*ids));
	lens = calloc(r->n_pm, sizeof(*lens));
	if (!flags || !ids || !lens)
		return -ENOMEM;
	for (size_t i = 0; i < r->n_pm; i++) {
		flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
		ids[i] = (unsigned int)i;
		lens[i] = strlen(r->pm_words[i]);
	}
	if (hs_compile_lit_multi((const char *const *)r->pm_words, flags, ids, lens,
				 (unsigned int)r->n_pm, HS_MODE_BLOCK, NULL, &r->pm_db,
				 &ce) != HS_SUCCESS) {
		snprintf(err, errlen, "@%s: Hyperscan: %s", msc_op_name(r->op),
			 ce && ce->message ? ce->message : "compile error");
		hs_free_compile_error(ce);
		return -EINVAL;
	}
	if (hs_alloc_scratch(r->pm_db, &rs->scratch) != HS_SUCCESS) {
		snprintf(err, errlen, "@%s: Hyperscan scratch allocation failed",
			 msc_op_name(r->op));
		return -ENOMEM;
	}
	rs->st.pm_sets++;
	return 0;
}

static int64_t num_of(const char *s)
{
	/* atoi(), as ModSecurity: leading blanks, sign, digits; anything else ends it */
	return strtoll(s, NULL, 10);
}

/* The class of byte B as msc_tfn_classes_of_set() picks it; 0 for a letter (a caseless
 * pattern's code unit may be either case) or a byte of no class. */
static uint32_t unit_class(int b)
{
	uint8_t set[32] = { 0 };

	if (b < 0 || b > 255 || ((b | 0x20) >= 'a' && (b | 0x20) <= 'z'))
		return 0;
	set[b / 8] = (uint8_t)(1u << (b % 8));
	return msc_tfn_classes_of_set(set);
}

/* R's need_cls from its compiled operator. */
static void need_classes(struct msc_rule *r)
{
	memset(r->need_cls, 0, sizeof(r->need_cls));
	switch (r->op) {
	case MSC_OP_RX:
		if (!r->re)
			break;
		r->need_cls[0] = r->re_first_cls;
		r->need_cls[1] = unit_class(r->re_unit[0]);
		r->need_cls[2] = unit_class(r->re_unit[1]);
		break;
	case MSC_OP_VALIDATE_BYTE_RANGE: {
		uint8_t out[32] = { 0 };
		bool any = false;

		for (int b = 0; r->br && b < 256; b++) {
			if (!(r->br->allowed[b / 64] >> (b % 64) & 1)) {
				out[b / 8] |= (uint8_t)(1u << (b % 8));
				any = true;
			}
		}
		if (r->br && any)
			r->need_cls[0] = msc_tfn_classes_of_set(out);
		break;
	}
	case MSC_OP_VALIDATE_URL_ENCODING:
		r->need_cls[0] = MSC_TFN_C_PCT;
		break;
	case MSC_OP_VALIDATE_UTF8:
		r->need_cls[0] = MSC_TFN_C_HIGH;
		break;
	default:
		break;
	}
}

/* The operator of R compiled (its pattern, phrases, number, addresses, byte ranges). */
static int compile_op(struct msc_ruleset *rs, struct msc_rule *r, const char *dir, bool no_compile,
		      char *err, size_t errlen)
{
	int rc;

	switch (r->op) {
	case MSC_OP_RX:
		rc = msc_rx_compile(r->op_arg, strlen(r->op_arg), !no_compile, &r->re, err, errlen);
		if (rc < 0)
			return rc;
		rs->st.rx++;
		if (pcre2_pattern_info(r->re, PCRE2_INFO_MINLENGTH, &r->re_minlen) != 0)
			r->re_minlen = 0;
		{
			uint32_t type = 0, unit = 0;

			r->re_unit[0] = r->re_unit[1] = -1;
			if (pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTCODETYPE, &type) == 0 &&
			    type == 1 &&
			    pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTCODEUNIT, &unit) == 0 &&
			    unit < 256)
				r->re_unit[0] = (int16_t)unit;
			if (pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODETYPE, &type) == 0 &&
			    type == 1 &&
			    pcre2_pattern_info(r->re, PCRE2_INFO_LASTCODEUNIT, &unit) == 0 &&
			    unit < 256)
				r->re_unit[1] = (int16_t)unit;
		}
		{
			const uint8_t *map = NULL;

			if (pcre2_pattern_info(r->re, PCRE2_INFO_FIRSTBITMAP, &map) == 0 && map)
				r->re_first_cls = msc_tfn_classes_of_set(map);
		}
		if (!no_compile) {
			size_t jit = 0;

			if (pcre2_pattern_info(r->re, PCRE2_INFO_JITSIZE, &jit) == 0 && jit) {
				rs->st.rx_jit++;
				r->re_jit = true;
			}
		}
		return 0;
	case MSC_OP_PM:
	case MSC_OP_PMFROMFILE: {
		const char *p = r->op_arg;

		while (*p) {
			const char *s;

			while (*p == ' ' || *p == '\t')
				p++;
			s = p;
			while (*p && *p != ' ' && *p != '\t')
				p++;
			if (p == s)
				break;
			if (r->op == MSC_OP_PM) {
				rc = pm_add(r, s, (size_t)(p - s));
				if (rc == -E2BIG)
					snprintf(err, errlen, "@pm: more than %d phrases",
						 MSC_PM_WORDS_MAX);
			} else if (no_compile) {
				/* parse only (fuzzing): no file is opened */
				rc = 0;
			} else {
				char path[4096];

				if (!strncmp(s, "http://", 7) || !strncmp(s, "https://", 8)) {
					snprintf(err, errlen,
						 "@pmFromFile: URLs are not supported");
					return -EOPNOTSUPP;
				}
				if (*s == '/')
					snprintf(path, sizeof(path), "%.*s", (int)(p - s), s);
				else
					snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(p - s),
						 s);
				rc = pm_words_from_file(r, path, err, errlen);
			}
			if (rc < 0)
				return rc;
		}
		return no_compile ? 0 : pm_build(rs, r, err, errlen);
	}
	case MSC_OP_EQ:
	case MSC_OP_GE:
	case MSC_OP_GT:
	case MSC_OP_LT:
	case MSC_OP_LE:
		r->num = num_of(r->op_arg);
		return 0;
	case MSC_OP_IPMATCH:
		return msc_ipset_parse(r->op_arg, &r->ipset, err, errlen);
	case MSC_OP_VALIDATE_BYTE_RANGE:
		r->br = calloc(1, sizeof(*r->br));
		if (!r->br)
			return -ENOMEM;
		return msc_byte_range_parse(r->op_arg, r->br, err, errlen);
	default:
		return 0;
	}
}

int msc_compile_rule(struct msc_ruleset *rs, struct msc_rule *r, const char *dir, bool no_compile,
		     char *err, size_t errlen)
{
	int rc;

	r->n_tfn = 0;
	if (r->tfn_names) {
		for (const char *p = r->tfn_names; *p; p += strlen(p) + 1) {
			int t = msc_tfn_lookup(p, strlen(p));

			if (t < 0) {
				snprintf(err, errlen, "unknown transformation t:%s", p);
				return -EINVAL;
			}
			if (t == MSC_TFN_NONE) {
				r->n_tfn = 0;
				continue;
			}
			if (r->n_tfn >= MSC_RULE_TFN_MAX) {
				snprintf(err, errlen, "more than %d transformations",
					 MSC_RULE_TFN_MAX);
				return -E2BIG;
			}
			r->tfn[r->n_tfn++] = (uint8_t)t;
		}
	}
	if (r->op_macro.dynamic)
		return 0; /* compiled when the macro is expanded */
	rc = compile_op(rs, r, dir, no_compile, err, errlen);
	if (rc)
		return rc;
	need_classes(r);
	/* a bit in the verdict cache's "no match" words: an @rx with its pattern compiled at load
	 * (PCRE2's answer for a value), and a multiMatch link whose operator answers from the
	 * value alone (its answer for a value as it came) */
	if ((r->op == MSC_OP_RX && r->re) ||
	    (r->multi_match && (r->op == MSC_OP_DETECT_SQLI || r->op == MSC_OP_DETECT_XSS)))
		r->rx_vidx = ++rs->n_rx_vidx;
	return 0;
}

/* Number each distinct transformation prefix: key(prefix + t) from (key(prefix), t). */
struct tkey {
	uint32_t parent;
	uint8_t t;
};

static uint32_t tkey_get(struct tkey **v, size_t *n, uint32_t parent, uint8_t t)
{
	for (size_t i = 0; i < *n; i++)
		if ((*v)[i].parent == parent && (*v)[i].t == t)
			return (uint32_t)i + 1;
	{
		struct tkey *nv = realloc(*v, (*n + 1) * sizeof(*nv));

		if (!nv)
			return 0;
		*v = nv;
		nv[*n] = (struct tkey){ parent, t };
		return (uint32_t)++ * n;
	}
}

struct glink {
	struct msc_rule *l;
	uint32_t key;
	struct msc_rx_lit *lits; /* its literal factors (msc_rx_factors), NULL: none good */
	int n_lits;
};

/* Factors whose shortest is this long stand for the pattern in its group: shorter ones
 * ("if", "<") occur in too many benign values to rule much out. */
#define RX_FACTOR_MINLEN 3

/* L's literal factors into G when they are good enough to stand for the pattern. */
static int glink_factors(struct glink *g)
{
	int n = msc_rx_factors(g->l->op_arg, g->l->op_arg_len, &g->lits);

	if (n < 0)
		return n;
	for (int i = 0; i < n; i++)
		if (g->lits[i].len < RX_FACTOR_MINLEN) {
			free(g->lits);
			g->lits = NULL;
			n = 0;
			break;
		}
	g->n_lits = n;
	return 0;
}

static int cmp_glink(const void *a, const void *b)
{
	const struct glink *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	if (x->l->tlist != y->l->tlist)
		return x->l->tlist < y->l->tlist ? -1 : 1;
	return 0;
}

static bool is_pm(const struct msc_rule *l)
{
	return l->op == MSC_OP_PM || l->op == MSC_OP_PMFROMFILE;
}

/* The Hyperscan expression of the literal S[0..N) (a @pm phrase, an @rx factor): every byte
 * but ASCII letters and digits escaped (\xHH), compiled HS_FLAG_CASELESS as pm_build compiles
 * phrases with hs_compile_lit_multi (Hyperscan has no call that compiles literals and
 * expressions into one database). Malloc'd; NULL without memory. */
static char *lit_expr(const uint8_t *s, size_t n)
{
	char *e = malloc(4 * n + 1);
	size_t k = 0;

	if (!e)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		uint8_t b = s[i];

		if ((b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9'))
			e[k++] = (char)b;
		else
			k += (size_t)snprintf(e + k, 5, "\\x%02x", b);
	}
	e[k] = '\0';
	return e;
}

/*
 * One phase's group of links sharing a transformation key and target list: compile, dropping
 * the links whose expressions Hyperscan refuses (an @rx even as a prefilter: it stays
 * PCRE2-only; a @pm keeps its own literal set). An @rx link is one prefilter expression; a
 * @pm/@pmFromFile link is one expression per phrase, so its bit (the union of its phrases')
 * is exactly its operator's answer: some phrase occurs, caseless. Every expression has an id
 * of its own and the group's map bit[] gives its link: Hyperscan took 0.69 s to compile the
 * 1,090 phrases of lfi-os-files.data sharing one id, 0.03 s with their own ids. A group of
 * @pm links only is compiled with hs_compile_lit_multi, as pm_build.
 * An @rx with good literal factors (glink_factors) is represented by them, one caseless
 * literal expression each, instead of its prefilter: a value holding none of them cannot
 * match. They compile in a blink, so the long CRS patterns with factors join their groups
 * too (a long prefilter takes seconds to compile).
 */
static int build_group(struct msc_ruleset *rs, int phase, struct glink *g, size_t n, bool plain,
		       struct rule_diags *diags)
{
	size_t n_expr = 0, n_lits = 0, n_rx = 0;
	const char **pats = NULL;
	unsigned int *flags = NULL, *ids = NULL;
	uint32_t *bit = NULL; /* expression id -> its link's index */
	size_t *lens = NULL;
	bool *drop = calloc(n, sizeof(*drop));
	char **lits = NULL; /* mixed group: the phrases' and factors' expressions, link order */
	bool lit_only = true;
	struct msc_rxgroup *ng;
	hs_database_t *db = NULL;
	int r = -ENOMEM;

	for (size_t i = 0; i < n; i++) {
		n_expr += is_pm(g[i].l) ? g[i].l->n_pm : g[i].n_lits ? (size_t)g[i].n_lits : 1;
		lit_only &= is_pm(g[i].l);
	}
	pats = calloc(n_expr, sizeof(*pats));
	flags = calloc(n_expr, sizeof(*flags));
	ids = calloc(n_expr, sizeof(*ids));
	bit = calloc(n_expr, sizeof(*bit));
	lens = calloc(n_expr, sizeof(*lens));
	if (!lit_only)
		lits = calloc(n_expr, sizeof(*lits));
	if (!pats || !flags || !ids || !bit || !lens || !drop || (!lit_only && !lits))
		goto out;
	for (size_t i = 0; !lit_only && i < n; i++) {
		const struct msc_rule *l = g[i].l;

		for (size_t w = 0; is_pm(l) && w < l->n_pm; w++)
			if (!(lits[n_lits++] = lit_expr((const uint8_t *)l->pm_words[w],
							strlen(l->pm_words[w]))))
				goto out;
		for (int j = 0; !is_pm(l) && j < g[i].n_lits; j++)
			if (!(lits[n_lits++] = lit_expr(g[i].lits[j].s, g[i].lits[j].len)))
				goto out;
	}
	r = 0;
	for (size_t tries = 0; tries <= n; tries++) {
		hs_compile_error_t *ce = NULL;
		unsigned int k = 0;
		hs_error_t hr;

		for (size_t i = 0, li = 0; i < n; i++) {
			const struct msc_rule *l = g[i].l;

			if (is_pm(l)) {
				for (size_t w = 0; w < l->n_pm; w++, li++) {
					if (drop[i])
						continue;
					pats[k] = lit_only ? l->pm_words[w] : lits[li];
					lens[k] = strlen(l->pm_words[w]);
					flags[k] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
					bit[k] = (uint32_t)i;
					ids[k] = k;
					k++;
				}
				continue;
			}
			if (g[i].n_lits) {
				for (int j = 0; j < g[i].n_lits; j++, li++) {
					if (drop[i])
						continue;
					pats[k] = lits[li];
					flags[k] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
					bit[k] = (uint32_t)i;
					ids[k] = k;
					k++;
				}
				continue;
			}
			if (drop[i])
				continue;
			pats[k] = l->op_arg;
			flags[k] = HS_FLAG_PREFILTER | HS_FLAG_DOTALL | HS_FLAG_ALLOWEMPTY |
				   HS_FLAG_SINGLEMATCH;
			bit[k] = (uint32_t)i;
			ids[k] = k;
			k++;
		}
		if (k == 0)
			goto out;
		hr = lit_only ?
			     hs_compile_lit_multi(pats, flags, ids, lens, k, HS_MODE_BLOCK, NULL,
						  &db, &ce) :
			     hs_compile_multi(pats, flags, ids, k, HS_MODE_BLOCK, NULL, &db, &ce);
		if (hr == HS_SUCCESS)
			break;
		db = NULL;
		if (!ce || ce->expression < 0 || (unsigned int)ce->expression >= k) {
			diag_add(diags, RULE_DIAG_NOTE, g[0].l->file, g[0].l->line,
				 g[0].l->starter->id,
				 "Hyperscan refused a group of @rx/@pm patterns: each link "
				 "matched alone");
			hs_free_compile_error(ce);
			goto out;
		}
		{
			size_t i = bit[ce->expression];
			char msg[256];

			drop[i] = true;
			snprintf(msg, sizeof(msg), "@%s not taken by Hyperscan (%s): %s",
				 msc_op_name(g[i].l->op), ce->message ? ce->message : "error",
				 is_pm(g[i].l) ? "its own literal set only" : "PCRE2 only");
			diag_add(diags, RULE_DIAG_NOTE, g[i].l->file, g[i].l->line,
				 g[i].l->starter->id, msg);
		}
		hs_free_compile_error(ce);
	}
	if (!db)
		goto out;
	r = -ENOMEM;
	if (hs_alloc_scratch(db, &rs->scratch) != HS_SUCCESS)
		goto out;
	ng = realloc(rs->groups, (rs->n_groups + 1) * sizeof(*ng));
	if (!ng)
		goto out;
	rs->groups = ng;
	rs->groups[rs->n_groups] = (struct msc_rxgroup){ .db = TAKE_PTR(db),
							 .n = (uint32_t)n,
							 .phase = (uint8_t)phase,
							 .key = plain ? 0 : g[0].key,
							 .plain = plain };
	for (size_t j = 0; j < n_expr && bit; j++)
		if (bit[j] != j) /* some link is not expression j: keep the map */
			rs->groups[rs->n_groups].bit = TAKE_PTR(bit);
	rs->groups[rs->n_groups].minlen = UINT32_MAX;
	for (size_t i = 0; i < n; i++) {
		/* a @pm matches nothing shorter than its shortest phrase */
		uint32_t ml = is_pm(g[i].l) ? UINT32_MAX : g[i].l->re_minlen;

		if (drop[i])
			continue;
		for (size_t w = 0; is_pm(g[i].l) && w < g[i].l->n_pm; w++)
			ml = MIN(ml, (uint32_t)strlen(g[i].l->pm_words[w]));
		rs->groups[rs->n_groups].minlen = MIN(rs->groups[rs->n_groups].minlen, ml);
	}
	rs->n_groups++;
	for (size_t i = 0; i < n; i++) {
		if (drop[i])
			continue;
		if (plain) {
			struct msc_rule *l = g[i].l;
			int k = l->n_tfn;

			while (k > 0 && (l->tfn[k - 1] == MSC_TFN_LOWERCASE ||
					 l->tfn[k - 1] == MSC_TFN_UPPERCASE))
				k--;
			l->pm_plain = (uint32_t)rs->n_groups;
			l->pm_plain_bit = (uint32_t)i;
			l->pm_plain_trig = k ? l->tfn_trig[k - 1] : 0;
			continue;
		}
		g[i].l->rx_group = (uint32_t)rs->n_groups;
		g[i].l->rx_bit = (uint32_t)i;
		n_rx += !is_pm(g[i].l);
	}
	rs->st.rx_hs += n_rx;
	r = 0;
out:
	if (db)
		hs_free_database(db);
	for (size_t i = 0; i < n_lits; i++)
		free(lits[i]);
	free(lits);
	free(pats);
	free(flags);
	free(ids);
	free(bit);
	free(lens);
	free(drop);
	return r;
}

/* A @pm/@pmFromFile with its literal set, neither with a dynamic argument nor multiMatch
 * (which runs the operator on intermediate values no group scans), over a cached target list
 * of request variables (a group's scan is kept per element of the request only). */
static bool pm_groupable(const struct msc_rule *l)
{
	return is_pm(l) && l->pm_db && l->n_pm && l->tlist && !l->op_macro.dynamic &&
	       !l->multi_match;
}

/* May link L join a group of its phase, transformations and target list? An @rx compiled
 * for PCRE2, short enough, without a dynamic argument or multiMatch; a @pm of a few phrases
 * (more cost Hyperscan compile time as regular expressions: they go to the phase's group of
 * phrases). */
static bool group_candidate(const struct msc_rule *l)
{
	if (is_pm(l))
		return pm_groupable(l) && l->n_pm <= PM_GROUP_MIX_MAX;
	return l->op == MSC_OP_RX && l->re && !l->op_macro.dynamic && !l->multi_match;
}

/* L onto the phase's list G, an @rx with its literal factors; a long @rx without factors
 * stays out (its prefilter takes seconds to compile). 0 or -ENOMEM. */
static int glink_push(struct glink **g, size_t *n, size_t *cap, struct msc_rule *l)
{
	struct glink gl = { .l = l, .key = l->n_tfn ? l->tfn_key[l->n_tfn - 1] : 0 };

	if (!is_pm(l)) {
		if (glink_factors(&gl) < 0)
			return -ENOMEM;
		if (!gl.n_lits && l->op_arg_len > RX_GROUP_PATTERN_MAX)
			return 0;
	}
	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 64;
		struct glink *ng = realloc(*g, nc * sizeof(*ng));

		if (!ng) {
			free(gl.lits);
			return -ENOMEM;
		}
		*g = ng;
		*cap = nc;
	}
	(*g)[(*n)++] = gl;
	return 0;
}

/*
 * Per phase: the groups of links with the same transformations and target list (2+ @rx, or
 * @rx and @pm: the scan a lone @pm would need is its own literal set's); then the group of
 * the phrases of the phase's other groupable @pm links, scanned on values their
 * transformations leave as they are (most values of benign requests): one scan answers them
 * all, whatever their transformations, where each link scanned each value with its own set.
 */
static int build_groups(struct msc_ruleset *rs, struct rule_diags *diags)
{
	for (int p = 1; p <= 5; p++) {
		_cleanup_free_ struct glink *g = NULL;
		size_t n = 0, cap = 0, n_plain = 0;
		int r = 0;

		for (size_t i = 0; i < rs->n; i++) {
			if (rs->v[i]->is_marker || rs->v[i]->phase != p)
				continue;
			for (struct msc_rule *l = rs->v[i]; l && r >= 0; l = l->next)
				if (group_candidate(l))
					r = glink_push(&g, &n, &cap, l);
		}
		if (r < 0)
			goto done;
		if (n)
			qsort(g, n, sizeof(*g), cmp_glink);
		for (size_t a = 0, b; a < n && r >= 0; a = b) {
			size_t n_rx = 0;

			for (b = a; b < n && !cmp_glink(&g[b], &g[a]); b++)
				n_rx += !is_pm(g[b].l);
			if (n_rx == 0 || (n_rx < RX_GROUP_MIN && n_rx == b - a))
				continue;
			r = build_group(rs, p, g + a, b - a, false, diags);
		}
		if (r < 0)
			goto done;
		for (size_t i = 0; i < n; i++)
			free(g[i].lits);
		n = 0;
		for (size_t i = 0; i < rs->n && r >= 0; i++) {
			if (rs->v[i]->is_marker || rs->v[i]->phase != p)
				continue;
			for (struct msc_rule *l = rs->v[i]; l && r >= 0; l = l->next)
				if (pm_groupable(l) && !l->rx_group)
					r = glink_push(&g, &n, &cap, l);
		}
		n_plain = n;
		if (r >= 0 && n_plain >= 2)
			r = build_group(rs, p, g, n_plain, true, diags);
done:
		for (size_t i = 0; i < n; i++)
			free(g[i].lits);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Can a target's values be collected once per phase (request variables only)? */
static bool target_cacheable(const struct msc_target *t)
{
	switch (t->kind) {
	case MSC_VK_FIELD:
	case MSC_VK_COLL:
	case MSC_VK_COLL_NAMES:
	case MSC_VK_ARGS:
	case MSC_VK_ARGS_NAMES:
	case MSC_VK_XML:
		return true;
	default:
		return false;
	}
}

/* The number (1-based) of signature SIG among *SIGS (*N of them), added when new; SIG is
 * taken (freed when already there, and on failure). -ENOMEM. */
static long sig_id(char ***sigs, size_t *n, char *sig)
{
	char **nv;

	for (size_t k = 0; k < *n; k++) {
		if (!strcmp((*sigs)[k], sig)) {
			free(sig);
			return (long)k + 1;
		}
	}
	nv = realloc(*sigs, (*n + 1) * sizeof(*nv));
	if (!nv) {
		free(sig);
		return -ENOMEM;
	}
	*sigs = nv;
	nv[(*n)++] = sig;
	return (long)*n;
}

/* What decides T's elements in a list of link L: "&" for a count, its text, and the text of
 * each exclusion of L that names the same variable ("!REQUEST_COOKIES:/__utm/"); NULL when
 * out of memory. */
static char *target_sig(const struct msc_rule *l, const struct msc_target *t)
{
	size_t len = strlen(t->text) + 2;
	char *sig;

	for (size_t x = 0; t->excl_named && x < l->n_t; x++)
		if (l->t[x].exclude && l->t[x].kind == t->kind && l->t[x].idx == t->idx)
			len += strlen(l->t[x].text) + 2;
	sig = malloc(len);
	if (!sig)
		return NULL;
	strcpy(sig, t->count ? "&" : "");
	strcat(sig, t->text);
	for (size_t x = 0; t->excl_named && x < l->n_t; x++) {
		if (l->t[x].exclude && l->t[x].kind == t->kind && l->t[x].idx == t->idx) {
			strcat(sig, "|!");
			strcat(sig, l->t[x].text);
		}
	}
	return sig;
}

/* Give the targets of cached lists that read the same variable the same way (target_sig
 * alike) the same msc_target.memo. */
static int number_target_memos(struct msc_ruleset *rs)
{
	char **sigs = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < rs->n && !r; i++) {
		for (struct msc_rule *l = rs->v[i]; l && !l->is_marker && !r; l = l->next) {
			for (size_t j = 0; l->tlist && j < l->n_t && !r; j++) {
				struct msc_target *t = &l->t[j];
				char *sig;
				long k;

				t->memo = 0;
				if (t->exclude)
					continue;
				sig = target_sig(l, t);
				if (!sig || (k = sig_id(&sigs, &n, sig)) < 0) {
					r = -ENOMEM;
					break;
				}
				t->memo = (uint32_t)k;
			}
		}
	}
	for (size_t k = 0; k < n; k++)
		free(sigs[k]);
	free(sigs);
	rs->n_tmemo = (uint32_t)n;
	return r;
}

/* Give links with the same cacheable target list (exclusions included) the same id. */
static int number_target_lists(struct msc_ruleset *rs)
{
	char **sigs = NULL;
	size_t n = 0;
	int r = 0;

	for (size_t i = 0; i < rs->n && r >= 0; i++) {
		for (struct msc_rule *l = rs->v[i]; l && !l->is_marker && r >= 0; l = l->next) {
			size_t len = 1;
			long k;
			bool ok = l->n_t > 0 && !l->is_action;
			char *sig;

			for (size_t j = 0; j < l->n_t && ok; j++) {
				ok = target_cacheable(&l->t[j]);
				len += strlen(l->t[j].text) + 3;
			}
			l->tlist = 0;
			if (!ok)
				continue;
			sig = malloc(len);
			if (!sig) {
				r = -ENOMEM;
				break;
			}
			sig[0] = '\0';
			for (size_t j = 0; j < l->n_t; j++) {
				strcat(sig, l->t[j].exclude ? "!" : l->t[j].count ? "&" : "");
				strcat(sig, l->t[j].text);
				strcat(sig, "|");
			}
			if ((k = sig_id(&sigs, &n, sig)) < 0) {
				r = -ENOMEM;
				break;
			}
			l->tlist = (uint32_t)k;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(sigs[k]);
	free(sigs);
	rs->n_tlists = (uint32_t)n;
	return r < 0 ? r : number_target_memos(rs);
}

/*
 * What msc_collect() needs of each target: whether an exclusion of its rule names the same
 * variable (excl_named: the others skip the exclusion test for each value), and a bit of
 * the TX/IP/GLOBAL entries' verdict cache for a /selector/ (sel_bit, up to 64 of them).
 */
static void mark_targets(struct msc_ruleset *rs)
{
	uint8_t n_sel = 0;

	for (size_t i = 0; i < rs->n; i++) {
		for (struct msc_rule *r = rs->v[i]; r && !r->is_marker; r = r->next) {
			for (size_t j = 0; j < r->n_t; j++) {
				struct msc_target *t = &r->t[j];

				for (size_t x = 0; x < r->n_t; x++)
					t->excl_named |= r->t[x].exclude &&
							 r->t[x].kind == t->kind &&
							 r->t[x].idx == t->idx;
				if ((t->kind == MSC_VK_TX || t->kind == MSC_VK_IP ||
				     t->kind == MSC_VK_GLOBAL) &&
				    t->key_re && !t->exclude && n_sel < 64)
					t->sel_bit = ++n_sel;
			}
		}
	}
}

int msc_compile_finish(struct msc_ruleset *rs, bool no_compile, bool hs_groups,
		       struct rule_diags *diags)
{
	struct tkey *keys = NULL;
	size_t n_keys = 0;

	for (size_t i = 0; i < rs->n; i++) {
		for (struct msc_rule *r = rs->v[i]; r && !r->is_marker; r = r->next) {
			uint32_t k = 0;

			for (size_t j = 0; j < r->n_t; j++)
				r->has_exclusions |= r->t[j].exclude;
			r->tx_cmp = r->op >= MSC_OP_EQ && r->op <= MSC_OP_LE && !r->is_action &&
				    !r->op_macro.dynamic && !r->multi_match && r->n_tfn == 0 &&
				    r->n_t >= 1;
			for (size_t j = 0; j < r->n_t; j++)
				r->tx_cmp &= r->t[j].kind == MSC_VK_TX && r->t[j].key &&
					     !r->t[j].key_re && !r->t[j].exclude;
			for (size_t j = 0; r->next && j < r->next->n_t; j++)
				if (r->next->t[j].kind == MSC_VK_MATCHED_VARS ||
				    r->next->t[j].kind == MSC_VK_MATCHED_VARS_NAMES)
					r->next_reads_mvars = true;
			for (int j = 0; j < r->n_tfn; j++) {
				r->tfn_trig[j] = (j ? r->tfn_trig[j - 1] : 0) |
						 msc_tfn_trigger((enum msc_tfn)r->tfn[j]);
				k = tkey_get(&keys, &n_keys, k, r->tfn[j]);
				if (!k) {
					free(keys);
					return -ENOMEM;
				}
				r->tfn_key[j] = k;
			}
		}
		if (rs->v[i]->skip_after) {
			bool found = false;

			for (size_t j = i + 1; j < rs->n && !found; j++)
				found = rs->v[j]->is_marker &&
					!strcmp(rs->v[j]->marker, rs->v[i]->skip_after);
			if (!found)
				diag_add(diags, RULE_DIAG_NOTE, rs->v[i]->file, rs->v[i]->line,
					 rs->v[i]->id,
					 "skipAfter: no later SecMarker of that name (skips the "
					 "rest of the phase)");
		}
	}
	free(keys);
	rs->n_tfn_keys = (uint32_t)n_keys;
	mark_targets(rs);
	if (number_target_lists(rs) < 0)
		return -ENOMEM;
	for (int p = 1; p <= 5; p++) {
		size_t n = 0;

		free(rs->phase_idx[p]);
		rs->phase_idx[p] = calloc(rs->n ? rs->n : 1, sizeof(uint32_t));
		if (!rs->phase_idx[p])
			return -ENOMEM;
		free(rs->skip_idx[p]);
		rs->skip_idx[p] = calloc(rs->n ? rs->n : 1, sizeof(uint32_t));
		if (!rs->skip_idx[p])
			return -ENOMEM;
		for (size_t i = 0; i < rs->n; i++)
			if (rs->v[i]->is_marker || (rs->v[i]->phase == p && !rs->v[i]->removed))
				rs->phase_idx[p][n++] = (uint32_t)i;
		rs->n_phase_idx[p] = n;
		/* skipAfter targets resolved once: the evaluator jumps instead of walking (and
		 * touching) every rule up to the marker, which at PL1 is most of the CRS */
		for (size_t pi = 0; pi < n; pi++) {
			const struct msc_rule *r = rs->v[rs->phase_idx[p][pi]];
			size_t to = pi + 1;

			if (r->is_marker || !r->skip_after)
				continue;
			while (to < n &&
			       !(rs->v[rs->phase_idx[p][to]]->is_marker &&
				 !strcmp(rs->v[rs->phase_idx[p][to]]->marker, r->skip_after)))
				to++;
			rs->skip_idx[p][pi] = (uint32_t)to;
		}
	}
	return no_compile || !hs_groups ? 0 : build_groups(rs, diags);
}
