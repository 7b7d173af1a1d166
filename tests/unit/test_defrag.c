/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for dpi/defrag.c: IPv4/IPv6 reassembly, ordering, overlaps, caps, timeouts. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "dpi/defrag.h"
#include "pkt_build.h"

static const struct decode_config csum_on = { .checksum_validation = true };

/* A UDP datagram of `len` payload bytes ('A' + i % 26), split into fragments. */
static uint8_t udp_l4[4096];
static size_t udp_l4_len;

static void make_udp(const struct pb_ip *ip, size_t len)
{
	struct pb f;

	pb_udp_frame(&f, ip, 1111, 2222, NULL, 0);
	for (size_t i = 0; i < len; i++)
		udp_l4[8 + i] = (uint8_t)('A' + i % 26);
	pb_w16(udp_l4, 1111);
	pb_w16(udp_l4 + 2, 2222);
	pb_w16(udp_l4 + 4, (uint16_t)(8 + len));
	udp_l4[6] = udp_l4[7] = 0;
	{
		struct pb_ip u = *ip;

		u.proto = IPPROTO_UDP;
		pb_w16(udp_l4 + 6, pb_l4_csum(&u, udp_l4, 8 + len));
	}
	udp_l4_len = 8 + len;
}

/* An IPv4 fragment frame carrying udp_l4[off, off+len). */
static size_t frag4(struct pb *f, const struct pb_ip *ip0, size_t off, size_t len, bool more,
		    const uint8_t *override)
{
	struct pb_ip ip = *ip0;
	uint8_t body[4096];

	ip.proto = IPPROTO_UDP;
	ip.ip_id = 77;
	ip.frag_field = (uint16_t)((more ? 0x2000 : 0) | (off / 8));
	memcpy(body, override ? override : udp_l4 + off, len);
	return pb_frame(f, &ip, body, len, -1);
}

/* An IPv6 fragment (Fragment header after the fixed header). */
static size_t frag6(struct pb *f, const struct pb_ip *ip0, size_t off, size_t len, bool more)
{
	struct pb_ip ip = *ip0;
	uint8_t body[4096];

	ip.proto = IPPROTO_FRAGMENT;
	body[0] = IPPROTO_UDP;
	body[1] = 0;
	pb_w16(body + 2, (uint16_t)(off | (more ? 1 : 0)));
	pb_w32(body + 4, 0xabcdef);
	memcpy(body + 8, udp_l4 + off, len);
	return pb_frame(f, &ip, body, 8 + len, -1);
}

/* Feed a frame; returns defrag_add's result and, on completion, decodes the datagram. */
static int feed(struct defrag *d, struct pb *f, uint64_t ts, struct packet *out)
{
	struct packet p = { .ts_us = ts };
	const uint8_t *data;
	size_t len;
	int r;

	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f->buf, f->len, &csum_on, NULL),
			 DECODE_OK);
	assert_true(p.flags & PKT_FRAGMENT);
	r = defrag_add(d, &p, &data, &len);
	if (r == 1) {
		*out = p;
		assert_int_equal(decode_ip(out, data, len, &csum_on, NULL), DECODE_OK);
	}
	return r;
}

static void check_udp(const struct packet *p, size_t len)
{
	assert_int_equal(p->proto, IPPROTO_UDP);
	assert_false(p->flags & PKT_FRAGMENT);
	assert_false(p->flags & PKT_L4_CSUM_BAD); /* the whole datagram's checksum holds */
	assert_int_equal(p->payload_len, len);
	assert_memory_equal(p->payload, udp_l4 + 8, len);
}

