/* SPDX-License-Identifier: GPL-2.0-only */
/* Unit tests for dpi/decode.c: link types, VLANs, IPv4/IPv6, extension headers, L4, checksums. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "pkt_build.h"

#define A4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const struct decode_config csum_on = { .checksum_validation = true };
static const struct decode_config csum_off = { .checksum_validation = false };

static size_t tcp_v4(struct pb *f, struct pb_ip *ip)
{
	struct pb_tcp t = {
		.sport = 40000, .dport = 80, .seq = 1000, .ack = 0, .flags = TCP_SYN, .opts = true
	};

	return pb_tcp_frame(f, ip, &t, "hello", 5);
}

static void test_decode_ipv4_tcp_options(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { .ts_us = 7, .pkt_num = 3 };
	struct decode_stats st = { 0 };
	char buf[64];

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	tcp_v4(&f, &ip);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_int_equal(p.ts_us, 7);
	assert_int_equal(p.pkt_num, 3);
	assert_int_equal(p.ip_version, 4);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_string_equal(decode_addr_format(&p.src, 4, buf, sizeof(buf)), "198.18.0.1");
	assert_string_equal(decode_addr_format(&p.dst, 4, buf, sizeof(buf)), "198.18.0.2");
	assert_int_equal(p.sport, 40000);
	assert_int_equal(p.dport, 80);
	assert_int_equal(p.tcp.seq, 1000);
	assert_int_equal(p.tcp.flags, TCP_SYN);
	assert_true(p.flags & PKT_TCP_MSS);
	assert_int_equal(p.tcp.mss, 1460);
	assert_true(p.flags & PKT_TCP_WSCALE);
	assert_int_equal(p.tcp.wscale, 7);
	assert_true(p.flags & PKT_TCP_TS);
	assert_int_equal(p.tcp.ts_val, 100);
	assert_int_equal(p.tcp.ts_ecr, 200);
	assert_true(p.flags & PKT_TCP_SACKOK);
	assert_false(p.flags & PKT_L4_CSUM_BAD);
	assert_int_equal(p.payload_len, 5);
	assert_memory_equal(p.payload, "hello", 5);
	assert_int_equal(st.tcp, 1);
	assert_int_equal(st.ipv4, 1);
}

/* One row of the link-layer / encapsulation table. */
struct link_case {
	const char *name;
	int linktype;
	int version;
	uint16_t vlan[3];
	enum decode_result want;
	uint16_t want_vlan0, want_vlan1;
};

/* Build the frame of a case: an Ethernet frame, then its link header rewritten. */
static size_t build_link(const struct link_case *c, uint8_t *out)
{
	struct pb f;
	struct pb_ip ip;
	size_t eth_hl, iplen;
	const uint8_t *ipb;

	if (c->version == 4)
		pb_v4(&ip, A4(198, 18, 1, 1), A4(198, 18, 1, 2));
	else
		pb_v6(&ip, 1, 2);
	memcpy(ip.vlan, c->vlan, sizeof(ip.vlan));
	pb_udp_frame(&f, &ip, 5353, 53, "abcd", 4);
	eth_hl = 14 + 4 * (size_t)(!!c->vlan[0] + !!c->vlan[1] + !!c->vlan[2]);
	ipb = f.buf + eth_hl;
	iplen = f.len - eth_hl;
	switch (c->linktype) {
	case DECODE_LINK_ETHERNET:
		memcpy(out, f.buf, f.len);
		return f.len;
	case DECODE_LINK_RAW:
	case DECODE_LINK_RAW_DLT:
	case DECODE_LINK_IPV4:
	case DECODE_LINK_IPV6:
		memcpy(out, ipb, iplen);
		return iplen;
	case DECODE_LINK_LINUX_SLL:
		memset(out, 0, 16);
		pb_w16(out + 2, 1);
		pb_w16(out + 4, 6);
		pb_w16(out + 14, c->version == 4 ? 0x0800 : 0x86dd);
		memcpy(out + 16, ipb, iplen);
		return 16 + iplen;
	case DECODE_LINK_LINUX_SLL2:
		memset(out, 0, 20);
		pb_w16(out, c->version == 4 ? 0x0800 : 0x86dd);
		pb_w32(out + 4, 2);
		pb_w16(out + 8, 1);
		out[11] = 6;
		memcpy(out + 20, ipb, iplen);
		return 20 + iplen;
	case DECODE_LINK_NULL:
		/* little-endian AF_INET / AF_INET6 (BSD 24) */
		memset(out, 0, 4);
		out[0] = c->version == 4 ? 2 : 24;
		memcpy(out + 4, ipb, iplen);
		return 4 + iplen;
	default:
		memcpy(out, f.buf, f.len);
		return f.len;
	}
}

