/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet decoding: link layers, VLAN/QinQ, IPv4/IPv6 (+ extension headers), TCP/UDP/ICMP. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Link types as libpcap's pcap_datalink() returns them (DLT_*) and as pcap files store them
 * (LINKTYPE_*); both spellings of "raw IP" are accepted. */
enum {
	DECODE_LINK_NULL = 0, /* BSD loopback: 4-byte host-order address family */
	DECODE_LINK_ETHERNET = 1, /* DLT_EN10MB */
	DECODE_LINK_RAW_DLT = 12, /* DLT_RAW on Linux */
	DECODE_LINK_RAW_DLT_BSD = 14, /* DLT_RAW on OpenBSD */
	DECODE_LINK_RAW = 101, /* LINKTYPE_RAW */
	DECODE_LINK_LINUX_SLL = 113, /* Linux cooked v1 */
	DECODE_LINK_IPV4 = 228, /* LINKTYPE_IPV4 */
	DECODE_LINK_IPV6 = 229, /* LINKTYPE_IPV6 */
	DECODE_LINK_LINUX_SLL2 = 276, /* Linux cooked v2 */
};

/* Result of decode_packet(): DECODE_OK or why the packet could not be used. */
enum decode_result {
	DECODE_OK = 0,
	DECODE_ERR_LINKTYPE, /* unsupported link type */
	DECODE_ERR_TRUNCATED, /* a header runs past the captured bytes */
	DECODE_ERR_NOT_IP, /* not IPv4/IPv6 (ARP, LLDP, ...): counted, not an error */
	DECODE_ERR_VLAN_DEPTH, /* more than DECODE_MAX_VLANS tags */
	DECODE_ERR_IPV4_HEADER, /* bad version/IHL/total length */
	DECODE_ERR_IPV4_CSUM, /* IPv4 header checksum wrong (only when validation is on) */
	DECODE_ERR_IPV6_HEADER, /* bad version/payload length, bad extension header chain */
	DECODE_ERR_TCP_HEADER, /* bad data offset / options */
	DECODE_ERR_UDP_HEADER, /* bad length */
	DECODE_ERR_ICMP_HEADER,
	DECODE_ERR_TUNNEL, /* bad/unsupported GRE, PPPoE or MPLS header, tunnels too deep */
	DECODE_ERR_MAX,
};

#define DECODE_MAX_VLANS 2 /* 802.1Q and QinQ (802.1ad outer + 802.1Q inner) */
#define DECODE_MAX_TUNNELS 2
#define DECODE_MAX_MPLS 8

/* TCP flags as on the wire (byte 13). */
enum {
	TCP_FIN = 0x01,
	TCP_SYN = 0x02,
	TCP_RST = 0x04,
	TCP_PSH = 0x08,
	TCP_ACK = 0x10,
	TCP_URG = 0x20,
	TCP_ECE = 0x40,
	TCP_CWR = 0x80,
};

/* Bits of packet.flags. */
enum packet_flags {
	PKT_IPV4_CSUM_BAD = 1 << 0, /* set only when validation is on */
	PKT_L4_CSUM_BAD = 1 << 1, /* TCP/UDP/ICMP checksum wrong (validation on, not a fragment) */
	PKT_FRAGMENT = 1 << 2, /* an IP fragment: L4 fields unset; hand to defrag */
	PKT_REASSEMBLED = 1 << 3, /* built by defrag from fragments */
	PKT_TCP_MSS = 1 << 4, /* tcp.mss valid */
	PKT_TCP_WSCALE = 1 << 5, /* tcp.wscale valid */
	PKT_TCP_TS = 1 << 6, /* tcp.ts_val/ts_ecr valid */
	PKT_TCP_SACKOK = 1 << 7, /* SACK permitted option present */
	PKT_TCP_SACK = 1 << 8, /* SACK blocks present (tcp.sack_blocks) */
	PKT_TCP_TFO = 1 << 9, /* TCP Fast Open option present */
	PKT_TUNNEL = 1 << 10, /* L3/L4 fields are the inner packet of GRE/IP-in-IP */
};

/* An IP address: IPv4 in the first 4 bytes (rest zero), IPv6 in all 16, network order. */
union decode_addr {
	uint8_t u8[16];
	uint32_t u32[4];
};

