// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the SecRule loader (rules/msc_load.c, msc_parse.c): directives, quoting as
 * ModSecurity v2, chains, defaults, errors with file:line, configuration, Include, and the
 * Debian CRS loading whole. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <cmocka.h>
#include "msc_int.h"

struct loaded {
	struct msc_ruleset *m;
	struct rule_diags d;
};

static void load(struct loaded *l, const char *text)
{
	memset(l, 0, sizeof(*l));
	assert_int_equal(msc_ruleset_new(&l->m), 0);
	assert_int_equal(msc_load_string(l->m, text, "t.conf", false, &l->d), 0);
	assert_int_equal(msc_compile_finish(l->m, false, true, &l->d), 0);
}

static void unload(struct loaded *l)
{
	msc_ruleset_free(l->m);
	rule_diags_done(&l->d);
}

static const struct msc_rule *rule_by_id(const struct loaded *l, uint32_t id)
{
	for (size_t i = 0; i < l->m->n; i++)
		if (!l->m->v[i]->is_marker && l->m->v[i]->id == id)
			return l->m->v[i];
	return NULL;
}

/* Table of bad inputs: what is counted and the first diagnostic's line and text. */
struct bad_case {
	const char *text;
	size_t invalid, unsupported;
	unsigned int line;
	const char *needle;
};

static const struct bad_case bad_cases[] = {
	{ "SecRule ARGS \"@rx a\" \"phase:2,pass\"", 1, 0, 1, "rule has no id" },
	{ "SecRule FOO \"@rx a\" \"id:1\"", 0, 1, 1, "unknown variable 'FOO'" },
	{ "SecRule ARGS \"@frobnicate a\" \"id:1\"", 0, 1, 1, "operator @frobnicate" },
	{ "SecRule ARGS \"@rx a\" \"id:1,exec:/bin/sh\"", 0, 1, 1, "action 'exec'" },
	{ "SecRule ARGS \"@rx a(\" \"id:1\"", 1, 0, 1, "@rx: missing closing parenthesis" },
	{ "\n\nSecRule ARGS \"@rx a\" \"id:1,chain\"\n", 1, 0, 3, "chain not followed" },
	{ "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule ARGS \"@rx b\" \"id:2\"", 1, 0, 2,
	  "a chained rule cannot set an id" },
	{ "SecRule ARGS \"@rx a\" \"id:1\"\nSecRule ARGS \"@rx b\" \"id:1\"", 1, 0, 2,
	  "duplicate rule id 1 (first at t.conf:1)" },
	{ "SecFrobnicate On", 1, 0, 1, "unknown directive SecFrobnicate" },
	{ "SecRule ARGS \"@rx a\" \"id:1", 1, 0, 1, "missing closing quote" },
	{ "SecRule ARGS \"@rx a\" \"id:1,msg:'abc\"", 1, 0, 1, "missing closing quote" },
	{ "SecDefaultAction \"log,pass\"", 1, 0, 1, "needs a phase" },
	{ "SecRule ARGS \"@rx a\" \"id:1,t:rot13\"", 1, 0, 1, "unknown transformation t:rot13" },
	{ "SecRuleEngine Sometimes", 1, 0, 1, "SecRuleEngine: bad value 'Sometimes'" },
	{ "SecRule ARGS \"@rx a\" \"id:1,phase:9\"", 1, 0, 1, "bad phase '9'" },
	{ "SecRule ARGS \"@pm\" \"id:1\"", 1, 0, 1, "@pm needs an argument" },
	{ "SecRule ARGS \"@rx a\" \"id:1,setvar:session.x=1\"", 0, 1, 1,
	  "collection 'session' is not supported" },
	{ "SecRule ARGS \"@rx a\" \"id:1,ctl:ruleEngine=Maybe\"", 1, 0, 1, "bad value" },
	{ "SecRule REQUEST_METHOD:x \"@rx a\" \"id:1\"", 1, 0, 1, "takes no selector" },
	{ "SecRule ARGS:/a(/ \"@rx a\" \"id:1\"", 1, 0, 1, "selector regex" },
	{ "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecAction \"id:2\"", 1, 0, 2,
	  "expects a SecRule" },
	{ "SecRule ARGS \"@rx a\" \"id:1,chain\"\nSecRule FOO \"@rx b\"\n"
	  "SecRule ARGS \"@rx c\" \"id:3\"",
	  0, 1, 2, "unknown variable 'FOO' (whole chain skipped)" },
	{ "SecRule ARGS", 1, 0, 1, "expected VARIABLES OPERATOR [ACTIONS]" },
	{ "Include /nonexistent/file.conf", 0, 0, 1, "Include /nonexistent/file.conf" },
	{ "SecRule ARGS \"@rx a\" \"id:0\"", 1, 0, 1, "bad rule id '0'" },
};

