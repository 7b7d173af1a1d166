// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for policyd/offender: scoring, decay, drop rules, escalation, aggregation, cap
 * (table-driven, the clock injected). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <string.h>
#include <arpa/inet.h>
#include <cmocka.h>

#include "policyd/offender.h"

#define S 1000000000ull

static struct offender_config base_cfg(void)
{
	return (struct offender_config){
		.threshold = 10,
		.weight = { 10, 5, 2, 1 },
		.window_ns = 60 * S,
		.ban_on_drop = true,
		.ban_ns = 600 * S,
		.ban_max_ns = 7200 * S,
		.escalate = 4,
		.forget_ns = 86400 * S,
		.v4_prefix = 32,
		.v6_prefix = 64,
		.max_entries = 1024,
	};
}

struct step {
	const char *src;
	int priority;
	bool drop;
	uint64_t at_s; /* clock in seconds */
	bool want_ban;
	uint64_t want_ban_s; /* when want_ban */
	double want_score; /* score after the alert (< 0: not checked) */
};

struct scenario {
	const char *name;
	struct step steps[12];
};

static void addr_of(const char *s, int *fam, uint8_t a[16])
{
	memset(a, 0, 16);
	if (inet_pton(AF_INET, s, a) == 1)
		*fam = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, s, a), 1);
		*fam = AF_INET6;
	}
}

static const struct scenario scenarios[] = {
	{ "one priority-1 alert bans at once",
	  { { "198.18.0.1", 1, false, 0, true, 600, 10 }, { NULL } } },
	{ "priority-3 alerts add up to the threshold",
	  { { "198.18.0.1", 3, false, 0, false, 0, 2 },
	    { "198.18.0.1", 3, false, 0, false, 0, 4 },
	    { "198.18.0.1", 3, false, 0, false, 0, 6 },
	    { "198.18.0.1", 3, false, 0, false, 0, 8 },
	    { "198.18.0.1", 3, false, 0, true, 600, 10 },
	    { NULL } } },
	{ "scores leak at threshold per window",
	  /* 5 + 5 - (30 s leak = 5) = 5: no ban; 5 more at once: 10 */
	  { { "198.18.0.1", 2, false, 0, false, 0, 5 },
	    { "198.18.0.1", 2, false, 30, false, 0, 5 },
	    { "198.18.0.1", 2, false, 30, true, 600, 10 },
	    { NULL } } },
	{ "a trickle below the rate never bans",
	  { { "198.18.0.1", 3, false, 0, false, 0, 2 },
	    { "198.18.0.1", 3, false, 12, false, 0, 2 },
	    { "198.18.0.1", 3, false, 24, false, 0, 2 },
	    { "198.18.0.1", 3, false, 36, false, 0, 2 },
	    { "198.18.0.1", 3, false, 48, false, 0, 2 },
	    { "198.18.0.1", 3, false, 60, false, 0, 2 },
	    { NULL } } },
	{ "a drop rule bans at once whatever its priority",
	  { { "198.18.0.1", 4, true, 0, true, 600, 1 }, { NULL } } },
	{ "repeat offences escalate up to the maximum",
	  { { "198.18.0.1", 1, false, 0, true, 600, -1 },
	    { "198.18.0.1", 1, false, 100, false, 0, -1 }, /* banned already */
	    { "198.18.0.1", 1, false, 700, true, 2400, -1 },
	    { "198.18.0.1", 1, false, 4000, true, 7200, -1 }, /* 9600 capped */
	    { "198.18.0.1", 1, false, 20000, true, 7200, -1 },
	    { NULL } } },
	{ "offences are forgotten after a day without bans",
	  { { "198.18.0.1", 1, false, 0, true, 600, -1 },
	    { "198.18.0.1", 1, false, 600 + 86401, true, 600, -1 },
	    { NULL } } },
	{ "IPv6 sources of one /64 share a score",
	  { { "fd00:6d6f:6174:1::1", 2, false, 0, false, 0, 5 },
	    { "fd00:6d6f:6174:1::ffff", 2, false, 0, true, 600, 10 },
	    { "fd00:6d6f:6174:2::1", 2, false, 0, false, 0, 5 },
	    { NULL } } },
	{ "IPv4 sources are scored apart",
	  { { "198.18.0.1", 2, false, 0, false, 0, 5 },
	    { "198.18.0.2", 2, false, 0, false, 0, 5 },
	    { NULL } } },
	{ "priorities out of range clamp",
	  { { "198.18.0.1", 0, false, 0, true, 600, 10 },
	    { "198.18.0.2", 9, false, 0, false, 0, 1 },
	    { NULL } } },
};

