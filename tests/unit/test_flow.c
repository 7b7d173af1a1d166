/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for dpi/flow.c: bidirectional lookup, orientation, ids, timeouts, cap, eviction. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dpi/app.h"
#include "dpi/flow.h"
#include "pkt_build.h"

struct ended {
	int n;
	int reasons[8];
	uint64_t last_id;
};

static void on_end(void *ctx, struct flow *f, int reason)
{
	struct ended *e = ctx;

	if (e->n < 8)
		e->reasons[e->n] = reason;
	e->n++;
	e->last_id = f->flow_id;
}

/* Decode a TCP or UDP packet between 198.18.0.a:sport and 198.18.0.b:dport. */
static struct packet mk(int proto, uint8_t a, uint16_t sport, uint8_t b, uint16_t dport,
			uint8_t tcp_flags, uint16_t vlan, uint64_t ts)
{
	static struct pb f; /* frames stay valid while the packet is used */
	struct pb_ip ip;
	struct packet p = { .ts_us = ts };
	const struct decode_config cfg = { .checksum_validation = true };

	pb_v4(&ip, 0xc6120000u | a, 0xc6120000u | b);
	ip.vlan[0] = vlan;
	if (proto == IPPROTO_TCP) {
		struct pb_tcp t = { .sport = sport, .dport = dport, .seq = 1, .flags = tcp_flags };

		pb_tcp_frame(&f, &ip, &t, NULL, 0);
	} else {
		pb_udp_frame(&f, &ip, sport, dport, "q", 1);
	}
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &cfg, NULL),
			 DECODE_OK);
	return p;
}

static struct flow_table *table(uint32_t max, struct ended *e)
{
	struct flow_table_config cfg;

	flow_table_config_init(&cfg);
	cfg.max_flows = max;
	cfg.hash_seed = 42;
	return flow_table_new(&cfg, on_end, e);
}

static void test_flow_bidirectional_counters(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = table(100, &e);
	struct packet p1 = mk(IPPROTO_TCP, 1, 40000, 2, 80, TCP_SYN, 0, 1000);
	struct packet p2 = mk(IPPROTO_TCP, 2, 80, 1, 40000, TCP_SYN | TCP_ACK, 0, 2000);
	struct flow *f1, *f2;
	int d1, d2;

	f1 = flow_table_get(t, &p1, &d1);
	f2 = flow_table_get(t, &p2, &d2);
	assert_ptr_equal(f1, f2);
	assert_int_equal(d1, APP_DIR_TOSERVER);
	assert_int_equal(d2, APP_DIR_TOCLIENT);
	assert_int_equal(f1->key.port[0], 40000);
	assert_int_equal(f1->key.port[1], 80);
	assert_int_equal(f1->pkts[0], 1);
	assert_int_equal(f1->pkts[1], 1);
	assert_int_equal(f1->bytes[0], p1.frame_len);
	assert_int_equal(f1->tcp_flags[0], TCP_SYN);
	assert_int_equal(f1->tcp_flags[1], TCP_SYN | TCP_ACK);
	assert_int_equal(f1->start_us, 1000);
	assert_int_equal(f1->last_us, 2000);
	assert_int_not_equal(f1->flow_id, 0);
	assert_true(f1->flow_id < (1ull << 51));
	assert_int_equal(flow_hash_packet(&p1), flow_hash_packet(&p2));
	assert_int_equal(flow_table_stats(t)->active, 1);
	flow_table_free(t);
	assert_int_equal(e.n, 1);
	assert_int_equal(e.reasons[0], FLOW_END_SHUTDOWN);
}

/* Who the client is, by the first packet of the flow. */
static void test_flow_orientation_table(void **state)
{
	static const struct {
		const char *name;
		int proto;
		uint16_t sport, dport;
		uint8_t flags;
		int want_dir; /* direction of the first packet */
	} cases[] = {
		{ "syn sender", IPPROTO_TCP, 40000, 80, TCP_SYN, APP_DIR_TOSERVER },
		{ "syn/ack receiver", IPPROTO_TCP, 80, 40000, TCP_SYN | TCP_ACK, APP_DIR_TOCLIENT },
		{ "midstream from well-known port", IPPROTO_TCP, 80, 40000, TCP_ACK,
		  APP_DIR_TOCLIENT },
		{ "midstream to well-known port", IPPROTO_TCP, 40000, 80, TCP_ACK,
		  APP_DIR_TOSERVER },
		{ "midstream both ephemeral", IPPROTO_TCP, 5000, 40000, TCP_ACK, APP_DIR_TOSERVER },
		{ "syn from well-known port", IPPROTO_TCP, 80, 40000, TCP_SYN, APP_DIR_TOSERVER },
		{ "udp reply first", IPPROTO_UDP, 53, 33333, 0, APP_DIR_TOCLIENT },
		{ "udp query first", IPPROTO_UDP, 33333, 53, 0, APP_DIR_TOSERVER },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct ended e = { 0 };
		struct flow_table *t = table(10, &e);
		struct packet p = mk(cases[i].proto, 1, cases[i].sport, 2, cases[i].dport,
				     cases[i].flags, 0, 1);
		int dir;
		struct flow *f = flow_table_get(t, &p, &dir);

		print_message("case %s\n", cases[i].name);
		assert_non_null(f);
		assert_int_equal(dir, cases[i].want_dir);
		/* the key's [0] is the client */
		assert_int_equal(f->key.port[0],
				 dir == APP_DIR_TOSERVER ? cases[i].sport : cases[i].dport);
		flow_table_free(t);
	}
}

