// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for cli/entry_args: fwctl's entry options and bulk-file lines -> datapath entries. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
#include <cmocka.h>
#include "lib/lib.h"
#include "cli/entry_args.h"

static void test_block_host_defaults_to_src_no_expiry(void **state)
{
	struct entry_args_opts o = { 0 };
	struct moat_dp_entry e;
	char err[256] = "";

	assert_int_equal(entry_args_build(&o, "198.18.0.2", &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MOAT_KIND_BLOCK);
	assert_int_equal(e.dir, MOAT_DIR_SRC);
	assert_int_equal(e.cidr.family, AF_INET);
	assert_int_equal(e.cidr.prefix, 32);
	assert_int_equal(e.ttl_sec, 0);
	assert_int_equal(e.reason, MOAT_REASON_MANUAL);
	assert_string_equal(e.note, "");
}

static void test_block_v6_prefix_dst_ttl_reason(void **state)
{
	struct entry_args_opts o = { .dir = "dst", .ttl = "1h30m", .reason = "scanner" };
	struct moat_dp_entry e;
	char err[256] = "";

	assert_int_equal(entry_args_build(&o, "fd00:6d6f:6174::/48", &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MOAT_KIND_BLOCK);
	assert_int_equal(e.dir, MOAT_DIR_DST);
	assert_int_equal(e.cidr.family, AF_INET6);
	assert_int_equal(e.cidr.prefix, 48);
	assert_int_equal(e.ttl_sec, 5400);
	assert_string_equal(e.note, "scanner");
}

static void test_noncanonical_cidr_suggests_canonical(void **state)
{
	struct entry_args_opts o = { 0 };
	struct moat_dp_entry e = { .kind = 99 };
	char err[256] = "";

	assert_int_equal(entry_args_build(&o, "10.1.2.3/8", &e, err, sizeof(err)), -EADDRNOTAVAIL);
	assert_non_null(strstr(err, "'10.1.2.3/8'"));
	assert_non_null(strstr(err, "10.0.0.0/8"));
	assert_int_equal(e.kind, 99); /* untouched on failure */
}

static void test_bad_values_are_named(void **state)
{
	struct moat_dp_entry e;
	char err[256];
	struct {
		struct entry_args_opts o;
		const char *target;
		const char *needle;
	} cases[] = {
		{ { 0 }, "300.1.1.1", "'300.1.1.1'" },
		{ { 0 }, "10.0.0.0/33", "'10.0.0.0/33'" },
		{ { 0 }, "banana", "'banana'" },
		{ { .proto = "tcp", .port = "0" }, "0.0.0.0/0", "'0'" },
		{ { .proto = "tcp", .port = "65536" }, "0.0.0.0/0", "'65536'" },
		{ { .proto = "tcp", .port = "ssh" }, "0.0.0.0/0", "'ssh'" },
		{ { .proto = "sctp", .port = "22" }, "0.0.0.0/0", "'sctp'" },
		{ { .proto = "tcp" }, "0.0.0.0/0", "--port" },
		{ { .port = "22" }, "0.0.0.0/0", "--proto" },
		{ { .dir = "up" }, "10.0.0.0/8", "'up'" },
		{ { .ttl = "5 minutes" }, "10.0.0.0/8", "'5 minutes'" },
		{ { .ttl = "0s" }, "10.0.0.0/8", "'0s'" },
		{ { .proto = "icmp" }, "::/0", "icmpv6" },
		{ { .proto = "icmp", .port = "256" }, "0.0.0.0/0", "'256'" },
		{ { .proto = "tcp", .port = "22", .dir = "dst" }, "0.0.0.0/0", "--dir dst" },
		{ { .allow = true, .dir = "dst" }, "10.0.0.0/8", "--dir dst" },
		{ { 0 }, NULL, "missing CIDR" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		err[0] = '\0';
		assert_true(entry_args_build(&cases[i].o, cases[i].target, &e, err, sizeof(err)) <
			    0);
		if (!strstr(err, cases[i].needle))
			fail_msg("case %zu: '%s' does not mention %s", i, err, cases[i].needle);
	}
}

static void test_reason_too_long_refused(void **state)
{
	char reason[MOAT_NOTE_LEN + 1];
	struct entry_args_opts o = { .reason = reason };
	struct moat_dp_entry e;
	char err[256];

	memset(reason, 'x', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(entry_args_build(&o, "10.0.0.0/8", &e, err, sizeof(err)), -ERANGE);
	reason[MOAT_NOTE_LEN - 1] = '\0';
	assert_int_equal(entry_args_build(&o, "10.0.0.0/8", &e, err, sizeof(err)), 0);
	assert_int_equal(strlen(e.note), MOAT_NOTE_LEN - 1);
}

static void test_port_entries(void **state)
{
	struct entry_args_opts o = { .proto = "tcp", .port = "22" };
	struct moat_dp_entry e;
	char err[256];

	/* No CIDR: any source, both families. */
	assert_int_equal(entry_args_build(&o, NULL, &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MOAT_KIND_PORT_BLOCK);
	assert_int_equal(e.proto, IPPROTO_TCP);
	assert_int_equal(e.port, 22);
	assert_int_equal(e.cidr.family, AF_UNSPEC);

	o.allow = true;
	o.proto = "udp";
	o.port = "65535";
	assert_int_equal(entry_args_build(&o, "198.18.0.0/15", &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MOAT_KIND_PORT_ALLOW);
	assert_int_equal(e.proto, IPPROTO_UDP);
	assert_int_equal(e.port, 65535);
	assert_int_equal(e.cidr.prefix, 15);

	/* ICMP: the "port" is the type; default echo request; type 0 is valid. */
	o = (struct entry_args_opts){ .proto = "icmp" };
	assert_int_equal(entry_args_build(&o, "0.0.0.0/0", &e, err, sizeof(err)), 0);
	assert_int_equal(e.proto, IPPROTO_ICMP);
	assert_int_equal(e.port, 8);
	o.port = "0";
	assert_int_equal(entry_args_build(&o, "0.0.0.0/0", &e, err, sizeof(err)), 0);
	assert_int_equal(e.port, 0);
	o = (struct entry_args_opts){ .proto = "icmpv6" };
	assert_int_equal(entry_args_build(&o, "::/0", &e, err, sizeof(err)), 0);
	assert_int_equal(e.proto, IPPROTO_ICMPV6);
	assert_int_equal(e.port, 128);
	/* ICMP needs a family: no "any" scope. */
	assert_int_equal(entry_args_build(&o, NULL, &e, err, sizeof(err)), -EINVAL);
}

static void test_template_validates_options_only(void **state)
{
	struct entry_args_opts o = { .ttl = "10m", .reason = "feed" };
	struct moat_dp_entry e;
	char err[256];

	assert_int_equal(entry_args_template(&o, &e, err, sizeof(err)), 0);
	assert_int_equal(e.kind, MOAT_KIND_BLOCK);
	assert_int_equal(e.ttl_sec, 600);
	assert_int_equal(e.cidr.family, 0);
	assert_string_equal(e.note, "feed");
	o.ttl = "10y";
	assert_int_equal(entry_args_template(&o, &e, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "'10y'"));
}

static void test_bulk_lines(void **state)
{
	const char *t = NULL;
	char err[256];
	char l1[] = "  198.18.0.2/32   # a scanner\n";
	char l2[] = "# only a comment\n";
	char l3[] = "   \t\r\n";
	char l4[] = "198.18.0.2 198.18.0.3\n";
	char l5[] = "fd00:6d6f:6174::1\r\n";

	assert_int_equal(entry_args_line(l1, &t, err, sizeof(err)), 1);
	assert_string_equal(t, "198.18.0.2/32");
	assert_int_equal(entry_args_line(l2, &t, err, sizeof(err)), 0);
	assert_int_equal(entry_args_line(l3, &t, err, sizeof(err)), 0);
	assert_int_equal(entry_args_line(l4, &t, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "198.18.0.3"));
	assert_int_equal(entry_args_line(l5, &t, err, sizeof(err)), 1);
	assert_string_equal(t, "fd00:6d6f:6174::1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_block_host_defaults_to_src_no_expiry),
		cmocka_unit_test(test_block_v6_prefix_dst_ttl_reason),
		cmocka_unit_test(test_noncanonical_cidr_suggests_canonical),
		cmocka_unit_test(test_bad_values_are_named),
		cmocka_unit_test(test_reason_too_long_refused),
		cmocka_unit_test(test_port_entries),
		cmocka_unit_test(test_template_validates_options_only),
		cmocka_unit_test(test_bulk_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
