// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for rules/msc_transform. The cases are ModSecurity's documented examples, cases
 * from its regression suite (owasp-modsecurity/secrules-language-tests, transformations/) and
 * the corners of 3.0.9 found by tests/corpus/msc_tfn_vs_modsec; every expected value below was
 * confirmed against libmodsecurity 3.0.9.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "lib/lib.h"
#include "rules/msc_transform.h"

struct tcase {
	enum msc_tfn t;
	const char *in;
	size_t in_len;
	const char *out;
	size_t out_len;
};

/* String literals keep their embedded NULs: lengths come from sizeof. */
#define C(tfn, i, o)                                              \
	{                                                         \
		MSC_TFN_##tfn, i, sizeof(i) - 1, o, sizeof(o) - 1 \
	}

static const struct tcase cases[] = {
	/* urlDecode */
	C(URL_DECODE, "", ""),
	C(URL_DECODE, "Test+Case", "Test Case"),
	C(URL_DECODE, "%41%4", "A%4"),
	C(URL_DECODE, "%41%4%4g%", "A%4%4g%"),
	C(URL_DECODE, "%%41", "%A"),
	C(URL_DECODE, "%u0041", "%u0041"),
	C(URL_DECODE, "a\0b%00c", "a\0b\0c"),
	C(URL_DECODE, "%e9%E9", "\xe9\xe9"),
	/* urlDecodeUni */
	C(URL_DECODE_UNI, "Test\0Case", "Test\0Case"),
	C(URL_DECODE_UNI, "%+", "% "),
	C(URL_DECODE_UNI, "%%20", "% "),
	C(URL_DECODE_UNI, "%0g%20", "%0g "),
	C(URL_DECODE_UNI, "%0%20", "%0 "),
	C(URL_DECODE_UNI, "%g0%u0020", "%g0 "),
	C(URL_DECODE_UNI, "%u%u0020", "%u "),
	C(URL_DECODE_UNI, "%u000g%u0020", "%u000g "),
	C(URL_DECODE_UNI, "%u00411%U0041%u004%uZZZZ", "A1A%u004%uZZZZ"),
	C(URL_DECODE_UNI, "%u1141", "A"),
	C(URL_DECODE_UNI, "%uff01%uFF5E%uff5f%uff00", "!~_\0"),
	C(URL_DECODE_UNI, "%uff21%uFF41", "Aa"),
	C(URL_DECODE_UNI, "%u12", "%u12"),
	C(URL_DECODE_UNI, "%", "%"),
	C(URL_DECODE_UNI, "%0", "%0"),
	C(URL_DECODE_UNI, "%%", "%%"),
	C(URL_DECODE_UNI, "%gg", "%gg"),
	/* urlEncode */
	C(URL_ENCODE, "a b*-._~%/\0\xff+", "a+b*%2d%2e%5f%7e%25%2f%00%ff%2b"),
	/* htmlEntityDecode */
	C(HTML_ENTITY_DECODE, "&lt;&gt&amp;&quot&nbsp;&apos;&foo;&", "<>&\"\xa0&apos;&foo;&"),
	C(HTML_ENTITY_DECODE, "&#65;&#x41&#X42;&#;&#x;&#", "AAB&#;&#x;&#"),
	C(HTML_ENTITY_DECODE, "&#9999999999999999999999;", "\xff"),
	C(HTML_ENTITY_DECODE, "&#x4142;", "B"),
	C(HTML_ENTITY_DECODE, "&LT;&Amp", "<&"),
	C(HTML_ENTITY_DECODE, "&#0;x", "\0x"),
	C(HTML_ENTITY_DECODE, "a&b;c", "a&b;c"),
	C(HTML_ENTITY_DECODE, "&#65a", "Aa"),
	C(HTML_ENTITY_DECODE, "a\0b&lt;", "a\0b<"),
	C(HTML_ENTITY_DECODE, "&#x3c;script&#x3E;", "<script>"),
	/* jsDecode */
	C(JS_DECODE, "\\u0041\\uff21\\x41\\101\\400\\7\\n\\q\\", "AAAA 0\x07\nq\\"),
	C(JS_DECODE, "\\U0041\\X41\\u004", "U0041X41u004"),
	C(JS_DECODE, "\\0\\08",
	  "\0\0"
	  "8"),
	C(JS_DECODE, "\\377", "\xff"),
	C(JS_DECODE, "\\1", "\x01"),
	C(JS_DECODE, "\\uFF21", "A"),
	C(JS_DECODE, "\\u00", "u00"),
	C(JS_DECODE, "\\x4", "x4"),
	C(JS_DECODE, "\\8", "8"),
	C(JS_DECODE, "\\a\\b\\f\\v\\r\\t", "\x07\x08\x0c\x0b\r\t"),
	C(JS_DECODE, "a\0b", "a\0b"),
	/* cssDecode */
	C(CSS_DECODE, "\\41\\041 x", "AAx"),
	C(CSS_DECODE, "\\0000041",
	  "\x04"
	  "1"),
	C(CSS_DECODE, "\\\na\\g\\", "ag"),
	C(CSS_DECODE, "\\\\", "\\"),
	C(CSS_DECODE, "\\41\tb", "Ab"),
	C(CSS_DECODE, "\\A", "\n"),
	C(CSS_DECODE, "\\ff21\\0ff21 \\00ff21", "AAA"),
	C(CSS_DECODE, "\\00ff5e\\ff5f", "~_"),
	C(CSS_DECODE, "\\4\\4x\\000000041", "\x04\x04x"),
	C(CSS_DECODE, "a\0b", "a"),
	C(CSS_DECODE, "ja\\vascript", "javascript"),
	/* utf8toUnicode */
	C(UTF8_TO_UNICODE, "\xc3\xa9", "%u00e9"),
	C(UTF8_TO_UNICODE, "\xc0\x80", "%u0000\xc0"),
	C(UTF8_TO_UNICODE, "\xc1\xbf", "%u007f\xc1"),
	C(UTF8_TO_UNICODE, "\xe0\x80\x80x", "%u0000\xe0x"),
	C(UTF8_TO_UNICODE, "\xed\xa0\x80", "%ud800\xed"),
	C(UTF8_TO_UNICODE, "a\0b", "ab"),
	C(UTF8_TO_UNICODE, "\xc3", ""),
	C(UTF8_TO_UNICODE, "\xc3x", "x"),
	C(UTF8_TO_UNICODE, "\xf0\x9f\x98\x80", "%u1f600"),
	C(UTF8_TO_UNICODE, "\xf4\x90\x80\x80", "%u110000"),
	C(UTF8_TO_UNICODE, "\xe2\x82\xac", "%u20ac"),
	C(UTF8_TO_UNICODE, "\xff\x80", "\xff\x80"),
	/* removeNulls, replaceNulls */
	C(REMOVE_NULLS, "\0a\0\0b\0", "ab"),
	C(REPLACE_NULLS, "a\0b", "a b"),
	/* removeWhitespace, compressWhitespace, trim* */
	C(REMOVE_WHITESPACE,
	  " a b\t\xa0"
	  "c\v\f\r\n",
	  "abc"),
	C(REMOVE_WHITESPACE, "o\xc1\xc2\x97", "o\xc1\x97"),
	C(REMOVE_WHITESPACE, "a\0 b", "a\0b"),
	C(COMPRESS_WHITESPACE, " a  b\t\xa0\v\fc  ", " a b \xa0 c "),
	C(TRIM, " \ta b \v\f\r\n", "a b"),
	C(TRIM, "x\xa0", "x\xa0"),
	C(TRIM, " a\0 ", "a\0"),
	C(TRIM_LEFT, " \ta  ", "a  "),
	C(TRIM_RIGHT, " \ta \n ", " \ta"),
	/* cmdLine: the documented example and its rules */
	C(CMD_LINE, " a ,; b /c (d \"e\" ^f \\g", " a b/c(d e f g"),
	C(CMD_LINE, "a  /b", "a/b"),
	C(CMD_LINE, " / ", "/ "),
	C(CMD_LINE, "\"/", "/"),
	C(CMD_LINE, "C:\\WINDOWS\\System32", "c:windowssystem32"),
	C(CMD_LINE, "w\"h^o'a\\m\"i", "whoami"),
	C(CMD_LINE, "a\0B", "a\0b"),
	/* normalizePath */
	C(NORMALIZE_PATH, "/a/./b/../c//d", "/a/c/d"),
	C(NORMALIZE_PATH, "a/../../b", "../b"),
	C(NORMALIZE_PATH, "../x", "../x"),
	C(NORMALIZE_PATH, "./", ""),
	C(NORMALIZE_PATH, "/..", ""),
	C(NORMALIZE_PATH, "a/b/..", "a"),
	C(NORMALIZE_PATH, "a/b/.", "a/b"),
	C(NORMALIZE_PATH, "/./", "/"),
	C(NORMALIZE_PATH, "x/...", "x"),
	C(NORMALIZE_PATH, "//", "/"),
	C(NORMALIZE_PATH, ".", ""),
	C(NORMALIZE_PATH, "..", ".."),
	C(NORMALIZE_PATH, "a//", "a/"),
	C(NORMALIZE_PATH, "a/b/c/../../d", "a/d"),
	C(NORMALIZE_PATH, "/a/../../b", "/b"),
	C(NORMALIZE_PATH, "a/.b", "a/.b"),
	C(NORMALIZE_PATH, "a/..b", "a/..b"),
	C(NORMALIZE_PATH, "a/b/../", "a/"),
	C(NORMALIZE_PATH, "../../a", "../../a"),
	C(NORMALIZE_PATH, "a/b/../../../c", "../c"),
	C(NORMALIZE_PATH, "a\\b/../c", "c"),
	C(NORMALIZE_PATH, "/etc/./passwd", "/etc/passwd"),
	C(NORMALIZE_PATH, "a\0/b/../c", "a\0/c"),
	C(NORMALIZE_PATH, "", ""),
	C(NORMALIZE_PATH_WIN, "a\\b\\..\\c", "a/c"),
	C(NORMALIZE_PATH_WIN, "c:\\windows\\..\\\\boot.ini", "c:\\boot.ini"),
	/* replaceComments, removeComments, removeCommentsChar */
	C(REPLACE_COMMENTS, "a/*b*/c", "a c"),
	C(REPLACE_COMMENTS, "a/*bc", "a "),
	C(REPLACE_COMMENTS, "/**/", " "),
	C(REPLACE_COMMENTS, "a*/b", "a*/b"),
	C(REPLACE_COMMENTS, "/*", " "),
	C(REPLACE_COMMENTS, "a/", "a/"),
	C(REPLACE_COMMENTS, "UNION/**/SELECT", "UNION SELECT"),
	C(REMOVE_COMMENTS, "a/*b*/c", "ac"),
	C(REMOVE_COMMENTS, "a/*b*/", "a\0"),
	C(REMOVE_COMMENTS, "x<!--y-->", "x\0"),
	C(REMOVE_COMMENTS, "ab--c", "ab"),
	C(REMOVE_COMMENTS, "#x", ""),
	C(REMOVE_COMMENTS, "a/*", "a "),
	C(REMOVE_COMMENTS_CHAR, "a/*b*/c--d#e<!--f-->g", "abcdefg"),
	/* base64Decode (strict), base64DecodeExt (forgiving), base64Encode */
	C(BASE64_DECODE, "VGVzdENhc2U=", "TestCase"),
	C(BASE64_DECODE, "YWJj", "abc"),
	C(BASE64_DECODE, "YWJ", ""),
	C(BASE64_DECODE, "YW=j", ""),
	C(BASE64_DECODE, "YWJj!YWJj", ""),
	C(BASE64_DECODE, "YW Jj", ""),
	C(BASE64_DECODE, "YWJjZA==", "abcd"),
	C(BASE64_DECODE, "YWJjZA=", "abc"),
	C(BASE64_DECODE, "YWJjZA", "abc"),
	C(BASE64_DECODE, "YWJj\0YQ", "abc"),
	C(BASE64_DECODE, "YWJj\r\nZA==  ", "abcd"),
	C(BASE64_DECODE_EXT, "YW.J j", "abc"),
	C(BASE64_DECODE_EXT, "YWJjZA=", "abcd"),
	C(BASE64_DECODE_EXT, "Y-_j", "b"),
	C(BASE64_DECODE_EXT, "YW=Jj", "abc"),
	C(BASE64_DECODE_EXT, "Y=", ""),
	C(BASE64_DECODE_EXT, "YWJj\0YQ", "abca"),
	C(BASE64_DECODE_EXT, "AAAA9", ""),
	C(BASE64_DECODE_EXT, "AAAA9!", "\0\0\0"),
	C(BASE64_DECODE_EXT, "AAAAA9", "\0\0\0\x03"),
	C(BASE64_ENCODE, "abcd", "YWJjZA=="),
	C(BASE64_ENCODE, "a\0b", "YQBi"),
	C(BASE64_ENCODE, "TestCase", "VGVzdENhc2U="),
	/* hex */
	C(HEX_ENCODE, "a\0\xff", "6100ff"),
	C(HEX_DECODE, "414", "A"),
	C(HEX_DECODE, "41zz42", "ASB"),
	C(HEX_DECODE, "0x41", "!A"),
	C(HEX_DECODE, "aB", "\xab"),
	C(HEX_DECODE,
	  "41\0"
	  "41",
	  "A\x04"),
	C(SQL_HEX_DECODE, "0x414243", "ABC"),
	C(SQL_HEX_DECODE, "a0x41g", "aAg"),
	C(SQL_HEX_DECODE, "0x4", "0x"),
	C(SQL_HEX_DECODE, "0x", "0"),
	C(SQL_HEX_DECODE, "0x414", "A4"),
	C(SQL_HEX_DECODE, "X0x41", "XA"),
	C(SQL_HEX_DECODE, "0X41", "A"),
	C(SQL_HEX_DECODE, "abc", "ab"),
	/* escapeSeqDecode */
	C(ESCAPE_SEQ_DECODE, "a\\nb\\x41\\101\\8\\", "a\nbAA8\\"),
	C(ESCAPE_SEQ_DECODE, "\\x4", "x4"),
	C(ESCAPE_SEQ_DECODE, "\\q\\0", "q\0"),
	C(ESCAPE_SEQ_DECODE, "\\1234", "S4"),
	C(ESCAPE_SEQ_DECODE, "\\\\\\?\\'\\\"", "\\?'\""),
	C(ESCAPE_SEQ_DECODE, "\\a\\b\\f\\r\\t\\v\\xAB", "\x07\x08\x0c\r\t\x0b\xab"),
	/* case, length, digests, parity */
	C(LOWERCASE, "aB\xc9Z", "ab\xc9z"),
	C(UPPERCASE, "aB\xe9z", "AB\xe9Z"),
	C(LENGTH, "abc\0", "4"),
	C(LENGTH, "", "0"),
	C(SHA1, "abc",
	  "\xa9\x99\x3e\x36\x47\x06\x81\x6a\xba\x3e\x25\x71\x78\x50\xc2\x6c\x9c\xd0\xd8\x9d"),
	C(MD5, "", "\xd4\x1d\x8c\xd9\x8f\x00\xb2\x04\xe9\x80\x09\x98\xec\xf8\x42\x7e"),
	C(PARITY_EVEN_7BIT, "abc\xff",
	  "\xe1\xe2"
	  "c\x7f"),
	C(PARITY_ODD_7BIT, "abc\x80", "ab\xe3\0"),
	C(PARITY_ZERO_7BIT, "abc\xff", "abc\x7f"),
	C(NONE, "a\0b", "a\0b"),
	/* a plain prefix before the first escape (copied in one go) */
	C(URL_DECODE_UNI, "abcdef%41+", "abcdefA "),
	C(URL_DECODE, "abcdef+%4", "abcdef %4"),
	C(HTML_ENTITY_DECODE, "plain text &amp", "plain text &"),
	C(CSS_DECODE, "abc\\41", "abcA"),
	C(CSS_DECODE, "abc\0\\41", "abc"),
	C(JS_DECODE, "abc\\x41", "abcA"),
	C(ESCAPE_SEQ_DECODE, "abc\\n", "abc\n"),
	C(REMOVE_NULLS, "abc\0d", "abcd"),
	C(REPLACE_COMMENTS, "abc/x/*y*/z", "abc/x z"),
};

