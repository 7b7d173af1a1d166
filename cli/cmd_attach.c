// SPDX-License-Identifier: GPL-2.0-only
/* fwctl attach / detach, and the helpers every direct-mode command shares. */
#include <errno.h>
#include <getopt.h>
#include <net/if.h>
#include <string.h>
#include "lib/lib.h"
#include "cmd_common.h"
#include "ctl_client.h"
#include "entry_args.h"

struct moat_dp *fwctl_open_dp(const struct fwctl *ctx)
{
	struct moat_dp_opts opts = { .pin_root = ctx->pin_root };
	struct moat_dp *dp = NULL;
	char err[256] = "";
	int r;

	r = moat_dp_open(&opts, &dp, err, sizeof(err));
	if (r < 0) {
		if (r == -EPERM)
			log_err("cannot open the datapath: %s (needs root or CAP_BPF+CAP_NET_ADMIN)",
				*err ? err : strerror(-r));
		else
			log_err("cannot open the datapath: %s", *err ? err : strerror(-r));
		return NULL;
	}
	return dp;
}

int fwctl_print_json(json_t *obj)
{
	char *s;

	if (!obj) {
		log_err("out of memory");
		return FWCTL_EXIT_FAILED;
	}
	s = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (!s) {
		log_err("out of memory");
		return FWCTL_EXIT_FAILED;
	}
	puts(s);
	free(s);
	return FWCTL_EXIT_OK;
}

const char *fwctl_format_expiry(uint64_t expires_ns, uint64_t now_ns, char *buf, size_t len)
{
	char d[32];

	if (expires_ns == 0)
		snprintf(buf, len, "never");
	else if (expires_ns <= now_ns)
		snprintf(buf, len, "expired");
	else
		/* Round up: an entry with 0.4s left still shows "1s", never "0s". */
		snprintf(buf, len, "%s",
			 format_duration((expires_ns - now_ns + 999999999ull) / 1000000000ull, d,
					 sizeof(d)));
	return buf;
}

static const char *reason_name(uint8_t reason)
{
	switch (reason) {
	case MOAT_REASON_MANUAL:
		return "manual";
	case MOAT_REASON_AUTO:
		return "auto";
	case MOAT_REASON_RULE:
		return "rule";
	default:
		return "unknown";
	}
}

json_t *fwctl_entry_json(const struct moat_dp_entry *e, uint64_t now_ns)
{
	char buf[CIDR_STRLEN];
	json_t *o = json_object();
	const char *proto = entry_args_proto_name(e->proto);
	bool port_kind = e->kind == MOAT_KIND_PORT_BLOCK || e->kind == MOAT_KIND_PORT_ALLOW;

	if (!o)
		return NULL;
	json_object_set_new(o, "kind", json_string(moat_dp_kind_name(e->kind)));
	json_object_set_new(o, "dir", json_string(e->dir == MOAT_DIR_DST ? "dst" : "src"));
	json_object_set_new(o, "cidr",
			    e->cidr.family == AF_UNSPEC ?
				    json_string("any") :
				    json_string(cidr_format(&e->cidr, buf, sizeof(buf))));
	json_object_set_new(o, "family",
			    json_string(e->cidr.family == AF_INET6 ? "ipv6" :
					e->cidr.family == AF_INET  ? "ipv4" :
								     "any"));
	json_object_set_new(o, "proto", port_kind && proto ? json_string(proto) : json_null());
	json_object_set_new(o, "port", port_kind ? json_integer(e->port) : json_null());
	if (e->expires_ns == 0)
		json_object_set_new(o, "expires_in", json_null());
	else
		json_object_set_new(
			o, "expires_in",
			json_integer(e->expires_ns > now_ns ?
					     (json_int_t)((e->expires_ns - now_ns + 999999999ull) /
							  1000000000ull) :
					     0));
	json_object_set_new(o, "expired", json_boolean(e->expires_ns && e->expires_ns <= now_ns));
	json_object_set_new(o, "hits", json_integer((json_int_t)e->hits));
	json_object_set_new(o, "reason", json_string(reason_name(e->reason)));
	json_object_set_new(o, "rule_id", json_integer(e->rule_id));
	json_object_set_new(o, "note", json_string(e->note));
	return o;
}