static void test_msc_parse_errors_name_file_line(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct loaded l;

		load(&l, c->text);
		if (l.m->st.invalid != c->invalid || l.m->st.unsupported != c->unsupported ||
		    l.d.n == 0 || l.d.v[0].line != c->line || strcmp(l.d.v[0].file, "t.conf") ||
		    !strstr(l.d.v[0].message, c->needle))
			fail_msg("case %zu: %s\nexpected %zu invalid, %zu unsupported, line %u "
				 "\"%s\"; got %zu, %zu, line %u \"%s\"",
				 i, c->text, c->invalid, c->unsupported, c->line, c->needle,
				 l.m->st.invalid, l.m->st.unsupported, l.d.n ? l.d.v[0].line : 0,
				 l.d.n ? l.d.v[0].message : "(none)");
		unload(&l);
	}
}

static void test_msc_parse_good_rule_fields(void **state)
{
	struct loaded l;
	const struct msc_rule *r;

	(void)state;
	load(&l, "SecRule ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^__utm/|XML:/* \"!@rx ab+c\" "
		 "\"id:42,phase:1,block,t:none,t:lowercase,t:urlDecodeUni,capture,"
		 "msg:'it\\'s %{tx.x} here',logdata:'%{MATCHED_VAR}',severity:'CRITICAL',"
		 "tag:'a',tag:'b',ver:'v1',setvar:'tx.score=+%{tx.critical}',"
		 "setvar:!tx.old,setvar:tx.set=1,ctl:ruleRemoveTargetById=942100;ARGS:pw,"
		 "skipAfter:END,multiMatch\"");
	assert_int_equal(l.m->st.rules, 1);
	r = rule_by_id(&l, 42);
	assert_non_null(r);
	assert_int_equal(r->phase, 1);
	assert_int_equal(r->n_t, 5);
	assert_int_equal(r->t[0].kind, MSC_VK_ARGS);
	assert_true(r->t[1].exclude);
	assert_string_equal(r->t[1].key, "foo");
	assert_true(r->t[2].count);
	assert_int_equal(r->t[2].kind, MSC_VK_TX);
	assert_non_null(r->t[3].key_re);
	assert_int_equal(r->t[4].kind, MSC_VK_XML);
	assert_true(r->op_neg);
	assert_int_equal(r->op, MSC_OP_RX);
	assert_string_equal(r->op_arg, "ab+c");
	assert_non_null(r->re);
	assert_int_equal(r->n_tfn, 2);
	assert_int_equal(r->severity, 2);
	assert_int_equal(r->n_tags, 2);
	assert_string_equal(r->ver, "v1");
	assert_true(r->capture);
	assert_true(r->multi_match);
	assert_string_equal(r->skip_after, "END");
	assert_int_equal(r->n_sv, 3);
	assert_int_equal(r->sv[0].op, MSC_SV_ADD);
	assert_int_equal(r->sv[1].op, MSC_SV_DEL);
	assert_int_equal(r->sv[2].op, MSC_SV_SET);
	assert_int_equal(r->n_ctl, 1);
	assert_int_equal(r->ctl[0].kind, MSC_CTL_REMOVE_TARGET_BY_ID);
	assert_int_equal(r->ctl[0].id_lo, 942100);
	assert_string_equal(r->ctl[0].target.key, "pw");
	assert_true(r->msg.dynamic);
	assert_int_equal(r->msg.n, 3);
	assert_int_equal(r->disr, MSC_DISR_BLOCK);
	assert_int_equal(r->block_as, MSC_DISR_PASS); /* ModSecurity's built-in default */
	assert_int_equal(r->log, 1);
	unload(&l);
}