static void print_bytes(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu): \"", what, n);
	for (size_t i = 0; i < n; i++)
		fprintf(stderr, p[i] >= 0x20 && p[i] < 0x7f ? "%c" : "\\x%02x", p[i]);
	fprintf(stderr, "\"\n");
}

static void test_msc_tfn_table(void **state)
{
	struct msc_buf out = { 0 };
	int failed = 0;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct tcase *c = &cases[i];
		assert_int_equal(msc_tfn_apply(c->t, (const uint8_t *)c->in, c->in_len, &out), 0);
		if (out.len == c->out_len && memcmp(out.p, c->out, c->out_len) == 0)
			continue;
		fprintf(stderr, "case %zu t:%s\n", i, msc_tfn_name(c->t));
		print_bytes("  input", (const uint8_t *)c->in, c->in_len);
		print_bytes("  want", (const uint8_t *)c->out, c->out_len);
		print_bytes("  got", out.p, out.len);
		failed++;
	}
	msc_buf_done(&out);
	assert_int_equal(failed, 0);
}

static void test_msc_tfn_lookup_names(void **state)
{
	assert_int_equal(msc_tfn_lookup("urlDecodeUni", 12), MSC_TFN_URL_DECODE_UNI);
	assert_int_equal(msc_tfn_lookup("URLDECODEUNI", 12), MSC_TFN_URL_DECODE_UNI);
	assert_int_equal(msc_tfn_lookup("normalisePath", 13), MSC_TFN_NORMALIZE_PATH);
	assert_int_equal(msc_tfn_lookup("normalisePathWin", 16), MSC_TFN_NORMALIZE_PATH_WIN);
	assert_int_equal(msc_tfn_lookup("utf8toUnicode", 13), MSC_TFN_UTF8_TO_UNICODE);
	/* LEN bounds the name: a prefix of a longer buffer */
	assert_int_equal(msc_tfn_lookup("sha1,t:hexEncode", 4), MSC_TFN_SHA1);
	assert_int_equal(msc_tfn_lookup("url", 3), -1);
	assert_int_equal(msc_tfn_lookup("lowercase2", 10), -1);
	assert_int_equal(msc_tfn_lookup("", 0), -1);
	assert_string_equal(msc_tfn_name(MSC_TFN_NORMALIZE_PATH), "normalizePath");
	assert_string_equal(msc_tfn_name(MSC_TFN_COUNT_), "?");
	/* every value has a name that looks itself up */
	for (int t = 0; t < MSC_TFN_COUNT_; t++) {
		const char *n = msc_tfn_name((enum msc_tfn)t);
		assert_string_not_equal(n, "?");
		assert_int_equal(msc_tfn_lookup(n, strlen(n)), t);
	}
}

