// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for lib/parse: numbers, ports, durations, booleans. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <cmocka.h>
#include "lib/lib.h"

static void test_parse_u64_bounds(void **state)
{
	uint64_t v = 7;

	assert_int_equal(parse_u64("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_u64("0x10", 0, 100, &v), 0);
	assert_int_equal(v, 16);
	v = 7;
	assert_int_equal(parse_u64("101", 0, 100, &v), -ERANGE);
	assert_int_equal(parse_u64("", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("-1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("12abc", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64(" 1", 0, 100, &v), -EINVAL);
	assert_int_equal(parse_u64("99999999999999999999999", 0, UINT64_MAX, &v), -ERANGE);
	assert_int_equal(v, 7);
}

static void test_parse_port_rejects_zero_and_large(void **state)
{
	uint16_t p = 0;

	assert_int_equal(parse_port("22", &p), 0);
	assert_int_equal(p, 22);
	assert_int_equal(parse_port("65535", &p), 0);
	assert_int_equal(parse_port("0", &p), -ERANGE);
	assert_int_equal(parse_port("65536", &p), -ERANGE);
	assert_int_equal(parse_port("http", &p), -EINVAL);
}

static void test_parse_duration_units(void **state)
{
	uint64_t s = 0;
	char buf[32];

	assert_int_equal(parse_duration("30s", &s), 0);
	assert_int_equal(s, 30);
	assert_int_equal(parse_duration("10m", &s), 0);
	assert_int_equal(s, 600);
	assert_int_equal(parse_duration("1h", &s), 0);
	assert_int_equal(s, 3600);
	assert_int_equal(parse_duration("7d", &s), 0);
	assert_int_equal(s, 7 * 86400);
	assert_int_equal(parse_duration("1h30m", &s), 0);
	assert_int_equal(s, 5400);
	assert_int_equal(parse_duration("45", &s), 0);
	assert_int_equal(s, 45);
	assert_int_equal(parse_duration("1h30", &s), -EINVAL);
	assert_int_equal(parse_duration("10x", &s), -EINVAL);
	assert_int_equal(parse_duration("", &s), -EINVAL);
	assert_int_equal(parse_duration("h", &s), -EINVAL);
	assert_int_equal(parse_duration("99999999999999999999d", &s), -ERANGE);
	assert_string_equal(format_duration(5400, buf, sizeof(buf)), "1h30m");
	assert_string_equal(format_duration(0, buf, sizeof(buf)), "0s");
	assert_string_equal(format_duration(7 * 86400 + 5, buf, sizeof(buf)), "7d5s");
}

static void test_parse_bool_words(void **state)
{
	int b = -1;

	assert_int_equal(parse_bool("yes", &b), 0);
	assert_int_equal(b, 1);
	assert_int_equal(parse_bool("Off", &b), 0);
	assert_int_equal(b, 0);
	assert_int_equal(parse_bool("maybe", &b), -EINVAL);
}

static void test_str_trim_strips_both_ends(void **state)
{
	char a[] = " \t msg:\"x\" \r\n", b[] = "   ", c[] = "x";

	assert_string_equal(str_trim(a), "msg:\"x\"");
	assert_string_equal(str_trim(b), "");
	assert_string_equal(str_trim(c), "x");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_u64_bounds),
		cmocka_unit_test(test_parse_port_rejects_zero_and_large),
		cmocka_unit_test(test_parse_duration_units),
		cmocka_unit_test(test_parse_bool_words),
		cmocka_unit_test(test_str_trim_strips_both_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