/* v2 (Apache) quoting: in a double-quoted argument \" is a quote and \\ a backslash, every
 * other backslash stays; in single-quoted action values \' and \\ likewise. */
static void test_msc_parse_quoting_is_v2(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "SecRule ARGS \"@rx a\\\\\\\\b\\\"c\\d\" \"id:1,msg:'x\\'y\\\\z'\"\n"
		 "SecRule ARGS '@streq q' 'id:2'\n"
		 "SecRule ARGS x\\\\d id:3\n");
	assert_int_equal(l.m->st.rules, 3);
	/* \\\\ -> \\ (one escaped backslash for PCRE), \" -> ", \d kept */
	assert_string_equal(rule_by_id(&l, 1)->op_arg, "a\\\\b\"c\\d");
	assert_string_equal(rule_by_id(&l, 1)->msg.raw, "x'y\\z");
	assert_string_equal(rule_by_id(&l, 2)->op_arg, "q");
	/* unquoted: \\ is one backslash */
	assert_int_equal(rule_by_id(&l, 3)->op, MSC_OP_RX);
	assert_string_equal(rule_by_id(&l, 3)->op_arg, "x\\d");
	unload(&l);
}

static void test_msc_parse_continuations_and_comments(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "# comment\n"
		 "  # indented comment\n"
		 "SecRule ARGS \\\n"
		 "    \"@rx a\" \\\r\n"
		 "    \"id:7,\\\n"
		 "    phase:2,\\\n"
		 "    pass\"\n"
		 "SecRule ARGS \"@rx b\" \"id:8,phase:x\"\n");
	assert_int_equal(l.m->st.rules, 1);
	assert_non_null(rule_by_id(&l, 7));
	assert_int_equal(rule_by_id(&l, 7)->line, 3);
	assert_int_equal(rule_by_id(&l, 7)->disr, MSC_DISR_PASS);
	/* the bad rule is reported at its own first line */
	assert_int_equal(l.d.n, 1);
	assert_int_equal(l.d.v[0].line, 8);
	unload(&l);
}

static void test_msc_parse_chain_and_defaults(void **state)
{
	struct loaded l;
	const struct msc_rule *r;

	(void)state;
	load(&l, "SecDefaultAction \"phase:2,nolog,deny,status:406,t:lowercase\"\n"
		 "SecRule ARGS \"@rx a\" \"id:1,phase:2,block,chain\"\n"
		 "  SecRule REQUEST_METHOD \"@streq post\" \"chain\"\n"
		 "    SecRule &ARGS \"@gt 1\" \"t:none,setvar:tx.x=1\"\n"
		 "SecRule ARGS \"@rx b\" \"id:2,phase:1,log\"\n"
		 "SecMarker END\n");
	assert_int_equal(l.m->st.rules, 2);
	assert_int_equal(l.m->st.links, 4);
	assert_int_equal(l.m->st.markers, 1);
	r = rule_by_id(&l, 1);
	assert_int_equal(r->block_as, MSC_DISR_DENY);
	assert_int_equal(r->status, 406);
	assert_int_equal(r->log, 0);
	assert_int_equal(r->n_tfn, 1); /* the default's t:lowercase */
	assert_non_null(r->next);
	assert_int_equal(r->next->phase, 2);
	assert_int_equal(r->next->n_tfn, 1);
	assert_non_null(r->next->next);
	assert_int_equal(r->next->next->n_tfn, 0); /* t:none drops the default's */
	assert_null(r->next->next->next);
	/* phase 1 has ModSecurity's built-in default */
	assert_int_equal(rule_by_id(&l, 2)->block_as, MSC_DISR_PASS);
	assert_int_equal(rule_by_id(&l, 2)->n_tfn, 0);
	unload(&l);
}

