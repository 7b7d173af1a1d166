// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for rules/msc_ops: @validateByteRange (argument parsing and matching),
 * @validateUrlEncoding, @validateUtf8Encoding and @ipMatch sets. Cases follow ModSecurity's
 * regression suite (secrules-language-tests, operators/) and its reference manual; "true" means
 * the operator matches, i.e. the input is invalid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/lib.h"
#include "rules/msc_ops.h"

struct bcase {
	const char *in;
	size_t len;
	bool invalid;
};
#define B(i, v)                     \
	{                           \
		i, sizeof(i) - 1, v \
	}

static void test_msc_byte_range_parse_and_match(void **state)
{
	struct msc_byte_range r;
	char err[128];

	assert_int_equal(msc_byte_range_parse("1-255", &r, err, sizeof(err)), 0);
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"", 0));
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"abc\xff\x01", 5));
	assert_true(msc_op_validate_byte_range(&r, (const uint8_t *)"ab\0c", 4));

	assert_int_equal(msc_byte_range_parse("97-105", &r, err, sizeof(err)), 0);
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"abcdefghi", 9));
	assert_true(msc_op_validate_byte_range(&r, (const uint8_t *)"abcdefghij", 10));

	/* CRS 920270-920273 style lists, white space around tokens allowed */
	assert_int_equal(msc_byte_range_parse(" 32-36 , 38-126,9", &r, err, sizeof(err)), 0);
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"a b\t~", 5));
	assert_true(msc_op_validate_byte_range(&r, (const uint8_t *)"100%", 4));
	assert_true(msc_op_validate_byte_range(&r, (const uint8_t *)"\x7f", 1));
	assert_int_equal(
		msc_byte_range_parse("38,44-46,48-58,61,65-90,95,97-122", &r, err, sizeof(err)), 0);
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"a=1&b_c.d", 9));
	assert_true(msc_op_validate_byte_range(&r, (const uint8_t *)"a=<", 3));
	assert_int_equal(msc_byte_range_parse("0-255", &r, err, sizeof(err)), 0);
	assert_false(msc_op_validate_byte_range(&r, (const uint8_t *)"\0\xff", 2));
}

static void test_msc_byte_range_errors_name_the_token(void **state)
{
	static const char *const bad[][2] = {
		{ "", "''" },	      { "xxx", "'xxx'" },      { "256", "'256'" },
		{ "5-3", "'5-3'" },   { "1-2-3", "'1-2-3'" },  { "-5", "'-5'" },
		{ "1,,2", "''" },     { "10,20-", "'20-'" },   { "1-0x10", "'1-0x10'" },
		{ "1000", "'1000'" }, { "32-126,x9", "'x9'" },
	};
	struct msc_byte_range r = { .allowed = { 42 } };
	char err[128];
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		err[0] = 0;
		assert_int_equal(msc_byte_range_parse(bad[i][0], &r, err, sizeof(err)), -EINVAL);
		assert_non_null(strstr(err, bad[i][1]));
		assert_non_null(strstr(err, "@validateByteRange"));
	}
	assert_int_equal(r.allowed[0], 42); /* untouched on failure */
}

