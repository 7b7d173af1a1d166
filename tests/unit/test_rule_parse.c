// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for rules/ loading: diagnostics (invalid vs unsupported, file:line, sid),
 * variables, classification, continuation lines, duplicates, and the -T check output. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include "rules.h"

/* Load text; return the stats and the first diagnostic's message (or ""). */
static struct ruleset_stats load_diag(const char *text, struct rule_vars *vars, char *msg,
				      size_t msglen, unsigned int *line, uint32_t *sid)
{
	struct ruleset_opts opts = { .vars = vars };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st;

	assert_int_equal(ruleset_load_string(text, "t.rules", &opts, &rs, &d), 0);
	ruleset_get_stats(rs, &st);
	snprintf(msg, msglen, "%s", d.n ? d.v[0].message : "");
	if (line)
		*line = d.n ? d.v[0].line : 0;
	if (sid)
		*sid = d.n ? d.v[0].sid : 0;
	rule_diags_done(&d);
	ruleset_free(rs);
	return st;
}

static void expect_invalid(const char *rule, const char *needle)
{
	char msg[512];
	struct ruleset_stats st = load_diag(rule, NULL, msg, sizeof(msg), NULL, NULL);

	if (st.invalid != 1 || !strstr(msg, needle))
		fail_msg("rule: %s\nexpected invalid with \"%s\", got %zu invalid: \"%s\"", rule,
			 needle, st.invalid, msg);
}

static void expect_unsupported(const char *rule, const char *needle)
{
	char msg[512];
	struct ruleset_stats st = load_diag(rule, NULL, msg, sizeof(msg), NULL, NULL);

	if (st.unsupported != 1 || !strstr(msg, needle))
		fail_msg("rule: %s\nexpected unsupported with \"%s\", got \"%s\"", rule, needle,
			 msg);
}

static void expect_loads(const char *rule)
{
	char msg[512];
	struct ruleset_stats st = load_diag(rule, NULL, msg, sizeof(msg), NULL, NULL);

	if (st.loaded != 1)
		fail_msg("rule: %s\ndid not load: %s", rule, msg);
}

#define HDR "alert tcp any any -> any any "

