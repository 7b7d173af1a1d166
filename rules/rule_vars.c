// SPDX-License-Identifier: GPL-2.0-only
/* Rule variables ($HOME_NET ...) and the address/port expressions of rule headers. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include "rule.h"

#define VARS_MAX 256
#define VAR_DEPTH_MAX 16

struct rule_var {
	char *name, *value;
};

struct rule_vars {
	struct rule_var v[VARS_MAX];
	size_t n;
};

/* Suricata 7 suricata.yaml defaults (vars.address-groups and vars.port-groups). */
static const char *const default_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" },
	{ "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" },
	{ "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" },
	{ "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" },
	{ "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" },
	{ "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" },
	{ "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
	{ "HTTP_PORTS", "80" },
	{ "SHELLCODE_PORTS", "!80" },
	{ "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" },
	{ "DNP3_PORTS", "20000" },
	{ "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" },
	{ "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" },
	{ "VXLAN_PORTS", "4789" },
	{ "TEREDO_PORTS", "3544" },
};

void rule_vars_free(struct rule_vars *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++) {
		free(v->v[i].name);
		free(v->v[i].value);
	}
	free(v);
}

int rule_vars_set(struct rule_vars *v, const char *name, const char *value)
{
	char *n, *val;

	if (!name || !*name || !value || !*value)
		return -EINVAL;
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			return -EINVAL;
	val = strdup(value);
	if (!val)
		return -ENOMEM;
	for (size_t i = 0; i < v->n; i++) {
		if (strcmp(v->v[i].name, name) == 0) {
			free(v->v[i].value);
			v->v[i].value = val;
			return 0;
		}
	}
	if (v->n >= VARS_MAX) {
		free(val);
		return -ENOSPC;
	}
	n = strdup(name);
	if (!n) {
		free(val);
		return -ENOMEM;
	}
	v->v[v->n].name = n;
	v->v[v->n].value = val;
	v->n++;
	return 0;
}

struct rule_vars *rule_vars_new(void)
{
	struct rule_vars *v = calloc(1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < ARRAY_SIZE(default_vars); i++) {
		if (rule_vars_set(v, default_vars[i][0], default_vars[i][1]) < 0) {
			rule_vars_free(v);
			return NULL;
		}
	}
	return v;
}

static const char *vars_lookup(const struct rule_vars *v, const char *name, size_t len)
{
	for (size_t i = 0; i < v->n; i++)
		if (strlen(v->v[i].name) == len && memcmp(v->v[i].name, name, len) == 0)
			return v->v[i].value;
	return NULL;
}

_printf_(3, 4) static int seterr(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Split a "[a,b,[c,d]]" body (without the outer brackets) at top-level commas. */
typedef int (*elem_fn)(void *ctx, const char *s, size_t len, bool neg, int depth);

static int expr_walk(const struct rule_vars *v, const char *s, size_t len, bool neg, int depth,
		     elem_fn fn, void *ctx, char *errbuf, size_t errlen);

static int list_walk(const struct rule_vars *v, const char *s, size_t len, bool neg, int depth,
		     elem_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	size_t start = 0;
	int nest = 0, r;

	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] == '[')
			nest++;
		else if (i < len && s[i] == ']')
			nest--;
		if (nest < 0)
			return seterr(errbuf, errlen, "unbalanced ']' in \"%.*s\"", (int)len, s);
		if (i == len || (s[i] == ',' && nest == 0)) {
			if (nest != 0)
				return seterr(errbuf, errlen, "unbalanced '[' in \"%.*s\"",
					      (int)len, s);
			r = expr_walk(v, s + start, i - start, neg, depth, fn, ctx, errbuf, errlen);
			if (r < 0)
				return r;
			start = i + 1;
		}
	}
	return 0;
}

static int expr_walk(const struct rule_vars *v, const char *s, size_t len, bool neg, int depth,
		     elem_fn fn, void *ctx, char *errbuf, size_t errlen)
{
	while (len && isspace((unsigned char)*s))
		s++, len--;
	while (len && isspace((unsigned char)s[len - 1]))
		len--;
	if (depth > VAR_DEPTH_MAX)
		return seterr(errbuf, errlen, "variables nested too deep (a cycle?)");
	if (len == 0)
		return seterr(errbuf, errlen, "empty element in address or port list");
	if (s[0] == '!')
		return expr_walk(v, s + 1, len - 1, !neg, depth, fn, ctx, errbuf, errlen);
	if (s[0] == '[') {
		if (s[len - 1] != ']')
			return seterr(errbuf, errlen, "unbalanced '[' in \"%.*s\"", (int)len, s);
		return list_walk(v, s + 1, len - 2, neg, depth + 1, fn, ctx, errbuf, errlen);
	}
	if (s[0] == '$') {
		const char *val = vars_lookup(v, s + 1, len - 1);

		if (!val)
			return seterr(errbuf, errlen, "undefined variable \"%.*s\"", (int)len, s);
		return expr_walk(v, val, strlen(val), neg, depth + 1, fn, ctx, errbuf, errlen);
	}
	return fn(ctx, s, len, neg, depth);
}

struct addr_acc {
	struct addr_list *l;
	char *errbuf;
	size_t errlen;
};

