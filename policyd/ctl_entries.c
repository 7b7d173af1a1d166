// SPDX-License-Identifier: GPL-2.0-only
/* entries.add / entries.delete / iface.attach / iface.detach (ctl_entries.h). */
#include "ctl_entries.h"

#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "lib/lib.h"
#include "dpi/eve.h"
#include "control.h"
#include "daemon.h"

/* Targets in one request: a bulk file comes in chunks (a request line is at most 64 KiB). */
#define CTL_ENTRIES_MAX 4096
/* Entries read back into the reply (the rest are counted). */
#define CTL_ENTRIES_LISTED 100

struct ctl_entries {
	struct daemon *d;
	struct control *c;
};

static const struct control_arg add_args[] = {
	{ "kind", JSON_STRING, true },	  { "cidrs", JSON_ARRAY, true },
	{ "dir", JSON_STRING, false },	  { "proto", JSON_STRING, false },
	{ "port", JSON_INTEGER, false },  { "ttl_s", JSON_INTEGER, false },
	{ "reason", JSON_STRING, false }, {},
};

static const struct control_arg delete_args[] = {
	{ "kind", JSON_STRING, true },	 { "cidrs", JSON_ARRAY, true },
	{ "dir", JSON_STRING, false },	 { "proto", JSON_STRING, false },
	{ "port", JSON_INTEGER, false }, {},
};

static const struct control_arg attach_args[] = {
	{ "ifname", JSON_STRING, true },
	{ "xdp_mode", JSON_STRING, false },
	{ "tc", JSON_TRUE, false },
	{},
};

static const struct control_arg detach_args[] = {
	{ "ifname", JSON_STRING, true },
	{},
};

static const struct {
	const char *name;
	uint8_t proto;
} protos[] = {
	{ "tcp", IPPROTO_TCP },
	{ "udp", IPPROTO_UDP },
	{ "icmp", IPPROTO_ICMP },
	{ "icmpv6", IPPROTO_ICMPV6 },
};

static const char *proto_name(uint8_t p)
{
	for (size_t i = 0; i < ARRAY_SIZE(protos); i++)
		if (protos[i].proto == p)
			return protos[i].name;
	return NULL;
}

static bool is_icmp(uint8_t p)
{
	return p == IPPROTO_ICMP || p == IPPROTO_ICMPV6;
}

static bool is_port_kind(uint8_t kind)
{
	return kind == MOAT_KIND_PORT_BLOCK || kind == MOAT_KIND_PORT_ALLOW;
}

/*
 * The arguments but the targets -> the template every target's entry starts from. The same
 * rules as fwctl's (cli/entry_args.c), which checks them before asking: the daemon checks
 * again because any client may connect.
 */
