// SPDX-License-Identifier: GPL-2.0-only
/* IPv4/IPv6 CIDR parsing on top of inet_pton, with canonical-form checks. */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cidr.h"
#include "parse.h"

void cidr_canonicalize(struct cidr *c)
{
	unsigned int bytes = c->family == AF_INET ? 4 : 16;

	for (unsigned int i = 0; i < 16; i++) {
		unsigned int bit = i * 8;

		if (i >= bytes || bit >= c->prefix) {
			c->addr[i] = 0;
		} else if (bit + 8 > c->prefix) {
			c->addr[i] &= (uint8_t)(0xff << (8 - (c->prefix - bit)));
		}
	}
}

static int cidr_parse_internal(const char *s, struct cidr *ret, bool strict)
{
	char buf[INET6_ADDRSTRLEN + 8];
	struct cidr c = { 0 };
	const char *slash;
	size_t alen;

	if (!s)
		return -EINVAL;
	slash = strchr(s, '/');
	alen = slash ? (size_t)(slash - s) : strlen(s);
	if (alen == 0 || alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, c.addr) == 1) {
		c.family = AF_INET;
	} else if (inet_pton(AF_INET6, buf, c.addr) == 1) {
		c.family = AF_INET6;
	} else {
		return -EINVAL;
	}
	c.prefix = (uint8_t)cidr_max_prefix(&c);
	if (slash) {
		uint64_t len;
		int r;

		/* Only plain decimal lengths: no "0x10", no "+8", no empty. */
		for (const char *p = slash + 1; *p; p++)
			if (*p < '0' || *p > '9')
				return -EINVAL;
		if (strlen(slash + 1) > 3)
			return -ERANGE;
		r = parse_u64(slash + 1, 0, cidr_max_prefix(&c), &len);
		if (r < 0)
			return r;
		c.prefix = (uint8_t)len;
	}
	if (strict) {
		struct cidr canon = c;

		cidr_canonicalize(&canon);
		if (memcmp(canon.addr, c.addr, sizeof(c.addr))) {
			*ret = canon;
			return -EADDRNOTAVAIL;
		}
	}
	cidr_canonicalize(&c);
	*ret = c;
	return 0;
}

int cidr_parse(const char *s, struct cidr *ret)
{
	return cidr_parse_internal(s, ret, true);
}

int cidr_parse_loose(const char *s, struct cidr *ret)
{
	return cidr_parse_internal(s, ret, false);
}

const char *addr_format(int family, const void *addr, char *buf, unsigned long len)
{
	if (!inet_ntop(family, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

const char *cidr_format(const struct cidr *c, char *buf, unsigned long len)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(c->family, c->addr, a, sizeof(a));
	snprintf(buf, len, "%s/%u", a, c->prefix);
	return buf;
}

bool cidr_contains(const struct cidr *c, int family, const void *addr)
{
	const uint8_t *a = addr;
	unsigned int full = c->prefix / 8, rest = c->prefix % 8;

	if (family != c->family)
		return false;
	if (memcmp(a, c->addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((a[full] & mask) != c->addr[full])
			return false;
	}
	return true;
}

bool cidr_is_host(const struct cidr *c)
{
	return c->prefix == cidr_max_prefix(c);
}