static const struct option attach_opts[] = {
	{ "xdp-mode", required_argument, NULL, 'x' },
	{ "no-tc", no_argument, NULL, 'T' },
	{},
};

/* An interface name that exists in this network namespace, else a one-line error. */
static int check_iface(const char *cmd, const char *ifname)
{
	if (strlen(ifname) >= IF_NAMESIZE || if_nametoindex(ifname) == 0) {
		log_err("%s: unknown interface '%s'", cmd, ifname);
		return -ENODEV;
	}
	return 0;
}

static json_t *report_json(const struct moat_dp_attach_report *rep)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "ifname", json_string(rep->ifname));
	json_object_set_new(o, "ifindex", json_integer(rep->ifindex));
	json_object_set_new(o, "xdp_mode", json_string(moat_dp_xdp_mode_name(rep->xdp_mode)));
	json_object_set_new(o, "xdp_busy_prog_id", json_integer(rep->xdp_busy_prog_id));
	json_object_set_new(o, "tc_mode", json_string(moat_dp_tc_mode_name(rep->tc_mode)));
	json_object_set_new(o, "tc_priority", json_integer(rep->tc_priority));
	json_object_set_new(o, "updated", json_boolean(rep->updated));
	return o;
}

/*
 * Ask moatd to attach or detach (iface.attach/iface.detach). Returns an exit code, or -1 when
 * the daemon is not reachable (the caller works on the pins directly). *ret_result is set on
 * success.
 */
static int iface_call(struct fwctl *ctx, const char *cmd, json_t *args, json_t **ret_result)
{
	char err[1024];
	int code = 0;
	int r = ctl_client_call_full(ctx->socket,
				     strcmp(cmd, "attach") == 0 ? "iface.attach" : "iface.detach",
				     args, 0, ret_result, &code, err, sizeof(err));

	json_decref(args);
	if (r >= 0)
		return FWCTL_EXIT_OK;
	if (ctl_client_unreachable(r)) {
		log_debug("%s: %s", cmd, err);
		if (strcmp(cmd, "attach") == 0)
			log_warn(
				"attach: moatd is not reachable: changing the pinned links directly; "
				"the daemon serves the interface when it starts");
		else
			log_warn(
				"detach: moatd is not reachable: changing the pinned links directly; "
				"the daemon attaches it again when it starts only if it is one of its "
				"-i interfaces");
		return -1;
	}
	log_err("%s", err);
	return code == EINVAL ? FWCTL_EXIT_USAGE : FWCTL_EXIT_FAILED;
}

static void report_print(const char *ifname, bool updated, const char *xdp, unsigned int busy_id,
			 const char *tc, unsigned int tc_prio, const char *pins)
{
	printf("%s %s: xdp %s", updated ? "updated" : "attached", ifname, xdp);
	if (strcmp(xdp, "busy") == 0)
		printf(" (hook held by program %u; TC ingress enforces)", busy_id);
	printf(", tc %s", tc);
	if (strcmp(tc, "clsact") == 0)
		printf(" (priority %u)", tc_prio);
	if (pins)
		printf(", pins %s\n", pins);
	else
		printf(", by moatd\n");
}

