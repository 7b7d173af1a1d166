// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for SecRule evaluation (rules/msc_eval.c) over hand-built msc_request values:
 * operators, transformations, chains, skip/skipAfter, setvar, macros, exclusions, counts,
 * ctl, capture, MATCHED_VAR(S), disruptive actions, anomaly scoring, the ip collection. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include "msc_int.h"
#include "msc_transform.h"

#define S(s) ((struct msc_str){ (const uint8_t *)(s), sizeof(s) - 1 })
#define SI(s)                                       \
	{                                           \
		(const uint8_t *)(s), sizeof(s) - 1 \
	}
#define KV(n, v)             \
	{                    \
		SI(n), SI(v) \
	}

struct env {
	struct msc_ruleset *m;
	struct msc_ctx *ctx;
	struct msc_tx *tx;
	uint32_t ids[64];
	char msgs[64][256];
	char logdata[64][256];
	int64_t scores[64];
	bool disruptive[64];
	size_t n;
};

static void on_alert(void *user, const struct msc_alert *a)
{
	struct env *e = user;

	if (e->n >= 64)
		fail_msg("too many alerts");
	e->ids[e->n] = a->id;
	snprintf(e->msgs[e->n], sizeof(e->msgs[0]), "%s", a->msg);
	snprintf(e->logdata[e->n], sizeof(e->logdata[0]), "%s", a->logdata ? a->logdata : "");
	e->scores[e->n] = a->anomaly_score;
	e->disruptive[e->n] = a->disruptive;
	e->n++;
}

/* CONF loaded, with the Hyperscan groups when GROUPS, a context and a transaction */
static void setup_env_groups(struct env *e, const char *conf, bool groups)
{
	struct rule_diags d = { 0 };

	memset(e, 0, sizeof(*e));
	assert_int_equal(msc_ruleset_new(&e->m), 0);
	assert_int_equal(msc_load_string(e->m, conf, "t.conf", false, &d), 0);
	assert_int_equal(msc_compile_finish(e->m, false, groups, &d), 0);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind != RULE_DIAG_NOTE)
			fail_msg("t.conf:%u: %s", d.v[i].line, d.v[i].message);
	rule_diags_done(&d);
	assert_int_equal(msc_ctx_new(e->m, &e->ctx), 0);
	assert_int_equal(msc_tx_new(e->ctx, 1000000, &e->tx), 0);
}

static void setup_env(struct env *e, const char *conf)
{
	setup_env_groups(e, conf, true);
}

static void run_phases(struct env *e, const struct msc_request *q, int from, int to)
{
	for (int p = from; p <= to; p++)
		assert_int_equal(msc_tx_run_phase(e->ctx, e->tx, p, q, on_alert, e), 0);
}

static void new_tx(struct env *e)
{
	msc_tx_free(e->tx);
	assert_int_equal(msc_tx_new(e->ctx, 2000000, &e->tx), 0);
	e->n = 0;
}

static void teardown_env(struct env *e)
{
	msc_tx_free(e->tx);
	msc_ctx_free(e->ctx);
	msc_ruleset_free(e->m);
}

static bool alerted(const struct env *e, uint32_t id)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ids[i] == id)
			return true;
	return false;
}

static const char *msg_of(const struct env *e, uint32_t id)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ids[i] == id)
			return e->msgs[i];
	return NULL;
}

static const char *logdata_of(const struct env *e, uint32_t id)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ids[i] == id)
			return e->logdata[i];
	return NULL;
}

static const struct msc_kv args_get[] = { KV("q", "Hello World"), KV("id", "42"), KV("pw", "evil"),
					  KV("a", "1"), KV("a", "2") };
static const struct msc_kv headers[] = { KV("Host", "example.com"), KV("User-Agent", "Mozilla/5.0"),
					 KV("Content-Type", "application/x-www-form-urlencoded") };
static const struct msc_kv cookies[] = { KV("__utma", "evil"), KV("session", "abc") };

static void base_request(struct msc_request *q)
{
	memset(q, 0, sizeof(*q));
	q->f[MSC_F_REQUEST_METHOD] = S("GET");
	q->f[MSC_F_REQUEST_PROTOCOL] = S("HTTP/1.1");
	q->f[MSC_F_REQUEST_URI] = S("/index.php?q=Hello+World&id=42");
	q->f[MSC_F_REQUEST_FILENAME] = S("/index.php");
	q->f[MSC_F_REQUEST_BASENAME] = S("index.php");
	q->f[MSC_F_QUERY_STRING] = S("q=Hello+World&id=42");
	q->f[MSC_F_REMOTE_ADDR] = S("198.18.0.1");
	q->c[MSC_C_ARGS_GET] = (struct msc_list){ args_get, 5 };
	q->c[MSC_C_REQUEST_HEADERS] = (struct msc_list){ headers, 3 };
	q->c[MSC_C_REQUEST_COOKIES] = (struct msc_list){ cookies, 2 };
}

static void test_msc_eval_operators_and_msg_macros(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e,
		  "SecRule ARGS \"@rx ^hello\" \"id:1,phase:1,pass,t:lowercase,msg:'m "
		  "%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n"
		  "SecRule ARGS:id \"@eq 42\" \"id:2,phase:1,pass,log\"\n"
		  "SecRule ARGS:id \"@gt 42\" \"id:3,phase:1,pass\"\n"
		  "SecRule REQUEST_METHOD \"@within GET HEAD\" \"id:4,phase:1,pass\"\n"
		  "SecRule REQUEST_METHOD \"!@streq GET\" \"id:5,phase:1,pass\"\n"
		  "SecRule REQUEST_HEADERS:user-agent \"@beginsWith Mozilla\" \"id:6,phase:1\"\n"
		  "SecRule REQUEST_FILENAME \"@endsWith .php\" \"id:7,phase:1\"\n"
		  "SecRule ARGS \"@pm WORLD foo\" \"id:8,phase:1,capture,logdata:'%{TX.0}'\"\n"
		  "SecRule ARGS \"@contains ell\" \"id:9,phase:1\"\n"
		  "SecRule REMOTE_ADDR \"@ipMatch 198.18.0.0/15\" \"id:10,phase:1\"\n"
		  "SecRule REMOTE_ADDR \"@ipMatch 10.0.0.0/8\" \"id:11,phase:1\"\n"
		  "SecRule ARGS:q \"@validateByteRange 32-126\" \"id:12,phase:1\"\n"
		  "SecRule ARGS:q \"@validateByteRange 65-90\" \"id:13,phase:1\"\n"
		  "SecRule ARGS \"@containsWord World\" \"id:14,phase:1\"\n"
		  "SecRule ARGS \"@containsWord Worl\" \"id:15,phase:1\"\n"
		  "SecRule ARGS:q \"@rx ^hello\" \"id:16,phase:1\"\n"
		  "SecRule REQUEST_URI \"@rx hello\" \"id:17,phase:2\"\n");
	run_phases(&e, &q, 1, 1);
	assert_true(alerted(&e, 1));
	assert_string_equal(msg_of(&e, 1), "m ARGS:q=hello world");
	assert_true(alerted(&e, 2));
	assert_false(alerted(&e, 3));
	assert_true(alerted(&e, 4));
	assert_false(alerted(&e, 5));
	assert_true(alerted(&e, 6));
	assert_true(alerted(&e, 7));
	assert_true(alerted(&e, 8));
	assert_string_equal(logdata_of(&e, 8), "World");
	assert_true(alerted(&e, 9));
	assert_true(alerted(&e, 10));
	assert_false(alerted(&e, 11));
	assert_false(alerted(&e, 12));
	assert_true(alerted(&e, 13));
	assert_true(alerted(&e, 14));
	assert_false(alerted(&e, 15));
	assert_false(alerted(&e, 16)); /* no t:lowercase: case matters */
	assert_false(alerted(&e, 17)); /* phase 2 not run yet */
	teardown_env(&e);
}

static void test_msc_eval_chain_needs_every_link(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e, "SecRule ARGS:id \"@eq 42\" \"id:1,phase:1,chain\"\n"
		      "  SecRule REQUEST_METHOD \"@streq GET\" \"chain\"\n"
		      "    SecRule ARGS:q \"@rx World\" \"\"\n"
		      "SecRule ARGS:id \"@eq 42\" \"id:2,phase:1,chain\"\n"
		      "  SecRule REQUEST_METHOD \"@streq POST\"\n"
		      "SecRule ARGS:id \"@eq 41\" \"id:3,phase:1,chain,setvar:tx.starter=1\"\n"
		      "  SecRule REQUEST_METHOD \"@streq GET\" \"setvar:tx.link=1\"\n");
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 1));
	assert_false(alerted(&e, 2));
	assert_false(alerted(&e, 3));
	assert_null(msc_tx_get(e.tx, "starter"));
	assert_null(msc_tx_get(e.tx, "link")); /* the link never ran */
	teardown_env(&e);
}

static void test_msc_eval_skip_and_skip_after(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e,
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:1,phase:1,skipAfter:END\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:2,phase:1\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:3,phase:2\"\n"
		  "SecMarker END\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:4,phase:1,skip:1\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:5,phase:1,chain\"\n"
		  "  SecRule REQUEST_METHOD \"@streq GET\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:6,phase:1\"\n"
		  "SecRule REQUEST_METHOD \"@streq POST\" \"id:7,phase:1,skipAfter:END2\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:8,phase:1\"\n"
		  "SecMarker END2\n"
		  /* the first marker of the name after the rule; one before it does not count */
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:9,phase:1,skipAfter:END\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:10,phase:1\"\n"
		  "SecMarker OTHER\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:11,phase:1\"\n"
		  "SecMarker END\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:12,phase:1\"\n"
		  "SecMarker END\n"
		  /* no such marker: the rest of the phase */
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:13,phase:1,skipAfter:NOWHERE\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:14,phase:1\"\n"
		  "SecRule REQUEST_METHOD \"@streq GET\" \"id:15,phase:2\"\n");
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 1));
	assert_false(alerted(&e, 2));
	assert_true(alerted(&e, 3)); /* a marker skip lasts for its own phase only */
	assert_true(alerted(&e, 4));
	assert_false(alerted(&e, 5)); /* skip:1 skips one chain */
	assert_true(alerted(&e, 6));
	assert_false(alerted(&e, 7));
	assert_true(alerted(&e, 8));
	assert_true(alerted(&e, 9));
	assert_false(alerted(&e, 10));
	assert_false(alerted(&e, 11));
	assert_true(alerted(&e, 12));
	assert_true(alerted(&e, 13));
	assert_false(alerted(&e, 14));
	assert_true(alerted(&e, 15));
	teardown_env(&e);
}

/*
 * Rules comparing one TX variable with a number take a shortcut (eval_tx_cmp): the same
 * answers as the general path, MATCHED_VAR(_NAME) for messages and chained links, no match
 * without a value even when negated, and ctl target removals (which send them the long way).
 */
static const struct msc_rule *rule_by_id(const struct msc_ruleset *m, uint32_t id);