static void test_decode_link_types_table(void **state)
{
	static const struct link_case cases[] = {
		{ "ethernet v4", DECODE_LINK_ETHERNET, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "ethernet v6", DECODE_LINK_ETHERNET, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "802.1Q", DECODE_LINK_ETHERNET, 4, { 100 }, DECODE_OK, 100, 0 },
		{ "QinQ", DECODE_LINK_ETHERNET, 6, { 10, 20 }, DECODE_OK, 10, 20 },
		{ "three tags", DECODE_LINK_ETHERNET, 4, { 1, 2, 3 }, DECODE_ERR_VLAN_DEPTH, 1, 2 },
		{ "raw 101 v4", DECODE_LINK_RAW, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "raw 12 v6", DECODE_LINK_RAW_DLT, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "ipv4 228", DECODE_LINK_IPV4, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "ipv6 229", DECODE_LINK_IPV6, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "sll v4", DECODE_LINK_LINUX_SLL, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "sll v6", DECODE_LINK_LINUX_SLL, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "sll2 v4", DECODE_LINK_LINUX_SLL2, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "sll2 v6", DECODE_LINK_LINUX_SLL2, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "null v4", DECODE_LINK_NULL, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "null v6", DECODE_LINK_NULL, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "unknown linktype", 147, 4, { 0 }, DECODE_ERR_LINKTYPE, 0, 0 },
	};
	static uint8_t frame[2000];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct link_case *c = &cases[i];
		struct packet p = { 0 };
		size_t len = build_link(c, frame);
		enum decode_result r = decode_packet(&p, c->linktype, frame, len, &csum_on, NULL);

		print_message("case %s\n", c->name);
		assert_int_equal(r, c->want);
		assert_int_equal(p.vlan[0], c->want_vlan0);
		assert_int_equal(p.vlan[1], c->want_vlan1);
		if (r != DECODE_OK)
			continue;
		assert_int_equal(p.ip_version, c->version);
		assert_int_equal(p.proto, IPPROTO_UDP);
		assert_int_equal(p.sport, 5353);
		assert_int_equal(p.dport, 53);
		assert_int_equal(p.payload_len, 4);
		assert_memory_equal(p.payload, "abcd", 4);
		assert_false(p.flags & PKT_L4_CSUM_BAD);
	}
}

/* Every strict prefix of a valid frame is refused (never read past the end: ASan checks). */
static void test_decode_truncated_prefixes(void **state)
{
	static const struct link_case kinds[] = {
		{ "eth", DECODE_LINK_ETHERNET, 4, { 7, 8 }, DECODE_OK, 0, 0 },
		{ "eth6", DECODE_LINK_ETHERNET, 6, { 7 }, DECODE_OK, 0, 0 },
		{ "sll", DECODE_LINK_LINUX_SLL, 4, { 0 }, DECODE_OK, 0, 0 },
		{ "sll2", DECODE_LINK_LINUX_SLL2, 6, { 0 }, DECODE_OK, 0, 0 },
		{ "null", DECODE_LINK_NULL, 4, { 0 }, DECODE_OK, 0, 0 },
	};
	uint8_t frame[2000];

	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t len = build_link(&kinds[k], frame);

		for (size_t n = 0; n < len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct packet p = { 0 };
			struct decode_stats st = { 0 };

			memcpy(copy, frame, n);
			assert_int_not_equal(
				decode_packet(&p, kinds[k].linktype, copy, n, &csum_on, &st),
				DECODE_OK);
			free(copy);
		}
	}
}

