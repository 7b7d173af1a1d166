// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for rules/msc_rxlit: the literal factors of @rx patterns. Exact answers for the
 * constructs the analysis reads (sequences, alternations, classes, quantifiers, groups of each
 * kind, escapes), "no factors" for what it must not guess at, and soundness against PCRE2: for
 * patterns in the CRS's style and generated subjects, every PCRE2 match holds a factor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "lib/lib.h"
#include "rules/msc_rxlit.h"

/* The factors of PAT as "a|b|c" (sorted as produced), "-" for none. */
static const char *factors(const char *pat)
{
	static char out[4096];
	struct msc_rx_lit *l;
	int n = msc_rx_factors(pat, strlen(pat), &l);
	size_t o = 0;

	assert_true(n >= 0);
	if (n == 0) {
		assert_null(l);
		return "-";
	}
	for (int i = 0; i < n; i++) {
		if (i)
			out[o++] = '|';
		memcpy(out + o, l[i].s, l[i].len);
		o += l[i].len;
	}
	out[o] = '\0';
	free(l);
	return out;
}

static void test_rxlit_constructs(void **state)
{
	(void)state;
	assert_string_equal(factors("select"), "select");
	assert_string_equal(factors("(?i:sleep\\(\\s*?\\d*?\\s*?\\)|benchmark\\(.*?\\,.*?\\))"),
			    "sleep(|benchmark(");
	/* the longest run wins; classes of a few characters multiply out */
	assert_string_equal(factors("ab.cdef"), "cdef");
	assert_string_equal(factors("[Ss]elect"), "Select|select");
	assert_string_equal(factors("x[a-c]y"), "xay|xby|xcy");
	/* an optional item: both ways; a repeated one: once at least */
	assert_string_equal(factors("ab?c"), "ac|abc");
	assert_string_equal(factors("a(?:bc)+d"), "bc");
	assert_string_equal(factors("foo\\s*bar"), "foo");
	assert_string_equal(factors("x{2,5}abc"), "abc");
	assert_string_equal(factors("ab{,3}c"), "-"); /* literal in PCRE2 10.42, not 10.43 */
	assert_string_equal(factors("a{b}cd"), "a{b}cd");
	/* alternations: every branch must have factors */
	assert_string_equal(factors("(?:union|select)\\s+from"), "union|select");
	assert_string_equal(factors("union|.*"), "-");
	assert_string_equal(factors("union|"), "-");
	/* groups: named, atomic, comments, options; lookarounds add nothing */
	assert_string_equal(factors("(?<n>abc)(?>de)(?#note)(?i)f"), "abcdef");
	assert_string_equal(factors("(?P<n>abc)|(?'m'xyz)"), "abc|xyz");
	assert_string_equal(factors("(?=abc)x"), "x");
	assert_string_equal(factors("(?<!abc)xyz"), "xyz");
	/* escapes */
	assert_string_equal(factors("\\x41\\x{42}\\043\\n"), "AB#\n");
	assert_string_equal(factors("\\Qa.b*c\\E"), "a.b*c");
	assert_string_equal(factors("\\.\\./"), "../");
	assert_string_equal(factors("\\bword\\b"), "word");
	assert_string_equal(factors("[\\-\\]a]"), "-|]|a");
	assert_string_equal(factors("[]a]"), "]|a");
	/* what is never guessed at */
	assert_string_equal(factors(""), "-");
	assert_string_equal(factors(".*"), "-");
	assert_string_equal(factors("[^a]"), "-");
	assert_string_equal(factors("[a-z]+"), "-");
	assert_string_equal(factors("(a)\\1"), "-");
	assert_string_equal(factors("(?x) a b"), "-");
	assert_string_equal(factors("(?(1)a|b)"), "-");
	assert_string_equal(factors("(?R)"), "-");
	assert_string_equal(factors("(*UTF)abc"), "-");
	assert_string_equal(factors("\\N{U+0041}bc"), "-");
	assert_string_equal(factors("\\cAbc"), "-");
	assert_string_equal(factors("abc)"), "-");
	assert_string_equal(factors("(abc"), "-");
	assert_string_equal(factors("a{2"), "-");
	assert_string_equal(factors("\\p{Lu}xyz"), "xyz");
	assert_string_equal(factors("[[:alpha:]]abc"), "abc");
	assert_string_equal(factors("[[:^digit:]x]abc"), "abc");
	assert_string_equal(factors("m[[:.lp]x:]]abc"), "-"); /* "[:" not a class name */
	assert_string_equal(factors("[[.a.]]abc"), "-");
	/* a quantifier after \E, a comment or an option setting binds to the item before it
	 * (PCRE2: "\x9c\E*" is "\x9c*"): not guessed at */
	assert_string_equal(factors("\x9c\\E*\\E"), "-");
	assert_string_equal(factors("ab(?#c)*d"), "-");
	assert_string_equal(factors("ab(?i)+d"), "-");
	assert_string_equal(factors("ab\\Q\\E?d"), "-");
	assert_string_equal(factors("(?:b\\E)*cde"), "cde");
	/* long literals keep a prefix */
	assert_string_equal(factors("0123456789012345678901234567890123456789"),
			    "01234567890123456789012345678901");
}

