/* SPDX-License-Identifier: GPL-2.0-only */
/* IPv4/IPv6 addresses and CIDR prefixes: parsing, canonical form, formatting, matching. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Large enough for "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255/128". */
#define CIDR_STRLEN 56

struct cidr {
	uint8_t family; /* AF_INET or AF_INET6 */
	uint8_t prefix; /* 0..32 or 0..128 */
	uint8_t addr[16]; /* network byte order; IPv4 uses the first 4 bytes, rest zero */
};

/*
 * Parse "ADDR" (a host: /32 or /128) or "ADDR/LEN". The result is in canonical form.
 * Returns 0; -EINVAL when the address or length is malformed; -ERANGE when the length is
 * out of range for the family; -EADDRNOTAVAIL when host bits are set beyond the prefix
 * ("10.1.2.3/8"); in that last case *ret holds the canonical prefix ("10.0.0.0/8") so the
 * caller can suggest it. Otherwise *ret is untouched on failure.
 */
int cidr_parse(const char *s, struct cidr *ret);

/* Like cidr_parse(), but silently clears host bits (for rule files and configs). */
int cidr_parse_loose(const char *s, struct cidr *ret);

/* Clear the bits beyond the prefix. */
void cidr_canonicalize(struct cidr *c);

/* "10.0.0.0/8", "2001:db8::/32"; hosts keep their /32 or /128. Returns buf. */
const char *cidr_format(const struct cidr *c, char *buf, unsigned long len);

/* Format just an address of the family (4 or 16 bytes). Returns buf. */
const char *addr_format(int family, const void *addr, char *buf, unsigned long len);

/* True if addr (of family) lies within c. */
bool cidr_contains(const struct cidr *c, int family, const void *addr);

/* True if the prefix is a single host (/32 or /128). */
bool cidr_is_host(const struct cidr *c);

/* The maximum prefix length of the family (32 or 128). */
static inline unsigned int cidr_max_prefix(const struct cidr *c)
{
	return c->family == AF_INET ? 32 : 128;
}