/* Orders of three fragments of 1008 bytes (0-495, 496-991, 992-1015 of the L4 bytes). */
static void test_defrag_ipv4_orders_table(void **state)
{
	static const int orders[][3] = { { 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 }, { 2, 0, 1 } };
	const size_t offs[3] = { 0, 496, 992 }, lens[3] = { 496, 496, 24 };
	struct pb_ip ip;

	pb_v4(&ip, 0xc6120001, 0xc6120002);
	make_udp(&ip, 1008);
	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		struct defrag_config cfg;
		struct defrag *d;
		struct packet out;
		struct pb f;

		defrag_config_init(&cfg);
		d = defrag_new(&cfg);
		for (int k = 0; k < 3; k++) {
			int i = orders[o][k];

			frag4(&f, &ip, offs[i], lens[i], i != 2, NULL);
			assert_int_equal(feed(d, &f, 1000 + (uint64_t)k, &out), k == 2 ? 1 : 0);
		}
		check_udp(&out, 1008);
		assert_int_equal(defrag_stats(d)->ipv4_reassembled, 1);
		assert_int_equal(defrag_stats(d)->mem_used, 0);
		defrag_free(d);
	}
}

static void test_defrag_ipv6(void **state)
{
	struct defrag_config cfg;
	struct defrag *d;
	struct pb_ip ip;
	struct packet out;
	struct pb f;

	pb_v6(&ip, 1, 2);
	make_udp(&ip, 600);
	defrag_config_init(&cfg);
	d = defrag_new(&cfg);
	frag6(&f, &ip, 304, udp_l4_len - 304, false);
	assert_int_equal(feed(d, &f, 1, &out), 0);
	frag6(&f, &ip, 0, 304, true);
	assert_int_equal(feed(d, &f, 2, &out), 1);
	assert_int_equal(out.ip_version, 6);
	check_udp(&out, 600);
	assert_int_equal(defrag_stats(d)->ipv6_reassembled, 1);
	defrag_free(d);
}

/* Overlapping fragments keep the first copy of each byte. */
static void test_defrag_overlap_keeps_first(void **state)
{
	struct defrag_config cfg;
	struct defrag *d;
	struct pb_ip ip;
	struct packet out;
	struct pb f;
	uint8_t evil[64];

	pb_v4(&ip, 0xc6120001, 0xc6120002);
	make_udp(&ip, 120);
	defrag_config_init(&cfg);
	d = defrag_new(&cfg);
	frag4(&f, &ip, 0, 64, true, NULL);
	assert_int_equal(feed(d, &f, 1, &out), 0);
	memset(evil, 'Z', sizeof(evil));
	frag4(&f, &ip, 32, 64, true, evil); /* overlaps [32, 64) */
	assert_int_equal(feed(d, &f, 2, &out), 0);
	frag4(&f, &ip, 64, udp_l4_len - 64, false, NULL); /* overlaps [64, 96) of the evil */
	assert_int_equal(feed(d, &f, 3, &out), 1);
	/* [0,64) original, [64,96) from the evil fragment (it came first), rest original */
	assert_memory_equal(out.payload, udp_l4 + 8, 24);
	assert_memory_equal(out.payload + 56, evil, 32);
	assert_int_equal(defrag_stats(d)->overlaps, 2);
	defrag_free(d);
}