static void test_decode_ipv4_checksum_validation(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { 0 };
	struct decode_stats st = { 0 };

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	ip.bad_ip_csum = true;
	tcp_v4(&f, &ip);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_ERR_IPV4_CSUM);
	assert_int_equal(st.errors[DECODE_ERR_IPV4_CSUM], 1);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_off, &st),
			 DECODE_OK);
	assert_int_equal(p.proto, IPPROTO_TCP);
}

static void test_decode_l4_checksum_flags(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { 0 };
	struct decode_stats st = { 0 };

	/* TCP v4, UDP v6: bad checksums are flagged when validation is on, never otherwise */
	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	ip.bad_l4_csum = true;
	tcp_v4(&f, &ip);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_true(p.flags & PKT_L4_CSUM_BAD);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_off, &st),
			 DECODE_OK);
	assert_false(p.flags & PKT_L4_CSUM_BAD);

	pb_v6(&ip, 1, 2);
	ip.bad_l4_csum = true;
	pb_udp_frame(&f, &ip, 1, 2, "x", 1);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_true(p.flags & PKT_L4_CSUM_BAD);
	assert_int_equal(st.l4_csum_bad, 2);
}

static void test_decode_icmp_v4_v6(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { 0 };
	uint8_t icmp[12] = { 8, 0, 0, 0, 0, 1, 0, 1, 'p', 'i', 'n', 'g' };
	struct decode_stats st = { 0 };

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	ip.proto = IPPROTO_ICMP;
	pb_frame(&f, &ip, icmp, sizeof(icmp), 2);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_int_equal(p.proto, IPPROTO_ICMP);
	assert_int_equal(p.icmp_type, 8);
	assert_false(p.flags & PKT_L4_CSUM_BAD);

	pb_v6(&ip, 1, 2);
	ip.proto = IPPROTO_ICMPV6;
	icmp[0] = 128;
	pb_frame(&f, &ip, icmp, sizeof(icmp), 2);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_int_equal(p.proto, IPPROTO_ICMPV6);
	assert_int_equal(p.icmp_type, 128);
	assert_false(p.flags & PKT_L4_CSUM_BAD);
	assert_int_equal(st.icmpv4, 1);
	assert_int_equal(st.icmpv6, 1);
}

/* IPv6 with hop-by-hop, destination options and routing headers before TCP. */
static void test_decode_ipv6_extension_headers(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct pb_tcp t = { .sport = 1234, .dport = 443, .seq = 5, .flags = TCP_ACK | TCP_PSH };
	struct packet p = { 0 };
	uint8_t frame[2000];
	size_t eth = 14, plen;
	/* hop-by-hop (8 bytes, next dstopts), dstopts (16 bytes, next routing), routing (8,
	 * next TCP) */
	uint8_t ext[32] = { 60, 0, 1, 4, 0, 0, 0, 0, 43, 1, 1, 12, 0 };

	ext[24] = IPPROTO_TCP;
	ext[25] = 0;
	pb_v6(&ip, 1, 2);
	pb_tcp_frame(&f, &ip, &t, "data", 4);
	/* splice the extension headers between the IPv6 header and TCP */
	memcpy(frame, f.buf, eth + 40);
	frame[eth + 6] = IPPROTO_HOPOPTS;
	memcpy(frame + eth + 40, ext, sizeof(ext));
	memcpy(frame + eth + 40 + sizeof(ext), f.buf + eth + 40, f.len - eth - 40);
	plen = f.len - eth - 40 + sizeof(ext);
	pb_w16(frame + eth + 4, (uint16_t)plen);
	assert_int_equal(
		decode_packet(&p, DECODE_LINK_ETHERNET, frame, f.len + sizeof(ext), &csum_on, NULL),
		DECODE_OK);
	assert_int_equal(p.proto, IPPROTO_TCP);
	assert_int_equal(p.l3_hdr_len, 40 + sizeof(ext));
	assert_int_equal(p.dport, 443);
	assert_false(p.flags & PKT_L4_CSUM_BAD); /* pseudo header does not include ext hdrs */
	assert_memory_equal(p.payload, "data", 4);

	/* a hop-by-hop header anywhere but first is refused */
	frame[eth + 6] = IPPROTO_DSTOPTS;
	ext[0] = IPPROTO_HOPOPTS;
	memcpy(frame + eth + 40, ext, sizeof(ext));
	assert_int_equal(
		decode_packet(&p, DECODE_LINK_ETHERNET, frame, f.len + sizeof(ext), &csum_on, NULL),
		DECODE_ERR_IPV6_HEADER);
}

