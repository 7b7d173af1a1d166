/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet decoding: link layers, VLAN/QinQ, IPv4/IPv6 (+ extension headers), TCP/UDP/ICMP. */
#include "decode.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

/* Hand-written: libpcap captures frames but does not decode them, and the decoders that
 * exist (libtins, libtrace, libnids) are C++ or would impose their own flow model. */

#define ETH_HLEN 14
#define ETH_P_IP 0x0800
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define ETH_P_QINQ1 0x9100

#define ETH_P_PPPOE_SESS 0x8864
#define ETH_P_MPLS_UC 0x8847
#define ETH_P_MPLS_MC 0x8848
#define ETH_P_TEB 0x6558 /* transparent Ethernet bridging (GRE) */

#define IPV6_HLEN 40
#define MAX_IPV6_EXT 8

static inline uint16_t rd16(const uint8_t *b)
{
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t rd32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

/*
 * RFC 1071 sum, 8 bytes at a time: one's complement addition commutes with byte order, so
 * native-order words are summed with end-around carry and the folded result is swapped back
 * into big-endian word order at the end (RFC 1071 section 2(B)).
 *
 * The bulk of a packet goes through csum_bulk(): 32-bit halves of 64-bit words summed into
 * 64-bit lanes (no carries to propagate: 2^31 blocks would be needed to overflow a lane).
 * With GCC's vector extension this is two SSE2 (or, chosen at load time on CPUs that have
 * it, two AVX2) adds per 32 bytes; checksum validation of every TCP segment was a tenth of
 * moatd's offline time with the scalar loop, this halves it.
 */
typedef uint64_t csum_u64x4 __attribute__((vector_size(32)));

#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
__attribute__((target_clones("avx2", "default")))
#endif
#endif
static uint64_t
csum_bulk(const uint8_t *data, size_t blocks)
{
	const csum_u64x4 lo = { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff };
	csum_u64x4 a0 = { 0 }, a1 = { 0 };

	for (size_t i = 0; i < blocks; i++, data += 64) {
		csum_u64x4 v0, v1;

		memcpy(&v0, data, 32);
		memcpy(&v1, data + 32, 32);
		a0 += (v0 & lo) + (v0 >> 32);
		a1 += (v1 & lo) + (v1 >> 32);
	}
	a0 += a1;
	return a0[0] + a0[1] + a0[2] + a0[3];
}

uint32_t decode_csum_add(uint32_t sum, const uint8_t *data, size_t len)
{
	uint64_t acc = 0, v;
	uint32_t r;

	if (len >= 64) {
		acc = csum_bulk(data, len / 64);
		data += len & ~(size_t)63;
		len &= 63;
	}
	/* the tail (and short headers) also as 32-bit halves: no end-around carry to test,
	 * acc stays far below 2^64 for any buffer that fits in memory */
	while (len >= 8) {
		memcpy(&v, data, 8);
		acc += (v & 0xffffffff) + (v >> 32);
		data += 8;
		len -= 8;
	}
	if (len >= 4) {
		uint32_t v32;

		memcpy(&v32, data, 4);
		acc += v32;
		data += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t v16;

		memcpy(&v16, data, 2);
		acc += v16;
		data += 2;
		len -= 2;
	}
	if (len) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		acc += data[0];
#else
		acc += (uint64_t)data[0] << 8;
#endif
	}
	acc = (acc & 0xffffffff) + (acc >> 32);
	acc = (acc & 0xffffffff) + (acc >> 32);
	r = (uint32_t)acc;
	r = (r & 0xffff) + (r >> 16);
	r = (r & 0xffff) + (r >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	r = (uint32_t)__builtin_bswap16((uint16_t)r);
#endif
	sum += r;
	return (sum & 0xffff) + (sum >> 16);
}

uint16_t decode_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

static uint32_t pseudo_sum(const struct packet *p, uint32_t l4_len)
{
	uint32_t sum = 0;

	/* big-endian 16-bit words of the addresses, added inline: at most 16 of them, so
	 * the 32-bit sum cannot overflow before decode_csum_fold() */
	if (p->ip_version == 4) {
		for (int i = 0; i < 4; i += 2)
			sum += rd16(p->src.u8 + i) + rd16(p->dst.u8 + i);
	} else {
		for (int i = 0; i < 16; i += 2)
			sum += rd16(p->src.u8 + i) + rd16(p->dst.u8 + i);
		sum += l4_len >> 16;
	}
	sum += l4_len & 0xffff;
	sum += p->proto;
	return sum;
}

static bool l4_csum_ok(const struct packet *p, bool pseudo)
{
	uint32_t sum = pseudo ? pseudo_sum(p, p->l4_len) : 0;

	sum = decode_csum_add(sum, p->l4, p->l4_len);
	return decode_csum_fold(sum) == 0;
}

static void count_err(struct decode_stats *st, enum decode_result r)
{
	if (st && r != DECODE_OK && r < DECODE_ERR_MAX)
		st->errors[r]++;
}

static enum decode_result decode_tcp_options(struct packet *p, const uint8_t *o, size_t len)
{
	size_t i = 0;

	while (i < len) {
		uint8_t kind = o[i];
		uint8_t olen;

		if (kind == 0) /* end of options */
			break;
		if (kind == 1) { /* NOP */
			i++;
			continue;
		}
		if (i + 1 >= len)
			return DECODE_ERR_TCP_HEADER;
		olen = o[i + 1];
		if (olen < 2 || i + olen > len)
			return DECODE_ERR_TCP_HEADER;
		switch (kind) {
		case 2: /* MSS */
			if (olen == 4) {
				p->tcp.mss = rd16(o + i + 2);
				p->flags |= PKT_TCP_MSS;
			}
			break;
		case 3: /* window scale; RFC 7323 caps the shift at 14 */
			if (olen == 3) {
				p->tcp.wscale = o[i + 2] > 14 ? 14 : o[i + 2];
				p->flags |= PKT_TCP_WSCALE;
			}
			break;
		case 4: /* SACK permitted */
			if (olen == 2)
				p->flags |= PKT_TCP_SACKOK;
			break;
		case 5: /* SACK blocks */
			if (olen >= 10 && (olen - 2) % 8 == 0) {
				p->tcp.sack_blocks = (uint8_t)((olen - 2) / 8);
				p->flags |= PKT_TCP_SACK;
			}
			break;
		case 8: /* timestamps */
			if (olen == 10) {
				p->tcp.ts_val = rd32(o + i + 2);
				p->tcp.ts_ecr = rd32(o + i + 6);
				p->flags |= PKT_TCP_TS;
			}
			break;
		case 34: /* TCP Fast Open cookie */
			p->flags |= PKT_TCP_TFO;
			break;
		default:
			break;
		}
		i += olen;
	}
	return DECODE_OK;
}

static enum decode_result decode_ipv4(struct packet *p, const uint8_t *b, size_t len,
				      const struct decode_config *cfg, struct decode_stats *st);
static enum decode_result decode_ipv6(struct packet *p, const uint8_t *b, size_t len,
				      const struct decode_config *cfg, struct decode_stats *st);
static enum decode_result decode_ether(struct packet *p, const uint8_t *b, size_t len,
				       const struct decode_config *cfg, struct decode_stats *st);

/* The inner packet of GRE (version 0) or IP-in-IP replaces the outer L3/L4 fields. */
static enum decode_result decode_tunnel(struct packet *p, const uint8_t *b, size_t len,
					const struct decode_config *cfg, struct decode_stats *st)
{
	size_t off = 0;
	uint16_t type;

	if (p->tunnel_depth >= DECODE_MAX_TUNNELS)
		return DECODE_ERR_TUNNEL;
	p->tunnel_depth++;
	p->flags |= PKT_TUNNEL;
	if (st)
		st->tunnels++;
	if (p->proto == IPPROTO_IPIP)
		return decode_ipv4(p, b, len, cfg, st);
	if (p->proto == IPPROTO_IPV6)
		return decode_ipv6(p, b, len, cfg, st);
	/* GRE: flags+version, protocol, then optional checksum, key, sequence words */
	if (len < 4)
		return DECODE_ERR_TRUNCATED;
	if ((b[1] & 0x07) != 0 || (b[0] & 0x40)) /* version 0 only, no source routing */
		return DECODE_ERR_TUNNEL;
	type = rd16(b + 2);
	off = 4 + ((b[0] & 0x80) ? 4 : 0) + ((b[0] & 0x20) ? 4 : 0) + ((b[0] & 0x10) ? 4 : 0);
	if (off > len)
		return DECODE_ERR_TRUNCATED;
	if (type == ETH_P_IP)
		return decode_ipv4(p, b + off, len - off, cfg, st);
	if (type == ETH_P_IPV6)
		return decode_ipv6(p, b + off, len - off, cfg, st);
	if (type == ETH_P_TEB)
		return decode_ether(p, b + off, len - off, cfg, st);
	return DECODE_ERR_TUNNEL;
}

static enum decode_result decode_l4(struct packet *p, const uint8_t *b, size_t len,
				    const struct decode_config *cfg, struct decode_stats *st)
{
	bool csum = cfg && cfg->checksum_validation;

	p->l4 = b;
	p->l4_len = (uint32_t)len;
	switch (p->proto) {
	case IPPROTO_TCP: {
		size_t off;

		if (len < 20)
			return DECODE_ERR_TRUNCATED;
		off = (size_t)(b[12] >> 4) * 4;
		if (off < 20 || off > len)
			return DECODE_ERR_TCP_HEADER;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->tcp.seq = rd32(b + 4);
		p->tcp.ack = rd32(b + 8);
		p->tcp.flags = b[13];
		p->tcp.win = rd16(b + 14);
		if (decode_tcp_options(p, b + 20, off - 20) != DECODE_OK)
			return DECODE_ERR_TCP_HEADER;
		p->payload = b + off;
		p->payload_len = (uint32_t)(len - off);
		if (st)
			st->tcp++;
		if (csum && !l4_csum_ok(p, true))
			p->flags |= PKT_L4_CSUM_BAD;
		break;
	}
	case IPPROTO_UDP: {
		uint16_t ulen;

		if (len < 8)
			return DECODE_ERR_TRUNCATED;
		ulen = rd16(b + 4);
		/* length 0 is legal for IPv6 jumbograms only; be lenient and use the IP length */
		if (ulen != 0 && (ulen < 8 || ulen > len))
			return DECODE_ERR_UDP_HEADER;
		if (ulen != 0)
			len = ulen;
		p->l4_len = (uint32_t)len;
		p->sport = rd16(b);
		p->dport = rd16(b + 2);
		p->payload = b + 8;
		p->payload_len = (uint32_t)(len - 8);
		if (st)
			st->udp++;
		/* UDP over IPv4 may omit the checksum (0) */
		if (csum && !(p->ip_version == 4 && rd16(b + 6) == 0) && !l4_csum_ok(p, true))
			p->flags |= PKT_L4_CSUM_BAD;
		break;
	}
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		if ((p->proto == IPPROTO_ICMP) != (p->ip_version == 4)) {
			if (st)
				st->other_l4++;
			break;
		}
		if (len < 4)
			return DECODE_ERR_TRUNCATED;
		p->icmp_type = b[0];
		p->icmp_code = b[1];
		p->payload = b + 4;
		p->payload_len = (uint32_t)(len - 4);
		if (st) {
			if (p->proto == IPPROTO_ICMP)
				st->icmpv4++;
			else
				st->icmpv6++;
		}
		if (csum && !l4_csum_ok(p, p->proto == IPPROTO_ICMPV6))
			p->flags |= PKT_L4_CSUM_BAD;
		break;
	case IPPROTO_GRE:
	case IPPROTO_IPIP:
	case IPPROTO_IPV6:
		return decode_tunnel(p, b, len, cfg, st);
	default:
		p->payload = b;
		p->payload_len = (uint32_t)len;
		if (st)
			st->other_l4++;
		break;
	}
	if ((p->flags & PKT_L4_CSUM_BAD) && st)
		st->l4_csum_bad++;
	return DECODE_OK;
}

static enum decode_result decode_ipv4(struct packet *p, const uint8_t *b, size_t len,
				      const struct decode_config *cfg, struct decode_stats *st)
{
	size_t hl, tot;
	uint16_t frag;

	if (len < 20)
		return DECODE_ERR_TRUNCATED;
	if (b[0] >> 4 != 4)
		return DECODE_ERR_IPV4_HEADER;
	hl = (size_t)(b[0] & 0x0f) * 4;
	tot = rd16(b + 2);
	if (hl < 20 || tot < hl)
		return DECODE_ERR_IPV4_HEADER;
	if (hl > len)
		return DECODE_ERR_TRUNCATED;
	/* frames may carry Ethernet padding after the datagram; a datagram longer than the
	 * capture is truncated (snaplen) */
	if (tot > len)
		return DECODE_ERR_TRUNCATED;
	if (st)
		st->ipv4++;
	p->ip_version = 4;
	p->l3 = b;
	p->l3_len = (uint32_t)tot;
	p->l3_hdr_len = (uint32_t)hl;
	p->ttl = b[8];
	p->proto = b[9];
	memcpy(p->src.u8, b + 12, 4);
	memcpy(p->dst.u8, b + 16, 4);
	if (cfg && cfg->checksum_validation && decode_csum_fold(decode_csum_add(0, b, hl)) != 0) {
		p->flags |= PKT_IPV4_CSUM_BAD;
		return DECODE_ERR_IPV4_CSUM;
	}
	frag = rd16(b + 6);
	if (frag & 0x3fff) { /* MF set or offset non-zero */
		p->flags |= PKT_FRAGMENT;
		p->frag_id = rd16(b + 4);
		p->frag_offset = (uint32_t)(frag & 0x1fff) * 8;
		p->frag_more = (frag & 0x2000) != 0;
		p->payload = b + hl;
		p->payload_len = (uint32_t)(tot - hl);
		if (st)
			st->fragments++;
		return DECODE_OK;
	}
	return decode_l4(p, b + hl, tot - hl, cfg, st);
}

static enum decode_result decode_ipv6(struct packet *p, const uint8_t *b, size_t len,
				      const struct decode_config *cfg, struct decode_stats *st)
{
	size_t plen, off = IPV6_HLEN;
	uint8_t nh;
	int i;

	if (len < IPV6_HLEN)
		return DECODE_ERR_TRUNCATED;
	if (b[0] >> 4 != 6)
		return DECODE_ERR_IPV6_HEADER;
	plen = rd16(b + 4);
	if (IPV6_HLEN + plen > len)
		return DECODE_ERR_TRUNCATED;
	if (plen == 0) /* jumbograms (hop-by-hop option) are not supported */
		return DECODE_ERR_IPV6_HEADER;
	if (st)
		st->ipv6++;
	len = IPV6_HLEN + plen;
	p->ip_version = 6;
	p->l3 = b;
	p->l3_len = (uint32_t)len;
	p->ttl = b[7];
	memcpy(p->src.u8, b + 8, 16);
	memcpy(p->dst.u8, b + 24, 16);
	nh = b[6];
	for (i = 0; i <= MAX_IPV6_EXT; i++) {
		switch (nh) {
		case IPPROTO_HOPOPTS:
		case IPPROTO_ROUTING:
		case IPPROTO_DSTOPTS:
		case 135: /* mobility */
			if (off + 8 > len)
				return DECODE_ERR_TRUNCATED;
			if (nh == IPPROTO_HOPOPTS && off != IPV6_HLEN)
				return DECODE_ERR_IPV6_HEADER; /* hop-by-hop must come first */
			nh = b[off];
			off += ((size_t)b[off + 1] + 1) * 8;
			if (off > len)
				return DECODE_ERR_TRUNCATED;
			continue;
		case IPPROTO_AH:
			if (off + 8 > len)
				return DECODE_ERR_TRUNCATED;
			nh = b[off];
			off += ((size_t)b[off + 1] + 2) * 4;
			if (off > len)
				return DECODE_ERR_TRUNCATED;
			continue;
		case IPPROTO_FRAGMENT: {
			uint16_t fo;

			if (off + 8 > len)
				return DECODE_ERR_TRUNCATED;
			fo = rd16(b + off + 2);
			p->proto = b[off];
			p->l3_hdr_len = (uint32_t)off; /* unfragmentable part */
			p->frag_offset = (uint32_t)(fo & 0xfff8);
			p->frag_more = (fo & 1) != 0;
			p->frag_id = rd32(b + off + 4);
			off += 8;
			if (p->frag_offset == 0 && !p->frag_more) {
				/* atomic fragment (RFC 6946): not really fragmented */
				nh = p->proto;
				continue;
			}
			p->flags |= PKT_FRAGMENT;
			p->payload = b + off;
			p->payload_len = (uint32_t)(len - off);
			if (st)
				st->fragments++;
			return DECODE_OK;
		}
		default:
			p->proto = nh;
			p->l3_hdr_len = (uint32_t)off;
			if (nh == IPPROTO_NONE) {
				p->payload = b + off;
				p->payload_len = 0;
				if (st)
					st->other_l4++;
				return DECODE_OK;
			}
			return decode_l4(p, b + off, len - off, cfg, st);
		}
	}
	return DECODE_ERR_IPV6_HEADER; /* extension header chain too long */
}

static enum decode_result decode_ip_ethertype(struct packet *p, uint16_t type, const uint8_t *b,
					      size_t len, const struct decode_config *cfg,
					      struct decode_stats *st)
{
	if (type == ETH_P_IP)
		return decode_ipv4(p, b, len, cfg, st);
	if (type == ETH_P_IPV6)
		return decode_ipv6(p, b, len, cfg, st);
	if (type == ETH_P_PPPOE_SESS) {
		/* ver/type, code, session id, length; then the PPP protocol, one byte when
		 * compressed (odd first byte, RFC 1661 section 6.5) */
		size_t off = 6;
		uint16_t proto;

		if (len < 8)
			return DECODE_ERR_TRUNCATED;
		if (b[0] != 0x11 || b[1] != 0)
			return DECODE_ERR_TUNNEL;
		if (st)
			st->pppoe++;
		if (b[off] & 1) {
			proto = b[off];
			off += 1;
		} else {
			proto = rd16(b + off);
			off += 2;
		}
		if (proto == 0x21)
			return decode_ipv4(p, b + off, len - off, cfg, st);
		if (proto == 0x57)
			return decode_ipv6(p, b + off, len - off, cfg, st);
		return DECODE_ERR_NOT_IP;
	}
	if (type == ETH_P_MPLS_UC || type == ETH_P_MPLS_MC) {
		/* label stack up to bottom-of-stack, then IPv4/IPv6 by the version nibble */
		size_t off = 0;

		if (st)
			st->mpls++;
		for (int i = 0;; i++) {
			if (i == DECODE_MAX_MPLS)
				return DECODE_ERR_TUNNEL;
			if (off + 4 > len)
				return DECODE_ERR_TRUNCATED;
			off += 4;
			if (b[off - 2] & 1)
				break;
		}
		if (off >= len)
			return DECODE_ERR_TRUNCATED;
		if (b[off] >> 4 == 4)
			return decode_ipv4(p, b + off, len - off, cfg, st);
		if (b[off] >> 4 == 6)
			return decode_ipv6(p, b + off, len - off, cfg, st);
		return DECODE_ERR_NOT_IP;
	}
	return DECODE_ERR_NOT_IP;
}

static enum decode_result decode_ether(struct packet *p, const uint8_t *b, size_t len,
				       const struct decode_config *cfg, struct decode_stats *st)
{
	size_t off = 12;
	uint16_t type;

	if (len < ETH_HLEN)
		return DECODE_ERR_TRUNCATED;
	type = rd16(b + off);
	off += 2;
	while (type == ETH_P_8021Q || type == ETH_P_8021AD || type == ETH_P_QINQ1) {
		if (p->vlan_count == DECODE_MAX_VLANS)
			return DECODE_ERR_VLAN_DEPTH;
		if (off + 4 > len)
			return DECODE_ERR_TRUNCATED;
		p->vlan[p->vlan_count++] = rd16(b + off) & 0x0fff;
		type = rd16(b + off + 2);
		off += 4;
	}
	if (st && p->vlan_count) {
		st->vlan++;
		if (p->vlan_count > 1)
			st->vlan_qinq++;
	}
	return decode_ip_ethertype(p, type, b + off, len - off, cfg, st);
}

static enum decode_result decode_raw(struct packet *p, const uint8_t *b, size_t len,
				     const struct decode_config *cfg, struct decode_stats *st)
{
	if (len < 1)
		return DECODE_ERR_TRUNCATED;
	switch (b[0] >> 4) {
	case 4:
		return decode_ipv4(p, b, len, cfg, st);
	case 6:
		return decode_ipv6(p, b, len, cfg, st);
	default:
		return DECODE_ERR_NOT_IP;
	}
}

static enum decode_result decode_link(struct packet *p, int linktype, const uint8_t *b, size_t len,
				      const struct decode_config *cfg, struct decode_stats *st)
{
	switch (linktype) {
	case DECODE_LINK_ETHERNET:
		return decode_ether(p, b, len, cfg, st);
	case DECODE_LINK_RAW:
	case DECODE_LINK_RAW_DLT:
	case DECODE_LINK_RAW_DLT_BSD:
		return decode_raw(p, b, len, cfg, st);
	case DECODE_LINK_IPV4:
		return decode_ipv4(p, b, len, cfg, st);
	case DECODE_LINK_IPV6:
		return decode_ipv6(p, b, len, cfg, st);
	case DECODE_LINK_LINUX_SLL:
		/* packet type(2) arphrd(2) addr len(2) addr(8) protocol(2) */
		if (len < 16)
			return DECODE_ERR_TRUNCATED;
		return decode_ip_ethertype(p, rd16(b + 14), b + 16, len - 16, cfg, st);
	case DECODE_LINK_LINUX_SLL2:
		/* protocol(2) reserved(2) ifindex(4) arphrd(2) pkttype(1) addr len(1) addr(8) */
		if (len < 20)
			return DECODE_ERR_TRUNCATED;
		return decode_ip_ethertype(p, rd16(b), b + 20, len - 20, cfg, st);
	case DECODE_LINK_NULL: {
		uint32_t af;

		if (len < 4)
			return DECODE_ERR_TRUNCATED;
		/* host byte order of the capturing machine: accept both */
		af = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		     (uint32_t)b[3] << 24;
		if (af > 0xffff)
			af = rd32(b);
		if (af == 2)
			return decode_ipv4(p, b + 4, len - 4, cfg, st);
		/* AF_INET6 differs per BSD: 24, 28, 30 */
		if (af == 24 || af == 28 || af == 30 || af == 10)
			return decode_ipv6(p, b + 4, len - 4, cfg, st);
		return DECODE_ERR_NOT_IP;
	}
	default:
		return DECODE_ERR_LINKTYPE;
	}
}

static void packet_reset_l3(struct packet *p)
{
	/* everything after the link-layer fields */
	size_t off = offsetof(struct packet, ip_version);

	memset((uint8_t *)p + off, 0, sizeof(*p) - off);
	p->flags &= PKT_REASSEMBLED | PKT_TUNNEL;
}

enum decode_result decode_packet(struct packet *p, int linktype, const uint8_t *frame, size_t len,
				 const struct decode_config *cfg, struct decode_stats *st)
{
	uint64_t ts = p->ts_us, num = p->pkt_num;
	enum decode_result r;

	memset(p, 0, sizeof(*p));
	p->ts_us = ts;
	p->pkt_num = num;
	p->linktype = linktype;
	p->frame = frame;
	p->frame_len = len;
	if (st) {
		st->pkts++;
		st->bytes += len;
	}
	r = decode_link(p, linktype, frame, len, cfg, st);
	count_err(st, r);
	return r;
}

enum decode_result decode_ip(struct packet *p, const uint8_t *data, size_t len,
			     const struct decode_config *cfg, struct decode_stats *st)
{
	enum decode_result r;

	packet_reset_l3(p);
	r = decode_raw(p, data, len, cfg, st);
	count_err(st, r);
	return r;
}

const char *decode_result_name(enum decode_result r)
{
	static const char *const names[DECODE_ERR_MAX] = {
		[DECODE_OK] = "ok",
		[DECODE_ERR_LINKTYPE] = "unsupported_linktype",
		[DECODE_ERR_TRUNCATED] = "truncated",
		[DECODE_ERR_NOT_IP] = "not_ip",
		[DECODE_ERR_VLAN_DEPTH] = "vlan_too_deep",
		[DECODE_ERR_IPV4_HEADER] = "ipv4_bad_header",
		[DECODE_ERR_IPV4_CSUM] = "ipv4_bad_checksum",
		[DECODE_ERR_IPV6_HEADER] = "ipv6_bad_header",
		[DECODE_ERR_TCP_HEADER] = "tcp_bad_header",
		[DECODE_ERR_UDP_HEADER] = "udp_bad_header",
		[DECODE_ERR_ICMP_HEADER] = "icmp_bad_header",
		[DECODE_ERR_TUNNEL] = "tunnel_bad_header",
	};

	if ((unsigned int)r >= DECODE_ERR_MAX)
		return "unknown";
	return names[r];
}

const char *decode_addr_format(const union decode_addr *a, int ip_version, char *buf, size_t size)
{
	if (!inet_ntop(ip_version == 6 ? AF_INET6 : AF_INET, a->u8, buf, (socklen_t)size))
		return "?";
	return buf;
}