/* Every transformation on the empty input, on all 256 byte values, and reusing one buffer. */
static void test_msc_tfn_all_bytes_and_empty(void **state)
{
	struct msc_buf out = { 0 };
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	for (int t = 0; t < MSC_TFN_COUNT_; t++) {
		/* an empty value may come as NULL */
		assert_int_equal(msc_tfn_apply((enum msc_tfn)t, NULL, 0, &out), 0);
		if (t == MSC_TFN_LENGTH)
			assert_memory_equal(out.p, "0", 1);
		else if (t == MSC_TFN_SHA1)
			assert_int_equal(out.len, 20);
		else if (t == MSC_TFN_MD5)
			assert_int_equal(out.len, 16);
		else
			assert_int_equal(out.len, 0);
		assert_int_equal(msc_tfn_apply((enum msc_tfn)t, all, sizeof(all), &out), 0);
		assert_true(out.len <= MSC_TFN_MAX_FACTOR * sizeof(all) + MSC_TFN_MAX_EXTRA);
	}
	assert_int_equal(msc_tfn_apply(MSC_TFN_COUNT_, all, 1, &out), -EINVAL);
	msc_buf_done(&out);
	msc_buf_done(&out); /* idempotent */
}

/* Escapes cut off at the very end of the input are copied, never read past. */
static void test_msc_tfn_truncated_escapes(void **state)
{
	static const char *const tails[] = {
		"%",	"%4",	    "%u",	    "%u00", "%u004", "\\",  "\\u",  "\\u00",
		"\\x",	"\\x4",	    "\\1",	    "&",    "&#",    "&#x", "&#x4", "&l",
		"\xc3", "\xe2\x82", "\xf0\x9f\x98", "0x",   "0x4",   "/*",  "<!-",  "-"
	};
	struct msc_buf out = { 0 };
	for (size_t i = 0; i < ARRAY_SIZE(tails); i++) {
		size_t n = strlen(tails[i]);
		/* exact-size heap copy so ASan catches any read past the end */
		uint8_t *p = malloc(n);
		assert_non_null(p);
		memcpy(p, tails[i], n);
		for (int t = 0; t < MSC_TFN_COUNT_; t++)
			assert_int_equal(msc_tfn_apply((enum msc_tfn)t, p, n, &out), 0);
		free(p);
	}
	/* a few with known results */
	assert_int_equal(msc_tfn_apply(MSC_TFN_URL_DECODE_UNI, (const uint8_t *)"a%u004", 6, &out),
			 0);
	assert_int_equal(out.len, 6);
	assert_memory_equal(out.p, "a%u004", 6);
	assert_int_equal(msc_tfn_apply(MSC_TFN_JS_DECODE, (const uint8_t *)"a\\", 2, &out), 0);
	assert_int_equal(out.len, 2);
	assert_int_equal(msc_tfn_apply(MSC_TFN_HTML_ENTITY_DECODE, (const uint8_t *)"&#x", 3, &out),
			 0);
	assert_int_equal(out.len, 3);
	msc_buf_done(&out);
}