static int lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static bool holds(const uint8_t *s, size_t n, const struct msc_rx_lit *l)
{
	for (size_t i = 0; i + l->len <= n; i++) {
		size_t j = 0;

		while (j < l->len && lower(s[i + j]) == lower(l->s[j]))
			j++;
		if (j == l->len)
			return true;
	}
	return false;
}

/*
 * Soundness: subjects built from the patterns' own pieces (so they match often), each PCRE2
 * match must hold a factor. Counts that the check is not vacuous.
 */
static void test_rxlit_sound(void **state)
{
	static const char *const pats[] = {
		"(?i:sleep\\(\\s*?\\d*?\\s*?\\)|benchmark\\(.*?\\,.*?\\))",
		"(?i)(?:[\"'`](?:;?\\s*?(?:having|select|union)\\b\\s*?[^\\s]|\\s*?!\\s*?[\"'`\\w]))",
		"(?:^|[\\\\/])\\.\\.(?:[\\\\/]|$)",
		"(?i)<script[^>]*>[\\s\\S]*?",
		"(?i:(?:[\\s()]case\\s*?\\(|\\)\\s*?like\\s*?\\(|having\\s*?[^\\s]+\\s*?[^\\w\\s]))",
		"(?i)(?:\\b(?:o(?:r|n)|and)\\b\\s*[=<>]|\\|\\||&&)",
		"ab?c(?:de|f)+[gh]?",
		"(?i:java\\.lang\\.(?:runtime|processbuilder))",
		"(?:x|yz){1,2}w",
		"[Ss][Ee][Ll]ect",
	};
	static const char *const pieces[] = {
		"sleep(",  "SLEEP",	 "(",	       ")",	  "5",
		" ",	   "benchmark(", ",",	       "'",	  "\"",
		"`",	   ";",		 "having",     "select",  "UNION",
		"x",	   "!",		 "..",	       "/",	  "\\",
		"<script", ">",		 "<SCRIPT ",   "case",	  "like",
		"or",	   "ON",	 "and",	       "=",	  "||",
		"&&",	   "a",		 "b",	       "c",	  "de",
		"f",	   "g",		 "java.lang.", "Runtime", "processbuilder",
		"yz",	   "w",		 "S",	       "e",	  "L",
		"ect",
	};
	pcre2_match_data *md = pcre2_match_data_create(16, NULL);
	uint32_t seed = 7;
	size_t matches = 0;

	(void)state;
	for (size_t p = 0; p < ARRAY_SIZE(pats); p++) {
		struct msc_rx_lit *l;
		int n = msc_rx_factors(pats[p], strlen(pats[p]), &l), ec;
		PCRE2_SIZE eo;
		pcre2_code *re = pcre2_compile((PCRE2_SPTR)pats[p], PCRE2_ZERO_TERMINATED,
					       PCRE2_DOTALL | PCRE2_DOLLAR_ENDONLY, &ec, &eo, NULL);

		assert_non_null(re);
		assert_true(n > 0);
		for (int round = 0; round < 20000; round++) {
			char s[256];
			size_t len = 0, k;

			seed = seed * 1103515245u + 12345u;
			k = 1 + (seed >> 16) % 6;
			for (size_t i = 0; i < k; i++) {
				const char *pc;

				seed = seed * 1103515245u + 12345u;
				pc = pieces[(seed >> 16) % ARRAY_SIZE(pieces)];
				memcpy(s + len, pc, strlen(pc));
				len += strlen(pc);
			}
			if (pcre2_match(re, (PCRE2_SPTR)s, len, 0, 0, md, NULL) >= 0) {
				bool found = false;

				matches++;
				for (int i = 0; i < n && !found; i++)
					found = holds((const uint8_t *)s, len, &l[i]);
				if (!found)
					fprintf(stderr, "no factor of %s in %.*s\n", pats[p],
						(int)len, s);
				assert_true(found);
			}
		}
		pcre2_code_free(re);
		free(l);
	}
	assert_true(matches > 5000);
	pcre2_match_data_free(md);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rxlit_constructs),
		cmocka_unit_test(test_rxlit_sound),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