struct decode_tcp {
	uint32_t seq, ack;
	uint16_t win;
	uint8_t flags; /* TCP_* */
	uint8_t wscale;
	uint16_t mss;
	uint8_t sack_blocks; /* number of SACK blocks (not kept) */
	uint32_t ts_val, ts_ecr;
};

/*
 * One decoded packet. Pointers point into the frame given to decode_packet() (or into
 * defrag's buffer for reassembled datagrams) and are valid as long as that memory is.
 */
struct packet {
	uint64_t ts_us; /* capture time, µs since the epoch */
	uint64_t pkt_num; /* 1-based packet number in the input */
	int linktype;
	const uint8_t *frame;
	size_t frame_len;
	uint32_t flags; /* enum packet_flags */

	uint16_t vlan[DECODE_MAX_VLANS]; /* VLAN ids, outer first; 0 when absent */
	uint8_t vlan_count;
	uint8_t tunnel_depth; /* GRE / IP-in-IP layers decoded (at most DECODE_MAX_TUNNELS) */

	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto; /* L4 protocol (IPPROTO_*) after IPv6 extension headers */
	uint8_t ttl; /* TTL / hop limit */
	union decode_addr src, dst;
	const uint8_t *l3; /* IP header */
	uint32_t l3_len; /* IP datagram length per the header (capped to what was captured) */
	uint32_t l3_hdr_len; /* IPv4 header / IPv6 header + extension headers */

	/* fragment information (flags & PKT_FRAGMENT) */
	uint32_t frag_id; /* IPv4 id or IPv6 fragment identification */
	uint32_t frag_offset; /* in bytes */
	bool frag_more;

	const uint8_t *l4; /* L4 header (NULL for fragments and unknown protocols) */
	uint32_t l4_len; /* L4 header + payload */
	uint16_t sport, dport; /* host order; ICMP: 0 */
	uint8_t icmp_type, icmp_code;
	struct decode_tcp tcp;

	const uint8_t *payload;
	uint32_t payload_len;
};

struct decode_config {
	bool checksum_validation; /* IPv4 header + TCP/UDP/ICMP checksums; `-k none` = false */
};

struct decode_stats {
	uint64_t pkts; /* decode_packet() calls */
	uint64_t bytes; /* frame bytes */
	uint64_t ipv4, ipv6, tcp, udp, icmpv4, icmpv6, other_l4;
	uint64_t vlan, vlan_qinq;
	uint64_t pppoe, mpls, tunnels; /* PPPoE session, MPLS, GRE/IP-in-IP packets */
	uint64_t fragments;
	uint64_t l4_csum_bad;
	uint64_t errors[DECODE_ERR_MAX]; /* per enum decode_result (errors[0] unused) */
};

/*
 * Decode one frame of `linktype`. Fills *p (all fields reset first; p->ts_us and p->pkt_num
 * must be set by the caller afterwards or before: they are kept). Never reads past
 * frame[len - 1]. Returns DECODE_OK or an enum decode_result error; counts into *st (may be
 * NULL). A bad L4 checksum is not an error: it sets PKT_L4_CSUM_BAD (the worker drops it).
 */
enum decode_result decode_packet(struct packet *p, int linktype, const uint8_t *frame, size_t len,
				 const struct decode_config *cfg, struct decode_stats *st);

/* Decode an IP datagram (v4 or v6 by its version nibble) into *p, keeping p's link-layer
 * fields (vlan, frame); used for reassembled datagrams. Same contract as decode_packet(). */
enum decode_result decode_ip(struct packet *p, const uint8_t *data, size_t len,
			     const struct decode_config *cfg, struct decode_stats *st);

/* Short stable name of a decode result, e.g. "truncated" (for stats and error messages). */
const char *decode_result_name(enum decode_result r);

/* Format p->src/p->dst as text (inet_ntop) into buf (INET6_ADDRSTRLEN bytes). */
const char *decode_addr_format(const union decode_addr *a, int ip_version, char *buf, size_t size);

/* Internet checksum helpers (RFC 1071), exported for defrag and tests. */
uint32_t decode_csum_add(uint32_t sum, const uint8_t *data, size_t len);
uint16_t decode_csum_fold(uint32_t sum);