/* counts of TX variables and a list of them, with the given ids (C and D log no msg) */
#define TX_COUNT_RULES(A, B, C, D, E)                                                        \
	"SecRule &TX:a \"@eq 1\" \"id:" A ",phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}="      \
	"%{MATCHED_VAR}'\"\n"                                                                \
	"SecRule &TX:missing \"@eq 0\" \"id:" B ",phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}" \
	"=%{MATCHED_VAR}'\"\n"                                                               \
	"SecRule &TX:missing \"!@eq 0\" \"id:" C ",phase:1,pass,log\"\n"                     \
	"SecRule &TX:A \"@gt 0\" \"id:" D ",phase:1,pass,log\"\n"                            \
	"SecRule &TX:b|TX:a|&TX:missing \"@eq 5\" \"id:" E ",phase:1,pass,log,"              \
	"msg:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n"

static void test_msc_eval_tx_compare(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(
		&e, "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=5,setvar:tx.b=x\"\n"
		    "SecRule TX:a \"@eq 5\" "
		    "\"id:2,phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n"
		    "SecRule TX:a \"!@eq 5\" \"id:3,phase:1,pass,log\"\n"
		    "SecRule TX:missing \"!@eq 5\" \"id:4,phase:1,pass,log\"\n"
		    "SecRule TX:b \"@lt 1\" \"id:5,phase:1,pass,log\"\n"
		    "SecRule TX:A \"@ge 5\" \"id:6,phase:1,pass,log,chain\"\n"
		    "  SecRule MATCHED_VAR \"@streq 5\" \"setvar:tx.c=%{tx.a}\"\n"
		    "SecRule TX:c \"@gt 4\" \"id:7,phase:1,pass,log\"\n"
		    "SecRule TX:a \"@le 4\" \"id:8,phase:1,pass,log\"\n"
		/* counts, before and after a target removal (which leaves the shortcut) */
		TX_COUNT_RULES(
			"12", "13", "14", "15",
			"20") "SecRule TX:a \"@gt 4\" "
			      "\"id:9,phase:1,pass,nolog,ctl:ruleRemoveTargetById=10;TX:a\"\n"
			      "SecRule TX:a \"@le 5\" \"id:10,phase:1,pass,log\"\n"
			      "SecRule TX:a \"@le 5\" \"id:11,phase:1,pass,log\"\n" TX_COUNT_RULES(
				      "16", "17", "18", "19", "21"));
	run_phases(&e, &q, 1, 1);
	assert_true(alerted(&e, 2));
	assert_string_equal(msg_of(&e, 2), "TX:a=5");
	assert_false(alerted(&e, 3));
	assert_false(alerted(&e, 4));
	assert_true(alerted(&e, 5)); /* "x" reads as 0 */
	assert_true(alerted(&e, 6));
	assert_true(alerted(&e, 7));
	assert_false(alerted(&e, 8));
	assert_false(alerted(&e, 10)); /* its target removed */
	assert_true(alerted(&e, 11));
	/* the same answers and MATCHED_VAR(_NAME) with and without the shortcut */
	assert_string_equal(msg_of(&e, 12), "TX=1");
	assert_string_equal(msg_of(&e, 13), "TX=0");
	assert_string_equal(msg_of(&e, 16), "TX=1");
	assert_string_equal(msg_of(&e, 17), "TX=0");
	assert_false(alerted(&e, 14));
	assert_false(alerted(&e, 18));
	assert_true(alerted(&e, 15));
	assert_true(alerted(&e, 19));
	assert_string_equal(msg_of(&e, 20), "TX:a=5"); /* a list: the value of its second */
	assert_string_equal(msg_of(&e, 21), "TX:a=5");
	assert_true(rule_by_id(e.m, 12)->tx_cmp);
	assert_true(rule_by_id(e.m, 20)->tx_cmp);
	teardown_env(&e);
}

static void test_msc_eval_setvar_forms_and_per_match(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(
		&e,
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.inc=3,setvar:tx.score=10,"
		"setvar:tx.gone=1,setvar:'tx.name_%{tx.inc}=v %{REQUEST_METHOD}'\"\n"
		"SecRule ARGS:a \"@rx .\" \"id:2,phase:1,pass,nolog,setvar:tx.score=+%{tx.inc}\"\n"
		"SecAction \"id:3,phase:1,pass,nolog,setvar:tx.score=-1,setvar:!tx.gone,"
		"setvar:tx.neg=-5\"\n"
		"SecRule &TX:gone \"@eq 0\" \"id:4,phase:1,pass\"\n"
		"SecRule TX:/^name_/ \"@streq v GET\" \"id:5,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 1);
	/* 10 + 3 per matching ARGS:a value (two of them) - 1 */
	assert_string_equal(msc_tx_get(e.tx, "score"), "15");
	assert_string_equal(msc_tx_get(e.tx, "SCORE"), "15");
	assert_null(msc_tx_get(e.tx, "gone"));
	assert_string_equal(msc_tx_get(e.tx, "name_3"), "v GET");
	assert_string_equal(msc_tx_get(e.tx, "neg"), "-5");
	assert_false(alerted(&e, 1));
	assert_true(alerted(&e, 4));
	assert_true(alerted(&e, 5));
	teardown_env(&e);
}

static void test_msc_eval_exclusions_and_counts(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(
		&e,
		"SecRule ARGS|!ARGS:pw \"@streq evil\" \"id:1,phase:1\"\n"
		"SecRule ARGS \"@streq evil\" \"id:2,phase:1\"\n"
		"SecRule REQUEST_COOKIES|!REQUEST_COOKIES:/^__utm/ \"@streq evil\" "
		"\"id:3,phase:1\"\n"
		"SecRule &ARGS:a \"@eq 2\" \"id:4,phase:1\"\n"
		"SecRule &ARGS \"@eq 5\" \"id:5,phase:1\"\n"
		"SecRule &REQUEST_HEADERS:X-Missing \"@eq 0\" \"id:6,phase:1\"\n"
		"SecRule ARGS_NAMES \"@streq pw\" \"id:7,phase:1\"\n"
		"SecRule REQUEST_HEADERS_NAMES \"@rx ^user-agent$\" \"id:8,phase:1,t:lowercase\"\n"
		"SecRule ARGS:/^p/ \"@streq evil\" \"id:9,phase:1\"\n"
		"SecRule ARGS_COMBINED_SIZE \"@eq 26\" \"id:10,phase:1\"\n"
		"SecRule REQUEST_BODY \"@rx .\" \"id:11,phase:1\"\n");
	run_phases(&e, &q, 1, 1);
	assert_false(alerted(&e, 1));
	assert_true(alerted(&e, 2));
	assert_false(alerted(&e, 3));
	assert_true(alerted(&e, 4));
	assert_true(alerted(&e, 5));
	assert_true(alerted(&e, 6));
	assert_true(alerted(&e, 7));
	assert_true(alerted(&e, 8));
	assert_true(alerted(&e, 9));
	/* names + values: q Hello World (1+11) id 42 (2+2) pw evil (2+4) a 1, a 2 (2+2) */
	assert_true(alerted(&e, 10));
	assert_false(alerted(&e, 11)); /* absent variable: nothing to match */
	teardown_env(&e);
}

static void test_msc_eval_ctl_actions(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e, "SecRule REQUEST_METHOD \"@streq GET\" \"id:1,phase:1,pass,nolog,"
		      "ctl:ruleRemoveById=10,ctl:ruleRemoveTargetById=11;ARGS:pw,"
		      "ctl:ruleRemoveByTag=t-off,ctl:ruleRemoveTargetByTag=t-tgt;ARGS:pw,"
		      "ctl:requestBodyProcessor=XML,ctl:forceRequestBodyVariable=On\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:10,phase:2\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:11,phase:2\"\n"
		      "SecRule ARGS \"@streq 42\" \"id:12,phase:2\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:13,phase:2,tag:'t-off'\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:14,phase:2,tag:'t-tgt'\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:15,phase:2\"\n"
		      "SecRule REQBODY_PROCESSOR \"@streq XML\" \"id:16,phase:2\"\n"
		      "SecAction \"id:17,phase:2,pass,nolog,ctl:ruleEngine=Off\"\n"
		      "SecRule ARGS \"@streq evil\" \"id:18,phase:2\"\n");
	run_phases(&e, &q, 1, 1);
	assert_int_equal(msc_tx_body_processor(e.tx), MSC_BODY_XML);
	assert_true(msc_tx_force_body_variable(e.tx));
	run_phases(&e, &q, 2, 2);
	assert_false(alerted(&e, 10));
	assert_false(alerted(&e, 11));
	assert_true(alerted(&e, 12));
	assert_false(alerted(&e, 13));
	assert_false(alerted(&e, 14));
	assert_true(alerted(&e, 15));
	assert_true(alerted(&e, 16));
	assert_false(alerted(&e, 18));
	/* the next transaction starts clean */
	new_tx(&e);
	run_phases(&e, &q, 2, 2);
	assert_true(alerted(&e, 10));
	assert_true(alerted(&e, 11));
	teardown_env(&e);
}

static void test_msc_eval_capture_and_matched_vars(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e, "SecRule ARGS:q \"@rx (H\\w+) (W\\w+)\" \"id:1,phase:1,pass,capture,"
		      "setvar:tx.second=%{TX.2},logdata:'%{TX.0}|%{TX.1}'\"\n"
		      "SecRule ARGS \"@rx ^(?:evil|42)$\" \"id:2,phase:1,chain\"\n"
		      "  SecRule MATCHED_VARS \"@streq evil\" \"\"\n"
		      "SecRule ARGS \"@rx ^(?:evil|42)$\" \"id:5,phase:1,chain\"\n"
		      "  SecRule MATCHED_VARS_NAMES \"@streq ARGS:pw\" \"\"\n"
		      "SecRule ARGS \"@rx ^(?:evil|42)$\" \"id:6,phase:1,chain\"\n"
		      "  SecRule MATCHED_VARS_NAMES \"@streq ARGS:q\" \"\"\n"
		      "SecRule ARGS:id \"@rx 4\" \"id:3,phase:1,chain\"\n"
		      "  SecRule MATCHED_VAR \"@streq 42\" \"\"\n"
		      "SecRule REQUEST_METHOD \"@rx G(E)T\" \"id:4,phase:1,msg:'%{rule.id} "
		      "%{tx.1}'\"\n");
	run_phases(&e, &q, 1, 1);
	assert_string_equal(logdata_of(&e, 1), "Hello World|Hello");
	assert_string_equal(msc_tx_get(e.tx, "second"), "World");
	assert_true(alerted(&e, 2));
	assert_true(alerted(&e, 5));
	assert_false(alerted(&e, 6)); /* ARGS:q did not match the first link */
	assert_true(alerted(&e, 3));
	/* no capture action: TX.1 keeps rule 1's value */
	assert_string_equal(msg_of(&e, 4), "4 Hello");
	teardown_env(&e);
}

