// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the datapath library's pure parts: entry keys, normalisation, fingerprints. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <cmocka.h>

#include "datapath/dp_internal.h"
#include "lib/lib.h"

static struct moat_dp_entry mk(int kind, int dir, const char *cidr)
{
	struct moat_dp_entry e;

	memset(&e, 0, sizeof(e));
	e.kind = kind;
	e.dir = dir;
	if (cidr)
		assert_int_equal(cidr_parse_loose(cidr, &e.cidr), 0);
	return e;
}

static void test_dp_key_exact_goes_to_hash_prefix_to_lpm(void **state)
{
	struct moat_dp_entry e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.1");
	struct dp_key k;
	char err[128];

	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_BS4_H);
	assert_int_equal(k.key_len, 4);
	assert_memory_equal(&k.key.addr4, ((uint8_t[]){ 198, 18, 0, 1 }), 4);

	e = mk(MOAT_KIND_BLOCK, MOAT_DIR_DST, "198.18.0.0/15");
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_BD4_P);
	assert_int_equal(k.key_len, sizeof(struct moat_lpm4_key));
	assert_int_equal(k.key.lpm4.prefixlen, 15);

	e = mk(MOAT_KIND_ALLOW, MOAT_DIR_SRC, "fd00:6d6f:6174::1");
	assert_int_equal(dp_entry_key(&e, AF_INET6, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_AL6_H);
	assert_int_equal(k.key_len, 16);

	e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "fd00:6d6f:6174::/48");
	assert_int_equal(dp_entry_key(&e, AF_INET6, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_BS6_P);
	assert_int_equal(k.key.lpm6.prefixlen, 48);
}

static void test_dp_key_clears_host_bits(void **state)
{
	struct moat_dp_entry e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, NULL);
	struct dp_key k;
	char err[128];

	/* A caller that bypassed cidr_parse: 10.1.2.3/8 must become 10.0.0.0/8. */
	e.cidr.family = AF_INET;
	e.cidr.prefix = 8;
	memcpy(e.cidr.addr, ((uint8_t[]){ 10, 1, 2, 3 }), 4);
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), 0);
	assert_memory_equal(k.key.lpm4.addr, ((uint8_t[]){ 10, 0, 0, 0 }), 4);
	assert_memory_equal(k.note.addr, ((uint8_t[]){ 10, 0, 0, 0 }), 4);
	assert_int_equal(k.note.prefixlen, 8);
	assert_int_equal(k.note.map, MOAT_M_BS4_P);
}

static void test_dp_key_port_entries(void **state)
{
	struct moat_dp_entry e = mk(MOAT_KIND_PORT_BLOCK, MOAT_DIR_SRC, NULL);
	struct dp_key k;
	char err[128];

	e.proto = IPPROTO_TCP;
	e.port = 22;
	/* AF_UNSPEC: "any source", once per family. */
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_L4_4);
	assert_int_equal(k.key.l4v4.prefixlen, MOAT_L4_PREFIX_BASE);
	assert_int_equal(k.key.l4v4.proto, IPPROTO_TCP);
	assert_int_equal(k.key.l4v4.port, htons(22));
	assert_int_equal(dp_entry_key(&e, AF_INET6, &k, err, sizeof(err)), 0);
	assert_int_equal(k.map_id, MOAT_M_L4_6);
	assert_int_equal(k.key.l4v6.prefixlen, MOAT_L4_PREFIX_BASE);

	e = mk(MOAT_KIND_PORT_ALLOW, MOAT_DIR_SRC, "198.18.5.0/24");
	e.proto = IPPROTO_UDP;
	e.port = 53;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), 0);
	assert_int_equal(k.key.l4v4.prefixlen, MOAT_L4_PREFIX_BASE + 24);
	assert_memory_equal(k.key.l4v4.addr, ((uint8_t[]){ 198, 18, 5, 0 }), 4);
	assert_int_equal(k.note.port, htons(53));
}