int cmd_attach(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	struct moat_dp_attach_report rep = { 0 };
	enum moat_xdp_mode mode = MOAT_XDP_AUTO;
	const char *ifname;
	bool tc = true;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, attach_opts)) != -1) {
		switch (c) {
		case 'x':
			if (strcmp(optarg, "auto") == 0)
				mode = MOAT_XDP_AUTO;
			else if (strcmp(optarg, "native") == 0)
				mode = MOAT_XDP_NATIVE;
			else if (strcmp(optarg, "generic") == 0)
				mode = MOAT_XDP_GENERIC;
			else if (strcmp(optarg, "off") == 0)
				mode = MOAT_XDP_OFF;
			else
				return fwctl_usage_error(
					"attach",
					"invalid XDP mode '%s' (auto, native, generic, off)",
					optarg);
			break;
		case 'T':
			tc = false;
			break;
		case 'h':
			fwctl_help_command(fwctl_command_find("attach"), stdout);
			return FWCTL_EXIT_OK;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (optind + 1 != argc)
		return fwctl_usage_error("attach", optind >= argc ? "missing interface" :
								    "too many arguments");
	ifname = argv[optind];
	if (mode == MOAT_XDP_OFF && !tc)
		return fwctl_usage_error("attach", "--xdp-mode off with --no-tc attaches nothing");
	if (check_iface("attach", ifname) < 0)
		return FWCTL_EXIT_USAGE;
	{
		json_t *res = NULL;
		static const char *const names[] = { [MOAT_XDP_AUTO] = "auto",
						     [MOAT_XDP_NATIVE] = "native",
						     [MOAT_XDP_GENERIC] = "generic",
						     [MOAT_XDP_OFF] = "off" };

		r = iface_call(ctx, "attach",
			       json_pack("{s:s, s:s, s:b}", "ifname", ifname, "xdp_mode",
					 names[mode], "tc", tc),
			       &res);
		if (r == FWCTL_EXIT_OK && ctx->json) {
			json_object_set_new(res, "daemon", json_true());
			return fwctl_print_json(res);
		}
		if (r == FWCTL_EXIT_OK) {
			report_print(json_string_value(json_object_get(res, "ifname")),
				     json_is_true(json_object_get(res, "updated")),
				     json_string_value(json_object_get(res, "xdp_mode")),
				     (unsigned int)json_integer_value(
					     json_object_get(res, "xdp_busy_prog_id")),
				     json_string_value(json_object_get(res, "tc_mode")),
				     (unsigned int)json_integer_value(
					     json_object_get(res, "tc_priority")),
				     NULL);
			json_decref(res);
			return FWCTL_EXIT_OK;
		}
		if (r >= 0)
			return r;
	}
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	r = moat_dp_attach(dp, ifname, mode, tc, &rep);
	if (r < 0) {
		log_err("attach %s: %s", ifname,
			*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json)
		return fwctl_print_json(report_json(&rep));
	report_print(rep.ifname, rep.updated, moat_dp_xdp_mode_name(rep.xdp_mode),
		     rep.xdp_busy_prog_id, moat_dp_tc_mode_name(rep.tc_mode), rep.tc_priority,
		     moat_dp_pin_root(dp));
	return FWCTL_EXIT_OK;
}

int cmd_detach(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	const char *ifname;
	int c, r;

	while ((c = fwctl_getopt(ctx, argc, argv, NULL)) != -1) {
		if (c == 'h') {
			fwctl_help_command(fwctl_command_find("detach"), stdout);
			return FWCTL_EXIT_OK;
		}
		return FWCTL_EXIT_USAGE;
	}
	if (optind + 1 != argc)
		return fwctl_usage_error("detach", optind >= argc ? "missing interface" :
								    "too many arguments");
	ifname = argv[optind];
	if (check_iface("detach", ifname) < 0)
		return FWCTL_EXIT_USAGE;
	{
		json_t *res = NULL;

		r = iface_call(ctx, "detach", json_pack("{s:s}", "ifname", ifname), &res);
		if (r == FWCTL_EXIT_OK && ctx->json) {
			json_object_set_new(res, "daemon", json_true());
			return fwctl_print_json(res);
		}
		json_decref(res);
		if (r == FWCTL_EXIT_OK) {
			printf("detached %s\n", ifname);
			return FWCTL_EXIT_OK;
		}
		if (r >= 0)
			return r;
	}
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	r = moat_dp_detach(dp, ifname);
	if (r == -ENOENT) {
		log_err("detach %s: moat is not attached there", ifname);
		return FWCTL_EXIT_FAILED;
	}
	if (r < 0) {
		log_err("detach %s: %s", ifname,
			*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (o) {
			json_object_set_new(o, "ifname", json_string(ifname));
			json_object_set_new(o, "detached", json_true());
		}
		return fwctl_print_json(o);
	}
	printf("detached %s\n", ifname);
	return FWCTL_EXIT_OK;
}
