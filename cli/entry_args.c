// SPDX-License-Identifier: GPL-2.0-only
/* fwctl's entry arguments -> struct moat_dp_entry, with errors naming the bad value. */
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/lib.h"
#include "entry_args.h"

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int fail(char *err, size_t errlen, int r, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return r;
}

int entry_args_proto(const char *s, uint8_t *ret)
{
	static const struct {
		const char *name;
		uint8_t proto;
	} protos[] = {
		{ "tcp", IPPROTO_TCP },	      { "udp", IPPROTO_UDP },	   { "icmp", IPPROTO_ICMP },
		{ "icmpv6", IPPROTO_ICMPV6 }, { "icmp6", IPPROTO_ICMPV6 },
	};

	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (strcmp(s, protos[i].name) == 0) {
			*ret = protos[i].proto;
			return 0;
		}
	return -EINVAL;
}

const char *entry_args_proto_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP:
		return "tcp";
	case IPPROTO_UDP:
		return "udp";
	case IPPROTO_ICMP:
		return "icmp";
	case IPPROTO_ICMPV6:
		return "icmpv6";
	default:
		return NULL;
	}
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* Checks everything that does not depend on the target; fills the entry's option fields. */
static int build_opts(const struct entry_args_opts *o, struct moat_dp_entry *e, char *err,
		      size_t errlen)
{
	uint64_t v;
	int r;

	e->reason = MOAT_REASON_MANUAL;
	e->dir = MOAT_DIR_SRC;
	if (o->dir) {
		if (strcmp(o->dir, "src") == 0)
			e->dir = MOAT_DIR_SRC;
		else if (strcmp(o->dir, "dst") == 0)
			e->dir = MOAT_DIR_DST;
		else
			return fail(err, errlen, -EINVAL, "invalid direction '%s' (src or dst)",
				    o->dir);
	}
	if (o->proto) {
		r = entry_args_proto(o->proto, &e->proto);
		if (r < 0)
			return fail(err, errlen, r,
				    "unknown protocol '%s' (tcp, udp, icmp or icmpv6)", o->proto);
	}
	if (o->port) {
		if (!o->proto)
			return fail(err, errlen, -EINVAL, "--port %s needs --proto tcp|udp|icmp",
				    o->port);
		if (is_icmp(e->proto)) {
			/* For ICMP the "port" is the message type, and type 0 (echo reply) exists. */
			r = parse_u64(o->port, 0, 255, &v);
			if (r < 0)
				return fail(err, errlen, r, "invalid ICMP type '%s' (0..255)",
					    o->port);
		} else {
			r = parse_u64(o->port, 1, 65535, &v);
			if (r < 0)
				return fail(err, errlen, r, "invalid port '%s' (1..65535)",
					    o->port);
		}
		e->port = (uint16_t)v;
	} else if (o->proto) {
		if (!is_icmp(e->proto))
			return fail(err, errlen, -EINVAL, "--proto %s needs --port N", o->proto);
		/* ICMP without a type: echo request, i.e. "block ping". */
		e->port = e->proto == IPPROTO_ICMP ? 8 : 128;
	}
	if (o->proto) {
		e->kind = o->allow ? MOAT_KIND_PORT_ALLOW : MOAT_KIND_PORT_BLOCK;
		if (e->dir != MOAT_DIR_SRC)
			return fail(err, errlen, -EINVAL,
				    "--dir dst cannot be combined with --proto (port entries are "
				    "scoped by source)");
	} else {
		e->kind = o->allow ? MOAT_KIND_ALLOW : MOAT_KIND_BLOCK;
		if (o->allow && e->dir != MOAT_DIR_SRC)
			return fail(err, errlen, -EINVAL,
				    "--dir dst is only for block entries (the allowlist is by "
				    "source)");
	}
	if (o->ttl) {
		r = parse_duration(o->ttl, &v);
		if (r < 0)
			return fail(err, errlen, r, "invalid duration '%s' (e.g. 30s, 10m, 1h, 7d)",
				    o->ttl);
		if (v == 0)
			return fail(err, errlen, -ERANGE,
				    "invalid duration '%s' (must be > 0; omit --ttl for no expiry)",
				    o->ttl);
		/* Expiry is kept in ns: refuse what would overflow (more than ~500 years). */
		if (v > UINT64_MAX / 1000000000ull / 2)
			return fail(err, errlen, -ERANGE, "invalid duration '%s' (too long)",
				    o->ttl);
		e->ttl_sec = v;
	}
	if (o->reason) {
		if (strlen(o->reason) >= MOAT_NOTE_LEN)
			return fail(err, errlen, -ERANGE, "reason too long (%zu bytes, at most %d)",
				    strlen(o->reason), MOAT_NOTE_LEN - 1);
		for (const char *p = o->reason; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f)
				return fail(err, errlen, -EINVAL,
					    "--reason has a control character (byte %zu)",
					    (size_t)(p - o->reason));
		{
			/* the reason goes into JSON (state file, EVE, control socket): UTF-8 only;
			 * jansson's string constructor is the validator */
			json_t *j = json_string(o->reason);

			if (!j)
				return fail(err, errlen, -EINVAL, "--reason is not valid UTF-8");
			json_decref(j);
		}
		snprintf(e->note, sizeof(e->note), "%s", o->reason);
	}
	return 0;
}