/* Large inputs: right sizes, growth of a reused buffer, results checked at both ends. */
static void test_msc_tfn_huge_input(void **state)
{
	const size_t reps = 1 << 20; /* 6 MiB of "%u0041", 2 MiB of "\xc3\xa9" */
	uint8_t *in = malloc(6 * reps);
	assert_non_null(in);
	for (size_t i = 0; i < reps; i++)
		memcpy(in + 6 * i, "%u0041", 6);
	struct msc_buf out = { 0 };
	assert_int_equal(msc_tfn_apply(MSC_TFN_URL_DECODE_UNI, in, 6 * reps, &out), 0);
	assert_int_equal(out.len, reps);
	assert_int_equal(out.p[0], 'A');
	assert_int_equal(out.p[reps - 1], 'A');
	for (size_t i = 0; i < reps; i++)
		memcpy(in + 2 * i, "\xc3\xa9", 2);
	assert_int_equal(msc_tfn_apply(MSC_TFN_UTF8_TO_UNICODE, in, 2 * reps, &out), 0);
	assert_int_equal(out.len, 6 * reps);
	assert_memory_equal(out.p + 6 * (reps - 1), "%u00e9", 6);
	assert_int_equal(msc_tfn_apply(MSC_TFN_LENGTH, in, 2 * reps, &out), 0);
	assert_int_equal(out.len, 7);
	assert_memory_equal(out.p, "2097152", 7);
	assert_int_equal(msc_tfn_apply(MSC_TFN_URL_ENCODE, in, 2 * reps, &out), 0);
	assert_int_equal(out.len, 6 * reps);
	free(in);
	msc_buf_done(&out);
}