static int parse_template(json_t *args, bool add, struct moat_dp_entry *e, char *err, size_t errlen)
{
	const char *kind = json_string_value(json_object_get(args, "kind"));
	const char *dir = json_string_value(json_object_get(args, "dir"));
	const char *proto = json_string_value(json_object_get(args, "proto"));
	const char *reason = json_string_value(json_object_get(args, "reason"));
	json_t *port = json_object_get(args, "port"), *ttl = json_object_get(args, "ttl_s");
	bool allow;

	*e = (struct moat_dp_entry){ .reason = MOAT_REASON_MANUAL, .dir = MOAT_DIR_SRC };
	if (strcmp(kind, "block") == 0) {
		allow = false;
	} else if (strcmp(kind, "allow") == 0) {
		allow = true;
	} else {
		snprintf(err, errlen, "invalid kind '%.32s' (block or allow)", kind);
		return -EINVAL;
	}
	if (dir && strcmp(dir, "dst") == 0) {
		e->dir = MOAT_DIR_DST;
	} else if (dir && strcmp(dir, "src") != 0) {
		snprintf(err, errlen, "invalid dir '%.32s' (src or dst)", dir);
		return -EINVAL;
	}
	if (proto) {
		size_t i;

		for (i = 0; i < ARRAY_SIZE(protos); i++)
			if (strcmp(proto, protos[i].name) == 0)
				break;
		if (i == ARRAY_SIZE(protos)) {
			snprintf(err, errlen, "unknown proto '%.32s' (tcp, udp, icmp or icmpv6)",
				 proto);
			return -EINVAL;
		}
		e->proto = protos[i].proto;
	}
	if (port) {
		json_int_t v = json_integer_value(port), lo = is_icmp(e->proto) ? 0 : 1,
			   hi = is_icmp(e->proto) ? 255 : 65535;

		if (!proto) {
			snprintf(err, errlen, "port %lld needs proto", (long long)v);
			return -EINVAL;
		}
		if (v < lo || v > hi) {
			snprintf(err, errlen, "invalid %s %lld (%lld..%lld)",
				 is_icmp(e->proto) ? "ICMP type" : "port", (long long)v,
				 (long long)lo, (long long)hi);
			return -EINVAL;
		}
		e->port = (uint16_t)v;
	} else if (proto) {
		if (!is_icmp(e->proto)) {
			snprintf(err, errlen, "proto %s needs port", proto);
			return -EINVAL;
		}
		e->port = e->proto == IPPROTO_ICMP ? 8 : 128; /* echo request: "block ping" */
	}
	if (proto) {
		e->kind = allow ? MOAT_KIND_PORT_ALLOW : MOAT_KIND_PORT_BLOCK;
		if (e->dir != MOAT_DIR_SRC) {
			snprintf(err, errlen,
				 "dir dst cannot be combined with proto (port entries "
				 "are scoped by source)");
			return -EINVAL;
		}
	} else {
		e->kind = allow ? MOAT_KIND_ALLOW : MOAT_KIND_BLOCK;
		if (allow && e->dir != MOAT_DIR_SRC) {
			snprintf(err, errlen, "dir dst is only for block entries");
			return -EINVAL;
		}
	}
	if (ttl) {
		json_int_t v = json_integer_value(ttl);

		if (!add) {
			snprintf(err, errlen, "ttl_s is only for adding entries");
			return -EINVAL;
		}
		/* expiry is kept in ns: the same bound as fwctl's --ttl */
		if (v < 1 || (uint64_t)v > UINT64_MAX / 1000000000ull / 2) {
			snprintf(err, errlen, "invalid ttl_s %lld (1 or more seconds, < 290 years)",
				 (long long)v);
			return -EINVAL;
		}
		e->ttl_sec = (uint64_t)v;
	}
	if (reason) {
		if (strlen(reason) >= MOAT_NOTE_LEN) {
			snprintf(err, errlen, "reason too long (%zu bytes, at most %d)",
				 strlen(reason), MOAT_NOTE_LEN - 1);
			return -EINVAL;
		}
		for (const char *p = reason; *p; p++)
			if ((unsigned char)*p < 0x20 || *p == 0x7f) {
				snprintf(err, errlen,
					 "reason has a control character (byte %zu): not allowed",
					 (size_t)(p - reason));
				return -EINVAL;
			}
		snprintf(e->note, sizeof(e->note), "%s", reason);
	}
	return 0;
}

/* One target ("any" only for a TCP/UDP port entry) into *e (the template filled in). */
static int parse_target(json_t *v, size_t idx, struct moat_dp_entry *e, char *err, size_t errlen)
{
	const char *s = json_string_value(v);
	char buf[CIDR_STRLEN];
	int r;

	if (!s) {
		snprintf(err, errlen, "cidrs[%zu] must be a string", idx);
		return -EINVAL;
	}
	if (strcmp(s, "any") == 0) {
		if (!e->proto || is_icmp(e->proto)) {
			snprintf(err, errlen, "cidrs[%zu]: 'any' is only for a tcp/udp port entry",
				 idx);
			return -EINVAL;
		}
		e->cidr = (struct cidr){ .family = AF_UNSPEC };
		return 0;
	}
	r = cidr_parse(s, &e->cidr);
	if (r == -EADDRNOTAVAIL) {
		snprintf(err, errlen,
			 "cidrs[%zu]: invalid CIDR '%.64s': host bits set (did you mean %s?)", idx,
			 s, cidr_format(&e->cidr, buf, sizeof(buf)));
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errlen, "cidrs[%zu]: invalid CIDR '%.64s'", idx, s);
		return -EINVAL;
	}
	if ((e->proto == IPPROTO_ICMP && e->cidr.family == AF_INET6) ||
	    (e->proto == IPPROTO_ICMPV6 && e->cidr.family == AF_INET)) {
		snprintf(err, errlen,
			 "cidrs[%zu]: proto %s does not match the address family of '%.64s'", idx,
			 proto_name(e->proto), s);
		return -EINVAL;
	}
	return 0;
}