static void test_msc_parse_configuration(void **state)
{
	struct loaded l;
	const struct msc_config *c;

	(void)state;
	load(&l, "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimit 1000\n"
		 "SecRequestBodyNoFilesLimit 500\nSecRequestBodyLimitAction Reject\n"
		 "SecResponseBodyAccess On\nSecArgumentSeparator ;\nSecCookieFormat 1\n"
		 "SecPcreMatchLimit 5000\nSecPcreMatchLimitRecursion 6000\n"
		 "SecComponentSignature \"OWASP_CRS/3.3.4\"\nSecCollectionTimeout 600\n"
		 "SecAuditEngine RelevantOnly\n");
	c = msc_ruleset_config(l.m);
	assert_int_equal(c->engine, MSC_ENGINE_ON);
	assert_true(c->request_body_access);
	assert_int_equal(c->request_body_limit, 1000);
	assert_int_equal(c->request_body_nofiles_limit, 500);
	assert_true(c->request_body_limit_reject);
	assert_true(c->response_body_access);
	assert_int_equal(c->argument_separator, ';');
	assert_int_equal(c->cookie_format, 1);
	assert_int_equal(c->pcre_match_limit, 5000);
	assert_int_equal(c->pcre_match_limit_recursion, 6000);
	assert_int_equal(l.m->st.invalid, 0);
	/* ignored directives leave a note each */
	assert_int_equal(l.d.n, 3);
	assert_int_equal(l.d.v[0].kind, RULE_DIAG_NOTE);
	assert_non_null(strstr(l.d.v[0].message, "accepted and ignored"));
	unload(&l);
}

static void test_msc_parse_remove_and_update_target(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "SecRule ARGS \"@rx a\" \"id:10,tag:'attack-sqli'\"\n"
		 "SecRule ARGS \"@rx a\" \"id:11\"\n"
		 "SecRule ARGS \"@rx a\" \"id:12,tag:'keep'\"\n"
		 "SecRule ARGS \"@rx a\" \"id:13,msg:'drop me'\"\n"
		 "SecRuleRemoveById 11 20-30\n"
		 "SecRuleRemoveByTag attack-sql\n"
		 "SecRuleRemoveByMsg \"^drop\"\n"
		 "SecRuleUpdateTargetById 12 \"!ARGS:pw|REQUEST_URI\"\n");
	assert_true(rule_by_id(&l, 10)->removed);
	assert_true(rule_by_id(&l, 11)->removed);
	assert_false(rule_by_id(&l, 12)->removed);
	assert_true(rule_by_id(&l, 13)->removed);
	assert_int_equal(rule_by_id(&l, 12)->n_t, 3);
	assert_true(rule_by_id(&l, 12)->t[1].exclude);
	assert_string_equal(rule_by_id(&l, 12)->t[1].key, "pw");
	assert_int_equal(rule_by_id(&l, 12)->t[2].kind, MSC_VK_FIELD);
	unload(&l);
}