/* Chains as CRS writes them; each step's result feeds the next. */
static void test_msc_tfn_chain(void **state)
{
	struct msc_buf scratch[2] = { { 0 } };
	const uint8_t *res = NULL;
	size_t res_len = 0;
	/* 942 style: t:urlDecodeUni,t:htmlEntityDecode,t:lowercase (after t:none) */
	static const enum msc_tfn sqli[] = { MSC_TFN_NONE, MSC_TFN_URL_DECODE_UNI,
					     MSC_TFN_HTML_ENTITY_DECODE, MSC_TFN_LOWERCASE };
	const char *in = "%uff33ELECT%20&#x2A;%26lt;";
	assert_int_equal(msc_tfn_chain_apply(sqli, ARRAY_SIZE(sqli), (const uint8_t *)in,
					     strlen(in), scratch, &res, &res_len),
			 0);
	/* %uff33 is full-width 'S'; %26 becomes '&', so the next step decodes "&lt;" */
	assert_int_equal(res_len, 9);
	assert_memory_equal(res, "select *<", 9);
	/* a 932 chain with cmdLine and normalizePath */
	static const enum msc_tfn rce[] = { MSC_TFN_URL_DECODE_UNI, MSC_TFN_CMD_LINE,
					    MSC_TFN_NORMALIZE_PATH };
	in = "W%5eHO\\aMI%20;%20/bin/./c'a't%20/etc//passwd";
	assert_int_equal(msc_tfn_chain_apply(rce, ARRAY_SIZE(rce), (const uint8_t *)in, strlen(in),
					     scratch, &res, &res_len),
			 0);
	assert_int_equal(res_len, strlen("whoami/bin/cat/etc/passwd"));
	assert_memory_equal(res, "whoami/bin/cat/etc/passwd", res_len);
	/* only t:none: the input itself, no copy */
	assert_int_equal(
		msc_tfn_chain_apply(sqli, 1, (const uint8_t *)in, 3, scratch, &res, &res_len), 0);
	assert_ptr_equal(res, in);
	assert_int_equal(res_len, 3);
	/* a bad value: error, outputs untouched */
	static const enum msc_tfn bad[] = { MSC_TFN_LOWERCASE, MSC_TFN_COUNT_ };
	res = NULL;
	assert_int_equal(
		msc_tfn_chain_apply(bad, 2, (const uint8_t *)in, 3, scratch, &res, &res_len),
		-EINVAL);
	assert_null(res);
	msc_buf_done(&scratch[0]);
	msc_buf_done(&scratch[1]);
}