int entry_args_template(const struct entry_args_opts *o, struct moat_dp_entry *ret, char *err,
			size_t errlen)
{
	struct moat_dp_entry e = { 0 };
	int r;

	r = build_opts(o, &e, err, errlen);
	if (r < 0)
		return r;
	*ret = e;
	return 0;
}

int entry_args_build(const struct entry_args_opts *o, const char *target, struct moat_dp_entry *ret,
		     char *err, size_t errlen)
{
	struct moat_dp_entry e = { 0 };
	char buf[CIDR_STRLEN];
	int r;

	r = build_opts(o, &e, err, errlen);
	if (r < 0)
		return r;
	if (!target) {
		if (!o->proto)
			return fail(err, errlen, -EINVAL, "missing CIDR");
		if (is_icmp(e.proto))
			return fail(err, errlen, -EINVAL,
				    "--proto %s needs a source scope (0.0.0.0/0 or ::/0)",
				    o->proto);
		e.cidr.family = AF_UNSPEC;
		*ret = e;
		return 0;
	}
	r = cidr_parse(target, &e.cidr);
	switch (r) {
	case 0:
		break;
	case -EADDRNOTAVAIL:
		return fail(err, errlen, r, "invalid CIDR '%s': host bits set (did you mean %s?)",
			    target, cidr_format(&e.cidr, buf, sizeof(buf)));
	case -ERANGE:
		return fail(err, errlen, r, "invalid CIDR '%s': prefix length out of range",
			    target);
	default:
		return fail(err, errlen, r, "invalid CIDR '%s'", target);
	}
	if (e.proto == IPPROTO_ICMP && e.cidr.family == AF_INET6)
		return fail(err, errlen, -EINVAL, "--proto icmp with IPv6 '%s' (use icmpv6)",
			    target);
	if (e.proto == IPPROTO_ICMPV6 && e.cidr.family == AF_INET)
		return fail(err, errlen, -EINVAL, "--proto icmpv6 with IPv4 '%s' (use icmp)",
			    target);
	*ret = e;
	return 0;
}

int entry_args_line(char *line, const char **ret_target, char *err, size_t errlen)
{
	char *p, *end, *tok;

	p = strchr(line, '#');
	if (p)
		*p = '\0';
	p = line;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (!*p)
		return 0;
	tok = p;
	while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
		p++;
	end = p;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	if (*p) {
		size_t n = strlen(p);

		while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r' ||
			     p[n - 1] == '\n'))
			n--;
		return fail(err, errlen, -EINVAL,
			    "unexpected '%.*s' after '%.*s' (one CIDR a line)", (int)n, p,
			    (int)(end - tok), tok);
	}
	*end = '\0';
	*ret_target = tok;
	return 1;
}