static void test_msc_eval_transformations_multimatch_and_cache(void **state)
{
	static const struct msc_kv enc[] = { KV("x", "%3Cscript%3E"), KV("y", "%3Cscript%3E") };
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ enc, 2 };
	setup_env(&e, "SecDefaultAction \"phase:1,log,pass,t:urlDecode\"\n"
		      "SecRule ARGS:x \"@streq <script>\" \"id:1,phase:1\"\n"
		      "SecRule ARGS:x \"@streq <script>\" \"id:2,phase:1,t:none\"\n"
		      "SecRule ARGS:x \"@streq %3Cscript%3E\" \"id:3,phase:1,multiMatch\"\n"
		      "SecRule ARGS:x \"@streq %3Cscript%3E\" \"id:4,phase:1\"\n"
		      "SecRule ARGS \"@streq <SCRIPT>\" \"id:5,phase:1,t:uppercase\"\n"
		      "SecRule ARGS \"@streq <SCRIPT>\" \"id:6,phase:1,t:uppercase\"\n"
		      "SecRule ARGS:x \"@eq 8\" \"id:7,phase:1,t:length\"\n");
	run_phases(&e, &q, 1, 1);
	assert_true(alerted(&e, 1));
	assert_false(alerted(&e, 2));
	assert_true(alerted(&e, 3));
	assert_false(alerted(&e, 4));
	assert_true(alerted(&e, 5));
	assert_true(alerted(&e, 6));
	assert_true(alerted(&e, 7));
	/* rule 6 and the second value of rule 5 reuse cached transformations */
	assert_true(msc_ctx_stats(e.ctx)->tcache_hits >= 2);
	teardown_env(&e);
}

/* Load CONF with or without the Hyperscan @rx groups, run phases 1-2 over Q, return the
 * alerts as text ("id:score ..." then the TX capture 0) and the context's counters. */
static void prefilter_run(const char *conf, bool groups, const struct msc_request *q, char *out,
			  size_t outlen, struct msc_ctx_stats *st, size_t *rx_hs)
{
	struct rule_diags d = { 0 };
	struct env e;
	size_t len = 0;
	const char *cap;

	memset(&e, 0, sizeof(e));
	assert_int_equal(msc_ruleset_new(&e.m), 0);
	assert_int_equal(msc_load_string(e.m, conf, "t.conf", false, &d), 0);
	assert_int_equal(msc_compile_finish(e.m, false, groups, &d), 0);
	rule_diags_done(&d);
	assert_int_equal(msc_ctx_new(e.m, &e.ctx), 0);
	assert_int_equal(msc_tx_new(e.ctx, 1000000, &e.tx), 0);
	run_phases(&e, q, 1, 2);
	out[0] = '\0';
	for (size_t i = 0; i < e.n; i++)
		len += (size_t)snprintf(out + len, outlen - len, "%u:%lld ", e.ids[i],
					(long long)e.scores[i]);
	cap = msc_tx_get(e.tx, "0");
	snprintf(out + len, outlen - len, "cap=%s", cap ? cap : "-");
	*st = *msc_ctx_stats(e.ctx);
	*rx_hs = msc_ruleset_stats(e.m)->rx_hs;
	teardown_env(&e);
}

static void test_msc_eval_rx_prefilter_groups_decide_the_same(void **state)
{
	/* @rx of one phase sharing transformations and target list form one Hyperscan group;
	 * (?<=...) and \\1 are taken in prefilter mode only (PCRE2 confirms); id 8 has a
	 * target list of its own (a group of one: PCRE2 only); 9 needs a capture */
	static const char conf[] =
		"SecDefaultAction \"phase:2,log,pass,t:none\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx (?i)union\\s+select\" "
		"\"id:1,phase:2,t:urlDecodeUni,t:lowercase,setvar:tx.score=+5\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx <script\" "
		"\"id:2,phase:2,t:urlDecodeUni,t:lowercase,setvar:tx.score=+3\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx (?<=x)yz\" "
		"\"id:3,phase:2,t:urlDecodeUni,t:lowercase\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx (ab)\\1\" "
		"\"id:4,phase:2,t:urlDecodeUni,t:lowercase\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx ^mozilla/[0-9]\" "
		"\"id:5,phase:2,t:urlDecodeUni,t:lowercase\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"!@rx ^[a-z0-9/ .;()=+<>%-]*$\" "
		"\"id:6,phase:2,t:urlDecodeUni,t:lowercase\"\n"
		"SecRule ARGS \"@rx ^[0-9]+$\" \"id:7,phase:2\"\n"
		"SecRule REQUEST_FILENAME \"@rx \\.php$\" \"id:8,phase:2\"\n"
		"SecRule ARGS \"@rx ^(\\d+)$\" \"id:9,phase:2,capture,setvar:tx.n=%{tx.0}\"\n"
		"SecRule TX:score \"@rx ^[5-9]\" \"id:10,phase:2\"\n";
	static const struct msc_kv a1[] = { KV("q", "1 UNION%20SELECT x"), KV("id", "42"),
					    KV("s", "%3Cscript%3Eabab xyz") };
	static const struct msc_kv a2[] = { KV("q", "hello world"), KV("n", "x7") };
	static const struct msc_kv a3[] = { KV("q", "ABAB"), KV("e", "caf\xc3\xa9") };
	const struct msc_list lists[] = { { a1, 3 }, { a2, 2 }, { a3, 2 } };
	size_t skipped = 0, scans = 0, links_skipped = 0;

	(void)state;
	for (size_t i = 0; i < 3; i++) {
		char with[512], without[512];
		struct msc_ctx_stats sw, so;
		size_t hs_w, hs_o;
		struct msc_request q;

		base_request(&q);
		q.c[MSC_C_ARGS_GET] = lists[i];
		prefilter_run(conf, true, &q, with, sizeof(with), &sw, &hs_w);
		prefilter_run(conf, false, &q, without, sizeof(without), &so, &hs_o);
		assert_string_equal(with, without);
		assert_int_equal(sw.matches, so.matches);
		/* ids 1-6 form one group, 7 and 9 another (ARGS, no transformation) */
		assert_int_equal(hs_w, 8);
		assert_int_equal(hs_o, 0);
		assert_int_equal(so.rx_skipped, 0);
		assert_int_equal(so.rx_links_skipped, 0);
		links_skipped += sw.rx_links_skipped;
		skipped += sw.rx_skipped;
		scans += sw.hs_scans;
		if (i == 0)
			assert_string_equal(with, "1:0 2:0 3:0 4:0 5:0 7:0 8:0 9:0 10:0 cap=42");
	}
	/* Hyperscan ruled patterns out without PCRE2, one scan per value and group, and whole
	 * links out when no value of their list may match ("hello world", "x7": 1-5) */
	assert_true(skipped > 0);
	assert_true(scans > 0);
	assert_true(links_skipped >= 5);
}

/* The first link of the chain (SecRule) with id ID in ruleset M. */
static const struct msc_rule *rule_by_id(const struct msc_ruleset *m, uint32_t id)
{
	for (size_t i = 0; i < m->n; i++)
		if (!m->v[i]->is_marker && m->v[i]->id == id)
			return m->v[i];
	fail_msg("no rule %u", id);
	return NULL;
}

/* Load CONF with or without the Hyperscan groups, run phases 1-2 over Q; OUT: the alerts
 * ("id:score") and TX:c1..c9 (captures copied by the rules), ST: the context's counters.
 * GROUPED: the links of ids that must have joined an @rx group (0-terminated), PLAIN: the
 * phase's group of phrases. */
static void pm_run(const char *conf, bool groups, const struct msc_request *q, char *out,
		   size_t outlen, struct msc_ctx_stats *st, const uint32_t *grouped,
		   const uint32_t *plain)
{
	struct rule_diags d = { 0 };
	struct env e;
	size_t len = 0;

	memset(&e, 0, sizeof(e));
	assert_int_equal(msc_ruleset_new(&e.m), 0);
	assert_int_equal(msc_load_string(e.m, conf, "t.conf", false, &d), 0);
	assert_int_equal(msc_compile_finish(e.m, false, groups, &d), 0);
	for (size_t i = 0; i < d.n; i++)
		if (d.v[i].kind != RULE_DIAG_NOTE)
			fail_msg("t.conf:%u: %s", d.v[i].line, d.v[i].message);
	rule_diags_done(&d);
	for (size_t i = 0; grouped[i]; i++) {
		const struct msc_rule *r = rule_by_id(e.m, grouped[i]);

		assert_true(groups ? r->rx_group != 0 : r->rx_group == 0);
		assert_int_equal(r->pm_plain, 0);
	}
	for (size_t i = 0; plain[i]; i++) {
		const struct msc_rule *r = rule_by_id(e.m, plain[i]);

		assert_true(groups ? r->pm_plain != 0 : r->pm_plain == 0);
		assert_int_equal(r->rx_group, 0);
	}
	assert_int_equal(msc_ctx_new(e.m, &e.ctx), 0);
	assert_int_equal(msc_tx_new(e.ctx, 1000000, &e.tx), 0);
	run_phases(&e, q, 1, 2);
	out[0] = '\0';
	for (size_t i = 0; i < e.n; i++)
		len += (size_t)snprintf(out + len, outlen - len, "%u:%lld ", e.ids[i],
					(long long)e.scores[i]);
	for (int i = 1; i <= 9; i++) {
		char name[4] = { 'c', (char)('0' + i), 0 };
		const char *v = msc_tx_get(e.tx, name);

		if (v)
			len += (size_t)snprintf(out + len, outlen - len, "%s=%s ", name, v);
	}
	*st = *msc_ctx_stats(e.ctx);
	teardown_env(&e);
}