static void test_rule_parse_invalid_rules_name_the_problem(void **state)
{
	expect_invalid(HDR "(msg:\"x\"; content:\"a\";)", "no sid");
	expect_invalid(HDR "(msg:\"x\"; frobnicate; sid:1;)", "unknown keyword \"frobnicate\"");
	expect_invalid(HDR "(content:\"abcd\"; depth:2; sid:1;)", "smaller than the content");
	expect_invalid(HDR "(content:\"abcd\"; within:2; sid:1;)", "smaller than the content");
	expect_invalid(HDR "(content:\"a\"; depth:4; distance:1; sid:1;)", "cannot be combined");
	expect_invalid(HDR "(pcre:\"/a(/\"; sid:1;)", "pcre: ");
	expect_invalid(HDR "(pcre:\"/a/q\"; sid:1;)", "unknown modifier 'q'");
	expect_invalid(HDR "(content:\"|4\"; sid:1;)", "unterminated");
	expect_invalid(HDR "(content:\"|4G|\"; sid:1;)", "bad hex");
	expect_invalid(HDR "(content:\"a\\x\"; sid:1;)", "invalid escape");
	expect_invalid(HDR "(content:a; sid:1;)", "must be quoted");
	expect_invalid(HDR "(nocase; sid:1;)", "needs a preceding content");
	expect_invalid(HDR "(classtype:no-such-class; sid:1;)", "unknown classtype");
	expect_invalid(HDR "(flow:to_server,to_client; sid:1;)", "both directions");
	expect_invalid(HDR "(flow:sideways; sid:1;)", "unknown option");
	expect_invalid(HDR "(flowbits:frob,x; sid:1;)", "unknown command");
	expect_invalid(HDR "(xbits:set,a; sid:1;)", "needs command, name and track");
	expect_invalid(HDR "(dotprefix; content:\"x\"; sid:1;)", "must follow a sticky buffer");
	expect_invalid(HDR "(http.host; content:\"x\"; dotprefix; content:\".y\"; sid:1;)",
		       "directly follow");
	expect_invalid(HDR "(xbits:set,a,track ip_src,expire x; sid:1;)", "bad expire");
	expect_invalid(HDR "(stream_size:middle,<,5; sid:1;)", "unknown side");
	expect_invalid(HDR "(stream_size:server,~,5; sid:1;)", "unknown operator");
	expect_invalid(HDR "(threshold:type limit, count 1; sid:1;)", "needs");
	expect_invalid(HDR "(byte_test:2,~,1,0; sid:1;)", "unknown operator");
	expect_invalid(HDR "(byte_test:9,=,1,0; sid:1;)", "1 to 8 bytes");
	expect_invalid(HDR "(content:\"a\"; byte_test:1,=,nolen,0; sid:1;)",
		       "unknown byte_extract");
	expect_invalid(HDR "(dsize:abc; sid:1;)", "dsize: bad value");
	/* Suricata 7's check: the contents cannot fit in the largest dsize. */
	expect_invalid(HDR "(content:\"ab\"; content:\"c\"; distance:2; dsize:4; sid:1;)",
		       "required content length 5 exceeds dsize value 4");
	expect_invalid(HDR "(content:\"abc\"; content:!\"de\"; within:6; dsize:5; sid:1;)",
		       "required content length 9");
	expect_invalid(HDR "(content:\"a\"; http_uri; http_header; sid:1;)", "already bound");
	expect_invalid("alert tcp any any -> any (sid:1;)", "7 fields");
	expect_invalid("alert foo any any -> any any (sid:1;)", "unknown protocol");
	expect_invalid("alert tcp any any <- any any (sid:1;)", "bad direction");
	expect_unsupported("alert tcp any any => any any (sid:1;)", "\"=>\"");
	expect_invalid("alert tcp 10.0.0.1/33 any -> any any (sid:1;)", "bad address");
	expect_invalid("alert tcp any 70000 -> any any (sid:1;)", "bad port");
	expect_invalid("alert tcp $NOPE any -> any any (sid:1;)", "undefined variable");
	expect_invalid("alert tcp [1.1.1.1,2.2.2.2]] any -> any any (sid:1;)", "unbalanced");
	expect_invalid("alert tcp any any -> any any (sid:1;", "no option list");
	expect_invalid(HDR "(msg:\"x\" sid:1;)", "unbalanced quotes");
	expect_invalid(HDR "(msg:\"x\"; sid:1)", "not terminated");
}

static void test_rule_parse_unsupported_names_protocol_or_keyword(void **state)
{
	expect_unsupported("alert dns any any -> any any (msg:\"d\"; dns.query; content:\"x\"; "
			   "sid:1;)",
			   "protocol \"dns\"");
	expect_unsupported(HDR "(msg:\"s\"; flowint:x,+,y; sid:1;)", "variable as value");
	expect_unsupported(HDR "(msg:\"s\"; base64_decode; sid:1;)", "keyword \"base64_decode\"");
	expect_unsupported(HDR "(msg:\"x\"; xbits:set,a,track ip_host; sid:1;)", "track");
	expect_unsupported(HDR "(msg:\"s\"; tls.sni; content:\"x\"; sid:1;)",
			   "keyword \"tls.sni\"");
	expect_unsupported(HDR "(app-layer-protocol:dns; sid:1;)", "app-layer-protocol");
}