static void test_defrag_timeout_and_caps(void **state)
{
	struct defrag_config cfg;
	struct defrag *d;
	struct pb_ip ip;
	struct packet out;
	struct pb f;

	pb_v4(&ip, 0xc6120001, 0xc6120002);
	make_udp(&ip, 200);

	/* timeout: the first half expires, the second half alone is not enough */
	defrag_config_init(&cfg);
	cfg.timeout_us = 1000;
	d = defrag_new(&cfg);
	frag4(&f, &ip, 0, 104, true, NULL);
	assert_int_equal(feed(d, &f, 1, &out), 0);
	assert_int_equal(defrag_expire(d, 5000), 1);
	assert_int_equal(defrag_stats(d)->timeouts, 1);
	frag4(&f, &ip, 104, udp_l4_len - 104, false, NULL);
	assert_int_equal(feed(d, &f, 5001, &out), 0);
	defrag_free(d); /* frees the pending tracker: ASan checks for leaks */

	/* memcap: measure what one tracker with its first fragment costs, then allow a
	 * little more than that; the second fragment does not fit, nor does a new tracker */
	{
		uint64_t one;

		defrag_config_init(&cfg);
		d = defrag_new(&cfg);
		frag4(&f, &ip, 0, 104, true, NULL);
		assert_int_equal(feed(d, &f, 1, &out), 0);
		one = defrag_stats(d)->mem_used;
		assert_true(one > 104); /* the tracker is accounted, not only the data */
		defrag_free(d);

		cfg.memcap = one + 50;
		d = defrag_new(&cfg);
		frag4(&f, &ip, 0, 104, true, NULL);
		assert_int_equal(feed(d, &f, 1, &out), 0);
		frag4(&f, &ip, 104, udp_l4_len - 104, false, NULL);
		assert_int_equal(feed(d, &f, 2, &out), -ENOMEM);
		ip.src[3] = 8;
		frag4(&f, &ip, 0, 8, true, NULL);
		assert_int_equal(feed(d, &f, 3, &out), -ENOMEM);
		ip.src[3] = 1;
		assert_int_equal(defrag_stats(d)->memcap_hits, 2);
		defrag_free(d);
	}

	/* trackers */
	defrag_config_init(&cfg);
	cfg.max_trackers = 1;
	d = defrag_new(&cfg);
	frag4(&f, &ip, 0, 104, true, NULL);
	assert_int_equal(feed(d, &f, 1, &out), 0);
	ip.src[3] = 9;
	frag4(&f, &ip, 0, 104, true, NULL);
	assert_int_equal(feed(d, &f, 2, &out), -ENOSPC);
	assert_int_equal(defrag_stats(d)->tracker_hits, 1);
	defrag_free(d);

	/* fragments per datagram */
	defrag_config_init(&cfg);
	cfg.max_frags = 2;
	d = defrag_new(&cfg);
	for (int i = 0; i < 2; i++) {
		frag4(&f, &ip, (size_t)i * 8, 8, true, NULL);
		assert_int_equal(feed(d, &f, 1, &out), 0);
	}
	frag4(&f, &ip, 16, 8, true, NULL);
	assert_int_equal(feed(d, &f, 1, &out), -ENOSPC);
	assert_int_equal(defrag_stats(d)->too_many_frags, 1);
	defrag_free(d);
}

static void test_defrag_invalid_fragments(void **state)
{
	struct defrag_config cfg;
	struct defrag *d;
	struct pb_ip ip;
	struct packet out;
	struct pb f;

	pb_v4(&ip, 0xc6120001, 0xc6120002);
	make_udp(&ip, 200);
	defrag_config_init(&cfg);
	d = defrag_new(&cfg);
	/* non-final fragment not a multiple of 8 */
	frag4(&f, &ip, 0, 100, true, NULL);
	assert_int_equal(feed(d, &f, 1, &out), -EINVAL);
	/* past 65535 */
	frag4(&f, &ip, 65528, 16, false, udp_l4);
	assert_int_equal(feed(d, &f, 1, &out), -EINVAL);
	/* two final fragments that disagree on the length */
	frag4(&f, &ip, 8, 16, false, NULL);
	assert_int_equal(feed(d, &f, 1, &out), 0);
	frag4(&f, &ip, 8, 24, false, NULL);
	assert_int_equal(feed(d, &f, 1, &out), -EINVAL);
	assert_int_equal(defrag_stats(d)->invalid, 3);
	assert_int_equal(defrag_stats(d)->mem_used, 0);
	defrag_free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defrag_ipv4_orders_table),
		cmocka_unit_test(test_defrag_ipv6),
		cmocka_unit_test(test_defrag_overlap_keeps_first),
		cmocka_unit_test(test_defrag_timeout_and_caps),
		cmocka_unit_test(test_defrag_invalid_fragments),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