static void test_msc_eval_pm_groups_decide_the_same(void **state)
{
	/* 2, 3 and 5 join the @rx group of 1 (same transformations and targets; 5's phrases hold
	 * bytes with a regex meaning, escaped in the group); 6 has more phrases than an @rx group
	 * takes, 7-10 other transformations or targets: the phase's group of phrases, scanned
	 * on values as they came (up to ASCII case: 7 and 8 end with t:lowercase); 11 is
	 * multiMatch (its own set only). Captures: 3, 7, 9; negated: 4 and 10. */
	static char conf[4096];
	static const uint32_t grouped[] = { 2, 3, 5, 0 }, plain[] = { 6, 7, 8, 9, 10, 0 };
	static const struct msc_kv a1[] = { KV("q", "hello"), KV("s", "1 UNION%20SELECT x"),
					    KV("t", "EVIL attack"), KV("u", "see (a.php)") };
	static const struct msc_kv a2[] = { KV("a", "benign"), KV("b", "curl/7.1 Word39") };
	static const struct msc_kv a3[] = { KV("x", "nothing here"), KV("y", "42") };
	static const struct msc_kv a4[] = { KV("x", "%3CScRiPt%3Ealert(1)"), KV("y", "Wget") };
	static const struct msc_kv a5[] = { KV("x", "plain"), KV("y", "%65vil tHiNg") };
	const struct msc_list lists[] = { { a1, 4 }, { a2, 2 }, { a3, 2 }, { a4, 2 }, { a5, 2 } };
	/* checked by hand: 4 and 10 (negated) match values without their phrases; a capture is
	 * the first phrase Hyperscan reports, as the link's value has it (9 has no
	 * t:lowercase); 8 sees "%65vil" (t:lowercase only) */
	const char *expect[] = {
		"1:0 2:0 3:0 4:0 5:0 7:0 8:0 9:0 10:0 11:0 c2=union c3=evil c4=EVIL ",
		"4:0 6:0 7:0 9:0 10:0 c3=curl c4=curl ",
		"4:0 10:0 ",
		"3:0 4:0 7:0 9:0 10:0 11:0 c2=wget c3=<script c4=Wget ",
		"4:0 7:0 9:0 10:0 11:0 c3=evil c4=evil ",
	};
	size_t len = 0, scans = 0, links_skipped = 0;

	(void)state;
	len += (size_t)snprintf(conf + len, sizeof(conf) - len,
				"SecDefaultAction \"phase:2,log,pass,t:none\"\n"
				"SecRule ARGS \"@rx (?i)union\\s+select\" "
				"\"id:1,phase:2,t:urlDecodeUni,t:lowercase\"\n"
				"SecRule ARGS \"@pm Select nothing-else\" "
				"\"id:2,phase:2,t:urlDecodeUni,t:lowercase\"\n"
				"SecRule ARGS \"@pm union <script wget\" "
				"\"id:3,phase:2,t:urlDecodeUni,t:lowercase,capture,"
				"setvar:tx.c2=%%{tx.0}\"\n"
				"SecRule ARGS \"!@pm hello benign 42 wget\" "
				"\"id:4,phase:2,t:urlDecodeUni,t:lowercase\"\n"
				"SecRule ARGS \"@pm (a.php) a|b \\\\x [x]\" "
				"\"id:5,phase:2,t:urlDecodeUni,t:lowercase\"\n"
				"SecRule ARGS \"@pm");
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(conf + len, sizeof(conf) - len, " Word%d", i);
	snprintf(conf + len, sizeof(conf) - len,
		 "\" \"id:6,phase:2,t:urlDecodeUni,t:lowercase\"\n"
		 "SecRule ARGS \"@pm Evil curl <script\" "
		 "\"id:7,phase:2,t:urlDecodeUni,t:removeNulls,t:lowercase,capture,"
		 "setvar:tx.c3=%%{tx.0}\"\n"
		 "SecRule ARGS \"@pm evil\" \"id:8,phase:2,t:lowercase\"\n"
		 "SecRule ARGS|REQUEST_HEADERS \"@pm EVIL curl wget word39\" "
		 "\"id:9,phase:2,t:urlDecodeUni,capture,setvar:tx.c4=%%{tx.0}\"\n"
		 "SecRule ARGS \"!@pm mozilla hello benign plain\" \"id:10,phase:2\"\n"
		 "SecRule ARGS \"@pm evil wget\" \"id:11,phase:2,t:urlDecodeUni,multiMatch\"\n");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		char with[512], without[512];
		struct msc_ctx_stats sw, so;
		struct msc_request q;

		base_request(&q);
		q.c[MSC_C_ARGS_GET] = lists[i];
		pm_run(conf, true, &q, with, sizeof(with), &sw, grouped, plain);
		pm_run(conf, false, &q, without, sizeof(without), &so, grouped, plain);
		assert_string_equal(with, without);
		assert_string_equal(with, expect[i]);
		assert_int_equal(sw.matches, so.matches);
		assert_int_equal(so.hs_scans, 0);
		scans += sw.hs_scans;
		links_skipped += sw.rx_links_skipped;
	}
	/* the groups scanned, and ruled whole @pm links out (2, 6 on the third list ...) */
	assert_true(scans > 0);
	assert_true(links_skipped > 0);
}

/* TX names are found through the collection's hash index as by the linear search it
 * replaced: case-insensitively, after the index grew and after deletions moved entries, and
 * names equal up to an embedded NUL (strncasecmp's view) are one variable. */
static void test_msc_eval_tx_collection_index(void **state)
{
	static struct msc_kv args[300];
	static char names[300][16], vals[300][16];
	static const struct msc_kv nul_args[] = { { { (const uint8_t *)"n\0a", 3 }, SI("1") },
						  { { (const uint8_t *)"n\0b", 3 }, SI("2") } };
	struct msc_request q;
	struct env e;
	char name[32];

	(void)state;
	for (int i = 0; i < 300; i++) {
		snprintf(names[i], sizeof(names[i]), "Arg%d", i);
		snprintf(vals[i], sizeof(vals[i]), "v%d", i);
		args[i] = (struct msc_kv){ { (const uint8_t *)names[i], strlen(names[i]) },
					   { (const uint8_t *)vals[i], strlen(vals[i]) } };
	}
	base_request(&q);
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ args, 300 };
	q.c[MSC_C_ARGS_POST] = (struct msc_list){ nul_args, 2 };
	setup_env(&e, "SecRule ARGS \"@rx .\" \"id:1,phase:1,pass,nolog,"
		      "setvar:'tx.%{MATCHED_VAR_NAME}=%{MATCHED_VAR}'\"\n"
		      "SecAction \"id:2,phase:1,pass,nolog,setvar:!TX.args:ARG5,"
		      "setvar:!tx.ARGS:arg0,setvar:tx.args:arg7=seven\"\n"
		      "SecRule &TX:/^args:arg/ \"@eq 298\" \"id:3,phase:1,pass\"\n"
		      "SecRule &TX:/^args:n/ \"@eq 1\" \"id:4,phase:1,pass\"\n"
		      "SecRule TX:ARGS:ARG299 \"@streq v299\" \"id:5,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 1);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), i % 2 ? "ARGS:ARG%d" : "args:arg%d", i);
		if (i == 0 || i == 5)
			assert_null(msc_tx_get(e.tx, name));
		else if (i == 7)
			assert_string_equal(msc_tx_get(e.tx, name), "seven");
		else
			assert_string_equal(msc_tx_get(e.tx, name), vals[i]);
	}
	assert_true(alerted(&e, 3));
	assert_true(alerted(&e, 4));
	assert_true(alerted(&e, 5));
	/* a recycled transaction starts with an empty collection */
	new_tx(&e);
	assert_null(msc_tx_get(e.tx, "args:arg1"));
	run_phases(&e, &q, 1, 1);
	assert_string_equal(msc_tx_get(e.tx, "args:arg1"), "v1");
	assert_true(alerted(&e, 3));
	teardown_env(&e);
}

/* The values (ARGS_GET) each selector regex selects, one "tx.sel_ID" per rule; with LITERALS
 * false every selector goes through PCRE2. */
static void selectors_run(const char *conf, const struct msc_request *q, bool literals,
			  char out[][256], size_t n_rules, size_t *n_lit)
{
	struct env e;

	setup_env(&e, conf);
	*n_lit = 0;
	for (size_t i = 0; i < e.m->n; i++)
		for (size_t j = 0; j < e.m->v[i]->n_t; j++) {
			*n_lit += e.m->v[i]->t[j].key_lit_kind != MSC_KEY_LIT_NONE;
			if (!literals)
				e.m->v[i]->t[j].key_lit_kind = MSC_KEY_LIT_NONE;
		}
	run_phases(&e, q, 1, 1);
	for (size_t i = 0; i < n_rules; i++) {
		char name[16];
		const char *v;

		snprintf(name, sizeof(name), "sel_%zu", i + 1);
		v = msc_tx_get(e.tx, name);
		snprintf(out[i], 256, "%s", v ? v : "-");
	}
	teardown_env(&e);
}

/* Literal selector regexes (/__utm/, /^header_name_/, ...) are matched without PCRE2 and
 * select exactly the keys PCRE2 selects. */
static void test_msc_eval_literal_selectors_match_as_pcre2(void **state)
{
	static const char *const pats[] = {
		"__utm",
		"^header_name_",
		"rfi_parameter_.*",
		"MULTIPART_HEADERS_CONTENT_TYPES_*",
		"LEAKAGE\\/ERRORS",
		"^a*",
		"^",
		"S?DW[a-f0-9]+",
		"utm$",
		"x.y",
		"^A-b_9",
		/* as in RESPONSE-980's &TX:'/LEAKAGE\\\/ERRORS/': \\ is one backslash once the
		 * directive is read, the regex holds \\/ (a backslash, a slash) */
		"LEAKAGE\\\\\\/ERRORS",
		"^a/B\\\\\\\\*",
	};
	static const bool literal[] = { true,  true,  true,  true, true, true, true,
					false, false, false, true, true, true };
	static const struct msc_kv keys[] = {
		KV("__UTMA", "v0"),
		KV("x__utmz", "v1"),
		KV("header_name_host", "v2"),
		KV("Header_Name_x", "v3"),
		KV("xheader_name_", "v4"),
		KV("rfi_parameter_", "v5"),
		KV("RFI_PARAMETER", "v6"),
		KV("multipart_headers_content_types", "v7"),
		KV("multipart_headers_content_type", "v8"),
		KV("leakage/errors", "v9"),
		KV("xLEAKAGE/ERRORSx", "v10"),
		{ SI("__u\0tm"), SI("v11") },
		KV("", "v12"),
		KV("a", "v13"),
		KV("b", "v14"),
		KV("\xc3\x89__UTM", "v15"),
		KV("sdw0f", "v16"),
		KV("x_utm", "v17"),
		KV("a-B_9z", "v18"),
		KV("xay", "v19"),
		KV("x_leakage\\/errors", "v20"),
		KV("A/b\\\\", "v21"),
		KV("a/b", "v22"),
		KV("a\\/b", "v23"),
	};
	const size_t n = sizeof(pats) / sizeof(pats[0]);
	char conf[4096], with[16][256], without[16][256];
	size_t len = 0, n_lit = 0, n_lit_off = 0, expect_lit = 0;
	struct msc_request q;

	(void)state;
	for (size_t i = 0; i < n; i++) {
		len += (size_t)snprintf(
			conf + len, sizeof(conf) - len,
			"SecRule ARGS_GET:/%s/ \"@rx ^v\" \"id:%zu,phase:1,pass,nolog,"
			"setvar:'tx.sel_%zu=%%{tx.sel_%zu}%%{MATCHED_VAR},'\"\n",
			pats[i], i + 1, i + 1, i + 1);
		expect_lit += literal[i];
	}
	base_request(&q);
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ keys, sizeof(keys) / sizeof(keys[0]) };
	selectors_run(conf, &q, true, with, n, &n_lit);
	selectors_run(conf, &q, false, without, n, &n_lit_off);
	assert_int_equal(n_lit, expect_lit);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(with[i], without[i]);
	assert_string_equal(with[0], "v0,v1,v15,");
	assert_string_equal(with[1], "v2,v3,");
	assert_string_equal(with[3], "v7,");
	assert_string_equal(with[4], "v9,v10,");
	assert_string_equal(with[10], "v18,");
	assert_string_equal(with[11], "v20,");
	assert_string_equal(with[12], "v21,v22,");
}