static void test_flow_vlan_and_id_stability(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t1 = table(10, &e), *t2 = table(10, &e);
	struct packet a = mk(IPPROTO_UDP, 1, 3000, 2, 53, 0, 100, 5);
	struct packet b = mk(IPPROTO_UDP, 1, 3000, 2, 53, 0, 200, 5);
	struct packet c = mk(IPPROTO_UDP, 1, 3000, 2, 53, 0, 100, 6);
	struct flow *fa, *fb, *fa2;
	uint64_t ida;
	int d;

	fa = flow_table_get(t1, &a, &d);
	fb = flow_table_get(t1, &b, &d);
	assert_ptr_not_equal(fa, fb); /* VLAN id is part of the key */
	assert_int_not_equal(fa->flow_id, fb->flow_id);
	ida = fa->flow_id;
	fa2 = flow_table_get(t2, &a, &d); /* same tuple + start in another table */
	assert_int_equal(fa2->flow_id, ida);
	flow_table_end_all(t2, FLOW_END_SHUTDOWN);
	fa2 = flow_table_get(t2, &c, &d); /* later start: another id */
	assert_int_not_equal(fa2->flow_id, ida);
	flow_table_free(t1);
	flow_table_free(t2);
}

static void test_flow_timeouts_by_state(void **state)
{
	struct ended e = { 0 };
	struct flow_table_config cfg;
	struct flow_table *t;
	struct packet u1 = mk(IPPROTO_UDP, 1, 3000, 2, 53, 0, 0, 0);
	struct packet u2 = mk(IPPROTO_UDP, 3, 3000, 2, 53, 0, 0, 0);
	struct packet r2 = mk(IPPROTO_UDP, 2, 53, 3, 3000, 0, 0, 0);
	struct flow *f;
	int d;

	flow_table_config_init(&cfg);
	cfg.timeout_us[FLOW_PROTO_UDP][FLOW_STATE_NEW] = 10;
	cfg.timeout_us[FLOW_PROTO_UDP][FLOW_STATE_ESTABLISHED] = 100;
	t = flow_table_new(&cfg, on_end, &e);
	f = flow_table_get(t, &u1, &d);
	assert_int_equal(f->state, FLOW_STATE_NEW);
	flow_table_get(t, &u2, &d);
	f = flow_table_get(t, &r2, &d); /* a reply: established */
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
	assert_int_equal(flow_table_expire(t, 5), 0);
	assert_int_equal(flow_table_expire(t, 50), 1); /* the new one */
	assert_int_equal(e.reasons[0], FLOW_END_TIMEOUT);
	assert_int_equal(flow_table_stats(t)->active, 1);
	assert_int_equal(flow_table_expire(t, 150), 1);
	assert_int_equal(flow_table_stats(t)->ended[FLOW_END_TIMEOUT], 2);
	assert_int_equal(flow_table_stats(t)->active, 0);
	flow_table_free(t);
	assert_int_equal(e.n, 2);
}

/* At the cap the least recently used flow is evicted (counted, reason forced). */
static void test_flow_cap_evicts_lru(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = table(3, &e);
	int d;

	for (uint16_t i = 0; i < 3; i++) {
		struct packet p = mk(IPPROTO_UDP, 1, (uint16_t)(2000 + i), 2, 53, 0, 0, i);

		flow_table_get(t, &p, &d);
	}
	{ /* touch the oldest so that the second becomes the LRU */
		struct packet p = mk(IPPROTO_UDP, 1, 2000, 2, 53, 0, 0, 10);

		flow_table_get(t, &p, &d);
	}
	{
		struct packet p = mk(IPPROTO_UDP, 1, 2999, 2, 53, 0, 0, 11);
		struct packet lru = mk(IPPROTO_UDP, 1, 2001, 2, 53, 0, 0, 11);

		assert_non_null(flow_table_get(t, &p, &d));
		assert_int_equal(e.n, 1);
		assert_int_equal(e.reasons[0], FLOW_END_FORCED);
		assert_null(flow_table_lookup(t, &lru, &d));
	}
	assert_int_equal(flow_table_stats(t)->evicted, 1);
	assert_int_equal(flow_table_stats(t)->active, 3);
	assert_int_equal(flow_table_stats(t)->peak, 3);
	flow_table_free(t);
	assert_int_equal(e.n, 4);
}

/* The one-entry cache of the last flow: hits keep directions, counters and LRU order;
 * a near tuple (other port, other VLAN) is not a hit; an ended flow is never returned. */