static void test_offender_scenarios(void **state)
{
	for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
		const struct scenario *sc = &scenarios[i];
		struct offender_config cfg = base_cfg();
		struct offender_table *t = NULL;

		assert_int_equal(offender_table_new(&cfg, &t), 0);
		for (const struct step *st = sc->steps; st->src; st++) {
			struct offender_verdict v;
			uint8_t a[16];
			int fam;

			addr_of(st->src, &fam, a);
			assert_int_equal(offender_alert(t, fam, a, st->priority, st->drop, 1000,
							st->at_s * S, &v),
					 0);
			if (v.ban != st->want_ban)
				fail_msg("%s: step %zu: ban %d, want %d", sc->name,
					 (size_t)(st - sc->steps), v.ban, st->want_ban);
			if (st->want_ban && v.ban_ns != st->want_ban_s * S)
				fail_msg("%s: step %zu: ban %llu s, want %llu", sc->name,
					 (size_t)(st - sc->steps),
					 (unsigned long long)(v.ban_ns / S),
					 (unsigned long long)st->want_ban_s);
			if (st->want_score >= 0 &&
			    (v.score < st->want_score - 1e-9 || v.score > st->want_score + 1e-9))
				fail_msg("%s: step %zu: score %f, want %f", sc->name,
					 (size_t)(st - sc->steps), v.score, st->want_score);
		}
		offender_table_free(t);
	}
}

static void test_offender_prefix_aggregation(void **state)
{
	struct offender_config cfg = base_cfg();
	char buf[CIDR_STRLEN];
	struct cidr p;
	uint8_t a[16];
	int fam;

	addr_of("fd00:6d6f:6174:1:2:3:4:5", &fam, a);
	offender_prefix(&cfg, fam, a, &p);
	assert_string_equal(cidr_format(&p, buf, sizeof(buf)), "fd00:6d6f:6174:1::/64");
	cfg.v6_prefix = 128;
	offender_prefix(&cfg, fam, a, &p);
	assert_string_equal(cidr_format(&p, buf, sizeof(buf)), "fd00:6d6f:6174:1:2:3:4:5/128");
	cfg.v4_prefix = 24;
	addr_of("198.18.7.9", &fam, a);
	offender_prefix(&cfg, fam, a, &p);
	assert_string_equal(cidr_format(&p, buf, sizeof(buf)), "198.18.7.0/24");
}

static void test_offender_verdict_names_sids(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;
	struct offender_verdict v;
	uint8_t a[16];
	int fam;

	addr_of("198.18.0.9", &fam, a);
	assert_int_equal(offender_table_new(&cfg, &t), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 11, 0, &v), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 22, 0, &v), 0);
	assert_true(v.ban);
	assert_false(v.drop_rule);
	assert_int_equal(v.n_sids, 2);
	assert_int_equal(v.sids[0], 11);
	assert_int_equal(v.sids[1], 22);
	assert_int_equal(v.offences, 1);
	/* after the ban the score starts over */
	assert_true(offender_score(t, fam, a, 0) == 0);
	offender_table_free(t);
}

static void test_offender_sids_distinct_most_recent_last(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;
	struct offender_verdict v;
	uint8_t a[16];
	int fam;

	(void)state;
	cfg.threshold = 1e6;
	addr_of("198.18.0.9", &fam, a);
	assert_int_equal(offender_table_new(&cfg, &t), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 11, 0, &v), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 22, 0, &v), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 11, 0, &v), 0);
	assert_int_equal(offender_alert(t, fam, a, 2, false, 11, 0, &v), 0);
	assert_false(v.ban);
	assert_int_equal(v.n_sids, 2);
	assert_int_equal(v.sids[0], 22);
	assert_int_equal(v.sids[1], 11);
	offender_table_free(t);
}

static void test_offender_cap_evicts_least_recent(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;
	struct offender_verdict v;
	struct offender_stats st;
	uint8_t a[16] = { 198, 18, 0, 0 };

	cfg.max_entries = 16;
	assert_int_equal(offender_table_new(&cfg, &t), 0);
	for (int i = 0; i < 40; i++) {
		a[3] = (uint8_t)i;
		assert_int_equal(offender_alert(t, AF_INET, a, 3, false, 1, (uint64_t)i, &v), 0);
	}
	offender_get_stats(t, &st);
	assert_int_equal(st.entries, 16);
	assert_int_equal(st.evicted, 24);
	a[3] = 0; /* evicted: starts from zero */
	assert_true(offender_score(t, AF_INET, a, 40) == 0);
	a[3] = 39;
	assert_true(offender_score(t, AF_INET, a, 40) > 1.9);
	offender_table_free(t);
}

static void test_offender_expire_keeps_history(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;
	struct offender_verdict v;
	uint8_t a[16] = { 198, 18, 0, 1 }, b[16] = { 198, 18, 0, 2 };

	assert_int_equal(offender_table_new(&cfg, &t), 0);
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 1, 0, &v), 0); /* banned */
	assert_int_equal(offender_alert(t, AF_INET, b, 4, false, 1, 0, &v), 0); /* score 1 */
	assert_int_equal(offender_expire(t, 3 * S), 0);
	/* b decayed to zero (1 point leaks in 6 s); a keeps its offence history */
	assert_int_equal(offender_expire(t, 700 * S), 1);
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 1, 800 * S, &v), 0);
	assert_int_equal(v.ban_ns, 2400 * S);
	assert_int_equal(offender_expire(t, (800 + 2400 + 86401) * S), 1);
	offender_table_free(t);
}