static void test_msc_parse_include_glob_and_pm_from_file(void **state)
{
	char dir[] = "/tmp/test_msc_parse.XXXXXX", path[256], text[512];
	struct loaded l;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/b.conf", dir);
	f = fopen(path, "w");
	fputs("SecRule ARGS \"@pmFromFile words.data\" \"id:2\"\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/a.conf", dir);
	f = fopen(path, "w");
	fputs("SecRule ARGS \"@pm one Two\" \"id:1\"\n", f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/words.data", dir);
	f = fopen(path, "w");
	fputs("# comment\n\n  alpha beta  \ngamma\n", f);
	fclose(f);
	snprintf(text, sizeof(text), "Include %s/*.conf\nInclude %s/none-*.conf\n", dir, dir);
	load(&l, text);
	assert_int_equal(l.m->st.rules, 2);
	assert_int_equal(l.m->st.invalid, 0);
	/* lexical order: a.conf then b.conf */
	assert_int_equal(l.m->v[0]->id, 1);
	assert_int_equal(l.m->v[0]->n_pm, 2);
	assert_int_equal(l.m->v[1]->n_pm, 2);
	assert_string_equal(l.m->v[1]->pm_words[0], "alpha beta");
	assert_non_null(l.m->v[1]->pm_db);
	unload(&l);
	/* IncludeOptional (Debian's owasp-crs.load): as Include, silent when nothing matches */
	snprintf(text, sizeof(text), "IncludeOptional %s/b.conf\nIncludeOptional %s/missing.conf\n",
		 dir, dir);
	load(&l, text);
	assert_int_equal(l.m->st.rules, 1);
	assert_int_equal(l.m->v[0]->id, 2);
	assert_int_equal(l.d.n, 0);
	unload(&l);
	snprintf(text, sizeof(text), "Include %s/missing.conf\n", dir);
	load(&l, text);
	assert_int_equal(l.d.n, 1);
	unload(&l);
	snprintf(text, sizeof(text), "rm -rf %s", dir);
	assert_int_equal(system(text), 0);
}

static void test_msc_parse_unsupported_operator_in_chain_skips_chain(void **state)
{
	struct loaded l;

	(void)state;
	load(&l, "SecRule ARGS \"@rx a\" \"id:1,chain\"\n"
		 "  SecRule TX:ip \"@geoLookup\" \"chain\"\n"
		 "    SecRule ARGS \"@rx c\"\n"
		 "SecRule ARGS \"@rx b\" \"id:2\"\n");
	assert_int_equal(l.m->st.rules, 1);
	assert_int_equal(l.m->st.unsupported, 1);
	assert_non_null(rule_by_id(&l, 2));
	assert_null(rule_by_id(&l, 1));
	assert_int_equal(l.d.v[0].sid, 1);
	unload(&l);
}

/* The whole Debian CRS with its setup file loads: every rule but the two needing
 * @geoLookup/@rbl (no GeoIP database or DNS lookups offline). */
static void test_msc_parse_debian_crs_loads(void **state)
{
	const char *paths[] = { "/etc/modsecurity/crs/crs-setup.conf",
				"/usr/share/modsecurity-crs/rules" };
	struct rule_diags d = { 0 };
	struct ruleset *rs = NULL;
	const struct msc_stats *st;

	(void)state;
	if (access(paths[0], R_OK) || access(paths[1], R_OK))
		skip();
	assert_int_equal(ruleset_load(paths, 2, NULL, &rs, &d), 0);
	st = msc_ruleset_stats(ruleset_msc(rs));
	assert_int_equal(st->invalid, 0);
	assert_int_equal(st->unsupported, 2);
	assert_true(st->rules >= 630);
	assert_int_equal(st->markers, 40);
	assert_true(st->pm_sets >= 20);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind != RULE_DIAG_NOTE && d.v[i].kind != RULE_DIAG_UNSUPPORTED)
			fail_msg("%s:%u: %s", d.v[i].file, d.v[i].line, d.v[i].message);
	ruleset_free(rs);
	rule_diags_done(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msc_parse_errors_name_file_line),
		cmocka_unit_test(test_msc_parse_good_rule_fields),
		cmocka_unit_test(test_msc_parse_quoting_is_v2),
		cmocka_unit_test(test_msc_parse_continuations_and_comments),
		cmocka_unit_test(test_msc_parse_chain_and_defaults),
		cmocka_unit_test(test_msc_parse_configuration),
		cmocka_unit_test(test_msc_parse_remove_and_update_target),
		cmocka_unit_test(test_msc_parse_include_glob_and_pm_from_file),
		cmocka_unit_test(test_msc_parse_unsupported_operator_in_chain_skips_chain),
		cmocka_unit_test(test_msc_parse_debian_crs_loads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