static void test_decode_fragments_flagged(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { 0 };
	uint8_t udp[16] = { 0 };
	struct decode_stats st = { 0 };

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	ip.proto = IPPROTO_UDP;
	ip.ip_id = 0x1234;
	ip.frag_field = 0x2000 | 3; /* MF, offset 24 */
	pb_frame(&f, &ip, udp, sizeof(udp), -1);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len, &csum_on, &st),
			 DECODE_OK);
	assert_true(p.flags & PKT_FRAGMENT);
	assert_int_equal(p.frag_id, 0x1234);
	assert_int_equal(p.frag_offset, 24);
	assert_true(p.frag_more);
	assert_null(p.l4);
	assert_int_equal(p.payload_len, 16);
	assert_int_equal(st.fragments, 1);
}

/* Malformed headers: each row patches one byte of a valid IPv4/TCP frame. */
static void test_decode_malformed_table(void **state)
{
	static const struct {
		const char *name;
		size_t off; /* from the IP header */
		uint8_t val;
		enum decode_result want;
	} cases[] = {
		{ "ip version 5", 0, 0x55, DECODE_ERR_IPV4_HEADER },
		{ "ihl 4", 0, 0x44, DECODE_ERR_IPV4_HEADER },
		{ "ihl 15 past data", 0, 0x4f, DECODE_ERR_IPV4_CSUM },
		{ "total length tiny", 3, 10, DECODE_ERR_IPV4_HEADER },
		{ "tcp doff 4", 20 + 12, 0x40, DECODE_ERR_TCP_HEADER },
		{ "tcp doff 15", 20 + 12, 0xf0, DECODE_ERR_TCP_HEADER },
		{ "tcp option len 0", 20 + 21, 0, DECODE_ERR_TCP_HEADER },
		{ "tcp option len past end", 20 + 21, 40, DECODE_ERR_TCP_HEADER },
	};
	struct pb f;
	struct pb_ip ip;

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct packet p = { 0 };
		struct decode_stats st = { 0 };
		enum decode_result r;

		tcp_v4(&f, &ip);
		f.buf[14 + cases[i].off] = cases[i].val;
		print_message("case %s\n", cases[i].name);
		/* header checks come before the checksum: validation off isolates them */
		r = decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len,
				  cases[i].want == DECODE_ERR_IPV4_CSUM ? &csum_on : &csum_off,
				  &st);
		assert_int_equal(r, cases[i].want);
		assert_int_equal(st.errors[r], 1);
	}
}

static void test_decode_not_ip_and_names(void **state)
{
	uint8_t arp[42] = { 0 };
	struct packet p = { 0 };

	arp[12] = 0x08;
	arp[13] = 0x06;
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, arp, sizeof(arp), &csum_on, NULL),
			 DECODE_ERR_NOT_IP);
	assert_string_equal(decode_result_name(DECODE_ERR_TRUNCATED), "truncated");
	assert_string_equal(decode_result_name(DECODE_OK), "ok");
	assert_string_equal(decode_result_name((enum decode_result)99), "unknown");
}

