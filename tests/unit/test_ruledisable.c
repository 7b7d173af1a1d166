// SPDX-License-Identifier: GPL-2.0-only
/*
 * Unit tests for policyd/ruledisable (the operator's disabled rules and their state file) and
 * the rules room's side of it: ruleset_opts.disabled leaves rules of both engines out, and
 * ruleset_lookup/ruleset_foreach_rule describe either engine's rules.
 */
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

#include "policyd/ruledisable.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/moat-ruledisable-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static struct rule_desc desc(uint32_t sid, enum rule_kind kind, const char *msg)
{
	return (struct rule_desc){
		.kind = kind, .sid = sid, .msg = msg, .file = "/etc/moat/rules.d/a.rules", .line = 7
	};
}

static void test_set_sorted_add_remove(void **state)
{
	struct rule_disable_set s = { 0 };
	struct rule_desc a = desc(30, RULE_KIND_SURICATA, "thirty"),
			 b = desc(10, RULE_KIND_SECRULE, "ten"),
			 c = desc(20, RULE_KIND_SURICATA, "");
	uint32_t *ids;
	size_t n;

	(void)state;
	assert_int_equal(rule_disable_add(&s, &a, 1), 0);
	assert_int_equal(rule_disable_add(&s, &b, 2), 0);
	assert_int_equal(rule_disable_add(&s, &c, 3), 0);
	assert_int_equal(rule_disable_add(&s, &b, 4), -EEXIST);
	ids = rule_disable_ids(&s, &n);
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], 10);
	assert_int_equal(ids[1], 20);
	assert_int_equal(ids[2], 30);
	free(ids);
	assert_string_equal(rule_disable_find(&s, 10)->msg, "ten");
	assert_int_equal(rule_disable_find(&s, 10)->kind, RULE_KIND_SECRULE);
	assert_null(rule_disable_find(&s, 11));
	assert_int_equal(rule_disable_remove(&s, 20), 0);
	assert_int_equal(rule_disable_remove(&s, 20), -ENOENT);
	assert_null(rule_disable_find(&s, 20));
	assert_non_null(rule_disable_find(&s, 30));
	rule_disable_done(&s);
	assert_int_equal(s.n, 0);
	assert_null(rule_disable_ids(&s, &n));
	assert_int_equal(n, 0);
}

static void test_cap(void **state)
{
	struct rule_disable_set s = { 0 };

	(void)state;
	for (uint32_t i = 1; i <= RULE_DISABLE_MAX; i++) {
		struct rule_desc d = desc(i, RULE_KIND_SURICATA, "m");

		assert_int_equal(rule_disable_add(&s, &d, 0), 0);
	}
	{
		struct rule_desc d = desc(RULE_DISABLE_MAX + 1, RULE_KIND_SURICATA, "m");

		assert_int_equal(rule_disable_add(&s, &d, 0), -ENOSPC);
	}
	assert_int_equal(s.n, RULE_DISABLE_MAX);
	rule_disable_done(&s);
}

static void test_save_load_roundtrip(void **state)
{
	struct rule_disable_set s = { 0 }, t = { 0 };
	struct rule_desc a = desc(2100498, RULE_KIND_SURICATA, "GPL ATTACK \"quoted\" \xc3\xa9"),
			 b = desc(942100, RULE_KIND_SECRULE,
				  "SQL Injection Attack Detected via libinjection");
	char path[128], err[256] = "";

	(void)state;
	/* the directory is created when missing */
	snprintf(path, sizeof(path), "%s/state/%s", tmpdir, RULE_DISABLE_FILE_NAME);
	assert_int_equal(rule_disable_add(&s, &a, 1763715600), 0);
	assert_int_equal(rule_disable_add(&s, &b, 1763715601), 0);
	assert_int_equal(rule_disable_save(&s, path, err, sizeof(err)), 0);
	assert_int_equal(rule_disable_load(&t, path, err, sizeof(err)), 0);
	assert_int_equal(t.n, 2);
	assert_int_equal(t.v[0].sid, 942100);
	assert_int_equal(t.v[0].kind, RULE_KIND_SECRULE);
	assert_string_equal(t.v[1].msg, a.msg);
	assert_string_equal(t.v[1].file, "/etc/moat/rules.d/a.rules");
	assert_int_equal(t.v[1].line, 7);
	assert_int_equal(t.v[1].since, 1763715600);
	/* an empty set is written and read back as empty */
	rule_disable_done(&s);
	assert_int_equal(rule_disable_save(&s, path, err, sizeof(err)), 0);
	assert_int_equal(rule_disable_load(&t, path, err, sizeof(err)), 0);
	assert_int_equal(t.n, 0);
	rule_disable_done(&t);
	/* a missing file is an empty set */
	snprintf(path, sizeof(path), "%s/none.json", tmpdir);
	assert_int_equal(rule_disable_load(&t, path, err, sizeof(err)), 0);
	assert_int_equal(t.n, 0);
}