static void test_dp_key_rejects_inconsistent(void **state)
{
	struct moat_dp_entry e;
	struct dp_key k;
	char err[128];

	e = mk(MOAT_KIND_ALLOW, MOAT_DIR_DST, "198.18.0.1");
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "source"));
	e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.1");
	e.port = 22;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, NULL);
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	e = mk(MOAT_KIND_PORT_BLOCK, MOAT_DIR_SRC, NULL);
	e.proto = IPPROTO_TCP;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL); /* port 0 */
	e.proto = IPPROTO_GRE;
	e.port = 1;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	e.proto = IPPROTO_ICMP;
	e.port = 300;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	e.port = 8;
	assert_int_equal(dp_entry_key(&e, AF_INET6, &k, err, sizeof(err)), -EINVAL);
	e = mk(MOAT_KIND_BLOCK, MOAT_DIR_SRC, "198.18.0.1");
	e.cidr.prefix = 33;
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	e = mk(9, MOAT_DIR_SRC, "198.18.0.1");
	assert_int_equal(dp_entry_key(&e, AF_INET, &k, err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "kind"));
}

static void test_dp_key_round_trips(void **state)
{
	static const char *const cidrs[] = { "198.18.0.1",     "198.18.0.0/16", "fd00:6d6f:6174::1",
					     "fd00::/8",       "0.0.0.0/0",	"::/0",
					     "198.19.1.128/25" };
	char err[128], a[CIDR_STRLEN], b[CIDR_STRLEN];

	for (size_t i = 0; i < ARRAY_SIZE(cidrs); i++) {
		for (int kind = MOAT_KIND_ALLOW; kind <= MOAT_KIND_PORT_BLOCK; kind++) {
			int dir = kind == MOAT_KIND_BLOCK && i % 2 ? MOAT_DIR_DST : MOAT_DIR_SRC;
			struct moat_dp_entry e = mk(kind, dir, cidrs[i]), back;
			struct dp_key k;

			if (kind == MOAT_KIND_PORT_BLOCK) {
				e.proto = IPPROTO_UDP;
				e.port = 5353;
			}
			assert_int_equal(dp_entry_key(&e, e.cidr.family, &k, err, sizeof(err)), 0);
			dp_entry_from_key(k.map_id, &k.key, &back);
			assert_int_equal(back.kind, e.kind);
			assert_int_equal(back.dir, e.dir);
			assert_int_equal(back.proto, e.proto);
			assert_int_equal(back.port, e.port);
			assert_string_equal(cidr_format(&back.cidr, a, sizeof(a)),
					    cidr_format(&e.cidr, b, sizeof(b)));
		}
	}
}

static void test_dp_pf_slots_in_range_and_spread(void **state)
{
	uint32_t distinct = 0;
	static uint8_t hit[MOAT_PF6_SLOTS / 8];

	/* IPv4: the top 19 bits, so 198.18.0.0/19 is one slot and 198.18.32.0 the next. */
	assert_int_equal(moat_pf4_slot(198, 18, 0), (198u << 11) | (18u << 3));
	assert_int_equal(moat_pf4_slot(198, 18, 31), moat_pf4_slot(198, 18, 0));
	assert_int_equal(moat_pf4_slot(198, 18, 32), moat_pf4_slot(198, 18, 0) + 1);
	assert_true(moat_pf4_slot(255, 255, 255) < MOAT_PF4_SLOTS);
	/* IPv6: consecutive /32s spread over the slots. */
	memset(hit, 0, sizeof(hit));
	for (uint32_t i = 0; i < 4096; i++) {
		uint32_t s = moat_pf6_slot(0xfd000000u + i);

		assert_true(s < MOAT_PF6_SLOTS);
		if (!(hit[s / 8] & (1u << (s % 8))))
			distinct++;
		hit[s / 8] |= 1u << (s % 8);
	}
	assert_true(distinct > 4000);
}

struct span {
	uint64_t *first, *last;
	size_t n;
};

static void span_cb(uint64_t *c, void *userdata)
{
	struct span *s = userdata;

	if (!s->n || c < s->first)
		s->first = c;
	if (!s->n || c > s->last)
		s->last = c;
	s->n++;
}

static struct span span_of(struct moat_dp *dp, const char *cidr, int kind, int dir, int proto,
			   int port)
{
	struct moat_dp_entry e = mk(kind, dir, cidr);
	struct span s = { 0 };
	struct dp_key k;
	char err[128];

	e.proto = proto;
	e.port = port;
	assert_int_equal(dp_entry_key(&e, cidr ? e.cidr.family : AF_INET6, &k, err, sizeof(err)),
			 0);
	dp_pf_each(dp, k.map_id, &k.key, span_cb, &s);
	return s;
}