/* Ethernet padding after a short datagram is not payload. */
static void test_decode_ethernet_padding_ignored(void **state)
{
	struct pb f;
	struct pb_ip ip;
	struct packet p = { 0 };

	pb_v4(&ip, A4(198, 18, 0, 1), A4(198, 18, 0, 2));
	pb_udp_frame(&f, &ip, 1, 2, "ab", 2);
	memset(f.buf + f.len, 0xee, 18);
	assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, f.buf, f.len + 18, &csum_on, NULL),
			 DECODE_OK);
	assert_int_equal(p.payload_len, 2);
	assert_false(p.flags & PKT_L4_CSUM_BAD);
}

/* Encapsulations: PPPoE (compressed and full PPP protocol), MPLS, GRE (+key), IP-in-IP,
 * 6in4. Each row wraps the same inner IPv4/UDP datagram; every prefix is refused. */
static void test_decode_encapsulations_table(void **state)
{
	static const struct {
		const char *name;
		uint16_t ethertype;
		uint8_t hdr[16];
		size_t hdr_len;
		uint8_t outer_proto; /* non-zero: an outer IPv4 header with this protocol */
		int inner_version;
	} cases[] = {
		{ "pppoe compressed", 0x8864, { 0x11, 0, 0, 1, 0, 0, 0x21 }, 7, 0, 4 },
		{ "pppoe full", 0x8864, { 0x11, 0, 0, 1, 0, 0, 0x00, 0x21 }, 8, 0, 4 },
		{ "pppoe ipv6", 0x8864, { 0x11, 0, 0, 1, 0, 0, 0x57 }, 7, 0, 6 },
		{ "mpls two labels", 0x8847, { 0, 1, 0, 64, 0, 2, 1, 64 }, 8, 0, 4 },
		{ "gre", 0x0800, { 0, 0, 0x08, 0x00 }, 4, IPPROTO_GRE, 4 },
		{ "gre key+seq",
		  0x0800,
		  { 0x30, 0, 0x86, 0xdd, 0, 0, 0, 7, 0, 0, 0, 9 },
		  12,
		  IPPROTO_GRE,
		  6 },
		{ "ipip", 0x0800, { 0 }, 0, IPPROTO_IPIP, 4 },
		{ "6in4", 0x0800, { 0 }, 0, IPPROTO_IPV6, 6 },
	};
	static uint8_t frame[600], inner[300];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pb f;
		struct pb_ip ip;
		size_t ilen, off = 14, len;
		struct packet p = { 0 };
		struct decode_stats st = { 0 };

		print_message("case %s\n", cases[i].name);
		if (cases[i].inner_version == 4)
			pb_v4(&ip, A4(198, 18, 9, 1), A4(198, 18, 9, 2));
		else
			pb_v6(&ip, 9, 10);
		pb_udp_frame(&f, &ip, 1234, 53, "inner", 5);
		ilen = f.len - 14;
		memcpy(inner, f.buf + 14, ilen);
		memcpy(frame, f.buf, 12);
		pb_w16(frame + 12, cases[i].ethertype);
		if (cases[i].outer_proto) {
			struct pb_ip o;

			pb_v4(&o, A4(198, 19, 0, 1), A4(198, 19, 0, 2));
			o.proto = cases[i].outer_proto;
			off += pb_iphdr(frame + off, &o, cases[i].hdr_len + ilen);
		}
		memcpy(frame + off, cases[i].hdr, cases[i].hdr_len);
		off += cases[i].hdr_len;
		memcpy(frame + off, inner, ilen);
		len = off + ilen;
		assert_int_equal(decode_packet(&p, DECODE_LINK_ETHERNET, frame, len, &csum_on, &st),
				 DECODE_OK);
		assert_int_equal(p.ip_version, cases[i].inner_version);
		assert_int_equal(p.proto, IPPROTO_UDP);
		assert_int_equal(p.dport, 53);
		assert_memory_equal(p.payload, "inner", 5);
		assert_false(p.flags & PKT_L4_CSUM_BAD);
		assert_int_equal(!!(p.flags & PKT_TUNNEL), !!cases[i].outer_proto);
		for (size_t n = 0; n < len; n++) {
			uint8_t *copy = malloc(n ? n : 1);
			struct packet q = { 0 };

			memcpy(copy, frame, n);
			assert_int_not_equal(
				decode_packet(&q, DECODE_LINK_ETHERNET, copy, n, &csum_on, NULL),
				DECODE_OK);
			free(copy);
		}
	}
}