static int parse_entries(json_t *args, bool add, struct moat_dp_entry **ret, size_t *ret_n,
			 char *err, size_t errlen)
{
	json_t *cidrs = json_object_get(args, "cidrs");
	size_t n = json_array_size(cidrs);
	struct moat_dp_entry tmpl, *v;
	int r;

	r = parse_template(args, add, &tmpl, err, errlen);
	if (r < 0)
		return r;
	if (n == 0 || n > CTL_ENTRIES_MAX) {
		snprintf(err, errlen, "cidrs has %zu targets (1..%d in one request)", n,
			 CTL_ENTRIES_MAX);
		return -EINVAL;
	}
	v = calloc(n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		v[i] = tmpl;
		r = parse_target(json_array_get(cidrs, i), i, &v[i], err, errlen);
		if (r < 0) {
			free(v);
			return r;
		}
	}
	*ret = v;
	*ret_n = n;
	return 0;
}

static json_t *entry_json(const struct moat_dp_entry *e, uint64_t now)
{
	char buf[CIDR_STRLEN];
	bool port_kind = is_port_kind(e->kind);
	json_t *o = json_object();

	if (!o)
		return NULL;
	/* the field names of fwctl list --json (cli/cmd_attach.c: fwctl_entry_json) */
	json_object_set_new(o, "kind", json_string(moat_dp_kind_name(e->kind)));
	json_object_set_new(o, "dir", json_string(e->dir == MOAT_DIR_DST ? "dst" : "src"));
	json_object_set_new(o, "cidr",
			    json_string(e->cidr.family == AF_UNSPEC ?
						"any" :
						cidr_format(&e->cidr, buf, sizeof(buf))));
	json_object_set_new(o, "family",
			    json_string(e->cidr.family == AF_INET6 ? "ipv6" :
					e->cidr.family == AF_INET  ? "ipv4" :
								     "any"));
	json_object_set_new(o, "proto",
			    port_kind && proto_name(e->proto) ? json_string(proto_name(e->proto)) :
								json_null());
	json_object_set_new(o, "port", port_kind ? json_integer(e->port) : json_null());
	json_object_set_new(
		o, "expires_in",
		!e->expires_ns ?
			json_null() :
			json_integer(e->expires_ns > now ?
					     (json_int_t)((e->expires_ns - now + 999999999ull) /
							  1000000000ull) :
					     0));
	json_object_set_new(o, "expired", json_boolean(e->expires_ns && e->expires_ns <= now));
	json_object_set_new(o, "hits", json_integer((json_int_t)e->hits));
	json_object_set_new(o, "reason",
			    json_string(e->reason == MOAT_REASON_AUTO ? "auto" :
					e->reason == MOAT_REASON_RULE ? "rule" :
									"manual"));
	json_object_set_new(o, "rule_id", json_integer(e->rule_id));
	json_object_set_new(o, "note", json_string(e->note));
	return o;
}

