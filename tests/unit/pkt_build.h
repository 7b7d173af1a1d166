/* SPDX-License-Identifier: GPL-2.0-only */
/* Frame builders for the dpi unit tests: Ethernet/VLAN/IPv4/IPv6/TCP/UDP/ICMP with checksums. */
#pragma once

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "dpi/decode.h"

struct pb {
	uint8_t buf[70000];
	size_t len;
};

struct pb_ip {
	int version; /* 4 or 6 */
	uint8_t src[16]; /* first 4 bytes for v4 */
	uint8_t dst[16];
	uint8_t proto;
	uint16_t vlan[3]; /* outer first, 0 = none */
	uint8_t ttl;
	bool bad_ip_csum;
	bool bad_l4_csum;
	/* IPv4 fragmenting fields (set by hand by defrag tests) */
	uint16_t ip_id;
	uint16_t frag_field; /* IPv4 flags+offset word as on the wire */
};

static inline void pb_w16(uint8_t *b, uint16_t v)
{
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void pb_w32(uint8_t *b, uint32_t v)
{
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* Ethernet header (+ VLAN tags) for ethertype; returns bytes written. */
static inline size_t pb_eth(uint8_t *b, const struct pb_ip *ip, uint16_t ethertype)
{
	size_t off = 12;

	memset(b, 0, 12);
	b[0] = 0x02;
	b[6] = 0x02;
	b[11] = 1;
	for (int i = 0; i < 3 && ip->vlan[i]; i++) {
		pb_w16(b + off, i == 0 && ip->vlan[1] ? 0x88a8 : 0x8100);
		pb_w16(b + off + 2, ip->vlan[i]);
		off += 4;
	}
	pb_w16(b + off, ethertype);
	return off + 2;
}

static inline uint16_t pb_l4_csum(const struct pb_ip *ip, const uint8_t *l4, size_t len)
{
	uint32_t sum = 0;
	uint8_t ph[40];

	if (ip->proto == IPPROTO_ICMP)
		return decode_csum_fold(decode_csum_add(0, l4, len));
	if (ip->version == 4) {
		memcpy(ph, ip->src, 4);
		memcpy(ph + 4, ip->dst, 4);
		ph[8] = 0;
		ph[9] = ip->proto;
		pb_w16(ph + 10, (uint16_t)len);
		sum = decode_csum_add(0, ph, 12);
	} else {
		memcpy(ph, ip->src, 16);
		memcpy(ph + 16, ip->dst, 16);
		pb_w32(ph + 32, (uint32_t)len);
		ph[36] = ph[37] = ph[38] = 0;
		ph[39] = ip->proto;
		sum = decode_csum_add(0, ph, 40);
	}
	return decode_csum_fold(decode_csum_add(sum, l4, len));
}

/* Write an IP header for an L4 payload of l4len bytes at b; returns header length. */
static inline size_t pb_iphdr(uint8_t *b, const struct pb_ip *ip, size_t l4len)
{
	if (ip->version == 4) {
		uint16_t c;

		memset(b, 0, 20);
		b[0] = 0x45;
		pb_w16(b + 2, (uint16_t)(20 + l4len));
		pb_w16(b + 4, ip->ip_id);
		pb_w16(b + 6, ip->frag_field);
		b[8] = ip->ttl ? ip->ttl : 64;
		b[9] = ip->proto;
		memcpy(b + 12, ip->src, 4);
		memcpy(b + 16, ip->dst, 4);
		c = decode_csum_fold(decode_csum_add(0, b, 20));
		if (ip->bad_ip_csum)
			c ^= 0x5555;
		pb_w16(b + 10, c);
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	pb_w16(b + 4, (uint16_t)l4len);
	b[6] = ip->proto;
	b[7] = ip->ttl ? ip->ttl : 64;
	memcpy(b + 8, ip->src, 16);
	memcpy(b + 24, ip->dst, 16);
	return 40;
}

/* Frame = Ethernet + IP + l4 bytes (checksum of l4 fixed at csum_off unless < 0). */
static inline size_t pb_frame(struct pb *f, const struct pb_ip *ip, uint8_t *l4, size_t l4len,
			      int csum_off)
{
	size_t off = pb_eth(f->buf, ip, ip->version == 4 ? 0x0800 : 0x86dd);
	size_t hl;

	if (csum_off >= 0) {
		uint16_t c;

		l4[csum_off] = l4[csum_off + 1] = 0;
		c = pb_l4_csum(ip, l4, l4len);
		if (ip->bad_l4_csum)
			c ^= 0x1111;
		pb_w16(l4 + csum_off, c);
	}
	hl = pb_iphdr(f->buf + off, ip, l4len);
	memcpy(f->buf + off + hl, l4, l4len);
	f->len = off + hl + l4len;
	return f->len;
}

struct pb_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t win;
	bool opts; /* MSS 1460, SACK permitted, timestamps 100/200, NOP, window scale 7 */
};

static inline size_t pb_tcp_frame(struct pb *f, const struct pb_ip *ip0, const struct pb_tcp *t,
				  const void *data, size_t len)
{
	static uint8_t l4[66000];
	struct pb_ip ip = *ip0;
	size_t hl = t->opts ? 40 : 20;

	ip.proto = IPPROTO_TCP;
	memset(l4, 0, hl);
	pb_w16(l4, t->sport);
	pb_w16(l4 + 2, t->dport);
	pb_w32(l4 + 4, t->seq);
	pb_w32(l4 + 8, t->ack);
	l4[12] = (uint8_t)((hl / 4) << 4);
	l4[13] = t->flags;
	pb_w16(l4 + 14, t->win ? t->win : 65535);
	if (t->opts) {
		uint8_t o[20] = { 2, 4,	  0x05, 0xb4, 4, 2,   8, 10, 0, 0,
				  0, 100, 0,	0,    0, 200, 1, 3,  3, 7 };

		memcpy(l4 + 20, o, sizeof(o));
	}
	if (len)
		memcpy(l4 + hl, data, len);
	return pb_frame(f, &ip, l4, hl + len, 16);
}

static inline size_t pb_udp_frame(struct pb *f, const struct pb_ip *ip0, uint16_t sport,
				  uint16_t dport, const void *data, size_t len)
{
	static uint8_t l4[66000];
	struct pb_ip ip = *ip0;

	ip.proto = IPPROTO_UDP;
	pb_w16(l4, sport);
	pb_w16(l4 + 2, dport);
	pb_w16(l4 + 4, (uint16_t)(8 + len));
	if (len)
		memcpy(l4 + 8, data, len);
	return pb_frame(f, &ip, l4, 8 + len, 6);
}

static inline void pb_v4(struct pb_ip *ip, uint32_t src, uint32_t dst)
{
	memset(ip, 0, sizeof(*ip));
	ip->version = 4;
	pb_w32(ip->src, src);
	pb_w32(ip->dst, dst);
}

static inline void pb_v6(struct pb_ip *ip, uint16_t src_last, uint16_t dst_last)
{
	static const uint8_t prefix[6] = { 0xfd, 0x00, 0x6d, 0x6f, 0x61, 0x74 };

	memset(ip, 0, sizeof(*ip));
	ip->version = 6;
	memcpy(ip->src, prefix, 6);
	memcpy(ip->dst, prefix, 6);
	pb_w16(ip->src + 14, src_last);
	pb_w16(ip->dst + 14, dst_last);
}