/* GRE inside GRE inside GRE: refused beyond DECODE_MAX_TUNNELS; GRE version 1 refused. */
static void test_decode_tunnel_limits(void **state)
{
	struct pb f;
	struct pb_ip ip;
	static uint8_t frame[600], cur[600];
	size_t clen;
	struct packet p = { 0 };

	pb_v4(&ip, A4(198, 18, 9, 1), A4(198, 18, 9, 2));
	pb_udp_frame(&f, &ip, 1, 2, "x", 1);
	clen = f.len - 14;
	memcpy(cur, f.buf + 14, clen);
	for (int depth = 1; depth <= 3; depth++) {
		struct pb_ip o;
		uint8_t gre[4] = { 0, 0, 0x08, 0x00 };
		size_t off;

		pb_v4(&o, A4(198, 19, 0, 1), A4(198, 19, 0, 2));
		o.proto = IPPROTO_GRE;
		off = pb_iphdr(frame, &o, 4 + clen);
		memcpy(frame + off, gre, 4);
		memcpy(frame + off + 4, cur, clen);
		clen += off + 4;
		memcpy(cur, frame, clen);
		assert_int_equal(decode_packet(&p, DECODE_LINK_RAW, cur, clen, &csum_on, NULL),
				 depth <= DECODE_MAX_TUNNELS ? DECODE_OK : DECODE_ERR_TUNNEL);
	}
	cur[20 + 1] = 1; /* outermost GRE version 1 */
	assert_int_equal(decode_packet(&p, DECODE_LINK_RAW, cur, clen, &csum_off, NULL),
			 DECODE_ERR_TUNNEL);
}

/* The fast checksum against RFC 1071's example and a byte-by-byte reference, for every
 * length and alignment. */
static void test_decode_checksum_reference(void **state)
{
	static const uint8_t rfc[8] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	uint8_t buf[300];

	assert_int_equal(decode_csum_fold(decode_csum_add(0, rfc, 8)), (uint16_t)~0xddf2);
	srand(1);
	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)rand();
	for (size_t align = 0; align < 8; align++)
		for (size_t len = 0; len + align <= sizeof(buf); len++) {
			uint32_t ref = 0xabcd;

			for (size_t i = 0; i < len; i++)
				ref += (i % 2) ? buf[align + i] : (uint32_t)buf[align + i] << 8;
			assert_int_equal(
				decode_csum_fold(decode_csum_add(0xabcd, buf + align, len)),
				decode_csum_fold(ref));
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_ipv4_tcp_options),
		cmocka_unit_test(test_decode_link_types_table),
		cmocka_unit_test(test_decode_truncated_prefixes),
		cmocka_unit_test(test_decode_ipv4_checksum_validation),
		cmocka_unit_test(test_decode_l4_checksum_flags),
		cmocka_unit_test(test_decode_icmp_v4_v6),
		cmocka_unit_test(test_decode_ipv6_extension_headers),
		cmocka_unit_test(test_decode_fragments_flagged),
		cmocka_unit_test(test_decode_malformed_table),
		cmocka_unit_test(test_decode_not_ip_and_names),
		cmocka_unit_test(test_decode_ethernet_padding_ignored),
		cmocka_unit_test(test_decode_checksum_reference),
		cmocka_unit_test(test_decode_encapsulations_table),
		cmocka_unit_test(test_decode_tunnel_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