/* Values shorter than an @rx's shortest match, or without a code unit every match holds
 * (either case), are not handed to PCRE2 (its own first checks): same decisions, negation,
 * caseless patterns and captures included. */
static void test_msc_eval_rx_prechecks(void **state)
{
	static const struct msc_kv a[] = { KV("s", "ab"), KV("t", "abc"), KV("u", "xabcd"),
					   KV("v", "SELECT"), KV("w", "") };
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ a, 5 };
	setup_env(&e, "SecRule ARGS:s \"@rx abc\" \"id:1,phase:1,pass\"\n"
		      "SecRule ARGS:t \"@rx ^(a)bc$\" \"id:2,phase:1,pass,capture,"
		      "setvar:tx.c=%{tx.1}\"\n"
		      "SecRule ARGS:s \"!@rx abc\" \"id:3,phase:1,pass\"\n"
		      "SecRule ARGS \"@rx b.d\" \"id:4,phase:1,pass\"\n"
		      "SecRule ARGS:s \"@rx x?\" \"id:5,phase:1,pass\"\n"
		      "SecRule ARGS:v \"@rx (?i)sel\" \"id:6,phase:1,pass\"\n"
		      "SecRule ARGS:v \"@rx (?i:s)elect\" \"id:7,phase:1,pass\"\n"
		      "SecRule ARGS:w \"!@rx q\" \"id:8,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 1);
	assert_false(alerted(&e, 1));
	assert_true(alerted(&e, 2));
	assert_string_equal(msc_tx_get(e.tx, "c"), "a");
	assert_true(alerted(&e, 3));
	assert_true(alerted(&e, 4)); /* "xabcd" only: "ab" is too short, "abc" has no 'd' */
	assert_true(alerted(&e, 5)); /* minimum length 0 */
	assert_true(alerted(&e, 6)); /* caseless: 'S' found for 's' */
	assert_false(alerted(&e, 7)); /* "elect" is case-sensitive */
	assert_true(alerted(&e, 8));
	/* 3 on "ab"; 4 on "ab", "abc", "SELECT" and ""; 8 on "" (1 shares a Hyperscan group
	 * with 3, 7 with 6: their links are ruled out whole) */
	assert_int_equal(msc_ctx_stats(e.ctx)->rx_precheck_out, 6);
	teardown_env(&e);
}

/* Target lists that share variables: each list gets the values of its own targets, in its
 * own order, whether collected or copied from an earlier list (msc_target.memo); a target
 * with exclusions is shared only with lists that exclude the same. */
static void test_msc_eval_shared_targets(void **state)
{
	static const char conf[] =
		"SecRule ARGS|REQUEST_HEADERS \"@rx .\" \"id:1,phase:1,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n1=+1\"\n"
		"SecRule REQUEST_HEADERS|ARGS \"@rx .\" \"id:2,phase:1,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n2=+1\"\n"
		"SecRule REQUEST_HEADERS|!REQUEST_HEADERS:Host|ARGS \"@rx .\" \"id:3,phase:1,pass,"
		"log,msg:'%{MATCHED_VAR_NAME}',setvar:tx.n3=+1\"\n"
		"SecRule &ARGS|ARGS \"@rx .\" \"id:4,phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}',"
		"setvar:tx.n4=+1\"\n"
		"SecRule ARGS:a|REQUEST_HEADERS:User-Agent \"@rx .\" \"id:5,phase:1,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n5=+1\"\n"
		"SecRule REQUEST_HEADERS:User-Agent|ARGS:a \"@rx .\" \"id:6,phase:1,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n6=+1\"\n"
		"SecRule ARGS|&ARGS \"@rx 5\" \"id:7,phase:1,pass,log,msg:'%{MATCHED_VAR_NAME}',"
		"setvar:tx.n7=+1\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx .\" \"id:8,phase:2,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n8=+1\"\n"
		"SecRule !REQUEST_HEADERS:Host|REQUEST_HEADERS:/t/ \"@rx .\" \"id:9,phase:1,pass,"
		"log,msg:'%{MATCHED_VAR_NAME}',setvar:tx.n9=+1\"\n"
		"SecRule REQUEST_HEADERS|!REQUEST_HEADERS:Host \"@rx .\" \"id:10,phase:1,pass,log,"
		"msg:'%{MATCHED_VAR_NAME}',setvar:tx.n10=+1\"\n";
	static const struct {
		uint32_t id;
		const char *n, *last;
	} want[] = {
		{ 1, "8", "REQUEST_HEADERS:Content-Type" },
		{ 2, "8", "ARGS:a" },
		{ 3, "7", "ARGS:a" },
		{ 4, "6", "ARGS:a" },
		{ 5, "3", "REQUEST_HEADERS:User-Agent" },
		{ 6, "3", "ARGS:a" },
		{ 7, "1", "ARGS" },
		{ 8, "8", "REQUEST_HEADERS:Content-Type" },
		{ 9, "2", "REQUEST_HEADERS:Content-Type" },
		{ 10, "2", "REQUEST_HEADERS:Content-Type" },
	};
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		char name[8];

		snprintf(name, sizeof(name), "n%u", want[i].id);
		assert_non_null(msc_tx_get(e.tx, name));
		assert_string_equal(msc_tx_get(e.tx, name), want[i].n);
		assert_string_equal(msg_of(&e, want[i].id), want[i].last);
	}
	/* ARGS, REQUEST_HEADERS, REQUEST_HEADERS less Host (3 and 10), &ARGS, ARGS:a,
	 * REQUEST_HEADERS:User-Agent, REQUEST_HEADERS:/t/ less Host */
	assert_int_equal(e.m->n_tmemo, 7);
	teardown_env(&e);
}

/* One transaction per value of VALS (as ARGS_GET:q and the User-Agent header) in E's context;
 * OUT gets each one's alerts and TX:c ("1 3 c=a|" ...). */
static void vcache_run(struct env *e, const char *const *vals, size_t n, char *out, size_t cap)
{
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		struct msc_kv arg = { { (const uint8_t *)"q", 1 },
				      { (const uint8_t *)vals[i], strlen(vals[i]) } };
		struct msc_kv hdr[] = { KV("Host", "example.com"),
					{ { (const uint8_t *)"User-Agent", 10 },
					  { (const uint8_t *)vals[i], strlen(vals[i]) } } };
		struct msc_request q;
		const char *c;

		base_request(&q);
		q.c[MSC_C_ARGS_GET] = (struct msc_list){ &arg, 1 };
		q.c[MSC_C_REQUEST_HEADERS] = (struct msc_list){ hdr, 2 };
		new_tx(e);
		run_phases(e, &q, 1, 2);
		for (size_t a = 0; a < e->n; a++)
			len += (size_t)snprintf(out + len, cap - len, "%u ", e->ids[a]);
		c = msc_tx_get(e->tx, "c");
		len += (size_t)snprintf(out + len, cap - len, "c=%s|", c ? c : "-");
		assert_true(len < cap);
	}
}

/* The verdict cache (msc_ctx_vcache) answers values seen before in the context and decides
 * as the engine without it: group scans and PCRE2's no-match are taken from it, matches and
 * captures never; values over MSC_VCACHE_VALUE_MAX are not kept; more values than it holds
 * push the oldest out. */
static void test_msc_eval_verdict_cache(void **state)
{
	static const char conf[] =
		"SecRule ARGS|REQUEST_HEADERS \"@rx (?i)union\\s+select\" "
		"\"id:1,phase:2,pass,t:none,t:lowercase\"\n"
		"SecRule ARGS|REQUEST_HEADERS \"@rx <scr(i)pt\" "
		"\"id:2,phase:2,pass,t:none,t:lowercase,capture,setvar:tx.c=%{tx.1}\"\n"
		"SecRule ARGS \"@rx [;|`]\\s*(?:id|cat)\\b\" \"id:3,phase:2,pass,t:none\"\n"
		"SecRule REQUEST_HEADERS:User-Agent \"@rx ^(a)b+$\" "
		"\"id:4,phase:2,pass,t:none,capture,setvar:tx.c=%{tx.1}\"\n"
		"SecRule ARGS \"!@rx ^[a-z ;<>]*$\" \"id:5,phase:2,pass,t:none\"\n"
		"SecRule ARGS \"@rx \\.\\./\" \"id:6,phase:2,pass,multiMatch,t:none,t:urlDecodeUni\"\n"
		"SecRule ARGS \"@detectSQLi\" \"id:7,phase:2,pass,multiMatch,t:none,t:urlDecodeUni\"\n";
	static const char *const vals[] = {
		"hello",    "abbb",  "x; id",	  "hello",
		"<SCRIPT>", "abbc",  "..%2fa",	  "1%27%20or%20%271%27%3D%271",
		"abbb",	    "HELLO", "hello;cat", "x; id",
		"<script>", "ABBB",  "abbc",	  "..%2fa",
		"abbb",	    "x;cat", "HELLO",	  "1%27%20or%20%271%27%3D%271",
		"hello"
	};
	char with[2048], without[2048];
	struct env e;
	const struct msc_ctx_stats *st;
	char big[MSC_VCACHE_VALUE_MAX + 2];
	const char *bigv[] = { big };

	(void)state;
	setup_env(&e, conf);
	vcache_run(&e, vals, sizeof(vals) / sizeof(vals[0]), with, sizeof(with));
	st = msc_ctx_stats(e.ctx);
	assert_true(st->vcache_hits > 0);
	assert_true(st->vcache_rx_hits > 0); /* "abbc" for 4 */
	msc_ctx_vcache(e.ctx, false);
	vcache_run(&e, vals, sizeof(vals) / sizeof(vals[0]), without, sizeof(without));
	assert_string_equal(with, without);
	/* a match comes from PCRE2 (or the SQLi detector) each time, captures too: "abbb",
	 * "<script>", "..%2fa" and the SQLi again */
	assert_string_equal(with, "c=-|4 c=a|3 c=-|c=-|2 5 c=i|c=-|5 6 c=-|5 7 c=-|4 c=a|5 c=-|"
				  "3 c=-|3 c=-|2 c=i|5 c=-|c=-|5 6 c=-|4 c=a|3 c=-|5 c=-|5 7 c=-|"
				  "c=-|");

	/* turned on again: empty; the same value a second time is answered from it */
	msc_ctx_vcache(e.ctx, true);
	{
		const char *one[] = { "abbc" };
		uint64_t scans, hits, rx;

		vcache_run(&e, one, 1, with, sizeof(with));
		scans = st->hs_scans;
		hits = st->vcache_hits;
		rx = st->vcache_rx_hits;
		vcache_run(&e, one, 1, without, sizeof(without));
		assert_string_equal(with, without);
		assert_int_equal(st->hs_scans, scans);
		assert_true(st->vcache_hits > hits);
		assert_true(st->vcache_rx_hits > rx);
	}
	/* a value over the cap is not kept */
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	{
		uint64_t s0 = st->hs_scans, s1, rx;

		vcache_run(&e, bigv, 1, with, sizeof(with));
		s1 = st->hs_scans;
		rx = st->vcache_rx_hits;
		vcache_run(&e, bigv, 1, without, sizeof(without));
		assert_true(s1 > s0);
		assert_int_equal(st->hs_scans - s1, s1 - s0); /* scanned again */
		assert_int_equal(st->vcache_rx_hits, rx);
		assert_string_equal(with, "c=-|");
		assert_string_equal(without, "c=-|");
	}
	/* more values than it holds: the oldest go, the answers stay right */
	{
		static char buf[MSC_VCACHE_ENTRIES / 2 + 8][16];
		static const char *many[MSC_VCACHE_ENTRIES / 2 + 8];
		static char out1[(MSC_VCACHE_ENTRIES / 2 + 8) * 16], out2[sizeof(out1)];

		for (size_t i = 0; i < sizeof(many) / sizeof(many[0]); i++) {
			snprintf(buf[i], sizeof(buf[i]), i % 7 ? "v%zu" : "x;id%zu", i);
			many[i] = buf[i];
		}
		vcache_run(&e, many, sizeof(many) / sizeof(many[0]), out1, sizeof(out1));
		vcache_run(&e, many, sizeof(many) / sizeof(many[0]), out2, sizeof(out2));
		assert_string_equal(out1, out2);
		msc_ctx_vcache(e.ctx, false);
		vcache_run(&e, many, sizeof(many) / sizeof(many[0]), out2, sizeof(out2));
		assert_string_equal(out1, out2);
	}
	teardown_env(&e);
}