/* A bad file: -EINVAL, a message naming the file and the place, the set left empty. */
static void expect_bad(const char *text, const char *want)
{
	struct rule_disable_set s = { 0 };
	struct rule_desc d = desc(5, RULE_KIND_SURICATA, "x");
	char path[128], err[512] = "";

	snprintf(path, sizeof(path), "%s/bad.json", tmpdir);
	write_file(path, text);
	assert_int_equal(rule_disable_add(&s, &d, 0), 0);
	assert_int_equal(rule_disable_load(&s, path, err, sizeof(err)), -EINVAL);
	assert_int_equal(s.n, 0);
	if (!strstr(err, want) || strncmp(err, path, strlen(path)) != 0)
		fail_msg("error '%s' lacks '%s' or the path", err, want);
}

static void test_bad_files_name_the_place(void **state)
{
	(void)state;
	expect_bad("{\"version\":1,\n\"disabled\":[", ":2:");
	expect_bad("[]", "not a disabled-rules file");
	expect_bad("{\"version\":2,\"disabled\":[]}", "not a disabled-rules file");
	expect_bad("{\"version\":1,\"disabled\":[{\"sid\":1,\"kind\":\"suricata\",\"msg\":\"\","
		   "\"file\":\"f\",\"line\":1},{\"sid\":0,\"kind\":\"suricata\",\"msg\":\"\","
		   "\"file\":\"f\",\"line\":1}]}",
		   "disabled[1]: \"sid\" must be");
	expect_bad("{\"version\":1,\"disabled\":[{\"sid\":4294967296,\"kind\":\"suricata\","
		   "\"msg\":\"\",\"file\":\"f\",\"line\":1}]}",
		   "disabled[0]: \"sid\"");
	expect_bad("{\"version\":1,\"disabled\":[{\"sid\":1,\"kind\":\"snort\",\"msg\":\"\","
		   "\"file\":\"f\",\"line\":1}]}",
		   "\"kind\"");
	expect_bad("{\"version\":1,\"disabled\":[{\"sid\":1,\"kind\":\"secrule\",\"msg\":3,"
		   "\"file\":\"f\",\"line\":1}]}",
		   "\"msg\"");
	expect_bad("{\"version\":1,\"disabled\":[{\"sid\":7,\"kind\":\"secrule\",\"msg\":\"\","
		   "\"file\":\"f\",\"line\":1},{\"sid\":7,\"kind\":\"secrule\",\"msg\":\"\","
		   "\"file\":\"f\",\"line\":2}]}",
		   "sid 7 listed twice");
	expect_bad("{\"version\":1,\"version\":1,\"disabled\":[]}", "duplicate");
	expect_bad("{\"version\":1,\"disabled\":[\"\xff\"]}", ":1:");
}

static const char *const suricata_rules =
	"alert http any any -> any any (msg:\"one\"; content:\"a1\"; sid:1001; rev:2;)\n"
	"\n"
	"drop http any any -> any any (msg:\"two\"; content:\"a2\"; sid:1002; rev:1;)\n";
static const char *const secrules =
	"SecRuleEngine On\n"
	"SecRule REQUEST_URI \"@contains /x\" \"id:2001,phase:1,deny,log,msg:'sec one'\"\n"
	"SecRule REQUEST_URI \"@contains /y\" \"id:1002,phase:1,pass,log,msg:'sec shares 1002'\"\n";

struct seen {
	size_t n, suricata, secrule;
};