/*
 * msc_tfn_trigger(): a value holding none of T's trigger classes must be its own result under
 * T (the evaluator then skips T). Values drawn from bytes that each trigger something, plain
 * bytes and runs of spaces, 200,000 of them, every transformation; and the triggers must not
 * be vacuous: for each class a transformation names, some value of that class changes.
 */
static void test_msc_tfn_trigger_identity(void **state)
{
	static const uint8_t alphabet[] = "aZz09 ./\\%+&;#<>-*!\"'^,(\t\n\r\v\f";
	struct msc_buf out = { 0 };
	uint32_t seed = 12345;
	size_t skipped[MSC_TFN_COUNT_] = { 0 }, changed_when_triggered[MSC_TFN_COUNT_] = { 0 };

	(void)state;
	for (int round = 0; round < 200000; round++) {
		uint8_t v[24];
		size_t n;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(v);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 8) {
			case 0:
				v[i] = (uint8_t)(seed >> 8); /* any byte: NUL and >= 0x80 too */
				break;
			case 1:
				v[i] = ' ';
				break;
			default:
				v[i] = alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
				break;
			}
		}
		uint32_t cls = msc_tfn_classes(v, n);

		assert_true(cls & MSC_TFN_C_ALWAYS);
		for (int t = 0; t < MSC_TFN_COUNT_; t++) {
			assert_int_equal(msc_tfn_apply((enum msc_tfn)t, v, n, &out), 0);
			bool same = out.len == n && (!n || !memcmp(out.p, v, n));

			if (!(cls & msc_tfn_trigger((enum msc_tfn)t))) {
				if (!same) {
					fprintf(stderr,
						"%s changed a value without its triggers:\n",
						msc_tfn_name((enum msc_tfn)t));
					print_bytes("in", v, n);
					print_bytes("out", out.p, out.len);
				}
				assert_true(same);
				skipped[t]++;
			} else if (!same) {
				changed_when_triggered[t]++;
			}
		}
	}
	/* the skip is used for the CRS's transformations, and their triggers do trigger */
	static const enum msc_tfn used[] = {
		MSC_TFN_LOWERCASE,	     MSC_TFN_URL_DECODE,       MSC_TFN_URL_DECODE_UNI,
		MSC_TFN_HTML_ENTITY_DECODE,  MSC_TFN_JS_DECODE,	       MSC_TFN_CSS_DECODE,
		MSC_TFN_UTF8_TO_UNICODE,     MSC_TFN_REMOVE_NULLS,     MSC_TFN_REMOVE_WHITESPACE,
		MSC_TFN_COMPRESS_WHITESPACE, MSC_TFN_CMD_LINE,	       MSC_TFN_NORMALIZE_PATH,
		MSC_TFN_NORMALIZE_PATH_WIN,  MSC_TFN_REPLACE_COMMENTS,
	};
	for (size_t i = 0; i < ARRAY_SIZE(used); i++) {
		assert_true(skipped[used[i]] > 1000);
		assert_true(changed_when_triggered[used[i]] > 50); /* "&lt;" comes seldom */
	}
	/* what is not reasoned about is never skipped */
	assert_int_equal(skipped[MSC_TFN_SHA1], 0);
	assert_int_equal(skipped[MSC_TFN_BASE64_DECODE], 0);
	assert_int_equal(skipped[MSC_TFN_NONE], 200000);
	/* a class each */
	assert_int_equal(msc_tfn_classes((const uint8_t *)"ab", 2), MSC_TFN_C_ALWAYS);
	assert_true(msc_tfn_classes((const uint8_t *)"a  b", 4) & MSC_TFN_C_SP2);
	assert_false(msc_tfn_classes((const uint8_t *)"a b c", 5) & MSC_TFN_C_SP2);
	assert_true(msc_tfn_classes((const uint8_t *)"\xc2\xa0", 2) & MSC_TFN_C_HIGH);
	assert_int_equal(msc_tfn_classes(NULL, 0), MSC_TFN_C_ALWAYS);
	msc_buf_done(&out);
}

