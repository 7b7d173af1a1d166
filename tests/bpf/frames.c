// SPDX-License-Identifier: GPL-2.0-only
/* Test frames built byte by byte for the bpf suite (see frames.h). */

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "frames.h"

static void put(struct frame *f, const void *p, size_t n)
{
	memcpy(f->b + f->len, p, n);
	f->len += n;
}

void put8(struct frame *f, uint8_t v)
{
	put(f, &v, 1);
}

void put16(struct frame *f, uint16_t v)
{
	v = htons(v);
	put(f, &v, 2);
}

void put32(struct frame *f, uint32_t v)
{
	v = htonl(v);
	put(f, &v, 4);
}

/* Ethernet with 0, 1 (802.1Q) or 2 (802.1ad + 802.1Q) tags. */
void eth(struct frame *f, uint16_t type, int tags)
{
	static const uint8_t macs[12] = { 2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2 };

	memset(f, 0, sizeof(*f));
	put(f, macs, 12);
	if (tags == 2) {
		put16(f, ETH_P_8021AD);
		put16(f, 100);
	}
	if (tags >= 1) {
		put16(f, ETH_P_8021Q);
		put16(f, 200);
	}
	put16(f, type);
}

static uint32_t ip4(const char *s)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		abort();
	return ntohl(a.s_addr);
}

/* IPv4 header with optlen bytes of options (multiple of 4), frag = flags|offset field. */
void ipv4(struct frame *f, const char *src, const char *dst, uint8_t proto, int optlen,
	  uint16_t frag)
{
	f->l3 = f->len;
	put8(f, 0x40 | (5 + optlen / 4));
	put8(f, 0);
	put16(f, 0); /* total length: fixed up by finish() */
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	put32(f, ip4(src));
	put32(f, ip4(dst));
	for (int i = 0; i < optlen - 1; i++)
		put8(f, 1); /* NOP */
	if (optlen)
		put8(f, 0); /* EOL */
	f->l4 = f->len;
	f->need = f->len;
}

void ipv6(struct frame *f, const char *src, const char *dst, uint8_t nexthdr)
{
	struct in6_addr a;

	f->l3 = f->len;
	put32(f, 0x60000000);
	put16(f, 0); /* payload length: fixed up by finish() */
	put8(f, nexthdr);
	put8(f, 64);
	if (inet_pton(AF_INET6, src, &a) != 1)
		abort();
	put(f, &a, 16);
	if (inet_pton(AF_INET6, dst, &a) != 1)
		abort();
	put(f, &a, 16);
	f->l4 = f->len;
	f->need = f->len;
}

/* IPv6 extension header: type 0/43/60 with len units of 8 bytes beyond the first 8. */
void ext6(struct frame *f, uint8_t type, uint8_t next, uint16_t len)
{
	put8(f, next);
	if (type == 44) { /* fragment: next, reserved, offset|M, id */
		put8(f, 0);
		put16(f, len); /* here: the frag_off field */
		put32(f, 0xabcd);
	} else if (type == 51) { /* AH: length in 4-byte units minus 2 */
		put8(f, (uint8_t)len);
		for (int i = 2; i < (len + 2) * 4; i++)
			put8(f, 0);
	} else {
		put8(f, (uint8_t)len);
		for (int i = 2; i < (len + 1) * 8; i++)
			put8(f, 0);
	}
	f->l4 = f->len;
	f->need = f->len;
}

void tcp(struct frame *f, uint16_t dport)
{
	f->l4 = f->len;
	put16(f, 40000);
	put16(f, dport);
	put32(f, 1);
	put32(f, 0);
	put8(f, 5 << 4);
	put8(f, 0x02); /* SYN */
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	f->need = f->len;
}

void udp(struct frame *f, uint16_t dport)
{
	f->l4 = f->len;
	put16(f, 40000);
	put16(f, dport);
	put16(f, 8 + 4);
	put16(f, 0);
	f->need = f->len;
}

void icmp(struct frame *f, uint8_t type)
{
	f->l4 = f->len;
	put8(f, type);
	put8(f, 0);
	put16(f, 0);
	f->need = f->len;
	put32(f, 0);
}

/* Append payload, fix IP lengths. */
void finish(struct frame *f)
{
	uint16_t v;

	put32(f, 0xdeadbeef);
	if ((f->b[f->l3] >> 4) == 4) {
		v = htons(f->len - f->l3);
		memcpy(f->b + f->l3 + 2, &v, 2);
	} else if ((f->b[f->l3] >> 4) == 6) {
		v = htons(f->len - f->l3 - 40);
		memcpy(f->b + f->l3 + 4, &v, 2);
	}
	while (f->len < 60)
		put8(f, 0);
}