/* A link none of whose values holds a byte its operator needs (an @rx's first bytes or
 * required units, the bytes a @validate* operator finds wrong), nor one its transformations
 * act on, is skipped whole; the answers stay the operators' (no Hyperscan groups here, so
 * nothing else skips links). */
static void test_msc_eval_needed_classes_skip_links(void **state)
{
	static const struct msc_kv plain[] = { KV("q", "Hello World"), KV("id", "42") };
	static const struct msc_kv pct[] = { KV("q", "x%0ay") };
	static const struct msc_kv cr[] = { KV("q", "a\rb") };
	static const struct msc_kv odd[] = { KV("q", "a}\0\xff") };
	const struct msc_list lists[] = { { plain, 2 }, { pct, 1 }, { cr, 1 }, { odd, 1 } };
	static const char *const want[] = { "", "2 ", "1 2 ", "4 5 6 " };
	static const uint64_t skips[] = { 5, 4, 3, 1 };
	struct env e;

	(void)state;
	setup_env_groups(&e,
			 "SecRule ARGS|REQUEST_HEADERS \"@rx [\\n\\r]\" "
			 "\"id:1,phase:1,pass,log,t:none\"\n"
			 "SecRule ARGS|REQUEST_HEADERS \"@rx [\\n\\r]\" "
			 "\"id:2,phase:1,pass,log,t:none,t:urlDecodeUni\"\n"
			 "SecRule ARGS|REQUEST_HEADERS \"!@rx [\\n\\r]\" "
			 "\"id:3,phase:1,pass,nolog,t:none,setvar:tx.neg=+1\"\n"
			 /* a required '}', a NUL, a byte >= 0x80 */
			 "SecRule ARGS \"@rx a.*\\}\" \"id:4,phase:1,pass,log,t:none\"\n"
			 "SecRule ARGS \"@validateByteRange 1-255\" "
			 "\"id:5,phase:1,pass,log,t:none\"\n"
			 "SecRule ARGS \"@validateUtf8Encoding\" "
			 "\"id:6,phase:1,pass,log,t:none\"\n",
			 false);
	assert_int_not_equal(rule_by_id(e.m, 1)->re_first_cls, 0);
	assert_int_equal(rule_by_id(e.m, 4)->need_cls[2], MSC_TFN_C_BRACE);
	assert_int_equal(rule_by_id(e.m, 5)->need_cls[0], MSC_TFN_C_NUL);
	for (size_t i = 0; i < 4; i++) {
		struct msc_request q;
		uint64_t skipped = msc_ctx_stats(e.ctx)->links_class_out;
		char got[32] = "";

		base_request(&q);
		q.c[MSC_C_ARGS_GET] = lists[i];
		new_tx(&e);
		run_phases(&e, &q, 1, 1);
		for (size_t a = 0; a < e.n; a++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%u ", e.ids[a]);
		assert_string_equal(got, want[i]);
		/* the negated link runs on every value: 3 headers and the arguments */
		assert_non_null(msc_tx_get(e.tx, "neg"));
		/* "x%0ay": not 2 (urlDecodeUni may make a \n); "a}\0\xff": not 2 (a NUL is every
		 * transformation's trigger) */
		assert_int_equal(msc_ctx_stats(e.ctx)->links_class_out - skipped, skips[i]);
	}
	teardown_env(&e);
}

/* Numbers in setvar arithmetic and numeric operators read as strtoll() reads them, the
 * plain ones without it */
static void test_msc_eval_numbers_as_strtoll(void **state)
{
	static const struct msc_kv a[] = { KV("n", "-12"), KV("m", "+7"), KV("o", "3 "),
					   KV("p", "99999999999999999999") };
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	q.c[MSC_C_ARGS_GET] = (struct msc_list){ a, 4 };
	setup_env(&e, "SecAction \"id:1,phase:1,pass,nolog,setvar:tx.a=007,setvar:tx.a=+-3,"
		      "setvar:tx.b= 4,setvar:tx.b=+5x,setvar:tx.c=99999999999999999999,"
		      "setvar:tx.c=-1,setvar:tx.d=-,setvar:tx.d=+2\"\n"
		      "SecRule ARGS:n \"@lt -11\" \"id:2,phase:1,pass\"\n"
		      "SecRule ARGS:m \"@eq 7\" \"id:3,phase:1,pass\"\n"
		      "SecRule ARGS:o \"@eq 3\" \"id:4,phase:1,pass\"\n"
		      "SecRule ARGS:p \"@gt 999999999999999999\" \"id:5,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 1);
	assert_string_equal(msc_tx_get(e.tx, "a"), "4");
	assert_string_equal(msc_tx_get(e.tx, "b"), "9");
	assert_string_equal(msc_tx_get(e.tx, "c"), "9223372036854775806");
	assert_string_equal(msc_tx_get(e.tx, "d"), "2");
	assert_true(alerted(&e, 2));
	assert_true(alerted(&e, 3));
	assert_true(alerted(&e, 4));
	assert_true(alerted(&e, 5));
	teardown_env(&e);
}

static void test_msc_eval_disruptive_and_engine_modes(void **state)
{
	const char *rules = "SecDefaultAction \"phase:2,log,deny,status:406\"\n"
			    "SecRule ARGS \"@streq evil\" \"id:1,phase:2,block\"\n"
			    "SecRule ARGS \"@streq evil\" \"id:2,phase:2,block\"\n"
			    "SecRule ARGS \"@streq evil\" \"id:3,phase:4,pass\"\n"
			    "SecAction \"id:4,phase:5,pass,log\"\n";
	struct msc_request q;
	struct env e;
	char conf[1024];

	(void)state;
	base_request(&q);
	snprintf(conf, sizeof(conf), "SecRuleEngine On\n%s", rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 5);
	assert_true(alerted(&e, 1));
	assert_true(e.disruptive[0]);
	assert_int_equal(msc_tx_intercepted(e.tx), 406);
	assert_false(alerted(&e, 2));
	assert_false(alerted(&e, 3));
	assert_true(alerted(&e, 4)); /* logging phase still runs */
	teardown_env(&e);

	snprintf(conf, sizeof(conf), "SecRuleEngine DetectionOnly\n%s", rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 5);
	assert_true(alerted(&e, 1));
	assert_false(e.disruptive[0]);
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	assert_true(alerted(&e, 2));
	assert_true(alerted(&e, 3));
	teardown_env(&e);

	snprintf(conf, sizeof(conf), "SecRuleEngine Off\n%s", rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 5);
	assert_int_equal(e.n, 0);
	teardown_env(&e);
}

/* The CRS's scoring shape: per-paranoia-level sums, macros in operator arguments, and the
 * blocking rule deciding on the threshold. */
static void test_msc_eval_anomaly_scoring(void **state)
{
	const char *conf =
		"SecRuleEngine On\n"
		"SecDefaultAction \"phase:1,log,auditlog,pass\"\n"
		"SecDefaultAction \"phase:2,log,auditlog,pass\"\n"
		"SecAction \"id:900110,phase:1,nolog,pass,setvar:tx.inbound_anomaly_score_threshold=5\"\n"
		"SecRule &TX:critical_anomaly_score \"@eq 0\" \"id:901140,phase:1,nolog,pass,"
		"setvar:tx.critical_anomaly_score=5\"\n"
		"SecRule &TX:notice_anomaly_score \"@eq 0\" \"id:901141,phase:1,nolog,pass,"
		"setvar:tx.notice_anomaly_score=2\"\n"
		"SecAction \"id:901200,phase:1,nolog,pass,setvar:tx.anomaly_score_pl1=0,"
		"setvar:tx.anomaly_score_pl2=0\"\n"
		"SecRule REQUEST_HEADERS:User-Agent \"@rx curl\" \"id:913100,phase:1,block,"
		"msg:'scanner',severity:'CRITICAL',"
		"setvar:'tx.anomaly_score_pl1=+%{tx.critical_anomaly_score}'\"\n"
		"SecRule ARGS \"@rx evil\" \"id:942100,phase:2,block,msg:'notice',"
		"setvar:'tx.anomaly_score_pl2=+%{tx.notice_anomaly_score}'\"\n"
		"SecAction \"id:949060,phase:2,pass,nolog,"
		"setvar:'tx.anomaly_score=+%{tx.anomaly_score_pl1}',"
		"setvar:'tx.anomaly_score=+%{tx.anomaly_score_pl2}'\"\n"
		"SecRule TX:ANOMALY_SCORE \"@ge %{tx.inbound_anomaly_score_threshold}\" "
		"\"id:949110,phase:2,deny,log,msg:'Inbound Anomaly Score Exceeded (Total Score: "
		"%{TX.ANOMALY_SCORE})'\"\n";
	static const struct msc_kv ua_curl[] = { KV("User-Agent", "curl/8.0") };
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	/* one notice-level match: 2 < 5, not blocked */
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 942100));
	assert_false(alerted(&e, 949110));
	assert_string_equal(msc_tx_get(e.tx, "anomaly_score"), "2");
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	teardown_env(&e);
	/* plus a critical one: 7 >= 5 */
	q.c[MSC_C_REQUEST_HEADERS] = (struct msc_list){ ua_curl, 1 };
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 913100));
	assert_true(alerted(&e, 949110));
	assert_string_equal(msg_of(&e, 949110), "Inbound Anomaly Score Exceeded (Total Score: 7)");
	assert_int_equal(e.scores[e.n - 1], 7);
	assert_true(e.disruptive[e.n - 1]);
	assert_int_equal(msc_tx_intercepted(e.tx), 403);
	teardown_env(&e);
}