static void test_offender_rejects_bad_config(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;

	cfg.max_entries = 0;
	assert_int_equal(offender_table_new(&cfg, &t), -EINVAL);
	cfg = base_cfg();
	cfg.threshold = 0;
	assert_int_equal(offender_table_new(&cfg, &t), -EINVAL);
	assert_null(t);
}

struct seen {
	struct offender_snapshot v[4];
	size_t n;
};

static void seen_cb(void *ctx, const struct offender_snapshot *o)
{
	struct seen *s = ctx;

	assert_true(s->n < 4);
	s->v[s->n++] = *o;
}

/* offender_foreach reports every prefix, most recent first, with the score decayed to now. */
static void test_offender_foreach_snapshot(void **state)
{
	struct offender_config cfg = base_cfg();
	struct offender_table *t = NULL;
	struct offender_verdict v;
	uint8_t a[16] = { 198, 18, 0, 1 }, b[16] = { 198, 18, 0, 2 };
	struct seen s = { 0 };
	char buf[CIDR_STRLEN];

	assert_int_equal(offender_table_new(&cfg, &t), 0);
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 7, 0, &v), 0); /* banned */
	assert_int_equal(offender_alert(t, AF_INET, b, 2, false, 8, 1 * S, &v), 0); /* 5 */
	assert_int_equal(offender_foreach(t, 7 * S, seen_cb, &s), 2);
	assert_int_equal(s.n, 2);
	assert_string_equal(cidr_format(&s.v[0].prefix, buf, sizeof(buf)), "198.18.0.2/32");
	assert_false(s.v[0].banned);
	assert_int_equal(s.v[0].offences, 0);
	/* 6 s at threshold 10 per 60 s leak 1 point */
	assert_true(s.v[0].score > 3.99 && s.v[0].score < 4.01);
	assert_int_equal(s.v[0].n_sids, 1);
	assert_int_equal(s.v[0].sids[0], 8);
	assert_string_equal(cidr_format(&s.v[1].prefix, buf, sizeof(buf)), "198.18.0.1/32");
	assert_true(s.v[1].banned);
	assert_int_equal(s.v[1].offences, 1);
	assert_true(s.v[1].score == 0);
	/* the ban cleared the score and rules; the snapshot keeps what it was decided on */
	assert_int_equal(s.v[1].n_sids, 0);
	assert_true(s.v[1].ban_score >= 10);
	assert_int_equal(s.v[1].n_ban_sids, 1);
	assert_int_equal(s.v[1].ban_sids[0], 7);
	assert_false(s.v[0].ban_score != 0 || s.v[0].n_ban_sids);
	/* past the ban's end it no longer counts as banned */
	s.n = 0;
	offender_foreach(t, 601 * S, seen_cb, &s);
	assert_false(s.v[1].banned);
	assert_int_equal(s.v[1].n_ban_sids, 0);
	/* a ban restored from the state file carries its score and rules too */
	offender_note_ban(t, &s.v[0].prefix, 1, 700 * S, 12.5, (const uint32_t[]){ 3, 4 }, 2);
	s.n = 0;
	offender_foreach(t, 601 * S, seen_cb, &s);
	assert_true(s.v[0].banned && s.v[0].ban_score == 12.5);
	assert_int_equal(s.v[0].n_ban_sids, 2);
	assert_int_equal(s.v[0].ban_sids[1], 4);
	offender_table_free(t);
}

/* A new threshold, window and ban time apply to the next alert; table shape is kept. */
static void test_offender_set_config_at_run_time(void **state)
{
	struct offender_config cfg = base_cfg(), got;
	struct offender_table *t = NULL;
	struct offender_verdict v;
	uint8_t a[16] = { 198, 18, 0, 1 };

	assert_int_equal(offender_table_new(&cfg, &t), 0);
	cfg.threshold = 25;
	cfg.ban_ns = 30 * S;
	cfg.max_entries = 1; /* ignored: the table keeps its cap */
	cfg.v4_prefix = 24; /* ignored */
	offender_set_config(t, &cfg);
	offender_get_config(t, &got);
	assert_true(got.threshold == 25);
	assert_int_equal(got.ban_ns, 30 * S);
	assert_int_equal(got.max_entries, 1024);
	assert_int_equal(got.v4_prefix, 32);
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 1, 0, &v), 0);
	assert_false(v.ban); /* 10 < 25 */
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 1, 0, &v), 0);
	assert_false(v.ban); /* 20 < 25 */
	assert_int_equal(offender_alert(t, AF_INET, a, 1, false, 1, 0, &v), 0);
	assert_true(v.ban); /* 30 */
	assert_int_equal(v.ban_ns, 30 * S);
	offender_table_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_offender_scenarios),
		cmocka_unit_test(test_offender_prefix_aggregation),
		cmocka_unit_test(test_offender_verdict_names_sids),
		cmocka_unit_test(test_offender_sids_distinct_most_recent_last),
		cmocka_unit_test(test_offender_cap_evicts_least_recent),
		cmocka_unit_test(test_offender_expire_keeps_history),
		cmocka_unit_test(test_offender_rejects_bad_config),
		cmocka_unit_test(test_offender_foreach_snapshot),
		cmocka_unit_test(test_offender_set_config_at_run_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