/* Which counters an entry touches: one for hosts and long prefixes, every covered slot else. */
static void test_dp_pf_counters_span(void **state)
{
	static const size_t counters[DP_PF_NUM] = DP_PF_COUNTERS;
	struct moat_dp *dp = calloc(1, sizeof(*dp));
	struct span s;

	assert_non_null(dp);
	for (int i = 0; i < DP_PF_NUM; i++) {
		dp->pf[i] = calloc(counters[i], sizeof(uint64_t));
		assert_non_null(dp->pf[i]);
	}
	s = span_of(dp, "198.18.0.1", MOAT_KIND_BLOCK, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, 1);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_4][MOAT_PF4_SLOTS + moat_pf4_slot(198, 18, 0)]);
	s = span_of(dp, "10.0.0.0/8", MOAT_KIND_BLOCK, MOAT_DIR_DST, 0, 0);
	assert_int_equal(s.n, 2048);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_4][2 * MOAT_PF4_SLOTS + moat_pf4_slot(10, 0, 0)]);
	assert_int_equal(s.last - s.first, 2047);
	s = span_of(dp, "0.0.0.0/0", MOAT_KIND_ALLOW, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, MOAT_PF4_SLOTS);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_4][0]);
	s = span_of(dp, "fd00:6d6f:6174::/48", MOAT_KIND_BLOCK, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, 1);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_6][MOAT_PF6_SLOTS + moat_pf6_slot(0xfd006d6fu)]);
	s = span_of(dp, "fd00:6d6f:6174::1", MOAT_KIND_BLOCK, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, 1); /* a host counts under its /32, like the prefixes */
	assert_ptr_equal(s.first, &dp->pf[DP_PF_6][MOAT_PF6_SLOTS + moat_pf6_slot(0xfd006d6fu)]);
	s = span_of(dp, "fd00::/29", MOAT_KIND_BLOCK, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, 8); /* the eight /32s it covers */
	s = span_of(dp, "fd00::/8", MOAT_KIND_BLOCK, MOAT_DIR_SRC, 0, 0);
	assert_int_equal(s.n, MOAT_PF6_SLOTS);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_6][MOAT_PF6_SLOTS]);
	s = span_of(dp, NULL, MOAT_KIND_PORT_BLOCK, MOAT_DIR_SRC, IPPROTO_UDP, 53);
	assert_int_equal(s.n, 1);
	assert_ptr_equal(s.first, &dp->pf[DP_PF_L4][moat_pfl4_slot(1, IPPROTO_UDP, 53)]);
	for (int i = 0; i < DP_PF_NUM; i++)
		free(dp->pf[i]);
	free(dp);
}

static void test_dp_names(void **state)
{
	assert_string_equal(moat_dp_map_name(MOAT_M_BS4_H), "moat_bs4_h");
	assert_string_equal(moat_dp_map_name(MOAT_M_L4_6), "moat_l4_6");
	assert_string_equal(moat_dp_map_name(99), "?");
	assert_string_equal(moat_dp_reason_name(MOAT_R_DEFAULT_DENY), "default-deny");
	assert_string_equal(moat_dp_reason_name(MOAT_R_NUM - 1), "?");
	assert_string_equal(moat_dp_verdict_name(MOAT_V_DROP), "drop");
	assert_string_equal(moat_dp_hook_name(MOAT_HOOK_TC_OUT), "tc-egress");
	assert_string_equal(moat_dp_kind_name(MOAT_KIND_PORT_ALLOW), "port-allow");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dp_key_exact_goes_to_hash_prefix_to_lpm),
		cmocka_unit_test(test_dp_key_clears_host_bits),
		cmocka_unit_test(test_dp_key_port_entries),
		cmocka_unit_test(test_dp_key_rejects_inconsistent),
		cmocka_unit_test(test_dp_key_round_trips),
		cmocka_unit_test(test_dp_pf_slots_in_range_and_spread),
		cmocka_unit_test(test_dp_pf_counters_span),
		cmocka_unit_test(test_dp_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