/*
 * Collection names, setvar and macros as msc_coll.c shortcuts them: caseless names (keys
 * folded at load, entries keep their spelling), values by reference (a lone variable, a
 * variable set from itself), entries growing, macros of several variables, operator
 * arguments that a match of the same link changes, recycled entries under other names.
 */
static void test_msc_eval_coll_setvar_and_macros(void **state)
{
	struct msc_request q;
	struct env e;
	char big[300];

	(void)state;
	base_request(&q);
	setup_env(
		&e,
		"SecAction \"id:1,phase:1,pass,nolog,setvar:tx.MixedCase=abc,setvar:tx.a=1,"
		"setvar:tx.b=2,setvar:tx.grow=ab,setvar:tx.expect=1,setvar:tx.hits=0\"\n"
		/* read in other spellings; MATCHED_VAR_NAME keeps the entry's */
		"SecRule TX:MIXEDCASE \"@streq abc\" \"id:2,phase:1,pass,msg:'%{MATCHED_VAR_NAME}'\"\n"
		"SecRule TX:mixedcase \"@streq %{TX.MIXEDCASE}\" \"id:3,phase:1,pass\"\n"
		/* several variables (one absent) in a value and in a name */
		"SecAction \"id:4,phase:1,pass,nolog,"
		"setvar:'tx.multi=%{tx.a}-%{REQUEST_METHOD}-%{tx.B}%{tx.missing}.',"
		"setvar:'tx.%{tx.a}_%{TX.b}=x'\"\n"
		/* an entry grows past its buffer, from itself; a copy keeps the old value */
		"SecAction \"id:5,phase:1,pass,nolog,setvar:'tx.grow=%{tx.grow}%{tx.grow}',"
		"setvar:'tx.grow=%{tx.grow}%{tx.grow}',setvar:'tx.copy=%{tx.grow}',"
		"setvar:'tx.grow=%{tx.grow}%{tx.grow}',setvar:'tx.grow=%{tx.grow}%{tx.grow}',"
		"setvar:'tx.grow=%{tx.grow}%{tx.grow}',setvar:'tx.grow=%{tx.grow}%{tx.grow}',"
		"setvar:'tx.grow=%{tx.grow}%{tx.grow}',setvar:'tx.same=%{tx.same}',"
		"setvar:'tx.self=x',setvar:'tx.self=%{tx.self}',setvar:'tx.copy=+0'\"\n"
		/* the argument is expanded for each value: a match changes it for the next */
		"SecRule ARGS \"@streq %{tx.expect}\" \"id:6,phase:1,pass,nolog,"
		"setvar:tx.expect=2,setvar:tx.hits=+1\"\n"
		"SecRule REQUEST_HEADERS:User-Agent \"@within x %{tx.grow} Mozilla/5.0 y\" "
		"\"id:7,phase:1,pass\"\n"
		/* an exclusion of one variable leaves the others' values alone */
		"SecRule ARGS|REQUEST_COOKIES|!REQUEST_COOKIES:/^__utm/ \"@streq evil\" "
		"\"id:8,phase:1,pass\"\n"
		"SecRule REQUEST_COOKIES|ARGS_NAMES|!REQUEST_COOKIES:/^__utm/ \"@streq evil\" "
		"\"id:9,phase:1,pass\"\n"
		/* a count before many values: its number survives the element array growing */
		"SecRule &REQUEST_HEADERS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|"
		"ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS|ARGS \"@eq 3\" \"id:10,phase:1,pass\"\n"
		/* names that differ per transaction: recycled entries take the new names and lose
		 * the /selector/ verdicts cached for the old ones (TX:/^m_p/ on m_GET, then m_POST) */
		"SecAction \"id:20,phase:1,pass,nolog,"
		"setvar:'tx.m_%{REQUEST_METHOD}=%{REQUEST_METHOD}'\"\n"
		"SecRule &TX:m_get \"@eq 1\" \"id:21,phase:1,pass\"\n"
		"SecRule TX:/^m_p/ \"@streq POST\" \"id:22,phase:1,pass\"\n"
		"SecRule TX:M_POST \"@streq POST\" \"id:23,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 2);
	assert_string_equal(msg_of(&e, 2), "TX:MixedCase");
	assert_true(alerted(&e, 3));
	assert_string_equal(msc_tx_get(e.tx, "multi"), "1-GET-2.");
	assert_string_equal(msc_tx_get(e.tx, "1_2"), "x");
	memset(big, 0, sizeof(big));
	for (int i = 0; i < 256; i++)
		big[i] = i % 2 ? 'b' : 'a';
	assert_string_equal(msc_tx_get(e.tx, "grow"), big);
	assert_string_equal(msc_tx_get(e.tx, "copy"), "0"); /* "abababab" + 0 */
	assert_string_equal(msc_tx_get(e.tx, "same"), "");
	assert_string_equal(msc_tx_get(e.tx, "self"), "x");
	assert_string_equal(msc_tx_get(e.tx, "hits"), "2"); /* a=1, then a=2 */
	assert_true(alerted(&e, 7));
	assert_true(alerted(&e, 8));
	assert_false(alerted(&e, 9));
	assert_true(alerted(&e, 10));
	assert_true(alerted(&e, 21));
	assert_false(alerted(&e, 22));
	assert_false(alerted(&e, 23));
	/* the next transaction recycles the entries: m_GET's becomes m_POST */
	new_tx(&e);
	q.f[MSC_F_REQUEST_METHOD] = S("POST");
	run_phases(&e, &q, 1, 2);
	assert_null(msc_tx_get(e.tx, "m_get"));
	assert_string_equal(msc_tx_get(e.tx, "M_post"), "POST");
	assert_false(alerted(&e, 21));
	assert_true(alerted(&e, 22));
	assert_true(alerted(&e, 23));
	assert_string_equal(msc_tx_get(e.tx, "multi"), "1-POST-2.");
	teardown_env(&e);
}

static void test_msc_eval_ip_collection_persists_per_context(void **state)
{
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	setup_env(&e, "SecAction \"id:1,phase:1,pass,nolog,initcol:ip=%{REMOTE_ADDR}_x,"
		      "setvar:ip.hits=+1\"\n"
		      "SecRule IP:hits \"@ge 2\" \"id:2,phase:1,pass\"\n"
		      "SecAction \"id:3,phase:1,pass,nolog,setvar:ip.once=1,expirevar:ip.once=1\"\n"
		      "SecRule &IP:once \"@eq 1\" \"id:4,phase:1,pass\"\n");
	run_phases(&e, &q, 1, 1);
	assert_false(alerted(&e, 2));
	assert_true(alerted(&e, 4));
	new_tx(&e); /* one second later: ip.once expired, then set again */
	run_phases(&e, &q, 1, 1);
	assert_true(alerted(&e, 2));
	assert_true(alerted(&e, 4));
	teardown_env(&e);
}

/* Variables the transaction has not seen yet (no body, no response) match nothing; the
 * request body is visible as ModSecurity v2 shows it. */
static void test_msc_eval_request_body_visibility(void **state)
{
	static const struct msc_kv post[] = { KV("p", "evil") };
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	q.f[MSC_F_REQUEST_BODY] = S("p=evil");
	q.c[MSC_C_ARGS_POST] = (struct msc_list){ post, 1 };
	q.f[MSC_F_REQBODY_PROCESSOR] = S("URLENCODED");
	setup_env(&e, "SecRule REQUEST_BODY \"@contains evil\" \"id:1,phase:2\"\n"
		      "SecRule ARGS_POST:p \"@streq evil\" \"id:2,phase:2\"\n"
		      "SecRule RESPONSE_STATUS \"@rx .\" \"id:3,phase:2\"\n"
		      "SecRule RESPONSE_BODY \"@rx secret\" \"id:4,phase:4\"\n");
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 1));
	assert_true(alerted(&e, 2));
	assert_false(alerted(&e, 3));
	/* response: RESPONSE_BODY only with SecResponseBodyAccess On */
	q.f[MSC_F_RESPONSE_STATUS] = S("200");
	q.f[MSC_F_RESPONSE_BODY] = S("a secret");
	q.have_response = true;
	run_phases(&e, &q, 3, 4);
	assert_false(alerted(&e, 4));
	teardown_env(&e);
	setup_env(&e, "SecResponseBodyAccess On\n"
		      "SecRule RESPONSE_BODY \"@rx secret\" \"id:4,phase:4\"\n");
	run_phases(&e, &q, 1, 4);
	assert_true(alerted(&e, 4));
	teardown_env(&e);
	q.f[MSC_F_RESPONSE_STATUS] = (struct msc_str){ 0 };
	q.f[MSC_F_RESPONSE_BODY] = (struct msc_str){ 0 };
	q.have_response = false;
	/* a JSON body is seen through ARGS only, unless forced with no processor */
	q.f[MSC_F_REQBODY_PROCESSOR] = S("JSON");
	setup_env(&e, "SecRule REQUEST_BODY \"@contains evil\" \"id:1,phase:2\"\n"
		      "SecRule ARGS_POST:p \"@streq evil\" \"id:2,phase:2\"\n");
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 1));
	assert_true(alerted(&e, 2));
	teardown_env(&e);
	q.f[MSC_F_REQBODY_PROCESSOR] = (struct msc_str){ 0 };
	setup_env(&e, "SecRule REQBODY_PROCESSOR \"!@rx (?:URLENCODED|JSON)\" "
		      "\"id:9,phase:1,pass,nolog,ctl:forceRequestBodyVariable=On\"\n"
		      "SecRule REQUEST_BODY \"@contains evil\" \"id:1,phase:2\"\n");
	run_phases(&e, &q, 1, 2);
	assert_true(alerted(&e, 1));
	teardown_env(&e);
}

/* XML:/(star) = text nodes, XML://@(star) = attribute values, XML://@NAME = those of NAME;
 * REQUEST_BODY is not seen for an XML body (ModSecurity v2); other XPaths are refused. */
