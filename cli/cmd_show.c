// SPDX-License-Identifier: GPL-2.0-only
/* fwctl list / mode: reading (and switching) the pinned datapath's state (stats: cmd_stats.c). */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <string.h>
#include "lib/lib.h"
#include "cmd_common.h"
#include "entry_args.h"
#include "table.h"

/* Parses a command that takes only the shared options and at most max_pos positionals. */
static int simple_opts(struct fwctl *ctx, int argc, char **argv, int max_pos)
{
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, NULL)) != -1) {
		if (c == 'h') {
			fwctl_help_command(fwctl_command_find(argv[0]), stdout);
			return FWCTL_EXIT_OK;
		}
		return FWCTL_EXIT_USAGE;
	}
	if (argc - optind > max_pos)
		return fwctl_usage_error(argv[0], "unexpected argument '%s'",
					 argv[optind + max_pos]);
	return -1;
}

struct list_state {
	uint64_t now;
	json_t *arr; /* --json */
	struct table *t; /* human */
	int err;
};

static int list_cb(const struct moat_dp_entry *e, void *userdata)
{
	struct list_state *st = userdata;
	bool port_kind = e->kind == MOAT_KIND_PORT_BLOCK || e->kind == MOAT_KIND_PORT_ALLOW;
	char cidr[CIDR_STRLEN], port[8], exp[32], hits[24], reason[32];
	const char *cells[9];

	if (st->arr) {
		json_t *o = fwctl_entry_json(e, st->now);

		if (!o || json_array_append_new(st->arr, o) < 0) {
			st->err = -ENOMEM;
			return 1;
		}
		return 0;
	}
	snprintf(port, sizeof(port), "%u", e->port);
	snprintf(hits, sizeof(hits), "%" PRIu64, e->hits);
	if (e->reason == MOAT_REASON_RULE)
		snprintf(reason, sizeof(reason), "rule:%u", e->rule_id);
	else
		snprintf(reason, sizeof(reason), "%s",
			 e->reason == MOAT_REASON_AUTO ? "auto" : "manual");
	cells[0] = moat_dp_kind_name(e->kind);
	cells[1] = e->dir == MOAT_DIR_DST ? "dst" : "src";
	cells[2] = e->cidr.family == AF_UNSPEC ? "any" : cidr_format(&e->cidr, cidr, sizeof(cidr));
	cells[3] = port_kind ? entry_args_proto_name(e->proto) : "-";
	cells[4] = port_kind ? port : "-";
	cells[5] = fwctl_format_expiry(e->expires_ns, st->now, exp, sizeof(exp));
	cells[6] = hits;
	cells[7] = reason;
	cells[8] = e->note[0] ? e->note : "-";
	st->err = table_add_row(st->t, cells);
	return st->err < 0 ? 1 : 0;
}

int cmd_list(struct fwctl *ctx, int argc, char **argv)
{
	static const char *const cols[] = { "KIND",    "DIR",	"CIDR",	  "PROTO", ">PORT",
					    "EXPIRES", ">HITS", "REASON", "NOTE" };
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	_cleanup_(table_freep) struct table *t = NULL;
	struct list_state st = { 0 };
	int r;

	static const struct option opts[] = {
		{ "sort", required_argument, NULL, 's' },
		{ "reason", required_argument, NULL, 'r' },
		{},
	};
	const char *sort = NULL, *reason = NULL;
	int c;

	while ((c = fwctl_getopt(ctx, argc, argv, opts)) != -1) {
		switch (c) {
		case 'h':
			fwctl_help_command(fwctl_command_find("list"), stdout);
			return FWCTL_EXIT_OK;
		case 's':
			if (strcmp(optarg, "expiry") != 0 && strcmp(optarg, "hits") != 0)
				return fwctl_usage_error(
					"list", "invalid --sort '%s' (expiry, hits)", optarg);
			sort = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		default:
			return FWCTL_EXIT_USAGE;
		}
	}
	if (argc - optind > 1)
		return fwctl_usage_error("list", "unexpected argument '%s'", argv[optind + 1]);
	if (optind < argc && strcmp(argv[optind], "bans") == 0)
		return cmd_list_bans(ctx, sort, reason);
	if (optind < argc)
		return fwctl_usage_error("list", "unknown list '%s' (bans; none: every entry)",
					 argv[optind]);
	if (sort || reason)
		return fwctl_usage_error("list", "--sort and --reason go with 'list bans'");
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	st.now = moat_dp_now_ns();
	if (ctx->json) {
		st.arr = json_array();
		if (!st.arr)
			return fwctl_print_json(NULL);
	} else {
		t = table_new(ARRAY_SIZE(cols), cols);
		if (!t)
			return fwctl_print_json(NULL);
		st.t = t;
	}
	r = moat_dp_list(dp, list_cb, &st);
	if (r < 0 || st.err < 0) {
		json_decref(st.arr);
		if (st.err < 0)
			log_err("list: %s", strerror(-st.err));
		else
			log_err("list: %s",
				*moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (!o) {
			json_decref(st.arr);
			return fwctl_print_json(NULL);
		}
		json_object_set_new(o, "count", json_integer((json_int_t)json_array_size(st.arr)));
		json_object_set_new(o, "entries", st.arr);
		return fwctl_print_json(o);
	}
	table_print(t, stdout);
	printf("%zu entr%s\n", t->nrows, t->nrows == 1 ? "y" : "ies");
	return FWCTL_EXIT_OK;
}

int cmd_mode(struct fwctl *ctx, int argc, char **argv)
{
	_cleanup_(moat_dp_closep) struct moat_dp *dp = NULL;
	uint32_t mode;
	bool set = false;
	int r;

	r = simple_opts(ctx, argc, argv, 1);
	if (r >= 0)
		return r;
	if (optind < argc) {
		if (strcmp(argv[optind], "allow") == 0)
			mode = MOAT_MODE_ALLOW;
		else if (strcmp(argv[optind], "deny") == 0)
			mode = MOAT_MODE_DENY;
		else
			return fwctl_usage_error("mode", "invalid mode '%s' (allow or deny)",
						 argv[optind]);
		set = true;
	}
	dp = fwctl_open_dp(ctx);
	if (!dp)
		return FWCTL_EXIT_FAILED;
	r = set ? moat_dp_set_mode(dp, mode) : moat_dp_get_mode(dp, &mode);
	if (r < 0) {
		log_err("mode: %s", *moat_dp_errmsg(dp) ? moat_dp_errmsg(dp) : strerror(-r));
		return FWCTL_EXIT_FAILED;
	}
	if (ctx->json) {
		json_t *o = json_object();

		if (o)
			json_object_set_new(o, "mode",
					    json_string(mode == MOAT_MODE_DENY ? "deny" : "allow"));
		return fwctl_print_json(o);
	}
	printf("mode: %s\n", mode == MOAT_MODE_DENY ? "deny" : "allow");
	return FWCTL_EXIT_OK;
}