/* "uid 0 (root) pid 4242" into buf; the EVE "by" object into *ret_by. */
static const char *who(struct ctl_entries *ce, char *buf, size_t len, json_t **ret_by)
{
	struct ucred uc;
	struct passwd pw, *pwp = NULL;
	char pwbuf[1024];

	if (control_peer(ce->c, &uc) < 0) {
		snprintf(buf, len, "unknown client");
		*ret_by = json_null();
		return buf;
	}
	if (getpwuid_r(uc.uid, &pw, pwbuf, sizeof(pwbuf), &pwp) != 0)
		pwp = NULL;
	if (pwp)
		snprintf(buf, len, "uid %u (%s) pid %d", (unsigned int)uc.uid, pwp->pw_name,
			 (int)uc.pid);
	else
		snprintf(buf, len, "uid %u pid %d", (unsigned int)uc.uid, (int)uc.pid);
	*ret_by = json_pack("{s:I, s:I, s:s?}", "uid", (json_int_t)uc.uid, "pid",
			    (json_int_t)uc.pid, "user", pwp ? pwp->pw_name : NULL);
	return buf;
}

static void describe(const struct moat_dp_entry *e, char *buf, size_t len)
{
	char c[CIDR_STRLEN];
	const char *cidr =
		e->cidr.family == AF_UNSPEC ? "any" : cidr_format(&e->cidr, c, sizeof(c));

	if (is_port_kind(e->kind))
		snprintf(buf, len, "%s/%u from %s", proto_name(e->proto), e->port, cidr);
	else if (e->kind == MOAT_KIND_BLOCK)
		snprintf(buf, len, "%s (%s)", cidr, e->dir == MOAT_DIR_DST ? "dst" : "src");
	else
		snprintf(buf, len, "%s", cidr);
}