static int addr_push(struct addr_list *l, const struct cidr *c, bool neg)
{
	struct addr_ent *nv;

	if (l->n >= RULE_MAX_ADDRS)
		return -ENOSPC;
	nv = realloc(l->v, (l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	l->v = nv;
	l->v[l->n].c = *c;
	l->v[l->n].neg = neg;
	l->n++;
	return 0;
}

static int addr_elem(void *ctx, const char *s, size_t len, bool neg, int depth)
{
	struct addr_acc *a = ctx;
	char buf[128];
	struct cidr c;
	int r;

	if (len == 3 && strncasecmp(s, "any", 3) == 0) {
		if (neg)
			return seterr(a->errbuf, a->errlen, "\"!any\" matches nothing");
		r = cidr_parse_loose("0.0.0.0/0", &c);
		if (r >= 0)
			r = addr_push(a->l, &c, false);
		if (r >= 0)
			r = cidr_parse_loose("::/0", &c);
		if (r >= 0)
			r = addr_push(a->l, &c, false);
		return r;
	}
	if (len >= sizeof(buf))
		return seterr(a->errbuf, a->errlen, "address too long: \"%.40s...\"", s);
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (strchr(buf, '-'))
		return seterr(a->errbuf, a->errlen, "address ranges are not supported: \"%s\"",
			      buf);
	r = cidr_parse_loose(buf, &c);
	if (r < 0)
		return seterr(a->errbuf, a->errlen, "bad address \"%s\"", buf);
	r = addr_push(a->l, &c, neg);
	if (r == -ENOSPC)
		return seterr(a->errbuf, a->errlen, "more than %d addresses", RULE_MAX_ADDRS);
	return r;
}

int rule_vars_parse_addr(const struct rule_vars *v, const char *s, struct addr_list *ret,
			 char *errbuf, size_t errlen)
{
	struct addr_list l = { 0 };
	struct addr_acc a = { .l = &l, .errbuf = errbuf, .errlen = errlen };
	int r;

	if (strcasecmp(s, "any") == 0) {
		*ret = l;
		return 0;
	}
	r = expr_walk(v, s, strlen(s), false, 0, addr_elem, &a, errbuf, errlen);
	if (r < 0) {
		free(l.v);
		return r;
	}
	*ret = l;
	return 0;
}

struct port_acc {
	struct port_list *l;
	char *errbuf;
	size_t errlen;
};

static int port_num(const char *s, size_t len, uint16_t *ret)
{
	uint64_t v = 0;

	if (len == 0 || len > 5)
		return -EINVAL;
	for (size_t i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -EINVAL;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (v > 65535)
		return -ERANGE;
	*ret = (uint16_t)v;
	return 0;
}

static int port_elem(void *ctx, const char *s, size_t len, bool neg, int depth)
{
	struct port_acc *a = ctx;
	struct port_ent e = { .lo = 0, .hi = 65535, .neg = neg };
	struct port_ent *nv;
	const char *colon = memchr(s, ':', len);

	if (len == 3 && strncasecmp(s, "any", 3) == 0) {
		if (neg)
			return seterr(a->errbuf, a->errlen, "\"!any\" matches nothing");
	} else if (colon) {
		size_t l1 = (size_t)(colon - s), l2 = len - l1 - 1;

		if ((l1 && port_num(s, l1, &e.lo) < 0) ||
		    (l2 && port_num(colon + 1, l2, &e.hi) < 0))
			return seterr(a->errbuf, a->errlen, "bad port range \"%.*s\"", (int)len, s);
		if (e.lo > e.hi)
			return seterr(a->errbuf, a->errlen, "empty port range \"%.*s\"", (int)len,
				      s);
	} else {
		if (port_num(s, len, &e.lo) < 0)
			return seterr(a->errbuf, a->errlen, "bad port \"%.*s\"", (int)len, s);
		e.hi = e.lo;
	}
	if (a->l->n >= RULE_MAX_ADDRS)
		return seterr(a->errbuf, a->errlen, "more than %d ports", RULE_MAX_ADDRS);
	nv = realloc(a->l->v, (a->l->n + 1) * sizeof(*nv));
	if (!nv)
		return -ENOMEM;
	a->l->v = nv;
	a->l->v[a->l->n++] = e;
	return 0;
}

int rule_vars_parse_port(const struct rule_vars *v, const char *s, struct port_list *ret,
			 char *errbuf, size_t errlen)
{
	struct port_list l = { 0 };
	struct port_acc a = { .l = &l, .errbuf = errbuf, .errlen = errlen };
	int r;

	if (strcasecmp(s, "any") == 0) {
		*ret = l;
		return 0;
	}
	r = expr_walk(v, s, strlen(s), false, 0, port_elem, &a, errbuf, errlen);
	if (r < 0) {
		free(l.v);
		return r;
	}
	*ret = l;
	return 0;
}

/* Suricata's group semantics: inside at least one positive entry (or none exist) and
 * inside no negated entry. */
bool addr_list_match(const struct addr_list *l, int family, const uint8_t *addr)
{
	bool has_pos = false, in_pos = false;

	for (uint32_t i = 0; i < l->n; i++) {
		const struct addr_ent *e = &l->v[i];

		if (e->c.family != family) {
			if (!e->neg)
				has_pos = true;
			continue;
		}
		if (e->neg) {
			if (cidr_contains(&e->c, family, addr))
				return false;
		} else {
			has_pos = true;
			if (!in_pos && cidr_contains(&e->c, family, addr))
				in_pos = true;
		}
	}
	return !has_pos || in_pos;
}

bool port_list_match(const struct port_list *l, uint16_t port)
{
	bool has_pos = false, in_pos = false;

	for (uint32_t i = 0; i < l->n; i++) {
		const struct port_ent *e = &l->v[i];
		bool in = port >= e->lo && port <= e->hi;

		if (e->neg) {
			if (in)
				return false;
		} else {
			has_pos = true;
			in_pos |= in;
		}
	}
	return !has_pos || in_pos;
}