static void test_rule_parse_valid_forms_load(void **state)
{
	expect_loads("alert http $HOME_NET any -> $EXTERNAL_NET $HTTP_PORTS (msg:\"ET x\"; "
		     "flow:established,to_server; http.method; content:\"POST\"; http.uri; "
		     "content:\"/gate.php\"; fast_pattern; endswith; http.header_names; "
		     "content:!\"Referer\"; reference:url,example.com; classtype:trojan-activity; "
		     "sid:2000001; rev:2; metadata:created_at 2024_01_01;)");
	expect_loads("drop udp [10.0.0.0/8,!10.1.0.0/16] [1024:,!5000] <> any :1023 (msg:\"u\"; "
		     "content:\"|00 01|\"; offset:2; depth:2; byte_jump:2,0,relative,little,align; "
		     "isdataat:!1,relative; sid:2;)");
	/* Suricata takes a bare regex too (suricata-verify's UriTestSig cases). */
	expect_loads(HDR "(msg:\"bare\"; pcre:/(one){2,}(self)?/U; urilen:3<>20; sid:8;)");
	expect_loads(HDR "(content:\"ab\"; content:\"cd\"; dsize:3; sid:9;)");
	expect_loads("pass ip any any -> any any (msg:\"p\"; ip_proto:!tcp; ttl:<5; sid:3;)");
	expect_loads("reject tcp-pkt any any -> any any (msg:\"f\"; flags:S,12; dsize:0; "
		     "threshold:type both, track by_dst, count 5, seconds 10; sid:4;)");
	expect_loads("alert icmp any any -> any any (msg:\"i\"; itype:8; icode:0; "
		     "detection_filter:track by_src, count 3, seconds 2; sid:5;)");
	expect_loads("alert http any any -> any any (msg:\"r\"; flow:to_client; file_data; "
		     "content:\"MZ\"; pcre:\"/^\\d{3}/QR\"; http.stat_code; content:\"200\"; "
		     "sid:6;)");
	expect_loads(HDR "(msg:\"semi\\; colon\"; content:\"a\\;b\\\"c\\\\d\"; "
			 "fast_pattern:only; priority:1; target:dest_ip; noalert; sid:7;)");
}

static void test_rule_parse_info_fields(void **state)
{
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	const struct rule_info *ri;
	int idx;

	assert_int_equal(
		ruleset_load_string("alert http any any -> any any (msg:\"ET \\\"quoted\\\" msg\"; "
				    "flow:established,to_client; http.header; content:\"X\"; "
				    "classtype:web-application-attack; sid:42; rev:7; gid:3;)\n",
				    "t.rules", NULL, &rs, &d),
		0);
	idx = ruleset_find(rs, 3, 42);
	assert_true(idx >= 0);
	ri = ruleset_rule(rs, (size_t)idx);
	assert_string_equal(ri->msg, "ET \"quoted\" msg");
	assert_int_equal(ri->rev, 7);
	assert_int_equal(ri->priority, 1);
	assert_string_equal(ri->category, "Web Application Attack");
	assert_true(ri->tx_rule);
	assert_true(ri->to_client);
	assert_int_equal(ruleset_find(rs, 1, 42), -ENOENT);
	ruleset_free(rs);
	rule_diags_done(&d);
}

static void test_rule_parse_lines_continuations_duplicates(void **state)
{
	const char *text =
		"# comment\n"
		"\n"
		"alert tcp any any -> any any (msg:\"a\"; \\\n"
		"  content:\"x\"; sid:1;)\n"
		"alert tcp any any -> any any (msg:\"b\"; bogus; sid:2;)\n"
		"alert tcp any any -> any any (msg:\"c\"; content:\"y\"; sid:1; rev:0;)\n";
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	struct ruleset_stats st;

	assert_int_equal(ruleset_load_string(text, "f.rules", NULL, &rs, &d), 0);
	ruleset_get_stats(rs, &st);
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.invalid, 2);
	assert_int_equal(d.n, 2);
	assert_int_equal(d.v[0].line, 5);
	assert_int_equal(d.v[0].sid, 2);
	assert_string_equal(d.v[0].file, "f.rules");
	assert_int_equal(d.v[1].line, 6);
	assert_non_null(strstr(d.v[1].message, "duplicate sid"));
	ruleset_free(rs);
	rule_diags_done(&d);
}