/* msc_tfn_classes_of_set(): a value holding a byte of the set holds one of its classes */
static void test_msc_tfn_classes_of_set(void **state)
{
	uint32_t seed = 777;
	size_t tested = 0, passed_over = 0;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		uint8_t set[32] = { 0 }, v[16];
		size_t k, n;
		uint32_t need;

		/* 1-8 bytes, mostly punctuation and controls (letters and digits now and then) */
		seed = seed * 1103515245u + 12345u;
		k = 1 + (seed >> 16) % 8;
		for (size_t i = 0; i < k; i++) {
			seed = seed * 1103515245u + 12345u;
			uint8_t b = (seed >> 16) % 5 ?
					    (uint8_t)("\n\r<>$`{}|;()\"'=[]&%+/.\\ \t"[(seed >> 8) %
										       26]) :
					    (uint8_t)(seed >> 8);
			set[b / 8] |= (uint8_t)(1u << (b % 8));
		}
		need = msc_tfn_classes_of_set(set);
		if (!need)
			continue;
		assert_false(need & MSC_TFN_C_ALWAYS);
		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(v);
		bool holds = false;

		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			v[i] = (uint8_t)(seed >> 8);
			holds |= set[v[i] / 8] >> (v[i] % 8) & 1;
		}
		tested++;
		if (holds)
			assert_true(msc_tfn_classes(v, n) & need);
		else if (!(msc_tfn_classes(v, n) & need))
			passed_over++;
	}
	assert_true(tested > 5000);
	assert_true(passed_over > 1000); /* the test does rule values out */

	uint8_t nl[32] = { 0 }, lt_a[32] = { 0 }, none[32] = { 0 };

	nl['\n' / 8] |= 1u << ('\n' % 8);
	nl['\r' / 8] |= 1u << ('\r' % 8);
	assert_int_equal(msc_tfn_classes_of_set(nl), MSC_TFN_C_NL); /* not all of \t-\r */
	assert_false(msc_tfn_classes((const uint8_t *)"a\tb", 3) & MSC_TFN_C_NL);
	lt_a['<' / 8] |= 1u << ('<' % 8);
	assert_int_equal(msc_tfn_classes_of_set(lt_a), MSC_TFN_C_LT);
	lt_a['a' / 8] |= 1u << ('a' % 8);
	assert_int_equal(msc_tfn_classes_of_set(lt_a), 0); /* letters have no class */
	assert_int_equal(msc_tfn_classes_of_set(none), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msc_tfn_table),
		cmocka_unit_test(test_msc_tfn_lookup_names),
		cmocka_unit_test(test_msc_tfn_all_bytes_and_empty),
		cmocka_unit_test(test_msc_tfn_truncated_escapes),
		cmocka_unit_test(test_msc_tfn_huge_input),
		cmocka_unit_test(test_msc_tfn_chain),
		cmocka_unit_test(test_msc_tfn_trigger_identity),
		cmocka_unit_test(test_msc_tfn_classes_of_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