static void test_flow_last_flow_cache(void **state)
{
	struct ended e = { 0 };
	struct flow_table *t = table(2, &e);
	struct packet a = mk(IPPROTO_TCP, 1, 40000, 2, 80, TCP_SYN, 0, 1);
	struct packet a_rev = mk(IPPROTO_TCP, 2, 80, 1, 40000, TCP_SYN | TCP_ACK, 0, 2);
	struct packet a_port = mk(IPPROTO_TCP, 1, 40001, 2, 80, TCP_SYN, 0, 3);
	struct packet a_vlan = mk(IPPROTO_TCP, 1, 40000, 2, 80, TCP_SYN, 7, 4);
	struct flow *f, *g;
	int d;

	f = flow_table_get(t, &a, &d);
	assert_non_null(f);
	assert_int_equal(d, APP_DIR_TOSERVER);
	assert_ptr_equal(flow_table_get(t, &a_rev, &d), f);
	assert_int_equal(d, APP_DIR_TOCLIENT);
	assert_ptr_equal(flow_table_get(t, &a, &d), f);
	assert_int_equal(d, APP_DIR_TOSERVER);
	assert_int_equal(f->pkts[APP_DIR_TOSERVER], 2);
	assert_int_equal(f->pkts[APP_DIR_TOCLIENT], 1);
	assert_int_equal(f->last_us, 2);

	g = flow_table_get(t, &a_port, &d);
	assert_non_null(g);
	assert_ptr_not_equal(g, f);
	/* g is the LRU tail and the cached flow; repeated hits must not disturb the order */
	assert_ptr_equal(flow_table_get(t, &a_port, &d), g);
	assert_ptr_equal(flow_table_get(t, &a_port, &d), g);
	/* cap 2: the VLAN twin of a evicts the least recently used, which is a's flow */
	assert_non_null(flow_table_get(t, &a_vlan, &d));
	assert_int_equal(e.n, 1);
	assert_null(flow_table_lookup(t, &a, &d));
	assert_ptr_equal(flow_table_lookup(t, &a_port, &d), g);

	/* end the cached flow: the same tuple then makes a new flow with fresh counters */
	flow_table_end(t, g, FLOW_END_TIMEOUT);
	assert_null(flow_table_lookup(t, &a_port, &d));
	g = flow_table_get(t, &a_port, &d);
	assert_non_null(g);
	assert_int_equal(g->pkts[APP_DIR_TOSERVER], 1);
	assert_int_equal(flow_table_stats(t)->created, 4);
	flow_table_free(t);
}

/* Many flows: every one found again from both sides (hash and chains). */
static void test_flow_many_lookups(void **state)
{
	struct ended e = { 0 };
	struct flow_table_config cfg;
	struct flow_table *t;
	struct flow **seen = calloc(20000, sizeof(*seen));
	int d;

	flow_table_config_init(&cfg);
	cfg.max_flows = 20000;
	cfg.hash_size = 1024; /* force long chains */
	t = flow_table_new(&cfg, on_end, &e);
	for (int i = 0; i < 20000; i++) {
		struct packet p = mk(IPPROTO_UDP, (uint8_t)(i % 200), (uint16_t)(1024 + i / 200),
				     250, 53, 0, 0, 1);

		seen[i] = flow_table_get(t, &p, &d);
		assert_non_null(seen[i]);
	}
	for (int i = 0; i < 20000; i++) {
		struct packet p = mk(IPPROTO_UDP, 250, 53, (uint8_t)(i % 200),
				     (uint16_t)(1024 + i / 200), 0, 0, 2);

		assert_ptr_equal(flow_table_lookup(t, &p, &d), seen[i]);
		assert_int_equal(d, APP_DIR_TOCLIENT);
	}
	assert_int_equal(flow_table_stats(t)->created, 20000);
	flow_table_free(t);
	assert_int_equal(e.n, 20000);
	free(seen);
}

static void test_flow_names(void **state)
{
	assert_string_equal(flow_state_name(FLOW_STATE_NEW), "new");
	assert_string_equal(flow_state_name(FLOW_STATE_ESTABLISHED), "established");
	assert_string_equal(flow_state_name(FLOW_STATE_CLOSED), "closed");
	assert_string_equal(flow_end_reason_name(FLOW_END_TIMEOUT), "timeout");
	assert_string_equal(flow_end_reason_name(FLOW_END_FORCED), "forced");
	assert_string_equal(flow_end_reason_name(FLOW_END_SHUTDOWN), "shutdown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_flow_bidirectional_counters),
		cmocka_unit_test(test_flow_orientation_table),
		cmocka_unit_test(test_flow_vlan_and_id_stability),
		cmocka_unit_test(test_flow_timeouts_by_state),
		cmocka_unit_test(test_flow_cap_evicts_lru),
		cmocka_unit_test(test_flow_last_flow_cache),
		cmocka_unit_test(test_flow_many_lookups),
		cmocka_unit_test(test_flow_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