static int count_cb(void *ctx, const struct rule_desc *d)
{
	struct seen *s = ctx;

	s->n++;
	if (d->kind == RULE_KIND_SURICATA)
		s->suricata++;
	else
		s->secrule++;
	return 0;
}

static struct ruleset *load(const uint32_t *disabled, size_t n, int want_r)
{
	char a[128], b[128];
	const char *paths[2] = { a, b };
	struct ruleset_opts o = { .no_compile = false, .disabled = disabled, .n_disabled = n };
	struct rule_diags diags = { 0 };
	struct ruleset *rs = NULL;

	snprintf(a, sizeof(a), "%s/t.rules", tmpdir);
	snprintf(b, sizeof(b), "%s/t.conf", tmpdir);
	write_file(a, suricata_rules);
	write_file(b, secrules);
	assert_int_equal(ruleset_load(paths, 2, &o, &rs, &diags), want_r);
	rule_diags_done(&diags);
	return rs;
}

static void test_ruleset_describe_both_engines(void **state)
{
	struct ruleset *rs = load(NULL, 0, 0);
	struct ruleset_stats st;
	struct rule_desc d;
	struct seen seen = { 0 };

	(void)state;
	ruleset_get_stats(rs, &st);
	assert_int_equal(st.loaded, 4);
	assert_int_equal(st.disabled, 0);
	assert_int_equal(ruleset_foreach_rule(rs, count_cb, &seen), 4);
	assert_int_equal(seen.suricata, 2);
	assert_int_equal(seen.secrule, 2);
	assert_int_equal(ruleset_lookup(rs, 1001, &d), 0);
	assert_int_equal(d.kind, RULE_KIND_SURICATA);
	assert_int_equal(d.gid, 1);
	assert_int_equal(d.rev, 2);
	assert_string_equal(d.msg, "one");
	assert_string_equal(d.action, "alert");
	assert_int_equal(d.line, 1);
	assert_non_null(strstr(d.file, "/t.rules"));
	assert_int_equal(ruleset_lookup(rs, 1002, &d), 0); /* Suricata's first */
	assert_int_equal(d.line, 3);
	assert_string_equal(d.action, "drop");
	assert_int_equal(ruleset_lookup(rs, 2001, &d), 0);
	assert_int_equal(d.kind, RULE_KIND_SECRULE);
	assert_string_equal(d.msg, "sec one");
	assert_string_equal(d.action, "deny");
	assert_int_equal(d.line, 2);
	assert_non_null(strstr(d.file, "/t.conf"));
	assert_int_equal(ruleset_lookup(rs, 3, &d), -ENOENT);
	assert_string_equal(rule_kind_name(RULE_KIND_SECRULE), "secrule");
	ruleset_free(rs);
}

static void test_ruleset_leaves_disabled_out(void **state)
{
	static const uint32_t off[] = { 1002, 2001 };
	static const uint32_t unsorted[] = { 2001, 1002 };
	struct ruleset *rs = load(off, 2, 0);
	struct ruleset_stats st;
	struct rule_desc d;
	struct seen seen = { 0 };

	(void)state;
	ruleset_get_stats(rs, &st);
	/* 1002 is both a Suricata sid and a SecRule id: both go */
	assert_int_equal(st.loaded, 1);
	assert_int_equal(st.disabled, 3);
	assert_int_equal(msc_ruleset_stats(ruleset_msc(rs))->disabled, 2);
	ruleset_foreach_rule(rs, count_cb, &seen);
	assert_int_equal(seen.n, 1);
	assert_int_equal(ruleset_lookup(rs, 1002, &d), -ENOENT);
	assert_int_equal(ruleset_lookup(rs, 2001, &d), -ENOENT);
	assert_int_equal(ruleset_lookup(rs, 1001, &d), 0);
	ruleset_free(rs);
	assert_null(load(unsorted, 2, -EINVAL)); /* a caller's bug, refused */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_sorted_add_remove),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_save_load_roundtrip),
		cmocka_unit_test(test_bad_files_name_the_place),
		cmocka_unit_test(test_ruleset_describe_both_engines),
		cmocka_unit_test(test_ruleset_leaves_disabled_out),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
