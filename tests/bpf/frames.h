/* SPDX-License-Identifier: GPL-2.0-only */
/* Test frames built byte by byte: Ethernet (VLAN, QinQ), IPv4 (options, fragments), IPv6
 * (extension headers), TCP, UDP, ICMP; for the bpf suite. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct frame {
	uint8_t b[512];
	size_t len;
	size_t need; /* bytes the parser needs before it judges L3/L4 (headers end) */
	size_t l3; /* offset of the IP header */
	size_t l4; /* offset of the L4 header */
};

void put8(struct frame *f, uint8_t v);
void put16(struct frame *f, uint16_t v);
void put32(struct frame *f, uint32_t v);
/* Ethernet with 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) tags; starts a new frame. */
void eth(struct frame *f, uint16_t type, int tags);
/* IPv4 header with optlen bytes of options (multiple of 4), frag = flags|offset field. */
void ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto, int optlen,
	  uint16_t frag);
void ipv6(struct frame *f, const char *src, const char *dst, uint8_t nexthdr);
/* IPv6 extension header of type 0/43/60 (len: 8-byte units beyond the first 8), 51 (AH: len
 * in 4-byte units minus 2) or 44 (fragment: len is the offset|M field). */
void ext6(struct frame *f, uint8_t type, uint8_t next, uint16_t len);
void tcp(struct frame *f, uint16_t dport);
void udp(struct frame *f, uint16_t dport);
void icmp(struct frame *f, uint8_t type);
/* Append a payload, fix the IP lengths, pad to 60 bytes. */
void finish(struct frame *f);
