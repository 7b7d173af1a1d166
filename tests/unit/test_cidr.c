// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for lib/cidr: parsing, canonical form, formatting, containment. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <arpa/inet.h>
#include <cmocka.h>
#include "lib/lib.h"

static void test_cidr_bare_address_is_host(void **state)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	assert_int_equal(cidr_parse("198.18.0.1", &c), 0);
	assert_int_equal(c.family, AF_INET);
	assert_int_equal(c.prefix, 32);
	assert_true(cidr_is_host(&c));
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "198.18.0.1/32");
	assert_int_equal(cidr_parse("fd00:6d6f:6174::1", &c), 0);
	assert_int_equal(c.family, AF_INET6);
	assert_int_equal(c.prefix, 128);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "fd00:6d6f:6174::1/128");
}

static void test_cidr_non_canonical_suggests_network(void **state)
{
	struct cidr c;
	char buf[CIDR_STRLEN];

	assert_int_equal(cidr_parse("10.1.2.3/8", &c), -EADDRNOTAVAIL);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "10.0.0.0/8");
	assert_int_equal(cidr_parse("fd00:6d6f:6174::1/48", &c), -EADDRNOTAVAIL);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "fd00:6d6f:6174::/48");
	assert_int_equal(cidr_parse_loose("10.1.2.3/8", &c), 0);
	assert_string_equal(cidr_format(&c, buf, sizeof(buf)), "10.0.0.0/8");
	assert_int_equal(cidr_parse("198.18.0.0/15", &c), 0);
	assert_int_equal(cidr_parse("198.18.0.0/13", &c), -EADDRNOTAVAIL);
	assert_int_equal(cidr_parse("0.0.0.0/0", &c), 0);
	assert_int_equal(cidr_parse("::/0", &c), 0);
}

static void test_cidr_rejects_malformed(void **state)
{
	struct cidr c = { .family = 99 };

	assert_int_equal(cidr_parse("", &c), -EINVAL);
	assert_int_equal(cidr_parse("300.1.1.1", &c), -EINVAL);
	assert_int_equal(cidr_parse("1.2.3.4/", &c), -EINVAL);
	assert_int_equal(cidr_parse("1.2.3.4/33", &c), -ERANGE);
	assert_int_equal(cidr_parse("::1/129", &c), -ERANGE);
	assert_int_equal(cidr_parse("1.2.3.4/0x8", &c), -EINVAL);
	assert_int_equal(cidr_parse("1.2.3.4/-1", &c), -EINVAL);
	assert_int_equal(cidr_parse("1.2.3.4/8/8", &c), -EINVAL);
	assert_int_equal(cidr_parse("host.example", &c), -EINVAL);
	assert_int_equal(c.family, 99);
}

static void test_cidr_contains_matches_prefix_bits(void **state)
{
	struct cidr c;
	uint8_t a4[4], a6[16];

	assert_int_equal(cidr_parse("198.18.0.0/15", &c), 0);
	inet_pton(AF_INET, "198.19.255.255", a4);
	assert_true(cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET, "198.20.0.0", a4);
	assert_false(cidr_contains(&c, AF_INET, a4));
	inet_pton(AF_INET6, "::1", a6);
	assert_false(cidr_contains(&c, AF_INET6, a6));
	assert_int_equal(cidr_parse("fd00:6d6f:6174::/48", &c), 0);
	inet_pton(AF_INET6, "fd00:6d6f:6174:ffff::9", a6);
	assert_true(cidr_contains(&c, AF_INET6, a6));
	inet_pton(AF_INET6, "fd00:6d6f:6175::9", a6);
	assert_false(cidr_contains(&c, AF_INET6, a6));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cidr_bare_address_is_host),
		cmocka_unit_test(test_cidr_non_canonical_suggests_network),
		cmocka_unit_test(test_cidr_rejects_malformed),
		cmocka_unit_test(test_cidr_contains_matches_prefix_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
