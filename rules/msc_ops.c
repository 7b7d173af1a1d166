// SPDX-License-Identifier: GPL-2.0-only
/*
 * ModSecurity byte-level operators. Hand written: they are a few loops over bytes with
 * ModSecurity's exact notion of validity; @ipMatch reuses lib/cidr for the parsing.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cidr.h"
#include "lib/macro.h"
#include "msc_ops.h"

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Parse a decimal byte value from [p, e); false if not 0..255 digits only. */
static bool parse_byte(const char *p, const char *e, unsigned *ret)
{
	unsigned v = 0;
	if (p == e || e - p > 3)
		return false;
	for (; p < e; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned)(*p - '0');
	}
	if (v > 255)
		return false;
	*ret = v;
	return true;
}

int msc_byte_range_parse(const char *arg, struct msc_byte_range *r, char *err, size_t errlen)
{
	struct msc_byte_range tmp = { 0 };
	const char *p = arg;

	for (;;) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		const char *a = p, *b = e;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		const char *dash = memchr(a, '-', (size_t)(b - a));
		unsigned lo, hi;
		bool ok;
		if (dash)
			ok = parse_byte(a, dash, &lo) && parse_byte(dash + 1, b, &hi) && lo <= hi;
		else
			ok = parse_byte(a, b, &lo) && (hi = lo, true);
		if (!ok) {
			snprintf(
				err, errlen,
				"@validateByteRange: bad token '%.*s' (want N or N-M, 0 <= N <= M <= 255)",
				(int)(b - a), a);
			return -EINVAL;
		}
		for (unsigned v = lo; v <= hi; v++)
			tmp.allowed[v / 64] |= 1ULL << (v % 64);
		if (!comma)
			break;
		p = comma + 1;
	}
	*r = tmp;
	return 0;
}

bool msc_op_validate_byte_range(const struct msc_byte_range *r, const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!(r->allowed[in[i] / 64] & (1ULL << (in[i] % 64))))
			return true;
	return false;
}

static bool is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'f');
}

bool msc_op_validate_url_encoding(const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len;) {
		if (in[i] != '%') {
			i++;
			continue;
		}
		if (i + 2 >= len || !is_hex(in[i + 1]) || !is_hex(in[i + 2]))
			return true;
		i += 3;
	}
	return false;
}

/* Length of the well-formed UTF-8 sequence at IN, or 0 if it is not one. */
static size_t utf8_seq(const uint8_t *in, size_t len)
{
	uint8_t c = in[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if ((c & 0xe0) == 0xc0) {
		n = 2;
		cp = c & 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3;
		cp = c & 0x0f;
	} else if ((c & 0xf8) == 0xf0 && c < 0xf5) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t k = 1; k < n; k++) {
		if ((in[k] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (in[k] & 0x3f);
	}
	static const uint32_t min_cp[5] = { 0, 0, 0x80, 0x800, 0x10000 };
	if (cp < min_cp[n] || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return n;
}

bool msc_op_validate_utf8(const uint8_t *in, size_t len)
{
	for (size_t i = 0; i < len;) {
		size_t n = utf8_seq(in + i, len - i);
		if (n == 0)
			return true;
		i += n;
	}
	return false;
}

struct msc_ipset {
	size_t n;
	struct cidr e[];
};

int msc_ipset_parse(const char *list, struct msc_ipset **ret, char *err, size_t errlen)
{
	size_t cap = 1;
	for (const char *q = list; *q; q++)
		cap += *q == ',';
	if (cap > MSC_IPSET_MAX) {
		snprintf(err, errlen, "@ipMatch: more than %d entries", MSC_IPSET_MAX);
		return -E2BIG;
	}
	_cleanup_free_ struct msc_ipset *s = calloc(1, sizeof(*s) + cap * sizeof(s->e[0]));
	if (!s)
		return -ENOMEM;

	const char *p = list;
	for (;;) {
		const char *comma = strchr(p, ',');
		const char *e = comma ? comma : p + strlen(p);
		const char *a = p, *b = e;
		while (a < b && is_blank(*a))
			a++;
		while (b > a && is_blank(b[-1]))
			b--;
		if (b > a) {
			char tok[CIDR_STRLEN + 1];
			size_t n = (size_t)(b - a);
			int r = -EINVAL;
			if (n < sizeof(tok)) {
				memcpy(tok, a, n);
				tok[n] = 0;
				r = cidr_parse_loose(tok, &s->e[s->n]);
			}
			if (r < 0) {
				snprintf(err, errlen,
					 "@ipMatch: bad entry '%.*s' (want an IPv4/IPv6 address or "
					 "CIDR)",
					 (int)MIN(n, 64), a);
				return -EINVAL;
			}
			s->n++;
		}
		if (!comma)
			break;
		p = comma + 1;
	}
	if (s->n == 0) {
		snprintf(err, errlen, "@ipMatch: empty address list");
		return -EINVAL;
	}
	*ret = TAKE_PTR(s);
	return 0;
}

void msc_ipset_free(struct msc_ipset *s)
{
	free(s);
}

size_t msc_ipset_count(const struct msc_ipset *s)
{
	return s->n;
}

bool msc_ipset_match(const struct msc_ipset *s, const uint8_t *addr_text, size_t len)
{
	char tok[INET6_ADDRSTRLEN + 1];
	uint8_t addr[16];
	int family;

	if (len == 0 || len >= sizeof(tok))
		return false;
	memcpy(tok, addr_text, len);
	tok[len] = 0;
	if (memchr(tok, 0, len))
		return false;
	if (inet_pton(AF_INET, tok, addr) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, tok, addr) == 1)
		family = AF_INET6;
	else
		return false;
	for (size_t i = 0; i < s->n; i++)
		if (s->e[i].family == family && cidr_contains(&s->e[i], family, addr))
			return true;
	return false;
}