/* The log line and the EVE "policy" event of one request. */
static void record(struct ctl_entries *ce, const char *action, json_t *args,
		   const struct moat_dp_entry *v, size_t n, size_t done)
{
	char by[128], what[CIDR_STRLEN + 64], ttl[32] = "never";
	const char *reason = json_string_value(json_object_get(args, "reason"));
	json_t *by_json = NULL, *ev, *pol;

	who(ce, by, sizeof(by), &by_json);
	describe(&v[0], what, sizeof(what));
	if (v[0].ttl_sec)
		format_duration(v[0].ttl_sec, ttl, sizeof(ttl));
	if (n == 1)
		log_info("policy: %s %s by %s%s%s%s%s", action, what, by,
			 strcmp(action, "block") == 0 || strcmp(action, "allow") == 0 ? ", ttl " :
											"",
			 strcmp(action, "block") == 0 || strcmp(action, "allow") == 0 ? ttl : "",
			 reason ? ", reason: " : "", reason ? reason : "");
	else
		log_info("policy: %s %zu entries (%zu changed; first %s) by %s%s%s%s%s", action, n,
			 done, what, by,
			 strcmp(action, "block") == 0 || strcmp(action, "allow") == 0 ? ", ttl " :
											"",
			 strcmp(action, "block") == 0 || strcmp(action, "allow") == 0 ? ttl : "",
			 reason ? ", reason: " : "", reason ? reason : "");

	{
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ev = eve_event_new("policy",
				   (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u,
				   NULL, 0);
	}
	pol = json_pack("{s:s, s:s, s:s, s:s?, s:o, s:O, s:I, s:I, s:s?, s:o}", "action", action,
			"kind", moat_dp_kind_name(v[0].kind), "dir",
			v[0].dir == MOAT_DIR_DST ? "dst" : "src", "proto", proto_name(v[0].proto),
			"port", is_port_kind(v[0].kind) ? json_integer(v[0].port) : json_null(),
			"cidrs", json_object_get(args, "cidrs"), "count", (json_int_t)n, "changed",
			(json_int_t)done, "reason", reason, "by", by_json);
	if (pol && v[0].ttl_sec)
		json_object_set_new(pol, "ttl_s", json_integer((json_int_t)v[0].ttl_sec));
	if (ev && pol) {
		json_object_set_new(ev, "policy", pol);
		pol = NULL;
		if (bans_eve_write(daemon_bans(ce->d), ev) < 0)
			log_warn("policy: writing the EVE event failed");
	}
	json_decref(pol);
	json_decref(ev);
}

static int cmd_add(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctl_entries *ce = ctx;
	struct daemon *d = ce->d;
	_cleanup_free_ struct moat_dp_entry *v = NULL;
	const char *kind = json_string_value(json_object_get(args, "kind"));
	size_t n = 0, added = 0;
	json_t *listed;
	uint64_t now;
	int r;

	r = parse_entries(args, true, &v, &n, err, errlen);
	if (r < 0)
		return r;
	pthread_mutex_lock(daemon_dp_lock(d));
	if (n == 1) {
		/* one entry: moat_dp_add keeps the hit counter of an entry already there */
		r = moat_dp_add(daemon_dp(d), &v[0]);
		added = r >= 0;
	} else {
		r = moat_dp_add_bulk(daemon_dp(d), v, n, &added);
	}
	if (r < 0)
		snprintf(err, errlen, "%s (%zu of %zu entries added)",
			 *moat_dp_errmsg(daemon_dp(d)) ? moat_dp_errmsg(daemon_dp(d)) :
							 strerror(-r),
			 added, n);
	listed = json_array();
	now = moat_dp_now_ns();
	/* read back what the kernel holds (expiry, hits so far) */
	for (size_t i = 0; listed && i < MIN(added, (size_t)CTL_ENTRIES_LISTED); i++) {
		struct moat_dp_entry got;

		if (moat_dp_get(daemon_dp(d), &v[i], &got) < 0)
			got = v[i];
		json_array_append_new(listed, entry_json(&got, now));
	}
	pthread_mutex_unlock(daemon_dp_lock(d));
	if (added) {
		record(ce, kind, args, v, n, added);
		daemon_save_soon(d);
	}
	if (r < 0) {
		json_decref(listed);
		return r;
	}
	*ret_result = json_pack("{s:I, s:I, s:o*}", "added", (json_int_t)added, "unlisted",
				(json_int_t)(added - json_array_size(listed)), "entries", listed);
	return *ret_result ? 0 : -ENOMEM;
}

static int cmd_delete(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctl_entries *ce = ctx;
	struct daemon *d = ce->d;
	_cleanup_free_ struct moat_dp_entry *v = NULL;
	const char *kind = json_string_value(json_object_get(args, "kind"));
	size_t n = 0, removed = 0, absent = 0;
	char desc[CIDR_STRLEN + 64];
	int r;

	r = parse_entries(args, false, &v, &n, err, errlen);
	if (r < 0)
		return r;
	pthread_mutex_lock(daemon_dp_lock(d));
	for (size_t i = 0; i < n; i++) {
		r = moat_dp_delete(daemon_dp(d), &v[i]);
		if (r == -ENOENT) {
			absent++;
			r = 0;
		} else if (r < 0) {
			snprintf(err, errlen, "%s (%zu of %zu entries removed)",
				 *moat_dp_errmsg(daemon_dp(d)) ? moat_dp_errmsg(daemon_dp(d)) :
								 strerror(-r),
				 removed, n);
			break;
		} else {
			removed++;
		}
	}
	pthread_mutex_unlock(daemon_dp_lock(d));
	if (removed) {
		record(ce, strcmp(kind, "allow") == 0 ? "disallow" : "unblock", args, v, n,
		       removed);
		daemon_save_soon(d);
	}
	if (r < 0)
		return r;
	if (n == 1 && absent) {
		describe(&v[0], desc, sizeof(desc));
		snprintf(err, errlen, "no such entry: %s", desc);
		return -ENOENT;
	}
	*ret_result = json_pack("{s:I, s:I}", "removed", (json_int_t)removed, "absent",
				(json_int_t)absent);
	return *ret_result ? 0 : -ENOMEM;
}

static int check_ifname(const char *ifname, char *err, size_t errlen)
{
	if (!*ifname || strlen(ifname) >= IF_NAMESIZE || if_nametoindex(ifname) == 0) {
		snprintf(err, errlen, "unknown interface '%.64s'", ifname);
		return -EINVAL;
	}
	return 0;
}

static json_t *report_json(const struct moat_dp_attach_report *rep)
{
	return json_pack("{s:s, s:i, s:s, s:I, s:s, s:i, s:b}", "ifname", rep->ifname, "ifindex",
			 rep->ifindex, "xdp_mode", moat_dp_xdp_mode_name(rep->xdp_mode),
			 "xdp_busy_prog_id", (json_int_t)rep->xdp_busy_prog_id, "tc_mode",
			 moat_dp_tc_mode_name(rep->tc_mode), "tc_priority", (int)rep->tc_priority,
			 "updated", rep->updated);
}

static int cmd_attach(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctl_entries *ce = ctx;
	const char *ifname = json_string_value(json_object_get(args, "ifname"));
	const char *mode_s = json_string_value(json_object_get(args, "xdp_mode"));
	json_t *tcj = json_object_get(args, "tc");
	bool tc = !tcj || json_is_true(tcj);
	enum moat_xdp_mode mode = MOAT_XDP_AUTO;
	struct moat_dp_attach_report rep;
	char by[128];
	json_t *by_json = NULL;
	int r;

	if (mode_s) {
		if (strcmp(mode_s, "native") == 0)
			mode = MOAT_XDP_NATIVE;
		else if (strcmp(mode_s, "generic") == 0)
			mode = MOAT_XDP_GENERIC;
		else if (strcmp(mode_s, "off") == 0)
			mode = MOAT_XDP_OFF;
		else if (strcmp(mode_s, "auto") != 0) {
			snprintf(err, errlen,
				 "invalid xdp_mode '%.32s' (auto, native, generic, off)", mode_s);
			return -EINVAL;
		}
	}
	if (mode == MOAT_XDP_OFF && !tc) {
		snprintf(err, errlen, "xdp_mode off without tc attaches nothing");
		return -EINVAL;
	}
	r = check_ifname(ifname, err, errlen);
	if (r < 0)
		return r;
	r = daemon_attach(ce->d, ifname, mode, tc, &rep, err, errlen);
	if (r < 0)
		return r;
	who(ce, by, sizeof(by), &by_json);
	json_decref(by_json);
	log_info("policy: attached %s: xdp %s, tc %s by %s", rep.ifname,
		 moat_dp_xdp_mode_name(rep.xdp_mode), moat_dp_tc_mode_name(rep.tc_mode), by);
	*ret_result = report_json(&rep);
	return *ret_result ? 0 : -ENOMEM;
}

static int cmd_detach(void *ctx, json_t *args, json_t **ret_result, char *err, size_t errlen)
{
	struct ctl_entries *ce = ctx;
	const char *ifname = json_string_value(json_object_get(args, "ifname"));
	char by[128];
	json_t *by_json = NULL;
	int r;

	r = check_ifname(ifname, err, errlen);
	if (r < 0)
		return r;
	r = daemon_detach(ce->d, ifname, err, errlen);
	if (r < 0)
		return r;
	who(ce, by, sizeof(by), &by_json);
	json_decref(by_json);
	log_info("policy: detached %s by %s", ifname, by);
	*ret_result = json_pack("{s:s, s:b}", "ifname", ifname, "detached", 1);
	return *ret_result ? 0 : -ENOMEM;
}

int ctl_entries_register(struct control *c, struct daemon *d, struct ctl_entries **ret)
{
	static const struct control_command cmds[] = {
		{ "entries.add", cmd_add, add_args },
		{ "entries.delete", cmd_delete, delete_args },
		{ "iface.attach", cmd_attach, attach_args },
		{ "iface.detach", cmd_detach, detach_args },
		{},
	};
	struct ctl_entries *ce = calloc(1, sizeof(*ce));
	int r;

	if (!ce)
		return -ENOMEM;
	ce->d = d;
	ce->c = c;
	r = control_register_all(c, cmds, ce);
	*ret = ce; /* also on failure: commands registered so far point at it */
	return r;
}

void ctl_entries_free(struct ctl_entries *ce)
{
	free(ce);
}
