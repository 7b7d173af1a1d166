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
#include "msc_transform.h"
#include "ruleset_int.h"

#define PM_FILE_MAX (16u << 20)

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
	switch (r->op) {
	case MSC_OP_RX:
		rc = msc_rx_compile(r->op_arg, strlen(r->op_arg), !no_compile, &r->re, err, errlen);
		if (rc < 0)
			return rc;
		rs->st.rx++;
		if (!no_compile) {
			size_t jit = 0;

			if (pcre2_pattern_info(r->re, PCRE2_INFO_JITSIZE, &jit) == 0 && jit)
				rs->st.rx_jit++;
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

int msc_compile_finish(struct msc_ruleset *rs, struct rule_diags *diags)
{
	struct tkey *keys = NULL;
	size_t n_keys = 0;

	for (size_t i = 0; i < rs->n; i++) {
		for (struct msc_rule *r = rs->v[i]; r && !r->is_marker; r = r->next) {
			uint32_t k = 0;

			for (int j = 0; j < r->n_tfn; j++) {
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
	return 0;
}
