// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fuzz target for rules/msc_rxlit (the literal factors of an @rx pattern). Input: a pattern,
 * a NUL, a subject. msc_rx_factors() must not crash on any pattern, and its answer must be
 * sound: when PCRE2 (ModSecurity's options) compiles the pattern and it matches the subject,
 * the subject holds one of the factors (ASCII-caseless), or the target aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "rules/msc_rxlit.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static int holds(const uint8_t *s, size_t n, const struct msc_rx_lit *l)
{
	for (size_t i = 0; i + l->len <= n; i++) {
		size_t j = 0;

		while (j < l->len && lower(s[i + j]) == lower(l->s[j]))
			j++;
		if (j == l->len)
			return 1;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t plen = nul ? (size_t)(nul - data) : size;
	const uint8_t *subj = nul ? nul + 1 : data + size;
	size_t slen = nul ? size - plen - 1 : 0;
	struct msc_rx_lit *lits = NULL;
	pcre2_code *re;
	pcre2_match_data *md;
	int n, ec, rc, found = 0;
	PCRE2_SIZE eo;

	if (size > 4096)
		return 0;
	n = msc_rx_factors((const char *)data, plen, &lits);
	if (n < 0)
		abort(); /* -ENOMEM only */
	if (n == 0) {
		if (lits)
			abort();
		return 0;
	}
	for (int i = 0; i < n; i++)
		if (!lits[i].len || lits[i].len > MSC_RX_LIT_CAP)
			abort();
	re = pcre2_compile(data, plen, PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);
	if (!re) {
		free(lits);
		return 0;
	}
	md = pcre2_match_data_create_from_pattern(re, NULL);
	if (md) {
		pcre2_match_context *mc = pcre2_match_context_create(NULL);

		if (mc)
			pcre2_set_match_limit(mc, 10000);
		rc = pcre2_match(re, subj, slen, 0, 0, md, mc);
		if (rc >= 0) {
			for (int i = 0; i < n && !found; i++)
				found = holds(subj, slen, &lits[i]);
			if (!found)
				abort();
		}
		pcre2_match_context_free(mc);
		pcre2_match_data_free(md);
	}
	pcre2_code_free(re);
	free(lits);
	return 0;
}