static void test_msc_eval_xml_selectors(void **state)
{
	static const struct msc_kv text[] = { KV("e", "element_value") };
	static const struct msc_kv attrs[] = { KV("java.lang.Runtime", "attribute_value"),
					       KV("href", "java.lang.ProcessBuilder"),
					       KV("Href", "other") };
	struct msc_request q;
	struct env e;
	struct rule_diags d = { 0 };
	struct msc_ruleset *m;

	(void)state;
	base_request(&q);
	q.f[MSC_F_REQUEST_METHOD] = S("POST");
	q.f[MSC_F_REQUEST_BODY] = S("<xml><e java.lang.Runtime=\"attribute_value\" "
				    "href=\"java.lang.ProcessBuilder\" Href=\"other\">"
				    "element_value</e></xml>");
	q.f[MSC_F_REQBODY_PROCESSOR] = S("XML");
	q.c[MSC_C_XML] = (struct msc_list){ text, 1 };
	q.c[MSC_C_XML_ATTR] = (struct msc_list){ attrs, 3 };
	setup_env(&e, "SecRule XML:/* \"@rx runtime\" \"id:1,phase:2,t:lowercase\"\n"
		      "SecRule XML://@* \"@rx runtime\" \"id:2,phase:2,t:lowercase\"\n"
		      "SecRule XML://@* \"@rx processbuilder\" \"id:3,phase:2,t:lowercase,"
		      "logdata:'%{MATCHED_VAR}'\"\n"
		      "SecRule XML:/* \"@streq element_value\" \"id:4,phase:2\"\n"
		      "SecRule XML:/* \"@streq attribute_value\" \"id:5,phase:2\"\n"
		      "SecRule XML://@href \"@streq java.lang.ProcessBuilder\" \"id:6,phase:2\"\n"
		      "SecRule XML://@href \"@streq other\" \"id:7,phase:2\"\n"
		      "SecRule XML://@Href \"@streq other\" \"id:8,phase:2\"\n"
		      "SecRule REQUEST_BODY \"@rx runtime\" \"id:9,phase:2,t:lowercase\"\n"
		      "SecRule &XML://@* \"@eq 3\" \"id:10,phase:2\"\n"
		      "SecRule XML:/*|XML://@* \"@rx ^other$\" \"id:11,phase:2\"\n"
		      "SecRule XML:/*|XML://@*|!XML://@Href \"@rx ^other$\" \"id:12,phase:2\"\n"
		      "SecRule XML://@*|!XML://@* \"@rx .\" \"id:13,phase:2\"\n"
		      "SecAction \"id:14,phase:1,pass,nolog,ctl:ruleRemoveTargetById=15;XML:/*\"\n"
		      "SecRule XML:/*|XML://@href \"@rx _value|Process\" \"id:15,phase:2,"
		      "pass,log,multiMatch,logdata:'%{MATCHED_VAR}'\"\n");
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 1)); /* names are not values */
	assert_false(alerted(&e, 2));
	assert_true(alerted(&e, 3));
	assert_string_equal(logdata_of(&e, 3), "java.lang.processbuilder");
	assert_true(alerted(&e, 4));
	assert_false(alerted(&e, 5)); /* attribute values are not text */
	assert_true(alerted(&e, 6));
	assert_false(alerted(&e, 7)); /* XPath names are case-sensitive */
	assert_true(alerted(&e, 8));
	assert_false(alerted(&e, 9));
	assert_true(alerted(&e, 10));
	assert_true(alerted(&e, 11));
	assert_false(alerted(&e, 12)); /* the one attribute that matched is excluded */
	assert_false(alerted(&e, 13));
	/* the text node is removed from 15's targets, the href attribute stays */
	assert_true(alerted(&e, 15));
	assert_string_equal(logdata_of(&e, 15), "java.lang.ProcessBuilder");
	teardown_env(&e);

	/* an XPath we do not evaluate is an error naming the place, not a silent guess */
	assert_int_equal(msc_ruleset_new(&m), 0);
	assert_true(msc_load_string(m, "SecRule XML:/a/b[1] \"@rx x\" \"id:1,phase:2\"\n", "x.conf",
				    false, &d) < 0 ||
		    d.n > 0);
	assert_true(d.n > 0);
	assert_int_equal(d.v[0].line, 1);
	assert_non_null(strstr(d.v[0].message, "XML selector '/a/b[1]' is not supported"));
	rule_diags_done(&d);
	msc_ruleset_free(m);
}

static const char *find_msg(const struct env *e, uint32_t id, const char *needle)
{
	for (size_t i = 0; i < e->n; i++)
		if (e->ids[i] == id && strstr(e->msgs[i], needle))
			return e->msgs[i];
	return NULL;
}

/* SecRequestBodyLimitAction Reject: 413 before phase 2's rules for a body over
 * SecRequestBodyLimit or a no-files part over SecRequestBodyNoFilesLimit; DetectionOnly
 * reports it; ProcessPartial (default) and SecRequestBodyAccess Off leave it alone. */
static void test_msc_eval_request_body_limits(void **state)
{
	static const struct msc_kv post[] = { KV("p", "evil") };
	static const struct msc_kv sizes[] = { KV("up", "900"), KV("up2", "50") };
	static const char rules[] = "SecRequestBodyLimit 1000\n"
				    "SecRequestBodyNoFilesLimit 100\n"
				    "SecRule ARGS_POST:p \"@streq evil\" \"id:2,phase:2,pass\"\n"
				    "SecAction \"id:5,phase:5,pass,log\"\n";
	char conf[512];
	struct msc_request q;
	struct env e;

	(void)state;
	base_request(&q);
	q.f[MSC_F_REQUEST_METHOD] = S("POST");
	q.f[MSC_F_REQBODY_PROCESSOR] = S("URLENCODED");
	q.f[MSC_F_REQUEST_BODY] = S("p=evil");
	q.c[MSC_C_ARGS_POST] = (struct msc_list){ post, 1 };
	q.request_body_len = 1001; /* over SecRequestBodyLimit (the HTTP layer kept less) */

	/* Reject under SecRuleEngine On: one alert naming the limit, 413, no phase 2 rule */
	snprintf(conf, sizeof(conf),
		 "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimitAction Reject\n%s",
		 rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 5);
	assert_true(alerted(&e, 0));
	assert_non_null(find_msg(&e, 0,
				 "(1001 bytes) is larger than the configured limit "
				 "(SecRequestBodyLimit 1000)"));
	assert_true(e.disruptive[0]);
	assert_int_equal(msc_tx_intercepted(e.tx), 413);
	assert_false(alerted(&e, 2));
	assert_true(alerted(&e, 5)); /* logging still runs */
	assert_int_equal(msc_ctx_stats(e.ctx)->body_limit_hits, 1);
	/* at the limit: nothing */
	new_tx(&e);
	q.request_body_len = 100;
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 0));
	assert_true(alerted(&e, 2));
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	/* no files data over SecRequestBodyNoFilesLimit (urlencoded: the whole body) */
	new_tx(&e);
	q.request_body_len = 101;
	run_phases(&e, &q, 1, 2);
	assert_non_null(find_msg(&e, 0,
				 "no files data length (101 bytes) is larger than the "
				 "configured limit (SecRequestBodyNoFilesLimit 100)"));
	assert_int_equal(msc_tx_intercepted(e.tx), 413);
	assert_false(alerted(&e, 2));
	/* multipart: file contents do not count (1000 kept - 950 of files = 50) ... */
	new_tx(&e);
	q.f[MSC_F_REQBODY_PROCESSOR] = S("MULTIPART");
	q.f[MSC_F_REQUEST_BODY] = (struct msc_str){ (const uint8_t *)conf, 1000 };
	q.c[MSC_C_FILES_SIZES] = (struct msc_list){ sizes, 2 };
	q.request_body_len = 1000;
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 0));
	assert_true(alerted(&e, 2));
	/* ... the rest does: without the files, 1000 bytes > 100 */
	new_tx(&e);
	q.c[MSC_C_FILES_SIZES] = (struct msc_list){ sizes, 0 };
	run_phases(&e, &q, 1, 2);
	assert_non_null(find_msg(&e, 0, "no files data length (1000 bytes)"));
	assert_int_equal(msc_tx_intercepted(e.tx), 413);
	/* ctl:requestBodyAccess=Off: the body is not read, so no limit applies */
	teardown_env(&e);
	snprintf(conf, sizeof(conf),
		 "SecRuleEngine On\nSecRequestBodyAccess On\nSecRequestBodyLimitAction Reject\n"
		 "SecAction \"id:9,phase:1,pass,nolog,ctl:requestBodyAccess=Off\"\n%s",
		 rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 0));
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	teardown_env(&e);

	/* DetectionOnly: reported (a decision, not executed), phase 2 goes on */
	q.f[MSC_F_REQBODY_PROCESSOR] = S("URLENCODED");
	q.f[MSC_F_REQUEST_BODY] = S("p=evil");
	q.c[MSC_C_FILES_SIZES] = (struct msc_list){ NULL, 0 };
	q.request_body_len = 5000;
	snprintf(conf, sizeof(conf),
		 "SecRuleEngine DetectionOnly\nSecRequestBodyAccess On\n"
		 "SecRequestBodyLimitAction Reject\n%s",
		 rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	assert_non_null(find_msg(&e, 0, "SecRequestBodyLimit 1000"));
	assert_false(e.disruptive[0]);
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	assert_true(alerted(&e, 2));
	teardown_env(&e);

	/* ProcessPartial (the default): no alert, the kept part is evaluated */
	snprintf(conf, sizeof(conf), "SecRuleEngine On\nSecRequestBodyAccess On\n%s", rules);
	setup_env(&e, conf);
	run_phases(&e, &q, 1, 2);
	assert_false(alerted(&e, 0));
	assert_true(alerted(&e, 2));
	assert_int_equal(msc_tx_intercepted(e.tx), 0);
	assert_int_equal(msc_ctx_stats(e.ctx)->body_limit_hits, 0);
	teardown_env(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msc_eval_operators_and_msg_macros),
		cmocka_unit_test(test_msc_eval_chain_needs_every_link),
		cmocka_unit_test(test_msc_eval_skip_and_skip_after),
		cmocka_unit_test(test_msc_eval_tx_compare),
		cmocka_unit_test(test_msc_eval_setvar_forms_and_per_match),
		cmocka_unit_test(test_msc_eval_exclusions_and_counts),
		cmocka_unit_test(test_msc_eval_ctl_actions),
		cmocka_unit_test(test_msc_eval_capture_and_matched_vars),
		cmocka_unit_test(test_msc_eval_transformations_multimatch_and_cache),
		cmocka_unit_test(test_msc_eval_rx_prefilter_groups_decide_the_same),
		cmocka_unit_test(test_msc_eval_pm_groups_decide_the_same),
		cmocka_unit_test(test_msc_eval_tx_collection_index),
		cmocka_unit_test(test_msc_eval_literal_selectors_match_as_pcre2),
		cmocka_unit_test(test_msc_eval_rx_prechecks),
		cmocka_unit_test(test_msc_eval_verdict_cache),
		cmocka_unit_test(test_msc_eval_shared_targets),
		cmocka_unit_test(test_msc_eval_needed_classes_skip_links),
		cmocka_unit_test(test_msc_eval_numbers_as_strtoll),
		cmocka_unit_test(test_msc_eval_disruptive_and_engine_modes),
		cmocka_unit_test(test_msc_eval_anomaly_scoring),
		cmocka_unit_test(test_msc_eval_coll_setvar_and_macros),
		cmocka_unit_test(test_msc_eval_ip_collection_persists_per_context),
		cmocka_unit_test(test_msc_eval_request_body_visibility),
		cmocka_unit_test(test_msc_eval_xml_selectors),
		cmocka_unit_test(test_msc_eval_request_body_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