static void test_rule_parse_tag_loads_with_note(void **state)
{
	char msg[256];
	struct ruleset_stats st = load_diag(HDR "(msg:\"t\"; content:\"x\"; tag:session,5,packets; "
						"sid:1;)",
					    NULL, msg, sizeof(msg), NULL, NULL);

	assert_int_equal(st.loaded, 1);
	assert_string_equal(msg, "tag: tagged packets are not logged");
	expect_invalid(HDR "(tag:flow,5,packets; sid:1;)", "expected session or host");
	expect_invalid(HDR "(tag:session,5,frames; sid:1;)", "packets|seconds|bytes");
}

static void test_rule_parse_vars_override(void **state)
{
	struct rule_vars *v = rule_vars_new();
	char msg[256];
	struct ruleset_stats st;

	assert_non_null(v);
	assert_int_equal(rule_vars_set(v, "bad name", "1.2.3.4"), -EINVAL);
	assert_int_equal(rule_vars_set(v, "HOME_NET", "[198.18.0.0/15]"), 0);
	assert_int_equal(rule_vars_set(v, "MY_PORTS", "[8080,8443]"), 0);
	st = load_diag("alert tcp $HOME_NET any -> $EXTERNAL_NET $MY_PORTS (msg:\"v\"; sid:1;)", v,
		       msg, sizeof(msg), NULL, NULL);
	assert_int_equal(st.loaded, 1);
	/* A cycle is reported, not followed forever. */
	assert_int_equal(rule_vars_set(v, "LOOP", "$LOOP"), 0);
	st = load_diag("alert tcp $LOOP any -> any any (msg:\"v\"; sid:1;)", v, msg, sizeof(msg),
		       NULL, NULL);
	assert_int_equal(st.invalid, 1);
	assert_non_null(strstr(msg, "nested too deep"));
	rule_vars_free(v);
}

static void test_rule_parse_check_output_and_exit_code(void **state)
{
	char path[] = "/tmp/moat-rules-XXXXXX.rules";
	char *out = NULL;
	size_t outlen = 0;
	FILE *f, *mem;
	int fd = mkstemps(path, 6);
	const char *paths[] = { path };

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs("alert tcp any any -> any any (msg:\"ok\"; content:\"a\"; sid:1;)\n"
	      "alert dns any any -> any any (msg:\"dns\"; sid:2;)\n"
	      "alert tcp any any -> any any (msg:\"bad\"; content:\"a\"; depth:0; sid:3;)\n",
	      f);
	fclose(f);
	mem = open_memstream(&out, &outlen);
	assert_int_equal(rules_check(paths, 1, NULL, mem), 1);
	fclose(mem);
	assert_non_null(strstr(out, ":2: sid 2: protocol \"dns\" is not supported\n"));
	assert_non_null(strstr(out, ":3: sid 3: depth: bad number"));
	assert_non_null(strstr(out, "rules: 1 loaded, 1 skipped (unsupported), 1 invalid\n"));
	free(out);

	/* Only unsupported: exit 0. */
	f = fopen(path, "w");
	fputs("alert tls any any -> any any (msg:\"t\"; sid:2;)\n", f);
	fclose(f);
	mem = open_memstream(&out, &outlen);
	assert_int_equal(rules_check(paths, 1, NULL, mem), 0);
	fclose(mem);
	free(out);
	unlink(path);

	/* A missing path: exit 2 with the path named. */
	paths[0] = "/nonexistent/moat.rules";
	mem = open_memstream(&out, &outlen);
	assert_int_equal(rules_check(paths, 1, NULL, mem), 2);
	fclose(mem);
	assert_non_null(strstr(out, "/nonexistent/moat.rules:0: cannot read"));
	free(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_parse_invalid_rules_name_the_problem),
		cmocka_unit_test(test_rule_parse_unsupported_names_protocol_or_keyword),
		cmocka_unit_test(test_rule_parse_valid_forms_load),
		cmocka_unit_test(test_rule_parse_info_fields),
		cmocka_unit_test(test_rule_parse_lines_continuations_duplicates),
		cmocka_unit_test(test_rule_parse_tag_loads_with_note),
		cmocka_unit_test(test_rule_parse_vars_override),
		cmocka_unit_test(test_rule_parse_check_output_and_exit_code),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