static void test_msc_validate_url_encoding(void **state)
{
	static const struct bcase cases[] = {
		B("", false),	   B("abc", false),   B("%41", false),	  B("+%2B%2b", false),
		B("a%00b", false), B("%4", true),     B("%", true),	  B("%zz", true),
		B("a%41%", true),  B("%%41", true),   B("%4g", true),	  B("%g4", true),
		B("a\0%", true),   B("%u0041", true), B("100%25", false),
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		assert_int_equal(
			msc_op_validate_url_encoding((const uint8_t *)cases[i].in, cases[i].len),
			cases[i].invalid);
}

static void test_msc_validate_utf8(void **state)
{
	static const struct bcase cases[] = {
		B("", false),
		B("Je peux manger du verre, \xc3\xa7"
		  "a ne me fait pas de mal.",
		  false),
		B("\xe7\xa7\x81\xe3\x81\xaf", false),
		B("\xe2\x82\xac", false),
		B("\xf0\x9f\x98\x80", false),
		B("\xf4\x8f\xbf\xbf", false), /* U+10FFFF */
		B("\xef\xbf\xbf", false),
		B("\0\xc3\xa4", false),
		B("\0\xe4", true), /* Latin-1 a-umlaut */
		B("\xff\0", true),
		B("\xc9;", true),
		B("\x03\xbf", true),
		B("\xc3", true),
		B("\xc3x", true),
		B("\x80", true),
		B("\xc0\x80", true), /* overlong NUL */
		B("\xc1\xbf", true), /* overlong DEL */
		B("\xe0\x80\xaf", true), /* overlong '/' */
		B("\xf0\x80\x80\x80", true), /* overlong */
		B("\xed\xa0\x80", true), /* surrogate */
		B("\xed\xbf\xbf", true), /* surrogate */
		B("\xf4\x90\x80\x80", true), /* U+110000 */
		B("\xf5\x80\x80\x80", true),
		B("\xe2\x82", true),
		B("ok\xe2\x28\xa1", true),
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		/* exact-size copy: a truncated sequence at the end must not be read past */
		uint8_t *p = malloc(cases[i].len + 1);
		assert_non_null(p);
		memcpy(p, cases[i].in, cases[i].len);
		assert_int_equal(msc_op_validate_utf8(p, cases[i].len), cases[i].invalid);
		free(p);
	}
}

static bool ip_match(const struct msc_ipset *s, const char *a)
{
	return msc_ipset_match(s, (const uint8_t *)a, strlen(a));
}

static void test_msc_ipset_match(void **state)
{
	struct msc_ipset *s = NULL;
	char err[128];

	assert_int_equal(msc_ipset_parse("127.0.0.1,::1, 10.0.0.0/8 ,fd00:6d6f:6174::/48,"
					 "198.18.5.5/15,",
					 &s, err, sizeof(err)),
			 0);
	assert_int_equal(msc_ipset_count(s), 5);
	assert_true(ip_match(s, "127.0.0.1"));
	assert_false(ip_match(s, "127.0.0.2"));
	assert_true(ip_match(s, "10.200.1.1"));
	assert_false(ip_match(s, "11.0.0.1"));
	assert_true(ip_match(s, "::1"));
	assert_true(ip_match(s, "0:0::1"));
	assert_true(ip_match(s, "fd00:6d6f:6174:ffff::1"));
	assert_false(ip_match(s, "fd00:6d6f:6175::1"));
	assert_true(ip_match(s, "198.19.255.255")); /* host bits of the entry cleared */
	assert_false(ip_match(s, "198.20.0.0"));
	assert_false(ip_match(s, "::ffff:127.0.0.1")); /* families never mix, as ModSecurity */
	assert_false(ip_match(s, "not-an-ip"));
	assert_false(ip_match(s, ""));
	assert_false(ip_match(s, "127.0.0.1 "));
	assert_false(ip_match(s, "127.0.0.1/32"));
	assert_false(msc_ipset_match(s, (const uint8_t *)"127.0.0.1\0", 10));
	/* a long non-address is refused before parsing */
	char big[300];
	memset(big, '1', sizeof(big));
	assert_false(msc_ipset_match(s, (const uint8_t *)big, sizeof(big)));
	msc_ipset_free(s);
	msc_ipset_free(NULL);
}

static void test_msc_ipset_errors(void **state)
{
	struct msc_ipset *s = NULL;
	char err[160];

	assert_int_equal(msc_ipset_parse("1.2.3.4,bogus", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'bogus'"));
	assert_int_equal(msc_ipset_parse("1.2.3.4/33", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'1.2.3.4/33'"));
	assert_int_equal(msc_ipset_parse("::1/129", &s, err, sizeof(err)), -EINVAL);
	assert_int_equal(msc_ipset_parse(" , ", &s, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "empty"));
	assert_null(s);

	/* MSC_IPSET_MAX + 1 entries are refused */
	size_t n = MSC_IPSET_MAX + 1;
	char *list = malloc(n * 9 + 1);
	assert_non_null(list);
	size_t off = 0;
	for (size_t i = 0; i < n; i++)
		off += (size_t)sprintf(list + off, "%s10.0.0.1", i ? "," : "");
	assert_int_equal(msc_ipset_parse(list, &s, err, sizeof(err)), -E2BIG);
	assert_null(s);
	/* exactly MSC_IPSET_MAX are fine */
	list[off - 9] = 0;
	assert_int_equal(msc_ipset_parse(list, &s, err, sizeof(err)), 0);
	assert_int_equal(msc_ipset_count(s), MSC_IPSET_MAX);
	msc_ipset_free(s);
	free(list);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msc_byte_range_parse_and_match),
		cmocka_unit_test(test_msc_byte_range_errors_name_the_token),
		cmocka_unit_test(test_msc_validate_url_encoding),
		cmocka_unit_test(test_msc_validate_utf8),
		cmocka_unit_test(test_msc_ipset_match),
		cmocka_unit_test(test_msc_ipset_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
